"""Knowledge risks: busy or incident-prone code that few people, or only absent ones, know."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time

import attrs

from loopintel.model._serialize import Serializable
from loopintel.model.hotspots import HotspotLevel  # noqa: TC001 - a field type at run time
from loopintel.model.people import Expert, TruckFactor  # noqa: TC001 - field types at run time

__all__ = ["KnowledgeRisk", "RiskExposure", "RiskKind", "RiskSeverity"]


class RiskKind(enum.StrEnum):
    """What is wrong with the knowledge of a piece of code."""

    EXPERTS_INACTIVE = "experts_inactive"
    """Every key expert (those who together hold at least half of the expertise) has
    made no commit in the repository for ``inactive_after_days``."""
    TRUCK_FACTOR_ONE = "truck_factor_one"
    """Its truck factor is 1: losing one person leaves most of its files (a file: the
    file) without an author."""


class RiskExposure(enum.StrEnum):
    """Why the code matters: what made it a candidate for a knowledge risk."""

    BUSY = "busy"
    """Among the most changed code of its level in the window (see ``docs/risks.md``)."""
    FIX_PRONE = "fix_prone"
    """Among the code of its level with the most fixes in the window."""
    INCIDENTS = "incidents"
    """A stored incident (not a proxy) is linked to its code."""


class RiskSeverity(enum.StrEnum):
    """How bad a knowledge risk is; rows come most severe first."""

    HIGH = "high"
    """Every key expert is inactive: nobody who holds what is known of it is around."""
    MEDIUM = "medium"
    """Truck factor 1 and that one author is inactive: its authorship rests with
    someone who left (the active people who worked on it since are who to ask)."""
    LOW = "low"
    """Truck factor 1 and that one author is active: one person to ask, a loss waiting
    to happen."""

    @property
    def rank(self) -> int:
        """0 for the most severe, then 1, 2."""
        return list(RiskSeverity).index(self)


@attrs.frozen
class KnowledgeRisk(Serializable):
    """Busy or incident-prone code at the indexed head known only by absent people, or one.

    A file or a module. Its exposure (changes, fixes, incidents) is counted in the
    window; who knows it (experts, truck factor) is read from the whole history up to
    the indexed head, as :meth:`loopintel.Repository.experts` and
    :meth:`~loopintel.Repository.truck_factor` read it.
    """

    level: HotspotLevel
    """File or module."""
    name: str
    """The path of the file, the directory of the module (``.``: the repository root)."""
    kinds: tuple[RiskKind, ...]
    """What is wrong, in :class:`RiskKind` order (at least one)."""
    severity: RiskSeverity
    """How bad it is (see :class:`RiskSeverity`)."""
    exposure: tuple[RiskExposure, ...]
    """Why the code matters, in :class:`RiskExposure` order (at least one)."""
    changes: int
    """Commits in the window that changed its code other than cosmetically."""
    fixes: int
    """Fix commits in the window that changed its code (not cosmetically)."""
    incidents: int
    """Stored incidents linked to its code (that started in the window, or have no start)."""
    fix_commits: tuple[str, ...]
    """The newest fixes that changed it (at most three shas), newest first."""
    authors: int
    """Distinct authors of its non-cosmetic changes in the window."""
    experts: tuple[Expert, ...]
    """Its key experts, best first: the top of its expertise ranking, down to the first
    one at which their shares add up to at least half."""
    best_active: Expert | None
    """The best-ranked expert who is still active (who to ask first); ``None`` when
    nobody active ever changed it other than cosmetically."""
    truck_factor: TruckFactor
    """Its truck factor, with the authors it counts (each flagged active or not)."""
    reason: str
    """The above in words."""
    since: datetime
    """Start of the window (given, or the first change of the index), UTC."""
    until: datetime
    """End of the window (given, or the latest change of the index), UTC."""
