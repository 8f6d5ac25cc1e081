"""What every group of tables of the store shares: the connection, settings, transactions."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator
    from pathlib import Path

__all__ = ["Tables", "like_prefix", "under"]


def like_prefix(path: str) -> str:
    r"""A ``LIKE`` pattern (escape ``\\``) for every path under directory ``path``."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.rstrip("/") + "/%"


def under(column: str, path: str) -> tuple[str, list[str]]:
    """SQL condition (and parameters): ``column`` is ``path`` or under it; ``""``: any."""
    if not path:
        return "1", []
    return f"({column} = ? OR {column} LIKE ? ESCAPE '\\')", [path, like_prefix(path)]


class Tables:
    """Base of the store's table groups: one SQLite connection and its settings."""

    db: sqlite3.Connection
    path: Path
    readonly: bool
    _cache: dict[str, tuple[str | None, Any]]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: all of it is stored or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        """A stored setting of the indexed history (``head``, ``options``...)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting (inside the caller's transaction)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def per_head(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per indexed head (queries repeat them per function)."""
        head = self.meta("head")
        cached = self._cache.get(name)
        if cached is None or cached[0] != head:
            cached = (head, compute())
            self._cache[name] = cached
        return cached[1]
