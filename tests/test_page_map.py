"""The zone map page in Streamlit's AppTest, on the tiny store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

from zoning.store import Store

ROOT = Path(__file__).resolve().parent.parent


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


def test_controls_change_the_view(store):
    at = open_map(level="regency", scheme="who-ct-2021", date="2021-07-10")
    at.selectbox(key="level_select").set_value("village").run()
    assert at.query_params["level"] == "village"
    assert "dari 4 wilayah" in markdown(at)  # four villages on the map now
    at.slider(key="date_slider").set_value(dt.date(2021, 7, 1)).run()
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
    from pages.zonemap import GEO_DIR
    from zoning.mapdata import decode_geometry

    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-10", lang="en")
    first = map_args(at)
    name = first["geometry_url"].rsplit("/", 1)[1]
    assert first["geometry_url"] == f"../../app/static/geo/{first['geometry_id']}.zmg"
    assert first["geometry_data"] is None  # not sent inline: the browser fetches the file
    header, shapes = decode_geometry((GEO_DIR / name).read_bytes())
    assert sorted(header["codes"]) == sorted(store.regions("village")["code"])
    assert all(s is not None for s in shapes)
    assert len(first["view"]["zones"]) == len(header["codes"])
    assert first["token"] == "who-ct-2021|2021-07-10|en"

    at.slider(key="date_slider").set_value(dt.date(2021, 7, 1)).run()
    second = map_args(at)
    assert second["geometry_id"] == first["geometry_id"]  # same geometry, new colours only
    assert second["token"] == "who-ct-2021|2021-07-01|en"
    assert set(second["view"]["zones"]) == {-1}  # first day: no complete window anywhere
    assert set(first["view"]["zones"]) != {-1}


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
    from pages.zonemap import GEO_DIR
    from zoning.mapdata import decode_geometry

    name = map_args(at)["geometry_url"].rsplit("/", 1)[1]
    return decode_geometry((GEO_DIR / name).read_bytes())[0]["codes"]


def test_the_public_map_shows_small_counts_as_ranges(quiet_store):
    at = open_map(level="village", scheme="who-ct-2021", date="2021-07-18", lang="en")
    shown = village_values(at, "33.01.01.2001")
    assert shown["New cases, 7 days"] == "1–4"
    assert isinstance(shown["Cases per 100,000, 7 days"], str)  # a range, not 300.0
    assert "300" not in repr(list(shown.values()))
    assert any("1–4" in c.value or "fewer than 5" in c.value for c in at.caption)
    table = at.dataframe[0].value if at.dataframe else None
    assert table is None  # the table is only built on request
    at.toggle(key="zone_table").set_value(True).run()
    row = at.dataframe[0].value.set_index("Code").loc["33.01.01.2001"]
    assert row["New cases, 7 days"] == "1–4"  # the table's headers are words


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
