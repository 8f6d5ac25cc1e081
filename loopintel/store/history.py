"""The tables rebuilt from git, as indexing writes them: commits, changes, names, state.

Every write runs inside the caller's transaction (:meth:`Tables.transaction`), so an
indexing batch is stored whole or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopintel.store._tables import Tables
from loopintel.store.schema import GIT_TABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

    from loopintel.history.attribution import RawChange
    from loopintel.history.git import CommitMeta
    from loopintel.history.lineage import State, StoredSource

__all__ = ["CommitBatch", "HistoryTables", "ReplayRow", "tail"]

CommitBatch = tuple[
    int,
    "CommitMeta",
    "Sequence[tuple[RawChange, str]]",
    "Sequence[tuple[str, str, str]]",
    "Sequence[StoredSource] | None",
    str | None,
    str | None,
]
"""(sequence number, commit, changes with their lineages, skips, merge sources, patch
id, the earlier commit it is a copy of)."""

ReplayRow = tuple[str, tuple[str, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""A commit's sha, parents, change rows ``(path, qualname, old_path, old_qualname, kind,
lineage)`` and merge-source rows ``(path, parent, qualname, lineage)``, as
:func:`loopintel.history.lineage.replay` reads them."""

NAMES_REBUILT_WHOLE = 20_000
"""Dropping commits that changed more lineages than this rebuilds the whole names table
(one pass) instead of each lineage's names (one indexed lookup each)."""

_NAME_UPSERT = (
    "INSERT INTO names VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (lineage, path, qualname) "
    "DO UPDATE SET first_seq = min(first_seq, excluded.first_seq), "
    "last_seq = max(last_seq, excluded.last_seq)"
)


def tail(qualname: str) -> str:
    """The last part of a qualified name, by which names are looked up (``wsgi_app``)."""
    return qualname.rsplit(".", 1)[-1]


COMPLETE = "complete"
"""Meta key: the head whose whole history the stored commits are, exactly (no more, no
less). Set by the transaction that ends an indexing run, removed by every write that
adds or drops commits: an interrupted run leaves none, and the next one walks again."""


REPLAY_BY_COMMIT = 2000
"""Replaying at most this many commits reads their rows by index, not whole tables."""

TIP = "tip"
"""Meta key: the commit (sha and sequence number) whose state ``tip_state`` holds."""


class HistoryTables(Tables):
    """Writes and bookkeeping of the indexed history."""

    def indexed(self) -> dict[str, int]:
        """Stored commits: sha to sequence number."""
        return dict(self.db.execute("SELECT sha, seq FROM commits"))

    def complete_head(self) -> str | None:
        """The head whose history the stored commits exactly are (``""``: an empty one).

        ``None`` when that is not known (never indexed, an interrupted run, an index
        made before this was recorded, or written since by a loopintel that did not
        record it): the history is then walked to find out.
        """
        value = self.meta(COMPLETE)
        if value is None:
            return None
        head, _, last = value.partition(" ")
        if last != self._last_id() or head != (self.meta("head") or ""):
            return None
        return head

    def set_complete_head(self, head: str) -> None:
        """Record that the stored commits are exactly ``head``'s history (caller's transaction)."""
        self.set_meta(COMPLETE, f"{head} {self._last_id()}")

    def _last_id(self) -> str:
        return str(self.db.execute("SELECT max(id) FROM commits").fetchone()[0])

    def stored(self, shas: Iterable[str]) -> dict[str, tuple[int, tuple[str, ...]]]:
        """Which of these commits are stored: sha to (sequence number, parents)."""
        wanted = list(shas)
        out: dict[str, tuple[int, tuple[str, ...]]] = {}
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for sha, seq, parents in self.db.execute(
                f"SELECT sha, seq, parents FROM commits WHERE sha IN ({marks})", part
            ):
                out[sha] = (seq, tuple(parents.split()))
        return out

    def shas_from(self, seq: int) -> set[str]:
        """Stored commits from this sequence number on."""
        return {row[0] for row in self.db.execute("SELECT sha FROM commits WHERE seq >= ?", (seq,))}

    def missing_skips(self) -> list[tuple[str, int, str]]:
        """``(commit, sequence number, reason)`` of skips that name a missing object."""
        return [
            (sha, seq, reason)
            for sha, seq, reason in self.db.execute(
                "SELECT c.sha, c.seq, s.reason FROM skips s JOIN commits c ON c.id = s.commit_id "
                "WHERE s.reason LIKE '%missing object %' ORDER BY c.seq, s.rowid"
            )
        ]

    def touched_paths(self, shas: Iterable[str]) -> set[str]:
        """Paths whose lineage state these stored commits change (changes, merge sources)."""
        ids = [seq for seq, _ in self.stored(shas).values()]
        out: set[str] = set()
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for path, old_path in self.db.execute(
                f"SELECT path, old_path FROM changes WHERE commit_id IN ({marks})", part
            ):
                out.add(path)
                if old_path is not None:
                    out.add(old_path)
            out.update(
                row[0]
                for row in self.db.execute(
                    f"SELECT path FROM merge_sources WHERE commit_id IN ({marks})", part
                )
            )
        return out

    def next_seq(self) -> int:
        """The sequence number for the next commit stored."""
        row = self.db.execute("SELECT max(id) FROM commits").fetchone()  # id is seq
        return 0 if row[0] is None else int(row[0]) + 1

    def commits_with_patch(self, patch_id: str) -> list[str]:
        """Stored commits whose Python changes have this patch id, in history order."""
        rows = self.db.execute(
            "SELECT sha FROM commits WHERE patch_id = ? ORDER BY seq", (patch_id,)
        )
        return [row[0] for row in rows]

    def count(self, table: str) -> int:
        """Rows in ``commits``, ``changes`` or ``skips``."""
        assert table in ("commits", "changes", "skips")
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

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
        """Drop commits and what they recorded.

        The head's files, functions and state stay as they were (what a new head's
        are worked out from); its state is no longer read once its commit is gone
        (:meth:`tip_state`).

        Returns how many commits were dropped. The names the dropped changes gave are
        worked out again from the changes left of their lineages.
        """
        found = self.stored(shas)
        ids = [seq for seq, _ in found.values()]
        tip = self._tip()
        lineages: set[str] = set()
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            lineages.update(
                row[0]
                for row in self.db.execute(
                    f"SELECT DISTINCT lineage FROM changes WHERE commit_id IN ({marks})", part
                )
            )
            self.db.execute(f"DELETE FROM commits WHERE id IN ({marks})", part)
        self.db.execute("DELETE FROM meta WHERE key = ?", (COMPLETE,))
        if tip is not None and tip[0] in found:
            self.set_meta(TIP, "")  # even if it is stored again, with the same number
        self._rebuild_names(lineages)
        return len(ids)

    def _rebuild_names(self, lineages: set[str]) -> None:
        """Work out again the names of these lineages from their stored changes."""
        if len(lineages) > NAMES_REBUILT_WHOLE:
            self._rebuild_all_names()
            return
        for lineage in lineages:
            self.db.execute("DELETE FROM names WHERE lineage = ?", (lineage,))
            rows: dict[tuple[str, str, str], list[int]] = {}
            for path, qualname, old_path, old_qualname, seq in self.db.execute(
                "SELECT ch.path, ch.qualname, ch.old_path, ch.old_qualname, c.seq "
                "FROM changes ch JOIN commits c ON c.id = ch.commit_id WHERE ch.lineage = ?",
                (lineage,),
            ):
                _note_name(rows, lineage, path, qualname, seq)
                if old_path is not None and old_qualname is not None:
                    _note_name(rows, lineage, old_path, old_qualname, seq)
            self.db.executemany(_NAME_UPSERT, _name_rows(rows))

    def _rebuild_all_names(self) -> None:
        self.db.execute("DELETE FROM names")
        rows: dict[tuple[str, str, str], list[int]] = {}
        for lineage, path, qualname, old_path, old_qualname, seq in self.db.execute(
            "SELECT ch.lineage, ch.path, ch.qualname, ch.old_path, ch.old_qualname, c.seq "
            "FROM changes ch JOIN commits c ON c.id = ch.commit_id"
        ):
            _note_name(rows, lineage, path, qualname, seq)
            if old_path is not None and old_qualname is not None:
                _note_name(rows, lineage, old_path, old_qualname, seq)
        self.db.executemany(_NAME_UPSERT, _name_rows(rows))

    def clear(self) -> None:
        """Drop everything rebuilt from git (inside the caller's transaction)."""
        for table in reversed(GIT_TABLES):
            self.db.execute(f"DELETE FROM {table}")

    def add_commits(self, batch: Sequence[CommitBatch]) -> None:
        """Store commits, their changes, skips, merge sources and names (caller's transaction).

        The sequence number of each item is also the commit's row id. The index is no
        longer known to be complete until the run ends.
        """
        self.db.execute("DELETE FROM meta WHERE key = ?", (COMPLETE,))
        commits: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        skips: list[tuple[Any, ...]] = []
        sources: list[tuple[Any, ...]] = []
        names: dict[tuple[str, str, str], list[int]] = {}
        for seq, meta, commit_changes, commit_skips, commit_sources, patch, copy in batch:
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
                    patch,
                    copy,
                )
            )
            for c, lineage in commit_changes:
                changes.append(
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
                )
                _note_name(names, lineage, c.path, c.qualname, seq)
                if c.old_path is not None and c.old_qualname is not None:
                    _note_name(names, lineage, c.old_path, c.old_qualname, seq)
            skips.extend((seq, *skip) for skip in commit_skips)
            for source in commit_sources or ():
                if source.lineages:
                    sources.extend(
                        (seq, source.path, source.parent, q, lin) for q, lin in source.lineages
                    )
                else:
                    sources.append((seq, source.path, source.parent, None, None))
        self.db.executemany(
            "INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            commits,
        )
        self.db.executemany(
            "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", changes
        )
        self.db.executemany(_NAME_UPSERT, _name_rows(names))
        self.db.executemany("INSERT INTO skips VALUES (?, ?, ?, ?)", skips)
        self.db.executemany("INSERT INTO merge_sources VALUES (?, ?, ?, ?, ?)", sources)

    # -- commits extracted, not yet stored -----------------------------------------------

    def stage(self, options: str, results: Iterable[tuple[str, bytes]]) -> None:
        """Keep extracted commits that cannot be stored yet (caller's transaction).

        Commits are stored in history order; a worker's results for later commits
        wait here, so that an interrupted run does not lose them. ``results`` are
        (sha, serialized result) of an indexing run with the ``options`` fingerprint.
        """
        self.db.executemany(
            "INSERT OR REPLACE INTO staged VALUES (?, ?, ?)",
            ((sha, options, data) for sha, data in results),
        )

    def staged(self, options: str) -> set[str]:
        """Commits kept by :meth:`stage` for runs with these options."""
        return {
            row[0]
            for row in self.db.execute("SELECT sha FROM staged WHERE options = ?", (options,))
        }

    def staged_results(self, shas: Sequence[str]) -> dict[str, bytes]:
        """The kept results of these commits."""
        out: dict[str, bytes] = {}
        for chunk in range(0, len(shas), 500):
            part = list(shas[chunk : chunk + 500])
            marks = ",".join("?" * len(part))
            out.update(
                self.db.execute(f"SELECT sha, result FROM staged WHERE sha IN ({marks})", part)
            )
        return out

    def unstage(self, shas: Sequence[str], *, keep: str | None = None) -> None:
        """Forget kept results (caller's transaction).

        Those of ``shas`` (once stored); or, with ``keep``, every one that is not of a
        run with those options or not among ``shas``.
        """
        if keep is not None:
            wanted = set(shas)
            gone = [
                sha
                for sha, options in self.db.execute("SELECT sha, options FROM staged")
                if options != keep or sha not in wanted
            ]
        else:
            gone = list(shas)
        for chunk in range(0, len(gone), 500):
            part = gone[chunk : chunk + 500]
            self.db.execute(f"DELETE FROM staged WHERE sha IN ({','.join('?' * len(part))})", part)

    def _tip(self) -> tuple[str, int] | None:
        """The stored commit (sha, sequence number) whose state ``tip_state`` holds."""
        tip = self.meta(TIP)
        if tip is None:  # an index from before it was recorded: the head's
            head = self.meta("head")
            found = self.stored([head]).get(head) if head else None
            return None if found is None or head is None else (head, found[0])
        sha, _, seq = tip.partition(" ")
        found = self.stored([sha]).get(sha) if sha else None
        return None if found is None or str(found[0]) != seq else (sha, found[0])

    def tip_state(self) -> tuple[str | None, State]:
        """A stored commit and its lineage state: the head's, or a long run's last checkpoint.

        ``(None, {})`` when the state stored is not that of a stored commit any more
        (its commit was dropped, or dropped and indexed again since).
        """
        tip = self._tip()
        if tip is None:
            return None, {}
        state: State = {}
        for path, qualname, lineage in self.db.execute(
            "SELECT path, qualname, lineage FROM tip_state"
        ):
            state.setdefault(path, {})[qualname] = lineage
        return tip[0], state

    def tip_seq(self) -> int | None:
        """The sequence number of the commit whose state is stored (see :meth:`tip_state`)."""
        tip = self._tip()
        return None if tip is None else tip[1]

    def save_state(self, sha: str, state: State) -> None:
        """Store the state of a stored commit in place of the head's (caller's transaction).

        A long run does so now and then, so that the next run after an interruption
        replays only what was stored since.
        """
        self.db.execute("DELETE FROM tip_state")
        self.db.executemany(
            "INSERT INTO tip_state VALUES (?, ?, ?)",
            [(p, q, lin) for p, inner in state.items() for q, lin in inner.items()],
        )
        found = self.stored([sha]).get(sha)
        self.set_meta(TIP, "" if found is None else f"{sha} {found[0]}")

    def save_head(
        self,
        head: str,
        state: State,
        files: dict[str, str],
        functions: Iterable[tuple[str, str, int, int, str]],
    ) -> None:
        """Store the head's lineage state, files and functions (caller's transaction).

        Each function is ``(path, qualname, start line, end line, lineage)``.
        """
        self.db.execute("DELETE FROM tip_state")
        self.db.execute("DELETE FROM head_files")
        self.db.execute("DELETE FROM head_functions")
        self._add_head(head, state, files, functions)

    def update_head(
        self,
        head: str,
        state: State,
        paths: Collection[str],
        files: dict[str, str],
        functions: Iterable[tuple[str, str, int, int, str]],
    ) -> None:
        """Store a new head whose state, files and functions differ just in ``paths``.

        As :meth:`save_head`, given only what those paths have at the new head (the
        state of each, its file if it has one, its functions).
        """
        names = sorted(paths)
        for chunk in range(0, len(names), 250):
            part = names[chunk : chunk + 250]
            marks = ",".join("?" * len(part))
            for table in ("tip_state", "head_files", "head_functions"):
                self.db.execute(f"DELETE FROM {table} WHERE path IN ({marks})", part)
        self._add_head(head, {p: state[p] for p in names if p in state}, files, functions)

    def _add_head(
        self,
        head: str,
        state: State,
        files: dict[str, str],
        functions: Iterable[tuple[str, str, int, int, str]],
    ) -> None:
        self.db.executemany(
            "INSERT INTO tip_state VALUES (?, ?, ?)",
            [(p, q, lin) for p, inner in state.items() for q, lin in inner.items()],
        )
        self.db.executemany("INSERT INTO head_files VALUES (?, ?)", files.items())
        self.db.executemany(
            "INSERT INTO head_functions VALUES (?, ?, ?, ?, ?, ?)",
            ((p, q, s, e, lin, tail(q)) for p, q, s, e, lin in functions),
        )
        self.set_meta("head", head)
        found = self.stored([head]).get(head) if head else None
        self.set_meta(TIP, "" if found is None else f"{head} {found[0]}")

    def head_blobs(self, paths: Iterable[str]) -> dict[str, str]:
        """The stored head's blobs of these paths (those it has)."""
        names = sorted(set(paths))
        out: dict[str, str] = {}
        for chunk in range(0, len(names), 250):
            part = names[chunk : chunk + 250]
            marks = ",".join("?" * len(part))
            out.update(
                self.db.execute(f"SELECT path, blob FROM head_files WHERE path IN ({marks})", part)
            )
        return out

    def head_spans_by_path(
        self, paths: Iterable[str] | None = None
    ) -> dict[str, list[tuple[str, int, int, str]]]:
        """The stored head's functions ``(qualname, start, end, lineage)``, by file.

        Of every file, or of just ``paths``.
        """
        sql = "SELECT path, qualname, start_line, end_line, lineage FROM head_functions"
        rows: list[tuple[str, str, int, int, str]] = []
        if paths is None:
            rows.extend(self.db.execute(sql))
        else:
            names = sorted(set(paths))
            for chunk in range(0, len(names), 250):
                part = names[chunk : chunk + 250]
                marks = ",".join("?" * len(part))
                rows.extend(self.db.execute(f"{sql} WHERE path IN ({marks})", part))
        out: dict[str, list[tuple[str, int, int, str]]] = {}
        for path, qualname, start, end, lineage in rows:
            out.setdefault(path, []).append((qualname, start, end, lineage))
        return out

    def parents(self) -> dict[str, tuple[str, ...]]:
        """Every stored commit's parents."""
        return {
            sha: tuple(p.split()) for sha, p in self.db.execute("SELECT sha, parents FROM commits")
        }

    def parents_after(self, seq: int) -> dict[str, tuple[int, tuple[str, ...]]]:
        """Stored commits after this sequence number: sha to (sequence number, parents)."""
        return {
            sha: (commit_seq, tuple(parents.split()))
            for sha, commit_seq, parents in self.db.execute(
                "SELECT sha, id, parents FROM commits WHERE id > ?", (seq,)
            )
        }

    def replay_rows(self, shas: Iterable[str]) -> Iterator[ReplayRow]:
        """Stored rows of the given commits, in sequence order (what a lineage replay needs)."""
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
        change_sql = "SELECT commit_id, path, qualname, old_path, old_qualname, kind, lineage "
        change_sql += "FROM changes"
        source_sql = "SELECT commit_id, path, parent, qualname, lineage FROM merge_sources"
        change_rows: list[tuple[Any, ...]] = []
        source_rows: list[tuple[Any, ...]] = []
        if len(by_id) <= REPLAY_BY_COMMIT:
            # A few commits: their rows by index, not every row of the tables.
            keys = sorted(by_id)
            for chunk in range(0, len(keys), 500):
                batch = keys[chunk : chunk + 500]
                marks = ",".join("?" * len(batch))
                change_rows.extend(
                    self.db.execute(
                        f"{change_sql} WHERE commit_id IN ({marks}) ORDER BY rowid", batch
                    )
                )
                source_rows.extend(
                    self.db.execute(
                        f"{source_sql} WHERE commit_id IN ({marks}) ORDER BY rowid", batch
                    )
                )
        else:
            change_rows.extend(self.db.execute(change_sql))
            source_rows.extend(self.db.execute(source_sql))
        changes: dict[int, list[tuple[Any, ...]]] = {}
        for row in change_rows:
            if row[0] in by_id:
                changes.setdefault(row[0], []).append(row[1:])
        sources: dict[int, list[tuple[Any, ...]]] = {}
        for row in source_rows:
            if row[0] in by_id:
                sources.setdefault(row[0], []).append(row[1:])
        for commit_id in sorted(by_id):  # the id is the sequence number
            sha, parents = by_id[commit_id]
            yield (
                sha,
                tuple(parents.split()),
                changes.get(commit_id, []),
                sources.get(commit_id, []),
            )

    def rows_touching(self, paths: Iterable[str]) -> list[ReplayRow]:
        """Stored rows that change the lineage states of these paths, by commit in order.

        Changes to, from or inside the paths, and merge sources of them; commits
        without any are left out (see :func:`loopintel.history.lineage.replay_touching`).
        """
        columns = "commit_id, path, qualname, old_path, old_qualname, kind, lineage"
        changes: dict[int, tuple[Any, ...]] = {}
        sources: list[tuple[Any, ...]] = []
        names = sorted(set(paths))
        for chunk in range(0, len(names), 250):
            part = names[chunk : chunk + 250]
            marks = ",".join("?" * len(part))
            for rowid, *row in self.db.execute(
                f"SELECT rowid, {columns} FROM changes WHERE path IN ({marks})", part
            ):
                changes[rowid] = tuple(row)
            # Changes from these paths to others (renames, moves): found through the
            # lineages that had names there (old_path has no index of its own).
            lineages = [
                row[0]
                for row in self.db.execute(
                    f"SELECT DISTINCT lineage FROM names WHERE path IN ({marks})", part
                )
            ]
            for start in range(0, len(lineages), 500):
                some = lineages[start : start + 500]
                for rowid, *row in self.db.execute(
                    f"SELECT rowid, {columns} FROM changes WHERE lineage IN "
                    f"({','.join('?' * len(some))}) AND old_path IN ({marks})",
                    [*some, *part],
                ):
                    changes[rowid] = tuple(row)
            sources.extend(
                self.db.execute(
                    "SELECT commit_id, path, parent, qualname, lineage FROM merge_sources "
                    f"WHERE path IN ({marks}) ORDER BY rowid",
                    part,
                )
            )
        by_commit: dict[int, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = {}
        for rowid in sorted(changes):
            row = changes[rowid]
            by_commit.setdefault(row[0], ([], []))[0].append(row[1:])
        for row in sources:
            by_commit.setdefault(row[0], ([], []))[1].append(row[1:])
        ids = sorted(by_commit)
        out: list[ReplayRow] = []
        for chunk in range(0, len(ids), 500):
            part_ids = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part_ids))
            for commit_id, sha, parents in self.db.execute(
                f"SELECT id, sha, parents FROM commits WHERE id IN ({marks}) ORDER BY id",
                part_ids,
            ):
                change_rows, source_rows = by_commit[commit_id]
                out.append((sha, tuple(parents.split()), change_rows, source_rows))
        return out


def _note_name(
    rows: dict[tuple[str, str, str], list[int]], lineage: str, path: str, qualname: str, seq: int
) -> None:
    span = rows.get((lineage, path, qualname))
    if span is None:
        rows[lineage, path, qualname] = [seq, seq]
    else:
        span[0] = min(span[0], seq)
        span[1] = max(span[1], seq)


def _name_rows(
    rows: dict[tuple[str, str, str], list[int]],
) -> Iterator[tuple[str, str, str, str, int, int]]:
    for (lineage, path, qualname), (first, last) in rows.items():
        yield lineage, path, qualname, tail(qualname), first, last
