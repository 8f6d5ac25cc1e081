"""The expertise ranking's shares worked out by hand, for tests of small histories."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class Person(NamedTuple):
    """What one person did to a body of code, as the ranking's features read it."""

    standing: float
    """Their changes still standing: own changes (decayed) over 1 + others' changes since."""
    changes: int
    place: int
    """0 for whoever changed it last, 1 for the one before, ..."""
    age_days: float
    """Days from their latest change to the moment asked."""
    active: int
    """Their commits in the repository in the 90 days before the moment asked."""
    since: int
    """Changes by others after their latest one."""


def shares(people: Mapping[str, Person], weights: Sequence[float]) -> dict[str, float]:
    """Each person's share: the softmax of ``weights . features`` over the people.

    The features in the order of ``loopintel.analysis.knowledge.EXPERTISE_FEATURES``.
    """
    total_standing = sum(p.standing for p in people.values())
    total_changes = sum(p.changes for p in people.values())
    linear = {}
    for key, p in people.items():
        features = (
            p.standing / total_standing,
            p.changes / total_changes,
            math.log1p(p.changes),
            1.0 if p.place == 0 else 0.0,
            1 / (1 + p.place),
            0.5 ** (p.age_days / 90),
            0.5 ** (p.age_days / 365),
            math.log1p(p.active),
            math.log1p(p.since),
        )
        linear[key] = sum(w * f for w, f in zip(weights, features, strict=True))
    top = max(linear.values())
    raised = {k: math.exp(v - top) for k, v in linear.items()}
    total = sum(raised.values())
    return {k: v / total for k, v in raised.items()}
