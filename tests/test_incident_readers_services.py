"""PagerDuty and Sentry incident readers: fields, severity ranks, frame order, bad rows."""

from __future__ import annotations

import json
import textwrap
import traceback
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loopintel
from loopintel.sources.formats import REGISTRY
from loopintel.sources.incidents import INCIDENTS, IncidentRows, read_incidents
from loopintel.sources.json_values import element_lines, read_values
from loopintel.sources.pagerduty import CSV_COLUMNS, pagerduty_rank
from loopintel.sources.problems import Problems
from loopintel.sources.sentry import LEVEL_RANK

if TYPE_CHECKING:
    from loopintel.model import Incident

DATA = Path(__file__).resolve().parent / "data" / "incidents"


def _read(path: Path, **options: str) -> IncidentRows:
    return read_incidents(path, **options)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _by_id(rows: IncidentRows) -> dict[str, Incident]:
    return {i.id: i for i in rows.incidents}


def _places(rows: IncidentRows) -> list[tuple[int | None, str | None]]:
    return [(p.line, p.field) for p in rows.problems]


def _line_of(text: str, marker: str) -> int:
    """The line holding ``marker`` (which occurs once)."""
    assert text.count(marker) == 1, marker
    return text[: text.index(marker)].count("\n") + 1


def _object_line(text: str, marker: str) -> int:
    """The line of the ``{`` that opens the pretty-printed object holding ``marker``."""
    lines = text.split("\n")
    number = _line_of(text, marker)
    while lines[number - 1].strip() != "{":
        number -= 1
    return number


def _pages(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    values, position = [], 0
    while position < len(text.rstrip()):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


# -- the registry ---------------------------------------------------------------------------


def test_the_readers_are_registered_as_incident_formats() -> None:
    names = REGISTRY.names(INCIDENTS)
    assert {"pagerduty", "pagerduty-csv", "sentry"} <= set(names)
    for name in ("pagerduty", "pagerduty-csv", "sentry"):
        found = REGISTRY.find(INCIDENTS, name)
        assert found is not None
        assert found.kind is INCIDENTS
        assert found.description


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ("pagerduty-incidents.json", "pagerduty"),
        ("pagerduty-pages.jsonl", "pagerduty"),
        ("pagerduty-incidents.csv", "pagerduty-csv"),
        ("sentry-event-api.json", "sentry"),
        ("sentry-issue-events.json", "sentry"),
        ("sentry-sdk-events.jsonl", "sentry"),
    ],
)
def test_each_sample_is_recognised_by_its_content(sample: str, name: str) -> None:
    data = (DATA / sample).read_bytes()
    found = REGISTRY.detect(INCIDENTS, data)
    assert found is not None
    assert found.name == name
    others = [f.name for f in REGISTRY.formats(INCIDENTS) if f.name != name and f.sniff(data)]
    assert others == [], f"{sample} is also taken for {others}"
    assert _read(DATA / sample).format == name


@pytest.mark.parametrize(
    "text",
    [
        '{"incidents": [{"id": "42", "title": "Disk full", "severity": "SEV-2"}]}',
        '[{"id": "42", "title": "Disk full", "started_at": "2024-03-05T14:22:10Z"}]',
        '{"source": "loopintel", "id": "7", "title": "t", "frames": []}\n',
        "source,id,title,severity\nloopintel,1,Disk full,SEV-2\n",
    ],
)
def test_generic_incident_files_are_neither_pagerduty_nor_sentry(text: str) -> None:
    data = text.encode()
    for name in ("pagerduty", "pagerduty-csv", "sentry"):
        found = REGISTRY.find(INCIDENTS, name)
        assert found is not None
        assert not found.sniff(data), name


def test_a_pagerduty_alert_quoting_a_sentry_event_is_still_pagerduty(tmp_path: Path) -> None:
    page = {
        "incidents": [
            {
                "id": "PX0SNT1",
                "incident_number": 9,
                "title": "Sentry alert: KeyError in pay",
                "urgency": "high",
                "body": {"details": {"event_id": "9f8e7d6c5b4a49388271605f4e3d2c1b"}},
            }
        ]
    }
    path = _write(tmp_path, "all.json", json.dumps(page))
    rows = _read(path)
    assert rows.format == "pagerduty"
    assert [i.id for i in rows.incidents] == ["PX0SNT1"]


# -- PagerDuty: the REST API's JSON ------------------------------------------------------------


def test_a_first_page_without_incidents_is_still_pagerduty(tmp_path: Path) -> None:
    empty = {"incidents": [], "limit": 25, "offset": 0, "total": None, "more": False}
    rows = _read(_write(tmp_path, "p.json", json.dumps(empty) + "\n"))
    assert rows.format == "pagerduty"
    assert rows.incidents == ()
    assert rows.problems == ()


def test_an_sdk_event_with_its_id_after_a_long_exception_is_sentry(tmp_path: Path) -> None:
    frame = {"abs_path": "/srv/a.py", "lineno": 1, "function": "f", "vars": {"blob": "x" * 70000}}
    event: dict[str, Any] = {
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]}
    }
    event["event_id"] = "4" * 32
    rows = _read(_write(tmp_path, "e.json", json.dumps(event)))
    assert rows.format == "sentry"
    assert [i.id for i in rows.incidents] == ["4" * 32]


def test_pagerduty_pages_in_one_file_read_as_one_list() -> None:
    path = DATA / "pagerduty-incidents.json"
    pages = _pages(path.read_text())
    assert len(pages) == 2
    rows = _read(path)
    good = [
        obj["id"]
        for page in pages
        for obj in page["incidents"]
        if "id" in obj and obj["id"] != "PBADSV1"
    ]
    assert [i.id for i in rows.incidents] == good
    assert rows.skipped == 2


def test_a_pagerduty_incident_maps_every_field() -> None:
    path = DATA / "pagerduty-incidents.json"
    original = _pages(path.read_text())[0]["incidents"][0]
    incident = _by_id(_read(path))["PT4KHLK"]
    assert incident.source == "pagerduty"
    assert incident.key == "pagerduty:PT4KHLK"
    assert incident.title == original["title"]
    assert (incident.severity, incident.severity_rank) == ("P1", 1)
    assert incident.status == "resolved"
    assert incident.type == "incident"
    assert incident.started_at == datetime(2024, 3, 5, 14, 22, 10, tzinfo=UTC)
    assert incident.detected_at == incident.started_at
    assert incident.resolved_at == datetime(2024, 3, 5, 15, 1, 44, tzinfo=UTC)
    assert incident.services == ("checkout-web",)
    assert incident.url == original["html_url"]
    assert set(incident.tags) == {
        "incident_number:1234",
        "urgency:high",
        "escalation_policy:Web on-call",
        "team:Payments",
    }
    assert incident.raw is not None
    assert json.loads(incident.raw) == original
    assert incident.frames == ()


def test_pagerduty_times_keep_their_offset() -> None:
    incident = _by_id(_read(DATA / "pagerduty-incidents.json"))["Q0RIJJZL24RC6W"]
    assert incident.started_at is not None
    assert incident.started_at.utcoffset() == timedelta(hours=-5)
    assert incident.started_at == datetime(2024, 3, 6, 7, 10, tzinfo=UTC)
    assert incident.resolved_at is None  # triggered: its last status change is no resolution


def test_without_a_priority_the_urgency_is_the_severity() -> None:
    by_id = _by_id(_read(DATA / "pagerduty-incidents.json"))
    low = by_id["Q0RIJJZL24RC6W"]
    assert (low.severity, low.severity_rank) == ("low", 4)
    p3 = by_id["PZQ8M2X"]  # P3 with high urgency: the priority says it
    assert (p3.severity, p3.severity_rank) == ("P3", 3)
    assert set(p3.tags) >= {"team:Search", "team:Platform"}


@pytest.mark.parametrize(
    ("priority", "urgency", "rank"),
    [
        ("P1", "high", 1),
        ("P2", "low", 2),
        ("P5", "high", 5),
        ("SEV-2", "low", 2),
        (None, "high", 2),
        (None, "low", 4),
        ("Customer-facing", "high", 2),
        ("Customer-facing", None, None),
        (None, None, None),
    ],
)
def test_pagerduty_rank(priority: str | None, urgency: str | None, rank: int | None) -> None:
    assert pagerduty_rank(priority, urgency) == rank


def test_bad_pagerduty_rows_are_reported_at_their_objects_line() -> None:
    path = DATA / "pagerduty-incidents.json"
    text = path.read_text()
    rows = _read(path)
    no_id = _object_line(text, '"summary": "[#1236] worker queue depth above 10000"')
    bad_service = _object_line(text, '"id": "PBADSV1"')
    assert _places(rows) == [
        (no_id, "created_at"),
        (no_id, "id"),
        (bad_service, "service"),
    ]
    assert rows.total_problems == 3
    with pytest.raises(loopintel.IncidentDataError) as caught:
        rows.check()
    assert caught.value.total == 3
    assert "yesterday evening" in str(caught.value)


def test_one_page_per_line_with_a_cut_off_page() -> None:
    path = DATA / "pagerduty-pages.jsonl"
    lines = path.read_text().splitlines()
    rows = _read(path)
    # Pages 1, 2 and 4 parse; page 4 is the complete copy of the cut-off page 3.
    expected = [
        obj["id"]
        for number in (1, 2, 4)
        for obj in json.loads(lines[number - 1])["incidents"]
        if obj["id"] != "PGX7Q2D"
    ]
    assert [i.id for i in rows.incidents] == expected
    assert _places(rows) == [(2, "incident_number"), (2, "urgency"), (3, None)]
    assert "cut off" in rows.problems[-1].message
    epoch = _by_id(rows)["PGX7Q2C"]
    assert epoch.resolved_at == datetime.fromtimestamp(1712053800.5, UTC)
    assert (epoch.severity, epoch.severity_rank) == ("P4", 4)


def test_compact_pages_concatenated_on_one_line(tmp_path: Path) -> None:
    def page(*ids: str) -> str:
        return json.dumps(
            {
                "incidents": [
                    {"id": i, "incident_number": n, "title": f"t{i}", "urgency": "high"}
                    for n, i in enumerate(ids)
                ],
                "more": True,
            }
        )

    path = _write(tmp_path, "all.json", page("PA", "PB") + page("PC") + page())
    rows = _read(path)
    assert [i.id for i in rows.incidents] == ["PA", "PB", "PC"]
    assert rows.problems == ()


def test_single_incidents_and_incident_lines(tmp_path: Path) -> None:
    one = {"incident": {"id": "PONE001", "incident_number": 1, "title": "one", "urgency": "low"}}
    lines = [
        {"id": "PLINE01", "incident_number": 2, "title": "two", "urgency": "high"},
        {"id": "PLINE02", "incident_number": "3", "title": "three", "urgency": "low"},
        {"incident_number": 4, "title": "no id", "urgency": "low"},
    ]
    text = json.dumps(one) + "\n" + "\n".join(json.dumps(x) for x in lines) + "\n"
    rows = _read(_write(tmp_path, "all.jsonl", text), format="pagerduty")
    assert [i.id for i in rows.incidents] == ["PONE001", "PLINE01", "PLINE02"]
    assert _places(rows) == [(4, "id")]


def test_a_resolved_incident_without_resolved_at_uses_its_last_status_change(
    tmp_path: Path,
) -> None:
    base = {"incident_number": 5, "title": "t", "urgency": "high"}
    page = {
        "incidents": [
            {
                **base,
                "id": "PRES001",
                "status": "resolved",
                "last_status_change_at": "2024-01-02T03:04:05Z",
            },
            {
                **base,
                "id": "PACK001",
                "status": "acknowledged",
                "last_status_change_at": "2024-01-02T03:04:05Z",
            },
        ]
    }
    by_id = _by_id(_read(_write(tmp_path, "p.json", json.dumps(page, indent=2))))
    assert by_id["PRES001"].resolved_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert by_id["PACK001"].resolved_at is None


def test_wrong_types_in_a_pagerduty_row(tmp_path: Path) -> None:
    page = {
        "incidents": [
            {"id": 17, "incident_number": 1, "title": "t", "urgency": "high"},
            {"id": "POK0001", "incident_number": True, "title": "t", "priority": 3},
            {"id": "POK0002", "incident_number": 3, "teams": "Payments"},
            "PSTRING",
        ]
    }
    path = _write(tmp_path, "p.json", json.dumps(page, indent=2))
    rows = _read(path, format="pagerduty")
    starts = [n for n, line in enumerate(path.read_text().split("\n"), 1) if line == "    {"]
    string_line = _line_of(path.read_text(), '"PSTRING"')
    assert rows.incidents == ()
    assert _places(rows) == [
        (starts[0], "id"),
        (starts[1], "incident_number"),
        (starts[1], "priority"),
        (starts[2], "teams"),
        (starts[2], "title"),
        (string_line, None),
    ]
    assert rows.skipped == 4


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"incidents": [{"id": "PA", "incident_number": 1, "urgency": "high",}]}', 1),
        ('{"incidents": [\n  {"id": "PA", "incident_number": 1, "urgency": "high"\n', 3),
    ],
)
def test_a_pagerduty_file_that_is_not_json_fails_at_once(
    tmp_path: Path, text: str, line: int
) -> None:
    with pytest.raises(loopintel.IncidentDataError) as caught:
        _read(_write(tmp_path, "p.json", text), format="pagerduty")
    assert [p.line for p in caught.value.problems] == [line]
    assert "malformed JSON" in caught.value.problems[0].message


def test_not_utf8_fails_at_once(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'{"incidents": [{"id": "P\xff", "incident_number": 1, "urgency": "high"}]}')
    with pytest.raises(loopintel.IncidentDataError, match="not UTF-8"):
        _read(path)


# -- PagerDuty: the incidents CSV ----------------------------------------------------------------


def test_the_pagerduty_csv_sample() -> None:
    path = DATA / "pagerduty-incidents.csv"
    text = path.read_text()
    rows = _read(path)
    assert [i.id for i in rows.incidents] == ["PT4KHLK", "Q0RIJJZL24RC6W", "PZQ8M2X"]
    first = rows.incidents[0]
    assert first.source == "pagerduty"
    assert (first.severity, first.severity_rank, first.status) == ("P1", 1, "resolved")
    assert first.services == ("checkout-web",)
    assert first.started_at == datetime(2024, 3, 5, 14, 22, 10, tzinfo=UTC)
    assert first.url == "https://acme.pagerduty.com/incidents/PT4KHLK"
    assert "team:Payments" in first.tags
    assert first.raw is not None
    assert json.loads(first.raw)["escalation_policy_name"] == "Web on-call"
    second = rows.incidents[1]
    assert second.started_at == datetime(2024, 3, 6, 2, 10, tzinfo=timezone(timedelta(hours=-5)))
    assert (second.severity, second.severity_rank) == ("low", 4)
    assert _places(rows) == [
        (_line_of(text, ",1236,"), "id"),
        (_line_of(text, "PBADSV1,1238"), "created_on"),
        (_line_of(text, "PQW3RT5,12x9"), "incident_number"),
    ]
    assert rows.skipped == 3


def test_a_csv_row_spanning_lines_is_reported_at_its_first_line(tmp_path: Path) -> None:
    text = (
        "id,incident_number,title,urgency,created_at\n"
        'PMULTI1,1,"first line\nsecond line",high,2024-01-01T00:00:00Z\n'
        "PMULTI2,2,after,high,not a time\n"
    )
    rows = _read(_write(tmp_path, "i.csv", text))
    assert [i.title for i in rows.incidents] == ["first line\nsecond line"]
    assert _places(rows) == [(4, "created_at")]


def test_csv_headers_are_matched_normalised(tmp_path: Path) -> None:
    text = (
        "Incident ID,Incident Number,Description,Status,Urgency,Priority Name,Service Name,"
        "Created On,Resolved On,Incident URL,Notes\n"
        "PNORM01,77,db-3 disk 95% full,resolved,high,P2,postgres-main,"
        "2024-02-01 10:00:00 UTC,2024-02-01 10:30:00+01:00,https://acme.pagerduty.com/incidents/PNORM01,"
        "cleaned WAL\n"
    )
    rows = _read(_write(tmp_path, "export.csv", text))
    assert rows.format == "pagerduty-csv"
    (incident,) = rows.incidents
    assert incident.id == "PNORM01"
    assert incident.title == "db-3 disk 95% full"
    assert (incident.severity, incident.severity_rank) == ("P2", 2)
    assert incident.services == ("postgres-main",)
    assert incident.started_at == datetime(2024, 2, 1, 10, tzinfo=UTC)
    assert incident.resolved_at == datetime(2024, 2, 1, 9, 30, tzinfo=UTC)
    assert incident.url == "https://acme.pagerduty.com/incidents/PNORM01"
    assert incident.raw is not None
    assert json.loads(incident.raw)["Notes"] == "cleaned WAL"


def test_every_documented_csv_column_is_read(tmp_path: Path) -> None:
    values = {
        "id": "PCOLS01",
        "incident_number": "5",
        "title": "title text",
        "status": "resolved",
        "urgency": "low",
        "priority": "P3",
        "service": "svc",
        "created_at": "2024-01-01T00:00:00Z",
        "resolved_at": "",
        "last_status_change_at": "2024-01-01T01:00:00Z",
        "escalation_policy": "policy",
        "team": "team-a",
        "html_url": "https://acme.pagerduty.com/incidents/PCOLS01",
    }
    assert set(values) == set(CSV_COLUMNS)
    for index in range(max(len(a) for a in CSV_COLUMNS.values())):
        headers = [a[min(index, len(a) - 1)] for a in CSV_COLUMNS.values()]
        text = ",".join(headers) + "\n" + ",".join(values.values()) + "\n"
        (incident,) = _read(
            _write(tmp_path, f"c{index}.csv", text), format="pagerduty-csv"
        ).incidents
        assert incident.id == "PCOLS01"
        assert incident.title == "title text"
        assert (incident.status, incident.severity, incident.severity_rank) == ("resolved", "P3", 3)
        assert incident.services == ("svc",)
        assert incident.started_at == datetime(2024, 1, 1, tzinfo=UTC)
        assert incident.resolved_at == datetime(2024, 1, 1, 1, tzinfo=UTC)
        assert set(incident.tags) == {
            "incident_number:5",
            "urgency:low",
            "escalation_policy:policy",
            "team:team-a",
        }
        assert incident.url == values["html_url"]


def test_a_csv_with_a_byte_order_mark_quoted_headers_and_crlf(tmp_path: Path) -> None:
    text = (
        '\ufeff"Incident ID","Incident Number","Title","Urgency","Created On"\r\n'
        '"PCRLF01","3","a, b","high","2024-01-01 00:00:00 +0100"\r\n'
        "PCRLF02,4,c,low,\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode())
    rows = _read(path)
    assert rows.format == "pagerduty-csv"
    assert [(i.id, i.title) for i in rows.incidents] == [("PCRLF01", "a, b"), ("PCRLF02", "c")]
    assert rows.incidents[0].started_at == datetime(2023, 12, 31, 23, tzinfo=UTC)
    assert rows.incidents[1].started_at is None


def test_a_csv_without_an_id_column_fails_at_once(tmp_path: Path) -> None:
    text = "incident_number,title,urgency\n1,t,high\n"
    with pytest.raises(loopintel.IncidentDataError, match="no id column"):
        _read(_write(tmp_path, "i.csv", text), format="pagerduty-csv")


def test_a_csv_row_with_too_many_cells_is_a_problem(tmp_path: Path) -> None:
    text = "id,incident_number,title,urgency\nPA,1,t,high\nPB,2,t,high,extra\n"
    rows = _read(_write(tmp_path, "i.csv", text))
    assert [i.id for i in rows.incidents] == ["PA"]
    assert _places(rows) == [(3, None)]


# -- Sentry: the web API's event -----------------------------------------------------------------


def test_a_sentry_api_event_maps_every_field() -> None:
    path = DATA / "sentry-event-api.json"
    original = json.loads(path.read_text())
    rows = _read(path)
    assert rows.problems == ()
    (incident,) = rows.incidents
    assert incident.source == "sentry"
    assert incident.id == original["eventID"]
    assert incident.title == original["title"]
    assert (incident.severity, incident.severity_rank) == ("error", 2)
    assert incident.started_at == datetime(2024, 5, 2, 10, 14, 7, tzinfo=UTC)
    assert incident.detected_at == datetime(2024, 5, 2, 10, 14, 8, 402915, tzinfo=UTC)
    assert incident.release == original["release"]["version"]
    assert incident.environment == "production"
    assert "server_name:web-7f9c6d-2xkqp" in incident.tags
    assert len(incident.tags) == len(original["tags"])
    assert incident.raw is not None
    assert json.loads(incident.raw) == original


def test_sentry_api_frames_keep_the_chain_order_and_their_fields() -> None:
    path = DATA / "sentry-event-api.json"
    original = json.loads(path.read_text())
    (exception,) = [e for e in original["entries"] if e["type"] == "exception"]
    expected = [
        (index, f["absPath"], f["lineNo"], f["function"], f["module"], f["inApp"])
        for index, value in enumerate(exception["data"]["values"])
        for f in value["stacktrace"]["frames"]
    ]
    (incident,) = _read(path).incidents
    got = [(f.exception, f.file, f.line, f.function, f.module, f.in_app) for f in incident.frames]
    assert got == expected
    pay = next(f for f in incident.frames if f.function == "pay")
    assert pay.code == 'charge = payments.charge(order, token=request.form["token"])'
    # The one raised last is the last exception: the view's frames are in it.
    assert pay.exception == len(exception["data"]["values"]) - 1


def test_an_issues_events_list() -> None:
    path = DATA / "sentry-issue-events.json"
    text = path.read_text()
    events = json.loads(text)
    rows = _read(path)
    assert [i.id for i in rows.incidents] == [events[0]["eventID"], events[2]["eventID"]]
    first, listed = rows.incidents
    assert [f.function for f in first.frames] == ["dispatch_request", "pay"]
    assert first.release == "shop@2024.05.2"  # from the tag: the event's release is null
    assert listed.frames == ()  # listed without ?full=true: no entries
    assert (listed.severity, listed.severity_rank, listed.environment) == ("warning", 3, "staging")
    starts = [n for n, line in enumerate(text.split("\n"), 1) if line == "  {"]
    assert len(starts) == len(events)
    assert _places(rows) == [
        (starts[1], "dateCreated"),
        (starts[1], "entries[0].data.values[0].stacktrace.frames[1].inApp"),
        (starts[3], "eventID"),
    ]
    assert rows.skipped == 2


def test_a_stacktrace_entry_gives_frames_when_there_is_no_exception(tmp_path: Path) -> None:
    event = {
        "eventID": "a" * 32,
        "title": "Slow query",
        "dateCreated": "2024-05-01T00:00:00Z",
        "entries": [
            {"type": "message", "data": {"formatted": "Slow query"}},
            {
                "type": "stacktrace",
                "data": {
                    "frames": [
                        {
                            "filename": "shop/db.py",
                            "absPath": "/srv/shop/app/shop/db.py",
                            "function": "run",
                            "lineNo": 9,
                            "inApp": True,
                        },
                        {
                            "filename": None,
                            "absPath": None,
                            "module": None,
                            "function": None,
                            "instructionAddr": "0x7fff5bf3456c",
                            "lineNo": None,
                        },
                    ]
                },
            },
        ],
    }
    (incident,) = _read(_write(tmp_path, "e.json", json.dumps(event))).incidents
    # The native frame names no file: it cannot be placed, and is left out.
    assert [(f.file, f.line, f.exception) for f in incident.frames] == [
        ("/srv/shop/app/shop/db.py", 9, 0)
    ]


# -- Sentry: the SDK's payload ----------------------------------------------------------------------


def test_sdk_events_one_per_line() -> None:
    path = DATA / "sentry-sdk-events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    rows = _read(path)
    assert [i.id for i in rows.incidents] == [events[n]["event_id"] for n in (0, 1, 4)]
    chained, timeout, message = rows.incidents
    assert chained.title == "ValueError: order 5531 has no priced lines"
    assert chained.started_at == datetime(2024, 5, 4, 12, 30, 15, 250000, tzinfo=UTC)
    assert chained.detected_at is None
    assert (chained.release, chained.environment) == ("shop@2024.05.2", "production")
    assert set(chained.tags) == {"transaction:/orders/<int:order_id>", "customer_tier:gold"}
    assert [(f.exception, f.function) for f in chained.frames] == [
        (0, "unit_price"),
        (1, "wsgi_app"),
        (1, "dispatch_request"),
        (1, "show_order"),
        (1, "unit_price"),
    ]
    assert chained.frames[0].code == "return total / quantity"
    assert chained.frames[0].file == "/srv/shop/app/shop/pricing.py"
    assert [f.in_app for f in chained.frames] == [True, False, False, True, True]
    assert timeout.started_at == datetime.fromtimestamp(1714826400.5, UTC)
    assert set(timeout.tags) == {"transaction:/search", "shard:3"}
    assert (timeout.severity, timeout.severity_rank) == ("error", 2)  # no level: Sentry's default
    assert message.title == "Slow checkout: 2380 ms"
    assert (message.severity, message.severity_rank) == ("warning", 3)
    assert message.started_at == datetime(2024, 5, 4, 12, 0, tzinfo=UTC)
    assert _places(rows) == [
        (3, "event_id"),
        (4, "exception.values[0].stacktrace.frames[0].lineno"),
    ]


def _sdk_event(error: BaseException) -> dict[str, Any]:
    """An event of ``error`` built as Sentry's SDK does: chain oldest first, calls oldest first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    chain.reverse()
    values = []
    for exc in chain:
        frames = [
            {
                "filename": Path(s.filename).name,
                "abs_path": s.filename,
                "function": s.name,
                "lineno": s.lineno,
                "context_line": s.line,
                "in_app": True,
            }
            for s in traceback.extract_tb(exc.__traceback__)
        ]
        values.append(
            {"type": type(exc).__name__, "value": str(exc), "stacktrace": {"frames": frames}}
        )
    return {"event_id": "b" * 32, "timestamp": 1714826400.0, "exception": {"values": values}}


def _printed(error: BaseException) -> list[tuple[int, str, int, str]]:
    """The frames of ``error`` as Python prints its traceback: (exception, file, line, name)."""
    out = []
    exception = -1
    for chunk in traceback.TracebackException.from_exception(error).format():
        if chunk.startswith("Traceback (most recent call last):"):
            exception += 1
        for line in chunk.splitlines():
            if line.startswith('  File "'):
                file, rest = line[len('  File "') :].split('", line ', 1)
                number, name = rest.split(", in ", 1)
                out.append((exception, file, int(number), name))
    return out


def _raise_chained() -> None:
    def parse(text: str) -> int:
        return int(text)

    def load(text: str) -> int:
        try:
            return parse(text)
        except ValueError as exc:
            raise KeyError(text) from exc

    def handle(text: str) -> int:
        try:
            return load(text)
        except KeyError:
            known: dict[str, int] = {}
            return known["missing"]  # raises while handling: an implicit context

    handle("x")


def test_sentry_frames_come_in_the_order_python_prints_them(tmp_path: Path) -> None:
    try:
        _raise_chained()
    except KeyError as raised:
        error: BaseException = raised
    else:  # pragma: no cover - _raise_chained always raises
        pytest.fail("no error")
    event = _sdk_event(error)
    assert len(event["exception"]["values"]) == 3
    (incident,) = _read(_write(tmp_path, "e.json", json.dumps(event))).incidents
    printed = _printed(error)
    assert [(f.exception, f.file, f.line, f.function) for f in incident.frames] == printed
    assert incident.title == "KeyError: 'missing'"


@pytest.mark.parametrize(("level", "rank"), sorted(LEVEL_RANK.items()))
def test_sentry_levels_rank(tmp_path: Path, level: str, rank: int) -> None:
    event = {
        "event_id": "c" * 32,
        "level": level,
        "message": "m",
        "timestamp": "2024-01-01T00:00:00Z",
    }
    (incident,) = _read(_write(tmp_path, "e.json", json.dumps(event))).incidents
    assert (incident.severity, incident.severity_rank) == (level, rank)


def test_sentry_levels_are_ordered() -> None:
    order = ["fatal", "error", "warning", "info", "debug"]
    assert [LEVEL_RANK[level] for level in order] == sorted(LEVEL_RANK[level] for level in order)
    assert len({LEVEL_RANK[level] for level in order}) == len(order)


@pytest.mark.parametrize(
    ("release", "tags", "expected"),
    [
        ({"version": "shop@1.2.3"}, [], "shop@1.2.3"),
        ("1.2.3", [], "1.2.3"),
        (None, [{"key": "release", "value": "v2.0.1"}], "v2.0.1"),
        (None, [], None),
    ],
)
def test_sentry_release_forms(
    tmp_path: Path, release: Any, tags: list[dict[str, str]], expected: str | None
) -> None:
    event = {"eventID": "d" * 32, "title": "t", "release": release, "tags": tags}
    (incident,) = _read(_write(tmp_path, "e.json", json.dumps(event))).incidents
    assert incident.release == expected


def test_wrong_types_in_a_sentry_event(tmp_path: Path) -> None:
    events = [
        {"eventID": "e" * 32, "title": "t", "release": 12},
        {"eventID": "f" * 32, "title": "t", "tags": "env=prod"},
        {
            "event_id": "0" * 32,
            "exception": {
                "values": [
                    {
                        "type": "E",
                        "stacktrace": {"frames": [{"abs_path": "/a.py", "in_app": "true"}]},
                    }
                ]
            },
        },
        {"event_id": "1" * 32, "timestamp": [2024], "message": "m"},
        {"hello": "world"},
        7,
    ]
    path = _write(tmp_path, "e.jsonl", "\n".join(json.dumps(e) for e in events) + "\n")
    rows = _read(path, format="sentry")
    assert rows.incidents == ()
    assert _places(rows) == [
        (1, "release"),
        (2, "tags"),
        (3, "exception.values[0].stacktrace.frames[0].in_app"),
        (4, "timestamp"),
        (5, None),
        (6, None),
    ]
    assert rows.skipped == len(events)


def test_an_exception_interface_without_values_is_no_stack(tmp_path: Path) -> None:
    event = {"event_id": "5" * 32, "exception": {"values": None}, "message": "m"}
    rows = _read(_write(tmp_path, "e.json", json.dumps(event)), format="sentry")
    assert rows.problems == ()
    assert [(i.title, i.frames) for i in rows.incidents] == [("m", ())]


def test_a_title_of_the_wrong_type_is_reported_once(tmp_path: Path) -> None:
    event = {"eventID": "6" * 32, "title": ["KeyError"]}
    rows = _read(_write(tmp_path, "e.json", json.dumps(event)), format="sentry")
    assert _places(rows) == [(1, "title")]


def test_an_event_without_any_title_is_a_problem(tmp_path: Path) -> None:
    event = {"event_id": "2" * 32, "timestamp": "2024-01-01T00:00:00Z"}
    rows = _read(_write(tmp_path, "e.json", json.dumps(event)), format="sentry")
    assert _places(rows) == [(1, "title")]


def test_an_exception_without_a_stack_keeps_its_place_in_the_chain(tmp_path: Path) -> None:
    event = {
        "event_id": "3" * 32,
        "exception": {
            "values": [
                {"type": "OSError", "value": "boom", "stacktrace": None},
                {
                    "type": "RuntimeError",
                    "value": "wrapped",
                    "stacktrace": {
                        "frames": [{"abs_path": "/srv/a.py", "lineno": 3, "function": "f"}]
                    },
                },
            ]
        },
    }
    (incident,) = _read(_write(tmp_path, "e.json", json.dumps(event))).incidents
    assert [(f.exception, f.file) for f in incident.frames] == [(1, "/srv/a.py")]
    assert incident.title == "RuntimeError: wrapped"


# -- JSON values and the lines of their rows ---------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    pages=st.lists(st.lists(_JSON, max_size=4), min_size=1, max_size=3),
    indent=st.sampled_from([None, 2]),
    separator=st.sampled_from(["", "\n", "\n\n"]),
)
def test_rows_are_found_at_the_line_they_start(
    pages: list[list[Any]], indent: int | None, separator: str
) -> None:
    # Each page is written alone, so the line where each row starts is known by counting
    # the lines of what was written before it.
    text, expected = "", []
    for rows in pages:
        parts = [json.dumps(row, indent=indent) for row in rows]
        if indent is None:
            page = '{"more": true, "incidents": [' + ", ".join(parts) + "]}"
            starts = [1] * len(parts)
        else:
            body = ",\n".join(textwrap.indent(p, "    ") for p in parts)
            page = '{\n  "more": true,\n  "incidents": [\n' + body + "\n  ]\n}"
            starts, line = [], 4
            for part in parts:
                starts.append(line)
                line += part.count("\n") + 1
        offset = text.count("\n")
        expected.append([offset + s for s in starts])
        text += page + separator if indent is None or separator else page + "\n"
    problems = Problems("p.json", loopintel.IncidentDataError)
    values = read_values(text, problems, what="page")
    assert problems.total == 0
    assert [v.value["incidents"] for v in values] == pages
    assert [element_lines(text, v, "incidents") for v in values] == expected
