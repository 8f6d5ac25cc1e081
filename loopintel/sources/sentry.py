"""Reader of Sentry events: as the web API returns them, and as an SDK sends them.

One format, ``sentry``, reads a file of events, each in either form (told apart per
event by its keys):

- *the web API's event*, as ``GET /api/0/projects/{org}/{project}/events/{id}/`` or an
  issue's latest event answers: ``eventID``, ``title``, ``dateCreated``, ``tags`` as
  ``[{"key", "value"}]``, ``release`` as an object with ``version``, and the stack in
  ``entries[]``, in the entry of ``type: "exception"`` (``data.values[]``, frames with
  ``absPath``, ``lineNo``, ``inApp``, ``context`` as ``[[line, text], ...]``);
- *the SDK's event payload*: ``event_id``, ``timestamp`` (ISO 8601 or seconds since
  the epoch), ``level``, ``release``, ``environment``, ``tags`` as an object or a list of
  pairs, ``exception.values[]`` with frames of ``abs_path``, ``lineno``, ``in_app``,
  ``context_line``.

A file holds one event, a JSON array of events (a list of an issue's events), events
concatenated, or one event per line (JSON lines).

Order of frames. Sentry lists the frames of each exception oldest call first, and the
exceptions of a chain oldest first, the one raised last at the end. A printed Python
traceback prints the same way: each stack with its most recent call last, the chain's
first cause first. So loopintel's frames keep Sentry's order, and
:attr:`~loopintel.Frame.exception` is the index of the exception in ``values``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from loopintel.errors import IncidentDataError
from loopintel.model import Frame, Incident
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

__all__ = ["DEFAULT_LEVEL", "LEVEL_RANK", "SOURCE"]

SOURCE = "sentry"
"""The source of the incidents read here."""

LEVEL_RANK: Mapping[str, int] = {
    "fatal": 1,
    "error": 2,
    "warning": 3,
    "warn": 3,
    "log": 4,
    "info": 4,
    "debug": 5,
}
"""The rank of an event's level."""

DEFAULT_LEVEL = "error"
"""The level of an SDK event that gives none, as Sentry itself reads it."""

_API_KEYS = ("eventID", "entries", "dateCreated", "dateReceived", "groupID")
_SDK_KEYS = ("event_id", "exception", "timestamp")
_EVENT_ID = re.compile(rb'"(?:eventID|event_id)"\s*:')


class _Keys:
    """The names one form of event gives a frame's fields."""

    __slots__ = ("abs_path", "in_app", "lineno")

    def __init__(self, abs_path: str, lineno: str, in_app: str) -> None:
        self.abs_path = abs_path
        self.lineno = lineno
        self.in_app = in_app


_API = _Keys("absPath", "lineNo", "inApp")
_SDK = _Keys("abs_path", "lineno", "in_app")


def _text(obj: Mapping[str, Any], key: str, row: RowProblems, field: str) -> str | None:
    """A text field: ``None`` when absent, null or blank; a problem when not text."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        row.add(f"expected text, got {brief(value)}", field=field)
        return None
    return value.strip() or None


def _tags(value: Any, row: RowProblems) -> list[tuple[str, str]]:
    """Tags as pairs, from the API's ``[{key, value}]``, an object, or a list of pairs."""
    if value is None:
        return []
    if isinstance(value, dict):
        items: list[Any] = [[k, v] for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        row.add(f"expected tags as a list or an object, got {brief(value)}", field="tags")
        return []
    pairs = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and "key" in item:
            key, text = item.get("key"), item.get("value")
        elif isinstance(item, list | tuple) and len(item) == 2:
            key, text = item
        else:
            row.add(f"expected a key and a value, got {brief(item)}", field=f"tags[{index}]")
            continue
        if not isinstance(key, str) or not isinstance(text, str | int | float | bool | None):
            row.add(f"expected a key and a value, got {brief(item)}", field=f"tags[{index}]")
            continue
        if key and text is not None:
            pairs.append((key, str(text)))
    return pairs


def _release(value: Any, row: RowProblems) -> str | None:
    """The release's version: the API gives an object (or null), an SDK a string."""
    if value is None:
        return None
    if isinstance(value, dict):
        return _text(value, "version", row, "release.version")
    if isinstance(value, str):
        return value.strip() or None
    row.add(f"expected a release (an object or text), got {brief(value)}", field="release")
    return None


def _message(value: Any) -> str | None:
    """A message: text, or an object with ``formatted`` or ``message`` text."""
    if isinstance(value, dict):
        value = value.get("formatted") or value.get("message")
    if isinstance(value, str) and value.strip():
        return value.strip().splitlines()[0]
    return None


def _frames(
    stacktrace: Any, exception: int, keys: _Keys, where: str, row: RowProblems
) -> list[Frame]:
    """The frames of one stack trace (``{"frames": [...]}``), oldest call first."""
    if stacktrace is None:
        return []
    if not isinstance(stacktrace, dict) or not isinstance(stacktrace.get("frames", []), list):
        row.add(
            f"expected a stack trace with a list of frames, got {brief(stacktrace)}", field=where
        )
        return []
    out = []
    for index, frame in enumerate(stacktrace.get("frames") or []):
        field = f"{where}.frames[{index}]"
        if not isinstance(frame, dict):
            row.add(f"expected a frame object, got {brief(frame)}", field=field)
            continue
        before = row.count
        path = _text(frame, keys.abs_path, row, f"{field}.{keys.abs_path}")
        name = _text(frame, "filename", row, f"{field}.filename")
        module = _text(frame, "module", row, f"{field}.module")
        function = _text(frame, "function", row, f"{field}.function")
        line = frame.get(keys.lineno)
        if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
            row.add(f"expected a line number, got {brief(line)}", field=f"{field}.{keys.lineno}")
            line = None
        in_app = frame.get(keys.in_app)
        if in_app is not None and not isinstance(in_app, bool):
            row.add(f"expected true or false, got {brief(in_app)}", field=f"{field}.{keys.in_app}")
            in_app = None
        code = _code(frame, line, keys, field, row)
        file = path or name or module
        if row.count > before or file is None:
            # A bad frame spoils the row; one without any file (a native address) is
            # no frame loopintel can place, and is left out.
            continue
        out.append(Frame(file, line, function, module, in_app, code, exception))
    return out


def _code(
    frame: Mapping[str, Any], line: int | None, keys: _Keys, field: str, row: RowProblems
) -> str | None:
    """The source line of a frame (the SDK's ``context_line``, the API's ``context``)."""
    if keys is _SDK:
        text = frame.get("context_line")
        if text is not None and not isinstance(text, str):
            row.add(f"expected text, got {brief(text)}", field=f"{field}.context_line")
            return None
        return text.strip() or None if isinstance(text, str) else None
    context = frame.get("context")
    if context is None:
        return None
    if not isinstance(context, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int) for pair in context
    ):
        row.add(f"expected [[line, text], ...], got {brief(context)}", field=f"{field}.context")
        return None
    for number, text in context:
        if number == line and isinstance(text, str):
            return text.strip() or None
    return None


def _exceptions(
    value: Any, keys: _Keys, where: str, row: RowProblems
) -> tuple[list[Frame], str | None]:
    """The frames of every exception of a chain, and the title of the one raised last."""
    values = value.get("values") if isinstance(value, dict) else value
    if values is None:  # an exception interface with nothing in it
        return [], None
    if not isinstance(values, list):
        row.add(f'expected {{"values": [...]}}, got {brief(value)}', field=where)
        return [], None
    frames: list[Frame] = []
    title = None
    for index, exception in enumerate(values):
        field = f"{where}.values[{index}]"
        if not isinstance(exception, dict):
            row.add(f"expected an exception object, got {brief(exception)}", field=field)
            continue
        kind = _text(exception, "type", row, f"{field}.type")
        text = _text(exception, "value", row, f"{field}.value")
        if kind or text:
            title = f"{kind}: {text}" if kind and text else kind or text
        frames.extend(_frames(exception.get("stacktrace"), index, keys, f"{field}.stacktrace", row))
    return frames, title


def _api_stack(obj: Mapping[str, Any], row: RowProblems) -> tuple[list[Frame], str | None]:
    entries = obj.get("entries")
    if entries is None:
        return [], None  # a list of an issue's events leaves them out unless asked
    if not isinstance(entries, list):
        row.add(f"expected a list of entries, got {brief(entries)}", field="entries")
        return [], None
    stack: tuple[list[Frame], str | None] | None = None
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            row.add(f"expected an entry object, got {brief(entry)}", field=f"entries[{index}]")
            continue
        where = f"entries[{index}].data"
        if entry.get("type") == "exception":
            stack = _exceptions(entry.get("data"), _API, where, row)
        elif entry.get("type") == "stacktrace" and stack is None:
            stack = (_frames(entry.get("data"), 0, _API, where, row), None)
    return stack or ([], None)


def _sdk_stack(obj: Mapping[str, Any], row: RowProblems) -> tuple[list[Frame], str | None]:
    if obj.get("exception") is not None:
        return _exceptions(obj["exception"], _SDK, "exception", row)
    return _frames(obj.get("stacktrace"), 0, _SDK, "stacktrace", row), None


def _event(obj: Any, row: RowProblems) -> Incident | None:
    """One event as an incident, or ``None`` (with its problems noted)."""
    if not isinstance(obj, dict):
        row.add(f"expected an event object, got {brief(obj)}")
        return None
    api = any(key in obj for key in _API_KEYS)
    if not api and not any(key in obj for key in _SDK_KEYS):
        row.add("not a Sentry event (expected eventID, or an SDK's event_id)")
        return None
    if api:
        id_field = "eventID"
        ident = _text(obj, "eventID", row, "eventID") or _text(obj, "id", row, "id")
        started = parse_time(obj.get("dateCreated"), row, "dateCreated")
        detected = parse_time(obj.get("dateReceived"), row, "dateReceived")
        frames, raised = _api_stack(obj, row)
    else:
        id_field = "event_id"
        ident = _text(obj, "event_id", row, "event_id")
        started = parse_time(obj.get("timestamp"), row, "timestamp")
        detected = None
        frames, raised = _sdk_stack(obj, row)
    tags = _tags(obj.get("tags"), row)
    tag = dict(tags)
    level = _text(obj, "level", row, "level") or tag.get("level")
    if not api and level is None:
        level = DEFAULT_LEVEL
    release = _release(obj.get("release"), row) or tag.get("release")
    environment = _text(obj, "environment", row, "environment") or tag.get("environment")
    title = (
        _text(obj, "title", row, "title")
        or raised
        or _message(obj.get("message"))
        or _message(obj.get("logentry"))
    )
    if ident is None and all(isinstance(obj.get(k), str | None) for k in (id_field, "id")):
        row.add("missing (every event has an id)", field=id_field)
    if title is None and isinstance(obj.get("title"), str | None):
        row.add("missing (expected a title, an exception or a message)", field="title")
    if not row.ok or ident is None or title is None:
        return None
    return Incident(
        source=SOURCE,
        id=ident,
        title=title,
        severity=level,
        severity_rank=severity_rank(level, LEVEL_RANK),
        started_at=started,
        detected_at=detected,
        environment=environment,
        release=release,
        frames=tuple(frames),
        tags=tuple(dict.fromkeys(f"{key}:{value}" for key, value in tags)),
        raw=raw_json(obj),
    )


def _read(source: str, data: bytes) -> IncidentRows:
    problems = Problems(source, IncidentDataError)
    text = decode_text(data, problems)
    incidents: list[Incident] = []
    skipped = 0
    for value in read_values(text, problems, what="event"):
        if isinstance(value.value, list):
            items = list(zip(value.value, element_lines(text, value), strict=True))
        else:
            items = [(value.value, value.line)]
        for obj, line in items:
            row = RowProblems(problems, line)
            incident = _event(obj, row)
            if incident is None:
                skipped += 1
            else:
                incidents.append(incident)
    return IncidentRows.of("sentry", problems, incidents, skipped)


def _sniff(data: bytes) -> bool:
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    return (
        head.startswith((b"{", b"["))
        and b'"incident_number"' not in head  # a PagerDuty alert's body can quote an event
        # An SDK may write the id after a long exception: look at the whole file for it.
        and _EVENT_ID.search(data) is not None
    )


REGISTRY.register(
    Format(
        "sentry",
        INCIDENTS,
        "Sentry events: the web API's event (entries[]) or an SDK's payload, one or many",
        _sniff,
        _read,
    )
)
