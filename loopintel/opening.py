"""``loopintel.open(path)``: index (or update) a repository and return its facade."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from loopintel.code import checked_prefixes
from loopintel.history.git import GitRepository
from loopintel.indexing import IndexOptions
from loopintel.languages import python
from loopintel.repository import Repository
from loopintel.store import Store, default_index_path

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable, Iterable, Sequence

    from loopintel.history.extract import WorkerRepository
    from loopintel.model import IndexProgress

__all__ = ["open"]


def open(  # noqa: A001 - loopintel.open mirrors the builtin's role for repositories
    path: str | os.PathLike[str] = ".",
    *,
    ref: str = "HEAD",
    index_path: str | os.PathLike[str] | None = None,
    update: bool = True,
    first_parent: bool = False,
    workers: int | None = None,
    executor: concurrent.futures.Executor | None = None,
    progress: Callable[[IndexProgress], None] | None = None,
    max_file_bytes: int = python.MAX_FILE_BYTES,
    deprecated: str | Iterable[str] | None = None,
    services: str | os.PathLike[str] | Mapping[str, Sequence[str]] | None = None,
    fetch_missing: bool = False,
    worker_repo: str | WorkerRepository | None = None,
) -> Repository:
    """Open a git repository, index (or update) its history, and return it.

    Args:
        path: the repository (work tree, bare git dir, or any directory inside).
        ref: the ref whose history is indexed.
        index_path: the index file; default ``$LOOPINTEL_INDEX`` or
            ``<git dir>/loopintel/index.sqlite3``. Give one for a read-only repository.
        update: bring the index up to date first (``False``: read what is stored).
        first_parent: walk only first parents (merges compared with their first parent).
        workers: worker processes for large runs (default: one per core).
        executor: where extraction chunks run (see :meth:`Repository.update`).
        progress: called with an :class:`~loopintel.IndexProgress` as work advances.
        max_file_bytes: larger file versions are recorded as skipped.
        deprecated: module prefixes whose use marks code deprecated (``"myapp.legacy"``);
            default: ``[tool.loopintel] deprecated`` of the repository's
            ``pyproject.toml`` at the indexed head.
        services: which paths each service runs, for incidents that name services: a
            mapping of service name to path globs, or a TOML/JSON file holding one;
            default: ``[tool.loopintel.services]`` of the repository's
            ``pyproject.toml`` at the indexed head (see ``docs/incidents.md``).
        fetch_missing: in a partial clone, first fetch the blobs indexing reads and
            the clone lacks, from its promisor remote, with git (see
            ``docs/indexing.md``); without it they are skipped and a
            :class:`~loopintel.MissingObjectsWarning` says how many.
        worker_repo: where the workers of ``executor`` find the repository: a path they
            all see, or a bundle shipped to them (:func:`loopintel.cluster.ship_bundle`);
            default: the repository's own path (see ``docs/indexing.md``).

    Raises:
        NotARepository: ``path`` is no git repository.
        UnknownRef: ``ref`` names no commit.
        MissingObject: a commit or tree of the history is missing.
        RepositoryError: ``fetch_missing`` could not fetch (git is not installed, or
            the fetch failed).
        IndexLocationError: the index cannot be created or opened there.
        InvalidQuery: ``deprecated`` holds something else than dotted module names.

    Example:
        >>> import loopintel
        >>> repo = loopintel.open("path/to/repo")  # doctest: +SKIP
        >>> repo.functions()[0].ref  # doctest: +SKIP
        FunctionRef(path='src/app.py', qualname='create_app')

    """
    prefixes = None if deprecated is None else checked_prefixes(deprecated, "deprecated")
    git = GitRepository(path)
    if update:
        git.resolve(ref)  # an unknown ref fails before an index file is made for it
    location = Path(index_path) if index_path is not None else default_index_path(git.git_dir)
    store = Store(location, readonly=not update)
    options = IndexOptions(
        ref=ref,
        first_parent=first_parent,
        max_file_bytes=max_file_bytes,
        workers=workers,
        fetch_missing=fetch_missing,
    )
    service_map = None
    if services is not None:
        from loopintel.sources.services import ServiceMap, read_service_map  # noqa: PLC0415

        service_map = (
            ServiceMap(
                {str(k): (v,) if isinstance(v, str) else tuple(v) for k, v in services.items()},
                "open(services=...)",
            )
            if isinstance(services, Mapping)
            else read_service_map(os.fspath(services))
        )
    repository = Repository(git, store, options, deprecated=prefixes, services=service_map)
    if update:
        try:
            repository.update(progress=progress, executor=executor, worker_repo=worker_repo)
        except BaseException:
            store.close()
            raise
    return repository
