"""Change coupling: pieces of code that keep changing in the same commits."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time

import attrs

from loopintel.model._serialize import Serializable
from loopintel.model.functions import FunctionRef  # noqa: TC001 - a field type at run time

__all__ = ["Coupling", "CouplingLevel"]


class CouplingLevel(enum.StrEnum):
    """What is coupled: functions or files."""

    FUNCTION = "function"
    """Functions at the indexed head, each followed through its lineage."""
    FILE = "file"
    """Files at the indexed head: a commit changes a file when it changes one of its
    functions (those at the head through their lineage, deleted ones where they were)."""


@attrs.frozen
class Coupling(Serializable):
    """Two pieces of code at the indexed head that changed together, with the evidence.

    A *revision* is a non-merge commit in the window that changed the code other than
    cosmetically and changed at most ``max_changeset`` functions (or files) in all;
    larger commits are left out of every count (``left_out`` says how many). ``a`` is the
    side whose name sorts first.
    """

    level: CouplingLevel
    """Function or file."""
    a: str
    """``path::qualname`` of a function, or the path of a file."""
    b: str
    """The other side, named the same way (``a < b``)."""
    path_a: str
    """The file of ``a`` (the file itself at file level)."""
    path_b: str
    """The file of ``b``."""
    function_a: FunctionRef | None
    """The function ``a`` at the indexed head (``None`` for files)."""
    function_b: FunctionRef | None
    """The function ``b`` at the indexed head (``None`` for files)."""
    lineage_a: str | None
    """The lineage id of ``a`` (``None`` for files)."""
    lineage_b: str | None
    """The lineage id of ``b`` (``None`` for files)."""
    shared: int
    """Revisions that changed both: the pair's support."""
    revisions_a: int
    """Revisions that changed ``a``."""
    revisions_b: int
    """Revisions that changed ``b``."""
    confidence_ab: float
    """``shared / revisions_a``: how often a revision of ``a`` also changed ``b``."""
    confidence_ba: float
    """``shared / revisions_b``: how often a revision of ``b`` also changed ``a``."""
    confidence: float
    """The stronger direction, ``max(confidence_ab, confidence_ba)``, which is ``shared``
    over the revisions of the side that changed less: ``1.0`` means that side never
    changed without the other."""
    degree: float
    """code-maat's degree of coupling as a fraction (code-maat prints it as a
    percentage): ``shared`` over the mean of the two sides' revisions. It is high only
    when both sides mostly change together."""
    hidden: bool
    """The two sides live in different directories (modules): coupling that the code's
    layout does not show."""
    commits: tuple[str, ...]
    """The newest shared revisions (at most three shas), newest first."""
    first_shared: datetime
    """Author time of the oldest shared revision (in history order), UTC."""
    last_shared: datetime
    """Author time of the newest shared revision (in history order), UTC."""
    left_out: int
    """Non-merge commits in the window left out for changing more than
    ``max_changeset`` functions (or files); the same on every row of one query."""
