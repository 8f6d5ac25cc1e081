"""Indexing on a Dask cluster: connect to its scheduler, ship a repository to its workers.

Extraction runs wherever an executor sends it; for a Dask cluster that executor is
``client.get_executor()``. Workers find the repository at the same path (a shared
filesystem), or get its history as a git bundle (:func:`ship_bundle`) that each worker
clones once. Needs the ``dask`` extra (``pip install "loopintel[dask]"``):
``distributed`` is imported on use, so loopintel itself runs without it.

Example:
    >>> import loopintel, loopintel.cluster
    >>> client = loopintel.cluster.connect("tcp://scheduler:8786")  # doctest: +SKIP
    >>> shipped = loopintel.cluster.ship_bundle(client, "path/to/repo")  # doctest: +SKIP
    >>> repo = loopintel.open(  # doctest: +SKIP
    ...     "path/to/repo", executor=client.get_executor(), worker_repo=shipped
    ... )

"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from loopintel.errors import ClusterUnavailable
from loopintel.history.bundle import clone_bundle, create_bundle
from loopintel.history.git import GitRepository

if TYPE_CHECKING:
    import os

    import distributed

__all__ = [
    "CONNECT_SECONDS",
    "ShippedBundle",
    "connect",
    "ship_bundle",
    "withdraw",
    "worker_threads",
]

CONNECT_SECONDS = 10.0
"""How long :func:`connect` waits for a scheduler to answer, by default."""

_INSTALL = 'Dask\'s distributed is not installed: pip install "loopintel[dask]"'


def connect(address: str, *, timeout: float = CONNECT_SECONDS) -> distributed.Client:
    """A client of the Dask scheduler at ``address`` (``tcp://host:8786``).

    Raises:
        ClusterUnavailable: ``distributed`` is not installed (the ``dask`` extra), or
            no scheduler answered within ``timeout`` seconds.

    """
    try:
        import distributed  # noqa: PLC0415 - an optional dependency, imported on use
    except ImportError as exc:
        raise ClusterUnavailable(address, _INSTALL) from exc
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, ValueError) as exc:  # TimeoutError is an OSError
        reason = str(exc) or type(exc).__name__
        raise ClusterUnavailable(
            address, f"no scheduler answered within {timeout:g} s ({reason})"
        ) from exc


def worker_threads(client: distributed.Client) -> int:
    """How many tasks the cluster's workers run at once (their threads, at least 1).

    Indexing cuts the history into chunks for that many workers.
    """
    threads: dict[str, int] = client.nthreads()
    return max(1, sum(threads.values()))


_CLONING = threading.Lock()
"""Held while a worker clones a bundle: the first of its tasks clones, the others wait."""


@attrs.frozen
class ShippedBundle:
    """A repository's history, shipped to a cluster's workers as a git bundle.

    Given to ``loopintel.open(..., worker_repo=...)``; each chunk's task asks it where the
    repository is on its worker (:meth:`local_path`), and the first task on a worker
    clones the bundle there.
    """

    name: str
    """The bundle's file name in each worker's local directory (named by its content)."""
    ref: str
    """The ref whose history it holds."""

    @property
    def clone_name(self) -> str:
        """The directory name of the bare clone each worker makes of the bundle."""
        return self.name.removesuffix(".bundle") + ".git"

    def local_path(self) -> str:
        """The git directory of this worker's clone of the bundle (made on first use).

        Raises:
            RepositoryError: the bundle is not on this worker, or git could not clone it.

        """
        from distributed import get_worker  # noqa: PLC0415 - runs on a Dask worker

        directory = Path(get_worker().local_directory)
        target = directory / self.clone_name
        if not target.exists():
            with _CLONING:
                clone_bundle(directory / self.name, target)
        return str(target.resolve())


def ship_bundle(
    client: distributed.Client, path: str | os.PathLike[str] = ".", *, ref: str = "HEAD"
) -> ShippedBundle:
    """Send the history of ``ref`` to every worker of the cluster, as a git bundle.

    The bundle is written with ``git bundle create`` and uploaded with
    ``client.upload_file`` (workers that join later get it too); each worker clones it
    once, on its first chunk. Runs git, which must be installed here and on the workers.

    Args:
        client: a client of the cluster (:func:`connect`).
        path: the repository.
        ref: the ref to index: a branch, a tag or ``HEAD``.

    Returns:
        What to pass as ``worker_repo`` to :func:`loopintel.open`.

    Raises:
        NotARepository: ``path`` is no git repository.
        UnknownRef: ``ref`` names no commit.
        RepositoryError: git is not installed, or could not bundle the ref (a bare
            commit id, or a partial clone that lacks objects).

    """
    git = GitRepository(path)
    git.resolve(ref)
    with tempfile.TemporaryDirectory(prefix="loopintel-bundle-") as scratch:
        written = create_bundle(git.git_dir, ref, Path(scratch) / "history.bundle")
        digest = hashlib.sha256()
        with written.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        named = written.with_name(f"loopintel-{digest.hexdigest()[:20]}.bundle")
        written.rename(named)
        client.upload_file(str(named), load=False)
    return ShippedBundle(named.name, ref)


def _remove(name: str, clone: str, dask_worker: distributed.Worker) -> None:
    directory = Path(dask_worker.local_directory)
    (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / clone, ignore_errors=True)


def withdraw(client: distributed.Client, shipped: ShippedBundle) -> None:
    """Delete a shipped bundle and its clone from the workers (once indexing is done)."""
    client.run(_remove, shipped.name, shipped.clone_name)
