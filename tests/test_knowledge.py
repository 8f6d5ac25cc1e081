"""Degree of authorship and truck factor: hand-computed values and properties."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopintel.analysis.knowledge import (
    EXPERTISE_FEATURES,
    AuthorshipTable,
    Touch,
    TouchArrays,
    authorship_table,
    degree_of_authorship,
    expertise,
    expertise_features,
    experts_by_element,
    file_authors,
    greedy_truck_factor,
    ranked_by_expertise,
    touch_arrays,
)

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


# -- many elements at once, file authorship, truck factor --------------------------------


def table_of(
    rows: list[tuple[int, str, int, bool]], *, now: int = 1000 * DAY, half_life: float | None = None
) -> tuple[AuthorshipTable, list[str]]:
    """The authorship table of (element, author, timestamp, introduced) rows."""
    keys = sorted({r[1] for r in rows})
    index = {k: i for i, k in enumerate(keys)}
    table = authorship_table(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([index[r[1]] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.int64),
        np.array([r[3] for r in rows], dtype=bool),
        now=now,
        half_life_days=half_life,
    )
    return table, keys


def given_doa(entries: list[tuple[int, int, float]]) -> AuthorshipTable:
    """A table with chosen DOA values: (element, author, doa) entries."""
    count = len(entries)
    ones = np.ones(count, dtype=np.int64)
    return AuthorshipTable(
        element=np.array([e[0] for e in entries], dtype=np.int64),
        author=np.array([e[1] for e in entries], dtype=np.int64),
        doa=np.array([e[2] for e in entries]),
        first_author=np.zeros(count, dtype=bool),
        own_changes=ones,
        others_changes=ones,
        last_touch=ones,
        first_touch=ones,
    )


def test_a_table_of_two_files_by_hand() -> None:
    table, keys = table_of(
        [
            (0, "a@x", 0, True),
            (0, "b@x", DAY, False),
            (0, "a@x", 2 * DAY, False),
            (1, "b@x", 0, True),
        ]
    )
    entries = {
        (int(e), keys[int(a)]): (float(d), bool(f), int(o), int(x), int(t))
        for e, a, d, f, o, x, t in zip(*table[:7], strict=True)
    }
    firsts = {
        (int(e), keys[int(a)]): int(first)
        for e, a, first in zip(table.element, table.author, table.first_touch, strict=True)
    }
    assert firsts == {(0, "a@x"): 0, (0, "b@x"): DAY, (1, "b@x"): 0}
    assert entries.keys() == {(0, "a@x"), (0, "b@x"), (1, "b@x")}
    doa, fa, own, others, last = entries[0, "a@x"]
    assert math.isclose(doa, 3.293 + 1.098 + 0.164 * 2 - 0.321 * math.log(2))
    assert (fa, own, others, last) == (True, 2, 1, 2 * DAY)
    doa, fa, own, others, last = entries[0, "b@x"]
    assert math.isclose(doa, 3.293 + 0.164 - 0.321 * math.log(3))
    assert (fa, own, others, last) == (False, 1, 2, DAY)
    # b's file 1 is not diluted by file 0
    assert math.isclose(entries[1, "b@x"][0], 3.293 + 1.098 + 0.164)
    # a: 4.50 authors file 0; b: 3.10 < 3.293 does not; b authors file 1 alone
    assert file_authors(table, 2).tolist() == [True, False, True]


def test_the_table_agrees_with_the_ranking_of_one_element() -> None:
    touches = [Touch("a@x", 0, True), Touch("b@x", 10 * DAY, False), Touch("a@x", 20 * DAY, False)]
    table, keys = table_of([(0, t.author, t.timestamp, t.introduced) for t in touches])
    ranked = {r.author: r.doa for r in degree_of_authorship(touches, now=1000 * DAY)}
    assert {keys[int(a)]: float(d) for a, d in zip(table.author, table.doa, strict=True)} == ranked


def test_decay_halves_a_change_per_half_life() -> None:
    fresh, _ = table_of([(0, "a@x", 100 * DAY, True)], now=100 * DAY, half_life=30)
    old, _ = table_of([(0, "a@x", 70 * DAY, True)], now=100 * DAY, half_life=30)
    assert math.isclose(fresh.doa[0], 3.293 + 1.098 + 0.164)
    assert math.isclose(old.doa[0], 3.293 + (1.098 + 0.164) / 2)
    assert old.own_changes[0] == 1  # counts stay undecayed


def test_file_authorship_thresholds_are_avelinos() -> None:
    # absolute DOA at least 3.293, and strictly more than 0.75 of the file's top DOA
    table = given_doa(
        [(0, 0, 8.0), (0, 1, 6.0), (0, 2, 6.01), (1, 0, 3.293), (2, 1, 3.29), (3, 0, -1.0)]
    )
    assert file_authors(table, 4).tolist() == [True, False, True, True, False, False]


def test_truck_factor_by_hand() -> None:
    # a authors files 0, 1, 2; b authors 2, 3; c authors 3, 4 (b and c tie on files,
    # b has more DOA over them: 9.5 against 9.0). Removing a orphans 0 and 1: 2 of 5,
    # not more than half, go on; removing b orphans 2: 3 of 5, stop. TF = 2.
    table = given_doa(
        [
            (0, 0, 5.0),
            (1, 0, 5.0),
            (2, 0, 5.0),
            (2, 1, 4.5),
            (3, 1, 5.0),
            (3, 2, 4.0),
            (4, 2, 5.0),
        ]
    )
    result = greedy_truck_factor(table, 5)
    assert result.factor == 2
    assert result.removed == (0, 1)
    assert result.authored == (3, 2)
    assert result.orphaned_by == (2, 1)
    assert result.authored_before == 5
    assert result.orphaned.tolist() == [True, True, True, False, False]


def test_exactly_half_orphaned_is_not_enough() -> None:
    # a authors 0 and 1, b authors 2 and 3: without a, 2 of 4 are orphaned (half,
    # not more): b goes too. Avelino et al.'s tool stops when coverage < 50%.
    table = given_doa([(0, 0, 5.0), (1, 0, 5.0), (2, 1, 5.0), (3, 1, 5.0)])
    assert greedy_truck_factor(table, 4).factor == 2
    # with a fifth file of a's, removing a orphans 3 of 5: TF = 1
    table = given_doa([(0, 0, 5.0), (1, 0, 5.0), (2, 1, 5.0), (3, 1, 5.0), (4, 0, 5.0)])
    assert greedy_truck_factor(table, 5).factor == 1


def test_ties_go_to_the_stronger_author_then_the_first_key() -> None:
    stronger = given_doa([(0, 0, 5.0), (0, 1, 6.0)])
    assert greedy_truck_factor(stronger, 1).removed == (1, 0)
    equal = given_doa([(0, 0, 5.0), (0, 1, 5.0)])
    assert greedy_truck_factor(equal, 1).removed == (0, 1)


def test_no_author_means_a_truck_factor_of_zero() -> None:
    table = given_doa([(0, 0, 3.0), (1, 0, 5.0)])
    result = greedy_truck_factor(table, 3)  # file 2 has no changes at all
    assert (result.factor, result.authored_before) == (0, 1)
    assert result.orphaned.tolist() == [True, False, True]
    assert greedy_truck_factor(given_doa([]), 0).factor == 0


file_touches = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(["a@x", "b@x", "c@x", "d@x", "e@x"]),
        st.integers(0, 1000 * DAY),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(rows=file_touches, seed=st.integers(0, 1000), half_life=st.sampled_from([None, 90.0]))
def test_table_and_truck_factor_are_stable_under_reordering(
    rows: list[tuple[int, str, int, bool]], seed: int, half_life: float | None
) -> None:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    table, _ = table_of(rows, half_life=half_life)
    again, _ = table_of(shuffled, half_life=half_life)
    for column, other in zip(table, again, strict=True):
        assert np.array_equal(column, other)
    one, two = greedy_truck_factor(table, 6), greedy_truck_factor(again, 6)
    assert one[:5] == two[:5]
    assert np.array_equal(one.orphaned, two.orphaned)


@settings(max_examples=200, deadline=None)
@given(rows=file_touches, half_life=st.sampled_from([None, 90.0]))
def test_nobody_authors_a_file_they_did_not_change(
    rows: list[tuple[int, str, int, bool]], half_life: float | None
) -> None:
    table, keys = table_of(rows, half_life=half_life)
    changed = {(e, a) for e, a, _, _ in rows}
    pairs = [(int(e), keys[int(a)]) for e, a in zip(table.element, table.author, strict=True)]
    assert set(pairs) == changed
    assert len(pairs) == len(changed)
    for (element, author), own, others in zip(
        pairs, table.own_changes, table.others_changes, strict=True
    ):
        assert own == sum(r[0] == element and r[1] == author for r in rows)
        assert own + others == sum(r[0] == element for r in rows)
    authoring = file_authors(table, 6)
    result = greedy_truck_factor(table, 6)
    for removed, files in zip(result.removed, result.authored, strict=True):
        mine = authoring & (table.author == removed)
        assert files == int(mine.sum()) > 0


@settings(max_examples=200, deadline=None)
@given(rows=file_touches, files=st.integers(6, 9))
def test_the_greedy_removal_stops_at_the_first_majority_of_orphans(
    rows: list[tuple[int, str, int, bool]], files: int
) -> None:
    table, _ = table_of(rows)
    result = greedy_truck_factor(table, files)
    authoring = file_authors(table, files)
    covered = set(table.element[authoring].tolist())
    # everything removed: the orphans are more than half
    assert 2 * int(result.orphaned.sum()) > files
    assert int(result.orphaned.sum()) == files - len(covered) + sum(result.orphaned_by)
    # one author fewer: not yet
    if result.factor:
        assert 2 * (int(result.orphaned.sum()) - result.orphaned_by[-1]) <= files
    assert result.factor <= len(set(table.author[authoring].tolist()))
    authors_per_file = np.bincount(table.element[authoring], minlength=files)
    assert result.authored_before == int(np.count_nonzero(authors_per_file))


def test_expertise_by_hand() -> None:
    # a introduced it (day 0) and changed it (day 2); b changed it on day 1; c only
    # reformatted it (day 3). Undecayed: a's two changes stand whole (nobody came after
    # the latest), b's one is reworked by one change since: "current" 2 and 0.5.
    touches = [
        Touch("a@x", 0, True),
        Touch("b@x", DAY, False),
        Touch("a@x", 2 * DAY, False),
        Touch("c@x", 3 * DAY, False, True),
    ]
    ranked = expertise(touches, now=3 * DAY, half_life_days=None, activity={"a@x": 4})
    assert [s.author for s in ranked] == ["a@x", "b@x", "c@x"]
    a, b, c = ranked
    assert (a.current, b.current) == (0.8, 0.2)  # shares of the standing work
    assert (a.frequency, b.frequency) == (2 / 3, 1 / 3)
    # The fixed ranking's weights: 9.5 on current, 0.5 on frequency; the score is the
    # softmax of that over the people who shaped the code.
    linear_a, linear_b = 9.5 * 0.8 + 0.5 * 2 / 3, 9.5 * 0.2 + 0.5 / 3
    assert math.isclose(a.score, 1 / (1 + math.exp(linear_b - linear_a)))
    assert math.isclose(a.score + b.score, 1.0)
    assert (c.score, c.latest) == (0.0, 3 * DAY)  # around the code, not its author
    # With a one-day half-life a's older change fades: 1 + 0.5 ** 2 of a change.
    decayed = {s.author: s for s in expertise(touches, now=2 * DAY, half_life_days=1)}
    assert math.isclose(decayed["a@x"].current, 1.25 / 1.5)
    assert math.isclose(decayed["b@x"].current, 0.25 / 1.5)


def test_expertise_features_by_hand() -> None:
    touches = [
        Touch("a@x", 0, True),
        Touch("b@x", DAY, False),
        Touch("a@x", 2 * DAY, False),
        Touch("c@x", 3 * DAY, False, True),
    ]
    arrays = touch_arrays(touches, ["a@x", "b@x", "c@x"])
    found = expertise_features(
        arrays.element,
        arrays.author,
        arrays.timestamp,
        arrays.cosmetic,
        arrays.order,
        now=3 * DAY,
        half_life_days=None,
        activity=np.array([4.0, 0.0, 1.0])[arrays.author],
    )
    assert list(found.shaped) == [True, True, False]
    a, b, c = (dict(zip(EXPERTISE_FEATURES, row, strict=True)) for row in found.values)
    assert a == pytest.approx(
        {
            "current": 0.8,
            "frequency": 2 / 3,
            "changes": math.log(3),
            "latest": 1.0,
            "recency_rank": 1.0,
            "recent_90": 0.5 ** (1 / 90),
            "recent_365": 0.5 ** (1 / 365),
            "active_90": math.log(5),
            "since": 0.0,
        }
    )
    assert b == pytest.approx(
        {
            "current": 0.2,
            "frequency": 1 / 3,
            "changes": math.log(2),
            "latest": 0.0,
            "recency_rank": 0.5,
            "recent_90": 0.5 ** (2 / 90),
            "recent_365": 0.5 ** (2 / 365),
            "active_90": 0.0,
            "since": math.log(2),
        }
    )
    assert set(c.values()) == {0.0}  # only cosmetic: no features, ranked after the others


@pytest.mark.parametrize("seed", range(20))
def test_the_prior_ranks_as_the_fixed_formula(seed: int) -> None:
    # The fixed ranking, (1 - w) * current share + w * frequency, computed here by hand.
    rng = random.Random(seed)
    touches = [
        Touch(f"{rng.choice('abcdef')}@x", rng.randrange(0, 400) * DAY, i == 0, order=i)
        for i in range(rng.randrange(2, 30))
    ]
    now = 400 * DAY
    own: dict[str, float] = {}
    count: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, t in enumerate(touches):
        own[t.author] = own.get(t.author, 0.0) + 0.5 ** ((now - t.timestamp) / DAY / 365)
        count[t.author] = count.get(t.author, 0) + 1
        last[t.author] = i
    standing = {a: own[a] / (len(touches) - last[a]) for a in own}
    total = sum(standing.values())
    formula = {a: 0.95 * standing[a] / total + 0.05 * count[a] / len(touches) for a in own}
    ranked = expertise(touches, now=now, half_life_days=365)
    scores = [formula[s.author] for s in ranked]
    assert all(x >= y - 1e-9 for x, y in itertools.pairwise(scores))


@pytest.mark.parametrize("seed", range(5))
def test_expertise_ignores_the_order_it_is_given(seed: int) -> None:
    rng = random.Random(seed)
    touches = [
        Touch(f"{rng.choice('abcd')}@x", rng.randrange(0, 50) * DAY, i == 0, rng.random() < 0.2)
        for i in range(40)
    ]
    shuffled = list(touches)
    rng.shuffle(shuffled)
    one = expertise(touches, now=60 * DAY, half_life_days=30)
    two = expertise(shuffled, now=60 * DAY, half_life_days=30)
    assert [s.author for s in one] == [s.author for s in two]
    assert all(math.isclose(x.score, y.score) for x, y in zip(one, two, strict=True))
    assert math.isclose(sum(s.score for s in one), 1.0)


def test_since_counts_in_the_order_changes_landed() -> None:
    # b wrote on a branch (day 1) and landed after a's change (day 2): b's work stands.
    landed = [Touch("a@x", 2 * DAY, True, order=1), Touch("b@x", DAY, False, order=2)]
    ranked = {s.author: s for s in expertise(landed, now=3 * DAY, half_life_days=None)}
    assert (ranked["b@x"].current, ranked["a@x"].current) == pytest.approx((2 / 3, 1 / 3))
    # Without the order, author times decide: a's change is the later one.
    timed = [t._replace(order=None) for t in landed]
    ranked = {s.author: s for s in expertise(timed, now=3 * DAY, half_life_days=None)}
    assert (ranked["a@x"].current, ranked["b@x"].current) == pytest.approx((2 / 3, 1 / 3))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # element
            st.sampled_from(["a@x", "b@x", "c@x", "d@x"]),
            st.integers(0, 50),  # day
            st.booleans(),  # introduced
            st.booleans(),  # cosmetic
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([None, 30.0, 365.0]),
)
def test_experts_of_many_elements_at_once_are_each_elements_own(
    drawn: list[tuple[int, str, int, bool, bool]], half_life: float | None
) -> None:
    touches = [
        (element, Touch(author, day * DAY, introduced, cosmetic, order=i))
        for i, (element, author, day, introduced, cosmetic) in enumerate(drawn)
    ]
    keys = sorted({t.author for _, t in touches})
    index = {key: i for i, key in enumerate(keys)}
    count = len(touches)
    arrays = TouchArrays(
        element=np.array([e for e, _ in touches], dtype=np.int64),
        author=np.array([index[t.author] for _, t in touches], dtype=np.int64),
        timestamp=np.array([t.timestamp for _, t in touches], dtype=np.int64),
        introduced=np.array([t.introduced for _, t in touches], dtype=bool),
        cosmetic=np.array([t.cosmetic for _, t in touches], dtype=bool),
        order=np.arange(count, dtype=np.int64),
    )
    options = {
        "now": 60 * DAY,
        "half_life_days": half_life,
        "names": {},
        "last_seen": {"a@x": 55 * DAY},
        "active_since": 40 * DAY,
    }
    together = experts_by_element(arrays, elements=4, keys=keys, **options)  # type: ignore[arg-type]
    for element in range(4):
        alone = ranked_by_expertise([t for e, t in touches if e == element], **options)  # type: ignore[arg-type]
        assert together[element] == alone
