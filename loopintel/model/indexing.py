"""Indexing runs: their progress, what they did, and what they had to skip."""

from __future__ import annotations

import attrs

from loopintel.model._serialize import Serializable

__all__ = ["IndexProgress", "IndexSummary", "Skip"]


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


@attrs.frozen
class IndexProgress(Serializable):
    """Progress of one indexing run, passed to the ``progress`` callback."""

    done: int
    """Commits processed so far in this run."""
    total: int
    """Commits this run has to process."""
    phase: str
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
