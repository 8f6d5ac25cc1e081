"""Labels to severity and type: how an issue tracker's labels say how bad and what it is.

GitHub issues (and Jira tickets, whose labels are free text) have no severity field;
teams say it with labels such as ``P1``, ``sev:2`` or ``critical``, and the kind of
problem with ``bug`` or ``regression``. A :class:`LabelMap` is the user's choice of which
label means what; :data:`DEFAULT_LABELS` is the one used when none is given. It is
applied after reading, to any source, and never overrides what the source itself said.
"""

from __future__ import annotations

import re
import tomllib
from typing import TYPE_CHECKING, Any

import attrs

from loopintel.errors import InvalidConfiguration

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from loopintel.model import Incident

__all__ = ["DEFAULT_LABELS", "LabelMap", "label_key", "labels_from_pyproject"]


def label_key(label: str) -> str:
    """A label as matched: without case, spaces, ``-``, ``_``, ``:`` or ``/``."""
    return re.sub(r"[\s_\-:/]+", "", label).lower()


def _keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {label_key(label): value for label, value in mapping.items()}


@attrs.frozen
class LabelMap:
    """Which labels give an incident its severity rank and its type."""

    severity: Mapping[str, int] = attrs.field(converter=_keys, factory=dict)
    """A label to a rank, 1 (most severe) to 5."""
    type: Mapping[str, str] = attrs.field(converter=_keys, factory=dict)
    """A label to a type (``bug``, ``regression``, ``incident``)."""

    def __attrs_post_init__(self) -> None:
        """Refuse ranks outside 1-5."""
        for label, rank in self.severity.items():
            if not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= 5:
                raise ValueError(f"label {label!r}: a severity rank is 1-5, got {rank!r}")

    def merged(self, other: LabelMap) -> LabelMap:
        """The map with ``other``'s entries added, ``other`` winning on a clash."""
        return LabelMap({**self.severity, **other.severity}, {**self.type, **other.type})

    def apply(self, incident: Incident) -> Incident:
        """The incident with severity and type from its labels, where the source gave none.

        The most severe of the matching labels wins; the first matching label in the
        incident's order gives the type. A tag ``name:value`` is matched whole
        (``severity:high``) and by its value (``high``).
        """
        if incident.severity_rank is not None and incident.type is not None:
            return incident
        ranks: list[tuple[int, str]] = []
        kind: str | None = None
        for tag in incident.tags:
            for key in _candidates(tag):
                if key in self.severity:
                    ranks.append((self.severity[key], tag))
                if kind is None and key in self.type:
                    kind = self.type[key]
        changes: dict[str, Any] = {}
        if incident.severity_rank is None and ranks:
            rank, label = min(ranks)
            changes["severity_rank"] = rank
            if incident.severity is None:
                changes["severity"] = label
        if incident.type is None and kind is not None:
            changes["type"] = kind
        return attrs.evolve(incident, **changes) if changes else incident

    def apply_all(self, incidents: Iterable[Incident]) -> list[Incident]:
        """:meth:`apply` to each."""
        return [self.apply(incident) for incident in incidents]


def _candidates(tag: str) -> tuple[str, ...]:
    whole = label_key(tag)
    if ":" in tag:
        return (whole, label_key(tag.split(":", 1)[1]))
    return (whole,)


DEFAULT_LABELS = LabelMap(
    severity={
        **{f"p{n}": n for n in range(1, 6)},
        **{f"sev{n}": n for n in range(1, 6)},
        **{f"severity{n}": n for n in range(1, 6)},
        **{f"priority{n}": n for n in range(1, 6)},
        "p0": 1,
        "sev0": 1,
        "blocker": 1,
        "critical": 1,
        "severitycritical": 1,
        "high": 2,
        "major": 2,
        "severityhigh": 2,
        "prioritycritical": 1,
        "priorityhigh": 2,
        "medium": 3,
        "severitymedium": 3,
        "prioritymedium": 3,
        "low": 4,
        "minor": 4,
        "severitylow": 4,
        "prioritylow": 4,
        "trivial": 5,
    },
    type={
        "regression": "regression",
        "typeregression": "regression",
        "bug": "bug",
        "typebug": "bug",
        "kindbug": "bug",
        "crash": "bug",
        "incident": "incident",
        "outage": "incident",
    },
)
"""The labels understood when no map is given: ``P1``-``P5`` (``P0`` is 1), ``sev1``-
``sev5``, ``critical``/``blocker`` 1, ``high``/``major`` 2, ``medium`` 3, ``low``/``minor``
4, ``trivial`` 5 (each also as ``severity:high``, ``priority: high``); ``regression``,
``bug`` (``type: bug``, ``kind/bug``, ``crash``), ``incident``/``outage`` as types. A
``regression`` label listed before ``bug`` makes the type ``regression``."""


def labels_from_pyproject(data: bytes, where: str = "pyproject.toml") -> LabelMap | None:
    """``[tool.loopintel.labels]`` of a ``pyproject.toml`` (``None`` when absent).

    The table has ``severity = {"sev-one" = 1, ...}`` and ``type = {"defect" = "bug"}``.

    Raises:
        InvalidConfiguration: the file is no TOML, or the table is malformed.

    """
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidConfiguration(where, f"not TOML: {exc}") from exc
    table = document.get("tool", {}).get("loopintel", {}).get("labels")
    if table is None:
        return None
    where = f"{where}: [tool.loopintel.labels]"
    if not isinstance(table, dict):
        raise InvalidConfiguration(where, "expected a table with severity and type")
    unknown = sorted(set(table) - {"severity", "type"})
    if unknown:
        raise InvalidConfiguration(where, f"unknown keys {unknown}; expected severity, type")
    severity = table.get("severity", {})
    kinds = table.get("type", {})
    if not isinstance(severity, dict):
        raise InvalidConfiguration(where, "severity: expected a table of label = rank")
    if not isinstance(kinds, dict) or not all(isinstance(v, str) for v in kinds.values()):
        raise InvalidConfiguration(where, "type: expected a table of label = type")
    try:
        return LabelMap(severity, kinds)
    except ValueError as exc:
        raise InvalidConfiguration(where, str(exc)) from exc
