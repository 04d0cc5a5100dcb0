"""When the demo's counts arrived (zoning.demo.arrivals): the past in one upload, then daily
uploads with a known reporting delay; every figure as the demo's counts give it, and the
delay, the provisional period and the nowcast recovered from the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoning import demo
from zoning.demo.arrivals import DAILY_UPLOADS, DEMO_DELAY_SHARE, demo_arrivals
from zoning.model import nowcast
from zoning.store import Store
from zoning.views import delays, published, service


@pytest.fixture(scope="module")
def store(demo_db: Path) -> Store:
    return Store(str(demo_db))


def _counts() -> pd.DataFrame:
    """Two villages, 60 days to the demo's "as of", 40 cases a day (one day missing)."""
    dates = pd.date_range(end=pd.Timestamp(demo.DEMO_AS_OF), periods=60, freq="D")
    frame = pd.DataFrame({"region": np.repeat(["a", "b"], 60), "date": np.tile(dates, 2),
                          "new_cases": 40.0, "deaths": 1.0})  # fmt: skip
    frame.loc[117, "new_cases"] = np.nan  # village b, two days before "as of"
    return frame


def test_what_was_known_before_adds_up_to_the_counts():
    counts = _counts()
    found = demo_arrivals(counts, seed=1)
    assert len(found.days) == DAILY_UPLOADS + 1
    assert found.days[-1].normalize() == pd.Timestamp(demo.DEMO_AS_OF)
    assert found.current.drop(columns="upload").equals(counts)  # the figures as they were
    old = found.replaced
    assert len(old) and (old["replaced_by"] > old["upload"]).all()
    # every revision added cases: what was known only grows
    merged = old.merge(found.current, on=["region", "date"], suffixes=("", "_now"))
    assert (merged["new_cases"] <= merged["new_cases_now"]).all()
    assert (merged["deaths"] == merged["deaths_now"]).all()  # only new cases come in late
    # a day arrives first with the upload of its day (the bulk one for the past)
    arrived = found.days[0].normalize() + pd.to_timedelta(
        pd.concat([old, found.current]).groupby(["region", "date"])["upload"].min(), unit="D"
    )
    days = arrived.index.get_level_values("date")
    assert (arrived.to_numpy() == np.maximum(days, found.days[0].normalize())).all()
    missing = (old["region"] == "b") & (old["date"] == counts.loc[117, "date"])
    assert not missing.any()  # a day not reported has nothing known before: never zero


def test_the_demo_store_has_the_demo_counts_and_the_known_delay(store):
    stored = store.counts(level="village").sort_values(["region", "date"], ignore_index=True)
    counts = demo.demo_counts().sort_values(["region", "date"], ignore_index=True)
    assert stored["new_cases"].equals(counts["new_cases"])
    assert stored[["region", "date"]].equals(counts[["region", "date"]])
    share = delays.reporting_delay(store, "village").share
    expected = np.r_[DEMO_DELAY_SHARE, np.ones(nowcast.MAX_DELAY + 1 - len(DEMO_DELAY_SHARE))]
    assert share == pytest.approx(expected, abs=0.01)


def test_the_demo_shows_a_nowcast_and_the_estimated_period(store):
    for level in ("province", "regency", "village"):
        assert service.level_data(store, level).period == delays.Period(5, True)
    found, days = published.public_nowcast(store, "province", ["33"], public=True)
    assert days == 5 and len(found) == len(DEMO_DELAY_SHARE) - 1
    assert (found["nowcast"] > found["reported"]).all()
