"""The cheap sequential pass: a stable lineage id for every function change.

State is, per commit, which lineage every function of the tree belongs to
(``path -> qualname -> lineage``). A commit's state is its first parent's state with
the commit's changes applied; a merge (full mode) takes each file from the parent it
came from. Inner dicts are shared between states and never mutated: a file's dict is
replaced when one of its functions changes, so forking a state costs one dict copy.

A lineage id is derived from the commit, path and qualified name where the function
first appeared, so the same history always gives the same ids, on any machine and
after any number of incremental runs.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, NamedTuple

from loopintel.model import ChangeKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from loopintel.history.attribution import RawChange
    from loopintel.history.extract import FileSource

__all__ = [
    "LineagePass",
    "State",
    "StoredSource",
    "apply",
    "lineage_id",
    "replay",
    "replay_states",
    "replay_touching",
]

State = dict[str, dict[str, str]]
"""path -> qualified name -> lineage id."""


class StoredSource(NamedTuple):
    """A merge's file origin with the lineages the merge's own version carries."""

    path: str
    parent: int | None
    lineages: tuple[tuple[str, str], ...]
    """(qualname, lineage) pairs, for the merge's own version (``parent == -1``)."""


def lineage_id(sha: str, path: str, qualname: str) -> str:
    """The lineage id of a function that first appeared at ``path::qualname`` in ``sha``."""
    return hashlib.blake2b(f"{sha}\0{path}\0{qualname}".encode(), digest_size=8).hexdigest()


def apply(
    state: State,
    changes: Iterable[tuple[RawChange, str]],
    sources: Sequence[StoredSource] | None,
    parent_states: Sequence[State | None],
) -> None:
    """Apply one commit's changes (with their lineages) to the state of its first parent.

    Mutates ``state`` (the outer dict only; inner dicts are replaced).
    """
    if sources:
        for source in sources:
            if source.parent is None:
                state.pop(source.path, None)
            elif source.parent >= 0:
                other = parent_states[source.parent] if source.parent < len(parent_states) else None
                inner = other.get(source.path) if other is not None else None
                if inner is None:
                    state.pop(source.path, None)
                else:
                    state[source.path] = inner
            else:
                state[source.path] = dict(source.lineages)
    touched: dict[str, dict[str, str]] = {}

    def inner_of(path: str) -> dict[str, str]:
        found = touched.get(path)
        if found is None:
            found = dict(state.get(path, {}))
            touched[path] = found
            state[path] = found
        return found

    changes = list(changes)
    for change, _ in changes:
        if change.kind is not ChangeKind.ADDED and change.old_path is not None:
            assert change.old_qualname is not None
            inner_of(change.old_path).pop(change.old_qualname, None)
    for change, lineage in changes:
        if change.kind is not ChangeKind.DELETED:
            inner_of(change.path)[change.qualname] = lineage
    for path, inner in touched.items():
        if not inner:
            state.pop(path, None)


class _HeldStates:
    """States of processed commits, each held until the last child that needs it."""

    def __init__(self, children: dict[str, int], load: Callable[[str], State | None]) -> None:
        self.children = children
        self.states: dict[str, State] = {}
        self._load = load

    def parent(self, sha: str, *, take: bool) -> State | None:
        """A parent's state for one child; ``take`` gets a copy the child may change.

        ``None`` when the parent is unknown (outside the stored history).
        """
        state = self.states.get(sha)
        if state is None:
            state = self._load(sha)
            if state is None:
                return None
            self.states[sha] = state
        left = self.children.get(sha, 0) - 1
        self.children[sha] = left
        if left <= 0:
            del self.states[sha]
            return state
        return dict(state) if take else state


class LineagePass:
    """Assigns lineages to extracted commits in topological order."""

    def __init__(
        self,
        children: dict[str, int],
        load_state: Callable[[str], State],
    ) -> None:
        """Prepare a pass over commits to process.

        Args:
            children: for each commit, how many of the commits to process list it as
                a parent (states are dropped when no child needs them any more).
            load_state: the state of an already indexed commit.

        """
        self._held = _HeldStates(children, load_state)

    def state(self, sha: str) -> State | None:
        """The state of a processed commit, if it is still held."""
        return self._held.states.get(sha)

    def commit(
        self,
        sha: str,
        parents: tuple[str, ...],
        changes: Sequence[RawChange],
        sources: Sequence[FileSource] | None,
    ) -> tuple[list[tuple[RawChange, str]], list[StoredSource] | None]:
        """Assign lineages to one commit's changes and record its state.

        Returns:
            The changes with their lineage ids, and (for a merge) its file origins
            with lineages, as stored for later replays.

        """
        first = self._held.parent(parents[0], take=True) if parents else None
        state: State = first if first is not None else {}
        others = [self._held.parent(p, take=False) for p in parents[1:]]
        parent_states: list[State | None] = [state if parents else None, *others]
        stored_sources: list[StoredSource] | None = None
        if sources is not None:
            stored_sources = []
            for source in sources:
                lineages: tuple[tuple[str, str], ...] = ()
                if source.parent == -1:
                    pairs = []
                    for qualname in source.qualnames:
                        found = next(
                            (
                                s[source.path][qualname]
                                for s in parent_states
                                if s is not None and qualname in s.get(source.path, {})
                            ),
                            None,
                        )
                        pairs.append((qualname, found or lineage_id(sha, source.path, qualname)))
                    lineages = tuple(pairs)
                stored_sources.append(StoredSource(source.path, source.parent, lineages))
        with_lineage: list[tuple[RawChange, str]] = []
        own = {s.path: dict(s.lineages) for s in stored_sources or () if s.parent == -1}
        for change in changes:
            if change.kind is ChangeKind.ADDED:
                lineage = lineage_id(sha, change.path, change.qualname)
            else:
                assert change.old_path is not None
                assert change.old_qualname is not None
                lineage = (
                    state.get(change.old_path, {}).get(change.old_qualname)
                    or own.get(change.old_path, {}).get(change.old_qualname)
                    or lineage_id(sha, change.old_path, change.old_qualname)
                )
            with_lineage.append((change, lineage))
        apply(state, with_lineage, stored_sources, parent_states)
        self._held.states[sha] = state
        return with_lineage, stored_sources

    def release(self, sha: str) -> State | None:
        """Stop holding a commit's state (when nothing more will read it)."""
        return self._held.states.pop(sha, None)


class _StoredChange(NamedTuple):
    path: str
    qualname: str
    old_path: str | None
    old_qualname: str | None
    kind: ChangeKind


def replay(
    rows: Iterable[tuple[str, tuple[str, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]],
    target: str,
    load: Callable[[str], State | None] | None = None,
) -> State:
    """Rebuild the lineage state of ``target`` from stored rows of its ancestors.

    Args:
        rows: for each ancestor of ``target`` and ``target`` itself, in topological
            order: sha, parents, change rows ``(path, qualname, old_path,
            old_qualname, kind, lineage)`` and merge-source rows ``(path, parent,
            qualname, lineage)``.
        target: the commit whose state is wanted.
        load: the state of a parent that is not among ``rows`` (default: none, as
            for a parent outside the stored history, shallow or removed).

    """
    return replay_states(rows, (target,), load).get(target, {})


def replay_states(
    rows: Iterable[tuple[str, tuple[str, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]],
    targets: Iterable[str],
    load: Callable[[str], State | None] | None = None,
) -> dict[str, State]:
    """:func:`replay` for several targets at once (rows of all their ancestors, once)."""
    rows = list(rows)
    children: dict[str, int] = {}
    for _, parents, _, _ in rows:
        for parent in parents:
            children[parent] = children.get(parent, 0) + 1
    wanted = set(targets)
    for sha in wanted:  # held to the end
        children[sha] = children.get(sha, 0) + 1
    held = _HeldStates(children, load or (lambda _: None))
    for sha, parents, change_rows, source_rows in rows:
        first = held.parent(parents[0], take=True) if parents else None
        state: State = first if first is not None else {}
        others = [held.parent(p, take=False) for p in parents[1:]]
        apply(state, _stored_changes(change_rows), _stored_sources(source_rows), [state, *others])
        held.states[sha] = state
    return {sha: held.states[sha] for sha in wanted if sha in held.states}


def replay_touching(
    rows: Iterable[tuple[str, tuple[str, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]],
    parents: Mapping[str, tuple[str, ...]],
    target: str,
) -> State:
    """The lineage state of ``target`` for some paths, from the rows that touch them.

    A commit without rows for those paths has its first parent's states of them, so
    only the commits with rows are replayed, each on the state of the nearest one down
    its first-parent chain (``{}`` past the start of the stored history).

    Args:
        rows: as :func:`replay` reads them, of just the commits with rows for the
            paths (changes to, from or in them; merge sources of them), in
            topological order; rows for other paths are ignored by the caller.
        parents: the parents of every stored commit.
        target: the commit whose state is wanted.

    """
    touching = {sha: (commit_parents, c, s) for sha, commit_parents, c, s in rows}
    order = {sha: i for i, sha in enumerate(touching)}
    nearest: dict[str, str | None] = {}

    def near(sha: str) -> str | None:
        """The first commit with rows down ``sha``'s first-parent chain (``sha`` itself)."""
        walked = []
        current: str | None = sha
        while current is not None and current not in touching and current not in nearest:
            walked.append(current)
            first = parents.get(current)
            current = first[0] if first else None
        found = current if current is None or current in touching else nearest[current]
        for sha_walked in walked:
            nearest[sha_walked] = found
        return found

    needed: set[str] = set()
    start = near(target)
    stack = [start] if start is not None else []
    while stack:
        sha = stack.pop()
        if sha in needed:
            continue
        needed.add(sha)
        for parent in touching[sha][0]:
            found = near(parent)
            if found is not None:
                stack.append(found)

    states: dict[str, State] = {}

    def state_of(parent: str) -> State | None:
        if parent not in parents:
            return None  # outside the stored history
        found = near(parent)
        return states[found] if found is not None else {}

    for sha in sorted(needed, key=order.__getitem__):
        commit_parents, change_rows, source_rows = touching[sha]
        first = state_of(commit_parents[0]) if commit_parents else None
        state: State = dict(first) if first is not None else {}
        others = [state_of(p) for p in commit_parents[1:]]
        apply(state, _stored_changes(change_rows), _stored_sources(source_rows), [state, *others])
        states[sha] = state
    return states[start] if start is not None else {}


def _stored_sources(source_rows: list[tuple[Any, ...]]) -> list[StoredSource] | None:
    if not source_rows:
        return None
    grouped: dict[str, tuple[int | None, list[tuple[str, str]]]] = {}
    for path, parent, qualname, lineage in source_rows:
        entry = grouped.setdefault(path, (parent, []))
        if qualname is not None:
            entry[1].append((qualname, lineage))
    return [StoredSource(p, par, tuple(pairs)) for p, (par, pairs) in grouped.items()]


def _stored_changes(change_rows: list[tuple[Any, ...]]) -> list[tuple[RawChange, str]]:
    return [
        (_StoredChange(path, qualname, old_path, old_qualname, ChangeKind(kind)), lineage)  # type: ignore[misc]
        for path, qualname, old_path, old_qualname, kind, lineage in change_rows
    ]
