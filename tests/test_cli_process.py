"""The ``loopintel`` command as a real process: what an in-process run cannot show.

The exit status the shell sees, the encoding of stdout in a pipe, a reader that closes
the pipe early, and worker processes started from the command. Everything else about
the command line is tested in-process (``tests/cli_runner.py``); these start
``python -m loopintel``, which costs a second or two each, so they stay few.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

import loopintel
from loopintel.indexing import PARALLEL_THRESHOLD
from tests.conftest import RepoBuilder

if TYPE_CHECKING:
    from pathlib import Path

AUTHOR = ("Zoë Ñandú", "zoe@example.com")
"""An author whose name is not ASCII."""


def loopintel_process(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m loopintel ARGS...`` to the end; stdout and stderr as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "loopintel", *args],
        capture_output=True,
        check=False,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[RepoBuilder, Path]:
    """Enough commits for the command to start workers, non-ASCII names first.

    Returns the builder and an index of it made in this process with no workers.
    """
    builder = RepoBuilder(tmp_path_factory.mktemp("process") / "repo")
    builder.commit({"paket/größe.py": "def grüße(name):\n    return name\n"}, author=AUTHOR)
    for i in range(PARALLEL_THRESHOLD):
        body = "".join(
            f"def f{j}(x):\n    return x + {i if j == i % 5 else j}\n\n\n" for j in range(5)
        )
        last = i == PARALLEL_THRESHOLD - 1  # the branch is moved once, at the end
        builder.commit(
            {f"mod{i % 7}.py": body}, f"commit {i}", ref="refs/heads/main" if last else None
        )
    index = tmp_path_factory.mktemp("process") / "serial.sqlite3"
    loopintel.open(builder.path, index_path=index, workers=1).close()
    return builder, index


def test_exit_status_is_1_for_a_loopintel_error_and_2_for_usage(tmp_path: Path) -> None:
    error = loopintel_process("index", str(tmp_path / "nowhere"))
    assert error.returncode == 1
    assert error.stderr.startswith(b"error: ")
    assert b"Traceback" not in error.stderr
    usage = loopintel_process("changes", str(tmp_path), "--format", "xml")
    assert usage.returncode == 2
    assert b"Usage: " in usage.stderr
    assert b"Traceback" not in usage.stderr


def test_names_reach_a_pipe_as_utf8_in_the_plainest_locale(
    history: tuple[RepoBuilder, Path],
) -> None:
    builder, index = history
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8")}
    env |= {"LC_ALL": "C", "LANG": "C"}
    shown = loopintel_process(
        "history", "grüße", str(builder.path), "--index-path", str(index), "--no-update", env=env
    )
    assert shown.returncode == 0, shown.stderr.decode(errors="replace")
    (line,) = shown.stdout.decode("utf-8").splitlines()
    assert "Zoë Ñandú" in line
    assert line.endswith("paket/größe.py::grüße")


def test_a_reader_that_stops_early_ends_the_command_quietly(
    history: tuple[RepoBuilder, Path],
) -> None:
    """``loopintel changes | head -1``: no traceback, no "Exception ignored" on stderr."""
    builder, index = history
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "loopintel", "changes", str(builder.path)),
            *("--index-path", str(index), "--no-update"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    first = json.loads(child.stdout.readline())
    child.stdout.close()  # hundreds of records are still to come: far more than a pipe holds
    errors = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=60) == 0  # a reader that stopped is no error (as for git log)
    assert first["qualname"] == "grüße"
    assert errors == b""


def test_workers_started_by_the_command_give_the_serial_index(
    history: tuple[RepoBuilder, Path], tmp_path: Path
) -> None:
    builder, serial = history
    index = tmp_path / "workers.sqlite3"
    ran = loopintel_process(
        "index", str(builder.path), "--index-path", str(index), "--workers", "2", "--json"
    )
    assert ran.returncode == 0, ran.stderr.decode(errors="replace")
    assert json.loads(ran.stdout)["commits_indexed"] == PARALLEL_THRESHOLD + 1
    with (
        loopintel.open(builder.path, index_path=index, update=False) as parallel,
        loopintel.open(builder.path, index_path=serial, update=False) as expected,
    ):
        assert [c.to_dict() for c in parallel.changes()] == [
            c.to_dict() for c in expected.changes()
        ]
        assert parallel.functions() == expected.functions()
