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
    │   └── TargetNotFound            (also a FunctionNotFound)
    ├── InvalidQuery                  (+ ValueError)
    ├── InvalidConfiguration          (+ ValueError)
    ├── InvalidData                   (+ ValueError)
    │   └── CoverageDataError
    └── ClusterUnavailable            (+ ConnectionError)

:class:`InvalidData` (a file from outside git: coverage, incident exports) carries every
:class:`Problem` found in the file, each with its place, not only the first.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar, Self

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AmbiguousFunction",
    "ClusterUnavailable",
    "CoverageDataError",
    "FunctionNotFound",
    "IncidentDataError",
    "IncidentNotFound",
    "IndexFileError",
    "IndexLocationError",
    "IndexVersionError",
    "InvalidConfiguration",
    "InvalidData",
    "InvalidQuery",
    "LoopintelError",
    "MissingObject",
    "NotARepository",
    "PathNotFound",
    "Problem",
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
    """More than one function matches the lookup.

    Each of ``candidates``, given as the query, selects one function: its
    ``path::qualname``, or its lineage id where two functions had the same name (one
    deleted and defined again); ``details`` says, per candidate, what it is (or ``""``).
    """

    def __init__(
        self, query: str, candidates: tuple[str, ...], details: tuple[str, ...] = ()
    ) -> None:
        super().__init__(query, candidates, details)
        self.query = query
        self.candidates = candidates
        self.details = details

    def __str__(self) -> str:
        shown = [
            f"{candidate} ({detail})" if detail else candidate
            for candidate, detail in zip(
                self.candidates, (*self.details, *[""] * len(self.candidates)), strict=False
            )
        ]
        return (
            f"{self.query!r} matches {len(self.candidates)} functions: "
            + ", ".join(shown)
            + "; ask for one as listed, or look the name up at a commit (at=, --at)"
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


class TargetNotFound(PathNotFound, FunctionNotFound):
    """Neither a function nor a file or directory matches what was asked about."""

    def __init__(self, query: str, suggestions: tuple[str, ...] = ()) -> None:
        LoopintelError.__init__(self, query, suggestions)
        self.query = self.path = query
        self.suggestions = suggestions

    def __str__(self) -> str:
        message = f"no function matches {self.query!r}, nor does any indexed file or directory"
        if self.suggestions:
            message += "; closest: " + ", ".join(self.suggestions)
        return message


# Problem is a standard-library dataclass rather than an attrs value: this module imports
# nothing of loopintel or its dependencies, so every layer can raise these errors.
@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong in a file from outside git, and where it is.

    ``str(problem)`` reads ``cov.xml, line 12, <line hits>: expected an integer, got 'x'``.
    """

    file: str
    """The file read."""
    line: int | None = None
    """The line of the file (from 1); ``None`` when the format has no lines to point at."""
    field: str | None = None
    """What was wrong there, in the format's terms (``<line hits>``, ``DA hits``,
    ``files['a.py'].executed_lines``); ``None`` when the whole line or file is."""
    message: str
    """What is wrong, and what was expected."""
    column: int | None = None
    """The column (from 1), when the parser that found the problem says."""

    @property
    def where(self) -> str | None:
        """The place in the file, without the file: ``line 12, <line hits>``."""
        parts = []
        if self.line is not None:
            parts.append(
                f"line {self.line}" + (f" column {self.column}" if self.column is not None else "")
            )
        if self.field is not None:
            parts.append(self.field)
        return ", ".join(parts) or None

    def __str__(self) -> str:
        where = self.where
        return f"{self.file}, {where}: {self.message}" if where else f"{self.file}: {self.message}"


class InvalidData(LoopintelError, ValueError):
    """A file from outside git cannot be read; :attr:`problems` says everything wrong in it.

    The message shows the first few problems and how many there are in all; a program
    reads :attr:`problems`. Readers keep at most a fixed number of problems (a huge bad
    file does not make a huge error); :attr:`total` still counts them all.
    """

    shown: ClassVar[int] = 5
    """How many problems the message shows."""
    what: ClassVar[str] = "data"
    """What the file was to be read as, for the message."""

    def __init__(self, source: str, problems: Sequence[Problem], total: int | None = None) -> None:
        super().__init__(source, problems, total)
        self.source = source
        """The file read."""
        self.problems = tuple(problems)
        """Every problem kept, in the order of the file."""
        self.total = len(self.problems) if total is None else max(total, len(self.problems))
        """How many problems were found, kept or not."""

    @classmethod
    def single(
        cls,
        source: str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        column: int | None = None,
    ) -> Self:
        """The error of a file with one problem (unreadable, not the format at all).

        Returns:
            An error of this class (``CoverageDataError.single`` makes a
            :class:`CoverageDataError`).

        """
        problem = Problem(file=source, line=line, field=field, message=message, column=column)
        return cls(source, (problem,))

    def report(self, *, limit: int | None = None) -> str:
        """The message, with at most ``limit`` problems (all kept ones when ``None``).

        Returns:
            ``cannot read <what> <file>: <n> problems`` followed by one problem a line,
            or, for a single problem, one line with its place.

        """
        head = f"cannot read {self.what} {self.source}"
        if self.total == 1 and self.problems[0].file == self.source:
            return f"cannot read {self.what} {self.problems[0]}"
        if not self.problems:
            return head
        count = f"{self.total:,} problems"
        if self.total > len(self.problems):
            count += f" (the first {len(self.problems):,} kept)"
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{head}: {count}", *(f"  {p}" for p in shown)]
        if self.total > len(shown):
            lines.append(f"  ... and {self.total - len(shown):,} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report(limit=self.shown)


class CoverageDataError(InvalidData):
    """A coverage file cannot be read: unknown format, or malformed where it says.

    Besides :attr:`problems`, :attr:`problem` and :attr:`where` give the first problem's
    message and place, as they did before files reported every problem.
    """

    what: ClassVar[str] = "coverage data"

    @property
    def problem(self) -> str:
        """The first problem's message."""
        return self.problems[0].message if self.problems else ""

    @property
    def where(self) -> str | None:
        """The first problem's place in the file (``line 12``), if it has one."""
        return self.problems[0].where if self.problems else None


class IncidentNotFound(LoopintelError, LookupError):
    """No stored incident has that key or id (or several have that id)."""

    def __init__(self, query: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(query, candidates)
        self.query = query
        """The key or id asked for."""
        self.candidates = candidates
        """Keys of the incidents that id names, when it names several; else similar ones."""

    def __str__(self) -> str:
        if len(self.candidates) > 1 and all(c.endswith(":" + self.query) for c in self.candidates):
            return f"incident id {self.query!r} is ambiguous; give one of its keys: " + ", ".join(
                self.candidates
            )
        message = f"no incident {self.query!r} in the index"
        if self.candidates:
            message += "; did you mean " + ", ".join(self.candidates) + "?"
        return message


class IncidentDataError(InvalidData):
    """An incident file cannot be read, or has bad rows: every problem, with its place.

    A file with bad rows imports nothing unless asked to skip them
    (``skip_invalid=True``, ``--skip-invalid``).
    """

    what: ClassVar[str] = "incident data"


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


class ClusterUnavailable(LoopintelError, ConnectionError):
    """The Dask cluster asked for cannot be used.

    Dask's ``distributed`` is not installed (the ``loopintel[dask]`` extra), or no
    scheduler answered at the address in time.
    """

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(address, reason)
        # OSError reads two arguments as (errno, strerror); these are neither.
        self.errno = self.strerror = None
        self.address = address
        """The scheduler's address, as given."""
        self.reason = reason
        """What went wrong, and what to do."""

    def __str__(self) -> str:
        return f"cannot use the Dask cluster at {self.address}: {self.reason}"
