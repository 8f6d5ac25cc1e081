"""The index: one SQLite file per repository, versioned, batched, crash-safe.

Every indexing batch is one transaction (commits, their changes and skips together),
so a run killed at any moment leaves whole commits or none; the next run carries on
from what is stored. WAL mode lets readers query while a writer runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

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

_COVERAGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS coverage_snapshots (
    id INTEGER PRIMARY KEY,
    commit_sha TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    measured_at INTEGER,
    has_contexts INTEGER NOT NULL,
    unmatched TEXT NOT NULL,
    stale TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS coverage_files (
    snapshot INTEGER NOT NULL REFERENCES coverage_snapshots(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    blob TEXT NOT NULL,
    executed TEXT NOT NULL,
    coverable TEXT NOT NULL,
    contexts TEXT
);
CREATE INDEX IF NOT EXISTS coverage_files_by_snapshot ON coverage_files(snapshot, path);
CREATE TABLE IF NOT EXISTS coverage_functions (
    snapshot INTEGER NOT NULL REFERENCES coverage_snapshots(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    lineage TEXT,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    covered INTEGER NOT NULL,
    coverable INTEGER NOT NULL,
    missing TEXT NOT NULL,
    tests TEXT
);
CREATE INDEX IF NOT EXISTS coverage_functions_by_lineage ON coverage_functions(lineage);
"""
"""Imported coverage snapshots. Unlike the tables above they do not come from git, so
a rebuild of the index keeps them (lineage ids are stable across rebuilds); a change to
their layout must migrate them, never drop them."""

COVERAGE_COLUMNS = (
    "s.id, s.commit_sha, s.format, s.source, s.imported_at, s.measured_at, "
    "f.path, f.qualname, f.start_line, f.end_line, f.covered, f.coverable, f.missing, f.tests"
)
"""Columns for :meth:`loopintel.model.FunctionCoverage.from_row`."""

CoverageFile: TypeAlias = tuple[
    str, str, "Iterable[int]", "Iterable[int]", dict[str, list[int]] | None
]
"""(path, blob, executed lines, coverable lines, lines per test or ``None``)."""
CoverageFunction: TypeAlias = tuple[
    str, str, str | None, int, int, int, int, "Iterable[int]", "Iterable[str] | None"
]
"""(path, qualname, lineage, start, end, covered, coverable, missing lines, tests)."""

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
        self._coverage_tables = False
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

    def _prepare(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise IndexVersionError(str(self.path), version, SCHEMA_VERSION)
        if self.readonly:
            if version != SCHEMA_VERSION:
                raise IndexLocationError(
                    str(self.path), "no index there yet; run `loopintel index` first"
                )
            return
        if version == SCHEMA_VERSION and self._has_coverage_tables() and self._digests():
            return  # no write: opening never waits for a running indexer
        with self.transaction():
            if version != SCHEMA_VERSION:
                # Older or absent schema: start afresh. Everything comes back from git,
                # except imported coverage, which stays.
                tables = [
                    r[0]
                    for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                    if not r[0].startswith("coverage_")
                ]
                for table in tables:
                    self.db.execute(f'DROP TABLE IF EXISTS "{table}"')
                self._script(_SCHEMA)
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._script(_COVERAGE_SCHEMA)
            if not self._digests():
                # Snapshots imported before duplicates were recognised: add the column.
                self.db.execute(
                    "ALTER TABLE coverage_snapshots ADD COLUMN digest TEXT NOT NULL DEFAULT ''"
                )
            self.db.execute(
                "CREATE INDEX IF NOT EXISTS coverage_snapshots_by_digest "
                "ON coverage_snapshots(digest)"
            )

    def _digests(self) -> bool:
        columns = self.db.execute("PRAGMA table_info(coverage_snapshots)").fetchall()
        return any(column[1] == "digest" for column in columns)

    def _has_coverage_tables(self) -> bool:
        # Looked up until found: only an index from before coverage, opened read-only,
        # lacks them, and tables once made are never dropped.
        if not self._coverage_tables:
            row = self.db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                "('coverage_snapshots', 'coverage_files', 'coverage_functions')"
            ).fetchone()
            self._coverage_tables = int(row[0]) == 3
        return self._coverage_tables

    def _script(self, script: str) -> None:
        # executescript would commit the open transaction; run statement by statement.
        for statement in script.split(";"):
            if statement.strip():
                self.db.execute(statement)

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

    # -- coverage -----------------------------------------------------------------------

    def add_coverage(
        self,
        snapshot: tuple[str, str, str, int, int | None, bool, Sequence[str], Sequence[str], str],
        files: Iterable[CoverageFile],
        functions: Iterable[CoverageFunction],
    ) -> int:
        """Store one coverage snapshot (inside the caller's transaction); returns its id.

        ``snapshot`` is (commit, format, source, imported at, measured at, has
        contexts, unmatched paths, stale paths, digest of the file); each file is (path,
        blob, executed
        lines, coverable lines, lines per test or ``None``); each function is (path,
        qualname, lineage, start, end, covered, coverable, missing lines, tests or
        ``None``).
        """
        sha, fmt, source, imported, measured, contexts, unmatched, stale, digest = snapshot
        cursor = self.db.execute(
            "INSERT INTO coverage_snapshots (commit_sha, format, source, imported_at, "
            "measured_at, has_contexts, unmatched, stale, digest) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha,
                fmt,
                source,
                imported,
                measured,
                contexts,
                json.dumps(unmatched),
                json.dumps(stale),
                digest,
            ),
        )
        snapshot_id = int(cursor.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO coverage_files VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    snapshot_id,
                    path,
                    blob,
                    encode_lines(executed),
                    encode_lines(coverable),
                    None
                    if tests is None
                    else json.dumps({t: encode_lines(lines) for t, lines in sorted(tests.items())}),
                )
                for path, blob, executed, coverable, tests in files
            ),
        )
        self.db.executemany(
            "INSERT INTO coverage_functions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    snapshot_id,
                    *function[:7],
                    encode_lines(function[7]),
                    None if function[8] is None else json.dumps(sorted(function[8])),
                )
                for function in functions
            ),
        )
        return snapshot_id

    def coverage_snapshot_with(self, sha: str, digest: str) -> int | None:
        """The snapshot already imported from the same data for the same commit, if any."""
        if not self._has_coverage_tables():
            return None
        row = self.db.execute(
            "SELECT id FROM coverage_snapshots WHERE digest = ? AND commit_sha = ?", (digest, sha)
        ).fetchone()
        return None if row is None else int(row[0])

    def delete_coverage(self, snapshot: int) -> bool:
        """Drop one snapshot and what it measured; returns whether it existed."""
        if not self._has_coverage_tables():
            return False
        with self.transaction():
            cursor = self.db.execute("DELETE FROM coverage_snapshots WHERE id = ?", (snapshot,))
        return cursor.rowcount > 0

    def coverage_of(self, lineage: str, *, latest: bool) -> list[tuple[Any, ...]]:
        """A lineage's coverage rows, newest measured commit first.

        Snapshots of commits that are not in the index (after a history rewrite, or
        with another ref indexed) are kept but left out until they are indexed again.
        Rows are :data:`COVERAGE_COLUMNS` with ``missing`` and ``tests`` decoded.
        """
        if not self._has_coverage_tables():
            return []
        rows = self.db.execute(
            f"SELECT {COVERAGE_COLUMNS} FROM coverage_functions f "
            "JOIN coverage_snapshots s ON s.id = f.snapshot "
            "JOIN commits c ON c.sha = s.commit_sha "
            "WHERE f.lineage = ? ORDER BY c.seq DESC, s.id DESC" + (" LIMIT 1" if latest else ""),
            (lineage,),
        ).fetchall()
        return [
            (
                *row[:12],
                decode_lines(row[12]),
                None if row[13] is None else tuple(json.loads(row[13])),
            )
            for row in rows
        ]

    def coverage_snapshots(self, only: int | None = None) -> list[tuple[Any, ...]]:
        """Every stored coverage snapshot (or the one with id ``only``), oldest first.

        Rows are id, commit, format, source, imported at, measured at, has contexts,
        unmatched paths, stale paths, files, functions, covered and coverable lines.
        """
        if not self._has_coverage_tables():
            return []
        which = "" if only is None else " WHERE s.id = ?"
        params = () if only is None else (only,)
        rows = self.db.execute(
            "SELECT s.id, s.commit_sha, s.format, s.source, s.imported_at, s.measured_at, "
            "s.has_contexts, s.unmatched, s.stale, "
            "(SELECT count(*) FROM coverage_files f WHERE f.snapshot = s.id), "
            "(SELECT count(*) FROM coverage_functions f WHERE f.snapshot = s.id) "
            f"FROM coverage_snapshots s{which} ORDER BY s.id",
            params,
        ).fetchall()
        totals: dict[int, tuple[int, int]] = {}
        for snapshot, executed, coverable in self.db.execute(
            "SELECT snapshot, executed, coverable FROM coverage_files"
            + ("" if only is None else " WHERE snapshot = ?"),
            params,
        ):
            ran, could = totals.get(snapshot, (0, 0))
            lines = set(decode_lines(coverable))
            totals[snapshot] = (
                ran + len(lines.intersection(decode_lines(executed))),
                could + len(lines),
            )
        return [
            (
                *row[:7],
                tuple(json.loads(row[7])),
                tuple(json.loads(row[8])),
                *row[9:],
                *totals.get(row[0], (0, 0)),
            )
            for row in rows
        ]


def encode_lines(lines: Iterable[int]) -> str:
    """Line numbers as compact ranges: ``1-3,7``."""
    out: list[str] = []
    ordered = sorted(set(lines))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(out)


def decode_lines(text: str) -> tuple[int, ...]:
    """The line numbers of :func:`encode_lines` text."""
    out: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return tuple(out)
