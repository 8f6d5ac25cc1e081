"""The public surface: what ``import loopintel`` offers, and nothing by accident."""

from __future__ import annotations

import attrs
import pytest

import loopintel

EXPECTED = {
    "ClusterAuthor",
    "ClusterBasis",
    "BlastRadius",
    "Cluster",
    "ClusterFunction",
    "CoChanged",
    "EdgeKind",
    "Knower",
    "NearbyIncident",
    "NodeKind",
    "Recurrence",
    "Tally",
    "AuthorActivity",
    "KnowledgeRisk",
    "RiskExposure",
    "RiskKind",
    "RiskSeverity",
    "IdentityMatch",
    "FixedLine",
    "InducingCommit",
    "LineRole",
    "SZZResult",
    "TraceStep",
    "AmbiguousFunction",
    "Author",
    "Change",
    "ChangeKind",
    "ChangeType",
    "CodeLink",
    "Commit",
    "ComplexityPoint",
    "ComplexityTrend",
    "Context",
    "Coupling",
    "CouplingLevel",
    "CoverageDataError",
    "CoverageSnapshot",
    "DeprecatedName",
    "Deprecation",
    "DeprecationMark",
    "DeprecationMarkKind",
    "EarlierIncident",
    "Evidence",
    "EvidenceKind",
    "Expert",
    "Frame",
    "FrameStatus",
    "Function",
    "FunctionCoverage",
    "FunctionNotFound",
    "FunctionRef",
    "FunctionSummary",
    "FunctionView",
    "Hotspot",
    "HotspotLevel",
    "HotspotScore",
    "ImplicatedFunction",
    "Incident",
    "IncidentDataError",
    "IncidentImport",
    "IncidentLink",
    "IncidentNotFound",
    "IndexFileError",
    "IndexingInterrupted",
    "IndexLocationError",
    "IndexOutcome",
    "IndexPhase",
    "ClusterUnavailable",
    "index_many",
    "IndexProgress",
    "IndexSummary",
    "IndexVersionError",
    "InvalidConfiguration",
    "InvalidData",
    "InvalidQuery",
    "KeyAuthor",
    "LinkKind",
    "LoopintelError",
    "MissingObject",
    "MissingObjectsWarning",
    "NotARepository",
    "open",
    "PathNotFound",
    "PathScope",
    "Problem",
    "Records",
    "Repository",
    "RepositoryError",
    "Resolution",
    "ResolvedFrame",
    "ResolvedVersion",
    "ShallowCloneWarning",
    "Skip",
    "Stability",
    "StabilityClass",
    "TargetNotFound",
    "Trend",
    "TrendDirection",
    "TrendLevel",
    "TrendMetric",
    "TrendPeriod",
    "TrendVerdict",
    "TruckFactor",
    "UnknownRef",
    "VersionSource",
    "__version__",
}


def test_exported_names_are_the_documented_surface() -> None:
    assert set(loopintel.__all__) == EXPECTED
    for name in loopintel.__all__:
        assert hasattr(loopintel, name)


def test_public_names_belong_to_loopintel() -> None:
    for name in loopintel.__all__:
        value = getattr(loopintel, name)
        if isinstance(value, type) or callable(value):
            assert value.__module__ == "loopintel", name


def test_every_error_is_a_loopintel_error_and_a_builtin() -> None:
    assert issubclass(loopintel.NotARepository, FileNotFoundError)
    assert issubclass(loopintel.UnknownRef, LookupError)
    assert issubclass(loopintel.FunctionNotFound, LookupError)
    assert issubclass(loopintel.PathNotFound, LookupError)
    assert issubclass(loopintel.InvalidQuery, ValueError)
    assert issubclass(loopintel.CoverageDataError, ValueError)
    assert issubclass(loopintel.CoverageDataError, loopintel.InvalidData)
    assert issubclass(loopintel.InvalidData, ValueError)
    for name in loopintel.__all__:
        value = getattr(loopintel, name)
        if (
            isinstance(value, type)
            and issubclass(value, Exception)
            and not issubclass(value, Warning)
        ):
            assert issubclass(value, loopintel.LoopintelError), name


def test_values_are_frozen() -> None:
    ref = loopintel.FunctionRef("a.py", "f")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ref.path = "b.py"  # type: ignore[misc]
    assert str(ref) == "a.py::f"
    assert loopintel.FunctionRef.parse("src/x.py::A.b") == loopintel.FunctionRef("src/x.py", "A.b")
