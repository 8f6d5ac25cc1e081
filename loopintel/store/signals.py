"""Whole-history reads of the signals and the graph: spans, commits, names, links.

Each returns plain tuples in one query, so the analyses turn them into numpy arrays
without building a value per row.
"""

from __future__ import annotations

from loopintel.store._tables import Tables

__all__ = ["SignalTables"]


class SignalTables(Tables):
    """Whole-index reads for the signals."""

    def head_spans(self) -> list[tuple[str, str, str, int, int]]:
        """Every function at the indexed head: path, qualname, lineage, first and last line.

        Ordered by path, then position (an enclosing function before those inside it).
        """
        return self.db.execute(
            "SELECT path, qualname, lineage, start_line, end_line FROM head_functions "
            "ORDER BY path, start_line, end_line DESC, qualname"
        ).fetchall()

    def commit_rows(self) -> list[tuple[int, str, bool]]:
        """Every indexed commit: its place in graph order, its sha, whether it is a merge."""
        return [
            (seq, sha, " " in parents)
            for seq, sha, parents in self.db.execute(
                "SELECT seq, sha, parents FROM commits ORDER BY seq"
            )
        ]

    def commit_people(self) -> list[tuple[int, str, str, str, int, bool]]:
        """Every indexed commit with its author, in graph order.

        Each: place in graph order, sha, author email and name (after ``.mailmap``),
        author time, whether it is a merge.
        """
        return [
            (seq, sha, email, name, authored_at, " " in parents)
            for seq, sha, email, name, authored_at, parents in self.db.execute(
                "SELECT seq, sha, author_email, author_name, authored_at, parents "
                "FROM commits ORDER BY seq"
            )
        ]

    def latest_names(self) -> dict[str, tuple[str, str]]:
        """Every lineage's latest name: path and qualname of its newest spelling."""
        return {
            lineage: (path, qualname)
            for lineage, path, qualname, _ in self.db.execute(
                "SELECT lineage, path, qualname, max(last_seq) FROM names GROUP BY lineage"
            )
        }

    def duplicate_seqs(self) -> list[int]:
        """The places in graph order of commits that copy an earlier one (cherry-picks)."""
        return [
            row[0]
            for row in self.db.execute("SELECT seq FROM commits WHERE duplicate_of IS NOT NULL")
        ]

    def incident_link_rows(self) -> list[tuple[str, str, float, int | None]]:
        """Links of stored real incidents (no proxies): incident, lineage, confidence, start.

        The start is the incident's start time in seconds (``None``: unknown).
        """
        tables = self.db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'incident_links'"
        ).fetchone()[0]
        if not tables:
            return []
        return self.db.execute(
            "SELECT l.incident, l.lineage, l.confidence, i.started_at FROM incident_links l "
            "JOIN incidents i ON i.key = l.incident WHERE i.proxy = 0"
        ).fetchall()
