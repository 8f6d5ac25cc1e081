"""``loopintel index``: one repository or many, on local workers or a Dask cluster."""

from __future__ import annotations

import contextlib
import json
import warnings
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

import loopintel
from loopintel.cli.shell import count, errors, main, open_repo, progress_text

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable, Iterator, Sequence

    import distributed

    from loopintel.cluster import ShippedBundle

__all__: list[str] = []

CONNECT_SECONDS = 10.0
"""``--dask-timeout``'s default (the same as :data:`loopintel.cluster.CONNECT_SECONDS`)."""


def _sentence(summary: loopintel.IndexSummary) -> str:
    """``indexed 3 new commits (3 in the index) in 0.12 s: ...``."""
    return (
        f"indexed {count(summary.commits_indexed, 'new commit')} "
        f"({summary.commits_total:,} in the index) in {summary.seconds:.2f} s: "
        f"{count(summary.changes, 'function change')}, "
        f"{count(summary.skipped, 'file version')} skipped"
        + (
            f", {count(summary.commits_removed, 'commit')} dropped (history rewritten)"
            if summary.commits_removed
            else ""
        )
    )


@contextlib.contextmanager
def _cluster(address: str | None, timeout: float) -> Iterator[distributed.Client | None]:
    """A client of the Dask scheduler at ``address`` while the command runs (or ``None``)."""
    if address is None:
        yield None
        return
    from loopintel.cluster import connect  # noqa: PLC0415 - only with --dask

    client = connect(address, timeout=timeout)
    try:
        yield client
    finally:
        client.close()


@main.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(file_okay=False))
@click.option("--ref", default="HEAD", show_default=True, help="Ref to index.")
@click.option(
    "--index-path",
    type=click.Path(dir_okay=False),
    help="Index file (default: $LOOPINTEL_INDEX or <git dir>/loopintel/index.sqlite3).",
)
@click.option(
    "--first-parent", is_flag=True, help="Walk first parents only (merges vs first parent)."
)
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: cores).")
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Extract on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786).",
)
@click.option(
    "--ship-bundle",
    is_flag=True,
    help="With --dask: send the history to the workers as a git bundle (no shared disk).",
)
@click.option(
    "--dask-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=CONNECT_SECONDS,
    show_default=True,
    help="Seconds to wait for the Dask scheduler to answer.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--fetch-missing",
    is_flag=True,
    help="In a partial clone, first fetch the missing blobs from its promisor remote (git).",
)
@errors
def index(
    paths: tuple[str, ...],
    ref: str,
    index_path: str | None,
    first_parent: bool,
    workers: int | None,
    dask_address: str | None,
    ship_bundle: bool,
    dask_timeout: float,
    as_json: bool,
    quiet: bool,
    fetch_missing: bool,
) -> None:
    """Index (or update the index of) the repository at PATH, or of each PATH.

    Several repositories are indexed at once, each into its own index, on one set of
    workers (local processes, or a Dask cluster with --dask).
    """
    given = list(dict.fromkeys(paths or (".",)))
    if index_path is not None and len(given) > 1:
        raise click.UsageError("--index-path names one index; give one PATH with it")
    if ship_bundle and dask_address is None:
        raise click.UsageError("--ship-bundle ships to a Dask cluster: give --dask ADDRESS")
    shipped: list[ShippedBundle] = []
    with _cluster(dask_address, dask_timeout) as client:
        executor = None
        where: Callable[[str], ShippedBundle | None] | None = None
        if client is not None:
            from loopintel.cluster import ship_bundle as ship  # noqa: PLC0415
            from loopintel.cluster import withdraw, worker_threads  # noqa: PLC0415

            executor = client.get_executor()
            workers = workers or worker_threads(client)
            if ship_bundle:

                def where(path: str) -> ShippedBundle:
                    bundle = ship(client, path, ref=ref)
                    shipped.append(bundle)
                    return bundle

        try:
            if len(given) == 1:
                _index_one(
                    given[0],
                    ref=ref,
                    index_path=index_path,
                    first_parent=first_parent,
                    workers=workers,
                    executor=executor,
                    where=where,
                    as_json=as_json,
                    quiet=quiet,
                    fetch_missing=fetch_missing,
                )
            else:
                _index_fleet(
                    given,
                    ref=ref,
                    first_parent=first_parent,
                    workers=workers,
                    executor=executor,
                    where=where,
                    as_json=as_json,
                    quiet=quiet,
                    fetch_missing=fetch_missing,
                )
        finally:
            if client is not None:
                for bundle in shipped:
                    withdraw(client, bundle)


def _index_one(
    path: str,
    *,
    ref: str,
    index_path: str | None,
    first_parent: bool,
    workers: int | None,
    executor: concurrent.futures.Executor | None,
    where: Callable[[str], ShippedBundle | None] | None,
    as_json: bool,
    quiet: bool,
    fetch_missing: bool,
) -> None:
    repo = open_repo(
        path,
        ref,
        index_path,
        first_parent=first_parent,
        quiet=quiet or as_json,
        workers=workers,
        fetch_missing=fetch_missing,
        executor=executor,
        worker_repo=where(path) if where is not None else None,
    )
    with repo:
        summary = repo.last_index
        assert summary is not None
        if as_json:
            record = summary.to_dict() | {"index_path": str(repo.index_path)}
            click.echo(json.dumps(record))
            return
        click.echo(_sentence(summary))
        click.echo(f"head {summary.head or '(empty repository)'}; index {repo.index_path}")


def _index_fleet(
    paths: Sequence[str],
    *,
    ref: str,
    first_parent: bool,
    workers: int | None,
    executor: concurrent.futures.Executor | None,
    where: Callable[[str], ShippedBundle | None] | None,
    as_json: bool,
    quiet: bool,
    fetch_missing: bool,
) -> None:
    """Index every path at once; one line (or JSON object) per repository, in order."""
    options: dict[str, Any] = {
        "ref": ref,
        "first_parent": first_parent,
        "workers": workers,
        "executor": executor,
        "worker_repo": where,
        "fetch_missing": fetch_missing,
    }
    console = Console(stderr=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", loopintel.ShallowCloneWarning)
        warnings.simplefilter("always", loopintel.MissingObjectsWarning)
        if quiet or as_json or not console.is_terminal:
            outcomes = loopintel.index_many(paths, **options)
        else:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[doing]}"),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                tasks = {path: bar.add_task(path, total=None, doing="", count="") for path in paths}

                def report(path: str, step: loopintel.IndexProgress) -> None:
                    bar.update(
                        tasks[path],
                        completed=step.phase_done or 0,
                        total=step.phase_total,
                        doing=step.description,
                        count=progress_text(step),
                    )

                outcomes = loopintel.index_many(paths, progress=report, **options)
    for warning in caught:
        click.echo(f"warning: {warning.message}", err=True)
    failed = 0
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps(outcome.to_dict()))
        elif outcome.summary is not None:
            click.echo(f"{outcome.path}: {_sentence(outcome.summary)}; index {outcome.index_path}")
        if outcome.error is not None:
            failed += 1
            click.echo(f"error: {outcome.path}: {outcome.error}", err=True)
    if failed:
        click.echo(
            f"error: {failed} of {len(outcomes)} repositories could not be indexed",
            err=True,
        )
        raise SystemExit(1)
