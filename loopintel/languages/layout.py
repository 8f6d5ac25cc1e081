"""Language-neutral shapes of a parsed file: statement layout, function spans, facts.

These are internal, hot-path values (``NamedTuple``: cheap to build and to pickle
across worker processes); the public values live in :mod:`loopintel.model`.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence


class NodeKind(enum.IntEnum):
    """What a layout node is."""

    DEF = 0
    CLASS = 1
    STMT = 2


class Node(NamedTuple):
    """A statement of a module or class body, with what it defines.

    ``children`` of a class are all its body statements; of a function or any other
    statement, only the functions and classes nested in it.
    """

    kind: NodeKind
    name: str
    start: int
    """First line, counting decorators (1-based)."""
    end: int
    """Last line of the last statement."""
    children: tuple[Node, ...]


class Layout(NamedTuple):
    """The statements of one file version."""

    nodes: tuple[Node, ...]
    tolerant: bool
    """Read by the tolerant parser (the exact one rejected the file)."""


class Span(NamedTuple):
    """Where one function lies in one file version."""

    qualname: str
    start: int
    end: int


def innermost(spans: Sequence[Span], line: int) -> Span | None:
    """The narrowest span holding ``line`` (the innermost function), if any."""
    around = [s for s in spans if s.start <= line <= s.end]
    return min(around, key=lambda s: s.end - s.start, default=None)


class Hunk(NamedTuple):
    """A zero-context diff hunk, as git reports it."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int


class ParseOutcome(NamedTuple):
    """A layout, or the reason there is none."""

    layout: Layout | None
    reason: str | None


class Facts(NamedTuple):
    """Digests of the parts of one function version, used to classify a change."""

    name: str
    signature: bytes
    decorators: bytes
    docstring: bytes
    body: bytes
    complexity: int | None
    tolerant: bool = False
    """Digested by the tolerant reader: comparable only with tolerant digests."""
