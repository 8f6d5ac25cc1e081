"""The line arithmetic of SZZ: which lines a change really changed, and where lines were.

Pure functions over lines of text and zero-context hunks (as git reports them); the
walk over history that uses them is :mod:`loopintel.szz`.

A line's *content* is its text without whitespace and without a trailing comment. A
change that leaves a hunk's content as it was (re-indented, reflowed onto more or fewer
lines, comments edited) is *cosmetic*: its lines are followed through it, never blamed
on it. Within a hunk that did change, a line whose content reappears unchanged on the
other side (code re-indented under a new ``if``) is followed through as well.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from loopintel.languages.layout import Hunk

__all__ = [
    "Addition",
    "LineTrace",
    "changed_lines",
    "content",
    "follow",
]


def content(line: str) -> str:
    """A line's content: its text without whitespace and without a trailing comment.

    String quotes are written as double quotes (``'a'`` and ``"a"`` are the same
    content, as a formatter sees them). A ``#`` inside a string literal on the line is
    kept (quotes are tracked on the line; a string that continues from an earlier line
    is not known here, so such a line keeps its ``#``).
    """
    quote: str | None = None
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if quote is None:
            if char == "#":
                break
            if char in "'\"":
                triple = line[i : i + 3]
                quote = triple if triple in ("'''", '"""') else char
                out.append('"' * len(quote))
                i += len(quote)
                continue
            if not char.isspace():
                out.append(char)
        else:
            if char == "\\" and i + 1 < n:
                out.append(line[i : i + 2])
                i += 2
                continue
            if line.startswith(quote, i):
                out.append('"' * len(quote))
                i += len(quote)
                quote = None
                continue
            if not char.isspace():
                out.append(char)
        i += 1
    return "".join(out)


class Addition(NamedTuple):
    """Lines a change added where it deleted nothing of substance."""

    after: int
    """The old text's line after which they were added (0: at the top)."""
    lines: int
    """How many lines with content were added."""


class LineTrace(NamedTuple):
    """Where the tracked lines of a newer text were in an older one."""

    mapped: dict[int, int]
    """Each line (new numbering) that was already there: its old line number."""
    cosmetic: frozenset[int]
    """Of those, the lines the change touched only cosmetically."""
    written: frozenset[int]
    """Lines the change wrote (their content is new)."""


_TRAILING_COMMA = re.compile(r",(?=[)\]}])|,$")


def _flat(lines: Sequence[str]) -> str:
    """The content of some lines as one text.

    Commas before a closing bracket or at the end are left out (a formatter's "magic
    trailing comma").
    """
    return _TRAILING_COMMA.sub("", "".join(map(content, lines)))


def _cosmetic(old: Sequence[str], new: Sequence[str]) -> bool:
    return _flat(old) == _flat(new)


def _by_offset(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """Lines of a reflowed hunk to the old line holding the start of their content."""
    starts: list[int] = []
    total = 0
    for line in old:
        starts.append(total)
        total += len(content(line))
    out: dict[int, int] = {}
    offset = 0
    for index, line in enumerate(new):
        size = len(content(line))
        if size:
            out[index] = max(bisect.bisect_right(starts, offset) - 1, 0)
        offset += size
    return out


def _same_content(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """Lines of a changed hunk whose content is on the other side too, in order."""
    unused: dict[str, list[int]] = {}
    for index, line in enumerate(old):
        key = content(line)
        if key:
            unused.setdefault(key, []).append(index)
    out: dict[int, int] = {}
    for index, line in enumerate(new):
        found = unused.get(content(line))
        if found:
            out[index] = found.pop(0)
    return out


def _hunk_lines(lines: Sequence[str], start: int, count: int) -> list[str]:
    return list(lines[start - 1 : start - 1 + count]) if count else []


def follow(
    old: Sequence[str], new: Sequence[str], hunks: Sequence[Hunk], tracked: Iterable[int]
) -> LineTrace:
    """Where each tracked line of ``new`` was in ``old``, or that the change wrote it.

    Args:
        old: the older text's lines.
        new: the newer text's lines.
        hunks: the zero-context hunks from ``old`` to ``new``, in order.
        tracked: line numbers (1-based) of ``new``.

    Returns:
        The old line of each tracked line that was already there, which of those the
        change touched only cosmetically, and which lines it wrote.

    """
    mapped: dict[int, int] = {}
    cosmetic: set[int] = set()
    written: set[int] = set()
    wanted = sorted(set(tracked))
    position = 0
    delta = 0
    for hunk in hunks:
        first_in = hunk.new_start if hunk.new_lines else hunk.new_start + 1
        while position < len(wanted) and wanted[position] < first_in:
            mapped[wanted[position]] = wanted[position] + delta
            position += 1
        if hunk.new_lines:
            end = hunk.new_start + hunk.new_lines
            inside = []
            while position < len(wanted) and wanted[position] < end:
                inside.append(wanted[position])
                position += 1
            if inside:
                old_side = _hunk_lines(old, hunk.old_start, hunk.old_lines)
                new_side = _hunk_lines(new, hunk.new_start, hunk.new_lines)
                whole = _cosmetic(old_side, new_side) and bool(old_side)
                pairs = (
                    _by_offset(old_side, new_side) if whole else _same_content(old_side, new_side)
                )
                for line in inside:
                    index = line - hunk.new_start
                    if index in pairs:
                        mapped[line] = hunk.old_start + pairs[index]
                        if whole or old_side[pairs[index]] != new_side[index]:
                            cosmetic.add(line)
                    else:
                        written.add(line)
        delta += hunk.old_lines - hunk.new_lines
    for line in wanted[position:]:
        mapped[line] = line + delta
    return LineTrace(mapped, frozenset(cosmetic), frozenset(written))


def changed_lines(
    old: Sequence[str], new: Sequence[str], hunks: Sequence[Hunk]
) -> tuple[list[tuple[int, bool]], list[Addition]]:
    """The old text's lines a change deleted or changed for real, and its additions.

    Blank and comment-only lines are left out, and so are lines whose content the
    change kept (a cosmetic hunk's lines, a line re-indented under a new block).

    Returns:
        Each such old line with ``True`` when the change deleted it without putting
        anything in its place (``False``: replaced); and each place where the change
        added lines with content but deleted none.

    """
    lines: list[tuple[int, bool]] = []
    additions: list[Addition] = []
    for hunk in hunks:
        old_side = _hunk_lines(old, hunk.old_start, hunk.old_lines)
        new_side = _hunk_lines(new, hunk.new_start, hunk.new_lines)
        if old_side and _cosmetic(old_side, new_side):
            continue
        kept = set(_same_content(new_side, old_side))
        kept_new = set(_same_content(old_side, new_side))
        removed = [
            hunk.old_start + index
            for index, line in enumerate(old_side)
            if content(line) and index not in kept
        ]
        added = sum(1 for i, line in enumerate(new_side) if content(line) and i not in kept_new)
        replaced = any(content(line) for line in new_side)
        lines.extend((line, not replaced) for line in removed)
        if not removed and added > 0:
            after = hunk.old_start if hunk.old_lines == 0 else hunk.old_start - 1
            additions.append(Addition(after, added))
    return lines, additions
