r"""Memory while indexing a big history: the largest process and the process tree.

Indexes one repository from scratch (a fresh index file) with each given checkout of
loopintel in turn, in a fresh Python process, and samples while it runs:

- the RSS of the indexing process (the one that writes the index) and of each worker
  process it starts, and their sum over the process tree (shared copy-on-write pages of
  forked workers are counted once per process, so the sum errs high);
- how much of the history has reached the index (stored commits, and commits extracted
  ahead of their turn and kept aside): the first moment anything did, and the longest
  wait between two moments it grew (what an interruption could lose at worst).

Checkouts are measured one after the other, never at once. It only reports; nothing
here asserts a figure. Usage, from the repository root::

    python benchmarks/bench_memory.py sympy.git --ref sympy-0.6.7 \
        --code before=../main --code after=. --write

``--timeline FILE`` writes every sample as CSV (seconds, indexing process, largest
worker, tree, commits in the index) for a look at what grows. A long run (a whole
history) can be measured on its own with ``--save FILE`` and shown beside others with
``--merge FILE``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import psutil

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
SECTION = "## Big histories: memory while indexing"
INDEX_POLL_SECONDS = 1.0

CHILD = """
import loopintel
summary = loopintel.open({path!r}, index_path={index!r}, ref={ref!r}, workers={workers!r})
print(summary.commit_count())
"""


class Sample(NamedTuple):
    """One look at the process tree and the index."""

    seconds: float
    main: int
    """RSS of the indexing process, bytes."""
    worker: int
    """RSS of the largest worker process, bytes."""
    tree: int
    """Summed RSS of the process tree, bytes."""
    indexed: int
    """Commits stored or kept aside in the index."""


class Result(NamedTuple):
    """What one checkout did on the repository."""

    label: str
    seconds: float
    commits: int
    main_peak: int
    worker_peak: int
    tree_peak: int
    first_indexed: float | None
    """Seconds until the first commit reached the index."""
    longest_wait: float
    """Longest time, while commits remained, in which nothing more reached the index."""
    ref: str = ""
    command: str = ""
    """The command that measured it (as the page shows it)."""


def _indexed(index: Path) -> int | None:
    """Commits stored and kept aside in a (possibly half-written) index."""
    if not index.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=0.2)
        try:
            stored = db.execute("SELECT count(*) FROM commits").fetchone()[0]
            kept = db.execute("SELECT count(*) FROM staged").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return int(stored) + int(kept)


def _rss(process: psutil.Process) -> int:
    with contextlib.suppress(psutil.Error):
        return int(process.memory_info().rss)
    return 0


def run(
    label: str,
    code: Path,
    repo: Path,
    ref: str,
    workers: int | None,
    interval: float,
    timeline: Any = None,
    command: str = "",
) -> tuple[Result, list[Sample]]:
    """Index ``repo`` at ``ref`` with the loopintel of ``code``, sampling as it goes.

    ``timeline``: a CSV writer that gets each sample as it is taken (a long run
    stopped early still leaves what it saw).
    """
    total = int(
        subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--count", ref],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
        index = Path(scratch) / "index.sqlite3"
        env = {**os.environ, "PYTHONPATH": str(code.resolve())}
        env.pop("LOOPINTEL_INDEX", None)
        source = CHILD.format(path=str(repo), index=str(index), ref=ref, workers=workers)
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", source], cwd=scratch, env=env, stdout=subprocess.PIPE, text=True
        )
        root = psutil.Process(child.pid)
        samples: list[Sample] = []
        indexed, polled = 0, 0.0
        while child.poll() is None:
            now = time.perf_counter() - started
            if now - polled >= INDEX_POLL_SECONDS:
                indexed = _indexed(index) or indexed
                polled = now
            main = _rss(root)
            with contextlib.suppress(psutil.Error):
                workers_rss = [_rss(p) for p in root.children(recursive=True)]
            samples.append(
                Sample(now, main, max(workers_rss, default=0), main + sum(workers_rss), indexed)
            )
            if timeline is not None:
                timeline.writerow((label, *samples[-1]))
            time.sleep(interval)
        seconds = time.perf_counter() - started
        out, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"{label}: indexing failed (exit status {child.returncode})")
    first = next((s.seconds for s in samples if s.indexed), None)
    wait, since, count = 0.0, 0.0, 0
    for sample in samples:
        if sample.indexed > count:
            wait = max(wait, sample.seconds - since)
            since, count = sample.seconds, sample.indexed
        elif count >= total:
            break
    return (
        Result(
            label,
            seconds,
            int(out.split()[-1]),
            max(s.main for s in samples),
            max(s.worker for s in samples),
            max(s.tree for s in samples),
            first,
            wait,
            ref,
            command,
        ),
        samples,
    )


EXPLANATION = """\
What grew, and what bounds it now. The indexing process read the head tree's functions
all at once while the workers ran, keeping every file's parse and its functions' syntax
trees (1.3 GB on sympy's head), and read no batch of results until the last file was
read; it now reads one file at a time between batches and keeps only the spans.
Workers hand a batch over every 200 commits, 5,000 function changes or second, and wait
while more than four are unread, so each holds at most one batch, and the indexing
process stores what comes in history order or keeps it aside in the index. A commit
kept the syntax trees of every function it parsed until its end (sympy's `9d3fa8b4`,
1,374 files, peaked at 2.5 GB for that one commit, now 0.6 GB): past 20,000 lines they
are dropped between files, after the facts of the functions that went or came are
taken from them, so the index is the same. A file version over 256 KB is parsed a few
statements at a time (`ast` held a 1.5 MB file's whole tree, 550 MB, while it parsed).
libgit2's object cache is bounded to 8 MB while indexing (by default it grows to 256 MB
of objects, twice that in memory, per process).

Not met yet: the 400 MB target for the largest process on the whole of sympy. The
indexing process stays near 220 MB, but a worker on the later half of the history runs
at 500-650 MB and peaks above 1 GB for seconds at a time, on commits not yet
identified; `9d3fa8b4` alone still needs 0.6 GB (its 38,135 new functions are matched
against each other as one commit's candidates, their files' lines all held)."""


def _column(result: Result) -> str:
    return f"{result.label}, `{result.ref}` ({result.commits:,} commits)"


def section(results: list[Result], repo: str) -> str:
    """The Markdown section of docs/benchmarks.md."""
    head = ["", *(_column(r) for r in results)]
    rows = [
        (
            "peak RSS of the largest process",
            [f"{max(r.main_peak, r.worker_peak) / MB:.0f} MB" for r in results],
        ),
        ("peak RSS of the indexing process", [f"{r.main_peak / MB:.0f} MB" for r in results]),
        ("peak RSS of the largest worker", [f"{r.worker_peak / MB:.0f} MB" for r in results]),
        (
            "peak of the summed RSS of the process tree",
            [f"{r.tree_peak / MB:.0f} MB" for r in results],
        ),
        (
            "first commit in the index after",
            [f"{r.first_indexed:.0f} s" if r.first_indexed is not None else "-" for r in results],
        ),
        (
            "longest wait for the next commit in the index",
            [f"{r.longest_wait:.0f} s" for r in results],
        ),
        ("wall time", [f"{r.seconds:.0f} s" for r in results]),
    ]
    commands = list(dict.fromkeys(r.command for r in results if r.command))
    lines = [
        SECTION,
        "",
        (
            "Written by `benchmarks/bench_memory.py`: a fresh index of "
            f"{repo}, each checkout of loopintel in a fresh process, one after the "
            "other, RSS sampled every few tenths of a second. *before*: loopintel "
            "before indexing bounded its memory; *after*: now. A whole history is "
            "measured on its own (`--save`) and shown beside the others (`--merge`). "
            "Wall times were taken on a shared two-core machine loaded by other work: "
            "compare the memory figures."
        ),
        "",
        "```",
        *commands,
        "```",
        "",
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(results),
        *("| " + " | ".join([name, *cells]) + " |" for name, cells in rows),
        "",
        EXPLANATION,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str, out: Path) -> None:
    """Replace (or append) the section in ``out``."""
    page = out.read_text(encoding="utf-8")
    start = page.find(SECTION)
    if start < 0:
        page = page.rstrip("\n") + "\n\n" + text
    else:
        end = page.find("\n## ", start + len(SECTION))
        page = page[:start] + text + ("" if end < 0 else page[end:])
    out.write_text(page, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path, help="the repository to index (never modified)")
    parser.add_argument("--ref", default="HEAD", help="index the history of this ref")
    parser.add_argument(
        "--code",
        action="append",
        metavar="LABEL=DIR",
        help="a checkout of loopintel to measure (repeatable; default: this one)",
    )
    parser.add_argument("--workers", type=int, default=None, help="worker processes")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--timeline", type=Path, help="write every sample to this CSV file")
    parser.add_argument("--save", type=Path, help="write the results to this JSON file")
    parser.add_argument(
        "--merge",
        type=Path,
        action="append",
        default=[],
        help="show the results a run saved in this JSON file too (repeatable)",
    )
    parser.add_argument(
        "--write", action="store_true", help=f"write {SECTION!r} of docs/benchmarks.md"
    )
    args = parser.parse_args()
    codes = [item.split("=", 1) for item in args.code or [f"loopintel={ROOT}"]]
    shown = [f"{label}={os.path.relpath(code, ROOT)}" for label, code in codes]
    command = "python benchmarks/bench_memory.py " + shlex.join(
        [args.repo.name, "--ref", args.ref]
        + [f"--code={c}" for c in shown]
        + (["--workers", str(args.workers)] if args.workers else [])
    )
    results = []
    with contextlib.ExitStack() as stack:
        writer = None
        if args.timeline is not None:
            fh = stack.enter_context(
                args.timeline.open("w", newline="", encoding="utf-8", buffering=1)
            )
            writer = csv.writer(fh)
            writer.writerow(["code", *Sample._fields])
        for label, code in codes:
            print(f"{label}: indexing {args.repo} at {args.ref} ...", file=sys.stderr, flush=True)
            result, _ = run(
                label,
                Path(code),
                args.repo,
                args.ref,
                args.workers,
                args.interval,
                writer,
                command,
            )
            results.append(result)
            print(json.dumps(result._asdict()), flush=True)
    if args.save is not None:
        args.save.write_text(json.dumps([r._asdict() for r in results], indent=1), encoding="utf-8")
    for saved in args.merge:
        results.extend(Result(**item) for item in json.loads(saved.read_text(encoding="utf-8")))
    text = section(results, args.repo.name)
    print(text)
    if args.write:
        write_section(text, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
