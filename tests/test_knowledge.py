"""Degree of authorship: hand-computed values and properties."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from loopintel.analysis.knowledge import Touch, degree_of_authorship

DAY = 86400


def test_hand_computed_values_without_decay() -> None:
    touches = [Touch("a@x", 0, True), Touch("a@x", DAY, False), Touch("b@x", 2 * DAY, False)]
    ranked = degree_of_authorship(touches, now=2 * DAY)
    assert [r.author for r in ranked] == ["a@x", "b@x"]
    a, b = ranked
    assert math.isclose(a.doa, 3.293 + 1.098 + 0.164 * 2 - 0.321 * math.log(2))
    assert math.isclose(b.doa, 3.293 + 0.164 * 1 - 0.321 * math.log(3))
    assert a.share == 1.0
    assert math.isclose(b.share, b.doa / a.doa)
    assert (a.first_author, a.own_changes, a.others_changes, a.last_touch) == (True, 2, 1, DAY)
    assert (b.first_author, b.own_changes, b.others_changes, b.last_touch) == (False, 1, 2, 2 * DAY)


def test_hand_computed_values_with_decay() -> None:
    touches = [Touch("a@x", 0, True), Touch("a@x", 10 * DAY, False), Touch("b@x", 20 * DAY, False)]
    a, b = degree_of_authorship(touches, now=20 * DAY, half_life_days=10)
    # weights 0.25, 0.5, 1.0
    assert math.isclose(a.doa, 3.293 + 1.098 * 0.25 + 0.164 * 0.75 - 0.321 * math.log(2.0))
    assert math.isclose(b.doa, 3.293 + 0.164 * 1.0 - 0.321 * math.log(1.75))
    assert a.own_changes == 2  # counts stay undecayed


def test_nothing_in_nothing_out() -> None:
    assert degree_of_authorship([], now=0) == []


touches_strategy = st.lists(
    st.builds(
        Touch,
        author=st.sampled_from(["a@x", "b@x", "c@x", "d@x"]),
        timestamp=st.integers(0, 1000 * DAY),
        introduced=st.just(False),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(
    touches=touches_strategy,
    seed=st.integers(0, 1000),
    half_life=st.sampled_from([None, 30.0, 365.0]),
)
def test_ranking_is_stable_under_reordering(
    touches: list[Touch], seed: int, half_life: float | None
) -> None:
    touches = [touches[0]._replace(introduced=True), *touches[1:]]
    shuffled = list(touches)
    random.Random(seed).shuffle(shuffled)
    now = 1000 * DAY
    assert degree_of_authorship(
        shuffled, now=now, half_life_days=half_life
    ) == degree_of_authorship(touches, now=now, half_life_days=half_life)


@settings(max_examples=200, deadline=None)
@given(touches=touches_strategy)
def test_no_author_is_ranked_from_a_change_they_did_not_make(touches: list[Touch]) -> None:
    ranked = degree_of_authorship(touches, now=1000 * DAY)
    assert {r.author for r in ranked} == {t.author for t in touches}
    assert sum(r.own_changes for r in ranked) == len(touches)
    for r in ranked:
        assert r.own_changes + r.others_changes == len(touches)
        assert r.own_changes == sum(t.author == r.author for t in touches)
    assert ranked[0].share == 1.0


@settings(max_examples=200, deadline=None)
@given(touches=touches_strategy, author=st.sampled_from(["a@x", "b@x"]))
def test_another_change_raises_its_authors_doa(touches: list[Touch], author: str) -> None:
    before = {r.author: r.doa for r in degree_of_authorship(touches, now=1000 * DAY)}
    after = {
        r.author: r.doa
        for r in degree_of_authorship([*touches, Touch(author, 1000 * DAY, False)], now=1000 * DAY)
    }
    assert after[author] > before.get(author, -math.inf)
