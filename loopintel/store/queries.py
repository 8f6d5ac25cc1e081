"""Questions the store answers, as frozen values it turns into SQL."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from loopintel.model import ChangeKind

__all__ = ["ChangeOrder", "ChangeQuery"]


class ChangeOrder(enum.StrEnum):
    """How changes are ordered."""

    GRAPH = "graph"
    """Commit graph order: a commit after its parents (git's topological walk); the
    changes of one commit in the order they were recorded."""
    DATE = "date"
    """Author time, commit graph order among changes of the same second."""


@attrs.frozen(kw_only=True)
class ChangeQuery:
    """Which function changes to read, and in what order.

    Every field narrows the answer; the defaults read every change, oldest first in
    commit graph order (the export order).
    """

    path: str | None = None
    """A file or a directory (relative to the repository root, ``/``-separated): changes
    of functions in it or under it, or that left it; ``""`` for everything."""
    lineages: tuple[str, ...] | None = None
    """Only these lineages."""
    commits: tuple[str, ...] | None = None
    """Only changes of these commits (full shas)."""
    author: str | None = None
    """Author email or name after ``.mailmap`` (case-insensitive)."""
    since: int | None = None
    """Authored at or after this time (seconds since the epoch)."""
    until: int | None = None
    """Authored before this time."""
    committed_since: int | None = None
    """Committed at or after this time (seconds since the epoch): what reached the
    branch then, rebased or not."""
    committed_until: int | None = None
    """Committed before this time."""
    kinds: tuple[ChangeKind, ...] | None = None
    """Only these kinds of change."""
    cosmetic: bool = True
    """Include changes that touched only formatting or comments."""
    copies: bool = True
    """Include changes of commits that are copies of an earlier one on another branch
    (the same patch id: a cherry-pick); counts of changes leave them out."""
    order: ChangeOrder = ChangeOrder.GRAPH
    """Graph or date order."""
    newest_first: bool = False
    """Reverse the order."""
    limit: int | None = None
    """At most this many changes."""
