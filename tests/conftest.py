"""Shared fixtures: deterministic git repositories built with pygit2."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2
import pytest

if TYPE_CHECKING:
    from collections.abc import Mapping

CORPUS = Path(
    os.environ.get("LOOPINTEL_CORPUS")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
)
"""The corpus bundles: ``$LOOPINTEL_CORPUS``, else ``../shared/corpus`` beside the checkout."""

EPOCH = 1_700_000_000

PACK_THRESHOLD = 1000
"""A commit bringing at least this many new file contents stores them as one pack."""


@pytest.fixture(autouse=True)
def _isolated_git(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No global or system git config, no index location from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("LOOPINTEL_INDEX", raising=False)
    for level in (
        pygit2.enums.ConfigLevel.GLOBAL,
        pygit2.enums.ConfigLevel.XDG,
        pygit2.enums.ConfigLevel.SYSTEM,
    ):
        pygit2.settings.search_path[level] = str(home)


def commits_in_index(index: Path) -> int:
    """Commits an index holds, stored or kept aside, read as another process would.

    0 while the file is not there or is being created.
    """
    try:
        db = sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=2.0)
        try:
            stored = db.execute("SELECT count(*) FROM commits").fetchone()[0]
            kept = db.execute("SELECT count(*) FROM staged").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0
    return int(stored) + int(kept)


class RepoBuilder:
    """Builds a repository commit by commit, with fixed people and times.

    Files are given as text (dedented), bytes, ``None`` (delete), or
    ``("link", target)`` / ``("submodule", sha)`` for special entries.
    """

    def __init__(self, path: Path, *, bare: bool = False) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), bare=bare, initial_head="main")
        self.files: dict[str, object] = {}
        self.tick = 0
        self.head: str | None = None
        # Each commit writes the whole tree; a blob already written is not written again
        # (libgit2 would touch its file), which made long histories slow to build.
        self._blobs: dict[bytes, pygit2.Oid] = {}

    def _signature(
        self, name: str, email: str, offset: int, at: int | None = None
    ) -> pygit2.Signature:
        self.tick += 1
        return pygit2.Signature(name, email, EPOCH + self.tick * 3600 if at is None else at, offset)

    @staticmethod
    def _data(content: object) -> bytes:
        return content if isinstance(content, bytes) else str(content).encode()

    def _pack(self, files: Mapping[str, object]) -> None:
        """Store many new file contents at once, as one pack written by git fast-import.

        Thousands of loose objects take seconds to write on a busy disk (a 10,000-file
        commit took 2 to 6 s); one pack takes a fraction of a second. Without git the
        contents are written one by one, as for any commit.
        """
        new = dict.fromkeys(
            data
            for content in files.values()
            if not isinstance(content, tuple) and (data := self._data(content)) not in self._blobs
        )
        if len(new) < PACK_THRESHOLD or shutil.which("git") is None:
            return
        stream = b"".join(b"blob\ndata %d\n%s\n" % (len(data), data) for data in new)
        subprocess.run(
            ["git", "--git-dir", self.repo.path, "fast-import", "--quiet"],
            input=stream,
            check=True,
            capture_output=True,
        )
        for data in new:
            self._blobs[data] = pygit2.hash(data)

    def _blob(self, data: bytes) -> pygit2.Oid:
        oid = self._blobs.get(data)
        if oid is None:
            oid = self._blobs[data] = self.repo.create_blob(data)
        return oid

    def _tree(self, files: dict[str, object]) -> pygit2.Oid:
        root: dict[str, object] = {}
        for path, content in files.items():
            node = root
            *dirs, name = path.split("/")
            for part in dirs:
                node = node.setdefault(part, {})  # type: ignore[assignment]
            node[name] = content

        def build(node: dict[str, object]) -> pygit2.Oid:
            builder = self.repo.TreeBuilder()
            for name, value in sorted(node.items()):
                if isinstance(value, dict):
                    builder.insert(name, build(value), pygit2.enums.FileMode.TREE)
                elif isinstance(value, tuple) and value[0] == "link":
                    blob = self.repo.create_blob(value[1].encode())
                    builder.insert(name, blob, pygit2.enums.FileMode.LINK)
                elif isinstance(value, tuple) and value[0] == "submodule":
                    builder.insert(name, pygit2.Oid(hex=value[1]), pygit2.enums.FileMode.COMMIT)
                else:
                    builder.insert(name, self._blob(self._data(value)), pygit2.enums.FileMode.BLOB)
            return builder.write()

        return build(root)

    def commit(
        self,
        files: Mapping[str, object] | None = None,
        message: str = "change",
        *,
        author: tuple[str, str] = ("Ada Lovelace", "ada@example.com"),
        offset: int = 60,
        parents: list[str] | None = None,
        replace: bool = False,
        ref: str | None = "refs/heads/main",
        at: int | None = None,
    ) -> str:
        """Commit the current files updated with ``files``; returns the sha."""
        if replace:
            self.files = {}
        for path, content in (files or {}).items():
            if content is None:
                self.files.pop(path, None)
            elif isinstance(content, str):
                self.files[path] = textwrap.dedent(content).lstrip("\n")
            else:
                self.files[path] = content
        self._pack(self.files)
        tree = self._tree(self.files)
        signature = self._signature(*author, offset, at)
        if parents is None:
            parents = [self.head] if self.head else []
        oid = self.repo.create_commit(None, signature, signature, message, tree, parents)
        if ref is not None:
            self.repo.references.create(ref, oid, force=True)
        self.head = str(oid)
        return self.head

    def checkout_files(self, sha: str) -> None:
        """Make ``files`` the tree of ``sha`` (to continue a branch from there)."""
        self.files = {}
        commit = self.repo[sha]
        assert isinstance(commit, pygit2.Commit)
        stack = [("", commit.tree)]
        while stack:
            prefix, tree = stack.pop()
            for entry in tree:
                path = f"{prefix}{entry.name}"
                if isinstance(entry, pygit2.Tree):
                    stack.append((path + "/", entry))
                else:
                    assert isinstance(entry, pygit2.Blob)
                    self.files[path] = entry.data
        self.head = sha


@pytest.fixture
def repo_builder(tmp_path: Path) -> RepoBuilder:
    """An empty repository in a temporary directory."""
    return RepoBuilder(tmp_path / "repo")


def corpus_repo(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare clone of a corpus bundle, or a skip when the corpus is absent."""
    bundle = CORPUS / f"{name}.bundle"
    if not bundle.exists():
        pytest.skip(f"corpus bundle {bundle} is not present")
    if shutil.which("git") is None:
        pytest.skip("git is needed to clone the corpus bundles")
    dest = tmp_path_factory.mktemp("corpus") / f"{name}.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(dest)], check=True)
    return dest
