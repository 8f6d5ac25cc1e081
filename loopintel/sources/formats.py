"""One registry of the outside formats loopintel reads, by kind of data.

Each :class:`Format` has a name, the :class:`Kind` of data it gives (coverage now;
incident exports next), a one-line description, a sniffer that recognises it from the
file's content and a reader. The registry serves detection by content
(:meth:`Registry.read`), the CLI's ``--format`` choices and the docs (a test checks
that they name every registered format), so a format is added in one place.

Reader modules register their formats when imported; :mod:`loopintel.sources` imports
every reader module, so the registry is complete whenever anything of it is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from loopintel.sources.problems import Problems

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from loopintel.errors import InvalidData

__all__ = ["REGISTRY", "Format", "Kind", "Registry"]

T = TypeVar("T")


@attrs.frozen
class Kind(Generic[T]):
    """A kind of outside data, such as coverage; its formats all read into one type."""

    name: str
    """``coverage``, ``incidents``."""
    error: type[InvalidData]
    """What its readers raise (:class:`~loopintel.CoverageDataError` for coverage)."""


@attrs.frozen
class Format(Generic[T]):
    """One file format loopintel reads."""

    name: str
    """What ``format=`` and ``--format`` call it, unique within its kind."""
    kind: Kind[T]
    """The kind of data it holds."""
    description: str
    """One line for people: what writes such files."""
    sniff: Callable[[bytes], bool]
    """Whether a file's bytes are of this format (it looks at as little as decides)."""
    read: Callable[[str, bytes], T]
    """Reads a file's bytes (and the file's name, for problems) into the kind's value;
    raises the kind's :attr:`Kind.error` with every problem found."""


class Registry:
    """The formats loopintel reads, in the order their sniffers are tried."""

    __slots__ = ("_formats",)

    def __init__(self) -> None:
        """An empty registry."""
        self._formats: list[Format[Any]] = []

    def register(self, format: Format[T]) -> Format[T]:  # noqa: A002
        """Add a format; its sniffer is tried after those registered before it.

        A format whose content is also matched by a more general one (a vendor's JSON
        export, and plain JSON) is registered first.

        Returns:
            The format.

        Raises:
            ValueError: a format of that kind already has that name.

        """
        if self.find(format.kind, format.name) is not None:
            raise ValueError(f"a {format.kind.name} format {format.name!r} is already registered")
        self._formats.append(format)
        return format

    def kinds(self) -> tuple[Kind[Any], ...]:
        """The kinds of data with a registered format, in order of registration."""
        return tuple(dict.fromkeys(f.kind for f in self._formats))

    def formats(self, kind: Kind[T]) -> tuple[Format[T], ...]:
        """The formats of one kind, in the order their sniffers are tried."""
        return tuple(cast("Format[T]", f) for f in self._formats if f.kind == kind)

    def names(self, kind: Kind[T]) -> tuple[str, ...]:
        """The names of the formats of one kind (the CLI's ``--format`` choices)."""
        return tuple(f.name for f in self.formats(kind))

    def find(self, kind: Kind[T], name: str) -> Format[T] | None:
        """The format of that kind and name, if registered."""
        return next((f for f in self.formats(kind) if f.name == name), None)

    def detect(self, kind: Kind[T], data: bytes) -> Format[T] | None:
        """The first format of that kind whose sniffer recognises the content."""
        return next((f for f in self.formats(kind) if f.sniff(data)), None)

    def read(
        self,
        kind: Kind[T],
        path: str | os.PathLike[str],
        *,
        format: str | None = None,  # noqa: A002
    ) -> T:
        """Read a file of some format of ``kind``.

        Args:
            kind: the kind of data expected.
            path: the file.
            format: the name of a format of that kind; recognised from the content
                when ``None``.

        Returns:
            What the format's reader makes of the file.

        Raises:
            InvalidData: the kind's error: the file cannot be read, the format is
                unknown or not recognised, or the reader found problems (all of them).

        """
        source = str(path)
        problems = Problems(source, kind.error)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise problems.fatal(exc.strerror or str(exc)) from exc
        if format is None:
            found = self.detect(kind, data)
            if found is None:
                raise problems.fatal(
                    f"not {kind.name} data of a known format ({', '.join(self.names(kind))})"
                )
        else:
            found = self.find(kind, format)
            if found is None:
                raise problems.fatal(
                    f"unknown {kind.name} format {format!r}; expected one of "
                    + ", ".join(self.names(kind))
                )
        return found.read(source, data)


REGISTRY = Registry()
"""Every format loopintel reads."""
