"""Queries over the graph of code, people and incidents, each taking the graph first.

``repo.graph()`` returns a networkx ``MultiDiGraph``; the functions here read it and
nothing else, so users can run their own networkx algorithms on the same object and
call these on a graph they filtered or extended. Node ids are ``<kind>:<key>``
(:func:`node_id`); every node and edge has a ``kind`` attribute (:class:`NodeKind`,
:class:`EdgeKind`), and an edge's key is its kind. ``docs/graph.md`` documents every
attribute and the methods below.

* :func:`clusters`: incidents grouped by the code they implicate;
* :func:`recurring`: incidents that came back after a fix to the same code;
* :func:`blast_radius`: what changes with a function, who knows that code, and which
  incidents touched it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from loopintel.arguments import number, row_limit, whole
from loopintel.errors import AmbiguousFunction, FunctionNotFound, InvalidQuery
from loopintel.model import (
    BlastRadius,
    ChangeType,
    Cluster,
    ClusterAuthor,
    ClusterBasis,
    ClusterFunction,
    CoChanged,
    EdgeKind,
    EvidenceKind,
    FunctionRef,
    Knower,
    NearbyIncident,
    NodeKind,
    Recurrence,
    Tally,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    import networkx as nx

__all__ = [
    "RECURRENCE_GAP",
    "RECURRENCE_SWEEP",
    "RECURRENCE_WINDOW",
    "blast_radius",
    "clusters",
    "find_function",
    "incident_projection",
    "node_id",
    "recurring",
]

RECURRENCE_WINDOW = timedelta(days=365)
"""How long after a fix a new incident on the same code counts as the problem coming
back, by default."""
RECURRENCE_SWEEP = 100
"""A fix that changed more functions than this (not cosmetically) is a sweep, a lint
or upgrade run, no fix of anything in particular: it recurs nothing, as SZZ sets such
commits apart."""
RECURRENCE_GAP = timedelta(days=1)
"""How long after a fix a new incident must start to count, by default: a fix finished
in a second commit the same day is one piece of work, not the problem coming back."""

_CHANGED = EdgeKind.CHANGED.value
_IMPLICATED = EdgeKind.IMPLICATED.value
_KNOWS = EdgeKind.KNOWS.value
_CO_CHANGES = EdgeKind.CO_CHANGES.value
_FIX = EvidenceKind.FIX_COMMIT.value
_INDUCING = EvidenceKind.INDUCING_COMMIT.value


def node_id(kind: NodeKind | str, key: str) -> str:
    """The id of a node: ``function:<lineage>``, ``file:<path>``, ``incident:<key>``...

    Example:
        >>> node_id(NodeKind.FILE, "src/app.py")
        'file:src/app.py'

    """
    return f"{(kind if isinstance(kind, NodeKind) else NodeKind(kind)).value}:{key}"


def _of_kind(graph: nx.MultiDiGraph[str], kind: NodeKind) -> list[str]:
    return [node for node, data in graph.nodes(data=True) if data.get("kind") == kind.value]


def _edges(
    graph: nx.MultiDiGraph[str], node: str, kind: str, *, incoming: bool = False
) -> Iterable[tuple[str, dict[str, Any]]]:
    """The neighbours of ``node`` over edges of one kind, with each edge's data."""
    if incoming:
        for other, _, key, data in graph.in_edges(node, keys=True, data=True):
            if key == kind:
                yield other, data
    else:
        for _, other, key, data in graph.out_edges(node, keys=True, data=True):
            if key == kind:
                yield other, data


def _module_of(graph: nx.MultiDiGraph[str], function: str) -> str:
    path = graph.nodes[function].get("path") or ""
    return path.rpartition("/")[0] or "."


def _ref(graph: nx.MultiDiGraph[str], function: str) -> FunctionRef:
    data = graph.nodes[function]
    return FunctionRef(data.get("path") or "", data.get("qualname") or data.get("lineage", ""))


def _implicated(graph: nx.MultiDiGraph[str]) -> dict[str, dict[str, float]]:
    """Each incident's implicated functions, with the link's confidence."""
    out: dict[str, dict[str, float]] = {}
    for incident in _of_kind(graph, NodeKind.INCIDENT):
        found = out.setdefault(incident, {})
        for function, data in _edges(graph, incident, _IMPLICATED):
            found[function] = max(found.get(function, 0.0), float(data.get("confidence", 0.0)))
    return out


def incident_projection(graph: nx.MultiDiGraph[str]) -> nx.Graph[str]:
    """Incidents tied by the functions they implicate alike.

    Each incident is a vector over functions, a function's entry the confidence of
    its link; the weight of the tie of two incidents is the cosine of their vectors:
    1 when they implicate the same functions equally surely, less the more code only
    one of them implicates, so an incident that implicates half the repository ties
    weakly to everything rather than strongly to everything. Every incident that
    implicates any code is a node, tied or not.
    """
    import math  # noqa: PLC0415

    import networkx as nx  # noqa: PLC0415 - loaded on use

    projection: nx.Graph[str] = nx.Graph()
    implicated = _implicated(graph)
    by_function: dict[str, list[tuple[str, float]]] = defaultdict(list)
    norm: dict[str, float] = {}
    for incident, functions in sorted(implicated.items()):
        if functions:
            projection.add_node(incident)
            norm[incident] = math.sqrt(sum(c * c for c in functions.values()))
        for function, confidence in functions.items():
            by_function[function].append((incident, confidence))
    dot: dict[tuple[str, str], float] = defaultdict(float)
    for linked in by_function.values():
        for i, (a, ca) in enumerate(linked):
            for b, cb in linked[i + 1 :]:
                dot[(a, b) if a < b else (b, a)] += ca * cb
    projection.add_weighted_edges_from(
        (a, b, round(d / (norm[a] * norm[b]), 12))
        for (a, b), d in sorted(dot.items())
        if norm[a] > 0 and norm[b] > 0
    )
    return projection


def clusters(
    graph: nx.MultiDiGraph[str],
    *,
    min_incidents: int = 1,
    resolution: float = 1.0,
    seed: int = 0,
) -> list[Cluster]:
    """Incidents grouped by the code they implicate, the largest group first.

    First by shared functions: Louvain communities (networkx's
    ``louvain_communities``, fixed ``seed``) of :func:`incident_projection`, the
    incidents tied by the functions they implicate alike. Then by module: incidents
    that share no function with any other are grouped by the directory of their most
    confident link. Incidents that implicate no code are in no cluster.

    Args:
        graph: a graph from ``repo.graph()``.
        min_incidents: leave out clusters with fewer incidents than this.
        resolution: Louvain's resolution; above 1 favours smaller clusters.
        seed: Louvain's random seed (the same seed, the same clusters).

    Raises:
        InvalidQuery: ``min_incidents`` below 1 or ``resolution`` not positive.

    """
    import networkx as nx  # noqa: PLC0415 - loaded on use

    if whole(min_incidents, "min_incidents", "a whole number, at least 1") < 1:
        raise InvalidQuery("min_incidents", min_incidents, "a whole number, at least 1")
    if number(resolution, "resolution", "a positive number") <= 0:
        raise InvalidQuery("resolution", resolution, "a positive number")
    projection = incident_projection(graph)
    implicated = _implicated(graph)
    tied = projection.subgraph([n for n in projection if projection.degree(n) > 0])
    groups: list[tuple[ClusterBasis, set[str]]] = [
        (ClusterBasis.FUNCTIONS, set(group))
        for group in nx.community.louvain_communities(
            tied, weight="weight", resolution=resolution, seed=seed
        )
    ]
    by_module: dict[str, set[str]] = defaultdict(set)
    for incident in projection:
        if projection.degree(incident) == 0:
            functions = implicated[incident]
            strongest = max(sorted(functions), key=lambda f: functions[f])
            by_module[_module_of(graph, strongest)].add(incident)
    groups += [(ClusterBasis.MODULE, by_module[module]) for module in sorted(by_module)]
    built = [_cluster(graph, projection, implicated, group, basis) for basis, group in groups]
    built = [c for c in built if len(c.incidents) >= min_incidents]
    built.sort(
        key=lambda c: (c.basis is ClusterBasis.MODULE, -len(c.incidents), -c.weight, c.incidents)
    )
    return [
        Cluster(
            id=rank,
            basis=c.basis,
            incidents=c.incidents,
            functions=c.functions,
            modules=c.modules,
            change_types=c.change_types,
            authors=c.authors,
            weight=c.weight,
            first_started=c.first_started,
            last_started=c.last_started,
        )
        for rank, c in enumerate(built, 1)
    ]


def _started(graph: nx.MultiDiGraph[str], incident: str) -> datetime | None:
    value: datetime | None = graph.nodes[incident].get("started_at")
    return value


def _key(graph: nx.MultiDiGraph[str], incident: str) -> str:
    return str(graph.nodes[incident].get("key") or incident.partition(":")[2])


def _tally(counter: Counter[str]) -> tuple[Tally, ...]:
    return tuple(Tally(name, count) for name, count in sorted(counter.items(), key=_most))


def _most(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _cluster(
    graph: nx.MultiDiGraph[str],
    projection: nx.Graph[str],
    implicated: dict[str, dict[str, float]],
    group: set[str],
    basis: ClusterBasis,
) -> Cluster:
    def oldest(incident: str) -> tuple[bool, datetime | str, str]:
        started = _started(graph, incident)
        return started is None, started or "", incident

    incidents = sorted(group, key=oldest)
    count: Counter[str] = Counter()
    confidence: dict[str, float] = defaultdict(float)
    modules: Counter[str] = Counter()
    for incident in incidents:
        for function, c in implicated[incident].items():
            count[function] += 1
            confidence[function] += c
        modules.update({_module_of(graph, f) for f in implicated[incident]})
    types: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    names: dict[str, str] = {}
    cosmetic = ChangeType.COSMETIC.value
    for function in count:
        for commit, data in _edges(graph, function, _CHANGED, incoming=True):
            if data.get("cosmetic"):
                continue
            types.update(t for t in data.get("types", ()) if t != cosmetic)
            author = graph.nodes[commit].get("author")
            if author:
                authors[author] += 1
                if author not in names:
                    person = graph.nodes.get(node_id(NodeKind.AUTHOR, author), {})
                    names[author] = str(person.get("name", ""))
    functions = sorted(count, key=lambda f: (-count[f], -confidence[f], str(_ref(graph, f))))
    starts = [s for s in (_started(graph, i) for i in incidents) if s is not None]
    weight = projection.subgraph(incidents).size(weight="weight")
    return Cluster(
        id=0,
        basis=basis,
        incidents=tuple(_key(graph, i) for i in incidents),
        functions=tuple(
            ClusterFunction(
                lineage=str(graph.nodes[f].get("lineage", f.partition(":")[2])),
                function=_ref(graph, f),
                incidents=count[f],
                confidence=round(confidence[f], 6),
                exists=bool(graph.nodes[f].get("exists")),
            )
            for f in functions
        ),
        modules=_tally(modules),
        change_types=_tally(types),
        authors=tuple(
            ClusterAuthor(email=email, name=names.get(email, ""), changes=changes)
            for email, changes in sorted(authors.items(), key=_most)
        ),
        weight=round(float(weight), 6),
        first_started=min(starts) if starts else None,
        last_started=max(starts) if starts else None,
    )


def recurring(
    graph: nx.MultiDiGraph[str],
    *,
    window: timedelta = RECURRENCE_WINDOW,
    min_gap: timedelta = RECURRENCE_GAP,
    clustered: list[Cluster] | None = None,
) -> list[Recurrence]:
    """Incidents that came back after a fix to the same code, the newest first.

    An incident's fixes are the commits its links' ``fix_commit`` evidence names. A
    later incident recurs it when it started at least ``min_gap`` after one of those
    fixes, within ``window`` of it, and implicates a function the fix changed (a fix
    that changed more than :data:`RECURRENCE_SWEEP` functions is a sweep and recurs
    nothing); for each fix and
    function only the first such incident counts (the one after it recurs *its* fix,
    if it had one), so a chain of fixes reads as a chain, not as every pair.

    Args:
        graph: a graph from ``repo.graph()``.
        window: how long after the fix a new incident still counts.
        min_gap: how long after the fix a new incident must start to count.
        clustered: the clusters to name (default: :func:`clusters` of the graph with
            ``min_incidents=2``, so the ids are those ``repo.clusters()`` shows).

    Raises:
        InvalidQuery: ``window`` is not a positive ``timedelta``, or ``min_gap`` is
            negative or not shorter than ``window``.

    """
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise InvalidQuery("window", window, "a positive timedelta")
    if not isinstance(min_gap, timedelta) or min_gap < timedelta(0) or min_gap >= window:
        raise InvalidQuery("min_gap", min_gap, f"a timedelta from 0 to less than {window}")
    implicated = _implicated(graph)
    # Two incidents of one cluster make it one of two or more: numbered as
    # repo.clusters() numbers them by default.
    groups = clusters(graph, min_incidents=2) if clustered is None else clustered
    cluster_of = {key: c.id for c in groups for key in c.incidents}
    # Every function's incidents with a start, oldest first.
    on: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for incident, functions in implicated.items():
        started = _started(graph, incident)
        if started is not None:
            for function in functions:
                on[function].append((started, incident))
    for timeline in on.values():
        timeline.sort()
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    fixed_at: dict[tuple[str, str], datetime] = {}
    for incident in sorted(implicated):
        for fix in _fixes(graph, incident):
            commit = node_id(NodeKind.COMMIT, fix)
            if commit not in graph:
                continue
            when: datetime = graph.nodes[commit]["authored_at"]
            changed = [f for f, data in _edges(graph, commit, _CHANGED) if not data.get("cosmetic")]
            if len(changed) > RECURRENCE_SWEEP:
                continue
            for function in changed:
                later = next(
                    (
                        other
                        for started, other in on.get(function, ())
                        if started > when and started - when >= min_gap and other != incident
                    ),
                    None,
                )
                if later is None:
                    continue
                started = _started(graph, later)
                if started is None or started - when > window:
                    continue
                pair = (incident, later)
                entry = found.setdefault(pair, {"fixes": set(), "functions": set()})
                entry["fixes"].add(fix)
                entry["functions"].add(function)
                fixed_at[pair] = min(fixed_at.get(pair, when), when)
    out = []
    for (earlier, later), entry in found.items():
        shared = sorted(entry["functions"], key=lambda f: str(_ref(graph, f)))
        inducing = _inducing(graph, earlier)
        started = _started(graph, later)
        assert started is not None
        first = _started(graph, earlier)
        out.append(
            Recurrence(
                earlier=_key(graph, earlier),
                later=_key(graph, later),
                cluster=_same(cluster_of, _key(graph, earlier), _key(graph, later)),
                fix_commits=tuple(sorted(entry["fixes"])),
                functions=tuple(_ref(graph, f) for f in shared),
                lineages=tuple(str(graph.nodes[f].get("lineage")) for f in shared),
                modules=tuple(sorted({_module_of(graph, f) for f in shared})),
                inducing_commits=tuple(sorted(inducing)),
                shared_inducing=tuple(sorted(inducing & _inducing(graph, later))),
                fixed_at=fixed_at[(earlier, later)].astimezone(UTC),
                started_at=started.astimezone(UTC),
                days_after_fix=round(
                    (started - fixed_at[(earlier, later)]).total_seconds() / 86400, 3
                ),
                days_between=None
                if first is None
                else round((started - first).total_seconds() / 86400, 3),
            )
        )
    out.sort(key=lambda r: (r.started_at, r.later, r.earlier), reverse=True)
    return out


def _same(cluster_of: dict[str, int], a: str, b: str) -> int | None:
    ca = cluster_of.get(a)
    return ca if ca is not None and ca == cluster_of.get(b) else None


def _fixes(graph: nx.MultiDiGraph[str], incident: str) -> set[str]:
    found: set[str] = set()
    for _, data in _edges(graph, incident, _IMPLICATED):
        found.update(e.commit for e in data.get("evidence", ()) if e.kind == _FIX and e.commit)
    return found


def _inducing(graph: nx.MultiDiGraph[str], incident: str) -> set[str]:
    found: set[str] = set()
    for _, data in _edges(graph, incident, _IMPLICATED):
        found.update(e.commit for e in data.get("evidence", ()) if e.kind == _INDUCING and e.commit)
    return found


def find_function(graph: nx.MultiDiGraph[str], function: str) -> str:
    """The node of a function: its node id, its lineage, or ``path::qualname``.

    A name picks the function that exists at the indexed head, or the one function of
    that name.

    Raises:
        FunctionNotFound: no function node has that id, lineage or name.
        AmbiguousFunction: several have that name (their node ids are the candidates).

    """
    if function in graph and graph.nodes[function].get("kind") == NodeKind.FUNCTION.value:
        return function
    lineage = node_id(NodeKind.FUNCTION, function)
    if lineage in graph:
        return lineage
    path, _, qualname = function.partition("::")
    named = [
        node
        for node in _of_kind(graph, NodeKind.FUNCTION)
        if graph.nodes[node].get("qualname") == qualname and graph.nodes[node].get("path") == path
    ]
    living = [node for node in named if graph.nodes[node].get("exists")]
    if len(living) == 1 or (len(named) == 1 and not living):
        return (living or named)[0]
    if named:
        raise AmbiguousFunction(function, tuple(sorted(living or named)))
    raise FunctionNotFound(function)


def blast_radius(
    graph: nx.MultiDiGraph[str], function: str, *, limit: int | None = None
) -> BlastRadius:
    """What a change to ``function`` may reach.

    The functions changed in the same commits (its ``co_changes`` edges, most shared
    commits first), the people who know it and them (``knows`` weights summed), and
    the incidents that implicated any of that code (most confident first).

    Args:
        graph: a graph from ``repo.graph()``.
        function: a function node id, lineage, or ``path::qualname``.
        limit: at most this many co-changed functions (``None``: all).

    Raises:
        FunctionNotFound: as for :func:`find_function`.
        AmbiguousFunction: as for :func:`find_function`.
        InvalidQuery: ``limit`` below 1.

    """
    limit = row_limit(limit)
    node = find_function(graph, function)
    neighbours = sorted(
        _edges(graph, node, _CO_CHANGES),
        key=lambda item: (-item[1]["support"], -item[1]["confidence"], str(_ref(graph, item[0]))),
    )
    if limit is not None:
        neighbours = neighbours[:limit]
    code = [node, *(other for other, _ in neighbours)]
    weight: dict[str, float] = defaultdict(float)
    known: Counter[str] = Counter()
    for member in code:
        for author, data in _edges(graph, member, _KNOWS, incoming=True):
            weight[author] += float(data.get("weight", 0.0))
            known[author] += 1
    knowers = sorted(weight, key=lambda a: (-weight[a], a))
    nearby: list[NearbyIncident] = []
    for member in code:
        for incident, data in _edges(graph, member, _IMPLICATED, incoming=True):
            nearby.append(
                NearbyIncident(
                    incident=_key(graph, incident),
                    via=_ref(graph, member),
                    lineage=str(graph.nodes[member].get("lineage")),
                    confidence=float(data.get("confidence", 0.0)),
                    started_at=_started(graph, incident),
                )
            )
    nearby.sort(key=lambda n: (-n.confidence, n.incident, str(n.via)))
    return BlastRadius(
        function=_ref(graph, node),
        lineage=str(graph.nodes[node].get("lineage")),
        co_changed=tuple(
            CoChanged(
                lineage=str(graph.nodes[other].get("lineage")),
                function=_ref(graph, other),
                shared=int(data["support"]),
                confidence=round(float(data["confidence"]), 6),
            )
            for other, data in neighbours
        ),
        knowers=tuple(
            Knower(
                email=str(graph.nodes[a].get("email", a)),
                name=str(graph.nodes[a].get("name", "")),
                weight=round(weight[a], 6),
                functions=known[a],
            )
            for a in knowers
        ),
        incidents=tuple(nearby),
        modules=tuple(sorted({_module_of(graph, member) for member in code})),
    )
