"""Frozen values that loopintel returns, one module per concept.

Nothing here does I/O or holds a git object: values are built by named constructors
from rows and records, so they can be compared, hashed, pickled and tested as data.
Each value's ``to_dict()`` goes through one serializer (:mod:`loopintel.model._serialize`).

=================  ===========================================================
module             values
=================  ===========================================================
``functions``      ``FunctionRef``, ``Function``, ``Change`` (``ChangeKind``,
                   ``ChangeType``), ``Stability``, ``ComplexityPoint``,
                   ``ComplexityTrend``
``people``         ``Expert``, ``KeyAuthor``, ``TruckFactor``
``coverage``       ``FunctionCoverage``, ``CoverageSnapshot``
``deprecation``    ``Deprecation``, ``DeprecationMark``, ``DeprecatedName``
``indexing``       ``IndexProgress``, ``IndexSummary``, ``Skip``
=================  ===========================================================
"""

from loopintel.model.coverage import CoverageSnapshot, FunctionCoverage
from loopintel.model.deprecation import (
    DeprecatedName,
    Deprecation,
    DeprecationMark,
)
from loopintel.model.functions import (
    Change,
    ChangeKind,
    ChangeType,
    ComplexityPoint,
    ComplexityTrend,
    Function,
    FunctionRef,
    Stability,
)
from loopintel.model.indexing import IndexProgress, IndexSummary, Skip
from loopintel.model.people import Expert, KeyAuthor, TruckFactor

__all__ = [
    "Change",
    "ChangeKind",
    "ChangeType",
    "ComplexityPoint",
    "ComplexityTrend",
    "CoverageSnapshot",
    "DeprecatedName",
    "Deprecation",
    "DeprecationMark",
    "Expert",
    "Function",
    "FunctionCoverage",
    "FunctionRef",
    "IndexProgress",
    "IndexSummary",
    "KeyAuthor",
    "Skip",
    "Stability",
    "TruckFactor",
]
