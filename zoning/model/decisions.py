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
UNCONFIRMED = "unconfirmed"  # no decision: the computed zone, not yet confirmed
AWAITING = "awaiting"  # no decision, and unconfirmed zones are not public: no zone shown
STATES = (CONFIRMED, OVERRIDDEN, UNCONFIRMED, AWAITING)


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


def superseded_periods(decisions: pd.DataFrame) -> pd.Series:
    """For each decision, the days of its period that later decisions on the same region and
    scheme cover (where it no longer stands): a list of ``(first, last)`` days, merged and in
    order, ``last`` ``None`` when open-ended; empty when none is covered."""
    out = pd.Series([[] for _ in range(len(decisions))], index=decisions.index, dtype=object)
    start = pd.to_datetime(decisions["start"])
    end = pd.to_datetime(decisions["end"])
    for i in decisions.index:
        later = decisions[
            (decisions["id"] > decisions.at[i, "id"])
            & (decisions["region"] == decisions.at[i, "region"])
            & (decisions["scheme"] == decisions.at[i, "scheme"])
        ].index
        spans = []
        for j in later:
            first = max(start[i], start[j])
            last = _earliest(end[i], end[j])
            if last is None or first <= last:
                spans.append((first, last))
        out[i] = _merged(spans)
    return out


def _earliest(a: pd.Timestamp, b: pd.Timestamp) -> pd.Timestamp | None:
    """The earlier of two period ends (``NaT``: open-ended); ``None`` when both are open."""
    ends = [x for x in (a, b) if pd.notna(x)]
    return min(ends) if ends else None


def _merged(spans: list[tuple]) -> list[tuple]:
    """Periods ``(first, last)`` (``last`` ``None``: open) joined where they touch or overlap."""
    out: list[list] = []
    for first, last in sorted(spans, key=lambda s: s[0]):
        if out and (out[-1][1] is None or first <= out[-1][1] + pd.Timedelta(days=1)):
            if out[-1][1] is not None:
                out[-1][1] = None if last is None else max(out[-1][1], last)
            continue
        out.append([first, last])
    return [tuple(span) for span in out]


def superseded(decisions: pd.DataFrame, periods: pd.Series | None = None) -> pd.Series:
    """For each decision, whether later decisions on the same region and scheme cover every
    day it covered (so it no longer stands on any day); ``periods``:
    :func:`superseded_periods` when already known."""
    periods = superseded_periods(decisions) if periods is None else periods
    start = pd.to_datetime(decisions["start"])
    end = pd.to_datetime(decisions["end"])
    out = pd.Series(False, index=decisions.index)
    for i in decisions.index:
        spans = periods[i]
        if len(spans) == 1 and spans[0][0] <= start[i]:
            last = spans[0][1]
            out[i] = last is None or (pd.notna(end[i]) and last >= end[i])
    return out


def daily(decisions: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """Row position (in ``decisions``) of the decision standing on each of ``dates`` for one
    region and scheme, -1 where none does: the latest (highest ``id``) covering the day."""
    out = np.full(len(dates), -1, dtype=np.int64)
    days = pd.DatetimeIndex(dates).normalize()
    order = np.argsort(decisions["id"].to_numpy(), kind="stable")
    start = pd.to_datetime(decisions["start"]).to_numpy()
    end = pd.to_datetime(decisions["end"]).to_numpy()
    for k in order:  # later decisions overwrite earlier ones
        covered = days >= start[k]
        if not pd.isna(end[k]):
            covered &= days <= end[k]
        out[np.asarray(covered)] = k
    return out


def states(
    has_decision: np.ndarray, overridden: np.ndarray, unconfirmed_public: bool
) -> np.ndarray:
    """Per region, one of :data:`STATES`."""
    none = UNCONFIRMED if unconfirmed_public else AWAITING
    return np.where(has_decision, np.where(overridden, OVERRIDDEN, CONFIRMED), none)
