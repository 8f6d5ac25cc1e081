"""Readers of outside files: every bad row reported at once, and one registry of formats."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest

import loopintel
from loopintel.cli import main
from loopintel.sources.coverage import COVERAGE, read_coverage
from loopintel.sources.formats import REGISTRY, Format, Kind, Registry
from loopintel.sources.problems import MAX_PROBLEMS, Problems

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _places(error: loopintel.InvalidData) -> list[tuple[int | None, str | None]]:
    return [(p.line, p.field) for p in error.problems]


def _read_error(path: Path, **options: str) -> loopintel.CoverageDataError:
    with pytest.raises(loopintel.CoverageDataError) as caught:
        read_coverage(path, **options)
    return caught.value


# -- problems and their error -----------------------------------------------------------------


def test_a_problem_reads_as_its_place_and_message() -> None:
    full = loopintel.Problem(
        file="cov.xml", line=12, field="<line hits>", message="expected an integer"
    )
    assert str(full) == "cov.xml, line 12, <line hits>: expected an integer"
    assert full.where == "line 12, <line hits>"
    at = loopintel.Problem(file="c.json", line=1, column=11, message="malformed JSON")
    assert str(at) == "c.json, line 1 column 11: malformed JSON"
    field = loopintel.Problem(file="c.json", field="files['a.py']", message="expected an object")
    assert str(field) == "c.json, files['a.py']: expected an object"
    bare = loopintel.Problem(file="c.lcov", message="not LCOV?")
    assert (str(bare), bare.where) == ("c.lcov: not LCOV?", None)


def _problems(count: int) -> tuple[loopintel.Problem, ...]:
    return tuple(
        loopintel.Problem(file="c.lcov", line=n, field="DA hits", message="expected an integer")
        for n in range(1, count + 1)
    )


def test_the_message_shows_the_first_problems_and_the_count() -> None:
    error = loopintel.CoverageDataError("c.lcov", _problems(8))
    lines = str(error).splitlines()
    assert lines[0] == "cannot read coverage data c.lcov: 8 problems"
    assert lines[1:6] == [f"  c.lcov, line {n}, DA hits: expected an integer" for n in range(1, 6)]
    assert lines[6:] == ["  ... and 3 more"]
    # The whole report, for people fixing the file: every problem kept.
    assert len(error.report().splitlines()) == 9
    assert error.report(limit=2).splitlines()[-1] == "  ... and 6 more"


def test_one_problem_is_one_line_with_its_place() -> None:
    error = loopintel.CoverageDataError.single("c.json", "malformed JSON", line=1, column=11)
    assert str(error) == "cannot read coverage data c.json, line 1 column 11: malformed JSON"
    assert (error.source, error.problem, error.where) == (
        "c.json",
        "malformed JSON",
        "line 1 column 11",
    )
    assert error.total == 1


def test_problems_past_the_cap_are_counted_not_kept() -> None:
    problems = Problems("c.lcov", loopintel.CoverageDataError, cap=3)
    for line in range(1, 11):
        problems.add("expected an integer", line=line, field="DA hits")
    error = problems.as_error()
    assert isinstance(error, loopintel.CoverageDataError)
    assert (len(error.problems), error.total) == (3, 10)
    assert str(error).splitlines()[0] == (
        "cannot read coverage data c.lcov: 10 problems (the first 3 kept)"
    )
    assert error.report().splitlines()[-1] == "  ... and 7 more"


@pytest.mark.parametrize("kind", [loopintel.InvalidData, loopintel.CoverageDataError])
def test_data_errors_survive_pickle(kind: type[loopintel.InvalidData]) -> None:
    error = kind("c.lcov", _problems(7), 1_500)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is kind
    assert (again.source, again.problems, again.total) == ("c.lcov", error.problems, 1_500)
    assert str(again) == str(error)
    assert again.args == error.args
    single = pickle.loads(pickle.dumps(loopintel.CoverageDataError.single("x.xml", "bad", line=2)))
    assert (single.problem, single.where) == ("bad", "line 2")


def test_a_problem_is_a_frozen_value() -> None:
    problem = loopintel.Problem(file="a", line=1, message="m")
    assert pickle.loads(pickle.dumps(problem)) == problem
    with pytest.raises(AttributeError):
        problem.line = 2  # type: ignore[misc]
    assert problem == loopintel.Problem(file="a", line=1, message="m")


def test_a_coverage_error_is_caught_as_before() -> None:
    error = loopintel.CoverageDataError("c.lcov", _problems(2))
    assert isinstance(error, ValueError)
    assert isinstance(error, loopintel.LoopintelError)
    assert isinstance(error, loopintel.InvalidData)
    # The fields callers read before every problem was reported: the first problem.
    assert (error.source, error.problem, error.where) == (
        "c.lcov",
        "expected an integer",
        "line 1, DA hits",
    )


# -- each format: every bad row at once ---------------------------------------------------------

BAD_COBERTURA = """\
<?xml version="1.0" ?>
<coverage timestamp="1700000000000">
  <packages><package><classes>
    <class filename="pkg/a.py">
      <lines>
        <line number="1" hits="1"/>
        <line number="two" hits="1"/>
        <line number="3" hits="-"/>
      </lines>
    </class>
    <class filename="pkg/b.py">
      <lines><line hits="4"/></lines>
    </class>
    <class name="nameless"></class>
  </classes></package></packages>
</coverage>
"""


def test_cobertura_names_every_bad_element_with_its_xml_line(tmp_path: Path) -> None:
    path = tmp_path / "cov.xml"
    path.write_text(BAD_COBERTURA)
    error = _read_error(path)
    assert _places(error) == [
        (7, "<line number>"),
        (8, "<line hits>"),
        (12, "<line number>"),
        (14, "<class filename>"),
    ]
    assert error.problems[0].message == "expected an integer, got 'two'"
    assert all(p.file == str(path) for p in error.problems)
    assert f"{path}, line 8, <line hits>: expected an integer, got '-'" in str(error)


def test_lcov_names_every_bad_record_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.lcov"
    path.write_text(
        "TN:\n"  # 1
        "SF:a.py\n"  # 2
        "DA:1,1\n"  # 3
        "DA:2,x\n"  # 4
        "DA:3,0\n"  # 5
        "end_of_record\n"  # 6
        "SF:b.py\n"  # 7
        "DA:1,1\n"  # 8
        "DA:y,1\n"  # 9
        "DA:7\n"  # 10
        "end_of_record\n"  # 11
    )
    error = _read_error(path)
    assert _places(error) == [(4, "DA hits"), (9, "DA line"), (10, "DA")]
    assert error.problems[1].message == "expected an integer, got 'y'"


def test_lcov_structure_problems_are_reported_with_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.lcov"
    path.write_text("DA:1,1\nSF:a.py\nDA:1,z\nSF:b.py\nDA:2,1\n")
    error = _read_error(path)
    assert _places(error) == [(1, "DA"), (3, "DA hits"), (4, "SF"), (4, "SF")]
    messages = [p.message for p in error.problems]
    assert "outside a file record" in messages[0]
    assert messages[2] == "the record of a.py (line 2) has no end_of_record"
    assert messages[3] == "the file ends inside the record of b.py: truncated?"


def test_json_names_each_files_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        '{"files": {'
        '"a.py": {"executed_lines": [1, "x", null], "missing_lines": []},'
        '"b.py": {"executed_lines": [1], "missing_lines": "3"},'
        '"c.py": {"executed_lines": [2]},'
        '"d.py": 7,'
        '"e.py": {"executed_lines": [1], "missing_lines": [], "contexts": {"1": "t"}}'
        "}}"
    )
    error = _read_error(path)
    assert _places(error) == [
        (None, "files['a.py'].executed_lines"),
        (None, "files['b.py'].missing_lines"),
        (None, "files['c.py'].missing_lines"),
        (None, "files['d.py']"),
        (None, "files['e.py'].contexts['1']"),
    ]
    assert error.problems[0].message == (
        "expected a list of line numbers, item 1 is 'x' (and 1 more)"
    )
    assert error.problems[2].message.startswith("missing")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("c.json", '{"files": {"a.py": {\n"executed_lines": [1,, 2]}}}', (2, 22, "malformed JSON")),
        ("c.xml", "<coverage>\n  <packages>\n</coverage>\n", (3, 3, "malformed XML")),
        ("c.xml", "<?xml version='1.0'?>\n<report/>\n", (2, None, "root element is <report>")),
        ("c.lcov", "SF:a.py\nDA:1,1\n\xff\n", (3, 1, "not UTF-8")),
    ],
)
def test_fatal_problems_stop_at_once_with_their_place(
    tmp_path: Path, name: str, content: str, expected: tuple[int, int | None, str]
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    error = _read_error(path)
    assert len(error.problems) == 1
    (problem,) = error.problems
    assert (problem.line, problem.column) == expected[:2]
    assert problem.message.startswith(expected[2])


def test_a_fatal_problem_keeps_the_problems_found_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(
        '<coverage>\n<class filename="a.py">\n<line number="1" hits="?"/>\n<line number='
    )
    error = _read_error(path)
    assert [(p.line, p.message.split(":")[0]) for p in error.problems] == [
        (3, "expected an integer, got '?'"),
        (4, "malformed XML"),
    ]


def test_a_huge_bad_file_keeps_the_first_problems_and_counts_all(tmp_path: Path) -> None:
    bad = MAX_PROBLEMS * 3
    path = tmp_path / "big.lcov"
    path.write_text("SF:a.py\n" + "DA:1,x\n" * bad + "end_of_record\n")
    error = _read_error(path)
    assert (len(error.problems), error.total) == (MAX_PROBLEMS, bad)
    assert error.problems[-1].line == MAX_PROBLEMS + 1
    assert (
        str(error).splitlines()[0].endswith(f"{bad:,} problems (the first {MAX_PROBLEMS:,} kept)")
    )


def test_good_rows_beside_bad_ones_are_not_silently_kept(tmp_path: Path) -> None:
    # A file with one bad row is refused as a whole: half a file would look like
    # lower coverage.
    path = tmp_path / "c.lcov"
    path.write_text("SF:a.py\nDA:1,1\nDA:2,1\nDA:3,?\nend_of_record\n")
    assert _read_error(path).total == 1


# -- the registry -------------------------------------------------------------------------------

SAMPLES = {
    "coverage.py": b"SQLite format 3\0" + bytes(84),
    "json": b'\xef\xbb\xbf\n  {"meta": {}, "files": {}}',
    "cobertura": b'<?xml version="1.0" ?>\n<coverage/>',
    "lcov": b"TN:\nSF:a.py\nDA:1,1\nend_of_record\n",
}


def test_the_registry_lists_the_coverage_formats() -> None:
    assert REGISTRY.names(COVERAGE) == ("coverage.py", "json", "cobertura", "lcov")
    assert COVERAGE in REGISTRY.kinds()
    for fmt in REGISTRY.formats(COVERAGE):
        assert fmt.kind == COVERAGE
        assert fmt.description
        assert "\n" not in fmt.description


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_format_is_detected_by_content(name: str) -> None:
    found = REGISTRY.detect(COVERAGE, SAMPLES[name])
    assert found is not None
    assert found.name == name
    assert REGISTRY.detect(COVERAGE, b"hello\n") is None


def test_detection_ignores_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"  # LCOV content under an XML name
    path.write_bytes(SAMPLES["lcov"])
    assert read_coverage(path).format == "lcov"


def test_an_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "c.lcov"
    path.write_bytes(SAMPLES["lcov"])
    error = _read_error(path, format="gcov")
    assert error.problem == "unknown coverage format 'gcov'; expected one of " + ", ".join(
        REGISTRY.names(COVERAGE)
    )


def test_another_kind_keeps_its_formats_apart() -> None:
    registry = Registry()
    incidents: Kind[str] = Kind("incidents", loopintel.InvalidData)
    coverage_like: Kind[bytes] = Kind("coverage", loopintel.CoverageDataError)
    registry.register(
        Format("json", incidents, "incidents as JSON", lambda d: d.startswith(b"["), lambda s, _: s)
    )
    registry.register(
        Format("json", coverage_like, "coverage JSON", lambda d: d.startswith(b"{"), lambda _, d: d)
    )
    assert registry.names(incidents) == ("json",)
    assert registry.detect(incidents, b"{}") is None
    found = registry.detect(incidents, b"[]")
    assert found is not None
    assert found.kind == incidents
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Format("json", incidents, "again", bool, lambda s, _: s))
    assert [k.name for k in registry.kinds()] == ["incidents", "coverage"]


def test_the_docs_name_every_coverage_format() -> None:
    text = (DOCS / "coverage.md").read_text()
    for name in REGISTRY.names(COVERAGE):
        assert f"| `{name}` |" in text, f"docs/coverage.md does not describe format {name}"


def test_the_cli_offers_the_registered_formats() -> None:
    group = main.commands["coverage"]
    assert isinstance(group, click.Group)
    command = group.commands["import"]
    (option,) = [p for p in command.params if p.name == "format_"]
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == REGISTRY.names(COVERAGE)


# -- the CLI ------------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopintel", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def small_repo(repo_builder: RepoBuilder) -> RepoBuilder:
    repo_builder.commit({"a.py": "def f():\n    return 1\n"})
    return repo_builder


def test_the_cli_prints_every_problem_of_a_bad_file(
    small_repo: RepoBuilder, tmp_path: Path
) -> None:
    bad_lines = list(range(3, 10))  # more than the message alone shows
    path = tmp_path / "bad.lcov"
    rows = ["SF:a.py", "DA:1,1", *(f"DA:{n},x" for n in bad_lines), "end_of_record"]
    path.write_text("\n".join(rows) + "\n")
    where = [str(small_repo.path), "--index-path", str(tmp_path / "i.sqlite3")]
    done = _cli("coverage", "import", str(path), *where)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == f"error: cannot read coverage data {path}: 7 problems"
    assert re.findall(r"line (\d+), DA hits", done.stderr) == [str(n) for n in bad_lines]
    listed = _cli("coverage", "list", *where, "--json")
    assert listed.stdout == ""  # nothing stored


def test_the_cli_refuses_an_unknown_format_with_the_choices(
    small_repo: RepoBuilder, tmp_path: Path
) -> None:
    path = tmp_path / "c.lcov"
    path.write_bytes(SAMPLES["lcov"])
    done = _cli("coverage", "import", str(path), str(small_repo.path), "--format", "gcov")
    assert done.returncode == 2
    for name in REGISTRY.names(COVERAGE):
        assert f"'{name}'" in done.stderr
