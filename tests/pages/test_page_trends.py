"""The trends page in Streamlit's AppTest: a small store of four regencies, and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import open_page, sign_in, tiny_regions, write_store
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
    # one bulk upload: the provisional period is the default, and the page says so
    default = {"id": "3 hari terakhir (bawaan 3 hari", "en": "the last 3 days (default 3 days"}
    assert any(default[lang] in c.value for c in at.caption)


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
    assert "a day only counts when the areas below that reported it hold enough" in (
        at.warning[0].value
    )
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
    # the demo's daily uploads: a nowcast, and the period estimated from them
    nowcast = {"id": "Perkiraan hari-hari terakhir (nowcast)", "en": "The last days, nowcast"}
    assert nowcast[lang] in [h.value for h in at.subheader]
    estimated = {"id": "5 hari terakhir (diperkirakan dari laporan",
                 "en": "the last 5 days (estimated from reports"}  # fmt: skip
    assert any(estimated[lang] in c.value for c in at.caption)


# --- small numbers: villages for the public, and for analysts --------------------------------

VILLAGE_DAYS = pd.date_range("2021-07-01", "2021-07-18", freq="D")  # 18 July is a Sunday


def village_store(path: Path) -> Store:
    """The tiny province's villages (1,000 people each). In the week to Sunday 18 July Desa A1
    has 3 cases and Desa A2 210 (140 the week before): A1 is a small count, and A2 the count
    that would give it away from the district's total."""
    frames = []
    for i, code in enumerate(tiny_regions().query("level == 'village'")["code"]):
        cases = np.full(len(VILLAGE_DAYS), 10.0 * (i + 1))
        if i == 0:
            cases[:] = 0.0
            cases[[-7, -5, -3]] = 1.0
        if i == 1:
            cases[-7:] = 30.0
        frames.append(pd.DataFrame({"region": code, "date": VILLAGE_DAYS, "new_cases": cases}))
    counts = pd.concat(frames).assign(deaths=0.0, admissions=0.0)
    return write_store(path, tiny_regions(), counts)


#: What the public must never see for the week to 18 July: A1's 3 cases, 300 per 100,000,
#: 42.9 a day per 100,000; A2's 210, 21,000 and 3,000.
HIDDEN_NUMBERS = (3.0, 300.0, 300.0 / 7, 210.0, 21_000.0, 3_000.0)


def chart_values(at: AppTest) -> tuple[list[float], list[str]]:
    """Every number and text in the data of every chart on the page."""
    import pyarrow as pa

    numbers, words = [], []
    for el in at.get("vega_lite_chart"):
        for dataset in el.proto.datasets:
            table = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            for column in table.columns:
                for value in table[column]:
                    if isinstance(value, str):
                        words.append(value)
                    elif isinstance(value, (int, float, np.number)) and not pd.isna(value):
                        numbers.append(float(value))
    return numbers, words


def shows(numbers: list[float], value: float) -> bool:
    return any(abs(n - value) < 1e-6 for n in numbers)


VILLAGES = {"lang": "en", "level": "village", "date": "2021-07-18",
            "region": "33.01.01.2001,33.01.01.2002"}  # fmt: skip


def test_public_village_view_never_shows_a_small_count(tmp_path: Path, serve_store) -> None:
    serve_store(village_store(tmp_path / "villages.db"))
    at = open_page("trends", **VILLAGES)
    assert at.multiselect[0].value == ["33.01.01.2001", "33.01.01.2002"]
    numbers, words = chart_values(at)
    assert numbers, "the charts have data"
    for hidden in HIDDEN_NUMBERS:
        assert not shows(numbers, hidden), hidden
    # WHO level 4 in 1,000 people means 2 cases or more, which cuts into 1–4: both villages'
    # figures read 'see zone' in those weeks (issue 11 item 3)
    assert "see zone" in words
    assert not any(w.strip() in {"3", "300", "300.0", "210", "21,000.0"} for w in words)
    at.toggle[0].set_value(False)  # counts, not per 100,000
    numbers, words = chart_values(rerun(at))
    assert "see zone" in words
    for hidden in HIDDEN_NUMBERS:
        assert not shows(numbers, hidden), hidden
    subheaders = [el.value for el in at.subheader]
    assert "New cases per week" in subheaders and "Cumulative cases" not in subheaders
    assert any("shown as a range" in el.value for el in at.caption)


def test_analyst_sees_the_exact_village_numbers(
    tmp_path: Path, serve_store, analyst_password: str
) -> None:
    serve_store(village_store(tmp_path / "villages.db"))
    at = sign_in(open_page("upload", **VILLAGES), "Bu Sari", analyst_password, "upload")
    at.query_params.update(VILLAGES)
    at.switch_page("pages/trends.py")
    at = rerun(at)
    numbers, _ = chart_values(at)
    assert shows(numbers, 300.0) and shows(numbers, 21_000.0)  # 7 days per 100,000
    subheaders = [el.value for el in at.subheader]
    assert "Daily new cases and the 7-day average" in subheaders
    assert "Cumulative cases" in subheaders
    assert not any("shown as a range" in el.value for el in at.caption)


def test_public_regency_view_is_exact(store: Store) -> None:
    at = open_page("trends", lang="en", level="regency")
    numbers, _ = chart_values(at)
    assert shows(numbers, 30.0)  # a day of 30 cases: regencies are not protected
    assert "Daily new cases and the 7-day average" in [el.value for el in at.subheader]


def test_the_share_of_unverified_cases_of_a_line_list(
    tmp_path: Path, serve_store, private_key_file
) -> None:
    """Rows without a valid NIK are cases, flagged: the trends say how many of the cases
    shown they are (regencies are not protected, so exactly)."""
    from zoning.intake.linelist import import_linelist

    store = Store(str(tmp_path / "list.db"))
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", "regions", None, "pytest", 0, 0)
        store.write_regions(conn, pd.DataFrame(tiny_regions().drop(columns="geometry")), upload)
    rows = ["nik,tanggal_konfirmasi,kode_desa"]
    rows += [f"33010101019{k:05d},2021-07-{1 + k % 20:02d},33.01.01.2001" for k in range(1, 31)]
    rows += [f"{bad},2021-07-05,33.01.01.2002" for bad in ("", "-")]  # no valid NIK
    import_linelist(store, ("\n".join(rows) + "\n").encode(), covers="33",
                    first="2021-07-01", last="2021-07-31")  # fmt: skip
    serve_store(store)
    at = open_page("trends", lang="en", level="regency", region="33.01", date="2021-07-31")
    assert "Cases without a valid NIK (unverified)" in [el.value for el in at.subheader]
    note = next(el.value for el in at.caption if "that line lists cover" in el.value)
    assert "Kabupaten Satu: 2 of 32 cases (6.2 %)" in note.replace("\\", "")
    # a region without such cases says nothing of them
    at = open_page("trends", lang="en", level="regency", region="33.02", date="2021-07-31")
    assert "Cases without a valid NIK (unverified)" not in [el.value for el in at.subheader]
