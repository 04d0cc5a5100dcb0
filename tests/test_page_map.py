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
def store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


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
    assert len(at.get("download_button")) == 2


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
