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
import multiprocessing
import multiprocessing.queues
import os
import pickle
import queue
import time
import warnings
from typing import TYPE_CHECKING, Any, TypeAlias

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
from loopintel.history.git import bounded_object_cache
from loopintel.history.lineage import LineagePass, State, lineage_id
from loopintel.history.promisor import fetch_blobs
from loopintel.languages import python
from loopintel.model import IndexProgress, IndexSummary
from loopintel.since import Walk, bases, chain_base, changed_paths, since
from loopintel.states import StateLoader, state_loader

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence

    from loopintel.history.extract import WorkerRepository
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

_Idle: TypeAlias = "Callable[[Callable[[], int]], Callable[[], bool]]"
"""Starts work to do while workers extract (given the count of commits they have
extracted); returns its step, which does a little of it and says whether more is left."""


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
    idle: _Idle | None = None,
    keep: Callable[[list[CommitResult]], None] | None = None,
    kept: Callable[[list[str]], list[CommitResult]] | None = None,
    worker_repo: str | WorkerRepository | None = None,
) -> Generator[list[CommitResult]]:
    """Chunks of extracted commits, in topological order.

    ``tick`` hears how many commits the workers of an owned pool have extracted, while
    the next chunk is awaited; ``idle`` starts work of the caller's that would
    otherwise wait for the end (given a function that counts the commits extracted so
    far) and returns its step: an owned pool runs a step whenever no results are
    waiting, so the work goes on between the batches workers hand over, never holding
    them up; a caller's executor runs all the steps once the chunks are submitted.
    ``keep`` and
    ``kept`` store aside and read back what an owned pool extracts ahead of its turn
    (see :func:`_extract_shared`). ``worker_repo`` says where the workers of
    ``executor`` find the repository (default: at ``git.git_dir``).
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
        where = git.git_dir if worker_repo is None else worker_repo
        futures = [executor.submit(extract_chunk, where, extract_options, c) for c in chunks]
        if idle is not None:
            step = idle(
                lambda: sum(len(c) for c, f in zip(chunks, futures, strict=True) if f.done())
            )
            while step():
                pass
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
    idle: _Idle | None,
    keep: Callable[[list[CommitResult]], None],
    kept: Callable[[list[str]], list[CommitResult]],
) -> Iterator[list[CommitResult]]:
    """Extract on a local process pool, each worker on a long contiguous range.

    Each worker starts on an equal share of the history, in order, with its caches
    warm from one commit to the next. When one runs dry, the second half of what is
    left of the largest range still running is handed to it: no worker idles while
    much is left, and a chunk starts cold only that often. Workers hand their results
    over in batches as they go, and wait while several are unread (so each holds at
    most a batch); batches come out in topological order, and a batch
    that arrives before the ones before it is handed to ``keep`` (which stores it
    aside, so that an interruption loses nothing extracted) and read back with ``kept``
    when its turn comes. ``idle``'s steps run while no batch is waiting. Interrupted,
    the workers stop after the commit at hand and what they hand over in the next
    moments is kept too.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    counter = context.Value("q", 0)
    # (next commit, end) of each range task, shared with the workers.
    ranges = context.Array("q", 4 * workers)
    results: multiprocessing.queues.Queue[tuple[int, list[CommitResult]]] = context.Queue()
    queued = context.Value("q", 0)  # batches put on ``results`` and not yet read
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=count_into,
        initargs=(counter, ranges, results, queued),
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
            got = results.get(timeout=timeout)
        except queue.Empty:
            return None
        with queued.get_lock():
            queued.value -= 1
        return got

    cursor = 0
    try:
        share = -(-len(todo) // workers)
        for begin in range(0, len(todo), share):
            start(begin, min(len(todo), begin + share))
        step = idle(lambda: int(counter.value)) if idle is not None else None
        while cursor < len(todo):
            got = receive(0.25 if step is None else 0.0)
            if got is None and step is not None and not step():
                step = None
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
                with queued.get_lock():
                    queued.value += 1
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


def index_repository(
    git: GitRepository,
    store: Store,
    options: IndexOptions,
    *,
    executor: concurrent.futures.Executor | None = None,
    progress: Callable[[IndexProgress], None] | None = None,
    worker_repo: str | WorkerRepository | None = None,
) -> IndexSummary:
    """Bring the index up to date with ``options.ref``.

    ``worker_repo``: where the workers of ``executor`` find the repository (a path
    they see, or a :class:`~loopintel.history.extract.WorkerRepository`); default:
    the repository's own path.

    Raises:
        UnknownRef: the ref names no commit.
        MissingObject: a commit or tree of the history is missing (file versions
            whose blobs are missing are skipped instead).
        RepositoryError: ``options.fetch_missing`` could not fetch (git is not
            installed, or the fetch failed).

    """
    with rare_collections(), bounded_object_cache():
        summary = _index_repository(
            git, store, options, executor=executor, progress=progress, worker_repo=worker_repo
        )
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


def _loader(git: GitRepository, store: Store, todo: Walk, head: str) -> StateLoader:
    """States of the stored commits that indexing ``todo`` up to ``head`` builds on.

    For a few new commits, those that only lend some paths (the other parents of a
    merge, the start of a merged branch) are worked out for those paths only; what the
    head's state is built on is worked out whole.
    """
    base = chain_base(todo, head)
    if 0 < len(todo) < PARALLEL_THRESHOLD:
        return StateLoader(store, lambda: changed_paths(git, todo), () if base is None else (base,))
    return StateLoader(store)


def _index_repository(
    git: GitRepository,
    store: Store,
    options: IndexOptions,
    *,
    executor: concurrent.futures.Executor | None,
    progress: Callable[[IndexProgress], None] | None,
    worker_repo: str | WorkerRepository | None = None,
) -> IndexSummary:
    started = time.perf_counter()
    total = done = 0

    def say(phase: str, description: str, **count: Any) -> None:
        """Report the step the run is at (commits: ``done`` of ``total``)."""
        if progress is not None:
            progress(IndexProgress(done, total, phase, description=description, **count))

    say("scan", "walking the history to find the commits to index")
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
        say("write", "clearing the index (its options changed)")
        with store.transaction():
            removed = store.count("commits")
            store.clear()
    complete = store.complete_head()
    planned = None
    if complete is not None and head is not None and not options.fetch_missing:
        planned = since(git, store, complete, head, first_parent=options.first_parent)
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
            say("lineage", "working out the lineage states the new commits build on")
            loader = _loader(git, store, todo, head)
            loader.stored_head()
            for sha in bases(todo, head):
                loader(sha)
        say("write", f"dropping {len(gone):,} commits a history rewrite made unreachable")
        with store.transaction():
            removed += store.remove(gone)
    if options.fetch_missing and head is not None:
        assert walk is not None
        say("scan", "fetching missing objects from the promisor remote")
        _fetch_missing(git, store, head, walk)
    redo = _recovered(git, store)
    if redo:
        # Versions skipped for missing objects can be read now: what follows them
        # depended on them (lineages, comparisons), so all of it is indexed again.
        say("write", f"dropping {len(redo):,} commits to index again (objects now present)")
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
        say("write", "naming the stored people as the new .mailmap says")
        git.use_mailmap_of(head)
        with store.transaction():
            store.remap_people(git.resolve_person)
            store.set_meta("mailmap", mailmap)
    total = len(todo)
    changes = skipped = 0
    children: dict[str, int] = {}
    for _, parents in todo:
        for parent in parents:
            children[parent] = children.get(parent, 0) + 1
    if loader is None and head is not None:
        loader = _loader(git, store, todo, head)
        if len(todo) >= PARALLEL_THRESHOLD:
            if loader.stored_head()[0] is not None:  # else there is nothing to work out
                say("lineage", "working out the lineage states the new commits build on")
            loader.prefetch(bases(todo, head))
    if todo:
        say("extract", "indexing commits", phase_done=0, phase_total=total)
    lineage = LineagePass(children, loader or state_loader(store))
    seq = store.next_seq()
    extracted = 0

    # While the head's files are read between batches: what that step last said.
    head_step: IndexProgress | None = None

    def tick(count: int) -> None:
        nonlocal extracted
        if progress is not None and count > extracted:
            extracted = count
            if head_step is not None:  # the bar stays on the step it is at
                progress(attrs.evolve(head_step, done=count))
            else:
                progress(
                    IndexProgress(count, total, "extract", phase_done=count, phase_total=total)
                )

    def reading(description: str, *, now: Callable[[], int] | None = None) -> _Files:
        """Report the head's files read so far (and, if ``now``, the commits extracted)."""

        def files(count: int, of: int) -> None:
            nonlocal extracted, head_step
            if progress is None:
                return
            if now is not None:
                extracted = max(extracted, now())
            step = IndexProgress(
                max(done, extracted),
                total,
                "head",
                description=description,
                phase_done=count,
                phase_total=of,
                unit="files",
            )
            head_step = step if now is not None and count < of else None
            progress(step)

        return files

    reader: _HeadRead | None = None

    def prepare(now: Callable[[], int]) -> Callable[[], bool]:
        nonlocal reader
        if head is None:
            return lambda: False
        described = "reading the head tree's functions (workers indexing meanwhile)"
        reader = _HeadRead(git, store, head, options, reading(described, now=now))
        return reader.step

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
    stream = _extract(git, fresh, options, executor, head, tick, prepare, keep, kept, worker_repo)
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
                tick(done)
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
                say("lineage", "working out the head's lineage state")
                state = (loader or state_loader(store))(head)
            if (
                reader is not None
                or loader is None
                or checkpointed  # the stored state is no longer the stored head's
                or not _update_head(
                    git,
                    store,
                    head,
                    state,
                    loader.stored_head(),
                    options,
                    reading("reading the functions of the files changed since the last run"),
                    lambda: say("write", "writing the head's functions to the index"),
                )
            ):
                if reader is None:
                    reader = _HeadRead(
                        git, store, head, options, reading("reading the head tree's functions")
                    )
                spans = reader.spans()
                say("write", "writing the head's functions to the index")
                _save_head(store, head, state, spans)
        store.set_complete_head(head or "")
    say("write", "done")
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
_Files: TypeAlias = "Callable[[int, int], None]"
"""Hears how many of the files to read have been read (``count``, ``of``)."""
FILES_STEP = 100
"""Files read between two reports of the head's files."""


def _read_spans(
    extractor: Extractor, blobs: dict[str, str], files: _Files | None
) -> dict[str, list[tuple[str, int, int]]]:
    """The function spans of each file version in ``blobs``, reported as they are read."""
    spans: dict[str, list[tuple[str, int, int]]] = {}
    for count, (path, blob) in enumerate(sorted(blobs.items())):
        if files is not None and count % FILES_STEP == 0:
            files(count, len(blobs))
        spans[path] = _spans_of(extractor, blob)
    if files is not None:
        files(len(blobs), len(blobs))
    return spans


def _spans_of(extractor: Extractor, blob: str) -> list[tuple[str, int, int]]:
    """The function spans of one file version, parsed without keeping its layout."""
    parsed = extractor.parsed(blob, remember=False)
    return [(s.qualname, s.start, s.end) for s in (parsed.spans or {}).values()]


class _HeadRead:
    """The functions of the head tree, read a file at a time.

    Files whose version the stored head had keep their stored spans; the others are
    parsed one by one and only their spans kept, never the parse of the whole tree.
    :meth:`step` reads one file (indexing runs it between the batches workers hand
    over), :meth:`spans` reads the rest and returns them all. ``files_read`` hears how
    many of the files to read have been read.
    """

    def __init__(
        self,
        git: GitRepository,
        store: Store,
        head: str,
        options: IndexOptions,
        files_read: _Files | None = None,
    ) -> None:
        self.files = git.python_blobs(head)
        previous_files = store.head_files()
        previous = store.head_spans_by_path()
        self._spans: dict[str, list[tuple[str, int, int]]] = {}
        for path, blob in self.files.items():
            if previous_files.get(path) == blob and path in previous:
                self._spans[path] = [(q, s, e) for q, s, e, _ in previous[path]]
        self._todo = sorted((p, b) for p, b in self.files.items() if p not in self._spans)
        self._read = 0
        self._extractor = Extractor(
            git, ExtractOptions(options.first_parent, options.max_file_bytes)
        )
        self._files_read = files_read

    def step(self) -> bool:
        """Read the next file; whether any are left to read."""
        count, of = self._read, len(self._todo)
        if count > of:
            return False
        if self._files_read is not None and (count % FILES_STEP == 0 or count == of):
            self._files_read(count, of)
        if count < of:
            path, blob = self._todo[count]
            self._spans[path] = _spans_of(self._extractor, blob)
        self._read += 1
        return self._read <= of

    def spans(self) -> _HeadSpans:
        """The head's Python files and each file's spans (reading those left)."""
        while self.step():
            pass
        return self.files, self._spans


def _update_head(
    git: GitRepository,
    store: Store,
    head: str,
    state: State,
    before: tuple[str | None, State],
    options: IndexOptions,
    files_read: _Files | None = None,
    writing: Callable[[], None] | None = None,
) -> bool:
    """Record the head's state, files and functions where they differ from the stored head's.

    ``before``: the stored head and its state, as read before anything was dropped;
    ``files_read`` hears how many of the files to read have been read, ``writing`` when
    the rows are written. Returns
    ``False`` (nothing written) when the stored head is not known.
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
    # Changed files, and those without functions before (perhaps unreadable then).
    read = _read_spans(
        extractor,
        {p: b for p, b in blobs.items() if p not in previous or p in files},
        files_read,
    )
    rows: list[tuple[str, str, int, int, str]] = []
    for path in sorted(blobs):
        spans = read.get(path) or [(q, s, e) for q, s, e, _ in previous.get(path, ())]
        inner = state.get(path, {})
        rows.extend((path, q, s, e, inner.get(q) or lineage_id("", path, q)) for q, s, e in spans)
    if writing is not None:
        writing()
    store.update_head(head, state, paths, blobs, rows)
    return True


def _save_head(store: Store, head: str, state: State, spans: _HeadSpans) -> None:
    """Record the head's lineage state, files and functions (``spans``: see :class:`_HeadRead`)."""
    files, by_path = spans
    rows: list[tuple[str, str, int, int, str]] = []
    for path in sorted(files):
        inner = state.get(path, {})
        rows.extend(
            (path, q, s, e, inner.get(q) or lineage_id("", path, q)) for q, s, e in by_path[path]
        )
    store.save_head(head, state, files, rows)
