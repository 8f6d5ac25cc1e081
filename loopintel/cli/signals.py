"""Commands about where the history says trouble is: ``hotspots``."""

from __future__ import annotations

import click

import loopintel
from loopintel.cli.shell import (
    echo_more,
    echo_rows,
    main,
    path_option,
    reader,
    row_options,
    rows_shown,
)

__all__ = ["HOTSPOTS_LIMIT"]

HOTSPOTS_LIMIT = 20
"""Rows printed by ``loopintel hotspots`` for people unless ``--limit`` says otherwise."""

_LEVELS = ", ".join(level.value for level in loopintel.HotspotLevel)
_SCORES = ", ".join(score.value for score in loopintel.HotspotScore)


@main.command()
@reader
@click.option(
    "--level",
    default="function",
    show_default=True,
    metavar="LEVEL",
    help=f"What to rank: {_LEVELS}.",
)
@click.option(
    "--by",
    default="fix_score",
    show_default=True,
    metavar="SCORE",
    help=f"The score that orders the rows, highest first: {_SCORES}.",
)
@click.option("--since", metavar="DATE", help="Only changes at or after this date (ISO 8601).")
@click.option("--until", metavar="DATE", help="Only changes before this date (ISO 8601).")
@click.option("--path", "path_", metavar="P", help="Only code in this file or directory.")
@row_options(HOTSPOTS_LIMIT)
def hotspots(
    repo: loopintel.Repository,
    level: str,
    by: str,
    since: str | None,
    until: str | None,
    path_: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """The code at the indexed head ranked by its history, four scores side by side.

    Revisions x complexity, Google's time-weighted fix score, the count of fixes and
    relative churn (and incident risk when stored incidents are linked to code), with
    the changes, fixes, authors and newest fix commits behind them.
    """
    found = repo.hotspots(level, by=by, since=since, until=until, path=path_option(repo, path_))
    rows = echo_rows(
        found,
        rows_shown(limit, as_json, HOTSPOTS_LIMIT),
        as_json,
        "no code at the indexed head changed in that window",
    )
    if rows is None:
        return
    first = rows[0]
    incidents = first.incident_risk is not None
    click.echo(f"{first.level} hotspots by {by}, {first.since:%Y-%m-%d} to {first.until:%Y-%m-%d}")
    header = f"{'fix_score':>9} {'fixes':>5} {'rev x cc':>8} {'churn':>6} "
    header += f"{'risk':>5} " if incidents else ""
    header += f"{'changes':>7} {'authors':>7}  {first.level}  (newest fixes)"
    click.echo(header)
    for row in rows:
        line = (
            f"{row.fix_score:9.3f} {row.fixes:5d} {row.revisions_x_complexity:8d} "
            f"{row.relative_churn:6.2f} "
        )
        if incidents:
            line += f"{row.incident_risk or 0:5.2f} "
        fixes = " ".join(sha[:10] for sha in row.fix_commits)
        line += f"{row.changes:7d} {row.authors:7d}  {row.name}" + (f"  ({fixes})" if fixes else "")
        click.echo(line)
    echo_more(len(rows), len(found))
