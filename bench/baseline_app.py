"""The straightforward zone map, which the map benchmark (``bench/map.py``) compares with.

What a first version of the map page would do: compute the zones with the library, put the
regions in a ``folium.GeoJson`` layer with a style function and a tooltip, and pass the map
to ``st_folium`` with its default arguments (SVG paths, every interaction returned).

Two changes keep it offline, as the dashboard is, so that it is not slowed by requests that
cannot succeed: no basemap tiles (``tiles=None``), and Leaflet from the app's own
``static/vendor`` instead of folium's CDNs (:func:`zoning.render.mapview.use_local_assets`, as the
dashboard does). Streamlit serves ``static/`` beside the main script only, so
``bench/map.py`` runs this file from a folder holding a link to it and one to ``static/``.

Reads the store named by ``ZONING_DB``; the view is in the URL (``?level=village&
scheme=who-ct-2021&date=2021-07-15``). With ``ZONING_TIMING`` set it logs one line per script
run on stderr, as ``dashboard.py`` does: ``zoning.timing rerun page=baseline ms=<float>``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from zoning.core.timing import timing_log
from zoning.model.schemes import builtin_schemes
from zoning.render.mapview import COMPONENT_ASSET_BASE, NO_DATA_COLOUR, use_local_assets
from zoning.store import Store
from zoning.views import service


@st.cache_resource(show_spinner=False)
def open_store() -> Store:
    return Store()


def keep_date() -> None:
    st.query_params["date"] = st.session_state["date"].isoformat()


def page() -> None:
    """The zone map of one level, scheme and date."""
    store = open_store()
    scheme = builtin_schemes()[st.query_params.get("scheme", "who-ct-2021")]
    level = st.query_params.get("level", "village")
    days = [d.date() for d in service.dates(store, level)]
    if "date" not in st.session_state:
        asked = st.query_params.get("date")
        st.session_state["date"] = dt.date.fromisoformat(asked) if asked else days[-1]
    day = st.sidebar.slider(
        "Tanggal", days[0], days[-1], key="date", format="YYYY-MM-DD", on_change=keep_date
    )
    st.title("Peta zona")

    zones = service.zones_on(store, scheme, level, day)
    colours = {z.id: z.colour for z in scheme.zones}
    regions = service.geometries(store, level)[["code", "geometry"]].merge(zones, on="code")
    regions["colour"] = regions["zone"].map(colours).fillna(NO_DATA_COLOUR)
    regions = regions[["code", "name", "zone", "colour", "cases_7d_per_100k", "geometry"]]

    fmap = use_local_assets(folium.Map(tiles=None), COMPONENT_ASSET_BASE)
    folium.GeoJson(
        regions,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["colour"],
            "color": "#757575",
            "weight": 0.6,
            "fillOpacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "zone", "cases_7d_per_100k"]),
    ).add_to(fmap)
    minx, miny, maxx, maxy = regions.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    st_folium(fmap)


start = time.perf_counter()
try:
    page()
finally:
    ms = (time.perf_counter() - start) * 1000
    timing_log().info("rerun page=baseline ms=%.1f", ms)
