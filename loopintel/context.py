"""Context for responders: what a traceback, an incident, a place or a name implicates.

:class:`ContextMaker` takes what a responder has at hand and answers with the functions
involved, ranked by the evidence that implicates them, each with its summary (last
change, experts and whether they are still around, coverage, complexity and trend,
stability, deprecated usage), its changes in the weeks before, and the earlier incidents
linked to it.

What a target is taken as, in this order:

1. text with a Python traceback in it: the traceback, as an incident that is not stored
   (its frames are resolved at the version inferred from them);
2. an :class:`~loopintel.Incident` value, or the key or id of a stored incident: its
   stored links (an incident value not stored is linked now);
3. a function, a file or a directory as :meth:`loopintel.Repository.locate` finds it: the
   function itself, or the functions of the path ranked by their recent changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from loopintel.errors import IncidentNotFound
from loopintel.model import CodeLink, Context, EarlierIncident, ImplicatedFunction, Incident
from loopintel.sources.traceback import traceback_incident
from loopintel.store.queries import ChangeQuery
from loopintel.views import FunctionView

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

    from loopintel.incidents import IncidentBook
    from loopintel.model import PathScope, Resolution
    from loopintel.resolver import Resolver
    from loopintel.store import Store

__all__ = ["RECENT", "SHOWN", "ContextMaker"]

RECENT = timedelta(weeks=4)
"""How far back the changes "before the incident" are counted."""

SHOWN = 15
"""Implicated functions summarised, unless a caller asks for another number."""

_TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "', "Cell In[", "----> ")


def _pasted(text: str) -> Incident | None:
    """A target text as a traceback incident, when it holds a traceback."""
    if not any(mark in text for mark in _TRACEBACK_MARKS):
        return None
    return traceback_incident(text)


class ContextMaker:
    """Makes the context of a target in one index."""

    def __init__(
        self,
        store: Store,
        resolver: Resolver,
        book: IncidentBook,
        *,
        resolve_frames: Callable[[Incident], Resolution] | None,
    ) -> None:
        self._store = store
        self._resolver = resolver
        self._book = book
        self._resolve_frames = resolve_frames

    def context(
        self,
        target: str | Incident,
        *,
        cwd: str | os.PathLike[str] | None = None,
        limit: int = SHOWN,
        recent: timedelta = RECENT,
        now: datetime | None = None,
    ) -> Context:
        """The context of ``target`` (see the module's documentation for what it may be).

        Raises:
            IncidentNotFound: an id that several stored incidents have.
            TargetNotFound: the target is no traceback, incident, function or path.
            AmbiguousFunction: a name several functions have.

        """
        if isinstance(target, Incident):
            return self._incident_context(target, target.title, "incident", limit, recent, now)
        text = target.strip()
        pasted = _pasted(target)
        if pasted is not None:
            return self._incident_context(pasted, pasted.title, "traceback", limit, recent, now)
        stored = self._stored(text)
        if stored is not None:
            return self._incident_context(stored, text, "incident", limit, recent, now)
        found = self._resolver.locate(text, cwd=cwd)
        if isinstance(found, FunctionView):
            link = CodeLink(
                incident="",
                function=found.ref,
                lineage=found.lineage,
                confidence=1.0,
                evidence=(),
                head=self._store.meta("head"),
            )
            return self._build(text, "function", None, None, [link], limit, recent, now)
        return self._path_context(text, found, limit, recent, now)

    def _stored(self, text: str) -> Incident | None:
        if not text or "\n" in text:
            return None
        try:
            return self._book.get(text)
        except IncidentNotFound as exc:
            if exc.candidates:
                raise
            return None

    def _incident_context(
        self,
        incident: Incident,
        target: str,
        kind: str,
        limit: int,
        recent: timedelta,
        now: datetime | None,
    ) -> Context:
        resolution = None
        if incident.frames and self._resolve_frames is not None:
            resolution = self._resolve_frames(incident)
        notes: list[str] = []
        if self._store.incident_keys([incident.key]):
            links = self._store.links_of(incident.key)
        else:
            linker = self._book.linker()
            closing = self._book.closing_commits()
            links = linker.links(self._book.with_fixes(incident, closing), resolution)
            notes += linker.notes
        if incident.frames and self._resolve_frames is None:
            notes.append("frames are not resolved: no frame resolver is set")
        return self._build(target, kind, incident, resolution, links, limit, recent, now, notes)

    def _path_context(
        self,
        target: str,
        scope: PathScope,
        limit: int,
        recent: timedelta,
        now: datetime | None,
    ) -> Context:
        until = now or datetime.now(UTC)
        since = until - recent
        functions = self._store.functions("" if scope.path == "." else scope.path)
        counts = {f.lineage: self._recent(f.lineage, since, until) for f in functions}
        when = {
            c.sha: c.committed_at for c in self._store.commits([f.last_commit for f in functions])
        }
        head = self._store.meta("head")
        # Most changed lately first; then the most recently changed.
        ranked = sorted(
            functions,
            key=lambda f: (-counts[f.lineage], -when[f.last_commit].timestamp(), str(f.ref)),
        )
        links = [
            CodeLink(
                incident="",
                function=f.ref,
                lineage=f.lineage,
                confidence=1.0,
                evidence=(),
                head=head,
            )
            for f in ranked
        ]
        kind = "file" if scope.is_file else "directory"
        return self._build(target, kind, None, None, links, limit, recent, now)

    def _recent(self, lineage: str, since: datetime, until: datetime) -> int:
        query = ChangeQuery(
            lineages=(lineage,),
            committed_since=int(since.timestamp()),
            committed_until=int(until.timestamp()),
            cosmetic=False,
        )
        return sum(1 for _ in self._store.changes(query))

    def _build(
        self,
        target: str,
        kind: str,
        incident: Incident | None,
        resolution: Resolution | None,
        links: Sequence[CodeLink],
        limit: int,
        recent: timedelta,
        now: datetime | None,
        notes: Sequence[str] = (),
    ) -> Context:
        start = None if incident is None else (incident.started_at or incident.detected_at)
        until = start or now or datetime.now(UTC)
        since = until - recent
        shown = list(links[:limit])
        lineages = [link.lineage for link in shown]
        earlier = self._earlier(incident, lineages, start)
        per_lineage: dict[str, list[str]] = {}
        for item in earlier:
            for lineage in item.lineages:
                per_lineage.setdefault(lineage, []).append(item.key)
        functions = tuple(
            ImplicatedFunction(
                link=link,
                summary=self._resolver.function(link.lineage).summary(),
                recent_changes=self._recent(link.lineage, since, until),
                earlier_incidents=tuple(reversed(per_lineage.get(link.lineage, []))),
            )
            for link in shown
        )
        all_notes = list(notes)
        if len(links) > limit:
            all_notes.append(f"{len(links) - limit} more linked functions are not shown")
        return Context(
            target=target.strip().splitlines()[0] if target.strip() else target,
            kind=kind,
            incident=incident,
            resolved_at=None if resolution is None else resolution.version,
            frames=() if resolution is None else resolution.frames,
            functions=functions,
            earlier=earlier,
            recent_since=since,
            notes=tuple(all_notes),
        )

    def _earlier(
        self, incident: Incident | None, lineages: Sequence[str], start: datetime | None
    ) -> tuple[EarlierIncident, ...]:
        """Other stored incidents linked to these lineages (before ``start``), newest first."""
        by_key: dict[str, list[str]] = {}
        for link in self._store.links_to(lineages, proxies=None):
            if incident is not None and link.incident == incident.key:
                continue
            found = by_key.setdefault(link.incident, [])
            if link.lineage not in found:
                found.append(link.lineage)
        if not by_key:
            return ()
        stored = self._store.incidents(keys=list(by_key), proxies=None)
        out = [
            EarlierIncident(
                key=i.key,
                title=i.title,
                started_at=i.started_at,
                severity_rank=i.severity_rank,
                proxy=i.proxy,
                lineages=tuple(by_key[i.key]),
            )
            for i in stored
            if start is None or i.started_at is None or i.started_at < start
        ]
        out.sort(key=lambda e: e.started_at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return tuple(out)
