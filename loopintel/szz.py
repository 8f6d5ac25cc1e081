"""SZZ that follows functions: from a fix commit to the commits that introduced what it fixed.

For each line the fix deleted or changed (blank, comment-only and docstring lines, and
lines it only re-indented or reflowed, left out), the commit that last changed that
line before the fix is found by walking back through the changes the index recorded for
the line's function, *its lineage*: across renames of the function, renames of its
file and moves to another file or class, which ``git blame`` cannot follow. A commit
that changed the line only cosmetically (whitespace, comments, reflowing) is passed
over, so a reformatting commit is never blamed. Lines at module or class level are
followed through the history of their file, as ``git blame`` would.

When the fix deletes or changes no such line (it only adds code), the lines beside each
addition are traced instead: the nearest line with content above it and below it,
within the same function; they count less (:attr:`SZZOptions.context_weight`).

Lines in test files are left out unless the fix changed nothing else. When the issue's
creation date is known, commits written after it are dropped (kept apart in
:attr:`~loopintel.SZZResult.dropped`).
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

import attrs

from loopintel.analysis.szz import changed_lines, content, follow
from loopintel.errors import InvalidQuery, MissingObject
from loopintel.languages import python
from loopintel.languages.layout import innermost
from loopintel.model import ChangeKind, FunctionRef
from loopintel.model.szz import FixedLine, InducingCommit, LineRole, SZZResult, TraceStep
from loopintel.store.queries import ChangeQuery

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopintel.history.git import GitRepository
    from loopintel.languages.layout import Span
    from loopintel.model import Change
    from loopintel.store import Store

__all__ = ["SZZ", "SZZOptions", "is_test_path"]

_TEST_PART = re.compile(r"(^|/)(tests?|testing)/")
_TEST_NAME = re.compile(r"(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")


def is_test_path(path: str) -> bool:
    """Whether a path is a test file.

    Under ``test/``, ``tests/`` or ``testing/``, or named ``test_*.py``, ``*_test.py``,
    ``*_tests.py`` or ``conftest.py``.
    """
    return bool(_TEST_PART.search(path) or _TEST_NAME.search(path))


@attrs.frozen(kw_only=True)
class SZZOptions:
    """How SZZ traces a fix."""

    tests: bool = False
    """Trace lines in test files too (they are traced anyway when the fix changed
    nothing else)."""
    outside_functions: bool = True
    """Trace lines at module and class level through their file's history."""
    context_weight: float = 0.5
    """What a line beside an addition counts, against 1 for a line the fix changed."""
    sweeping: int | None = 100
    """A commit that changed more functions than this is set apart as sweeping (an
    import, a mass refactoring) rather than named as inducing; ``None``: never."""
    cache_size: int = 256
    """File versions kept parsed."""


class _Version(NamedTuple):
    lines: tuple[str, ...]
    blob: str


class _Group:
    """Lines being followed back, all in one function (or file) at one version."""

    def __init__(
        self, version: str, path: str, qualname: str | None, start: int, text: Sequence[str]
    ) -> None:
        self.version = version
        self.path = path
        self.qualname = qualname
        self.start = start
        """The file line of ``text``'s first line."""
        self.text = list(text)
        self.lines: dict[int, int] = {}
        """Each line (1-based in ``text``) to the index of the fixed line it is."""


class _Trace:
    """What is known of one fixed line while it is followed."""

    def __init__(self, line: FixedLine, weight: float) -> None:
        self.line = line
        self.weight = weight
        self.origin: tuple[str, str, str | None, int] | None = None
        """Commit, path, qualname and line where it was written."""
        self.steps: list[TraceStep] = []


class _Ancestry:
    """Whether one indexed commit is an ancestor of another, from the index's graph.

    The index numbers commits in graph order (parents first), so a walk from the
    younger commit need not go below the older one's number; git answers for commits
    the index does not hold.
    """

    def __init__(self, git: GitRepository, store: Store) -> None:
        self._git = git
        self._store = store
        self._graph: tuple[dict[str, int], dict[str, tuple[str, ...]]] | None = None
        self._known: dict[tuple[str, str], bool] = {}

    def __call__(self, ancestor: str, commit: str) -> bool:
        if ancestor == commit:
            return True
        key = (ancestor, commit)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = self._walk(ancestor, commit)
        return found

    def _walk(self, ancestor: str, commit: str) -> bool:
        if self._graph is None:
            rows = self._store.commit_times()
            self._graph = ({sha: seq for sha, _, seq in rows}, self._store.parents())
        seqs, parents = self._graph
        low, high = seqs.get(ancestor), seqs.get(commit)
        if low is None or high is None:
            return self._git.is_ancestor(ancestor, commit)
        if low > high:
            return False
        seen = {commit}
        stack = [commit]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent == ancestor:
                    return True
                if parent not in seen and seqs.get(parent, -1) > low:
                    seen.add(parent)
                    stack.append(parent)
        return False


class SZZ:
    """Traces fix commits of one indexed repository (see the module's docstring)."""

    def __init__(self, git: GitRepository, store: Store, options: SZZOptions | None = None) -> None:
        self._git = git
        self._store = store
        self._options = options or SZZOptions()
        self._versions: OrderedDict[tuple[str, str], _Version | None] = OrderedDict()
        self._is_ancestor = _Ancestry(git, store)
        self._parsed: OrderedDict[str, tuple[dict[str, Span] | None, frozenset[int]]] = (
            OrderedDict()
        )

    # -- the answer ---------------------------------------------------------------------

    def inducing(
        self,
        fix: str,
        *,
        issue_date: datetime | None = None,
        paths: Sequence[str] | None = None,
    ) -> SZZResult:
        """The commits that introduced what ``fix`` fixed, strongest first.

        Args:
            fix: the fix commit (full sha).
            issue_date: when the bug was reported (timezone-aware): commits written
                after it are dropped.
            paths: only lines of these files (or files under these directories).

        Raises:
            InvalidQuery: ``issue_date`` is naive.

        """
        if issue_date is not None and issue_date.tzinfo is None:
            raise InvalidQuery("issue_date", issue_date, "a timezone-aware datetime")
        parents = self._git.parent_ids(fix)
        if not parents:
            return SZZResult(
                fix=fix,
                parent=None,
                issue_date=issue_date,
                inducing=(),
                notes=("a root commit has nothing before it to blame",),
            )
        parent = parents[0]
        notes: list[str] = []
        if len(parents) > 1:
            notes.append(f"a merge: compared with its first parent {parent[:12]}")
        traces = self._fixed_lines(fix, parent, paths, notes)
        self._trace(fix, parent, traces, notes)
        return self._result(fix, parent, issue_date, traces, notes)

    def for_linker(
        self, fix: str, issue_date: datetime | None
    ) -> list[tuple[InducingCommit, tuple[str, ...]]]:
        """The inducing commits of a fix with the lineages traced to each (for links)."""
        return [
            (found, found.lineages) for found in self.inducing(fix, issue_date=issue_date).inducing
        ]

    # -- which lines ----------------------------------------------------------------------

    def _fixed_lines(
        self, fix: str, parent: str, paths: Sequence[str] | None, notes: list[str]
    ) -> list[_Trace]:
        lineages = {
            (c.old_path or c.path, c.old_qualname or c.qualname): c.lineage
            for c in self._store.changes(ChangeQuery(commits=(fix,)))
            if c.kind is not ChangeKind.ADDED
        }
        found: dict[str, list[_Trace]] = {}
        added: dict[str, list[_Trace]] = {}
        for delta in self._git.file_deltas(parent, fix):
            path = delta.old_path
            if path is None or delta.old_blob is None or delta.new_blob is None:
                continue
            if paths is not None and not any(_under(p, path) for p in paths):
                continue
            old = self._version(parent, path)
            new = self._version(fix, delta.new_path or path)
            hunks = delta.hunks
            if old is None or new is None or hunks is None:
                continue
            lines, additions = changed_lines(old.lines, new.lines, hunks)
            docs = self._docstrings(old)
            spans = list((self._spans(old) or {}).values())
            for number, deleted in lines:
                if number in docs:
                    continue
                role = LineRole.DELETED if deleted else LineRole.CHANGED
                found.setdefault(path, []).append(
                    self._line(path, number, old, spans, role, lineages, parent)
                )
            for addition in additions:
                for number in _beside(old.lines, addition.after, spans, docs):
                    added.setdefault(path, []).append(
                        self._line(path, number, old, spans, LineRole.CONTEXT, lineages, parent)
                    )
        chosen = found or added
        if not found and added:
            notes.append("the fix only adds code: the lines beside each addition are traced")
        if not self._options.tests:
            kept = {path: t for path, t in chosen.items() if not is_test_path(path)}
            if kept and len(kept) < len(chosen):
                notes.append(
                    "lines in test files are left out: "
                    + ", ".join(sorted(set(chosen) - set(kept)))
                )
                chosen = kept
        if not self._options.outside_functions:
            chosen = {p: [t for t in ts if t.line.function is not None] for p, ts in chosen.items()}
        return [trace for path in sorted(chosen) for trace in chosen[path]]

    def _line(
        self,
        path: str,
        number: int,
        version: _Version,
        spans: Sequence[Span],
        role: LineRole,
        lineages: dict[tuple[str, str], str],
        parent: str,
    ) -> _Trace:
        span = innermost(spans, number)
        qualname = None if span is None else span.qualname
        lineage = None
        if qualname is not None:
            lineage = lineages.get((path, qualname)) or self._lineage_at(parent, path, qualname)
        line = FixedLine(
            path=path,
            line=number,
            text=version.lines[number - 1].strip(),
            role=role,
            function=None if qualname is None else FunctionRef(path, qualname),
            lineage=lineage,
            origin=None,
            origin_path=None,
            origin_line=None,
        )
        weight = self._options.context_weight if role is LineRole.CONTEXT else 1.0
        return _Trace(line, weight)

    def _lineage_at(self, sha: str, path: str, qualname: str) -> str | None:
        named = self._store.lineages_named(path, qualname)
        seq = self._store.commit_seq(sha)
        before = [(first, lineage) for lineage, first, _ in named if seq is None or first <= seq]
        return max(before)[1] if before else None

    # -- following lines back ---------------------------------------------------------------

    def _trace(self, fix: str, parent: str, traces: Sequence[_Trace], notes: list[str]) -> None:
        by_function: dict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
        for index, trace in enumerate(traces):
            line = trace.line
            qualname = None if line.function is None else line.function.qualname
            lineage = line.lineage if qualname is not None else None
            by_function[line.path, qualname, lineage].append(index)
        for (path, qualname, lineage), indexes in by_function.items():
            version = self._version(parent, path)
            if version is None:
                continue
            spans = self._spans(version) if qualname is not None else None
            if qualname is not None and lineage is not None and spans:
                span = spans[qualname]
                group = _Group(
                    parent, path, qualname, span.start, version.lines[span.start - 1 : span.end]
                )
                for index in indexes:
                    group.lines[traces[index].line.line - span.start + 1] = index
                left = self._follow_function(fix, lineage, group, traces)
            else:
                group = _Group(parent, path, None, 1, version.lines)
                for index in indexes:
                    group.lines[traces[index].line.line] = index
                left = self._follow_file(group, traces)
            if left:
                where = f"{path}::{qualname}" if qualname else path
                notes.append(
                    f"{left} line{'s' if left != 1 else ''} of {where} reach back past the "
                    "indexed history"
                )

    def _follow_function(
        self, fix: str, lineage: str, start: _Group, traces: Sequence[_Trace]
    ) -> int:
        groups = [start]
        fix_seq = self._store.commit_seq(fix)
        changes = [
            change
            for change in self._store.changes(ChangeQuery(lineages=(lineage,), newest_first=True))
            if change.commit != fix and change.kind is not ChangeKind.DELETED
        ]
        for position, change in enumerate(changes):
            if not groups:
                break
            seq = self._store.commit_seq(change.commit)
            if fix_seq is not None and seq is not None and seq >= fix_seq:
                continue
            before = changes[position + 1] if position + 1 < len(changes) else None
            groups = self._through(change, before, groups, traces)
        return sum(len(g.lines) for g in groups)

    def _through(
        self,
        change: Change,
        before: Change | None,
        groups: list[_Group],
        traces: Sequence[_Trace],
    ) -> list[_Group]:
        """Groups after passing back through one change of their lineage.

        ``before`` is the lineage's change before it (if any): where it left the
        function is looked for in the parent's file before the file is parsed.
        """
        here = [g for g in groups if self._is_ancestor(change.commit, g.version)]
        version = self._version(change.commit, change.path) if here else None
        if version is None:
            return groups
        rest = [g for g in groups if g not in here]
        new = _Group(
            change.commit,
            change.path,
            change.qualname,
            change.start_line,
            version.lines[change.start_line - 1 : change.end_line],
        )
        rest.extend(self._forward(new, here))
        if not new.lines:
            return rest
        old_path = change.old_path or change.path
        old_qualname = change.old_qualname or change.qualname
        olds: list[_Group] = []
        if change.kind is not ChangeKind.ADDED and change.parent is not None:
            parents = [change.parent]
            parents += [p for p in self._git.parent_ids(change.commit) if p != change.parent]
            for parent in parents:
                old = self._version(parent, old_path)
                if old is None:
                    continue
                start = self._located(parent, old, before, old_path, old_qualname)
                if start is not None:
                    olds.append(start)
                    continue
                span = (self._spans(old) or {}).get(old_qualname)
                if span is not None:
                    text = old.lines[span.start - 1 : span.end]
                    olds.append(_Group(parent, old_path, old_qualname, span.start, text))
        return _merged(rest + self._back(new, olds, _moved(change), traces))

    def _forward(self, new: _Group, groups: Sequence[_Group]) -> list[_Group]:
        """Moves the groups' lines into ``new`` (a version they descend from).

        Lines not in ``new``'s text came in another way (through a merge): their groups
        are returned, holding only them.
        """
        left: list[_Group] = []
        for group in groups:
            if (
                group.version == new.version
                and group.start == new.start
                and (group.text == new.text)
            ):
                new.lines.update(group.lines)
                continue
            trace = follow(
                new.text,
                group.text,
                self._git.text_hunks(_joined(new.text), _joined(group.text)),
                group.lines,
            )
            for line, index in group.lines.items():
                if line in trace.mapped:
                    new.lines[trace.mapped[line]] = index
            unmapped = {line: i for line, i in group.lines.items() if line not in trace.mapped}
            if unmapped:
                group.lines = unmapped
                left.append(group)
        return left

    def _back(
        self, new: _Group, olds: Sequence[_Group], why: str | None, traces: Sequence[_Trace]
    ) -> list[_Group]:
        """The lines of ``new`` that were already in one of its parents' versions, there.

        The other lines were written by ``new``'s commit. Parents are tried in order
        (the one the change was recorded against first, a merge's others after).
        """
        left = dict(new.lines)
        out: list[_Group] = []
        for position, old in enumerate(olds):
            if not left:
                break
            trace = follow(
                old.text,
                new.text,
                self._git.text_hunks(_joined(old.text), _joined(new.text)),
                left,
            )
            for line, index in list(left.items()):
                if line in trace.written:
                    continue
                old.lines[trace.mapped[line]] = index
                del left[line]
                reason = "cosmetic" if line in trace.cosmetic else why
                if position > 0:
                    reason = "merged"
                if reason is not None:
                    traces[index].steps.append(
                        TraceStep(
                            commit=new.version,
                            path=new.path,
                            qualname=new.qualname,
                            why=reason,
                            old_path=old.path,
                            old_qualname=old.qualname,
                        )
                    )
            if old.lines:
                out.append(old)
        for line, index in left.items():
            traces[index].origin = (new.version, new.path, new.qualname, new.start + line - 1)
        return out

    def _follow_file(self, start: _Group, traces: Sequence[_Trace]) -> int:
        groups = [start]
        for sha in self._git.path_history(start.version, start.path):
            if not groups:
                break
            here = [g for g in groups if self._is_ancestor(sha, g.version)]
            version = self._version(sha, start.path) if here else None
            if version is None:
                continue
            groups = [g for g in groups if g not in here]
            new = _Group(sha, start.path, None, 1, version.lines)
            groups.extend(self._forward(new, here))
            if not new.lines:
                continue
            olds = []
            for parent in self._git.parent_ids(sha):
                old = self._version(parent, start.path)
                if old is not None:
                    olds.append(_Group(parent, start.path, None, 1, old.lines))
            groups = _merged(groups + self._back(new, olds, None, traces))
        return sum(len(g.lines) for g in groups)

    # -- the result -----------------------------------------------------------------------

    def _result(
        self,
        fix: str,
        parent: str,
        issue_date: datetime | None,
        traces: Sequence[_Trace],
        notes: list[str],
    ) -> SZZResult:
        lines = tuple(
            attrs.evolve(
                t.line,
                origin=None if t.origin is None else t.origin[0],
                origin_path=None if t.origin is None else t.origin[1],
                origin_line=None if t.origin is None else t.origin[3],
                steps=tuple(t.steps),
            )
            for t in traces
        )
        by_commit: dict[str, list[int]] = defaultdict(list)
        for index, trace in enumerate(traces):
            if trace.origin is not None:
                by_commit[trace.origin[0]].append(index)
        found: list[InducingCommit] = []
        dropped: list[InducingCommit] = []
        sweeping: list[InducingCommit] = []
        for sha, indexes in by_commit.items():
            meta = self._meta(sha)
            functions: dict[FunctionRef, None] = {}
            lineages: dict[str, None] = {}
            for index in indexes:
                origin = traces[index].origin
                assert origin is not None
                if origin[2] is not None:
                    functions[FunctionRef(origin[1], origin[2])] = None
                lineage = traces[index].line.lineage
                if lineage is not None:
                    lineages[lineage] = None
            candidate = InducingCommit(
                commit=sha,
                authored_at=meta[0],
                author_name=meta[1],
                author_email=meta[2],
                summary=meta[3],
                score=round(sum(traces[i].weight for i in indexes), 6),
                functions=tuple(functions),
                lineages=tuple(lineages),
                evidence=tuple(lines[i] for i in indexes),
            )
            late = issue_date is not None and candidate.authored_at > issue_date
            limit = self._options.sweeping
            if late:
                dropped.append(candidate)
            elif limit is not None and self._store.changes_in(sha) > limit:
                sweeping.append(candidate)
            else:
                found.append(candidate)
        order = lambda c: (-c.score, -c.authored_at.timestamp(), c.commit)  # noqa: E731
        if dropped:
            notes.append(
                f"{len(dropped)} commit{'s' if len(dropped) != 1 else ''} written after the "
                "issue date dropped"
            )
        if sweeping:
            notes.append(
                f"{len(sweeping)} commit{'s' if len(sweeping) != 1 else ''} that changed more "
                f"than {self._options.sweeping} functions at once set apart as sweeping"
            )
        return SZZResult(
            fix=fix,
            parent=parent,
            issue_date=issue_date,
            inducing=tuple(sorted(found, key=order)),
            dropped=tuple(sorted(dropped, key=order)),
            sweeping=tuple(sorted(sweeping, key=order)),
            lines=lines,
            notes=tuple(notes),
        )

    def _meta(self, sha: str) -> tuple[datetime, str, str, str]:
        known = self._store.commits([sha])
        if known:
            commit = known[0]
            return commit.authored_at, commit.author.name, commit.author.email, commit.summary
        meta = self._git.meta(sha, tuple(self._git.parent_ids(sha)))
        when = datetime.fromtimestamp(meta.authored_at, UTC)
        return when, meta.author_name, meta.author_email, meta.summary

    def _located(
        self, parent: str, old: _Version, before: Change | None, path: str, qualname: str
    ) -> _Group | None:
        """The function in ``old`` found as its earlier change left it, without a parse."""
        if before is None or before.path != path or before.qualname != qualname:
            return None
        earlier = self._version(before.commit, before.path)
        if earlier is None:
            return None
        text = earlier.lines[before.start_line - 1 : before.end_line]
        if not text:
            return None
        lines = old.lines
        size = len(text)
        starts = [
            number
            for number, line in enumerate(lines, 1)
            if line == text[0] and lines[number - 1 : number - 1 + size] == text
        ]
        if not starts:
            return None
        start = min(starts, key=lambda n: abs(n - before.start_line))
        return _Group(parent, path, qualname, start, text)

    # -- file versions ----------------------------------------------------------------------

    def _version(self, sha: str, path: str) -> _Version | None:
        key = (sha, path)
        if key in self._versions:
            self._versions.move_to_end(key)
            return self._versions[key]
        found: _Version | None = None
        blob = self._git.blob_at(sha, path)
        if blob is not None:
            try:
                data = self._git.blob(blob)
            except MissingObject:
                data = None
            if data is not None:
                text, _ = python.decode(data)
                found = _Version(tuple(text.split("\n")), blob)
        self._versions[key] = found
        if len(self._versions) > self._options.cache_size:
            self._versions.popitem(last=False)
        return found

    def _spans(self, version: _Version) -> dict[str, Span] | None:
        """The functions of a file version by name (parsed once per blob)."""
        return self._parse(version)[0]

    def _docstrings(self, version: _Version) -> frozenset[int]:
        """The lines of a file version's docstrings (none known if it does not parse)."""
        return self._parse(version)[1]

    def _parse(self, version: _Version) -> tuple[dict[str, Span] | None, frozenset[int]]:
        blob = version.blob
        if blob in self._parsed:
            self._parsed.move_to_end(blob)
            return self._parsed[blob]
        docs: set[int] = set()
        try:
            layout = python.parse_layout(self._git.blob(blob), docs=docs).layout
        except MissingObject:
            layout = None
        spans = None if layout is None else {s.qualname: s for s in python.function_spans(layout)}
        found = (spans, frozenset(docs))
        self._parsed[blob] = found
        if len(self._parsed) > self._options.cache_size:
            self._parsed.popitem(last=False)
        return found


def _under(prefix: str, path: str) -> bool:
    prefix = prefix.strip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _beside(
    lines: Sequence[str], after: int, spans: Sequence[Span], docs: frozenset[int]
) -> list[int]:
    """The nearest lines with content above and below an addition, in its function."""
    span = innermost(spans, after) or innermost(spans, after + 1)
    low, high = (span.start, span.end) if span is not None else (1, len(lines))
    if span is not None and not (low <= after + 1 <= high + 1):
        span = None
        low, high = 1, len(lines)
    out: list[int] = []
    for numbers in (range(min(after, high), low - 1, -1), range(max(after + 1, low), high + 1)):
        for number in numbers:
            if number not in docs and content(lines[number - 1]):
                out.append(number)
                break
    return out


def _joined(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def _moved(change: Change) -> str | None:
    if change.old_path is not None and change.old_path != change.path:
        if change.kind is ChangeKind.MOVED:
            return "moved"
        return "renamed"
    if change.old_qualname is not None and change.old_qualname != change.qualname:
        return "moved" if change.kind is ChangeKind.MOVED else "renamed"
    return None


def _merged(groups: list[_Group]) -> list[_Group]:
    out: dict[tuple[str, str, str | None, int], _Group] = {}
    for group in groups:
        key = (group.version, group.path, group.qualname, group.start)
        if key in out:
            out[key].lines.update(group.lines)
        else:
            out[key] = group
    return list(out.values())
