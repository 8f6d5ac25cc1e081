"""loopintel: git-history codebase intelligence, function by function.

    >>> import loopintel
    >>> repo = loopintel.open(".")  # doctest: +SKIP
    >>> for change in repo.changes(function="Flask.wsgi_app"):  # doctest: +SKIP
    ...     print(change.commit[:8], change.kind.value, change.change_types)
"""

from __future__ import annotations

from loopintel.errors import (
    AmbiguousFunction,
    FunctionNotFound,
    IndexError_,
    IndexLocationError,
    IndexVersionError,
    InvalidQuery,
    LoopintelError,
    NotARepository,
    RepositoryError,
    UnknownRef,
)
from loopintel.indexing import ShallowCloneWarning
from loopintel.model import (
    Change,
    ChangeKind,
    ChangeType,
    Function,
    FunctionRef,
    IndexProgress,
    IndexSummary,
    Skip,
)
from loopintel.repository import Repository, open  # noqa: A004 - the library's entry point

__version__ = "0.1.0"

__all__ = [
    "AmbiguousFunction",
    "Change",
    "ChangeKind",
    "ChangeType",
    "Function",
    "FunctionNotFound",
    "FunctionRef",
    "IndexError_",
    "IndexLocationError",
    "IndexProgress",
    "IndexSummary",
    "IndexVersionError",
    "InvalidQuery",
    "LoopintelError",
    "NotARepository",
    "Repository",
    "RepositoryError",
    "ShallowCloneWarning",
    "Skip",
    "UnknownRef",
    "__version__",
    "open",
]

for _name in __all__:
    _value = globals()[_name]
    if hasattr(_value, "__module__") and not isinstance(_value, str):
        try:
            _value.__module__ = "loopintel"
        except (AttributeError, TypeError):
            pass
del _name, _value
