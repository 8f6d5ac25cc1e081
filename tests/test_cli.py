"""The ``loopintel`` command: what it prints and the exit codes it returns.

Run in-process (``tests/cli_runner.py``); what only a real process shows is in
``tests/test_cli_process.py``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from tests.cli_runner import run_cli

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

EXPORT_RECORD = (
    "commit",
    "parent",
    "authored_at",
    "committed_at",
    "author_name",
    "author_email",
    "path",
    "qualname",
    "old_path",
    "old_qualname",
    "kind",
    "change_types",
    "lines_added",
    "lines_removed",
    "complexity",
    "lineage",
    "start_line",
    "end_line",
)
"""The fields of the export record, in order: the design's fifteen, with ``committed_at``
beside ``authored_at`` and the span at the end. Written out here, not imported, so that a
change to the writer's list shows up as a failing test (scripts read these columns)."""


def build(builder: RepoBuilder) -> None:
    builder.commit(
        {"pkg/app.py": "def serve(port):\n    return port\n"}, author=("Ann", "ann@example.com")
    )
    builder.commit(
        {
            "pkg/app.py": "def serve(port, host):\n    return host, port\n\n\ndef stop():\n    pass\n"
        },
        author=("Bob", "bob@example.com"),
    )


def test_index_prints_a_summary_and_json(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "i.sqlite3")
    human = run_cli("index", str(repo_builder.path), "--index-path", index)
    assert "indexed 2 new commits" in human.stdout
    assert "3 function changes" in human.stdout
    summary = json.loads(
        run_cli("index", str(repo_builder.path), "--index-path", index, "--json").stdout
    )
    assert summary["commits_indexed"] == 0
    assert summary["commits_total"] == 2
    assert summary["head"] == repo_builder.head


def test_export_fields_are_the_documented_ones_in_order(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    where = [str(repo_builder.path), "--index-path", str(tmp_path / "i.sqlite3")]
    jsonl = run_cli("changes", *where).stdout.splitlines()
    assert len(jsonl) == 3
    for line in jsonl:
        assert tuple(json.loads(line)) == EXPORT_RECORD
    header, *rows = run_cli("changes", *where, "--format", "csv", "--no-update").stdout.splitlines()
    assert tuple(header.split(",")) == EXPORT_RECORD
    assert len(rows) == 3


def test_changes_jsonl_records(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    out = run_cli(
        "changes", str(repo_builder.path), "--index-path", str(tmp_path / "i.sqlite3")
    ).stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3
    modified = next(r for r in records if r["kind"] == "modified")
    assert modified["qualname"] == "serve"
    assert modified["old_qualname"] == "serve"
    assert sorted(modified["change_types"]) == ["body", "signature"]
    assert modified["author_email"] == "bob@example.com"
    assert modified["authored_at"].endswith("+01:00")
    added = records[0]
    assert added["kind"] == "added"
    assert added["old_path"] is None
    assert added["parent"] is None


def test_changes_csv_and_filters(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "i.sqlite3")
    out = run_cli(
        "changes", str(repo_builder.path), "--index-path", index, "--format", "csv"
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3
    by_bob = run_cli(
        "changes", str(repo_builder.path), "--index-path", index, "--author", "bob@example.com"
    ).stdout
    assert {json.loads(line)["qualname"] for line in by_bob.splitlines()} == {"serve", "stop"}
    serve = run_cli(
        "changes", str(repo_builder.path), "--index-path", index, "--function", "pkg/app.py::serve"
    ).stdout
    assert len(serve.splitlines()) == 2
    added = run_cli(
        "changes", str(repo_builder.path), "--index-path", index, "--kind", "added", "--no-update"
    ).stdout
    assert len(added.splitlines()) == 2


def test_functions_and_skipped(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    repo_builder.commit({"bad.py": b"\x00binary"})
    index = str(tmp_path / "i.sqlite3")
    listed = run_cli("functions", str(repo_builder.path), "--index-path", index).stdout
    assert listed.splitlines() == ["pkg/app.py::serve\t1-2", "pkg/app.py::stop\t5-6"]
    skipped = [
        json.loads(x)
        for x in run_cli(
            "skipped", str(repo_builder.path), "--index-path", index, "--json"
        ).stdout.splitlines()
    ]
    assert [(s["path"], s["reason"]) for s in skipped] == [("bad.py", "binary (NUL bytes)")]


def test_errors_exit_1_with_a_message(tmp_path: Path) -> None:
    missing = run_cli("index", str(tmp_path / "nowhere"), check=False)
    assert missing.exit_code == 1
    assert "no such file or directory" in missing.stderr
    assert "Traceback" not in missing.stderr
    plain = run_cli("index", str(tmp_path), check=False)
    assert plain.exit_code == 1
    assert "not a git repository" in plain.stderr


def test_unknown_ref_and_bad_dates_exit_1(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "i.sqlite3")
    bad_ref = run_cli(
        "index", str(repo_builder.path), "--index-path", index, "--ref", "v9", check=False
    )
    assert bad_ref.exit_code == 1
    assert "unknown ref 'v9'" in bad_ref.stderr
    bad_date = run_cli(
        "changes",
        str(repo_builder.path),
        "--index-path",
        index,
        "--since",
        "yesterday-ish",
        check=False,
    )
    assert bad_date.exit_code == 1
    assert "invalid since" in bad_date.stderr


def test_usage_errors_exit_2() -> None:
    result = run_cli("changes", ".", "--format", "xml", check=False)
    assert result.exit_code == 2
    assert "xml" in result.stderr


def test_paths_are_read_like_git_reads_them(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    work = repo_builder.path
    (work / "pkg").mkdir()
    index = str(tmp_path / "i.sqlite3")
    base = ["changes", "--index-path", index]
    from_root = run_cli(*base, "--path", "./pkg/app.py", cwd=work)
    from_sub = run_cli(*base, "--path", "app.py", cwd=work / "pkg")
    absolute = run_cli(*base, str(work), "--path", str(work / "pkg"), cwd=tmp_path)
    assert len(from_root.stdout.splitlines()) == 3
    assert from_sub.stdout == from_root.stdout
    assert absolute.stdout == from_root.stdout
    nothing = run_cli(*base, "--path", "nowhere", cwd=work, check=False)
    assert nothing.exit_code == 1
    assert nothing.stdout == ""
    assert "no indexed file or directory matches 'nowhere'" in nothing.stderr
    from_root_in_sub = run_cli(*base, "--path", "pkg/app.py", cwd=work / "pkg")
    assert from_root_in_sub.stdout == from_root.stdout
    gone = run_cli(*base, "--path", "pkg/ap.py", cwd=work, check=False)
    assert gone.exit_code == 1
    assert "closest: pkg/app.py" in gone.stderr


def test_unknown_function_lists_the_closest(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    result = run_cli(
        "changes",
        str(repo_builder.path),
        "--index-path",
        str(tmp_path / "i.sqlite3"),
        "--function",
        "pkg/app.py::serv",
        check=False,
    )
    assert result.exit_code == 1
    assert "no function matches 'pkg/app.py::serv'; closest: pkg/app.py::serve" in result.stderr


def test_index_location_errors_say_what_is_wrong(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    blocker = tmp_path / "afile"
    blocker.write_text("")
    under_file = run_cli(
        "index", str(repo_builder.path), "--index-path", str(blocker / "x.sqlite3"), check=False
    )
    assert under_file.exit_code == 1
    assert "is not a directory" in under_file.stderr
    missing = run_cli(
        "changes",
        str(repo_builder.path),
        "--index-path",
        str(tmp_path / "none.sqlite3"),
        "--no-update",
        check=False,
    )
    assert missing.exit_code == 1
    assert "run `loopintel index` first" in missing.stderr


def test_history_and_who_of_a_function(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "i.sqlite3")
    lines = run_cli(
        "history", "serve", str(repo_builder.path), "--index-path", index
    ).stdout.splitlines()
    assert len(lines) == 2
    assert "modified" in lines[0]
    assert "pkg/app.py::serve" in lines[0]
    assert "added" in lines[1]
    records = [
        json.loads(x)
        for x in run_cli(
            "who", "pkg/app.py::serve", str(repo_builder.path), "--index-path", index, "--json"
        ).stdout.splitlines()
    ]
    # Bob made the latest change: his work stands; Ann introduced it.
    assert [r["email"] for r in records] == ["bob@example.com", "ann@example.com"]
    assert [r["first_author"] for r in records] == [False, True]
    assert math.isclose(sum(r["share"] for r in records), 1.0)
    missing = run_cli("who", "nosuch", str(repo_builder.path), "--index-path", index, check=False)
    assert missing.exit_code == 1
    assert "no function matches" in missing.stderr


def test_show_a_function(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "i.sqlite3")
    record = json.loads(
        run_cli("show", "serve", str(repo_builder.path), "--index-path", index, "--json").stdout
    )
    assert (record["path"], record["qualname"], record["changes"], record["at_head"]) == (
        "pkg/app.py",
        "serve",
        2,
        True,
    )
    assert record["last_changed"]["author_email"] == "bob@example.com"
    assert record["introduced"]["author_email"] == "ann@example.com"
    assert record["experts"][0]["email"] == "bob@example.com"
    human = run_cli("show", "serve", str(repo_builder.path), "--index-path", index).stdout
    assert human.startswith("pkg/app.py::serve")
    assert "last changed" in human
    assert "Bob" in human


def test_function_paths_are_read_from_the_current_directory(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    index = str(tmp_path / "index.sqlite3")
    inside = repo_builder.path / "pkg"
    inside.mkdir()
    (inside / "app.py").write_text("")  # a checkout has the file where the user stands

    for query in ("app.py::serve", "app.py:1", "pkg/app.py::serve"):
        shown = run_cli("show", query, "--index-path", index, cwd=inside)
        assert shown.stdout.startswith("pkg/app.py::serve")


def test_a_malformed_function_name_is_a_clean_error(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    index = str(tmp_path / "index.sqlite3")
    for query in ("pkg/app.py::", "::serve"):
        result = run_cli("show", query, str(repo_builder.path), "--index-path", index, check=False)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: invalid function")
        assert "Traceback" not in result.stderr


def test_an_in_process_run_leaves_no_trace(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    """What a real process could not leak, the in-process runner does not either."""
    build(repo_builder)
    cwd, environ, filters = Path.cwd(), dict(os.environ), list(warnings.filters)
    ran = run_cli(
        "changes",
        "--index-path",
        str(tmp_path / "i.sqlite3"),
        cwd=repo_builder.path,
        env={"LOOPINTEL_INDEX": str(tmp_path / "elsewhere.sqlite3"), "HOME": None},
    )
    assert len(ran.stdout.splitlines()) == 3
    assert (Path.cwd(), dict(os.environ), list(warnings.filters)) == (cwd, environ, filters)
