"""Commands about where the code has been going: ``trends``."""

from __future__ import annotations

import click

import loopintel
from loopintel.cli.shell import (
    count,
    echo_more,
    echo_rows,
    main,
    path_option,
    reader,
    row_options,
    rows_shown,
)

__all__ = ["TRENDS_LIMIT", "sparkline"]

TRENDS_LIMIT = 20
"""Rows printed by ``loopintel trends`` for people unless ``--limit`` says otherwise."""

_LEVELS = ", ".join(level.value for level in loopintel.TrendLevel)
_METRICS = ", ".join(metric.value for metric in loopintel.TrendMetric)
_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float | None, ...]) -> str:
    """One character per period, as high as its value between the series' least and most.

    A space where the value is missing.
    """
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    top = len(_BARS) - 1
    return "".join(
        " " if v is None else _BARS[0 if high == low else round((v - low) / (high - low) * top)]
        for v in values
    )


@main.command()
@reader
@click.option(
    "--level",
    default="module",
    show_default=True,
    metavar="LEVEL",
    help=f"What to follow: {_LEVELS}.",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="METRIC",
    help=f"Only this metric (repeatable; default all the index has data for): {_METRICS}.",
)
@click.option(
    "--period",
    default="quarter",
    show_default=True,
    metavar="PERIOD",
    help="The unit of the series: quarter or month (calendar periods, UTC).",
)
@click.option("--since", metavar="DATE", help="The first whole period from this date (ISO 8601).")
@click.option("--until", metavar="DATE", help="The last whole period before this date (ISO 8601).")
@click.option("--path", "path_", metavar="P", help="Only code in this file or directory.")
@click.option("--degrading", is_flag=True, help="Only the series found degrading.")
@click.option(
    "--alpha",
    type=float,
    default=0.05,
    show_default=True,
    help="The significance level of the trend test.",
)
@row_options(TRENDS_LIMIT)
def trends(
    repo: loopintel.Repository,
    level: str,
    metrics: tuple[str, ...],
    period: str,
    since: str | None,
    until: str | None,
    path_: str | None,
    degrading: bool,
    alpha: float,
    limit: int | None,
    as_json: bool,
) -> None:
    """Where each measure of the code has been going, quarter by quarter (or month).

    Complexity, churn, changes, incidents, coverage, active authors and the truck factor
    as series; a series is degrading or improving when the Mann-Kendall test finds a
    monotonic trend at --alpha, with Sen's slope for its size. The most significant
    degrading series come first.
    """
    found = repo.trends(
        level,
        metric=list(metrics) or None,
        period=period,
        since=since,
        until=until,
        path=path_option(repo, path_),
        degrading_only=degrading,
        alpha=alpha,
    )
    what = "degrading " if degrading else ""
    rows = echo_rows(
        found,
        rows_shown(limit, as_json, TRENDS_LIMIT),
        as_json,
        f"no {what}trend of code at the indexed head in that window (the window must "
        "hold a whole period; the one the indexed head is in is still going on)",
    )
    if rows is None:
        return
    first = rows[0]
    click.echo(
        f"{first.level} trends by {first.period}, {first.since:%Y-%m-%d} to "
        f"{first.until:%Y-%m-%d} ({count(len(first.periods), str(first.period))}), "
        f"alpha {first.alpha:g}"
    )
    width = len(first.periods)
    click.echo(
        f"{'direction':<10} {'metric':<12} {'p':>8} {'tau':>6} {'sen/year':>9}  "
        f"{'series':<{width}}  {first.level}"
    )
    for row in rows:
        p = f"{row.p_value:8.2g}" if row.direction != "too_short" else f"{'-':>8}"
        slope = "-" if row.sen_slope_per_year is None else f"{row.sen_slope_per_year:+.3g}"
        click.echo(
            f"{row.direction.value:<10} {row.metric.value:<12} {p} {row.tau:+6.2f} "
            f"{slope:>9}  {sparkline(row.values)}  {row.name}"
        )
    echo_more(len(rows), len(found))
