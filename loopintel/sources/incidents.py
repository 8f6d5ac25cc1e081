"""What every incident reader shares: the kind of data, what a read gives, and field parsers.

A reader reads every row of a file. A row with problems is left out and each problem is
kept with its line and field (:class:`IncidentRows`); what makes reading on pointless
(not the format, not UTF-8, malformed JSON) raises :class:`~loopintel.IncidentDataError`
at once. Whether the good rows of a file with bad ones may be imported is the caller's
choice (:meth:`IncidentRows.check`, ``--skip-invalid``), so a reader never decides it.

The field parsers below add a problem and return ``None`` for a bad value, so a reader
collects every problem of a row before it decides to leave the row out.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from loopintel.errors import IncidentDataError, Problem
from loopintel.sources.formats import REGISTRY, Kind
from loopintel.sources.problems import Problems, brief

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    from loopintel.model import Incident

__all__ = [
    "INCIDENTS",
    "IncidentRows",
    "RowProblems",
    "digest",
    "parse_time",
    "raw_json",
    "read_incidents",
    "severity_rank",
]


@attrs.frozen
class IncidentRows:
    """One incident file, read: its good rows, and every problem of its bad ones."""

    format: str
    """The format's name in the registry."""
    source: str
    """The file read."""
    incidents: tuple[Incident, ...]
    """The incidents of the rows without problems, in the order of the file."""
    problems: tuple[Problem, ...] = ()
    """Every problem kept (a capped number), in the order of the file."""
    total_problems: int = 0
    """How many problems were found, kept or not."""
    skipped: int = 0
    """Rows left out because of their problems."""

    def check(self) -> None:
        """Raise the problems of the bad rows, if there are any.

        Raises:
            IncidentDataError: with every problem kept and the total count.

        """
        if self.total_problems:
            raise IncidentDataError(self.source, self.problems, self.total_problems)

    @classmethod
    def of(
        cls,
        name: str,
        problems: Problems,
        incidents: list[Incident],
        skipped: int,
    ) -> IncidentRows:
        """The rows read with the problems collected while reading them."""
        error = problems.as_error()
        return cls(
            format=name,
            source=problems.source,
            incidents=tuple(incidents),
            problems=error.problems,
            total_problems=problems.total,
            skipped=skipped,
        )


INCIDENTS: Kind[IncidentRows] = Kind("incidents", IncidentDataError)
"""Incident records, as the registry of formats knows them."""


def read_incidents(path: str | os.PathLike[str], *, format: str | None = None) -> IncidentRows:  # noqa: A002
    """Read an incident file of any supported format.

    Args:
        path: the file.
        format: a name from ``REGISTRY.names(INCIDENTS)``; recognised from the content
            when ``None``.

    Returns:
        The good rows and every problem of the bad ones (call
        :meth:`IncidentRows.check` to refuse a file with bad rows).

    Raises:
        IncidentDataError: the file is missing, of no known format, or unreadable as a
            whole (not UTF-8, malformed JSON).

    """
    return REGISTRY.read(INCIDENTS, path, format=format)


class RowProblems:
    """The problems of one row: added to the file's, and counted to leave the row out."""

    __slots__ = ("count", "line", "problems")

    def __init__(self, problems: Problems, line: int | None) -> None:
        """Start a row at ``line`` of the file (``None`` when the format has no lines)."""
        self.problems = problems
        self.line = line
        self.count = 0

    def add(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        """Note a problem of this row (at ``line`` when it is not the row's own)."""
        self.count += 1
        self.problems.add(message, line=self.line if line is None else line, field=field)

    @property
    def ok(self) -> bool:
        """Whether the row has no problem so far."""
        return self.count == 0


def parse_time(value: Any, row: RowProblems, field: str) -> datetime | None:
    """A time from ISO 8601 text or seconds since the epoch, timezone-aware.

    A time without an offset is read as UTC. ``None`` and empty text are no time, and no
    problem; anything else that is not a time is a problem of the row.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        row.add(f"expected a time, got {brief(value)}", field=field)
        return None
    if isinstance(value, int | float):
        # Milliseconds since the epoch are common in exports; no real incident happened
        # before 1973 or after 5138 in seconds, so the size tells them apart.
        seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            row.add(f"expected a time, got {brief(value)}", field=field)
            return None
    if not isinstance(value, str):
        row.add(f"expected a time, got {brief(value)}", field=field)
        return None
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return parse_time(float(text), row, field)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        row.add(f"expected an ISO 8601 time, got {brief(value)}", field=field)
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def severity_rank(raw: str | None, mapping: Mapping[str, int]) -> int | None:
    """The 1-5 rank of a source's severity text, by a documented per-source mapping.

    The text is matched without case, spaces, ``-`` or ``_`` (``SEV-1``, ``sev 1`` and
    ``Sev1`` are one), and by its number when the mapping has no entry for it but the
    text is ``P<n>``/``SEV<n>``-like with ``n`` in 1-5.
    """
    if raw is None:
        return None
    key = re.sub(r"[\s_\-]+", "", raw).lower()
    if key in mapping:
        return mapping[key]
    found = re.fullmatch(r"(?:p|sev|s|severity|priority)?([1-5])", key)
    return int(found.group(1)) if found else None


def raw_json(value: Any) -> str:
    """A payload as kept for audit: JSON, keys in the order they came."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def digest(text: str) -> str:
    """A short stable id for something that has none of its own (a pasted traceback)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
