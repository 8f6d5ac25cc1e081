"""Frozen values that loopintel returns, one module per concept.

Nothing here does I/O or holds a git object: values are built by named constructors
from rows and records, so they can be compared, hashed, pickled and tested as data.
Each value's ``to_dict()`` goes through one serializer (:mod:`loopintel.model._serialize`).

=================  ===========================================================
module             values
=================  ===========================================================
``functions``      ``FunctionRef``, ``Function``, ``PathScope``, ``Change`` (``ChangeKind``,
                   ``ChangeType``), ``Stability`` (``StabilityClass``),
                   ``ComplexityPoint``, ``ComplexityTrend`` (``TrendDirection``)
``people``         ``Author``, ``AuthorActivity``, ``IdentityMatch``, ``Commit``,
                   ``Expert``, ``KeyAuthor``, ``TruckFactor``
``context``        ``Context``, ``ImplicatedFunction``, ``EarlierIncident``,
                   ``IncidentImport``
``coverage``       ``FunctionCoverage``, ``CoverageSnapshot``
``deprecation``    ``Deprecation``, ``DeprecationMark`` (``DeprecationMarkKind``),
                   ``DeprecatedName``
``incidents``      ``Incident``, ``Frame``, ``IncidentLink`` (``LinkKind``), ``Resolution``,
                   ``ResolvedFrame`` (``FrameStatus``), ``ResolvedVersion``
                   (``VersionSource``), ``Evidence`` (``EvidenceKind``), ``CodeLink``
``hotspots``       ``Hotspot`` (``HotspotLevel``, ``HotspotScore``)
``indexing``       ``IndexProgress`` (``IndexPhase``), ``IndexSummary``, ``Skip``
``summary``        ``FunctionSummary``
``trends``         ``Trend`` (``TrendLevel``, ``TrendMetric``, ``TrendPeriod``,
                   ``TrendVerdict``)
``szz``            ``SZZResult``, ``InducingCommit``, ``FixedLine`` (``LineRole``),
                   ``TraceStep``
=================  ===========================================================

Classifications are :class:`enum.StrEnum` members: they equal their text and are
written as it.
"""

from loopintel.model.context import Context, EarlierIncident, ImplicatedFunction, IncidentImport
from loopintel.model.coverage import CoverageSnapshot, FunctionCoverage
from loopintel.model.deprecation import (
    DeprecatedName,
    Deprecation,
    DeprecationMark,
    DeprecationMarkKind,
)
from loopintel.model.functions import (
    Change,
    ChangeKind,
    ChangeType,
    ComplexityPoint,
    ComplexityTrend,
    Function,
    FunctionRef,
    PathScope,
    Stability,
    StabilityClass,
    TrendDirection,
)
from loopintel.model.hotspots import Hotspot, HotspotLevel, HotspotScore
from loopintel.model.incidents import (
    CodeLink,
    Evidence,
    EvidenceKind,
    Frame,
    FrameStatus,
    Incident,
    IncidentLink,
    LinkKind,
    Resolution,
    ResolvedFrame,
    ResolvedVersion,
    VersionSource,
)
from loopintel.model.indexing import IndexPhase, IndexProgress, IndexSummary, Skip
from loopintel.model.people import (
    Author,
    AuthorActivity,
    Commit,
    Expert,
    IdentityMatch,
    KeyAuthor,
    TruckFactor,
)
from loopintel.model.summary import FunctionSummary
from loopintel.model.szz import FixedLine, InducingCommit, LineRole, SZZResult, TraceStep
from loopintel.model.trends import Trend, TrendLevel, TrendMetric, TrendPeriod, TrendVerdict

__all__ = [
    "Author",
    "AuthorActivity",
    "Change",
    "ChangeKind",
    "ChangeType",
    "CodeLink",
    "Commit",
    "ComplexityPoint",
    "ComplexityTrend",
    "Context",
    "CoverageSnapshot",
    "DeprecatedName",
    "Deprecation",
    "DeprecationMark",
    "DeprecationMarkKind",
    "EarlierIncident",
    "Evidence",
    "EvidenceKind",
    "Expert",
    "FixedLine",
    "Frame",
    "FrameStatus",
    "Function",
    "FunctionCoverage",
    "FunctionRef",
    "FunctionSummary",
    "Hotspot",
    "HotspotLevel",
    "HotspotScore",
    "IdentityMatch",
    "ImplicatedFunction",
    "Incident",
    "IncidentImport",
    "IncidentLink",
    "IndexPhase",
    "IndexProgress",
    "IndexSummary",
    "InducingCommit",
    "KeyAuthor",
    "LineRole",
    "LinkKind",
    "PathScope",
    "Resolution",
    "ResolvedFrame",
    "ResolvedVersion",
    "SZZResult",
    "Skip",
    "Stability",
    "StabilityClass",
    "TraceStep",
    "Trend",
    "TrendDirection",
    "TrendLevel",
    "TrendMetric",
    "TrendPeriod",
    "TrendVerdict",
    "TruckFactor",
    "VersionSource",
]
