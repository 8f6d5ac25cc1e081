"""Commands over the indexed history: changes, functions, skipped, history."""

from __future__ import annotations

import csv
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from loopintel.cli.shell import (
    find_function,
    function_argument,
    main,
    path_option,
    reader,
)
from loopintel.model import ChangeKind

if TYPE_CHECKING:
    from collections.abc import Iterator

    import loopintel

__all__ = ["EXPORT_FIELDS"]

EXPORT_FIELDS = (
    "commit",
    "parent",
    "authored_at",
    "committed_at",
    "author_name",
    "author_email",
    "path",
    "qualname",
    "old_path",
    "old_qualname",
    "kind",
    "change_types",
    "lines_added",
    "lines_removed",
    "complexity",
    "lineage",
    "start_line",
    "end_line",
)
"""Columns of ``loopintel changes`` output, in order."""


def _rows(changes: Iterator[loopintel.Change]) -> Iterator[dict[str, Any]]:
    for change in changes:
        yield change.to_dict()


@main.command()
@reader
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="One change per line as JSON, or CSV with a header.",
)
@click.option("--path", "path_filter", help="Only this file or directory.")
@click.option("--function", help="Only this function (path::qualname or name), across renames.")
@click.option("--author", help="Only this author (email or name, after .mailmap).")
@click.option("--since", help="Only changes authored at or after this ISO date/time.")
@click.option("--until", help="Only changes authored before this ISO date/time.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([k.value for k in ChangeKind]),
    help="Only these kinds (repeatable).",
)
@click.option("--no-cosmetic", is_flag=True, help="Leave out formatting-only changes.")
def changes(
    repo: loopintel.Repository,
    fmt: str,
    path_filter: str | None,
    function: str | None,
    author: str | None,
    since: str | None,
    until: str | None,
    kinds: tuple[str, ...],
    no_cosmetic: bool,
) -> None:
    """Stream the function changes of the repository at PATH, oldest first."""
    rows = _rows(
        repo.changes(
            path=path_option(repo, path_filter),
            function=function,
            author=author,
            since=since,
            until=until,
            kinds=tuple(map(ChangeKind, kinds)) or None,
            cosmetic=not no_cosmetic,
        )
    )
    out = sys.stdout
    written = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row) + "\n")
            written += 1
    else:
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            row["change_types"] = " ".join(row["change_types"])
            writer.writerow(row)
            written += 1
    if not written:
        click.echo("no changes match", err=True)


@main.command()
@reader
@click.option("--path", "path_filter", help="Only this file or directory.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def functions(
    repo: loopintel.Repository,
    path_filter: str | None,
    as_json: bool,
) -> None:
    """List the functions at the indexed head."""
    for function in repo.functions(path=path_option(repo, path_filter)):
        if as_json:
            click.echo(json.dumps(function.to_dict()))
        else:
            click.echo(f"{function.ref}\t{function.start_line}-{function.end_line}")


@main.command()
@reader
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def skipped(
    repo: loopintel.Repository,
    as_json: bool,
) -> None:
    """List the file versions whose functions could not be read, and why."""
    for skip in repo.skipped():
        if as_json:
            click.echo(json.dumps(skip.to_dict()))
        else:
            click.echo(f"{skip.commit[:12]}\t{skip.path}\t{skip.reason}")


@main.command()
@function_argument
@reader
@click.option("--no-cosmetic", is_flag=True, help="Leave out formatting-only changes.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def history(
    repo: loopintel.Repository,
    function: str,
    at: str | None,
    no_cosmetic: bool,
    as_json: bool,
) -> None:
    """Every change of FUNCTION, newest first, through renames and moves.

    FUNCTION is path::qualname, path:line, or a (dotted tail of a) qualified name.
    """
    view = find_function(repo, function, at)
    for change in view.history(cosmetic=not no_cosmetic):
        if as_json:
            click.echo(json.dumps(change.to_dict()))
            continue
        where = f"{change.path}::{change.qualname}"
        types = " ".join(t.value for t in change.change_types)
        click.echo(
            f"{change.commit[:12]}  {change.authored_at:%Y-%m-%d}  "
            f"{change.author_name:<20.20}  {change.kind.value:<8}  {types:<24}  "
            f"+{change.lines_added}/-{change.lines_removed}  {where}"
        )
