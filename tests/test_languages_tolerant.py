"""The tolerant reader: Python 2 era files through tree-sitter, and their incremental re-parse."""

from __future__ import annotations

import ast
import functools
import textwrap

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from radon.complexity import cc_visit

from loopintel.languages import python, tolerant
from loopintel.languages.layout import Layout, NodeKind
from tests.strategies import _with_body, changed, edits, git_hunks, src

# --- helpers ----------------------------------------------------------------------------


def parse(text: str) -> Layout:
    outcome = python.parse_layout(text.encode())
    assert outcome.reason is None, outcome.reason
    assert outcome.layout is not None
    return outcome.layout


def spans(text: str) -> list[tuple[str, int, int]]:
    return [(s.qualname, s.start, s.end) for s in python.function_spans(parse(text))]


def is_python3(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def incremental(old_text: str, new_text: str) -> tuple[Layout | None, Layout | None]:
    """(update_layout's answer, the whole-file parse) for one edit."""
    old = parse(old_text)
    assert old.tolerant
    hunks = git_hunks(old_text.split("\n"), new_text.split("\n"))
    updated = python.update_layout(old, hunks, new_text.split("\n"))
    return updated, python.parse_layout(new_text.encode()).layout


# --- Python 2 files through parse_layout -------------------------------------------------

LEGACY = src("""
    import os


    def report(items):
        print "items:", len(items)
        print >>sys.stderr, "done"


    class Legacy(object):
        mode = 0777

        def load(self, path):
            try:
                return open(path).read()
            except IOError, e:
                print `e`
                raise

        def run(self, code):
            exec code in {}
            def inner():
                print "inner"
            return inner
        # trailing comment
    """)

LEGACY_SPANS = [
    ("report", 4, 6),
    ("Legacy.load", 12, 17),
    ("Legacy.run", 19, 23),
    ("Legacy.run.<locals>.inner", 21, 22),
]


def test_python2_module_is_read_by_the_tolerant_reader() -> None:
    assert not is_python3(LEGACY)
    layout = parse(LEGACY)
    assert layout.tolerant is True
    assert spans(LEGACY) == LEGACY_SPANS


def test_python2_nodes() -> None:
    imp, report, cls = parse(LEGACY).nodes
    assert (imp.kind, imp.start, imp.end) == (NodeKind.STMT, 1, 1)
    assert (report.kind, report.name, report.start, report.end) == (NodeKind.DEF, "report", 4, 6)
    assert (cls.kind, cls.name, cls.start, cls.end) == (NodeKind.CLASS, "Legacy", 9, 23)
    assert [(c.kind, c.start, c.end) for c in cls.children] == [
        (NodeKind.STMT, 10, 10),
        (NodeKind.DEF, 12, 17),
        (NodeKind.DEF, 19, 23),
    ]


def test_python2_crlf_file() -> None:
    assert spans(LEGACY.replace("\n", "\r\n")) == LEGACY_SPANS


@pytest.mark.parametrize(
    "statement",
    [
        'print "x"',
        "print >>sys.stderr, x",
        "print",
        "x = `y`",
        "x = 0777",
        "x = 10L",
        "x = 1 <> 2",
        "exec 'x = 1'",
        "exec code in namespace",
        "raise E, 'message'",
        "try:\n    pass\nexcept E, e:\n    pass",
    ],
)
def test_each_python2_construct_keeps_the_function(statement: str) -> None:
    text = "def before():\n    pass\n\ndef f():\n" + textwrap.indent(statement, "    ") + "\n"
    assert spans(text) == [("before", 1, 2), ("f", 4, 4 + statement.count("\n") + 1)]


def test_python2_qualnames_follow_the_same_rules() -> None:
    text = src("""
        if PY2:
            def compat():
                print "two"
        else:
            def compat():
                pass

        class C:
            @property
            def value(self):
                return `self._v`

            @value.setter
            def value(
                self, v
            ):
                self._v = v
                # trailing comment

            try:
                def loads(self): pass
            except ImportError, e:
                pass

        @decorator(
            1,
        )
        def outer():
            class Local:
                def m(self):
                    print "m"
            def inner(): return 0777
            return inner
        """)
    assert not is_python3(text)
    assert spans(text) == [
        ("compat", 2, 3),
        ("compat#2", 5, 6),
        ("C.value", 9, 11),
        ("C.value#setter", 13, 17),
        ("C.loads", 21, 21),
        ("outer", 25, 33),
        ("outer.<locals>.Local.m", 30, 31),
        ("outer.<locals>.inner", 32, 32),
    ]


def test_tolerant_reader_numbers_try_handler_duplicates_in_source_order() -> None:
    text = src("""
        try:
            def f(): print "a"
        except ImportError, e:
            def f(): print "b"
        else:
            def f(): print "c"
        """)
    assert spans(text) == [("f", 2, 2), ("f#2", 4, 4), ("f#3", 6, 6)]


def test_file_both_readers_reject_is_a_syntax_error_skip() -> None:
    outcome = python.parse_layout(b'def f():\n    print "x"\n\ndef g(:\n')
    assert outcome.layout is None
    assert outcome.reason is not None
    assert outcome.reason.startswith("syntax error")


# --- the tolerant module directly --------------------------------------------------------


def test_parse_layout_returns_a_reason_on_errors() -> None:
    layout, reason = tolerant.parse_layout(b"def f(:\n")
    assert layout is None
    assert reason
    layout, reason = tolerant.parse_layout(b"def f():\n    pass\n")
    assert layout is not None
    assert layout.tolerant
    assert reason == ""


def test_parse_region_at_top_level() -> None:
    nodes = tolerant.parse_region('x = 1\n\ndef f():\n    print "x"\n', wrapped=False)
    assert nodes is not None
    assert [(n.kind, n.name, n.start, n.end) for n in nodes] == [
        (NodeKind.STMT, "", 1, 1),
        (NodeKind.DEF, "f", 3, 4),
    ]


def test_parse_region_rejects_an_indented_top_level_region() -> None:
    assert tolerant.parse_region('  print "x"\n', wrapped=False) is None


def test_parse_region_of_class_body_statements() -> None:
    nodes = tolerant.parse_region('    def m(self):\n        print "x"\n    y = 1\n', wrapped=True)
    assert nodes is not None
    # line numbers count the "if 1:" wrapper as line 1
    assert [(n.kind, n.name, n.start, n.end) for n in nodes] == [
        (NodeKind.DEF, "m", 2, 3),
        (NodeKind.STMT, "", 4, 4),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "    y = 1\nelse:\n    pass\n",  # would attach to the wrapper
        "        y = 1\n    z = 1\n",  # inconsistent dedent
        "    y = 1\nz = 2\n",  # a statement escaping the class body
        "    def m(self:\n",  # an error
    ],
)
def test_parse_region_rejects_class_regions_that_do_not_stand_alone(text: str) -> None:
    assert tolerant.parse_region(text, wrapped=True) is None


# --- incremental re-parse of tolerant layouts --------------------------------------------


@pytest.mark.parametrize(
    ("name", "new_text"),
    [
        ("change a line in a method", LEGACY.replace("print `e`", 'print "error", `e`')),
        (
            "grow a method",
            LEGACY.replace("exec code in {}", "exec code in {}\n        print 'ran'"),
        ),
        (
            "add a method",
            LEGACY.replace(
                "    def run(self", "    def stop(self):\n        print 'stop'\n\n    def run(self"
            ),
        ),
        ("change a module function", LEGACY.replace('"done"', '"finished"')),
        ("add a module function", LEGACY + "\ndef extra():\n    print 'extra'\n"),
    ],
)
def test_common_python2_edits_take_the_fast_path(name: str, new_text: str) -> None:
    updated, whole = incremental(LEGACY, new_text)
    assert updated is not None, name
    assert whole is not None
    assert whole.tolerant
    assert updated == whole


def test_a_file_read_tolerantly_keeps_its_reader_after_a_port() -> None:
    # Documented: the tolerant reader keeps updating a file it read; the spans are
    # those of the exact parse all the same.
    old_text = 'def f():\n    print "x"\n\ndef g():\n    return 1\n'
    new_text = 'def f():\n    print("x")\n\ndef g():\n    return 1\n'
    updated, whole = incremental(old_text, new_text)
    assert whole is not None
    assert whole.tolerant is False
    assert updated is not None
    assert updated.tolerant
    assert updated.nodes == whole.nodes


def test_python3_regions_of_a_tolerant_file_come_with_their_syntax_trees() -> None:
    # The exact parser reads what it can of a tolerant file, so the facts of a
    # function it read need no second parse; the tolerant reader takes the rest.
    old_text = 'def f():\n    print "x"\n\ndef g():\n    return 1\n'
    new_text = 'def f():\n    print "y"\n\ndef g():\n    return 2\n'
    keep: dict[int, python.FunctionTree] = {}
    hunks = git_hunks(old_text.split("\n"), new_text.split("\n"))
    updated = python.update_layout(parse(old_text), hunks, new_text.split("\n"), keep=keep)
    assert updated is not None
    assert updated == parse(new_text)
    assert set(keep) == {4}
    assert python.facts_of_node(keep[4]) == python.facts("def g():\n    return 2")


NAMES = st.sampled_from(["f", "g", "run"])
PY3_SIMPLE = [
    "x = 1",
    "return y",
    "pass",
    "y = (1,\n     2)",
    "s = '''\ntext\n  '''",
    "z = 1 + \\\n    2",
]
PY2_SIMPLE = [
    'print "x"',
    "print >>f, x",
    "y = `x`",
    "m = 0777",
    "exec 'x = 1'",
    "try:\n    pass\nexcept E, e:\n    pass",
]


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line if line else line for line in lines]


# Cached by arguments: Hypothesis then checks each strategy object once instead of at
# every draw (tuples make the sampled_from calls cacheable too). Same examples, faster.
@functools.cache
@st.composite
def statements(draw: st.DrawFn, depth: int, py2: bool) -> list[str]:
    simple = tuple(PY3_SIMPLE + (PY2_SIMPLE if py2 else []))
    kinds = ("simple", "simple", "comment") + (("def", "if", "class") if depth < 2 else ())
    kind = draw(st.sampled_from(kinds))
    if kind == "simple":
        return draw(st.sampled_from(simple)).split("\n")
    if kind == "comment":
        return [draw(st.sampled_from(("# note", "", "    # indented note")))]
    if kind == "def":
        return draw(functions(depth, py2))
    if kind == "class":
        members = draw(
            st.lists(
                st.one_of(functions(depth + 1, py2), statements(depth + 1, py2)),
                min_size=1,
                max_size=4,
            )
        )
        body = _with_body([line for member in members for line in member])
        return [f"class {draw(st.sampled_from(('C', 'D')))}(object):", *_indent(body)]
    out = ["if cond:", *_indent(draw(functions(depth, py2)))]
    if draw(st.booleans()):
        out += ["else:", *_indent(draw(functions(depth, py2)))]
    return out


@functools.cache
@st.composite
def functions(draw: st.DrawFn, depth: int, py2: bool) -> list[str]:
    head = draw(st.lists(st.sampled_from(("@dec", "@dec.attr(1,", "@property")), max_size=2))
    head = [line for d in head for line in ([d, "    2)"] if d.endswith(",") else [d])]
    name = draw(NAMES)
    if draw(st.integers(0, 4)) == 0:
        return [*head, f"def {name}(a): return a"]
    head.append(f"def {name}(self, a):")
    parts = draw(st.lists(statements(depth + 1, py2), min_size=1, max_size=4))
    doc = ['"""Doc."""'] if draw(st.booleans()) else []
    return head + _indent(doc + _with_body([line for part in parts for line in part]))


def modules(py2: bool) -> st.SearchStrategy[list[str]]:
    return st.lists(statements(0, py2), min_size=1, max_size=5).map(
        lambda parts: [line for part in parts for line in part]
    )


EDIT_POOL = [
    "    x = 2",
    "        y = 3",
    "x = 0",
    "# comment",
    "    # comment",
    "",
    "if x:",
    "    if x:",
    "@dec",
    "    @dec",
    "def k():",
    "    def k(self):",
    "        pass",
    "    pass",
    "pass",
    '"""',
    "class K:",
    "else:",
    "    else:",
    "elif x:",
    "z = (",
    ")",
    "y = 1 + \\",
    "\tx = 1",
    'print "x"',
    '    print "y"',
    "        print >>f, `z`",
    "    exec code",
    "def f(): print 0777",
]


def _comment_after_decorator(lines: list[str]) -> bool:
    """Whether a comment-only line stands between a decorator and what it decorates."""
    code = [(i, line.strip()) for i, line in enumerate(lines) if line.strip()]
    for k, (_, text) in enumerate(code):
        if not text.startswith("#") or k == 0:
            continue
        before = code[k - 1][1]
        after = next((t for _, t in code[k + 1 :] if not t.startswith("#")), "")
        decorated = after.startswith(("def ", "class ", "async def ", "@"))
        if decorated and (before.startswith("@") or before.endswith(")")):
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), eol=st.sampled_from(["\n", "\r\n"]))
def test_update_layout_of_python2_equals_a_whole_parse(data: st.DataObject, eol: str) -> None:
    old = ['print "python 2"', *data.draw(modules(py2=True), label="old")]
    old_text = eol.join(old) + eol
    old_layout = parse(old_text)
    assert old_layout.tolerant
    new = data.draw(edits(old, EDIT_POOL), label="new")
    # The one known disagreement, kept as the xfail test below: a comment between a
    # decorator and its def, which the whole tolerant parse refuses.
    assume(not _comment_after_decorator(new))
    new_text = eol.join(new) + eol
    new_lines = new_text.split("\n")
    hunks = git_hunks(old_text.split("\n"), new_lines)
    note(f"old:\n{old_text}\nnew:\n{new_text}\nhunks: {hunks}")
    updated = python.update_layout(old_layout, hunks, new_lines)
    if updated is None:
        return
    whole = python.parse_layout(new_text.encode()).layout
    assert whole is not None
    assert python.function_spans(updated) == python.function_spans(whole)
    assert updated.nodes == whole.nodes
    if whole.tolerant:  # see test_porting_the_last_python2_statement_updates_the_tolerant_flag
        assert updated == whole


@pytest.mark.xfail(
    strict=True,
    reason="update_layout answers an edit whose whole-file parse the tolerant reader refuses",
)
def test_a_comment_between_decorator_and_def_is_read_as_a_whole_parse_reads_it() -> None:
    # Found by the property above: the whole parse of the new version fails ("tolerant
    # parse found errors too"), the incremental one gives its functions, so the index
    # would depend on which path read the file.
    old_text = src(
        """
        print "python 2"
        if cond:
            @dec
            def f(a): return a
        """
    )
    new_text = old_text.replace("    @dec\n", "    @dec\n# comment\n")
    updated, whole = incremental(old_text, new_text)
    assert updated is None or (whole is not None and updated.nodes == whole.nodes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(module=modules(py2=False), eol=st.sampled_from(["\n", "\r\n"]))
def test_both_readers_agree_on_python3_files(module: list[str], eol: str) -> None:
    data = (eol.join(module) + eol).encode()
    exact = python.parse_layout(data).layout
    assert exact is not None
    assert not exact.tolerant
    layout, reason = tolerant.parse_layout(data)
    assert layout is not None, reason
    assert layout.nodes == exact.nodes


# --- facts of Python 2 functions ----------------------------------------------------------

FUNCTION = src('''
    @register(
        "name",
    )
    def handle(self, request, retries=3):
        """Handle one request."""
        result = self.call(request,
                           retries)
        if result is None:
            print >>sys.stderr, "empty"
            return `request`
        return result
    ''')


def test_python2_facts_come_from_the_tolerant_reader() -> None:
    assert not is_python3(FUNCTION)
    found = python.facts(FUNCTION)
    assert found == tolerant.facts(FUNCTION)
    assert found.name == "handle"
    assert found.complexity == 2


@pytest.mark.parametrize(
    ("name", "after"),
    [
        (
            "reindent continuation lines",
            FUNCTION.replace("                           retries)", "        retries)"),
        ),
        (
            "join continuation lines",
            FUNCTION.replace("request,\n                           retries", "request, retries"),
        ),
        (
            "comments and blank lines",
            FUNCTION.replace(
                "    if result is None:", "\n    # check\n\n    if result is None:  # why"
            ),
        ),
        ("decorator layout", FUNCTION.replace('@register(\n    "name",\n)', '@register("name",)')),
        ("indented as a method", textwrap.indent(FUNCTION, "    ")),
        ("crlf", FUNCTION.replace("\n", "\r\n")),
    ],
)
def test_python2_cosmetic_edits_keep_every_digest(name: str, after: str) -> None:
    assert changed(FUNCTION, after) == set(), name


def test_python2_backslash_continuation_is_cosmetic() -> None:
    after = FUNCTION.replace("if result is None:", "if result is \\\n            None:")
    assert changed(FUNCTION, after) == set()


@pytest.mark.parametrize(
    ("after", "field"),
    [
        (FUNCTION.replace("return result", "return result or None"), "body"),
        (FUNCTION.replace('"empty"', '"nothing"'), "body"),
        (FUNCTION.replace("print >>sys.stderr, ", "print "), "body"),
        (FUNCTION.replace("retries=3", "retries=4"), "signature"),
        (FUNCTION.replace(", retries=3", ""), "signature"),
        (FUNCTION.replace('"name"', '"other"'), "decorators"),
        ("@cached\n" + FUNCTION, "decorators"),
        (FUNCTION.replace("Handle one request.", "Handle a request."), "docstring"),
        (FUNCTION.replace('    """Handle one request."""\n', ""), "docstring"),
        (FUNCTION.replace("def handle", "def process"), "name"),
    ],
)
def test_each_kind_of_python2_change_moves_exactly_its_digest(after: str, field: str) -> None:
    assert changed(FUNCTION, after) == {field}


def test_tolerant_facts_of_text_that_is_not_a_function() -> None:
    found = tolerant.facts('print "x"\n')
    assert found.name == "?"
    assert found.complexity is None
    assert found.body != tolerant.facts('print "y"\n').body


def radon_complexity(text: str) -> int:
    (block,) = [b for b in cc_visit(text) if b.name == "f"]
    return int(block.complexity)


@pytest.mark.parametrize(
    "text",
    [
        "def f(a):\n    return a\n",
        "def f(a):\n    if a:\n        pass\n    elif a > 1:\n        pass\n    else:\n        pass\n",
        "def f(a, b, c):\n    return a and b and c or (a or b)\n",
        "def f(a):\n    return 1 if a else 2\n",
        "def f(a):\n    return [i for i in a if i if i > 1], {k: v for k in a for v in k}\n",
        "def f():\n    try:\n        pass\n    except A:\n        pass\n    except B:\n        pass\n    else:\n        pass\n    finally:\n        pass\n",
        "def f(a):\n    for x in a:\n        pass\n    else:\n        pass\n    while a:\n        pass\n",
        "def f(a):\n    with a:\n        pass\n",
        "def f(a):\n    assert a\n",
        "def f(a):\n    match a:\n        case 1:\n            pass\n        case _:\n            pass\n",
        "def f(a):\n    def g(b):\n        if b:\n            return 1\n    class K:\n        def m(self):\n            return 1 if a else 2\n    return g\n",
        "@dec(a if b else c)\ndef f(x=(1 if y else 2)):\n    return x\n",
        pytest.param(
            "def f(a):\n    g = lambda x: x if x else a\n    return g\n",
            id="lambda",
        ),
        pytest.param(
            "def f(a, b):\n    assert a and b\n",
            id="assert-with-and",
        ),
        pytest.param(
            "def f(a):\n    match a:\n        case 1:\n            pass\n        case other:\n            pass\n",
            id="match-capture",
        ),
        pytest.param(
            "def f(a):\n    match a:\n        case 1 if a:\n            pass\n        case _:\n            pass\n",
            id="match-guard",
        ),
        pytest.param(
            "def f():\n    try:\n        pass\n    except* E:\n        pass\n",
            id="except-star",
        ),
    ],
)
def test_tolerant_complexity_follows_radon(text: str) -> None:
    assert tolerant.facts(text).complexity == radon_complexity(text)
