"""Lists of answers that turn into tables: records for JSON, DataFrames for notebooks."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = ["Records"]


class _Recordable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=_Recordable)


class Records(list[T]):
    """A list of frozen answers (changes, functions, experts...) with table forms.

    Example:
        >>> repo.function("create_app").history().to_frame()  # doctest: +SKIP

    """

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per answer."""
        return [item.to_dict() for item in self]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per answer (pandas must be installed).

        Raises:
            ImportError: pandas is not installed.

        """
        try:
            import pandas as pd  # noqa: PLC0415 - optional dependency, imported on use
        except ImportError as exc:
            raise ImportError(
                "to_frame() needs pandas: pip install pandas (to_records() needs nothing)"
            ) from exc
        return pd.DataFrame.from_records(self.to_records())
