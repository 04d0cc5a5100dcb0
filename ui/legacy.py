"""Streamlit's legacy multipage mode, which the app leaves on a new server's first runs."""

from __future__ import annotations

import sys

import streamlit as st


def _started_by_legacy_mode() -> bool:
    """Whether this script run was started by Streamlit's legacy ``pages/``-folder mode."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "_mpa_v1":
            return True
        frame = frame.f_back
    return False


def leave_legacy_multipage_mode() -> None:
    """Hand a run that Streamlit started in legacy multipage mode to ``dashboard.py``.

    Streamlit treats an app whose script has a ``pages/`` folder beside it as a legacy
    multipage app until ``st.navigation`` has run once in the process. A session that starts
    then gets a sidebar of files, and a deep link such as ``/map`` runs ``pages/map.py``
    alone. The flag is process-wide: the first page to see it clears it, and every run that
    legacy mode started (those that began before the flag was cleared included) reruns
    through ``dashboard.py``. This runs when a page starts, never while a module is being
    imported, so sessions importing the pages at the same moment are not disturbed.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or _started_by_legacy_mode():
        PagesManager.uses_pages_directory = False
        st.rerun()
