"""Trends on flask's full history: sane series, and verdicts that follow from S and p.

Every series has one value per period, every value is finite, and each direction is
the one its Mann-Kendall numbers give.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import TrendVerdict
from loopintel.model.trends import MIN_PERIODS, MIN_POINTS
from tests.conftest import corpus_repo

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> Iterator[loopintel.Repository]:
    clone = corpus_repo("flask", tmp_path_factory)
    index = tmp_path_factory.mktemp("trends") / "i.sqlite3"
    with loopintel.open(clone, index_path=index) as repo:
        yield repo


@pytest.mark.parametrize(
    ("level", "period"),
    [("repository", "month"), ("module", "quarter"), ("file", "quarter"), ("function", "quarter")],
)
def test_every_series_is_sane_and_its_verdict_follows_from_s_and_p(
    flask: loopintel.Repository, level: str, period: str
) -> None:
    rows = flask.trends(level, period=period)
    assert rows
    head = {str(f.ref) for f in flask.functions()}
    periods = rows[0].periods
    assert len(periods) >= MIN_PERIODS
    for row in rows:
        assert row.periods == periods
        assert len(row.values) == len(periods)
        known = [v for v in row.values if v is not None]
        assert len(known) == row.n
        assert all(math.isfinite(v) and v >= 0 for v in known)
        for number in (row.variance, row.z, row.tau, row.p_value):
            assert math.isfinite(number)
        assert 0 <= row.p_value <= 1
        assert -1 <= row.tau <= 1
        if row.metric == "coverage":
            assert all(v <= 100 for v in known)
        if level == "function":
            assert row.name in head
        if row.n < MIN_POINTS:
            assert row.direction is TrendVerdict.TOO_SHORT
        elif row.p_value < row.alpha and row.s != 0:
            bad = (row.s > 0) == (row.degrading_if == "rising")
            assert row.direction is (TrendVerdict.DEGRADING if bad else TrendVerdict.IMPROVING)
            assert (row.sen_slope or 0) * row.s >= 0  # never against S
        else:
            assert row.direction is TrendVerdict.STEADY
    ordered = [row.direction for row in rows]
    rank = list(TrendVerdict)
    assert ordered == sorted(ordered, key=rank.index)


def test_the_last_states_are_the_heads(flask: loopintel.Repository) -> None:
    until = "2030-01-01"  # past the head: the period in progress included
    (complexity,) = flask.trends("repository", metric="complexity", until=until)
    assert complexity.values[-1] == sum(f.complexity or 0 for f in flask.functions())
    (truck,) = flask.trends("repository", metric="truck_factor", until=until)
    assert truck.values[-1] == flask.truck_factor(".").factor
