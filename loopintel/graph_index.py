"""The graph of one index: nodes and edges read from the store, in one pass each.

:func:`build_graph` turns the index's change columns, commits, names and stored links
into the networkx graph that :mod:`loopintel.graph` queries. Everything numeric (which
changes fall in the window, degrees of authorship, co-changes) is numpy work over the
columns; networkx only receives the finished nodes and edges.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loopintel.graph import node_id
from loopintel.model import ChangeKind, ChangeType, EdgeKind, NodeKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    import networkx as nx

    from loopintel.history.git import GitRepository
    from loopintel.store import Store

__all__ = ["CO_CHANGE_MAX_CHANGESET", "CO_CHANGE_MIN_SUPPORT", "build_graph"]

CO_CHANGE_MIN_SUPPORT = 2
"""Shared commits a pair of functions needs for a ``co_changes`` edge: one shared
commit is a coincidence as often as a coupling."""
CO_CHANGE_MAX_CHANGESET = 30
"""Commits changing more functions than this make no ``co_changes`` edges (sweeping
reformats and renames would tie everything to everything)."""

_COSMETIC = ChangeType.COSMETIC.bit
_KINDS = tuple(ChangeKind)


def _module(path: str) -> str:
    return path.rpartition("/")[0] or "."


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def build_graph(
    git: GitRepository,
    store: Store,
    *,
    since: int | None = None,
    until: int | None = None,
    proxies: bool = False,
) -> nx.MultiDiGraph[str]:
    """The graph of the index, for changes and incidents in ``[since, until)``.

    Functions are every function at the indexed head, every function changed in the
    window and every function a stored incident of the window implicates. Commits and
    their authors are those of the window. See ``docs/graph.md`` for every attribute.

    Args:
        git: the repository (for the bug-fix rules' commit messages).
        store: its index.
        since: seconds since the epoch; changes and incidents from then on.
        until: seconds since the epoch; changes and incidents before then.
        proxies: the proxy incidents (bug-fix commits) instead of the real ones.

    """
    import networkx as nx  # noqa: PLC0415 - loaded on use: opening stays quick
    import numpy as np  # noqa: PLC0415

    from loopintel.analysis.coupling import co_changes  # noqa: PLC0415
    from loopintel.analysis.knowledge import authorship_table  # noqa: PLC0415
    from loopintel.hotspots import fix_commits  # noqa: PLC0415

    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph(since=since, until=until, proxies=proxies)
    columns = store.columns()
    inside = np.ones(len(columns), dtype=bool)
    if since is not None:
        inside &= columns.authored_at >= since
    if until is not None:
        inside &= columns.authored_at < until
    window = columns.select(inside)

    fixes = fix_commits(git, store)
    commits: dict[int, str] = {}
    merges: list[int] = []
    for seq, sha, email, name, authored_at, merge in store.commit_people():
        if (since is not None and authored_at < since) or (
            until is not None and authored_at >= until
        ):
            continue
        commits[seq] = sha
        if merge:
            merges.append(seq)
        author = node_id(NodeKind.AUTHOR, email)
        if author not in graph:
            graph.add_node(author, kind=NodeKind.AUTHOR.value, email=email, name=name)
        commit = node_id(NodeKind.COMMIT, sha)
        graph.add_node(
            commit,
            kind=NodeKind.COMMIT.value,
            sha=sha,
            seq=seq,
            author=email,
            authored_at=_time(authored_at),
            merge=merge,
            fix=seq in fixes,
        )
        graph.add_edge(author, commit, key=EdgeKind.AUTHORED.value, kind=EdgeKind.AUTHORED.value)

    # Functions: the head's, then the window's changes', then the incidents'.
    names: dict[str, tuple[str, str]] = {}
    at_head: dict[str, tuple[int, int]] = {}
    for path, qualname, lineage, start, end in store.head_spans():
        names[lineage] = (path, qualname)
        at_head[lineage] = (start, end)
    latest: dict[str, tuple[str, str]] | None = None
    incidents = [
        incident
        for incident in store.incidents(proxies=proxies)
        if incident.started_at is None
        or (
            (since is None or incident.started_at.timestamp() >= since)
            and (until is None or incident.started_at.timestamp() < until)
        )
    ]
    kept = {incident.key for incident in incidents}
    links = [link for link in store.all_links(proxies=proxies) if link.incident in kept]
    wanted = [columns.lineages[code] for code in np.unique(window.lineage).tolist()]
    wanted += [link.lineage for link in links]
    for lineage in wanted:
        if lineage not in names:
            if latest is None:
                latest = store.latest_names()
            names[lineage] = latest.get(lineage, ("", lineage))
    for lineage, (path, qualname) in names.items():
        span = at_head.get(lineage)
        graph.add_node(
            node_id(NodeKind.FUNCTION, lineage),
            kind=NodeKind.FUNCTION.value,
            lineage=lineage,
            path=path,
            qualname=qualname,
            exists=span is not None,
            start_line=None if span is None else span[0],
            end_line=None if span is None else span[1],
        )
    _containment(graph, names, set(store.head_files()))

    # Changes, degrees of authorship and co-changes over the window's columns.
    function_prefix = node_id(NodeKind.FUNCTION, "")
    commit_prefix = node_id(NodeKind.COMMIT, "")
    lineage_ids = [function_prefix + lineage for lineage in columns.lineages]
    decoded: dict[int, tuple[str, ...]] = {}
    change_kinds = [kind.value for kind in _KINDS]
    changed = EdgeKind.CHANGED.value
    edges = []
    for seq, code, path_code, bits, kind, added, removed in zip(
        window.seq.tolist(),
        window.lineage.tolist(),
        window.path.tolist(),
        window.types.tolist(),
        window.kind.tolist(),
        window.lines_added.tolist(),
        window.lines_removed.tolist(),
        strict=True,
    ):
        changer = commits.get(seq)
        if changer is None:
            continue
        names_of = decoded.get(bits)
        if names_of is None:
            names_of = decoded[bits] = tuple(t.value for t in ChangeType.from_bits(bits))
        edges.append(
            (
                commit_prefix + changer,
                lineage_ids[code],
                changed,
                {
                    "kind": changed,
                    "change": change_kinds[kind],
                    "types": names_of,
                    "cosmetic": bool(bits & _COSMETIC),
                    "lines_added": added,
                    "lines_removed": removed,
                    "path": columns.paths[path_code],
                },
            )
        )
    _add_edges(graph, edges)
    real = window.select((window.types & _COSMETIC) == 0) if len(window) else window
    if len(real):
        _knows(graph, real, lineage_ids, authorship_table, np)
        single = ~np.isin(real.seq, np.array(merges, dtype=np.int64))
        pairs = co_changes(
            real.seq[single],
            real.lineage[single].astype(np.int64),
            len(columns.lineages),
            max_changeset=CO_CHANGE_MAX_CHANGESET,
        )
        revisions = pairs.revisions.tolist()
        co = EdgeKind.CO_CHANGES.value
        _add_edges(
            graph,
            [
                (
                    lineage_ids[x],
                    lineage_ids[y],
                    co,
                    {"kind": co, "support": shared, "confidence": shared / revisions[x]},
                )
                for a, b, shared in zip(
                    pairs.a.tolist(), pairs.b.tolist(), pairs.shared.tolist(), strict=True
                )
                if shared >= CO_CHANGE_MIN_SUPPORT
                and not _nested(columns.lineages[a], columns.lineages[b], names, at_head)
                for x, y in ((a, b), (b, a))
            ],
        )

    # Incidents and what they implicate.
    for incident in incidents:
        graph.add_node(
            node_id(NodeKind.INCIDENT, incident.key),
            kind=NodeKind.INCIDENT.value,
            key=incident.key,
            source=incident.source,
            id=incident.id,
            title=incident.title,
            started_at=None if incident.started_at is None else incident.started_at.astimezone(UTC),
            severity=incident.severity,
            type=incident.type,
            services=incident.services,
            proxy=incident.proxy,
        )
    for link in links:
        graph.add_edge(
            node_id(NodeKind.INCIDENT, link.incident),
            node_id(NodeKind.FUNCTION, link.lineage),
            key=EdgeKind.IMPLICATED.value,
            kind=EdgeKind.IMPLICATED.value,
            confidence=link.confidence,
            evidence=link.evidence,
            kinds=tuple(e.kind.value for e in link.evidence),
            commits=tuple(e.commit for e in link.evidence if e.commit),
            path=link.function.path,
            qualname=link.function.qualname,
        )
    return graph


def _nested(
    a: str, b: str, names: dict[str, tuple[str, str]], at_head: dict[str, tuple[int, int]]
) -> bool:
    """Whether one of two functions at the head lies inside the other.

    A change inside a nested function is also a change of the function around it: the
    two always change together, which says nothing, so they get no ``co_changes`` edge.
    """
    span_a, span_b = at_head.get(a), at_head.get(b)
    if span_a is None or span_b is None or names[a][0] != names[b][0]:
        return False
    return (span_a[0] <= span_b[0] and span_b[1] <= span_a[1]) or (
        span_b[0] <= span_a[0] and span_a[1] <= span_b[1]
    )


def _add_edges(
    graph: nx.MultiDiGraph[str], edges: Iterable[tuple[str, str, str, dict[str, Any]]]
) -> None:
    """Edges given as ``(source, target, key, attributes)``.

    Written into the graph's adjacency directly, as networkx's own builders do: the
    nodes are all added first, and ``add_edge``'s checks and copies, once per edge,
    were most of a build. An edge whose endpoint is missing goes through ``add_edge``.
    """
    succ: dict[str, dict[str, dict[str, Any]]] = graph._succ  # type: ignore[attr-defined] # noqa: SLF001
    pred: dict[str, dict[str, dict[str, Any]]] = graph._pred  # type: ignore[attr-defined] # noqa: SLF001
    add = graph.add_edge
    for source, target, key, attributes in edges:
        out = succ.get(source)
        if out is None or target not in pred:
            add(source, target, key, **attributes)
            continue
        keys = out.get(target)
        if keys is None:
            keys = out[target] = {}
            pred[target][source] = keys
        keys[key] = attributes
    # What networkx caches about a graph (its views' answers) is stale now.
    cache = getattr(graph, "__networkx_cache__", None)
    if cache:
        cache.clear()


def _containment(
    graph: nx.MultiDiGraph[str], names: dict[str, tuple[str, str]], head_files: set[str]
) -> None:
    """File and module nodes for the functions' files, and the ``contains`` edges."""
    contains = EdgeKind.CONTAINS.value
    files: set[str] = {path for path, _ in names.values() if path}
    for path in sorted(files):
        graph.add_node(
            node_id(NodeKind.FILE, path),
            kind=NodeKind.FILE.value,
            path=path,
            exists=path in head_files,
        )
        child, directory = node_id(NodeKind.FILE, path), _module(path)
        while True:
            module = node_id(NodeKind.MODULE, directory)
            known = module in graph
            if not known:
                graph.add_node(module, kind=NodeKind.MODULE.value, path=directory)
            graph.add_edge(module, child, key=contains, kind=contains)
            if known or directory == ".":
                break
            child, directory = module, _module(directory)
    for lineage, (path, _) in names.items():
        if path:
            graph.add_edge(
                node_id(NodeKind.FILE, path),
                node_id(NodeKind.FUNCTION, lineage),
                key=contains,
                kind=contains,
            )


def _knows(
    graph: nx.MultiDiGraph[str], real: Any, lineage_ids: list[str], table_of: Any, np: Any
) -> None:
    """``knows`` edges: each author's degree of authorship of each function they changed.

    Undecayed DOA (Fritz et al.'s weights, as for the truck factor), normalised per
    function by its highest author, so ``weight`` 1 is the function's main author.
    """
    added = _KINDS.index(ChangeKind.ADDED)
    table = table_of(
        real.lineage.astype(np.int64),
        real.author.astype(np.int64),
        real.authored_at,
        real.kind == added,
        now=int(real.authored_at.max()),
        half_life_days=None,
    )
    top = np.zeros(int(table.element.max()) + 1)
    np.maximum.at(top, table.element, table.doa)
    weight = np.where(top[table.element] > 0, table.doa / np.maximum(top[table.element], 1e-12), 0)
    knows = EdgeKind.KNOWS.value
    authors = [node_id(NodeKind.AUTHOR, email) for email in real.authors]
    _add_edges(
        graph,
        [
            (
                authors[author],
                lineage_ids[element],
                knows,
                {
                    "kind": knows,
                    "weight": share,
                    "doa": doa,
                    "changes": own,
                    "last_touch": _time(last),
                },
            )
            for element, author, doa, share, own, last in zip(
                table.element.tolist(),
                table.author.tolist(),
                table.doa.tolist(),
                weight.tolist(),
                table.own_changes.tolist(),
                table.last_touch.tolist(),
                strict=True,
            )
        ],
    )
