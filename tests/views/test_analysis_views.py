"""Smoothed zones, hot spots and Rt as the pages get them (zoning.views.analysis and the
public side in zoning.views.published), and the map payload that draws them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import two_zone_scheme, write_store
from shapely.geometry import box

from zoning.model import spatial
from zoning.model.schemes import loads_scheme
from zoning.render import mapdata
from zoning.views import analysis, published, service

#: Ten villages in a row: people and cases in the week to the last day.
PEOPLE = [200, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000]
WEEK = [1, 2, 4, 6, 8, 10, 3, 5, 25, 7]
DAY = "2021-07-14"


def regions() -> gpd.GeoDataFrame:
    total = float(sum(PEOPLE))
    rows = [
        ("33", "Provinsi Uji", "province", None, total, box(0, 0, 10, 1)),
        ("33.01", "Kabupaten Satu", "regency", "33", total, box(0, 0, 10, 1)),
        ("33.01.01", "Kecamatan A", "district", "33.01", total, box(0, 0, 10, 1)),
    ]
    rows += [
        (f"33.01.01.20{i + 1:02d}", f"Desa {i + 1}", "village", "33.01.01", float(p),
         box(i, 0, i + 1, 1))
        for i, p in enumerate(PEOPLE)
    ]  # fmt: skip
    cols = ["code", "name", "level", "parent", "population", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:4326")


@pytest.fixture
def store(tmp_path: Path):
    """Two weeks; each village's cases of the second week all on its first day."""
    dates = pd.date_range("2021-07-01", DAY, freq="D")
    villages = regions().query("level == 'village'")["code"].tolist()
    rows = [
        (code, d, float(WEEK[i]) if j == 7 else 0.0)
        for i, code in enumerate(villages)
        for j, d in enumerate(dates)
    ]
    counts = pd.DataFrame(rows, columns=["region", "date", "new_cases"])
    return write_store(tmp_path / "v.db", regions(), counts)


@pytest.fixture
def scheme():
    return loads_scheme(two_zone_scheme())  # "high" from 500 cases per 100,000 a week


def test_a_village_of_200_people_with_one_case_is_red_raw_and_not_smoothed(store, scheme):
    raw = service.zones_on(store, scheme, "village", DAY).set_index("code")
    smooth = analysis.smoothed_zones(store, scheme, "village", DAY, "eb").set_index("code")
    small = "33.01.01.2001"
    assert raw.loc[small, "cases_7d_per_100k"] == 500.0  # exactly at the cut: high
    assert raw.loc[small, "zone"] == "high"
    assert smooth.loc[small, "zone"] == "low"
    overall = 100_000 * sum(WEEK) / sum(PEOPLE)
    assert overall < smooth.loc[small, "rate_smoothed"] < 500.0  # pulled towards the level
    # a big village's rate barely moves, and its zone is the scheme's on its smoothed rate
    assert smooth["zone"].tolist() == [
        "high" if r >= 500 else "low" for r in smooth["rate_smoothed"]
    ]


def test_uncertain_where_a_cut_off_is_between_20_and_80_percent_likely(store, scheme):
    smooth = analysis.smoothed_zones(store, scheme, "village", DAY, "eb").set_index("code")
    zones = service.zones_on(store, scheme, "village", DAY)
    events = zones["new_cases_7d"].to_numpy(dtype=float)
    people = zones["population"].to_numpy(dtype=float)
    prior = spatial.eb_rates(events, people)
    p = spatial.p_above(events, people, prior, 500.0)
    expected = (p >= 0.2) & (p <= 0.8)
    assert smooth["uncertain"].to_numpy().tolist() == expected.tolist()
    assert smooth.loc["33.01.01.2009", "uncertain"]  # 25 cases in 5,000: 500, on the cut
    assert not smooth.loc["33.01.01.2002", "uncertain"]  # 2 in 5,000: far below


def test_spatial_smoothing_pulls_towards_the_neighbours(store, scheme):
    globally = analysis.smoothed_zones(store, scheme, "village", DAY, "eb").set_index("code")
    locally = analysis.smoothed_zones(store, scheme, "village", DAY, "seb").set_index("code")
    # village 9 (25 cases) sits between 5 and 7: its neighbours are lower than the level
    assert locally.loc["33.01.01.2009", "rate_smoothed"] != pytest.approx(
        globally.loc["33.01.01.2009", "rate_smoothed"]
    )


def test_smoothed_series_ends_on_the_map_values(store, scheme):
    codes = ["33.01.01.2001", "33.01.01.2009"]
    series = analysis.smoothed_series(store, scheme, "village", codes)
    last = series[series["date"] == pd.Timestamp(DAY)].set_index("code")
    smooth = analysis.smoothed_zones(store, scheme, "village", DAY, "eb").set_index("code")
    for code in codes:
        assert last.loc[code, "smoothed"] == pytest.approx(smooth.loc[code, "rate_smoothed"])
        assert last.loc[code, "raw"] == pytest.approx(
            100_000 * WEEK[int(code[-2:]) - 1] / PEOPLE[int(code[-2:]) - 1]
        )
    # the first week is incomplete: no rate, raw or smoothed (missing is never zero)
    first = series[series["date"] < pd.Timestamp("2021-07-07")]
    assert first["raw"].isna().all() and first["smoothed"].isna().all()


def test_the_public_gets_no_smoothed_rates_at_village_level(store, scheme):
    def zones(level: str, public: bool):
        return published.public_smoothed_zones(store, scheme, level, DAY, "eb", public=public)

    assert zones("village", public=True) is None
    assert zones("village", public=False) is not None
    assert zones("regency", public=True) is not None
    codes = ["33.01.01.2001"]
    assert published.public_smoothed_series(store, scheme, "village", codes, public=True) is None


def test_the_public_gets_the_hot_spot_flag_only_at_small_levels(store):
    public = published.public_hot_spots(store, "village", DAY, public=True)
    analyst = published.public_hot_spots(store, "village", DAY, public=False)
    assert list(public.columns) == ["code", "name", "hotspot"]
    assert list(analyst.columns) == ["code", "name", "z", "p_fdr", "hotspot"]
    # the public's flags on a Wednesday are the Sunday's, like every small-level 7-day figure
    sunday = published.public_hot_spots(store, "village", "2021-07-11", public=False)
    assert public["hotspot"].tolist() == sunday["hotspot"].tolist()
    week = [published.public_hot_spots(store, "village", f"2021-07-{d}", public=True)["hotspot"]
            for d in range(11, 18)]  # fmt: skip
    assert all(w.tolist() == week[0].tolist() for w in week[:-1])  # Sunday 11 .. Saturday 17
    assert analyst["code"].tolist() == public["code"].tolist()


def test_rt_only_at_province_and_regency(store):
    assert published.public_rt(store, "village", ["33.01.01.2001"], public=False) is None
    found = published.public_rt(store, "regency", ["33.01"], public=True)
    assert list(found.columns) == ["date", "rt", "rt_lower", "rt_upper", "code"]
    assert (found["code"] == "33.01").all()


def test_the_serial_interval_comes_from_the_settings(monkeypatch):
    assert analysis.serial_interval_setting() == (4.7, 2.9)
    monkeypatch.setenv("ZONING_SI_MEAN", "6.5")
    monkeypatch.setenv("ZONING_SI_SD", "4")
    assert analysis.serial_interval_setting() == (6.5, 4.0)
    monkeypatch.setenv("ZONING_SI_SD", "four")
    with pytest.raises(Exception, match="ZONING_SI_SD must be a number"):
        analysis.serial_interval_setting()


def test_the_map_payload_draws_smoothed_zones_and_marks(store, scheme):
    geometry = mapdata.level_geometry(store, "village")
    view = mapdata.view_of(
        store, scheme, "village", DAY, "en", public=False, level_label="Villages",
        smooth="eb", hotspots=True,
    )  # fmt: skip
    smooth = analysis.smoothed_zones(store, scheme, "village", DAY, "eb").set_index("code")
    expected = smooth["zone_index"].reindex(list(geometry.codes)).tolist()
    assert view["zones"] == expected
    assert view["marks"]["uncertain"] == [int(smooth.loc[c, "uncertain"]) for c in geometry.codes]
    assert len(view["marks"]["hotspot"]) == len(geometry.codes)
    assert set(view["mark_labels"]) == {"uncertain", "hotspot"}
    labels = [f["label"] for f in view["fields"]]
    assert "Smoothed rate" in labels and "Zone uncertain" in labels and "Hot spot" in labels
    plain = mapdata.view_of(store, scheme, "village", DAY, "id", public=False, level_label="Desa")
    assert plain["marks"] == {} and plain["mark_labels"] == {}


def test_a_public_map_at_village_level_is_never_smoothed(store, scheme):
    raw = service.zones_on(store, scheme, "village", DAY).set_index("code")
    geometry = mapdata.level_geometry(store, "village")
    view = mapdata.view_of(
        store, scheme, "village", DAY, "en", public=True, level_label="Villages", smooth="eb",
    )  # fmt: skip
    assert view["zones"] == raw["zone_index"].reindex(list(geometry.codes)).tolist()
    assert "uncertain" not in view["marks"]
    assert not np.any(["Smoothed" in f["label"] for f in view["fields"]])
