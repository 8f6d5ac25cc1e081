"""The graph of code, people and incidents, and what its queries answer.

The graph itself is a networkx ``MultiDiGraph`` (``repo.graph()``); its node and edge
kinds are named here so that code reading it never spells them by hand. Clusters,
recurrences and blast radii are the frozen answers of :mod:`loopintel.graph`.
"""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.functions import FunctionRef  # noqa: TC001 - a field type at run time

__all__ = [
    "BlastRadius",
    "Cluster",
    "ClusterAuthor",
    "ClusterBasis",
    "ClusterFunction",
    "CoChanged",
    "EdgeKind",
    "Knower",
    "NearbyIncident",
    "NodeKind",
    "Recurrence",
    "Tally",
]


class NodeKind(enum.StrEnum):
    """What a node of the graph is: its ``kind`` attribute and the prefix of its id."""

    FUNCTION = "function"
    """A function lineage (``function:<lineage>``), followed through renames and moves."""
    FILE = "file"
    """A file (``file:<path>``)."""
    MODULE = "module"
    """A directory (``module:<dir>``; ``module:.`` is the repository root)."""
    AUTHOR = "author"
    """An author after ``.mailmap`` (``author:<email>``)."""
    COMMIT = "commit"
    """An indexed commit (``commit:<sha>``)."""
    INCIDENT = "incident"
    """A stored incident (``incident:<source:id>``)."""


class EdgeKind(enum.StrEnum):
    """What an edge of the graph says: its key and its ``kind`` attribute."""

    CONTAINS = "contains"
    """Module to its subdirectories and files, file to its functions."""
    CHANGED = "changed"
    """Commit to a function it changed, with the change's kind, types and lines."""
    AUTHORED = "authored"
    """Author to a commit they wrote."""
    KNOWS = "knows"
    """Author to a function they changed, weighted by degree of authorship."""
    IMPLICATED = "implicated"
    """Incident to a function it is linked to, with the link's evidence and confidence."""
    CO_CHANGES = "co_changes"
    """Function to a function changed in the same commits, with support and confidence."""


class ClusterBasis(enum.StrEnum):
    """What holds a cluster together."""

    FUNCTIONS = "functions"
    """Its incidents implicate the same functions (a community of the incident
    projection)."""
    MODULE = "module"
    """Its incidents share no function with any other incident; they are grouped by
    the directory of their most confident link, a weaker tie."""


@attrs.frozen
class Tally(Serializable):
    """A name and how many times it counts (modules, change types, authors of a cluster)."""

    name: str
    count: int


@attrs.frozen
class ClusterFunction(Serializable):
    """A function a cluster's incidents implicate."""

    _shape: ClassVar[Shape] = Shape(flatten=("function",))

    lineage: str
    function: FunctionRef
    """Its name at the indexed head, or its latest name if it no longer exists."""
    incidents: int
    """The cluster's incidents that implicate it."""
    confidence: float
    """The sum of those links' confidence."""
    exists: bool
    """Whether it exists at the indexed head."""


@attrs.frozen
class ClusterAuthor(Serializable):
    """Someone who changed the code of a cluster."""

    email: str
    """Email after ``.mailmap``: the author's key."""
    name: str
    changes: int
    """Their non-cosmetic changes of the cluster's functions in the graph's window."""


@attrs.frozen
class Cluster(Serializable):
    """Incidents grouped by the code they implicate, with what that code has in common."""

    id: int
    """Its rank: clusters held by shared functions first, then those grouped by module;
    within each, the most incidents first (ties: most shared evidence)."""
    basis: ClusterBasis
    """Shared functions, or only a shared module."""
    incidents: tuple[str, ...]
    """Incident keys, oldest start first."""
    functions: tuple[ClusterFunction, ...]
    """The functions its incidents implicate, those implicated by the most first."""
    modules: tuple[Tally, ...]
    """Directories of those functions, with how many of the incidents implicate code
    there, most first."""
    change_types: tuple[Tally, ...]
    """Change types of the non-cosmetic changes of those functions in the graph's
    window, most first: what kind of work the code sees."""
    authors: tuple[ClusterAuthor, ...]
    """Authors of those changes, most changes first."""
    weight: float
    """The shared evidence that holds it together: the sum of the incident projection's
    edge weights inside it (0 for a single incident)."""
    first_started: datetime | None
    """The start of its oldest incident (``None``: no incident has a start)."""
    last_started: datetime | None
    """The start of its newest incident."""


@attrs.frozen
class Recurrence(Serializable):
    """An incident that came back after a fix to the same code."""

    earlier: str
    """The incident that was fixed (its key)."""
    later: str
    """The incident that implicates code the fix changed, started after the fix."""
    cluster: int | None
    """The id of the cluster both belong to (``None``: different clusters)."""
    fix_commits: tuple[str, ...]
    """The earlier incident's fix commits that changed the shared code."""
    functions: tuple[FunctionRef, ...]
    """The functions the fix changed that the later incident implicates."""
    lineages: tuple[str, ...]
    """Their lineages, in the same order."""
    modules: tuple[str, ...]
    """The directories of those functions."""
    inducing_commits: tuple[str, ...]
    """Commits SZZ traced the earlier incident's fixed lines to (its links' inducing
    evidence), when its links have any."""
    shared_inducing: tuple[str, ...]
    """Inducing commits the two incidents' links name alike."""
    fixed_at: datetime
    """The author time of the earliest of ``fix_commits``, UTC."""
    started_at: datetime
    """The later incident's start, UTC."""
    days_after_fix: float
    """Days from ``fixed_at`` to ``started_at``."""
    days_between: float | None
    """Days from the earlier incident's start to the later one's (``None``: the earlier
    has no start)."""


@attrs.frozen
class CoChanged(Serializable):
    """A function changed in the same commits as the one asked about."""

    _shape: ClassVar[Shape] = Shape(flatten=("function",))

    lineage: str
    function: FunctionRef
    shared: int
    """Commits that changed both."""
    confidence: float
    """``shared`` over the commits that changed the function asked about."""


@attrs.frozen
class Knower(Serializable):
    """Someone who knows the function asked about or the code changed with it."""

    email: str
    name: str
    weight: float
    """Sum of their degree of authorship (normalised per function) over that code."""
    functions: int
    """Functions of that code they changed."""


@attrs.frozen
class NearbyIncident(Serializable):
    """An incident that implicated the function asked about or the code changed with it."""

    _shape: ClassVar[Shape] = Shape(flatten=("via",))

    incident: str
    """The incident's key."""
    via: FunctionRef
    """The function it implicated (the one asked about, or one changed with it)."""
    lineage: str
    confidence: float
    """The link's confidence."""
    started_at: datetime | None


@attrs.frozen
class BlastRadius(Serializable):
    """What a change to one function may reach.

    What changes with it, who knows that code, and which incidents touched it.
    """

    _shape: ClassVar[Shape] = Shape(flatten=("function",))

    function: FunctionRef
    lineage: str
    co_changed: tuple[CoChanged, ...]
    """Functions changed in the same commits, most shared commits first."""
    knowers: tuple[Knower, ...]
    """People who know the function and those, highest weight first."""
    incidents: tuple[NearbyIncident, ...]
    """Incidents that implicated the function or those, most confident first."""
    modules: tuple[str, ...]
    """Directories the function and those live in."""
