"""The history behind ``tests/data/index-schema-2.sql``: an index of an older loopintel.

``python tests/old_index.py OUT.sql``, run with an older loopintel on the path, builds
this history, indexes it, imports :data:`LCOV` and dumps the index as SQL. The test of
migrations builds the same history (the builder's commits are deterministic), loads the
dump and opens it with the loopintel under test.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

if __name__ == "__main__":
    # After the path given, so that the older loopintel is the one imported.
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from tests.conftest import RepoBuilder

SCHEMA = 2
"""The schema version of the dumped index."""

LCOV = """SF:app.py
DA:2,1
DA:6,0
DA:7,0
end_of_record
"""
"""Coverage of the last commit's ``app.py``: ``serve`` ran, ``stop`` did not."""


def build(builder: RepoBuilder) -> list[str]:
    """Three commits: two functions, then one of them renamed. Returns the shas."""
    return [
        builder.commit({"app.py": "def serve(port):\n    return port\n"}),
        builder.commit(
            {
                "app.py": "def serve(port):\n    return port\n\n\ndef halt():\n    x = 1\n    return x\n"
            }
        ),
        builder.commit(
            {
                "app.py": "def serve(port):\n    return port\n\n\ndef stop():\n    x = 1\n    return x\n"
            }
        ),
    ]


def main(out: Path) -> None:
    import loopintel  # noqa: PLC0415 - the older loopintel, from the path given

    with tempfile.TemporaryDirectory() as tmp:
        builder = RepoBuilder(Path(tmp) / "repo")
        build(builder)
        index = Path(tmp) / "index.sqlite3"
        coverage = Path(tmp) / "coverage.lcov"
        coverage.write_text(LCOV)
        with loopintel.open(builder.path, index_path=index) as repo:
            repo.import_coverage(coverage)
        db = sqlite3.connect(index)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA, version
        lines = list(db.iterdump())
        db.close()
    text = "\n".join(lines) + f"\nPRAGMA user_version={SCHEMA};\n"
    out.write_text(text.replace(tmp, "/tmp/old-index"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
