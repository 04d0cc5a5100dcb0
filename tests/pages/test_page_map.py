"""The zone map page in Streamlit's AppTest, on the tiny store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

from zoning.core.text import escape_markdown
from zoning.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tiny_store_sql: Store, serve_store) -> Store:
    """The tiny store served to the page, from SQLite and from PostgreSQL (``ZONING_DB``)."""
    return serve_store(tiny_store_sql)


def open_map(**params: str) -> AppTest:
    return open_page("map", **params)


def markdown(at: AppTest) -> str:
    return "\n".join(el.value for el in at.markdown)


@pytest.mark.parametrize(("lang", "title"), [("id", "Peta zona"), ("en", "Zone map")])
def test_renders_in_both_languages(store, lang, title):
    at = open_map(lang=lang, level="regency", scheme="who-ct-2021", date="2021-07-10")
    assert at.title[0].value == title
    text = markdown(at)
    people = "4.000 jiwa" if lang == "id" else "4,000 people"
    both = "2 dari 2 wilayah" if lang == "id" else "2 of 2 regions"
    assert f"{both} · {people}" in text  # both regencies in Level 4
    assert len(at.get("download_button")) == 3  # CSV, GeoJSON, standalone HTML map


def test_view_is_kept_in_the_url(store):
    at = open_map(level="village", scheme="harvard-ghi-2020", date="2021-07-12")
    assert at.query_params["level"] == "village"
    assert at.query_params["scheme"] == "harvard-ghi-2020"
    assert at.query_params["date"] == "2021-07-12"
    assert at.selectbox(key="level_select").value == "village"


def test_the_date_steps_guesses_know_whether_the_browser_draws_new_shapes(store, monkeypatch):
    """A first view or another level: the browser reads and draws the shapes, and the guesses
    of the next days wait longer for it; a date step only recolours them."""
    from zoning.render import firstview

    told: list[bool] = []
    monkeypatch.setattr(
        firstview, "prefetch", lambda *a, new_shapes=True, **k: told.append(new_shapes)
    )
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10")
    at.date_input(key="date_input").set_value(dt.date(2021, 7, 1)).run()
    at.selectbox(key="level_select").set_value("village").run()
    at.date_input(key="date_input").set_value(dt.date(2021, 7, 2)).run()
    assert told == [True, False, True, False]


def test_controls_change_the_view(store):
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10")
    at.selectbox(key="level_select").set_value("village").run()
    assert at.query_params["level"] == "village"
    assert "dari 4 wilayah" in markdown(at)  # four villages on the map now
    at.date_input(key="date_input").set_value(dt.date(2021, 7, 1)).run()
    assert at.query_params["date"] == "2021-07-01"
    text = markdown(at)
    assert "Tanpa data" in text and "4 dari 4 wilayah" in text  # first day: windows incomplete


def test_selected_region_panel_and_drill_down(store):
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10", region="33.02")
    assert any("Kota Dua" in h.value for h in at.subheader)
    drill = [b for b in at.button if "Kecamatan" in b.label]
    assert drill, [b.label for b in at.button]
    drill[0].click().run()
    assert at.query_params["level"] == "district"
    assert at.query_params["within"] == "33.02"


def map_args(at: AppTest) -> dict:
    import json

    (element,) = [e for e in at.get("component_instance") if "zonemap" in e.proto.component_name]
    return json.loads(element.proto.json_args)


def test_the_map_gets_geometry_once_as_a_file_and_zones_per_view(store):
    from ui.zonemap import GEO_DIR
    from zoning.render.mapdata import decode_geometry

    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-10", lang="en")
    first = map_args(at)
    name = first["geometry_url"].rsplit("/", 1)[1]
    assert first["geometry_url"] == f"../../app/static/geo/{first['geometry_id']}.zmg"
    assert first["geometry_data"] is None  # not sent inline: the browser fetches the file
    header, shapes = decode_geometry((GEO_DIR / name).read_bytes())
    assert sorted(header["codes"]) == sorted(store.regions("village")["code"])
    assert all(s is not None for s in shapes)
    assert len(first["view"]["zones"]) == len(header["codes"])
    assert first["token"] == "who-ct-2021|2021-07-10|en|one"  # one date (not compared, played)

    at.date_input(key="date_input").set_value(dt.date(2021, 7, 1)).run()
    second = map_args(at)
    assert second["geometry_id"] == first["geometry_id"]  # same geometry, new colours only
    assert second["token"] == "who-ct-2021|2021-07-01|en|one"
    assert set(second["view"]["zones"]) == {-1}  # first day: no complete window anywhere
    assert set(first["view"]["zones"]) != {-1}


def test_the_date_steps_a_day_and_a_week_back_and_on_within_the_data(store):
    """Issue 15 item 5: a date picker and buttons, not a slider over every day."""
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10")
    assert not at.slider  # no slider any more
    assert at.date_input(key="date_input").value == dt.date(2021, 7, 10)
    at.button(key="date_week_back").click().run()
    assert at.query_params["date"] == "2021-07-03"
    assert at.date_input(key="date_input").value == dt.date(2021, 7, 3)
    at.button(key="date_day_on").click().run()
    assert at.query_params["date"] == "2021-07-04"
    at.button(key="date_day_back").click().run()
    at.button(key="date_day_back").click().run()
    assert at.query_params["date"] == "2021-07-02"
    # the tiny store's days: 1 to 21 July; a week back from the 2nd stops at the first day
    at.button(key="date_week_back").click().run()
    assert at.query_params["date"] == "2021-07-01"
    assert at.button(key="date_week_back").disabled and at.button(key="date_day_back").disabled
    at.date_input(key="date_input").set_value(dt.date(2021, 7, 19)).run()
    at.button(key="date_week_on").click().run()
    assert at.query_params["date"] == "2021-07-21"  # the last day
    assert at.button(key="date_week_on").disabled and at.button(key="date_day_on").disabled
    assert not at.button(key="date_day_back").disabled


def test_a_click_on_the_map_selects_the_region_once(store):
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10")
    key = "zone-map"
    at.session_state[key] = {"code": "33.02", "click": "abc-1"}
    at.run()
    assert at.query_params["region"] == "33.02"
    assert map_args(at)["selected"] == "33.02"
    at.query_params.pop("region")
    at.run()  # the same click value again: not a new click
    assert "region" not in at.query_params


OIDC_ANALYST = {
    "secrets": {
        "auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"},
        "zoning": {"analysts": ["@dinkes.go.id"]},
    },
    "user": {"is_logged_in": True, "email": "ana@dinkes.go.id"},
}


@pytest.fixture
def quiet_store(tmp_path, serve_store) -> Store:
    """The tiny province where village 33.01.01.2001 had 3 cases in the week to 18 July."""
    from conftest import tiny_counts, tiny_regions, write_store

    counts = tiny_counts()
    quiet = counts["region"] == "33.01.01.2001"
    late = counts["date"] >= "2021-07-12"
    counts.loc[quiet & late, "new_cases"] = [1, 0, 1, 0, 1, 0, 0, 0, 0, 0]
    return serve_store(write_store(tmp_path / "quiet.db", tiny_regions(), counts))


def village_values(at: AppTest, code: str) -> dict:
    view = map_args(at)["view"]
    header_codes = _codes(at)
    i = header_codes.index(code)
    return {
        f["label"]: f["texts"][f["text_of"][i]]
        if f.get("text_of", [-1] * (i + 1))[i] >= 0
        else f.get("values", [None] * (i + 1))[i]
        for f in view["fields"]
    }


def _codes(at: AppTest) -> list[str]:
    from ui.zonemap import GEO_DIR
    from zoning.render.mapdata import decode_geometry

    name = map_args(at)["geometry_url"].rsplit("/", 1)[1]
    return decode_geometry((GEO_DIR / name).read_bytes())[0]["codes"]


def test_the_public_map_shows_small_counts_as_ranges(quiet_store):
    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-18", lang="en")
    shown = village_values(at, "33.01.01.2001")
    # WHO level 4 in 1,000 people means 2 cases or more: the zone cuts into 1–4, so the
    # figure reads 'see zone' (issue 11 item 3)
    assert shown["New cases, 7 days"] == "see zone"
    assert shown["Cases per 100,000, 7 days"] == "see zone"  # not 300.0
    assert "300" not in repr(list(shown.values()))
    assert any("1–4" in c.value or "fewer than 5" in c.value for c in at.caption)
    table = at.dataframe[0].value if at.dataframe else None
    assert table is None  # the table is only built on request
    at.toggle(key="zone_table").set_value(True).run()
    row = at.dataframe[0].value.set_index("Code").loc["33.01.01.2001"]  # headers in words
    assert pd.isna(row["New cases, 7 days"]) and row["New cases, 7 days: note"] == "see zone"


def test_an_analyst_sees_the_exact_counts_on_the_map(quiet_store):
    at = open_page(
        "map", level="village", scheme="who-ct-2021", date="2021-07-18", lang="en",
        **OIDC_ANALYST,
    )  # fmt: skip
    shown = village_values(at, "33.01.01.2001")
    assert shown["New cases, 7 days"] == 3
    assert shown["Cases per 100,000, 7 days"] == 300.0


def test_the_public_map_of_a_weekday_shows_no_week_figure(quiet_store):
    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-17", lang="en")
    shown = village_values(at, "33.01.01.2001")
    assert not any(isinstance(v, (int, float)) for k, v in shown.items() if "7 days" in k)


# --- issue 11: RW and RT panels, drill-down, measures, schemes by level ---------------------

RW = "33.01.01.2001.001"
RTS = ("33.01.01.2001.001.001", "33.01.01.2001.001.002")


@pytest.fixture
def rt_store(tmp_path, serve_store) -> Store:
    """The tiny province with one RW and two RTs in Desa A1 (none in the other villages);
    the RTs count houses with a case in the last 7 days, not new cases."""
    from conftest import tiny_counts, tiny_regions, write_store
    from shapely.geometry import box

    regions = tiny_regions()
    extra = [
        (RW, "RW 001", "rw", "33.01.01.2001", 400, box(0, 0, 1, 1)),
        (RTS[0], "RT 001/RW 001", "rt", RW, 200, box(0, 0, 0.5, 1)),
        (RTS[1], "RT 002/RW 001", "rt", RW, 200, box(0.5, 0, 1, 1)),
    ]
    regions = pd.concat(
        [regions, gpd.GeoDataFrame(extra, columns=regions.columns, crs=regions.crs)],
        ignore_index=True,
    )
    counts = tiny_counts()
    days = pd.date_range("2021-07-01", periods=21, freq="D")
    houses = pd.DataFrame(
        [(code, d, float((i + k) % 8)) for k, code in enumerate(RTS) for i, d in enumerate(days)],
        columns=["region", "date", "houses_7d"],
    )
    counts = pd.concat([counts, houses], ignore_index=True)
    return serve_store(write_store(tmp_path / "rt.db", regions, counts))


def captions(at: AppTest) -> str:
    return "\n".join(el.value for el in at.caption)


def chart_specs(at: AppTest) -> list[str]:
    return [el.proto.spec for el in at.get("vega_lite_chart")]


DAY_RULE = '"mark": {"type": "rule", "color": "#111111"'  # charts._day_rule, always drawn


@pytest.mark.parametrize("who", ["public", "analyst"])
@pytest.mark.parametrize(("level", "code"), [("rw", RW), ("rt", RTS[1])])
def test_rw_and_rt_regions_open_with_their_house_counts(rt_store, level, code, who):
    """Issue 11 item 14: an RW or RT region by ?region= showed KeyError: 'new_cases'."""
    extra = OIDC_ANALYST if who == "analyst" else {}
    at = open_page(
        "map", level=level, scheme="ppkm-mikro-2021-04", date="2021-07-15", region=code,
        lang="en", **extra,
    )  # fmt: skip
    assert any(code[-3:] in h.value for h in at.subheader)
    assert "Houses with a case in the last 7 days" in captions(at)
    assert len(at.get("download_button")) == 3  # the downloads are there too
    assert all(DAY_RULE in spec for spec in chart_specs(at))  # zone strip and houses


def test_zoom_in_is_offered_only_where_there_are_regions_inside(rt_store):
    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-15", region=RW[:-4])
    (zoom,) = [b for b in at.button if "Zoom" in b.label or "Perbesar" in b.label]
    assert "1" in zoom.label  # one RW inside Desa A1
    zoom.click().run()
    assert at.query_params["level"] == "rw" and at.query_params["within"] == RW[:-4]
    assert "1 dari 1 wilayah" in markdown(at)
    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-15", region="33.01.01.2002")
    assert not [b for b in at.button if "Perbesar" in b.label]
    assert "Tidak ada wilayah tingkat RW yang tercatat di dalam wilayah ini." in captions(at)


@pytest.mark.parametrize(
    ("level", "within", "up"),
    [
        ("village", "33.01.01", {"level": "district", "within": "33.01", "region": "33.01.01"}),
        ("district", "33.02", {"level": "regency", "within": "33", "region": "33.02"}),
        ("rt", RW, {"level": "rw", "within": "33.01.01.2001", "region": RW}),
    ],
)
def test_up_goes_one_level_up_to_the_parent_and_its_siblings(rt_store, level, within, up):
    """Issue 11 item 18: "Back" jumped to every village instead of one level up."""
    at = open_map(level=level, within=within, scheme="who-ct-2021", date="2021-07-15", lang="en")
    (back,) = [b for b in at.button if b.label.startswith("Up one level")]
    back.click().run()
    assert {k: at.query_params.get(k) for k in up} == up
    assert any(h.value.startswith("Selected region") for h in at.subheader)


def test_the_panel_charts_mark_the_chosen_date(store):
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-21", region="33.02")
    specs = chart_specs(at)
    assert len(specs) == 2  # zone history and daily cases, both with a rule on the day
    assert all(DAY_RULE in s for s in specs)


def test_a_level_4_region_shows_what_it_must_do(store):
    """Issue 11 item 16: under the default WHO scheme a red region said it had no measures."""
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10", region="33.02")
    assert "Level 4" in markdown(at)
    assert "Stay at home" not in markdown(at)  # Bahasa Indonesia first
    assert "Tetap di rumah kecuali untuk keperluan esensial" in markdown(at)
    assert "WHO" in captions(at) and not at.info
    at = open_map(
        level="regency", scheme="who-ct-2021", date="2021-07-10", region="33.02", lang="en"
    )
    assert "Stay at home except for essential needs" in markdown(at)


def test_choosing_ppkm_mikro_moves_the_map_to_rt(rt_store):
    """Issue 11 item 15: PPKM Mikro greyed out the map at every level but RT."""
    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-15", lang="en")
    at.radio(key="scheme_select").set_value("ppkm-mikro-2021-04").run()  # a list: names whole
    assert at.query_params["level"] == "rt"
    assert at.selectbox(key="level_select").value == "rt"
    assert "2 of 2 regions" in markdown(at) or "1 of 2 regions" in markdown(at)
    assert not at.warning
    levels = at.selectbox(key="level_select").options
    assert "RT (block)" in levels and "Village (outside the scheme)" in levels


def test_a_scheme_at_a_level_it_cannot_zone_says_what_it_would_take(rt_store):
    at = open_map(level="village", scheme="ppkm-mikro-2021-04", date="2021-07-15", lang="en")
    (warning,) = at.warning
    # Desa A1's houses roll up from its RTs; the three other villages count none
    assert "can zone only 1 of the 4 regions at Village level" in warning.value
    assert "Choose the level: RT (block)." in warning.value and "line list" in warning.value
    at.button(key="level_go").click().run()
    assert at.query_params["level"] == "rt" and not at.warning


@pytest.mark.parametrize(("lang", "label"), [("en", "1 RT (block) without a boundary"),
                                             ("id", "1 RT tanpa batas peta")])  # fmt: skip
def test_rts_without_a_boundary_are_listed_under_the_map(rt_store, lang, label):
    """Issue 14: RTs a line list named have no boundary; the map draws those that have one and
    lists the others with their zones."""
    made = pd.DataFrame([(f"{RW}.003", "RT 003/RW 001", "rt", RW, float("nan"))],
                        columns=["code", "name", "level", "parent", "population"])  # fmt: skip
    with rt_store.transaction() as conn:
        rt_store.add_regions(conn, made, None)
    at = open_page("map", level="rt", scheme="ppkm-mikro-2021-04", date="2021-07-15", lang=lang)
    (listed,) = [e for e in at.expander if label in e.label]
    table = listed.dataframe[0].value
    assert table.iloc[:, 0].tolist() == ["RT 003/RW 001"]
    from zoning.render import mapdata

    assert mapdata.without_boundary(rt_store, "rt") == [f"{RW}.003"]
    assert mapdata.without_boundary(rt_store, "rt", within="33.02") == []
    assert mapdata.level_geometry(rt_store, "rt").drawn == 2  # the two with a boundary


# --- issue 15: the first view of the demo, the worst zone beside the map, finding a place ------


def link_views(at: AppTest) -> list[tuple[str, dict[str, str]]]:
    """Every page link on the page: its label and the view its query asks for."""
    from urllib.parse import parse_qsl

    return [
        (link.proto.label, dict(parse_qsl(link.proto.query_string))) for link in at.get("page_link")
    ]


@pytest.fixture
def demo_store(demo_db, serve_store) -> Store:
    return serve_store(Store(str(demo_db)))


def test_the_first_view_lists_the_worst_zone_beside_the_map(demo_store):
    from zoning.model.schemes import builtin_schemes
    from zoning.views import briefing, service

    at = open_map()  # a fresh clone's first page: no query at all
    assert at.query_params["level"] == "regency"
    assert at.query_params["scheme"] == "who-ct-2021"
    day = service.level_data(demo_store, "regency").settled_day
    assert at.query_params["date"] == str(day.date())
    who = builtin_schemes()["who-ct-2021"]
    _, rows = briefing.worst_zone(demo_store, who, "regency", day, public=True, lang="id")

    def linked() -> list[tuple[str, dict[str, str]]]:
        return [(label, view) for label, view in link_views(at) if view.get("region")]

    listed = linked()  # the worst zone's list, the one shown first; no other list is sent
    assert [view["region"] for _, view in listed] == rows["code"].tolist()
    lists = at.segmented_control(key="map_list")
    assert lists.options == [f"Terberat ({len(rows)})", *lists.options[1:]]
    _, changed = briefing.week_changes(demo_store, who, "regency", day)
    worse = changed["after"] > changed["before"]
    lists.set_value("worse").run()  # the week's changes, ten at most, the rest counted
    assert [view["region"] for _, view in linked()] == changed[worse]["code"][:10].tolist()
    more = int(worse.sum()) - 10
    assert more > 0 and any(f"dan {more} wilayah lain" in c.value for c in at.caption)
    assert at.segmented_control(key="map_list").options[1] == f"▲ Memburuk ({int(worse.sum())})"
    at.segmented_control(key="map_list").set_value("better").run()
    assert [view["region"] for _, view in linked()] == changed[~worse]["code"][:10].tolist()
    at.segmented_control(key="map_list").set_value("worst").run()
    assert next(label for label, _ in listed) == f"1\\. {rows['name'].iloc[0]}"
    assert all(v["level"] == "regency" and v["date"] == str(day.date()) for _, v in listed)
    text = markdown(at)
    assert "**Zona terberat\\: Level 4 \\(sangat tinggi\\)**" in text
    captions = [c.value for c in at.caption]
    first = rows.iloc[0]
    figure = f"{first['cases_7d_per_100k']:.1f}".replace(".", ",")
    assert any(figure in c and "Kasus 7 hari per 100\\.000" in c for c in captions)
    # every zone of the scheme is on the cards above the map
    for zone in ("Level 1 (rendah)", "Level 2 (sedang)", "Level 3 (tinggi)"):
        assert zone in text


@pytest.mark.parametrize(
    ("typed", "code", "level", "within"),
    [
        ("Miroto", "33.74.01.1001", "village", "33.74.01"),
        ("33.74.01", "33.74.01", "district", "33.74"),
        ("kota semarang", "33.74", "regency", None),
    ],
)
def test_a_place_is_found_by_name_or_code_and_linked(demo_store, typed, code, level, within):
    at = open_map(lang="en", date="2021-06-20")
    before = len(at.get("page_link"))
    at.text_input(key="region_search").input(typed).run()
    found = link_views(at)[: len(at.get("page_link")) - before]
    label, view = found[0]
    assert view["region"] == code and view["level"] == level
    assert view.get("within") == within
    assert view["date"] == "2021-06-20" and view["lang"] == "en"  # the rest of the view kept
    if code == "33.74.01.1001":
        assert label == "Miroto · Village · Semarang Tengah, Kota Semarang"


def test_an_ambiguous_name_shows_the_parents_of_each(demo_store):
    at = open_map(lang="en")
    before = len(at.get("page_link"))
    at.text_input(key="region_search").input("Sidorejo").run()
    found = [label for label, _ in link_views(at)[: len(at.get("page_link")) - before]]
    assert len(found) == 8  # the most shown; the caption says how many matched
    assert len(set(found)) == len(found)  # told apart by their parents
    assert any(label == "Sidorejo · District · Kota Salatiga" for label in found)
    assert any(c.value.startswith("25 regions match; 8 are shown") for c in at.caption)
    at.text_input(key="region_search").input("Atlantis").run()
    assert any('No region is named or coded "Atlantis"' in c.value for c in at.caption)


def all_map_args(at: AppTest) -> list[dict]:
    import json

    found = [e for e in at.get("component_instance") if "zonemap" in e.proto.component_name]
    return [json.loads(e.proto.json_args) for e in found]


def test_two_dates_side_by_side_and_the_weeks_played(store):
    """Issue 15 item 6: compare a week before (or any day) beside the chosen day; play the
    weeks up to it on the map."""
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-20", lang="en")
    assert len(all_map_args(at)) == 1 and "frames" not in map_args(at)["view"]
    at.segmented_control(key="map_mode").set_value("compare").run()
    assert at.query_params["mode"] == "compare" and at.query_params["compare"] == "2021-07-13"
    left, right = all_map_args(at)
    assert (
        left["token"].startswith("who-ct-2021|2021-07-13")
        and left["geometry_id"] == (right["geometry_id"])
    )
    assert right["token"].startswith("who-ct-2021|2021-07-20")
    at.date_input(key="compare_input").set_value(dt.date(2021, 7, 1)).run()
    assert at.query_params["compare"] == "2021-07-01"
    assert set(all_map_args(at)[0]["view"]["zones"]) == {-1}  # the first day has no zones
    at.segmented_control(key="map_mode").set_value("play").run()
    (played,) = all_map_args(at)
    frames = played["view"]["frames"]
    assert frames["days"] == ["2021-07-06", "2021-07-13", "2021-07-20"]  # what the data reach
    assert frames["zones"][-1] == played["view"]["zones"]
    assert played["messages"]["play"] == "▶ Play"


def test_a_decided_zone_is_the_map_zone_and_says_who_decided(store, monkeypatch):
    """Confirmed zones (issue 17 item 6): an override colours the map and the panel, with
    who decided it, on which day, and the computed zone beside it; an unconfirmed region
    says so; with unconfirmed zones not public it shows no zone."""
    from zoning.model.schemes import get_scheme
    from zoning.views import decisions

    who = get_scheme("who-ct-2021")
    params = dict(level="regency", scheme="who-ct-2021", date="2021-07-10", lang="en")
    before = map_args(open_map(**params))["view"]["zones"]
    computed = who.zone_ids[before[0]]
    other = next(z for z in who.zone_ids if z != computed)
    decisions.record(store, who, "33.01", "2021-07-08", "Bu <b>Sari</b>", zone=other, reason="r")
    at = open_map(**params, region="33.01")
    view = map_args(at)["view"]
    codes = _codes(at)
    assert view["zones"][codes.index("33.01")] == who.zone_index(other)
    assert view["zones"][codes.index("33.02")] == before[codes.index("33.02")]
    # marked with a symbol (never colour alone), named in the legend, the rest explained
    assert view["marks"] == {"overridden": [int(c == "33.01") for c in codes]}
    assert view["mark_labels"] == {"overridden": "Set by an official, not computed"}
    assert view["legend_note"] == "No symbol: computed, not yet confirmed"
    indonesian = map_args(open_map(**{**params, "lang": "id"}))["view"]
    assert indonesian["mark_labels"] == {"overridden": "Ditetapkan pejabat, bukan hitungan"}
    assert indonesian["legend_note"] == "Tanpa tanda: hasil hitung, belum dikonfirmasi"
    day = f"{store.decisions()['decided_at'].iloc[0]:%Y-%m-%d}"
    said = village_values(at, "33.01")["Zone status"]
    assert said.startswith(f"Decided by Bu <b>Sari</b> on {day}")  # text: the map never parses it
    assert f"Computed zone: {who.zone_label(who.zone_index(computed), 'en')}" in said
    assert village_values(at, "33.02")["Zone status"] == "Computed, not yet confirmed"
    page = markdown(at)
    line = f"Decided by Bu <b>Sari</b> on {day}, overriding the computed zone"
    assert f"*{escape_markdown(line)}*" in page  # the region's panel
    assert escape_markdown(who.zone_label(who.zone_index(other), "en")) in page
    assert "Bu <b>Sari</b>" not in page and "Bu \\<b\\>Sari\\</b\\>" in page  # escaped
    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")
    at = open_map(**params)
    view = map_args(at)["view"]
    assert view["zones"][_codes(at).index("33.02")] == -1  # awaiting: no zone, none made up
    codes = _codes(at)
    assert view["marks"]["awaiting"] == [int(c != "33.01") for c in codes]
    assert view["mark_labels"]["awaiting"] == "Awaiting confirmation"
    assert view["legend_note"] is None  # every region has a symbol
    assert village_values(at, "33.02")["Zone status"] == "Awaiting confirmation"
