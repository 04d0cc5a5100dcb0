"""The press briefing page in Streamlit's AppTest, on the tiny store of test_briefing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest
from views.test_briefing import make_store, make_store_without_counts

from zoning.store import Store

HOSTILE_PROVINCE = "<script>alert('x')</script> Jawa"


@pytest.fixture
def store(tmp_path: Path, serve_store) -> Store:
    return serve_store(make_store(tmp_path / "tiny.db"))


def markdown(at: AppTest) -> str:
    return "\n".join(el.value for el in at.markdown)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            [
                "Zona COVID-19 Jawa Tengah",
                "Data per 2021-10-21 · diperbarui ",
                "Zona per 2021-10-18: hari terakhir dengan data lengkap",
                "Zona terberat saat ini: Level 4 (sangat tinggi)",
                "1 wilayah <span class='brief-of'>(dari 4)</span>",
                "▲ naik 29,4% dibanding 7 hari sebelumnya (231)",
                "Tanpa data</b>: 1 wilayah · 50.000 jiwa",
            ],
        ),
        (
            "en",
            [
                "COVID-19 zones, Jawa Tengah",
                "Data as of 2021-10-21 · last updated ",
                "Zones on 2021-10-18: the latest day with complete data",
                "Most severe zone now: Level 4 (very high)",
                "1 region <span class='brief-of'>(of 4)</span>",
                "▲ up 29.4% on the previous 7 days (231)",
                "No data</b>: 1 region · 50,000 people",
            ],
        ),
    ],
)
def test_renders_the_briefing_in_both_languages(store, lang, expected):
    at = open_page("briefing", lang=lang)
    text = markdown(at)
    for part in expected:
        assert part in text, part
    assert '[data-testid="stSidebar"]' in text  # no controls in the way
    assert len(at.get("download_button")) == 2
    assert not at.warning  # the settled day is not provisional


def test_view_from_the_url(store):
    at = open_page("briefing", lang="en", level="province", date="2021-10-21")
    text = markdown(at)
    assert "Province · WHO community transmission levels (2021) · Zones on 2021-10-21" in text
    # the province's window has 33.04's missing day: 300,000 of its 350,000 people reported,
    # too few for a plain zone, so it has the zone the others give as a lower bound, never a
    # blank and never a zone read from a partial week as if it were whole
    assert "No data</b>: 0 regions" in text
    assert at.warning  # the last day is still provisional


def test_new_data_is_shown_on_the_next_run(store):
    at = open_page("briefing", lang="id")
    assert "Data per 2021-10-21" in markdown(at)
    store.set_meta(as_of="2021-10-20")
    at.run()
    assert not at.exception
    text = markdown(at)
    assert "Data per 2021-10-20" in text
    assert "Zona per 2021-10-17" in text


def test_names_from_data_are_escaped(store):
    regions = store.regions("province").assign(name=HOSTILE_PROVINCE)
    with store.transaction() as conn:
        store.write_regions(conn, regions, None)
    at = open_page("briefing", lang="en")
    text = markdown(at)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_a_store_without_counts_says_so(tmp_path, serve_store):
    serve_store(make_store_without_counts(tmp_path / "nocounts.db"))
    at = open_page("briefing", lang="en")
    assert [el.value for el in at.info] == ["There are no case counts at this level or below."]
