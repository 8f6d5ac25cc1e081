"""The facade and its resolver: finding functions and paths the way a user types them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import loopintel

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

QUOTE = "def url_quote(s):\n    return s\n"
OTHER = "def url_unquote(s):\n    return s.strip()\n"


@pytest.fixture
def repo(repo_builder: RepoBuilder, tmp_path: Path) -> loopintel.Repository:
    """``url_quote`` deleted and defined again in the same file: two lineages, one name."""
    repo_builder.commit(
        {"src/pkg/urls.py": QUOTE, "tests/test_urls.py": "def test_q():\n    pass\n"}
    )
    repo_builder.commit({"src/pkg/urls.py": OTHER})
    repo_builder.commit({"src/pkg/urls.py": OTHER + "\n\n" + QUOTE.replace("s\n", "s + ''\n")})
    return loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3")


def test_a_name_two_functions_had_lists_candidates_that_select(
    repo: loopintel.Repository,
) -> None:
    current = repo.function("url_quote")  # the head's is preferred
    assert current.at_head
    removed = next(c.lineage for c in repo.changes(kinds=(loopintel.ChangeKind.DELETED,)))
    assert removed != current.lineage
    # The file path names both lineages: it is ambiguous in the past, and at the head the
    # head's function wins.
    assert repo.function("src/pkg/urls.py::url_quote").lineage == current.lineage
    at_first = repo.function("url_quote", at="HEAD~2")
    assert at_first.lineage == removed
    # Both, by lineage id as every output shows it, and by a unique prefix of it.
    assert repo.function(removed).lineage == removed
    assert repo.function(removed[:10]).lineage == removed
    assert not repo.function(removed).at_head


def test_ambiguous_past_names_are_selectable_as_listed(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"a.py": QUOTE})
    repo_builder.commit({"a.py": OTHER})
    repo_builder.commit({"a.py": QUOTE})
    repo_builder.commit({"a.py": OTHER})
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        with pytest.raises(loopintel.AmbiguousFunction) as ambiguous:
            repo.function("a.py::url_quote")
        candidates = ambiguous.value.candidates
        assert len(candidates) == 2
        lineages = {repo.function(c).lineage for c in candidates}
        assert len(lineages) == 2
        with pytest.raises(loopintel.AmbiguousFunction):
            list(repo.changes(function="url_quote"))
        for candidate in candidates:
            changes = list(repo.changes(function=candidate))
            assert [c.kind.value for c in changes] == ["added", "deleted"]


def test_paths_are_read_from_the_current_directory_then_the_root(
    repo: loopintel.Repository,
) -> None:
    work = repo.path
    sub = f"{work}/tests"
    assert repo.resolve_path("src/pkg/urls.py", cwd=sub) == "src/pkg/urls.py"
    assert repo.resolve_path("test_urls.py", cwd=sub) == "tests/test_urls.py"
    assert repo.resolve_path(".", cwd=work) == ""
    assert repo.resolve_path("./src//pkg/", cwd=work) == "src/pkg"
    assert repo.function("src/pkg/urls.py::url_unquote", cwd=sub).ref.qualname == "url_unquote"
    assert repo.function("test_urls.py:1", cwd=sub).ref.qualname == "test_q"
    with pytest.raises(loopintel.PathNotFound, match=r"closest: src/pkg/urls\.py"):
        repo.resolve_path("src/pkg/url.py")
    with pytest.raises(loopintel.InvalidQuery, match="a path inside"):
        repo.resolve_path("/elsewhere/x.py")


def test_locate_tells_paths_from_functions(repo: loopintel.Repository) -> None:
    scope = repo.locate("src/pkg")
    assert scope == loopintel.PathScope(path="src/pkg", is_file=False, files=1)
    assert repo.locate(".") == loopintel.PathScope(path=".", is_file=False, files=2)
    assert isinstance(repo.locate("src/pkg/urls.py"), loopintel.PathScope)
    found = repo.locate("url_unquote")
    assert isinstance(found, loopintel.FunctionView)
    with pytest.raises(loopintel.TargetNotFound, match="nor does any indexed file") as missing:
        repo.locate("url_quot")
    assert isinstance(missing.value, loopintel.FunctionNotFound)
    assert isinstance(missing.value, loopintel.PathNotFound)
    assert "src/pkg/urls.py::url_quote" in missing.value.suggestions


def test_changes_and_functions_of_the_whole_repository_and_of_no_path(
    repo: loopintel.Repository,
) -> None:
    everything = list(repo.changes())
    assert list(repo.changes(path=".")) == everything
    assert list(repo.functions(path=".")) == list(repo.functions())
    with pytest.raises(loopintel.PathNotFound):
        list(repo.changes(path="nowhere"))
    with pytest.raises(loopintel.PathNotFound):
        repo.functions(path="nowhere")


def test_history_is_newest_first_by_author_time_across_branches(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    base = repo_builder.commit({"a.py": "def f():\n    return 0\n"}, at=1_000_000)
    late = repo_builder.commit({"a.py": "def f():\n    return 1\n"}, at=3_000_000)
    repo_builder.checkout_files(base)
    early = repo_builder.commit(
        {"a.py": "def f():\n    return 2\n"}, at=2_000_000, ref="refs/heads/side"
    )
    repo_builder.checkout_files(late)
    repo_builder.commit({"a.py": "def f():\n    return 1\n"}, parents=[late, early], at=4_000_000)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        view = repo.function("f")
        dates = [c.authored_at for c in view.history()]
        assert dates == sorted(dates, reverse=True)
        assert view.last_changed is not None
        assert view.last_changed.commit == late


def test_coverage_comes_from_the_latest_snapshot_that_measured_the_function(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"a.py": "def f():\n    x = 1\n    return x\n\n\ndef g():\n    return 2\n"})
    complete = tmp_path / "all.lcov"
    complete.write_text("SF:a.py\nDA:2,1\nDA:3,1\nDA:7,0\nend_of_record\n")
    partial = tmp_path / "partial.lcov"
    partial.write_text("SF:a.py\nDA:7,1\nend_of_record\n")
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        first = repo.import_coverage(complete)
        second = repo.import_coverage(partial)
        f = repo.function("f").coverage
        assert f is not None
        assert (f.snapshot, f.covered, f.coverable) == (first.id, 2, 2)
        g = repo.function("g").coverage
        assert g is not None
        assert (g.snapshot, g.covered) == (second.id, 1)
        assert [c.snapshot for c in repo.function("f").coverage_history()] == [second.id, first.id]


def test_a_cherry_picked_change_counts_once(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    body = "def f(x):\n    y = x\n    return y\n\n\ndef g():\n    return 0\n"
    base = repo_builder.commit({"a.py": body}, author=("Ann", "ann@example.com"))
    fixed = body.replace("return y", "return y + 1")
    repo_builder.commit({"a.py": fixed}, author=("Bob", "bob@example.com"))
    main = repo_builder.commit(
        {"a.py": fixed.replace("return 0", "return 1")}, author=("Ann", "ann@example.com")
    )
    repo_builder.checkout_files(base)
    maint = repo_builder.commit(  # the fix, cherry-picked under another spelling
        {"a.py": fixed}, author=("bob", "Bob@Example.com"), ref="refs/heads/maint"
    )
    repo_builder.checkout_files(main)
    repo_builder.commit({}, parents=[main, maint], message="merge maint")
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        view = repo.function("f")
        assert len([c for c in view.history() if c.kind.value == "modified"]) == 2  # both listed
        experts = {e.email.lower(): e for e in view.experts()}
        counted = sum(e.own_changes for e in experts.values())
        assert counted == 2  # the introduction and one fix, not two
        assert view.stability.changes_365d == 2
        file_experts = repo.experts("a.py")
        assert sum(e.own_changes for e in file_experts) == 3  # intro, fix, g's change


def test_a_change_made_again_after_a_revert_counts_again(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    body = "def f(x):\n    return x\n"
    repo_builder.commit({"a.py": body})
    repo_builder.commit({"a.py": body.replace("x\n", "x + 1\n")}, author=("Bob", "bob@example.com"))
    repo_builder.commit({"a.py": body})  # revert
    repo_builder.commit({"a.py": body.replace("x\n", "x + 1\n")}, author=("Bob", "bob@example.com"))
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        bob = next(e for e in repo.function("f").experts() if e.email == "bob@example.com")
        assert bob.own_changes == 2


def test_the_ambiguity_error_says_when_each_candidate_lived(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    repo_builder.commit({"a.py": QUOTE}, at=1_600_000_000)
    repo_builder.commit({"a.py": OTHER}, at=1_600_086_400)
    repo_builder.commit({"a.py": QUOTE}, at=1_600_172_800)
    repo_builder.commit({"a.py": OTHER}, at=1_600_259_200)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        with pytest.raises(loopintel.AmbiguousFunction) as ambiguous:
            repo.function("url_quote")
        error = ambiguous.value
        assert error.details == (
            "a.py::url_quote, 2020-09-13 to 2020-09-14, deleted",
            "a.py::url_quote, 2020-09-15 to 2020-09-16, deleted",
        )
        assert f"{error.candidates[0]} (a.py::url_quote, 2020-09-13" in str(error)
        assert "--at" in str(error)
