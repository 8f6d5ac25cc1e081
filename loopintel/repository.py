"""The facade: ``loopintel.open(path)`` indexes a repository and answers questions."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from loopintel.errors import (
    AmbiguousFunction,
    FunctionNotFound,
    IndexLocationError,
    InvalidQuery,
    PathNotFound,
)
from loopintel.history.git import GitRepository
from loopintel.indexing import IndexOptions, index_repository, state_loader
from loopintel.languages import python
from loopintel.model import (
    Change,
    ChangeKind,
    ChangeType,
    CoverageSnapshot,
    Expert,
    Function,
    FunctionRef,
    IndexSummary,
    KeyAuthor,
    Skip,
    TruckFactor,
)
from loopintel.code import SourceReader, checked_prefixes
from loopintel.store import Store, default_index_path
from loopintel.tables import Records
from loopintel.views import FunctionView, ranked_experts

if TYPE_CHECKING:
    import concurrent.futures
    import os
    from collections.abc import Callable, Iterable, Iterator

    from loopintel.model import IndexProgress

__all__ = ["Repository", "open"]

Moment = datetime | date | str
"""A point in time: an aware or naive (UTC) datetime, a date, or an ISO 8601 string."""


def _timestamp(value: Moment, argument: str) -> int:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidQuery(argument, value, "an ISO 8601 date or datetime") from exc
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tzinfo=UTC)
    else:
        raise InvalidQuery(argument, value, "a datetime, a date or an ISO 8601 string")
    return int(moment.timestamp())


_POSITION = re.compile(r"^(.+):(\d+)$")


def _plain(qualname: str) -> str:
    return qualname.replace(".<locals>.", ".")


def _matching(query: str, rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Rows ``(path, qualname, lineage)`` a lookup names (see ``Repository.function``)."""
    if "::" in query:
        try:
            ref = FunctionRef.parse(query)
        except ValueError as exc:
            raise InvalidQuery("function", query, "'path::qualname' with both parts") from exc
        return [r for r in rows if (r[0], r[1]) == (ref.path, ref.qualname)]
    plain = _plain(query)
    out = []
    for row in rows:
        candidate = _plain(row[1])
        if candidate == plain or candidate.endswith("." + plain):
            out.append(row)
    return out


def _like_prefix(path: str) -> str:
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.rstrip("/") + "/%"


def _under(column: str, path: str) -> tuple[str, list[str]]:
    """SQL condition (and parameters): ``column`` is ``path`` or under it; ``""``: any."""
    if not path:
        return "1", []
    return f"({column} = ? OR {column} LIKE ? ESCAPE '\\')", [path, _like_prefix(path)]


class Repository:
    """An indexed git repository.

    Built by :func:`open`; holds the index connection (close it, or use ``with``).
    """

    def __init__(
        self,
        git: GitRepository,
        store: Store,
        options: IndexOptions,
        *,
        deprecated: tuple[str, ...] | None = None,
    ) -> None:
        self._git = git
        self._store = store
        self._options = options
        self._source = SourceReader(git, store, deprecated=deprecated)
        self.last_index: IndexSummary | None = None
        """What the latest indexing run of this object did."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<loopintel.Repository {self.path!r} head={self.head and self.head[:12]}>"

    def close(self) -> None:
        """Close the index."""
        self._store.close()

    @property
    def path(self) -> str:
        """The work tree (or the git dir of a bare repository)."""
        return self._git.workdir or self._git.git_dir

    @property
    def git_dir(self) -> str:
        """The git directory."""
        return self._git.git_dir

    @property
    def index_path(self) -> Path:
        """Where the index lives."""
        return self._store.path

    @property
    def head(self) -> str | None:
        """The indexed head commit (``None`` before indexing or when empty)."""
        return self._store.meta("head") or None

    def update(
        self,
        *,
        progress: Callable[[IndexProgress], None] | None = None,
        executor: concurrent.futures.Executor | None = None,
    ) -> IndexSummary:
        """Index commits not yet indexed (and drop those a rewrite made unreachable).

        Args:
            progress: called with an :class:`~loopintel.IndexProgress` as work advances.
            executor: where to run extraction chunks (a process pool, Dask's
                ``client.get_executor()``...); default: a local process pool for large
                runs, in-process for small ones.

        """
        with self._store.writer():
            summary = index_repository(
                self._git, self._store, self._options, executor=executor, progress=progress
            )
        self.last_index = summary
        return summary

    # -- queries -------------------------------------------------------------------------

    def _lineages(self, function: str) -> list[str]:
        """Every lineage that has, or ever had, a name ``function`` matches."""
        names, _ = self._past_names()
        rows = [*self._store.head_function_rows(), *names]
        return sorted({lineage for _, _, lineage in _matching(function.strip(), rows)})

    def _past_names(self) -> tuple[list[tuple[str, str, str]], dict[str, tuple[str, str, str]]]:
        """Every (path, qualname, lineage) a function had, and each lineage's latest."""
        latest: dict[str, tuple[str, str, str]] = {}
        names: list[tuple[str, str, str]] = []
        for path, qualname, old_path, old_qualname, lineage in self._store.db.execute(
            "SELECT ch.path, ch.qualname, ch.old_path, ch.old_qualname, ch.lineage "
            "FROM changes ch JOIN commits c ON c.id = ch.commit_id ORDER BY c.seq"
        ):
            latest[lineage] = (path, qualname, lineage)
            names.append((path, qualname, lineage))
            if old_path is not None and old_qualname is not None:
                names.append((old_path, old_qualname, lineage))
        return names, latest

    def function(self, query: str, *, at: str | None = None) -> FunctionView:
        """Find one function, at the indexed head or in the past.

        Args:
            query: ``path::qualname`` (canonical), ``path:line`` (the innermost
                function containing that line at the head), or a qualified name or
                its dotted tail (``wsgi_app``, ``Flask.wsgi_app``; ``<locals>`` may be
                left out: ``outer.inner``). Functions at the head are preferred; a name
                found only in the past (a deleted function) is looked up there.
            at: look the function up as it was at this commit (any ref) instead:
                names and lines are those of that commit's tree.

        Raises:
            FunctionNotFound: nothing matches (the closest names are suggested).
            AmbiguousFunction: several functions match (all are listed).
            InvalidQuery: ``at`` is not a commit of the indexed history.

        Example:
            >>> repo.function("app.py::create_app").last_changed.commit  # doctest: +SKIP

        """
        text = query.strip()
        if at is not None:
            return self._function_at(query, text, at)
        position = _POSITION.match(text)
        if position is not None and "::" not in text:
            path, line = self._relative(position.group(1)), int(position.group(2))
            row = self._store.db.execute(
                "SELECT path, qualname, lineage FROM head_functions "
                "WHERE path = ? AND start_line <= ? AND end_line >= ? "
                "ORDER BY end_line - start_line LIMIT 1",
                (path, line, line),
            ).fetchone()
            if row is None:
                raise FunctionNotFound(query, self._closest(f"{path}::"))
            return FunctionView(
                self._store, FunctionRef(row[0], row[1]), row[2], at_head=True, source=self._source
            )
        head = self._store.head_function_rows()
        found = _matching(text, head)
        if not found:
            # Not at the head: any name a function ever had, followed to its latest.
            names, latest = self._past_names()
            found = [latest[lineage] for lineage in {r[2] for r in _matching(text, names)}]
        return self._one(query, text, found)

    def _one(
        self, query: str, text: str, found: list[tuple[str, str, str]], at: str | None = None
    ) -> FunctionView:
        """The view of the one function ``found`` names, or the error saying why not."""
        lineages = {lineage for _, _, lineage in found}
        if not lineages:
            raise FunctionNotFound(query, self._closest(text))
        if len(lineages) > 1:
            raise AmbiguousFunction(query, tuple(sorted({f"{p}::{q}" for p, q, _ in found})))
        path, qualname, lineage = found[0]
        return self._view(FunctionRef(path, qualname), lineage, at)

    def _view(self, ref: FunctionRef, lineage: str, at: str | None = None) -> FunctionView:
        head = self._store.head_function_rows()
        at_head = any(row[2] == lineage for row in head)
        return FunctionView(self._store, ref, lineage, at_head=at_head, source=self._source, at=at)

    def _function_at(self, query: str, text: str, at: str) -> FunctionView:
        sha = self._git.resolve(at)
        if sha is None or sha not in self._store.indexed():
            raise InvalidQuery("at", at, "a commit of the indexed history")
        state = state_loader(self._store)(sha)
        position = _POSITION.match(text)
        if position is not None and "::" not in text:
            path, line = self._relative(position.group(1)), int(position.group(2))
            blob = self._git.blob_at(sha, path)
            layout = python.parse_layout(self._git.blob(blob)).layout if blob else None
            spans = python.function_spans(layout) if layout is not None else []
            around = [s for s in spans if s.start <= line <= s.end]
            inner = min(around, key=lambda s: s.end - s.start, default=None)
            lineage = state.get(path, {}).get(inner.qualname) if inner is not None else None
            if inner is None or lineage is None:
                raise FunctionNotFound(query)
            return self._view(FunctionRef(path, inner.qualname), lineage, sha)
        rows = [(p, q, lin) for p, names in state.items() for q, lin in names.items()]
        return self._one(query, text, _matching(text, rows), sha)

    def _relative(self, path: str) -> str:
        """A path as the index spells it: relative to the repository root, ``/``-separated.

        An absolute path inside the work tree is made relative; ``./`` is dropped.
        """
        text = path.replace("\\", "/")
        workdir = self._git.workdir
        if workdir and Path(text).is_absolute():
            try:
                text = Path(text).resolve().relative_to(workdir).as_posix()
            except ValueError as exc:
                raise InvalidQuery("path", path, f"a path inside {workdir}") from exc
        while text.startswith("./"):
            text = text[2:]
        return "" if text == "." else text.strip("/")

    def _closest(self, query: str) -> tuple[str, ...]:
        # Old names first, so that a name at the head wins over the same name in the past.
        rows = [
            *self._store.db.execute("SELECT DISTINCT path, qualname FROM changes"),
            *self._store.db.execute("SELECT path, qualname FROM head_functions"),
        ]
        by_tail = {q: f"{p}::{q}" for p, q in rows}
        tail = query.rsplit("::", 1)[-1]
        close = difflib.get_close_matches(tail, list(by_tail), n=5, cutoff=0.6)
        return tuple(by_tail[c] for c in close)

    def changes(
        self,
        *,
        path: str | None = None,
        function: str | None = None,
        author: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        kinds: tuple[ChangeKind, ...] | None = None,
        cosmetic: bool = True,
    ) -> Iterator[Change]:
        """Function changes, oldest first (topological order of commits).

        Args:
            path: a file, or a directory (everything under it).
            function: ``path::qualname`` or a (dotted suffix of a) qualified name;
                follows the function's lineage through renames and moves.
            author: author email or name after ``.mailmap`` (case-insensitive).
            since: only changes authored at or after this moment.
            until: only changes authored before this moment.
            kinds: only these kinds of change.
            cosmetic: include changes that touched only formatting or comments.

        Raises:
            FunctionNotFound: ``function`` matches no function (the closest names are
                suggested).
            InvalidQuery: a malformed date, kind or path.

        Example:
            >>> for change in repo.changes(path="src/flask/app.py"):  # doctest: +SKIP
            ...     print(change.commit[:8], change.qualname, change.change_types)

        """
        clauses: list[str] = []
        params: list[Any] = []
        if path is not None:
            clean = self._relative(path)
            clauses.append("(ch.path = ? OR ch.path LIKE ? ESCAPE '\\' OR ch.old_path = ?)")
            params += [clean, _like_prefix(clean), clean]
        if function is not None:
            lineages = self._lineages(function)
            if not lineages:
                raise FunctionNotFound(function, self._closest(function))
            clauses.append(f"ch.lineage IN ({','.join('?' * len(lineages))})")
            params += lineages
        if author is not None:
            clauses.append("(lower(c.author_email) = lower(?) OR lower(c.author_name) = lower(?))")
            params += [author, author]
        if since is not None:
            clauses.append("c.authored_at >= ?")
            params.append(_timestamp(since, "since"))
        if until is not None:
            clauses.append("c.authored_at < ?")
            params.append(_timestamp(until, "until"))
        if kinds:
            clauses.append(f"ch.kind IN ({','.join('?' * len(kinds))})")
            try:
                params += [ChangeKind(k).value for k in kinds]
            except ValueError as exc:
                expected = "kinds among " + ", ".join(k.value for k in ChangeKind)
                raise InvalidQuery("kinds", kinds, expected) from exc
        if not cosmetic:
            clauses.append("ch.types != ?")
            params.append(ChangeType.COSMETIC.bit)
        for row in self._store.changes(" AND ".join(clauses), params):
            yield Change.from_row(row)

    def functions(self, *, path: str | None = None) -> Records[Function]:
        """The functions at the indexed head, by file and position.

        Args:
            path: a file, or a directory (everything under it).

        """
        sql = (
            "SELECT h.path, h.qualname, h.start_line, h.end_line, h.lineage, "
            "(SELECT ch.complexity FROM changes ch JOIN commits c ON c.id = ch.commit_id "
            " WHERE ch.lineage = h.lineage ORDER BY c.seq DESC LIMIT 1), "
            "(SELECT c.sha FROM changes ch JOIN commits c ON c.id = ch.commit_id "
            " WHERE ch.lineage = h.lineage ORDER BY c.seq DESC LIMIT 1) "
            "FROM head_functions h"
        )
        params: list[Any] = []
        if path is not None:
            clean = self._relative(path)
            sql += " WHERE h.path = ? OR h.path LIKE ? ESCAPE '\\'"
            params += [clean, _like_prefix(clean)]
        sql += " ORDER BY h.path, h.start_line, h.qualname"
        return Records(
            Function(
                ref=FunctionRef(p, q),
                start_line=s,
                end_line=e,
                complexity=cx,
                lineage=lin,
                last_commit=last or "",
            )
            for p, q, s, e, lin, cx, last in self._store.db.execute(sql, params)
        )

    def skipped(self) -> Records[Skip]:
        """File versions whose functions could not be read, with the reason."""
        return Records(
            Skip(commit=c, path=p, blob=b, reason=r) for c, p, b, r in self._store.skips()
        )

    def import_coverage(
        self,
        file: str | os.PathLike[str],
        *,
        commit: str | None = None,
        format: str | None = None,  # noqa: A002 - the coverage file's format
    ) -> CoverageSnapshot:
        """Import a coverage file, measured at ``commit``, and keep it as a snapshot.

        Every measured file found in the commit's tree is read as it was at that
        commit and its functions are measured from their bodies (see
        :class:`~loopintel.FunctionCoverage`). Earlier snapshots are kept, so
        :meth:`FunctionView.coverage_history` follows a function over time.

        Args:
            file: coverage.py's data file (``.coverage``; needs coverage.py installed)
                or JSON report, Cobertura XML, or LCOV.
            commit: the commit the tests ran on (any ref; default: the indexed head).
            format: ``coverage.py``, ``json``, ``cobertura`` or ``lcov``; recognised
                from the content when not given.

        Raises:
            CoverageDataError: the file cannot be read (the message says where).
            InvalidQuery: ``commit`` is not a commit of the indexed history.
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        if self._store.readonly:
            raise IndexLocationError(
                str(self._store.path), "opened read-only (update=False); cannot import"
            )
        target = commit if commit is not None else self.head
        sha = self._git.resolve(target) if target is not None else None
        if sha is None or sha not in self._store.indexed():
            raise InvalidQuery("commit", commit, "a commit of the indexed history")
        from loopintel import snapshots  # noqa: PLC0415 - loaded on use: opening stays quick

        snapshot = snapshots.import_coverage(self._git, self._store, file, sha, format=format)
        return CoverageSnapshot.from_row(self._store.coverage_snapshots(only=snapshot)[0])

    def delete_coverage(self, snapshot: int) -> None:
        """Drop an imported snapshot (a wrong file, the wrong commit).

        Raises:
            InvalidQuery: there is no snapshot with that id.
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        if self._store.readonly:
            raise IndexLocationError(
                str(self._store.path), "opened read-only (update=False); cannot delete"
            )
        if not self._store.delete_coverage(snapshot):
            raise InvalidQuery("snapshot", snapshot, "the id of an imported coverage snapshot")

    def coverage_snapshots(self) -> Records[CoverageSnapshot]:
        """Every imported coverage snapshot, oldest import first."""
        return Records(CoverageSnapshot.from_row(row) for row in self._store.coverage_snapshots())

    @property
    def deprecated_prefixes(self) -> tuple[str, ...]:
        """Module prefixes whose use marks code deprecated (see ``FunctionView.deprecation``).

        Those given to :func:`open`, else ``[tool.loopintel] deprecated`` of the
        ``pyproject.toml`` at the indexed head.

        Raises:
            InvalidConfiguration: that setting is malformed.

        """
        return self._source.prefixes()

    def commit_count(self) -> int:
        """Commits in the index."""
        return self._store.count("commits")

    # -- ownership: files and directories ------------------------------------------------

    def experts(
        self,
        path: str = ".",
        *,
        half_life_days: float | None = 365.0,
        inactive_after_days: float = 365.0,
    ) -> Records[Expert]:
        """Who knows a file or a directory, best first: degree of authorship of its code.

        The file or directory is taken as one body of code: the functions in it at the
        indexed head, followed through their lineages (renames and moves), each commit
        that changed any of them counted once. The first author is whoever introduced
        the oldest of those functions. Code outside functions is not in the index and
        not counted. See ``docs/ownership.md``.

        Args:
            path: a file or a directory, relative to the repository root (or absolute
                inside the work tree); ``.`` or ``""`` for the whole repository.
            half_life_days: a change this old counts half (older ones less); ``None``
                counts every change fully.
            inactive_after_days: an author without any commit in the repository for
                this long before the indexed head is flagged ``active=False``.

        Raises:
            PathNotFound: no Python file at the indexed head is, or is under, ``path``
                (the closest paths are suggested).

        Example:
            >>> repo.experts("src/flask")[0].email  # doctest: +SKIP
            'davidism@gmail.com'

        """
        from loopintel.analysis.knowledge import Touch  # noqa: PLC0415 - numpy on first use

        _, _, rows = self._ownership_rows(path)
        touches: dict[int, Touch] = {}
        names: dict[str, str] = {}
        first: int | None = None
        for _, seq, email, name, when, added in rows:
            names[email] = name  # rows come oldest first: the latest name wins
            if first is None and added:
                first = seq
            if seq not in touches:
                touches[seq] = Touch(email, when, seq == first)
        return ranked_experts(
            self._store, list(touches.values()), names, half_life_days, inactive_after_days
        )

    def truck_factor(
        self,
        path: str = ".",
        *,
        half_life_days: float | None = None,
        inactive_after_days: float = 365.0,
    ) -> TruckFactor:
        """The truck factor of a directory (or file), after Avelino et al.

        Each file's authors are those with an absolute degree of authorship of at least
        3.293 and more than 0.75 of the file's highest (file knowledge as in
        :meth:`experts`, one file at a time). The author of the most files is removed,
        then the next, until more than half of the files are left without an author;
        the truck factor is how many were removed. Files without functions at the
        indexed head are not counted.

        Args:
            path: a directory or a file, as for :meth:`experts`.
            half_life_days: recency decay of the file knowledge. The default, ``None``,
                is Avelino et al.'s undecayed authorship, for which the 3.293 threshold
                was calibrated; with a decay, files reworked by many people recently
                may have no author at all.
            inactive_after_days: removed authors without a commit for this long before
                the indexed head are flagged ``active=False``.

        Raises:
            PathNotFound: as for :meth:`experts`.

        Example:
            >>> repo.truck_factor("src/flask").factor  # doctest: +SKIP
            2

        """
        import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

        from loopintel.analysis.knowledge import (  # noqa: PLC0415
            authorship_table,
            greedy_truck_factor,
        )

        clean, files, rows = self._ownership_rows(path)
        file_index = {f: i for i, f in enumerate(files)}
        emails = sorted({row[2] for row in rows})
        author_index = {e: i for i, e in enumerate(emails)}
        names: dict[str, str] = {}
        introduced: set[str] = set()
        flags = []
        for file, _, email, name, _, added in rows:
            names[email] = name
            flags.append(bool(added) and file not in introduced)
            if added:
                introduced.add(file)
        count = len(rows)
        head_time = self._store.head_time()
        table = authorship_table(
            np.fromiter((file_index[r[0]] for r in rows), dtype=np.int64, count=count),
            np.fromiter((author_index[r[2]] for r in rows), dtype=np.int64, count=count),
            np.fromiter((r[4] for r in rows), dtype=np.int64, count=count),
            np.array(flags, dtype=bool),
            now=head_time,
            half_life_days=half_life_days,
        )
        result = greedy_truck_factor(table, len(files))
        last_seen = self._store.last_commit_times()
        active_since = head_time - inactive_after_days * 86400
        return TruckFactor(
            path=clean or ".",
            factor=result.factor,
            files=len(files),
            authored=result.authored_before,
            authors=tuple(
                KeyAuthor(
                    name=names[emails[a]],
                    email=emails[a],
                    files=files_,
                    orphaned=lost,
                    active=last_seen.get(emails[a], 0) >= active_since,
                )
                for a, files_, lost in zip(
                    result.removed, result.authored, result.orphaned_by, strict=True
                )
            ),
            orphaned=tuple(f for f, gone in zip(files, result.orphaned, strict=True) if gone),
        )

    def _ownership_rows(
        self, path: str
    ) -> tuple[str, list[str], list[tuple[str, int, str, str, int, int]]]:
        """The scope of :meth:`experts` and :meth:`truck_factor`.

        Returns the clean path, the files with functions under it (sorted), and one row
        per (file, commit) that made a non-cosmetic change to a lineage of a function
        in the file at the head: ``(file, seq, email, name, authored_at, added)``,
        oldest first, ``added`` telling whether the commit introduced one of them.
        """
        clean = self._relative(path)
        in_files, params = _under("f.path", clean)
        listed = self._store.db.execute(
            "SELECT f.path, EXISTS(SELECT 1 FROM head_functions h WHERE h.path = f.path) "
            f"FROM head_files f WHERE {in_files} ORDER BY f.path",
            params,
        ).fetchall()
        if clean and not listed:
            raise PathNotFound(path, self._closest_paths(clean))
        files = [file for file, has_functions in listed if has_functions]
        in_functions, _ = _under("h.path", clean)
        rows = self._store.db.execute(
            "SELECT h.path, c.seq, c.author_email, c.author_name, c.authored_at, "
            "max(ch.kind = 'added') "
            "FROM head_functions h JOIN changes ch ON ch.lineage = h.lineage "
            "JOIN commits c ON c.id = ch.commit_id "
            f"WHERE ch.types != ? AND {in_functions} "
            "GROUP BY h.path, c.id ORDER BY c.seq, h.path",
            [ChangeType.COSMETIC.bit, *params],
        ).fetchall()
        return clean, files, rows

    def _closest_paths(self, path: str) -> tuple[str, ...]:
        """Files and directories at the head that look like ``path``."""
        files = list(self._store.head_files())
        known = set(files)
        for file in files:
            parts = file.split("/")[:-1]
            known.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        ending = sorted(k for k in known if k.endswith("/" + path))
        close = difflib.get_close_matches(path, sorted(known), n=5, cutoff=0.6)
        return tuple(dict.fromkeys([*ending, *close]))[:5]


def open(  # noqa: A001 - loopintel.open mirrors the builtin's role for repositories
    path: str | os.PathLike[str] = ".",
    *,
    ref: str = "HEAD",
    index_path: str | os.PathLike[str] | None = None,
    update: bool = True,
    first_parent: bool = False,
    workers: int | None = None,
    executor: concurrent.futures.Executor | None = None,
    progress: Callable[[IndexProgress], None] | None = None,
    max_file_bytes: int = python.MAX_FILE_BYTES,
    deprecated: str | Iterable[str] | None = None,
    fetch_missing: bool = False,
) -> Repository:
    """Open a git repository, index (or update) its history, and return it.

    Args:
        path: the repository (work tree, bare git dir, or any directory inside).
        ref: the ref whose history is indexed.
        index_path: the index file; default ``$LOOPINTEL_INDEX`` or
            ``<git dir>/loopintel/index.sqlite3``. Give one for a read-only repository.
        update: bring the index up to date first (``False``: read what is stored).
        first_parent: walk only first parents (merges compared with their first parent).
        workers: worker processes for large runs (default: one per core).
        executor: where extraction chunks run (see :meth:`Repository.update`).
        progress: called with an :class:`~loopintel.IndexProgress` as work advances.
        max_file_bytes: larger file versions are recorded as skipped.
        deprecated: module prefixes whose use marks code deprecated (``"myapp.legacy"``);
            default: ``[tool.loopintel] deprecated`` of the repository's
            ``pyproject.toml`` at the indexed head.
        fetch_missing: in a partial clone, first fetch the blobs indexing reads and
            the clone lacks, from its promisor remote, with git (see
            ``docs/indexing.md``); without it they are skipped and a
            :class:`~loopintel.MissingObjectsWarning` says how many.

    Raises:
        NotARepository: ``path`` is no git repository.
        UnknownRef: ``ref`` names no commit.
        MissingObject: a commit or tree of the history is missing.
        RepositoryError: ``fetch_missing`` could not fetch (git is not installed, or
            the fetch failed).
        IndexLocationError: the index cannot be created or opened there.
        InvalidQuery: ``deprecated`` holds something else than dotted module names.

    Example:
        >>> import loopintel
        >>> repo = loopintel.open("path/to/repo")  # doctest: +SKIP
        >>> repo.functions()[0].ref  # doctest: +SKIP
        FunctionRef(path='src/app.py', qualname='create_app')

    """
    prefixes = None if deprecated is None else checked_prefixes(deprecated, "deprecated")
    git = GitRepository(path)
    if update:
        git.resolve(ref)  # an unknown ref fails before an index file is made for it
    location = Path(index_path) if index_path is not None else default_index_path(git.git_dir)
    store = Store(location, readonly=not update)
    options = IndexOptions(
        ref=ref,
        first_parent=first_parent,
        max_file_bytes=max_file_bytes,
        workers=workers,
        fetch_missing=fetch_missing,
    )
    repository = Repository(git, store, options, deprecated=prefixes)
    if update:
        try:
            repository.update(progress=progress, executor=executor)
        except BaseException:
            store.close()
            raise
    return repository
