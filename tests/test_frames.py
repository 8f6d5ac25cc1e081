"""Stacks resolved to functions at the right version, on repositories built for it.

Each repository is built so that the version a stack was printed by, and the function
each frame lies in, are known by construction: the stack is made from the file as it
stood at that version (:func:`frame_in`), never from the resolver's answers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pygit2
import pytest

import loopintel
from loopintel.frames import FrameResolver
from loopintel.history.git import GitRepository
from loopintel.languages import python
from loopintel.model import Frame, FrameStatus, Incident, VersionSource
from loopintel.store import Store
from tests.conftest import EPOCH, corpus_repo

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import RepoBuilder


class Built:
    """A repository, indexed, with its resolver and the lineages of its head's functions."""

    def __init__(self, path: Path, index: Path) -> None:
        with loopintel.open(path, index_path=index) as repo:
            self.lineages = {str(f.ref): f.lineage for f in repo.functions()}
        self.git = GitRepository(path)
        self.store = Store(index)
        self.resolver = FrameResolver(self.git, self.store)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def build(repo_builder: RepoBuilder) -> RepoBuilder:
    """The builder; index it with :func:`indexed` once its history is written."""
    return repo_builder


def indexed(builder: RepoBuilder, tmp_path: Path) -> Built:
    return Built(builder.path, tmp_path / "index.sqlite3")


def tag(builder: RepoBuilder, name: str, sha: str, *, annotated: bool = False) -> None:
    if annotated:
        who = pygit2.Signature("Ada Lovelace", "ada@example.com", EPOCH, 0)
        builder.repo.create_tag(name, sha, pygit2.enums.ObjectType.COMMIT, who, f"release {name}")
    else:
        builder.repo.references.create(f"refs/tags/{name}", sha)


def frame_in(
    source: str,
    marker: str,
    function: str,
    *,
    file: str,
    code: bool = True,
    module: str | None = None,
) -> Frame:
    """The frame a process prints at the line of ``source`` holding ``marker``."""
    lines = source.split("\n")
    [line] = [i + 1 for i, text in enumerate(lines) if marker in text]
    return Frame(
        file=file,
        line=line,
        function=function,
        module=module,
        code=lines[line - 1].strip() if code else None,
    )


def hour(n: int) -> datetime:
    """A moment ``n`` hours after the builder's epoch (its n-th signature)."""
    return datetime.fromtimestamp(EPOCH + n * 3600, UTC)


# -- versions of one module, each shifting its functions ----------------------------------

V1 = """\
import os


class App:
    def run(self):
        return self.dispatch()  # run-call

    def dispatch(self):
        raise RuntimeError("v1")  # dispatch-raise


def helper():
    return os.sep  # helper-body
"""

V2 = """\
import os
import sys


class App:
    def run(self):
        sys.stdout.flush()
        return self.dispatch()  # run-call

    def dispatch(self):
        raise RuntimeError("v2")  # dispatch-raise


def helper():
    return os.sep  # helper-body
"""

V3 = """\
import os
import sys

TIMEOUT = 3


class App:
    def run(self):
        sys.stdout.flush()
        return self.dispatch()  # run-call

    def dispatch(self):
        raise RuntimeError("v3")  # dispatch-raise


def helper():
    return os.sep  # helper-body
"""

SITE = "/venv/lib/python3.11/site-packages/pkg/app.py"


def stack(source: str, file: str = SITE, *, code: bool = True) -> list[Frame]:
    return [
        Frame(file="/srv/main.py", line=3, function="<module>", code="App().run()"),
        frame_in(source, "# run-call", "run", file=file, code=code),
        frame_in(source, "# dispatch-raise", "dispatch", file=file, code=code),
    ]


@pytest.fixture
def three(build: RepoBuilder, tmp_path: Path) -> Iterator[tuple[Built, list[str]]]:
    """v1.0 (tag), an untagged commit, v3.0 (annotated tag), then a later head."""
    c1 = build.commit({"src/pkg/app.py": V1, "src/pkg/__init__.py": ""})
    c2 = build.commit({"src/pkg/app.py": V2})
    c3 = build.commit({"src/pkg/app.py": V3})
    c4 = build.commit({"README": "docs only\n"})
    tag(build, "v1.0", c1)
    tag(build, "pkg-3.0", c3, annotated=True)
    built = indexed(build, tmp_path)
    yield built, [c1, c2, c3, c4]
    built.close()


def test_the_release_as_a_tag_a_version_string_or_a_sha(three: tuple[Built, list[str]]) -> None:
    built, (c1, c2, c3, _) = three
    frames = stack(V1)
    for release in ("v1.0", "1.0", c1, c1[:8], c1.upper()):
        version = built.resolver.resolve(frames, release=release).version
        assert (version.commit, version.how, version.tag) == (c1, VersionSource.RELEASE, "v1.0")
    version = built.resolver.resolve(stack(V3), release="3.0").version
    assert (version.commit, version.tag) == (c3, "pkg-3.0")  # an annotated tag, peeled
    version = built.resolver.resolve(stack(V3), release="pkg@3.0").version
    assert (version.commit, version.tag) == (c3, "pkg-3.0")
    version = built.resolver.resolve(stack(V2), release=c2).version
    assert (version.commit, version.how, version.tag) == (c2, VersionSource.RELEASE, None)


def test_the_release_wins_even_where_the_frames_do_not_fit(
    three: tuple[Built, list[str]],
) -> None:
    built, (c1, *_) = three
    resolution = built.resolver.resolve(stack(V3), release="v1.0")
    assert resolution.version.commit == c1
    # at v1.0 the line printed for dispatch() lies in helper: flagged, both names kept
    dispatch = resolution.frames[2]
    assert (dispatch.status, dispatch.qualname) == (FrameStatus.NAME_MISMATCH, "helper")
    assert dispatch.frame.function == "dispatch"
    assert dispatch.lineage == built.lineages["src/pkg/app.py::helper"]
    # and the line printed for run() lies between functions there
    run = resolution.frames[1]
    assert (run.status, run.path, run.qualname) == (
        FrameStatus.NOT_IN_FUNCTION,
        "src/pkg/app.py",
        None,
    )


def test_an_unknown_release_falls_back_to_inference(three: tuple[Built, list[str]]) -> None:
    built, (_, c2, _, _) = three
    version = built.resolver.resolve(stack(V2), release="9.9.9").version
    assert (version.commit, version.how) == (c2, VersionSource.INFERRED)


@pytest.mark.parametrize(("source", "index"), [(V1, 0), (V2, 1), (V3, 2)])
def test_the_version_inferred_from_lines_and_names(
    three: tuple[Built, list[str]], source: str, index: int
) -> None:
    built, commits = three
    for code in (True, False):
        resolution = built.resolver.resolve(stack(source, code=code))
        version = resolution.version
        assert version.how is VersionSource.INFERRED
        # the head has v3's file too, but no commit after v3 changed it: one candidate
        assert (version.commit, version.candidates) == (commits[index], 1)
        assert version.tag == {0: "v1.0", 1: None, 2: "pkg-3.0"}[index]
        statuses = [f.status for f in resolution.frames]
        assert statuses == [FrameStatus.OUTSIDE_REPO, FrameStatus.RESOLVED, FrameStatus.RESOLVED]
        assert [f.qualname for f in resolution.frames] == [None, "App.run", "App.dispatch"]
        assert [f.path for f in resolution.frames] == [None, "src/pkg/app.py", "src/pkg/app.py"]
        assert resolution.frames[1].lineage == built.lineages["src/pkg/app.py::App.run"]


def test_inference_keeps_to_versions_before_the_incident(
    three: tuple[Built, list[str]],
) -> None:
    built, (_, c2, c3, _) = three
    # V3's stack fits c3 (c4 has the same file, and is no candidate: it changed none)
    version = built.resolver.resolve(stack(V3), at=hour(3)).version
    assert (version.commit, version.how, version.candidates) == (c3, VersionSource.INFERRED, 1)
    version = built.resolver.resolve(stack(V3), at=hour(2)).version
    # nothing fits before c3: the commit current then
    assert (version.commit, version.how, version.candidates) == (c2, VersionSource.TIME, 0)


def test_the_printed_line_tells_versions_apart(build: RepoBuilder, tmp_path: Path) -> None:
    one = "def f(x):\n    return x + 1\n"
    two = "def f(x):\n    return x + 2\n"
    c1 = build.commit({"m.py": one})
    c2 = build.commit({"m.py": two})
    tag(build, "1.0", c1)
    tag(build, "2.0", c2)
    built = indexed(build, tmp_path)
    try:
        frames = [frame_in(one, "x + 1", "f", file="/srv/app/m.py")]
        version = built.resolver.resolve(frames).version
        assert (version.commit, version.candidates) == (c1, 1)
        without_code = [Frame(file="/srv/app/m.py", line=2, function="f")]
        version = built.resolver.resolve(without_code).version
        # both fit: the latest tag
        assert (version.commit, version.candidates) == (c2, 2)
    finally:
        built.close()


def test_a_tag_that_leaves_a_frame_unmapped_is_not_enough(
    build: RepoBuilder, tmp_path: Path
) -> None:
    """At the tag, one frame's file did not exist yet: the commit that has it wins."""
    api = "def call(x):\n    return impl(x)\n"
    impl = "def impl(x):\n    return x.value\n"
    c1 = build.commit({"pkg/api.py": api})
    tag(build, "1.0", c1)
    c2 = build.commit({"pkg/impl.py": impl})
    build.commit({"pkg/impl.py": "import os\n\n\n" + impl})
    built = indexed(build, tmp_path)
    try:
        frames = [
            frame_in(api, "impl(x)", "call", file="/venv/site-packages/pkg/api.py"),
            frame_in(impl, "x.value", "impl", file="/venv/site-packages/pkg/impl.py"),
        ]
        resolution = built.resolver.resolve(frames)
        assert (resolution.version.commit, resolution.version.candidates) == (c2, 1)
        assert [f.status for f in resolution.frames] == [FrameStatus.RESOLVED] * 2
    finally:
        built.close()


def test_inference_parses_only_versions_the_cheap_tests_leave(
    build: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty tagged versions of a file, the printed line differing in each: one parse."""
    versions = []
    for n in range(30):
        source = f"def f(x):\n    return x + {n}\n"
        versions.append(source)
        tag(build, f"1.{n}", build.commit({"m.py": source}))
    built = indexed(build, tmp_path)
    parsed: list[bytes] = []
    real = python.parse_layout

    def counting(data: bytes, **kwargs: Any) -> Any:
        parsed.append(data)
        return real(data, **kwargs)

    monkeypatch.setattr(python, "parse_layout", counting)
    try:
        frames = [frame_in(versions[17], "x + 17", "f", file="/srv/m.py")]
        resolution = built.resolver.resolve(frames)
        assert (resolution.version.tag, resolution.version.candidates) == ("1.17", 1)
        assert parsed == [versions[17].encode()]
        # asked again, nothing is parsed again
        built.resolver.resolve(frames)
        assert len(parsed) == 1
    finally:
        built.close()


def test_a_commit_that_only_moved_lines_is_found(build: RepoBuilder, tmp_path: Path) -> None:
    """No function changed in c2 (an import moved every line down): git's trees find it."""
    one = "def f(x):\n    return x.value\n"
    two = "import os\n\n\n" + one
    three = two.replace("x.value", "x.value + 1")
    build.commit({"m.py": one})
    c2 = build.commit({"m.py": two})
    build.commit({"m.py": three})
    built = indexed(build, tmp_path)
    try:
        frames = [frame_in(two, "x.value", "f", file="/srv/m.py")]
        version = built.resolver.resolve(frames).version
        assert (version.commit, version.how, version.candidates) == (c2, VersionSource.INFERRED, 1)
    finally:
        built.close()


def test_no_fitting_version_falls_back_to_the_time_then_the_head(
    three: tuple[Built, list[str]],
) -> None:
    built, (c1, c2, _, c4) = three
    frames = [Frame(file=SITE, line=400, function="run")]
    resolution = built.resolver.resolve(frames, at=hour(2) + (hour(1) - hour(0)) / 2)
    assert (resolution.version.commit, resolution.version.how) == (c2, VersionSource.TIME)
    resolution = built.resolver.resolve(frames)
    assert (resolution.version.commit, resolution.version.how) == (c4, VersionSource.HEAD)
    # a frame past the end of the file lies in no function
    assert resolution.frames[0].status is FrameStatus.NOT_IN_FUNCTION
    assert resolution.frames[0].path == "src/pkg/app.py"
    # before the first commit: the head
    resolution = built.resolver.resolve(frames, at=hour(-5))
    assert resolution.version.how is VersionSource.HEAD
    assert c1 != resolution.version.commit


def test_an_incident_is_resolved_with_its_release_and_start(
    three: tuple[Built, list[str]],
) -> None:
    built, (c1, c2, c3, _) = three
    incident = Incident(source="sentry", id="1", title="boom", frames=tuple(stack(V3)))
    assert built.resolver.resolve_incident(incident).version.commit == c3
    told = attrs.evolve(incident, release="1.0")
    assert built.resolver.resolve_incident(told).version.commit == c1
    # started before v3: nothing fits, the commit current then
    early = attrs.evolve(incident, started_at=hour(2))
    version = built.resolver.resolve_incident(early).version
    assert (version.commit, version.how) == (c2, VersionSource.TIME)
    detected = attrs.evolve(incident, detected_at=hour(2))
    assert built.resolver.resolve_incident(detected).version.commit == c2


def test_frames_outside_the_repository_are_kept(three: tuple[Built, list[str]]) -> None:
    built, _ = three
    frames = [
        Frame(file="/usr/lib/python3.11/threading.py", line=1000, function="run"),
        Frame(file="/usr/lib/python3.11/logging/__init__.py", line=10, function="emit"),
        Frame(file="<frozen importlib._bootstrap>", line=241, function="_call_with_frames"),
        *stack(V1)[1:],
    ]
    resolution = built.resolver.resolve(frames)
    assert len(resolution.frames) == len(frames)
    assert [f.frame for f in resolution.frames] == frames
    assert [f.status for f in resolution.frames[:3]] == [FrameStatus.OUTSIDE_REPO] * 3
    assert resolution.frames[3].status is FrameStatus.RESOLVED


def test_windows_and_server_paths(three: tuple[Built, list[str]]) -> None:
    built, (c1, *_) = three
    for file in (
        r"C:\Users\ada\venv\Lib\site-packages\pkg\app.py",
        r"D:\deploy\checkout\src\pkg\app.py",
        "/srv/releases/41/src/pkg/app.py",
        "./src/pkg/app.py",
    ):
        resolution = built.resolver.resolve(stack(V1, file))
        assert resolution.version.commit == c1, file
        assert resolution.frames[2].path == "src/pkg/app.py"
        assert resolution.frames[2].qualname == "App.dispatch"
        assert resolution.frames[2].status is FrameStatus.RESOLVED


def test_a_module_name_maps_a_frame_its_file_does_not(three: tuple[Built, list[str]]) -> None:
    built, (c1, *_) = three
    frame = frame_in(V1, "# dispatch-raise", "dispatch", file="app.py", module="pkg.app")
    frame = Frame(file="<unknown>", line=frame.line, function="dispatch", module="pkg.app")
    resolution = built.resolver.resolve([frame], release="v1.0")
    assert resolution.frames[0].path == "src/pkg/app.py"
    assert resolution.frames[0].qualname == "App.dispatch"
    inferred = built.resolver.resolve([frame])
    assert inferred.version.commit == c1


def test_a_renamed_file_resolves_at_its_old_path(build: RepoBuilder, tmp_path: Path) -> None:
    old = V1
    c1 = build.commit({"pkg/app.py": old, "pkg/__init__.py": ""})
    tag(build, "0.1", c1)
    build.commit(
        {
            "pkg/app.py": None,
            "pkg/__init__.py": None,
            "src/pkg/__init__.py": "",
            "src/pkg/app.py": old,
        }
    )
    build.commit({"src/pkg/app.py": V3})
    built = indexed(build, tmp_path)
    try:
        resolution = built.resolver.resolve(stack(old))
        assert (resolution.version.commit, resolution.version.tag) == (c1, "0.1")
        dispatch = resolution.frames[2]
        assert (dispatch.path, dispatch.qualname) == ("pkg/app.py", "App.dispatch")
        assert dispatch.status is FrameStatus.RESOLVED
        # the same lineage as the function at the head, under its new path
        assert dispatch.lineage == built.lineages["src/pkg/app.py::App.dispatch"]
    finally:
        built.close()


def test_a_moved_and_renamed_function_keeps_its_lineage(build: RepoBuilder, tmp_path: Path) -> None:
    util = "import os\n\n\ndef parse(text):\n    value = text.strip()\n    return value\n"
    c1 = build.commit({"pkg/util.py": util, "pkg/other.py": "def other():\n    return 1\n"})
    tag(build, "1.0", c1)
    moved = "def parse(text):\n    value = text.strip()\n    return value\n"
    build.commit({"pkg/util.py": "import os\n", "pkg/text.py": moved})
    build.commit({"pkg/text.py": moved.replace("parse(", "parse_text(")})
    built = indexed(build, tmp_path)
    try:
        frames = [frame_in(util, "text.strip()", "parse", file="/app/pkg/util.py")]
        resolution = built.resolver.resolve(frames)
        assert resolution.version.commit == c1
        found = resolution.frames[0]
        assert (found.path, found.qualname, found.status) == (
            "pkg/util.py",
            "parse",
            FrameStatus.RESOLVED,
        )
        assert found.lineage == built.lineages["pkg/text.py::parse_text"]
    finally:
        built.close()


def test_ambiguous_suffixes_are_reported(build: RepoBuilder, tmp_path: Path) -> None:
    util = "def clean(x):\n    return x.strip()\n"
    build.commit({"pkg/util.py": util, "vendor/pkg/util.py": util})
    built = indexed(build, tmp_path)
    try:
        frames = [Frame(file="/venv/site-packages/pkg/util.py", line=2, function="clean")]
        resolution = built.resolver.resolve(frames)
        [found] = resolution.frames
        assert found.status is FrameStatus.AMBIGUOUS
        assert found.candidates == ("pkg/util.py", "vendor/pkg/util.py")
        assert (found.path, found.qualname, found.lineage) == (None, None, None)
        # the longer suffix decides
        frames = [Frame(file="/opt/vendor/pkg/util.py", line=2, function="clean")]
        [found] = built.resolver.resolve(frames).frames
        assert (found.status, found.path) == (FrameStatus.RESOLVED, "vendor/pkg/util.py")
    finally:
        built.close()


NAMES = """\
class Store:
    def load(self, key):
        return self.data[key]  # load-body

    @property
    def size(self):
        return len(self.data)  # size-body

    class Meta:
        ordering = compute()  # class-body

    def each(self):
        return [self.load(k) for k in self.data]  # comprehension


VALUE = make()  # module-level


def outer():
    @decorate(2)  # decorator-line
    def inner():
        return 1  # inner-body
    return inner
"""


@pytest.fixture
def names(build: RepoBuilder, tmp_path: Path) -> Iterator[Built]:
    build.commit({"store.py": NAMES})
    built = indexed(build, tmp_path)
    yield built
    built.close()


@pytest.mark.parametrize(
    ("marker", "printed", "status", "qualname"),
    [
        ("# load-body", "load", FrameStatus.RESOLVED, "Store.load"),
        ("# load-body", "Store.load", FrameStatus.RESOLVED, "Store.load"),
        ("# load-body", "fetch", FrameStatus.NAME_MISMATCH, "Store.load"),
        ("# load-body", "Cache.load", FrameStatus.NAME_MISMATCH, "Store.load"),
        ("# size-body", "size", FrameStatus.RESOLVED, "Store.size"),
        ("# inner-body", "inner", FrameStatus.RESOLVED, "outer.<locals>.inner"),
        ("# inner-body", "outer.<locals>.inner", FrameStatus.RESOLVED, "outer.<locals>.inner"),
        # a decorator runs in the frame of the function that holds the definition
        ("# decorator-line", "outer", FrameStatus.RESOLVED, "outer"),
        ("# comprehension", "<listcomp>", FrameStatus.RESOLVED, "Store.each"),
        ("# module-level", "<module>", FrameStatus.NOT_IN_FUNCTION, None),
        ("# class-body", "Meta", FrameStatus.NOT_IN_FUNCTION, None),
    ],
)
def test_the_function_at_a_line(
    names: Built, marker: str, printed: str, status: FrameStatus, qualname: str | None
) -> None:
    frame = frame_in(NAMES, marker, printed, file="/srv/store.py")
    [found] = names.resolver.resolve([frame]).frames
    assert (found.status, found.qualname) == (status, qualname)
    assert found.path == "store.py"
    assert found.frame.function == printed  # the printed name is kept
    if qualname is not None:
        assert found.lineage == names.lineages[f"store.py::{qualname}"]


def test_a_mismatched_name_makes_no_version_fit(three: tuple[Built, list[str]]) -> None:
    built, (*_, c4) = three
    frames = [frame_in(V1, "# dispatch-raise", "handle", file=SITE)]
    resolution = built.resolver.resolve(frames)
    assert resolution.version.how is VersionSource.HEAD
    assert resolution.version.commit == c4


def test_a_tag_the_head_does_not_reach(build: RepoBuilder, tmp_path: Path) -> None:
    """A release made on a maintenance branch: resolved there, lineages from its fork."""
    one = "def f(x):\n    return x\n"
    c1 = build.commit({"m.py": one})
    build.commit({"m.py": "def f(x):\n    y = x\n    return y\n"})
    branch = build.commit(
        {"m.py": "def f(x):\n    # patched\n    return x\n"}, parents=[c1], ref=None
    )
    tag(build, "1.0.1", branch)
    built = indexed(build, tmp_path)
    try:
        frames = [Frame(file="/srv/m.py", line=3, function="f", code="return x")]
        resolution = built.resolver.resolve(frames)
        assert (resolution.version.commit, resolution.version.tag) == (branch, "1.0.1")
        [found] = resolution.frames
        assert (found.qualname, found.lineage) == ("f", built.lineages["m.py::f"])
    finally:
        built.close()


def test_an_empty_index_resolves_nothing(build: RepoBuilder, tmp_path: Path) -> None:
    build.repo.references.create("refs/heads/other", build.commit({"a.txt": "x"}))
    built = indexed(build, tmp_path)
    try:
        frames = [Frame(file="/srv/a.py", line=1, function="f")]
        [found] = built.resolver.resolve(frames).frames
        assert found.status is FrameStatus.OUTSIDE_REPO
    finally:
        built.close()


# -- real tracebacks, printed by old releases, resolved on the corpus histories ------------

TRACEBACKS = Path(__file__).parent / "data" / "tracebacks"
_PRINTED = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+), in (?P<function>.+)$')


def printed_frames(text: str) -> list[Frame]:
    """The frames of a printed traceback, each with the source line under it."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        found = _PRINTED.match(line)
        if found is None:
            continue
        after = lines[i + 1] if i + 1 < len(lines) else ""
        code = after.strip() if after.startswith("    ") and not _PRINTED.match(after) else None
        out.append(Frame(found["file"], int(found["line"]), found["function"], code=code))
    return out


def test_printed_frames_are_read_with_their_lines() -> None:
    frames = printed_frames((TRACEBACKS / "flask-2.0.3-url_for.txt").read_text())
    assert len(frames) == 16
    assert frames[-2].function == "url_for"
    assert frames[-2].code == "rv = url_adapter.build("
    assert frames[-2].file.endswith("site-packages/flask/helpers.py")


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    """The corpus repositories, indexed once for the module (bare clones of the bundles)."""
    out: dict[str, Built] = {}
    try:
        for name in ("flask", "requests"):
            path = corpus_repo(name, tmp_path_factory)
            out[name] = Built(path, tmp_path_factory.mktemp("index") / "index.sqlite3")
        yield out
    finally:
        for built in out.values():
            built.close()


@pytest.mark.corpus
@pytest.mark.parametrize(
    "traceback", sorted(p.name for p in TRACEBACKS.glob("*.txt")), ids=lambda n: n[:-4]
)
def test_a_real_traceback_resolves_at_its_release_without_being_told(
    corpus_index: dict[str, Built], traceback: str
) -> None:
    name, release, _ = traceback.split("-", 2)
    built = corpus_index[name]
    frames = printed_frames((TRACEBACKS / traceback).read_text())
    resolution = built.resolver.resolve(frames)
    tags = {t: sha for t, sha, _ in built.git.tags()}
    [expected] = [t for t in (release, f"v{release}") if t in tags]
    version = resolution.version
    assert version.how is VersionSource.INFERRED
    # the release's own tag, not merely a commit whose files look the same
    assert (version.commit, version.tag) == (tags[expected], expected)
    assert version.candidates >= 1
    own = f"site-packages/{name}/"
    for found in resolution.frames:
        if own in found.frame.file:
            assert found.status is FrameStatus.RESOLVED, found
            assert found.qualname is not None
            assert found.qualname.rsplit(".", 1)[-1] == found.frame.function
            assert found.path is not None
            assert found.path.endswith(found.frame.file.split(own, 1)[1])
            assert found.lineage is not None
        else:
            assert found.status is FrameStatus.OUTSIDE_REPO, found
    assert sum(f.status is FrameStatus.RESOLVED for f in resolution.frames) >= 5
