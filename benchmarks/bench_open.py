r"""Open and small updates of an up-to-date index, on a big history beside a small one.

What a user waits for when the index is already there: opening it when nothing changed,
indexing the one commit just made, indexing a merged pull request. Each figure is the
median over ``--runs`` fresh Python processes (``open()`` timed inside the process, the
CLI timed as a whole process), with the process's peak RSS. Measured per repository
(each must be a git repository whose index loopintel can write; its current branch is
moved and then restored):

1. no-op: ``loopintel.open(path)`` and ``loopintel index PATH`` on an up-to-date index;
2. one commit: a commit editing one Python file is made on top of the branch, the branch
   moved to it and the index updated; then the branch is moved back (a rewrite that
   drops that commit, also timed);
3. merge: the branch is reset to the first parent of a recent merge whose pull request
   brings about six commits, the index updated (untimed), then the branch moved to the
   merge and the index updated (timed); finally the branch is restored and the index
   brought back to it (untimed).

``--profile DIR`` writes one cProfile file per step (``<name>-<step>.prof``) and prints
the heaviest calls. It only reports; nothing here asserts a time. Usage::

    python benchmarks/bench_open.py flask=/work/data/big/flask.git \\
        twisted=/work/data/big/twisted.git --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pygit2

PROBE = "\n\ndef _loopintel_bench_probe_{n}():\n    return {n}\n"
TARGET_MERGE = 6
"""Commits a merged pull request brings in the merge step (the merge itself included)."""

CHILD = """
import cProfile, json, resource, sys, time
path, profile = sys.argv[1], sys.argv[2]
import loopintel
profiler = cProfile.Profile() if profile else None
started, cpu = time.perf_counter(), time.process_time()
if profiler is not None:
    profiler.enable()
repo = loopintel.open(path)
if profiler is not None:
    profiler.disable()
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
summary = repo.last_index
repo.close()
if profiler is not None:
    profiler.dump_stats(profile)
print(json.dumps({
    "seconds": seconds,
    "cpu": cpu,
    "indexed": summary.commits_indexed,
    "removed": summary.commits_removed,
    "total": summary.commits_total,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


class Step(NamedTuple):
    seconds: float
    cpu: float
    """CPU seconds of the process (the machine may be shared: wall time varies more)."""
    rss_mb: float
    indexed: int
    removed: int


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def child_open(path: Path, profile: Path | None = None) -> Step:
    """``loopintel.open(path)`` in a fresh process: the time of the call, and peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(profile or "")],
        cwd=path,  # not the current directory: PYTHONPATH says which loopintel runs
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"open({path}) failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Step(out["seconds"], out["cpu"], out["rss_mb"], out["indexed"], out["removed"])


def cli_index(path: Path) -> Step:
    """``loopintel index PATH -q`` as a whole process (start-up and imports included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "loopintel", "index", str(path), "--json"],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        raise RuntimeError(f"loopintel index {path} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return Step(seconds, cpu, 0.0, out["commits_indexed"], out["commits_removed"])


def branch(repo: pygit2.Repository) -> pygit2.Reference:
    """The reference HEAD points at (moved by the steps, then restored)."""
    return repo.references[repo.references["HEAD"].target]


def probe_commit(repo: pygit2.Repository, parent: pygit2.Commit, n: int) -> pygit2.Oid:
    """A commit on ``parent`` appending a function to one Python file of its tree."""
    path = _python_file(parent.tree)
    blob = repo[parent.tree[path].id]
    data = blob.data + PROBE.format(n=n).encode()
    tree = _replace(repo, parent.tree, path.split("/"), repo.create_blob(data))
    signature = pygit2.Signature("Bench Mark", "bench@example.invalid", 1893456000 + n, 0)
    return repo.create_commit(None, signature, signature, f"bench probe {n}", tree, [parent.id])


def _python_file(tree: pygit2.Tree) -> str:
    """A mid-sized Python file of the tree, chosen the same way every run."""
    found: list[tuple[int, str]] = []
    stack: list[tuple[str, pygit2.Tree]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for entry in node:
            if isinstance(entry, pygit2.Tree):
                stack.append((f"{prefix}{entry.name}/", entry))
            elif (entry.name or "").endswith(
                ".py"
            ) and entry.filemode == pygit2.enums.FileMode.BLOB:
                found.append((entry.size, f"{prefix}{entry.name}"))
    found.sort()
    return found[len(found) * 3 // 4][1]


def _replace(
    repo: pygit2.Repository, tree: pygit2.Tree, parts: list[str], blob: pygit2.Oid
) -> pygit2.Oid:
    builder = repo.TreeBuilder(tree)
    if len(parts) == 1:
        builder.insert(parts[0], blob, pygit2.enums.FileMode.BLOB)
    else:
        sub = repo[tree[parts[0]].id]
        builder.insert(parts[0], _replace(repo, sub, parts[1:], blob), pygit2.enums.FileMode.TREE)
    return builder.write()


def recent_merge(repo: pygit2.Repository, head: pygit2.Commit) -> tuple[pygit2.Commit, int]:
    """The merge of the first-parent chain whose pull request is closest to six commits.

    Returns the merge and how many commits moving from its first parent to it adds.
    """
    best: tuple[int, int, pygit2.Commit, int] | None = None
    commit = head
    for distance in range(400):
        if len(commit.parent_ids) == 2:
            walker = repo.walk(commit.parent_ids[1], pygit2.enums.SortMode.NONE)
            walker.hide(commit.parent_ids[0])
            adds = sum(1 for _ in walker) + 1
            key = (abs(adds - TARGET_MERGE), distance)
            if best is None or key < best[:2]:
                best = (*key, commit, adds)
            if adds == TARGET_MERGE:
                break
        if not commit.parent_ids:
            break
        commit = commit.parents[0]
    if best is None:
        raise RuntimeError("no merge on the first-parent chain")
    return best[2], best[3]


def median(steps: list[Step]) -> Step:
    return Step(
        statistics.median(s.seconds for s in steps),
        statistics.median(s.cpu for s in steps),
        max(s.rss_mb for s in steps),
        steps[0].indexed,
        steps[0].removed,
    )


def measure(name: str, path: Path, runs: int, profile: Path | None) -> dict[str, Any]:
    """Every step on one repository; the branch is restored at the end, whatever happens."""
    repo = pygit2.Repository(str(path))
    ref = branch(repo)
    original = ref.target
    head = repo[original]
    assert isinstance(head, pygit2.Commit)
    out: dict[str, Any] = {"path": str(path), "commits": sum(1 for _ in repo.walk(original))}

    def prof(step: str) -> Path | None:
        return None if profile is None else profile / f"{name}-{step}.prof"

    try:
        setup = child_open(path)
        say(f"{name}: up to date ({setup.indexed} indexed, {setup.removed} dropped first)")
        out["noop_open"] = median([child_open(path) for _ in range(runs)])
        out["noop_cli"] = median([cli_index(path) for _ in range(runs)])
        if profile is not None:
            child_open(path, prof("noop"))
        commit_steps, drop_steps = [], []
        for n in range(runs):
            ref.set_target(probe_commit(repo, head, n))
            commit_steps.append(child_open(path, prof("commit") if n == 0 else None))
            ref.set_target(original)
            drop_steps.append(child_open(path, prof("drop") if n == 0 else None))
        out["commit"] = median(commit_steps)
        out["drop"] = median(drop_steps)
        merge, adds = recent_merge(repo, head)
        out["merge_adds"] = adds
        out["merge_sha"] = str(merge.id)
        merge_steps = []
        for n in range(runs):
            ref.set_target(merge.parent_ids[0])
            child_open(path)
            ref.set_target(merge.id)
            merge_steps.append(child_open(path, prof("merge") if n == 0 else None))
        out["merge"] = median(merge_steps)
    finally:
        ref.set_target(original)
        child_open(path)
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    lines = [
        "| step | "
        + " | ".join(f"{n} ({results[n]['commits']:,} commits)" for n in names)
        + (f" | {names[-1]}/{names[0]} |" if len(names) > 1 else " |"),
        "|---|" + "---:|" * (len(names) + (1 if len(names) > 1 else 0)),
    ]
    labels = {
        "noop_open": "no-op `open()`",
        "noop_cli": "no-op `loopintel index` (whole process)",
        "commit": "one new commit",
        "drop": "that commit dropped (rewrite)",
        "merge": "merge of a pull request",
    }
    for key, label in labels.items():
        cells = []
        for n in names:
            step: Step = results[n][key]
            memory = f", {step.rss_mb:.0f} MB" if step.rss_mb else ""
            extra = f" ({results[n]['merge_adds']} commits)" if key == "merge" else ""
            cells.append(f"{step.seconds:.2f} s ({step.cpu:.2f} s CPU){memory}{extra}")
        row = f"| {label} | " + " | ".join(cells)
        if len(names) > 1:
            first, last = results[names[0]][key], results[names[-1]][key]
            row += f" | {last.seconds / first.seconds:.1f}x ({last.cpu / first.cpu:.1f}x CPU)"
        lines.append(row + " |")
    return "\n".join(lines)


def top_calls(profile: Path, count: int = 14) -> None:
    for file in sorted(profile.glob("*.prof")):
        print(f"\n== {file.name}")
        stats = pstats.Stats(str(file))
        stats.sort_stats("cumulative").print_stats(count)


SECTION = "## Big histories: open and update"
TARGETS = {"noop_open": "< 0.3 s", "commit": "< 0.5 s", "merge": "< 1 s"}
LABELS = {
    "noop_open": "no-op `open()`",
    "noop_cli": "no-op `loopintel index` (whole process)",
    "commit": "one new commit",
    "drop": "that commit dropped again (rewrite)",
    "merge": "merge of a pull request",
}


def loaded(path: Path) -> dict[str, dict[str, Any]]:
    """Results saved by ``--save``, with their steps as :class:`Step` values."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: {k: Step(*v) if k in LABELS else v for k, v in result.items()}
        for name, result in raw.items()
    }


def section(
    results: dict[str, dict[str, Any]], before: dict[str, dict[str, Any]] | None, command: str
) -> str:
    """The Markdown section of docs/benchmarks.md: before and after, ratios big/small."""
    names = list(results)
    small, big = names[0], names[-1]
    runs = [("before", before), ("after", results)] if before else [("", results)]
    head = ["step"]
    for name in names:
        head += [f"{name} {label}".strip() for label, _ in runs]
    head += [f"{big}/{small} {label}".strip() for label, _ in runs]
    head.append(f"target ({big})")
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 2) + "---|"]
    for key, label in LABELS.items():
        cells = [label]
        for name in names:
            for _, data in runs:
                assert data is not None
                step: Step = data[name][key]
                cells.append(f"{step.seconds:.2f} s ({step.cpu:.2f})")
        for _, data in runs:
            assert data is not None
            one, other = data[small][key], data[big][key]
            cells.append(f"{other.seconds / one.seconds:.1f}x ({other.cpu / one.cpu:.1f}x)")
        cells.append(TARGETS.get(key, ""))
        lines.append("| " + " | ".join(cells) + " |")
    memory = ["peak RSS of the merge step"]
    for name in names:
        for _, data in runs:
            assert data is not None
            memory.append(f"{data[name]['merge'].rss_mb:.0f} MB")
    lines.append("| " + " | ".join(memory + [""] * (len(head) - len(memory))) + " |")
    commits = ", ".join(f"{n} {results[n]['commits']:,} commits" for n in names)
    merges = ", ".join(
        f"{n} `{results[n]['merge_sha'][:12]}` ({results[n]['merge_adds']} commits)" for n in names
    )
    return "\n".join(
        [
            SECTION,
            "",
            "Written by `benchmarks/bench_open.py`. What a user waits for when the index is",
            "already there, on a big history beside a small one",
            f"({commits}). Each cell is the median wall time of fresh processes",
            "(`open()` timed inside the process; the CLI as a whole process, start-up and",
            "imports included), CPU seconds in parentheses: on a shared machine the CPU",
            "time is the steadier figure. Steps: nothing new; one new commit editing one",
            "Python file; that commit dropped again (the branch moved back: a rewrite);",
            f"the merge of a pull request, from its first parent ({merges}).",
            "",
            "```",
            command,
            "```",
            "",
            *lines,
            "",
            "*before*: loopintel before updates were found from the refs (results kept in",
            "`benchmarks/data/bench_open_before.json`). It walked the whole history on every",
            "open, and worked out the lineage state a merged branch starts from by replaying",
            "the history from its first commit. Now the index records the head it is",
            "complete for: a no-op reads a few rows, an update walks from the ref down to",
            "that head, and parents' states come from the stored head's, with only the",
            "files the new commits read replayed from the commits that changed them. What",
            "still grows is the head, not the history: a new commit reads the stored head's",
            "state (one row per function at the head) and updates the head's tables where",
            "they changed.",
            "",
        ]
    )


def write_section(text: str, out: Path) -> None:
    """Put ``text`` in place of the section it heads in ``out`` (or at its end)."""
    page = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    start = page.find(SECTION)
    if start < 0:
        page = page.rstrip("\n") + "\n\n" + text
    else:
        end = page.find("\n## ", start + len(SECTION))
        page = page[:start] + text + (page[end + 1 :] if end >= 0 else "")
    out.write_text(page, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="*", help="name=path of each repository, small first")
    parser.add_argument("--runs", type=int, default=3, help="runs of each step (median)")
    parser.add_argument("--profile", type=Path, help="write cProfile files to this folder")
    parser.add_argument("--save", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--before", type=Path, help="results saved from a baseline, to compare")
    parser.add_argument(
        "--saved", type=Path, help="measure nothing: report the results saved in this file"
    )
    parser.add_argument(
        "--write", action="store_true", help=f"write the section {SECTION!r} of docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = loaded(args.saved) if args.saved else {}
    for item in args.repos:
        name, _, path = item.partition("=")
        results[name] = measure(name, Path(path), args.runs, args.profile)
        say(f"{name}: {json.dumps(results[name], default=str)}")
    print(table(results))
    if args.save is not None:
        args.save.write_text(json.dumps(results, default=list), encoding="utf-8")
    if args.write:
        repos = " ".join(args.repos) or " ".join(f"{n}={r['path']}" for n, r in results.items())
        before = f" --before {args.before}" if args.before else ""
        command = f"python benchmarks/bench_open.py {repos} --runs {args.runs}{before} --write"
        before = loaded(args.before) if args.before is not None else None
        text = section(results, before, command)
        write_section(text, Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
        print(text)
    if args.profile is not None:
        top_calls(args.profile)
    return 0


if __name__ == "__main__":
    os.environ.pop("LOOPINTEL_INDEX", None)
    sys.exit(main())
