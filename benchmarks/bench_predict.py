r"""Does a hotspot score predict? Replay history at cut-offs, score the past, test the future.

At each cut-off date (fixed before anything is scored: every six months from 2021-01-01
to 2025-07-01) the repository is taken as it was: the *cut-off commit* is the last
commit of HEAD's first-parent chain committed before the date, the *past* is that
commit and its ancestors, the *code* is the functions of its tree (library code only:
files under a ``tests``, ``test``, ``docs``, ``examples`` directory, ``test_*.py``,
``*_test.py`` and ``conftest.py`` are left out). Each score is computed from the
changes of past commits only, with the size and the complexity of each function read
from the cut-off tree (never from the head). The *future* is the commits that landed on
HEAD's first-parent chain in the six months after the date (ancestors of the commit at
date + 6 months that are not ancestors of the cut-off commit). A function is *fixed*
when one of those commits is a fix (loopintel's proxy rules, ``repo.find_proxies()``)
that changed it other than cosmetically (followed by lineage through later renames).

Each score ranks the code at the cut-off, highest first, ties in one fixed random order
(the same for every score). Functions are taken in that order while their summed lines
stay within 10% (20%) of all lines of code at the cut-off; *recall at 10% (20%) of
lines* is the share of the fixed functions among them. The same for files (a file's
lines: its outermost functions' spans; a file is fixed when a future fix changes one of
its functions or adds a function to it).

Scores, as ``docs/hotspots.md`` defines them, each over the whole past (no window):
``revisions_x_complexity``, ``fix_score`` (Google's, ``t`` scaled from the index's first
change to the cut-off), ``fixes`` (the plain count: the baseline to beat) and
``relative_churn``. References: ``random`` (mean over 20 seeded orders) and ``lines``
(biggest first). Nothing is tuned: no score has a parameter chosen here.

It also audits ``repo.hotspots(until=cutoff)`` at each cut-off: rows for functions that
did not exist yet, functions of the cut-off missing from it (deleted later), and rows
whose size or complexity is not the cut-off's (it reads them at the head).

    python benchmarks/bench_predict.py [--data /work/data/pred] [--repos flask,requests] \
        [--json-dir benchmarks/data]

Repositories are bare clones ``<data>/<repo>.git``, indexed by ``loopintel.open`` on
first use. It only reports; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    import loopintel

ROOT = Path(__file__).resolve().parent.parent
CUTOFFS = tuple(f"{year}-{month:02d}-01" for year in range(2021, 2026) for month in (1, 7))
HORIZON_MONTHS = 6
FRACTIONS = (0.1, 0.2)
SCORES = ("revisions_x_complexity", "fix_score", "fixes", "relative_churn")
REFERENCES = ("random", "lines")
RANDOM_ORDERS = 20
LEAKY = "hotspots_until:"
SKIP_DIRS = frozenset({"tests", "test", "docs", "examples"})


def in_scope(path: str) -> bool:
    """Library code: no test, documentation or example file."""
    parts = path.split("/")
    name = parts[-1]
    if any(part in SKIP_DIRS for part in parts[:-1]):
        return False
    return not (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")


def fix_weight(t: float) -> float:
    """Google's weight of a fix at ``t`` in ``[0, 1]`` (as in loopintel.analysis.hotspots)."""
    return 1.0 / (1.0 + math.exp(-12.0 * t + 12.0))


@dataclass(frozen=True)
class Row:
    """One function change, the fields the replay needs."""

    commit: str
    lineage: str
    path: str
    added_kind: bool
    cosmetic: bool
    churn: int
    authored: int


@dataclass
class History:
    """A repository's whole indexed history, read once."""

    rows: list[Row]
    fixes: frozenset[str]
    parents: dict[str, tuple[str, ...]]
    authored: dict[str, int]
    first: int


@dataclass
class Code:
    """The functions of the cut-off tree in scope."""

    lineage: list[str]
    path: list[str]
    size: npt.NDArray[np.int64]
    complexity: npt.NDArray[np.int64]
    outermost: npt.NDArray[np.bool_]
    unmatched: int = 0
    """Functions of the tree whose lineage the index's state at the cut-off lacks."""


@dataclass
class Past:
    """Per lineage, what the past says about it."""

    commits: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fix_commits: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    churn: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_before(git_dir: Path, day: str) -> str | None:
    """The last commit of HEAD's first-parent chain committed before ``day`` (UTC)."""
    sha = git(git_dir, "rev-list", "-1", "--first-parent", f"--before={day}T00:00:00Z", "HEAD")
    return sha or None


def ancestors(parents: dict[str, tuple[str, ...]], sha: str) -> set[str]:
    seen: set[str] = set()
    stack = [sha]
    while stack:
        current = stack.pop()
        if current in seen or current not in parents:
            continue
        seen.add(current)
        stack.extend(parents[current])
    return seen


def read_history(repo: loopintel.Repository) -> History:
    import loopintel  # noqa: PLC0415

    rows = [
        Row(
            commit=c.commit,
            lineage=c.lineage,
            path=c.path,
            added_kind=c.kind is loopintel.ChangeKind.ADDED,
            cosmetic=c.is_cosmetic,
            churn=c.lines_added + c.lines_removed,
            authored=int(c.authored_at.timestamp()),
        )
        for c in repo.changes()
    ]
    authored = {row.commit: row.authored for row in rows}
    fixes = frozenset(p.id for p in repo.find_proxies())
    parents = repo._store.parents()  # noqa: SLF001 - the commit graph, as the index has it
    return History(rows, fixes, parents, authored, min(r.authored for r in rows))


def read_code(repo: loopintel.Repository, sha: str) -> Code:
    """The cut-off tree's functions in scope: lineage (the index's state), size, complexity."""
    from loopintel.indexing import state_loader  # noqa: PLC0415
    from loopintel.languages import python  # noqa: PLC0415

    state = state_loader(repo._store)(sha)  # noqa: SLF001 - lineages at a past commit
    lineage: list[str] = []
    paths: list[str] = []
    size: list[int] = []
    complexity: list[int] = []
    outermost: list[bool] = []
    unmatched = 0
    for path in sorted(state):
        if not in_scope(path):
            continue
        blob = repo._git.blob_at(sha, path)  # noqa: SLF001
        if blob is None:
            continue
        data = repo._git.blob(blob)  # noqa: SLF001
        layout = python.parse_layout(data).layout
        if layout is None:
            continue
        lines = python.decode(data)[0].split("\n")
        reach = 0
        for span in python.function_spans(layout):
            known = state[path].get(span.qualname)
            nested = span.start <= reach
            reach = max(reach, span.end)
            if known is None:
                unmatched += 1
                continue
            cc = python.facts(python.segment(lines, span)).complexity
            lineage.append(known)
            paths.append(path)
            size.append(span.end - span.start + 1)
            complexity.append(cc or 0)
            outermost.append(not nested)
    return Code(
        lineage,
        paths,
        np.array(size, dtype=np.int64),
        np.array(complexity, dtype=np.int64),
        np.array(outermost, dtype=bool),
        unmatched,
    )


def read_past(history: History, past: set[str]) -> Past:
    out = Past()
    for row in history.rows:
        if row.commit not in past:
            continue
        out.churn[row.lineage] += row.churn
        if not row.cosmetic:
            out.commits[row.lineage].add(row.commit)
            if row.commit in history.fixes:
                out.fix_commits[row.lineage].add(row.commit)
    return out


def scores(
    groups: list[list[int]], code: Code, past: Past, history: History, end: int
) -> tuple[dict[str, npt.NDArray[np.float64]], npt.NDArray[np.int64]]:
    """Every score of every element (a group of function indexes), and its lines."""
    span = max(end - history.first, 1)
    out: dict[str, list[float]] = {name: [] for name in SCORES}
    sizes = []
    for members in groups:
        commits: set[str] = set()
        fixed: set[str] = set()
        churn = 0
        cc = 0
        lines = 0
        for i in members:
            lin = code.lineage[i]
            commits |= past.commits.get(lin, set())
            fixed |= past.fix_commits.get(lin, set())
            cc += int(code.complexity[i])
            if code.outermost[i] or len(members) == 1:
                churn += past.churn.get(lin, 0)
                lines += int(code.size[i])
        out["revisions_x_complexity"].append(float(len(commits) * cc))
        out["fixes"].append(float(len(fixed)))
        out["fix_score"].append(
            sum(
                fix_weight(min(max((history.authored[c] - history.first) / span, 0.0), 1.0))
                for c in fixed
            )
        )
        out["relative_churn"].append(churn / lines if lines else 0.0)
        sizes.append(lines)
    return {k: np.array(v, dtype=np.float64) for k, v in out.items()}, np.array(sizes, np.int64)


def taken(
    order: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], fraction: float
) -> npt.NDArray[np.bool_]:
    """Which elements an order takes: its prefix whose summed lines stay within the budget."""
    chosen = np.zeros(order.size, dtype=bool)
    chosen[order[np.cumsum(sizes[order]) <= fraction * float(sizes.sum())]] = True
    return chosen


def rank(score: npt.NDArray[np.float64], tie: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Highest score first, ties in the fixed random order ``tie``."""
    return np.lexsort((tie, -score)).astype(np.int64)


def evaluate_level(
    groups: list[list[int]],
    positive: npt.NDArray[np.bool_],
    code: Code,
    past: Past,
    history: History,
    end: int,
    seed: int,
    extra: dict[str, npt.NDArray[np.float64]] | None = None,
) -> dict[str, Any]:
    """Per ranking and budget, the fixed elements it took.

    ``hits``: how many; against ``fixes``, ``only``: those it took and ``fixes`` did not,
    ``only_fixes``: the other way round.
    """
    values, sizes = scores(groups, code, past, history, end)
    values.update(extra or {})
    rng = np.random.default_rng(seed)
    tie = rng.permutation(len(groups)).astype(np.int64)
    result: dict[str, Any] = {
        "elements": len(groups),
        "lines": int(sizes.sum()),
        "fixed": int(positive.sum()),
        "fixed_lines": int(sizes[positive].sum()),
    }
    orders = {name: rank(value, tie) for name, value in values.items()}
    orders["lines"] = rank(sizes.astype(np.float64), tie)
    for fraction in FRACTIONS:
        chosen = {name: taken(order, sizes, fraction) & positive for name, order in orders.items()}
        base = chosen["fixes"]
        cell: dict[str, dict[str, float]] = {
            name: {
                "hits": int(hit.sum()),
                "only": int((hit & ~base).sum()),
                "only_fixes": int((base & ~hit).sum()),
            }
            for name, hit in chosen.items()
        }
        randoms = [
            float(
                (
                    taken(rng.permutation(len(groups)).astype(np.int64), sizes, fraction) & positive
                ).sum()
            )
            for _ in range(RANDOM_ORDERS)
        ]
        cell["random"] = {"hits": float(np.mean(randoms))}
        result[f"at_{round(fraction * 100)}"] = cell
    return result


def audit(
    repo: loopintel.Repository,
    day: str,
    code: Code,
    history: History,
    past: set[str],
    future_fixes: set[str],
) -> tuple[dict[str, int], dict[str, npt.NDArray[np.float64]]]:
    """What ``repo.hotspots(until=day)`` sees that the cut-off did not, at function level.

    Also its four scores over the cut-off's functions (0 where it has no row): the leaky
    rankings, scored beside the clean ones to show what the leak does.
    """
    at_cutoff = {lin: i for i, lin in enumerate(code.lineage)}
    rows = [
        r
        for r in repo.hotspots("function", until=day)
        if in_scope(r.path) and r.lineage is not None
    ]
    later = [r for r in rows if r.lineage not in at_cutoff]
    common = [r for r in rows if r.lineage in at_cutoff]
    where = [at_cutoff[str(r.lineage)] for r in common]
    listed = {r.lineage for r in rows}
    touched = {row.lineage for row in history.rows if row.commit in past}
    gone = [lin for lin in at_cutoff if lin in touched and lin not in listed]
    stamp = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
    authored_not_past = {r.commit for r in history.rows if r.authored < stamp} - past
    found = {
        "rows": len(rows),
        "rows_not_at_cutoff": len(later),
        "rows_not_at_cutoff_with_fixes": sum(1 for r in later if r.fixes),
        "cutoff_functions_touched": sum(1 for lin in at_cutoff if lin in touched),
        "cutoff_functions_missing": len(gone),
        "common_rows": len(common),
        "size_differs": sum(
            1 for r, i in zip(common, where, strict=True) if r.size != int(code.size[i])
        ),
        "complexity_differs": sum(
            1 for r, i in zip(common, where, strict=True) if r.complexity != int(code.complexity[i])
        ),
        "commits_authored_before_not_in_past": len(authored_not_past),
        "future_fixes_authored_before": len(authored_not_past & future_fixes),
    }
    leaky = {name: np.zeros(len(code.lineage), dtype=np.float64) for name in SCORES}
    for r, i in zip(common, where, strict=True):
        for name in SCORES:
            leaky[name][i] = float(getattr(r, name))
    return found, {f"{LEAKY}{name}": value for name, value in leaky.items()}


def plus_months(day: str, months: int) -> str:
    year, month = int(day[:4]), int(day[5:7]) - 1 + months
    return f"{year + month // 12}-{month % 12 + 1:02d}-01"


def evaluate_repo(name: str, git_dir: Path) -> dict[str, Any]:
    import loopintel  # noqa: PLC0415

    started = time.perf_counter()
    with loopintel.open(git_dir) as repo:
        history = read_history(repo)
        head_time = datetime.fromisoformat(git(git_dir, "log", "-1", "--format=%cI", "HEAD"))
        head_day = head_time.astimezone(UTC).date().isoformat()
        cutoffs = []
        for n, day in enumerate(CUTOFFS):
            sha = commit_before(git_dir, day)
            later = commit_before(git_dir, plus_months(day, HORIZON_MONTHS))
            horizon_end = plus_months(day, HORIZON_MONTHS)
            if sha is None or later is None or later == sha or horizon_end > head_day:
                continue  # no history before it, or the head does not cover its future
            past = ancestors(history.parents, sha)
            future = ancestors(history.parents, later) - past
            future_fixes = future & history.fixes
            code = read_code(repo, sha)
            known = read_past(history, past)
            end = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
            index = {lin: i for i, lin in enumerate(code.lineage)}
            fixed_lineages = set()
            fixed_files = set()
            for row in history.rows:
                if row.commit in future_fixes and not row.cosmetic:
                    if row.lineage in index:
                        fixed_lineages.add(row.lineage)
                        fixed_files.add(code.path[index[row.lineage]])
                    elif row.added_kind:
                        fixed_files.add(row.path)
            functions = [[i] for i in range(len(code.lineage))]
            by_file: dict[str, list[int]] = defaultdict(list)
            for i, path in enumerate(code.path):
                by_file[path].append(i)
            files = sorted(by_file)
            found, leaky = audit(repo, day, code, history, past, future_fixes)
            cutoffs.append(
                {
                    "cutoff": day,
                    "commit": sha,
                    "past_commits": len(past),
                    "future_commits": len(future),
                    "future_fixes": len(future_fixes),
                    "unmatched_functions": code.unmatched,
                    "function": evaluate_level(
                        functions,
                        np.array([lin in fixed_lineages for lin in code.lineage], dtype=bool),
                        code,
                        known,
                        history,
                        end,
                        seed=n,
                        extra=leaky,
                    ),
                    "file": evaluate_level(
                        [by_file[f] for f in files],
                        np.array([f in fixed_files for f in files], dtype=bool),
                        code,
                        known,
                        history,
                        end,
                        seed=1000 + n,
                    ),
                    "hotspots_until_audit": found,
                }
            )
        head = repo.head
    return {
        "repo": name,
        "head": head,
        "head_date": git(git_dir, "log", "-1", "--format=%cI", "HEAD"),
        "commits": len(history.parents),
        "fix_commits": len(history.fixes),
        "seconds": round(time.perf_counter() - started, 1),
        "cutoffs": cutoffs,
    }


def mcnemar(only: int, only_fixes: int) -> float:
    """Exact two-sided McNemar p-value of the fixed elements one ranking took and not the other."""
    n = only + only_fixes
    if not n:
        return 1.0
    tail: float = sum(math.comb(n, k) for k in range(min(only, only_fixes) + 1)) / 2**n
    return min(1.0, 2 * tail)


def pooled(results: list[dict[str, Any]], level: str, key: str) -> dict[str, dict[str, float]]:
    """Per ranking, summed over the cut-offs of ``results``.

    Hits, fixed elements, the discordant ones against ``fixes``, cut-offs won and lost.
    """
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for result in results:
        for cut in result["cutoffs"]:
            cells = cut[level][key]
            base = cells["fixes"]["hits"]
            for name, cell in cells.items():
                row = out[name]
                row["fixed"] += cut[level]["fixed"]
                row["cutoffs"] += 1 if cut[level]["fixed"] else 0
                for field_name, value in cell.items():
                    row[field_name] += value
                row["won"] += 1 if cell["hits"] > base else 0
                row["lost"] += 1 if cell["hits"] < base else 0
    return out


def table(
    results: list[dict[str, Any]], names: tuple[str, ...], levels: tuple[str, ...]
) -> list[str]:
    """Markdown rows: pooled recall per ranking, per repository and level and budget."""
    groups = [(r["repo"], [r]) for r in results]
    if len(results) > 1:
        groups.append(("all", results))
    lines = [
        "| repo | level | budget | fixed | " + " | ".join(names) + " |",
        "|---" * (4 + len(names)) + "|",
    ]
    for level in levels:
        for label, members in groups:
            for fraction in FRACTIONS:
                key = f"at_{round(fraction * 100)}"
                rows = pooled(members, level, key)
                fixed = rows["fixes"]["fixed"]
                cells = []
                for name in names:
                    row = rows[name]
                    value = row["hits"] / fixed if fixed else math.nan
                    text = f"{value:.3f}"
                    if name not in ("fixes", "random", "lines") and not name.startswith(LEAKY):
                        p = mcnemar(int(row["only"]), int(row["only_fixes"]))
                        text += f" ({int(row['won'])}-{int(row['lost'])}, p={p:.2g})"
                    cells.append(text)
                lines.append(
                    f"| {label} | {level} | {key[3:]}% | {int(fixed)} | " + " | ".join(cells) + " |"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=Path("/work/data/pred"))
    parser.add_argument("--repos", default="flask,requests,click,werkzeug")
    parser.add_argument("--json-dir", type=Path, default=None)
    args = parser.parse_args()
    results = []
    machine = f"{platform.node()} {platform.machine()} python {platform.python_version()}"
    for name in args.repos.split(","):
        git_dir = args.data / f"{name}.git"
        if not git_dir.exists():
            print(f"{name}: no clone at {git_dir}, skipped")
            continue
        result = evaluate_repo(name, git_dir)
        result["machine"] = machine
        result["run_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results.append(result)
        if args.json_dir is not None:
            out = args.json_dir / f"predict-{name}.json"
            out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(f"{name}: {len(result['cutoffs'])} cut-offs, {result['seconds']} s")
    print(f"machine: {machine}")
    print("\n".join(table(results, (*SCORES, *REFERENCES), ("function", "file"))))
    print()
    print("\n".join(table(results, ("fixes", *(f"{LEAKY}{n}" for n in SCORES)), ("function",))))


if __name__ == "__main__":
    main()
