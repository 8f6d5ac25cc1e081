"""B-SZZ, the ``git blame`` baseline that ``bench_szz.py`` measures loopintel's SZZ against.

The classic algorithm (Sliwerski, Zimmermann and Zeller 2005, as B-SZZ in Rosa et al.
2021): for each ``.py`` file the fix modified (not added; a deleted or renamed file is
blamed under its old path, as PyDriller does), take the lines the fix deleted or
changed (``git diff -U0 fix^ fix``) and ``git blame --porcelain -L a,b fix^ -- path``
them; the candidates are the commits blamed. No whitespace, comment or move handling:
that is the point of a baseline. A fix that only adds lines blames nothing.

Two answers from one blame: ``classic`` (every candidate) and ``strongest`` (the
candidate blamed for the most lines; ties go to the most recent committer time).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_HUNK = re.compile(r"^@@ -(?P<start>\d+)(?:,(?P<count>\d+))? \+\d+(?:,\d+)? @@")
_BLAME_HEADER = re.compile(r"^(?P<sha>[0-9a-f]{40}) \d+ \d+(?: \d+)?$")


@dataclass(frozen=True)
class Blamed:
    """What B-SZZ blamed for one fix."""

    fix: str
    lines: dict[str, int] = field(default_factory=dict)
    """Lines blamed on each candidate commit."""
    times: dict[str, int] = field(default_factory=dict)
    """Committer time (epoch seconds) of each candidate."""
    seconds: float = 0.0
    """Wall time of the diff and every blame."""

    @property
    def classic(self) -> list[str]:
        """Every candidate, most lines first (ties: most recent)."""
        return sorted(self.lines, key=lambda c: (-self.lines[c], -self.times.get(c, 0), c))

    @property
    def strongest(self) -> list[str]:
        """The candidate blamed for the most lines, or nothing."""
        return self.classic[:1]


def deleted_ranges(repo: Path, fix: str) -> dict[str, list[tuple[int, int]]]:
    """Old path -> (first line, count) ranges of old lines the fix deleted or changed."""
    diff = subprocess.run(
        ["git", "-C", str(repo), "diff", "-U0", "--no-color", "--no-ext-diff", "-M",
         "--src-prefix=a/", "--dst-prefix=b/",
         f"{fix}^", fix, "--", "*.py"],
        check=True, capture_output=True, text=True, errors="replace",
    ).stdout  # fmt: skip
    ranges: dict[str, list[tuple[int, int]]] = {}
    old: str | None = None
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            old = None
        elif line.startswith("--- "):
            # "--- /dev/null" is an added file: nothing old to blame.
            old = line[6:] if line.startswith("--- a/") else None
            if old is not None and old.startswith('"'):
                old = None  # quoted exotic path; rare, and blame would need unquoting
        elif old is not None and old.endswith(".py") and line.startswith("@@"):
            hunk = _HUNK.match(line)
            if hunk is None:
                continue
            count = 1 if hunk.group("count") is None else int(hunk.group("count"))
            if count:
                ranges.setdefault(old, []).append((int(hunk.group("start")), count))
    return ranges


def blame(repo: Path, fix: str) -> Blamed:
    """B-SZZ's candidates for one fix, with the lines blamed on each and the time taken."""
    started = time.perf_counter()
    lines: Counter[str] = Counter()
    times: dict[str, int] = {}
    for path, spans in sorted(deleted_ranges(repo, fix).items()):
        argv = ["git", "-C", str(repo), "blame", "--porcelain"]
        for start, count in spans:
            argv += ["-L", f"{start},+{count}"]
        argv += [f"{fix}^", "--", path]
        done = subprocess.run(argv, check=False, capture_output=True, text=True, errors="replace")
        if done.returncode != 0:
            continue  # e.g. a path git cannot blame at fix^ (submodule, symlink)
        current = ""
        for row in done.stdout.splitlines():
            if row.startswith("\t"):
                lines[current] += 1
                continue
            header = _BLAME_HEADER.match(row)
            if header is not None:
                current = header.group("sha")
            elif row.startswith("committer-time ") and current:
                times[current] = int(row.split()[1])
    return Blamed(fix=fix, lines=dict(lines), times=times, seconds=time.perf_counter() - started)
