"""The complexity trend: ``view.complexity_history()`` and ``view.complexity_trend``."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import loopintel
from loopintel.analysis.trend import TREND_SLOPE_PER_YEAR, complexity_trend
from tests.cli_runner import run_cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

DAY = 86400
START = 1_600_000_000

VERSIONS = [
    (0, "def f(x):\n    return x\n"),  # 1
    (100, "def f(x):\n    if x:\n        return 1\n    return x\n"),  # 2
    (
        300,
        "def f(x):\n    if x:\n        return 1\n    if x > 2:\n        return 2\n    return x\n",
    ),  # 3
    (
        320,
        "def f(x):\n    if x:  # one\n        return 1\n    if x > 2:\n        return 2\n    return x\n",
    ),  # cosmetic
    (350, "def f(x):\n    if x > 2:\n        return 2\n    return x\n"),  # 2
]


def build(builder: RepoBuilder) -> None:
    for day, source in VERSIONS:
        builder.commit({"s.py": source}, at=START + day * DAY)
    builder.commit({"gone.py": "def g(x):\n    return x and x\n"}, at=START + 10 * DAY)
    builder.commit({"gone.py": "def g(x):\n    return x and x or 1\n"}, at=START + 375 * DAY)
    builder.commit({"gone.py": None}, at=START + 376 * DAY)
    builder.commit({"t.py": "def h():\n    return 1\n"}, at=START + 380 * DAY)


def test_history_and_trend_of_a_function(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "t.sqlite3")
    view = repo.function("f")
    points = view.complexity_history()
    # oldest first, the cosmetic change left out
    assert [p.complexity for p in points] == [1, 2, 3, 2]
    assert [round(p.authored_at.timestamp() - START) // DAY for p in points] == [0, 100, 300, 350]
    assert points.to_records()[0]["complexity"] == 1
    trend = view.complexity_trend
    assert (trend.points, trend.first, trend.latest, trend.min, trend.max) == (4, 1, 2, 1, 3)
    # 365 days before the head (day 380) is day 15: the version of day 0 (1) was current
    assert trend.change_365d == 1
    # least squares over days 0, 100, 300, 350 and the head (380, still 2):
    # mean day 226, mean complexity 2; sum dx*dy = 226 + 74 = 300; sum dx^2 = 111520
    assert math.isclose(trend.slope_per_year or 0, 300 / 111520 * 365.25)
    assert trend.direction == "rising"
    assert trend.to_dict()["direction"] == "rising"


def test_trend_of_a_deleted_and_of_a_new_function(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "t.sqlite3")
    gone = repo.function("g").complexity_trend
    # days 10 (2) and 375 (3); no head sample for a deleted function
    assert (gone.points, gone.first, gone.latest, gone.change_365d) == (2, 2, 3, 1)
    assert math.isclose(gone.slope_per_year or 0, 1 / 365 * 365.25)
    assert gone.direction == "rising"
    new = repo.function("h").complexity_trend
    # introduced days before the head: too young for a rate per year
    assert (new.points, new.change_365d, new.slope_per_year, new.direction) == (
        1,
        0,
        None,
        "young",
    )


def test_summary_rules() -> None:
    year = 365.25 * DAY
    empty = complexity_trend([], [], head_time=0, exists=True)
    assert (empty.points, empty.first, empty.slope_per_year, empty.direction) == (
        0,
        None,
        None,
        "flat",
    )
    # a function that exists gets its latest value again at the head
    kept = complexity_trend([0.0], [4], head_time=year, exists=True)
    assert (kept.slope_per_year, kept.direction, kept.change_365d) == (0.0, "flat", 0)
    # complexity is a whole number: a gentle slope is a small rise over many years
    years = 9 / (0.9 * TREND_SLOPE_PER_YEAR)
    gentle = complexity_trend([0.0, years * year], [2, 11], head_time=years * year, exists=True)
    assert math.isclose(gentle.slope_per_year or 0, 0.9 * TREND_SLOPE_PER_YEAR)
    assert gentle.direction == "flat"
    falling = complexity_trend([0.0, year], [6, 4], head_time=year, exists=False)
    assert falling.slope_per_year == -2.0
    assert falling.direction == "falling"
    # same time twice, or an afternoon's refactoring: no slope
    assert complexity_trend([5.0, 5.0], [1, 3], head_time=5.0, exists=True).slope_per_year is None
    quick = complexity_trend([0.0, 2 * DAY], [22, 1], head_time=3 * DAY, exists=True)
    assert (quick.slope_per_year, quick.direction, quick.first, quick.latest) == (
        None,
        "young",
        22,
        1,
    )
    settled = complexity_trend([0.0, 2 * DAY], [22, 1], head_time=200 * DAY, exists=True)
    assert settled.direction == "falling"


def test_show_prints_the_trend(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "i.sqlite3")

    def show(*args: str) -> str:
        return run_cli("show", "f", str(repo_builder.path), "--index-path", index, *args).stdout

    assert (
        "  trend          rising: 1 -> 2 over 4 versions (1-3), +1.0/year, +1 in 365 days\n"
        in show()
    )
    record = json.loads(show("--json"))
    assert record["complexity_trend"]["latest"] == 2
    assert record["complexity_trend"]["direction"] == "rising"
