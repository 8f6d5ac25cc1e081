"""Change coupling of the indexed head: the arguments checked, the index read, the rows made.

The counting is :func:`loopintel.analysis.coupling.co_changes` (numpy over the change
columns); this module chooses the changes that count (non-merge commits, non-cosmetic
changes, the window), maps each to a function or a file, keeps the pairs of code at the
head that pass the thresholds, and turns them into :class:`~loopintel.Coupling` values
with their reasons. ``docs/coupling.md`` gives the definitions and why the defaults are
what they are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from loopintel.arguments import choice, head_path, is_under, number, row_limit, whole, window
from loopintel.errors import InvalidQuery
from loopintel.model import ChangeType, Coupling, CouplingLevel, FunctionRef
from loopintel.tables import Records

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from loopintel.analysis.coupling import CoChangeArrays
    from loopintel.resolver import Moment, Resolver
    from loopintel.store import ChangeColumns, Store

__all__ = ["DEFAULTS", "CouplingDefaults", "CouplingQuery", "coupling"]


@attrs.frozen
class CouplingDefaults:
    """The thresholds a level uses when the caller gives none."""

    min_support: int
    """Shared revisions a pair needs."""
    min_confidence: float
    """Confidence (the stronger direction) a pair needs."""
    max_changeset: int
    """Commits changing more functions (files) than this are left out."""


DEFAULTS: dict[CouplingLevel, CouplingDefaults] = {
    # code-maat's min-shared-revs and max-changeset-size for files. Its min-coupling of
    # 30% is on the degree; the confidence of the stronger direction is at least the
    # degree, so 0.5 on it asks for a pair where one side changed with the other in
    # at least half of its revisions.
    CouplingLevel.FILE: CouplingDefaults(min_support=5, min_confidence=0.5, max_changeset=30),
    # Functions change less often than files (a function's revisions are a fraction of
    # its file's), so 5 shared revisions would keep almost nothing; 3 is the least that
    # is more than a coincidence of two commits. A commit changing 30 functions is in
    # the top few percent of commits (on flask 51 of 1,554 commits that changed
    # functions): a sweep, as 30 files are at file level.
    CouplingLevel.FUNCTION: CouplingDefaults(min_support=3, min_confidence=0.5, max_changeset=30),
}
"""Thresholds by level (see ``docs/coupling.md`` for the reasons)."""

_COSMETIC = ChangeType.COSMETIC.bit


@attrs.frozen
class CouplingQuery:
    """A coupling question with its arguments checked (see :meth:`from_arguments`)."""

    level: CouplingLevel
    since: int | None
    """Seconds since the epoch; commits authored at or after it count."""
    until: int | None
    """Seconds since the epoch; commits authored before it count."""
    path: str
    """A file or directory at the head as the index spells it (``""``: everything)."""
    min_support: int
    min_confidence: float
    max_changeset: int
    hidden_only: bool
    limit: int | None

    @classmethod
    def from_arguments(
        cls,
        resolver: Resolver,
        *,
        level: CouplingLevel | str,
        since: Moment | None,
        until: Moment | None,
        path: str | None,
        min_support: int | None,
        min_confidence: float | None,
        max_changeset: int | None,
        hidden_only: bool,
        limit: int | None,
    ) -> CouplingQuery:
        """The query of a caller's arguments (``None`` thresholds: the level's defaults).

        Raises:
            InvalidQuery: an unknown level, a malformed or naive date, a window that ends
                before it starts, a support below 1, a confidence outside 0 to 1, a
                changeset size below 2, or a limit below 1.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        """
        kind = choice(CouplingLevel, level, "level")
        defaults = DEFAULTS[kind]
        start, end = window(since, until)
        return cls(
            level=kind,
            since=start,
            until=end,
            path=head_path(resolver, path),
            min_support=_whole(min_support, defaults.min_support, "min_support", 1),
            min_confidence=_fraction(min_confidence, defaults.min_confidence),
            max_changeset=_whole(max_changeset, defaults.max_changeset, "max_changeset", 2),
            hidden_only=bool(hidden_only),
            limit=row_limit(limit),
        )


def _whole(value: int | None, default: int, argument: str, least: int) -> int:
    if value is None:
        return default
    if whole(value, argument, f"a whole number of at least {least}") < least:
        raise InvalidQuery(argument, value, f"at least {least}")
    return value


def _fraction(value: float | None, default: float) -> float:
    if value is None:
        return default
    fraction = number(value, "min_confidence", "a number from 0 to 1")
    if not 0 <= fraction <= 1:
        raise InvalidQuery("min_confidence", value, "a number from 0 to 1 (0.5: half)")
    return fraction


@attrs.frozen(eq=False)
class _Sides:
    """The code at the head that can be coupled, and the element each change counts for."""

    names: list[str]
    """Names of the head's functions or files, by head index."""
    paths: list[str]
    """The file of each."""
    element: npt.NDArray[np.int64]
    """Per counted change, its element."""
    elements: int
    head: npt.NDArray[np.int64]
    """Per element, its head index (-1: not code at the head)."""
    nested: npt.NDArray[np.int64] | None
    """Per head function: file code, first and last line (3 rows), to tell a function
    from those inside it; ``None`` for files."""


def coupling(store: Store, query: CouplingQuery) -> Records[Coupling]:
    """The coupled pairs a query asks for, strongest first.

    Strongest is the highest degree, then the most shared revisions; ties by names.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.coupling import co_changes  # noqa: PLC0415

    columns = store.columns()
    spans = store.head_spans()
    if not len(columns) or not spans:
        return Records()
    shas, merges = _commits(store)
    counted = ((columns.types & _COSMETIC) == 0) & ~np.isin(columns.seq, merges)
    if query.since is not None:
        counted &= columns.authored_at >= query.since
    if query.until is not None:
        counted &= columns.authored_at < query.until
    sides = _sides(columns, counted, spans, query.level)
    arrays = co_changes(
        columns.seq[counted], sides.element, sides.elements, max_changeset=query.max_changeset
    )
    kept = np.flatnonzero(_kept(arrays, sides, query))
    # The columns come in graph order: a commit's author time is that of its first change.
    first = columns.authored_at[np.searchsorted(columns.seq, arrays.first[kept])].tolist()
    last = columns.authored_at[np.searchsorted(columns.seq, arrays.last[kept])].tolist()
    rows = [
        _row(arrays, sides, pair, query, shas, (since, until), spans)
        for pair, since, until in zip(kept.tolist(), first, last, strict=True)
    ]
    rows.sort(key=lambda row: (-row.degree, -row.shared, row.a, row.b))
    return Records(rows if query.limit is None else rows[: query.limit])


def _commits(store: Store) -> tuple[dict[int, str], npt.NDArray[np.int64]]:
    """Every indexed commit's sha by graph position, and the positions of merges."""
    import numpy as np  # noqa: PLC0415

    def read() -> tuple[dict[int, str], npt.NDArray[np.int64]]:
        rows = store.commit_rows()
        merges = np.fromiter((seq for seq, _, merge in rows if merge), np.int64)
        return {seq: sha for seq, sha, _ in rows}, merges

    found: tuple[dict[int, str], npt.NDArray[np.int64]] = store.per_head("commit_shas", read)
    return found


def _sides(
    columns: ChangeColumns,
    counted: npt.NDArray[np.bool_],
    spans: list[tuple[str, str, str, int, int]],
    level: CouplingLevel,
) -> _Sides:
    """Map every counted change to an element, and elements to code at the head.

    Every change counts for the size of its commit, so a change of a function no longer
    at the head still has an element of its own; it just has no row.
    """
    import numpy as np  # noqa: PLC0415

    lineages = len(columns.lineages)
    codes = {lineage: i for i, lineage in enumerate(columns.lineages)}
    head_of = np.full(lineages, -1, dtype=np.int64)  # lineage code -> head function
    for index, row in enumerate(spans):
        code = codes.get(row[2])
        if code is not None:
            head_of[code] = index
    if level is CouplingLevel.FUNCTION:
        file_code = {path: i for i, path in enumerate(dict.fromkeys(row[0] for row in spans))}
        nested = np.array([[file_code[row[0]], row[3], row[4]] for row in spans], dtype=np.int64).T
        return _Sides(
            names=[f"{row[0]}::{row[1]}" for row in spans],
            paths=[row[0] for row in spans],
            element=columns.lineage[counted].astype(np.int64),
            elements=lineages,
            head=head_of,
            nested=nested,
        )
    # Files: a change counts for the file it was made in. A file that is not at the head
    # counts as the head file holding most of the functions changed in it (it was
    # renamed or moved there, or split), so history follows files without one file's
    # past being copied into several (a split would couple the parts in every old
    # commit).
    files = sorted({row[0] for row in spans})
    count = len(files)
    head_file = {path: i for i, path in enumerate(files)}
    file_of_function = np.array([head_file[row[0]] for row in spans], dtype=np.int64)
    every = head_of[columns.lineage]
    alive = every >= 0
    made_in = columns.path[alive].astype(np.int64)
    pairs, changes = np.unique(made_in * count + file_of_function[every[alive]], return_counts=True)
    order = np.lexsort((pairs % count, -changes, pairs // count))
    pairs = pairs[order]
    first = np.ones(pairs.size, dtype=bool)
    first[1:] = pairs[1:] // count != pairs[:-1] // count
    successor = np.full(len(columns.paths), -1, dtype=np.int64)
    successor[pairs[first] // count] = pairs[first] % count
    for code, path in enumerate(columns.paths):
        if path in head_file:
            successor[code] = head_file[path]
    # Files with no successor are elements of their own: they still make commits large.
    element_of_path = np.where(
        successor >= 0, successor, count + np.arange(len(columns.paths), dtype=np.int64)
    )
    head = np.concatenate(
        (np.arange(count, dtype=np.int64), np.full(len(columns.paths), -1, dtype=np.int64))
    )
    return _Sides(
        names=files,
        paths=files,
        element=element_of_path[columns.path[counted]],
        elements=count + len(columns.paths),
        head=head,
        nested=None,
    )


def _kept(arrays: CoChangeArrays, sides: _Sides, query: CouplingQuery) -> npt.NDArray[np.bool_]:
    """Which pairs become rows: both sides at the head, the thresholds, path, hidden."""
    import numpy as np  # noqa: PLC0415

    a, b = sides.head[arrays.a], sides.head[arrays.b]
    keep = (a >= 0) & (b >= 0) & (arrays.shared >= query.min_support)
    fewer = np.minimum(arrays.revisions[arrays.a], arrays.revisions[arrays.b])
    keep &= arrays.shared / np.maximum(fewer, 1) >= query.min_confidence
    if sides.nested is not None:
        # A change inside a nested function is also one of the function around it:
        # the two always change together, which says nothing.
        file_a, start_a, end_a = sides.nested[:, np.maximum(a, 0)]
        file_b, start_b, end_b = sides.nested[:, np.maximum(b, 0)]
        a_holds_b = (start_a <= start_b) & (end_b <= end_a)
        b_holds_a = (start_b <= start_a) & (end_a <= end_b)
        keep &= ~((file_a == file_b) & (a_holds_b | b_holds_a))
    if query.path or query.hidden_only:
        for i in np.flatnonzero(keep):
            path_a, path_b = sides.paths[a[i]], sides.paths[b[i]]
            inside = is_under(path_a, query.path) or is_under(path_b, query.path)
            keep[i] = inside and (not query.hidden_only or _hidden(path_a, path_b))
    return keep


def _hidden(path_a: str, path_b: str) -> bool:
    return path_a.rpartition("/")[0] != path_b.rpartition("/")[0]


def _row(
    arrays: CoChangeArrays,
    sides: _Sides,
    pair: int,
    query: CouplingQuery,
    shas: dict[int, str],
    times: tuple[int, int],
    spans: list[tuple[str, str, str, int, int]],
) -> Coupling:
    """The row of one pair; ``times``: author times of its first and last shared commit."""
    import numpy as np  # noqa: PLC0415

    one, two = int(sides.head[arrays.a[pair]]), int(sides.head[arrays.b[pair]])
    rev_one, rev_two = int(arrays.revisions[arrays.a[pair]]), int(arrays.revisions[arrays.b[pair]])
    if sides.names[two] < sides.names[one]:
        one, two, rev_one, rev_two = two, one, rev_two, rev_one
    shared = int(arrays.shared[pair])
    functions = query.level is CouplingLevel.FUNCTION
    lo, hi = np.searchsorted(arrays.newest_pair, [pair, pair + 1])
    newest = arrays.newest_commit[lo:hi]
    return Coupling(
        level=query.level,
        a=sides.names[one],
        b=sides.names[two],
        path_a=sides.paths[one],
        path_b=sides.paths[two],
        function_a=FunctionRef(spans[one][0], spans[one][1]) if functions else None,
        function_b=FunctionRef(spans[two][0], spans[two][1]) if functions else None,
        lineage_a=spans[one][2] if functions else None,
        lineage_b=spans[two][2] if functions else None,
        shared=shared,
        revisions_a=rev_one,
        revisions_b=rev_two,
        confidence_ab=shared / rev_one,
        confidence_ba=shared / rev_two,
        confidence=shared / min(rev_one, rev_two),
        degree=shared / ((rev_one + rev_two) / 2),
        hidden=_hidden(sides.paths[one], sides.paths[two]),
        commits=tuple(shas[int(seq)] for seq in newest.tolist()),
        first_shared=datetime.fromtimestamp(times[0], UTC),
        last_shared=datetime.fromtimestamp(times[1], UTC),
        left_out=arrays.left_out,
    )
