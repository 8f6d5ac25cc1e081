"""Pure attribution: which functions a file diff changed, how, and what moved where.

Input is plain values (lines, spans, hunks); no git here. A function version is
compared by its source segment (first decorator to last line): the function changed
exactly when its segment text changed. Change types come from digests of the parts
of both versions (:func:`loopintel.languages.python.facts`).
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from typing import TYPE_CHECKING, NamedTuple

from loopintel.languages import tolerant
from loopintel.languages.python import segment
from loopintel.model import ChangeKind, ChangeType

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from loopintel.languages.layout import Facts, Hunk, Span

    FactsOf = Callable[["Version", Span, str], Facts]
    """Facts of one function version: its file version, its span and its text."""

__all__ = [
    "Candidate",
    "RawChange",
    "Version",
    "attribute_file",
    "match_moves",
]

RENAME_SIMILARITY = 0.5
"""Least body similarity for a deleted and an added function of one file to be one
function renamed."""
MOVE_SIMILARITY = 0.75
"""Least body similarity for a function deleted in one file and added in another in
the same commit to be one function moved."""
SHORT_BODY = 3
"""Bodies with fewer normalized lines match only when identical, and either
same-named or the only such pair in one file and class."""
MAX_FUZZY_PAIRS = 40_000
"""Above this many deleted x added pairs in one commit, only identical bodies match."""


class Version(NamedTuple):
    """One file version, ready for attribution."""

    path: str
    blob: str
    """The version's git blob id."""
    lines: list[str]
    spans: dict[str, Span]
    """Functions by qualified name."""


class RawChange(NamedTuple):
    """A function change before lineage is assigned."""

    path: str
    qualname: str
    old_path: str | None
    old_qualname: str | None
    kind: ChangeKind
    types: int
    lines_added: int
    lines_removed: int
    complexity: int | None
    start: int
    end: int


class Candidate(NamedTuple):
    """A function that appeared or disappeared in a commit, before move matching."""

    version: Version
    span: Span
    lines: int
    """Lines added (for an appearance) or removed (for a disappearance) in its span."""


class _Ranges:
    """Sorted, disjoint line ranges of one side of a diff."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.firsts = [r[0] for r in ranges]
        self.ranges = ranges

    def touches(self, start: int, end: int) -> bool:
        i = bisect_right(self.firsts, end) - 1
        return i >= 0 and self.ranges[i][1] >= start

    def overlap(self, start: int, end: int) -> int:
        total = 0
        i = bisect_right(self.firsts, end) - 1
        while i >= 0:
            first, last = self.ranges[i]
            if last < start:
                break
            total += max(0, min(last, end) - max(first, start) + 1)
            i -= 1
        return total


def _sides(hunks: Sequence[Hunk]) -> tuple[_Ranges, _Ranges]:
    old: list[tuple[int, int]] = []
    new: list[tuple[int, int]] = []
    for h in hunks:
        # A pure insertion touches the gap after old_start: a span strictly around it.
        old.append(
            (h.old_start, h.old_start + h.old_lines - 1)
            if h.old_lines
            else (h.old_start + 1, h.old_start)
        )
        new.append(
            (h.new_start, h.new_start + h.new_lines - 1)
            if h.new_lines
            else (h.new_start + 1, h.new_start)
        )
    old.sort()
    new.sort()
    return _Ranges(old), _Ranges(new)


def change_types(old: Facts, new: Facts, old_text: str = "", new_text: str = "") -> int:
    """The change-type flags between two versions of one function (same name or not).

    Versions digested by different readers (a Python 2 era version and its port) are
    compared as the tolerant reader sees both.
    """
    if old.tolerant != new.tolerant and old_text and new_text:
        old, new = tolerant.facts(old_text), tolerant.facts(new_text)
    bits = 0
    if old.signature != new.signature:
        bits |= ChangeType.SIGNATURE.bit
    if old.decorators != new.decorators:
        bits |= ChangeType.DECORATOR.bit
    if old.docstring != new.docstring:
        bits |= ChangeType.DOCSTRING.bit
    if old.body != new.body:
        bits |= ChangeType.BODY.bit
    return bits


def attribute_file(
    old: Version | None,
    new: Version | None,
    hunks: Sequence[Hunk] | None,
    facts: FactsOf,
) -> tuple[list[RawChange], list[Candidate], list[Candidate]]:
    """Compare two versions of a file.

    Args:
        old: the version before (``None``: the file was added).
        new: the version after (``None``: the file was deleted).
        hunks: zero-context hunks between them; ``None`` when one side is absent.
        facts: digests of a function version (cached by the caller).

    Returns:
        Changes of functions present on both sides, then functions that disappeared
        and functions that appeared (to be paired across the commit by
        :func:`match_moves`).

    """
    deleted: list[Candidate] = []
    added: list[Candidate] = []
    changes: list[RawChange] = []
    if old is None or new is None:
        if old is not None:
            deleted.extend(Candidate(old, s, s.end - s.start + 1) for s in old.spans.values())
        if new is not None:
            added.extend(Candidate(new, s, s.end - s.start + 1) for s in new.spans.values())
        return changes, deleted, added
    old_ranges, new_ranges = _sides(hunks or ())
    renamed_file = old.path != new.path
    names: set[str] = set(old.spans.keys() ^ new.spans.keys())
    if renamed_file:
        names.update(old.spans)
    else:
        names.update(q for q, s in old.spans.items() if old_ranges.touches(s.start, s.end))
        names.update(q for q, s in new.spans.items() if new_ranges.touches(s.start, s.end))
        names.update(_duplicates(old.spans, new.spans))
    for qualname in sorted(names):
        before = old.spans.get(qualname)
        after = new.spans.get(qualname)
        if after is None:
            assert before is not None
            deleted.append(Candidate(old, before, old_ranges.overlap(before.start, before.end)))
            continue
        if before is None:
            added.append(Candidate(new, after, new_ranges.overlap(after.start, after.end)))
            continue
        old_text = segment(old.lines, before)
        new_text = segment(new.lines, after)
        if old_text == new_text and not renamed_file:
            continue
        bits = ChangeType.FILE_RENAME.bit if renamed_file else 0
        complexity = None
        if old_text != new_text:
            new_facts = facts(new, after, new_text)
            complexity = new_facts.complexity
            old_facts = facts(old, before, old_text)
            bits |= (
                change_types(old_facts, new_facts, old_text, new_text) or ChangeType.COSMETIC.bit
            )
        else:
            complexity = facts(new, after, new_text).complexity
        changes.append(
            RawChange(
                new.path,
                qualname,
                old.path,
                qualname,
                ChangeKind.MOVED if renamed_file else ChangeKind.MODIFIED,
                bits,
                new_ranges.overlap(after.start, after.end),
                old_ranges.overlap(before.start, before.end),
                complexity,
                after.start,
                after.end,
            )
        )
    return changes, deleted, added


_SUFFIX = re.compile(r"#\d+")


def _duplicates(*spans: dict[str, Span]) -> set[str]:
    """Names that are (or enclose) a repeated definition.

    Their ``#N`` suffixes follow source order, so an edit anywhere in the file can
    shift which version bears which name: they are always compared.
    """
    repeated = {_SUFFIX.sub("", q) for side in spans for q in side if "#" in q}
    if not repeated:
        return set()
    return {q for side in spans for q in side if _SUFFIX.sub("", q) in repeated or "#" in q}


def _normalized(text: str) -> list[str]:
    out = []
    header_seen = False
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "@")):
            continue
        if not header_seen and stripped.startswith(("def ", "async def ")):
            header_seen = True
            continue
        out.append(stripped)
    return out


def _qualifier(qualname: str) -> str:
    return qualname.rpartition(".")[0]


def _short_name(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1].split("#", 1)[0]


def _line_delta(old: list[str], new: list[str]) -> tuple[int, int]:
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def match_moves(
    deleted: Sequence[Candidate],
    added: Sequence[Candidate],
    facts: FactsOf,
    renamed_files: dict[str, str],
) -> list[RawChange]:
    """Pair functions that disappeared with functions that appeared in one commit.

    A pair is one function renamed (same file) or moved (another file) when their
    bodies are similar enough (:data:`RENAME_SIMILARITY`, :data:`MOVE_SIMILARITY`),
    best pairs first. An extracted helper never pairs with the function it came
    from: only a function that disappeared can be the origin. Unpaired functions are
    recorded as added or deleted.

    Args:
        deleted: functions that disappeared.
        added: functions that appeared.
        facts: digests of a function version.
        renamed_files: new path to old path for files git found renamed.

    """
    old_texts = [segment(c.version.lines, c.span) for c in deleted]
    new_texts = [segment(c.version.lines, c.span) for c in added]
    pairs: list[tuple[float, int, int]] = []
    if deleted and added:
        old_norm = [_normalized(t) for t in old_texts]
        new_norm = [_normalized(t) for t in new_texts]
        fuzzy = len(deleted) * len(added) <= MAX_FUZZY_PAIRS
        exact: dict[tuple[str, ...], list[int]] = {}
        for j, lines in enumerate(new_norm):
            exact.setdefault(tuple(lines), []).append(j)
        matchers: dict[int, difflib.SequenceMatcher[str]] = {}
        origins: dict[tuple[str, ...], int] = {}
        for lines in old_norm:
            origins[tuple(lines)] = origins.get(tuple(lines), 0) + 1
        for i, d in enumerate(deleted):
            d_short = _short_name(d.span.qualname)
            same_body = set(exact.get(tuple(old_norm[i]), ()))
            for j in range(len(added)) if fuzzy else sorted(same_body):
                a = added[j]
                same_file = (
                    a.version.path == d.version.path
                    or renamed_files.get(a.version.path) == d.version.path
                )
                same_name = _short_name(a.span.qualname) == d_short
                short = min(len(old_norm[i]), len(new_norm[j])) < SHORT_BODY
                if j in same_body:
                    score = 1.0
                elif fuzzy and not short:
                    threshold = RENAME_SIMILARITY if same_file else MOVE_SIMILARITY
                    # real_quick_ratio, before any matcher is built: lengths alone.
                    la, lb = len(old_norm[i]), len(new_norm[j])
                    if 2.0 * min(la, lb) / (la + lb) < threshold:
                        continue
                    matcher = matchers.get(j)
                    if matcher is None:
                        # Indexing the second sequence is the costly part: once per j.
                        matcher = difflib.SequenceMatcher(None, (), new_norm[j], autojunk=False)
                        matchers[j] = matcher
                    matcher.set_seq1(old_norm[i])
                    if matcher.quick_ratio() < threshold:
                        continue
                    score = matcher.ratio()
                    if score < threshold:
                        continue
                else:
                    continue
                if (
                    short
                    and not same_name
                    and not (
                        # A short function renamed in place: the one identical body that
                        # went and came, in the same file and class.
                        same_file
                        and len(same_body) == 1
                        and origins[tuple(old_norm[i])] == 1
                        and _qualifier(a.span.qualname) == _qualifier(d.span.qualname)
                    )
                ):
                    continue
                # Prefer same-named, then same-file pairs among equal bodies.
                pairs.append((score + 0.01 * same_name + 0.005 * same_file, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    out: list[RawChange] = []
    for _, i, j in pairs:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        d, a = deleted[i], added[j]
        old_facts = facts(d.version, d.span, old_texts[i])
        new_facts = facts(a.version, a.span, new_texts[j])
        bits = change_types(old_facts, new_facts, old_texts[i], new_texts[j])
        if not bits and old_texts[i] != new_texts[j] and d.span.qualname == a.span.qualname:
            bits = ChangeType.COSMETIC.bit
        same_path = d.version.path == a.version.path
        file_renamed = renamed_files.get(a.version.path) == d.version.path
        if d.span.qualname != a.span.qualname:
            bits |= ChangeType.RENAME.bit
        if file_renamed:
            bits |= ChangeType.FILE_RENAME.bit
        elif not same_path:
            bits |= ChangeType.MOVE.bit
        if same_path or file_renamed:
            lines_added, lines_removed = a.lines, d.lines
        else:
            lines_added, lines_removed = _line_delta(
                old_texts[i].split("\n"), new_texts[j].split("\n")
            )
        out.append(
            RawChange(
                a.version.path,
                a.span.qualname,
                d.version.path,
                d.span.qualname,
                ChangeKind.RENAMED if same_path else ChangeKind.MOVED,
                bits,
                lines_added,
                lines_removed,
                new_facts.complexity,
                a.span.start,
                a.span.end,
            )
        )
    for i, d in enumerate(deleted):
        if i not in used_old:
            out.append(
                RawChange(
                    d.version.path,
                    d.span.qualname,
                    d.version.path,
                    d.span.qualname,
                    ChangeKind.DELETED,
                    ChangeType.DELETED.bit,
                    0,
                    d.lines,
                    None,
                    d.span.start,
                    d.span.end,
                )
            )
    for j, a in enumerate(added):
        if j not in used_new:
            out.append(
                RawChange(
                    a.version.path,
                    a.span.qualname,
                    None,
                    None,
                    ChangeKind.ADDED,
                    ChangeType.INTRODUCED.bit,
                    a.lines,
                    0,
                    facts(a.version, a.span, new_texts[j]).complexity,
                    a.span.start,
                    a.span.end,
                )
            )
    return out
