"""Everything loopintel reads from git, through pygit2 (the only module importing it).

Commits come in topological order, parents first. A non-merge commit is compared with
its parent: zero-context hunks, git's default rename detection (50% similarity).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import NamedTuple

import pygit2
from pygit2.enums import DeltaStatus, DiffFind, SortMode

from loopintel.errors import NotARepository, UnknownRef
from loopintel.languages.layout import Hunk

__all__ = [
    "CommitMeta",
    "FileDelta",
    "GitRepository",
    "is_python_path",
]

_BLOB_MODES = frozenset(
    {int(pygit2.enums.FileMode.BLOB), int(pygit2.enums.FileMode.BLOB_EXECUTABLE)}
)
_SUFFIXES = (".py", ".pyw")
_EMAIL = re.compile(r"<[^<>]*>")


TREES_KEPT = 16
"""Commit trees a repository object keeps at hand (the walk asks for each a few times)."""


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
        self.mailmap: pygit2.Mailmap | None = None
        with contextlib.suppress(pygit2.GitError):
            self.mailmap = pygit2.Mailmap.from_repository(self.repo)

    def use_mailmap_of(self, sha: str) -> None:
        """Resolve identities with the ``.mailmap`` of a commit's tree.

        The indexed history's own mailmap applies, whatever the work tree holds;
        without one, the repository's configured mailmap (if any) stays in use.
        """
        blob = self.blob_at(sha, ".mailmap")
        if blob is not None:
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

    def walk(self, head: str, *, first_parent: bool = False) -> list[tuple[str, tuple[str, ...]]]:
        """Every commit reachable from ``head``, parents first, with its parents.

        In first-parent mode only the first-parent chain is walked and each commit
        keeps only its first parent.
        """
        walker = self.repo.walk(head, SortMode.TOPOLOGICAL | SortMode.REVERSE)
        if first_parent:
            walker.simplify_first_parent()
        out = []
        for commit in walker:
            parents = tuple(str(p) for p in commit.parent_ids)
            if first_parent:
                parents = parents[:1]
            out.append((str(commit.id), parents))
        return out

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
        """The commit object of a sha."""
        commit = self.repo[sha]
        assert isinstance(commit, pygit2.Commit)
        return commit

    def parent_ids(self, sha: str) -> list[str]:
        """The parents of a commit."""
        return [str(p) for p in self.commit(sha).parent_ids]

    def _blob(self, blob_id: str) -> pygit2.Blob:
        blob = self.repo[blob_id]
        assert isinstance(blob, pygit2.Blob)
        return blob

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

    def blob(self, blob_id: str) -> bytes:
        """The bytes of a blob."""
        return bytes(self._blob(blob_id).data)

    def _tree(self, sha: str) -> pygit2.Tree:
        # A commit's tree is asked for as the new side, then as the next one's parent,
        # then by merges path by path: keep the last few.
        tree = self._trees.get(sha)
        if tree is None:
            tree = self.commit(sha).tree
            if len(self._trees) >= TREES_KEPT:
                del self._trees[next(iter(self._trees))]
            self._trees[sha] = tree
        return tree

    def file_deltas(self, old: str | None, new: str) -> list[FileDelta]:
        """The Python files that differ between commit ``old`` (or nothing) and ``new``."""
        new_tree = self._tree(new)
        if old is None:
            diff = new_tree.diff_to_tree(swap=True, context_lines=0, interhunk_lines=0)
        else:
            diff = self._tree(old).diff_to_tree(new_tree, context_lines=0, interhunk_lines=0)
            diff.find_similar(flags=DiffFind.FIND_RENAMES)
        out: list[FileDelta] = []
        for i, delta in enumerate(diff.deltas):
            old_file, new_file = delta.old_file, delta.new_file
            old_path, new_path = old_file.path, new_file.path
            if not (old_path.endswith(_SUFFIXES) or new_path.endswith(_SUFFIXES)):
                continue
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
                patch = diff[i]
                if patch is not None and not patch.delta.is_binary:
                    hunks = tuple(
                        [
                            Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines)
                            for h in patch.hunks
                        ]
                    )
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
        return out

    def same_entry(self, old: str, new: str, path: str) -> bool:
        """Whether ``path`` is the same file (content and mode), or absent, in both commits.

        For a few paths, cheaper than a diff of two far-apart trees.
        """
        entries: list[tuple[pygit2.Oid, int] | None] = []
        for sha in (old, new):
            try:
                entry = self._tree(sha)[path]
            except KeyError:
                entries.append(None)
            else:
                entries.append((entry.id, entry.filemode))
        return entries[0] == entries[1]

    def changed_paths(self, old: str, new: str) -> dict[str, str | None]:
        """Python files that differ between two commits.

        Returns path to the blob in ``new`` (``None`` where ``new`` lacks the file);
        no content diff, no rename detection.
        """
        diff = self._tree(old).diff_to_tree(self._tree(new))
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
        """Zero-context hunks between two blobs; ``None`` if git sees binary content."""
        patch = self._blob(old_blob).diff(  # type: ignore[call-arg]  # stubs lag the C API
            self._blob(new_blob), context_lines=0, interhunk_lines=0
        )
        if patch.delta.is_binary:
            return None
        return tuple(Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in patch.hunks)

    def python_blobs(self, sha: str) -> dict[str, str]:
        """Path to blob id of every Python source file in a commit's tree."""
        out: dict[str, str] = {}
        stack: list[tuple[str, pygit2.Tree]] = [("", self._tree(sha))]
        while stack:
            prefix, tree = stack.pop()
            for entry in tree:
                name = entry.name or ""
                if isinstance(entry, pygit2.Tree):
                    stack.append((prefix + name + "/", entry))
                elif entry.filemode in _BLOB_MODES and is_python_path(name):
                    out[prefix + name] = str(entry.id)
        return out

    def blob_at(self, sha: str, path: str) -> str | None:
        """The blob id of ``path`` in a commit's tree, if it is a regular file."""
        try:
            entry = self._tree(sha)[path]
        except KeyError:
            return None
        return str(entry.id) if entry.filemode in _BLOB_MODES else None
