"""The exact Python reader: spans, qualified names, the incremental re-parse, facts."""

from __future__ import annotations

import functools
import textwrap
import threading
import warnings

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from radon.complexity import cc_visit

from loopintel.languages import python
from loopintel.languages.layout import Facts, Layout, NodeKind, Span
from tests.strategies import _with_body, changed, edits, git_hunks, src

# --- helpers ----------------------------------------------------------------------------


def parse(text: str | bytes, *, max_bytes: int = python.MAX_FILE_BYTES) -> Layout:
    data = text.encode() if isinstance(text, str) else text
    outcome = python.parse_layout(data, max_bytes=max_bytes)
    assert outcome.reason is None, outcome.reason
    assert outcome.layout is not None
    return outcome.layout


def spans(text: str | bytes) -> list[tuple[str, int, int]]:
    return [(s.qualname, s.start, s.end) for s in python.function_spans(parse(text))]


def incremental(old_text: str, new_text: str) -> tuple[Layout | None, Layout | None]:
    """(update_layout's answer, the whole-file parse) for one edit."""
    old = parse(old_text)
    hunks = git_hunks(old_text.split("\n"), new_text.split("\n"))
    updated = python.update_layout(old, hunks, new_text.split("\n"))
    return updated, python.parse_layout(new_text.encode()).layout


def radon_complexity(text: str, name: str = "f") -> int:
    (block,) = [b for b in cc_visit(textwrap.dedent(text)) if b.name == name]
    return int(block.complexity)


# --- spans and qualified names ----------------------------------------------------------


def test_module_functions_methods_and_nested_definitions() -> None:
    text = src('''
        import os


        def top(a):
            return a


        class Box:
            """Doc."""

            def __init__(self):
                self.x = 1

            def method(self):
                def helper():
                    return 2

                return helper()

            class Inner:
                def deep(self):
                    pass


        def outer():
            class Local:
                def inner_method(self):
                    pass

            def inner():
                def innermost():
                    pass

                return innermost

            return inner
        ''')
    assert spans(text) == [
        ("top", 4, 5),
        ("Box.__init__", 11, 12),
        ("Box.method", 14, 18),
        ("Box.method.<locals>.helper", 15, 16),
        ("Box.Inner.deep", 21, 22),
        ("outer", 25, 36),
        ("outer.<locals>.Local.inner_method", 27, 28),
        ("outer.<locals>.inner", 30, 34),
        ("outer.<locals>.inner.<locals>.innermost", 31, 32),
    ]


def test_layout_nodes_of_a_small_module() -> None:
    text = src("""
        x = 1
        class C:
            y = 2
            def m(self):
                if y:
                    def g(): pass
        """)
    (stmt, cls) = parse(text).nodes
    assert (stmt.kind, stmt.start, stmt.end, stmt.children) == (NodeKind.STMT, 1, 1, ())
    assert (cls.kind, cls.name, cls.start, cls.end) == (NodeKind.CLASS, "C", 2, 6)
    attr, method = cls.children
    assert (attr.kind, attr.start, attr.end) == (NodeKind.STMT, 3, 3)
    assert (method.kind, method.name, method.start, method.end) == (NodeKind.DEF, "m", 4, 6)
    (g,) = method.children
    assert (g.kind, g.name, g.start, g.end, g.children) == (NodeKind.DEF, "g", 6, 6, ())


def test_async_one_line_and_multi_line_decorated_definitions() -> None:
    text = src("""
        async def fetch(url):
            await get(url)

        def one(): return 1

        @decorator(
            option=True,
        )
        @other
        # a comment between decorator and def
        async def decorated(
            a,
            b,
        ) -> int:
            return (
                a
                + b
            )

        class K:
            def short(self): return 2
            @staticmethod
            def stat(): pass
        """)
    assert spans(text) == [
        ("fetch", 1, 2),
        ("one", 4, 4),
        ("decorated", 6, 18),
        ("K.short", 21, 21),
        ("K.stat", 22, 23),
    ]


def test_span_ends_at_last_statement_not_at_trailing_comments() -> None:
    text = src("""
        def f():
            x = 1
            # trailing comment

                # deeper comment

        def g():
            s = '''
        text
        '''
            # comment
        """)
    assert spans(text) == [("f", 1, 2), ("g", 7, 10)]


def test_functions_in_control_flow_blocks_keep_their_container_prefix() -> None:
    text = src("""
        if sys.version_info >= (3,):
            def compat():
                return 3
        else:
            def compat():
                return 2

        class Conf:
            try:
                def load(self):
                    pass
            finally:
                pass
            if DEBUG:
                @staticmethod
                def trace():
                    pass
            for name in names:
                with ctx:
                    def looped(self):
                        pass

        def host():
            while True:
                def retry():
                    pass
                match x:
                    case 1:
                        def handler():
                            pass
        """)
    assert spans(text) == [
        ("compat", 2, 3),
        ("compat#2", 5, 6),
        ("Conf.load", 10, 11),
        ("Conf.trace", 15, 17),
        ("Conf.looped", 20, 21),
        ("host", 23, 30),
        ("host.<locals>.retry", 25, 26),
        ("host.<locals>.handler", 29, 30),
    ]


def test_duplicate_qualnames_are_numbered_in_source_order() -> None:
    text = src("""
        class P:
            @property
            def value(self):
                return self._v

            @value.setter
            def value(self, v):
                self._v = v

        @overload
        def parse(x: int) -> int: ...
        @overload
        def parse(x: str) -> str: ...
        def parse(x):
            def norm(y):
                return y
            return norm(x)

        def value():
            pass

        def a():
            def g(): pass

        def b():
            def g(): pass
        """)
    assert spans(text) == [
        ("P.value", 2, 4),
        ("P.value#setter", 6, 8),
        ("parse#overload", 10, 11),
        ("parse#overload2", 12, 13),
        ("parse", 14, 17),
        ("parse.<locals>.norm", 15, 16),
        ("value", 19, 20),
        ("a", 22, 23),
        ("a.<locals>.g", 23, 23),
        ("b", 25, 26),
        ("b.<locals>.g", 26, 26),
    ]


def test_nested_function_of_a_duplicate_is_named_after_the_duplicate() -> None:
    text = src("""
        def f():
            def g(): pass
        def f():
            def g(): pass
            def g(): pass
        class C:
            def m(self): pass
        class C:
            def m(self): pass
        """)
    assert [s[0] for s in spans(text)] == [
        "f",
        "f.<locals>.g",
        "f#2",
        "f#2.<locals>.g",
        "f#2.<locals>.g#2",
        "C.m",
        "C.m#2",
    ]


def test_duplicates_in_try_handlers_are_numbered_in_source_order() -> None:
    text = src("""
        try:
            def f(): pass
        except ImportError:
            def f(): pass
        else:
            def f(): pass
        """)
    assert spans(text) == [("f", 2, 2), ("f#2", 4, 4), ("f#3", 6, 6)]


def test_parenthesised_multi_line_decorator_starts_the_span() -> None:
    text = src("""
        @(
            decorator
        )
        def f():
            pass
        """)
    assert spans(text) == [("f", 1, 5)]


# --- bytes, encodings and skips ---------------------------------------------------------

SAMPLE = src("""
    def f():
        return 1

    class C:
        def m(self):
            return 2
    """)


def test_crlf_file_has_the_same_spans_as_lf() -> None:
    assert spans(SAMPLE.replace("\n", "\r\n")) == spans(SAMPLE) == [("f", 1, 2), ("C.m", 5, 6)]


def test_latin1_coding_cookie_with_non_ascii_bytes() -> None:
    text = "# -*- coding: latin-1 -*-\n" + SAMPLE.replace("return 1", "return 'caf\xe9'")
    data = text.encode("latin-1")
    assert b"\xe9" in data
    assert spans(data) == [("f", 2, 3), ("C.m", 6, 7)]
    assert python.decode(data) == (text, True)


def test_utf8_bom_is_stripped_and_lines_are_unchanged() -> None:
    data = b"\xef\xbb\xbf" + SAMPLE.encode()
    assert spans(data) == [("f", 1, 2), ("C.m", 5, 6)]
    assert python.decode(data) == (SAMPLE, True)


def test_undecodable_bytes_survive_as_surrogate_escapes() -> None:
    data = b"x = '\xff'\n"
    text, clean = python.decode(data)
    assert not clean
    assert text == "x = '\udcff'\n"
    assert text.encode("utf-8", "surrogateescape") == data


def test_lone_cr_does_not_shift_line_numbers_off_git_lines() -> None:
    # git sees three lines; Python alone would see four.
    data = b"# a comment\rwith a lone CR\ndef f():\n    return 1\n"
    assert spans(data) == [("f", 2, 3)]


def test_nul_bytes_are_reported_as_binary() -> None:
    outcome = python.parse_layout(b"def f():\n    return '\0'\n")
    assert outcome.layout is None
    assert outcome.reason is not None
    assert "binary" in outcome.reason


def test_too_large_versions_are_skipped_with_a_reason() -> None:
    data = SAMPLE.encode()
    outcome = python.parse_layout(data, max_bytes=len(data) - 1)
    assert outcome.layout is None
    assert outcome.reason is not None
    assert "too large" in outcome.reason
    assert str(len(data)) in outcome.reason
    assert python.parse_layout(data, max_bytes=len(data)).layout is not None


def test_syntax_error_that_tree_sitter_also_rejects() -> None:
    outcome = python.parse_layout(b"def ok():\n    pass\n\ndef f(:\n    pass\n")
    assert outcome.layout is None
    assert outcome.reason is not None
    assert "syntax error" in outcome.reason
    assert "line 4" in outcome.reason


def test_valid_python3_is_read_by_the_exact_parser() -> None:
    assert parse(SAMPLE).tolerant is False


def test_segment_is_the_text_of_a_span() -> None:
    lines = SAMPLE.split("\n")
    assert python.segment(lines, Span("C.m", 5, 6)) == "    def m(self):\n        return 2"
    assert python.segment(lines, Span("f", 1, 1)) == "def f():"


# --- incremental re-parse: examples ------------------------------------------------------

CLASS_MODULE = src('''
    """Module."""

    import os


    class Service:
        """A service."""

        timeout = 3

        def start(self):
            self.running = True
            return self

        def stop(self):
            self.running = False

        @property
        def state(self):
            return self.running


    def helper(x):
        return x * 2


    def main():
        Service().start()
    ''')


def edit(text: str, old_line: str, new_lines: str) -> str:
    assert text.count(old_line) == 1
    return text.replace(old_line, new_lines)


@pytest.mark.parametrize(
    ("name", "new_text"),
    [
        (
            "change a line inside a method",
            edit(CLASS_MODULE, "self.running = False", "self.running = None"),
        ),
        (
            "grow a method",
            edit(
                CLASS_MODULE,
                "self.running = False",
                "self.running = False\n        if self.pool:\n            self.pool.close()",
            ),
        ),
        (
            "add a method between methods",
            edit(
                CLASS_MODULE,
                "    @property\n",
                "    def pause(self):\n        pass\n\n    @property\n",
            ),
        ),
        (
            "delete a method",
            edit(CLASS_MODULE, "    def stop(self):\n        self.running = False\n\n", ""),
        ),
        (
            "change a top-level function",
            edit(CLASS_MODULE, "return x * 2", "y = x * 2\n    return y"),
        ),
        (
            "add a top-level function at the end",
            CLASS_MODULE + "\n\ndef extra():\n    return main()\n",
        ),
        (
            "add a statement right after the class",
            edit(CLASS_MODULE, "return self.running\n", "return self.running\nx = 1\n"),
        ),
        (
            "add a comment between functions",
            edit(CLASS_MODULE, "\n\ndef main", "\n# main entry\n\ndef main"),
        ),
        (
            "two hunks in two methods",
            edit(
                edit(CLASS_MODULE, "return self\n", "return None\n"),
                "return self.running",
                "return not self.running",
            ),
        ),
    ],
)
def test_common_edits_take_the_fast_path(name: str, new_text: str) -> None:
    updated, whole = incremental(CLASS_MODULE, new_text)
    assert updated is not None, name
    assert updated == whole
    assert python.function_spans(updated) == python.function_spans(whole)


def test_fast_path_shifts_the_functions_after_the_edit() -> None:
    new_text = edit(CLASS_MODULE, "self.running = True", "self.running = True\n\n\n")
    updated, _ = incremental(CLASS_MODULE, new_text)
    assert updated is not None
    before = {s.qualname: s for s in python.function_spans(parse(CLASS_MODULE))}
    after = {s.qualname: s for s in python.function_spans(updated)}
    assert after["Service.start"] == before["Service.start"]._replace(
        end=before["Service.start"].end + 3
    )
    assert after["Service.stop"].start == before["Service.stop"].start + 3
    assert after["main"].end == before["main"].end + 3


def reparsed(old_text: str, new_text: str) -> set[int]:
    """First lines of the functions whose syntax trees a fast-path update re-parsed."""
    keep: dict[int, python.FunctionTree] = {}
    hunks = git_hunks(old_text.split("\n"), new_text.split("\n"))
    updated = python.update_layout(parse(old_text), hunks, new_text.split("\n"), keep=keep)
    assert updated is not None
    assert updated == python.parse_layout(new_text.encode()).layout
    return set(keep)


def test_edits_of_a_method_and_the_next_function_reparse_only_those() -> None:
    # The last method and the function after the class are one stretch of touched
    # top-level statements; the class is still updated method by method.
    new_text = edit(
        edit(CLASS_MODULE, "return self.running\n", "return not self.running\n"),
        "return x * 2",
        "return x * 3",
    )
    lines = new_text.split("\n")
    assert reparsed(CLASS_MODULE, new_text) == {
        lines.index("    @property") + 1,
        lines.index("def helper(x):") + 1,
    }


def test_lines_appended_to_a_block_are_parsed_with_it() -> None:
    # A method added at the end of a class, before the next top-level statement: the
    # inserted lines only parse as part of the class.
    old_text = (
        "class Suite:\n    def test_a(self):\n        pass\n\n"
        "if __name__ == '__main__':\n    main()\n"
    )
    new_text = old_text.replace(
        "        pass\n\n", "        pass\n\n    def test_b(self):\n        return 2\n\n"
    )
    updated, whole = incremental(old_text, new_text)
    assert updated is not None
    assert updated == whole
    assert [s.qualname for s in python.function_spans(updated)] == [
        "Suite.test_a",
        "Suite.test_b",
    ]
    # Lines inserted before that block as well were parsed already: not twice.
    old_text = (
        "class C:\n    def a(self):\n        x = 1\n\n    def b(self):\n        y = 2\n"
        "    def c(self):\n        pass\n"
    )
    new_text = (
        "class C:\n    def a(self):\n        x = 1\n\n    def new(self):\n        pass\n\n"
        "    def b(self):\n        y = 2\n        z = 3\n"
        "    def c(self):\n        pass\n"
    )
    updated, whole = incremental(old_text, new_text)
    assert whole is not None
    assert updated is None or updated == whole
    assert [s.qualname for s in python.function_spans(whole)] == ["C.a", "C.new", "C.b", "C.c"]


def test_regions_that_parse_only_together_are_parsed_together() -> None:
    old_text = "if flag:\n    a = 1\nb = 2\n\n\ndef f():\n    return 1\n"
    new_text = "if flag:\n    a = 3\nelse:\n    b = 2\n\n\ndef f():\n    return 1\n"
    updated, whole = incremental(old_text, new_text)
    assert updated is not None
    assert updated == whole


@pytest.mark.parametrize(
    ("name", "new_text"),
    [
        (
            "indent a method into the previous one",
            edit(CLASS_MODULE, "    def stop", "        def stop"),
        ),
        (
            "dedent a method out of the class",
            edit(
                CLASS_MODULE,
                "    def stop(self):\n        self.running = False",
                "def stop(self):\n    self.running = False",
            ),
        ),
        (
            "indent a whole method into the previous one",
            edit(
                CLASS_MODULE,
                "    def stop(self):\n        self.running = False",
                "        def stop(self):\n            self.running = False",
            ),
        ),
        ("open a string", edit(CLASS_MODULE, "timeout = 3", 'timeout = """')),
        ("open a bracket", edit(CLASS_MODULE, "return x * 2", "return (x *")),
        (
            "decorator before an untouched function",
            edit(CLASS_MODULE, "def main", "@dec\ndef main"),
        ),
        (
            "else after an untouched class",
            edit(CLASS_MODULE, "\n\ndef helper", "\nelse:\n    pass\ndef helper"),
        ),
        ("statement into the last method", CLASS_MODULE + "    x = 1\n"),
        (
            "indent a top-level function into the previous one",
            edit(CLASS_MODULE, "def main():\n    Service", "    def main():\n        Service"),
        ),
    ],
)
def test_edits_that_change_statement_boundaries_are_never_answered_wrongly(
    name: str, new_text: str
) -> None:
    updated, whole = incremental(CLASS_MODULE, new_text)
    assert updated is None or updated == whole, name


def test_else_after_a_class_is_a_syntax_error() -> None:
    old_text = "class C:\n    a = 1\n    b = 2\n\nx = 1\n"
    new_text = "class C:\n    a = 1\n    b = 2\nelse:\n    pass\nx = 1\n"
    updated, whole = incremental(old_text, new_text)
    assert whole is None
    assert python.parse_layout(new_text.encode()).reason is not None
    assert updated is None


def test_no_hunks_means_no_answer() -> None:
    assert python.update_layout(parse(SAMPLE), [], SAMPLE.split("\n")) is None


def test_edit_near_a_coding_cookie_falls_back() -> None:
    old_text = "# -*- coding: latin-1 -*-\n" + SAMPLE
    new_text = "# -*- coding: utf-8 -*-\n" + SAMPLE
    updated, _ = incremental(old_text, new_text)
    assert updated is None


def test_fast_path_on_a_latin1_file_away_from_its_cookie() -> None:
    old_text = "# -*- coding: latin-1 -*-\n" + CLASS_MODULE.replace("os", "\xe9t\xe9")
    new_text = edit(old_text, "return x * 2", "return x * 3")
    old = parse(old_text.encode("latin-1"))
    new_data = new_text.encode("latin-1")
    decoded, clean = python.decode(new_data)
    assert (decoded, clean) == (new_text, True)
    hunks = git_hunks(old_text.split("\n"), new_text.split("\n"))
    updated = python.update_layout(old, hunks, decoded.split("\n"))
    assert updated is not None
    assert updated == parse(new_data)


def test_fast_path_on_a_crlf_file() -> None:
    old_text = CLASS_MODULE.replace("\n", "\r\n")
    new_text = edit(old_text, "self.running = False", "self.running = None\r\n        return 1")
    updated, whole = incremental(old_text, new_text)
    assert updated is not None
    assert updated == whole


# --- incremental re-parse: the exactness property -------------------------------------------

NAMES = st.sampled_from(["f", "g", "run", "__init__"])
SIMPLE = st.sampled_from(
    [
        "x = 1",
        "return y",
        "pass",
        "y = (1,\n     2)",
        "call(a,\n  b)",
        "s = '''\ntext\n  '''",
        "z = 1 + \\\n    2",
        "for i in r:\n    pass",
        "while 0:\n    break",
    ]
)
COMMENTS = st.sampled_from(["# note", "", "    # indented note", "#"])
DECORATORS = st.sampled_from(["@dec", "@dec.attr(1,\n    2)", "@property", "@x.setter"])


def _indent(lines: list[str], width: int = 4) -> list[str]:
    return [" " * width + line if line else line for line in lines]


def _lines(parts: list[str]) -> list[str]:
    return [line for part in parts for line in part.split("\n")]


# The strategies below are cached by depth: Hypothesis then checks each strategy object
# once instead of at every draw. The examples drawn are the same, a sixth faster.
@functools.cache
@st.composite
def statements(draw: st.DrawFn, depth: int) -> list[str]:
    kinds = ["simple", "simple", "comment"]
    if depth < 2:
        kinds += ["def", "if", "class"]
    kind = draw(st.sampled_from(tuple(kinds)))
    if kind == "simple":
        return draw(SIMPLE).split("\n")
    if kind == "comment":
        return [draw(COMMENTS)]
    if kind == "def":
        return draw(functions(depth))
    if kind == "class":
        return draw(classes(depth))
    out = ["if cond:", *_indent(draw(functions(depth)))]
    if draw(st.booleans()):
        out += ["else:", *_indent(draw(functions(depth)))]
    return out


@functools.cache
@st.composite
def functions(draw: st.DrawFn, depth: int) -> list[str]:
    head = _lines(draw(st.lists(DECORATORS, max_size=2)))
    keyword = draw(st.sampled_from(("def", "def", "async def")))
    name = draw(NAMES)
    if draw(st.integers(0, 4)) == 0:
        return [*head, f"{keyword} {name}(a): return a"]
    if draw(st.booleans()):
        head += [f"{keyword} {name}(self, a,", "        b=2):"]
    else:
        head.append(f"{keyword} {name}():")
    doc = ['"""Doc."""'] if draw(st.booleans()) else []
    body = _lines(
        ["\n".join(s) for s in draw(st.lists(statements(depth + 1), min_size=1, max_size=4))]
    )
    return head + _indent(doc + _with_body(body))


@functools.cache
@st.composite
def classes(draw: st.DrawFn, depth: int) -> list[str]:
    members = draw(
        st.lists(st.one_of(functions(depth + 1), statements(depth + 1)), min_size=1, max_size=4)
    )
    body = _with_body([line for member in members for line in member])
    return [f"class {draw(st.sampled_from(('C', 'D')))}(Base):", *_indent(body)]


modules = st.lists(statements(0), min_size=1, max_size=5).map(
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
    '    """doc',
    "class K:",
    "else:",
    "    else:",
    "    return 1",
    "z = (",
    ")",
    "y = 1 + \\",
    "\tx = 1",
    "        def deep():",
    "            return 0",
    "def f(): pass",
    "    def m(self): return 1",
]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    eol=st.sampled_from(["\n", "\n", "\r\n"]),
    final_eol=st.booleans(),
)
def test_update_layout_equals_a_whole_parse(data: st.DataObject, eol: str, final_eol: bool) -> None:
    old = data.draw(modules, label="old")
    old_text = eol.join(old) + (eol if final_eol else "")
    old_layout = parse(old_text)
    assert not old_layout.tolerant
    new = data.draw(edits(old, EDIT_POOL), label="new")
    new_text = eol.join(new) + (eol if data.draw(st.booleans()) else "")
    new_lines = new_text.split("\n")
    hunks = git_hunks(old_text.split("\n"), new_lines)
    note(f"old:\n{old_text}\nnew:\n{new_text}\nhunks: {hunks}")
    updated = python.update_layout(old_layout, hunks, new_lines)
    if updated is not None:
        whole = python.parse_layout(new_text.encode()).layout
        assert whole is not None
        assert python.function_spans(updated) == python.function_spans(whole)
        assert updated.nodes == whole.nodes
        assert updated == whole


SIMPLE_LINES = ["x = 1", "return y", "pass", "call(a, b)", "y = x + 1"]


@st.composite
def classes_with_methods(draw: st.DrawFn) -> tuple[list[str], int]:
    """A module with a class of several methods, and the line index of one body line."""
    lines = ["import os", "", "", "class Service(Base):", '    """Doc."""', ""]
    body_lines = []
    for i in range(draw(st.integers(2, 4))):
        lines.append(f"    def method_{i}(self):")
        for _ in range(draw(st.integers(1, 3))):
            body_lines.append(len(lines))
            lines.append("        " + draw(st.sampled_from(SIMPLE_LINES)))
        lines.append("")
    lines += ["", "def after():", "    return 1", ""]
    return lines, draw(st.sampled_from(body_lines))


@settings(max_examples=100, deadline=None)
@given(
    module=classes_with_methods(),
    replacement=st.lists(st.sampled_from(SIMPLE_LINES), min_size=1, max_size=3),
)
def test_editing_a_method_body_takes_the_fast_path(
    module: tuple[list[str], int], replacement: list[str]
) -> None:
    old, at = module
    new = old[:at] + ["        " + line for line in replacement] + old[at + 1 :]
    if old == new:
        return
    updated, whole = incremental("\n".join(old), "\n".join(new))
    assert updated is not None
    assert updated == whole


# --- facts ------------------------------------------------------------------------------

METHOD = src('''
    @register(
        "name",
    )
    def handle(self, request, *, retries=3) -> Response:
        """Handle one request."""
        result = self.call(request,
                           retries=retries)  # why
        if result is None:
            return Response('empty')
        return result
    ''')


@pytest.mark.parametrize(
    ("name", "after"),
    [
        (
            "reindent continuation lines",
            METHOD.replace("retries=retries)  # why", "    retries=retries)"),
        ),
        (
            "join continuation lines",
            METHOD.replace("request,\n                           retries", "request, retries"),
        ),
        (
            "comments and blank lines",
            METHOD.replace("        if result", "\n        # check\n\n        if result"),
        ),
        (
            "quote style",
            METHOD.replace("'empty'", '"empty"').replace(
                '"""Handle one request."""', "'Handle one request.'"
            ),
        ),
        ("redundant parentheses", METHOD.replace("return result", "return (result)")),
        (
            "decorator trailing comma and layout",
            METHOD.replace('@register(\n    "name",\n)', "@register('name')"),
        ),
        ("indented as a method", textwrap.indent(METHOD, "    ")),
        ("tab-indented", METHOD.replace("    ", "\t")),
        (
            "backslash continuation",
            METHOD.replace("if result is None:", "if result is \\\n        None:"),
        ),
    ],
)
def test_cosmetic_edits_keep_every_digest(name: str, after: str) -> None:
    assert changed(METHOD, after) == set(), name


@pytest.mark.parametrize(
    ("after", "field"),
    [
        (METHOD.replace("return result", "return result or None"), "body"),
        (METHOD.replace("if result is None:", "if not result:"), "body"),
        (METHOD.replace("'empty'", "'nothing'"), "body"),
        (METHOD.replace("retries=3", "retries=4"), "signature"),
        (METHOD.replace("*, retries", "retries"), "signature"),
        (METHOD.replace(" -> Response", ""), "signature"),
        (METHOD.replace("def handle", "async def handle"), "signature"),
        (METHOD.replace('"name"', '"other"'), "decorators"),
        ("@cached\n" + METHOD, "decorators"),
        (METHOD.replace("Handle one request.", "Handle a request."), "docstring"),
        (METHOD.replace('    """Handle one request."""\n', ""), "docstring"),
        (METHOD.replace("def handle", "def process"), "name"),
    ],
)
def test_each_kind_of_change_moves_exactly_its_digest(after: str, field: str) -> None:
    assert changed(METHOD, after) == {field}


def test_facts_name_and_complexity() -> None:
    found = python.facts(METHOD)
    assert found.name == "handle"
    assert found.complexity == 2


def test_facts_of_a_segment_cut_from_a_file() -> None:
    lines = CLASS_MODULE.split("\n")
    by_name = {s.qualname: s for s in python.function_spans(parse(CLASS_MODULE))}
    found = python.facts(python.segment(lines, by_name["Service.state"]))
    assert found.name == "state"
    assert found == python.facts("@property\ndef state(self):\n    return self.running\n")


def test_facts_of_text_that_is_not_one_function() -> None:
    for text in ["x = 1\n", "class C:\n    pass\n"]:
        found = python.facts(text)
        assert found.name == "?"
        assert found.complexity is None


COMPLEXITY_CASES = {
    "straight": """
        def f(a):
            return a
        """,
    "if elif else": """
        def f(a):
            if a:
                pass
            elif a > 1:
                pass
            elif a > 2:
                pass
            else:
                pass
        """,
    "boolean operators": """
        def f(a, b, c):
            return a and b and c or (a or b) or not c
        """,
    "ternaries": """
        def f(a):
            return (1 if a else 2) if a else (3 if not a else 4)
        """,
    "comprehensions with ifs": """
        def f(a):
            x = [i for i in a if i if i > 1]
            y = {k: v for k in a for v in k if v}
            z = (w for w in a)
            return {s async for s in a}, x, y, z
        """,
    "try except else finally": """
        def f():
            try:
                pass
            except ValueError:
                pass
            except (TypeError, KeyError):
                pass
            else:
                pass
            finally:
                pass
            try:
                pass
            finally:
                pass
        """,
    "loops with else": """
        async def f(a):
            for x in a:
                break
            else:
                pass
            while a:
                pass
            else:
                pass
            async for y in a:
                pass
            while True:
                pass
        """,
    "with is not a decision": """
        def f(a):
            with a:
                async_ = 1
            return async_
        """,
    "match": """
        def f(a):
            match a:
                case 1:
                    pass
                case [x, y] if x:
                    pass
                case {"k": v}:
                    pass
                case _:
                    pass
        """,
    "match without wildcard": """
        def f(a):
            match a:
                case 1 | 2:
                    pass
                case str():
                    pass
        """,
    "match with capture": """
        def f(a):
            match a:
                case 1:
                    pass
                case other:
                    pass
        """,
    "asserts": """
        def f(a, b):
            assert a
            assert a and b, "message"
        """,
    "lambdas": """
        def f(a):
            g = lambda x: x if x else a
            h = lambda y: y and a
            return g, h
        """,
    "nested definitions are excluded": """
        def f(a):
            if a:
                def g(b):
                    if b:
                        return 1
                    return 2 if b else 3
            class K:
                def m(self):
                    return 1 if a else 2
                x = [i for i in a if i]
            return a and g
        """,
    "decorators and defaults are not counted": """
        @dec(a if b else c)
        def f(x=(1 if y else 2), *, z=[i for i in r if i]):
            return x
        """,
    "method": """
        class C:
            def f(self, a):
                if a:
                    return [x for x in a if x]
                return None
        """,
}


@pytest.mark.parametrize("name", list(COMPLEXITY_CASES))
def test_complexity_equals_radon(name: str) -> None:
    text = src(COMPLEXITY_CASES[name])
    expected = radon_complexity(text)
    if name == "method":
        text = text.split("\n", 1)[1]  # the method alone, still indented
        assert text.startswith("    def f(")
    assert python.facts(text).complexity == expected


EXPRESSIONS = st.sampled_from(
    [
        "a",
        "a and b",
        "a or b or c",
        "(a and b) or c",
        "x if a else y",
        "[i for i in a if i]",
        "{k: 1 for k in a for j in k if j if k}",
        "lambda q: q if q else a",
        "not a",
        "f(a or b)",
    ]
)


@functools.cache  # as statements(): one strategy per depth
@st.composite
def bodies(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """Function bodies mixing every construct radon counts (or pointedly does not)."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        expr = draw(EXPRESSIONS)
        kinds = ["expr", "assert"]
        if depth < 3:
            kinds += ["if", "for", "while", "try", "with", "def", "class", "match"]
        kind = draw(st.sampled_from(tuple(kinds)))
        if kind == "expr":
            out.append(f"v = {expr}")
            continue
        if kind == "assert":
            out.append(f"assert {expr}")
            continue
        inner = _indent(draw(bodies(depth + 1)))
        if kind == "if":
            out += [f"if {expr}:", *inner]
            for _ in range(draw(st.integers(0, 2))):
                out += [f"elif {draw(EXPRESSIONS)}:", *inner]
            if draw(st.booleans()):
                out += ["else:", *inner]
        elif kind in ("for", "while"):
            out += [f"for i in {expr}:" if kind == "for" else f"while {expr}:", *inner]
            if draw(st.booleans()):
                out += ["else:", *inner]
        elif kind == "try":
            out += ["try:", *inner]
            handlers = draw(st.integers(0, 2))
            for _ in range(handlers):
                out += ["except E:", *inner]
            if handlers and draw(st.booleans()):
                out += ["else:", *inner]
            if not handlers or draw(st.booleans()):
                out += ["finally:", *inner]
        elif kind == "with":
            out += [f"with {expr}:", *inner]
        elif kind == "def":
            out += [f"def inner(x={expr}):", *inner]
        elif kind == "class":
            out += ["class Inner:", *inner]
        else:
            out.append(f"match {expr}:")
            patterns = draw(
                st.lists(st.sampled_from(["1", "[p, q]", "{'k': w}", "1 if a"]), max_size=3)
            )
            patterns += draw(st.sampled_from([[], ["_"], ["z"], ["_ if a"]]))
            if not patterns:
                patterns = ["1"]
            for pattern in patterns:
                out += [f"    case {pattern}:", *_indent(inner)]
    return out


@settings(max_examples=150, deadline=None)
@given(body=bodies())
def test_complexity_equals_radon_on_generated_functions(body: list[str]) -> None:
    text = "\n".join(["def f(a, b, c):", *_indent(body)]) + "\n"
    note(text)
    compile(text, "<generated>", "exec")  # the generator makes valid code only
    assert python.facts(text).complexity == radon_complexity(text)


def test_threads_parse_one_at_a_time_and_leave_the_warnings_filters_alone() -> None:
    # Fleets index several repositories in threads of one process, and Dask workers
    # run tasks in threads: parsing must neither fail nor leave warnings silenced.
    source = "".join(
        f"def f{i}(x):\n    if x:\n        return '\\d{i}'\n    return [y for y in x]\n"
        for i in range(200)
    )
    before = list(warnings.filters)
    failures: list[BaseException] = []

    def work() -> None:
        for _ in range(20):
            try:
                python.parse_quietly(source)
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert warnings.filters == before


# --- parsing a big file in pieces -------------------------------------------------------

PIECES = src(
    '''
    """A module docstring."""
    from __future__ import annotations
    import os  # a comment


    @decorator(
        "spread over lines",
    )
    @another
    def first(a, b=(1,
                    2)):
        """Doc."""
        return a + \\
            b


    if os.name == "nt":
        def platform():
            return "windows"
    elif os.name == "posix":
        def platform():
            return "posix"
    else:
        def platform():
            return None

    try:
        import json
    except ImportError:
        json = None
    finally:
        pass

    TEXT = """
    def not_a_function():
        pass
    """


    class Box:
        @property
        def value(self):
            return self._value

        @value.setter
        def value(self, new):
            def check(x):
                if x and new:
                    return x
                return None
            self._value = check(new)

    # a trailing comment
    async def last(items):
        async for item in items:
            yield item
    '''
)


@pytest.mark.parametrize("piece_bytes", [1, 40, 200, 10_000])
@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b"# -*- coding: utf-8 -*-\n"])
def test_a_file_parsed_in_pieces_reads_as_the_whole_parse(piece_bytes: int, prefix: bytes) -> None:
    data = prefix + PIECES.encode()
    keep: dict[int, python.FunctionTree] = {}
    whole = python.parse_layout(data, keep=keep)
    facts: dict[int, Facts] = {}
    pieces = python.parse_layout_in_pieces(data, facts=facts, piece_bytes=piece_bytes)
    assert pieces == whole
    assert whole.layout is not None
    assert not whole.layout.tolerant
    assert facts == {line: python.facts_of_node(tree) for line, tree in keep.items()}
    assert len(facts) == 8  # first, platform thrice, value twice, check, last


@pytest.mark.parametrize(
    "data",
    [
        # A Python 2 statement in one piece: the whole file goes to the tolerant reader.
        PIECES.encode() + b"\ndef old():\n    print 'hello'\n",
        # Not UTF-8: pieces would lose the coding cookie.
        b"# -*- coding: latin-1 -*-\ndef caf\xe9_name():\n    return '\xe9'\n" * 3,
        b"",
        b"# only a comment\n",
    ],
)
def test_a_file_the_pieces_cannot_read_is_parsed_whole(data: bytes) -> None:
    keep: dict[int, python.FunctionTree] = {}
    whole = python.parse_layout(data, keep=keep)
    facts: dict[int, Facts] = {}
    assert python.parse_layout_in_pieces(data, facts=facts, piece_bytes=1) == whole
    assert facts == {line: python.facts_of_node(tree) for line, tree in keep.items()}
