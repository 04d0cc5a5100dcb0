"""``zoning.core.timing``: one line per script run on stderr when ``ZONING_TIMING`` is set.

The dashboard (and the benchmark's baseline app) log ``rerun page=<page> ms=<ms>`` here;
``bench/map.py`` and ``bench/crowd.py`` read those lines for the server time per run.
"""

from __future__ import annotations

import logging
import os
import sys


def timing_log() -> logging.Logger:
    """The ``zoning.timing`` logger (scripts read the name); stderr if ``ZONING_TIMING`` is set."""
    log = logging.getLogger("zoning.timing")
    if os.environ.get("ZONING_TIMING") and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log
