"""The pure parts of frame resolution: printed paths, names, code lines, release strings."""

from __future__ import annotations

import pytest

from loopintel.analysis.frames import (
    PathIndex,
    code_matches,
    is_release_tag,
    module_parts,
    name_matches,
    printed_parts,
    release_tags,
    version_of_tag,
)


@pytest.mark.parametrize(
    ("printed", "parts"),
    [
        ("/srv/app/src/pkg/app.py", ("srv", "app", "src", "pkg", "app.py")),
        ("./pkg/app.py", ("pkg", "app.py")),
        ("pkg//app.py", ("pkg", "app.py")),
        (r"C:\deploy\pkg\app.py", ("deploy", "pkg", "app.py")),
        (r"c:\Python311\Lib\site-packages\pkg\app.py", ("pkg", "app.py")),
        ("/venv/lib/python3.11/site-packages/pkg/sub/m.py", ("pkg", "sub", "m.py")),
        ("/usr/lib/python3/dist-packages/pkg/app.py", ("pkg", "app.py")),
        # the last site-packages counts (a virtualenv inside a checkout)
        ("/x/site-packages/y/site-packages/pkg/app.py", ("pkg", "app.py")),
        ("<frozen importlib._bootstrap>", ()),
        ("<string>", ()),
        ("", ()),
    ],
)
def test_printed_parts(printed: str, parts: tuple[str, ...]) -> None:
    assert printed_parts(printed) == parts


def test_module_parts() -> None:
    assert module_parts("pkg.app") == (("pkg", "app.py"), ("pkg", "app", "__init__.py"))
    assert module_parts("app") == (("app.py",), ("app", "__init__.py"))
    assert module_parts("not a module") == ()
    assert module_parts("") == ()


PATHS = (
    "src/pkg/app.py",
    "src/pkg/__init__.py",
    "pkg/util.py",
    "vendor/pkg/util.py",
    "docs/conf.py",
    "setup.py",
)


@pytest.mark.parametrize(
    ("printed", "paths", "length"),
    [
        # an installed package: the src/ prefix is not printed
        ("/venv/lib/site-packages/pkg/app.py", ("src/pkg/app.py",), 2),
        # deployed under some directory: the whole repository path is printed
        ("/srv/release-12/src/pkg/app.py", ("src/pkg/app.py",), 3),
        ("/srv/release-12/setup.py", ("setup.py",), 1),
        # equally long suffixes: ambiguous
        ("/venv/lib/site-packages/pkg/util.py", ("pkg/util.py", "vendor/pkg/util.py"), 2),
        # the longer suffix wins
        ("/opt/vendor/pkg/util.py", ("vendor/pkg/util.py",), 3),
        # one generic component of a longer printed path is no match
        ("/usr/lib/python3.11/logging/__init__.py", (), 0),
        ("/usr/lib/python3.11/conf.py", (), 0),
        ("/usr/lib/python3.11/json/decoder.py", (), 0),
        # a bare relative name matches every file of that name
        ("util.py", ("pkg/util.py", "vendor/pkg/util.py"), 1),
        ("<string>", (), 0),
    ],
)
def test_longest_suffix(printed: str, paths: tuple[str, ...], length: int) -> None:
    match = PathIndex(PATHS).match(printed_parts(printed))
    assert match.paths == paths
    assert match.length == length


def test_whole_suffixes_for_module_names() -> None:
    index = PathIndex(PATHS)
    assert index.match(("pkg", "app.py"), whole=True).paths == ("src/pkg/app.py",)
    # "app.py" alone would match; "other/app.py" must match whole
    assert index.match(("other", "app.py"), whole=True).paths == ()


@pytest.mark.parametrize(
    ("printed", "qualname", "expected"),
    [
        ("run", "App.run", True),
        ("App.run", "App.run", True),
        ("Outer.App.run", "App.run", False),
        ("run", "App.runner", False),
        ("inner", "outer.<locals>.inner", True),
        ("outer.<locals>.inner", "outer.<locals>.inner", True),
        ("outer.inner", "outer.<locals>.inner", True),
        ("value", "A.value#setter", True),
        ("f", "f#2", True),
        ("Other.run", "App.run", False),
        ("", "f", False),
    ],
)
def test_name_matches(printed: str, qualname: str, *, expected: bool) -> None:
    assert name_matches(printed, qualname) is expected


def test_code_matches() -> None:
    assert code_matches("return f(x)", "        return f(x)")
    assert code_matches("return  f(x)", "return f(x)\r")
    assert code_matches("rv = build(\n    endpoint)", "    rv = build(")
    assert not code_matches("return f(y)", "        return f(x)")


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("release-1.2.3", "1.2.3"),
        ("pkg-1.2.3", "1.2.3"),
        ("my_pkg_1.2.3", "1.2.3"),
        ("pkg/v2.0", "2.0"),
        ("nightly", None),
    ],
)
def test_version_of_tag(tag: str, version: str | None) -> None:
    assert version_of_tag(tag) == version


def test_release_tags() -> None:
    tags = ["0.9", "1.2.3", "v1.2.3", "pkg-1.2.3", "release-1.2.4", "1.2.x", "v1.2.30"]
    assert release_tags("1.2.3", tags) == ("1.2.3",)  # the tag of that very name
    assert release_tags("v1.2.3", tags) == ("v1.2.3",)
    assert release_tags("1.2.4", tags) == ("release-1.2.4",)
    assert release_tags("v1.2.4", tags) == ("release-1.2.4",)
    assert release_tags("pkg@1.2.4", tags) == ("release-1.2.4",)
    assert release_tags("other-1.2.4", tags) == ("release-1.2.4",)
    assert release_tags("1.2", tags) == ()
    assert release_tags("2.0", tags) == ()
    assert release_tags("nightly", tags) == ()
    without_plain = [t for t in tags if t != "1.2.3"]
    assert release_tags("1.2.3", without_plain) == ("v1.2.3", "pkg-1.2.3")


def test_release_tags_are_told_from_lines() -> None:
    assert is_release_tag("2.0.3")
    assert is_release_tag("v2.0rc1")
    assert is_release_tag("pkg-1.2.3.post1")
    assert not is_release_tag("2.0.x")
    assert not is_release_tag("nightly")
