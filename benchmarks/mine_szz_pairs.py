"""Build the SZZ evaluation set: fix commits whose message names the commit that broke things.

Developers sometimes write down which commit introduced the bug they fix ("introduced
in 1a2b3c4", "regression from ...", a Linux-style ``Fixes: 1a2b3c4 ("subject")``
trailer). Those pairs are an oracle for SZZ that nobody tuned an algorithm on, so
``bench_szz.py`` scores loopintel's ``repo.szz`` and ``git blame``-based B-SZZ against
them. Reverts ("This reverts commit ...") are kept as a separate kind, scored apart:
the reverted commit is trivially what a revert undoes, so they would flatter any SZZ.

The repositories are bare clones under ``--data`` (``/work/data/szz/<name>.git``), made
with ``git clone --bare`` from the fetched mirrors under ``--mirrors`` when absent.
Every commit reachable from each head is read (``git log --no-merges HEAD``); a pair
is kept only if

* the named sha resolves, full or abbreviated and unique, to a commit that is a proper
  ancestor of the fix;
* the fix is not a merge (exactly one parent);
* the fix changes at least one ``.py`` file that it does not delete;
* the named commit changes at least one ``.py`` file.

Nothing is filtered on whether the fix and the named commit touch the same files or
lines: that would keep only the pairs SZZ can find. A fix naming several commits is one
record with all of them. Names that fail a rule are listed per repository under
``rejected`` with the reason, so the set can be audited.

The split into ``dev`` and ``held-out`` is by repository, fixed before any scoring:
``int(sha1("owner/name").hexdigest(), 16) % 2 == 0`` is ``dev``, otherwise ``held-out``.

    python benchmarks/mine_szz_pairs.py [--data /work/data/szz] [--mirrors /work/.mirror]
        [--out benchmarks/data/szz-pairs.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "data" / "szz-pairs.json"
DATA = Path("/work/data/szz")
MIRRORS = Path("/work/.mirror")

# The repositories mined, as GitHub names them. flask and requests are left out on
# purpose: loopintel's own tests run on them.
REPOS = (
    "aio-libs/aiohttp",
    "beetbox/beets",
    "borgbackup/borg",
    "encode/httpx",
    "getpatchwork/patchwork",
    "ipython/ipython",
    "mesonbuild/meson",
    "pallets/click",
    "pallets/werkzeug",
    "psf/black",
    "pydantic/pydantic",
    "pylint-dev/pylint",
    "pypa/pip",
    "pypa/setuptools",
    "pytest-dev/pytest",
    "python-attrs/attrs",
    "python/mypy",
    "sosreport/sos",
    "sphinx-doc/sphinx",
    "systemd/mkosi",
    "tornadoweb/tornado",
    "virt-manager/virt-manager",
)

SPLIT_RULE = 'int(sha1("owner/name").hexdigest(), 16) % 2 == 0 -> "dev", else "held-out"'

# A sha as people write it: bare, in backticks, or as the tail of a commit URL.
_SHA = r"(?:https?://\S+?/commit/)?`?(?P<sha>[0-9a-f]{7,40})\b"
_COMMIT = r"(?:the\s+)?(?:commit\s+|change\s+)?"
NAMED = (
    ("introduced in/by", rf"\bintroduced\s+(?:in|by|at|with)\s+{_COMMIT}{_SHA}"),
    (
        "regression from/in/since/caused by/introduced in",
        (
            rf"\bregress(?:ion|ed)\s+(?:from|in|since|by|caused\s+by|introduced\s+(?:in|by))\s+"
            rf"{_COMMIT}{_SHA}"
        ),
    ),
    ("broken in/by/since", rf"\bbroken\s+(?:in|by|since)\s+{_COMMIT}{_SHA}"),
    ("caused by", rf"\bcaused\s+by\s+{_COMMIT}{_SHA}"),
    ("bug from", rf"\bbug\s+from\s+{_COMMIT}{_SHA}"),
    # Linux-style trailer on its own line, possibly followed by ("subject").
    ("Fixes: trailer", rf"(?m)^[ \t]*Fixes:[ \t]*{_COMMIT}{_SHA}"),
)
# "introduced in <sha>" and "caused by <sha>" also describe where a feature or a
# behaviour came from ("the option introduced in 0552ffe is never used"); they count
# only when the message also speaks of a defect in one of these words.
NEEDS_BUG_WORD = frozenset({"introduced in/by", "caused by"})
BUG_WORDS = (
    r"\b(?:fix(?:e[sd])?|fixing|bugs?|regress(?:ion|ions|ed)?|broke|broken|breakage|"
    r"breaks|errors?|crash(?:es|ed)?|typo|mistakes?|wrong|incorrect(?:ly)?|fail(?:s|ed|ure|ing)?)\b"
)
_BUG_WORDS = re.compile(BUG_WORDS, re.IGNORECASE)
REVERT = (("reverts/revert of", rf"\brevert(?:s|ed|ing)?\s+(?:of\s+)?{_COMMIT}{_SHA}"),)
_NAMED = tuple((label, re.compile(rx, re.IGNORECASE)) for label, rx in NAMED)
_REVERT = tuple((label, re.compile(rx, re.IGNORECASE)) for label, rx in REVERT)


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Standard output of one git command in ``repo``."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=check, capture_output=True, text=True
    )
    return done.stdout


def split_of(name: str) -> str:
    """The split a repository belongs to (see SPLIT_RULE)."""
    return (
        "dev"
        if int(hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest(), 16) % 2 == 0
        else "held-out"
    )


def named_shas(message: str) -> tuple[str, list[tuple[str, str]], list[str]]:
    """What a fix message names: its kind, and the commits it says broke things.

    Returns:
        The kind (``"named"``, ``"revert"`` or ``""``), the (phrase, sha) pairs in the
        order the message names them, and the shas named by a phrase that needs a bug
        word the message lacks.

    """
    speaks_of_defect = _BUG_WORDS.search(message) is not None
    for kind, patterns in (("revert", _REVERT), ("named", _NAMED)):
        found: list[tuple[str, str]] = []
        unvouched: list[str] = []
        for label, rx in patterns:
            shas = [m.group("sha").lower() for m in rx.finditer(message)]
            if label in NEEDS_BUG_WORD and not speaks_of_defect:
                unvouched.extend(shas)
            else:
                found.extend((label, sha) for sha in shas)
        if found or unvouched:
            # A revert is only ever a revert, even if it also says what broke.
            found = sorted(set(found), key=lambda f: (message.lower().find(f[1]), f[0]))
            return kind, found, sorted(set(unvouched))
    return "", [], []


def resolve(repo: Path, sha: str) -> tuple[str | None, str]:
    """The full sha a name resolves to, or None and why not."""
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}"],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode == 0:
        return done.stdout.strip(), ""
    probe = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", sha],
        check=False,
        capture_output=True,
        text=True,
    )
    return None, "ambiguous" if "ambiguous" in probe.stderr else "unknown"


def py_changes(repo: Path, sha: str) -> list[tuple[str, str]]:
    """(status, path) of the ``.py`` files a commit changes against its first parent."""
    out = git(repo, "diff-tree", "--root", "-r", "-m", "--first-parent", "--no-commit-id",
              "--name-status", "-M", sha)  # fmt: skip
    changes = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[-1].endswith(".py"):
            changes.append((parts[0][0], parts[-1]))
    return changes


def is_proper_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is reachable from ``descendant`` and not the same commit."""
    if ancestor == descendant:
        return False
    done = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", ancestor, descendant],
        check=False,
        capture_output=True,
    )
    return done.returncode == 0


def mine(name: str, repo: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The repository's summary and the pairs kept from its history."""
    head = git(repo, "rev-parse", "HEAD").strip()
    log = git(repo, "log", "--no-merges", "--format=%H%x00%P%x00%cI%x00%B%x1e", "HEAD")
    pairs: list[dict[str, object]] = []
    rejected: list[dict[str, str]] = []
    scanned = 0
    for entry in log.split("\x1e"):
        if not entry.strip():
            continue
        scanned += 1
        fix, parents, date, message = entry.strip("\n").split("\x00", 3)
        kind, found, unvouched = named_shas(message)
        subject = message.strip().splitlines()[0] if message.strip() else ""

        def reject(sha: str, why: str, fix: str = fix, subject: str = subject) -> None:
            rejected.append({"fix": fix, "named": sha, "reason": why, "subject": subject})

        for sha in unvouched:
            reject(sha, "phrase needs a bug word the message lacks")
        if not found:
            continue

        if len(parents.split()) != 1:
            for _, sha in found:
                reject(sha, "fix is a root commit")
            continue
        fix_changes = py_changes(repo, fix)
        if not any(status != "D" for status, _ in fix_changes):
            for _, sha in found:
                reject(sha, "fix changes no .py file it keeps")
            continue
        inducing: list[str] = []
        phrases: list[str] = []
        shares_file: list[bool] = []
        for label, sha in found:
            full, why = resolve(repo, sha)
            if full is None:
                reject(sha, f"{why} sha")
            elif not is_proper_ancestor(repo, full, fix):
                reject(sha, "not a proper ancestor of the fix")
            elif not (named_changes := py_changes(repo, full)):
                reject(sha, "named commit changes no .py file")
            elif full in inducing:
                phrases.append(label)  # the same commit named by a second phrase
            else:
                inducing.append(full)
                phrases.append(label)
                # Recorded for the reader, never a filter (see the module docstring).
                fixed = {path for _, path in fix_changes}
                shares_file.append(any(path in fixed for _, path in named_changes))
        if inducing:
            pairs.append(
                {
                    "repo": name,
                    "split": split_of(name),
                    "fix": fix,
                    "inducing": inducing,
                    "kind": kind,
                    "phrase": sorted(set(phrases)),
                    "fix_date": date,
                    "subject": subject,
                    "shares_py_path": shares_file,
                }
            )
    summary: dict[str, object] = {
        "head": head,
        "split": split_of(name),
        "commits_scanned": scanned,
        "named": sum(1 for p in pairs if p["kind"] == "named"),
        "revert": sum(1 for p in pairs if p["kind"] == "revert"),
        "rejected": sorted(rejected, key=lambda r: (r["fix"], r["named"])),
    }
    return summary, pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DATA, help="bare clones, <name>.git")
    parser.add_argument("--mirrors", type=Path, default=MIRRORS, help="fetched owner+name/repo")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    repos: dict[str, object] = {}
    pairs: list[dict[str, object]] = []
    for name in REPOS:
        path = args.data / f"{name.split('/')[1]}.git"
        if not path.exists():
            mirror = args.mirrors / name.replace("/", "+") / "repo"
            if not mirror.exists():
                print(f"{name}: neither {path} nor {mirror} exists; skipped", file=sys.stderr)
                continue
            args.data.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["git", "clone", "--quiet", "--bare", str(mirror), str(path)], check=True
            )
        summary, found = mine(name, path)
        repos[name] = summary
        pairs.extend(found)
        print(
            f"{name:28} {summary['split']:9} named {summary['named']:4} "
            f"revert {summary['revert']:4} rejected {len(summary['rejected']):3}"  # type: ignore[arg-type]
        )
    pairs.sort(key=lambda p: (str(p["repo"]), str(p["fix_date"]), str(p["fix"])))
    document = {
        "description": (
            "Fix/inducing pairs from fix commit messages that name the commit that "
            "introduced the bug; built by benchmarks/mine_szz_pairs.py."
        ),
        "split_rule": SPLIT_RULE,
        "patterns": {"named": dict(NAMED), "revert": dict(REVERT)},
        "bug_words": {"phrases": sorted(NEEDS_BUG_WORD), "pattern": BUG_WORDS},
        "filters": [
            "named sha resolves (full or abbreviated, unique) to a proper ancestor of the fix",
            "fix is not a merge",
            "fix changes at least one .py file it does not delete",
            "named commit changes at least one .py file (against its first parent)",
        ],
        "fix_date": "committer date of the fix (git %cI)",
        "repos": repos,
        "pairs": pairs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    named = sum(1 for p in pairs if p["kind"] == "named")
    print(f"{named} named pairs, {len(pairs) - named} reverts -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
