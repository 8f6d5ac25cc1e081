"""Python tracebacks as people paste them: the frames and exception lines of the text.

A traceback reaches loopintel pasted into a terminal, an issue or a ticket, copied from
a log or a notebook, so it rarely looks exactly as Python printed it. The parser reads:

- chained exceptions ("During handling of the above exception, another exception
  occurred:", "The above exception was the direct cause of the following exception:");
- exception groups (PEP 654), their ``|`` and ``+-+---- 1 ----`` nesting;
- a prefix a log put before every line (``[Thu Dec 03 10:00:00 2026] [wsgi:error] [pid
  12] ``, ``2026-12-03 10:00:00,123 ERROR ``, ``app[web.1]: ``, ``web-1  | ``, ``> ``):
  the text before the traceback's first line is taken as the prefix, its digits as any
  digits (timestamps move on), and removed from every line that starts with it;
- IPython's and Jupyter's format (``Cell In[3], line 5``, ``File ~/x.py:12, in f(a)``,
  the ``---->`` arrows, IPython 7's ``~/x.py in f(a)``) and terminal colour codes;
- Windows paths, frames with and without their source line, ``[Previous line repeated
  996 more times]``, and truncated pastes (the frames that are there; no exception line
  is needed).

:func:`parse_traceback` reads one traceback, :func:`find_tracebacks` every traceback in
prose (an issue body, a ticket's description, with Markdown fences or Jira's ``{code}``
and ``{noformat}`` blocks). Both are pure and never raise on odd text: what is not
understood is left out.

The ``traceback`` incident format reads a text file holding one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from loopintel.errors import IncidentDataError
from loopintel.model import Frame, Incident
from loopintel.sources.formats import REGISTRY, Format
from loopintel.sources.incidents import INCIDENTS, IncidentRows, digest
from loopintel.sources.problems import Problems, decode_text

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "ParsedTraceback",
    "find_tracebacks",
    "frames_in_text",
    "parse_traceback",
    "traceback_incident",
]


@attrs.frozen
class ParsedTraceback:
    """What a traceback's text says: its frames and its exception lines."""

    frames: tuple[Frame, ...]
    """Every frame, in printed order; each names its exception by index in
    :attr:`exceptions` (a truncated paste may have frames of no printed exception)."""
    exceptions: tuple[str, ...]
    """The exception lines in printed order (``KeyError: 'x'``), causes first."""
    title: str
    """The last exception line outside any exception group's members (the one raised
    last), else the first line of the text."""


# -- what a line can be ----------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_ANCHOR = re.compile(r"(?P<group>Exception Group )?Traceback \(most recent call last\):")
_IPYTHON_HEADER = re.compile(
    r"^(?P<name>[A-Za-z_][\w.]*)\s+Traceback \(most recent call last\)\s*$"
)
_FRAME = re.compile(
    r'^(?P<indent>\s*)File "(?P<file>.*)", line (?P<line>\d+)(?:, in (?P<func>.*?))?\s*$'
)
_FRAME_ANYWHERE = re.compile(r'(?P<indent>\s*)File "[^"]*", line \d+')
_CELL = re.compile(
    r"^Cell In\s*\[(?P<cell>[^\]]*)\], line (?P<line>\d+)(?:, in (?P<func>.*?))?\s*$"
)
_IPY_FILE = re.compile(r"^File (?P<file>[^\s\"].*?):(?P<line>\d+)(?:, in (?P<func>.*?))?\s*$")
_IPY7_FRAME = re.compile(r"^(?P<file>\S.*?) in (?P<func>[\w.<>]+)(?:\(.*\))?\s*$")
_IPY7_FILE = re.compile(r"^(?:<[^>]*>|(?!.*: ).*[/\\].*)$")
_ARROW = re.compile(r"^\s*-+>\s*(?P<line>\d+)(?: (?P<code>.*))?$")
_CONTEXT = re.compile(r"^\d+(?: .*)?$")
_CARETS = re.compile(r"^\s*[~^]+[\s~^]*$")
_REPEATED = re.compile(r"^\s*\[Previous line repeated \d+ more times?\]\s*$")
_CHAIN = re.compile(
    r"^\s*(?:During handling of the above exception, another exception occurred"
    r"|The above exception was the direct cause of the following exception):\s*$"
)
_EXCEPTION = re.compile(r"^(?P<name>[A-Za-z_][\w.<>]*)(?::(?P<message>.*))?$")
_SEPARATOR = re.compile(r"^(?P<indent>[ ]*)\+[-+]*(?:\s*(?:\d+|\.\.\.)\s*-+)?\s*$")
_BAR = re.compile(r"^(?P<indent>[ ]*)\|(?: ?)(?P<rest>.*)$")
_GROUP_HEAD = re.compile(r"^(?P<indent>[ ]*)[+|] $")
_DASHES = re.compile(r"^-{10,}\s*$")
_MORE = re.compile(r"^\s*and \d+ more exceptions?\s*$")
_JIRA_BLOCK = re.compile(r"\{(?:code|noformat)(?::[^}]*)?\}")
_ARGS = re.compile(r"\(.*\)$")


def _prefix_pattern(prefix: str) -> re.Pattern[str] | None:
    """What a log prefix looks like on every line: itself, any digits for its digits."""
    if not prefix:
        return None
    parts = re.split(r"\d+", prefix)
    return re.compile(r"\d+".join(re.escape(p) for p in parts))


# -- the parser ------------------------------------------------------------------------------


class _Reading:
    """One traceback being read, line by line."""

    def __init__(self, prefix: str, *, group: bool, ipython: bool) -> None:
        self.prefix = _prefix_pattern(prefix)
        self.group = group
        self.group_indent: int | None = None
        self.ipython = ipython
        self.frames: list[Frame] = []
        self.exceptions: list[str] = []
        self.levels: list[int] = []
        self.first = ""
        self.expect = True
        """Whether an exception line may come next (after a header, frames, a separator)."""
        self.chained = False
        """Whether a chain separator came after the last exception: a header continues."""
        self.member = False
        """Whether an exception group's separator came last: a member begins."""
        self.after_frame = False
        """Whether the last line read belongs to a frame (its code, IPython's context)."""
        self.code_indent: int | None = None
        """The indentation a frame's source line must exceed, right after the frame."""

    @property
    def empty(self) -> bool:
        return not self.frames and not self.exceptions

    def result(self) -> ParsedTraceback:
        top = [e for e, level in zip(self.exceptions, self.levels, strict=True) if level == 0]
        title = top[-1] if top else self.exceptions[-1] if self.exceptions else self.first
        return ParsedTraceback(tuple(self.frames), tuple(self.exceptions), title)

    def _normal(self, raw: str) -> tuple[str, int | None]:
        """The line without the log prefix and the exception groups' drawing.

        Returns:
            The line, and the column of its group drawing (``None`` when undrawn).

        """
        line = raw
        if self.prefix is not None:
            found = self.prefix.match(line)
            if found:
                line = line[found.end() :]
        if self.group:
            bar = _BAR.match(line)
            if bar:
                return bar.group("rest"), len(bar.group("indent"))
        return line, None

    def _continues(self) -> bool:
        """Whether something that begins a traceback here is still this one."""
        return self.empty or self.chained or self.member or not self.exceptions

    def _add_frame(self, file: str, line: int | None, func: str | None) -> None:
        function = func.strip() if func else None
        if function and self.ipython:
            function = _ARGS.sub("", function) or function
        self.frames.append(
            Frame(file=file, line=line, function=function or None, exception=len(self.exceptions))
        )
        self._state(expect=True, after_frame=True)

    def _state(self, *, expect: bool, after_frame: bool = False, chained: bool = False) -> None:
        self.expect = expect
        self.after_frame = after_frame
        self.chained = chained
        self.member = False
        self.code_indent = None

    def _set_code(self, code: str, line: int | None = None) -> None:
        frame = self.frames[-1]
        changes: dict[str, object] = {}
        if frame.code is None and code.strip():
            changes["code"] = code.strip()
        if frame.line is None and line is not None:
            changes["line"] = line
        if changes:
            self.frames[-1] = attrs.evolve(frame, **changes)  # type: ignore[arg-type]

    def feed(self, raw: str) -> bool:
        """Read one line; ``False`` when it begins another traceback (left unread)."""
        line, column = self._normal(raw)
        text = line.strip()
        if not text:
            return True
        if not self.first:
            self.first = text
        code_indent, self.code_indent = self.code_indent, None
        if self.group and _SEPARATOR.match(line):
            self._state(expect=True)
            self.member = True
            return True
        anchor = _ANCHOR.search(line)
        header = None if anchor else _IPYTHON_HEADER.match(text)
        if anchor or header:
            if not self._continues():
                return False
            if anchor and anchor.group("group") and self.group_indent is None:
                self.group = True
                head = _GROUP_HEAD.match(line[: anchor.start()])
                self.group_indent = len(head.group("indent")) if head else 0
            self.ipython = self.ipython or header is not None
            self._state(expect=True)
            return True
        if _CHAIN.match(text):
            self._state(expect=False, chained=True)
            return True
        frame = _FRAME.match(line)
        if frame:
            if not self._continues() and not self.expect:
                return False
            self._add_frame(frame.group("file"), int(frame.group("line")), frame.group("func"))
            self.code_indent = len(frame.group("indent"))
            return True
        ipython = self._ipython(text)
        if ipython is not None:
            return ipython
        if _REPEATED.match(line) or _CARETS.match(line) or _DASHES.match(text):
            self.code_indent = code_indent
            return True
        if code_indent is not None and len(line) - len(line.lstrip()) > code_indent:
            self._set_code(text)
            return True
        if self.expect and line[:1] == text[:1] and self._is_exception(text):
            self.exceptions.append(text)
            level = 0
            if column is not None and self.group_indent is not None:
                level = max(0, column - self.group_indent)
            self.levels.append(level)
            self._state(expect=False)
        return True

    def _is_exception(self, text: str) -> bool:
        found = _EXCEPTION.match(text)
        if found is None or _MORE.match(text):
            return False
        name = found.group("name")
        # Python prints a class outside builtins and __main__ with its module, and
        # every builtin one ends in one of these: a prose line after a group is neither.
        return self.after_frame or "." in name or name.endswith(_EXCEPTION_ENDINGS)

    def _ipython(self, text: str) -> bool | None:
        """Read an IPython frame, arrow or context line; ``None`` when it is none."""
        cell = _CELL.match(text)
        found = cell or _IPY_FILE.match(text)
        if found is None and self.ipython and self.frames:
            arrow = _ARROW.match(text)
            if arrow:
                self._set_code(arrow.group("code") or "", int(arrow.group("line")))
                self.after_frame = True
                return True
            if _CONTEXT.match(text):
                self.after_frame = True
                return True
        if found is None and self.ipython:
            old = _IPY7_FRAME.match(text)
            if old and _IPY7_FILE.match(old.group("file")):
                found = old
        if found is not None:
            if not self._continues() and not self.expect:
                return False
            self.ipython = True
            file = f"Cell In[{cell.group('cell')}]" if cell else found.group("file")
            line = found.groupdict().get("line")
            self._add_frame(file, int(line) if line else None, found.group("func"))
            return True
        return None


_EXCEPTION_ENDINGS = ("Error", "Exception", "Warning", "Exit", "Interrupt", "Iteration", "Group")


def _start(line: str) -> _Reading | None:
    """A reading begun at this line, when a traceback starts there."""
    anchor = _ANCHOR.search(line)
    if anchor:
        before = line[: anchor.start()]
        group = anchor.group("group") is not None
        if group:
            head = re.search(r"[ ]*[+|] $", before)
            if head:
                before = before[: head.start()]
        return _Reading(before, group=group, ipython=False)
    if _IPYTHON_HEADER.match(line.strip()):
        return _Reading("", group=False, ipython=True)
    frame = _FRAME_ANYWHERE.search(line)
    if frame:
        before = line[: frame.start()] + frame.group("indent")[:-2]
        return _Reading(before, group=False, ipython=False)
    text = line.strip()
    if _CELL.match(text) or _IPY_FILE.match(text):
        return _Reading(line[: len(line) - len(line.lstrip())], group=False, ipython=True)
    return None


def _lines(text: str) -> list[str]:
    clean = _ANSI.sub("", text)
    return [line.rstrip("\r") for line in clean.split("\n")]


def _scan(lines: list[str]) -> Iterator[ParsedTraceback]:
    reading: _Reading | None = None
    for line in lines:
        if reading is not None and reading.feed(line):
            continue
        if reading is not None and not reading.empty:
            yield reading.result()
        reading = _start(line)
        if reading is not None:
            reading.feed(line)
    if reading is not None and not reading.empty:
        yield reading.result()


def parse_traceback(text: str) -> ParsedTraceback:
    """The first traceback of a text, as pasted.

    Args:
        text: a traceback, maybe with a log prefix on every line, colour codes, or
            words around it.

    Returns:
        Its frames and exception lines; a text with no traceback gives no frames and
        its first line as the title.

    Example:
        >>> tb = parse_traceback('''Traceback (most recent call last):
        ...   File "/srv/app/views.py", line 12, in index
        ...     return data["user"]
        ... KeyError: 'user'
        ... ''')
        >>> tb.title, tb.frames[0].function, tb.frames[0].code
        ("KeyError: 'user'", 'index', 'return data["user"]')

    """
    lines = _lines(text)
    for found in _scan(lines):
        return found
    first = next((line.strip() for line in lines if line.strip()), "")
    return ParsedTraceback((), (), first)


def find_tracebacks(text: str) -> tuple[ParsedTraceback, ...]:
    """Every traceback in prose: an issue body, a ticket's description, a chat message.

    Markdown fences, indented or quoted (``> ``) blocks and Jira's ``{code}`` and
    ``{noformat}`` blocks are all read; a traceback is found by its header or, when
    the paste lost it, by its frames.

    Returns:
        The tracebacks in the order of the text (none when it has none).

    """
    return tuple(_scan(_lines(_JIRA_BLOCK.sub("\n", text))))


def frames_in_text(text: str) -> tuple[Frame, ...]:
    """The frames of every traceback in prose, as one stack for an incident.

    Each traceback's exceptions are numbered on from the previous one's, so a frame's
    ``exception`` still tells the tracebacks (and their exceptions) apart.
    """
    frames: list[Frame] = []
    offset = 0
    for found in find_tracebacks(text):
        frames.extend(attrs.evolve(f, exception=f.exception + offset) for f in found.frames)
        offset += max(
            len(found.exceptions), 1 + max((f.exception for f in found.frames), default=-1)
        )
    return tuple(frames)


# -- the incident format -------------------------------------------------------------------


def _sniff(data: bytes) -> bool:
    head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    # A JSON export whose texts hold a traceback is that export, not a traceback.
    if re.match(rb'[{]|\[\s*(?:[\[{"\]\d-]|$|true|false|null)', head):
        return False
    for line in _lines(head.decode("utf-8", "replace")):
        anchor = _ANCHOR.search(line)
        if anchor:
            # In a CSV cell or a quoted string, the first header follows a quote: the
            # file is the CSV, the traceback one of its values.
            return '"' not in line[: anchor.start()]
        if _IPYTHON_HEADER.match(line.strip()):
            return True
    return False


def traceback_incident(text: str) -> Incident | None:
    """A pasted text as an incident that is not stored, if it holds a traceback.

    Its source is ``traceback``, its id a digest of the text, its title the last
    exception line and its frames those of :func:`parse_traceback`; ``None`` when the
    text has neither a frame nor an exception line.
    """
    parsed = parse_traceback(text)
    if not parsed.frames and not parsed.exceptions:
        return None
    return Incident(
        source="traceback",
        id=digest(text),
        title=parsed.title,
        frames=parsed.frames,
        raw=text,
    )


def _read(source: str, data: bytes) -> IncidentRows:
    problems = Problems(source, IncidentDataError)
    text = decode_text(data, problems)
    incident = traceback_incident(text)
    if incident is None:
        raise problems.fatal("no traceback in the text (no frame, no exception line)")
    return IncidentRows.of("traceback", problems, [incident], 0)


TRACEBACK: Format[IncidentRows] = Format(
    "traceback",
    INCIDENTS,
    "a Python traceback as text, as pasted or logged (IPython's format too)",
    _sniff,
    _read,
)
"""A text file holding a traceback (its first, when it holds several)."""

REGISTRY.register(TRACEBACK)
