"""Tests for zoning.model.rollup: children summed into parents, and zone totals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zoning.model.metrics import Panel, compute
from zoning.model.rollup import (
    merge_own,
    own_windows,
    rollup_panel,
    rollup_windows,
    window_metrics,
    zone_totals,
)
from zoning.model.schemes import NO_ZONE, get_scheme

NAN = math.nan
DATES = pd.date_range("2021-06-01", periods=4, freq="D")


@pytest.fixture
def regions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["33", "33.01", "33.02", "33.01.01", "33.01.02", "33.02.01"],
            "name": ["P", "R1", "R2", "D11", "D12", "D21"],
            "level": ["province", "regency", "regency", "district", "district", "district"],
            "parent": [None, "33", "33", "33.01", "33.01", "33.02"],
            # parents' populations differ from the sums of their children on purpose
            "population": [5_000_000, 1_000_000, 2_000_000, 300_000, 400_000, 1_500_000],
        }
    )


@pytest.fixture
def districts() -> Panel:
    # rows deliberately not sorted by parent
    codes = np.array(["33.02.01", "33.01.02", "33.01.01"], dtype=object)
    new_cases = np.array(
        [
            [1, 2, 3, 4],
            [10, NAN, 30, 40],
            [100, 200, 300, 400],
        ],
        dtype=float,
    )
    deaths = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 2]], dtype=float)
    inpatient = np.full((3, 4), 12.0)
    return Panel(
        codes,
        DATES,
        {"new_cases": new_cases, "deaths": deaths, "inpatient_covid_pct": inpatient},
        np.array([1_500_000, 400_000, 300_000], dtype=float),
    )


def test_rollup_sums_children_into_parents(districts, regions):
    up = rollup_panel(districts, regions, "regency")
    assert list(up.regions) == ["33.01", "33.02"]
    assert list(up.dates) == list(DATES)
    np.testing.assert_array_equal(up.values["new_cases"][0], [110, NAN, 330, 440])
    np.testing.assert_array_equal(up.values["new_cases"][1], [1, 2, 3, 4])
    np.testing.assert_array_equal(up.values["deaths"][0], [1, 1, 0, 2])
    np.testing.assert_array_equal(up.values["deaths"][1], [0, 0, 1, 0])


def test_a_childs_missing_day_makes_the_parents_day_missing(districts, regions):
    up = rollup_panel(districts, regions, "regency")
    nc = up.values["new_cases"]
    assert np.isnan(nc[0, 1])  # 33.01.02 did not report on 2 June
    assert not np.isnan(nc[0, [0, 2, 3]]).any()
    assert not np.isnan(nc[1]).any()  # the other regency is unaffected


def test_parent_population_comes_from_the_regions_frame(districts, regions):
    up = rollup_panel(districts, regions, "regency")
    assert up.population.tolist() == [1_000_000.0, 2_000_000.0]
    top = rollup_panel(districts, regions, "province")
    assert list(top.regions) == ["33"]
    assert top.population.tolist() == [5_000_000.0]
    np.testing.assert_array_equal(top.values["new_cases"][0], [111, NAN, 333, 444])


def test_parent_missing_from_regions_has_unknown_population(districts, regions):
    up = rollup_panel(districts, regions[regions["code"] != "33.02"], "regency")
    assert up.population[0] == 1_000_000.0
    assert np.isnan(up.population[1])


def test_bed_shares_without_bed_counts_are_not_rolled_up(districts, regions):
    up = rollup_panel(districts, regions, "regency")
    assert "inpatient_covid_pct" not in up.values
    assert set(up.values) == {"new_cases", "deaths"}


def test_rolled_up_panel_feeds_compute(regions):
    days = pd.date_range("2021-06-01", periods=7, freq="D")
    panel = Panel(
        np.array(["33.01.01", "33.01.02"], dtype=object),
        days,
        {"new_cases": np.array([[10.0] * 7, [20.0] * 7])},
        np.array([300_000.0, 400_000.0]),
    )
    up = rollup_panel(panel, regions, "regency")
    m = compute(up)
    assert m["cases_7d"][0, 6] == 210.0
    assert m["cases_7d_per_100k"][0, 6] == pytest.approx(21.0)  # 210 per 1,000,000


def test_rollup_of_an_empty_panel(regions):
    empty = Panel(np.array([], dtype=object), DATES, {"new_cases": np.zeros((0, 4))}, np.zeros(0))
    up = rollup_panel(empty, regions, "regency")
    assert up.shape == (0, 4)


# --- zone summaries ------------------------------------------------------------------------


@pytest.fixture
def rt_zones() -> pd.DataFrame:
    # RTs of two RWs of one village, and one RT of another village; PPKM zones by index
    return pd.DataFrame(
        {
            "code": [
                "33.74.01.1001.001.001",
                "33.74.01.1001.001.002",
                "33.74.01.1001.001.003",
                "33.74.01.1001.002.001",
                "33.74.01.1001.002.002",
                "33.74.01.1002.001.001",
            ],
            "population": [100, 200, 300, 400, 500, 600],
            "zone_index": [0, 3, 1, 1, NO_ZONE, NO_ZONE],
        }
    )


def test_zone_totals(rt_zones):
    out = zone_totals(rt_zones, get_scheme("ppkm-mikro-2021-04"))
    assert out["zone"].tolist() == ["green", "yellow", "orange", "red", "no_zone"]
    assert out["regions"].tolist() == [1, 2, 0, 1, 2]
    assert out["population"].tolist() == [100.0, 700.0, 0.0, 200.0, 1100.0]
    assert out["regions"].sum() == len(rt_zones)


# --- coverage: roll-ups that survive a silent child -----------------------------------------


def _villages(n: int, pop: float = 1000.0, days: int = 7, cases: float = 1.0) -> Panel:
    codes = np.array([f"33.01.01.{2001 + i}" for i in range(n)], dtype=object)
    dates = pd.date_range("2021-06-01", periods=days, freq="D")
    return Panel(codes, dates, {"new_cases": np.full((n, days), cases)}, np.full(n, pop))


def _district_regions(n: int, pop: float = 1000.0) -> pd.DataFrame:
    codes = [f"33.01.01.{2001 + i}" for i in range(n)]
    return pd.DataFrame(
        {
            "code": ["33.01.01", *codes],
            "level": ["district"] + ["village"] * n,
            "population": [n * pop] + [pop] * n,
        }
    )


def test_one_silent_village_of_a_hundred_still_gives_a_plain_zone():
    villages = _villages(100)
    villages.values["new_cases"][5, 3] = NAN  # one village-day missing
    up = rollup_windows(own_windows(villages), _district_regions(100), "district")
    m = window_metrics(up, 0.95)
    assert m["coverage"][0, -1] == pytest.approx(0.99)
    assert m["window_complete"][0, -1]
    assert not m["lower_bound:new_cases"][0, -1]
    # 99 villages x 7 cases over the 99,000 people they hold: the rate of those reporting.
    assert m["cases_7d"][0, -1] == 693.0
    assert m["cases_7d_per_100k"][0, -1] == pytest.approx(700.0)


def test_too_little_coverage_gives_a_lower_bound_never_above_the_truth():
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(50):
        villages = _villages(20, days=7)
        villages.values["new_cases"][:] = rng.integers(0, 4, size=(20, 7))
        truth = window_metrics(
            rollup_windows(own_windows(villages), _district_regions(20), "district"), 0.95
        )
        gaps = villages.values["new_cases"].copy()
        gaps[rng.random(gaps.shape) < 0.05] = NAN
        holed = Panel(villages.regions, villages.dates, {"new_cases": gaps}, villages.population)
        m = window_metrics(
            rollup_windows(own_windows(holed), _district_regions(20), "district"), 0.95
        )
        share = m["coverage"][0, -1]
        if not 0 < share < 0.95:
            continue
        checked += 1
        assert m["lower_bound:new_cases"][0, -1]
        assert m["cases_7d_per_100k"][0, -1] <= truth["cases_7d_per_100k"][0, -1]
        scheme = get_scheme("who-ct-2021")
        low = scheme.classify({"cases_7d_per_100k": m["cases_7d_per_100k"][:, -1]})
        high = scheme.classify({"cases_7d_per_100k": truth["cases_7d_per_100k"][:, -1]})
        assert low[0] <= high[0]
    assert checked >= 30


def test_no_child_reporting_gives_no_figure():
    villages = _villages(3)
    villages.values["new_cases"][:, 2] = NAN
    m = window_metrics(
        rollup_windows(own_windows(villages), _district_regions(3), "district"), 0.95
    )
    assert m["coverage"][0, -1] == 0.0
    assert np.isnan(m["cases_7d_per_100k"][0, -1])
    assert not m["window_complete"][0, -1]


def test_a_regions_own_counts_stand_for_it_and_its_neighbours_still_roll_up(regions):
    days = pd.date_range("2021-06-01", periods=7, freq="D")
    # Villages of D11 and D12 report; D12 also sends its own (different) district totals.
    villages = Panel(
        np.array(["33.01.01.2001", "33.01.02.2001"], dtype=object),
        days,
        {"new_cases": np.array([[1.0] * 7, [2.0] * 7])},
        np.array([300_000.0, 400_000.0]),
    )
    districts = regions[regions["level"] == "district"]
    own = Panel(
        np.array(["33.01.02"], dtype=object),
        days,
        {"new_cases": np.array([[5.0] * 7])},
        np.array([400_000.0]),
    )
    rolled = rollup_windows(own_windows(villages), regions, "district")
    merged = merge_own(
        own_windows(own), rolled, districts["code"].to_numpy(), districts["population"].to_numpy()
    )
    sums = merged.sums["new_cases"][:, -1]
    assert sums[0] == 7.0  # D11 from its village
    assert sums[1] == 35.0  # D12's own report stands for it
    assert np.isnan(sums[2])  # D21: nothing at all
    assert merged.share["new_cases"][:, -1].tolist() == [1.0, 1.0, 0.0]
    regency = rollup_windows(merged, regions, "regency")
    assert regency.sums["new_cases"][0, -1] == 42.0  # R1 = D11 + D12 (its own total)
    assert regency.share["new_cases"][0, -1] == 1.0


def test_a_level_whose_own_reports_run_longer_than_its_childrens(tmp_path) -> None:
    """Villages report up to 21 July, the RTs of one of them only up to 14 July (as after an
    upload of village counts): the villages' roll-up used to fail on arrays of 21 and 14
    days (rollup.merge_own), and with it every page."""
    from conftest import tiny_counts, tiny_regions, write_store
    from shapely.geometry import box

    from zoning.views import service

    regions = tiny_regions()
    rt = [("33.01.01.2001.001", "RW 001", "rw", "33.01.01.2001", 400, box(0, 0, 1, 1)),
          ("33.01.01.2001.001.001", "RT 001/RW 001", "rt", "33.01.01.2001.001", 400,
           box(0, 0, 1, 1))]  # fmt: skip
    regions = pd.concat([regions, pd.DataFrame(rt, columns=regions.columns)], ignore_index=True)
    days = pd.date_range("2021-07-01", periods=14, freq="D")
    houses = pd.DataFrame({"region": "33.01.01.2001.001.001", "date": days, "houses_7d": 2.0})
    counts = pd.concat([tiny_counts(days=21), houses], ignore_index=True)
    store = write_store(tmp_path / "longer.db", regions, counts)
    assert service.level_data(store, "rw").panel.dates[-1] == days[-1]
    for level in ("village", "district", "province"):
        data = service.level_data(store, level)
        assert data.panel.dates[-1] == pd.Timestamp("2021-07-21"), level
        assert all(
            v.shape[1] == 21 for v in [*data.panel.values.values(), *data.windows.sums.values()]
        )
    village = service.level_data(store, "village")
    a1 = list(village.panel.regions).index("33.01.01.2001")
    houses_7d = village.metrics["houses_7d"][a1]
    assert houses_7d[13] == 2.0 and np.isnan(houses_7d[14:]).all()  # none after 14 July
    assert village.metrics["cases_7d"][a1, -1] == 7.0  # its own cases to the last day


# --- bed shares ----------------------------------------------------------------------------


def _hospitals(beds: bool) -> Panel:
    days = pd.date_range("2021-06-01", periods=7, freq="D")
    values = {
        "bor_covid_pct": np.array([[50.0] * 7, [90.0] * 7]),
        "inpatient_covid_pct": np.array([[2.0] * 7, [20.0] * 7]),
    }
    if beds:
        values["beds_covid"] = np.array([[10.0] * 7, [90.0] * 7])
        values["beds_staffed"] = np.array([[300.0] * 7, [100.0] * 7])
    codes = np.array(["33.01.01", "33.01.02"], dtype=object)
    return Panel(codes, days, values, np.array([300_000.0, 400_000.0]))


def test_a_parents_bed_share_is_weighted_by_its_childrens_beds(regions):
    up = window_metrics(rollup_windows(own_windows(_hospitals(True)), regions, "regency"), 0.95)
    # BOR: (50 % of 10 + 90 % of 90 beds) / 100 beds; CDC: (2 % of 300 + 20 % of 100) / 400
    assert up["bor_covid_pct"][0, -1] == pytest.approx(86.0)
    assert up["inpatient_covid_pct"][0, -1] == pytest.approx(6.5)
    daily = rollup_panel(_hospitals(True), regions, "regency")
    assert daily.values["bor_covid_pct"][0, -1] == pytest.approx(86.0)
    assert daily.values["beds_covid"][0, -1] == 100.0


def test_without_bed_counts_a_parents_bed_share_is_not_computed(regions):
    up = window_metrics(rollup_windows(own_windows(_hospitals(False)), regions, "regency"), 0.95)
    assert "bor_covid_pct" not in up and "inpatient_covid_pct" not in up
    assert "bor_covid_pct" not in rollup_panel(_hospitals(False), regions, "regency").values
