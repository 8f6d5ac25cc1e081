"""Who knows a file or a directory, and its truck factor: ``repo.experts(path)``."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel.ownership import expertise_weights
from tests.by_hand import Person, shares
from tests.cli_runner import run_cli
from tests.conftest import EPOCH

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")
DEE = ("Dee", "dee@example.com")
CY = ("Cy", "cy@example.com")


def build(b: RepoBuilder) -> None:
    b.commit(
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
            "pkg/b.py": "def h():\n    return 1\n",
            "setup.py": "NAME = 'pkg'\n",
        },
        author=ANN,
    )
    # one commit changing two functions of a.py counts once for the file
    b.commit({"pkg/a.py": "def f():\n    return 10\n\n\ndef g():\n    return 20\n"}, author=BOB)
    # formatting only: not counted
    b.commit({"pkg/a.py": "def f():\n    return (10)\n\n\ndef g():\n    return 20\n"}, author=BOB)
    # module-level code only: not in the index, not counted
    b.commit(
        {"pkg/a.py": "X = 1\n\n\ndef f():\n    return (10)\n\n\ndef g():\n    return 20\n"},
        author=CY,
    )
    # a file rename: h keeps its history in c.py
    b.commit({"pkg/b.py": None, "pkg/c.py": "def h():\n    return 1\n"}, author=DEE)
    b.commit(
        {
            "pkg/d.py": "def k():\n    return 1\n",
            "pkg/e.py": "def m():\n    return 1\n",
        },
        author=BOB,
    )


@pytest.fixture
def repo(repo_builder: RepoBuilder, tmp_path: Path) -> loopintel.Repository:
    build(repo_builder)
    return loopintel.open(repo_builder.path, index_path=tmp_path / "o.sqlite3")


def at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def doa(fa: float, own: float, others: float) -> float:
    return 3.293 + 1.098 * fa + 0.164 * own - 0.321 * math.log1p(others)


def learned(repo: loopintel.Repository, level: str) -> list[float]:
    """The weights the index learned for ``level`` (from this history's few events)."""
    return [float(w) for w in expertise_weights(repo._store, level)]  # noqa: SLF001


def test_experts_of_a_file(repo: loopintel.Repository) -> None:
    experts = repo.experts("pkg/a.py", half_life_days=None)
    # Bob's change came after Ann's: his stands whole, hers is reworked by one change.
    assert [(e.email, e.first_author, e.own_changes, e.others_changes) for e in experts] == [
        ("bob@example.com", False, 1, 1),  # two functions in one commit, and no cosmetic
        ("ann@example.com", True, 1, 1),
    ]
    # Bob's change stands whole, Ann's is reworked by his; Bob made 3 of the 6 commits,
    # Ann 1; ages counted back from the head (hour 6).
    expected = shares(
        {
            "bob@example.com": Person(1.0, 1, 0, 4 / 24, 3, 0),
            "ann@example.com": Person(0.5, 1, 1, 5 / 24, 1, 1),
        },
        learned(repo, "file"),
    )
    for expert in experts:
        assert math.isclose(expert.share, expected[expert.email])
    assert math.isclose(experts[1].doa, doa(1, 1, 1))
    assert math.isclose(experts[0].doa, doa(0, 1, 1))
    assert experts[1].name == "Ann"
    assert all(e.email != "cy@example.com" for e in experts)  # module-level code only


def test_each_expert_says_what_they_did_and_whether_they_are_around(
    repo: loopintel.Repository,
) -> None:
    # One commit an hour after EPOCH: Ann wrote a.py (1), Bob changed it (2), a cosmetic
    # change by Bob (3), Cy's module-level line (4), Dee's rename (5), Bob's new files (6).
    hour = 3600
    experts = {e.email: e for e in repo.experts("pkg/a.py", half_life_days=None)}
    ann, bob = experts["ann@example.com"], experts["bob@example.com"]
    assert ann.first_touch == ann.last_touch == at(EPOCH + hour)
    assert bob.first_touch == bob.last_touch == at(EPOCH + 2 * hour)
    # Anywhere in the repository: Bob's latest commit is his sixth, and all six commits
    # are in the 90 days before the head.
    assert bob.last_commit == at(EPOCH + 6 * hour)
    assert (ann.recent_commits, bob.recent_commits) == (1, 3)


def test_a_renamed_file_keeps_its_history(repo: loopintel.Repository) -> None:
    experts = repo.experts("pkg/c.py", half_life_days=None)
    assert [(e.email, e.first_author, e.own_changes) for e in experts] == [
        ("dee@example.com", False, 1),  # the rename, after Ann's
        ("ann@example.com", True, 1),
    ]


def test_experts_of_a_directory_count_each_commit_once(repo: loopintel.Repository) -> None:
    experts = repo.experts("pkg", half_life_days=None)
    assert [(e.email, e.own_changes, e.others_changes) for e in experts] == [
        ("bob@example.com", 2, 2),  # the change of a.py, then d.py and e.py together
        ("dee@example.com", 1, 3),
        ("ann@example.com", 1, 3),
    ]
    # Bob's latest change is the last of all; Dee's rename has Bob's after it, Ann's
    # first commit three.
    expected = shares(
        {
            "bob@example.com": Person(2.0, 2, 0, 0.0, 3, 0),
            "dee@example.com": Person(1 / 2, 1, 1, 1 / 24, 1, 1),
            "ann@example.com": Person(1 / 4, 1, 2, 5 / 24, 1, 3),
        },
        learned(repo, "directory"),
    )
    for expert in experts:
        assert math.isclose(expert.share, expected[expert.email])
    assert math.isclose(experts[2].doa, doa(1, 1, 3))
    assert math.isclose(experts[0].doa, doa(0, 2, 2))
    # the whole repository is the same code here (setup.py has no function)
    for whole in (".", "", "./"):
        assert repo.experts(whole, half_life_days=None) == experts
    assert repo.experts("pkg/", half_life_days=None) == experts
    assert repo.experts(str(repo.path) + "/pkg", half_life_days=None) == experts


def test_the_defaults_decay_and_flag_the_inactive(repo: loopintel.Repository) -> None:
    decayed = repo.experts("pkg/a.py")
    plain = repo.experts("pkg/a.py", half_life_days=None)
    assert [e.email for e in decayed] == [e.email for e in plain]
    # a few hours of age against a year of half-life: close to undecayed, not equal
    # (the first author's own changes fade, and so do the others' that count against her)
    ann = {e.email: e for e in decayed}["ann@example.com"]
    assert ann.doa < {e.email: e for e in plain}["ann@example.com"].doa
    assert decayed[0].doa != plain[0].doa
    assert all(
        math.isclose(d.doa, p.doa, rel_tol=1e-3) for d, p in zip(decayed, plain, strict=True)
    )
    assert all(e.active for e in decayed)
    # only Bob made the head commit: with no grace at all, everyone else is inactive
    strict = repo.experts("pkg", inactive_after_days=0)
    assert {e.email: e.active for e in strict} == {
        "ann@example.com": False,
        "bob@example.com": True,
        "dee@example.com": False,
    }


def test_files_without_functions(repo: loopintel.Repository) -> None:
    assert repo.experts("setup.py") == []
    assert repo.experts("pkg/__init__.py") == []
    factor = repo.truck_factor("setup.py")
    assert (factor.factor, factor.files, factor.authors) == (0, 0, ())


def test_unknown_paths_name_the_closest(repo: loopintel.Repository) -> None:
    with pytest.raises(loopintel.PathNotFound) as missing:
        repo.experts("pkk")
    assert missing.value.path == "pkk"
    assert "pkg" in missing.value.suggestions
    assert isinstance(missing.value, LookupError)
    with pytest.raises(loopintel.PathNotFound, match=r"closest: pkg/a\.py"):
        repo.truck_factor("a.py")
    with pytest.raises(loopintel.PathNotFound):
        repo.experts("pkg/a")  # a prefix of a file name is not a directory


def test_truck_factor_of_a_directory(repo: loopintel.Repository) -> None:
    # Ann authors a.py and c.py (Bob and Dee stay under 3.293 there), 4.33 each; Bob
    # authors d.py and e.py, 4.56 each: a tie on files that Bob's higher DOA breaks.
    # Without Bob, 2 of 4 files are orphaned: not more than half; without Ann too, all 4.
    factor = repo.truck_factor("pkg")
    assert factor.path == "pkg"
    assert (factor.factor, factor.files, factor.authored) == (2, 4, 4)
    assert [(a.email, a.name, a.files, a.orphaned) for a in factor.authors] == [
        ("bob@example.com", "Bob", 2, 2),
        ("ann@example.com", "Ann", 2, 2),
    ]
    assert factor.orphaned == ("pkg/a.py", "pkg/c.py", "pkg/d.py", "pkg/e.py")
    assert repo.truck_factor(".") == loopintel.TruckFactor(
        path=".",
        factor=2,
        files=4,
        authored=4,
        authors=factor.authors,
        orphaned=factor.orphaned,
    )
    assert repr(factor).startswith("TruckFactor(path='pkg', factor=2, files=4, authored=4")
    assert repr(factor).endswith("orphaned=<4 files>)")
    record = factor.to_dict()
    assert record["authors"][1] == {
        "name": "Ann",
        "email": "ann@example.com",
        "files": 2,
        "orphaned": 2,
        "active": True,
    }
    assert record["orphaned"] == list(factor.orphaned)
    assert repo.truck_factor("pkg/a.py").factor == 1


def test_a_moved_function_brings_its_history(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    repo_builder.commit(
        {"old.py": "def f():\n    return 1\n\n\ndef g():\n    return 1\n"}, author=ANN
    )
    repo_builder.commit({"new.py": "def n():\n    return 1\n"}, author=BOB)
    repo_builder.commit(
        {
            "old.py": "def g():\n    return 1\n",
            "new.py": "def n():\n    return 1\n\n\ndef f():\n    return 1\n",
        },
        author=DEE,
    )
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "m.sqlite3")
    experts = repo.experts("new.py", half_life_days=None)
    # f came with Ann's introduction, the oldest in new.py: she is its first author;
    # Dee's move came last, so it heads the list
    assert [(e.email, e.first_author, e.own_changes) for e in experts] == [
        ("dee@example.com", False, 1),
        ("bob@example.com", False, 1),
        ("ann@example.com", True, 1),
    ]


# -- the command line: loopintel who FUNCTION|FILE|DIR ------------------------------------


def test_who_a_directory(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    where = [str(repo_builder.path), "--index-path", str(tmp_path / "c.sqlite3")]
    records = [json.loads(x) for x in run_cli("who", "pkg", *where, "--json").stdout.splitlines()]
    assert [r["email"] for r in records] == [
        "bob@example.com",
        "dee@example.com",
        "ann@example.com",
    ]
    assert records[2]["first_author"] is True
    human = run_cli("who", "pkg", *where, "--no-update", "--limit", "3").stdout.splitlines()
    assert human[0] == "pkg: 4 files with functions, truck factor 2: Bob (2 files), Ann (2 files)"
    assert "Bob <bob@example.com>  in the truck factor; 2 own / 2 others' changes" in human[1]
    assert "Dee <dee@example.com>  1 own / 3 others' changes" in human[2]
    assert (
        "Ann <ann@example.com>  in the truck factor; first author; 1 own / 3 others' changes"
        in human[3]
    )
    short = run_cli("who", "pkg", *where, "--no-update", "--limit", "1").stdout.splitlines()
    assert short[2] == "  ... and 2 more (--limit 0 shows all)"
    inactive = run_cli("who", ".", *where, "--no-update", "--inactive-after", "0").stdout
    assert "Ann (2 files, inactive)" in inactive
    assert "Dee <dee@example.com>  inactive; " in inactive


def test_who_the_truck_factor(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    where = [str(repo_builder.path), "--index-path", str(tmp_path / "c.sqlite3")]
    record = json.loads(run_cli("who", "pkg", *where, "--truck-factor", "--json").stdout)
    assert record["factor"] == 2
    assert [a["email"] for a in record["authors"]] == ["bob@example.com", "ann@example.com"]
    assert record["orphaned"] == ["pkg/a.py", "pkg/c.py", "pkg/d.py", "pkg/e.py"]
    human = run_cli("who", "pkg", *where, "--truck-factor", "--no-update").stdout.splitlines()
    assert human[1] == "  4 of 4 have an author; without the above, 4 have none"
    assert human[2:] == [f"  orphaned  pkg/{name}.py" for name in "acde"]
    of_a_function = run_cli("who", "pkg/a.py::f", *where, "--truck-factor", check=False)
    assert of_a_function.exit_code == 2
    assert "needs a file or a directory" in of_a_function.stderr


def test_who_tells_paths_from_functions(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = str(tmp_path / "c.sqlite3")
    where = [str(repo_builder.path), "--index-path", index]
    function = run_cli("who", "h", *where).stdout.splitlines()
    assert function[0] == "pkg/c.py::h"
    assert "Dee <dee@example.com>" in function[1]  # the rename, the latest change
    assert "introduced it" in function[2]
    file = run_cli("who", "pkg/c.py", *where, "--json", "--half-life", "30").stdout.splitlines()
    assert [json.loads(x)["email"] for x in file] == ["dee@example.com", "ann@example.com"]
    # a path relative to the current directory, as git reads it
    (repo_builder.path / "pkg").mkdir()
    inside = run_cli(
        "who",
        "c.py",
        "--index-path",
        index,
        "--json",
        "--half-life",
        "30",
        cwd=repo_builder.path / "pkg",
    )
    assert inside.stdout.splitlines() == file
    missing = run_cli("who", "pkk", *where, check=False)
    assert missing.exit_code == 1
    assert (
        "no function matches 'pkk', nor does any indexed file or directory; closest: pkg"
        in missing.stderr
    )
