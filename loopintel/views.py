"""One function's story, read from the index: ``repo.function("path::Qual.name")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopintel.model import Change, ChangeKind, FunctionRef

if TYPE_CHECKING:
    from loopintel.store import Store

__all__ = ["FunctionView"]


class FunctionView:
    """A function found by :meth:`loopintel.Repository.function`, across its lineage.

    The view reads the index when asked; the answers are frozen values.
    """

    def __init__(self, store: Store, ref: FunctionRef, lineage: str, *, at_head: bool) -> None:
        self._store = store
        self.ref = ref
        """The function as named at the indexed head (or when last seen)."""
        self.lineage = lineage
        """Its lineage id."""
        self.at_head = at_head
        """Whether it exists at the indexed head."""

    def __repr__(self) -> str:
        where = "" if self.at_head else " (gone)"
        return f"<FunctionView {self.ref}{where} lineage={self.lineage}>"

    def history(self, *, cosmetic: bool = True) -> list[Change]:
        """Every change of the function, newest first, through renames and moves.

        Args:
            cosmetic: include changes that touched only formatting or comments.

        """
        rows = self._store.changes(
            "ch.lineage = ?", [self.lineage], order="c.seq DESC, ch.rowid DESC"
        )
        changes = [Change.from_row(row) for row in rows]
        return changes if cosmetic else [c for c in changes if not c.is_cosmetic]

    @property
    def last_changed(self) -> Change | None:
        """The latest change that was not only cosmetic."""
        return next(iter(self.history(cosmetic=False)), None)

    def latest_change(self, *, cosmetic: bool = True) -> Change | None:
        """The latest change, cosmetic ones included unless told otherwise."""
        return next(iter(self.history(cosmetic=cosmetic)), None)

    @property
    def introduced(self) -> Change | None:
        """The change that added the function.

        ``None`` if its history starts before the indexed history (a shallow clone).
        """
        rows = self._store.changes("ch.lineage = ?", [self.lineage], order="c.seq, ch.rowid")
        first = next(rows, None)
        if first is None:
            return None
        change = Change.from_row(first)
        return change if change.kind is ChangeKind.ADDED else None

    @property
    def deleted(self) -> Change | None:
        """The change that deleted the function, if it is gone."""
        latest = self.latest_change()
        return latest if latest is not None and latest.kind is ChangeKind.DELETED else None

    @property
    def complexity(self) -> int | None:
        """Cyclomatic complexity of its latest version."""
        latest = self.latest_change()
        return None if latest is None else latest.complexity
