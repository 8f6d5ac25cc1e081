"""Indexing: bring a repository's index up to date with a ref.

Walk once, skip what is indexed, drop what a history rewrite made unreachable,
extract the rest in worker processes over commit chunks, assign lineages in one
sequential pass, and write each chunk in one transaction.

A repository may lack objects (a partial clone, an interrupted fetch, damage): file
versions whose blobs are missing are recorded as skipped (``missing object <sha>``)
and one :class:`MissingObjectsWarning` says how many. When such objects are present
again (fetched by ``fetch_missing``, or by git meanwhile), the commits from the first
one that skipped them are indexed again, so the index ends as a full clone's would.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import heapq
import multiprocessing
import multiprocessing.queues
import os
import pickle
import queue
import time
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from loopintel.history.extract import (
    CommitResult,
    ExtractOptions,
    Extractor,
    count_into,
    extract_chunk,
    extract_range,
    missing_object,
    rare_collections,
)
from loopintel.history.lineage import (
    LineagePass,
    State,
    lineage_id,
    replay,
    replay_states,
    replay_touching,
)
from loopintel.history.promisor import fetch_blobs
from loopintel.languages import python
from loopintel.model import IndexProgress, IndexSummary

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence

    from loopintel.history.git import GitRepository
    from loopintel.store import Store

__all__ = [
    "IndexOptions",
    "IndexingInterrupted",
    "MissingObjectsWarning",
    "ShallowCloneWarning",
    "StateLoader",
    "index_repository",
    "state_loader",
]

PARALLEL_THRESHOLD = 400
"""Fewer new commits than this are extracted in-process (workers cost a start-up)."""
CHUNK_COMMITS = 250
"""Commits per transaction (and per progress step) when extracting in-process."""
MIN_STEAL = 120
"""A range with fewer commits left than this is not split for an idle worker (a chunk
that starts cold costs about as much as fifty commits)."""


class ShallowCloneWarning(UserWarning):
    """The repository is a shallow clone: history before its boundary is absent."""


class IndexingInterrupted(KeyboardInterrupt):
    """Indexing was interrupted (Ctrl-C); what it had done is in the index.

    Commits are stored as they are extracted, in history order; what workers had
    extracted ahead of that order is kept aside in the index too. The next run carries
    on from there.
    """

    def __init__(self, stored: int, kept: int, total: int) -> None:
        super().__init__(stored, kept, total)
        self.stored = stored
        """New commits stored by the interrupted run."""
        self.kept = kept
        """Further commits extracted and kept for the next run."""
        self.total = total
        """New commits the run had to index."""

    def __str__(self) -> str:
        return (
            f"interrupted: {self.stored:,} of {self.total:,} new commits stored"
            + (f", {self.kept:,} more extracted and kept" if self.kept else "")
            + "; the next run carries on from there"
        )


class MissingObjectsWarning(UserWarning):
    """Objects of the repository are missing: the file versions made of them are skipped.

    Given once per indexing run while the index holds such skips; the message says how
    many objects, and whether the repository is a partial clone (whose promisor remote
    has them: ``fetch_missing=True``, ``loopintel index --fetch-missing``).
    """


@attrs.frozen(kw_only=True)
class IndexOptions:
    """How to index."""

    ref: str = "HEAD"
    """The ref whose history is indexed."""
    first_parent: bool = False
    """Walk only first parents; a merge is then compared with its first parent."""
    max_file_bytes: int = python.MAX_FILE_BYTES
    """File versions larger than this are recorded as skipped."""
    workers: int | None = None
    """Worker processes for a large run (default: one per core)."""
    fetch_missing: bool = False
    """First fetch the blobs a partial clone lacks from its promisor remote (with git)."""

    def fingerprint(self) -> str:
        """The options that shape stored results (a change rebuilds the index)."""
        return f"first_parent={int(self.first_parent)};max_file_bytes={self.max_file_bytes}"


def _chunks(
    todo: Sequence[tuple[str, tuple[str, ...]]], count: int
) -> list[list[tuple[str, tuple[str, ...]]]]:
    if not todo:
        return []
    size = max(1, -(-len(todo) // max(1, count)))
    return [list(todo[i : i + size]) for i in range(0, len(todo), size)]


def _guided_chunks(
    todo: Sequence[tuple[str, tuple[str, ...]]], workers: int
) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Few, long chunks first, then shorter ones that even out the finish.

    A worker re-parses each file whole at the start of a chunk, so chunks are long;
    commits differ in cost, so the last quarter of the history is cut finer and
    handed to whichever worker is free.
    """
    head = len(todo) * 3 // 4
    first = _chunks(todo[:head], workers * max(1, len(todo) // 8000))
    return first + _chunks(todo[head:], 2 * workers)


def _extract(
    git: GitRepository,
    todo: Sequence[tuple[str, tuple[str, ...]]],
    options: IndexOptions,
    executor: concurrent.futures.Executor | None,
    head: str | None,
    tick: Callable[[int], None] | None = None,
    idle: Callable[[], None] | None = None,
    keep: Callable[[list[CommitResult]], None] | None = None,
    kept: Callable[[list[str]], list[CommitResult]] | None = None,
) -> Generator[list[CommitResult]]:
    """Chunks of extracted commits, in topological order.

    ``tick`` hears how many commits the workers of an owned pool have extracted, while
    the next chunk is awaited; ``idle`` is run once while workers extract the first
    chunks (work of the caller's that would otherwise wait for the end). ``keep`` and
    ``kept`` store aside and read back what an owned pool extracts ahead of its turn
    (see :func:`_extract_shared`).
    """
    extract_options = ExtractOptions(options.first_parent, options.max_file_bytes, head)
    workers = options.workers or os.cpu_count() or 1
    if executor is None and (workers <= 1 or len(todo) < PARALLEL_THRESHOLD):
        extractor = Extractor(git, extract_options)
        for chunk in _chunks(todo, -(-len(todo) // CHUNK_COMMITS)):
            yield [extractor.commit(sha, parents) for sha, parents in chunk]
        return
    if executor is None:
        assert keep is not None
        assert kept is not None
        yield from _extract_shared(git, todo, extract_options, workers, tick, idle, keep, kept)
        return
    futures: list[concurrent.futures.Future[list[CommitResult]]] = []
    try:
        chunks = _guided_chunks(todo, workers)
        futures = [executor.submit(extract_chunk, git.git_dir, extract_options, c) for c in chunks]
        if idle is not None:
            idle()
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


def _extract_shared(
    git: GitRepository,
    todo: Sequence[tuple[str, tuple[str, ...]]],
    extract_options: ExtractOptions,
    workers: int,
    tick: Callable[[int], None] | None,
    idle: Callable[[], None] | None,
    keep: Callable[[list[CommitResult]], None],
    kept: Callable[[list[str]], list[CommitResult]],
) -> Iterator[list[CommitResult]]:
    """Extract on a local process pool, each worker on a long contiguous range.

    Each worker starts on an equal share of the history, in order, with its caches
    warm from one commit to the next. When one runs dry, the second half of what is
    left of the largest range still running is handed to it: no worker idles while
    much is left, and a chunk starts cold only that often. Workers hand their results
    over in batches as they go; batches come out in topological order, and a batch
    that arrives before the ones before it is handed to ``keep`` (which stores it
    aside, so that an interruption loses nothing extracted) and read back with ``kept``
    when its turn comes. Interrupted, the workers stop after the commit at hand and
    what they hand over in the next moments is kept too.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    counter = context.Value("q", 0)
    # (next commit, end) of each range task, shared with the workers.
    ranges = context.Array("q", 4 * workers)
    results: multiprocessing.queues.Queue[tuple[int, list[CommitResult]]] = context.Queue()
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=count_into,
        initargs=(counter, ranges, results),
    )
    running: dict[concurrent.futures.Future[int], int] = {}
    early: dict[int, list[str]] = {}  # batches kept aside: first position -> shas
    free = list(range(2 * workers))  # a slot is reused once its task is done

    def start(begin: int, end: int) -> None:
        slot = free.pop()
        with ranges.get_lock():
            ranges[2 * slot], ranges[2 * slot + 1] = begin, end
        future = pool.submit(
            extract_range, git.git_dir, extract_options, slot, begin, todo[begin:end]
        )
        running[future] = slot

    def steal() -> bool:
        """Give an idle worker the back half of the largest range still running."""
        best = None
        with ranges.get_lock():
            for slot in running.values():
                left = ranges[2 * slot + 1] - ranges[2 * slot]
                if left >= MIN_STEAL and (best is None or left > best[1]):
                    best = (slot, left)
            if best is None:
                return False
            slot = best[0]
            end = ranges[2 * slot + 1]
            middle = ranges[2 * slot] + best[1] // 2
            ranges[2 * slot + 1] = middle
        start(middle, end)
        return True

    def receive(timeout: float) -> tuple[int, list[CommitResult]] | None:
        try:
            return results.get(timeout=timeout)
        except queue.Empty:
            return None

    cursor = 0
    try:
        share = -(-len(todo) // workers)
        for begin in range(0, len(todo), share):
            start(begin, min(len(todo), begin + share))
        if idle is not None:
            idle()
        while cursor < len(todo):
            got = receive(0.25)
            if got is not None:
                first, batch = got
                if first == cursor:
                    cursor += len(batch)
                    yield batch
                else:
                    keep(batch)
                    early[first] = [r.meta.sha for r in batch]
            while cursor in early:
                shas = early.pop(cursor)
                cursor += len(shas)
                yield kept(shas)
            if tick is not None:
                tick(counter.value)
            for future in [f for f in running if f.done()]:
                future.result()  # a worker's error stops the run here
                free.append(running.pop(future))
            while len(running) < workers and steal():
                pass
            if not running and got is None and cursor < len(todo) and results.empty():
                # Every task is done and everything handed over has been read.
                got = receive(1.0)
                if got is None:
                    raise RuntimeError("a worker's results were lost")
                results.put(got)
    finally:
        if cursor < len(todo):
            _stop_and_keep(ranges, running, receive, keep)
        pool.shutdown(cancel_futures=True)


def _stop_and_keep(
    ranges: Any,
    running: dict[concurrent.futures.Future[int], int],
    receive: Callable[[float], tuple[int, list[CommitResult]] | None],
    keep: Callable[[list[CommitResult]], None],
) -> None:
    """Stop every range after the commit at hand, and keep what the workers hand over."""
    with ranges.get_lock():
        for slot in running.values():
            ranges[2 * slot + 1] = ranges[2 * slot]
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        got = receive(0.1)
        if got is not None:
            keep(got[1])
        elif all(future.done() for future in running):
            break


CHECKPOINT_SECONDS = 60.0
"""A long run stores the lineage state of its latest commit this often."""
STOP_SECONDS = 3.0
"""How long an interrupted run waits for the workers' last results before it exits."""


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


def index_repository(
    git: GitRepository,
    store: Store,
    options: IndexOptions,
    *,
    executor: concurrent.futures.Executor | None = None,
    progress: Callable[[IndexProgress], None] | None = None,
) -> IndexSummary:
    """Bring the index up to date with ``options.ref``.

    Raises:
        UnknownRef: the ref names no commit.
        MissingObject: a commit or tree of the history is missing (file versions
            whose blobs are missing are skipped instead).
        RepositoryError: ``options.fetch_missing`` could not fetch (git is not
            installed, or the fetch failed).

    """
    with rare_collections():
        summary = _index_repository(git, store, options, executor=executor, progress=progress)
    _warn_missing(git, store, summary.head, fetch_missing=options.fetch_missing)
    return summary


def _missing_skips(store: Store) -> Iterator[tuple[str, int, str]]:
    """(commit, sequence number, missing object) of stored skips made by a missing object."""
    for sha, seq, reason in store.missing_skips():
        oid = missing_object(reason)
        if oid is not None:
            yield sha, seq, oid


def _warn_missing(
    git: GitRepository, store: Store, head: str | None, *, fetch_missing: bool
) -> None:
    """One warning if the index holds versions skipped for missing objects."""
    versions = 0
    objects: set[str] = set()
    for _, _, oid in _missing_skips(store):
        versions += 1
        objects.add(oid)
    mailmap = git.blob_at(head, ".mailmap") if head is not None else None
    mailmap_missing = mailmap is not None and not git.has(mailmap)
    if not objects and not mailmap_missing:
        return
    parts = []
    if objects:
        parts.append(
            f"{versions:,} file version{'' if versions == 1 else 's'} skipped because "
            f"{len(objects):,} object{' is' if len(objects) == 1 else 's are'} missing "
            "(see `loopintel skipped`)"
        )
    if mailmap_missing:
        parts.append("its .mailmap is missing, so people are named as the commits name them")
    what = "; ".join(parts)
    remote = git.promisor_remote
    if remote is not None:
        message = (
            f"{git.git_dir} is a partial clone (promisor remote {remote!r}): {what}; "
            "fetch them with `loopintel index --fetch-missing` (fetch_missing=True)"
        )
    else:
        message = (
            f"{git.git_dir} is incomplete or damaged (`git fsck` lists what is broken): {what}"
        )
        if fetch_missing:
            message += "; it is no partial clone, so there is no promisor remote to fetch from"
    warnings.warn(message, MissingObjectsWarning, stacklevel=4)


def _fetch_missing(
    git: GitRepository,
    store: Store,
    head: str,
    walk: Sequence[tuple[str, tuple[str, ...]]],
) -> None:
    """Fetch what indexing will read and the repository lacks, from its promisor remote.

    The blobs are those of the commits to index (new ones, and stored ones from the
    first that skipped a missing object: they are indexed again), the head's
    ``.mailmap`` and ``pyproject.toml``. A repository without a promisor remote has
    nothing to fetch from (the warning says so).

    Raises:
        RepositoryError: git is not installed, or the fetch failed.

    """
    stored: dict[str, int] = {}
    for _, seq, oid in _missing_skips(store):
        stored.setdefault(oid, seq)
    first = min(stored.values(), default=None)
    indexed = store.indexed()
    commits = [
        (sha, parents)
        for sha, parents in walk
        if sha not in indexed or (first is not None and indexed[sha] >= first)
    ]
    needed = git.needed_blobs(commits) | set(stored)
    for path in (".mailmap", "pyproject.toml"):
        blob = git.blob_at(head, path)
        if blob is not None:
            needed.add(blob)
    missing = sorted(oid for oid in needed if not git.has(oid))
    remote = git.promisor_remote
    if missing and remote is not None:
        fetch_blobs(git.git_dir, remote, missing)


def _recovered(git: GitRepository, store: Store) -> set[str]:
    """Stored commits to index again: from the first that skipped an object now present."""
    checked: set[str] = set()
    for _, seq, oid in _missing_skips(store):
        if oid in checked:
            continue
        checked.add(oid)
        if git.has(oid):
            return store.shas_from(seq)
    return set()


Walk = list[tuple[str, tuple[str, ...]]]
"""Commits with their parents, parents first."""


def _since(
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
    return todo, _dropped(store, old, keep)


def _since_first_parent(
    git: GitRepository, store: Store, old: str, head: str
) -> tuple[Walk, list[str]]:
    """:func:`_since` in first-parent mode: down ``head``'s chain to a stored commit.

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
    return todo, _dropped(store, old, keep)


def _dropped(store: Store, old: str, keep: set[str]) -> list[str]:
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


def _changed_paths(git: GitRepository, todo: Walk) -> set[str]:
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


def _chain_base(todo: Walk, head: str) -> str | None:
    """The first commit down ``head``'s first-parent chain that is not in ``todo``."""
    parents = dict(todo)
    current: str | None = head
    while current is not None and current in parents:
        first = parents[current]
        current = first[0] if first else None
    return current


def _bases(todo: Walk, head: str) -> set[str]:
    """The stored commits indexing ``todo`` builds on (``head`` itself when none is new)."""
    if not todo:
        return {head}
    new = {sha for sha, _ in todo}
    return {p for _, parents in todo for p in parents if p not in new}


def _loader(git: GitRepository, store: Store, todo: Walk, head: str) -> StateLoader:
    """States of the stored commits that indexing ``todo`` up to ``head`` builds on.

    For a few new commits, those that only lend some paths (the other parents of a
    merge, the start of a merged branch) are worked out for those paths only; what the
    head's state is built on is worked out whole.
    """
    base = _chain_base(todo, head)
    if 0 < len(todo) < PARALLEL_THRESHOLD:
        return StateLoader(
            store, lambda: _changed_paths(git, todo), () if base is None else (base,)
        )
    return StateLoader(store)


def _index_repository(
    git: GitRepository,
    store: Store,
    options: IndexOptions,
    *,
    executor: concurrent.futures.Executor | None,
    progress: Callable[[IndexProgress], None] | None,
) -> IndexSummary:
    started = time.perf_counter()
    head = git.resolve(options.ref)
    shallow = git.is_shallow
    if shallow:
        warnings.warn(
            f"{git.git_dir} is a shallow clone: history before its boundary is not indexed",
            ShallowCloneWarning,
            stacklevel=4,
        )
    fingerprint = options.fingerprint()
    removed = 0
    if store.meta("options") not in (None, fingerprint):
        with store.transaction():
            removed = store.count("commits")
            store.clear()
    complete = store.complete_head()
    planned = None
    if complete is not None and head is not None and not options.fetch_missing:
        planned = _since(git, store, complete, head, first_parent=options.first_parent)
    walk: Walk | None = None
    todo: Walk | None = None
    if planned is None:
        walk = git.walk(head, first_parent=options.first_parent) if head is not None else []
        reachable = {sha for sha, _ in walk}
        gone = [sha for sha in store.indexed() if sha not in reachable]
    else:
        todo, gone = planned
    loader = None
    if gone:
        if todo is not None and head is not None:
            # What the new commits (or, for a rewind, the head) build on is worked out
            # from the stored head's state, before that goes.
            loader = _loader(git, store, todo, head)
            loader.stored_head()
            for sha in _bases(todo, head):
                loader(sha)
        with store.transaction():
            removed += store.remove(gone)
    if options.fetch_missing and head is not None:
        assert walk is not None
        _fetch_missing(git, store, head, walk)
    redo = _recovered(git, store)
    if redo:
        # Versions skipped for missing objects can be read now: what follows them
        # depended on them (lineages, comparisons), so all of it is indexed again.
        with store.transaction():
            store.remove(redo)
        loader = None
        todo = None
        if walk is None:
            assert head is not None
            walk = git.walk(head, first_parent=options.first_parent)
    if todo is None:
        assert walk is not None
        indexed = store.indexed()
        todo = [(sha, parents) for sha, parents in walk if sha not in indexed]
    mailmap = (git.blob_at(head, ".mailmap") or "") if head is not None else ""
    if mailmap and not git.has(mailmap):
        # Not readable: a later run that can read it maps the stored identities then.
        mailmap = f"missing {mailmap}"
    if store.meta("mailmap") not in (None, mailmap) and head is not None:
        # The history's .mailmap changed: identities already stored follow it.
        git.use_mailmap_of(head)
        with store.transaction():
            store.remap_people(git.resolve_person)
            store.set_meta("mailmap", mailmap)
    if progress is not None:
        progress(IndexProgress(0, len(todo), "extract"))
    changes = skipped = done = 0
    children: dict[str, int] = {}
    for _, parents in todo:
        for parent in parents:
            children[parent] = children.get(parent, 0) + 1
    if loader is None and head is not None:
        loader = _loader(git, store, todo, head)
        if len(todo) >= PARALLEL_THRESHOLD:
            loader.prefetch(_bases(todo, head))
    lineage = LineagePass(children, loader or state_loader(store))
    seq = store.next_seq()
    extracted = 0

    def tick(count: int) -> None:
        nonlocal extracted
        if progress is not None and count > extracted:
            extracted = count
            progress(IndexProgress(count, len(todo), "extract"))

    prepared: _HeadSpans | None = None

    def prepare() -> None:
        nonlocal prepared
        if head is not None:
            prepared = _head_spans(git, store, head, options)

    key = f"{fingerprint};mailmap={hashlib.sha1(mailmap.encode()).hexdigest()}"  # noqa: S324
    wanted = {sha for sha, _ in todo}
    before = store.staged(key) & wanted
    with store.transaction():
        store.unstage(sorted(before), keep=key)  # another history's, or other options'
    staging = bool(before)

    def keep(results: list[CommitResult]) -> None:
        nonlocal staging
        with store.transaction():
            store.stage(key, [(r.meta.sha, pickle.dumps(r, protocol=5)) for r in results])
        staging = True

    def kept(shas: list[str]) -> list[CommitResult]:
        data = store.staged_results(shas)
        return [pickle.loads(data[sha]) for sha in shas]  # noqa: S301 - written by this run or the last

    checkpoint = time.monotonic()
    checkpointed = False
    fresh = [item for item in todo if item[0] not in before]
    stream = _extract(git, fresh, options, executor, head, tick, prepare, keep, kept)
    try:
        with contextlib.closing(stream):
            for results in _in_history_order(todo, before, stream, kept):
                batch = []
                copies = _Copies(git, store)
                for result in results:
                    with_lineage, sources = lineage.commit(
                        result.meta.sha, result.meta.parents, result.changes, result.sources
                    )
                    copy = copies.of(result) if with_lineage else None
                    batch.append(
                        (
                            seq,
                            result.meta,
                            with_lineage,
                            result.skips,
                            sources,
                            result.patch_id,
                            copy,
                        )
                    )
                    seq += 1
                    changes += len(with_lineage)
                    skipped += len(result.skips)
                last = results[-1].meta.sha if results else None
                state = lineage.state(last) if last is not None else None
                with store.transaction():
                    store.add_commits(batch)
                    if staging:
                        store.unstage([r.meta.sha for r in results])
                    if state is not None and time.monotonic() > checkpoint + CHECKPOINT_SECONDS:
                        # An interrupted run's successor replays only what follows.
                        assert last is not None
                        store.save_state(last, state)
                        checkpoint = time.monotonic()
                        checkpointed = True
                done += len(results)
                if progress is not None and done > extracted:
                    extracted = done
                    progress(IndexProgress(done, len(todo), "extract"))
    except KeyboardInterrupt as exc:
        raise IndexingInterrupted(done, len(store.staged(key) & wanted), len(todo)) from exc
    with store.transaction():
        store.set_meta("options", fingerprint)
        store.set_meta("ref", options.ref)
        store.set_meta("mailmap", mailmap)
        if head is None:
            store.save_head("", {}, {}, ())
        elif todo or gone or store.meta("head") != head:
            state = lineage.release(head) if todo else None
            if state is None:
                state = (loader or state_loader(store))(head)
            if (
                prepared is not None
                or loader is None
                or checkpointed  # the stored state is no longer the stored head's
                or not _update_head(git, store, head, state, loader.stored_head(), options)
            ):
                _save_head(git, store, head, state, options, prepared)
        store.set_complete_head(head or "")
    return IndexSummary(
        head=head,
        commits_indexed=len(todo),
        commits_total=store.count("commits"),
        commits_removed=removed,
        changes=changes,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        shallow=shallow,
    )


class _Copies:
    """Which commits of a batch copy an earlier one.

    A copy has the same Python patch as an earlier commit on another branch (a
    cherry-pick); the same patch again later on the same line of history (re-applied
    after a revert) is no copy.
    """

    def __init__(self, git: GitRepository, store: Store) -> None:
        self._git = git
        self._store = store
        self._batch: dict[str, list[str]] = {}

    def of(self, result: CommitResult) -> str | None:
        """The earlier commit ``result`` copies, if any (its patch id is remembered)."""
        patch, sha = result.patch_id, result.meta.sha
        if patch is None:
            return None
        earlier = [*self._store.commits_with_patch(patch), *self._batch.get(patch, ())]
        self._batch.setdefault(patch, []).append(sha)
        return next((e for e in earlier if not self._git.is_ancestor(e, sha)), None)


def _in_history_order(
    todo: Sequence[tuple[str, tuple[str, ...]]],
    before: set[str],
    stream: Iterator[list[CommitResult]],
    kept: Callable[[list[str]], list[CommitResult]],
) -> Iterator[list[CommitResult]]:
    """Every commit of ``todo`` in order.

    Those an earlier run kept (``before``) are read back, the others come from
    ``stream``, which extracts just those.
    """
    if not before:
        yield from stream
        return
    buffer: list[CommitResult] = []
    i = 0
    while i < len(todo):
        is_kept = todo[i][0] in before
        j = i
        while j < len(todo) and (todo[j][0] in before) == is_kept:
            j += 1
        if is_kept:
            for k in range(i, j, CHUNK_COMMITS):
                yield kept([sha for sha, _ in todo[k : min(j, k + CHUNK_COMMITS)]])
        else:
            need = j - i
            while need:
                if not buffer:
                    buffer = next(stream)
                take, buffer = buffer[:need], buffer[need:]
                need -= len(take)
                yield take
        i = j


_HeadSpans = tuple[dict[str, str], dict[str, list[tuple[str, int, int]]]]
"""The head's Python files (path to blob) and each file's function spans."""


def _head_spans(git: GitRepository, store: Store, head: str, options: IndexOptions) -> _HeadSpans:
    """The functions of the head tree (re-reading only files that changed since stored)."""
    files = git.python_blobs(head)
    previous_files = store.head_files()
    previous = store.head_spans_by_path()
    extractor = Extractor(git, ExtractOptions(options.first_parent, options.max_file_bytes))
    spans: dict[str, list[tuple[str, int, int]]] = {}
    for path, blob in sorted(files.items()):
        if previous_files.get(path) == blob and path in previous:
            spans[path] = [(q, s, e) for q, s, e, _ in previous[path]]
        else:
            parsed = extractor.parsed(blob)
            spans[path] = [(s.qualname, s.start, s.end) for s in (parsed.spans or {}).values()]
    return files, spans


def _update_head(
    git: GitRepository,
    store: Store,
    head: str,
    state: State,
    before: tuple[str | None, State],
    options: IndexOptions,
) -> bool:
    """Record the head's state, files and functions where they differ from the stored head's.

    ``before``: the stored head and its state, as read before anything was dropped.
    Returns ``False`` (nothing written) when the stored head is not known.
    """
    old_head, old_state = before
    if old_head is None or store.meta("head") != old_head or not git.has(old_head):
        return False
    files = git.changed_paths(old_head, head)
    paths = set(files) | {
        p for p in old_state.keys() | state.keys() if old_state.get(p) != state.get(p)
    }
    unchanged = paths - files.keys()
    blobs = {p: b for p, b in files.items() if b is not None} | store.head_blobs(unchanged)
    previous = store.head_spans_by_path(unchanged)
    extractor = Extractor(git, ExtractOptions(options.first_parent, options.max_file_bytes))
    rows: list[tuple[str, str, int, int, str]] = []
    for path in sorted(blobs):
        if path in previous and path not in files:
            spans = [(q, s, e) for q, s, e, _ in previous[path]]
        else:  # changed, or without functions before (perhaps unreadable then)
            parsed = extractor.parsed(blobs[path])
            spans = [(s.qualname, s.start, s.end) for s in (parsed.spans or {}).values()]
        inner = state.get(path, {})
        rows.extend((path, q, s, e, inner.get(q) or lineage_id("", path, q)) for q, s, e in spans)
    store.update_head(head, state, paths, blobs, rows)
    return True


def _save_head(
    git: GitRepository,
    store: Store,
    head: str,
    state: State,
    options: IndexOptions,
    prepared: _HeadSpans | None = None,
) -> None:
    """Record the head's lineage state, files and functions.

    ``prepared``: the head's spans, when computed already (while workers ran).
    """
    files, spans = prepared if prepared is not None else _head_spans(git, store, head, options)
    rows: list[tuple[str, str, int, int, str]] = []
    for path in sorted(files):
        inner = state.get(path, {})
        rows.extend(
            (path, q, s, e, inner.get(q) or lineage_id("", path, q)) for q, s, e in spans[path]
        )
    store.save_head(head, state, files, rows)
