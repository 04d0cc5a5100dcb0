"""When the demo's counts arrived: the past in one upload, then a month of daily uploads in
which each day's new cases come in over the following days.

A real store fills up like that, and the reporting delay (:mod:`zoning.views.delays`) and
the nowcast of the trends page are estimated from it. The values known on the last upload's
day are the demo's counts (:func:`zoning.demo.epidemic.demo_counts`, whose last three days
are already short of their final cases): every figure of the demo stays as it was; only what
was known on the days before is added, as revisions.

What a day's new cases were known to be ``k`` days after it is drawn backwards from what is
known now: of the cases known ``k + 1`` days after, each was already reported a day earlier
with probability ``F(k) / F(k + 1)`` (:data:`DEMO_DELAY_SHARE`), so that a day's cases
known ``k`` days after it are ``F(k)`` of its final cases on average. Deaths, admissions and
tests arrive complete with the first upload of their day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.demo.epidemic import DEMO_AS_OF
from zoning.demo.province import STREAM_ARRIVALS

#: The share of a day's new cases reported within 0, 1, 2 ... days: the first three as the
#: demo's last three days are short (35 %, 60 %, 85 %), then the rest over the next days,
#: all in after 8 days; 95 % after 5 days, the provisional period the demo shows.
DEMO_DELAY_SHARE = np.array([0.35, 0.60, 0.85, 0.90, 0.94, 0.97, 0.985, 0.995, 1.0])
#: Daily uploads after the bulk upload of the past (the last on the demo's "as of" day).
DAILY_UPLOADS = 28
#: Hour (UTC) of each upload of the demo.
UPLOAD_HOUR = 10


@dataclass(frozen=True)
class Arrivals:
    """The demo's uploads and what each wrote.

    ``days``: when each upload arrived (the bulk upload first); ``current``: the counts as
    known now with ``upload`` (the index of the upload that wrote each value); ``replaced``:
    the values later revised, with ``upload`` and ``replaced_by``.
    """

    days: pd.DatetimeIndex
    current: pd.DataFrame
    replaced: pd.DataFrame


def upload_days(daily: int = DAILY_UPLOADS) -> pd.DatetimeIndex:
    """The days the demo's uploads arrived: the bulk one, then ``daily`` ones to "as of"."""
    last = pd.Timestamp(DEMO_AS_OF) + pd.Timedelta(hours=UPLOAD_HOUR)
    return pd.date_range(end=last, periods=daily + 1, freq="D")


def demo_arrivals(counts: pd.DataFrame, seed: int, daily: int = DAILY_UPLOADS) -> Arrivals:
    """When each of the demo's ``counts`` (region, date, count fields) arrived, and what was
    known before (see the module's notes); region-days are kept in the order given."""
    days = upload_days(daily)
    bulk = days[0].normalize()
    dates = pd.DatetimeIndex(counts["date"])
    age = (pd.Timestamp(DEMO_AS_OF) - dates).days.to_numpy()
    first = np.clip((dates - bulk).days.to_numpy(), 0, None)  # the upload each day came in
    top = len(DEMO_DELAY_SHARE) - 1
    final = counts["new_cases"].to_numpy(dtype=float)
    # days still short of cases at the bulk upload: what was known at each delay
    late = np.flatnonzero(((dates - bulk).days.to_numpy() > -top) & np.isfinite(final))
    known = _known_before(final[late], np.minimum(age[late], top), seed)  # late x delays
    # the value of each late day at every upload from its first on, and where it changed
    delay = np.arange(daily + 1)[None, :] + (bulk - dates[late]).days.to_numpy()[:, None]
    at = np.where(delay >= 0, np.take_along_axis(known, np.clip(delay, 0, top), axis=1), np.nan)
    before = np.concatenate([np.full((len(late), 1), np.nan), at[:, :-1]], axis=1)
    changed = np.isfinite(at) & ~(at == before)
    row, upload = np.nonzero(changed)  # by row, then upload
    last_of_row = np.r_[row[1:] != row[:-1], True]
    replaced = counts.iloc[late[row[~last_of_row]]].reset_index(drop=True)
    replaced["new_cases"] = at[row[~last_of_row], upload[~last_of_row]]
    replaced["upload"] = upload[~last_of_row]
    replaced["replaced_by"] = upload[np.flatnonzero(~last_of_row) + 1]
    current = counts.reset_index(drop=True).copy()
    current["upload"] = first
    current.loc[late[row[last_of_row]], "upload"] = upload[last_of_row]
    return Arrivals(days, current, replaced)


def _known_before(final: np.ndarray, age: np.ndarray, seed: int) -> np.ndarray:
    """The new cases of each day known 0, 1, ... ``len(DEMO_DELAY_SHARE) - 1`` days after
    it, from ``final`` (known ``age`` days after it, its last column from there on)."""
    rng = np.random.default_rng([seed, STREAM_ARRIVALS])
    width = len(DEMO_DELAY_SHARE)
    out = np.empty((len(final), width))
    out[:, -1] = final
    for k in range(width - 2, -1, -1):
        ratio = DEMO_DELAY_SHARE[k] / DEMO_DELAY_SHARE[k + 1]
        thinned = rng.binomial(out[:, k + 1].astype(np.int64), ratio)
        out[:, k] = np.where(k >= age, final, thinned)
    return out
