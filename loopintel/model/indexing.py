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


@attrs.frozen
class IndexProgress(Serializable):
    """Progress of one indexing run, passed to the ``progress`` callback."""

    done: int
    """Commits processed so far in this run."""
    total: int
    """Commits this run has to process."""
    # The converter lets the indexer name the phase by its text.
    phase: IndexPhase = attrs.field(converter=IndexPhase)
    """``scan``, ``extract``, ``lineage`` or ``write``."""


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
