"""A slow, obviously correct reference for which functions each commit changed.

Both sides of every changed file are parsed whole (no incremental re-parse, no
caches between commits), and each function's source segment is compared. The fast
path must agree exactly on added / modified / deleted per commit.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pygit2
from pygit2.enums import SortMode

from loopintel.history.git import is_python_path
from loopintel.languages import python

if TYPE_CHECKING:
    from collections.abc import Iterable

    import loopintel

Key = tuple[str, str, str, str]
"""(commit, kind, path, qualname) with kind in added / modified / deleted."""

_BLOB = (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE)


class Reference:
    def __init__(
        self, path: str, *, first_parent: bool = False, max_file_bytes: int = python.MAX_FILE_BYTES
    ) -> None:
        self.repo = pygit2.Repository(path)
        self.first_parent = first_parent
        self.max_file_bytes = max_file_bytes
        self.memo: dict[str, dict[str, bytes] | None] = {}

    def functions(self, blob: str | None) -> dict[str, bytes] | None:
        """Digest of each function's segment by qualname; None when unreadable; {} when absent."""
        if blob is None:
            return {}
        if blob in self.memo:
            return self.memo[blob]
        obj = self.repo[blob]
        assert isinstance(obj, pygit2.Blob)
        data = obj.data
        outcome = python.parse_layout(data, max_bytes=self.max_file_bytes)
        result = None
        if outcome.layout is not None:
            lines = python.decode(data)[0].split("\n")
            result = {
                s.qualname: hashlib.blake2b(
                    python.segment(lines, s).encode("utf-8", "surrogatepass")
                ).digest()
                for s in python.function_spans(outcome.layout)
            }
        self.memo[blob] = result
        return result

    def _paths(
        self, old: pygit2.Commit | None, new: pygit2.Commit
    ) -> dict[str, tuple[str | None, str | None]]:
        diff = new.tree.diff_to_tree(swap=True) if old is None else old.tree.diff_to_tree(new.tree)
        out: dict[str, tuple[str | None, str | None]] = {}
        for delta in diff.deltas:
            path = (
                delta.new_file.path
                if delta.status != pygit2.enums.DeltaStatus.DELETED
                else delta.old_file.path
            )
            if not is_python_path(path):
                continue
            ob = (
                str(delta.old_file.id)
                if delta.status != pygit2.enums.DeltaStatus.ADDED and delta.old_file.mode in _BLOB
                else None
            )
            nb = (
                str(delta.new_file.id)
                if delta.status != pygit2.enums.DeltaStatus.DELETED and delta.new_file.mode in _BLOB
                else None
            )
            out[path] = (ob, nb)
        return out

    def _blob_at(self, commit: pygit2.Commit, path: str) -> str | None:
        try:
            entry = commit.tree[path]
        except KeyError:
            return None
        return str(entry.id) if entry.filemode in _BLOB else None

    def run(self, head: str) -> tuple[set[Key], set[tuple[str, str]]]:
        """Changes per commit, and the (commit, path) pairs it could not judge."""
        walker = self.repo.walk(head, SortMode.TOPOLOGICAL | SortMode.REVERSE)
        if self.first_parent:
            walker.simplify_first_parent()
        keys: set[Key] = set()
        unjudged: set[tuple[str, str]] = set()
        for commit in walker:
            sha = str(commit.id)
            parents = list(commit.parents)
            if self.first_parent:
                parents = parents[:1]
            if len(parents) <= 1:
                parent = parents[0] if parents else None
                for path, (ob, nb) in self._paths(parent, commit).items():
                    before, after = self.functions(ob), self.functions(nb)
                    if before is None or after is None:
                        unjudged.add((sha, path))
                        continue
                    keys.update(self._compare(sha, path, before, after))
                continue
            for path, (_, nb) in self._paths(parents[0], commit).items():
                versions = [self._blob_at(p, path) for p in parents]
                if nb in versions:
                    continue
                after = self.functions(nb)
                befores = [self.functions(v) for v in versions]
                if after is None or any(b is None for b in befores):
                    unjudged.add((sha, path))
                    continue
                per_parent = [self._compare(sha, path, b, after) for b in befores]  # type: ignore[arg-type]
                changed_everywhere = set.intersection(*({k[3] for k in s} for s in per_parent))
                keys.update(k for k in per_parent[0] if k[3] in changed_everywhere)
        return keys, unjudged

    @staticmethod
    def _compare(
        sha: str, path: str, before: dict[str, bytes], after: dict[str, bytes]
    ) -> set[Key]:
        out: set[Key] = set()
        for q in before.keys() | after.keys():
            if q not in after:
                out.add((sha, "deleted", path, q))
            elif q not in before:
                out.add((sha, "added", path, q))
            elif before[q] != after[q]:
                out.add((sha, "modified", path, q))
        return out


def fast_keys(changes: Iterable[loopintel.Change]) -> set[Key]:
    """The fast path's changes in the reference's terms (moves as delete + add)."""
    out: set[Key] = set()
    for c in changes:
        kind = c.kind.value
        if kind in ("added", "deleted", "modified"):
            out.add((c.commit, kind, c.path, c.qualname))
        else:
            assert c.old_path is not None
            assert c.old_qualname is not None
            out.add((c.commit, "deleted", c.old_path, c.old_qualname))
            out.add((c.commit, "added", c.path, c.qualname))
    return out
