"""Incident commands (``incidents import``, ``list``, ``show``...) and ``context``.

``context`` is what a responder runs first: the functions a traceback or incident
implicates, with who knows them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from loopintel.cli.people import coverage_line, deprecation_line
from loopintel.cli.shell import count, errors, fail, main, open_repo, reader, repo_options
from loopintel.sources.formats import REGISTRY
from loopintel.sources.incidents import INCIDENTS

if TYPE_CHECKING:
    import loopintel

__all__ = ["context_lines", "incident_line"]

_SHOWN_EVIDENCE = 3


@main.group()
def incidents() -> None:
    """Import incidents, list and show them with the code they are linked to."""


def incident_line(incident: loopintel.Incident) -> str:
    """One incident on one line: when, key, severity, title."""
    when = f"{incident.started_at:%Y-%m-%d %H:%M}" if incident.started_at else "(no time)"
    severity = "" if incident.severity_rank is None else f" sev{incident.severity_rank}"
    return f"{when}  {incident.key}{severity}  {incident.title}"


def _labels(severity: tuple[str, ...], kinds: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``--severity-label sev-one=1`` and ``--type-label defect=bug`` as a label map."""
    out: dict[str, dict[str, Any]] = {"severity": {}, "type": {}}
    for option, values, field in (
        ("--severity-label", severity, "severity"),
        ("--type-label", kinds, "type"),
    ):
        for value in values:
            label, sep, meaning = value.rpartition("=")
            if not sep or not label:
                raise click.BadParameter(f"expected LABEL=VALUE, got {value!r}", param_hint=option)
            if field == "severity":
                if not meaning.isdigit() or not 1 <= int(meaning) <= 5:
                    raise click.BadParameter(
                        f"a severity rank is 1-5, got {meaning!r} in {value!r}", param_hint=option
                    )
                out[field][label] = int(meaning)
            else:
                out[field][label] = meaning
    return out


@incidents.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@repo_options
@click.option(
    "--format",
    "format_",
    type=click.Choice(REGISTRY.names(INCIDENTS)),
    help="The file's format (default: recognised from its content).",
)
@click.option(
    "--skip-invalid", is_flag=True, help="Import the good rows of a file that has bad ones."
)
@click.option(
    "--severity-label",
    multiple=True,
    metavar="LABEL=RANK",
    help="A label meaning a severity rank 1-5 (repeatable; adds to the defaults).",
)
@click.option(
    "--type-label",
    multiple=True,
    metavar="LABEL=TYPE",
    help="A label meaning a type such as bug or regression (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was imported as JSON.")
@errors
def incidents_import(
    file: str,
    path: str,
    ref: str,
    index_path: str | None,
    first_parent: bool,
    format_: str | None,
    skip_invalid: bool,
    severity_label: tuple[str, ...],
    type_label: tuple[str, ...],
    as_json: bool,
) -> None:
    """Import FILE (PagerDuty, Sentry, GitHub, Jira, loopintel's own, a traceback) into PATH.

    Each incident is linked to the functions its evidence implicates. A file with bad
    rows imports nothing unless --skip-invalid; the same incident imported again is
    replaced.
    """
    labels = _labels(severity_label, type_label)
    with open_repo(path, ref, index_path, first_parent=first_parent) as repo:
        done = repo.import_incidents(file, format=format_, skip_invalid=skip_invalid, labels=labels)
    if as_json:
        click.echo(json.dumps(done.to_dict()))
        return
    click.echo(
        f"imported {file} ({done.format}): {count(len(done.added), 'new incident')}, "
        f"{len(done.updated):,} replaced, {count(done.links, 'link')} to functions"
    )
    if done.skipped:
        click.echo(f"skipped {count(done.skipped, 'bad row')}:", err=True)
        for problem in done.problems:
            click.echo(f"  {problem}", err=True)


@incidents.command("list")
@reader
@click.option("--proxies", is_flag=True, help="The bug-fix commits stored as proxies instead.")
@click.option("--since", help="Only those started at or after this ISO date/time.")
@click.option("--until", help="Only those started before this ISO date/time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def incidents_list(
    repo: loopintel.Repository,
    proxies: bool,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """The stored incidents, oldest first (proxies only with --proxies)."""
    for incident in repo.incidents(proxies=proxies, since=since, until=until):
        click.echo(json.dumps(_public(incident)) if as_json else incident_line(incident))


def _public(incident: loopintel.Incident) -> dict[str, Any]:
    """An incident as JSON, without its raw payload (``show --raw`` prints that)."""
    record = incident.to_dict()
    record.pop("raw", None)
    return record


@incidents.command("show")
@click.argument("incident")
@reader
@click.option("--raw", is_flag=True, help="Print the payload as the source gave it.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, with its links.")
def incidents_show(repo: loopintel.Repository, incident: str, raw: bool, as_json: bool) -> None:
    """INCIDENT (its key source:id, or id) and the functions it is linked to."""
    found = repo.incident(incident)
    if raw:
        click.echo(found.raw or "")
        return
    links = list(repo.links(found.key))
    if as_json:
        record = _public(found) | {"code_links": [link.to_dict() for link in links]}
        click.echo(json.dumps(record))
        return
    click.echo(incident_line(found) + ("  (proxy: a bug-fix commit)" if found.proxy else ""))
    for label, value in (
        ("status", found.status),
        ("severity", found.severity),
        ("type", found.type),
        ("services", ", ".join(found.services)),
        ("release", found.release),
        ("url", found.url),
    ):
        if value:
            click.echo(f"  {label:<9} {value}")
    for named in found.links:
        click.echo(f"  {named.kind.value:<9} {named.target}")
    if found.frames:
        click.echo(f"  frames    {len(found.frames)}")
    click.echo(f"linked to {count(len(links), 'function')}:")
    for link in links:
        _link_lines(link)


def _link_lines(link: loopintel.CodeLink, indent: str = "  ") -> None:
    click.echo(f"{indent}{link.confidence:.2f}  {link.function}")
    for evidence in link.evidence[:_SHOWN_EVIDENCE]:
        click.echo(f"{indent}      {evidence.kind.value}: {evidence.detail}")
    if len(link.evidence) > _SHOWN_EVIDENCE:
        click.echo(f"{indent}      ... {len(link.evidence) - _SHOWN_EVIDENCE} more")


@incidents.command("delete")
@click.argument("incident")
@repo_options
@errors
def incidents_delete(
    incident: str, path: str, ref: str, index_path: str | None, first_parent: bool
) -> None:
    """Drop INCIDENT (key or id) and its links."""
    with open_repo(path, ref, index_path, first_parent=first_parent) as repo:
        dropped = repo.delete_incident(incident)
    click.echo(f"deleted {dropped.key}")


@incidents.command("why")
@click.argument("incident")
@click.argument("function")
@reader
@click.option("--json", "as_json", is_flag=True, help="One JSON object per piece of evidence.")
def incidents_why(repo: loopintel.Repository, incident: str, function: str, as_json: bool) -> None:
    """The evidence that links INCIDENT to FUNCTION, strongest first."""
    evidence = repo.why(incident, function)
    if not evidence:
        fail(f"{incident} is not linked to {function}")
    for item in evidence:
        if as_json:
            click.echo(json.dumps(item.to_dict()))
        else:
            click.echo(f"{item.confidence:.2f}  {item.kind.value}: {item.detail}")


@incidents.command("proxies")
@reader
@click.option("--store", "store_", is_flag=True, help="Store them (replacing those stored).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def incidents_proxies(repo: loopintel.Repository, store_: bool, as_json: bool) -> None:
    """Bug-fix commits of the history, as proxy incidents where there is no incident data."""
    if store_:
        done = repo.import_proxies()
        if as_json:
            click.echo(json.dumps(done.to_dict()))
        else:
            stored = len(done.added) + len(done.updated)
            click.echo(
                f"stored {stored:,} {'proxy' if stored == 1 else 'proxies'} "
                f"({len(done.added):,} new), {count(done.links, 'link')} to functions"
            )
        return
    for proxy in repo.find_proxies():
        click.echo(json.dumps(_public(proxy)) if as_json else incident_line(proxy))


@incidents.command("relink")
@reader
@click.option("--all", "everything", is_flag=True, help="Every incident, not only stale ones.")
def incidents_relink(repo: loopintel.Repository, everything: bool) -> None:
    """Make the links of incidents linked at an older head (or all) again."""
    done = repo.relink(stale_only=not everything)
    click.echo(f"relinked {count(done, 'incident')}")


@main.command()
@click.argument("target")
@reader
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Implicated functions to summarise.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def context(repo: loopintel.Repository, target: str, limit: int, as_json: bool) -> None:
    """The functions TARGET implicates: when each changed, who knows it, covered, stable.

    TARGET is a traceback (- reads it from stdin; or a file holding one), a stored
    incident's key or id, path:line, a function's name, a file or a directory.
    """
    text = _target_text(target)
    found = repo.context(text, cwd=Path.cwd(), limit=limit)
    if as_json:
        click.echo(json.dumps(found.to_dict()))
        return
    for line in context_lines(found):
        click.echo(line)


def _target_text(target: str) -> str:
    """The traceback of ``-`` or of a file that holds one; else the target itself."""
    if target == "-":
        return sys.stdin.read()
    candidate = Path(target)
    if candidate.is_file() and candidate.suffix != ".py":
        try:
            text = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return target
        if "Traceback (most recent call last)" in text or "File " in text:
            return text
    return target


def context_lines(found: loopintel.Context) -> list[str]:
    """A context as a responder reads it: most relevant first, on one screen."""
    lines = [f"context of {found.target} ({found.kind})"]
    if found.resolved_at is not None:
        version = found.resolved_at
        tag = f", tag {version.tag}" if version.tag else ""
        lines.append(
            f"  resolved at {version.commit[:12]} ({version.how}{tag}; "
            f"{count(version.candidates, 'consistent version')})"
        )
    for position, frame in enumerate(found.frames, 1):
        where = f"{frame.path}::{frame.qualname}" if frame.qualname else (frame.path or "")
        lines.append(
            f"  {position:>2} {frame.frame.file}:{frame.frame.line} in {frame.frame.function}"
            f"  -> {where or '-'}  [{frame.status}]"
        )
    if not found.functions:
        lines.append("no function is implicated")
    for item in found.functions:
        summary = item.summary
        evidence = item.link.evidence[0].detail if item.link.evidence else ""
        lines.append(f"{item.link.confidence:.2f}  {item.link.function}  {evidence}")
        last = summary.last_changed
        if last is not None:
            lines.append(
                f"      last changed {last.authored_at:%Y-%m-%d} by {last.author_name} "
                f"({last.commit[:12]}); {count(item.recent_changes, 'change')} since "
                f"{found.recent_since:%Y-%m-%d}"
            )
        people = ", ".join(
            f"{e.name} {e.percent}{'' if e.active else ' (inactive)'}" for e in summary.experts[:3]
        )
        lines.append(f"      experts {people or 'none'}")
        trend = summary.complexity_trend
        lines.append(
            f"      {summary.stability.classification}, complexity {summary.complexity}"
            + (f" ({trend.direction})" if trend.points > 1 else "")
            + f", coverage {coverage_line(summary.coverage)}"
        )
        if summary.deprecation.deprecated:
            lines.append(f"      deprecated: {deprecation_line(summary.deprecation)}")
        if item.earlier_incidents:
            lines.append(f"      earlier incidents: {', '.join(item.earlier_incidents[:5])}")
    if found.earlier:
        lines.append("earlier incidents on this code:")
        for earlier in found.earlier[:10]:
            when = f"{earlier.started_at:%Y-%m-%d}" if earlier.started_at else "(no time)"
            proxy = " (bug-fix commit)" if earlier.proxy else ""
            lines.append(f"  {when}  {earlier.key}{proxy}  {earlier.title}")
    lines += [f"note: {note}" for note in found.notes]
    return lines
