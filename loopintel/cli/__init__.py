"""The ``loopintel`` command: a thin shell over the public API.

Each module adds its commands to :func:`main` when imported: indexing, of one
repository or many, locally or on a Dask cluster (:mod:`~loopintel.cli.indexing`), the
history (:mod:`~loopintel.cli.history`), people and functions (:mod:`~loopintel.cli.people`),
coverage (:mod:`~loopintel.cli.coverage`), incidents and context
(:mod:`~loopintel.cli.incidents`), hotspots (:mod:`~loopintel.cli.signals`), trends
(:mod:`~loopintel.cli.trends`), change coupling (:mod:`~loopintel.cli.coupling`), clusters,
recurrences and blast radius (:mod:`~loopintel.cli.graph`), knowledge risks
(:mod:`~loopintel.cli.risks`). Exit codes:
0 success, 1 a loopintel error (message on stderr), 2 a usage error, 130 interrupted.
"""

from loopintel.cli import coupling as _coupling  # noqa: F401 - registers its commands
from loopintel.cli import coverage as _coverage  # noqa: F401 - registers its commands
from loopintel.cli import graph as _graph  # noqa: F401 - registers its commands
from loopintel.cli import history as _history  # noqa: F401 - registers its commands
from loopintel.cli import incidents as _incidents  # noqa: F401 - registers its commands
from loopintel.cli import indexing as _indexing  # noqa: F401 - registers its commands
from loopintel.cli import people as _people  # noqa: F401 - registers its commands
from loopintel.cli import risks as _risks  # noqa: F401 - registers its commands
from loopintel.cli import signals as _signals  # noqa: F401 - registers its commands
from loopintel.cli import szz as _szz  # noqa: F401 - registers its commands
from loopintel.cli import trends as _trends  # noqa: F401 - registers its commands
from loopintel.cli.shell import main

__all__ = ["main"]
