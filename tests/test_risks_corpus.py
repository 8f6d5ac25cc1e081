"""Knowledge risks on flask's full history: every name and sha a row gives is real.

Every expert and truck-factor author a row names made changes of the code, every fix
sha changed it, and the experts and truck factors are those ``repo.experts()`` and
``repo.truck_factor()`` give for the file (names aside: a risk names each person as on
their latest change anywhere).
"""

from __future__ import annotations

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
    index = tmp_path_factory.mktemp("risks") / "i.sqlite3"
    with loopintel.open(clone, index_path=index) as repo:
        yield repo


def test_every_person_and_sha_of_a_risk_is_real(flask: loopintel.Repository) -> None:
    fixes = {proxy.id for proxy in flask.find_proxies()}
    # The code's changes follow its functions' lineages (renames and moves included).
    by_lineage: dict[str, list[loopintel.Change]] = {}
    for change in flask.changes(cosmetic=False):
        by_lineage.setdefault(change.lineage, []).append(change)
    functions = list(flask.functions())
    for level in ("file", "module"):
        rows = flask.knowledge_risks(level, top_share=0.5)
        assert rows
        for row in rows:
            lineages = {
                f.lineage
                for f in functions
                if row.name
                == (f.ref.path if level == "file" else f.ref.path.rpartition("/")[0] or ".")
            }
            changes = [c for lineage in lineages for c in by_lineage.get(lineage, [])]
            authors = {c.author_email for c in changes}
            commits = {c.commit for c in changes}
            assert row.kinds
            assert row.experts
            for expert in row.experts:
                assert expert.email in authors
                assert expert.own_changes > 0
            for author in row.truck_factor.authors:
                assert author.email in authors
            assert set(row.fix_commits) <= fixes & commits
            assert len(row.fix_commits) == min(row.fixes, 3)
            assert row.fixes <= row.changes


def test_file_rows_agree_with_the_repositorys_experts(flask: loopintel.Repository) -> None:
    for row in flask.knowledge_risks(top_share=0.5):
        # names are each person's latest in the repository, who's their latest on the file
        def evidence(expert: loopintel.Expert) -> tuple[object, ...]:
            return (expert.email, expert.share, expert.doa, expert.active, expert.own_changes)

        experts = flask.experts(row.name)[: len(row.experts)]
        assert [evidence(e) for e in row.experts] == [evidence(e) for e in experts]
        factor = flask.truck_factor(row.name)
        assert row.truck_factor.factor == factor.factor
        assert [a.email for a in row.truck_factor.authors] == [a.email for a in factor.authors]
