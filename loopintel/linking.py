"""Links from an incident to the functions it involved, each with its evidence.

Every piece of evidence has a kind and a confidence set per kind (:data:`CONFIDENCE`,
documented in ``docs/incidents.md``); a link's confidence combines its pieces as
independent reasons (``1 - (1 - c1)(1 - c2)...``; a function's frames count as one
reason, its strongest). The kinds, strongest first:

1. a cause commit the incident names: every function it changed (not cosmetically);
2. a fix commit it names, or a commit whose message closes its issue: every function
   the fix changed; and through SZZ, the functions of the commits that introduced the
   lines it fixed;
3. a stack frame resolved to a function (the innermost in-project frame of the last
   exception counts most, each frame further out a little less);
4. a file the incident names: the functions in it;
5. a service mapped to path globs: the functions under them;
6. a time window: functions changed in the mapped paths (services, named files, frames'
   files) in the days before the incident started, more the closer to the start.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import attrs

from loopintel.model import (
    ChangeKind,
    ChangeType,
    Evidence,
    EvidenceKind,
    FrameStatus,
    FunctionRef,
    Incident,
    LinkKind,
    Resolution,
)
from loopintel.model.incidents import CodeLink
from loopintel.store.queries import ChangeQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from loopintel.model import Change
    from loopintel.sources.services import ServiceMap
    from loopintel.store import Store

__all__ = ["CONFIDENCE", "LinkOptions", "Linker", "combined"]

CONFIDENCE: dict[EvidenceKind, float] = {
    EvidenceKind.CAUSE_COMMIT: 0.95,
    EvidenceKind.FIX_COMMIT: 0.85,
    EvidenceKind.INDUCING_COMMIT: 0.5,
    EvidenceKind.FRAME: 0.8,
    EvidenceKind.TOUCHED_FILE: 0.3,
    EvidenceKind.SERVICE: 0.1,
    EvidenceKind.TIME_WINDOW: 0.5,
}
"""The confidence of each kind of evidence at its strongest (see the module's list)."""

FRAME_STEP = 0.05
"""How much less each frame further out from the innermost in-project frame counts."""
FRAME_FLOOR = 0.5
"""The least a resolved frame counts, however far out."""
MISMATCH = 0.3
"""What a frame counts whose printed function is not the one found at its line."""
EARLIER_EXCEPTION = 0.9
"""Factor for frames of an exception earlier in a chain than the last one raised."""


@attrs.frozen(kw_only=True)
class LinkOptions:
    """How links are made."""

    window: timedelta = timedelta(days=7)
    """How long before an incident's start a change counts as recent."""
    szz: bool = True
    """Trace fix commits to the commits that introduced their lines."""


def combined(evidence: Sequence[Evidence]) -> float:
    """Independent reasons together: ``1 - prod(1 - c)``.

    Frames are one reason however many there are: a function on the stack twice (a
    method re-entered, a handler called while handling) ran no more surely than once,
    so only its strongest frame counts.
    """
    frames = [e.confidence for e in evidence if e.kind is EvidenceKind.FRAME]
    others = [e.confidence for e in evidence if e.kind is not EvidenceKind.FRAME]
    reasons = [*others, max(frames)] if frames else others
    return 1.0 - math.prod(1.0 - c for c in reasons)


class Inducing(Protocol):
    """One commit SZZ traced a fix's lines to (see :meth:`loopintel.Repository.szz`)."""

    @property
    def commit(self) -> str:
        """The commit (full sha)."""

    @property
    def lines(self) -> int:
        """How many of the fix's lines were traced to it."""


class _Collected:
    """Evidence gathered per lineage, with the name the function had where found."""

    def __init__(self) -> None:
        self.names: dict[str, FunctionRef] = {}
        self.evidence: dict[str, list[Evidence]] = {}

    def add(self, lineage: str, ref: FunctionRef, evidence: Evidence) -> None:
        self.names.setdefault(lineage, ref)
        found = self.evidence.setdefault(lineage, [])
        same = (evidence.kind, evidence.commit, evidence.frame)
        if all((e.kind, e.commit, e.frame) != same for e in found):
            found.append(evidence)

    def links(self, incident: str, head: str | None) -> list[CodeLink]:
        out = []
        for lineage, evidence in self.evidence.items():
            ordered = tuple(sorted(evidence, key=lambda e: -e.confidence))
            out.append(
                CodeLink(
                    incident=incident,
                    function=self.names[lineage],
                    lineage=lineage,
                    confidence=round(combined(ordered), 6),
                    evidence=ordered,
                    head=head,
                )
            )
        out.sort(key=lambda link: (-link.confidence, str(link.function)))
        return out


class Linker:
    """Makes the links of incidents, from the index and the incident's own record."""

    def __init__(
        self,
        store: Store,
        *,
        resolve_commit: Callable[[str], str | None],
        resolve_frames: Callable[[Incident], Resolution] | None,
        szz: Callable[[str, datetime | None], Sequence[tuple[Inducing, Sequence[str]]]] | None,
        services: ServiceMap | None,
        options: LinkOptions,
    ) -> None:
        """A linker over one index.

        Args:
            store: the index.
            resolve_commit: a commit as named by a record (maybe abbreviated) to its full
                sha in the index, or ``None``.
            resolve_frames: resolves an incident's stack (``None``: frames are not used).
            szz: a fix commit (and the issue's date) to the commits that introduced what it
                fixed, each with the lineages of the lines traced to it.
            services: the service map, if any.
            options: how links are made.

        """
        self._store = store
        self._resolve_commit = resolve_commit
        self._resolve_frames = resolve_frames
        self._szz = szz
        self._services = services
        self._options = options
        self.notes: list[str] = []
        """What could not be used for the last incident linked (an unknown commit)."""

    def links(self, incident: Incident, resolution: Resolution | None = None) -> list[CodeLink]:
        """The incident's links, most confident first; :attr:`notes` says what was unused."""
        self.notes = []
        found = _Collected()
        for target in incident.commits(LinkKind.CAUSE):
            sha = self._commit(target, "cause")
            if sha is not None:
                self._commit_evidence(found, sha, EvidenceKind.CAUSE_COMMIT, "cause")
        fixes = [
            sha
            for sha in (self._commit(t, "fix") for t in incident.commits(LinkKind.FIX))
            if sha is not None
        ]
        for sha in dict.fromkeys(fixes):
            self._commit_evidence(found, sha, EvidenceKind.FIX_COMMIT, "fix")
            if self._szz is not None and self._options.szz:
                self._inducing_evidence(found, sha, incident.started_at)
        if incident.frames and self._resolve_frames is not None:
            if resolution is None:
                resolution = self._resolve_frames(incident)
            self._frame_evidence(found, resolution)
        self._file_evidence(found, incident, resolution)
        return found.links(incident.key, self._store.meta("head"))

    def _commit(self, target: str, what: str) -> str | None:
        sha = self._resolve_commit(target)
        if sha is None:
            self.notes.append(f"{what} commit {target} is not in the indexed history")
        return sha

    def _changes(self, sha: str) -> list[Change]:
        return [
            c
            for c in self._store.changes(ChangeQuery(commits=(sha,), cosmetic=False))
            if ChangeType.COSMETIC not in c.change_types
        ]

    def _commit_evidence(self, found: _Collected, sha: str, kind: EvidenceKind, what: str) -> None:
        for change in self._changes(sha):
            verb = "deleted" if change.kind is ChangeKind.DELETED else "changed"
            found.add(
                change.lineage,
                FunctionRef(change.path, change.qualname),
                Evidence(
                    kind=kind,
                    confidence=CONFIDENCE[kind],
                    detail=f"{what} commit {sha[:12]} {verb} it ({_types(change)})",
                    commit=sha,
                    path=change.path,
                ),
            )

    def _inducing_evidence(self, found: _Collected, fix: str, issue_date: datetime | None) -> None:
        assert self._szz is not None
        for inducing, lineages in self._szz(fix, issue_date):
            wanted = set(lineages)
            for change in self._changes(inducing.commit):
                if change.lineage not in wanted:
                    continue
                found.add(
                    change.lineage,
                    FunctionRef(change.path, change.qualname),
                    Evidence(
                        kind=EvidenceKind.INDUCING_COMMIT,
                        confidence=CONFIDENCE[EvidenceKind.INDUCING_COMMIT],
                        detail=(
                            f"{inducing.commit[:12]} last changed {inducing.lines} "
                            f"line{'s' if inducing.lines != 1 else ''} the fix "
                            f"{fix[:12]} changed (SZZ)"
                        ),
                        commit=inducing.commit,
                        path=change.path,
                    ),
                )

    def _frame_evidence(self, found: _Collected, resolution: Resolution) -> None:
        frames = resolution.frames
        last = max((f.frame.exception for f in frames), default=0)
        innermost: dict[int, int] = {}
        for position, resolved in enumerate(frames):
            if resolved.lineage is not None:
                innermost[resolved.frame.exception] = position
        for position, resolved in enumerate(frames):
            if resolved.lineage is None or resolved.path is None or resolved.qualname is None:
                continue
            exception = resolved.frame.exception
            # Frames outside the repository in between do not push a frame further out.
            steps = sum(
                1
                for later in frames[position + 1 : innermost[exception] + 1]
                if later.frame.exception == exception and later.lineage is not None
            )
            if resolved.status is FrameStatus.NAME_MISMATCH:
                confidence = MISMATCH
                detail = (
                    f"frame {position + 1} ({resolved.frame.file}:{resolved.frame.line}) lies "
                    f"in it, though the stack printed {resolved.frame.function!r}"
                )
            else:
                confidence = max(CONFIDENCE[EvidenceKind.FRAME] - FRAME_STEP * steps, FRAME_FLOOR)
                where = "the innermost in-project frame" if steps == 0 else f"{steps} out"
                detail = (
                    f"frame {position + 1} ({resolved.frame.file}:{resolved.frame.line}, "
                    f"{where}) resolved to it at {resolution.version.commit[:12]}"
                )
            if exception != last:
                confidence *= EARLIER_EXCEPTION
                detail += " in an earlier exception of the chain"
            found.add(
                resolved.lineage,
                FunctionRef(resolved.path, resolved.qualname),
                Evidence(
                    kind=EvidenceKind.FRAME,
                    confidence=round(confidence, 6),
                    detail=detail,
                    commit=resolution.version.commit,
                    frame=position,
                    path=resolved.path,
                ),
            )

    def _file_evidence(
        self, found: _Collected, incident: Incident, resolution: Resolution | None
    ) -> None:
        head_paths = {path for path, is_file in self._store.head_files_under("") if is_file}
        # Mapped paths: named files, service globs, and the files the stack ran through.
        mapped: dict[str, tuple[EvidenceKind | None, str]] = {}
        """Each mapped path: the kind of evidence it gives its functions, and why."""
        for named in incident.touched_files:
            path = _repository_path(named, head_paths)
            if path is None:
                self.notes.append(f"touched file {named} is not a file at the indexed head")
                continue
            mapped[path] = (EvidenceKind.TOUCHED_FILE, f"the incident names its file {named}")
        if self._services is not None and incident.services:
            runs = self._services.paths(incident.services, sorted(head_paths))
            for path, (service, glob) in runs.items():
                why = f"its service {service} runs {path} (glob {glob})"
                mapped.setdefault(path, (EvidenceKind.SERVICE, why))
        elif incident.services and self._services is None:
            self.notes.append("the incident names services, and no service map is set")
        if resolution is not None:
            for resolved in resolution.frames:
                if resolved.path is not None:
                    mapped.setdefault(resolved.path, (None, ""))
        for path, (kind, why) in mapped.items():
            if kind is None:
                continue
            for function in self._store.functions(path):
                found.add(
                    function.lineage,
                    function.ref,
                    Evidence(kind=kind, confidence=CONFIDENCE[kind], detail=why, path=path),
                )
        start = incident.started_at or incident.detected_at
        if start is None or not mapped:
            return
        window = self._options.window
        since = int((start - window).timestamp())
        until = int(start.timestamp())
        for path in mapped:
            for change in self._store.changes(
                ChangeQuery(path=path, committed_since=since, committed_until=until, cosmetic=False)
            ):
                if change.path != path or ChangeType.COSMETIC in change.change_types:
                    continue
                age = start - change.committed_at
                weight = 1.0 - age / window
                found.add(
                    change.lineage,
                    FunctionRef(change.path, change.qualname),
                    Evidence(
                        kind=EvidenceKind.TIME_WINDOW,
                        confidence=round(
                            CONFIDENCE[EvidenceKind.TIME_WINDOW] * max(weight, 0.1), 6
                        ),
                        detail=(
                            f"changed by {change.commit[:12]} {_age(age)} before the incident "
                            f"started ({_types(change)})"
                        ),
                        commit=change.commit,
                        path=path,
                    ),
                )


def _types(change: Change) -> str:
    return ", ".join(t.value for t in change.change_types) or change.kind.value


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.1f} days"


def _repository_path(named: str, paths: set[str]) -> str | None:
    """A file as an incident names it, as a head path.

    The path itself; else the longest tail of it that is a head path (a server's
    ``/srv/app/pkg/mod.py``); else the one head path that ends with it (``mod.py``).
    """
    clean = named.replace("\\", "/").strip()
    while clean.startswith("./"):
        clean = clean[2:]
    parts = [part for part in clean.split("/") if part]
    for start in range(len(parts)):
        tail = "/".join(parts[start:])
        if tail in paths:
            return tail
    tails = [p for p in paths if p.endswith("/" + "/".join(parts))]
    return tails[0] if len(tails) == 1 else None
