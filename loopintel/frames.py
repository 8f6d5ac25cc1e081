"""Stack frames resolved to the repository's functions, at the version that printed them.

A :class:`FrameResolver` takes frames as printed (:class:`~loopintel.model.Frame`) and
gives a :class:`~loopintel.model.Resolution`: the commit they were resolved at, how it
was chosen, and per frame the repository path, the function at its line and that
function's lineage, with a status (:class:`~loopintel.model.FrameStatus`).

The version is, in this order (:class:`~loopintel.model.VersionSource`):

1. ``release``: the release given, as a tag, a full or abbreviated sha, or a version
   string matched to tags (``1.2.3`` to ``1.2.3``, ``v1.2.3``, ``release-1.2.3``...);
2. ``inferred``: among tags, then the commits that changed a function in the frames'
   files, then (when none of those fits) the commits whose trees changed those files
   (before the incident time, when given), those at which every frame that maps
   into the repository has its line in a function of its printed name (and its printed
   source line, if any, at that line); the ones resolving most frames win, tags before
   other commits, then the latest;
3. ``time``: the commit of the head's first-parent chain current at the incident time;
4. ``head``: the indexed head.

Inference reads only the frames' files, and each file version once: answers are kept
per blob, cheap tests (the file is there, is long enough, holds the printed line and a
``def`` of the printed name) run before any parse. See ``docs/frames.md``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from loopintel.analysis.frames import (
    ANONYMOUS,
    PathIndex,
    code_matches,
    is_release_tag,
    module_parts,
    name_matches,
    printed_parts,
    release_tags,
)
from loopintel.errors import MissingObject, UnknownRef
from loopintel.languages import python
from loopintel.languages.layout import Layout, Node, NodeKind, Span, innermost
from loopintel.model import (
    Frame,
    FrameStatus,
    Incident,
    Resolution,
    ResolvedFrame,
    ResolvedVersion,
    VersionSource,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from loopintel.history.git import GitRepository
    from loopintel.store import Store

__all__ = ["FrameResolver"]

_SHA = re.compile(r"^[0-9a-fA-F]{4,40}$")
_MODULE_LEVEL = "<module>"
_TREES_KEPT = 8
_ANSWERS_KEPT = 200_000
"""Answers kept per (blob, line, name, printed line) before they are dropped."""
_YES, _NO, _UNKNOWN, _PARSE = object(), object(), object(), object()
"""What the cheap tests say of a frame: fits, does not, cannot tell, parse to tell."""
_UNMAPPED = ""
"""A frame maps to no file of that tree."""
_AMBIGUOUS = "?"
"""A frame maps to several files of that tree equally well."""


class _Parsed(NamedTuple):
    """One file version: its lines, and its functions and classes if it parses."""

    lines: tuple[str, ...]
    spans: tuple[Span, ...] | None
    """Each function from its ``def`` line (its decorators run in the enclosing scope);
    ``None`` when the version cannot be parsed (or its object is missing)."""
    classes: tuple[tuple[str, int, int], ...]
    parsed: bool
    """Whether a parse was tried."""


class _Candidate(NamedTuple):
    sha: str
    time: int
    tag: str | None


class _Score(NamedTuple):
    consistent: bool
    """No frame that maps into the tree contradicts it."""
    resolved: int
    """Frames whose line lies in a function of their printed name there."""
    unmapped: int
    """Frames that map into the repository at some version, not at this one."""


_Options = list[tuple[str, int]]
"""The repository paths a frame may map to at some version, with the suffix length."""


def _classes(layout: Layout) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []

    def visit(nodes: tuple[Node, ...]) -> None:
        for node in nodes:
            if node.kind is NodeKind.CLASS:
                out.append((node.name, node.start, node.end))
            if node.children:
                visit(node.children)

    visit(layout.nodes)
    return tuple(out)


def _from_def(span: Span, lines: Sequence[str]) -> Span:
    """A function's span without its decorators (they run in the enclosing frame)."""
    for number in range(span.start, min(span.end, len(lines)) + 1):
        if lines[number - 1].lstrip().startswith(("def ", "async ")):
            return span._replace(start=number)
    return span


def _last_name(printed: str) -> str:
    return printed.rsplit(".", 1)[-1]


class FrameResolver:
    """Resolves stacks of one indexed repository (see the module's docstring).

    Example:
        >>> resolver = FrameResolver(git, store)  # doctest: +SKIP
        >>> resolver.resolve(incident.frames, release="2.0.3").version.how  # doctest: +SKIP
        <VersionSource.RELEASE: 'release'>

    """

    def __init__(self, git: GitRepository, store: Store, *, cache_size: int = 512) -> None:
        """A resolver over a repository and its index.

        Args:
            git: the repository.
            store: its index.
            cache_size: how many parsed file versions to keep.

        """
        self._git = git
        self._store = store
        self._cache_size = cache_size
        self._parsed: OrderedDict[str, _Parsed] = OrderedDict()
        self._quick: dict[tuple[str, int, str | None, str | None], object] = {}
        self._answers: dict[tuple[str, int, str | None, str | None], bool | None] = {}
        self._trees: OrderedDict[str, PathIndex] = OrderedDict()
        self._known: tuple[str | None, PathIndex | None] = (None, None)
        self._tag_list: dict[str, tuple[str, int]] | None = None

    # -- the entry point --------------------------------------------------------------

    def resolve(
        self,
        frames: Iterable[Frame],
        *,
        release: str | None = None,
        at: datetime | None = None,
    ) -> Resolution:
        """Resolve a stack: choose its version, then each frame's function there.

        Args:
            frames: the frames as printed, in the stack's order.
            release: the release it happened in (a tag, a sha, a version string).
            at: when it happened (a naive datetime is read as UTC); candidates after
                it are left out, and without a fitting version the commit current then
                is used.

        Returns:
            The resolution: every frame, in order, outside ones included.

        """
        stack = tuple(frames)
        self._tag_list = None  # tags may have moved since the last call
        if len(self._quick) > _ANSWERS_KEPT:
            self._quick.clear()
            self._answers.clear()
        head = self._store.meta("head")
        if not head:
            outside = tuple(ResolvedFrame(frame=f, status=FrameStatus.OUTSIDE_REPO) for f in stack)
            return Resolution(ResolvedVersion("", VersionSource.HEAD, 0), outside)
        moment = None
        if at is not None:
            moment = int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())
        version = None
        if release:
            version = self._release(release)
        if version is None:
            version = self._infer(stack, head, moment)
        if version is None and moment is not None:
            sha = self._git.first_parent_at(head, moment)
            if sha is not None:
                version = ResolvedVersion(sha, VersionSource.TIME, 0, self._tag_of(sha))
        if version is None:
            version = ResolvedVersion(head, VersionSource.HEAD, 0, self._tag_of(head))
        resolved = tuple(self._frame_at(frame, version.commit, head) for frame in stack)
        return Resolution(version, resolved)

    def resolve_incident(self, incident: Incident) -> Resolution:
        """Resolve an incident's stack, with its release and the time it started.

        The start, else the detection time, bounds the versions considered (see
        :meth:`resolve`); this is the shape the incident linker asks for.
        """
        return self.resolve(
            incident.frames,
            release=incident.release,
            at=incident.started_at or incident.detected_at,
        )

    # -- the version ------------------------------------------------------------------

    def _tags(self) -> dict[str, tuple[str, int]]:
        """Tag name to (commit, commit time); read once per :meth:`resolve`."""
        if self._tag_list is None:
            self._tag_list = {name: (sha, time) for name, sha, time in self._git.tags()}
        return self._tag_list

    def _tag_of(self, sha: str, tags: dict[str, tuple[str, int]] | None = None) -> str | None:
        """A tag of the commit, a release's first."""
        found = [n for n, (target, _) in (tags or self._tags()).items() if target == sha]
        found.sort(key=lambda name: not is_release_tag(name))
        return found[0] if found else None

    def _release(self, release: str) -> ResolvedVersion | None:
        """The commit a release names, or ``None`` when it names none."""
        text = release.strip()
        tags = self._tags()
        if text in tags:
            return ResolvedVersion(tags[text][0], VersionSource.RELEASE, 0, text)
        if _SHA.match(text):
            try:
                sha = self._git.resolve(text.lower())
            except UnknownRef:
                sha = None
            if sha is not None:
                return ResolvedVersion(sha, VersionSource.RELEASE, 0, self._tag_of(sha, tags))
        named = release_tags(text, sorted(tags))
        if named:
            return ResolvedVersion(tags[named[0]][0], VersionSource.RELEASE, 0, named[0])
        return None

    def _known_paths(self, head: str) -> PathIndex:
        if self._known[0] != head or self._known[1] is None:
            self._known = (head, PathIndex(self._store.known_paths()))
        assert self._known[1] is not None
        return self._known[1]

    def _infer(
        self, stack: Sequence[Frame], head: str, moment: int | None
    ) -> ResolvedVersion | None:
        """The version inferred from the frames themselves, if one fits."""
        known = self._known_paths(head)
        # Per frame: every repository path it could map to at some version.
        options: list[tuple[Frame, _Options]] = []
        for frame in stack:
            if frame.line is None:
                continue
            matches = known.matches(printed_parts(frame.file))
            if not matches and frame.module:
                matches = [
                    m
                    for parts in module_parts(frame.module)
                    for m in known.matches(parts, whole=True)
                ]
            if matches:
                options.append((frame, matches))
        if not options:
            return None
        tags = self._tags()
        by_tag: dict[str, _Candidate] = {}
        for name, (sha, time) in sorted(tags.items(), key=lambda item: item[1][1]):
            if moment is None or time <= moment:
                by_tag.setdefault(sha, _Candidate(sha, time, name))
        # Tags first: when one fits and maps every frame that maps anywhere, the
        # commits between them are not read at all.
        scored = self._scored(by_tag.values(), options)
        if scored and min(score.unmapped for _, score in scored) == 0:
            return self._chosen(scored)
        paths = sorted({path for _, matches in options for path, _ in matches})
        changing = [
            _Candidate(sha, time, None)
            for sha, time, _ in self._store.commits_changing(paths)
            if sha not in by_tag and (moment is None or time <= moment)
        ]
        scored.extend(self._scored(changing, options))
        if not scored:
            # Commits that only moved lines (an import added above) changed no function:
            # the index does not list them, git's trees do.
            tried = by_tag.keys() | {c.sha for c in changing}
            moved = [
                _Candidate(sha, time, None)
                for sha, time in self._git.commits_changing(head, paths)
                if sha not in tried and (moment is None or time <= moment)
            ]
            scored = self._scored(moved, options)
        return self._chosen(scored) if scored else None

    def _scored(
        self, candidates: Iterable[_Candidate], options: Sequence[tuple[Frame, _Options]]
    ) -> list[tuple[_Candidate, _Score]]:
        """The candidates at which the frames fit, with their scores."""
        chosen = list(candidates)
        mapped = [self._mapped(c.sha, options) for c in chosen]
        # Frames in the files that change least go first: their answers serve many
        # candidates, and one that does not fit spares reading the other files.
        order = sorted(range(len(options)), key=lambda i: len({m[i] for m in mapped}))
        scores: dict[tuple[str, ...], _Score] = {}
        out = []
        for candidate, blobs in zip(chosen, mapped, strict=True):
            score = scores.get(blobs)
            if score is None:
                score = scores[blobs] = self._score(blobs, options, order)
            if score.consistent and score.resolved:
                out.append((candidate, score))
        return out

    def _chosen(self, scored: Sequence[tuple[_Candidate, _Score]]) -> ResolvedVersion:
        """The best of the fitting candidates, and how many fit as well."""
        most = max(score.resolved for _, score in scored)
        best = [c for c, score in scored if score.resolved == most]
        indexed = {c.sha for c in best if self._store.commit_seq(c.sha) is not None}
        # Equally consistent: a release's tag, then an indexed commit, then any tag,
        # then the latest.
        best.sort(
            key=lambda c: (
                c.tag is not None and is_release_tag(c.tag),
                c.sha in indexed,
                c.tag is not None,
                c.time,
            ),
            reverse=True,
        )
        chosen = best[0]
        return ResolvedVersion(chosen.sha, VersionSource.INFERRED, len(best), chosen.tag)

    def _mapped(self, sha: str, options: Sequence[tuple[Frame, _Options]]) -> tuple[str, ...]:
        """Per frame, the blob it maps to in the tree of ``sha`` (or why none)."""
        blobs: dict[str, str | None] = {}
        out = []
        for _, matches in options:
            present: list[tuple[int, str]] = []
            for path, length in matches:
                if path not in blobs:
                    try:
                        blobs[path] = self._git.blob_at(sha, path)
                    except MissingObject:
                        blobs[path] = None
                blob = blobs[path]
                if blob is not None:
                    present.append((length, blob))
            if not present:
                out.append(_UNMAPPED)
                continue
            longest = max(length for length, _ in present)
            best = [blob for length, blob in present if length == longest]
            out.append(best[0] if len(best) == 1 else _AMBIGUOUS)
        return tuple(out)

    def _score(
        self,
        blobs: Sequence[str],
        options: Sequence[tuple[Frame, _Options]],
        order: Sequence[int],
    ) -> _Score:
        """Whether every frame that maps into a tree fits there, and how many do."""
        unmapped = sum(1 for blob in blobs if blob == _UNMAPPED)
        checked = [i for i in order if blobs[i] not in (_UNMAPPED, _AMBIGUOUS)]
        # The cheap tests of every frame first: a parse only where none contradicts.
        for i in checked:
            if self._fits(blobs[i], options[i][0], parse=False) is False:
                return _Score(consistent=False, resolved=0, unmapped=unmapped)
        resolved = 0
        for i in checked:
            answer = self._fits(blobs[i], options[i][0], parse=True)
            if answer is False:
                return _Score(consistent=False, resolved=resolved, unmapped=unmapped)
            if answer:
                resolved += 1
        return _Score(consistent=True, resolved=resolved, unmapped=unmapped)

    def _fits(self, blob: str, frame: Frame, *, parse: bool) -> bool | None:
        """Whether a frame fits a file version; ``None`` when it cannot tell.

        Without ``parse``, only the cheap tests run: ``True`` then means that nothing
        contradicts the frame so far, and that the function is still to be checked.
        """
        assert frame.line is not None
        key = (blob, frame.line, frame.function, frame.code)
        quick = self._quick.get(key)
        if quick is None:
            quick = self._quick[key] = self._cheap(blob, frame.line, frame.function, frame.code)
        if quick is not _PARSE:
            return quick is _YES if quick is not _UNKNOWN else None
        if not parse:
            return True
        if key not in self._answers:
            assert frame.function is not None
            self._answers[key] = self._function_fits(blob, frame.line, frame.function)
        return self._answers[key]

    def _cheap(self, blob: str, line: int, function: str | None, code: str | None) -> object:
        """The tests that need no parse, and what they say.

        The file is long enough, its line is the one printed, it defines the name.
        """
        lines = self._lines(blob)
        if lines is None:
            return _UNKNOWN
        if not 0 < line <= len(lines):
            return _NO
        if code is not None and code.strip() and not code_matches(code, lines[line - 1]):
            return _NO
        if function is None or function == _MODULE_LEVEL or function in ANONYMOUS:
            # Nothing to check the function against: the printed line, if any, fitted.
            return _YES if code else _UNKNOWN
        name = _last_name(function)
        defines = re.compile(rf"\b(?:def|class)\s+{re.escape(name)}\b")
        if not any(defines.search(text) for text in lines if name in text):
            return _NO
        return _PARSE

    def _function_fits(self, blob: str, line: int, function: str) -> bool | None:
        parsed = self._parse(blob)
        if parsed.spans is None:
            return None
        inner = innermost(parsed.spans, line)
        if inner is not None and name_matches(function, inner.qualname):
            return True
        # A class body runs as a frame named after the class.
        return any(n == function and s <= line <= e for n, s, e in parsed.classes)

    # -- one frame at the chosen version ---------------------------------------------

    def _tree(self, sha: str) -> PathIndex:
        tree = self._trees.get(sha)
        if tree is None:
            tree = PathIndex(self._git.python_blobs(sha))
            self._trees[sha] = tree
            if len(self._trees) > _TREES_KEPT:
                self._trees.popitem(last=False)
        return tree

    def _frame_at(self, frame: Frame, sha: str, head: str) -> ResolvedFrame:
        tree = self._tree(sha)
        match = tree.match(printed_parts(frame.file))
        if len(match.paths) != 1 and frame.module:
            by_module = [tree.match(parts, whole=True) for parts in module_parts(frame.module)]
            found = tuple(dict.fromkeys(p for m in by_module for p in m.paths))
            if len(found) == 1 and (not match.paths or found[0] in match.paths):
                match = match._replace(paths=found)
        if not match.paths:
            return ResolvedFrame(frame=frame, status=FrameStatus.OUTSIDE_REPO)
        if len(match.paths) > 1:
            return ResolvedFrame(frame=frame, status=FrameStatus.AMBIGUOUS, candidates=match.paths)
        path = match.paths[0]
        outside_function = ResolvedFrame(frame=frame, status=FrameStatus.NOT_IN_FUNCTION, path=path)
        if frame.line is None or frame.function == _MODULE_LEVEL:
            return outside_function
        try:
            blob = self._git.blob_at(sha, path)
        except MissingObject:
            blob = None
        spans = self._parse(blob).spans if blob is not None else None
        inner = innermost(spans, frame.line) if spans else None
        if inner is None:
            return outside_function
        printed = frame.function
        fits = printed is None or printed in ANONYMOUS or name_matches(printed, inner.qualname)
        return ResolvedFrame(
            frame=frame,
            status=FrameStatus.RESOLVED if fits else FrameStatus.NAME_MISMATCH,
            path=path,
            qualname=inner.qualname,
            lineage=self._lineage(sha, head, path, inner.qualname),
        )

    def _lineage(self, sha: str, head: str, path: str, qualname: str) -> str | None:
        """The lineage named ``path::qualname`` at ``sha``.

        At the head, the head's; elsewhere, of the lineages that ever had the name,
        the one that took it last at or before ``sha`` (in graph order).
        """
        if sha == head:
            names = self._store.head_names(path=path, qualname=qualname)
            if names:
                return names[0].lineage
        named = self._store.lineages_named(path, qualname)
        if not named:
            return None
        seq = self._store.commit_seq(sha)
        if seq is None:
            # Not indexed (a tag on a branch the head does not reach): where it forked.
            base = self._git.merge_base(sha, head)
            seq = self._store.commit_seq(base) if base is not None else None
        if seq is None:
            return named[-1][0]
        before = [(first, lineage) for lineage, first, _ in named if first <= seq]
        # A name taken on the branch after it forked: the latest lineage that had it.
        return max(before)[1] if before else named[-1][0]

    # -- file versions ----------------------------------------------------------------

    def _version(self, blob: str) -> _Parsed | None:
        """A file version's lines (and later its parse), kept per blob."""
        found = self._parsed.get(blob)
        if found is not None:
            self._parsed.move_to_end(blob)
            return found
        try:
            data = self._git.blob(blob)
        except MissingObject:
            return None
        text, _ = python.decode(data)
        found = _Parsed(tuple(text.split("\n")), None, (), parsed=False)
        self._parsed[blob] = found
        if len(self._parsed) > self._cache_size:
            self._parsed.popitem(last=False)
        return found

    def _lines(self, blob: str) -> tuple[str, ...] | None:
        found = self._version(blob)
        return None if found is None else found.lines

    def _parse(self, blob: str) -> _Parsed:
        """The version's functions and classes (parsed once per blob)."""
        found = self._version(blob)
        if found is None:
            return _Parsed((), None, (), parsed=True)
        if found.parsed:
            return found
        try:
            layout = python.parse_layout(self._git.blob(blob)).layout
        except MissingObject:
            layout = None
        if layout is None:
            found = found._replace(parsed=True)
        else:
            found = _Parsed(
                found.lines,
                tuple(_from_def(span, found.lines) for span in python.function_spans(layout)),
                _classes(layout),
                parsed=True,
            )
        self._parsed[blob] = found
        return found
