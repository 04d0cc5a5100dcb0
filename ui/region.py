"""A region's panel under the map: its zone and how it was decided, its zone history,
measures, officials' notes, the way down a level, and its trend (last: the slowest part)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import common
from ui.measures import show_measures
from ui.zonemap import scroll_into_view
from zoning.core.i18n import t, tn
from zoning.core.text import escape_markdown
from zoning.model.regions import child_level
from zoning.model.schemes import Scheme
from zoning.render import charts, presentation
from zoning.store import Store
from zoning.views import decisions, policy, service

SELECTED_ANCHOR = "selected-region"
NOTES_SHOWN = 2


def region_panel(
    store: Store, scheme: Scheme, level: str, layer: pd.DataFrame, region: str,
    day: pd.Timestamp, lg: str, *, public: bool,
) -> None:  # fmt: skip
    """The panel of ``region`` (a row of ``layer``, the map's zones with their labels)."""
    row = layer.set_index("code").loc[region]
    st.subheader(f"{t('map.selected', lg)}: {escape_markdown(row['name'])}", anchor=SELECTED_ANCHOR)
    scroll_into_view(SELECTED_ANCHOR, token=region)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('common.zone', lg)}:** {escape_markdown(row['zone_label'])}")
        for line in decisions.state_lines(
            scheme, lg, decision=row["decision"], decided_by=row["decided_by"],
            decided_on=row["decided_on"], computed_index=int(row["computed_zone_index"]),
        ):  # fmt: skip
            st.markdown(f"*{escape_markdown(line)}*")  # the name is user input: text
        said = presentation.provisional_texts(store, level, day, layer[layer["code"] == region],
                                              lg, public=public)[0]  # fmt: skip
        if said is not None:  # the zone rests on figures still filling in (and its nowcast)
            st.caption(f"{t('map.provisional_label', lg)}: {escape_markdown(said)}")
        shown = decisions.zone_history(store, scheme, level, region, public=public)
        history = charts.around_day(shown, day)  # decisions applied, the computed zone beside
        st.caption(t("map.zone_history", lg))
        st.altair_chart(charts.zone_strip(history, scheme, lg, day), width="stretch")
        trend_box = st.container()  # filled last: the measures first, the slower trend after
    with right:
        st.markdown(f"**{t('map.measures', lg)}**")
        show_measures(scheme, int(row["zone_index"]), lg, "map.zone_means")
        st.markdown(f"**{t('policy.notes', lg)}**")  # officials' notes: plain text only
        threads = policy.note_threads(store, region)
        for thread in threads[:NOTES_SHOWN]:
            st.markdown(presentation.note_heading_html(thread.current), unsafe_allow_html=True)
            st.text(thread.current.text)
        if len(threads) > NOTES_SHOWN:
            more = len(threads) - NOTES_SHOWN
            st.caption(tn("map.notes_more", lg, more, n=more))
        elif not threads:
            st.caption(t("policy.no_notes", lg))
        below = child_level(level)
        inside = service.regions(store, below) if below in store.levels() else None
        n = 0 if inside is None else int((inside["parent"] == region).sum())
        below_label = common.level_label(below, lg) if below else ""
        if n and st.button(tn("map.drill_down", lg, n, n=n, level=below_label), key="map_down"):
            common.keep_param("level", below)
            st.query_params.update(within=region)
            del st.query_params["region"]
            st.rerun()
        elif below and not n and inside is not None:
            st.caption(t("map.no_children", lg, level=below_label))
    with trend_box:
        series = charts.trend_series(store, level, [region], public=public)
        drawn = charts.region_charts(series, lg, scheme, day, public)
        for caption, chart in drawn:
            st.caption(caption)
            st.altair_chart(chart, width="stretch")
        if not drawn:
            st.caption(t("map.no_trend", lg))
