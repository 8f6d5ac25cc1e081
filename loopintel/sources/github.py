"""GitHub issues: the REST API's JSON and ``gh issue list --json`` output.

Two formats, one record each:

- ``github``: what ``GET /repos/{owner}/{repo}/issues`` returns (a list of issues), the
  search API's ``{"items": [...]}``, or one issue object. The list endpoint returns
  pull requests too (they carry a ``pull_request`` object): those are left out, as no
  incident, and not counted as bad rows.
- ``gh``: ``gh issue list --json number,title,state,createdAt,closedAt,labels,body,url``
  (camel-case names; other fields gh can add are ignored).

An issue is ``Incident(source="github", id=str(number))``: ``title``; ``state`` as
``status`` (as written: ``open``/``closed`` from the API, ``OPEN``/``CLOSED`` from gh);
the creation time as ``started_at`` and ``detected_at`` (an issue is opened when the
problem is reported, and that is the earliest time it knows); the closing time as
``resolved_at``; label names as ``tags``; tracebacks pasted in the body as ``frames``;
``html_url`` (``url`` for gh) as ``url``. The REST API's issue ``type`` (``{"name":
"Bug"}``) is the ``type``, lower-cased; severity is not in these payloads, so it stays
``None`` until a label mapping sets it. The payloads do not say which commit closed an
issue: fix links come from commits that say ``fixes #N``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from loopintel.errors import IncidentDataError
from loopintel.model import Incident
from loopintel.sources import jsonrows
from loopintel.sources.formats import REGISTRY, Format
from loopintel.sources.incidents import INCIDENTS, IncidentRows, RowProblems, parse_time, raw_json
from loopintel.sources.problems import Problems, brief
from loopintel.sources.traceback import frames_in_text

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["issue_from_api", "issue_from_gh"]

_ZERO_TIME = "0001-01-01T00:00:00Z"
"""What some tools write for a time that was never set."""


def _labels(value: Any, row: RowProblems, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        row.add(f"expected a list of labels, got {brief(value)}", field=field)
        return ()
    names = []
    for index, label in enumerate(value):
        name = label.get("name") if isinstance(label, dict) else label
        if not isinstance(name, str):
            row.add(f"expected a label name, got {brief(label)}", field=f"{field}[{index}]")
        else:
            names.append(name)
    return tuple(names)


def _issue(
    record: Mapping[str, Any], row: RowProblems, names: Mapping[str, str]
) -> Incident | None:
    """An issue from its payload, the payload's field names given by ``names``."""
    number = record.get("number")
    if number is None:
        row.add("missing (required)", field="number")
    elif not isinstance(number, int) or isinstance(number, bool):
        row.add(f"expected the issue's number, got {brief(number)}", field="number")
    title = jsonrows.text(record, "title", row, required=True)
    state = jsonrows.text(record, "state", row)
    times = {}
    for key in ("created", "closed"):
        value = record.get(names[key])
        times[key] = None if value == _ZERO_TIME else parse_time(value, row, names[key])
    tags = _labels(record.get("labels"), row, "labels")
    body = jsonrows.text(record, "body", row)
    url = jsonrows.text(record, names["url"], row)
    kind = record.get("type")
    type_ = None
    if isinstance(kind, dict) and isinstance(kind.get("name"), str):
        type_ = kind["name"].lower()
    elif kind is not None and not isinstance(kind, dict):
        row.add(f"expected an issue type object, got {brief(kind)}", field="type")
    if not row.ok or title is None or not isinstance(number, int):
        return None
    return Incident(
        source="github",
        id=str(number),
        title=title,
        type=type_,
        status=state,
        started_at=times["created"],
        detected_at=times["created"],
        resolved_at=times["closed"],
        frames=frames_in_text(body) if body else (),
        tags=tags,
        url=url,
        raw=raw_json(record),
    )


_API = {"created": "created_at", "closed": "closed_at", "url": "html_url"}
_GH = {"created": "createdAt", "closed": "closedAt", "url": "url"}


def issue_from_api(record: Mapping[str, Any], row: RowProblems) -> Incident | None:
    """An issue as the REST API returns it; ``None`` when the row has a problem."""
    return _issue(record, row, _API)


def issue_from_gh(record: Mapping[str, Any], row: RowProblems) -> Incident | None:
    """An issue as ``gh issue list --json`` prints it; ``None`` when the row has a problem."""
    return _issue(record, row, _GH)


def _reader(name: str, names: Mapping[str, str]) -> Callable[[str, bytes], IncidentRows]:
    def read(source: str, data: bytes) -> IncidentRows:
        problems = Problems(source, IncidentDataError)
        text, document = jsonrows.load(data, problems)
        rows = jsonrows.rows(text, document, keys=("items",))
        if rows is None:
            raise problems.fatal(f"expected a list of issues, got {brief(document)}")
        incidents = []
        skipped = 0
        for value, line in rows:
            row = RowProblems(problems, line)
            if not isinstance(value, dict):
                row.add(f"expected an issue object, got {brief(value)}")
                skipped += 1
                continue
            if value.get("pull_request") is not None:
                continue
            incident = _issue(value, row, names)
            if incident is None:
                skipped += 1
            else:
                incidents.append(incident)
        return IncidentRows.of(name, problems, incidents, skipped)

    return read


def _head(data: bytes) -> bytes:
    return data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")


_NUMBER = re.compile(rb'"number"\s*:\s*\d')
_API_URL = re.compile(rb'"(?:url|repository_url)"\s*:\s*"[^"]*/repos/[^"/]+/[^"/]+')
_HTML_URL = re.compile(rb'"html_url"\s*:')
_GH_FIELD = re.compile(rb'"(?:createdAt|closedAt)"\s*:|"url"\s*:\s*"[^"]*/issues/\d+"')


def _sniff_api(data: bytes) -> bool:
    head = _head(data)
    return (
        head[:1] in (b"[", b"{")
        and _NUMBER.search(head) is not None
        and _API_URL.search(head) is not None
        and _HTML_URL.search(head) is not None
    )


def _sniff_gh(data: bytes) -> bool:
    head = _head(data)
    return (
        head[:1] == b"["
        and _NUMBER.search(head) is not None
        and _GH_FIELD.search(head) is not None
        and _HTML_URL.search(head) is None
    )


for _format in (
    Format(
        "github",
        INCIDENTS,
        "GitHub issues as the REST API returns them (pull requests left out)",
        _sniff_api,
        _reader("github", _API),
    ),
    Format(
        "gh",
        INCIDENTS,
        "GitHub issues as gh issue list --json prints them",
        _sniff_gh,
        _reader("gh", _GH),
    ),
):
    REGISTRY.register(_format)
