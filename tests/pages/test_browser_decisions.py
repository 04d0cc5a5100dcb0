"""End-to-end: confirmed zones on the demo in headless Chromium (issue 17 item 6): the map
marks a confirmed and an overridden regency with their symbols and names them in the
legend, on a desktop and on a phone, in both languages; the policy page gives the decided
zone's "since" with the computed one beside it.

Marked ``browser``; skipped with a message when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import json

import pytest
from browser import copy_store, require_chromium, streamlit_server
from test_browser import map_frame

from zoning.model.schemes import get_scheme
from zoning.store import Store
from zoning.views import decisions, service

pytestmark = pytest.mark.browser

SCHEME = "who-ct-2021"
DAY = "2021-07-03"
CONFIRMED, OVERRIDDEN = "33.74", "33.01"  # Kota Semarang, Kabupaten Cilacap


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    """The demo with one regency's zone confirmed and another's overridden."""
    require_chromium()
    db = copy_store(demo_db, tmp_path_factory.mktemp("decided") / "app.db")
    store, scheme = Store(str(db)), get_scheme(SCHEME)
    computed = service.zones_on(store, scheme, "regency", DAY).set_index("code")["zone"]
    other = next(z for z in scheme.zone_ids if z != computed[OVERRIDDEN])
    decisions.record(store, scheme, CONFIRMED, "2021-07-01", "Kepala Dinkes Kota Semarang")
    decisions.record(
        store, scheme, OVERRIDDEN, "2021-07-01", "Bupati Cilacap", zone=other,
        reason="every contact traced", end="2021-07-10",
    )  # fmt: skip
    with streamlit_server(db) as url:
        yield url


@pytest.mark.parametrize(
    ("lang", "width", "labels"),
    [
        ("en", 1400, ["Confirmed by an official", "Set by an official, not computed"]),
        ("id", 390, ["Dikonfirmasi pejabat", "Ditetapkan pejabat, bukan hitungan"]),
    ],
)
def test_confirmed_and_overridden_zones_marked_on_the_map_and_in_its_legend(
    app, browser, lang, width, labels
):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.goto(f"{app}/map?lang={lang}&level=regency&scheme={SCHEME}&date={DAY}")
    frame = map_frame(page)
    # one region of each, both with room for the symbol at the first zoom
    expected = {"uncertain": 0, "hotspot": 0, "confirmed": [1, 1], "overridden": [1, 1]}
    frame.wait_for_function(
        f"() => document.body.dataset.marked === '{json.dumps(expected, separators=(',', ':'))}'"
    )
    legend = frame.evaluate(
        "() => [...document.querySelectorAll('[data-mark]')]"
        ".map(e => [e.dataset.mark, e.querySelector('[data-badge]').textContent, e.textContent])"
    )
    assert legend == [
        ["confirmed", "✓", "✓" + labels[0]],
        ["overridden", "≠", "≠" + labels[1]],
    ]
    notes = frame.evaluate(
        "() => [...document.querySelectorAll('.zm-note')].map(e => e.textContent)"
    )
    assert any(n.startswith("No symbol" if lang == "en" else "Tanpa tanda") for n in notes), notes
    page.close()


def test_the_policy_page_gives_the_decided_zone_since_and_the_computed_beside(app, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{app}/policy?lang=en&level=regency&scheme={SCHEME}&date={DAY}&region={OVERRIDDEN}")
    page.get_by_text("Decided by Bupati Cilacap on").wait_for(timeout=60_000)
    page.get_by_text("In this zone since 2021-07-01").wait_for(timeout=30_000)
    page.get_by_text("Computed zone:").first.wait_for(timeout=30_000)
    page.close()
