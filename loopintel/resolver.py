"""What a user typed, turned into what the index knows: a function, a file or a directory.

One resolver serves the library, the CLI and (next) the incident context, so that
``path::qualname``, ``path:line``, a name or its dotted tail, a lineage id, a file path
or a directory mean the same everywhere. Paths are read the way git reads them: relative
to the current directory when it lies inside the work tree and the path names something
there, else relative to the repository root.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from loopintel.errors import (
    AmbiguousFunction,
    FunctionNotFound,
    InvalidQuery,
    PathNotFound,
    TargetNotFound,
)
from loopintel.indexing import state_loader
from loopintel.languages import python
from loopintel.model import ChangeKind, FunctionRef, PathScope
from loopintel.store import ChangeQuery, Name
from loopintel.views import FunctionView

if TYPE_CHECKING:
    import os

    from loopintel.code import SourceReader
    from loopintel.history.git import GitRepository
    from loopintel.store import Store

__all__ = ["Moment", "Resolver", "timestamp"]

Moment = datetime | date | str
"""A point in time: an aware or naive (UTC) datetime, a date, or an ISO 8601 string."""

_POSITION = re.compile(r"^(?P<path>.+?):(?P<line>\d+)$")
_LINEAGE = re.compile(r"^[0-9a-f]{16}$")
_LINEAGE_PREFIX = re.compile(r"^[0-9a-f]{8,15}$")


def timestamp(value: Moment, argument: str) -> int:
    """Seconds since the epoch of a moment given by a caller.

    Raises:
        InvalidQuery: ``value`` is no date, datetime or ISO 8601 string.

    """
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


def _plain(qualname: str) -> str:
    return qualname.replace(".<locals>.", ".")


def _named(query: str, rows: list[Name]) -> list[Name]:
    """The rows a name or dotted tail (``<locals>`` optional) names."""
    plain = _plain(query)
    out = []
    for row in rows:
        candidate = _plain(row.qualname)
        if candidate == plain or candidate.endswith("." + plain):
            out.append(row)
    return out


class Resolver:
    """Finds functions and paths of one indexed repository."""

    def __init__(self, git: GitRepository, store: Store, source: SourceReader) -> None:
        self._git = git
        self._store = store
        self._source = source

    # -- paths ----------------------------------------------------------------------------

    def _spellings(self, text: str, cwd: str | os.PathLike[str] | None) -> list[str]:
        """The root-relative paths ``text`` may mean, the current directory's first."""
        clean = text.replace("\\", "/")
        workdir = self._git.workdir
        if Path(clean).is_absolute():
            if not workdir:
                raise InvalidQuery("path", text, "a path relative to the repository root")
            try:
                relative = Path(clean).resolve().relative_to(Path(workdir).resolve())
            except ValueError as exc:
                raise InvalidQuery("path", text, f"a path inside {workdir}") from exc
            return [_normal(relative.as_posix())]
        spellings = [_normal(clean)]
        if cwd is not None and workdir:
            here, root = Path(cwd).resolve(), Path(workdir).resolve()
            if here != root and root in here.parents:
                inside = here.relative_to(root).as_posix()
                spellings.insert(0, _normal(f"{inside}/{clean}"))
        return list(dict.fromkeys(spellings))

    def path(self, text: str, *, cwd: str | os.PathLike[str] | None = None) -> str:
        """A path as the index spells it, where Python functions are or were.

        ``""`` stands for the whole repository (``.``).

        Raises:
            PathNotFound: nothing indexed ever lived there (the closest paths are named).
            InvalidQuery: an absolute path outside the work tree.

        """
        spellings = self._spellings(text, cwd)
        for spelling in spellings:
            if self._store.path_ever(spelling):
                return spelling
        raise PathNotFound(text, self.closest_paths(spellings[-1]))

    def scope(self, text: str, *, cwd: str | os.PathLike[str] | None = None) -> PathScope:
        """A file or directory at the indexed head, with its Python files.

        Raises:
            PathNotFound: no Python file at the head is, or is under, the path.

        """
        spellings = self._spellings(text, cwd)
        for spelling in spellings:
            files = self._store.head_files_under(spelling)
            if files or not spelling:
                is_file = len(files) == 1 and files[0][0] == spelling
                return PathScope(path=spelling or ".", is_file=is_file, files=len(files))
        raise PathNotFound(text, self.closest_paths(spellings[-1]))

    def closest_paths(self, path: str) -> tuple[str, ...]:
        """Files and directories (at the head first) that look like ``path``."""
        files = self._store.known_paths()
        known = set(files)
        for file in files:
            parts = file.split("/")[:-1]
            known.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        ending = sorted(k for k in known if k.endswith("/" + path))
        close = difflib.get_close_matches(path, sorted(known), n=5, cutoff=0.6)
        return tuple(dict.fromkeys([*ending, *close]))[:5]

    # -- functions ------------------------------------------------------------------------

    def function(
        self,
        query: str,
        *,
        at: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> FunctionView:
        """The one function a query names (see :meth:`loopintel.Repository.function`).

        Raises:
            FunctionNotFound: nothing matches (the closest names are suggested).
            AmbiguousFunction: several functions match (each candidate, as listed,
                selects one).
            InvalidQuery: ``at`` is not a commit of the indexed history.

        """
        text = query.strip()
        if at is not None:
            return self._function_at(query, text, at, cwd)
        if _LINEAGE.match(text) and self._store.latest_name(text) is not None:
            return self._view(text)
        position = _POSITION.match(text)
        if position is not None and "::" not in text:
            for path in self._spellings(position["path"], cwd):
                row = self._store.function_at_line(path, int(position["line"]))
                if row is not None:
                    return self._view(row.lineage, row)
            raise FunctionNotFound(query, self._closest(f"{position['path']}::"))
        if "::" in text:
            ref = _parse_ref(text)
            for path in self._spellings(ref.path, cwd):
                head = self._store.head_names(path=path, qualname=ref.qualname)
                past = head or self._store.past_names(path=path, qualname=ref.qualname)
                if past:
                    return self._one(query, text, past, latest=not head)
        else:
            head = _named(text, self._store.head_names(qualname=text))
            if head:
                return self._one(query, text, head, latest=False)
            past = _named(text, self._store.past_names(qualname=text))
            if past:
                return self._one(query, text, past, latest=True)
        if _LINEAGE_PREFIX.match(text):
            lineages = self._store.lineages_starting(text)
            if len(lineages) == 1:
                return self._view(lineages[0])
        raise FunctionNotFound(query, self._closest(text))

    def lineage(self, query: str, *, cwd: str | os.PathLike[str] | None = None) -> str:
        """The lineage id of the one function a query names (as :meth:`function`)."""
        return self.function(query, cwd=cwd).lineage

    def locate(
        self,
        target: str,
        *,
        at: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> FunctionView | PathScope:
        """A function, or a file or directory at the indexed head.

        ``path::qualname``, ``path:line``, a lineage id, or ``at`` mean a function; a
        path at the head wins over a function of the same name.

        Raises:
            TargetNotFound: neither a function nor a path matches (the closest of both
                are suggested).
            AmbiguousFunction: as for :meth:`function`.

        """
        text = target.strip()
        if at is not None or "::" in text or _POSITION.match(text) or _LINEAGE.match(text):
            return self.function(text, at=at, cwd=cwd)
        try:
            return self.scope(text, cwd=cwd)
        except (PathNotFound, InvalidQuery) as not_a_path:
            paths = not_a_path.suggestions if isinstance(not_a_path, PathNotFound) else ()
            try:
                return self.function(text, cwd=cwd)
            except FunctionNotFound as not_a_function:
                closest = tuple(dict.fromkeys((*not_a_function.suggestions, *paths)))
                raise TargetNotFound(target, closest) from None

    def _view(self, lineage: str, name: Name | None = None, at: str | None = None) -> FunctionView:
        if name is None:
            name = self._store.latest_name(lineage)
            assert name is not None
        return FunctionView(
            self._store,
            FunctionRef(name.path, name.qualname),
            lineage,
            at_head=self._store.at_head(lineage),
            source=self._source,
            at=at,
        )

    def _one(
        self,
        query: str,
        text: str,
        found: list[Name],
        *,
        latest: bool,
        at: str | None = None,
    ) -> FunctionView:
        """The view of the one lineage ``found`` holds, or the error listing them.

        ``latest``: the names found are past ones; the view names the function as it
        was last called.
        """
        lineages = list(dict.fromkeys(row.lineage for row in found))
        if not lineages:
            raise FunctionNotFound(query, self._closest(text))
        if len(lineages) > 1:
            raise AmbiguousFunction(query, *self._candidates(found))
        name = None if latest else found[0]
        return self._view(lineages[0], name, at)

    def _candidates(self, found: list[Name]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """How to select each lineage found, and what each is.

        By its name, or by its lineage id where two lineages share the name (a function
        deleted and defined again); the detail says when each lived.
        """
        names: dict[str, list[str]] = {}  # lineage -> its names found, oldest first
        owners: dict[str, set[str]] = {}  # name -> the lineages that had it
        for row in found:
            name = f"{row.path}::{row.qualname}"
            names.setdefault(row.lineage, [])
            if name not in names[row.lineage]:
                names[row.lineage].append(name)
            owners.setdefault(name, set()).add(row.lineage)
        candidates: list[str] = []
        details: list[str] = []
        for lineage, had in names.items():
            # Its latest name that no other lineage had, else its id.
            own = [name for name in had if owners[name] == {lineage}]
            candidates.append(own[-1] if own else lineage)
            details.append(self._lived(lineage, None if own else had[-1]))
        return tuple(candidates), tuple(details)

    def _lived(self, lineage: str, name: str | None) -> str:
        """``a.py::f, 2019-01-02 to 2019-05-03, deleted``: when a lineage lived."""
        span = self._store.lineage_span(lineage)
        parts = [name] if name else []
        if span is not None:
            first, last, deleted, at_head = span
            day = "%Y-%m-%d"
            start = datetime.fromtimestamp(first, UTC).strftime(day)
            end = datetime.fromtimestamp(last, UTC).strftime(day)
            parts.append(start if start == end else f"{start} to {end}")
            parts.append("at the head" if at_head else "deleted" if deleted else "gone")
        return ", ".join(parts)

    def _function_at(
        self, query: str, text: str, at: str, cwd: str | os.PathLike[str] | None
    ) -> FunctionView:
        sha = self._git.resolve(at)
        if sha is None or sha not in self._store.indexed():
            raise InvalidQuery("at", at, "a commit of the indexed history")
        state = state_loader(self._store)(sha)
        rows = [Name(p, q, lin) for p, names in state.items() for q, lin in names.items()]
        position = _POSITION.match(text)
        if position is not None and "::" not in text:
            for path in self._spellings(position["path"], cwd):
                blob = self._git.blob_at(sha, path)
                layout = python.parse_layout(self._git.blob(blob)).layout if blob else None
                spans = python.function_spans(layout) if layout is not None else []
                line = int(position["line"])
                around = [s for s in spans if s.start <= line <= s.end]
                inner = min(around, key=lambda s: s.end - s.start, default=None)
                lineage = state.get(path, {}).get(inner.qualname) if inner is not None else None
                if inner is not None and lineage is not None:
                    return self._view(lineage, Name(path, inner.qualname, lineage), sha)
            raise FunctionNotFound(query)
        if "::" in text:
            ref = _parse_ref(text)
            for path in self._spellings(ref.path, cwd):
                found = [r for r in rows if (r.path, r.qualname) == (path, ref.qualname)]
                if found:
                    return self._one(query, text, found, latest=False, at=sha)
            raise FunctionNotFound(query, self._closest(text))
        return self._one(query, text, _named(text, rows), latest=False, at=sha)

    def _closest(self, query: str) -> tuple[str, ...]:
        # Old names first, so that a name at the head wins over the same name in the past.
        by_tail = {q: f"{p}::{q}" for p, q in self._store.known_names()}
        tail = query.rsplit("::", 1)[-1]
        close = difflib.get_close_matches(tail, list(by_tail), n=5, cutoff=0.6)
        return tuple(by_tail[c] for c in close)

    # -- queries of changes ---------------------------------------------------------------

    def change_query(
        self,
        *,
        path: str | None = None,
        function: str | None = None,
        author: str | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        kinds: tuple[ChangeKind | str, ...] | None = None,
        cosmetic: bool = True,
        cwd: str | os.PathLike[str] | None = None,
    ) -> ChangeQuery:
        """The :class:`~loopintel.store.ChangeQuery` of ``Repository.changes`` arguments.

        Raises:
            FunctionNotFound: ``function`` matches no function.
            AmbiguousFunction: ``function`` matches several.
            PathNotFound: nothing indexed ever lived at ``path``.
            InvalidQuery: a malformed date or kind.

        """
        try:
            chosen = tuple(ChangeKind(k) for k in kinds) if kinds else None
        except ValueError as exc:
            expected = "kinds among " + ", ".join(k.value for k in ChangeKind)
            raise InvalidQuery("kinds", kinds, expected) from exc
        return ChangeQuery(
            path=None if path is None else self.path(path, cwd=cwd),
            lineages=None if function is None else (self.lineage(function, cwd=cwd),),
            author=author,
            since=None if since is None else timestamp(since, "since"),
            until=None if until is None else timestamp(until, "until"),
            kinds=chosen,
            cosmetic=cosmetic,
        )


def _normal(path: str) -> str:
    """``./a//b/`` -> ``a/b``; ``.`` -> ``""``."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    out: list[str] = []
    for part in parts:
        if part == ".." and out:
            out.pop()
        else:
            out.append(part)
    return "/".join(out)


def _parse_ref(text: str) -> FunctionRef:
    try:
        return FunctionRef.parse(text)
    except ValueError as exc:
        raise InvalidQuery("function", text, "'path::qualname' with both parts") from exc
