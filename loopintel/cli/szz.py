"""``loopintel szz``: the commits that introduced what a fix commit fixed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from loopintel.cli.shell import count, main, reader

if TYPE_CHECKING:
    import loopintel

__all__: list[str] = []

_SHOWN_LINES = 3
"""Lines of evidence printed under each commit (``--json`` has them all)."""


@main.command()
@click.argument("sha")
@reader
@click.option(
    "--issue-date",
    help="When the bug was reported (ISO 8601 date, or date and time with an offset): "
    "commits written after it are dropped.",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    help="Only trace lines of this file or directory (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def szz(
    repo: loopintel.Repository,
    sha: str,
    issue_date: str | None,
    files: tuple[str, ...],
    as_json: bool,
) -> None:
    """The commits that introduced what the fix commit SHA fixed, strongest first.

    Each line the fix deleted or changed is followed back through its function's
    history (renames and moves included, reformatting passed over) to the commit
    that last changed it.
    """
    result = repo.szz(sha, issue_date=issue_date, paths=files or None)
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    found = result.inducing
    click.echo(
        f"fix {result.fix[:12]}: {count(len(result.lines), 'line')} traced to "
        f"{count(len(found), 'commit')}"
    )
    for commit in found:
        click.echo(
            f"  {commit.commit[:12]}  {commit.authored_at:%Y-%m-%d}  {commit.author_name:<20.20}  "
            f"score {commit.score:g}  {commit.summary}"
        )
        for function in commit.functions:
            click.echo(f"      {function}")
        for line in commit.evidence[:_SHOWN_LINES]:
            through = ", ".join(f"{s.why} at {s.commit[:8]}" for s in line.steps)
            click.echo(
                f"      {line.path}:{line.line} {line.role.value}: {line.text[:60]}"
                + (f"  ({through})" if through else "")
            )
        if commit.lines > _SHOWN_LINES:
            click.echo(f"      ... {count(commit.lines - _SHOWN_LINES, 'more line')}")
    for commit in result.sweeping:
        click.echo(
            f"  sweeping {commit.commit[:12]}  {commit.authored_at:%Y-%m-%d}: "
            f"{count(commit.lines, 'line')}, set apart ({commit.summary})"
        )
    for commit in result.dropped:
        click.echo(
            f"  dropped {commit.commit[:12]}  {commit.authored_at:%Y-%m-%d}: after the issue date"
        )
    for note in result.notes:
        click.echo(f"note: {note}")
