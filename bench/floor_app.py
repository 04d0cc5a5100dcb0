"""Streamlit's floor: a page of one line of text, served as ``app.py`` serves the dashboard.

``bench/map.py`` measures how long it takes to show (``floor``, with ``--apps``): what any
Streamlit page costs this machine's browser and server before it shows anything of its own
(Streamlit's front end fetched, compiled and run, its WebSocket opened, one script run, one
element rendered). The dashboard's first map cannot be faster than that.

The server gets what ``app.py`` adds that a page of text can use: Streamlit's front end
compressed, the page's shell told where the server is, and no Nagle delay.
"""

import streamlit as st
from starlette.middleware import Middleware

from ui.serve import PAGE_SHELL, STATIC, no_delay

no_delay()

app = st.App(
    "floor_page.py",  # beside this file
    middleware=[Middleware(STATIC.wrap), Middleware(PAGE_SHELL.wrap)],
)
