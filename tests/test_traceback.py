"""The traceback parser: real tracebacks Python printed, then pasted the ways people paste."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopintel.model import Frame
from loopintel.sources.traceback import ParsedTraceback, find_tracebacks, parse_traceback

if TYPE_CHECKING:
    from collections.abc import Callable

DATA = Path(__file__).parent / "data" / "incidents"

Printed = list[tuple[str, list[tuple[str, int, str, str]]]]
"""Per exception in printed order: its line, and its frames (file, line, function, code)."""


def printed(exc: BaseException) -> Printed:
    """What Python prints for ``exc``, in order, from the exception objects themselves."""
    out: Printed = []
    if exc.__cause__ is not None:
        out += printed(exc.__cause__)
    elif exc.__context__ is not None and not exc.__suppress_context__:
        out += printed(exc.__context__)
    frames = [
        (f.filename, f.lineno or 0, f.name, (f.line or "").strip())
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    line = traceback.format_exception_only(exc)[-1].strip()
    out.append((line, frames))
    if isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            out += printed(member)
    return out


def raised(make: Callable[[], object]) -> BaseException:
    try:
        make()
    except BaseException as exc:  # noqa: BLE001 - every kind is a test input
        return exc
    raise AssertionError("did not raise")


def text_of(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def expected_frames(exc: BaseException) -> tuple[Frame, ...]:
    return tuple(
        Frame(file=file, line=line, function=function, code=code or None, exception=index)
        for index, (_, frames) in enumerate(printed(exc))
        for file, line, function, code in frames
    )


def expected_exceptions(exc: BaseException) -> tuple[str, ...]:
    return tuple(line for line, _ in printed(exc))


# -- the exceptions (the frames come from this file) -------------------------------------------


def lookup(data: dict[str, int], key: str) -> int:
    return data[key]


def chained_context() -> None:
    try:
        lookup({}, "user")
    except KeyError:
        int("not a number")


def chained_cause() -> None:
    try:
        chained_context()
    except ValueError as exc:
        raise RuntimeError("could not load the user") from exc


def grouped() -> None:
    key, value = raised(lambda: lookup({}, "a")), raised(chained_context)
    assert isinstance(key, KeyError)
    assert isinstance(value, ValueError)
    inner = ExceptionGroup("inner", [value, TypeError("t")])
    raise ExceptionGroup("checks failed", [key, ValueError("bad"), inner])


def recursive(n: int) -> int:
    return recursive(n + 1)


def group_in_a_chain() -> None:
    try:
        grouped()
    except ExceptionGroup as exc:
        raise LookupError("after the group") from exc


def suppressed() -> None:
    try:
        lookup({}, "x")
    except KeyError:
        raise ValueError("plain") from None


CASES = {
    "plain": lambda: lookup({}, "x"),
    "context": chained_context,
    "cause": chained_cause,
    "group": grouped,
    "group-in-chain": group_in_a_chain,
    "suppressed": suppressed,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_frame_and_exception_python_printed(name: str) -> None:
    exc = raised(CASES[name])
    parsed = parse_traceback(text_of(exc))
    assert parsed.frames == expected_frames(exc)
    assert parsed.exceptions == expected_exceptions(exc)
    # The title is the exception raised last, a group's own line rather than its members'.
    assert parsed.title == traceback.format_exception_only(exc)[-1].strip()


def test_the_title_is_the_exception_raised_last_not_a_group_member() -> None:
    exc = raised(group_in_a_chain)
    parsed = parse_traceback(text_of(exc))
    assert parsed.title == "LookupError: after the group"
    group = raised(grouped)
    assert (
        parse_traceback(text_of(group)).title == "ExceptionGroup: checks failed (3 sub-exceptions)"
    )
    # The members' exceptions are still there, in printed order.
    assert "TypeError: t" in parse_traceback(text_of(group)).exceptions


def test_chained_frames_name_their_exception() -> None:
    exc = raised(chained_cause)
    parsed = parse_traceback(text_of(exc))
    assert [e.split(":")[0] for e in parsed.exceptions] == [
        "KeyError",
        "ValueError",
        "RuntimeError",
    ]
    by_exception = {f.function: f.exception for f in parsed.frames}
    assert by_exception["lookup"] == 0
    assert by_exception["chained_cause"] == 2


def test_previous_line_repeated_is_not_a_frame() -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(80)
    try:
        exc = raised(lambda: recursive(0))
    finally:
        sys.setrecursionlimit(limit)
    text = text_of(exc)
    assert "more times]" in text
    parsed = parse_traceback(text)
    assert parsed.frames == expected_frames(exc)[: len(parsed.frames)]
    assert parsed.title.startswith("RecursionError: maximum recursion depth exceeded")
    assert all(f.function in {"recursive", "raised", "<lambda>"} for f in parsed.frames)


# -- pasted the ways people paste ---------------------------------------------------------------

PREFIXES = [
    "[Thu Dec 03 10:00:00.123456 2026] [wsgi:error] [pid 12:tid 140] [remote 10.0.0.1:5000] ",
    "2026-12-03 10:00:00,123 ERROR ",
    "2026-12-03T10:00:00.000000+00:00 app[web.1]: ",
    "Dec 03 10:00:00 web-01 gunicorn[4242]: ",
    "web-1  | ",
    "> ",
    "    ",
]


def with_prefix(text: str, prefix: str) -> str:
    """Every line prefixed, with the prefix's digits moving on as a log's clock does."""
    out = []
    for number, line in enumerate(text.splitlines()):
        moved = "".join(str((int(c) + number) % 10) if c.isdigit() else c for c in prefix)
        out.append(moved + line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("name", ["cause", "group"])
def test_a_log_prefix_on_every_line_is_removed(prefix: str, name: str) -> None:
    exc = raised(CASES[name])
    plain = parse_traceback(text_of(exc))
    assert parse_traceback(with_prefix(text_of(exc), prefix)) == plain


def test_the_sample_log_of_a_flask_app_under_mod_wsgi() -> None:
    parsed = parse_traceback((DATA / "traceback-flask-wsgi.log").read_text())
    assert parsed.title == "KeyError: 'sku-1042'"
    assert [(f.file.rsplit("/", 1)[-1], f.line, f.function) for f in parsed.frames] == [
        ("app.py", 1484, "full_dispatch_request"),
        ("app.py", 1469, "dispatch_request"),
        ("views.py", 58, "checkout"),
        ("pricing.py", 21, "cart_total"),
        ("pricing.py", 21, "<genexpr>"),
    ]
    assert parsed.frames[2].code == 'total = cart_total(session["cart"])'


def test_the_sample_requests_chain() -> None:
    text = (DATA / "traceback-requests-chain.txt").read_text()
    parsed = parse_traceback(text)
    assert [e.split(":")[0] for e in parsed.exceptions] == [
        "ConnectionRefusedError",
        "urllib3.exceptions.NewConnectionError",
        "urllib3.exceptions.MaxRetryError",
        "requests.exceptions.ConnectionError",
    ]
    assert parsed.title.startswith("requests.exceptions.ConnectionError: HTTPConnectionPool")
    assert len(parsed.frames) == text.count('  File "')
    last = [f for f in parsed.frames if f.exception == 3]
    assert last[0].file == "/srv/app/sync.py"
    assert last[-1].code == "raise ConnectionError(e, request=request)"
    # Carets are not code.
    assert all(f.code and "^" not in f.code for f in parsed.frames)


def test_windows_paths_are_kept_as_printed() -> None:
    exc = raised(chained_cause)
    here = __file__
    windows = "C:\\Users\\ann\\proj\\tests\\test_traceback.py"
    parsed = parse_traceback(text_of(exc).replace(here, windows))
    assert parsed.frames
    assert {f.file for f in parsed.frames} == {windows}
    assert [f.line for f in parsed.frames] == [f.line for f in expected_frames(exc)]


def test_frames_without_their_code_line() -> None:
    text = """Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "<frozen runpy>", line 88, in _run_code
  File "/srv/app/manage.py", line 9, in <module>
    cli()
ModuleNotFoundError: No module named 'shop.settings'
"""
    parsed = parse_traceback(text)
    assert [f.code for f in parsed.frames] == [None, None, "cli()"]
    assert [f.line for f in parsed.frames] == [198, 88, 9]
    assert parsed.title == "ModuleNotFoundError: No module named 'shop.settings'"


def test_a_syntax_error_frame_has_no_function() -> None:
    text = """Traceback (most recent call last):
  File "/srv/app/run.py", line 3, in <module>
    import shop.views
  File "/srv/app/shop/views.py", line 14
    return {"total": total
           ^
SyntaxError: '{' was never closed
"""
    parsed = parse_traceback(text)
    assert [(f.line, f.function) for f in parsed.frames] == [(3, "<module>"), (14, None)]
    assert parsed.frames[1].code == 'return {"total": total'
    assert parsed.title == "SyntaxError: '{' was never closed"


@pytest.mark.parametrize("cut", [1, 3, 5])
def test_a_truncated_paste_keeps_the_frames_that_are_there(cut: int) -> None:
    exc = raised(chained_cause)
    lines = text_of(exc).splitlines()
    # The paste starts in the middle, and ends before the exception line.
    frames_at = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    start = frames_at[-cut - 1]
    text = "\n".join(lines[start:-1])
    parsed = parse_traceback(text)
    kept = expected_frames(exc)[-cut - 1 :]
    first = kept[0].exception
    assert parsed.frames == tuple(attrs.evolve(f, exception=f.exception - first) for f in kept)
    # Exceptions printed inside the paste are read; the last one was cut off.
    assert parsed.exceptions == expected_exceptions(exc)[first:-1]
    assert parsed.title == (parsed.exceptions[-1] if parsed.exceptions else lines[start].strip())


def test_text_without_a_traceback() -> None:
    assert parse_traceback("") == ParsedTraceback((), (), "")
    assert parse_traceback("\n  it crashed again  \nsee logs") == ParsedTraceback(
        (), (), "it crashed again"
    )


IPYTHON_8 = (
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m\n"
    "\x1b[0;31mKeyError\x1b[0m                                  Traceback (most recent call last)\n"
    "Cell \x1b[0;32mIn[3], line 5\x1b[0m\n"
    "\x1b[1;32m      2\x1b[0m \x1b[38;5;28;01mfrom\x1b[39;00m \x1b[38;5;21;01mshop\x1b[39;00m \x1b[38;5;28;01mimport\x1b[39;00m pricing\n"
    '\x1b[1;32m      4\x1b[0m cart \x1b[38;5;241m=\x1b[39m {\x1b[38;5;124m"sku-1042"\x1b[39m: \x1b[38;5;241m2\x1b[39m}\n'
    "\x1b[0;32m----> 5\x1b[0m \x1b[43mpricing\x1b[49m\x1b[38;5;241;43m.\x1b[39;49m\x1b[43mcart_total\x1b[49m\x1b[43m(\x1b[49m\x1b[43mcart\x1b[49m\x1b[43m)\x1b[49m\n"
    "\n"
    "File \x1b[0;32m~/proj/shop/pricing.py:21\x1b[0m, in \x1b[0;36mcart_total\x1b[0;34m(cart)\x1b[0m\n"
    "\x1b[1;32m     19\x1b[0m \x1b[38;5;28;01mdef\x1b[39;00m \x1b[38;5;21mcart_total\x1b[39m(cart):\n"
    '\x1b[1;32m     20\x1b[0m     \x1b[38;5;124;03m"""The cart\'s total."""\x1b[39;00m\n'
    "\x1b[0;32m---> 21\x1b[0m     \x1b[38;5;28;01mreturn\x1b[39;00m \x1b[38;5;28msum\x1b[39m(PRICES[item] \x1b[38;5;241m*\x1b[39m qty \x1b[38;5;28;01mfor\x1b[39;00m item, qty \x1b[38;5;129;01min\x1b[39;00m cart\x1b[38;5;241m.\x1b[39mitems())\n"
    "\n"
    "File \x1b[0;32m~/proj/shop/pricing.py:21\x1b[0m, in \x1b[0;36m<genexpr>\x1b[0;34m(.0)\x1b[0m\n"
    "\x1b[0;32m---> 21\x1b[0m     \x1b[38;5;28;01mreturn\x1b[39;00m \x1b[38;5;28msum\x1b[39m(PRICES[item] \x1b[38;5;241m*\x1b[39m qty \x1b[38;5;28;01mfor\x1b[39;00m item, qty \x1b[38;5;129;01min\x1b[39;00m cart\x1b[38;5;241m.\x1b[39mitems())\n"
    "\n"
    "\x1b[0;31mKeyError\x1b[0m: 'sku-1042'\n"
)


def test_ipython_8_with_colours() -> None:
    parsed = parse_traceback(IPYTHON_8)
    assert parsed.exceptions == ("KeyError: 'sku-1042'",)
    assert [(f.file, f.line, f.function) for f in parsed.frames] == [
        ("Cell In[3]", 5, None),
        ("~/proj/shop/pricing.py", 21, "cart_total"),
        ("~/proj/shop/pricing.py", 21, "<genexpr>"),
    ]
    assert parsed.frames[0].code == "pricing.cart_total(cart)"
    assert parsed.frames[1].code == "return sum(PRICES[item] * qty for item, qty in cart.items())"


IPYTHON_7_WINDOWS = r"""---------------------------------------------------------------------------
ZeroDivisionError                         Traceback (most recent call last)
<ipython-input-7-2f1c5a0c3b4e> in <module>
----> 1 report(orders)

C:\Users\ann\proj\shop\report.py in report(orders)
     10     rows = []
     11     for order in orders:
---> 12         rows.append(order.total / order.count)
     13     return rows

ZeroDivisionError: division by zero
"""


def test_ipython_7_takes_lines_from_the_arrows() -> None:
    parsed = parse_traceback(IPYTHON_7_WINDOWS)
    assert [(f.file, f.line, f.function, f.code) for f in parsed.frames] == [
        ("<ipython-input-7-2f1c5a0c3b4e>", 1, "<module>", "report(orders)"),
        (
            r"C:\Users\ann\proj\shop\report.py",
            12,
            "report",
            "rows.append(order.total / order.count)",
        ),
    ]
    assert parsed.title == "ZeroDivisionError: division by zero"


def test_ipython_chained() -> None:
    second = IPYTHON_8.replace("In[3], line 5", "In[4], line 7")
    text = (
        IPYTHON_8
        + "\nDuring handling of the above exception, another exception occurred:\n\n"
        + second
    )
    parsed = parse_traceback(text)
    assert parsed.exceptions == ("KeyError: 'sku-1042'", "KeyError: 'sku-1042'")
    assert [(f.file, f.exception) for f in parsed.frames][2:4] == [
        ("~/proj/shop/pricing.py", 0),
        ("Cell In[4]", 1),
    ]


# -- in prose -------------------------------------------------------------------------------


def test_tracebacks_in_an_issue_body() -> None:
    first = raised(chained_cause)
    second = raised(lambda: lookup({}, "y"))
    body = (
        "Since 2.3 the checkout fails:\r\n\r\n```pytb\r\n"
        + text_of(first).replace("\n", "\r\n")
        + "```\r\n\r\nAnd in the worker (quoted from Slack):\r\n\r\n"
        + with_prefix(text_of(second), "> ")
        + "\r\nSteps: open the cart. Error: none shown.\r\n"
    )
    found = find_tracebacks(body)
    assert [f.frames for f in found] == [expected_frames(first), expected_frames(second)]
    assert [f.title for f in found] == [
        "RuntimeError: could not load the user",
        "KeyError: 'y'",
    ]


def test_tracebacks_in_jira_wiki_blocks() -> None:
    exc = raised(chained_context)
    text = text_of(exc).rstrip("\n")
    description = (
        "h3. What happened\nThe nightly sync stopped.\n{code:python}"
        + text
        + "{code}\nAlso seen:\n{noformat}\n"
        + text
        + "\n{noformat}\n"
    )
    found = find_tracebacks(description)
    assert len(found) == 2
    assert all(f.frames == expected_frames(exc) for f in found)
    assert all(f.exceptions == expected_exceptions(exc) for f in found)


def test_prose_without_a_traceback_has_none() -> None:
    assert find_tracebacks("Error: it broke.\nKeyError somewhere, I think\n") == ()


# -- never raises --------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "Traceback (most recent call last):",
        '  File "a.py", line 3, in f',
        '  File "C:\\x.py", line 0',
        "    return x",
        "    ^^^^",
        "KeyError: 'x'",
        "ExceptionGroup: g (2 sub-exceptions)",
        "  + Exception Group Traceback (most recent call last):",
        "  +-+---------------- 1 ----------------",
        "    | ValueError: 1",
        "    +------------------------------------",
        "During handling of the above exception, another exception occurred:",
        "Cell In[3], line 5",
        "----> 5 f()",
        "File ~/x.py:12, in func(a, b)",
        "KeyError                                  Traceback (most recent call last)",
        "  [Previous line repeated 996 more times]",
        "{code}",
        "```",
        "",
        "\x1b[0;31m",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=25), st.text(max_size=12))
def test_any_text_parses_without_raising(pieces: list[str], prefix: str) -> None:
    text = "\n".join(prefix + piece for piece in pieces)
    parsed = parse_traceback(text)
    assert all(0 <= f.exception <= len(parsed.exceptions) for f in parsed.frames)
    found = find_tracebacks(text)
    assert all(isinstance(t, ParsedTraceback) for t in found)
    if found:
        assert parsed == found[0] or "{code" in text or "{noformat" in text


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"/[a-z]{1,8}(/[a-z_]{1,8}){0,3}\.py", fullmatch=True),
            st.integers(1, 99_999),
            st.from_regex(r"[a-z_][a-z0-9_]{0,10}|<module>|<lambda>", fullmatch=True),
            st.from_regex(r"[a-z_]+\([a-z, ]{0,10}\)", fullmatch=True),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(PREFIXES),
)
def test_printed_frames_come_back(frames: list[tuple[str, int, str, str]], prefix: str) -> None:
    lines = ["Traceback (most recent call last):"]
    for file, line, function, code in frames:
        lines += [f'  File "{file}", line {line}, in {function}', f"    {code}"]
    lines.append("OSError: [Errno 5] Input/output error")
    parsed = parse_traceback(with_prefix("\n".join(lines), prefix))
    assert parsed.frames == tuple(Frame(f, n, fn, code=c) for f, n, fn, c in frames)
    assert parsed.title == "OSError: [Errno 5] Input/output error"


def test_a_log_of_two_errors_holds_two_tracebacks() -> None:
    first, second = raised(chained_cause), raised(lambda: lookup({}, "z"))
    log = (
        "2026-12-03 10:00:00,123 ERROR shop.app: Exception on /checkout [POST]\n"
        + text_of(first)
        + "2026-12-03 10:00:05,002 INFO werkzeug: 127.0.0.1 - - [03/Dec/2026 10:00:05] GET / 200\n"
        + "2026-12-03 10:00:07,950 ERROR shop.app: Exception on /cart [GET]\n"
        + text_of(second)
    )
    assert parse_traceback(log).frames == expected_frames(first)
    found = find_tracebacks(log)
    assert [t.frames for t in found] == [expected_frames(first), expected_frames(second)]
    assert [t.title for t in found] == ["RuntimeError: could not load the user", "KeyError: 'z'"]
