"""Zone map: the chosen level, scheme and date on a choropleth, with a region's panel."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from pages import common
from zoning import charts, export, presentation, service
from zoning.i18n import format_number, t
from zoning.mapview import COMPONENT_ASSET_BASE, build_zone_map, configured_tiles
from zoning.regions import child_level, level_of_code
from zoning.rollup import zone_totals

lg = common.lang()
store = common.store()
scheme = common.pick_scheme(lg)
level = common.pick_level(store, scheme, lg)
day = common.pick_date(store, level, lg)
within = st.query_params.get("within")

st.title(t("map.title", lg))
common.data_note(store, lg)

layer, tooltip = presentation.map_layer(store, scheme, level, day, lg, within=within)
if within and st.button(t("map.back_up", lg), icon=":material/arrow_upward:"):
    del st.query_params["within"]
    st.rerun()

# --- zones at a glance ------------------------------------------------------------------
totals = zone_totals(layer, scheme)  # zones in the scheme's order, then "no data"
for col, (label, colour), row in zip(
    st.columns(len(totals)), presentation.legend(scheme, lg), totals.itertuples(), strict=True
):
    text = t(
        "map.regions_in_zone", lg, n=row.regions, total=len(layer),
        people=format_number(row.population, lg),
    )  # fmt: skip
    col.markdown(presentation.zone_count_html(label, colour, text), unsafe_allow_html=True)

# --- the map ----------------------------------------------------------------------------
tiles, attribution = configured_tiles()
drawable = layer[~layer.geometry.is_empty & layer.geometry.notna()]
if len(drawable):
    fmap = build_zone_map(
        drawable,
        tooltip_fields=tooltip,
        legend=presentation.legend(scheme, lg),
        asset_base=COMPONENT_ASSET_BASE,
        tiles=tiles,
        attribution=attribution,
    )
    clicked = st_folium(
        fmap, key=f"map-{level}-{within}", use_container_width=True, height=560,
        returned_objects=["last_active_drawing"],
    )  # fmt: skip
    props = ((clicked or {}).get("last_active_drawing") or {}).get("properties") or {}
    if props.get("code") and props["code"] != st.query_params.get("region"):
        st.query_params["region"] = props["code"]
        st.rerun()
else:
    st.info(t("map.no_geometry", lg))
st.caption(t("map.click_hint", lg))

# --- the selected region ----------------------------------------------------------------
region = st.query_params.get("region")
if region and level_of_code(region) == level and region in set(layer["code"]):
    row = layer.set_index("code").loc[region]
    st.subheader(f"{t('map.selected', lg)}: {row['name']}")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('common.zone', lg)}:** {row['zone_label']}")
        history = service.zone_history(store, scheme, level, region)
        st.caption(t("map.zone_history", lg))
        st.altair_chart(charts.zone_strip(history, scheme, lg), use_container_width=True)
        st.caption(t("map.trend", lg))
        st.altair_chart(
            charts.daily_cases(service.case_series(store, level, region), lg),
            use_container_width=True,
        )
    with right:
        st.markdown(f"**{t('map.measures', lg)}**")
        measures = scheme.zones[row["zone_index"]].measures[lg] if row["zone_index"] >= 0 else ()
        st.markdown("\n".join(f"- {m}" for m in measures) if measures else t("map.no_measures", lg))
        below = child_level(level)
        if (
            below
            and below in store.levels()
            and st.button(
                t("map.drill_down", lg, level=common.level_label(below, lg), name=row["name"])
            )
        ):
            st.query_params.update(level=below, within=region)
            del st.query_params["region"]
            st.rerun()

# --- table and downloads ----------------------------------------------------------------
table = export.zones_table(layer, scheme, day)
with st.expander(t("map.table", lg)):
    st.dataframe(table, hide_index=True, use_container_width=True)
stem = f"zones-{scheme.id}-{level}-{pd.Timestamp(day).date()}"
a, b = st.columns(2)
a.download_button(t("map.download_csv", lg), export.to_csv_bytes(table), f"{stem}.csv", "text/csv")
geojson = export.to_geojson_bytes(table, layer.geometry)
b.download_button(t("map.download_geojson", lg), geojson, f"{stem}.geojson", "application/geo+json")
