"""Who knows a body of code: experts of a function, a file or a directory; truck factors.

The numbers come from :mod:`loopintel.analysis.knowledge` (degree of authorship, the
greedy truck factor); this module gathers their evidence from the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopintel.model import Expert, KeyAuthor, TruckFactor
from loopintel.tables import Records

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loopintel.analysis.knowledge import Touch
    from loopintel.model import PathScope
    from loopintel.store import OwnershipRow, Store

__all__ = ["path_experts", "path_truck_factor", "ranked_experts"]

DAY = 86400
RECENT_DAYS = 90
"""How far back before the indexed head an expert's commits count as recent activity."""


def ranked_experts(
    store: Store,
    touches: Sequence[Touch],
    names: Mapping[str, str],
    half_life_days: float | None,
    inactive_after_days: float,
) -> Records[Expert]:
    """Experts of a body of code from its changes (a function, a file, a directory).

    Degree of authorship decayed back from the indexed head's commit time, authors
    without a commit for ``inactive_after_days`` before it flagged inactive.
    """
    from loopintel.analysis.knowledge import (  # noqa: PLC0415 - numpy loads on first use
        ranked_by_expertise,
    )

    head_time = store.head_time()
    return Records(
        ranked_by_expertise(
            touches,
            now=head_time,
            half_life_days=half_life_days,
            names=names,
            last_seen=store.last_commit_times(),
            active_since=head_time - inactive_after_days * DAY,
            recent=store.commit_counts_since(head_time - RECENT_DAYS * DAY),
        )
    )


def path_experts(
    store: Store,
    scope: PathScope,
    *,
    half_life_days: float | None,
    inactive_after_days: float,
) -> Records[Expert]:
    """Experts of a file or directory of the head, as one body of code.

    Its functions at the indexed head, followed through their lineages, each commit
    that changed any of them counted once; the first author introduced the oldest.
    """
    from loopintel.analysis.knowledge import Touch  # noqa: PLC0415 - numpy on first use

    path = _path(scope)
    touches: dict[int, Touch] = {}
    names: dict[str, str] = {}
    first: int | None = None
    for row in store.ownership_rows(path, cosmetic=True):
        names[row.email] = row.name  # rows come oldest first: the latest name wins
        if first is None and row.added and not row.cosmetic:
            first = row.seq
        known = touches.get(row.seq)
        if known is None or (known.cosmetic and not row.cosmetic):
            # A commit counts once, and in substance if it changed any file so.
            touches[row.seq] = Touch(
                row.email, row.authored_at, row.seq == first, row.cosmetic, order=row.seq
            )
    return ranked_experts(store, list(touches.values()), names, half_life_days, inactive_after_days)


def path_truck_factor(
    store: Store,
    scope: PathScope,
    *,
    half_life_days: float | None,
    inactive_after_days: float,
) -> TruckFactor:
    """The truck factor of a file or directory of the head.

    Files without functions at the indexed head are not counted.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.knowledge import (  # noqa: PLC0415
        authorship_table,
        greedy_truck_factor,
    )

    path = _path(scope)
    files = [file for file, has_functions in store.head_files_under(path) if has_functions]
    rows: list[OwnershipRow] = store.ownership_rows(path)
    file_index = {f: i for i, f in enumerate(files)}
    emails = sorted({row.email for row in rows})
    author_index = {e: i for i, e in enumerate(emails)}
    names: dict[str, str] = {}
    introduced: set[str] = set()
    flags = []
    for row in rows:
        names[row.email] = row.name
        flags.append(row.added and row.file not in introduced)
        if row.added:
            introduced.add(row.file)
    count = len(rows)
    head_time = store.head_time()
    table = authorship_table(
        np.fromiter((file_index[r.file] for r in rows), dtype=np.int64, count=count),
        np.fromiter((author_index[r.email] for r in rows), dtype=np.int64, count=count),
        np.fromiter((r.authored_at for r in rows), dtype=np.int64, count=count),
        np.array(flags, dtype=bool),
        now=head_time,
        half_life_days=half_life_days,
    )
    result = greedy_truck_factor(table, len(files))
    last_seen = store.last_commit_times()
    active_since = head_time - inactive_after_days * DAY
    return TruckFactor(
        path=path or ".",
        factor=result.factor,
        files=len(files),
        authored=result.authored_before,
        authors=tuple(
            KeyAuthor(
                name=names[emails[a]],
                email=emails[a],
                files=files_,
                orphaned=lost,
                active=last_seen.get(emails[a], 0) >= active_since,
            )
            for a, files_, lost in zip(
                result.removed, result.authored, result.orphaned_by, strict=True
            )
        ),
        orphaned=tuple(f for f, gone in zip(files, result.orphaned, strict=True) if gone),
    )


def _path(scope: PathScope) -> str:
    """The scope's path as the store reads it (``""``: the whole repository)."""
    return "" if scope.path == "." else scope.path
