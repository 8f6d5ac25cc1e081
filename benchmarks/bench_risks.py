"""Knowledge-risk latency on up-to-date indexes, beside the per-file peer.

For each index and level (file, module) it reports the time of
``repo.knowledge_risks(level)`` over the whole repository: *cold* (a freshly opened
index: the change columns, the fix commits and the ownership rows are read first) and
*warm* (the median of further calls). The peer, measured in the same run, is the
obvious way to the same answer: ``repo.experts(f)`` and ``repo.truck_factor(f)`` called
for every exposed file (one index read and one ranking per file); the ratio is peer time
over warm time, and its experts and truck factors are checked against the risks' own.
It only reports; nothing here asserts a time.

    python benchmarks/bench_risks.py [--git-dir DIR ...] [--runs N]

Each ``--git-dir`` is an indexed repository, opened without updating its index.
"""

from __future__ import annotations

import argparse
import statistics
import time

DEFAULT = ["/work/data/hs/flask.git", "/work/data/pred/tornado.git"]
LEVELS = ("file", "module")


def measure(path: str, runs: int) -> None:
    import loopintel  # noqa: PLC0415

    print(path)
    print(f"  {'level':<7} {'rows':>5} {'cold s':>7} {'warm s':>7}")
    for level in LEVELS:
        with loopintel.open(path, update=False) as repo:
            start = time.perf_counter()
            rows = repo.knowledge_risks(level)
            cold = time.perf_counter() - start
            warm = []
            for _ in range(runs):
                start = time.perf_counter()
                repo.knowledge_risks(level)
                warm.append(time.perf_counter() - start)
        print(f"  {level:<7} {len(rows):>5} {cold:>7.3f} {statistics.median(warm):>7.3f}")
    with loopintel.open(path, update=False) as repo:
        exposed = repo.knowledge_risks("file", top_share=1.0)
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            repo.knowledge_risks("file", top_share=1.0)
            warm.append(time.perf_counter() - start)
        start = time.perf_counter()
        peer = {row.name: (repo.experts(row.name), repo.truck_factor(row.name)) for row in exposed}
        elapsed = time.perf_counter() - start
    same = all(
        row.truck_factor == peer[row.name][1]
        and [e.email for e in row.experts]
        == [e.email for e in peer[row.name][0][: len(row.experts)]]
        for row in exposed
    )
    ours = statistics.median(warm)
    print(
        f"  every changed file exposed (top_share=1): {len(exposed)} risks in {ours:.3f} s warm; "
        f"per-file experts() + truck_factor(): {elapsed:.3f} s ({elapsed / ours:.1f}x); "
        f"agree: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", action="append", help="an indexed repository (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for path in args.git_dir or DEFAULT:
        measure(path, args.runs)


if __name__ == "__main__":
    main()
