"""SZZ on flask's full history: the example of docs/szz.md, and every bug-fix commit.

The example fix changed lines of ``Flask.create_url_adapter`` that a reformatting with
black and three moves of the function (into ``src/``, into ``sansio/`` and back) lie
between; the trace passes over all four.
"""

from __future__ import annotations

import pytest

import loopintel
from loopintel.history.git import GitRepository
from tests.conftest import corpus_repo

pytestmark = pytest.mark.corpus

FIX = "4995a775df21a206b529403bc30d71795a994fd4"  # fix subdomain_matching=False behavior
REFACTOR = "d5f88dafaf03a21aa4b6f0a273228fe9263a4a78"  # refactor variable choices into if blocks
BIND = "82f0d120deb9ea52237d95a14a4a619b01d06f80"  # use subdomain arg in url_map.bind_to_environ
BLACK = "025589ee76"  # Reformat with black
SRC = "ca278a86"  # move to src directory


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> loopintel.Repository:
    clone = corpus_repo("flask", tmp_path_factory)
    return loopintel.open(clone, index_path=tmp_path_factory.mktemp("szz") / "i.sqlite3")


def test_the_documented_example(flask: loopintel.Repository) -> None:
    result = flask.szz(FIX[:10])
    assert result.fix == FIX
    assert [(c.commit, c.lines) for c in result.inducing] == [(REFACTOR, 3), (BIND, 3)]
    assert any("tests/test_blueprints.py" in note for note in result.notes)
    reflowed = result.inducing[1].evidence[1]
    assert reflowed.text == 'server_name=self.config["SERVER_NAME"],'
    steps = [(s.commit[:8], s.why) for s in reflowed.steps]
    assert (BLACK[:8], "cosmetic") in steps
    assert (SRC, "moved") in steps
    assert reflowed.origin_path == "flask/app.py"
    # The reformatting commit is never a candidate, nor any commit after the fix.
    assert all(not c.commit.startswith(BLACK) for c in result.inducing)


def test_every_bug_fix_commit_is_traced(flask: loopintel.Repository) -> None:
    git = GitRepository(flask.git_dir)
    proxies = list(flask.find_proxies())
    assert len(proxies) > 400
    traced = 0
    for proxy in proxies:
        result = flask.szz(proxy.id)
        for commit in result.inducing:
            # An origin is a proper ancestor of the fix, and every line says it is its origin.
            assert commit.commit != proxy.id
            assert git.is_ancestor(commit.commit, proxy.id)
            assert all(line.origin == commit.commit for line in commit.evidence)
        candidates = (*result.inducing, *result.sweeping, *result.dropped)
        assert sum(c.lines for c in candidates) == sum(
            1 for line in result.lines if line.origin is not None
        )
        traced += bool(result.inducing)
    assert traced > len(proxies) // 3
