"""Zone map: the chosen level, scheme and date on a choropleth, with a region's panel."""

from __future__ import annotations

import contextlib

import streamlit as st

from ui import access, common, places
from ui.measures import level_note
from ui.region import region_panel
from ui.zonemap import PRINT_CSS, new_shapes, zone_map
from zoning.core.errors import InputError
from zoning.core.i18n import format_number, pick, t, tn
from zoning.core.text import escape_markdown, quote
from zoning.model.regions import level_of_code, view_one_level_up
from zoning.render import export, firstview, mapdata, presentation
from zoning.views import analysis, briefing, policy, published

lg = common.lang()
store = common.store()
scheme = common.pick_scheme(lg)
level = common.pick_level(store, scheme, lg)
day = common.pick_date(store, level, lg)
smooth = common.pick_smoothing(lg)  # zones from the rates as reported, or smoothed
show_hot_spots = common.pick_hotspots(lg)
within, refused = mapdata.checked_within(store, level, st.query_params.get("within"))

st.sidebar.markdown(PRINT_CSS, unsafe_allow_html=True)  # A4 landscape: map and lists only
st.title(t("map.title", lg))
common.data_note(store, lg)
with st.container():  # its results come and go; the map keeps its place in the page's tree
    places.search_box(store, lg)
if refused:  # not a region above this level: the whole level, and a note saying why
    st.info(t("map.within_unknown", lg, value=escape_markdown(quote(st.query_params["within"]))))
level_note(store, scheme, level, lg)  # e.g. PPKM Mikro at village level

public = access.public_view(level)  # villages, RW, RT for the public: small counts as ranges
seen = presentation.shown_layer(  # the zone each region shows, and what it rests on
    store, scheme, level, day, lg, public=public, within=within, smooth=smooth
)
layer = seen.layer
if seen.smoothing == "no_rate":
    st.sidebar.caption(t("map.smooth_no_rate", lg))
elif seen.smoothing == "withheld":
    st.sidebar.caption(t("map.smooth_analysts_only", lg, level=common.level_label(level, lg)))
smoothed = seen.smoothing == "shown"
if within:
    up, up_within, up_region = view_one_level_up(level, within)
    if layer.empty:
        st.info(t("map.within_empty", lg, level=common.level_label(level, lg)))
    label = t("map.back_up_to", lg, level=common.level_label(up, lg))
    if st.button(label, icon=":material/arrow_upward:", key="map_up"):
        common.keep_param("level", up)
        for name, value in (("within", up_within), ("region", up_region)):
            if value:
                st.query_params[name] = value
            else:
                st.query_params.pop(name, None)
        st.rerun()

# --- zones at a glance ------------------------------------------------------------------
totals = seen.totals  # zones in the scheme's order, then "no data"
cards = []
for (label, colour), row in zip(presentation.legend(scheme, lg), totals.itertuples(), strict=True):
    if row.zone == "no_zone" and not row.regions:
        continue  # 'no data' only when some region has none
    text = tn(
        "map.regions_in_zone", lg, len(layer), n=format_number(row.regions, lg),
        total=format_number(len(layer), lg), people=format_number(row.population, lg),
    )  # fmt: skip
    cards.append((label, colour, text))
# in a block of their own, as the columns they replace were: the map below keeps its place in
# the page's tree from one view to the next (a bare element here remounted the map's frame)
st.container().markdown(presentation.zone_cards_html(cards), unsafe_allow_html=True)

# --- the map, and beside it the regions in the worst zone --------------------------------
map_side, list_side = st.columns([3, 1.25], gap="medium")
# the map first: its frame starts loading while the lists beside it are sent
map_side = map_side.container()
# the maps, then the mode (below them: on a phone the map comes first), then the hints
maps_box, controls, hints = map_side.container(), map_side.container(), map_side.container()
mode = common.pick_map_mode(lg, controls)  # one date, two dates side by side, or played
other = common.pick_compare_date(store, level, day, lg, controls) if mode == "compare" else None
map_side = maps_box
geometry = mapdata.level_geometry(store, level, within)
if geometry.drawn:

    def view_on(when):
        return mapdata.view_of(
            store, scheme, level, when, lg, public=public, within=within,
            level_label=common.level_label(level, lg),
            smooth=smooth if smoothed else None, hotspots=show_hot_spots,
        )  # fmt: skip

    view = view_on(day)
    if mode == "play":  # the weeks up to the day, played on the map itself
        view = {**view, "frames": mapdata.zone_frames(store, scheme, level, day, geometry)}
        map_side.caption(t("map.play_hint", lg))
    shown_maps = [(day, view, "zone-map")]
    if other is not None:
        shown_maps.insert(0, (other, view_on(other), "zone-map-before"))
        map_side.caption(
            t("map.compare_caption", lg, before=f"{other.date()}", after=f"{day.date()}")
        )
    if smoothed:
        metric = t(f"metrics.{analysis.smoothed_metric(scheme)}", lg)
        how = t(f"map.smooth_{smooth}_short", lg)
        map_side.caption(t("map.smooth_caption", lg, how=how, metric=metric))
    # smoothed zones and hot spots are a view of their own (the plain one keeps its name)
    marked = (f"|{smooth}" if smoothed else "") + ("|hot" if show_hot_spots else "")
    places_for_maps = map_side.columns(len(shown_maps)) if other is not None else [map_side]
    clicked = None
    for where, (when, shown_view, key) in zip(places_for_maps, shown_maps, strict=True):
        with where:
            picked = zone_map(
                geometry, shown_view, lang=lg,
                token=f"{scheme.id}|{when.date()}|{lg}|{mode}{marked}",
                key=key, selected=st.query_params.get("region"),
                source=policy.boundary_source(store), height=560 if other is None else 460,
                file_name=export.file_name(scheme, level, when, lg, "png"),
                caption=f"{pick(scheme.name, lg)} · {when.date()}",
            )  # fmt: skip
        clicked = clicked or picked
    if clicked and clicked != st.query_params.get("region"):
        st.query_params["region"] = clicked
        st.rerun()
    firstview.prefetch(  # the date steps' days, once the browser is done with this view
        store, scheme, level, day, lg, public=public,
        new_shapes=any(new_shapes(key) for _, _, key in shown_maps),
    )  # fmt: skip
else:
    map_side.info(t("map.no_geometry", lg))

# --- beside the map: the worst zone, the week's changes, hot spots ----------------------
with list_side:
    worst, worst_rows = briefing.worst_zone(
        store, scheme, level, day, public=public, lang=lg, within=within
    )
    since, changed = briefing.week_changes(store, scheme, level, day, within=within)
    worse = changed[changed["after"] > changed["before"]]
    better = changed[changed["after"] < changed["before"]]
    if since is None:
        st.caption(t("map.changes_no_week", lg))
    else:
        st.markdown(
            "**" + escape_markdown(t("map.changes_title", lg, day=f"{since.date()}",
                                     worse=len(worse), better=len(better))) + "**"
        )  # fmt: skip
    hot = None
    if show_hot_spots:
        with contextlib.suppress(InputError):  # no rate, or regions without a boundary
            hot = published.public_hot_spots(store, level, day, public=public)
            hot = presentation.zones_within(hot, within)
            hot = hot[hot["hotspot"]]
    lists = {
        "worst": t("map.tab_worst", lg, n=format_number(len(worst_rows), lg)),
        "worse": t("map.tab_worse", lg, n=format_number(len(worse), lg)),
        "better": t("map.tab_better", lg, n=format_number(len(better), lg)),
        **({"hotspots": t("map.tab_hotspots", lg, n=format_number(len(hot), lg))}
           if hot is not None else {}),
    }  # fmt: skip
    if st.session_state.get("map_list") not in lists:  # first view, or hot spots turned off
        st.session_state["map_list"] = "worst"
    # one list at a time, the others not built or sent: a view (and each date step) costs
    # the browser a third of the elements three tabs did
    shown_list = st.segmented_control(
        t("map.lists_label", lg), list(lists), format_func=lists.get, key="map_list",
        required=True, label_visibility="collapsed", wrap=True,  # all in sight on a phone
    )  # fmt: skip
    if show_hot_spots and hot is None:
        st.caption(t("map.hotspots_unavailable", lg))
    with st.container(height=470, border=False):
        if shown_list == "worse":
            places.changed_list(store, scheme, worse, lg)
        elif shown_list == "better":
            places.changed_list(store, scheme, better, lg)
        elif shown_list == "hotspots" and hot is not None:
            places.hot_spot_list(store, hot, lg)
        else:
            places.worst_zone_list(store, scheme, worst, worst_rows, lg)
bare = mapdata.without_boundary(store, level, within)
if bare:  # regions without a boundary (RTs named by a line list): listed, not drawn
    listed = layer[layer["code"].isin(bare)]  # names and zones only: public either way
    label = tn("map.without_boundary", lg, len(listed), n=format_number(len(listed), lg),
               level=common.level_label(level, lg))  # fmt: skip
    with hints.expander(label):
        st.dataframe(
            listed[["name", "zone_label"]].rename(
                columns={"name": t("common.region", lg), "zone_label": t("common.zone", lg)}
            ), hide_index=True, width="stretch",
        )  # fmt: skip
hints.caption(t("map.click_hint", lg) + " " + t("map.keys_hint", lg))
if public:
    with hints:
        access.privacy_note(lg)

# --- the selected region ----------------------------------------------------------------
region = st.query_params.get("region")
if region and level_of_code(region) == level and region in set(layer["code"]):
    region_panel(store, scheme, level, layer, region, day, lg, public=public)


# --- table and downloads: built only when asked for -------------------------------------
def table():  # not on every run: a date change needs none of it (~50 ms at 8,563 villages)
    shown = presentation.shown_zones(store, scheme, level, day, lg, public=public)
    shown = presentation.zones_within(shown, within)
    return export.zones_table(presentation.with_labels(shown, scheme, lg), scheme, day)


if st.toggle(t("map.show_table", lg), key="zone_table"):
    st.dataframe(export.for_people(table(), scheme, lg), hide_index=True, width="stretch")
a, b, c = st.columns(3)
a.download_button(
    t("map.download_csv", lg), lambda: export.to_csv_bytes(export.for_people(table(), scheme, lg)),
    export.file_name(scheme, level, day, lg, "csv"), "text/csv", on_click="ignore",
)  # fmt: skip
b.download_button(
    t("map.download_geojson", lg),
    lambda: export.to_geojson_bytes(
        rows := table(), presentation.geometry_of(store, level, rows["code"])
    ),
    export.file_name(scheme, level, day, lg, "geojson"), "application/geo+json",
    on_click="ignore",
)  # fmt: skip
c.download_button(
    t("map.download_html", lg),
    lambda: presentation.standalone_map_html(
        store, scheme, level, day, lg, within=within, public=public
    ),
    export.file_name(scheme, level, day, lg, "html"), "text/html", on_click="ignore",
)  # fmt: skip
with st.expander(t("embed.snippet", lg), icon=":material/code:"):
    # a text box, not st.code: a code block would make every first map load Streamlit's
    # syntax highlighter (1.5 MB more front end, measured by bench/map.py)
    st.text_area(
        t("embed.snippet_help", lg),
        presentation.embed_snippet(
            common.site_address(), level=level, scheme=scheme.id, lang=lg, within=within,
            title=t("map.title", lg),
        ),
        height=90, key="embed_snippet",
    )  # fmt: skip
