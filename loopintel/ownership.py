"""Who knows a body of code: experts of a function, a file or a directory; truck factors.

The numbers come from :mod:`loopintel.analysis.knowledge` (degree of authorship, the
greedy truck factor); this module gathers their evidence from the index.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from loopintel.model import Expert, KeyAuthor, TruckFactor
from loopintel.tables import Records

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    from numpy.typing import NDArray

    from loopintel.analysis.knowledge import Touch, TouchArrays, TruckFactorResult
    from loopintel.model import PathScope
    from loopintel.store import OwnershipColumns, Store

__all__ = [
    "commit_touches",
    "expertise_weights",
    "file_touches",
    "path_experts",
    "path_truck_factor",
    "ranked_experts",
    "truck_factor_value",
]

DAY = 86400
RECENT_DAYS = 90
"""How far back before the indexed head an expert's commits count as recent activity."""
MODEL_VERSION = 1
"""Bumped when the features or the learning change: weights stored before are relearned."""


def expertise_weights(store: Store, level: str) -> NDArray[np.float64]:
    """The expertise ranking's weights for ``level``, learned from this repository's history.

    Learned by :func:`loopintel.analysis.expert_model.learn_weights` from the level's
    latest events, kept in the index and learned again once it holds
    :data:`~loopintel.analysis.expert_model.REFIT_CHANGES` more function changes (so a
    query after a one-commit update reuses them). A read-only index learns them once
    per process.
    """
    return store.per_head(  # type: ignore[no-any-return]
        f"expertise_weights:{level}", lambda: _learned(store, level)
    )


def _stored(saved: str | None) -> tuple[int, NDArray[np.float64]] | None:
    """The function changes and the weights of a stored record; ``None`` if unusable."""
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.knowledge import EXPERTISE_FEATURES  # noqa: PLC0415

    if saved is None:
        return None
    try:
        record = json.loads(saved)
        weights = np.array(record["weights"], dtype=np.float64)
        changes = int(record["changes"])
    except (ValueError, KeyError, TypeError):
        return None  # damaged: learned again and stored over it
    if record.get("version") != MODEL_VERSION or weights.shape != (len(EXPERTISE_FEATURES),):
        return None
    if not np.isfinite(weights).all():
        return None
    return changes, weights


def _learned(store: Store, level: str) -> NDArray[np.float64]:
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.expert_model import (  # noqa: PLC0415
        REFIT_CHANGES,
        Activity,
        learn_weights,
        level_touches,
    )

    key = f"expertise_weights:{level}"
    changes = store.count("changes")
    kept = _stored(store.meta(key))
    if kept is not None and 0 <= changes - kept[0] < REFIT_CHANGES:
        return kept[1]
    emails, times = store.commit_authors()
    weights, events = learn_weights(
        level_touches(store.columns(), level), Activity(emails, np.array(times, dtype=np.int64))
    )
    if not store.readonly:
        record = {
            "version": MODEL_VERSION,
            "changes": changes,
            "events": events,
            "weights": [float(w) for w in weights],
        }
        try:
            with store.transaction():
                store.set_meta(key, json.dumps(record))
        except sqlite3.OperationalError:
            pass  # busy (an update is running) or read-only: learned again next time
    return weights


def ranked_experts(
    store: Store,
    touches: Sequence[Touch],
    names: Mapping[str, str],
    half_life_days: float | None,
    inactive_after_days: float,
    *,
    level: str = "function",
) -> Records[Expert]:
    """Experts of a body of code from its changes (a function, a file, a directory).

    Degree of authorship decayed back from the indexed head's commit time, authors
    without a commit for ``inactive_after_days`` before it flagged inactive.
    """
    from loopintel.analysis.knowledge import touch_arrays  # noqa: PLC0415 - numpy on first use

    if not touches:
        return Records([])
    keys = sorted({t.author for t in touches})
    return _ranked(
        store, touch_arrays(touches, keys), keys, names, half_life_days, inactive_after_days, level
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
    touches, keys, names = commit_touches(store.ownership_columns(_path(scope)))
    if not keys:
        return Records([])
    level = "file" if scope.is_file else "directory"
    return _ranked(store, touches, keys, names, half_life_days, inactive_after_days, level)


def commit_touches(own: OwnershipColumns) -> tuple[TouchArrays, list[str], dict[str, str]]:
    """One touch per commit of a body of code, from its (file, commit) rows.

    A commit counts once, and in substance if it changed any file so; it introduced the
    code if it is the oldest that added a function in substance (and the first of its
    rows in substance is such an addition). Returns the touches (authors numbered by
    their place in the sorted keys), the keys, and each key's latest name.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.knowledge import TouchArrays  # noqa: PLC0415

    names = _latest_names(own)
    seqs, start, inverse = np.unique(own.seq, return_index=True, return_inverse=True)
    real = np.bincount(inverse, weights=~own.cosmetic, minlength=len(seqs)) > 0
    present, author = np.unique(own.author[start], return_inverse=True)
    introduced = np.zeros(len(seqs), dtype=bool)
    substance = own.added_any & ~own.cosmetic
    if substance.any():
        first = own.seq[int(np.argmax(substance))]
        # The commit's touch is its first row in substance (rows of a commit come by file).
        decisive = int(np.flatnonzero((own.seq == first) & ~own.cosmetic)[0])
        introduced = (seqs == first) & bool(own.added_any[decisive])
    touches = TouchArrays(
        element=np.zeros(len(seqs), dtype=np.int64),
        author=author.astype(np.int64),
        timestamp=own.authored_at[start].astype(np.int64),
        introduced=introduced,
        cosmetic=~real,
        order=seqs.astype(np.int64),
    )
    return touches, [own.emails[int(a)] for a in present], names


def file_touches(
    own: OwnershipColumns, files: Sequence[str]
) -> tuple[TouchArrays, list[str], dict[str, str]]:
    """The substantive changes of each file of ``files``, for its authorship.

    The element of a change is its file's place in ``files``; a change introduced the
    file when it is the oldest that added a function of it. Cosmetic commits are left
    out. Returns the touches (authors numbered by their place in the sorted keys), the
    keys, and each key's latest name.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.knowledge import TouchArrays  # noqa: PLC0415

    real = own.select(~own.cosmetic)
    names = _latest_names(real)
    present, author = np.unique(real.author, return_inverse=True)
    place = {f: i for i, f in enumerate(files)}
    element_of = np.fromiter((place.get(f, -1) for f in own.files), np.int64, len(own.files))
    added = np.flatnonzero(real.added)
    introduced = np.zeros(len(real), dtype=bool)
    introduced[added[np.unique(real.file[added], return_index=True)[1]]] = True
    touches = TouchArrays(
        element=element_of[real.file],
        author=author.astype(np.int64),
        timestamp=real.authored_at.astype(np.int64),
        introduced=introduced,
        cosmetic=np.zeros(len(real), dtype=bool),
        order=real.seq.astype(np.int64),
    )
    return touches, [own.emails[int(a)] for a in present], names


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
    from loopintel.analysis.knowledge import (  # noqa: PLC0415 - numpy loads on first use
        authorship_table,
        greedy_truck_factor,
    )

    path = _path(scope)
    files = [file for file, has_functions in store.head_files_under(path) if has_functions]
    touches, emails, names = file_touches(store.ownership_columns(path), files)
    head_time = store.head_time()
    table = authorship_table(
        touches.element,
        touches.author,
        touches.timestamp,
        touches.introduced,
        now=head_time,
        half_life_days=half_life_days,
    )
    return truck_factor_value(
        path or ".",
        files,
        greedy_truck_factor(table, len(files)),
        emails,
        names,
        last_seen=store.last_commit_times(),
        active_since=head_time - inactive_after_days * DAY,
    )


def truck_factor_value(
    path: str,
    files: Sequence[str],
    result: TruckFactorResult,
    emails: Sequence[str],
    names: Mapping[str, str],
    *,
    last_seen: Mapping[str, int],
    active_since: float,
) -> TruckFactor:
    """The :class:`TruckFactor` of ``files`` from the greedy removal's result.

    ``result`` numbers authors by their place in ``emails`` and files by their place in
    ``files``; an author is active with a commit at or after ``active_since``.
    """
    return TruckFactor(
        path=path,
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


def _ranked(
    store: Store,
    touches: TouchArrays,
    keys: Sequence[str],
    names: Mapping[str, str],
    half_life_days: float | None,
    inactive_after_days: float,
    level: str,
) -> Records[Expert]:
    """:func:`ranked_experts` of touches already in arrays (``keys`` sorted, not empty)."""
    from loopintel.analysis.knowledge import experts_by_element  # noqa: PLC0415

    head_time = store.head_time()
    (ranked,) = experts_by_element(
        touches,
        elements=1,
        keys=keys,
        now=head_time,
        half_life_days=half_life_days,
        names=names,
        last_seen=store.last_commit_times(),
        active_since=head_time - inactive_after_days * DAY,
        recent=store.commit_counts_since(head_time - RECENT_DAYS * DAY),
        weights=expertise_weights(store, level),
    )
    return Records(ranked)


def _latest_names(own: OwnershipColumns) -> dict[str, str]:
    """Each author's name on their latest row (rows come oldest first)."""
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    present, back = np.unique(own.author[::-1], return_index=True)
    last = len(own) - 1 - back
    return {
        own.emails[int(a)]: own.names[int(own.name[i])] for a, i in zip(present, last, strict=True)
    }


def _path(scope: PathScope) -> str:
    """The scope's path as the store reads it (``""``: the whole repository)."""
    return "" if scope.path == "." else scope.path
