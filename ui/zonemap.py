"""The zone map on a page: geometry published once as a static file, zones sent per view.

The component's front end is ``static/zonemap/`` (plain JavaScript over the vendored
Leaflet); what it is sent is built by :mod:`zoning.render.mapdata`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from zoning.core.i18n import t
from zoning.render.geofiles import GeoFiles
from zoning.render.mapdata import MapFile, MapGeometry, wire_view
from zoning.render.mapview import configured_tiles

_ROOT = Path(__file__).resolve().parent.parent
#: Served by Streamlit at ``<base>/app/static/geo/`` (``server.enableStaticServing``).
GEO_DIR = _ROOT / "static" / "geo"
#: The same folder as seen from the component's frame (``<base>/component/<name>/``).
GEO_URL = "../../app/static/geo"
#: The folder's files: one per level and ``within`` region (with the detail tiles and tooltip
#: files of a tiled level), never removed while in use.
GEO_FILES = GeoFiles(GEO_DIR, keep=512)

_component = components.declare_component("zonemap", path=str(_ROOT / "static" / "zonemap"))
#: How the map page prints: A4 landscape, without the sidebar, the search and the controls.
PRINT_CSS = """<style>
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stTextInput"],
  [data-testid="stButtonGroup"], [data-testid="stDownloadButton"],
  [data-testid="stBaseButton-secondary"] { display: none !important; }
  [data-testid="stMain"] { margin: 0 !important; padding: 0 !important; }
  [data-testid="stMainBlockContainer"] { max-width: none !important; padding: 0 !important; }
  h1 { font-size: 20pt !important; }
  iframe { break-inside: avoid; }
}
</style>"""

#: CSS selector of the map's frame, which Streamlit titles with the component's full name
#: (this module's path, then ``zonemap``: ``ui.zonemap.zonemap``).
FRAME = f'iframe[title="{_component.name}"]'


def _publish(geometry: MapGeometry) -> str | None:
    """Write the geometry under ``static/geo`` once, named by its content; return its URL.

    Returns ``None`` where the folder cannot be written (a read-only install): the map then
    gets the geometry inline, which works but is sent again on every change. Old files are
    removed only when no view can still fetch them (:mod:`zoning.render.geofiles`).
    """
    name = GEO_FILES.publish(geometry.digest, geometry.payload, geometry.store, geometry.version)
    if name is None:
        return None
    _publish_files(geometry.tiles, geometry)
    return f"{GEO_URL}/{name}"


def _publish_files(files: tuple[MapFile, ...], geometry: MapGeometry) -> None:
    """Write a tiled level's detail tiles or a view's tooltip files beside its geometry."""
    for file in files:
        GEO_FILES.publish(file.digest, file.payload, geometry.store, geometry.version)


def zone_map(
    geometry: MapGeometry,
    view: dict,
    *,
    token: str,
    lang: str,
    key: str,
    height: int = 560,
    selected: str | None = None,
    legend_size: int | None = None,
    source: str | None = None,
    file_name: str | None = None,
    caption: str | None = None,
) -> str | None:
    """Draw the map; return the code of a region the person has just clicked, else ``None``.

    ``token`` names the view (scheme, date, language...): the map recolours when it changes.
    A click is reported once: the component's value stays the same on later reruns.
    ``source`` (plain text) says where the boundaries come from, in a corner of the map.
    ``file_name`` names the PNG of the view the map offers, ``caption`` is written on it
    after the level (the scheme and the day).
    """
    shapes = f"{key}__shapes"  # the shapes this map was last sent: see new_shapes
    st.session_state[f"{key}__new_shapes"] = st.session_state.get(shapes) != geometry.digest
    st.session_state[shapes] = geometry.digest
    url = _publish(geometry)
    view, tips = wire_view(view)
    if url:
        _publish_files(tips, geometry)
    tiles, attribution = configured_tiles()
    value = _component(
        geometry_id=geometry.digest,
        geometry_url=url,
        geometry_data=None if url else base64.b64encode(geometry.payload).decode("ascii"),
        view=view,
        token=token,
        lang=lang,
        selected=selected,
        height=height,
        legend_size=legend_size,
        tiles=tiles,
        attribution=attribution,
        source=source,
        messages={
            "loading": t("map.loading", lang),
            "failed": t("map.load_failed", lang),
            "play": t("map.play_button", lang),
            "pause": t("map.pause_button", lang),
            "png": t("map.png_button", lang),
            "copy": t("map.copy_link", lang),
            "copied": t("map.link_copied", lang),
            "keys": t("map.keys", lang),
        },
        file_name=file_name,
        caption=caption,
        key=key,
        default=None,
    )
    click = (value or {}).get("click")
    seen = f"{key}__click"
    if click and st.session_state.get(seen) != click:
        st.session_state[seen] = click
        return value.get("code")
    return None


def new_shapes(key: str) -> bool:
    """Whether the map ``key`` was sent, in this run, shapes it was not sent before in this
    session (a first view, another level): its browser then reads and draws them all,
    where a date step only recolours them."""
    return bool(st.session_state.get(f"{key}__new_shapes", True))


_SCROLL_JS = """<script>
(function () {
  // Bring the element with id %s into view in the page around this frame. The page goes on
  // growing below it for a moment (charts), so it is brought back a few times, unless the
  // person has scrolled since.
  var doc = window.parent.document, tries = 0, done = 0, at = null;
  function scroller(el) {
    for (var p = el.parentElement; p; p = p.parentElement) {
      if (p.scrollHeight > p.clientHeight && getComputedStyle(p).overflowY !== "visible") return p;
    }
    return doc.scrollingElement;
  }
  function go() {
    var el = doc.getElementById(%s);
    if (!el) {
      if (++tries < 100) setTimeout(go, 100);
      return;
    }
    var box = scroller(el);
    if (at !== null && Math.abs(box.scrollTop - at) > 2) return;  // the person scrolled
    el.style.scrollMarginTop = "4.5rem";  // clear of Streamlit's header bar
    el.scrollIntoView({ block: "start" });
    at = box.scrollTop;
    if (++done < 8) setTimeout(go, 250);
  }
  go();
})();
</script><!-- %s -->"""


def scroll_into_view(anchor: str, *, token: str) -> None:
    """Scroll the page to the element ``anchor`` (a heading's anchor) once per ``token``.

    The script runs when its frame is new: a new ``token`` (a newly selected region) scrolls
    again, a rerun with the same one (a new date) leaves the page where the person put it.
    """
    safe = json.dumps(anchor)
    name = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]  # nothing from the URL
    st.iframe(_SCROLL_JS % (safe, safe, name), height=1)
