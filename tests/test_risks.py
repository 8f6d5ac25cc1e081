"""Knowledge risks: ``repo.knowledge_risks()`` and ``loopintel risks`` on histories built to know them."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopintel
from loopintel import (
    HotspotLevel,
    Incident,
    IncidentLink,
    LinkKind,
    RiskExposure,
    RiskKind,
    RiskSeverity,
)
from tests.cli_runner import run_cli
from tests.conftest import EPOCH, RepoBuilder

if TYPE_CHECKING:
    from collections.abc import Iterator

DAY = 86400
ANN = ("Ann", "ann@example.com")  # wrote legacy code, left two years before the head
BOB = ("Bob", "bob@example.com")
CAT = ("Cat", "cat@example.com")
DAN = ("Dan", "dan@example.com")
HEAD_DAY = 800
FILLERS = 10
"""One-commit files beside the five the tests are about: 15 changed files, so the top
20% by changes is the top three."""


def body(*values: int) -> str:
    """A file of functions ``f0, f1...`` returning the given values (a change: a new value)."""
    return "".join(f"def f{i}():\n    return {v}\n\n\n" for i, v in enumerate(values))


def build(b: RepoBuilder) -> dict[str, str]:
    """The history whose answers the tests know by construction.

    - ``legacy/gone.py``: busy (5 changes), Ann's alone, and Ann left: both kinds, high;
    - ``legacy/quiet.py``: Ann's alone, one change: not busy, no row;
    - ``legacy/handed.py``: busy (6), Ann authored it, Bob reworked it lately: the truck
      factor is Ann (inactive), the key expert Bob (active): medium;
    - ``team/shared.py``: busiest (7), Bob and Cat, both active and both authors: no risk;
    - ``ops/incident.py``: two changes by Dan, linked to an incident: truck factor 1, low.
    """
    shas = {}
    b.commit({"legacy/quiet.py": body(0)}, "Add quiet", author=ANN, at=EPOCH)
    for i in range(5):
        b.commit({"legacy/gone.py": body(i, 0)}, "Work on gone", author=ANN, at=EPOCH + i * DAY)
    for i in range(4):
        b.commit({"legacy/handed.py": body(i)}, "Work on handed", author=ANN, at=EPOCH + 40 * DAY)
    fillers = {f"team/filler{i}.py": body(i) for i in range(FILLERS)}
    b.commit(fillers, "Add the fillers", author=BOB, at=EPOCH + 600 * DAY)
    for i in range(7):
        author = BOB if i in (0, 2, 4) else CAT
        b.commit(
            {"team/shared.py": body(i, i)},
            "Work on shared",
            author=author,
            at=EPOCH + (650 + i) * DAY,
        )
    for i in range(2):
        b.commit(
            {"legacy/handed.py": body(10 + i)}, "Rework handed", author=BOB, at=EPOCH + 700 * DAY
        )
    b.commit({"ops/incident.py": body(0)}, "Add incident", author=DAN, at=EPOCH + 750 * DAY)
    shas["cause"] = b.commit(
        {"ops/incident.py": body(1)}, "Tune incident", author=DAN, at=EPOCH + HEAD_DAY * DAY
    )
    return shas


@pytest.fixture
def built(
    repo_builder: RepoBuilder, tmp_path: Path
) -> Iterator[tuple[loopintel.Repository, dict[str, str]]]:
    shas = build(repo_builder)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "r.sqlite3") as repo:
        repo.add_incidents(
            [
                Incident(
                    source="pagerduty",
                    id="P1",
                    title="incident broke",
                    started_at=datetime.fromtimestamp(EPOCH + (HEAD_DAY - 1) * DAY, UTC),
                    links=(IncidentLink(LinkKind.CAUSE, shas["cause"]),),
                )
            ]
        )
        yield repo, shas


def by_name(rows: list[loopintel.KnowledgeRisk]) -> dict[str, loopintel.KnowledgeRisk]:
    return {row.name: row for row in rows}


def test_each_file_gets_the_risk_its_history_makes(
    built: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = built
    assert repo.truck_factor("team/shared.py").factor == 2  # two authors: the premise
    rows = repo.knowledge_risks()
    assert [row.name for row in rows] == ["legacy/gone.py", "legacy/handed.py", "ops/incident.py"]
    gone, handed, incident = rows
    assert gone.kinds == (RiskKind.EXPERTS_INACTIVE, RiskKind.TRUCK_FACTOR_ONE)
    assert (gone.severity, gone.exposure) == (RiskSeverity.HIGH, (RiskExposure.BUSY,))
    assert [(e.email, e.active) for e in gone.experts] == [("ann@example.com", False)]
    assert gone.experts[0].last_commit == datetime.fromtimestamp(EPOCH + 40 * DAY, UTC)
    assert gone.best_active is None
    assert [(a.email, a.active) for a in gone.truck_factor.authors] == [("ann@example.com", False)]
    assert (gone.changes, gone.fixes, gone.incidents, gone.authors) == (5, 0, 0, 1)
    assert "Every key expert is inactive: Ann" in gone.reason
    assert "Nobody active has changed it" in gone.reason

    assert (handed.kinds, handed.severity) == ((RiskKind.TRUCK_FACTOR_ONE,), RiskSeverity.MEDIUM)
    assert [a.email for a in handed.truck_factor.authors] == ["ann@example.com"]
    assert [e.email for e in handed.experts] == ["bob@example.com"]
    assert handed.best_active == handed.experts[0]
    assert "Ask Bob" in handed.reason

    assert (incident.kinds, incident.severity) == ((RiskKind.TRUCK_FACTOR_ONE,), RiskSeverity.LOW)
    assert incident.exposure == (RiskExposure.INCIDENTS,)
    assert (incident.incidents, incident.changes) == (1, 2)
    assert [a.email for a in incident.truck_factor.authors] == ["dan@example.com"]
    assert incident.truck_factor.authors[0].active
    # not busy: one change, however departed its author
    assert "legacy/quiet.py" not in by_name(rows)


def test_experts_and_truck_factors_are_those_the_repository_gives(
    built: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = built
    for level in ("file", "module"):
        rows = repo.knowledge_risks(level, top_share=1.0)
        assert rows
        for row in rows:
            # the modules here have no subdirectories, so a module is its directory
            experts = repo.experts(row.name)
            assert row.truck_factor == repo.truck_factor(row.name)
            key = loopintel.risks.key_experts(experts)
            assert row.experts == key
            assert sum(e.share for e in key[:-1]) < 0.5 <= sum(e.share for e in key) + 1e-9
            assert row.best_active == next((e for e in experts if e.active), None)
    modules = by_name(repo.knowledge_risks("module", top_share=1.0))
    # Bob's recent rework of handed.py makes him the module's key expert; Ann still
    # authors all three files
    assert modules["legacy"].severity is RiskSeverity.MEDIUM
    assert [a.email for a in modules["legacy"].truck_factor.authors] == ["ann@example.com"]
    assert modules["legacy"].level is HotspotLevel.MODULE
    assert modules["legacy"].truck_factor.files == 3


def test_a_window_and_the_inactivity_threshold_move_the_answer(
    built: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = built
    # after Ann's work on gone.py, it is not busy any more; the incident still counts
    late = by_name(repo.knowledge_risks(since=datetime.fromtimestamp(EPOCH + 100 * DAY, UTC)))
    assert "legacy/gone.py" not in late
    assert "ops/incident.py" in late
    assert late["ops/incident.py"].since == datetime.fromtimestamp(EPOCH + 100 * DAY, UTC)
    # with three years of grace, Ann is active: gone.py is a truck factor of 1 only
    patient = by_name(repo.knowledge_risks(inactive_after_days=3 * 365))
    assert patient["legacy/gone.py"].kinds == (RiskKind.TRUCK_FACTOR_ONE,)
    assert patient["legacy/gone.py"].severity is RiskSeverity.LOW
    day = datetime.fromtimestamp(EPOCH + 100 * DAY, UTC).date()
    assert repo.knowledge_risks(since=day) == repo.knowledge_risks(since=day.isoformat())


def test_path_picks_rows_without_changing_them(
    built: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = built
    everything = repo.knowledge_risks()
    legacy = repo.knowledge_risks(path="legacy")
    assert legacy == [row for row in everything if row.name.startswith("legacy/")]
    assert [row.name for row in repo.knowledge_risks(path="legacy/gone.py")] == ["legacy/gone.py"]
    # at module level, the module holding the file
    assert [
        r.name for r in repo.knowledge_risks("module", path="legacy/gone.py", top_share=1.0)
    ] == ["legacy"]
    assert repo.knowledge_risks(limit=1) == everything[:1]
    with pytest.raises(loopintel.PathNotFound):
        repo.knowledge_risks(path="nowhere")


def test_records_become_json_and_frames(
    built: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = built
    record = repo.knowledge_risks().to_records()[0]
    assert record["kinds"] == ["experts_inactive", "truck_factor_one"]
    assert record["severity"] == "high"
    assert record["experts"][0]["email"] == "ann@example.com"
    assert record["truck_factor"]["factor"] == 1
    json.dumps(record)
    pytest.importorskip("pandas")
    frame = repo.knowledge_risks().to_frame()
    assert list(frame["name"]) == ["legacy/gone.py", "legacy/handed.py", "ops/incident.py"]
    assert str(frame["since"].dtype).startswith("datetime64")


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"level": "function"}, "level"),
        ({"level": "class"}, "level"),
        ({"since": datetime(2024, 1, 1)}, "since"),  # noqa: DTZ001 - a naive datetime, refused
        ({"since": date(2024, 1, 2), "until": date(2024, 1, 1)}, "until"),
        ({"limit": 0}, "limit"),
        ({"inactive_after_days": -1}, "inactive_after_days"),
        ({"inactive_after_days": "soon"}, "inactive_after_days"),
        ({"half_life_days": 0}, "half_life_days"),
        ({"top_share": 0}, "top_share"),
        ({"top_share": 1.5}, "top_share"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    built: tuple[loopintel.Repository, dict[str, str]],
    arguments: dict[str, object],
    argument: str,
) -> None:
    repo, _ = built
    with pytest.raises(loopintel.InvalidQuery) as caught:
        repo.knowledge_risks(**arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert argument in str(caught.value)


def test_an_empty_history_has_no_risks(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"README": "nothing yet\n"}, "Start")
    with loopintel.open(repo_builder.path, index_path=tmp_path / "e.sqlite3") as repo:
        assert list(repo.knowledge_risks()) == []
        assert list(repo.knowledge_risks("module")) == []


# -- the command --------------------------------------------------------------------------


def test_the_command_prints_people_and_json(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    path, index = str(repo_builder.path), str(tmp_path / "cli.sqlite3")
    table = run_cli("risks", path, "--index-path", index, "--limit", "1")
    lines = table.stdout.splitlines()
    assert lines[0].startswith("file knowledge risks, ")
    assert "HIGH   legacy/gone.py  (experts inactive, truck factor 1)" in lines
    ann = next(line for line in lines if "Ann <ann@example.com>" in line)
    assert "key expert" in ann
    assert "inactive" in ann
    assert "last commit " in ann
    assert lines[-1].startswith("... and 1 more")
    out = run_cli("risks", path, "--index-path", index, "--json", "--path", "legacy")
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["name"] for r in records] == ["legacy/gone.py", "legacy/handed.py"]
    out = run_cli(
        "risks", path, "--index-path", index, "--json", "--level", "module",
        "--inactive-after", "2000", "--since", "2023-01-01", "--until", "2030-01-01",
    )  # fmt: skip
    assert all(
        "experts_inactive" not in json.loads(line)["kinds"] for line in out.stdout.splitlines()
    )


@pytest.mark.parametrize(
    "arguments",
    [("--level", "function"), ("--since", "2024-01-01T10:00"), ("--path", "nowhere.py")],
)
def test_the_command_exits_1_on_bad_input(
    repo_builder: RepoBuilder, tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    build(repo_builder)
    result = run_cli(
        "risks", str(repo_builder.path), "--index-path", str(tmp_path / "x.sqlite3"),
        *arguments, check=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


# -- invariants ---------------------------------------------------------------------------


def _knowledge_of(extra: list[tuple[int, str]], root: Path) -> dict[str, object]:
    """What the risks say of each exposed file's knowledge, with extra commits elsewhere."""
    builder = RepoBuilder(root / "repo")
    build(builder)
    base = builder.head
    # Eve's commits, merged at the head's time: they change neither the head's time nor
    # anybody else's activity.
    for at, text in extra:
        builder.commit({"elsewhere/eve.py": text}, "Eve's work", author=("Eve", "eve@x"), at=at)
    if extra:
        assert base is not None
        assert builder.head is not None
        builder.commit(
            None,
            "Merge",
            author=("Eve", "eve@x"),
            at=EPOCH + HEAD_DAY * DAY,
            parents=[base, builder.head],
        )
    out: dict[str, object] = {}
    with loopintel.open(builder.path, index_path=root / "i.sqlite3") as repo:
        for row in repo.knowledge_risks(top_share=1.0):
            if row.name.startswith("elsewhere/"):
                continue
            out[row.name] = (row.kinds, row.severity, row.to_dict()["experts"], row.truck_factor)
    return out


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    extra=st.lists(
        st.tuples(st.integers(EPOCH + DAY, EPOCH + 700 * DAY), st.integers(0, 9)),
        min_size=1,
        max_size=3,
    ).map(lambda xs: [(at, body(value, len(xs))) for at, value in xs])
)
def test_commits_to_other_files_do_not_change_a_files_knowledge(
    extra: list[tuple[int, str]],
) -> None:
    with tempfile.TemporaryDirectory() as alone, tempfile.TemporaryDirectory() as mixed:
        assert _knowledge_of([], Path(alone)) == _knowledge_of(extra, Path(mixed))
