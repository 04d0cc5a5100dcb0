"""Confirmed zones: which analyst decision, if any, stands for each region on a day.

A computed zone is a proposal; an analyst confirms it or overrides it for a period
(:meth:`zoning.store.Store.add_decision`). The decision that stands for a region on a day is
the latest one (highest id) whose period covers the day; earlier ones are kept, superseded.
Pure functions of a decisions table (no store).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Where a region's public zone comes from on a day.
CONFIRMED = "confirmed"  # an analyst confirmed the computed zone
OVERRIDDEN = "overridden"  # an analyst decided another zone (with a reason)
COMPUTED = "computed"  # no decision: the computed zone, not yet confirmed
AWAITING = "awaiting"  # no decision, and unconfirmed zones are not public: no zone shown
STATES = (CONFIRMED, OVERRIDDEN, COMPUTED, AWAITING)


def covering(decisions: pd.DataFrame, day: object) -> pd.DataFrame:
    """The decision standing for each region on ``day``: of those whose period (``start``
    to ``end``, open when ``end`` is empty) covers it, the latest (highest ``id``). One row per
    region, indexed by region code."""
    day = pd.Timestamp(day).normalize()
    if decisions.empty:
        return decisions.set_index("region") if "region" in decisions else decisions
    start = pd.to_datetime(decisions["start"])
    end = pd.to_datetime(decisions["end"])
    live = decisions[(start <= day) & (end.isna() | (end >= day))]
    return live.sort_values("id").groupby("region").tail(1).set_index("region")


def superseded(decisions: pd.DataFrame) -> pd.Series:
    """For each decision, whether a later decision on the same region and scheme covers every
    day it covered (so it no longer stands on any day)."""
    out = pd.Series(False, index=decisions.index)
    start = pd.to_datetime(decisions["start"])
    end = pd.to_datetime(decisions["end"])
    for i in decisions.index:
        later = (
            (decisions["id"] > decisions.at[i, "id"])
            & (decisions["region"] == decisions.at[i, "region"])
            & (decisions["scheme"] == decisions.at[i, "scheme"])
            & (start <= start[i])
            & (end.isna() | (pd.notna(end[i]) & (end >= end[i])))
        )
        out[i] = bool(later.any())
    return out


def states(
    has_decision: np.ndarray, overridden: np.ndarray, unconfirmed_public: bool
) -> np.ndarray:
    """Per region, one of :data:`STATES`."""
    none = COMPUTED if unconfirmed_public else AWAITING
    return np.where(has_decision, np.where(overridden, OVERRIDDEN, CONFIRMED), none)
