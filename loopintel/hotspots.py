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

from loopintel.arguments import choice, head_path, is_under, row_limit, window
from loopintel.errors import InvalidQuery
from loopintel.model import FunctionRef, Hotspot, HotspotLevel, HotspotScore
from loopintel.tables import Records

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from loopintel.analysis.hotspots import IncidentLinks
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

    from loopintel.analysis.hotspots import (  # noqa: PLC0415
        HeadCode,
        hotspot_arrays,
    )

    columns = store.columns()
    if not len(columns):
        return Records()
    spans = [row for row in store.head_spans() if is_under(row[0], query.path)]
    if not spans:
        return Records()
    codes: dict[str, int] = store.per_head(
        "lineage_codes", lambda: {lineage: i for i, lineage in enumerate(columns.lineages)}
    )
    names, element = _elements(spans, query.level)
    count = len(spans)
    file_of = np.unique(np.array([row[0] for row in spans]), return_inverse=True)[1]
    start = np.fromiter((row[3] for row in spans), np.int64, count)
    end = np.fromiter((row[4] for row in spans), np.int64, count)
    lineage = np.fromiter((codes.get(row[2], -1) for row in spans), np.int64, count)
    code = HeadCode(
        lineage=lineage,
        element=element,
        outermost=(
            np.ones(count, dtype=bool)
            if query.level is HotspotLevel.FUNCTION
            else _outermost(file_of, start, end)
        ),
        size=end - start + 1,
        elements=len(names),
    )
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
    since, until = (datetime.fromtimestamp(moment, UTC) for moment in scale)
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


def _elements(
    spans: list[tuple[str, str, str, int, int]], level: HotspotLevel
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The names of the elements and the element index of each function."""
    import numpy as np  # noqa: PLC0415

    if level is HotspotLevel.FUNCTION:
        return [f"{row[0]}::{row[1]}" for row in spans], np.arange(len(spans), dtype=np.int64)
    keys = [
        row[0] if level is HotspotLevel.FILE else (row[0].rpartition("/")[0] or ".")
        for row in spans
    ]
    names, element = np.unique(np.array(keys, dtype=object), return_inverse=True)
    return [str(name) for name in names], element.astype(np.int64)


def _outermost(
    file_of: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Whether each function lies inside no earlier one of its file.

    Functions come by file, then first line (an enclosing one first): a function is
    nested when it starts at or before the furthest end of the earlier ones of its file.
    """
    import numpy as np  # noqa: PLC0415

    if not start.size:
        return np.zeros(0, dtype=bool)
    stride = np.int64(int(end.max()) + 2)
    reach = np.maximum.accumulate(file_of * stride + end)
    before = np.concatenate(([np.int64(-1)], reach[:-1]))
    return np.asarray(file_of * stride + start > before)


def _links(
    store: Store, query: HotspotQuery, spans: list[tuple[str, str, str, int, int]]
) -> IncidentLinks | None:
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
