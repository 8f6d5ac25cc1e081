"""The expensive pass: diff, parse and attribute commits, one chunk at a time.

An :class:`Extractor` owns a pygit2 repository and bounded caches (layouts by blob id,
facts by function text). Chunks of commits run in worker processes, each with its own
:class:`Extractor`; results are plain tuples that pickle cheaply.

Merge policy (full mode): a merge records only the functions whose text differs from
their version in every parent (conflict resolutions and evil merges); everything
else a merge brings was recorded on the branch that made it. In first-parent mode a
merge is compared with its first parent like any other commit.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
import signal
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from loopintel.errors import MissingObject
from loopintel.history.attribution import (
    Candidate,
    RawChange,
    Version,
    attribute_file,
    match_moves,
)
from loopintel.history.git import CommitMeta, FileDelta, GitRepository, bounded_object_cache
from loopintel.languages import python
from loopintel.languages.layout import Facts, Hunk, Layout, ParseOutcome

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from loopintel.languages.layout import Span

__all__ = [
    "CommitResult",
    "ExtractOptions",
    "Extractor",
    "FileSource",
    "WorkerRepository",
    "count_into",
    "extract_chunk",
    "extract_range",
    "missing_object",
    "missing_reason",
    "rare_collections",
]

_MISSING = re.compile(r"missing object ([0-9a-f]{40})")


def missing_reason(oid: str) -> str:
    """The skip reason of a version whose object is missing: ``missing object <sha>``."""
    return f"missing object {oid}"


def missing_object(reason: str) -> str | None:
    """The missing object a skip reason names, if it names one."""
    found = _MISSING.search(reason)
    return found.group(1) if found else None


def _no_earlier(reason: str | None) -> str:
    """Why a readable version is skipped when the earlier one it changes is not."""
    if reason is not None and missing_object(reason) is not None:
        return f"no readable earlier version ({reason})"
    return "no readable earlier version"


class ExtractOptions(NamedTuple):
    """What the extraction pass needs to know besides the commits."""

    first_parent: bool = False
    max_file_bytes: int = python.MAX_FILE_BYTES
    mailmap_commit: str | None = None
    """Resolve identities with the ``.mailmap`` of this commit (the indexed head)."""


class FileSource(NamedTuple):
    """Where a merge's version of a file comes from (for the lineage pass)."""

    path: str
    parent: int | None
    """Index of the parent holding the same version; ``-1`` for the merge's own
    version; ``None`` when the merge deleted the file."""
    qualnames: tuple[str, ...]
    """For the merge's own version: its functions."""


class CommitResult(NamedTuple):
    """What one commit did to functions."""

    meta: CommitMeta
    changes: list[RawChange]
    skips: list[tuple[str, str, str]]
    """(path, blob, reason) of versions that could not be read."""
    sources: list[FileSource] | None
    """For a merge in full mode: the origin of each file that differs from the first
    parent."""
    patch_id: str | None = None
    """The patch id of a non-merge commit's Python changes (see
    :meth:`loopintel.history.git.GitRepository.python_diff`)."""


TREES_LINES = 20_000
"""Lines of functions whose syntax trees one commit keeps before it drops them (about
100 MB; see :meth:`Extractor._drop_trees`)."""


PIECES_BYTES = 256 * 1024
"""File versions larger than this are parsed a few statements at a time (see
:func:`loopintel.languages.python.parse_layout_in_pieces`)."""


class _Parsed(NamedTuple):
    layout: Layout | None
    reason: str | None
    spans: dict[str, Span] | None


class _Lru(dict[bytes | str, object]):
    """A dict that forgets its oldest half when full (cheap, bounded)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: bytes | str, value: object) -> None:
        if len(self) >= self.size:
            for old in list(self)[: self.size // 2]:
                del self[old]
        self[key] = value


class Extractor:
    """Diffs, parses and attributes commits of one repository."""

    def __init__(self, git: GitRepository, options: ExtractOptions) -> None:
        self.git = git
        self.options = options
        if options.mailmap_commit is not None:
            git.use_mailmap_of(options.mailmap_commit)
        self._layouts = _Lru(4096)
        self._facts = _Lru(20000)
        self._lines = _Lru(64)
        # Syntax trees of the functions parsed for the current commit (see _drop_trees),
        # the lines they span, and facts taken from trees no longer held (big files'
        # functions, parsed in pieces; functions that went or came, when dropped).
        self._trees: dict[tuple[str, int], python.FunctionTree] = {}
        self._tree_lines = 0
        self._tree_facts: dict[tuple[str, int], Facts] = {}
        # Blobs found missing (each lookup of a missing object rescans the packs).
        # Forgotten at each chunk: a fetch between two runs on a long-lived worker
        # must not leave them unread.
        self._missing = _Lru(65536)

    # -- caches ---------------------------------------------------------------------

    def facts(self, version: Version, span: Span, text: str) -> Facts:
        """Facts of a function version, cached by its text.

        The syntax tree of a function just parsed is used as it is, not parsed again.
        """
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()
        found = self._facts.get(key)
        if found is None:
            where = (version.blob, span.start)
            tree = self._trees.get(where)
            if tree is not None:
                found = python.facts_of_node(tree)
            else:
                found = self._tree_facts.get(where) or python.facts(text)
            self._facts.put(key, found)
        return found  # type: ignore[return-value]

    def _text(self, blob: str) -> tuple[list[str], bool, int]:
        """Lines, whether they decoded cleanly, and the size in bytes."""
        found = self._lines.get(blob)
        if found is None:
            data = self.git.blob(blob)
            text, clean = python.decode(data)
            found = (text.split("\n"), clean, len(data))
            self._lines.put(blob, found)
        return found  # type: ignore[return-value]

    def lines(self, blob: str) -> list[str]:
        """A blob's text split into lines as git counts them (recent blobs cached)."""
        return self._text(blob)[0]

    def _store(
        self, blob: str, layout: Layout | None, reason: str | None, *, remember: bool = True
    ) -> _Parsed:
        spans = None
        if layout is not None:
            spans = {s.qualname: s for s in python.function_spans(layout)}
        parsed = _Parsed(layout, reason, spans)
        if remember:
            self._layouts.put(blob, parsed)
        return parsed

    def parsed(
        self,
        blob: str,
        base: str | None = None,
        hunks: Sequence[Hunk] | None = None,
        *,
        remember: bool = True,
    ) -> _Parsed:
        """The layout of a blob.

        Re-parses only what ``hunks`` touched when the layout of ``base`` is known.
        ``remember=False`` leaves the layout out of the cache (a file read once, such
        as each file of the head tree: the cache would hold the whole tree at once),
        and keeps none of its syntax trees.
        """
        found = self._layouts.get(blob) or self._missing.get(blob)
        if found is not None:
            return found  # type: ignore[return-value]
        try:
            if not remember:
                outcome = self._parse_whole(blob, self.git.blob(blob), trees=False)
                return self._store(blob, outcome.layout, outcome.reason, remember=False)
            return self._parse(blob, base, hunks)
        except MissingObject as exc:
            gone = _Parsed(None, missing_reason(exc.oid), None)
            self._missing.put(blob, gone)
            return gone

    def _absent(self, blob: str) -> str | None:
        """The skip reason if a blob is missing, ``None`` if it can be read."""
        if blob in self._layouts:
            return None
        gone = self._missing.get(blob)
        if gone is None and not self.git.has(blob):
            gone = _Parsed(None, missing_reason(blob), None)
            self._missing.put(blob, gone)
        return gone.reason if isinstance(gone, _Parsed) else None

    def forget_missing(self) -> None:
        """Look missing blobs up again (they may have been fetched since)."""
        self._missing.clear()

    def _parse(self, blob: str, base: str | None, hunks: Sequence[Hunk] | None) -> _Parsed:
        if base is not None and hunks:
            parent = self._layouts.get(base)
            if isinstance(parent, _Parsed) and parent.layout is not None:
                lines, clean, size = self._text(blob)
                keep: dict[int, python.FunctionTree] = {}
                layout = None
                if clean and size <= self.options.max_file_bytes:
                    layout = python.update_layout(parent.layout, hunks, lines, keep=keep)
                if layout is not None:
                    self._keep(blob, keep)
                    return self._store(blob, layout, None)
        outcome = self._parse_whole(blob, self.git.blob(blob), trees=True)
        return self._store(blob, outcome.layout, outcome.reason)

    def _parse_whole(self, blob: str, data: bytes, *, trees: bool) -> ParseOutcome:
        """Parse a file version whole; with ``trees``, keep what its functions' facts need.

        A file larger than :data:`PIECES_BYTES` is parsed a piece at a time, and the
        facts of its functions taken from each piece's trees (the same facts, without
        the whole tree in memory at once).
        """
        limit = self.options.max_file_bytes
        if len(data) > PIECES_BYTES:
            found: dict[int, Facts] | None = {} if trees else None
            outcome = python.parse_layout_in_pieces(data, max_bytes=limit, facts=found)
            for line, facts in (found or {}).items():
                self._tree_facts[blob, line] = facts
            return outcome
        keep: dict[int, python.FunctionTree] | None = {} if trees else None
        outcome = python.parse_layout(data, max_bytes=limit, keep=keep)
        if keep:
            self._keep(blob, keep)
        return outcome

    def _keep(self, blob: str, trees: dict[int, python.FunctionTree]) -> None:
        for line, tree in trees.items():
            self._trees[blob, line] = tree
            self._tree_lines += (tree.end_lineno or tree.lineno) - tree.lineno + 1

    def _drop_trees(self, pending: Sequence[Candidate]) -> None:
        """Forget the syntax trees kept so far, if they are many.

        A commit's trees are kept for the whole commit (facts of the functions that
        went or came are asked for at its end): a commit that touches a whole tree
        would hold all of its trees, two hundred times the source (on sympy, 2.5 GB).
        Past :data:`TREES_LINES` lines they are dropped between two files; the
        facts of the ``pending`` functions are worked out from their trees first, so
        the commit's results are those it would have had with all its trees.
        """
        if self._tree_lines <= TREES_LINES:
            return
        for candidate in pending:
            where = (candidate.version.blob, candidate.span.start)
            tree = self._trees.get(where)
            if tree is not None and where not in self._tree_facts:
                self._tree_facts[where] = python.facts_of_node(tree)
        self._trees.clear()
        self._tree_lines = 0

    def version(self, path: str, blob: str, parsed: _Parsed) -> Version:
        """A file version ready for attribution."""
        assert parsed.spans is not None
        return Version(path, blob, self.lines(blob), parsed.spans)

    # -- commits --------------------------------------------------------------------

    def commit(self, sha: str, parents: tuple[str, ...]) -> CommitResult:
        """Extract the function changes of one commit."""
        self._trees.clear()
        self._tree_lines = 0
        self._tree_facts.clear()
        meta = self.git.meta(sha, parents)
        if len(parents) > 1:
            return self._merge(meta)
        parent = parents[0] if parents else None
        deltas, patch_id = self.git.python_diff(parent, sha)
        changes, skips = self._compare(parent, deltas)
        return CommitResult(meta, changes, skips, None, patch_id)

    def _compare(
        self, parent: str | None, deltas: Sequence[FileDelta]
    ) -> tuple[list[RawChange], list[tuple[str, str, str]]]:
        changes: list[RawChange] = []
        skips: list[tuple[str, str, str]] = []
        deleted: list[Candidate] = []
        added: list[Candidate] = []
        renamed: dict[str, str] = {}
        for delta in deltas:
            self._drop_trees([*deleted, *added])
            if delta.skip is not None and delta.new_path is not None:
                skips.append((delta.new_path, "", delta.skip))
            old = new = None
            old_blob, hunks = delta.old_blob, delta.hunks
            if old_blob is not None:
                assert delta.old_path is not None
                old_parsed = self.parsed(old_blob)
                if old_parsed.layout is None:
                    earlier = self._last_readable(parent, delta.old_path, old_blob)
                    if earlier is not None:
                        old_blob, hunks = earlier, None
                        old_parsed = self.parsed(earlier)
                if old_parsed.layout is not None:
                    old = self.version(delta.old_path, old_blob, old_parsed)
                elif delta.new_blob is not None:
                    # Nothing readable to compare with: the new version is recorded
                    # as skipped rather than as all functions new.
                    assert delta.new_path is not None
                    reason = self.parsed(delta.new_blob).reason or _no_earlier(old_parsed.reason)
                    skips.append((delta.new_path, delta.new_blob, reason))
                    continue
            if delta.new_blob is not None:
                assert delta.new_path is not None
                if old is not None and hunks is None:
                    assert old_blob is not None
                    absent = self._absent(delta.new_blob)
                    if absent is not None:
                        skips.append((delta.new_path, delta.new_blob, absent))
                        continue
                    hunks = self.git.blob_hunks(old_blob, delta.new_blob)
                new_parsed = self.parsed(delta.new_blob, old_blob, hunks)
                if new_parsed.layout is None:
                    skips.append(
                        (delta.new_path, delta.new_blob, new_parsed.reason or "unreadable")
                    )
                    continue
                new = self.version(delta.new_path, delta.new_blob, new_parsed)
                if old is not None and hunks is None:
                    # Binary to git yet readable to us: compare as a rewrite.
                    hunks = (Hunk(1, len(old.lines), 1, len(new.lines)),)
            if old is not None and new is not None and old.path != new.path:
                renamed[new.path] = old.path
            file_changes, file_deleted, file_added = attribute_file(
                old, new, hunks if old is not None and new is not None else None, self.facts
            )
            changes.extend(file_changes)
            deleted.extend(file_deleted)
            added.extend(file_added)
        changes.extend(match_moves(deleted, added, self.facts, renamed))
        return changes, skips

    def _last_readable(
        self, commit: str | None, path: str, blob: str, limit: int = 64
    ) -> str | None:
        """The nearest earlier readable version of a file, along first parents.

        A commit that breaks a file's syntax and the one that fixes it are compared
        across the broken version, so the fix is not mistaken for a rewrite.
        """
        current = commit
        for _ in range(limit):
            if current is None:
                break
            parents = self.git.parent_ids(current)
            if not parents:
                break
            current = parents[0]
            earlier = self.git.blob_at(current, path)
            if earlier is None:
                break
            if earlier != blob and self.parsed(earlier).layout is not None:
                return earlier
        return None

    def _merge(self, meta: CommitMeta) -> CommitResult:
        parents = meta.parents
        if self.options.first_parent:
            deltas = self.git.file_deltas(parents[0], meta.sha)
            first_changes, first_skips = self._compare(parents[0], deltas)
            return CommitResult(meta, first_changes, first_skips, None)
        sources: list[FileSource] = []
        changes: list[RawChange] = []
        skips: list[tuple[str, str, str]] = []
        first = self.git.changed_paths(parents[0], meta.sha)
        for path, blob in sorted(first.items()):
            self._drop_trees(())  # a merge pairs functions within each file only
            # Looked up path by path: a diff against a parent far from the first (a
            # long-lived branch) would list everything that happened meanwhile.
            origin = next(
                (i for i, p in enumerate(parents[1:], 1) if self.git.same_entry(p, meta.sha, path)),
                -1,
            )
            if origin > 0:
                # The merge took this file from another parent: nothing of its own.
                sources.append(FileSource(path, origin, ()))
                continue
            first_blob = self.git.blob_at(parents[0], path)
            if blob is not None and self._merge_unreadable(path, blob, first_blob, skips, sources):
                continue
            hunks = None
            if blob is not None and first_blob is not None:
                hunks = self.git.blob_hunks(first_blob, blob)
            parsed = self.parsed(blob, first_blob, hunks) if blob is not None else None
            if parsed is not None and parsed.spans is None:
                assert blob is not None
                skips.append((path, blob, parsed.reason or "unreadable"))
                sources.append(FileSource(path, -1, ()))
                continue
            qualnames = tuple(parsed.spans) if parsed is not None and parsed.spans else ()
            sources.append(FileSource(path, -1 if blob is not None else None, qualnames))
            # Changed against every parent: a conflict resolution or an evil merge.
            candidates = self._resolution(path, first_blob, blob, hunks)
            keep = {_key(c) for c in candidates}
            for other in parents[1:]:
                if keep:
                    keep &= self._differs(self.git.blob_at(other, path), blob, keep)
            changes.extend(c for c in candidates if _key(c) in keep)
        return CommitResult(meta, changes, skips, sources)

    def _merge_unreadable(
        self,
        path: str,
        blob: str,
        first_blob: str | None,
        skips: list[tuple[str, str, str]],
        sources: list[FileSource],
    ) -> bool:
        """Record a merge's file whose version, or first parent's version, is missing.

        Returns whether it was one (then the merge records no change of it).
        """
        absent = self._absent(blob)
        if absent is not None:
            skips.append((path, blob, absent))
            # Functions unknown: the file keeps the lineages of the first parent's
            # version, as a commit that cannot be read leaves them.
            sources.append(FileSource(path, 0, ()))
            return True
        absent = self._absent(first_blob) if first_blob is not None else None
        if absent is None:
            return False
        # Readable, but not what it changed: its functions are known, its changes not.
        parsed = self.parsed(blob)
        skips.append((path, blob, _no_earlier(absent)))
        sources.append(FileSource(path, -1, tuple(parsed.spans or ())))
        return True

    def _resolution(
        self, path: str, old_blob: str | None, blob: str | None, hunks: tuple[Hunk, ...] | None
    ) -> list[RawChange]:
        """Function changes of one file of a merge, against its first parent."""
        old = new = None
        if blob is not None:
            new = self.version(path, blob, self.parsed(blob))
        if old_blob is not None:
            old_parsed = self.parsed(old_blob)
            if old_parsed.layout is not None:
                old = self.version(path, old_blob, old_parsed)
        if old is not None and new is not None:
            hunks = hunks or (Hunk(1, len(old.lines), 1, len(new.lines)),)
        else:
            hunks = None
        file_changes, deleted, added = attribute_file(old, new, hunks, self.facts)
        return file_changes + match_moves(deleted, added, self.facts, {})

    def _differs(
        self, old_blob: str | None, blob: str | None, keys: set[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        """Which of the functions ``keys`` differ between two versions of a file."""

        def texts(version_blob: str | None) -> dict[str, str] | None:
            if version_blob is None:
                return {}
            parsed = self.parsed(version_blob)
            if parsed.spans is None:
                return None
            lines = self.lines(version_blob)
            return {q: python.segment(lines, parsed.spans[q]) for _, q in keys if q in parsed.spans}

        before, after = texts(old_blob), texts(blob)
        if before is None or after is None:
            return set(keys)
        return {(p, q) for p, q in keys if before.get(q) != after.get(q)}


def _key(change: RawChange) -> tuple[str, str]:
    # A function the merge changed against every parent, whatever the kind against
    # each (like git's combined diff: a parent without the file differs everywhere).
    return (change.path, change.qualname)


# --- garbage collection --------------------------------------------------------------

GC_THRESHOLDS = (100_000, 100, 1000)
"""Least garbage-collection thresholds while indexing (see :func:`rare_collections`)."""


@contextlib.contextmanager
def rare_collections() -> Iterator[None]:
    """Keep CPython's cyclic garbage collections rare while the block runs.

    Indexing holds millions of small, long-lived objects that form no cycles (the
    layouts, facts and lines in the bounded caches, the lineage states) and makes
    many more short-lived ones (syntax trees) that reference counting frees. Each
    collection of an older generation walks the long-lived ones again: with the
    default thresholds that was about a quarter of flask's CPU time. Collections
    still run, a hundred times less often; the thresholds in force before are
    restored after.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(*(max(t, least) for t, least in zip(thresholds, GC_THRESHOLDS, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


# --- worker processes ----------------------------------------------------------------

_LOCAL = threading.local()  # the extractor of this worker (thread: Dask runs tasks in threads)
_COUNTER: Any = None  # a shared multiprocessing.Value: commits extracted by all workers
_RANGES: Any = None  # a shared multiprocessing.Array: next and end of each range task
_RESULTS: Any = None  # a multiprocessing.Queue: batches of results, as they are made
_QUEUED: Any = None  # a shared multiprocessing.Value: batches in _RESULTS not yet read

STREAM_COMMITS = 200
"""A range task hands its results over at least every this many commits..."""
STREAM_CHANGES = 5000
"""...or function changes (a few commits that touch thousands of files)..."""
STREAM_SECONDS = 1.0
"""...and at least this often, so that an interrupted run loses only the last moments."""
QUEUED_BATCHES = 4
"""A range task that has handed a batch over waits while more batches than this, of all
workers, wait to be read: workers that run ahead of the indexing process wait instead
of piling results up in memory."""
QUEUE_POLL_SECONDS = 0.02
"""How often a waiting range task looks whether the indexing process has read."""


def count_into(counter: Any, ranges: Any = None, results: Any = None, queued: Any = None) -> None:
    """Worker initializer: count extracted commits into a shared value (for progress).

    ``ranges`` is the shared table of range tasks, ``results`` the queue they hand
    their results to and ``queued`` the count of batches in it not yet read (see
    :func:`extract_range`); such a worker leaves SIGINT to the indexing process, which
    stops the ranges itself. Also watch the indexing process: a worker whose parent is
    gone (killed, so it could not shut its pool down) exits instead of waiting for
    work for ever.
    """
    global _COUNTER, _RANGES, _RESULTS, _QUEUED  # noqa: PLW0603 - set once per worker process
    _COUNTER = counter
    _RANGES = ranges
    _RESULTS = results
    _QUEUED = queued
    if results is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="loopintel-parent-watch", daemon=True).start()


PARENT_POLL_SECONDS = 0.5
"""How often a worker checks that the process that started it is still there."""


def _worker(path: str, options: ExtractOptions) -> Extractor:
    # One extractor per worker thread: an Extractor and its pygit2 repository are not
    # shared between threads (a Dask worker may run several tasks at once).
    extractor: Extractor | None = getattr(_LOCAL, "extractor", None)
    if extractor is None or extractor.git.git_dir != path or extractor.options != options:
        extractor = _LOCAL.extractor = Extractor(GitRepository(path), options)
    return extractor


class WorkerRepository(Protocol):
    """Where the workers of an executor find the repository, when not at its own path.

    Pickled to every chunk's task; :meth:`local_path` runs on the worker (for a bundle
    shipped to the workers: clone it once, then name the clone).
    """

    def local_path(self) -> str:
        """The repository's git directory on this worker."""
        ...


def extract_chunk(
    path: str | WorkerRepository,
    options: ExtractOptions,
    commits: Sequence[tuple[str, tuple[str, ...]]],
) -> list[CommitResult]:
    """Extract a chunk of commits on a caller's executor (the repository opened once).

    ``path`` is the git directory, or a :class:`WorkerRepository` that says where it is
    on the worker. Such executors do not run :func:`count_into`: progress is counted by
    chunk.
    """
    extractor = _worker(path if isinstance(path, str) else path.local_path(), options)
    extractor.forget_missing()
    with rare_collections(), bounded_object_cache():
        return [extractor.commit(sha, parents) for sha, parents in commits]


def extract_range(
    path: str,
    options: ExtractOptions,
    slot: int,
    start: int,
    commits: Sequence[tuple[str, tuple[str, ...]]],
) -> int:
    """Extract commits ``start``, ``start + 1``... of the history, in a worker process.

    The range's bounds live in the shared table at ``slot`` (next commit, end): each
    commit is claimed there before it is extracted, so the indexing process can move
    the end down at any moment (to hand the rest to an idle worker, or to stop) and the
    two never do the same commit. ``commits`` holds the range as first given; the
    worker stops at the end as it then stands. Results go to the shared queue in
    batches of consecutive commits, ``(position of the first, results)``, as they are
    made (every :data:`STREAM_COMMITS` commits, :data:`STREAM_CHANGES` changes or
    :data:`STREAM_SECONDS`); after handing one over, the task waits while more than
    :data:`QUEUED_BATCHES` wait to be read, so a worker holds at most one batch. The
    task returns how many commits it extracted.
    """
    extractor = _worker(path, options)
    extractor.forget_missing()
    batch: list[CommitResult] = []
    changes = 0
    first = start
    handed = time.monotonic()
    done = 0
    with rare_collections(), bounded_object_cache():
        for offset, (sha, parents) in enumerate(commits):
            with _RANGES.get_lock():
                if _RANGES[2 * slot] >= _RANGES[2 * slot + 1]:
                    break
                assert _RANGES[2 * slot] == start + offset
                _RANGES[2 * slot] = start + offset + 1
            result = extractor.commit(sha, parents)
            batch.append(result)
            changes += len(result.changes)
            done += 1
            with _COUNTER.get_lock():
                _COUNTER.value += 1
            if (
                len(batch) >= STREAM_COMMITS
                or changes >= STREAM_CHANGES
                or time.monotonic() - handed >= STREAM_SECONDS
            ):
                _hand_over(first, batch)
                first, batch, changes = start + offset + 1, [], 0
                _wait_for_reads(slot)
                handed = time.monotonic()
    if batch:
        _hand_over(first, batch)
    return done


def _hand_over(first: int, batch: list[CommitResult]) -> None:
    """Put a batch on the shared queue, counted as waiting to be read."""
    if _QUEUED is not None:
        with _QUEUED.get_lock():
            _QUEUED.value += 1
    _RESULTS.put((first, batch))


def _wait_for_reads(slot: int) -> None:
    """Wait while too many batches wait to be read, unless the range at ``slot`` is stopped."""
    if _QUEUED is None:
        return
    while _QUEUED.value > QUEUED_BATCHES:
        with _RANGES.get_lock():
            if _RANGES[2 * slot] >= _RANGES[2 * slot + 1]:
                return
        time.sleep(QUEUE_POLL_SECONDS)
