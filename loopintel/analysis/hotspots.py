"""Hotspot scores of the code at the head, in numpy over the index's change columns.

Four scores side by side, so that a user sees which one their history rewards
(``docs/hotspots.md`` gives the formulas and where they come from):

* revisions x complexity: non-cosmetic changes in the window times the latest
  cyclomatic complexity;
* Google's time-weighted fix score: each fix counts ``1 / (1 + e^(-12 t + 12))``, ``t``
  its author time scaled to ``[0, 1]`` over the window, so recent fixes weigh most;
* the plain count of fixes, the baseline research finds hard to beat;
* relative churn: lines added and removed in the window over the current size;

and, when stored incidents are linked to code, an incident-weighted risk: the sum over
linked incidents of the link's confidence.

An *element* is what is ranked: a function, a file or a module. The caller maps every
function at the head to its element; everything here works on element indexes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from loopintel.model import ChangeType

if TYPE_CHECKING:
    import numpy.typing as npt

    from loopintel.store import ChangeColumns

__all__ = ["FIX_COMMITS_SHOWN", "HeadCode", "HotspotArrays", "IncidentLinks", "hotspot_arrays"]

FIX_COMMITS_SHOWN = 3
"""Fix commits a hotspot names as its reasons, newest first."""

_COSMETIC = ChangeType.COSMETIC.bit


@attrs.frozen(eq=False)
class HeadCode:
    """The functions at the head that are ranked, and the element each belongs to."""

    lineage: npt.NDArray[np.int64]
    """Each function's lineage code in the change columns (-1: none of its changes)."""
    element: npt.NDArray[np.int64]
    """Each function's element index (``0 .. elements - 1``)."""
    outermost: npt.NDArray[np.bool_]
    """Whether no other ranked function of its element encloses it: only these count
    for the element's churn and size, since an enclosing function's span and changes
    already hold the lines of those inside it."""
    size: npt.NDArray[np.int64]
    """Each function's span in lines at the head."""
    elements: int
    """How many elements there are."""


@attrs.frozen(eq=False)
class IncidentLinks:
    """Links of stored incidents to functions at the head, one entry per link."""

    function: npt.NDArray[np.int64]
    """Index of the linked function in :class:`HeadCode`."""
    incident: npt.NDArray[np.int64]
    """A code per incident (equal codes: the same incident)."""
    confidence: npt.NDArray[np.float64]
    """The link's confidence."""


@attrs.frozen(eq=False)
class HotspotArrays:
    """Every element's scores and reasons, one array per field, by element index."""

    changes: npt.NDArray[np.int64]
    fixes: npt.NDArray[np.int64]
    fix_score: npt.NDArray[np.float64]
    complexity: npt.NDArray[np.int64]
    lines_added: npt.NDArray[np.int64]
    lines_removed: npt.NDArray[np.int64]
    size: npt.NDArray[np.int64]
    functions: npt.NDArray[np.int64]
    authors: npt.NDArray[np.int64]
    incidents: npt.NDArray[np.int64]
    incident_risk: npt.NDArray[np.float64] | None
    """``None``: no incident links were given."""
    fix_element: npt.NDArray[np.int64]
    """With :attr:`fix_seq`: up to :data:`FIX_COMMITS_SHOWN` newest fixes per element,
    by element, newest first."""
    fix_seq: npt.NDArray[np.int64]

    @property
    def revisions_x_complexity(self) -> npt.NDArray[np.int64]:
        """Changes times complexity."""
        return self.changes * self.complexity

    @property
    def relative_churn(self) -> npt.NDArray[np.float64]:
        """Lines added and removed over size (0 where the size is 0)."""
        churn = (self.lines_added + self.lines_removed).astype(np.float64)
        return np.divide(churn, self.size, out=np.zeros_like(churn), where=self.size > 0)


def fix_weight(t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Google's weight of a fix at time ``t`` in ``[0, 1]``: ``1 / (1 + e^(-12 t + 12))``.

    A fix at the end of the window counts 0.5, one at its middle about 0.0025.
    """
    return 1.0 / (1.0 + np.exp(-12.0 * t + 12.0))


def hotspot_arrays(
    columns: ChangeColumns,
    code: HeadCode,
    *,
    fix: npt.NDArray[np.bool_],
    window: tuple[int | None, int | None],
    scale: tuple[int, int],
    links: IncidentLinks | None,
) -> HotspotArrays:
    """Scores of every element from the changes of its functions' lineages.

    Args:
        columns: every change of the index.
        code: the functions at the head and their elements.
        fix: per change, whether its commit is a fix.
        window: changes authored at or after the first and before the second count
            (``None``: no bound).
        scale: the times that map to ``t = 0`` and ``t = 1`` for the fix score.
        links: incident links to weigh (already narrowed to the window), or ``None``.

    """
    count = code.elements
    n = len(columns)
    # Which ranked function (if any) each change belongs to, through its lineage.
    head_of = np.full(len(columns.lineages) + 1, -1, dtype=np.int64)
    known = code.lineage >= 0
    head_of[code.lineage[known]] = np.flatnonzero(known)
    func = head_of[columns.lineage] if n else np.zeros(0, dtype=np.int64)
    inside = func >= 0
    since, until = window
    if since is not None:
        inside &= columns.authored_at >= since
    if until is not None:
        inside &= columns.authored_at < until
    element = np.where(inside, code.element[np.maximum(func, 0)], -1)
    counted = inside & ((columns.types & _COSMETIC) == 0)

    span = np.int64(int(columns.seq.max()) + 1 if n else 1)
    revisions = np.unique(element[counted] * span + columns.seq[counted])
    changes = np.bincount(revisions // span, minlength=count).astype(np.int64)

    fixed = counted & fix
    fix_keys, first = np.unique(element[fixed] * span + columns.seq[fixed], return_index=True)
    fix_of = fix_keys // span
    fixes = np.bincount(fix_of, minlength=count).astype(np.int64)
    start, end = scale
    times = columns.authored_at[fixed][first].astype(np.float64)
    t = np.clip((times - start) / (end - start), 0.0, 1.0) if end > start else np.ones_like(times)
    fix_score = np.bincount(fix_of, weights=fix_weight(t), minlength=count)

    stride = np.int64(len(columns.authors) + 1)
    people = np.unique(element[counted] * stride + columns.author[counted])
    authors = np.bincount(people // stride, minlength=count)

    churned = inside & code.outermost[np.maximum(func, 0)]
    added = np.bincount(element[churned], weights=columns.lines_added[churned], minlength=count)
    removed = np.bincount(element[churned], weights=columns.lines_removed[churned], minlength=count)

    # The latest complexity of each lineage is that of its last change (graph order).
    reversed_codes = columns.lineage[::-1]
    lineage_codes, from_end = np.unique(reversed_codes, return_index=True)
    latest = np.full(len(columns.lineages) + 1, 0, dtype=np.int64)
    latest[lineage_codes] = np.maximum(columns.complexity[n - 1 - from_end], 0)
    func_complexity = np.where(known, latest[np.maximum(code.lineage, 0)], 0)
    complexity = np.bincount(code.element, weights=func_complexity, minlength=count)

    order = np.lexsort((-(fix_keys % span), fix_of))
    by_element, seqs = fix_of[order], (fix_keys % span)[order]
    rank = np.arange(by_element.size) - np.searchsorted(by_element, by_element, side="left")
    shown = rank < FIX_COMMITS_SHOWN

    incidents = np.zeros(count, dtype=np.int64)
    risk: npt.NDArray[np.float64] | None = None
    if links is not None:
        incidents, risk = _incident_risk(code, links, count)

    return HotspotArrays(
        changes=changes,
        fixes=fixes,
        fix_score=fix_score.astype(np.float64),
        complexity=complexity.astype(np.int64),
        lines_added=added.astype(np.int64),
        lines_removed=removed.astype(np.int64),
        size=np.bincount(code.element, weights=code.size * code.outermost, minlength=count).astype(
            np.int64
        ),
        functions=np.bincount(code.element, minlength=count).astype(np.int64),
        authors=authors.astype(np.int64),
        incidents=incidents,
        incident_risk=risk,
        fix_element=by_element[shown],
        fix_seq=seqs[shown],
    )


def _incident_risk(
    code: HeadCode, links: IncidentLinks, count: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Incidents per element and the sum of their confidences, each incident once."""
    element = code.element[links.function]
    # Per (element, incident), the most confident link: sort by it, keep the first.
    order = np.lexsort((-links.confidence, links.incident, element))
    element, incident = element[order], links.incident[order]
    confidence = links.confidence[order]
    first = np.ones(element.size, dtype=bool)
    first[1:] = (element[1:] != element[:-1]) | (incident[1:] != incident[:-1])
    incidents = np.bincount(element[first], minlength=count).astype(np.int64)
    risk = np.bincount(element[first], weights=confidence[first], minlength=count)
    return incidents, risk.astype(np.float64)
