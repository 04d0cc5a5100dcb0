"""Links to regions on the map: the search box, and the regions in the worst zone.

Each result is a link to the map page (``st.page_link``) whose query names the view that
shows the region among its neighbours, selected (:func:`zoning.model.regions.region_view`),
keeping the language, scheme and date of the current view.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import common
from ui.measures import show_measures
from zoning.core.i18n import format_number, pick, t, tn
from zoning.core.text import escape_markdown
from zoning.model.codes import parent_code
from zoning.model.regions import region_view, search_regions
from zoning.model.schemes import Scheme
from zoning.render import presentation
from zoning.store import Store
from zoning.views import service

MAP_PAGE = "pages/map.py"
#: Search results shown at most.
SEARCH_ROWS = 8
#: Regions of the worst zone listed beside the map at most (the rest are in the table).
WORST_ROWS = 10


def region_link(code: str, label: str) -> None:
    """A link to the map showing region ``code`` (``label``: plain text)."""
    query = {k: v for k, v in common.view_query("map").items() if k != "level"}
    query.update(region_view(code))
    st.page_link(MAP_PAGE, label=escape_markdown(label), query_params=query)


def listed_name(store: Store, code: str, name: str) -> str:
    """A region's name as lists give it: below the regencies with its parent's name after it
    (villages and RWs share names)."""
    up = parent_code(code)
    if not up or "." not in up:
        return name
    return f"{name} · {service.region_names(store).get(up, up)}"


def search_box(store: Store, lg: str) -> None:
    """A box that finds any region by name or code; each result a link to it on the map."""
    query = st.text_input(
        t("map.search", lg), key="region_search", placeholder=t("map.search_placeholder", lg),
        icon=":material/search:", label_visibility="collapsed",
    )  # fmt: skip
    if not query.strip():
        return
    found = search_regions(service.regions(store), query, SEARCH_ROWS)
    total = found.attrs["total"]
    if not total:
        st.caption(t("map.search_none", lg, query=escape_markdown(query.strip()[:60])))
        return
    for row in found.itertuples(index=False):
        label = " · ".join([row.name, common.level_label(row.level, lg), ", ".join(row.parents)])
        region_link(row.code, label.removesuffix(" · "))
    if total > len(found):
        st.caption(tn("map.search_more", lg, total, n=format_number(total, lg), shown=len(found)))


def _said(value: object, decimals: int, lg: str) -> str:
    """A figure of :func:`zoning.render.presentation.tooltip_rows` in words."""
    if value is None:
        return "–"
    return value if isinstance(value, str) else format_number(float(value), lg, decimals)


def changed_list(store: Store, scheme: Scheme, rows: pd.DataFrame, lg: str) -> None:
    """Regions whose zone changed (``rows``: :func:`zoning.views.briefing.week_changes`), each a
    link with its zones before and after in words (never by colour alone)."""
    if rows.empty:
        st.caption(t("map.changes_none", lg))
        return
    for i, row in enumerate(rows.head(WORST_ROWS).itertuples(index=False)):
        region_link(row.code, f"{i + 1}. {listed_name(store, row.code, row.name)}")
        before, after = (pick(scheme.zones[z].label, lg) for z in (row.before, row.after))
        st.caption(escape_markdown(t("map.change_line", lg, before=before, after=after)))
    if len(rows) > WORST_ROWS:
        more = len(rows) - WORST_ROWS
        st.caption(tn("map.worst_more", lg, more, n=format_number(more, lg)))


def worst_zone_list(
    store: Store, scheme: Scheme, zone: int | None, rows: pd.DataFrame, lg: str
) -> None:
    """The regions of the worst zone (``rows``, in order, figures as the viewer sees them),
    each a link with its figures (and, below the regencies, its parent's name: villages and
    RWs share names); then what the zone requires."""
    if zone is None:
        st.caption(t("map.worst_none", lg))
        return
    title = t("map.worst_title", lg, zone=pick(scheme.zones[zone].label, lg))
    st.markdown(f"**{escape_markdown(title)}**")
    people = format_number(float(rows["population"].fillna(0).sum()), lg)
    st.caption(tn("map.worst_count", lg, len(rows), n=format_number(len(rows), lg), people=people))
    listed = rows.head(WORST_ROWS).reset_index(drop=True)
    # the scheme's figures, as the map's tooltip gives them (the one tooltip builder)
    figures = [
        f for f in presentation.tooltip_rows(listed, scheme, lg, masks=listed)
        if f.column in scheme.metrics
    ]  # fmt: skip
    for i, row in enumerate(listed.itertuples(index=False)):
        region_link(row.code, f"{i + 1}. {listed_name(store, row.code, row.name)}")
        said = [f"{f.label}: {_said(f.values[i], f.decimals, lg)}" for f in figures]
        st.caption(escape_markdown(" · ".join(said)))
    if len(rows) > WORST_ROWS:
        more = len(rows) - WORST_ROWS
        st.caption(tn("map.worst_more", lg, more, n=format_number(more, lg)))
    with st.expander(t("map.worst_measures", lg)):
        show_measures(scheme, zone, lg, "map.zone_means")


def hot_spot_list(store: Store, rows: pd.DataFrame, lg: str) -> None:
    """Hot spots (``rows``: :func:`zoning.views.published.public_hot_spots`, flagged ones),
    strongest first where the viewer may see z; each a link to the region on the map."""
    if rows.empty:
        st.caption(t("map.hotspots_none", lg))
        return
    if "z" in rows:
        rows = rows.sort_values("z", ascending=False, kind="stable")
    for i, row in enumerate(rows.head(WORST_ROWS).itertuples(index=False)):
        region_link(row.code, f"{i + 1}. {listed_name(store, row.code, row.name)}")
        if "z" in rows:
            z, p = format_number(row.z, lg, 1), format_number(row.p_fdr, lg, 3)
            st.caption(escape_markdown(t("map.hotspot_line", lg, z=z, p=p)))
    if len(rows) > WORST_ROWS:
        more = len(rows) - WORST_ROWS
        st.caption(tn("map.worst_more", lg, more, n=format_number(more, lg)))
