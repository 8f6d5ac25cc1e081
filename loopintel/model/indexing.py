"""Indexing runs: their progress, what they did, and what they had to skip."""

from __future__ import annotations

import enum

import attrs

from loopintel.model._serialize import Serializable

__all__ = ["IndexPhase", "IndexProgress", "IndexSummary", "Skip"]


@attrs.frozen
class Skip(Serializable):
    """A file version whose functions could not be read, and why."""

    commit: str
    """The commit in which the version appeared."""
    path: str
    """The file."""
    blob: str
    """Hex id of the file version."""
    reason: str
    """Why it was skipped (``binary``, ``too large``, ``syntax error ...``)."""


class IndexPhase(enum.StrEnum):
    """The step an indexing run is at."""

    SCAN = "scan"
    """Finding the commits not yet indexed."""
    EXTRACT = "extract"
    """Diffing commits and attributing their hunks to functions (the workers)."""
    LINEAGE = "lineage"
    """Following functions across renames and moves."""
    WRITE = "write"
    """Writing the changes to the index."""
    HEAD = "head"
    """Reading the functions of the head tree's files."""


_DESCRIPTIONS = {
    IndexPhase.SCAN: "finding the commits to index",
    IndexPhase.EXTRACT: "indexing commits",
    IndexPhase.LINEAGE: "working out lineage states",
    IndexPhase.WRITE: "writing the index",
    IndexPhase.HEAD: "reading the head tree's functions",
}


def _description(progress: IndexProgress) -> str:
    return _DESCRIPTIONS[progress.phase]


@attrs.frozen
class IndexProgress(Serializable):
    """Progress of one indexing run, passed to the ``progress`` callback.

    A run reports each step as it starts (``scan`` first, before the walk), then as it
    advances: commits in ``extract``, files in ``head``. ``done`` and ``total`` always
    count commits; ``phase_done`` and ``phase_total`` count the step's own work.
    """

    done: int
    """Commits processed so far in this run."""
    total: int
    """Commits this run has to process (0 while the ``scan`` step is counting them)."""
    # The converter lets the indexer name the phase by its text.
    phase: IndexPhase = attrs.field(converter=IndexPhase)
    """``scan``, ``extract``, ``lineage``, ``write`` or ``head``."""
    description: str = attrs.field(
        default=attrs.Factory(_description, takes_self=True), kw_only=True
    )
    """What the run is doing, for people (``walking the history to find the commits to
    index``); by default the phase's own."""
    phase_done: int | None = attrs.field(default=None, kw_only=True)
    """Work of this step done so far (in ``unit``), when it is counted."""
    phase_total: int | None = attrs.field(default=None, kw_only=True)
    """Work of this step in all, when it is known."""
    unit: str = attrs.field(default="commits", kw_only=True)
    """What ``phase_done`` and ``phase_total`` count (``commits``, ``files``)."""


@attrs.frozen
class IndexSummary(Serializable):
    """What an indexing run did."""

    head: str | None
    """The indexed commit (``None`` for an empty repository)."""
    commits_indexed: int
    """Commits processed by this run."""
    commits_total: int
    """Commits in the index after the run."""
    commits_removed: int
    """Commits dropped because the history was rewritten."""
    changes: int
    """Function changes recorded by this run."""
    skipped: int
    """File versions recorded as skipped by this run."""
    seconds: float
    """Wall time of the run."""
    shallow: bool
    """Whether the repository is a shallow clone (history before its graft is absent)."""
