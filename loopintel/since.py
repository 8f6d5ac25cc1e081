"""What changed since an index was complete, found from the refs.

The index records the head whose history it holds exactly. From that head and the ref,
the commits to index are those git lists walking from the ref down to it, and the
commits a rewrite dropped are found going down the stored history only as far as they
go: what it costs grows with what changed, not with the history.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loopintel.history.git import GitRepository
    from loopintel.store import Store

__all__ = ["Walk", "bases", "chain_base", "changed_paths", "dropped", "since"]

Walk = list[tuple[str, tuple[str, ...]]]
"""Commits with their parents, parents first."""


def since(
    git: GitRepository, store: Store, old: str, head: str, *, first_parent: bool
) -> tuple[Walk, list[str]] | None:
    """What changed since the index was complete at ``old``, found from the refs.

    Returns the commits to index (those of ``head``'s history the index lacks, parents
    first) and the stored commits ``head``'s history no longer has (a rewrite); both
    cost what changed, not the length of the history. ``None`` when that cannot be
    told this way (a parent neither stored nor new: a shallow boundary): the whole
    history is walked then.
    """
    if old == head:
        return [], []
    if not old or not git.has(old):
        return None  # the index was of an empty history, or that head is gone from git
    if first_parent:
        return _since_first_parent(git, store, old, head)
    listed = git.walk(head, hide=(old,))
    stored = store.stored(sha for sha, _ in listed)
    todo = [(sha, parents) for sha, parents in listed if sha not in stored]
    new = {sha for sha, _ in todo}
    outside = {p for _, parents in todo for p in parents if p not in new}
    found = store.stored(outside | {head})
    if outside - found.keys():
        return None
    keep = set(outside)
    if head not in new:
        if head not in found:
            return None
        keep.add(head)
    return todo, dropped(store, old, keep)


def _since_first_parent(
    git: GitRepository, store: Store, old: str, head: str
) -> tuple[Walk, list[str]]:
    """:func:`since` in first-parent mode: down ``head``'s chain to a stored commit.

    (libgit2 would hide the whole history of ``old``, second parents included, where
    just its chain is stored.)
    """
    todo: Walk = []
    keep: set[str] = set()
    current = head
    while True:
        if store.stored([current]):
            keep.add(current)
            break
        parents = tuple(git.parent_ids(current)[:1])
        todo.append((current, parents))
        if not parents:
            break
        current = parents[0]
    todo.reverse()
    return todo, dropped(store, old, keep)


def dropped(store: Store, old: str, keep: set[str]) -> list[str]:
    """Stored commits of ``old``'s history that are in none of ``keep``'s histories.

    Stored commits are numbered parents first, so going down from the highest number
    meets every commit after all of its stored children: whether it is in a kept
    history is known when it is met. The walk stops when nothing met is left that is
    not (it goes as far down as the dropped commits, not to the start of the history).
    """
    found = store.stored([old, *keep])
    kept: dict[str, bool] = {}
    parents: dict[str, tuple[str, ...]] = {}
    heap: list[tuple[int, str]] = []
    dropping = 0

    def reach(sha: str, seq: int, its_parents: tuple[str, ...], *, is_kept: bool) -> None:
        nonlocal dropping
        if sha in kept:
            if is_kept and not kept[sha]:
                kept[sha] = True
                dropping -= 1
            return
        kept[sha] = is_kept
        parents[sha] = its_parents
        dropping += not is_kept
        heapq.heappush(heap, (-seq, sha))

    for sha in keep:
        if sha in found:
            reach(sha, *found[sha], is_kept=True)
    if old in found:
        reach(old, *found[old], is_kept=False)
    gone: list[str] = []
    while dropping:
        _, sha = heapq.heappop(heap)
        is_kept = kept[sha]
        if not is_kept:
            dropping -= 1
            gone.append(sha)
        for parent, (seq, its_parents) in store.stored(parents[sha]).items():
            reach(parent, seq, its_parents, is_kept=is_kept)
    return gone


def changed_paths(git: GitRepository, todo: Walk) -> set[str]:
    """Paths whose lineage states indexing ``todo`` reads from parents.

    A commit reads its first parent's states of the paths it changes (renamed and
    moved functions come from paths it deletes); a merge reads its parents' states of
    the paths where it differs from its first parent.
    """
    out: set[str] = set()
    for sha, parents in todo:
        if parents:
            out.update(git.changed_paths(parents[0], sha))
    return out


def chain_base(todo: Walk, head: str) -> str | None:
    """The first commit down ``head``'s first-parent chain that is not in ``todo``."""
    parents = dict(todo)
    current: str | None = head
    while current is not None and current in parents:
        first = parents[current]
        current = first[0] if first else None
    return current


def bases(todo: Walk, head: str) -> set[str]:
    """The stored commits indexing ``todo`` builds on (``head`` itself when none is new)."""
    if not todo:
        return {head}
    new = {sha for sha, _ in todo}
    return {p for _, parents in todo for p in parents if p not in new}
