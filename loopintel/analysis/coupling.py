"""Co-changes: which elements change in the same commits, in numpy over change entries.

An *element* is whatever the caller couples (a function's lineage, a file, a module); a
*commit* is any integer code that orders commits (the index's graph position). The input
is one entry per (commit, element) change; the output counts, per element, the commits
that changed it, and per pair of elements, the commits that changed both, with the first,
the last and the newest few of those shared commits as reasons.

Commits that change more than ``max_changeset`` elements are left out entirely, as
code-maat leaves them out (``--max-changeset-size``): a commit that renames an argument
everywhere, or reformats a package, says nothing about which code belongs together,
and its ``k (k - 1) / 2`` pairs would drown the pairs of focused commits. They count
neither for the revisions of their elements nor for any pair, so a pair's
``shared`` never exceeds the revisions of either side.

Pairs are counted without a Python loop over commits: the entries of every commit
(sorted by commit, then element) are expanded into every pair of their positions at
once, each pair coded ``a * elements + b`` and the codes grouped by one sort. The cost is
the number of pairs, ``sum(k (k - 1) / 2)`` over the commits kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["NEWEST_SHOWN", "CoChangeArrays", "co_changes"]

NEWEST_SHOWN = 3
"""Shared commits kept per pair as reasons, newest first."""


@attrs.frozen(eq=False)
class CoChangeArrays:
    """Revisions per element and shared commits per pair (``a < b``), as arrays.

    Pairs come sorted by ``a``, then ``b``; only pairs that share at least one kept
    commit are present.
    """

    revisions: npt.NDArray[np.int64]
    """Per element (``0 .. elements - 1``): kept commits that changed it."""
    a: npt.NDArray[np.int64]
    """Per pair: the smaller element."""
    b: npt.NDArray[np.int64]
    """Per pair: the larger element."""
    shared: npt.NDArray[np.int64]
    """Per pair: kept commits that changed both."""
    first: npt.NDArray[np.int64]
    """Per pair: the smallest code of a shared commit (the oldest in graph order)."""
    last: npt.NDArray[np.int64]
    """Per pair: the largest code of a shared commit (the newest)."""
    newest_pair: npt.NDArray[np.int64]
    """With :attr:`newest_commit`: up to ``shown`` newest shared commits per pair, as
    (pair index, commit code) entries, by pair, newest first."""
    newest_commit: npt.NDArray[np.int64]
    large: npt.NDArray[np.int64]
    """Codes of the commits left out for changing more than ``max_changeset`` elements,
    ascending."""
    commits: int
    """Commits kept (those with at least one entry and at most ``max_changeset``
    elements)."""

    def __len__(self) -> int:
        return int(self.a.shape[0])

    @property
    def left_out(self) -> int:
        """How many commits were left out as too large."""
        return int(self.large.shape[0])


def co_changes(
    commit: npt.NDArray[np.int64],
    element: npt.NDArray[np.int64],
    elements: int,
    *,
    max_changeset: int,
    shown: int = NEWEST_SHOWN,
) -> CoChangeArrays:
    """The revisions of every element and the shared commits of every pair.

    Args:
        commit: per entry, the commit's code (non-negative; larger: newer).
        element: per entry, the element it changed (``0 .. elements - 1``). An element
            listed twice for one commit counts once.
        elements: how many elements there are.
        max_changeset: commits changing more elements than this are left out.
        shown: newest shared commits kept per pair.

    Raises:
        ValueError: arrays of different lengths, an element outside ``0 .. elements - 1``,
            a negative commit code, or ``max_changeset`` or ``shown`` below 0.

    Example:
        >>> arrays = co_changes(np.array([1, 1, 2]), np.array([0, 1, 0]), 2, max_changeset=30)
        >>> arrays.revisions.tolist(), arrays.shared.tolist()
        ([2, 1], [1])

    """
    commit = np.asarray(commit, dtype=np.int64)
    element = np.asarray(element, dtype=np.int64)
    if commit.shape != element.shape or commit.ndim != 1:
        raise ValueError("commit and element must be one-dimensional arrays of one length")
    if element.size and (int(element.min()) < 0 or int(element.max()) >= elements):
        raise ValueError(f"elements must lie in 0 .. {elements - 1}")
    if commit.size and int(commit.min()) < 0:
        raise ValueError("commit codes must not be negative")
    if max_changeset < 0 or shown < 0:
        raise ValueError("max_changeset and shown must not be negative")
    width = np.int64(max(elements, 1))
    # One entry per (commit, element), sorted by commit then element.
    entries = np.unique(commit * width + element)
    seq, elem = entries // width, entries % width
    commits, start, size = np.unique(seq, return_index=True, return_counts=True)
    big = size > max_changeset
    keep = ~np.repeat(big, size)
    revisions = np.bincount(elem[keep], minlength=elements).astype(np.int64)

    # Every pair of positions (i, j), i < j, inside one kept commit: entry i is paired
    # with the entries after it in its commit, so element[i] < element[j] always.
    position = np.arange(entries.size, dtype=np.int64)
    end = np.repeat(start + size, size)
    partners = np.where(keep, end - position - 1, 0)
    total = int(partners.sum())
    left = np.repeat(position, partners)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(partners) - partners, partners)
    right = left + 1 + offset
    code = elem[left] * width + elem[right]
    when = seq[left]

    # Group by pair, oldest commit first within a pair.
    order = np.lexsort((when, code))
    code, when = code[order], when[order]
    boundary = np.ones(code.size, dtype=bool)
    boundary[1:] = code[1:] != code[:-1]
    group_start = np.flatnonzero(boundary)
    group_end = np.append(group_start[1:], code.size) if code.size else group_start
    pair_codes = code[group_start]
    pair_of = np.cumsum(boundary) - 1
    rank_from_end = np.repeat(group_end, group_end - group_start) - np.arange(code.size) - 1
    newest = rank_from_end < shown
    # Newest first within each pair: the kept entries reversed inside their group.
    chosen = np.flatnonzero(newest)
    chosen = chosen[np.lexsort((-when[chosen], pair_of[chosen]))]
    return CoChangeArrays(
        revisions=revisions,
        a=pair_codes // width,
        b=pair_codes % width,
        shared=(group_end - group_start).astype(np.int64),
        first=when[group_start],
        last=when[group_end - 1],
        newest_pair=pair_of[chosen].astype(np.int64),
        newest_commit=when[chosen],
        large=commits[big],
        commits=int((~big).sum()),
    )
