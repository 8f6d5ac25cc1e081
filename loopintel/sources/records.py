"""loopintel's own incident files: the incident record as JSON, JSON lines or CSV.

The fields are :class:`~loopintel.Incident`'s attributes, by name, as
``Incident.to_dict()`` writes them (its computed ``key`` is ignored when read back).
In JSON and JSON lines, ``links`` and ``frames`` are lists of objects and times ISO 8601
text (or seconds since the epoch). CSV has one column per scalar field; ``services``,
``tags`` and ``touched_files`` are ``;``-separated (or a JSON list when an item holds a
``;``); links are the columns ``fix_commits``, ``cause_commits``, ``pull_requests``,
``issues`` and ``other_links``, ``;``-separated; ``frames`` is one column holding the
frames as a JSON list; ``proxy`` is ``true``/``false``.

:func:`write_incidents` writes each format so that reading it back gives the same
incidents (in CSV, links come back grouped by kind, in the order above).

In CSV an empty cell is no value: an empty text (``""``) is written as one too and
reads back as ``None``.

``raw``: a row that has a ``raw`` field keeps that (the payload of the source the
incident first came from); a row without one keeps the row itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any

from loopintel.errors import IncidentDataError
from loopintel.model import Frame, Incident, IncidentLink, LinkKind
from loopintel.sources import jsonrows
from loopintel.sources.formats import REGISTRY, Format
from loopintel.sources.incidents import (
    INCIDENTS,
    IncidentRows,
    RowProblems,
    parse_time,
    raw_json,
)
from loopintel.sources.problems import Problems, brief, decode_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "CSV_COLUMNS",
    "LINK_COLUMNS",
    "incident_from_record",
    "write_incidents",
]

LINK_COLUMNS: dict[LinkKind, str] = {
    LinkKind.FIX: "fix_commits",
    LinkKind.CAUSE: "cause_commits",
    LinkKind.PULL_REQUEST: "pull_requests",
    LinkKind.ISSUE: "issues",
    LinkKind.OTHER: "other_links",
}
"""The CSV column of each kind of link."""

CSV_COLUMNS: tuple[str, ...] = (
    "source",
    "id",
    "title",
    "severity",
    "severity_rank",
    "type",
    "status",
    "started_at",
    "detected_at",
    "resolved_at",
    "services",
    "environment",
    "release",
    *LINK_COLUMNS.values(),
    "frames",
    "touched_files",
    "tags",
    "url",
    "proxy",
    "raw",
)
"""The columns of loopintel's CSV, in the order written."""

_TEXTS = ("severity", "type", "status", "environment", "release", "url")
_TIMES = ("started_at", "detected_at", "resolved_at")
_LISTS = ("services", "touched_files", "tags")
_FRAME_TEXTS = ("function", "module", "code")


def _frame(value: Any, row: RowProblems, field: str) -> Frame | None:
    if not isinstance(value, dict):
        row.add(f"expected a frame object, got {brief(value)}", field=field)
        return None
    before = row.count
    file = value.get("file")
    if not isinstance(file, str) or not file:
        row.add(f"expected the file as text, got {brief(file)}", field=f"{field}.file")
    line = jsonrows.integer(value, "line", _Nested(row, field))
    texts = {k: jsonrows.text(value, k, _Nested(row, field)) for k in _FRAME_TEXTS}
    in_app = value.get("in_app")
    if in_app is not None and not isinstance(in_app, bool):
        row.add(f"expected true, false or null, got {brief(in_app)}", field=f"{field}.in_app")
        in_app = None
    exception = value.get("exception", 0)
    if not isinstance(exception, int) or isinstance(exception, bool) or exception < 0:
        row.add(f"expected a count from 0, got {brief(exception)}", field=f"{field}.exception")
        exception = 0
    if row.count > before or not isinstance(file, str):
        return None
    return Frame(
        file=file,
        line=line,
        function=texts["function"],
        module=texts["module"],
        in_app=in_app,
        code=texts["code"],
        exception=exception,
    )


class _Nested:
    """A row's problems, with fields named inside a nested object (``frames[2].line``)."""

    __slots__ = ("prefix", "row")

    def __init__(self, row: RowProblems, prefix: str) -> None:
        self.row = row
        self.prefix = prefix

    def add(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        self.row.add(message, field=f"{self.prefix}.{field}", line=line)


def _frames(value: Any, row: RowProblems) -> tuple[Frame, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        row.add(f"expected a list of frames, got {brief(value)}", field="frames")
        return ()
    frames = [_frame(v, row, f"frames[{i}]") for i, v in enumerate(value)]
    return tuple(f for f in frames if f is not None)


def _links(value: Any, row: RowProblems) -> tuple[IncidentLink, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        row.add(f"expected a list of links, got {brief(value)}", field="links")
        return ()
    links = []
    kinds = ", ".join(k.value for k in LinkKind)
    for index, item in enumerate(value):
        field = f"links[{index}]"
        if not isinstance(item, dict):
            row.add(f"expected a link object, got {brief(item)}", field=field)
            continue
        kind, target = item.get("kind"), item.get("target")
        if kind not in {k.value for k in LinkKind}:
            row.add(f"expected one of {kinds}, got {brief(kind)}", field=f"{field}.kind")
        elif not isinstance(target, str) or not target.strip():
            row.add(f"expected the target as text, got {brief(target)}", field=f"{field}.target")
        else:
            links.append(IncidentLink(LinkKind(kind), target))
    return tuple(links)


def incident_from_record(record: Mapping[str, Any], row: RowProblems) -> Incident | None:
    """An incident from one row of loopintel's format, with its problems noted.

    ``record`` holds JSON values (a CSV row is made into one first).

    Returns:
        The incident, or ``None`` when the row has a problem.

    """
    source = jsonrows.text(record, "source", row, required=True)
    id_ = jsonrows.text(record, "id", row, required=True)
    title = jsonrows.text(record, "title", row, required=True)
    texts = {k: jsonrows.text(record, k, row) for k in _TEXTS}
    rank = jsonrows.integer(record, "severity_rank", row)
    if rank is not None and not 1 <= rank <= 5:
        row.add(f"expected a rank from 1 to 5, got {rank}", field="severity_rank")
    times = {k: parse_time(record.get(k), row, k) for k in _TIMES}
    lists = {k: jsonrows.texts(record, k, row) for k in _LISTS}
    links = _links(record.get("links"), row)
    frames = _frames(record.get("frames"), row)
    proxy = record.get("proxy", False)
    if proxy is None:
        proxy = False
    if not isinstance(proxy, bool):
        row.add(f"expected true or false, got {brief(proxy)}", field="proxy")
    raw = record["raw"] if "raw" in record else raw_json(record)
    if raw is not None and not isinstance(raw, str):
        raw = raw_json(raw)
    if not row.ok or source is None or id_ is None or title is None:
        return None
    return Incident(
        source=source,
        id=id_,
        title=title,
        severity=texts["severity"],
        severity_rank=rank,
        type=texts["type"],
        status=texts["status"],
        started_at=times["started_at"],
        detected_at=times["detected_at"],
        resolved_at=times["resolved_at"],
        services=lists["services"],
        environment=texts["environment"],
        release=texts["release"],
        links=links,
        frames=frames,
        touched_files=lists["touched_files"],
        tags=lists["tags"],
        url=texts["url"],
        proxy=bool(proxy),
        raw=raw,
    )


def _problems(source: str) -> Problems:
    return Problems(source, IncidentDataError)


def _collect(
    name: str, problems: Problems, rows: Iterable[tuple[Any, int]], *, skipped: int = 0
) -> IncidentRows:
    incidents: list[Incident] = []
    for value, line in rows:
        row = RowProblems(problems, line)
        incident = None
        if isinstance(value, dict):
            incident = incident_from_record(value, row)
        else:
            row.add(f"expected an incident object, got {brief(value)}")
        if incident is None:
            skipped += 1
        else:
            incidents.append(incident)
    return IncidentRows.of(name, problems, incidents, skipped)


# -- JSON ----------------------------------------------------------------------------------


def _read_json(source: str, data: bytes) -> IncidentRows:
    problems = _problems(source)
    text, document = jsonrows.load(data, problems)
    rows = jsonrows.rows(text, document, keys=("incidents",))
    if rows is None:
        raise problems.fatal(f"expected a list of incidents or an object, got {brief(document)}")
    return _collect("loopintel-json", problems, rows)


def _read_jsonl(source: str, data: bytes) -> IncidentRows:
    problems = _problems(source)
    text = decode_text(data, problems)
    rows: list[tuple[Any, int]] = []
    skipped = 0
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rows.append((json.loads(line), number))
        except json.JSONDecodeError as exc:
            # One line is one row: the others can still be read.
            problems.add(f"malformed JSON: {exc.msg}", line=number, column=exc.colno)
            skipped += 1
    return _collect("loopintel-jsonl", problems, rows, skipped=skipped)


# -- CSV -----------------------------------------------------------------------------------


def _cell_list(cell: str, row: RowProblems, field: str) -> list[str] | None:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        row.add(f"expected a JSON list of texts, got {brief(cell)}", field=field)
        return None
    return [item.strip() for item in cell.split(";") if item.strip()]


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _record_of_csv(cells: Mapping[str, str], row: RowProblems) -> dict[str, Any]:
    """A CSV row as the JSON record it stands for.

    A cell that cannot stand for its field's type is a problem here, or is kept as
    text for :func:`incident_from_record` to report.
    """
    record: dict[str, Any] = {}
    for key in ("source", "id", "title", *_TEXTS, *_TIMES):
        if key in cells:
            record[key] = cells[key] if cells[key].strip() else None
    if cells.get("raw"):
        record["raw"] = cells["raw"]
    elif "raw" in cells:
        record["raw"] = None
    rank = cells.get("severity_rank", "").strip()
    if rank:
        record["severity_rank"] = int(rank) if re.fullmatch(r"-?\d+", rank) else rank
    for key in _LISTS:
        if key in cells:
            record[key] = _cell_list(cells[key], row, key)
    record["links"] = [
        {"kind": kind.value, "target": target}
        for kind, column in LINK_COLUMNS.items()
        for target in _cell_list(cells.get(column, ""), row, column) or ()
    ]
    frames = cells.get("frames", "").strip()
    if frames:
        try:
            record["frames"] = json.loads(frames)
        except json.JSONDecodeError as exc:
            row.add(f"expected the frames as a JSON list: {exc.msg}", field="frames")
    proxy = cells.get("proxy", "").strip().lower()
    record["proxy"] = True if proxy in _TRUE else False if proxy in _FALSE else proxy
    return record


def _read_csv(source: str, data: bytes) -> IncidentRows:
    problems = _problems(source)
    text = decode_text(data, problems)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise problems.fatal("empty file: no header row") from None
    except csv.Error as exc:
        raise problems.fatal(f"malformed CSV: {exc}", line=1) from exc
    missing = [c for c in ("source", "id", "title") if c not in header]
    if missing:
        raise problems.fatal(
            f"no {', '.join(missing)} column: not loopintel's CSV", line=1, field="header"
        )
    incidents: list[Incident] = []
    skipped = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise problems.fatal(f"malformed CSV: {exc}", line=line) from exc
        if not any(c.strip() for c in cells):
            continue
        row = RowProblems(problems, line)
        if len(cells) > len(header):
            row.add(f"{len(cells)} cells for {len(header)} columns")
        record = _record_of_csv(dict(zip(header, cells, strict=False)), row)
        if "raw" not in record:
            record["raw"] = raw_json(dict(zip(header, cells, strict=False)))
        incident = incident_from_record(record, row) if row.ok else None
        if incident is None:
            skipped += 1
        else:
            incidents.append(incident)
    return IncidentRows.of("loopintel-csv", problems, incidents, skipped)


# -- writing -------------------------------------------------------------------------------


def _csv_list(items: Iterable[str]) -> str:
    values = list(items)
    if any(";" in v or v != v.strip() or v.startswith("[") for v in values):
        return json.dumps(values, ensure_ascii=False)
    return ";".join(values)


def _csv_row(incident: Incident) -> list[str]:
    record = incident.to_dict()
    cells: dict[str, str] = {}
    for key in ("source", "id", "title", *_TEXTS, *_TIMES):
        cells[key] = "" if record[key] is None else str(record[key])
    cells["severity_rank"] = "" if incident.severity_rank is None else str(incident.severity_rank)
    for key in _LISTS:
        cells[key] = _csv_list(record[key])
    for kind, column in LINK_COLUMNS.items():
        cells[column] = _csv_list(incident.commits(kind))
    cells["frames"] = json.dumps(record["frames"], ensure_ascii=False) if incident.frames else ""
    cells["proxy"] = "true" if incident.proxy else "false"
    cells["raw"] = incident.raw or ""
    return [cells[c] for c in CSV_COLUMNS]


def write_incidents(incidents: Iterable[Incident], *, format: str = "loopintel-json") -> str:  # noqa: A002
    """Incidents as a file of loopintel's format, which reads back as the same incidents.

    Args:
        incidents: what to write.
        format: ``loopintel-json`` (a list), ``loopintel-jsonl`` (one object a line) or
            ``loopintel-csv``.

    Returns:
        The file's text.

    Raises:
        ValueError: an unknown format.

    Example:
        >>> from loopintel.model import Incident
        >>> alert = Incident("pagerduty", "PT4KHLK", "API 5xx")
        >>> print(write_incidents([alert], format="loopintel-jsonl"), end="")  # doctest: +ELLIPSIS
        {"source":"pagerduty","id":"PT4KHLK","key":"pagerduty:PT4KHLK","title":"API 5xx",...}

    """
    if format == "loopintel-json":
        return json.dumps([i.to_dict() for i in incidents], ensure_ascii=False, indent=2) + "\n"
    if format == "loopintel-jsonl":
        return "".join(raw_json(i.to_dict()) + "\n" for i in incidents)
    if format == "loopintel-csv":
        out = io.StringIO(newline="")
        # Rows end in CRLF (RFC 4180): a cell holding a lone CR is then quoted too.
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_csv_row(i) for i in incidents)
        return out.getvalue()
    raise ValueError(f"unknown format {format!r}; expected loopintel-json, -jsonl or -csv")


# -- the formats ---------------------------------------------------------------------------

_SOURCE_KEY = re.compile(rb'"source"\s*:')


def _head(data: bytes) -> bytes:
    return data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")


_SNIFF_WHOLE = 16 * 1024 * 1024
"""Files up to this size are recognised by their first JSON value; larger ones by their head."""


def _is_record(value: object) -> bool:
    """Whether a JSON value is an incident record: an object with these keys at its top."""
    return isinstance(value, dict) and isinstance(value.get("source"), str) and "id" in value


def _sniff_json(data: bytes) -> bool:
    head = _head(data)
    if head[:1] not in (b"{", b"[") or _SOURCE_KEY.search(head) is None:
        return False
    if len(data) > _SNIFF_WHOLE:
        return True
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        # The first value: a JSON document, or the first of several (JSON lines).
        document, _ = json.JSONDecoder().raw_decode(head.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        # Malformed JSON whose head names a source: the reader says where it breaks.
        return True
    if isinstance(document, dict) and isinstance(document.get("incidents"), list):
        document = document["incidents"]
    first = document[0] if isinstance(document, list) and document else document
    # Another tool's JSON may say "source" deeper down (Sentry's transaction_info).
    return _is_record(first)


def _sniff_jsonl(data: bytes) -> bool:
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    end = body.find(b"\n")
    first = (body if end < 0 else body[:end]).strip()
    if not first.startswith(b"{"):
        return False
    try:
        value = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return _is_record(value)


def _sniff_csv(data: bytes) -> bool:
    first = _head(data).split(b"\n", 1)[0].decode("utf-8", "replace")
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return False
    columns = {h.strip() for h in header}
    return {"source", "id", "title"} <= columns


for _format in (
    Format(
        "loopintel-jsonl",
        INCIDENTS,
        "loopintel's incident records, one JSON object a line",
        _sniff_jsonl,
        _read_jsonl,
    ),
    Format(
        "loopintel-json",
        INCIDENTS,
        'loopintel\'s incident records as JSON (a list, one object, or {"incidents": [...]})',
        _sniff_json,
        _read_json,
    ),
    Format(
        "loopintel-csv",
        INCIDENTS,
        "loopintel's incident records as CSV (a column per field)",
        _sniff_csv,
        _read_csv,
    ),
):
    REGISTRY.register(_format)
