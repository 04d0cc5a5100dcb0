"""Tests for zoning.intake.counts: reading, checking and importing analysts' case counts.

Every rejected file is checked twice: the message names the row and column, and the store is
exactly as it was (counts, uploads, data version). Every accepted variant ends with the right
numbers in the store.
"""

from __future__ import annotations

import csv as csv_module
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import fuzz, tiny_counts, tiny_regions, write_store
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from zoning.core.errors import InputError
from zoning.intake.counts import import_counts, read_counts
from zoning.intake.report import UploadRejected
from zoning.store import Store

A1, A2, B1, B2 = "33.01.01.2001", "33.01.01.2002", "33.02.01.1001", "33.02.01.1002"
SEMARANG_KAB, SEMARANG_KOTA = "33.22", "33.74"


@pytest.fixture
def store(tiny_store: Store) -> Store:
    """The tiny store plus a Kabupaten and a Kota that share the bare name Semarang."""
    extra = pd.DataFrame(
        [
            (SEMARANG_KAB, "Kabupaten Semarang", "regency", "33", 1000.0),
            (SEMARANG_KOTA, "Kota Semarang", "regency", "33", 1000.0),
        ],
        columns=["code", "name", "level", "parent", "population"],
    )
    with tiny_store.transaction() as conn:
        tiny_store.write_regions(conn, extra, None)
    return tiny_store


def snapshot(store: Store) -> tuple:
    return (
        store.counts(),
        store.uploads(),
        store.data_version(),
        store.meta().get("as_of"),
        {r: len(store.count_history(r)) for r in (A1, A2, B1, B2)},
    )


def assert_unchanged(store: Store, before: tuple) -> None:
    after = snapshot(store)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    assert after[2:] == before[2:]


def stored(store: Store, region: str, day: str) -> pd.Series:
    counts = store.counts()
    row = counts[(counts["region"] == region) & (counts["date"] == pd.Timestamp(day))]
    assert len(row) == 1, (region, day, row)
    return row.iloc[0]


def has_day(store: Store, region: str, day: str) -> bool:
    counts = store.counts()
    return bool(((counts["region"] == region) & (counts["date"] == pd.Timestamp(day))).any())


def csv(*lines: str, sep: str = ",", encoding: str = "utf-8") -> bytes:
    return ("\n".join(line.replace(",", sep) for line in lines) + "\n").encode(encoding)


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rejected(store: Store, data: bytes, *fragments: str, **options) -> UploadRejected:
    """Import ``data``, expect a rejection naming ``fragments``, and check nothing changed."""
    before = snapshot(store)
    with pytest.raises(UploadRejected) as exc:
        import_counts(store, data, filename="bad.csv", **options)
    text = str(exc.value)
    listed = " | ".join(str(i) for i in exc.value.report.errors)
    for fragment in fragments:
        assert fragment in text or fragment in listed, (fragment, text, listed)
    assert text.endswith("nothing was imported")
    assert_unchanged(store, before)
    # the preview says the same
    _, report = read_counts(data, store.regions(), filename="bad.csv", **options)
    assert report.has_errors and str(report.errors[0]) in text
    return exc.value


# --- accepted formats -----------------------------------------------------------------------


def test_comma_utf8_english_headers_iso_dates(store):
    data = csv(
        "date,region,new_cases,deaths,tests,positives,admissions,inpatient_covid_pct",
        f"2021-07-22,{A1},5,1,50,5,2,12.5",
        f"2021-07-23,{A1},7,0,60,6,0,13",
    )
    result = import_counts(store, data, filename="en.csv", author="ana")
    assert (result.rows, result.changed, result.duplicate_of) == (2, 2, None)
    row = stored(store, A1, "2021-07-22")
    assert row[["new_cases", "deaths", "tests", "positives", "admissions"]].tolist() == [
        5,
        1,
        50,
        5,
        2,
    ]
    assert row["inpatient_covid_pct"] == 12.5
    assert stored(store, A1, "2021-07-23")["new_cases"] == 7
    upload = store.uploads().iloc[-1]
    assert (upload["kind"], upload["filename"], upload["created_by"]) == ("counts", "en.csv", "ana")
    assert (upload["rows"], upload["changed"]) == (2, 2)
    assert len(upload["sha256"]) == 64
    assert json.loads(upload["report"])["facts"]["columns"]["new_cases"] == "new_cases"
    assert store.meta()["as_of"] == "2021-07-23"
    assert result.summary() == f"upload {result.upload_id}: 2 rows read, 2 changed"


def test_an_import_a_revision_and_a_rejection_on_either_database(tiny_store_sql: Store):
    store = tiny_store_sql
    data = csv("date,region,new_cases,tests", f"2021-07-22,{A1},5,50", f"2021-07-21,{A1},9,")
    result = import_counts(store, data, filename="ok.csv", author="ana")
    assert (result.rows, result.changed) == (2, 2)
    assert stored(store, A1, "2021-07-22")[["new_cases", "tests"]].tolist() == [5, 50]
    assert stored(store, A1, "2021-07-21")[["new_cases", "tests"]].tolist() == [9, 10]  # kept
    assert len(store.count_history(A1)) == 1
    assert store.meta()["as_of"] == "2021-07-22"
    rejected(store, csv("date,region,new_cases", f"2021-07-23,{A1},-3"), "row 2", "new_cases")


def test_semicolon_windows_1252_indonesian_headers_day_first_thousands(store):
    code = A1.replace(".", "")
    data = "\n".join(
        [
            "Tanggal;Kode Desa;Kasus Baru;Meninggal Harian;Jumlah Tes;Tes Positif;BOR;Catatan",
            f"03/08/2021;{code};1.234;2;5.000;1.234;85,5;café – cek ulang",
            f"04/08/2021;{A1};1,234;0;2.000;100;86,25%;",
        ]
    ).encode("cp1252")
    _, report = read_counts(data, store.regions(), filename="jateng.csv")
    assert not report.has_errors, report.issues
    warnings = " | ".join(str(w) for w in report.warnings)
    assert "not valid UTF-8" in warnings and "Windows-1252" in warnings
    assert "'catatan'" in warnings  # the unused column is named
    assert report.facts["delimiter"] == ";" and report.facts["encoding"] == "cp1252"
    result = import_counts(store, data, filename="jateng.csv")
    assert result.changed == 2
    row = stored(store, A1, "2021-08-03")
    assert (row["new_cases"], row["deaths"], row["tests"], row["positives"]) == (
        1234,
        2,
        5000,
        1234,
    )
    assert row["bor_covid_pct"] == 85.5
    row = stored(store, A1, "2021-08-04")
    assert (row["new_cases"], row["tests"], row["bor_covid_pct"]) == (1234, 2000, 86.25)


def test_tab_bom_month_names_and_region_names(store):
    text = "\ufeff" + "\n".join(
        [
            "TGL\tNama Wilayah\tKasus_Baru",
            "3 Agustus 2021\tDesa A1\t1",
            "3 Agustus 2021\tKELURAHAN B1\t2",
            "4 Agt 2021\tdesa a2\t3",
            "5 Mei 2021\tKab. Semarang\t4",
            "5 Mei 2021\tKABUPATEN SEMARANG\t4",
            "5 Mei 2021\tKota Semarang\t5",
        ]
    )
    result = import_counts(store, text.encode("utf-8"))
    assert result.changed == 5  # the two Kabupaten Semarang rows are one (a warning)
    assert [str(w) for w in result.report.warnings] == [
        "row 6: the same as row 5 (region 33.22, 2021-05-05); kept once"
    ]
    assert stored(store, A1, "2021-08-03")["new_cases"] == 1
    assert stored(store, B1, "2021-08-03")["new_cases"] == 2
    assert stored(store, A2, "2021-08-04")["new_cases"] == 3
    assert stored(store, SEMARANG_KAB, "2021-05-05")["new_cases"] == 4
    assert stored(store, SEMARANG_KOTA, "2021-05-05")["new_cases"] == 5


def test_xlsx_with_date_cells_and_numeric_codes(store):
    data = xlsx(
        [
            ["Tanggal", "Kode", "Kasus Baru", "Meninggal Harian"],
            [pd.Timestamp("2021-08-01").to_pydatetime(), 3301012001, 1234, 1],
            ["02/08/2021", "33.01.01.2001", "1.234", None],
        ]
    )
    result = import_counts(store, data, filename="report.csv")  # found by content, not name
    assert result.report.facts["format"] == "xlsx"
    assert stored(store, A1, "2021-08-01")[["new_cases", "deaths"]].tolist() == [1234, 1]
    row = stored(store, A1, "2021-08-02")
    assert row["new_cases"] == 1234 and np.isnan(row["deaths"])


def test_utf16_unicode_text_from_excel(store):
    data = "tanggal\tkode\tkasus\n2021-08-01\t33.02\t9\n".encode("utf-16")
    import_counts(store, data)
    assert stored(store, "33.02", "2021-08-01")["new_cases"] == 9


def test_path_source_and_filename_from_path(store, tmp_path: Path):
    path = tmp_path / "harian.csv"
    path.write_bytes(csv("tanggal,kode,kasus_baru", f"2021-08-01,{B2},4"))
    result = import_counts(store, path)
    assert store.uploads().iloc[-1]["filename"] == "harian.csv"
    assert result.report.facts["file"] == "harian.csv"
    assert stored(store, B2, "2021-08-01")["new_cases"] == 4


def test_one_region_without_region_column(store):
    data = csv("tanggal,kasus_baru,meninggal_harian", "2021-08-01,3,0", "2021-08-02,4,1")
    import_counts(store, data, region="Kota Dua")
    assert stored(store, "33.02", "2021-08-02")[["new_cases", "deaths"]].tolist() == [4, 1]


def test_read_counts_output_shape(store):
    data = csv("tanggal,kode,kasus_baru,bor", f"2021-08-02,{B1},2,", f"2021-08-01,{A1},1,50")
    frame, report = read_counts(data, store.regions())
    assert list(frame.columns) == ["region", "date", "new_cases", "bor_covid_pct"]
    assert frame["region"].tolist() == [A1, B1]  # sorted by region and date
    assert frame["date"].dtype.kind == "M"
    assert frame["new_cases"].dtype == float
    assert np.isnan(frame["bor_covid_pct"].iloc[1])
    assert report.facts["first_date"] == "2021-08-01" and report.facts["regions"] == 2
    assert report.facts["headers"] == ["tanggal", "kode", "kasus_baru", "bor"]
    assert report.facts["columns"] == {
        "date": "tanggal",
        "region": "kode",
        "new_cases": "kasus_baru",
        "bor_covid_pct": "bor",
    }


def test_missing_days_stay_missing(store):
    data = csv("tanggal,kode,kasus_baru", f"2021-08-01,{A1},1", f"2021-08-03,{A1},3")
    import_counts(store, data)
    assert not has_day(store, A1, "2021-08-02")
    assert stored(store, A1, "2021-08-03")["new_cases"] == 3


def test_empty_cells_are_missing_not_zero(store):
    data = csv("tanggal,kode,kasus_baru,meninggal_harian", f"2021-08-01,{A1},,2")
    import_counts(store, data)
    row = stored(store, A1, "2021-08-01")
    assert np.isnan(row["new_cases"]) and row["deaths"] == 2


# --- columns and mappings --------------------------------------------------------------------


def test_mapping_wins_over_guesses(store):
    data = csv("tanggal,kode,kasus,jumlah", f"2021-08-01,{A1},5,40")
    import_counts(store, data, mapping={"Kasus": "positives", "JUMLAH": "tests"})
    row = stored(store, A1, "2021-08-01")
    assert (row["positives"], row["tests"]) == (5, 40) and np.isnan(row["new_cases"])


def test_positif_alone_is_ambiguous_until_mapped(store):
    data = csv("tanggal,kode,positif", f"2021-08-01,{A1},5", f"2021-08-02,{A1},8")
    exc = rejected(store, data, "column 'positif'", "cases_total", "new_cases", "positif=")
    assert exc.column == "positif"
    import_counts(store, data, mapping={"positif": "new_cases"})
    assert stored(store, A1, "2021-08-02")["new_cases"] == 8


def test_positif_mapped_as_cumulative(store):
    data = csv("tanggal,kode,positif", f"2021-08-01,{A1},5", f"2021-08-02,{A1},8")
    import_counts(store, data, mapping={"positif": "cases_total"})
    assert not has_day(store, A1, "2021-08-01")  # the first day has no daily value
    assert stored(store, A1, "2021-08-02")["new_cases"] == 3


def test_positif_with_daily_column_is_the_cumulative_total(store):
    data = csv("tanggal,kode,kasus_baru,positif", f"2021-08-01,{A1},2,5")
    frame, report = read_counts(data, store.regions())
    assert report.facts["columns"]["cases_total"] == "positif"
    assert frame["new_cases"].tolist() == [2]


def test_positif_with_tests_mentions_positives(store):
    data = csv("tanggal,kode,tes,positif", f"2021-08-01,{A1},10,5")
    rejected(store, data, "column 'positif'", "positive tests (positives)")


def test_two_columns_for_one_field(store):
    data = csv("tanggal,kode,kasus_baru,cases", f"2021-08-01,{A1},2,3")
    rejected(store, data, "'kasus_baru' and 'cases'", "new_cases", "mapping", "cases=ignore")
    import_counts(store, data, mapping={"cases": "ignore"})
    assert stored(store, A1, "2021-08-01")["new_cases"] == 2


def test_region_columns_of_two_levels_are_the_place_and_where_it_lies(store):
    data = csv("tanggal,kode_kab,kode_desa,kasus_baru", f"2021-08-01,33.01,{A1},2")
    result = import_counts(store, data)
    assert "place: column `kode_desa`" in result.report.read
    assert "place is looked for in: column `kode_kab`" in result.report.read
    assert stored(store, A1, "2021-08-01")["new_cases"] == 2
    # a village outside the regency its row names is refused
    data = csv("tanggal,kode_kab,kode_desa,kasus_baru", f"2021-08-02,33.02,{A1},2")
    rejected(store, data, "row 2, column 'kode_desa'", f"the region {A1} is not in 33.02")
    # columns of the same level still ask which one
    data = csv("tanggal,kode_desa,kode_kelurahan,kasus_baru", f"2021-08-01,{A1},{A2},2")
    rejected(store, data, "'kode_desa' and 'kode_kelurahan'", "all look like the region")


def test_code_column_is_used_beside_name_column(store):
    data = csv("tanggal,kode_desa,nama_desa,kasus_baru", f"2021-08-01,{A1},Desa Salah,2")
    result = import_counts(store, data)
    assert "'nama_desa'" in str(result.report.warnings[0])
    assert stored(store, A1, "2021-08-01")["new_cases"] == 2


def test_name_column_level_decides_between_same_names(store):
    regions = store.regions()
    same = pd.DataFrame(
        [("33.01.01", "Satu", "district", "33.01", 1.0)], columns=regions.columns
    )  # a kecamatan named like the kabupaten
    regions = pd.concat([regions, same], ignore_index=True)
    data = csv("tanggal,kabupaten,kasus_baru", "2021-08-01,Satu,2")
    frame, report = read_counts(data, regions)
    assert not report.has_errors, report.issues
    assert frame["region"].tolist() == ["33.01"]
    data = csv("tanggal,wilayah,kasus_baru", "2021-08-01,Satu,2")
    frame, report = read_counts(data, regions)
    assert frame["region"].tolist() == ["33.01.01"]  # the exact name, at any level


@pytest.mark.parametrize(
    ("mapping", "fragments"),
    [
        ({"kasus_baru": "cases_per_day"}, ["option --map", "'cases_per_day' is not a field"]),
        ({"kasus": "new_cases"}, ["option --map", "no column 'kasus'", "'kasus_baru'"]),
        (
            {"kasus_baru": "new_cases", "meninggal": "new_cases"},
            ["two columns for new_cases"],
        ),
    ],
    ids=["unknown-field", "missing-column", "two-for-one"],
)
def test_bad_mappings(store, mapping, fragments):
    data = csv("tanggal,kode,kasus_baru,meninggal", f"2021-08-01,{A1},2,0")
    rejected(store, data, *fragments, mapping=mapping)


def test_region_and_code_columns_are_two_region_columns(store):
    data = csv("date,region,kode_desa,new_cases", f"2021-08-01,{A2},{A1},2")
    rejected(store, data, "'region' and 'kode_desa'", "all look like the region")
    import_counts(store, data, mapping={"region": "region", "kode_desa": "ignore"})
    assert stored(store, A2, "2021-08-01")["new_cases"] == 2


def test_percentages_written_as_fractions_are_questioned(store):
    data = csv("tanggal,kode,bor", f"2021-08-01,{A1},0.85", f"2021-08-02,{A1},0.9")
    _, report = read_counts(data, store.regions())
    assert not report.has_errors
    assert "column 'bor': every value is at most 1" in str(report.warnings[0])


# --- cumulative series -----------------------------------------------------------------------


def test_cumulative_jateng_style_derivation(store):
    data = csv(
        "tanggal,kode,positif,dirawat,sembuh,meninggal",
        f"2021-08-01,{A1},100,20,75,5",
        f"2021-08-02,{A1},110,25,79,6",
        f"2021-08-04,{A1},115,25,84,6",  # after a missing day: no daily value
        f"2021-08-05,{A1},120,20,93,7",
        f"2021-08-07,{A1},120,15,98,7",  # unchanged across a gap: no new cases
        f"2021-08-01,{B1},0,0,0,0",  # a series that starts before the first case
        f"2021-08-02,{B1},2,2,0,0",
    )
    result = import_counts(store, data)
    warning = str(result.report.warnings[0])
    assert "'positif' is read as the cumulative total" in warning
    assert "'sembuh' and 'meninggal'" in warning
    assert result.report.facts["derived"] == {
        "new_cases": "differences of 'positif'",
        "deaths": "differences of 'meninggal'",
    }
    assert not has_day(store, A1, "2021-08-01")  # first day of the series: missing, not zero
    assert not has_day(store, A1, "2021-08-03")  # never zero-filled
    assert stored(store, A1, "2021-08-02")[["new_cases", "deaths"]].tolist() == [10, 1]
    assert np.isnan(stored(store, A1, "2021-08-04")["new_cases"])
    assert stored(store, A1, "2021-08-04")["deaths"] == 0  # unchanged total
    assert stored(store, A1, "2021-08-05")[["new_cases", "deaths"]].tolist() == [5, 1]
    assert stored(store, A1, "2021-08-07")[["new_cases", "deaths"]].tolist() == [0, 0]
    assert stored(store, B1, "2021-08-01")[["new_cases", "deaths"]].tolist() == [0, 0]
    assert stored(store, B1, "2021-08-02")["new_cases"] == 2
    assert store.meta()["as_of"] == "2021-08-07"


def test_new_cases_from_active_recovered_and_deaths(store):
    data = csv(
        "tanggal,kode,isolasi,sembuh,total_meninggal",
        f"2021-08-01,{A2},10,5,1",
        f"2021-08-02,{A2},12,6,1",
    )
    frame, report = read_counts(data, store.regions())
    assert report.facts["derived"]["new_cases"] == "differences of 'isolasi' + 'sembuh' + " + (
        "'total_meninggal'"
    )
    assert frame["new_cases"].tolist()[1] == 3 and np.isnan(frame["new_cases"].iloc[0])
    assert frame["deaths"].tolist()[1] == 0


def test_a_falling_cumulative_total_is_a_correction_with_a_warning(store):
    data = csv(
        "tanggal,kode,total_positif",
        f"2021-08-01,{A1},1234",
        f"2021-08-02,{A1},",
        f"2021-08-03,{A1},124",  # a typo: after a missing day, the day's value is missing
        f"2021-08-04,{A1},1240",
        f"2021-08-05,{A1},1238",  # a correction the day after: -2 new cases
        f"2021-08-06,{A1},1250",
    )
    result = import_counts(store, data)
    warnings = [str(w) for w in result.report.warnings]
    assert warnings[0].startswith(
        "row 4, column 'total_positif': the cumulative 'total_positif' falls from 1234 "
        "(row 2, 2021-08-01) to 124 on 2021-08-03 (region 33.01.01.2001): a correction; the "
        "day before is missing"
    )
    assert warnings[1] == (
        "row 6, column 'total_positif': the cumulative 'total_positif' falls from 1240 (row 5, "
        "2021-08-04) to 1238 on 2021-08-05 (region 33.01.01.2001): read as a correction of -2 "
        "that day, so 7-day sums stay the differences of the totals (--strict refuses such a "
        "file)"
    )
    assert result.report.facts["corrections"] == 2
    assert stored(store, A1, "2021-08-04")["new_cases"] == 1116
    assert stored(store, A1, "2021-08-05")["new_cases"] == -2
    assert stored(store, A1, "2021-08-06")["new_cases"] == 12
    assert not has_day(store, A1, "2021-08-03")  # missing, never zero


def test_strict_refuses_a_falling_total_and_names_the_option(store):
    data = csv("tanggal,kode,total_positif", f"2021-08-01,{A1},10", f"2021-08-02,{A1},8")
    exc = rejected(
        store, data, "row 3, column 'total_positif'", "falls from 10 (row 2, 2021-08-01) to 8",
        "--strict refuses a total that falls", strict=True,
    )  # fmt: skip
    assert exc.row == 3
    assert import_counts(store, data).changed == 1  # without --strict: a correction


def test_seven_day_sums_of_derived_values_are_the_differences_of_the_totals(store):
    """Corrections included, the 7-day sum ending on each day is the total that day minus
    the total 7 days before: nothing is lost or counted twice."""
    rng = np.random.default_rng(14)
    totals = np.cumsum(rng.integers(0, 30, 40))
    for k in (9, 17, 18, 30):  # totals revised down now and then
        totals[k] = totals[k - 1] - rng.integers(1, 20)
    days = pd.date_range("2021-06-01", periods=len(totals))
    data = csv("tanggal,kode,total_kasus", *(f"{d:%Y-%m-%d},{A2},{t}" for d, t in
                                               zip(days, totals, strict=True)))  # fmt: skip
    frame, report = read_counts(data, store.regions())
    assert not report.has_errors and report.facts["corrections"] == 4
    daily = frame.set_index("date")["new_cases"]
    assert (daily < 0).sum() == 4
    sums = daily.rolling(7).sum().to_numpy()[7:]
    assert (sums == totals[7:] - totals[:-7]).all()


def test_only_recovered_is_not_enough(store):
    data = csv("tanggal,kode,sembuh", f"2021-08-01,{A1},5")
    rejected(store, data, "no daily counts to import", "'sembuh'")


# --- bad input: one test per kind --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (b"", ["the file is empty"]),
        (b"\n \n", ["the file is empty"]),
        (b"tanggal,kode,kasus_baru\n", ["header but no rows"]),
        (b"tanggal,kode,kasus_baru\n2021-08-01,\x00\x00,1\n", ["not a text (CSV) file"]),
        (
            b"tanggal,kode,kasus_baru\n" + b"2" * (2 * 2**20) + b"\n",
            ["line 2 of the file is 2.0 MB long"],
        ),
        (b"PK\x03\x04" + b"\x00" * 40, ["Excel workbook but it cannot be read"]),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 40, ["old Excel workbook (.xls)"]),
        (
            csv("tanggal,kode,kasus_baru", f"2021-08-01,{A1},5,7"),
            ["row 2", "has 4 cells but the header has 3"],
        ),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "binary",
        "huge-line",
        "bad-zip",
        "xls",
        "ragged",
    ],
)
def test_bad_files(store, data, fragments):
    rejected(store, data, *fragments)


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        ([f"2021-08-01,{A1},-3,0"], ["row 2, column 'kasus_baru': '-3' is negative"]),
        ([f"2021-08-01,{A1},lima,0"], ["row 2, column 'kasus_baru': 'lima' is not a number"]),
        ([f"2021-08-01,{A1},12.5,0"], ["row 2, column 'kasus_baru'", "not a whole number"]),
        ([f"2021-08-01,{A1},1,x"], ["row 2, column 'meninggal_harian': 'x' is not a number"]),
        (
            [f"2021-08-01,{A1},1,0", "2021-08-01,33.09.01.2001,1,0"],
            ["row 3, column 'kode'", "unknown region code '33.09.01.2001'"],
        ),
        (["2021-08-01,Desa Z9,1,0"], ["row 2, column 'kode'", "unknown region 'Desa Z9'"]),
        (
            ["2021-08-01,Semarang,1,0"],
            ["row 2, column 'kode'", "'Semarang' fits several regions", "33.22", "33.74"],
        ),
        ([f"2021-02-30,{A1},1,0"], ["row 2, column 'tanggal': '2021-02-30' is not a date"]),
        ([f"kemarin,{A1},1,0"], ["row 2, column 'tanggal': 'kemarin' is not a date"]),
        ([f",{A1},1,0"], ["row 2, column 'tanggal': the date is empty"]),
        ([f"2099-08-01,{A1},1,0"], ["row 2, column 'tanggal'", "in the future"]),
        (["2021-08-01,,1,0"], ["row 2, column 'kode': the region is empty"]),
        (
            [f"2021-08-01,{A1},1,0", f"2021-08-02,{A1},1,0", f"2021-08-01,{A1},2,0"],
            [
                "row 4: region 33.01.01.2001 on 2021-08-01 is also in row 2 with different "
                "values (new_cases 2 here, 1 there)"
            ],
        ),
    ],
    ids=[
        "negative",
        "text",
        "decimal",
        "text-deaths",
        "unknown-code",
        "unknown-name",
        "ambiguous-name",
        "impossible-date",
        "word-date",
        "empty-date",
        "future-date",
        "empty-region",
        "conflicting-duplicate",
    ],
)
def test_bad_cells(store, rows, fragments):
    rejected(store, csv("tanggal,kode,kasus_baru,meninggal_harian", *rows), *fragments)


def test_positives_more_than_tests(store):
    data = csv("tanggal,kode,jumlah_tes,tes_positif", f"2021-08-01,{A1},10,11")
    rejected(
        store, data, "row 2, column 'tes_positif': 11 positive tests is more than the 10 tests"
    )


def test_percentage_out_of_range(store):
    data = csv("tanggal,kode,bor", f'2021-08-01,{A1},"120,5"')
    rejected(store, data, "row 2, column 'bor': '120,5' is not a percentage between 0 and 100")


@pytest.mark.parametrize(
    ("header", "fragments"),
    [
        ("hari_ke,kode,kasus_baru", ["no date column", "'hari_ke'", "COLUMN=date"]),
        ("tanggal,lokasi_x,kasus_baru", ["no region column", "--region"]),
        ("tanggal,kode,keterangan", ["no count columns", "'keterangan'"]),
    ],
    ids=["no-date", "no-region", "no-counts"],
)
def test_missing_columns(store, header, fragments):
    rejected(store, csv(header, f"2021-08-01,{A1},1"), *fragments)


def test_unknown_region_argument(store):
    data = csv("tanggal,kasus_baru", "2021-08-01,1")
    rejected(store, data, "option --region", "unknown region 'Kota Tiga'", region="Kota Tiga")


def test_region_argument_and_other_regions_in_the_file(store):
    data = csv("tanggal,kode,kasus_baru", f"2021-08-01,{A1},1", f"2021-08-01,{B1},1")
    rejected(store, data, "row 3, column 'kode'", f"for {B1}", f"for {A1}", region=A1)


def test_many_bad_rows_are_counted_not_all_listed(store):
    rows = [f"2021-08-01,{A1},x{i},0" for i in range(250)]
    exc = rejected(store, csv("tanggal,kode,kasus_baru,meninggal_harian", *rows), "row 2")
    report = exc.report
    assert report.counts["error"] == 250
    assert len(report.errors) == 101
    assert str(report.errors[-1]) == (
        "row 102, column 'kasus_baru': this and 149 more rows have the same kind of problem "
        "(the last is row 251)"
    )
    assert "(and 249 more errors)" in str(exc)


def test_errors_are_listed_in_file_order(store):
    data = csv(
        "tanggal,kode,kasus_baru",
        f"2021-08-01,{A1},x",
        f"bad,{A1},1",
        "2021-08-01,Nowhere,1",
    )
    _, report = read_counts(data, store.regions())
    assert [e.row for e in report.errors] == [2, 3, 4]


# --- duplicates, revisions, idempotence ----------------------------------------------------


def test_identical_duplicate_rows_are_kept_once(store):
    data = csv(
        "tanggal,kode,kasus_baru",
        f"2021-08-01,{A1},1.234",
        f"2021-08-02,{A1},3",
        f"01/08/2021,{A1.replace('.', '')},1234",  # the same row written differently
    )
    result = import_counts(store, data)
    assert [str(w) for w in result.report.warnings] == [
        f"row 4: the same as row 2 (region {A1}, 2021-08-01); kept once"
    ]
    assert result.changed == 2
    assert stored(store, A1, "2021-08-01")["new_cases"] == 1234


def test_revision_keeps_history_and_latest_wins(store):
    first = import_counts(store, csv("tanggal,kode,kasus_baru", f"2021-07-20,{A1},1"))
    assert first.changed == 0  # the tiny store already has 1 new case on that day
    second = import_counts(
        store, csv("tanggal,kode,kasus_baru", f"2021-07-20,{A1},9", f"2021-07-21,{A1},1")
    )
    assert second.changed == 1
    row = stored(store, A1, "2021-07-20")
    assert row["new_cases"] == 9
    assert row["tests"] == 10  # fields the file lacks keep their stored values
    history = store.count_history(A1)
    assert len(history) == 1
    assert history.iloc[0]["new_cases"] == 1
    assert history.iloc[0]["replaced_by"] == second.upload_id
    assert store.meta()["as_of"] == "2021-07-21"  # not moved back


def test_same_file_twice_is_a_duplicate(store):
    data = csv("tanggal,kode,kasus_baru", f"2021-08-01,{A1},5")
    first = import_counts(store, data, filename="a.csv")
    before = snapshot(store)
    again = import_counts(store, data, filename="a (1).csv")
    assert (again.upload_id, again.duplicate_of, again.changed) == (None, first.upload_id, 0)
    assert "already imported" in again.summary()
    assert_unchanged(store, before)


def test_same_bytes_with_other_options_are_not_a_duplicate(store):
    data = csv("tanggal,kasus_baru", "2021-08-01,5")
    import_counts(store, data, region=A1)
    result = import_counts(store, data, region=A2)
    assert result.duplicate_of is None and result.changed == 1
    assert stored(store, A2, "2021-08-01")["new_cases"] == 5


def test_same_data_in_another_file_changes_nothing(store):
    import_counts(store, csv("tanggal,kode,kasus_baru", f"2021-08-01,{A1},1234"))
    counts = store.counts()
    again = import_counts(store, csv("Tanggal,Kode,Kasus Baru", f"01/08/2021,{A1},1.234", sep=";"))
    assert again.duplicate_of is None and again.upload_id is not None
    assert again.changed == 0
    assert store.uploads().iloc[-1]["changed"] == 0
    pd.testing.assert_frame_equal(store.counts(), counts)
    assert len(store.count_history(A1)) == 0


def test_rows_without_values_are_not_written(store):
    data = csv("tanggal,kode,total_positif", f"2021-08-01,{A1},10", f"2021-08-02,{B1},10")
    before = store.counts()
    result = import_counts(store, data)
    assert result.changed == 0 and result.upload_id is not None
    pd.testing.assert_frame_equal(store.counts(), before)
    assert store.meta()["as_of"] == "2021-07-21"


# --- scale and robustness --------------------------------------------------------------------


def test_large_file_imports(store):
    days = pd.date_range("2021-08-01", periods=500).strftime("%d/%m/%Y")
    lines = ["tanggal;kode;kasus_baru;tes"]
    for code in (A1, A2, B1, B2):
        lines += [f"{d};{code};{1000 + k:,};{2000 + k}".replace(",", ".") for k, d in
                  enumerate(days)]  # fmt: skip
    data = ("\n".join(lines) + "\n").encode()
    result = import_counts(store, data)
    assert result.rows == 2000 and result.changed == 2000
    assert stored(store, B2, "2021-08-02")[["new_cases", "tests"]].tolist() == [1001, 2001]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_report_or_input_error(data):
    regions = _REGIONS
    try:
        frame, report = read_counts(data, regions)
    except InputError:
        return
    assert isinstance(frame, pd.DataFrame)
    assert report.has_errors or list(frame.columns[:2]) == ["region", "date"]


_CELLS = st.sampled_from(
    ["", "2021-08-01", "03/08/2021", "3 Mei 2021", A1, "3301012001", "Desa A1", "Semarang",
     "1", "1.234", "1,5", "-2", "x", '"', "0", "100"]
)  # fmt: skip
_HEADERS = st.sampled_from(
    ["tanggal", "kode", "kasus_baru", "positif", "sembuh", "meninggal", "dirawat", "tes",
     "tes_positif", "bor", "wilayah", "x", ""]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_HEADERS, min_size=1, max_size=6),
    st.lists(st.lists(_CELLS, min_size=0, max_size=7), max_size=8),
    st.sampled_from([",", ";", "\t"]),
)
def test_arbitrary_tables_give_a_report_or_input_error(header, rows, sep):
    data = "\n".join(sep.join(r) for r in [header, *rows]).encode()
    try:
        frame, report = read_counts(data, _REGIONS)
    except InputError:
        return
    if not report.has_errors:
        assert not frame.duplicated(["region", "date"]).any()
        fields = [c for c in frame.columns if c not in ("region", "date")]
        negative = (frame[fields].fillna(0) < 0).any()
        # only a value derived from a falling total is below zero: a correction, said so
        assert set(negative.index[negative]) <= set(report.facts.get("derived", {}))
        assert not negative.any() or report.facts["corrections"] > 0


def _tiny_regions() -> pd.DataFrame:
    frame = pd.DataFrame(tiny_regions().drop(columns="geometry"))
    extra = pd.DataFrame(
        [
            (SEMARANG_KAB, "Kabupaten Semarang", "regency", "33", 1.0),
            (SEMARANG_KOTA, "Kota Semarang", "regency", "33", 1.0),
        ],
        columns=frame.columns,
    )
    return pd.concat([frame, extra], ignore_index=True)


_REGIONS = _tiny_regions()


# --- fuzzing: valid files written every way, then damaged --------------------------------------

_NAMES = {A1: "Desa A1", A2: "Desa A2", B1: "Kelurahan B1", B2: "Kelurahan B2"}
_HEADS = {
    "date": ("tanggal", "Tanggal", "DATE", "tgl lapor", "Tanggal_Laporan"),
    "code": ("kode", "Kode Wilayah", "region", "kode_desa", "KODE"),
    "name": ("desa", "Nama Wilayah", "kelurahan", "wilayah"),
    "new_cases": ("kasus_baru", "Kasus Baru", "new_cases", "konfirmasi harian"),
    "deaths": ("meninggal_harian", "deaths", "Kematian Baru"),
}
_DATE_FORMS = (
    lambda d: f"{d:%Y-%m-%d}", lambda d: f"{d:%d/%m/%Y}", lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{d:%d.%m.%Y}", lambda d: f"{d.day} {['Juli', 'Agustus'][d.month - 7]} {d.year}",
    lambda d: f"{d.day} {d:%b} {d.year}", lambda d: f"{d:%Y-%m-%d} 00:00:00",
)  # fmt: skip
_COUNT_FORMS = (
    str, lambda v: f"{v:,}".replace(",", "."), lambda v: f"{v:,}",
    lambda v: f"{v:,}".replace(",", " "), lambda v: f"{v}.0", lambda v: f"{v},00",
)  # fmt: skip
_MISSING = ("", "-", "NA", "n/a", "null", " ")
# What a person (or a broken program) puts in a cell instead.
_BAD_CELLS = st.one_of(
    st.sampled_from(
        ["", " ", "NaN", "inf", "-inf", "Infinity", "1e999", "9" * 16, "9" * 400, "-1", "1e3",
         "1.5", "12,5", "٣", "１２", "²", "0x10", "1_000", "True", '"', "2021-02-30",
         "31/02/2021", "0000-01-01", "9999-12-31", "2262-04-12", "1/1/1899", "٢٠٢١-٠٧-٠٣",
         "2099-01-01", "Desa Z", "33.99", "33.01.01", "3301012001", "Semarang", "🙂", "=1+1",
         "1 234", "-", "#N/A", "\u00a0", "1.234.567.890.123.456"]
    ),
    st.text(max_size=8),
)  # fmt: skip


@st.composite
def _counts_file(draw):
    """``(bytes, expected frame)``: a valid counts file written one of the ways analysts do."""
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(list(_NAMES)), st.integers(15, 31 + 20)),
            min_size=1, max_size=8, unique=True,
        )
    )  # fmt: skip
    by_name = draw(st.booleans())
    with_deaths = draw(st.booleans())
    values = st.one_of(st.integers(0, 50), st.integers(0, 10**12))
    rows, expected = [], []
    for code, day in keys:
        date = dt.date(2021, 7, 1) + dt.timedelta(days=day - 1)
        cases = draw(values)
        deaths = draw(st.one_of(st.none(), values)) if with_deaths else None
        region = _NAMES[code] if by_name else draw(
            st.sampled_from([code, code.replace(".", ""), f" {code} "])
        )  # fmt: skip
        cells = {
            "date": draw(st.sampled_from(_DATE_FORMS))(date),
            "region": region,
            "new_cases": draw(st.sampled_from(_COUNT_FORMS))(cases),
        }
        if with_deaths:
            cells["deaths"] = (
                draw(st.sampled_from(_MISSING)) if deaths is None
                else draw(st.sampled_from(_COUNT_FORMS))(deaths)
            )  # fmt: skip
        rows.append(cells)
        expected.append(
            {"region": code, "date": pd.Timestamp(date), "new_cases": float(cases),
             **({"deaths": np.nan if deaths is None else float(deaths)} if with_deaths else {})}
        )  # fmt: skip
    fields = ["date", "region", "new_cases", *(["deaths"] if with_deaths else [])]
    heads = {
        "date": draw(st.sampled_from(_HEADS["date"])),
        "region": draw(st.sampled_from(_HEADS["name" if by_name else "code"])),
        "new_cases": draw(st.sampled_from(_HEADS["new_cases"])),
        "deaths": draw(st.sampled_from(_HEADS["deaths"])),
    }
    order = draw(st.permutations(fields))
    grid = [[heads[f] for f in order], *[[r[f] for f in order] for r in rows]]
    if draw(st.booleans()):  # a column nobody maps: a warning, not an error
        grid = [[*grid[0], "Catatan"], *[[*r, draw(st.sampled_from(["", "café – ulang", "ok"]))]
                                        for r in grid[1:]]]  # fmt: skip
    frame = pd.DataFrame(expected)
    return grid, order, frame


def _serialise(draw, grid: list[list[str]]) -> bytes:
    form = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "xlsx"]))
    if form == "xlsx" and not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", c) for r in grid
                                  for c in r):  # fmt: skip
        return xlsx(grid)  # (a workbook cannot hold control characters)
    out = io.StringIO()
    writer = csv_module.writer(
        out,
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        quoting=draw(st.sampled_from([csv_module.QUOTE_MINIMAL, csv_module.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
    )
    for i, row in enumerate(grid):
        writer.writerow(row)
        if i and draw(st.integers(0, 9)) == 0:
            writer.writerow([""] * len(row))  # a blank row between
    return out.getvalue().encode("utf-8" if form == "xlsx" else form, errors="replace")


@st.composite
def _damaged_counts_file(draw):
    """``(bytes, expected, mutation, where)``: a valid file, then perhaps one thing wrong."""
    grid, order, expected = draw(_counts_file())
    mutation = draw(
        st.sampled_from(["none", "none", "drop", "duplicate", "rename", "cell", "cell", "line",
                         "bytes", "cut"])
    )  # fmt: skip
    where: tuple = ()
    grid = [list(r) for r in grid]
    if mutation == "drop":
        k = draw(st.integers(0, len(order) - 1))
        where = (order[k],)
        grid = [r[:k] + r[k + 1 :] for r in grid]
    elif mutation == "duplicate":
        k = draw(st.integers(0, len(order) - 1))
        where = (order[k],)
        grid = [[*r, r[k]] for r in grid]
    elif mutation == "rename":
        k = draw(st.integers(0, len(order) - 1))
        where = (order[k],)
        grid[0][k] = draw(st.sampled_from(["", "x", "kolom 3", grid[0][k] + "?", "🙂"]))
    elif mutation == "cell":
        i = draw(st.integers(1, len(grid) - 1))
        k = draw(st.integers(0, len(order) - 1))
        grid[i][k] = draw(_BAD_CELLS)
        where = (order[k], i - 1, grid[i][k])
    elif mutation == "line":
        i = draw(st.integers(1, len(grid)))
        grid.insert(i, draw(st.lists(_BAD_CELLS, max_size=len(grid[0]) + 1)))
        where = (i - 1,)
    data = _serialise(draw, grid)
    if mutation == "bytes":
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at + 1 :]
    elif mutation == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    return data, expected, mutation, where


def _count_of(text: str) -> float | None:
    """The count a cell means (NaN: no value), or None when it is not a count."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if not t or t.lower() in ("na", "n/a", "#n/a", "nan", "-", "null"):
        return np.nan
    for pattern in (
        r"[0-9]{1,15}(?:[.,]0{1,2})?",  # 1234, 1234.0, 1234,00
        r"[0-9]{1,3}(?:\.[0-9]{3}){1,4}(?:,0{1,2})?",  # 1.234.567
        r"[0-9]{1,3}(?:,[0-9]{3}){1,4}(?:\.0{1,2})?",  # 1,234,567
    ):
        if re.fullmatch(pattern, t):
            return float(re.sub(r"[.,]", "", re.sub(r"[.,]0{1,2}$", "", t)))
    return None


def _check_read(data: bytes, expected: pd.DataFrame, mutation: str, where: tuple):
    """read_counts gives a report with clear errors, or the right daily counts."""
    frame, report = read_counts(data, _REGIONS, filename="fuzz.csv")
    if report.has_errors:
        assert mutation != "none", [str(i) for i in report.errors]
        for issue in report.errors:
            assert issue.message and str(issue)
        if mutation == "duplicate":
            assert "appears more than once" in str(report.errors[0])
        if mutation == "drop" and where[0] in ("date", "region"):
            assert f"no {where[0]} column" in str(report.errors[0])
        return None
    if mutation == "duplicate" or (mutation == "drop" and where[0] in ("date", "region")):
        raise AssertionError(f"{mutation} {where} was accepted")
    fields = [c for c in frame.columns if c not in ("region", "date")]
    assert not frame.duplicated(["region", "date"]).any()
    got = frame[fields].to_numpy(float)
    assert not np.isinf(got).any() and not (got < 0).any()
    damaged_row = where[1] if mutation == "cell" else None
    check = expected.drop(index=[damaged_row] if damaged_row is not None else [])
    if mutation in ("bytes", "cut", "line"):
        return frame  # (what the file holds is unknown; the import test checks the store)
    if mutation in ("drop", "rename") and where[0] in ("new_cases", "deaths"):
        kept = [f for f in check.columns if f in ("region", "date") or f in fields]
        check = check[kept].dropna(subset=kept[2:], how="all")
    merged = check.merge(frame, on=["region", "date"], how="left", suffixes=("", "_read"))
    for f in [c for c in check.columns if c not in ("region", "date")]:
        want, have = merged[f].to_numpy(float), merged[f"{f}_read"].to_numpy(float)
        assert ((want == have) | (np.isnan(want) & np.isnan(have))).all(), (f, merged)
    if damaged_row is not None and where[0] in ("new_cases", "deaths"):
        key = expected.loc[damaged_row, ["region", "date"]]
        row = frame[(frame["region"] == key["region"]) & (frame["date"] == key["date"])]
        meant = _count_of(where[2])
        assert meant is not None, f"{where[2]!r} was read as a count"
        assert len(row) == 1
        value = row[where[0]].iloc[0]
        assert value == meant or (np.isnan(value) and np.isnan(meant)), (where, value)
    return frame


@fuzz(80)
@given(_damaged_counts_file())
def test_fuzz_damaged_counts_files_read_right_or_report_clearly(case):
    event(f"mutation: {case[2]}")
    event("accepted" if _check_read(*case) is not None else "rejected")


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite file of the tiny store, copied for each example."""
    path = tmp_path_factory.mktemp("template") / "tiny.db"
    write_store(path, tiny_regions(), tiny_counts()).engine.dispose()
    return path


@fuzz(30)
@given(case=_damaged_counts_file())
def test_fuzz_import_writes_the_file_or_nothing(template_db, tmp_path_factory, case):
    data, expected, mutation, _ = case
    path = tmp_path_factory.mktemp("fuzz") / "store.db"
    shutil.copy(template_db, path)
    store = Store(str(path))
    try:
        before = snapshot(store)
        old = before[0].set_index(["region", "date"])
        try:
            result = import_counts(store, data, filename="fuzz.csv")
        except UploadRejected as exc:
            assert mutation != "none", str(exc)
            assert str(exc).endswith("nothing was imported") and exc.report.has_errors
            assert_unchanged(store, before)
            event("rejected")
            return
        event("imported")
        counts = store.counts().set_index(["region", "date"])
        uploads = store.uploads()
        assert len(uploads) == len(before[1]) + 1 and result.upload_id == uploads["id"].max()
        assert store.data_version() == before[2] + 1
        # every region-day read holds its value (an empty cell keeps the old); any damage
        frame, _ = read_counts(data, _REGIONS)
        for field in [c for c in frame.columns if c not in ("region", "date")]:
            given_ = frame.set_index(["region", "date"])[field]
            written = given_.dropna()
            assert (counts.loc[written.index, field] == written).all(), field
            total = counts.loc[written.index, field].sum()
            assert total == written.sum()
            for key in given_.index[given_.isna()]:
                if key in old.index and key in counts.index:
                    want, got = old.loc[key, field], counts.loc[key, field]
                    assert want == got or (pd.isna(want) and pd.isna(got))
        if mutation == "none":
            keys = pd.MultiIndex.from_frame(expected[["region", "date"]])
            assert (counts.loc[keys, "new_cases"].to_numpy() == expected["new_cases"]).all()
        # nothing else changed: no region-day lost, those the file does not name as they were
        assert old.index.isin(counts.index).all()
        others = old.index.difference(pd.MultiIndex.from_frame(frame[["region", "date"]]))
        pd.testing.assert_frame_equal(counts.loc[others, old.columns], old.loc[others])
        revised = sum(len(store.count_history(r)) for r in _NAMES) - sum(before[4].values())
        assert result.changed >= revised >= 0
        assert store.meta()["as_of"] >= before[3]
        # the same file again changes nothing
        again = import_counts(store, data, filename="fuzz.csv")
        assert again.duplicate_of == result.upload_id and store.data_version() == before[2] + 1
    finally:
        store.engine.dispose()


def test_bor_is_indonesias_bed_occupancy_never_cdcs_bed_share(store):
    """ "BOR" and "keterisian TT" are the occupancy of the beds set aside for COVID-19 (judged
    against 60 % and 80 %), never CDC's share of all staffed beds (10 % and 15 %): 40 % BOR
    must not make a CDC level "high"."""
    data = csv(
        "tanggal,kode,keterisian_tt,tt_covid,covid_inpatient_bed_utilization,tt_rawat_inap",
        f"2021-08-01,{A1},40,50,4,500",
    )
    frame, report = read_counts(data, store.regions())
    assert report.facts["columns"]["bor_covid_pct"] == "keterisian_tt"
    assert report.facts["columns"]["beds_covid"] == "tt_covid"
    assert report.facts["columns"]["inpatient_covid_pct"] == "covid_inpatient_bed_utilization"
    assert report.facts["columns"]["beds_staffed"] == "tt_rawat_inap"
    row = frame.iloc[0]
    assert (row["bor_covid_pct"], row["inpatient_covid_pct"]) == (40.0, 4.0)
    assert (row["beds_covid"], row["beds_staffed"]) == (50.0, 500.0)


# --- issue 14: the files offices keep ------------------------------------------------------------


def test_a_repeated_day_names_the_option_and_first_or_last_decides(store):
    data = csv(
        "tanggal,kode,total_kasus",
        f"2021-08-01,{A1},10",
        f"2021-08-02,{A1},12",
        f"2021-08-02,{A1},15",  # a later snapshot of the same day
        f"2021-08-03,{A1},16",
    )
    exc = rejected(store, data, "row 4: region 33.01.01.2001 on 2021-08-02 is also in row 3",
                   "--duplicates first", "--duplicates last", "'repeated days'")  # fmt: skip
    assert exc.report.counts["error"] == 1
    last = read_counts(data, store.regions(), duplicates="last")
    first = read_counts(data, store.regions(), duplicates="first")
    for (frame, report), kept, dropped in ((last, 15, 3), (first, 12, 4)):
        assert not report.has_errors
        assert frame["new_cases"].tolist()[1:] == [kept - 10, 16 - kept]
        (warning,) = report.warnings[-1:]
        assert warning.row == dropped and "--duplicates" in warning.message
        assert report.facts["duplicates_left_out"] == 1
    result = import_counts(store, data, duplicates="last")
    assert stored(store, A1, "2021-08-03")["new_cases"] == 1
    assert result.report.facts["options"]["duplicates"] == "last"


def test_the_report_says_which_column_was_taken_for_what(store):
    data = csv("Tanggal,Kode,Total Kasus,Sembuh,Meninggal,Suspek,Probable",
               f"2021-08-01,{A1},10,5,1,7,2", f"2021-08-02,{A1},12,6,1,8,2")  # fmt: skip
    _, report = read_counts(data, store.regions())
    assert not report.warnings  # suspek and probable are known, not "columns not used"
    assert report.read[:3] == [
        "place: column `kode`", "date: column `tanggal`", "total cases: column `total kasus`",
    ]  # fmt: skip
    assert "column `suspek`: counted by surveillance but read by no scheme; not stored" in (
        report.read
    )
    assert "new cases: differences of 'total kasus', day by day" in report.read


def test_self_isolating_and_hospitalised_make_the_active_cases(store):
    data = csv("tanggal,kode,dirawat,isolasi_mandiri,sembuh,meninggal",
               f"2021-08-01,{A1},2,3,10,1", f"2021-08-02,{A1},3,5,10,1")  # fmt: skip
    frame, report = read_counts(data, store.regions())
    assert report.facts["derived"]["new_cases"] == (
        "differences of 'dirawat' + 'isolasi_mandiri' + 'sembuh' + 'meninggal'"
    )
    assert frame["new_cases"].tolist()[1] == 3


def test_village_names_are_looked_for_within_the_district_column(store):
    regions = store.regions()
    twin = pd.DataFrame([("33.02.01.2003", "Desa A1", "village", "33.02.01", 10.0)],
                        columns=regions.columns)  # fmt: skip
    regions = pd.concat([regions, twin], ignore_index=True)
    data = csv(
        "tanggal,kecamatan,desa,kasus_baru",
        "2021-08-01,Kecamatan B,Desa A1,3",
        "2021-08-01,Kecamatan A,Desa A1,4",
    )
    frame, report = read_counts(data, regions)
    assert not report.has_errors, report.errors
    assert dict(zip(frame["region"], frame["new_cases"], strict=True)) == {
        "33.02.01.2003": 3, A1: 4,
    }  # fmt: skip
    assert "place is looked for in: column `kecamatan`" in report.read
    # without the district, the name is shared: no guess
    _, report = read_counts(csv("tanggal,desa,kasus_baru", "2021-08-01,Desa A1,3"), regions)
    assert "fits several regions" in str(report.errors[0])
    data = csv("tanggal,kecamatan,desa,kasus_baru", "2021-08-01,Kecamatan B,Desa A2,3")
    _, report = read_counts(data, regions)
    assert "unknown region 'Desa A2' in Kecamatan B (33.02.01)" in str(report.errors[0])


def test_a_wide_table_needs_to_say_what_its_numbers_are(store):
    data = csv("kode,01/08/2021,02/08/2021,03/08/2021", f"{A1},1,2,3", f"{A2},4,,6")
    exc = rejected(store, data, "option --values", "--values new_cases", "3 dates from "
                   "2021-08-01 to 2021-08-03", "'numbers under the dates'")  # fmt: skip
    assert exc.column == "--values"
    frame, report = read_counts(data, store.regions(), values="new_cases")
    assert not report.has_errors
    assert frame[frame["region"] == A2]["new_cases"].tolist()[::2] == [4, 6]
    assert np.isnan(frame[frame["region"] == A2]["new_cases"].iloc[1])  # empty: missing
    # a title that is a field's name says it
    titled = ("Kasus Baru\n" + data.decode()).encode()
    frame, report = read_counts(titled, store.regions())
    assert not report.has_errors and len(frame) == 6
    assert "the numbers under the dates: new_cases (from the title 'Kasus Baru')" in report.read


def test_a_bad_cell_of_a_wide_table_is_named_by_its_row_and_date_column(store):
    data = csv("kode,01/08/2021,02/08/2021", f"{A1},1,dua")
    _, report = read_counts(data, store.regions(), values="new_cases")
    assert str(report.errors[0]) == "row 2, column '02/08/2021': 'dua' is not a number"


def test_sheets_named_after_regencies_are_each_that_regency(store):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in {
        "Kab Satu": [["Rekap Kab Satu"], ["tanggal", "kasus_baru"], ["2021-08-01", 2],
                     ["2021-08-02", 3], ["JUMLAH", 5]],
        "KOTA DUA": [["tanggal", "kasus_baru"], ["2021-08-01", 7]],
    }.items():  # fmt: skip
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    frame, report = read_counts(out.getvalue(), store.regions())
    assert not report.has_errors, report.errors
    assert frame[["region", "new_cases"]].values.tolist() == [
        ["33.01", 2], ["33.01", 3], ["33.02", 7],
    ]  # fmt: skip
    assert "sheets: 'Kab Satu' for 33.01; 'KOTA DUA' for 33.02" in report.read
    (warning,) = report.warnings
    assert str(warning) == "sheet 'Kab Satu', row 5: a total row ('JUMLAH'); it is left out"
    # one sheet by name
    frame, _ = read_counts(out.getvalue(), store.regions(), sheet="KOTA DUA")
    assert frame["new_cases"].tolist() == [7]


def test_sheets_not_named_after_regions_read_the_first_and_say_how_to_read_the_rest(store):
    book = openpyxl.Workbook()
    book.active.title = "Juli"
    for row in (["tanggal", "kode", "kasus_baru"], ["2021-07-31", A1, 1]):
        book.active.append(row)
    august = book.create_sheet("Agustus")
    for row in (["tanggal", "kode", "kasus_baru"], ["2021-08-01", A1, 2]):
        august.append(row)
    out = io.BytesIO()
    book.save(out)
    frame, report = read_counts(out.getvalue(), store.regions())
    assert frame["new_cases"].tolist() == [1]
    assert "--sheet NAME, or read every sheet with --sheet all" in str(report.warnings[0])
    frame, report = read_counts(out.getvalue(), store.regions(), sheet="all")
    assert frame["new_cases"].tolist() == [1, 2]
    # a repeated day across sheets names the other sheet
    august.append(["2021-07-31", A1, 5])
    out = io.BytesIO()
    book.save(out)
    _, report = read_counts(out.getvalue(), store.regions(), sheet="all")
    assert str(report.errors[0]).startswith(
        "sheet 'Agustus', row 3: region 33.01.01.2001 on 2021-07-31 is also in row 2 of sheet "
        "'Juli' with different values"
    )


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [("duplicates", "latest", "option --duplicates: 'latest' is not a choice"),
     ("codes", "dagri", "option --codes: 'dagri' is not a choice"),
     ("values", "kasus", "option --values: 'kasus' is not a field")],
)  # fmt: skip
def test_choices_that_are_not_choices(store, option, value, fragment):
    rejected(store, csv("tanggal,kode,kasus_baru", f"2021-08-01,{A1},1"), fragment,
             **{option: value})  # fmt: skip


def test_a_formula_saved_without_its_value_is_refused_not_read_as_missing(store):
    """Bug (found by the fuzzer at a larger scale): a workbook cell holding a formula that was
    never calculated (``=1+1`` written by a program, not Excel) was read as an empty cell, so
    the day's count became missing without a word."""
    data = xlsx([["tanggal", "kode", "kasus_baru"], ["2021-08-01", A1, 3],
                 ["2021-08-02", A1, "=1+1"]])  # fmt: skip
    exc = rejected(store, data, "row 3, column 'kasus_baru': '=1+1' is a formula the workbook "
                   "was saved without calculating")  # fmt: skip
    assert exc.row == 3
    # a formula saved with its value (as Excel saves it) is its value
    import zipfile

    calculated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(calculated, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                assert b"<f>1+1</f><v />" in content
                content = content.replace(b"<f>1+1</f><v />", b"<f>1+1</f><v>2</v>")
            dst.writestr(name, content)
    frame, report = read_counts(calculated.getvalue(), store.regions())
    assert not report.has_errors and frame["new_cases"].tolist() == [3, 2]
