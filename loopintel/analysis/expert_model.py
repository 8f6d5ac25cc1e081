"""Expertise weights learned from a repository's own history: who went on to change the code.

The ranking of :func:`loopintel.analysis.knowledge.expertise` weighs the features of
:data:`~loopintel.analysis.knowledge.EXPERTISE_FEATURES` of each person who changed a
body of code. Which of them matter differs between projects: where one maintainer
reviews and reworks everything, frequency says most; where work moves from hand to hand,
whoever changed the code last is the best guess. So the weights are learned per
repository and per level (function, file, directory) from the events its history holds:
each change of an element that had been changed before is one example, the people who
had changed the element before it the candidates, its author the answer.

The model is a conditional logit (the softmax over an element's candidates of
``weights . features``), fitted by maximum likelihood on the :data:`WINDOW` most recent
events, with a Gaussian prior centred on the fixed ranking
(:func:`~loopintel.analysis.knowledge.prior_weights`): with few events the learned
ranking is the fixed one, and it moves away only as far as the history shows it should.
The score shown for a person is then the model's chance that they are the next to
change the code, which is calibrated on the repository's own past.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from loopintel.analysis.knowledge import EXPERTISE_FEATURES, expertise_features, prior_weights
from loopintel.model import ChangeKind, ChangeType

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from loopintel.store import ChangeColumns

__all__ = [
    "ACTIVE_DAYS",
    "LEVELS",
    "PRIOR_STRENGTH",
    "REFIT_CHANGES",
    "ROW_BUDGET",
    "WINDOW",
    "Activity",
    "LevelTouches",
    "TrainingSet",
    "fit_weights",
    "learn_weights",
    "level_touches",
    "training_set",
]

LEVELS = ("function", "file", "directory")
"""The bodies of code weights are learned for: a function's lineage, a file, a directory."""
WINDOW = 4000
"""How many of the latest events of a level the weights are learned from (chosen on
flask and requests, ``benchmarks/bench_experts.py --choose-model``): recent enough to
follow how the team works now, enough for the few weights to be stable."""
ROW_BUDGET = 1_000_000
"""At most this many earlier touches are read for the events learned from (the latest
events first): a directory's events each carry its whole history, and a big history's
latest :data:`WINDOW` of them could need tens of millions."""
REFIT_CHANGES = 100
"""The weights are learned again once the index holds this many more function changes."""
PRIOR_STRENGTH = 1.0
"""The Gaussian prior's precision: how strongly the weights are held at the fixed ranking
(chosen with :data:`WINDOW`)."""
ACTIVE_DAYS = 90
"""The window of a person's activity anywhere in the repository (``active_90``)."""
HALF_LIFE_DAYS = 365.0
"""The half-life of the ``current`` feature the weights are learned with (the default
of ``experts()``)."""
DAY = 86400


class LevelTouches(NamedTuple):
    """One touch per (element, commit) of one level, by element, then in history order."""

    element: NDArray[np.int64]
    seq: NDArray[np.int64]
    """The commit's place in the indexed history."""
    author: NDArray[np.int64]
    """Author code, into :attr:`authors`."""
    timestamp: NDArray[np.int64]
    """Author time."""
    cosmetic: NDArray[np.bool_]
    """Whether the commit's changes to the element were all cosmetic."""
    event: NDArray[np.bool_]
    """Whether the touch is an example to learn from: a change in substance of an
    element changed in substance before (for a function, not its introduction)."""
    authors: tuple[str, ...]
    """Author keys (emails), by code."""


def level_touches(columns: ChangeColumns, level: str) -> LevelTouches:
    """The touches of every element of ``level`` from the index's function changes.

    A function is its lineage, a file the path of a change, a directory the path's
    parent (``.`` at the top).

    Raises:
        ValueError: ``level`` is not one of :data:`LEVELS`.

    """
    if level == "function":
        code = columns.lineage.astype(np.int64)
    elif level == "file":
        code = columns.path.astype(np.int64)
    elif level == "directory":
        folders = [posixpath.dirname(p) or "." for p in columns.paths]
        _, folder = np.unique(np.array(folders, dtype=object), return_inverse=True)
        code = folder.reshape(-1).astype(np.int64)[columns.path]
    else:
        msg = f"level {level!r} is not one of {', '.join(LEVELS)}"
        raise ValueError(msg)
    real = (columns.types & ChangeType.COSMETIC.bit) == 0
    added = columns.kind == list(ChangeKind).index(ChangeKind.ADDED)
    if not len(code):
        empty = np.zeros(0, dtype=np.int64)
        none = np.zeros(0, dtype=bool)
        return LevelTouches(empty, empty, empty, empty, none, none, columns.authors)
    # One touch per (element, commit): changes come by commit, so sort by element, then seq.
    sort = np.lexsort((columns.seq, code))
    code, seq = code[sort], columns.seq[sort]
    first = np.ones(len(code), dtype=bool)
    first[1:] = (code[1:] != code[:-1]) | (seq[1:] != seq[:-1])
    starts = np.flatnonzero(first)
    substance = np.add.reduceat(real[sort].astype(np.int64), starts) > 0
    introduced = np.add.reduceat((real & added)[sort].astype(np.int64), starts) > 0
    element = code[starts]
    # An element's earlier touches in substance: a running count, restarted per element.
    head = np.ones(len(element), dtype=bool)
    head[1:] = element[1:] != element[:-1]
    counted = substance.astype(np.int64)
    running: NDArray[np.int64] = np.cumsum(counted) - counted
    at_head = np.maximum.accumulate(np.where(head, np.arange(len(element)), 0))
    earlier: NDArray[np.int64] = running - running[at_head]
    event = substance & (earlier > 0)
    if level == "function":
        event &= ~introduced
    return LevelTouches(
        element=element,
        seq=seq[starts],
        author=columns.author[sort][starts].astype(np.int64),
        timestamp=columns.authored_at[sort][starts].astype(np.int64),
        cosmetic=~substance,
        event=event,
        authors=columns.authors,
    )


class Activity:
    """Every commit's author and time: how many commits anyone made in a window."""

    def __init__(self, emails: Sequence[str], timestamps: NDArray[np.int64]) -> None:
        """Index the repository's commits: ``emails[i]`` wrote one at ``timestamps[i]``."""
        keys, code = np.unique(np.array(emails, dtype=object), return_inverse=True)
        self._code = {str(k): i for i, k in enumerate(keys)}
        self._width = np.int64(1 << 40)
        times = np.asarray(timestamps, dtype=np.int64)
        self._placed = np.sort(code.reshape(-1).astype(np.int64) * self._width + times)

    def counts(
        self, authors: Sequence[str], who: NDArray[np.int64], until: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Commits by ``authors[who[i]]`` in the :data:`ACTIVE_DAYS` before ``until[i]``.

        The window ends just before ``until``: a commit at that very moment (the change
        being predicted) is not counted.
        """
        code = np.array([self._code.get(a, -1) for a in authors], dtype=np.int64)[who]
        base = code * self._width
        high = np.searchsorted(self._placed, base + until, side="left")
        low = np.searchsorted(self._placed, base + until - ACTIVE_DAYS * DAY, side="left")
        return np.where(code >= 0, high - low, 0).astype(np.float64)


class TrainingSet(NamedTuple):
    """Examples to learn from: each event's candidates, their features and the answer."""

    values: NDArray[np.float64]
    """One row per candidate, one column per feature."""
    group: NDArray[np.int64]
    """The event of each row, numbered from 0, rows of an event together."""
    chosen: NDArray[np.int64]
    """Per event, the row of the person who made the change."""

    @property
    def events(self) -> int:
        """How many events there are."""
        return len(self.chosen)


def training_set(
    touches: LevelTouches,
    activity: Activity,
    *,
    before: int | None = None,
    window: int = WINDOW,
    budget: int = ROW_BUDGET,
) -> TrainingSet:
    """The latest ``window`` events of a level before commit ``before`` (a ``seq``).

    Fewer when their earlier touches would exceed ``budget`` rows: the latest events
    are kept, each with its whole history, so the features are exact.

    Each event's candidates are the people who changed the element before it (those
    whose only earlier changes were cosmetic are not candidates: the ranking puts them
    last whatever the weights); events whose author is not among them teach nothing
    and are left out. Features are those of
    :func:`~loopintel.analysis.knowledge.expertise_features` at the event's moment,
    from the element's touches before it only.
    """
    width = len(touches.element)
    chosen_events = np.flatnonzero(
        touches.event & (touches.seq < (before if before is not None else np.iinfo(np.int64).max))
    )
    latest = chosen_events[np.argsort(touches.seq[chosen_events], kind="stable")][-window:]
    head = np.ones(width, dtype=bool)
    head[1:] = touches.element[1:] != touches.element[:-1]
    start = np.maximum.accumulate(np.where(head, np.arange(width), 0))
    newest_first = np.cumsum((latest - start[latest])[::-1])
    latest = np.sort(latest[len(latest) - int(np.searchsorted(newest_first, budget, "right")) :])
    if not len(latest):
        empty = np.zeros(0, dtype=np.int64)
        return TrainingSet(np.zeros((0, len(EXPERTISE_FEATURES))), empty, empty)
    begin = start[latest]
    lengths = latest - begin
    offsets = np.cumsum(lengths) - lengths
    event_of = np.repeat(np.arange(len(latest)), lengths)
    rows = begin[event_of] + (np.arange(int(lengths.sum())) - offsets[event_of])
    moments = touches.timestamp[latest]
    found = expertise_features(
        event_of.astype(np.int64),
        touches.author[rows],
        touches.timestamp[rows],
        touches.cosmetic[rows],
        touches.seq[rows],
        now=moments,
        half_life_days=HALF_LIFE_DAYS,
        activity=activity.counts(touches.authors, touches.author[rows], moments[event_of]),
    )
    answer = touches.author[latest]
    right = found.shaped & (found.author == answer[found.element])
    known = np.zeros(len(latest), dtype=bool)
    known[found.element[right]] = True
    kept = found.shaped & known[found.element]
    renumber = np.cumsum(known) - 1
    group = renumber[found.element[kept]]
    row_of_right = np.flatnonzero(right[kept])
    return TrainingSet(found.values[kept], group.astype(np.int64), row_of_right.astype(np.int64))


def fit_weights(
    train: TrainingSet,
    *,
    prior: NDArray[np.float64] | None = None,
    strength: float = PRIOR_STRENGTH,
) -> NDArray[np.float64]:
    """The conditional-logit weights of most posterior probability (Newton's method).

    Maximises ``sum log softmax(values . w)[chosen] - strength / 2 * |w - prior|^2``
    (``prior``: the fixed ranking's weights). Concave, so Newton's steps, halved until
    the objective does not fall, reach its maximum; with no events the prior is returned.
    """
    centre = prior_weights() if prior is None else np.asarray(prior, dtype=np.float64)
    if not train.events:
        return centre.copy()
    x, group, chosen = train.values, train.group, train.chosen
    starts = np.searchsorted(group, np.arange(train.events))

    def objective(w: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        s = x @ w
        top = np.maximum.reduceat(s, starts)
        lse = np.log(np.add.reduceat(np.exp(s - top[group]), starts)) + top
        value = float((s[chosen] - lse).sum() - strength / 2 * ((w - centre) ** 2).sum())
        return value, np.exp(s - lse[group])

    w = centre.copy()
    value, p = objective(w)
    eye = np.eye(len(w))
    for _ in range(50):
        mean = np.add.reduceat(x * p[:, None], starts)
        gradient = x[chosen].sum(0) - mean.sum(0) - strength * (w - centre)
        centred = x - mean[group]
        hessian = (centred * p[:, None]).T @ centred + strength * eye
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while True:
            tried, tried_p = objective(w + scale * step)
            if tried >= value - 1e-12 or scale < 1e-4:
                break
            scale /= 2
        w, value, p = w + scale * step, tried, tried_p
        if float(np.abs(scale * step).max()) < 1e-6:
            break
    return w


def learn_weights(
    touches: LevelTouches,
    activity: Activity,
    *,
    before: int | None = None,
    window: int = WINDOW,
    strength: float = PRIOR_STRENGTH,
) -> tuple[NDArray[np.float64], int]:
    """The weights of a level learned from its latest events before ``before``.

    Returns:
        The weights, and how many events they were learned from.

    """
    train = training_set(touches, activity, before=before, window=window)
    return fit_weights(train, strength=strength), train.events
