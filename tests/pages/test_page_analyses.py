"""Issue 17 on the pages, in Streamlit's AppTest: the map's smoothing choice and hot spots,
Rt and smoothed rates on the trends page, and how each is computed on the About page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import open_page
from test_page_trends import make_store

from zoning.core.i18n import t
from zoning.store import Store


@pytest.fixture
def store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


@pytest.fixture
def regencies(tmp_path, serve_store) -> Store:
    """Four regencies of 100,000 people with 30, 20, 10 and 5 cases a day for 60 days."""
    return serve_store(make_store(tmp_path / "r.db"))


def map_view(at) -> dict:
    (element,) = [e for e in at.get("component_instance") if "zonemap" in e.proto.component_name]
    return json.loads(element.proto.json_args)["view"]


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


@pytest.mark.parametrize(
    ("lang", "said"), [("id", "Zona dari angka terhaluskan"), ("en", "Zones from smoothed rates")]
)
def test_the_map_shows_zones_of_smoothed_rates_and_says_so(store, lang, said):
    at = open_page("map", lang=lang, level="regency", scheme="who-ct-2021", date="2021-07-10")
    assert at.radio(key="map_smooth").value == "raw"
    assert "uncertain" not in map_view(at)["marks"]
    at.radio(key="map_smooth").set_value("eb").run()
    assert not at.exception, at.exception
    assert at.query_params["smooth"] == "eb"
    view = map_view(at)
    assert len(view["marks"]["uncertain"]) == len(view["zones"])
    assert said in captions(at)
    legend = "Zona tidak pasti" if lang == "id" else "Zone uncertain"
    assert view["mark_labels"]["uncertain"].startswith(legend)


def test_the_public_is_told_why_a_village_map_is_not_smoothed(store):
    at = open_page("map", lang="en", level="village", scheme="who-ct-2021", date="2021-07-10",
                   smooth="eb")  # fmt: skip
    assert "for analysts only" in "\n".join(c.value for c in at.sidebar.caption)
    assert "uncertain" not in map_view(at)["marks"]


@pytest.mark.parametrize(("lang", "tab"), [("id", "Titik panas"), ("en", "Hot spots")])
def test_hot_spots_on_the_map_and_in_a_list(store, lang, tab):
    at = open_page("map", lang=lang, level="village", scheme="who-ct-2021", date="2021-07-10")

    def offered() -> list[str]:  # the lists beside the map that may be shown
        return [o for o in at.segmented_control(key="map_list").options if o.startswith(tab)]

    assert not offered()
    at.toggle(key="map_hotspots").set_value(True).run()
    assert not at.exception, at.exception
    assert at.query_params["hotspots"] == "1"
    assert offered()
    view = map_view(at)
    assert len(view["marks"]["hotspot"]) == len(view["zones"])
    none = "Tidak ada titik panas" if lang == "id" else "No hot spot"
    flagged = sum(view["marks"]["hotspot"])
    assert none not in captions(at)  # the worst zone is listed first
    at.segmented_control(key="map_list").set_value("hotspots").run()
    assert (none in captions(at)) == (flagged == 0)
    at.toggle(key="map_hotspots").set_value(False).run()  # their list goes with them
    assert not at.exception, at.exception
    assert not offered() and at.segmented_control(key="map_list").value == "worst"


@pytest.mark.parametrize(("lang", "title"), [("id", "Angka reproduksi"), ("en", "reproduction")])
def test_trends_show_rt_with_its_interval_and_smoothed_rates(regencies, lang, title):
    at = open_page("trends", lang=lang, level="regency", scheme="cdc-transmission-2021",
                   date="2021-10-20", region="33.01,33.04")  # fmt: skip
    assert any(title in h.value for h in at.subheader)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    encoded = [json.dumps(s) for s in specs]
    rt = [s for s in encoded if '"rt_lower"' in s and '"rt_upper"' in s]
    assert rt, "no Rt chart with its interval"
    kinds = [json.dumps(t(f"trends.kind_{k}", lang)) for k in ("raw", "smoothed")]
    smoothed = [s for s in encoded if all(k in s for k in kinds)]
    assert smoothed, "no chart of rates as reported against smoothed"
    assert "Cori" in captions(at)


def test_trends_say_rt_is_for_province_and_regencies(store):
    at = open_page("trends", lang="en", level="district", scheme="who-ct-2021", date="2021-07-10")
    assert "Rt is given for the province and regencies" in captions(at)


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("id", "Angka kecil, perubahan zona, titik panas dan Rt"),
     ("en", "Small areas, zone changes, hot spots and Rt")],
)  # fmt: skip
def test_about_says_how_each_is_computed_with_references(store, lang, heading):
    at = open_page("about", lang=lang)
    assert heading in [h.value for h in at.header]
    text = "\n".join(m.value for m in at.markdown)
    for reference in ("Marshall RJ (1991)", "Getis A, Ord JK (1992)", "Benjamini Y, Hochberg Y",
                      "Cori A, Ferguson NM", "Nishiura", "Lawless JF (1994)"):  # fmt: skip
        assert reference in text
    assert ("4,7 hari" if lang == "id" else "4.7 days") in text  # the interval really used


@pytest.mark.parametrize(("lang", "title"), [("id", "nowcast"), ("en", "nowcast")])
def test_trends_show_the_nowcast_of_the_last_days_as_an_estimate(
    tmp_path, serve_store, monkeypatch, lang, title
):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "views"))
    from test_nowcast_views import bulk_store, daily_uploads

    store = bulk_store(tmp_path / "n.db")
    daily_uploads(store, monkeypatch)
    serve_store(store)
    at = open_page("trends", lang=lang, level="regency", scheme="who-ct-2021",
                   date="2021-07-30", region="33.01")  # fmt: skip
    assert any(title in h.value for h in at.subheader)
    specs = [json.dumps(json.loads(c.proto.spec)) for c in at.get("vega_lite_chart")]
    drawn = [s for s in specs if '"lower"' in s and '"upper"' in s and '"strokeDash"' in s]
    assert drawn, "no nowcast band with a dashed line"
    assert not [s for s in drawn if '"bar"' in s]  # never drawn as counts
    said = "95 % kasus" if lang == "id" else "95 % of a day's cases"
    assert said in captions(at)


def test_trends_say_there_is_no_nowcast_without_daily_uploads(regencies):
    at = open_page("trends", lang="en", level="regency", scheme="who-ct-2021",
                   date="2021-10-20", region="33.01")  # fmt: skip
    assert "No nowcast yet" in captions(at)
