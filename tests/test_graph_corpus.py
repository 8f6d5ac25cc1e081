"""The graph on flask's full history, with its proxy incidents.

Every answer points at real code and real commits, and the graph agrees with the row
values of the index.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import graph as lg
from tests.conftest import corpus_repo

if TYPE_CHECKING:
    from collections.abc import Iterator

    import networkx as nx

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def flask(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[loopintel.Repository, nx.MultiDiGraph[str]]]:
    clone = corpus_repo("flask", tmp_path_factory)
    index = tmp_path_factory.mktemp("graph") / "g.sqlite3"
    with loopintel.open(clone, index_path=index) as repo:
        repo.import_proxies()
        yield repo, repo.graph(proxies=True)


def test_the_graph_agrees_with_the_index(
    flask: tuple[loopintel.Repository, nx.MultiDiGraph[str]],
) -> None:
    repo, graph = flask
    kinds = Counter(k for _, _, k in graph.edges(keys=True))
    assert kinds["changed"] == len(list(repo.changes()))
    assert kinds["authored"] == repo.commit_count()
    assert kinds["implicated"] == sum(len(repo.links(i)) for i in repo.incidents(proxies=True))
    head = {f.lineage for f in repo.functions()}
    living = {
        d["lineage"] for _, d in graph.nodes(data=True) if d["kind"] == "function" and d["exists"]
    }
    assert living == head
    for u, v, key, data in graph.edges(keys=True, data=True):
        if key == "co_changes":
            assert graph.has_edge(v, u, key="co_changes")
            assert 0 < data["confidence"] <= 1
        elif key == "knows":
            assert 0 <= data["weight"] <= 1


def test_clusters_and_recurrences_point_at_real_code_and_commits(
    flask: tuple[loopintel.Repository, nx.MultiDiGraph[str]],
) -> None:
    repo, graph = flask
    clusters = lg.clusters(graph, min_incidents=2)
    assert clusters
    stored = {i.key for i in repo.incidents(proxies=True)}
    seen: set[str] = set()
    for cluster in clusters:
        assert set(cluster.incidents) <= stored
        assert not seen & set(cluster.incidents)
        seen |= set(cluster.incidents)
        lineages = {f.lineage for f in cluster.functions}
        for incident in cluster.incidents:
            linked = {link.lineage for link in repo.links(incident)}
            assert linked <= lineages
        for function in cluster.functions:
            assert list(repo.changes(function=function.lineage))
    commits = {d["sha"] for _, d in graph.nodes(data=True) if d["kind"] == "commit"}
    recurrences = lg.recurring(graph, clustered=clusters)
    assert recurrences
    for recurrence in recurrences:
        assert set(recurrence.fix_commits) | set(recurrence.inducing_commits) <= commits
        assert recurrence.started_at > recurrence.fixed_at
        assert recurrence.days_after_fix >= 1
        for lineage in recurrence.lineages:
            node = f"function:{lineage}"
            assert any(
                graph.has_edge(f"commit:{fix}", node, key="changed")
                for fix in recurrence.fix_commits
            )
            assert graph.has_edge(f"incident:{recurrence.later}", node, key="implicated")


def test_the_blast_radius_of_wsgi_app(
    flask: tuple[loopintel.Repository, nx.MultiDiGraph[str]],
) -> None:
    repo, graph = flask
    radius = lg.blast_radius(graph, repo.function("Flask.wsgi_app").lineage)
    assert str(radius.function) == "src/flask/app.py::Flask.wsgi_app"
    assert radius.co_changed
    assert radius.knowers
    for other in radius.co_changed:
        assert other.shared >= 2
    changes = list(repo.changes(function="src/flask/app.py::Flask.wsgi_app"))
    authors = {
        c.author_email for c in changes if loopintel.ChangeType.COSMETIC not in c.change_types
    }
    # Everyone who changed it (not only cosmetically) knows it.
    assert authors <= {k.email for k in radius.knowers}
