"""Expertise weights learned from a repository's own history (loopintel.analysis.expert_model)."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

import numpy as np
import pytest

import loopintel
from loopintel.analysis import expert_model
from loopintel.analysis.expert_model import (
    Activity,
    LevelTouches,
    fit_weights,
    learn_weights,
    level_touches,
    training_set,
)
from loopintel.analysis.knowledge import EXPERTISE_FEATURES, Touch, expertise, prior_weights
from loopintel.ownership import expertise_weights

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

DAY = 86400


def touches_of(rows: list[tuple[int, int, str, bool]], authors: tuple[str, ...]) -> LevelTouches:
    """Level touches from ``(element, seq, author, cosmetic)`` rows (time = seq days)."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    element = np.array([r[0] for r in rows], dtype=np.int64)
    seq = np.array([r[1] for r in rows], dtype=np.int64)
    cosmetic = np.array([r[3] for r in rows], dtype=bool)
    substance_before = []
    seen: dict[int, int] = {}
    for e, _, _, cos in rows:
        substance_before.append(seen.get(e, 0))
        seen[e] = seen.get(e, 0) + (not cos)
    return LevelTouches(
        element=element,
        seq=seq,
        author=np.array([authors.index(r[2]) for r in rows], dtype=np.int64),
        timestamp=seq * DAY,
        cosmetic=cosmetic,
        event=~cosmetic & (np.array(substance_before) > 0),
        authors=authors,
    )


def test_level_touches_from_the_index(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    ann, bob = ("Ann", "ann@x.org"), ("Bob", "bob@x.org")
    repo_builder.commit(
        {"p/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 1\n"}, author=ann
    )
    repo_builder.commit(
        {"p/a.py": "def f():\n    return 2\n\n\ndef g():\n    return 2\n"}, author=bob
    )
    repo_builder.commit({"p/a.py": "def f():\n    return (2)\n\n\ndef g():\n    return 2\n"})
    repo_builder.commit({"p/b.py": "def h():\n    return 1\n"}, author=ann)
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3")
    columns = repo._store.columns()  # noqa: SLF001
    functions = level_touches(columns, "function")
    # f and g: added (1), changed (2: events), tidied (3, f only: cosmetic); h added (4).
    assert len(functions.element) == 6
    assert int(functions.event.sum()) == 2
    assert [functions.authors[a] for a in functions.author[functions.event]] == ["bob@x.org"] * 2
    assert int(functions.cosmetic.sum()) == 1
    files = level_touches(columns, "file")
    # a.py: commits 1, 2 (one touch for two functions: an event), 3 (cosmetic); b.py: 4.
    assert len(files.element) == 4
    assert int(files.event.sum()) == 1
    directories = level_touches(columns, "directory")
    # p: commits 1, 2, 3 (cosmetic), 4: the changes at 2 and 4 are events.
    assert len(directories.element) == 4
    assert int(directories.event.sum()) == 2
    with pytest.raises(ValueError, match="level 'module'"):
        level_touches(columns, "module")


def test_training_sees_only_the_past() -> None:
    people = ("a@x", "b@x", "c@x")
    # element 0: a (1), b (2), c (3), b (5); element 1: c (4), a (6).
    rows = [(0, 1, "a@x", False), (0, 2, "b@x", False), (0, 3, "c@x", False)]
    rows += [(0, 5, "b@x", False), (1, 4, "c@x", False), (1, 6, "a@x", False)]
    touches = touches_of(rows, people)
    activity = Activity(["a@x", "b@x", "c@x", "b@x"], np.array([1, 2, 3, 5]) * DAY)
    train = training_set(touches, activity, before=5)
    # Events before seq 5: b at 2 (a the only candidate: b is new, left out), c at 3
    # (candidates a, b: c new, left out). Nothing to learn from.
    assert train.events == 0
    train = training_set(touches, activity)
    # b at 5 (candidates a, b, c: b among them) and a at 6 (candidate c only: left out).
    assert train.events == 1
    assert len(train.values) == 3
    chosen = train.values[train.chosen[0]]
    features = dict(zip(EXPERTISE_FEATURES, chosen, strict=True))
    # b's one change before, with c's after it; b's commit at day 5 itself not counted.
    assert features["changes"] == pytest.approx(np.log(2))
    assert features["since"] == pytest.approx(np.log(2))
    assert features["active_90"] == pytest.approx(np.log(2))  # the commit at day 2 only
    assert features["latest"] == 0.0
    # The row budget keeps the latest events whose earlier touches fit in it, whole:
    # a at 6 reads one (c at 4), b at 5 three.
    assert training_set(touches, activity, budget=4).events == 1
    assert training_set(touches, activity, budget=3).events == 0
    # The window keeps the latest events only.
    rows += [(0, 7, "a@x", False)]
    assert training_set(touches_of(rows, people), activity, window=1).events == 1


def test_activity_counts_a_window_that_ends_before_the_moment() -> None:
    activity = Activity(["a@x", "a@x", "a@x", "b@x"], np.array([0, 10, 100, 50]) * DAY)
    counts = activity.counts(
        ["a@x", "b@x", "z@x"],
        np.array([0, 0, 0, 1, 2]),
        np.array([100, 101, 10, 51, 51]) * DAY,
    )
    # a before day 100: days 10 (in the 90 days), not 0 (100 days back), not 100 itself.
    assert list(counts) == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_no_events_keep_the_fixed_ranking() -> None:
    empty = touches_of([(0, 1, "a@x", False)], ("a@x",))
    weights, events = learn_weights(empty, Activity(["a@x"], np.array([DAY])))
    assert events == 0
    assert np.array_equal(weights, prior_weights())


def history_where_the_last_one_changes_it_next(seed: int) -> list[tuple[int, int, str, bool]]:
    """Elements a veteran wrote, then passed from hand to hand.

    Whoever changed an element last changes it again next.
    """
    rng = random.Random(seed)
    rows: list[tuple[int, int, str, bool]] = []
    seq = 0
    for element in range(120):
        for _ in range(6):
            seq += 1
            rows.append((element, seq, "veteran@x", False))
        last = None
        for _ in range(4):
            newcomer = f"n{rng.randrange(50)}@x"
            for who in (newcomer, newcomer):  # each newcomer changes it twice in a row
                seq += 1
                rows.append((element, seq, who, False))
            last = newcomer
        assert last is not None
    return rows


def test_weights_learn_what_the_history_shows() -> None:
    rows = history_where_the_last_one_changes_it_next(1)
    people = tuple(sorted({r[2] for r in rows}))
    touches = touches_of(rows, people)
    activity = Activity([r[2] for r in rows], np.array([r[1] for r in rows]) * DAY)
    weights, events = learn_weights(touches, activity)
    assert events > 100
    # A new element of the same kind, just before its newcomer's second change: the
    # fixed ranking names the veteran (most of the standing work), the learned one the
    # newcomer who changed it last, as every such moment in this history went.
    now = 10_000 * DAY
    fresh = [Touch("veteran@x", now - (10 - i) * DAY, i == 0, order=i) for i in range(6)]
    fresh.append(Touch("n7@x", now - DAY, False, order=6))
    assert expertise(fresh, now=now, half_life_days=365)[0].author == "veteran@x"
    learned = expertise(fresh, now=now, half_life_days=365, weights=weights)
    assert learned[0].author == "n7@x"
    assert learned[0].score > 0.5
    assert fit_weights(training_set(touches, activity), strength=1e9) == pytest.approx(
        prior_weights(), abs=1e-3
    )  # a prior held that firmly does not move


def make_history(b: RepoBuilder, changes: int) -> None:
    people = [("Ann", "ann@x.org"), ("Bob", "bob@x.org"), ("Cy", "cy@x.org")]
    for i in range(changes):
        body = "".join(f"def f{k}():\n    return {i if k == i % 3 else 0}\n\n\n" for k in range(3))
        b.commit({"m.py": body}, author=people[(i // 2) % 3])


def test_weights_are_kept_in_the_index_and_relearned_as_it_grows(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_history(repo_builder, 30)
    index = tmp_path / "w.sqlite3"
    repo = loopintel.open(repo_builder.path, index_path=index)
    first = expertise_weights(repo._store, "file")  # noqa: SLF001
    stored = json.loads(repo._store.meta("expertise_weights:file") or "{}")  # noqa: SLF001
    assert stored["weights"] == pytest.approx(list(first))
    assert stored["events"] > 0
    assert not np.allclose(first, prior_weights())
    repo.close()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("learned again")

    # Reopened, a few commits later: the stored weights serve (fewer new changes than
    # REFIT_CHANGES), even where the index cannot be written.
    repo_builder.commit({"m.py": "def f0():\n    return 99\n"}, author=("Ann", "ann@x.org"))
    monkeypatch.setattr(expert_model, "learn_weights", refuse)
    repo = loopintel.open(repo_builder.path, index_path=index)
    assert expertise_weights(repo._store, "file") == pytest.approx(first)  # noqa: SLF001
    assert [e.email for e in repo.experts("m.py")]
    repo.close()
    monkeypatch.undo()
    # Once the index holds REFIT_CHANGES more changes, they are learned again.
    monkeypatch.setattr(expert_model, "REFIT_CHANGES", 1)
    make_history(repo_builder, 4)
    repo = loopintel.open(repo_builder.path, index_path=index)
    again = expertise_weights(repo._store, "file")  # noqa: SLF001
    relearned = json.loads(repo._store.meta("expertise_weights:file") or "{}")  # noqa: SLF001
    assert relearned["changes"] > stored["changes"]
    assert relearned["events"] > stored["events"]
    assert relearned["weights"] == pytest.approx(list(again))
    repo.close()
    # A read-only index learns them in the process and writes nothing.
    readonly = loopintel.open(repo_builder.path, index_path=index, update=False)
    assert readonly._store.readonly  # noqa: SLF001
    assert expertise_weights(readonly._store, "directory") is not None  # noqa: SLF001
    assert readonly._store.meta("expertise_weights:directory") is None  # noqa: SLF001


@pytest.mark.parametrize(
    "damaged",
    [
        "not json",
        '{"version": 1}',
        '{"version": 1, "changes": 0, "weights": [1, 2]}',
        '{"version": 1, "changes": 0, "weights": [NaN, 0, 0, 0, 0, 0, 0, 0, 0]}',
        '{"version": 999, "changes": 0, "weights": [0, 0, 0, 0, 0, 0, 0, 0, 0]}',
    ],
)
def test_a_damaged_stored_record_is_learned_again(
    repo_builder: RepoBuilder, tmp_path: Path, damaged: str
) -> None:
    make_history(repo_builder, 12)
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "d.sqlite3")
    store = repo._store  # noqa: SLF001
    with store.transaction():
        store.set_meta("expertise_weights:function", damaged)
    weights = expertise_weights(store, "function")
    assert weights.shape == (len(EXPERTISE_FEATURES),)
    assert np.isfinite(weights).all()
    record = json.loads(store.meta("expertise_weights:function") or "{}")
    assert record["weights"] == pytest.approx(list(weights))
    assert [e.email for e in repo.function("m.py::f0").experts()]
