"""Hotspots of the indexed head: the arguments checked, the index read, the rows made.

The scores come from :mod:`loopintel.analysis.hotspots` (numpy over the change
columns); this module finds the fixes (the bug-fix rules of
:mod:`loopintel.analysis.fixes`, as for proxy incidents), maps the functions at the head
to functions, files or modules, and turns the arrays into :class:`~loopintel.Hotspot`
values with their reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from loopintel.arguments import choice, head_path, row_limit, window
from loopintel.elements import head_code, head_spans
from loopintel.errors import InvalidQuery
from loopintel.model import FunctionRef, Hotspot, HotspotLevel, HotspotScore
from loopintel.tables import Records

if TYPE_CHECKING:
    from loopintel.analysis.hotspots import IncidentLinks
    from loopintel.elements import HeadSpan
    from loopintel.history.git import GitRepository
    from loopintel.resolver import Moment, Resolver
    from loopintel.store import Store

__all__ = ["HotspotQuery", "fix_commits", "hotspots"]


@attrs.frozen
class HotspotQuery:
    """A hotspot question with its arguments checked (see :meth:`from_arguments`)."""

    level: HotspotLevel
    by: HotspotScore
    since: int | None
    """Seconds since the epoch; changes at or after it count."""
    until: int | None
    """Seconds since the epoch; changes before it count."""
    path: str
    """A file or directory at the head as the index spells it (``""``: everything)."""
    limit: int | None
    incidents: bool

    @classmethod
    def from_arguments(
        cls,
        resolver: Resolver,
        *,
        level: HotspotLevel | str,
        by: HotspotScore | str,
        since: Moment | None,
        until: Moment | None,
        path: str | None,
        limit: int | None,
        incidents: bool,
    ) -> HotspotQuery:
        """The query of a caller's arguments.

        Raises:
            InvalidQuery: an unknown level or score, a malformed or naive date, a window
                that ends before it starts, or a limit below 1.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        """
        start, end = window(since, until)
        clean = head_path(resolver, path)
        return cls(
            level=choice(HotspotLevel, level, "level"),
            by=choice(HotspotScore, by, "by"),
            since=start,
            until=end,
            path=clean,
            limit=row_limit(limit),
            incidents=incidents,
        )


def fix_commits(git: GitRepository, store: Store) -> dict[int, str]:
    """The indexed fixes, by graph position: their shas.

    A fix is a non-merge commit whose whole message the bug-fix rules find, as for
    :func:`loopintel.incidents.proxy_incidents`. Computed once per indexed head.
    """
    from loopintel.analysis.fixes import fix_signal  # noqa: PLC0415 - loaded on use

    def find() -> dict[int, str]:
        return {
            seq: sha
            for seq, sha, merge in store.commit_rows()
            if not merge and fix_signal(git.message(sha)) is not None
        }

    found: dict[int, str] = store.per_head("fix_commits", find)
    return found


def hotspots(git: GitRepository, store: Store, query: HotspotQuery) -> Records[Hotspot]:
    """The hotspots a query asks for, highest ``query.by`` first.

    Ties keep a fixed order: by name.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.hotspots import hotspot_arrays  # noqa: PLC0415

    columns = store.columns()
    if not len(columns):
        return Records()
    spans = head_spans(store, query.path)
    if not spans:
        return Records()
    names, code = head_code(store, columns, spans, query.level.value)
    fixes = fix_commits(git, store)
    fix_seqs = np.fromiter(fixes, np.int64, len(fixes))
    first, last = int(columns.authored_at.min()), int(columns.authored_at.max())
    scale = (
        first if query.since is None else query.since,
        last if query.until is None else query.until,
    )
    links = _links(store, query, spans) if query.incidents else None
    if query.by is HotspotScore.INCIDENT_RISK and links is None:
        raise InvalidQuery(
            "by",
            query.by.value,
            "a score the history has: no stored incident is linked to code "
            "(import incidents first, or rank by another score)",
        )
    arrays = hotspot_arrays(
        columns,
        code,
        fix=np.isin(columns.seq, fix_seqs),
        window=(query.since, query.until),
        scale=scale,
        links=links,
    )
    shown: dict[int, list[str]] = {}
    for index, seq in zip(arrays.fix_element.tolist(), arrays.fix_seq.tolist(), strict=True):
        shown.setdefault(index, []).append(fixes[seq])
    # Without an until, the window ends just after the latest change: the row's own
    # until, given back, counts that change too (until is exclusive).
    since = datetime.fromtimestamp(scale[0], UTC)
    until = datetime.fromtimestamp(scale[1] + (query.until is None), UTC)
    risk = None if arrays.incident_risk is None else arrays.incident_risk.tolist()
    churn = arrays.relative_churn.tolist()
    rxc = arrays.revisions_x_complexity.tolist()
    rows = []
    for i, name in enumerate(names):
        changes, added, removed = (
            int(arrays.changes[i]),
            int(arrays.lines_added[i]),
            int(arrays.lines_removed[i]),
        )
        linked = int(arrays.incidents[i])
        if not (changes or added or removed or linked):
            continue  # untouched in the window: every score is 0
        function = lineage_id = None
        path = name
        if query.level is HotspotLevel.FUNCTION:
            row = spans[i]
            function, lineage_id, path = FunctionRef(row[0], row[1]), row[2], row[0]
        rows.append(
            Hotspot(
                level=query.level,
                name=name,
                path=path,
                function=function,
                lineage=lineage_id,
                revisions_x_complexity=int(rxc[i]),
                fix_score=float(arrays.fix_score[i]),
                fixes=int(arrays.fixes[i]),
                relative_churn=float(churn[i]),
                incident_risk=None if risk is None else float(risk[i]),
                changes=changes,
                complexity=int(arrays.complexity[i]),
                lines_added=added,
                lines_removed=removed,
                size=int(arrays.size[i]),
                functions=int(arrays.functions[i]),
                incidents=linked,
                fix_commits=tuple(shown.get(i, ())),
                authors=int(arrays.authors[i]),
                since=since,
                until=until,
            )
        )
    rows.sort(key=lambda hotspot: (-hotspot.score(query.by), hotspot.name))
    return Records(rows if query.limit is None else rows[: query.limit])


def _links(store: Store, query: HotspotQuery, spans: list[HeadSpan]) -> IncidentLinks | None:
    """Links of stored incidents in the window to the ranked functions.

    ``None``: no stored incident is linked to any code.
    """
    import numpy as np  # noqa: PLC0415

    from loopintel.analysis.hotspots import IncidentLinks  # noqa: PLC0415

    rows = store.incident_link_rows()
    if not rows:
        return None
    position = {row[2]: i for i, row in enumerate(spans)}
    incident_codes: dict[str, int] = {}
    kept = [
        (position[lineage], incident_codes.setdefault(incident, len(incident_codes)), confidence)
        for incident, lineage, confidence, started in rows
        if lineage in position
        and (
            started is None
            or (
                (query.since is None or started >= query.since)
                and (query.until is None or started < query.until)
            )
        )
    ]
    return IncidentLinks(
        function=np.array([k[0] for k in kept], dtype=np.int64),
        incident=np.array([k[1] for k in kept], dtype=np.int64),
        confidence=np.array([k[2] for k in kept], dtype=np.float64),
    )
