"""Pure parts of resolving stack frames: printed paths, printed names, release strings.

Nothing here reads git or the index. A printed file becomes path components
(:func:`printed_parts`), which map to repository paths by the longest suffix of whole
components (:class:`PathIndex`); a printed function name is compared with a qualified
name (:func:`name_matches`); a release string is matched to tag names
(:func:`release_tags`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "ANONYMOUS",
    "PathIndex",
    "PathMatch",
    "code_matches",
    "is_release_tag",
    "module_parts",
    "name_matches",
    "printed_parts",
    "release_tags",
    "version_of_tag",
]

_DRIVE = re.compile(r"^[A-Za-z]:")
_INSTALLED = frozenset({"site-packages", "dist-packages"})
_LEAST = 2
"""Components a suffix match needs unless it covers a whole path."""
_VERSION = re.compile(r"^v?(?P<version>\d+(?:\.\d+)*(?:[-.+]?[0-9A-Za-z.+-]*)?)$")
_TAG_VERSION = re.compile(r"^(?:.*?[-_/@])?v?(?P<version>\d+(?:\.\d+)*(?:[-.+]?[0-9A-Za-z.+-]*)?)$")

_RELEASE = re.compile(
    r"^\d+(?:\.\d+)*(?:[-.]?(?:a|b|c|rc|alpha|beta|pre|preview)\.?\d*)?"
    r"(?:[-.]?post\.?\d*)?(?:[-.]?dev\.?\d*)?$",
    re.IGNORECASE,
)

ANONYMOUS = frozenset({"<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"})
"""Printed names of code without a ``def`` of its own: it runs inside the function
that holds its line."""


def printed_parts(file: str) -> tuple[str, ...]:
    """The path components of a file as a stack printed it, ready for suffix matching.

    Backslashes become slashes, a drive letter, ``.`` and empty components go; a path
    through an installed package keeps only what follows its last ``site-packages`` or
    ``dist-packages``. Pseudo-files (``<frozen ...>``, ``<string>``, ``<stdin>``) have
    no components.

    >>> printed_parts("C:/app/.venv/Lib/site-packages/flask/app.py")
    ('flask', 'app.py')
    """
    text = file.strip()
    if not text or (text.startswith("<") and text.endswith(">")):
        return ()
    text = _DRIVE.sub("", text.replace("\\", "/"))
    parts = [p for p in text.split("/") if p not in ("", ".")]
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in _INSTALLED:
            parts = parts[i + 1 :]
            break
    return tuple(parts)


def module_parts(module: str) -> tuple[tuple[str, ...], ...]:
    """The files a dotted module name may be: ``a.b`` is ``a/b.py`` or ``a/b/__init__.py``."""
    names = [p for p in module.strip().split(".") if p]
    if not names or not all(n.isidentifier() for n in names):
        return ()
    return (
        (*names[:-1], names[-1] + ".py"),
        (*names, "__init__.py"),
    )


class PathMatch(NamedTuple):
    """The repository paths a printed file matches best, and by how many components."""

    paths: tuple[str, ...]
    """One path, or several that match equally well (ambiguous); none: no match."""
    length: int
    """How many trailing components matched."""


class PathIndex:
    """Repository paths indexed by file name, for longest-suffix matching."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._by_name: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for path in dict.fromkeys(paths):
            parts = tuple(path.split("/"))
            self._by_name.setdefault(parts[-1], []).append((path, parts))

    def matches(self, parts: Sequence[str], *, whole: bool = False) -> list[tuple[str, int]]:
        """Every path whose components end like ``parts`` do, with how many matched.

        A match must be believable: it covers the whole repository path (the
        repository deployed under some directory), or the whole printed path (an
        installed package, a relative path), or at least two components. So
        ``/usr/lib/python3.11/logging/__init__.py`` does not match
        ``src/pkg/__init__.py``. With ``whole``, only matches of all of ``parts``
        count (a module name turned into a path).
        """
        if not parts:
            return []
        out = []
        for path, candidate in self._by_name.get(parts[-1], ()):
            length = _common_tail(parts, candidate)
            if whole and length < len(parts):
                continue
            if length < _LEAST and length not in (len(candidate), len(parts)):
                continue
            out.append((path, length))
        return out

    def match(self, parts: Sequence[str], *, whole: bool = False) -> PathMatch:
        """The paths that match ``parts`` by the longest suffix (see :meth:`matches`).

        Several paths: the match is ambiguous. None: the file is not the repository's.
        """
        found = self.matches(parts, whole=whole)
        if not found:
            return PathMatch((), 0)
        longest = max(length for _, length in found)
        return PathMatch(tuple(sorted(p for p, n in found if n == longest)), longest)


def _common_tail(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _plain_parts(qualname: str) -> list[str]:
    """``A.f.<locals>.g#2`` -> ``["A", "f", "g"]``: parts as people print them."""
    return [p.split("#", 1)[0] for p in qualname.split(".") if p and p != "<locals>"]


def name_matches(printed: str, qualname: str) -> bool:
    """Whether a printed function name names the function ``qualname``.

    The printed name is the last part (``wsgi_app``, as tracebacks print it) or a
    dotted tail (``Flask.wsgi_app`` of Python 3.11+'s qualified names and of Sentry;
    ``<locals>`` optional). Disambiguation suffixes (``#2``, ``#setter``) are ignored.
    """
    want = _plain_parts(printed)
    have = _plain_parts(qualname)
    return bool(want) and len(want) <= len(have) and have[-len(want) :] == want


def code_matches(printed: str, line: str) -> bool:
    """Whether a source line printed under a frame is that line of the file.

    Whitespace runs count as one space; a printed statement of several lines counts
    by its first.
    """
    first = printed.strip().split("\n", 1)[0]
    return " ".join(first.split()) == " ".join(line.split())


def version_of_tag(tag: str) -> str | None:
    """The version a tag name carries: ``v1.2.3``, ``release-1.2.3``, ``pkg-1.2.3`` -> ``1.2.3``."""
    found = _TAG_VERSION.match(tag)
    return found["version"] if found else None


def is_release_tag(tag: str) -> bool:
    """Whether a tag names a release (``1.2.3``, ``v2.0rc1``, ``pkg-1.2.3.post1``).

    Not ``2.0.x`` (a maintenance line) nor ``nightly``.
    """
    version = version_of_tag(tag)
    return version is not None and _RELEASE.match(version) is not None


def release_tags(release: str, tags: Sequence[str]) -> tuple[str, ...]:
    """The tags a release string names, best first.

    The tag of that exact name; else the tags carrying the same version
    (:func:`version_of_tag`), where the release is a version (``1.2.3``, ``v1.2.3``)
    or ``name@version`` / ``name-version`` as Sentry's and packagers' releases are
    spelt. Among those, ``version``, then ``vversion``, then the others by name.
    """
    text = release.strip()
    if text in tags:
        return (text,)
    version = None
    found = _VERSION.match(text)
    if found:
        version = found["version"]
    elif "@" in text:
        version = version_of_tag(text.rsplit("@", 1)[1])
    else:
        version = version_of_tag(text)
    if version is None:
        return ()
    matching = [t for t in tags if version_of_tag(t) == version]

    def rank(tag: str) -> tuple[int, str]:
        if tag == version:
            return (0, tag)
        if tag == "v" + version:
            return (1, tag)
        return (2, tag)

    return tuple(sorted(matching, key=rank))
