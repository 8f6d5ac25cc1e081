"""Lineage states of indexed commits, worked out from the one the index stores.

The index stores one whole state: its head's (or, during a long run, a checkpoint's).
Any other commit's is worked out from it: down the head's first-parent chain it is the
head's state for every file no commit in between changed; the files that did change,
and commits elsewhere, are replayed from stored rows, just the commits that touched the
files asked for when only some are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from loopintel.history.lineage import State, replay, replay_states, replay_touching

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator

    from loopintel.store import Store

__all__ = ["CHAIN_LIMIT", "LAZY_PARENTS", "StateLoader", "state_loader"]


CHAIN_LIMIT = 2000
"""How far down the head's first-parent chain a state is looked for before it is
replayed from the start of the history instead."""


class StateLoader:
    """Lineage states of indexed commits: the stored head's, or worked out from it.

    A commit of the stored head's first-parent chain (not too far down) has the head's
    state for every path no commit in between changed; only the others are replayed
    from stored rows. Any other commit is replayed from the start of the history.
    """

    def __init__(
        self,
        store: Store,
        paths: Callable[[], set[str]] | None = None,
        whole: Collection[str] = (),
    ) -> None:
        """Load states from ``store``.

        Args:
            store: the index.
            paths: when given, the only paths whose states the caller reads (called
                once, on the first state that has to be worked out); states of other
                commits than the stored head then hold just those paths, which bounds
                a replay to those paths' rows.
            whole: commits whose states are wanted whole all the same.

        """
        self._store = store
        self._paths = paths
        self._wanted: set[str] | None = None
        self._whole = whole
        self._cache: dict[str, State] = {}
        self._head: tuple[str | None, State] | None = None
        self._head_seq: int | None = None
        self._after: dict[str, tuple[int, tuple[str, ...]]] | None = None

    def stored_head(self) -> tuple[str | None, State]:
        """The commit whose state is stored, and that state, as first read.

        The head's (or a checkpoint of a long run's), read before a rewrite drops it.
        """
        if self._head is None:
            self._head = self._store.tip_state()
            self._head_seq = self._store.tip_seq() if self._head[0] is not None else None
        return self._head

    def __call__(self, sha: str) -> State:
        """The state of an indexed commit (a copy the caller may change)."""
        if sha not in self._cache:
            head, state = self.stored_head()
            if head is None or sha != head:
                keep = None
                if self._paths is not None and sha not in self._whole:
                    if self._wanted is None:
                        self._wanted = self._paths()
                    keep = self._wanted
                later = self._later(sha)
                if later is not None:
                    state = self._forward(sha, later)
                    if keep is not None:
                        state = {p: state[p] for p in keep if p in state}
                else:
                    state = _state_from_head(self._store, head, state, sha, keep)
            self._cache[sha] = state
        return dict(self._cache[sha])

    def prefetch(self, shas: Iterable[str]) -> None:
        """Work out the whole states of many commits at once (what a large run builds on).

        Those stored after the stored state's commit come from one replay forward from
        it; the others (and what that replay builds on) from one replay of their
        history, instead of one each.
        """
        head, _ = self.stored_head()
        wanted = {sha for sha in shas if sha != head and sha not in self._cache}
        if not wanted or self._paths is not None:
            return
        after = self._stored_after()
        later = {sha for sha in wanted if sha in after}
        ancestors: set[str] = set()
        stack = list(later)
        while stack:
            current = stack.pop()
            if current not in ancestors and current in after:
                ancestors.add(current)
                stack.extend(after[current][1])
        outside = {p for sha in ancestors for p in after[sha][1] if p not in ancestors}
        earlier = (wanted - later) | {p for p in outside if p != head}
        earlier = {sha for sha in earlier if sha not in self._cache}
        found = self._store.stored(earlier)
        if found:
            parents = self._store.parents()
            history: set[str] = set()
            stack = list(found)
            while stack:
                current = stack.pop()
                if current not in history and current in parents:
                    history.add(current)
                    stack.extend(parents[current])
            self._cache.update(replay_states(self._store.replay_rows(history), found))
        if later:

            def load(parent: str) -> State | None:
                return self(parent) if self._store.stored([parent]) else None

            states = replay_states(self._store.replay_rows(ancestors), later, load)
            self._cache.update(states)

    def _stored_after(self) -> dict[str, tuple[int, tuple[str, ...]]]:
        """Commits stored after the stored state's (after an interrupted run)."""
        if self._after is None:
            seq = self._head_seq
            self._after = {} if seq is None else self._store.parents_after(seq)
        return self._after

    def _later(self, sha: str) -> dict[str, tuple[int, tuple[str, ...]]] | None:
        """Commits stored after the stored state's, if ``sha`` is one of them."""
        after = self._stored_after()
        return after if sha in after else None

    def _forward(self, sha: str, later: dict[str, tuple[int, tuple[str, ...]]]) -> State:
        """The state of a commit stored after the stored state's (after an interrupted run).

        Its ancestors stored since are replayed, on the states of the commits they
        build on (the stored state's commit, mostly).
        """
        ancestors: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current in ancestors or current not in later:
                continue
            ancestors.add(current)
            stack.extend(later[current][1])
        whole = self if self._paths is None else StateLoader(self._store)

        def load(parent: str) -> State | None:
            return whole(parent) if self._store.stored([parent]) else None

        return replay(self._store.replay_rows(ancestors), sha, load)


def state_loader(store: Store) -> StateLoader:
    """Whole lineage states of indexed commits (see :class:`StateLoader`)."""
    return StateLoader(store)


def _state_from_head(
    store: Store, head: str | None, head_state: State, sha: str, keep: set[str] | None
) -> State:
    """The state of ``sha`` (just the paths in ``keep``, when given)."""
    between = _chain_to(store, head, sha) if head is not None else None
    if between is None:
        return _replayed(store, sha, keep)
    touched = store.touched_paths(between)
    names = set(head_state) if keep is None else keep
    state = {p: head_state[p] for p in names - touched if p in head_state}
    replay_paths = touched if keep is None else touched & keep
    if replay_paths:
        state.update(_replayed(store, sha, replay_paths))
    return state


def _chain_to(store: Store, head: str, sha: str) -> list[str] | None:
    """The commits of ``head``'s stored first-parent chain above ``sha``, head first.

    ``None`` when ``sha`` is not on the chain within :data:`CHAIN_LIMIT` commits (or
    ``head`` is not stored).
    """
    chain: list[str] = []
    current = head
    for _ in range(CHAIN_LIMIT):
        found = store.stored([current]).get(current)
        if found is None:
            return None
        chain.append(current)
        parents = found[1]
        if not parents:
            return None
        current = parents[0]
        if current == sha:
            return chain
    return None


LAZY_PARENTS = 2000
"""Parents looked up one by one before those of every stored commit are read at once."""


class _StoredParents(Mapping[str, tuple[str, ...]]):
    """The parents of stored commits, read as they are asked for.

    A replay of a few paths asks for a few (down the chains to the commits that
    touched them); past :data:`LAZY_PARENTS`, every commit's are read in one query.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._known: dict[str, tuple[str, ...] | None] = {}
        self._all: dict[str, tuple[str, ...]] | None = None

    def _find(self, sha: str) -> tuple[str, ...] | None:
        if self._all is not None:
            return self._all.get(sha)
        if sha not in self._known:
            if len(self._known) >= LAZY_PARENTS:
                self._all = self._store.parents()
                return self._all.get(sha)
            found = self._store.stored([sha]).get(sha)
            self._known[sha] = None if found is None else found[1]
        return self._known[sha]

    def __getitem__(self, sha: str) -> tuple[str, ...]:
        found = self._find(sha)
        if found is None:
            raise KeyError(sha)
        return found

    def __contains__(self, sha: object) -> bool:
        return isinstance(sha, str) and self._find(sha) is not None

    def __iter__(self) -> Iterator[str]:
        if self._all is None:
            self._all = self._store.parents()
        return iter(self._all)

    def __len__(self) -> int:
        return self._store.count("commits")


def _replayed(store: Store, sha: str, paths: set[str] | None) -> State:
    """The state of ``sha`` replayed from the start of the stored history.

    With ``paths``, only the commits that touch them are replayed.
    """
    if paths is not None:
        state = replay_touching(store.rows_touching(paths), _StoredParents(store), sha)
        return {p: state[p] for p in paths if p in state}
    parents = store.parents()
    ancestors = set()
    stack = [sha]
    while stack:
        current = stack.pop()
        if current in ancestors or current not in parents:
            continue
        ancestors.add(current)
        stack.extend(parents[current])
    return replay(store.replay_rows(ancestors), sha)
