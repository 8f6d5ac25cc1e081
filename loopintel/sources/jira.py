"""Jira issues: the REST API's search response, API v2 (wiki text) and v3 (ADF).

``GET /rest/api/2/search`` and ``/rest/api/3/search`` (also ``search/jql``) return
``{"issues": [{"key", "self", "fields": {...}}, ...]}``; one issue object is read too.
An issue is ``Incident(source="jira", id=key)`` with, from its ``fields``:

============================  ==============================================================
``summary``                   ``title``
``priority.name``             ``severity``, ranked by :data:`PRIORITY_RANKS`
``status.name``               ``status``
``issuetype.name``            ``type``, lower-cased (``bug``, ``incident``)
``created``                   ``started_at`` and ``detected_at``
``resolutiondate``            ``resolved_at``
``components[].name``         ``services``
``versions[].name``           ``release``: the first affected version
``fixVersions[].name``        ``tags`` as ``fix_version:<name>``
``labels``                    ``tags``
``environment``               ``environment``: its first line
``description``               ``frames``: the tracebacks in it (wiki text, or ADF's text
                              with its code blocks)
``self``                      ``url``: ``https://<site>/browse/<key>``
============================  ==============================================================

Jira writes times as ``2026-12-03T10:00:00.000+0100`` (an offset without a colon);
they are read with their offset, and a time without one as UTC.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from loopintel.errors import IncidentDataError
from loopintel.model import Incident
from loopintel.sources import jsonrows
from loopintel.sources.formats import REGISTRY, Format
from loopintel.sources.incidents import (
    INCIDENTS,
    IncidentRows,
    RowProblems,
    parse_time,
    raw_json,
    severity_rank,
)
from loopintel.sources.problems import Problems, brief
from loopintel.sources.traceback import frames_in_text

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PRIORITY_RANKS", "adf_text", "issue_from_jira"]

PRIORITY_RANKS: Mapping[str, int] = {
    "highest": 1,
    "blocker": 1,
    "high": 2,
    "critical": 2,
    "medium": 3,
    "major": 3,
    "low": 4,
    "minor": 4,
    "lowest": 5,
    "trivial": 5,
}
"""Jira's priority names (the defaults of Jira Cloud, and of Jira Server before 7.6) to
loopintel's rank; ``P1``..``P5`` and ``SEV-1``..``SEV-5`` rank by their number."""

_BLOCKS = frozenset(
    {"paragraph", "heading", "blockquote", "listItem", "tableRow", "panel", "rule", "mediaGroup"}
)


def adf_text(node: Any) -> str:
    """The text of an Atlassian Document Format tree (API v3's rich text fields).

    Paragraphs and other blocks end in a newline, ``hardBreak`` is a newline, code
    blocks are kept as they are inside a Markdown fence, mentions, emoji and cards give
    their text; anything unknown gives the text of its content.
    """
    parts: list[str] = []
    _walk(node, parts)
    return "".join(parts)


def _walk(node: Any, parts: list[str]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, parts)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    attrs: dict[str, Any] = node["attrs"] if isinstance(node.get("attrs"), dict) else {}
    if kind == "text" and isinstance(node.get("text"), str):
        parts.append(node["text"])
    elif kind == "hardBreak":
        parts.append("\n")
    elif kind == "codeBlock":
        code: list[str] = []
        _walk(node.get("content"), code)
        parts.append("\n```\n" + "".join(code).rstrip("\n") + "\n```\n")
    elif kind in ("mention", "emoji", "status", "date"):
        label = attrs.get("text") or attrs.get("shortName") or attrs.get("timestamp")
        parts.append(str(label) if label is not None else "")
    elif kind in ("inlineCard", "blockCard", "embedCard"):
        parts.append(str(attrs.get("url", "")))
    else:
        _walk(node.get("content"), parts)
        if kind in _BLOCKS:
            parts.append("\n")


def _name(value: Any, row: RowProblems, field: str) -> str | None:
    """The ``name`` of a field's object (``priority``, ``status``), if it has one."""
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return str(value["name"])
    row.add(f"expected an object with a name, got {brief(value)}", field=field)
    return None


def _names(value: Any, row: RowProblems, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        row.add(f"expected a list, got {brief(value)}", field=field)
        return ()
    names = [_name(item, row, f"{field}[{i}]") for i, item in enumerate(value)]
    return tuple(n for n in names if n is not None)


def _rich_text(value: Any, row: RowProblems, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return adf_text(value)
    row.add(f"expected text or a document, got {brief(value)}", field=field)
    return None


def _browse_url(api: str | None, key: str) -> str | None:
    if not api:
        return None
    parts = urlsplit(api)
    if not parts.scheme or not parts.netloc:
        return None
    # Jira Server may live under a context path (https://host/jira/rest/api/2/...).
    base = parts.path.split("/rest/api/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{base}/browse/{key}"


def issue_from_jira(record: Mapping[str, Any], row: RowProblems) -> Incident | None:
    """An issue of a search response; ``None`` when the row has a problem."""
    key = jsonrows.text(record, "key", row, required=True)
    fields = record.get("fields")
    if not isinstance(fields, dict):
        row.add(f"expected the issue's fields object, got {brief(fields)}", field="fields")
        return None
    title = jsonrows.text(fields, "summary", _In(row), required=True)
    priority = _name(fields.get("priority"), row, "fields.priority")
    status = _name(fields.get("status"), row, "fields.status")
    issuetype = _name(fields.get("issuetype"), row, "fields.issuetype")
    created = parse_time(fields.get("created"), row, "fields.created")
    resolved = parse_time(fields.get("resolutiondate"), row, "fields.resolutiondate")
    labels = jsonrows.texts(fields, "labels", _In(row))
    components = _names(fields.get("components"), row, "fields.components")
    versions = _names(fields.get("versions"), row, "fields.versions")
    fixed_in = _names(fields.get("fixVersions"), row, "fields.fixVersions")
    description = _rich_text(fields.get("description"), row, "fields.description")
    environment = _rich_text(fields.get("environment"), row, "fields.environment")
    api = jsonrows.text(record, "self", row)
    if not row.ok or key is None or title is None:
        return None
    first_line = next((ln.strip() for ln in (environment or "").splitlines() if ln.strip()), None)
    return Incident(
        source="jira",
        id=key,
        title=title,
        severity=priority,
        severity_rank=severity_rank(priority, PRIORITY_RANKS),
        type=issuetype.lower() if issuetype else None,
        status=status,
        started_at=created,
        detected_at=created,
        resolved_at=resolved,
        services=components,
        environment=first_line,
        release=versions[0] if versions else None,
        frames=frames_in_text(description) if description else (),
        tags=(*labels, *(f"fix_version:{v}" for v in fixed_in)),
        url=_browse_url(api, key),
        raw=raw_json(record),
    )


class _In:
    """A row's problems, for fields inside ``fields``."""

    __slots__ = ("row",)

    def __init__(self, row: RowProblems) -> None:
        self.row = row

    def add(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        self.row.add(message, field=f"fields.{field}", line=line)


def _read(source: str, data: bytes) -> IncidentRows:
    problems = Problems(source, IncidentDataError)
    text, document = jsonrows.load(data, problems)
    rows = jsonrows.rows(text, document, keys=("issues",))
    if rows is None:
        raise problems.fatal(f"expected a search response, got {brief(document)}")
    incidents = []
    skipped = 0
    for value, line in rows:
        row = RowProblems(problems, line)
        incident = None
        if isinstance(value, dict):
            incident = issue_from_jira(value, row)
        else:
            row.add(f"expected an issue object, got {brief(value)}")
        if incident is None:
            skipped += 1
        else:
            incidents.append(incident)
    return IncidentRows.of("jira", problems, incidents, skipped)


_KEY = re.compile(rb'"key"\s*:\s*"[A-Z][A-Z0-9_]*-\d+"')
_FIELDS = re.compile(rb'"fields"\s*:\s*\{')


def _sniff(data: bytes) -> bool:
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] == b"{" and _KEY.search(head) is not None and _FIELDS.search(head) is not None


JIRA: Format[IncidentRows] = REGISTRY.register(
    Format(
        "jira",
        INCIDENTS,
        "Jira issues as the REST API's search returns them (API v2 or v3)",
        _sniff,
        _read,
    )
)
"""The format, registered before loopintel's own JSON."""
