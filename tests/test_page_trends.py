"""The trends page in Streamlit's AppTest: a small store of four regencies, and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import open_page, write_store
from streamlit.testing.v1 import AppTest

from zoning.store import Store

NAMES = {
    "33.01": "Kabupaten Satu",
    "33.02": "Kabupaten Dua",
    "33.03": "Kabupaten Tiga",
    "33.04": "Kabupaten Empat",
}
DAILY = {"33.01": 30.0, "33.02": 20.0, "33.03": 10.0, "33.04": 5.0}  # cases a day


def make_store(path: Path, silent: tuple[str, ...] = ()) -> Store:
    """Four regencies of 100,000 people, 60 days of counts; 33.02 misses two days, and the
    ``silent`` regencies never report."""
    regions = pd.DataFrame(
        {
            "code": ["33", *NAMES],
            "name": ["Jawa Tengah", *NAMES.values()],
            "level": ["province"] + ["regency"] * 4,
            "parent": [None] + ["33"] * 4,
            "population": [400_000.0] + [100_000.0] * 4,
        }
    )
    days = pd.date_range("2021-08-22", "2021-10-20", freq="D")
    frames = []
    for code, cases in DAILY.items():
        new = np.full(len(days), cases)
        if code == "33.02":
            new[[40, 41]] = np.nan  # no report on two days
        if code in silent:
            new[:] = np.nan
        frames.append(
            pd.DataFrame(
                {
                    "region": code,
                    "date": days,
                    "new_cases": new,
                    "deaths": new / 20,
                    "admissions": new / 10,
                    "tests": new * 10,
                    "positives": new,
                }
            )
        )
    counts = pd.concat(frames, ignore_index=True)
    return write_store(path, regions, counts)


@pytest.fixture
def store(tmp_path: Path, serve_store) -> Store:
    return serve_store(make_store(tmp_path / "four.db"))


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def daily_titles(at: AppTest) -> list[str]:
    """The region of each daily chart (the bar charts side by side)."""
    return [s["title"] for s in specs(at) if "title" in s]


def y_titles(at: AppTest) -> set[str]:
    layers = [layer for s in specs(at) for layer in s.get("layer", [])]
    return {layer["encoding"].get("y", {}).get("title") for layer in layers}


@pytest.mark.parametrize(
    ("lang", "title", "provisional"),
    [
        ("id", "Tren per wilayah", "sementara – laporan masih masuk"),
        ("en", "Trends by region", "provisional – reports still arriving"),
    ],
)
def test_renders_in_both_languages(store: Store, lang: str, title: str, provisional: str) -> None:
    at = open_page("trends", lang=lang, level="regency")
    assert at.title[0].value == title
    # the three regions with the most cases per 100,000, highest first, kept in the URL
    assert at.multiselect[0].value == ["33.01", "33.02", "33.03"]
    assert at.query_params["region"] == "33.01,33.02,33.03"
    # cases, admissions and deaths against the scheme's bands; two rows of daily bars
    texts = json.dumps(specs(at), ensure_ascii=False)
    assert provisional in texts
    assert daily_titles(at) == [NAMES[c] for c in ("33.01", "33.02", "33.03")] * 2
    assert "Level 1" in texts
    assert not at.warning


def test_the_multiselect_changes_the_charts(store: Store) -> None:
    at = open_page("trends", lang="en", level="regency")
    before = len(specs(at))
    at.multiselect[0].set_value(["33.04"])
    at = rerun(at)
    assert at.query_params["region"] == "33.04"
    assert daily_titles(at) == ["Kabupaten Empat"] * 2
    assert len(specs(at)) == before - 4  # two fewer regions in each row of daily charts
    lines = [layer for s in specs(at) for layer in s["layer"] if "stroke" in layer["encoding"]]
    assert lines and all(
        layer["encoding"]["stroke"]["scale"]["domain"] == ["Kabupaten Empat"] for layer in lines
    )


def test_the_per_100k_toggle_changes_the_y_axis(store: Store) -> None:
    at = open_page("trends", lang="en", level="regency")
    assert {"New cases per 100,000", "Cumulative cases per 100,000"} <= y_titles(at)
    at.toggle[0].set_value(False)
    at = rerun(at)
    titles = y_titles(at)
    assert {"New cases", "Deaths", "Cumulative cases"} <= titles
    assert "New cases per 100,000" not in titles
    assert "Cases per 100,000, 7 days" in titles  # the scheme's metric stays per 100,000


def test_regions_from_the_url(store: Store) -> None:
    at = open_page("trends", lang="id", level="regency", region="33.04,3302,99.99")
    assert at.multiselect[0].value == ["33.04", "33.02"]
    assert daily_titles(at)[:2] == ["Kabupaten Empat", "Kabupaten Dua"]


def test_no_region_chosen(store: Store) -> None:
    at = open_page("trends", lang="en", level="regency")
    at.multiselect[0].set_value([])
    at = rerun(at)
    assert "Choose at least one region." in [el.value for el in at.info]
    assert not specs(at)
    assert "region" not in at.query_params


def test_a_level_without_daily_counts_says_so(tmp_path: Path, serve_store) -> None:
    # the province only counts a day when all its regencies reported: 33.04 never did
    serve_store(make_store(tmp_path / "silent.db", silent=("33.04",)))
    at = open_page("trends", lang="en", level="province")
    assert at.multiselect[0].value == ["33"]
    assert "a day only counts when every area below reported it" in at.warning[0].value
    assert not specs(at) and not at.subheader
    at = open_page("trends", lang="en", level="regency", region="33.04,33.01")
    assert daily_titles(at) == ["Kabupaten Empat", "Kabupaten Satu"] * 2  # grey, not zero


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["id", "en"])
def test_renders_on_the_demo_store(demo_db: Path, serve_store, lang: str) -> None:
    serve_store(Store(str(demo_db)))
    at = open_page("trends", lang=lang, level="regency")
    assert len(at.multiselect[0].value) == 3
    assert len(daily_titles(at)) == 6
    assert at.query_params["region"].count(",") == 2
