"""The tolerant Python reader: tree-sitter's grammar, for versions :mod:`ast` rejects.

tree-sitter-python accepts Python 2 syntax (print and exec statements, ``except E, e``,
backticks, ``0777``), which is most of what the exact parser rejects in real
histories. A tree with an error node is not trusted: the version is skipped.
Complexity follows radon's counting rules on tree-sitter's node types.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

import tree_sitter
import tree_sitter_python

from loopintel.languages.layout import Facts, Layout, Node, NodeKind

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["facts", "parse_layout"]

_LOCAL = threading.local()  # a parser per thread: a tree-sitter parser is not shared

_COMPOUND = frozenset(
    {
        "if_statement",
        "elif_clause",
        "else_clause",
        "for_statement",
        "while_statement",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "match_statement",
        "case_clause",
        "block",
    }
)


def _parser() -> tree_sitter.Parser:
    parser: tree_sitter.Parser | None = getattr(_LOCAL, "parser", None)
    if parser is None:  # built on first use
        parser = _LOCAL.parser = tree_sitter.Parser(
            tree_sitter.Language(tree_sitter_python.language())
        )
    return parser


def _last_line(node: tree_sitter.Node) -> int:
    """1-based last line of a node, not counting trailing comments inside it."""
    while True:
        children = [c for c in node.children if c.type != "comment"]
        if not children:
            break
        last = children[-1]
        if last.end_byte == node.end_byte and last.type == node.type:
            break
        node = last
    row, column = node.end_point
    return row + 1 if column else max(row, node.start_point[0] + 1)


def _name(node: tree_sitter.Node) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None and name.text else "?"


def _definition(node: tree_sitter.Node) -> tuple[tree_sitter.Node, int] | None:
    """The function or class a statement defines, and its first line."""
    if node.type in ("function_definition", "class_definition"):
        return node, node.start_point[0] + 1
    if node.type == "decorated_definition":
        inner = node.child_by_field_name("definition")
        if inner is not None:
            return inner, node.start_point[0] + 1
    return None


def _nested(node: tree_sitter.Node) -> tuple[Node, ...]:
    out: list[Node] = []
    for child in node.children:
        found = _definition(child)
        if found is not None:
            out.append(_make(child, *found))
        elif child.type in _COMPOUND:
            out.extend(_nested(child))
    return tuple(out)


def _role(stmt: tree_sitter.Node, name: str) -> str:
    """The suffix of an overload stub or property accessor (as the exact reader gives)."""
    for child in stmt.children:
        if child.type != "decorator":
            continue
        text = (child.text or b"").decode("utf-8", "replace").lstrip("@").strip()
        target = text.split("(", 1)[0].strip()
        module, _, attr = target.rpartition(".")
        if target == "overload" or (attr == "overload" and module in _OVERLOAD_MODULES):
            return "#overload"
        if module == name and attr in ("setter", "deleter", "getter"):
            return "#" + attr
    return ""


_OVERLOAD_MODULES = frozenset({"typing", "typing_extensions", "t"})


def _make(stmt: tree_sitter.Node, definition: tree_sitter.Node, start: int) -> Node:
    end = _last_line(stmt)
    body = definition.child_by_field_name("body")
    if definition.type == "function_definition":
        children = _nested(body) if body is not None else ()
        name = _name(definition)
        return Node(NodeKind.DEF, name + _role(stmt, name), start, end, children)
    statements = tuple(_statement(s) for s in _statements(body)) if body is not None else ()
    return Node(NodeKind.CLASS, _name(definition), start, end, statements)


def _statements(block: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    for child in block.children:
        if child.is_named and child.type != "comment":
            yield child


def _statement(stmt: tree_sitter.Node) -> Node:
    found = _definition(stmt)
    if found is not None:
        return _make(stmt, *found)
    return Node(NodeKind.STMT, "", stmt.start_point[0] + 1, _last_line(stmt), _nested(stmt))


def parse_layout(data: bytes) -> tuple[Layout | None, str]:
    """Parse a whole version; returns the layout, or ``None`` and why not."""
    tree = _parser().parse(data)
    root = tree.root_node
    if root.has_error:
        return None, "tolerant parse found errors too"
    return Layout(tuple(_statement(s) for s in _statements(root)), tolerant=True), ""


def parse_region(text: str, *, wrapped: bool) -> list[Node] | None:
    """Parse a region of a file alone (see :func:`loopintel.languages.python.update_layout`).

    ``wrapped`` regions are class-body statements, parsed under ``if 1:``; line
    numbers are those of the parsed text (the wrapper is line 1).
    """
    source = ("if 1:\n" + text) if wrapped else text
    root = _parser().parse(source.encode("utf-8", "surrogatepass")).root_node
    if root.has_error:
        return None
    statements = list(_statements(root))
    if not wrapped:
        # tree-sitter forgives an indented first statement; Python does not.
        if any(s.start_point[1] for s in statements):
            return None
        return [_statement(s) for s in statements]
    if len(statements) != 1 or statements[0].type != "if_statement":
        return None
    wrapper = statements[0]
    if wrapper.child_by_field_name("alternative") is not None:
        return None
    block = wrapper.child_by_field_name("consequence")
    if block is None:
        return None
    body = list(_statements(block))
    if len({s.start_point[1] for s in body}) > 1:
        return None
    return [_statement(s) for s in body]


_NOT_TOKENS = frozenset({"comment", "line_continuation"})


def _tokens(node: tree_sitter.Node, skip: tree_sitter.Node | None = None) -> Iterator[bytes]:
    """Leaf texts of a subtree, comments dropped: a formatting-blind rendering."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in _NOT_TOKENS or (skip is not None and current.id == skip.id):
            continue
        if current.child_count == 0 or current.type == "string":
            yield current.text or b""
        else:
            stack.extend(reversed(current.children))


def _digest(parts: Iterator[bytes]) -> bytes:
    h = hashlib.blake2b(digest_size=10)
    for part in parts:
        h.update(part)
        h.update(b"\0")
    return h.digest()


_DECISIONS = frozenset(
    {
        "if_statement",
        "elif_clause",
        "conditional_expression",
        "for_in_clause",
        "if_clause",
    }
)


def _is_except_star(clause: tree_sitter.Node) -> bool:
    if clause.type == "except_group_clause":
        return True
    return clause.type == "except_clause" and any(c.type == "*" for c in clause.children)


def _is_wildcard(case: tree_sitter.Node) -> bool:
    """``case _:`` or a bare capture (``case other:``): radon's "else" of a match."""
    patterns = [c for c in case.named_children if c.type == "case_pattern"]
    if len(patterns) != 1 or patterns[0].named_child_count > 1:
        return False
    pattern = patterns[0]
    if pattern.named_child_count == 0:
        return (pattern.text or b"").strip() == b"_"
    inner = pattern.named_children[0]
    return inner.type == "dotted_name" and inner.named_child_count == 1


def _complexity(body: tree_sitter.Node) -> int:
    """Cyclomatic complexity after radon's rules, on a tree-sitter body.

    +1 per if/elif/ternary/comprehension clause, assert (whose inside radon does not
    visit), loop (+1 with ``else``), handler and ``try``'s ``else`` (not for
    ``except*``, which radon does not count), extra boolean operand, and ``case``
    (less one when a wildcard or capture case is present; guards not counted).
    Nested functions and classes are not counted; lambda bodies are.
    """
    total = 1
    stack = list(body.children)
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("function_definition", "class_definition"):
            continue
        if kind == "assert_statement":
            total += 1
            continue
        if kind in _DECISIONS or kind == "boolean_operator":
            total += 1
        elif kind in ("for_statement", "while_statement"):
            total += 1 + any(c.type == "else_clause" for c in node.children)
        elif kind == "try_statement":
            if not any(_is_except_star(c) for c in node.children):
                total += sum(c.type in ("except_clause", "else_clause") for c in node.children)
        elif kind == "match_statement":
            blocks = [c for c in node.children if c.type == "block"]
            cases = [c for b in blocks for c in b.children if c.type == "case_clause"]
            total += max(0, len(cases) - any(_is_wildcard(c) for c in cases))
            for case in cases:
                stack.extend(c for c in case.children if c.type == "block")
            continue
        stack.extend(node.children)
    return total


def facts(text: str) -> Facts:
    """Digests of one function version from the tolerant parse."""
    lines = text.split("\n")
    indent = len(lines[0]) - len(lines[0].lstrip())
    if indent:
        lines = [line[indent:] if line[:indent].isspace() else line for line in lines]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    root = _parser().parse(data).root_node
    definition = None
    decorators: list[tree_sitter.Node] = []
    for child in root.children:
        found = _definition(child)
        if found is not None:
            definition = found[0]
            decorators = [c for c in child.children if c.type == "decorator"]
            break
    if definition is None or definition.type != "function_definition":
        empty = _digest(iter(()))
        whole = _digest(iter((data,)))
        return Facts("?", empty, empty, empty, whole, None, tolerant=True)
    params = definition.child_by_field_name("parameters")
    returns = definition.child_by_field_name("return_type")
    body = definition.child_by_field_name("body")
    doc: tree_sitter.Node | None = None
    if body is not None:
        first = next(_statements(body), None)
        if (
            first is not None
            and first.type == "expression_statement"
            and first.named_child_count == 1
            and first.named_children[0].type == "string"
        ):
            doc = first
    signature_parts: list[bytes] = []
    for part in (params, returns):
        if part is not None:
            signature_parts.extend(_tokens(part))
        signature_parts.append(b"|")
    if definition.children and definition.children[0].type == "async":
        signature_parts.append(b"async")
    return Facts(
        name=_name(definition),
        signature=_digest(iter(signature_parts)),
        decorators=_digest(t for d in decorators for t in _tokens(d)),
        docstring=_digest(_tokens(doc) if doc is not None else iter(())),
        body=_digest(_tokens(body, skip=doc) if body is not None else iter(())),
        complexity=_complexity(body) if body is not None else None,
        tolerant=True,
    )
