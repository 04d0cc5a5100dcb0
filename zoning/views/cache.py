"""The cache of views: one key function and one LRU, for every view of the store.

A view's value depends on the store it reads, the store's ``data_version`` (which goes up
with every committed change, so new data is seen at once), the view's name and its
arguments. :func:`key` writes that key, the same way for every view; a day is always keyed
by its calendar date (:func:`day_key`), so ``2021-07-18``, ``2021-07-18 00:00`` and a
``datetime.date`` share one entry. :func:`cached` builds a value once per key, even when
several sessions ask at the same moment.

Some values are *kept* in the store as well (:func:`kept`): a level's counts and metrics and
its map geometry, what the first map of a level needs. The import that changes the data
builds them (:func:`zoning.render.firstview.prepare`), so a server started afterwards loads
them instead of building them (``bench/map.py``, "first map, new server"). Every build and
every load is announced to the functions in :data:`HOOKS` (tests count builds with them).
"""

from __future__ import annotations

import json
import logging
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

import numpy as np
import pandas as pd

from zoning.store import Store

#: Two shelves: whole levels (counts, metrics, geometry: few and costly) and views (one
#: day's zones: many and cheap), so moving the date slider never pushes a level out.
_SHELVES: dict[str, OrderedDict[Hashable, object]] = {"level": OrderedDict(), "view": OrderedDict()}
_SHELF_SIZE = {"level": 96, "view": 256}
_LOCK = threading.Lock()
_BUILDING: dict[Hashable, threading.Lock] = {}
#: Called as ``hook(event, name)``: ``"build"`` when :func:`cached` makes a value it does not
#: hold (``name``: the key's view name), and for values kept in the store (:func:`kept`,
#: ``name``: the snapshot's name) ``"load"`` when it was read from the store, ``"keep"``
#: when it had to be built from the data (and was then kept).
HOOKS: list[Callable[[str, str], None]] = []


def _announce(event: str, name: str) -> None:
    for hook in list(HOOKS):
        hook(event, name)


def day_key(day: object) -> str:
    """A day as it is keyed: its calendar date in ISO form (``2021-07-18``)."""
    return pd.Timestamp(day).date().isoformat()


def key(
    store: Store, name: str, *parts: Hashable, day: object = None, decided: bool = False
) -> tuple:
    """The cache key of view ``name`` of ``store`` with ``parts`` (and ``day``):
    ``(store url, data version, name, *parts[, day key])``, at the store's current data
    version.

    ``decided``: the view shows analysts' decisions on zones (:mod:`zoning.views.decisions`),
    which are not data (keeping one leaves the data version alone): the key then also holds
    the newest decision's id and whether unconfirmed zones are public, so a decision shows
    on every screen at once.
    """
    out = (store.url, store.data_version(), name, *parts)
    if decided:
        from zoning.views.decisions import unconfirmed_public  # it reads views through here

        out = (*out, ("decisions", store.decisions_mark(), unconfirmed_public()))
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
        _announce("build", str(key[2]) if isinstance(key, tuple) and len(key) > 2 else str(key))
        value = build()
        with _LOCK:
            cache[key] = value
            _BUILDING.pop(key, None)
            while len(cache) > _SHELF_SIZE[shelf]:
                cache.popitem(last=False)
    return value


# --- values kept in the store ------------------------------------------------------------------
def kept(
    store: Store,
    name: str,
    version: int,
    build: Callable[[], object],
    dump: Callable[[object], bytes],
    load: Callable[[bytes], object],
) -> object:
    """The value of snapshot ``name`` made at data ``version``, else ``build()``, kept.

    Used inside :func:`cached`'s builds for what a new server should not have to build:
    a snapshot of this data version is loaded (``dump``/``load`` write and read it, never
    with pickle); otherwise the value is built and kept for the next process. A snapshot
    that cannot be read is built again (it is only a cache).
    """
    saved = store.snapshot(name)
    if saved is not None and saved.data_version == version:
        try:
            value = load(saved.payload)
        except (ValueError, KeyError, OSError, struct.error):
            logging.getLogger("zoning").warning("snapshot %s unreadable, rebuilding", name)
        else:
            _announce("load", name)
            return value
    _announce("keep", name)
    value = build()
    store.save_snapshot(name, version, dump(value))
    return value


_PACK_MAGIC = b"ZPK1"


def pack(meta: Mapping[str, object], arrays: Mapping[str, np.ndarray]) -> bytes:
    """JSON ``meta`` and named numeric or boolean arrays as bytes, for :func:`unpack`.

    ``ZPK1 | uint32 header length | header (JSON) | zstd(level 1) of the arrays' bytes``:
    a village level's 80 MB of arrays keep as ~5 MB and read back in well under 0.1 s (zlib
    took three times as long). No pickle: a snapshot is data, never code.
    """
    import pyarrow as pa

    layout, parts, offset = [], [], 0
    for key, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.kind not in "biufM":
            raise ValueError(f"array {key!r}: dtype {array.dtype} cannot be kept")
        layout.append([key, array.dtype.str, list(array.shape), offset])
        parts.append(array.tobytes())
        offset += array.nbytes
    raw = b"".join(parts)
    head = json.dumps({"meta": meta, "arrays": layout, "size": len(raw)}).encode()
    body = pa.Codec("zstd", compression_level=1).compress(raw, asbytes=True)
    return _PACK_MAGIC + struct.pack("<I", len(head)) + head + body


def unpack(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """Read back :func:`pack`: ``(meta, arrays)``; the arrays are read-only views of one
    buffer (a copy would double the time), as cached values are shared: never changed."""
    import pyarrow as pa

    if data[:4] != _PACK_MAGIC:
        raise ValueError("not a packed snapshot")
    (size,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + size].decode())
    codec = pa.Codec("zstd")
    raw = codec.decompress(data[8 + size :], decompressed_size=header["size"])
    arrays = {}
    for key, dtype, shape, offset in header["arrays"]:
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape)
        array.flags.writeable = False
        arrays[key] = array
    return header["meta"], arrays
