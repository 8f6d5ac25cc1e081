"""JSON files of one or many values, with the line each value and each row starts at.

Exports written by a loop of API calls are several JSON documents in one file: pages
concatenated (``{...}{...}``, pretty-printed or not) or one per line (JSON lines). A
reader gets every top-level value with the line it starts at (:func:`read_values`), and
the lines where the elements of one of its arrays start (:func:`element_lines`), so that
a problem of a row names the line of that row's object.

A value that is not valid JSON is a problem at the line of the error; reading resumes
at the next line that starts a value (``{`` or ``[`` in the first column), which is
where the next page of such a loop begins. A file whose every value is malformed is
unreadable as a whole.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from loopintel.sources.problems import Problems

__all__ = ["JsonValue", "element_lines", "read_values"]

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\r\n]*")
_VALUE_START = re.compile(r"^[\[{]", re.MULTILINE)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|[^\s\[\]{},:"]+', re.DOTALL)


@attrs.frozen
class JsonValue:
    """One top-level JSON value of a file and where it is."""

    value: Any
    """The decoded value."""
    line: int
    """The line it starts at (from 1)."""
    start: int
    """Its offset in the text."""
    end: int
    """The offset just after it."""


class _Lines:
    """Offsets to line numbers, by the offsets where lines start."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _skip_space(text: str, position: int) -> int:
    found = _SPACE.match(text, position)
    return found.end() if found else position


def read_values(text: str, problems: Problems, *, what: str = "value") -> list[JsonValue]:
    """Every top-level JSON value of ``text``, in order, with the line it starts at.

    Args:
        text: the file's text.
        problems: where a malformed value is reported (at the line of the error).
        what: what a value is, for problems (``page``, ``event``).

    Raises:
        InvalidData: the kind's error, when no value at all could be read (the file is
            not JSON, or its only value is malformed).

    """
    lines = _Lines(text)
    values: list[JsonValue] = []
    malformed = 0
    position = _skip_space(text, 0)
    while position < len(text):
        try:
            value, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            malformed += 1
            start_line = lines.line(position)
            following = _VALUE_START.search(text, lines.starts[start_line - 1] + 1)
            line: int | None
            if following is not None and following.start() <= exc.pos:
                # The parser ran on into the next value: this one was cut off.
                line, column = lines.line(following.start() - 1), None
                span = f"at line {line}" if line == start_line else f"at lines {start_line}-{line}"
                message = f"malformed JSON: the {what} {span} is cut off (truncated?)"
            else:
                line = lines.line(exc.pos)
                column = exc.pos - lines.starts[line - 1] + 1
                message = f"malformed JSON: {exc.msg}"
                if line != start_line:
                    message += f", in the {what} that starts at line {start_line}"
            if not values and following is None:
                raise problems.fatal(message, line=line, column=column) from exc
            problems.add(f"{message}; its rows are left out", line=line, column=column)
            if following is None:
                break
            position = following.start()
            continue
        values.append(JsonValue(value, lines.line(position), position, end))
        position = _skip_space(text, end)
    if not values and not malformed:
        raise problems.fatal("empty: no JSON value")
    return values


def element_lines(text: str, value: JsonValue, key: str | None = None) -> list[int]:
    """The lines where the elements of an array in ``value`` start.

    Args:
        text: the text ``value`` was read from.
        value: a top-level value of it.
        key: the key of the array in ``value`` (an object); ``None`` when ``value`` is
            itself the array.

    Returns:
        One line per element, in order; empty when there is no such array.

    """
    if key is None and not isinstance(value.value, list):
        return []
    if key is not None and not isinstance(value.value, dict):
        return []
    starts: list[int] = []
    depth = 0
    target = 1 if key is None else 2
    inside = key is None  # within the array whose elements are wanted
    expect_element = False
    pending_key: str | None = None
    after_colon = False
    for match in _TOKEN.finditer(text, value.start, value.end):
        part = match.group()
        if inside and depth == target and expect_element and part not in ("]", ","):
            starts.append(match.start())
            expect_element = False
        if part in ("[", "{"):
            if key is not None and depth == 1 and part == "[" and after_colon:
                inside = pending_key == key
            depth += 1
            if inside and depth == target:
                expect_element = True
            after_colon = False
        elif part in ("]", "}"):
            depth -= 1
            if key is not None and depth == 1:
                inside = False
            after_colon = False
        elif part == ",":
            if inside and depth == target:
                expect_element = True
            after_colon = False
        elif part == ":":
            after_colon = True
        else:  # a string or another scalar
            if depth == 1 and not after_colon and part.startswith('"'):
                pending_key = json.loads(part)
            after_colon = False
    # Count newlines from the value's own line: no table of the whole file per call.
    out = []
    line, offset = value.line, value.start
    for start in starts:
        line += text.count("\n", offset, start)
        offset = start
        out.append(line)
    return out
