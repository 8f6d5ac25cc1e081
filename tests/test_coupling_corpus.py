"""Change coupling on flask's full history: every reason is a real commit that changed both.

At function level every named commit changed both functions (through their lineages)
other than cosmetically, and is no merge; the counts agree with a row-wise count of the
revisions over ``repo.changes()``; at both levels ``shared`` never exceeds either side's
revisions and the confidence and degree follow their formulas.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

import loopintel
from tests.conftest import corpus_repo

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> Iterator[loopintel.Repository]:
    clone = corpus_repo("flask", tmp_path_factory)
    index = tmp_path_factory.mktemp("coupling") / "i.sqlite3"
    with loopintel.open(clone, index_path=index) as repo:
        yield repo


def git(repo: loopintel.Repository, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", repo.git_dir, *args], check=True, capture_output=True, text=True
    ).stdout


def test_every_pair_is_backed_by_commits_that_changed_both(flask: loopintel.Repository) -> None:
    rows = flask.coupling()
    assert rows
    merges = set(git(flask, "rev-list", "--merges", "HEAD").split())
    assert merges
    changed: dict[str, set[str]] = {}
    for change in flask.changes(cosmetic=False):
        changed.setdefault(change.lineage, set()).add(change.commit)
    for row in rows:
        assert row.lineage_a is not None
        assert row.lineage_b is not None
        a, b = changed[row.lineage_a], changed[row.lineage_b]
        assert row.commits
        assert len(row.commits) == min(row.shared, 3)
        for sha in row.commits:
            assert sha in a
            assert sha in b
            assert sha not in merges
        assert len((a & b) - merges) >= row.shared
        assert row.shared <= min(row.revisions_a, row.revisions_b)
        assert row.revisions_a <= len(a - merges)
        assert row.shared >= 3
        assert row.confidence >= 0.5
        assert row.first_shared <= row.last_shared


def test_file_pairs_are_sane(flask: loopintel.Repository) -> None:
    files = {f.ref.path for f in flask.functions()}
    rows = flask.coupling("file", min_support=3)
    assert rows
    for row in rows:
        assert {row.a, row.b} <= files
        assert row.a < row.b
        assert row.shared <= min(row.revisions_a, row.revisions_b)
        assert row.confidence == pytest.approx(row.shared / min(row.revisions_a, row.revisions_b))
        assert row.degree == pytest.approx(row.shared / ((row.revisions_a + row.revisions_b) / 2))
        assert row.hidden == (row.a.rpartition("/")[0] != row.b.rpartition("/")[0])
        for sha in row.commits:
            assert git(flask, "cat-file", "-t", sha).strip() == "commit"
