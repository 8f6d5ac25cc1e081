"""Deprecated code: marks in a function's own code, and deprecated names it uses."""

from __future__ import annotations

import enum
from typing import ClassVar

import attrs

from loopintel.model._serialize import Serializable, Shape
from loopintel.model.functions import FunctionRef  # noqa: TC001 - field types stay resolvable at run time

__all__ = ["DeprecatedName", "Deprecation", "DeprecationMark", "DeprecationMarkKind"]


@attrs.frozen
class DeprecatedName(Serializable):
    """A configured deprecated name that a function imports, calls or otherwise uses."""

    name: str
    """The dotted name as the function's imports resolve it (``myapp.legacy.helper``)."""
    line: int
    """Line of the use in the file."""
    prefix: str
    """The configured prefix it falls under (``myapp.legacy``)."""


class DeprecationMarkKind(enum.StrEnum):
    """What kind of sign in a function's code says it is deprecated."""

    DECORATOR = "decorator"
    """A decorator whose name ends in ``deprecated`` (``@deprecated``...)."""
    WARNING = "warning"
    """A ``warnings.warn`` with a deprecation category."""
    DOCSTRING = "docstring"
    """A ``.. deprecated::`` directive in the docstring."""


@attrs.frozen
class DeprecationMark(Serializable):
    """A sign in a function's own code that it is deprecated."""

    kind: DeprecationMarkKind
    """``decorator`` (``@deprecated``...), ``warning`` (``warnings.warn`` with a
    deprecation category) or ``docstring`` (a ``.. deprecated::`` directive)."""
    name: str
    """The decorator's dotted name, the warning's category, or ``deprecated``."""
    line: int
    """Line of the mark in the file."""
    message: str | None
    """The message, when the code spells it as a string literal."""
    conditional: bool
    """Whether the mark applies only on some calls: a warning inside an ``if``, a loop
    or an exception handler (a deprecated argument or name, not the whole function)."""


@attrs.frozen
class Deprecation(Serializable):
    """Whether a function is deprecated code: marked so, or using deprecated names.

    Read from the function's source (see ``docs/functions.md`` for which version).
    ``deprecated`` is ``None`` when that version cannot be parsed exactly: the answer
    is unknown, not "no". ``to_dict()`` writes ``ref`` as ``path`` and ``qualname``, and
    ``marked`` and ``message`` after ``deprecated``.
    """

    _shape: ClassVar[Shape] = Shape(
        flatten=("ref",), computed=("marked", "message"), after="deprecated"
    )

    ref: FunctionRef
    """The function as named in the version read."""
    commit: str | None
    """The commit whose version was read (``None`` if there is none to read)."""
    deprecated: bool | None
    """Marked deprecated (unconditionally), using a deprecated name, or defined inside a
    deprecated module; ``None``: unknown (see ``unknown_reason``)."""
    marks: tuple[DeprecationMark, ...]
    """Signs in its own code that it is deprecated, in line order."""
    touches: tuple[DeprecatedName, ...]
    """Deprecated names it imports or uses, in line order (one per name and line)."""
    within: str | None
    """The configured prefix that its own module falls under, if any."""
    prefixes: tuple[str, ...]
    """The deprecated module prefixes the answer was computed with."""
    unknown_reason: str | None
    """Why the answer is unknown (a syntax error, the file or function not found)."""

    @property
    def marked(self) -> bool:
        """Whether it is itself marked deprecated on every call."""
        return any(not m.conditional for m in self.marks)

    @property
    def message(self) -> str | None:
        """The first message of an unconditional mark, if the code spells one."""
        return next((m.message for m in self.marks if not m.conditional and m.message), None)
