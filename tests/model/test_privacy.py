"""Small numbers on public views: the threshold, ranges, complementary suppression, derived
values, weekly figures, and the zones table and exports built from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zoning.model import privacy
from zoning.model.privacy import EXACT, HIDDEN, OFF_DAY, SMALL

SUNDAY, MONDAY = pd.Timestamp("2021-07-11"), pd.Timestamp("2021-07-12")


@pytest.fixture(autouse=True)
def _no_threshold_from_env(monkeypatch):
    monkeypatch.delenv(privacy.ENV_VAR, raising=False)


# --- the threshold and who it applies to ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", 5), ("10", 10), ("3", 3), ("0", 0), ("1", 1), ("2", 5), ("-1", 5), ("x", 5), ("4.5", 5)],
)
def test_threshold_from_env_fails_closed(monkeypatch, raw, expected):
    monkeypatch.setenv(privacy.ENV_VAR, raw)
    assert privacy.get_threshold() == expected


def test_threshold_argument_wins_and_is_checked(monkeypatch):
    monkeypatch.setenv(privacy.ENV_VAR, "10")
    assert privacy.get_threshold(3) == 3
    for bad in (2, -1, 2.5, True):
        with pytest.raises(ValueError, match="at least 3"):
            privacy.get_threshold(bad)


def test_public_view_only_for_small_levels_and_not_for_analysts(monkeypatch):
    assert [lv for lv in ("province", "regency", "district") if privacy.public_view(lv)] == []
    assert all(privacy.public_view(lv) for lv in privacy.SMALL_LEVELS)
    assert not privacy.public_view("village", analyst=True)
    monkeypatch.setenv(privacy.ENV_VAR, "0")  # protection off
    assert not privacy.public_view("village")


def test_week_ends():
    assert privacy.is_week_end(SUNDAY) and not privacy.is_week_end(MONDAY)
    assert privacy.is_week_end("2021-07-11 15:00")
    days = pd.date_range(MONDAY, periods=8)  # one flag a day, for an index, a Series or a list
    assert privacy.is_week_end(days).tolist() == [False] * 6 + [True, False]
    assert privacy.is_week_end(pd.Series(days)).tolist() == privacy.is_week_end(days).tolist()
    assert privacy.is_week_end([d.date() for d in days]).tolist() == [False] * 6 + [True, False]


# --- counts at every edge -------------------------------------------------------------------


def test_counts_below_the_threshold_become_a_range():
    values = [0, 1, 4, 5, 6, np.nan, 250]
    assert privacy.mask_counts(values, "village", lang="en")[:5] == [0.0, "1–4", "1–4", 5.0, 6.0]
    shown = privacy.mask_counts(values, "village", lang="en")
    assert np.isnan(shown[5]) and shown[6] == 250.0  # missing stays missing, never a range
    # zero stays zero: it names nobody
    assert privacy.count_states([0.0], None).tolist() == [EXACT]


@pytest.mark.parametrize("limit", [3, 5, 10])
def test_the_edges_move_with_the_threshold(limit):
    values = [limit - 1, limit, 1, 0]
    states = privacy.count_states(values, None, limit).tolist()
    assert states == [SMALL, EXACT, SMALL, EXACT]
    assert privacy.mask_counts(values, "rt", limit, lang="en")[0] == f"1–{limit - 1}"


def test_threshold_from_env_is_used(monkeypatch):
    monkeypatch.setenv(privacy.ENV_VAR, "10")
    assert privacy.mask_counts([7, 10], "village", lang="en") == ["1–9", 10.0]
    monkeypatch.setenv(privacy.ENV_VAR, "0")
    assert privacy.mask_counts([1, 2], "village") == [1.0, 2.0]


def test_other_levels_come_back_unchanged():
    assert privacy.mask_counts([1, 2, 0], "district") == [1.0, 2.0, 0.0]
    assert privacy.mask_rates([50.0], [1], [2000], "regency") == [50.0]
    assert privacy.mask_changes([3.0], [1], [4], "province") == [3.0]


def test_a_fraction_of_a_case_is_still_small():
    assert privacy.count_states([0.5], None).tolist() == [SMALL]


# --- complementary suppression ------------------------------------------------------------


def test_a_lone_hidden_count_takes_the_smallest_other_nonzero_one_with_it():
    #                    hidden  next-smallest  zero  larger
    values = np.array([3.0, 7.0, 0.0, 9.0])
    states = privacy.count_states(values, ["a"] * 4).tolist()
    assert states == [SMALL, HIDDEN, EXACT, EXACT]
    shown = privacy.mask_counts(values, "village", groups=["a"] * 4, lang="en")
    assert shown == ["1–4", "suppressed", 0.0, 9.0]
    assert 7.0 not in shown and 3.0 not in shown
    # the total (19) minus what is shown (9) is 10 = hidden + suppressed: neither is known


def test_without_a_nonzero_partner_a_zero_is_suppressed():
    assert privacy.count_states([3.0, 0.0, 0.0], ["a"] * 3).tolist() == [SMALL, HIDDEN, EXACT]


def test_groups_are_separate():
    states = privacy.count_states([3.0, 9.0, 8.0, 12.0], ["a", "a", "b", "b"]).tolist()
    assert states == [SMALL, HIDDEN, EXACT, EXACT]


def test_two_hidden_counts_protect_each_other_unless_their_total_pins_them():
    assert privacy.count_states([2.0, 3.0, 9.0], ["a"] * 3).tolist() == [SMALL, SMALL, EXACT]
    # 1 + 1: the total left over (2) can only be 1 and 1
    assert privacy.count_states([1.0, 1.0, 9.0], ["a"] * 3).tolist() == [SMALL, SMALL, HIDDEN]
    # 4 + 4: the total left over (8) can only be 4 and 4
    assert privacy.count_states([4.0, 4.0, 9.0], ["a"] * 3).tolist() == [SMALL, SMALL, HIDDEN]


def test_a_group_with_a_missing_count_has_no_total_to_protect_against():
    states = privacy.count_states([3.0, np.nan, 9.0], ["a"] * 3).tolist()
    assert states == [SMALL, EXACT, EXACT]


def test_a_group_of_one_cannot_be_helped_but_keeps_its_range():
    assert privacy.count_states([3.0], ["a"]).tolist() == [SMALL]


def test_panels_suppress_each_day_on_its_own():
    panel = np.array([[3.0, 9.0], [7.0, 2.0], [9.0, 9.0]])
    states = privacy.count_states(panel, ["a", "a", "b"])
    assert states.tolist() == [[SMALL, HIDDEN], [HIDDEN, SMALL], [EXACT, EXACT]]


def test_no_suppression_when_off():
    assert privacy.count_states([3.0, 7.0], ["a", "a"], 0).tolist() == [EXACT, EXACT]


# --- derived values -------------------------------------------------------------------------


def test_rates_from_hidden_counts_become_ranges_of_rates():
    counts, population = [0, 3, 7, 4], [2000.0, 2000.0, 2000.0, 4.0]
    rates = [c / p * 1e5 for c, p in zip(counts, population, strict=True)]
    shown = privacy.mask_rates(rates, counts, population, "village", lang="en")
    assert shown[:3] == [0.0, "50.0–200.0", 350.0]
    assert shown[3] == "25,000.0–100,000.0"  # a tiny population: still a range, not 100,000
    assert privacy.mask_rates(rates, counts, population, "village", lang="id")[1] == "50,0–200,0"


def test_a_rate_without_a_population_is_no_rate():
    shown = privacy.mask_rates([np.nan, np.nan], [3, 0], [0.0, np.nan], "village")
    assert all(isinstance(v, float) and np.isnan(v) for v in shown)


def test_a_rate_next_to_a_suppressed_count_is_suppressed():
    shown = privacy.mask_rates(
        [150.0, 350.0], [3, 7], [2000, 2000], "village", groups=["a", "a"], lang="en"
    )
    assert shown == ["50.0–200.0", "suppressed"]


def test_ratios_with_a_hidden_part():
    num = privacy.shown_counts([2.0, 20.0, 2.0, 0.0, 20.0], None)
    den = privacy.shown_counts([40.0, 40.0, 3.0, 0.0, 20.0], None)
    ratio = privacy.shown_ratio(num, den)
    assert ratio.state.tolist() == [SMALL, EXACT, HIDDEN, EXACT, EXACT]
    assert ratio.value[1] == 50.0 and ratio.value[4] == 100.0
    assert np.isnan(ratio.value[0]) and np.isnan(ratio.value[2]) and np.isnan(ratio.value[3])
    assert (ratio.lo[0], ratio.hi[0]) == (2.5, 10.0)


def test_changes_with_a_hidden_side_are_hidden():
    shown = privacy.mask_changes([2.0, -4.0, 1.0], [12, 3, 10], [10, 7, 9], "rw", lang="en")
    assert shown == [2.0, "suppressed", 1.0]
    shown = privacy.mask_changes([50.0], [9], [6], "rw", groups=None)
    assert shown == [50.0]
    assert privacy.mask_changes([-1.0], [5], [6], "village", lang="en") == [-1.0]
    assert privacy.mask_changes([1.0], [5], [4], "village", lang="en") == ["suppressed"]


def test_shown_arrays_never_hold_a_hidden_value():
    counts = np.array([3.0, 7.0, 0.0, 9.0])
    shown = privacy.shown_counts(counts, ["a"] * 4)
    rates = privacy.shown_rates(shown, [1000.0] * 4)
    for arrays in (shown, rates):
        held = np.concatenate([arrays.value, arrays.lo, arrays.hi])
        assert 3.0 not in held and 7.0 not in held and 300.0 not in held and 700.0 not in held


# --- the zones table, and the exports made from it --------------------------------------------


def zones(day: pd.Timestamp = SUNDAY) -> pd.DataFrame:
    """A zones table of three villages of one district and one of another."""
    new = np.array([3.0, 12.0, 0.0, 40.0])
    pop = np.array([2000.0, 2000.0, 1000.0, 4000.0])
    return pd.DataFrame(
        {
            "code": ["33.01.01.2001", "33.01.01.2002", "33.01.01.2003", "33.01.02.2001"],
            "name": ["Desa A", "Desa B", "Desa C", "Desa D"],
            "parent": ["33.01.01", "33.01.01", "33.01.01", "33.01.02"],
            "population": pop,
            "zone_index": [1, 2, 0, 3],
            "zone": ["level-2", "level-3", "level-1", "level-4"],
            "cases_7d_per_100k": new / pop * 1e5,
            "positivity_7d_pct": [10.0, 20.0, np.nan, 5.0],
            "new_cases_7d": new,
            "deaths_7d": [0.0, 1.0, 0.0, 6.0],
            "positives_7d": [3.0, 12.0, 0.0, 40.0],
            "tests_7d": [30.0, 60.0, 0.0, 800.0],
            "window_complete": [True] * 4,
            "provisional": [False] * 4,
        }
    )


def test_mask_table_on_a_week_end():
    out = privacy.mask_table(zones(), "village", SUNDAY, lang="en")
    assert out["zone"].tolist() == zones()["zone"].tolist()  # zones stay visible
    assert out["population"].tolist() == zones()["population"].tolist()
    assert out["new_cases_7d"].tolist() == ["1–4", "suppressed", 0.0, 40.0]
    assert out["cases_7d_per_100k"].tolist() == ["50.0–200.0", "suppressed", 0.0, 1000.0]
    assert out["positivity_7d_pct"].tolist()[0] == "3.3–13.3"
    assert out["positivity_7d_pct"].tolist()[1] == "suppressed"
    assert out["deaths_7d"].tolist() == ["suppressed", "1–4", 0.0, 6.0]  # a zero as partner


def test_mask_table_leaves_other_levels_and_analysts_views_alone():
    frame = zones()
    pd.testing.assert_frame_equal(privacy.mask_table(frame, "district", SUNDAY), frame)
    pd.testing.assert_frame_equal(privacy.mask_table(frame, "village", SUNDAY, threshold=0), frame)


def test_mask_table_shares_what_it_leaves_and_never_changes_its_input():
    """The masked table holds its own masked columns only (at 83,402 villages a full copy
    was 10 MB more per day viewed); the table it was given stays as it was."""
    frame = zones()
    before = frame.copy()
    out = privacy.mask_table(frame, "village", SUNDAY, lang="en")
    assert np.shares_memory(out["population"].to_numpy(), frame["population"].to_numpy())
    assert not np.shares_memory(out["new_cases_7d"].to_numpy(), frame["new_cases_7d"].to_numpy())
    out.loc[0, "population"] = -1.0  # copy on write: changing the output copies the column
    pd.testing.assert_frame_equal(frame, before)


def test_mask_table_on_other_days_shows_the_weekly_note():
    out = privacy.mask_table(zones(MONDAY), "village", MONDAY, lang="en")
    for column in privacy.masked_columns(out):
        assert set(out[column]) == {"Sundays only"}, column
    assert out["zone"].tolist() == zones()["zone"].tolist()


def test_mask_table_by_date_column():
    frame = pd.concat([zones().assign(date=SUNDAY), zones().assign(date=MONDAY)])
    out = privacy.mask_table(frame, "village", lang="en")
    assert out["new_cases_7d"].tolist()[:4] == ["1–4", "suppressed", 0.0, 40.0]
    assert set(out["new_cases_7d"].tolist()[4:]) == {"Sundays only"}


def test_mask_table_reads_a_count_back_from_its_rate():
    frame = zones().drop(columns=["new_cases_7d", "positives_7d", "tests_7d"])
    out = privacy.mask_table(frame, "village", SUNDAY, lang="en")
    assert out["cases_7d_per_100k"].tolist() == ["50.0–200.0", "suppressed", 0.0, 1000.0]
    # a ratio whose counts are not in the table cannot be checked: hidden where it has a value
    assert out["positivity_7d_pct"].tolist()[:2] == ["suppressed", "suppressed"]
    assert np.isnan(out["positivity_7d_pct"].tolist()[2])


def test_texts_of_every_state():
    shown = privacy.Shown(
        np.array([12.0, np.nan, np.nan, np.nan, np.nan]),
        np.array([12.0, 1.0, 0.0, 0.0, np.nan]),
        np.array([12.0, 4.0, np.inf, np.inf, np.nan]),
        np.array([EXACT, SMALL, HIDDEN, OFF_DAY, EXACT], dtype=np.int8),
    )
    assert shown.text("en").tolist() == ["12", "1–4", "suppressed", "Sundays only", "–"]
    assert shown.text("id").tolist() == ["12", "1–4", "disamarkan", "hanya hari Minggu", "–"]


# --- the metrics registry: a metric added there is masked here ---------------------------------

NEW_RATE = "deaths_daily_per_100k_avg7"
ONE_RULE = f"""
id = "deaths-test"
name = "Deaths test"
levels = ["village"]
metrics = ["{NEW_RATE}"]
[source]
title = "test"
[[zones]]
id = "low"
colour = "#00aa00"
label = "Low"
[[zones]]
id = "high"
colour = "#b2182b"
label = "High"
[[rules]]
metric = "{NEW_RATE}"
thresholds = {{ high = 1 }}
"""


def test_a_metric_added_to_the_registry_is_computed_and_masked_with_no_change_here(monkeypatch):
    """A new rate registered in zoning.model.metrics.METRICS (deaths a day per 100,000 over
    the week) is computed, masked as a range where its count is small, and bounded by its
    zones in the audit; privacy.py and audit.py know nothing of it."""
    from zoning.model import audit
    from zoning.model import metrics as M
    from zoning.model.schemes import loads_scheme

    monkeypatch.setitem(M.METRICS, NEW_RATE, M.Metric(("deaths",), "rate", M.PER_PEOPLE, M.WINDOW))
    rates = M.rates({"deaths": np.array([[14.0]])}, {"deaths": np.array([[100_000.0]])})
    assert rates[NEW_RATE].tolist() == [[2.0]]

    people = np.array([2000.0, 3000.0, 4000.0])
    deaths = np.array([2.0, 0.0, 30.0])
    frame = pd.DataFrame(
        {
            "code": ["33.01.01.2001", "33.01.01.2002", "33.01.01.2003"],
            "population": people,  # no parent: no complementary suppression here
            "deaths_7d": deaths,
            NEW_RATE: deaths * 100_000 / 7 / people,
        }
    )
    assert NEW_RATE in privacy.masked_columns(frame)
    shown = privacy.mask_table(frame, "village", SUNDAY, threshold=5, lang="en")
    assert shown["deaths_7d"].tolist()[0] == "1–4"
    low, high = (1 * 100_000 / 7 / 2000, 4 * 100_000 / 7 / 2000)
    assert shown[NEW_RATE].tolist()[0] == f"{low:.1f}–{high:.1f}"  # a range, not the rate
    assert shown[NEW_RATE].tolist()[2] == pytest.approx(30 * 100_000 / 7 / 4000)
    off_day = privacy.mask_table(frame, "village", MONDAY, threshold=5, lang="en")
    assert set(off_day[NEW_RATE]) == {privacy.t("privacy.weekly_only", "en")}

    scheme = loads_scheme(ONE_RULE)  # a scheme may read it, and its zones bound the count
    zones = np.array([0, 0, 1])  # "low": under 1 a day per 100,000
    lo, hi, _ = audit.count_bands([scheme], [zones], "deaths_7d", people)
    assert hi.tolist()[:2] == [0.0, 0.0]  # 7 x 2,000 / 100,000 = 0.14: no death at all
    assert lo.tolist()[2] == 1.0  # 7 x 4,000 / 100,000 = 0.28: at least one
