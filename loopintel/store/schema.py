"""The index's tables, in two groups, and how an index file is brought to this layout.

- **Rebuilt from git**: commits, function changes, names, skips, merge sources, the
  head's files and functions, the lineage state. git can give all of it back, so an index
  of an older layout (or indexed with other options) drops these tables and indexes again.
- **Brought by users**: what git cannot give back (coverage snapshots, incidents and
  their links). These tables are never dropped: each change of their layout
  is a named migration that runs once, in the transaction that opens the index, and is
  recorded in the ``migrations`` table.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

import attrs

from loopintel.errors import IndexLocationError, IndexVersionError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "GIT_TABLES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "USER_TABLES",
    "Migration",
    "migrations_done",
    "prepare",
    "run_script",
]

SCHEMA_VERSION = 3
"""Version of the tables rebuilt from git. An index of an older version rebuilds them
(their data comes from git, so nothing is lost); a newer one is refused."""

_GIT_SCHEMA = """
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
    raw_committer_email TEXT NOT NULL,
    patch_id TEXT,
    duplicate_of TEXT
);
CREATE INDEX commits_by_author ON commits(author_email);
CREATE INDEX commits_by_patch ON commits(patch_id);
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
CREATE TABLE names (
    lineage TEXT NOT NULL,
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    tail TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (lineage, path, qualname)
) WITHOUT ROWID;
CREATE INDEX names_by_function ON names(path, qualname);
CREATE INDEX names_by_tail ON names(tail);
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
    tail TEXT NOT NULL,
    PRIMARY KEY (path, qualname)
);
CREATE INDEX head_functions_by_tail ON head_functions(tail);
CREATE INDEX head_functions_by_lineage ON head_functions(lineage);
CREATE TABLE tip_state (path TEXT NOT NULL, qualname TEXT NOT NULL, lineage TEXT NOT NULL);
CREATE TABLE staged (sha TEXT PRIMARY KEY, options TEXT NOT NULL, result BLOB NOT NULL);
"""

GIT_TABLES = (
    "meta",
    "commits",
    "changes",
    "names",
    "skips",
    "merge_sources",
    "head_files",
    "head_functions",
    "tip_state",
    "staged",
)
"""The tables rebuilt from git, in the order :data:`_GIT_SCHEMA` creates them."""


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements inside the caller's transaction.

    ``executescript`` would commit the open transaction first.
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')}


@attrs.frozen
class Migration:
    """One step in the layout of the tables users brought, applied once per index."""

    name: str
    """Its key in the ``migrations`` table; never renamed once released."""
    apply: Callable[[sqlite3.Connection], None]
    """Changes the layout inside the caller's transaction. It also has to work on an
    index whose tables already have this step's layout (indexes made before migrations
    were recorded)."""


def _coverage_tables(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS coverage_snapshots (
            id INTEGER PRIMARY KEY,
            commit_sha TEXT NOT NULL,
            format TEXT NOT NULL,
            source TEXT NOT NULL,
            imported_at INTEGER NOT NULL,
            measured_at INTEGER,
            has_contexts INTEGER NOT NULL,
            unmatched TEXT NOT NULL,
            stale TEXT NOT NULL
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
        CREATE INDEX IF NOT EXISTS coverage_functions_by_lineage ON coverage_functions(lineage)
        """,
    )


def _coverage_digest(db: sqlite3.Connection) -> None:
    # Re-imports of the same file are recognised by the digest of its bytes.
    if "digest" not in _columns(db, "coverage_snapshots"):
        db.execute("ALTER TABLE coverage_snapshots ADD COLUMN digest TEXT NOT NULL DEFAULT ''")
    db.execute(
        "CREATE INDEX IF NOT EXISTS coverage_snapshots_by_digest ON coverage_snapshots(digest)"
    )


def _incident_tables(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS incidents (
            key TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            id TEXT NOT NULL,
            title TEXT NOT NULL,
            proxy INTEGER NOT NULL,
            started_at INTEGER,
            record TEXT NOT NULL,
            raw TEXT,
            file TEXT NOT NULL,
            imported_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            linked_head TEXT
        );
        CREATE INDEX IF NOT EXISTS incidents_by_id ON incidents(id);
        CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents(started_at);
        CREATE TABLE IF NOT EXISTS incident_links (
            incident TEXT NOT NULL REFERENCES incidents(key) ON DELETE CASCADE,
            lineage TEXT NOT NULL,
            path TEXT NOT NULL,
            qualname TEXT NOT NULL,
            confidence REAL NOT NULL,
            evidence TEXT NOT NULL,
            head TEXT
        );
        CREATE INDEX IF NOT EXISTS incident_links_by_incident ON incident_links(incident);
        CREATE INDEX IF NOT EXISTS incident_links_by_lineage ON incident_links(lineage)
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_coverage_snapshots", _coverage_tables),
    Migration("0002_coverage_digest", _coverage_digest),
    Migration("0003_incidents", _incident_tables),
)
"""Every layout step of the tables users brought, in the order they run."""

USER_TABLES = frozenset(
    {
        "migrations",
        "coverage_snapshots",
        "coverage_files",
        "coverage_functions",
        "incidents",
        "incident_links",
    }
)
"""Tables that hold what users brought: never dropped by a rebuild."""


def migrations_done(db: sqlite3.Connection) -> set[str]:
    """Names of the migrations recorded in the index (none before the table exists)."""
    try:
        return {row[0] for row in db.execute("SELECT name FROM migrations")}
    except sqlite3.OperationalError:
        return set()


def prepare(db: sqlite3.Connection, path: str, *, readonly: bool) -> None:
    """Check the index's layout and bring it to this version (writable connections).

    Tables rebuilt from git are dropped and made anew when their version is older;
    pending migrations of the user tables run, each recorded. All of it is one
    transaction, so a crash leaves the old layout or the new one.

    Raises:
        IndexVersionError: the index was written by a newer loopintel.
        IndexLocationError: read-only, and there is no index of this version yet.

    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise IndexVersionError(path, version, SCHEMA_VERSION)
    if readonly:
        if version != SCHEMA_VERSION:
            reason = (
                "no index there yet; run `loopintel index` first"
                if version == 0
                else "the index is of an older loopintel; run `loopintel index` to update it"
            )
            raise IndexLocationError(path, reason)
        return
    pending = [m for m in MIGRATIONS if m.name not in migrations_done(db)]
    if version == SCHEMA_VERSION and not pending:
        return  # no write: opening never waits for a running indexer
    db.execute("BEGIN IMMEDIATE")
    try:
        if version != SCHEMA_VERSION:
            tables = [
                row[0]
                for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if row[0] not in USER_TABLES and not row[0].startswith("sqlite_")
            ]
            for table in tables:
                db.execute(f'DROP TABLE IF EXISTS "{table}"')
            run_script(db, _GIT_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
        )
        for migration in pending:
            migration.apply(db)
            db.execute("INSERT INTO migrations VALUES (?, ?)", (migration.name, int(time.time())))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
