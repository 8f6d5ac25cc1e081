"""Commands over the graph of code, people and incidents.

``clusters``, ``recurring`` and ``blast-radius``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from loopintel.arguments import is_under
from loopintel.cli.shell import (
    count,
    echo_more,
    echo_rows,
    function_argument,
    main,
    path_option,
    reader,
    row_options,
    rows_shown,
)
from loopintel.model import ClusterBasis

if TYPE_CHECKING:
    from collections.abc import Callable

    import loopintel

__all__ = ["GRAPH_LIMIT"]

GRAPH_LIMIT = 10
"""Rows printed for people unless ``--limit`` says otherwise."""


def _window(func: Callable[..., Any]) -> Callable[..., Any]:
    """--since, --until and --proxies, shared by the graph commands."""
    func = click.option(
        "--proxies",
        is_flag=True,
        help="Use the proxy incidents (bug-fix commits stored by `loopintel incidents "
        "proxies --store`) instead of the real ones.",
    )(func)
    func = click.option(
        "--until", metavar="DATE", help="Only changes and incidents before this date."
    )(func)
    return click.option(
        "--since", metavar="DATE", help="Only changes and incidents from this date on (ISO 8601)."
    )(func)


def _date(moment: Any) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d}"


def _incident_line(repo: loopintel.Repository, key: str) -> str:
    """An incident as people read it: when it started, its key, its title."""
    incident = repo.incident(key)
    title = incident.title if len(incident.title) <= 70 else incident.title[:69] + "…"
    return f"{_date(incident.started_at)}  {key}  {title}"


@main.command()
@reader
@_window
@click.option("--path", "path_", metavar="P", help="Only clusters implicating code here.")
@click.option(
    "--min-incidents",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Leave out clusters with fewer incidents.",
)
@row_options(GRAPH_LIMIT)
def clusters(
    repo: loopintel.Repository,
    since: str | None,
    until: str | None,
    proxies: bool,
    path_: str | None,
    min_incidents: int,
    limit: int | None,
    as_json: bool,
) -> None:
    """Incidents grouped by the code they implicate, the largest group first.

    Each cluster with the functions its incidents implicate, their modules, the
    dominant change types and the authors of that code.
    """
    rows = rows_shown(limit, as_json, GRAPH_LIMIT)
    where = path_option(repo, path_)
    found = repo.clusters(
        since=since,
        until=until,
        proxies=proxies,
        path=where,
        min_incidents=min_incidents,
    )
    shown = echo_rows(
        found,
        rows,
        as_json,
        f"no cluster of {min_incidents} or more incidents"
        + ("" if proxies else " (real incidents; --proxies uses bug-fix commits)"),
    )
    if shown is None:
        return
    scope = None if where in (None, "", ".") else where
    for cluster in shown:
        held = (
            f"shared evidence {cluster.weight:.2f}"
            if cluster.basis is ClusterBasis.FUNCTIONS
            else "grouped by module: no function shared with another incident"
        )
        click.echo(
            f"cluster {cluster.id}: {count(len(cluster.incidents), 'incident')}, "
            f"{_date(cluster.first_started)} to {_date(cluster.last_started)}, {held}"
        )
        # With --path, the functions there first: they are why the cluster is listed.
        functions = sorted(
            cluster.functions,
            key=lambda f: scope is not None and not is_under(f.function.path, scope),
        )
        for function in functions[:5]:
            gone = "" if function.exists else "  (deleted)"
            click.echo(f"  {function.incidents:3d}  {function.function}{gone}")
        if len(functions) > 5:
            click.echo(f"       ... and {len(functions) - 5} more functions")
        click.echo("  modules: " + ", ".join(f"{m.name} ({m.count})" for m in cluster.modules[:4]))
        click.echo(
            "  changes: " + ", ".join(f"{t.name} {t.count}" for t in cluster.change_types[:4])
        )
        click.echo(
            "  authors: "
            + ", ".join(f"{a.name or a.email} ({a.changes})" for a in cluster.authors[:3])
        )
        for key in cluster.incidents[:3]:
            click.echo(f"  {_incident_line(repo, key)}")
        if len(cluster.incidents) > 3:
            click.echo(f"  ... and {len(cluster.incidents) - 3} more incidents (--json lists all)")
    echo_more(len(shown), len(found))


@main.command()
@reader
@_window
@click.option("--path", "path_", metavar="P", help="Only recurrences on code here.")
@click.option(
    "--window",
    "window_days",
    type=click.FloatRange(min=0, min_open=True),
    default=365.0,
    show_default=True,
    help="Days after a fix a new incident on the same code still counts.",
)
@click.option(
    "--min-gap",
    "min_gap_days",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Days after a fix a new incident must start to count.",
)
@row_options(GRAPH_LIMIT)
def recurring(
    repo: loopintel.Repository,
    since: str | None,
    until: str | None,
    proxies: bool,
    path_: str | None,
    window_days: float,
    min_gap_days: float,
    limit: int | None,
    as_json: bool,
) -> None:
    """Incidents that came back after a fix to the same code, the newest first.

    Each with the fix, the functions it changed that the later incident implicates,
    the commits SZZ traced the fixed lines to, and the days in between.
    """
    rows = rows_shown(limit, as_json, GRAPH_LIMIT)
    found = repo.recurring(
        since=since,
        until=until,
        proxies=proxies,
        path=path_option(repo, path_),
        window_days=window_days,
        min_gap_days=min_gap_days,
    )
    shown = echo_rows(
        found,
        rows,
        as_json,
        "no incident came back after a fix to the same code"
        + ("" if proxies else " (real incidents; --proxies uses bug-fix commits)"),
    )
    if shown is None:
        return
    for recurrence in shown:
        where = "" if recurrence.cluster is None else f", cluster {recurrence.cluster}"
        click.echo(
            f"{recurrence.later} ({recurrence.started_at:%Y-%m-%d}) came back "
            f"{recurrence.days_after_fix:.0f} days after the fix of {recurrence.earlier}{where}"
        )
        click.echo("  fix: " + " ".join(sha[:10] for sha in recurrence.fix_commits))
        for function in recurrence.functions[:5]:
            click.echo(f"  {function}")
        if len(recurrence.functions) > 5:
            click.echo(f"  ... and {len(recurrence.functions) - 5} more functions")
        if recurrence.inducing_commits:
            shared = set(recurrence.shared_inducing)
            click.echo(
                "  introduced by (SZZ): "
                + " ".join(
                    sha[:10] + ("*" if sha in shared else "") for sha in recurrence.inducing_commits
                )
                + ("  (* also behind the later one)" if shared else "")
            )
    echo_more(len(shown), len(found))


@main.command("blast-radius")
@function_argument
@reader
@_window
@row_options(GRAPH_LIMIT)
def blast_radius(
    repo: loopintel.Repository,
    function: str,
    at: str | None,
    since: str | None,
    until: str | None,
    proxies: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """What a change to FUNCTION may reach.

    What changes with it, who knows that code, and which incidents touched it.
    """
    if at is not None:
        function = str(repo.function(function, at=at).lineage)
    rows = rows_shown(limit, as_json, GRAPH_LIMIT)
    radius = repo.blast_radius(function, since=since, until=until, proxies=proxies, limit=rows)
    if as_json:
        click.echo(json.dumps(radius.to_dict()))
        return
    click.echo(f"{radius.function}: modules {', '.join(radius.modules)}")
    click.echo(f"  changed with it ({count(len(radius.co_changed), 'function')}):")
    for other in radius.co_changed:
        click.echo(f"    {other.shared:3d} commits  {other.confidence:4.0%}  {other.function}")
    click.echo("  who knows this code:")
    for person in radius.knowers[: rows or len(radius.knowers)]:
        click.echo(
            f"    {person.weight:6.2f}  {person.name} <{person.email}>  "
            f"{count(person.functions, 'function')}"
        )
    click.echo(f"  incidents ({len(radius.incidents)}):")
    for nearby in radius.incidents[: rows or len(radius.incidents)]:
        click.echo(
            f"    {nearby.confidence:4.2f}  {nearby.incident}  "
            f"{_date(nearby.started_at)}  via {nearby.via}"
        )
