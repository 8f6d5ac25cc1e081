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
        super().__init__(path, reason)
        # OSError reads two arguments as (errno, strerror); these are neither.
        self.errno = self.strerror = None
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.path}"


class UnknownRef(RepositoryError, LookupError):
    """The ref does not name a commit of the repository."""

    def __init__(self, ref: str, path: str) -> None:
        super().__init__(ref, path)
        self.ref = ref
        self.path = path

    def __str__(self) -> str:
        return f"unknown ref {self.ref!r} in repository {self.path}"


class IndexFileError(LoopintelError):
    """The SQLite index cannot be used."""


class IndexVersionError(IndexFileError, RuntimeError):
    """The index was written by a newer loopintel and cannot be read safely."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(path, found, supported)
        self.path = path
        self.found = found
        self.supported = supported

    def __str__(self) -> str:
        return (
            f"index {self.path} has schema version {self.found}, this loopintel reads up to "
            f"{self.supported}; upgrade loopintel or remove the index to rebuild it"
        )


class IndexLocationError(IndexFileError, OSError):
    """The index file cannot be created or opened where asked."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        # OSError reads two arguments as (errno, strerror); these are neither.
        self.errno = self.strerror = None
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot use index at {self.path}: {self.reason}"


class FunctionNotFound(LoopintelError, LookupError):
    """No function matches the lookup."""

    def __init__(self, query: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(query, suggestions)
        self.query = query
        self.suggestions = suggestions

    def __str__(self) -> str:
        message = f"no function matches {self.query!r}"
        if self.suggestions:
            message += "; closest: " + ", ".join(self.suggestions)
        return message


class AmbiguousFunction(LoopintelError, LookupError):
    """More than one function matches the lookup."""

    def __init__(self, query: str, candidates: tuple[str, ...]) -> None:
        super().__init__(query, candidates)
        self.query = query
        self.candidates = candidates

    def __str__(self) -> str:
        return f"{self.query!r} matches {len(self.candidates)} functions: " + ", ".join(
            self.candidates
        )


class InvalidQuery(LoopintelError, ValueError):
    """A query argument has the wrong form."""

    def __init__(self, argument: str, value: object, expected: str) -> None:
        super().__init__(argument, value, expected)
        self.argument = argument
        self.value = value
        self.expected = expected

    def __str__(self) -> str:
        return f"invalid {self.argument} {self.value!r}: expected {self.expected}"


class CoverageDataError(LoopintelError, ValueError):
    """A coverage file cannot be read: unknown format, or malformed where it says."""

    def __init__(self, source: str, problem: str, where: str | None = None) -> None:
        super().__init__(source, problem, where)
        self.source = source
        self.problem = problem
        self.where = where

    def __str__(self) -> str:
        place = f"{self.source}, {self.where}" if self.where else self.source
        return f"cannot read coverage data {place}: {self.problem}"


class InvalidConfiguration(LoopintelError, ValueError):
    """The repository's loopintel settings (``[tool.loopintel]``) cannot be used."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(source, problem)
        self.source = source
        self.problem = problem

    def __str__(self) -> str:
        return f"invalid loopintel settings in {self.source}: {self.problem}"


class PathNotFound(LoopintelError, LookupError):
    """No Python file or directory at the indexed head matches the path."""

    def __init__(self, path: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(path, suggestions)
        self.path = path
        self.suggestions = suggestions

    def __str__(self) -> str:
        message = f"no indexed file or directory matches {self.path!r}"
        if self.suggestions:
            message += "; closest: " + ", ".join(self.suggestions)
        return message
