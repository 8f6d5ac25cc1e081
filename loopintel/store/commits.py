"""Reads of the indexed commits themselves: by sha, by abbreviation, by time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopintel.model import Author, AuthorActivity, Commit
from loopintel.store._tables import Tables
from loopintel.store._time import at_offset, utc

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CommitTables"]

_COMMIT_SELECT = (
    "SELECT sha, parents, author_name, author_email, authored_at, author_offset, "
    "committer_name, committer_email, committed_at, committer_offset, summary FROM commits"
)


class CommitTables(Tables):
    """The indexed commits, as :class:`~loopintel.Commit` values."""

    def commits(self, shas: Sequence[str]) -> list[Commit]:
        """The indexed commits of these full shas, in graph order (unknown ones left out)."""
        found: list[tuple[int, Commit]] = []
        for start in range(0, len(shas), 500):
            chunk = list(shas[start : start + 500])
            rows = self.db.execute(
                f"{_COMMIT_SELECT.replace('SELECT ', 'SELECT seq, ', 1)} "
                f"WHERE sha IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for seq, *row in rows:
                (sha, parents, a_name, a_email, a_time, a_offset,
                 c_name, c_email, c_time, c_offset, summary) = row  # fmt: skip
                found.append(
                    (
                        seq,
                        Commit(
                            sha=sha,
                            parents=tuple(parents.split()),
                            author=Author(a_name, a_email),
                            authored_at=at_offset(a_time, a_offset),
                            committer=Author(c_name, c_email),
                            committed_at=at_offset(c_time, c_offset),
                            summary=summary,
                        ),
                    )
                )
        return [commit for _, commit in sorted(found, key=lambda item: item[0])]

    def shas_starting(self, prefix: str, *, limit: int = 10) -> list[str]:
        """Indexed shas that start with ``prefix`` (lower-case hex), at most ``limit``."""
        rows = self.db.execute(
            "SELECT sha FROM commits WHERE sha >= ? AND sha < ? ORDER BY sha LIMIT ?",
            (prefix, prefix + "g", limit),
        )
        return [row[0] for row in rows]

    def commit_seq(self, sha: str) -> int | None:
        """An indexed commit's position in graph order (``None``: not indexed)."""
        row = self.db.execute("SELECT seq FROM commits WHERE sha = ?", (sha,)).fetchone()
        return None if row is None else int(row[0])

    def commit_times(self) -> list[tuple[str, int, int]]:
        """Every indexed commit's sha, commit time and graph position, in graph order."""
        return [
            (sha, committed, seq)
            for sha, committed, seq in self.db.execute(
                "SELECT sha, committed_at, seq FROM commits ORDER BY seq"
            )
        ]

    def author_activity(self) -> list[AuthorActivity]:
        """Every author of the index (after ``.mailmap``), most commits first."""
        rows = self.db.execute(
            "SELECT author_email, author_name, raw_author_name, raw_author_email, count(*), "
            "min(authored_at), max(authored_at) FROM commits GROUP BY 1, 3, 4"
        )
        found: dict[str, list[tuple[str, str, int, int, int]]] = {}
        for email, name, raw_name, raw_email, commits, first, last in rows:
            found.setdefault(email, []).append(
                (f"{raw_name} <{raw_email}>", name, commits, first, last)
            )
        latest_names = dict(
            self.db.execute(
                "SELECT author_email, author_name FROM commits c WHERE seq = "
                "(SELECT max(seq) FROM commits WHERE author_email = c.author_email)"
            )
        )
        out = []
        for email, identities in found.items():
            identities.sort(key=lambda i: (-i[2], i[0]))
            out.append(
                AuthorActivity(
                    name=latest_names.get(email, identities[0][1]),
                    email=email,
                    commits=sum(i[2] for i in identities),
                    first_commit=utc(min(i[3] for i in identities)),
                    last_commit=utc(max(i[4] for i in identities)),
                    identities=tuple(i[0] for i in identities),
                )
            )
        out.sort(key=lambda a: (-a.commits, a.email))
        return out
