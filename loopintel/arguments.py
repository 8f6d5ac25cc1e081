"""Checks of the arguments that whole-history queries share (hotspots, coupling).

Each turns what a caller wrote into what the query reads, or raises
:class:`~loopintel.InvalidQuery` naming the argument and what was expected: a window of
author times, a row limit, a file or directory at the indexed head, a choice among an
enum's members.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, TypeVar

from loopintel.errors import InvalidQuery

if TYPE_CHECKING:
    from loopintel.resolver import Moment, Resolver

__all__ = ["choice", "head_path", "is_under", "moment", "number", "row_limit", "whole", "window"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


def choice(kind: type[_Choice], value: object, argument: str) -> _Choice:
    """The member of ``kind`` that ``value`` names.

    Raises:
        InvalidQuery: no member has that value (the message lists them).

    """
    try:
        return kind(value)  # type: ignore[arg-type]
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InvalidQuery(argument, value, f"one of {names}") from None


def moment(value: Moment, argument: str) -> int:
    """Seconds since the epoch of a date (midnight UTC) or an aware datetime.

    A naive datetime is refused: the same history read on machines in other time zones
    would count different changes into the window.

    Raises:
        InvalidQuery: a malformed string, a naive datetime, or neither a date nor text.

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
    """``since`` and ``until`` in seconds since the epoch (``None``: no bound).

    Raises:
        InvalidQuery: a bad moment (see :func:`moment`), or ``until`` not after ``since``.

    """
    start = None if since is None else moment(since, "since")
    end = None if until is None else moment(until, "until")
    if start is not None and end is not None and end <= start:
        raise InvalidQuery("until", until, f"a moment after since ({since})")
    return start, end


def number(value: object, argument: str, expected: str) -> float:
    """``value`` as a float: a real number, neither a flag (``True`` is no number) nor NaN.

    Raises:
        InvalidQuery: anything else, with ``expected`` as what was expected.

    """
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidQuery(argument, value, expected)
    return float(value)


def whole(value: object, argument: str, expected: str) -> int:
    """``value`` as a whole number (``True`` is no number).

    Raises:
        InvalidQuery: anything else, with ``expected`` as what was expected.

    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuery(argument, value, expected)
    return value


def row_limit(limit: int | None) -> int | None:
    """A limit on rows: a whole number of at least 1, or ``None`` for all.

    Raises:
        InvalidQuery: anything else.

    """
    if limit is None:
        return None
    if whole(limit, "limit", "a whole number of rows, or None for all") < 1:
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


def is_under(path: str, prefix: str) -> bool:
    """Whether ``path`` is the file or directory ``prefix`` or inside it (``""``: all)."""
    return not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/")
