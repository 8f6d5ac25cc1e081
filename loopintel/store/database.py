"""The index file: opening it, its layout, locking, and the groups of tables in it.

Every indexing batch is one transaction (commits, their changes and skips together),
so a run killed at any moment leaves whole commits or none; the next run carries on
from what is stored. WAL mode lets readers query while a writer runs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopintel.errors import IndexLocationError
from loopintel.store.columns import ColumnTables
from loopintel.store.commits import CommitTables
from loopintel.store.coverage import CoverageTables
from loopintel.store.functions import FunctionTables
from loopintel.store.history import HistoryTables
from loopintel.store.incidents import IncidentTables
from loopintel.store.ownership import OwnershipTables
from loopintel.store.schema import prepare
from loopintel.store.signals import SignalTables

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["INDEX_ENV", "Store", "default_index_path"]

INDEX_ENV = "LOOPINTEL_INDEX"
"""Environment variable naming the index file (overridden by an explicit argument)."""


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold the lock file beside an index (POSIX).

    Where file locks are unavailable, SQLite's own locking still keeps every
    transaction whole.
    """
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with Path(str(path) + ".lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def default_index_path(git_dir: str) -> Path:
    """Where the index of a repository lives unless told otherwise."""
    env = os.environ.get(INDEX_ENV)
    if env:
        return Path(env)
    return Path(git_dir) / "loopintel" / "index.sqlite3"


class Store(
    HistoryTables,
    FunctionTables,
    CommitTables,
    CoverageTables,
    IncidentTables,
    ColumnTables,
    OwnershipTables,
    SignalTables,
):
    """The SQLite index of one repository: the only owner of SQL in loopintel."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        """Open (creating or migrating it if needed) the index at ``path``.

        Raises:
            IndexLocationError: the file cannot be created or opened.
            IndexVersionError: it was written by a newer schema.

        """
        self.path = path
        self.readonly = readonly
        self._cache: dict[str, tuple[str | None, Any]] = {}
        self._coverage_tables = False
        self._incident_tables = False
        if readonly and not path.exists():
            raise IndexLocationError(str(path), "no index there yet; run `loopintel index` first")
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise IndexLocationError(str(path), f"{parent} is not a directory")
                break
        if path.is_dir():
            raise IndexLocationError(str(path), "it is a directory")
        try:
            if readonly:
                self.db = self._connect_readonly(path)
                prepare(self.db, str(path), readonly=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                # Two processes may create or migrate the same index at once.
                with _exclusive(path):
                    self.db = sqlite3.connect(
                        path, isolation_level=None, check_same_thread=False, timeout=30
                    )
                    self.db.execute("PRAGMA journal_mode=WAL")
                    self.db.execute("PRAGMA foreign_keys=ON")
                    prepare(self.db, str(path), readonly=False)
        except sqlite3.DatabaseError as exc:
            raise IndexLocationError(str(path), str(exc)) from exc
        except OSError as exc:
            raise IndexLocationError(str(path), exc.strerror or str(exc)) from exc

    @staticmethod
    def _connect_readonly(path: Path) -> sqlite3.Connection:
        uri = path.resolve().as_uri()
        db = sqlite3.connect(
            uri + "?mode=ro", uri=True, isolation_level=None, check_same_thread=False, timeout=30
        )
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL index on a read-only file system: SQLite cannot make its shared-memory
            # file there. Nothing can write it either, so read it as immutable.
            db.close()
            db = sqlite3.connect(
                uri + "?immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Be the only process updating this index for a while (others wait).

        Readers are never blocked.
        """
        with _exclusive(self.path):
            yield
