"""End-to-end: the dashboard in headless Chromium against a real Streamlit server.

Marked ``browser``; skipped with a message when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import contextlib
import json
import re
import time

import pytest
from browser import Traffic, copy_store, require_chromium, streamlit_server, upload_page
from conftest import ANALYST_PASSWORD
from playwright.sync_api import Error as PlaywrightError

from ui.zonemap import FRAME as MAP_IFRAME
from zoning.core.i18n import t
from zoning.core.text import WORD_JOINER

pytestmark = pytest.mark.browser

# Read inside the map's iframe (static/zonemap/zonemap.js exposes window.zoneMap).
SHAPES_JS = "() => window.zoneMap.shapes()"
CENTRE_JS = "(code) => window.zoneMap.centre(code)"


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    """The demo on a real server whose operator set the analyst password of the tests."""
    from zoning.core.auth import HASH_ENV, hash_password

    require_chromium()
    db = copy_store(demo_db, tmp_path_factory.mktemp("browser") / "app.db")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(HASH_ENV, hash_password(ANALYST_PASSWORD, n=2**10))
        with streamlit_server(db) as url:
            yield url


def map_frame(page, timeout: float = 60.0):
    """The map's iframe once every region is drawn into it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        element = page.query_selector(MAP_IFRAME)
        frame = element.content_frame() if element else None
        try:
            if frame and frame.evaluate("() => Number(document.body.dataset.drawn || 0) > 0"):
                return frame
        except PlaywrightError:  # the frame went away while we asked
            pass
        page.wait_for_timeout(100)
    raise AssertionError("the map was not drawn")


def open_map(browser, url: str, width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 1000})
    traffic = Traffic(page)
    page.goto(url)
    return page, map_frame(page), traffic


def shapes(frame) -> list[dict]:
    return frame.evaluate(SHAPES_JS)


def test_map_draws_one_shape_per_region_offline(app, browser, demo_db):
    from zoning.store import Store

    page, frame, traffic = open_map(browser, f"{app}/map?level=regency&scheme=who-ct-2021")
    drawn = shapes(frame)
    expected = Store(str(demo_db)).regions("regency")["code"].tolist()
    assert sorted(s["code"] for s in drawn) == sorted(expected)
    assert len(drawn) == 35
    assert not traffic.external, traffic.external
    assert not traffic.failed, traffic.failed
    page.close()


def test_the_map_decodes_each_region_s_outline_to_where_the_server_put_it(app, browser, demo_db):
    """The browser's reading of the map file (varints, deltas, Web Mercator) against the
    server's own reader of the same file, point by point."""
    import numpy as np
    import shapely

    from zoning.render.mapdata import decode_geometry, level_geometry
    from zoning.store import Store

    header, geoms = decode_geometry(level_geometry(Store(str(demo_db)), "regency").payload)
    page, frame, _ = open_map(browser, f"{app}/map?level=regency&scheme=who-ct-2021")
    for i in (0, len(geoms) // 2, len(geoms) - 1):
        polygons = getattr(geoms[i], "geoms", [geoms[i]])
        expected = [r for p in polygons for r in (p.exterior, *p.interiors)]
        drawn = frame.evaluate("(code) => window.zoneMap.outline(code)", header["codes"][i])
        assert len(drawn) == len(expected)
        for ring, want in zip(drawn, expected, strict=True):
            want = shapely.get_coordinates(want)
            if len(want) == len(ring) + 1:  # shapely closes a ring, the file need not
                want = want[:-1]
            assert np.abs(np.asarray(ring) - want).max() < 1e-9
    page.close()


def test_tooltip_and_click_select_a_region(app, browser):
    page, frame, _ = open_map(
        browser, f"{app}/map?level=regency&scheme=who-ct-2021&date=2021-07-03"
    )
    box = page.query_selector(MAP_IFRAME).bounding_box()
    point = frame.evaluate(CENTRE_JS, "33.74")
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.wait_for_selector(".leaflet-tooltip", timeout=10_000)
    assert "Kota Semarang" in tooltip.inner_text()
    assert "Level" in tooltip.inner_text()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url(re.compile(r"region=33\.74"), timeout=30_000)
    page.get_by_text("Wilayah terpilih: Kota Semarang").wait_for(timeout=30_000)
    page.close()


def test_a_click_on_a_map_whose_foot_is_below_the_window_selects_that_region(app, browser):
    """Leaflet focused the map on the press, which scrolled the page to show all of the map
    between the press and the click: the click then landed 50 px lower, on a neighbour
    (Pekunden for Miroto). The lowest region still inside the window is clicked here."""
    page, frame, _ = open_map(
        browser, f"{app}/map?level=regency&scheme=who-ct-2021&date=2021-07-03&lang=en"
    )
    page.set_viewport_size({"width": 1400, "height": 800})
    page.wait_for_timeout(1_000)
    box = page.query_selector(MAP_IFRAME).bounding_box()
    assert box["y"] + box["height"] > 800  # the map's foot is below the window
    codes = [s["code"] for s in shapes(frame)]
    points = {c: frame.evaluate(CENTRE_JS, c) for c in codes}
    inside = {c: p for c, p in points.items() if p and box["y"] + p["y"] < 790}
    code = max(inside, key=lambda c: inside[c]["y"])
    assert box["y"] + inside[code]["y"] > 700  # near the window's foot
    page.mouse.click(box["x"] + inside[code]["x"], box["y"] + inside[code]["y"])
    wait_for_view(page, region=code)
    page.close()


def test_changing_the_date_recolours_without_reloading_the_map(app, browser):
    page, frame, traffic = open_map(
        browser, f"{app}/map?level=regency&scheme=who-ct-2021&date=2021-07-03"
    )
    july = {s["code"]: s["fill"] for s in shapes(frame)}  # 3 July
    frame.evaluate("() => { window.stillHere = true; }")
    geometry_requests = len([u for u in traffic.requests if u.endswith(".zmg")])
    assert not page.get_by_role("slider").count()  # a date picker and steps, not a slider
    page.get_by_role("button", name="−7 hari", exact=True).click()  # a week back
    page.wait_for_url(re.compile(r"date=2021-06-26"), timeout=30_000)
    frame.wait_for_function(
        "() => (document.body.dataset.styled || '').includes('2021-06-26')", timeout=30_000
    )
    june = {s["code"]: s["fill"] for s in shapes(frame)}
    assert set(june) == set(july)
    assert june != july  # the wave grew in that week
    assert frame.evaluate("() => window.stillHere === true")  # recoloured, not reloaded
    assert len([u for u in traffic.requests if u.endswith(".zmg")]) == geometry_requests == 1
    page.close()


def test_language_switch(app, browser):
    page, _, _ = open_map(browser, f"{app}/map?level=regency")
    page.get_by_role("heading", name="Peta zona").wait_for()
    page.get_by_text("English").click()
    page.wait_for_url(re.compile(r"lang=en"), timeout=30_000)
    page.get_by_role("heading", name="Zone map").wait_for(timeout=30_000)
    assert "Data as of" in page.inner_text("body")
    page.close()


def test_small_screen(app, browser):
    page, frame, traffic = open_map(browser, f"{app}/map?level=regency", width=390)
    assert len(shapes(frame)) == 35
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling at 390 px
    assert not traffic.external
    # a tooltip (a tap on a phone) stays inside the map: each figure under its label
    element = page.query_selector(MAP_IFRAME)
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    for code in ("33.74", "33.01", "33.16"):  # Kota Semarang, Cilacap (west), Blora (east)
        point = frame.evaluate(CENTRE_JS, code)
        page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
        tip = frame.wait_for_selector(".leaflet-tooltip", timeout=10_000)
        page.wait_for_timeout(200)
        left, right, inner = frame.evaluate(
            "(t) => [t.getBoundingClientRect().left, t.getBoundingClientRect().right,"
            " window.innerWidth]", tip,
        )  # fmt: skip
        assert left >= 0 and right <= inner, (code, left, right, inner)
    page.close()


def test_every_tooltip_of_a_district_s_villages_stays_inside_the_map(app, browser):
    """The public's village tooltip is wide (figures as 'Sundays only', the zone's status,
    the provisional note): wherever the pointer is, it is moved back inside the map."""
    page, frame, _ = open_map(
        browser, f"{app}/map?level=village&within=33.74.01&date=2021-07-06&lang=id"
    )
    element = page.query_selector(MAP_IFRAME)
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    codes = [s["code"] for s in shapes(frame)]
    assert len(codes) >= 10
    for code in codes:
        point = frame.evaluate(CENTRE_JS, code)
        if not (0 < point["x"] < box["width"] and 0 < point["y"] < box["height"]):
            continue  # not in view at this zoom
        page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
        tip = frame.wait_for_selector(".leaflet-tooltip", timeout=10_000)
        page.wait_for_timeout(150)
        rect = frame.evaluate(
            "(t) => { const r = t.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight]; }", tip,
        )  # fmt: skip
        left, top, right, bottom, width, height = rect
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, (code, rect)
    page.close()


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("path", ["map", "trends", "policy", "briefing", "about"])
def test_every_page_renders_offline_in_both_languages(app, browser, path, lang):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    traffic = Traffic(page)
    page.goto(f"{app}/{path}?lang={lang}&level=regency")
    page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
    as_of = t("common.data_as_of", lang, as_of="")
    page.get_by_text(re.compile(re.escape(as_of.strip()))).first.wait_for(timeout=90_000)
    page.wait_for_timeout(3_000)  # let charts and the map finish their requests
    errors = page.query_selector_all("[data-testid='stException']")
    assert not errors, errors[0].inner_text()
    other = t("common.data_as_of", "en" if lang == "id" else "id", as_of="").strip()
    assert other not in page.inner_text("body")
    assert not traffic.external, traffic.external
    assert not traffic.failed, traffic.failed
    page.close()


# --- issue 11: RW and RT regions, drill-down, the panel in view ------------------------------


def _demo_neighbourhoods() -> tuple[str, str, str, int]:
    """The demo's first RW and its second RT, their kelurahan's name, and its RWs."""
    from zoning.demo import demo_regions

    regions = demo_regions()
    rw = regions[regions["level"] == "rw"].sort_values("code")
    village = rw["parent"].iloc[0]
    name = regions.set_index("code").loc[village, "name"]
    return (
        rw["code"].iloc[0],
        rw["code"].iloc[0] + ".002",
        name,
        int((rw["parent"] == village).sum()),
    )


DEMO_RW, DEMO_RT, RW_VILLAGE_NAME, RW_COUNT = _demo_neighbourhoods()
RW_VILLAGE = DEMO_RW.rsplit(".", 1)[0]


def click_region(page, frame, code: str) -> None:
    """Click inside region ``code`` once the map has stopped moving (the page around it may
    still be growing, and a scroll bar that appears narrows the map)."""
    seen = None
    for _ in range(60):
        box = page.query_selector(MAP_IFRAME).bounding_box()
        now = (box, frame.evaluate(CENTRE_JS, code))
        if now == seen:
            break
        seen = now
        page.wait_for_timeout(500)
    box, point = seen
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def no_exception(page) -> None:
    errors = page.query_selector_all("[data-testid='stException']")
    assert not errors, errors[0].inner_text()


@pytest.mark.parametrize("how", ["link", "click"])
@pytest.mark.parametrize(("level", "code", "name"), [("rw", DEMO_RW, "RW 001"),
                                                     ("rt", DEMO_RT, "RT 002/RW 001")])  # fmt: skip
def test_an_rw_or_rt_region_opens_with_its_measures_and_downloads(app, browser, level, code,
                                                                  name, how):  # fmt: skip
    """Issue 11 item 14: these showed KeyError: 'new_cases' and nothing below it."""
    view = f"{app}/map?level={level}&scheme=ppkm-mikro-2021-04&date=2021-07-04&lang=en"
    if how == "link":
        page, frame, _ = open_map(browser, f"{view}&region={code}")
    else:
        page, frame, _ = open_map(browser, view)
        click_region(page, frame, code)
        page.wait_for_url(re.compile(rf"region={re.escape(code)}(&|$)"), timeout=30_000)
    page.get_by_text(f"Selected region: {name}").wait_for(timeout=60_000)
    page.get_by_text("Measures that apply").wait_for(timeout=90_000)
    # a public trend of a small level audits each of its weeks on a server that has not
    # yet (the first RW panel after a start: about 20 s on an idle 2-core machine)
    page.get_by_text("Houses with a case in the last 7 days").wait_for(timeout=180_000)
    page.get_by_role("button", name="Download zones (CSV)").wait_for(timeout=30_000)
    no_exception(page)
    page.close()


def in_view(page, text: str) -> bool:
    box = page.get_by_text(text).first.bounding_box()
    return box is not None and 0 <= box["y"] <= page.viewport_size["height"] - box["height"]


def wait_for_view(page, **view: str | None) -> None:
    """Wait until the URL's query holds ``view`` (``None``: the parameter is absent)."""
    from urllib.parse import parse_qs, urlsplit

    def shown(url: str) -> bool:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return all(query.get(k) == v for k, v in view.items())

    page.wait_for_url(shown, timeout=30_000)


def test_drill_down_only_into_regions_with_children_and_up_one_level(app, browser):
    """Issue 11 item 18: Zoom in was offered for villages without RWs; Back went to every
    village; the chosen region's panel opened far below the map with nothing scrolling to it."""
    view = f"{app}/map?level=village&within=33.74.01&scheme=who-ct-2021&date=2021-07-04&lang=en"
    page, frame, _ = open_map(browser, view)
    assert RW_VILLAGE != "33.74.01.1001"
    click_region(page, frame, "33.74.01.1001")  # a village without RWs
    page.wait_for_url(re.compile(r"region=33\.74\.01\.1001(&|$)"), timeout=30_000)
    heading = "Selected region: Miroto"
    page.get_by_text(heading).wait_for(timeout=60_000)
    page.get_by_text("Measures that apply").wait_for(timeout=90_000)
    assert not page.get_by_role("button", name=re.compile("Zoom in")).count()
    page.get_by_text("No RW (neighbourhood) regions are recorded inside this region.").wait_for(
        timeout=30_000
    )
    page.wait_for_function(
        "(t) => { const h = [...document.querySelectorAll('h3')].find(e => e.innerText"
        ".startsWith(t)); if (!h) return false; const r = h.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }",
        arg=heading, timeout=30_000,
    )  # fmt: skip
    assert in_view(page, heading)  # scrolled to the panel
    no_exception(page)

    page.goto(view + f"&region={RW_VILLAGE}")  # the village with RWs
    zoom = f"Zoom in: its {RW_COUNT} regions at RW (neighbourhood) level"
    page.get_by_role("button", name=zoom).click()
    wait_for_view(page, level="rw", within=RW_VILLAGE, region=None)
    map_frame(page)
    page.get_by_role("button", name="Up one level: Village").click()
    wait_for_view(page, level="village", within="33.74.01", region=RW_VILLAGE)
    page.get_by_text(f"Selected region: {RW_VILLAGE_NAME}").wait_for(timeout=60_000)
    page.get_by_role("button", name="Up one level: District").click()
    wait_for_view(page, level="district", within="33.74", region="33.74.01")
    no_exception(page)
    page.close()


# --- issue 15: the worst zone beside the map, finding a place ---------------------------------


def test_the_worst_zone_is_listed_beside_the_map_and_each_opens_its_region(app, browser, demo_db):
    from zoning.model.schemes import builtin_schemes
    from zoning.store import Store
    from zoning.views import briefing, service

    store = Store(str(demo_db))
    day = service.level_data(store, "regency").settled_day
    who = builtin_schemes()["who-ct-2021"]
    _, rows = briefing.worst_zone(store, who, "regency", day, public=True, lang="en")
    page, _, _ = open_map(browser, f"{app}/map?lang=en")  # the first view, no view asked
    main = page.get_by_test_id("stMain")
    main.get_by_text("Worst zone: Level 4 (very high)").wait_for(timeout=60_000)
    links = main.get_by_role("link", name=re.compile(r"^\d+\. "))
    names = [links.nth(i).inner_text() for i in range(links.count())]
    assert names == [f"{i + 1}. {n}" for i, n in enumerate(rows["name"])]
    # beside the map, not below it, on a wide screen
    map_box = page.query_selector(MAP_IFRAME).bounding_box()
    first = links.first.bounding_box()
    assert first["x"] > map_box["x"] + map_box["width"] - 1
    assert first["y"] < map_box["y"] + map_box["height"]
    links.nth(1).click()
    wait_for_view(page, level="regency", region=rows["code"].iloc[1])
    page.get_by_text(f"Selected region: {rows['name'].iloc[1]}").wait_for(timeout=60_000)
    no_exception(page)
    page.close()


def test_a_village_is_found_by_typing_its_name_and_the_map_moves_to_it(app, browser, demo_db):
    from zoning.store import Store

    villages = Store(str(demo_db)).regions("village")
    neighbours = villages.loc[villages["parent"] == "33.74.01", "code"]
    page, _, _ = open_map(browser, f"{app}/map?lang=en&scheme=who-ct-2021&date=2021-06-20")
    search = page.get_by_label("Find a region (name or code)")
    search.fill("Miroto")
    search.press("Enter")
    link = page.get_by_role("link", name="Miroto · Village · Semarang Tengah, Kota Semarang")
    link.wait_for(timeout=60_000)
    href = link.get_attribute("href")
    assert "region=33.74.01.1001" in href and "within=33.74.01" in href  # the result is a link
    link.click()
    wait_for_view(page, level="village", within="33.74.01", region="33.74.01.1001",
                  date="2021-06-20", scheme="who-ct-2021")  # fmt: skip
    page.get_by_text("Selected region: Miroto").wait_for(timeout=60_000)
    frame = map_frame(page)
    drawn = sorted(s["code"] for s in shapes(frame))
    assert drawn == sorted(neighbours)  # the map shows the village among its district's
    no_exception(page)
    page.close()


def test_a_code_finds_its_region_and_an_ambiguous_name_shows_parents(app, browser):
    page, _, _ = open_map(browser, f"{app}/map?lang=id")
    search = page.get_by_label("Cari wilayah (nama atau kode)")
    search.fill("33.74.01")
    search.press("Enter")
    page.get_by_role("link", name="Semarang Tengah · Kecamatan · Kota Semarang").wait_for(
        timeout=60_000
    )
    search.fill("Sidorejo")
    search.press("Enter")
    found = page.get_by_role("link", name=re.compile(r"^Sidorejo · "))
    found.first.wait_for(timeout=60_000)
    labels = [found.nth(i).inner_text() for i in range(found.count())]
    assert len(labels) == 8 and len(set(labels)) == 8  # each told apart by its parents
    page.get_by_text("25 wilayah cocok; 8 ditampilkan").wait_for(timeout=30_000)
    page.close()


def test_two_dates_side_by_side_then_the_weeks_played(app, browser):
    """Issue 15 item 6: a week before beside the chosen day, then the eight weeks up to it
    played on the map (the day written beside the button)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app}/map?lang=en&level=regency&scheme=who-ct-2021&date=2021-07-03&mode=compare")
    page.get_by_text("Left: 2021-06-26 · right: 2021-07-03").wait_for(timeout=90_000)
    deadline = time.monotonic() + 60
    while len(page.query_selector_all(MAP_IFRAME)) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    left, right = (e.content_frame() for e in page.query_selector_all(MAP_IFRAME))
    for frame, day in ((left, "2021-06-26"), (right, "2021-07-03")):
        frame.wait_for_function(
            f"() => (document.body.dataset.styled || '').includes('{day}')", timeout=60_000
        )
    assert shapes(left) != shapes(right)  # 13 regencies got worse that week
    page.get_by_text("Play 8 weeks", exact=True).click()
    wait_for_view(page, mode="play")
    deadline = time.monotonic() + 60
    while len(page.query_selector_all(MAP_IFRAME)) != 1 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    frame = map_frame(page)
    frame.wait_for_function(
        "() => (document.body.dataset.styled || '').endsWith('|play')", timeout=60_000
    )
    last = {s["code"]: s["fill"] for s in shapes(frame)}
    frame.get_by_role("button", name="▶ Play").click()
    frame.wait_for_function("() => document.body.dataset.played === '2021-05-15'", timeout=10_000)
    first = {s["code"]: s["fill"] for s in shapes(frame)}
    assert first != last  # mid-May was calmer
    assert frame.locator(".zm-day").inner_text() == "2021-05-15"
    frame.wait_for_function("() => document.body.dataset.played === '2021-07-03'", timeout=20_000)
    assert {s["code"]: s["fill"] for s in shapes(frame)} == last
    no_exception(page)
    page.close()


def test_the_view_as_a_png_its_link_copied_and_printed_on_a4(app, browser, tmp_path):
    """Issue 15 item 7."""
    import io

    from PIL import Image

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    view = f"{app}/map?lang=en&level=regency&scheme=who-ct-2021&date=2021-07-03"
    page.goto(view)
    frame = map_frame(page)
    with page.expect_download(timeout=30_000) as caught:
        frame.get_by_role("button", name="Download PNG").click()
    download = caught.value
    assert download.suggested_filename == "zones-who-ct-2021-regency-2021-07-03.png"
    path = tmp_path / "map.png"
    download.save_as(path)
    image = Image.open(io.BytesIO(path.read_bytes())).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    level_4 = [0.8 * v + 0.2 * 255 for v in (0xB2, 0x18, 0x2B)]  # drawn at 80 % over white
    assert any(all(abs(a - b) < 8 for a, b in zip(c, level_4, strict=True)) for c in colours)
    frame.get_by_role("button", name="Copy link").click()
    frame.get_by_text("Link copied").wait_for(timeout=10_000)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url and "level=regency" in copied and "date=2021-07-03" in copied
    # printed: A4 landscape, the sidebar and the controls left out, the map kept
    page.emulate_media(media="print")
    assert not page.get_by_test_id("stSidebar").is_visible()
    assert page.query_selector(MAP_IFRAME).is_visible()
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf[:4] == b"%PDF"
    context.close()


def test_the_map_by_keyboard_and_zones_not_by_colour_alone(app, browser, demo_db):
    """Issue 15 item 8: N/P move between the regions by name (said in a live region), Enter
    opens one; the three worst zones are hatched on the map and in its legend."""
    from zoning.store import Store

    regencies = Store(str(demo_db)).regions("regency").sort_values(["name", "code"])
    by_name = list(zip(regencies["code"], regencies["name"], strict=True))
    page, frame, _ = open_map(browser, f"{app}/map?lang=en&level=regency&date=2021-07-03")
    assert "N and P move between regions" in frame.locator("#map").get_attribute("aria-label")
    frame.locator("#map").focus()
    frame.locator("#map").press("n")
    frame.wait_for_function(f"() => document.body.dataset.focused === '{by_name[0][0]}'")
    assert frame.locator("#said").inner_text().startswith(f"{by_name[0][1]}: Level ")
    frame.locator("#map").press("p")  # back past the first: the last
    frame.wait_for_function(f"() => document.body.dataset.focused === '{by_name[-1][0]}'")
    frame.locator("#map").press("n")
    frame.locator("#map").press("n")
    frame.wait_for_function(f"() => document.body.dataset.focused === '{by_name[1][0]}'")
    frame.locator("#map").press("Enter")
    wait_for_view(page, region=by_name[1][0])
    page.get_by_text(f"Selected region: {by_name[1][1]}").wait_for(timeout=60_000)
    hatch = frame.evaluate(
        "() => [...document.querySelectorAll('.zm-swatch')].map(s => s.dataset.hatch || '')"
    )
    assert hatch == ["", "dots", "lines", "cross", ""]  # level 1 ... level 4, then no data
    page.close()


def test_smoothed_zones_striped_and_hot_spots_outlined_on_the_map(app, browser, demo_db):
    """Issue 17: zones of smoothed rates, the uncertain ones striped and the hot spots
    outlined, both named in the legend; as many of each drawn as the view says."""
    from zoning.model.schemes import get_scheme
    from zoning.store import Store
    from zoning.views import analysis, published

    day = "2021-07-03"
    page, frame, _ = open_map(
        browser, f"{app}/map?lang=en&level=district&scheme=who-ct-2021&date={day}"
        "&smooth=eb&hotspots=1",
    )  # fmt: skip
    store = Store(str(demo_db))
    hot = published.public_hot_spots(store, "district", day, public=True)
    unsure = analysis.smoothed_zones(store, get_scheme("who-ct-2021"), "district", day, "eb")
    expected = {"uncertain": int(unsure["uncertain"].sum()), "hotspot": int(hot["hotspot"].sum())}
    assert expected["hotspot"] > 0 and expected["uncertain"] > 0  # the demo has both
    frame.wait_for_function(
        f"() => document.body.dataset.marked === '{json.dumps(expected, separators=(',', ':'))}'"
    )
    marks = frame.evaluate(
        "() => [...document.querySelectorAll('[data-mark]')]"
        ".map(e => [e.dataset.mark, e.textContent])"
    )
    assert marks == [["uncertain", "Zone uncertain (probability 20–80 %)"],
                     ["hotspot", "Hot spot (dashed outline)"]]  # fmt: skip
    page.get_by_text(re.compile(r"^Hot spots \(\d+\)$")).first.click(timeout=30_000)
    page.get_by_text(re.compile(r"^1\. ")).first.wait_for(timeout=30_000)  # the hot spots listed
    page.close()


# The colour a caption is drawn in over the page, and the page's background.
CAPTION_CONTRAST_JS = r"""() => {
  const rgb = s => s.match(/[\d.]+/g).map(Number);
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const under = e => {  // the first background behind e that is not see-through
    for (let p = e; p; p = p.parentElement) {
      const c = rgb(getComputedStyle(p).backgroundColor);
      if (c[3] === undefined || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].map(e => {
    const bg = under(e);
    const s = getComputedStyle(e), c = rgb(s.color);
    let a = (c[3] === undefined ? 1 : c[3]) * Number(s.opacity);
    for (let p = e.parentElement; p; p = p.parentElement) a *= Number(getComputedStyle(p).opacity);
    const seen = [0, 1, 2].map(i => a * c[i] + (1 - a) * bg[i]);
    const l1 = lum(seen), l2 = lum(bg);
    return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  });
}"""


@pytest.mark.parametrize("path", ["map", "about"])
def test_captions_meet_wcag_aa_contrast(app, browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app}/{path}?lang=en&level=regency")
    page.get_by_text(re.compile("Data as of")).first.wait_for(timeout=90_000)
    page.wait_for_timeout(1_000)
    ratios = page.evaluate(CAPTION_CONTRAST_JS)
    assert ratios and min(ratios) >= 4.5, ratios
    page.close()


# The tests above run on the demo as shipped; the upload below changes the app's data.


def test_upload_counts_then_the_map_shows_them(app, browser, tmp_path):
    rows = ["tanggal;kode_desa;kasus_baru;meninggal"]
    rows += [f"{d:02d}/11/2021;33.74.01.1001;{3 + d};0" for d in range(1, 8)]
    csv_file = tmp_path / "kasus.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="cp1252")

    page, traffic = upload_page(browser, app)
    page.locator("input[type=file]").set_input_files(str(csv_file))
    page.get_by_text("Preview (7 of 7 rows as read)").wait_for(timeout=60_000)
    page.get_by_role("button", name="Save to the database").click()
    page.get_by_text(re.compile(r"Saved: upload \d+: 7 rows read, 7 changed")).first.wait_for(
        timeout=60_000
    )
    page.goto(f"{app}/map?lang=en&level=village")
    page.get_by_text("Data as of 2021-11-07").first.wait_for(timeout=90_000)
    assert not traffic.external
    page.close()


HOSTILE = "<img src=x onerror=alert(1)>"
#: A name written in Markdown: an image from another host, a link, bold type, HTML.
MARKDOWN_NAME = (
    "![px](http://host.invalid/track.png) [link](http://x.invalid) **bold** <b>b</b> "
    ":material/map: www.example.invalid a@b.invalid"
)


@pytest.fixture(scope="module")
def hostile_app(demo_db, tmp_path_factory):
    """The demo with Kota Semarang renamed to an HTML injection attempt and Kota Surakarta
    to a name written in Markdown."""
    import sqlalchemy as sa

    from zoning.store import Store, regions

    require_chromium()
    db = copy_store(demo_db, tmp_path_factory.mktemp("hostile") / "app.db")
    store = Store(str(db))
    with store.transaction() as conn:
        conn.execute(sa.update(regions).where(regions.c.code == "33.74").values(name=HOSTILE))
        conn.execute(sa.update(regions).where(regions.c.code == "33.72").values(name=MARKDOWN_NAME))
    with streamlit_server(db) as url:
        yield url


def test_a_hostile_region_name_is_shown_as_text_everywhere(hostile_app, browser):
    page, frame, _ = open_map(
        browser, f"{hostile_app}/map?level=regency&scheme=who-ct-2021&date=2021-07-03&lang=en"
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    box = page.query_selector(MAP_IFRAME).bounding_box()
    point = frame.evaluate(CENTRE_JS, "33.74")
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.wait_for_selector(".leaflet-tooltip", timeout=10_000)
    assert HOSTILE in tooltip.inner_text()
    assert not frame.query_selector_all("img[src='x']")
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.get_by_text(f"Selected region: {HOSTILE}").wait_for(timeout=30_000)
    for path in ("trends?region=33.74", "policy?region=33.74", "briefing?"):
        page.goto(f"{hostile_app}/{path}&lang=en&level=regency&scheme=who-ct-2021")
        page.get_by_text(re.compile("Data as of")).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1_500)
        for f in page.frames:
            assert not f.query_selector_all("img[src='x']"), f"{path}: an <img> was injected"
    assert not dialogs
    page.close()


def test_a_region_name_written_in_markdown_is_shown_as_text(hostile_app, browser):
    """The selected region's heading (map) and the region's heading (policy) show the name
    as written: no image fetched from another host, no live link, no bold type, no icon."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    traffic = Traffic(page)
    view = "lang=en&level=regency&scheme=who-ct-2021&date=2021-07-03&region=33.72"
    for path, heading in (("map", f"Selected region: {MARKDOWN_NAME}"), ("policy", MARKDOWN_NAME)):
        page.goto(f"{hostile_app}/{path}?{view}")
        main = page.get_by_test_id("stMain")
        shown = main.get_by_role("heading").filter(has_text="**bold**")
        shown.wait_for(timeout=90_000)
        page.wait_for_timeout(1_500)
        assert shown.inner_text().replace(WORD_JOINER, "") == heading
        # links but the app's own (the worst zone's list: a page link to each region)
        own = "[data-testid='stPageLink-NavLink']"
        assert not main.locator(f"a:not([href^='#']):not({own})").count(), f"{path}: a link"
        for link in main.locator(own).all():  # relative: a page of this app
            assert re.match(r"^map\?", link.get_attribute("href")), f"{path}: left the app"
        assert not main.locator("img").count(), f"{path}: an image"
        assert not main.locator("strong", has_text="bold").count(), f"{path}: bold type"
        assert not main.locator("b", has_text=re.compile("^b$")).count(), f"{path}: HTML"
        assert not main.locator("[role='img'][aria-label='map icon']").count(), f"{path}: icon"
    assert not traffic.external, traffic.external
    page.close()


def test_every_link_keeps_the_language_and_the_view(app, browser):
    """Arriving by an English link to a view, the sidebar and the briefing's way back keep
    the language, the scheme, the level and the date."""
    view = {"scheme": "cdc-transmission-2021", "level": "district", "date": "2021-07-03"}
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{app}/map?lang=en&" + "&".join(f"{k}={v}" for k, v in view.items()))
    page.get_by_role("heading", name=t("map.title", "en")).wait_for(timeout=90_000)
    sidebar = page.get_by_test_id("stSidebar")
    steps = (("trends", "trends.title"), ("policy", "policy.title"), ("about", "about.title"))
    for path, title in steps:
        sidebar.get_by_role("link", name=t(f"common.nav_{path}", "en")).click()
        page.wait_for_url(re.compile(rf"/{path}\?"), timeout=30_000)
        page.get_by_role("heading", name=t(title, "en")).wait_for(timeout=60_000)
        wanted = {"lang": "en", **(view if path != "about" else {"scheme": view["scheme"]})}
        for name, value in wanted.items():
            assert f"{name}={value}" in page.url, f"/{path} lost {name}: {page.url}"
    sidebar.get_by_role("link", name=t("common.nav_briefing", "en")).click()
    page.wait_for_url(re.compile(r"/briefing\?"), timeout=30_000)
    page.get_by_text(t("briefing.zones_on_chosen", "en", day=view["date"])).wait_for(timeout=60_000)
    for name, value in {"lang": "en", **view}.items():
        assert f"{name}={value}" in page.url, f"/briefing lost {name}: {page.url}"
    page.get_by_role("link", name=t("briefing.back_to_map", "en")).click()
    page.wait_for_url(re.compile(r"/map\?"), timeout=30_000)
    page.get_by_role("heading", name=t("map.title", "en")).wait_for(timeout=60_000)
    for name, value in {"lang": "en", **view}.items():
        assert f"{name}={value}" in page.url, f"/map lost {name}: {page.url}"
    page.close()


# The extent of what the map drew on its canvas, in CSS pixels, and the size of its box.
DRAWN_JS = """() => {
  const c = document.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
  for (let y = 0; y < c.height; y += 2) for (let x = 0; x < c.width; x += 2)
    if (d[(y * c.width + x) * 4 + 3] > 0) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  const r = c.width / c.getBoundingClientRect().width;
  return {w: (x1 - x0) / r, h: (y1 - y0) / r, boxW: innerWidth, boxH: innerHeight};
}"""
# Lines of text in each headline number (its height over its line height).
BIG_LINES_JS = """() => [...document.querySelectorAll('.brief-big')].map(
  e => e.getBoundingClientRect().height / (1.15 * parseFloat(getComputedStyle(e).fontSize)))"""
SCROLL_JS = """() => { const m = document.querySelector('[data-testid="stMain"]');
  return {width: document.documentElement.scrollWidth, inner: innerWidth,
          height: m.scrollHeight, shown: m.clientHeight}; }"""


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(
    ("size", "day"),
    [((390, 844), ""), ((1280, 720), ""), ((1280, 720), "2021-07-06"), ((1400, 900), "")],
)
def test_the_briefing_fits_a_phone_and_a_projector(app, browser, size, day, lang):
    """A phone gets a map as wide as the screen, not a small one in a tall grey box, and one-
    line headline numbers; a projector (1280 x 720) and a laptop show it all without
    scrolling, also with the notice of a provisional day; nothing is wider than the screen."""
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{app}/briefing?lang={lang}&level=regency&scheme=who-ct-2021&date={day}")
    frame = map_frame(page)
    page.wait_for_timeout(1_000)
    drawn = frame.evaluate(DRAWN_JS)
    scroll = page.evaluate(SCROLL_JS)
    assert scroll["width"] <= scroll["inner"], scroll
    assert all(lines < 1.5 for lines in page.evaluate(BIG_LINES_JS))  # numbers on one line
    assert drawn["w"] >= 0.8 * drawn["boxW"] or drawn["h"] >= 0.8 * drawn["boxH"], drawn
    assert drawn["h"] >= 0.5 * drawn["boxH"] and drawn["boxH"] >= 0.3 * height, drawn
    if width > 640:  # side by side: everything on one screen
        assert scroll["height"] <= scroll["shown"] + 1, scroll
    page.close()


def test_the_zone_cards_leave_the_map_on_a_phone_s_first_screen(app, browser):
    page, _, _ = open_map(browser, f"{app}/map?level=regency&lang=en", width=390)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    top = page.query_selector(MAP_IFRAME).bounding_box()["y"]
    assert top <= 0.6 * 844, f"the map starts at {top:.0f} px of 844"
    page.close()


COLD_PATHS = ("map", "briefing", "trends", "policy", "about", "map", "briefing", "trends")


def test_many_first_sessions_on_a_new_server_all_get_the_app(demo_db, browser, tmp_path):
    """Eight people opening links at the same moment the server starts all get the real app.

    The first sessions of a new server are the delicate ones: Streamlit starts an app with a
    ``pages/`` folder in its legacy multipage mode, and leaving it must not break a session
    that is importing the pages at the same time.
    """
    db = copy_store(demo_db, tmp_path / "cold.db")
    with streamlit_server(db) as url:
        pages = [browser.new_page(viewport={"width": 1200, "height": 900}) for _ in COLD_PATHS]
        for page, path in zip(pages, COLD_PATHS, strict=True):
            page.goto(f"{url}/{path}?lang=en&level=regency", wait_until="commit")
        for page, path in zip(pages, COLD_PATHS, strict=True):
            shown = page.locator("[data-testid='stException']").or_(
                page.get_by_text(re.compile("Data as of"))
            )
            try:
                shown.first.wait_for(timeout=120_000)
            except PlaywrightError:
                body = page.inner_text("body")
                raise AssertionError(f"/{path} never showed its data: {body}") from None
            errors = page.query_selector_all("[data-testid='stException']")
            assert not errors, f"/{path}: {errors[0].inner_text()}"
            # the sidebar as a whole (eight pages render at once on two cores: a widget can
            # come a moment after the page's data)
            sidebar = page.locator("[data-testid='stSidebar']")
            with contextlib.suppress(PlaywrightError):
                sidebar.get_by_text(t("common.language", "en"), exact=True).wait_for(timeout=30_000)
            nav = sidebar.inner_text()
            assert t("common.nav_map", "en") in nav, f"/{path} got the file list: {nav!r}"
            assert t("common.language", "en") in nav, f"/{path} ran alone: {nav!r}"
            assert page.url.split("?")[0].endswith(f"/{path}")
            page.close()


@pytest.fixture(scope="module")
def register_app(demo_db, tmp_path_factory):
    """The demo on a real server, for an analyst to upload a line list (its NIK key and home
    folder in a temporary folder, never the machine's)."""
    from zoning.core.auth import HASH_ENV, hash_password

    require_chromium()
    folder = tmp_path_factory.mktemp("register")
    db = copy_store(demo_db, folder / "app.db")
    env = {
        HASH_ENV: hash_password(ANALYST_PASSWORD, n=2**10),
        "ZONING_SECRET_FILE": str(folder / "keys" / "nik-secret"),
        "HOME": str(folder / "home"),
    }
    with streamlit_server(db, env) as url:
        yield url


def test_a_line_list_covering_a_regency_then_its_trends_show_the_unverified(
    register_app, browser, tmp_path
):
    """A line list of Kota Semarang for the week after the demo's data: the page says what it
    covers and how many rows have no valid NIK; then the city has daily counts that week,
    its silent villages' days read as zeros, and the trends say which share is unverified."""
    rows = ["nik,tanggal_konfirmasi,kode_desa"]
    rows += [f"33740101019{k:05d},2021-11-0{1 + k % 7},33.74.01.1001" for k in range(1, 15)]
    rows += [f"{bad},2021-11-03,33.74.01.1002" for bad in ("", "3.374E+15")]
    path = tmp_path / "daftar_kasus.csv"
    path.write_text("\n".join(rows) + "\n")

    page, traffic = upload_page(browser, register_app)
    page.get_by_text("Case line list by NIK (CSV/XLSX)").click()
    page.wait_for_timeout(3000)  # the rerun that gives line lists their own uploader
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("Coverage: the 2 villages the file names").wait_for(timeout=60_000)
    page.get_by_text("2 of 16 rows counted (12.5 %) have no valid NIK").wait_for(timeout=60_000)
    covers = page.get_by_label("Regions covered (codes separated by commas")
    covers.fill("33.74")
    covers.press("Enter")
    page.get_by_text("Coverage: 33.74, 2021-11-01 to 2021-11-07 (7 days)").wait_for(timeout=60_000)
    page.get_by_role("button", name="Save to the database").click()
    page.get_by_text(re.compile(r"Saved: upload \d+: 16 rows read")).first.wait_for(timeout=60_000)
    page.goto(f"{register_app}/trends?lang=en&level=regency&region=33.74&date=2021-11-07")
    page.get_by_role("heading", name="Cases without a valid NIK (unverified)").wait_for(
        timeout=90_000
    )
    page.get_by_text(re.compile(r"Kota Semarang: 2 of 16 cases \(12[.,]5 %\)")).wait_for(
        timeout=30_000
    )
    assert not traffic.external
    page.close()
