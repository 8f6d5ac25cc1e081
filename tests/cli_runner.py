"""The ``loopintel`` command run in-process, for tests about what it prints and returns.

Starting ``python -m loopintel`` costs a second or two per run; most CLI tests are
about output and exit codes, not about the process, so they call ``loopintel.cli.main``
through click's ``CliRunner``. What only a real process shows (exit status of the
interpreter, stdout encoding in a pipe, a closed pipe, worker processes) is tested in
``tests/test_cli_process.py``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from click.testing import CliRunner

from loopintel.cli import main

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


@attrs.frozen
class CliRun:
    """What one run of the command gave back."""

    exit_code: int
    """0 for success, 1 for a loopintel error, 2 for a usage error."""
    stdout: str
    """Everything written to standard output."""
    stderr: str
    """Everything written to standard error."""


@contextlib.contextmanager
def _restored_process_state(cwd: Path | None) -> Iterator[None]:
    """Run in ``cwd`` and put back the directory, environment and warnings filters after.

    A real process cannot leak these into the next command; an in-process run could
    (``CliRunner`` restores only the variables it was given), so all three are saved.
    """
    before = Path.cwd()
    environ = dict(os.environ)
    with warnings.catch_warnings():
        try:
            if cwd is not None:
                os.chdir(cwd)
            yield
        finally:
            os.chdir(before)
            os.environ.clear()
            os.environ.update(environ)


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    stdin: str | None = None,
    check: bool = True,
) -> CliRun:
    """Run ``loopintel ARGS...`` in this process.

    Exceptions other than the exits the command means (``SystemExit``) propagate, so a
    crash fails the test with its traceback instead of hiding in a captured stderr.

    Args:
        *args: the command line after ``loopintel``.
        cwd: the directory to run in (restored after), else the current one.
        env: environment variables to set (``None`` unsets one) for this run only.
        stdin: text on standard input.
        check: require exit code 0 (the assertion shows stderr otherwise).

    Returns:
        The exit code and what the command wrote to stdout and stderr.

    """
    runner = CliRunner()
    with _restored_process_state(cwd):
        result = runner.invoke(
            main, list(args), input=stdin, env=env, catch_exceptions=False, prog_name="loopintel"
        )
    ran = CliRun(exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr)
    if check:
        assert ran.exit_code == 0, ran.stderr
    return ran
