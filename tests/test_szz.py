"""SZZ on repositories whose inducing commits are known by construction.

Each history writes a line, maybe carries it through renames, moves, reformatting and
merges, and then a fix changes it: the commit that wrote it is the answer.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import InvalidQuery, LineRole, UnknownRef
from loopintel.analysis.szz import changed_lines, content, follow
from loopintel.history.git import GitRepository
from loopintel.szz import is_test_path
from tests.cli_runner import run_cli
from tests.conftest import EPOCH

if TYPE_CHECKING:
    from pathlib import Path

    from loopintel.languages.layout import Hunk
    from tests.conftest import RepoBuilder

BASE = """\
def load(path):
    with open(path) as f:
        return f.read()


def parse(text):
    rows = text.split(",")
    return [r for r in rows if r]
"""


def opened(builder: RepoBuilder, tmp_path: Path) -> loopintel.Repository:
    return loopintel.open(builder.path, index_path=tmp_path / "i.sqlite3")


def commits(result: loopintel.SZZResult) -> list[str]:
    return [i.commit for i in result.inducing]


# -- the line arithmetic ---------------------------------------------------------------------


def test_content_ignores_whitespace_comments_and_quote_style() -> None:
    assert content("    x = f( 'a' )  # note") == 'x=f("a")'
    assert content("# only a comment") == ""
    assert content("s = '#not a comment'") == 's="#notacomment"'


def hunks(old: str, new: str) -> tuple[Hunk, ...]:
    return GitRepository.text_hunks(old, new)


def test_changed_lines_leave_out_blank_comment_and_reindented_lines() -> None:
    old = "a = 1\n\n# note\nb = 2\nc = 3\n"
    new = "a = 1\nif x:\n    b = 2\nc = 4\n"
    lines, additions = changed_lines(old.splitlines(), new.splitlines(), hunks(old, new))
    # Line 4 (b = 2) was only re-indented under the new if; the blank line and the
    # comment have no content; c = 3 became c = 4.
    assert [number for number, _ in lines] == [5]
    assert lines == [(5, False)]
    assert additions == []


def test_an_addition_alone_is_reported_with_where_it_went() -> None:
    old = "a = 1\nb = 2\n"
    new = "a = 1\nguard()\nb = 2\n"
    lines, additions = changed_lines(old.splitlines(), new.splitlines(), hunks(old, new))
    assert lines == []
    assert [(a.after, a.lines) for a in additions] == [(1, 1)]


def test_follow_maps_lines_past_a_reflow_and_marks_written_ones() -> None:
    old = "call(a, b)\nkeep = 1\n"
    new = "call(\n    a,\n    b,\n)\nkeep = 1\nnew = 2\n"
    trace = follow(old.splitlines(), new.splitlines(), hunks(old, new), [2, 3, 5, 6])
    assert trace.mapped == {2: 1, 3: 1, 5: 2}
    assert trace.cosmetic == {2, 3}
    assert trace.written == {6}


def test_test_paths() -> None:
    assert is_test_path("tests/test_app.py")
    assert is_test_path("src/pkg/conftest.py")
    assert is_test_path("pkg/app_test.py")
    assert not is_test_path("src/pkg/testing_utils.py")
    assert not is_test_path("src/contest.py")


# -- whole histories ---------------------------------------------------------------------------


def test_the_commit_that_wrote_the_fixed_line_is_found(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"app/io.py": BASE}, "Start")
    bug = repo_builder.commit(
        {"app/io.py": BASE.replace('split(",")', 'split(";")')}, "Use semicolons"
    )
    repo_builder.commit({"app/io.py": BASE.replace('split(",")', 'split(";")') + "\nX = 1\n"})
    fix = repo_builder.commit({"app/io.py": BASE + "\nX = 1\n"}, "Fix parse: commas again")
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert commits(result) == [bug]
    (found,) = result.inducing
    assert found.lines == 1
    assert [str(f) for f in found.functions] == ["app/io.py::parse"]
    (line,) = found.evidence
    assert (line.path, line.line, line.role) == ("app/io.py", 7, LineRole.CHANGED)
    assert line.text == 'rows = text.split(";")'
    assert (line.origin, line.origin_path, line.origin_line) == (bug, "app/io.py", 7)
    assert line.lineage == repo.function("app/io.py::parse").lineage
    # An abbreviated sha or a ref names the fix as well.
    assert commits(repo.szz(fix[:10])) == [bug]
    assert commits(repo.szz("main")) == [bug]


def test_lines_are_followed_through_renames_and_moves_that_blame_cannot_follow(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"app/io.py": BASE}, "Start")
    buggy = BASE.replace("if r]", "if r.strip()]")
    bug = repo_builder.commit({"app/io.py": buggy}, "Skip blank rows")
    # The function is renamed, then moved with others into a new module.
    renamed = buggy.replace("def parse(", "def parse_rows(")
    repo_builder.commit({"app/io.py": renamed}, "Rename parse")
    load_only, _, rows = renamed.partition("\n\n\ndef parse_rows")
    moved = repo_builder.commit(
        {
            "app/io.py": load_only + "\n",
            "app/rows.py": "import re\n\n\ndef parse_rows" + rows,
        },
        "Move row parsing to its own module",
    )
    fixed = ("import re\n\n\ndef parse_rows" + rows).replace("r.strip()]", "r]")
    fix = repo_builder.commit({"app/rows.py": fixed}, "Keep rows of spaces")
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert commits(result) == [bug]
    (line,) = result.lines
    assert line.function is not None
    assert str(line.function) == "app/rows.py::parse_rows"
    assert line.origin_path == "app/io.py"
    whys = [(step.commit, step.why) for step in line.steps]
    assert (moved, "moved") in whys
    assert any(why == "renamed" for _, why in whys)
    assert [str(f) for f in result.inducing[0].functions] == ["app/io.py::parse"]


def test_reformatting_is_passed_over(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    source = "def send(host, port, payload):\n    connect(host, port, timeout=30, retries=0)\n    return write(payload, 'utf-8')\n"
    repo_builder.commit({"net.py": source.replace("retries=0", "retries=3")}, "Start")
    bug = repo_builder.commit({"net.py": source}, "No retries")
    reformatted = (
        "def send(host, port, payload):\n"
        "    connect(\n"
        "        host,\n"
        "        port,\n"
        "        timeout=30,\n"
        "        retries=0,\n"
        "    )  # reflowed\n"
        '    return write(payload, "utf-8")\n'
    )
    black = repo_builder.commit({"net.py": reformatted}, "Reformat with black")
    fix = repo_builder.commit(
        {"net.py": reformatted.replace("retries=0", "retries=3")}, "Retry on connect"
    )
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert commits(result) == [bug]
    assert black not in commits(result)
    (line,) = result.lines
    assert line.text == "retries=0,"
    assert [(s.commit, s.why) for s in line.steps] == [(black, "cosmetic")]
    assert line.origin_line == 2


def test_blank_comment_and_docstring_lines_are_not_traced(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    source = 'def f(x):\n    """Old words."""\n    # a note\n\n    return x + 1\n'
    repo_builder.commit({"m.py": source}, "Start")
    fix = repo_builder.commit(
        {"m.py": 'def f(x):\n    """New words."""\n    return x + 2\n'}, "Fix f"
    )
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert [(line.line, line.text) for line in result.lines] == [(5, "return x + 1")]


def test_a_fix_that_only_adds_code_blames_the_lines_beside_it(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"m.py": "def f(items):\n    total = 0\n    return total\n"}, "Start")
    loop = repo_builder.commit(
        {
            "m.py": "def f(items):\n    total = 0\n    for i in items:\n        total += i\n"
            "    return total\n"
        },
        "Sum the items",
    )
    fix = repo_builder.commit(
        {
            "m.py": "def f(items):\n    total = 0\n    for i in items:\n        if i is None:\n"
            "            continue\n        total += i\n    return total\n"
        },
        "Skip missing items",
    )
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert {line.role for line in result.lines} == {LineRole.CONTEXT}
    assert [line.text for line in result.lines] == ["for i in items:", "total += i"]
    assert commits(result) == [loop]
    assert result.inducing[0].score == 1.0  # two lines beside an addition, 0.5 each
    assert any("only adds code" in note for note in result.notes)


def test_test_files_are_left_out_unless_the_fix_changed_only_tests(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    start = repo_builder.commit(
        {"m.py": "def f():\n    return 1\n", "tests/test_m.py": "def test_f():\n    assert 1\n"},
        "Start",
    )
    fix = repo_builder.commit(
        {"m.py": "def f():\n    return 2\n", "tests/test_m.py": "def test_f():\n    assert 2\n"},
        "Fix f",
    )
    only_tests = repo_builder.commit(
        {"tests/test_m.py": "def test_f():\n    assert f() == 2\n"}, "Fix the test"
    )
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert [line.path for line in result.lines] == ["m.py"]
    assert any("tests/test_m.py" in note for note in result.notes)
    assert commits(repo.szz(only_tests)) == [fix]
    assert [line.path for line in repo.szz(only_tests).lines] == ["tests/test_m.py"]
    assert commits(repo.szz(fix)) == [start]


def test_module_level_lines_are_traced_through_their_file(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"conf.py": "TIMEOUT = 30\n\n\ndef get():\n    return TIMEOUT\n"})
    bug = repo_builder.commit({"conf.py": "TIMEOUT = 0\n\n\ndef get():\n    return TIMEOUT\n"})
    repo_builder.commit({"conf.py": "import os\nTIMEOUT = 0\n\n\ndef get():\n    return TIMEOUT\n"})
    fix = repo_builder.commit(
        {"conf.py": "import os\nTIMEOUT = 30\n\n\ndef get():\n    return TIMEOUT\n"}
    )
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert commits(result) == [bug]
    (line,) = result.lines
    assert line.function is None
    assert line.lineage is None
    assert (line.line, line.origin_line) == (2, 1)
    assert result.inducing[0].functions == ()


def test_a_line_written_on_a_branch_is_blamed_on_its_commit_not_the_merge(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    base = repo_builder.commit({"m.py": "def f():\n    a = 1\n    return a\n", "n.py": "X = 1\n"})
    side = repo_builder.commit(
        {"m.py": "def f():\n    a = 2\n    return a\n"}, "Side: change a", ref="refs/heads/side"
    )
    repo_builder.checkout_files(base)
    main = repo_builder.commit({"n.py": "X = 2\n"}, "Main: change X")
    repo_builder.checkout_files(main)
    merge = repo_builder.commit(
        {"m.py": "def f():\n    a = 2\n    return a\n"}, "Merge side", parents=[main, side]
    )
    fix = repo_builder.commit({"m.py": "def f():\n    a = 3\n    return a\n"}, "Fix a")
    repo = opened(repo_builder, tmp_path)
    result = repo.szz(fix)
    assert commits(result) == [side]
    assert merge not in commits(result)


def test_candidates_after_the_issue_date_are_dropped(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"m.py": "def f(x):\n    a = x\n    b = x\n    return a + b\n"})
    early = repo_builder.commit({"m.py": "def f(x):\n    a = -x\n    b = x\n    return a + b\n"})
    late = repo_builder.commit({"m.py": "def f(x):\n    a = -x\n    b = -x\n    return a + b\n"})
    fix = repo_builder.commit({"m.py": "def f(x):\n    a = x\n    b = x\n    return a + b\n"})
    repo = opened(repo_builder, tmp_path)
    assert set(commits(repo.szz(fix))) == {early, late}
    # The builder makes one commit an hour after EPOCH: the bug was reported between the
    # second commit (early, EPOCH + 2 h) and the third (late, EPOCH + 3 h).
    reported = datetime.fromtimestamp(EPOCH + 2.5 * 3600, UTC)
    result = repo.szz(fix, issue_date=reported)
    assert commits(result) == [early]
    assert [d.commit for d in result.dropped] == [late]
    assert commits(repo.szz(fix, issue_date=reported.isoformat())) == [early]
    # A date counts as its whole day (UTC): both were written that day.
    day = datetime.fromtimestamp(EPOCH + 3 * 3600, UTC).date()
    assert set(commits(repo.szz(fix, issue_date=day))) == {early, late}
    assert commits(repo.szz(fix, issue_date=date(1990, 1, 1))) == []


def test_a_sweeping_commit_is_set_apart(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    many = "".join(f"def f{n}():\n    return {n}\n\n\n" for n in range(101))
    repo_builder.commit({"m.py": many}, "Start")
    sweep = repo_builder.commit({"m.py": many.replace("return", "return  0 +")}, "Sweep")
    fix = repo_builder.commit(
        {"m.py": many.replace("return", "return  0 +").replace("return  0 + 7\n", "return 7\n")},
        "Fix f7",
    )
    result = opened(repo_builder, tmp_path).szz(fix)
    assert result.inducing == ()
    assert [c.commit for c in result.sweeping] == [sweep]
    assert any("more than 100 functions" in note for note in result.notes)


def test_the_strongest_candidate_comes_first(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"m.py": "def f():\n    a = 1\n    b = 1\n    c = 1\n"})
    one = repo_builder.commit({"m.py": "def f():\n    a = 2\n    b = 1\n    c = 1\n"})
    two = repo_builder.commit({"m.py": "def f():\n    a = 2\n    b = 2\n    c = 2\n"})
    fix = repo_builder.commit({"m.py": "def f():\n    a = 3\n    b = 3\n    c = 3\n"})
    result = opened(repo_builder, tmp_path).szz(fix)
    assert commits(result) == [two, one]
    assert [i.lines for i in result.inducing] == [2, 1]
    assert [i.score for i in result.inducing] == [2.0, 1.0]


def test_paths_narrow_the_lines_traced(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"a.py": "def f():\n    return 1\n", "b.py": "def g():\n    return 1\n"})
    fix = repo_builder.commit(
        {"a.py": "def f():\n    return 2\n", "b.py": "def g():\n    return 2\n"}
    )
    repo = opened(repo_builder, tmp_path)
    assert {line.path for line in repo.szz(fix).lines} == {"a.py", "b.py"}
    assert {line.path for line in repo.szz(fix, paths=["b.py"]).lines} == {"b.py"}


def test_bad_input_is_refused_with_what_was_wrong(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    root = repo_builder.commit({"m.py": "def f():\n    return 1\n"})
    repo = opened(repo_builder, tmp_path)
    with pytest.raises(UnknownRef, match="nosuchref"):
        repo.szz("nosuchref")
    with pytest.raises(InvalidQuery, match="timezone"):
        repo.szz(root, issue_date=datetime(2024, 1, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(InvalidQuery, match="ISO 8601"):
        repo.szz(root, issue_date="last tuesday")
    result = repo.szz(root)
    assert result.inducing == ()
    assert "root commit" in result.notes[0]


def test_the_result_is_json_ready(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"m.py": "def f():\n    return 1\n"})
    fix = repo_builder.commit({"m.py": "def f():\n    return 2\n"})
    record = opened(repo_builder, tmp_path).szz(fix).to_dict()
    assert record["fix"] == fix
    (inducing,) = record["inducing"]
    assert inducing["lines"] == 1
    assert inducing["functions"] == [{"path": "m.py", "qualname": "f"}]
    assert inducing["evidence"][0]["role"] == "changed"


def test_the_command_prints_the_answer_and_refuses_bad_input(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"m.py": "def f():\n    return 1\n"}, "Start")
    bug = repo_builder.commit({"m.py": "def f():\n    return 0\n"}, "Return nothing")
    fix = repo_builder.commit({"m.py": "def f():\n    return 1\n"}, "Return one again")
    env = {"LOOPINTEL_INDEX": str(tmp_path / "cli.sqlite3")}
    path = str(repo_builder.path)
    done = run_cli("szz", fix[:10], path, "--json", env=env)
    record = json.loads(done.stdout)
    assert record["fix"] == fix
    assert [i["commit"] for i in record["inducing"]] == [bug]
    assert record["inducing"][0]["functions"] == [{"path": "m.py", "qualname": "f"}]
    human = run_cli("szz", fix, path, env=env).stdout
    assert f"fix {fix[:12]}: 1 line traced to 1 commit" in human
    assert bug[:12] in human
    assert "m.py:2 changed: return 0" in human
    late = run_cli("szz", fix, path, "--issue-date", "2000-01-01", env=env).stdout
    assert f"dropped {bug[:12]}" in late
    missing = run_cli("szz", "deadbeef", path, env=env, check=False)
    assert missing.exit_code == 1
    assert "unknown ref 'deadbeef'" in missing.stderr
    bad = run_cli("szz", fix, path, "--issue-date", "soon", env=env, check=False)
    assert bad.exit_code == 1
    assert "invalid issue_date 'soon'" in bad.stderr
