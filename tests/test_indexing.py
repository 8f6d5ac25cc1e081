"""The index: incremental, rewrite-aware, crash-safe, and where it lives."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import json
import multiprocessing
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any

import pygit2
import pytest

import loopintel
from loopintel import indexing, states
from loopintel.history import extract
from loopintel.history.extract import Extractor
from loopintel.history.git import GitRepository
from loopintel.history.lineage import replay
from loopintel.store import SCHEMA_VERSION, Store
from tests.conftest import RepoBuilder, commits_in_index

if TYPE_CHECKING:
    from collections.abc import Iterator
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
    told: list[loopintel.IndexProgress] = []
    with loopintel.open(
        repo_builder.path, index_path=tmp_path / "b.sqlite3", workers=3, progress=told.append
    ) as parallel:
        assert snapshot(parallel) == expected
    steps = [step.done for step in told]
    assert steps == sorted(steps)
    assert steps[-1] == 450
    # The head's files are read while the workers extract, and the bar says so.
    head = [i for i, step in enumerate(told) if step.phase == "head"]
    assert head
    assert {told[i].description for i in head} == {
        "reading the head tree's functions (workers indexing meanwhile)"
    }
    assert told[head[-1]].phase_done == told[head[-1]].phase_total == 7
    assert (told[head[0] - 1].phase, told[head[0] - 1].done) == ("extract", 0)
    assert submitted[:3] == [0, 150, 300]  # an equal share each to start with
    assert len(submitted) > 3  # then the rest of long ranges, to whoever ran dry


def test_batches_reach_the_index_while_ranges_run_and_the_head_is_read(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grow(repo_builder, 450)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "a.sqlite3", workers=1) as serial:
        expected = snapshot(serial)
    index = tmp_path / "b.sqlite3"
    handed = tmp_path / "handed"
    # Batches of ten commits; a worker marks when it has extracted twenty (the first
    # ten are handed over by then). The workers are forked with this.
    monkeypatch.setattr(extract, "STREAM_COMMITS", 10)
    extract_commit = Extractor.commit
    extracted = [0]

    def marking(self: Extractor, sha: str, *args: Any, **kwargs: Any) -> Any:
        result = extract_commit(self, sha, *args, **kwargs)
        extracted[0] += 1
        if extracted[0] == 20:
            handed.touch()
        return result

    monkeypatch.setattr(Extractor, "commit", marking)
    # The indexing process reads the head's files (parsing each once, unremembered);
    # it reads the first once a batch is on its way, and notes what the index holds
    # as it reads each one.
    parsed = Extractor.parsed
    seen: list[int] = []

    def reading(self: Extractor, blob: str, *args: Any, remember: bool = True) -> Any:
        if not remember:
            deadline = time.monotonic() + 60
            while not handed.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            seen.append(commits_in_index(index))
        return parsed(self, blob, *args, remember=remember)

    monkeypatch.setattr(Extractor, "parsed", reading)
    with loopintel.open(repo_builder.path, index_path=index, workers=2) as parallel:
        assert snapshot(parallel) == expected
    assert len(seen) == 7  # each of the head's files read once
    # Batches were stored (or kept aside) between two of the head's files: nothing
    # waited for the head to be read, nor for a range (225 commits each) to end.
    assert max(seen[1:]) > 0
    assert min(count for count in seen if count) < 225


def test_a_range_waits_while_its_batches_wait_to_be_read(
    repo_builder: RepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    grow(repo_builder, 30)
    git = GitRepository(repo_builder.path)
    head = git.resolve("HEAD")
    assert head is not None
    commits = git.walk(head, first_parent=False)
    results: queue.Queue[tuple[int, list[Any]]] = queue.Queue()
    queued = multiprocessing.Value("q", 0)
    ranges = multiprocessing.Array("q", [0, len(commits)])
    monkeypatch.setattr(extract, "_COUNTER", multiprocessing.Value("q", 0))
    monkeypatch.setattr(extract, "_RANGES", ranges)
    monkeypatch.setattr(extract, "_RESULTS", results)
    monkeypatch.setattr(extract, "_QUEUED", queued)
    monkeypatch.setattr(extract, "STREAM_COMMITS", 1)  # a batch a commit
    monkeypatch.setattr(extract, "QUEUED_BATCHES", 2)
    waiting: list[int] = []  # unread batches as each commit is extracted
    extract_commit = Extractor.commit

    def counting(self: Extractor, sha: str, *args: Any, **kwargs: Any) -> Any:
        waiting.append(queued.value)
        return extract_commit(self, sha, *args, **kwargs)

    monkeypatch.setattr(Extractor, "commit", counting)
    task = threading.Thread(
        target=extract.extract_range,
        args=(git.git_dir, extract.ExtractOptions(), 0, 0, commits),
    )
    task.start()
    got: list[tuple[int, list[Any]]] = []
    # Read only when more batches wait than allowed (or the range is done).
    while task.is_alive() or not results.empty():
        if queued.value > 2 or not task.is_alive():
            with contextlib.suppress(queue.Empty):
                got.append(results.get(timeout=1.0))
                with queued.get_lock():
                    queued.value -= 1
        else:
            time.sleep(0.001)
    task.join()
    assert [first for first, _ in got] == list(range(len(commits)))
    assert [r.meta.sha for _, batch in got for r in batch] == [sha for sha, _ in commits]
    assert len(waiting) == len(commits)
    assert max(waiting) <= 2  # never more than that unread when it went on


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


# -- updates found from the refs -------------------------------------------------------


def branchy(builder: RepoBuilder) -> dict[str, str]:
    """A history whose branch, forked long before, is merged back; named commits.

    Both sides change ``mod1.py`` after the fork, the trunk renames a file and the
    branch moves a function between files, so the states a merge reads differ from the
    trunk's head for some paths and not for others.
    """
    grow(builder, 6)
    fork = builder.head
    assert fork is not None
    builder.commit({"mod1.py": "def f0(x):\n    return -x\n\n\ndef g(x):\n    return x\n"}, "t1")
    builder.commit({"mod2.py": None, "lib/mod2.py": text(builder, "mod2.py")}, "t2: rename")
    builder.commit({"mod5.py": "def f0(x):\n    return 5 * x\n"}, "t3")
    trunk = builder.commit({"mod1.py": "def g(x):\n    return x\n"}, "t4")
    trunk_files = dict(builder.files)
    builder.checkout_files(fork)
    builder.commit({"mod1.py": "def f0(x):\n    return x - 1\n"}, "s1", ref="refs/heads/side")
    moved = "def f3(x):\n    return x + 3\n"
    builder.commit(
        {"mod3.py": "def f0(x):\n    return x\n", "lib/mod4.py": text(builder, "mod3.py") + moved},
        "s2: move",
        ref="refs/heads/side",
    )
    side = builder.commit({"new.py": "def n():\n    return 1\n"}, "s3", ref="refs/heads/side")
    merged = {**trunk_files, "mod3.py": builder.files["mod3.py"], "new.py": builder.files["new.py"]}
    merged["lib/mod4.py"] = builder.files["lib/mod4.py"]
    merged["mod1.py"] = "def g(x):\n    return x - 1\n"
    builder.files = merged
    merge = builder.commit({}, "merge side", parents=[trunk, side])
    after = builder.commit({"mod6.py": "def h():\n    return 6\n"}, "after")
    return {"fork": fork, "trunk": trunk, "side": side, "merge": merge, "after": after}


def unordered(repo: loopintel.Repository) -> tuple[object, ...]:
    """:func:`snapshot`, with changes and skips in any order.

    Commits indexed later are stored after the others: a branch indexed before the
    trunk it forked from lists its changes first.
    """
    changes, skips, *rest = snapshot(repo)
    store = repo._store  # noqa: SLF001 - what later updates build on
    return (
        sorted(json.dumps(c, sort_keys=True) for c in changes),  # type: ignore[attr-defined]
        sorted(json.dumps(s, sort_keys=True) for s in skips),  # type: ignore[attr-defined]
        *rest,
        store.tip_state(),
        store.head_files(),
        sorted((p, sorted(spans)) for p, spans in store.head_spans_by_path().items()),
    )


def text(builder: RepoBuilder, path: str) -> str:
    """A file of the builder's current tree, as text."""
    content = builder.files[path]
    return content.decode() if isinstance(content, bytes) else str(content)


def move_main(builder: RepoBuilder, sha: str) -> None:
    builder.repo.references.create("refs/heads/main", sha, force=True)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, ...], int]]:
    """Every history walk of indexing: (commits hidden, commits listed)."""
    seen: list[tuple[tuple[str, ...], int]] = []
    walk = GitRepository.walk

    def counted(
        self: GitRepository, head: str, *, first_parent: bool = False, hide: Any = ()
    ) -> list[tuple[str, tuple[str, ...]]]:
        out = walk(self, head, first_parent=first_parent, hide=hide)
        seen.append((tuple(hide), len(out)))
        return out

    monkeypatch.setattr(GitRepository, "walk", counted)
    return seen


@contextlib.contextmanager
def head_written_where_it_changed() -> Iterator[None]:
    """Inside, writing the head's tables whole fails: updates write what changed."""

    def whole(*_: object) -> None:
        pytest.fail("the head's tables were written whole")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "save_head", whole)
        yield


def test_an_up_to_date_index_opens_without_walking_the_history(
    repo_builder: RepoBuilder,
    tmp_path: Path,
    walks: list[tuple[tuple[str, ...], int]],
) -> None:
    grow(repo_builder, 20)
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    assert walks == [((), 20)]
    walks.clear()
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 0
    assert walks == []
    old = repo_builder.head
    assert old is not None
    grow(repo_builder, 1, start=20)
    with (
        head_written_where_it_changed(),
        loopintel.open(repo_builder.path, index_path=index) as repo,
    ):
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 1
        updated = unordered(repo)
    assert walks == [((old,), 1)]  # down to the indexed head only
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert unordered(fresh) == updated


PAIRS = [
    ("trunk", "merge"),
    ("fork", "merge"),
    ("trunk", "after"),
    ("side", "after"),
    ("after", "trunk"),
    ("after", "side"),
    ("merge", "fork"),
    ("side", "trunk"),
]


@pytest.mark.parametrize(
    ("first_parent", "large"),
    [(False, False), (True, False), (False, True)],
    ids=["full", "first-parent", "large-runs"],
)
def test_updates_between_any_two_heads_give_a_full_index(
    repo_builder: RepoBuilder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    walks: list[tuple[tuple[str, ...], int]],
    first_parent: bool,
    large: bool,
) -> None:
    if large:  # whole states worked out at once, as for a run of many commits
        monkeypatch.setattr(indexing, "PARALLEL_THRESHOLD", 1)
        monkeypatch.setattr(os, "cpu_count", lambda: 1)
    named = branchy(repo_builder)
    fresh: dict[str, tuple[object, ...]] = {}
    for name in {new for _, new in PAIRS}:
        move_main(repo_builder, named[name])
        path = tmp_path / f"fresh-{name}.sqlite3"
        with loopintel.open(repo_builder.path, index_path=path, first_parent=first_parent) as repo:
            fresh[name] = unordered(repo)
    for old, new in PAIRS:
        index = tmp_path / f"{old}-{new}.sqlite3"
        move_main(repo_builder, named[old])
        loopintel.open(repo_builder.path, index_path=index, first_parent=first_parent).close()
        move_main(repo_builder, named[new])
        walks.clear()
        with loopintel.open(repo_builder.path, index_path=index, first_parent=first_parent) as repo:
            assert unordered(repo) == fresh[new], (old, new)
        # Found from the indexed head (down first parents, or hiding its history):
        # the whole history is never walked.
        assert [hide for hide, _ in walks] == ([] if first_parent else [(named[old],)])


def test_a_rewrite_is_found_from_the_refs(
    repo_builder: RepoBuilder, tmp_path: Path, walks: list[tuple[tuple[str, ...], int]]
) -> None:
    grow(repo_builder, 12)
    base = repo_builder.head
    assert base is not None
    grow(repo_builder, 3, start=12)
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    old = repo_builder.head
    # force-push: the last three commits replaced by two others
    repo_builder.checkout_files(base)
    repo_builder.commit({"mod1.py": "def other():\n    return 1\n"}, "replacement 1")
    repo_builder.commit({"mod3.py": None}, "replacement 2")
    walks.clear()
    with (
        head_written_where_it_changed(),
        loopintel.open(repo_builder.path, index_path=index) as repo,
    ):
        assert repo.last_index is not None
        assert repo.last_index.commits_removed == 3
        assert repo.last_index.commits_indexed == 2
        rewritten = unordered(repo)
    assert walks == [((old,), 2)]
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert unordered(fresh) == rewritten


def test_an_interrupted_update_is_walked_again_and_ends_as_a_full_index(
    repo_builder: RepoBuilder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    walks: list[tuple[tuple[str, ...], int]],
) -> None:
    grow(repo_builder, 8)
    first = repo_builder.head
    assert first is not None
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    grow(repo_builder, 6, start=8)
    monkeypatch.setattr(indexing, "CHUNK_COMMITS", 1)
    add = Store.add_commits
    calls = 0

    def interrupted(self: Store, batch: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        add(self, batch)

    monkeypatch.setattr(Store, "add_commits", interrupted)
    with pytest.raises(indexing.IndexingInterrupted):
        loopintel.open(repo_builder.path, index_path=index)
    monkeypatch.setattr(Store, "add_commits", add)
    # Two commits of the interrupted run are stored; the branch then goes back.
    move_main(repo_builder, first)
    walks.clear()
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_removed == 2
        back = unordered(repo)
    assert walks == [((), 8)]  # not known to be complete: the history is walked
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert unordered(fresh) == back


def test_an_interrupted_run_resumes_from_its_last_checkpoint(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grow(repo_builder, 30)
    index = tmp_path / "i.sqlite3"
    monkeypatch.setattr(indexing, "CHUNK_COMMITS", 3)
    monkeypatch.setattr(indexing, "CHECKPOINT_SECONDS", 0.0)
    add, save = Store.add_commits, Store.save_state
    calls = saves = 0

    def interrupted(self: Store, batch: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 6:
            raise KeyboardInterrupt
        add(self, batch)

    def first_only(self: Store, sha: str, state: Any) -> None:
        nonlocal saves
        saves += 1
        if saves == 2:  # the second batch's state is the one kept
            save(self, sha, state)

    monkeypatch.setattr(Store, "add_commits", interrupted)
    monkeypatch.setattr(Store, "save_state", first_only)
    with pytest.raises(indexing.IndexingInterrupted):
        loopintel.open(repo_builder.path, index_path=index)
    monkeypatch.setattr(Store, "add_commits", add)
    monkeypatch.setattr(Store, "save_state", save)
    replayed: list[int] = []
    real = replay

    def counted(rows: Any, target: str, load: Any = None) -> Any:
        rows = list(rows)
        replayed.append(len(rows))
        return real(rows, target, load)

    monkeypatch.setattr(states, "replay", counted)
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == 30 - 5 * 3
        resumed = unordered(repo)
    # Five batches were stored, the state after the second kept: three batches replayed.
    assert replayed == [3 * 3]
    with loopintel.open(repo_builder.path, index_path=tmp_path / "fresh.sqlite3") as fresh:
        assert unordered(fresh) == resumed
