"""Tests for zoning.views.cache: one key for every view, one way of keying a day."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

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


def test_a_commit_by_another_replica_is_seen_by_the_next_view(tiny_store_sql: Store):
    """Replicas behind one proxy (deploy/) each hold a Store of their own on one database:
    a commit through one moves the key the other builds its views by, at once (the data
    version is read from the database for every key, never kept in the process)."""
    here, there = tiny_store_sql, Store(tiny_store_sql.url)
    who = builtin_schemes()["who-ct-2021"]
    day = "2021-07-21"
    before = published.public_zones(here, who, "village", day, "en", public=False)
    key = cache.key(here, "zones", day=day)
    counts = there.counts("village").assign(new_cases=400.0)  # every village much worse
    with there.transaction() as conn:
        upload = there.record_upload(conn, "test", "other.csv", None, "replica 2", len(counts), 0)
        there.write_counts(conn, counts, upload)
    assert cache.key(here, "zones", day=day) != key
    after = published.public_zones(here, who, "village", day, "en", public=False)
    assert not after.equals(before)
    there.engine.dispose()


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


def test_a_decided_key_follows_decisions_and_the_setting_not_the_data(
    tiny_store: Store, monkeypatch
):
    from zoning.views import decisions

    scheme = builtin_schemes()["harvard-ghi-2020"]
    level_key = cache.key(tiny_store, "level", "regency")
    decided = cache.key(tiny_store, "decided", "regency", day="2021-07-15", decided=True)
    decisions.record(tiny_store, scheme, "33.01", "2021-07-10", "ana")
    # a decision is not data: the levels' values (and the snapshots kept) stay valid
    assert cache.key(tiny_store, "level", "regency") == level_key
    after = cache.key(tiny_store, "decided", "regency", day="2021-07-15", decided=True)
    assert after != decided
    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")
    assert cache.key(tiny_store, "decided", "regency", day="2021-07-15", decided=True) != after


def test_the_views_shelf_holds_at_most_its_megabytes(monkeypatch):
    """A day of a national village map's views is tens of megabytes: the views' shelf drops
    its least recently used values beyond its budget, not only beyond its count."""
    from collections import OrderedDict

    monkeypatch.setattr(cache, "_SHELVES", {"level": OrderedDict(), "view": OrderedDict()})
    monkeypatch.setenv(cache.VIEW_MB_ENV, "1")
    assert cache.view_budget() == 2**20
    third = 2**20 // 3 + 1  # three of these are just over a megabyte
    for name in "abc":
        cache.cached(("view", name), lambda: np.zeros(third, dtype=np.uint8), "view")
    assert list(cache._SHELVES["view"]) == [("view", "b"), ("view", "c")]
    cache.cached(("view", "b"), lambda: pytest.fail("b was dropped"), "view")  # b used last
    cache.cached(("view", "d"), lambda: np.zeros(third, dtype=np.uint8), "view")
    assert list(cache._SHELVES["view"]) == [("view", "b"), ("view", "d")]
    huge = cache.cached(("view", "huge"), lambda: np.zeros(2 * 2**20, dtype=np.uint8), "view")
    assert huge.nbytes == 2 * 2**20 and list(cache._SHELVES["view"]) == [("view", "huge")]
    for name in "abc":  # whole levels are bounded by their count only
        cache.cached(("level", name), lambda: np.zeros(2**20, dtype=np.uint8), "level")
    assert len(cache._SHELVES["level"]) == 3


@pytest.fixture
def two_views(monkeypatch):
    """Empty shelves whose views' shelf holds two of the values the returned function makes
    (a third each of just over a megabyte: three pass the 1 MB budget), no guesses."""
    from collections import OrderedDict

    monkeypatch.setattr(cache, "_SHELVES", {"level": OrderedDict(), "view": OrderedDict()})
    monkeypatch.setattr(cache, "_GUESSED", {})
    monkeypatch.setenv(cache.VIEW_MB_ENV, "1")
    third = 2**20 // 3 + 1

    def make():
        return np.zeros(third, dtype=np.uint8)

    return make


def test_guesses_go_before_what_people_asked_for(two_views):
    """The days a date step may reach are built ahead (``speculative``): when the shelf is
    full they go first, so a day someone looks at is not pushed out by guesses (at national
    scale a warm first map rebuilt its day, 1.3 s, after three date steps' prefetches)."""
    make = two_views
    cache.cached(("view", "shown"), make, "view")  # a day someone looks at, the oldest
    with cache.speculative():
        cache.cached(("view", "next"), make, "view")
        cache.cached(("view", "week"), make, "view")  # over budget: a guess goes
    assert list(cache._SHELVES["view"]) == [("view", "shown"), ("view", "week")]
    cache.cached(("view", "week"), lambda: pytest.fail("week was dropped"), "view")  # asked
    with cache.speculative():
        cache.cached(("view", "other"), make, "view")
    assert list(cache._SHELVES["view"]) == [("view", "week"), ("view", "other")]  # LRU again
    cache.cached(("view", "again"), make, "view")  # the guess goes before "week", older
    assert list(cache._SHELVES["view"]) == [("view", "week"), ("view", "again")]
    with cache.speculative():  # no older guess left: the newest one stays, as any newest value
        cache.cached(("view", "late"), make, "view")
    assert list(cache._SHELVES["view"]) == [("view", "again"), ("view", "late")]


def test_the_likeliest_guesses_are_kept_longest(two_views):
    """The next day's views, built first, are not pushed out by a week's step built after
    them (at national scale the fourth and fifth date steps rebuilt their day: 0.9 s)."""
    make = two_views
    cache.cached(("view", "shown"), make, "view")
    with cache.speculative(rank=-1):
        cache.cached(("view", "next day"), make, "view")
    with cache.speculative(rank=-7):
        cache.cached(("view", "next week"), make, "view")  # over budget: this guess goes
    assert list(cache._SHELVES["view"]) == [("view", "shown"), ("view", "next day")]
    with cache.speculative(rank=-1):
        cache.cached(("view", "day before"), make, "view")  # as likely, newer: the older goes
    assert list(cache._SHELVES["view"]) == [("view", "shown"), ("view", "day before")]
    cache.cached(("view", "asked"), make, "view")  # asked for: the guess goes, not "shown"
    assert list(cache._SHELVES["view"]) == [("view", "shown"), ("view", "asked")]
    with cache.speculative(rank=0):  # as likely as a view asked for: by recency like them
        cache.cached(("view", "next"), make, "view")
    assert list(cache._SHELVES["view"]) == [("view", "asked"), ("view", "next")]
    with cache.speculative(rank=-7):
        cache.cached(("view", "far"), make, "view")  # the only guess, the newest: it stays
    assert list(cache._SHELVES["view"]) == [("view", "next"), ("view", "far")]


def test_a_value_s_bytes_are_counted_from_its_buffers():
    frame = pd.DataFrame({"x": np.zeros(1000), "name": ["a"] * 1000})
    assert cache.nbytes(frame) >= 8000 + 1000  # the floats and at least a byte a name
    assert cache.nbytes(np.zeros(10)) == 80
    assert cache.nbytes({"a": np.zeros(10), "b": (np.zeros(5), b"xyz")}) >= 80 + 40 + 3
    long = list(range(100_000))  # counted from its first elements, about right
    assert 100_000 * 8 <= cache.nbytes(long) <= 100_000 * 64


def test_a_buffer_shared_by_several_views_is_counted_once(monkeypatch):
    """A day's zones, its public zones and the map's layer share most columns (copy on
    write): the budget counts what the shelf holds, not the sum of each value's size."""
    from collections import OrderedDict

    monkeypatch.setattr(cache, "_SHELVES", {"level": OrderedDict(), "view": OrderedDict()})
    monkeypatch.setenv(cache.VIEW_MB_ENV, "1")
    zones = pd.DataFrame({"x": np.zeros(50_000), "name": ["a"] * 50_000})  # 0.85 MB
    cache.cached(("view", "zones"), lambda: zones, "view")
    cache.cached(("view", "shown"), lambda: zones.assign(flag=True), "view")
    assert cache.nbytes(zones.assign(flag=True)) > 2**20 // 2
    assert list(cache._SHELVES["view"]) == [("view", "zones"), ("view", "shown")]
    cache.cached(("view", "other"), lambda: zones.copy(deep=True).assign(x=1.0), "view")
    assert ("view", "zones") not in cache._SHELVES["view"]
