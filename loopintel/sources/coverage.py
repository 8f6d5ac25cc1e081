"""Readers of line coverage: coverage.py's data file and JSON report, Cobertura XML, LCOV.

Each reader turns one file into :class:`CoverageData`: per measured file, the lines that
ran, the lines that could have run (when the format says; coverage.py's data file does
not, so they are computed later from the source the data was measured on) and, when the
data has per-test contexts, which tests ran each line. Paths are kept as the file wrote
them; matching them to the repository is the caller's job.

The format is recognised from the content, not the file name.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from loopintel.errors import CoverageDataError

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

__all__ = ["FORMATS", "CoverageData", "FileLines", "measured_lines", "read_coverage"]

FORMATS = ("coverage.py", "json", "cobertura", "lcov")
"""Names of the formats read, as :attr:`CoverageData.format` gives them."""

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


def read_coverage(path: str | os.PathLike[str], *, format: str | None = None) -> CoverageData:  # noqa: A002
    """Read a coverage file of any supported format.

    Args:
        path: the file.
        format: one of :data:`FORMATS`; recognised from the content when ``None``.

    Raises:
        CoverageDataError: the file is missing, of no known format, or malformed (the
            message says where).

    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CoverageDataError(source, exc.strerror or str(exc)) from exc
    if format is None:
        format = _sniff(source, data)  # noqa: A001
    if format not in FORMATS:
        raise CoverageDataError(source, f"unknown format {format!r}; expected one of {FORMATS}")
    digest = hashlib.sha256(data).hexdigest()
    if format == "coverage.py":
        return attrs.evolve(_read_data_file(source), digest=digest)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CoverageDataError(source, "not UTF-8 text", f"byte {exc.start}") from exc
    if format == "json":
        read = _read_json(source, text)
    elif format == "cobertura":
        read = _read_cobertura(source, text)
    else:
        read = _read_lcov(source, text)
    return attrs.evolve(read, digest=digest)


def _sniff(source: str, data: bytes) -> str:
    if data.startswith(b"SQLite format 3\0"):
        return "coverage.py"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"<"):
        return "cobertura"
    if re.search(rb"^(SF|TN|DA):", data[:65536], re.MULTILINE):
        return "lcov"
    raise CoverageDataError(
        source,
        "not a coverage.py data file, coverage.py JSON report, Cobertura XML or LCOV file",
    )


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


def _read_data_file(source: str) -> CoverageData:
    try:
        import coverage  # noqa: PLC0415 - optional: only this format needs it
        from coverage.misc import join_regex  # noqa: PLC0415
    except ImportError as exc:
        raise CoverageDataError(
            source,
            "reading coverage.py data files needs coverage.py (pip install 'loopintel[coverage]')"
            ", or import its JSON report instead",
        ) from exc
    cov = coverage.Coverage(data_file=source, config_file=False)
    try:
        cov.load()
        data = cov.get_data()
        measured = sorted(data.measured_files())
        contexts = {c for c in data.measured_contexts() if c}
    except Exception as exc:  # coverage raises its own DataError, sqlite3 errors...
        raise CoverageDataError(source, str(exc)) from exc
    files = []
    for name in measured:
        lines = data.lines(name) or []
        by_line = _contexts(data.contexts_by_lineno(name)) if contexts else None
        files.append(FileLines(name, frozenset(lines), None, by_line))
    stamp = int(Path(source).stat().st_mtime)
    return CoverageData(
        "coverage.py",
        source,
        tuple(files),
        measured_at=stamp,
        exclude=join_regex([*cov.config.exclude_list, *cov.config.exclude_also]),
    )


# -- coverage.py JSON report ---------------------------------------------------------------


def _lines(source: str, value: Any, where: str) -> frozenset[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise CoverageDataError(source, "expected a list of line numbers", where)
    return frozenset(value)


def _read_json(source: str, text: str) -> CoverageData:
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CoverageDataError(source, exc.msg, f"line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(report, dict) or not isinstance(report.get("files"), dict):
        raise CoverageDataError(source, "no 'files' object: not a coverage.py JSON report")
    meta: dict[str, Any] = report["meta"] if isinstance(report.get("meta"), dict) else {}
    files = []
    for name, entry in report["files"].items():
        where = f"files[{name!r}]"
        if not isinstance(entry, dict):
            raise CoverageDataError(source, "expected an object", where)
        executed = _lines(source, entry.get("executed_lines"), f"{where}.executed_lines")
        missing = _lines(source, entry.get("missing_lines"), f"{where}.missing_lines")
        contexts = None
        raw = entry.get("contexts")
        if isinstance(raw, dict) and meta.get("show_contexts", True):
            try:
                by_line = _contexts({int(k): v for k, v in raw.items()})
            except (TypeError, ValueError) as exc:
                raise CoverageDataError(source, "bad contexts", f"{where}.contexts") from exc
            excluded = _lines(source, entry.get("excluded_lines", []), f"{where}.excluded_lines")
            contexts = _to_statements(by_line, executed | missing, excluded)
        files.append(FileLines(name, executed, executed | missing, contexts))
    stamp = None
    if isinstance(meta.get("timestamp"), str):
        try:
            stamp = int(datetime.fromisoformat(meta["timestamp"]).timestamp())
        except ValueError:
            stamp = None
    return CoverageData("json", source, tuple(files), measured_at=stamp)


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


def _read_cobertura(source: str, text: str) -> CoverageData:
    try:
        root = ET.fromstring(text)  # noqa: S314 - expat refuses entity expansion bombs
    except ET.ParseError as exc:
        line, column = exc.position
        raise CoverageDataError(source, "malformed XML", f"line {line} column {column}") from exc
    if root.tag != "coverage":
        raise CoverageDataError(source, f"root element is <{root.tag}>, not <coverage>")
    roots = tuple((s.text or "").strip() for s in root.iter("source") if (s.text or "").strip())
    executed: dict[str, set[int]] = {}
    coverable: dict[str, set[int]] = {}
    for element in root.iter("class"):
        name = element.get("filename")
        if not name:
            raise CoverageDataError(source, "a <class> has no filename attribute")
        ran = executed.setdefault(name, set())
        lines = coverable.setdefault(name, set())
        for entry in element.iter("line"):
            try:
                number, hits = int(entry.get("number", "")), int(entry.get("hits", ""))
            except ValueError as exc:
                raise CoverageDataError(
                    source, "a <line> needs integer number and hits", f"class {name!r}"
                ) from exc
            lines.add(number)
            if hits > 0:
                ran.add(number)
    stamp = None
    with_stamp = root.get("timestamp", "")
    if with_stamp.isdigit():
        # Cobertura writes milliseconds; some tools seconds.
        value = int(with_stamp)
        stamp = value // 1000 if value > 10**11 else value
    files = tuple(
        FileLines(name, frozenset(executed[name]), frozenset(coverable[name]))
        for name in sorted(executed)
    )
    return CoverageData("cobertura", source, files, roots=roots, measured_at=stamp)


# -- LCOV ------------------------------------------------------------------------------------


def _read_lcov(source: str, text: str) -> CoverageData:
    executed: dict[str, set[int]] = {}
    coverable: dict[str, set[int]] = {}
    current: str | None = None
    opened = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("SF:"):
            if current is not None:
                raise CoverageDataError(
                    source,
                    f"the record of {current} (line {opened}) has no end_of_record",
                    f"line {number}",
                )
            current, opened = line[3:], number
            executed.setdefault(current, set())
            coverable.setdefault(current, set())
        elif line == "end_of_record":
            current = None
        elif line.startswith("DA:"):
            if current is None:
                raise CoverageDataError(source, "DA record outside a file record", f"line {number}")
            fields = line[3:].split(",")
            try:
                lineno, hits = int(fields[0]), int(fields[1])
            except (ValueError, IndexError) as exc:
                raise CoverageDataError(
                    source, f"bad DA record {line!r}", f"line {number}"
                ) from exc
            coverable[current].add(lineno)
            if hits > 0:
                executed[current].add(lineno)
    if current is not None:
        raise CoverageDataError(
            source, f"the file ends inside the record of {current}: truncated?", f"line {opened}"
        )
    files = tuple(
        FileLines(name, frozenset(executed[name]), frozenset(coverable[name]))
        for name in sorted(executed)
    )
    if not files:
        raise CoverageDataError(source, "no file records (SF: ... end_of_record): not LCOV?")
    return CoverageData("lcov", source, files)


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
