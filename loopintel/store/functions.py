"""Reads of the indexed history: changes, functions at the head, names, skips, ownership."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple

from loopintel.model import Change, ChangeKind, ChangeType, Function, FunctionRef, Skip
from loopintel.store._tables import Tables, like_prefix, under
from loopintel.store._time import at_offset
from loopintel.store.history import tail
from loopintel.store.queries import ChangeOrder, ChangeQuery

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["FunctionTables", "Name", "OwnershipRow"]

_CHANGE_COLUMNS = (
    ("sha", "c.sha"),
    ("parent", "nullif(substr(c.parents, 1, 40), '')"),
    ("authored_at", "c.authored_at"),
    ("author_offset", "c.author_offset"),
    ("committed_at", "c.committed_at"),
    ("committer_offset", "c.committer_offset"),
    ("author_name", "c.author_name"),
    ("author_email", "c.author_email"),
    ("path", "ch.path"),
    ("qualname", "ch.qualname"),
    ("old_path", "ch.old_path"),
    ("old_qualname", "ch.old_qualname"),
    ("kind", "ch.kind"),
    ("types", "ch.types"),
    ("lines_added", "ch.lines_added"),
    ("lines_removed", "ch.lines_removed"),
    ("complexity", "ch.complexity"),
    ("lineage", "ch.lineage"),
    ("start_line", "ch.start_line"),
    ("end_line", "ch.end_line"),
)
"""The columns a change is read from, by name; :func:`_change` reads them in this order."""

_CHANGE_SELECT = (
    "SELECT "
    + ", ".join(f"{sql} AS {name}" for name, sql in _CHANGE_COLUMNS)
    + " FROM changes ch JOIN commits c ON c.id = ch.commit_id"
)


def _change(row: tuple[Any, ...]) -> Change:
    # Unpacked in the order of _CHANGE_COLUMNS above (a tuple is read several times
    # faster than a sqlite3.Row by name, and history() reads thousands of rows).
    (sha, parent, authored_at, author_offset, committed_at, committer_offset, author_name,
     author_email, path, qualname, old_path, old_qualname, kind, types, lines_added,
     lines_removed, complexity, lineage, start_line, end_line) = row  # fmt: skip
    return Change(
        commit=sha,
        parent=parent,
        authored_at=at_offset(authored_at, author_offset),
        committed_at=at_offset(committed_at, committer_offset),
        author_name=author_name,
        author_email=author_email,
        path=path,
        qualname=qualname,
        old_path=old_path,
        old_qualname=old_qualname,
        kind=ChangeKind(kind),
        change_types=ChangeType.from_bits(types),
        lines_added=lines_added,
        lines_removed=lines_removed,
        complexity=complexity,
        lineage=lineage,
        start_line=start_line,
        end_line=end_line,
    )


class Name(NamedTuple):
    """A name a function has or had, and the lineage that carried it."""

    path: str
    qualname: str
    lineage: str


class OwnershipRow(NamedTuple):
    """A commit that made a non-cosmetic change to code of a file at the head."""

    file: str
    """The file at the head whose function (lineage) was changed."""
    seq: int
    """The commit's place in the indexed history."""
    email: str
    name: str
    authored_at: int
    added: bool
    """Whether the commit introduced one of the file's functions."""
    cosmetic: bool = False
    """Whether the commit's changes to the file's code were all cosmetic (asked for
    with ``cosmetic=True`` only)."""


class FunctionTables(Tables):
    """Reads of changes, names and the head's functions."""

    def _rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> sqlite3.Cursor:
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params)

    def changes(self, query: ChangeQuery) -> Iterator[Change]:
        """The function changes a query asks for."""
        clauses: list[str] = []
        params: list[Any] = []
        if query.path:
            clauses.append("(ch.path = ? OR ch.path LIKE ? ESCAPE '\\' OR ch.old_path = ?)")
            params += [query.path, like_prefix(query.path), query.path]
        if query.lineages is not None:
            clauses.append(f"ch.lineage IN ({','.join('?' * len(query.lineages))})")
            params += query.lineages
        if query.commits is not None:
            clauses.append(f"c.sha IN ({','.join('?' * len(query.commits))})")
            params += query.commits
        if query.author is not None:
            clauses.append("(lower(c.author_email) = lower(?) OR lower(c.author_name) = lower(?))")
            params += [query.author, query.author]
        if query.since is not None:
            clauses.append("c.authored_at >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("c.authored_at < ?")
            params.append(query.until)
        if query.committed_since is not None:
            clauses.append("c.committed_at >= ?")
            params.append(query.committed_since)
        if query.committed_until is not None:
            clauses.append("c.committed_at < ?")
            params.append(query.committed_until)
        if query.kinds:
            clauses.append(f"ch.kind IN ({','.join('?' * len(query.kinds))})")
            params += [ChangeKind(k).value for k in query.kinds]
        if not query.cosmetic:
            clauses.append("ch.types != ?")
            params.append(ChangeType.COSMETIC.bit)
        if not query.copies:
            clauses.append("c.duplicate_of IS NULL")
        sql = _CHANGE_SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
        way = " DESC" if query.newest_first else ""
        keys = ["c.seq", "ch.rowid"]
        if query.order is ChangeOrder.DATE:
            keys.insert(0, "c.authored_at")
        sql += " ORDER BY " + ", ".join(k + way for k in keys)
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        for row in self.db.execute(sql, params):
            yield _change(row)

    def skips(self) -> list[Skip]:
        """Every skipped file version, in history order."""
        return [
            Skip(commit=row["sha"], path=row["path"], blob=row["blob"], reason=row["reason"])
            for row in self._rows(
                "SELECT c.sha AS sha, s.path AS path, s.blob AS blob, s.reason AS reason "
                "FROM skips s JOIN commits c ON c.id = s.commit_id ORDER BY c.seq, s.rowid"
            )
        ]

    def functions(self, path: str) -> list[Function]:
        """The head's functions in a file or under a directory (``""``: all), by position."""
        where, params = under("h.path", path)
        latest = (
            "SELECT {} FROM changes ch JOIN commits c ON c.id = ch.commit_id "
            "WHERE ch.lineage = h.lineage ORDER BY c.seq DESC LIMIT 1"
        )
        rows = self._rows(
            "SELECT h.path AS path, h.qualname AS qualname, h.start_line AS start_line, "
            "h.end_line AS end_line, h.lineage AS lineage, "
            f"({latest.format('ch.complexity')}) AS complexity, "
            f"({latest.format('c.sha')}) AS last_commit "
            f"FROM head_functions h WHERE {where} ORDER BY h.path, h.start_line, h.qualname",
            params,
        )
        return [
            Function(
                ref=FunctionRef(row["path"], row["qualname"]),
                start_line=row["start_line"],
                end_line=row["end_line"],
                complexity=row["complexity"],
                lineage=row["lineage"],
                last_commit=row["last_commit"] or "",
            )
            for row in rows
        ]

    # -- names --------------------------------------------------------------------------

    def head_names(self, *, path: str | None = None, qualname: str | None = None) -> list[Name]:
        """Functions at the head with this path and qualname, or with this name's tail."""
        if path is not None and qualname is not None:
            sql, params = "path = ? AND qualname = ?", [path, qualname]
        elif qualname is not None:
            sql, params = "tail = ?", [tail(qualname)]
        else:
            sql, params = "1", []
        return [
            Name(*row)
            for row in self.db.execute(
                f"SELECT path, qualname, lineage FROM head_functions WHERE {sql}", params
            )
        ]

    def past_names(self, *, path: str | None = None, qualname: str) -> list[Name]:
        """Every name a function ever had with this path and qualname, or this tail."""
        if path is not None:
            sql, params = "path = ? AND qualname = ?", [path, qualname]
        else:
            sql, params = "tail = ?", [tail(qualname)]
        return [
            Name(*row)
            for row in self.db.execute(
                f"SELECT path, qualname, lineage FROM names WHERE {sql} "
                "ORDER BY first_seq, path, qualname",
                params,
            )
        ]

    def latest_name(self, lineage: str) -> Name | None:
        """A lineage's name after its latest change (in commit graph order)."""
        row = self.db.execute(
            "SELECT ch.path, ch.qualname FROM changes ch JOIN commits c ON c.id = ch.commit_id "
            "WHERE ch.lineage = ? ORDER BY c.seq DESC, ch.rowid DESC LIMIT 1",
            (lineage,),
        ).fetchone()
        if row is None:
            head = self.db.execute(
                "SELECT path, qualname FROM head_functions WHERE lineage = ?", (lineage,)
            ).fetchone()
            return None if head is None else Name(head[0], head[1], lineage)
        return Name(row[0], row[1], lineage)

    def lineages_named(self, path: str, qualname: str) -> list[tuple[str, int, int]]:
        """Lineages that were ever named ``path::qualname``, oldest first.

        Each with the first and the latest commit position (``seq``) of a change
        recorded under that name.
        """
        return [
            (row[0], int(row[1]), int(row[2]))
            for row in self.db.execute(
                "SELECT lineage, first_seq, last_seq FROM names "
                "WHERE path = ? AND qualname = ? ORDER BY first_seq",
                (path, qualname),
            )
        ]

    def commits_changing(self, paths: Sequence[str]) -> list[tuple[str, int, int]]:
        """Commits that changed a function in (or out of) one of ``paths``.

        Each as ``(sha, commit time, seq)``, in graph order.
        """
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        return [
            (row[0], int(row[1]), int(row[2]))
            for row in self.db.execute(
                "SELECT c.sha, c.committed_at, c.seq FROM commits c WHERE c.id IN ("
                f"SELECT commit_id FROM changes WHERE path IN ({marks}) "
                f"UNION SELECT commit_id FROM changes WHERE old_path IN ({marks})"
                ") ORDER BY c.seq",
                [*wanted, *wanted],
            )
        ]

    def lineages_starting(self, prefix: str) -> list[str]:
        """Lineage ids that start with ``prefix`` (at most a few)."""
        pattern = prefix.lower() + "%"
        return [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT lineage FROM names WHERE lineage LIKE ? "
                "UNION SELECT lineage FROM head_functions WHERE lineage LIKE ? LIMIT 10",
                (pattern, pattern),
            )
        ]

    def lineage_span(self, lineage: str) -> tuple[int, int, bool, bool] | None:
        """When a lineage's changes began and ended, and where it stands now.

        Returns the first and latest author time, whether its latest change deleted it,
        and whether it is at the head; ``None`` when it has no recorded changes.
        """
        row = self.db.execute(
            "SELECT min(c.authored_at), max(c.authored_at) FROM changes ch "
            "JOIN commits c ON c.id = ch.commit_id WHERE ch.lineage = ?",
            (lineage,),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        latest = self.db.execute(
            "SELECT ch.kind FROM changes ch JOIN commits c ON c.id = ch.commit_id "
            "WHERE ch.lineage = ? ORDER BY c.seq DESC, ch.rowid DESC LIMIT 1",
            (lineage,),
        ).fetchone()
        return int(row[0]), int(row[1]), latest[0] == "deleted", self.at_head(lineage)

    def at_head(self, lineage: str) -> bool:
        """Whether the lineage is a function of the indexed head."""
        row = self.db.execute(
            "SELECT 1 FROM head_functions WHERE lineage = ? LIMIT 1", (lineage,)
        ).fetchone()
        return row is not None

    def function_at_line(self, path: str, line: int) -> Name | None:
        """The innermost function of the head whose lines include ``path:line``."""
        row = self.db.execute(
            "SELECT path, qualname, lineage FROM head_functions "
            "WHERE path = ? AND start_line <= ? AND end_line >= ? "
            "ORDER BY end_line - start_line LIMIT 1",
            (path, line, line),
        ).fetchone()
        return None if row is None else Name(*row)

    def known_names(self) -> list[tuple[str, str]]:
        """Every (path, qualname) a function ever had, past ones first, then the head's."""
        return [
            *self.db.execute("SELECT DISTINCT path, qualname FROM names ORDER BY first_seq"),
            *self.db.execute("SELECT path, qualname FROM head_functions"),
        ]

    # -- paths --------------------------------------------------------------------------

    def head_files(self) -> dict[str, str]:
        """Path to blob of the Python files at the indexed head."""
        return dict(self.db.execute("SELECT path, blob FROM head_files"))

    def head_files_under(self, path: str) -> list[tuple[str, bool]]:
        """Files at the head in or under ``path`` (``""``: all), sorted.

        Each comes with whether it has functions.
        """
        where, params = under("f.path", path)
        return [
            (row[0], bool(row[1]))
            for row in self.db.execute(
                "SELECT f.path, EXISTS(SELECT 1 FROM head_functions h WHERE h.path = f.path) "
                f"FROM head_files f WHERE {where} ORDER BY f.path",
                params,
            )
        ]

    def path_ever(self, path: str) -> bool:
        """Whether any indexed function ever lived in ``path`` or under it."""
        if not path:
            return True
        where, params = under("path", path)
        for table in ("head_files", "names"):
            if self.db.execute(f"SELECT 1 FROM {table} WHERE {where} LIMIT 1", params).fetchone():
                return True
        return False

    def known_paths(self) -> list[str]:
        """Every file a function ever lived in (the head's included)."""
        return [
            row[0]
            for row in self.db.execute("SELECT path FROM head_files UNION SELECT path FROM names")
        ]

    # -- people -------------------------------------------------------------------------

    def head_time(self) -> int:
        """Commit time of the indexed head (0 when there is none)."""
        return int(self.per_head("head_time", self._head_time))

    def _head_time(self) -> int:
        row = self.db.execute(
            "SELECT committed_at FROM commits "
            "WHERE sha = (SELECT value FROM meta WHERE key = 'head')"
        ).fetchone()
        return 0 if row is None else int(row[0])

    def last_commit_times(self) -> dict[str, int]:
        """Each author's latest author time in the index."""
        return self.per_head(  # type: ignore[no-any-return]
            "last_commit_times",
            lambda: dict(
                self.db.execute("SELECT author_email, max(authored_at) FROM commits GROUP BY 1")
            ),
        )

    def changes_in(self, sha: str) -> int:
        """How many function changes an indexed commit made (0 for an unknown one)."""
        row = self.db.execute(
            "SELECT count(*) FROM changes WHERE commit_id = (SELECT id FROM commits WHERE sha = ?)",
            (sha,),
        ).fetchone()
        return int(row[0])

    def commit_counts_since(self, since: float) -> dict[str, int]:
        """Each author's commits authored at or after ``since`` (epoch seconds)."""
        return self.per_head(  # type: ignore[no-any-return]
            f"commit_counts_since:{int(since)}",
            lambda: dict(
                self.db.execute(
                    "SELECT author_email, count(*) FROM commits WHERE authored_at >= ? GROUP BY 1",
                    (int(since),),
                )
            ),
        )

    def commit_authors(self) -> tuple[list[str], list[int]]:
        """Every indexed commit's author key and author time (for activity in a window)."""
        return self.per_head("commit_authors", self._commit_authors)  # type: ignore[no-any-return]

    def _commit_authors(self) -> tuple[list[str], list[int]]:
        rows = self.db.execute("SELECT author_email, authored_at FROM commits").fetchall()
        return [str(r[0]) for r in rows], [int(r[1]) for r in rows]

    def ownership_rows(self, path: str, *, cosmetic: bool = False) -> list[OwnershipRow]:
        """Who changed the code of the head's files in or under ``path``, oldest first.

        One row per (file, commit) that made a non-cosmetic change to a lineage of a
        function in the file (with ``cosmetic``, also those whose changes to it were all
        cosmetic, flagged); copies of an earlier commit (cherry-picks) are left out.
        """
        where, params = under("h.path", path)
        bit = ChangeType.COSMETIC.bit
        rows = self.db.execute(
            "SELECT h.path, c.seq, c.author_email, c.author_name, c.authored_at, "
            "max(ch.kind = 'added'), min(ch.types = ?) "
            "FROM head_functions h JOIN changes ch ON ch.lineage = h.lineage "
            "JOIN commits c ON c.id = ch.commit_id "
            f"WHERE {'' if cosmetic else 'ch.types != ? AND '}c.duplicate_of IS NULL "
            f"AND {where} GROUP BY h.path, c.id ORDER BY c.seq, h.path",
            [bit, *([] if cosmetic else [bit]), *params],
        )
        return [
            OwnershipRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]))
            for row in rows
        ]
