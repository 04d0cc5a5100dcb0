"""Epidemiological micro-zonation: classify regions from case counts under published schemes.

The library is plain Python (no Streamlit). The dashboard in ``dashboard.py`` and ``pages/``
and the command line ``python -m zoning`` are built on it.
"""

__version__ = "0.1.0"
