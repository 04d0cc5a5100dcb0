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


def test_the_real_province_every_region(regions: gpd.GeoDataFrame) -> None:
    size = regions["level"].value_counts()
    assert (size["province"], size["regency"], size["district"], size["village"]) == (
        1,
        35,
        576,
        8_563,
    )
    real = demo.boundaries()
    for level in ("regency", "district", "village"):
        mine = regions[regions["level"] == level].set_index("code")
        theirs = real[real["level"] == level].set_index("code")
        assert sorted(mine.index) == sorted(theirs.index)
        assert (mine["name"] == theirs["name"][mine.index]).all()
    # the real names, not generated ones
    names = regions.set_index("code")["name"]
    assert names["33.74.01.1001"] == "Miroto"
    assert names["33.74.01"] == "Semarang Tengah"
    assert names["33.01"] == "Kabupaten Cilacap"


def test_boundaries_are_the_source_shapes(regions: gpd.GeoDataFrame) -> None:
    """The demo draws the boundary file's shapes as they are (valid ones are not touched)."""
    real = demo.boundaries().set_index("code")
    mine = regions.set_index("code").geometry
    for code in ("33.01", "33.74.01", "33.74.01.1001", "33.29.17.2010"):
        assert mine[code].equals_exact(real.geometry[code], tolerance=0)


def test_boundary_file_has_every_level_and_its_licence() -> None:
    from importlib import resources

    folder = resources.files("zoning").joinpath("data").joinpath("jawa-tengah")
    licence = folder.joinpath("LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Cahya DSN" in licence
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "cahyadsn/wilayah_boundaries" in readme
    table = demo.boundaries()
    assert list(table.columns) == ["code", "name", "level", "parent", "area_km2", "geometry"]
    assert (table["area_km2"] > 0).all()
    # the province is the union of its regencies; the others are the source's shapes
    province = table[table["level"] == "province"]
    assert list(province["code"]) == ["33"]
    # Jawa Tengah with Karimunjawa covers about 34,000 km²
    assert 32_000 <= province["area_km2"].iloc[0] <= 35_000


def test_rw_rt_only_in_a_few_kelurahan_of_kota_semarang(regions: gpd.GeoDataFrame) -> None:
    rw = regions[regions["level"] == "rw"]
    rt = regions[regions["level"] == "rt"]
    villages = rw["parent"].unique()
    assert len(villages) == 4
    assert all(v.startswith("33.74.") and v.split(".")[3].startswith("1") for v in villages)
    assert rw.groupby("parent").size().between(4, 6).all()
    assert rt.groupby("parent").size().between(4, 8).all()
    assert set(rt["parent"]) == set(rw["code"])
    # each is the smallest kelurahan (by population) of its district
    everyone = regions.set_index("code")
    for village in villages:
        district = everyone.loc[village, "parent"]
        kelurahan = regions[(regions["parent"] == district) & (regions["level"] == "village")]
        assert everyone.loc[village, "population"] == kelurahan["population"].min()


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


def test_village_codes_tell_kelurahan_from_desa(regions: gpd.GeoDataFrame) -> None:
    villages = regions[regions["level"] == "village"]
    number = villages["code"].str.rsplit(".", n=1).str[1].astype(int)
    assert set(number // 1000) == {1, 2}  # 1nnn kelurahan, 2nnn desa
    in_kota = villages["code"].str[3:5] >= "71"
    assert (number[in_kota] // 1000 == 1).all()  # a city has only kelurahan


def test_populations_sum_exactly_to_parents(regions: gpd.GeoDataFrame) -> None:
    assert (regions["population"] > 0).all()
    assert _at(regions, "33")["population"] == SP2020_TOTAL
    sums = regions.dropna(subset=["parent"]).groupby("parent")["population"].sum()
    own = regions.set_index("code")["population"]
    pd.testing.assert_series_equal(sums, own[sums.index], check_names=False)
    census = demo.regency_table().set_index("code")["population"]
    assert (own[census.index] == census).all()


def test_village_populations_follow_the_stated_estimate() -> None:
    """sqrt(area), a kelurahan weighing KELURAHAN_WEIGHT times a desa, largest remainder."""
    villages = pd.DataFrame(
        {
            "code": ["33.01.01.2001", "33.01.01.2002", "33.01.01.1001", "33.02.01.2001"],
            "area_km2": [4.0, 16.0, 4.0, 9.0],
        }
    )
    regencies = pd.DataFrame({"code": ["33.01", "33.02"], "population": [1_003, 10]})
    out = demo.village_populations(villages, regencies)
    # weights 2, 4, 2 x 2.5 = 5 of 11: 1,000 people left after one each -> 181.8, 363.6, 454.5
    assert demo.KELURAHAN_WEIGHT == 2.5
    assert list(out) == [1 + 182, 1 + 364, 1 + 454, 10]
    assert out[:3].sum() == 1_003


def test_the_estimate_is_said_on_the_about_page_in_both_languages() -> None:
    from zoning.core.i18n import t

    assert "2,5" in t("about.demo_shapes", "id") and "akar kuadrat luas" in t(
        "about.demo_shapes", "id"
    )
    assert "2.5" in t("about.demo_shapes", "en") and "square root" in t("about.demo_shapes", "en")
    assert demo.KELURAHAN_WEIGHT == 2.5


def test_geometry_is_valid_and_polygonal(regions: gpd.GeoDataFrame) -> None:
    geoms = regions.geometry
    assert geoms.is_valid.all()
    assert not geoms.is_empty.any()
    assert set(geoms.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (shapely.area(geoms.to_numpy()) > 0).all()
    minx, miny, maxx, maxy = geoms.total_bounds
    assert minx >= 108.5 and maxx <= 111.75
    assert miny >= -8.25 and maxy <= -5.6  # Karimunjawa lies far north, near -5.8


@pytest.mark.parametrize("parent", ["33", "village", "rw"])
def test_children_tile_their_parent(regions: gpd.GeoDataFrame, parent: str) -> None:
    """The province is the union of its regencies; generated RW and RT tile their parent."""
    if parent in ("village", "rw"):
        below = "rw" if parent == "village" else "rt"
        parent = regions.loc[regions["level"] == below, "parent"].iloc[0]
    target = _at(regions, parent).geometry
    children = regions[regions["parent"] == parent].geometry
    assert len(children) >= 4
    union = shapely.union_all(children.to_numpy())
    assert shapely.symmetric_difference(union, target).area <= 1e-6 * target.area
    if parent != "33":  # the real regencies overlap a little where they were simplified
        assert shapely.area(children.to_numpy()).sum() == pytest.approx(union.area, rel=1e-6)


def test_real_levels_nest_as_far_as_the_source_does(regions: gpd.GeoDataFrame) -> None:
    """The real levels were simplified independently upstream: every district and village
    lies in its parent's outline grown by 500 m (a point inside it does)."""
    real = regions[regions["level"].isin(["regency", "district", "village"])]
    shapes = regions.set_index("code").geometry
    inside = shapely.point_on_surface(real.geometry.to_numpy())
    grown = shapely.buffer(shapes[real["parent"]].to_numpy(), 0.005)
    assert shapely.contains(grown, inside).all()


def test_salatiga_is_an_enclave_and_cities_are_small(regions: gpd.GeoDataFrame) -> None:
    regencies = regions[regions["level"] == "regency"].set_index("code")
    area = pd.Series(shapely.area(regencies.geometry.to_numpy()), index=regencies.index)
    kota = area.index >= "33.71"
    assert area[kota].max() < area[~kota].min()
    salatiga, host = regencies.geometry["33.73"], regencies.geometry["33.22"]
    # Kota Salatiga is a hole in Kabupaten Semarang
    holes = [shapely.Polygon(ring) for part in host.geoms for ring in part.interiors]
    assert any(hole.buffer(0.005).contains(salatiga) for hole in holes)


def test_seat_lies_in_its_regency_or_city(regions: gpd.GeoDataFrame) -> None:
    shapes = regions.set_index("code").geometry
    for rec in demo.regency_table().itertuples(index=False):
        assert shapes[rec.code].buffer(0.01).contains(shapely.Point(rec.lon, rec.lat)), rec.name


def test_regions_are_deterministic(regions: gpd.GeoDataFrame) -> None:
    fresh = demo.build_regions(demo.SEED)  # bypasses the cache behind demo_regions()
    pd.testing.assert_frame_equal(fresh.drop(columns="geometry"), regions.drop(columns="geometry"))
    assert fresh.geometry.geom_equals_exact(regions.geometry, tolerance=0).all()


def test_demo_regions_returns_a_copy() -> None:
    first = demo.demo_regions()
    first.loc[0, "population"] = -1
    assert demo.demo_regions().loc[0, "population"] == SP2020_TOTAL


def test_geometry_note_and_source_are_bilingual() -> None:
    assert set(demo.DEMO_GEOMETRY_NOTE) == {"id", "en"}
    assert "perkiraan" in demo.DEMO_GEOMETRY_NOTE["id"] and "asli" in demo.DEMO_GEOMETRY_NOTE["id"]
    assert "estimates" in demo.DEMO_GEOMETRY_NOTE["en"] and "real" in demo.DEMO_GEOMETRY_NOTE["en"]
    assert set(demo.DEMO_SOURCE) == {"id", "en"}
    assert "36,516,035" in demo.DEMO_SOURCE["en"]
    assert "cahyadsn/wilayah_boundaries" in demo.DEMO_ATTRIBUTION
    assert "MIT" in demo.DEMO_ATTRIBUTION


# --------------------------------------------------------------------------- counts


def test_counts_shape(regions: gpd.GeoDataFrame, counts: pd.DataFrame) -> None:
    assert list(counts.columns) == ["region", "date", *COUNT_FIELDS]
    villages = sorted(regions.loc[regions["level"] == "village", "code"])
    assert sorted(counts["region"].unique()) == villages
    assert pd.api.types.is_datetime64_any_dtype(counts["date"])
    assert (counts["date"] == counts["date"].dt.normalize()).all()
    assert counts["date"].min().date() == demo.DEMO_START == dt.date(2021, 3, 1)
    assert counts["date"].max().date() == demo.DEMO_AS_OF == dt.date(2021, 7, 6)
    assert type(demo.DEMO_AS_OF) is dt.date
    n_days = (demo.DEMO_AS_OF - demo.DEMO_START).days + 1
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
    # never in the last weeks: the first view has every regency's figures
    assert counts.loc[missing["new_cases"], "date"].max() < pd.Timestamp(demo.DEMO_AS_OF) - (
        pd.Timedelta(days=21)
    )


def _weekly_per_100k(
    counts: pd.DataFrame, regions: gpd.GeoDataFrame, digits: int, end: pd.Timestamp
) -> pd.DataFrame:
    """Cases per 100,000 in the 7 days up to each week's end, by region of a level (codes cut
    to ``digits`` characters), weeks ending on the weekday of ``end``."""
    code = counts["region"].str[:digits]
    start = end - pd.Timedelta(days=7 * ((end - counts["date"].min()).days // 7) - 1)
    week = (counts["date"] - start).dt.days // 7
    kept = counts["date"] >= start
    table = counts[kept].groupby([code[kept], week[kept]])["new_cases"].sum(min_count=1)
    weekly = table.unstack()
    population = regions.set_index("code")["population"]
    return weekly.div(population[weekly.index], axis=0) * 1e5


def _settled(province_daily: pd.DataFrame) -> pd.Timestamp:
    """The latest day whose 7-day window misses the last three (incomplete) days."""
    return province_daily.index[-1] - pd.Timedelta(days=3)


def test_the_series_ends_in_the_middle_of_a_rising_wave(province_daily: pd.DataFrame) -> None:
    settled = _settled(province_daily)
    week = province_daily["new_cases"].rolling(7).sum()
    # each of the last four settled weeks has more cases than the week before it
    ends = [settled - pd.Timedelta(days=7 * k) for k in range(5)]
    assert all(week[ends[k]] > week[ends[k + 1]] for k in range(4))
    # and the last is the highest of the series: the wave has not peaked
    assert week[settled] == week[:settled].max()
    # the spring lull, well below it
    lull = province_daily.loc["2021-04-01":"2021-05-20", "new_cases"].mean()
    assert week[settled] / 7 > 3 * lull
    assert 300 <= lull <= 1_200


def test_the_wave_reaches_districts_at_different_times(
    regions: gpd.GeoDataFrame, counts: pd.DataFrame, province_daily: pd.DataFrame
) -> None:
    """Weeks in which each district first has 50 cases per 100,000 (WHO level 3) after the
    lull: spread over weeks, nearby districts reached at nearby times, some not yet."""
    weekly = _weekly_per_100k(counts, regions, 8, _settled(province_daily))
    after_lull = weekly.loc[:, weekly.columns[-8:]]  # the last eight weeks
    reached = after_lull.ge(50)
    first = reached.idxmax(axis=1).where(reached.any(axis=1))
    assert first.nunique() >= 5  # at least five different weeks
    never = first.isna().mean()
    assert 0.2 <= never <= 0.8  # some districts are still quiet: silent, or late
    # neighbours are reached at about the same time: the mean gap between a district's week
    # and its nearest neighbour's is well below that of two districts at random
    districts = regions[regions["level"] == "district"].set_index("code")
    hit = first.dropna()
    points = shapely.point_on_surface(districts.geometry[hit.index].to_numpy())
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    dist = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(axis=1)
    weeks = hit.to_numpy(dtype=float)
    neighbour_gap = np.abs(weeks - weeks[nearest]).mean()
    random_gap = np.abs(weeks[:, None] - weeks[None, :]).mean()
    assert neighbour_gap < 0.6 * random_gap


def test_cases_cluster_in_neighbouring_villages(
    regions: gpd.GeoDataFrame, counts: pd.DataFrame
) -> None:
    """In the lull, a village with cases has neighbours with cases far more often than a
    village picked at random: clusters, not confetti."""
    lull = counts[(counts["date"] >= "2021-04-12") & (counts["date"] <= "2021-04-18")]
    week = lull.groupby("region")["new_cases"].sum()
    villages = regions[regions["level"] == "village"].set_index("code")
    points = shapely.point_on_surface(villages.geometry[week.index].to_numpy())
    from scipy.spatial import cKDTree

    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    _, near = cKDTree(xy).query(xy, k=7)
    has = (week.to_numpy() > 0).astype(float)
    around = has[near[:, 1:]].mean(axis=1)
    assert 0.1 <= has.mean() <= 0.7
    assert around[has == 1].mean() > 1.5 * around[has == 0].mean()


def test_weekday_and_reporting_lag(province_daily: pd.DataFrame) -> None:
    cases = province_daily["new_cases"]
    lull = cases["2021-03-29":"2021-05-23"]  # eight whole weeks, Monday to Sunday
    by_weekday = lull.groupby(lull.index.day_of_week).mean()
    assert by_weekday.idxmin() == 6  # Sunday
    recent = cases.iloc[-10:-3].mean()
    assert cases.iloc[-1] < 0.6 * recent
    assert cases.iloc[-3:].mean() < recent


def test_deaths_admissions_tests_positivity(province_daily: pd.DataFrame) -> None:
    total = province_daily.sum()
    assert 0.02 <= total["deaths"] / total["new_cases"] <= 0.04
    assert 0.10 <= total["admissions"] / total["new_cases"] <= 0.14
    weekly = province_daily.iloc[:-3].resample("W-SUN").sum().iloc[1:-1]
    tests_per_case = weekly["tests"] / weekly["new_cases"]
    assert tests_per_case.between(4, 25).all()
    positivity = weekly["positives"] / weekly["tests"]
    assert positivity.iloc[:8].max() <= 0.08  # the lull
    assert 0.10 <= positivity.iloc[-1] <= 0.30  # the wave
    assert positivity.iloc[-1] == positivity.max()
    # deaths follow cases ten days later: in a rising wave they grow more slowly
    last, before = weekly.iloc[-1], weekly.iloc[-4]
    assert last["deaths"] / before["deaths"] < last["new_cases"] / before["new_cases"]


# --------------------------------------------------------------------------- houses (RT)


def test_houses_shape(regions: gpd.GeoDataFrame, houses: pd.DataFrame) -> None:
    assert list(houses.columns) == ["region", "date", "houses_7d"]
    rts = sorted(regions.loc[regions["level"] == "rt", "code"])
    assert sorted(houses["region"].unique()) == rts
    assert len(houses) == len(rts) * len(demo.demo_dates())
    pd.testing.assert_frame_equal(houses, demo.demo_houses(regions))


def test_houses_cover_every_ppkm_mikro_zone_on_the_settled_day(houses: pd.DataFrame) -> None:
    values = houses["houses_7d"].dropna()
    assert 0 < houses["houses_7d"].isna().mean() < 0.02
    assert (values >= 0).all() and (values == np.round(values)).all()
    assert values.max() <= 40
    settled = pd.Timestamp(demo.DEMO_AS_OF) - pd.Timedelta(days=3)
    day = houses.loc[houses["date"] == settled, "houses_7d"].dropna()
    # green 0, yellow 1-5, orange 6-10, red > 10
    for low, high in [(0, 0), (1, 5), (6, 10), (11, np.inf)]:
        assert day.between(low, high).any(), (low, high)
    # they follow the epidemic: more households with a case in the wave than in the lull
    monthly = houses.groupby(houses["date"].dt.to_period("M"))["houses_7d"].mean()
    assert monthly[pd.Period("2021-06", "M")] > 3 * monthly[pd.Period("2021-05", "M")]
