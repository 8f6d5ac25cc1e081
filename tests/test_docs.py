"""The docs are tested: examples run, commands work, every command is documented.

Every ``pycon`` block of ``docs/*.md`` runs as a doctest, and every ``$ loopintel``
line of a ``console`` block runs for real, in a demo repository built here (the
history the docs describe).
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import click
import pytest

from loopintel.cli import main
from tests.cli_runner import run_cli
from tests.conftest import RepoBuilder

DOCS = Path(__file__).resolve().parent.parent / "docs"
ON_FLASK = ("guide.md", "responders.md")
"""Pages whose examples run on flask's history (tests/test_guide.py, test_responders.py)."""
PAGES = sorted(
    p
    for p in DOCS.glob("*.md")
    if p.name not in ("benchmarks.md", "context-benchmarks.md", *ON_FLASK)
)
"""Pages whose examples run on the demo history."""
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def demo_history(path: Path) -> RepoBuilder:
    """The history the docs' examples describe."""
    builder = RepoBuilder(path)
    builder.commit(
        {
            "app.py": """
            def create_app(config=None):
                app = {"config": config or {}}
                return app


            class Service:
                def start(self):
                    return "started"
            """,
        },
        "Add the app factory",
        author=("Ann", "ann@example.com"),
    )
    builder.commit(
        {
            "app.py": """
            def create_app(config=None, *, debug=False):
                app = {"config": config or {}, "debug": debug}
                return app


            class Service:
                def run(self):
                    return "started"
            """,
        },
        "Debug flag; Service.start is now run",
        author=("Bob", "bob@example.com"),
    )
    builder.commit(
        {
            "app.py": """
            class Service:
                def run(self):
                    return "started"
            """,
            "factory.py": """
            def create_app(config=None, *, debug=False):
                app = {"config": config or {}, "debug": debug}
                return app
            """,
        },
        "Move the factory to its own module",
        author=("Ann", "ann@example.com"),
    )
    return builder


DEMO_LCOV = """\
SF:app.py
DA:1,1
DA:2,1
DA:3,0
end_of_record
SF:factory.py
DA:1,1
DA:2,1
DA:3,1
end_of_record
"""
"""Coverage of the demo's head, as a test run would report it (LCOV)."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "demo"
    demo_history(path)
    (path / "coverage.lcov").write_text(DEMO_LCOV)
    return path


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(page.read_text()) if lang == language]


WITH_EXAMPLES = [p for p in PAGES if "```pycon" in p.read_text()]


def test_the_user_guide_has_examples() -> None:
    assert {p.name for p in WITH_EXAMPLES} >= {"indexing.md", "changes.md", "skipped.md"}


@pytest.mark.parametrize("page", WITH_EXAMPLES, ids=lambda p: p.name)
def test_examples_run(
    page: Path, demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = blocks(page, "pycon")
    monkeypatch.chdir(demo)
    monkeypatch.setenv("LOOPINTEL_INDEX", str(tmp_path / "index.sqlite3"))
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    # One session per page: later blocks use what earlier ones defined.
    test = parser.get_doctest("\n".join(examples), {}, page.name, str(page), 0)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing examples in {page.name}"


def test_console_commands_run(demo: Path, tmp_path: Path) -> None:
    env = {"LOOPINTEL_INDEX": str(tmp_path / "docs.sqlite3")}
    commands = [
        line[2:]
        for page in PAGES
        for body in blocks(page, "console")
        for line in body.splitlines()
        if line.startswith("$ loopintel")
    ]
    assert commands
    for command in commands:
        argv = shlex.split(command.split(" #")[0].split(" >")[0].split(" |")[0])
        assert argv[0] == "loopintel"
        result = run_cli(*argv[1:], cwd=demo, env=env, check=False)
        assert result.exit_code == 0, f"{command}: {result.stderr}"


def test_every_command_and_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    assert isinstance(main, click.Group)
    commands: list[tuple[str, click.Command]] = list(main.commands.items())
    while commands:
        name, command = commands.pop()
        assert f"loopintel {name}" in text, f"command {name} is not in docs/cli.md"
        if isinstance(command, click.Group):
            commands.extend((f"{name} {sub}", c) for sub, c in command.commands.items())
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in text for opt in param.opts), f"{name} {param.opts} undocumented"
