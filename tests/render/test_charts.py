"""Tests for zoning.render.charts: the trend charts' Vega-Lite specs and the data behind them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from zoning.core.i18n import t
from zoning.model import metrics as M
from zoning.model import privacy
from zoning.model.schemes import builtin_schemes
from zoning.render import charts
from zoning.store import Store
from zoning.views import service

WHO = builtin_schemes()["who-ct-2021"]
DAYS = pd.date_range("2021-07-01", periods=30, freq="D")


def case_series(level: float, missing: tuple[int, ...] = (), lag: int = 3) -> pd.DataFrame:
    """A region's daily series shaped like service.case_series: flat at ``level`` cases."""
    new_cases = np.full(len(DAYS), level)
    new_cases[list(missing)] = np.nan
    frame = pd.DataFrame({"date": DAYS, "new_cases": new_cases, "deaths": new_cases / 10})
    frame["provisional"] = np.arange(len(DAYS)) >= len(DAYS) - lag
    # 7-day rate per 100,000 of a region of 100,000 people, NaN where the window is incomplete
    window = frame["new_cases"].rolling(7).sum()
    frame["cases_7d_per_100k"] = window
    frame["positivity_7d_pct"] = 5.0
    return frame


REGIONS = pd.DataFrame(
    {
        "code": ["33.01", "33.02"],
        "name": ["Kabupaten Satu", "Kota Dua"],
        "population": [100_000.0, 50_000.0],
    }
)


@pytest.fixture
def series() -> pd.DataFrame:
    return charts.trend_frame(
        {"33.01": case_series(4.0, missing=(10, 11)), "33.02": case_series(2.0)}, REGIONS
    )


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def rows(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def mark(layer: dict) -> str:
    m = layer["mark"]
    return m if isinstance(m, str) else m["type"]


# --- the data ---------------------------------------------------------------------------


def test_trend_frame_adds_averages_and_running_totals(series: pd.DataFrame) -> None:
    one = series[series["code"] == "33.01"].reset_index(drop=True)
    assert list(series.columns[:3]) == ["code", "name", "population"]
    assert one["name"].iloc[0] == "Kabupaten Satu" and one["population"].iloc[0] == 100_000
    # the average is only given for complete windows: days 6-9 and 18 onwards
    assert one["new_cases_avg7"].notna().tolist() == [
        i in range(6, 10) or i >= 18 for i in range(30)
    ]
    assert one.loc[20, "new_cases_avg7"] == 4.0
    # the running total skips the days without a report, and is not given on them
    assert np.isnan(one.loc[10, "new_cases_cum"]) and np.isnan(one.loc[11, "new_cases_cum"])
    assert one.loc[12, "new_cases_cum"] == 11 * 4.0


def test_trend_frame_period_runs_on_through_provisional_days() -> None:
    data = {"33.01": case_series(4.0)}
    settled = DAYS[-4]  # the last day before the three provisional ones
    out = charts.trend_frame(data, REGIONS, day=settled, days=7)
    assert out["date"].min() == settled - pd.Timedelta(days=6)
    assert out["date"].max() == DAYS[-1]
    earlier = charts.trend_frame(data, REGIONS, day=DAYS[10], days=0)
    assert earlier["date"].min() == DAYS[0] and earlier["date"].max() == DAYS[10]


def test_line_segments_join_gaps_and_mark_provisional_stretches() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2021-07-01", periods=7, freq="D"),
            "v": [1.0, 2.0, np.nan, np.nan, 5.0, 6.0, 7.0],
            "provisional": [False] * 6 + [True],
        }
    )
    out = charts.line_segments(frame, "v")
    kinds = out.groupby("segment")["kind"].first().tolist()
    assert kinds == [charts.COMPLETE, charts.GAP, charts.COMPLETE, charts.PROVISIONAL]
    gap = out[out["kind"] == charts.GAP]
    assert gap["value"].tolist() == [2.0, 5.0]  # joins its neighbours: never a fall to zero
    assert out["value"].notna().all() and (out["value"] > 0).all()


def test_day_states() -> None:
    states = charts.day_states(np.array([1.0, np.nan, 2.0, np.nan]), [False, False, True, True])
    assert states.tolist() == [charts.REPORTED, charts.MISSING, charts.PROVISIONAL, charts.MISSING]


def test_region_param_round_trip() -> None:
    valid = ["33.01", "33.02", "33.03"]
    assert charts.regions_from_param("33.02,33.01", valid) == ["33.02", "33.01"]
    assert charts.regions_from_param("33.02, 99.99,3302,x,", valid) == ["33.02"]
    assert charts.regions_from_param("3303,33.01", valid) == ["33.03", "33.01"]
    assert charts.regions_from_param(None, valid) == []
    assert charts.region_param(["33.02", "33.01"]) == "33.02,33.01"
    assert charts.region_param([]) is None


def test_shared_names_get_their_code() -> None:
    names = {"33.74.01.1001.001.002": "RT 002/RW 001", "33.74.01.1002.001.002": "RT 002/RW 001"}
    names["33.74.01.1001.001.003"] = "RT 003/RW 001"
    assert list(charts.unique_names(names, names).values()) == [
        "RT 002/RW 001 (33.74.01.1001.001.002)",
        "RT 002/RW 001 (33.74.01.1002.001.002)",
        "RT 003/RW 001",
    ]
    regions = pd.DataFrame(
        {"code": ["33.01", "33.02"], "name": ["Sama", "Sama"], "population": [1.0, 1.0]}
    )
    frame = charts.trend_frame({"33.01": case_series(1.0), "33.02": case_series(2.0)}, regions)
    assert frame["name"].nunique() == 2  # never drawn as one line


def test_top_regions(tiny_store: Store) -> None:
    # village i reports i + 1 cases a day: Kota Dua (3 + 4 a day) is above Kabupaten Satu
    day = pd.Timestamp("2021-07-21")
    assert charts.top_regions(tiny_store, "regency", day) == ["33.02", "33.01"]
    assert charts.top_regions(tiny_store, "regency", day, n=1) == ["33.02"]
    assert charts.region_names(tiny_store, "regency") == {
        "33.01": "Kabupaten Satu",
        "33.02": "Kota Dua",
    }


def test_top_regions_of_a_level_without_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    # RT and RW report houses with a case, not cases: they are ranked by those
    codes = np.array(["33.74.01.1001.001.001", "33.74.01.1001.001.002"], dtype=object)
    panel = M.Panel(codes, DAYS[:2], {"houses_7d": np.array([[1.0, 2.0], [3.0, 0.0]])}, None)
    data = service.LevelData("rt", panel, {"houses_7d": panel.values["houses_7d"]}, "rt", None)
    monkeypatch.setattr(service, "level_data", lambda store, level: data)
    assert charts.top_regions(None, "rt", DAYS[0]) == [codes[1], codes[0]]
    assert charts.top_regions(None, "rt", DAYS[1], n=1) == [codes[0]]
    data.metrics.clear()  # nothing to rank by: the level's order
    assert charts.top_regions(None, "rt", DAYS[1], n=1) == [codes[0]]


# --- bands ------------------------------------------------------------------------------


def test_band_frame_has_the_scheme_thresholds_and_colours() -> None:
    bands = charts.band_frame(WHO, "cases_7d_per_100k", "en", top=200)
    assert bands["zone"].tolist() == ["level-1", "level-2", "level-3", "level-4"]
    assert bands["lower"].tolist() == [0, 20, 50, 150]
    assert bands["upper"].tolist() == [20, 50, 150, 200]
    assert bands["colour"].tolist() == [z.colour for z in WHO.zones]
    assert bands["label"].tolist()[:2] == ["Level 1 (low): below 20", "Level 2 (moderate): 20–50"]
    # bands above the top of the chart are left out, the highest one is cut at the top
    low = charts.band_frame(WHO, "cases_7d_per_100k", "id", top=30)
    assert low["upper"].tolist() == [20, 30]
    assert low["label"].tolist() == ["Level 1 (rendah): di bawah 20", "Level 2 (sedang): 20–50"]
    assert charts.band_frame(WHO, "positivity_7d_pct", "en").empty  # not read by the scheme


def test_band_labels_of_a_rule_with_greater_than() -> None:
    ppkm = builtin_schemes()["ppkm-mikro-2021-04"]  # yellow > 0, orange > 2, red > 5 houses
    en = charts.band_frame(ppkm, "houses_7d", "en", top=8)
    assert en["label"].tolist() == [
        "Green: 0", "Yellow: over 0 up to 2", "Orange: over 2 up to 5", "Red: over 5",
    ]  # fmt: skip
    assert en["lower"].tolist() == [0, 0, 2, 5] and en["upper"].tolist() == [0, 2, 5, 8]
    id_ = charts.band_frame(ppkm, "houses_7d", "id", top=8)["label"].tolist()
    assert id_[1:] == ["Kuning: lebih dari 0 s.d. 2", "Oranye: lebih dari 2 s.d. 5",
                       "Merah: lebih dari 5"]  # fmt: skip


@pytest.mark.parametrize("lang", ["id", "en"])
def test_metric_chart_draws_bands_behind_the_lines(series: pd.DataFrame, lang: str) -> None:
    series = series.assign(cases_7d_per_100k=series["cases_7d_per_100k"] * 2.5)  # up to 70
    spec = charts.metric_chart(series, "cases_7d_per_100k", lang, WHO).to_dict()
    band, lines = layers(spec)[:2]
    assert mark(band) == "rect" and mark(lines) == "line"  # bands first: behind the lines
    data = rows(spec, band)
    top = lines["encoding"]["y"]["scale"]["domain"][1]
    assert [(r["lower"], r["upper"]) for r in data] == [(0, 20), (20, 50), (50, top)]
    assert 70 < top < 150  # level 4 starts above the chart: not drawn
    fill = band["encoding"]["fill"]["scale"]
    assert fill["range"] == [r["colour"] for r in data]
    assert fill["range"][:2] == ["#66c2a5", "#ffd92f"]
    assert lines["encoding"]["y"]["title"] == t("metrics.cases_7d_per_100k", lang)
    assert lines["encoding"]["stroke"]["scale"]["domain"] == ["Kabupaten Satu", "Kota Dua"]
    # the y axis reaches above the first threshold even when the data stay below it
    low = charts.metric_chart(series.assign(cases_7d_per_100k=5.0), "cases_7d_per_100k", lang, WHO)
    assert layers(low.to_dict())[1]["encoding"]["y"]["scale"]["domain"][1] > 20
    assert band["encoding"]["x"]["field"] == "start"  # as wide as the time axis


def test_metric_chart_without_bands(series: pd.DataFrame) -> None:
    spec = charts.metric_chart(series, "positivity_7d_pct", "en", WHO).to_dict()
    assert [mark(layer) for layer in layers(spec)] == ["line"]
    assert charts.banded_metrics(WHO, series) == ["cases_7d_per_100k"]


# --- provisional and missing days -------------------------------------------------------


def _daily(series: pd.DataFrame, lang: str, per_100k: bool = True) -> dict:
    return charts.daily_charts(series, "new_cases", lang, per_100k)["Kabupaten Satu"].to_dict()


def test_daily_chart_draws_provisional_and_missing_days_differently(series: pd.DataFrame) -> None:
    spec = _daily(series, "en")
    bars, line = layers(spec)[:2]
    colour = bars["encoding"]["color"]["scale"]
    labels = dict(zip(colour["domain"], colour["range"], strict=True))
    assert labels["provisional – reports still arriving"] == charts.BAR_COLOURS[charts.PROVISIONAL]
    assert labels["no report"] == charts.BAR_COLOURS[charts.MISSING]
    assert len(set(colour["range"])) == 3
    data = rows(spec, bars)
    by_state = {s: [r for r in data if r["state"] == s] for s in colour["domain"]}
    assert len(by_state["provisional – reports still arriving"]) == 3
    missing = by_state["no report"]
    assert len(missing) == 2  # the two days without a report ...
    top = bars["encoding"]["y"]["scale"]["domain"][1]
    assert all(r["bar"] == top for r in missing)  # ... are full-height columns, not zero
    # the 7-day average: dashed where provisional, joined (and fainter) over the gap
    dash = line["encoding"]["strokeDash"]["scale"]
    styles = dict(zip(dash["domain"], dash["range"], strict=True))
    assert styles["provisional – reports still arriving"] == charts.LINE_DASHES[charts.PROVISIONAL]
    assert styles["provisional – reports still arriving"] != styles["7-day average"]
    kinds = {r["kind"]: r["fade"] for r in rows(spec, line)}
    assert kinds[charts.GAP] < kinds[charts.COMPLETE]
    assert charts.PROVISIONAL in kinds


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_correction_is_drawn_below_zero_in_its_own_colour(series: pd.DataFrame, lang) -> None:
    """A day below zero is a cumulative total revised down (issue 14): it is not hidden under
    the axis nor drawn as a day of cases."""
    assert charts.CORRECTION not in charts.day_states(np.array([1.0, np.nan]), [False, False])
    first = series.index[series["name"] == "Kabupaten Satu"][5]
    corrected = series.copy()
    corrected.loc[first, "new_cases"] = -40.0
    spec = charts.daily_charts(corrected, "new_cases", lang, False)["Kabupaten Satu"].to_dict()
    bars = layers(spec)[0]
    scale = bars["encoding"]["y"]["scale"]["domain"]
    assert scale[0] <= -40 < 0 < scale[1]
    colour = bars["encoding"]["color"]["scale"]
    label = t("trends.correction", lang)
    assert (
        dict(zip(colour["domain"], colour["range"], strict=True))[label]
        == (charts.BAR_COLOURS[charts.CORRECTION])
    )
    assert [r["value"] for r in rows(spec, bars) if r["state"] == label] == [-40.0]
    # a region without one has no such entry in its legend
    other = charts.daily_charts(corrected, "new_cases", lang, False)["Kota Dua"].to_dict()
    assert label not in layers(other)[0]["encoding"]["color"]["scale"]["domain"]


def test_daily_chart_text_in_both_languages(series: pd.DataFrame) -> None:
    en, id_ = _daily(series, "en"), _daily(series, "id")
    assert layers(en)[0]["encoding"]["y"]["title"] == "New cases per 100,000"
    assert layers(id_)[0]["encoding"]["y"]["title"] == "Kasus baru per 100.000"
    assert (
        "sementara – laporan masih masuk" in layers(id_)[0]["encoding"]["color"]["scale"]["domain"]
    )
    assert layers(id_)[0]["encoding"]["color"]["legend"]["title"] == "Hari"
    absolute = _daily(series, "en", per_100k=False)
    assert layers(absolute)[0]["encoding"]["y"]["title"] == "New cases"
    assert en["title"] == "Kabupaten Satu"


def test_per_100k_scales_by_population(series: pd.DataFrame) -> None:
    per = charts.daily_charts(series, "new_cases", "en", True)["Kota Dua"].to_dict()
    raw = charts.daily_charts(series, "new_cases", "en", False)["Kota Dua"].to_dict()
    first = rows(per, layers(per)[0])[0]["value"], rows(raw, layers(raw)[0])[0]["value"]
    assert first == (4.0, 2.0)  # 2 cases in 50,000 people


def test_indonesian_charts_use_indonesian_dates_and_numbers(series: pd.DataFrame) -> None:
    id_ = charts.cumulative_chart(series, "id").to_dict()
    en = charts.cumulative_chart(series, "en").to_dict()
    assert id_["config"]["locale"]["number"]["decimal"] == ","
    assert "Agustus" in id_["config"]["locale"]["time"]["months"]
    assert "locale" not in en["config"]
    assert id_["autosize"]["type"] == "fit-x"  # legends below never squash the plot
    assert layers(en)[0]["encoding"]["y"]["title"] == "Cumulative cases per 100,000"


def test_chosen_date_rule_only_when_later_days_are_shown(series: pd.DataFrame) -> None:
    spec = charts.trend_chart(series, "cases_7d_per_100k", "en", WHO, day=DAYS[-4]).to_dict()
    assert mark(layers(spec)[-1]) == "rule"
    spec = charts.trend_chart(series, "cases_7d_per_100k", "en", WHO, day=DAYS[-1]).to_dict()
    assert mark(layers(spec)[-1]) != "rule"
    assert charts.trend_chart(series, "cumulative", "en").to_dict()["layer"]


def test_existing_charts_keep_working() -> None:
    history = pd.DataFrame({"date": DAYS[:3], "zone_index": [0, 1, -1]})
    assert charts.zone_strip(history, WHO, "en").to_dict()["mark"]["type"] == "rect"
    frame = case_series(3.0).assign(avg7=3.0)
    assert charts.daily_cases(frame, "id").to_dict()["layer"]


# --- public views of small levels ------------------------------------------------------------


def village_store(path) -> Store:
    """Two villages of one district (100,000 people each, so that no zone narrows a small
    count), 28 days from Monday 5 July: Desa A1 has 2 cases in each week, Desa A2 3 (their
    district's 5 leave both a range); Desa B1 in another district 1 a day."""
    from conftest import tiny_regions, write_store

    regions = tiny_regions()
    regions.loc[regions["level"] == "village", "population"] = 100_000

    days = pd.date_range("2021-07-05", periods=28, freq="D")
    daily = {"33.01.01.2001": [1.0 if i % 7 in (0, 3) else 0.0 for i in range(28)],
             "33.01.01.2002": [1.0 if i % 7 in (1, 2, 5) else 0.0 for i in range(28)],
             "33.02.01.1001": [1.0] * 28,
             "33.02.01.1002": [0.0] * 28}  # fmt: skip
    counts = pd.concat(
        pd.DataFrame({"region": code, "date": days, "new_cases": values})
        for code, values in daily.items()
    ).assign(deaths=0.0, admissions=0.0)
    return write_store(path, regions, counts)


def test_line_segments_never_join_over_a_hidden_value() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2021-07-04", periods=4, freq="7D"),
            "v": [10.0, np.nan, 12.0, 14.0],
            "provisional": False,
            "hidden": [False, True, False, False],
        }
    )
    joined = charts.line_segments(frame, "v")
    assert charts.GAP in set(joined["kind"])
    broken = charts.line_segments(frame, "v", breaks="hidden")
    assert broken["value"].tolist() == [12.0, 14.0] and charts.GAP not in set(broken["kind"])


def test_public_series_is_weekly_and_holds_no_hidden_value(tmp_path) -> None:
    store = village_store(tmp_path / "v.db")
    codes = ["33.01.01.2001", "33.01.01.2002", "33.02.01.1001"]
    frame = charts.trend_series(store, "village", codes, day="2021-08-01", public=True)
    assert set(frame["date"].dt.day_of_week) == {6}  # Sundays only
    assert list(frame["date"].drop_duplicates()) == list(
        pd.date_range("2021-07-11", "2021-08-01", freq="7D")
    )
    a1 = frame[frame["code"] == "33.01.01.2001"]
    assert set(a1["new_cases__state"]) == {privacy.SMALL}  # 2 cases a week: a range
    assert a1["new_cases"].isna().all() and set(a1["new_cases__hi"]) == {4.0}
    a2 = frame[frame["code"] == "33.01.01.2002"]
    assert set(a2["new_cases__state"]) == {privacy.SMALL}  # 5 = 1..4 + 1..4: both may be 1..4
    b1 = frame[frame["code"] == "33.02.01.1001"]
    assert set(b1["new_cases"]) == {7.0} and set(b1["new_cases__state"]) == {privacy.EXACT}
    values = frame[[c for c in frame if not c.endswith("__state")]]
    values = values.select_dtypes("number").to_numpy(float).ravel()
    for hidden in (2.0, 3.0):  # A1's and A2's weeks (counts, and per 100,000)
        assert not np.isclose(values, hidden).any(), hidden
    # the same regions for an analyst: daily, exact
    exact = charts.trend_series(store, "village", codes, day="2021-08-01")
    assert len(exact) == 3 * 28 and 3.0 in set(exact["cases_7d"])


def test_public_series_of_a_level_that_is_not_protected_is_the_usual_one(tiny_store) -> None:
    exact = charts.trend_series(tiny_store, "district", ["33.01.01"], day="2021-07-21")
    public = charts.trend_series(
        tiny_store, "district", ["33.01.01"], day="2021-07-21", public=True
    )
    pd.testing.assert_frame_equal(exact, public)


def test_weekly_and_metric_charts_of_a_public_series(tmp_path) -> None:
    store = village_store(tmp_path / "v.db")
    codes = ["33.01.01.2001", "33.01.01.2002", "33.02.01.1001"]
    frame = charts.trend_series(store, "village", codes, day="2021-08-01", public=True)
    figures = charts.weekly_charts(frame, "new_cases", "en", per_100k=False)
    spec = figures["Desa A1"].to_dict()
    bars = layers(spec)[0]
    data = spec["datasets"][spec["data"]["name"]]  # one layer: its data at the top
    assert {(r["bottom"], r["bar"], r["text"]) for r in data} == {(1.0, 4.0, "1–4")}
    assert {r["state"] for r in data} == {t("trends.ranged", "en")}
    assert bars["encoding"]["y"]["title"] == "New cases per week"
    other = figures["Desa A2"].to_dict()
    assert {r["text"] for r in other["datasets"][other["data"]["name"]]} == {"1–4"}
    assert charts.has_values(frame, "cases_7d_per_100k")
    spec = charts.metric_chart(frame, "cases_7d_per_100k", "id", WHO).to_dict()
    texts = {r.get("text") for layer in layers(spec) if "data" in layer for r in rows(spec, layer)}
    assert "1,0–4,0" in texts and "7,0" in texts
    assert {mark(layer) for layer in layers(spec)} >= {"line", "point", "rule"}
    # one value a week, and the title says so (issue 11 item 19)
    assert "nilai mingguan, s.d. Minggu" in json.dumps(spec)
    analyst = charts.trend_series(store, "village", codes, day="2021-08-01")
    assert "nilai mingguan" not in json.dumps(
        charts.metric_chart(analyst, "cases_7d_per_100k", "id", WHO).to_dict()
    )


# --- the selected region on the map (issue 11, items 14 and 18) ------------------------------

PPKM = builtin_schemes()["ppkm-mikro-2021-04"]


def houses_frame() -> pd.DataFrame:
    """An RT's daily series as trend_frame gives it: houses with a case, no new cases."""
    houses = (np.arange(len(DAYS)) % 7).astype(float)
    series = pd.DataFrame({"date": DAYS, "houses_7d": houses, "provisional": False})
    rt = pd.DataFrame({"code": ["33.01.01.2001.001.001"], "name": ["RT 001/RW 001"],
                       "population": [200.0]})  # fmt: skip
    return charts.trend_frame({"33.01.01.2001.001.001": series}, rt)


def has_day_rule(spec: dict, day: pd.Timestamp) -> bool:
    return any(
        mark(layer) == "rule"
        and [pd.Timestamp(r["date"]) for r in rows(spec, layer)] == [pd.Timestamp(day)]
        for layer in layers(spec)
    )


def test_region_charts_of_an_rt_draw_its_houses_not_new_cases() -> None:
    drawn = charts.region_charts(houses_frame(), "en", PPKM, DAYS[10], public=False)
    assert [caption for caption, _ in drawn] == ["Houses with a case in the last 7 days"]
    spec = drawn[0][1].to_dict()
    assert any(mark(layer) == "rect" for layer in layers(spec))  # PPKM's bands behind
    assert has_day_rule(spec, DAYS[10])


def test_region_charts_mark_the_chosen_date_even_on_the_last_day(series) -> None:
    one = series[series["code"] == "33.02"]
    drawn = charts.region_charts(one, "id", WHO, DAYS[-1], public=False)
    assert [caption for caption, _ in drawn] == ["Kasus baru harian (rata-rata 7 hari)"]
    assert has_day_rule(drawn[0][1].to_dict(), DAYS[-1])
    # the trends page keeps its rule for a chosen date with later days shown only
    assert not has_day_rule(charts.daily_charts(one, "new_cases", "en", day=DAYS[-1])
                            ["Kota Dua"].to_dict(), DAYS[-1])  # fmt: skip


def test_region_charts_show_days_around_the_chosen_date() -> None:
    long = pd.date_range("2020-09-01", periods=420, freq="D")
    frame = pd.DataFrame({"date": long, "x": 1.0})
    shown = charts.around_day(frame, long[300])
    assert shown["date"].min() == long[300] - pd.Timedelta(days=charts.PANEL_DAYS_BEFORE)
    assert shown["date"].max() == long[300] + pd.Timedelta(days=charts.PANEL_DAYS_AFTER)


def test_region_charts_without_counts_are_none() -> None:
    empty = houses_frame().assign(houses_7d=np.nan)
    assert charts.region_charts(empty, "en", PPKM, DAYS[3], public=False) == []


def test_zone_strip_marks_the_day_and_speaks_indonesian() -> None:
    history = pd.DataFrame({"date": DAYS[:3], "zone_index": [0, 1, -1]})
    spec = charts.zone_strip(history, WHO, "id", DAYS[2]).to_dict()
    assert has_day_rule(spec, DAYS[2])
    assert "Agustus" in spec["config"]["locale"]["time"]["months"]


def test_public_series_without_the_days_states_falls_back_to_ranges(tmp_path, monkeypatch):
    """No state for a week (a level outside the day's audit) never means 'exact'."""
    from zoning.views import published

    store = village_store(tmp_path / "v.db")
    monkeypatch.setattr(published, "day_states", lambda *a, **k: {})
    frame = charts.trend_series(store, "village", ["33.01.01.2001"], day="2021-08-01", public=True)
    assert privacy.EXACT not in set(frame["new_cases__state"])
    assert frame["new_cases"].isna().all()


@pytest.mark.parametrize(
    ("lang", "rows"), [("en", ["Zone", "Computed"]), ("id", ["Zona", "Hasil hitung"])]
)
def test_zone_strip_gives_the_computed_zone_beside_a_decided_one(lang, rows) -> None:
    history = pd.DataFrame({
        "date": DAYS[:4], "zone_index": [0, 2, 2, 1], "computed_index": [0, 1, 1, 1],
    })  # fmt: skip
    spec = charts.zone_strip(history, WHO, lang).to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert data["row"].drop_duplicates().tolist() == rows
    labels = WHO.zone_labels(lang)
    assert data.loc[data["row"] == rows[1], "label"].tolist() == [labels[i] for i in (0, 1, 1, 1)]
    assert data.loc[data["row"] == rows[0], "label"].tolist() == [labels[i] for i in (0, 2, 2, 1)]
    same = history.assign(computed_index=history["zone_index"])  # no decision differs: one row
    data = pd.DataFrame(
        next(iter(charts.zone_strip(same, WHO, lang).to_dict()["datasets"].values()))
    )
    assert set(data["row"]) == {"Zone" if lang == "en" else "Zona"}
