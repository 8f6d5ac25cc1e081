"""Where a measure has been going: a function's complexity, and the trend test of a series.

:func:`complexity_trend` summarises one function's versions with a least-squares slope;
:func:`mann_kendall` and :func:`sen_slope` test a series of periods for a monotonic
trend (``docs/trends.md``), one series or, with the ``_rows`` forms, thousands at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from loopintel.model import ComplexityTrend, TrendDirection

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

__all__ = [
    "MIN_TREND_DAYS",
    "TREND_SLOPE_PER_YEAR",
    "YEAR",
    "KendallRows",
    "MannKendall",
    "complexity_trend",
    "mann_kendall",
    "mann_kendall_rows",
    "sen_slope",
    "sen_slope_rows",
    "trend_rows",
]

YEAR = 365.25 * 86400
"""Seconds in a year, for slopes per year."""
MIN_TREND_DAYS = 90
"""A slope per year needs this much history: over a few days it would extrapolate one
afternoon's refactoring into a yearly rate. Shorter histories are ``young``."""
TREND_SLOPE_PER_YEAR = 0.5
"""A slope of at least this many decisions per year, either way, is a trend (see
``docs/functions.md`` for the data behind it); anything gentler is ``flat``."""


def complexity_trend(
    times: Sequence[float], values: Sequence[int], *, head_time: float, exists: bool
) -> ComplexityTrend:
    """Summarise complexity ``values`` measured at ``times`` (seconds), oldest first.

    The slope is fitted to the versions and, for a function that still exists, to its
    latest complexity once more at ``head_time``: the latest version has lasted until
    then, so two quick edits long ago do not make a steep trend.

    Args:
        times: author time of each version, oldest first.
        values: its cyclomatic complexity.
        head_time: the indexed head's commit time; the 365-day window ends there.
        exists: whether the function exists at the indexed head.

    """
    if not values:
        return ComplexityTrend(0, None, None, None, None, None, None, TrendDirection.FLAT)
    t = np.asarray(times, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    before = np.flatnonzero(t <= head_time - 365 * 86400)
    then = int(y[before[-1]]) if before.size else int(y[0])
    if exists and head_time > t[-1]:
        t = np.append(t, head_time)
        y = np.append(y, y[-1])
    slope: float | None = None
    direction = TrendDirection.FLAT
    if t[-1] - t[0] < MIN_TREND_DAYS * 86400:
        direction = TrendDirection.YOUNG
    else:
        dx = (t - t.mean()) / YEAR
        slope = float(dx @ (y - y.mean()) / float(dx @ dx))
        if abs(slope) >= TREND_SLOPE_PER_YEAR:
            direction = TrendDirection.RISING if slope > 0 else TrendDirection.FALLING
    return ComplexityTrend(
        points=len(values),
        first=int(y[0]),
        latest=int(y[-1]),
        min=int(y.min()),
        max=int(y.max()),
        change_365d=int(y[-1]) - then,
        slope_per_year=slope,
        direction=direction,
    )


# -- the trend test of a series: Mann-Kendall with Sen's slope ---------------------------

_PAIR_CELLS = 1 << 21
"""Pairwise differences held at once (rows x pairs) while many series are tested."""


class MannKendall(NamedTuple):
    """The Mann-Kendall test of one series (see :func:`mann_kendall`)."""

    s: int
    """Sum over every pair of points, earlier to later, of the sign of the difference."""
    variance: float
    """Variance of ``s`` under no trend, corrected for ties."""
    z: float
    """``(s - 1) / sqrt(variance)`` for a positive ``s``, ``(s + 1) / ...`` for a negative
    one (continuity correction), 0 for ``s = 0`` or no variance."""
    p: float
    """Two-sided p-value of ``z`` under the standard normal: ``erfc(|z| / sqrt(2))``."""
    tau: float
    """Kendall's tau of the series against time: ``s`` over the number of pairs."""


class KendallRows(NamedTuple):
    """The Mann-Kendall test of many series of one length, one entry per series."""

    n: npt.NDArray[np.int64]
    """Points with a value."""
    s: npt.NDArray[np.int64]
    variance: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64]
    p: npt.NDArray[np.float64]
    tau: npt.NDArray[np.float64]


def mann_kendall(values: Sequence[float | None]) -> MannKendall:
    """The Mann-Kendall trend test of a series, oldest first.

    Missing points (``None`` or NaN) are left out: pairs are made of the points that
    have a value, in their order. Ties (equal values) add nothing to ``s`` and shrink
    its variance: ``(n (n - 1) (2n + 5) - sum t (t - 1) (2t + 5)) / 18`` over the groups
    of ``t`` equal values. The p-value is two-sided, from the normal approximation.

    Example:
        >>> mann_kendall([1, 2, 3, 4, 5]).s
        10

    """
    rows = mann_kendall_rows(_matrix(values))
    return MannKendall(
        s=int(rows.s[0]),
        variance=float(rows.variance[0]),
        z=float(rows.z[0]),
        p=float(rows.p[0]),
        tau=float(rows.tau[0]),
    )


def sen_slope(values: Sequence[float | None]) -> float | None:
    """Sen's slope of a series, per step (``None`` with fewer than two points).

    The median over every pair of points of their difference over the steps between
    them; missing points (``None`` or NaN) are left out.

    Example:
        >>> sen_slope([1, None, 5, 4])  # slopes 4/2, 3/3 and -1/1
        1.0

    """
    slope = float(sen_slope_rows(_matrix(values))[0])
    return None if math.isnan(slope) else slope


def mann_kendall_rows(values: npt.NDArray[np.float64]) -> KendallRows:
    """:func:`mann_kendall` of every row of ``values`` (NaN: missing), in numpy."""
    return trend_rows(values, sen=False)[0]


def sen_slope_rows(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """:func:`sen_slope` of every row of ``values`` (NaN: missing; NaN: too few points)."""
    return trend_rows(values, sen=True)[1]


def trend_rows(
    values: npt.NDArray[np.float64], *, sen: bool = True
) -> tuple[KendallRows, npt.NDArray[np.float64]]:
    """Mann-Kendall and (with ``sen``) Sen's slope of every row, in one pass over the pairs.

    Equal rows are tested once: many series of a history are alike (functions written
    together and never changed again have the same churn by month), and the pairs of
    a row are most of the cost.

    Returns:
        The tests, and the slopes (NaN for a row with fewer than two points, or all NaN
        without ``sen``).

    """
    if values.shape[0] > 1:
        # NaN never equals itself: a stand-in no metric takes makes missing points alike.
        key = np.where(np.isnan(values), -np.inf, values)
        unique, inverse = np.unique(key, axis=0, return_inverse=True)
        if unique.shape[0] < values.shape[0]:
            inverse = inverse.reshape(-1)
            tests, slope = _trend_rows(np.where(np.isneginf(unique), np.nan, unique), sen=sen)
            spread = KendallRows(
                n=tests.n[inverse],
                s=tests.s[inverse],
                variance=tests.variance[inverse],
                z=tests.z[inverse],
                p=tests.p[inverse],
                tau=tests.tau[inverse],
            )
            return spread, slope[inverse]
    return _trend_rows(values, sen=sen)


def _trend_rows(
    values: npt.NDArray[np.float64], *, sen: bool
) -> tuple[KendallRows, npt.NDArray[np.float64]]:
    rows, length = values.shape
    present = ~np.isnan(values)
    n = np.count_nonzero(present, axis=1).astype(np.int64)
    s = np.zeros(rows, dtype=np.int64)
    slope = np.full(rows, np.nan)
    # A series that starts late (code written during the window) has pairs only from its
    # first point on: rows whose values run unbroken to the end are tested on that tail,
    # grouped by where it starts; any other row on all the periods.
    start = np.where(n > 0, np.argmax(present, axis=1) if length else 0, length)
    start = np.where(n == length - start, start, 0)
    # A series whose points are all equal has S = 0 and a slope of 0: no pairs to make.
    with np.errstate(invalid="ignore"):
        filled = np.where(present, values, np.inf)
        level = filled.min(axis=1, initial=np.inf) == np.where(present, values, -np.inf).max(
            axis=1, initial=-np.inf
        )
    flat = level & (n >= 2)
    slope[flat] = 0.0
    start[flat | (n < 2)] = -1
    for offset in np.unique(start[start >= 0]).tolist():
        chosen = np.flatnonzero(start == offset)
        tail = values[chosen, offset:]
        first, second = np.triu_indices(length - offset, 1)
        steps = (second - first).astype(np.float64)
        for lo, hi in _chunks(chosen.size, first.size):
            later, earlier = tail[lo:hi, second], tail[lo:hi, first]
            # A comparison with a missing point is false both ways: it adds nothing.
            s[chosen[lo:hi]] = np.count_nonzero(later > earlier, axis=1) - np.count_nonzero(
                later < earlier, axis=1
            )
            if sen:
                slope[chosen[lo:hi]] = _medians((later - earlier) / steps, n[chosen[lo:hi]])
    ties = _tie_terms(values)
    nf = n.astype(np.float64)
    variance = np.maximum((nf * (nf - 1) * (2 * nf + 5) - ties) / 18.0, 0.0)
    sd = np.sqrt(variance)
    safe = np.where(sd > 0, sd, 1.0)
    z = np.where((sd > 0) & (s != 0), (s - np.sign(s)) / safe, 0.0).astype(np.float64)
    erfc = np.frompyfunc(math.erfc, 1, 1)
    p = np.asarray(erfc(np.abs(z) / math.sqrt(2.0)), dtype=np.float64)
    pairs = nf * (nf - 1) / 2
    tau = np.divide(s, pairs, out=np.zeros(rows), where=pairs > 0)
    return KendallRows(n=n, s=s, variance=variance, z=z, p=p, tau=tau), slope


def _medians(slopes: npt.NDArray[np.float64], n: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The median of each row's slopes that are not NaN.

    A row of ``n`` points has ``n (n - 1) / 2`` of them, so rows are taken by ``n``.
    """
    out = np.full(slopes.shape[0], np.nan)
    for points in np.unique(n).tolist():
        pairs = points * (points - 1) // 2
        if not pairs:
            continue
        chosen = np.flatnonzero(n == points)
        block = slopes[chosen]
        if pairs < block.shape[1]:
            block = np.where(np.isnan(block), np.inf, block)  # missing ones sort last
        middle = [(pairs - 1) // 2, pairs // 2]
        block = np.partition(block, middle, axis=1)
        out[chosen] = (block[:, middle[0]] + block[:, middle[1]]) / 2
    return out


def _matrix(values: Sequence[float | None]) -> npt.NDArray[np.float64]:
    return np.array([[np.nan if v is None else float(v) for v in values]], dtype=np.float64)


def _chunks(rows: int, pairs: int) -> list[tuple[int, int]]:
    step = max(1, _PAIR_CELLS // max(1, pairs))
    return [(lo, min(rows, lo + step)) for lo in range(0, rows, step)]


def _tie_terms(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per row, ``sum t (t - 1) (2t + 5)`` over its groups of ``t`` equal values."""
    rows, length = values.shape
    if not length:
        return np.zeros(rows)
    ordered = np.sort(values, axis=1)  # NaN last
    valid = ~np.isnan(ordered)
    starts = np.ones_like(valid)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts.ravel()) - 1
    sizes = np.bincount(group, weights=valid.ravel()).astype(np.float64)
    row_of = np.repeat(np.arange(rows), length)[starts.ravel()]
    terms = sizes * (sizes - 1) * (2 * sizes + 5)
    return np.bincount(row_of, weights=terms, minlength=rows).astype(np.float64)
