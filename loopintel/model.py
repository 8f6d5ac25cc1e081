"""Frozen values that loopintel returns.

Nothing here does I/O or holds a git object: values are built by named constructors
from rows and records, so they can be compared, hashed, pickled and tested as data.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs

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


@attrs.frozen(order=True)
class FunctionRef:
    """Identity of a function: a file path and a ``__qualname__``-style name.

    Written ``path::qualname``, for example ``src/flask/app.py::Flask.wsgi_app``.
    """

    path: str
    """Path of the file, relative to the repository root, with ``/`` separators."""
    qualname: str
    """Qualified name after ``__qualname__``: ``Class.method``, ``outer.<locals>.inner``;
    a name defined again in the same file gets ``#2``, ``#3``... in source order."""

    def __str__(self) -> str:
        return f"{self.path}::{self.qualname}"

    @classmethod
    def parse(cls, text: str) -> FunctionRef:
        """Read the canonical ``path::qualname`` form.

        Raises:
            ValueError: ``text`` has no ``::`` separator or an empty side.

        """
        path, sep, qualname = text.partition("::")
        if not sep or not path or not qualname:
            raise ValueError(f"expected 'path::qualname', got {text!r}")
        return cls(path, qualname)


class ChangeType(enum.Enum):
    """What a change did to a function (after CodeShovel's taxonomy); a change has a set."""

    INTRODUCED = "introduced"
    """The function appeared (no earlier version in its lineage)."""
    BODY = "body"
    """Statements of the body changed."""
    SIGNATURE = "signature"
    """Parameters, their defaults or annotations, or the return annotation changed."""
    DECORATOR = "decorator"
    """Decorators were added, removed or changed."""
    DOCSTRING = "docstring"
    """The docstring changed."""
    COSMETIC = "cosmetic"
    """Only whitespace, comments or formatting changed: the syntax tree is the same."""
    RENAME = "rename"
    """The function's name (or an enclosing class's name) changed."""
    FILE_RENAME = "file_rename"
    """The file holding the function was renamed or moved (git's rename detection)."""
    MOVE = "move"
    """The function moved to another file."""
    DELETED = "deleted"
    """The function was removed."""

    @property
    def bit(self) -> int:
        """The flag bit of this type in the index's integer encoding."""
        return 1 << _TYPE_ORDER.index(self)

    @staticmethod
    def from_bits(bits: int) -> tuple[ChangeType, ...]:
        """Decode the index's integer encoding into types in canonical order."""
        return tuple(t for i, t in enumerate(_TYPE_ORDER) if bits >> i & 1)

    @staticmethod
    def to_bits(types: tuple[ChangeType, ...] | frozenset[ChangeType]) -> int:
        """Encode types as the index's integer flags."""
        bits = 0
        for t in types:
            bits |= t.bit
        return bits


_TYPE_ORDER: tuple[ChangeType, ...] = tuple(ChangeType)


class ChangeKind(enum.Enum):
    """How a change relates the function's old and new identity."""

    ADDED = "added"
    MODIFIED = "modified"
    RENAMED = "renamed"
    """Same file, new qualified name."""
    MOVED = "moved"
    """Another file: a move of the function or a rename of its file."""
    DELETED = "deleted"


def _iso(ts: int, offset_minutes: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone(timedelta(minutes=offset_minutes)))


@attrs.frozen
class Change:
    """One change of one function in one commit: the export record of the index."""

    commit: str
    """Full hex id of the commit that made the change."""
    parent: str | None
    """The parent the commit was compared with (``None`` for a root commit)."""
    authored_at: datetime
    """Author time, timezone-aware with the author's offset."""
    committed_at: datetime
    """Committer time, timezone-aware with the committer's offset."""
    author_name: str
    """Author name after the repository's ``.mailmap``."""
    author_email: str
    """Author email after ``.mailmap``; authors are keyed by it."""
    path: str
    """File of the function after the change (before it, for ``deleted``)."""
    qualname: str
    """Qualified name after the change (before it, for ``deleted``)."""
    old_path: str | None
    """File before the change; ``None`` for ``added``."""
    old_qualname: str | None
    """Qualified name before the change; ``None`` for ``added``."""
    kind: ChangeKind
    """``added``, ``modified``, ``renamed``, ``moved`` or ``deleted``."""
    change_types: tuple[ChangeType, ...]
    """What changed, in canonical order."""
    lines_added: int
    """Lines added inside the function's new span."""
    lines_removed: int
    """Lines removed from the function's old span."""
    complexity: int | None
    """Cyclomatic complexity of the new version as radon computes it; ``None`` for
    ``deleted``."""
    lineage: str
    """Stable id of the function across renames and moves."""
    start_line: int
    """First line (first decorator) of the new version; of the old one for ``deleted``."""
    end_line: int
    """Last line of the new version; of the old one for ``deleted``."""

    @property
    def ref(self) -> FunctionRef:
        """The function this change is about, as named after the change."""
        return FunctionRef(self.path, self.qualname)

    @property
    def is_cosmetic(self) -> bool:
        """Whether the change touched only formatting or comments."""
        return self.change_types == (ChangeType.COSMETIC,)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready export record (field order as documented)."""
        return {
            "commit": self.commit,
            "parent": self.parent,
            "authored_at": self.authored_at.isoformat(),
            "committed_at": self.committed_at.isoformat(),
            "author_name": self.author_name,
            "author_email": self.author_email,
            "path": self.path,
            "qualname": self.qualname,
            "old_path": self.old_path,
            "old_qualname": self.old_qualname,
            "kind": self.kind.value,
            "change_types": [t.value for t in self.change_types],
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
            "complexity": self.complexity,
            "lineage": self.lineage,
            "start_line": self.start_line,
            "end_line": self.end_line,
        }

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Change:
        """Build from an index row (see ``loopintel.store`` for the column order)."""
        (
            commit,
            parent,
            a_time,
            a_off,
            c_time,
            c_off,
            a_name,
            a_email,
            path,
            qualname,
            old_path,
            old_qualname,
            kind,
            types,
            added,
            removed,
            complexity,
            lineage,
            start,
            end,
        ) = row
        return cls(
            commit=commit,
            parent=parent,
            authored_at=_iso(a_time, a_off),
            committed_at=_iso(c_time, c_off),
            author_name=a_name,
            author_email=a_email,
            path=path,
            qualname=qualname,
            old_path=old_path,
            old_qualname=old_qualname,
            kind=ChangeKind(kind),
            change_types=ChangeType.from_bits(types),
            lines_added=added,
            lines_removed=removed,
            complexity=complexity,
            lineage=lineage,
            start_line=start,
            end_line=end,
        )


@attrs.frozen
class Function:
    """A function as it is at the indexed head."""

    ref: FunctionRef
    """Its identity."""
    start_line: int
    """First line, counting decorators."""
    end_line: int
    """Last line."""
    complexity: int | None
    """Cyclomatic complexity (radon), ``None`` if it could not be computed."""
    lineage: str
    """Stable id across renames and moves."""
    last_commit: str
    """The commit of its latest change of any kind."""

    @property
    def path(self) -> str:
        """File of the function."""
        return self.ref.path

    @property
    def qualname(self) -> str:
        """Qualified name of the function."""
        return self.ref.qualname

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "path": self.ref.path,
            "qualname": self.ref.qualname,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "complexity": self.complexity,
            "lineage": self.lineage,
            "last_commit": self.last_commit,
        }


@attrs.frozen
class Skip:
    """A file version whose functions could not be read, and why."""

    commit: str
    """The commit in which the version appeared."""
    path: str
    """The file."""
    blob: str
    """Hex id of the file version."""
    reason: str
    """Why it was skipped (``binary``, ``too large``, ``syntax error ...``)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class IndexProgress:
    """Progress of one indexing run, passed to the ``progress`` callback."""

    done: int
    """Commits processed so far in this run."""
    total: int
    """Commits this run has to process."""
    phase: str
    """``scan``, ``extract``, ``lineage`` or ``write``."""


@attrs.frozen
class IndexSummary:
    """What an indexing run did."""

    head: str | None
    """The indexed commit (``None`` for an empty repository)."""
    commits_indexed: int
    """Commits processed by this run."""
    commits_total: int
    """Commits in the index after the run."""
    commits_removed: int
    """Commits dropped because the history was rewritten."""
    changes: int
    """Function changes recorded by this run."""
    skipped: int
    """File versions recorded as skipped by this run."""
    seconds: float
    """Wall time of the run."""
    shallow: bool
    """Whether the repository is a shallow clone (history before its graft is absent)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class Expert:
    """Someone who knows a function, with the evidence (degree of authorship)."""

    name: str
    """Author name after ``.mailmap`` (as on their latest change of it)."""
    email: str
    """Author email after ``.mailmap``: the author's key."""
    doa: float
    """Degree of authorship, decayed by age (see ``docs/functions.md``)."""
    share: float
    """``doa`` relative to the top author of this function (1.0 for the top)."""
    first_author: bool
    """Whether they introduced it."""
    own_changes: int
    """Their non-cosmetic changes of it."""
    others_changes: int
    """Everybody else's non-cosmetic changes of it."""
    last_touch: datetime
    """Their latest change of it (UTC)."""
    active: bool
    """Whether they made any commit in the repository recently enough (see
    ``inactive_after_days``)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        record = attrs.asdict(self)
        record["last_touch"] = self.last_touch.isoformat()
        return record


@attrs.frozen
class Stability:
    """How much a function has been changing lately (non-cosmetic changes only).

    Windows are counted back from the indexed head's commit time, not from today, so
    the answer does not drift while the index stands still.
    """

    changes_30d: int
    """Changes in the 30 days before the indexed head."""
    changes_90d: int
    """Changes in the 90 days before the indexed head."""
    changes_365d: int
    """Changes in the 365 days before the indexed head."""
    churn_365d: int
    """Lines added plus removed by those changes."""
    age_days: float | None
    """Days since it was introduced (``None`` if that is before the indexed history)."""
    days_since_change: float | None
    """Days since its latest change."""
    classification: str
    """``volatile`` (3+ changes in 365 days or 2+ in 90), ``active`` (any change in 365
    days) or ``stable`` (none); see ``docs/functions.md`` for the data behind it."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@attrs.frozen
class FunctionCoverage:
    """A function's line coverage in one imported snapshot.

    Only the function's body counts: the ``def`` line, decorators and signature run
    when the definition is executed (at import), so they never make it covered. Lines
    of a function nested in it count for the nested one.
    """

    ref: FunctionRef
    """The function as named at the commit the data was measured at."""
    covered: int
    """Coverable lines of its body that ran."""
    coverable: int
    """Lines of its body that could run."""
    missing: tuple[int, ...]
    """Line numbers (in the measured version) that could run and did not."""
    tests: tuple[str, ...] | None
    """Tests that ran any of its lines; ``None`` when the data has no per-test contexts
    (an empty tuple means the data has them and no test ran it)."""
    commit: str
    """The commit the data was measured at."""
    snapshot: int
    """The snapshot's id (see :meth:`loopintel.Repository.coverage_snapshots`)."""
    format: str
    """The file format it was imported from."""
    imported_at: datetime
    """When it was imported (UTC)."""
    start_line: int
    """First line of the function in the measured version."""
    end_line: int
    """Last line of the function in the measured version."""

    @property
    def ratio(self) -> float | None:
        """``covered / coverable``, or ``None`` when its body has no coverable line.

        That is a one-line function (its body is on the ``def`` line, which runs at
        import) or a body left out of measurement (``# pragma: no cover``).
        """
        return self.covered / self.coverable if self.coverable else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        record = attrs.asdict(self, recurse=False)
        record["ref"] = str(self.ref)
        record["ratio"] = self.ratio
        record["missing"] = list(self.missing)
        record["tests"] = None if self.tests is None else list(self.tests)
        record["imported_at"] = self.imported_at.isoformat()
        return record

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> FunctionCoverage:
        """Build from a stored row (``COVERAGE_COLUMNS`` of the store, decoded)."""
        (snapshot, commit, fmt, _, imported, _, path, qualname, start, end, covered,
         coverable, missing, tests) = row  # fmt: skip
        return cls(
            ref=FunctionRef(path, qualname),
            covered=covered,
            coverable=coverable,
            missing=missing,
            tests=tests,
            commit=commit,
            snapshot=snapshot,
            format=fmt,
            imported_at=_utc(imported),
            start_line=start,
            end_line=end,
        )


@attrs.frozen
class CoverageSnapshot:
    """One imported coverage file, mapped to the functions of the commit it measured."""

    id: int
    """Its id in the index."""
    commit: str
    """The commit the data was measured at."""
    format: str
    """``coverage.py`` (data file), ``json``, ``cobertura`` or ``lcov``."""
    source: str
    """The file imported."""
    imported_at: datetime
    """When it was imported (UTC)."""
    measured_at: datetime | None
    """When the data was written, if the format says (UTC)."""
    has_contexts: bool
    """Whether it says which tests ran which lines."""
    files: int
    """Measured files found in the commit's tree."""
    functions: int
    """Functions of those files."""
    covered_lines: int
    """Coverable lines that ran, over those files."""
    coverable_lines: int
    """Lines that could run, over those files."""
    unmatched: tuple[str, ...]
    """Measured paths not found in the commit's tree (other packages, generated code)."""
    stale: tuple[str, ...]
    """Files whose data names lines past the end of the commit's version: the data was
    probably measured on other source than that commit (uncommitted edits)."""

    @property
    def ratio(self) -> float | None:
        """Line coverage over the files found."""
        return self.covered_lines / self.coverable_lines if self.coverable_lines else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        record = attrs.asdict(self, recurse=False)
        record["imported_at"] = self.imported_at.isoformat()
        record["measured_at"] = self.measured_at.isoformat() if self.measured_at else None
        record["unmatched"] = list(self.unmatched)
        record["stale"] = list(self.stale)
        record["ratio"] = self.ratio
        return record

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> CoverageSnapshot:
        """Build from a row of the store's ``coverage_snapshots()``."""
        (id_, commit, fmt, source, imported, measured, contexts, unmatched, stale, files,
         functions, covered, coverable) = row  # fmt: skip
        return cls(
            id=id_,
            commit=commit,
            format=fmt,
            source=source,
            imported_at=_utc(imported),
            measured_at=None if measured is None else _utc(measured),
            has_contexts=bool(contexts),
            files=files,
            functions=functions,
            covered_lines=covered,
            coverable_lines=coverable,
            unmatched=unmatched,
            stale=stale,
        )


@attrs.frozen
class DeprecatedName:
    """A configured deprecated name that a function imports, calls or otherwise uses."""

    name: str
    """The dotted name as the function's imports resolve it (``myapp.legacy.helper``)."""
    line: int
    """Line of the use in the file."""
    prefix: str
    """The configured prefix it falls under (``myapp.legacy``)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class DeprecationMark:
    """A sign in a function's own code that it is deprecated."""

    kind: str
    """``decorator`` (``@deprecated``...), ``warning`` (``warnings.warn`` with a
    deprecation category) or ``docstring`` (a ``.. deprecated::`` directive)."""
    name: str
    """The decorator's dotted name, the warning's category, or ``deprecated``."""
    line: int
    """Line of the mark in the file."""
    message: str | None
    """The message, when the code spells it as a string literal."""
    conditional: bool
    """Whether the mark applies only on some calls: a warning inside an ``if``, a loop
    or an exception handler (a deprecated argument or name, not the whole function)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class Deprecation:
    """Whether a function is deprecated code: marked so, or using deprecated names.

    Read from the function's source (see ``docs/functions.md`` for which version).
    ``deprecated`` is ``None`` when that version cannot be parsed exactly: the answer
    is unknown, not "no".
    """

    ref: FunctionRef
    """The function as named in the version read."""
    commit: str | None
    """The commit whose version was read (``None`` if there is none to read)."""
    deprecated: bool | None
    """Marked deprecated (unconditionally), using a deprecated name, or defined inside a
    deprecated module; ``None``: unknown (see ``unknown_reason``)."""
    marks: tuple[DeprecationMark, ...]
    """Signs in its own code that it is deprecated, in line order."""
    touches: tuple[DeprecatedName, ...]
    """Deprecated names it imports or uses, in line order (one per name and line)."""
    within: str | None
    """The configured prefix that its own module falls under, if any."""
    prefixes: tuple[str, ...]
    """The deprecated module prefixes the answer was computed with."""
    unknown_reason: str | None
    """Why the answer is unknown (a syntax error, the file or function not found)."""

    @property
    def marked(self) -> bool:
        """Whether it is itself marked deprecated on every call."""
        return any(not m.conditional for m in self.marks)

    @property
    def message(self) -> str | None:
        """The first message of an unconditional mark, if the code spells one."""
        return next((m.message for m in self.marks if not m.conditional and m.message), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``marked`` and ``message`` included)."""
        return {
            "path": self.ref.path,
            "qualname": self.ref.qualname,
            "commit": self.commit,
            "deprecated": self.deprecated,
            "marked": self.marked,
            "message": self.message,
            "marks": [m.to_dict() for m in self.marks],
            "touches": [t.to_dict() for t in self.touches],
            "within": self.within,
            "prefixes": list(self.prefixes),
            "unknown_reason": self.unknown_reason,
        }


@attrs.frozen
class ComplexityPoint:
    """A function's cyclomatic complexity after one of its changes."""

    commit: str
    """The commit of the change."""
    authored_at: datetime
    """Author time of the change, with the author's offset."""
    complexity: int
    """Cyclomatic complexity of the version the change made."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "commit": self.commit,
            "authored_at": self.authored_at.isoformat(),
            "complexity": self.complexity,
        }


@attrs.frozen
class ComplexityTrend:
    """Where a function's complexity has been going (non-cosmetic changes only).

    Like :class:`Stability`, windows count back from the indexed head's commit time.
    """

    points: int
    """Versions with a known complexity."""
    first: int | None
    """Complexity of the earliest of them."""
    latest: int | None
    """Complexity of the latest of them."""
    min: int | None
    """Lowest complexity over the history."""
    max: int | None
    """Highest complexity over the history."""
    change_365d: int | None
    """``latest`` minus the complexity 365 days before the indexed head (its first
    version, if it is younger)."""
    slope_per_year: float | None
    """Least-squares slope of complexity over author time, per year (``None`` when the
    history spans less than ``MIN_TREND_DAYS``)."""
    direction: str
    """``rising`` or ``falling`` when ``slope_per_year`` is at least
    ``TREND_SLOPE_PER_YEAR`` either way, else ``flat``; ``young`` when the history is
    shorter than ``MIN_TREND_DAYS`` (no slope)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


def _count_files(files: tuple[str, ...]) -> str:
    return f"<{len(files)} files>"


@attrs.frozen
class KeyAuthor:
    """An author the truck factor of a module counts, in the order they were removed."""

    name: str
    """Author name after ``.mailmap`` (as on their latest change in the module)."""
    email: str
    """Author email after ``.mailmap``: the author's key."""
    files: int
    """Files of the module they are an author of (see ``docs/ownership.md``)."""
    orphaned: int
    """Files left without any author when they, after those before them, were removed."""
    active: bool
    """Whether they made any commit in the repository recently enough (see
    ``inactive_after_days``)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class TruckFactor:
    """How many authors a module can lose before most of its files have no author left.

    After Avelino et al.: authors are removed greedily, the one who authors the most
    files first, until more than half of the files are left without an author.
    """

    path: str
    """The file or directory, relative to the repository root (``.`` for all of it)."""
    factor: int
    """The truck factor: how many authors were removed."""
    files: int
    """Files counted: those at the indexed head with at least one function."""
    authored: int
    """Files that had at least one author before any removal."""
    authors: tuple[KeyAuthor, ...]
    """The authors removed, in order."""
    orphaned: tuple[str, ...] = attrs.field(repr=_count_files)
    """The files left without an author once they are gone, sorted."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``authors`` as a list of dicts, ``orphaned`` as a list)."""
        return {
            "path": self.path,
            "factor": self.factor,
            "files": self.files,
            "authored": self.authored,
            "authors": [a.to_dict() for a in self.authors],
            "orphaned": list(self.orphaned),
        }
