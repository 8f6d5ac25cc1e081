"""Incidents in the index: stored, replaced, deleted, and linked to code with evidence.

Every repository here is built so that the right links are known: which commit changed
which function, and when.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import Evidence, EvidenceKind, Incident, IncidentLink, LinkKind
from loopintel.linking import CONFIDENCE, combined
from loopintel.store import Store
from loopintel.store.schema import SCHEMA_VERSION
from tests.conftest import EPOCH

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

PARSE = """\
def parse_header(line):
    name, value = line.split(":", 1)
    return name.strip(), value.strip()


def parse_body(text):
    return text.splitlines()
"""
NET = """\
def send(payload):
    return len(payload)


def close():
    return None
"""
PYPROJECT = """\
[project]
name = "app"

[tool.loopintel.services]
web = ["app/net.py"]
"""


class History:
    """The commits of the repository below, by what they did."""

    base = ""
    cause = ""
    fix = ""
    typo = ""
    revert = ""


@pytest.fixture
def history(repo_builder: RepoBuilder) -> History:
    h = History()
    h.base = repo_builder.commit(
        {"app/parse.py": PARSE, "app/net.py": NET, "pyproject.toml": PYPROJECT},
        "Start",
        at=EPOCH - 30 * 86400,  # long before the incidents: outside any time window
    )
    h.cause = repo_builder.commit(
        {"app/net.py": NET.replace("return len(payload)", "return len(payload) + retry()")},
        "Add retry to send",
    )
    h.fix = repo_builder.commit(
        {"app/parse.py": PARSE.replace('split(":", 1)', 'partition(":")[::2]')},
        "Fix crash in parse_header on a line without a colon\n\nFixes #12",
    )
    h.typo = repo_builder.commit({"README.md": "# app\n"}, "Fix typo in the readme")
    h.revert = repo_builder.commit(
        {"app/net.py": NET},
        f'Revert "Add retry to send"\n\nThis reverts commit {h.cause}.',
    )
    return h


@pytest.fixture
def repo(repo_builder: RepoBuilder, history: History, tmp_path: Path) -> loopintel.Repository:
    del history  # built first
    return loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3")


def at(tick: float) -> datetime:
    """The time of the ``tick``-th commit of the builder (one commit per hour)."""
    return datetime.fromtimestamp(EPOCH + tick * 3600, UTC)


def links_by_function(repo: loopintel.Repository, key: str) -> dict[str, loopintel.CodeLink]:
    return {str(link.function): link for link in repo.links(key)}


def test_bug_fix_commits_are_proxies_by_the_documented_rules(
    repo: loopintel.Repository, history: History
) -> None:
    proxies = {p.id: p for p in repo.find_proxies()}
    # The typo fix is tidying, not a bug fix; the start and the feature are neither.
    assert set(proxies) == {history.fix, history.revert}
    fix = proxies[history.fix]
    assert fix.proxy
    assert fix.source == "commits"
    assert "rule:issue-ref" in fix.tags
    assert fix.commits(LinkKind.FIX) == (history.fix,)
    assert [link.target for link in fix.links if link.kind is LinkKind.ISSUE] == ["#12"]
    revert = proxies[history.revert]
    assert revert.type == "revert"
    assert revert.commits(LinkKind.CAUSE) == (history.cause,)
    # Found, not stored: nothing is listed until they are imported, and never as incidents.
    assert list(repo.incidents(proxies=True)) == []
    summary = repo.import_proxies()
    assert sorted(summary.added) == sorted(f"commits:{sha}" for sha in proxies)
    assert list(repo.incidents()) == []
    assert {i.id for i in repo.incidents(proxies=True)} == set(proxies)


def test_a_cause_commit_links_the_functions_it_changed(
    repo: loopintel.Repository, history: History
) -> None:
    incident = Incident(
        source="pagerduty",
        id="PT4KHLK",
        title="checkout down",
        links=(IncidentLink(LinkKind.CAUSE, history.cause[:9]),),
    )
    summary = repo.add_incidents([incident])
    assert summary.added == ("pagerduty:PT4KHLK",)
    assert summary.links == 1
    (link,) = repo.links("PT4KHLK")
    assert str(link.function) == "app/net.py::send"
    assert link.strongest is EvidenceKind.CAUSE_COMMIT
    assert link.evidence[0].commit == history.cause
    assert link.confidence == pytest.approx(CONFIDENCE[EvidenceKind.CAUSE_COMMIT])
    assert link.head == repo.head
    assert repo.why("PT4KHLK", "send") == link.evidence
    assert repo.why("PT4KHLK", "parse_body") == ()


def test_a_fix_commit_links_what_it_changed_and_an_issue_gets_the_commits_closing_it(
    repo: loopintel.Repository, history: History
) -> None:
    repo.add_incidents(
        [
            Incident(
                source="jira",
                id="OPS-1",
                title="x",
                links=(IncidentLink(LinkKind.FIX, history.fix),),
            )
        ]
    )
    assert set(links_by_function(repo, "jira:OPS-1")) == {"app/parse.py::parse_header"}
    # A GitHub issue names no commit; the commit that says "Fixes #12" closes it, once
    # the proxies are stored.
    issue = Incident(source="github", id="12", title="crash on header without colon")
    repo.add_incidents([issue])
    assert list(repo.links("github:12")) == []
    repo.import_proxies()
    assert repo.relink(stale_only=False) >= 1
    (link,) = repo.links("github:12")
    assert str(link.function) == "app/parse.py::parse_header"
    # The fix commit changed it; SZZ traces the line it changed to the commit that wrote it.
    assert [(e.kind, e.commit) for e in link.evidence] == [
        (EvidenceKind.FIX_COMMIT, history.fix),
        (EvidenceKind.INDUCING_COMMIT, history.base),
    ]
    assert "last changed 1 line the fix" in link.evidence[1].detail


def test_touched_files_services_and_the_time_window(
    repo: loopintel.Repository, history: History
) -> None:
    # The cause commit is the second one; the incident starts 30 minutes after it.
    started = at(2.5)
    incident = Incident(
        source="pagerduty",
        id="Q1",
        title="errors",
        started_at=started,
        services=("web",),
        touched_files=("/srv/deploy/app/parse.py",),
    )
    repo.add_incidents([incident])
    links = links_by_function(repo, "Q1")
    assert set(links) == {
        "app/parse.py::parse_header",
        "app/parse.py::parse_body",
        "app/net.py::send",
        "app/net.py::close",
    }
    parse = links["app/parse.py::parse_body"]
    assert [e.kind for e in parse.evidence] == [EvidenceKind.TOUCHED_FILE]
    assert parse.confidence == pytest.approx(CONFIDENCE[EvidenceKind.TOUCHED_FILE])
    close = links["app/net.py::close"]
    assert [e.kind for e in close.evidence] == [EvidenceKind.SERVICE]
    # send changed 30 minutes before the start: the window's weight is nearly whole.
    send = links["app/net.py::send"]
    kinds = [e.kind for e in send.evidence]
    assert kinds == [EvidenceKind.TIME_WINDOW, EvidenceKind.SERVICE]
    window = send.evidence[0]
    assert window.commit == history.cause
    expected = CONFIDENCE[EvidenceKind.TIME_WINDOW] * (
        1 - timedelta(minutes=30) / timedelta(days=7)
    )
    assert window.confidence == pytest.approx(expected, abs=1e-6)
    # Independent reasons combine: 1 - (1 - a)(1 - b).
    assert send.confidence == pytest.approx(1 - (1 - window.confidence) * (1 - 0.1), abs=1e-6)
    # Strongest first.
    assert next(iter(repo.links("Q1"))) == send
    # parse_header changed (by the fix) after the start: no window evidence.
    assert [e.kind for e in links["app/parse.py::parse_header"].evidence] == [
        EvidenceKind.TOUCHED_FILE
    ]


@pytest.mark.usefixtures("history")
def test_a_service_map_given_to_open_wins(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    index = tmp_path / "i.sqlite3"
    with loopintel.open(
        repo_builder.path, index_path=index, services={"web": ["app/p*.py"]}
    ) as repo:
        repo.add_incidents([Incident(source="pagerduty", id="Q2", title="x", services=("web",))])
        assert set(links_by_function(repo, "Q2")) == {
            "app/parse.py::parse_header",
            "app/parse.py::parse_body",
        }


def test_importing_again_replaces_and_nothing_is_duplicated(repo: loopintel.Repository) -> None:
    first = Incident(source="pagerduty", id="R1", title="first", touched_files=("app/net.py",))
    assert repo.add_incidents([first]).added == ("pagerduty:R1",)
    second = Incident(source="pagerduty", id="R1", title="second", touched_files=("app/parse.py",))
    again = repo.add_incidents([second])
    assert again.added == ()
    assert again.updated == ("pagerduty:R1",)
    (stored,) = repo.incidents()
    assert stored.title == "second"
    assert {link.function.path for link in repo.links("R1")} == {"app/parse.py"}


def test_lookups_by_key_or_id_and_deletion(repo: loopintel.Repository) -> None:
    repo.add_incidents(
        [
            Incident(source="pagerduty", id="7", title="a"),
            Incident(source="github", id="7", title="b", touched_files=("app/net.py",)),
            Incident(source="github", id="8", title="c"),
        ]
    )
    assert repo.incident("github:7").title == "b"
    assert repo.incident("8").key == "github:8"
    with pytest.raises(loopintel.IncidentNotFound) as ambiguous:
        repo.incident("7")
    assert set(ambiguous.value.candidates) == {"pagerduty:7", "github:7"}
    assert "github:7" in str(ambiguous.value)
    with pytest.raises(loopintel.IncidentNotFound):
        repo.incident("nine")
    dropped = repo.delete_incident("github:7")
    assert dropped.title == "b"
    assert {i.key for i in repo.incidents()} == {"pagerduty:7", "github:8"}
    with pytest.raises(loopintel.IncidentNotFound):
        repo.links("github:7")
    assert repo.incident("7").key == "pagerduty:7"


def test_a_failed_store_keeps_what_was_there(
    repo: loopintel.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.add_incidents(
        [Incident(source="pagerduty", id="S1", title="kept", touched_files=("app/net.py",))]
    )
    before = list(repo.links("S1"))

    def broken(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "put_links", broken)
    with pytest.raises(sqlite3.OperationalError):
        repo.add_incidents(
            [
                Incident(source="pagerduty", id="S1", title="replaced"),
                Incident(source="pagerduty", id="S2", title="new"),
            ]
        )
    monkeypatch.undo()
    assert [i.title for i in repo.incidents()] == ["kept"]
    assert list(repo.links("S1")) == before


@pytest.mark.usefixtures("history")
def test_incidents_survive_a_rebuild_and_links_follow_the_head(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    index = tmp_path / "i.sqlite3"
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        repo.add_incidents(
            [Incident(source="pagerduty", id="T1", title="t", touched_files=("app/net.py",))]
        )
        old_head = repo.head
    db = sqlite3.connect(index)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION - 1}")
    db.commit()
    db.close()
    repo_builder.commit({"app/net.py": NET + "\n\ndef flush():\n    return 1\n"}, "Add flush")
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        (kept,) = repo.incidents()
        assert kept.key == "pagerduty:T1"
        assert {link.head for link in repo.links("T1")} == {old_head}
        assert repo.relink() == 1
        assert repo.relink() == 0  # nothing is stale any more
        assert "app/net.py::flush" in links_by_function(repo, "T1")


@pytest.mark.usefixtures("history")
def test_labels_give_severity_and_type_unless_the_source_did(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit(
        {
            "pyproject.toml": PYPROJECT
            + '\n[tool.loopintel.labels]\nseverity = {"sev-one" = 1}\ntype = {defect = "bug"}\n'
        },
        "Labels",
    )
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        repo.add_incidents(
            [
                Incident(
                    source="github",
                    id="1",
                    title="a",
                    tags=("regression", "bug", "P3", "priority: high"),
                ),
                Incident(source="github", id="2", title="b", tags=("Sev One", "defect")),
                Incident(
                    source="jira", id="3", title="c", severity="Low", severity_rank=4, tags=("P1",)
                ),
                Incident(source="github", id="4", title="d", tags=("wontfix",)),
            ],
            labels={"severity": {"wontfix": 5}},
        )
        one, two, three, four = (
            repo.incident(k) for k in ("github:1", "github:2", "jira:3", "github:4")
        )
    assert (one.severity_rank, one.severity, one.type) == (2, "priority: high", "regression")
    assert (two.severity_rank, two.type) == (1, "bug")
    assert (three.severity_rank, three.severity) == (4, "Low")  # the source's own wins
    assert four.severity_rank == 5


@pytest.mark.usefixtures("history")
def test_malformed_labels_are_refused_with_where(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {"pyproject.toml": PYPROJECT + "\n[tool.loopintel.labels]\nseverity = {p1 = 9}\n"}
    )
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        with pytest.raises(loopintel.InvalidConfiguration) as bad:
            repo.label_map()
        assert "[tool.loopintel.labels]" in str(bad.value)
        assert "1-5" in str(bad.value)
        with pytest.raises(loopintel.InvalidQuery):
            repo.add_incidents([], labels={"severity": {"x": 0}})


def test_a_proxy_cannot_be_added_as_an_incident(
    repo: loopintel.Repository, history: History
) -> None:
    with pytest.raises(loopintel.InvalidQuery):
        repo.add_incidents([Incident(source="commits", id=history.fix, title="x", proxy=True)])


def test_confidence_combines_kinds_as_independent_reasons_and_frames_as_one() -> None:
    def piece(kind: EvidenceKind, confidence: float, frame: int | None = None) -> Evidence:
        return Evidence(kind=kind, confidence=confidence, detail="", frame=frame)

    fix = piece(EvidenceKind.FIX_COMMIT, 0.85)
    window = piece(EvidenceKind.TIME_WINDOW, 0.4)
    assert combined([fix, window]) == pytest.approx(1 - 0.15 * 0.6)
    frames = [piece(EvidenceKind.FRAME, 0.75, 3), piece(EvidenceKind.FRAME, 0.7, 5)]
    assert combined(frames) == pytest.approx(0.75)
    assert combined([*frames, window]) == pytest.approx(1 - 0.25 * 0.6)
    assert combined([]) == 0.0
