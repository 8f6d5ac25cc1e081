"""``loopintel coverage``: import line coverage, list and delete snapshots."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from loopintel.cli.shell import count, errors, main, open_repo, reader, repo_options
from loopintel.sources.coverage import COVERAGE
from loopintel.sources.formats import REGISTRY

if TYPE_CHECKING:
    import loopintel

__all__: list[str] = []


@main.group()
def coverage() -> None:
    """Import line coverage and list the imported snapshots."""


def _snapshot_line(snapshot: loopintel.CoverageSnapshot) -> str:
    ratio = "n/a" if snapshot.ratio is None else f"{snapshot.ratio:.1%}"
    return (
        f"snapshot {snapshot.id}: {snapshot.format} {snapshot.source} at "
        f"{snapshot.commit[:12]}: {count(snapshot.files, 'file')}, "
        f"{count(snapshot.functions, 'function')}, {ratio} of "
        f"{snapshot.coverable_lines:,} lines" + (", per-test" if snapshot.has_contexts else "")
    )


@coverage.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@repo_options
@click.option("--commit", help="The commit the tests ran on (default: the indexed head).")
@click.option(
    "--format",
    "format_",
    type=click.Choice(REGISTRY.names(COVERAGE)),
    help="The file's format (default: recognised from its content).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the snapshot as JSON.")
@errors
def coverage_import(
    file: str,
    path: str,
    ref: str,
    index_path: str | None,
    first_parent: bool,
    commit: str | None,
    format_: str | None,
    as_json: bool,
) -> None:
    """Import FILE (.coverage, coverage JSON, Cobertura XML, LCOV) for the repository at PATH.

    The index is brought up to date first; FILE's lines are mapped onto the functions
    of the commit the tests ran on.
    """
    with open_repo(path, ref, index_path, first_parent=first_parent) as repo:
        known = {s.id for s in repo.coverage_snapshots()}
        snapshot = repo.import_coverage(file, commit=commit, format=format_)
    if as_json:
        click.echo(json.dumps(snapshot.to_dict()))
        return
    verb = "already imported as" if snapshot.id in known else "imported"
    click.echo(f"{verb} {_snapshot_line(snapshot)}")
    if snapshot.unmatched:
        click.echo(
            f"  {count(len(snapshot.unmatched), 'measured file')} not among the commit's "
            f"Python files, e.g. {snapshot.unmatched[0]}"
        )
    if snapshot.stale:
        click.echo(
            f"  warning: {count(len(snapshot.stale), 'file')} measured on other source than "
            f"the commit (lines past the end), e.g. {snapshot.stale[0]}",
            err=True,
        )


@coverage.command("delete")
@click.argument("snapshot", type=int)
@repo_options
@errors
def coverage_delete(
    snapshot: int, path: str, ref: str, index_path: str | None, first_parent: bool
) -> None:
    """Drop coverage SNAPSHOT (its id, from `loopintel coverage list`)."""
    with open_repo(path, ref, index_path, first_parent=first_parent) as repo:
        repo.delete_coverage(snapshot)
    click.echo(f"deleted snapshot {snapshot}")


@coverage.command("list")
@reader
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def coverage_list(repo: loopintel.Repository, as_json: bool) -> None:
    """The coverage snapshots imported so far, oldest first."""
    for snapshot in repo.coverage_snapshots():
        click.echo(json.dumps(snapshot.to_dict()) if as_json else _snapshot_line(snapshot))
