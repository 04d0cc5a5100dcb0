"""The dashboard's Streamlit helpers, shared by the pages in ``pages/``.

``pages/`` holds only the pages that ``dashboard.py`` declares with ``st.navigation``; what
they share lives here: the store, the language and the view in the URL (:mod:`ui.common`),
analysts and the public (:mod:`ui.access`), the server's guards (:mod:`ui.guard`), a zone's
measures on a page (:mod:`ui.measures`), the map component (:mod:`ui.zonemap`) and leaving
Streamlit's legacy multipage mode (:mod:`ui.legacy`). The data work is done by :mod:`zoning`,
which never imports Streamlit; nothing here runs SQL, parses files or computes epidemiology.
"""
