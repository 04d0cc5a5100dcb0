"""The built-in demo province: real regency table, generated lower levels, shapes and counts."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from zoning import demo
from zoning.model.codes import depth, normalise_code, parent_code

LEVELS = ("province", "regency", "district", "village", "rw", "rt")
COUNT_FIELDS = ["new_cases", "deaths", "admissions", "tests", "positives"]
SP2020_TOTAL = 36_516_035


@pytest.fixture(scope="module")
def regions() -> gpd.GeoDataFrame:
    return demo.demo_regions()


@pytest.fixture(scope="module")
def counts(regions: gpd.GeoDataFrame) -> pd.DataFrame:
    return demo.demo_counts(regions)


@pytest.fixture(scope="module")
def houses(regions: gpd.GeoDataFrame) -> pd.DataFrame:
    return demo.demo_houses(regions)


@pytest.fixture(scope="module")
def province_daily(counts: pd.DataFrame) -> pd.DataFrame:
    return counts.groupby("date")[COUNT_FIELDS].sum()


def _at(regions: pd.DataFrame, code: str) -> pd.Series:
    """The row of one region."""
    return regions.set_index("code").loc[code]


# --------------------------------------------------------------------------- regency table


def test_regency_table_is_the_real_province() -> None:
    table = demo.regency_table()
    assert len(table) == 35
    assert table["population"].sum() == SP2020_TOTAL
    assert (table["kind"] == "kabupaten").sum() == 29
    assert (table["kind"] == "kota").sum() == 6
    expected = [f"33.{n:02d}" for n in range(1, 30)] + [f"33.{n}" for n in range(71, 77)]
    assert list(table["code"]) == expected
    names = dict(zip(table["code"], table["name"], strict=True))
    assert names["33.01"] == "Kabupaten Cilacap"
    assert names["33.22"] == "Kabupaten Semarang"
    assert names["33.74"] == "Kota Semarang"
    assert names["33.26"] == "Kabupaten Pekalongan"
    assert names["33.75"] == "Kota Pekalongan"
    assert names["33.76"] == "Kota Tegal"
    kinds = dict(zip(table["code"], table["kind"], strict=True))
    assert all(kinds[c] == ("kota" if c >= "33.71" else "kabupaten") for c in kinds)
    assert table["lon"].between(108.5, 111.7).all()
    assert table["lat"].between(-8.2, -6.4).all()


# --------------------------------------------------------------------------- regions


def test_regions_columns_and_crs(regions: gpd.GeoDataFrame) -> None:
    assert list(regions.columns) == ["code", "name", "level", "parent", "population", "geometry"]
    assert regions.crs is not None and regions.crs.to_epsg() == 4326
    assert regions["code"].is_unique
    assert set(regions["level"]) == set(LEVELS)


def test_level_sizes(regions: gpd.GeoDataFrame) -> None:
    size = regions["level"].value_counts()
    assert size["province"] == 1
    assert size["regency"] == 35
    assert 1_500 <= size["village"] <= 2_500
    per_regency = regions[regions["level"] == "district"].groupby("parent").size()
    assert len(per_regency) == 35 and per_regency.between(4, 8).all()
    per_district = regions[regions["level"] == "village"].groupby("parent").size()
    assert per_district.between(5, 10).all()


def test_rw_rt_only_in_a_few_kelurahan_of_kota_semarang(regions: gpd.GeoDataFrame) -> None:
    rw = regions[regions["level"] == "rw"]
    rt = regions[regions["level"] == "rt"]
    villages = rw["parent"].unique()
    assert 3 <= len(villages) <= 4
    assert all(v.startswith("33.74.") for v in villages)
    assert rw.groupby("parent").size().between(4, 6).all()
    assert rt.groupby("parent").size().between(4, 8).all()
    assert set(rt["parent"]) == set(rw["code"])


def test_codes_are_normalised_and_hierarchical(regions: gpd.GeoDataFrame) -> None:
    codes = set(regions["code"])
    for code, level, parent in regions[["code", "level", "parent"]].itertuples(index=False):
        assert normalise_code(code) == code
        assert depth(code) == LEVELS.index(level) + 1
        if level == "province":
            assert code == "33" and pd.isna(parent)
        else:
            assert parent == parent_code(code)
            assert parent in codes


def test_village_codes_and_names(regions: gpd.GeoDataFrame) -> None:
    villages = regions[regions["level"] == "village"]
    number = villages["code"].str.rsplit(".", n=1).str[1].astype(int)
    kelurahan = villages["name"].str.startswith("Kelurahan ")
    assert (kelurahan | villages["name"].str.startswith("Desa ")).all()
    assert (number[kelurahan] // 1000 == 1).all()
    assert (number[~kelurahan] // 1000 == 2).all()
    in_kota = villages["code"].str[3:5] >= "71"
    assert kelurahan[in_kota].all()
    assert not kelurahan[~in_kota].all()


def test_populations_sum_exactly_to_parents(regions: gpd.GeoDataFrame) -> None:
    assert (regions["population"] > 0).all()
    assert _at(regions, "33")["population"] == SP2020_TOTAL
    sums = regions.dropna(subset=["parent"]).groupby("parent")["population"].sum()
    own = regions.set_index("code")["population"]
    pd.testing.assert_series_equal(sums, own[sums.index], check_names=False)


def test_geometry_is_valid_and_polygonal(regions: gpd.GeoDataFrame) -> None:
    geoms = regions.geometry
    assert geoms.is_valid.all()
    assert not geoms.is_empty.any()
    assert set(geoms.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (shapely.area(geoms.to_numpy()) > 0).all()
    minx, miny, maxx, maxy = geoms.total_bounds
    assert minx >= 108.5 and maxx <= 111.75
    assert miny >= -8.25 and maxy <= -6.35


@pytest.mark.parametrize(
    "parent",
    [
        "33",  # province into regencies and cities
        "33.22",  # Kabupaten Semarang, with Kota Salatiga carved out
        "33.74",  # Kota Semarang
        "33.01.01",  # a district
        "village",  # a kelurahan with RW
        "rw",  # an RW with RT
    ],
)
def test_children_tile_parent(regions: gpd.GeoDataFrame, parent: str) -> None:
    if parent in ("village", "rw"):
        below = "rw" if parent == "village" else "rt"
        parent = regions.loc[regions["level"] == below, "parent"].iloc[0]
    target = _at(regions, parent).geometry
    children = regions[regions["parent"] == parent].geometry
    assert len(children) >= 4
    union = shapely.union_all(children.to_numpy())
    assert union.area == pytest.approx(target.area, rel=1e-6)
    assert shapely.symmetric_difference(union, target).area <= 1e-6 * target.area
    # no overlaps: the children's areas add up to the union's
    assert shapely.area(children.to_numpy()).sum() == pytest.approx(union.area, rel=1e-6)


def test_every_level_tiles_the_province(regions: gpd.GeoDataFrame) -> None:
    province = _at(regions, "33").geometry.area
    for level in ("regency", "district", "village"):
        area = shapely.area(regions.loc[regions["level"] == level].geometry.to_numpy()).sum()
        assert area == pytest.approx(province, rel=1e-6), level


def test_cities_are_small_and_salatiga_is_an_enclave(regions: gpd.GeoDataFrame) -> None:
    regencies = regions[regions["level"] == "regency"].set_index("code")
    area = pd.Series(shapely.area(regencies.geometry.to_numpy()), index=regencies.index)
    kota = area.index >= "33.71"
    assert area[kota].max() < area[~kota].min()
    salatiga = regencies.geometry["33.73"]
    host = regencies.geometry["33.22"]
    # all of Salatiga's border is shared with Kabupaten Semarang
    assert salatiga.boundary.difference(host.boundary.buffer(1e-9)).length == 0
    assert not salatiga.intersection(host).area


def test_seat_lies_in_its_regency_or_city(regions: gpd.GeoDataFrame) -> None:
    shapes = regions.set_index("code").geometry
    for rec in demo.regency_table().itertuples(index=False):
        assert shapes[rec.code].contains(shapely.Point(rec.lon, rec.lat)), rec.name


def test_regions_are_deterministic(regions: gpd.GeoDataFrame) -> None:
    fresh = demo._build_regions(demo.SEED)  # bypasses the cache behind demo_regions()
    pd.testing.assert_frame_equal(fresh.drop(columns="geometry"), regions.drop(columns="geometry"))
    assert fresh.geometry.geom_equals_exact(regions.geometry, tolerance=0).all()


def test_demo_regions_returns_a_copy() -> None:
    first = demo.demo_regions()
    first.loc[0, "population"] = -1
    assert demo.demo_regions().loc[0, "population"] == SP2020_TOTAL


def test_geometry_note_is_bilingual() -> None:
    assert set(demo.DEMO_GEOMETRY_NOTE) == {"id", "en"}
    assert "skematis" in demo.DEMO_GEOMETRY_NOTE["id"]
    assert "schematic" in demo.DEMO_GEOMETRY_NOTE["en"]
    assert set(demo.DEMO_SOURCE) == {"id", "en"}
    assert "36,516,035" in demo.DEMO_SOURCE["en"]


# --------------------------------------------------------------------------- counts


def test_counts_shape(regions: gpd.GeoDataFrame, counts: pd.DataFrame) -> None:
    assert list(counts.columns) == ["region", "date", *COUNT_FIELDS]
    villages = sorted(regions.loc[regions["level"] == "village", "code"])
    assert sorted(counts["region"].unique()) == villages
    assert pd.api.types.is_datetime64_any_dtype(counts["date"])
    assert (counts["date"] == counts["date"].dt.normalize()).all()
    assert counts["date"].min().date() == dt.date(2020, 9, 1)
    assert counts["date"].max().date() == demo.DEMO_AS_OF == dt.date(2021, 10, 31)
    assert type(demo.DEMO_AS_OF) is dt.date
    n_days = (demo.DEMO_AS_OF - demo.DEMO_START).days + 1
    assert n_days == 426
    assert len(counts) == len(villages) * n_days
    assert not counts.duplicated(["region", "date"]).any()


def test_counts_are_deterministic(regions: gpd.GeoDataFrame, counts: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(counts, demo.demo_counts(regions))


def test_counts_are_whole_and_non_negative(counts: pd.DataFrame) -> None:
    values = counts[COUNT_FIELDS].to_numpy()
    present = values[~np.isnan(values)]
    assert (present >= 0).all()
    assert (present == np.round(present)).all()
    reported = counts.dropna(subset=COUNT_FIELDS)
    assert (reported["positives"] <= reported["tests"]).all()


def test_missing_days_are_nan_not_zero(counts: pd.DataFrame) -> None:
    missing = counts[COUNT_FIELDS].isna()
    assert missing["new_cases"].any()
    # a village that did not report has no value in any field (never zeros)
    assert missing.all(axis=1).sum() == missing.any(axis=1).sum()
    # gaps are whole regency-days (a regency reports for all its villages), so every
    # village of a regency misses the same days
    regency = counts["region"].str[:5]
    gap_days = counts[missing["new_cases"]].groupby(regency)["date"].nunique()
    village_days = counts[missing["new_cases"]].groupby(regency).size()
    villages = counts.groupby(regency)["region"].nunique()
    assert (village_days == gap_days * villages.reindex(gap_days.index)).all()
    assert 1 <= len(gap_days) <= 4


def test_epidemic_waves(province_daily: pd.DataFrame) -> None:
    smooth = province_daily["new_cases"].rolling(7, center=True).mean()
    peak = smooth.idxmax()
    assert (peak.year, peak.month) == (2021, 7)
    assert 3_000 <= smooth.max() <= 5_500
    winter = smooth["2020-12-15":"2021-02-28"].max()
    lull = smooth["2021-04-01":"2021-05-31"].mean()
    autumn = smooth["2020-09-04":"2020-10-31"].mean()
    assert 1_000 <= winter <= 2_000
    assert lull < winter / 2
    assert 300 <= autumn <= 800
    assert smooth["2021-10-01":"2021-10-28"].mean() < 300


def test_weekday_and_reporting_lag(province_daily: pd.DataFrame) -> None:
    cases = province_daily["new_cases"]
    by_weekday = cases.groupby(cases.index.day_of_week).mean()
    assert by_weekday.idxmin() == 6  # Sunday
    recent = cases.iloc[-10:-3].mean()
    assert cases.iloc[-1] < 0.6 * recent
    assert cases.iloc[-3:].mean() < recent


def test_deaths_admissions_tests_positivity(province_daily: pd.DataFrame) -> None:
    total = province_daily.sum()
    assert 0.02 <= total["deaths"] / total["new_cases"] <= 0.04
    assert 0.10 <= total["admissions"] / total["new_cases"] <= 0.15
    monthly = province_daily.resample("MS").sum()
    tests_per_case = monthly["tests"] / monthly["new_cases"]
    assert tests_per_case.between(4, 25).all()
    positivity = monthly["positives"] / monthly["tests"]
    assert positivity.min() <= 0.07
    assert 0.22 <= positivity.max() <= 0.35
    assert positivity.idxmax().month == 7
    # deaths lag cases: the death peak comes after the case peak
    smooth = province_daily.rolling(7, center=True).mean()
    assert smooth["deaths"].idxmax() > smooth["new_cases"].idxmax()


def test_every_who_zone_occurs_every_week(regions: gpd.GeoDataFrame, counts: pd.DataFrame) -> None:
    population = regions.set_index("code")["population"]
    week = counts["date"].dt.to_period("W-SUN")
    weekly = counts.groupby(["region", week])["new_cases"].sum().unstack()
    per_100k = weekly.div(population[weekly.index], axis=0) * 1e5
    full_weeks = per_100k.columns[1:-1]  # the first and last weeks are partial
    bins = [0, 20, 50, 150, np.inf]
    for column in full_weeks:
        zones = pd.cut(per_100k[column], bins, right=False).value_counts()
        assert (zones > 0).all(), f"week {column}: {zones.to_dict()}"


# --------------------------------------------------------------------------- houses (RT)


def test_houses_shape(regions: gpd.GeoDataFrame, houses: pd.DataFrame) -> None:
    assert list(houses.columns) == ["region", "date", "houses_7d"]
    rts = sorted(regions.loc[regions["level"] == "rt", "code"])
    assert sorted(houses["region"].unique()) == rts
    assert len(houses) == len(rts) * 426
    pd.testing.assert_frame_equal(houses, demo.demo_houses(regions))


def test_houses_cover_every_ppkm_mikro_zone(houses: pd.DataFrame) -> None:
    values = houses["houses_7d"].dropna()
    assert 0 < houses["houses_7d"].isna().mean() < 0.02
    assert (values >= 0).all() and (values == np.round(values)).all()
    assert values.max() <= 30
    # green 0, yellow 1-5, orange 6-10, red > 10 (and the stricter 1-2 / 3-5 / > 5)
    for low, high in [(0, 0), (1, 5), (6, 10), (11, np.inf), (1, 2), (3, 5), (6, np.inf)]:
        assert values.between(low, high).any(), (low, high)
    # they follow the epidemic: most households with a case during the Delta wave
    monthly = houses.groupby(houses["date"].dt.to_period("M"))["houses_7d"].mean()
    assert monthly.idxmax() == pd.Period("2021-07", "M")
    july = values[houses["date"].dt.to_period("M") == pd.Period("2021-07", "M")]
    assert (july > 10).any() and july.between(6, 10).any() and july.between(1, 5).any()
