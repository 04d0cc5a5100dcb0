"""Service: level data (with roll-up), zones on a day, histories, caching by data version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import tiny_counts, tiny_regions

from zoning.model.schemes import NO_ZONE, get_scheme, zone_changes
from zoning.store import Store, snapshots
from zoning.views import cache, service


@pytest.fixture
def tiny_store(tiny_store_sql: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return tiny_store_sql


def test_village_metrics_from_reported_counts(tiny_store: Store):
    data = service.level_data(tiny_store, "village")
    assert data.source_level == "village"
    j = data.day_index("2021-07-21")
    # village i reports i+1 cases a day for 1,000 people
    assert np.allclose(data.metrics["cases_7d"][:, j], [7, 14, 21, 28])
    assert np.allclose(data.metrics["cases_7d_per_100k"][:, j], [700, 1400, 2100, 2800])
    assert not data.metrics["window_complete"][:, 5].any()
    assert data.metrics["window_complete"][:, 6].all()


def test_regency_rolled_up_from_villages(tiny_store: Store):
    data = service.level_data(tiny_store, "regency")
    assert data.source_level == "village"
    assert list(data.panel.regions) == ["33.01", "33.02"]
    j = data.day_index("2021-07-10")
    assert np.allclose(data.metrics["cases_7d"][:, j], [21, 49])
    assert np.allclose(data.metrics["cases_7d_per_100k"][:, j], [1050, 2450])
    province = service.level_data(tiny_store, "province")
    assert np.allclose(province.metrics["cases_7d"][:, j], [70])


def test_missing_child_day_leaves_parent_a_lower_bound(tmp_path):
    """One of two equal villages misses a day: for 7 days the regency holds half its people
    (below the 95 % needed), so its figure is a lower bound from the other village and its
    zone is "at least" that; it is never blank and never read as if the day were zero."""
    counts = tiny_counts()
    counts = counts[~((counts["region"] == "33.01.01.2002") & (counts["date"] == "2021-07-15"))]
    store = Store(str(tmp_path / "gap.db"))
    from conftest import tiny_regions

    with store.transaction() as conn:
        upload = store.record_upload(conn, "t", None, None, "pytest", 0, 0)
        store.write_regions(conn, tiny_regions(), upload)
        store.write_counts(conn, counts, upload)
    data = service.level_data(store, "regency")
    complete = data.metrics["window_complete"]
    days = data.panel.dates
    hit = (days >= "2021-07-15") & (days <= "2021-07-21")
    assert not complete[0, hit].any()  # 33.01 lost a child-day: 7 windows incomplete
    assert complete[1, 6:].all()  # 33.02 untouched
    assert (data.metrics["coverage"][0, hit] == 0.5).all()
    assert data.metrics["lower_bound:new_cases"][0, hit].all()
    # Desa A1 has 1 case a day: 7 in the week over the regency's 2,000 people.
    assert (data.metrics["cases_7d_per_100k"][0, hit] == 350.0).all()
    zones = service.zones_on(store, get_scheme("who-ct-2021"), "regency", "2021-07-16")
    assert zones["at_least"].tolist() == [True, False]
    assert zones["coverage"].tolist() == [0.5, 1.0]
    assert zones["zone"].tolist() == ["level-4", "level-4"]


def test_zones_on_a_day(tiny_store: Store):
    scheme = get_scheme("who-ct-2021")
    frame = service.zones_on(tiny_store, scheme, "regency", "2021-07-10")
    assert list(frame["zone"]) == ["level-4", "level-4"]
    assert list(frame["name"]) == ["Kabupaten Satu", "Kota Dua"]
    assert frame["window_complete"].all()
    early = service.zones_on(tiny_store, scheme, "regency", "2021-07-03")
    assert early["zone"].isna().all()  # incomplete window: no zone, never a low zone


def test_cache_follows_data_version(tiny_store: Store):
    scheme = get_scheme("who-ct-2021")
    first = service.zones_on(tiny_store, scheme, "village", "2021-07-10")
    assert service.zones_on(tiny_store, scheme, "village", "2021-07-10") is first
    tiny_store.set_meta(note="bump")
    assert service.zones_on(tiny_store, scheme, "village", "2021-07-10") is not first


def test_settled_day_skips_provisional_days(tiny_store: Store):
    data = service.level_data(tiny_store, "village")
    assert data.as_of == pd.Timestamp("2021-07-21")
    # the last 3 days are provisional and so is every window that reaches them
    assert data.settled_day == pd.Timestamp("2021-07-18")


def test_zone_history_and_last_change(tiny_store: Store):
    scheme = get_scheme("who-ct-2021")
    history = service.zone_history(tiny_store, scheme, "village", "33.01.01.2001")
    assert list(history["zone_index"][:6]) == [NO_ZONE] * 6
    assert (history["zone"][6:] == "level-4").all()
    changes = zone_changes(history["zone_index"].to_numpy())
    assert changes.day.tolist() == [-1] and changes.current.tolist() == [3]


def test_case_series(tiny_store: Store):
    series = service.case_series(tiny_store, "regency", "33.02")
    assert series["new_cases"].iloc[0] == 7
    assert np.isnan(series["avg7"].iloc[5]) and series["avg7"].iloc[6] == pytest.approx(7)
    assert series["provisional"].iloc[-1] and not series["provisional"].iloc[0]


def test_no_counts_below_level_is_a_clear_error(tmp_path):
    store = Store(str(tmp_path / "empty.db"))
    with pytest.raises(LookupError, match="no daily counts"):
        service.level_data(store, "regency")


def test_scheme_whose_metrics_the_level_lacks_gives_no_zone(tiny_store: Store):
    scheme = get_scheme("ppkm-mikro-2021-04")  # reads houses_7d; the tiny store has none
    frame = service.zones_on(tiny_store, scheme, "district", "2021-07-10")
    assert len(frame) == 2
    assert (frame["zone_index"] == -1).all()
    assert service.zone_panel(tiny_store, scheme, "district").shape == (2, 21)


def _forget_everything() -> None:
    for shelf in cache._SHELVES.values():
        shelf.clear()


def test_a_restarted_server_reads_the_counts_snapshot_not_the_rows(tiny_store: Store, monkeypatch):
    first = service.level_data(tiny_store, "regency")
    _forget_everything()  # as after a restart
    fresh = Store(tiny_store.url)
    monkeypatch.setattr(Store, "counts", lambda *a, **k: pytest.fail("read the rows again"))
    again = service.level_data(fresh, "regency")
    np.testing.assert_array_equal(again.panel.values["new_cases"], first.panel.values["new_cases"])
    np.testing.assert_array_equal(
        again.metrics["cases_7d_per_100k"], first.metrics["cases_7d_per_100k"]
    )


def test_a_snapshot_of_older_data_is_not_used(tiny_store: Store):
    before = service.level_data(tiny_store, "village").panel.values["new_cases"].copy()
    counts = tiny_counts()
    counts = counts[counts["date"] == counts["date"].max()].assign(new_cases=999.0)
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "counts", "fix.csv", "ab" * 32, "test", 4, 4)
        tiny_store.write_counts(conn, counts, upload)
    _forget_everything()
    after = service.level_data(Store(tiny_store.url), "village").panel.values["new_cases"]
    assert (after[:, -1] == 999).all() and not (before[:, -1] == 999).all()


def _full_rebuild(store: Store, level: str) -> service.LevelData:
    _forget_everything()
    with store.engine.begin() as conn:
        conn.execute(sa.delete(snapshots))
    return service.level_data(Store(store.url), level)


def test_after_an_upload_only_the_new_rows_are_read(tiny_store: Store, monkeypatch):
    service.level_data(tiny_store, "regency")  # as on a running server: snapshot made
    more = tiny_counts(days=3, start="2021-07-20").assign(new_cases=50.0)  # 2 revised, 1 new
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "counts", "more.csv", "cd" * 32, "test", 12, 12)
        tiny_store.write_counts(conn, more, upload)
    asked = []
    read = Store.counts
    monkeypatch.setattr(Store, "counts", lambda s, **k: asked.append(k) or read(s, **k))
    patched = service.level_data(tiny_store, "regency")
    assert asked == [{"level": "village", "after_upload": upload - 1}]
    monkeypatch.undo()
    full = _full_rebuild(tiny_store, "regency")
    assert patched.panel.dates[-1] == pd.Timestamp("2021-07-22")
    for field, values in full.panel.values.items():
        np.testing.assert_array_equal(patched.panel.values[field], values)
    for name, values in full.metrics.items():
        np.testing.assert_array_equal(patched.metrics[name], values)


def test_a_changed_population_reads_every_count_again(tiny_store: Store, monkeypatch):
    service.level_data(tiny_store, "village")
    regions = tiny_regions()
    regions.loc[regions["code"] == "33.01.01.2001", "population"] = 4000
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "regions", "desa.gpkg", None, "test", 9, 1)
        tiny_store.write_regions(conn, regions, upload)
    asked = []
    read = Store.counts
    monkeypatch.setattr(Store, "counts", lambda s, **k: asked.append(k) or read(s, **k))
    data = service.level_data(tiny_store, "village")
    assert asked == [{"level": "village"}]
    assert data.panel.population[0] == 4000


def test_an_unreadable_snapshot_is_rebuilt_not_shown(tiny_store: Store):
    first = service.level_data(tiny_store, "village")
    _forget_everything()
    with tiny_store.engine.begin() as conn:
        conn.execute(sa.update(snapshots).values(payload=b"not a panel"))
    again = service.level_data(Store(tiny_store.url), "village")
    np.testing.assert_array_equal(again.panel.values["new_cases"], first.panel.values["new_cases"])


def _province(regencies: int = 2, districts: int = 5, villages: int = 100) -> pd.DataFrame:
    """A province of ``regencies x districts x villages`` villages of 1,000 people each."""
    rows = [("33", "P", "province", None, regencies * districts * villages * 1000)]
    for r in range(1, regencies + 1):
        rc = f"33.{r:02d}"
        rows.append((rc, f"R{r}", "regency", "33", districts * villages * 1000))
        for d in range(1, districts + 1):
            dc = f"{rc}.{d:02d}"
            rows.append((dc, f"D{r}{d}", "district", rc, villages * 1000))
            for v in range(1, villages + 1):
                rows.append((f"{dc}.{2000 + v}", f"V{r}{d}{v}", "village", dc, 1000))
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population"])


def test_a_province_with_a_thousandth_of_village_days_missing_has_zones_everywhere(tmp_path):
    from conftest import write_store

    regions = _province()
    villages = regions[regions["level"] == "village"]["code"].to_numpy()
    dates = pd.date_range("2021-07-01", periods=28, freq="D")
    rng = np.random.default_rng(11)
    counts = pd.DataFrame(
        {
            "region": np.repeat(villages, len(dates)),
            "date": np.tile(dates, len(villages)),
            "new_cases": rng.poisson(0.3, len(villages) * len(dates)).astype(float),
        }
    )
    keep = rng.random(len(counts)) >= 0.001
    assert (~keep).sum() >= 20  # about 28 of 28,000 village-days missing
    store = write_store(tmp_path / "p.db", regions, counts[keep])
    scheme = get_scheme("who-ct-2021")
    for level in ("province", "regency", "district"):
        data = service.level_data(store, level)
        zones = service.zone_panel(store, scheme, level)
        settled = slice(6, None)  # every day with a full week behind it
        assert (zones[:, settled] >= 0).all(), level
        cover = data.metrics["coverage"][:, settled]
        assert (cover >= 0.95).all() and (cover <= 1.0).all()
        if level == "province":
            assert (cover < 1.0).any()  # the gaps are seen, and said
    day = dates[-1]
    frame = service.zones_on(store, scheme, "district", day)
    assert {"coverage", "at_least"} <= set(frame.columns)
    assert frame["zone"].notna().all() and not frame["at_least"].any()


def test_a_district_reporting_its_own_counts_does_not_blank_its_neighbours(tmp_path):
    from conftest import write_store

    regions = _province(regencies=1, districts=3, villages=4)
    dates = pd.date_range("2021-07-01", periods=14, freq="D")
    villages = regions[regions["level"] == "village"]["code"].to_numpy()
    counts = pd.DataFrame(
        {
            "region": np.repeat(villages, len(dates)),
            "date": np.tile(dates, len(villages)),
            "new_cases": 1.0,
        }
    )
    # District 33.01.02 sends its own totals (it counts 3 more cases a day than its villages).
    own = pd.DataFrame({"region": "33.01.02", "date": dates, "new_cases": 7.0})
    store = write_store(tmp_path / "m.db", regions, pd.concat([counts, own]))
    district = service.level_data(store, "district")
    week = district.metrics["cases_7d"][:, -1].tolist()
    assert week == [28.0, 49.0, 28.0]  # neighbours from their 4 villages; 33.01.02 its own
    assert (district.metrics["coverage"][:, -1] == 1.0).all()
    regency = service.level_data(store, "regency")
    assert regency.metrics["cases_7d"][0, -1] == 105.0
    province = service.zones_on(store, get_scheme("who-ct-2021"), "province", dates[-1])
    assert province["zone"].notna().all()


@pytest.mark.parametrize("with_beds", [True, False])
def test_cdc_bed_share_reaches_the_levels_above_only_with_bed_counts(tmp_path, with_beds):
    """Districts report CDC's bed share (and, in one case, their staffed beds): the regency's
    share is bed-weighted, so CDC's level above the county-like level does not run on
    admissions alone; without beds it is not computed, and the policy says what is lacking."""
    from conftest import write_store

    from zoning.views import policy

    regions = _province(regencies=1, districts=2, villages=1)
    districts = ["33.01.01", "33.01.02"]
    dates = pd.date_range("2021-07-01", periods=7, freq="D")
    rows = []
    for code, pct, beds in zip(districts, (20.0, 5.0), (100.0, 300.0), strict=True):
        for day in dates:
            row = {"region": code, "date": day, "new_cases": 0.0, "admissions": 0.0}
            row["inpatient_covid_pct"] = pct
            if with_beds:
                row["beds_staffed"] = beds
            rows.append(row)
    store = write_store(tmp_path / "beds.db", regions, pd.DataFrame(rows))
    scheme = get_scheme("cdc-community-levels-2022")
    zones = service.zones_on(store, scheme, "regency", dates[-1])
    if with_beds:
        # (20 % of 100 + 5 % of 300) / 400 beds = 8.75 %: low, from beds and admissions
        assert zones["inpatient_covid_pct"].tolist() == [8.75]
        assert zones["zone"].tolist() == ["low"]
    else:
        assert zones["inpatient_covid_pct"].isna().all()
        status = policy.zone_status(store, scheme, "regency", "33.01", dates[-1])
        assert status.unreported == ("inpatient_covid_pct",)


def _buffers(column: pd.Series) -> set[int]:
    """The addresses of the buffers behind a column (Arrow text or NumPy)."""
    if isinstance(column.dtype, np.dtype):
        return {column.to_numpy().__array_interface__["data"][0]}
    chunks = column.array.__arrow_array__().chunks
    return {b.address for chunk in chunks for b in chunk.buffers() if b is not None}


def test_each_day_s_zones_share_the_level_s_codes_and_names(tiny_store: Store):
    """A day's zones table holds its figures; codes, names and parents are the level's, kept
    once (at 83,402 villages they were 5 MB more for every day viewed)."""
    scheme = get_scheme("who-ct-2021")
    one = service.zones_on(tiny_store, scheme, "village", "2021-07-10")
    other = service.zones_on(tiny_store, scheme, "village", "2021-07-11")
    for column in ("code", "name", "parent"):
        assert _buffers(one[column]) & _buffers(other[column]), column
    named = service.regions(tiny_store, "village").set_index("code")
    assert one.set_index("code")["name"].to_dict() == named["name"].reindex(one["code"]).to_dict()
