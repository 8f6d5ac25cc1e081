"""Many repositories at once: each into its own index, on one executor.

Each repository is indexed as :func:`loopintel.open` indexes it, in a thread of this
process that walks its history, assigns lineages and writes its index, while the
extraction chunks of every repository go to one executor (a local process pool, or a
Dask cluster's). A few repositories are in flight at once, so that one's sequential
work overlaps the others' extraction. A repository that cannot be indexed (not a
repository, an unknown ref, an unusable index) gets its error in its outcome; the
others are indexed all the same.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
from typing import TYPE_CHECKING

from loopintel.errors import InvalidQuery, LoopintelError
from loopintel.history.extract import count_into
from loopintel.languages import python
from loopintel.model import IndexOutcome
from loopintel.opening import open as open_repository
from loopintel.store import INDEX_ENV
from loopintel.tables import Records

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from loopintel.history.extract import WorkerRepository
    from loopintel.model import IndexProgress

__all__ = ["AT_ONCE", "index_many"]

AT_ONCE = 2
"""Repositories in flight at once by default: one's walk and writes overlap another's
extraction; more would only queue more chunks."""


def _local_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """A process pool whose workers are all started now, before any thread is."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=count_into,  # workers exit if this process is killed
        initargs=(None,),
    )
    # A forking pool starts every worker at its first task: here, while this process
    # has one thread (forking a process that runs threads can deadlock the child).
    pool.submit(int).result()
    return pool


def index_many(
    paths: Iterable[str | os.PathLike[str]],
    *,
    ref: str = "HEAD",
    first_parent: bool = False,
    workers: int | None = None,
    executor: concurrent.futures.Executor | None = None,
    worker_repo: Callable[[str], str | WorkerRepository | None] | None = None,
    progress: Callable[[str, IndexProgress], None] | None = None,
    at_once: int = AT_ONCE,
    max_file_bytes: int = python.MAX_FILE_BYTES,
    fetch_missing: bool = False,
) -> Records[IndexOutcome]:
    """Index (or update) several repositories, each into its own index, on one executor.

    Args:
        paths: the repositories (a path given twice is indexed once).
        ref: the ref whose history is indexed, in every repository.
        first_parent: walk only first parents.
        workers: how many workers the executor has (the history is cut into chunks
            for that many); default: one per core. Without ``executor``, the size of
            the local process pool made for the run.
        executor: where extraction chunks run (Dask's ``client.get_executor()``...);
            default: one local process pool for every repository.
        worker_repo: for each path, where the executor's workers find that repository
            (see :func:`loopintel.open`; ``None``: at its path), e.g. a bundle shipped
            to a cluster with :func:`loopintel.cluster.ship_bundle`. Its errors are the
            repository's.
        progress: called with each repository's path (as given) and its
            :class:`~loopintel.IndexProgress` as work advances, from several threads.
        at_once: how many repositories are indexed at the same time.
        max_file_bytes: larger file versions are recorded as skipped.
        fetch_missing: in partial clones, first fetch the blobs indexing reads.

    Returns:
        One :class:`~loopintel.IndexOutcome` per repository, in the order given: its
        index and summary, or the error that stopped it. Each index is the
        repository's default one (``<git dir>/loopintel/index.sqlite3``).

    Raises:
        InvalidQuery: no path, ``at_once`` below 1, or ``$LOOPINTEL_INDEX`` set while
            several repositories are given (they cannot share one index file).

    Example:
        >>> outcomes = loopintel.index_many(["api", "web", "missing"])  # doctest: +SKIP
        >>> [(o.path, o.ok) for o in outcomes]  # doctest: +SKIP
        [('api', True), ('web', True), ('missing', False)]

    """
    given = list(dict.fromkeys(os.fspath(path) for path in paths))
    if not given:
        raise InvalidQuery("paths", given, "at least one repository")
    if at_once < 1:
        raise InvalidQuery("at_once", at_once, "a number of repositories, 1 or more")
    shared_index = os.environ.get(INDEX_ENV)
    if len(given) > 1 and shared_index:
        raise InvalidQuery(
            f"${INDEX_ENV}", shared_index, "unset: several repositories need an index each"
        )
    owned = None
    if executor is None:
        workers = workers or os.cpu_count() or 1
        owned = executor = _local_pool(workers)
    stop = threading.Event()

    def one(path: str) -> IndexOutcome:
        def report(step: IndexProgress) -> None:
            if stop.is_set():
                raise KeyboardInterrupt  # the run stops and keeps what it has
            if progress is not None:
                progress(path, step)

        if stop.is_set():
            raise KeyboardInterrupt
        try:
            where = worker_repo(path) if worker_repo is not None else None
            repo = open_repository(
                path,
                ref=ref,
                first_parent=first_parent,
                workers=workers,
                executor=executor,
                worker_repo=where,
                progress=report,
                max_file_bytes=max_file_bytes,
                fetch_missing=fetch_missing,
            )
        except LoopintelError as exc:
            return IndexOutcome(path=path, index_path=None, summary=None, error=str(exc))
        with repo:
            return IndexOutcome(
                path=path, index_path=str(repo.index_path), summary=repo.last_index, error=None
            )

    threads = concurrent.futures.ThreadPoolExecutor(
        max_workers=min(at_once, len(given)), thread_name_prefix="loopintel-fleet"
    )
    try:
        futures = [threads.submit(one, path) for path in given]
        return Records(future.result() for future in futures)
    except BaseException:
        stop.set()
        if owned is not None:
            owned.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        if owned is not None:
            owned.shutdown(wait=True, cancel_futures=True)
