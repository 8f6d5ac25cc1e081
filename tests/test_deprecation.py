"""Deprecated code: ``view.deprecation()`` on constructed repositories."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel.analysis.deprecation import matching_prefix, module_name
from tests.cli_runner import run_cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

LEGACY = ("myapp.legacy",)


def open_repo(builder: RepoBuilder, tmp_path: Path, **options: object) -> loopintel.Repository:
    return loopintel.open(builder.path, index_path=tmp_path / "d.sqlite3", **options)  # type: ignore[arg-type]


def touched(repo: loopintel.Repository, name: str) -> list[tuple[str, int]]:
    answer = repo.function(name).deprecation()
    return [(t.name, t.line) for t in answer.touches]


IMPORTS = """
import myapp
import myapp.legacy as ml
from myapp import legacy, legacyfoo
from myapp.legacy import helper

try:
    from myapp.legacy.fast import speedup
except ImportError:
    speedup = None


def uses_alias():
    return ml.f()


def uses_from():
    return helper(1)


def uses_module():
    return legacy.x


def uses_dotted():
    return myapp.legacy.x.g()


def imports_inside():
    import myapp.legacy.x as lx

    return lx.h()


def imports_from_inside():
    from myapp.legacy.x import h

    return 1


def similar_name():
    return legacyfoo.y()


def clean():
    return myapp.modern.f()


def shadowed(legacy):
    return legacy.x


def conditional_import():
    return speedup()


def outer():
    from myapp import legacy as old

    def inner():
        return old.z()

    return inner


class Service:
    def handle(self, x: ml.Thing) -> None:
        return None
"""


@pytest.fixture
def imports_repo(repo_builder: RepoBuilder, tmp_path: Path) -> loopintel.Repository:
    repo_builder.commit(
        {
            "myapp/__init__.py": "",
            "myapp/legacy/__init__.py": "def f():\n    return 1\n",
            "myapp/service.py": IMPORTS,
        }
    )
    return open_repo(repo_builder, tmp_path, deprecated=LEGACY)


def test_each_import_form_resolves_to_the_deprecated_name(
    imports_repo: loopintel.Repository,
) -> None:
    assert touched(imports_repo, "uses_alias") == [("myapp.legacy.f", 13)]
    assert touched(imports_repo, "uses_from") == [("myapp.legacy.helper", 17)]
    assert touched(imports_repo, "uses_module") == [("myapp.legacy.x", 21)]
    assert touched(imports_repo, "uses_dotted") == [("myapp.legacy.x.g", 25)]
    assert touched(imports_repo, "imports_inside") == [
        ("myapp.legacy.x", 29),
        ("myapp.legacy.x.h", 31),
    ]
    assert touched(imports_repo, "imports_from_inside") == [("myapp.legacy.x.h", 35)]
    # an import in a try block at module level binds too
    assert touched(imports_repo, "conditional_import") == [("myapp.legacy.fast.speedup", 53)]
    # annotations are part of the function
    assert touched(imports_repo, "Service.handle") == [("myapp.legacy.Thing", 66)]


def test_enclosing_functions_share_their_imports(imports_repo: loopintel.Repository) -> None:
    assert touched(imports_repo, "outer") == [("myapp.legacy", 57), ("myapp.legacy.z", 60)]
    assert touched(imports_repo, "outer.inner") == [("myapp.legacy.z", 60)]


def test_what_is_not_deprecated(imports_repo: loopintel.Repository) -> None:
    for name in ("similar_name", "clean", "shadowed"):
        answer = imports_repo.function(name).deprecation()
        assert answer.deprecated is False, name
        assert answer.touches == ()
    answer = imports_repo.function("uses_alias").deprecation()
    assert answer.deprecated is True
    assert not answer.marked
    assert answer.touches[0].prefix == "myapp.legacy"
    assert answer.prefixes == LEGACY
    assert answer.commit == imports_repo.head


def test_prefixes_match_whole_components() -> None:
    assert matching_prefix("myapp.legacy", LEGACY) == "myapp.legacy"
    assert matching_prefix("myapp.legacy.x.y", LEGACY) == "myapp.legacy"
    assert matching_prefix("myapp.legacyfoo", LEGACY) is None
    assert matching_prefix("myapp", LEGACY) is None
    assert matching_prefix("a.b.c", ("a", "a.b")) == "a.b"


def test_module_names_follow_packages() -> None:
    packages = {"src/myapp", "src/myapp/sub", "lib"}
    assert module_name("src/myapp/sub/mod.py", packages.__contains__) == "myapp.sub.mod"
    assert module_name("src/myapp/__init__.py", packages.__contains__) == "myapp"
    assert module_name("lib/x.py", packages.__contains__) == "lib.x"
    assert module_name("setup.py", packages.__contains__) == "setup"
    # no __init__.py: the directories are the (namespace) package, less src/
    assert module_name("src/ns/tool.py", packages.__contains__) == "ns.tool"


def test_relative_imports_resolve_against_the_package(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit(
        {
            "src/myapp/__init__.py": "",
            "src/myapp/legacy/__init__.py": "from .core import old\n\n\ndef shim():\n    return old()\n",
            "src/myapp/legacy/core.py": "def old():\n    return 1\n",
            "src/myapp/api/__init__.py": "",
            "src/myapp/api/views.py": (
                "from ..legacy import core\n"
                "from ...outside import nothing\n"
                "from . import helpers\n\n\n"
                "def show():\n    return core.old()\n\n\n"
                "def local():\n    from ..legacy.core import old\n\n    return helpers.x(old)\n"
            ),
        }
    )
    repo = open_repo(repo_builder, tmp_path, deprecated=LEGACY)
    assert touched(repo, "show") == [("myapp.legacy.core.old", 7)]
    assert touched(repo, "local") == [("myapp.legacy.core.old", 11), ("myapp.legacy.core.old", 13)]
    # inside the deprecated package itself: deprecated by where it is
    shim = repo.function("shim").deprecation()
    assert shim.within == "myapp.legacy"
    assert shim.deprecated is True
    assert shim.touches == (loopintel.DeprecatedName("myapp.legacy.core.old", 5, "myapp.legacy"),)


DECORATORS = """
import deprecated as dep_pkg
import deprecation
import typing_extensions
import warnings
from typing_extensions import deprecated as te_deprecated


@deprecated
def bare():
    pass


@deprecated("use new_call")
def called():
    pass


@typing_extensions.deprecated("use g")
def typing_ext():
    pass


@warnings.deprecated("since 3.13")
def stdlib():
    pass


@dep_pkg.deprecated(reason="gone in 2.0")
def package_deprecated():
    pass


@deprecation.deprecated(deprecated_in="1.0", details="use h")
def package_deprecation():
    pass


@te_deprecated(f"computed {1}")
def aliased():
    pass


@deprecated_since("1.0")
def other_name():
    pass


@property
def plain():
    pass
"""


def test_decorator_forms(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"deco.py": DECORATORS})
    repo = open_repo(repo_builder, tmp_path)
    expected = {
        "bare": ("deprecated", None),
        "called": ("deprecated", "use new_call"),
        "typing_ext": ("typing_extensions.deprecated", "use g"),
        "stdlib": ("warnings.deprecated", "since 3.13"),
        "package_deprecated": ("deprecated.deprecated", "gone in 2.0"),
        "package_deprecation": ("deprecation.deprecated", "use h"),
        "aliased": ("typing_extensions.deprecated", None),  # not a literal
    }
    for name, (decorator, message) in expected.items():
        answer = repo.function(name).deprecation()
        assert answer.deprecated is True, name
        assert answer.marked, name
        assert [(m.kind, m.name, m.message) for m in answer.marks] == [
            ("decorator", decorator, message)
        ], name
        assert answer.message == message
    for name in ("other_name", "plain"):
        answer = repo.function(name).deprecation()
        assert answer.marks == ()
        assert answer.deprecated is False


WARNINGS = '''
import warnings
import warnings as w2
from warnings import warn


class MyDeprecationWarning(DeprecationWarning):
    pass


def positional():
    warnings.warn("positional is deprecated", DeprecationWarning, stacklevel=2)


def keyword():
    warn("keyword", category=PendingDeprecationWarning)


def aliased():
    w2.warn("aliased", FutureWarning)


def instance():
    warnings.warn(DeprecationWarning("instance"))


def subclass():
    warnings.warn("subclass", MyDeprecationWarning)


def in_with():
    with open("x"):
        warnings.warn("in with", DeprecationWarning)


def conditional(x=None):
    if x is not None:
        warnings.warn("x is deprecated", DeprecationWarning)


def in_handler():
    try:
        pass
    except ImportError:
        warnings.warn("fallback", DeprecationWarning)


def other_category():
    warnings.warn("careful", UserWarning)
    warnings.warn("no category")


def decorator_factory(func):
    def wrapper(*args):
        warnings.warn("old", DeprecationWarning)
        return func(*args)

    return wrapper


def documented():
    """Do it the old way.

    .. deprecated:: 2.0
        Use ``new_way``
        instead.

    More text.
    """
'''


def test_warnings_and_docstrings_mark_a_function(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"warn.py": WARNINGS})
    repo = open_repo(repo_builder, tmp_path)

    def marks(name: str) -> list[tuple[str, str, int, str | None, bool]]:
        answer = repo.function(name).deprecation()
        return [(m.kind, m.name, m.line, m.message, m.conditional) for m in answer.marks]

    assert marks("positional") == [
        ("warning", "DeprecationWarning", 11, "positional is deprecated", False)
    ]
    assert marks("keyword") == [("warning", "PendingDeprecationWarning", 15, "keyword", False)]
    assert marks("aliased") == [("warning", "FutureWarning", 19, "aliased", False)]
    assert marks("instance") == [("warning", "DeprecationWarning", 23, "instance", False)]
    assert marks("subclass") == [("warning", "MyDeprecationWarning", 27, "subclass", False)]
    assert marks("in_with") == [("warning", "DeprecationWarning", 32, "in with", False)]
    assert marks("conditional") == [("warning", "DeprecationWarning", 37, "x is deprecated", True)]
    assert marks("in_handler") == [("warning", "DeprecationWarning", 44, "fallback", True)]
    assert marks("other_category") == []
    # the warning belongs to the wrapper, not to the function that builds it
    assert marks("decorator_factory") == []
    assert marks("decorator_factory.wrapper")[0][:3] == ("warning", "DeprecationWarning", 54)
    assert marks("documented") == [
        ("docstring", "deprecated", 63, "2.0: Use ``new_way`` instead.", False)
    ]
    conditional = repo.function("conditional").deprecation()
    assert not conditional.marked
    assert conditional.deprecated is False  # a deprecated argument, not the function
    assert conditional.message is None
    assert repo.function("positional").deprecation().to_dict()["marked"] is True


def test_an_unparseable_version_is_unknown_not_clean(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"old.py": 'def report(x):\n    print "value", x\n'})
    repo = open_repo(repo_builder, tmp_path, deprecated=LEGACY)
    view = repo.function("report")  # indexed through the tolerant parser
    answer = view.deprecation()
    assert answer.deprecated is None
    assert answer.unknown_reason is not None
    assert "syntax error line 2" in answer.unknown_reason
    assert answer.to_dict()["deprecated"] is None


PYPROJECT = """
[project]
name = "myapp"

[tool.loopintel]
deprecated = ["myapp.legacy", "oldlib"]
"""


def test_prefixes_come_from_pyproject_at_the_head(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit(
        {
            "app.py": "import oldlib\nimport myapp.legacy as ml\n\n\ndef run():\n    return oldlib.go(ml.x)\n"
        }
    )
    repo_builder.commit({"pyproject.toml": PYPROJECT})
    repo = open_repo(repo_builder, tmp_path)
    assert repo.deprecated_prefixes == ("myapp.legacy", "oldlib")
    assert touched(repo, "run") == [("myapp.legacy.x", 6), ("oldlib.go", 6)]
    # an explicit choice replaces the configured one
    assert repo.function("run").deprecation(prefixes="oldlib").prefixes == ("oldlib",)
    assert repo.function("run").deprecation(prefixes=()).deprecated is False
    repo.close()
    explicit = open_repo(repo_builder, tmp_path, deprecated=["oldlib"])
    assert explicit.deprecated_prefixes == ("oldlib",)
    assert touched(explicit, "run") == [("oldlib.go", 6)]
    with pytest.raises(loopintel.InvalidQuery, match="dotted module names"):
        explicit.function("run").deprecation(prefixes=["my app"])
    explicit.close()
    with pytest.raises(loopintel.InvalidQuery):
        open_repo(repo_builder, tmp_path, deprecated=["oldlib", ""])


def test_a_malformed_setting_names_every_problem(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"app.py": "def run():\n    return 1\n"})
    repo_builder.commit({"pyproject.toml": '[tool.loopintel]\ndeprecated = ["ok", 3, "a b"]\n'})
    repo = open_repo(repo_builder, tmp_path)
    with pytest.raises(loopintel.InvalidConfiguration) as error:
        repo.function("run").deprecation()
    assert "deprecated[1] = 3" in str(error.value)
    assert "deprecated[2] = 'a b'" in str(error.value)
    # marks alone need no configuration
    assert repo.function("run").deprecation(prefixes=()).deprecated is False
    repo_builder.commit({"pyproject.toml": "[tool.loopintel\n"})
    repo.update()
    with pytest.raises(loopintel.InvalidConfiguration, match="not valid TOML"):
        _ = repo.deprecated_prefixes


def test_past_and_deleted_functions_are_read_where_they_were(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    old = "import warnings\n\n\ndef load():\n    warnings.warn('use read', DeprecationWarning)\n    return 1\n"
    first = repo_builder.commit({"io.py": old, "gone.py": old.replace("load", "drop")})
    repo_builder.commit({"io.py": "def load():\n    return 1\n"})
    repo_builder.commit({"gone.py": None})
    repo = open_repo(repo_builder, tmp_path)
    assert repo.function("load").deprecation().marked is False  # at the head
    past = repo.function("load", at=first)
    assert past.at == first
    answer = past.deprecation()
    assert answer.marked
    assert answer.commit == first
    assert answer.message == "use read"
    deleted = repo.function("drop")
    assert not deleted.at_head
    gone = deleted.deprecation()
    assert gone.marked  # its last version, in the parent of the deleting commit
    assert gone.ref == loopintel.FunctionRef("gone.py", "drop")


def test_show_says_when_a_function_is_deprecated(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {
            "pyproject.toml": '[tool.loopintel]\ndeprecated = ["oldlib"]\n',
            "app.py": (
                "import oldlib\nimport warnings\n\n\n"
                "def run():\n    warnings.warn('use go', DeprecationWarning)\n    return oldlib.x()\n\n\n"
                "def fine():\n    return 1\n"
            ),
        }
    )
    index = str(tmp_path / "i.sqlite3")

    def show(*args: str) -> str:
        result = run_cli("show", *args, str(repo_builder.path), "--index-path", index)
        return result.stdout

    human = show("run")
    assert "  deprecated     marked (warning line 6): use go; uses oldlib.x (line 7)\n" in human
    assert "deprecated" not in show("fine")
    record = json.loads(show("run", "--json"))
    assert record["deprecation"]["deprecated"] is True
    assert record["deprecation"]["touches"] == [{"name": "oldlib.x", "line": 7, "prefix": "oldlib"}]
    assert json.loads(show("fine", "--json"))["deprecation"]["deprecated"] is False
