"""Tests for zoning.intake.tables: encodings, delimiters, workbooks, numbers and dates."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import tracemalloc

import make_corpus
import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import fuzz
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zoning.core.errors import InputError
from zoning.core.text import quote
from zoning.intake import tables


def xlsx_bytes(rows: list[list[object]], sheets: int = 1) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for k in range(1, sheets):
        book.create_sheet(f"extra{k}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- encodings -------------------------------------------------------------------------------


def test_utf8_with_and_without_bom():
    for data in ("kode,nama\n1,Café\n".encode(), "\ufeffkode,nama\n1,Café\n".encode()):
        text, encoding, line = tables.decode_text(data)
        assert text == "kode,nama\n1,Café\n"
        assert (encoding, line) == ("utf-8", None)


def test_windows_1252_is_read_and_named():
    data = "kode;nama\n1;Café – Kudus\n".encode("cp1252")
    text, encoding, line = tables.decode_text(data)
    assert text == "kode;nama\n1;Café – Kudus\n"
    assert (encoding, line) == ("cp1252", 2)


def test_mixed_encodings_read_each_part_right():
    data = "kode,nama\n1,Café\n".encode() + "2,Kafé\n".encode("cp1252")
    text, encoding, line = tables.decode_text(data)
    assert text == "kode,nama\n1,Café\n2,Kafé\n"
    assert (encoding, line) == ("cp1252", 3)
    table = tables.read_cells(data)
    assert table.frame["nama"].tolist() == ["Café", "Kafé"]
    assert table.notes and "line 3" in table.notes[0][0] and "Windows-1252" in table.notes[0][0]


def test_utf16_with_bom_excel_unicode_text():
    data = "kode\tnama\n1\tCafé\n".encode("utf-16")
    table = tables.read_cells(data)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.frame.loc[2, "nama"] == "Café"


def test_nul_bytes_are_a_binary_file():
    with pytest.raises(InputError, match="not a text"):
        tables.read_cells(b"kode,nama\n1,\x00\x01\n")


# --- delimiters, rows, headers --------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiters(sep):
    data = sep.join(["Tanggal", " Kode ", "Kasus"]).encode() + b"\r\n"
    data += sep.join(["2021-04-03", " 33.01 ", "1"]).encode() + b"\r\n"
    table = tables.read_cells(data)
    assert table.delimiter == sep
    assert list(table.frame.columns) == ["tanggal", "kode", "kasus"]
    assert table.frame.loc[2].tolist() == ["2021-04-03", "33.01", "1"]


def test_blank_rows_above_the_header_do_not_hide_its_delimiter():
    table = tables.read_cells(b"\n;;\n\ntanggal;kode;kasus\n2021-04-03;33.01;1.234\n")
    assert table.delimiter == ";"
    assert list(table.frame.columns) == ["tanggal", "kode", "kasus"]
    assert table.frame.loc[5].tolist() == ["2021-04-03", "33.01", "1.234"]


def test_blank_rows_keep_spreadsheet_numbers():
    data = b"\n\nkode,kasus\n33.01,1\n,\n\n33.02,2\n"
    frame = tables.read_cells(data).frame
    assert frame.index.tolist() == [4, 7]
    assert frame["kode"].tolist() == ["33.01", "33.02"]


def test_ragged_rows_fall_back_and_name_the_row():
    data = b"kode,kasus\n33.01,1,\n33.02\n33.03,3,x\n"
    with pytest.raises(InputError) as exc:
        tables.read_cells(data)
    assert "row 4" in str(exc.value) and "3 cells but the header has 2" in str(exc.value)
    frame = tables.read_cells(b"kode,kasus\n33.01,1,\n33.02\n").frame
    assert frame.loc[3].tolist() == ["33.02", ""]


def test_quoted_cells_with_delimiters_and_newlines():
    data = b'kode,catatan,kasus\n33.01,"a, b\nc",1.234\n33.02,"""x""",2\n'
    frame = tables.read_cells(data).frame
    assert frame["catatan"].tolist() == ["a, b\nc", '"x"']
    assert frame.index.tolist() == [2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b" \n\r\n\t\n", "the file is empty"),
        (b",,\n,,\n", "the file is empty"),
        (b"kode,kasus\n", "header but no rows"),
        (b"kode,kasus\n,\n", "header but no rows"),
        (b"kode,Kode\n1,2\n", "'kode' appears more than once"),
    ],
)
def test_bad_files(data, message):
    with pytest.raises(InputError, match=message):
        tables.read_cells(data)


def test_huge_line_is_refused_without_memory_blow_up():
    data = b"kode,kasus\n" + b"1" * (3 * 2**20) + b"\n33.01,1\n"
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as exc:
            tables.read_cells(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "line 2" in str(exc.value) and "3.0 MB" in str(exc.value)
    assert peak < 2 * len(data)  # chunked scan: no copy per line, no decoded text


def test_huge_line_without_any_line_break():
    with pytest.raises(InputError, match=r"line 1 of the file is 2\.0 MB"):
        tables.check_line_length(b"x" * (2 * 2**20))
    with pytest.raises(InputError, match="line 3"):
        tables.check_line_length(b"a\rb\r" + b"x" * (2 * 2**20))  # CR-only line ends
    tables.check_line_length(b"a\n" * 2**20)  # many short lines are fine


def test_bytes_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(tables, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="larger than"):
        tables.read_cells(b"kode,kasus\n33.01,1\n")


def test_path_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        tables.read_cells(tmp_path / "none.csv")
    with pytest.raises(InputError, match="is a folder"):
        tables.read_cells(tmp_path)
    path = tmp_path / "ok.csv"
    path.write_bytes(b"kode,kasus\n33.01,1\n")
    assert tables.read_cells(path).frame.loc[2, "kasus"] == "1"


# --- workbooks ------------------------------------------------------------------------------


def test_xlsx_first_sheet_as_text_cells():
    data = xlsx_bytes(
        [
            ["Tanggal", "Kode", "Kasus", "BOR"],
            [pd.Timestamp("2021-04-03").to_pydatetime(), 3301, 1234, 12.5],
            [None, None, None, None],
            ["03/04/2021", "33.02", "1.234", None],
        ],
        sheets=2,
    )
    table = tables.read_cells(data)
    assert table.format == "xlsx"
    assert table.frame.index.tolist() == [2, 4]
    assert table.frame.loc[2].tolist() == ["2021-04-03", "3301", "1234", "12.5"]
    assert table.frame.loc[4].tolist() == ["03/04/2021", "33.02", "1.234", ""]
    assert "2 sheets" in table.notes[0][0]


def test_damaged_and_old_workbooks():
    with pytest.raises(InputError, match="Excel workbook but it cannot be read"):
        tables.read_cells(b"PK\x03\x04" + b"\x14\x00" * 50)
    with pytest.raises(InputError, match=r"old Excel workbook \(\.xls\)"):
        tables.read_cells(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_read_table_stays_csv_only():
    with pytest.raises(InputError, match="not a text"):
        tables.read_table(xlsx_bytes([["a"], [1]]))


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("12", 12),
        ("1.234", 1234),  # Indonesian thousands
        ("1,234", 1234),  # English thousands
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("12,0", 12),
        ("12.00", 12),
        ("1.234,00", 1234),
        ("1 234", 1234),
        ("1\u00a0234", 1234),
        ("-5", -5),  # the caller rejects it with its own message
        ("", None),
        ("-", None),
        ("NA", None),
        ("null", None),
    ],
)
def test_whole_numbers(cell, value):
    values, bad = tables.whole_numbers(pd.Series(["7", cell], dtype="str"))
    assert not bad.any()
    assert values[0] == 7
    assert np.isnan(values[1]) if value is None else values[1] == value


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("12.5", "not a whole number"),
        ("12,5", "not a whole number"),
        ("1,234.5", "not a whole number"),
        ("1e3", "not a number this column accepts"),
        ("abc", "'abc' is not a number"),
        ("12 kasus", "not a number"),
        ("1.23", "not a whole number"),
        ("99999999999999999999", "too large"),
    ],
)
def test_whole_numbers_refuse(cell, message):
    values, bad = tables.whole_numbers(pd.Series(["1", cell], dtype="str"))
    assert bad.tolist() == [False, True]
    assert np.isnan(values[1])
    assert message in tables.describe_number(cell, whole=True)


def test_whole_numbers_of_a_plain_column_and_an_object_column():
    values, bad = tables.whole_numbers(pd.Series([str(i) for i in range(1000)], dtype="str"))
    assert values.tolist() == list(range(1000)) and not bad.any()
    values[0] = -1  # writable
    values, bad = tables.whole_numbers(pd.Series(["1", None, "2"], dtype=object))
    assert values[[0, 2]].tolist() == [1, 2] and np.isnan(values[1]) and not bad.any()


@pytest.mark.parametrize(
    ("cell", "value"),
    [("12,5", 12.5), ("12.5", 12.5), ("80%", 80), ("80,25 %", 80.25), (".5", 0.5), ("", None)],
)
def test_decimal_numbers(cell, value):
    values, bad = tables.decimal_numbers(pd.Series([cell], dtype="str"))
    assert not bad.any()
    assert np.isnan(values[0]) if value is None else values[0] == pytest.approx(value)


@pytest.mark.parametrize("cell", ["1.234,5", "abc", "12,5,1", "1e2"])
def test_decimal_numbers_refuse(cell):
    _, bad = tables.decimal_numbers(pd.Series([cell], dtype="str"))
    assert bad.tolist() == [True]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2021-04-03",
        "2021-4-3",
        "03/04/2021",
        "3/4/2021",
        "03-04-2021",
        "03.04.2021",
        "3 April 2021",
        "3 Apr 2021",
        "3 april 2021",
        "03 APRIL 2021",
        "3 Mei 2021",
        "2021-04-03 00:00:00",
        "2021-04-03T00:00",
    ],
)
def test_parse_date_formats(text):
    expected = pd.Timestamp("2021-05-03") if "Mei" in text else pd.Timestamp("2021-04-03")
    assert tables.parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2021-13-01", "31/02/2021", "3 Foo 2021", "01/01/0001", "2021-04-03 10:00", "x"]
)
def test_parse_date_refuses(text):
    assert tables.parse_date(text) is None


def test_to_dates_parses_each_distinct_text_once():
    cells = pd.Series(["03/04/2021", "", "3 Mei 2021", "x", None, "03/04/2021"], dtype="str")
    out = tables.to_dates(cells)
    assert out.dtype == np.dtype("datetime64[ns]")
    expected = ["2021-04-03", None, "2021-05-03", None, None, "2021-04-03"]
    got = [None if np.isnat(v) else str(v)[:10] for v in out]
    assert got == expected


def test_parse_dates_names_the_first_bad_row():
    cells = pd.Series(["2021-04-03", "soon"], index=[2, 3], dtype="str")
    with pytest.raises(InputError) as exc:
        tables.parse_dates(cells, "tanggal")
    assert str(exc.value).startswith("row 3, column 'tanggal': 'soon' is not a date")


# --- speed and robustness -------------------------------------------------------------------


def test_a_large_file_is_read_whole():
    """200,000 rows with thousands separators (its speed: ``bench/intake.py``)."""
    n = 200_000
    body = "\n".join(f"{i % 365};33.{i % 35:02d};{i % 3000:,}" for i in range(n))
    data = ("hari;kode;kasus\n" + body + "\n").encode()
    table = tables.read_cells(data)
    values, bad = tables.whole_numbers(table.frame["kasus"])
    assert len(table.frame) == n and not bad.any()
    assert values[:3].tolist() == [0, 1, 2]
    assert values[2999] == 2999 and values[3000] == 0  # "2,999" read as 2999


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_read_or_raise_input_error(data):
    try:
        table = tables.read_cells(data)
    except InputError:
        return
    assert isinstance(table.frame, pd.DataFrame)


# --- fuzzing: any table written by a spreadsheet reads back cell for cell ------------------

# Header names hold no delimiter, quote or line break: the delimiter is read from the header.
_HEADER_NAME = st.text(alphabet="abcdefkodetangalXYZ_ é1", min_size=1, max_size=8).filter(
    lambda h: h.strip()
)
# Cells hold anything a person types, delimiters, quotes and line breaks included (no NUL:
# that makes a binary file).
_CELL = st.one_of(
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(
        ["", " ", ",", ";", "\t", '"', '""', "'", "a,b", "a;b", 'x "y" z', "\n", "\r\n", "\r",
         "1.234", "1,5", "\ufeff", "\u2028", "\x85", "=1+1", "٣", "-", "NaN", "café – ulang"]
    ),
)  # fmt: skip
# Windows-1252 cells: ASCII and letters whose bytes can never form UTF-8 (no byte 0x80-0xBF).
_CP1252_CELL = st.text(alphabet="abc 1,;\"'\nÄéèçñü", max_size=8)


def _strip_rows(rows: list[list[str]]) -> list[list[str]]:
    """What a reader keeps of written rows: cells stripped, blank rows dropped."""
    stripped = [[c.strip() for c in r] for r in rows]
    return [r for r in stripped if any(r)]


@st.composite
def _written_table(draw):
    """``(bytes, header, body rows, encoding, delimiter)`` of a CSV file a program wrote."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    width = draw(st.integers(1, 5))
    header = draw(
        st.lists(
            _HEADER_NAME, min_size=width, max_size=width, unique_by=lambda h: h.strip().lower()
        )
    )
    cell = _CP1252_CELL if encoding == "cp1252" else _CELL
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=6))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    if delimiter not in "".join(header) and width == 1:
        header = [*header]  # one column: the sniffer falls back to a comma
        delimiter = ","
    out = io.StringIO()
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    if any("\r" in c for r in rows for c in r):
        ending = "\r\n"  # else the writer leaves a lone CR unquoted: a line break to a reader
    writer = csv.writer(
        out,
        delimiter=delimiter,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=ending,
    )
    blank_before = draw(st.integers(0, 2))
    out.write("\n" * blank_before)
    writer.writerows([header, *rows])
    return out.getvalue().encode(encoding), header, rows, encoding, delimiter


@fuzz(150)
@given(_written_table())
# found by this test: a blank line above a semicolon header made the file one column
@example((b"\n1;X;Y;11;111\n;;;;\n", ["1", "X", "Y", "11", "111"], [[""] * 5], "utf-8", ";"))
@example((b"\r\n\r\nkode;kasus\r\n1;2\r\n", ["kode", "kasus"], [["1", "2"]], "utf-8", ";"))
def test_fuzz_any_written_table_reads_back_or_is_refused_clearly(table):
    data, header, rows, encoding, delimiter = table
    body = _strip_rows(rows)
    try:
        read = tables.read_cells(data)
    except InputError as exc:
        # only a file without rows is refused: every other table is read
        assert not body, (str(exc), rows)
        assert "header but no rows" in str(exc)
        return
    assert body, "a header without rows must be refused"
    assert read.delimiter == delimiter
    if encoding != "utf-16":
        with contextlib.suppress(UnicodeDecodeError):
            encoding = data.decode("utf-8") and "utf-8"  # ASCII-only Windows-1252 is UTF-8
    assert read.encoding == encoding
    assert list(read.frame.columns) == [h.strip().lower() for h in header]
    got = [[c.strip() for c in r] for r in read.frame.astype(str).to_numpy().tolist()]
    assert got == body
    assert read.frame.index.is_monotonic_increasing and read.frame.index[0] >= 2


# Bytes that look like each kind of input, then damaged.
_LOOKALIKE = st.sampled_from(
    [
        b"tanggal,kode,kasus_baru\n2021-08-01,33.01.01.2001,5\n",
        "tanggal;kode;kasus\n03/08/2021;3301012001;1.234\n".encode("utf-16"),
        "\ufeffkode\tnama\n1\tCafé\n".encode(),
        "kode,nama\n1,Café – Kudus\n".encode("cp1252"),
        b'kode,catatan\n1,"a\nb"\n2,"unclosed\n',
        b"PK\x03\x04",
        b"\xd0\xcf\x11\xe0",
        b"\xff\xfe",
        b"\xfe\xff",
    ]
)


@fuzz(150)
@given(
    _LOOKALIKE,
    st.lists(st.tuples(st.integers(0, 200), st.binary(min_size=1, max_size=4)), max_size=4),
    st.integers(0, 200),
)
def test_fuzz_damaged_files_read_or_raise_input_error(data, patches, cut):
    for at, junk in patches:
        at = min(at, len(data))
        data = data[:at] + junk + data[at + len(junk) :]
    for source in (data, data[:cut]):
        for excel in (True, False):
            try:
                table = tables.read_cells(source, excel=excel)
            except InputError as exc:
                assert str(exc)
                continue
            assert len(table.frame) and all(isinstance(c, str) for c in table.frame.columns)


@fuzz(25)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(2**53), 2**53),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=6),
                st.dates(),
                st.datetimes(),
            ),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 4000),
)
def test_fuzz_workbooks_read_or_raise_input_error(rows, cut):
    try:
        data = xlsx_bytes(rows)
    except Exception:  # openpyxl cannot write some texts (control characters)
        return
    for source in (data, data[:cut]):
        try:
            table = tables.read_cells(source)
        except InputError as exc:
            assert str(exc)
            continue
        assert table.format == "xlsx"
        assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel())


_NUMBER_TEXT = st.one_of(
    st.text(max_size=10),
    st.text(alphabet="0123456789.,- %eE+", max_size=12),
    st.sampled_from(
        ["", "NaN", "nan", "n/a", "#N/A", "-", "null", "inf", "-inf", "Infinity", "1e999",
         "9" * 16, "9" * 400, "1,000,000,000,000,000", "٣", "١٢٣", "１２", "²", "0x10", "1_000",
         "1 234", "1\u00a0234", "12,0", "12.00", "-0", "+5", "5%", "1.234,5", ".5", "5."]
    ),
)  # fmt: skip


def _whole_reference(text: str) -> float | None:
    """A count as a person means it, or None when the cell is not a count (NaN: empty)."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if not t or t.lower() in tables.NA_TOKENS:
        return np.nan
    if re.fullmatch(r"-?[0-9]{1,15}(?:[.,]0{1,2})?", t):
        return float(re.sub(r"[.,]0{1,2}$", "", t))
    if re.fullmatch(r"-?[0-9]{1,3}(?:\.[0-9]{3}){1,4}(?:,0{1,2})?", t) or re.fullmatch(
        r"-?[0-9]{1,3}(?:,[0-9]{3}){1,4}(?:\.0{1,2})?", t
    ):
        return float(re.sub(r"[.,]", "", re.sub(r"[.,]0{1,2}$", "", t)))
    return None


@fuzz(100)
@given(st.lists(_NUMBER_TEXT, min_size=1, max_size=6))
def test_fuzz_number_cells_are_the_number_or_flagged(cells):
    series = pd.Series(cells, index=range(2, 2 + len(cells)))
    values, bad = tables.whole_numbers(series)
    for k, cell in enumerate(cells):
        want = _whole_reference(cell)
        if want is None:
            assert bad[k], (cell, values[k])
            assert tables.describe_number(cell, whole=True).startswith(quote(cell))  # redacted
        else:
            assert not bad[k], cell
            assert values[k] == want or (np.isnan(want) and np.isnan(values[k])), cell
    decimals, bad = tables.decimal_numbers(series)
    assert np.isfinite(decimals[~bad & ~np.isnan(decimals)]).all()
    try:
        parsed = tables.parse_numbers(series, "kasus")
    except InputError as exc:
        assert "column 'kasus'" in str(exc) and "row " in str(exc)
    else:
        assert not np.isinf(parsed).any() and not (parsed < 0).any()


_DATE_TEXT = st.one_of(
    st.text(max_size=12),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2300, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [d.isoformat(), d.strftime("%d/%m/%Y"), f"{d.day}.{d.month}.{d.year}",
             f"{d.day} {d:%B} {d.year}", f"{d.isoformat()} 00:00:00"]
        )
    ),
    st.sampled_from(
        ["31/02/2021", "2021-02-29", "2020-02-29", "00/00/2021", "2021-13-01", "0000-01-01",
         "9999-12-31", "2262-04-12", "٢٠٢١-٠٤-٠٣", "３/４/２０２１", "3 Foo 2021", "3 Mei 2021",
         "2021-04-03T00:00:00.000", "2021-04-03 12:00"]
    ),
)  # fmt: skip


@fuzz(150)
@given(st.lists(_DATE_TEXT, min_size=1, max_size=6))
def test_fuzz_date_cells_are_the_date_or_flagged(cells):
    series = pd.Series(cells, index=range(2, 2 + len(cells)))
    dates = tables.to_dates(series)
    for k, cell in enumerate(cells):
        day = tables.parse_date(cell)
        if day is None:
            assert np.isnat(dates[k])
        else:
            assert 1900 <= day.year <= 2200 and dates[k] == np.datetime64(day.date(), "ns")
            iso = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", cell.strip())
            if iso and cell.strip().isascii():
                assert day.date() == dt.date.fromisoformat(cell.strip())
    try:
        tables.parse_dates(series, "tanggal")
    except InputError as exc:
        assert "column 'tanggal'" in str(exc)
        assert "is not a date" in str(exc) or "the date is empty" in str(exc)


def test_a_table_with_too_many_rows_is_refused_before_it_is_parsed(monkeypatch):
    from zoning.intake import tables

    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    assert len(tables.read_table(b"a;b\n1;2\n3;4\n5;6\n")) == 3
    with pytest.raises(InputError, match=r"more than 3 rows \(4\); split it"):
        tables.read_table(b"a;b\n1;2\n3;4\n5;6\n7;8\n")


# --- the fast reader (the line list's) ------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n1,2\n3,4\n",
        b"A , b\n 1 , x y \n",
        b'a,b\n"x, y",2\n"multi\nline",3\n',
        b"a;b\n1;2\n",
        b"a\tb\n1\t2\n",
        "a,b\nCaf\xe9,2\n".encode("cp1252"),  # not UTF-8: read_cells, with its note
        "a,b\nCafé,2\n".encode("utf-16"),
        b"\xef\xbb\xbfa,b\n1,2\n",
        b"a,b\n1\n3,4\n",  # a short row
        b"a,b\n1,2,\n",  # an empty extra cell
        b"a,b\n,\n1,2\n",  # a row of empty cells
        b"a,b\n1,2\n\n3,4\n",  # a blank row keeps its number
        b"\n\na,b\n1,2\n",  # blank lines before the header
        "a,b\n\u00a0x\u00a0,\u2003y\n".encode(),  # no-break and em spaces around cells
        b"a,b\n\x0bx\x0c,y\t\n\x1c1,2\x1f\n",  # control characters around cells
    ],
)
def test_fast_reader_reads_like_read_cells(data):
    fast, slow = tables.read_cells_fast(data), tables.read_cells(data)
    _same_table(fast, slow)


def _same_table(fast, slow):
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert fast.frame.index.tolist() == slow.frame.index.tolist()
    assert fast.frame.astype(object).values.tolist() == slow.frame.astype(object).values.tolist()
    assert (fast.format, fast.encoding, fast.delimiter) == (slow.format, slow.encoding,
                                                            slow.delimiter)  # fmt: skip
    assert fast.notes == slow.notes


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\n" + b"1,2\n" * 10 + "Caf\u00e9,3\n".encode(),  # UTF-8 past the decoded head
        b"a,b\n" + b"1,2\n" * 10 + "Caf\u00e9,3\n".encode("cp1252"),  # not UTF-8 past it
        b"a_long_header,another_one\n1,2\n3,4\n",  # a header longer than the head
        b'a,"b\nc"\n1,2\n',  # a header whose quoted name spans lines past the head
    ],
)
def test_fast_reader_reads_past_its_decoded_head_like_read_cells(monkeypatch, data):
    monkeypatch.setattr(tables, "_HEAD_BYTES", 8)  # the header and delimiter from 8 bytes
    _same_table(tables.read_cells_fast(data), tables.read_cells(data))


def test_fast_reader_keeps_cells_without_spaces_around_them_as_read():
    import pyarrow as pa

    plain = pa.chunked_array([pa.array(["a b", "", "x"]), pa.array(["1"])])
    assert tables._stripped(plain) is plain  # nothing to strip: no new column made
    spaced = pa.chunked_array([pa.array(["a", "b "]), pa.array(["\u00a0c"])])
    assert tables._stripped(spaced).to_pylist() == ["a", "b", "c"]


cell = st.text(alphabet='ab ,;"\n\t1é\u00a0\x0b', max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.tuples(
            st.lists(
                st.text(alphabet="abcXY _", min_size=1, max_size=5),
                min_size=width,
                max_size=width,
                unique_by=lambda h: h.strip().lower(),
            ),
            st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=6),
        )
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_fast_reader_agrees_with_read_cells_on_any_table(table, delimiter):
    header, rows = table
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
    data = out.getvalue().encode("utf-8")
    try:
        slow = tables.read_cells(data)
    except Exception as exc:  # the fast reader must fail the same way
        with pytest.raises(type(exc)) as info:
            tables.read_cells_fast(data)
        assert str(info.value) == str(exc)
        return
    _same_table(tables.read_cells_fast(data), slow)


# --- single cells: a count from any cell, an RW's or RT's number ----------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("12.345", 12345.0), ("12,345", 12345.0), ("1.234.567", 1234567.0), ("3.000", 3000.0),
        ("12.0", 12.0), ("12,00", 12.0), ("1 234", 1234.0), ("\u00a01234 ", 1234.0),
        ("12.5", 12.5), ("12,5", 12.5), ("-40", -40.0), ("-1.234", -1234.0),
        (4000, 4000.0), (4000.0, 4000.0), (12.5, 12.5), (np.int64(7), 7.0),
    ],
)  # fmt: skip
def test_count_cell_reads_a_count_as_whole_numbers_does(cell, value):
    assert tables.count_cell(cell) == value
    if isinstance(cell, str) and float(value).is_integer():
        values, bad = tables.whole_numbers(pd.Series([cell]))
        assert values[0] == value and not bad[0]  # the same rule as the column reader


@pytest.mark.parametrize("cell", ["", "  ", "-", "NA", "n/a", "#N/A", "null", None, float("nan")])
def test_count_cell_of_nothing_is_nan(cell):
    assert np.isnan(tables.count_cell(cell))


@pytest.mark.parametrize("cell", ["abc", "12a", "1e", True, float("inf"), "1.2.3,4,5"])
def test_count_cell_of_no_number_is_none(cell):
    assert tables.count_cell(cell) is None


@pytest.mark.parametrize(
    ("cell", "number"),
    [("3", 3), ("003", 3), ("0003", 3), (" 12 ", 12), ("3.0", 3), ("3.00", 3), (3, 3),
     (3.0, 3), (np.int64(999), 999), ("0", 0), (0, 0)],
)  # fmt: skip
def test_local_number(cell, number):
    assert tables.local_number(cell) == number


@pytest.mark.parametrize("cell", ["", "x", "1000", 1000, 3.5, "3.5", "-1", -1, True, "٣"])
def test_local_number_refuses(cell):
    assert tables.local_number(cell) is None


def test_header_names_of_a_text_table_and_of_binary_files():
    assert tables.header_names(b"Tanggal;Kode;Kasus_Baru\n1;2;3\n") == [
        "tanggal", "kode", "kasus_baru",
    ]  # fmt: skip
    assert tables.header_names('"NIK"\t"Desa"\n'.encode("utf-16")) == ["nik", "desa"]
    assert tables.header_names(b"PK\x03\x04rest") == []
    assert tables.header_names(b"a\x00b") == []


# --- the files offices keep (read_office) ----------------------------------------------------


_book = make_corpus.workbook


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Senin, 05 Juli 2021", "2021-07-05"),
        ("senin 5 juli 2021", "2021-07-05"),
        ("Jumat, 9 Juli 2021", "2021-07-09"),
        ("Jum'at, 9 Juli 2021", "2021-07-09"),
        ("Minggu, 04 Juli 2021", "2021-07-04"),
        ("Monday, 5 July 2021", "2021-07-05"),
        ("05-Jul-2021", "2021-07-05"),
        ("44382", "2021-07-05"),  # an Excel serial number
        ("44382.0", "2021-07-05"),
        ("36526", "2000-01-01"),
    ],
)
def test_dates_with_their_weekday_and_excel_serial_numbers(text, day):
    assert tables.parse_date(text) == pd.Timestamp(day)


@pytest.mark.parametrize(
    "text", ["Selasa, 05 Juli 2021", "12345", "99999", "Senin,", "Foo, 5 Juli 2021"]
)
def test_a_weekday_that_is_not_the_date_s_and_other_numbers_are_no_dates(text):
    assert tables.parse_date(text) is None


def test_a_wrong_weekday_is_said_so():
    message = tables.describe_date("Selasa, 05 Juli 2021")
    assert message == (
        "'Selasa, 05 Juli 2021': 05 July 2021 is a Monday, not a Tuesday; correct the day or "
        "the date"
    )
    assert "is not a date" in tables.describe_date("kemarin")


def test_title_rows_above_the_header_are_titles_not_the_header():
    data = (
        b"REKAPITULASI KASUS COVID-19 KAB/KOTA\nper tanggal 05 Juli 2021\n\n"
        b"tanggal;kode;kasus_baru\n05/07/2021;33.22;4\n06/07/2021;33.22;5\n"
    )
    (table,) = tables.read_office(data)
    assert table.titles == ["REKAPITULASI KASUS COVID-19 KAB/KOTA", "per tanggal 05 Juli 2021"]
    assert table.delimiter == ";"
    assert list(table.frame.columns) == ["tanggal", "kode", "kasus_baru"]
    assert table.frame.index.tolist() == [5, 6]  # spreadsheet rows


def test_a_group_over_sub_columns_names_each_column_by_both_rows():
    data = (
        b"NO,KAB/KOTA,KONFIRMASI,,,SUSPEK\n"
        b",,DIRAWAT,SEMBUH,MENINGGAL,\n"
        b"1,Kab Semarang,10,20,3,4\n2,Kota Semarang,5,6,7,8\n"
    )
    (table,) = tables.read_office(data)
    assert list(table.frame.columns) == [
        "no", "kab/kota", "konfirmasi dirawat", "konfirmasi sembuh", "konfirmasi meninggal",
        "suspek",
    ]  # fmt: skip
    assert table.parts["konfirmasi sembuh"] == ("konfirmasi", "sembuh")
    assert table.frame.index.tolist() == [3, 4]


def test_a_data_row_without_numbers_under_the_header_is_no_second_header():
    data = b"tanggal,kode,kasus_baru\n2021-07-05,33.22,\n2021-07-06,33.22,4\n"
    (table,) = tables.read_office(data)
    assert list(table.frame.columns) == ["tanggal", "kode", "kasus_baru"]
    assert table.frame.index.tolist() == [2, 3]


@pytest.mark.parametrize("label", ["JUMLAH", "Total", "TOTAL JAWA TENGAH", "Jumlah Kab/Kota",
                                   "GRAND TOTAL"])  # fmt: skip
def test_total_rows_are_left_out_with_a_note(label):
    data = f"no,wilayah,kasus_baru\n1,Kab Semarang,4\n2,Kota Semarang,5\n,{label},9\n".encode()
    (table,) = tables.read_office(data)
    assert table.frame["wilayah"].tolist() == ["Kab Semarang", "Kota Semarang"]
    assert table.skipped == [4]
    assert table.notes == [(f"a total row ({label!r}); it is left out", 4)]


def test_a_name_that_starts_like_a_total_is_not_one():
    data = b"wilayah,kasus_baru\nTotalan,4\nJumlahan Kidul,5\n"
    (table,) = tables.read_office(data)
    assert len(table.frame) == 2 and not table.skipped


def test_a_wide_table_is_read_as_a_long_one():
    data = (
        b"kode;nama;01/07/2021;2021-07-02;Senin, 05 Juli 2021;TOTAL\n"
        b"33.22;Kab Semarang;1;2;3;6\n33.74;Kota Semarang;4;;6;10\nTOTAL;;5;2;9;16\n"
    )
    (table,) = tables.read_office(data)
    assert table.wide == {"dates": 3, "first": "2021-07-01", "last": "2021-07-05",
                          "values": [tables.WIDE_VALUES]}  # fmt: skip
    frame = table.frame
    assert list(frame.columns) == ["kode", "nama", tables.WIDE_DATE, tables.WIDE_VALUES]
    assert frame.index.tolist() == [2, 3, 2, 3, 2, 3]  # each value keeps its row
    assert frame[tables.WIDE_VALUES].tolist() == ["1", "4", "2", "", "3", "6"]
    assert table.sources[tables.WIDE_VALUES].tolist()[:3] == ["01/07/2021", "01/07/2021",
                                                              "2021-07-02"]  # fmt: skip
    assert ("column 'total' is a total beside the dates; it is left out", None) in table.notes
    assert table.skipped == [4]


def test_a_wide_workbook_with_merged_dates_over_several_measures():
    data = _book(
        {"Rekap": [
            ["Rekap harian kasus COVID-19"],
            [],
            ["No", "Kabupaten", dt.datetime(2021, 7, 1), None, dt.datetime(2021, 7, 2), None],
            [None, None, "Konfirmasi", "Meninggal", "Konfirmasi", "Meninggal"],
            [1, "Kab Semarang", 10, 1, 12, 1],
            ["JUMLAH", None, 10, 1, 12, 1],
        ]},
        {"Rekap": ["A1:F1", "A3:A4", "B3:B4", "C3:D3", "E3:F3", "A6:B6"]},
    )  # fmt: skip
    (table,) = tables.read_office(data)
    assert table.sheet == "Rekap" and table.titles == ["Rekap harian kasus COVID-19"]
    assert table.wide["values"] == ["konfirmasi", "meninggal"]
    frame = table.frame
    assert frame[[tables.WIDE_DATE, "konfirmasi", "meninggal"]].values.tolist() == [
        ["2021-07-01", "10", "1"], ["2021-07-02", "12", "1"],
    ]  # fmt: skip
    assert table.skipped == [6]


def test_the_same_date_twice_in_a_wide_header_is_refused():
    data = b"kode,01/07/2021,2021-07-01\n33.22,1,2\n"
    with pytest.raises(InputError, match="the header has 2021-07-01 twice"):
        tables.read_office(data)


def test_sheets_of_a_workbook_each_or_one_by_name():
    data = _book(
        {
            "Kab Semarang": [["tanggal", "kasus_baru"], ["2021-07-05", 1]],
            "Kosong": [],
            "Kota Semarang": [["tanggal", "kasus_baru"], ["2021-07-05", 2]],
        }
    )
    assert [t.sheet for t in tables.read_office(data)] == ["Kab Semarang", "Kota Semarang"]
    assert [t.sheet for t in tables.read_office(data, "kota semarang")] == ["Kota Semarang"]
    assert tables.sheet_names(data) == ["Kab Semarang", "Kosong", "Kota Semarang"]
    with pytest.raises(InputError) as exc:
        tables.read_office(data, "Kab Kudus")
    assert str(exc.value).startswith("option --sheet: the workbook has no sheet 'Kab Kudus'")
    assert "'Kab Semarang', 'Kosong', 'Kota Semarang', or 'all'" in str(exc.value)
    with pytest.raises(InputError, match="CSV file, which has no sheets"):
        tables.read_office(b"a,b\n1,2\n", "Kab Semarang")


def test_a_csv_row_wider_than_its_header_is_still_refused():
    with pytest.raises(InputError) as exc:
        tables.read_office(b"REKAP\ntanggal,kode,kasus\n2021-07-05,33.22,4,7\n")
    assert str(exc.value) == (
        "row 3: has 4 cells but the header has 3; check the delimiter (comma was used)"
    )
