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

import contextlib
import dataclasses
import json
import logging
import os
import struct
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping

import numpy as np
import pandas as pd

from zoning.store import Store

#: Two shelves: whole levels (counts, metrics, geometry: few and costly) and views (one
#: day's zones: many and cheap), so moving the date slider never pushes a level out. Each
#: entry is ``(value, the buffers it holds)`` (:func:`buffers`; views only).
_SHELVES: dict[str, OrderedDict[Hashable, tuple[object, dict[int, int]]]] = {
    "level": OrderedDict(),
    "view": OrderedDict(),
}
_SHELF_SIZE = {"level": 96, "view": 256}
#: The views' shelf also holds at most this many megabytes (:data:`VIEW_MB_ENV` sets it), a
#: buffer shared by several values counted once: a day of a national village map's views is
#: about 30 MB, so a count of entries alone let a few date steps at that level fill the
#: server's memory; 192 MB holds the day shown and the four :mod:`zoning.render.firstview`
#: prefetches. The level shelf is bounded by its count (levels x schemes).
VIEW_MB = 192
VIEW_MB_ENV = "ZONING_VIEW_CACHE_MB"
_LOCK = threading.Lock()
_BUILDING: dict[Hashable, threading.Lock] = {}
#: Keys of values built ahead of anyone asking (:func:`speculative`), not yet asked for, with
#: their rank: the first to go when a shelf is full, the lowest rank first and, within a
#: rank, the oldest. A guess just made is kept, like any newest value: it pushes out the
#: least recently used view only when no other guess is left to drop.
_GUESSED: dict[Hashable, int] = {}
_GUESSING = threading.local()
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


@contextlib.contextmanager
def speculative(rank: int = -1) -> Iterator[None]:
    """Values this thread builds inside are guesses (the days a date step may reach).

    A guess of ``rank`` 0 is as likely to be asked for as what someone looked at last (the
    next day's view when days are stepped through): it is kept by recency like a view
    someone asked for. Below 0, when a shelf is full, guesses are dropped before anything
    someone asked for, the lowest ``rank`` (least likely) first, then the older ones."""
    _GUESSING.on, _GUESSING.rank = True, rank
    try:
        yield
    finally:
        _GUESSING.on = False


def cached(key: Hashable, build: Callable[[], object], shelf: str = "level") -> object:
    """A small process-wide LRU cache for values keyed by :func:`key`.

    A value is built once even when several sessions ask for it at the same moment: the
    later callers wait for the first one's result. ``shelf`` is ``"level"`` for whole
    levels and ``"view"`` for one view's values.
    """
    cache = _SHELVES[shelf]
    guess = getattr(_GUESSING, "on", False)
    with _LOCK:
        if key in cache:
            cache.move_to_end(key)
            if not guess:
                _GUESSED.pop(key, None)  # a guess someone asked for: kept as theirs
            return cache[key][0]
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:
        with _LOCK:
            if key in cache:
                if not guess:
                    _GUESSED.pop(key, None)
                return cache[key][0]
        _announce("build", str(key[2]) if isinstance(key, tuple) and len(key) > 2 else str(key))
        value = build()
        held = buffers(value) if shelf == "view" else {}
        with _LOCK:
            cache[key] = (value, held)
            rank = getattr(_GUESSING, "rank", -1) if guess else 0
            if rank < 0:
                _GUESSED[key] = rank
            else:
                _GUESSED.pop(key, None)
            _BUILDING.pop(key, None)
            _evict(cache, _SHELF_SIZE[shelf], view_budget() if shelf == "view" else None)
    return value


def _evict(cache: OrderedDict, entries: int, budget: int | None) -> None:
    """Drop the least recently used entries beyond ``entries``, or while the buffers the
    shelf holds (each counted once, however many entries share it) pass ``budget`` bytes;
    never the newest entry (a value larger than the budget stays until the next comes),
    unless it is a guess and a likelier guess would go instead."""
    counts: dict[int, int] = {}
    sizes: dict[int, int] = {}
    if budget is not None:
        for _, held in cache.values():
            for address, size in held.items():
                counts[address] = counts.get(address, 0) + 1
                sizes[address] = size
    total = sum(sizes.values())
    newest = next(reversed(cache), None)
    # guesses first (the lowest rank first, the oldest first within a rank), then the least
    # recently asked for; a guess just made goes only to keep a likelier one
    order = sorted((k for k in cache if k in _GUESSED), key=_GUESSED.get)
    if newest in _GUESSED and not any(_GUESSED[k] > _GUESSED[newest] for k in order):
        order.remove(newest)
    order += [k for k in cache if k not in _GUESSED]
    for k in order:
        if not (len(cache) > entries or (budget is not None and total > budget)):
            break
        if len(cache) <= 1:
            break
        _, held = cache.pop(k)
        _GUESSED.pop(k, None)
        for address in held if budget is not None else ():
            counts[address] -= 1
            if not counts[address]:
                total -= sizes[address]


def view_budget() -> int:
    """The views' shelf's bound in bytes: :data:`VIEW_MB`, or the megabytes in
    :data:`VIEW_MB_ENV`."""
    raw = os.environ.get(VIEW_MB_ENV, "").strip()
    return (int(raw) if raw.isdigit() else VIEW_MB) * 2**20


def buffers(value: object) -> dict[int, int]:
    """The memory ``value`` holds, as ``{address: bytes}`` of its buffers: the arrays behind
    frames, series and indexes (NumPy blocks, Arrow buffers; object columns by their
    pointers, their text being mostly shared), arrays, and what dicts, lists, tuples and
    dataclasses hold (a long list is counted from its first elements). Two values that share
    a buffer (a shallow copy, copy on write) name it with the same address."""
    out: dict[int, int] = {}
    _buffers(value, out)
    return out


def nbytes(value: object) -> int:
    """About how many bytes ``value`` holds, each buffer once (:func:`buffers`)."""
    return sum(buffers(value).values())


def _buffers(value: object, out: dict[int, int]) -> None:
    if isinstance(value, pd.DataFrame):
        for i in range(value.shape[1]):
            _buffers(value.iloc[:, i], out)
        _buffers(value.index, out)
    elif isinstance(value, pd.RangeIndex):
        out[id(value)] = 128
    elif isinstance(value, pd.Series | pd.Index):
        array = value.array
        if hasattr(array, "__arrow_array__") and not isinstance(value.dtype, np.dtype):
            for chunk in array.__arrow_array__().chunks:
                for buffer in chunk.buffers():
                    if buffer is not None:
                        out[buffer.address] = buffer.size
        elif isinstance(value.dtype, np.dtype):
            _buffers(value.to_numpy(), out)  # a view of the frame's block, not a copy
        else:
            out[id(array)] = int(value.memory_usage(deep=False))
    elif isinstance(value, np.ndarray):
        root = value
        while isinstance(root.base, np.ndarray):
            root = root.base
        out[root.__array_interface__["data"][0]] = root.nbytes
    elif isinstance(value, bytes | bytearray | str):
        out[id(value)] = len(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _buffers(item, out)
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if len(items) > _SAMPLE:  # e.g. a map's zone per region: counted from a sample
            sample = sum(nbytes(v) for v in items[:_SAMPLE])
            out[id(value)] = 8 * len(items) + sample * len(items) // _SAMPLE
        else:
            for item in items:
                _buffers(item, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _buffers(getattr(value, field.name), out)
    else:
        out[id(value)] = sys.getsizeof(value)


_SAMPLE = 64


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
