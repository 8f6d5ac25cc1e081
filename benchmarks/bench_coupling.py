"""Change-coupling latency on an indexed repository, beside code-maat's algorithm.

For each level (function, file) it times ``repo.coupling(level)`` over the whole
repository with the default thresholds: *cold* (a freshly opened index, so the change
columns and the commits are read first; the median over ``--runs`` fresh opens) and
*warm* (the median of further calls on one open index).

The peer is code-maat's logical coupling (``code-maat -a coupling``), which cannot be run
here (a Clojure jar built with Leiningen), so its documented algorithm is implemented
below in plain Python, as code-maat runs it over the log it documents
(``git log --numstat --no-renames --pretty=format:'--%h--%ad--%aN' --date=short``, here
of the indexed ref rather than ``--all``, so that both read the same history): group the
numstat rows by revision, drop revisions that change more than ``max-changeset-size``
entities, count each entity's revisions and each pair's shared revisions, and keep a pair
whose mean revisions reach ``min-revs``, whose shared revisions reach
``min-shared-revs`` and whose degree (shared over mean revisions, as a percentage) is
from ``min-coupling`` to ``max-coupling``. It reads the Python files only by default
(``--all-files`` for every file), since loopintel's index knows Python functions only.

The ratio is the peer's time (parsing the log and coupling; running ``git log`` is
reported apart) over loopintel's. The file-level pair sets are then compared with the
same thresholds (code-maat's defaults: min-revs 5, min-shared-revs 5, min-coupling 30%,
max-changeset-size 30): loopintel's pairs are asked for with ``min_support=5``,
``max_changeset=30`` and a confidence of 0.3 (the degree never exceeds it), then kept
where the degree is at least 30% and the mean revisions at least 5. It only reports;
nothing here asserts a time.

    python benchmarks/bench_coupling.py [GIT_DIR] [--runs N] [--all-files] [--since DATE]

``--since`` adds the comparison over the commits authored from that date (the peer
reads the day of ``%ad``, loopintel midnight UTC: a commit near midnight may fall on
different sides).

``GIT_DIR`` defaults to ``/work/data/hs/flask.git``; its index is read as it is
(``update=False``): bring it up to date with ``loopintel index`` first.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path

DEFAULT_GIT_DIR = Path("/work/data/hs/flask.git")
LEVELS = ("function", "file")
MIN_REVS, MIN_SHARED_REVS, MIN_COUPLING, MAX_COUPLING, MAX_CHANGESET_SIZE = 5, 5, 30, 100, 30
"""code-maat's defaults (``code-maat --help``)."""


def git_log(git_dir: Path) -> tuple[float, str]:
    """code-maat's documented log of the indexed history, and the time git took."""
    start = time.perf_counter()
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "log", "--numstat", "--no-renames",
         "--pretty=format:--%h--%ad--%aN", "--date=short", "HEAD"],
        check=True, capture_output=True, text=True, encoding="utf-8", errors="replace",
    ).stdout  # fmt: skip
    return time.perf_counter() - start, out


def parse_log(text: str, *, python_only: bool, since: str | None = None) -> list[tuple[str, str]]:
    """(revision, entity) rows of a ``--numstat`` log in code-maat's git2 format.

    ``since``: only revisions authored on or after this ``YYYY-MM-DD`` date.
    """
    rows = []
    rev, day = "", ""
    for line in text.splitlines():
        if line.startswith("--"):
            rev, day = line[2:].split("--", 2)[:2]
        elif line.strip():
            entity = line.split("\t", 2)[2]
            if (python_only and not entity.endswith(".py")) or (since and day < since):
                continue
            rows.append((rev, entity))
    return rows


def code_maat_coupling(
    rows: list[tuple[str, str]],
    *,
    min_revs: int = MIN_REVS,
    min_shared_revs: int = MIN_SHARED_REVS,
    min_coupling: float = MIN_COUPLING,
    max_coupling: float = MAX_COUPLING,
    max_changeset_size: int = MAX_CHANGESET_SIZE,
) -> dict[tuple[str, str], tuple[int, float, float]]:
    """code-maat's coupling: per sorted pair, (shared revisions, mean revisions, degree %)."""
    by_rev: dict[str, list[str]] = {}
    for rev, entity in rows:
        by_rev.setdefault(rev, []).append(entity)
    revs: Counter[str] = Counter()
    shared: Counter[tuple[str, str]] = Counter()
    for entities in by_rev.values():
        if len(entities) > max_changeset_size:
            continue
        changed = sorted(set(entities))
        revs.update(changed)
        shared.update(itertools.combinations(changed, 2))
    out = {}
    for (first, second), count in shared.items():
        average = (revs[first] + revs[second]) / 2
        degree = 100 * count / average
        if (
            average >= min_revs
            and count >= min_shared_revs
            and degree >= min_coupling
            and int(degree) <= max_coupling
        ):
            out[(first, second)] = (count, average, degree)
    return out


def numpy_coupling(
    rows: list[tuple[str, str]],
) -> dict[tuple[str, str], tuple[int, float, float]]:
    """The same coupling of the same rows through loopintel's ``co_changes``."""
    import numpy as np  # noqa: PLC0415

    from loopintel.analysis.coupling import co_changes  # noqa: PLC0415

    revs: dict[str, int] = {}
    names: dict[str, int] = {}
    commit = np.fromiter((revs.setdefault(r, len(revs)) for r, _ in rows), np.int64, len(rows))
    element = np.fromiter((names.setdefault(e, len(names)) for _, e in rows), np.int64, len(rows))
    arrays = co_changes(commit, element, len(names), max_changeset=MAX_CHANGESET_SIZE)
    average = (arrays.revisions[arrays.a] + arrays.revisions[arrays.b]) / 2
    degree = 100 * arrays.shared / np.maximum(average, 1)
    keep = (
        (average >= MIN_REVS)
        & (arrays.shared >= MIN_SHARED_REVS)
        & (degree >= MIN_COUPLING)
        & (degree.astype(np.int64) <= MAX_COUPLING)
    )
    entity = list(names)
    out = {}
    for i in np.flatnonzero(keep).tolist():
        pair = tuple(sorted((entity[int(arrays.a[i])], entity[int(arrays.b[i])])))
        out[(pair[0], pair[1])] = (int(arrays.shared[i]), float(average[i]), float(degree[i]))
    return out


def timed(call: object, runs: int) -> tuple[float, object]:
    """Median seconds over ``runs`` calls, and the last result."""
    assert callable(call)
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(git_dir: Path, runs: int, *, python_only: bool, since: str | None) -> None:
    import loopintel  # noqa: PLC0415

    with loopintel.open(git_dir, update=False) as repo:
        head = repo.head or "HEAD"
    commits = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-list", "--count", head],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    print(f"{git_dir} at {head[:10]}: {commits} commits")
    print(f"{'level':<9} {'pairs':>6} {'cold s':>8} {'warm s':>8}")
    ours: dict[str, tuple[float, float]] = {}
    for level in LEVELS:
        cold = []
        for _ in range(runs):
            with loopintel.open(git_dir, update=False) as repo:
                start = time.perf_counter()
                rows = repo.coupling(level)
                cold.append(time.perf_counter() - start)
        with loopintel.open(git_dir, update=False) as repo:
            repo.coupling(level)
            warm, _ = timed(lambda repo=repo, level=level: repo.coupling(level), runs)
        ours[level] = (statistics.median(cold), warm)
        print(f"{level:<9} {len(rows):>6} {statistics.median(cold):>8.3f} {warm:>8.3f}")

    log_time, log = git_log(git_dir)
    which = "Python files" if python_only else "all files"
    rows = parse_log(log, python_only=python_only)
    peer_time, theirs_result = timed(lambda: code_maat_coupling(rows), runs)
    numpy_time, numpy_result = timed(lambda: numpy_coupling(rows), runs)
    assert isinstance(theirs_result, dict)
    theirs: dict[tuple[str, str], tuple[int, float, float]] = theirs_result
    print(
        f"code-maat's algorithm in plain Python over its git log ({which}, {len(rows)} rows): "
        f"{peer_time:.3f} s; loopintel's co_changes on the same rows {numpy_time:.3f} s "
        f"({peer_time / numpy_time:.1f}x); same pairs and degrees: {numpy_result == theirs}"
    )
    cold, warm = ours["file"]
    print(
        f"git log itself {log_time:.3f} s; code-maat's way (git log, then coupling) "
        f"{log_time + peer_time:.3f} s, loopintel file level from its index "
        f"{(log_time + peer_time) / cold:.1f}x faster cold, "
        f"{(log_time + peer_time) / warm:.1f}x warm"
    )
    at_head = set(
        subprocess.run(
            ["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD"],
            check=True, capture_output=True, text=True,
        ).stdout.split("\n")
    )  # fmt: skip
    agreement(git_dir, theirs, at_head, since=None, listed=since is None)
    if since is not None:
        window = code_maat_coupling(parse_log(log, python_only=python_only, since=since))
        agreement(git_dir, window, at_head, since=since, listed=True)


def agreement(
    git_dir: Path,
    theirs: dict[tuple[str, str], tuple[int, float, float]],
    at_head: set[str],
    *,
    since: str | None,
    listed: bool,
) -> None:
    """How far loopintel's file pairs agree with code-maat's, with code-maat's thresholds."""
    import loopintel  # noqa: PLC0415

    with loopintel.open(git_dir, update=False) as repo:
        rows = repo.coupling(
            "file",
            since=since,
            min_support=MIN_SHARED_REVS,
            min_confidence=0.3,
            max_changeset=MAX_CHANGESET_SIZE,
        )
    mine = {
        (row.a, row.b): (row.shared, (row.revisions_a + row.revisions_b) / 2, 100 * row.degree)
        for row in rows
        if 100 * row.degree >= MIN_COUPLING and (row.revisions_a + row.revisions_b) / 2 >= MIN_REVS
    }
    current = {pair: value for pair, value in theirs.items() if set(pair) <= at_head}
    window = f"since {since}" if since else "whole history"
    for label, peer_pairs in (("every file", theirs), ("files at the head", current)):
        both = set(mine) & set(peer_pairs)
        union = set(mine) | set(peer_pairs)
        jaccard = len(both) / len(union) if union else 1.0
        gap = statistics.mean(abs(mine[p][2] - peer_pairs[p][2]) for p in both) if both else 0.0
        print(
            f"file pairs with code-maat's thresholds, {window}, {label}: loopintel {len(mine)}, "
            f"code-maat {len(peer_pairs)}, both {len(both)} (Jaccard {jaccard:.2f}); "
            f"degrees of common pairs differ by {gap:.1f} points on average"
        )
    if not listed:
        return
    for pair in sorted(set(current) - set(mine)):
        shared, _, degree = current[pair]
        print(f"  code-maat only: {pair[0]} ~ {pair[1]} shared {shared} degree {degree:.0f}%")
    for pair in sorted(set(mine) - set(current)):
        shared, _, degree = mine[pair]
        print(f"  loopintel only: {pair[0]} ~ {pair[1]} shared {shared} degree {degree:.0f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("git_dir", nargs="?", type=Path, default=DEFAULT_GIT_DIR)
    parser.add_argument("--runs", type=int, default=5, help="calls per measurement")
    parser.add_argument(
        "--all-files", action="store_true", help="the peer reads every file, not Python only"
    )
    parser.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="also compare the pairs of commits authored on or after this date",
    )
    args = parser.parse_args()
    measure(args.git_dir, args.runs, python_only=not args.all_files, since=args.since)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
