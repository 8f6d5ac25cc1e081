"""Incidents in the index: imports, proxies from bug-fix commits, lookups and links.

An import reads the whole file first (:mod:`loopintel.sources.incidents`), refuses a
file with bad rows unless told to skip them, makes every incident's links, and then
stores incidents and links in one transaction: a failed or interrupted import stores
nothing. The same incident imported again (same source and id) replaces the stored one.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from loopintel.analysis.fixes import fix_signal
from loopintel.errors import IncidentNotFound, InvalidQuery
from loopintel.linking import Linker, LinkOptions
from loopintel.model import Incident, IncidentImport, IncidentLink, LinkKind
from loopintel.sources.incidents import read_incidents

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Sequence

    from loopintel.history.git import GitRepository
    from loopintel.model import CodeLink, Resolution
    from loopintel.sources.labels import LabelMap
    from loopintel.sources.services import ServiceMap
    from loopintel.store import Store

__all__ = ["PROXY_SOURCE", "IncidentBook", "proxy_incidents"]

PROXY_SOURCE = "commits"
"""The source of proxy incidents: bug-fix commits standing in for incidents."""

_HEX = re.compile(r"[0-9a-fA-F]{4,40}")
_PROBLEMS_KEPT = 50


def proxy_incidents(git: GitRepository, store: Store) -> list[Incident]:
    """Every indexed non-merge commit whose message reads as a bug fix, as a proxy.

    See :mod:`loopintel.analysis.fixes` for the rules. A proxy's fix link is the
    commit itself; a revert's cause is the reverted commit; issues it closes are issue
    links; its tags name the rules that matched (``rule:keyword``).
    """
    parents = store.parents()
    fixes = []
    for sha, parent_ids in parents.items():
        if len(parent_ids) > 1:
            continue
        message = git.message(sha)
        signal = fix_signal(message)
        if signal is not None:
            fixes.append((sha, signal))
    commits = {c.sha: c for c in store.commits([sha for sha, _ in fixes])}
    out = []
    for sha, signal in fixes:
        commit = commits[sha]
        links = [IncidentLink(LinkKind.FIX, sha)]
        links += [IncidentLink(LinkKind.CAUSE, cause) for cause in signal.causes]
        links += [IncidentLink(LinkKind.ISSUE, issue) for issue in signal.issues]
        out.append(
            Incident(
                source=PROXY_SOURCE,
                id=sha,
                title=commit.summary,
                type="revert" if signal.revert else "bug-fix",
                status="resolved",
                started_at=commit.authored_at,
                resolved_at=commit.committed_at,
                links=tuple(links),
                tags=tuple(f"rule:{rule}" for rule in signal.rules),
                proxy=True,
            )
        )
    out.sort(key=lambda i: (i.started_at or datetime.min.replace(tzinfo=UTC), i.id))
    return out


class IncidentBook:
    """The incidents of one index, and how they are linked to its functions."""

    def __init__(
        self,
        git: GitRepository,
        store: Store,
        *,
        resolve_frames: Callable[[Incident], Resolution] | None,
        szz: Callable[..., Sequence[tuple[object, Sequence[str]]]] | None,
        services: Callable[[], ServiceMap | None],
    ) -> None:
        self._git = git
        self._store = store
        self._resolve_frames = resolve_frames
        self._szz = szz
        self._services = services

    def commit(self, target: str) -> str | None:
        """A commit as a record names it (full or abbreviated) as an indexed sha."""
        text = target.strip().lower()
        if not _HEX.fullmatch(text):
            return None
        found = self._store.shas_starting(text, limit=2)
        return found[0] if len(found) == 1 else None

    def linker(self, options: LinkOptions | None = None) -> Linker:
        """A linker over this index with its service map."""
        return Linker(
            self._store,
            resolve_commit=self.commit,
            resolve_frames=self._resolve_frames,
            szz=self._szz,  # type: ignore[arg-type]
            services=self._services(),
            options=options or LinkOptions(),
        )

    def closing_commits(self) -> dict[str, list[str]]:
        """The stored proxies' commits that close each issue reference.

        Keys are references as written (``#12``, ``OPS-12``, URLs) and bare numbers.
        """
        closing: dict[str, list[str]] = {}
        for proxy in self._store.incidents(proxies=True):
            for link in proxy.links:
                if link.kind is LinkKind.ISSUE:
                    refs = {link.target, link.target.rsplit("#", 1)[-1]}
                    refs.add(link.target.rstrip("/").rsplit("/", 1)[-1])
                    for ref in refs:
                        closing.setdefault(ref, []).append(proxy.id)
        return closing

    @staticmethod
    def with_fixes(incident: Incident, closing: dict[str, list[str]]) -> Incident:
        """The incident with fix links to the commits whose messages close its issue.

        A GitHub issue is closed by commits that say ``fixes #12`` (or its URL), a Jira
        ticket by those that name its key; they are found in ``closing``
        (:meth:`closing_commits`).
        """
        if incident.source not in ("github", "jira") or incident.proxy:
            return incident
        named = set(incident.commits(LinkKind.FIX))
        found = [sha for sha in closing.get(incident.id, ()) if sha not in named]
        if incident.url:
            found += [sha for sha in closing.get(incident.url, ()) if sha not in named]
        if not found:
            return incident
        extra = tuple(IncidentLink(LinkKind.FIX, sha) for sha in dict.fromkeys(found))
        return attrs.evolve(incident, links=(*incident.links, *extra))

    def import_file(
        self,
        file: str | os.PathLike[str],
        *,
        format: str | None = None,  # noqa: A002 - the file's format
        skip_invalid: bool = False,
        labels: LabelMap | None = None,
        link: bool = True,
    ) -> IncidentImport:
        """Read an incident file and store its incidents and their links.

        ``labels`` gives severity and type to incidents whose source gave none.

        Raises:
            IncidentDataError: the file cannot be read, or has bad rows and
                ``skip_invalid`` is false (every problem is listed; nothing is stored).

        """
        rows = read_incidents(file, format=format)
        if not skip_invalid:
            rows.check()
        incidents = rows.incidents if labels is None else labels.apply_all(rows.incidents)
        added, updated, links = self.store(incidents, source=str(file), link=link)
        return IncidentImport(
            source=str(file),
            format=rows.format,
            added=added,
            updated=updated,
            skipped=rows.skipped,
            problems=tuple(str(p) for p in rows.problems[:_PROBLEMS_KEPT]),
            links=links,
        )

    def store(
        self, incidents: Iterable[Incident], *, source: str, link: bool = True
    ) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        """Store incidents (replacing those of the same key) and their links, atomically.

        Returns:
            The keys added, the keys replaced, and how many links were made.

        """
        chosen = {i.key: i for i in incidents}  # the file's last row of a key wins
        known = self._store.incident_keys(chosen)
        linked: dict[str, list[CodeLink]] = {}
        if link:
            linker = self.linker()
            closing = self.closing_commits()
            for key, incident in chosen.items():
                linked[key] = linker.links(self.with_fixes(incident, closing))
        head = self._store.meta("head")
        with self._store.writer(), self._store.transaction():
            self._store.put_incidents(chosen.values(), file=source, now=int(time.time()))
            for key, links in linked.items():
                self._store.put_links(key, links, head=head)
        return (
            tuple(k for k in chosen if k not in known),
            tuple(k for k in chosen if k in known),
            sum(len(links) for links in linked.values()),
        )

    def add(self, incidents: Iterable[Incident], *, source: str) -> IncidentImport:
        """Store incident values made by a program (not read from a file), with links."""
        chosen = list(incidents)
        for incident in chosen:
            if incident.proxy:
                raise InvalidQuery(
                    "incidents", incident.key, "real incidents (proxies come from commits)"
                )
        added, updated, links = self.store(chosen, source=source)
        return IncidentImport(
            source=source,
            format="values",
            added=added,
            updated=updated,
            skipped=0,
            problems=(),
            links=links,
        )

    def proxies(self) -> list[Incident]:
        """The bug-fix commits of the indexed history, as proxies (not stored)."""
        return proxy_incidents(self._git, self._store)

    def import_proxies(self) -> IncidentImport:
        """Store the bug-fix commits as proxies, replacing those found before."""
        added, updated, links = self.store(self.proxies(), source=PROXY_SOURCE)
        return IncidentImport(
            source=PROXY_SOURCE,
            format=PROXY_SOURCE,
            added=added,
            updated=updated,
            skipped=0,
            problems=(),
            links=links,
        )

    def relink(self, *, stale_only: bool = True) -> int:
        """Make the links of stored incidents again; returns how many were relinked.

        With ``stale_only``, only those linked at another head than the indexed one
        (or never linked).
        """
        head = self._store.meta("head")
        keys = [
            key
            for key, linked in self._store.incident_heads().items()
            if not stale_only or linked != head
        ]
        if not keys:
            return 0
        linker = self.linker()
        closing = self.closing_commits()
        made = {
            incident.key: linker.links(self.with_fixes(incident, closing))
            for incident in self._store.incidents(keys=keys, proxies=None)
        }
        with self._store.writer(), self._store.transaction():
            for key, links in made.items():
                self._store.put_links(key, links, head=head)
        return len(made)

    def get(self, query: str) -> Incident:
        """The stored incident of a key (``source:id``) or an id of one source.

        Raises:
            IncidentNotFound: none has it, or an id names incidents of several sources.

        """
        if not query:
            raise InvalidQuery("incident", query, "an incident key (source:id) or id")
        found = self._store.incidents(keys=[query], proxies=None)
        if not found:
            found = self._store.incidents(ids=[query], proxies=None)
        if not found and ":" in query:
            found = self._store.incidents(ids=[query.split(":", 1)[1]], proxies=None)
            found = [i for i in found if i.key == query]
        if len(found) == 1:
            return found[0]
        raise IncidentNotFound(query, tuple(i.key for i in found))

    def delete(self, query: str) -> Incident:
        """Drop a stored incident and its links; returns what was dropped.

        Raises:
            IncidentNotFound: no incident has that key or id.

        """
        incident = self.get(query)
        with self._store.writer():
            self._store.delete_incident(incident.key)
        return incident
