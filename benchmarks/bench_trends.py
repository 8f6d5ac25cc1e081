"""Trend latency on an up-to-date index of a repository, beside a row-wise peer.

For each level (function, file, module, repository) and period (quarter, month) it
reports the time of ``repo.trends(level, period=...)`` over the whole repository with
every metric the index has: *cold* (a freshly opened index, so the change columns are
read first) and *warm* (the median of further calls on the same open index). The peer,
measured in the same run, is the obvious row-wise way to get two of the module series
(churn and changes per quarter) and their test: iterate ``repo.changes()``, count in
Python dictionaries, and run Mann-Kendall over every pair of points in Python; its
series are checked against the library's. Target: the whole repository in under a
second. It only reports; nothing here asserts a time.

    python benchmarks/bench_trends.py [--repo flask] [--git-dir DIR] [--runs N]

``--git-dir`` reads an existing index as it is (``update=False``); by default the
corpus bundle is cloned into a temporary directory and indexed first.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
LEVELS = ("repository", "module", "file", "function")
PERIODS = ("quarter", "month")


def row_wise(repo: Any) -> tuple[float, dict[tuple[str, str], list[float]], int]:
    """The peer: module churn and changes per quarter from row values, tested in Python."""
    import loopintel  # noqa: PLC0415

    start = time.perf_counter()
    found = repo.trends("module", metric="churn", limit=1)  # only for the window
    first, until = found[0].since, found[0].until
    head = {f.lineage: f for f in repo.functions()}
    spans = sorted(head.values(), key=lambda f: (f.ref.path, f.start_line, -f.end_line))
    outer: set[str] = set()
    reach: dict[str, int] = {}
    for f in spans:  # a function inside an earlier one of its file is not outermost
        if f.start_line > reach.get(f.ref.path, -1):
            outer.add(f.lineage)
        reach[f.ref.path] = max(reach.get(f.ref.path, -1), f.end_line)
    count = (until.year - first.year) * 4 + (until.month - first.month) // 3
    series: dict[tuple[str, str], list[float]] = {}
    commits: dict[tuple[str, int], set[str]] = {}
    born: dict[str, int] = {}
    for change in repo.changes():
        f = head.get(change.lineage)
        if f is None:
            continue
        module = f.ref.path.rpartition("/")[0] or "."
        moment = change.authored_at.astimezone(UTC)
        q = (moment.year - first.year) * 4 + (moment.month - 1) // 3 - (first.month - 1) // 3
        born[module] = min(born.get(module, q), q)
        if not 0 <= q < count:
            continue
        churn = series.setdefault((module, "churn"), [0.0] * count)
        if change.lineage in outer:
            churn[q] += change.lines_added + change.lines_removed
        if loopintel.ChangeType.COSMETIC not in change.change_types:
            commits.setdefault((module, q), set()).add(change.commit)
    for (module, q), shas in commits.items():
        series.setdefault((module, "changes"), [0.0] * count)[q] = len(shas)
    tests = 0
    for (module, _), values in series.items():
        points = values[max(0, born[module]) :]
        s = sum((b > a) - (b < a) for a, b in itertools.combinations(points, 2))
        n = len(points)
        ties = sum(t * (t - 1) * (2 * t + 5) for t in _groups(points))
        variance = (n * (n - 1) * (2 * n + 5) - ties) / 18
        z = 0.0 if s == 0 or variance <= 0 else (s - math.copysign(1, s)) / math.sqrt(variance)
        math.erfc(abs(z) / math.sqrt(2))
        tests += 1
    return time.perf_counter() - start, series, tests


def _groups(values: list[float]) -> list[int]:
    counts: dict[float, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return list(counts.values())


def measure(clone: Path, index: Path, runs: int, *, update: bool) -> None:
    import loopintel  # noqa: PLC0415

    if update:
        loopintel.open(clone, index_path=index).close()  # up to date before timing
    with loopintel.open(clone, index_path=index, update=False) as repo:
        head = datetime.fromtimestamp(repo._store.head_time(), UTC)  # noqa: SLF001
        print(f"{clone.name}: {len(repo.functions())} functions at the head, head {head:%Y-%m-%d}")
    print(f"{'level':<11} {'period':<8} {'rows':>6} {'cold s':>8} {'warm s':>8}  verdicts")
    for level, period in itertools.product(LEVELS, PERIODS):
        with loopintel.open(clone, index_path=index, update=False) as repo:
            start = time.perf_counter()
            rows = repo.trends(level, period=period)
            cold = time.perf_counter() - start
            warm = []
            for _ in range(runs):
                start = time.perf_counter()
                repo.trends(level, period=period)
                warm.append(time.perf_counter() - start)
        tally: dict[str, int] = {}
        for row in rows:
            tally[row.direction.value] = tally.get(row.direction.value, 0) + 1
        verdicts = " ".join(f"{k} {v}" for k, v in sorted(tally.items()))
        print(
            f"{level:<11} {period:<8} {len(rows):>6} {cold:>8.3f} "
            f"{statistics.median(warm):>8.3f}  {verdicts}"
        )
    with loopintel.open(clone, index_path=index, update=False) as repo:
        ours = repo.trends("module", metric=["churn", "changes"])
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            ours = repo.trends("module", metric=["churn", "changes"])
            warm.append(time.perf_counter() - start)
        peer, series, tests = row_wise(repo)
    same = all(
        [v for v in row.values if v is not None]
        == series.get((row.name, row.metric.value), [0.0] * len(row.values))[-row.n :]
        for row in ours
        if row.n
    )
    ratio = peer / statistics.median(warm)
    print(
        f"row-wise peer (repo.changes() and Mann-Kendall in Python), {tests} module series "
        f"of churn and changes: {peer:.3f} s; numpy trends {statistics.median(warm):.3f} s "
        f"warm: {ratio:.1f}x; series agree: {same}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", default="flask", help="corpus bundle name")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--git-dir", type=Path, help="an indexed clone to measure on")
    parser.add_argument("--runs", type=int, default=3, help="warm calls per level")
    args = parser.parse_args()
    if args.git_dir is not None:
        index = args.git_dir / "loopintel" / "index.sqlite3"
        measure(args.git_dir, index, args.runs, update=False)
        return 0
    bundle = args.corpus / f"{args.repo}.bundle"
    if not bundle.exists():
        print(f"corpus bundle {bundle} is absent: nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as work:
        clone = Path(work) / f"{args.repo}.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(clone)], check=True)
        measure(clone, Path(work) / "index.sqlite3", args.runs, update=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
