"""The ``zoning.core.timing`` log that the benchmarks read."""

from __future__ import annotations

import logging

import pytest

from zoning.core.timing import timing_log


@pytest.fixture(autouse=True)
def _fresh_logger():
    log = logging.getLogger("zoning.timing")
    saved = log.handlers[:], log.level, log.propagate
    log.handlers.clear()
    yield
    log.handlers[:], log.level, log.propagate = saved[0], saved[1], saved[2]


def test_silent_unless_asked(monkeypatch, capsys):
    monkeypatch.delenv("ZONING_TIMING", raising=False)
    timing_log().info("rerun page=map ms=12.0")
    assert capsys.readouterr().err == ""


def test_one_plain_line_on_stderr_when_asked(monkeypatch, capsys):
    monkeypatch.setenv("ZONING_TIMING", "1")
    timing_log().info("rerun page=%s ms=%.1f", "map", 12.04)
    timing_log().info("rerun page=%s ms=%.1f", "briefing", 3)  # one handler, not two
    assert capsys.readouterr().err == (
        "zoning.timing rerun page=map ms=12.0\nzoning.timing rerun page=briefing ms=3.0\n"
    )
