"""Readers of line coverage: coverage.py's data file and JSON report, Cobertura XML, LCOV.

Each reader turns one file into :class:`CoverageData`: per measured file, the lines that
ran, the lines that could have run (when the format says; coverage.py's data file does
not, so they are computed later from the source the data was measured on) and, when the
data has per-test contexts, which tests ran each line. Paths are kept as the file wrote
them; matching them to the repository is the caller's job.

The format is recognised from the content, not the file name
(:data:`loopintel.sources.formats.REGISTRY`). A file with bad rows is read to its end and
every bad row is reported with its line and field, in one
:class:`~loopintel.CoverageDataError`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

import attrs

from loopintel.errors import CoverageDataError
from loopintel.sources.formats import REGISTRY, Format, Kind
from loopintel.sources.problems import Problems, brief, decode_text

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

__all__ = [
    "COVERAGE",
    "FORMATS",
    "CoverageData",
    "FileLines",
    "measured_lines",
    "read_coverage",
]

_PHASE = re.compile(r"\|(run|setup|teardown)$")


@attrs.frozen
class FileLines:
    """What one coverage file says about one measured source file."""

    path: str
    """The path as written in the coverage file."""
    executed: frozenset[int]
    """Lines that ran."""
    coverable: frozenset[int] | None
    """Lines that could run; ``None`` when the format leaves that to the source."""
    contexts: Mapping[int, frozenset[str]] | None = None
    """Per line, the tests that ran it; ``None`` when the data has no test contexts."""


@attrs.frozen
class CoverageData:
    """One coverage file, read."""

    format: str
    """One of :data:`FORMATS`."""
    source: str
    """The file read."""
    files: tuple[FileLines, ...]
    roots: tuple[str, ...] = ()
    """Directories the paths are relative to, when the format names them (Cobertura)."""
    measured_at: int | None = None
    """When the data was written, if the format records it (seconds since the epoch)."""
    exclude: str | None = None
    """For coverage.py data: the regex of lines left out of measurement."""
    digest: str = ""
    """SHA-256 of the file's bytes."""

    @property
    def has_contexts(self) -> bool:
        """Whether any file has per-test contexts."""
        return any(f.contexts is not None for f in self.files)


COVERAGE: Kind[CoverageData] = Kind("coverage", CoverageDataError)
"""Line coverage, as the registry of formats knows it."""


def read_coverage(path: str | os.PathLike[str], *, format: str | None = None) -> CoverageData:  # noqa: A002
    """Read a coverage file of any supported format.

    Args:
        path: the file.
        format: one of :data:`FORMATS`; recognised from the content when ``None``.

    Raises:
        CoverageDataError: the file is missing, of no known format, or malformed; its
            ``problems`` name every bad row with its line and field.

    """
    return REGISTRY.read(COVERAGE, path, format=format)


def _problems(source: str) -> Problems:
    return Problems(source, CoverageDataError)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _integer(text: str, problems: Problems, *, line: int, field: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        problems.add(f"expected an integer, got {brief(text)}", line=line, field=field)
        return None


def _test_name(context: str) -> str:
    """A test id from a coverage context (pytest-cov's ``id|run`` loses its phase)."""
    return _PHASE.sub("", context)


def _contexts(by_line: Mapping[int, list[str] | set[str]]) -> dict[int, frozenset[str]]:
    out: dict[int, frozenset[str]] = {}
    for line, names in by_line.items():
        tests = frozenset(_test_name(n) for n in names if n)
        if tests:
            out[line] = tests
    return out


# -- coverage.py data file ---------------------------------------------------------------


def _read_data_file(source: str, data: bytes) -> CoverageData:
    problems = _problems(source)
    try:
        import coverage  # noqa: PLC0415 - optional: only this format needs it
        from coverage.misc import join_regex  # noqa: PLC0415
    except ImportError as exc:
        raise problems.fatal(
            "reading coverage.py data files needs coverage.py (pip install 'loopintel[coverage]')"
            ", or import its JSON report instead",
        ) from exc
    cov = coverage.Coverage(data_file=source, config_file=False)
    try:
        cov.load()
        measured_data = cov.get_data()
        measured = sorted(measured_data.measured_files())
        contexts = {c for c in measured_data.measured_contexts() if c}
    except Exception as exc:  # coverage raises its own DataError, sqlite3 errors...
        raise problems.fatal(str(exc)) from exc
    files = []
    for name in measured:
        lines = measured_data.lines(name) or []
        by_line = _contexts(measured_data.contexts_by_lineno(name)) if contexts else None
        files.append(FileLines(name, frozenset(lines), None, by_line))
    stamp = int(Path(source).stat().st_mtime)
    return CoverageData(
        "coverage.py",
        source,
        tuple(files),
        measured_at=stamp,
        exclude=join_regex([*cov.config.exclude_list, *cov.config.exclude_also]),
        digest=_digest(data),
    )


# -- coverage.py JSON report ---------------------------------------------------------------


def _line_list(
    entry: Mapping[str, Any], key: str, where: str, problems: Problems, *, required: bool = True
) -> frozenset[int]:
    """The line numbers of one list of a file's entry; a problem when it is not one."""
    field = f"{where}.{key}"
    if key not in entry:
        if required:
            problems.add("missing (expected a list of line numbers)", field=field)
        return frozenset()
    value = entry[key]
    if not isinstance(value, list):
        problems.add(f"expected a list of line numbers, got {brief(value)}", field=field)
        return frozenset()
    bad = [(i, v) for i, v in enumerate(value) if not isinstance(v, int) or isinstance(v, bool)]
    if bad:
        index, item = bad[0]
        others = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        problems.add(
            f"expected a list of line numbers, item {index} is {brief(item)}{others}", field=field
        )
    return frozenset(v for v in value if isinstance(v, int) and not isinstance(v, bool))


def _json_contexts(raw: Any, where: str, problems: Problems) -> dict[int, frozenset[str]] | None:
    """A file's contexts (line number text to test names); ``None`` when unusable."""
    field = f"{where}.contexts"
    if not isinstance(raw, dict):
        problems.add(f"expected an object of line numbers to tests, got {brief(raw)}", field=field)
        return None
    by_line: dict[int, list[str]] = {}
    for key, names in raw.items():
        if not (isinstance(key, str) and key.isdigit()):
            problems.add(f"expected a line number as key, got {brief(key)}", field=field)
        elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.add(
                f"expected a list of test names, got {brief(names)}", field=f"{field}[{key!r}]"
            )
        else:
            by_line[int(key)] = names
    return _contexts(by_line)


def _read_json(source: str, data: bytes) -> CoverageData:
    problems = _problems(source)
    text = decode_text(data, problems)
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise problems.fatal(
            f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from exc
    if not isinstance(report, dict) or not isinstance(report.get("files"), dict):
        raise problems.fatal("no 'files' object: not a coverage.py JSON report")
    meta: dict[str, Any] = report["meta"] if isinstance(report.get("meta"), dict) else {}
    files = []
    for name, entry in report["files"].items():
        where = f"files[{name!r}]"
        if not isinstance(entry, dict):
            problems.add(f"expected an object, got {brief(entry)}", field=where)
            continue
        executed = _line_list(entry, "executed_lines", where, problems)
        missing = _line_list(entry, "missing_lines", where, problems)
        contexts = None
        raw = entry.get("contexts")
        if raw is not None and meta.get("show_contexts", True):
            by_line = _json_contexts(raw, where, problems)
            excluded = _line_list(entry, "excluded_lines", where, problems, required=False)
            if by_line is not None:
                contexts = _to_statements(by_line, executed | missing, excluded)
        files.append(FileLines(name, executed, executed | missing, contexts))
    problems.check()
    stamp = None
    if isinstance(meta.get("timestamp"), str):
        try:
            stamp = int(datetime.fromisoformat(meta["timestamp"]).timestamp())
        except ValueError:
            stamp = None
    return CoverageData("json", source, tuple(files), measured_at=stamp, digest=_digest(data))


def _to_statements(
    by_line: Mapping[int, frozenset[str]], statements: frozenset[int], excluded: frozenset[int]
) -> dict[int, frozenset[str]]:
    """Contexts keyed by the statement each line belongs to.

    The report keys contexts by the lines Python reported, which include the inner
    lines of statements spread over several lines; such a line belongs to the nearest
    statement that starts above it (what coverage.py's parser says of it, for the
    statements a report lists).
    """
    starts = sorted(statements)
    out: dict[int, set[str]] = {}
    for line, tests in by_line.items():
        if line in excluded:
            continue
        if line not in statements:
            above = bisect.bisect_right(starts, line)
            if not above:
                continue
            line = starts[above - 1]  # noqa: PLW2901 - the statement the line belongs to
        out.setdefault(line, set()).update(tests)
    return {line: frozenset(tests) for line, tests in out.items()}


# -- Cobertura XML ---------------------------------------------------------------------------


class _Cobertura:
    """Expat handlers that gather a Cobertura report, noting each bad element's line.

    Expat rather than ``ElementTree``: its handlers can ask the parser for the line
    they are on, so a problem names the line of the element, and the report is never
    held as a tree.
    """

    def __init__(self, parser: expat.XMLParserType, problems: Problems) -> None:
        self.parser = parser
        self.problems = problems
        self.root: str | None = None
        self.timestamp = ""
        self.roots: list[str] = []
        self.text: list[str] | None = None
        self.current: str | None = None
        self.executed: dict[str, set[int]] = {}
        self.coverable: dict[str, set[int]] = {}

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        if self.root is None:
            self.root = tag
            if tag != "coverage":
                raise self.problems.fatal(f"root element is <{tag}>, not <coverage>", line=line)
            self.timestamp = attributes.get("timestamp", "")
        elif tag == "source":
            self.text = []
        elif tag == "class":
            self.current = attributes.get("filename") or None
            if self.current is None:
                self.problems.add(
                    "missing (every <class> names the file it measured)",
                    line=line,
                    field="<class filename>",
                )
            else:
                self.executed.setdefault(self.current, set())
                self.coverable.setdefault(self.current, set())
        elif tag == "line" and self.current is not None:
            number = self._integer(attributes, "number", line)
            hits = self._integer(attributes, "hits", line)
            if number is not None:
                self.coverable[self.current].add(number)
                if hits is not None and hits > 0:
                    self.executed[self.current].add(number)

    def _integer(self, attributes: dict[str, str], name: str, line: int) -> int | None:
        field = f"<line {name}>"
        if name not in attributes:
            self.problems.add("missing (expected an integer)", line=line, field=field)
            return None
        return _integer(attributes[name], self.problems, line=line, field=field)

    def end(self, tag: str) -> None:
        if tag == "class":
            self.current = None
        elif tag == "source" and self.text is not None:
            root = "".join(self.text).strip()
            if root:
                self.roots.append(root)
            self.text = None

    def characters(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)


def _read_cobertura(source: str, data: bytes) -> CoverageData:
    problems = _problems(source)
    text = decode_text(data, problems)
    # Expat refuses entity expansion bombs and, with no handler set, external entities.
    parser = expat.ParserCreate()
    parser.buffer_text = True
    report = _Cobertura(parser, problems)
    parser.StartElementHandler = report.start
    parser.EndElementHandler = report.end
    parser.CharacterDataHandler = report.characters
    try:
        parser.Parse(text, True)  # True: the last (only) chunk
    except expat.ExpatError as exc:
        raise problems.fatal(
            f"malformed XML: {expat.ErrorString(exc.code)}",
            line=exc.lineno,
            column=exc.offset + 1,
        ) from exc
    problems.check()
    stamp = None
    if report.timestamp.isdigit():
        # Cobertura writes milliseconds; some tools seconds.
        value = int(report.timestamp)
        stamp = value // 1000 if value > 10**11 else value
    files = tuple(
        FileLines(name, frozenset(report.executed[name]), frozenset(report.coverable[name]))
        for name in sorted(report.executed)
    )
    return CoverageData(
        "cobertura",
        source,
        files,
        roots=tuple(report.roots),
        measured_at=stamp,
        digest=_digest(data),
    )


# -- LCOV ------------------------------------------------------------------------------------


def _read_lcov(source: str, data: bytes) -> CoverageData:
    problems = _problems(source)
    text = decode_text(data, problems)
    executed: dict[str, set[int]] = {}
    coverable: dict[str, set[int]] = {}
    current: str | None = None
    opened = 0
    # Split on newlines only: str.splitlines() also breaks at form feeds and other
    # separators, and the line numbers would drift from what an editor shows.
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if line.startswith("SF:"):
            if current is not None:
                problems.add(
                    f"the record of {current} (line {opened}) has no end_of_record",
                    line=number,
                    field="SF",
                )
            current, opened = line[3:], number
            executed.setdefault(current, set())
            coverable.setdefault(current, set())
        elif line == "end_of_record":
            current = None
        elif line.startswith("DA:"):
            if current is None:
                problems.add(
                    "outside a file record (no SF: line above it)", line=number, field="DA"
                )
                continue
            fields = line[3:].split(",")
            if len(fields) < 2:
                problems.add(
                    f"expected DA:<line>,<hits>, got {brief(line)}", line=number, field="DA"
                )
                continue
            lineno = _integer(fields[0], problems, line=number, field="DA line")
            hits = _integer(fields[1], problems, line=number, field="DA hits")
            if lineno is not None:
                coverable[current].add(lineno)
                if hits is not None and hits > 0:
                    executed[current].add(lineno)
    if current is not None:
        problems.add(
            f"the file ends inside the record of {current}: truncated?", line=opened, field="SF"
        )
    if not executed:
        problems.add("no file records (SF: ... end_of_record): not LCOV?")
    problems.check()
    files = tuple(
        FileLines(name, frozenset(executed[name]), frozenset(coverable[name]))
        for name in sorted(executed)
    )
    return CoverageData("lcov", source, files, digest=_digest(data))


# -- the formats ------------------------------------------------------------------------------

_LCOV_RECORD = re.compile(rb"^(SF|TN|DA):", re.MULTILINE)


def _head(data: bytes) -> bytes:
    return data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")


for _format in (
    Format(
        "coverage.py",
        COVERAGE,
        "coverage.py's data file (.coverage, an SQLite database)",
        lambda data: data.startswith(b"SQLite format 3\0"),
        _read_data_file,
    ),
    Format(
        "json",
        COVERAGE,
        "coverage.py's JSON report (coverage json)",
        lambda data: _head(data).startswith(b"{"),
        _read_json,
    ),
    Format(
        "cobertura",
        COVERAGE,
        "Cobertura XML (coverage xml, and most other languages' tools)",
        lambda data: _head(data).startswith(b"<"),
        _read_cobertura,
    ),
    Format(
        "lcov",
        COVERAGE,
        "LCOV tracefile (coverage lcov, geninfo)",
        lambda data: _LCOV_RECORD.search(data, 0, 65536) is not None,
        _read_lcov,
    ),
):
    REGISTRY.register(_format)

FORMATS = REGISTRY.names(COVERAGE)
"""Names of the formats read, as :attr:`CoverageData.format` gives them."""


def measured_lines(
    lines: FileLines, text: str, exclude: str | None
) -> tuple[frozenset[int], frozenset[int], Mapping[int, frozenset[str]] | None]:
    """Executed lines, coverable lines and contexts of one file, on its measured source.

    Formats that list coverable lines are taken as they are. For coverage.py's data
    file, the coverable lines are the statements coverage.py's own parser finds in
    ``text`` (the version the data was measured on), and executed lines are mapped to
    the first line of their statement, as coverage.py's reports do.
    """
    if lines.coverable is not None:
        return lines.executed, lines.coverable, lines.contexts
    from coverage.parser import PythonParser  # noqa: PLC0415 - only coverage.py data needs it

    if not text.strip():
        return frozenset(), frozenset(), lines.contexts
    parser = PythonParser(text=text, exclude=exclude)
    try:
        parser.parse_source()
    except Exception:  # noqa: BLE001 - coverage's NotPython: the version does not parse
        return frozenset(), frozenset(), lines.contexts
    executed = frozenset(parser.translate_lines(lines.executed))
    contexts = None
    if lines.contexts is not None:
        merged: dict[int, set[str]] = {}
        for line, tests in lines.contexts.items():
            merged.setdefault(parser.first_line(line), set()).update(tests)
        contexts = {line: frozenset(tests) for line, tests in merged.items()}
    return executed, frozenset(parser.statements), contexts
