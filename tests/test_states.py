"""Lineage states of indexed commits, worked out from the stored one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel import states
from loopintel.history.lineage import replay
from tests.test_indexing import branchy

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder


@pytest.mark.parametrize("lazy", [states.LAZY_PARENTS, 1], ids=["parents-asked", "all-parents"])
def test_states_worked_out_from_the_head_equal_replays(
    repo_builder: RepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lazy: int
) -> None:
    monkeypatch.setattr(states, "LAZY_PARENTS", lazy)
    named = branchy(repo_builder)
    wanted = {"mod1.py", "lib/mod4.py", "lib/mod2.py"}
    with loopintel.open(repo_builder.path, index_path=tmp_path / "i.sqlite3") as repo:
        store = repo._store  # noqa: SLF001 - the states are the store's
        parents = store.parents()
        load = states.state_loader(store)
        few = states.StateLoader(store, lambda: wanted)
        for sha in parents:
            ancestors, stack = set(), [sha]
            while stack:
                current = stack.pop()
                if current not in ancestors:
                    ancestors.add(current)
                    stack.extend(parents[current])
            replayed = replay(store.replay_rows(ancestors), sha)
            assert replayed, sha
            assert load(sha) == replayed, sha
            # The stored head's state is whole; others hold the paths asked for.
            some = (
                replayed
                if sha == named["after"]
                else {p: v for p, v in replayed.items() if p in wanted}
            )
            assert few(sha) == some, sha
