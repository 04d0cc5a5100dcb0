"""The press briefing's view and headline numbers, on a tiny store with known answers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import write_store
from shapely.geometry import box

from zoning.model.schemes import builtin_schemes
from zoning.store import Store
from zoning.views import briefing

HOSTILE = "<img src=x onerror=alert(1)> $x^$ \\"
AS_OF = "2021-10-21"
SETTLED = pd.Timestamp("2021-10-18")  # as of minus the 3 days still filling in
DAYS = pd.date_range("2021-10-01", AS_OF, freq="D")
MISSING = pd.Timestamp("2021-10-15")  # 33.04 did not report that day


def make_store(path: Path) -> Store:
    """A province and four regencies with 21 days of counts.

    On 2021-10-18 (the latest settled day), 7-day cases per 100,000 are: 33.01 7 (level 1),
    33.02 70 (level 3), 33.03 210 (level 4; 20 a day until 11 October, then 30) and 33.04
    none (a day missing: no zone). Province: 299 new cases in the week to 18 October (27 of
    28 regency-days reported), 231 in the week before, +29.44 %.
    """
    rows = [
        ("33", "Jawa Tengah", "province", None, 350_000.0, box(0, 0, 4, 1)),
        ("33.01", "Kabupaten Satu", "regency", "33", 100_000.0, box(0, 0, 1, 1)),
        ("33.02", "Kota Dua", "regency", "33", 100_000.0, box(1, 0, 2, 1)),
        ("33.03", HOSTILE, "regency", "33", 100_000.0, box(2, 0, 3, 1)),
        ("33.04", "Kabupaten Empat", "regency", "33", 50_000.0, box(3, 0, 4, 1)),
    ]
    cols = ["code", "name", "level", "parent", "population", "geometry"]
    regions = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), crs="EPSG:4326")
    daily = {
        "33.01": lambda d: 1.0,
        "33.02": lambda d: 10.0,
        "33.03": lambda d: 30.0 if d >= pd.Timestamp("2021-10-12") else 20.0,
        "33.04": lambda d: 2.0,
    }
    counts = pd.DataFrame(
        [
            (code, d, f(d))
            for code, f in daily.items()
            for d in DAYS
            if not (code == "33.04" and d == MISSING)
        ],
        columns=["region", "date", "new_cases"],
    )
    return write_store(path, regions, counts, as_of=AS_OF)


def make_store_without_counts(path: Path) -> Store:
    """A store with a province and no case counts at all."""
    store = Store(str(path))
    regions = pd.DataFrame(
        {"code": ["33"], "name": ["P"], "level": ["province"], "parent": [None], "population": [1]}
    )
    with store.transaction() as conn:
        store.write_regions(conn, regions, None)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "tiny.db")


@pytest.fixture
def who():
    return builtin_schemes()["who-ct-2021"]


def test_default_view_is_regencies_on_the_latest_settled_day(store, who):
    view = briefing.view_from_params(store, {})
    assert (view.scheme.id, view.level, view.day, view.day_from_url) == (
        "who-ct-2021",
        "regency",
        SETTLED,
        False,
    )


def test_view_from_the_url_and_bad_values(store):
    view = briefing.view_from_params(
        store, {"scheme": "ppkm-mikro-2021-04", "level": "province", "date": "2021-10-10"}
    )
    assert (view.scheme.id, view.level, view.day, view.day_from_url) == (
        "ppkm-mikro-2021-04",
        "province",
        pd.Timestamp("2021-10-10"),
        True,
    )
    bad = briefing.view_from_params(store, {"scheme": "nope", "level": "<x>", "date": "31/10"})
    assert (bad.scheme.id, bad.level, bad.day) == ("who-ct-2021", "regency", SETTLED)
    late = briefing.view_from_params(store, {"date": "2030-01-01"})
    assert late.day == pd.Timestamp(AS_OF)


def test_no_counts_is_a_lookup_error(tmp_path):
    store = make_store_without_counts(tmp_path / "empty.db")
    with pytest.raises(LookupError):
        briefing.view_from_params(store, {})


def test_headline_numbers(store, who):
    h = briefing.headline(store, who, "regency", SETTLED)
    assert h["day"] == SETTLED
    assert h["as_of"] == AS_OF
    assert h["provisional"] is False
    assert (h["regions"], h["people"]) == (4, 350_000)
    per_zone = {z["id"]: (z["regions"], z["people"]) for z in h["zones"]}
    assert per_zone == {
        "level-1": (1, 100_000),
        "level-2": (0, 0),
        "level-3": (1, 100_000),
        "level-4": (1, 100_000),
        None: (1, 50_000),
    }
    assert [z["index"] for z in h["zones"]] == [0, 1, 2, 3, -1]
    assert h["severe"]["id"] == "level-4"
    assert (h["severe"]["regions"], h["severe"]["people"]) == (1, 100_000)
    assert [r["code"] for r in h["severe_regions"]] == ["33.03"]
    assert h["severe_regions"][0]["name"] == HOSTILE
    assert h["severe_regions"][0]["rate"] == pytest.approx(210.0)
    assert h["rate_metric"] == "cases_7d_per_100k"
    assert h["cases_7d"] == 299.0
    assert h["cases_prev_7d"] == 231.0
    assert h["coverage"] == pytest.approx(27 / 28)
    assert h["prev_coverage"] == 1.0
    assert h["change_pct"] == pytest.approx((299 - 231) / 231 * 100)
    assert h["source_level"] == "regency"


def test_the_most_severe_zone_is_the_worst_one_with_regions(store, who):
    h = briefing.headline(store, who, "regency", "2021-10-09")  # 33.03 at 140: level 3
    assert h["severe"]["id"] == "level-3"
    assert [r["code"] for r in h["severe_regions"]] == ["33.03", "33.02"]  # by rate
    assert h["cases_prev_7d"] == 2 * 1 + 2 * 10 + 2 * 20 + 2 * 2  # 1 and 2 October only
    assert h["prev_coverage"] == pytest.approx(2 / 7)
    assert h["change_pct"] is None  # too few reports the week before to compare


def test_provisional_day_is_flagged(store, who):
    assert briefing.headline(store, who, "regency", AS_OF)["provisional"] is True


def test_texts_in_both_languages(store, who):
    h = briefing.headline(store, who, "regency", SETTLED)
    place = briefing.place_name(store, "id")
    assert place == "Jawa Tengah"
    id_ = briefing.texts(h, who, "regency", "id", place)
    en = briefing.texts(h, who, "regency", "en", place)
    assert id_["title"] == "Zona COVID-19 Jawa Tengah"
    assert en["title"] == "COVID-19 zones, Jawa Tengah"
    assert id_["data_line"].startswith("Data per 2021-10-21 · diperbarui ")
    assert en["data_line"].startswith("Data as of 2021-10-21 · last updated ")
    assert id_["zones_on"] == "Zona per 2021-10-18: hari terakhir dengan data lengkap"
    assert id_["severe_title"] == "Zona terberat saat ini: Level 4 (sangat tinggi)"
    assert id_["severe_regions"] == "1 wilayah (dari 4)"
    assert en["severe_people"] == "100,000 people"
    assert id_["severe_people"] == "100.000 jiwa"
    assert id_["cases_value"] == "299"
    assert id_["cases_change"] == "▲ naik 29,4% dibanding 7 hari sebelumnya (231)"
    assert en["cases_change"] == "▲ up 29.4% on the previous 7 days (231)"
    assert "96,4%" in id_["cases_coverage"]
    assert en["severe_regions"] == "1 region (of 4)"  # one region, not "1 regions"
    assert en["zone_lines"][-1] == ("No data", "#bdbdbd", "1 region · 50,000 people")
    facts = briefing.pdf_facts(en)
    assert facts[0] == ("heading", "Most severe zone now: Level 4 (very high)")
    assert ("big", "299") in facts


def test_change_wording():
    base = {"cases_prev_7d": 200.0}
    assert briefing.change_text({**base, "change_pct": None}, "en").startswith("no comparison")
    assert briefing.change_text({**base, "change_pct": -12.34}, "id").startswith("▼ turun 12,3%")
    assert briefing.change_text({**base, "change_pct": 0.01}, "en").startswith("the same")
    assert briefing.change_pct(10, 0) is None
    assert briefing.change_pct(150, 100) == 50.0


def test_source_and_note_from_the_store(store, who):
    assert "World Health Organization" in briefing.source_text(store, who, "en")
    assert briefing.geometry_note(store, "en") == ""
    store.set_meta(geometry_note='{"id": "skematis", "en": "schematic"}', source="Dinkes")
    assert briefing.geometry_note(store, "en") == "schematic"
    assert briefing.source_text(store, who, "id").startswith("Sumber: Dinkes. Skema: ")
    store.set_meta(source="Dinkes Jateng. Data harian.")  # a source that ends its own sentence
    assert briefing.source_text(store, who, "id").startswith(
        "Sumber: Dinkes Jateng. Data harian. Skema"
    )


def test_new_data_changes_the_numbers(store, who):
    before = briefing.view_from_params(store, {})
    store.set_meta(as_of="2021-10-20")
    after = briefing.view_from_params(store, {})
    assert after.day == before.day - pd.Timedelta(days=1)


def test_the_worst_zone_and_the_week_s_changes_are_built_once_for_every_session(store, who):
    day = "2021-10-09"
    first = briefing.worst_zone(store, who, "regency", day, public=True, lang="en")
    assert briefing.worst_zone(store, who, "regency", day, public=True, lang="en") is first
    assert briefing.worst_zone(store, who, "regency", day, public=False, lang="en") is not first
    changes = briefing.week_changes(store, who, "regency", day)
    assert briefing.week_changes(store, who, "regency", day) is changes
    store.set_meta(note="x")  # new data: built again
    again = briefing.worst_zone(store, who, "regency", day, public=True, lang="en")
    assert again is not first and again[0] == first[0]
    assert again[1].equals(first[1])
    assert briefing.week_changes(store, who, "regency", day) is not changes
