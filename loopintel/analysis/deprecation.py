"""Deprecated code: whether a function version is marked deprecated or uses deprecated names.

Pure: a file version's bytes and the function's qualified name in, a
:class:`~loopintel.model.Deprecation` out. Reading the bytes from git is the caller's
business (:mod:`loopintel.code`).

Names are resolved the way Python binds them: a function sees the imports of its own
body, of the functions enclosing it, and of its module (anywhere outside functions and
classes); class bodies are not visible to their methods. ``import a.b as m`` makes
``m.f`` read ``a.b.f``; ``from a import b`` makes ``b.x`` read ``a.b.x``; relative
imports resolve against the file's package.
"""

from __future__ import annotations

import ast
import re
import tomllib
from typing import TYPE_CHECKING

from loopintel.languages import python
from loopintel.model import (
    DeprecatedName,
    Deprecation,
    DeprecationMark,
    DeprecationMarkKind,
    FunctionRef,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "DEPRECATION_CATEGORY",
    "ParsedModule",
    "deprecation",
    "matching_prefix",
    "module_name",
    "parse_module",
    "prefixes_from_pyproject",
    "valid_prefix",
]

DEPRECATION_CATEGORY = re.compile(r"(?:Deprecation|Deprecated|Future)Warning$|^Removed\w*Warning$")
"""Warning categories that announce a deprecation: ``DeprecationWarning``,
``PendingDeprecationWarning``, ``FutureWarning`` (Python's category for deprecations
aimed at end users), project subclasses named ``...DeprecationWarning``, and Django-style
``RemovedIn...Warning``."""

_WARN = frozenset({"warnings.warn", "warnings.warn_explicit"})
_DIRECTIVE = re.compile(r"^[ \t]*\.\. deprecated::[ \t]*(.*)$", re.MULTILINE)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_MESSAGE_KEYWORDS = ("message", "msg", "reason", "details")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_FUNC = (ast.FunctionDef, ast.AsyncFunctionDef)


def valid_prefix(prefix: str) -> bool:
    """Whether a prefix is a dotted module name (``myapp.legacy``)."""
    return bool(_IDENTIFIER.match(prefix))


def matching_prefix(name: str, prefixes: Iterable[str]) -> str | None:
    """The longest prefix that ``name`` falls under, by whole dotted components.

    ``myapp.legacy`` covers ``myapp.legacy`` and ``myapp.legacy.x``, not
    ``myapp.legacyfoo``.
    """
    found = None
    for prefix in prefixes:
        if (name == prefix or name.startswith(prefix + ".")) and (
            found is None or len(prefix) > len(found)
        ):
            found = prefix
    return found


def prefixes_from_pyproject(data: bytes) -> tuple[str, ...]:
    """``[tool.loopintel] deprecated`` of a ``pyproject.toml``; ``()`` when absent.

    Raises:
        ValueError: the file is not TOML, or the setting is not a list of dotted
            module names (every problem is named).

    """
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"pyproject.toml is not valid TOML: {exc}") from exc
    tool = document.get("tool", {})
    settings = tool.get("loopintel", {}) if isinstance(tool, dict) else {}
    value = settings.get("deprecated", []) if isinstance(settings, dict) else []
    problems = (
        [
            f"tool.loopintel.deprecated[{i}] = {item!r} is not a dotted module name"
            for i, item in enumerate(value)
            if not isinstance(item, str) or not valid_prefix(item)
        ]
        if isinstance(value, list)
        else [f"tool.loopintel.deprecated = {value!r} is not a list of dotted module names"]
    )
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(value)


def module_name(path: str, is_package: Callable[[str], bool]) -> str:
    """The dotted module a file is imported as.

    The package is the chain of directories above the file that hold an
    ``__init__.py`` (``src/flask/app.py`` is ``flask.app`` when ``src/flask`` is a
    package and ``src`` is not). Without one (namespace packages), the directories
    are the package, less a leading ``src/``.

    Args:
        path: the file, ``/``-separated, relative to the repository root.
        is_package: whether a directory holds an ``__init__.py``.

    """
    *dirs, file = path.split("/")
    stem = file.rsplit(".", 1)[0]
    top = len(dirs)
    while top > 0 and is_package("/".join(dirs[:top])):
        top -= 1
    package = dirs[top:]
    if not package:
        package = dirs[1:] if dirs[:1] == ["src"] else dirs
    parts = [*package, stem] if stem != "__init__" else package
    return ".".join(parts) if parts else stem


class ParsedModule:
    """One file version parsed for deprecation questions (cache it per blob)."""

    def __init__(
        self,
        module: str,
        package: str,
        bindings: dict[str, str],
        functions: dict[str, python.FunctionTree],
        reason: str | None,
    ) -> None:
        self.module = module
        """The dotted module the file is imported as."""
        self.package = package
        """The package relative imports resolve against."""
        self.bindings = bindings
        """Module-level names bound by imports, to what they name."""
        self.functions = functions
        """Each function's syntax tree by qualified name (as the index names them)."""
        self.reason = reason
        """Why the version cannot be read exactly, if it cannot."""


def parse_module(data: bytes, module: str, *, is_package: bool = False) -> ParsedModule:
    """Parse a file version exactly (with :mod:`ast`); a version it rejects has a reason.

    Args:
        data: the file's bytes.
        module: the dotted module the file is imported as (see :func:`module_name`).
        is_package: whether the file is a package's ``__init__.py``.

    """
    package = module if is_package else module.rpartition(".")[0]
    try:
        tree = python.parse_quietly(data)  # one thread at a time, its warnings silenced
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        where = f" line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
        reason = f"the version does not parse exactly (syntax error{where})"
        return ParsedModule(module, package, {}, {}, reason)
    trees = python.function_trees(data, max_bytes=len(data) + 1)
    functions = {span.qualname: tree for span, tree in trees or ()}
    bindings: dict[str, str] = {}
    _bind(_module_imports(tree.body), package, bindings)
    return ParsedModule(module, package, bindings, functions, None)


def deprecation(
    parsed: ParsedModule,
    ref: FunctionRef,
    prefixes: Sequence[str],
    *,
    commit: str | None,
) -> Deprecation:
    """Whether the function ``ref`` of a parsed file version is deprecated code.

    Args:
        parsed: the file version (see :func:`parse_module`).
        ref: the function, as the index names it in that version.
        prefixes: deprecated module prefixes (``myapp.legacy``).
        commit: the commit the version was read at (recorded in the answer).

    """
    prefixes = tuple(prefixes)
    node = parsed.functions.get(ref.qualname)
    if node is None:
        reason = parsed.reason or f"{ref.qualname} is not defined in that version"
        return Deprecation(ref, commit, None, (), (), None, prefixes, reason)
    scope = dict(parsed.bindings)
    for enclosing in _enclosing(parsed, ref.qualname):
        scope = _scope_of(enclosing, scope, parsed.package)
    uses = _Uses(parsed.package)
    for decorator in node.decorator_list:
        uses.visit(decorator, scope)
    for default in [*node.args.defaults, *node.args.kw_defaults]:
        if default is not None:
            uses.visit(default, scope)
    local = _scope_of(node, scope, parsed.package)
    for arg in ast.walk(node.args):
        if isinstance(arg, ast.arg) and arg.annotation is not None:
            uses.visit(arg.annotation, scope)
    if node.returns is not None:
        uses.visit(node.returns, scope)
    for stmt in node.body:
        uses.visit(stmt, local)
    touches = sorted(
        {
            DeprecatedName(name, line, prefix)
            for name, line in uses.names
            if (prefix := matching_prefix(name, prefixes)) is not None
        },
        key=lambda t: (t.line, t.name),
    )
    marks = sorted(_marks(node, scope, local), key=lambda m: (m.line, m.kind))
    within = matching_prefix(parsed.module, prefixes)
    deprecated = bool(touches) or within is not None or any(not m.conditional for m in marks)
    return Deprecation(
        ref, commit, deprecated, tuple(marks), tuple(touches), within, prefixes, None
    )


# --- name binding ------------------------------------------------------------------------


def _module_imports(stmts: Sequence[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Imports outside functions and classes (inside ``if``/``try`` blocks too)."""
    out: list[ast.Import | ast.ImportFrom] = []
    for stmt in stmts:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            out.append(stmt)
        elif not isinstance(stmt, _SCOPES):
            for block in _blocks(stmt):
                out.extend(_module_imports(block))
    return out


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(stmt, f, None) or [] for f in ("body", "orelse", "finalbody")]
    blocks += [h.body for h in getattr(stmt, "handlers", ())]
    blocks += [c.body for c in getattr(stmt, "cases", ())]
    return blocks


def _local_imports(node: python.FunctionTree) -> list[ast.Import | ast.ImportFrom]:
    """Imports of a function's own scope (not of the functions and classes inside)."""
    return _module_imports(node.body)


def _scope_of(node: python.FunctionTree, outer: dict[str, str], package: str) -> dict[str, str]:
    """The names a function's body sees: its parameters shadow, its imports bind."""
    args = node.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    scope = {k: v for k, v in outer.items() if k not in {a.arg for a in params if a}}
    _bind(_local_imports(node), package, scope)
    return scope


def _enclosing(parsed: ParsedModule, qualname: str) -> list[python.FunctionTree]:
    """The functions enclosing ``qualname``, outermost first (classes skipped)."""
    parts = qualname.split(".<locals>.")
    out = []
    for i in range(1, len(parts)):
        node = parsed.functions.get(".<locals>.".join(parts[:i]))
        if node is not None:
            out.append(node)
    return out


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    """The module a ``from ... import`` names, relative levels resolved."""
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 >= len(parts):  # beyond the top-level package
        return None
    base = parts[: len(parts) - (node.level - 1)]
    if node.module:
        base.append(node.module)
    return ".".join(base) if base else None


def _imported(node: ast.Import | ast.ImportFrom, package: str) -> list[tuple[str | None, str]]:
    """(bound name or ``None``, full dotted name) of each name an import statement names."""
    out: list[tuple[str | None, str]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name))
            else:
                # ``import a.b`` binds ``a``; it also names ``a.b`` (the import itself).
                top = alias.name.split(".", 1)[0]
                out.append((top, top))
                if top != alias.name:
                    out.append((None, alias.name))
        return out
    base = _absolute(node, package)
    if base is None:
        return out
    for alias in node.names:
        if alias.name == "*":
            out.append((None, base))
            continue
        full = f"{base}.{alias.name}" if base else alias.name
        out.append((alias.asname or alias.name, full))
    return out


def _bind(
    imports: Iterable[ast.Import | ast.ImportFrom], package: str, scope: dict[str, str]
) -> None:
    for node in imports:
        scope.update((bound, full) for bound, full in _imported(node, package) if bound)


def _dotted(node: ast.expr, scope: dict[str, str]) -> str | None:
    """The dotted name an expression reads through the scope's imports.

    An unbound root keeps its own name (``deprecated`` stays ``deprecated``).
    """
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    root = scope.get(node.id, node.id)
    return ".".join([root, *reversed(attrs)])


class _Uses:
    """Collects every imported dotted name a subtree imports or reads, with its line."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.names: set[tuple[str, int]] = set()

    def visit(self, node: ast.AST, scope: dict[str, str]) -> None:
        stack: list[tuple[ast.AST, dict[str, str]]] = [(node, scope)]
        while stack:
            current, names = stack.pop()
            if isinstance(current, ast.Import | ast.ImportFrom):
                for _, full in _imported(current, self.package):
                    self.names.add((full, current.lineno))
                continue
            if isinstance(current, ast.Attribute | ast.Name):
                chain: ast.expr = current
                while isinstance(chain, ast.Attribute):
                    chain = chain.value
                if isinstance(chain, ast.Name) and chain.id in names:
                    dotted = _dotted(current, names)
                    if dotted is not None:
                        self.names.add((dotted, current.lineno))
                    continue
            if isinstance(current, _FUNC):
                # A nested function sees its own imports; its parameters shadow.
                inner = _scope_of(current, names, self.package)
                stack.extend((child, names) for child in current.decorator_list)
                stack.append((current.args, names))
                if current.returns is not None:
                    stack.append((current.returns, names))
                stack.extend((stmt, inner) for stmt in current.body)
                continue
            stack.extend((child, names) for child in ast.iter_child_nodes(current))


# --- marks -------------------------------------------------------------------------------


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, names: Sequence[str]) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg in names), None)


def _marks(
    node: python.FunctionTree, outer: dict[str, str], local: dict[str, str]
) -> list[DeprecationMark]:
    out: list[DeprecationMark] = []
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        name = _dotted(call.func if call else decorator, outer)
        if name is None or name.rsplit(".", 1)[-1] != "deprecated":
            continue
        message = None
        if call is not None:
            message = _literal(call.args[0] if call.args else None) or _literal(
                _keyword(call, _MESSAGE_KEYWORDS)
            )
        out.append(
            DeprecationMark(DeprecationMarkKind.DECORATOR, name, decorator.lineno, message, False)
        )
    doc = ast.get_docstring(node, clean=False)
    found = _DIRECTIVE.search(doc) if doc is not None else None
    if doc is not None and found is not None:
        # ``.. deprecated:: 2.2`` then the explanation: "2.2: Will be removed in 2.3."
        version = found.group(1).strip()
        paragraph = _PARAGRAPH_END.split(doc[found.end(1) :], 1)[0]
        rest = " ".join(paragraph.split())
        text = (f"{version}: {rest}" if version and rest else version or rest) or None
        line = node.body[0].lineno + doc[: found.start()].count("\n")
        out.append(DeprecationMark(DeprecationMarkKind.DOCSTRING, "deprecated", line, text, False))
    _warnings(node.body, local, out, conditional=False)
    return out


def _warnings(
    stmts: Sequence[ast.stmt],
    scope: dict[str, str],
    out: list[DeprecationMark],
    *,
    conditional: bool,
) -> None:
    """``warnings.warn`` calls with a deprecation category, not inside nested scopes.

    A warning is unconditional when every call reaches it: a statement of the body, or
    of the body of a ``with`` or ``try`` at that level.
    """
    for stmt in stmts:
        if isinstance(stmt, _SCOPES):
            continue
        for child in _expressions(stmt):
            for sub in _walk_expression(child):
                if isinstance(sub, ast.Call):
                    mark = _warning(sub, scope, conditional=conditional)
                    if mark is not None:
                        out.append(mark)
        straight = isinstance(stmt, ast.With | ast.AsyncWith | ast.Try | ast.TryStar)
        for i, block in enumerate(_blocks(stmt)):
            # blocks are body, orelse, finalbody, handlers..., cases...
            reached = straight and (i == 0 or (i == 2 and not isinstance(stmt, ast.With)))
            _warnings(block, scope, out, conditional=conditional or not reached)


def _expressions(stmt: ast.stmt) -> list[ast.expr]:
    """The expressions of a statement itself, not of its nested blocks."""
    out: list[ast.expr] = []
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        if isinstance(value, ast.expr):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.expr))
            out.extend(i.context_expr for i in value if isinstance(i, ast.withitem))
    return out


def _walk_expression(node: ast.expr) -> Iterable[ast.AST]:
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, ast.Lambda):
            stack.extend(ast.iter_child_nodes(current))


def _warning(call: ast.Call, scope: dict[str, str], *, conditional: bool) -> DeprecationMark | None:
    if _dotted(call.func, scope) not in _WARN:
        return None
    first = call.args[0] if call.args else _keyword(call, ("message",))
    category = call.args[1] if len(call.args) > 1 else _keyword(call, ("category",))
    message = _literal(first)
    if category is None and isinstance(first, ast.Call):
        # The category given as an instance: warn(DeprecationWarning("message")).
        category = first.func
        message = _literal(first.args[0] if first.args else None)
    name = _dotted(category, scope) if category is not None else None
    if name is None or not DEPRECATION_CATEGORY.search(name.rsplit(".", 1)[-1]):
        return None
    return DeprecationMark(
        DeprecationMarkKind.WARNING, name.rsplit(".", 1)[-1], call.lineno, message, conditional
    )
