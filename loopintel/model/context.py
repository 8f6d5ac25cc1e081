"""What a responder sees for a traceback, an incident or a function: the context."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.incidents import (  # noqa: TC001 - field types stay resolvable at run time
    CodeLink,
    Incident,
    ResolvedFrame,
    ResolvedVersion,
)
from loopintel.model.summary import FunctionSummary  # noqa: TC001

__all__ = ["Context", "EarlierIncident", "ImplicatedFunction", "IncidentImport"]


@attrs.frozen
class EarlierIncident(Serializable):
    """An incident stored before, linked to some of the same functions."""

    key: str
    """Its key (``source:id``)."""
    title: str
    """Its title."""
    started_at: datetime | None
    """When it started."""
    severity_rank: int | None
    """Its severity, 1 (most severe) to 5."""
    proxy: bool
    """Whether it is a bug-fix commit standing in for an incident."""
    lineages: tuple[str, ...]
    """The lineages of the context's functions it is linked to."""


@attrs.frozen
class ImplicatedFunction(Serializable):
    """One function the context implicates, with everything a responder asks of it."""

    _shape: ClassVar[Shape] = Shape(flatten=("link",))

    link: CodeLink
    """The function, its lineage, the confidence and every piece of evidence."""
    summary: FunctionSummary
    """Its last change, experts (and whether they are still active), coverage,
    complexity and trend, stability and deprecated usage."""
    recent_changes: int
    """Its changes (not cosmetic) in the weeks before the incident (or before now,
    without an incident time): see :attr:`Context.recent_since`."""
    earlier_incidents: tuple[str, ...]
    """Keys of earlier incidents linked to its lineage, oldest first."""


@attrs.frozen
class Context(Serializable):
    """The functions a traceback, an incident, a place or a name implicates, ranked."""

    target: str
    """What was asked about, as given (a traceback's first line)."""
    kind: str
    """What the target was taken as: ``traceback``, ``incident``, ``function``, ``file``
    or ``directory``."""
    incident: Incident | None
    """The incident (a pasted traceback becomes one, not stored)."""
    resolved_at: ResolvedVersion | None
    """The commit the frames were resolved at, how it was chosen, and how many versions
    were consistent (``None`` without frames)."""
    frames: tuple[ResolvedFrame, ...]
    """Every frame and what it resolved to, in the order of the stack."""
    functions: tuple[ImplicatedFunction, ...]
    """The implicated functions, most confident first."""
    earlier: tuple[EarlierIncident, ...]
    """Earlier incidents linked to any of those functions, newest first."""
    recent_since: datetime
    """Where :attr:`ImplicatedFunction.recent_changes` counts from."""
    notes: tuple[str, ...] = ()
    """What could not be used (a commit not in the index, a file not in the repository)."""


@attrs.frozen
class IncidentImport(Serializable):
    """What one import of an incident file did."""

    source: str
    """The file imported."""
    format: str
    """Its format."""
    added: tuple[str, ...]
    """Keys of incidents new to the index."""
    updated: tuple[str, ...]
    """Keys of incidents that were there and were replaced by the file's version."""
    skipped: int
    """Rows left out for their problems (only with ``skip_invalid``)."""
    problems: tuple[str, ...]
    """The problems of the rows left out, one line each (the first ones kept)."""
    links: int
    """Links made from the imported incidents to functions."""
