"""The first view of a fresh clone (issue 15 items 2 and 3): the demo store, as the map page
opens it with no query: the regency level on the latest settled day, every zone of the
default scheme present, the trend rising, and the worst zone's regions listed in order."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from zoning.model.schemes import builtin_schemes
from zoning.store import Store
from zoning.views import briefing, policy, service

WHO = builtin_schemes()["who-ct-2021"]


@pytest.fixture(scope="module")
def store(demo_db: Path) -> Store:
    return Store(str(demo_db))


@pytest.fixture(scope="module")
def day(store: Store):
    return service.level_data(store, "regency").settled_day


def test_the_first_view_is_the_regency_level_on_the_latest_settled_day(store, day):
    assert policy.default_level(store, WHO) == "regency"
    assert WHO.id == briefing.DEFAULT_SCHEME
    assert str(day.date()) == "2021-07-01"  # as of 6 July, the last 5 days provisional (estimated)


def test_every_zone_of_the_default_scheme_is_present(store, day):
    zones = service.zones_on(store, WHO, "regency", day)
    counts = zones["zone_index"].value_counts()
    assert set(counts.index) == set(range(len(WHO.zones)))  # and no region without data
    assert counts.min() >= 3  # not one region by chance


def test_the_trend_rises(store, day):
    cases = briefing.province_cases(store, day)
    assert cases["change_pct"] > 10
    previous = briefing.province_cases(store, day - np.timedelta64(7, "D"))
    assert previous["change_pct"] > 0  # and the week before rose too


def test_the_worst_zone_lists_its_regions_highest_first(store, day):
    zones = service.zones_on(store, WHO, "regency", day)
    worst, rows = briefing.worst_zone(store, WHO, "regency", day, public=True, lang="id")
    assert worst == len(WHO.zones) - 1
    assert sorted(rows["code"]) == sorted(zones.loc[zones["zone_index"] == worst, "code"])
    rates = rows["rate"].to_numpy(dtype=float)
    assert (np.diff(rates) <= 0).all()
    assert rates[0] == zones["cases_7d_per_100k"].max()


def test_inside_a_region_the_worst_zone_is_that_of_its_regions(store, day):
    """Villages of a quiet district: their own worst zone, not the province's."""
    villages = service.zones_on(store, WHO, "village", day)
    district = villages.assign(d=villages["code"].str[:8]).groupby("d")["zone_index"].max()
    quiet = district[district < len(WHO.zones) - 1].index[0]
    worst, rows = briefing.worst_zone(
        store, WHO, "village", day, public=True, lang="en", within=quiet
    )
    assert worst == district[quiet]
    assert len(rows) and all(code.startswith(quiet + ".") for code in rows["code"])


def test_what_changed_since_last_week_worse_first(store, day):
    """Issue 15 item 6: the regions whose zone differs from a week before, worse first."""
    since, changed = briefing.week_changes(store, WHO, "regency", day)
    assert since == day - np.timedelta64(7, "D")
    before = service.zones_on(store, WHO, "regency", since).set_index("code")["zone_index"]
    after = service.zones_on(store, WHO, "regency", day).set_index("code")["zone_index"]
    moved = after[(after != before) & (after >= 0) & (before >= 0)]
    assert sorted(changed["code"]) == sorted(moved.index)
    assert (changed["before"].to_numpy() == before[changed["code"]].to_numpy()).all()
    assert (changed["after"].to_numpy() == after[changed["code"]].to_numpy()).all()
    worse = (changed["after"] > changed["before"]).to_numpy()
    assert worse.sum() > 5  # a rising wave: most changes are for the worse
    assert not (np.diff(worse.astype(int)) > 0).any()  # every worse one before any better
    jumps = (changed["after"] - changed["before"])[worse].to_numpy()
    assert (np.diff(jumps) <= 0).all()  # the biggest jumps first


def test_the_played_weeks_are_the_same_weekday_aligned_with_the_map(store, day):
    from zoning.render import mapdata

    geometry = mapdata.level_geometry(store, "regency")
    frames = mapdata.zone_frames(store, WHO, "regency", day, geometry)
    days = [np.datetime64(d) for d in frames["days"]]
    assert len(days) == mapdata.PLAY_WEEKS and days[-1] == np.datetime64(day.date())
    assert all((b - a) == np.timedelta64(7, "D") for a, b in itertools.pairwise(days))
    for when, zones in zip(frames["days"], frames["zones"], strict=True):
        table = service.zones_on(store, WHO, "regency", when).set_index("code")["zone_index"]
        assert zones == table[list(geometry.codes)].tolist()
