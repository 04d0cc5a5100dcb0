"""The corpus of real-shaped files (``tests/data/corpus/``, written by ``tests/make_corpus.py``):
each imports into a fresh store with the exact counts of the epidemic it writes, or is refused
with a message naming the option that takes it; the same data long, wide and in a workbook
give identical stored counts (issue 14, item 6). ``docs/files.md`` lists what each gives."""

from __future__ import annotations

import re
from pathlib import Path

import make_corpus as corpus
import numpy as np
import openpyxl
import pandas as pd
import pytest

from zoning.intake.boundaries import import_regions
from zoning.intake.counts import import_counts
from zoning.intake.linelist import import_linelist
from zoning.intake.report import UploadRejected
from zoning.store import Store

pytestmark = pytest.mark.usefixtures("private_key_file")

CODES = [code for code, *_ in corpus.REGENCIES]
N_DAYS = len(corpus.DAYS)


def path(name: str) -> Path:
    return corpus.OUT / name


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh store given the corpus's places: a regency boundary file, with no other step,
    then a village list whose districts no file names yet."""
    store = Store(str(tmp_path / "corpus.db"))
    regencies = import_regions(store, path("00_regencies.geojson"), "regency")
    assert (regencies.rows, regencies.changed) == (3, 4)  # and the province, built in
    assert "made from the codes: province 33 Jawa Tengah (built in)" in regencies.report.read
    villages = import_regions(store, path("00_villages.csv"), "village")
    assert (villages.rows, villages.changed) == (5, 7)  # and two placeholder districts
    assert store.regions("district")["name"].tolist() == ["33.74.01", "33.74.02"]
    assert store.levels() == ["province", "regency", "district", "village"]
    return store


def truth(deaths: bool = True) -> pd.DataFrame:
    """The epidemic every file writes: new cases (and deaths) per regency and day."""
    rows = [
        (code, pd.Timestamp(day), float(corpus.daily_cases(i, k)),
         float(corpus.deaths(i, k)))
        for i, code in enumerate(CODES) for k, day in enumerate(corpus.DAYS)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["region", "date", "new_cases", "deaths"])
    frame["date"] = frame["date"].astype("datetime64[s]")  # as the store gives it
    return frame if deaths else frame.drop(columns="deaths")


def stored(store: Store, fields: list[str]) -> pd.DataFrame:
    counts = store.counts()
    counts = counts[["region", "date", *fields]].sort_values(["region", "date"], ignore_index=True)
    return counts.astype({"date": "datetime64[s]"})


def test_the_script_still_writes_the_committed_files():
    for name, data in corpus.files().items():
        assert data == path(name).read_bytes(), name
    # the workbooks hold what they should: merged header cells, dates as cells, text and numbers
    book = openpyxl.load_workbook(path("05_wide_merged.xlsx"))
    assert "C4:D4" in {str(m) for m in book["Rekap"].merged_cells.ranges}
    sheet = openpyxl.load_workbook(path("06_sheet_per_regency.xlsx"))["Kota Semarang"]
    forms = [type(r[0]).__name__ for r in sheet.iter_rows(min_row=4, max_row=6, values_only=True)]
    assert forms == ["datetime", "str", "int"]  # a date cell, 'Jumat, 02 Juli 2021', a serial


@pytest.mark.parametrize(
    ("name", "warnings"),
    [
        ("01_long.csv", []),
        ("02_long_bom_semicolon.csv", []),  # a BOM, semicolons, CRLF, codes without dots
        ("03_names_cp1252.csv", ["not valid UTF-8 (first at line 41)", "columns not used: "
                                 "'catatan'"]),  # Windows-1252, names as 'SEMARANG (KAB)'
        ("05_wide_merged.xlsx", ["row 9: a total row ('JUMLAH')"]),
        ("06_sheet_per_regency.xlsx", [f"sheet {n!r}, row 18: a total row ('JUMLAH')"
                                       for _, n, *_ in corpus.REGENCIES]),
    ],
)  # fmt: skip
def test_long_wide_and_workbook_forms_give_identical_stored_counts(store, name, warnings):
    result = import_counts(store, path(name))
    assert (result.rows, result.changed) == (3 * N_DAYS, 3 * N_DAYS)
    listed = [str(w) for w in result.report.warnings]
    assert len(listed) == len(warnings)
    for got, want in zip(listed, warnings, strict=True):
        assert want in got
    pd.testing.assert_frame_equal(stored(store, ["new_cases", "deaths"]), truth())


def test_a_wide_csv_with_a_total_row_and_column(store):
    result = import_counts(store, path("04_wide_total_row.csv"))
    assert (result.rows, result.changed) == (3 * N_DAYS, 3 * N_DAYS)
    assert [str(w) for w in result.report.warnings] == [
        "column 'total' is a total beside the dates; it is left out",
        "row 8: a total row ('TOTAL'); it is left out",
    ]
    assert "the numbers under the dates: new_cases (from the title 'Kasus Baru')" in (
        result.report.read
    )
    pd.testing.assert_frame_equal(stored(store, ["new_cases"]), truth(deaths=False))


def test_a_wide_csv_without_its_title_is_refused_naming_the_option(store):
    lines = path("04_wide_total_row.csv").read_bytes().split(b"\n")
    headless = b"\n".join(lines[3:])
    with pytest.raises(UploadRejected) as exc:
        import_counts(store, headless)
    assert exc.value.column == "--values" and "--values new_cases" in str(exc.value)
    result = import_counts(store, headless, values="new_cases")
    assert result.changed == 3 * N_DAYS


def test_scraped_totals_with_a_later_snapshot_and_a_correction(store):
    with pytest.raises(UploadRejected) as exc:
        import_counts(store, path("07_scraped_snapshots.csv"))
    assert str(exc.value).startswith(
        "row 15: region 33.22 on 2021-07-05 is also in row 14 with different values"
    )
    assert "--duplicates first" in str(exc.value) and store.counts().empty
    result = import_counts(store, path("07_scraped_snapshots.csv"), duplicates="last")
    assert (result.rows, result.changed) == (3 * N_DAYS + 1, 3 * N_DAYS)
    warnings = [str(w) for w in result.report.warnings]
    assert warnings[0].startswith("row 14: region 33.22 on 2021-07-05 is also in row 15")
    assert "read as a correction of -5 that day" in warnings[1] and len(warnings) == 2
    daily = stored(store, ["new_cases"]).pivot(index="date", columns="region", values="new_cases")
    totals = np.array([[corpus._scraped_total(i, k) for i in range(3)] for k in range(N_DAYS)])
    assert np.isnan(daily.iloc[0]).all()  # the first day: no day before, no daily value
    assert (daily.iloc[1:].to_numpy() == np.diff(totals, axis=0)).all()
    assert daily["33.24"].min() == -5  # the correction, as a correction
    # every complete 7-day sum is the difference of the totals at its ends
    sums = daily.rolling(7).sum().to_numpy()[7:]
    assert (sums == totals[7:] - totals[:-7]).all()
    with pytest.raises(UploadRejected, match="--strict refuses a total that falls"):
        import_counts(store, path("07_scraped_snapshots.csv"), duplicates="last", strict=True)


def test_two_header_rows_derive_new_cases_from_their_parts(store):
    result = import_counts(store, path("08_two_header_rows.csv"))
    assert not result.report.warnings
    assert "column `suspek`: counted by surveillance but read by no scheme; not stored" in (
        result.report.read
    )
    # the first day has no day before: 13 days of each regency
    assert (result.rows, result.changed) == (3 * N_DAYS, 3 * (N_DAYS - 1))
    want = truth()[truth()["date"] > pd.Timestamp(corpus.DAYS[0])].reset_index(drop=True)
    pd.testing.assert_frame_equal(stored(store, ["new_cases", "deaths"]), want)


def test_bps_codes_go_through_the_crosswalk(store):
    result = import_counts(store, path("09_bps_codes.csv"))
    assert result.report.facts["crosswalk_rows"] == 35
    assert store.crosswalk() == {
        **{f"{b[:2]}.{b[2:4]}.{b[4:7]}.{b[7:]}": c for c, _, _, b in corpus.VILLAGES},
        "33.74.050": "33.74.01", "33.74.060": "33.74.02",
    }  # fmt: skip
    counts = stored(store, ["new_cases"])
    assert len(counts) == 35 and counts["new_cases"].sum() == sum(
        corpus.village_cases(v, k) for v in range(5) for k in range(7)
    )


def test_a_line_list_by_village_rw_and_rt_makes_its_rts(store):
    result = import_linelist(store, path("10_linelist_kode_rw_rt.csv"))
    assert (result.rows, result.changed) == (12, 12)
    assert (result.report.facts["rts_made"], result.report.facts["rws_made"]) == (6, 6)
    rts = store.regions("rt")
    assert len(rts) == 6 and rts["parent"].str.len().eq(17).all()
    assert store.levels()[-2:] == ["rw", "rt"]
    counts = store.counts()
    assert counts[counts["region"].str.len() == 13]["new_cases"].sum() == 12
    houses = counts[counts["region"].str.len() == 21]
    assert houses["houses_7d"].max() >= 1 and set(houses["region"]) == set(rts["code"])


def test_every_file_of_the_corpus_is_tested_here():
    tested = set(re.findall(r'"(\d\d_[\w.]+)"', Path(__file__).read_text()))
    assert set(corpus.files()) <= tested
