"""Text in the reader's language: dates on charts, scheme notes, zone names, the sidebar."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import open_page

from zoning.core.i18n import pick
from zoning.model.schemes import builtin_schemes
from zoning.render import charts
from zoning.store import Store

WHO = builtin_schemes()["who-ct-2021"]


def history() -> pd.DataFrame:
    days = pd.date_range("2021-07-01", periods=40, freq="D")
    return pd.DataFrame({"date": days, "zone_index": [0] * 20 + [3] * 20})


def test_the_zone_history_names_months_in_bahasa_indonesia():
    locale = charts.zone_strip(history(), WHO, "id").to_dict()["config"]["locale"]
    assert locale["time"]["months"][7] == "Agustus"
    assert locale["time"]["shortMonths"][4] == "Mei"
    assert "locale" not in charts.zone_strip(history(), WHO, "en").to_dict().get("config", {})


def test_the_daily_cases_chart_of_the_panel_too():
    series = pd.DataFrame(
        {"date": history()["date"], "new_cases": 1.0, "avg7": 1.0, "provisional": False}
    )
    spec = charts.daily_cases(series, "id").to_dict()
    assert spec["config"]["locale"]["time"]["months"][0] == "Januari"
    titles = [tip["title"] for tip in spec["layer"][0]["encoding"]["tooltip"]]
    assert "new_cases" not in titles and "Kasus baru" in titles  # no raw field names


@pytest.mark.parametrize("lang", ["id", "en"])
def test_who_zones_have_words(lang):
    words = {"id": ("rendah", "sedang", "tinggi", "sangat tinggi"),
             "en": ("low", "moderate", "high", "very high")}[lang]  # fmt: skip
    labels = [pick(z.label, lang) for z in WHO.zones]
    assert labels == [f"Level {i} ({w})" for i, w in enumerate(words, start=1)]


@pytest.fixture
def store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


def test_the_ppkm_notes_are_in_bahasa_indonesia_on_the_indonesian_about_page(store):
    at = open_page("about", lang="id")
    text = "\n".join(el.value for el in at.markdown)
    for sid in ("ppkm-mikro-2021-02", "ppkm-mikro-2021-04"):
        scheme = builtin_schemes()[sid]
        assert pick(scheme.notes, "id") in text
        assert pick(scheme.notes, "en") not in text
    assert "Criteria in force" not in text and "thresholds were lowered" not in text


def test_every_built_in_scheme_note_exists_in_both_languages():
    for scheme in builtin_schemes().values():
        assert "note" not in scheme.source, scheme.id  # one language only: use notes.id/.en
        if scheme.notes:
            assert scheme.notes["id"] != scheme.notes["en"], scheme.id


def test_the_scheme_is_chosen_from_a_list_that_shows_whole_names(store):
    at = open_page("map", lang="en", level="regency")
    chooser = at.radio(key="scheme_select")
    assert chooser.value == "who-ct-2021"
    assert "WHO community transmission levels (2021)" in chooser.options


def test_the_zone_history_legend_wraps_its_longer_labels():
    legend = charts.zone_strip(history(), WHO, "id").to_dict()["encoding"]["color"]["legend"]
    assert legend["columns"] == 2  # "Level 4 (sangat tinggi)" would run off a phone's panel
