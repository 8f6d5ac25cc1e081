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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DOA_INTERCEPT", "Authorship", "Touch", "degree_of_authorship"]

DOA_INTERCEPT = 3.293
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


def degree_of_authorship(
    touches: Sequence[Touch], *, now: int, half_life_days: float | None = None
) -> list[Authorship]:
    """Rank the authors of one function by degree of authorship.

    Args:
        touches: the function's non-cosmetic changes, in any order.
        now: reference timestamp for the decay (the indexed head's commit time).
        half_life_days: age at which a change counts half; ``None``: no decay.

    Returns:
        One entry per author who made at least one of the changes, highest DOA first
        (ties by author key).

    """
    if not touches:
        return []
    # A canonical order makes the floating-point sums, hence the result, independent
    # of the order the changes come in.
    touches = sorted(touches)
    authors = sorted({t.author for t in touches})
    index = {a: i for i, a in enumerate(authors)}
    who = np.fromiter((index[t.author] for t in touches), dtype=np.int64, count=len(touches))
    when = np.fromiter((t.timestamp for t in touches), dtype=np.float64, count=len(touches))
    first = np.fromiter((t.introduced for t in touches), dtype=bool, count=len(touches))
    if half_life_days is None:
        weight = np.ones(len(touches))
    else:
        age_days = np.maximum(0.0, (now - when) / 86400.0)
        weight = np.power(0.5, age_days / half_life_days)
    own = np.bincount(who, weights=weight, minlength=len(authors))
    total = float(weight.sum())
    others = total - own
    first_author = np.zeros(len(authors), dtype=bool)
    first_author[who[first]] = True
    # Creating the function fades like any other change.
    created = np.zeros(len(authors))
    np.maximum.at(created, who[first], weight[first])
    doa = DOA_INTERCEPT + _FA * created + _DL * own - _AC * np.log1p(others)
    counts = np.bincount(who, minlength=len(authors))
    last = np.full(len(authors), -(2**62), dtype=np.int64)
    np.maximum.at(last, who, when.astype(np.int64))
    top = float(doa.max())
    ranked = sorted(range(len(authors)), key=lambda i: (-round(float(doa[i]), 12), authors[i]))
    return [
        Authorship(
            author=authors[i],
            doa=float(doa[i]),
            share=float(doa[i]) / top if top > 0 else 0.0,
            first_author=bool(first_author[i]),
            own_changes=int(counts[i]),
            others_changes=len(touches) - int(counts[i]),
            last_touch=int(last[i]),
        )
        for i in ranked
    ]
