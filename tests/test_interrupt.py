"""Ctrl-C during a parallel index keeps what was done; the next run carries on."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

import loopintel
from tests.conftest import commits_in_index

if TYPE_CHECKING:
    from pathlib import Path

COMMITS = 1000
FILES = 16


def _module(version: int) -> str:
    return "".join(
        f"def handler_{i}(request, retries={version % 7}):\n"
        f"    if request.method == 'GET' and retries > {i}:\n"
        f"        return request.args.get('q{i}', {version})\n"
        f"    for item in request.items:\n"
        f"        retries -= item.weight\n"
        f"    return retries\n\n\n"
        for i in range(12)
    )


def _export(index: Path, path: Path) -> list[str]:
    with loopintel.open(path, index_path=index, update=False) as repo:
        return [str(change.to_dict()) for change in repo.changes()]


def _fast_import(path: Path) -> None:
    """A long history in one ``git fast-import`` (a commit a millisecond, not ten)."""
    stream = []
    for n in range(COMMITS):
        data = _module(n).encode()
        stream.append(
            f"commit refs/heads/main\ncommitter Ann <ann@example.com> {1_700_000_000 + n} +0000\n"
            f"data 6\nchange\n"
            f"M 100644 inline svc/m{n % FILES}.py\ndata {len(data)}\n"
        )
        stream.append(data.decode() + "\n")
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(path)], check=True)
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
    )


# A run started in the background (``cmd &`` in a script, as CI may be) inherits SIGINT
# ignored, and Python then never turns it into KeyboardInterrupt: the child takes Ctrl-C
# back before it runs ``python -m loopintel``, as in a terminal.
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'loopintel'; runpy.run_module('loopintel', run_name='__main__')"
)


def _interrupted(repo: Path, index: Path) -> tuple[subprocess.Popen[str], int]:
    """An indexing process sent SIGINT once it has stored or kept an eighth of the work."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WITH_CTRL_C,
            "index",
            str(repo),
            "--index-path",
            str(index),
            "--workers",
            "2",
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = 0
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        seen = commits_in_index(index)
        if seen >= COMMITS // 8:
            break
        time.sleep(0.02)
    assert child.poll() is None, "indexing ended before it could be interrupted"
    # A read that waited for the writer may come when the work is all but done: a signal
    # then lands in the shutdown, and the attempt is tried again.
    child.send_signal(signal.SIGINT)
    return child, seen


@pytest.mark.skipif(shutil.which("git") is None, reason="git builds the long history")
def test_an_interrupted_parallel_index_keeps_its_work(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _fast_import(repo)
    # On a loaded machine the run can end between the check and the signal: then it is
    # tried again on a fresh index (the interrupt, when it lands, is what is tested).
    for attempt in range(3):
        index = tmp_path / f"index{attempt}.sqlite3"
        child, seen = _interrupted(repo, index)
        _, err = child.communicate(timeout=120)
        if child.returncode != 0:
            break
        assert not err, err
    assert child.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("interrupted: ")
    assert f"of {COMMITS:,} new commits stored" in lines[0]
    assert commits_in_index(index) >= seen  # nothing stored or kept was lost
    # The next run carries on and ends where an uninterrupted one does.
    with loopintel.open(repo, index_path=index) as indexed:
        assert indexed.commit_count() == COMMITS
    assert sqlite3.connect(index).execute("SELECT count(*) FROM staged").fetchone()[0] == 0
    whole = tmp_path / "whole.sqlite3"
    loopintel.open(repo, index_path=whole, workers=1).close()
    assert _export(index, repo) == _export(whole, repo)
