"""The exceptions loopintel raises.

Every error is a :class:`LoopintelError`; leaves also subclass the builtin a caller
would naturally catch, so ``except LookupError`` keeps working::

    LoopintelError
    ├── RepositoryError
    │   ├── NotARepository            (+ FileNotFoundError)
    │   └── UnknownRef                (+ LookupError)
    ├── IndexFileError
    │   ├── IndexVersionError         (+ RuntimeError)
    │   └── IndexLocationError        (+ OSError)
    ├── FunctionNotFound              (+ LookupError)
    ├── AmbiguousFunction             (+ LookupError)
    ├── PathNotFound                  (+ LookupError)
    │   └── TargetNotFound            (also a FunctionNotFound)
    ├── InvalidQuery                  (+ ValueError)
    ├── CoverageDataError             (+ ValueError)
    └── InvalidConfiguration          (+ ValueError)
"""

from __future__ import annotations

__all__ = [
    "AmbiguousFunction",
    "CoverageDataError",
    "FunctionNotFound",
    "IndexFileError",
    "IndexLocationError",
    "IndexVersionError",
    "InvalidConfiguration",
    "InvalidQuery",
    "LoopintelError",
    "NotARepository",
    "PathNotFound",
    "RepositoryError",
    "TargetNotFound",
    "UnknownRef",
]


class LoopintelError(Exception):
    """Base of every error loopintel raises."""


class RepositoryError(LoopintelError):
    """The git repository cannot be read as asked."""


class NotARepository(RepositoryError, FileNotFoundError):
    """The path is not a git repository (nor inside one)."""

    def __init__(
        self, path: str, reason: str = "not a git repository (or any parent up to /)"
    ) -> None:
        super().__init__(f"{reason}: {path}")
        self.path = path


class UnknownRef(RepositoryError, LookupError):
    """The ref does not name a commit of the repository."""

    def __init__(self, ref: str, path: str) -> None:
        super().__init__(f"unknown ref {ref!r} in repository {path}")
        self.ref = ref
        self.path = path


class IndexFileError(LoopintelError):
    """The SQLite index cannot be used."""


class IndexVersionError(IndexFileError, RuntimeError):
    """The index was written by a newer loopintel and cannot be read safely."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"index {path} has schema version {found}, this loopintel reads up to "
            f"{supported}; upgrade loopintel or remove the index to rebuild it"
        )
        self.path = path
        self.found = found
        self.supported = supported


class IndexLocationError(IndexFileError, OSError):
    """The index file cannot be created or opened where asked."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot use index at {path}: {reason}")
        self.path = path
        self.reason = reason


class FunctionNotFound(LoopintelError, LookupError):
    """No function matches the lookup."""

    def __init__(self, query: str, suggestions: tuple[str, ...] = ()) -> None:
        message = f"no function matches {query!r}"
        if suggestions:
            message += "; closest: " + ", ".join(suggestions)
        super().__init__(message)
        self.query = query
        self.suggestions = suggestions


class AmbiguousFunction(LoopintelError, LookupError):
    """More than one function matches the lookup."""

    def __init__(self, query: str, candidates: tuple[str, ...]) -> None:
        super().__init__(f"{query!r} matches {len(candidates)} functions: " + ", ".join(candidates))
        self.query = query
        self.candidates = candidates


class InvalidQuery(LoopintelError, ValueError):
    """A query argument has the wrong form."""

    def __init__(self, argument: str, value: object, expected: str) -> None:
        super().__init__(f"invalid {argument} {value!r}: expected {expected}")
        self.argument = argument
        self.value = value
        self.expected = expected


class CoverageDataError(LoopintelError, ValueError):
    """A coverage file cannot be read: unknown format, or malformed where it says."""

    def __init__(self, source: str, problem: str, where: str | None = None) -> None:
        place = f"{source}, {where}" if where else source
        super().__init__(f"cannot read coverage data {place}: {problem}")
        self.source = source
        self.problem = problem
        self.where = where


class InvalidConfiguration(LoopintelError, ValueError):
    """The repository's loopintel settings (``[tool.loopintel]``) cannot be used."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"invalid loopintel settings in {source}: {problem}")
        self.source = source
        self.problem = problem


class PathNotFound(LoopintelError, LookupError):
    """No Python file or directory at the indexed head matches the path."""

    def __init__(self, path: str, suggestions: tuple[str, ...] = ()) -> None:
        message = f"no indexed file or directory matches {path!r}"
        if suggestions:
            message += "; closest: " + ", ".join(suggestions)
        super().__init__(message)
        self.path = path
        self.suggestions = suggestions


class TargetNotFound(PathNotFound, FunctionNotFound):
    """Neither a function nor a file or directory matches what was asked about."""

    def __init__(self, query: str, suggestions: tuple[str, ...] = ()) -> None:
        message = f"no function matches {query!r}, nor does any indexed file or directory"
        if suggestions:
            message += "; closest: " + ", ".join(suggestions)
        LoopintelError.__init__(self, message)
        self.query = self.path = query
        self.suggestions = suggestions
