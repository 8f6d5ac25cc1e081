"""Trends: the trend test, ``repo.trends()`` and ``loopintel trends`` on histories built to know them."""

from __future__ import annotations

import itertools
import json
import math
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopintel
from loopintel import Incident, IncidentLink, LinkKind, TrendMetric, TrendVerdict
from loopintel.analysis.trend import mann_kendall, sen_slope, trend_rows
from loopintel.cli.trends import sparkline
from loopintel.model.trends import MIN_PERIODS, MIN_POINTS
from tests.cli_runner import run_cli
from tests.conftest import RepoBuilder

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

DAY = 86400
ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")


def quarter(k: int, *, year: int = 2020, days: int = 0, hours: int = 0) -> int:
    """Seconds of the start of the ``k``-th quarter from ``year`` (plus days and hours)."""
    y, q = divmod(k, 4)
    start = datetime(year + y, 3 * q + 1, 1, tzinfo=UTC)
    return int(start.timestamp()) + days * DAY + hours * 3600


def brute(values: Sequence[float | None]) -> tuple[int, float | None]:
    """S and Sen's slope by the definition: every pair of points, earlier to later."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    pairs = list(itertools.combinations(points, 2))
    s = sum((b > a) - (b < a) for (_, a), (_, b) in pairs)
    slopes = sorted((b - a) / (j - i) for (i, a), (j, b) in pairs)
    return s, float(np.median(slopes)) if slopes else None


# -- the test ------------------------------------------------------------------------------


def test_a_rising_series_by_hand() -> None:
    test = mann_kendall([1, 2, 3, 4, 5])
    # every one of the 10 pairs rises; Var(S) = 5 * 4 * 15 / 18
    assert (test.s, test.tau) == (10, 1.0)
    assert test.variance == pytest.approx(50 / 3)
    assert test.z == pytest.approx(9 / math.sqrt(50 / 3))
    assert test.p == pytest.approx(math.erfc(test.z / math.sqrt(2)))
    assert test.p == pytest.approx(0.0275, abs=1e-4)
    assert sen_slope([1, 2, 3, 4, 5]) == 1.0
    falling = mann_kendall([5, 4, 3, 2, 1])
    assert (falling.s, falling.z, falling.p) == (-10, -test.z, test.p)


def test_ties_add_nothing_to_s_and_shrink_its_variance() -> None:
    test = mann_kendall([1, 2, 2, 3])
    # pairs: +1 five times, one tie; one group of two equal values: 2 * 1 * 9
    assert test.s == 5
    assert test.variance == pytest.approx((4 * 3 * 13 - 2 * 1 * 9) / 18)
    assert test.z == pytest.approx(4 / math.sqrt(23 / 3))
    assert test.tau == pytest.approx(5 / 6)
    assert sen_slope([1, 2, 2, 3]) == pytest.approx((0.5 + 2 / 3) / 2)  # 0, .5, .5, 2/3, 1, 1


def test_a_published_worked_example() -> None:
    # Little's "A Mann-Kendall Example (by hand)", College of the Holy Cross: S = 54,
    # V = 14 * 13 * 33 / 18 - 2 * 1 * 9 / 18 (one pair of equal values), Z = 2.9058,
    # and p = .0018 one-sided: the test here is two-sided, twice that.
    series = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]
    test = mann_kendall(series)
    assert test.s == 54
    assert test.variance == pytest.approx(14 * 13 * 33 / 18 - 2 * 1 * 9 / 18)
    assert test.z == pytest.approx(2.9058, abs=1e-4)
    assert test.p / 2 == pytest.approx(0.0018, abs=1e-4)
    assert test.tau == pytest.approx(54 / 91)


def test_missing_points_are_left_out_and_their_gaps_kept() -> None:
    gapped = mann_kendall([1, None, 5, 4])
    assert gapped.s == 1
    assert gapped.tau == pytest.approx(1 / 3)
    assert gapped.variance == pytest.approx(3 * 2 * 11 / 18)
    assert mann_kendall([1, float("nan"), 5, 4]) == gapped
    # slopes 4/2, 3/3 and -1/1: the gap counts as a step
    assert sen_slope([1, None, 5, 4]) == 1.0
    assert sen_slope([1, 5, 4]) == 1.5


def test_series_too_small_to_test() -> None:
    for values in ([], [3.0], [None, None], [2, 2, 2]):
        test = mann_kendall(values)
        assert (test.s, test.z, test.p, test.tau) == (0, 0.0, 1.0, 0.0)
    assert sen_slope([]) is None
    assert sen_slope([None, 3, None]) is None
    assert sen_slope([2, None, 2]) == 0.0


series_values = st.lists(
    st.one_of(st.none(), st.integers(0, 4).map(float), st.floats(-5, 5, allow_nan=False)),
    max_size=14,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(series_values, min_size=1, max_size=6))
def test_many_rows_at_once_agree_with_the_definition(rows: list[list[float | None]]) -> None:
    length = max(len(row) for row in rows)
    matrix = np.full((len(rows), length), np.nan)
    for i, row in enumerate(rows):
        matrix[i, : len(row)] = [np.nan if v is None else v for v in row]
    tests, slopes = trend_rows(matrix)
    for i, row in enumerate(rows):
        s, slope = brute(row)
        assert tests.s[i] == s
        assert tests.n[i] == sum(v is not None for v in row)
        if slope is None:
            assert math.isnan(slopes[i])
        else:
            assert slopes[i] == pytest.approx(slope)
        single = mann_kendall(row)
        assert single.s == s
        assert single.p == pytest.approx(float(tests.p[i]))


@settings(max_examples=100, deadline=None)
@given(st.lists(series_values, min_size=1, max_size=4), st.data())
def test_equal_rows_are_answered_alike(rows: list[list[float | None]], data: st.DataObject) -> None:
    # Rows tested once for all their copies must answer as if each were tested alone.
    order = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=8))
    length = max(len(row) for row in rows)
    matrix = np.full((len(order), length), np.nan)
    for i, pick in enumerate(order):
        matrix[i, : len(rows[pick])] = [np.nan if v is None else v for v in rows[pick]]
    tests, slopes = trend_rows(matrix)
    for i in range(len(order)):
        alone, slope = trend_rows(matrix[i : i + 1])
        assert tests.s[i] == alone.s[0]
        assert tests.n[i] == alone.n[0]
        assert tests.p[i] == pytest.approx(float(alone.p[0]))
        assert np.isnan(slopes[i]) == np.isnan(slope[0])
        if not np.isnan(slope[0]):
            assert slopes[i] == pytest.approx(float(slope[0]))


# -- a history built to know its trends ---------------------------------------------------

QUARTERS = 10
"""Quarters of the built history: 2020 Q1 to 2022 Q2."""
UNTIL = "2022-07-01"
"""The end of the last quarter of the built history."""


def rising(k: int) -> str:
    """pkg/rising.py after quarter ``k``: one more decision each quarter (complexity k + 1)."""
    ifs = "".join(f"    if x > {i}:\n        return {i}\n" for i in range(k))
    return f"def f(x):\n{ifs}    return x\n"


def build_quarters(b: RepoBuilder) -> dict[str, str]:
    """A module whose complexity rises, one that stays level, and one too young."""
    shas = {}
    for k in range(QUARTERS):
        shas[f"rising{k}"] = b.commit(
            {"pkg/rising.py": rising(k)}, f"Grow f ({k})", author=ANN, at=quarter(k, days=3)
        )
        b.commit(
            {"steady/s.py": f"def g():\n    return {k}\n"},
            f"Tune g ({k})",
            author=BOB,
            at=quarter(k, days=5),
        )
        if k >= QUARTERS - 3:
            b.commit(
                {"young/y.py": f"def y():\n    return {k}\n"},
                f"Tune y ({k})",
                author=ANN,
                at=quarter(k, days=7),
            )
    return shas


@pytest.fixture(scope="module")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    builder = RepoBuilder(tmp_path_factory.mktemp("trends") / "repo")
    return builder.path, build_quarters(builder)


@pytest.fixture
def repo(quarters: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[loopintel.Repository]:
    with loopintel.open(quarters[0], index_path=tmp_path / "t.sqlite3") as opened:
        yield opened


def by_key(rows: Sequence[loopintel.Trend]) -> dict[tuple[str, str], loopintel.Trend]:
    return {(row.name, row.metric.value): row for row in rows}


def test_a_module_whose_complexity_rises_each_quarter_is_degrading(
    repo: loopintel.Repository,
) -> None:
    rows = by_key(repo.trends("module", until=UNTIL))
    grown = rows["pkg", "complexity"]
    assert grown.values == tuple(float(k + 1) for k in range(QUARTERS))
    assert grown.periods == tuple(datetime.fromtimestamp(quarter(k), UTC) for k in range(QUARTERS))
    assert (grown.since, grown.until) == (grown.periods[0], datetime(2022, 7, 1, tzinfo=UTC))
    assert grown.direction is TrendVerdict.DEGRADING
    assert (grown.n, grown.s, grown.tau) == (QUARTERS, 45, 1.0)
    assert (grown.sen_slope, grown.sen_slope_per_year) == (1.0, 4.0)
    assert grown.p_value < 0.001
    assert grown.reason.startswith("degrading: complexity rose (Mann-Kendall S = +45")
    assert (grown.degrading_if, grown.level, grown.path) == ("rising", "module", "pkg")
    # activity counts from the quarter after the code was written
    assert rows["pkg", "changes"].values == (None,) + (1.0,) * (QUARTERS - 1)
    assert rows["pkg", "authors"].values == (None,) + (1.0,) * (QUARTERS - 1)
    assert rows["pkg", "churn"].values == (None,) + (2.0,) * (QUARTERS - 1)


def test_a_level_module_is_steady(repo: loopintel.Repository) -> None:
    rows = by_key(repo.trends("module", until=UNTIL))
    for metric in ("complexity", "churn", "changes", "authors", "truck_factor"):
        level = rows["steady", metric]
        assert level.direction is TrendVerdict.STEADY, metric
        assert (level.s, level.p_value, level.sen_slope) == (0, 1.0, 0.0)
    assert rows["steady", "complexity"].reason == "steady: complexity was 1 in every quarter"


def test_code_younger_than_the_minimum_is_too_short(repo: loopintel.Repository) -> None:
    young = by_key(repo.trends("module", until=UNTIL))["young", "complexity"]
    assert young.values == (None,) * (QUARTERS - 3) + (1.0, 1.0, 1.0)
    assert (young.n, young.direction) == (3, TrendVerdict.TOO_SHORT)
    assert young.reason == (
        f"too short: 3 of {QUARTERS} quarters have a value (its series starts with the "
        f"quarter of 2021-10-01: the code is younger than the window); a trend needs at "
        f"least {MIN_POINTS}"
    )
    short = repo.trends("module", until="2021-07-01")  # 6 quarters
    assert len(short.pop().periods) < MIN_PERIODS
    assert {row.direction for row in short} == {TrendVerdict.TOO_SHORT}
    assert short[0].reason.startswith("too short: the window holds 6 quarters")


def test_rows_come_most_significant_degrading_first(repo: loopintel.Repository) -> None:
    rows = repo.trends("module", until=UNTIL)
    rank = {"degrading": 0, "improving": 1, "steady": 2, "too_short": 3}
    keys = [(rank[row.direction], row.p_value, -abs(row.tau), row.name) for row in rows]
    assert keys == sorted(keys)
    assert (rows[0].name, rows[0].metric) == ("pkg", "complexity")
    assert repo.trends("module", until=UNTIL, limit=2) == rows[:2]
    degrading = repo.trends("module", until=UNTIL, degrading_only=True)
    assert degrading == [row for row in rows if row.direction is TrendVerdict.DEGRADING]
    only = repo.trends("module", until=UNTIL, metric="complexity")
    assert {row.metric for row in only} == {TrendMetric.COMPLEXITY}
    both = repo.trends("module", until=UNTIL, metric=["churn", TrendMetric.AUTHORS])
    assert {row.metric for row in both} == {TrendMetric.CHURN, TrendMetric.AUTHORS}


def test_levels_function_file_and_repository(repo: loopintel.Repository) -> None:
    (f,) = repo.trends("function", until=UNTIL, metric="complexity", path="pkg")
    assert (f.name, f.path, f.function) == (
        "pkg/rising.py::f",
        "pkg/rising.py",
        repo.function("f").ref,
    )
    assert f.lineage == repo.function("f").lineage
    assert f.values == tuple(float(k + 1) for k in range(QUARTERS))
    (file,) = repo.trends("file", until=UNTIL, metric="complexity", path="pkg/rising.py")
    assert (file.name, file.function, file.values) == ("pkg/rising.py", None, f.values)
    whole = by_key(repo.trends("repository", until=UNTIL))
    assert {name for name, _ in whole} == {"."}
    # the repository's changes: two commits a quarter, three in the last three
    assert whole[".", "changes"].values == (None,) + (2.0,) * (QUARTERS - 4) + (3.0,) * 3
    assert whole[".", "authors"].values == (None,) + (2.0,) * (QUARTERS - 1)
    assert {metric for _, metric in whole} == {
        "complexity", "churn", "changes", "authors", "truck_factor",
    }  # fmt: skip


def test_the_truck_factor_at_the_end_is_the_repositorys(repo: loopintel.Repository) -> None:
    whole = by_key(repo.trends("repository", until="2023-01-01"))[".", "truck_factor"]
    assert whole.values[-1] == repo.truck_factor(".").factor
    modules = by_key(repo.trends("module", until="2023-01-01", metric="truck_factor"))
    for name in ("pkg", "steady", "young"):
        assert modules[name, "truck_factor"].values[-1] == repo.truck_factor(name).factor


def test_months_are_calendar_months(repo: loopintel.Repository) -> None:
    (f,) = repo.trends("function", period="month", until=UNTIL, metric="complexity", path="pkg")
    assert len(f.periods) == 3 * QUARTERS
    assert f.periods[1] == datetime(2020, 2, 1, tzinfo=UTC)
    # each quarter's change lands in its first month; the state carries through the others
    assert f.values == tuple(float(k // 3 + 1) for k in range(3 * QUARTERS))
    assert f.sen_slope_per_year == pytest.approx(f.sen_slope * 12)  # type: ignore[operator]


def test_the_window_is_whole_periods(repo: loopintel.Repository) -> None:
    # a since inside a quarter starts at the next one; an until inside one ends before it
    rows = repo.trends("module", since="2020-02-15", until="2022-05-01")
    assert rows[0].since == datetime(2020, 4, 1, tzinfo=UTC)
    assert rows[0].until == datetime(2022, 4, 1, tzinfo=UTC)
    # what came before the window sets the states of its first period, counts nothing
    known = by_key(rows)
    assert known["pkg", "complexity"].values == tuple(float(k + 1) for k in range(1, 9))
    assert known["pkg", "changes"].values == (1.0,) * 8
    assert known["pkg", "truck_factor"].values == (1.0,) * 8
    # by default the quarter of the indexed head is left out: it is still in progress
    default = repo.trends("module", metric="complexity")[0]
    assert default.until == datetime(2022, 4, 1, tzinfo=UTC)
    assert default.since == datetime(2020, 1, 1, tzinfo=UTC)
    # a window inside one quarter holds no whole period: no series at all
    assert repo.trends("module", since="2020-02-15", until="2020-03-15") == []
    assert repo.trends("module", since="2022-04-02") == []


def test_records_become_json_and_frames(repo: loopintel.Repository) -> None:
    record = repo.trends("module", until=UNTIL, limit=1).to_records()[0]
    assert (record["name"], record["metric"], record["direction"]) == (
        "pkg", "complexity", "degrading",
    )  # fmt: skip
    assert record["periods"][0] == "2020-01-01T00:00:00+00:00"
    assert record["reason"].startswith("degrading: ")
    young = by_key(repo.trends("module", until=UNTIL))["young", "churn"].to_dict()
    assert young["values"][0] is None
    json.dumps(record)
    pytest.importorskip("pandas")
    frame = repo.trends("module", until=UNTIL).to_frame()
    assert frame["name"].iloc[0] == "pkg"
    assert str(frame["since"].dtype).startswith("datetime64")


# -- incidents and coverage ---------------------------------------------------------------


def test_incidents_rising_quarter_by_quarter_are_degrading(
    quarters: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, shas = quarters
    with loopintel.open(path, index_path=tmp_path / "i.sqlite3") as repo:
        assert "incidents" not in {row.metric for row in repo.trends(until=UNTIL)}
        with pytest.raises(loopintel.InvalidQuery, match="no stored incident"):
            repo.trends(metric="incidents")
        repo.add_incidents(
            Incident(
                source="pagerduty",
                id=f"P{k}-{i}",
                title="f broke",
                started_at=datetime.fromtimestamp(quarter(k, days=20, hours=i), UTC),
                links=(IncidentLink(LinkKind.FIX, shas[f"rising{k}"]),),
            )
            for k in range(QUARTERS)
            for i in range(k)
        )
        (f,) = repo.trends("function", metric="incidents", path="pkg", until=UNTIL)
        assert f.values == tuple(float(k) for k in range(QUARTERS))
        assert (f.direction, f.degrading_if, f.sen_slope) == ("degrading", "rising", 1.0)
        (steady,) = repo.trends("module", metric="incidents", path="steady", until=UNTIL)
        assert steady.values == (0.0,) * QUARTERS


def lcov(hits: dict[int, int]) -> str:
    lines = "".join(f"DA:{line},{count}\n" for line, count in sorted(hits.items()))
    return f"TN:\nSF:cov.py\n{lines}end_of_record\n"


COVERED = """\
def h(x):
    a = 1
    b = 2
    c = 3
    d = 4
    e = 5
    f = 6
    g = 7
    i = 8
    j = 9
    return a + b + c + d + e + f + g + i + j
"""


def build_coverage(
    b: RepoBuilder, root: Path, levels: Sequence[int | None], *, days: int = 0
) -> list[tuple[str, Path | None]]:
    """One commit a quarter (``days`` into it), each with an LCOV file of its ``h``.

    ``levels[k]`` of the 10 body lines ran in quarter ``k`` (``None``: no snapshot then).
    """
    out = []
    for k, level in enumerate(levels):
        sha = b.commit(
            {"cov.py": COVERED, "other.py": f"def o():\n    return {k}\n"},
            f"Quarter {k}",
            at=quarter(k, days=days),
        )
        file = None
        if level is not None:
            file = root / f"q{k}.lcov"
            file.write_text(lcov({line: int(line - 1 <= level) for line in range(1, 12)}))
        out.append((sha, file))
    return out


def test_coverage_falling_from_snapshot_to_snapshot_is_degrading(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    levels = [10, 10, 9, 8, None, 7, 7, 5, 4]
    snapshots = build_coverage(repo_builder, tmp_path, levels, days=10)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "c.sqlite3") as repo:
        with pytest.raises(loopintel.InvalidQuery, match="no coverage snapshot"):
            repo.trends(metric="coverage")
        for sha, file in snapshots:
            if file is not None:
                repo.import_coverage(file, commit=sha)
        (h,) = repo.trends("function", metric="coverage", path="cov.py", until="2022-04-01")
        measured = repo.function("h").coverage
        assert measured is not None
        assert h.values[-1] == pytest.approx(100 * measured.covered / measured.coverable)
        assert h.values[4] is None  # no snapshot that quarter: missing, not 0
        assert h.n == len(levels) - 1
        known = [v for v in h.values if v is not None]
        assert known == sorted(known, reverse=True)
        assert (h.direction, h.degrading_if) == (TrendVerdict.DEGRADING, "falling")
        assert h.s < 0
        assert h.sen_slope is not None
        assert h.sen_slope < 0
        assert "coverage" in {row.metric for row in repo.trends(until="2022-04-01")}
        # A window without a whole period has no series to test.
        assert repo.trends("function", metric="coverage", path="cov.py", until="2020-02-01") == []


# -- the command --------------------------------------------------------------------------


def test_the_command_prints_a_table_and_json(
    quarters: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, index = str(quarters[0]), str(tmp_path / "cli.sqlite3")
    table = run_cli("trends", path, "--index-path", index, "--until", UNTIL, "--limit", "3")
    lines = table.stdout.splitlines()
    assert lines[0] == (
        "module trends by quarter, 2020-01-01 to 2022-07-01 (10 quarters), alpha 0.05"
    )
    assert lines[1].split()[:5] == ["direction", "metric", "p", "tau", "sen/year"]
    assert lines[2].startswith("degrading  complexity")
    assert lines[2].endswith(f"{sparkline(tuple(float(k) for k in range(QUARTERS)))}  pkg")
    assert lines[-1].startswith("... and ")
    out = run_cli(
        "trends", path, "--index-path", index, "--json", "--level", "function", "--metric",
        "complexity", "--metric", "churn", "--period", "month", "--since", "2020-01-01",
        "--until", UNTIL, "--path", "pkg", "--degrading", "--alpha", "0.01",
    )  # fmt: skip
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["name"], r["metric"], r["period"]) for r in records] == [
        ("pkg/rising.py::f", "complexity", "month")
    ]
    assert records[0]["alpha"] == 0.01
    empty = run_cli("trends", path, "--index-path", index, "--path", "steady", "--degrading")
    assert empty.stdout == ""
    assert "no degrading trend" in empty.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ("--level", "class"),
        ("--metric", "bugs"),
        ("--period", "week"),
        ("--since", "2024-01-01T10:00"),
        ("--until", "soon"),
        ("--path", "nowhere.py"),
        ("--level", "file", "--metric", "truck_factor"),
        ("--alpha", "1.5"),
        ("--metric", "coverage"),
    ],
)
def test_the_command_exits_1_on_bad_input(
    quarters: tuple[Path, dict[str, str]], tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    result = run_cli(
        "trends", str(quarters[0]), "--index-path", str(tmp_path / "x.sqlite3"), *arguments,
        check=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


def test_sparkline() -> None:
    assert sparkline((0.0, 1.0, None, 7.0)) == "▁▂ █"
    assert sparkline((3.0, 3.0)) == "▁▁"
    assert sparkline((None, None)) == "  "


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"level": "class"}, "level"),
        ({"metric": "bugs"}, "metric"),
        ({"metric": []}, "metric"),
        ({"metric": ["churn", "bugs"]}, "metric"),
        ({"level": "function", "metric": "truck_factor"}, "metric"),
        ({"metric": "incidents"}, "metric"),
        ({"period": "week"}, "period"),
        ({"since": datetime(2024, 1, 1)}, "since"),  # noqa: DTZ001 - a naive datetime, refused
        ({"until": "yesterday"}, "until"),
        ({"since": date(2024, 1, 2), "until": date(2024, 1, 1)}, "until"),
        ({"limit": 0}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": True}, "alpha"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    repo: loopintel.Repository, arguments: dict[str, object], argument: str
) -> None:
    with pytest.raises(loopintel.InvalidQuery) as caught:
        repo.trends(**arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert argument in str(caught.value)


def test_bad_paths_and_empty_histories(
    repo: loopintel.Repository, repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    with pytest.raises(loopintel.PathNotFound):
        repo.trends(path="nowhere")
    repo_builder.commit({"README": "nothing yet\n"}, "Start")
    with loopintel.open(repo_builder.path, index_path=tmp_path / "e.sqlite3") as empty:
        assert list(empty.trends()) == []
        assert list(empty.trends("function")) == []


# -- invariants ---------------------------------------------------------------------------


def _complexity_trends(levels: list[int], root: Path) -> dict[str, loopintel.Trend]:
    """The trends of ``f``, its complexity set to ``levels[k]`` as quarter ``k`` starts."""
    builder = RepoBuilder(root / "repo")
    previous = None
    for k, level in enumerate(levels):
        if level != previous:
            builder.commit({"a.py": rising(level - 1)}, at=quarter(k))
        previous = level
    builder.commit({"b.py": "def b():\n    return 0\n"}, at=quarter(len(levels)))
    until = datetime.fromtimestamp(quarter(len(levels)), UTC)
    with loopintel.open(builder.path, index_path=root / "i.sqlite3") as repo:
        return {
            period: repo.trends(
                "file", metric="complexity", period=period, path="a.py", until=until
            )[0]
            for period in ("quarter", "month")
        }


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(levels=st.lists(st.integers(1, 4), min_size=MIN_PERIODS, max_size=11))
def test_a_state_that_changes_at_quarter_boundaries_trends_alike_by_month(
    levels: list[int],
) -> None:
    # Each quarterly value is repeated three times by month: pairs within a quarter tie,
    # and each pair of quarters becomes nine pairs of months with its sign, so
    # S(month) = 9 S(quarter) exactly, and the two can never point opposite ways.
    with tempfile.TemporaryDirectory() as root:
        found = _complexity_trends(levels, Path(root))
    quarterly, monthly = found["quarter"], found["month"]
    assert quarterly.values == tuple(float(v) for v in levels)
    assert monthly.values == tuple(float(v) for v in levels for _ in range(3))
    assert monthly.s == 9 * quarterly.s
    opposite = {TrendVerdict.DEGRADING, TrendVerdict.IMPROVING}
    assert {monthly.direction, quarterly.direction} != opposite
    if quarterly.direction in opposite:
        assert monthly.direction is quarterly.direction


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(levels=st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=MIN_PERIODS, max_size=10))
def test_coverage_measured_at_quarter_starts_gives_one_answer_by_month_or_quarter(
    levels: list[int | None],
) -> None:
    # Snapshots only at quarter starts: by month the periods between are missing, so
    # the points, their order and their gaps (3 months = 1 quarter) are the same.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        builder = RepoBuilder(root / "repo")
        snapshots = build_coverage(builder, root, levels)
        builder.commit({"b.py": "def b():\n    return 0\n"}, at=quarter(len(levels)))
        until = datetime.fromtimestamp(quarter(len(levels)), UTC)
        with loopintel.open(builder.path, index_path=root / "i.sqlite3") as repo:
            for sha, file in snapshots:
                if file is not None:
                    repo.import_coverage(file, commit=sha)
            if not any(file for _, file in snapshots):
                return
            found = {
                period: repo.trends(
                    "function", metric="coverage", period=period, path="cov.py", until=until
                )[0]
                for period in ("quarter", "month")
            }
    quarterly, monthly = found["quarter"], found["month"]
    assert quarterly.n == sum(level is not None for level in levels)
    assert monthly.values[::3] == quarterly.values
    assert set(monthly.values) - set(monthly.values[::3]) <= {None}
    for field in ("n", "s", "variance", "z", "tau", "p_value", "direction"):
        assert getattr(monthly, field) == getattr(quarterly, field), field
    if quarterly.sen_slope_per_year is None:
        assert monthly.sen_slope_per_year is None
    else:
        assert monthly.sen_slope_per_year == pytest.approx(quarterly.sen_slope_per_year)


BASE = [rising(k) for k in (0, 1, 1, 2, 3, 3, 4, 5, 5, 6)]
"""a.py, one version a quarter."""


@st.composite
def other_commits(draw: st.DrawFn) -> list[tuple[int, str, tuple[str, str]]]:
    """Commits of other/b.py only, anywhere in the window: (time, content, author)."""
    out = []
    for _ in range(draw(st.integers(1, 5))):
        at = quarter(0) + draw(st.integers(0, len(BASE) * 90 * DAY))
        body = draw(st.sampled_from(["return 1", "return 2", "x = 3\n    return x"]))
        out.append((at, f"def p():\n    {body}\n", draw(st.sampled_from([ANN, BOB]))))
    return out


def _trends_of(extra: list[tuple[int, str, tuple[str, str]]], root: Path) -> list[object]:
    commits = [(quarter(k, days=2), "a.py", text, ANN) for k, text in enumerate(BASE)]
    commits += [(at, "other/b.py", text, who) for at, text, who in extra]
    builder = RepoBuilder(root / "repo")
    for at, path, text, who in sorted(commits, key=lambda c: c[0]):
        builder.commit({path: text}, author=who, at=at)
    window = {"since": "2020-01-01", "until": datetime.fromtimestamp(quarter(len(BASE)), UTC)}
    out: list[object] = []
    with loopintel.open(builder.path, index_path=root / "i.sqlite3") as repo:
        for level in ("function", "file", "module"):
            for row in repo.trends(level, path="a.py", **window):  # type: ignore[arg-type]
                record = row.to_dict()
                del record["lineage"]  # ids come from the shas, which differ
                out.append(record)
    return out


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=other_commits())
def test_commits_of_other_files_do_not_change_a_files_trends(
    extra: list[tuple[int, str, tuple[str, str]]],
) -> None:
    with tempfile.TemporaryDirectory() as alone, tempfile.TemporaryDirectory() as mixed:
        assert _trends_of([], Path(alone)) == _trends_of(extra, Path(mixed))
