"""The experts and truck factor of a path read from ownership columns, not row by row.

The column path must give exactly what the row-by-row computation over
``store.ownership_rows`` gave: the reference below is that computation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import loopintel
from loopintel.analysis.knowledge import Touch
from loopintel.ownership import commit_touches, file_touches, ranked_experts
from loopintel.store import OwnershipColumns, OwnershipRow

if TYPE_CHECKING:
    from pathlib import Path

    from loopintel.store import Store
    from tests.conftest import RepoBuilder

ANN = ("Ann", "ann@example.com")
ANNE = ("Anne B.", "ann@example.com")  # the same person, renamed later
BOB = ("Bob", "bob@example.com")
CY = ("Cy", "cy@example.com")


def reference_touches(rows: list[OwnershipRow]) -> tuple[list[Touch], dict[str, str]]:
    """One touch per commit from ``ownership_rows(path, cosmetic=True)``, row by row."""
    touches: dict[int, Touch] = {}
    names: dict[str, str] = {}
    first: int | None = None
    for row in rows:
        names[row.email] = row.name
        if first is None and row.added and not row.cosmetic:
            first = row.seq
        known = touches.get(row.seq)
        if known is None or (known.cosmetic and not row.cosmetic):
            touches[row.seq] = Touch(
                row.email, row.authored_at, row.seq == first, row.cosmetic, order=row.seq
            )
    return list(touches.values()), names


def reference_file_touches(
    rows: list[OwnershipRow], files: list[str]
) -> tuple[list[tuple[int, int, int, bool]], list[str], dict[str, str]]:
    """(file, author, time, introduced) per row of ``ownership_rows(path)``, row by row."""
    file_index = {f: i for i, f in enumerate(files)}
    emails = sorted({row.email for row in rows})
    author_index = {e: i for i, e in enumerate(emails)}
    names: dict[str, str] = {}
    introduced: set[str] = set()
    out = []
    for row in rows:
        names[row.email] = row.name
        out.append(
            (
                file_index[row.file],
                author_index[row.email],
                row.authored_at,
                row.added and row.file not in introduced,
            )
        )
        if row.added:
            introduced.add(row.file)
    return out, emails, names


def as_touches(own: OwnershipColumns) -> tuple[list[Touch], dict[str, str]]:
    arrays, keys, names = commit_touches(own)
    return [
        Touch(keys[int(a)], int(t), bool(i), bool(c), order=int(o))
        for a, t, i, c, o in zip(
            arrays.author,
            arrays.timestamp,
            arrays.introduced,
            arrays.cosmetic,
            arrays.order,
            strict=True,
        )
    ], names


def as_file_touches(
    own: OwnershipColumns, files: list[str]
) -> tuple[list[tuple[int, int, int, bool]], list[str], dict[str, str]]:
    arrays, keys, names = file_touches(own, files)
    rows = [
        (int(e), int(a), int(t), bool(i))
        for e, a, t, i in zip(
            arrays.element, arrays.author, arrays.timestamp, arrays.introduced, strict=True
        )
    ]
    return rows, keys, names


def build(b: RepoBuilder) -> None:
    b.commit(
        {
            "pkg/a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
            "pkg/sub/b.py": "def h():\n    return 1\n",
            "top.py": "def t():\n    return 1\n",
        },
        author=ANN,
    )
    # substance in one file, formatting only in another: the commit counts in substance
    b.commit(
        {
            "pkg/a.py": "def f():\n    return  1\n\n\ndef g():\n    return 2\n",
            "pkg/sub/b.py": "def h():\n    return 10\n",
        },
        author=BOB,
    )
    b.commit({"top.py": "def t():\n    return (1)\n"}, author=CY)  # formatting only
    # a move of h into a new file, and a new function beside it
    b.commit(
        {
            "pkg/sub/b.py": None,
            "pkg/sub/c.py": "def h():\n    return 10\n\n\ndef k():\n    return 3\n",
        },
        author=ANNE,
    )
    b.commit({"pkg/a.py": "def f():\n    return  5\n\n\ndef g():\n    return 2\n"}, author=CY)
    b.commit({"pkg/sub/d.py": "def m():\n    return 1\n"}, author=BOB)


def store_of(repo: loopintel.Repository) -> Store:
    return repo._store  # noqa: SLF001 - the rows are the store's, not the public API's


def scopes(repo: loopintel.Repository) -> list[str]:
    store = store_of(repo)
    files = [f for f, _ in store.head_files_under("")]
    dirs = sorted({f.rsplit("/", 1)[0] for f in files if "/" in f})
    return [*files, *dirs]


def check(store: Store, path: str) -> None:
    """The columns of ``path`` give what the rows gave."""
    own = store.ownership_columns(path)
    assert as_touches(own) == reference_touches(store.ownership_rows(path, cosmetic=True))
    files = [f for f, has in store.head_files_under(path) if has]
    assert as_file_touches(own, files) == reference_file_touches(store.ownership_rows(path), files)
    for half_life in (None, 30.0):
        touches, names = reference_touches(store.ownership_rows(path, cosmetic=True))
        expected = ranked_experts(store, touches, names, half_life, 365.0)
        arrays_touches, names_ = as_touches(own)
        assert ranked_experts(store, arrays_touches, names_, half_life, 365.0) == expected


def test_columns_agree_with_rows(repo_builder: RepoBuilder, tmp_path: Path) -> None:
    build(repo_builder)
    # Each scope read on its own first, then taken from the whole repository's columns.
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        paths = scopes(repo)
        for path in paths:
            check(store_of(repo), path)
        check(store_of(repo), "")
        for path in paths:
            check(store_of(repo), path)


def test_experts_and_truck_factor_agree_with_rows(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        store = store_of(repo)
        fresh = [repo.experts(p, half_life_days=None) for p in scopes(repo)]
        factors = [repo.truck_factor(p) for p in scopes(repo)]
        whole = repo.experts(".", half_life_days=None)
        touches, names = reference_touches(store.ownership_rows("", cosmetic=True))
        assert whole == ranked_experts(store, touches, names, None, 365.0, level="directory")
        # The experts of a directory from the kept whole-repository read are the same.
        assert [repo.experts(p, half_life_days=None) for p in scopes(repo)] == fresh
        assert [repo.truck_factor(p) for p in scopes(repo)] == factors
        # Renamed author: the latest name shows; the formatting-only author comes last.
        assert {e.email: e.name for e in whole}["ann@example.com"] == "Anne B."
        top = repo.experts("top.py", half_life_days=None)
        assert [(e.email, e.cosmetic_only) for e in top] == [
            ("ann@example.com", False),
            ("cy@example.com", True),
        ]


FILES = ("a.py", "d/b.py", "d/c.py", "e.py")
PEOPLE = (("Ann", "ann@x"), ("Ann B", "ann@x"), ("Bob", "bob@x"), ("Cy", "cy@x"))

# One commit: who, when, and per file it touched (added in substance, added at all,
# all cosmetic).
flags = st.tuples(st.booleans(), st.booleans(), st.booleans()).map(
    lambda f: (f[0] and not f[2], f[0] or f[1], f[2])
)
commits = st.lists(
    st.tuples(
        st.integers(0, len(PEOPLE) - 1),
        st.integers(0, 50),
        st.dictionaries(st.sampled_from(FILES), flags, min_size=1),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(commits)
def test_touches_agree_with_the_row_loop(
    history: list[tuple[int, int, dict[str, tuple[bool, bool, bool]]]],
) -> None:
    rows = [
        (file, seq, *PEOPLE[who], 1_000 * at, *flag)
        for seq, (who, at, touched) in enumerate(history)
        for file, flag in sorted(touched.items())
    ]
    files = sorted({r[0] for r in rows})
    emails = sorted({r[3] for r in rows})
    names = list(dict.fromkeys(r[2] for r in rows))
    own = OwnershipColumns(
        files=tuple(files),
        emails=tuple(emails),
        names=tuple(names),
        file=np.array([files.index(r[0]) for r in rows], dtype=np.int32),
        seq=np.array([r[1] for r in rows], dtype=np.int64),
        author=np.array([emails.index(r[3]) for r in rows], dtype=np.int32),
        name=np.array([names.index(r[2]) for r in rows], dtype=np.int32),
        authored_at=np.array([r[4] for r in rows], dtype=np.int64),
        added=np.array([r[5] for r in rows], dtype=bool),
        added_any=np.array([r[6] for r in rows], dtype=bool),
        cosmetic=np.array([r[7] for r in rows], dtype=bool),
    )
    every = [OwnershipRow(r[0], r[1], r[3], r[2], r[4], r[6], r[7]) for r in rows]
    substantive = [OwnershipRow(r[0], r[1], r[3], r[2], r[4], r[5]) for r in rows if not r[7]]
    assert as_touches(own) == reference_touches(every)
    head = [*files, "z.py"]  # a file at the head without changes
    assert as_file_touches(own, head) == reference_file_touches(substantive, head)
    for directory in ("d", "a.py"):
        inside = own.select(own.under(directory))
        scoped = [r for r in every if r.file == directory or r.file.startswith(directory + "/")]
        assert as_touches(inside) == reference_touches(scoped)
