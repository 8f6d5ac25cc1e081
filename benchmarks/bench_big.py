r"""A big history, measured as issue 12 states its targets, beside git and PyDriller.

Run on a bare clone of a big repository (sympy: ``git clone --bare`` of github:sympy/sympy;
62,658 commits when the issue measured it). Each figure is a fresh Python process
(``bench_index.measure``: wall time, peak RSS of the largest process and the sum over the
process tree, polled from ``/proc``), with its CPU seconds (the children's rusage). In
the order of the issue's table:

1. full index from scratch, against ``git log --numstat`` over the same history (the
   ratio is per commit: both walk every commit);
2. the second half against the first (CPU): a fresh index of the ancestors of the
   commit at the middle of ``git rev-list --topo-order --reverse HEAD``, against the whole;
3. a no-op open of the up-to-date index, one new commit, a merged pull request of about
   six commits (``bench_open.measure``: median of ``--runs`` processes);
4. the first ``--slice`` commits: loopintel's full index against PyDriller's
   ``changed_methods`` of every modified ``.py`` file (a clone whose HEAD is the slice's
   last commit), and through a Dask ``LocalCluster`` of two workers (checked to give the
   same index);
5. ``who .`` and ``truck_factor(".")``, cold and warm (``bench_who.measure``).

Absent repository: skipped with the reason, exit 0. It only reports; nothing asserts a
time. The full run of sympy takes more than an hour on two cores; ``--skip`` leaves parts
out, ``--json`` keeps the figures and ``--from-json`` writes the section again from them.

    python benchmarks/bench_big.py --repo sympy.git --json benchmarks/data/big-sympy.json \
        --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_index  # the benchmarks' own measuring of processes
import bench_open
import bench_who

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("full", "half", "open", "slice", "dask", "who")
SECTION = "## A big history beside git and PyDriller"
MB = 1024 * 1024

INDEX = "import loopintel; loopintel.open({path!r}, index_path={index!r}{ref})"
DASK = """
import json, loopintel
from distributed import Client, LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
with cluster, Client(cluster) as client:
    repo = loopintel.open({path!r}, index_path={index!r}, executor=client.get_executor())
    print(json.dumps([repo.commit_count(), sum(1 for _ in repo.changes())]))
"""
COUNT = """
import json, loopintel
repo = loopintel.open({path!r}, index_path={index!r}, update=False)
print(json.dumps([repo.commit_count(), sum(1 for _ in repo.changes())]))
"""


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(code: str, env: dict[str, str], label: str) -> dict[str, Any]:
    """One fresh process: wall and CPU seconds, peaks of the largest process and the tree."""
    before = cpu_of_children()
    run = bench_index.measure(code, env, label)
    return {
        "seconds": run.seconds,
        "cpu": cpu_of_children() - before,
        "largest_mb": None if run.single_peak is None else run.single_peak / MB,
        "tree_mb": None if run.tree_peak is None else run.tree_peak / MB,
        "stdout": run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "",
    }


def git_seconds(git_dir: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def rev_list(git_dir: Path, *args: str) -> list[str]:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-list", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


def slice_clone(git_dir: Path, sha: str, work: Path) -> Path:
    """A bare clone (hard links) whose HEAD is ``sha``: the history up to it."""
    clone = work / f"slice-{sha[:10]}.git"
    if not clone.exists():
        subprocess.run(["git", "clone", "--quiet", "--bare", str(git_dir), str(clone)], check=True)
        branch = subprocess.run(
            ["git", "--git-dir", str(clone), "symbolic-ref", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        subprocess.run(["git", "--git-dir", str(clone), "update-ref", branch, sha], check=True)
    return clone


def run(args: argparse.Namespace) -> dict[str, Any]:
    # The children run in the repositories (whose index folder is named loopintel):
    # the path says which loopintel runs, this tree's.
    os.environ["PYTHONPATH"] = str(ROOT)
    git_dir = args.repo.resolve()
    env = bench_index.child_env(Path(tempfile.mkdtemp(prefix="bench-big-home-")))
    work = Path(tempfile.mkdtemp(prefix="bench-big-"))
    order = rev_list(git_dir, "--topo-order", "--reverse", "HEAD")
    result: dict[str, Any] = {
        "name": args.name or git_dir.name.removesuffix(".git"),
        "commits": len(order),
        "merges": len(rev_list(git_dir, "--merges", "HEAD")),
        "head": order[-1],
    }
    skip = set(args.skip)
    index = work / "full.sqlite3"
    if "full" not in skip:
        bench_index.say(f"full index of {len(order)} commits")
        result["full"] = timed(
            INDEX.format(path=str(git_dir), index=str(index), ref=""), env, "full"
        )
        result["full"]["changes"] = json.loads(
            timed(COUNT.format(path=str(git_dir), index=str(index)), env, "count")["stdout"]
        )[1]
        result["git_log_numstat"] = git_seconds(git_dir, "log", "--numstat", "HEAD")
    if "half" not in skip:
        middle = order[len(order) // 2]
        half = work / "half.sqlite3"
        bench_index.say("first half")
        result["half"] = timed(
            INDEX.format(path=str(git_dir), index=str(half), ref=f", ref={middle!r}"),
            env,
            "half",
        )
        result["half"]["commits"] = len(rev_list(git_dir, middle))
    if "open" not in skip:
        # bench_open works on the repository's own index: give it a copy of the clone.
        copy = work / "open.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(git_dir), str(copy)], check=True)
        if index.exists():
            shutil.copyfile(index, bench_open_index(copy))
        bench_index.say("open, one commit, a merged pull request")
        measured = bench_open.measure(result["name"], copy, args.runs, None)
        result["open"] = {
            key: value._asdict() if hasattr(value, "_asdict") else value
            for key, value in measured.items()
        }
    if "slice" not in skip or "dask" not in skip:
        sha = order[min(args.slice, len(order)) - 1]
        clone = slice_clone(git_dir, sha, work)
        result["slice"] = {"commits": len(rev_list(clone, "HEAD")), "sha": sha}
        sliced = work / "slice.sqlite3"
        if "slice" not in skip:
            bench_index.say(f"first {args.slice} commits: loopintel, PyDriller")
            result["slice"]["loopintel"] = timed(
                INDEX.format(path=str(clone), index=str(sliced), ref=""), env, "slice"
            )
            result["slice"]["pydriller"] = timed(
                bench_index.PYDRILLER_WALK.format(path=str(clone)), env, "pydriller"
            )
        if "dask" not in skip:
            bench_index.say(f"first {args.slice} commits on a Dask LocalCluster")
            cluster = work / "slice-dask.sqlite3"
            done = timed(DASK.format(path=str(clone), index=str(cluster)), env, "dask")
            result["slice"]["dask"] = done
            if sliced.exists():
                local = json.loads(
                    timed(COUNT.format(path=str(clone), index=str(sliced)), env, "count")["stdout"]
                )
                done["same_as_local"] = json.loads(done["stdout"]) == local
    if "who" not in skip and index.exists():
        who_git = work / "who.git"
        if not who_git.exists():
            subprocess.run(
                ["git", "clone", "--quiet", "--bare", str(git_dir), str(who_git)], check=True
            )
            shutil.copyfile(index, bench_open_index(who_git))
        bench_index.say("who . and truck_factor('.')")
        # As after a user's first query: the expertise weights learned and kept (the
        # measures below open the index read-only); learning them is timed apart.
        learn = bench_who.learning(str(who_git), "directory", args.runs, work)
        bench_who.prepare(str(who_git), ".")
        result["who"] = {
            call: dict(
                zip(
                    ("cold", "warm"),
                    bench_who.measure(ROOT, str(who_git), call, ".", args.runs),
                    strict=True,
                )
            )
            for call in ("experts", "truck_factor")
        }
        result["who"]["process"] = bench_who.who_process(ROOT, str(who_git), args.runs)
        result["who"]["learning"] = learn
    shutil.rmtree(work, ignore_errors=True)
    return result


def bench_open_index(git_dir: Path) -> Path:
    """Where ``loopintel.open(git_dir)`` keeps its index (the default location), made."""
    from loopintel.store import default_index_path  # noqa: PLC0415

    path = default_index_path(str(git_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _minutes(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def table(r: dict[str, Any]) -> list[str]:
    """The issue's table for this history: measure, figure, target."""
    rows = ["| measure | " + r["name"] + " | target |", "|---|---:|---|"]
    full = r.get("full")
    if full:
        per_commit = full["seconds"] / r["git_log_numstat"]
        rows.append(
            f"| full index | {_minutes(full['seconds'])} ({full['cpu']:.0f} s CPU); "
            f"`git log --numstat` {r['git_log_numstat']:.1f} s: {per_commit:.0f}x | "
            "within 2x of `git log --numstat` per commit |"
        )
        rows.append(
            f"| peak memory, largest process / whole tree | {full['largest_mb']:.0f} MB / "
            f"{full['tree_mb']:.0f} MB | < 400 MB / < 1 GB |"
        )
    half = r.get("half")
    if full and half:
        first = half["cpu"]
        second = full["cpu"] - first
        rows.append(
            f"| cost of the second half vs the first (CPU) | {second / first:.2f}x "
            f"({half['commits']:,} commits in the first) | about 1x: linear in commits |"
        )
    opened = r.get("open")
    if opened:
        for label, key, target in (
            ("no-op open of an up-to-date index", "noop_open", "< 0.3 s"),
            ("one new commit", "commit", "< 0.5 s"),
            (
                f"HEAD~1 -> HEAD adding a merged pull request ({opened.get('merge_adds')} commits)",
                "merge",
                "< 1 s",
            ),
        ):
            step = opened.get(key)
            if step:
                rows.append(
                    f"| {label} | {_s(step['seconds'])} ({step['rss_mb']:.0f} MB) | {target} |"
                )
    sliced = r.get("slice") or {}
    if "loopintel" in sliced and "pydriller" in sliced:
        ours, theirs = sliced["loopintel"]["seconds"], sliced["pydriller"]["seconds"]
        rows.append(
            f"| first {sliced['commits']:,} commits vs PyDriller `changed_methods` | "
            f"{ours:.1f} s vs {theirs:.1f} s = {theirs / ours:.1f}x | >= 20x |"
        )
    if "dask" in sliced:
        same = sliced["dask"].get("same_as_local")
        rows.append(
            f"| the same commits through a Dask `LocalCluster` (2 workers) | "
            f"{sliced['dask']['seconds']:.1f} s"
            + (
                ""
                if "loopintel" not in sliced
                else f" (default pool {sliced['loopintel']['seconds']:.1f} s)"
            )
            + ("" if same is None else (", same index" if same else ", a DIFFERENT index"))
            + " | works, not slower than the pool on a cluster |"
        )
    who = r.get("who")
    if who:
        rows.append(
            f'| `who .` / `truck_factor(".")`, cold (warm) | '
            f"{who['experts']['cold']:.2f} s ({who['experts']['warm']:.3f}) / "
            f"{who['truck_factor']['cold']:.2f} s ({who['truck_factor']['warm']:.3f}); "
            f"`loopintel who .` process {who['process']:.2f} s | < 0.5 s |"
        )
        if "learning" in who:
            rows.append(
                "| learning the directory level's expertise weights (the first `who DIR` "
                f"after every 100 new function changes) | {_s(who['learning'])} | - |"
            )
    return rows


def section(r: dict[str, Any], meta: dict[str, str]) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            (
                f"Written by `{meta['command']}` ({meta['date']}; {meta['machine']}"
                + (f"; {meta['load']}" if meta.get("load") else "")
                + "). "
                f"{r['name']}: {r['commits']:,} commits ({r['merges']:,} merges), head "
                f"`{r['head'][:10]}`; the targets are issue 12's."
            ),
            "",
            *table(r),
            "",
        ]
    )


def write(out: Path, text: str) -> None:
    page = out.read_text() if out.exists() else ""
    before, _, rest = page.partition(f"\n{SECTION}\n")
    after = ""
    if rest:
        following = rest.find("\n## ")
        after = rest[following:] if following >= 0 else ""
    out.write_text(before.rstrip("\n") + "\n\n" + text + after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repo", type=Path, help="bare clone of the big repository")
    parser.add_argument("--name", help="its name in the table (default: from the path)")
    parser.add_argument("--slice", type=int, default=2000, help="commits of the PyDriller run")
    parser.add_argument("--runs", type=int, default=3, help="processes per small measure")
    parser.add_argument("--skip", nargs="*", default=[], choices=PARTS, help="parts to leave out")
    parser.add_argument("--json", type=Path, help="keep the figures here")
    parser.add_argument("--from-json", type=Path, help="write the section from kept figures")
    parser.add_argument("--out", type=Path, help="write the section into this page")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        result, meta = saved["result"], saved["meta"]
    else:
        if args.repo is None or not args.repo.exists():
            print(f"no repository at {args.repo}: the big-history benchmark is skipped")
            return 0
        cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout
        meta = {
            "command": "python benchmarks/bench_big.py " + " ".join(argv or sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{cores.strip()} cores, Python {sys.version.split()[0]}",
        }
        load = os.getloadavg()[0]
        result = run(args)
        meta["load"] = (
            f"1-minute load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
        )
        if args.json:
            args.json.write_text(json.dumps({"meta": meta, "result": result}, indent=1))
    text = section(result, meta)
    print(text)
    if args.out:
        write(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
