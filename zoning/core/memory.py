"""Giving freed memory back to the operating system after a large build.

Building a national level (83,000 villages: geometry simplified, encoded and cut into tiles;
counts read into panels) allocates hundreds of megabytes of short-lived arrays and objects.
Python frees them, but glibc's allocator keeps most of the pages for later, so a server that
built a level once stays that large: measured on 83,402 villages, 600 MB after the geometry
where 270 MB are in use. :func:`give_back` returns those pages.

A server also sets glibc's threshold for mapping a block on its own
(:func:`return_large_blocks`): glibc raises it on its own up to 32 MB as large blocks are
freed, and then keeps the columns of a national level's per-day tables (83,402 rows, 0.7 MB
each) inside its heap, which sessions working at the same moment leave fragmented.

An import reads its file with pyarrow, whose default allocator (mimalloc) asks for memory
that the kernel hands out in huge pages, each zeroed whole when first touched: on this
project's 2-core virtual machine that zeroing was 42 % of the time of a script reading a
million-row line list and checking its NIKs, and 1.2-1.8 s of that list's import. Inside
:func:`arrow_system_allocator`, pyarrow allocates from the C library's allocator instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def give_back() -> bool:
    """Collect garbage and hand the allocator's free pages back to the system (glibc's
    ``malloc_trim``); return whether the allocator could be asked (not on musl, macOS or
    Windows, where this only collects garbage)."""
    gc.collect()
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


#: Blocks at least this large are mapped on their own, and given back when freed.
MMAP_THRESHOLD = 256 * 1024
_M_MMAP_THRESHOLD = -3  # glibc's mallopt option


def return_large_blocks() -> bool:
    """Fix glibc's ``M_MMAP_THRESHOLD`` at :data:`MMAP_THRESHOLD` for this process: blocks
    that large go back to the system when freed (ten sessions of the national map held 80 MB
    less in ``bench/map.py``). Return whether it was set: not where the allocator cannot be
    asked, nor when ``MALLOC_MMAP_THRESHOLD_`` is in the environment (the operator's choice
    stands)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


#: The environment variable by which an operator chooses pyarrow's allocator.
ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
_pool_lock = threading.Lock()
_pool_users = 0
_pool_before: list[object] = []


@contextmanager
def arrow_system_allocator() -> Iterator[bool]:
    """While inside, pyarrow allocates from the C library's allocator (its "system" pool)
    instead of its default one; yields whether it does.

    Measured on a million-row line list: reading and checking took 1.2 s instead of
    2.6-2.9 s, with 0.1 s instead of 1.4-1.8 s in the kernel. The default comes back when
    the last thread inside leaves; buffers made inside are freed by the allocator that made
    them, whenever that happens. Nothing changes where ``ARROW_DEFAULT_MEMORY_POOL`` is
    set (the operator's choice stands) or without pyarrow.
    """
    global _pool_users
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        yield False
        return
    if os.environ.get(ARROW_POOL_ENV):
        yield False
        return
    with _pool_lock:
        if _pool_users == 0:
            _pool_before[:] = [pa.default_memory_pool()]
            pa.set_memory_pool(pa.system_memory_pool())
        _pool_users += 1
    try:
        yield True
    finally:
        with _pool_lock:
            _pool_users -= 1
            if _pool_users == 0:
                pa.set_memory_pool(_pool_before.pop())
