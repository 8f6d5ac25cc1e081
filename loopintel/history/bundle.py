"""A repository's history as one file (``git bundle``), and a clone made from one.

Workers that cannot see the repository's path (a cluster without a shared filesystem)
get its history as a bundle: the indexing process writes it with ``git bundle create``,
each worker clones it once with ``git clone --bare``. Both run git itself (libgit2 has
no bundles); a clone holds the same objects, so what is extracted from it is the same.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from loopintel.errors import RepositoryError

if TYPE_CHECKING:
    import os

__all__ = ["clone_bundle", "create_bundle"]


def _git() -> str:
    executable = shutil.which("git")
    if executable is None:
        raise RepositoryError(
            "shipping a repository to workers as a bundle runs git, which is not installed"
        )
    return executable


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}"
        raise RepositoryError(f"{what}: git says: {message}")


def create_bundle(git_dir: str, ref: str, destination: str | os.PathLike[str]) -> Path:
    """Write the history of ``ref`` (every commit it reaches) to a bundle file.

    Args:
        git_dir: the repository's git directory.
        ref: a branch, a tag or ``HEAD`` (a bundle names refs, not bare commit ids).
        destination: the bundle file to write.

    Returns:
        The bundle's path.

    Raises:
        RepositoryError: git is not installed, or could not write the bundle (git's
            message is quoted).

    """
    path = Path(destination)
    _run(
        [_git(), "--git-dir", git_dir, "bundle", "create", "--quiet", str(path), ref],
        f"cannot bundle {ref!r} of {git_dir}",
    )
    return path


def clone_bundle(bundle: str | os.PathLike[str], destination: str | os.PathLike[str]) -> Path:
    """Clone a bundle into a bare repository at ``destination`` (made whole or not at all).

    Returns:
        The clone's git directory.

    Raises:
        RepositoryError: git is not installed, or the clone failed.

    """
    target = Path(destination)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Cloned beside the target, then renamed: a clone cut short is never taken for one.
    scratch = tempfile.mkdtemp(prefix=".clone-", dir=target.parent)
    try:
        _run(
            [_git(), "clone", "--bare", "--quiet", str(bundle), scratch],
            f"cannot clone the bundle {bundle}",
        )
        try:
            Path(scratch).rename(target)
        except OSError:
            if not target.exists():  # else another process made the same clone first
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
