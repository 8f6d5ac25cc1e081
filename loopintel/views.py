"""One function's story, read from the index: ``repo.function("path::Qual.name")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopintel.analysis.deprecation import deprecation
from loopintel.code import checked_prefixes
from loopintel.errors import InvalidConfiguration
from loopintel.model import (
    Change,
    ChangeKind,
    ChangeType,
    ComplexityPoint,
    ComplexityTrend,
    Deprecation,
    Expert,
    FunctionCoverage,
    FunctionRef,
    FunctionSummary,
    Stability,
    StabilityClass,
)
from loopintel.ownership import ranked_experts
from loopintel.store import ChangeOrder, ChangeQuery
from loopintel.tables import Records

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from loopintel.code import SourceReader
    from loopintel.store import Store

__all__ = ["VOLATILE_CHANGES_90D", "VOLATILE_CHANGES_365D", "FunctionView"]

DAY = 86400
VOLATILE_CHANGES_365D = 3
"""Changes in a year that make a function volatile (above the 90th percentile of the
functions that changed at all, in flask, requests, click and packaging)."""
VOLATILE_CHANGES_90D = 2
"""Changes in 90 days that make a function volatile."""


class FunctionView:
    """A function found by :meth:`loopintel.Repository.function`, across its lineage.

    The view reads the index when asked; the answers are frozen values.
    """

    def __init__(
        self,
        store: Store,
        ref: FunctionRef,
        lineage: str,
        *,
        at_head: bool,
        source: SourceReader,
        at: str | None = None,
    ) -> None:
        self._store = store
        self._source = source
        self.at = at
        """The commit the view was looked up at (``repo.function(..., at=)``), if any."""
        self.ref = ref
        """The function as named at the indexed head (or when last seen)."""
        self.lineage = lineage
        """Its lineage id."""
        self.at_head = at_head
        """Whether it exists at the indexed head."""

    def __repr__(self) -> str:
        where = "" if self.at_head else " (gone)"
        return f"<FunctionView {self.ref}{where} lineage={self.lineage}>"

    def history(self, *, cosmetic: bool = True) -> Records[Change]:
        """Every change of the function, newest first, through renames and moves.

        Newest by author time; changes of the same second in commit graph order (a
        commit after its parents), newest first.

        Args:
            cosmetic: include changes that touched only formatting or comments.

        """
        query = ChangeQuery(
            lineages=(self.lineage,),
            cosmetic=cosmetic,
            order=ChangeOrder.DATE,
            newest_first=True,
        )
        return Records(self._store.changes(query))

    def _in_graph_order(self, *, newest_first: bool) -> Iterator[Change]:
        """Its changes in commit graph order: the last one made the version at the end."""
        query = ChangeQuery(lineages=(self.lineage,), newest_first=newest_first)
        return self._store.changes(query)

    def _counted(self, *, order: ChangeOrder, newest_first: bool) -> Iterator[Change]:
        """The changes that count (experts, stability).

        Not cosmetic, and not copies of an earlier commit on another branch: a
        cherry-pick counts once.
        """
        query = ChangeQuery(
            lineages=(self.lineage,),
            cosmetic=False,
            copies=False,
            order=order,
            newest_first=newest_first,
        )
        return self._store.changes(query)

    @property
    def last_changed(self) -> Change | None:
        """The latest change that was not only cosmetic."""
        return next(iter(self.history(cosmetic=False)), None)

    def latest_change(self, *, cosmetic: bool = True) -> Change | None:
        """The latest change, cosmetic ones included unless told otherwise."""
        return next(iter(self.history(cosmetic=cosmetic)), None)

    @property
    def introduced(self) -> Change | None:
        """The change that added the function.

        ``None`` if its history starts before the indexed history (a shallow clone).
        """
        change = next(self._in_graph_order(newest_first=False), None)
        return change if change is not None and change.kind is ChangeKind.ADDED else None

    @property
    def deleted(self) -> Change | None:
        """The change that deleted the function, if it is gone."""
        latest = next(self._in_graph_order(newest_first=True), None)
        return latest if latest is not None and latest.kind is ChangeKind.DELETED else None

    @property
    def complexity(self) -> int | None:
        """Cyclomatic complexity of its latest version.

        For a deleted function, the version before it was deleted.
        """
        for change in self._in_graph_order(newest_first=True):
            if change.kind is not ChangeKind.DELETED:
                return change.complexity
        return None

    def experts(
        self, *, half_life_days: float | None = 365.0, inactive_after_days: float = 365.0
    ) -> Records[Expert]:
        """Who knows this function, best first: degree of authorship over its lineage.

        Args:
            half_life_days: a change this old counts half (older ones less); ``None``
                counts every change fully.
            inactive_after_days: an author without any commit in the repository for
                this long before the indexed head is flagged ``active=False``.

        """
        from loopintel.analysis.knowledge import Touch  # noqa: PLC0415 - numpy on first use

        history = list(self._counted(order=ChangeOrder.GRAPH, newest_first=False))
        if not history:
            return Records()
        first = history[0] if history[0].kind is ChangeKind.ADDED else None
        touches = [
            Touch(c.author_email, int(c.authored_at.timestamp()), c is first, order=place)
            for place, c in enumerate(history)
        ]
        # Cosmetic changes say who was around the code, never who knows it.
        cosmetic = ChangeQuery(lineages=(self.lineage,), copies=False)
        tidied = [c for c in self._store.changes(cosmetic) if ChangeType.COSMETIC in c.change_types]
        touches += [
            Touch(c.author_email, int(c.authored_at.timestamp()), False, True) for c in tidied
        ]
        names = {c.author_email: c.author_name for c in [*tidied, *history]}
        return ranked_experts(self._store, touches, names, half_life_days, inactive_after_days)

    @property
    def coverage(self) -> FunctionCoverage | None:
        """Line coverage from the latest snapshot that measured this function.

        "Latest" is by the commit measured (then by import order), among the snapshots
        whose data reached any line of its body; a partial import that measured other
        code of the file does not hide an earlier complete one. Failing that (a one-line
        function), the latest snapshot that has it. ``snapshot`` and ``commit`` of the
        answer say which it is. ``None`` when no imported coverage data covers it:
        unknown, which is not zero.
        """
        found = self._store.coverage_of(self.lineage, latest=True)
        return found[0] if found else None

    def coverage_history(self) -> Records[FunctionCoverage]:
        """Its coverage in every snapshot that measured it, newest commit first.

        Follows the lineage, so a snapshot taken before a rename or move counts.
        """
        return Records(self._store.coverage_of(self.lineage, latest=False))

    @property
    def stability(self) -> Stability:
        """Recent changes, churn, age and a classification (stable/active/volatile)."""
        head_time = self._store.head_time()
        history = list(self._counted(order=ChangeOrder.DATE, newest_first=True))
        ages = [(head_time - c.authored_at.timestamp()) / DAY for c in history]
        recent = [c for c, age in zip(history, ages, strict=True) if age <= 365]
        changes_90 = sum(age <= 90 for age in ages)
        if len(recent) >= VOLATILE_CHANGES_365D or changes_90 >= VOLATILE_CHANGES_90D:
            classification = StabilityClass.VOLATILE
        elif recent:
            classification = StabilityClass.ACTIVE
        else:
            classification = StabilityClass.STABLE
        introduced = self.introduced
        return Stability(
            changes_30d=sum(age <= 30 for age in ages),
            changes_90d=changes_90,
            changes_365d=len(recent),
            churn_365d=sum(c.lines_added + c.lines_removed for c in recent),
            age_days=(head_time - introduced.authored_at.timestamp()) / DAY if introduced else None,
            days_since_change=ages[0] if ages else None,
            classification=classification,
        )

    def _version(self) -> tuple[str | None, FunctionRef]:
        """The commit and name of the version whose source answers code questions."""
        if self.at is not None:
            return self.at, self.ref
        if self.at_head:
            return self._store.meta("head"), self.ref
        deleted = self.deleted
        if deleted is not None and deleted.parent is not None:
            return deleted.parent, deleted.ref
        changes = self._in_graph_order(newest_first=True)
        last = next((c for c in changes if c.kind is not ChangeKind.DELETED), None)
        return (last.commit, last.ref) if last is not None else (None, self.ref)

    def deprecation(self, *, prefixes: str | Iterable[str] | None = None) -> Deprecation:
        """Whether the function is deprecated code, and what deprecated names it uses.

        Read from its source: at the indexed head; at the commit a view was looked up
        at (``at=``); for a deleted function, its last version (in the parent of the
        commit that deleted it). A version :mod:`ast` cannot parse answers ``None``
        (unknown), not ``False``.

        Args:
            prefixes: deprecated module prefixes (``"myapp.legacy"`` covers
                ``myapp.legacy`` and everything under it); default: the repository's
                (``loopintel.open(deprecated=...)``, else ``[tool.loopintel]
                deprecated`` in the ``pyproject.toml`` at the indexed head).

        Raises:
            InvalidQuery: a prefix is not a dotted module name.
            InvalidConfiguration: the ``pyproject.toml`` setting is malformed.

        Example:
            >>> repo.function("load_config").deprecation().touches  # doctest: +SKIP

        """
        chosen = (
            self._source.prefixes() if prefixes is None else checked_prefixes(prefixes, "prefixes")
        )
        commit, ref = self._version()
        if commit is None:
            reason = "no version of it is in the indexed history"
            return Deprecation(ref, None, None, (), (), None, chosen, reason)
        return deprecation(self._source.module(commit, ref.path), ref, chosen, commit=commit)

    def complexity_history(self) -> Records[ComplexityPoint]:
        """Its cyclomatic complexity after each non-cosmetic change, oldest first.

        Versions whose complexity is unknown (and the deletion) are left out.
        """
        return Records(
            ComplexityPoint(c.commit, c.authored_at, c.complexity)
            for c in reversed(self.history(cosmetic=False))
            if c.complexity is not None
        )

    @property
    def complexity_trend(self) -> ComplexityTrend:
        """Where its complexity has been going, from :meth:`complexity_history`.

        First, latest, lowest and highest complexity, the change over the 365 days
        before the indexed head, the least-squares slope per year and a direction
        (``rising``/``falling``/``flat``).
        """
        points = self.complexity_history()
        from loopintel.analysis.trend import complexity_trend  # noqa: PLC0415 - numpy on use

        return complexity_trend(
            [p.authored_at.timestamp() for p in points],
            [p.complexity for p in points],
            head_time=self._store.head_time(),
            exists=self.at_head,
        )

    def summary(self) -> FunctionSummary:
        """Everything about the function in one value: what ``loopintel show`` prints.

        Its identity, complexity, number of changes, last change, introduction and
        deletion, stability, experts, coverage, complexity trend and deprecation, each
        as the member of the same name answers it (experts and deprecation with their
        defaults).

        When the repository's ``[tool.loopintel] deprecated`` setting is malformed, the
        deprecation answer checks the function's own marks only (``prefixes=()``) and
        the problem is kept in ``deprecation_warning`` rather than raised.

        Returns:
            A :class:`~loopintel.FunctionSummary`; its ``to_dict()`` is the JSON of
            ``loopintel show --json``.

        Example:
            >>> repo.function("create_app").summary().stability.classification  # doctest: +SKIP
            <StabilityClass.VOLATILE: 'volatile'>

        """
        warning = None
        try:
            answer = self.deprecation()
        except InvalidConfiguration as exc:
            warning = str(exc)
            answer = self.deprecation(prefixes=())
        return FunctionSummary(
            ref=self.ref,
            lineage=self.lineage,
            at_head=self.at_head,
            complexity=self.complexity,
            changes=len(self.history()),
            last_changed=self.last_changed,
            introduced=self.introduced,
            deleted=self.deleted,
            stability=self.stability,
            experts=tuple(self.experts()),
            coverage=self.coverage,
            complexity_trend=self.complexity_trend,
            deprecation=answer,
            deprecation_warning=warning,
        )
