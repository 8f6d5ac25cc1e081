"""Trends: where a measure of a piece of code has been going, period by period."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.functions import FunctionRef  # noqa: TC001 - a field type at run time

__all__ = [
    "MIN_PERIODS",
    "MIN_POINTS",
    "Trend",
    "TrendLevel",
    "TrendMetric",
    "TrendPeriod",
    "TrendVerdict",
]

MIN_PERIODS = 8
"""A window of fewer periods is too short for any trend (two years of quarters)."""
MIN_POINTS = 6
"""A series with fewer periods that have a value is too short: below it the normal
approximation of Mann-Kendall's S misstates p, and one odd period decides the answer."""


class TrendLevel(enum.StrEnum):
    """What a trend follows: a function, a file, a module, or the whole repository."""

    FUNCTION = "function"
    """A function at the indexed head, followed through its lineage."""
    FILE = "file"
    """A file at the indexed head: its functions taken together."""
    MODULE = "module"
    """A directory at the indexed head: the functions of the files directly in it."""
    REPOSITORY = "repository"
    """Every function at the indexed head (or under ``path``) taken together."""


class TrendPeriod(enum.StrEnum):
    """The unit of a series: calendar months or quarters, in UTC."""

    MONTH = "month"
    QUARTER = "quarter"

    @property
    def per_year(self) -> int:
        """Periods in a year (12 or 4)."""
        return 12 if self is TrendPeriod.MONTH else 4


class TrendMetric(enum.StrEnum):
    """The measures a trend follows; each says which way is degrading (``docs/trends.md``)."""

    COMPLEXITY = "complexity"
    """Sum of the latest known cyclomatic complexity of its functions at the period's
    end (a state: carried over periods without change). Rising is degrading."""
    CHURN = "churn"
    """Lines added and removed in the period (from the period after the one its first
    change was in). Rising is degrading."""
    CHANGES = "changes"
    """Commits that changed it other than cosmetically in the period (from the period
    after its first change's). Rising is degrading."""
    INCIDENTS = "incidents"
    """Stored real incidents linked to it that started in the period. Rising is
    degrading."""
    COVERAGE = "coverage"
    """Percent of its coverable lines covered in the latest coverage snapshot of a commit
    of the period (missing where no snapshot was taken). Falling is degrading."""
    AUTHORS = "authors"
    """Distinct authors (after ``.mailmap``) of its non-cosmetic changes in the period
    (from the period after its first change's). Falling is degrading."""
    TRUCK_FACTOR = "truck_factor"
    """Avelino et al.'s truck factor of its files from their authorship up to the
    period's end (modules and the repository only). Falling is degrading."""

    @property
    def degrading_if(self) -> str:
        """``rising`` or ``falling``: the way this measure gets worse."""
        falling = (TrendMetric.COVERAGE, TrendMetric.AUTHORS, TrendMetric.TRUCK_FACTOR)
        return "falling" if self in falling else "rising"


class TrendVerdict(enum.StrEnum):
    """What the trend test says of a series."""

    DEGRADING = "degrading"
    """A significant monotonic trend (Mann-Kendall ``p < alpha``) the bad way."""
    IMPROVING = "improving"
    """A significant monotonic trend the good way."""
    STEADY = "steady"
    """No significant trend either way (``p >= alpha``, or no change at all)."""
    TOO_SHORT = "too_short"
    """Too few periods, or too few of them with a value, to test."""


@attrs.frozen
class Trend(Serializable):
    """One measure of one piece of code, period by period, and what the trend test says.

    The verdict comes from the Mann-Kendall test of the whole series (never from its
    first and last points), its size from Sen's slope.
    """

    level: TrendLevel
    """Function, file, module or repository."""
    name: str
    """``path::qualname`` for a function, a file's path, a module's directory (``.``: the
    root), ``.`` for the repository."""
    path: str
    """The function's file, the file, the module's directory, or ``.``."""
    function: FunctionRef | None
    """The function at the indexed head (``None`` above function level)."""
    lineage: str | None
    """The function's lineage id (``None`` above function level)."""
    metric: TrendMetric
    """What is measured."""
    period: TrendPeriod
    """The unit of the series."""
    periods: tuple[datetime, ...]
    """Start of each period (UTC), oldest first."""
    values: tuple[float | None, ...]
    """The measure in each period; ``None`` where there is none: before the code's first
    change (for churn, changes and authors, up to the period after it: that one holds
    the writing of the code), and in a period without a coverage snapshot."""
    n: int
    """Periods with a value: the points the test used."""
    s: int
    """Mann-Kendall S: over every pair of points, the sign of the later minus the earlier."""
    variance: float
    """Variance of S under no trend, corrected for ties."""
    z: float
    """The normal score of S (with continuity correction)."""
    tau: float
    """Kendall's tau against time: S over the pairs of points (-1 to 1)."""
    p_value: float
    """Two-sided p-value of S under no trend (normal approximation)."""
    sen_slope: float | None
    """Sen's slope per period: the median over pairs of points of their difference over
    the periods between them (``None`` with fewer than two points)."""
    sen_slope_per_year: float | None
    """Sen's slope per year (12 or 4 periods)."""
    degrading_if: str
    """``rising`` or ``falling``: the way this measure gets worse."""
    alpha: float
    """The significance level the verdict used."""
    direction: TrendVerdict
    """``degrading``, ``improving``, ``steady`` or ``too_short``."""
    since: datetime
    """Start of the first period (UTC)."""
    until: datetime
    """End of the last period (UTC)."""

    _shape = Shape(computed=("reason",), after="direction")

    @property
    def reason(self) -> str:
        """The verdict in words, with the numbers behind it (written by ``to_dict``)."""
        unit = self.period.value
        count = len(self.periods)
        if count < MIN_PERIODS:
            return (
                f"too short: the window holds {_count(count, unit)}; "
                f"a trend needs at least {MIN_PERIODS}"
            )
        if self.direction is TrendVerdict.TOO_SHORT:
            first = next((i for i, v in enumerate(self.values) if v is not None), None)
            if self.metric is TrendMetric.COVERAGE:
                why = "those with a coverage snapshot"
            elif first is None:
                why = "no change of it in the window"
            else:
                why = (
                    f"its series starts with the {unit} of {self.periods[first]:%Y-%m-%d}: "
                    "the code is younger than the window"
                )
            return (
                f"too short: {self.n} of {_count(count, unit)} have a value ({why}); "
                f"a trend needs at least {MIN_POINTS}"
            )
        test = (
            f"Mann-Kendall S = {self.s:+d} over {_count(self.n, unit)}, "
            f"tau = {self.tau:+.2f}, p = {self.p_value:.2g}"
        )
        if self.direction is TrendVerdict.STEADY:
            known = {v for v in self.values if v is not None}
            if len(known) == 1:
                return f"steady: {self.metric.value} was {_number(known.pop())} in every {unit}"
            return f"steady: no significant trend ({test} >= {self.alpha:g})"
        moved = "rose" if self.s > 0 else "fell"
        slope = (
            f"Sen's slope {_signed(self.sen_slope)} per {unit} "
            f"({_signed(self.sen_slope_per_year)} per year)"
        )
        if self.sen_slope == 0:
            slope += ": most pairs of periods are equal"
        return (
            f"{self.direction.value}: {self.metric.value} {moved} ({test} < {self.alpha:g}; "
            f"{slope}); {self.metric.value} {self.degrading_if} is degrading"
        )


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.3g}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3g}"
