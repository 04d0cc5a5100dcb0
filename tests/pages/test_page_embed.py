"""The embeddable map (pages/embed.py): on a plain HTML page of another site, in an iframe,
the live map of a view with 'data as of' and its sources, or one region's card."""

from __future__ import annotations

import pytest
from browser import Traffic, copy_store, require_chromium, streamlit_server

from ui.zonemap import FRAME as MAP_IFRAME
from zoning.render.presentation import embed_snippet


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    require_chromium()
    db = copy_store(demo_db, tmp_path_factory.mktemp("embed") / "app.db")
    with streamlit_server(db) as url:
        yield url


def _inner(page, selector: str, timeout: float = 90_000):
    page.wait_for_selector(selector, timeout=timeout)
    return page.query_selector(selector).content_frame()


@pytest.mark.browser
def test_the_snippet_shows_the_live_map_on_another_sites_page(app, browser):
    snippet = embed_snippet(app, level="regency", scheme="who-ct-2021", lang="en", title="Zones")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    traffic = Traffic(page)
    page.set_content(f"<!doctype html><h1>A newsroom's page</h1>{snippet}")
    embed = _inner(page, "iframe[title='Zones']")
    embed.wait_for_selector(MAP_IFRAME, timeout=90_000)
    zone_map = embed.query_selector(MAP_IFRAME).content_frame()
    zone_map.wait_for_function("() => Number(document.body.dataset.drawn || 0) > 0", timeout=90_000)
    assert len(zone_map.evaluate("() => window.zoneMap.shapes()")) == 35
    text = embed.inner_text("body")
    assert "data as of" in text and "Scheme" in text
    sidebar = embed.query_selector("[data-testid='stSidebar']")
    assert sidebar is None or not sidebar.is_visible()  # no navigation inside the frame
    assert not traffic.external, traffic.external
    page.close()


@pytest.mark.browser
def test_one_regions_card(app, browser):
    page = browser.new_page(viewport={"width": 420, "height": 500})
    page.goto(f"{app}/embed?level=regency&scheme=who-ct-2021&region=33.74&lang=id&embed=true")
    page.get_by_text("Kota Semarang").first.wait_for(timeout=90_000)
    body = page.inner_text("body")
    assert "Level" in body and "data per" in body
    page.close()


def test_the_snippet_escapes_what_it_is_given():
    html = embed_snippet("https://x.example/", level="village", scheme="who-ct-2021", lang="id",
                         within="33.74", title='Zona "merah" <b>')  # fmt: skip
    assert 'src="https://x.example/embed?level=village&amp;scheme=who-ct-2021&amp;lang=id' in html
    assert "within=33.74" in html and "<b>" not in html and "&quot;merah&quot;" in html
