"""Write the corpus of real-shaped files in ``tests/data/corpus/`` (issue 14, item 6).

Every file holds the same made-up epidemic of three regencies of Jawa Tengah over two weeks
of July 2021 (:func:`daily_cases`), or a part of it, written the way offices write their
files: long and wide, CSV and XLSX, with a BOM, in Windows-1252, with title rows, merged
header cells, total rows, a sheet per regency, dates in three forms, names instead of codes,
BPS codes, scraped daily totals with a later snapshot of a day and a correction, and a line
list placed by village, RW and RT numbers. ``tests/intake/test_corpus.py`` imports each into
a fresh store and checks the exact counts it gives; ``docs/files.md`` lists what each shape
gives.

Run from the repository: ``python tests/make_corpus.py`` (the files are committed; the test
checks that this script still writes them as they are).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent / "data" / "corpus"
DAYS = [dt.date(2021, 7, 1) + dt.timedelta(days=k) for k in range(14)]
#: code, name as stored, name as a statistics table writes it, population, box (lon/lat)
REGENCIES = [
    ("33.22", "Kabupaten Semarang", "SEMARANG (KAB)", 1_053_094, (110.25, -7.35, 110.55, -7.05)),
    ("33.24", "Kabupaten Kendal", "KENDAL (KAB)", 1_018_505, (109.95, -7.10, 110.25, -6.85)),
    ("33.74", "Kota Semarang", "SEMARANG (KOTA)", 1_653_524, (110.30, -7.05, 110.50, -6.93)),
]
#: Villages of two districts of Kota Semarang: Kemendagri code, name, population, BPS code.
VILLAGES = [
    ("33.74.01.1001", "Miroto", 5_120, "3374050001"),
    ("33.74.01.1002", "Brumbungan", 4_310, "3374050002"),
    ("33.74.01.1003", "Jagalan", 6_045, "3374050003"),
    ("33.74.02.1001", "Bulu Lor", 9_870, "3374060001"),
    ("33.74.02.1002", "Plombokan", 7_455, "3374060002"),
]
MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"]  # fmt: skip
WEEKDAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def daily_cases(i: int, k: int) -> int:
    """New cases of regency ``i`` on day ``k``: the truth every file writes its own way."""
    return (7 * i + 3 * k) % 11 + 2 * i + (120 if i == 2 and k == 9 else 0)


def deaths(i: int, k: int) -> int:
    return (i + k) % 3


def village_cases(v: int, k: int) -> int:
    return (v + 2 * k) % 5


def total(i: int, k: int) -> int:
    """The cumulative total of regency ``i`` at the end of day ``k``."""
    return 1_000 * (i + 1) + sum(daily_cases(i, j) for j in range(k + 1))


def id_date(day: dt.date) -> str:
    """``Senin, 05 Juli 2021``."""
    return f"{WEEKDAYS_ID[day.weekday()]}, {day.day:02d} {MONTHS_ID[day.month - 1]} {day.year}"


def serial(day: dt.date) -> int:
    """Excel's serial number of a day."""
    return (day - dt.date(1899, 12, 30)).days


def _csv(rows: list[list[object]], sep: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator=newline).writerows(rows)
    return out.getvalue()


def workbook(
    sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None
) -> bytes:
    """An ``.xlsx`` workbook of these sheets (rows of cells) with these merged ranges."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for ref in (merges or {}).get(name, []):
            sheet.merge_cells(ref)
    book.properties.created = book.properties.modified = dt.datetime(2021, 7, 15)
    out = io.BytesIO()
    book.save(out)
    return _fixed_zip(out.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The workbook with fixed member times, so that it is written the same every time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2021, 7, 15, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # the time it was saved
                content = re.sub(
                    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2021-07-15T00:00:00Z", content
                )
            dst.writestr(fixed, content)
    return out.getvalue()


def files() -> dict[str, bytes]:
    """Every file of the corpus by name."""
    out: dict[str, bytes] = {}

    # --- the places: regencies with boundaries into an empty store; villages as a list
    features = [
        {"type": "Feature",
         "properties": {"KODE": code.replace(".", ""), "NAMOBJ": name, "PENDUDUK": pop},
         "geometry": {"type": "Polygon", "coordinates": [[(x0, y0), (x1, y0), (x1, y1),
                                                           (x0, y1), (x0, y0)]]}}
        for code, name, _, pop, (x0, y0, x1, y1) in REGENCIES
    ]  # fmt: skip
    out["00_regencies.geojson"] = json.dumps(
        {"type": "FeatureCollection", "features": features}, indent=1
    ).encode()
    out["00_villages.csv"] = _csv(
        [["kode_desa", "nama_desa", "jumlah_penduduk"],
         *[[c, n, p] for c, n, p, _ in VILLAGES]]
    ).encode()  # fmt: skip

    # --- 01: long, daily columns, the plain way
    rows = [["tanggal", "kode", "kasus_baru", "meninggal_harian"]]
    for k, day in enumerate(DAYS):
        for i, (code, *_rest) in enumerate(REGENCIES):
            rows.append([day.isoformat(), code, daily_cases(i, k), deaths(i, k)])
    out["01_long.csv"] = _csv(rows).encode()

    # --- 02: long, BOM, semicolons, day-first dates, CRLF, codes without dots
    rows = [["Tanggal", "Kode Wilayah", "Kasus Baru", "Meninggal Harian"]]
    for k, day in enumerate(DAYS):
        for i, (code, *_rest) in enumerate(REGENCIES):
            rows.append([f"{day:%d/%m/%Y}", code.replace(".", ""), daily_cases(i, k),
                         deaths(i, k)])  # fmt: skip
    out["02_long_bom_semicolon.csv"] = b"\xef\xbb\xbf" + _csv(rows, ";", "\r\n").encode()

    # --- 03: Windows-1252, names as statistics tables write them, a notes column
    rows = [["Tanggal", "Kab/Kota", "Kasus Baru", "Meninggal Harian", "Catatan"]]
    for k, day in enumerate(DAYS):
        for i, (_, _, written, *_rest) in enumerate(REGENCIES):
            note = "data pekan ini belum final – cek ulang" if k == 13 else ""
            rows.append([f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}", written,
                         daily_cases(i, k), deaths(i, k), note])  # fmt: skip
    out["03_names_cp1252.csv"] = _csv(rows, ";").replace("–", "\u2013").encode("cp1252")

    # --- 04: wide CSV, a title that says what the numbers are, TOTAL row and column
    header = ["NO", "KAB/KOTA", *[f"{d:%d/%m/%Y}" for d in DAYS], "TOTAL"]
    rows = [["Kasus Baru"], ["Rekap harian Jawa Tengah, per 14 Juli 2021"], [], header]
    for i, (_, _, written, *_rest) in enumerate(REGENCIES):
        cases = [daily_cases(i, k) for k in range(len(DAYS))]
        rows.append([i + 1, written, *cases, sum(cases)])
    sums = [sum(daily_cases(i, k) for i in range(len(REGENCIES))) for k in range(len(DAYS))]
    rows.append(["", "TOTAL", *sums, sum(sums)])
    width = len(header)
    out["04_wide_total_row.csv"] = _csv([r + [""] * (width - len(r)) for r in rows]).encode()

    # --- 05: wide XLSX: title rows, dates merged over new cases and deaths, a JUMLAH row
    top = ["No", "Kabupaten/Kota"]
    second = [None, None]
    for day in DAYS:
        top += [dt.datetime(day.year, day.month, day.day), None]
        second += ["Kasus Baru", "Meninggal Harian"]
    rows = [["REKAPITULASI KASUS COVID-19 JAWA TENGAH"], ["Sumber: Dinkes (contoh)"], [],
            top, second]  # fmt: skip
    for i, (_, name, *_rest) in enumerate(REGENCIES):
        row = [i + 1, name]
        for k in range(len(DAYS)):
            row += [daily_cases(i, k), deaths(i, k)]
        rows.append(row)
    rows.append(["JUMLAH", None, *[None] * (2 * len(DAYS))])
    last = len(rows)
    columns = 2 + 2 * len(DAYS)
    merges = ["A1:" + _cell(columns, 1), "A4:A5", "B4:B5", f"A{last}:B{last}"]
    merges += [f"{_cell(3 + 2 * k, 4)}:{_cell(4 + 2 * k, 4)}" for k in range(len(DAYS))]
    out["05_wide_merged.xlsx"] = workbook({"Rekap": rows}, {"Rekap": merges})

    # --- 06: a sheet per regency, dates in three forms, title rows, a JUMLAH row each
    sheets, merges = {}, {}
    for i, (_, name, *_rest) in enumerate(REGENCIES):
        rows = [[f"Laporan harian {name}"], [], ["Tanggal", "Kasus Baru", "Meninggal Harian"]]
        for k, day in enumerate(DAYS):
            when = (dt.datetime(day.year, day.month, day.day), id_date(day), serial(day))[k % 3]
            rows.append([when, daily_cases(i, k), deaths(i, k)])
        rows.append(["JUMLAH", sum(daily_cases(i, k) for k in range(len(DAYS))), None])
        sheets[name] = rows
        merges[name] = ["A1:C1"]
    out["06_sheet_per_regency.xlsx"] = workbook(sheets, merges)

    # --- 07: scraped cumulative totals: a day snapshotted twice, a total revised down
    rows = [["tanggal", "kode", "total_kasus", "sembuh", "meninggal"]]
    for k, day in enumerate(DAYS):
        for i, (code, *_rest) in enumerate(REGENCIES):
            t = _scraped_total(i, k)
            if i == 0 and k == 4:  # the morning's snapshot, then the evening's
                rows.append([day.isoformat(), code, t - 5, 0, 0])
            rows.append([day.isoformat(), code, t, 0, 0])
    out["07_scraped_snapshots.csv"] = _csv(rows).encode()

    # --- 08: two header rows: KONFIRMASI over DIRAWAT, SEMBUH, MENINGGAL; suspects beside
    rows = [["TANGGAL", "KAB/KOTA", "KONFIRMASI", "", "", "SUSPEK", "PROBABLE"],
            ["", "", "DIRAWAT", "SEMBUH", "MENINGGAL", "", ""]]  # fmt: skip
    for k, day in enumerate(DAYS):
        for i, (_, name, *_rest) in enumerate(REGENCIES):
            t = total(i, k)
            dead = 10 + sum(deaths(i, j) for j in range(k + 1))
            recovered = t // 2
            rows.append([day.isoformat(), name, t - recovered - dead, recovered, dead,
                         40 + k, 3])  # fmt: skip
    out["08_two_header_rows.csv"] = _csv(rows).encode()

    # --- 09: villages by BPS code and name
    rows = [["tanggal", "kode_desa", "nama_desa", "kasus_baru"]]
    for k, day in enumerate(DAYS[:7]):
        for v, (_, name, _, bps) in enumerate(VILLAGES):
            rows.append([day.isoformat(), bps, name, village_cases(v, k)])
    out["09_bps_codes.csv"] = _csv(rows).encode()

    # --- 10: a line list placed by village code, RW and RT numbers
    rows = [["nik", "tanggal", "kode", "rw", "rt", "alamat"]]
    for n in range(12):
        code = VILLAGES[n % 3][0]
        rw, rt = 1 + n % 2, 1 + n % 3
        day = DAYS[n % 7]
        nik = f"3374{1 + n % 2:02d}{10 + n:02d}0790{1000 + n:04d}"  # district, birth, serial
        rows.append([nik, day.isoformat(), code, f"{rw:03d}", f"{rt:03d}",
                     f"Jl. Contoh {n // 2}"])  # fmt: skip
    out["10_linelist_kode_rw_rt.csv"] = _csv(rows).encode()
    return out


def _scraped_total(i: int, k: int) -> int:
    """The total a provincial site showed: regency 1 revised its total down by 8 on day 9
    (its 3 new cases that day become a correction of -5)."""
    return total(i, k) - (REVISION if i == 1 and k >= 9 else 0)


REVISION = 8


def _cell(column: int, row: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files().items():
        (OUT / name).write_bytes(data)
        print(f"{OUT / name} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
