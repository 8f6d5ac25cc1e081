"""Latency of the experts and truck factor of a whole repository and of a big directory.

For each indexed repository given as ``GIT_DIR:DIRECTORY`` (opened with
``update=False``, never re-indexed), and for this tree's loopintel and, with
``--baseline REV``, the loopintel of a git revision measured in the same run:

- cold: the first call in a fresh process (numpy's import included), median of
  ``--runs`` processes, one per measure;
- warm: the same call again in the process that made it, median of five;
- ``loopintel who .`` as a process, run in the repository, median of ``--runs``.

Target (issue 12): under 0.5 s each, whatever the history's size. Then, for this tree's
loopintel only, what the first query of a level pays once the index holds
``REFIT_CHANGES`` more function changes than when the expertise ranking's weights were
learned: learning them again (``expertise_weights`` on a copy of the index without
stored weights, in a fresh process, the read of every change included), per level. It
only reports; nothing here asserts a time.

    python benchmarks/bench_who.py [--baseline REV] [--runs 3] [--out FILE] GIT_DIR:DIRECTORY...
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFIT_CHANGES = 100
"""loopintel.analysis.expert_model.REFIT_CHANGES (not imported: the tree measured may differ)."""

MEASURE = """
import json, sys, time
import loopintel
repo = loopintel.open(sys.argv[1], update=False)
call = {"experts": repo.experts, "truck_factor": repo.truck_factor}[sys.argv[2]]
start = time.perf_counter()
call(sys.argv[3])
cold = time.perf_counter() - start
warm = []
for _ in range(5):
    start = time.perf_counter()
    call(sys.argv[3])
    warm.append(time.perf_counter() - start)
print(json.dumps([cold, sorted(warm)[2]]))
"""


def measure(tree: Path, git_dir: str, call: str, path: str, runs: int) -> tuple[float, float]:
    """Median cold and warm seconds of ``repo.<call>(path)`` with the loopintel in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    # Run from the repository, not from here: ``-c`` puts the working directory first
    # on the path, and this tree's loopintel would shadow the one measured.
    colds, warms = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, git_dir, call, path],
            cwd=git_dir,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cold, warm = json.loads(out)
        colds.append(cold)
        warms.append(warm)
    return statistics.median(colds), statistics.median(warms)


LEARN = """
import json, sys, time
import loopintel
from loopintel.ownership import expertise_weights
repo = loopintel.open(sys.argv[1], index_path=sys.argv[2], update=False)
start = time.perf_counter()
expertise_weights(repo._store, sys.argv[3])
print(json.dumps(time.perf_counter() - start))
"""


WARM = """
import sys
import loopintel
with loopintel.open(sys.argv[1]) as repo:
    repo.experts(".")
    repo.experts(sys.argv[2])
"""


def prepare(git_dir: str, directory: str) -> None:
    """The expertise weights of the levels measured, learned and kept, as after a first query.

    The measures open the index read-only, which learns them anew in every process; a
    user's first query (``loopintel who`` updates the index) keeps them. Learning them
    is measured apart (:func:`learning`).
    """
    subprocess.run(
        [sys.executable, "-c", WARM, git_dir, directory],
        cwd=git_dir,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )


def learning(git_dir: str, level: str, runs: int, work: Path) -> float:
    """Median seconds to learn a level's expertise weights from scratch (fresh process)."""
    import shutil  # noqa: PLC0415
    import sqlite3  # noqa: PLC0415

    from loopintel.store import default_index_path  # noqa: PLC0415

    source = default_index_path(str(Path(git_dir).resolve()))
    copy = work / f"{Path(git_dir).name}.sqlite3"
    if not copy.exists():
        shutil.copyfile(source, copy)
        db = sqlite3.connect(copy)
        db.execute("PRAGMA journal_mode=DELETE")
        with db:
            db.execute("DELETE FROM meta WHERE key LIKE 'expertise_weights:%'")
        db.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", LEARN, git_dir, str(copy), level],
                cwd=git_dir,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return float(statistics.median(times))


def who_process(tree: Path, git_dir: str, runs: int) -> float:
    """Median wall time of ``loopintel who .`` run in ``git_dir``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "loopintel", "who", "."],
            cwd=git_dir,
            env=env,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def commits(git_dir: str) -> int:
    out = subprocess.run(
        ["git", "-C", git_dir, "rev-list", "--count", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("targets", nargs="+", help="GIT_DIR:DIRECTORY of an indexed repository")
    parser.add_argument("--baseline", help="a git revision of loopintel to measure beside")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write a Markdown section here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        here = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        trees = {here: ROOT}
        if args.baseline:
            base = Path(work) / "baseline"
            base.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.baseline, "loopintel"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            trees = {args.baseline: base, here: ROOT}
        lines, learns = [], []
        for target in args.targets:
            given, directory = target.rsplit(":", 1)
            name = Path(given).name.removesuffix(".git")
            git_dir = str(Path(given).absolute())
            prepare(git_dir, directory)
            heading = f"{name} ({commits(git_dir):,} commits)"
            print(heading)
            for label, tree in trees.items():
                cells = []
                for call, path in (
                    ("experts", "."),
                    ("truck_factor", "."),
                    ("experts", directory),
                    ("truck_factor", directory),
                ):
                    cold, warm = measure(tree, git_dir, call, path, args.runs)
                    cells.append(f"{cold:.3f} / {warm:.3f}")
                    print(f"  {label:>12}  {call}({path!r}): cold {cold:.3f} s, warm {warm:.3f} s")
                who = who_process(tree, git_dir, args.runs)
                print(f"  {label:>12}  loopintel who . : {who:.3f} s")
                lines.append(f"| {heading} | {label} | {' | '.join(cells)} | {who:.3f} |")
            learned = [
                learning(git_dir, level, args.runs, Path(work))
                for level in ("function", "file", "directory")
            ]
            print(f"  learning the weights (function, file, directory): {learned}")
            learns.append(f"| {heading} | " + " | ".join(f"{t:.2f}" for t in learned) + " |")
    if args.out:
        directories = ", ".join(f"`{t.rsplit(':', 1)[1]}`" for t in args.targets)
        command = " ".join(["python benchmarks/bench_who.py", *sys.argv[1:]])
        section = "\n".join(
            [
                "",
                "## Experts and truck factor of a whole repository",
                "",
                (
                    f"Written by `{command}`; seconds, cold (first call in a fresh process, "
                    f"numpy's import included) / warm (the same call again), medians of "
                    f"{args.runs} processes; the directory is {directories}. Target: under "
                    "0.5 s each."
                ),
                "",
                (
                    "| repository | loopintel | experts(.) | truck_factor(.) | experts(dir) "
                    "| truck_factor(dir) | `loopintel who .` process |"
                ),
                "|---|---|---:|---:|---:|---:|---:|",
                *lines,
                "",
                (
                    "Cold, most of a call is the one read of who changed the head's code "
                    "(a join of the head's functions with their changes, grouped by file and "
                    "commit in SQLite), made once per process and indexed head: `who .` "
                    "makes it once for the experts and the truck factor, and every later "
                    "call, for the whole repository or a directory under it, is numpy over "
                    "it. The process figure also counts starting Python and importing "
                    "loopintel's CLI."
                ),
                "",
                (
                    "What the first query of a level pays after every "
                    f"{REFIT_CHANGES} new function changes (the expertise ranking's weights "
                    "learned again, the read of every change included), seconds, median of "
                    f"{args.runs} fresh processes, this tree's loopintel:"
                ),
                "",
                "| repository | function | file | directory |",
                "|---|---:|---:|---:|",
                *learns,
                "",
            ]
        )
        text = args.out.read_text() if args.out.exists() else ""
        marker = "\n## Experts and truck factor of a whole repository\n"
        text = text.split(marker, 1)[0].rstrip("\n") + "\n"
        args.out.write_text(text + section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
