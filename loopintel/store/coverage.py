"""The coverage tables: imported snapshots, their files and per-function numbers.

They hold what users brought (git cannot give it back): a rebuild of the index keeps
them, and lineage ids are stable across rebuilds, so coverage follows a function's
lineage whenever it was imported.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, TypeAlias

from loopintel.model import CoverageSnapshot, FunctionCoverage, FunctionRef
from loopintel.store._tables import Tables
from loopintel.store._time import utc

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "CoverageFile",
    "CoverageFunction",
    "CoverageTables",
    "SnapshotHeader",
    "decode_lines",
    "encode_lines",
]

CoverageFile: TypeAlias = tuple[
    str, str, "Iterable[int]", "Iterable[int]", dict[str, list[int]] | None
]
"""(path, blob, executed lines, coverable lines, lines per test or ``None``)."""
CoverageFunction: TypeAlias = tuple[
    str, str, str | None, int, int, int, int, "Iterable[int]", "Iterable[str] | None"
]
"""(path, qualname, lineage, start, end, covered, coverable, missing lines, tests)."""
SnapshotHeader: TypeAlias = tuple[
    str, str, str, int, int | None, bool, "Sequence[str]", "Sequence[str]", str
]
"""(commit, format, source, imported at, measured at, has contexts, unmatched paths,
stale paths, digest of the file)."""

_FUNCTION_SELECT = (
    "SELECT s.id AS snapshot, s.commit_sha AS commit_sha, s.format AS format, "
    "s.imported_at AS imported_at, f.path AS path, f.qualname AS qualname, "
    "f.start_line AS start_line, f.end_line AS end_line, f.covered AS covered, "
    "f.coverable AS coverable, f.missing AS missing, f.tests AS tests "
    "FROM coverage_functions f JOIN coverage_snapshots s ON s.id = f.snapshot "
    "JOIN commits c ON c.sha = s.commit_sha"
)


def _function(row: sqlite3.Row) -> FunctionCoverage:
    return FunctionCoverage(
        ref=FunctionRef(row["path"], row["qualname"]),
        covered=row["covered"],
        coverable=row["coverable"],
        missing=decode_lines(row["missing"]),
        tests=None if row["tests"] is None else tuple(json.loads(row["tests"])),
        commit=row["commit_sha"],
        snapshot=row["snapshot"],
        format=row["format"],
        imported_at=utc(row["imported_at"]),
        start_line=row["start_line"],
        end_line=row["end_line"],
    )


class CoverageTables(Tables):
    """Coverage snapshots: stored by an import, read per function and per snapshot."""

    _coverage_tables: bool

    def _has_coverage_tables(self) -> bool:
        # Looked up until found: only an index opened read-only before its migrations
        # ran lacks them, and tables once made are never dropped.
        if not self._coverage_tables:
            row = self.db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                "('coverage_snapshots', 'coverage_files', 'coverage_functions')"
            ).fetchone()
            self._coverage_tables = int(row[0]) == 3
        return self._coverage_tables

    def add_coverage(
        self,
        snapshot: SnapshotHeader,
        files: Iterable[CoverageFile],
        functions: Iterable[CoverageFunction],
    ) -> int:
        """Store one coverage snapshot (inside the caller's transaction); returns its id."""
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

    def coverage_of(self, lineage: str, *, latest: bool) -> list[FunctionCoverage]:
        """A lineage's coverage, newest measured commit first (then newest import).

        With ``latest``, only the newest snapshot whose data measured any line of the
        function's body; failing that (a one-line function, or data that never reached
        it) the newest snapshot that has it at all. Snapshots of commits that are not in
        the index (after a history rewrite, or with another ref indexed) are kept but
        left out until they are indexed again.
        """
        if not self._has_coverage_tables():
            return []
        order = "c.seq DESC, s.id DESC"
        if latest:
            order = f"f.coverable > 0 DESC, {order} LIMIT 1"
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        rows = cursor.execute(
            f"{_FUNCTION_SELECT} WHERE f.lineage = ? ORDER BY {order}", (lineage,)
        )
        return [_function(row) for row in rows]

    def coverage_function_rows(self) -> list[tuple[int, int, int, str, int, int]]:
        """Every function of every snapshot of an indexed commit, for series over time.

        Each row: snapshot id, the commit's place in graph order and author time, the
        function's lineage, covered and coverable lines. Functions without a lineage
        (not matched to the index) are left out.
        """
        if not self._has_coverage_tables():
            return []
        return self.db.execute(
            "SELECT s.id, c.seq, c.authored_at, f.lineage, f.covered, f.coverable "
            "FROM coverage_functions f JOIN coverage_snapshots s ON s.id = f.snapshot "
            "JOIN commits c ON c.sha = s.commit_sha WHERE f.lineage IS NOT NULL"
        ).fetchall()

    def coverage_snapshots(self, only: int | None = None) -> list[CoverageSnapshot]:
        """Every stored coverage snapshot (or the one with id ``only``), oldest first."""
        if not self._has_coverage_tables():
            return []
        which = "" if only is None else " WHERE s.id = ?"
        params: tuple[Any, ...] = () if only is None else (only,)
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        rows = cursor.execute(
            "SELECT s.id AS id, s.commit_sha AS commit_sha, s.format AS format, "
            "s.source AS source, s.imported_at AS imported_at, s.measured_at AS measured_at, "
            "s.has_contexts AS has_contexts, s.unmatched AS unmatched, s.stale AS stale, "
            "(SELECT count(*) FROM coverage_files f WHERE f.snapshot = s.id) AS files, "
            "(SELECT count(*) FROM coverage_functions f WHERE f.snapshot = s.id) AS functions "
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
            CoverageSnapshot(
                id=row["id"],
                commit=row["commit_sha"],
                format=row["format"],
                source=row["source"],
                imported_at=utc(row["imported_at"]),
                measured_at=None if row["measured_at"] is None else utc(row["measured_at"]),
                has_contexts=bool(row["has_contexts"]),
                files=row["files"],
                functions=row["functions"],
                covered_lines=totals.get(row["id"], (0, 0))[0],
                coverable_lines=totals.get(row["id"], (0, 0))[1],
                unmatched=tuple(json.loads(row["unmatched"])),
                stale=tuple(json.loads(row["stale"])),
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
