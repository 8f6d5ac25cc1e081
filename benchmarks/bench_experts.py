r"""Replay evaluation of expertise rankings: who, ranked from the past, makes the next change.

"Who knows this code" cannot be asked of the people themselves, so this replays a
repository's history (the standard proxy): the index's function changes are walked in
commit graph order, cosmetic ones left out. After a warm-up (the first 20% of the commits
that changed functions), before each change of a function that is not its introduction,
the function's authors are ranked from the changes made BEFORE that commit only, and the
change's author is scored: hit@1 (ranked first), hit@3 (in the top three) and the
reciprocal rank (0 when the author had never touched it: such events are misses for
every ranker, and their share is reported). The same for files (a change's path; the
function changes under it, one touch per commit) and directories (the path's parent
directory, one touch per commit).

Every ranker sees the same touches ``(author, timestamp, introduced)`` and the moment of
the event, and returns author keys best first (:data:`Ranker`). Baselines: ``last``
(latest toucher first), ``most-changes``, ``surviving-lines`` (``git blame`` at the
parent of the event's commit; expensive, so scored on a smaller sample beside the
others), ``doa`` (undecayed degree of authorship) and ``doa-decayed`` (loopintel's
default, half-life 365 days). Candidates: ``recent-changes``, ``doa-x-recency``,
``doa-evidence-decayed`` and ``recent-since``, then three that weigh recency against
frequency: ``two-scale``, ``since-share`` and ``presence`` (see each function); and
``loopintel``, the ranking loopintel ships (:func:`shipped`: the library's own
``expertise()``, called as its ``experts()`` call it, with the weights the library
learns from the history before each event, :class:`Learned`), beside the fixed ranking
those weights start from. The half-life H of the first four is chosen on flask and
requests only (``--choose-half-life``), then the constants of the other three
(``--choose-blend``, with that H), then the learned ranking's window and prior strength
(``--choose-model``), and all are applied untouched to every repository.

It only reports; nothing asserts. Usage, from the repository root::

    python benchmarks/bench_experts.py --choose-half-life          # flask + requests
    python benchmarks/bench_experts.py --half-life 90 --choose-blend \
        --json benchmarks/data/expert-blend.json                     # flask + requests
    python benchmarks/bench_experts.py --choose-model \
        --json benchmarks/data/expert-model.json                     # flask + requests
    python benchmarks/bench_experts.py --half-life 90 --out docs/expert-benchmarks.md \
        --json benchmarks/data/expert-results.json

Repositories are bare clones under ``--data`` (default ``/work/data/eb``), named
``<repo>.git`` (``git clone --bare`` of the corpus bundle or of a public repository);
each is indexed by ``loopintel.open`` on first use. A repository that is absent is
skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import posixpath
import random
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import loopintel
from loopintel.analysis.expert_model import (
    PRIOR_STRENGTH,
    REFIT_CHANGES,
    WINDOW,
    Activity,
    learn_weights,
    level_touches,
)
from loopintel.analysis.knowledge import (
    DOA_INTERCEPT,
    Touch,
    degree_of_authorship,
    expertise,
    prior_weights,
)
from loopintel.languages.python import function_spans, parse_layout
from loopintel.model import ChangeKind, ChangeType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    import numpy as np
    from numpy.typing import NDArray

    Ranker = Callable[[Sequence[Touch], int], list[str]]

ROOT = Path(__file__).resolve().parent.parent
DATA = Path("/work/data/eb")
DEFAULT_REPOS = ("flask", "requests", "click", "werkzeug", "attrs")
TUNING_REPOS = ("flask", "requests")
HALF_LIVES = (90.0, 180.0, 365.0, 730.0)
LEVELS = ("function", "file", "directory")
WARM_UP = 0.2
MAX_EVENTS = 4000
MAX_BLAME_EVENTS = 600
SEED = 20261206
DAY = 86400.0
_FA, _DL, _AC = 1.098, 0.164, 0.321
BASELINES = ("last", "most-changes", "doa", "doa-decayed")
"""The baselines scored on every event (``surviving-lines`` is scored on the blame sample)."""


# --- rankers: (touches, now) -> author keys, best first ---------------------------------


def _latest(touches: Sequence[Touch]) -> dict[str, int]:
    """Author key to the position of their latest touch (history order)."""
    return {t.author: i for i, t in enumerate(touches)}


def _by_score(scores: Mapping[str, float], latest: Mapping[str, int]) -> list[str]:
    """Authors by score, ties to whoever touched last."""
    return sorted(scores, key=lambda a: (-round(scores[a], 12), -latest[a]))


def _weight(timestamp: int, now: int, half_life_days: float) -> float:
    return float(0.5 ** (max(0.0, now - timestamp) / DAY / half_life_days))


def rank_last(touches: Sequence[Touch], now: int) -> list[str]:  # noqa: ARG001 - a Ranker
    """Baseline: the latest toucher first, then the one before (recency order)."""
    latest = _latest(touches)
    return sorted(latest, key=lambda a: -latest[a])


def rank_most_changes(touches: Sequence[Touch], now: int) -> list[str]:  # noqa: ARG001
    """Baseline: most changes first, ties to the most recent."""
    counts: dict[str, float] = defaultdict(float)
    for t in touches:
        counts[t.author] += 1
    return _by_score(counts, _latest(touches))


def rank_doa(touches: Sequence[Touch], now: int, *, half_life_days: float | None) -> list[str]:
    """Baselines ``doa`` and ``doa-decayed``: loopintel's degree of authorship."""
    return [a.author for a in degree_of_authorship(touches, now=now, half_life_days=half_life_days)]


def rank_surviving_lines(touches: Sequence[Touch], lines: Mapping[str, int]) -> list[str]:
    """Baseline: most lines surviving at the moment (blame), ties to the latest toucher.

    Everyone blame names is ranked (also people whose changes the index did not count),
    then the touchers with no surviving line, most recent first.
    """
    latest = _latest(touches)
    people = set(lines) | set(latest)
    return sorted(people, key=lambda a: (-lines.get(a, 0), -latest.get(a, -1), a))


def recent_changes(touches: Sequence[Touch], now: int, *, half_life_days: float) -> list[str]:
    """Candidate: each change counts ``0.5 ** (age / H)``; most recent weight first.

    Frequency and recency in one number: an author with many old changes and one with a
    few recent ones are weighed on the same scale, and nothing else enters.
    """
    scores: dict[str, float] = defaultdict(float)
    for t in touches:
        scores[t.author] += _weight(t.timestamp, now, half_life_days)
    return _by_score(scores, _latest(touches))


def _undecayed_doa(touches: Sequence[Touch]) -> dict[str, float]:
    own: dict[str, int] = defaultdict(int)
    first: set[str] = set()
    for t in touches:
        own[t.author] += 1
        if t.introduced:
            first.add(t.author)
    total = len(touches)
    return {
        a: DOA_INTERCEPT + _FA * (a in first) + _DL * n - _AC * math.log1p(total - n)
        for a, n in own.items()
    }


def doa_x_recency(touches: Sequence[Touch], now: int, *, half_life_days: float) -> list[str]:
    """Candidate: undecayed DOA times ``0.5 ** (age of the author's own last touch / H)``.

    The model orders people by what they did; recency multiplies it once per person, so
    decay cannot change the balance between the model's terms. With the intercept in
    the product, recency weighs heavily: people within a few points of DOA are ordered
    by how recently they worked on it.
    """
    doa = _undecayed_doa(touches)
    last: dict[str, int] = {}
    for t in touches:
        last[t.author] = max(last.get(t.author, t.timestamp), t.timestamp)
    scores = {a: d * _weight(last[a], now, half_life_days) for a, d in doa.items()}
    return _by_score(scores, _latest(touches))


def doa_evidence_decayed(touches: Sequence[Touch], now: int, *, half_life_days: float) -> list[str]:
    """Candidate: DOA whose author's own evidence fades, ranked on the evidence terms.

    ``1.098 * FA' + 0.164 * DL' - 0.321 * ln(1 + AC)``, FA' and DL' decayed by
    ``0.5 ** (age / H)`` per change, AC (everybody else's changes) counted as made.
    Ranking by DOA minus its intercept, with every term decayed, would order people
    exactly as ``doa-decayed`` does (a constant shift keeps the order), so that variant
    is not separately measurable; what flattens today's ranking is that decaying AC
    also forgives the rework by others, which does not make old knowledge fresher.
    Here what you did fades, what others did to the code since stays against you.
    """
    own: dict[str, float] = defaultdict(float)
    created: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for t in touches:
        w = _weight(t.timestamp, now, half_life_days)
        own[t.author] += w
        count[t.author] += 1
        if t.introduced:
            created[t.author] = max(created[t.author], w)
    total = len(touches)
    scores = {a: _FA * created[a] + _DL * own[a] - _AC * math.log1p(total - count[a]) for a in own}
    return _by_score(scores, _latest(touches))


def recent_since(touches: Sequence[Touch], now: int, *, half_life_days: float) -> list[str]:
    """Candidate: ``recent-changes`` divided by ``1 +`` the rework by others since you left.

    ``sum(0.5 ** (age / H)) / (1 + AC_since)``, AC_since the changes by others after the
    author's own latest one. Two kinds of forgetting: time (the decay of each change)
    and the code moving on without you (each change by someone else since your last one
    makes what you knew less true). DOA's AC counts all of the others' changes, also
    those made before yours, which you saw; this counts only those made since.
    """
    own: dict[str, float] = defaultdict(float)
    for t in touches:
        own[t.author] += _weight(t.timestamp, now, half_life_days)
    latest = _latest(touches)
    # Every touch after an author's latest one is by somebody else.
    scores = {a: w / (len(touches) - latest[a]) for a, w in own.items()}
    return _by_score(scores, latest)


def two_scale(
    touches: Sequence[Touch],
    now: int,
    *,
    short_days: float,
    long_days: float,
    weight: float,
) -> list[str]:
    """Candidate: two decays of the same changes, a short one for recency, a long one for knowledge.

    ``sum(0.5 ** (age / S)) + w * sum(0.5 ** (age / L))`` (``L`` infinite: plain change
    count). While somebody has worked on the code lately, the short term orders people;
    when every change is old the short term has faded for everybody and the long term,
    accumulated knowledge, decides, so a maintainer who comes back after a quiet spell
    is found by how much of the code is his.
    """
    scores: dict[str, float] = defaultdict(float)
    for t in touches:
        long_weight = 1.0 if math.isinf(long_days) else _weight(t.timestamp, now, long_days)
        scores[t.author] += _weight(t.timestamp, now, short_days) + weight * long_weight
    return _by_score(scores, _latest(touches))


def since_share(
    touches: Sequence[Touch], now: int, *, half_life_days: float, weight: float
) -> list[str]:
    """Candidate: ``recent-since``'s share blended with the author's share of all changes.

    ``(1 - w) * RS_a / sum(RS) + w * n_a / N``, RS the ``recent-since`` score, ``n_a``
    the author's changes to the element and ``N`` all of them. Both terms are shares
    (they sum to one over the authors), so ``w`` reads directly as how much of the
    ranking is long-run frequency and how much recent, still-current work.
    """
    own: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for t in touches:
        own[t.author] += _weight(t.timestamp, now, half_life_days)
        count[t.author] += 1
    latest = _latest(touches)
    rs = {a: w / (len(touches) - latest[a]) for a, w in own.items()}
    total_rs = sum(rs.values()) or 1.0
    scores = {a: (1 - weight) * rs[a] / total_rs + weight * count[a] / len(touches) for a in rs}
    return _by_score(scores, latest)


Presence = dict[str, list[tuple[int, str, int]]]
"""Element key to its cosmetic-only touches ``(commit position, author, author time)``,
in history order."""


def with_presence(
    rank: Ranker, presence: Presence
) -> Callable[[Event, Sequence[Touch]], list[str]]:
    """Candidate wrapper: cosmetic changes count as presence, never as knowledge.

    The base ranking orders everyone who changed the element in substance; after them
    come the people whose only changes to it before the event were cosmetic
    (reformatting, comments), most recent first. They are not ranked above anybody
    who changed the code, but they are not absent either: whoever reformatted a file
    was around it. This is the only ranker whose hit@3 can exceed ``1 - new``.
    """

    def ranked(event: Event, touches: Sequence[Touch]) -> list[str]:
        base = rank(touches, event.now)
        known = set(base)
        extra: dict[str, int] = {}
        for position, author, _ in presence.get(event.key, ()):
            if position >= event.position:
                break
            if author not in known:
                extra[author] = position
        return base + sorted(extra, key=lambda a: -extra[a])

    return ranked


SHIPPED = "loopintel"
"""The label of the ranking loopintel ships (:func:`shipped`)."""
PRIOR = "fixed (the learned ranking's prior)"
"""The label of the ranking with the weights the learning starts from."""
SHIPPED_HALF_LIFE = 365.0
"""The half-life loopintel's ``experts()`` use by default."""


class Learned:
    """The weights loopintel ships for one level, learned as the library learns them.

    At each event, the weights are those :func:`loopintel.ownership.expertise_weights`
    would hold for an index of the history before the event's commit: learned by
    :func:`loopintel.analysis.expert_model.learn_weights` from the level's latest
    events before that commit, and learned again once the history holds
    :data:`~loopintel.analysis.expert_model.REFIT_CHANGES` more function changes than
    when they were last learned. Nothing of the event or after it is seen.
    """

    def __init__(
        self,
        repo: loopintel.Repository,
        level: str,
        *,
        window: int = WINDOW,
        strength: float = PRIOR_STRENGTH,
    ) -> None:
        import numpy as np  # noqa: PLC0415 - only the learned ranking needs it

        self.window, self.strength = window, strength
        store = repo._store  # noqa: SLF001 - the index's columns and commits, as the library reads them
        columns = store.columns()
        self.touches = level_touches(columns, level)
        emails, times = store.commit_authors()
        self.activity = Activity(emails, np.array(times, dtype=np.int64))
        # The bench numbers commits that changed functions from 0; the index by seq.
        self.seqs, counts = np.unique(columns.seq, return_counts=True)
        self.changes_before = np.concatenate([[0], np.cumsum(counts)])
        self.fitted_at: int | None = None
        self.weights = prior_weights()
        self.fits = 0

    def at(self, position: int) -> NDArray[np.float64]:
        """The weights in force just before the commit at ``position``."""
        changes = int(self.changes_before[position])
        if self.fitted_at is None or changes - self.fitted_at >= REFIT_CHANGES:
            self.weights, _ = learn_weights(
                self.touches,
                self.activity,
                before=int(self.seqs[position]),
                window=self.window,
                strength=self.strength,
            )
            self.fitted_at = changes
            self.fits += 1
        return self.weights

    def active(self, authors: Iterable[str], now: int) -> dict[str, int]:
        """Each author's commits in the 90 days before ``now`` (the ranking's activity)."""
        import numpy as np  # noqa: PLC0415

        keys = sorted(set(authors))
        counts = self.activity.counts(
            keys, np.arange(len(keys), dtype=np.int64), np.full(len(keys), now, dtype=np.int64)
        )
        return {k: int(c) for k, c in zip(keys, counts, strict=True)}


def shipped(
    presence: Presence, learned: Learned | None = None
) -> Callable[[Event, Sequence[Touch]], list[str]]:
    """The ranking loopintel ships: :func:`loopintel.analysis.knowledge.expertise` itself.

    Not a reimplementation: the library's function is called on the element's touches
    before the event, with its cosmetic-only touches before the event passed as
    ``cosmetic=True`` (as ``FunctionView.experts()`` and ``repo.experts(path)`` do), at
    a 365-day half-life, with the weights the library would have learned by then
    (``learned``; without it, the fixed ranking of its prior) and each author's commits
    in the 90 days before the event. Every touch carries its commit's place in history
    order, as the library's own callers pass it, so "the changes others made since" are
    counted in that order; ties go to the latest timestamp (then the author key), and
    the cosmetic-only people are ordered by their latest timestamp.
    """

    def ranked(event: Event, touches: Sequence[Touch]) -> list[str]:
        tidied = [
            Touch(author, timestamp, introduced=False, cosmetic=True, order=position)
            for position, author, timestamp in presence.get(event.key, ())
            if position < event.position
        ]
        every = [*touches, *tidied]
        standings = expertise(
            every,
            now=event.now,
            half_life_days=SHIPPED_HALF_LIFE,
            weights=None if learned is None else learned.at(event.position),
            activity=None
            if learned is None
            else learned.active((t.author for t in every), event.now),
        )
        return [s.author for s in standings]

    return ranked


class Blend(NamedTuple):
    """The constants of the recency-and-frequency candidates (chosen on flask and requests)."""

    short_days: float = 90.0
    long_days: float = math.inf
    two_scale_weight: float = 0.05
    since_share_half_life: float = 90.0
    since_share_weight: float = 0.2
    presence_base: str = "recent-since"


def _base(blend: Blend, half_life_days: float) -> Ranker:
    """The ranking ``presence`` extends, by name."""
    bases: dict[str, Ranker] = {
        "recent-since": partial(recent_since, half_life_days=half_life_days),
        "two-scale": partial(
            two_scale,
            short_days=blend.short_days,
            long_days=blend.long_days,
            weight=blend.two_scale_weight,
        ),
        "since-share": partial(
            since_share,
            half_life_days=blend.since_share_half_life,
            weight=blend.since_share_weight,
        ),
    }
    return bases[blend.presence_base]


def _days(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:g}"


def blend_rankers(blend: Blend) -> dict[str, Ranker]:
    """The two blended candidates with their constants in the label."""
    b = blend
    return {
        f"two-scale (S={_days(b.short_days)}, L={_days(b.long_days)}, w={b.two_scale_weight:g})": (
            partial(
                two_scale, short_days=b.short_days, long_days=b.long_days, weight=b.two_scale_weight
            )
        ),
        f"since-share (H={_days(b.since_share_half_life)}, w={b.since_share_weight:g})": partial(
            since_share, half_life_days=b.since_share_half_life, weight=b.since_share_weight
        ),
    }


def presence_label(blend: Blend) -> str:
    return f"presence ({blend.presence_base})"


def rankers(half_life_days: float) -> dict[str, Ranker]:
    """Every ranker scored on every event, the candidates with this half-life."""
    h = half_life_days
    return {
        "last": rank_last,
        "most-changes": rank_most_changes,
        "doa": partial(rank_doa, half_life_days=None),
        "doa-decayed": partial(rank_doa, half_life_days=365.0),
        f"recent-changes (H={h:g})": partial(recent_changes, half_life_days=h),
        f"doa-x-recency (H={h:g})": partial(doa_x_recency, half_life_days=h),
        f"doa-evidence-decayed (H={h:g})": partial(doa_evidence_decayed, half_life_days=h),
        f"recent-since (H={h:g})": partial(recent_since, half_life_days=h),
    }


def tunable(half_life_days: float) -> dict[str, Ranker]:
    """The candidates that have a half-life, for choosing it."""
    h = half_life_days
    return {
        "recent-changes": partial(recent_changes, half_life_days=h),
        "doa-x-recency": partial(doa_x_recency, half_life_days=h),
        "doa-evidence-decayed": partial(doa_evidence_decayed, half_life_days=h),
        "recent-since": partial(recent_since, half_life_days=h),
    }


# --- replay -------------------------------------------------------------------------------


class Event(NamedTuple):
    """One scored moment: a change of an element, with what was known before it."""

    level: str
    key: str
    """Lineage, file path or directory."""
    before: int
    """How many of the element's touches precede the event."""
    author: str
    now: int
    parent: str | None
    """The commit the event's commit was compared with (blame runs there)."""
    path: str | None
    """File to blame at the parent (``None``: directories, not blamed)."""
    qualname: str | None
    """Function to blame at the parent (``None``: the whole file)."""
    position: int
    """The event's commit's place in history order (for presence touches before it)."""


class Replay(NamedTuple):
    """A repository's history as touches per element, and the events to score."""

    touches: dict[str, dict[str, list[Touch]]]
    """Level to element key to its touches in history order."""
    events: dict[str, list[Event]]
    """Level to every event after the warm-up, in history order."""
    commits: int
    warm_up: int
    presence: dict[str, Presence]
    """Level to element key to its cosmetic-only touches."""


def _directory(path: str) -> str:
    return posixpath.dirname(path) or "."


def replay(repo: loopintel.Repository) -> Replay:
    """Touches and events of every level from the index's non-cosmetic function changes."""
    by_commit: dict[str, list[loopintel.Change]] = {}
    for change in repo.changes():
        by_commit.setdefault(change.commit, []).append(change)
    warm_up = int(len(by_commit) * WARM_UP)
    touches: dict[str, dict[str, list[Touch]]] = {level: defaultdict(list) for level in LEVELS}
    events: dict[str, list[Event]] = {level: [] for level in LEVELS}
    introduced: dict[str, set[str]] = {"file": set(), "directory": set()}
    presence: dict[str, Presence] = {level: defaultdict(list) for level in LEVELS}
    for position, changes in enumerate(by_commit.values()):
        counted = [c for c in changes if ChangeType.COSMETIC not in c.change_types]
        cosmetic = [c for c in changes if ChangeType.COSMETIC in c.change_types]
        if cosmetic:
            who = cosmetic[0].author_email
            when = int(cosmetic[0].authored_at.timestamp())
            for level, substantive, touched in (
                ("function", {c.lineage for c in counted}, {c.lineage for c in cosmetic}),
                ("file", {c.path for c in counted}, {c.path for c in cosmetic}),
                (
                    "directory",
                    {_directory(c.path) for c in counted},
                    {_directory(c.path) for c in cosmetic},
                ),
            ):
                for key in sorted(touched - substantive):
                    presence[level][key].append((position, who, when))
        if not counted:
            continue
        first = counted[0]
        author, now, parent = first.author_email, int(first.authored_at.timestamp()), first.parent
        scored = position >= warm_up
        seen: set[str] = set()
        for c in counted:
            if c.lineage in seen:
                continue
            seen.add(c.lineage)
            history = touches["function"][c.lineage]
            added = c.kind is ChangeKind.ADDED
            if scored and not added:
                old_path = c.old_path or c.path
                old_name = c.old_qualname or c.qualname
                events["function"].append(
                    Event(
                        "function",
                        c.lineage,
                        len(history),
                        author,
                        now,
                        parent,
                        old_path,
                        old_name,
                        position,
                    )
                )
            history.append(Touch(author, now, added and not history, order=position))
        for level, keys in (
            ("file", {c.path: c for c in counted}),
            ("directory", {_directory(c.path): c for c in counted}),
        ):
            for key in sorted(keys):
                history = touches[level][key]
                if scored and history:
                    target = key if level == "file" else None
                    events[level].append(
                        Event(level, key, len(history), author, now, parent, target, None, position)
                    )
                adds = any(
                    c.kind is ChangeKind.ADDED
                    and (c.path if level == "file" else _directory(c.path)) == key
                    for c in counted
                )
                fresh = adds and key not in introduced[level]
                if fresh:
                    introduced[level].add(key)
                history.append(Touch(author, now, fresh, order=position))
    return Replay(touches, events, len(by_commit), warm_up, presence)


def sample(events: Sequence[Event], size: int, seed: int) -> list[Event]:
    """At most ``size`` events drawn uniformly (fixed seed), kept in history order."""
    if len(events) <= size:
        return list(events)
    chosen = sorted(
        random.Random(seed).sample(  # noqa: S311 - a reproducible sample, not a secret
            range(len(events)), size
        )
    )
    return [events[i] for i in chosen]


class Score(NamedTuple):
    """A ranker's result over a set of events."""

    events: int
    hit1: float
    hit3: float
    mrr: float
    new: float
    """Share of events whose author had never touched the element before."""


def score(
    events: Sequence[Event],
    history: Mapping[str, Sequence[Touch]],
    rank: Callable[[Event, Sequence[Touch]], list[str]],
    *,
    keep: list[tuple[bool, float]] | None = None,
) -> Score:
    """Hit@1, hit@3, mean reciprocal rank and the share of unseen authors.

    Args:
        events: what to score.
        history: element key to its touches.
        rank: the ranking of an event, given the touches before it.
        keep: if given, gets each event's (hit@3, reciprocal rank), for paired tests.

    """
    hit1 = hit3 = new = 0
    rr = 0.0
    for event in events:
        before = history[event.key][: event.before]
        if all(t.author != event.author for t in before):
            new += 1
        ranked = rank(event, before)
        place = ranked.index(event.author) + 1 if event.author in ranked else 0
        if place:
            hit1 += place == 1
            hit3 += place <= 3
            rr += 1.0 / place
        if keep is not None:
            keep.append((0 < place <= 3, 1.0 / place if place else 0.0))
    n = max(1, len(events))
    return Score(len(events), hit1 / n, hit3 / n, rr / n, new / n)


def at_event(rank: Ranker) -> Callable[[Event, Sequence[Touch]], list[str]]:
    """A ranker asked at the moment of each event."""
    return lambda event, touches: rank(touches, event.now)


def blamed(lines: Mapping[int, Mapping[str, int]]) -> Callable[[Event, Sequence[Touch]], list[str]]:
    """``surviving-lines`` with each event's blame (keyed by the event's ``id``)."""
    return lambda event, touches: rank_surviving_lines(touches, lines[id(event)])


def paired(
    ours: Sequence[tuple[bool, float]], theirs: Sequence[tuple[bool, float]]
) -> dict[str, list[float]]:
    """Mean difference (ours - theirs) of hit@3 and of reciprocal rank, with a 95% CI.

    A paired bootstrap over the events (1,000 resamples, fixed seed): both rankers are
    scored on the same events, so their difference is far less noisy than either score.
    """
    import numpy as np  # noqa: PLC0415 - only the report needs it

    a, b = np.array(ours, dtype=float), np.array(theirs, dtype=float)
    diff = a - b
    if len(diff) == 0:
        return {"hit3": [0.0, 0.0, 0.0], "mrr": [0.0, 0.0, 0.0]}
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(diff), size=(1000, len(diff)))
    means = diff[picks].mean(axis=1)  # resamples x metrics
    out = {}
    for column, metric in enumerate(("hit3", "mrr")):
        low, high = np.percentile(means[:, column], [2.5, 97.5])
        out[metric] = [float(diff[:, column].mean()), float(low), float(high)]
    return out


# --- blame --------------------------------------------------------------------------------


class Blamer:
    """Surviving lines per author at a commit, from ``git blame --line-porcelain``.

    ``git blame`` applies the ``.mailmap`` (of HEAD, in a bare clone) to ``author-mail``;
    emails are lower-cased as loopintel keys them.
    """

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.failures = 0
        self._files: dict[tuple[str, str], list[str] | None] = {}

    def _git(self, *args: str) -> bytes | None:
        done = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args], capture_output=True, check=False
        )
        return done.stdout if done.returncode == 0 else None

    def _line_authors(self, commit: str, path: str) -> list[str] | None:
        """The author key of each line of the file at ``commit`` (1-based via index+1)."""
        if (commit, path) not in self._files:
            out = self._git("blame", "--line-porcelain", commit, "--", path)
            authors = None
            if out is not None:
                authors = [
                    line[len(b"author-mail ") :].strip(b"<> ").decode("utf-8", "replace").lower()
                    for line in out.splitlines()
                    if line.startswith(b"author-mail ")
                ]
            self._files[(commit, path)] = authors
        return self._files[(commit, path)]

    def _span(self, commit: str, path: str, qualname: str) -> tuple[int, int] | None:
        data = self._git("cat-file", "blob", f"{commit}:{path}")
        if data is None:
            return None
        outcome = parse_layout(data)
        if outcome.layout is None:
            return None
        for span in function_spans(outcome.layout):
            if span.qualname == qualname:
                return span.start, span.end
        return None

    def lines(self, event: Event) -> dict[str, int]:
        """Author key to surviving lines of the event's function or file at its parent."""
        if event.parent is None or event.path is None:
            self.failures += 1
            return {}
        authors = self._line_authors(event.parent, event.path)
        if authors is None:
            self.failures += 1
            return {}
        if event.qualname is not None:
            span = self._span(event.parent, event.path, event.qualname)
            if span is None:
                self.failures += 1
                return {}
            authors = authors[span[0] - 1 : span[1]]
        counts: dict[str, int] = defaultdict(int)
        for author in authors:
            counts[author] += 1
        return dict(counts)


# --- runs -----------------------------------------------------------------------------------


def _open(name: str, data: Path) -> loopintel.Repository | None:
    path = data / f"{name}.git"
    if not path.exists():
        print(f"{path} is absent: {name} skipped")
        return None
    return loopintel.open(path)


def evaluate(
    name: str,
    data: Path,
    half_life_days: float,
    *,
    blend: Blend | None = None,
    levels: Iterable[str] = LEVELS,
    blame: bool = True,
) -> dict[str, object] | None:
    """Every ranker on every level of one repository: the main sample and the blame one."""
    repo = _open(name, data)
    if repo is None:
        return None
    started = time.perf_counter()
    played = replay(repo)
    blend = blend or Blend()
    plain = rankers(half_life_days) | blend_rankers(blend)
    blamer = Blamer(data / f"{name}.git")
    result: dict[str, object] = {
        "commits": played.commits,
        "warm_up_commits": played.warm_up,
        "levels": {},
    }
    for level in levels:
        everything = played.events[level]
        events = sample(everything, MAX_EVENTS, SEED)
        history = played.touches[level]
        chosen = {label: at_event(r) for label, r in plain.items()}
        chosen[presence_label(blend)] = with_presence(
            _base(blend, half_life_days), played.presence[level]
        )
        chosen[PRIOR] = shipped(played.presence[level])
        chosen[SHIPPED] = shipped(played.presence[level], Learned(repo, level))
        kept: dict[str, list[tuple[bool, float]]] = {label: [] for label in chosen}
        main = {label: score(events, history, r, keep=kept[label]) for label, r in chosen.items()}
        candidates = [label for label in chosen if label not in BASELINES]
        entry: dict[str, object] = {
            "events_total": len(everything),
            "sampled": len(events) < len(everything),
            "main": {k: v._asdict() for k, v in main.items()},
            "paired": {c: {b: paired(kept[c], kept[b]) for b in BASELINES} for c in candidates},
        }
        if blame and level != "directory":
            small = sample(events, MAX_BLAME_EVENTS, SEED + 1)
            lines = {id(e): blamer.lines(e) for e in small}
            failures = blamer.failures
            blamer.failures = 0
            small_kept: dict[str, list[tuple[bool, float]]] = {
                label: [] for label in ["surviving-lines", *chosen]
            }
            on_small = {
                "surviving-lines": score(
                    small,
                    history,
                    blamed(lines),
                    keep=small_kept["surviving-lines"],
                )
            }
            on_small |= {
                label: score(small, history, r, keep=small_kept[label])
                for label, r in chosen.items()
            }
            entry["blame"] = {k: v._asdict() for k, v in on_small.items()}
            for c in candidates:
                entry["paired"][c]["surviving-lines"] = paired(  # type: ignore[index]
                    small_kept[c], small_kept["surviving-lines"]
                )
            entry["blame_unavailable"] = failures
        result["levels"][level] = entry  # type: ignore[index]
        print(f"  {name} {level}: {len(events)} events ({time.perf_counter() - started:.0f} s)")
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def grid_header(
    first: str, second: str, columns: Sequence[tuple[str, str]], align: tuple[str, str]
) -> list[str]:
    """The head of a table of constants: two columns of them, then hit@3 / MRR per column."""
    return [
        f"| {first} | {second} | "
        + " | ".join(f"{n} {lv} hit@3 / MRR" for n, lv in columns)
        + " | mean MRR |",
        f"| {align[0]} | {align[1]} | " + " | ".join("---:" for _ in columns) + " | ---: |",
    ]


def tuning_set(
    data: Path,
) -> tuple[
    dict[str, loopintel.Repository],
    dict[str, Replay],
    list[tuple[str, str]],
    dict[tuple[str, str], list[Event]],
]:
    """What every choice of constants is scored on: flask and requests, functions and files.

    Returns:
        The repositories, their replays, the (repository, level) columns and each
        column's sample of events (as in the report; no blame).

    """
    repos, played = {}, {}
    for name in TUNING_REPOS:
        repo = _open(name, data)
        if repo is not None:
            repos[name], played[name] = repo, replay(repo)
    columns = [(name, level) for name in played for level in ("function", "file")]
    events = {(n, lv): sample(played[n].events[lv], MAX_EVENTS, SEED) for n, lv in columns}
    return repos, played, columns, events


def choose_half_life(data: Path) -> tuple[float, dict[str, object], str]:
    """The half-life with the best mean MRR of the candidates over flask and requests.

    The mean runs over the candidates that have a half-life, at function and file level.

    Returns:
        The chosen half-life, every score, and a Markdown table of them.

    """
    _, played, columns, events = tuning_set(data)
    table: dict[str, object] = {}
    lines = grid_header("H (days)", "candidate", columns, ("---:", "---"))
    best: tuple[float, float] | None = None
    for h in HALF_LIVES:
        mrrs = []
        for label, r in tunable(h).items():
            cells = []
            for n, lv in columns:
                s = score(events[n, lv], played[n].touches[lv], at_event(r))
                table[f"{h:g}/{n}/{lv}/{label}"] = s._asdict()
                cells.append(f"{s.hit3:.3f} / {s.mrr:.3f}")
                mrrs.append(s.mrr)
            mean = sum(m for m in mrrs[-len(columns) :]) / len(columns)
            lines.append(f"| {h:g} | {label} | " + " | ".join(cells) + f" | {mean:.4f} |")
        overall = sum(mrrs) / max(1, len(mrrs))
        lines.append(
            f"| {h:g} | **all candidates** | "
            + " | ".join("" for _ in columns)
            + f" | **{overall:.4f}** |"
        )
        print(f"H={h:g}: mean MRR {overall:.4f}")
        if best is None or overall > best[1]:
            best = (h, overall)
    assert best is not None
    return best[0], table, "\n".join(lines)


TWO_SCALE_GRID = [
    (short, long, w)
    for short in (15.0, 30.0, 90.0)
    for long in (365.0, 730.0, math.inf)
    for w in (0.01, 0.02, 0.05, 0.1)
]
SINCE_SHARE_GRID = [(h, w) for h in (90.0, 365.0, 730.0) for w in (0.05, 0.1, 0.2, 0.35)]


def choose_blend(data: Path, half_life_days: float) -> tuple[Blend, dict[str, object], str]:
    """The constants of ``two-scale``, ``since-share`` and ``presence``, on flask and requests.

    Each family's constants are those with the best mean MRR at function and file level
    over flask and requests (4000-event samples, as in the report; no blame). The base
    of ``presence`` is then the best of ``recent-since`` (H as chosen before) and the two
    tuned candidates, by the same mean.

    Returns:
        The chosen constants, every score, and a Markdown table of them.

    """
    _, played, columns, events = tuning_set(data)
    table: dict[str, object] = {}
    lines = grid_header("candidate", "constants", columns, ("---", "---"))

    def run(
        family: str,
        constants: str,
        rank: Callable[[str, str], Callable[[Event, Sequence[Touch]], list[str]]],
    ) -> float:
        cells, mrrs = [], []
        for n, lv in columns:
            s = score(events[n, lv], played[n].touches[lv], rank(n, lv))
            table[f"{family}/{constants}/{n}/{lv}"] = s._asdict()
            cells.append(f"{s.hit3:.3f} / {s.mrr:.3f}")
            mrrs.append(s.mrr)
        mean = sum(mrrs) / len(mrrs)
        lines.append(f"| {family} | {constants} | " + " | ".join(cells) + f" | {mean:.4f} |")
        print(f"{family} {constants}: mean MRR {mean:.4f}", flush=True)
        return mean

    def plain(r: Ranker) -> Callable[[str, str], Callable[[Event, Sequence[Touch]], list[str]]]:
        return lambda _n, _lv: at_event(r)

    best_two: tuple[float, tuple[float, float, float]] | None = None
    for short, long, w in TWO_SCALE_GRID:
        r = partial(two_scale, short_days=short, long_days=long, weight=w)
        m = run("two-scale", f"S={_days(short)}, L={_days(long)}, w={w:g}", plain(r))
        if best_two is None or m > best_two[0]:
            best_two = (m, (short, long, w))
    best_share: tuple[float, tuple[float, float]] | None = None
    for h, w in SINCE_SHARE_GRID:
        r = partial(since_share, half_life_days=h, weight=w)
        m = run("since-share", f"H={_days(h)}, w={w:g}", plain(r))
        if best_share is None or m > best_share[0]:
            best_share = (m, (h, w))
    assert best_two is not None
    assert best_share is not None
    (short, long, w2), (h, w3) = best_two[1], best_share[1]
    run(
        "recent-since",
        f"H={half_life_days:g} (chosen above, for reference)",
        plain(partial(recent_since, half_life_days=half_life_days)),
    )
    blend = Blend(short, long, w2, h, w3)
    means = {}
    for name in ("recent-since", "two-scale", "since-share"):
        candidate = blend._replace(presence_base=name)

        def on_base(
            n: str, lv: str, c: Blend = candidate
        ) -> Callable[[Event, Sequence[Touch]], list[str]]:
            return with_presence(_base(c, half_life_days), played[n].presence[lv])

        means[name] = run("presence", f"base {name}", on_base)
    base = max(means, key=lambda k: means[k])
    blend = blend._replace(presence_base=base)
    text = "\n".join(lines) + (
        f"\n\nChosen: `two-scale` S = {_days(short)}, L = {_days(long)}, w = {w2:g} "
        f"(mean MRR {best_two[0]:.4f}); `since-share` H = {_days(h)}, w = {w3:g} "
        f"(mean MRR {best_share[0]:.4f}); `presence` on `{base}` (mean MRR "
        f"{means[base]:.4f}), the best of the three bases, `recent-since` at the H "
        f"chosen above (H = {half_life_days:g}).\n"
    )
    return blend, table, text


MODEL_GRID = [
    (window, strength) for window in (250, 500, 1000, 2000, 4000) for strength in (0.1, 1.0, 10.0)
]


def choose_model(data: Path) -> tuple[dict[str, float], dict[str, object], str]:
    """The window and prior strength of the learned ranking, on flask and requests.

    Each pair of the grid is scored as loopintel ships it (:func:`shipped` with
    :class:`Learned`) at function and file level on flask and requests (4000-event
    samples, no blame); the best mean MRR wins. The library's
    :data:`~loopintel.analysis.expert_model.WINDOW` and
    :data:`~loopintel.analysis.expert_model.PRIOR_STRENGTH` are set from it.

    Returns:
        The chosen constants, every score, and a Markdown table of them.

    """
    repos, played, columns, events = tuning_set(data)
    table: dict[str, object] = {}
    lines = grid_header("window", "prior strength", columns, ("---:", "---:"))
    best: tuple[float, int, float] | None = None
    for window, strength in MODEL_GRID:
        cells, mrrs = [], []
        for n, lv in columns:
            learned = Learned(repos[n], lv, window=window, strength=strength)
            s = score(
                events[n, lv], played[n].touches[lv], shipped(played[n].presence[lv], learned)
            )
            table[f"{window}/{strength:g}/{n}/{lv}"] = s._asdict()
            cells.append(f"{s.hit3:.3f} / {s.mrr:.3f}")
            mrrs.append(s.mrr)
        mean = sum(mrrs) / len(mrrs)
        lines.append(f"| {window} | {strength:g} | " + " | ".join(cells) + f" | {mean:.4f} |")
        print(f"window {window}, strength {strength:g}: mean MRR {mean:.4f}", flush=True)
        if best is None or mean > best[0]:
            best = (mean, window, strength)
    assert best is not None
    chosen = {"window": best[1], "strength": best[2]}
    text = "\n".join(lines) + (
        f"\n\nChosen: window {best[1]} events, prior strength {best[2]:g} "
        f"(mean MRR {best[0]:.4f}).\n"
    )
    return chosen, table, text


# --- report ---------------------------------------------------------------------------------


def _row(repo: str, label: str, s: Mapping[str, float]) -> str:
    return (
        f"| {repo} | {label} | {int(s['events'])} | {s['hit1']:.3f} | {s['hit3']:.3f} "
        f"| {s['mrr']:.3f} | {s['new']:.3f} |"
    )


FINDINGS_START = "<!-- findings: written by hand, kept when the report is rewritten -->"
FINDINGS_END = "<!-- /findings -->"


def kept_findings(report: Path) -> str | None:
    """The hand-written reading of an earlier report, to keep when rewriting it."""
    if not report.exists():
        return None
    text = report.read_text()
    start, end = text.find(FINDINGS_START), text.find(FINDINGS_END)
    if start < 0 or end < start:
        return None
    return text[start + len(FINDINGS_START) : end]


METHOD = """\
## What is measured

The index's function changes are replayed in commit graph order, cosmetic ones left
out. The first 20% of the commits that changed functions are a warm-up; after it, before
each change of a function that is not its introduction, the function's authors are
ranked from the changes made before that commit only, and the change's author is
scored: hit@1 (ranked first), hit@3 (in the top three), reciprocal rank (1/rank, 0 if
absent). A file is a change's path, its touches the commits that changed functions under
it (one per commit; its history starts again at a rename of the file); a directory is the
path's parent directory, likewise. An event of a file or directory is a commit that
touches it after its first. `new` is the share of events whose author had never touched
the element before: no ranking of past authors can get those, so hit@3 is bounded by
`1 - new`.

Baselines: `last` (the latest toucher first, then the one before), `most-changes` (ties
to the most recent), `surviving-lines` (`git blame --line-porcelain` at the parent of the
event's commit: the function's lines there, found by parsing that version, or the whole
file; `.mailmap` applied by git; expensive, so scored on a smaller sample, with every
other ranker beside it on the same sample), `doa` (loopintel's degree of authorship,
undecayed) and `doa-decayed` (today's default, each change decayed with a 365-day
half-life before it enters the formula).

Candidates (functions `(touches, now) -> authors` in `benchmarks/bench_experts.py`):

- `recent-changes`: each author's changes, each counting `0.5 ** (age / H)`.
- `doa-x-recency`: undecayed DOA times `0.5 ** (age of the author's last touch / H)`.
- `doa-evidence-decayed`: `1.098 FA' + 0.164 DL' - 0.321 ln(1 + AC)`, the author's own
  first authorship and deliveries decayed, everybody else's changes (AC) counted as
  made. The brief's literal form (all terms decayed, ranked by DOA minus the 3.293
  intercept) orders people exactly as `doa-decayed` does, since a constant shift keeps
  the order, so it is not a separate ranker; the intercept only flattens the *shares*
  shown. Decaying AC is what forgives the rework by others; here it is not forgiven.
- `recent-since`: `recent-changes` divided by `1 + AC_since`, AC_since the changes by
  others after the author's own latest one: knowledge fades with time and with the code
  moving on without you; changes by others that you saw (before your last) do not count
  against you.
- `two-scale`: `sum 0.5 ** (age / S) + w * sum 0.5 ** (age / L)` over the author's
  changes: a short decay for recency and a long one (or none) for accumulated
  knowledge; when nobody has worked on the code lately, the long term decides.
- `since-share`: `(1 - w) * RS / sum RS + w * n / N`: the author's share of the
  `recent-since` scores blended with their share of all changes to the element.
- `presence`: a base ranking (named in the label) followed by the people whose only
  changes to the element before the event were cosmetic, most recent first: cosmetic
  changes as evidence of presence, never of knowledge. Its hit@3 can exceed `1 - new`.
- `loopintel`: the ranking loopintel ships, not a reimplementation: the benchmark calls
  `loopintel.analysis.knowledge.expertise()` on the element's touches before the event,
  with its cosmetic-only touches before the event passed as `cosmetic=True`, half-life
  365 days, each author's commits in the 90 days before the event, and the weights the
  library would hold for an index of the history before the event's commit: learned by
  `loopintel.analysis.expert_model.learn_weights()` from the level's latest events
  before that commit (each change of an element changed before: the people who had
  changed it, their features, and who changed it), and learned again each time the
  history has 100 more function changes, as `loopintel.ownership.expertise_weights()`
  does. Nothing of the event or after it is seen.
- `fixed (the learned ranking's prior)`: the same call with the weights the learning
  starts from and is pulled back towards: `presence (since-share)` at H = 365, w = 0.05
  (the ranking loopintel shipped before the weights were learned).

Every ranker breaks ties towards the most recent toucher (`loopintel`: the latest
author time, then the author key).
"""


def verdict(results: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Per candidate and repository level: the baselines it does not beat, as a table.

    Hit@3 and MRR, function and file level; ``last``, ``most-changes`` and the DOA
    baselines on the main sample, ``surviving-lines`` on the blame sample (the candidate
    scored on that same sample). A loss is bold when the paired bootstrap's 95%
    interval of the difference lies wholly below zero.
    """
    first = next(iter(results.values()))
    labels = list(first["levels"]["function"]["main"])  # type: ignore[index]
    candidates = [label for label in labels if label not in BASELINES]
    # The ranking loopintel ships comes first; the candidates it was chosen from follow.
    candidates.sort(key=lambda label: label != SHIPPED)
    rows = [(repo, level) for repo in results for level in ("function", "file")]
    heads = [f"**`{c}` (shipped)**" if c == SHIPPED else f"`{c}`" for c in candidates]
    out = [
        "| repository, level | " + " | ".join(heads) + " |",
        "| --- | " + " | ".join("---" for _ in candidates) + " |",
    ]
    wins = dict.fromkeys(candidates, 0)
    clear = dict.fromkeys(candidates, 0)
    total = 0
    for repo, level in rows:
        entry = results[repo]["levels"][level]  # type: ignore[index]
        cells = []
        for candidate in candidates:
            losses = []
            for baseline, metrics in entry["paired"][candidate].items():
                for metric, (mean, low, high) in metrics.items():
                    name = "h3" if metric == "hit3" else "MRR"
                    if mean > 0:
                        wins[candidate] += 1
                        clear[candidate] += low > 0
                    else:
                        text = f"{name}<{baseline}" if mean < 0 else f"{name}={baseline}"
                        losses.append(f"**{text}**" if high < 0 else text)
            cells.append(", ".join(losses) if losses else "beats all")
        total += 2 * len(entry["paired"][candidates[0]])
        out.append(f"| {repo} {level} | " + " | ".join(cells) + " |")
    out.append(
        "| wins (clear) | "
        + " | ".join(f"{wins[c]}/{total} ({clear[c]})" for c in candidates)
        + " |"
    )
    return [
        *out,
        "",
        f"`{SHIPPED}` is the ranking loopintel ships (`expertise()` called as `experts()`",
        "calls it); the other columns are the candidates it was chosen from.",
        "A cell lists the baselines the candidate does not beat there (h3: hit@3; `=`: a",
        "tie); bold: the paired bootstrap's 95% interval of the difference lies wholly",
        "below zero. Last row: comparisons won, and in brackets those won with the",
        "interval wholly above zero.",
    ]


def markdown(
    results: Mapping[str, Mapping[str, object]],
    meta: Mapping[str, object],
    half_life: Mapping[str, object] | None,
    findings: str | None = None,
    blend: Mapping[str, object] | None = None,
    model: Mapping[str, object] | None = None,
) -> str:
    """The report: the verdict, the half-life choice, one table per level and sample."""
    head = "| repository | ranker | events | hit@1 | hit@3 | MRR | new |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |"  # noqa: E501
    out = [
        "# Expertise rankings replayed on history",
        "",
        "Whether the people loopintel names as knowing a piece of code are the people who",
        "go on to change it: a replay of each repository's history, every ranking computed",
        "only from what came before the change it is scored on. Written by",
        "`benchmarks/bench_experts.py`; only the Reading under the verdict is written by",
        "hand (the script keeps it when it rewrites this file).",
        "",
        f"Command: `{meta['command']}`  ",
        f"Date: {meta['date']}; machine: {meta['machine']}; git {meta['git']}.",
        "",
        "## Verdict",
        "",
        "Candidates against every baseline, hit@3 and MRR, function and file level, every",
        "repository (a tie counts as not beating):",
        "",
        *verdict(results),
        "",
        FINDINGS_START,
        findings.strip() if findings else "(No reading written yet.)",
        FINDINGS_END,
        "",
    ]
    if half_life is not None:
        hmeta = half_life["meta"]
        out += [
            "## The half-life H, chosen on flask and requests only",
            "",
            f"Command: `{hmeta['command']}` ({hmeta['date']}). The candidates' H is the one",  # type: ignore[index]
            "with the best mean MRR over the candidates that have one, function and file",
            "level, flask and requests; every repository is then reported with it, untouched.",
            "",
            str(half_life["markdown"]),
            "",
        ]
    if blend is not None:
        bmeta = blend["meta"]
        out += [
            "## The constants of the blended candidates, chosen on flask and requests only",
            "",
            f"Command: `{bmeta['command']}` ({bmeta['date']}). Each candidate's constants are",  # type: ignore[index]
            "those of a small grid with the best mean MRR at function and file level over",
            "flask and requests (no blame); every repository is then reported with them,",
            "untouched.",
            "",
            str(blend["markdown"]),
            "",
        ]
    if model is not None:
        mmeta = model["meta"]
        out += [
            "## The learned ranking's window and prior strength, chosen on flask and requests only",
            "",
            f"Command: `{mmeta['command']}` ({mmeta['date']}). Each pair is scored as",  # type: ignore[index]
            "loopintel ships it (`loopintel` below, weights learned before each event) at",
            "function and file level over flask and requests (no blame); the best mean MRR",
            "sets `loopintel.analysis.expert_model.WINDOW` and `PRIOR_STRENGTH`, and every",
            "repository is then reported with them, untouched.",
            "",
            str(model["markdown"]),
            "",
        ]
    out += [
        METHOD,
        f"Repositories with more than {MAX_EVENTS} events at a level are sampled uniformly",
        (
            f"(seed {SEED}); the blame tables use at most {MAX_BLAME_EVENTS} of those "
            f"(seed {SEED + 1})."
        ),
        "",
        "Repositories: "
        + ", ".join(
            f"{repo} ({result['commits']} commits that changed functions, "
            f"{result['warm_up_commits']} of warm-up)"
            for repo, result in results.items()
        )
        + ".",
        "",
    ]
    for level in LEVELS:
        out += [f"## {level.capitalize()} level", "", head]
        for repo, result in results.items():
            entry = result["levels"][level]  # type: ignore[index]
            for label, s in entry["main"].items():
                out.append(_row(repo, label, s))
        out.append("")
        for repo, result in results.items():
            entry = result["levels"][level]  # type: ignore[index]
            total, sampled = entry["events_total"], entry["sampled"]
            if sampled:
                out.append(f"- {repo}: {total} events, {MAX_EVENTS} sampled.")
        out.append("")
        if level == "directory" or not all(
            "blame" in result["levels"][level]  # type: ignore[index]
            for result in results.values()
        ):
            continue
        out += [f"### {level.capitalize()} level, blame sample", "", head]
        for repo, result in results.items():
            entry = result["levels"][level]  # type: ignore[index]
            for label, s in entry["blame"].items():
                out.append(_row(repo, label, s))
        out.append("")
        for repo, result in results.items():
            entry = result["levels"][level]  # type: ignore[index]
            if entry["blame_unavailable"]:
                out.append(
                    f"- {repo}: blame found no lines for {entry['blame_unavailable']} events "
                    "(the file or function absent at the parent, or unparsable)."
                )
        out.append("")
    return "\n".join(out)


def _machine() -> str:
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repos", nargs="+", default=list(DEFAULT_REPOS))
    parser.add_argument("--data", type=Path, default=DATA, help="folder of <repo>.git clones")
    parser.add_argument("--half-life", type=float, default=365.0, help="H of the candidates")
    parser.add_argument(
        "--choose-half-life",
        action="store_true",
        help=f"try H in {HALF_LIVES} on flask and requests and report the best",
    )
    parser.add_argument(
        "--half-life-json",
        type=Path,
        default=ROOT / "benchmarks" / "data" / "expert-half-life.json",
        help="the --choose-half-life results to include in the report",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        help="write the report from results saved by an earlier run (--json), not replaying",
    )
    parser.add_argument(
        "--choose-blend",
        action="store_true",
        help="choose the constants of two-scale, since-share and presence on flask and requests",
    )
    parser.add_argument(
        "--blend-json",
        type=Path,
        default=ROOT / "benchmarks" / "data" / "expert-blend.json",
        help="the --choose-blend results: their constants are used, their table reported",
    )
    parser.add_argument(
        "--choose-model",
        action="store_true",
        help="choose the learned ranking's window and prior strength on flask and requests",
    )
    parser.add_argument(
        "--model-json",
        type=Path,
        default=ROOT / "benchmarks" / "data" / "expert-model.json",
        help="the --choose-model results, reported",
    )
    parser.add_argument("--no-blame", action="store_true", help="skip surviving-lines")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False)
    meta = {
        "command": "python benchmarks/bench_experts.py " + " ".join(sys.argv[1:]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "git": git.stdout.split()[-1] if git.stdout else "?",
    }
    if args.choose_blend:
        blend, table, text = choose_blend(args.data, args.half_life)
        print(text)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {"meta": meta, "best": blend._asdict(), "markdown": text, "table": table},
                    indent=1,
                )
            )
        return 0
    if args.choose_model:
        chosen, table, text = choose_model(args.data)
        print(text)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(
                    {"meta": meta, "best": chosen, "markdown": text, "table": table}, indent=1
                )
            )
        return 0
    if args.choose_half_life:
        best, table, text = choose_half_life(args.data)
        text += f"\n\nChosen: H = {best:g} days (best mean MRR).\n"
        print(text)
        if args.out:
            args.out.write_text(text)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps({"meta": meta, "best": best, "markdown": text, "table": table}, indent=1)
            )
        return 0
    results: dict[str, dict[str, object]] = {}
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        meta, results = saved["meta"], saved["results"]
    blend_saved = json.loads(args.blend_json.read_text()) if args.blend_json.exists() else None
    blend = Blend(**blend_saved["best"]) if blend_saved else Blend()
    for name in args.repos if not args.from_json else ():
        found = evaluate(name, args.data, args.half_life, blend=blend, blame=not args.no_blame)
        if found is not None:
            results[name] = found
    half_life = None
    if args.half_life_json.exists():
        half_life = json.loads(args.half_life_json.read_text())
    findings = kept_findings(args.out) if args.out else None
    model = json.loads(args.model_json.read_text()) if args.model_json.exists() else None
    report = markdown(results, meta, half_life, findings, blend_saved, model)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
