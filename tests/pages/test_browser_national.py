"""End-to-end: a map too large to send whole (a tiled level, :func:`zoning.render.mapdata.
encode_tiled`) draws every region from coarse shapes, fetches detail for the view once zoomed
in and tooltip values for the region under the mouse, and repaints on a new date.

The demo's 8,563 villages stand in for the country's 83,000: the server is told to tile any
level of more than 1,000 regions (``ZONING_MAP_TILED_ABOVE``), so the villages come as coarse
shapes and 8 detail tiles of about 1,070 (halved three times). Marked ``browser``.
"""

from __future__ import annotations

import re

import pytest
from browser import Traffic, copy_store, require_chromium, streamlit_server
from test_browser import CENTRE_JS, SHAPES_JS, map_frame

from ui.zonemap import FRAME as MAP_IFRAME
from zoning.core.i18n import t
from zoning.render.mapdata import TILED_ABOVE_ENV

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def national(demo_db, tmp_path_factory):
    require_chromium()
    db = copy_store(demo_db, tmp_path_factory.mktemp("national") / "app.db")
    with streamlit_server(db, {TILED_ABOVE_ENV: "1000"}) as url:
        yield url


def test_a_tiled_map_draws_every_region_then_detail_in_view_and_repaints_by_date(
    national, browser, demo_db
):
    from zoning.store import Store

    villages = Store(str(demo_db)).regions("village")["code"].tolist()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    traffic = Traffic(page)
    page.goto(f"{national}/map?level=village&scheme=who-ct-2021&date=2021-07-03")
    frame = map_frame(page, timeout=180)
    july = {s["code"]: s["fill"] for s in frame.evaluate(SHAPES_JS)}
    assert sorted(july) == sorted(villages)  # every village drawn, from the coarse shapes
    assert len(set(july.values())) >= 3  # coloured by zone, not all alike
    files = [u for u in traffic.requests if u.endswith(".zmg")]
    assert len(files) == 1  # the coarse file only: no detail at the province's zoom
    assert frame.evaluate("() => document.body.dataset.detail") is None

    # a region under the mouse: its name at once, its values from its tile's tooltip file
    box = page.query_selector(MAP_IFRAME).bounding_box()
    code = "33.74.01.1001" if "33.74.01.1001" in july else villages[0]
    point = frame.evaluate(CENTRE_JS, code)
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.wait_for_selector(".leaflet-tooltip", timeout=10_000)
    frame.wait_for_function(
        "() => !document.querySelector('.leaflet-tooltip').innerText.includes('…')",
        timeout=20_000,
    )
    text = tooltip.inner_text()
    assert re.search(r"\d", text)  # values, not placeholders
    tips = [u for u in traffic.requests if u.endswith(".zmg")][1:]
    assert len(tips) == 1  # one tooltip file, the hovered region's

    # zoomed in (the keyboard's +): the tiles in view come in detail, same regions
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    frame.locator("#map").focus()
    for _ in range(3):
        frame.locator("#map").press("Equal")
        page.wait_for_timeout(400)
    frame.wait_for_function("() => Number(document.body.dataset.detail || 0) >= 1", timeout=30_000)
    loaded = int(frame.evaluate("() => document.body.dataset.detail"))
    assert 1 <= loaded <= 4  # what is in view, not the whole level's 8 tiles
    assert len(frame.evaluate(SHAPES_JS)) == len(villages)

    # a day on: the same map recoloured, the coarse file not fetched again
    frame.evaluate("() => { window.stillHere = true; }")
    before = frame.evaluate("() => document.body.dataset.styled")
    page.get_by_role("button", name=t("common.date_day_on", "id"), exact=True).click()
    page.wait_for_url(re.compile(r"date=2021-07-04"), timeout=60_000)
    frame.wait_for_function(
        "(before) => document.body.dataset.styled && document.body.dataset.styled !== before",
        arg=before,
        timeout=60_000,
    )
    after = {s["code"]: s["fill"] for s in frame.evaluate(SHAPES_JS)}
    assert set(after) == set(july) and after != july
    assert frame.evaluate("() => window.stillHere === true")  # repainted, not reloaded
    assert files[0] in traffic.requests and traffic.requests.count(files[0]) == 1
    assert not traffic.external, traffic.external
    assert not traffic.failed, traffic.failed
    page.close()


def _colour_and_grey(data_url: str) -> tuple[int, int]:
    """Pixels of a PNG (a ``data:`` URL) that are clearly coloured, and those of the borders'
    grey (``#757575``, give or take what blending leaves)."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    raw = base64.b64decode(data_url.split(",", 1)[1])
    rgb = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).astype(int)
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    grey = (spread < 16) & (rgb.mean(axis=2) > 90) & (rgb.mean(axis=2) < 160)
    return int((spread > 40).sum()), int(grey.sum())


def test_regions_a_pixel_or_two_wide_show_their_zone_not_their_border(national, browser):
    """Zoomed out until villages are specks (as all Indonesia's are when it is shown whole),
    each is drawn as its box in its zone's colour: before, 0.6 px borders over every speck
    turned the map grey."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{national}/map?level=village&scheme=who-ct-2021&date=2021-07-03")
    frame = map_frame(page, timeout=180)
    frame.locator("#map").focus()
    for _ in range(2):  # a quarter of the province's scale: most villages 1-2 px
        frame.locator("#map").press("Minus")
        page.wait_for_timeout(600)
    page.wait_for_timeout(800)
    fills = "() => document.querySelector('.leaflet-overlay-pane canvas').toDataURL()"
    coloured, grey = _colour_and_grey(frame.evaluate(fills))  # the regions' layer alone
    assert coloured > 4 * grey, (coloured, grey)
    assert len(frame.evaluate(SHAPES_JS)) > 8000  # every village still there
    page.close()


#: Every painted pixel of the regions' layer, as counts of "r,g,b,a" (the canvas's own values).
PIXELS_JS = """() => {
    const canvas = document.querySelector('.leaflet-overlay-pane canvas');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = {};
    for (let i = 0; i < data.length; i += 4) {
        if (!data[i + 3]) continue;
        const key = data[i] + ',' + data[i + 1] + ',' + data[i + 2] + ',' + data[i + 3];
        counts[key] = (counts[key] || 0) + 1;
    }
    return counts;
}"""


def test_a_speck_s_pixels_are_its_zone_s_colour_not_a_blend(national, browser):
    """Zoomed out as above, the villages' specks are whole pixels of their zone's colour at the
    map's 0.8 opacity: drawn one rectangle each, their edges were smoothed into blends of
    neighbouring zones and of the background, colours no legend has."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{national}/map?level=village&scheme=who-ct-2021&date=2021-07-03")
    frame = map_frame(page, timeout=180)
    frame.locator("#map").focus()
    for _ in range(2):
        frame.locator("#map").press("Minus")
        page.wait_for_timeout(600)
    page.wait_for_timeout(800)
    fills = {s["fill"] for s in frame.evaluate(SHAPES_JS)}
    zones = [tuple(int(f[k : k + 2], 16) for k in (1, 3, 5)) for f in fills]
    assert len(zones) >= 3 and all(len(f) == 7 for f in fills), fills

    def of_a_zone(key: str) -> bool:
        r, g, b, a = (int(v) for v in key.split(","))
        return abs(a - 204) <= 1 and any(
            max(abs(r - z[0]), abs(g - z[1]), abs(b - z[2])) <= 2 for z in zones
        )

    counts = frame.evaluate(PIXELS_JS)
    painted = sum(counts.values())
    zoned = sum(n for key, n in counts.items() if of_a_zone(key))
    assert painted > 3_000, painted  # the province, not an empty canvas
    # measured: 60% of the pixels are a zone's exactly (the rest: the larger villages' shapes
    # and borders); one rectangle per speck left 0.3% (20 of 6,358)
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
    assert zoned > 0.4 * painted, (zoned, painted, top)
    page.close()
