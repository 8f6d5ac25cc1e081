"""Query latency on an up-to-date index of a corpus repository.

Reports the wall time of a fresh process opening an up-to-date index, and p50/p99 of
``repo.function()``, ``last_changed`` and ``experts()`` over every function at the head.
Targets (issue: query API): open under 0.3 s, p99 under 5 ms per query. It only
reports; nothing here asserts a time.

    python benchmarks/bench_queries.py [--repo flask] [--out docs/query-benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

OPEN = "import sys, loopintel; loopintel.open(sys.argv[1], index_path=sys.argv[2])"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", default="flask", help="corpus bundle name")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--runs", type=int, default=5, help="runs of the open measure")
    parser.add_argument("--out", type=Path, help="also write a Markdown report here")
    args = parser.parse_args()
    bundle = args.corpus / f"{args.repo}.bundle"
    if not bundle.exists():
        print(f"corpus bundle {bundle} is absent: nothing to measure")
        return 0
    import loopintel  # noqa: PLC0415 - after the argument check

    with tempfile.TemporaryDirectory() as work:
        clone = Path(work) / f"{args.repo}.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(clone)], check=True)
        index = Path(work) / "index.sqlite3"
        loopintel.open(clone, index_path=index).close()
        opens = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", OPEN, str(clone), str(index)], check=True)
            opens.append(time.perf_counter() - started)
        with loopintel.open(clone, index_path=index) as repo:
            functions = repo.functions()
            timings: dict[str, list[float]] = {
                "function()": [],
                "last_changed": [],
                "experts()": [],
            }
            for function in functions:
                started = time.perf_counter()
                view = repo.function(str(function.ref))
                timings["function()"].append(time.perf_counter() - started)
                started = time.perf_counter()
                _ = view.last_changed
                timings["last_changed"].append(time.perf_counter() - started)
                started = time.perf_counter()
                view.experts()
                timings["experts()"].append(time.perf_counter() - started)
    lines = [
        f"# Query latency ({args.repo}, {len(functions):,} functions at the head)",
        "",
        "Written by `python benchmarks/bench_queries.py"
        + (f" --repo {args.repo}" if args.repo != "flask" else "")
        + "`; re-run it rather than editing this page.",
        "",
        "| measure | p50 | p99 | target |",
        "|---|---:|---:|---|",
        (
            f"| open an up-to-date index (fresh process, median of {args.runs}) | "
            f"{statistics.median(opens):.3f} s | | < 0.3 s |"
        ),
    ]
    lines += [
        f"| {name} | {percentile(values, 0.5) * 1000:.2f} ms | "
        f"{percentile(values, 0.99) * 1000:.2f} ms | p99 < 5 ms |"
        for name, values in timings.items()
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        (args.out if args.out.is_absolute() else ROOT / args.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
