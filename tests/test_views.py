"""Finding one function and reading its story: ``repo.function(...)``."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import ChangeKind, ChangeType
from loopintel.ownership import expertise_weights
from tests.by_hand import Person, shares

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder


@pytest.fixture
def repo(repo_builder: RepoBuilder, tmp_path: Path) -> loopintel.Repository:
    body = "".join(f"    step{i} = {i}\n" for i in range(5))
    repo_builder.commit(
        {
            "app.py": f"def load(x):\n{body}    return x\n\n\nclass Service:\n    def run(self):\n        def inner():\n            return 1\n        return inner()\n",
            "util.py": "def run():\n    return 0\n\n\ndef gone():\n    return 1\n",
        },
        author=("Ann", "ann@example.com"),
    )
    repo_builder.commit(
        {
            "app.py": f"def load(x):\n{body}    return x + 1\n\n\nclass Service:\n    def run(self):\n        def inner():\n            return 1\n        return inner()\n"
        },
        author=("Bob", "bob@example.com"),
    )
    repo_builder.commit(
        {
            "app.py": f"def load(x):\n{body}    return (x + 1)  # tidy\n\n\nclass Service:\n    def run(self):\n        def inner():\n            return 1\n        return inner()\n"
        }
    )
    repo_builder.commit({"util.py": "def run():\n    return 0\n"})
    repo_builder.commit(
        {
            "app.py": "class Service:\n    def run(self):\n        def inner():\n            return 1\n        return inner()\n",
            "io/load.py": f"def read(x):\n{body}    return (x + 1)  # tidy\n",
        }
    )
    return loopintel.open(repo_builder.path, index_path=tmp_path / "v.sqlite3")


def test_canonical_name_and_history_through_a_move(repo: loopintel.Repository) -> None:
    view = repo.function("io/load.py::read")
    assert view.at_head
    assert [c.kind for c in view.history()] == [
        ChangeKind.MOVED,
        ChangeKind.MODIFIED,
        ChangeKind.MODIFIED,
        ChangeKind.ADDED,
    ]
    assert set(view.history()[0].change_types) == {ChangeType.MOVE, ChangeType.RENAME}
    # the cosmetic tidy-up is not the last real change
    assert view.latest_change(cosmetic=False) == view.last_changed
    assert view.last_changed is not None
    assert view.last_changed.kind is ChangeKind.MOVED
    assert [c.change_types for c in view.history(cosmetic=False)].count((ChangeType.COSMETIC,)) == 0
    assert view.introduced is not None
    assert view.introduced.author_email == "ann@example.com"
    assert view.complexity == 1


def test_lenient_lookups(repo: loopintel.Repository) -> None:
    assert repo.function("read").ref == loopintel.FunctionRef("io/load.py", "read")
    assert repo.function("Service.run").ref.qualname == "Service.run"
    assert repo.function("run.inner").ref.qualname == "Service.run.<locals>.inner"
    assert repo.function("app.py:4").ref.qualname == "Service.run.<locals>.inner"
    assert repo.function("app.py:2").ref.qualname == "Service.run"


def test_ambiguous_and_missing_lookups(repo: loopintel.Repository) -> None:
    with pytest.raises(loopintel.AmbiguousFunction) as ambiguous:
        repo.function("run")
    assert ambiguous.value.candidates == ("app.py::Service.run", "util.py::run")
    with pytest.raises(loopintel.FunctionNotFound, match=r"closest: io/load\.py::read"):
        repo.function("reed")
    with pytest.raises(loopintel.FunctionNotFound):
        repo.function("app.py:99")


def test_a_deleted_function_is_found_in_the_past(repo: loopintel.Repository) -> None:
    view = repo.function("util.py::gone")
    assert not view.at_head
    assert view.deleted is not None
    assert view.deleted.kind is ChangeKind.DELETED
    assert view.complexity == 1  # of the version before it was deleted
    assert [c.kind for c in view.history()] == [ChangeKind.DELETED, ChangeKind.ADDED]


def test_an_old_name_finds_the_function_it_became(repo: loopintel.Repository) -> None:
    view = repo.function("app.py::load")
    assert view.ref == loopintel.FunctionRef("io/load.py", "read")
    assert view.at_head


def test_lookups_at_a_past_commit(repo: loopintel.Repository) -> None:
    first = next(repo.changes()).commit
    load = repo.function("load", at=first)
    assert load.ref == loopintel.FunctionRef("app.py", "load")
    assert load.lineage == repo.function("io/load.py::read").lineage
    assert load.at_head
    assert repo.function("app.py:3", at=first).ref.qualname == "load"
    assert repo.function("app.py:13", at=first).ref.qualname == "Service.run.<locals>.inner"
    with pytest.raises(loopintel.FunctionNotFound):
        repo.function("app.py:10", at=first)  # the class line
    gone = repo.function("gone", at=first)
    assert not gone.at_head
    with pytest.raises(loopintel.FunctionNotFound):
        repo.function("read", at=first)
    with pytest.raises(loopintel.UnknownRef):
        repo.function("load", at="0" * 40)


def test_experts_of_a_function(repo: loopintel.Repository) -> None:
    experts = repo.function("io/load.py::read").experts(half_life_days=None)
    # Ann introduced it (hour 1); Bob changed it once (2); the tidy-up was cosmetic (not
    # counted); the move was made by Ada (the builder's default author), last (5), who
    # made 3 of the 5 commits. Each one's work stands until others change the code
    # after them: Ada 1/1, Bob 1/2, Ann 1/3 of a change.
    assert [e.email for e in experts] == ["ada@example.com", "bob@example.com", "ann@example.com"]
    weights = [float(w) for w in expertise_weights(repo._store, "function")]  # noqa: SLF001
    expected = shares(
        {
            "ada@example.com": Person(1.0, 1, 0, 0.0, 3, 0),
            "bob@example.com": Person(1 / 2, 1, 1, 3 / 24, 1, 1),
            "ann@example.com": Person(1 / 3, 1, 2, 4 / 24, 1, 2),
        },
        weights,
    )
    for expert in experts:
        assert math.isclose(expert.share, expected[expert.email])
    assert math.isclose(sum(e.share for e in experts), 1.0)
    by_email = {e.email: e for e in experts}
    assert math.isclose(
        by_email["ann@example.com"].doa, 3.293 + 1.098 + 0.164 - 0.321 * math.log(3)
    )
    assert by_email["ann@example.com"].first_author
    assert by_email["bob@example.com"].own_changes == 1
    assert not by_email["bob@example.com"].first_author
    assert all(e.active for e in experts)
    assert not any(e.cosmetic_only for e in experts)
    assert experts == sorted(experts, key=lambda e: -e.share)


def test_stability_counts_back_from_the_head(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    day = 86400
    start = 1_600_000_000
    versions = ["return 0", "return 1", "return 2", "return (2)", "return 3"]
    days = [0, 100, 300, 320, 350]  # the fourth is cosmetic
    for when, body in zip(days, versions, strict=True):
        repo_builder.commit({"s.py": f"def f():\n    {body}\n"}, at=start + when * day)
    repo_builder.commit({"u.py": "def old():\n    return 1\n"}, at=start + 1 * day)
    repo_builder.commit({"t.py": "def g():\n    return 1\n"}, at=start + 380 * day)
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "s.sqlite3")
    stability = repo.function("f").stability
    assert (stability.changes_30d, stability.changes_90d, stability.changes_365d) == (1, 2, 3)
    assert stability.churn_365d == 6
    assert stability.age_days == 380
    assert stability.days_since_change == 30
    assert stability.classification == "volatile"
    quiet = repo.function("g").stability
    assert quiet.classification == "active"
    assert quiet.days_since_change == 0
    assert repo.function("old").stability.classification == "stable"


def test_answers_turn_into_tables(
    repo: loopintel.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = repo.function("io/load.py::read").history()
    records = history.to_records()
    assert [r["kind"] for r in records] == [c.kind.value for c in history]
    assert repo.functions().to_records()[0].keys() >= {"path", "qualname", "lineage"}
    frame = history.to_frame()
    assert list(frame["kind"]) == [c.kind.value for c in history]
    assert str(frame["authored_at"].dt.tz) == "UTC"
    assert frame["authored_at"].iloc[0] == history[0].authored_at
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        history.to_frame()
