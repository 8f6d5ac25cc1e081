"""The ``loopintel`` command: a thin shell over the public API.

Exit codes: 0 success, 1 a loopintel error (message on stderr), 2 a usage error.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import loopintel
from loopintel.model import ChangeKind
from loopintel.sources.coverage import COVERAGE
from loopintel.sources.formats import REGISTRY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["main"]

F = TypeVar("F", bound="Callable[..., Any]")

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


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except loopintel.InvalidData as exc:
            # Every problem kept, not the first few the message shows: the user fixes
            # the file in one pass.
            _fail(exc.report())
        except loopintel.LoopintelError as exc:
            _fail(str(exc))
        except KeyboardInterrupt as exc:
            # One line on how far it got (an interrupted indexing run says what it kept).
            message = str(exc) if isinstance(exc, loopintel.IndexingInterrupted) else ""
            click.echo(message or "interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader went away (``| head``): not an error. Later writes, and the
            # flush at exit, go nowhere instead of failing again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        return None

    return wrapper  # type: ignore[return-value]


def _repo_options(func: F) -> F:
    """Options shared by every command that opens a repository."""
    func = click.option(
        "--index-path",
        type=click.Path(dir_okay=False),
        help="Index file (default: $LOOPINTEL_INDEX or <git dir>/loopintel/index.sqlite3).",
    )(func)
    func = click.option("--ref", default="HEAD", show_default=True, help="Ref to index.")(func)
    func = click.option(
        "--first-parent", is_flag=True, help="Walk first parents only (merges vs first parent)."
    )(func)
    return click.argument("path", default=".", type=click.Path(file_okay=False))(func)


_no_update = click.option(
    "--no-update", is_flag=True, help="Read the index as it is; do not index first."
)
"""The option of every command that reads the index."""


def _reader(func: Callable[..., None]) -> Callable[..., None]:
    """Repository options and ``--no-update``; the command gets the open ``repo``."""

    @functools.wraps(func)
    def command(
        *,
        path: str,
        ref: str,
        index_path: str | None,
        first_parent: bool,
        no_update: bool,
        **options: Any,
    ) -> None:
        repo = _open(path, ref, index_path, first_parent=first_parent, update=not no_update)
        with repo:
            func(repo, **options)

    return _repo_options(_no_update(_errors(command)))


def _open(
    path: str,
    ref: str,
    index_path: str | None,
    *,
    first_parent: bool,
    update: bool = True,
    quiet: bool = True,
    workers: int | None = None,
    fetch_missing: bool = False,
) -> loopintel.Repository:
    console = Console(stderr=True)
    show = update and not quiet and console.is_terminal
    options: dict[str, Any] = {
        "ref": ref,
        "index_path": index_path,
        "first_parent": first_parent,
        "update": update,
        "workers": workers,
        "fetch_missing": fetch_missing,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", loopintel.ShallowCloneWarning)
        warnings.simplefilter("always", loopintel.MissingObjectsWarning)
        if not show:
            repo = loopintel.open(path, **options)
        else:
            with Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("commits"),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("index", total=None, rate="")

                def report(step: loopintel.IndexProgress) -> None:
                    elapsed = bar.tasks[0].elapsed or 0.0
                    rate = f"{step.done / elapsed:,.0f}/s" if elapsed > 0 and step.done else ""
                    bar.update(task, completed=step.done, total=step.total, rate=rate)

                repo = loopintel.open(path, progress=report, **options)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    return repo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(loopintel.__version__, prog_name="loopintel")
def main() -> None:
    """Git-history codebase intelligence, function by function."""


@main.command()
@_repo_options
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: cores).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--fetch-missing",
    is_flag=True,
    help="In a partial clone, first fetch the missing blobs from its promisor remote (git).",
)
@_errors
def index(
    path: str,
    ref: str,
    index_path: str | None,
    first_parent: bool,
    workers: int | None,
    as_json: bool,
    quiet: bool,
    fetch_missing: bool,
) -> None:
    """Index (or update the index of) the repository at PATH."""
    repo = _open(
        path,
        ref,
        index_path,
        first_parent=first_parent,
        quiet=quiet or as_json,
        workers=workers,
        fetch_missing=fetch_missing,
    )
    with repo:
        summary = repo.last_index
        assert summary is not None
        if as_json:
            record = summary.to_dict() | {"index_path": str(repo.index_path)}
            click.echo(json.dumps(record))
            return
        click.echo(
            f"indexed {_count(summary.commits_indexed, 'new commit')} "
            f"({summary.commits_total:,} in the index) in {summary.seconds:.2f} s: "
            f"{_count(summary.changes, 'function change')}, "
            f"{_count(summary.skipped, 'file version')} skipped"
            + (
                f", {_count(summary.commits_removed, 'commit')} dropped (history rewritten)"
                if summary.commits_removed
                else ""
            )
        )
        click.echo(f"head {summary.head or '(empty repository)'}; index {repo.index_path}")


def _path_option(repo: loopintel.Repository, path: str | None) -> str | None:
    """A ``--path`` as git reads it: from the current directory inside the work tree.

    So ``cd src && loopintel changes --path core.py`` works, and so does a path from
    the repository root typed in a subdirectory.
    """
    return None if path is None else repo.resolve_path(path, cwd=Path.cwd())


def _rows(changes: Iterator[loopintel.Change]) -> Iterator[dict[str, Any]]:
    for change in changes:
        yield change.to_dict()


@main.command()
@_reader
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
            path=_path_option(repo, path_filter),
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
@_reader
@click.option("--path", "path_filter", help="Only this file or directory.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def functions(
    repo: loopintel.Repository,
    path_filter: str | None,
    as_json: bool,
) -> None:
    """List the functions at the indexed head."""
    for function in repo.functions(path=_path_option(repo, path_filter)):
        if as_json:
            click.echo(json.dumps(function.to_dict()))
        else:
            click.echo(f"{function.ref}\t{function.start_line}-{function.end_line}")


@main.command()
@_reader
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


def _function_argument(func: F) -> F:
    """FUNC and --at, for commands about one function."""
    func = click.option("--at", help="Look FUNCTION up in the tree of this commit (any ref).")(func)
    return click.argument("function")(func)


@main.command()
@_function_argument
@_reader
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
    view = _find_function(repo, function, at)
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


WHO_LIMIT = 10
"""Experts listed by ``loopintel who`` for people unless ``--limit`` says otherwise."""


def _find_function(
    repo: loopintel.Repository, query: str, at: str | None = None
) -> loopintel.FunctionView:
    """``repo.function``, reading a file path from the current directory as git does."""
    return repo.function(query, at=at, cwd=Path.cwd())


@main.command()
@click.argument("target", metavar="FUNCTION|FILE|DIR")
@click.option("--at", help="Look FUNCTION up in the tree of this commit (functions only).")
@_reader
@click.option(
    "--half-life",
    type=click.FloatRange(min=0, min_open=True),
    help="Days after which a change counts half (default: 365 for experts; the truck "
    "factor counts every change fully).",
)
@click.option(
    "--inactive-after",
    type=click.FloatRange(min=0),
    default=365.0,
    show_default=True,
    help="Days without any commit after which an author is flagged inactive.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help=f"Show the first N experts (default {WHO_LIMIT}; all with --json); 0: all.",
)
@click.option(
    "--truck-factor",
    "show_truck_factor",
    is_flag=True,
    help="Print the truck factor of the file or directory instead of its experts.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def who(
    repo: loopintel.Repository,
    target: str,
    at: str | None,
    half_life: float | None,
    inactive_after: float,
    limit: int | None,
    show_truck_factor: bool,
    as_json: bool,
) -> None:
    """Who knows a function, a file or a directory, best first (degree of authorship).

    TARGET is a function (path::qualname, path:line, or a dotted tail of a qualified
    name), or a file or directory (relative to the current directory inside the work
    tree, else to the repository root; "." is the whole repository).
    """
    options = {
        "half_life_days": 365.0 if half_life is None else half_life,
        "inactive_after_days": inactive_after,
    }
    if limit is None:
        limit = 0 if as_json else WHO_LIMIT
    found = repo.locate(target, at=at, cwd=Path.cwd())
    if isinstance(found, loopintel.FunctionView):
        if show_truck_factor:
            raise click.UsageError("--truck-factor needs a file or a directory, not a function")
        _print_experts(found.experts(**options), limit, as_json, str(found.ref), "introduced it")
        return
    path = found.path
    experts = repo.experts(path, **options)
    factor = repo.truck_factor(path, half_life_days=half_life, inactive_after_days=inactive_after)
    if as_json and show_truck_factor:
        click.echo(json.dumps(factor.to_dict()))
        return
    removed = ", ".join(
        f"{a.name} ({_count(a.files, 'file')}{'' if a.active else ', inactive'})"
        for a in factor.authors
    )
    header = (
        f"{factor.path}: {_count(factor.files, 'file')} with functions, "
        f"truck factor {factor.factor}" + (f": {removed}" if removed else "")
    )
    if not show_truck_factor:
        _print_experts(experts, limit, as_json, header, "first author")
        return
    click.echo(header)
    if factor.factor:
        click.echo(
            f"  {factor.authored} of {factor.files} have an author; "
            f"without the above, {len(factor.orphaned)} have none"
        )
    elif factor.files:
        click.echo(f"  only {factor.authored} of {factor.files} have an author already")
    shown = factor.orphaned[:limit] if limit else factor.orphaned
    for orphan in shown:
        click.echo(f"  orphaned  {orphan}")
    if len(shown) < len(factor.orphaned):
        click.echo(f"  ... and {len(factor.orphaned) - len(shown)} more (--limit 0 shows all)")


def _print_experts(
    experts: list[loopintel.Expert], limit: int, as_json: bool, header: str, first: str
) -> None:
    shown = experts[:limit] if limit else experts
    if as_json:
        for expert in shown:
            click.echo(json.dumps(expert.to_dict()))
        return
    click.echo(header)
    for expert in shown:
        flags = (f"{first}; " if expert.first_author else "") + (
            "" if expert.active else "inactive; "
        )
        click.echo(
            f"  {expert.share:5.0%}  {expert.name} <{expert.email}>  {flags}"
            f"{expert.own_changes} own / {expert.others_changes} others' changes, "
            f"last {expert.last_touch:%Y-%m-%d}"
        )
    if len(shown) < len(experts):
        click.echo(f"  ... and {len(experts) - len(shown)} more (--limit 0 shows all)")


@main.command()
@_function_argument
@_reader
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def show(
    repo: loopintel.Repository,
    function: str,
    at: str | None,
    as_json: bool,
) -> None:
    """Everything about FUNCTION on one screen: changes, experts, stability, coverage."""
    summary = _find_function(repo, function, at).summary()
    if summary.deprecation_warning is not None:
        click.echo(
            f"warning: {summary.deprecation_warning}; checking deprecation marks only", err=True
        )
    if as_json:
        click.echo(json.dumps(summary.to_dict()))
        return
    click.echo(f"{summary.ref}" + ("" if summary.at_head else "  (not at the indexed head)"))
    stability, trend = summary.stability, summary.complexity_trend
    click.echo(f"  complexity     {summary.complexity}")
    if trend.points > 1:
        click.echo(
            f"  trend          {trend.direction}: {trend.first} -> {trend.latest} over "
            f"{trend.points} versions ({trend.min}-{trend.max}), "
            + ("" if trend.slope_per_year is None else f"{trend.slope_per_year:+.1f}/year, ")
            + f"{trend.change_365d:+d} in 365 days"
        )
    click.echo(f"  changes        {summary.changes}")
    click.echo(
        f"  stability      {stability.classification} "
        f"({_count(stability.changes_90d, 'change')} in 90 days, {stability.changes_365d} in 365)"
    )
    for label, change in (
        ("last changed", summary.last_changed),
        ("introduced", summary.introduced),
    ):
        if change is not None:
            types = " ".join(t.value for t in change.change_types)
            click.echo(
                f"  {label:<14} {change.commit[:12]} {change.authored_at:%Y-%m-%d} "
                f"{change.author_name} ({types})"
            )
    for expert in summary.experts[:3]:
        state = "" if expert.active else ", inactive"
        click.echo(f"  expert         {expert.name} <{expert.email}> {expert.share:.0%}{state}")
    click.echo(f"  coverage       {_coverage_line(summary.coverage)}")
    if summary.deprecation.deprecated is not False:
        click.echo(f"  deprecated     {_deprecation_line(summary.deprecation)}")


def _deprecation_line(answer: loopintel.Deprecation) -> str:
    if answer.deprecated is None:
        return f"unknown ({answer.unknown_reason})"
    parts = []
    if answer.marked:
        mark = next(m for m in answer.marks if not m.conditional)
        parts.append(f"marked ({mark.kind} line {mark.line})")
        if answer.message:
            parts[-1] += f": {answer.message}"
    if answer.within:
        parts.append(f"inside {answer.within}")
    if answer.touches:
        names = dict.fromkeys(f"{t.name} (line {t.line})" for t in answer.touches)
        shown = list(names)[:3]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        parts.append("uses " + ", ".join(shown) + more)
    return "; ".join(parts)


def _coverage_line(coverage: loopintel.FunctionCoverage | None) -> str:
    if coverage is None:
        return "unknown (no imported coverage data measured it)"
    ratio = "n/a" if coverage.ratio is None else f"{coverage.ratio:.0%}"
    tests = "" if coverage.tests is None else f", {_count(len(coverage.tests), 'test')}"
    return (
        f"{ratio} ({coverage.covered}/{coverage.coverable} lines{tests}) "
        f"at {coverage.commit[:12]}, snapshot {coverage.snapshot}"
    )


@main.group()
def coverage() -> None:
    """Import line coverage and list the imported snapshots."""


def _snapshot_line(snapshot: loopintel.CoverageSnapshot) -> str:
    ratio = "n/a" if snapshot.ratio is None else f"{snapshot.ratio:.1%}"
    return (
        f"snapshot {snapshot.id}: {snapshot.format} {snapshot.source} at "
        f"{snapshot.commit[:12]}: {_count(snapshot.files, 'file')}, "
        f"{_count(snapshot.functions, 'function')}, {ratio} of "
        f"{snapshot.coverable_lines:,} lines" + (", per-test" if snapshot.has_contexts else "")
    )


@coverage.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_repo_options
@click.option("--commit", help="The commit the tests ran on (default: the indexed head).")
@click.option(
    "--format",
    "format_",
    type=click.Choice(REGISTRY.names(COVERAGE)),
    help="The file's format (default: recognised from its content).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the snapshot as JSON.")
@_errors
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
    with _open(path, ref, index_path, first_parent=first_parent) as repo:
        known = {s.id for s in repo.coverage_snapshots()}
        snapshot = repo.import_coverage(file, commit=commit, format=format_)
    if as_json:
        click.echo(json.dumps(snapshot.to_dict()))
        return
    verb = "already imported as" if snapshot.id in known else "imported"
    click.echo(f"{verb} {_snapshot_line(snapshot)}")
    if snapshot.unmatched:
        click.echo(
            f"  {_count(len(snapshot.unmatched), 'measured file')} not among the commit's "
            f"Python files, e.g. {snapshot.unmatched[0]}"
        )
    if snapshot.stale:
        click.echo(
            f"  warning: {_count(len(snapshot.stale), 'file')} measured on other source than "
            f"the commit (lines past the end), e.g. {snapshot.stale[0]}",
            err=True,
        )


@coverage.command("delete")
@click.argument("snapshot", type=int)
@_repo_options
@_errors
def coverage_delete(
    snapshot: int, path: str, ref: str, index_path: str | None, first_parent: bool
) -> None:
    """Drop coverage SNAPSHOT (its id, from `loopintel coverage list`)."""
    with _open(path, ref, index_path, first_parent=first_parent) as repo:
        repo.delete_coverage(snapshot)
    click.echo(f"deleted snapshot {snapshot}")


@coverage.command("list")
@_reader
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def coverage_list(repo: loopintel.Repository, as_json: bool) -> None:
    """The coverage snapshots imported so far, oldest first."""
    for snapshot in repo.coverage_snapshots():
        click.echo(json.dumps(snapshot.to_dict()) if as_json else _snapshot_line(snapshot))
