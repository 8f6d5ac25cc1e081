"""People who know the code: experts, key authors and the truck factor."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time

import attrs

from loopintel.model._serialize import Serializable

__all__ = ["Expert", "KeyAuthor", "TruckFactor"]


@attrs.frozen
class Expert(Serializable):
    """Someone who knows a function, with the evidence (degree of authorship)."""

    name: str
    """Author name after ``.mailmap`` (as on their latest change of it)."""
    email: str
    """Author email after ``.mailmap``: the author's key."""
    doa: float
    """Degree of authorship, decayed by age (see ``docs/functions.md``)."""
    share: float
    """``doa`` relative to the top author of this function (1.0 for the top)."""
    first_author: bool
    """Whether they introduced it."""
    own_changes: int
    """Their non-cosmetic changes of it."""
    others_changes: int
    """Everybody else's non-cosmetic changes of it."""
    last_touch: datetime
    """Their latest change of it (UTC)."""
    active: bool
    """Whether they made any commit in the repository recently enough (see
    ``inactive_after_days``)."""


@attrs.frozen
class KeyAuthor(Serializable):
    """An author the truck factor of a module counts, in the order they were removed."""

    name: str
    """Author name after ``.mailmap`` (as on their latest change in the module)."""
    email: str
    """Author email after ``.mailmap``: the author's key."""
    files: int
    """Files of the module they are an author of (see ``docs/ownership.md``)."""
    orphaned: int
    """Files left without any author when they, after those before them, were removed."""
    active: bool
    """Whether they made any commit in the repository recently enough (see
    ``inactive_after_days``)."""


def _count_files(files: tuple[str, ...]) -> str:
    return f"<{len(files)} files>"


@attrs.frozen
class TruckFactor(Serializable):
    """How many authors a module can lose before most of its files have no author left.

    After Avelino et al.: authors are removed greedily, the one who authors the most
    files first, until more than half of the files are left without an author.
    """

    path: str
    """The file or directory, relative to the repository root (``.`` for all of it)."""
    factor: int
    """The truck factor: how many authors were removed."""
    files: int
    """Files counted: those at the indexed head with at least one function."""
    authored: int
    """Files that had at least one author before any removal."""
    authors: tuple[KeyAuthor, ...]
    """The authors removed, in order."""
    orphaned: tuple[str, ...] = attrs.field(repr=_count_files)
    """The files left without an author once they are gone, sorted."""
