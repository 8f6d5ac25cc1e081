"""Context for responders: the functions a target implicates, with what they ask of each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import EvidenceKind, Incident, IncidentLink, LinkKind
from tests.cli_runner import run_cli
from tests.conftest import EPOCH

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

CORE = """\
def load(path):
    return open(path).read()


def save(path, data):
    with open(path, "w") as out:
        out.write(data)
"""
GRACE = ("Grace Hopper", "grace@example.com")


@pytest.fixture
def shas(repo_builder: RepoBuilder) -> list[str]:
    """The functions load and save by Ada; save changed twice by Grace later; one fix commit."""
    out = [
        repo_builder.commit(
            {"app/core.py": CORE, "app/other.py": "def idle():\n    pass\n"},
            at=EPOCH - 30 * 86400,  # outside any incident's time window
        )
    ]
    out.append(
        repo_builder.commit(
            {"app/core.py": CORE.replace('"w"', '"wb"')}, "Write bytes", author=GRACE
        )
    )
    out.append(
        repo_builder.commit(
            {
                "app/core.py": CORE.replace('"w"', '"wb"').replace(
                    "write(data)", "write(data.encode())"
                )
            },
            "Fix save of text (fixes #3)",
            author=GRACE,
        )
    )
    return out


@pytest.fixture
def repo(repo_builder: RepoBuilder, shas: list[str], tmp_path: Path) -> loopintel.Repository:
    del shas  # built first
    return loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3")


def test_a_function_target_is_the_function_with_its_summary(repo: loopintel.Repository) -> None:
    found = repo.context("save")
    assert found.kind == "function"
    (item,) = found.functions
    assert str(item.link.function) == "app/core.py::save"
    assert item.link.confidence == 1.0
    assert item.link.evidence == ()
    assert item.summary == repo.function("save").summary()
    assert item.summary.changes == 3
    assert found.incident is None
    assert found.frames == ()
    assert found.resolved_at is None


def test_a_file_target_ranks_its_functions_by_recent_changes(repo: loopintel.Repository) -> None:
    maker_context = repo.context("app/core.py")
    assert maker_context.kind == "file"
    assert [str(f.link.function) for f in maker_context.functions][:2] == [
        "app/core.py::save",
        "app/core.py::load",
    ]
    assert repo.context("app").kind == "directory"
    assert {str(f.link.function) for f in repo.context("app").functions} == {
        "app/core.py::save",
        "app/core.py::load",
        "app/other.py::idle",
    }


def test_an_incident_target_ranks_by_evidence_and_lists_earlier_incidents(
    repo: loopintel.Repository, shas: list[str]
) -> None:
    repo.import_proxies()  # the fix commit is an earlier (proxy) incident on save
    started = datetime.fromtimestamp(EPOCH + 10 * 3600, UTC)
    repo.add_incidents(
        [
            Incident(
                source="pagerduty",
                id="P9",
                title="uploads fail",
                started_at=started,
                links=(IncidentLink(LinkKind.CAUSE, shas[1]),),
                touched_files=("app/core.py",),
            )
        ]
    )
    found = repo.context("P9")
    assert found.kind == "incident"
    assert found.incident is not None
    assert found.incident.key == "pagerduty:P9"
    names = [str(f.link.function) for f in found.functions]
    assert names == ["app/core.py::save", "app/core.py::load"]
    save, load = found.functions
    assert save.link.evidence[0].kind is EvidenceKind.CAUSE_COMMIT
    assert [e.kind for e in load.link.evidence] == [EvidenceKind.TOUCHED_FILE]
    # save changed twice in the four weeks before the start (its addition is older).
    assert save.recent_changes == 2
    assert save.earlier_incidents == (f"commits:{shas[2]}",)
    assert load.earlier_incidents == ()
    (earlier,) = found.earlier
    assert earlier.proxy
    assert earlier.key == f"commits:{shas[2]}"
    # An incident value that is not stored is linked on the spot, identically.
    value = repo.incident("P9")
    repo.delete_incident("P9")
    again = repo.context(value)
    assert [f.link for f in again.functions] == [f.link for f in found.functions]


def test_unknown_targets_say_what_was_looked_for(repo: loopintel.Repository) -> None:
    with pytest.raises(loopintel.TargetNotFound) as missing:
        repo.context("no_such_thing")
    assert "no_such_thing" in str(missing.value)


def test_the_command_prints_the_context_and_json_for_bots(
    repo: loopintel.Repository, repo_builder: RepoBuilder, shas: list[str]
) -> None:
    repo.add_incidents(
        [
            Incident(
                source="sentry", id="e1", title="boom", links=(IncidentLink(LinkKind.FIX, shas[2]),)
            )
        ]
    )
    repo.close()
    index = str(repo.index_path)
    result = run_cli("context", "e1", str(repo_builder.path), "--index-path", index, "--json")
    record = json.loads(result.stdout)
    assert record["kind"] == "incident"
    (function,) = record["functions"]
    assert function["path"] == "app/core.py"
    assert function["qualname"] == "save"
    assert function["evidence"][0]["kind"] == "fix_commit"
    assert function["summary"]["last_changed"]["commit"] == shas[2]
    text = run_cli("context", "e1", str(repo_builder.path), "--index-path", index).stdout
    assert "app/core.py::save" in text
    assert "Grace Hopper" in text
    missing = run_cli(
        "context", "nothing_here", str(repo_builder.path), "--index-path", index, check=False
    )
    assert missing.exit_code == 1
    assert "nothing_here" in missing.stderr


TRACEBACK = """\
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12] Traceback (most recent call last):
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12]   File "/srv/venv/lib/python3.12/site-packages/app/core.py", line 2, in load
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12]     return open(path).read()
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12]   File "/srv/venv/lib/python3.12/site-packages/app/core.py", line 7, in save
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12]     out.write(data.encode())
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12]   File "/usr/lib/python3.12/encodings/utf_8.py", line 15, in encode
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12]     return codecs.utf_8_encode(input, errors)
[Thu Dec 03 10:00:00.123 2026] [wsgi:error] [pid 12] UnicodeEncodeError: 'utf-8' codec can't encode
"""
"""A logged traceback: the frames in app/core.py are load (line 2) then save (line 7) at
the head of the history above, the last one in the standard library."""


def test_a_pasted_traceback_resolves_its_frames_and_ranks_the_innermost_first(
    repo: loopintel.Repository, shas: list[str]
) -> None:
    found = repo.context(TRACEBACK)
    assert found.kind == "traceback"
    assert found.incident is not None
    assert found.incident.source == "traceback"
    assert found.target.startswith("UnicodeEncodeError")
    assert found.resolved_at is not None
    # Only the last commit has save's line 7 in save.
    assert found.resolved_at.commit == shas[2]
    statuses = [(f.path, f.qualname, f.status) for f in found.frames]
    assert statuses == [
        ("app/core.py", "load", loopintel.FrameStatus.RESOLVED),
        ("app/core.py", "save", loopintel.FrameStatus.RESOLVED),
        (None, None, loopintel.FrameStatus.OUTSIDE_REPO),
    ]
    names = [str(f.link.function) for f in found.functions]
    assert names == ["app/core.py::save", "app/core.py::load"]
    save, load = found.functions
    assert save.link.evidence[0].kind is EvidenceKind.FRAME
    assert save.link.confidence > load.link.confidence
    # Not stored: a pasted traceback is looked at, not imported.
    assert list(repo.incidents()) == []


def test_the_command_reads_a_traceback_from_stdin_or_a_file(
    repo: loopintel.Repository, repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo.close()
    index = str(repo.index_path)
    where = str(repo_builder.path)
    result = run_cli("context", "-", where, "--index-path", index, "--json", stdin=TRACEBACK)
    record = json.loads(result.stdout)
    assert record["kind"] == "traceback"
    assert set(record["resolved_at"]) >= {"commit", "how", "candidates"}
    assert record["resolved_at"]["how"] in ("release", "inferred", "time", "head")
    frame = record["frames"][1]
    assert {k: frame[k] for k in ("file", "line", "function", "path", "qualname", "status")} == {
        "file": "/srv/venv/lib/python3.12/site-packages/app/core.py",
        "line": 7,
        "function": "save",
        "path": "app/core.py",
        "qualname": "save",
        "status": "resolved",
    }
    assert len(frame["lineage"]) == 16
    pasted = tmp_path / "crash.log"
    pasted.write_text(TRACEBACK)
    text = run_cli("context", str(pasted), where, "--index-path", index).stdout
    assert "resolved at" in text
    assert "app/core.py::save" in text
