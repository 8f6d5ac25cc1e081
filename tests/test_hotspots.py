"""Hotspots: ``repo.hotspots()`` and ``loopintel hotspots`` on histories built to know them."""

from __future__ import annotations

import json
import math
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopintel
from loopintel import HotspotLevel, HotspotScore, Incident, IncidentLink, LinkKind
from tests.cli_runner import run_cli
from tests.conftest import EPOCH, RepoBuilder
from tests.strategies import edits

if TYPE_CHECKING:
    from collections.abc import Iterator

DAY = 86400
ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")

BUSY = """
def busy(x):
    if x > 1:
        return 1
    if x > 2:
        return 2
    if x > {n}:
        return 3
    return 0
"""


def app(*, early: int = 0, late: int = 0, busy: int = 3, churny: int = 0) -> str:
    """app.py with each function's body set by a number (a change of it is a new body)."""
    churn = "".join(f"    y = {i}\n" for i in range(churny)) if churny else ""
    return (
        f"def simple():\n    return 1\n\n\n"
        f"def fixed_early():\n    return {early}\n\n\n"
        f"def fixed_late():\n    return {late}\n\n\n"
        f"{BUSY.format(n=busy).strip()}\n\n\n"
        f"def churny():\n{churn}    return 0\n"
    )


@attrs.frozen
class Scores:
    """The scores history: each commit's sha by name."""

    path: Path
    shas: dict[str, str]


def build_scores(b: RepoBuilder) -> dict[str, str]:
    """Each score has its own winner by construction (see the test names)."""
    shas = {}
    shas["add"] = b.commit({"app.py": app()}, "Add the app", author=ANN, at=EPOCH)
    shas["fix1"] = b.commit(
        {"app.py": app(early=1)}, "Fix crash in fixed_early", author=ANN, at=EPOCH + 10 * DAY
    )
    shas["fix2"] = b.commit(
        {"app.py": app(early=2)}, "Fix bug in fixed_early again", author=BOB, at=EPOCH + 20 * DAY
    )
    b.commit({"app.py": app(early=2, busy=4)}, "Tune busy", author=ANN, at=EPOCH + 30 * DAY)
    b.commit({"app.py": app(early=2, busy=5)}, "Tune busy more", author=BOB, at=EPOCH + 40 * DAY)
    b.commit(
        {"app.py": app(early=2, busy=5, churny=12)}, "Grow churny", author=ANN, at=EPOCH + 50 * DAY
    )
    b.commit({"app.py": app(early=2, busy=5)}, "Shrink churny", author=ANN, at=EPOCH + 60 * DAY)
    # formatting only: churn, but no revision
    b.commit(
        {"app.py": app(early=2, busy=5).replace("return 1\n", "return (1)\n", 1)},
        "Format simple",
        author=ANN,
        at=EPOCH + 70 * DAY,
    )
    shas["fix3"] = b.commit(
        {"app.py": app(early=2, busy=5, late=1).replace("return 1\n", "return (1)\n", 1)},
        "Fix regression in fixed_late",
        author=BOB,
        at=EPOCH + 100 * DAY,
    )
    return shas


@pytest.fixture
def scores(
    repo_builder: RepoBuilder, tmp_path: Path
) -> Iterator[tuple[loopintel.Repository, dict[str, str]]]:
    shas = build_scores(repo_builder)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "h.sqlite3") as repo:
        yield repo, shas


def by_name(rows: list[loopintel.Hotspot]) -> dict[str, loopintel.Hotspot]:
    return {row.name: row for row in rows}


def weight(t: float) -> float:
    return 1 / (1 + math.exp(-12 * t + 12))


def test_each_score_finds_the_function_its_history_rewards(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = scores
    top = {
        score: repo.hotspots(by=score)[0].name for score in HotspotScore if score != "incident_risk"
    }
    assert top == {
        HotspotScore.FIX_SCORE: "app.py::fixed_late",
        HotspotScore.FIXES: "app.py::fixed_early",
        HotspotScore.REVISIONS_X_COMPLEXITY: "app.py::busy",
        HotspotScore.RELATIVE_CHURN: "app.py::churny",
    }


def test_the_scores_follow_their_formulas(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = scores
    rows = by_name(repo.hotspots())
    early, late, busy = (
        rows["app.py::fixed_early"],
        rows["app.py::fixed_late"],
        rows["app.py::busy"],
    )
    # the window is the whole history: the first change is t = 0, the last t = 1
    assert late.since == datetime.fromtimestamp(EPOCH, UTC)
    # ...and the window ends just after it, so that the row's own until counts it again
    assert late.until == datetime.fromtimestamp(EPOCH + 100 * DAY + 1, UTC)
    again = by_name(repo.hotspots(until=late.until))["app.py::fixed_late"]
    assert (again.changes, again.fixes) == (late.changes, late.fixes)
    assert late.fix_score == pytest.approx(0.5)
    assert early.fix_score == pytest.approx(weight(0.1) + weight(0.2))
    assert (early.fixes, late.fixes, busy.fixes) == (2, 1, 0)
    assert early.fix_commits == (shas["fix2"], shas["fix1"])  # newest first
    assert late.fix_commits == (shas["fix3"],)
    assert (busy.changes, busy.complexity, busy.revisions_x_complexity) == (3, 4, 12)
    assert (early.authors, busy.authors) == (2, 2)
    assert rows["app.py::simple"].changes == 1  # the formatting commit is no revision
    for row in rows.values():
        assert row.level is HotspotLevel.FUNCTION
        assert row.relative_churn == pytest.approx((row.lines_added + row.lines_removed) / row.size)
        assert row.incident_risk is None
        assert row.revisions_x_complexity == row.changes * row.complexity


def test_reasons_agree_with_the_changes_the_index_lists(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = scores
    for row in repo.hotspots():
        changes = list(repo.changes(function=row.name))
        counted = [c for c in changes if loopintel.ChangeType.COSMETIC not in c.change_types]
        assert row.changes == len({c.commit for c in counted})
        assert row.authors == len({c.author_email for c in counted})
        assert row.lines_added == sum(c.lines_added for c in changes)
        assert row.lines_removed == sum(c.lines_removed for c in changes)
        function = next(f for f in repo.functions(path="app.py") if str(f.ref) == row.name)
        assert row.size == function.end_line - function.start_line + 1
        assert row.complexity == function.complexity
        assert row.function == function.ref
        assert row.lineage == function.lineage


def test_a_window_counts_only_its_changes_and_scales_time_to_itself(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = scores
    since, until = EPOCH + 15 * DAY, EPOCH + 90 * DAY
    rows = by_name(
        repo.hotspots(
            since=datetime.fromtimestamp(since, UTC), until=datetime.fromtimestamp(until, UTC)
        )
    )
    early = rows["app.py::fixed_early"]
    assert (early.fixes, early.changes, early.fix_commits) == (1, 1, (shas["fix2"],))
    assert early.fix_score == pytest.approx(weight((20 - 15) / (90 - 15)))
    assert "app.py::fixed_late" not in rows  # its changes are outside the window
    assert rows["app.py::busy"].changes == 2
    assert early.since == datetime.fromtimestamp(since, UTC)
    assert early.until == datetime.fromtimestamp(until, UTC)
    # until is exclusive, since inclusive; dates are midnight UTC
    at_fix = datetime.fromtimestamp(EPOCH + 100 * DAY, UTC)
    assert by_name(repo.hotspots(until=at_fix))["app.py::fixed_late"].fixes == 0
    assert by_name(repo.hotspots(since=at_fix))["app.py::fixed_late"].fix_score == pytest.approx(
        0.5
    )
    day = datetime.fromtimestamp(EPOCH + 15 * DAY, UTC).date()
    assert [r.name for r in repo.hotspots(since=day)] == [
        r.name for r in repo.hotspots(since=day.isoformat())
    ]


def test_rows_are_ordered_by_the_score_asked_for_then_by_name(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = scores
    for score in ("fix_score", "fixes", "revisions_x_complexity", "relative_churn"):
        rows = repo.hotspots(by=score)
        keys = [(-row.score(score), row.name) for row in rows]
        assert keys == sorted(keys)
    assert len(repo.hotspots(limit=2)) == 2
    assert repo.hotspots(limit=2) == repo.hotspots()[:2]


def test_records_become_json_and_frames(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = scores
    record = repo.hotspots(limit=1).to_records()[0]
    assert record["name"] == "app.py::fixed_late"
    assert record["function"] == {"path": "app.py", "qualname": "fixed_late"}
    assert record["level"] == "function"
    json.dumps(record)
    pytest.importorskip("pandas")
    frame = repo.hotspots().to_frame()
    assert frame["name"].iloc[0] == "app.py::fixed_late"
    assert str(frame["since"].dtype).startswith("datetime64")


# -- files and modules --------------------------------------------------------------------


def build_tree(b: RepoBuilder) -> dict[str, str]:
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 0\n\n\ndef g():\n    return 0\n\n\n"
        "def outer():\n    def inner():\n        return 0\n\n    return inner\n",
        "pkg/util.py": "def h():\n    return 0\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": "def k():\n    return 0\n",
        "top.py": "def m():\n    return 0\n",
    }
    shas = {"add": b.commit(files, "Add the package", author=ANN)}
    # one fix changing two functions of core.py counts once for the file
    shas["both"] = b.commit(
        {"pkg/core.py": files["pkg/core.py"].replace("return 0", "return 1", 2)},
        "Fix the core",
        author=BOB,
    )
    shas["h1"] = b.commit({"pkg/util.py": "def h():\n    return 1\n"}, "fix: h crashed", author=ANN)
    shas["h2"] = b.commit({"pkg/util.py": "def h():\n    return 2\n"}, "Fix h again", author=BOB)
    # a change inside a nested function: inner and outer both change, the file once
    shas["inner"] = b.commit(
        {
            "pkg/core.py": files["pkg/core.py"]
            .replace("return 0", "return 1", 2)
            .replace("        return 0", "        x = 1\n        return x")
        },
        "Rework inner",
        author=ANN,
    )
    shas["deep"] = b.commit({"pkg/sub/deep.py": "def k():\n    return 1\n"}, "Tune k", author=ANN)
    return shas


@pytest.fixture
def tree(
    repo_builder: RepoBuilder, tmp_path: Path
) -> Iterator[tuple[loopintel.Repository, dict[str, str]]]:
    shas = build_tree(repo_builder)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "t.sqlite3") as repo:
        yield repo, shas


def test_a_file_counts_each_commit_once_and_nested_code_once(
    tree: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = tree
    files = by_name(repo.hotspots("file"))
    assert list(files) == ["pkg/util.py", "pkg/core.py", "pkg/sub/deep.py", "top.py"]
    util, core = files["pkg/util.py"], files["pkg/core.py"]
    assert (util.fixes, util.fix_commits, util.level) == (2, (shas["h2"], shas["h1"]), "file")
    assert (core.fixes, core.changes, core.functions) == (1, 3, 4)
    assert core.fix_commits == (shas["both"],)
    assert (core.function, core.lineage, core.path) == (None, None, "pkg/core.py")
    functions = {str(f.ref): f for f in repo.functions(path="pkg/core.py")}
    spans = {name: f.end_line - f.start_line + 1 for name, f in functions.items()}
    assert (
        core.size == spans["pkg/core.py::f"] + spans["pkg/core.py::g"] + spans["pkg/core.py::outer"]
    )
    assert core.complexity == sum(f.complexity or 0 for f in functions.values())
    outer_changes = list(repo.changes(function="pkg/core.py::outer"))
    f_changes = list(repo.changes(function="pkg/core.py::f"))
    g_changes = list(repo.changes(function="pkg/core.py::g"))
    assert core.lines_added == sum(c.lines_added for c in outer_changes + f_changes + g_changes)


def test_a_module_is_a_directory_of_the_head(
    tree: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = tree
    modules = by_name(repo.hotspots("module", by="fixes"))
    assert list(modules) == ["pkg", ".", "pkg/sub"]  # ties (no fixes) by name
    assert (modules["pkg"].fixes, modules["pkg"].functions) == (3, 5)
    assert modules["pkg"].fix_score == pytest.approx(
        sum(row.fix_score for row in repo.hotspots("file", path="pkg/core.py"))
        + sum(row.fix_score for row in repo.hotspots("file", path="pkg/util.py"))
    )
    assert modules["."].path == "."


def test_path_narrows_to_a_file_or_a_directory(
    tree: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = tree
    assert {row.path for row in repo.hotspots(path="pkg/util.py")} == {"pkg/util.py"}
    assert {row.name for row in repo.hotspots("file", path="pkg/sub")} == {"pkg/sub/deep.py"}
    assert {row.name for row in repo.hotspots("module", path="pkg")} == {"pkg", "pkg/sub"}
    assert len(repo.hotspots(path=".")) == len(repo.hotspots())
    with pytest.raises(loopintel.PathNotFound):
        repo.hotspots(path="nowhere")


# -- incidents ----------------------------------------------------------------------------


def test_linked_incidents_weigh_by_their_link_confidence(
    scores: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = scores
    assert repo.hotspots()[0].incident_risk is None
    with pytest.raises(loopintel.InvalidQuery, match="incident"):
        repo.hotspots(by="incident_risk")
    repo.add_incidents(
        [
            Incident(
                source="pagerduty",
                id="P1",
                title="late broke",
                started_at=datetime.fromtimestamp(EPOCH + 101 * DAY, UTC),
                links=(IncidentLink(LinkKind.FIX, shas["fix3"]),),
            ),
            Incident(
                source="pagerduty",
                id="P2",
                title="early broke",
                started_at=datetime.fromtimestamp(EPOCH + 15 * DAY, UTC),
                links=(IncidentLink(LinkKind.CAUSE, shas["fix1"]),),
            ),
        ]
    )
    confidence = {
        link.function.qualname: link.confidence for key in ("P1", "P2") for link in repo.links(key)
    }
    rows = by_name(repo.hotspots(by="incident_risk"))
    top = repo.hotspots(by="incident_risk")[0]
    assert top.incident_risk == max(confidence.values())
    assert rows["app.py::fixed_late"].incident_risk == pytest.approx(confidence["fixed_late"])
    assert rows["app.py::fixed_early"].incident_risk == pytest.approx(confidence["fixed_early"])
    assert rows["app.py::fixed_late"].incidents == 1
    assert rows["app.py::busy"].incident_risk == 0.0
    assert rows["app.py::busy"].incidents == 0
    # P2 started before the window: only P1 counts
    windowed = by_name(repo.hotspots(since=datetime.fromtimestamp(EPOCH + 50 * DAY, UTC)))
    assert windowed["app.py::fixed_late"].incidents == 1
    assert "app.py::fixed_early" not in windowed
    file_row = repo.hotspots("file")[0]
    assert file_row.incidents == 2
    assert file_row.incident_risk == pytest.approx(sum(confidence.values()))
    assert repo.hotspots(incidents=False)[0].incident_risk is None


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"level": "class"}, "level"),
        ({"by": "bugs"}, "by"),
        ({"since": datetime(2024, 1, 1)}, "since"),  # noqa: DTZ001 - a naive datetime, refused
        ({"since": "2024-01-01T10:00"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": date(2024, 1, 2), "until": date(2024, 1, 1)}, "until"),
        ({"limit": 0}, "limit"),
        ({"limit": 2.5}, "limit"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    scores: tuple[loopintel.Repository, dict[str, str]],
    arguments: dict[str, object],
    argument: str,
) -> None:
    repo, _ = scores
    with pytest.raises(loopintel.InvalidQuery) as caught:
        repo.hotspots(**arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert argument in str(caught.value)


def test_an_empty_history_has_no_hotspots(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"README": "nothing yet\n"}, "Start")
    with loopintel.open(repo_builder.path, index_path=tmp_path / "e.sqlite3") as repo:
        assert list(repo.hotspots()) == []
        assert list(repo.hotspots("module")) == []


# -- the command --------------------------------------------------------------------------


def test_the_command_prints_a_table_and_json(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build_scores(repo_builder)
    path, index = str(repo_builder.path), str(tmp_path / "cli.sqlite3")
    table = run_cli("hotspots", path, "--index-path", index, "--limit", "2")
    lines = table.stdout.splitlines()
    assert lines[0].startswith("function hotspots by fix_score, ")
    assert "app.py::fixed_late" in lines[2]
    assert lines[-1].startswith("... and ")
    out = run_cli("hotspots", path, "--index-path", index, "--json", "--level", "file")
    (record,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert (record["name"], record["level"], record["fixes"]) == ("app.py", "file", 3)
    out = run_cli(
        "hotspots", path, "--index-path", index, "--json", "--by", "fixes", "--since",
        "2023-11-20", "--until", "2024-12-01T00:00:00+00:00", "--path", "app.py",
    )  # fmt: skip
    names = [json.loads(line)["name"] for line in out.stdout.splitlines()]
    assert names[0] == "app.py::fixed_early"


@pytest.mark.parametrize(
    "arguments",
    [
        ("--level", "class"),
        ("--by", "bugs"),
        ("--since", "2024-01-01T10:00"),
        ("--until", "soon"),
        ("--path", "nowhere.py"),
    ],
)
def test_the_command_exits_1_on_bad_input(
    repo_builder: RepoBuilder, tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    build_scores(repo_builder)
    result = run_cli(
        "hotspots", str(repo_builder.path), "--index-path", str(tmp_path / "x.sqlite3"),
        *arguments, check=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


# -- invariants ---------------------------------------------------------------------------

BASE = [
    ("def f():\n    return 0\n\n\ndef g():\n    return 0\n", "Add a"),
    ("def f():\n    return 1\n\n\ndef g():\n    return 0\n", "Fix f"),
    ("def f():\n    return 1\n\n\ndef g():\n    if g:\n        return 2\n    return 0\n", "Grow g"),
    (
        "def f():\n    return 3\n\n\ndef g():\n    if g:\n        return 2\n    return 0\n",
        "Fix bug",
    ),
]
"""The history of a.py: one commit a day from EPOCH."""

OTHER = ["def p():", "    return 1", "def q():", "    return 2", "    x = 3", ""]


@st.composite
def other_commits(draw: st.DrawFn) -> list[tuple[int, str, str]]:
    """Commits of other/b.py only, at times between a.py's: (time, content, message)."""
    lines = ["def p():", "    return 0"]
    out = []
    for _ in range(draw(st.integers(1, 4))):
        lines = draw(edits(lines, OTHER))
        hour = draw(st.integers(1, 23))
        day = draw(st.integers(0, len(BASE)))
        message = draw(st.sampled_from(["Fix crash", "Tidy b", "fix #3", "Revert b"]))
        out.append((EPOCH + day * DAY + hour * 3600, "\n".join(lines) + "\n", message))
    return out


def _scores_of(
    extra: list[tuple[int, str, str]], root: Path
) -> dict[str, list[tuple[str, object]]]:
    commits = [(EPOCH + i * DAY, {"a.py": text}, message) for i, (text, message) in enumerate(BASE)]
    commits += [(at, {"other/b.py": text}, message) for at, text, message in extra]
    builder = RepoBuilder(root / "repo")
    for at, files, message in sorted(commits, key=lambda c: c[0]):
        builder.commit(files, message, at=at)
    since = datetime.fromtimestamp(EPOCH, UTC)
    until = datetime.fromtimestamp(EPOCH + 10 * DAY, UTC)
    out: dict[str, list[tuple[str, object]]] = {}
    with loopintel.open(builder.path, index_path=root / "i.sqlite3") as repo:
        for level in ("function", "file"):
            for row in repo.hotspots(level, path="a.py", since=since, until=until):
                record = row.to_dict()
                # shas differ between the two histories: compare how many
                record["fix_commits"] = len(row.fix_commits)
                out[f"{level}:{row.name}"] = sorted(record.items())
        module = by_name(repo.hotspots("module", since=since, until=until))["."]
        record = module.to_dict()
        record["fix_commits"] = len(module.fix_commits)
        out["module:."] = sorted(record.items())
    return out


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=other_commits())
def test_commits_of_other_files_do_not_change_a_files_scores(
    extra: list[tuple[int, str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as alone, tempfile.TemporaryDirectory() as mixed:
        assert _scores_of([], Path(alone)) == _scores_of(extra, Path(mixed))
