"""Who changed the code of the head's files, as numpy columns (experts, truck factors).

One grouped query gives a row per (file at the head, commit) that changed a lineage of
one of the file's functions; the whole repository's is kept per indexed head, so the
experts and the truck factor of ``.`` and of every directory under it are numpy work
over the same arrays, not one row query per call.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import attrs

from loopintel.model import ChangeType
from loopintel.store._tables import Tables, under

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["OwnershipColumns", "OwnershipTables"]

_ADDED, _ADDED_ANY, _COSMETIC = 4, 2, 1
"""Bits of the flags the query packs into one integer per row."""

KEPT_PATHS = 8
"""How many directories' reads are kept per head besides the whole repository's."""


@attrs.frozen(eq=False)
class OwnershipColumns:
    """A row per (file at the head, commit) that changed the file's code, by commit.

    Rows come in commit graph order (``seq``), then by file; copies of an earlier
    commit (cherry-picks) are left out. Codes index the tuples beside them:
    ``files[file[i]]``, ``emails[author[i]]``, ``names[name[i]]``. Emails are coded in
    sorted order, so author codes order authors as their keys do.
    """

    files: tuple[str, ...]
    """Files at the head, by code (sorted)."""
    emails: tuple[str, ...]
    """Author emails (after ``.mailmap``), by code (sorted)."""
    names: tuple[str, ...]
    """Author names as the commits spell them, by code."""
    file: npt.NDArray[np.int32]
    seq: npt.NDArray[np.int64]
    """The commit's place in the indexed history."""
    author: npt.NDArray[np.int32]
    name: npt.NDArray[np.int32]
    authored_at: npt.NDArray[np.int64]
    added: npt.NDArray[np.bool_]
    """Whether one of the commit's non-cosmetic changes introduced a function of the file."""
    added_any: npt.NDArray[np.bool_]
    """Whether any of its changes (cosmetic ones included) introduced one."""
    cosmetic: npt.NDArray[np.bool_]
    """Whether the commit's changes to the file's code were all cosmetic."""

    def __len__(self) -> int:
        return int(self.seq.shape[0])

    def select(self, mask: npt.NDArray[np.bool_]) -> OwnershipColumns:
        """The rows where ``mask`` is true (codes and their tuples unchanged)."""
        arrays = {
            field.name: getattr(self, field.name)[mask]
            for field in attrs.fields(OwnershipColumns)
            if field.name not in ("files", "emails", "names")
        }
        return OwnershipColumns(files=self.files, emails=self.emails, names=self.names, **arrays)

    def under(self, path: str) -> npt.NDArray[np.bool_]:
        """A mask of the rows of files that are ``path`` or under it (``""``: all)."""
        import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

        if not path:
            return np.ones(len(self), dtype=bool)
        prefix = path.rstrip("/") + "/"
        inside = np.fromiter(
            (f == path or f.startswith(prefix) for f in self.files),
            dtype=bool,
            count=len(self.files),
        )
        return inside[self.file]


class OwnershipTables(Tables):
    """The ownership read path."""

    def ownership_columns(self, path: str) -> OwnershipColumns:
        """Who changed the code of the head's files in or under ``path`` (``""``: all).

        The whole repository's is read once per indexed head and kept; a directory's is
        taken from it when it is there, else read on its own (a small directory costs a
        small query) and kept among the last :data:`KEPT_PATHS` read.
        """
        if not path:
            return self.per_head("ownership", lambda: self._ownership_columns(""))  # type: ignore[no-any-return]
        cached = self._cache.get("ownership")
        if cached is not None and cached[0] == self.meta("head"):
            whole: OwnershipColumns = cached[1]
            return whole.select(whole.under(path))
        kept: OrderedDict[str, OwnershipColumns] = self.per_head("ownership_paths", OrderedDict)
        own = kept.pop(path, None)
        if own is None:
            own = self._ownership_columns(path)
        kept[path] = own
        while len(kept) > KEPT_PATHS:
            kept.popitem(last=False)
        return own

    def _ownership_columns(self, path: str) -> OwnershipColumns:
        import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

        where, params = under("h.path", path)
        bit = ChangeType.COSMETIC.bit
        # Grouping before the join with commits keeps the join to one row per group.
        rows = self.db.execute(
            "SELECT g.path, c.seq, c.author_email, c.author_name, c.authored_at, g.flags "
            "FROM (SELECT h.path AS path, ch.commit_id AS commit_id, "
            f"max(ch.kind = 'added' AND ch.types != ?) * {_ADDED} "
            f"+ max(ch.kind = 'added') * {_ADDED_ANY} + min(ch.types = ?) * {_COSMETIC} AS flags "
            "FROM head_functions h JOIN changes ch ON ch.lineage = h.lineage "
            f"WHERE {where} GROUP BY h.path, ch.commit_id) g "
            "JOIN commits c ON c.id = g.commit_id "
            "WHERE c.duplicate_of IS NULL ORDER BY c.seq, g.path",
            [bit, bit, *params],
        ).fetchall()
        count = len(rows)
        files = sorted({r[0] for r in rows})
        emails = sorted({r[2] for r in rows})
        file_code = {f: i for i, f in enumerate(files)}
        email_code = {e: i for i, e in enumerate(emails)}
        name_code: dict[str, int] = {}
        name = np.fromiter(
            (name_code.setdefault(r[3], len(name_code)) for r in rows), np.int32, count
        )
        flags = np.fromiter((r[5] for r in rows), np.int8, count)
        return OwnershipColumns(
            files=tuple(files),
            emails=tuple(emails),
            names=tuple(name_code),
            name=name,
            file=np.fromiter((file_code[r[0]] for r in rows), np.int32, count),
            seq=np.fromiter((r[1] for r in rows), np.int64, count),
            author=np.fromiter((email_code[r[2]] for r in rows), np.int32, count),
            authored_at=np.fromiter((r[4] for r in rows), np.int64, count),
            added=(flags & _ADDED) != 0,
            added_any=(flags & _ADDED_ANY) != 0,
            cosmetic=(flags & _COSMETIC) != 0,
        )
