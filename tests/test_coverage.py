"""Coverage: coverage.py run for real, imported in four formats, mapped to functions."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import coverage
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loopintel
from loopintel.analysis.coverage import Body, per_function
from loopintel.snapshots import match_paths
from loopintel.sources.coverage import read_coverage
from loopintel.store import decode_lines, encode_lines
from tests.cli_runner import run_cli
from tests.conftest import RepoBuilder

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CALC = """\
import functools


def add(a, b):
    return a + b


def unused(x):
    if x:
        return 1
    return 2


def partial(x):
    if x > 0:
        return "pos"
    return "neg"


def outer(n):
    def inner(m):
        return m * 2

    return inner(n) + 1


def one_liner(): return 1


class Box:
    @property
    def size(self):
        return 3

    @functools.lru_cache(maxsize=None)
    def cached(
        self, k
    ):
        \"\"\"Doc.\"\"\"
        return k


HANDLERS = []


def register():
    HANDLERS.append(
        lambda: "called"
    )
"""

TESTS = """\
from pkg.calc import HANDLERS, add, outer, partial, register


def test_add():
    assert add(1, 2) == 3


def test_partial():
    assert partial(1) == "pos"


def test_outer():
    assert outer(1) == 3


def test_register():
    register()


def test_call():
    assert HANDLERS[0]() == "called"
"""

# (covered, coverable, missing lines) per function, counted by hand from CALC and
# TESTS: only body lines count; `outer` owns the `def inner` line (it runs when outer
# runs) but not inner's body; the one-liner's body is on its def line.
EXPECTED = {
    "add": (1, 1, ()),
    "unused": (0, 3, (9, 10, 11)),
    "partial": (2, 3, (17,)),
    "outer": (2, 2, ()),
    "outer.<locals>.inner": (1, 1, ()),
    "one_liner": (0, 0, ()),
    "Box.size": (0, 1, (33,)),
    "Box.cached": (0, 1, (40,)),
    "register": (1, 1, ()),
}
TESTS_OF = {
    "add": ("test_calc.test_add",),
    "partial": ("test_calc.test_partial",),
    "outer": ("test_calc.test_outer",),
    "outer.<locals>.inner": ("test_calc.test_outer",),
    # The lambda's line runs in test_call; it is part of register's one statement.
    "register": ("test_calc.test_call", "test_calc.test_register"),
}
FILES = {
    ".coverage": "coverage.py",
    "coverage.json": "json",
    "coverage.xml": "cobertura",
    "coverage.lcov": "lcov",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    """A small package, committed, with its tests run under coverage.py (per-test contexts)."""
    builder = RepoBuilder(tmp_path_factory.mktemp("project") / "repo")
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "tests/test_calc.py": TESTS,
        ".coveragerc": "[run]\ndynamic_context = test_function\nsource = pkg\n",
    }
    builder.commit({**files}, at=1_700_000_000)
    for path, text in files.items():
        target = builder.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    # The tests run for real under coverage.py, in their own process; the reports are
    # written from that data by coverage.py's API, as its command line would.
    coverage_run = [sys.executable, "-m", "coverage", "run"]
    subprocess.run(
        [*coverage_run, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=builder.path,
        # The project's tests need no plugin; loading the installed ones (Hypothesis's
        # among them) under coverage's tracer took seconds.
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        check=True,
        capture_output=True,
    )
    with contextlib.chdir(builder.path):  # reports name files relative to the directory
        data = coverage.Coverage()
        data.load()
        data.json_report(outfile="coverage.json", show_contexts=True)
        data.xml_report(outfile="coverage.xml")
        data.lcov_report(outfile="coverage.lcov")
    return builder


@pytest.fixture
def repo(project: RepoBuilder, tmp_path: Path) -> Iterator[loopintel.Repository]:
    with loopintel.open(project.path, index_path=tmp_path / "index.sqlite3") as opened:
        yield opened


def _numbers(view: loopintel.FunctionView) -> dict[str, tuple[int, int, tuple[int, ...]]]:
    return {c.format: (c.covered, c.coverable, c.missing) for c in view.coverage_history()}


def test_each_format_gives_the_same_numbers_per_function(
    repo: loopintel.Repository, project: RepoBuilder
) -> None:
    for name, fmt in FILES.items():
        snapshot = repo.import_coverage(project.path / name)
        assert snapshot.format == fmt
        assert snapshot.commit == project.head
        assert (snapshot.files, snapshot.functions) == (2, 9)
        assert (snapshot.covered_lines, snapshot.coverable_lines) == (20, 26)
        assert snapshot.unmatched == ()
        assert snapshot.stale == ()
    for qualname, expected in EXPECTED.items():
        view = repo.function(f"pkg/calc.py::{qualname}")
        numbers = _numbers(view)
        assert set(numbers) == set(FILES.values())
        assert set(numbers.values()) == {expected}, qualname


def test_per_test_contexts_name_the_tests(repo: loopintel.Repository, project: RepoBuilder) -> None:
    for name in FILES:
        repo.import_coverage(project.path / name)
    for qualname in EXPECTED:
        history = repo.function(f"pkg/calc.py::{qualname}").coverage_history()
        by_format = {c.format: c.tests for c in history}
        expected = TESTS_OF.get(qualname, ())
        assert by_format["coverage.py"] == expected
        assert by_format["json"] == expected
        # Cobertura and LCOV have no per-test data: unknown, not "no test".
        assert by_format["cobertura"] is None
        assert by_format["lcov"] is None


def test_the_def_line_does_not_make_a_function_covered(
    repo: loopintel.Repository, project: RepoBuilder
) -> None:
    repo.import_coverage(project.path / "coverage.json")
    raw = json.loads((project.path / "coverage.json").read_text())["files"]["pkg/calc.py"]
    assert 8 in raw["executed_lines"]  # `def unused` ran, at import
    coverage = repo.function("unused").coverage
    assert coverage is not None
    assert (coverage.covered, coverage.ratio) == (0, 0.0)
    one_liner = repo.function("one_liner").coverage
    assert one_liner is not None
    assert one_liner.ratio is None


def test_no_data_is_none_not_zero(repo: loopintel.Repository, project: RepoBuilder) -> None:
    assert repo.function("partial").coverage is None
    repo.import_coverage(project.path / "coverage.json")
    # The tests' own files were not measured (source = pkg).
    assert repo.function("test_add").coverage is None
    coverage = repo.function("partial").coverage
    assert coverage is not None
    assert coverage.ratio == pytest.approx(2 / 3)
    assert coverage.commit == project.head
    assert coverage.ref == loopintel.FunctionRef("pkg/calc.py", "partial")


def _lcov(path: str, hits: dict[int, int]) -> str:
    lines = "".join(f"DA:{line},{count}\n" for line, count in sorted(hits.items()))
    return f"TN:\nSF:{path}\n{lines}end_of_record\n"


def test_snapshots_follow_a_function_across_a_rename_and_move(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    first = repo_builder.commit({"a.py": "def load(x):\n    y = x\n    return y\n"})
    second = repo_builder.commit(
        {"a.py": None, "b.py": "def read(x):\n    y = x\n    return y\n"}, message="rename"
    )
    old = tmp_path / "old.lcov"
    old.write_text(_lcov("a.py", {1: 1, 2: 0, 3: 0}))
    new = tmp_path / "new.lcov"
    new.write_text(_lcov("/elsewhere/checkout/b.py", {1: 1, 2: 1, 3: 1}))
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        # Imported newest first: ordering is by the commit measured, not import order.
        assert repo.import_coverage(new).commit == second
        assert repo.import_coverage(old, commit=first).commit == first
        view = repo.function("b.py::read")
        history = view.coverage_history()
        assert [(c.commit, c.ref.path, c.ref.qualname, c.covered) for c in history] == [
            (second, "b.py", "read", 2),
            (first, "a.py", "load", 0),
        ]
        assert view.coverage == history[0]


def test_paths_are_found_in_the_commit_tree() -> None:
    tree = ["src/pkg/__init__.py", "src/pkg/app.py", "pkg/app.py", "tools/app.py", "x.py"]
    found = match_paths(
        [
            "/home/ci/build/src/pkg/app.py",  # another checkout: longest tree suffix
            "pkg/__init__.py",  # relative to a source directory
            "app.py",  # three candidates: not guessed
            "/usr/lib/python3/site.py",
            "./x.py",
            "mod/util.py",
        ],
        tree,
        roots=["/home/ci/build/tools"],
        workdir=None,
    )
    assert found == {
        "/home/ci/build/src/pkg/app.py": "src/pkg/app.py",
        "pkg/__init__.py": "src/pkg/__init__.py",
        "app.py": "tools/app.py",  # the data's root makes it exact
        "./x.py": "x.py",
    }


def test_cobertura_sources_and_absolute_paths(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"src/lib/core.py": "def f():\n    return 1\n"})
    xml = tmp_path / "cov.xml"
    xml.write_text(
        '<?xml version="1.0" ?><coverage timestamp="1700000000000"><sources>'
        f"<source>{repo_builder.path}/src</source></sources><packages><package><classes>"
        '<class filename="lib/core.py"><lines><line number="2" hits="3"/></lines></class>'
        '<class filename="other/gen.py"><lines><line number="1" hits="1"/></lines></class>'
        "</classes></package></packages></coverage>"
    )
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        snapshot = repo.import_coverage(xml)
        assert snapshot.unmatched == ("other/gen.py",)
        assert snapshot.measured_at is not None
        assert snapshot.measured_at.timestamp() == 1_700_000_000
        coverage = repo.function("f").coverage
        assert coverage is not None
        assert (coverage.covered, coverage.coverable) == (1, 1)


def test_data_from_other_source_is_flagged_stale(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"m.py": "def f():\n    return 1\n"})
    lcov = tmp_path / "c.lcov"
    lcov.write_text(_lcov("m.py", {2: 1, 7: 1}))
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        assert repo.import_coverage(lcov).stale == ("m.py",)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.json", '{"files": {"a.py": {"executed_lines": [1, "x"]}}}', "executed_lines"),
        ("c.json", '{"files": ', "line 1 column 11"),
        ("c.json", '{"meta": {}}', "no 'files' object"),
        ("c.lcov", "SF:a.py\nDA:1\nend_of_record\n", "line 2"),
        ("c.lcov", "DA:1,1\n", "outside a file record"),
        ("c.lcov", "SF:a.py\nDA:1,1\nend_of_record\nSF:b.py\nDA:1,1\n", "truncated"),
        ("c.lcov", "SF:a.py\nDA:1,1\nSF:b.py\nend_of_record\n", r"a\.py \(line 1\) has no end_of"),
        ("c.lcov", "TN:\n", "no file records"),
        ("c.xml", "<coverage><packages>", "malformed XML"),
        ("c.xml", "<report/>", "not <coverage>"),
        ("c.txt", "hello\n", r"not coverage data of a known format \(coverage\.py, json"),
    ],
)
def test_bad_files_say_what_and_where(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    bad = tmp_path / name
    bad.write_text(content)
    with pytest.raises(loopintel.CoverageDataError, match=message) as caught:
        read_coverage(bad)
    assert str(bad) in str(caught.value)


def test_a_failed_import_stores_nothing(
    repo: loopintel.Repository, project: RepoBuilder, tmp_path: Path
) -> None:
    repo.import_coverage(project.path / "coverage.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(loopintel.CoverageDataError):
        repo.import_coverage(bad)
    with pytest.raises(loopintel.UnknownRef):
        repo.import_coverage(project.path / "coverage.json", commit="0" * 40)
    assert len(repo.coverage_snapshots()) == 1


def test_snapshots_survive_a_rebuild_of_the_index(project: RepoBuilder, tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    with loopintel.open(project.path, index_path=index) as repo:
        repo.import_coverage(project.path / ".coverage")
        before = repo.function("partial").coverage
    db = sqlite3.connect(index)
    db.execute("PRAGMA user_version=1")  # as if written by an older loopintel
    db.close()
    with loopintel.open(project.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 1  # history rebuilt from git
        assert repo.function("partial").coverage == before
    with loopintel.open(project.path, index_path=index, update=False) as repo:
        assert repo.function("partial").coverage == before
        with pytest.raises(loopintel.IndexLocationError, match="read-only"):
            repo.import_coverage(project.path / ".coverage")


def test_an_index_from_before_coverage_reads_as_no_data(
    project: RepoBuilder, tmp_path: Path
) -> None:
    index = tmp_path / "index.sqlite3"
    loopintel.open(project.path, index_path=index).close()
    db = sqlite3.connect(index)
    for table in ("coverage_functions", "coverage_files", "coverage_snapshots"):
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    with loopintel.open(project.path, index_path=index, update=False) as repo:
        assert repo.function("partial").coverage is None
        assert repo.coverage_snapshots() == []


def test_values_read_well(repo: loopintel.Repository, project: RepoBuilder) -> None:
    snapshot = repo.import_coverage(project.path / ".coverage")
    coverage = repo.function("partial").coverage
    assert coverage is not None
    record = coverage.to_dict()
    assert record["ref"] == "pkg/calc.py::partial"
    assert record["ratio"] == pytest.approx(2 / 3)
    assert json.loads(json.dumps(record)) == record
    assert json.loads(json.dumps(snapshot.to_dict()))["files"] == 2
    assert "FunctionCoverage(" in repr(coverage)
    assert repo.coverage_snapshots().to_records()[0]["id"] == snapshot.id


def test_cli_imports_lists_and_shows(project: RepoBuilder, tmp_path: Path) -> None:
    index = str(tmp_path / "index.sqlite3")

    where = [str(project.path), "--index-path", index]
    done = run_cli("coverage", "import", str(project.path / "coverage.xml"), *where, "--json")
    assert json.loads(done.stdout)["format"] == "cobertura"
    human = run_cli("coverage", "import", str(project.path / ".coverage"), *where)
    assert human.stdout.startswith("imported snapshot 2: coverage.py")
    listed = run_cli("coverage", "list", *where, "--json").stdout.splitlines()
    assert [json.loads(line)["id"] for line in listed] == [1, 2]
    shown = run_cli("show", "partial", *where).stdout
    assert "coverage       67% (2/3 lines, 1 test)" in shown
    as_json = json.loads(run_cli("show", "partial", *where, "--json").stdout)
    assert as_json["coverage"]["tests"] == ["test_calc.test_partial"]
    missing = run_cli("coverage", "import", str(tmp_path / "none.lcov"), *where, check=False)
    assert missing.exit_code == 1
    assert "No such file" in missing.stderr


# -- the mapping, by hand ------------------------------------------------------------------


def test_lines_belong_to_the_innermost_body() -> None:
    source = textwrap.dedent(
        """\
        def outer():          # 1
            x = 1             # 2
            @wrap             # 3
            def inner(        # 4
                a,            # 5
            ):                # 6
                return a      # 7
            return inner      # 8
        """
    )
    assert source.count("\n") == 8
    bodies = [Body(1, 8, 2), Body(3, 7, 7)]
    coverable = {1, 2, 3, 4, 7, 8}
    contexts = {2: frozenset({"t1"}), 7: frozenset({"t2"}), 8: frozenset({"t1"})}
    outer, inner = per_function(bodies, {1, 2, 3, 4, 8}, coverable, contexts)
    # Lines 3-4 (inner's decorator and def) run with outer, so they are outer's.
    assert outer == (4, 4, (), frozenset({"t1"}))
    assert inner == (0, 1, (7,), frozenset())
    assert per_function(bodies, set(), coverable)[0].tests is None


def test_lines_past_the_functions_are_nobodys() -> None:
    assert per_function([Body(1, 2, 2)], {2, 50}, {2, 50}) == [(1, 1, (), None)]
    assert per_function([], {1}, {1}) == []


@given(st.sets(st.integers(min_value=1, max_value=5000), max_size=200))
def test_line_ranges_round_trip(lines: set[int]) -> None:
    text = encode_lines(lines)
    assert decode_lines(text) == tuple(sorted(lines))
    assert len(text) <= len(",".join(map(str, sorted(lines))))


def test_data_of_another_repository_is_refused(repo: loopintel.Repository, tmp_path: Path) -> None:
    other = tmp_path / "other.lcov"
    other.write_text(_lcov("/src/elsewhere/server.py", {1: 1}))
    with pytest.raises(loopintel.CoverageDataError, match="none of its 1 measured files"):
        repo.import_coverage(other)
    report = tmp_path / "c.json"
    report.write_text('{"files": {}}')
    with pytest.raises(loopintel.CoverageDataError, match="no file records"):
        repo.import_coverage(report, format="lcov")  # the wrong format
    with pytest.raises(loopintel.CoverageDataError, match="measured no files"):
        repo.import_coverage(report)
    assert repo.coverage_snapshots() == []


def test_importing_the_same_file_twice_keeps_one_snapshot(
    repo: loopintel.Repository, project: RepoBuilder
) -> None:
    first = repo.import_coverage(project.path / "coverage.lcov")
    again = repo.import_coverage(project.path / "coverage.lcov")
    assert again == first
    assert len(repo.coverage_snapshots()) == 1
    repo.delete_coverage(first.id)
    assert repo.coverage_snapshots() == []
    assert repo.function("partial").coverage is None
    with pytest.raises(loopintel.InvalidQuery, match="snapshot"):
        repo.delete_coverage(first.id)


def test_snapshots_of_commits_outside_the_index_are_kept_unused(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"m.py": "def f():\n    return 1\n"})
    second = repo_builder.commit({"m.py": "def f():\n    return 2\n"})
    lcov = tmp_path / "c.lcov"
    lcov.write_text(_lcov("m.py", {2: 1}))
    index = tmp_path / "i.sqlite3"
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.import_coverage(lcov).commit == second
    with loopintel.open(repo_builder.path, index_path=index, ref="HEAD~1") as repo:
        assert repo.function("f").coverage is None  # measured at a commit not indexed now
        assert [s.commit for s in repo.coverage_snapshots()] == [second]
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        coverage = repo.function("f").coverage
        assert coverage is not None
        assert coverage.commit == second


def test_snapshots_from_before_duplicate_detection_are_migrated(
    project: RepoBuilder, tmp_path: Path
) -> None:
    index = tmp_path / "index.sqlite3"
    with loopintel.open(project.path, index_path=index) as repo:
        repo.import_coverage(project.path / "coverage.lcov")
    db = sqlite3.connect(index)
    db.execute("DROP INDEX coverage_snapshots_by_digest")
    db.execute("ALTER TABLE coverage_snapshots DROP COLUMN digest")
    db.execute("DELETE FROM migrations WHERE name = '0002_coverage_digest'")  # made before it
    db.commit()
    db.close()
    with loopintel.open(project.path, index_path=index, update=False) as repo:
        assert len(repo.coverage_snapshots()) == 1  # readable as it is
    with loopintel.open(project.path, index_path=index) as repo:
        before = repo.function("partial").coverage
        assert before is not None
        repo.import_coverage(project.path / "coverage.xml")
        assert [s.format for s in repo.coverage_snapshots()] == ["lcov", "cobertura"]
