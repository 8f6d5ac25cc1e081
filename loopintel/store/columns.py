"""The changes of the index as numpy columns, for analyses over a whole history.

Built with one query per indexed head and reused: hotspots, trends and coupling over
every change of a repository are numpy work over these arrays, not Python loops over
rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from loopintel.model import ChangeKind
from loopintel.store._tables import Tables

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["KINDS", "ChangeColumns", "ColumnTables"]

KINDS: tuple[ChangeKind, ...] = tuple(ChangeKind)
"""Kinds of change by their code in :attr:`ChangeColumns.kind`."""

NO_COMPLEXITY = -1
"""The code of an unknown complexity (a deleted function, or one radon could not read)."""


@attrs.frozen(eq=False)
class ChangeColumns:
    """Every function change of a scope, one array per field, in commit graph order.

    Codes index the tuples beside them: ``lineages[lineage[i]]`` is the lineage id of
    change ``i``, ``authors[author[i]]`` its author's email, ``paths[path[i]]`` its file.
    """

    lineages: tuple[str, ...]
    """Lineage ids, by code."""
    authors: tuple[str, ...]
    """Author emails (after ``.mailmap``), by code."""
    paths: tuple[str, ...]
    """Files (after the change; before it for a deletion), by code."""
    lineage: npt.NDArray[np.int32]
    """Lineage code of each change."""
    seq: npt.NDArray[np.int64]
    """The commit's place in the indexed history (commit graph order)."""
    authored_at: npt.NDArray[np.int64]
    """Author time, seconds since the epoch."""
    author: npt.NDArray[np.int32]
    """Author code."""
    path: npt.NDArray[np.int32]
    """File code."""
    kind: npt.NDArray[np.int8]
    """Index into :data:`KINDS`."""
    types: npt.NDArray[np.int32]
    """Change-type bits (:attr:`loopintel.ChangeType.bit`)."""
    lines_added: npt.NDArray[np.int32]
    lines_removed: npt.NDArray[np.int32]
    complexity: npt.NDArray[np.int32]
    """Cyclomatic complexity of the new version; :data:`NO_COMPLEXITY` when unknown."""

    def __len__(self) -> int:
        return int(self.seq.shape[0])

    def select(self, mask: npt.NDArray[np.bool_]) -> ChangeColumns:
        """The changes where ``mask`` is true (codes and their tuples unchanged)."""
        arrays = {
            field.name: getattr(self, field.name)[mask]
            for field in attrs.fields(ChangeColumns)
            if field.name not in ("lineages", "authors", "paths")
        }
        return ChangeColumns(
            lineages=self.lineages, authors=self.authors, paths=self.paths, **arrays
        )

    def under(self, path: str) -> npt.NDArray[np.bool_]:
        """A mask of the changes of files that are ``path`` or under it (``""``: all)."""
        import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

        if not path:
            return np.ones(len(self), dtype=bool)
        prefix = path.rstrip("/") + "/"
        inside = np.fromiter(
            (p == path or p.startswith(prefix) for p in self.paths),
            dtype=bool,
            count=len(self.paths),
        )
        return inside[self.path]


class ColumnTables(Tables):
    """The column-wise read path."""

    def columns(self) -> ChangeColumns:
        """Every change of the index as :class:`ChangeColumns` (built once per head)."""
        return self.per_head("columns", self._columns)  # type: ignore[no-any-return]

    def _columns(self) -> ChangeColumns:
        import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

        codes: dict[str, dict[str, int]] = {"lineage": {}, "author": {}, "path": {}}
        kind_code = {k.value: i for i, k in enumerate(KINDS)}
        rows = self.db.execute(
            "SELECT ch.lineage, c.seq, c.authored_at, c.author_email, ch.path, ch.kind, "
            "ch.types, ch.lines_added, ch.lines_removed, ch.complexity "
            "FROM changes ch JOIN commits c ON c.id = ch.commit_id ORDER BY c.seq, ch.rowid"
        ).fetchall()
        count = len(rows)

        def coded(column: int, name: str) -> npt.NDArray[np.int32]:
            table = codes[name]
            return np.fromiter(
                (table.setdefault(r[column], len(table)) for r in rows), np.int32, count
            )

        def plain(column: int, dtype: type[np.generic]) -> npt.NDArray[np.generic]:
            return np.fromiter((r[column] for r in rows), dtype, count)

        lineage = coded(0, "lineage")
        author = coded(3, "author")
        path = coded(4, "path")
        return ChangeColumns(
            lineages=tuple(codes["lineage"]),
            authors=tuple(codes["author"]),
            paths=tuple(codes["path"]),
            lineage=lineage,
            seq=plain(1, np.int64),  # type: ignore[arg-type]
            authored_at=plain(2, np.int64),  # type: ignore[arg-type]
            author=author,
            path=path,
            kind=np.fromiter((kind_code[r[5]] for r in rows), np.int8, count),
            types=plain(6, np.int32),  # type: ignore[arg-type]
            lines_added=plain(7, np.int32),  # type: ignore[arg-type]
            lines_removed=plain(8, np.int32),  # type: ignore[arg-type]
            complexity=np.fromiter(
                (NO_COMPLEXITY if r[9] is None else r[9] for r in rows), np.int32, count
            ),
        )
