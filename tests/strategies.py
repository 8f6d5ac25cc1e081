"""Shared helpers and Hypothesis strategies for the language-layer tests."""

from __future__ import annotations

import difflib
import textwrap

from hypothesis import strategies as st

from loopintel.languages import python
from loopintel.languages.layout import Hunk


def src(text: str) -> str:
    """Dedented source; a leading newline after the opening quotes is dropped."""
    return textwrap.dedent(text).removeprefix("\n")


def git_hunks(old: list[str], new: list[str]) -> list[Hunk]:
    """Zero-context hunks as git reports them, from difflib's opcodes."""
    out = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            out.append(Hunk(i1 + 1 if i2 > i1 else i1, i2 - i1, j1 + 1 if j2 > j1 else j1, j2 - j1))
    return out


def _with_body(lines: list[str]) -> list[str]:
    if all(not line.strip() or line.lstrip().startswith("#") for line in lines):
        return [*lines, "pass"]
    return lines


@st.composite
def edits(draw: st.DrawFn, lines: list[str], pool: list[str]) -> list[str]:
    """Up to three insertions, deletions or replacements of line ranges."""
    pool = pool + [line for line in lines if line.strip()]
    new = list(lines)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(new)))
        removed = draw(st.integers(0, min(3, len(new) - at)))
        inserted = draw(st.lists(st.sampled_from(pool), max_size=3))
        if not removed and not inserted:
            removed = min(1, len(new) - at)
        new[at : at + removed] = inserted
    return new


DIGESTS = ("name", "signature", "decorators", "docstring", "body")


def changed(before: str, after: str) -> set[str]:
    """The name and digests that differ between two versions of a function."""
    old, new = python.facts(before), python.facts(after)
    return {field for field in DIGESTS if getattr(old, field) != getattr(new, field)}
