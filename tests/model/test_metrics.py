"""Tests for zoning.model.metrics: 7-day windows, panels with gaps, and metrics on known numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import fuzz
from hypothesis import given
from hypothesis import strategies as st

from zoning.model import metrics as M
from zoning.model.metrics import (
    METRICS,
    Panel,
    compute,
    from_counts,
    provisional_days,
    rolling_7d,
    to_frame,
    to_panel,
)

NAN = math.nan


def _days(n: int, start: str = "2021-06-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D")


def _panel(values: dict[str, list], population: list[float], start: str = "2021-06-01") -> Panel:
    arrays = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in values.items()}
    n_regions, n_days = next(iter(arrays.values())).shape
    regions = np.array([f"33.{i + 1:02d}" for i in range(n_regions)], dtype=object)
    return Panel(regions, _days(n_days, start), arrays, np.asarray(population, dtype=float))


# --- rolling_7d ----------------------------------------------------------------------------


def test_rolling_sum_complete_windows():
    daily = np.arange(1.0, 11.0)  # 1..10
    total, complete = rolling_7d(daily)
    assert np.isnan(total[:6]).all()
    assert total[6:].tolist() == [28.0, 35.0, 42.0, 49.0]
    assert complete.tolist() == [False] * 6 + [True] * 4


def test_rolling_first_six_days_incomplete_even_with_data():
    total, complete = rolling_7d(np.ones(7))
    assert not complete[:6].any()
    assert complete[6]
    assert total[6] == 7.0


def test_rolling_mean():
    daily = np.arange(1.0, 11.0)
    mean, complete = rolling_7d(daily, mean=True)
    assert np.isnan(mean[:6]).all()
    assert mean[6:].tolist() == pytest.approx([4.0, 5.0, 6.0, 7.0])
    assert complete[6:].all()


def test_a_missing_day_spoils_the_seven_windows_that_contain_it():
    daily = np.ones(20)
    daily[8] = NAN
    total, complete = rolling_7d(daily)
    spoiled = list(range(8, 15))  # windows ending on days 8..14 contain day 8
    for day in range(20):
        if day < 6 or day in spoiled:
            assert not complete[day] and np.isnan(total[day]), day
        else:
            assert complete[day] and total[day] == 7.0, day
    assert int(complete.sum()) == 20 - 6 - 7


def test_missing_day_is_not_zero():
    with_zero = np.array([5, 5, 5, 0, 5, 5, 5], dtype=float)
    with_gap = np.array([5, 5, 5, NAN, 5, 5, 5])
    assert rolling_7d(with_zero)[0][6] == 30.0
    assert np.isnan(rolling_7d(with_gap)[0][6])
    assert rolling_7d(with_zero)[1][6]
    assert not rolling_7d(with_gap)[1][6]


def test_rolling_two_dimensional_rows_are_independent():
    daily = np.vstack([np.arange(1.0, 9.0), np.full(8, 2.0)])
    daily[1, 7] = NAN
    total, complete = rolling_7d(daily)
    assert total.shape == (2, 8)
    assert total[0, 6:].tolist() == [28.0, 35.0]
    assert total[1, 6] == 14.0 and np.isnan(total[1, 7])
    assert complete.tolist() == [[False] * 6 + [True, True], [False] * 6 + [True, False]]


def test_rolling_shorter_than_a_week():
    total, complete = rolling_7d(np.ones((2, 6)))
    assert np.isnan(total).all()
    assert not complete.any()
    assert total.shape == complete.shape == (2, 6)


def test_rolling_mean_with_gap_is_nan():
    daily = np.array([10, 10, 10, 10, 10, 10, NAN, 10])
    mean, complete = rolling_7d(daily, mean=True)
    assert np.isnan(mean[6]) and np.isnan(mean[7])
    assert not complete[6:].any()


# --- to_panel ------------------------------------------------------------------------------


@pytest.fixture
def gappy_counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["33.02", "33.01", "33.01", "33.01", "33.02"],
            "date": pd.to_datetime(
                ["2021-06-02", "2021-06-01", "2021-06-02", "2021-06-04T13:30", "2021-06-04"],
                format="ISO8601",
            ),
            "new_cases": [7, 1, 0, 4, 9],
            "deaths": [NAN, 0, 0, 1, 2],
        }
    )


def test_to_panel_lays_out_regions_by_days(gappy_counts):
    panel = to_panel(gappy_counts, {"33.01": 1000, "33.02": 2000})
    assert list(panel.regions) == ["33.01", "33.02"]
    assert list(panel.dates) == list(_days(4))
    assert panel.shape == (2, 4)
    nc = panel.values["new_cases"]
    np.testing.assert_array_equal(nc[0], [1, 0, NAN, 4])
    np.testing.assert_array_equal(nc[1], [NAN, 7, NAN, 9])
    np.testing.assert_array_equal(panel.values["deaths"][1], [NAN, NAN, NAN, 2])
    assert panel.population.tolist() == [1000.0, 2000.0]
    assert set(panel.values) == {"new_cases", "deaths"}


def test_to_panel_missing_days_stay_nan_never_zero(gappy_counts):
    panel = to_panel(gappy_counts, {"33.01": 1000, "33.02": 2000})
    nc = panel.values["new_cases"]
    assert np.isnan(nc[0, 2])  # 3 June not reported for 33.01
    assert nc[0, 1] == 0.0  # a reported zero stays zero
    assert int(np.isnan(nc).sum()) == 3


def test_to_panel_explicit_regions_and_span(gappy_counts):
    panel = to_panel(
        gappy_counts,
        pd.Series({"33.01": 1000.0}),
        regions=["33.03", "33.01"],
        start="2021-05-31",
        end="2021-06-03",
    )
    assert list(panel.regions) == ["33.03", "33.01"]
    assert list(panel.dates) == list(_days(4, "2021-05-31"))
    nc = panel.values["new_cases"]
    assert np.isnan(nc[0]).all()  # a region without reports: all missing
    np.testing.assert_array_equal(nc[1], [NAN, 1, 0, NAN])  # 4 June is outside the span
    assert panel.population[1] == 1000.0
    assert np.isnan(panel.population[0])  # unknown population


def test_to_panel_non_numeric_cell_is_missing():
    counts = pd.DataFrame({"region": ["33.01"] * 2, "date": _days(2), "new_cases": ["3", "x"]})
    panel = to_panel(counts, {"33.01": 10})
    np.testing.assert_array_equal(panel.values["new_cases"][0], [3, NAN])


def test_to_panel_empty_frame():
    counts = pd.DataFrame({"region": [], "date": [], "new_cases": []})
    panel = to_panel(counts, {})
    assert panel.shape == (0, 0)


# --- compute -------------------------------------------------------------------------------


def test_cases_per_100k_on_hand_computed_numbers():
    # 200,000 people; 10 cases a day for a week, then 24
    panel = _panel({"new_cases": [[10] * 7 + [24]]}, [200_000])
    m = compute(panel)
    assert np.isnan(m["cases_7d"][0, :6]).all()
    assert m["cases_7d"][0, 6:].tolist() == [70.0, 84.0]
    # 70 / 200,000 * 100,000 = 35; 84 -> 42
    assert m["cases_7d_per_100k"][0, 6:].tolist() == pytest.approx([35.0, 42.0])
    # daily average per 100k: 35 / 7 = 5, 42 / 7 = 6
    assert m["cases_daily_per_100k_avg7"][0, 6:].tolist() == pytest.approx([5.0, 6.0])
    assert np.isnan(m["cases_daily_per_100k_avg7"][0, :6]).all()
    assert m["window_complete"][0].tolist() == [False] * 6 + [True, True]


def test_admissions_and_deaths_per_100k():
    panel = _panel({"admissions": [[3] * 7], "deaths": [[1, 0, 0, 2, 0, 0, 1]]}, [50_000])
    m = compute(panel)
    assert m["admissions_7d_per_100k"][0, 6] == pytest.approx(21 / 50_000 * 100_000)  # 42
    assert m["deaths_7d_per_100k"][0, 6] == pytest.approx(4 / 50_000 * 100_000)  # 8


def test_positivity():
    panel = _panel(
        {
            "tests": [[100] * 7 + [0] * 7, [0] * 14],
            "positives": [[5, 5, 5, 5, 5, 5, 12] + [0] * 7, [0] * 14],
        },
        [1000, 1000],
    )
    m = compute(panel)
    pos = m["positivity_7d_pct"]
    assert pos[0, 6] == pytest.approx(42 / 700 * 100)  # 6%
    assert pos[0, 12] == pytest.approx(12 / 100 * 100)  # only day 6's tests left in window
    assert np.isnan(pos[0, 13])  # zero tests in the window: NaN, not 0 and not inf
    assert np.isnan(pos[1]).all()
    assert not np.isinf(pos).any()


def test_positivity_needs_both_fields():
    m = compute(_panel({"tests": [[10] * 7]}, [1000]))
    assert "positivity_7d_pct" not in m


@pytest.mark.parametrize("population", [0.0, NAN, -5.0])
def test_per_100k_without_population_is_nan(population):
    panel = _panel(
        {"new_cases": [[1] * 7, [1] * 7], "deaths": [[0] * 7, [0] * 7]}, [population, 1000]
    )
    m = compute(panel)
    assert np.isnan(m["cases_7d_per_100k"][0]).all()
    assert np.isnan(m["cases_daily_per_100k_avg7"][0]).all()
    assert np.isnan(m["deaths_7d_per_100k"][0]).all()
    assert m["cases_7d"][0, 6] == 7.0  # the count itself is still known
    assert m["cases_7d_per_100k"][1, 6] == pytest.approx(700.0)


def test_inpatient_pct_is_averaged_not_summed():
    m = compute(_panel({"inpatient_covid_pct": [[7, 7, 7, 14, 14, 14, 14]]}, [1000]))
    assert m["inpatient_covid_pct"][0, 6] == pytest.approx(11.0)


def test_houses_is_taken_as_reported():
    m = compute(_panel({"houses_7d": [[0, 3, NAN, 6]]}, [100]))
    np.testing.assert_array_equal(m["houses_7d"][0], [0, 3, NAN, 6])
    # without case counts, completeness follows the houses reports
    assert m["window_complete"][0].tolist() == [True, True, False, True]


def test_compute_only_what_fields_allow():
    m = compute(_panel({"new_cases": [[1] * 7]}, [1000]))
    metric_keys = set(m) & set(METRICS)
    assert metric_keys == {"cases_7d", "cases_7d_per_100k", "cases_daily_per_100k_avg7"}


def test_missing_day_makes_metrics_nan_not_lower():
    counts = [[10] * 14]
    counts[0][9] = NAN
    m = compute(_panel({"new_cases": counts}, [100_000]))
    per = m["cases_7d_per_100k"][0]
    assert np.isnan(per[9:]).sum() == 5  # days 9..13 (window ending 13 still holds day 9)
    assert np.isnan(per[9:14]).all()
    assert per[8] == pytest.approx(70.0)
    assert not m["window_complete"][0, 9:14].any()


# --- provisional days ------------------------------------------------------------------------


def test_provisional_last_lag_days_default_as_of():
    panel = _panel({"new_cases": [[1] * 10]}, [1000])
    prov = compute(panel, lag_days=3)["provisional"]
    assert prov.shape == (1, 10)
    assert prov[0].tolist() == [False] * 7 + [True] * 3


def test_provisional_as_of_is_the_last_reported_day():
    values = [[1] * 9 + [NAN] * 3, [1] * 8 + [NAN] * 4]
    prov = compute(_panel({"new_cases": values}, [1000, 1000]), lag_days=3)["provisional"]
    # the last day anyone reported is day 8: days 6, 7, 8 are filling in, 9..11 too
    expected = [False] * 6 + [True] * 6
    assert prov[0].tolist() == expected
    assert prov[1].tolist() == expected


def test_provisional_explicit_as_of_and_zero_lag():
    panel = _panel({"new_cases": [[1] * 10]}, [1000])
    prov = compute(panel, lag_days=2, as_of="2021-06-05")["provisional"][0]
    assert prov.tolist() == [False] * 3 + [True] * 7
    assert not compute(panel, lag_days=0)["provisional"].any()


def test_provisional_days_function():
    dates = _days(5)
    assert provisional_days(dates, "2021-06-05", 1).tolist() == [False] * 4 + [True]
    assert provisional_days(dates, "2021-06-05", 5).tolist() == [True] * 5
    assert provisional_days(dates, "2021-06-05", 0).tolist() == [False] * 5


# --- frames ----------------------------------------------------------------------------------


def test_to_frame_and_from_counts():
    counts = pd.DataFrame(
        {
            "region": ["33.01"] * 7 + ["33.02"] * 7,
            "date": list(_days(7)) * 2,
            "new_cases": [2] * 7 + [1] * 7,
        }
    )
    frame = from_counts(counts, {"33.01": 100_000, "33.02": 70_000})
    assert len(frame) == 14
    last = frame[frame["date"] == pd.Timestamp("2021-06-07")].set_index("region")
    assert last.loc["33.01", "cases_7d_per_100k"] == pytest.approx(14.0)
    assert last.loc["33.02", "cases_7d_per_100k"] == pytest.approx(10.0)
    assert bool(last.loc["33.01", "window_complete"]) is True

    panel = to_panel(counts, {"33.01": 100_000, "33.02": 70_000})
    one_day = to_frame(panel, compute(panel), day="2021-06-07")
    assert list(one_day["region"]) == ["33.01", "33.02"]
    assert one_day["cases_7d"].tolist() == [14.0, 7.0]


def test_panel_bytes_round_trip_exactly():
    panel = M.Panel(
        np.array(["33.01", "33.02"], dtype=object),
        pd.date_range("2021-07-01", periods=3),
        {"new_cases": np.array([[1.0, np.nan, 3.0], [0.0, 2.0, 5.0]])},
        np.array([1000.0, np.nan]),
    )
    back = M.panel_from_bytes(M.panel_to_bytes(panel))
    assert list(back.regions) == ["33.01", "33.02"]
    assert back.dates.equals(panel.dates)
    np.testing.assert_array_equal(back.values["new_cases"], panel.values["new_cases"])
    np.testing.assert_array_equal(back.population, panel.population)


# --- bringing a panel up to date -------------------------------------------------------------

PATCH_REGIONS = ["33.01", "33.02", "33.03"]


def _stored(rows: list[tuple]) -> pd.DataFrame:
    """Rows ``(region, day, new_cases, tests)`` as the store returns them: all-empty fields
    are left out."""
    frame = pd.DataFrame(rows, columns=["region", "day", "new_cases", "tests"])
    frame["date"] = pd.Timestamp("2021-07-10") + pd.to_timedelta(frame.pop("day"), unit="D")
    empty = [f for f in ("new_cases", "tests") if frame[f].isna().all()]
    return frame.drop(columns=empty)


def _same_panel(a: M.Panel, b: M.Panel) -> None:
    assert list(a.regions) == list(b.regions) and a.dates.equals(b.dates)
    for field in set(a.values) | set(b.values):  # a field left out is a field never reported
        empty = np.full((len(a.regions), len(a.dates)), np.nan)
        np.testing.assert_array_equal(a.values.get(field, empty), b.values.get(field, empty))


def test_patching_a_panel_adds_days_on_both_sides_and_revises_cells():
    pop = {"33.01": 1000.0, "33.02": 2000.0, "33.03": 500.0}
    before = _stored([("33.01", 0, 1.0, None), ("33.02", 1, 2.0, None)])
    changes = _stored([("33.01", 0, 5.0, 40.0), ("33.03", -2, 1.0, None), ("33.02", 3, 0.0, 9.0)])
    panel = M.patch_panel(M.to_panel(before, pop, regions=PATCH_REGIONS), changes)
    assert panel.dates[0] == pd.Timestamp("2021-07-08") and len(panel.dates) == 6
    assert panel.values["new_cases"][0, 2] == 5.0  # revised
    assert panel.values["tests"][0, 2] == 40.0  # a field first reported now
    assert panel.values["new_cases"][1, 3] == 2.0  # kept
    assert np.isnan(panel.values["new_cases"][1, 4])  # a day between: still not reported
    np.testing.assert_array_equal(panel.population, [1000.0, 2000.0, 500.0])


_cell = st.one_of(st.none(), st.integers(0, 50).map(float))
_row = st.tuples(st.sampled_from(PATCH_REGIONS), st.integers(-5, 12), _cell, _cell)


@fuzz(200)
@given(st.lists(_row, max_size=25), st.lists(_row, max_size=12))
def test_fuzz_patching_a_panel_equals_building_it_from_all_counts(first, later):
    """Whatever was stored and whatever came later: patching the old panel with the later
    region-days gives the panel of everything stored."""
    first = list({(r[0], r[1]): r for r in first}.values())  # one row per region-day
    later = list({(r[0], r[1]): r for r in later}.values())
    stored = {(r[0], r[1]): r for r in first} | {(r[0], r[1]): r for r in later}
    pop = dict.fromkeys(PATCH_REGIONS, 1000.0)
    old = M.to_panel(_stored(first), pop, regions=PATCH_REGIONS)
    patched = M.patch_panel(old, _stored(later))
    _same_panel(patched, M.to_panel(_stored(list(stored.values())), pop, regions=PATCH_REGIONS))


# --- the one list of formulas, and 7-day windows ---------------------------------------------


def test_what_derives_from_which_count_is_read_from_the_formulas():
    """The tables privacy used to keep by hand, now read from METRICS."""
    assert set(M.count_columns()) == {
        "new_cases_7d", "deaths_7d", "admissions_7d", "positives_7d", "tests_7d", "houses_7d",
        "new_cases_unverified_7d",  # a line list's cases without a valid NIK: people too
    }  # fmt: skip
    assert M.count_aliases() == {"cases_7d": "new_cases_7d"}
    assert M.per_population() == {
        "cases_7d_per_100k": ("new_cases_7d", 100_000.0),
        "cases_daily_per_100k_avg7": ("new_cases_7d", 100_000.0 / 7),
        "admissions_7d_per_100k": ("admissions_7d", 100_000.0),
        "deaths_7d_per_100k": ("deaths_7d", 100_000.0),
    }
    assert M.ratios() == {"positivity_7d_pct": ("positives_7d", "tests_7d", 100.0)}
    assert [M.shown_decimals(c) for c in ("cases_7d", "houses_7d", "tests_7d")] == [0, 0, 0]
    assert [M.shown_decimals(c) for c in ("cases_7d_per_100k", "bor_covid_pct")] == [1, 1]
    with pytest.raises(ValueError, match="wrong number of fields"):
        M.Metric(("tests",), "ratio")


def test_window_days_and_figures():
    end = pd.Timestamp("2021-07-18")
    assert M.window_start(end) == pd.Timestamp("2021-07-12")
    assert M.window_start("2021-07-18 15:00", windows=2) == pd.Timestamp("2021-07-05")
    dates = pd.Series(pd.date_range("2021-07-04", "2021-07-19"))
    back = M.windows_back(dates, end)
    assert back.tolist() == [2] + [1] * 7 + [0] * 7 + [-1]
    daily = np.array([[1.0] * 8 + [np.nan]])
    assert np.isnan(M.window_figure("new_cases", daily)[0, :6]).all()
    assert M.window_figure("new_cases", daily)[0, 6:].tolist()[:2] == [7.0, 7.0]
    np.testing.assert_array_equal(M.window_figure("houses_7d", daily), daily)  # 7-day already
    share = np.full((1, 7), 12.5)
    assert M.window_figure("bor_covid_pct", share)[0, -1] == 12.5  # a level: the mean
