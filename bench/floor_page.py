"""The one page of ``bench/floor_app.py``: a line of text (``bench/map.py`` waits for it)."""

import streamlit as st

st.markdown("Streamlit's floor: this line is the whole page.")
