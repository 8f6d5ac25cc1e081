"""Commands about people and single functions: ``who``, ``show`` and ``authors``."""

from __future__ import annotations

import json
from pathlib import Path

import click

import loopintel
from loopintel.cli.shell import count, find_function, function_argument, main, reader

__all__ = [
    "AUTHORS_LIMIT",
    "WHO_LIMIT",
    "coverage_line",
    "deprecation_line",
    "expert_flags",
    "last_seen",
]

WHO_LIMIT = 10
"""Experts listed by ``loopintel who`` for people unless ``--limit`` says otherwise."""


@main.command()
@click.argument("target", metavar="FUNCTION|FILE|DIR")
@click.option("--at", help="Look FUNCTION up in the tree of this commit (functions only).")
@reader
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
        f"{a.name} ({count(a.files, 'file')}{'' if a.active else ', inactive'})"
        for a in factor.authors
    )
    header = (
        f"{factor.path}: {count(factor.files, 'file')} with functions, "
        f"truck factor {factor.factor}" + (f": {removed}" if removed else "")
    )
    if not show_truck_factor:
        key = {a.email for a in factor.authors}
        _print_experts(experts, limit, as_json, header, "first author", key)
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
    experts: list[loopintel.Expert],
    limit: int,
    as_json: bool,
    header: str,
    first: str,
    key: set[str] | None = None,
) -> None:
    shown = experts[:limit] if limit else experts
    if as_json:
        for expert in shown:
            click.echo(json.dumps(expert.to_dict()))
        return
    click.echo(header)
    for expert in shown:
        flags = "".join(f"{flag}; " for flag in expert_flags(expert, first, key))
        around = "" if not (seen := last_seen(expert)) else f"; {seen}"
        click.echo(
            f"  {expert.percent:>5}  {expert.name} <{expert.email}>  {flags}"
            f"{expert.own_changes} own / {expert.others_changes} others' changes, "
            f"last {expert.last_touch:%Y-%m-%d}{around}"
        )
    if len(shown) < len(experts):
        click.echo(f"  ... and {len(experts) - len(shown)} more (--limit 0 shows all)")


def expert_flags(
    expert: loopintel.Expert, first: str = "first author", key: set[str] | None = None
) -> list[str]:
    """What to say of an expert beside their share: truck factor, first author, inactive."""
    return [
        flag
        for flag, shown in (
            ("in the truck factor", bool(key) and expert.email in (key or ())),
            (first, expert.first_author),
            ("inactive", not expert.active),
            ("cosmetic changes only", expert.cosmetic_only),
        )
        if shown
    ]


def last_seen(expert: loopintel.Expert) -> str:
    """Whether they are around: their commits lately, or their last commit ("" if unknown)."""
    if expert.recent_commits:
        return f"{count(expert.recent_commits, 'commit')} in the last 90 days"
    return "" if expert.last_commit is None else f"last commit {expert.last_commit:%Y-%m-%d}"


@main.command()
@function_argument
@reader
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def show(
    repo: loopintel.Repository,
    function: str,
    at: str | None,
    as_json: bool,
) -> None:
    """Everything about FUNCTION on one screen: changes, experts, stability, coverage."""
    summary = find_function(repo, function, at).summary()
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
        f"({count(stability.changes_90d, 'change')} in 90 days, {stability.changes_365d} in 365)"
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
        click.echo(f"  expert         {expert.name} <{expert.email}> {expert.percent}{state}")
    click.echo(f"  coverage       {coverage_line(summary.coverage)}")
    if summary.deprecation.deprecated is not False:
        click.echo(f"  deprecated     {deprecation_line(summary.deprecation)}")


def deprecation_line(answer: loopintel.Deprecation) -> str:
    """A deprecation answer on one line."""
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


def coverage_line(coverage: loopintel.FunctionCoverage | None) -> str:
    """A function's coverage on one line."""
    if coverage is None:
        return "unknown (no imported coverage data measured it)"
    ratio = "n/a" if coverage.ratio is None else f"{coverage.ratio:.0%}"
    tests = "" if coverage.tests is None else f", {count(len(coverage.tests), 'test')}"
    return (
        f"{ratio} ({coverage.covered}/{coverage.coverable} lines{tests}) "
        f"at {coverage.commit[:12]}, snapshot {coverage.snapshot}"
    )


AUTHORS_LIMIT = 20
"""Authors listed by ``loopintel authors`` for people unless ``--limit`` says otherwise."""


@main.command()
@reader
@click.option(
    "--suggest-mailmap",
    is_flag=True,
    help="Print authors who may be one person, as .mailmap lines with their evidence.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=AUTHORS_LIMIT,
    show_default=True,
    help="At most this many authors (0: all); --json and --suggest-mailmap list all.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def authors(
    repo: loopintel.Repository,
    suggest_mailmap: bool,
    limit: int,
    as_json: bool,
) -> None:
    """The authors of the history after .mailmap, most commits first.

    With --suggest-mailmap: pairs that look like one person (the same name, or the same
    email user) that .mailmap does not join yet, each as the line that would join them.
    Nothing is merged: add the lines you agree with to .mailmap.
    """
    if suggest_mailmap:
        matches = repo.suggest_mailmap()
        for match in matches:
            if as_json:
                lines = list(match.mailmap_lines)
                click.echo(json.dumps(match.to_dict() | {"mailmap_lines": lines}))
                continue
            click.echo(f"# {match.rule}: {match.evidence}")
            for line in match.mailmap_lines:
                click.echo(line)
        if not matches and not as_json:
            click.echo("no likely duplicate identities", err=True)
        return
    found = repo.authors()
    shown = found if as_json or limit == 0 else found[:limit]
    for author in shown:
        if as_json:
            click.echo(json.dumps(author.to_dict()))
            continue
        click.echo(
            f"{author.commits:>6}  {author.first_commit:%Y-%m-%d}  {author.last_commit:%Y-%m-%d}"
            f"  {author.name} <{author.email}>"
        )
    if len(shown) < len(found):
        click.echo(f"... and {len(found) - len(shown)} more (--limit 0 shows all)")
