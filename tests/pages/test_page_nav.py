"""The navigation keeps the language and the view (AppTest; the browser test clicks through)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from conftest import open_page

from zoning.store import Store


@pytest.fixture
def store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


def links(at) -> dict[str, dict[str, str]]:
    """The query of every page link, by the page's path."""
    out = {}
    for link in at.get("page_link"):
        page = link.proto.page.strip("/").split("/")[-1] or link.proto.page
        query = parse_qs(link.proto.query_string)
        out[page] = {k: v[0] for k, v in query.items()}
    return out


def test_sidebar_links_carry_the_language_and_the_view(store):
    at = open_page("map", lang="en", scheme="harvard-ghi-2020", level="village", date="2021-07-12")
    found = links(at)
    view = {"lang": "en", "scheme": "harvard-ghi-2020", "level": "village", "date": "2021-07-12"}
    for page in ("map", "trends", "policy", "briefing"):
        assert found[page] == view, page
    assert found["upload"] == {"lang": "en"}
    assert found["about"] == {"lang": "en", "scheme": "harvard-ghi-2020"}


def test_the_language_of_the_url_is_kept_for_the_session(store):
    at = open_page("about", lang="en")
    at.query_params.clear()  # a page link of Streamlit's own drops the query
    at.switch_page("pages/trends.py").run()
    assert at.title[0].value == "Trends by region"


def test_the_briefing_keeps_the_view_and_links_back_to_the_map(store):
    at = open_page("briefing", lang="en", scheme="harvard-ghi-2020", level="village",
                   date="2021-07-12")  # fmt: skip
    back = [link for link in at.get("page_link") if "map" in link.proto.page]
    assert len(back) == 2  # the sidebar's (hidden on the briefing) and the way back
    for link in back:
        assert parse_qs(link.proto.query_string) == {
            "lang": ["en"], "scheme": ["harvard-ghi-2020"], "level": ["village"],
            "date": ["2021-07-12"],
        }  # fmt: skip
