"""The reporting delay from when uploads arrived and what later ones revised, and the
nowcast of a region's last days (zoning.views.analysis), on uploads made day by day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_regions, write_store

from zoning.model import nowcast
from zoning.store import access
from zoning.views import analysis, delays

DELAY = np.array([0.4, 0.3, 0.2, 0.1])  # the share of a day's cases reported 0..3 days late
VILLAGES = tiny_regions().query("level == 'village'")["code"].tolist()
START = pd.Timestamp("2021-06-01")
DAYS = 60


def daily_uploads(store, monkeypatch, days: int = DAYS, seed: int = 3) -> np.ndarray:
    """Each day an upload of every village's cases known by then (earlier days revised as
    late reports come in); returns the true cases (villages x days)."""
    rng = np.random.default_rng(seed)
    truth = rng.poisson(60, (len(VILLAGES), days))
    late = np.stack([[rng.multinomial(c, DELAY) for c in row] for row in truth])
    known = np.cumsum(late, axis=2)  # villages x days x delays
    for u in range(days):
        today = START + pd.Timedelta(days=u)
        monkeypatch.setattr(access, "_now", lambda today=today: today.to_pydatetime())
        rows = []
        for i, code in enumerate(VILLAGES):
            for d in range(max(0, u - len(DELAY) + 1), u + 1):
                value = known[i, d, min(u - d, len(DELAY) - 1)]
                rows.append((code, START + pd.Timedelta(days=d), float(value)))
        frame = pd.DataFrame(rows, columns=["region", "date", "new_cases"])
        with store.transaction() as conn:
            upload = store.record_upload(conn, "counts", f"day{u}.csv", None, "pytest",
                                         len(frame), 0)  # fmt: skip
            store.write_counts(conn, frame, upload)
            store.advance_as_of(conn, today)
    monkeypatch.setattr(access, "_now", lambda: dt.datetime(2026, 1, 1))
    return truth


def bulk_store(path: Path):
    """The tiny province with one old day uploaded in bulk long after (no delay from it)."""
    old = pd.DataFrame({"region": VILLAGES, "date": pd.Timestamp("2021-01-01"), "new_cases": 5.0})
    return write_store(path, tiny_regions(), old)


@pytest.fixture
def store(tmp_path: Path):
    return bulk_store(tmp_path / "n.db")


def test_no_delay_from_one_bulk_upload(store):
    assert delays.reporting_delay(store, "village") is None
    assert analysis.nowcast_series(store, "village", VILLAGES[0]).empty


def test_the_delay_is_estimated_from_uploads_and_revisions(store, monkeypatch):
    daily_uploads(store, monkeypatch)
    delay = delays.reporting_delay(store, "village")
    assert delay.as_of == START + pd.Timedelta(days=DAYS - 1)
    share = delay.share
    expected = np.r_[np.cumsum(DELAY), np.ones(nowcast.MAX_DELAY + 1 - len(DELAY))]
    assert share == pytest.approx(expected, abs=0.03)
    assert nowcast.provisional_days(share) == 3


def test_the_nowcast_of_the_last_days_holds_the_truth(store, monkeypatch):
    truth = daily_uploads(store, monkeypatch)
    inside = total = 0
    for i, code in enumerate(VILLAGES):
        found = analysis.nowcast_series(store, "village", code)
        assert len(found) == len(DELAY) - 1  # the days still incomplete
        days = (pd.DatetimeIndex(found["date"]) - START).days.to_numpy()
        assert (found["lower"] >= found["reported"]).all()
        real = truth[i, days]
        inside += int(((found["lower"] <= real) & (real <= found["upper"])).sum())
        total += len(found)
    assert inside >= total - 2
    # a regency's nowcast uses its villages' delay
    assert len(analysis.nowcast_series(store, "regency", "33.01")) == len(DELAY) - 1
