"""Embed: only the zone map (or one region's card) of a view, for an ``<iframe>`` elsewhere.

``/embed?level=village&scheme=who-ct-2021&within=33.74&lang=id&embed=true`` shows the map;
``&region=33.74.01.1001`` shows that region's card instead. Always the public view, with
"data as of" and where the data and the scheme come from. Offline like the rest.
"""

from __future__ import annotations

import streamlit as st

from ui import common
from ui.zonemap import FRAME, zone_map
from zoning.core.i18n import pick, t
from zoning.core.text import escape_html
from zoning.model.schemes import NO_ZONE
from zoning.render import mapdata, presentation
from zoning.views import briefing, published

st.markdown(
    f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
header, [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
#MainMenu, footer {{display: none !important;}}
[data-testid="stMainBlockContainer"], .block-container
  {{padding: .4rem .6rem .2rem .6rem !important; max-width: 100% !important;}}
iframe[title="{FRAME}"] {{height: calc(100vh - 8rem) !important; min-height: 14rem;}}
.embed-line {{font-size: .85rem; color: #424242; margin: 0;}}
.embed-small {{font-size: .72rem; color: #616161; margin: .2rem 0 0 0;}}
</style>""",
    unsafe_allow_html=True,
)

lg = common.lang()
store = common.store()
try:
    view = briefing.view_from_params(
        store, {name: st.query_params.get(name) for name in ("scheme", "level", "date")}
    )
except LookupError:
    st.info(t("common.no_data", lg))
    st.stop()
scheme, level, day = view.scheme, view.level, view.day
within, _ = mapdata.checked_within(store, level, st.query_params.get("within"))
as_of = store.meta().get("as_of", "–")
heading = t("embed.heading", lg, scheme=pick(scheme.name, lg), level=common.level_label(level, lg),
            day=day.date().isoformat(), as_of=as_of)  # fmt: skip
small = " · ".join(x for x in (briefing.source_text(store, scheme, lg),
                               briefing.geometry_note(store, lg)) if x)  # fmt: skip

region = st.query_params.get("region")
if region:  # one region's card: its zone, measures and the day
    shown = published.public_zones(store, scheme, level, day, lg, public=True)
    row = shown[shown["code"] == region]
    if row.empty:
        st.info(t("embed.no_region", lg))
        st.stop()
    index = int(row["zone_index"].iloc[0])
    name = str(row["name"].iloc[0])
    st.markdown(
        f"<h3 style='margin:0'>{escape_html(name)}</h3>"
        f"<p class='embed-line'>{escape_html(heading)}</p>"
        + (presentation.zone_card_html(scheme.zones[index], lg) if index != NO_ZONE
           else f"<p>{escape_html(scheme.zone_label(NO_ZONE, lg))}</p>")
        + f"<p class='embed-small'>{escape_html(small)}</p>",
        unsafe_allow_html=True,
    )  # fmt: skip
    st.stop()

st.markdown(f"<p class='embed-line'>{escape_html(heading)}</p>", unsafe_allow_html=True)
geometry = mapdata.level_geometry(store, level)
if geometry.drawn:
    data = mapdata.view_of(store, scheme, level, day, lg, public=True, within=within,
                           level_label=common.level_label(level, lg))  # fmt: skip
    zone_map(geometry, data, token=f"{scheme.id}|{day.date()}|{lg}|{within}", lang=lg,
             key="embed-map", height=480, legend_size=13)  # fmt: skip
else:
    st.info(t("briefing.no_geometry", lg))
st.markdown(f"<p class='embed-small'>{escape_html(small)}</p>", unsafe_allow_html=True)
