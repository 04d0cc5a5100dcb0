"""Leaving Streamlit's legacy ``pages/``-folder mode (``ui/legacy.py``).

AppTest starts every run the way a new server does, in legacy mode; the page tests elsewhere
skip that (``serve_store``), these do not. Many sessions at once on a new server:
``test_browser.test_many_first_sessions_on_a_new_server_all_get_the_app``.
"""

from __future__ import annotations

import pytest
import streamlit as st
from conftest import ROOT

from zoning.core.i18n import t
from zoning.store import Store


@pytest.fixture
def first_run_store(tiny_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("ZONING_DB", tiny_store.url.removeprefix("sqlite:///"))
    st.cache_resource.clear()
    yield tiny_store
    st.cache_resource.clear()


@pytest.mark.parametrize("page", ["map", "briefing", "trends"])
def test_a_deep_link_on_a_new_server_runs_through_the_dashboard(first_run_store, page):
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update(lang="en", level="regency")
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert PagesManager.uses_pages_directory is False  # left for the whole server
    # the dashboard's own sidebar (language switch) is there: the page did not run alone
    assert at.sidebar.radio[0].label == t("common.language", "en")
    assert any("Data as of" in m.value for m in [*at.markdown, *at.caption])
