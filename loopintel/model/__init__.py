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
``coupling``       ``Coupling`` (``CouplingLevel``)
``deprecation``    ``Deprecation``, ``DeprecationMark`` (``DeprecationMarkKind``),
                   ``DeprecatedName``
``incidents``      ``Incident``, ``Frame``, ``IncidentLink`` (``LinkKind``), ``Resolution``,
                   ``ResolvedFrame`` (``FrameStatus``), ``ResolvedVersion``
                   (``VersionSource``), ``Evidence`` (``EvidenceKind``), ``CodeLink``
``graph``          ``NodeKind``, ``EdgeKind``, ``Cluster`` (``ClusterBasis``, ``ClusterFunction``,
                   ``ClusterAuthor``, ``Tally``),
                   ``Recurrence``, ``BlastRadius`` (``CoChanged``, ``Knower``,
                   ``NearbyIncident``)
``hotspots``       ``Hotspot`` (``HotspotLevel``, ``HotspotScore``)
``risks``          ``KnowledgeRisk`` (``RiskKind``, ``RiskExposure``, ``RiskSeverity``)
``indexing``       ``IndexProgress`` (``IndexPhase``), ``IndexSummary``, ``Skip``
``fleet``          ``IndexOutcome``
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
from loopintel.model.coupling import Coupling, CouplingLevel
from loopintel.model.coverage import CoverageSnapshot, FunctionCoverage
from loopintel.model.deprecation import (
    DeprecatedName,
    Deprecation,
    DeprecationMark,
    DeprecationMarkKind,
)
from loopintel.model.fleet import IndexOutcome
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
from loopintel.model.graph import (
    BlastRadius,
    Cluster,
    ClusterAuthor,
    ClusterBasis,
    ClusterFunction,
    CoChanged,
    EdgeKind,
    Knower,
    NearbyIncident,
    NodeKind,
    Recurrence,
    Tally,
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
from loopintel.model.risks import KnowledgeRisk, RiskExposure, RiskKind, RiskSeverity
from loopintel.model.summary import FunctionSummary
from loopintel.model.szz import FixedLine, InducingCommit, LineRole, SZZResult, TraceStep
from loopintel.model.trends import Trend, TrendLevel, TrendMetric, TrendPeriod, TrendVerdict

__all__ = [
    "Author",
    "AuthorActivity",
    "BlastRadius",
    "Change",
    "ChangeKind",
    "ChangeType",
    "Cluster",
    "ClusterAuthor",
    "ClusterBasis",
    "ClusterFunction",
    "CoChanged",
    "CodeLink",
    "Commit",
    "ComplexityPoint",
    "ComplexityTrend",
    "Context",
    "Coupling",
    "CouplingLevel",
    "CoverageSnapshot",
    "DeprecatedName",
    "Deprecation",
    "DeprecationMark",
    "DeprecationMarkKind",
    "EarlierIncident",
    "EdgeKind",
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
    "IndexOutcome",
    "IndexPhase",
    "IndexProgress",
    "IndexSummary",
    "InducingCommit",
    "KeyAuthor",
    "Knower",
    "KnowledgeRisk",
    "LineRole",
    "LinkKind",
    "NearbyIncident",
    "NodeKind",
    "PathScope",
    "Recurrence",
    "Resolution",
    "ResolvedFrame",
    "ResolvedVersion",
    "RiskExposure",
    "RiskKind",
    "RiskSeverity",
    "SZZResult",
    "Skip",
    "Stability",
    "StabilityClass",
    "Tally",
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
