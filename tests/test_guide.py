"""The guide (docs/guide.md) runs on flask's real history, as it says.

Behind the corpus marker: it indexes the flask bundle.
"""

from __future__ import annotations

import doctest
import shlex
from typing import TYPE_CHECKING

import pytest

from tests.cli_runner import run_cli
from tests.conftest import corpus_repo
from tests.test_docs import DOCS, blocks

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.corpus

GUIDE = DOCS / "guide.md"


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clone = corpus_repo("flask", tmp_path_factory)
    # The guide opens "flask", as a reader's clone is called.
    return clone.rename(clone.parent / "flask")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index for the module: the examples index flask, the commands reuse it."""
    return tmp_path_factory.mktemp("guide") / "index.sqlite3"


def test_guide_examples_run(flask: Path, index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(flask.parent)
    monkeypatch.setenv("LOOPINTEL_INDEX", str(index))
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    test = parser.get_doctest("\n".join(blocks(GUIDE, "pycon")), {}, "guide", str(GUIDE), 0)
    runner.run(test)
    assert runner.tries > 10
    assert runner.failures == 0, f"{runner.failures} failing examples in the guide"


def test_guide_commands_run(flask: Path, index: Path) -> None:
    env = {"LOOPINTEL_INDEX": str(index)}
    commands = [
        line[2:]
        for body in blocks(GUIDE, "console")
        for line in body.splitlines()
        if line.startswith("$ loopintel")
    ]
    assert commands
    for command in commands:
        argv = shlex.split(command)
        result = run_cli(*argv[1:], cwd=flask, env=env, check=False)
        assert result.exit_code == 0, f"{command}: {result.stderr}"
        assert result.stdout.strip(), command
