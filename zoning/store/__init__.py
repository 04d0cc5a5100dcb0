"""The persistent store: one SQL database for everything the app keeps.

:mod:`zoning.store.schema` describes the tables; :mod:`zoning.store.access` holds
:class:`Store`, through which every other layer reads and writes them. Callers import from
here: ``from zoning.store import Store, StoreError``.
"""

from zoning.store.access import (
    DEFAULT_PATH,
    DISPLAY_TOLERANCE,
    ENV_VAR,
    Snapshot,
    Store,
    StoreError,
    Transaction,
    default_url,
)

# Tables that tests reach into to stage a broken or hostile store; no layer above uses them.
from zoning.store.schema import regions, snapshots, uploads

__all__ = [
    "DEFAULT_PATH",
    "DISPLAY_TOLERANCE",
    "ENV_VAR",
    "Snapshot",
    "Store",
    "StoreError",
    "Transaction",
    "default_url",
    "regions",
    "snapshots",
    "uploads",
]
