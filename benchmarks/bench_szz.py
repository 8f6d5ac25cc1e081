"""loopintel's SZZ beside ``git blame`` B-SZZ, scored on fixes that name their inducing commit.

The pairs come from ``benchmarks/data/szz-pairs.json`` (built by ``mine_szz_pairs.py``
from fix messages such as "introduced in 1a2b3c4" or ``Fixes: 1a2b3c4 ("...")``). For
each fix this runs ``repo.szz(fix)`` and B-SZZ (``szz_baseline.py``) and scores the
answers against the named commits: micro-averaged precision TP/(TP+FP), recall
TP/(TP+FN) and F1 over all fixes of a split (``dev``, ``held-out``, ``all``) and kind
(``named``; ``revert``, scored apart because a revert names exactly what it undoes).
Four answers are scored: loopintel ``all`` (every inducing commit it returns),
loopintel ``strongest`` (only the first), B-SZZ ``classic`` (every blamed commit) and
B-SZZ ``strongest`` (the commit blamed for the most lines). Each has its median
seconds per fix; loopintel's first ``open`` (indexing) is timed apart. It only
reports; nothing here asserts a score or a time.

    python benchmarks/bench_szz.py [--split dev|held-out|all] [--repos click,pip]
        [--kind named|revert|all] [--baseline-only] [--json] [--out docs/szz-benchmarks.md]
    python benchmarks/bench_szz.py --from-json benchmarks/data/szz-results.json [--out ...]

The bare repositories are looked up as ``<--data>/<name>.git`` (default
``/work/data/szz``); a repository that is absent is reported and skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from szz_baseline import blame

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "benchmarks" / "data" / "szz-pairs.json"
RESULTS = ROOT / "benchmarks" / "data" / "szz-results.json"
DATA = Path("/work/data/szz")
SPLITS = ("dev", "held-out", "all")
KINDS = ("named", "revert")
METHODS = (
    ("loopintel", "all"),
    ("loopintel", "strongest"),
    ("B-SZZ", "classic"),
    ("B-SZZ", "strongest"),
)
# Rosa et al. (ICSE 2021), developer-informed oracle, Python fixes: the published anchor.
PUBLISHED = "R-SZZ 0.69 precision / 0.60 recall; B-SZZ 0.41 / 0.71 (Rosa et al., ICSE 2021)"


def run_loopintel(path: Path, fixes: list[str]) -> tuple[float, dict[str, dict[str, Any]]]:
    """Index time and, per fix, loopintel's answer and its wall time."""
    import loopintel  # noqa: PLC0415 - only when measured; --baseline-only needs no index

    started = time.perf_counter()
    repo = loopintel.open(path)
    indexed = time.perf_counter() - started
    answers: dict[str, dict[str, Any]] = {}
    for fix in fixes:
        started = time.perf_counter()
        try:
            result = repo.szz(fix)
        except Exception as error:  # noqa: BLE001 - a failure is reported, not fatal
            answers[fix] = {
                "inducing": [],
                "seconds": time.perf_counter() - started,
                "error": f"{type(error).__name__}: {error}",
            }
            continue
        answers[fix] = {
            "inducing": [
                {"commit": ind.commit, "lines": ind.lines, "score": ind.score}
                for ind in result.inducing
            ],
            "seconds": time.perf_counter() - started,
        }
    return indexed, answers


def predicted(record: dict[str, Any], method: str, variant: str) -> list[str] | None:
    """The commits one method answered for a fix (None when it was not run)."""
    if method == "B-SZZ":
        blamed: list[str] = record["bszz"]["classic"]
        return blamed if variant == "classic" else blamed[:1]
    answer = record.get("loopintel")
    if answer is None:
        return None
    commits = [ind["commit"] for ind in answer["inducing"]]
    return commits if variant == "all" else commits[:1]


def seconds_of(record: dict[str, Any], method: str) -> float | None:
    """Wall time of one method on a fix."""
    answer = record["bszz"] if method == "B-SZZ" else record.get("loopintel")
    return None if answer is None else float(answer["seconds"])


def score(records: list[dict[str, Any]], method: str, variant: str) -> dict[str, Any] | None:
    """Micro-averaged precision, recall and F1 of one method over some fixes."""
    tp = fp = fn = empty = 0
    times: list[float] = []
    for record in records:
        answer = predicted(record, method, variant)
        if answer is None:
            return None
        truth = set(record["inducing"])
        tp += len(truth & set(answer))
        fp += len(set(answer) - truth)
        fn += len(truth - set(answer))
        empty += not answer
        took = seconds_of(record, method)
        if took is not None:
            times.append(took)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "fixes": len(records),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "empty": empty,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "median_seconds": statistics.median(times) if times else 0.0,
    }


def table(records: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of every method by kind and split."""
    rows = [
        (
            "| kind | split | method | fixes | precision | recall | F1 | TP | FP | FN "
            "| no answer | median s/fix |"
        ),
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        for split in SPLITS:
            chosen = [r for r in records if r["kind"] == kind and split in ("all", r["split"])]
            if not chosen:
                continue
            for method, variant in METHODS:
                s = score(chosen, method, variant)
                if s is None:
                    continue
                rows.append(
                    f"| {kind} | {split} | {method} {variant} | {s['fixes']} "
                    f"| {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
                    f"| {s['tp']} | {s['fp']} | {s['fn']} | {s['empty']} "
                    f"| {s['median_seconds']:.3f} |"
                )
    return rows


def per_repository(records: list[dict[str, Any]]) -> list[str]:
    """Named fixes per repository: precision and recall of each method that ran."""
    methods = [
        (m, v)
        for m, v in METHODS
        if all(predicted(r, m, v) is not None for r in records if r["kind"] == "named")
    ]
    rows = [
        "| repository | split | fixes | " + " | ".join(f"{m} {v} P / R" for m, v in methods) + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in methods) + " |",
    ]
    names = sorted({r["repo"] for r in records if r["kind"] == "named"})
    for name in names:
        chosen = [r for r in records if r["kind"] == "named" and r["repo"] == name]
        cells = []
        for method, variant in methods:
            s = score(chosen, method, variant)
            assert s is not None
            cells.append(f"{s['precision']:.2f} / {s['recall']:.2f}")
        rows.append(
            f"| {name} | {chosen[0]['split']} | {len(chosen)} | " + " | ".join(cells) + " |"
        )
    return rows


def reading(records: list[dict[str, Any]], document: dict[str, Any]) -> list[str]:
    """What the scores can and cannot say."""
    scored = {(r["repo"], r["fix"]) for r in records if r["kind"] == "named"}
    named = [p for p in document["pairs"] if (p["repo"], p["fix"]) in scored]
    shared = sum(sum(p.get("shares_py_path", [])) for p in named)
    total = sum(len(p["inducing"]) for p in named)
    per_repo: dict[str, int] = {}
    for pair in named:
        per_repo[pair["repo"]] = per_repo.get(pair["repo"], 0) + 1
    biggest = sorted(per_repo.items(), key=lambda item: -item[1])[:2]
    return [
        "## Reading the numbers",
        "",
        (
            "- The oracle holds only the commit a developer named. Another commit that also "
            "contributed to the bug counts as a false positive, so precision here is a lower "
            "bound; a named commit is usually the one the developer found, not necessarily "
            "the only one."
        ),
        (
            f"- Of the {total} named inducing commits, {shared} changed a `.py` path that the "
            "fix also changed (same path, renames not followed). Sharing a path is needed for "
            "`git blame` of the fix's files to reach a commit, not enough; the rest were "
            "renamed, moved, or in a file the fix did not touch (a bug caused in one module "
            "and fixed in another)."
        ),
        (
            "- loopintel leaves lines in test files out unless the fix changed nothing else, "
            "and traces the lines beside an addition when the fix only adds code; B-SZZ "
            "blames test lines too and blames nothing for an add-only fix."
        ),
        (
            "- Reverts are easy for any blame-based method (a revert deletes the lines the "
            "reverted commit added); they are shown as a check, not to rank. By design "
            "loopintel never blames a commit for a change it made only cosmetically "
            "(re-indenting, reflowing, comments), so a revert of such a change, or of "
            "a commit that only moved code, counts against it here."
        ),
        (
            "- `dev` and `held-out` are splits of repositories, not of fixes: "
            + " and ".join(f"{name} ({n})" for name, n in biggest)
            + f" hold {sum(n for _, n in biggest)} of the {len(named)} named fixes scored."
        ),
    ]


def agreement(records: list[dict[str, Any]]) -> list[str]:
    """Per kind: fixes whose named commit both, one or neither method found (all answers)."""
    if not records or any(predicted(r, "loopintel", "all") is None for r in records):
        return []
    lines = [
        "| kind | fixes | found by both | loopintel only | B-SZZ only | neither |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in KINDS:
        tally = {"both": 0, "loopintel": 0, "B-SZZ": 0, "neither": 0}
        chosen = [r for r in records if r["kind"] == kind]
        for record in chosen:
            truth = set(record["inducing"])
            ours = bool(truth & set(predicted(record, "loopintel", "all") or []))
            base = bool(truth & set(predicted(record, "B-SZZ", "classic") or []))
            tally[
                "both" if ours and base else "loopintel" if ours else "B-SZZ" if base else "neither"
            ] += 1
        if chosen:
            lines.append(
                f"| {kind} | {len(chosen)} | {tally['both']} | {tally['loopintel']} "
                f"| {tally['B-SZZ']} | {tally['neither']} |"
            )
    return lines


def ratio_line(records: list[dict[str, Any]]) -> str:
    """The median time per fix of loopintel as a ratio of B-SZZ's, measured in one run."""
    ours = [r["loopintel"]["seconds"] for r in records if r.get("loopintel")]
    base = [r["bszz"]["seconds"] for r in records]
    if not ours or not base:
        return "loopintel not run (--baseline-only): B-SZZ only."
    a, b = statistics.median(ours), statistics.median(base)
    return (
        f"Median seconds per fix: loopintel {a:.3f}, B-SZZ {b:.3f} "
        f"(loopintel / B-SZZ = {a / b:.2f}); index built on first open, timed apart."
    )


def git_version() -> str:
    """The git that ran the blames."""
    done = subprocess.run(["git", "--version"], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def loopintel_commit() -> str:
    """The loopintel commit measured (this checkout's HEAD)."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
        check=False,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def set_section(document: dict[str, Any]) -> list[str]:
    """How the evaluation set is built, with its counts per repository."""
    named = dict(document["patterns"]["named"])
    lines = [
        "## The evaluation set",
        "",
        "`benchmarks/mine_szz_pairs.py` reads every non-merge commit reachable from the "
        "head of each repository below and keeps the fixes whose message names the "
        "commit that introduced the bug. Phrases (case-insensitive, the sha bare, in "
        "backticks or as a commit URL, optionally after `commit`): "
        + "; ".join(f"{label}" for label in named)
        + ". `introduced in/by` and `caused by` count only when the message also speaks "
        "of a defect (fix, bug, regression, broke, error, crash, typo, wrong, fail, ...), "
        "because they also say where a feature came from. Reverts (`This reverts commit "
        "<sha>`, `revert of <sha>`) are a separate kind, scored apart; a revert is never "
        "a named pair. A named sha is kept only if it resolves (full or abbreviated, "
        "unique) to a proper ancestor of the fix that changes a `.py` file; the fix must "
        "not be a merge and must change a `.py` file it keeps. Nothing is filtered on "
        "whether fix and named commit touch the same files or lines, so the set does not "
        "lean toward what SZZ can find. The split is by repository, fixed before any "
        f"scoring: {document['split_rule']}.",
        "",
        (
            "Rejected names, by reason: *no .py* (the fix keeps no `.py` file it changed), "
            "*unknown* (the sha resolves to nothing here, e.g. a Mercurial-era hash or another "
            "repository's), *not ancestor* (resolves, but not to an ancestor of the fix: "
            "typically a commit of a pull request that was squash-merged or rebased), "
            "*other* (no bug word, ambiguous, named commit changes no `.py` file)."
        ),
        "",
        (
            "| repository | split | head mined | non-merge commits | named | revert "
            "| no .py | unknown | not ancestor | other |"
        ),
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    columns = (
        "fix changes no .py file it keeps",
        "unknown sha",
        "not a proper ancestor of the fix",
    )
    for name, repo in sorted(document["repos"].items()):
        why = [r["reason"] for r in repo["rejected"]]
        counts = [why.count(c) for c in columns]
        lines.append(
            f"| {name} | {repo['split']} | `{repo['head'][:12]}` | {repo['commits_scanned']} "
            f"| {repo['named']} | {repo['revert']} | "
            + " | ".join(str(n) for n in counts)
            + f" | {len(why) - sum(counts)} |"
        )
    reasons: dict[str, int] = {}
    for repo in document["repos"].values():
        for rejected in repo["rejected"]:
            reasons[rejected["reason"]] = reasons.get(rejected["reason"], 0) + 1
    named_total = sum(r["named"] for r in document["repos"].values())
    revert_total = sum(r["revert"] for r in document["repos"].values())
    lines += [
        "",
        f"{named_total} named fixes and {revert_total} reverts. Names rejected: "
        + ", ".join(f"{why} {n}" for why, n in sorted(reasons.items(), key=lambda i: -i[1]))
        + ".",
    ]
    return lines


def measured_on(command: str) -> dict[str, str]:
    """The command, date, machine and loopintel commit of this run."""
    return {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": (
            f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {git_version()}"
        ),
        "loopintel": loopintel_commit(),
    }


def report(
    records: list[dict[str, Any]],
    document: dict[str, Any],
    indexed: dict[str, float],
    run: dict[str, str],
) -> str:
    """The Markdown report: the table, how it was measured, and how the set is built."""
    lines = [
        "# SZZ: loopintel beside B-SZZ",
        "",
        "Written by `benchmarks/bench_szz.py`; do not edit by hand.",
        "",
        f"Command: `{run['command']}`  ",
        f"Date: {run['date']}  ",
        f"Machine: {run['machine']}  ",
        f"loopintel: {run['loopintel']}",
        "",
        (
            "Micro-averaged over the fixes of each split: precision TP/(TP+FP), recall "
            "TP/(TP+FN). *No answer*: fixes for which the method named no commit (for B-SZZ, "
            "fixes that only add lines). Published anchor on another oracle, for scale only: "
            f"{PUBLISHED}."
        ),
        "",
        *table(records),
        "",
        ratio_line(records),
    ]
    if indexed:
        lines += [
            "",
            "Index time on first open (s): "
            + ", ".join(f"{name} {s:.0f}" for name, s in sorted(indexed.items())),
        ]
    errors = [r for r in records if r.get("loopintel", {}).get("error")]
    if errors:
        lines += ["", f"loopintel raised on {len(errors)} fixes (scored as no answer)."]
    lines += ["", "Named fixes per repository:", "", *per_repository(records)]
    if agree := agreement(records):
        lines += ["", "Fixes whose named commit each method found (every commit it answered):"]
        lines += ["", *agree]
    lines += ["", *reading(records, document), "", *set_section(document), ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--data", type=Path, default=DATA, help="bare clones, <name>.git")
    parser.add_argument("--split", choices=SPLITS, default="all")
    parser.add_argument("--kind", choices=(*KINDS, "all"), default="all")
    parser.add_argument("--repos", help="comma-separated names (click or pallets/click)")
    parser.add_argument("--baseline-only", action="store_true", help="B-SZZ only")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    parser.add_argument("--json", action="store_true", help=f"per-fix results to {RESULTS}")
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="RESULTS",
        help="print (and --out) the report of a saved --json run instead of measuring",
    )
    args = parser.parse_args()

    document = json.loads(args.pairs.read_text())
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        print("\n".join(table(saved["results"])))
        print(ratio_line(saved["results"]))
        if args.out:
            args.out.write_text(report(saved["results"], document, saved["indexed"], saved["run"]))
            print(f"report written to {args.out}")
        return 0
    wanted = {w.strip() for w in args.repos.split(",")} if args.repos else None
    pairs = [
        p
        for p in document["pairs"]
        if args.split in ("all", p["split"])
        and args.kind in ("all", p["kind"])
        and (wanted is None or p["repo"] in wanted or p["repo"].split("/")[1] in wanted)
    ]
    by_repo: dict[str, list[dict[str, Any]]] = {}
    for pair in pairs:
        by_repo.setdefault(pair["repo"], []).append(pair)

    records: list[dict[str, Any]] = []
    indexed: dict[str, float] = {}
    for name, group in sorted(by_repo.items()):
        path = args.data / f"{name.split('/')[1]}.git"
        if not path.exists():
            print(f"{name}: {path} is absent; skipped", file=sys.stderr)
            continue
        started = time.perf_counter()
        for pair in group:
            blamed = blame(path, pair["fix"])
            records.append(
                {
                    **pair,
                    "bszz": {
                        "classic": blamed.classic,
                        "lines": blamed.lines,
                        "seconds": blamed.seconds,
                    },
                }
            )
        note = f"B-SZZ {time.perf_counter() - started:.1f} s"
        if not args.baseline_only:
            took, answers = run_loopintel(path, [p["fix"] for p in group])
            indexed[name] = took
            for record in records[-len(group) :]:
                record["loopintel"] = answers[record["fix"]]
            note += f", loopintel index {took:.1f} s"
        print(f"{name}: {len(group)} fixes, {note}", file=sys.stderr, flush=True)

    run = measured_on(("python benchmarks/bench_szz.py " + " ".join(sys.argv[1:])).strip())
    print("\n".join(table(records)))
    print(ratio_line(records))
    if args.json:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        records.sort(key=lambda r: (r["repo"], r["fix_date"], r["fix"]))
        saved = {"run": run, "indexed": indexed, "results": records}
        RESULTS.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    if args.out:
        args.out.write_text(report(records, document, indexed, run))
        print(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
