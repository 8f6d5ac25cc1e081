"""Readers of data from outside git (coverage files, incident exports, tracebacks).

The registry of their formats is :mod:`loopintel.sources.formats`.

Every reader module is imported here, so :data:`loopintel.sources.formats.REGISTRY`
lists every format whenever any part of this package is used. Formats are sniffed in
the order registered, so every vendor's format (GitHub, Jira, PagerDuty, Sentry) is
imported before loopintel's own (records), whose sniffer is the most general; the
traceback format's sniffer refuses JSON and CSV, so its place does not matter.
"""

from loopintel.sources import coverage as _coverage  # noqa: F401 - registers its formats
from loopintel.sources import github as _github  # noqa: F401 - registers its formats
from loopintel.sources import incidents as _incidents  # noqa: F401 - the incident kind
from loopintel.sources import jira as _jira  # noqa: F401 - registers its format
from loopintel.sources import pagerduty as _pagerduty  # noqa: F401 - registers its formats
from loopintel.sources import sentry as _sentry  # noqa: F401 - registers its format
from loopintel.sources import traceback as _traceback  # noqa: F401 - registers its format

# isort: split
# Last: loopintel's own formats recognise any JSON with incident-like keys.
from loopintel.sources import records as _records  # noqa: F401 - registers its formats
