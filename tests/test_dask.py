"""Indexing on a Dask cluster gives the index a local run gives, byte for byte."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import loopintel
import loopintel.cluster
from tests.cli_runner import run_cli
from tests.conftest import RepoBuilder

if TYPE_CHECKING:
    from collections.abc import Iterator

pytest.importorskip(
    "distributed", reason='the cluster tests need Dask: pip install "loopintel[dask]"'
)
import distributed

COMMITS = 80
"""Enough commits for several chunks on two workers (six: two long ones, four short)."""


def build_history(builder: RepoBuilder, commits: int) -> None:
    """Functions added, edited, renamed, moved across files; a branch merged with a fix."""
    for i in range(commits):
        path = f"pkg/mod{i % 5}.py"
        body = "".join(
            f"def f{j}(x):\n    return x * {i if j == i % 4 else j}\n\n\n" for j in range(4)
        )
        if i % 9 == 0:
            body += f"class C{i}:\n    def run(self):\n        return {i}\n"
        files: dict[str, object] = {path: body}
        if i == commits // 2:
            # A file renamed: its functions keep their lineages.
            files = {"pkg/renamed.py": builder.files.pop("pkg/mod0.py")}
        builder.commit(files, f"commit {i}", author=(f"Dev {i % 3}", f"dev{i % 3}@example.com"))
    base = builder.head
    assert base is not None
    builder.commit({"side.py": "def side():\n    return 1\n"}, "on a branch", ref=None)
    side = builder.head
    builder.checkout_files(base)
    builder.commit({"main.py": "def main():\n    return 2\n"}, "on main", ref=None)
    builder.files["side.py"] = "def side():\n    return 3\n"  # resolved in the merge
    assert side is not None
    assert builder.head is not None
    builder.commit(message="merge", parents=[builder.head, side])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    builder = RepoBuilder(tmp_path_factory.mktemp("dask") / "repo")
    build_history(builder, COMMITS)
    return builder.path


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """Two worker processes, one thread each: as many workers as this machine has cores."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def scheduler_address(client: distributed.Client) -> str:
    return str(client.scheduler_info()["address"])


def exports(path: Path, index: Path) -> tuple[str, str]:
    """What a user compares: ``changes --format jsonl`` and ``functions --json``."""
    changes = run_cli("changes", str(path), "--index-path", str(index), "--no-update")
    functions = run_cli("functions", str(path), "--index-path", str(index), "--no-update")
    assert changes.stdout
    assert functions.stdout
    return changes.stdout, functions.stdout


@pytest.fixture(scope="module")
def local_exports(history: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    index = tmp_path_factory.mktemp("local") / "index.sqlite3"
    run_cli("index", str(history), "--index-path", str(index), "--quiet")
    return exports(history, index)


def test_the_cluster_index_is_the_local_one(
    client: distributed.Client, history: Path, local_exports: tuple[str, str], tmp_path: Path
) -> None:
    address = scheduler_address(client)
    index = tmp_path / "dask.sqlite3"
    result = run_cli("index", str(history), "--index-path", str(index), "--dask", address)
    assert f"indexed {COMMITS + 3} new commits" in result.stdout
    assert exports(history, index) == local_exports


def test_open_with_the_client_executor_runs_every_chunk_on_the_workers(
    client: distributed.Client, history: Path, local_exports: tuple[str, str], tmp_path: Path
) -> None:
    index = tmp_path / "api.sqlite3"
    with loopintel.open(
        history, index_path=index, executor=client.get_executor(), workers=2
    ) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_indexed == COMMITS + 3
    assert exports(history, index) == local_exports
    # Both workers extracted chunks, from the repository's own path (each worker keeps
    # the extractor of its last chunk).
    assert set(on_each_worker(client).values()) == {str((history / ".git").resolve())}


def on_each_worker(client: distributed.Client) -> dict[str, str | None]:
    """The git dir of each worker's extractor, read by a task (tasks keep it per thread)."""
    workers = list(client.scheduler_info()["workers"])
    futures = {
        worker: client.submit(_extractor_path, workers=[worker], pure=False) for worker in workers
    }
    return {worker: future.result() for worker, future in futures.items()}


def _extractor_path() -> str | None:
    from loopintel.history import extract  # noqa: PLC0415 - runs on a worker

    extractor = getattr(extract._LOCAL, "extractor", None)  # noqa: SLF001
    return None if extractor is None else str(extractor.git.git_dir)


def test_a_shipped_bundle_is_cloned_once_per_worker_and_withdrawn(
    client: distributed.Client, history: Path, local_exports: tuple[str, str], tmp_path: Path
) -> None:
    shipped = loopintel.cluster.ship_bundle(client, history)
    assert shipped.ref == "HEAD"
    assert all(client.run(_has, shipped.name).values())
    index = tmp_path / "bundle.sqlite3"
    with loopintel.open(
        history, index_path=index, executor=client.get_executor(), workers=2, worker_repo=shipped
    ):
        pass
    assert exports(history, index) == local_exports
    # The workers read their clone, not the repository's own path.
    clones = client.run(_has, shipped.clone_name)
    assert any(clones.values())
    directories = client.run(_local_directory)
    assert on_each_worker(client) == {
        worker: str((Path(directory) / shipped.clone_name).resolve())
        for worker, directory in directories.items()
    }
    loopintel.cluster.withdraw(client, shipped)
    assert not any(client.run(_has, shipped.name).values())
    assert not any(client.run(_has, shipped.clone_name).values())


def _has(name: str, dask_worker: distributed.Worker) -> bool:
    return (Path(dask_worker.local_directory) / name).exists()


def _local_directory(dask_worker: distributed.Worker) -> str:
    return str(dask_worker.local_directory)


def test_index_ship_bundle_gives_the_same_exports(
    client: distributed.Client, history: Path, local_exports: tuple[str, str], tmp_path: Path
) -> None:
    index = tmp_path / "shipped.sqlite3"
    address = scheduler_address(client)
    run_cli("index", str(history), "--index-path", str(index), "--dask", address, "--ship-bundle")
    assert exports(history, index) == local_exports
    # Nothing is left on the workers once the command is done.
    assert not any(
        name.startswith("loopintel-") for names in client.run(_listing).values() for name in names
    )


def _listing(dask_worker: distributed.Worker) -> list[str]:
    return [p.name for p in Path(dask_worker.local_directory).iterdir()]


def test_a_cluster_fleet_indexes_each_repository(
    client: distributed.Client, history: Path, local_exports: tuple[str, str], tmp_path: Path
) -> None:
    copy = RepoBuilder(tmp_path / "other")
    copy.commit({"one.py": "def one():\n    return 1\n"}, "one")
    result = run_cli(
        "index",
        str(history),
        str(copy.path),
        "--dask",
        scheduler_address(client),
        "--ship-bundle",
        "--json",
        env={"LOOPINTEL_INDEX": None},
    )
    outcomes = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["path"] for o in outcomes] == [str(history), str(copy.path)]
    assert [o["error"] for o in outcomes] == [None, None]
    assert outcomes[1]["summary"]["commits_indexed"] == 1
    default = history / ".git" / "loopintel" / "index.sqlite3"
    assert exports(history, default) == local_exports


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_scheduler_is_an_error_after_the_timeout(history: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    result = run_cli("index", str(history), "--dask", address, "--dask-timeout", "1", check=False)
    assert result.exit_code == 1
    assert f"cannot use the Dask cluster at {address}" in result.stderr
    assert "no scheduler answered within 1 s" in result.stderr
    with pytest.raises(loopintel.ClusterUnavailable) as caught:
        loopintel.cluster.connect(address, timeout=0.5)
    assert isinstance(caught.value, ConnectionError)
    assert caught.value.address == address


def test_without_distributed_the_error_names_the_extra(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    result = run_cli("index", str(history), "--dask", "tcp://127.0.0.1:1", check=False)
    assert result.exit_code == 1
    assert 'pip install "loopintel[dask]"' in result.stderr


def test_ship_bundle_needs_a_cluster_and_a_named_ref(
    client: distributed.Client, history: Path
) -> None:
    result = run_cli("index", str(history), "--ship-bundle", check=False)
    assert result.exit_code == 2
    assert "--dask" in result.stderr
    sha = (history / ".git" / "refs" / "heads" / "main").read_text().strip()
    with pytest.raises(loopintel.RepositoryError, match="cannot bundle"):
        loopintel.cluster.ship_bundle(client, history, ref=sha)
    with pytest.raises(loopintel.UnknownRef):
        loopintel.cluster.ship_bundle(client, history, ref="no-such-branch")
