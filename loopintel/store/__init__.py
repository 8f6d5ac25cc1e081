"""The index: one SQLite file per repository, and every SQL statement loopintel runs.

Nothing outside this package writes SQL. Questions come in as frozen values
(:class:`ChangeQuery`) or plain arguments; answers go out as model values built from
named columns, or as numpy columns (:class:`ChangeColumns`) for analyses. The tables are
in two groups (:mod:`loopintel.store.schema`): those rebuilt from git, and those holding
what users brought, migrated and never dropped.
"""

from loopintel.store.columns import ChangeColumns
from loopintel.store.coverage import (
    CoverageFile,
    CoverageFunction,
    SnapshotHeader,
    decode_lines,
    encode_lines,
)
from loopintel.store.database import INDEX_ENV, Store, default_index_path
from loopintel.store.functions import Name, OwnershipRow
from loopintel.store.ownership import OwnershipColumns
from loopintel.store.queries import ChangeOrder, ChangeQuery
from loopintel.store.schema import SCHEMA_VERSION

__all__ = [
    "INDEX_ENV",
    "SCHEMA_VERSION",
    "ChangeColumns",
    "ChangeOrder",
    "ChangeQuery",
    "CoverageFile",
    "CoverageFunction",
    "Name",
    "OwnershipColumns",
    "OwnershipRow",
    "SnapshotHeader",
    "Store",
    "decode_lines",
    "default_index_path",
    "encode_lines",
]
