"""The dashboard as served: ``streamlit run app.py`` (or ``uvicorn app:app``).

The same pages as ``streamlit run dashboard.py``, with what :mod:`ui.serve` adds: the server
imports the pages' modules and loads the first map (kept in the store by the import) before
it answers its first request, sends Streamlit's own front end compressed, sends the
map's files (named by their content) for browsers to keep, tells a page's shell where
the server is (so it connects without first probing the page's address), and answers
without Nagle's delay (``TCP_NODELAY`` on every connection).
"""

import streamlit as st
from starlette.middleware import Middleware

from ui.serve import MAP_FILES, PAGE_SHELL, STATIC, lifespan, no_delay

no_delay()  # before the server accepts its first connection

app = st.App(
    "dashboard.py",
    lifespan=lifespan,
    middleware=[
        Middleware(STATIC.wrap),
        Middleware(MAP_FILES.wrap),
        Middleware(PAGE_SHELL.wrap),
    ],
)
