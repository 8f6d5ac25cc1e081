"""Everything known about one function, in one value: what ``loopintel show`` prints."""

from __future__ import annotations

from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.coverage import FunctionCoverage  # noqa: TC001 - field types stay resolvable at run time
from loopintel.model.deprecation import Deprecation  # noqa: TC001
from loopintel.model.functions import (  # noqa: TC001
    Change,
    ComplexityTrend,
    FunctionRef,
    Stability,
)
from loopintel.model.people import Expert  # noqa: TC001

__all__ = ["FunctionSummary"]


@attrs.frozen
class FunctionSummary(Serializable):
    """One function's identity, history, people, coverage, trend and deprecation.

    What :meth:`loopintel.FunctionView.summary` answers and ``loopintel show`` prints.
    ``to_dict()`` is the JSON of ``loopintel show --json``: ``ref`` written as ``path``
    and ``qualname``, and ``deprecation_warning`` left out (``show`` prints it on
    stderr).
    """

    _shape: ClassVar[Shape] = Shape(flatten=("ref",), omit=("deprecation_warning",))

    ref: FunctionRef
    """The function as named at the indexed head (or when last seen)."""
    lineage: str
    """Its lineage id."""
    at_head: bool
    """Whether it exists at the indexed head."""
    complexity: int | None
    """Cyclomatic complexity of its latest version (before deletion, if it is gone)."""
    changes: int
    """Its changes through renames and moves, cosmetic ones included."""
    last_changed: Change | None
    """The latest change that was not only cosmetic."""
    introduced: Change | None
    """The change that added it (``None`` if that is before the indexed history)."""
    deleted: Change | None
    """The change that deleted it, if it is gone."""
    stability: Stability
    """Recent changes, churn, age and a classification."""
    experts: tuple[Expert, ...]
    """Who knows it, best first."""
    coverage: FunctionCoverage | None
    """Line coverage from the latest snapshot that measured it (``None``: unknown)."""
    complexity_trend: ComplexityTrend
    """Where its complexity has been going."""
    deprecation: Deprecation
    """Whether it is deprecated code."""
    deprecation_warning: str | None = None
    """Why the repository's deprecated prefixes were not used (its ``[tool.loopintel]``
    setting is malformed), so that ``deprecation`` checked its marks only; ``None``
    when they were."""
