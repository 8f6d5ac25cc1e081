"""The exceptions loopintel raises.

Every error is a :class:`LoopintelError`; leaves also subclass the builtin a caller
would naturally catch, so ``except LookupError`` keeps working::

    LoopintelError
    ├── RepositoryError
    │   ├── NotARepository            (+ FileNotFoundError)
    │   ├── UnknownRef                (+ LookupError)
    │   └── MissingObject             (+ LookupError)
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
    "MissingObject",
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


class MissingObject(RepositoryError, LookupError):
    """An object loopintel needs is not in the repository (a partial or damaged clone).

    Raised when the commits or trees of the history cannot be walked, and when a file
    version is asked for directly (indexing records such versions as skipped instead).
    Its arguments are its constructor's (it pickles across worker processes); the
    message is built when it is shown.
    """

    def __init__(self, oid: str, kind: str, path: str, promisor: str | None = None) -> None:
        super().__init__(oid, kind, path, promisor)
        self.oid = oid
        """The id of the missing object."""
        self.kind = kind
        """``commit``, ``tree`` or ``blob``."""
        self.path = path
        """The git directory that lacks it."""
        self.promisor = promisor
        """The promisor remote of a partial clone, if the repository is one."""

    def __str__(self) -> str:
        where = f"{self.kind} {self.oid} is missing from the repository {self.path}"
        if self.kind != "blob":
            where += " (loopintel walks every commit and tree of the history)"
        if self.promisor is None:
            advice = (
                "the repository is damaged or incomplete (`git fsck` lists what is "
                "broken): fetch the object again from a remote that has it, or clone "
                "the repository again"
            )
        elif self.kind == "blob":
            advice = (
                f"it is a partial clone: `loopintel index --fetch-missing` fetches such "
                f"objects from its promisor remote {self.promisor!r}"
            )
        else:
            advice = (
                f"it is a partial clone that leaves out more than blobs: clone with "
                f"`--filter=blob:none` instead, or fetch the object from its promisor "
                f"remote {self.promisor!r}"
            )
        return f"{where}; {advice}"
