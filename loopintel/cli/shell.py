"""The shell every ``loopintel`` command shares: the group, opening a repository, errors.

Exit codes: 0 success, 1 a loopintel error (message on stderr), 2 a usage error, 130
interrupted.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

import loopintel
from loopintel.progress import TimeLeft

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable, Sequence

    from loopintel.history.extract import WorkerRepository

__all__ = [
    "count",
    "echo_more",
    "echo_rows",
    "errors",
    "fail",
    "find_function",
    "function_argument",
    "main",
    "no_update",
    "open_repo",
    "path_option",
    "progress_text",
    "reader",
    "repo_options",
    "row_options",
    "rows_shown",
]

F = TypeVar("F", bound="Callable[..., Any]")


def count(number: int, noun: str) -> str:
    """``1 commit``, ``2,000 commits``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def row_options(default: int, noun: str = "rows") -> Callable[[F], F]:
    """``--limit`` and ``--json`` for a command that prints a list of answers.

    People see the first ``default`` rows unless ``--limit`` says otherwise; ``--json``
    writes every row (one object per line) unless it does.
    """

    def decorate(func: F) -> F:
        func = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")(
            func
        )
        return click.option(
            "--limit",
            type=click.IntRange(min=0),
            help=f"Show the first N {noun} (default {default}; all with --json); 0: all.",
        )(func)

    return decorate


def rows_shown(limit: int | None, as_json: bool, default: int) -> int | None:
    """How many rows a ``--limit`` asks for (``None``: all)."""
    if limit is None:
        limit = 0 if as_json else default
    return limit or None


def echo_rows(
    found: Sequence[Any], limit: int | None, as_json: bool, empty: str
) -> Sequence[Any] | None:
    """The rows to print as a table, or ``None`` once they are written another way.

    With ``as_json`` each shown row is written as one JSON object per line; with no rows
    ``empty`` goes to stderr (exit status 0: no answer is not an error).
    """
    import json  # noqa: PLC0415

    rows = found if limit is None else found[:limit]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.to_dict()))
        return None
    if not rows:
        click.echo(empty, err=True)
        return None
    return rows


def echo_more(shown: int, found: int, *, before: str = "") -> None:
    """The line that says how many rows ``--limit`` left out, if any."""
    if shown < found:
        click.echo(f"{before}... and {found - shown} more (--limit 0 shows all)")


def fail(message: str) -> None:
    """Say what went wrong on stderr and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def errors(func: F) -> F:
    """A command whose loopintel errors, interrupts and closed pipes end it cleanly."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except loopintel.InvalidData as exc:
            # Every problem kept, not the first few the message shows: the user fixes
            # the file in one pass.
            fail(exc.report())
        except loopintel.LoopintelError as exc:
            fail(str(exc))
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


def progress_text(step: loopintel.IndexProgress) -> str:
    """What a progress bar says of a step's work: ``1,200/5,000 files, 800/60,000 commits``."""
    parts = []
    if step.phase_total is not None:
        parts.append(f"{step.phase_done or 0:,}/{step.phase_total:,} {step.unit}")
    if step.total and step.unit != "commits":
        parts.append(f"{step.done:,}/{step.total:,} commits")
    return ", ".join(parts)


_COUNTING = (loopintel.IndexPhase.EXTRACT, loopintel.IndexPhase.HEAD)
"""Steps during which commits are indexed (the head is read while workers index)."""


def _duration(seconds: float) -> str:
    """``0:04:05``."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def repo_options(func: F) -> F:
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


no_update = click.option(
    "--no-update", is_flag=True, help="Read the index as it is; do not index first."
)
"""The option of every command that reads the index."""


def reader(func: Callable[..., None]) -> Callable[..., None]:
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
        repo = open_repo(path, ref, index_path, first_parent=first_parent, update=not no_update)
        with repo:
            func(repo, **options)

    return repo_options(no_update(errors(command)))


def open_repo(
    path: str,
    ref: str,
    index_path: str | None,
    *,
    first_parent: bool,
    update: bool = True,
    quiet: bool = True,
    workers: int | None = None,
    fetch_missing: bool = False,
    executor: concurrent.futures.Executor | None = None,
    worker_repo: str | WorkerRepository | None = None,
) -> loopintel.Repository:
    """Open (and, unless ``update`` is false, index) a repository; warnings on stderr.

    A progress bar is shown on a terminal unless ``quiet``; ``executor`` and
    ``worker_repo`` are :func:`loopintel.open`'s.
    """
    console = Console(stderr=True)
    show = update and not quiet and console.is_terminal
    options: dict[str, Any] = {
        "ref": ref,
        "index_path": index_path,
        "first_parent": first_parent,
        "update": update,
        "workers": workers,
        "fetch_missing": fetch_missing,
        "executor": executor,
        "worker_repo": worker_repo,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", loopintel.ShallowCloneWarning)
        warnings.simplefilter("always", loopintel.MissingObjectsWarning)
        if not show:
            repo = loopintel.open(path, **options)
        else:
            # The time left comes from a rate smoothed over the work done (see
            # loopintel.progress), not from rich's recent speed, which swings.
            left = TimeLeft()
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[left]}"),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("opening the index", total=None, count="", rate="", left="")

                def report(step: loopintel.IndexProgress) -> None:
                    seconds = None
                    if 0 < step.total > step.done and step.phase in _COUNTING:
                        seconds = left.update(time.monotonic(), step.done, step.total)
                    rate = left.rate()
                    new = step.description != bar.tasks[0].description
                    bar.update(
                        task,
                        description=step.description,
                        completed=step.phase_done or 0,
                        total=step.phase_total,
                        count=progress_text(step),
                        rate=f"{rate:,.0f} commits/s" if rate and step.total else "",
                        left="" if seconds is None else f"ETA {_duration(seconds)}",
                    )
                    if new:  # a new step shows at once, not at the next refresh
                        bar.refresh()

                repo = loopintel.open(path, progress=report, **options)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    return repo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(loopintel.__version__, prog_name="loopintel")
def main() -> None:
    """Git-history codebase intelligence, function by function."""


def function_argument(func: F) -> F:
    """FUNC and --at, for commands about one function."""
    func = click.option("--at", help="Look FUNCTION up in the tree of this commit (any ref).")(func)
    return click.argument("function")(func)


def find_function(
    repo: loopintel.Repository, query: str, at: str | None = None
) -> loopintel.FunctionView:
    """``repo.function``, reading a file path from the current directory as git does."""
    return repo.function(query, at=at, cwd=Path.cwd())


def path_option(repo: loopintel.Repository, path: str | None) -> str | None:
    """A ``--path`` as git reads it: from the current directory inside the work tree.

    So ``cd src && loopintel changes --path core.py`` works, and so does a path from
    the repository root typed in a subdirectory.
    """
    return None if path is None else repo.resolve_path(path, cwd=Path.cwd())
