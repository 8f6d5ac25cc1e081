"""A caller's query arguments checked the one way the signals share: hotspots, trends.

Each check returns the clean value or raises :class:`~loopintel.InvalidQuery` naming
the argument and what was expected (``PathNotFound`` for a path that is not at the head).
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, TypeVar

from loopintel.errors import InvalidQuery

if TYPE_CHECKING:
    from loopintel.resolver import Moment, Resolver

__all__ = ["choice", "head_path", "moment", "row_limit", "window"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_Choice = TypeVar("_Choice", bound=enum.Enum)


def choice(kind: type[_Choice], value: object, argument: str) -> _Choice:
    """The member of ``kind`` that ``value`` is (or is the value of).

    Raises:
        InvalidQuery: ``value`` is none of them; the message lists them.

    """
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(str(member.value) for member in kind)
        raise InvalidQuery(argument, value, f"one of {names}") from None


def moment(value: Moment, argument: str) -> int:
    """Seconds since the epoch of a date (midnight UTC) or an aware datetime.

    A naive datetime is refused: the same history read on machines in other time zones
    would put different changes into the window.

    Raises:
        InvalidQuery: a malformed text, a naive datetime, or another type.

    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if _DATE.match(text) else datetime.fromisoformat(text)
        except ValueError:
            raise InvalidQuery(argument, text, "an ISO 8601 date or datetime") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidQuery(
                argument, value.isoformat(), "a date, or a datetime with a timezone offset"
            )
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime.combine(value, time(), tzinfo=UTC).timestamp())
    raise InvalidQuery(argument, value, "a datetime, a date or an ISO 8601 string")


def window(since: Moment | None, until: Moment | None) -> tuple[int | None, int | None]:
    """``since`` and ``until`` in seconds (``None``: no bound), ``until`` after ``since``.

    Raises:
        InvalidQuery: as for :func:`moment`, or a window that ends before it starts.

    """
    start = None if since is None else moment(since, "since")
    end = None if until is None else moment(until, "until")
    if start is not None and end is not None and end <= start:
        raise InvalidQuery("until", until, f"a moment after since ({since})")
    return start, end


def row_limit(limit: object) -> int | None:
    """A limit of rows: a whole number from 1, or ``None`` for all.

    Raises:
        InvalidQuery: anything else (``True`` too: a flag is no number of rows).

    """
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise InvalidQuery("limit", limit, "a whole number of rows, or None for all")
    if limit < 1:
        raise InvalidQuery("limit", limit, "at least 1 (None: all)")
    return limit


def head_path(resolver: Resolver, path: str | None) -> str:
    """A file or directory at the indexed head as the index spells it (``""``: all).

    Raises:
        PathNotFound: no Python file at the indexed head is, or is under, ``path``.

    """
    if path is None or path in ("", "."):
        return ""
    scope = resolver.scope(path)
    return "" if scope.path == "." else scope.path
