"""Functions and their changes: identity, the export record, stability, complexity."""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape

__all__ = [
    "Change",
    "ChangeKind",
    "ChangeType",
    "ComplexityPoint",
    "ComplexityTrend",
    "Function",
    "FunctionRef",
    "PathScope",
    "Stability",
    "StabilityClass",
    "TrendDirection",
]


@attrs.frozen(order=True)
class FunctionRef(Serializable):
    """Identity of a function: a file path and a ``__qualname__``-style name.

    Written ``path::qualname``, for example ``src/flask/app.py::Flask.wsgi_app``.
    """

    path: str
    """Path of the file, relative to the repository root, with ``/`` separators."""
    qualname: str
    """Qualified name after ``__qualname__``: ``Class.method``, ``outer.<locals>.inner``;
    a name defined again in the same file gets ``#2``, ``#3``... in source order."""

    def __str__(self) -> str:
        return f"{self.path}::{self.qualname}"

    @classmethod
    def parse(cls, text: str) -> FunctionRef:
        """Read the canonical ``path::qualname`` form.

        Raises:
            ValueError: ``text`` has no ``::`` separator or an empty side.

        """
        path, sep, qualname = text.partition("::")
        if not sep or not path or not qualname:
            raise ValueError(f"expected 'path::qualname', got {text!r}")
        return cls(path, qualname)


class ChangeType(enum.StrEnum):
    """What a change did to a function (after CodeShovel's taxonomy); a change has a set."""

    INTRODUCED = "introduced"
    """The function appeared (no earlier version in its lineage)."""
    BODY = "body"
    """Statements of the body changed."""
    SIGNATURE = "signature"
    """Parameters, their defaults or annotations, or the return annotation changed."""
    DECORATOR = "decorator"
    """Decorators were added, removed or changed."""
    DOCSTRING = "docstring"
    """The docstring changed."""
    COSMETIC = "cosmetic"
    """Only whitespace, comments or formatting changed: the syntax tree is the same."""
    RENAME = "rename"
    """The function's name (or an enclosing class's name) changed."""
    FILE_RENAME = "file_rename"
    """The file holding the function was renamed or moved (git's rename detection)."""
    MOVE = "move"
    """The function moved to another file."""
    DELETED = "deleted"
    """The function was removed."""

    @property
    def bit(self) -> int:
        """The flag bit of this type in the index's integer encoding."""
        return 1 << _TYPE_ORDER.index(self)

    @staticmethod
    def from_bits(bits: int) -> tuple[ChangeType, ...]:
        """Decode the index's integer encoding into types in canonical order."""
        return tuple(t for i, t in enumerate(_TYPE_ORDER) if bits >> i & 1)

    @staticmethod
    def to_bits(types: tuple[ChangeType, ...] | frozenset[ChangeType]) -> int:
        """Encode types as the index's integer flags."""
        bits = 0
        for t in types:
            bits |= t.bit
        return bits


_TYPE_ORDER: tuple[ChangeType, ...] = tuple(ChangeType)


class ChangeKind(enum.StrEnum):
    """How a change relates the function's old and new identity."""

    ADDED = "added"
    MODIFIED = "modified"
    RENAMED = "renamed"
    """Same file, new qualified name."""
    MOVED = "moved"
    """Another file: a move of the function or a rename of its file."""
    DELETED = "deleted"


@attrs.frozen
class Change(Serializable):
    """One change of one function in one commit: the export record of the index."""

    commit: str
    """Full hex id of the commit that made the change."""
    parent: str | None
    """The parent the commit was compared with (``None`` for a root commit)."""
    authored_at: datetime
    """Author time, timezone-aware with the author's offset."""
    committed_at: datetime
    """Committer time, timezone-aware with the committer's offset."""
    author_name: str
    """Author name after the repository's ``.mailmap``."""
    author_email: str
    """Author email after ``.mailmap``; authors are keyed by it."""
    path: str
    """File of the function after the change (before it, for ``deleted``)."""
    qualname: str
    """Qualified name after the change (before it, for ``deleted``)."""
    old_path: str | None
    """File before the change; ``None`` for ``added``."""
    old_qualname: str | None
    """Qualified name before the change; ``None`` for ``added``."""
    kind: ChangeKind
    """``added``, ``modified``, ``renamed``, ``moved`` or ``deleted``."""
    change_types: tuple[ChangeType, ...]
    """What changed, in canonical order."""
    lines_added: int
    """Lines added inside the function's new span."""
    lines_removed: int
    """Lines removed from the function's old span."""
    complexity: int | None
    """Cyclomatic complexity of the new version as radon computes it; ``None`` for
    ``deleted``."""
    lineage: str
    """Stable id of the function across renames and moves."""
    start_line: int
    """First line (first decorator) of the new version; of the old one for ``deleted``."""
    end_line: int
    """Last line of the new version; of the old one for ``deleted``."""

    @property
    def ref(self) -> FunctionRef:
        """The function this change is about, as named after the change."""
        return FunctionRef(self.path, self.qualname)

    @property
    def is_cosmetic(self) -> bool:
        """Whether the change touched only formatting or comments."""
        return self.change_types == (ChangeType.COSMETIC,)


@attrs.frozen
class PathScope(Serializable):
    """A file or a directory of the indexed head, as a body of code."""

    path: str
    """Relative to the repository root, ``/``-separated; ``.`` for the whole repository."""
    is_file: bool
    """Whether it is one file (else a directory, or the whole repository)."""
    files: int
    """Python files at the indexed head in it (itself, for a file)."""


@attrs.frozen
class Function(Serializable):
    """A function as it is at the indexed head."""

    _shape: ClassVar[Shape] = Shape(flatten=("ref",))

    ref: FunctionRef
    """Its identity."""
    start_line: int
    """First line, counting decorators."""
    end_line: int
    """Last line."""
    complexity: int | None
    """Cyclomatic complexity (radon), ``None`` if it could not be computed."""
    lineage: str
    """Stable id across renames and moves."""
    last_commit: str
    """The commit of its latest change of any kind."""

    @property
    def path(self) -> str:
        """File of the function."""
        return self.ref.path

    @property
    def qualname(self) -> str:
        """Qualified name of the function."""
        return self.ref.qualname


class StabilityClass(enum.StrEnum):
    """How much a function has been changing lately (see :class:`Stability`)."""

    STABLE = "stable"
    """No change in the 365 days before the indexed head."""
    ACTIVE = "active"
    """Some change in those 365 days, but not enough to be volatile."""
    VOLATILE = "volatile"
    """3+ changes in 365 days, or 2+ in 90 (see ``docs/functions.md``)."""


@attrs.frozen
class Stability(Serializable):
    """How much a function has been changing lately (non-cosmetic changes only).

    Windows are counted back from the indexed head's commit time, not from today, so
    the answer does not drift while the index stands still.
    """

    changes_30d: int
    """Changes in the 30 days before the indexed head."""
    changes_90d: int
    """Changes in the 90 days before the indexed head."""
    changes_365d: int
    """Changes in the 365 days before the indexed head."""
    churn_365d: int
    """Lines added plus removed by those changes."""
    age_days: float | None
    """Days since it was introduced (``None`` if that is before the indexed history)."""
    days_since_change: float | None
    """Days since its latest change."""
    classification: StabilityClass
    """``volatile`` (3+ changes in 365 days or 2+ in 90), ``active`` (any change in 365
    days) or ``stable`` (none); see ``docs/functions.md`` for the data behind it."""


@attrs.frozen
class ComplexityPoint(Serializable):
    """A function's cyclomatic complexity after one of its changes."""

    commit: str
    """The commit of the change."""
    authored_at: datetime
    """Author time of the change, with the author's offset."""
    complexity: int
    """Cyclomatic complexity of the version the change made."""


class TrendDirection(enum.StrEnum):
    """Where a function's complexity has been going (see :class:`ComplexityTrend`)."""

    RISING = "rising"
    """The slope per year is at least ``TREND_SLOPE_PER_YEAR`` upwards."""
    FALLING = "falling"
    """The slope per year is at least ``TREND_SLOPE_PER_YEAR`` downwards."""
    FLAT = "flat"
    """A gentler slope, or no version with a known complexity."""
    YOUNG = "young"
    """The history is shorter than ``MIN_TREND_DAYS``: too short for a slope."""


@attrs.frozen
class ComplexityTrend(Serializable):
    """Where a function's complexity has been going (non-cosmetic changes only).

    Like :class:`Stability`, windows count back from the indexed head's commit time.
    """

    points: int
    """Versions with a known complexity."""
    first: int | None
    """Complexity of the earliest of them."""
    latest: int | None
    """Complexity of the latest of them."""
    min: int | None
    """Lowest complexity over the history."""
    max: int | None
    """Highest complexity over the history."""
    change_365d: int | None
    """``latest`` minus the complexity 365 days before the indexed head (its first
    version, if it is younger)."""
    slope_per_year: float | None
    """Least-squares slope of complexity over author time, per year (``None`` when the
    history spans less than ``MIN_TREND_DAYS``)."""
    direction: TrendDirection
    """``rising`` or ``falling`` when ``slope_per_year`` is at least
    ``TREND_SLOPE_PER_YEAR`` either way, else ``flat``; ``young`` when the history is
    shorter than ``MIN_TREND_DAYS`` (no slope)."""
