"""People and their commits: authors, experts, key authors and the truck factor."""

from __future__ import annotations

import re
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time

import attrs

from loopintel.model._serialize import Serializable

__all__ = [
    "Author",
    "AuthorActivity",
    "Commit",
    "Expert",
    "IdentityMatch",
    "KeyAuthor",
    "TruckFactor",
]

_IDENTITY = re.compile(r"\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s]*)>\s*")


@attrs.frozen
class Author(Serializable):
    """Someone who wrote or committed code, after the repository's ``.mailmap``.

    An author is keyed by canonical email: two values with the same ``email`` are equal
    and hash alike whatever their ``name`` (people spell their name in several ways,
    and ``.mailmap`` often maps only the email).
    """

    name: str = attrs.field(eq=False)
    """Name after ``.mailmap`` (as on the change it was read from)."""
    email: str
    """Canonical email after ``.mailmap``: the author's key."""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @classmethod
    def parse(cls, text: str) -> Author:
        """Read a git identity, ``Name <email>`` (a ``Co-authored-by`` trailer's value).

        The text is taken as written: no ``.mailmap`` is applied.

        Raises:
            ValueError: ``text`` is not of the form ``Name <email>``.

        """
        match = _IDENTITY.fullmatch(text)
        if match is None:
            raise ValueError(f"expected 'Name <email>', got {text!r}")
        return cls(match["name"], match["email"])


def _aware(_: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    # A naive time would be read in whatever zone the reader's machine is in.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware, got {value!r}")


@attrs.frozen
class Commit(Serializable):
    """One commit of the indexed history, with its people after ``.mailmap``."""

    sha: str
    """Full hex id."""
    parents: tuple[str, ...]
    """Hex ids of its parents, first parent first (none for a root commit)."""
    author: Author
    """Who wrote the change."""
    authored_at: datetime = attrs.field(validator=_aware)
    """Author time, timezone-aware with the author's offset."""
    committer: Author
    """Who committed it (a maintainer applying a patch, a rebase, a merge button)."""
    committed_at: datetime = attrs.field(validator=_aware)
    """Committer time, timezone-aware with the committer's offset."""
    summary: str
    """The first line of the message."""

    @property
    def is_merge(self) -> bool:
        """Whether it has more than one parent."""
        return len(self.parents) > 1

    @property
    def is_root(self) -> bool:
        """Whether it has no parent."""
        return not self.parents


@attrs.frozen
class Expert(Serializable):
    """Someone who knows a function, with the evidence (degree of authorship)."""

    name: str
    """Author name after ``.mailmap`` (as on their latest change of it)."""
    email: str
    """Author email after ``.mailmap``: the author's key."""
    doa: float
    """Degree of authorship, decayed by age (see ``docs/functions.md``); 0 for someone
    whose only changes were cosmetic."""
    share: float
    """Their share of the expertise in this code, what the list is ordered by: the
    ranking's chance that they are the next to change it, learned from the repository's
    history (see ``docs/functions.md``). The shares of all its experts sum to 1; 0 for
    those whose changes were all cosmetic."""
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
    first_touch: datetime | None = None
    """Their first change of it (UTC)."""
    last_commit: datetime | None = None
    """Their latest commit anywhere in the repository (UTC): are they still around?"""
    recent_commits: int = 0
    """Their commits anywhere in the repository in the 90 days before the indexed head."""
    cosmetic_only: bool = False
    """Whether all their changes of it were cosmetic: around the code, not its author
    (listed last)."""

    @property
    def author(self) -> Author:
        """Who they are, as an :class:`Author`."""
        return Author(self.name, self.email)

    @property
    def percent(self) -> str:
        """The share as shown: a whole percentage.

        ``<1%`` for a share below half a percent that is not 0: ``0%`` is only for
        those whose changes were all cosmetic.
        """
        if 0 < self.share < 0.005:
            return "<1%"
        return f"{self.share:.0%}"


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

    @property
    def author(self) -> Author:
        """Who they are, as an :class:`Author`."""
        return Author(self.name, self.email)


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


@attrs.frozen
class AuthorActivity(Serializable):
    """One author of the indexed history (after ``.mailmap``), with the identities used."""

    name: str
    """Their name after ``.mailmap``, as on their latest commit."""
    email: str
    """Their canonical email: the author's key."""
    commits: int
    """Commits they authored."""
    first_commit: datetime = attrs.field(validator=_aware)
    """Author time of their first commit (UTC)."""
    last_commit: datetime = attrs.field(validator=_aware)
    """Author time of their latest commit (UTC)."""
    identities: tuple[str, ...] = ()
    """Every ``Name <email>`` their commits carry as written, before ``.mailmap``, by
    number of commits."""

    @property
    def author(self) -> Author:
        """Who they are, as an :class:`Author`."""
        return Author(self.name, self.email)


@attrs.frozen
class IdentityMatch(Serializable):
    """Two authors who may be one person: a ``.mailmap`` line would join them.

    Only suggested, never applied: the user decides, by adding :attr:`mailmap_lines`
    to the repository's ``.mailmap``.
    """

    keep: AuthorActivity
    """The identity to keep (the one with more commits; then the more recent)."""
    other: AuthorActivity
    """The identity to map onto it."""
    rule: str
    """Why they look alike: ``same-name`` (the same name, ignoring case, accents and
    spacing) or ``same-email-user`` (the same user part of the email, a GitHub
    ``noreply`` address read as its login)."""
    evidence: str
    """The rule's evidence and both authors' activity, in words."""
    overlapping: bool
    """Whether both were active over a common period (two people are likelier then)."""

    @property
    def mailmap_lines(self) -> tuple[str, ...]:
        """The ``.mailmap`` lines that join :attr:`other` to :attr:`keep`.

        One per email :attr:`other`'s commits carry as written (``.mailmap`` maps
        identities as written, not through other lines), each mapping by email alone.
        """
        emails = dict.fromkeys(
            identity.rpartition("<")[2].rstrip(">") for identity in self.other.identities
        )
        if not emails:
            emails = {self.other.email: None}
        return tuple(f"{self.keep.name} <{self.keep.email}> <{email}>" for email in emails)
