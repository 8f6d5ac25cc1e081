"""Progress of indexing: the steps a run reports, the time left, and the bar."""

from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING

import hypothesis.strategies as st
import pytest
from hypothesis import given

import loopintel
from loopintel.progress import MAX_STEP, MIN_SECONDS, TimeLeft
from tests.cli_runner import run_cli
from tests.test_indexing import grow

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

FILES = 7
"""Python files of a history made by ``grow`` (``mod0.py`` ... ``mod6.py``)."""


def steps_of(path: Path, index: Path, ref: str = "HEAD") -> list[loopintel.IndexProgress]:
    """Every step an indexing run of ``ref`` reports."""
    steps: list[loopintel.IndexProgress] = []
    with loopintel.open(path, index_path=index, ref=ref, workers=1, progress=steps.append):
        pass
    return steps


def told(steps: list[loopintel.IndexProgress]) -> list[tuple[str, str]]:
    """(phase, description) of each step, once per run of equal steps."""
    seen: list[tuple[str, str]] = []
    for step in steps:
        if not seen or seen[-1] != (step.phase, step.description):
            seen.append((step.phase, step.description))
    return seen


def assert_commits_counted(steps: list[loopintel.IndexProgress], new: int) -> None:
    """Commits done never go back or past the total, which is known once scanned."""
    assert steps[0].phase == "scan"
    assert steps[0].total == 0
    later = steps[1:]
    assert all(s.total == new for s in later)
    assert [s.done for s in later] == sorted(s.done for s in later)
    assert all(0 <= s.done <= s.total for s in later)
    assert steps[-1].done == new


def test_a_first_run_reports_each_step_from_the_walk_on(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    grow(repo_builder, 30)
    steps = steps_of(repo_builder.path, tmp_path / "i.sqlite3")
    assert told(steps) == [
        ("scan", "walking the history to find the commits to index"),
        ("extract", "indexing commits"),
        ("head", "reading the head tree's functions"),
        ("write", "writing the head's functions to the index"),
        ("write", "done"),
    ]
    assert_commits_counted(steps, 30)
    extract = [s for s in steps if s.phase == "extract"]
    assert (extract[0].phase_done, extract[-1].phase_done) == (0, 30)
    assert all(s.phase_total == 30 and s.unit == "commits" for s in extract)
    head = [s for s in steps if s.phase == "head"]
    assert all(s.unit == "files" and s.phase_total == FILES for s in head)
    assert (head[0].phase_done, head[-1].phase_done) == (0, FILES)


def test_an_update_reads_only_the_changed_files_and_a_rewind_says_what_it_drops(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    index = tmp_path / "i.sqlite3"
    grow(repo_builder, 30)
    steps_of(repo_builder.path, index)
    grow(repo_builder, 3, start=30)  # mod2.py, mod3.py and mod4.py change
    steps = steps_of(repo_builder.path, index)
    assert told(steps) == [
        ("scan", "walking the history to find the commits to index"),
        ("extract", "indexing commits"),
        ("head", "reading the functions of the files changed since the last run"),
        ("write", "writing the head's functions to the index"),
        ("write", "done"),
    ]
    assert_commits_counted(steps, 3)
    assert {s.phase_total for s in steps if s.phase == "head"} == {3}

    rewound = steps_of(repo_builder.path, index, ref="main~4")
    assert told(rewound)[:3] == [
        ("scan", "walking the history to find the commits to index"),
        ("lineage", "working out the lineage states the new commits build on"),
        ("write", "dropping 4 commits a history rewrite made unreachable"),
    ]
    assert rewound[-1].description == "done"
    assert all(s.done == s.total == 0 for s in rewound)
    assert "extract" not in {s.phase for s in rewound}  # no new commits: no 0/0 bar


def test_steps_keep_the_phase_text_and_count_commits_by_default() -> None:
    step = loopintel.IndexProgress(3, 10, "extract")
    assert step.description == "indexing commits"
    assert (step.phase_done, step.phase_total, step.unit) == (None, None, "commits")
    assert loopintel.IndexProgress(0, 0, "head").description == "reading the head tree's functions"
    assert step.to_dict()["description"] == "indexing commits"


# -- the time left -----------------------------------------------------------------------


def feed(left: TimeLeft, increments: list[tuple[float, int]], total: int) -> list[float | None]:
    """The time left after each (seconds passed, commits done meanwhile)."""
    now, done = 0.0, 0
    shown = [left.update(now, done, total)]
    for seconds, commits in increments:
        now += seconds
        done = min(total, done + commits)
        shown.append(left.update(now, done, total))
    return shown


def test_a_steady_rate_gives_the_true_time_left_once_enough_is_done() -> None:
    total = 100_000
    shown = feed(TimeLeft(), [(0.5, 50)] * 1000, total)
    assert shown[0] is None
    # Nothing before 1% of the commits (10 s at 100 commits/s) or 30 s.
    assert all(s is None for s in shown[1:20])
    for i, seconds in enumerate(shown[20:], start=20):
        truth = (total - 50 * i) / 100
        assert seconds is not None
        assert seconds == pytest.approx(truth, rel=0.01)


def test_bursts_give_a_time_left_near_the_truth_that_never_swings() -> None:
    # Results come in batches: nothing for a while, then many at once, 100/s on average.
    rng = random.Random(12)
    increments: list[tuple[float, int]] = []
    for _ in range(2400):  # 10 minutes of updates every 0.25 s
        burst = rng.random() < 0.1
        increments.append((0.25, int(rng.expovariate(1 / 250)) if burst else 0))
    total = sum(c for _, c in increments) * 2
    shown = feed(TimeLeft(), increments, total)
    # Rich's default (the speed of the last 30 s) on the same updates, for comparison.
    done, window, rich = 0, [(0.0, 0)], []
    for i, (_, commits) in enumerate(increments, start=1):
        done += commits
        window = [*(w for w in window if w[0] > i * 0.25 - 30), (i * 0.25, done)]
        speed = (window[-1][1] - window[0][1]) / max(window[-1][0] - window[0][0], 0.25)
        if speed:
            rich.append((total - done) / speed)
    assert max(rich) / min(rich[len(rich) // 10 :]) > 2  # the swing being avoided
    values = [s for s in shown if s is not None]
    assert values
    for before, after in itertools.pairwise(values):
        assert (before - 0.25) / MAX_STEP - 1e-9 <= after <= before * MAX_STEP + 1e-9
    # After a minute, within a fifth of the time the average rate so far leaves.
    done = 0
    for i, (_, commits) in enumerate(increments, start=1):
        done += commits
        seconds = shown[i]
        if i * 0.25 >= 60:
            assert seconds is not None
            assert seconds == pytest.approx((total - done) / (done / (i * 0.25)), rel=0.2)


@given(
    st.lists(
        st.tuples(st.floats(0.01, 20.0), st.integers(0, 5000)),
        min_size=1,
        max_size=200,
    ),
    st.integers(1, 10**6),
)
def test_the_time_left_moves_by_a_bounded_factor_per_update(
    increments: list[tuple[float, int]], total: int
) -> None:
    shown = feed(TimeLeft(), increments, total)
    done = now = 0.0
    for (seconds, commits), before, after in zip(increments, shown, shown[1:], strict=False):
        now += seconds
        done = min(total, done + commits)
        if after is None:
            assert before is None
            assert done == 0 or (done < total / 100 and now < MIN_SECONDS)
            continue
        assert after >= 0
        if done >= total:
            assert after == 0
        elif before is not None:
            assert max(before - seconds, 1.0) / MAX_STEP - 1e-9 <= after
            assert after <= max(before - seconds, 1.0) * MAX_STEP + 1e-9


# -- the bar -----------------------------------------------------------------------------


def test_the_bar_says_what_indexing_does(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    grow(repo_builder, 12)
    run = run_cli(
        "index",
        str(repo_builder.path),
        "--index-path",
        str(tmp_path / "i.sqlite3"),
        env={"TTY_COMPATIBLE": "1", "COLUMNS": "200"},
    )
    said = [
        "walking the history to find the commits to index",
        "indexing commits",
        "reading the head tree's functions",
        f"0/{FILES} files",
        "writing the head's functions to the index",
    ]
    where = [run.stderr.find(text) for text in said]
    assert -1 not in where, run.stderr
    assert where == sorted(where)
    assert "12/12 commits" in run.stderr
    assert "indexed 12 new commits" in run.stdout
