"""Trends of the code at the indexed head: the arguments checked, the index read, the rows made.

The series come from :mod:`loopintel.analysis.series` (numpy over the change columns,
the incident links and the coverage snapshots), the test from
:mod:`loopintel.analysis.trend` (Mann-Kendall with Sen's slope); this module picks the
window and its periods, maps the functions at the head to elements, and turns the arrays
into :class:`~loopintel.Trend` values with their verdicts in words.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from loopintel.arguments import choice, head_path, number, row_limit, window
from loopintel.elements import head_code, head_spans
from loopintel.errors import InvalidQuery
from loopintel.model import FunctionRef, Trend, TrendLevel, TrendMetric, TrendPeriod, TrendVerdict
from loopintel.model.trends import MIN_PERIODS, MIN_POINTS
from loopintel.tables import Records

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import numpy.typing as npt

    from loopintel.analysis.hotspots import HeadCode
    from loopintel.analysis.series import Periods, Placed
    from loopintel.elements import HeadSpan
    from loopintel.resolver import Moment, Resolver
    from loopintel.store import ChangeColumns, Store

__all__ = ["DEFAULT_ALPHA", "MIN_PERIODS", "MIN_POINTS", "TrendQuery", "trends"]

DEFAULT_ALPHA = 0.05
"""The significance level: a trend is degrading or improving when its two-sided
Mann-Kendall p-value is below it."""

_TRUCK_LEVELS = (TrendLevel.MODULE, TrendLevel.REPOSITORY)
_WRITTEN = (TrendMetric.CHURN, TrendMetric.CHANGES, TrendMetric.AUTHORS)
"""Metrics whose series start the period after the code's first change."""
_ORDER = {
    TrendVerdict.DEGRADING: 0,
    TrendVerdict.IMPROVING: 1,
    TrendVerdict.STEADY: 2,
    TrendVerdict.TOO_SHORT: 3,
}


@attrs.frozen
class TrendQuery:
    """A trends question with its arguments checked (see :meth:`from_arguments`)."""

    level: TrendLevel
    metrics: tuple[TrendMetric, ...] | None
    """The metrics asked for (``None``: every one the history has)."""
    period: TrendPeriod
    since: int | None
    """Seconds since the epoch: the first whole period starting at or after it."""
    until: int | None
    """Seconds since the epoch: the last whole period ending at or before it."""
    path: str
    """A file or directory at the head as the index spells it (``""``: everything)."""
    degrading_only: bool
    limit: int | None
    alpha: float

    @classmethod
    def from_arguments(
        cls,
        resolver: Resolver,
        *,
        level: TrendLevel | str,
        metric: TrendMetric | str | Iterable[TrendMetric | str] | None,
        period: TrendPeriod | str,
        since: Moment | None,
        until: Moment | None,
        path: str | None,
        degrading_only: bool,
        limit: int | None,
        alpha: float,
    ) -> TrendQuery:
        """The query of a caller's arguments.

        Raises:
            InvalidQuery: an unknown level, metric or period; a metric the level does
                not have (``truck_factor`` below modules); a malformed or naive date, a
                window that ends before it starts; a limit below 1; an alpha outside
                ``(0, 1)``.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        """
        clean_level = choice(TrendLevel, level, "level")
        metrics: tuple[TrendMetric, ...] | None = None
        if metric is not None:
            given = [metric] if isinstance(metric, str) else list(metric)
            if not given:
                raise InvalidQuery("metric", metric, "a metric, or None for all")
            metrics = tuple(dict.fromkeys(choice(TrendMetric, m, "metric") for m in given))
            if TrendMetric.TRUCK_FACTOR in metrics and clean_level not in _TRUCK_LEVELS:
                raise InvalidQuery(
                    "metric",
                    TrendMetric.TRUCK_FACTOR.value,
                    "a metric of this level: the truck factor is followed for modules "
                    "and the repository only",
                )
        level_of = "a significance level between 0 and 1"
        if not 0 < number(alpha, "alpha", level_of) < 1:
            raise InvalidQuery("alpha", alpha, level_of)
        start, end = window(since, until)
        return cls(
            level=clean_level,
            metrics=metrics,
            period=choice(TrendPeriod, period, "period"),
            since=start,
            until=end,
            path=head_path(resolver, path),
            degrading_only=bool(degrading_only),
            limit=row_limit(limit),
            alpha=float(alpha),
        )


def trends(store: Store, query: TrendQuery) -> Records[Trend]:
    """The trends a query asks for, the most significant degrading ones first.

    Order: degrading, improving, steady, too short; within each, lowest p-value first,
    then the strongest tau, then by name and metric. A window that holds no whole
    period has none.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.series import birth, from_birth, place  # noqa: PLC0415
    from loopintel.analysis.trend import trend_rows  # noqa: PLC0415

    columns = store.columns()
    spans = head_spans(store, query.path)
    if not len(columns) or not spans:
        return Records()
    names, code = head_code(store, columns, spans, query.level.value)
    periods = _periods(store, columns, query)
    if not periods.count:
        return Records()  # no whole period in the window: no series to test
    placed = place(columns, code, periods)
    born = birth(placed)
    series = _Series(store, columns, code, placed, spans, periods)
    metrics = _metrics(query, series)
    blocks = []
    for metric in metrics:
        values = series.of(metric)
        # Counts of activity start after the period the code was written in: that one
        # holds the writing itself, and would open every series with a peak.
        from_birth(values, born + 1 if metric in _WRITTEN else born)
        blocks.append(values)
    values = np.concatenate(blocks) if blocks else np.zeros((0, periods.count))
    kendall, slope = trend_rows(values)
    short = (kendall.n < MIN_POINTS) | (periods.count < MIN_PERIODS)
    significant = ~short & (kendall.p < query.alpha) & (kendall.s != 0)
    worse_up = np.repeat(
        np.array([metric.degrading_if == "rising" for metric in metrics], dtype=bool),
        code.elements,
    )
    degrading = significant & ((kendall.s > 0) == worse_up)
    verdict = np.where(short, 3, np.where(degrading, 0, np.where(significant, 1, 2))).astype(
        np.int64
    )
    elements = code.elements
    name_rank = np.argsort(np.argsort(np.array(names, dtype=object)))
    row_element = np.tile(np.arange(elements), len(metrics))
    row_metric = np.repeat(np.arange(len(metrics)), elements)
    order = np.lexsort(
        (row_metric, name_rank[row_element], -np.abs(kendall.tau), kendall.p, verdict)
    )
    if query.degrading_only:
        order = order[verdict[order] == 0]
    if query.limit is not None:
        order = order[: query.limit]
    maker = _Maker(query, periods, names, spans)
    # Missing values as None, once for the whole matrix: rows become tuples as they are.
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    verdicts = tuple(_ORDER)
    return Records(
        maker.trend(
            element=int(row_element[i]),
            metric=metrics[int(row_metric[i])],
            values=tuple(cells[i].tolist()),
            n=int(kendall.n[i]),
            s=int(kendall.s[i]),
            variance=float(kendall.variance[i]),
            z=float(kendall.z[i]),
            tau=float(kendall.tau[i]),
            p=float(kendall.p[i]),
            slope=float(slope[i]),
            verdict=verdicts[int(verdict[i])],
        )
        for i in order.tolist()
    )


def _periods(store: Store, columns: ChangeColumns, query: TrendQuery) -> Periods:
    """The whole periods of the window.

    By default from the period of the index's first change to the last one before the
    period of the indexed head (still in progress).
    """
    import numpy as np  # noqa: PLC0415

    from loopintel.analysis.series import Periods, period_of, start_of  # noqa: PLC0415

    months = 1 if query.period is TrendPeriod.MONTH else 3

    def start(moment: int) -> int:
        return int(start_of(period_of(np.array([moment]), months), months)[0])

    since = start(int(columns.authored_at.min())) if query.since is None else query.since
    until = start(store.head_time()) if query.until is None else query.until
    return Periods.window(months, since, max(since, until))


class _Series:
    """The series of each metric, read from the index when first asked for."""

    def __init__(
        self,
        store: Store,
        columns: ChangeColumns,
        code: HeadCode,
        placed: Placed,
        spans: list[HeadSpan],
        periods: Periods,
    ) -> None:
        self.store, self.columns, self.code, self.placed = store, columns, code, placed
        self.spans, self.periods = spans, periods
        self._links = store.incident_link_rows()
        self._coverage = store.coverage_function_rows()

    def has(self, metric: TrendMetric) -> bool:
        """Whether the index holds the data of ``metric``."""
        if metric is TrendMetric.INCIDENTS:
            return bool(self._links)
        if metric is TrendMetric.COVERAGE:
            return bool(self._coverage)
        return True

    def of(self, metric: TrendMetric) -> npt.NDArray[np.float64]:
        """The ``(elements, periods)`` matrix of ``metric`` (a new array)."""
        from loopintel.analysis import series  # noqa: PLC0415

        columns, code, placed = self.columns, self.code, self.placed
        if metric is TrendMetric.COMPLEXITY:
            return series.complexity_series(columns, code, placed)
        if metric is TrendMetric.CHURN:
            return series.churn_series(columns, code, placed)
        if metric is TrendMetric.CHANGES:
            return series.changes_series(columns, placed)
        if metric is TrendMetric.AUTHORS:
            return series.authors_series(columns, placed)
        if metric is TrendMetric.INCIDENTS:
            return self._incidents()
        if metric is TrendMetric.COVERAGE:
            return self._coverage_series()
        return self._truck_factor()

    def _incidents(self) -> npt.NDArray[np.float64]:
        import numpy as np  # noqa: PLC0415

        from loopintel.analysis.series import incident_series  # noqa: PLC0415

        position = {row[2]: i for i, row in enumerate(self.spans)}
        codes: dict[str, int] = {}
        kept = [
            (position[lineage], codes.setdefault(incident, len(codes)), started)
            for incident, lineage, _, started in self._links
            if lineage in position and started is not None
        ]
        started = np.array([k[2] for k in kept], dtype=np.int64)
        return incident_series(
            self.code,
            self.placed,
            np.array([k[0] for k in kept], dtype=np.int64),
            np.array([k[1] for k in kept], dtype=np.int64),
            self.periods.index(started),
        )

    def _coverage_series(self) -> npt.NDArray[np.float64]:
        import numpy as np  # noqa: PLC0415

        from loopintel.analysis.series import CoverageRows, coverage_series  # noqa: PLC0415

        position = {row[2]: i for i, row in enumerate(self.spans)}
        # A later snapshot has a higher code: by its commit's place, then its import.
        order = {
            key: i for i, key in enumerate(sorted({(row[1], row[0]) for row in self._coverage}))
        }
        kept = [row for row in self._coverage if row[3] in position]
        count = len(kept)
        return coverage_series(
            self.code,
            self.placed,
            CoverageRows(
                function=np.fromiter((position[r[3]] for r in kept), np.int64, count),
                snapshot=np.fromiter((order[(r[1], r[0])] for r in kept), np.int64, count),
                period=self.periods.index(np.fromiter((r[2] for r in kept), np.int64, count)),
                covered=np.fromiter((r[4] for r in kept), np.int64, count),
                coverable=np.fromiter((r[5] for r in kept), np.int64, count),
            ),
        )

    def _truck_factor(self) -> npt.NDArray[np.float64]:
        import numpy as np  # noqa: PLC0415

        from loopintel.analysis.series import TruckFiles, truck_factor_series  # noqa: PLC0415
        from loopintel.model import ChangeType  # noqa: PLC0415

        columns = self.columns
        paths, file_of = np.unique(np.array([row[0] for row in self.spans]), return_inverse=True)
        group = np.zeros(paths.size, dtype=np.int64)
        group[file_of] = self.code.element
        duplicates = np.array(self.store.duplicate_seqs(), dtype=np.int64)
        counted = ((columns.types & ChangeType.COSMETIC.bit) == 0) & ~np.isin(
            columns.seq, duplicates
        )
        rank = np.argsort(np.argsort(np.array(columns.authors, dtype=object))).astype(np.int64)
        return truck_factor_series(
            columns,
            self.placed,
            TruckFiles(file=file_of.astype(np.int64), group=group, counted=counted, rank=rank),
        )


def _metrics(query: TrendQuery, series: _Series) -> tuple[TrendMetric, ...]:
    """The metrics to follow: those asked for, else every one the history and level have."""
    if query.metrics is None:
        return tuple(
            metric
            for metric in TrendMetric
            if series.has(metric)
            and (metric is not TrendMetric.TRUCK_FACTOR or query.level in _TRUCK_LEVELS)
        )
    missing = {
        TrendMetric.INCIDENTS: "no stored incident is linked to code",
        TrendMetric.COVERAGE: "no coverage snapshot of an indexed commit is stored",
    }
    for metric in query.metrics:
        if not series.has(metric):
            raise InvalidQuery(
                "metric",
                metric.value,
                f"a metric the index has data for: {missing[metric]} "
                "(import it first, or follow another metric)",
            )
    return query.metrics


class _Maker:
    """Builds :class:`Trend` values of one query (what they share, worked out once)."""

    def __init__(
        self,
        query: TrendQuery,
        periods: Periods,
        names: list[str],
        spans: list[HeadSpan],
    ) -> None:
        self.query, self.names, self.spans = query, names, spans
        edges = [datetime.fromtimestamp(int(t), UTC) for t in periods.starts()]
        self.starts = tuple(edges[:-1])
        self.since, self.until = edges[0], edges[-1]

    def trend(
        self,
        *,
        element: int,
        metric: TrendMetric,
        values: tuple[float | None, ...],
        n: int,
        s: int,
        variance: float,
        z: float,
        tau: float,
        p: float,
        slope: float,
        verdict: TrendVerdict,
    ) -> Trend:
        query = self.query
        name = self.names[element]
        function = lineage = None
        path = name
        if query.level is TrendLevel.FUNCTION:
            row = self.spans[element]
            function, lineage, path = FunctionRef(row[0], row[1]), row[2], row[0]
        sen = None if math.isnan(slope) else slope  # NaN: fewer than two points
        per_year = None if sen is None else sen * query.period.per_year
        return Trend(
            level=query.level,
            name=name,
            path=path,
            function=function,
            lineage=lineage,
            metric=metric,
            period=query.period,
            periods=self.starts,
            values=values,
            n=n,
            s=s,
            variance=variance,
            z=z,
            tau=tau,
            p_value=p,
            sen_slope=sen,
            sen_slope_per_year=per_year,
            degrading_if=metric.degrading_if,
            alpha=query.alpha,
            direction=verdict,
            since=self.since,
            until=self.until,
        )
