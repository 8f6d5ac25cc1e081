"""Python: function spans, the incremental re-parse that keeps them cheap, and facts.

Spans come from :mod:`ast` (exact ``end_lineno``); a file version that :mod:`ast`
rejects (Python 2 era syntax, mostly) goes to the tolerant tree-sitter reader in
:mod:`loopintel.languages.tolerant`. Complexity comes from radon, per function.

The incremental re-parse (:func:`update_layout`) rebuilds the layout of a new file
version from the layout of its parent version and the diff hunks, re-parsing only the
statements the hunks touch. It is exact by construction: a region is re-parsed
alone only when it starts and ends at statement boundaries of the old version that
no hunk crosses, and when the region parses alone as a complete block at the right
indentation; then the tokenizer state at both edges is the same as in the whole
file, so the whole-file parse is the concatenation of the parts. Two regions that
meet at such a boundary are parsed apart, and together when one of them does not
parse alone. Anything else falls back to a whole-file parse.
"""

from __future__ import annotations

import ast
import hashlib
import io
import itertools
import re
import threading
import tokenize
import warnings
from bisect import bisect_right
from typing import TYPE_CHECKING, TypeAlias

from loopintel.languages import tolerant
from loopintel.languages.layout import Facts, Hunk, Layout, Node, NodeKind, ParseOutcome, Span

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_FILE_BYTES",
    "FunctionTree",
    "decode",
    "facts",
    "facts_of_node",
    "function_bodies",
    "function_spans",
    "function_trees",
    "parse_layout",
    "parse_layout_in_pieces",
    "parse_quietly",
    "segment",
    "update_layout",
]

MAX_FILE_BYTES = 8_000_000
"""Versions larger than this are recorded as skipped (generated files, data dumps)."""

_LONE_CR = re.compile(rb"\r(?!\n)")
_LONE_CR_TEXT = re.compile(r"\r(?!\n)")
_FUNC = (ast.FunctionDef, ast.AsyncFunctionDef)
FunctionTree: TypeAlias = ast.FunctionDef | ast.AsyncFunctionDef
"""A function's syntax tree."""
_Keep = dict[int, FunctionTree] | None
"""Where a parse leaves each function's syntax tree, by first line (or nowhere)."""


def decode(data: bytes) -> tuple[str, bool]:
    """Decode source bytes as Python would (BOM, coding cookie), never failing.

    Returns the text and whether it decoded cleanly in its declared encoding.
    Undecodable bytes survive as surrogate escapes, so equal bytes give equal text.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding), True
    except (UnicodeDecodeError, LookupError):
        return data.decode("utf-8", "surrogateescape"), False


_PARSING = threading.Lock()
"""Held while ``ast`` builds a tree, so that threads parse one at a time: CPython 3.11
keeps the AST constructor's recursion depth in state threads share (two trees built at
once can fail with ``SystemError: AST constructor recursion depth mismatch``), and the
warnings filters that parsing silences are the whole process's (two threads' nested
``catch_warnings`` can leave every warning ignored)."""


def parse_quietly(source: str | bytes) -> ast.Module:
    """``ast.parse`` without its warnings, safe to call from several threads.

    Old code is full of invalid escape sequences; they are not loopintel's concern.
    """
    with _PARSING, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


_parse = parse_quietly


def _def_start(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    if decorators:
        return min(node.lineno, decorators[0].lineno)
    return node.lineno


def _nested(stmts: Sequence[ast.stmt], offset: int, keep: _Keep) -> tuple[Node, ...]:
    """Functions and classes defined in ``stmts`` or in their control-flow blocks."""
    out: list[Node] = []
    for stmt in stmts:
        if isinstance(stmt, (*_FUNC, ast.ClassDef)):
            out.append(_node(stmt, offset, keep))
        else:
            out.extend(_nested_in(stmt, offset, keep))
    return tuple(out)


def _nested_in(stmt: ast.stmt, offset: int, keep: _Keep) -> list[Node]:
    # Source order: body, handlers (try), else, finally; cases (match).
    out: list[Node] = []
    body = getattr(stmt, "body", None)
    if body:
        out.extend(_nested(body, offset, keep))
    for handler in getattr(stmt, "handlers", ()):
        out.extend(_nested(handler.body, offset, keep))
    for field in ("orelse", "finalbody"):
        block = getattr(stmt, field, None)
        if block:
            out.extend(_nested(block, offset, keep))
    for case in getattr(stmt, "cases", ()):
        out.extend(_nested(case.body, offset, keep))
    return out


_OVERLOAD_MODULES = frozenset({"typing", "typing_extensions", "t"})
_ACCESSORS = frozenset({"setter", "deleter", "getter"})


def _role(stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The name suffix of an overload stub or a property accessor, if the def is one.

    ``#overload`` for a ``typing.overload`` stub; ``#setter``, ``#deleter``,
    ``#getter`` for a property accessor of the same name (see :func:`function_spans`).
    """
    for decorator in stmt.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id == "overload":
            return "#overload"
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            if target.attr == "overload" and target.value.id in _OVERLOAD_MODULES:
                return "#overload"
            if target.attr in _ACCESSORS and target.value.id == stmt.name:
                return "#" + target.attr
    return ""


def _node(stmt: ast.stmt, offset: int, keep: _Keep) -> Node:
    end = (stmt.end_lineno or stmt.lineno) + offset
    if isinstance(stmt, _FUNC):
        start = _def_start(stmt) + offset
        if keep is not None:
            keep[start] = stmt
        name = stmt.name + _role(stmt)
        return Node(NodeKind.DEF, name, start, end, _nested(stmt.body, offset, keep))
    if isinstance(stmt, ast.ClassDef):
        body = tuple(_node(s, offset, keep) for s in stmt.body)
        return Node(NodeKind.CLASS, stmt.name, _def_start(stmt) + offset, end, body)
    return Node(NodeKind.STMT, "", stmt.lineno + offset, end, tuple(_nested_in(stmt, offset, keep)))


def _at_signs(nodes: list[Node], lines: Sequence[str] | str) -> list[Node]:
    """Start decorated definitions at their first ``@``.

    :mod:`ast` places a decorator at its expression, which a parenthesised decorator
    (``@(`` then the expression on the next line) puts below the ``@``.
    """
    if isinstance(lines, str):
        lines = lines.split("\n")
    return [_at_sign(n, lines) for n in nodes]


def _at_sign(node: Node, lines: Sequence[str]) -> Node:
    children = node.children
    if children:
        fixed = tuple(_at_sign(c, lines) for c in children)
        if fixed != children:
            node = node._replace(children=fixed)
    if node.kind is NodeKind.STMT or not 0 < node.start <= len(lines):
        return node
    start = node.start
    if lines[start - 1].lstrip().startswith(("@", "def", "async", "class")):
        return node
    while start > 1 and not lines[start - 1].lstrip().startswith("@"):
        start -= 1
    return node._replace(start=start) if lines[start - 1].lstrip().startswith("@") else node


def _prepare(data: bytes) -> bytes:
    # git splits lines on LF only; Python also on a lone CR. Blank lone CRs so that
    # line numbers agree with git's.
    if b"\r" in data:
        return _LONE_CR.sub(b" ", data)
    return data


def parse_layout(
    data: bytes,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    keep: _Keep = None,
    docs: set[int] | None = None,
) -> ParseOutcome:
    """Parse a whole file version.

    Args:
        data: the file's bytes.
        max_bytes: larger versions are not parsed.
        keep: if given, filled with each function's syntax tree by first line.
        docs: if given, filled with the lines of its docstrings (:func:`docstrings`)
            when the file parses as Python 3 (versions only the tolerant reader reads
            leave it empty).

    Returns:
        The layout, or the reason the version cannot be read.

    """
    if len(data) > max_bytes:
        return ParseOutcome(None, f"too large ({len(data)} bytes > {max_bytes})")
    if b"\0" in data:
        return ParseOutcome(None, "binary (NUL bytes)")
    try:
        module = _parse(_prepare(data))
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        layout, reason = tolerant.parse_layout(_prepare(data))
        if layout is None:
            where = f" line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
            return ParseOutcome(None, f"syntax error{where}: {reason}")
        return ParseOutcome(layout, None)
    if docs is not None:
        docs.update(docstrings(module))
    nodes = [_node(s, 0, keep) for s in module.body]
    return ParseOutcome(Layout(tuple(_at_signs(nodes, decode(data)[0])), tolerant=False), None)


PIECE_BYTES = 64 * 1024
"""Source bytes :func:`parse_layout_in_pieces` parses at once (whole statements)."""
_CONTINUATIONS = frozenset({"else", "elif", "except", "finally"})


def _statement_starts(source: bytes) -> list[int] | None:
    """First lines of a module's top-level statements (decorators included).

    ``None`` when the tokenizer rejects the source or it is not UTF-8 (pieces of it
    would lose its coding cookie).
    """
    readline = io.BytesIO(source).readline
    try:
        encoding, _ = tokenize.detect_encoding(readline)
    except SyntaxError:
        return None
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    starts: list[int] = []
    depth = 0
    line_start = True  # the next token begins a logical line
    decorated = False  # the last top-level logical line was a decorator
    skip = (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING)
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            kind = token.type
            if kind == tokenize.INDENT:
                depth += 1
            elif kind == tokenize.DEDENT:
                depth -= 1
            elif kind == tokenize.NEWLINE:
                line_start = True
            elif kind not in skip and kind != tokenize.ENDMARKER and line_start:
                line_start = False
                if depth == 0:
                    if not decorated and token.string not in _CONTINUATIONS:
                        starts.append(token.start[0])
                    decorated = token.string == "@"
    except (tokenize.TokenError, SyntaxError):
        return None
    return starts


def parse_layout_in_pieces(
    data: bytes,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    facts: dict[int, Facts] | None = None,
    piece_bytes: int = PIECE_BYTES,
) -> ParseOutcome:
    """:func:`parse_layout`'s outcome, parsing a few top-level statements at a time.

    ``ast`` holds a whole module's tree while it parses, two hundred times the source
    (a 1.5 MB file: 550 MB); parsed a piece at a time, only a piece's tree is held.
    Pieces start at top-level statements, as the tokenizer finds them, so the layout
    is the whole parse's; a source the tokenizer or a piece's parse rejects is parsed
    whole instead (and so is one that is not UTF-8). ``facts``, if given, is filled
    with :func:`facts_of_node` of each function by first line, taken while its tree
    is at hand (what a ``keep`` would give, without holding every tree).
    """
    if len(data) > max_bytes or b"\0" in data:
        return parse_layout(data, max_bytes=max_bytes)
    source = _prepare(data)
    starts = _statement_starts(source)
    if not starts:
        return _whole(data, max_bytes, facts)
    lines = source.split(b"\n")
    bounds = [0]  # line index where each piece starts
    size = 0
    for first, after in zip(starts, [*starts[1:], len(lines) + 1], strict=True):
        size += sum(len(line) + 1 for line in lines[first - 1 : after - 1])
        if size >= piece_bytes:
            bounds.append(after - 1)
            size = 0
    bounds = sorted(set(bounds) | {len(lines)})
    nodes: list[Node] = []
    found: dict[int, Facts] = {}
    for begin, end in itertools.pairwise(bounds):
        try:
            module = _parse(b"\n".join(lines[begin:end]))
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return _whole(data, max_bytes, facts)
        ast.increment_lineno(module, begin)
        keep: dict[int, FunctionTree] | None = {} if facts is not None else None
        nodes.extend(_node(s, 0, keep) for s in module.body)
        found.update((line, facts_of_node(tree)) for line, tree in (keep or {}).items())
    if facts is not None:
        facts.update(found)
    return ParseOutcome(Layout(tuple(_at_signs(nodes, decode(data)[0])), tolerant=False), None)


def _whole(data: bytes, max_bytes: int, facts: dict[int, Facts] | None) -> ParseOutcome:
    keep: dict[int, FunctionTree] | None = {} if facts is not None else None
    outcome = parse_layout(data, max_bytes=max_bytes, keep=keep)
    if facts is not None:
        facts.update((line, facts_of_node(tree)) for line, tree in (keep or {}).items())
    return outcome


def function_spans(layout: Layout) -> list[Span]:
    """Every function of a layout in source order, with its qualified name.

    Names follow ``__qualname__``. Definitions that share a name get stable suffixes:
    ``typing.overload`` stubs are ``f#overload``, ``f#overload2``...; property
    accessors ``x#setter``, ``x#deleter``; any other name defined again in the same
    file (conditional definitions) gets ``#2``, ``#3``... in source order, the first
    keeping the plain name.
    """
    out: list[Span] = []
    seen: dict[str, int] = {}
    define, klass = NodeKind.DEF, NodeKind.CLASS

    def visit(nodes: tuple[Node, ...], prefix: str) -> None:
        for kind, name, start, end, children in nodes:
            if kind is define:
                qualname = prefix + name
                if qualname in seen:
                    count = seen[qualname] + 1
                    seen[qualname] = count
                    qualname += str(count) if "#" in name else f"#{count}"
                else:
                    seen[qualname] = 1
                out.append(Span(qualname, start, end))
                if children:
                    visit(children, qualname + ".<locals>.")
            elif kind is klass:
                visit(children, prefix + name + ".")
            elif children:
                visit(children, prefix)

    visit(layout.nodes, "")
    return out


# --- incremental re-parse -------------------------------------------------------------


def _shift(node: Node, delta: int) -> Node:
    if not delta:
        return node
    return Node(
        node.kind,
        node.name,
        node.start + delta,
        node.end + delta,
        tuple(_shift(c, delta) for c in node.children),
    )


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t\f"))]


def _blank(lines: Sequence[str]) -> bool:
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return False
    return True


REPARSE_SLACK_LINES = 200
"""Lines a re-parse may parse beyond twice the file's length (small files)."""


class _OverBudget(Exception):
    """The re-parse has parsed as many lines as a whole parse would: stop."""


class _Edit:
    """The hunks of one diff, with the line arithmetic the re-parse needs."""

    def __init__(self, hunks: Sequence[Hunk], budget: int = 1 << 62) -> None:
        self.budget = budget
        """Lines the re-parse may parse in all before a whole parse is cheaper."""
        # (first old line touched, last old line touched, delta); an insertion after
        # line p touches the gap before p + 1: first = p + 1, last = p.
        spans = []
        for h in hunks:
            if h.old_lines:
                first, last = h.old_start, h.old_start + h.old_lines - 1
            else:
                first, last = h.old_start + 1, h.old_start
            spans.append((first, last, h.new_lines - h.old_lines))
        spans.sort()
        self.spans = spans
        self.firsts = [s[0] for s in spans]
        lasts = sorted((s[1], s[2]) for s in spans)
        self.lasts = [x[0] for x in lasts]
        self.first_sums = [0]
        for s in spans:
            self.first_sums.append(self.first_sums[-1] + s[2])
        self.last_sums = [0]
        for x in lasts:
            self.last_sums.append(self.last_sums[-1] + x[1])

    def delta_first_before(self, line: int) -> int:
        """Net lines added by hunks whose first touched line is before ``line``."""
        return self.first_sums[bisect_right(self.firsts, line - 1)]

    def delta_last_before(self, line: int) -> int:
        """Net lines added by hunks that end before ``line``."""
        return self.last_sums[bisect_right(self.lasts, line - 1)]


def _regions(
    starts: Sequence[int],
    spans: Sequence[tuple[int, int, int]],
    block_lo: int,
    limit: int,
    edit: _Edit,
) -> list[tuple[int, int]] | None:
    """Old-line regions ``[lo, hi)`` bounded by statement starts, merged where they overlap.

    Two regions that meet at a statement start stay apart (each is parsed alone, so a
    class in one of them can still be updated statement by statement) unless a pure
    insertion sits in the gap before that start: the inserted lines belong to both
    sides, and the regions are merged.
    """
    regions: list[tuple[int, int]] = []
    for first, last, _ in spans:
        i = bisect_right(starts, first) - 1
        if i < 0:
            if block_lo < 0:
                return None
            lo = block_lo
        else:
            lo = starts[i]
        j = bisect_right(starts, last)
        hi = starts[j] if j < len(starts) else limit
        if regions and (
            lo < regions[-1][1]
            or (
                lo == regions[-1][1]
                and (lo == hi or edit.delta_first_before(lo) != edit.delta_last_before(lo))
            )
        ):
            regions[-1] = (regions[-1][0], max(hi, regions[-1][1]))
        else:
            regions.append((lo, hi))
    return regions


def _parse_region(
    text: str,
    offset: int,
    indent: str | None,
    lines: Sequence[str],
    *,
    lenient: bool,
    keep: _Keep,
) -> list[Node] | None:
    """Parse a region alone; ``indent`` is the class body's indentation, or None at top.

    A region of a file read tolerantly is still parsed exactly when it can be (both
    readers give the same nodes for Python 3 code), so that its functions' syntax
    trees are at hand for their facts; the tolerant reader takes the rest.
    """
    if "\r" in text:
        text = _LONE_CR_TEXT.sub(" ", text)
    nodes = _parse_region_exactly(text, offset, indent, lines, keep)
    if nodes is not None or not lenient:
        return nodes
    found = tolerant.parse_region(text, wrapped=indent is not None)
    if found is None:
        return None
    if indent is not None and found and _indent(lines[found[0].start + offset - 1]) != indent:
        return None
    return [_shift(n, offset) for n in found]


def _parse_region_exactly(
    text: str, offset: int, indent: str | None, lines: Sequence[str], keep: _Keep
) -> list[Node] | None:
    try:
        if indent is None:
            return _at_signs([_node(s, offset, keep) for s in _parse(text).body], lines)
        module = _parse("if 1:\n" + text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if len(module.body) != 1 or not isinstance(module.body[0], ast.If) or module.body[0].orelse:
        return None  # a statement escaped the class body (or an else joined the wrapper)
    body = module.body[0].body
    if _indent(lines[body[0].lineno + offset - 1]) != indent:
        return None
    return _at_signs([_node(s, offset, keep) for s in body], lines)


def _update_block(
    nodes: tuple[Node, ...],
    spans: Sequence[tuple[int, int, int]],
    edit: _Edit,
    new_lines: Sequence[str],
    limit: int,
    indent: str | None,
    lenient: bool,
    keep: _Keep,
) -> tuple[Node, ...] | None:
    starts = [n.start for n in nodes]
    regions = _regions(starts, spans, 1 if indent is None else -1, limit, edit)
    if regions is None:
        return None
    out: list[Node] = []
    k = 0
    # Where the regions that meet the current one began: their first old line, their
    # old nodes and how many nodes of ``out`` they gave.
    run: list[tuple[int, list[Node], int]] = []
    for region_lo, hi in regions:
        lo = region_lo
        while k < len(nodes) and nodes[k].start < lo:
            out.append(_shift(nodes[k], edit.delta_last_before(nodes[k].start)))
            k += 1
            run = []
        inside = []
        while k < len(nodes) and nodes[k].start < hi:
            inside.append(nodes[k])
            k += 1
        found: _Keep = None if keep is None else {}
        parsed = _update_region(inside, lo, hi, spans, edit, new_lines, indent, lenient, found)
        if parsed is None and run:
            # Regions that meet may only parse together (an ``else:`` added after a
            # block): parse them as one.
            lo = run[0][0]
            inside = [n for _, old, _ in run for n in old] + inside
            del out[len(out) - sum(count for _, _, count in run) :]
            run = []
            found = None if keep is None else {}
            parsed = _update_region(inside, lo, hi, spans, edit, new_lines, indent, lenient, found)
        elif (
            parsed is None
            and out
            and edit.delta_first_before(nodes[k - len(inside) - 1].start)
            == edit.delta_last_before(nodes[k - len(inside) - 1].start)
        ):
            # Lines inserted after a block may continue it (a method appended at the end
            # of a class): parse them with the untouched statement before them, unless
            # lines were inserted before that one too (they were parsed already).
            before = nodes[k - len(inside) - 1]
            out.pop()
            lo = before.start
            inside = [before, *inside]
            found = None if keep is None else {}
            parsed = _update_region(inside, lo, hi, spans, edit, new_lines, indent, lenient, found)
        if parsed is None:
            return None
        if keep is not None and found:
            keep.update(found)
        out.extend(parsed)
        run.append((lo, inside, len(parsed)))
    out.extend(_shift(n, edit.delta_last_before(n.start)) for n in nodes[k:])
    if indent is not None and not out:
        return None
    return tuple(out)


def _update_region(
    inside: list[Node],
    lo: int,
    hi: int,
    spans: Sequence[tuple[int, int, int]],
    edit: _Edit,
    new_lines: Sequence[str],
    indent: str | None,
    lenient: bool,
    keep: _Keep,
) -> list[Node] | None:
    """The new nodes of the old-line region ``[lo, hi)`` holding the old nodes ``inside``."""
    b_lo = lo + edit.delta_first_before(lo)
    if len(inside) == 1 and inside[0].kind is NodeKind.CLASS and inside[0].children:
        region_spans = [s for s in spans if lo <= s[0] and s[1] < hi]
        new = _update_class(inside[0], region_spans, edit, new_lines, hi, b_lo, lenient, keep)
        if new is not None:
            return [new]
    b_hi = hi + edit.delta_last_before(hi)
    text_lines = new_lines[b_lo - 1 : b_hi - 1]
    if indent is not None and _blank(text_lines):
        return []
    # Regions that only parse together are parsed again as one, and again: many hunks
    # in one long block would parse it once per hunk.
    edit.budget -= len(text_lines)
    if edit.budget < 0:
        raise _OverBudget
    offset = b_lo - 1 if indent is None else b_lo - 2
    return _parse_region(
        "\n".join(text_lines), offset, indent, new_lines, lenient=lenient, keep=keep
    )


def _update_class(
    cls: Node,
    spans: Sequence[tuple[int, int, int]],
    edit: _Edit,
    new_lines: Sequence[str],
    limit: int,
    b_start: int,
    lenient: bool,
    keep: _Keep,
) -> Node | None:
    body_start = cls.children[0].start
    if any(first < body_start for first, _, _ in spans):
        return None  # the header or the lines before the first statement changed
    untouched = [
        c
        for c in cls.children
        if not any(first <= c.end and c.start <= last for first, last, _ in spans)
    ]
    if not untouched:
        return None
    sibling = untouched[0]
    indent = _indent(new_lines[sibling.start + edit.delta_last_before(sibling.start) - 1])
    children = _update_block(cls.children, spans, edit, new_lines, limit, indent, lenient, keep)
    if children is None:
        return None
    return Node(NodeKind.CLASS, cls.name, b_start, children[-1].end, children)


def update_layout(
    old: Layout, hunks: Sequence[Hunk], new_lines: Sequence[str], *, keep: _Keep = None
) -> Layout | None:
    """The layout of a new version from its parent's layout and the zero-context hunks.

    A layout read by the tolerant parser stays tolerant: its regions are parsed
    exactly when they can be, by the tolerant parser otherwise.

    Args:
        old: layout of the parent version.
        hunks: the diff's hunks, old to new.
        new_lines: the new version's lines as git counts them, cleanly decoded.
        keep: if given, filled with the syntax tree of each re-parsed function by
            first line.

    Returns:
        The new layout, equal to a whole-file parse; ``None`` when the change cannot be
        proven local, or when re-parsing its regions would parse more lines than the
        file has (then parse the whole file).

    """
    if not hunks:
        return None
    head = "\n".join(new_lines[:2])
    if ("coding" in head or head.startswith("\ufeff")) and any(
        h.old_start <= 2 or h.new_start <= 2 for h in hunks
    ):
        return None  # the encoding may have changed
    # Re-parsing regions pays while it parses no more than a couple of times the lines
    # of the whole file (a region tried alone, then with its neighbour, is parsed twice).
    edit = _Edit(hunks, budget=2 * len(new_lines) + REPARSE_SLACK_LINES)
    try:
        nodes = _update_block(
            old.nodes, edit.spans, edit, new_lines, 1 << 62, None, old.tolerant, keep
        )
    except _OverBudget:
        return None
    if nodes is None:
        return None
    return Layout(nodes, tolerant=old.tolerant)


# --- facts of one function version ---------------------------------------------------


def segment(lines: Sequence[str], span: Span) -> str:
    """The source text of a span."""
    return "\n".join(lines[span.start - 1 : span.end])


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=10).digest()


def _parse_segment(text: str) -> FunctionTree | None:
    source = "if 1:\n" + text if text[:1] in (" ", "\t", "\f") else text
    try:
        body = _parse(source).body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if len(body) != 1:
        return None
    node = body[0]
    if isinstance(node, ast.If):
        if len(node.body) != 1:
            return None
        node = node.body[0]
    return node if isinstance(node, _FUNC) else None


def _render(node: ast.AST, out: list[str], count: bool) -> int:
    """Append a position-free rendering of ``node`` to ``out``.

    Equal renderings mean equal syntax trees (what :func:`ast.dump` compares), at a
    fraction of its cost. Returns radon's cyclomatic decision count of the subtree
    when ``count`` is set: radon does not look into nested functions, classes or
    ``assert`` statements.
    """
    cls = type(node)
    # The commonest nodes first, rendered as the general case below would.
    if cls is ast.Name:
        out.extend(("Name", repr(node.id), _LEAVES[type(node.ctx)]))  # type: ignore[attr-defined]
        return 0
    if cls is ast.Constant:
        out.extend(("Constant", repr(node.value), repr(node.kind)))  # type: ignore[attr-defined]
        return 0
    if cls is ast.Attribute:
        out.append("Attribute")
        found = _render(node.value, out, count)  # type: ignore[attr-defined]
        out.extend((repr(node.attr), _LEAVES[type(node.ctx)]))  # type: ignore[attr-defined]
        return found
    out.append(cls.__name__)
    found = 0
    if count and cls in _DECISIONS:
        if cls is ast.If or cls is ast.IfExp:
            found = 1
        elif cls is ast.BoolOp:
            found = len(node.values) - 1  # type: ignore[attr-defined]
        elif cls is ast.For or cls is ast.While or cls is ast.AsyncFor:
            found = 1 + bool(node.orelse)  # type: ignore[attr-defined]
        elif cls is ast.Try:
            found = len(node.handlers) + bool(node.orelse)  # type: ignore[attr-defined]
        elif cls is ast.comprehension:
            found = len(node.ifs) + 1  # type: ignore[attr-defined]
        elif cls is ast.Match:
            cases = node.cases  # type: ignore[attr-defined]
            wildcard = any(getattr(c.pattern, "pattern", False) is None for c in cases)
            found = max(0, len(cases) - wildcard)
        elif cls is ast.Assert:
            found = 1
            count = False
        elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef or cls is ast.ClassDef:
            count = False
    for name in cls._fields:
        value = getattr(node, name, None)
        kind = type(value)
        if kind in _LEAVES:
            # Load/Store/Del contexts and operators: fields-less singletons.
            out.append(_LEAVES[kind])
        elif kind is list:
            out.append("[")
            for item in value:  # type: ignore[union-attr]  # a list, as just checked
                if type(item) is ast.Name:
                    out.extend(("Name", repr(item.id), _LEAVES[type(item.ctx)]))
                elif isinstance(item, ast.AST):
                    found += _render(item, out, count)
                else:
                    out.append(repr(item))
            out.append("]")
        elif isinstance(value, ast.AST):
            found += _render(value, out, count)
        elif value is None:
            out.append("None")
        else:
            out.append(repr(value))
    return found


_DECISIONS = frozenset(
    {
        ast.If,
        ast.IfExp,
        ast.BoolOp,
        ast.For,
        ast.While,
        ast.AsyncFor,
        ast.Try,
        ast.comprehension,
        ast.Match,
        ast.Assert,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
    }
)
"""Node classes that count for complexity, or stop the count (see :func:`_render`)."""

_LEAVES: dict[type, str] = {
    cls: cls.__name__
    for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
    for cls in base.__subclasses__()
}
"""Node classes without fields: rendered by name alone, as the general case would."""


def facts(text: str) -> Facts:
    """Digests of a function version's signature, decorators, docstring and body.

    Two versions whose digests are all equal differ only in formatting or comments.
    Complexity is radon's cyclomatic complexity of the function (1 + decisions of
    its body, nested functions and classes excluded).
    """
    node = _parse_segment(text)
    if node is None:
        return tolerant.facts(text)
    return facts_of_node(node)


def facts_of_node(node: FunctionTree) -> Facts:
    """:func:`facts` of a function whose syntax tree is at hand."""
    body = node.body
    doc = ""
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        doc = body[0].value.value
        body = body[1:]
    signature: list[str] = ["async" if isinstance(node, ast.AsyncFunctionDef) else "def"]
    _render(node.args, signature, False)
    if node.returns is not None:
        _render(node.returns, signature, False)
    for param in getattr(node, "type_params", ()):
        _render(param, signature, False)
    decorators: list[str] = []
    for decorator in node.decorator_list:
        _render(decorator, decorators, False)
    rendered: list[str] = []
    decisions = 0
    try:
        for stmt in body:
            decisions += _render(stmt, rendered, True)
        complexity: int | None = 1 + decisions
    except RecursionError:
        complexity = None
    return Facts(
        name=node.name,
        signature=_digest("\0".join(signature)),
        decorators=_digest("\0".join(decorators)),
        docstring=_digest(doc),
        body=_digest("\0".join(rendered)),
        complexity=complexity,
    )


def function_trees(
    data: bytes, *, max_bytes: int = MAX_FILE_BYTES
) -> list[tuple[Span, FunctionTree]] | None:
    """Every function of a file version with its syntax tree, in source order.

    Returns ``None`` when the version cannot be parsed exactly (or is larger than
    ``max_bytes``).
    """
    keep: dict[int, FunctionTree] = {}
    outcome = parse_layout(data, max_bytes=max_bytes, keep=keep)
    if outcome.layout is None or outcome.layout.tolerant:
        return None
    # Decorators may move a span's start above the tree's; the last line does not move.
    by_end: dict[int, list[FunctionTree]] = {}
    for tree in keep.values():
        by_end.setdefault(tree.end_lineno or tree.lineno, []).append(tree)
    out: list[tuple[Span, FunctionTree]] = []
    for span in function_spans(outcome.layout):
        candidates = [t for t in by_end.get(span.end, ()) if t.lineno >= span.start]
        if not candidates:  # pragma: no cover - every span comes from a tree
            return None
        out.append((span, min(candidates, key=lambda t: t.lineno)))
    return out


def function_bodies(data: bytes) -> list[tuple[Span, int]] | None:
    """Every function of a file version with the first line of its body.

    The body is what runs when the function is called: it starts on the line after
    the ``def`` line at the earliest, since that line (with the decorators and the rest
    of the signature) runs when the definition is executed.

    Returns:
        ``(span, first body line)`` per function in source order (a one-line function
        has an empty body: first line past its end), or ``None`` when the version
        cannot be parsed exactly.

    """
    trees = function_trees(data)
    if trees is None:
        return None
    return [(span, max(tree.body[0].lineno, tree.lineno + 1)) for span, tree in trees]


def docstrings(module: ast.Module) -> frozenset[int]:
    """The lines of a module's docstrings: its own, its classes' and its functions'.

    Only statements are visited (a definition inside an expression does not exist).
    """
    out: set[int] = set()
    stack: list[ast.AST] = [module]
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            assert isinstance(body, list)
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                out.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
    return frozenset(out)
