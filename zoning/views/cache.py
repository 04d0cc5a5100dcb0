"""The cache of views: one key function and one LRU, for every view of the store.

A view's value depends on the store it reads, the store's ``data_version`` (which goes up
with every committed change, so new data is seen at once), the view's name and its
arguments. :func:`key` writes that key, the same way for every view; a day is always keyed
by its calendar date (:func:`day_key`), so ``2021-07-18``, ``2021-07-18 00:00`` and a
``datetime.date`` share one entry. :func:`cached` builds a value once per key, even when
several sessions ask at the same moment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd

from zoning.store import Store

#: Two shelves: whole levels (counts, metrics, geometry: few and costly) and views (one
#: day's zones: many and cheap), so moving the date slider never pushes a level out.
_SHELVES: dict[str, OrderedDict[Hashable, object]] = {"level": OrderedDict(), "view": OrderedDict()}
_SHELF_SIZE = {"level": 96, "view": 256}
_LOCK = threading.Lock()
_BUILDING: dict[Hashable, threading.Lock] = {}


def day_key(day: object) -> str:
    """A day as it is keyed: its calendar date in ISO form (``2021-07-18``)."""
    return pd.Timestamp(day).date().isoformat()


def key(store: Store, name: str, *parts: Hashable, day: object = None) -> tuple:
    """The cache key of view ``name`` of ``store`` with ``parts`` (and ``day``):
    ``(store url, data version, name, *parts[, day key])``, at the store's current data
    version."""
    out = (store.url, store.data_version(), name, *parts)
    return out if day is None else (*out, day_key(day))


def cached(key: Hashable, build: Callable[[], object], shelf: str = "level") -> object:
    """A small process-wide LRU cache for values keyed by :func:`key`.

    A value is built once even when several sessions ask for it at the same moment: the
    later callers wait for the first one's result. ``shelf`` is ``"level"`` for whole
    levels and ``"view"`` for one view's values.
    """
    cache = _SHELVES[shelf]
    with _LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _LOCK:
            if key in cache:
                return cache[key]
        value = build()
        with _LOCK:
            cache[key] = value
            _BUILDING.pop(key, None)
            while len(cache) > _SHELF_SIZE[shelf]:
                cache.popitem(last=False)
    return value
