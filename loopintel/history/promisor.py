"""Missing blobs of a partial clone, fetched from its promisor remote by git itself.

libgit2 (and so pygit2) reads only what the object database holds: unlike git, it does
not fetch a partial clone's missing objects on demand. loopintel asks git for them the
way git's own on-demand fetch does, ``git fetch <remote> ... --stdin`` fed object ids,
a batch of ids per process, never a process per object.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from loopintel.errors import RepositoryError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["FETCH_BATCH", "fetch_blobs"]

FETCH_BATCH = 5000
"""Object ids per ``git fetch`` (git sends them in one request; a batch bounds that)."""


def _git_command(git_dir: str, remote: str) -> list[str] | None:
    """The fetch git runs for missing objects of a partial clone (``None``: no git)."""
    executable = shutil.which("git")
    if executable is None:
        return None
    return [
        executable,
        "--git-dir",
        git_dir,
        # No "have" lines: the wanted objects are named exactly (as git's own lazy
        # fetch does it), so negotiating a common history is wasted time.
        "-c",
        "fetch.negotiationAlgorithm=noop",
        "fetch",
        remote,
        "--no-tags",
        "--no-write-fetch-head",
        "--recurse-submodules=no",
        # The promisor's filter again: the ids asked for come, nothing they reach.
        "--filter=blob:none",
        "--stdin",
    ]


def fetch_blobs(
    git_dir: str,
    remote: str,
    oids: Sequence[str],
    *,
    batch: int | None = None,
) -> None:
    """Fetch objects by id from a partial clone's promisor remote.

    Args:
        git_dir: the repository's git directory.
        remote: the promisor remote's name.
        oids: the ids of the objects to fetch.
        batch: object ids per git process (default :data:`FETCH_BATCH`).

    Raises:
        RepositoryError: git is not installed, or a fetch failed (git's message
            is quoted).

    """
    if not oids:
        return
    command = _git_command(git_dir, remote)
    if command is None:
        raise RepositoryError(
            f"cannot fetch the {len(oids):,} missing objects of {git_dir} from its "
            f"promisor remote {remote!r}: git is not installed (fetching missing objects "
            "runs `git fetch`); install git, or index without fetching them"
        )
    size = batch or FETCH_BATCH
    for start in range(0, len(oids), size):
        chunk = oids[start : start + size]
        result = subprocess.run(  # noqa: S603 - a fixed command line; ids go on stdin
            command,
            input="".join(f"{oid}\n" for oid in chunk),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            detail = lines[-1] if lines else f"exit status {result.returncode}"
            raise RepositoryError(
                f"fetching {len(chunk):,} missing objects of {git_dir} from its promisor "
                f"remote {remote!r} failed: {detail}; index without fetching them to "
                "skip what is missing"
            )
