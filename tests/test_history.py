"""Extraction and lineage on constructed histories, checked against the reference."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import ChangeKind, ChangeType
from tests.reference import Reference, fast_keys

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder


def index(builder: RepoBuilder, tmp_path: Path, **options: object) -> loopintel.Repository:
    return loopintel.open(builder.path, index_path=tmp_path / "index.sqlite3", **options)  # type: ignore[arg-type]


def by_commit(repo: loopintel.Repository, sha: str) -> dict[str, loopintel.Change]:
    return {f"{c.path}::{c.qualname}": c for c in repo.changes() if c.commit == sha}


def assert_matches_reference(
    builder: RepoBuilder,
    repo: loopintel.Repository,
    *,
    first_parent: bool = False,
    max_file_bytes: int = 8_000_000,
) -> None:
    reference = Reference(
        str(builder.repo.path), first_parent=first_parent, max_file_bytes=max_file_bytes
    )
    assert builder.head is not None
    expected, unjudged = reference.run(builder.head)
    actual = fast_keys(repo.changes())
    actual = {k for k in actual if (k[0], k[2]) not in unjudged}
    expected = {k for k in expected if (k[0], k[2]) not in unjudged}
    assert actual == expected


APP_V1 = """
    import os


    def helper(x):
        return x + 1


    class Service:
        def start(self):
            return helper(1)

        def stop(self):
            return 0
"""


def test_added_modified_deleted_and_types(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    first = repo_builder.commit({"app.py": APP_V1})
    second = repo_builder.commit(
        {
            "app.py": """
            import os


            def helper(x, y=2):
                return x + y


            class Service:
                @property
                def start(self):
                    return helper(1)

                def status(self):
                    \"\"\"Report.\"\"\"
                    return "ok"
            """
        }
    )
    repo = index(repo_builder, tmp_path)
    introduced = by_commit(repo, first)
    assert set(introduced) == {"app.py::helper", "app.py::Service.start", "app.py::Service.stop"}
    assert all(c.kind is ChangeKind.ADDED for c in introduced.values())
    assert introduced["app.py::helper"].change_types == (ChangeType.INTRODUCED,)
    assert introduced["app.py::helper"].complexity == 1
    changed = by_commit(repo, second)
    assert changed["app.py::helper"].kind is ChangeKind.MODIFIED
    assert set(changed["app.py::helper"].change_types) == {ChangeType.SIGNATURE, ChangeType.BODY}
    assert changed["app.py::helper"].lines_added == 2
    assert changed["app.py::helper"].lines_removed == 2
    assert changed["app.py::Service.start"].change_types == (ChangeType.DECORATOR,)
    assert changed["app.py::Service.start"].start_line == 9  # spans start at the decorator
    assert changed["app.py::Service.stop"].kind is ChangeKind.DELETED
    assert changed["app.py::Service.status"].kind is ChangeKind.ADDED
    assert_matches_reference(repo_builder, repo)


def test_cosmetic_docstring_and_nested_change(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {
            "m.py": """
            def outer(a):
                \"\"\"Old doc.\"\"\"
                def inner(b):
                    return b * 2
                return inner(a)


            def tidy(x):
                return x
            """
        }
    )
    sha = repo_builder.commit(
        {
            "m.py": """
            def outer(a):
                \"\"\"New doc.\"\"\"
                def inner(b):
                    return b * 3
                return inner(a)


            def tidy(x):
                # a comment only
                return (x)
            """
        }
    )
    repo = index(repo_builder, tmp_path)
    changed = by_commit(repo, sha)
    assert set(changed["m.py::outer"].change_types) == {ChangeType.DOCSTRING, ChangeType.BODY}
    assert changed["m.py::outer.<locals>.inner"].change_types == (ChangeType.BODY,)
    assert changed["m.py::tidy"].change_types == (ChangeType.COSMETIC,)
    assert changed["m.py::tidy"].is_cosmetic
    assert [c.commit for c in repo.changes(cosmetic=False) if c.qualname == "tidy"] != [sha]


def test_function_rename_file_rename_and_move_keep_lineage(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    body = "".join(f"    total += {i} * value\n" for i in range(8))
    source = f"def compute(value):\n    total = 0\n{body}    return total\n"
    repo_builder.commit({"pkg/a.py": source, "pkg/other.py": "def keep():\n    return 1\n"})
    renamed = repo_builder.commit({"pkg/a.py": source.replace("def compute(", "def calculate(")})
    file_moved = repo_builder.commit(
        {"pkg/a.py": None, "pkg/b.py": source.replace("def compute(", "def calculate(")}
    )
    moved = repo_builder.commit(
        {
            "pkg/b.py": "X = 1\n",
            "lib/math.py": source.replace("def compute(", "def calculate(").replace(
                "return total", "return total + 1"
            ),
        }
    )
    repo = index(repo_builder, tmp_path)
    rename = by_commit(repo, renamed)["pkg/a.py::calculate"]
    assert rename.kind is ChangeKind.RENAMED
    assert rename.old_qualname == "compute"
    assert rename.change_types == (ChangeType.RENAME,)
    file_rename = by_commit(repo, file_moved)["pkg/b.py::calculate"]
    assert file_rename.kind is ChangeKind.MOVED
    assert file_rename.old_path == "pkg/a.py"
    assert file_rename.change_types == (ChangeType.FILE_RENAME,)
    move = by_commit(repo, moved)["lib/math.py::calculate"]
    assert move.kind is ChangeKind.MOVED
    assert set(move.change_types) == {ChangeType.MOVE, ChangeType.BODY}
    assert (move.lines_added, move.lines_removed) == (1, 1)
    lineages = {c.lineage for c in repo.changes(function="lib/math.py::calculate")}
    assert len(lineages) == 1
    history = list(repo.changes(function="lib/math.py::calculate"))
    assert [c.kind for c in history] == [
        ChangeKind.ADDED,
        ChangeKind.RENAMED,
        ChangeKind.MOVED,
        ChangeKind.MOVED,
    ]
    assert_matches_reference(repo_builder, repo)


def test_rename_with_edit_in_one_commit(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    lines = "".join(f"    step_{i} = {i}\n" for i in range(6))
    repo_builder.commit({"x.py": f"def load(path):\n{lines}    return path\n"})
    sha = repo_builder.commit({"x.py": f"def read(path, mode):\n{lines}    return path, mode\n"})
    repo = index(repo_builder, tmp_path)
    change = by_commit(repo, sha)["x.py::read"]
    assert change.kind is ChangeKind.RENAMED
    assert set(change.change_types) == {ChangeType.RENAME, ChangeType.SIGNATURE, ChangeType.BODY}
    assert len({c.lineage for c in repo.changes(path="x.py")}) == 1


def test_extract_method_is_not_a_move(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    work = "".join(f"    a{i} = {i} + x\n" for i in range(6))
    repo_builder.commit({"e.py": f"def big(x):\n{work}    return x\n"})
    sha = repo_builder.commit(
        {"e.py": f"def big(x):\n    return part(x)\n\n\ndef part(x):\n{work}    return x\n"}
    )
    repo = index(repo_builder, tmp_path)
    changed = by_commit(repo, sha)
    assert changed["e.py::big"].kind is ChangeKind.MODIFIED
    assert changed["e.py::part"].kind is ChangeKind.ADDED
    assert changed["e.py::part"].lineage != changed["e.py::big"].lineage


def test_delete_and_readd_starts_a_new_lineage(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"d.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n"})
    removed = repo_builder.commit({"d.py": "def g():\n    return 2\n"})
    readded = repo_builder.commit({"d.py": "def g():\n    return 2\n\n\ndef f():\n    return 1\n"})
    repo = index(repo_builder, tmp_path)
    assert by_commit(repo, removed)["d.py::f"].kind is ChangeKind.DELETED
    again = by_commit(repo, readded)["d.py::f"]
    assert again.kind is ChangeKind.ADDED
    first = next(c for c in repo.changes() if c.qualname == "f")
    assert first.lineage != again.lineage


def test_merge_records_only_conflict_resolutions(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    base = repo_builder.commit({"s.py": "def a():\n    return 1\n\n\ndef b():\n    return 2\n"})
    left = repo_builder.commit(
        {"s.py": "def a():\n    return 10\n\n\ndef b():\n    return 2\n"}, "left"
    )
    repo_builder.checkout_files(base)
    right = repo_builder.commit(
        {"s.py": "def a():\n    return 20\n\n\ndef b():\n    return 3\n"}, "right", ref=None
    )
    repo_builder.checkout_files(left)
    merge = repo_builder.commit(
        {"s.py": "def a():\n    return 30\n\n\ndef b():\n    return 3\n"},
        "merge",
        parents=[left, right],
    )
    repo = index(repo_builder, tmp_path)
    merged = by_commit(repo, merge)
    assert set(merged) == {"s.py::a"}  # b came from the right branch unchanged
    assert merged["s.py::a"].kind is ChangeKind.MODIFIED
    assert merged["s.py::a"].parent == left
    assert_matches_reference(repo_builder, repo)
    lineages = {c.lineage for c in repo.changes(function="s.py::a")}
    assert len(lineages) == 1
    assert {f.qualname for f in repo.functions()} == {"a", "b"}


def test_first_parent_mode_compares_merges_with_first_parent(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    base = repo_builder.commit({"s.py": "def a():\n    return 1\n"})
    side = repo_builder.commit({"t.py": "def t():\n    return 1\n"}, "side", ref=None)
    repo_builder.checkout_files(base)
    main = repo_builder.commit({"u.py": "def u():\n    return 1\n"}, "main")
    repo_builder.checkout_files(main)
    repo_builder.files["t.py"] = b"def t():\n    return 1\n"
    merge = repo_builder.commit({}, "merge", parents=[main, side])
    repo = index(repo_builder, tmp_path, first_parent=True)
    assert side not in {c.commit for c in repo.changes()}
    assert set(by_commit(repo, merge)) == {"t.py::t"}
    assert_matches_reference(repo_builder, repo, first_parent=True)


def test_messy_history_never_stops_indexing(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {
            "py2.py": "def old(x):\n    print x\n    return `x`\n",
            "latin.py": "# -*- coding: latin-1 -*-\ndef caf\u00e9():\n    return '\u00e9'\n".encode(
                "latin-1"
            ),
            "crlf.py": b"def win():\r\n    return 1\r\n",
            "binary.py": b"\x00\x01\x02def x(): pass\n",
            "link.py": ("link", "crlf.py"),
            "vendor": ("submodule", "a" * 40),
            "huge.py": "def big():\n    return 1\n" + "X = 1\n" * 2000,
        }
    )
    broken = repo_builder.commit({"py2.py": "def old(x):\n    print x\n    return (\n"})
    fixed = repo_builder.commit({"py2.py": "def old(x):\n    print(x)\n    return x\n"})
    repo = index(repo_builder, tmp_path, max_file_bytes=5000)
    names = {f"{f.path}::{f.qualname}" for f in repo.functions()}
    assert {"py2.py::old", "latin.py::caf\u00e9", "crlf.py::win"} <= names
    skipped = {(s.path, s.reason.split(" ")[0]) for s in repo.skipped()}
    assert ("binary.py", "binary") in skipped
    assert ("huge.py", "too") in skipped
    assert ("link.py", "symlink") in skipped
    assert ("py2.py", "syntax") in skipped
    assert by_commit(repo, broken) == {}
    # the fix is compared with the last readable version, not taken as new code
    assert by_commit(repo, fixed)["py2.py::old"].kind is ChangeKind.MODIFIED
    assert_matches_reference(repo_builder, repo, max_file_bytes=5000)


def test_ten_thousand_file_commit(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    files = {f"gen/m{i:05d}.py": f"def f{i}():\n    return {i}\n" for i in range(10_000)}
    sha = repo_builder.commit(files)
    repo = index(repo_builder, tmp_path)
    assert len(by_commit(repo, sha)) == 10_000
    assert len(repo.functions(path="gen")) == 10_000


def test_mailmap_and_time_offsets(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {
            ".mailmap": "Ada Lovelace <ada@example.com> <ada@old.example>\n",
            "a.py": "def a():\n    return 1\n",
        },
        author=("ada", "ada@old.example"),
        offset=-300,
    )
    repo = index(repo_builder, tmp_path)
    change = next(repo.changes())
    assert (change.author_name, change.author_email) == ("Ada Lovelace", "ada@example.com")
    offset = change.authored_at.utcoffset()
    assert offset is not None
    assert offset.total_seconds() == -300 * 60
    assert change.to_dict()["authored_at"].endswith("-05:00")


@pytest.mark.parametrize("seed", range(3))
def test_random_histories_match_reference(
    repo_builder: RepoBuilder, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    bodies = [
        "return x",
        "return x + 1",
        "y = x * 2\n    return y",
        "if x:\n        return 1\n    return 0",
    ]
    state: dict[str, dict[str, str]] = {}
    for _step in range(25):
        path = f"p{rng.randrange(3)}.py"
        funcs = state.setdefault(path, {})
        action = rng.random()
        if action < 0.4 or not funcs:
            funcs[f"f{rng.randrange(6)}"] = rng.choice(bodies)
        elif action < 0.7:
            funcs[rng.choice(sorted(funcs))] = rng.choice(bodies)
        elif action < 0.85:
            del funcs[rng.choice(sorted(funcs))]
        else:
            other = f"p{rng.randrange(3)}.py"
            name = rng.choice(sorted(funcs))
            state.setdefault(other, {})[name + "_m"] = funcs.pop(name)
        files = {
            p: "".join(f"def {n}(x):\n    {b}\n\n\n" for n, b in sorted(fs.items())) or None
            for p, fs in state.items()
        }
        repo_builder.commit(files)
    repo = index(repo_builder, tmp_path)
    assert_matches_reference(repo_builder, repo)


def test_short_functions_follow_only_unambiguous_renames(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit(
        {
            "svc.py": "class Service:\n    def start(self):\n        return 'started'\n\n    def a(self):\n        pass\n\n    def b(self):\n        pass\n",
        }
    )
    sha = repo_builder.commit(
        {
            "svc.py": "class Service:\n    def run(self):\n        return 'started'\n\n    def c(self):\n        pass\n\n    def d(self):\n        pass\n",
        }
    )
    repo = index(repo_builder, tmp_path)
    changed = by_commit(repo, sha)
    assert changed["svc.py::Service.run"].kind is ChangeKind.RENAMED
    # two identical one-line bodies went and came: no evidence which is which
    assert {changed[f"svc.py::Service.{n}"].kind for n in "cd"} == {ChangeKind.ADDED}
    assert {changed[f"svc.py::Service.{n}"].kind for n in "ab"} == {ChangeKind.DELETED}


def test_porting_a_python2_function_is_classified_by_one_reader(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit(
        {
            "a.py": 'def f(a, b=1):\n    print "hi"\n',
            "b.py": 'def g():\n    """Doc."""\n    return 1\n',
        }
    )
    ported = repo_builder.commit({"a.py": 'def f(a, b=1):\n    print("hi")\n'})
    back = repo_builder.commit({"b.py": 'def g():\n    r"""Doc."""\n    print "x"\n    return 1\n'})
    repo = index(repo_builder, tmp_path)
    assert by_commit(repo, ported)["a.py::f"].change_types == (ChangeType.BODY,)
    # the tolerant reader compares string tokens as written: r-prefix counts
    assert set(by_commit(repo, back)["b.py::g"].change_types) == {
        ChangeType.BODY,
        ChangeType.DOCSTRING,
    }


def test_a_move_with_formatting_edits_is_cosmetic_too(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    body = "".join(f"    v{i} = {i}\n" for i in range(6))
    keep = "".join(f"def keep{i}():\n    return {i}\n\n\n" for i in range(8))
    repo_builder.commit({"a.py": f"{keep}def f():\n{body}    return 0\n"})
    sha = repo_builder.commit(
        {"a.py": keep, "lib/b.py": f"def f():\n    # moved here\n{body}    return 0\n"}
    )
    repo = index(repo_builder, tmp_path)
    change = by_commit(repo, sha)["lib/b.py::f"]
    assert set(change.change_types) == {ChangeType.MOVE, ChangeType.COSMETIC}


def test_mailmap_emails_match_case_insensitively(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {"a.py": "def a():\n    return 1\n"}, author=("Old Name", "Old@Example.com")
    )
    repo_builder.commit(
        {
            ".mailmap": "New Name <new@example.com> <old@example.com>\n",
            "b.py": "def b():\n    return 1\n",
        },
        author=("New Name", "new@example.com"),
    )
    repo = index(repo_builder, tmp_path)
    assert {(c.author_name, c.author_email) for c in repo.changes()} == {
        ("New Name", "new@example.com")
    }


def test_a_changed_mailmap_applies_to_commits_already_indexed(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"a.py": "def a():\n    return 1\n"}, author=("Zed", "zed@example.com"))
    first = index(repo_builder, tmp_path)
    assert next(first.changes()).author_name == "Zed"
    first.close()
    repo_builder.commit({".mailmap": "Zed Real <zed.real@example.com> <zed@example.com>\n"})
    with loopintel.open(repo_builder.path, index_path=tmp_path / "index.sqlite3") as again:
        incremental = [c.to_dict() for c in again.changes()]
    assert incremental[0]["author_name"] == "Zed Real"
    assert incremental[0]["author_email"] == "zed.real@example.com"
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert [c.to_dict() for c in fresh.changes()] == incremental


def test_overload_stubs_added_above_keep_the_implementation_history(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    impl = "def parse(x):\n    return int(x)\n"
    repo_builder.commit({"p.py": "from typing import overload\n\n\n" + impl})
    sha = repo_builder.commit(
        {
            "p.py": "from typing import overload\n\n\n@overload\ndef parse(x: int) -> int: ...\n@overload\ndef parse(x: str) -> int: ...\n"
            + impl
        }
    )
    repo = index(repo_builder, tmp_path)
    changed = by_commit(repo, sha)
    assert set(changed) == {"p.py::parse#overload", "p.py::parse#overload2"}
    assert {c.kind for c in changed.values()} == {ChangeKind.ADDED}
    assert [c.kind for c in repo.changes(function="p.py::parse")] == [ChangeKind.ADDED]
