"""Indexing on a Dask cluster against the default local pool, on one machine.

A ``distributed.LocalCluster`` (worker processes, one thread each, as many as
``--workers``) stands in for a cluster; every run indexes from scratch into a fresh
index file (the repositories' own indexes are not touched) and is checked to give the
same changes and functions as the default run. Measured:

1. one repository: the default local pool; a ``ProcessPoolExecutor`` given as
   ``executor`` (the fixed chunks a cluster gets); the cluster with the repository at
   its path; the cluster with the history shipped as a bundle (shipping timed apart);
2. Dask's own cost: starting the cluster, and the round trip of an empty task through
   ``client.get_executor()`` (what each chunk pays on top of its work);
3. a fleet: the repositories one after another on the default pool, against
   ``loopintel.index_many`` on one local pool and on the cluster.

Only a report; nothing asserts a time. Usage, from the repository root::

    python benchmarks/bench_dask.py
    python benchmarks/bench_dask.py --repo PATH --fleet PATH PATH... --workers 2
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import distributed

import loopintel
import loopintel.cluster
from loopintel import indexing

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

DEFAULT_REPO = "/work/data/pred/click.git"
DEFAULT_FLEET = ("/work/data/pred/click.git", "/work/data/eb/attrs.git")
ROUND_TRIPS = 200


def exported(repo: loopintel.Repository) -> tuple[list[Any], list[Any]]:
    return [c.to_dict() for c in repo.changes()], [f.to_dict() for f in repo.functions()]


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = run()
    return time.perf_counter() - started, value


def index_once(path: str, scratch: Path, **options: Any) -> tuple[float, tuple[Any, Any], int]:
    """Seconds to index ``path`` from scratch, what it exported, and its commits."""
    index = Path(tempfile.mkdtemp(dir=scratch)) / "index.sqlite3"

    def run() -> tuple[tuple[Any, Any], int]:
        with loopintel.open(path, index_path=index, **options) as repo:
            assert repo.last_index is not None
            return exported(repo), repo.last_index.commits_indexed

    seconds, (export, commits) = timed(run)
    return seconds, export, commits


def round_trip(client: distributed.Client) -> float:
    """Median seconds of an empty task through the client's executor."""
    executor = client.get_executor()
    times = []
    for _ in range(ROUND_TRIPS):
        started = time.perf_counter()
        executor.submit(int).result()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fleet_sequential(paths: Sequence[str], scratch: Path, workers: int) -> float:
    def run() -> None:
        for path in paths:
            index_once(path, scratch, workers=workers)

    return timed(run)[0]


def fleet_at_once(paths: Sequence[str], scratch: Path, **options: Any) -> float:
    """``index_many`` into fresh indexes (each repository a fresh bare clone's default)."""
    clones = []
    for path in paths:
        target = Path(tempfile.mkdtemp(dir=scratch)) / Path(path).name
        subprocess.run(["git", "clone", "--quiet", "--bare", path, str(target)], check=True)
        clones.append(str(target))

    def run() -> None:
        outcomes = loopintel.index_many(clones, **options)
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]

    return timed(run)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=DEFAULT_REPO)
    parser.add_argument("--fleet", nargs="*", default=list(DEFAULT_FLEET))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    workers = args.workers
    print(f"{args.repo}, {workers} workers ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as name:
        scratch = Path(name)
        local, expected, commits = index_once(args.repo, scratch, workers=workers)
        chunks = len(indexing._guided_chunks([("", ())] * commits, workers))  # noqa: SLF001
        print(f"  {commits:,} commits, {chunks} chunks on an executor")
        print(f"  default local pool                 {local:7.1f} s")
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            fixed, export, _ = index_once(args.repo, scratch, executor=pool, workers=workers)
        assert export == expected
        print(f"  ProcessPoolExecutor, fixed chunks  {fixed:7.1f} s  ({fixed / local:.2f}x)")
        started, (cluster, client) = timed(
            lambda: (
                cluster := distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                ),
                distributed.Client(cluster),
            )
        )
        with cluster, client:
            print(f"  LocalCluster start                 {started:7.1f} s")
            trip = round_trip(client)
            print(f"  empty task round trip (median)     {trip * 1000:7.1f} ms")
            executor = client.get_executor()
            dask, export, _ = index_once(args.repo, scratch, executor=executor, workers=workers)
            assert export == expected
            print(f"  Dask, shared path                  {dask:7.1f} s  ({dask / local:.2f}x)")
            print(f"    over the same chunks, per chunk  {(dask - fixed) / chunks:7.2f} s")
            ship, shipped = timed(lambda: loopintel.cluster.ship_bundle(client, args.repo))
            print(f"  bundle written and uploaded        {ship:7.1f} s")
            bundled, export, _ = index_once(
                args.repo, scratch, executor=executor, workers=workers, worker_repo=shipped
            )
            assert export == expected
            loopintel.cluster.withdraw(client, shipped)
            print(
                f"  Dask, shipped bundle (clone incl.) {bundled:7.1f} s  ({bundled / local:.2f}x)"
            )
            if args.fleet:
                print(f"fleet of {len(args.fleet)}: {', '.join(args.fleet)}")
                one_by_one = fleet_sequential(args.fleet, scratch, workers)
                print(f"  one after another, default pool    {one_by_one:7.1f} s")
                pooled = fleet_at_once(args.fleet, scratch, workers=workers)
                print(
                    f"  index_many, one local pool         {pooled:7.1f} s  "
                    f"({pooled / one_by_one:.2f}x)"
                )
                clustered = fleet_at_once(args.fleet, scratch, executor=executor, workers=workers)
                print(
                    f"  index_many, Dask                   {clustered:7.1f} s  "
                    f"({clustered / one_by_one:.2f}x)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
