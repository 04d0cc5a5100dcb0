"""Zone map: the chosen level, scheme and date on a choropleth, with a region's panel."""

from __future__ import annotations

import streamlit as st

from pages import access, common
from pages.zonemap import zone_map
from zoning import charts, export, mapdata, presentation, service
from zoning.i18n import format_number, t, tn
from zoning.regions import child_level, level_of_code
from zoning.rollup import zone_totals
from zoning.text import escape_markdown

lg = common.lang()
store = common.store()
scheme = common.pick_scheme(lg)
level = common.pick_level(store, scheme, lg)
day = common.pick_date(store, level, lg)
within = st.query_params.get("within")

st.title(t("map.title", lg))
common.data_note(store, lg)

public = access.public_view(level)  # villages, RW, RT for the public: small counts as ranges
zones = presentation.zones_within(service.zones_on(store, scheme, level, day), within)
shown = presentation.shown_zones(store, scheme, level, day, lg, public=public)
shown = presentation.zones_within(shown, within)
layer = presentation.with_labels(zones, scheme, lg)
if within and st.button(t("map.back_up", lg), icon=":material/arrow_upward:"):
    del st.query_params["within"]
    st.rerun()

# --- zones at a glance ------------------------------------------------------------------
totals = zone_totals(layer, scheme)  # zones in the scheme's order, then "no data"
cards = []
for (label, colour), row in zip(presentation.legend(scheme, lg), totals.itertuples(), strict=True):
    text = tn(
        "map.regions_in_zone", lg, len(layer), n=format_number(row.regions, lg),
        total=format_number(len(layer), lg), people=format_number(row.population, lg),
    )  # fmt: skip
    cards.append((label, colour, text))
st.markdown(presentation.zone_cards_html(cards), unsafe_allow_html=True)

# --- the map ----------------------------------------------------------------------------
geometry = mapdata.level_geometry(store, level, within)
if geometry.drawn:
    view = mapdata.view_of(
        store, scheme, level, day, lg, public=public, within=within,
        level_label=common.level_label(level, lg),
    )  # fmt: skip
    clicked = zone_map(
        geometry, view, token=f"{scheme.id}|{day.date()}|{lg}", lang=lg, key="zone-map",
        selected=st.query_params.get("region"),
    )  # fmt: skip
    if clicked and clicked != st.query_params.get("region"):
        st.query_params["region"] = clicked
        st.rerun()
else:
    st.info(t("map.no_geometry", lg))
st.caption(t("map.click_hint", lg))
if public:
    access.privacy_note(lg)

# --- the selected region ----------------------------------------------------------------
region = st.query_params.get("region")
if region and level_of_code(region) == level and region in set(layer["code"]):
    row = layer.set_index("code").loc[region]
    st.subheader(f"{t('map.selected', lg)}: {escape_markdown(row['name'])}")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('common.zone', lg)}:** {escape_markdown(row['zone_label'])}")
        history = service.zone_history(store, scheme, level, region)
        st.caption(t("map.zone_history", lg))
        st.altair_chart(charts.zone_strip(history, scheme, lg), width="stretch")
        st.caption(t("map.trend", lg))
        if public:  # weekly, small counts as ranges
            series = charts.trend_series(store, level, [region], day=day, public=True)
            for chart in charts.weekly_charts(series, "new_cases", lg, False, day).values():
                st.altair_chart(chart, width="stretch")
        else:
            st.altair_chart(
                charts.daily_cases(service.case_series(store, level, region), lg),
                width="stretch",
            )
    with right:
        st.markdown(f"**{t('map.measures', lg)}**")
        measures = scheme.zones[row["zone_index"]].measures[lg] if row["zone_index"] >= 0 else ()
        st.markdown(
            "\n".join(f"- {escape_markdown(m)}" for m in measures)
            if measures
            else t("map.no_measures", lg)
        )
        below = child_level(level)
        if (
            below
            and below in store.levels()
            and st.button(
                t(
                    "map.drill_down",
                    lg,
                    level=common.level_label(below, lg),
                    name=escape_markdown(row["name"]),
                )
            )
        ):
            st.query_params.update(level=below, within=region)
            del st.query_params["region"]
            st.rerun()

# --- table and downloads: built only when asked for -------------------------------------
table = export.zones_table(presentation.with_labels(shown, scheme, lg), scheme, day)
if st.toggle(t("map.show_table", lg), key="zone_table"):
    st.dataframe(export.for_people(table, scheme, lg), hide_index=True, width="stretch")
a, b, c = st.columns(3)
a.download_button(
    t("map.download_csv", lg), lambda: export.to_csv_bytes(export.for_people(table, scheme, lg)),
    export.file_name(scheme, level, day, lg, "csv"), "text/csv", on_click="ignore",
)  # fmt: skip
b.download_button(
    t("map.download_geojson", lg),
    lambda: export.to_geojson_bytes(table, presentation.geometry_of(store, level, table["code"])),
    export.file_name(scheme, level, day, lg, "geojson"), "application/geo+json",
    on_click="ignore",
)  # fmt: skip
c.download_button(
    t("map.download_html", lg),
    lambda: presentation.standalone_map_html(store, scheme, level, day, lg, within=within),
    export.file_name(scheme, level, day, lg, "html"), "text/html", on_click="ignore",
)  # fmt: skip
