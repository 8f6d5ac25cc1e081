"""What changed since an index was complete: the commits a rewrite drops."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from loopintel import since
from loopintel.history.git import CommitMeta
from loopintel.store import Store


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, ...]]:
    """A commit graph, parents first: each commit's parents (indexes of earlier ones)."""
    size = draw(st.integers(1, 24))
    out: list[tuple[str, ...]] = [()]
    for i in range(1, size):
        count = draw(st.integers(0, min(2, i)))  # 0: another root
        parents = draw(st.lists(st.integers(0, i - 1), min_size=count, max_size=count))
        out.append(tuple(f"{p:040x}" for p in dict.fromkeys(parents)))
    return out


@settings(max_examples=60, deadline=None)
@given(histories(), st.data())
def test_dropped_commits_are_those_no_kept_history_has(
    graph: list[tuple[str, ...]], data: st.DataObject
) -> None:
    shas = [f"{i:040x}" for i in range(len(graph))]
    parents = dict(zip(shas, graph, strict=True))

    def history(sha: str) -> set[str]:
        seen: set[str] = set()
        stack = [sha]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(parents[current])
        return seen

    old = data.draw(st.sampled_from(shas))
    keep = set(data.draw(st.lists(st.sampled_from(shas), max_size=3)))
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(Path(scratch) / "i.sqlite3")
        signature = ("A", "a@example.com")
        with store.transaction():
            store.add_commits(
                [
                    (
                        seq,
                        CommitMeta(
                            sha,
                            parents[sha],
                            *signature,
                            0,
                            0,
                            *signature,
                            0,
                            0,
                            "",
                            signature,
                            signature,
                        ),
                        [],
                        [],
                        None,
                        None,
                        None,
                    )
                    for seq, sha in enumerate(shas)
                ]
            )
        dropped = since.dropped(store, old, keep)
        store.close()
    kept = set().union(*(history(k) for k in keep))
    assert sorted(dropped) == sorted(history(old) - kept)
    assert len(dropped) == len(set(dropped))
