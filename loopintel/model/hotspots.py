"""Hotspots: code ranked by where its history says the next bug is likely to be."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time

import attrs

from loopintel.model._serialize import Serializable
from loopintel.model.functions import FunctionRef  # noqa: TC001 - a field type at run time

__all__ = ["Hotspot", "HotspotLevel", "HotspotScore"]


class HotspotLevel(enum.StrEnum):
    """What a hotspot ranks: functions, files, or modules (directories and packages)."""

    FUNCTION = "function"
    """A function at the indexed head, followed through its lineage."""
    FILE = "file"
    """A file at the indexed head: its functions taken together."""
    MODULE = "module"
    """A directory (a package) at the indexed head: the functions of the files directly
    in it taken together (the files of its subdirectories are their own modules)."""


class HotspotScore(enum.StrEnum):
    """The scores a hotspot carries side by side; any of them can order the rows."""

    REVISIONS_X_COMPLEXITY = "revisions_x_complexity"
    """Non-cosmetic changes in the window times the latest cyclomatic complexity."""
    FIX_SCORE = "fix_score"
    """Google's time-weighted fix score: each fix in the window counts
    ``1 / (1 + e^(-12 t + 12))``, ``t`` its time scaled to ``[0, 1]`` over the window."""
    FIXES = "fixes"
    """The plain count of fixes in the window."""
    RELATIVE_CHURN = "relative_churn"
    """Lines added and removed in the window over the current size in lines."""
    INCIDENT_RISK = "incident_risk"
    """Sum over the stored incidents linked to the code of the link's confidence."""


@attrs.frozen
class Hotspot(Serializable):
    """One ranked piece of code at the indexed head, its scores and their reasons.

    A *fix* is a non-merge commit whose message the documented bug-fix rules find (the
    same rules that make proxy incidents, ``docs/incidents.md``); a *fix change* is a
    non-cosmetic change that such a commit made to the code. Counts at file and module
    level count each commit once however many of their functions it changed.
    """

    level: HotspotLevel
    """Function, file or module."""
    name: str
    """``path::qualname`` for a function, the path of a file, the directory of a module
    (``.`` for the repository root)."""
    path: str
    """The function's file, the file, or the module's directory (``.``: the root)."""
    function: FunctionRef | None
    """The function at the indexed head (``None`` for files and modules)."""
    lineage: str | None
    """The function's lineage id (``None`` for files and modules)."""
    revisions_x_complexity: int
    """``changes`` times ``complexity``."""
    fix_score: float
    """Sum over the fixes of ``1 / (1 + e^(-12 t + 12))``, ``t`` the fix's author time
    scaled to ``[0, 1]`` over the window (``since`` is 0, ``until`` is 1)."""
    fixes: int
    """Fix commits in the window that changed the code (not cosmetically)."""
    relative_churn: float
    """``(lines_added + lines_removed) / size``."""
    incident_risk: float | None
    """Sum over the stored incidents linked to the code of the link's confidence (an
    incident linked to several of a file's functions counts once, at its most confident
    link); ``None`` when no stored incident is linked to any code, or when not asked."""
    changes: int
    """Commits in the window that changed the code other than cosmetically (revisions)."""
    complexity: int
    """Latest cyclomatic complexity: the function's, or the sum over its functions at the
    indexed head (radon counts each nested function on its own, so nothing is counted
    twice); an unknown complexity counts 0."""
    lines_added: int
    """Lines added in the window (every change, cosmetic ones included)."""
    lines_removed: int
    """Lines removed in the window (every change, cosmetic ones included)."""
    size: int
    """Lines at the indexed head: the function's span (first decorator to last line), or
    the sum of the spans of its outermost functions."""
    functions: int
    """Functions at the indexed head it holds (1 for a function)."""
    incidents: int
    """Stored incidents linked to it (that started in the window, or have no start)."""
    fix_commits: tuple[str, ...]
    """The newest fixes that changed it (at most three shas), newest first."""
    authors: int
    """Distinct authors (after ``.mailmap``) of its non-cosmetic changes in the window."""
    since: datetime
    """Start of the window (given, or the first change of the index), UTC."""
    until: datetime
    """End of the window, exclusive (given, or a second after the latest change of the
    index, so that it counts that change when given back), UTC."""

    def score(self, name: HotspotScore | str) -> float:
        """The value of one of the scores (``incident_risk`` ``None`` reads as 0).

        Raises:
            ValueError: ``name`` is not a :class:`HotspotScore`.

        """
        value = getattr(self, HotspotScore(name).value)
        return 0.0 if value is None else float(value)
