"""Full histories of the corpus repositories against the brute-force reference.

Slow (minutes): behind the ``corpus`` marker; CI runs them once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import loopintel
from tests.conftest import corpus_repo
from tests.reference import Reference, fast_keys

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("name", ["flask", "requests"])
def test_full_history_agrees_with_reference(
    name: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    path = corpus_repo(name, tmp_path_factory)
    with loopintel.open(path, index_path=tmp_path / "index.sqlite3") as repo:
        assert repo.head is not None
        actual = fast_keys(repo.changes())
        expected, unjudged = Reference(str(path)).run(repo.head)
        actual = {k for k in actual if (k[0], k[2]) not in unjudged}
        expected = {k for k in expected if (k[0], k[2]) not in unjudged}
        missing = sorted(expected - actual)[:10]
        extra = sorted(actual - expected)[:10]
        assert (missing, extra) == ([], []), f"missing {missing}\nextra {extra}"
        # Python 2 era versions are read, not skipped: few versions are left out.
        assert len(unjudged) < 0.01 * len(expected)
        # every function at the head has a history that ends where it is now
        last: dict[str, loopintel.Change] = {}
        for change in repo.changes():
            last[change.lineage] = change
        for function in repo.functions():
            final = last.get(function.lineage)
            assert final is not None, function
            assert (final.path, final.qualname) == (function.path, function.qualname)
            assert final.kind is not loopintel.ChangeKind.DELETED


@pytest.mark.parametrize("name", ["flask", "requests"])
def test_every_function_reads_back_its_history(
    name: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    path = corpus_repo(name, tmp_path_factory)
    with loopintel.open(path, index_path=tmp_path / "index.sqlite3") as repo:
        by_lineage: dict[str, list[loopintel.Change]] = {}
        for change in repo.changes():
            by_lineage.setdefault(change.lineage, []).append(change)
        functions = repo.functions()
        assert len(functions) > 500
        for function in functions:
            view = repo.function(str(function.ref))
            assert view.ref == function.ref
            assert view.at_head
            history = view.history()
            in_graph_order = by_lineage[function.lineage]
            # Newest first by author time; the same second in reverse graph order.
            position = {id(c): i for i, c in enumerate(in_graph_order)}
            by_date = sorted(
                in_graph_order, key=lambda c: (c.authored_at, position[id(c)]), reverse=True
            )
            assert history == by_date
            last = in_graph_order[-1]
            assert (last.path, last.qualname) == (function.path, function.qualname)
            real = [c for c in history if not c.is_cosmetic]
            assert view.last_changed == (real[0] if real else None)
            assert view.introduced is None or view.introduced == in_graph_order[0]
            assert view.complexity == function.complexity
