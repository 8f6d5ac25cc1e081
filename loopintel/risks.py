"""Knowledge risks of the indexed head: the arguments checked, the index read, the rows made.

Which code is exposed (busy, fix-prone, linked to incidents) comes from the hotspot
counts of :mod:`loopintel.hotspots`; who knows it from one read of the head's ownership
rows, ranked for every exposed file or module at once by
:func:`loopintel.analysis.knowledge.experts_by_element` (the ranking
:meth:`~loopintel.Repository.experts` ships) and the greedy truck factor of
:func:`loopintel.analysis.knowledge.greedy_truck_factor`. ``docs/risks.md`` gives the
definitions and the thresholds below with their reasons.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import attrs

from loopintel.arguments import number
from loopintel.errors import InvalidQuery
from loopintel.hotspots import HotspotQuery, hotspots
from loopintel.model import (
    HotspotLevel,
    HotspotScore,
    KnowledgeRisk,
    RiskExposure,
    RiskKind,
    RiskSeverity,
    TruckFactor,
)
from loopintel.ownership import (
    DAY,
    RECENT_DAYS,
    expertise_weights,
    file_touches,
    truck_factor_value,
)
from loopintel.tables import Records

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopintel.history.git import GitRepository
    from loopintel.model import Expert, Hotspot
    from loopintel.resolver import Moment, Resolver
    from loopintel.store import OwnershipRow, Store

__all__ = [
    "KEY_SHARE",
    "MIN_BUSY_CHANGES",
    "TOP_SHARE",
    "RiskQuery",
    "key_experts",
    "knowledge_risks",
]

TOP_SHARE = 0.2
"""The share of a level's changed elements that counts as busy (by changes) and as
fix-prone (by fixes): changes and faults concentrate in about a fifth of the files."""
MIN_BUSY_CHANGES = 2
"""Changes in the window below which nothing is busy, whatever its rank: code changed
once was only written."""
KEY_SHARE = 0.5
"""The key experts of a body of code are the top of its ranking down to the first one
at which their shares add up to at least this: those who hold most of what is known."""


@attrs.frozen
class RiskQuery:
    """A knowledge-risk question with its arguments checked (see :meth:`from_arguments`)."""

    window: HotspotQuery
    """Level, window, path and limit (checked as for hotspots)."""
    inactive_after_days: float
    half_life_days: float | None
    top_share: float

    @classmethod
    def from_arguments(
        cls,
        resolver: Resolver,
        *,
        level: HotspotLevel | str,
        since: Moment | None,
        until: Moment | None,
        path: str | None,
        limit: int | None,
        inactive_after_days: float,
        half_life_days: float | None,
        top_share: float,
    ) -> RiskQuery:
        """The query of a caller's arguments.

        Raises:
            InvalidQuery: a level other than ``file`` or ``module``, a malformed or naive
                date, an empty window, a limit below 1, a negative ``inactive_after_days``,
                a ``half_life_days`` not above 0, a ``top_share`` outside ``(0, 1]``.
            PathNotFound: no Python file at the indexed head is, or is under, ``path``.

        """
        window = HotspotQuery.from_arguments(
            resolver,
            level=level,
            by=HotspotScore.FIXES,
            since=since,
            until=until,
            path=path,
            limit=limit,
            incidents=True,
        )
        if window.level is HotspotLevel.FUNCTION:
            raise InvalidQuery(
                "level",
                level,
                "file or module (for one function, ask repo.function(name).experts())",
            )
        return cls(
            window=window,
            inactive_after_days=_number(
                inactive_after_days, "inactive_after_days", "days, at least 0", low=0.0
            ),
            half_life_days=None
            if half_life_days is None
            else _number(
                half_life_days, "half_life_days", "days above 0, or None", low=0.0, open_=True
            ),
            top_share=_share(top_share),
        )


def _number(
    value: object, argument: str, expected: str, *, low: float, open_: bool = False
) -> float:
    checked = number(value, argument, expected)
    if checked < low or (open_ and checked == low):
        raise InvalidQuery(argument, value, expected)
    return checked


def _share(value: object) -> float:
    share = _number(value, "top_share", "a share in (0, 1]", low=0.0, open_=True)
    if share > 1:
        raise InvalidQuery("top_share", value, "a share in (0, 1]")
    return share


def key_experts(experts: Sequence[Expert]) -> tuple[Expert, ...]:
    """The top of a ranking down to the first expert at which the shares reach :data:`KEY_SHARE`.

    People whose changes were all cosmetic hold no share and are never key experts.
    """
    key: list[Expert] = []
    held = 0.0
    for expert in experts:
        if expert.cosmetic_only or held >= KEY_SHARE - 1e-12:
            break
        key.append(expert)
        held += expert.share
    return tuple(key)


def knowledge_risks(git: GitRepository, store: Store, query: RiskQuery) -> Records[KnowledgeRisk]:
    """The knowledge risks a query asks for, most severe first.

    Then by linked incidents, fixes and changes (most first), then by name.
    """
    level = query.window.level
    # Exposure is ranked over the whole repository: --path picks rows, never changes them.
    counted = hotspots(git, store, attrs.evolve(query.window, path="", limit=None))
    cuts = _cuts([row for row in counted if row.changes > 0], query.top_share)
    wanted = _wanted(store, query.window.path, level)
    exposed: list[tuple[Hotspot, tuple[RiskExposure, ...]]] = []
    for row in counted:
        if row.name in wanted:
            exposure = _exposure(row, cuts)
            if exposure:
                exposed.append((row, exposure))
    if not exposed:
        return Records()
    knowledge = _Knowledge.read(store, level, [row.name for row, _ in exposed], query)
    risks = []
    for row, exposure in exposed:
        experts, factor = knowledge.of(row.name)
        risk = _risk(row, exposure, experts, factor, cuts, query.top_share)
        if risk is not None:
            risks.append(risk)
    risks.sort(key=lambda r: (r.severity.rank, -r.incidents, -r.fixes, -r.changes, r.name))
    limit = query.window.limit
    return Records(risks if limit is None else risks[:limit])


_MODEL_LEVEL = {
    HotspotLevel.FUNCTION: "function",
    HotspotLevel.FILE: "file",
    HotspotLevel.MODULE: "directory",
}
"""The level whose learned expertise weights rank the experts of each risk level."""


def _element(file: str, level: HotspotLevel) -> str:
    return file if level is HotspotLevel.FILE else (file.rpartition("/")[0] or ".")


def _wanted(store: Store, path: str, level: HotspotLevel) -> set[str]:
    """The elements a path asks for: files at or under it, or the modules holding them."""
    return {
        _element(file, level)
        for file, has_functions in store.head_files_under(path)
        if has_functions
    }


@attrs.frozen
class _Cuts:
    """The least changes that make code busy, and the least fixes that make it fix-prone."""

    changes: float
    fixes: float


def _cuts(population: list[Hotspot], top_share: float) -> _Cuts:
    if not population:
        return _Cuts(math.inf, math.inf)
    rank = math.ceil(top_share * len(population)) - 1
    changes = sorted((row.changes for row in population), reverse=True)[rank]
    fixes = sorted((row.fixes for row in population), reverse=True)[rank]
    return _Cuts(max(changes, MIN_BUSY_CHANGES), max(fixes, 1))


def _exposure(row: Hotspot, cuts: _Cuts) -> tuple[RiskExposure, ...]:
    found = []
    if row.changes >= cuts.changes:
        found.append(RiskExposure.BUSY)
    if row.fixes >= cuts.fixes:
        found.append(RiskExposure.FIX_PRONE)
    if row.incidents:
        found.append(RiskExposure.INCIDENTS)
    return tuple(found)


@attrs.frozen
class _Knowledge:
    """The experts and truck factors of the exposed elements, from one read of the index."""

    experts: dict[str, list[Expert]]
    factors: dict[str, TruckFactor]

    def of(self, name: str) -> tuple[list[Expert], TruckFactor]:
        return self.experts.get(name, []), self.factors[name]

    @classmethod
    def read(
        cls, store: Store, level: HotspotLevel, names: list[str], query: RiskQuery
    ) -> _Knowledge:
        import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

        from loopintel.analysis.knowledge import (  # noqa: PLC0415
            AuthorshipTable,
            TouchArrays,
            authorship_table,
            experts_by_element,
            greedy_truck_factor,
        )

        index = {name: i for i, name in enumerate(names)}
        rows = [
            row
            for row in store.ownership_rows("", cosmetic=True)
            if _element(row.file, level) in index
        ]
        people: dict[str, str] = {}
        for row in rows:
            people[row.email] = row.name  # oldest first: the latest name wins
        keys = sorted(people)
        author = {email: i for i, email in enumerate(keys)}
        head_time = store.head_time()
        last_seen = store.last_commit_times()
        active_since = head_time - query.inactive_after_days * DAY
        touches = _touches(rows, level, index, author)
        ranked = experts_by_element(
            TouchArrays(*(np.array(column) for column in touches)),
            elements=len(names),
            keys=keys,
            now=head_time,
            half_life_days=query.half_life_days,
            names=people,
            last_seen=last_seen,
            active_since=active_since,
            recent=store.commit_counts_since(head_time - RECENT_DAYS * DAY),
            weights=expertise_weights(store, _MODEL_LEVEL[level]),
        )
        # The truck factor: authorship of each file, undecayed, as repo.truck_factor().
        files = sorted(
            (
                (_element(file, level), file)
                for file, has_functions in store.head_files_under("")
                if has_functions and _element(file, level) in index
            ),
            key=lambda pair: (index[pair[0]], pair[1]),
        )
        paths = [file for _, file in files]
        by_file, emails, file_names = file_touches(store.ownership_columns(""), paths)
        kept = by_file.element >= 0  # the changes of files of the exposed elements
        table = authorship_table(
            by_file.element[kept],
            by_file.author[kept],
            by_file.timestamp[kept],
            by_file.introduced[kept],
            now=head_time,
        )
        owner = np.fromiter((index[element] for element, _ in files), np.int64, len(files))
        first_file = np.searchsorted(owner, np.arange(len(names) + 1))
        factors = {}
        for i, name in enumerate(names):
            low, high = int(first_file[i]), int(first_file[i + 1])
            # Entries come by file, and the files of an element are consecutive.
            entries = slice(*np.searchsorted(table.element, [low, high]).tolist())
            part = AuthorshipTable(
                element=table.element[entries] - low,
                author=table.author[entries],
                doa=table.doa[entries],
                first_author=table.first_author[entries],
                own_changes=table.own_changes[entries],
                others_changes=table.others_changes[entries],
                last_touch=table.last_touch[entries],
                first_touch=table.first_touch[entries],
            )
            factors[name] = truck_factor_value(
                name,
                paths[low:high],
                greedy_truck_factor(part, high - low),
                emails,
                file_names,
                last_seen=last_seen,
                active_since=active_since,
            )
        return cls({name: ranked[i] for i, name in enumerate(names)}, factors)


def _touches(
    rows: list[OwnershipRow],
    level: HotspotLevel,
    index: dict[str, int],
    author: dict[str, int],
) -> tuple[list[int], list[int], list[int], list[bool], list[bool], list[int]]:
    """Each element's touches as :func:`loopintel.ownership.path_experts` makes them.

    A commit counts once per element, in substance if it changed any of the element's
    files so; the first author introduced the oldest of its functions.
    """
    touches: dict[tuple[int, int], list[object]] = {}
    first: dict[int, int] = {}
    for row in rows:
        element = index[_element(row.file, level)]
        if element not in first and row.added and not row.cosmetic:
            first[element] = row.seq
        known = touches.get((element, row.seq))
        if known is None or (known[4] and not row.cosmetic):
            touches[element, row.seq] = [
                element,
                author[row.email],
                row.authored_at,
                first.get(element) == row.seq,
                row.cosmetic,
                row.seq,
            ]
    columns = list(zip(*touches.values(), strict=True)) if touches else [()] * 6
    return tuple(list(column) for column in columns)  # type: ignore[return-value]


def _risk(
    row: Hotspot,
    exposure: tuple[RiskExposure, ...],
    experts: list[Expert],
    factor: TruckFactor,
    cuts: _Cuts,
    top_share: float,
) -> KnowledgeRisk | None:
    key = key_experts(experts)
    kinds = []
    if key and not any(expert.active for expert in key):
        kinds.append(RiskKind.EXPERTS_INACTIVE)
    if factor.factor == 1:
        kinds.append(RiskKind.TRUCK_FACTOR_ONE)
    if not kinds:
        return None
    if RiskKind.EXPERTS_INACTIVE in kinds:
        severity = RiskSeverity.HIGH
    elif not factor.authors[0].active:
        severity = RiskSeverity.MEDIUM
    else:
        severity = RiskSeverity.LOW
    best_active = next((e for e in experts if e.active and not e.cosmetic_only), None)
    return KnowledgeRisk(
        level=row.level,
        name=row.name,
        kinds=tuple(kinds),
        severity=severity,
        exposure=exposure,
        changes=row.changes,
        fixes=row.fixes,
        incidents=row.incidents,
        fix_commits=row.fix_commits,
        authors=row.authors,
        experts=key,
        best_active=best_active,
        truck_factor=factor,
        reason=_reason(row, exposure, kinds, key, factor, best_active, cuts, top_share),
        since=row.since,
        until=row.until,
    )


def _reason(
    row: Hotspot,
    exposure: tuple[RiskExposure, ...],
    kinds: list[RiskKind],
    key: tuple[Expert, ...],
    factor: TruckFactor,
    best_active: Expert | None,
    cuts: _Cuts,
    top_share: float,
) -> str:
    top = f"top {top_share:.0%} of {row.level}s"
    why = []
    if RiskExposure.BUSY in exposure:
        why.append(
            f"busy: {_count(row.changes, 'change')} in the window ({top}: {cuts.changes:.0f}+)"
        )
    if RiskExposure.FIX_PRONE in exposure:
        why.append(f"fix-prone: {_count(row.fixes, 'fix', 'fixes')} ({top}: {cuts.fixes:.0f}+)")
    if RiskExposure.INCIDENTS in exposure:
        why.append(f"{_count(row.incidents, 'linked incident')}")
    said = ["; ".join(why).capitalize() + "."]
    if RiskKind.EXPERTS_INACTIVE in kinds:
        people = ", ".join(
            f"{e.name} {e.percent}"
            + ("" if e.last_commit is None else f", last commit {e.last_commit:%Y-%m-%d}")
            for e in key
        )
        said.append(f"Every key expert is inactive: {people}.")
    if RiskKind.TRUCK_FACTOR_ONE in kinds:
        (one,) = factor.authors
        said.append(
            f"Truck factor 1: {one.name} ({'active' if one.active else 'inactive'}) is the "
            f"author of {one.files} of {_count(factor.files, 'file')}."
        )
    if best_active is None:
        said.append("Nobody active has changed it.")
    else:
        said.append(f"Ask {best_active.name} ({best_active.percent}, active).")
    return " ".join(said)


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
