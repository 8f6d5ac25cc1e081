"""The incident tables: imported incidents, and their links to functions with evidence.

Incidents are what users brought: a rebuild of the index keeps them (they are user
tables, changed only by migrations). An incident is keyed by ``source:id``; storing one
again replaces its record and its links, so an import of the same export twice changes
nothing and an updated export updates what changed.

Links are stored with the head they were computed at, per lineage, so the incidents of a
function are one indexed read, and a link survives renames and moves of the function.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loopintel.model import (
    Evidence,
    EvidenceKind,
    Frame,
    FunctionRef,
    Incident,
    IncidentLink,
    LinkKind,
)
from loopintel.model.incidents import CodeLink
from loopintel.store._tables import Tables

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["IncidentTables", "decode_incident", "encode_incident"]

_INCIDENT_TABLES = ("incidents", "incident_links")


def encode_incident(incident: Incident) -> str:
    """An incident as the JSON text stored (its raw payload is stored beside it)."""
    record = incident.to_dict()
    record.pop("raw", None)
    record.pop("key", None)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def decode_incident(text: str, raw: str | None) -> Incident:
    """The incident of :func:`encode_incident` text (and its raw payload)."""
    record: dict[str, Any] = json.loads(text)
    return Incident(
        source=record["source"],
        id=record["id"],
        title=record["title"],
        severity=record.get("severity"),
        severity_rank=record.get("severity_rank"),
        type=record.get("type"),
        status=record.get("status"),
        started_at=_time(record.get("started_at")),
        detected_at=_time(record.get("detected_at")),
        resolved_at=_time(record.get("resolved_at")),
        services=tuple(record.get("services", ())),
        environment=record.get("environment"),
        release=record.get("release"),
        links=tuple(
            IncidentLink(LinkKind(link["kind"]), link["target"]) for link in record.get("links", ())
        ),
        frames=tuple(Frame(**frame) for frame in record.get("frames", ())),
        touched_files=tuple(record.get("touched_files", ())),
        tags=tuple(record.get("tags", ())),
        url=record.get("url"),
        proxy=bool(record.get("proxy", False)),
        raw=raw,
    )


def _encode_evidence(evidence: Sequence[Evidence]) -> str:
    return json.dumps([e.to_dict() for e in evidence], separators=(",", ":"))


def _decode_evidence(text: str) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            kind=EvidenceKind(item["kind"]),
            confidence=item["confidence"],
            detail=item["detail"],
            commit=item.get("commit"),
            frame=item.get("frame"),
            path=item.get("path"),
        )
        for item in json.loads(text)
    )


def _timestamp(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class IncidentTables(Tables):
    """Incidents and their links: stored by imports, read by key, lineage and time."""

    _incident_tables: bool

    def _has_incident_tables(self) -> bool:
        # Only an index opened read-only before its migrations ran lacks them.
        if not self._incident_tables:
            row = self.db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
                _INCIDENT_TABLES,
            ).fetchone()
            self._incident_tables = int(row[0]) == len(_INCIDENT_TABLES)
        return self._incident_tables

    def incident_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these incident keys are stored."""
        wanted = list(keys)
        if not wanted or not self._has_incident_tables():
            return set()
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                row[0]
                for row in self.db.execute(
                    f"SELECT key FROM incidents WHERE key IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return found

    def put_incidents(self, incidents: Iterable[Incident], *, file: str, now: int) -> None:
        """Store incidents (inside the caller's transaction), replacing those of a key.

        The links of a replaced incident are dropped, to be stored anew.
        """
        for incident in incidents:
            self.db.execute("DELETE FROM incident_links WHERE incident = ?", (incident.key,))
            self.db.execute(
                "INSERT INTO incidents (key, source, id, title, proxy, started_at, record, raw, "
                "file, imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET title = excluded.title, "
                "proxy = excluded.proxy, started_at = excluded.started_at, "
                "record = excluded.record, raw = excluded.raw, file = excluded.file, "
                "updated_at = excluded.updated_at, linked_head = NULL",
                (
                    incident.key,
                    incident.source,
                    incident.id,
                    incident.title,
                    int(incident.proxy),
                    _timestamp(incident.started_at or incident.detected_at),
                    encode_incident(incident),
                    incident.raw,
                    file,
                    now,
                    now,
                ),
            )

    def put_links(self, incident: str, links: Iterable[CodeLink], *, head: str | None) -> None:
        """Store an incident's links (inside the caller's transaction), replacing its old ones."""
        self.db.execute("DELETE FROM incident_links WHERE incident = ?", (incident,))
        self.db.execute("UPDATE incidents SET linked_head = ? WHERE key = ?", (head, incident))
        self.db.executemany(
            "INSERT INTO incident_links (incident, lineage, path, qualname, confidence, "
            "evidence, head) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    incident,
                    link.lineage,
                    link.function.path,
                    link.function.qualname,
                    link.confidence,
                    _encode_evidence(link.evidence),
                    head,
                )
                for link in links
            ),
        )

    def delete_incident(self, key: str) -> bool:
        """Drop one incident and its links; returns whether it existed."""
        if not self._has_incident_tables():
            return False
        with self.transaction():
            self.db.execute("DELETE FROM incident_links WHERE incident = ?", (key,))
            cursor = self.db.execute("DELETE FROM incidents WHERE key = ?", (key,))
        return cursor.rowcount > 0

    def incidents(
        self,
        *,
        keys: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
        proxies: bool | None = False,
        since: int | None = None,
        until: int | None = None,
    ) -> list[Incident]:
        """Stored incidents, oldest start first (those without a time last).

        Args:
            keys: only these keys.
            ids: only these ids (of any source).
            proxies: ``False``: real incidents only; ``True``: proxies only; ``None``:
                both.
            since: only those started at or after this time (seconds since the epoch).
            until: only those started before this time.

        """
        if not self._has_incident_tables():
            return []
        clauses: list[str] = []
        params: list[Any] = []
        if keys is not None:
            clauses.append(f"key IN ({','.join('?' * len(keys))})")
            params += keys
        if ids is not None:
            clauses.append(f"id IN ({','.join('?' * len(ids))})")
            params += ids
        if proxies is not None:
            clauses.append("proxy = ?")
            params.append(int(proxies))
        if since is not None:
            clauses.append("started_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("started_at < ?")
            params.append(until)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.db.execute(
            f"SELECT record, raw FROM incidents{where} "
            "ORDER BY started_at IS NULL, started_at, key",
            params,
        )
        return [decode_incident(record, raw) for record, raw in rows]

    def links_of(self, incident: str) -> list[CodeLink]:
        """An incident's stored links, most confident first."""
        if not self._has_incident_tables():
            return []
        return self._links("WHERE l.incident = ?", [incident])

    def links_to(self, lineages: Sequence[str], *, proxies: bool | None = False) -> list[CodeLink]:
        """The stored links of incidents to any of these lineages, oldest incident first."""
        if not lineages or not self._has_incident_tables():
            return []
        where = f"WHERE l.lineage IN ({','.join('?' * len(lineages))})"
        params: list[Any] = list(lineages)
        if proxies is not None:
            where += " AND i.proxy = ?"
            params.append(int(proxies))
        return self._links(where, params, order="i.started_at IS NULL, i.started_at, l.incident")

    def all_links(self, *, proxies: bool | None = False) -> list[CodeLink]:
        """Every stored link (of real incidents, proxies, or both: ``None``)."""
        if not self._has_incident_tables():
            return []
        if proxies is None:
            return self._links("", [], order="l.incident, l.confidence DESC, l.rowid")
        return self._links(
            "WHERE i.proxy = ?", [int(proxies)], order="l.incident, l.confidence DESC, l.rowid"
        )

    def _links(
        self, where: str, params: list[Any], *, order: str = "l.confidence DESC, l.rowid"
    ) -> list[CodeLink]:
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        rows = cursor.execute(
            "SELECT l.incident AS incident, l.lineage AS lineage, l.path AS path, "
            "l.qualname AS qualname, l.confidence AS confidence, l.evidence AS evidence, "
            "l.head AS head FROM incident_links l JOIN incidents i ON i.key = l.incident "
            f"{where} ORDER BY {order}",
            params,
        )
        return [
            CodeLink(
                incident=row["incident"],
                function=FunctionRef(row["path"], row["qualname"]),
                lineage=row["lineage"],
                confidence=row["confidence"],
                evidence=_decode_evidence(row["evidence"]),
                head=row["head"],
            )
            for row in rows
        ]

    def incident_heads(self) -> dict[str, str | None]:
        """Each incident's key and the head its links were computed at.

        ``None``: not linked since it was stored.
        """
        if not self._has_incident_tables():
            return {}
        return dict(self.db.execute("SELECT key, linked_head FROM incidents").fetchall())
