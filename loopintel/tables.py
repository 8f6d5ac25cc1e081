"""Lists of answers that turn into tables: records for JSON, DataFrames for notebooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs

__all__ = ["REPR_ITEMS", "Records"]

REPR_ITEMS = 20
"""Answers a :class:`Records` shows in its repr before it abbreviates."""


class _Recordable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=_Recordable)


class Records(list[T]):
    """A list of frozen answers (changes, functions, experts...) with table forms.

    Example:
        >>> repo.function("create_app").history().to_frame()  # doctest: +SKIP

    """

    def __repr__(self) -> str:
        # Long tables print their head only: a notebook cell should not scroll for ever.
        if len(self) <= REPR_ITEMS:
            return super().__repr__()
        head = ", ".join(repr(item) for item in self[: REPR_ITEMS // 2])
        return f"[{head}, ... ({len(self) - REPR_ITEMS // 2:,} more; {len(self):,} in all)]"

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per answer."""
        return [item.to_dict() for item in self]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per answer (pandas must be installed).

        Times (``authored_at``, ``last_touch``...) become datetime columns, in UTC.

        Raises:
            ImportError: pandas is not installed.

        """
        try:
            import pandas as pd  # noqa: PLC0415 - optional dependency, imported on use
        except ImportError as exc:
            raise ImportError(
                "to_frame() needs pandas: pip install pandas (to_records() needs nothing)"
            ) from exc
        frame = pd.DataFrame.from_records(self.to_records())
        first: Any = self[0] if self else None
        if attrs.has(type(first)):
            for name, value in attrs.asdict(first, recurse=False).items():
                if isinstance(value, datetime) and name in frame:
                    frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        return frame
