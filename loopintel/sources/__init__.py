"""Readers of data from outside git (coverage files), and the registry of their formats.

Every reader module is imported here, so :data:`loopintel.sources.formats.REGISTRY`
lists every format whenever any part of this package is used.
"""

from loopintel.sources import coverage as _coverage  # noqa: F401 - registers its formats
