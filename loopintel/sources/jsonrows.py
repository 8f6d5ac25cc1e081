"""JSON exports read row by row, each row with the line its object starts at.

An export is one JSON document: a list of rows, an object holding that list under a
known key (``{"incidents": [...]}``, ``{"issues": [...]}``), or a single row. A
problem of a row names the line where the row's object starts, so :func:`rows` finds
those lines by walking the text with the standard decoder, element by element, after
the document has been checked whole.

The field readers here (:func:`text`, :func:`texts`, :func:`integer`) add a problem to
the row and give ``None`` for a value of the wrong type, as the field parsers of
:mod:`loopintel.sources.incidents` do.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import TYPE_CHECKING, Any, Protocol

from loopintel.sources.problems import Problems, brief, decode_text

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Notes", "Row", "integer", "load", "rows", "text", "texts"]

Row = tuple[Any, int]
"""A row's value and the line its value starts at."""


class Notes(Protocol):
    """Where a field reader notes a problem: a row's, or a nested object's in a row.

    :class:`~loopintel.sources.incidents.RowProblems` is one.
    """

    def add(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        """Note a problem of the field."""


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def load(data: bytes, problems: Problems) -> tuple[str, Any]:
    """A whole JSON document and its text.

    Raises:
        InvalidData: not UTF-8, or malformed JSON (with the line and column).

    """
    source = decode_text(data, problems)
    try:
        return source, json.loads(source)
    except json.JSONDecodeError as exc:
        raise problems.fatal(
            f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from exc


def _skip(text: str, at: int) -> int:
    found = _SPACE.match(text, at)
    assert found is not None  # the pattern matches the empty string
    return found.end()


def _elements(text: str, at: int) -> list[int]:
    """Where each element of the array at ``at`` starts."""
    at = _skip(text, at + 1)
    starts: list[int] = []
    if text[at] == "]":
        return starts
    while True:
        starts.append(at)
        _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == "]":
            return starts
        at = _skip(text, at + 1)


def _member(text: str, at: int, key: str) -> int | None:
    """Where the value of ``key`` in the object at ``at`` starts.

    Of repeated keys the last, as :func:`json.loads` keeps the last.
    """
    found = None
    at = _skip(text, at + 1)
    if text[at] == "}":
        return None
    while True:
        name, at = _DECODER.raw_decode(text, at)
        at = _skip(text, _skip(text, at) + 1)
        if name == key:
            found = at
        _, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text[at] == "}":
            return found
        at = _skip(text, at + 1)


def rows(text: str, document: Any, *, keys: tuple[str, ...] = ()) -> list[Row] | None:
    """The rows of a JSON document, each with its line.

    Args:
        text: the document's text, already known to be valid JSON.
        document: what :func:`json.loads` made of it.
        keys: the keys an object may hold its list of rows under, first found wins.

    Returns:
        The elements of a top-level list, or of the list under the first of ``keys``
        the object has; an object without such a list as the only row; ``None`` for a
        document that is neither list nor object.

    """
    newlines = [found.start() for found in re.finditer("\n", text)]

    def line(at: int) -> int:
        return bisect.bisect_left(newlines, at) + 1

    start = _skip(text, 0)
    if isinstance(document, list):
        return [
            (value, line(at)) for value, at in zip(document, _elements(text, start), strict=True)
        ]
    if not isinstance(document, dict):
        return None
    for key in keys:
        if isinstance(document.get(key), list):
            at = _member(text, start, key)
            assert at is not None
            values = document[key]
            return [(value, line(s)) for value, s in zip(values, _elements(text, at), strict=True)]
    return [(document, line(start))]


def text(record: Mapping[str, Any], key: str, row: Notes, *, required: bool = False) -> str | None:
    """A text field (``None`` when absent or null; a problem when of another type).

    A required field that is absent, null or blank is a problem; numbers are taken as
    their text (ids often come as numbers).
    """
    value = record.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if value is None or (required and isinstance(value, str) and not value.strip()):
        if required:
            row.add("missing (required)", field=key)
        return None
    if not isinstance(value, str):
        row.add(f"expected text, got {brief(value)}", field=key)
        return None
    return value


def texts(record: Mapping[str, Any], key: str, row: Notes) -> tuple[str, ...]:
    """A list-of-text field (empty when absent or null; a problem when not one)."""
    value = record.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        row.add(f"expected a list of texts, got {brief(value)}", field=key)
        return ()
    return tuple(value)


def integer(record: Mapping[str, Any], key: str, row: Notes) -> int | None:
    """An integer field (``None`` when absent or null; a problem when not one)."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        row.add(f"expected an integer, got {brief(value)}", field=key)
        return None
    return value
