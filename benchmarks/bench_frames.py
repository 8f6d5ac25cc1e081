"""How long resolving a stack takes on an indexed corpus repository, version inference included.

In-process figures (the index already built and open; no process start), per traceback
of ``tests/data/tracebacks/<repo>-*.txt``:

1. cold: a new :class:`~loopintel.frames.FrameResolver` (no parsed file kept), release
   withheld, so the version is inferred;
2. warm: the same resolver asked again (what a long-lived service sees);
3. told: a cold resolver given the release (the floor inference is measured against).

The ratio cold / told says what inference costs over being told the release. It only
reports; nothing here asserts a time. Usage, from the repository root::

    python benchmarks/bench_frames.py                 # flask and requests, from the corpus
    python benchmarks/bench_frames.py --repos flask --runs 5

The corpus bundles are looked up in ``$LOOPINTEL_CORPUS``, else
``<repo>/../shared/corpus`` (``--corpus``); when absent the benchmark says so and
exits cleanly.

A last row per repository resolves a stack of 20 frames made from an untagged commit
(:func:`synthetic_stack`), where inference has to read the commits between tags.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import loopintel
from loopintel.frames import FrameResolver
from loopintel.history.git import GitRepository
from loopintel.languages import python
from loopintel.model import Frame, FrameStatus
from loopintel.store import Store

ROOT = Path(__file__).resolve().parent.parent
TRACEBACKS = ROOT / "tests" / "data" / "tracebacks"
_FRAME = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+), in (?P<function>.+)$')
_RELEASE = re.compile(r"^[a-z]+-(?P<release>\d[^-]*)-")


def frames_of(text: str) -> list[Frame]:
    """The frames of a printed traceback, with the source line under each."""
    lines = text.splitlines()
    out = []
    exception = 0
    for i, line in enumerate(lines):
        if line.startswith(("During handling", "The above exception")):
            exception += 1
        found = _FRAME.match(line)
        if found is None:
            continue
        after = lines[i + 1] if i + 1 < len(lines) else ""
        code = after.strip() if after.startswith("    ") and not _FRAME.match(after) else None
        out.append(
            Frame(
                file=found["file"],
                line=int(found["line"]),
                function=found["function"],
                code=code,
                exception=exception,
            )
        )
    return out


def synthetic_stack(git: GitRepository, store: Store, size: int) -> tuple[str, list[Frame]]:
    """A stack printed at an untagged commit: ``size`` frames, one per function.

    The commit is the middle one of those that changed the largest file of the head;
    the frames run through the first functions of its largest files, each at the first
    line after its ``def`` line, with that line's text, as a traceback prints them.
    """
    head = store.meta("head")
    assert head is not None
    tagged = {sha for _, sha, _ in git.tags()}
    blobs = git.python_blobs(head)
    largest = max(blobs, key=lambda p: len(git.blob(blobs[p])))
    commits = [sha for sha, _, _ in store.commits_changing([largest]) if sha not in tagged]
    sha = commits[len(commits) // 2]
    at = git.python_blobs(sha)
    frames: list[Frame] = []
    for path in sorted(at, key=lambda p: -len(git.blob(at[p]))):
        data = git.blob(at[path])
        layout = python.parse_layout(data).layout
        if layout is None:
            continue
        lines = python.decode(data)[0].split("\n")
        for span in python.function_spans(layout)[:8]:
            header = next(
                (n for n in range(span.start, span.end + 1) if "def " in lines[n - 1]), span.end
            )
            line = next((n for n in range(header + 1, span.end + 1) if lines[n - 1].strip()), None)
            if line is None:
                continue
            frames.append(
                Frame(
                    file=f"/srv/venv/lib/python3.12/site-packages/{path.removeprefix('src/')}",
                    line=line,
                    function=span.qualname.rsplit(".", 1)[-1].split("#")[0],
                    code=lines[line - 1].strip(),
                )
            )
            if len(frames) == size:
                return sha, frames
    return sha, frames


def _median(runs: int, call: object) -> float:
    assert callable(call)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(name: str, corpus: Path, runs: int) -> None:
    bundle = corpus / f"{name}.bundle"
    files = sorted(TRACEBACKS.glob(f"{name}-*.txt"))
    if not files:
        print(f"{name}: no tracebacks in {TRACEBACKS}")
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"{name}.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(path)], check=True)
        index = Path(scratch) / "index.sqlite3"
        with loopintel.open(path, index_path=index):
            pass
        git = GitRepository(path)
        store = Store(index)
        try:
            print(f"\n{name} ({len(files)} tracebacks, median of {runs} runs, in-process)")
            print(f"{'traceback':44} {'frames':>6} {'cold ms':>8} {'warm ms':>8} "
                  f"{'told ms':>8} {'ratio':>6}  version")  # fmt: skip
            for file in files:
                frames = frames_of(file.read_text())
                release = _RELEASE.match(file.name)
                told = release["release"] if release else None
                cold = _median(runs, lambda f=frames: FrameResolver(git, store).resolve(f))
                warm_resolver = FrameResolver(git, store)
                warm_resolver.resolve(frames)
                warm = _median(runs, lambda f=frames, w=warm_resolver: w.resolve(f))
                given = _median(
                    runs,
                    lambda f=frames, r=told: FrameResolver(git, store).resolve(f, release=r),
                )
                result = FrameResolver(git, store).resolve(frames)
                version = result.version
                resolved = sum(f.status is FrameStatus.RESOLVED for f in result.frames)
                print(
                    f"{file.name:44} {len(frames):>6} {cold * 1000:>8.1f} {warm * 1000:>8.1f} "
                    f"{given * 1000:>8.1f} {cold / given:>6.1f}  {version.how.value} "
                    f"{version.tag or version.commit[:12]} ({version.candidates} consistent, "
                    f"{resolved} frames resolved)"
                )
            sha, frames = synthetic_stack(git, store, 20)
            cold = _median(runs, lambda: FrameResolver(git, store).resolve(frames))
            given = _median(runs, lambda: FrameResolver(git, store).resolve(frames, release=sha))
            result = FrameResolver(git, store).resolve(frames)
            version = result.version
            resolved = sum(f.status is FrameStatus.RESOLVED for f in result.frames)
            paths = {f.path for f in result.frames if f.path is not None}
            same = all(git.blob_at(sha, p) == git.blob_at(version.commit, p) for p in paths)
            right = (
                "the commit it was made at"
                if version.commit == sha
                else f"not {sha[:12]}; its frames' files "
                + ("identical" if same else "differ, not at the frames' lines")
            )
            print(
                f"{'20 frames at untagged ' + sha[:12]:44} {len(frames):>6} {cold * 1000:>8.1f} "
                f"{'':>8} {given * 1000:>8.1f} {cold / given:>6.1f}  {version.how.value} "
                f"{version.tag or version.commit[:12]}, {right} ({version.candidates} "
                f"consistent, {resolved} frames resolved)"
            )
        finally:
            store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repos", nargs="+", default=["flask", "requests"])
    parser.add_argument("--runs", type=int, default=5)
    corpus = os.environ.get("LOOPINTEL_CORPUS") or ROOT.parent / "shared" / "corpus"
    parser.add_argument("--corpus", type=Path, default=Path(corpus))
    args = parser.parse_args()
    if shutil.which("git") is None:
        print("git is needed to clone the corpus bundles")
        return 0
    for name in args.repos:
        if not (args.corpus / f"{name}.bundle").exists():
            print(f"{name}: corpus bundle not found in {args.corpus}; skipped")
            continue
        bench(name, args.corpus, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
