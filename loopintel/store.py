"""The index: one SQLite file per repository, versioned, batched, crash-safe.

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

from loopintel.errors import IndexLocationError, IndexVersionError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from loopintel.history.attribution import RawChange
    from loopintel.history.git import CommitMeta
    from loopintel.history.lineage import State, StoredSource

__all__ = ["SCHEMA_VERSION", "Store", "default_index_path"]

SCHEMA_VERSION = 2
"""Version of the table layout below. An index with an older version is rebuilt (its
data comes from git, so nothing is lost); a newer one is refused."""

INDEX_ENV = "LOOPINTEL_INDEX"
"""Environment variable naming the index file (overridden by an explicit argument)."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE commits (
    id INTEGER PRIMARY KEY,
    sha TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    parents TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    authored_at INTEGER NOT NULL,
    author_offset INTEGER NOT NULL,
    committer_name TEXT NOT NULL,
    committer_email TEXT NOT NULL,
    committed_at INTEGER NOT NULL,
    committer_offset INTEGER NOT NULL,
    summary TEXT NOT NULL,
    raw_author_name TEXT NOT NULL,
    raw_author_email TEXT NOT NULL,
    raw_committer_name TEXT NOT NULL,
    raw_committer_email TEXT NOT NULL
);
CREATE INDEX commits_by_author ON commits(author_email);
CREATE TABLE changes (
    commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    old_path TEXT,
    old_qualname TEXT,
    kind TEXT NOT NULL,
    types INTEGER NOT NULL,
    lines_added INTEGER NOT NULL,
    lines_removed INTEGER NOT NULL,
    complexity INTEGER,
    lineage TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL
);
CREATE INDEX changes_by_commit ON changes(commit_id);
CREATE INDEX changes_by_function ON changes(path, qualname);
CREATE INDEX changes_by_lineage ON changes(lineage);
CREATE TABLE skips (
    commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    blob TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX skips_by_commit ON skips(commit_id);
CREATE TABLE merge_sources (
    commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    parent INTEGER,
    qualname TEXT,
    lineage TEXT
);
CREATE INDEX merge_sources_by_commit ON merge_sources(commit_id);
CREATE TABLE head_files (path TEXT PRIMARY KEY, blob TEXT NOT NULL);
CREATE TABLE head_functions (
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    lineage TEXT NOT NULL,
    PRIMARY KEY (path, qualname)
);
CREATE TABLE tip_state (path TEXT NOT NULL, qualname TEXT NOT NULL, lineage TEXT NOT NULL);
"""

CHANGE_COLUMNS = (
    "c.sha, nullif(substr(c.parents, 1, 40), ''), c.authored_at, c.author_offset, c.committed_at, "
    "c.committer_offset, c.author_name, c.author_email, ch.path, ch.qualname, "
    "ch.old_path, ch.old_qualname, ch.kind, ch.types, ch.lines_added, ch.lines_removed, "
    "ch.complexity, ch.lineage, ch.start_line, ch.end_line"
)
"""Columns for :meth:`loopintel.model.Change.from_row`, from ``changes ch JOIN commits c``."""


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


class Store:
    """The SQLite index of one repository."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        """Open (creating it if needed) the index at ``path``.

        Raises:
            IndexLocationError: the file cannot be created or opened.
            IndexVersionError: it was written by a newer schema.

        """
        self.path = path
        self.readonly = readonly
        self._cache: dict[str, tuple[str | None, Any]] = {}
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
                uri = path.resolve().as_uri() + "?mode=ro"
                self.db = sqlite3.connect(
                    uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30
                )
                self.db.execute("PRAGMA foreign_keys=ON")
                self._prepare()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                # Two processes may create or migrate the same index at once.
                with _exclusive(path):
                    self.db = sqlite3.connect(
                        path, isolation_level=None, check_same_thread=False, timeout=30
                    )
                    self.db.execute("PRAGMA journal_mode=WAL")
                    self.db.execute("PRAGMA foreign_keys=ON")
                    self._prepare()
        except sqlite3.DatabaseError as exc:
            raise IndexLocationError(str(path), str(exc)) from exc
        except OSError as exc:
            raise IndexLocationError(str(path), exc.strerror or str(exc)) from exc

    def _prepare(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise IndexVersionError(str(self.path), version, SCHEMA_VERSION)
        if version == SCHEMA_VERSION or self.readonly:
            if version != SCHEMA_VERSION:
                raise IndexLocationError(
                    str(self.path), "no index there yet; run `loopintel index` first"
                )
            return
        with self.transaction():
            # Older or absent schema: start afresh. Everything comes back from git.
            tables = [
                r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                self.db.execute(f'DROP TABLE IF EXISTS "{table}"')
            # executescript would commit the open transaction; run statement by statement.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

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

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: all of it is stored or none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A stored setting."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting (inside the caller's transaction)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- commits ----------------------------------------------------------------------

    def indexed(self) -> dict[str, int]:
        """Stored commits: sha to sequence number."""
        return dict(self.db.execute("SELECT sha, seq FROM commits"))

    def next_seq(self) -> int:
        """The sequence number for the next commit stored."""
        row = self.db.execute("SELECT max(seq) FROM commits").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def remap_people(self, resolve: Callable[[str, str], tuple[str, str]]) -> int:
        """Apply a new mailmap to every stored commit (caller's transaction).

        Returns how many distinct raw identities were looked up.
        """
        pairs: set[tuple[str, str]] = set()
        for row in self.db.execute(
            "SELECT DISTINCT raw_author_name, raw_author_email FROM commits "
            "UNION SELECT DISTINCT raw_committer_name, raw_committer_email FROM commits"
        ):
            pairs.add((row[0], row[1]))
        for name, email in pairs:
            new_name, new_email = resolve(name, email)
            self.db.execute(
                "UPDATE commits SET author_name = ?, author_email = ? "
                "WHERE raw_author_name = ? AND raw_author_email = ?",
                (new_name, new_email, name, email),
            )
            self.db.execute(
                "UPDATE commits SET committer_name = ?, committer_email = ? "
                "WHERE raw_committer_name = ? AND raw_committer_email = ?",
                (new_name, new_email, name, email),
            )
        return len(pairs)

    def remove(self, shas: Iterable[str]) -> int:
        """Drop commits (and what they recorded); returns how many."""
        count = 0
        for sha in shas:
            count += self.db.execute("DELETE FROM commits WHERE sha = ?", (sha,)).rowcount
        return count

    def clear(self) -> None:
        """Drop everything (inside the caller's transaction)."""
        for table in (
            "changes",
            "skips",
            "merge_sources",
            "commits",
            "head_files",
            "head_functions",
            "tip_state",
            "meta",
        ):
            self.db.execute(f"DELETE FROM {table}")

    def add_commits(
        self,
        batch: Sequence[
            tuple[
                int,
                CommitMeta,
                Sequence[tuple[RawChange, str]],
                Sequence[tuple[str, str, str]],
                Sequence[StoredSource] | None,
            ]
        ],
    ) -> None:
        """Store commits and what they did (inside the caller's transaction).

        Each item is (sequence number, commit, changes with lineages, skips, merge
        sources); the sequence number is also the commit's row id.
        """
        commits: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        skips: list[tuple[Any, ...]] = []
        sources: list[tuple[Any, ...]] = []
        for seq, meta, commit_changes, commit_skips, commit_sources in batch:
            commits.append(
                (
                    seq,
                    meta.sha,
                    seq,
                    " ".join(meta.parents),
                    meta.author_name,
                    meta.author_email,
                    meta.authored_at,
                    meta.author_offset,
                    meta.committer_name,
                    meta.committer_email,
                    meta.committed_at,
                    meta.committer_offset,
                    meta.summary,
                    *meta.raw_author,
                    *meta.raw_committer,
                )
            )
            changes.extend(
                (
                    seq,
                    c.path,
                    c.qualname,
                    c.old_path,
                    c.old_qualname,
                    c.kind.value,
                    c.types,
                    c.lines_added,
                    c.lines_removed,
                    c.complexity,
                    lineage,
                    c.start,
                    c.end,
                )
                for c, lineage in commit_changes
            )
            skips.extend((seq, *skip) for skip in commit_skips)
            for source in commit_sources or ():
                if source.lineages:
                    sources.extend(
                        (seq, source.path, source.parent, q, lin) for q, lin in source.lineages
                    )
                else:
                    sources.append((seq, source.path, source.parent, None, None))
        self.db.executemany(
            "INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            commits,
        )
        self.db.executemany(
            "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", changes
        )
        self.db.executemany("INSERT INTO skips VALUES (?, ?, ?, ?)", skips)
        self.db.executemany("INSERT INTO merge_sources VALUES (?, ?, ?, ?, ?)", sources)

    # -- lineage state ------------------------------------------------------------------

    def tip_state(self) -> tuple[str | None, State]:
        """The lineage state stored for the indexed head."""
        state: State = {}
        for path, qualname, lineage in self.db.execute(
            "SELECT path, qualname, lineage FROM tip_state"
        ):
            state.setdefault(path, {})[qualname] = lineage
        return self.meta("head"), state

    def save_head(
        self,
        head: str,
        state: State,
        files: dict[str, str],
        functions: Iterable[tuple[str, str, int, int, str]],
    ) -> None:
        """Store the head's lineage state, files and functions (caller's transaction)."""
        self.db.execute("DELETE FROM tip_state")
        self.db.executemany(
            "INSERT INTO tip_state VALUES (?, ?, ?)",
            [(p, q, lin) for p, inner in state.items() for q, lin in inner.items()],
        )
        self.db.execute("DELETE FROM head_files")
        self.db.executemany("INSERT INTO head_files VALUES (?, ?)", files.items())
        self.db.execute("DELETE FROM head_functions")
        self.db.executemany("INSERT INTO head_functions VALUES (?, ?, ?, ?, ?)", functions)
        self.set_meta("head", head)

    def head_time(self) -> int:
        """Commit time of the indexed head (0 when there is none)."""
        return int(self._per_head("head_time", self._head_time))

    def _per_head(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per indexed head (queries repeat them per function)."""
        head = self.meta("head")
        cached = self._cache.get(name)
        if cached is None or cached[0] != head:
            cached = (head, compute())
            self._cache[name] = cached
        return cached[1]

    def _head_time(self) -> int:
        row = self.db.execute(
            "SELECT committed_at FROM commits "
            "WHERE sha = (SELECT value FROM meta WHERE key = 'head')"
        ).fetchone()
        return 0 if row is None else int(row[0])

    def last_commit_times(self) -> dict[str, int]:
        """Each author's latest author time in the index."""
        return self._per_head(  # type: ignore[no-any-return]
            "last_commit_times",
            lambda: dict(
                self.db.execute("SELECT author_email, max(authored_at) FROM commits GROUP BY 1")
            ),
        )

    def head_function_rows(self) -> list[tuple[str, str, str]]:
        """(path, qualname, lineage) of every function at the indexed head."""
        return self._per_head(  # type: ignore[no-any-return]
            "head_function_rows",
            lambda: list(self.db.execute("SELECT path, qualname, lineage FROM head_functions")),
        )

    def head_files(self) -> dict[str, str]:
        """Path to blob of the Python files at the indexed head."""
        return dict(self.db.execute("SELECT path, blob FROM head_files"))

    def head_functions_by_path(self) -> dict[str, list[tuple[str, int, int, str]]]:
        """The head's functions, grouped by file."""
        out: dict[str, list[tuple[str, int, int, str]]] = {}
        for path, qualname, start, end, lineage in self.db.execute(
            "SELECT path, qualname, start_line, end_line, lineage FROM head_functions"
        ):
            out.setdefault(path, []).append((qualname, start, end, lineage))
        return out

    def replay_rows(
        self, shas: Iterable[str]
    ) -> Iterator[tuple[str, tuple[str, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """Stored rows of the given commits, in sequence order.

        Yields each commit's sha, parents, change rows and merge-source rows (what a
        lineage replay needs).
        """
        wanted = list(shas)
        ids: list[tuple[int, str, str]] = []
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            ids.extend(
                self.db.execute(
                    f"SELECT id, sha, parents FROM commits WHERE sha IN ({marks})", part
                )
            )
        by_id = {i: (sha, parents) for i, sha, parents in ids}
        changes: dict[int, list[tuple[Any, ...]]] = {}
        for row in self.db.execute(
            "SELECT commit_id, path, qualname, old_path, old_qualname, kind, lineage FROM changes"
        ):
            if row[0] in by_id:
                changes.setdefault(row[0], []).append(row[1:])
        sources: dict[int, list[tuple[Any, ...]]] = {}
        for row in self.db.execute(
            "SELECT commit_id, path, parent, qualname, lineage FROM merge_sources"
        ):
            if row[0] in by_id:
                sources.setdefault(row[0], []).append(row[1:])
        order = self.db.execute("SELECT id FROM commits ORDER BY seq").fetchall()
        for (commit_id,) in order:
            if commit_id in by_id:
                sha, parents = by_id[commit_id]
                yield (
                    sha,
                    tuple(parents.split()),
                    changes.get(commit_id, []),
                    sources.get(commit_id, []),
                )

    def parents(self) -> dict[str, tuple[str, ...]]:
        """Every stored commit's parents."""
        return {
            sha: tuple(p.split()) for sha, p in self.db.execute("SELECT sha, parents FROM commits")
        }

    # -- reads --------------------------------------------------------------------------

    def changes(
        self, where: str = "", params: Sequence[Any] = (), order: str = "c.seq, ch.rowid"
    ) -> Iterator[tuple[Any, ...]]:
        """Change rows (see :data:`CHANGE_COLUMNS`), filtered by a fixed SQL fragment."""
        sql = f"SELECT {CHANGE_COLUMNS} FROM changes ch JOIN commits c ON c.id = ch.commit_id"
        if where:
            sql += f" WHERE {where}"
        sql += f" ORDER BY {order}"
        yield from self.db.execute(sql, params)

    def skips(self) -> Iterator[tuple[str, str, str, str]]:
        """(commit, path, blob, reason) of every skipped version."""
        yield from self.db.execute(
            "SELECT c.sha, s.path, s.blob, s.reason FROM skips s "
            "JOIN commits c ON c.id = s.commit_id ORDER BY c.seq"
        )

    def count(self, table: str) -> int:
        """Rows in a table."""
        assert table in ("commits", "changes", "skips")
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
