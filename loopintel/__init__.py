"""loopintel: git-history codebase intelligence, function by function.

>>> import loopintel
>>> repo = loopintel.open(".")  # doctest: +SKIP
>>> for change in repo.changes(function="Flask.wsgi_app"):  # doctest: +SKIP
...     print(change.commit[:8], change.kind.value, change.change_types)
"""

from contextlib import suppress as _suppress

from loopintel.errors import (
    AmbiguousFunction,
    CoverageDataError,
    FunctionNotFound,
    IncidentDataError,
    IncidentNotFound,
    IndexFileError,
    IndexLocationError,
    IndexVersionError,
    InvalidConfiguration,
    InvalidData,
    InvalidQuery,
    LoopintelError,
    MissingObject,
    NotARepository,
    PathNotFound,
    Problem,
    RepositoryError,
    TargetNotFound,
    UnknownRef,
)
from loopintel.indexing import IndexingInterrupted, MissingObjectsWarning, ShallowCloneWarning
from loopintel.model import (
    Author,
    AuthorActivity,
    Change,
    ChangeKind,
    ChangeType,
    CodeLink,
    Commit,
    ComplexityPoint,
    ComplexityTrend,
    Context,
    CoverageSnapshot,
    DeprecatedName,
    Deprecation,
    DeprecationMark,
    DeprecationMarkKind,
    EarlierIncident,
    Evidence,
    EvidenceKind,
    Expert,
    FixedLine,
    Frame,
    FrameStatus,
    Function,
    FunctionCoverage,
    FunctionRef,
    FunctionSummary,
    Hotspot,
    HotspotLevel,
    HotspotScore,
    IdentityMatch,
    ImplicatedFunction,
    Incident,
    IncidentImport,
    IncidentLink,
    IndexPhase,
    IndexProgress,
    IndexSummary,
    InducingCommit,
    KeyAuthor,
    LineRole,
    LinkKind,
    PathScope,
    Resolution,
    ResolvedFrame,
    ResolvedVersion,
    Skip,
    Stability,
    StabilityClass,
    SZZResult,
    TraceStep,
    TrendDirection,
    TruckFactor,
    VersionSource,
)
from loopintel.opening import open  # noqa: A004 - the library's entry point
from loopintel.repository import Repository
from loopintel.tables import Records
from loopintel.views import FunctionView

__version__ = "0.1.0"

__all__ = [
    "AmbiguousFunction",
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
    "FixedLine",
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
    "IdentityMatch",
    "ImplicatedFunction",
    "Incident",
    "IncidentDataError",
    "IncidentImport",
    "IncidentLink",
    "IncidentNotFound",
    "IndexFileError",
    "IndexLocationError",
    "IndexPhase",
    "IndexProgress",
    "IndexSummary",
    "IndexVersionError",
    "IndexingInterrupted",
    "InducingCommit",
    "InvalidConfiguration",
    "InvalidData",
    "InvalidQuery",
    "KeyAuthor",
    "LineRole",
    "LinkKind",
    "LoopintelError",
    "MissingObject",
    "MissingObjectsWarning",
    "NotARepository",
    "PathNotFound",
    "PathScope",
    "Problem",
    "Records",
    "Repository",
    "RepositoryError",
    "Resolution",
    "ResolvedFrame",
    "ResolvedVersion",
    "SZZResult",
    "ShallowCloneWarning",
    "Skip",
    "Stability",
    "StabilityClass",
    "TargetNotFound",
    "TraceStep",
    "TrendDirection",
    "TruckFactor",
    "UnknownRef",
    "VersionSource",
    "__version__",
    "open",
]


def _publish() -> None:
    # Public names say loopintel.X in reprs and docs, not their private module.
    for name in __all__:
        value = globals()[name]
        if isinstance(value, type) or callable(value):
            with _suppress(AttributeError, TypeError):
                value.__module__ = "loopintel"


_publish()
del _publish
