"""Index the corpus repositories with loopintel and, side by side, with its peers.

Every figure is the whole wall time of a fresh Python process (start-up and imports
included), so the numbers compare what a user waits for. Measured per repository:

1. loopintel, full index from scratch (index file removed before each run);
2. PyDriller 2.x, ``changed_methods`` of every modified ``.py`` file (what users do today);
3. the floor: raw pygit2 diffing every non-merge commit against its parent;
4. loopintel, incremental: one new commit on top of an up-to-date index;
5. loopintel, linearity: the first half of the history against the whole.

Peak memory is the peak of the summed RSS of the child and all its descendants (the
indexer forks workers), polled from ``/proc``, plus the peak of any single process.

It only reports; nothing here asserts a time. Usage, from the repository root::

    python benchmarks/bench_index.py              # flask and requests, writes docs/benchmarks.md
    python benchmarks/bench_index.py --repos flask --runs 1 --skip-pydriller --no-write

The corpus bundles are looked up in ``<repo>/../shared/corpus`` (``--corpus``); when
absent the benchmark says so and exits cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_OUT = "docs/benchmarks.md"
POLL_SECONDS = 0.02
INCREMENTAL_RUNS = 3
MB = 1024 * 1024
GNU_TIME = Path("/usr/bin/time")
T = TypeVar("T")
IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench Mark",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2030-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "Bench Mark",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_DATE": "2030-01-01T00:00:00+00:00",
}

# The timed children. Each is run as `python -c CODE`; paths are inlined with repr().
LOOPINTEL_OPEN = "import loopintel; loopintel.open({path!r}, index_path={index!r})"
LOOPINTEL_OPEN_REF = "import loopintel; loopintel.open({path!r}, index_path={index!r}, ref={ref!r})"

PYDRILLER_WALK = """
import json
from pydriller import Repository
commits = files = methods = 0
for commit in Repository({path!r}).traverse_commits():
    commits += 1
    for modified in commit.modified_files:
        if (modified.new_path or modified.old_path or "").endswith(".py"):
            files += 1
            methods += len(modified.changed_methods)
print(json.dumps({{"commits": commits, "py_files": files, "changed_methods": methods}}))
"""

RAW_WALK = """
import json
import pygit2
from pygit2.enums import SortMode
repo = pygit2.Repository({path!r})
commits = diffs = patches = hunks = 0
for commit in repo.walk(repo.head.target, SortMode.TOPOLOGICAL | SortMode.REVERSE):
    commits += 1
    parents = commit.parents
    if len(parents) > 1:
        continue
    if parents:
        diff = repo.diff(parents[0].tree, commit.tree, context_lines=0)
        diff.find_similar()
    else:
        diff = commit.tree.diff_to_tree(swap=True, context_lines=0)
    diffs += 1
    for i, delta in enumerate(diff.deltas):
        if delta.old_file.path.endswith(".py") or delta.new_file.path.endswith(".py"):
            patch = diff[i]
            if patch is not None:
                patches += 1
                hunks += len(patch.hunks)
print(json.dumps({{"commits": commits, "diffs": diffs, "py_patches": patches, "hunks": hunks}}))
"""

# Not timed: reads what an index holds, to report whether indexing was complete.
LOOPINTEL_CHECK = """
import json
import loopintel
repo = loopintel.open({path!r}, index_path={index!r}, update=False)
probe = {probe!r}
print(json.dumps({{
    "head": repo.head,
    "commits": repo.commit_count(),
    "changes": sum(1 for _ in repo.changes()),
    "functions": len(repo.functions()),
    "skipped": len(repo.skipped()),
    "probe": None if probe is None else [
        [change.commit, change.kind.value] for change in repo.changes(function=probe)
    ],
}}))
repo.close()
"""


class ChildFailed(Exception):
    """A measured child process exited with an error."""


class Run(NamedTuple):
    """One measured child process."""

    seconds: float
    tree_peak: int | None
    """Peak of the summed RSS of the process tree, bytes (``None``: not measurable)."""
    single_peak: int | None
    """Peak RSS of any single process of the tree, bytes."""
    stdout: str


class Measured(NamedTuple):
    """Several runs of one piece of work."""

    runs: tuple[Run, ...]

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def tree_peak(self) -> int | None:
        peaks = [r.tree_peak for r in self.runs if r.tree_peak is not None]
        return max(peaks) if peaks else None

    @property
    def single_peak(self) -> int | None:
        peaks = [r.single_peak for r in self.runs if r.single_peak is not None]
        return max(peaks) if peaks else None

    @property
    def last_output(self) -> dict[str, object]:
        text = self.runs[-1].stdout.strip().splitlines()
        return json.loads(text[-1]) if text else {}

    def describe(self) -> str:
        each = ", ".join(f"{r.seconds:.2f}" for r in self.runs)
        return f"{self.median:.2f} s (runs: {each})"


# -- measuring a process tree ------------------------------------------------------------


def _has_children_files() -> bool:
    pid = os.getpid()
    return Path(f"/proc/{pid}/task/{pid}/children").exists()


class TreeSampler(threading.Thread):
    """Polls the RSS of a process and all its descendants until stopped."""

    def __init__(self, root: int, *, include_root: bool) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.include_root = include_root
        self.tree_peak = 0
        self.single_peak = 0
        self.samples = 0
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._children_files = _has_children_files()

    def _children(self, pid: int) -> list[int]:
        out: list[int] = []
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                with (task / "children").open() as fh:
                    out.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
        return out

    def _parents_by_scan(self) -> dict[int, list[int]]:
        """Child lists of every process (for kernels without the ``children`` file)."""
        tree: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            name = entry.name
            if not name.isdigit():
                continue
            try:
                with (entry / "stat").open() as fh:
                    stat = fh.read()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: split after the last ')'.
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(name))
        return tree

    def _tree(self) -> list[int]:
        scanned = None if self._children_files else self._parents_by_scan()
        found: list[int] = []
        stack = [self.root]
        while stack:
            pid = stack.pop()
            found.append(pid)
            stack.extend(self._children(pid) if scanned is None else scanned.get(pid, []))
        return found if self.include_root else found[1:]

    def _rss(self, pid: int) -> int | None:
        try:
            with Path(f"/proc/{pid}/statm").open() as fh:
                return int(fh.read().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return None

    def sample(self) -> None:
        sizes = [s for s in map(self._rss, self._tree()) if s is not None]
        if sizes:
            self.samples += 1
            self.tree_peak = max(self.tree_peak, sum(sizes))
            self.single_peak = max(self.single_peak, *sizes)

    def run(self) -> None:
        self.sample()
        while not self._stop_event.wait(POLL_SECONDS):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _children_maxrss() -> int:
    """``ru_maxrss`` of waited-for descendants, in bytes."""
    value = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return value if sys.platform == "darwin" else value * 1024


def _gnu_time_maxrss(report: Path) -> int | None:
    with contextlib.suppress(OSError):
        for line in report.read_text().splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1]) * 1024
    return None


def measure(code: str, env: dict[str, str], label: str) -> Run:
    """Run ``python -c code`` in a fresh process and measure its wall time and memory."""
    use_proc = Path("/proc/self/statm").exists()
    use_time = sys.platform.startswith("linux") and GNU_TIME.exists()
    with tempfile.TemporaryDirectory(prefix="bench-time-") as scratch:
        report = Path(scratch) / "time.txt"
        argv = [sys.executable, "-c", code]
        if use_time:
            argv = [str(GNU_TIME), "-v", "-o", str(report), *argv]
        before = _children_maxrss()
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        sampler = TreeSampler(proc.pid, include_root=not use_time) if use_proc else None
        if sampler is not None:
            sampler.start()
        stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - started
        if sampler is not None:
            sampler.stop()
        time_peak = _gnu_time_maxrss(report) if use_time else None
    if proc.returncode != 0:
        raise ChildFailed(f"{label}: exit status {proc.returncode}\n{stderr.strip()[-3000:]}")
    after = _children_maxrss()
    # ru_maxrss is a running maximum over all children: it only tells this child's peak
    # when this child set a new maximum.
    rusage_peak = after if after > before else None
    tree_peak = sampler.tree_peak if sampler is not None and sampler.samples else None
    singles = [
        p
        for p in (sampler.single_peak if sampler is not None else None, time_peak, rusage_peak)
        if p
    ]
    single_peak = max(singles) if singles else None
    if tree_peak is None:
        tree_peak = single_peak
    return Run(seconds, tree_peak, single_peak, stdout)


# -- git ----------------------------------------------------------------------------------


def git(*args: str, cwd: Path | None = None, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ChildFailed(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def remove_index(index: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)


def largest_python_file(clone: Path, env: dict[str, str]) -> str:
    """The largest tracked ``.py`` file outside tests and docs (a conservative target)."""
    paths = git("ls-files", "*.py", cwd=clone, env=env).splitlines()
    sources = [p for p in paths if not p.startswith(("tests/", "test/", "docs/", "examples/"))]
    return max(sources or paths, key=lambda p: ((clone / p).stat().st_size, p))


# -- one repository -----------------------------------------------------------------------


class RepoResult(NamedTuple):
    """Everything measured on one repository."""

    name: str
    commits: int
    head: str
    full: Measured | None
    raw: Measured | None
    pydriller: Measured | None
    half: Measured | None
    half_commits: int
    noop: Measured | None
    incremental: Measured | None
    incremental_file: str
    check: dict[str, Any] | None
    problems: tuple[str, ...]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class RepoBench:
    """The measurements of one corpus repository, in a work-tree clone of its bundle."""

    def __init__(self, name: str, bundle: Path, work: Path, env: dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.clone = work / name
        self.index = work / f"{name}.sqlite3"
        self.half_index = work / f"{name}-half.sqlite3"
        git("clone", "--quiet", str(bundle), str(self.clone), env=env)
        self.head = git("rev-parse", "HEAD", cwd=self.clone, env=env)
        order = git("rev-list", "--topo-order", "--reverse", "HEAD", cwd=self.clone, env=env)
        self.commits = len(order.split())
        self.mid = order.split()[self.commits // 2]
        self.half_commits = int(git("rev-list", "--count", self.mid, cwd=self.clone, env=env))
        self.problems: list[str] = []
        self.full: Measured | None = None
        self.raw: Measured | None = None
        self.half: Measured | None = None
        self.pydriller: Measured | None = None
        self.noop: Measured | None = None
        self.incremental: Measured | None = None
        self.incremental_file = ""
        self.check: dict[str, Any] | None = None

    def _open_code(self, index: Path, ref: str | None = None) -> str:
        if ref is None:
            return LOOPINTEL_OPEN.format(path=str(self.clone), index=str(index))
        return LOOPINTEL_OPEN_REF.format(path=str(self.clone), index=str(index), ref=ref)

    def _step(self, what: str, action: Callable[..., T], *args: Any) -> T | None:
        """Run one measurement; a failure is recorded as a problem, not raised."""
        try:
            return action(*args)
        except (ChildFailed, ValueError) as exc:
            self.problems.append(f"{what} failed: {exc}")
            say(f"  !! {what} failed:\n{exc}")
            return None

    def _measure(self, what: str, code: str, into: list[Run]) -> None:
        run = self._step(what, measure, code, self.env, what)
        if run is not None:
            into.append(run)

    def _read(self, index: Path, probe: str | None = None) -> dict[str, Any]:
        code = LOOPINTEL_CHECK.format(path=str(self.clone), index=str(index), probe=probe)
        out = measure(code, self.env, "reading the index").stdout
        return dict(json.loads(out.strip().splitlines()[-1]))

    def scratch(self, runs: int) -> None:
        """Raw walk, full index and half index, interleaved run by run."""
        raw: list[Run] = []
        full: list[Run] = []
        half: list[Run] = []
        for i in range(runs):
            say(f"  run {i + 1}/{runs}: raw pygit2 walk")
            self._measure("raw pygit2 walk", RAW_WALK.format(path=str(self.clone)), raw)
            say(f"  run {i + 1}/{runs}: loopintel full index")
            remove_index(self.index)
            self._measure("loopintel full index", self._open_code(self.index), full)
            say(f"  run {i + 1}/{runs}: loopintel index of the first half")
            remove_index(self.half_index)
            code = self._open_code(self.half_index, self.mid)
            self._measure("loopintel index of the first half", code, half)
        self.raw = Measured(tuple(raw)) if raw else None
        self.full = Measured(tuple(full)) if full else None
        self.half = Measured(tuple(half)) if half else None
        if full:
            self.check = self._step("reading the full index", self._read, self.index)
            check = self.check or {}
            if check.get("head") != self.head:
                self.problems.append(f"index head {check.get('head')} != HEAD {self.head}")
            if check.get("commits") != self.commits:
                self.problems.append(
                    f"index holds {check.get('commits')} commits, history has {self.commits}"
                )
            if check.get("skipped"):
                self.problems.append(f"{check['skipped']} file versions skipped")
        if half:
            check = self._step("reading the half index", self._read, self.half_index) or {}
            if check.get("commits") != self.half_commits:
                self.problems.append(
                    f"half index holds {check.get('commits')} commits, "
                    f"{self.mid[:12]} has {self.half_commits} (with itself and its ancestors)"
                )

    def run_pydriller(self, runs: int) -> None:
        done: list[Run] = []
        for i in range(runs):
            say(f"  run {i + 1}/{runs}: PyDriller changed_methods (slow)")
            self._measure("PyDriller", PYDRILLER_WALK.format(path=str(self.clone)), done)
        self.pydriller = Measured(tuple(done)) if done else None

    def run_incremental(self) -> None:
        """One new commit on top of an up-to-date index, three times (a rewrite each)."""
        if self.full is None:
            self.problems.append("incremental not measured: no full index")
            return
        self.incremental_file = target = largest_python_file(self.clone, self.env)
        code = self._open_code(self.index)
        say("  no-op re-open (index up to date)")
        noop: list[Run] = []
        for _ in range(INCREMENTAL_RUNS):
            self._measure("no-op re-open", code, noop)
        self.noop = Measured(tuple(noop)) if noop else None
        runs: list[Run] = []
        commit_env = {**self.env, **IDENTITY}
        try:
            for i in range(INCREMENTAL_RUNS):
                name = f"loopintel_bench_added_{i}"
                new = self._commit(target, name, i, commit_env)
                say(f"  incremental {i + 1}/{INCREMENTAL_RUNS}: one new commit {new[:12]}")
                before = len(runs)
                self._measure("incremental index", code, runs)
                if len(runs) > before:
                    self._check_incremental(i, new, name)
                git("reset", "--quiet", "--hard", "HEAD~1", cwd=self.clone, env=commit_env)
        finally:
            git("reset", "--quiet", "--hard", self.head, cwd=self.clone, env=commit_env)
        self.incremental = Measured(tuple(runs)) if runs else None

    def _commit(self, target: str, name: str, i: int, env: dict[str, str]) -> str:
        with (self.clone / target).open("a", encoding="utf-8") as fh:
            fh.write(f"\n\ndef {name}(value):\n    return value + {i}\n")
        git("add", target, cwd=self.clone, env=env)
        message = f"bench: add {name} ({i + 1}/{INCREMENTAL_RUNS})"
        args = ("-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", message)
        git(*args, cwd=self.clone, env=env)
        return git("rev-parse", "HEAD", cwd=self.clone, env=env)

    def _check_incremental(self, i: int, new: str, name: str) -> None:
        check = self._step("reading the incremental index", self._read, self.index, name)
        if check is None:
            return
        expected = [[new, "added"]]
        if check.get("head") != new or check.get("probe") != expected:
            self.problems.append(
                f"incremental run {i + 1}: index head {check.get('head')}, "
                f"changes of {name}: {check.get('probe')} (expected {expected})"
            )
        if check.get("commits") != self.commits + 1:
            self.problems.append(
                f"incremental run {i + 1}: index holds {check.get('commits')} commits, "
                f"history has {self.commits + 1}"
            )

    def result(self) -> RepoResult:
        return RepoResult(
            name=self.name,
            commits=self.commits,
            head=self.head,
            full=self.full,
            raw=self.raw,
            pydriller=self.pydriller,
            half=self.half,
            half_commits=self.half_commits,
            noop=self.noop,
            incremental=self.incremental,
            incremental_file=self.incremental_file,
            check=self.check,
            problems=tuple(self.problems),
        )


# -- report -------------------------------------------------------------------------------


def _ratio(top: Measured | None, bottom: Measured | None) -> float | None:
    if top is None or bottom is None or bottom.median <= 0:
        return None
    return top.median / bottom.median


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def _median(measured: Measured | None) -> float | None:
    return None if measured is None else measured.median


def _mb(value: int | None) -> float | None:
    return None if value is None else value / MB


class Row(NamedTuple):
    label: str
    target: str
    cells: tuple[str, ...]


def rows(results: list[RepoResult]) -> list[Row]:
    def row(label: str, target: str, cell: Callable[[RepoResult], str]) -> Row:
        return Row(label, target, tuple(cell(r) for r in results))

    def half_cell(r: RepoResult) -> str:
        ratio = _ratio(r.half, r.full)
        if ratio is None:
            return "n/a"
        return f"{ratio:.2f} ({r.half_commits / r.commits:.2f} of the commits)"

    def memory_cell(r: RepoResult) -> str:
        full = r.full
        if full is None or full.tree_peak is None:
            return "n/a"
        return f"{_mb(full.tree_peak):.0f} (largest process {_mb(full.single_peak):.0f})"

    return [
        row(
            "**PyDriller / loopintel** (speedup)",
            ">= 20x",
            lambda r: _fmt(_ratio(r.pydriller, r.full), "{:.1f}x"),
        ),
        row(
            "**loopintel / raw pygit2 walk**",
            "",
            lambda r: _fmt(_ratio(r.full, r.raw), "{:.1f}x"),
        ),
        row(
            "**incremental: one new commit**, s",
            "< 0.5 s",
            lambda r: _fmt(_median(r.incremental), "{:.2f}"),
        ),
        row("**peak memory**, MB (process tree)", "< 400 MB", memory_cell),
        row("**half / whole history** (time ratio)", "~ 0.5", half_cell),
        row("loopintel full index, s", "", lambda r: _fmt(_median(r.full), "{:.2f}")),
        row(
            "PyDriller changed_methods, s",
            "",
            lambda r: _fmt(_median(r.pydriller), "{:.1f}"),
        ),
        row("raw pygit2 walk, s", "", lambda r: _fmt(_median(r.raw), "{:.2f}")),
        row("loopintel first half, s", "", lambda r: _fmt(_median(r.half), "{:.2f}")),
        row(
            "no-op re-open (up to date), s",
            "",
            lambda r: _fmt(_median(r.noop), "{:.2f}"),
        ),
        row("commits in history", "", lambda r: f"{r.commits:,}"),
        row(
            "function changes indexed",
            "",
            lambda r: f"{r.check['changes']:,}" if r.check else "n/a",
        ),
        row(
            "functions at head / skipped versions",
            "",
            lambda r: f"{r.check['functions']:,} / {r.check['skipped']}" if r.check else "n/a",
        ),
    ]


def text_table(results: list[RepoResult]) -> str:
    table = [("", *[r.name for r in results], "target")]
    table += [(row.label.replace("**", ""), *row.cells, row.target) for row in rows(results)]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in table
    )


def markdown_table(results: list[RepoResult]) -> str:
    head = "| | " + " | ".join(r.name for r in results) + " | target |"
    rule = "|---|" + "---:|" * len(results) + "---|"
    body = [
        f"| {row.label} | " + " | ".join(row.cells) + f" | {row.target} |" for row in rows(results)
    ]
    return "\n".join([head, rule, *body])


def details(r: RepoResult) -> list[str]:
    """Every run of one repository, what the peers saw, and problems (for people)."""
    lines = [f"{r.name} @ {r.head[:12]} ({r.commits:,} commits); seconds of each run:"]
    measured = [
        ("loopintel full index", r.full),
        ("raw pygit2 walk", r.raw),
        ("PyDriller", r.pydriller),
        ("loopintel first half", r.half),
        ("no-op re-open", r.noop),
        ("incremental", r.incremental),
    ]
    lines += [f"- {label}: {m.describe()}" for label, m in measured if m is not None]
    if r.raw is not None:
        lines.append(f"- raw walk saw {json.dumps(r.raw.last_output)}")
    if r.pydriller is not None:
        lines.append(f"- PyDriller saw {json.dumps(r.pydriller.last_output)}")
    if r.incremental_file:
        lines.append(f"- incremental commits appended to `{r.incremental_file}`")
    lines += [f"- PROBLEM: {p.splitlines()[0]}" for p in r.problems]
    return lines


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libgit2 = "?"
    with contextlib.suppress(ImportError):
        import pygit2  # noqa: PLC0415 - only for its version, not in any timed process

        libgit2 = pygit2.LIBGIT2_VERSION
    git_version = subprocess.run(
        ["git", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return [
        f"CPU: {cpu}; nproc {usable} ({os.cpu_count()} online)",
        f"OS: {platform.system()} {platform.release()}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        (
            f"loopintel {_version('loopintel')}, pygit2 {_version('pygit2')} (libgit2 {libgit2}), "
            f"tree-sitter {_version('tree-sitter')}, tree-sitter-python "
            f"{_version('tree-sitter-python')}, radon {_version('radon')}"
        ),
        (
            f"PyDriller {_version('pydriller')} (GitPython {_version('gitpython')}, "
            f"lizard {_version('lizard')}); {git_version}"
        ),
    ]


def markdown(
    results: list[RepoResult],
    *,
    command: str,
    started: dt.datetime,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
    runs: int,
    pydriller_runs: int,
    skip_pydriller: bool,
) -> str:
    pyd = "skipped (`--skip-pydriller`)" if skip_pydriller else f"median of {pydriller_runs}"
    lines = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/bench_index.py`; re-run it rather than editing this page.",
        "Every time is the wall time of a fresh Python process (start-up and imports",
        "included) on a clone of a corpus bundle (`../shared/corpus`), with the peers",
        "measured in the same run. Ratios are the figures to compare; absolute seconds",
        "depend on the machine and on what else it was doing.",
        "",
        "## Machine",
        "",
        *[f"- {line}" for line in machine()],
        f"- Date: {started.strftime('%Y-%m-%d %H:%M %Z')}",
        "- Load average (1, 5, 15 min) at start: "
        + ", ".join(f"{x:.2f}" for x in loads[0])
        + "; at end: "
        + ", ".join(f"{x:.2f}" for x in loads[1]),
        "",
        "## Command",
        "",
        "```",
        command,
        "```",
        "",
        "## Results",
        "",
        markdown_table(results),
        "",
        "## What is measured",
        "",
        (
            f'- **loopintel full index**: `python -c "import loopintel; loopintel.open(PATH, '
            f'index_path=TMPFILE)"`, index file removed before each run; median of {runs}.'
        ),
        (
            f"- **PyDriller**: `Repository(path).traverse_commits()`, reading `changed_methods` of "
            f"every modified file ending in `.py`; {pyd}."
        ),
        (
            "- **raw pygit2 walk** (the floor): every commit in topological order, each non-merge "
            "commit diffed against its parent (`context_lines=0`, `find_similar()`), hunks of "
            f"every `.py` patch iterated; median of {runs}."
        ),
        (
            f"- **incremental**: on a work-tree clone with an up-to-date index, one new commit "
            f"appending a function to the largest source file; the same `loopintel.open` in a "
            f"fresh process; median of {INCREMENTAL_RUNS}. Between runs the commit is reset away "
            "and re-created with another message, so runs 2 and 3 also drop one rewritten commit."
        ),
        (
            "- **no-op re-open**: the same command when the index is already up to date "
            "(process start-up, imports and the history walk)."
        ),
        (
            "- **peak memory**: peak over the full-index runs of the summed RSS of the process "
            f"and all its descendants (worker processes), polled from `/proc` every "
            f"{POLL_SECONDS * 1000:.0f} ms; shared copy-on-write pages of forked workers are "
            "counted once per process, so the sum errs high. In parentheses, the peak RSS of the "
            "largest single process (`/usr/bin/time -v` and polling)."
        ),
        (
            "- **half / whole**: full index of the ancestors of the commit at the midpoint of "
            "`git rev-list --topo-order --reverse HEAD` (`ref=<sha>`, fresh index), median of "
            f"{runs}, against the whole; in parentheses, the share of commits the half holds."
        ),
        "",
        "## Targets",
        "",
        "- at least 20x faster than PyDriller on a full index;",
        "- one new commit indexed in under 0.5 s, process start included;",
        "- peak memory under 400 MB;",
        "- indexing time linear in history: half the history in about half the time.",
        "",
        "These are goals to report against, not assertions: nothing fails on a figure.",
    ]
    lines += ["", "## Individual runs"]
    for r in results:
        lines += ["", *details(r)]
    return "\n".join(lines) + "\n"


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", default="flask,requests", help="comma-separated bundle names")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of bundles")
    parser.add_argument("--runs", type=int, default=2, help="runs of each loopintel/raw measure")
    parser.add_argument("--pydriller-runs", type=int, default=1, help="runs of PyDriller (slow)")
    parser.add_argument("--skip-pydriller", action="store_true", help="do not run PyDriller")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help="Markdown report (relative: to the repository root)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; write no report")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.pydriller_runs < 1:
        parser.error("--runs and --pydriller-runs must be at least 1")
    return args


KEPT_SECTIONS = ("## Big histories: open and update", "## Big histories: memory while indexing")
"""Sections of the page other benchmarks write (``bench_open.py``, ``bench_memory.py``):
carried over."""


def kept_sections(out: Path) -> str:
    """The sections of the current page that other benchmarks wrote, to keep."""
    if not out.exists():
        return ""
    page = out.read_text(encoding="utf-8")
    kept = []
    for heading in KEPT_SECTIONS:
        start = page.find(heading)
        if start >= 0:
            end = page.find("\n## ", start + len(heading))
            kept.append(page[start : end + 1 if end >= 0 else len(page)].rstrip("\n"))
    return "".join(f"\n{text}\n" for text in kept)


def child_env(home: Path) -> dict[str, str]:
    """The environment of every child: no user or system git config, no index override."""
    env = {k: v for k, v in os.environ.items() if k != "LOOPINTEL_INDEX"}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"skipped: no corpus folder at {corpus} (give one with --corpus)")
        return 0
    names = [n.strip() for n in args.repos.split(",") if n.strip()]
    bundles = {n: corpus / f"{n}.bundle" for n in names}
    for name, bundle in list(bundles.items()):
        if not bundle.is_file():
            print(f"skipped {name}: no bundle at {bundle}")
            del bundles[name]
    if not bundles:
        print("skipped: none of the requested bundles is present")
        return 0
    skip_pydriller = args.skip_pydriller
    if not skip_pydriller and importlib.util.find_spec("pydriller") is None:
        print("PyDriller is not installed (pip install -e '.[bench]'); skipping it")
        skip_pydriller = True
    if shutil.which("git") is None:
        print("skipped: the git command is needed to clone the bundles")
        return 0

    command = shlex.join(["python", "benchmarks/bench_index.py", *sys.argv[1:]])
    started = dt.datetime.now(dt.UTC).astimezone()
    load_start = os.getloadavg()
    results: list[RepoResult] = []
    with tempfile.TemporaryDirectory(prefix="loopintel-bench-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        env = child_env(work / "home")
        for name, bundle in bundles.items():
            say(f"{name}: cloning {bundle}")
            bench = RepoBench(name, bundle, work, env)
            bench.scratch(args.runs)
            if not skip_pydriller:
                bench.run_pydriller(args.pydriller_runs)
            bench.run_incremental()
            results.append(bench.result())
            shutil.rmtree(bench.clone, ignore_errors=True)
    load_end = os.getloadavg()

    print()
    print(text_table(results))
    for r in results:
        print()
        print("\n".join(details(r)))
    print(f"\nload average at start {load_start}, at end {load_end}")

    if not args.no_write:
        out = Path(args.out)
        out = out if out.is_absolute() else ROOT / out
        out.parent.mkdir(parents=True, exist_ok=True)
        page = markdown(
            results,
            command=command,
            started=started,
            loads=(load_start, load_end),
            runs=args.runs,
            pydriller_runs=args.pydriller_runs,
            skip_pydriller=skip_pydriller,
        )
        out.write_text(page + kept_sections(out), encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
