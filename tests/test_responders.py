"""The responders' walkthrough (docs/responders.md) runs on flask's real history.

Behind the corpus marker: it indexes the flask bundle, and resolves a traceback that
flask 2.3.3 printed.
"""

from __future__ import annotations

import doctest
import shlex
import shutil
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.conftest import corpus_repo
from tests.test_docs import DOCS, blocks

pytestmark = pytest.mark.corpus

PAGE = DOCS / "responders.md"
CRASH = Path(__file__).parent / "data" / "tracebacks" / "flask-2.3.3-view-raises.txt"


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clone = corpus_repo("flask", tmp_path_factory)
    shutil.copy(CRASH, clone.parent / "crash.txt")
    return clone.rename(clone.parent / "flask")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("responders") / "index.sqlite3"


def test_walkthrough_examples_run(
    flask: Path, index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(flask.parent)
    monkeypatch.setenv("LOOPINTEL_INDEX", str(index))
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    test = parser.get_doctest("\n".join(blocks(PAGE, "pycon")), {}, "responders", str(PAGE), 0)
    runner.run(test)
    assert runner.tries > 10
    assert runner.failures == 0, f"{runner.failures} failing examples in the walkthrough"


def test_walkthrough_commands_run(flask: Path, index: Path) -> None:
    env = {"LOOPINTEL_INDEX": str(index)}
    commands = [
        line[2:]
        for body in blocks(PAGE, "console")
        for line in body.splitlines()
        if line.startswith("$ loopintel")
    ]
    assert len(commands) == 4
    for command in commands:
        result = run_cli(*shlex.split(command)[1:], cwd=flask.parent, env=env, check=False)
        assert result.exit_code == 0, f"{command}: {result.stderr}"
        assert result.stdout.strip(), command
    listed = run_cli("incidents", "list", "flask", cwd=flask.parent, env=env).stdout
    assert "traceback:" in listed
    assert "ZeroDivisionError" in listed
