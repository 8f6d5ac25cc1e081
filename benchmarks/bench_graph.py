"""The graph of an index: how long it takes to build and to query, beside a row-wise build.

For each repository it reports the time of ``repo.graph()`` *cold* (a freshly opened
index: networkx, the change columns and the fix commits are read first) and *warm* (the
median of further calls), its size, and the time of ``clusters``, ``recurring`` and
``blast_radius`` on it. Incidents are the repository's proxy incidents (its bug-fix
commits, ``repo.import_proxies()``), stored in a copy of the index so the original is
left as it was. The peer, measured in the same run, is the obvious way to get the
graph's ``changed`` and ``authored`` edges from the public row values: iterate
``repo.changes()`` and add each edge to networkx; the ratio is the peer's time over the
warm build, which makes every edge kind, not two. Target (issue 10): flask's graph well
under a second. It only reports; nothing here asserts a time.

    python benchmarks/bench_graph.py --git-dir /path/to/flask.git [--git-dir ...] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path


def row_wise(repo: object) -> tuple[float, int]:
    """The peer: ``changed`` and ``authored`` edges from ``repo.changes()``."""
    import networkx as nx  # noqa: PLC0415

    import loopintel  # noqa: PLC0415

    assert isinstance(repo, loopintel.Repository)
    start = time.perf_counter()
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for change in repo.changes():
        commit = f"commit:{change.commit}"
        graph.add_edge(f"author:{change.author_email}", commit, key="authored", kind="authored")
        graph.add_edge(
            commit,
            f"function:{change.lineage}",
            key="changed",
            kind="changed",
            types=tuple(t.value for t in change.change_types),
            lines_added=change.lines_added,
            lines_removed=change.lines_removed,
        )
    return time.perf_counter() - start, graph.number_of_edges()


def measure(git_dir: Path, runs: int) -> list[str]:
    import loopintel  # noqa: PLC0415
    from loopintel import graph as lg  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as scratch:
        index = Path(scratch) / "index.sqlite3"
        with loopintel.open(git_dir) as original:
            source = original.index_path
        shutil.copy(source, index)
        with loopintel.open(git_dir, index_path=index) as repo:
            started = time.perf_counter()
            proxies = repo.import_proxies()
            stored = time.perf_counter() - started
        with loopintel.open(git_dir, index_path=index) as repo:
            started = time.perf_counter()
            graph = repo.graph(proxies=True)
            cold = time.perf_counter() - started
            warm_runs = []
            for _ in range(runs):
                started = time.perf_counter()
                graph = repo.graph(proxies=True)
                warm_runs.append(time.perf_counter() - started)
            warm = statistics.median(warm_runs)
            timed: dict[str, float] = {}
            started = time.perf_counter()
            clusters = lg.clusters(graph, min_incidents=2)
            timed["clusters"] = time.perf_counter() - started
            started = time.perf_counter()
            recurring = lg.recurring(graph, clustered=clusters)
            timed["recurring"] = time.perf_counter() - started
            busiest = max(
                (n for n, d in graph.nodes(data=True) if d["kind"] == "function" and d["exists"]),
                key=graph.in_degree,
            )
            started = time.perf_counter()
            lg.blast_radius(graph, busiest)
            timed["blast_radius"] = time.perf_counter() - started
            peer, peer_edges = row_wise(repo)
        edges = Counter(k for _, _, k in graph.edges(keys=True))
        name = git_dir.name.removesuffix(".git")
        return [
            (
                f"| {name} | {graph.number_of_nodes():,} | {graph.number_of_edges():,} "
                f"| {cold:.2f} | {warm:.2f} | {peer:.2f} ({peer_edges:,} edges) "
                f"| {peer / warm:.1f}x "
                f"| {len(proxies.added):,} ({stored:.0f} s) | {len(clusters)} "
                f"| {timed['clusters']:.2f} | {len(recurring)} | {timed['recurring']:.2f} "
                f"| {timed['blast_radius'] * 1000:.0f} ms |"
            ),
            f"|   edges of {name}: "
            + ", ".join(f"{kind} {count:,}" for kind, count in sorted(edges.items()))
            + " |",
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", type=Path, action="append", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        "| repository | nodes | edges | graph cold s | graph warm s | row-wise peer s "
        "| peer / warm | proxy incidents (store) | clusters (2+) | clusters s | recurrences "
        "| recurring s | blast radius |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [measure(git_dir, args.runs) for git_dir in args.git_dir]
    for row in rows:
        print(row[0])
    for row in rows:
        print(row[1])


if __name__ == "__main__":
    main()
