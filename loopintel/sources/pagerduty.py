"""Readers of PagerDuty incidents: the REST API's incident list, and the incidents CSV.

``pagerduty`` reads what ``GET https://api.pagerduty.com/incidents`` answers
(``{"incidents": [...], "limit", "offset", "more", "total"}``), also several pages in one
file, concatenated or one per line, as a loop of ``curl`` calls writes them, and the
single incident of ``GET /incidents/{id}`` (``{"incident": {...}}``). ``pagerduty-csv``
reads a CSV of incidents, such as the web app's download of its incidents list, by its
column names (:data:`CSV_COLUMNS`).

Each incident becomes an :class:`~loopintel.Incident` of source ``pagerduty``, keyed by
PagerDuty's id (``PT4KHLK``), with its service as its one service, and its severity
ranked by :func:`pagerduty_rank`. A row with problems is left out and each problem is
kept at the line where the row's object (or CSV record) starts.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Any

from loopintel.errors import IncidentDataError
from loopintel.model import Incident
from loopintel.sources.formats import REGISTRY, Format
from loopintel.sources.incidents import (
    INCIDENTS,
    IncidentRows,
    RowProblems,
    parse_time,
    raw_json,
    severity_rank,
)
from loopintel.sources.json_values import element_lines, read_values
from loopintel.sources.problems import Problems, brief, decode_text

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = ["CSV_COLUMNS", "SOURCE", "URGENCY_RANK", "pagerduty_rank"]

SOURCE = "pagerduty"
"""The source of the incidents read here."""

URGENCY_RANK: Mapping[str, int] = {"high": 2, "low": 4}
"""The rank of an urgency, for incidents without a priority that ranks."""

CSV_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "incident_id"),
    "incident_number": ("incident_number", "number"),
    "title": ("title", "incident_title", "summary", "description"),
    "status": ("status",),
    "urgency": ("urgency",),
    "priority": ("priority", "priority_name"),
    "service": ("service_name", "service"),
    "created_at": ("created_at", "created_on", "created"),
    "resolved_at": ("resolved_at", "resolved_on", "resolved"),
    "last_status_change_at": ("last_status_change_at", "last_status_change_on"),
    "escalation_policy": ("escalation_policy_name", "escalation_policy"),
    "team": ("team_name", "team", "teams"),
    "html_url": ("html_url", "url", "incident_url", "link"),
}
"""What each field is read from in a CSV: the headers, normalised (lower case, every
run of other characters than letters and digits made one ``_``: ``Created On`` is
``created_on``), the first one present winning. Other columns are kept in ``raw``."""

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_CSV_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def pagerduty_rank(priority: str | None, urgency: str | None) -> int | None:
    """The 1-5 rank of a PagerDuty incident.

    Its priority's name when it ranks (``P1`` to ``P5`` are 1 to 5; ``SEV-2``-like names
    too, see :func:`~loopintel.sources.incidents.severity_rank`), else its urgency
    (:data:`URGENCY_RANK`: ``high`` is 2, ``low`` is 4), else ``None``.
    """
    rank = severity_rank(priority, {})
    if rank is not None:
        return rank
    return URGENCY_RANK.get((urgency or "").strip().lower())


class _Row:
    """The fields of one incident, as text or a time, whichever form the file had."""

    __slots__ = (
        "created",
        "ident",
        "number",
        "policy",
        "priority",
        "resolved",
        "service",
        "status",
        "teams",
        "title",
        "urgency",
        "url",
    )

    def __init__(self) -> None:
        self.ident: str | None = None
        self.number: str | None = None
        self.title: str | None = None
        self.status: str | None = None
        self.urgency: str | None = None
        self.priority: str | None = None
        self.service: str | None = None
        self.created: datetime | None = None
        self.resolved: datetime | None = None
        self.policy: str | None = None
        self.teams: list[str] = []
        self.url: str | None = None

    def incident(
        self, row: RowProblems, raw: str, *, reported: frozenset[str] = frozenset()
    ) -> Incident | None:
        """The incident, or ``None`` (with the problems noted) when it has any.

        ``reported`` names the fields whose bad values were already reported: they are
        not reported missing too.
        """
        if self.ident is None and "id" not in reported:
            row.add("missing (every incident has PagerDuty's id)", field="id")
        if self.title is None and "title" not in reported:
            row.add("missing (expected a title, summary or description)", field="title")
        if not row.ok or self.ident is None or self.title is None:
            return None
        severity = self.priority or self.urgency
        tags = []
        if self.number is not None:
            tags.append(f"incident_number:{self.number}")
        if self.urgency is not None:
            tags.append(f"urgency:{self.urgency}")
        if self.policy is not None:
            tags.append(f"escalation_policy:{self.policy}")
        tags.extend(f"team:{team}" for team in self.teams)
        return Incident(
            source=SOURCE,
            id=self.ident,
            title=self.title,
            severity=severity,
            severity_rank=pagerduty_rank(self.priority, self.urgency),
            type="incident",
            status=self.status,
            started_at=self.created,
            detected_at=self.created,
            resolved_at=self.resolved,
            services=(self.service,) if self.service else (),
            tags=tuple(dict.fromkeys(tags)),
            url=self.url,
            raw=raw,
        )


# -- the REST API's JSON ---------------------------------------------------------------------


def _text(
    obj: Mapping[str, Any], key: str, row: RowProblems, field: str | None = None
) -> str | None:
    """A text field: ``None`` when absent, null or blank; a problem when not text."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        row.add(f"expected text, got {brief(value)}", field=field or key)
        return None
    return value.strip() or None


def _reference(obj: Mapping[str, Any], key: str, row: RowProblems) -> str | None:
    """The name of a referenced object (``service``, ``priority``): its summary or name."""
    return _name(obj.get(key), key, row)


def _name(value: Any, field: str, row: RowProblems) -> str | None:
    """A reference's summary, name or id; ``None`` for null; a problem when not one."""
    if value is None:
        return None
    if isinstance(value, str):  # some exports flatten references to their names
        return value.strip() or None
    if not isinstance(value, dict):
        row.add(f"expected an object, got {brief(value)}", field=field)
        return None
    for name in ("summary", "name", "id"):
        found = _text(value, name, row, f"{field}.{name}")
        if found is not None:
            return found
    return None


def _api_row(obj: Any, row: RowProblems) -> _Row | None:
    if not isinstance(obj, dict):
        row.add(f"expected an incident object, got {brief(obj)}")
        return None
    fields = _Row()
    fields.ident = _text(obj, "id", row)
    number = obj.get("incident_number")
    if isinstance(number, int) and not isinstance(number, bool):
        fields.number = str(number)
    elif isinstance(number, str) and number.strip().isdigit():
        fields.number = number.strip()
    elif number is not None:
        row.add(f"expected an integer, got {brief(number)}", field="incident_number")
    fields.title = _text(obj, "title", row) or _text(obj, "summary", row)
    if fields.title is None:
        fields.title = _text(obj, "description", row)
    fields.status = _text(obj, "status", row)
    fields.urgency = _text(obj, "urgency", row)
    fields.priority = _priority(obj, row)
    fields.service = _reference(obj, "service", row)
    fields.policy = _reference(obj, "escalation_policy", row)
    fields.created = parse_time(obj.get("created_at"), row, "created_at")
    fields.resolved = parse_time(obj.get("resolved_at"), row, "resolved_at")
    if fields.resolved is None and fields.status == "resolved":
        fields.resolved = parse_time(obj.get("last_status_change_at"), row, "last_status_change_at")
    teams = obj.get("teams")
    if isinstance(teams, list):
        for index, team in enumerate(teams):
            name = _name(team, f"teams[{index}]", row)
            if name is not None:
                fields.teams.append(name)
    elif teams is not None:
        row.add(f"expected a list of teams, got {brief(teams)}", field="teams")
    fields.url = _text(obj, "html_url", row)
    return fields


def _priority(obj: Mapping[str, Any], row: RowProblems) -> str | None:
    """The priority's name (``P1``); the API gives an object, or null without one."""
    value = obj.get("priority")
    if isinstance(value, dict):
        return _text(value, "name", row, "priority.name") or _text(
            value, "summary", row, "priority.summary"
        )
    return _reference(obj, "priority", row)


def _read_json(source: str, data: bytes) -> IncidentRows:
    problems = Problems(source, IncidentDataError)
    text = decode_text(data, problems)
    incidents: list[Incident] = []
    skipped = 0
    for page in read_values(text, problems, what="page"):
        value = page.value
        if isinstance(value, dict) and isinstance(value.get("incidents"), list):
            items = list(
                zip(value["incidents"], element_lines(text, page, "incidents"), strict=True)
            )
        elif isinstance(value, dict) and isinstance(value.get("incident"), dict):
            items = [(value["incident"], page.line)]
        elif isinstance(value, dict) and "incident_number" in value:
            items = [(value, page.line)]  # one incident per line, as jq -c '.incidents[]' writes
        elif isinstance(value, list):
            items = list(zip(value, element_lines(text, page), strict=True))
        else:
            problems.add(
                'expected a page of incidents ({"incidents": [...]}) or an incident, got '
                + brief(value),
                line=page.line,
                field="incidents",
            )
            continue
        for obj, line in items:
            row = RowProblems(problems, line)
            fields = _api_row(obj, row)
            incident = None
            if fields is not None:
                reported = frozenset(
                    key for key in ("id", "title") if not isinstance(obj.get(key), str | None)
                )
                incident = fields.incident(row, raw_json(obj), reported=reported)
            if incident is None:
                skipped += 1
            else:
                incidents.append(incident)
    return IncidentRows.of("pagerduty", problems, incidents, skipped)


def _sniff_json(data: bytes) -> bool:
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith((b"{", b"[")):
        return False
    # Fields only PagerDuty's incidents have: a generic JSON of incidents has none; or
    # PagerDuty's pagination, for a first page without incidents.
    return (
        b'"incident_number"' in head
        and any(key in head for key in (b'"urgency"', b'"escalation_policy"', b'"incident_key"'))
    ) or all(key in head for key in (b'"incidents"', b'"more"', b'"offset"', b'"limit"'))


# -- the incidents CSV ---------------------------------------------------------------------------


def _normalise(header: str) -> str:
    return _NOT_WORD.sub("_", header.strip().lower()).strip("_")


def _columns(headers: list[str]) -> dict[str, int]:
    """The index of the column each field is read from."""
    names = [_normalise(h) for h in headers]
    found = {}
    for field, aliases in CSV_COLUMNS.items():
        for alias in aliases:
            if alias in names:
                found[field] = names.index(alias)
                break
    return found


def _csv_time(value: str, row: RowProblems, field: str) -> datetime | None:
    """A time as exports write it: ISO 8601, or ``2024-03-05 14:22:10 -0500`` / ``UTC``."""
    text = value.strip()
    found = _CSV_TIME.fullmatch(text)
    if found:
        date, clock, zone = found.groups()
        zone = "+00:00" if zone is None or zone.upper() in ("Z", "UTC", "GMT") else zone
        text = f"{date}T{clock}{zone}"
    return parse_time(text, row, field)


def _read_csv(source: str, data: bytes) -> IncidentRows:
    problems = Problems(source, IncidentDataError)
    text = decode_text(data, problems)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise problems.fatal("empty: no header row") from None
    except csv.Error as exc:
        raise problems.fatal(f"malformed CSV: {exc}", line=1) from exc
    columns = _columns(headers)
    if "id" not in columns:
        raise problems.fatal(
            "no id column (expected one of: " + ", ".join(CSV_COLUMNS["id"]) + ")", line=1
        )
    incidents: list[Incident] = []
    skipped = 0
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise problems.fatal(f"malformed CSV: {exc}", line=line) from exc
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        row = RowProblems(problems, start)
        if len(record) > len(headers):
            row.add(f"{len(record)} cells, but {len(headers)} columns in the header")
        cells = {
            field: record[index].strip() if index < len(record) else ""
            for field, index in columns.items()
        }
        fields = _csv_row(cells, headers, columns, row)
        raw = raw_json(dict(zip(headers, record, strict=False)))
        incident = fields.incident(row, raw)
        if incident is None:
            skipped += 1
        else:
            incidents.append(incident)
    return IncidentRows.of("pagerduty-csv", problems, incidents, skipped)


def _csv_row(
    cells: Mapping[str, str], headers: list[str], columns: Mapping[str, int], row: RowProblems
) -> _Row:
    def header(field: str) -> str:
        return headers[columns[field]].strip()

    fields = _Row()
    fields.ident = cells.get("id") or None
    number = cells.get("incident_number") or None
    if number is not None and not number.isdigit():
        row.add(f"expected an integer, got {brief(number)}", field=header("incident_number"))
    fields.number = number
    fields.title = cells.get("title") or None
    fields.status = cells.get("status") or None
    fields.urgency = cells.get("urgency") or None
    fields.priority = cells.get("priority") or None
    fields.service = cells.get("service") or None
    fields.policy = cells.get("escalation_policy") or None
    if cells.get("team"):
        fields.teams.append(cells["team"])
    fields.url = cells.get("html_url") or None
    if cells.get("created_at"):
        fields.created = _csv_time(cells["created_at"], row, header("created_at"))
    if cells.get("resolved_at"):
        fields.resolved = _csv_time(cells["resolved_at"], row, header("resolved_at"))
    elif fields.status == "resolved" and cells.get("last_status_change_at"):
        fields.resolved = _csv_time(
            cells["last_status_change_at"], row, header("last_status_change_at")
        )
    return fields


def _sniff_csv(data: bytes) -> bool:
    head = data[:8192].lstrip(b"\xef\xbb\xbf")
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    if "," not in first:
        return False
    names = {_normalise(h) for h in next(csv.reader([first]), [])}
    has_id = any(alias in names for alias in CSV_COLUMNS["id"])
    return has_id and bool(names & {"incident_number", "urgency"})


for _format in (
    Format(
        "pagerduty",
        INCIDENTS,
        "PagerDuty's REST API incident list (GET /incidents), pages concatenated or one per line",
        _sniff_json,
        _read_json,
    ),
    Format(
        "pagerduty-csv",
        INCIDENTS,
        "PagerDuty's incidents as CSV (the web app's download of the incidents list)",
        _sniff_csv,
        _read_csv,
    ),
):
    REGISTRY.register(_format)
