"""What is wrong in a file from outside git, collected to be raised all at once.

A reader keeps reading past a bad row, adds a :class:`~loopintel.errors.Problem` for it
with its place, and raises every problem together at the end (:meth:`Problems.check`),
so one run tells the user everything to fix. What makes reading on pointless (not the
format at all, not UTF-8, malformed XML or JSON) stops at once (:meth:`Problems.fatal`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopintel.errors import Problem

if TYPE_CHECKING:
    from loopintel.errors import InvalidData

__all__ = ["MAX_PROBLEMS", "Problems", "brief", "decode_text"]

MAX_PROBLEMS = 1_000
"""Problems kept per file: a huge bad file is counted in full, not copied into its error."""

_BRIEF = 40


class Problems:
    """The problems found so far in one file, the first :data:`MAX_PROBLEMS` of them kept."""

    __slots__ = ("_kept", "cap", "error", "source", "total")

    def __init__(self, source: str, error: type[InvalidData], *, cap: int = MAX_PROBLEMS) -> None:
        """Start collecting.

        Args:
            source: the file read, as problems and the error name it.
            error: the :class:`~loopintel.errors.InvalidData` subclass to raise.
            cap: how many problems to keep (all are counted).

        """
        self.source = source
        self.error = error
        self.cap = cap
        self.total = 0
        self._kept: list[Problem] = []

    def add(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        column: int | None = None,
    ) -> None:
        """Note one problem and read on."""
        self.total += 1
        if len(self._kept) < self.cap:
            self._kept.append(
                Problem(file=self.source, line=line, field=field, message=message, column=column)
            )

    def fatal(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        column: int | None = None,
    ) -> InvalidData:
        """Note a problem that stops reading, for ``raise problems.fatal(...) from exc``.

        Returns:
            The error with every problem so far and this one, to raise now.

        """
        self.add(message, line=line, field=field, column=column)
        return self.as_error()

    def as_error(self) -> InvalidData:
        """The error of every problem so far, in the order of their lines."""
        # Some problems are only known later (an LCOV record left open is seen at the
        # end of the file): sorting puts each at its place. Problems without a line
        # (fields of a JSON report) keep the order they were found in, after the rest.
        kept = sorted(self._kept, key=lambda p: (p.line is None, p.line or 0))
        return self.error(self.source, tuple(kept), self.total)

    def check(self) -> None:
        """Raise every problem so far together, if there is any.

        Raises:
            InvalidData: of the class given, with every problem kept.

        """
        if self.total:
            raise self.as_error()


def decode_text(data: bytes, problems: Problems) -> str:
    """The file's bytes as text: UTF-8, with or without a byte order mark.

    Raises:
        InvalidData: not UTF-8 (fatal: nothing after the bad byte can be trusted), with
            the line and column of the first bad byte.

    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise problems.fatal(
            f"not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})",
            line=line,
            column=column,
        ) from exc


def brief(value: object) -> str:
    """A value as a problem quotes it: its repr, shortened when long."""
    text = repr(value)
    return text if len(text) <= _BRIEF else text[: _BRIEF - 3] + "..."
