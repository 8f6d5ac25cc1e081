"""Hotspot latency on an up-to-date index of a corpus repository, beside a row-wise peer.

For each level (function, file, module) it reports the time of ``repo.hotspots(level)``
over the whole repository: *cold* (a freshly opened index, so the change columns and the
fix commits are read first) and *warm* (the median of further calls on the same open
index). The peer, measured in the same run, is the obvious row-wise way to get the same
revision and fix counts and churn per function: iterate ``repo.changes()`` and count in
Python (fixes from ``repo.find_proxies()``); the ratio is peer time over warm time. Its
counts are checked against the hotspots' own. Target (issue 10): the whole repository at
each level well under a second. It only reports; nothing here asserts a time.

    python benchmarks/bench_hotspots.py [--repo flask] [--git-dir DIR] [--runs N]

``--git-dir`` reuses a clone (its index is brought up to date); by default the bundle is
cloned into a temporary directory and indexed first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
LEVELS = ("function", "file", "module")


def row_wise(repo: object) -> tuple[float, dict[str, tuple[int, int, int]]]:
    """The peer: per function at the head, (revisions, fixes, churn) from row values."""
    import loopintel  # noqa: PLC0415

    assert isinstance(repo, loopintel.Repository)
    start = time.perf_counter()
    fixes = {p.id for p in repo.find_proxies()}
    head = {f.lineage: str(f.ref) for f in repo.functions()}
    counts: dict[str, tuple[set[str], set[str], int]] = {}
    for change in repo.changes():
        name = head.get(change.lineage)
        if name is None:
            continue
        revisions, fixed, churn = counts.setdefault(name, (set(), set(), 0))
        churn += change.lines_added + change.lines_removed
        if loopintel.ChangeType.COSMETIC not in change.change_types:
            revisions.add(change.commit)
            if change.commit in fixes:
                fixed.add(change.commit)
        counts[name] = (revisions, fixed, churn)
    elapsed = time.perf_counter() - start
    return elapsed, {n: (len(r), len(f), c) for n, (r, f, c) in counts.items()}


def measure(clone: Path, index: Path, runs: int) -> None:
    import loopintel  # noqa: PLC0415

    loopintel.open(clone, index_path=index).close()  # up to date before timing
    print(f"{'level':<9} {'rows':>6} {'cold s':>8} {'warm s':>8}")
    for level in LEVELS:
        with loopintel.open(clone, index_path=index, update=False) as repo:
            start = time.perf_counter()
            rows = repo.hotspots(level)
            cold = time.perf_counter() - start
            warm = []
            for _ in range(runs):
                start = time.perf_counter()
                repo.hotspots(level)
                warm.append(time.perf_counter() - start)
        print(f"{level:<9} {len(rows):>6} {cold:>8.3f} {statistics.median(warm):>8.3f}")
    with loopintel.open(clone, index_path=index, update=False) as repo:
        repo.hotspots("function")
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            ours = repo.hotspots("function")
            warm.append(time.perf_counter() - start)
        peer, counts = row_wise(repo)
    same = all(
        counts.get(row.name, (0, 0, 0))
        == (row.changes, row.fixes, row.lines_added + row.lines_removed)
        for row in ours
    )
    ratio = peer / statistics.median(warm)
    print(
        f"row-wise peer (repo.changes() in Python), function level: {peer:.3f} s; "
        f"numpy hotspots {statistics.median(warm):.3f} s warm: {ratio:.1f}x; "
        f"counts agree: {same}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", default="flask", help="corpus bundle name")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--git-dir", type=Path, help="an existing clone to measure on")
    parser.add_argument("--runs", type=int, default=5, help="warm calls per level")
    args = parser.parse_args()
    if args.git_dir is not None:
        measure(args.git_dir, args.git_dir / "loopintel" / "index.sqlite3", args.runs)
        return 0
    bundle = args.corpus / f"{args.repo}.bundle"
    if not bundle.exists():
        print(f"corpus bundle {bundle} is absent: nothing to measure")
        return 0
    with tempfile.TemporaryDirectory() as work:
        clone = Path(work) / f"{args.repo}.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(clone)], check=True)
        measure(clone, Path(work) / "index.sqlite3", args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
