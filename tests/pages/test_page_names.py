"""Region names from the data reach the pages as text, never as Markdown (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_page, tiny_counts, tiny_regions, write_store

from zoning.core.text import escape_markdown
from zoning.store import Store

NAME = "![px](http://host/track.png) [link](http://x) **bold** <img src=x>"


@pytest.fixture
def store(tmp_path: Path, serve_store) -> Store:
    """The tiny store with Kabupaten Satu renamed to a name written in Markdown."""
    regions = tiny_regions()
    regions.loc[regions["code"] == "33.01", "name"] = NAME
    return serve_store(write_store(tmp_path / "names.db", regions, tiny_counts()))


def test_the_selected_region_heading_of_the_map_is_text(store):
    at = open_page("map", lang="en", level="regency", date="2021-07-10", region="33.01")
    assert at.subheader[0].value == f"Selected region: {escape_markdown(NAME)}"
    drill = [b.label for b in at.button if "Zoom in" in b.label]
    assert drill == ["Zoom in: its 1 region at District level"]  # one region, not "1 regions"


def test_the_region_heading_of_the_policy_page_is_text(store):
    at = open_page("policy", lang="id", level="regency", region="33.01")
    assert at.header[0].value == escape_markdown(NAME)
