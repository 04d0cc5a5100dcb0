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
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os


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
