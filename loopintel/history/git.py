"""Everything loopintel reads from git, through pygit2 (the only module importing it).

Commits come in topological order, parents first. A non-merge commit is compared with
its parent: zero-context hunks, git's default rename detection (50% similarity).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pygit2
from pygit2.enums import DeltaStatus, DiffFind, SortMode

from loopintel.errors import MissingObject, NotARepository, UnknownRef
from loopintel.languages.layout import Hunk

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "CommitMeta",
    "FileDelta",
    "GitRepository",
    "bounded_object_cache",
    "is_python_path",
]

_BLOB_MODES = frozenset(
    {int(pygit2.enums.FileMode.BLOB), int(pygit2.enums.FileMode.BLOB_EXECUTABLE)}
)
_LINK = int(pygit2.enums.FileMode.LINK)
_NULL_OID = "0" * 40
_SUFFIXES = (".py", ".pyw")
_EMAIL = re.compile(r"<[^<>]*>")
_OID = re.compile(r"\b[0-9a-f]{40}\b")


TREES_KEPT = 16
"""Commit trees a repository object keeps at hand (the walk asks for each a few times)."""
OBJECT_CACHE_BYTES = 8 * 1024 * 1024
"""Bound of libgit2's cache of commits and trees while indexing (see
:func:`bounded_object_cache`)."""


@contextlib.contextmanager
def bounded_object_cache(size: int = OBJECT_CACHE_BYTES) -> Iterator[None]:
    """Bound libgit2's object cache to ``size`` bytes while the block runs.

    libgit2 keeps every commit and tree it parses until its cache reaches 256 MB (its
    default), counted by the objects' raw size: about twice that in memory, in every
    process that walks a long history (on sympy, 30 MB more after 4,000 commits and
    growing). Trees a commit needs again are kept by :class:`GitRepository` itself. A
    lower bound in force is left as it is; the one in force before is restored after.
    """
    _, before = pygit2.settings.cached_memory
    if before <= size:
        yield
        return
    pygit2.settings.cache_max_size(size)
    try:
        yield
    finally:
        pygit2.settings.cache_max_size(before)


def is_python_path(path: str) -> bool:
    """Whether a path names a Python source file (``.py``, ``.pyw``; stubs excluded)."""
    return path.endswith(_SUFFIXES)


class CommitMeta(NamedTuple):
    """A commit's identity, parents and people (after ``.mailmap``)."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: int
    author_offset: int
    committer_name: str
    committer_email: str
    committed_at: int
    committer_offset: int
    summary: str
    raw_author: tuple[str, str]
    """Name and email as recorded in the commit, before the mailmap."""
    raw_committer: tuple[str, str]


class FileDelta(NamedTuple):
    """One Python file changed between two trees."""

    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None
    hunks: tuple[Hunk, ...] | None
    """``None`` for an added or deleted file, or when git saw binary content."""
    skip: str | None
    """Why the new side is not a source file (symlink, submodule), if it is not."""


def _patch_lines(digest: hashlib.blake2b, patch: bytes) -> None:
    """Feed a file patch's added and removed lines to a patch id, without whitespace."""
    body = patch.find(b"\n@@")  # the header (paths, blob ids) ends at the first hunk
    if body < 0:
        return
    for line in patch[body + 1 :].split(b"\n"):
        if line[:1] in (b"+", b"-"):
            digest.update(line[:1] + b"".join(line[1:].split()) + b"\n")


def _mode_skip(mode: int) -> str | None:
    if mode in _BLOB_MODES:
        return None
    if mode == pygit2.enums.FileMode.LINK:
        return "symlink"
    if mode == pygit2.enums.FileMode.COMMIT:
        return "submodule"
    return f"unsupported file mode {mode:o}"


class GitRepository:
    """A pygit2 repository with the few operations the history layer needs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open the repository at or above ``path``.

        Raises:
            NotARepository: no git repository there.

        """
        text = os.fspath(path)
        if not Path(text).exists():
            raise NotARepository(text, "no such file or directory")
        found = pygit2.discover_repository(text)
        if found is None:
            raise NotARepository(text)
        try:
            self.repo = pygit2.Repository(found)
        except pygit2.GitError as exc:
            raise NotARepository(text) from exc
        self.git_dir = str(Path(self.repo.path).resolve())
        self.workdir = str(Path(self.repo.workdir).resolve()) if self.repo.workdir else None
        self._trees: dict[str, pygit2.Tree] = {}
        self._promisor: str | None = None
        self.mailmap: pygit2.Mailmap | None = None
        with contextlib.suppress(pygit2.GitError):
            self.mailmap = pygit2.Mailmap.from_repository(self.repo)

    def use_mailmap_of(self, sha: str) -> None:
        """Resolve identities with the ``.mailmap`` of a commit's tree.

        The indexed history's own mailmap applies, whatever the work tree holds;
        without one, the repository's configured mailmap (if any) stays in use.
        """
        blob = self.blob_at(sha, ".mailmap")
        if blob is not None and self.has(blob):
            # git matches emails case-insensitively; libgit2 does not.
            text = _EMAIL.sub(
                lambda m: m.group(0).lower(), self.blob(blob).decode("utf-8", "replace")
            )
            with contextlib.suppress(pygit2.GitError, ValueError):
                self.mailmap = pygit2.Mailmap.from_buffer(text)

    @property
    def is_empty(self) -> bool:
        """Whether the repository has no commits."""
        return bool(self.repo.is_empty)

    @property
    def is_shallow(self) -> bool:
        """Whether the repository is a shallow clone."""
        return bool(self.repo.is_shallow)

    def resolve(self, ref: str) -> str | None:
        """The commit a ref names; ``None`` for ``HEAD`` of an empty repository.

        Raises:
            UnknownRef: the ref names no commit.

        """
        if ref == "HEAD" and (self.repo.is_empty or self.repo.head_is_unborn):
            return None
        try:
            obj = self.repo.revparse_single(ref)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
            raise UnknownRef(ref, self.git_dir) from exc
        return str(commit.id)

    def walk(
        self, head: str, *, first_parent: bool = False, hide: Sequence[str] = ()
    ) -> list[tuple[str, tuple[str, ...]]]:
        """Every commit reachable from ``head``, parents first, with its parents.

        In first-parent mode only the first-parent chain is walked and each commit
        keeps only its first parent. ``hide``: leave out the history of these commits
        (libgit2 stops early on their ancestors, which keeps the walk short; a commit
        dated out of order may still be listed).
        """
        out = []
        try:
            walker = self.repo.walk(head, SortMode.TOPOLOGICAL | SortMode.REVERSE)
            for sha in hide:
                walker.hide(sha)
            if first_parent:
                walker.simplify_first_parent()
            for commit in walker:
                parents = tuple(str(p) for p in commit.parent_ids)
                if first_parent:
                    parents = parents[:1]
                out.append((str(commit.id), parents))
        except (KeyError, pygit2.GitError) as exc:
            missing = self._missing_from(exc, "commit", head)
            if missing is None:
                raise
        else:
            return out
        raise missing  # unchained: see _missing_from

    def resolve_person(self, name: str, email: str) -> tuple[str, str]:
        """A raw identity after the mailmap in use; emails match case-insensitively."""
        if self.mailmap is not None:
            with contextlib.suppress(pygit2.GitError, ValueError):
                name, email = self.mailmap.resolve(name, email.lower())
        return name, email.lower()

    @staticmethod
    def _raw(signature: pygit2.Signature) -> tuple[str, str]:
        return (
            signature.raw_name.decode("utf-8", "replace"),
            signature.raw_email.decode("utf-8", "replace"),
        )

    def commit(self, sha: str) -> pygit2.Commit:
        """The commit object of a sha.

        Raises:
            MissingObject: the commit is not in the repository.

        """
        commit = self.repo.get(sha)
        if commit is None:
            raise self.missing(sha, "commit")
        assert isinstance(commit, pygit2.Commit)
        return commit

    def parent_ids(self, sha: str) -> list[str]:
        """The parents of a commit."""
        return [str(p) for p in self.commit(sha).parent_ids]

    def _blob(self, blob_id: str) -> pygit2.Blob:
        blob = self.repo.get(blob_id)
        if blob is None:
            raise self.missing(blob_id, "blob")
        assert isinstance(blob, pygit2.Blob)
        return blob

    def has(self, oid: str | pygit2.Oid) -> bool:
        """Whether the object database holds an object (no read of its content)."""
        return oid in self.repo

    def missing(self, oid: str, kind: str) -> MissingObject:
        """The error saying that an object of this repository is missing."""
        return MissingObject(oid, kind, self.git_dir, self.promisor_remote)

    def _missing_from(self, exc: Exception, kind: str, fallback: str) -> MissingObject | None:
        """The missing object a libgit2 error is about, ``None`` if it is about another thing.

        libgit2 names the object in most messages ("not found", "unable to read");
        ``fallback`` is the object the failed call read, if it names none. Callers
        raise it after their ``except`` block, so that it does not chain libgit2's
        error: that error cannot be pickled (its class names a module, ``_pygit2``,
        that cannot be imported), and a chained one would stop the MissingObject from
        crossing processes wherever exception chains are pickled too (Dask's
        ``distributed`` makes that the rule for every process that imports it).
        """
        found = _OID.search(str(exc))
        oid = found.group(0) if found else fallback
        return None if self.has(oid) else self.missing(oid, kind)

    @property
    def promisor_remote(self) -> str | None:
        """The remote a partial clone fetches its missing objects from, if it is one.

        ``extensions.partialClone`` names it (as older git writes it); otherwise the
        first remote configured with ``promisor = true`` (as git 2.2x and later do).
        """
        if self._promisor is None:
            found = ""
            config = self.repo.config
            with contextlib.suppress(KeyError, pygit2.GitError, ValueError):
                found = str(config["extensions.partialclone"])
            if not found:
                for entry in config:
                    name = entry.name or ""
                    if not (name.startswith("remote.") and name.endswith(".promisor")):
                        continue
                    if (entry.value or "").lower() in ("true", "yes", "on", "1"):
                        found = name[len("remote.") : -len(".promisor")]
                        break
            self._promisor = found
        return self._promisor or None

    def meta(self, sha: str, parents: tuple[str, ...]) -> CommitMeta:
        """Identity and people of a commit."""
        commit = self.commit(sha)
        raw_author = self._raw(commit.author)
        raw_committer = self._raw(commit.committer)
        author_name, author_email = self.resolve_person(*raw_author)
        committer_name, committer_email = self.resolve_person(*raw_committer)
        message = commit.raw_message.decode("utf-8", "replace")
        return CommitMeta(
            sha=sha,
            parents=parents,
            author_name=author_name,
            author_email=author_email,
            authored_at=commit.author.time,
            author_offset=commit.author.offset,
            committer_name=committer_name,
            committer_email=committer_email,
            committed_at=commit.committer.time,
            committer_offset=commit.committer.offset,
            summary=message.split("\n", 1)[0][:200],
            raw_author=raw_author,
            raw_committer=raw_committer,
        )

    def message(self, sha: str) -> str:
        """A commit's whole message (undecodable bytes replaced)."""
        return self.commit(sha).raw_message.decode("utf-8", "replace")

    def blob(self, blob_id: str) -> bytes:
        """The bytes of a blob.

        Raises:
            MissingObject: the blob is not in the repository.

        """
        return bytes(self._blob(blob_id).data)

    def _tree(self, sha: str) -> pygit2.Tree:
        # A commit's tree is asked for as the new side, then as the next one's parent,
        # then by merges path by path: keep the last few.
        tree = self._trees.get(sha)
        if tree is None:
            commit = self.commit(sha)
            try:
                tree = commit.tree
            except (KeyError, pygit2.GitError):
                # libgit2 says "unable to read tree", not "not found", for this one.
                if self.has(commit.tree_id):
                    raise
                tree = None
            if tree is None:
                raise self.missing(str(commit.tree_id), "tree")  # unchained: see _missing_from
            if len(self._trees) >= TREES_KEPT:
                del self._trees[next(iter(self._trees))]
            self._trees[sha] = tree
        return tree

    def _diff(self, old: str | None, new: str) -> pygit2.Diff:
        """The tree diff of two commits (``old`` ``None``: against nothing), no content."""
        new_tree = self._tree(new)
        old_tree = self._tree(old) if old is not None else None
        try:
            if old_tree is None:
                return new_tree.diff_to_tree(swap=True, context_lines=0, interhunk_lines=0)
            return old_tree.diff_to_tree(new_tree, context_lines=0, interhunk_lines=0)
        except (KeyError, pygit2.GitError) as exc:
            missing = self._missing_from(exc, "tree", str(new_tree.id))
            if missing is None:
                raise
        raise missing  # unchained: see _missing_from

    def file_deltas(self, old: str | None, new: str) -> list[FileDelta]:
        """The Python files that differ between commit ``old`` (or nothing) and ``new``.

        See :meth:`python_diff`, which also gives the patch id.
        """
        return self.python_diff(old, new)[0]

    def python_diff(self, old: str | None, new: str) -> tuple[list[FileDelta], str | None]:
        """The Python files that differ between two commits, and their patch id.

        ``old`` is ``None`` for a root commit. The patch id (after ``git patch-id``,
        over the Python files only) is a digest of each file's path and its added and
        removed lines without their whitespace and line numbers (of an added or deleted
        file: its content id), so the same change applied on two branches (a
        cherry-pick) has the same id; ``None`` when no Python file differs.

        A side whose blob is missing (a partial or damaged clone) comes without hunks;
        when a rename candidate's blob is missing, only renames of identical content
        are found in that commit (similarity cannot be measured).

        Raises:
            MissingObject: a commit or tree is missing.

        """
        diff = self._diff(old, new)
        if old is not None:
            try:
                diff.find_similar(flags=DiffFind.FIND_RENAMES)
            except KeyError:
                diff = self._diff(old, new)
                diff.find_similar(flags=DiffFind.FIND_RENAMES | DiffFind.FIND_EXACT_MATCH_ONLY)
        out: list[FileDelta] = []
        digest = hashlib.blake2b(digest_size=16)
        for i, delta in enumerate(diff.deltas):
            old_file, new_file = delta.old_file, delta.new_file
            old_path, new_path = old_file.path, new_file.path
            if not (old_path.endswith(_SUFFIXES) or new_path.endswith(_SUFFIXES)):
                continue
            digest.update(f"{old_path}\0{new_path}\0".encode())
            status = delta.status_char()
            old_py = status != "A" and old_path.endswith(_SUFFIXES)
            new_py = status != "D" and new_path.endswith(_SUFFIXES)
            if not (old_py or new_py):
                continue
            old_ok = old_py and old_file.mode in _BLOB_MODES
            new_skip = _mode_skip(new_file.mode) if new_py else None
            new_ok = new_py and new_skip is None
            hunks: tuple[Hunk, ...] | None = None
            if old_ok and new_ok:
                # Reading the patch reads both blobs: a missing one leaves the hunks
                # unknown, for the extractor to record what it cannot read.
                with contextlib.suppress(KeyError):
                    patch = diff[i]
                    if patch is not None and not patch.delta.is_binary:
                        hunks = tuple(
                            [
                                Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines)
                                for h in patch.hunks
                            ]
                        )
                        _patch_lines(digest, patch.data)
            if hunks is None:
                digest.update(f"{old_file.id}\0{new_file.id}\0".encode())
            out.append(
                FileDelta(
                    old_path if old_ok else None,
                    new_path if new_py else None,
                    str(old_file.id) if old_ok else None,
                    str(new_file.id) if new_ok else None,
                    hunks,
                    new_skip,
                )
            )
        return out, (digest.hexdigest() if out else None)

    def tags(self) -> list[tuple[str, str, int]]:
        """Every tag that names a commit: ``(name, commit sha, commit time)``, by name.

        Annotated tags are peeled to their commit; tags of trees or blobs are left out.
        """
        out: list[tuple[str, str, int]] = []
        prefix = "refs/tags/"
        for name in self.repo.references:
            if not name.startswith(prefix):
                continue
            try:
                commit = self.repo.revparse_single(name).peel(pygit2.Commit)
            except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
                continue
            out.append((name[len(prefix) :], str(commit.id), int(commit.commit_time)))
        return sorted(out)

    def commits_changing(self, head: str, paths: Sequence[str]) -> list[tuple[str, int]]:
        """Commits reachable from ``head`` whose tree changed one of ``paths``.

        Each as ``(sha, commit time)``, parents first. A commit counts when the blob at
        a path (or its absence) differs from its first parent's; reads trees only.
        """
        seen: dict[str, tuple[str | None, ...]] = {}
        out: list[tuple[str, int]] = []
        walker = self.repo.walk(head, SortMode.TOPOLOGICAL | SortMode.REVERSE)
        for commit in walker:
            sha = str(commit.id)
            tree = commit.tree
            blobs: list[str | None] = []
            for path in paths:
                try:
                    blobs.append(str(tree[path].id))
                except KeyError:
                    blobs.append(None)
            here = tuple(blobs)
            seen[sha] = here
            parents = commit.parent_ids
            before = seen.get(str(parents[0])) if parents else None
            if (before if parents else (None,) * len(paths)) != here:
                out.append((sha, int(commit.commit_time)))
        return out

    def path_history(self, head: str, path: str) -> Iterator[str]:
        """Commits reachable from ``head`` whose first-parent diff changes ``path``.

        Newest first by commit time, as ``git log`` lists them, read lazily: a caller
        that has what it needs stops the walk there (a topological order would walk the
        whole history first).
        """

        def entry(commit: pygit2.Commit) -> str | None:
            try:
                return str(commit.tree[path].id)
            except KeyError:
                return None

        for commit in self.repo.walk(head, SortMode.TIME):
            here = entry(commit)
            parents = commit.parents
            before = entry(parents[0]) if parents else None
            if here != before:
                yield str(commit.id)

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits (``None``: unrelated histories)."""
        try:
            found = self.repo.merge_base(one, other)
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return None if found is None else str(found)

    def first_parent_at(self, head: str, moment: int) -> str | None:
        """The commit of ``head``'s first-parent chain current at ``moment`` (epoch seconds).

        The first one, from ``head`` back, committed at or before ``moment``; ``None``
        when the whole chain is later.
        """
        commit = self.commit(head)
        while True:
            if commit.commit_time <= moment:
                return str(commit.id)
            parents = commit.parent_ids
            if not parents:
                return None
            commit = self.commit(str(parents[0]))

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        """Whether ``ancestor`` is ``commit`` or one of its ancestors."""
        if ancestor == commit:
            return True
        return bool(self.repo.descendant_of(commit, ancestor))

    def _entry(self, sha: str, path: str) -> pygit2.Object | None:
        """The tree entry at ``path`` in a commit, ``None`` if there is none.

        Raises:
            MissingObject: a tree on the way is missing (libgit2 reports that as
                "not found", like an absent path).

        """
        tree = self._tree(sha)
        try:
            return tree[path]
        except KeyError:
            pass
        # Absent, or a directory on the way is missing: tell the two apart.
        node = tree
        for part in path.split("/")[:-1]:
            try:
                entry = node[part]
            except KeyError:
                return None
            if entry.type_str != "tree":
                return None
            if not self.has(entry.id):
                raise self.missing(str(entry.id), "tree") from None
            found = self.repo[entry.id]
            assert isinstance(found, pygit2.Tree)
            node = found
        return None

    def same_entry(self, old: str, new: str, path: str) -> bool:
        """Whether ``path`` is the same file (content and mode), or absent, in both commits.

        For a few paths, cheaper than a diff of two far-apart trees.
        """
        entries: list[tuple[pygit2.Oid, int] | None] = []
        for sha in (old, new):
            entry = self._entry(sha, path)
            entries.append(None if entry is None else (entry.id, entry.filemode))
        return entries[0] == entries[1]

    def changed_paths(self, old: str, new: str) -> dict[str, str | None]:
        """Python files that differ between two commits.

        Returns path to the blob in ``new`` (``None`` where ``new`` lacks the file);
        no content diff, no rename detection.
        """
        diff = self._diff(old, new)
        out: dict[str, str | None] = {}
        for delta in diff.deltas:
            if delta.status != DeltaStatus.ADDED and is_python_path(delta.old_file.path):
                out[delta.old_file.path] = None
            new_file = delta.new_file
            if (
                delta.status != DeltaStatus.DELETED
                and is_python_path(new_file.path)
                and new_file.mode in _BLOB_MODES
            ):
                out[new_file.path] = str(new_file.id)
        return out

    def blob_hunks(self, old_blob: str, new_blob: str) -> tuple[Hunk, ...] | None:
        """Zero-context hunks between two blobs; ``None`` if git sees binary content.

        Raises:
            MissingObject: either blob is missing.

        """
        patch = self._blob(old_blob).diff(  # type: ignore[call-arg]  # stubs lag the C API
            self._blob(new_blob), context_lines=0, interhunk_lines=0
        )
        if patch.delta.is_binary:
            return None
        return tuple(Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in patch.hunks)

    @staticmethod
    def text_hunks(old: str, new: str) -> tuple[Hunk, ...]:
        """Zero-context hunks between two texts, as git's diff finds them."""
        patch = pygit2.Patch.create_from(
            old.encode(), new.encode(), context_lines=0, interhunk_lines=0
        )
        return tuple(Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in patch.hunks)

    def python_blobs(self, sha: str) -> dict[str, str]:
        """Path to blob id of every Python source file in a commit's tree.

        Raises:
            MissingObject: a tree is missing.

        """
        out: dict[str, str] = {}
        stack: list[tuple[str, pygit2.Tree]] = [("", self._tree(sha))]
        while stack:
            prefix, tree = stack.pop()
            missing: MissingObject | None = None
            try:
                entries = list(tree)
            except (KeyError, pygit2.GitError) as exc:
                missing = self._missing_from(exc, "tree", str(tree.id))
                if missing is None:
                    raise
            if missing is not None:
                raise missing  # unchained: see _missing_from
            for entry in entries:
                name = entry.name or ""
                if isinstance(entry, pygit2.Tree):
                    stack.append((prefix + name + "/", entry))
                elif entry.filemode in _BLOB_MODES and is_python_path(name):
                    out[prefix + name] = str(entry.id)
        return out

    def blob_at(self, sha: str, path: str) -> str | None:
        """The blob id of ``path`` in a commit's tree, if it is a regular file."""
        entry = self._entry(sha, path)
        if entry is None:
            return None
        return str(entry.id) if entry.filemode in _BLOB_MODES else None

    def needed_blobs(self, commits: Sequence[tuple[str, tuple[str, ...]]]) -> set[str]:
        """The blobs that indexing ``commits`` may read (present or not).

        Every Python file version of their trees enters through some commit's diff
        against its first parent (or against nothing, for a root), so the Python blobs
        on both sides of those diffs cover what extraction, merges and the head read.
        Where a commit adds or deletes a Python file and also has other files added
        and deleted, those are rename candidates whose content git's similarity
        measure reads: their blobs are needed too, whatever their names. Reads trees
        only.

        Raises:
            MissingObject: a commit or tree is missing.

        """
        out: set[str] = set()
        for sha, parents in commits:
            diff = self._diff(parents[0] if parents else None, sha)
            added: list[str] = []
            deleted: list[str] = []
            python_added_or_deleted = False
            for delta in diff.deltas:
                old_file, new_file = delta.old_file, delta.new_file
                if delta.status == DeltaStatus.ADDED:
                    if new_file.mode in _BLOB_MODES or new_file.mode == _LINK:
                        added.append(str(new_file.id))
                    python_added_or_deleted |= is_python_path(new_file.path)
                elif delta.status == DeltaStatus.DELETED:
                    if old_file.mode in _BLOB_MODES or old_file.mode == _LINK:
                        deleted.append(str(old_file.id))
                    python_added_or_deleted |= is_python_path(old_file.path)
                for side in (old_file, new_file):
                    if side.mode in _BLOB_MODES and is_python_path(side.path):
                        out.add(str(side.id))
            if parents and python_added_or_deleted and added and deleted:
                out.update(added)
                out.update(deleted)
        out.discard(_NULL_OID)
        return out
