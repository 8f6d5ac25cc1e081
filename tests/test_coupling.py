"""Change coupling: ``repo.coupling()`` and ``loopintel coupling`` on histories built to know it."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loopintel
from loopintel import ChangeType, CouplingLevel
from loopintel.analysis.coupling import co_changes
from tests.cli_runner import run_cli
from tests.conftest import EPOCH, RepoBuilder
from tests.strategies import edits

if TYPE_CHECKING:
    from collections.abc import Iterator

CORE = "pkg/core.py"
EXTRA = "other/extra.py"


def core(load: int, save: int, alone: int, *, name: str = "save", note: bool = False) -> str:
    """pkg/core.py with each function's body set by a number; ``note`` comments ``alone``."""
    comment = "    # a note\n" if note else ""
    return (
        f"def load():\n    return {load}\n\n\n"
        f"def {name}():\n    return {save}\n\n\n"
        f"def alone():\n{comment}    return {alone}\n"
    )


def extra(mirror: int) -> str:
    return f"def mirror():\n    return {mirror}\n"


def sweep(n: int) -> str:
    return "".join(f"def s{i}():\n    return {n}\n\n\n" for i in range(30))


def build_history(b: RepoBuilder) -> dict[str, str]:
    """The history whose coupling the tests know (the counts are in ``test_...known``)."""
    shas = {}
    shas["add"] = b.commit({CORE: core(0, 0, 0)}, "Add the core")
    shas["extra"] = b.commit({EXTRA: extra(0)}, "Add the mirror")
    for n in (1, 2, 3):  # load, save and mirror always together
        shas[f"together{n}"] = b.commit(
            {CORE: core(n, n, 0), EXTRA: extra(n)}, f"Change load, save and mirror ({n})"
        )
    shas["alone"] = b.commit({CORE: core(3, 3, 1)}, "Change alone by itself")
    # load for real, alone only by a comment: alone's change is cosmetic and does not count
    shas["cosmetic"] = b.commit({CORE: core(4, 3, 1, note=True)}, "Change load, annotate alone")
    # save is renamed to store: the lineage keeps its history, and its coupling with load
    shas["rename"] = b.commit(
        {CORE: core(5, 3, 1, name="store", note=True)}, "Rename save to store, change load"
    )
    # 34 functions in one commit: more than the default 30, left out of every count
    shas["sweep"] = b.commit(
        {CORE: core(6, 6, 6, name="store", note=True), EXTRA: extra(6), "sweep.py": sweep(1)},
        "Sweep everything",
    )
    # a merge whose own tree changes load and store (a conflict resolution): not counted
    base = shas["sweep"]
    shas["left"] = b.commit({"sweep.py": sweep(2)}, "Left side")
    b.checkout_files(base)
    shas["right"] = b.commit({EXTRA: extra(7)}, "Right side", ref=None)
    b.checkout_files(shas["left"])
    shas["merge"] = b.commit(
        {CORE: core(8, 8, 6, name="store", note=True), EXTRA: extra(7)},
        "Merge, resolving load and store",
        parents=[shas["left"], shas["right"]],
    )
    return shas


@pytest.fixture(scope="module")
def history(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[loopintel.Repository, dict[str, str]]]:
    root = tmp_path_factory.mktemp("coupling")
    builder = RepoBuilder(root / "repo")
    shas = build_history(builder)
    with loopintel.open(builder.path, index_path=root / "c.sqlite3") as repo:
        yield repo, shas


def pairs(rows: list[loopintel.Coupling]) -> dict[tuple[str, str], loopintel.Coupling]:
    return {(row.a, row.b): row for row in rows}


LOAD, STORE, ALONE = f"{CORE}::load", f"{CORE}::store", f"{CORE}::alone"
MIRROR = f"{EXTRA}::mirror"


def test_the_history_is_what_the_tests_assume(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = history
    merged = {c.qualname for c in repo.changes() if c.commit == shas["merge"]}
    assert merged == {"load", "store"}  # the merge did change them: it must not count
    (cosmetic,) = [c for c in repo.changes(function=ALONE) if c.commit == shas["cosmetic"]]
    assert cosmetic.change_types == (ChangeType.COSMETIC,)


def test_functions_changed_together_are_coupled_and_the_counts_are_known(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = history
    rows = repo.coupling()
    found = pairs(rows)
    assert set(found) == {(LOAD, STORE), (MIRROR, STORE), (MIRROR, LOAD)}
    pair = found[(LOAD, STORE)]
    # load: add, together x3, cosmetic, rename; store (was save): add, together x3, rename
    assert (pair.shared, pair.revisions_a, pair.revisions_b) == (5, 6, 5)
    assert pair.confidence_ab == pytest.approx(5 / 6)
    assert pair.confidence_ba == pytest.approx(1.0)
    assert pair.confidence == pytest.approx(1.0)
    assert pair.degree == pytest.approx(5 / 5.5)
    assert pair.left_out == 1  # the sweep
    assert not pair.hidden
    mirror = found[(MIRROR, LOAD)]
    # mirror: add, together x3, and the right side of the merge
    assert (mirror.shared, mirror.revisions_a, mirror.revisions_b) == (3, 5, 6)
    assert mirror.confidence == pytest.approx(3 / 5)
    assert mirror.degree == pytest.approx(3 / 5.5)
    assert [(row.a, row.b) for row in rows] == [(LOAD, STORE), (MIRROR, STORE), (MIRROR, LOAD)]
    for row in rows:
        assert row.level is CouplingLevel.FUNCTION
        assert row.function_a is not None
        assert row.function_b is not None
        assert (str(row.function_a), str(row.function_b)) == (row.a, row.b)
        assert (row.path_a, row.path_b) == (row.a.split("::")[0], row.b.split("::")[0])


def test_a_renamed_function_keeps_its_coupling_through_its_lineage(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = history
    pair = pairs(repo.coupling())[(LOAD, STORE)]
    store = next(f for f in repo.functions(path=CORE) if f.ref.qualname == "store")
    assert pair.lineage_b == store.lineage
    assert pair.commits == (shas["rename"], shas["together3"], shas["together2"])
    times = {c.commit: c.authored_at for c in repo.changes(function=LOAD)}
    assert pair.first_shared == times[shas["add"]]
    assert pair.last_shared == times[shas["rename"]]


def test_a_cosmetic_change_and_a_sweeping_commit_do_not_count(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = history
    every = pairs(repo.coupling(min_support=1, min_confidence=0))
    alone = every[(ALONE, LOAD)]
    # alone: add and its own change (the comment is cosmetic, the sweep left out)
    assert (alone.shared, alone.revisions_a, alone.revisions_b) == (1, 2, 6)
    assert every[("sweep.py::s0", "sweep.py::s1")].shared == 1  # the left side's 30
    # with room for the sweep it counts: a commit of 34 functions
    wide = pairs(repo.coupling(min_support=1, min_confidence=0, max_changeset=34))
    assert wide[(LOAD, STORE)].shared == 6
    assert wide[(ALONE, LOAD)].shared == 2
    assert wide[(LOAD, STORE)].left_out == 0
    assert wide[("sweep.py::s0", "sweep.py::s1")].shared == 2  # the sweep and the left side


def test_hidden_coupling_crosses_directories(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = history
    hidden = repo.coupling(hidden_only=True)
    assert {(row.a, row.b) for row in hidden} == {(MIRROR, STORE), (MIRROR, LOAD)}
    assert all(row.hidden for row in hidden)
    assert not pairs(repo.coupling())[(LOAD, STORE)].hidden


def test_path_keeps_pairs_with_a_side_in_it(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = history
    assert {(row.a, row.b) for row in repo.coupling(path="other")} == {
        (MIRROR, STORE),
        (MIRROR, LOAD),
    }
    assert len(repo.coupling(path=CORE)) == 3
    assert repo.coupling(path=".") == repo.coupling()
    assert repo.coupling(limit=1) == repo.coupling()[:1]
    with pytest.raises(loopintel.PathNotFound):
        repo.coupling(path="nowhere")


def test_files_are_coupled_through_their_functions(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = history
    assert list(repo.coupling("file")) == []  # 4 shared: below the file default of 5
    (row,) = repo.coupling("file", min_support=3)
    assert (row.a, row.b, row.level) == (EXTRA, CORE, CouplingLevel.FILE)
    # together x3 and the sweep (3 files is no sweep for files); core: add, together x3,
    # alone, cosmetic (load changed), rename, sweep; extra: add, together x3, sweep, right
    assert (row.shared, row.revisions_a, row.revisions_b) == (4, 6, 8)
    assert row.hidden
    assert (row.function_a, row.lineage_a) == (None, None)
    assert row.commits == (shas["sweep"], shas["together3"], shas["together2"])
    (narrow,) = repo.coupling("file", min_support=3, max_changeset=2)
    assert (narrow.shared, narrow.left_out) == (3, 1)


def test_a_window_counts_only_its_commits(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, shas = history
    times = {c.commit: c.authored_at for c in repo.changes(function=LOAD)}
    since = times[shas["together1"]]
    windowed = pairs(repo.coupling(since=since, until=times[shas["rename"]]))
    # together x3 only (the rename is at until: excluded)
    assert windowed[(LOAD, STORE)].shared == 3
    assert windowed[(LOAD, STORE)].revisions_a == 4  # and the cosmetic commit's load change
    assert windowed[(LOAD, STORE)].first_shared == since
    assert repo.coupling(since=since.date().isoformat()) == repo.coupling(since=since.date())


def test_a_function_is_not_coupled_with_the_function_around_it(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    for n in range(4):
        repo_builder.commit(
            {"n.py": f"def outer():\n    def inner():\n        return {n}\n\n    return inner\n"}
        )
    with loopintel.open(repo_builder.path, index_path=tmp_path / "n.sqlite3") as repo:
        assert len(list(repo.changes(function="n.py::outer"))) == 4  # inner's changes are its
        assert list(repo.coupling(min_support=1, min_confidence=0)) == []


def test_records_become_json_and_frames(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = history
    record = repo.coupling(limit=1).to_records()[0]
    assert (record["a"], record["b"], record["level"]) == (LOAD, STORE, "function")
    assert record["function_a"] == {"path": CORE, "qualname": "load"}
    json.dumps(record)
    pytest.importorskip("pandas")
    frame = repo.coupling().to_frame()
    assert str(frame["last_shared"].dtype).startswith("datetime64")


def test_an_empty_history_has_no_coupling(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit({"README": "nothing yet\n"}, "Start")
    with loopintel.open(repo_builder.path, index_path=tmp_path / "e.sqlite3") as repo:
        assert list(repo.coupling()) == []
        assert list(repo.coupling("file")) == []


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"level": "module"}, "level"),
        ({"since": datetime(2024, 1, 1)}, "since"),  # noqa: DTZ001 - a naive datetime, refused
        ({"until": "soon"}, "until"),
        ({"since": "2024-01-02", "until": "2024-01-01"}, "until"),
        ({"min_support": 0}, "min_support"),
        ({"min_support": 2.5}, "min_support"),
        ({"min_support": True}, "min_support"),
        ({"min_confidence": 1.5}, "min_confidence"),
        ({"min_confidence": -0.1}, "min_confidence"),
        ({"min_confidence": float("nan")}, "min_confidence"),
        ({"min_confidence": "high"}, "min_confidence"),
        ({"max_changeset": 1}, "max_changeset"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    history: tuple[loopintel.Repository, dict[str, str]],
    arguments: dict[str, object],
    argument: str,
) -> None:
    repo, _ = history
    with pytest.raises(loopintel.InvalidQuery) as caught:
        repo.coupling(**arguments)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert argument in str(caught.value)


# -- the command --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("coupling-cli")
    builder = RepoBuilder(root / "repo")
    build_history(builder)
    return str(builder.path), str(root / "cli.sqlite3")


def test_the_command_prints_a_table_and_json(cli_history: tuple[str, str]) -> None:
    path, index = cli_history
    table = run_cli("coupling", path, "--index-path", index, "--limit", "2")
    lines = table.stdout.splitlines()
    assert lines[0].startswith("function coupling: 3 pairs, 2 hidden")
    assert "1 commit changing too many functions left out" in lines[0]
    assert f"{LOAD}  ~  {STORE}" in lines[2]
    assert f"  H {MIRROR}  ~  {STORE}" in lines[3]  # in different directories
    assert lines[-1].startswith("... and 1 more")
    out = run_cli(
        "coupling", path, "--index-path", index, "--json", "--level", "file",
        "--min-support", "3", "--min-confidence", "0.5", "--max-changeset", "2",
    )  # fmt: skip
    (record,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert (record["a"], record["b"], record["shared"], record["hidden"]) == (EXTRA, CORE, 3, True)
    out = run_cli("coupling", path, "--index-path", index, "--json", "--hidden", "--path", CORE)
    assert len(out.stdout.splitlines()) == 2
    empty = run_cli("coupling", path, "--index-path", index, "--min-support", "50")
    assert empty.stdout == ""
    assert "no pair" in empty.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ("--level", "module"),
        ("--since", "2024-01-01T10:00"),
        ("--min-support", "0"),
        ("--min-confidence", "2"),
        ("--max-changeset", "1"),
        ("--path", "nowhere.py"),
    ],
)
def test_the_command_exits_1_on_bad_input(
    cli_history: tuple[str, str], arguments: tuple[str, ...]
) -> None:
    path, index = cli_history
    result = run_cli("coupling", path, "--index-path", index, *arguments, check=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


# -- invariants ---------------------------------------------------------------------------


def reference(
    commit: list[int], element: list[int], elements: int, max_changeset: int
) -> tuple[list[int], dict[tuple[int, int], list[int]], int]:
    """Revisions, shared commits per pair and commits left out, one commit at a time."""
    changed: dict[int, set[int]] = {}
    for c, e in zip(commit, element, strict=True):
        changed.setdefault(c, set()).add(e)
    revisions: Counter[int] = Counter()
    shared: dict[tuple[int, int], list[int]] = {}
    left_out = 0
    for c in sorted(changed):
        if len(changed[c]) > max_changeset:
            left_out += 1
            continue
        revisions.update(changed[c])
        for pair in itertools.combinations(sorted(changed[c]), 2):
            shared.setdefault(pair, []).append(c)
    return [revisions[e] for e in range(elements)], shared, left_out


@settings(max_examples=200, deadline=None)
@given(
    elements=st.integers(1, 8),
    data=st.data(),
    max_changeset=st.integers(0, 6),
)
def test_co_changes_agree_with_counting_commit_by_commit(
    elements: int, data: st.DataObject, max_changeset: int
) -> None:
    entries = data.draw(
        st.lists(st.tuples(st.integers(0, 12), st.integers(0, elements - 1)), max_size=50)
    )
    commit, element = [c for c, _ in entries], [e for _, e in entries]
    arrays = co_changes(
        np.array(commit, dtype=np.int64),
        np.array(element, dtype=np.int64),
        elements,
        max_changeset=max_changeset,
    )
    revisions, shared, left_out = reference(commit, element, elements, max_changeset)
    assert arrays.revisions.tolist() == revisions
    assert list(zip(arrays.a.tolist(), arrays.b.tolist(), strict=True)) == sorted(shared)
    for i, pair in enumerate(sorted(shared)):
        commits = shared[pair]
        assert arrays.shared[i] == len(commits)
        assert (arrays.first[i], arrays.last[i]) == (min(commits), max(commits))
        newest = arrays.newest_commit[arrays.newest_pair == i].tolist()
        assert newest == sorted(commits, reverse=True)[:3]
    assert arrays.left_out == left_out
    assert arrays.commits == len(set(commit)) - left_out
    fewer = np.minimum(arrays.revisions[arrays.a], arrays.revisions[arrays.b])
    assert bool((arrays.shared <= fewer).all())


def test_co_changes_refuses_inconsistent_arrays() -> None:
    with pytest.raises(ValueError, match="one length"):
        co_changes(np.array([1, 2]), np.array([0]), 1, max_changeset=3)
    with pytest.raises(ValueError, match="elements"):
        co_changes(np.array([1]), np.array([4]), 2, max_changeset=3)


BASE = [
    {
        "a.py": "def f():\n    return 0\n\n\ndef g():\n    return 0\n",
        "c.py": "def h():\n    return 0\n",
    },
    {
        "a.py": "def f():\n    return 1\n\n\ndef g():\n    return 1\n",
        "c.py": "def h():\n    return 1\n",
    },
    {"a.py": "def f():\n    return 2\n\n\ndef g():\n    return 1\n"},
    {
        "a.py": "def f():\n    return 3\n\n\ndef g():\n    return 3\n",
        "c.py": "def h():\n    return 3\n",
    },
    {
        "a.py": "def f():\n    return 4\n\n\ndef g():\n    return 4\n",
        "c.py": "def h():\n    return 4\n",
    },
]
"""a.py and c.py: one commit a day from EPOCH, f, g and h mostly together."""

OTHER = ["def p():", "    return 1", "def q():", "    return 2", "    x = 3", ""]


@st.composite
def other_commits(draw: st.DrawFn) -> list[tuple[int, str]]:
    """Commits of other/b.py only, at times between the base's: (time, content)."""
    lines = ["def p():", "    return 0"]
    out = []
    for _ in range(draw(st.integers(1, 4))):
        lines = draw(edits(lines, OTHER))
        at = EPOCH + draw(st.integers(0, len(BASE))) * 86400 + draw(st.integers(1, 23)) * 3600
        out.append((at, "\n".join(lines) + "\n"))
    return out


def _coupling_of(extra: list[tuple[int, str]], root: Path) -> dict[str, list[tuple[str, object]]]:
    commits: list[tuple[int, dict[str, str]]] = [
        (EPOCH + i * 86400, files) for i, files in enumerate(BASE)
    ]
    commits += [(at, {"other/b.py": text}) for at, text in extra]
    builder = RepoBuilder(root / "repo")
    for at, files in sorted(commits, key=lambda c: c[0]):
        builder.commit(files, "change", at=at)
    out: dict[str, list[tuple[str, object]]] = {}
    with loopintel.open(builder.path, index_path=root / "i.sqlite3") as repo:
        for level in ("function", "file"):
            for row in repo.coupling(level, min_support=1, min_confidence=0):
                if "other/" in row.a + row.b:
                    continue
                record = row.to_dict()
                record["commits"] = len(row.commits)  # shas differ between the histories
                out[f"{level}:{row.a}~{row.b}"] = sorted(record.items())
    return out


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=other_commits())
def test_commits_of_other_files_do_not_change_a_pairs_counts(
    extra: list[tuple[int, str]],
) -> None:
    with tempfile.TemporaryDirectory() as alone, tempfile.TemporaryDirectory() as mixed:
        before = _coupling_of([], Path(alone))
        assert before  # f~g, f~h, g~h and a.py~c.py
        assert before == _coupling_of(extra, Path(mixed))


def test_the_window_bounds_are_datetimes_in_utc(
    history: tuple[loopintel.Repository, dict[str, str]],
) -> None:
    repo, _ = history
    for row in repo.coupling():
        assert row.first_shared.tzinfo is UTC
        assert row.first_shared <= row.last_shared
