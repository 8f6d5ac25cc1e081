"""The functions at the indexed head grouped into what a signal reports on.

An *element* is a function (followed through its lineage), a file, a module (a
directory: the functions of the files directly in it) or the whole repository. Hotspots
and trends map every function at the head to its element here, and work on element
indexes from then on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopintel.arguments import is_under

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from loopintel.analysis.hotspots import HeadCode
    from loopintel.store import ChangeColumns, Store

__all__ = ["FUNCTION", "REPOSITORY", "HeadSpan", "head_code", "head_spans"]

HeadSpan = tuple[str, str, str, int, int]
"""A function at the head: path, qualname, lineage, first and last line."""

FUNCTION, FILE, MODULE, REPOSITORY = "function", "file", "module", "repository"
"""The levels, by their value (``HotspotLevel`` and ``TrendLevel`` share them)."""


def head_spans(store: Store, path: str) -> list[HeadSpan]:
    """The functions at the head in or under ``path``, by path then position."""
    return [row for row in store.head_spans() if is_under(row[0], path)]


def head_code(
    store: Store, columns: ChangeColumns, spans: list[HeadSpan], level: str
) -> tuple[list[str], HeadCode]:
    """The elements of ``level`` the functions ``spans`` make: names and the mapping.

    Elements come sorted by name; a module is named by its directory (``.``: the
    repository root), the repository level has the one element ``.``.
    """
    import numpy as np  # noqa: PLC0415 - numpy loads on first use: opening stays quick

    from loopintel.analysis.hotspots import HeadCode  # noqa: PLC0415

    codes: dict[str, int] = store.per_head(
        "lineage_codes", lambda: {lineage: i for i, lineage in enumerate(columns.lineages)}
    )
    names, element = _elements(spans, level)
    count = len(spans)
    file_of = np.unique(np.array([row[0] for row in spans]), return_inverse=True)[1]
    start = np.fromiter((row[3] for row in spans), np.int64, count)
    end = np.fromiter((row[4] for row in spans), np.int64, count)
    return names, HeadCode(
        lineage=np.fromiter((codes.get(row[2], -1) for row in spans), np.int64, count),
        element=element,
        outermost=(
            np.ones(count, dtype=bool) if level == FUNCTION else _outermost(file_of, start, end)
        ),
        size=end - start + 1,
        elements=len(names),
    )


def _elements(spans: list[HeadSpan], level: str) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The names of the elements and the element index of each function."""
    import numpy as np  # noqa: PLC0415

    if level == FUNCTION:
        return [f"{row[0]}::{row[1]}" for row in spans], np.arange(len(spans), dtype=np.int64)
    if level == REPOSITORY:
        return ["."], np.zeros(len(spans), dtype=np.int64)
    keys = [row[0] if level == FILE else (row[0].rpartition("/")[0] or ".") for row in spans]
    names, element = np.unique(np.array(keys, dtype=object), return_inverse=True)
    return [str(name) for name in names], element.astype(np.int64)


def _outermost(
    file_of: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Whether each function lies inside no earlier one of its file.

    Functions come by file, then first line (an enclosing one first): a function is
    nested when it starts at or before the furthest end of the earlier ones of its file.
    """
    import numpy as np  # noqa: PLC0415

    if not start.size:
        return np.zeros(0, dtype=bool)
    stride = np.int64(int(end.max()) + 2)
    reach = np.maximum.accumulate(file_of * stride + end)
    before = np.concatenate(([np.int64(-1)], reach[:-1]))
    return np.asarray(file_of * stride + start > before)
