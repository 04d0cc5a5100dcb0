"""Tests for zoning.render.mapview: render the map to HTML and assert on the text."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import pytest
from folium.elements import JSCSSMixin
from shapely.geometry import box

from zoning.render.mapview import (
    ASSET_BASE,
    NO_DATA_COLOUR,
    VENDOR_DIR,
    build_zone_map,
    map_to_html,
    offline_map,
)

HOSTILE = "<img src=x onerror=alert(1)>"
COLOURS = ["#2e7d32", "#f9a825", "#c62828", "#6a1b9a"]
LEGEND = [("Zona hijau", "#2e7d32"), ("Zona kuning", "#f9a825"), ("Zona merah", "#c62828")]


@pytest.fixture
def regions() -> gpd.GeoDataFrame:
    n = 6
    names = [f"Desa {i}" for i in range(n)]
    names[2] = HOSTILE
    return gpd.GeoDataFrame(
        {
            "code": [f"33.74.01.{1001 + i}" for i in range(n)],
            "name": names,
            "colour": [COLOURS[i % 4] for i in range(n)],
            "cases_7d": [i * 3 for i in range(n)],
            "population": [1000 + i for i in range(n)],  # not shown: must not be embedded
        },
        geometry=[box(110.4 + 0.02 * i, -7.0, 110.419 + 0.02 * i, -6.981) for i in range(n)],
        crs="EPSG:4326",
    )


def _render(gdf: gpd.GeoDataFrame, **kwargs: object) -> str:
    kwargs.setdefault("tooltip_fields", [("name", "Nama"), ("cases_7d", "Kasus 7 hari")])
    kwargs.setdefault("legend", LEGEND)
    return map_to_html(build_zone_map(gdf, **kwargs))


def _js_view(html: str) -> str:
    """The text as JavaScript sees it once folium's JSON escapes (\\u003c...) are decoded."""
    for esc, char in (("\\u003c", "<"), ("\\u003e", ">"), ("\\u0026", "&"), ("\\u0027", "'")):
        html = html.replace(esc, char)
    return html


def _geojson(m: folium.Map) -> folium.GeoJson:
    (layer,) = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    return layer


def test_one_feature_per_region(regions):
    m = build_zone_map(regions, tooltip_fields=[("name", "Nama")])
    features = _geojson(m).data["features"]
    assert [f["properties"]["code"] for f in features] == list(regions["code"])
    html = map_to_html(m)
    assert html.count('"type": "Feature"') == len(regions)


def test_only_needed_properties(regions):
    m = build_zone_map(regions, tooltip_fields=[("cases_7d", "Kasus")])
    props = _geojson(m).data["features"][0]["properties"]
    assert set(props) == {"code", "name", "colour", "cases_7d"}
    assert props["cases_7d"] == 0  # numbers stay numbers
    assert "population" not in map_to_html(m)


def test_hostile_name_is_escaped_everywhere(regions):
    html = _render(
        regions,
        popup_fields=[("name", "Nama")],
        legend=[*LEGEND, (HOSTILE, "#000000")],
        title=HOSTILE,
        tooltip_fields=[("name", HOSTILE)],
    )
    view = _js_view(html)
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    # data, tooltip label, legend label, title
    assert view.count(escaped) >= 4
    assert "<img" not in view.lower()
    assert "<img src=x" not in html


def test_hostile_text_cannot_close_the_script(regions):
    regions.loc[0, "name"] = "</script><script>alert(1)</script>"
    html = _render(regions, title="</script>")
    assert html.lower().count("</script>") == html.lower().count("<script")
    assert "&lt;/script&gt;" in _js_view(html)


def test_no_remote_url_by_default(regions):
    html = _render(regions, title="Peta zona")
    assert re.findall(r"https?://", html) == []
    assert "//cdn" not in html
    assert f'<script src="{ASSET_BASE}/leaflet-1.9.4/leaflet.js"></script>' in html
    assert f'<link rel="stylesheet" href="{ASSET_BASE}/leaflet-1.9.4/leaflet.css"/>' in html
    for dropped in ("jquery", "bootstrap", "awesome", "fontawesome"):
        assert dropped not in html.lower()


def test_links_seen_by_streamlit_folium_are_local(regions):
    """streamlit-folium ignores the <head> links and loads every element's default_js/css."""
    m = build_zone_map(regions, legend=LEGEND, asset_base="../../app/static/vendor")

    def walk(element):
        yield element
        for child in element._children.values():
            yield from walk(child)

    links = [
        url
        for el in walk(m)
        if isinstance(el, JSCSSMixin)
        for _, url in [*el.default_js, *el.default_css]
    ]
    assert links == [
        "../../app/static/vendor/leaflet-1.9.4/leaflet.js",
        "../../app/static/vendor/leaflet-1.9.4/leaflet.css",
    ]
    assert "cdn.jsdelivr.net" in folium.Map.default_js[0][1]  # class defaults untouched


def test_streamlit_folium_script_keeps_legend(regions):
    sf = pytest.importorskip("streamlit_folium")
    m = build_zone_map(regions, legend=LEGEND, title="Peta")
    script = sf.generate_leaflet_string(m)
    assert "control.addTo(map_div);" in script
    assert "Zona merah" in script


def test_tiles_off_by_default(regions):
    html = _render(regions)
    assert "L.tileLayer" not in html


def test_configured_tiles_are_the_only_remote_url(regions):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = _render(regions, tiles=url, attribution="&copy; Contoh")
    assert "L.tileLayer" in html
    assert set(re.findall(r"https?://[^\"'\s]+", html)) == {url}


def test_tiles_need_attribution():
    with pytest.raises(ValueError, match="attribution"):
        offline_map(tiles="https://tiles.example.org/{z}/{x}/{y}.png")


def test_colours_and_legend(regions):
    html = _js_view(_render(regions))
    for colour in COLOURS:
        assert f'"fillColor": "{colour}"' in html
    for label, colour in LEGEND:
        assert label in html
        assert f"background:{colour}" in html
    assert '"fillOpacity": 0.8' in html


def test_invalid_colour_falls_back_to_grey(regions):
    regions.loc[0, "colour"] = "red;}</style><b>"
    m = build_zone_map(regions)
    assert _geojson(m).data["features"][0]["properties"]["colour"] == NO_DATA_COLOUR
    assert "red;}" not in map_to_html(m)


def test_fits_bounds_of_data(regions):
    html = _render(regions)
    assert re.search(r"fitBounds\(\s*\[\[-7\.0, 110\.4\], \[-6\.981, 110\.519\]\]", html)


def test_reprojects_and_skips_missing_geometry(regions):
    projected = regions.to_crs("EPSG:3857")
    projected.loc[1, "geometry"] = None
    m = build_zone_map(projected)
    features = _geojson(m).data["features"]
    assert len(features) == len(regions) - 1
    x, y = features[0]["geometry"]["coordinates"][0][0]
    assert 110 < x < 111 and -8 < y < -6


def test_asset_base_override(regions):
    html = _render(regions, asset_base="/peta/app/static/vendor/")
    assert '<script src="/peta/app/static/vendor/leaflet-1.9.4/leaflet.js">' in html


def test_inline_export_is_self_contained(regions):
    html = map_to_html(build_zone_map(regions), inline=True)
    assert "<script src=" not in html
    assert '<link rel="stylesheet"' not in html
    assert "Leaflet 1.9.4" in html
    assert ".leaflet-container" in html


def test_vendored_files_present():
    leaflet = VENDOR_DIR / "leaflet-1.9.4"
    assert "Leaflet 1.9.4" in (leaflet / "leaflet.js").read_text(encoding="utf-8")[:200]
    assert "BSD 2-Clause" in (leaflet / "LICENSE").read_text(encoding="utf-8")
    assert (leaflet / "leaflet.css").is_file()


def test_configured_tiles_from_the_environment(monkeypatch):
    from zoning.render.mapview import configured_tiles

    monkeypatch.delenv("ZONING_TILE_URL", raising=False)
    monkeypatch.delenv("ZONING_TILE_ATTRIBUTION", raising=False)
    assert configured_tiles() == (None, None)
    monkeypatch.setenv("ZONING_TILE_URL", "http://tiles.dinkes.local/{z}/{x}/{y}.png")
    assert configured_tiles() == ("http://tiles.dinkes.local/{z}/{x}/{y}.png", "tiles.dinkes.local")
    monkeypatch.setenv("ZONING_TILE_ATTRIBUTION", "© OpenStreetMap")
    assert configured_tiles()[1] == "© OpenStreetMap"
