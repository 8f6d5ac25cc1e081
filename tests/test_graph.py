"""The graph of code, people and incidents, and its queries, on histories built to know them."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loopintel
from loopintel import EdgeKind, Incident, IncidentLink, LinkKind, NodeKind
from loopintel import graph as lg
from tests.cli_runner import run_cli
from tests.conftest import EPOCH, RepoBuilder

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DAY = 86400
ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")


def _body(name: str, n: int) -> str:
    return f"def {name}(x):\n    if x > {n}:\n        return {n}\n    return x\n"


def build(builder: RepoBuilder) -> dict[str, str]:
    """pkg/a.py's f and g change together three times; pkg/b.py's h alone; other/c.py's k.

    Fixes: ``fix_f`` (f, day 10), ``fix_fg`` (f and g, day 40), ``fix_k1`` (k, day 20),
    ``fix_k2`` (k, day 60), ``fix_h`` (h, day 80). A sweeping commit on day 70 changes
    every function once more (more than the co-change limit? no: four functions, so it
    is an ordinary shared commit of them all).
    """
    shas: dict[str, str] = {}
    day = 0

    def at() -> int:
        return EPOCH + day * DAY

    a = {"f": 0, "g": 0}
    shas["start"] = builder.commit(
        {
            "pkg/a.py": _body("f", 0) + "\n\n" + _body("g", 0),
            "pkg/b.py": _body("h", 0),
            "other/c.py": _body("k", 0),
        },
        "Add the code",
        author=ANN,
        at=at(),
    )

    def a_py() -> str:
        return _body("f", a["f"]) + "\n\n" + _body("g", a["g"])

    for i, name in enumerate(("tune_1", "tune_2", "tune_3"), 1):
        day = i
        a["f"], a["g"] = 10 * i, 10 * i + 1
        shas[name] = builder.commit({"pkg/a.py": a_py()}, "Tune f and g", author=ANN, at=at())
    day = 10
    a["f"] = 100
    shas["fix_f"] = builder.commit({"pkg/a.py": a_py()}, "Fix f", author=ANN, at=at())
    day = 20
    shas["fix_k1"] = builder.commit({"other/c.py": _body("k", 5)}, "Fix k", author=BOB, at=at())
    day = 40
    a["f"], a["g"] = 200, 201
    shas["fix_fg"] = builder.commit({"pkg/a.py": a_py()}, "Fix f and g", author=ANN, at=at())
    day = 60
    shas["fix_k2"] = builder.commit({"other/c.py": _body("k", 6)}, "Fix k", author=BOB, at=at())
    day = 80
    shas["fix_h"] = builder.commit({"pkg/b.py": _body("h", 7)}, "Fix h", author=BOB, at=at())
    return shas


def _incident(id_: str, day: float, fix: str) -> Incident:
    return Incident(
        source="pagerduty",
        id=id_,
        title=f"incident {id_}",
        started_at=datetime.fromtimestamp(EPOCH + day * DAY, UTC),
        links=(IncidentLink(LinkKind.FIX, fix),),
    )


@pytest.fixture
def graphed(
    repo_builder: RepoBuilder, tmp_path: Path
) -> Iterator[tuple[loopintel.Repository, dict[str, str]]]:
    shas = build(repo_builder)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "g.sqlite3") as repo:
        repo.add_incidents(
            [
                _incident("P1", 9.5, shas["fix_f"]),
                _incident("P2", 39.5, shas["fix_fg"]),
                _incident("P3", 19.5, shas["fix_k1"]),
                _incident("P4", 59.5, shas["fix_k2"]),
                _incident("P5", 79.5, shas["fix_h"]),
            ]
        )
        yield repo, shas


def _lineage(repo: loopintel.Repository, name: str) -> str:
    return repo.function(name).lineage


# -- the graph ----------------------------------------------------------------------------


def test_nodes_and_edges_are_typed_and_match_the_index(
    graphed: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = graphed
    graph = repo.graph()
    kinds = Counter(data["kind"] for _, data in graph.nodes(data=True))
    assert kinds == {
        "function": 4,
        "file": 3,
        "module": 3,  # pkg, other and the root
        "author": 2,
        "commit": len(shas),
        "incident": 5,
    }
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert key == data["kind"]
        assert key in set(EdgeKind)
        assert graph.has_edge(u, v, key=key)
    # Both directions of the adjacency agree, as networkx keeps them.
    out = sorted((u, v, k) for u, v, k in graph.out_edges(keys=True))
    into = sorted((u, v, k) for u, v, k in graph.in_edges(keys=True))
    assert out == into
    assert len(out) == graph.number_of_edges()
    copy: nx.MultiDiGraph[str] = nx.MultiDiGraph(**graph.graph)
    copy.add_nodes_from(graph.nodes(data=True))
    for u, v, key, data in graph.edges(keys=True, data=True):
        copy.add_edge(u, v, key, **data)
    assert nx.utils.graphs_equal(copy, graph)  # as if every edge were added by add_edge
    f = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "pkg/a.py::f"))
    assert graph.nodes[f]["qualname"] == "f"
    assert graph.nodes[f]["path"] == "pkg/a.py"
    assert graph.nodes[f]["exists"] is True
    # changed: one edge per change of the index, with its types and lines.
    changed = [(u, v, d) for u, v, k, d in graph.edges(keys=True, data=True) if k == "changed"]
    assert len(changed) == len(list(repo.changes()))
    into_f = {graph.nodes[u]["sha"]: d for u, v, d in changed if v == f}
    expected = {c.commit: c for c in repo.changes(function="pkg/a.py::f")}
    assert set(into_f) == set(expected)
    for sha, data in into_f.items():
        assert data["lines_added"] == expected[sha].lines_added
        assert data["types"] == tuple(t.value for t in expected[sha].change_types)
    # contains: module -> file -> function, and the root holds the top directories.
    assert graph.has_edge("module:.", "module:pkg", key="contains")
    assert graph.has_edge("module:pkg", "file:pkg/a.py", key="contains")
    assert graph.has_edge("file:pkg/a.py", f, key="contains")
    # authored: each commit by its author; commits know whether they are fixes.
    assert graph.has_edge("author:bob@example.com", f"commit:{shas['fix_k1']}", key="authored")
    assert graph.nodes[f"commit:{shas['fix_k1']}"]["fix"] is True
    assert graph.nodes[f"commit:{shas['tune_1']}"]["fix"] is False
    # knows: Ann wrote every change of f: she is its main author.
    knows = graph.get_edge_data("author:ann@example.com", f, key="knows")
    assert knows["weight"] == 1.0
    assert knows["changes"] == len(expected)
    assert not graph.has_edge("author:bob@example.com", f, key="knows")
    # implicated: P1's fix changed f only.
    p1 = "incident:pagerduty:P1"
    targets = {v for _, v, k in graph.out_edges(p1, keys=True) if k == "implicated"}
    assert targets == {f}
    link = graph.get_edge_data(p1, f, key="implicated")
    assert "fix_commit" in link["kinds"]
    assert shas["fix_f"] in link["commits"]


def test_co_changes_count_shared_commits_both_ways(
    graphed: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = graphed
    graph = repo.graph()
    f = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "pkg/a.py::f"))
    g = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "pkg/a.py::g"))
    h = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "pkg/b.py::h"))
    forward = graph.get_edge_data(f, g, key="co_changes")
    backward = graph.get_edge_data(g, f, key="co_changes")
    # Introduced together (not counted: an introduction is a change), tuned three
    # times together, fixed together once; f was fixed alone once more.
    f_revisions = len(list(repo.changes(function="pkg/a.py::f")))
    g_revisions = len(list(repo.changes(function="pkg/a.py::g")))
    assert forward["support"] == backward["support"] == g_revisions
    assert forward["confidence"] == pytest.approx(g_revisions / f_revisions)
    assert backward["confidence"] == 1.0
    # h and f share only the first commit: below the minimum support of 2.
    assert not graph.has_edge(f, h, key="co_changes")


def test_the_window_keeps_only_its_commits_changes_and_incidents(
    graphed: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = graphed
    since = datetime.fromtimestamp(EPOCH + 15 * DAY, UTC)
    graph = repo.graph(since=since)
    commits = {d["sha"] for _, d in graph.nodes(data=True) if d["kind"] == "commit"}
    assert commits == {shas[n] for n in ("fix_k1", "fix_fg", "fix_k2", "fix_h")}
    incidents = {d["key"] for _, d in graph.nodes(data=True) if d["kind"] == "incident"}
    assert incidents == {"pagerduty:P2", "pagerduty:P3", "pagerduty:P4", "pagerduty:P5"}
    # Functions at the head stay, whether or not they changed in the window.
    assert sum(1 for _, d in graph.nodes(data=True) if d["kind"] == "function") == 4
    with pytest.raises(loopintel.InvalidQuery, match="until"):
        repo.graph(since="2024-01-02", until="2024-01-01")
    with pytest.raises(loopintel.InvalidQuery, match="since"):
        repo.graph(since="yesterday")


# -- clusters, recurrences, blast radius --------------------------------------------------


def test_clusters_group_incidents_by_the_code_they_share(
    graphed: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = graphed
    found = repo.clusters()
    # Two incidents each; P3 and P4 implicate exactly the same code (tie 1), P1 and P2
    # share f only (P2 also implicates g): the closer-knit cluster comes first.
    assert [set(c.incidents) for c in found] == [
        {"pagerduty:P3", "pagerduty:P4"},
        {"pagerduty:P1", "pagerduty:P2"},
    ]
    assert found[0].weight == pytest.approx(1.0)
    first = found[1]
    assert first.id == 2
    assert first.incidents == ("pagerduty:P1", "pagerduty:P2")  # oldest first
    assert str(first.functions[0].function) == "pkg/a.py::f"  # both implicate it
    assert first.functions[0].incidents == 2
    assert [m.name for m in first.modules] == ["pkg"]
    assert (first.authors[0].email, first.authors[0].name) == ("ann@example.com", "Ann")
    assert first.basis is loopintel.ClusterBasis.FUNCTIONS
    assert first.weight == pytest.approx(1 / math.sqrt(2), rel=1e-3)
    # A lone incident is no pattern, unless asked for; P5 shares no function with any
    # other, so it is grouped by its module, after the clusters held by functions.
    alone = repo.clusters(min_incidents=1)
    assert len(alone) == 3
    assert alone[-1].basis is loopintel.ClusterBasis.MODULE
    assert alone[-1].incidents == ("pagerduty:P5",)
    assert {c.incidents for c in repo.clusters(path="other")} == {("pagerduty:P3", "pagerduty:P4")}
    assert repo.clusters(limit=1) == found[:1]
    with pytest.raises(loopintel.InvalidQuery, match="min_incidents"):
        repo.clusters(min_incidents=0)


def test_recurring_finds_incidents_after_a_fix_to_the_same_code(
    graphed: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = graphed
    found = repo.recurring()
    pairs = [(r.earlier, r.later) for r in found]
    assert pairs == [("pagerduty:P3", "pagerduty:P4"), ("pagerduty:P1", "pagerduty:P2")]
    k, f = found
    assert f.fix_commits == (shas["fix_f"],)
    assert [str(x) for x in f.functions] == ["pkg/a.py::f"]
    assert f.modules == ("pkg",)
    assert f.days_after_fix == pytest.approx(29.5)
    assert f.days_between == pytest.approx(30.0)
    assert f.cluster == repo.clusters()[1].id
    assert k.functions[0].path == "other/c.py"
    # Too long after the fix: no longer a recurrence.
    assert repo.recurring(window_days=20) == []
    # P5 (h) follows no fix of h: never a recurrence.
    assert all(r.later != "pagerduty:P5" for r in found)
    assert [r.later for r in repo.recurring(path="pkg")] == ["pagerduty:P2"]
    with pytest.raises(loopintel.InvalidQuery, match="window_days"):
        repo.recurring(window_days=0)
    with pytest.raises(loopintel.InvalidQuery, match=r"min_gap_days.*window_days"):
        repo.recurring(window_days=10, min_gap_days=10)


def test_the_blast_radius_of_a_function(
    graphed: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = graphed
    radius = repo.blast_radius("pkg/a.py::f")
    assert str(radius.function) == "pkg/a.py::f"
    assert [str(c.function) for c in radius.co_changed] == ["pkg/a.py::g"]
    assert radius.knowers[0].email == "ann@example.com"
    assert radius.knowers[0].functions == 2
    assert {n.incident for n in radius.incidents} == {"pagerduty:P1", "pagerduty:P2"}
    assert radius.modules == ("pkg",)
    with pytest.raises(loopintel.FunctionNotFound):
        repo.blast_radius("pkg/a.py::nothing")


def test_a_graph_without_incidents_has_no_clusters(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "n.sqlite3") as repo:
        assert repo.clusters() == []
        assert repo.recurring() == []
        assert repo.blast_radius("pkg/a.py::f").incidents == ()


# -- the pure queries, on graphs built by hand ----------------------------------------------


def _hand_graph(links: dict[str, dict[str, float]], starts: dict[str, int]) -> nx.MultiDiGraph[str]:
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for incident, functions in links.items():
        node = lg.node_id(NodeKind.INCIDENT, incident)
        graph.add_node(
            node,
            kind="incident",
            key=incident,
            started_at=datetime.fromtimestamp(EPOCH + starts[incident] * DAY, UTC),
        )
        for function, confidence in functions.items():
            target = lg.node_id(NodeKind.FUNCTION, function)
            graph.add_node(target, kind="function", lineage=function, path=f"m{function[0]}/x.py")
            graph.add_edge(node, target, key="implicated", kind="implicated", confidence=confidence)
    return graph


links_strategy = st.dictionaries(
    st.sampled_from([f"i{n}" for n in range(8)]),
    st.dictionaries(
        st.sampled_from(["a1", "a2", "b1", "b2", "c1"]),
        st.floats(min_value=0.05, max_value=1.0),
        max_size=4,
    ),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(links=links_strategy)
def test_clusters_partition_the_incidents_that_implicate_code(
    links: dict[str, dict[str, float]],
) -> None:
    graph = _hand_graph(links, {i: n for n, i in enumerate(sorted(links))})
    found = lg.clusters(graph)
    seen = [key for cluster in found for key in cluster.incidents]
    assert len(seen) == len(set(seen))
    assert set(seen) == {i for i, functions in links.items() if functions}
    assert [c.id for c in found] == list(range(1, len(found) + 1))
    assert lg.clusters(graph) == found  # the same seed, the same clusters
    projection = lg.incident_projection(graph)
    for a, b, weight in projection.edges(data="weight", default=0.0):
        assert 0 < weight <= 1 + 1e-9
        shared = set(links[a.partition(":")[2]]) & set(links[b.partition(":")[2]])
        assert shared


@settings(max_examples=40, deadline=None)
@given(links=links_strategy, extra=st.floats(min_value=0.05, max_value=1.0))
def test_an_incident_on_other_code_changes_no_tie(
    links: dict[str, dict[str, float]], extra: float
) -> None:
    before = lg.incident_projection(_hand_graph(links, dict.fromkeys(links, 0)))
    more = {**links, "z": {"zz": extra}}
    after = lg.incident_projection(_hand_graph(more, dict.fromkeys(more, 0)))
    assert sorted(before.edges(data="weight")) == sorted(after.edges(data="weight"))


def test_the_tie_of_two_incidents_is_the_cosine_of_their_links() -> None:
    graph = _hand_graph({"x": {"a1": 1.0, "a2": 0.5}, "y": {"a1": 0.5}}, {"x": 0, "y": 1})
    weight = lg.incident_projection(graph)["incident:x"]["incident:y"]["weight"]
    assert weight == pytest.approx(0.5 / (math.sqrt(1.25) * 0.5))


def test_recurring_refuses_a_bad_window() -> None:
    graph = _hand_graph({"x": {"a1": 1.0}}, {"x": 0})
    with pytest.raises(loopintel.InvalidQuery, match="window"):
        lg.recurring(graph, window=timedelta(0))
    with pytest.raises(loopintel.InvalidQuery, match="min_gap"):
        lg.recurring(graph, min_gap=timedelta(days=-1))


# -- the commands ---------------------------------------------------------------------------


def test_the_commands_print_tables_and_json(
    graphed: tuple[loopintel.Repository, dict[str, str]], tmp_path: Path
) -> None:
    repo, shas = graphed
    where = ("--index-path", str(tmp_path / "g.sqlite3"))
    table = run_cli("clusters", repo.path, *where)
    assert table.exit_code == 0, table.stderr
    assert "cluster 2: 2 incidents" in table.stdout
    assert "incident P1" in table.stdout  # incidents with their titles
    assert "pkg/a.py::f" in table.stdout
    rows = [
        json.loads(line)
        for line in run_cli("clusters", repo.path, *where, "--json").stdout.splitlines()
    ]
    assert [row["incidents"] for row in rows] == [list(c.incidents) for c in repo.clusters()]
    out = run_cli("recurring", repo.path, *where)
    assert out.exit_code == 0, out.stderr
    assert "pagerduty:P2" in out.stdout
    assert shas["fix_f"][:10] in out.stdout
    rows = [
        json.loads(line)
        for line in run_cli("recurring", repo.path, *where, "--json").stdout.splitlines()
    ]
    assert [(r["earlier"], r["later"]) for r in rows] == [
        ("pagerduty:P3", "pagerduty:P4"),
        ("pagerduty:P1", "pagerduty:P2"),
    ]
    out = run_cli("blast-radius", "pkg/a.py::f", repo.path, *where)
    assert out.exit_code == 0, out.stderr
    assert "pkg/a.py::g" in out.stdout
    assert "Ann <ann@example.com>" in out.stdout
    radius = json.loads(run_cli("blast-radius", "pkg/a.py::f", repo.path, *where, "--json").stdout)
    assert (radius["path"], radius["qualname"]) == ("pkg/a.py", "f")
    assert [(c["path"], c["qualname"]) for c in radius["co_changed"]] == [("pkg/a.py", "g")]
    bad = run_cli("recurring", repo.path, *where, "--since", "nonsense", check=False)
    assert bad.exit_code == 1
    assert "since" in bad.stderr
    missing = run_cli("blast-radius", "nothing_here", repo.path, *where, check=False)
    assert missing.exit_code == 1


def test_a_merge_ties_no_functions(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    def a_py(f: int, g: int) -> str:
        return _body("f", f) + "\n\n" + _body("g", g)

    base = repo_builder.commit({"a.py": a_py(0, 0)}, "Add", author=ANN)
    left = repo_builder.commit({"a.py": a_py(1, 0)}, "Left", author=ANN)
    repo_builder.checkout_files(base)
    right = repo_builder.commit({"a.py": a_py(0, 1)}, "Right", author=BOB, ref=None, parents=[base])
    # The merge resolves both functions to what neither side had: a change of each.
    repo_builder.checkout_files(left)
    merge = repo_builder.commit({"a.py": a_py(2, 2)}, "Merge", author=ANN, parents=[left, right])
    with loopintel.open(repo_builder.path, index_path=tmp_path / "m.sqlite3") as repo:
        in_merge = {c.qualname for c in repo.changes() if c.commit == merge}
        assert in_merge == {"f", "g"}
        graph = repo.graph()
        f = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "a.py::f"))
        g = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "a.py::g"))
        assert graph.has_edge(f"commit:{merge}", f, key="changed")
        # Shared: the introduction only (the merge left out): below the support of 2.
        assert not graph.has_edge(f, g, key="co_changes")


def test_a_function_and_one_inside_it_are_not_co_changes(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    for n in range(3):
        repo_builder.commit(
            {
                "n.py": f"def outer(x):\n    def inner(y):\n        return y + {n}\n    return inner(x)\n"
            },
            f"Change {n}",
        )
    with loopintel.open(repo_builder.path, index_path=tmp_path / "n.sqlite3") as repo:
        graph = repo.graph()
        outer = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "n.py::outer"))
        inner = lg.node_id(NodeKind.FUNCTION, _lineage(repo, "n.py::outer.<locals>.inner"))
        assert len(list(repo.changes(function="n.py::outer.<locals>.inner"))) == 3
        assert not graph.has_edge(outer, inner, key="co_changes")
        assert not graph.has_edge(inner, outer, key="co_changes")


@pytest.mark.parametrize(
    ("changed", "recurs"), [(lg.RECURRENCE_SWEEP, True), (lg.RECURRENCE_SWEEP + 1, False)]
)
def test_a_sweeping_fix_recurs_nothing(changed: int, recurs: bool) -> None:
    graph = _hand_graph({"a": {"f0": 1.0}, "b": {"f0": 1.0}}, {"a": 0, "b": 30})
    fix = lg.node_id(NodeKind.COMMIT, "c0ffee")
    graph.add_node(
        fix, kind="commit", sha="c0ffee", authored_at=datetime.fromtimestamp(EPOCH + DAY, UTC)
    )
    for n in range(changed):
        function = lg.node_id(NodeKind.FUNCTION, f"f{n}")
        graph.add_node(function, kind="function", lineage=f"f{n}", path="m/x.py")
        graph.add_edge(fix, function, key="changed", kind="changed", cosmetic=False)
    evidence = (
        loopintel.Evidence(loopintel.EvidenceKind.FIX_COMMIT, 1.0, "fixed", commit="c0ffee"),
    )
    graph.add_edge(
        "incident:a",
        "function:f0",
        key="implicated",
        kind="implicated",
        confidence=1.0,
        evidence=evidence,
    )
    found = lg.recurring(graph)
    assert [(r.earlier, r.later) for r in found] == ([("a", "b")] if recurs else [])
