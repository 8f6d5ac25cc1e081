"""The facade: the :class:`Repository` that ``loopintel.open(path)`` returns.

Each method hands its question to the module that owns it: the resolver (functions and
paths), the store (changes, functions), ownership (experts, truck factors), snapshots
(coverage).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Self

from loopintel.code import PYPROJECT, SourceReader
from loopintel.errors import IndexLocationError, InvalidQuery, UnknownRef
from loopintel.indexing import IndexOptions, index_repository
from loopintel.model import Incident
from loopintel.ownership import path_experts, path_truck_factor
from loopintel.resolver import Moment, Resolver, timestamp
from loopintel.tables import Records

if TYPE_CHECKING:
    import concurrent.futures
    import os
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    import networkx as nx

    from loopintel.frames import FrameResolver
    from loopintel.history.extract import WorkerRepository
    from loopintel.history.git import GitRepository
    from loopintel.incidents import IncidentBook
    from loopintel.model import (
        AuthorActivity,
        BlastRadius,
        Change,
        ChangeKind,
        Cluster,
        CodeLink,
        Context,
        Coupling,
        CouplingLevel,
        CoverageSnapshot,
        Evidence,
        Expert,
        Frame,
        Function,
        Hotspot,
        HotspotLevel,
        HotspotScore,
        IdentityMatch,
        IncidentImport,
        IndexProgress,
        IndexSummary,
        KnowledgeRisk,
        PathScope,
        Recurrence,
        Resolution,
        Skip,
        SZZResult,
        Trend,
        TrendLevel,
        TrendMetric,
        TrendPeriod,
        TruckFactor,
    )
    from loopintel.sources.labels import LabelMap
    from loopintel.sources.services import ServiceMap
    from loopintel.store import Store
    from loopintel.szz import SZZ
    from loopintel.views import FunctionView

__all__ = ["Moment", "Repository"]


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
        services: ServiceMap | None = None,
    ) -> None:
        self._git = git
        self._store = store
        self._options = options
        self._source = SourceReader(git, store, deprecated=deprecated)
        self._resolver = Resolver(git, store, self._source)
        self._services = services
        self._book: IncidentBook | None = None
        self._frames: FrameResolver | None = None
        self._szz_engine: SZZ | None = None
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
        worker_repo: str | WorkerRepository | None = None,
    ) -> IndexSummary:
        """Index commits not yet indexed (and drop those a rewrite made unreachable).

        Args:
            progress: called with an :class:`~loopintel.IndexProgress` as work advances.
            executor: where to run extraction chunks (a process pool, Dask's
                ``client.get_executor()``...); default: a local process pool for large
                runs, in-process for small ones.
            worker_repo: where the workers of ``executor`` find the repository: a path
                they all see, or a bundle shipped to them
                (:func:`loopintel.cluster.ship_bundle`); default: this repository's path.

        """
        with self._store.writer():
            summary = index_repository(
                self._git,
                self._store,
                self._options,
                executor=executor,
                progress=progress,
                worker_repo=worker_repo,
            )
        self.last_index = summary
        return summary

    # -- finding things ------------------------------------------------------------------

    def function(
        self, query: str, *, at: str | None = None, cwd: str | os.PathLike[str] | None = None
    ) -> FunctionView:
        """Find one function, at the indexed head or in the past.

        Args:
            query: ``path::qualname`` (canonical), ``path:line`` (the innermost
                function containing that line at the head), a qualified name or its
                dotted tail (``wsgi_app``, ``Flask.wsgi_app``; ``<locals>`` may be left
                out: ``outer.inner``), or a lineage id (as every output shows it).
                Functions at the head are preferred; a name found only in the past (a
                deleted or renamed function) is looked up there.
            at: look the function up as it was at this commit (any ref) instead:
                names and lines are those of that commit's tree.
            cwd: read a relative path in ``query`` from this directory when it lies
                inside the work tree and the path names something there (as the CLI
                does); by default paths are relative to the repository root.

        Raises:
            FunctionNotFound: nothing matches (the closest names are suggested).
            AmbiguousFunction: several functions match; each of its ``candidates``
                selects one as it is written (a name, or a lineage id where two
                functions had the same name).
            InvalidQuery: ``at`` is not a commit of the indexed history.

        Example:
            >>> repo.function("app.py::create_app").last_changed.commit  # doctest: +SKIP

        """
        return self._resolver.function(query, at=at, cwd=cwd)

    def locate(
        self, target: str, *, at: str | None = None, cwd: str | os.PathLike[str] | None = None
    ) -> FunctionView | PathScope:
        """What ``target`` names: a function, or a file or directory at the indexed head.

        ``path::qualname``, ``path:line``, a lineage id or ``at`` mean a function; else
        a path at the head wins over a function of the same name. Paths as for
        :meth:`function`; ``.`` is the whole repository.

        Raises:
            TargetNotFound: neither matches (the closest functions and paths are named).
            AmbiguousFunction: as for :meth:`function`.

        """
        return self._resolver.locate(target, at=at, cwd=cwd)

    def resolve_path(self, path: str, *, cwd: str | os.PathLike[str] | None = None) -> str:
        """``path`` as the index spells it (``""`` for ``.``, the whole repository).

        Raises:
            PathNotFound: no indexed function ever lived there (closest paths named).
            InvalidQuery: an absolute path outside the work tree.

        """
        return self._resolver.path(path, cwd=cwd)

    # -- history -------------------------------------------------------------------------

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
        """Function changes, oldest first (commit graph order: a commit after its parents).

        Args:
            path: a file, or a directory (everything under it); ``.`` for all.
            function: a function as :meth:`function` finds it; follows its lineage
                through renames and moves.
            author: author email or name after ``.mailmap`` (case-insensitive).
            since: only changes authored at or after this moment.
            until: only changes authored before this moment.
            kinds: only these kinds of change.
            cosmetic: include changes that touched only formatting or comments.

        Raises:
            FunctionNotFound: ``function`` matches no function (the closest names are
                suggested).
            AmbiguousFunction: ``function`` matches several (each candidate is listed).
            PathNotFound: no indexed function ever lived at ``path``.
            InvalidQuery: a malformed date or kind.

        Example:
            >>> for change in repo.changes(path="src/flask/app.py"):  # doctest: +SKIP
            ...     print(change.commit[:8], change.qualname, change.change_types)

        """
        query = self._resolver.change_query(
            path=path,
            function=function,
            author=author,
            since=since,
            until=until,
            kinds=kinds,
            cosmetic=cosmetic,
        )
        return self._store.changes(query)

    def functions(self, *, path: str | None = None) -> Records[Function]:
        """The functions at the indexed head, by file and position.

        Args:
            path: a file, or a directory (everything under it); ``.`` for all.

        Raises:
            PathNotFound: no indexed function ever lived at ``path``.

        """
        clean = "" if path is None else self._resolver.path(path)
        return Records(self._store.functions(clean))

    def skipped(self) -> Records[Skip]:
        """File versions whose functions could not be read, with the reason."""
        return Records(self._store.skips())

    def commit_count(self) -> int:
        """Commits in the index."""
        return self._store.count("commits")

    # -- coverage ------------------------------------------------------------------------

    def import_coverage(
        self,
        file: str | os.PathLike[str],
        *,
        commit: str | None = None,
        format: str | None = None,  # noqa: A002 - the coverage file's format
    ) -> CoverageSnapshot:
        """Import a coverage file, measured at ``commit``, and keep it as a snapshot.

        Its lines are mapped onto the function bodies of that commit (see
        :class:`~loopintel.FunctionCoverage`); earlier snapshots are kept.

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
        self._writable("import")
        from loopintel import snapshots  # noqa: PLC0415 - loaded on use: opening stays quick

        return snapshots.import_coverage(self._git, self._store, file, commit=commit, format=format)

    def delete_coverage(self, snapshot: int) -> None:
        """Drop an imported snapshot (a wrong file, the wrong commit).

        Raises:
            InvalidQuery: there is no snapshot with that id.
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        self._writable("delete")
        if not self._store.delete_coverage(snapshot):
            raise InvalidQuery("snapshot", snapshot, "the id of an imported coverage snapshot")

    def coverage_snapshots(self) -> Records[CoverageSnapshot]:
        """Every imported coverage snapshot, oldest import first."""
        return Records(self._store.coverage_snapshots())

    def _writable(self, action: str) -> None:
        if self._store.readonly:
            raise IndexLocationError(
                str(self._store.path), f"opened read-only (update=False); cannot {action}"
            )

    @property
    def deprecated_prefixes(self) -> tuple[str, ...]:
        """Module prefixes whose use marks code deprecated (see ``FunctionView.deprecation``).

        Those given to :func:`open`, else ``[tool.loopintel] deprecated`` of the
        ``pyproject.toml`` at the indexed head.

        Raises:
            InvalidConfiguration: that setting is malformed.

        """
        return self._source.prefixes()

    # -- incidents -----------------------------------------------------------------------

    @property
    def _frame_resolver(self) -> FrameResolver:
        if self._frames is None:
            from loopintel.frames import FrameResolver  # noqa: PLC0415 - loaded on use

            self._frames = FrameResolver(self._git, self._store)
        return self._frames

    def resolve_frames(
        self,
        frames: Sequence[Frame] | str | Incident,
        *,
        release: str | None = None,
        at: Moment | None = None,
    ) -> Resolution:
        """Stack frames resolved to functions at the version that printed them.

        Args:
            frames: frames, a traceback as text, or an incident (its frames, release and
                start time).
            release: the version that ran: a sha, a tag or a version string matched to
                tags (``1.2.3``, ``v1.2.3``); inferred from the frames when not given.
            at: when the frames were printed; versions after it are not considered.

        Returns:
            The version (and how it was chosen: ``release``, ``inferred``, ``time`` or
            ``head``, with how many versions were consistent) and every frame with the
            path, function and lineage it resolved to, or why not.

        """
        if isinstance(frames, Incident):
            return self._frame_resolver.resolve_incident(frames)
        if isinstance(frames, str):
            from loopintel.sources.traceback import parse_traceback  # noqa: PLC0415

            frames = parse_traceback(frames).frames
        moment = None if at is None else datetime.fromtimestamp(timestamp(at, "at"), UTC)
        return self._frame_resolver.resolve(frames, release=release, at=moment)

    @property
    def _szz(self) -> SZZ:
        if self._szz_engine is None:
            from loopintel.szz import SZZ  # noqa: PLC0415 - loaded on use

            self._szz_engine = SZZ(self._git, self._store)
        return self._szz_engine

    def szz(
        self,
        fix: str,
        *,
        issue_date: datetime | date | str | None = None,
        paths: Sequence[str] | None = None,
    ) -> SZZResult:
        """The commits that introduced what a fix commit fixed, strongest first (SZZ).

        Each line the fix deleted or changed inside a function is followed back through
        the function's lineage (renames and moves included, cosmetic changes passed
        over) to the commit that last changed it; see ``docs/szz.md``.

        Args:
            fix: the fix commit: a sha (abbreviated or full) or a ref.
            issue_date: when the bug was reported: commits written after it are
                dropped. An aware datetime, a date (its whole day counts, in UTC) or
                ISO 8601 text with an offset or of a date.
            paths: only trace lines of these files or directories (repository paths).

        Raises:
            UnknownRef: ``fix`` names no commit.
            InvalidQuery: ``issue_date`` is naive or not a date.

        """
        sha = self._git.resolve(fix)
        if sha is None:
            raise UnknownRef(fix, self.path)
        wanted = None if paths is None else tuple(self.resolve_path(p) for p in paths)
        return self._szz.inducing(sha, issue_date=_issue_date(issue_date), paths=wanted)

    @property
    def _incidents(self) -> IncidentBook:
        if self._book is None:
            from loopintel.incidents import IncidentBook  # noqa: PLC0415 - loaded on use

            self._book = IncidentBook(
                self._git,
                self._store,
                resolve_frames=self._frame_resolver.resolve_incident,
                szz=self._szz.for_linker,
                services=self.service_map,
            )
        return self._book

    def service_map(self) -> ServiceMap | None:
        """Which paths each service runs, for incidents that name services.

        The map given to :func:`open` (``services=``), else ``[tool.loopintel.services]``
        of the ``pyproject.toml`` at the indexed head (read once per head); ``None``
        when neither has one.

        Raises:
            InvalidConfiguration: that table is malformed.

        """
        if self._services is not None:
            return self._services
        from loopintel.sources.services import services_from_pyproject  # noqa: PLC0415

        def read() -> ServiceMap | None:
            head = self.head
            blob = self._git.blob_at(head, PYPROJECT) if head else None
            if head is None or blob is None:
                return None
            found = services_from_pyproject(self._git.blob(blob), f"{PYPROJECT} at {head[:12]}")
            return found if found.services else None

        found: ServiceMap | None = self._store.per_head("services", read)
        return found

    def label_map(self) -> LabelMap:
        """Which labels give incidents their severity and type (GitHub, Jira labels).

        :data:`loopintel.sources.labels.DEFAULT_LABELS`, with ``[tool.loopintel.labels]``
        of the ``pyproject.toml`` at the indexed head added (its entries win).

        Raises:
            InvalidConfiguration: that table is malformed.

        """
        from loopintel.sources.labels import (  # noqa: PLC0415 - loaded on use
            DEFAULT_LABELS,
            labels_from_pyproject,
        )

        def read() -> LabelMap:
            head = self.head
            blob = self._git.blob_at(head, PYPROJECT) if head else None
            if head is None or blob is None:
                return DEFAULT_LABELS
            found = labels_from_pyproject(self._git.blob(blob), f"{PYPROJECT} at {head[:12]}")
            return DEFAULT_LABELS if found is None else DEFAULT_LABELS.merged(found)

        labels: LabelMap = self._store.per_head("labels", read)
        return labels

    def import_incidents(
        self,
        file: str | os.PathLike[str],
        *,
        format: str | None = None,  # noqa: A002 - the incident file's format
        skip_invalid: bool = False,
        labels: LabelMap | Mapping[str, Mapping[str, Any]] | None = None,
    ) -> IncidentImport:
        """Import an incident file: every incident, linked to the functions it involved.

        An incident already stored (same source and id) is replaced by the file's
        version. Nothing is stored when anything fails.

        Args:
            file: an export of PagerDuty, Sentry, GitHub or Jira, loopintel's own JSON,
                JSON lines or CSV, or a text file holding a traceback.
            format: its format's name (``loopintel incidents import --help`` lists
                them); recognised from the content when not given.
            skip_invalid: import the good rows of a file that has bad ones (the result
                says how many were skipped, and why).
            labels: which labels mean which severity rank and type, added to
                :meth:`label_map` (a :class:`~loopintel.sources.labels.LabelMap`, or
                ``{"severity": {"sev-one": 1}, "type": {"defect": "bug"}}``).

        Raises:
            IncidentDataError: the file cannot be read, or has bad rows and
                ``skip_invalid`` is false; every problem is listed with its place.
            IndexLocationError: the index was opened read-only (``update=False``).
            InvalidQuery: ``labels`` is malformed.

        """
        self._writable("import")
        return self._incidents.import_file(
            file, format=format, skip_invalid=skip_invalid, labels=self._labels(labels)
        )

    def _labels(self, given: LabelMap | Mapping[str, Mapping[str, Any]] | None) -> LabelMap:
        from loopintel.sources.labels import LabelMap  # noqa: PLC0415 - loaded on use

        if given is None:
            return self.label_map()
        if not isinstance(given, LabelMap):
            try:
                given = LabelMap(given.get("severity", {}), given.get("type", {}))
            except (AttributeError, TypeError, ValueError) as exc:
                raise InvalidQuery(
                    "labels", given, "a LabelMap or {'severity': {...}, 'type': {...}}"
                ) from exc
        return self.label_map().merged(given)

    def add_incidents(
        self,
        incidents: Iterable[Incident],
        *,
        source: str = "api",
        labels: LabelMap | Mapping[str, Mapping[str, Any]] | None = None,
    ) -> IncidentImport:
        """Store incidents made by a program, linked to the functions they involved.

        For tools that build :class:`~loopintel.Incident` values themselves; an
        incident already stored (same source and id) is replaced. ``source`` says where
        they came from in the import's summary; ``labels`` as for
        :meth:`import_incidents`.

        Raises:
            InvalidQuery: an incident is a proxy (those come from commits), or
                ``labels`` is malformed.
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        self._writable("import")
        return self._incidents.add(self._labels(labels).apply_all(incidents), source=source)

    def incidents(
        self,
        *,
        proxies: bool = False,
        since: Moment | None = None,
        until: Moment | None = None,
    ) -> Records[Incident]:
        """The stored incidents, oldest start first.

        Args:
            proxies: the proxies (bug-fix commits standing in for incidents) instead
                of the real incidents; the two are never mixed.
            since: only those started at or after this time.
            until: only those started before this time.

        """
        return Records(
            self._store.incidents(
                proxies=proxies,
                since=None if since is None else timestamp(since, "since"),
                until=None if until is None else timestamp(until, "until"),
            )
        )

    def incident(self, query: str) -> Incident:
        """The stored incident of a key (``source:id``) or an id.

        Raises:
            IncidentNotFound: no incident has it, or several sources have that id.

        """
        return self._incidents.get(query)

    def delete_incident(self, query: str) -> Incident:
        """Drop a stored incident and its links; returns what was dropped.

        Raises:
            IncidentNotFound: no incident has that key or id.
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        self._writable("delete")
        return self._incidents.delete(query)

    def links(self, incident: str | Incident) -> Records[CodeLink]:
        """The functions an incident is linked to, most confident first, with evidence.

        A stored incident's links are those stored (see :meth:`relink`); an incident
        value that is not stored is linked now.

        Raises:
            IncidentNotFound: a key or id that no stored incident has.

        """
        if isinstance(incident, str):
            return Records(self._store.links_of(self.incident(incident).key))
        if self._store.incident_keys([incident.key]):
            return Records(self._store.links_of(incident.key))
        book = self._incidents
        return Records(book.linker().links(book.with_fixes(incident, book.closing_commits())))

    def why(self, incident: str | Incident, function: str) -> tuple[Evidence, ...]:
        """The evidence behind the link of an incident to a function, strongest first.

        ``()`` when they are not linked.

        Raises:
            IncidentNotFound: a key or id that no stored incident has.
            FunctionNotFound: no function matches ``function``.

        """
        lineage = self.function(function).lineage
        return next((link.evidence for link in self.links(incident) if link.lineage == lineage), ())

    def relink(self, *, stale_only: bool = True) -> int:
        """Make stored incidents' links again; returns how many incidents were relinked.

        Links depend on the indexed history (a frame resolved at the head, recent
        changes); with ``stale_only`` only incidents linked at another head are redone.

        Raises:
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        self._writable("relink")
        return self._incidents.relink(stale_only=stale_only)

    def context(
        self,
        target: str | Incident,
        *,
        cwd: str | os.PathLike[str] | None = None,
        limit: int = 15,
        recent: timedelta = timedelta(weeks=4),
    ) -> Context:
        """What a traceback, an incident, a place or a name implicates, for a responder.

        Args:
            target: a pasted traceback (text), an :class:`~loopintel.Incident`, the key
                or id of a stored incident, ``path:line``, a function's name, a file or
                a directory.
            cwd: read a relative path in ``target`` from here (as the CLI does).
            limit: how many implicated functions to summarise (the most confident).
            recent: how far back before the incident (or now) changes count as recent.

        Returns:
            The implicated functions ranked by evidence, each with its summary, recent
            changes and earlier incidents; the frames and the version they were
            resolved at.

        Raises:
            TargetNotFound: the target is none of those.
            IncidentNotFound: an id several stored incidents have.
            AmbiguousFunction: a name several functions have.

        """
        from loopintel.context import ContextMaker  # noqa: PLC0415 - loaded on use

        maker = ContextMaker(
            self._store,
            self._resolver,
            self._incidents,
            resolve_frames=self._frame_resolver.resolve_incident,
        )
        return maker.context(target, cwd=cwd, limit=limit, recent=recent)

    def find_proxies(self) -> Records[Incident]:
        """Bug-fix commits of the indexed history, as proxy incidents (not stored).

        The rules are documented in ``docs/incidents.md``; each proxy's tags name the
        rules it matched.
        """
        return Records(self._incidents.proxies())

    def import_proxies(self) -> IncidentImport:
        """Store the bug-fix commits as proxy incidents, linked to what they changed.

        Proxies found before are replaced; they are never listed with real incidents.

        Raises:
            IndexLocationError: the index was opened read-only (``update=False``).

        """
        self._writable("import")
        return self._incidents.import_proxies()

    # -- signals: hotspots ----------------------------------------------------------------

    def hotspots(
        self,
        level: HotspotLevel | str = "function",
        *,
        by: HotspotScore | str = "fix_score",
        since: Moment | None = None,
        until: Moment | None = None,
        path: str | None = None,
        limit: int | None = None,
        incidents: bool = True,
    ) -> Records[Hotspot]:
        """The code at the indexed head ranked by its history, four scores side by side.

        Revisions x complexity, Google's time-weighted fix score, the plain count of
        fixes and relative churn (and, when stored incidents are linked to code, the
        sum of their links' confidence), each row with its reasons; see
        ``docs/hotspots.md``. Code not changed in the window is left out.

        Args:
            level: ``function``, ``file`` or ``module`` (a directory, its files' functions).
            by: the score that orders the rows, highest first; ties by name.
            since: only changes authored at or after this moment (a date is midnight
                UTC; a datetime needs a timezone). Default: the first change.
            until: only changes authored before it. Default: the latest change.
            path: only code in this file or directory at the head.
            limit: at most this many rows (``None``: all).
            incidents: weigh stored incidents (``incident_risk``); ``False`` leaves it
                ``None``.

        Raises:
            InvalidQuery: an unknown level or score, a malformed or naive date, an empty
                window, a limit below 1, or ``by="incident_risk"`` without linked
                incidents.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        Example:
            >>> repo.hotspots("file", limit=5).to_frame()  # doctest: +SKIP

        """
        from loopintel import hotspots  # noqa: PLC0415 - loaded on use: opening stays quick

        query = hotspots.HotspotQuery.from_arguments(
            self._resolver,
            level=level,
            by=by,
            since=since,
            until=until,
            path=path,
            limit=limit,
            incidents=incidents,
        )
        return hotspots.hotspots(self._git, self._store, query)

    # -- signals: trends ------------------------------------------------------------------

    def trends(
        self,
        level: TrendLevel | str = "module",
        *,
        metric: TrendMetric | str | Iterable[TrendMetric | str] | None = None,
        period: TrendPeriod | str = "quarter",
        since: Moment | None = None,
        until: Moment | None = None,
        path: str | None = None,
        degrading_only: bool = False,
        limit: int | None = None,
        alpha: float = 0.05,
    ) -> Records[Trend]:
        """Where each measure of the code at the head has been going, period by period.

        Complexity, churn, changes, incidents, coverage, active authors and (modules and
        the repository) the truck factor, as series over calendar months or quarters; a
        series is ``degrading`` or ``improving`` when the Mann-Kendall test finds a
        monotonic trend at ``alpha`` (never from two points), with Sen's slope for its
        size; see ``docs/trends.md``. Incidents and coverage are followed when the index
        holds them.

        Args:
            level: ``function``, ``file``, ``module`` (a directory, its files' functions)
                or ``repository``.
            metric: one metric or several (``None``: every one the index has data for).
            period: ``quarter`` or ``month`` (calendar periods, UTC).
            since: the first whole period starting at or after this moment (a date is
                midnight UTC; a datetime needs a timezone). Default: the period of the
                first change.
            until: the last whole period ending at or before this moment. Default: the
                period before the indexed head's (which is still in progress).
            path: only code in this file or directory at the head.
            degrading_only: only the series found degrading.
            limit: at most this many rows (``None``: all).
            alpha: the significance level of the test.

        Returns:
            Degrading first, then improving, steady and too short; within each the
            lowest p-value first, then the strongest tau, then by name and metric.

        Raises:
            InvalidQuery: an unknown level, metric or period, ``truck_factor`` below
                module level, ``incidents`` or ``coverage`` without the data, a
                malformed or naive date, an empty window, a limit below 1, an alpha
                outside ``(0, 1)``.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        Example:
            >>> repo.trends("module", degrading_only=True).to_frame()  # doctest: +SKIP

        """
        from loopintel import trends  # noqa: PLC0415 - loaded on use: opening stays quick

        query = trends.TrendQuery.from_arguments(
            self._resolver,
            level=level,
            metric=metric,
            period=period,
            since=since,
            until=until,
            path=path,
            degrading_only=degrading_only,
            limit=limit,
            alpha=alpha,
        )
        return trends.trends(self._store, query)

    # -- signals: knowledge risks --------------------------------------------------------

    def knowledge_risks(
        self,
        level: HotspotLevel | str = "file",
        *,
        since: Moment | None = None,
        until: Moment | None = None,
        path: str | None = None,
        inactive_after_days: float = 365.0,
        half_life_days: float | None = 365.0,
        top_share: float = 0.2,
        limit: int | None = None,
    ) -> Records[KnowledgeRisk]:
        """Busy or incident-prone code whose experts are all inactive, or whose truck factor is 1.

        Code is *exposed* when, in the window, it is among the ``top_share`` of its level's
        changed files (or modules) by changes (busy) or by fixes (fix-prone), or a stored
        incident is linked to it. An exposed file or module is a risk when every key
        expert (the top of :meth:`experts`' ranking holding at least half of the
        expertise) is inactive, or when its truck factor is 1. Each row carries its
        counts, newest fixes, key experts, truck factor and a reason in words; see
        ``docs/risks.md``.

        Args:
            level: ``file`` or ``module`` (a directory: the files directly in it).
            since: only changes authored at or after this moment count as exposure (a
                date is midnight UTC; a datetime needs a timezone). Default: the first
                change.
            until: only changes authored before it. Default: the latest change.
            path: only rows for files in this file or directory (at module level, the
                modules holding them); exposure is still ranked over the whole repository.
            inactive_after_days: an author without any commit for this long before the
                indexed head is inactive.
            half_life_days: the experts' recency decay, as for :meth:`experts` (the truck
                factor is undecayed, as :meth:`truck_factor`'s default).
            top_share: the share of changed files (or modules) that counts as busy, and as
                fix-prone.
            limit: at most this many rows (``None``: all).

        Raises:
            InvalidQuery: a level other than ``file`` or ``module``, a malformed or naive
                date, an empty window, a limit below 1, a negative ``inactive_after_days``,
                a ``half_life_days`` not above 0, or a ``top_share`` outside ``(0, 1]``.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        Example:
            >>> repo.knowledge_risks("module").to_frame()  # doctest: +SKIP

        """
        from loopintel import risks  # noqa: PLC0415 - loaded on use: opening stays quick

        query = risks.RiskQuery.from_arguments(
            self._resolver,
            level=level,
            since=since,
            until=until,
            path=path,
            limit=limit,
            inactive_after_days=inactive_after_days,
            half_life_days=half_life_days,
            top_share=top_share,
        )
        return risks.knowledge_risks(self._git, self._store, query)

    # -- signals: coupling ----------------------------------------------------------------

    def coupling(
        self,
        level: CouplingLevel | str = "function",
        *,
        since: Moment | None = None,
        until: Moment | None = None,
        path: str | None = None,
        min_support: int | None = None,
        min_confidence: float | None = None,
        max_changeset: int | None = None,
        hidden_only: bool = False,
        limit: int | None = None,
    ) -> Records[Coupling]:
        """Pairs of functions (or files) at the indexed head that keep changing together.

        A revision is a non-merge commit that changed the code other than cosmetically;
        commits changing more than ``max_changeset`` functions (files) are left out of
        every count. Each row has the shared revisions, both sides' revisions, the
        confidence both ways, code-maat's degree, whether the pair crosses directories
        (``hidden``) and the newest shared commits; see ``docs/coupling.md``. Nested
        functions are not paired with the functions around them.

        Args:
            level: ``function`` or ``file``.
            since: only commits authored at or after this moment (a date is midnight
                UTC; a datetime needs a timezone).
            until: only commits authored before it.
            path: only pairs with at least one side in this file or directory.
            min_support: shared revisions a pair needs (default 3 for functions, 5 for
                files).
            min_confidence: ``shared`` over the revisions of the side that changed less
                must reach this (default 0.5).
            max_changeset: commits changing more functions (files) than this are left
                out (default 30).
            hidden_only: only pairs whose sides are in different directories.
            limit: at most this many rows (``None``: all).

        Returns:
            The pairs, highest degree first, then most shared revisions, then by names.

        Raises:
            InvalidQuery: an unknown level, a malformed or naive date, an empty window,
                a support below 1, a confidence outside 0 to 1, a changeset size below 2,
                or a limit below 1.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        Example:
            >>> repo.coupling("file", hidden_only=True, limit=5).to_frame()  # doctest: +SKIP

        """
        from loopintel import coupling  # noqa: PLC0415 - loaded on use: opening stays quick

        query = coupling.CouplingQuery.from_arguments(
            self._resolver,
            level=level,
            since=since,
            until=until,
            path=path,
            min_support=min_support,
            min_confidence=min_confidence,
            max_changeset=max_changeset,
            hidden_only=hidden_only,
            limit=limit,
        )
        return coupling.coupling(self._store, query)

    # -- the graph: code, people and incidents ---------------------------------------------

    def graph(
        self,
        *,
        since: Moment | None = None,
        until: Moment | None = None,
        proxies: bool = False,
    ) -> nx.MultiDiGraph[str]:
        """A networkx graph of functions, files, modules, authors, commits and incidents.

        Typed edges (``contains``, ``changed``, ``authored``, ``knows``, ``implicated``,
        ``co_changes``) with their evidence; node ids are ``<kind>:<key>``. Use it
        with :mod:`loopintel.graph` (clusters, recurrences, blast radius) or with any
        networkx algorithm; ``docs/graph.md`` lists every attribute. A new graph is
        built at each call: change it freely.

        Args:
            since: only commits, changes and incidents from this moment on (a date is
                midnight UTC; a datetime needs a timezone).
            until: only those before it.
            proxies: the proxy incidents (bug-fix commits standing in for incidents,
                ``import_proxies()``) instead of the real ones; the two are never mixed.

        Raises:
            InvalidQuery: a malformed or naive date, or a window that ends before it starts.

        Example:
            >>> G = repo.graph()  # doctest: +SKIP
            >>> G.nodes["file:src/flask/app.py"]["kind"]  # doctest: +SKIP
            'file'

        """
        from loopintel.arguments import window  # noqa: PLC0415 - loaded on use
        from loopintel.graph_index import build_graph  # noqa: PLC0415

        start, end = window(since, until)
        return build_graph(self._git, self._store, since=start, until=end, proxies=proxies)

    def clusters(
        self,
        *,
        since: Moment | None = None,
        until: Moment | None = None,
        proxies: bool = False,
        path: str | None = None,
        min_incidents: int = 2,
        limit: int | None = None,
    ) -> Records[Cluster]:
        """Incidents grouped by the code they implicate, the largest group first.

        Each cluster with its incidents, the functions and modules they implicate, the
        dominant change types and the authors of that code; see
        :func:`loopintel.graph.clusters` and ``docs/graph.md``.

        Args:
            since: only incidents (and changes) from this moment on.
            until: only those before it.
            proxies: cluster the proxy incidents instead of the real ones.
            path: only clusters that implicate code in this file or directory.
            min_incidents: leave out clusters with fewer incidents (default 2: a lone
                incident is no pattern).
            limit: at most this many clusters (``None``: all).

        Raises:
            InvalidQuery: a bad window, ``min_incidents`` below 1 or a limit below 1.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        """
        from loopintel import graph  # noqa: PLC0415 - loaded on use
        from loopintel.arguments import head_path, is_under, row_limit  # noqa: PLC0415

        limit = row_limit(limit)
        scope = head_path(self._resolver, path)
        found = [
            cluster
            for cluster in graph.clusters(
                self.graph(since=since, until=until, proxies=proxies),
                min_incidents=min_incidents,
            )
            if any(is_under(f.function.path, scope) for f in cluster.functions)
        ]
        return Records(found if limit is None else found[:limit])

    def recurring(
        self,
        *,
        since: Moment | None = None,
        until: Moment | None = None,
        proxies: bool = False,
        path: str | None = None,
        window_days: float = 365.0,
        min_gap_days: float = 1.0,
        limit: int | None = None,
    ) -> Records[Recurrence]:
        """Incidents that came back after a fix to the same code, the newest first.

        Each with the fix, the functions it changed that the later incident implicates,
        their modules, the commits SZZ traced the fixed lines to, and the time between;
        see :func:`loopintel.graph.recurring` and ``docs/graph.md``.

        Args:
            since: only incidents (and changes) from this moment on.
            until: only those before it.
            proxies: the proxy incidents instead of the real ones.
            path: only recurrences on code in this file or directory.
            window_days: how many days after the fix a new incident still counts.
            min_gap_days: how many days after the fix a new incident must start.
            limit: at most this many rows (``None``: all).

        Raises:
            InvalidQuery: a bad window, a non-positive ``window_days``, a ``min_gap_days``
                not between 0 and ``window_days``, or a limit below 1.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        """
        from loopintel import graph  # noqa: PLC0415 - loaded on use
        from loopintel.arguments import head_path, is_under, row_limit  # noqa: PLC0415

        limit = row_limit(limit)
        scope = head_path(self._resolver, path)
        window = _days(window_days, "window_days")
        gap = _days(min_gap_days, "min_gap_days", zero=True)
        if gap >= window:
            raise InvalidQuery(
                "min_gap_days", min_gap_days, f"fewer days than window_days ({window_days:g})"
            )
        found = [
            recurrence
            for recurrence in graph.recurring(
                self.graph(since=since, until=until, proxies=proxies), window=window, min_gap=gap
            )
            if any(is_under(f.path, scope) for f in recurrence.functions)
        ]
        return Records(found if limit is None else found[:limit])

    def blast_radius(
        self,
        function: str,
        *,
        since: Moment | None = None,
        until: Moment | None = None,
        proxies: bool = False,
        limit: int | None = None,
    ) -> BlastRadius:
        """What a change to one function may reach.

        The functions changed in the same commits, who knows it and them, and the
        incidents that implicated any of that code; see
        :func:`loopintel.graph.blast_radius`.

        Args:
            function: a lookup as for :meth:`function` (``path::qualname``, a bare name,
                ``path:line`` or a lineage id).
            since: only changes and incidents from this moment on.
            until: only those before it.
            proxies: the proxy incidents instead of the real ones.
            limit: at most this many co-changed functions (``None``: all).

        Raises:
            FunctionNotFound: no function matches.
            AmbiguousFunction: several do.
            InvalidQuery: a bad window or a limit below 1.

        """
        from loopintel import graph  # noqa: PLC0415 - loaded on use
        from loopintel.arguments import row_limit  # noqa: PLC0415

        lineage = self._resolver.lineage(function)
        return graph.blast_radius(
            self.graph(since=since, until=until, proxies=proxies),
            lineage,
            limit=row_limit(limit),
        )

    # -- ownership: files and directories ------------------------------------------------

    def authors(self) -> Records[AuthorActivity]:
        """Every author of the indexed history (after ``.mailmap``), most commits first.

        Each with their commits, first and latest commit, and every identity (name and
        email as written) their commits carry.
        """
        return Records(self._store.author_activity())

    def suggest_mailmap(self) -> Records[IdentityMatch]:
        """Authors who may be one person under two identities ``.mailmap`` does not join.

        Pairs with the same name (ignoring case, accents and spacing) or the same email
        user, each with its evidence and the ``.mailmap`` line that would join them;
        nothing is merged (see ``docs/ownership.md``).
        """
        from loopintel.analysis.identities import identity_matches  # noqa: PLC0415

        return Records(identity_matches(self._store.author_activity()))

    def experts(
        self,
        path: str = ".",
        *,
        half_life_days: float | None = 365.0,
        inactive_after_days: float = 365.0,
    ) -> Records[Expert]:
        """Who knows a file or a directory, best first: degree of authorship of its code.

        Its functions at the indexed head are taken as one body of code, followed
        through their lineages; see ``docs/ownership.md``.

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
        return path_experts(
            self._store,
            self._resolver.scope(path),
            half_life_days=half_life_days,
            inactive_after_days=inactive_after_days,
        )

    def truck_factor(
        self,
        path: str = ".",
        *,
        half_life_days: float | None = None,
        inactive_after_days: float = 365.0,
    ) -> TruckFactor:
        """The truck factor of a directory (or file), after Avelino et al.

        How many authors, removed greedily, leave most of its files without an author
        (files with functions at the indexed head); see ``docs/ownership.md``.

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
        return path_truck_factor(
            self._store,
            self._resolver.scope(path),
            half_life_days=half_life_days,
            inactive_after_days=inactive_after_days,
        )


def _days(value: float, argument: str, *, zero: bool = False) -> timedelta:
    """A number of days as a ``timedelta`` (positive, or also 0 with ``zero``)."""
    from loopintel.arguments import number  # noqa: PLC0415 - loaded on use

    days = number(value, argument, "a number of days")
    if days < 0 or (days == 0 and not zero):
        raise InvalidQuery(argument, value, "at least 0 days" if zero else "more than 0 days")
    return timedelta(days=days)


def _issue_date(value: datetime | date | str | None) -> datetime | None:
    """An issue date as an aware datetime (a date: the end of that day, UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidQuery("issue_date", text, "an ISO 8601 date or datetime") from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidQuery("issue_date", value.isoformat(), "a datetime with a timezone")
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.max, tzinfo=UTC)
    raise InvalidQuery("issue_date", value, "a datetime, a date or an ISO 8601 string")
