"""Line coverage per function: which measured lines belong to which function.

A line belongs to the innermost function whose *body* holds it. The ``def`` line, the
decorators and the rest of the signature run when the definition is executed (at
import, or when the enclosing function runs), so they belong to the enclosing scope,
not to the function: importing a module does not make its functions covered. A nested
function's own lines count for it, not for the function around it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

__all__ = ["Body", "Measured", "per_function"]


class Body(NamedTuple):
    """Where a function's body lies in the measured version of its file."""

    start: int
    """First line of the definition (first decorator)."""
    end: int
    """Last line."""
    body_start: int
    """First line that runs only when the function is called."""


class Measured(NamedTuple):
    """One function's line coverage."""

    covered: int
    """Coverable lines of its body that ran."""
    coverable: int
    """Lines of its body that could run."""
    missing: tuple[int, ...]
    """Coverable lines that did not run."""
    tests: frozenset[str] | None
    """Tests that ran any line of its body; ``None`` without per-test data."""


def per_function(
    bodies: Sequence[Body],
    executed: Collection[int],
    coverable: Collection[int],
    contexts: Mapping[int, frozenset[str]] | None = None,
) -> list[Measured]:
    """Measure each function of one file version.

    Args:
        bodies: the file's functions in source order (an enclosing function before
            the ones nested in it).
        executed: lines that ran.
        coverable: lines that could run.
        contexts: per line, the tests that ran it (``None``: no per-test data).

    Returns:
        One :class:`Measured` per body, in the same order.

    """
    size = max((b.end for b in bodies), default=0) + 1
    owner = np.full(size, -1, dtype=np.int64)
    for i, body in enumerate(bodies):
        # Source order: a nested function's body overwrites its encloser's share.
        owner[body.body_start : body.end + 1] = i
    lines = np.fromiter((n for n in coverable if 0 < n < size), dtype=np.int64)
    ran = np.isin(lines, np.fromiter(executed, dtype=np.int64, count=len(executed)))
    who = owner[lines]
    keep = who >= 0
    lines, ran, who = lines[keep], ran[keep], who[keep]
    total = np.bincount(who, minlength=len(bodies))
    hit = np.bincount(who[ran], minlength=len(bodies))
    order = np.lexsort((lines, who))
    missing: list[list[int]] = [[] for _ in bodies]
    for line, function, done in zip(lines[order], who[order], ran[order], strict=True):
        if not done:
            missing[function].append(int(line))
    tests: list[set[str]] = [set() for _ in bodies]
    if contexts is not None:
        for line, function, done in zip(lines, who, ran, strict=True):
            if done:
                tests[function].update(contexts.get(int(line), ()))
    return [
        Measured(
            covered=int(hit[i]),
            coverable=int(total[i]),
            missing=tuple(missing[i]),
            tests=frozenset(tests[i]) if contexts is not None else None,
        )
        for i in range(len(bodies))
    ]
