"""Who knows a piece of code: the degree-of-authorship model, with recency decay.

DOA = 3.293 + 1.098 * FA + 0.164 * DL - 0.321 * ln(1 + AC)  (Fritz et al., as used in
the truck-factor work of Avelino et al.), where for one author of one function:

- FA is 1 when the author introduced the function (its first recorded change);
- DL is the author's own changes of it (deliveries, the introduction included);
- AC is the changes made by everybody else.

Changes that only touched formatting carry no knowledge and are not counted. With a
half-life, each change (the introduction too, so FA becomes a weight) counts
``0.5 ** (age_days / half_life_days)`` instead of 1, ``age`` measured back from a
reference time (the indexed head's commit time), so knowledge fades as the code is
left alone or reworked by others.

The same model answers for a file or a directory taken as one body of code
(:func:`authorship_table` computes it for many at once), and the truck factor of a set
of files follows Avelino et al. (:func:`greedy_truck_factor`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from loopintel.model import Expert

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

__all__ = [
    "AUTHOR_MIN_SHARE",
    "DOA_INTERCEPT",
    "EXPERTISE_FEATURES",
    "FREQUENCY_WEIGHT",
    "PRIOR_SCALE",
    "Authorship",
    "AuthorshipTable",
    "ExpertiseFeatures",
    "ExpertiseTable",
    "Standing",
    "Touch",
    "TouchArrays",
    "TruckFactorResult",
    "authorship_table",
    "degree_of_authorship",
    "element_softmax",
    "expertise",
    "expertise_features",
    "expertise_table",
    "experts_by_element",
    "experts_from",
    "file_authors",
    "greedy_truck_factor",
    "prior_weights",
    "ranked_by_expertise",
    "touch_arrays",
]

DOA_INTERCEPT = 3.293
"""Also the least absolute DOA that makes someone an author of a file (Avelino et al.)."""
AUTHOR_MIN_SHARE = 0.75
"""An author of a file has more than this share of the file's top DOA (Avelino et al.)."""
_FA = 1.098
_DL = 0.164
_AC = 0.321


class Touch(NamedTuple):
    """One change of one function by one author."""

    author: str
    """Author key (canonical email)."""
    timestamp: int
    """Author time, seconds since the epoch."""
    introduced: bool
    """Whether this change introduced the function."""
    cosmetic: bool = False
    """Whether the change touched only formatting or comments: presence, not knowledge."""
    order: int | None = None
    """Its commit's place in the history's graph order, when known: "since" is counted
    in the order changes reached the code, not by their author times (work written on a
    branch and merged later is not charged with what landed before it)."""


class Authorship(NamedTuple):
    """One author's degree of authorship of one function."""

    author: str
    doa: float
    """Absolute degree of authorship."""
    share: float
    """DOA divided by the highest DOA among the function's authors (1.0 for the top)."""
    first_author: bool
    own_changes: int
    """Changes by this author (undecayed count)."""
    others_changes: int
    """Changes by everybody else (undecayed count)."""
    last_touch: int
    """Timestamp of the author's latest change."""
    first_touch: int | None = None
    """Timestamp of the author's first change."""


class AuthorshipTable(NamedTuple):
    """Degree of authorship of many elements at once: one entry per (element, author).

    Entries are sorted by element, then author index.
    """

    element: NDArray[np.int64]
    """Index of the element (function, file...) in the caller's numbering."""
    author: NDArray[np.int64]
    """Index of the author in the caller's numbering."""
    doa: NDArray[np.float64]
    """Absolute degree of authorship."""
    first_author: NDArray[np.bool_]
    """Whether this author's change introduced the element."""
    own_changes: NDArray[np.int64]
    """Changes by this author (undecayed count)."""
    others_changes: NDArray[np.int64]
    """Changes of the element by everybody else (undecayed count)."""
    last_touch: NDArray[np.int64]
    """Timestamp of the author's latest change of the element."""
    first_touch: NDArray[np.int64]
    """Timestamp of the author's first change of the element."""


def _decayed(
    timestamp: NDArray[np.int64], *, now: int | NDArray[np.int64], half_life_days: float | None
) -> NDArray[np.float64]:
    """Each change's weight: 1, or halved for every ``half_life_days`` of its age."""
    if half_life_days is None:
        return np.ones(len(timestamp))
    age_days = np.maximum(0.0, (now - timestamp.astype(np.float64)) / 86400.0)
    return np.asarray(np.power(0.5, age_days / half_life_days), dtype=np.float64)


def _pairs(
    element: NDArray[np.int64], author: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The (element, author) pairs of the changes.

    Their codes, each change's pair, and each pair's element and author.
    """
    width = int(author.max()) + 1
    pairs, pair = np.unique(element * width + author, return_inverse=True)
    return pairs, pair.reshape(-1), pairs // width, pairs % width


def authorship_table(
    element: NDArray[np.int64],
    author: NDArray[np.int64],
    timestamp: NDArray[np.int64],
    introduced: NDArray[np.bool_],
    *,
    now: int,
    half_life_days: float | None = None,
) -> AuthorshipTable:
    """Degree of authorship of every author of every element, from parallel arrays.

    Each position of the arrays is one change (a :class:`Touch` of one element).

    Args:
        element: which element each change touched.
        author: who made it.
        timestamp: author time, seconds since the epoch.
        introduced: whether it introduced the element.
        now: reference timestamp for the decay (the indexed head's commit time).
        half_life_days: age at which a change counts half; ``None``: no decay.

    """
    if len(element) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return AuthorshipTable(
            empty, empty, np.zeros(0), np.zeros(0, dtype=bool), empty, empty, empty, empty
        )
    # A canonical order makes the floating-point sums, hence the result, independent
    # of the order the changes come in.
    order = np.lexsort((introduced, timestamp, author, element))
    element, author = element[order].astype(np.int64), author[order].astype(np.int64)
    timestamp, introduced = timestamp[order].astype(np.int64), introduced[order].astype(bool)
    weight = _decayed(timestamp, now=now, half_life_days=half_life_days)
    pairs, pair, pair_element, pair_author = _pairs(element, author)
    own = np.bincount(pair, weights=weight, minlength=len(pairs))
    others = np.bincount(element, weights=weight)[pair_element] - own
    # Creating the element fades like any other change (FA becomes a weight).
    created = np.zeros(len(pairs))
    np.maximum.at(created, pair[introduced], weight[introduced])
    first_author = np.zeros(len(pairs), dtype=bool)
    first_author[pair[introduced]] = True
    doa = DOA_INTERCEPT + _FA * created + _DL * own - _AC * np.log1p(np.maximum(others, 0.0))
    counts = np.bincount(pair, minlength=len(pairs))
    last = np.full(len(pairs), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, pair, timestamp)
    first = np.full(len(pairs), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, pair, timestamp)
    return AuthorshipTable(
        element=pair_element,
        author=pair_author,
        doa=doa,
        first_author=first_author,
        own_changes=counts,
        others_changes=np.bincount(element)[pair_element] - counts,
        last_touch=last,
        first_touch=first,
    )


def degree_of_authorship(
    touches: Sequence[Touch], *, now: int, half_life_days: float | None = None
) -> list[Authorship]:
    """Rank the authors of one function (or file, or directory) by degree of authorship.

    Args:
        touches: the element's non-cosmetic changes, in any order.
        now: reference timestamp for the decay (the indexed head's commit time).
        half_life_days: age at which a change counts half; ``None``: no decay.

    Returns:
        One entry per author who made at least one of the changes, highest DOA first
        (ties by author key).

    """
    if not touches:
        return []
    authors = sorted({t.author for t in touches})
    index = {a: i for i, a in enumerate(authors)}
    count = len(touches)
    table = authorship_table(
        np.zeros(count, dtype=np.int64),
        np.fromiter((index[t.author] for t in touches), dtype=np.int64, count=count),
        np.fromiter((t.timestamp for t in touches), dtype=np.int64, count=count),
        np.fromiter((t.introduced for t in touches), dtype=bool, count=count),
        now=now,
        half_life_days=half_life_days,
    )
    top = float(table.doa.max())
    ranked = sorted(
        range(len(authors)), key=lambda i: (-round(float(table.doa[i]), 12), authors[i])
    )
    return [
        Authorship(
            author=authors[table.author[i]],
            doa=float(table.doa[i]),
            share=float(table.doa[i]) / top if top > 0 else 0.0,
            first_author=bool(table.first_author[i]),
            own_changes=int(table.own_changes[i]),
            others_changes=int(table.others_changes[i]),
            last_touch=int(table.last_touch[i]),
            first_touch=int(table.first_touch[i]),
        )
        for i in ranked
    ]


def experts_from(
    ranked: Sequence[Authorship],
    *,
    names: Mapping[str, str],
    last_seen: Mapping[str, int],
    active_since: float,
    recent: Mapping[str, int] | None = None,
) -> list[Expert]:
    """The :class:`~loopintel.Expert` values of a ranking.

    Args:
        ranked: from :func:`degree_of_authorship`.
        names: author key to the name to show.
        last_seen: author key to the time of their latest commit in the repository.
        active_since: authors seen at or after this timestamp are active.
        recent: author key to their commits anywhere in the repository lately.

    """
    return [
        Expert(
            name=names.get(a.author, a.author),
            email=a.author,
            doa=a.doa,
            share=a.share,
            first_author=a.first_author,
            own_changes=a.own_changes,
            others_changes=a.others_changes,
            last_touch=datetime.fromtimestamp(a.last_touch, UTC),
            active=last_seen.get(a.author, 0) >= active_since,
            first_touch=None
            if a.first_touch is None
            else datetime.fromtimestamp(a.first_touch, UTC),
            last_commit=datetime.fromtimestamp(last_seen[a.author], UTC)
            if a.author in last_seen
            else None,
            recent_commits=(recent or {}).get(a.author, 0),
        )
        for a in ranked
    ]


def ranked_by_expertise(
    touches: Sequence[Touch],
    *,
    now: int,
    half_life_days: float | None,
    names: Mapping[str, str],
    last_seen: Mapping[str, int],
    active_since: float,
    recent: Mapping[str, int] | None = None,
    weights: NDArray[np.float64] | None = None,
) -> list[Expert]:
    """The experts of a body of code, ordered by :func:`expertise`, with their evidence.

    Each carries the expertise score as its ``share``, and its degree of authorship
    (decayed with the same half-life) with the counts behind it; people whose only
    changes were cosmetic come last, flagged ``cosmetic_only``.
    """
    if not touches:
        return []
    keys = sorted({t.author for t in touches})
    (ranked,) = experts_by_element(
        touch_arrays(touches, keys),
        elements=1,
        keys=keys,
        now=now,
        half_life_days=half_life_days,
        names=names,
        last_seen=last_seen,
        active_since=active_since,
        recent=recent,
        weights=weights,
    )
    return ranked


class TouchArrays(NamedTuple):
    """Touches of many elements at once, one position per touch (see :class:`Touch`)."""

    element: NDArray[np.int64]
    """Index of the element (file, module...) in the caller's numbering."""
    author: NDArray[np.int64]
    """Index of the author; authors numbered in key order (sorted emails), so that
    ties break by key as for one element."""
    timestamp: NDArray[np.int64]
    introduced: NDArray[np.bool_]
    cosmetic: NDArray[np.bool_]
    order: NDArray[np.int64]
    """The commit's place in graph order; -1 where unknown."""


def touch_arrays(touches: Sequence[Touch], keys: Sequence[str]) -> TouchArrays:
    """The arrays of one element's touches, authors numbered by their place in ``keys``."""
    index = {key: i for i, key in enumerate(keys)}
    count = len(touches)
    return TouchArrays(
        element=np.zeros(count, dtype=np.int64),
        author=np.fromiter((index[t.author] for t in touches), np.int64, count),
        timestamp=np.fromiter((t.timestamp for t in touches), np.int64, count),
        introduced=np.fromiter((t.introduced for t in touches), bool, count),
        cosmetic=np.fromiter((t.cosmetic for t in touches), bool, count),
        order=np.fromiter((-1 if t.order is None else t.order for t in touches), np.int64, count),
    )


def experts_by_element(
    touches: TouchArrays,
    *,
    elements: int,
    keys: Sequence[str],
    now: int,
    half_life_days: float | None,
    names: Mapping[str, str],
    last_seen: Mapping[str, int],
    active_since: float,
    recent: Mapping[str, int] | None = None,
    wanted: Sequence[int] | None = None,
    weights: NDArray[np.float64] | None = None,
) -> list[list[Expert]]:
    """:func:`ranked_by_expertise` of many elements from one set of arrays.

    One :func:`expertise_table` and one :func:`authorship_table` over every touch, so
    the experts of every file of a repository cost a few numpy passes, not a Python
    loop per file.

    Args:
        touches: every touch of every element.
        elements: how many elements there are.
        keys: the author keys (emails) by author index, sorted.
        now: reference timestamp for the decay (the indexed head's commit time).
        half_life_days: age at which a change counts half; ``None``: no decay.
        names: author key to the name to show.
        last_seen: author key to the time of their latest commit in the repository.
        active_since: authors seen at or after this timestamp are active.
        recent: author key to their commits anywhere in the repository lately (the
            ranking's ``active_90``).
        wanted: the elements to build experts for (default: all); the others get none.
        weights: the ranking's weights (default: the fixed ranking's).

    Returns:
        Per element, its experts best first (an empty list for an element not wanted or
        without touches).

    """
    out: list[list[Expert]] = [[] for _ in range(elements)]
    if not len(touches.element):
        return out
    recent = recent or {}
    active = np.array([float(recent.get(key, 0)) for key in keys])
    standing = expertise_table(
        touches.element,
        touches.author,
        touches.timestamp,
        touches.cosmetic,
        touches.order,
        now=now,
        half_life_days=half_life_days,
        weights=weights,
        activity=active[touches.author],
    )
    real = ~touches.cosmetic
    table = authorship_table(
        touches.element[real],
        touches.author[real],
        touches.timestamp[real],
        touches.introduced[real],
        now=now,
        half_life_days=half_life_days,
    )
    width = np.int64(len(keys) + 1)
    codes = table.element * width + table.author
    wanted_codes = standing.element * width + standing.author
    found = np.minimum(np.searchsorted(codes, wanted_codes), max(len(codes) - 1, 0))
    known = (codes[found] == wanted_codes) if len(codes) else np.zeros(len(found), dtype=bool)
    touched, pair = np.unique(touches.element * width + touches.author, return_inverse=True)
    first = np.full(len(touched), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, pair, touches.timestamp)
    first_of = np.searchsorted(touched, wanted_codes)
    changes = np.bincount(touches.element[real], minlength=elements)
    bounds = np.searchsorted(standing.element, np.arange(elements + 1))
    for element in range(elements) if wanted is None else wanted:
        ranked = out[element]
        for i in range(int(bounds[element]), int(bounds[element + 1])):
            author = keys[int(standing.author[i])]
            seen = last_seen.get(author)
            j = int(found[i])
            own = bool(known[i])
            ranked.append(
                Expert(
                    name=names.get(author, author),
                    email=author,
                    doa=float(table.doa[j]) if own else 0.0,
                    share=float(standing.score[i]),
                    first_author=bool(table.first_author[j]) if own else False,
                    own_changes=int(table.own_changes[j]) if own else 0,
                    others_changes=int(table.others_changes[j]) if own else int(changes[element]),
                    last_touch=datetime.fromtimestamp(int(standing.latest[i]), UTC),
                    active=(seen or 0) >= active_since,
                    first_touch=datetime.fromtimestamp(int(first[int(first_of[i])]), UTC),
                    last_commit=None if seen is None else datetime.fromtimestamp(seen, UTC),
                    recent_commits=recent.get(author, 0),
                    cosmetic_only=not own,
                )
            )
    return out


def file_authors(table: AuthorshipTable, elements: int) -> NDArray[np.bool_]:
    """Which entries of ``table`` make their author an author of the element.

    Avelino et al.'s rule: an absolute DOA of at least :data:`DOA_INTERCEPT` and more
    than :data:`AUTHOR_MIN_SHARE` of the element's highest DOA.

    Args:
        table: the authorship of the elements.
        elements: how many elements there are (those without changes included).

    """
    top = np.full(elements, -np.inf)
    np.maximum.at(top, table.element, table.doa)
    # Compare DOA with share * top rather than DOA / top: no division, and a negative
    # top (heavily reworked, all decayed) cannot flip the inequality.
    return (table.doa >= DOA_INTERCEPT) & (table.doa > AUTHOR_MIN_SHARE * top[table.element])


class TruckFactorResult(NamedTuple):
    """The outcome of :func:`greedy_truck_factor`."""

    factor: int
    """How many authors were removed."""
    removed: tuple[int, ...]
    """Their indices, in removal order."""
    authored: tuple[int, ...]
    """How many elements each removed author authors."""
    orphaned_by: tuple[int, ...]
    """How many elements lost their last author with each removal."""
    authored_before: int
    """Elements that had at least one author before any removal."""
    orphaned: NDArray[np.bool_]
    """Per element: no author left once the removed authors are gone."""


def greedy_truck_factor(table: AuthorshipTable, elements: int) -> TruckFactorResult:
    """Avelino et al.'s truck factor of a set of elements (the files of a module).

    Authors of each element come from :func:`file_authors`. The author who authors the
    most elements is removed, then the next, until fewer than half of the elements
    keep an author (more than half are orphaned); the truck factor is the number
    removed. Ties go to the higher summed DOA over the authored elements, then to the
    lower author index (number authors in key order for a deterministic answer).

    Args:
        table: the authorship of the elements.
        elements: how many elements there are (those without an author count too).

    """
    authoring = file_authors(table, elements)
    element, author = table.element[authoring], table.author[authoring]
    width = int(table.author.max()) + 1 if len(table.author) else 0
    files = np.bincount(author, minlength=width)
    weight = np.bincount(author, weights=table.doa[authoring], minlength=width)
    candidates = [int(a) for a in np.flatnonzero(files)]
    candidates.sort(key=lambda a: (-int(files[a]), -round(float(weight[a]), 9), a))
    left = np.bincount(element, minlength=elements)
    before = int(np.count_nonzero(left))
    covered = before
    removed: list[int] = []
    orphaned_by: list[int] = []
    for candidate in candidates:
        if elements == 0 or 2 * covered < elements:
            break
        mine = element[author == candidate]
        left[mine] -= 1
        lost = int(np.count_nonzero(left[mine] == 0))
        covered -= lost
        removed.append(candidate)
        orphaned_by.append(lost)
    return TruckFactorResult(
        factor=len(removed),
        removed=tuple(removed),
        authored=tuple(int(files[a]) for a in removed),
        orphaned_by=tuple(orphaned_by),
        authored_before=before,
        orphaned=left == 0,
    )


FREQUENCY_WEIGHT = 0.05
"""How much of the fixed expertise score is the author's share of all changes (the rest
is recent, still-current work); chosen on flask and requests by a replay of who changes
the code next (``docs/expert-benchmarks.md``). The prior of the learned ranking."""

EXPERTISE_FEATURES = (
    "current",
    "frequency",
    "changes",
    "latest",
    "recency_rank",
    "recent_90",
    "recent_365",
    "active_90",
    "since",
)
"""What the expertise ranking weighs of each person who changed a body of code:

- ``current``: their share of the recent work still standing (their changes, each
  decayed by the half-life, over ``1 +`` the changes others made since their latest one);
- ``frequency``: their share of all the changes;
- ``changes``: ``ln(1 + their changes)``;
- ``latest``: 1 for whoever changed it last;
- ``recency_rank``: ``1 / k`` for the k-th most recent of its authors;
- ``recent_90``, ``recent_365``: ``0.5 ** (days since their latest change / 90)``, and
  with 365 days;
- ``active_90``: ``ln(1 +`` their commits anywhere in the repository in the 90 days
  before the moment asked ``)``;
- ``since``: ``ln(1 +`` the changes others made after their latest one ``)``.
"""
PRIOR_SCALE = 10.0
"""The fixed ranking as weights: ``current`` and ``frequency`` weighed ``(1 - w, w)``
times this (the learned weights start there and are pulled back towards it)."""


def prior_weights(frequency_weight: float = FREQUENCY_WEIGHT) -> NDArray[np.float64]:
    """The weights of the fixed ranking: recent standing work, then frequency.

    Ranking by them orders people as ``(1 - w) * current + w * frequency`` does.
    """
    weights = np.zeros(len(EXPERTISE_FEATURES))
    weights[EXPERTISE_FEATURES.index("current")] = (1 - frequency_weight) * PRIOR_SCALE
    weights[EXPERTISE_FEATURES.index("frequency")] = frequency_weight * PRIOR_SCALE
    return weights


class Standing(NamedTuple):
    """One author's expertise in one body of code, as the ranking sees it."""

    author: str
    score: float
    """Their share of the expertise: the ranking's chance that they are the one who
    changes the code next, among the people who changed it (the scores sum to 1; 0 for
    those whose only changes were cosmetic)."""
    current: float
    """Their share of the recent work still standing: decayed own changes over ``1 +``
    the changes others made since their latest one, over the sum of everyone's."""
    frequency: float
    """Their share of all the (non-cosmetic) changes."""
    latest: int
    """Timestamp of their latest change, cosmetic ones included."""


def expertise(
    touches: Sequence[Touch],
    *,
    now: int,
    half_life_days: float | None,
    frequency_weight: float = FREQUENCY_WEIGHT,
    weights: NDArray[np.float64] | None = None,
    activity: Mapping[str, int] | None = None,
) -> list[Standing]:
    """Rank the people who know a body of code, best first.

    Each person who changed it in substance gets the features of
    :data:`EXPERTISE_FEATURES`; the ranking is by ``weights . features`` (default: the
    fixed ranking of :func:`prior_weights`; :mod:`loopintel.analysis.expert_model`
    learns them from a repository's own history) and the score shown is the softmax of
    that over the people: the model's chance that each is the next to change the code.
    People whose only changes were cosmetic come after everyone else with a score of 0:
    they were around the code, they did not shape it.

    Args:
        touches: the changes of the code ("since" counted in graph order when every
            non-cosmetic touch carries it).
        now: the moment asked (decay and activity are measured back from it).
        half_life_days: age at which a change counts half in ``current``.
        frequency_weight: the fixed ranking's weight of frequency (without ``weights``).
        weights: one weight per feature of :data:`EXPERTISE_FEATURES`.
        activity: author key to their commits anywhere in the repository in the 90
            days before ``now`` (absent: none).

    Order-free: the same touches in any order give the same ranking. Ties go to the most
    recent, then by author key. One body of code of :func:`expertise_table`.

    """
    if not touches:
        return []
    keys = sorted({t.author for t in touches})
    arrays = touch_arrays(touches, keys)
    recent = activity or {}
    table = expertise_table(
        arrays.element,
        arrays.author,
        arrays.timestamp,
        arrays.cosmetic,
        arrays.order,
        now=now,
        half_life_days=half_life_days,
        frequency_weight=frequency_weight,
        weights=weights,
        activity=np.array([float(recent.get(k, 0)) for k in keys])[arrays.author],
    )
    return [
        Standing(keys[int(a)], float(s), float(c), float(f), int(t))
        for a, s, c, f, t in zip(
            table.author, table.score, table.current, table.frequency, table.latest, strict=True
        )
    ]


class ExpertiseTable(NamedTuple):
    """:func:`expertise` of many elements: one entry per (element, author).

    Entries come by element, each element's in ranking order (best first).
    """

    element: NDArray[np.int64]
    author: NDArray[np.int64]
    score: NDArray[np.float64]
    """The author's share of the element's expertise (0 for cosmetic changes only)."""
    current: NDArray[np.float64]
    frequency: NDArray[np.float64]
    latest: NDArray[np.int64]
    """Timestamp of their latest non-cosmetic change (of their latest cosmetic one for
    those who made only cosmetic changes)."""


class ExpertiseFeatures(NamedTuple):
    """The features of every (element, author) pair of a set of touches."""

    element: NDArray[np.int64]
    author: NDArray[np.int64]
    shaped: NDArray[np.bool_]
    """Whether the author changed the element in substance (not only cosmetically)."""
    values: NDArray[np.float64]
    """One row per pair, one column per feature of :data:`EXPERTISE_FEATURES` (zeros
    for the pairs not shaped)."""
    latest: NDArray[np.int64]
    """Timestamp of their latest non-cosmetic change (of their latest cosmetic one for
    those who made only cosmetic changes)."""


def expertise_features(
    element: NDArray[np.int64],
    author: NDArray[np.int64],
    timestamp: NDArray[np.int64],
    cosmetic: NDArray[np.bool_],
    order: NDArray[np.int64],
    *,
    now: int | NDArray[np.int64],
    half_life_days: float | None,
    activity: NDArray[np.float64] | None = None,
) -> ExpertiseFeatures:
    """The :data:`EXPERTISE_FEATURES` of every (element, author) pair, from parallel arrays.

    Each position is one touch. ``order`` is the commit's place in graph order, -1 where
    unknown: an element counts "since" in graph order when all its non-cosmetic touches
    know their place, else by author time. ``now`` is one moment for all elements or one
    per element (by element index); ``activity`` one value per touch, the author's
    commits in the repository in the 90 days before the element's ``now``. Pairs come
    sorted by element, then author.
    """
    # A canonical order makes the sums, hence the scores, independent of the input order.
    sort = np.lexsort((cosmetic, order, timestamp, author, element))
    element, author = element[sort].astype(np.int64), author[sort].astype(np.int64)
    timestamp, order = timestamp[sort].astype(np.int64), order[sort].astype(np.int64)
    active = np.zeros(len(element)) if activity is None else activity[sort].astype(np.float64)
    real = ~cosmetic[sort].astype(bool)
    elements = int(element.max()) + 1
    per_element = None if isinstance(now, int) else np.asarray(now, dtype=np.int64)
    moment = now if per_element is None else per_element[element]
    by_order = np.bincount(element[real & (order < 0)], minlength=elements) == 0
    key = np.where(by_order[element], order, timestamp)
    weight = _decayed(timestamp, now=moment, half_life_days=half_life_days)
    pairs, pair, pair_element, pair_author = _pairs(element, author)
    count = np.bincount(pair[real], minlength=len(pairs))
    own = np.bincount(pair[real], weights=weight[real], minlength=len(pairs))
    smallest = np.iinfo(np.int64).min
    latest_real = np.full(len(pairs), smallest, dtype=np.int64)
    np.maximum.at(latest_real, pair[real], timestamp[real])
    latest_any = np.full(len(pairs), smallest, dtype=np.int64)
    np.maximum.at(latest_any, pair, timestamp)
    last_key = np.full(len(pairs), smallest, dtype=np.int64)
    np.maximum.at(last_key, pair[real], key[real])
    pair_active = np.zeros(len(pairs))
    np.maximum.at(pair_active, pair, active)
    # Changes of the element after the author's latest one are all by somebody else.
    low = int(key[real].min()) if real.any() else 0
    span = np.int64((int(key[real].max()) - low + 2) if real.any() else 1)
    placed = np.sort(element[real] * span + (key[real] - low))
    shaped = count > 0
    since_key = np.where(shaped, last_key, low) - low
    after = np.searchsorted(placed, pair_element * span + since_key, side="right")
    end = np.searchsorted(placed, (pair_element + 1) * span, side="left")
    since = np.where(shaped, end - after, 0)
    current = np.where(shaped, own / (1 + since), 0.0)
    total = np.bincount(pair_element, weights=current, minlength=elements)
    total = np.where(total == 0, 1.0, total)
    changes = np.bincount(element[real], minlength=elements)
    frequency = np.where(shaped, count / np.maximum(changes[pair_element], 1), 0.0)
    # The k-th most recent author of an element (graph order, else author time).
    by_recency = np.lexsort((pair_author, -since_key, ~shaped, pair_element))
    first_of = np.searchsorted(pair_element[by_recency], pair_element[by_recency])
    place = np.empty(len(pairs), dtype=np.int64)
    place[by_recency] = np.arange(len(pairs)) - first_of
    pair_now = np.full(len(pairs), now) if per_element is None else per_element[pair_element]
    age_days = np.maximum(0.0, (pair_now - latest_real.astype(np.float64)) / 86400.0)
    values = np.column_stack(
        [
            current / total[pair_element],
            frequency,
            np.log1p(count),
            (place == 0).astype(np.float64),
            1.0 / (1 + place),
            np.power(0.5, age_days / 90.0),
            np.power(0.5, age_days / 365.0),
            np.log1p(pair_active),
            np.log1p(since),
        ]
    )
    values[~shaped] = 0.0
    latest = np.where(shaped, latest_real, latest_any)
    return ExpertiseFeatures(pair_element, pair_author, shaped, values, latest)


def expertise_table(
    element: NDArray[np.int64],
    author: NDArray[np.int64],
    timestamp: NDArray[np.int64],
    cosmetic: NDArray[np.bool_],
    order: NDArray[np.int64],
    *,
    now: int,
    half_life_days: float | None,
    frequency_weight: float = FREQUENCY_WEIGHT,
    weights: NDArray[np.float64] | None = None,
    activity: NDArray[np.float64] | None = None,
) -> ExpertiseTable:
    """The :func:`expertise` ranking of every element at once, from parallel arrays.

    Each position is one touch (see :func:`expertise_features`; ``activity`` one value
    per touch). Authors are numbered in key order, so that ties break by key.
    """
    if not len(element):
        empty = np.zeros(0, dtype=np.int64)
        return ExpertiseTable(empty, empty, np.zeros(0), np.zeros(0), np.zeros(0), empty)
    found = expertise_features(
        element,
        author,
        timestamp,
        cosmetic,
        order,
        now=now,
        half_life_days=half_life_days,
        activity=activity,
    )
    w = prior_weights(frequency_weight) if weights is None else np.asarray(weights, np.float64)
    linear = found.values @ w
    score = element_softmax(linear, found.element, found.shaped)
    rank = np.lexsort(
        (found.author, -found.latest, -np.round(linear, 9), ~found.shaped, found.element)
    )
    return ExpertiseTable(
        element=found.element[rank],
        author=found.author[rank],
        score=score[rank],
        current=found.values[rank, EXPERTISE_FEATURES.index("current")],
        frequency=found.values[rank, EXPERTISE_FEATURES.index("frequency")],
        latest=found.latest[rank],
    )


def element_softmax(
    linear: NDArray[np.float64], element: NDArray[np.int64], shaped: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Each shaped pair's ``exp(linear)`` over its element's sum (0 for the others).

    ``element`` must be sorted (pairs come by element).
    """
    out = np.zeros(len(linear))
    if not shaped.any():
        return out
    top = np.full(int(element.max()) + 1, -np.inf)
    np.maximum.at(top, element[shaped], linear[shaped])
    gap = np.where(shaped, linear - np.where(np.isfinite(top), top, 0.0)[element], -np.inf)
    raised = np.exp(gap)
    total = np.bincount(element, weights=raised, minlength=len(top))
    return np.asarray(raised / np.where(total > 0, total, 1.0)[element], dtype=np.float64)
