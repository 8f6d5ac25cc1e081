"""Where a function's complexity has been going: a summary of its versions over time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from loopintel.model import ComplexityTrend, TrendDirection

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MIN_TREND_DAYS", "TREND_SLOPE_PER_YEAR", "YEAR", "complexity_trend"]

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
