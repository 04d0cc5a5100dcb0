"""Zones that do not flicker: stepping down only after a run of days below the zone.

A scheme may say how its zones are left (``[hysteresis]`` in its file, see
:mod:`zoning.model.schemes`): a region enters a more severe zone at once, and steps down
only after ``step_down_days`` days in a row whose computed zone is below its current one. It
then takes the highest zone of those days. A day without data breaks the run (stepping
down needs evidence every day) and has no zone itself, but the region keeps its zone for
the next day with data. A scheme without hysteresis gives the computed zones unchanged.

:func:`steady` works on a whole panel (regions x days) at once; the changes of its zones are
listed by :func:`zoning.model.schemes.every_zone_change`, the one rule of a change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoning.model.schemes import NO_ZONE


@dataclass(frozen=True)
class Steady:
    """Zones with hysteresis, regions x days (``NO_ZONE`` on days without data)."""

    zone: np.ndarray
    #: Days since the region entered its zone, counting that day as 0 (-1 without a zone).
    days_in_zone: np.ndarray


def steady(zones: np.ndarray, step_down_days: int = 0) -> Steady:
    """Apply hysteresis to computed zone indices ``zones`` (regions x days, ``NO_ZONE`` =
    no data). ``step_down_days`` 0 or 1: the computed zones themselves."""
    raw = np.asarray(zones)
    if raw.ndim != 2:
        raise ValueError("zones must be a regions x days array")
    n_regions, n_days = raw.shape
    out = np.full(raw.shape, NO_ZONE, dtype=raw.dtype if raw.size else np.int16)
    since = np.full(raw.shape, -1, dtype=np.int32)
    state = np.full(n_regions, NO_ZONE, dtype=np.int64)  # the zone a region holds
    entered = np.full(n_regions, -1, dtype=np.int64)  # the day it entered it
    run = np.zeros(n_regions, dtype=np.int64)  # days in a row below it
    run_max = np.full(n_regions, NO_ZONE, dtype=np.int64)  # highest zone during the run
    need = max(int(step_down_days), 1)
    for j in range(n_days):
        z = raw[:, j].astype(np.int64)
        known = z != NO_ZONE
        first = known & (state == NO_ZONE)
        up = known & ~first & (z > state)
        below = known & ~first & (z < state)
        # a run below the zone grows; anything else (no data, same, higher) ends it
        run = np.where(below, run + 1, 0)
        run_max = np.where(below, np.where(run == 1, z, np.maximum(run_max, z)), NO_ZONE)
        down = below & (run >= need)
        new = np.where(first | up, z, np.where(down, run_max, state))
        changed = first | up | down
        entered = np.where(changed, j, entered)
        run = np.where(down, 0, run)
        run_max = np.where(down, NO_ZONE, run_max)
        state = new
        out[:, j] = np.where(known, state, NO_ZONE)
        since[:, j] = np.where(known, j - entered, -1)
    return Steady(zone=out, days_in_zone=since)
