"""Incidents as records, the frames of their stack traces, and how those resolve to code.

An :class:`Incident` is what a reader makes of one row of an export (PagerDuty, Sentry,
GitHub, Jira, loopintel's own format) or of a pasted traceback. It is keyed by
``source`` and ``id``: importing the same incident again replaces it. Its ``raw`` payload
is kept as it came, for audit.

A :class:`Frame` is a stack frame *as printed*: its file is whatever the process saw
(a server path, ``site-packages/pkg/mod.py``, a Windows path). Resolving it to a function
of the repository at the right version gives a :class:`ResolvedFrame`, and a whole stack
a :class:`Resolution` that says which commit it was resolved at and how that commit was
chosen (:class:`VersionSource`).

Links from an incident to code carry :class:`Evidence`, each of an
:class:`EvidenceKind` with a confidence between 0 and 1, strongest first.
"""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - field types stay resolvable at run time
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.functions import FunctionRef  # noqa: TC001 - field types stay resolvable at run time

__all__ = [
    "CodeLink",
    "Evidence",
    "EvidenceKind",
    "Frame",
    "FrameStatus",
    "Incident",
    "IncidentLink",
    "LinkKind",
    "Resolution",
    "ResolvedFrame",
    "ResolvedVersion",
    "VersionSource",
]


class LinkKind(enum.StrEnum):
    """What an incident record says one of its links is."""

    FIX = "fix"
    """A commit that fixed it."""
    CAUSE = "cause"
    """A commit that caused it (named by the people who handled it)."""
    PULL_REQUEST = "pull_request"
    """A pull or merge request (its URL or ``#number``)."""
    ISSUE = "issue"
    """An issue or ticket (its URL, ``#number`` or key such as ``OPS-12``)."""
    OTHER = "other"
    """Any other URL the record names."""


@attrs.frozen
class IncidentLink(Serializable):
    """One link named by an incident record: a commit, pull request, issue or URL."""

    kind: LinkKind
    """What the link is."""
    target: str
    """A commit sha (full or abbreviated), a URL, ``#123`` or a ticket key."""


@attrs.frozen
class Frame(Serializable):
    """One stack frame as printed, outermost first within its exception."""

    file: str
    """The file as printed: a path on the machine that ran the code, maybe Windows'."""
    line: int | None
    """The line number printed, if any."""
    function: str | None
    """The function name printed (``wsgi_app``, ``Flask.wsgi_app`` or ``<module>``)."""
    module: str | None = None
    """The module name, when the source gives one (Sentry does)."""
    in_app: bool | None = None
    """Whether the source marked the frame as the application's own code; ``None``
    when it does not say."""
    code: str | None = None
    """The source line printed under the frame, stripped, if any: it helps find the
    version the frame was printed by."""
    exception: int = 0
    """Which exception of a chain the frame belongs to, in printed order (0 for the
    first printed; the last printed is the one that was raised last)."""


@attrs.frozen
class Incident(Serializable):
    """One incident, from an export of some service or from a pasted traceback.

    Times are timezone-aware; a source that gives naive times is read as UTC, and its
    reader says so in its documentation.
    """

    _shape: ClassVar[Shape] = Shape(computed=("key",), after="id")

    source: str
    """Where it came from: ``pagerduty``, ``sentry``, ``github``, ``jira``,
    ``loopintel`` (the own format), ``traceback`` (pasted text) or ``commits`` (a
    proxy made from a bug-fix commit)."""
    id: str
    """Its id in that source; ``source`` and ``id`` together are its key."""
    title: str
    """Its title or summary; for a traceback, the exception line."""
    severity: str | None = None
    """The severity or priority as the source wrote it (``P1``, ``high``, ``SEV-2``)."""
    severity_rank: int | None = None
    """The severity on one scale, 1 (most severe) to 5 (least), mapped per source as
    documented; ``None`` when the source gave none or one the mapping does not know."""
    type: str | None = None
    """What kind of problem it is (``incident``, ``bug``, ``regression``), as the source
    or a mapping of its labels says."""
    status: str | None = None
    """Its status as the source wrote it (``resolved``, ``open``, ``closed``)."""
    started_at: datetime | None = None
    """When it started (the service's creation time when it says nothing earlier)."""
    detected_at: datetime | None = None
    """When it was detected or reported."""
    resolved_at: datetime | None = None
    """When it was resolved or closed."""
    services: tuple[str, ...] = ()
    """Services (PagerDuty), projects or components (Jira) it concerned."""
    environment: str | None = None
    """The environment it happened in (``production``)."""
    release: str | None = None
    """The release it happened in: a sha, a tag or a version string."""
    links: tuple[IncidentLink, ...] = ()
    """Fix and cause commits, pull requests, issues the record names."""
    frames: tuple[Frame, ...] = ()
    """Stack frames, in printed order (outermost first within each exception)."""
    touched_files: tuple[str, ...] = ()
    """Files the record names as involved."""
    tags: tuple[str, ...] = ()
    """Labels and tags, as ``name`` or ``name:value``."""
    url: str | None = None
    """Where people read it."""
    proxy: bool = False
    """Whether it is no real incident but a bug-fix commit standing in for one, where a
    repository has no incident data; such proxies are never shown as incidents."""
    raw: str | None = attrs.field(default=None, repr=False)
    """The payload as the source gave it (a JSON text, a CSV row as JSON, the pasted
    text), kept for audit."""

    @property
    def key(self) -> str:
        """``source:id``, unique among incidents."""
        return f"{self.source}:{self.id}"

    def commits(self, kind: LinkKind) -> tuple[str, ...]:
        """The targets of its links of one kind (fix or cause commits), in order."""
        return tuple(link.target for link in self.links if link.kind == kind)


class FrameStatus(enum.StrEnum):
    """What became of one frame when it was resolved."""

    RESOLVED = "resolved"
    """Its line lies in a function of the printed name."""
    NAME_MISMATCH = "name-mismatch"
    """Its line lies in a function whose name is not the printed one: flagged, the
    function is still given."""
    NOT_IN_FUNCTION = "not-in-function"
    """Its file is in the repository, its line in no function (module level)."""
    OUTSIDE_REPO = "outside-repo"
    """Its file is not the repository's (the standard library, a third-party package)."""
    AMBIGUOUS = "ambiguous"
    """Its file matches several repository paths equally well; they are listed."""


class VersionSource(enum.StrEnum):
    """How the commit a stack was resolved at was chosen."""

    RELEASE = "release"
    """The incident's release: a sha, a tag, or a version string matched to a tag."""
    INFERRED = "inferred"
    """A commit at which every in-project frame's line lies in a function of its
    printed name (the latest before the incident, tags first)."""
    TIME = "time"
    """The commit current at the incident's time: no version fitted every frame."""
    HEAD = "head"
    """The indexed head: nothing else was known."""


@attrs.frozen
class ResolvedFrame(Serializable):
    """One frame and the function of the repository it resolved to, if any."""

    _shape: ClassVar[Shape] = Shape(flatten=("frame",))

    frame: Frame
    """The frame as printed."""
    status: FrameStatus
    """What became of it."""
    path: str | None = None
    """The repository path its file maps to (``None`` outside the repository or when
    ambiguous)."""
    qualname: str | None = None
    """The function its line lies in, at the resolved commit."""
    lineage: str | None = None
    """That function's lineage id."""
    candidates: tuple[str, ...] = ()
    """The repository paths its file matches equally well, when ambiguous."""


@attrs.frozen
class ResolvedVersion(Serializable):
    """The commit a stack was resolved at, and how it was chosen."""

    commit: str
    """The commit's sha."""
    how: VersionSource
    """How it was chosen."""
    candidates: int
    """How many versions were consistent with every in-project frame (0 when none
    was, or when the release said)."""
    tag: str | None = None
    """The tag it is, when it is one."""


@attrs.frozen
class Resolution(Serializable):
    """A stack resolved to the repository's functions at one version."""

    version: ResolvedVersion
    """The commit it was resolved at."""
    frames: tuple[ResolvedFrame, ...]
    """Every frame, in the order of the stack, outside ones included."""


class EvidenceKind(enum.StrEnum):
    """Why an incident is linked to a function, strongest first."""

    CAUSE_COMMIT = "cause_commit"
    """A cause commit named by the incident changed the function."""
    FIX_COMMIT = "fix_commit"
    """A fix commit named by the incident changed the function."""
    INDUCING_COMMIT = "inducing_commit"
    """SZZ traced a line the fix changed back to a commit that changed the function."""
    FRAME = "frame"
    """A stack frame resolved to the function."""
    TOUCHED_FILE = "touched_file"
    """The incident names the function's file."""
    SERVICE = "service"
    """The incident's service is mapped to paths that hold the function."""
    TIME_WINDOW = "time_window"
    """The function changed in the mapped paths shortly before the incident started."""


@attrs.frozen
class Evidence(Serializable):
    """One reason an incident is linked to a function, with its confidence."""

    kind: EvidenceKind
    """What kind of reason it is."""
    confidence: float
    """Between 0 and 1, set per kind as documented."""
    detail: str
    """The reason in one sentence, for people."""
    commit: str | None = None
    """The commit it rests on (cause, fix, inducing or recent change)."""
    frame: int | None = None
    """The index of the frame it rests on, in the incident's frames."""
    path: str | None = None
    """The file, or the glob of a service mapping, it rests on."""


@attrs.frozen
class CodeLink(Serializable):
    """An incident linked to one function, with every piece of evidence, strongest first."""

    _shape: ClassVar[Shape] = Shape(flatten=("function",), computed=("strongest",))

    incident: str
    """The incident's key (``source:id``)."""
    function: FunctionRef
    """The function, as named at the version the evidence found it in."""
    lineage: str
    """Its lineage id: the link follows it through renames and moves."""
    confidence: float
    """How sure the link is, 0 to 1: the evidence combined as independent reasons
    (``1 - (1 - c1)(1 - c2)...``), so more reasons make it surer, never less sure."""
    evidence: tuple[Evidence, ...]
    """Why, strongest first."""
    head: str | None = None
    """The indexed head it was computed at (``None`` when not stored)."""

    @property
    def strongest(self) -> EvidenceKind | None:
        """The kind of its strongest evidence."""
        return self.evidence[0].kind if self.evidence else None
