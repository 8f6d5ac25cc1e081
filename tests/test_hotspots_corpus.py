"""Hotspots on flask's full history: the figures of docs/hotspots.md, and sane reasons.

Every fix a row names is a bug-fix commit the proxy rules find, every row is code at the
head, and the counts agree with a row-wise count over ``repo.changes()``.
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
    index = tmp_path_factory.mktemp("hotspots") / "i.sqlite3"
    with loopintel.open(clone, index_path=index) as repo:
        yield repo


def test_the_documented_figures(flask: loopintel.Repository) -> None:
    top = flask.hotspots(path="src/flask", limit=1)[0]
    assert top.name == "src/flask/sansio/app.py::App.add_url_rule"
    assert (top.fixes, top.changes, top.revisions_x_complexity) == (11, 38, 494)
    assert top.fix_commits[0].startswith("e82db2ca3a")
    by_fixes = flask.hotspots(path="src/flask", by="fixes", limit=1)[0]
    assert (by_fixes.name, by_fixes.fixes) == ("src/flask/helpers.py::send_file", 13)
    (file,) = flask.hotspots("file", path="src/flask/sansio/app.py")
    assert (file.fixes, file.changes) == (31, 175)


def test_every_reason_points_to_a_real_fix_and_the_code_is_at_the_head(
    flask: loopintel.Repository,
) -> None:
    fixes = {proxy.id for proxy in flask.find_proxies()}
    head = {str(f.ref) for f in flask.functions()}
    files = {f.ref.path for f in flask.functions()}
    for level in ("function", "file", "module"):
        rows = flask.hotspots(level)
        assert rows
        for row in rows:
            assert set(row.fix_commits) <= fixes
            assert len(row.fix_commits) == min(row.fixes, 3)
            assert row.fixes <= row.changes
            if level == "function":
                assert row.name in head
            elif level == "file":
                assert row.name in files
    counted: dict[str, set[str]] = {}
    for change in flask.changes(cosmetic=False):
        counted.setdefault(change.lineage, set()).add(change.commit)
    for row in flask.hotspots():
        assert row.lineage is not None
        assert row.changes == len(counted.get(row.lineage, set()))
        assert row.fixes == len(counted.get(row.lineage, set()) & fixes)
