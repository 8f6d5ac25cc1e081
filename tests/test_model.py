"""The values loopintel returns: their dicts, their enums, people and commits, summaries."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import pytest

import loopintel
import loopintel.model
from loopintel import (
    Author,
    Change,
    ChangeKind,
    ChangeType,
    Commit,
    CoverageSnapshot,
    DeprecatedName,
    Deprecation,
    DeprecationMark,
    DeprecationMarkKind,
    Expert,
    Function,
    FunctionCoverage,
    FunctionRef,
    IndexPhase,
    KeyAuthor,
    StabilityClass,
    TrendDirection,
    TruckFactor,
)
from loopintel.model._serialize import Serializable, Shape, to_dict

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

PDT = timezone(timedelta(hours=-7))
REF = FunctionRef("src/app.py", "App.run")


def ordered(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """A dict's items in order: dict equality alone would not see keys reordered."""
    return list(record.items())


def test_a_change_is_written_field_by_field() -> None:
    change = Change(
        commit="c" * 40,
        parent="p" * 40,
        authored_at=datetime(2024, 5, 1, 9, 30, tzinfo=PDT),
        committed_at=datetime(2024, 5, 2, 18, 0, tzinfo=UTC),
        author_name="Ann",
        author_email="ann@example.com",
        path="src/app.py",
        qualname="App.run",
        old_path="app.py",
        old_qualname="App.start",
        kind=ChangeKind.MOVED,
        change_types=(ChangeType.RENAME, ChangeType.MOVE),
        lines_added=3,
        lines_removed=1,
        complexity=4,
        lineage="0123456789abcdef",
        start_line=10,
        end_line=20,
    )
    assert ordered(change.to_dict()) == ordered(
        {
            "commit": "c" * 40,
            "parent": "p" * 40,
            "authored_at": "2024-05-01T09:30:00-07:00",
            "committed_at": "2024-05-02T18:00:00+00:00",
            "author_name": "Ann",
            "author_email": "ann@example.com",
            "path": "src/app.py",
            "qualname": "App.run",
            "old_path": "app.py",
            "old_qualname": "App.start",
            "kind": "moved",
            "change_types": ["rename", "move"],
            "lines_added": 3,
            "lines_removed": 1,
            "complexity": 4,
            "lineage": "0123456789abcdef",
            "start_line": 10,
            "end_line": 20,
        }
    )
    # Plain text, not the enum members: JSON readers and CSV writers see strings.
    assert type(change.to_dict()["kind"]) is str
    assert [type(t) for t in change.to_dict()["change_types"]] == [str, str]


def test_a_function_writes_its_ref_as_path_and_qualname_first() -> None:
    function = Function(REF, 3, 9, 2, "abcd", "e" * 40)
    assert ordered(function.to_dict()) == ordered(
        {
            "path": "src/app.py",
            "qualname": "App.run",
            "start_line": 3,
            "end_line": 9,
            "complexity": 2,
            "lineage": "abcd",
            "last_commit": "e" * 40,
        }
    )


def test_coverage_writes_its_ref_as_text_and_its_ratio_last() -> None:
    coverage = FunctionCoverage(
        ref=REF,
        covered=3,
        coverable=4,
        missing=(12,),
        tests=("tests/test_app.py::test_run",),
        commit="c" * 40,
        snapshot=2,
        format="lcov",
        imported_at=datetime(2024, 6, 1, tzinfo=UTC),
        start_line=10,
        end_line=14,
    )
    assert ordered(coverage.to_dict()) == ordered(
        {
            "ref": "src/app.py::App.run",
            "covered": 3,
            "coverable": 4,
            "missing": [12],
            "tests": ["tests/test_app.py::test_run"],
            "commit": "c" * 40,
            "snapshot": 2,
            "format": "lcov",
            "imported_at": "2024-06-01T00:00:00+00:00",
            "start_line": 10,
            "end_line": 14,
            "ratio": 0.75,
        }
    )
    assert attrs.evolve(coverage, tests=None, coverable=0).to_dict()["tests"] is None
    assert attrs.evolve(coverage, coverable=0).to_dict()["ratio"] is None


def test_a_snapshot_writes_missing_times_as_null_and_its_ratio_last() -> None:
    snapshot = CoverageSnapshot(
        id=1,
        commit="c" * 40,
        format="json",
        source="coverage.json",
        imported_at=datetime(2024, 6, 1, 12, tzinfo=UTC),
        measured_at=None,
        has_contexts=False,
        files=2,
        functions=5,
        covered_lines=8,
        coverable_lines=10,
        unmatched=("/usr/lib/x.py",),
        stale=(),
    )
    record = snapshot.to_dict()
    assert list(record) == [
        "id",
        "commit",
        "format",
        "source",
        "imported_at",
        "measured_at",
        "has_contexts",
        "files",
        "functions",
        "covered_lines",
        "coverable_lines",
        "unmatched",
        "stale",
        "ratio",
    ]
    assert (record["imported_at"], record["measured_at"], record["ratio"]) == (
        "2024-06-01T12:00:00+00:00",
        None,
        0.8,
    )
    assert (record["unmatched"], record["stale"]) == (["/usr/lib/x.py"], [])


def test_a_deprecation_puts_marked_and_message_after_deprecated() -> None:
    answer = Deprecation(
        ref=REF,
        commit="c" * 40,
        deprecated=True,
        marks=(
            DeprecationMark(DeprecationMarkKind.WARNING, "DeprecationWarning", 5, "x", True),
            DeprecationMark(DeprecationMarkKind.DECORATOR, "deprecated", 3, "use go", False),
        ),
        touches=(DeprecatedName("old.lib.f", 7, "old.lib"),),
        within=None,
        prefixes=("old.lib",),
        unknown_reason=None,
    )
    assert ordered(answer.to_dict()) == ordered(
        {
            "path": "src/app.py",
            "qualname": "App.run",
            "commit": "c" * 40,
            "deprecated": True,
            "marked": True,
            "message": "use go",
            "marks": [
                {
                    "kind": "warning",
                    "name": "DeprecationWarning",
                    "line": 5,
                    "message": "x",
                    "conditional": True,
                },
                {
                    "kind": "decorator",
                    "name": "deprecated",
                    "line": 3,
                    "message": "use go",
                    "conditional": False,
                },
            ],
            "touches": [{"name": "old.lib.f", "line": 7, "prefix": "old.lib"}],
            "within": None,
            "prefixes": ["old.lib"],
            "unknown_reason": None,
        }
    )


def test_people_are_written_with_nested_values_as_dicts() -> None:
    expert = Expert(
        "Ann", "ann@example.com", 4.5, 1.0, True, 2, 1, datetime(2024, 1, 2, tzinfo=UTC), False
    )
    assert ordered(expert.to_dict()) == ordered(
        {
            "name": "Ann",
            "email": "ann@example.com",
            "doa": 4.5,
            "share": 1.0,
            "first_author": True,
            "own_changes": 2,
            "others_changes": 1,
            "last_touch": "2024-01-02T00:00:00+00:00",
            "active": False,
            "first_touch": None,
            "last_commit": None,
            "recent_commits": 0,
            "cosmetic_only": False,
        }
    )
    factor = TruckFactor("pkg", 1, 3, 3, (KeyAuthor("Ann", "ann@example.com", 3, 2, True),), ("a",))
    assert ordered(factor.to_dict()) == ordered(
        {
            "path": "pkg",
            "factor": 1,
            "files": 3,
            "authored": 3,
            "authors": [
                {
                    "name": "Ann",
                    "email": "ann@example.com",
                    "files": 3,
                    "orphaned": 2,
                    "active": True,
                }
            ],
            "orphaned": ["a"],
        }
    )


def test_a_shape_that_names_no_field_is_refused() -> None:
    @attrs.frozen
    class Broken(Serializable):
        _shape: ClassVar[Shape] = Shape(flatten=("nope",))

        value: int

    with pytest.raises(TypeError, match="nope"):
        Broken(1).to_dict()


def test_the_serializer_writes_nested_values_and_omits_what_the_shape_says() -> None:
    @attrs.frozen
    class Inner(Serializable):
        at: datetime
        kind: ChangeKind

    @attrs.frozen
    class Outer(Serializable):
        _shape: ClassVar[Shape] = Shape(
            flatten=("ref",), computed=("twice",), after="n", omit=("note",)
        )

        ref: FunctionRef
        n: int
        inner: tuple[Inner, ...]
        note: str

        @property
        def twice(self) -> int:
            return 2 * self.n

    value = Outer(REF, 2, (Inner(datetime(2024, 1, 1, 8, tzinfo=PDT), ChangeKind.ADDED),), "x")
    assert ordered(to_dict(value)) == ordered(
        {
            "path": "src/app.py",
            "qualname": "App.run",
            "n": 2,
            "twice": 4,
            "inner": [{"at": "2024-01-01T08:00:00-07:00", "kind": "added"}],
        }
    )
    json.dumps(to_dict(value))  # JSON-ready all the way down


def test_string_enums_equal_their_text() -> None:
    members: list[Any] = [
        ChangeKind.MOVED,
        ChangeType.FILE_RENAME,
        StabilityClass.VOLATILE,
        TrendDirection.YOUNG,
        DeprecationMarkKind.DOCSTRING,
        IndexPhase.EXTRACT,
    ]
    for member in members:
        assert member == member.value
        assert str(member) == f"{member}" == member.value
        assert json.dumps(member) == json.dumps(member.value)
        assert type(member)(member.value) is member
    assert [c.value for c in StabilityClass] == ["stable", "active", "volatile"]
    assert [d.value for d in TrendDirection] == ["rising", "falling", "flat", "young"]
    assert [k.value for k in DeprecationMarkKind] == ["decorator", "warning", "docstring"]
    assert [p.value for p in IndexPhase] == ["scan", "extract", "lineage", "write", "head"]
    # The index's bit encoding of change types is unchanged.
    assert ChangeType.to_bits((ChangeType.BODY, ChangeType.MOVE)) == 0b100000010
    assert ChangeType.from_bits(0b100000010) == (ChangeType.BODY, ChangeType.MOVE)


def test_index_progress_names_its_phase_with_the_enum() -> None:
    assert loopintel.IndexProgress(1, 2, "extract").phase is IndexPhase.EXTRACT
    with pytest.raises(ValueError, match="nap"):
        loopintel.IndexProgress(1, 2, "nap")


def test_authors_are_keyed_by_email() -> None:
    ann = Author("Ann Smith", "ann@example.com")
    assert ann == Author("ann", "ann@example.com")
    assert len({ann, Author("A. Smith", "ann@example.com")}) == 1
    assert ann != Author("Ann Smith", "ann@work.example")
    assert str(ann) == "Ann Smith <ann@example.com>"
    assert Author.parse(" Ann Smith <ann@example.com> ") == ann
    assert Author.parse("Ann Smith <ann@example.com>").name == "Ann Smith"
    with pytest.raises(ValueError, match="Name <email>"):
        Author.parse("ann@example.com")
    assert ann.to_dict() == {"name": "Ann Smith", "email": "ann@example.com"}


def test_a_commit_holds_aware_times_and_its_people() -> None:
    ann, bot = Author("Ann", "ann@example.com"), Author("Merge Bot", "bot@example.com")
    commit = Commit(
        sha="c" * 40,
        parents=("a" * 40, "b" * 40),
        author=ann,
        authored_at=datetime(2024, 3, 1, 10, tzinfo=PDT),
        committer=bot,
        committed_at=datetime(2024, 3, 2, tzinfo=UTC),
        summary="Merge pull request #1",
    )
    assert commit.is_merge
    assert not commit.is_root
    assert attrs.evolve(commit, parents=()).is_root
    assert ordered(commit.to_dict()) == ordered(
        {
            "sha": "c" * 40,
            "parents": ["a" * 40, "b" * 40],
            "author": {"name": "Ann", "email": "ann@example.com"},
            "authored_at": "2024-03-01T10:00:00-07:00",
            "committer": {"name": "Merge Bot", "email": "bot@example.com"},
            "committed_at": "2024-03-02T00:00:00+00:00",
            "summary": "Merge pull request #1",
        }
    )
    with pytest.raises(ValueError, match="committed_at must be timezone-aware"):
        attrs.evolve(commit, committed_at=datetime(2024, 3, 2))  # noqa: DTZ001


def test_experts_and_key_authors_name_their_author() -> None:
    expert = Expert("Ann", "ann@example.com", 4.5, 1.0, True, 2, 1, datetime.now(UTC), True)
    key = KeyAuthor("A.", "ann@example.com", 3, 2, True)
    assert expert.author == key.author == Author("Ann", "ann@example.com")


def test_values_pickle_and_keep_their_public_names() -> None:
    change = Change(
        commit="c" * 40,
        parent=None,
        authored_at=datetime(2023, 11, 15, 0, 13, 20, tzinfo=timezone(timedelta(hours=2))),
        committed_at=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        author_name="Ann",
        author_email="ann@example.com",
        path="a.py",
        qualname="f",
        old_path=None,
        old_qualname=None,
        kind=ChangeKind.ADDED,
        change_types=(ChangeType.INTRODUCED,),
        lines_added=2,
        lines_removed=0,
        complexity=1,
        lineage="l",
        start_line=1,
        end_line=2,
    )
    assert change.authored_at.isoformat() == "2023-11-15T00:13:20+02:00"
    assert pickle.loads(pickle.dumps(change)) == change
    ann = Author("Ann", "ann@example.com")
    commit = Commit("c" * 40, (), ann, change.authored_at, ann, change.committed_at, "Start")
    assert pickle.loads(pickle.dumps(commit)) == commit
    for name in loopintel.model.__all__:
        value = getattr(loopintel, name)
        assert value is getattr(loopintel.model, name)
        assert value.__module__ == "loopintel", name


# --- FunctionView.summary() ------------------------------------------------------


def build(builder: RepoBuilder, pyproject: str | None = None) -> None:
    files: dict[str, object] = {
        "app.py": """
        import warnings


        def serve(port):
            if port:
                return port
            return 80


        def old():
            warnings.warn("use serve", DeprecationWarning)
            return 1
        """,
    }
    if pyproject is not None:
        files["pyproject.toml"] = pyproject
    builder.commit(files, author=("Ann", "ann@example.com"))
    builder.commit(
        {
            "app.py": """
            import warnings


            def serve(port, host="localhost"):
                if port:
                    return port
                return 80
            """,
        },
        author=("Bob", "bob@example.com"),
    )


def show(builder: RepoBuilder, index: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "loopintel",
            "show",
            *args,
            str(builder.path),
            "--index-path",
            str(index),
        ],
        capture_output=True,
        text=True,
        check=True,
    )


def test_a_summary_answers_what_the_view_answers(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    repo = loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3")
    view = repo.function("serve")
    summary = view.summary()
    assert isinstance(summary, loopintel.FunctionSummary)
    assert (summary.ref, summary.lineage, summary.at_head) == (view.ref, view.lineage, True)
    assert summary.changes == len(view.history()) == 2
    assert summary.last_changed == view.last_changed
    assert summary.last_changed is not None
    assert summary.last_changed.author_email == "bob@example.com"
    assert summary.introduced == view.introduced
    assert summary.deleted is None
    assert summary.complexity == view.complexity == 2
    assert summary.stability == view.stability
    assert summary.stability.classification is StabilityClass.VOLATILE
    assert summary.experts == tuple(view.experts())
    assert summary.complexity_trend == view.complexity_trend
    assert summary.complexity_trend.direction is TrendDirection.YOUNG
    assert summary.coverage is None
    assert summary.deprecation == view.deprecation()
    assert summary.deprecation_warning is None
    gone = repo.function("old").summary()
    assert not gone.at_head
    assert gone.deleted is not None
    assert gone.deleted.kind is ChangeKind.DELETED
    assert gone.deprecation.marks[0].kind is DeprecationMarkKind.WARNING
    assert pickle.loads(pickle.dumps(gone)) == gone
    repo.close()


def test_show_json_is_the_summary_dict(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    index = tmp_path / "i.sqlite3"
    printed = show(repo_builder, index, "serve", "--json").stdout
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        summary = repo.function("serve").summary()
    assert printed == json.dumps(summary.to_dict()) + "\n"
    assert list(json.loads(printed)) == [
        "path",
        "qualname",
        "lineage",
        "at_head",
        "complexity",
        "changes",
        "last_changed",
        "introduced",
        "deleted",
        "stability",
        "experts",
        "coverage",
        "complexity_trend",
        "deprecation",
    ]
    assert "deprecation_warning" not in printed


def test_a_malformed_setting_leaves_a_summary_with_a_warning(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder, pyproject="[tool.loopintel]\ndeprecated = 5\n")
    index = tmp_path / "i.sqlite3"
    with loopintel.open(repo_builder.path, index_path=index) as repo:
        view = repo.function("old")
        with pytest.raises(loopintel.InvalidConfiguration) as error:
            view.deprecation()
        summary = view.summary()
    assert summary.deprecation_warning == str(error.value)
    assert summary.deprecation.prefixes == ()
    assert summary.deprecation.marked  # its own marks are still read
    shown = show(repo_builder, index, "old", "--json")
    assert shown.stderr == f"warning: {error.value}; checking deprecation marks only\n"
    assert json.loads(shown.stdout) == summary.to_dict()
    human = show(repo_builder, index, "old")
    assert human.stderr == shown.stderr
    assert "  deprecated     marked (warning line 11): use serve\n" in human.stdout


def test_an_expert_share_as_shown() -> None:
    def shown(share: float, *, cosmetic: bool = False) -> str:
        when = datetime.now(UTC)
        return Expert(
            "Ann", "a@x", 4.5, share, True, 2, 1, when, True, cosmetic_only=cosmetic
        ).percent

    assert [shown(s) for s in (0.987, 0.5, 0.006, 0.0049, 0.0008)] == [
        "99%",
        "50%",
        "1%",
        "<1%",
        "<1%",
    ]
    assert shown(0.0, cosmetic=True) == "0%"  # only cosmetic changes: no share at all
