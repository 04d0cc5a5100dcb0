"""Micro-zonation dashboard: which areas are red, and what each area must do.

Run with ``streamlit run dashboard.py``. The pages live in ``pages/``, the Streamlit helpers
they share in ``ui/``; all data work is done by the :mod:`zoning` library. Every page has its
own path (``/map``, ``/trends`` ...) and keeps its view in the query, so a link reproduces
what its sender saw.
"""

from __future__ import annotations

import time

import streamlit as st

from ui import access, common, guard, zonemap  # noqa: F401 (imported whole before any page runs)
from zoning.core.i18n import t
from zoning.core.timing import timing_log

PAGES = (
    ("pages/map.py", "map", "nav_map", ":material/map:"),
    ("pages/trends.py", "trends", "nav_trends", ":material/show_chart:"),
    ("pages/policy.py", "policy", "nav_policy", ":material/policy:"),
    ("pages/briefing.py", "briefing", "nav_briefing", ":material/present_to_all:"),
    ("pages/alerts.py", "alerts", "nav_alerts", ":material/notifications:"),
    ("pages/upload.py", "upload", "nav_upload", ":material/upload_file:"),
    ("pages/about.py", "about", "nav_about", ":material/info:"),
    ("pages/embed.py", "embed", "nav_embed", ":material/code:"),
)
#: Pages with an address but no place in the sidebar: the map for other sites' <iframe>s.
HIDDEN = frozenset({"embed"})


#: Streamlit's captions are its body text at 60 % (3.7:1 on white, below WCAG AA's 4.5:1):
#: here at 82 %, in the light theme and the dark alike (6.7:1 and 11:1).
CONTRAST_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  color: inherit !important; opacity: .82;
}
</style>"""


def _home() -> None:
    """The bare address opens the map at ``/map``, keeping the query."""
    st.switch_page(PAGES[0][0], query_params=st.query_params.to_dict())


def run() -> None:
    """Set up the page and run the page the URL asks for."""
    guard.install()  # once per process: client addresses and uploads (ui/guard.py)
    lg = common.lang()
    st.set_page_config(page_title=t("common.app_title", lg), page_icon="🗺️", layout="wide")
    pages = [
        # Streamlit serves the default page at "/" only; a hidden default keeps /map a path.
        st.Page(_home, title="home", url_path="home", default=True, visibility="hidden"),
        *(
            st.Page(
                path, title=t(f"common.{key}", lg), icon=icon, url_path=url,
                visibility="hidden" if url in HIDDEN else "visible",
            )
            for path, url, key, icon in PAGES
        ),
    ]  # fmt: skip
    st.sidebar.markdown(CONTRAST_CSS, unsafe_allow_html=True)  # not a gap above the page
    page = st.navigation(pages, position="hidden")
    linked = [p for p in pages[1:] if p.url_path not in HIDDEN]
    nav = st.sidebar.empty()
    common.page_links(linked, nav.container())  # at once, with the view known so far
    st.sidebar.divider()
    common.language_switch()
    access.analyst_badge(lg)
    start = time.perf_counter()
    try:
        page.run()
        common.page_links(linked, nav.container())  # again, with the view the page settled
    finally:
        ms = (time.perf_counter() - start) * 1000
        timing_log().info("rerun page=%s ms=%.1f", page.url_path or "home", ms)


run()
