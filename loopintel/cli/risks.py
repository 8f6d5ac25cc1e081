"""Commands about knowledge that could be lost: ``risks``."""

from __future__ import annotations

import io
import shutil
import sys
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from loopintel.cli.people import expert_flags, last_seen
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

if TYPE_CHECKING:
    import loopintel

__all__ = ["RISKS_LIMIT"]

RISKS_LIMIT = 20
"""Rows printed by ``loopintel risks`` for people unless ``--limit`` says otherwise."""

_WIDTH = 200
"""Columns of the people tables when the output is not a terminal (a file, a pipe)."""
_KINDS = {"experts_inactive": "experts inactive", "truck_factor_one": "truck factor 1"}


@main.command()
@reader
@click.option(
    "--level",
    default="file",
    show_default=True,
    metavar="LEVEL",
    help="What to look at: file, or module (a directory: the files directly in it).",
)
@click.option("--since", metavar="DATE", help="Only changes at or after this date (ISO 8601).")
@click.option("--until", metavar="DATE", help="Only changes before this date (ISO 8601).")
@click.option("--path", "path_", metavar="P", help="Only code in this file or directory.")
@click.option(
    "--inactive-after",
    type=click.FloatRange(min=0),
    default=365.0,
    show_default=True,
    help="Days without any commit after which an author is inactive.",
)
@row_options(RISKS_LIMIT, "risks")
def risks(
    repo: loopintel.Repository,
    level: str,
    since: str | None,
    until: str | None,
    path_: str | None,
    inactive_after: float,
    limit: int | None,
    as_json: bool,
) -> None:
    """Busy or incident-prone code whose experts are all inactive, or whose truck factor is 1.

    Most severe first: every key expert inactive (high), the one key author inactive
    (medium), one active person holds it (low). Each with its changes, fixes and
    incidents, its key experts, its truck factor and who to ask.
    """
    found = repo.knowledge_risks(
        level,
        since=since,
        until=until,
        path=path_option(repo, path_),
        inactive_after_days=inactive_after,
    )
    rows = echo_rows(
        found,
        rows_shown(limit, as_json, RISKS_LIMIT),
        as_json,
        "no busy or incident-prone code with a knowledge risk",
    )
    if rows is None:
        return
    first = rows[0]
    click.echo(f"{first.level} knowledge risks, {first.since:%Y-%m-%d} to {first.until:%Y-%m-%d}")
    for row in rows:
        kinds = ", ".join(_KINDS[kind] for kind in row.kinds)
        click.echo(f"\n{row.severity.value.upper():<6} {row.name}  ({kinds})")
        click.echo(f"  {row.reason}")
        click.echo(_rendered(Padding(_people(row), (0, 0, 0, 2), expand=False)))
    echo_more(len(rows), len(found), before="\n")


def _rendered(table: Padding) -> str:
    """A rich renderable as plain text, through click like every other line.

    Written by click, a closed pipe (``| head``) ends the command as every command's
    does (exit 0), and no line carries the padding rich adds after its last column.
    """
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else _WIDTH
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, color_system=None).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def _people(row: loopintel.KnowledgeRisk) -> Table:
    """The people behind a risk: its key experts, truck-factor authors, who to ask."""
    table = Table(box=None, padding=(0, 2), pad_edge=False, show_edge=False)
    table.add_column("share", justify="right", min_width=5, no_wrap=True)
    table.add_column("person", no_wrap=True)
    table.add_column("role", no_wrap=True)
    table.add_column("activity", no_wrap=True)
    key = {author.email for author in row.truck_factor.authors}
    listed = set()
    for expert in (*row.experts, *([row.best_active] if row.best_active else [])):
        if expert.email in listed:
            continue
        listed.add(expert.email)
        roles = ["key expert" if expert in row.experts else "best active expert"]
        roles += expert_flags(expert, key=key)
        table.add_row(
            expert.percent,
            f"{expert.name} <{expert.email}>",
            "; ".join(roles),
            last_seen(expert) or "no commit known",
        )
    for author in row.truck_factor.authors:
        if author.email in listed:
            continue
        table.add_row(
            "",
            f"{author.name} <{author.email}>",
            "in the truck factor" + ("" if author.active else "; inactive"),
            f"authors {author.files} of {count(row.truck_factor.files, 'file')}",
        )
    return table
