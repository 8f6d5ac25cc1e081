"""Partial clones and damaged repositories: index what can be read, fetch what is missing.

Partial clones are made by git itself (``git clone --filter=blob:none`` from a
``file://`` repository), so their blobs really are absent; damaged repositories lose a
loose object file.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import shutil
import subprocess
import sys
import warnings
from typing import TYPE_CHECKING, Any

import pygit2
import pytest

import loopintel
from loopintel.history import promisor
from tests.conftest import RepoBuilder, corpus_repo

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

needs_git = pytest.mark.skipif(
    shutil.which("git") is None, reason="git is needed to make partial clones"
)
pytestmark = needs_git

CORE_V1 = """
from pkg.legacy import old_call


def start(config):
    return {"config": config}


def stop(app):
    app.clear()
    return app


def call(value):
    return old_call(value)
"""
CORE_V2 = CORE_V1.replace('return {"config": config}', 'return {"config": config, "v": 2}')
CORE_BRANCH = CORE_V2.replace("app.clear()", "app.clear()\n    app.closed = True")
CORE_MAIN = CORE_V2.replace("return old_call(value)", "return old_call(value) or value")
CORE_MERGED = CORE_BRANCH.replace("return old_call(value)", "return old_call(value) or value")
CORE_FINAL = CORE_MERGED.replace("def stop(app):", "def stop(app, *, force=False):")
UTIL = "".join(f"def helper{i}(x):\n    return x + {i}\n\n\n" for i in range(6))
LEGACY = "def old_call(value):\n    return value\n"
PYPROJECT = '[tool.loopintel]\ndeprecated = ["pkg.legacy"]\n'


class History:
    """The commits of :func:`history` by role."""

    def __init__(self, builder: RepoBuilder) -> None:
        self.builder = builder
        self.start = builder.commit(
            {
                ".mailmap": "Ann Example <ann@example.com> <ann@old.example>\n",
                "pyproject.toml": PYPROJECT,
                "pkg/__init__.py": "",
                "pkg/legacy.py": LEGACY,
                "pkg/core.py": CORE_V1,
                "pkg/util.py": UTIL,
                "notes.txt": "release notes\nfirst line\n",
                "README.md": "The package\n",
            },
            "Start",
            author=("Ann", "ann@old.example"),
        )
        self.edit = builder.commit(
            {"pkg/core.py": CORE_V2, "README.md": "The package, edited\n"}, "Edit core"
        )
        # A renamed module, edited, beside other files deleted and added: rename
        # detection has to read all of them.
        self.rename = builder.commit(
            {
                "pkg/util.py": None,
                "pkg/helpers.py": UTIL.replace("x + 3", "x + 30"),
                "notes.txt": None,
                "docs/notes.md": "release notes\n",
            },
            "Rename util to helpers",
            author=("Bob", "bob@example.com"),
        )
        self.branch = builder.commit(
            {"pkg/core.py": CORE_BRANCH}, "Close on stop", ref="refs/heads/topic"
        )
        builder.checkout_files(self.rename)
        self.main = builder.commit({"pkg/core.py": CORE_MAIN}, "Fall back to the value")
        self.merge = builder.commit(
            {"pkg/core.py": CORE_MERGED}, "Merge topic", parents=[self.main, self.branch]
        )
        self.final = builder.commit(
            {"pkg/core.py": CORE_FINAL}, "Forced stop", author=("Ann", "ann@example.com")
        )

    def blob(self, commit: str, path: str) -> str:
        """The blob id of a file in one of the commits."""
        tree = self.builder.repo[commit].peel(pygit2.Commit).tree
        return str(tree[path].id)


@pytest.fixture
def source(repo_builder: RepoBuilder) -> History:
    """The full repository, ready to serve partial clones."""
    made = History(repo_builder)
    git("config", "uploadpack.allowFilter", "true", cwd=repo_builder.path)
    return made


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def partial_clone(source: Path, dest: Path, *, bare: bool = True) -> Path:
    """A blob-less partial clone of ``source`` (bare: no blob at all is fetched)."""
    options = ["--bare"] if bare else []
    git(
        "clone",
        "--quiet",
        *options,
        "--filter=blob:none",
        f"file://{source}",
        str(dest),
        cwd=dest.parent,
    )
    return dest


def present(path: Path, oid: str) -> bool:
    return oid in pygit2.Repository(str(path))


def remove_loose(repo: Path, oid: str) -> Path:
    """Delete a loose object file, as damage or an interrupted copy would."""
    found = repo / ".git" / "objects" / oid[:2] / oid[2:]
    assert found.exists(), "repo_builder writes loose objects"
    found.unlink()
    return found


def opened(path: Path, index: Path, **options: Any) -> tuple[loopintel.Repository, list[str]]:
    """Open and index; the messages of the MissingObjectsWarnings given."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repo = loopintel.open(path, index_path=index, **options)
    messages = [str(w.message) for w in caught if w.category is loopintel.MissingObjectsWarning]
    return repo, messages


def export(repo: loopintel.Repository) -> tuple[list[dict[str, Any]], ...]:
    """What users read back: changes, functions at the head, skips."""
    return (
        [c.to_dict() for c in repo.changes()],
        [f.to_dict() for f in repo.functions()],
        [s.to_dict() for s in repo.skipped()],
    )


@pytest.fixture
def full(source: History, tmp_path: Path) -> Iterator[loopintel.Repository]:
    with loopintel.open(source.builder.path, index_path=tmp_path / "full.sqlite3") as repo:
        yield repo


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopintel", *args], capture_output=True, text=True, check=False
    )


# -- partial clones -----------------------------------------------------------------------


def test_partial_clone_indexes_and_names_every_missing_blob(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    repo, messages = opened(clone, tmp_path / "p.sqlite3")
    with repo:
        assert repo.commit_count() == full.commit_count() == 7
        skips = repo.skipped()
        assert skips
        assert list(repo.changes()) == []
        for skip in skips:
            assert skip.reason == f"missing object {skip.blob}"
            assert not present(clone, skip.blob)
        assert (source.edit, "pkg/core.py", source.blob(source.edit, "pkg/core.py")) in {
            (s.commit, s.path, s.blob) for s in skips
        }
        # Every Python version the history brought is accounted for, each once.
        assert sorted((s.commit, s.path) for s in skips) == sorted(
            [
                *((source.start, p) for p in ("pkg/__init__.py", "pkg/legacy.py")),
                (source.start, "pkg/core.py"),
                (source.start, "pkg/util.py"),
                (source.rename, "pkg/helpers.py"),
                *(
                    (commit, "pkg/core.py")
                    for commit in (
                        source.edit,
                        source.branch,
                        source.main,
                        source.merge,
                        source.final,
                    )
                ),
            ]
        )
    assert len(messages) == 1
    objects = len({s.blob for s in skips})
    assert (
        f"{len(skips)} file versions skipped because {objects} objects are missing" in (messages[0])
    )
    assert "partial clone" in messages[0]
    assert "--fetch-missing" in messages[0]
    assert ".mailmap is missing" in messages[0]


def test_partial_clone_with_a_checkout_reads_the_head(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "checkout", bare=False)
    repo, messages = opened(clone, tmp_path / "c.sqlite3")
    with repo:
        # The head's blobs were fetched for the checkout: its functions are all there.
        assert [f.ref for f in repo.functions()] == [f.ref for f in full.functions()]
        # The final commit changed a version git fetched from one it did not.
        reasons = {(s.commit, s.path): s.reason for s in repo.skipped()}
        before = source.blob(source.merge, "pkg/core.py")
        assert reasons[source.final, "pkg/core.py"] == (
            f"no readable earlier version (missing object {before})"
        )
        # helpers.py came in the rename and is unchanged since: introduced, readable.
        helpers = [c for c in repo.changes() if c.path == "pkg/helpers.py"]
        assert helpers
        assert {c.kind for c in helpers} == {loopintel.ChangeKind.ADDED}
    assert len(messages) == 1


def test_fetch_missing_gives_the_full_clones_index(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    repo, messages = opened(clone, tmp_path / "p.sqlite3", fetch_missing=True)
    with repo:
        assert export(repo) == export(full)
        assert repo.skipped() == []
    assert messages == []
    listed = git("rev-list", "--objects", "--missing=print", "HEAD", cwd=clone).split()
    # Only what indexing reads is fetched: not the documentation's blobs (its notes,
    # renamed beside a Python file, were fetched for rename detection).
    assert {m[1:] for m in listed if m.startswith("?")} == {
        source.blob(source.start, "README.md"),
        source.blob(source.edit, "README.md"),
    }


def test_fetching_later_reindexes_what_was_skipped(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    index = tmp_path / "p.sqlite3"
    repo, _ = opened(clone, index)
    repo.close()
    repo, messages = opened(clone, index, fetch_missing=True)
    with repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 7
        assert repo.last_index.commits_removed == 0
        assert export(repo) == export(full)
    assert messages == []


def test_objects_fetched_by_git_itself_are_read_on_the_next_run(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    index = tmp_path / "p.sqlite3"
    repo, _ = opened(clone, index)
    repo.close()
    # git fetches a partial clone's blobs on demand: here every one of them.
    git("rev-list", "--objects", "HEAD", cwd=clone)
    subprocess.run(
        ["git", "cat-file", "--batch"],
        input=git("rev-list", "--objects", "--all", cwd=clone),
        cwd=clone,
        check=True,
        capture_output=True,
        text=True,
    )
    repo, messages = opened(clone, index)
    with repo:
        assert export(repo) == export(full)
    assert messages == []


def test_the_command_line_on_a_partial_clone(source: History, tmp_path: Path) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    index = str(tmp_path / "p.sqlite3")
    result = run_cli("index", str(clone), "--index-path", index)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1
    assert "partial clone" in warned[0]
    assert "Traceback" not in result.stderr
    listed = run_cli("skipped", str(clone), "--index-path", index, "--no-update")
    assert listed.returncode == 0
    assert "missing object" in listed.stdout
    fetched = run_cli("index", str(clone), "--index-path", index, "--fetch-missing")
    assert fetched.returncode == 0, fetched.stderr
    assert "warning:" not in fetched.stderr
    full_index = str(tmp_path / "full.sqlite3")
    for command in (("changes", "--format", "jsonl"), ("functions", "--json")):
        mine = run_cli(*command, str(clone), "--index-path", index, "--no-update")
        theirs = run_cli(*command, str(source.builder.path), "--index-path", full_index)
        assert mine.returncode == theirs.returncode == 0
        assert mine.stdout
        assert mine.stdout == theirs.stdout, command


def test_fetch_without_git_says_so(
    source: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(loopintel.RepositoryError, match="git is not installed"):
        loopintel.open(clone, index_path=tmp_path / "p.sqlite3", fetch_missing=True)


def test_a_failed_fetch_quotes_git(source: History, tmp_path: Path) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    git("config", "remote.origin.url", f"file://{tmp_path / 'gone'}", cwd=clone)
    with pytest.raises(loopintel.RepositoryError, match="promisor remote 'origin' failed: "):
        loopintel.open(clone, index_path=tmp_path / "p.sqlite3", fetch_missing=True)
    # Without fetching, what is there is indexed.
    repo, messages = opened(clone, tmp_path / "p.sqlite3")
    repo.close()
    assert len(messages) == 1


def test_fetches_are_batched(
    source: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    calls: list[int] = []
    real = subprocess.run

    def counting(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        calls.append(len(str(options.get("input", "")).split()))
        return real(command, **options)

    monkeypatch.setattr(subprocess, "run", counting)
    monkeypatch.setattr(promisor, "FETCH_BATCH", 4)
    with loopintel.open(clone, index_path=tmp_path / "p.sqlite3", fetch_missing=True) as repo:
        assert repo.skipped() == []
    wanted = sum(calls)
    assert wanted > 4
    assert calls == [4] * (wanted // 4) + ([wanted % 4] if wanted % 4 else [])


def test_coverage_of_a_missing_version_is_refused_then_imported(
    source: History, tmp_path: Path
) -> None:
    clone = partial_clone(source.builder.path, tmp_path / "partial.git")
    lcov = tmp_path / "coverage.lcov"
    lcov.write_text("SF:pkg/core.py\nDA:4,1\nDA:5,1\nend_of_record\n")
    index = tmp_path / "p.sqlite3"
    repo, _ = opened(clone, index)
    with repo, pytest.raises(loopintel.CoverageDataError, match="missing object") as caught:
        repo.import_coverage(lcov)
    assert source.blob(source.final, "pkg/core.py") in str(caught.value)
    repo, _ = opened(clone, index, fetch_missing=True)
    with repo:
        snapshot = repo.import_coverage(lcov)
        assert snapshot.files == 1
        assert repo.function("start").coverage is not None


def test_deprecation_of_a_missing_version_is_unknown(source: History, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    index = tmp_path / "d.sqlite3"
    loopintel.open(damaged, index_path=index).close()
    # Objects lost after indexing: the index knows the functions, git lacks the code.
    core = source.blob(source.final, "pkg/core.py")
    remove_loose(damaged, core)
    with loopintel.open(damaged, index_path=index, deprecated="pkg.legacy") as repo:
        answer = repo.function("call").deprecation()
        assert answer.deprecated is None
        assert answer.unknown_reason == f"missing object {core}"
    settings = source.blob(source.final, "pyproject.toml")
    remove_loose(damaged, settings)
    with loopintel.open(damaged, index_path=index) as repo:
        answer = repo.function("pkg/legacy.py::old_call").deprecation()
        assert answer.deprecated is None
        assert answer.unknown_reason is not None
        assert f"missing object {settings}" in answer.unknown_reason
    with loopintel.open(damaged, index_path=index, deprecated="pkg.legacy") as repo:
        assert repo.function("pkg/legacy.py::old_call").deprecation().deprecated is True


# -- damaged repositories ---------------------------------------------------------------


def test_a_deleted_blob_skips_only_its_version(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    lost = source.blob(source.edit, "pkg/core.py")
    remove_loose(damaged, lost)
    repo, messages = opened(damaged, tmp_path / "d.sqlite3")
    with repo:
        assert [(s.commit, s.path, s.blob, s.reason) for s in repo.skipped()] == [
            (source.edit, "pkg/core.py", lost, f"missing object {lost}")
        ]
        # Everything that did not need the lost version is as in the full repository.
        affected = {source.edit, source.branch, source.main}
        mine = [c.to_dict() for c in repo.changes() if c.commit not in affected]
        theirs = [c.to_dict() for c in full.changes() if c.commit not in affected]
        assert mine == theirs
        # The edits made on the lost version are compared with the one before it.
        stop = [c for c in repo.changes(function="stop") if c.commit == source.branch]
        assert [c.kind for c in stop] == [loopintel.ChangeKind.MODIFIED]
        # The head is whole; only when its functions last changed moved.
        assert [(f.ref, f.lineage) for f in repo.functions()] == [
            (f.ref, f.lineage) for f in full.functions()
        ]
    assert len(messages) == 1
    assert "1 file version skipped because 1 object is missing" in messages[0]
    assert "damaged" in messages[0]
    assert "partial clone" not in messages[0]


def test_a_restored_blob_is_read_on_the_next_run(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    lost = source.blob(source.edit, "pkg/core.py")
    gone = remove_loose(damaged, lost)
    index = tmp_path / "d.sqlite3"
    repo, _ = opened(damaged, index)
    repo.close()
    shutil.copy(source.builder.path / ".git" / "objects" / lost[:2] / lost[2:], gone)
    repo, messages = opened(damaged, index)
    with repo:
        assert export(repo) == export(full)
    assert messages == []


def test_a_restored_mailmap_maps_people_again(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    mailmap = source.blob(source.final, ".mailmap")
    gone = remove_loose(damaged, mailmap)
    index = tmp_path / "d.sqlite3"
    repo, messages = opened(damaged, index)
    with repo:
        assert repo.skipped() == []
        assert "ann@old.example" in {c.author_email for c in repo.changes()}
    assert len(messages) == 1
    assert ".mailmap is missing" in messages[0]
    shutil.copy(source.builder.path / ".git" / "objects" / mailmap[:2] / mailmap[2:], gone)
    repo, messages = opened(damaged, index)
    with repo:
        assert export(repo) == export(full)
    assert messages == []


def test_fetch_missing_has_nothing_to_fetch_from_without_a_promisor(
    source: History, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    remove_loose(damaged, source.blob(source.edit, "pkg/core.py"))
    repo, messages = opened(damaged, tmp_path / "d.sqlite3", fetch_missing=True)
    repo.close()
    assert len(messages) == 1
    assert "no promisor remote" in messages[0]


def test_a_missing_blob_in_a_merge(
    source: History, full: loopintel.Repository, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    lost = source.blob(source.merge, "pkg/core.py")
    remove_loose(damaged, lost)
    repo, _ = opened(damaged, tmp_path / "d.sqlite3")
    with repo:
        # The next commit is compared with the merge's first parent's version.
        assert [(s.commit, s.reason) for s in repo.skipped()] == [
            (source.merge, f"missing object {lost}")
        ]
        assert [c.qualname for c in repo.changes() if c.commit == source.final] == ["stop"]
        # The functions keep their lineages across the unreadable merge.
        assert [f.lineage for f in repo.functions()] == [f.lineage for f in full.functions()]


def test_a_missing_first_parent_version_in_a_merge(source: History, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    lost = source.blob(source.main, "pkg/core.py")
    remove_loose(damaged, lost)
    repo, _ = opened(damaged, tmp_path / "d.sqlite3")
    with repo:
        reasons = {s.commit: s.reason for s in repo.skipped()}
        assert reasons == {
            source.main: f"missing object {lost}",
            source.merge: f"no readable earlier version (missing object {lost})",
        }
        assert [c for c in repo.changes() if c.commit == source.merge] == []


def test_a_missing_tree_stops_indexing_with_a_clear_error(source: History, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    tree = str(source.builder.repo[source.edit].peel(pygit2.Commit).tree["pkg"].id)
    remove_loose(damaged, tree)
    with pytest.raises(loopintel.MissingObject) as caught:
        loopintel.open(damaged, index_path=tmp_path / "d.sqlite3")
    error = caught.value
    assert isinstance(error, loopintel.RepositoryError)
    assert (error.oid, error.kind, error.promisor) == (tree, "tree", None)
    assert f"tree {tree} is missing" in str(error)
    assert "git fsck" in str(error)


def test_a_missing_commit_stops_indexing_with_a_clear_error(
    source: History, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    remove_loose(damaged, source.edit)
    with pytest.raises(loopintel.MissingObject, match=f"commit {source.edit} is missing"):
        loopintel.open(damaged, index_path=tmp_path / "d.sqlite3")
    result = run_cli("index", str(damaged), "--index-path", str(tmp_path / "e.sqlite3"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: commit {source.edit} is missing")


def test_the_error_crosses_worker_processes(source: History, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.builder.path, damaged)
    tree = str(source.builder.repo[source.rename].peel(pygit2.Commit).tree["docs"].id)
    remove_loose(damaged, tree)
    context = multiprocessing.get_context("spawn")
    with (
        concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool,
        pytest.raises(loopintel.MissingObject) as caught,
    ):
        loopintel.open(damaged, index_path=tmp_path / "d.sqlite3", executor=pool)
    assert caught.value.oid == tree
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == str(caught.value)
    assert again.kind == "tree"


def test_a_treeless_clone_says_what_to_do(source: History, tmp_path: Path) -> None:
    clone = tmp_path / "treeless.git"
    git(
        "clone",
        "--quiet",
        "--bare",
        "--filter=tree:0",
        f"file://{source.builder.path}",
        str(clone),
        cwd=tmp_path,
    )
    with pytest.raises(loopintel.MissingObject) as caught:
        loopintel.open(clone, index_path=tmp_path / "t.sqlite3")
    assert caught.value.promisor == "origin"
    assert "--filter=blob:none" in str(caught.value)


# -- the corpus ------------------------------------------------------------------------------


@pytest.mark.corpus
def test_a_partial_clone_of_flask(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    # Only the partial run: the fetched index's equality with a full clone's takes a
    # full index of each (over a minute here); it is checked on the small histories
    # above, and was measured on flask by hand (docs/indexing.md).
    full_path = corpus_repo("flask", tmp_path_factory)
    git("config", "uploadpack.allowFilter", "true", cwd=full_path)
    clone = partial_clone(full_path, tmp_path / "flask-partial.git")
    repo, messages = opened(clone, tmp_path / "p.sqlite3")
    with repo:
        assert repo.commit_count() == 5531
        skips = repo.skipped()
        assert len(skips) > 4000
        assert all(s.reason == f"missing object {s.blob}" for s in skips)
        assert list(repo.changes()) == []
    assert len(messages) == 1
    assert f"{len(skips):,} file versions skipped" in messages[0]
    assert "partial clone" in messages[0]
