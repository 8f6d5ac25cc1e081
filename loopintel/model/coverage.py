"""Line coverage: one function in one imported snapshot, and the snapshots themselves."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.functions import FunctionRef  # noqa: TC001 - field types stay resolvable at run time

__all__ = ["CoverageSnapshot", "FunctionCoverage"]


@attrs.frozen
class FunctionCoverage(Serializable):
    """A function's line coverage in one imported snapshot.

    Only the function's body counts: the ``def`` line, decorators and signature run
    when the definition is executed (at import), so they never make it covered. Lines
    of a function nested in it count for the nested one.
    """

    _shape: ClassVar[Shape] = Shape(text=("ref",), computed=("ratio",))

    ref: FunctionRef
    """The function as named at the commit the data was measured at."""
    covered: int
    """Coverable lines of its body that ran."""
    coverable: int
    """Lines of its body that could run."""
    missing: tuple[int, ...]
    """Line numbers (in the measured version) that could run and did not."""
    tests: tuple[str, ...] | None
    """Tests that ran any of its lines; ``None`` when the data has no per-test contexts
    (an empty tuple means the data has them and no test ran it)."""
    commit: str
    """The commit the data was measured at."""
    snapshot: int
    """The snapshot's id (see :meth:`loopintel.Repository.coverage_snapshots`)."""
    format: str
    """The file format it was imported from."""
    imported_at: datetime
    """When it was imported (UTC)."""
    start_line: int
    """First line of the function in the measured version."""
    end_line: int
    """Last line of the function in the measured version."""

    @property
    def ratio(self) -> float | None:
        """``covered / coverable``, or ``None`` when its body has no coverable line.

        That is a one-line function (its body is on the ``def`` line, which runs at
        import) or a body left out of measurement (``# pragma: no cover``).
        """
        return self.covered / self.coverable if self.coverable else None


@attrs.frozen
class CoverageSnapshot(Serializable):
    """One imported coverage file, mapped to the functions of the commit it measured."""

    _shape: ClassVar[Shape] = Shape(computed=("ratio",))

    id: int
    """Its id in the index."""
    commit: str
    """The commit the data was measured at."""
    format: str
    """``coverage.py`` (data file), ``json``, ``cobertura`` or ``lcov``."""
    source: str
    """The file imported."""
    imported_at: datetime
    """When it was imported (UTC)."""
    measured_at: datetime | None
    """When the data was written, if the format says (UTC)."""
    has_contexts: bool
    """Whether it says which tests ran which lines."""
    files: int
    """Measured files found in the commit's tree."""
    functions: int
    """Functions of those files."""
    covered_lines: int
    """Coverable lines that ran, over those files."""
    coverable_lines: int
    """Lines that could run, over those files."""
    unmatched: tuple[str, ...]
    """Measured paths not found in the commit's tree (other packages, generated code)."""
    stale: tuple[str, ...]
    """Files whose data names lines past the end of the commit's version: the data was
    probably measured on other source than that commit (uncommitted edits)."""

    @property
    def ratio(self) -> float | None:
        """Line coverage over the files found."""
        return self.covered_lines / self.coverable_lines if self.coverable_lines else None
