"""Tests for zoning.render.presentation: what a page shows, built from the store."""

from __future__ import annotations

import json
import re

from zoning.model.schemes import builtin_schemes
from zoning.render import presentation


def test_standalone_map_is_one_offline_file_with_every_region(tiny_store):
    scheme = builtin_schemes()["who-ct-2021"]
    html = presentation.standalone_map_html(
        tiny_store, scheme, "village", "2021-07-10", "en", public=False
    )
    text = html.decode("utf-8")
    assert "<script src=" not in text and '<link rel="stylesheet" href=' not in text
    assert not re.search(r"https?://(?!www\.w3\.org)", text.split("</head>")[1])
    for name in tiny_store.regions("village")["name"]:
        assert name in text
    assert json.dumps("Village · 2021-07-10")[1:-1] in text  # the title, as a JS string


def test_zones_within_keeps_only_the_region_s_children(tiny_store):
    from zoning.views import service

    scheme = builtin_schemes()["who-ct-2021"]
    zones = service.zones_on(tiny_store, scheme, "village", "2021-07-10")
    inside = presentation.zones_within(zones, "33.02")
    assert len(inside) and all(c.startswith("33.02.") for c in inside["code"])
    assert len(presentation.zones_within(zones, None)) == len(zones)
    geometry = presentation.geometry_of(tiny_store, "village", inside["code"])
    assert len(geometry) == len(inside) and geometry.notna().all()
