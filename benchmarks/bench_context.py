"""``loopintel context`` of a real traceback, beside ``git log -L`` for the same functions.

A responder without loopintel pastes each frame's function into ``git log -L
:<function>:<path>`` to see when it changed and who changed it. This runs, on an
indexed corpus repository, a fresh ``loopintel context FILE --json`` process (process
start, index check, version inference, resolution, links, summaries) and then one
``git log -L`` per function it implicated that a frame resolved to, and reports both
medians and their ratio (git is given its built-in Python function-name driver,
``*.py diff=python``, so that ``-L`` finds methods). It only reports; nothing here
asserts a time.

    python benchmarks/bench_context.py [--repo flask] [--traceback FILE] [--runs 5]
        [--out docs/context-benchmarks.md]

The default traceback is the 23-frame chain flask 3.0.0 printed for an error handler
that raised (``tests/data/tracebacks/``), resolved with its release withheld. The corpus
bundles are looked up in ``$LOOPINTEL_CORPUS``, else ``../shared/corpus``; when absent,
the benchmark says so and exits cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("LOOPINTEL_CORPUS") or ROOT.parent / "shared" / "corpus")
TRACEBACKS = ROOT / "tests" / "data" / "tracebacks"
DEFAULT = {
    "flask": TRACEBACKS / "flask-3.0.0-errorhandler-chain.txt",
    "requests": TRACEBACKS / "requests-2.28.2-refused.txt",
}


def timed(argv: list[str], *, cwd: Path | None = None) -> tuple[float, str]:
    """Wall time of one process and its standard output."""
    started = time.perf_counter()
    done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=cwd)
    return time.perf_counter() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", default="flask", choices=sorted(DEFAULT))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--traceback", type=Path, help="a traceback file (default: see above)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write a Markdown report here")
    args = parser.parse_args()
    bundle = args.corpus / f"{args.repo}.bundle"
    if not bundle.exists():
        print(f"corpus bundle {bundle} is absent: nothing to measure")
        return 0
    traceback = args.traceback or DEFAULT[args.repo]
    with tempfile.TemporaryDirectory() as work:
        clone = Path(work) / args.repo
        subprocess.run(["git", "clone", "--quiet", str(bundle), str(clone)], check=True)
        # git's built-in Python driver, so that -L :name: finds methods (indented defs).
        (clone / ".git" / "info").mkdir(exist_ok=True)
        (clone / ".git" / "info" / "attributes").write_text("*.py diff=python\n")
        index = Path(work) / "index.sqlite3"
        command = [sys.executable, "-m", "loopintel", "context", str(traceback), str(clone)]
        command += ["--index-path", str(index), "--json"]
        subprocess.run(
            [sys.executable, "-m", "loopintel", "index", str(clone), "--index-path", str(index)],
            check=True,
            capture_output=True,
        )
        ours = []
        record: dict[str, object] = {}
        for _ in range(args.runs):
            seconds, out = timed(command)
            ours.append(seconds)
            record = json.loads(out)
        frames = record["frames"]
        assert isinstance(frames, list)
        resolved = {(f["path"], f["qualname"]) for f in frames if f["status"] == "resolved"}
        functions = record["functions"]
        assert isinstance(functions, list)
        # git log -L asks by the head's name (a lineage renamed or moved since the
        # release is asked where it is now); functions gone since cannot be asked.
        asked = [
            (f["summary"]["path"], f["summary"]["qualname"])
            for f in functions
            if (f["path"], f["qualname"]) in resolved and f["summary"]["at_head"]
        ]
        theirs = []
        for _ in range(args.runs):
            total = 0.0
            for path, qualname in asked:
                name = qualname.rsplit(".", 1)[-1]
                seconds, _ = timed(
                    ["git", "log", f"-L:{name}:{path}", "--format=%H %an %ad"], cwd=clone
                )
                total += seconds
            theirs.append(total)
    version = record["resolved_at"]
    assert isinstance(version, dict)
    shown = traceback.relative_to(ROOT) if traceback.is_relative_to(ROOT) else traceback
    ours_median = statistics.median(ours)
    theirs_median = statistics.median(theirs)
    lines = [
        f"# Context of a traceback ({args.repo})",
        "",
        "Written by `python benchmarks/bench_context.py"
        + (f" --repo {args.repo}" if args.repo != "flask" else "")
        + f" --runs {args.runs}`; re-run it rather than editing this page.",
        "",
        f"Traceback: `{shown}`, "
        f"{len(frames)} frames, {len(resolved)} distinct functions of the repository in it; "
        f"resolved at `{str(version['commit'])[:12]}` ({version['how']}"
        + (f", tag {version['tag']}" if version.get("tag") else "")
        + f"); {len(functions)} functions implicated.",
        "",
        (
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; medians of "
            f"{args.runs} runs, wall time of whole processes."
        ),
        "",
        "| work | median | runs |",
        "|---|---|---|",
        f"| `loopintel context FILE --json` (one process, everything) | {ours_median:.2f} s | "
        + ", ".join(f"{s:.2f}" for s in ours)
        + " |",
        f"| `git log -L :<function>:<path>` for the {len(asked)} functions the frames resolved "
        f"to (one process each) | {theirs_median:.2f} s | "
        + ", ".join(f"{s:.2f}" for s in theirs)
        + " |",
        "",
        (
            f"Ratio: `git log -L` takes **{theirs_median / ours_median:.1f}x** as long as "
            "`loopintel context`, and gives only each function's history at the head's "
            "line ranges, without experts, coverage, stability, earlier incidents, or the "
            "version the traceback was printed by."
        ),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
