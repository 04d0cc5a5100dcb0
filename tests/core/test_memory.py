"""Tests for zoning.core.memory: freed memory handed back after a large build."""

from __future__ import annotations

import ctypes.util
import gc
import weakref

import pytest

from zoning.core import memory


class _Node:
    def __init__(self):
        self.other = self  # a cycle: only the garbage collector frees it


def test_give_back_collects_cycles_and_asks_glibc_where_there_is_one():
    gc.disable()
    try:
        node = _Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None  # only a collection frees it
        asked = memory.give_back()
        assert gone() is None
    finally:
        gc.enable()
    libc = ctypes.util.find_library("c")
    if libc is None or "musl" in libc:
        pytest.skip("no glibc here")
    assert asked is True


def test_large_blocks_go_back_to_the_system_unless_the_operator_chose(monkeypatch):
    """glibc's threshold for mapping a block on its own is fixed (else ten sessions of the
    national map leave its heap fragmented); MALLOC_MMAP_THRESHOLD_ set by the operator is
    left alone, and without glibc nothing is asked."""
    calls = []

    class Libc:
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1

    monkeypatch.setattr(memory, "_libc", lambda: Libc())
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert memory.return_large_blocks() is True
    assert calls == [(-3, memory.MMAP_THRESHOLD)]
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert memory.return_large_blocks() is False
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert memory.return_large_blocks() is False
    assert len(calls) == 1


def test_pyarrow_allocates_from_the_c_library_inside_and_as_before_after(monkeypatch):
    import threading

    import pyarrow as pa

    monkeypatch.delenv(memory.ARROW_POOL_ENV, raising=False)
    before = pa.default_memory_pool().backend_name
    assert before != "system"  # pyarrow's wheels default to mimalloc or jemalloc
    entered, leave = threading.Event(), threading.Event()
    seen = []

    def other():
        with memory.arrow_system_allocator() as used:
            seen.append((used, pa.default_memory_pool().backend_name))
            entered.set()
            leave.wait(10)
        seen.append(pa.default_memory_pool().backend_name)

    with memory.arrow_system_allocator() as used:
        assert used and pa.default_memory_pool().backend_name == "system"
        thread = threading.Thread(target=other)
        thread.start()
        assert entered.wait(10)
    # the other thread is still inside: still the C library's allocator
    assert pa.default_memory_pool().backend_name == "system"
    leave.set()
    thread.join(10)
    assert seen == [(True, "system"), before]  # the last one out put the default back
    assert pa.default_memory_pool().backend_name == before


def test_the_operators_arrow_allocator_stands(monkeypatch):
    import pyarrow as pa

    monkeypatch.setenv(memory.ARROW_POOL_ENV, "jemalloc")
    before = pa.default_memory_pool().backend_name
    with memory.arrow_system_allocator() as used:
        assert not used and pa.default_memory_pool().backend_name == before
