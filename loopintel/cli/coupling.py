"""``loopintel coupling``: code that keeps changing together."""

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

__all__ = ["COUPLING_LIMIT"]

COUPLING_LIMIT = 20
"""Pairs printed by ``loopintel coupling`` for people unless ``--limit`` says otherwise."""

_LEVELS = ", ".join(level.value for level in loopintel.CouplingLevel)


@main.command()
@reader
@click.option(
    "--level",
    default="function",
    show_default=True,
    metavar="LEVEL",
    help=f"What to couple: {_LEVELS}.",
)
@click.option("--since", metavar="DATE", help="Only commits at or after this date (ISO 8601).")
@click.option("--until", metavar="DATE", help="Only commits before this date (ISO 8601).")
@click.option("--path", "path_", metavar="P", help="Only pairs with a side in this file or dir.")
@click.option(
    "--min-support",
    type=int,
    metavar="N",
    help="Shared commits a pair needs (default: 3 for functions, 5 for files).",
)
@click.option(
    "--min-confidence",
    type=float,
    metavar="X",
    help="Shared commits over the revisions of the side that changed less (default 0.5).",
)
@click.option(
    "--max-changeset",
    type=int,
    metavar="N",
    help="Leave out commits changing more functions (files) than this (default 30).",
)
@click.option("--hidden", is_flag=True, help="Only pairs in different directories.")
@row_options(COUPLING_LIMIT, "pairs")
def coupling(
    repo: loopintel.Repository,
    level: str,
    since: str | None,
    until: str | None,
    path_: str | None,
    min_support: int | None,
    min_confidence: float | None,
    max_changeset: int | None,
    hidden: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """Pairs of functions or files at the indexed head that keep changing together.

    Strongest first (code-maat's degree: shared commits over the mean of both sides'
    revisions), with the confidence of the stronger direction, the shared commits and
    the newest of them. Pairs in different directories (hidden coupling) are marked H.
    """
    found = repo.coupling(
        level,
        since=since,
        until=until,
        path=path_option(repo, path_),
        min_support=min_support,
        min_confidence=min_confidence,
        max_changeset=max_changeset,
        hidden_only=hidden,
    )
    rows = echo_rows(
        found,
        rows_shown(limit, as_json, COUPLING_LIMIT),
        as_json,
        "no pair changed together often enough (try a lower --min-support)",
    )
    if rows is None:
        return
    first = rows[0]
    unit = "functions" if first.level is loopintel.CouplingLevel.FUNCTION else "files"
    click.echo(
        f"{first.level} coupling: {count(len(found), 'pair')}, "
        f"{sum(row.hidden for row in found)} hidden (H: in different directories); "
        f"{count(first.left_out, 'commit')} changing too many {unit} left out"
    )
    click.echo(f"{'degree':>6} {'conf':>5} {'shared':>6} {'revs':>9}    pair  (newest shared)")
    for row in rows:
        revisions = f"{row.revisions_a}/{row.revisions_b}"
        newest = row.commits[0][:10] if row.commits else ""
        click.echo(
            f"{row.degree:6.2f} {row.confidence:5.2f} {row.shared:6d} {revisions:>9}  "
            f"{'H' if row.hidden else ' '} {row.a}  ~  {row.b}  ({newest})"
        )
    echo_more(len(rows), len(found))
