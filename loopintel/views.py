"""One function's story, read from the index: ``repo.function("path::Qual.name")``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from loopintel.analysis.knowledge import Touch, degree_of_authorship
from loopintel.model import Change, ChangeKind, Expert, FunctionRef

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

    def experts(
        self, *, half_life_days: float | None = 365.0, inactive_after_days: float = 365.0
    ) -> list[Expert]:
        """Who knows this function, best first: degree of authorship over its lineage.

        Args:
            half_life_days: a change this old counts half (older ones less); ``None``
                counts every change fully.
            inactive_after_days: an author without any commit in the repository for
                this long before the indexed head is flagged ``active=False``.

        """
        history = [c for c in reversed(self.history()) if not c.is_cosmetic]
        if not history:
            return []
        head_time = self._store.head_time()
        first = history[0] if history[0].kind is ChangeKind.ADDED else None
        touches = [
            Touch(c.author_email, int(c.authored_at.timestamp()), c is first) for c in history
        ]
        names = {c.author_email: c.author_name for c in history}
        last_seen = self._store.last_commit_times()
        threshold = head_time - inactive_after_days * 86400
        return [
            Expert(
                name=names[a.author],
                email=a.author,
                doa=a.doa,
                share=a.share,
                first_author=a.first_author,
                own_changes=a.own_changes,
                others_changes=a.others_changes,
                last_touch=datetime.fromtimestamp(a.last_touch, UTC),
                active=last_seen.get(a.author, 0) >= threshold,
            )
            for a in degree_of_authorship(touches, now=head_time, half_life_days=half_life_days)
        ]
