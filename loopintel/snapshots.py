"""Coverage snapshots: a coverage file mapped onto the functions of the commit it measured.

Importing reads the file (:mod:`loopintel.sources.coverage`), finds each measured path
in the commit's tree, reads that version of the file from git, measures every function
in it (:mod:`loopintel.analysis.coverage`) and stores the snapshot, with each
function's lineage so coverage can be followed across renames and moves.
"""

from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from loopintel.analysis.coverage import Body, per_function
from loopintel.errors import CoverageDataError, InvalidQuery, MissingObject
from loopintel.indexing import state_loader
from loopintel.languages import python
from loopintel.sources.coverage import measured_lines, read_coverage

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from loopintel.history.git import GitRepository
    from loopintel.model import CoverageSnapshot
    from loopintel.sources.coverage import CoverageData
    from loopintel.store import CoverageFile, CoverageFunction, Store

__all__ = ["import_coverage", "match_paths"]


def match_paths(
    names: Iterable[str], tree: Iterable[str], *, roots: Sequence[str] = (), workdir: str | None
) -> dict[str, str]:
    """Find measured paths in a commit's tree.

    A path matches when, joined to one of the ``roots`` the data names (relative
    paths) or made relative to the work tree (absolute paths), it is a path of the
    tree; failing that, when tree paths are suffixes of it (data measured in another
    checkout, such as a CI runner's: the longest wins), or it is a suffix of exactly
    one tree path (data relative to a source directory).

    Returns:
        Measured path to tree path, for the paths found.

    """
    paths = set(tree)
    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    base = os.path.realpath(workdir) if workdir else None
    out: dict[str, str] = {}
    for name in names:
        text = name.replace("\\", "/")
        joined = [] if text.startswith("/") else [f"{r.rstrip('/')}/{text}" for r in roots]
        candidates = [_relative(c, base) for c in [*joined, text]]
        found = next((c for c in candidates if c in paths), None)
        if found is None:
            found = next(filter(None, (_by_suffix(c, by_name) for c in candidates)), None)
        if found is not None:
            out[name] = found
    return out


def _relative(path: str, base: str | None) -> str:
    if path.startswith("/") and base is not None:
        real = os.path.realpath(path) if Path(path).exists() else os.path.normpath(path)
        if real == base or real.startswith(base.rstrip("/") + "/"):
            path = os.path.relpath(real, base).replace(os.sep, "/")
    return str(PurePosixPath(path)).removeprefix("./")


def _by_suffix(text: str, by_name: Mapping[str, list[str]]) -> str | None:
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts:
        return None
    longer = [p for p in by_name.get(parts[-1], ()) if ("/" + "/".join(parts)).endswith("/" + p)]
    if longer:
        return max(longer, key=len)
    shorter = [p for p in by_name.get(parts[-1], ()) if ("/" + p).endswith("/" + "/".join(parts))]
    return shorter[0] if len(shorter) == 1 else None


def import_coverage(
    git: GitRepository,
    store: Store,
    file: str | os.PathLike[str],
    *,
    commit: str | None,
    format: str | None,  # noqa: A002
) -> CoverageSnapshot:
    """Import one coverage file as measured at ``commit`` (default: the indexed head).

    The whole snapshot is stored in one transaction, or nothing is. The same file
    imported again for the same commit gives back the snapshot it made the first time.

    Raises:
        CoverageDataError: the file cannot be read, or measured nothing of the commit.
        InvalidQuery: ``commit`` is not a commit of the indexed history.

    """
    target = commit if commit is not None else store.meta("head")
    sha = git.resolve(target) if target else None
    if sha is None or sha not in store.indexed():
        raise InvalidQuery("commit", commit, "a commit of the indexed history")
    data = read_coverage(file, format=format)
    known = store.coverage_snapshot_with(sha, data.digest)
    if known is None:
        known = _store_snapshot(git, store, file, sha, data)
    return store.coverage_snapshots(only=known)[0]


def _store_snapshot(
    git: GitRepository, store: Store, file: str | os.PathLike[str], sha: str, data: CoverageData
) -> int:
    if not data.files:
        raise CoverageDataError.single(str(file), "it measured no files")
    tree = git.python_blobs(sha)
    matched = match_paths((f.path for f in data.files), tree, roots=data.roots, workdir=git.workdir)
    if not matched:
        raise CoverageDataError.single(
            str(file),
            f"none of its {len(data.files)} measured files is a Python file of commit "
            f"{sha[:12]} (first: {data.files[0].path}); data of another repository?",
        )
    state = state_loader(store)(sha)
    files, functions, stale = _measure(git, data, matched, tree, state)
    unmatched = sorted(f.path for f in data.files if f.path not in matched)
    snapshot = (
        sha,
        data.format,
        str(Path(file).resolve()),
        int(time.time()),
        data.measured_at,
        data.has_contexts,
        unmatched,
        stale,
        data.digest,
    )
    with store.transaction():
        return store.add_coverage(snapshot, files, functions)


def _measure(
    git: GitRepository,
    data: CoverageData,
    matched: Mapping[str, str],
    tree: Mapping[str, str],
    state: Mapping[str, Mapping[str, str]],
) -> tuple[list[CoverageFile], list[CoverageFunction], list[str]]:
    files: list[CoverageFile] = []
    functions: list[CoverageFunction] = []
    stale: list[str] = []
    sources: dict[str, bytes] = {}
    missing: list[tuple[str, str]] = []
    for found in sorted(set(matched.values())):
        try:
            sources[found] = git.blob(tree[found])
        except MissingObject as exc:
            missing.append((found, exc.oid))
    if missing:
        # A snapshot is whole or not at all: measured files that cannot be mapped to
        # their functions would read as unmeasured.
        first, oid = missing[0]
        raise CoverageDataError.single(
            data.source,
            f"{len(missing)} measured file version{'' if len(missing) == 1 else 's'} "
            f"of the commit {'is' if len(missing) == 1 else 'are'} missing from the "
            f"repository (first: {first}, missing object {oid}); fetch them (in a partial "
            "clone: loopintel index --fetch-missing) and import again",
        )
    for measured in data.files:
        path = matched.get(measured.path)
        if path is None:
            continue
        blob = tree[path]
        source = sources[path]
        text, _ = python.decode(source)
        executed, coverable, contexts = measured_lines(measured, text, data.exclude)
        length = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if max(executed | coverable, default=0) > length:
            stale.append(path)
        per_test: dict[str, list[int]] | None = None
        if contexts is not None:
            per_test = {}
            for line, tests in contexts.items():
                for test in tests:
                    per_test.setdefault(test, []).append(line)
        files.append((path, blob, executed, coverable, per_test))
        bodies = python.function_bodies(source) or []
        lineages = state.get(path, {})
        results = per_function(
            [Body(span.start, span.end, first) for span, first in bodies],
            executed,
            coverable,
            contexts,
        )
        for (span, _), result in zip(bodies, results, strict=True):
            functions.append(
                (
                    path,
                    span.qualname,
                    lineages.get(span.qualname),
                    span.start,
                    span.end,
                    result.covered,
                    result.coverable,
                    result.missing,
                    None if result.tests is None else sorted(result.tests),
                )
            )
    return files, functions, stale
