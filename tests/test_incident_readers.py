"""Incident readers for pasted tracebacks, loopintel's own files, GitHub and Jira.

Samples in tests/data/incidents/ are written from each service's documented payloads,
each with bad rows; expected lines are found in the sample's own text, so a sample can
change without its test lying.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopintel.errors import IncidentDataError
from loopintel.model import Frame, Incident, IncidentLink, LinkKind
from loopintel.sources.formats import REGISTRY
from loopintel.sources.incidents import INCIDENTS, digest, read_incidents
from loopintel.sources.jira import PRIORITY_RANKS, adf_text
from loopintel.sources.records import CSV_COLUMNS, write_incidents
from loopintel.sources.traceback import find_tracebacks, frames_in_text, parse_traceback

DATA = Path(__file__).parent / "data" / "incidents"

SAMPLES = {
    "traceback-flask-wsgi.log": "traceback",
    "traceback-requests-chain.txt": "traceback",
    "github-rest-issues.json": "github",
    "gh-issue-list.json": "gh",
    "jira-search-v2.json": "jira",
    "jira-search-v3.json": "jira",
}
OWN = ("loopintel-json", "loopintel-jsonl", "loopintel-csv")


def element_lines(path: Path, indent: str) -> list[int]:
    """The lines where the pretty-printed file's row objects open."""
    lines = path.read_text().splitlines()
    return [n for n, line in enumerate(lines, 1) if line == indent + "{"]


def test_every_format_is_registered_for_incidents() -> None:
    names = REGISTRY.names(INCIDENTS)
    assert set(names) >= {"traceback", "github", "gh", "jira", *OWN}
    # Vendors' JSON is sniffed before loopintel's own.
    assert max(names.index(n) for n in ("github", "gh", "jira")) < names.index("loopintel-json")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_sample_is_recognised_by_its_format_only(name: str) -> None:
    data = (DATA / name).read_bytes()
    assert REGISTRY.detect(INCIDENTS, data) is REGISTRY.find(INCIDENTS, SAMPLES[name])
    others = [
        f.name for f in REGISTRY.formats(INCIDENTS) if f.name != SAMPLES[name] and f.sniff(data)
    ]
    assert others == []


# -- tracebacks ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["traceback-flask-wsgi.log", "traceback-requests-chain.txt"])
def test_a_traceback_file_is_one_incident(name: str) -> None:
    text = (DATA / name).read_text()
    rows = read_incidents(DATA / name)
    rows.check()
    [incident] = rows.incidents
    parsed = parse_traceback(text)
    assert incident.source == "traceback"
    assert incident.id == digest(text)
    assert incident.title == parsed.title
    assert incident.frames == parsed.frames
    assert incident.raw == text


def test_a_text_without_a_traceback_is_refused_as_one(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("The checkout broke at 10:14, see the logs.\n")
    with pytest.raises(IncidentDataError, match="no traceback"):
        read_incidents(path, format="traceback")
    with pytest.raises(IncidentDataError, match="not incidents data of a known format"):
        read_incidents(path)


def test_the_traceback_sniffer_leaves_exports_holding_tracebacks_alone() -> None:
    text = (DATA / "traceback-requests-chain.txt").read_text()
    incident = Incident("traceback", digest(text), "ConnectionError", raw=text)
    for format_ in OWN:
        data = write_incidents([incident], format=format_).encode()
        assert REGISTRY.detect(INCIDENTS, data) is REGISTRY.find(INCIDENTS, format_)
    assert not REGISTRY.find(INCIDENTS, "traceback").sniff(json.dumps([{"body": text}]).encode())  # type: ignore[union-attr]


# -- GitHub ----------------------------------------------------------------------------------


def test_github_rest_issues() -> None:
    path = DATA / "github-rest-issues.json"
    payload = json.loads(path.read_text())
    rows = read_incidents(path)
    assert rows.format == "github"
    by_id = {i.id: i for i in rows.incidents}
    # The pull request (1290) is no incident and no bad row; 1292 and 1293 are bad.
    assert sorted(by_id) == ["1287", "1291"]
    assert rows.skipped == 2
    first = by_id["1287"]
    source = next(p for p in payload if p["number"] == 1287)
    assert first.source == "github"
    assert first.title == source["title"]
    assert first.status == "closed"
    assert first.type == "bug"
    assert first.started_at == first.detected_at == datetime(2026, 11, 28, 9, 12, 44, tzinfo=UTC)
    assert first.resolved_at == datetime(2026, 11, 30, 16, 3, 10, tzinfo=UTC)
    assert first.tags == tuple(label["name"] for label in source["labels"])
    assert first.url == source["html_url"]
    assert first.severity is None
    assert first.severity_rank is None
    assert first.frames == find_tracebacks(source["body"])[0].frames
    assert first.frames[-1].function == "<genexpr>"
    assert json.loads(first.raw or "") == source
    # A traceback in a Markdown block indented by four spaces.
    chain = parse_traceback((DATA / "traceback-requests-chain.txt").read_text())
    assert by_id["1291"].frames == chain.frames
    assert by_id["1291"].resolved_at is None


def test_github_bad_rows_are_reported_at_their_objects_line() -> None:
    path = DATA / "github-rest-issues.json"
    payload = json.loads(path.read_text())
    starts = dict(zip((p["number"] for p in payload), element_lines(path, "  "), strict=True))
    rows = read_incidents(path)
    assert {(p.line, p.field) for p in rows.problems} == {
        (starts[1292], "created_at"),
        (starts[1293], "title"),
        (starts[1293], "labels"),
    }
    with pytest.raises(IncidentDataError) as caught:
        rows.check()
    assert caught.value.problems == rows.problems


def test_gh_issue_list() -> None:
    path = DATA / "gh-issue-list.json"
    payload = json.loads(path.read_text())
    rows = read_incidents(path)
    assert rows.format == "gh"
    assert [i.id for i in rows.incidents] == ["1287", "1301"]
    first, second = rows.incidents
    assert first.status == "CLOSED"
    assert first.url == payload[0]["url"]
    assert first.started_at == datetime(2026, 12, 1, 18, 22, 31, tzinfo=UTC)
    assert first.resolved_at == datetime(2026, 12, 2, 11, 40, tzinfo=UTC)
    assert first.tags == ("bug",)
    assert first.frames == frames_in_text(payload[0]["body"])
    assert len(first.frames) == 5
    assert second.frames == ()
    assert second.resolved_at is None
    bad = element_lines(path, "  ")[2]
    assert {(p.line, p.field) for p in rows.problems} == {(bad, "number"), (bad, "labels")}


def test_gh_zero_time_is_no_time(tmp_path: Path) -> None:
    path = tmp_path / "gh.json"
    row = {"number": 7, "title": "t", "state": "OPEN", "createdAt": "2026-12-01T00:00:00Z",
           "closedAt": "0001-01-01T00:00:00Z", "labels": [], "body": "", "url": "https://github.com/a/b/issues/7"}  # fmt: skip
    path.write_text(json.dumps([row]))
    [incident] = read_incidents(path).incidents
    assert incident.resolved_at is None


# -- Jira ------------------------------------------------------------------------------------


def test_jira_v2_with_wiki_text() -> None:
    path = DATA / "jira-search-v2.json"
    payload = json.loads(path.read_text())
    rows = read_incidents(path)
    assert rows.format == "jira"
    first, second = rows.incidents
    fields = payload["issues"][0]["fields"]
    assert (first.source, first.id) == ("jira", "OPS-412")
    assert first.title == fields["summary"]
    assert (first.severity, first.severity_rank) == ("Highest", 1)
    assert (second.severity, second.severity_rank) == ("Major", 3)
    assert first.status == "Done"
    assert first.type == "incident"
    plus_one = timezone(timedelta(hours=1))
    assert first.started_at == datetime(2026, 12, 1, 2, 31, 9, tzinfo=plus_one)
    assert first.resolved_at == datetime(2026, 12, 1, 9, 30, tzinfo=plus_one)
    assert first.services == ("user-sync",)
    assert first.release == "2.4.0"
    assert first.tags == ("sync", "users", "fix_version:2.4.1")
    assert first.environment == "production (eu-west-1)"
    assert first.url == "https://acme.atlassian.net/browse/OPS-412"
    chain = parse_traceback((DATA / "traceback-requests-chain.txt").read_text())
    assert first.frames == chain.frames
    assert second.frames == frames_in_text(payload["issues"][1]["fields"]["description"])
    assert second.frames[2].file == "/srv/app/shop/views.py"
    bad = element_lines(path, "    ")[2]
    assert [(p.line, p.field) for p in rows.problems] == [(bad, "fields.created")]


def test_jira_v3_with_documents() -> None:
    path = DATA / "jira-search-v3.json"
    payload = json.loads(path.read_text())
    rows = read_incidents(path)
    first, second = rows.incidents
    chain = parse_traceback((DATA / "traceback-requests-chain.txt").read_text())
    assert first.frames == chain.frames
    assert first.environment == "production (eu-west-1)"
    assert (second.severity, second.severity_rank) == ("P2", 2)
    assert second.frames == ()
    assert second.url == "https://acme.atlassian.net/browse/OPS-415"
    text = adf_text(payload["issues"][0]["fields"]["description"])
    assert "@Ann Lee was paged.\nLog below." in text
    assert "https://github.com/acme/shop/pull/1295" in text
    bad = element_lines(path, "    ")[2]
    assert {(p.line, p.field) for p in rows.problems} == {
        (bad, "fields.summary"),
        (bad, "fields.priority"),
    }


@pytest.mark.parametrize(
    ("name", "rank"),
    [
        ("Highest", 1),
        ("Blocker", 1),
        ("High", 2),
        ("Critical", 2),
        ("Medium", 3),
        ("Major", 3),
        ("Low", 4),
        ("Minor", 4),
        ("Lowest", 5),
        ("Trivial", 5),
    ],
)
def test_jira_priority_ranks(name: str, rank: int, tmp_path: Path) -> None:
    assert PRIORITY_RANKS[name.lower()] == rank
    issue = {"key": "OPS-1", "fields": {"summary": "s", "priority": {"name": name}}}
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"issues": [issue]}))
    [incident] = read_incidents(path).incidents
    assert incident.severity_rank == rank


# -- loopintel's own formats -------------------------------------------------------------------

TB = (DATA / "traceback-requests-chain.txt").read_text()
RICH = [
    Incident(
        source="pagerduty",
        id="PT4KHLK",
        title="Checkout 5xx; KeyError in pricing",
        severity="P1",
        severity_rank=1,
        type="incident",
        status="resolved",
        started_at=datetime(2026, 12, 3, 10, 0, tzinfo=UTC),
        detected_at=datetime(2026, 12, 3, 10, 2, 30, 500000, tzinfo=timezone(timedelta(hours=1))),
        resolved_at=datetime(2026, 12, 3, 11, 0, tzinfo=UTC),
        services=("checkout", "pricing-api"),
        environment="production",
        release="v2.4.0",
        links=(
            IncidentLink(LinkKind.FIX, "9f2c1e7"),
            IncidentLink(LinkKind.FIX, "a1b2c3d4e5"),
            IncidentLink(LinkKind.CAUSE, "0badc0de"),
            IncidentLink(LinkKind.PULL_REQUEST, "https://github.com/acme/shop/pull/1295"),
            IncidentLink(LinkKind.ISSUE, "OPS-412"),
            IncidentLink(LinkKind.OTHER, "https://status.acme.example/incidents/88"),
        ),
        frames=(
            Frame(
                "/srv/app/shop/views.py", 58, "checkout", code='total = cart_total(session["cart"])'
            ),
            Frame(
                "C:\\app\\shop\\pricing.py",
                21,
                "cart_total",
                module="shop.pricing",
                in_app=True,
                exception=1,
            ),
            Frame("<frozen runpy>", None, None, in_app=False),
        ),
        touched_files=("shop/pricing.py", "shop/views.py"),
        tags=("team:payments", "a;b", " spaced "),
        url="https://acme.pagerduty.com/incidents/PT4KHLK",
        raw='{"id":"PT4KHLK","title":"Checkout 5xx"}',
    ),
    Incident(
        "traceback",
        digest(TB),
        parse_traceback(TB).title,
        frames=parse_traceback(TB).frames,
        raw=TB,
    ),
    Incident("commits", "4e1f0aa", "Fix the retry loop", proxy=True),
    Incident("jira", "OPS-9", "No raw, no times"),
]


@pytest.mark.parametrize("format_", OWN)
def test_own_formats_round_trip(format_: str, tmp_path: Path) -> None:
    path = tmp_path / "incidents"
    path.write_text(write_incidents(RICH, format=format_), newline="")
    rows = read_incidents(path)
    assert rows.format == format_
    assert rows.total_problems == 0
    assert rows.incidents == tuple(RICH)


def test_own_json_takes_a_list_one_object_or_an_incidents_object(tmp_path: Path) -> None:
    records = [i.to_dict() for i in RICH]
    path = tmp_path / "a.json"
    for document, expected in (
        ({"incidents": records}, RICH),
        (records[0], RICH[:1]),
    ):
        path.write_text(json.dumps(document, indent=2))
        assert read_incidents(path).incidents == tuple(expected)


def test_a_row_without_raw_keeps_itself(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    row = {
        "source": "statuspage",
        "id": "88",
        "title": "API degraded",
        "started_at": "2026-12-03 10:00",
    }
    path.write_text(json.dumps(row) + "\n")
    [incident] = read_incidents(path).incidents
    assert json.loads(incident.raw or "") == row
    assert incident.started_at == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # naive is UTC


BAD_ROWS: list[tuple[dict[str, Any], str]] = [
    ({"source": "x", "title": "no id"}, "id"),
    ({"source": "x", "id": "1", "title": "t", "started_at": "soon"}, "started_at"),
    ({"source": "x", "id": "1", "title": "t", "severity_rank": 7}, "severity_rank"),
    ({"source": "x", "id": "1", "title": "t", "tags": "a,b"}, "tags"),
    (
        {"source": "x", "id": "1", "title": "t", "links": [{"kind": "blame", "target": "abc"}]},
        "links[0].kind",
    ),
    (
        {"source": "x", "id": "1", "title": "t", "frames": [{"file": "a.py", "line": "3"}]},
        "frames[0].line",
    ),
    ({"source": "x", "id": "1", "title": "t", "frames": [{"line": 3}]}, "frames[0].file"),
    ({"source": "x", "id": "1", "title": "t", "proxy": "maybe"}, "proxy"),
    ({"source": "x", "id": ["1"], "title": "t"}, "id"),
]


def test_own_json_bad_rows_at_the_line_their_object_starts(tmp_path: Path) -> None:
    good = RICH[3].to_dict()
    rows_in: list[dict[str, Any]] = [good]
    for bad, _ in BAD_ROWS:
        rows_in += [bad, good]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows_in, indent=2))
    starts = element_lines(path, "  ")
    rows = read_incidents(path)
    assert rows.format == "loopintel-json"
    assert len(rows.incidents) == len(BAD_ROWS) + 1
    assert rows.skipped == len(BAD_ROWS)
    expected = [(starts[2 * i + 1], field) for i, (_, field) in enumerate(BAD_ROWS)]
    assert [(p.line, p.field) for p in rows.problems] == expected


def test_own_jsonl_bad_rows_at_their_line(tmp_path: Path) -> None:
    good = json.dumps(RICH[3].to_dict())
    lines = [good, "", '{"source": "x", "id": "2", "title": ', good]
    lines += [json.dumps(bad) for bad, _ in BAD_ROWS]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    rows = read_incidents(path, format="loopintel-jsonl")
    assert len(rows.incidents) == 2
    assert rows.skipped == 1 + len(BAD_ROWS)
    assert [(p.line, p.field) for p in rows.problems] == [
        (3, None),
        *((5 + i, field) for i, (_, field) in enumerate(BAD_ROWS)),
    ]
    assert rows.problems[0].message.startswith("malformed JSON")


def test_own_csv_bad_rows_at_their_line(tmp_path: Path) -> None:
    text = write_incidents([RICH[1], RICH[3]], format="loopintel-csv")
    header, *body = text.splitlines(keepends=True)
    # The traceback's raw text spans many lines: the next row starts far below.
    traceback_lines = 1 + TB.count("\n")
    bad = [
        "x,,no id" + "," * (len(CSV_COLUMNS) - 3) + "\n",
        "x,1,t," + ",".join("soon" if c == "started_at" else "" for c in CSV_COLUMNS[3:]) + "\n",
        "x,1,t," + ",".join("many" if c == "severity_rank" else "" for c in CSV_COLUMNS[3:]) + "\n",
        "x,1,t," + ",".join('"[1, 2]"' if c == "frames" else "" for c in CSV_COLUMNS[3:]) + "\n",
    ]
    path = tmp_path / "bad.csv"
    path.write_text(header + "".join(body) + "".join(bad), newline="")
    rows = read_incidents(path)
    assert rows.format == "loopintel-csv"
    assert rows.incidents == (RICH[1], RICH[3])
    first_bad = 2 + traceback_lines + 1
    assert [(p.line, p.field) for p in rows.problems] == [
        (first_bad, "id"),
        (first_bad + 1, "started_at"),
        (first_bad + 2, "severity_rank"),
        (first_bad + 3, "frames[0]"),
        (first_bad + 3, "frames[1]"),
    ]


def test_own_csv_needs_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("number,title\n1,t\n")
    with pytest.raises(IncidentDataError, match="no source, id column") as caught:
        read_incidents(path, format="loopintel-csv")
    assert caught.value.problems[0].line == 1


def test_unreadable_files_raise_at_once(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"source": "x", "id": "1", "title": "t"},\n  {"source": \n')
    with pytest.raises(IncidentDataError, match="malformed JSON") as caught:
        read_incidents(path, format="loopintel-json")
    assert caught.value.problems[0].line == 4
    path.write_bytes(b'[{"source": "x", "id": "1", "title": "caf\xe9"}]')
    for format_ in ("loopintel-json", "github", "jira", "loopintel-csv", "traceback"):
        with pytest.raises(IncidentDataError, match="not UTF-8"):
            read_incidents(path, format=format_)


def test_vendor_readers_refuse_what_is_no_list_or_object(tmp_path: Path) -> None:
    path = tmp_path / "scalar.json"
    path.write_text('"hello"')
    for format_ in ("github", "gh", "jira", "loopintel-json"):
        with pytest.raises(IncidentDataError, match="expected"):
            read_incidents(path, format=format_)


TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
TIMES = st.none() | st.datetimes(
    # Naive bounds: hypothesis attaches the zone to what it draws.
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
INCIDENTS_ = st.builds(
    Incident,
    source=st.from_regex(r"[a-z]{1,10}", fullmatch=True),
    id=st.from_regex(r"[A-Za-z0-9-]{1,12}", fullmatch=True),
    title=TEXT.filter(lambda t: bool(t.strip())),
    severity=st.none() | TEXT.filter(lambda t: bool(t.strip())),
    severity_rank=st.none() | st.integers(1, 5),
    started_at=TIMES,
    resolved_at=TIMES,
    services=st.lists(TEXT.filter(lambda t: bool(t.strip())), max_size=3).map(tuple),
    tags=st.lists(TEXT.filter(lambda t: bool(t.strip())), max_size=3).map(tuple),
    links=st.lists(
        st.builds(
            IncidentLink,
            st.sampled_from(LinkKind),
            st.from_regex(r"[0-9a-f]{7,12}", fullmatch=True),
        ),
        max_size=3,
    ).map(lambda links: tuple(sorted(links, key=lambda link: list(LinkKind).index(link.kind)))),
    frames=st.lists(
        st.builds(Frame, TEXT.filter(bool), st.none() | st.integers(1, 10**6), st.none() | TEXT),
        max_size=3,
    ).map(tuple),
    proxy=st.booleans(),
    raw=st.none() | TEXT.filter(bool),  # CSV: an empty cell is no value
)


@settings(max_examples=60, deadline=None)
@given(st.lists(INCIDENTS_, min_size=1, max_size=4), st.sampled_from(OWN))
def test_any_incidents_round_trip(incidents: list[Incident], format_: str) -> None:
    import tempfile  # noqa: PLC0415 - hypothesis examples share no tmp_path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents"
        path.write_text(write_incidents(incidents, format=format_), newline="", encoding="utf-8")
        rows = read_incidents(path, format=format_)
    assert rows.problems == ()
    assert rows.incidents == tuple(incidents)


def test_the_docs_name_every_incident_format() -> None:
    text = (Path(__file__).parent.parent / "docs" / "incidents.md").read_text()
    readers = text.split("## Readers", 1)[1]
    missing = [n for n in REGISTRY.names(INCIDENTS) if f"`{n}`" not in readers]
    assert missing == []
