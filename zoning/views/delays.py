"""How late reports arrive, and the provisional period that follows from it.

The reporting delay of a level is estimated from when each of its values arrived in the
store (:meth:`zoning.store.Store.arrivals`: uploads, and the revisions of later ones; a line
list writes the daily counts it changes, so its confirmation dates against its upload's day
feed the same estimate). :func:`provisional_period` is the one place that decides how many
of the last days are provisional: the days until 95 % of a day's cases are reported where
the delay can be estimated (:func:`zoning.model.nowcast.provisional_days`), else the fixed
default :data:`zoning.model.metrics.DEFAULT_LAG_DAYS`. The service computes the provisional
flags with it (and keeps it with the level's data); charts, the trends page and the About
page read it from there.

This module reads the store only through :mod:`zoning.views.cache`: the service imports it,
so it never imports the service or the analyses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.core.i18n import t, tn
from zoning.model import metrics as M
from zoning.model import nowcast
from zoning.store import Store
from zoning.views import cache


@dataclass(frozen=True)
class Delay:
    """The share of a day's cases reported within 0 .. :data:`nowcast.MAX_DELAY` days, and
    the day of the last upload it was estimated from (ages of days count from it)."""

    share: np.ndarray
    as_of: pd.Timestamp


@dataclass(frozen=True)
class Period:
    """The last ``days`` days before the data's date are provisional; ``estimated``: from
    the reports' delays (else the fixed default)."""

    days: int
    estimated: bool


#: The delay is estimated from the days of the last this many days before the data's date
#: (how late reports come now; and a year of daily uploads is not read on every change).
RECENT_DAYS = 120
#: The period where no delay can be estimated.
DEFAULT_PERIOD = Period(M.DEFAULT_LAG_DAYS, False)


def reporting_delay(store: Store, level: str, field: str = "new_cases") -> Delay | None:
    """The reporting delay of ``field`` at ``level``, estimated from when each value of the
    level's regions arrived (uploads and the revisions of later ones); ``None`` until days
    reported as they happened have been revised.

    What was known of a day before the store's first upload is not known (a bulk upload of
    the past says nothing of how late its days were first reported), and days whose first
    report came later than :data:`nowcast.MAX_DELAY` days are left out; only the days of the
    last :data:`RECENT_DAYS` days are read."""

    def build() -> Delay | None:
        days = store.upload_days()
        if len(days) < 2:
            return None
        latest = store.meta().get("as_of")  # the data's date, else the last upload's
        latest = pd.Timestamp(latest) if latest else days[-1]
        since = max(days[0] - pd.Timedelta(days=nowcast.MAX_DELAY),
                    latest - pd.Timedelta(days=RECENT_DAYS))  # fmt: skip
        found = store.arrivals(level, field, since)
        if found.empty:
            return None
        found["delay"] = (found["arrived"] - found["date"]).dt.days
        first = found.groupby(["region", "date"])["delay"].transform("min")
        found = found[(first >= 0) & (first <= nowcast.MAX_DELAY) & (found["delay"] >= 0)]
        if found.empty:
            return None
        last = found["arrived"].max()
        dates = pd.DatetimeIndex(sorted(found["date"].unique()))
        width = nowcast.MAX_DELAY + 1
        # each region-day's value known k days after it is its latest arrival by then: the
        # changes of value, added at the delay they arrived, then summed along the delays
        found = found.sort_values(["region", "date", "delay"])
        change = found["value"] - found.groupby(["region", "date"])["value"].shift(fill_value=0)
        triangle = np.zeros((len(dates), width))
        np.add.at(
            triangle,
            (dates.get_indexer(found["date"]), np.minimum(found["delay"], width - 1)),
            change.to_numpy(dtype=float),
        )
        triangle = np.cumsum(triangle, axis=1)
        age = (last - dates).days.to_numpy()
        delays = np.arange(width)[None, :]
        triangle[delays > age[:, None]] = np.nan  # not that old yet
        before = (days[0] - dates).days.to_numpy()
        triangle[delays < before[:, None]] = np.nan  # the store held nothing yet
        share = nowcast.delay_distribution(triangle)
        return None if share is None else Delay(share=share, as_of=pd.Timestamp(last))

    return cache.cached(cache.key(store, "reporting-delay", level, field), build)


def finest_delay(store: Store, levels: Sequence[str], field: str = "new_cases") -> Delay | None:
    """The reporting delay of ``field`` at the first of ``levels`` (the levels a level's
    counts come from, finest first) where it can be estimated; ``None`` where none can."""
    for level in levels:
        found = reporting_delay(store, level, field)
        if found is not None:
            return found
    return None


def provisional_period(store: Store, levels: Sequence[str]) -> Period:
    """How many of the last days are provisional for counts that come from ``levels``
    (finest first): the days until :data:`nowcast.COMPLETE_SHARE` of a day's new cases are
    reported, where the delay can be estimated (:func:`finest_delay`), else
    :data:`DEFAULT_PERIOD`."""
    delay = finest_delay(store, levels)
    if delay is None:
        return DEFAULT_PERIOD
    return Period(nowcast.provisional_days(delay.share), True)


def period_text(period: Period, lang: str) -> str:
    """The provisional period in words, saying whether it was estimated from the reports
    ("the last 5 days (estimated from reports ...)") or is the default."""
    if not period.estimated:
        return t("common.period_default", lang, days=period.days)
    if period.days == 0:
        return t("common.period_estimated_zero", lang)
    return tn("common.period_estimated", lang, period.days, days=period.days)
