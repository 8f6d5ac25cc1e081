"""The store: its two groups of tables, migrations, queries as values, names, columns."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import loopintel
from loopintel import ChangeKind, ChangeType
from loopintel.store import SCHEMA_VERSION, ChangeOrder, ChangeQuery, Store, schema
from tests import old_index

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

DATA = Path(__file__).parent / "data"
PACKAGE = Path(loopintel.__file__).parent


def _load_dump(index: Path) -> None:
    db = sqlite3.connect(index)
    db.executescript((DATA / f"index-schema-{old_index.SCHEMA}.sql").read_text())
    db.close()


def test_an_index_of_the_previous_schema_keeps_its_coverage(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    shas = old_index.build(repo_builder)
    index = tmp_path / "index.sqlite3"
    _load_dump(index)
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.commit_count() == 3  # the tables from git were rebuilt
        [snapshot] = repo.coverage_snapshots()
        assert snapshot.commit == shas[-1]
        assert (snapshot.covered_lines, snapshot.coverable_lines) == (1, 3)
        stop = repo.function("stop").coverage
        assert stop is not None
        assert (stop.covered, stop.coverable, stop.missing) == (0, 2, (6, 7))
        # The lineage stored with the snapshot is the one the rebuilt index gives.
        assert [c.snapshot for c in repo.function("halt").coverage_history()] == [1]
    db = sqlite3.connect(index)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    done = [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")]
    assert done == [m.name for m in schema.MIGRATIONS]


def test_a_rebuild_drops_only_the_tables_from_git(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    old_index.build(repo_builder)
    index = tmp_path / "index.sqlite3"
    lcov = tmp_path / "c.lcov"
    lcov.write_text(old_index.LCOV)
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        repo.import_coverage(lcov)
    db = sqlite3.connect(index)
    db.execute("CREATE TABLE leftover_of_an_old_layout (x)")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION - 1}")
    db.commit()
    db.close()
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert len(repo.coverage_snapshots()) == 1
        assert repo.function("stop").coverage is not None
    tables = {
        row[0]
        for row in sqlite3.connect(index).execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert "leftover_of_an_old_layout" not in tables
    assert tables >= schema.USER_TABLES
    assert set(schema.GIT_TABLES) <= tables


def test_migrations_run_once_and_a_failing_one_changes_nothing(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_index.build(repo_builder)
    index = tmp_path / "index.sqlite3"
    _load_dump(index)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE incidents_draft (x)")
        raise sqlite3.OperationalError("disk I/O error")

    steps = (*schema.MIGRATIONS, schema.Migration("9999_broken", broken))
    monkeypatch.setattr(schema, "MIGRATIONS", steps)
    with pytest.raises(loopintel.IndexLocationError, match="disk I/O error"):
        Store(index)
    db = sqlite3.connect(index)
    assert db.execute("PRAGMA user_version").fetchone()[0] == old_index.SCHEMA
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "incidents_draft" not in tables
    assert "migrations" not in tables
    assert db.execute("SELECT count(*) FROM coverage_functions").fetchone()[0] == 2
    db.close()
    monkeypatch.setattr(schema, "MIGRATIONS", steps[:-1])
    Store(index).close()
    Store(index).close()
    db = sqlite3.connect(index)
    assert db.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(steps) - 1


def test_no_sql_outside_the_store() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if "store" not in path.relative_to(PACKAGE).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bexecute(many|script)?\(", line)
    ]
    assert offenders == []


@pytest.fixture
def history(repo_builder: RepoBuilder, tmp_path: Path) -> tuple[Store, list[str]]:
    shas = [
        repo_builder.commit(
            {"pkg/a.py": "def f():\n    return 1\n", "b.py": "def g():\n    return 2\n"},
            author=("Ann", "ann@example.com"),
        ),
        repo_builder.commit(
            {"pkg/a.py": "def f():\n    return 3\n"}, author=("Bob", "bob@example.com")
        ),
        repo_builder.commit({"pkg/a.py": "def f():\n    return  3\n"}),  # cosmetic
        repo_builder.commit(
            {"pkg/a.py": "def h():\n    return  3\n"}, author=("Bob", "bob@example.com")
        ),
        repo_builder.commit({"b.py": None}, author=("Cy", "cy@example.com")),
    ]
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    return Store(index), shas


def test_change_queries_narrow_and_order(history: tuple[Store, list[str]]) -> None:
    store, shas = history

    def read(**fields: object) -> list[tuple[str, str, str]]:
        query = ChangeQuery(**fields)  # type: ignore[arg-type]
        return [(c.commit, c.qualname, c.kind.value) for c in store.changes(query)]

    everything = read()
    assert [row[0] for row in everything] == [shas[0], shas[0], shas[1], shas[2], shas[3], shas[4]]
    assert read(path="pkg") == read(path="pkg/a.py") == [r for r in everything if r[1] != "g"]
    assert read(path="") == everything
    assert read(author="BOB@example.com") == [(shas[1], "f", "modified"), (shas[3], "h", "renamed")]
    assert read(author="Bob") == read(author="bob@example.com")
    assert read(kinds=(ChangeKind.DELETED,)) == [(shas[4], "g", "deleted")]
    assert len(read(cosmetic=False)) == len(everything) - 1
    assert read(newest_first=True) == everything[::-1]
    assert read(limit=2) == everything[:2]
    first = next(store.changes(ChangeQuery()))
    second_time = int(first.authored_at.timestamp()) + 3600
    assert read(since=second_time) == everything[2:]
    assert read(until=second_time) == everything[:2]
    lineage = next(c.lineage for c in store.changes(ChangeQuery()) if c.qualname == "f")
    assert {q for _, q, _ in read(lineages=(lineage,))} == {"f", "h"}
    assert read(order=ChangeOrder.DATE) == everything  # one line of history: the same


def test_every_name_a_function_had_is_indexed(history: tuple[Store, list[str]]) -> None:
    store, _ = history
    [f] = store.past_names(path="pkg/a.py", qualname="f")
    [h] = store.past_names(qualname="h")
    assert f.lineage == h.lineage
    assert store.latest_name(f.lineage) == h
    assert [n.qualname for n in store.head_names(qualname="h")] == ["h"]
    assert store.head_names(qualname="g") == []
    assert [n.path for n in store.past_names(qualname="g")] == ["b.py"]
    seqs = store.db.execute(
        "SELECT qualname, first_seq, last_seq FROM names ORDER BY qualname"
    ).fetchall()
    assert seqs == [("f", 0, 3), ("g", 0, 4), ("h", 3, 3)]
    assert store.path_ever("b.py")
    assert store.path_ever("pkg")
    assert not store.path_ever("pk")


def test_names_follow_a_history_rewrite(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    base = repo_builder.commit({"a.py": "def f():\n    return 1\n"})
    repo_builder.commit({"a.py": "def renamed():\n    return 1\n"})
    index = tmp_path / "i.sqlite3"
    loopintel.open(repo_builder.path, index_path=index).close()
    repo_builder.checkout_files(base)
    repo_builder.commit({"a.py": "def other():\n    return 2\n\n\ndef f():\n    return 1\n"})
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        assert repo.last_index is not None
        assert repo.last_index.commits_removed == 1
        with pytest.raises(loopintel.FunctionNotFound):
            repo.function("renamed")
    store = Store(index)
    names = store.db.execute("SELECT qualname FROM names ORDER BY qualname").fetchall()
    assert names == [("f",), ("other",)]


def test_columns_hold_every_change_once_per_head(history: tuple[Store, list[str]]) -> None:
    store, _ = history
    columns = store.columns()
    changes = list(store.changes(ChangeQuery()))
    assert len(columns) == len(changes)
    assert [columns.lineages[i] for i in columns.lineage] == [c.lineage for c in changes]
    assert [columns.authors[i] for i in columns.author] == [c.author_email for c in changes]
    assert columns.lines_added.tolist() == [c.lines_added for c in changes]
    assert columns.authored_at.tolist() == [int(c.authored_at.timestamp()) for c in changes]
    assert columns.types.tolist() == [ChangeType.to_bits(c.change_types) for c in changes]
    assert columns.complexity.tolist() == [
        -1 if c.complexity is None else c.complexity for c in changes
    ]
    assert np.all(np.diff(columns.seq) >= 0)
    inside = columns.select(columns.under("pkg"))
    assert {inside.paths[i] for i in inside.path} == {"pkg/a.py"}
    assert len(inside) == len([c for c in changes if c.path.startswith("pkg/")])
    assert store.columns() is columns  # built once per head
