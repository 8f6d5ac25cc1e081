"""What SZZ answers for a fix commit: the commits that introduced what it fixed."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.functions import FunctionRef  # noqa: TC001

__all__ = ["FixedLine", "InducingCommit", "LineRole", "SZZResult", "TraceStep"]


class LineRole(enum.StrEnum):
    """Why a line of the fix's parent was traced."""

    DELETED = "deleted"
    """The fix deleted it."""
    CHANGED = "changed"
    """The fix replaced it with other code."""
    CONTEXT = "context"
    """The fix only added code: the line next to where it added it."""


@attrs.frozen
class TraceStep(Serializable):
    """A commit a line was followed through on its way back to where it was written."""

    commit: str
    """The commit (full sha)."""
    path: str
    """The file the line was in after that commit."""
    qualname: str | None
    """The function it was in after that commit (``None``: outside any function)."""
    why: str
    """``cosmetic`` (the commit changed only its whitespace or comments, or reflowed
    it), ``renamed`` (the function or its file was renamed), ``moved`` (the function
    moved to another file or class) or ``merged`` (it came in through a merge's other
    parent)."""
    old_path: str
    """The file it was in before that commit."""
    old_qualname: str | None
    """The function it was in before that commit."""


@attrs.frozen
class FixedLine(Serializable):
    """One line the fix deleted or changed (or, for an addition, a line beside it)."""

    path: str
    """Its file at the fix's parent."""
    line: int
    """Its line number there."""
    text: str
    """The line, stripped."""
    role: LineRole
    """Deleted, changed, or beside an addition."""
    function: FunctionRef | None
    """The function it lies in at the fix's parent (``None``: module or class level)."""
    lineage: str | None
    """That function's lineage."""
    origin: str | None
    """The commit that last changed the line before the fix, past cosmetic changes,
    renames and moves (``None``: the history the index holds ends before it)."""
    origin_path: str | None
    """Its file in that commit."""
    origin_line: int | None
    """Its line number in that commit."""
    steps: tuple[TraceStep, ...] = ()
    """The commits it was followed through, newest first."""


@attrs.frozen
class InducingCommit(Serializable):
    """One commit that SZZ holds responsible, with the lines traced to it."""

    _shape: ClassVar[Shape] = Shape(computed=("lines",), after="summary")

    commit: str
    """The commit (full sha)."""
    authored_at: datetime
    """When it was written (timezone-aware)."""
    author_name: str
    """Who wrote it, after ``.mailmap``."""
    author_email: str
    """Their email, after ``.mailmap``."""
    summary: str
    """The first line of its message."""
    score: float
    """How strongly it is implicated: lines the fix deleted or changed count 1, lines
    beside an addition count the context weight of :class:`loopintel.szz.SZZOptions`."""
    functions: tuple[FunctionRef, ...]
    """The functions the traced lines lay in, named as in this commit."""
    lineages: tuple[str, ...]
    """Their lineages (module- and class-level lines have none)."""
    evidence: tuple[FixedLine, ...]
    """The lines of the fix traced to it, in file and line order."""

    @property
    def lines(self) -> int:
        """How many of the fix's lines were traced to it."""
        return len(self.evidence)


@attrs.frozen
class SZZResult(Serializable):
    """The commits a fix commit's lines were traced to, strongest first."""

    fix: str
    """The fix commit (full sha)."""
    parent: str | None
    """The parent it was compared with (its first)."""
    issue_date: datetime | None
    """When the bug was reported, if given: later commits are not candidates."""
    inducing: tuple[InducingCommit, ...]
    """The candidates, strongest first: by score, then the most recent."""
    dropped: tuple[InducingCommit, ...] = ()
    """Commits lines were traced to that were written after the issue date."""
    sweeping: tuple[InducingCommit, ...] = ()
    """Commits lines were traced to that changed so many functions at once (an import
    of the code, a sweeping refactoring or reformatting) that they are not taken for
    the commit that introduced one bug (see :class:`loopintel.szz.SZZOptions`)."""
    lines: tuple[FixedLine, ...] = ()
    """Every line traced, in file and line order."""
    notes: tuple[str, ...] = ()
    """What was left out, and why (test files, lines the history cannot reach)."""

    def commits(self) -> tuple[str, ...]:
        """The inducing commits' shas, strongest first."""
        return tuple(i.commit for i in self.inducing)
