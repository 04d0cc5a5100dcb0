"""Folium choropleth maps of zones, with Leaflet served locally: no CDN, no tiles by default.

Every text that comes from data (names, labels, legend labels, the title) is escaped with
:func:`zoning.core.text.escape_html` before it reaches the page.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry import mapping

from zoning.core.text import escape_html
from zoning.model.schemes import NO_DATA_COLOUR

#: URL of ``static/vendor`` as served by Streamlit (``server.enableStaticServing``), relative
#: to a page at the server root.
ASSET_BASE = "app/static/vendor"
#: The same, relative to the streamlit-folium component iframe
#: (``<base>/component/streamlit_folium.st_folium/index.html``); works under any base path.
COMPONENT_ASSET_BASE = "../../app/static/vendor"
#: Folder holding the vendored files on disk (used to inline them in exported HTML).
VENDOR_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor"
LEAFLET_JS = "leaflet-1.9.4/leaflet.js"
LEAFLET_CSS = "leaflet-1.9.4/leaflet.css"
_DECIMALS = 6  # ~0.1 m: plenty for display, keeps the embedded GeoJSON small

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_SWATCH = (
    "display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;"
    "border:1px solid #616161;background:"
)
_BOX = (
    "background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;font-size:12px;"
    "line-height:18px;color:#212121;box-shadow:0 1px 4px rgba(0,0,0,0.3);max-width:260px"
)


class _HtmlControl(MacroElement):
    """A Leaflet control showing a fixed piece of (already escaped) HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.css_class = css_class


TILES_ENV = "ZONING_TILE_URL"
TILES_ATTRIBUTION_ENV = "ZONING_TILE_ATTRIBUTION"


def configured_tiles() -> tuple[str | None, str | None]:
    """The basemap an operator configured: ``ZONING_TILE_URL`` and ``ZONING_TILE_ATTRIBUTION``.

    Off by default: on a network without internet a tile server of its own can be named
    (``http://tiles.local/{z}/{x}/{y}.png``); without one the map draws the zones alone.
    """
    url = os.environ.get(TILES_ENV, "").strip() or None
    attribution = os.environ.get(TILES_ATTRIBUTION_ENV, "").strip() or None
    if url and not attribution:
        attribution = url.split("/")[2] if "://" in url else url
    return url, attribution


def safe_colour(value: object) -> str:
    """Return ``value`` if it is a hex colour (``#rgb``, ``#rrggbb``...), else the no-data grey."""
    if isinstance(value, str) and _HEX_COLOUR.fullmatch(value):
        return value
    return NO_DATA_COLOUR


def use_local_assets(m: folium.Map, asset_base: str = ASSET_BASE) -> folium.Map:
    """Make one map load only the vendored Leaflet (drops jQuery, Bootstrap, Font Awesome...).

    Sets instance attributes, so folium's class-level defaults stay untouched.
    """
    base = asset_base.rstrip("/")
    m.default_js = [("leaflet", f"{base}/{LEAFLET_JS}")]
    m.default_css = [("leaflet_css", f"{base}/{LEAFLET_CSS}")]
    return m


def offline_map(
    *,
    asset_base: str = ASSET_BASE,
    tiles: str | None = None,
    attribution: str | None = None,
    **kwargs: Any,
) -> folium.Map:
    """Create a ``folium.Map`` that references only local assets and has no tiles by default.

    Parameters
    ----------
    asset_base : str
        URL of the ``static/vendor`` folder as seen from the page showing the map.
    tiles, attribution : str, optional
        Tile URL template (``https://tiles.example/{z}/{x}/{y}.png``) and its attribution
        (operator configuration, rendered as HTML by Leaflet). Both or neither.
    **kwargs
        Passed to ``folium.Map``; ``prefer_canvas`` defaults to True.
    """
    if tiles and not attribution:
        raise ValueError("a tile server needs an attribution")
    kwargs.setdefault("prefer_canvas", True)
    m = use_local_assets(folium.Map(tiles=None, **kwargs), asset_base)
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution, name="tiles", control=False).add_to(m)
    return m


def _prop(value: object) -> object:
    """JSON-ready, HTML-safe property value: finite numbers stay numbers, text is escaped."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(float(value)) else None
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        pass
    return escape_html(value)


def _features(
    gdf: gpd.GeoDataFrame, key_col: str, colour_col: str, fields: Sequence[str]
) -> tuple[dict, gpd.GeoDataFrame]:
    """GeoJSON FeatureCollection with only the properties the map needs, and the drawn rows."""
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    drawn = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    columns = list(dict.fromkeys(c for c in ("name", *fields) if c in drawn.columns))
    rows = drawn[columns].to_dict("records")
    features = []
    geoms = shapely.transform(drawn.geometry.values, lambda xy: np.round(xy, _DECIMALS))
    for i, (geom, row) in enumerate(zip(geoms, rows, strict=True)):
        props: dict[str, object] = {k: _prop(v) for k, v in row.items()}
        props["code"] = escape_html(drawn[key_col].iat[i])
        props[colour_col] = safe_colour(drawn[colour_col].iat[i])
        features.append(
            {"type": "Feature", "id": i, "properties": props, "geometry": mapping(geom)}
        )
    return {"type": "FeatureCollection", "features": features}, drawn


def _legend_html(legend: Sequence[tuple[str, str]]) -> str:
    rows = "".join(
        f'<div role="listitem"><span aria-hidden="true" style="{_SWATCH}{safe_colour(c)}"></span>'
        f"{escape_html(label)}</div>"
        for label, c in legend
    )
    return f'<div role="list" style="{_BOX}">{rows}</div>'


def build_zone_map(
    gdf: gpd.GeoDataFrame,
    *,
    colour_col: str = "colour",
    tooltip_fields: Sequence[tuple[str, str]] = (),
    legend: Sequence[tuple[str, str]] = (),
    title: str | None = None,
    key_col: str = "code",
    popup_fields: Sequence[tuple[str, str]] = (),
    tiles: str | None = None,
    attribution: str | None = None,
    asset_base: str = ASSET_BASE,
    prefer_canvas: bool = True,
) -> folium.Map:
    """Build a choropleth of zones: one feature per region, coloured by ``colour_col``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        One row per region (EPSG:4326, reprojected otherwise) with ``key_col``, ``name``,
        ``colour_col`` (hex) and the tooltip columns. Rows without geometry are not drawn.
    tooltip_fields, popup_fields : sequence of (column, label)
        Shown on hover / on click; labels and text values are HTML-escaped.
    legend : sequence of (label, colour)
        Bottom-right legend; every swatch has its label.
    title : str, optional
        Shown top-right.
    key_col : str
        Column whose value becomes the feature property ``code`` (read back from clicks via
        streamlit-folium's ``last_active_drawing["properties"]["code"]``).
    tiles, attribution, asset_base :
        See :func:`offline_map`.
    prefer_canvas : bool
        Draw on a canvas (faster for many polygons) instead of SVG paths.

    Returns
    -------
    folium.Map
    """
    fields = [c for c, _ in tooltip_fields] + [c for c, _ in popup_fields]
    data, drawn = _features(gdf, key_col, colour_col, fields)
    m = offline_map(
        asset_base=asset_base,
        tiles=tiles,
        attribution=attribution,
        prefer_canvas=prefer_canvas,
    )

    def style(feature: dict) -> dict:
        return {
            "fillColor": feature["properties"][colour_col],
            "color": "#757575",
            "weight": 0.6,
            "fillOpacity": 0.8,
        }

    def highlight(feature: dict) -> dict:
        return {"color": "#212121", "weight": 2.5, "fillOpacity": 0.95}

    tooltip = popup = None
    if tooltip_fields:
        tooltip = folium.GeoJsonTooltip(
            fields=[c for c, _ in tooltip_fields],
            aliases=[escape_html(label) for _, label in tooltip_fields],
            sticky=True,
        )
    if popup_fields:
        popup = folium.GeoJsonPopup(
            fields=[c for c, _ in popup_fields],
            aliases=[escape_html(label) for _, label in popup_fields],
        )
    folium.GeoJson(
        data,
        name="zones",
        style_function=style,
        highlight_function=highlight,
        tooltip=tooltip,
        popup=popup,
    ).add_to(m)
    if legend:
        _HtmlControl(_legend_html(legend), "bottomright", "zoning-legend").add_to(m)
    if title:
        html = f'<div style="{_BOX};font-size:14px;font-weight:600">{escape_html(title)}</div>'
        _HtmlControl(html, "topright", "zoning-title").add_to(m)
    if len(drawn):
        minx, miny, maxx, maxy = (round(float(v), _DECIMALS) for v in drawn.total_bounds)
        m.location = [(miny + maxy) / 2, (minx + maxx) / 2]
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def map_to_html(m: folium.Map, *, inline: bool = False, vendor_dir: Path = VENDOR_DIR) -> str:
    """Render ``m`` as a standalone HTML document.

    Parameters
    ----------
    m : folium.Map
        A map made by :func:`offline_map` or :func:`build_zone_map`.
    inline : bool
        Embed the vendored Leaflet JS and CSS (read from ``vendor_dir``) instead of linking
        them, so the file works on its own (downloads, e-mail).
    """
    html = m.get_root().render()
    if not inline:
        return html
    for _, url in m.default_js:
        if url.endswith(LEAFLET_JS):
            code = (vendor_dir / LEAFLET_JS).read_text(encoding="utf-8")
            code = code.replace("</script", "<\\/script")
            html = html.replace(f'<script src="{url}"></script>', f"<script>{code}</script>", 1)
    for _, url in m.default_css:
        if url.endswith(LEAFLET_CSS):
            css = (vendor_dir / LEAFLET_CSS).read_text(encoding="utf-8")
            css = css.replace("</style", "<\\/style")
            link = f'<link rel="stylesheet" href="{url}"/>'
            html = html.replace(link, f"<style>{css}</style>", 1)
    return html
