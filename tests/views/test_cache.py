"""Tests for zoning.views.cache: one key for every view, one way of keying a day."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from zoning.model.schemes import builtin_schemes
from zoning.store import Store
from zoning.views import briefing, cache, published, service


def test_a_day_is_keyed_by_its_date_however_it_is_written(tiny_store: Store):
    days = [
        "2021-07-18",
        pd.Timestamp("2021-07-18 15:30"),
        dt.date(2021, 7, 18),
        "2021-07-18T00:00",
    ]
    assert {cache.day_key(d) for d in days} == {"2021-07-18"}
    keys = {cache.key(tiny_store, "zones", "who-ct-2021", "village", day=d) for d in days}
    assert len(keys) == 1
    assert cache.key(tiny_store, "zones", day="2021-07-17") != cache.key(
        tiny_store, "zones", day="2021-07-18"
    )


def test_a_key_follows_the_data_version(tiny_store: Store):
    before = cache.key(tiny_store, "regions", None)
    assert before == (tiny_store.url, tiny_store.data_version(), "regions", None)
    tiny_store.set_meta(note="x")  # any committed change moves the data version
    assert cache.key(tiny_store, "regions", None) != before


def test_every_day_view_shares_its_entry_for_the_same_date(tiny_store: Store):
    """The zones, the public zones, the day's audit and the briefing's cases each key the
    day by its date, and read it as its date: a time of day does not build a second copy.
    Before, the public zones were keyed by the full time stamp, and the zones of a day given
    with a time failed (KeyError) unless that date had been asked for first."""
    who = builtin_schemes()["who-ct-2021"]
    morning, evening = pd.Timestamp("2021-07-18 08:00"), "2021-07-18 20:00"
    for view in (
        lambda d: service.zones_on(tiny_store, who, "village", d),
        lambda d: published.public_zones(tiny_store, who, "village", d, "en", public=True),
        lambda d: published.day_states(tiny_store, d),
    ):
        assert view(morning) is view(evening)
    cases = briefing.province_cases(tiny_store, morning)
    assert briefing.province_cases(tiny_store, evening) == cases
