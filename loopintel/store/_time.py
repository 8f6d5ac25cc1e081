"""Times read back from the index: seconds since the epoch, made timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

__all__ = ["at_offset", "utc"]


def at_offset(ts: int, offset_minutes: int) -> datetime:
    """``ts`` as a datetime at the offset git recorded with it (the author's clock)."""
    return datetime.fromtimestamp(ts, timezone(timedelta(minutes=offset_minutes)))


def utc(ts: int) -> datetime:
    """``ts`` as a datetime in UTC (times loopintel itself recorded)."""
    return datetime.fromtimestamp(ts, UTC)
