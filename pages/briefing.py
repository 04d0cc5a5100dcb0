"""Press briefing: the zone map full screen, the headline numbers, and no controls in the way.

The view comes from the URL (``/briefing?level=regency&scheme=who-ct-2021&lang=id``); the page
redraws itself when new data is committed, and offers the map as PNG and a one-page PDF.
"""

from __future__ import annotations

import streamlit as st

from ui import access, common
from ui.zonemap import FRAME, zone_map
from zoning.core.i18n import t
from zoning.core.text import escape_html
from zoning.render import bulletin, export, mapdata, presentation
from zoning.render.mapview import safe_colour
from zoning.views import briefing, cache, policy

REFRESH_SECONDS = 5

# --- full screen: no sidebar, no header or toolbar, large type --------------------------------
# Sizes follow the screen: a projector (1280 x 720) shows everything without scrolling, a
# phone (390 px) gets a map as wide as the screen in a box no taller than the province needs.
st.markdown(
    """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stHeader"], header, [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], #MainMenu, footer
  {display: none !important;}
[data-testid="stMainBlockContainer"], .block-container
  {padding: 1rem 2rem .5rem 2rem !important; max-width: 100% !important;}
MAP_FRAME {height: max(18rem, calc(100vh - 19.5rem)) !important;}
[data-testid="stAlertContainer"] {padding: .35rem .9rem !important;}
.brief-title {font-size: clamp(1.6rem, 2.6vw, 2.5rem); font-weight: 700; line-height: 1.15;
  margin: 0; padding: 0 !important;}
.brief-view {font-size: clamp(1rem, 1.3vw, 1.3rem); color: #424242;}
.brief-data {font-size: clamp(1.05rem, 1.45vw, 1.45rem); font-weight: 700; background: #fff8e1;
  border-left: 8px solid #f9a825; padding: .2rem .8rem; margin: .3rem 0 0 0;}
.brief-card {border-left: 10px solid #9e9e9e; padding: .1rem 0 .1rem .9rem; margin-bottom: 1rem;}
.brief-card h3 {font-size: clamp(1.05rem, 1.4vw, 1.35rem); margin: 0; padding: 0;
  font-weight: 600; line-height: 1.3;}
.brief-big {font-size: clamp(2rem, 3vw, 2.8rem); font-weight: 800; line-height: 1.15;
  white-space: nowrap;}
.brief-of {font-size: .5em; font-weight: 600; color: #616161;}
.brief-text {font-size: clamp(1rem, 1.3vw, 1.25rem); line-height: 1.4;}
.brief-small {font-size: .95rem; color: #616161;}
.brief-zone {font-size: clamp(.95rem, 1.2vw, 1.2rem); line-height: 1.5;}
.brief-print {font-size: .78rem; line-height: 1.3; color: #757575;}
.brief-print-narrow {display: none;}
.brief-swatch {display: inline-block; width: 1.1rem; height: 1.1rem; margin-right: .5rem;
  vertical-align: -.15rem; border: 1px solid #616161;}
@media (min-width: 641px) {  /* a notice above the map takes its height from the map */
  [data-testid="stMainBlockContainer"]:has([data-testid="stAlert"])
    MAP_FRAME {height: max(18rem, calc(100vh - 22.5rem)) !important;}
}
@media (max-height: 800px) and (min-width: 641px) {
  .brief-card {margin-bottom: .6rem;}
  .brief-zone {line-height: 1.35;}
}
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"], .block-container
    {padding: .6rem .8rem .5rem .8rem !important;}
  MAP_FRAME {height: calc(60vw + 5rem) !important;}
  .brief-print-wide {display: none;}
  .brief-print-narrow {display: block;}
}
</style>""".replace("MAP_FRAME", FRAME),
    unsafe_allow_html=True,
)

lg = common.lang()
store = common.store()
# read first, so a commit during this run is caught below: the data and the zones' decisions
version = cache.key(store, "briefing", decided=True)
try:  # the view from the URL, else the one this session was looking at on another page
    view = briefing.view_from_params(
        store, {name: common.view_param(name) for name in ("scheme", "level", "date")}
    )
except LookupError:
    st.info(t("common.no_data", lg))
    st.stop()
scheme, level, day = view.scheme, view.level, view.day
common.keep_param("scheme", scheme.id)
common.keep_param("level", level)
if view.day_from_url:  # else the latest settled day, which moves on with new data
    common.keep_param("date", day.date().isoformat())
public = access.public_view(level)  # villages, RW, RT for the public: the masked figures
numbers = briefing.headline(store, scheme, level, day, public=public, lang=lg)
place = briefing.place_name(store, lg)
words = briefing.texts(numbers, scheme, level, lg, place, day_from_url=view.day_from_url)
legend = presentation.legend(scheme, lg)
note = briefing.geometry_note(store, lg)
source = briefing.source_text(store, scheme, lg)


def html(tag_class: str, text: str, tag: str = "div") -> str:
    return f"<{tag} class='{tag_class}'>{escape_html(text)}</{tag}>"


# --- heading and the "data as of" line --------------------------------------------------------
st.markdown(
    html("brief-title", words["title"], "h1")
    + html("brief-view", f"{words['view']} · {words['zones_on']}")
    + html("brief-data", words["data_line"]),
    unsafe_allow_html=True,
)
notice = st.container()  # always there, so the map below keeps its place (and its frame)
if numbers["provisional"]:
    notice.warning(t("briefing.day_provisional", lg))

map_col, numbers_col = st.columns([7, 3], gap="large")

# --- the map ----------------------------------------------------------------------------------
with map_col:
    geometry = mapdata.level_geometry(store, level)
    if geometry.drawn:
        view_data = mapdata.view_of(
            store, scheme, level, day, lg, public=access.public_view(level),
            level_label=common.level_label(level, lg),
        )  # fmt: skip
        zone_map(
            geometry, view_data, token=f"{scheme.id}|{day.date()}|{lg}", lang=lg,
            key="briefing-map", height=780, legend_size=17,
            source=policy.boundary_source(store),
        )  # fmt: skip
    else:
        st.info(t("briefing.no_geometry", lg))

# --- the headline numbers ---------------------------------------------------------------------
with numbers_col:
    severe_colour = safe_colour(numbers["severe"]["colour"])
    cases_lines = [words["cases_coverage"]] if words["cases_coverage"] else []
    zone_rows = "".join(
        f"<div class='brief-zone'><span class='brief-swatch' "
        f"style='background:{safe_colour(colour)}'></span>"
        f"<b>{escape_html(label)}</b>: {escape_html(text)}</div>"
        for label, colour, text in words["zone_lines"]
    )
    st.markdown(
        f"<div class='brief-card' style='border-left-color:{severe_colour}'>"
        + html("", words["severe_title"], "h3")
        + f"<div class='brief-big'>{escape_html(words['severe_count'])} "
        + f"<span class='brief-of'>{escape_html(words['severe_of'])}</span></div>"
        + html("brief-text", words["severe_people"])
        + "</div><div class='brief-card'>"
        + html("", words["cases_title"], "h3")
        + html("brief-big", words["cases_value"])
        + "".join(html("brief-small", line) for line in cases_lines)
        + html("brief-text", words["cases_change"])
        + "</div><div class='brief-card' style='border-left-color:#e0e0e0'>"
        + html("", words["zones_title"], "h3")
        + zone_rows
        + "</div>",
        unsafe_allow_html=True,
    )

# --- under the map: the way back, the downloads and the small print ---------------------------
links = map_col.container(horizontal=True, gap="small")
links.page_link(
    "pages/map.py", label=t("briefing.back_to_map", lg), icon=":material/arrow_back:",
    query_params=common.view_query("map"),
)  # fmt: skip
links.download_button(
    t("briefing.download_png", lg),
    lambda: export.map_png(
        presentation.map_layer(store, scheme, level, day, lg, public=public)[0], legend,
        words["title"],
        f"{words['view']}\n{words['zones_on']} · {words['data_line']}", note,
    ),
    export.file_name(scheme, level, day, lg, "png"), "image/png", on_click="ignore",
    type="tertiary", icon=":material/image:",
)  # fmt: skip
links.download_button(
    t("briefing.download_pdf", lg),
    lambda: bulletin.brief(
        store, scheme, level, day, lg, place=place, public=public, day_from_url=view.day_from_url
    ),
    export.file_name(scheme, level, day, lg, "pdf"), "application/pdf", on_click="ignore",
    type="tertiary", icon=":material/picture_as_pdf:",
)  # fmt: skip
# Under the map on a wide screen; on a phone, where the columns stack, after the numbers.
small_print = " · ".join(text for text in (note, source, t("briefing.auto_refresh", lg)) if text)
map_col.markdown(html("brief-print brief-print-wide", small_print), unsafe_allow_html=True)
st.markdown(html("brief-print brief-print-narrow", small_print), unsafe_allow_html=True)


# --- new data: redraw without a reload ---------------------------------------------------------
@st.fragment(run_every=REFRESH_SECONDS)
def redraw_on_new_data(shown: tuple) -> None:
    """Every few seconds: if the store's data or a zone's decision changed since this page
    was drawn (a regent confirming a zone during the briefing), redraw it."""
    if cache.key(store, "briefing", decided=True) != shown:
        st.rerun()


redraw_on_new_data(version)
