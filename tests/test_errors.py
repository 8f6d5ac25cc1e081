"""Errors survive pickle: indexing runs on process pools and distributed executors."""

from __future__ import annotations

import collections.abc
import inspect
import pickle
import types
import typing
from typing import Any

import pytest

import loopintel
from loopintel import errors

EXAMPLES: list[tuple[BaseException, dict[str, Any], str]] = [
    (
        errors.LoopintelError("something went wrong"),
        {},
        "something went wrong",
    ),
    (
        errors.RepositoryError("cannot read HEAD"),
        {},
        "cannot read HEAD",
    ),
    (
        errors.NotARepository("/tmp/nowhere"),
        {"path": "/tmp/nowhere", "reason": "not a git repository (or any parent up to /)"},
        "not a git repository (or any parent up to /): /tmp/nowhere",
    ),
    (
        errors.NotARepository("/tmp/x", "a bare directory"),
        {"path": "/tmp/x", "reason": "a bare directory"},
        "a bare directory: /tmp/x",
    ),
    (
        errors.UnknownRef("v9", "/src/app"),
        {"ref": "v9", "path": "/src/app"},
        "unknown ref 'v9' in repository /src/app",
    ),
    (
        errors.IndexFileError("index is locked"),
        {},
        "index is locked",
    ),
    (
        errors.IndexVersionError("/i.sqlite3", 7, 5),
        {"path": "/i.sqlite3", "found": 7, "supported": 5},
        (
            "index /i.sqlite3 has schema version 7, this loopintel reads up to 5; "
            "upgrade loopintel or remove the index to rebuild it"
        ),
    ),
    (
        errors.IndexLocationError("/ro/i.sqlite3", "read-only file system"),
        {"path": "/ro/i.sqlite3", "reason": "read-only file system"},
        "cannot use index at /ro/i.sqlite3: read-only file system",
    ),
    (
        errors.FunctionNotFound("create_ap", ("factory.py::create_app", "app.py::create")),
        {"query": "create_ap", "suggestions": ("factory.py::create_app", "app.py::create")},
        "no function matches 'create_ap'; closest: factory.py::create_app, app.py::create",
    ),
    (
        errors.FunctionNotFound("zzz"),
        {"query": "zzz", "suggestions": ()},
        "no function matches 'zzz'",
    ),
    (
        errors.AmbiguousFunction("run", ("a.py::run", "b.py::run")),
        {"query": "run", "candidates": ("a.py::run", "b.py::run")},
        (
            "'run' matches 2 functions: a.py::run, b.py::run; ask for one as listed, or look "
            "the name up at a commit (at=, --at)"
        ),
    ),
    (
        errors.PathNotFound("src/flsk", ("src/flask",)),
        {"path": "src/flsk", "suggestions": ("src/flask",)},
        "no indexed file or directory matches 'src/flsk'; closest: src/flask",
    ),
    (
        errors.TargetNotFound("pkk", ("pkg",)),
        {"query": "pkk", "path": "pkk", "suggestions": ("pkg",)},
        "no function matches 'pkk', nor does any indexed file or directory; closest: pkg",
    ),
    (
        errors.InvalidQuery("since", "yesterday", "an ISO 8601 date or datetime"),
        {"argument": "since", "value": "yesterday", "expected": "an ISO 8601 date or datetime"},
        "invalid since 'yesterday': expected an ISO 8601 date or datetime",
    ),
    (
        errors.CoverageDataError.single("cov.json", "expected an object", field="files['a.py']"),
        {"source": "cov.json", "problem": "expected an object", "where": "files['a.py']"},
        "cannot read coverage data cov.json, files['a.py']: expected an object",
    ),
    (
        errors.CoverageDataError.single("cov.xml", "unknown format"),
        {"source": "cov.xml", "problem": "unknown format", "where": None},
        "cannot read coverage data cov.xml: unknown format",
    ),
    (
        errors.InvalidConfiguration("pyproject.toml at 1a2b3c", "deprecated = 5 is not a list"),
        {"source": "pyproject.toml at 1a2b3c", "problem": "deprecated = 5 is not a list"},
        "invalid loopintel settings in pyproject.toml at 1a2b3c: deprecated = 5 is not a list",
    ),
]


@pytest.mark.parametrize(("error", "fields", "message"), EXAMPLES, ids=lambda v: type(v).__name__)
def test_errors_survive_pickle(error: BaseException, fields: dict[str, Any], message: str) -> None:
    assert str(error) == message
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args
    assert {name: getattr(copy, name) for name in fields} == fields
    assert str(copy) == message


def test_errors_keep_their_arguments_as_args() -> None:
    # The convention that makes them pickle: what the constructor was given is args.
    error = errors.FunctionNotFound("q", ("a.py::q",))
    assert error.args == ("q", ("a.py::q",))
    missing = errors.NotARepository("/x")
    assert missing.args == ("/x", "not a git repository (or any parent up to /)")


def test_os_errors_do_not_pretend_to_carry_an_errno() -> None:
    for error in (errors.NotARepository("/x"), errors.IndexLocationError("/i", "denied")):
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.errno, copy.strerror) == (None, None)
        assert isinstance(copy, OSError)
    assert isinstance(errors.NotARepository("/x"), FileNotFoundError)


def _takes_own_arguments(cls: type) -> bool:
    return any("__init__" in vars(k) for k in cls.__mro__ if issubclass(k, errors.LoopintelError))


def _sample(name: str, annotation: Any) -> Any:
    """A representative argument of an annotated parameter."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    origin = typing.get_origin(annotation) or annotation
    samples: dict[Any, Any] = {
        str: f"<{name}>",
        int: 3,
        float: 1.5,
        bool: True,
        tuple: (f"<{name}1>", f"<{name}2>"),
        collections.abc.Sequence: (errors.Problem(file=f"<{name}>", line=3, message="bad"),),
        object: f"<{name}>",
    }
    return samples.get(origin, f"<{name}>")


def _public_errors() -> list[type[BaseException]]:
    classes = (getattr(errors, name) for name in errors.__all__)
    return [cls for cls in classes if isinstance(cls, type) and issubclass(cls, BaseException)]


@pytest.mark.parametrize("cls", _public_errors(), ids=lambda c: c.__name__)
def test_any_public_error_built_from_its_signature_survives_pickle(
    cls: type[BaseException],
) -> None:
    """Also covers errors added later, before anyone writes their example."""
    if not _takes_own_arguments(cls):
        arguments: list[Any] = ["a message"]
    else:
        init = next(k for k in cls.__mro__ if "__init__" in vars(k)).__init__  # type: ignore[misc]
        # Names the module imports only for type checking are given here.
        names = {**vars(errors), "Sequence": collections.abc.Sequence}
        signature = inspect.signature(init, eval_str=True, globals=names)
        parameters = list(signature.parameters.values())[1:]
        arguments = [_sample(p.name, p.annotation) for p in parameters]
    error = cls(*arguments)
    assert error.args == tuple(arguments)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert copy.args == error.args
    assert vars(copy) == vars(error)
    assert str(copy) == str(error)
    assert isinstance(copy, loopintel.LoopintelError)
