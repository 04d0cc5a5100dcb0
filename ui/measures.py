"""What a zone requires, placed on a page (the map's region panel and the policy page)."""

from __future__ import annotations

import streamlit as st

from ui import common
from zoning.core.i18n import pick, t
from zoning.core.text import escape_markdown
from zoning.model.schemes import NO_ZONE, Scheme
from zoning.render import presentation
from zoning.store import Store
from zoning.views import policy


def show_measures(scheme: Scheme, zone_index: int, lg: str, means_key: str) -> None:
    """The zone's measures with their source, or why there are none; then what the zone
    means (under the heading ``means_key``)."""
    measures, why = policy.zone_measures(scheme, zone_index, lg)
    if measures:
        st.markdown(presentation.html_list(measures), unsafe_allow_html=True)
        if "measures" in scheme.source:
            source = escape_markdown(scheme.source["measures"])  # text, never Markdown
            st.caption(f"{t('about.source_measures', lg)}: {source}")
    else:
        st.info(why)
    zone = scheme.zones[zone_index] if zone_index != NO_ZONE else None
    if zone is not None and zone.description:
        st.markdown(f"**{t(means_key, lg)}**")
        st.markdown(presentation.paragraph_html(pick(zone.description, lg)), unsafe_allow_html=True)


def level_note(store: Store, scheme: Scheme, level: str, lg: str) -> None:
    """Where the scheme cannot zone the level (PPKM Mikro at village level), say so and what
    it would take."""
    coverage = policy.level_coverage(store, scheme, level)
    fit = policy.level_fit(scheme, level, coverage, store.levels(), lg)
    if not fit or fit[0] != "no_data":
        return
    st.warning(fit[1])
    nearest = policy.nearest_scheme_level(scheme, level, store.levels())
    if nearest != level and st.button(
        t("levels.go", lg, level=common.level_label(nearest, lg)), key="level_go"
    ):
        common.keep_param("level", nearest)
        st.rerun()
