"""Many repositories at once: each into its own index, one executor, errors kept apart."""

from __future__ import annotations

import concurrent.futures
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopintel
from tests.cli_runner import run_cli
from tests.conftest import RepoBuilder

if TYPE_CHECKING:
    from collections.abc import Callable


def build(path: Path, name: str, commits: int) -> RepoBuilder:
    """A small history whose functions are named after the repository."""
    builder = RepoBuilder(path)
    for i in range(commits):
        builder.commit(
            {f"{name}/m{i % 3}.py": f"def {name}_{i % 4}(x):\n    return x + {i}\n"},
            f"{name} {i}",
        )
    return builder


@pytest.fixture
def fleet(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two repositories (12 and 7 commits) and a path that is no repository."""
    bad = tmp_path / "not-a-repo"
    bad.mkdir()
    return build(tmp_path / "api", "api", 12).path, build(tmp_path / "web", "web", 7).path, bad


class CountingExecutor(concurrent.futures.Executor):
    """A thread pool that remembers which repository each submitted chunk was for."""

    def __init__(self) -> None:
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
        self.repositories: list[str] = []
        self.lock = threading.Lock()

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        with self.lock:
            self.repositories.append(str(args[0]))
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def alone(path: Path, index: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The repository indexed by itself, in process: its changes and functions."""
    with loopintel.open(path, index_path=index) as repo:
        return [c.to_dict() for c in repo.changes()], [f.to_dict() for f in repo.functions()]


def test_each_repository_gets_its_own_index_and_a_bad_path_its_error(
    fleet: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    api, web, bad = fleet
    executor = CountingExecutor()
    steps: dict[str, list[loopintel.IndexProgress]] = {}

    def progress(path: str, step: loopintel.IndexProgress) -> None:
        steps.setdefault(path, []).append(step)

    with executor:
        outcomes = loopintel.index_many(
            [api, bad, web], executor=executor, workers=2, progress=progress
        )
    assert [o.path for o in outcomes] == [str(api), str(bad), str(web)]
    assert [o.ok for o in outcomes] == [True, False, True]
    first, failed, last = outcomes
    assert failed.summary is None
    assert failed.index_path is None
    assert failed.error is not None
    assert "not a git repository" in failed.error
    assert str(bad) in failed.error
    assert first.summary is not None
    assert first.summary.commits_indexed == 12
    assert last.summary is not None
    assert last.summary.commits_indexed == 7
    # Each into the repository's own default index, with what it holds alone.
    for path, outcome in ((api, first), (web, last)):
        assert outcome.index_path == str(path / ".git" / "loopintel" / "index.sqlite3")
        assert alone(path, tmp_path / f"{path.name}.sqlite3") == alone(
            path, Path(outcome.index_path)
        )
    # One executor ran the chunks of both.
    assert {(api / ".git").resolve().as_posix(), (web / ".git").resolve().as_posix()} == set(
        executor.repositories
    )
    # One progress view: every repository's steps, ending with all its commits done.
    assert set(steps) == {str(api), str(web)}
    assert steps[str(api)][-1].done == steps[str(api)][-1].total == 12
    assert steps[str(web)][-1].done == steps[str(web)][-1].total == 7
    assert failed.to_dict()["error"] == failed.error


def test_the_default_is_one_local_process_pool(fleet: tuple[Path, Path, Path]) -> None:
    api, web, _ = fleet
    outcomes = loopintel.index_many([api, web], workers=2)
    assert [o.summary.commits_indexed for o in outcomes if o.summary] == [12, 7]
    again = loopintel.index_many([api, web], workers=2)
    assert [o.summary.commits_indexed for o in again if o.summary] == [0, 0]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=5))
def test_outcomes_follow_the_order_given_once_per_path(
    fleet: tuple[Path, Path, Path], order: list[int]
) -> None:
    paths = [fleet[i] for i in order]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        outcomes = loopintel.index_many(paths, executor=executor, at_once=3)
    assert [o.path for o in outcomes] == list(dict.fromkeys(map(str, paths)))
    assert [o.ok for o in outcomes] == [not o.path.endswith("not-a-repo") for o in outcomes]


def test_bad_arguments(fleet: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    api, web, _ = fleet
    with pytest.raises(loopintel.InvalidQuery, match="at least one repository"):
        loopintel.index_many([])
    with pytest.raises(loopintel.InvalidQuery, match="at_once"):
        loopintel.index_many([api], at_once=0)
    monkeypatch.setenv("LOOPINTEL_INDEX", "/tmp/one.sqlite3")
    with pytest.raises(loopintel.InvalidQuery, match="LOOPINTEL_INDEX"):
        loopintel.index_many([api, web])


def test_an_interrupt_stops_the_fleet(fleet: tuple[Path, Path, Path]) -> None:
    api, web, _ = fleet

    def interrupt(_path: str, step: loopintel.IndexProgress) -> None:
        if step.done:
            raise KeyboardInterrupt

    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor,
        pytest.raises(KeyboardInterrupt),
    ):
        loopintel.index_many([api, web], executor=executor, progress=interrupt, at_once=1)


def test_cli_indexes_every_path_and_exits_1_for_a_bad_one(
    fleet: tuple[Path, Path, Path],
) -> None:
    api, web, bad = fleet
    result = run_cli("index", str(api), str(bad), str(web), "--workers", "2", check=False)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{api}: indexed 12 new commits")
    assert lines[1].startswith(f"{web}: indexed 7 new commits")
    assert f"error: {bad}: not a git repository" in result.stderr
    assert "error: 1 of 3 repositories could not be indexed" in result.stderr
    again = run_cli("index", str(api), str(web), "--json")
    records = [json.loads(line) for line in again.stdout.splitlines()]
    assert [r["path"] for r in records] == [str(api), str(web)]
    assert [r["summary"]["commits_indexed"] for r in records] == [0, 0]
    assert [r["summary"]["commits_total"] for r in records] == [12, 7]
    assert all(r["error"] is None and r["index_path"] for r in records)


def test_cli_refuses_one_index_path_for_several_repositories(
    fleet: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    api, web, _ = fleet
    index = str(tmp_path / "one.sqlite3")
    result = run_cli("index", str(api), str(web), "--index-path", index, check=False)
    assert result.exit_code == 2
    assert "--index-path" in result.stderr
    # One repository given twice is one repository.
    twice = run_cli("index", str(api), str(api), "--index-path", index)
    assert "indexed 12 new commits" in twice.stdout
