"""Indexing many repositories at once: what became of each."""

from __future__ import annotations

import attrs

from loopintel.model._serialize import Serializable
from loopintel.model.indexing import IndexSummary  # noqa: TC001 - attrs reads the annotation

__all__ = ["IndexOutcome"]


@attrs.frozen(kw_only=True)
class IndexOutcome(Serializable):
    """What indexing one repository of a fleet came to: its summary, or its error."""

    path: str
    """The repository, as it was given."""
    index_path: str | None
    """Its index file (``None`` when the repository could not be opened)."""
    summary: IndexSummary | None
    """What the run did (``None`` when it failed)."""
    error: str | None
    """Why it failed (the error's message), or ``None``."""

    @property
    def ok(self) -> bool:
        """Whether the repository was indexed."""
        return self.error is None
