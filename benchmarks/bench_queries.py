"""Query latency on an up-to-date index of a corpus repository.

Reports the wall time of a fresh process opening an up-to-date index, and p50/p99 of
``repo.function()``, ``last_changed``, ``experts()`` and ``coverage`` over every function
at the head. Targets (issue: query API): open under 0.3 s, p99 under 5 ms per query. It
only reports; nothing here asserts a time.

Coverage needs data: ``--coverage FILE`` imports a real coverage file measured at the
bundle's head (for flask: its test suite run under coverage.py); without it, an LCOV
file is made up that marks two lines in three of every Python file as run, which
exercises the same query.

    python benchmarks/bench_queries.py [--repo flask] [--coverage FILE [--coverage-note TEXT]]
        [--out docs/query-benchmarks.md]
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


def _made_up_lcov(clone: Path, head: str, work: Path) -> Path:
    """An LCOV file marking two lines in three of every Python file at ``head`` as run."""
    import pygit2  # noqa: PLC0415

    git = pygit2.Repository(str(clone))
    records = []
    stack = [("", git[head].peel(pygit2.Commit).tree)]
    while stack:
        prefix, tree = stack.pop()
        for entry in tree:
            if isinstance(entry, pygit2.Tree):
                stack.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".py"):
                lines = git[entry.id].data.decode("utf-8", "replace").splitlines()
                hits = "".join(
                    f"DA:{n},{int(n % 3 != 0)}\n" for n, text in enumerate(lines, 1) if text.strip()
                )
                records.append(f"SF:{prefix}{entry.name}\n{hits}end_of_record\n")
    out = work / "made-up.lcov"
    out.write_text("".join(records))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", default="flask", help="corpus bundle name")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--runs", type=int, default=5, help="runs of the open measure")
    parser.add_argument("--coverage", type=Path, help="coverage file measured at the head")
    parser.add_argument("--coverage-note", help="how FILE was made, for the report")
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
            data = args.coverage or _made_up_lcov(clone, repo.head or "", Path(work))
            started = time.perf_counter()
            snapshot = repo.import_coverage(data)
            imported = time.perf_counter() - started
            timings: dict[str, list[float]] = {
                "function()": [],
                "last_changed": [],
                "experts()": [],
                "coverage": [],
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
                started = time.perf_counter()
                _ = view.coverage
                timings["coverage"].append(time.perf_counter() - started)
    lines = [
        f"# Query latency ({args.repo}, {len(functions):,} functions at the head)",
        "",
        (
            "Written by `python benchmarks/bench_queries.py"
            + (f" --repo {args.repo}" if args.repo != "flask" else "")
            + (" --coverage FILE" if args.coverage else "")
            + "`; re-run it rather than editing this page."
        ),
        "",
        (
            f"Coverage: {args.coverage_note or ('made-up LCOV' if not args.coverage else 'FILE')}"
            f" ({snapshot.format}): {snapshot.files} files, {snapshot.functions:,} functions, "
            f"{snapshot.covered_lines:,} of {snapshot.coverable_lines:,} lines run, imported in "
            f"{imported:.2f} s."
        ),
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
        out = args.out if args.out.is_absolute() else ROOT / args.out
        # Sections other benchmarks write below the table (bench_who.py) are kept.
        kept = out.read_text().partition("\n## ")[1:] if out.exists() else ()
        out.write_text(text + "".join(kept))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
