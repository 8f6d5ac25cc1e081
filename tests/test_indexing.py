"""The index: incremental, rewrite-aware, crash-safe, and where it lives."""

from __future__ import annotations

import concurrent.futures
import gc
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from typing import TYPE_CHECKING, Any

import pygit2
import pytest

import loopintel
from loopintel import indexing
from loopintel.history.extract import Extractor
from loopintel.store import SCHEMA_VERSION, Store
from tests.conftest import RepoBuilder

if TYPE_CHECKING:
    from pathlib import Path


def snapshot(repo: loopintel.Repository) -> tuple[object, ...]:
    """Everything a run stores, in a comparable form."""
    return (
        [c.to_dict() for c in repo.changes()],
        [s.to_dict() for s in repo.skipped()],
        [f.to_dict() for f in repo.functions()],
        repo.head,
        repo.commit_count(),
    )


def grow(builder: RepoBuilder, commits: int, start: int = 0) -> None:
    """Commits that add, edit and remove functions across a few files."""
    last = start + commits - 1
    for i in range(start, start + commits):
        path = f"mod{i % 7}.py"
        body = "".join(
            f"def f{j}(x):\n    return x + {i if j == i % 5 else j}\n\n\n" for j in range(5)
        )
        if i % 11 == 0:
            body += f"def extra{i}():\n    return {i}\n"
        # The branch is moved once, to the last commit: a ref update per commit (a lock
        # file and a reflog line each) was a third of the time to build long histories.
        builder.commit({path: body}, f"commit {i}", ref="refs/heads/main" if i == last else None)


LONG = 700
"""Commits of the history that indexing processes are killed in: several chunks' worth."""


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> RepoBuilder:
    """A history of LONG commits, built once for the tests that run indexing processes.

    They only index it (each into its own file), so they can share it.
    """
    builder = RepoBuilder(tmp_path_factory.mktemp("long") / "repo")
    grow(builder, LONG)
    return builder


def test_incremental_run_processes_only_new_commits(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 30)
    index = tmp_path / "i.sqlite3"
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 30
    grow(repo_builder, 1, start=30)
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 1
        incremental = snapshot(repo)
        again = repo.update()
        assert again.commits_indexed == 0
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert snapshot(fresh) == incremental


def test_history_rewrite_is_reconciled(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    grow(repo_builder, 10)
    keep = repo_builder.head
    assert keep is not None
    repo_builder.commit({"gone.py": "def gone():\n    return 1\n"}, "to be rewritten")
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    # force-push: main now ends in a different commit
    repo_builder.checkout_files(keep)
    repo_builder.commit({"new.py": "def new():\n    return 2\n"}, "replacement")
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_removed == 1
        assert repo.last_index.commits_indexed == 1
        assert "gone" not in {c.qualname for c in repo.changes()}
        rewritten = snapshot(repo)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert snapshot(fresh) == rewritten


def test_ranges_split_for_idle_workers_give_the_in_process_result(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grow(repo_builder, 450)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "a.sqlite3", workers=1) as serial:
        expected = snapshot(serial)
    # Split ranges as long as a few commits are left: many hand-overs, all in order.
    monkeypatch.setattr(indexing, "MIN_STEAL", 4)
    # The first share is quick and the others slow (the workers are forked with this),
    # so that its worker runs dry while the others have much left, however loaded the
    # machine is.
    repository = pygit2.Repository(str(repo_builder.path))
    walker = repository.walk(repository.head.target, pygit2.enums.SortMode.REVERSE)
    quick = {str(commit.id) for commit in list(walker)[:150]}
    extract_commit = Extractor.commit

    def uneven(self: Extractor, sha: str, *args: Any, **kwargs: Any) -> Any:
        if sha not in quick:
            time.sleep(0.01)
        return extract_commit(self, sha, *args, **kwargs)

    monkeypatch.setattr(Extractor, "commit", uneven)
    submitted: list[int] = []
    submit = concurrent.futures.ProcessPoolExecutor.submit

    def counting(pool: concurrent.futures.ProcessPoolExecutor, *args: Any) -> Any:
        submitted.append(args[4])  # the range's first commit
        return submit(pool, *args)

    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "submit", counting)
    steps: list[int] = []
    with loopintel.open(
        repo_builder.path,
        index_path=tmp_path / "b.sqlite3",
        workers=3,
        progress=lambda step: steps.append(step.done),
    ) as parallel:
        assert snapshot(parallel) == expected
    assert steps == sorted(steps)
    assert steps[-1] == 450
    assert submitted[:3] == [0, 150, 300]  # an equal share each to start with
    assert len(submitted) > 3  # then the rest of long ranges, to whoever ran dry


def test_parallel_extraction_matches_in_process(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    grow(repo_builder, 60)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "a.sqlite3", workers=1) as serial:
        expected = snapshot(serial)
    with (
        concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool,
        loopintel.open(
            repo_builder.path, index_path=tmp_path / "b.sqlite3", executor=pool
        ) as parallel,
    ):
        assert snapshot(parallel) == expected


CRASHING_CHILD = textwrap.dedent(
    """
    import sys, loopintel
    def progress(step):
        if step.done:
            print("chunk", step.done, flush=True)
    loopintel.open(sys.argv[1], index_path=sys.argv[2], workers=1, progress=progress)
    """
)


def test_killed_indexing_is_completed_by_the_next_run(
    long_history: RepoBuilder, tmp_path: Path
) -> None:
    index = tmp_path / "killed.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_CHILD, str(long_history.path), str(index)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert first.startswith("chunk"), "the child should have stored a first chunk"
    partial = Store(index)
    stored = partial.count("commits")
    partial.close()
    assert 0 < stored < LONG
    with loopintel.open(long_history.path, index_path=index, workers=1) as resumed:
        assert resumed.last_index is not None
        assert resumed.last_index.commits_indexed == LONG - stored
        completed = snapshot(resumed)
    with loopintel.open(
        long_history.path, index_path=tmp_path / "clean.sqlite3", workers=1
    ) as clean:
        assert snapshot(clean) == completed


def test_readers_see_the_last_committed_state_while_a_writer_runs(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 5)
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    writer = Store(index)
    with writer.transaction():
        writer.db.execute("DELETE FROM changes")
        with loopintel.open(repo_builder.path, index_path=index, update=False) as reader:
            assert len(list(reader.changes())) > 0
    writer.close()


def test_schema_versions(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    grow(repo_builder, 3)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(loopintel.IndexVersionError, match="schema version"):
        loopintel.open(repo_builder.path, index_path=newer)
    older = tmp_path / "older.sqlite3"
    with sqlite3.connect(older) as db:
        db.execute("CREATE TABLE changes (junk)")
        db.execute("PRAGMA user_version=0")
    with loopintel.open(repo_builder.path, index_path=older) as repo:
        assert len(list(repo.changes())) > 0


def test_index_location(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grow(repo_builder, 2)
    with loopintel.open(repo_builder.path) as repo:
        assert repo.index_path == repo_builder.path / ".git" / "loopintel" / "index.sqlite3"
        assert repo.index_path.exists()
    env_index = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("LOOPINTEL_INDEX", str(env_index))
    with loopintel.open(repo_builder.path) as repo:
        assert repo.index_path == env_index
    explicit = tmp_path / "explicit.sqlite3"
    with loopintel.open(repo_builder.path, index_path=explicit) as repo:
        assert repo.index_path == explicit


def test_bare_repository(tmp_path: Path) -> None:
    builder = RepoBuilder(tmp_path / "bare.git", bare=True)
    builder.commit({"a.py": "def a():\n    return 1\n"})
    with loopintel.open(builder.path) as repo:
        assert [f.qualname for f in repo.functions()] == ["a"]
        assert repo.index_path.parent.parent == builder.path


def test_read_only_repository_with_index_elsewhere(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 2)
    git_dir = repo_builder.path / ".git"
    before = sorted(p.relative_to(git_dir) for p in git_dir.rglob("*"))
    with loopintel.open(repo_builder.path, index_path=tmp_path / "elsewhere.sqlite3") as repo:
        assert repo.functions()
    assert sorted(p.relative_to(git_dir) for p in git_dir.rglob("*")) == before


def test_unusable_index_location_is_a_clear_error(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 1)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(loopintel.IndexLocationError, match="cannot use index"):
        loopintel.open(repo_builder.path, index_path=blocker / "index.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(loopintel.IndexLocationError):
        loopintel.open(repo_builder.path, index_path=garbage)


def test_bad_input_errors(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    with pytest.raises(loopintel.NotARepository, match="no such file or directory"):
        loopintel.open(tmp_path / "missing", index_path=tmp_path / "x.sqlite3")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(loopintel.NotARepository, match="not a git repository"):
        loopintel.open(plain, index_path=tmp_path / "x.sqlite3")
    with pytest.raises(loopintel.UnknownRef):
        loopintel.open(repo_builder.path, ref="nosuchref", index_path=tmp_path / "r.sqlite3")
    assert not (tmp_path / "r.sqlite3").exists()  # no empty index left for a bad ref
    grow(repo_builder, 1)
    with pytest.raises(loopintel.UnknownRef, match="no-such-branch"):
        loopintel.open(repo_builder.path, ref="no-such-branch", index_path=tmp_path / "x.sqlite3")
    with pytest.raises(LookupError):
        loopintel.open(repo_builder.path, ref="deadbeef" * 5, index_path=tmp_path / "x.sqlite3")
    with (
        loopintel.open(repo_builder.path, index_path=tmp_path / "y.sqlite3") as repo,
        pytest.raises(loopintel.InvalidQuery, match="since"),
    ):
        list(repo.changes(since="last tuesday"))


def test_empty_repository_gives_an_empty_index(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    with loopintel.open(repo_builder.path, index_path=tmp_path / "e.sqlite3") as repo:
        assert repo.head is None
        assert list(repo.changes()) == []
        assert repo.functions() == []
        assert repo.last_index is not None
        assert repo.last_index.commits_total == 0


def test_shallow_clone_warns_once_and_indexes_what_is_there(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 8)
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "3", f"file://{repo_builder.path}", str(shallow)],
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with loopintel.open(shallow, index_path=tmp_path / "s.sqlite3") as repo:
            assert repo.commit_count() == 3
            assert repo.functions()
    assert [w.category for w in caught] == [loopintel.ShallowCloneWarning]


def test_changes_filters(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"src/a.py": "def a():\n    return 1\n"}, author=("Ann", "ann@example.com"))
    repo_builder.commit(
        {"src/sub/b.py": "def b():\n    return 1\n"}, author=("Bob", "bob@example.com")
    )
    repo_builder.commit({"other.py": "def c():\n    return 1\n"}, author=("Ann", "ann@example.com"))
    with loopintel.open(repo_builder.path, index_path=tmp_path / "f.sqlite3") as repo:
        everything = list(repo.changes())
        assert [c.qualname for c in repo.changes(path="src")] == ["a", "b"]
        assert [c.qualname for c in repo.changes(path="src/sub/b.py")] == ["b"]
        assert [c.qualname for c in repo.changes(author="ANN@example.com")] == ["a", "c"]
        assert [c.qualname for c in repo.changes(author="Bob")] == ["b"]
        middle = everything[1].authored_at
        assert [c.qualname for c in repo.changes(since=middle)] == ["b", "c"]
        assert [c.qualname for c in repo.changes(until=middle)] == ["a"]
        assert [c.qualname for c in repo.changes(since=middle.isoformat())] == ["b", "c"]
        assert [c.qualname for c in repo.changes(function="src/sub/b.py::b")] == ["b"]
        with pytest.raises(loopintel.FunctionNotFound, match="closest"):
            list(repo.changes(function="src/sub/b.py::bb"))


def test_query_arguments_are_validated(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    grow(repo_builder, 2)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "q.sqlite3") as repo:
        with pytest.raises(loopintel.InvalidQuery, match="kinds"):
            list(repo.changes(kinds=("foo",)))  # type: ignore[arg-type]
        with pytest.raises(loopintel.InvalidQuery, match="inside"):
            list(repo.changes(path="/somewhere/else"))
        assert list(repo.changes(path="./mod0.py")) == list(repo.changes(path="mod0.py"))
        assert list(repo.changes(path=str(repo_builder.path / "mod0.py"))) == list(
            repo.changes(path="mod0.py")
        )


def test_concurrent_indexers_wait_for_each_other(long_history: RepoBuilder, tmp_path: Path) -> None:
    index = tmp_path / "shared.sqlite3"
    code = "import sys, loopintel; r = loopintel.open(sys.argv[1], index_path=sys.argv[2], workers=1); print(r.last_index.commits_indexed)"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(long_history.path), str(index)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = sorted(int(child.communicate()[0]) for child in children)
    assert [child.returncode for child in children] == [0, 0]
    assert outputs == [0, LONG]
    with loopintel.open(long_history.path, index_path=index, update=False) as repo:
        assert repo.commit_count() == LONG


def test_indexing_keeps_garbage_collections_rare_and_restores_the_thresholds(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 5)
    seen: list[tuple[int, ...]] = []

    def progress(_: loopintel.IndexProgress) -> None:
        seen.append(gc.get_threshold())

    before = gc.get_threshold()
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3", progress=progress):
        pass
    assert gc.get_threshold() == before
    assert seen
    assert all(
        all(t >= max(b, 100) for t, b in zip(during, before, strict=True)) for during in seen
    )
    assert all(during[0] >= 100_000 for during in seen)


def test_workers_of_a_killed_indexer_exit(long_history: RepoBuilder, tmp_path: Path) -> None:
    script = CRASHING_CHILD.replace("workers=1", "workers=2")
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(long_history.path), str(tmp_path / "k.sqlite3")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith("chunk")
    child.send_signal(signal.SIGKILL)
    # The workers inherited the output pipe: it ends only when they are gone too.
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert "Traceback" not in rest
