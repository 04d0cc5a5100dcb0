"""Processes for the benchmarks: free ports, a process's descendants, their CPU and memory.

Linux only (``/proc``). Shared by ``map.py`` and ``crowd.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}").glob("task/*/children"):
                todo.extend(int(c) for c in task.read_text().split())
    return found


def usage(pids: list[int]) -> tuple[float, int]:
    """CPU seconds (user + system) used so far and resident bytes of some processes."""
    cpu, rss = 0.0, 0
    for p in pids:
        with contextlib.suppress(OSError, IndexError, AttributeError):
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            cpu += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024
    return cpu, rss


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants."""
    return usage(process_tree(pid))[1]


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its descendants."""
    return usage(process_tree(pid))[0]


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started in its own process group, and everything it started."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def cpu_check(messages: int = 300_000) -> float:
    """Milliseconds this machine takes now for a fixed piece of work (keyed SHA-256 hashes of
    ``messages`` short messages, as a line-list import makes; the best of three).

    The machine's speed moves between runs (a shared virtual machine: the same work took
    up to a third longer at some hours), so the benchmarks print this beside their figures:
    a run whose check is slow ran on a slower machine. The loop is written out here rather
    than calling ``zoning.intake.nik.NikHasher``: a yardstick must not change when the
    import's hashing does, or checks from different commits would not compare.
    """
    import hashlib
    import time

    inner = hashlib.sha256(b"\x36" * 64)
    outer = hashlib.sha256(b"\x5c" * 64)
    texts = [b"nik:%016d" % (3374010101900000 + i) for i in range(messages)]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for text in texts:
            h = inner.copy()
            h.update(text)
            o = outer.copy()
            o.update(h.digest())
            o.hexdigest()
        best = min(best, time.perf_counter() - start)
    return best * 1000
