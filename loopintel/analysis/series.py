"""Series of measures per element and per period, in numpy over the index's change columns.

An element is a function, a file, a module or the repository (the caller maps the
functions at the head to elements, as for hotspots: :class:`~loopintel.analysis.hotspots.
HeadCode`). A period is a calendar month or quarter in UTC; :class:`Periods` numbers
them from the first one of a window. Every builder returns an ``(elements, periods)``
float matrix, NaN where a value is missing:

* counts (churn, changes, authors, incidents) are 0 in a period without activity;
* states (complexity, truck factor) carry their value over periods without change;
* coverage is missing in a period without a snapshot: it is measured, not carried.

Periods before an element's first change are marked missing by :func:`from_birth`: the
code did not exist then, and a run of zeros before it was written would read as a
trend of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from loopintel.model import ChangeKind, ChangeType

if TYPE_CHECKING:
    import numpy.typing as npt

    from loopintel.analysis.hotspots import HeadCode
    from loopintel.store import ChangeColumns

__all__ = [
    "CoverageRows",
    "Periods",
    "Placed",
    "TruckFiles",
    "authors_series",
    "birth",
    "changes_series",
    "churn_series",
    "complexity_series",
    "coverage_series",
    "from_birth",
    "incident_series",
    "place",
    "truck_factor_series",
]

_COSMETIC = ChangeType.COSMETIC.bit
_DELETED = tuple(ChangeKind).index(ChangeKind.DELETED)
_ADDED = tuple(ChangeKind).index(ChangeKind.ADDED)


@attrs.frozen
class Periods:
    """Consecutive calendar periods of ``months`` months (1 or 3), in UTC."""

    months: int
    """Months per period: 1 for months, 3 for quarters."""
    first: int
    """The first period, counted in periods from January 1970."""
    count: int
    """How many periods."""

    @classmethod
    def window(cls, months: int, since: int, until: int) -> Periods:
        """The whole periods inside ``[since, until)`` (seconds since the epoch).

        A period that ``since`` or ``until`` cuts is left out.
        """
        first = int(period_of(np.array([since]), months)[0])
        if int(start_of(np.array([first]), months)[0]) < since:
            first += 1
        last = int(period_of(np.array([until]), months)[0])  # starts at or before until
        return cls(months=months, first=first, count=max(0, last - first))

    def index(self, times: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The period of each time, counted from the first.

        Below 0: before the window; ``count`` or more: after it.
        """
        return period_of(times, self.months) - self.first

    def starts(self) -> npt.NDArray[np.int64]:
        """Start of each period and, last, the end of the window (seconds)."""
        return start_of(np.arange(self.first, self.first + self.count + 1), self.months)


def period_of(times: npt.NDArray[np.int64], months: int) -> npt.NDArray[np.int64]:
    """The calendar period (of ``months`` months, from January 1970, UTC) of each time."""
    month = np.asarray(times, dtype=np.int64).astype("datetime64[s]").astype("datetime64[M]")
    return month.astype(np.int64) // months


def start_of(periods: npt.NDArray[np.int64], months: int) -> npt.NDArray[np.int64]:
    """The first second of each period (the inverse of :func:`period_of`)."""
    month = (np.asarray(periods, dtype=np.int64) * months).astype("datetime64[M]")
    return month.astype("datetime64[s]").astype(np.int64)


@attrs.frozen(eq=False)
class Placed:
    """Each change of the columns placed: its function at the head, element and period."""

    function: npt.NDArray[np.int64]
    """Index of the function at the head whose lineage it changed (-1: none)."""
    element: npt.NDArray[np.int64]
    """The element of that function (-1: none)."""
    period: npt.NDArray[np.int64]
    """Its period (:meth:`Periods.index` of its author time)."""
    elements: int
    periods: int


def place(columns: ChangeColumns, code: HeadCode, periods: Periods) -> Placed:
    """Every change placed by its lineage and author time."""
    head_of = np.full(len(columns.lineages) + 1, -1, dtype=np.int64)
    known = code.lineage >= 0
    head_of[code.lineage[known]] = np.flatnonzero(known)
    function = head_of[columns.lineage] if len(columns) else np.zeros(0, dtype=np.int64)
    element = np.where(function >= 0, code.element[np.maximum(function, 0)], -1)
    return Placed(
        function=function,
        element=element.astype(np.int64),
        period=periods.index(columns.authored_at),
        elements=code.elements,
        periods=periods.count,
    )


def birth(placed: Placed) -> npt.NDArray[np.int64]:
    """Per element, the period of its first change (``periods``: none before the end)."""
    first = np.full(placed.elements, placed.periods, dtype=np.int64)
    mine = placed.element >= 0
    np.minimum.at(first, placed.element[mine], np.minimum(placed.period[mine], placed.periods))
    return first


def from_birth(values: npt.NDArray[np.float64], born: npt.NDArray[np.int64]) -> None:
    """Mark every period before each element's first change missing (in place)."""
    values[np.arange(values.shape[1])[None, :] < born[:, None]] = np.nan


def _counts(
    placed: Placed, element: npt.NDArray[np.int64], period: npt.NDArray[np.int64], weights: object
) -> npt.NDArray[np.float64]:
    inside = (element >= 0) & (period >= 0) & (period < placed.periods)
    cells = placed.elements * placed.periods
    flat = element[inside] * placed.periods + period[inside]
    w = None if weights is None else np.asarray(weights)[inside]
    out = np.bincount(flat, weights=w, minlength=cells).astype(np.float64)
    return out.reshape(placed.elements, placed.periods)


def churn_series(columns: ChangeColumns, code: HeadCode, placed: Placed) -> npt.NDArray[np.float64]:
    """Lines added and removed per period (every change, cosmetic ones included).

    Only changes of outermost functions count: a change inside a nested function is also
    a change of the function that encloses it.
    """
    outer = (placed.function >= 0) & code.outermost[np.maximum(placed.function, 0)]
    lines = columns.lines_added.astype(np.float64) + columns.lines_removed
    return _counts(placed, np.where(outer, placed.element, -1), placed.period, lines)


def changes_series(columns: ChangeColumns, placed: Placed) -> npt.NDArray[np.float64]:
    """Commits per period that changed the element other than cosmetically, each once."""
    counted = (placed.element >= 0) & ((columns.types & _COSMETIC) == 0)
    span = np.int64(int(columns.seq.max()) + 1 if len(columns) else 1)
    keys, first = np.unique(
        placed.element[counted] * span + columns.seq[counted], return_index=True
    )
    return _counts(placed, keys // span, placed.period[counted][first], None)


def authors_series(columns: ChangeColumns, placed: Placed) -> npt.NDArray[np.float64]:
    """Distinct authors per period of the element's non-cosmetic changes."""
    counted = (placed.element >= 0) & ((columns.types & _COSMETIC) == 0)
    inside = counted & (placed.period >= 0) & (placed.period < placed.periods)
    stride = np.int64(len(columns.authors) + 1)
    cell = placed.element[inside] * placed.periods + placed.period[inside]
    people = np.unique(cell * stride + columns.author[inside])
    cells = placed.elements * placed.periods
    out = np.bincount(people // stride, minlength=cells).astype(np.float64)
    return out.reshape(placed.elements, placed.periods)


def complexity_series(
    columns: ChangeColumns, code: HeadCode, placed: Placed
) -> npt.NDArray[np.float64]:
    """Sum over the element's functions of their latest known complexity at each period's end.

    A function's value is that of its latest change up to the period's end (by period,
    then graph order); a change whose complexity is unknown keeps the value before it,
    a deletion counts 0. Changes before the window set the value of its first period.
    """
    mine = placed.function >= 0
    deleted = columns.kind == _DELETED
    usable = mine & ((columns.complexity >= 0) | deleted)
    function = placed.function[usable]
    period = placed.period[usable]
    value = np.where(deleted[usable], 0, columns.complexity[usable]).astype(np.float64)
    order = np.lexsort((columns.seq[usable], period, function))
    function, period, value = function[order], period[order], value[order]
    step = value.copy()
    same = np.zeros(function.size, dtype=bool)
    same[1:] = function[1:] == function[:-1]
    step[1:][same[1:]] -= value[:-1][same[1:]]
    # Each step lands in its period (those before the window in the first), then the
    # running sum over periods is the latest value: the steps of one function telescope.
    steps = _counts(placed, code.element[function], np.maximum(period, 0), step)
    return np.cumsum(steps, axis=1)


def incident_series(
    code: HeadCode,
    placed: Placed,
    function: npt.NDArray[np.int64],
    incident: npt.NDArray[np.int64],
    started: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Incidents per period that started then and are linked to the element (each once).

    Args:
        code: the functions at the head.
        placed: the changes placed (for the shape).
        function: per link, the index of the linked function at the head.
        incident: per link, a code per incident.
        started: per link, the incident's start period (:meth:`Periods.index`).

    """
    element = code.element[function]
    width = np.int64(int(incident.max()) + 1 if incident.size else 1)
    keys, first = np.unique(element * width + incident, return_index=True)
    return _counts(placed, keys // width, started[first], None)


@attrs.frozen(eq=False)
class CoverageRows:
    """Per-function coverage of the imported snapshots, one entry per function and snapshot."""

    function: npt.NDArray[np.int64]
    """Index of the function at the head."""
    snapshot: npt.NDArray[np.int64]
    """Snapshot code (0 ..): a higher one is a later snapshot of the same period."""
    period: npt.NDArray[np.int64]
    """The period of the snapshot's commit."""
    covered: npt.NDArray[np.int64]
    coverable: npt.NDArray[np.int64]


def coverage_series(code: HeadCode, placed: Placed, rows: CoverageRows) -> npt.NDArray[np.float64]:
    """Percent of the element's coverable lines covered in the latest snapshot of each period.

    NaN where the period has no snapshot, or its snapshot measured nothing of the element.

    Only outermost functions count above function level: a nested function's lines are
    inside the span of the function that encloses it.
    """
    shape = (placed.elements, placed.periods)
    out = np.full(shape, np.nan)
    if not placed.periods:
        return out
    inside = (rows.period >= 0) & (rows.period < placed.periods)
    latest = np.full(placed.periods, -1, dtype=np.int64)
    np.maximum.at(latest, rows.period[inside], rows.snapshot[inside])
    chosen = inside & (rows.snapshot == latest[np.clip(rows.period, 0, placed.periods - 1)])
    chosen &= code.outermost[rows.function]
    element = code.element[rows.function[chosen]]
    period = rows.period[chosen]
    covered = _counts(placed, element, period, rows.covered[chosen])
    coverable = _counts(placed, element, period, rows.coverable[chosen])
    np.divide(100.0 * covered, coverable, out=out, where=coverable > 0)
    return out


@attrs.frozen(eq=False)
class TruckFiles:
    """The files of the elements whose truck factor is followed, and their changes."""

    file: npt.NDArray[np.int64]
    """Per function at the head, the index of its file."""
    group: npt.NDArray[np.int64]
    """Per file, the element (module, or the repository) it belongs to."""
    counted: npt.NDArray[np.bool_]
    """Per change of the columns, whether it counts for authorship: not cosmetic, and
    not a copy of an earlier commit (a cherry-pick)."""
    rank: npt.NDArray[np.int64]
    """Per author code, its place in the order of author emails (ties in the greedy
    removal go to the lower one)."""


def truck_factor_series(
    columns: ChangeColumns, placed: Placed, files: TruckFiles
) -> npt.NDArray[np.float64]:
    """Avelino et al.'s truck factor of each element's files at each period's end.

    Authorship (undecayed degree of authorship) comes from the changes up to the
    period's end; a file counts from the period of its first change on.
    """
    from loopintel.analysis.knowledge import (  # noqa: PLC0415 - only the truck factor
        AuthorshipTable,
        authorship_table,
        greedy_truck_factor,
    )

    out = np.zeros((placed.elements, placed.periods))
    if not placed.periods:
        return out
    mine = placed.function >= 0
    file_of_change = np.where(mine, files.file[np.maximum(placed.function, 0)], -1)
    file_count = files.group.size
    born = np.full(file_count, placed.periods, dtype=np.int64)
    np.minimum.at(born, file_of_change[mine], np.minimum(placed.period[mine], placed.periods))
    # Files by element, then birth: each element's files are a contiguous run of
    # positions, and those born by a period are the first of the run.
    order = np.lexsort((np.arange(file_count), born, files.group))
    position = np.empty(file_count, dtype=np.int64)
    position[order] = np.arange(file_count)
    offset = np.searchsorted(files.group[order], np.arange(placed.elements + 1))

    # One row per (file, commit): who, when, whether it added a function.
    counted = mine & files.counted
    span = np.int64(int(columns.seq.max()) + 1)
    key = file_of_change[counted] * span + columns.seq[counted]
    keys, first, group_of = np.unique(key, return_index=True, return_inverse=True)
    added = np.zeros(keys.size, dtype=bool)
    np.logical_or.at(added, group_of, columns.kind[counted] == _ADDED)
    row_file = keys // span
    row_seq = keys % span
    row_author = files.rank[columns.author[counted][first]]
    row_time = columns.authored_at[counted][first]
    row_period = np.maximum(placed.period[counted][first], 0)
    # The first author of a file made its first row that added a function.
    by_seq = np.lexsort((row_file, row_seq))
    introduced = np.zeros(keys.size, dtype=bool)
    adding = by_seq[added[by_seq]]
    _, first_add = np.unique(row_file[adding], return_index=True)
    introduced[adding[first_add]] = True
    # Rows after the window count for nothing (those before it, for the first period).
    kept = row_period < placed.periods
    row_file, row_author, row_time = row_file[kept], row_author[kept], row_time[kept]
    row_period, introduced = row_period[kept], introduced[kept]

    ordered = np.argsort(row_period, kind="stable")
    ends = np.searchsorted(row_period[ordered], np.arange(placed.periods), side="right")
    # An element's value moves only in a period that brought it a row or a file.
    touched = np.zeros((placed.periods, placed.elements), dtype=bool)
    touched[row_period, files.group[row_file]] = True
    new = born < placed.periods
    touched[np.maximum(born[new], 0), files.group[new]] = True
    for period in range(placed.periods):
        if period:
            out[:, period] = out[:, period - 1]
        if not touched[period].any():
            continue
        rows = ordered[: int(ends[period])]
        table = authorship_table(
            position[row_file[rows]],
            row_author[rows],
            row_time[rows],
            introduced[rows],
            now=0,
        )
        bounds = np.searchsorted(table.element, offset)
        alive = np.bincount(files.group[born <= period], minlength=placed.elements)
        for element in np.flatnonzero(touched[period] & (alive > 0)).tolist():
            lo, hi = int(bounds[element]), int(bounds[element + 1])
            sub = AuthorshipTable(
                element=table.element[lo:hi] - offset[element],
                author=table.author[lo:hi],
                doa=table.doa[lo:hi],
                first_author=table.first_author[lo:hi],
                own_changes=table.own_changes[lo:hi],
                others_changes=table.others_changes[lo:hi],
                last_touch=table.last_touch[lo:hi],
                first_touch=table.first_touch[lo:hi],
            )
            out[element, period] = greedy_truck_factor(sub, int(alive[element])).factor
    return out
