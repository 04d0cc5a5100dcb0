"""About and method: where the data come from, how zones are computed, and every scheme."""

from __future__ import annotations

import streamlit as st

from ui import common
from zoning.core.i18n import pick, t
from zoning.core.text import escape_markdown
from zoning.model.schemes import builtin_schemes
from zoning.render import presentation
from zoning.views import policy


def html(text: str) -> None:
    """Place HTML built (and escaped) by :mod:`zoning.views.policy`."""
    st.markdown(text, unsafe_allow_html=True)


lg = common.lang()
store = common.store()

st.title(t("about.title", lg))
st.markdown(t("about.intro", lg))

# --- where the data come from ------------------------------------------------------------
st.header(t("about.data", lg))
common.data_note(store, lg)
html(presentation.html_list(policy.data_sources(store, lg)))

# --- the method --------------------------------------------------------------------------
st.header(t("about.method", lg))
html(presentation.html_list(policy.method_points(lg, store)))

# --- small areas, zone changes, hot spots and Rt ------------------------------------------
st.header(t("about.analyses", lg))
html(presentation.html_list(policy.analysis_points(lg)))

# --- the schemes -------------------------------------------------------------------------
st.header(t("about.schemes", lg))
st.caption(t("about.schemes_intro", lg))
wanted = st.query_params.get("scheme")
for scheme in builtin_schemes().values():
    with st.expander(escape_markdown(pick(scheme.name, lg)), expanded=scheme.id == wanted):
        if scheme.description:
            html(presentation.paragraph_html(pick(scheme.description, lg)))
        st.markdown(f"**{t('about.source', lg)}**")
        html(presentation.labelled_list_html(policy.source_lines(scheme, lg)))
        html(presentation.labelled_list_html(policy.scheme_facts(scheme, lg)))
        st.markdown(f"**{t('about.zones', lg)}**")
        if not policy.has_measures(scheme):
            st.caption(t("policy.no_measures", lg))
        for zone in scheme.zones:
            html(presentation.zone_card_html(zone, lg, say_if_none=policy.has_measures(scheme)))
        st.markdown(f"**{t('about.rules', lg)}**")
        html(presentation.html_list(policy.describe_rules(scheme, lg)))
        st.caption(policy.rules_footnote(scheme, lg))
        if scheme.notes:
            st.markdown(f"**{t('about.notes', lg)}**")
            html(presentation.paragraph_html(pick(scheme.notes, lg)))
