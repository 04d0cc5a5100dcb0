"""The reporting delay and the provisional period it gives (zoning.views.delays), from
uploads made day by day: counts revised as late reports come in, and line lists whose cases
arrive days after their confirmation date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import count_uploads, late_cases, on_day, tiny_regions, write_store

from zoning.intake.linelist import import_linelist
from zoning.model import nowcast
from zoning.store import Store, access
from zoning.views import delays, service

VILLAGES = tiny_regions().query("level == 'village'")["code"].tolist()
START = pd.Timestamp("2021-06-01")  # the first daily upload (conftest.count_uploads)
#: 30 % of a day's cases reported the same day, 90 % within 4 days, all within 5:
#: the provisional period is 5 days, not the default 3.
SLOW = np.array([0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
#: Geometric: 60 % the same day, then 60 % of the rest each day (cut at 10 days).
GEOMETRIC = 0.6 * 0.4 ** np.arange(11)
GEOMETRIC[-1] += 1 - GEOMETRIC.sum()


def share_of(delay: np.ndarray) -> np.ndarray:
    """F(k) for k = 0 .. MAX_DELAY of the delay probabilities ``delay``."""
    return np.r_[np.cumsum(delay), np.ones(nowcast.MAX_DELAY + 1 - len(delay))]


def nik(serial: int) -> str:
    return f"3301010101{90 + serial // 10_000:02d}{serial % 10_000:04d}"


def linelist_uploads(store: Store, monkeypatch, delay: np.ndarray, days: int = 40) -> None:
    """Each day a line list of the cases that arrived that day: one person each, with the
    day they were confirmed (days earlier, by ``delay``)."""
    late = late_cases(delay, days, 20, seed=11)
    arrivals: dict[int, list[tuple[str, pd.Timestamp]]] = {}
    for (i, d, k), n in np.ndenumerate(late):
        arrivals.setdefault(d + k, []).extend([(VILLAGES[i], START + pd.Timedelta(days=d))] * n)
    serial = 0
    for u in range(days):
        lines = ["nik,tanggal_konfirmasi,kode_desa"]
        for village, day in arrivals.get(u, []):
            serial += 1
            lines.append(f"{nik(serial)},{day.date()},{village}")
        on_day(monkeypatch, START + pd.Timedelta(days=u))
        import_linelist(
            store,
            ("\n".join(lines) + "\n").encode(),
            filename=f"day{u}.csv",
            covers="33",
            first=START.date(),
            last=(START + pd.Timedelta(days=u)).date(),
        )
    monkeypatch.setattr(access, "_now", lambda: dt.datetime(2026, 1, 1))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """The tiny province with one old day uploaded in bulk long after (no delay from it)."""
    old = pd.DataFrame({"region": VILLAGES, "date": pd.Timestamp("2021-01-01"), "new_cases": 5.0})
    return write_store(tmp_path / "d.db", tiny_regions(), old)


def test_one_bulk_upload_keeps_the_default_period(store):
    assert delays.reporting_delay(store, "village") is None
    data = service.level_data(store, "village")
    assert data.period == delays.Period(3, False) == delays.DEFAULT_PERIOD
    assert delays.period_text(data.period, "en").startswith("the last 3 days (default 3 days")
    last = data.metrics["provisional"][0]
    assert last[-3:].all() and not last[:-3].any()


def test_the_period_is_estimated_from_daily_uploads(store, monkeypatch):
    count_uploads(store, monkeypatch, SLOW)
    assert delays.reporting_delay(store, "village").share == pytest.approx(share_of(SLOW), abs=0.03)
    for level in ("village", "regency", "province"):  # every level counted from the villages
        data = service.level_data(store, level)
        assert data.period == delays.Period(5, True)
        flags = data.metrics["provisional"][0]
        assert flags[-5:].all() and not flags[:-5].any()
        assert data.settled_day == data.panel.dates[-6]
    assert "estimated from reports" in delays.period_text(data.period, "en")
    assert "diperkirakan dari laporan" in delays.period_text(data.period, "id")


def test_a_bulk_upload_of_the_recent_past_does_not_bias_the_delay(store, monkeypatch):
    """Thirty days in one upload (the last ones as far as known that day), then daily
    uploads: what the store did not hold before its first upload is not read as nothing
    reported (that would make the bulk's recent days look reported late)."""
    count_uploads(store, monkeypatch, GEOMETRIC, days=70, first=30)
    share = delays.reporting_delay(store, "village").share
    assert share == pytest.approx(share_of(GEOMETRIC), abs=0.03)


def test_the_geometric_delay_is_recovered_from_counts(store, monkeypatch):
    count_uploads(store, monkeypatch, GEOMETRIC, seed=5)
    share = delays.reporting_delay(store, "village").share
    assert share == pytest.approx(share_of(GEOMETRIC), abs=0.03)
    assert delays.provisional_period(store, ("village",)) == delays.Period(3, True)


@pytest.mark.usefixtures("private_key_file")
def test_line_lists_feed_the_delay(tmp_path, monkeypatch):
    """Daily line lists, each case arriving a geometric number of days after it was
    confirmed: the register's daily counts are revised upload by upload, and the delay
    (60 % the same day) is recovered."""
    past = START - pd.Timedelta(days=90)
    old = pd.DataFrame({"region": VILLAGES[:1], "date": past, "new_cases": 1.0})
    store = write_store(tmp_path / "l.db", tiny_regions(), old)
    linelist_uploads(store, monkeypatch, GEOMETRIC)
    delay = delays.reporting_delay(store, "village")
    assert delay.as_of == START + pd.Timedelta(days=39)
    assert delay.share == pytest.approx(share_of(GEOMETRIC), abs=0.04)
    assert service.level_data(store, "village").period.estimated


def test_the_about_page_says_which_period(store, monkeypatch):
    from zoning.views import policy

    assert any("provisional are the last 3 days (default 3 days" in p
               for p in policy.method_points("en", store))  # fmt: skip
    count_uploads(store, monkeypatch, SLOW, days=30)
    points = policy.method_points("id", store)
    assert any("yang sementara: 5 hari terakhir (diperkirakan dari laporan" in p for p in points)


def test_only_the_recent_days_are_read(store, monkeypatch):
    """The delay of the last months: a store of many months reads only the recent ones."""
    count_uploads(store, monkeypatch, SLOW, days=30)
    read = []
    arrivals = Store.arrivals

    def spy(self, level, field, since):
        read.append(pd.Timestamp(since))
        return arrivals(self, level, field, since)

    monkeypatch.setattr(Store, "arrivals", spy)
    monkeypatch.setattr(delays, "RECENT_DAYS", 25)  # at least MAX_DELAY + 1: some day complete
    assert delays.reporting_delay(store, "village", "new_cases") is not None
    assert read == [START + pd.Timedelta(days=29 - 25)]
