"""The about & method page in Streamlit's AppTest, on a tiny store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import open_page, write_store
from streamlit.testing.v1 import AppTest
from views.test_policy import REGIONS

from zoning.core.i18n import pick
from zoning.core.text import escape_html, escape_markdown
from zoning.model.schemes import builtin_schemes
from zoning.store import Store
from zoning.views import policy


@pytest.fixture
def store(tmp_path: Path, serve_store) -> Store:
    """A province and two regencies with a week of counts (as of 7 October 2021)."""
    days = pd.date_range("2021-10-01", "2021-10-07", freq="D")
    counts = pd.concat(
        [
            pd.DataFrame({"region": code, "date": days, "new_cases": 2.0})
            for code in ("33.01", "33.02")
        ]
    )
    source = '{"id": "Dinkes (uji)", "en": "Health office (test)"}'
    return serve_store(write_store(tmp_path / "tiny.db", REGIONS, counts, source=source))


def page_text(at: AppTest) -> str:
    parts = [el.value for el in (*at.markdown, *at.caption, *at.title, *at.header)]
    return "\n".join(parts)


@pytest.mark.parametrize(("lang", "title"), [("id", "Tentang & metode"), ("en", "About & method")])
def test_renders_every_scheme_in_both_languages(store: Store, lang: str, title: str) -> None:
    at = open_page("about", lang=lang)
    assert at.title[0].value == title
    schemes = builtin_schemes()
    labels = [escape_markdown(pick(s.name, lang)) for s in schemes.values()]  # names are text
    assert [e.label for e in at.expander] == labels
    text = page_text(at)
    for scheme in schemes.values():
        for line in policy.describe_rules(scheme, lang):
            assert escape_html(line) in text
        for zone in scheme.zones:
            assert escape_html(pick(zone.label, lang)) in text
            for measure in zone.measures[lang]:
                assert escape_html(measure) in text
        assert escape_html(scheme.source["title"]) in text


def test_data_and_method(store: Store) -> None:
    text = page_text(open_page("about", lang="en"))
    assert "Data as of 2021-10-07" in text
    assert "Health office (test)" in text
    assert "Data uploads recorded in the store: 1." in text
    assert "7-day window" in text and "last 3 days" in text
    assert (
        escape_html('its zone is shown as "at least" the zone the reporting regions give') in text
    )
    assert "Kemendagri" not in text  # not the demo: its sources are not claimed
    assert "Regency/City" in text and "Cases per 100,000, 7 days" in text  # levels and metrics
    assert "Adopted by:</b> Keputusan Menteri Kesehatan" in text


def test_the_scheme_in_the_url_is_open(store: Store) -> None:
    at = open_page("about", lang="id", scheme="cdc-community-levels-2022")
    opened = [e.label for e in at.expander if e.proto.expanded]
    assert opened == [escape_markdown("Tingkat Komunitas COVID-19 CDC AS (2022)")]
