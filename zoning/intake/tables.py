"""Reading tables from analysts: encodings, delimiters, numbers and dates.

Every reader here returns text cells or raises :class:`~zoning.core.errors.InputError` naming the
row (spreadsheet numbering: the header is row 1) and the column.

CSV files may be comma, semicolon or tab separated, encoded as UTF-8 (with or without BOM),
UTF-16 with a BOM (Excel's "Unicode text") or Windows-1252; bytes that are not UTF-8 are read
as Windows-1252 and the reader says so. :func:`read_cells` also reads the first sheet of an
``.xlsx`` workbook, recognised by its ZIP signature rather than by its name. Parsing is
vectorised (pandas' C reader, Arrow string kernels); Python loops run only over unique values
or over the cells that are wrong.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.core.text import quote

ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (",", ";", "\t")
MAX_BYTES = 200 * 1024 * 1024
#: Rows per uploaded table (counts or line list): a province's villages for years, or a
#: national line list of several million cases, fit; beyond it, split the file by date.
MAX_ROWS = 5_000_000
#: Longest line accepted (bytes); a longer line is not a table of counts.
MAX_LINE = 1024 * 1024
#: Cells read as "no value" in number columns, besides the empty cell (compared lower-cased).
NA_TOKENS = frozenset({"na", "n/a", "#n/a", "nan", "-", "null"})

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office binary files)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_NOT_TEXT = "this is not a text (CSV) file; save the sheet as CSV and try again"
_NOT_BLANK = re.compile(r'[^\s,;"]')  # a character of a line that is not a blank row

_MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
    "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6,
    "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8, "august": 8, "agu": 8,
    "aug": 8, "agt": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10,
    "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12,
    "december": 12, "des": 12, "dec": 12,
}  # fmt: skip

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_WORDS = re.compile(r"^(\d{1,2})(?:\s+|-)([A-Za-z]+)\.?(?:\s+|-)(\d{4})$")
_FIRST_YEAR, _LAST_YEAR = 1900, 2200  # outside this, a "date" is a typo
#: A day of the week before a date (``Senin, 05 Juli 2021``), Monday first.
_WEEKDAYS = (
    ("senin", "monday", "mon", "sen"), ("selasa", "tuesday", "tue", "sel"),
    ("rabu", "wednesday", "wed", "rab"), ("kamis", "thursday", "thu", "kam"),
    ("jumat", "jum'at", "friday", "fri", "jum"), ("sabtu", "saturday", "sat", "sab"),
    ("minggu", "ahad", "sunday", "sun", "min"),
)  # fmt: skip
_WEEKDAY_OF = {name: k for k, names in enumerate(_WEEKDAYS) for name in names}
_WEEKDAY = re.compile(r"^([A-Za-z']+)\s*[,.]?\s+(?=\d)")
#: Excel's serial day numbers from 2000 to 2099 (a date cell saved as a number, as in
#: ``44382`` for 5 July 2021); day 0 is 30 December 1899.
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")
_SERIAL_RANGE = (36526, 73050)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass
class Table:
    """Text cells read from a file, and what the reader found out about the file.

    Attributes
    ----------
    frame : DataFrame
        Stripped text cells; column names stripped and lower-cased; the index holds
        spreadsheet row numbers (the header is row 1, blank rows keep their numbers).
    format : str
        ``"csv"`` or ``"xlsx"``.
    encoding : str or None
        ``"utf-8"``, ``"utf-16"`` or ``"cp1252"`` (the file was not valid UTF-8); ``None`` for
        a workbook.
    delimiter : str or None
        ``","``, ``";"`` or ``"\\t"`` for a CSV file.
    notes : list of (str, int or None)
        Things the reader had to guess, each with the row it concerns: warnings for the person
        who uploaded.
    """

    frame: pd.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[tuple[str, int | None]] = field(default_factory=list)
    #: Read by :func:`read_office` only: the sheet's name, the text of the title rows above
    #: the header, each column's header parts (two header rows, merged cells), the wide
    #: table it was (``dates``, ``first``, ``last``, ``values``) and, for a wide table's
    #: numbers, the header of the column each row's value came from.
    sheet: str | None = None
    titles: list[str] = field(default_factory=list)
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    wide: dict | None = None
    sources: dict[str, np.ndarray] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)  # total rows left out


def load_bytes(source: str | Path | bytes, limit: int | None = None) -> bytes:
    """The bytes of a file (path) or the bytes given, refusing anything over ``limit``.

    ``limit`` defaults to :data:`MAX_BYTES` (tables); boundary files allow more.
    """
    limit = MAX_BYTES if limit is None else limit
    too_big = f"the file is larger than {limit // 2**20} MB; split it"
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            if path.stat().st_size > limit:
                raise InputError(too_big)
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a folder, not a file") from None
        except PermissionError:
            raise InputError(f"cannot read {path}: permission denied") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(too_big)
    return data


def decode_text(data: bytes) -> tuple[str, str, int | None]:
    """Decode file bytes: ``(text, encoding, line of the first byte that is not UTF-8)``.

    UTF-8 (with or without BOM) first; UTF-16 when the file starts with its BOM. Bytes that are
    not UTF-8 are read as Windows-1252 (``encoding == "cp1252"``), so a file saved by an old
    Excel, or a UTF-8 file with Windows-1252 lines appended, still reads. NUL bytes outside
    UTF-16 mean a binary file.
    """
    if data[:2] in _UTF16_BOMS:
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError:
            raise InputError(
                "the file starts like UTF-16 text but is not; save it as CSV"
            ) from None
    if b"\x00" in data:
        raise InputError(_NOT_TEXT)
    try:
        return data.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    text = _ESCAPED.sub(_as_cp1252, text)
    return text, "cp1252", line


_ESCAPED = re.compile("[\udc80-\udcff]+")


def _as_cp1252(match: re.Match) -> str:
    raw = bytes(ord(c) - 0xDC00 for c in match.group())
    return raw.decode("cp1252", errors="replace")


def decode(data: bytes) -> str:
    """Decode file bytes as UTF-8 (with or without BOM), else Windows-1252."""
    return decode_text(data)[0]


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: comma, semicolon or tab.

    The header is the first line with more than delimiters, quotes and spaces: a sheet saved
    with blank rows above its header keeps them, and the reader skips them.
    """
    found = _NOT_BLANK.search(text, 0, 65536)
    start = text.rfind("\n", 0, found.start()) + 1 if found else 0
    end = text.find("\n", start, start + 65536)
    header = text[start : end if end >= 0 else start + 65536]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def check_line_length(data: bytes, limit: int = MAX_LINE) -> None:
    """Raise :class:`InputError` naming the first line longer than ``limit`` bytes.

    Scans in chunks, so a 200 MB file with no line break costs no more memory than the file.
    """
    if len(data) <= limit:
        return
    sep = 10 if b"\n" in data else 13  # classic Mac files end lines with CR only
    last, line, chunk = -1, 1, 8 * 2**20
    for start in range(0, len(data), chunk):
        part = np.frombuffer(data, np.uint8, count=min(chunk, len(data) - start), offset=start)
        ends = np.flatnonzero(part == sep) + start
        if len(ends):
            lengths = np.diff(ends, prepend=last) - 1
            long = np.flatnonzero(lengths > limit)
            if len(long):
                _too_long(line + int(long[0]), int(lengths[long[0]]))
            line += len(ends)
            last = int(ends[-1])
        if start + len(part) - last - 1 > limit:
            end = data.find(bytes([sep]), last + 1)
            _too_long(line, (len(data) if end < 0 else end) - last - 1)


def _too_long(line: int, length: int) -> None:
    raise InputError(
        f"line {line} of the file is {length / 2**20:.1f} MB long; a table has one row per "
        "line, so this is not a CSV table (save the sheet as CSV and try again)"
    )


def read_cells(source: str | Path | bytes, excel: bool = True) -> Table:
    """Read a CSV file or (if ``excel``) the first sheet of an ``.xlsx`` workbook.

    Raises :class:`InputError` for an empty file, a header without rows, a binary file, a line
    longer than ``MAX_LINE``, a duplicated column or a row with more cells than the header.
    """
    data = load_bytes(source)
    if not data.strip():
        raise InputError("the file is empty")
    if data[:4] == _ZIP_MAGIC and excel:
        frame, notes = _read_xlsx(data)
        _check_rows(len(frame) - 1)
        return Table(_tabulate(frame), "xlsx", notes=notes)
    if data[:4] in (_ZIP_MAGIC, _OLE_MAGIC) and not excel:
        raise InputError(_NOT_TEXT)
    if data[:4] == _OLE_MAGIC:
        raise InputError("this is an old Excel workbook (.xls); save it as .xlsx or CSV")
    check_line_length(data)
    _check_rows(data.count(b"\n") - 1)  # at least the rows; quoted line breaks count too
    text, encoding, bad_line = decode_text(data)
    notes: list[tuple[str, int | None]] = []
    if encoding == "cp1252":
        notes.append(
            (
                f"the file is not valid UTF-8 (first at line {bad_line}); characters that are "
                "not UTF-8 were read as Windows-1252 - check names with accents",
                None,
            )
        )
    delim = sniff_delimiter(text)
    frame = _tabulate(_split_csv(text, delim), delim)
    return Table(frame, "csv", encoding, delim, notes)


def _check_rows(rows: int) -> None:
    if rows > MAX_ROWS:
        raise InputError(
            f"the file has more than {MAX_ROWS:,} rows ({rows:,}); split it, e.g. by month, "
            "and upload the parts one after another"
        )


def read_cells_fast(data: bytes) -> Table:
    """What :func:`read_cells` reads, through pyarrow's CSV reader when it can.

    ``read_cells`` takes about 2.5 s for a million rows; pyarrow about 0.6 s. Only a plain
    UTF-8 CSV file whose first line is its header and whose rows all have the header's width
    takes the fast way; anything else (a workbook, another encoding, a ragged row, a stray
    quote...) goes to ``read_cells``, which reads and reports it exactly. The line list, whose
    files run to millions of rows, reads this way.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        return read_cells(data)
    if not data.strip() or data[:2] in _UTF16_BOMS or b"\x00" in data:
        return read_cells(data)
    # the header from the file's first megabytes; the rest is checked to be UTF-8 by
    # pyarrow (a million rows decoded into one Python text would only be thrown away)
    cut = len(data) > _HEAD_BYTES
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(data[:_HEAD_BYTES], final=not cut)
    except UnicodeDecodeError:
        return read_cells(data)
    check_line_length(data)
    delimiter = sniff_delimiter(text)
    lines = _lines(text)
    header = next(csv.reader(lines, delimiter=delimiter), [])
    names = [h.strip().lower() for h in header]
    if not any(names) or len(set(names)) < len(names) or (cut and next(lines, None) is None):
        return read_cells(data)  # (or a header that does not end in the first megabytes)
    keys = [f"c{i}" for i in range(len(names))]
    body = pa.py_buffer(data).slice(3 if data.startswith(_UTF8_BOM) else 0)  # the text's bytes
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            # one thread: with quoted line breaks allowed, pyarrow's threads cost twice the
            # CPU time for no less waiting on 2 cores (a million rows: 0.1-0.27 s vs 0.2-0.5 s)
            read_options=pacsv.ReadOptions(column_names=keys, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(keys, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # a ragged row, a stray quote...
        return read_cells(data)
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    frame = pd.DataFrame(
        {name: pd.Series(_stripped(table.column(k)), dtype=dtype) for name, k in zip(
            names, keys, strict=True)}
    )  # fmt: skip
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # spreadsheet rows: the header is row 1
    filled = (frame != "").any(axis=1).to_numpy()
    if not filled.all():
        frame = frame[filled]
    if frame.empty:
        return read_cells(data)
    return Table(frame, "csv", "utf-8", delimiter)


_UTF8_BOM = b"\xef\xbb\xbf"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


#: How much of a file :func:`read_cells_fast` decodes to find its header and delimiter.
_HEAD_BYTES = 4 * MAX_LINE


def _stripped(column):
    """A pyarrow text column without spaces around its cells (what ``str.strip`` gives),
    made anew only when some cell starts or ends with a byte that may be a space (a control
    character, a space, or a byte of a non-ASCII character such as a no-break space)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for chunk in column.chunks:
        if chunk.null_count or chunk.type != pa.string():
            return pc.utf8_trim_whitespace(column)
        offsets, data = chunk.buffers()[1:3]
        if data is None:
            continue
        at = np.frombuffer(offsets, dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        begin, end = at[:-1], at[1:]
        filled = end > begin
        body = np.frombuffer(data, dtype=np.uint8)
        ends = np.concatenate([body[begin[filled]], body[end[filled] - 1]])
        if ((ends <= 32) | (ends >= 128)).any():
            return pc.utf8_trim_whitespace(column)
    return column


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, as ``io.StringIO(text, newline="")`` gives
    them, one at a time (the header is read without copying a file of many megabytes)."""
    return (m.group() for m in _LINE.finditer(text))


def header_names(data: bytes) -> list[str]:
    """The column names of a text table (its first line, lower-cased); [] if not text.

    For choosing columns before the file is read: a binary file or a ZIP (a workbook, a
    zipped Shapefile) has none to offer.
    """
    head = data[:65536]
    if head[:4] in (_ZIP_MAGIC, _OLE_MAGIC):
        return []
    try:
        text = decode(head)
    except (InputError, ValueError):  # binary, or cut inside a character
        return []
    first = text.splitlines()[0] if text else ""
    cells = next(csv.reader([first], delimiter=sniff_delimiter(first)), [])
    return [c.strip().lower() for c in cells if c.strip()]


def read_table(source: str | Path | bytes) -> pd.DataFrame:
    """Read a CSV file (path or bytes) into a frame of stripped text cells.

    Column names are stripped and lower-cased. Raises :class:`InputError` for an empty file,
    a header without rows, a binary file or a row with more cells than the header.
    """
    return read_cells(source, excel=False).frame


def _split_csv(text: str, delim: str, widest: bool = False) -> pd.DataFrame:
    """All records as text cells, index = record number from 0 (blank records kept).

    Rows are as wide as the header (the first row with something in it), or, with
    ``widest``, as the widest row (title rows above the header are narrower).
    """
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError):
        pass  # ragged rows, stray quotes ...: the csv module says exactly where
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV: {exc}") from None
    nonblank = [i for i, r in enumerate(rows) if any(cell.strip() for cell in r)]
    if not nonblank:
        raise InputError("the file is empty")
    width = max(len(rows[i]) for i in nonblank) if widest else len(rows[nonblank[0]])
    for i in nonblank[1:]:
        r = rows[i]
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise InputError(
                f"has {len(r)} cells but the header has {width}; check the delimiter "
                f"({_DELIM_NAMES[delim]} was used)",
                row=i + 1,
            )
    body = [r[:width] + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(body, columns=range(width), dtype="str")


_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _tabulate(raw: pd.DataFrame, delim: str | None = None) -> pd.DataFrame:
    """Header and body from records: strip cells, drop blank rows, number rows from 1."""
    cells = {}
    for k, col in enumerate(raw.columns):
        values = raw[col]
        if values.dtype != "str":
            values = values.fillna("").astype("str")
        cells[k] = values.str.strip()
    frame = pd.DataFrame(cells)
    frame.index = pd.RangeIndex(1, 1 + len(frame))  # spreadsheet row numbers
    if frame.shape[1] == 0:
        raise InputError("the file is empty")
    filled = (frame != "").any(axis=1).to_numpy()
    if not filled.any():
        raise InputError("the file is empty")
    first = int(np.argmax(filled))
    header = [str(h).lower() for h in frame.iloc[first]]
    dupes = {h for h in header if header.count(h) > 1 and h}
    if dupes:
        raise InputError(f"the column '{sorted(dupes)[0]}' appears more than once in the header")
    body = frame.iloc[first + 1 :][filled[first + 1 :]]
    if body.empty:
        raise InputError("the file has a header but no rows")
    body.columns = header
    return body


def _read_xlsx(data: bytes) -> tuple[pd.DataFrame, list[tuple[str, int | None]]]:
    """The first sheet of a workbook as text cells (index = row number - 1)."""
    names, read = _read_workbook(data, None, first=True)
    notes = []
    if len(names) > 1:
        notes.append(
            (
                f"the workbook has {len(names)} sheets; only the first ({names[0]!r}) was read",
                None,
            )
        )
    return read[0][1].map(_cell_text), notes


def _cell_text(value: object) -> str:
    """A workbook cell as the text a person would have typed."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- the files offices keep: title rows, merged headers, total rows, sheets, wide tables ------

#: The date column of a wide table read as a long one, and its numbers when the header names
#: only the dates (:func:`read_office`).
WIDE_DATE = "tanggal"
WIDE_VALUES = "nilai"
#: ``sheet=`` value that reads every sheet of a workbook.
ALL_SHEETS = "all"
#: A cell that names no place but the sum of the rows above it: ``JUMLAH``, ``TOTAL``,
#: ``Jumlah Kab/Kota``, ``GRAND TOTAL``, ``Total Jawa Tengah``.
_TOTAL = re.compile(r"^(?:grand\s*|sub\s*)?(?:jumlah|total)(?![a-z])", re.IGNORECASE)
_TOTAL_START = r"^(?i)(grand|sub|jumlah|total)"
_NUMERIC = re.compile(r"^[-+]?[0-9][0-9.,\s\u00a0]*%?$")
_HEADER_PROBE = 50  # rows looked at to find the header below title rows
_MERGE = re.compile(
    rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"'
)
_SHEET = re.compile(rb"<(?:\w+:)?sheet\s([^>]*?)/?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\s([^>]*?)/?>")
#: A cell that holds a formula (``<c r="C3"><f>1+1</f><v/></c>``), its value (if any) and text.
_FORMULA = re.compile(
    rb'<c\s+r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>((?:(?!</c>).)*?<f[ >/](?:(?!</c>).)*?)</c>',
    re.S,
)
_VALUE = re.compile(rb"<v>[^<]+</v>")
_FORMULA_TEXT = re.compile(rb"<f[^>]*>([^<]*)</f>")


def _total_cells(cells: pd.Series) -> np.ndarray:
    """Which cells are a total row's label: a fast test of the first word (Arrow's regular
    expressions have no look-ahead), then :data:`_TOTAL` on the few that pass it."""
    maybe = cells.str.contains(_TOTAL_START, regex=True).to_numpy(bool)
    out = np.zeros(len(cells), dtype=bool)
    idx = np.flatnonzero(maybe)
    out[idx] = [bool(_TOTAL.match(v)) for v in cells.iloc[idx]]
    return out


def is_total_label(text: object) -> bool:
    """Whether a cell is the label of a total row (``JUMLAH``, ``TOTAL``, ``Jumlah Kab/Kota``)."""
    return bool(_TOTAL.match(str(text).strip()))


def read_office(source: str | Path | bytes, sheet: str | None = None) -> list[Table]:
    """A table as offices keep it: a CSV file, or the sheets of an ``.xlsx`` workbook.

    Besides what :func:`read_cells` reads, each table is laid out as a person reads it:

    * **title rows** above the header (a title, "per tanggal ...") are kept in ``titles``;
      the header is the first row at least half as wide as the table;
    * **two header rows** (a group over sub-columns, or merged cells) give each column the
      parts of its name (``parts``): ``KONFIRMASI`` over ``SEMBUH`` is ``konfirmasi sembuh``;
      a workbook's merged cells count as written in every cell they cover;
    * **total rows** (``JUMLAH``, ``TOTAL`` in one of the first three cells) are left out,
      each with a note;
    * a **wide table**, one column per date (``05/07/2021``, ``Senin, 05 Juli 2021``, a date
      cell, an Excel serial number), becomes a long one: a row per row and date, the date in
      column :data:`WIDE_DATE`, the numbers under the dates in :data:`WIDE_VALUES` (or, under
      a second header row, in one column per name: ``konfirmasi``, ``sembuh``...); a total
      column beside the dates is left out. ``sources`` keeps each value's own column, so a
      message names the cell.

    Parameters
    ----------
    sheet : str, optional
        A workbook's sheet by name, or :data:`ALL_SHEETS`; by default every sheet with
        something in it (the caller chooses). A CSV file has no sheets.

    Returns
    -------
    list of Table
        One per sheet read (one for a CSV file).
    """
    data = load_bytes(source)
    if not data.strip():
        raise InputError("the file is empty")
    if data[:4] == _ZIP_MAGIC:
        out = []
        for name, raw, merges in _read_workbook(data, sheet)[1]:
            _check_rows(len(raw) - 1)
            table = _lay_out(raw.map(_cell_text), merges)
            table.format, table.sheet = "xlsx", name
            out.append(table)
        return out
    if data[:4] == _OLE_MAGIC:
        raise InputError("this is an old Excel workbook (.xls); save it as .xlsx or CSV")
    if sheet is not None and sheet != ALL_SHEETS:
        raise InputError(
            f"this is a CSV file, which has no sheets; leave out the sheet ({sheet!r})",
            column="--sheet",
        )
    check_line_length(data)
    _check_rows(data.count(b"\n") - 1)
    text, encoding, bad_line = decode_text(data)
    delim = _sniff_widest(text)
    raw = _split_csv(text, delim, widest=True)
    table = _lay_out(raw, [], delim)
    table.encoding, table.delimiter = encoding, delim
    if encoding == "cp1252":
        table.notes.insert(0, (
            f"the file is not valid UTF-8 (first at line {bad_line}); characters that are "
            "not UTF-8 were read as Windows-1252 - check names with accents",
            None,
        ))  # fmt: skip
    return [table]


def sheet_names(data: bytes) -> list[str]:
    """The sheets of an ``.xlsx`` workbook, in order; [] for anything else."""
    if data[:4] != _ZIP_MAGIC:
        return []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as book:
                return [str(n) for n in book.sheet_names]
    except Exception:  # not a workbook: the reader says why
        return []


def _sniff_widest(text: str) -> str:
    """The delimiter of a table that may have title lines above its header: the one that
    splits the most of the first lines into the same number of cells (a title line has
    none); on a tie, the header line's (:func:`sniff_delimiter`)."""
    lines = [ln for ln in text[:65536].splitlines()[:_HEADER_PROBE] if _NOT_BLANK.search(ln)]
    score = {}
    for d in DELIMITERS:
        counts = pd.Series([ln.count(d) for ln in lines], dtype="int64")
        counts = counts[counts > 0]
        score[d] = int(counts.value_counts().max()) if len(counts) else 0
    best = max(score.values(), default=0)
    tied = [d for d in DELIMITERS if score[d] == best]
    if best == 0 or len(tied) > 1:
        header = sniff_delimiter(text)
        return header if best == 0 or header in tied else tied[0]
    return tied[0]


def _read_workbook(
    data: bytes, sheet: str | None, first: bool = False
) -> tuple[list[str], list[tuple[str, pd.DataFrame, list[tuple[int, int, int, int]]]]]:
    """A workbook's sheet names, and the chosen sheets that hold something (the first
    sheet only with ``first``): name, cells (index = row - 1, column = column - 1) and
    merged ranges (first row, first column, last row, last column; from 0)."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:  # pragma: no cover - openpyxl is in requirements.txt
        raise InputError(
            "reading .xlsx needs the openpyxl package; save the sheet as CSV"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as book:
                names = [str(n) for n in book.sheet_names]
                chosen = names[:1] if first else _choose_sheets(names, sheet)
                raws = {n: pd.read_excel(book, sheet_name=n, header=None, dtype=object)
                        for n in chosen}  # fmt: skip
        facts = _sheet_facts(data)
    except InputError:
        raise
    except Exception as exc:  # a damaged workbook fails anywhere inside openpyxl or zipfile
        raise InputError(
            f"this looks like an Excel workbook but it cannot be read ({type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx or CSV"
        ) from None
    for n in chosen:  # a formula saved without its value: its text, for the reader to refuse
        for r, c, text in facts.get(n, ((), ()))[1]:
            raw = raws[n]
            if r >= raw.shape[0] or c >= raw.shape[1]:
                raw = raw.reindex(index=range(max(raw.shape[0], r + 1)),
                                  columns=range(max(raw.shape[1], c + 1)))  # fmt: skip
            if pd.isna(raw.iat[r, c]):
                raw.iat[r, c] = text
            raws[n] = raw
    out = [(n, raws[n], facts.get(n, ([], []))[0]) for n in chosen if not _blank(raws[n])]
    if not out:
        raise InputError("the file is empty")
    return names, out


def _choose_sheets(names: list[str], sheet: str | None) -> list[str]:
    if sheet is None or (sheet == ALL_SHEETS and ALL_SHEETS not in names):
        return names
    wanted = [n for n in names if n == sheet] or [
        n for n in names if n.strip().lower() == sheet.strip().lower()
    ]
    if not wanted:
        raise InputError(
            f"the workbook has no sheet {sheet!r}; its sheets are: "
            + ", ".join(repr(n) for n in names) + f", or {ALL_SHEETS!r} for every sheet",
            column="--sheet",
        )  # fmt: skip
    return wanted[:1]


def _blank(raw: pd.DataFrame) -> bool:
    return raw.empty or not raw.map(lambda v: _cell_text(v).strip() != "").to_numpy().any()


def _sheet_facts(
    data: bytes,
) -> dict[str, tuple[list[tuple[int, int, int, int]], list[tuple[int, int, str]]]]:
    """Each sheet's merged ranges and its formula cells saved without their value, read from
    the workbook's XML (openpyxl's fast reader keeps neither: it reads such a formula as an
    empty cell, which would be a missing count)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
            return {}
        targets = {}
        for rel in _RELATION.finditer(archive.read("xl/_rels/workbook.xml.rels")):
            attrs = dict(_ATTR.findall(rel.group(1)))
            target = attrs.get(b"Target", b"").decode("utf-8", "replace")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[attrs.get(b"Id", b"")] = target
        out = {}
        for found in _SHEET.finditer(archive.read("xl/workbook.xml")):
            attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(found.group(1))}
            name = html.unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
            path = targets.get(attrs.get(b"id", b""))
            if path not in names:
                continue
            xml = archive.read(path)
            ranges = []
            for m in _MERGE.finditer(xml):
                r1, r2 = int(m[2]) - 1, int(m[4]) - 1
                c1, c2 = _column_number(m[1]) - 1, _column_number(m[3]) - 1
                ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            formulas = []
            if b"<f" in xml:
                for m in _FORMULA.finditer(xml):
                    if not _VALUE.search(m[3]):
                        text = _FORMULA_TEXT.search(m[3])
                        shown = html.unescape(text[1].decode("utf-8", "replace")) if text else ""
                        formulas.append((int(m[2]) - 1, _column_number(m[1]) - 1, f"={shown}"))
            out[name] = (ranges, formulas)
    return out


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def _lay_out(
    raw: pd.DataFrame, merges: list[tuple[int, int, int, int]], delimiter: str | None = None
) -> Table:
    """Title rows, header rows, body, total rows and the wide shape of a sheet's cells.

    ``raw`` holds the cells as text (index and columns from 0); ``delimiter`` is a CSV
    file's, whose rows may not be wider than their header. Column by column: a province's
    villages over a year are millions of rows.
    """
    n_rows, n_cols = raw.shape
    if n_rows == 0 or n_cols == 0:
        raise InputError("the file is empty")
    columns = [_text_cells(raw.iloc[:, c]).reset_index(drop=True) for c in range(n_cols)]
    written = np.column_stack([col.ne("").to_numpy(bool) for col in columns])
    if not written.any():
        raise InputError("the file is empty")
    for r1, c1, r2, c2 in merges:  # a merged cell is written in every cell it covers
        if r1 < n_rows and c1 < n_cols:
            r2, c2 = min(r2, n_rows - 1), min(c2, n_cols - 1)
            value = columns[c1].iat[r1]
            for c in range(c1, c2 + 1):
                part = columns[c].iloc[r1 : r2 + 1]
                columns[c].iloc[r1 : r2 + 1] = part.where(part.ne(""), value)
    per_row = written.sum(axis=1)  # as typed: a title merged across the sheet is one cell
    rows = np.flatnonzero(per_row > 0)
    width = int(per_row[rows[:_HEADER_PROBE]].max())
    need = max(2, -(-width // 2)) if width >= 2 else 1
    header = next((int(r) for r in rows[:_HEADER_PROBE] if per_row[r] >= need), int(rows[0]))

    def row_of(r: int) -> np.ndarray:
        return np.array([col.iat[r] for col in columns], dtype=object)

    titles = [" ".join(row_of(r)[written[r]].tolist()) for r in rows if r < header]
    sub = header + 1
    two = sub < n_rows and _is_sub_header(row_of(header), row_of(sub), written, merges, header)
    upper, lower = row_of(header), (row_of(sub) if two else None)
    if two:
        for c in range(1, n_cols):  # a group written once over its sub-columns (CSV)
            if upper[c] == "" and lower[c] != "":
                upper[c] = upper[c - 1]
    parts_of = []
    for c in range(n_cols):
        got = [upper[c].lower()] + ([lower[c].lower()] if two else [])
        parts_of.append(tuple(dict.fromkeys(p for p in got if p)))
    first_body = sub + 1 if two else header + 1
    body_rows = rows[rows >= first_body]
    names = [" ".join(p) for p in parts_of]
    named = [c for c in range(n_cols) if names[c]]
    body_written = written[body_rows]
    if delimiter is not None and named and named[-1] + 1 < n_cols:
        beyond = np.flatnonzero(body_written[:, named[-1] + 1 :].any(axis=1))
        if len(beyond):
            r = int(body_rows[beyond[0]])
            cells = int(np.flatnonzero(written[r])[-1]) + 1
            raise InputError(
                f"has {cells} cells but the header has {named[-1] + 1}; check the delimiter "
                f"({_DELIM_NAMES[delimiter]} was used)",
                row=r + 1,
            )
    keep = [c for c in range(n_cols) if names[c] or body_written[:, c].any()]
    names = [names[c] for c in keep]
    dupes = sorted({h for h in names if h and names.count(h) > 1})
    if dupes:
        raise InputError(f"the column '{dupes[0]}' appears more than once in the header")
    if not len(body_rows):
        raise InputError("the file has a header but no rows")
    index = pd.Index(body_rows + 1)
    first, last = int(body_rows[0]), int(body_rows[-1])
    if last - first + 1 == len(body_rows):  # no blank rows: a slice, not a copy
        body = pd.DataFrame({k: columns[c].iloc[first : last + 1] for k, c in enumerate(keep)})
        body.index = index
    else:
        body = pd.DataFrame({k: columns[c].take(body_rows) for k, c in enumerate(keep)})
        body.index = index
    body.columns = names
    table = Table(body, "csv", titles=titles)
    table.parts = {names[k]: parts_of[c] for k, c in enumerate(keep) if names[k]}
    # total rows: a total's label in one of the first three cells
    total = np.zeros(len(body), dtype=bool)
    first3 = body.iloc[:, :3]
    for k in range(first3.shape[1]):
        total |= _total_cells(first3.iloc[:, k])
    for row, label in zip(body.index[total], first3[total].to_numpy(), strict=True):
        shown = next(v for v in label if _TOTAL.match(v))
        table.notes.append((f"a total row ({quote(shown)}); it is left out", int(row)))
        table.skipped.append(int(row))
    table.frame = body[~total]
    if table.frame.empty:
        raise InputError("the file has a header but no rows (only totals)")
    _widen(table)
    return table


def _is_sub_header(
    header_row: np.ndarray, cells: np.ndarray, written: np.ndarray, merges: list, header: int
) -> bool:
    """Whether the row under the header is a second header row: it names sub-columns (under
    a group written once or merged) and holds no numbers."""
    filled = cells != ""
    if filled.sum() < 2:
        return False
    grouped = bool((~written[header] & written[header + 1]).any()) or any(
        r1 <= header <= r2 and (c2 > c1 or r2 > header) for r1, c1, r2, c2 in merges
    )
    if not grouped:
        return False
    if any(_NUMERIC.match(c) and parse_date(c) is None for c in cells[filled]):
        return False
    dates = sum(parse_date(c) is not None for c in cells[filled])
    header_dates = sum(parse_date(c) is not None for c in header_row if c)
    return dates == 0 or (header_dates == 0 and dates >= 2)


def _widen(table: Table) -> None:
    """A wide table (one column per date) as a long one: see :func:`read_office`."""
    frame = table.frame
    dated: dict[str, tuple[pd.Timestamp, str, str]] = {}  # column -> (day, date text, values)
    for name in frame.columns:
        parts = table.parts.get(name, ())
        days = [(k, parse_date(p)) for k, p in enumerate(parts)]
        days = [(k, d) for k, d in days if d is not None]
        if days:
            k, day = days[0]
            rest = " ".join(p for i, p in enumerate(parts) if i != k) or WIDE_VALUES
            dated[name] = (day, parts[k], rest)
    if not dated:
        return
    ids = [c for c in frame.columns if c not in dated]
    first = list(frame.columns).index(next(iter(dated)))
    totals = [c for c in ids if list(frame.columns).index(c) > first and is_total_label(c)]
    for c in totals:
        table.notes.append((f"column {c!r} is a total beside the dates; it is left out", None))
    ids = [c for c in ids if c not in totals]
    if WIDE_DATE in ids:
        raise InputError(
            f"the table has a column per date and also a column {WIDE_DATE!r}; a table has "
            "its dates either down one column or across the header, not both",
            column=WIDE_DATE,
        )
    values = list(dict.fromkeys(v for _, _, v in dated.values()))
    days = list(dict.fromkeys(d for d, _, _ in dated.values()))
    cell: dict[tuple[pd.Timestamp, str], str] = {}
    for name, (day, _, value) in dated.items():
        if (day, value) in cell:
            raise InputError(
                f"the header has {day:%Y-%m-%d} twice (columns {cell[day, value]!r} and "
                f"{name!r}); remove one of them",
                column=name,
            )
        cell[day, value] = name
    text_of = {d: next(t for dd, t, _ in dated.values() if dd == d) for d in days}
    n = len(frame)
    parts, sources = [], {v: [] for v in values}
    for day in days:
        block = frame[ids].copy()
        block[WIDE_DATE] = text_of[day]
        for value in values:
            col = cell.get((day, value))
            block[value] = frame[col] if col is not None else ""
            sources[value].append(np.full(n, col or "", dtype=object))
        parts.append(block)
    table.frame = pd.concat(parts)
    table.sources = {v: np.concatenate(a) for v, a in sources.items()}
    table.parts = {c: table.parts[c] for c in ids if c in table.parts}
    table.wide = {
        "dates": len(days), "first": min(days).date().isoformat(),
        "last": max(days).date().isoformat(), "values": values,
    }  # fmt: skip


def require_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    """Raise :class:`InputError` naming the first required column that is missing."""
    for col in columns:
        if col not in frame.columns:
            raise InputError(
                f"the file has no '{col}' column (columns found: {', '.join(frame.columns)})"
            )


def parse_numbers(cells: pd.Series, column: str, allow_negative: bool = False) -> np.ndarray:
    """Numbers from text cells; empty cells are NaN (missing, not zero).

    Accepts ``1234``, ``1.5``, ``1,234`` and ``1.234`` (thousands), ``1.234,5`` (Indonesian).
    """
    fast = pd.to_numeric(cells.replace("", np.nan), errors="coerce").to_numpy(float, copy=True)
    fast[~np.isfinite(fast)] = np.nan  # inf, Infinity, 1e999: take the slow path and fail
    slow = np.isnan(fast) & cells.astype(str).str.strip().ne("").to_numpy()
    if not slow.any():
        if not allow_negative and (fast < 0).any():
            k = int(np.flatnonzero(fast < 0)[0])
            raise InputError(
                f"{cells.iloc[k]!r} is negative; counts cannot be negative",
                row=cells.index[k],
                column=column,
            )
        return fast
    out = np.full(len(cells), np.nan)
    for k, (row, cell) in enumerate(cells.items()):
        text = str(cell).strip() if cell is not None else ""
        if not text or text.lower() in {"na", "nan", "-", "null"}:
            continue
        value = _number(text)
        if value is None:
            raise InputError(f"{quote(text)} is not a number", row=row, column=column)
        if value < 0 and not allow_negative:
            raise InputError(
                f"{text!r} is negative; counts cannot be negative", row=row, column=column
            )
        out[k] = value
    return out


_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def _number(text: str) -> float | None:
    t = text.replace(" ", "").replace("\u00a0", "")
    if _PLAIN.match(t):
        value = float(t)
    elif _THOUSANDS_COMMA.match(t):
        value = float(t.replace(",", ""))
    elif _THOUSANDS_DOT.match(t):
        value = float(t.replace(".", "").replace(",", "."))
    elif _DECIMAL_COMMA.match(t):
        value = float(t.replace(",", "."))
    else:
        return None
    return value if np.isfinite(value) else None


def parse_date(text: str) -> pd.Timestamp | None:
    """A date from ``2021-04-03``, ``03/04/2021`` (day first), ``3 April 2021``/``3 Mei 2021``,
    ``03-Apr-2021``, ``Senin, 05 Juli 2021`` (the day of the week must be the date's) or an
    Excel serial number (``44382``, 5 July 2021; 2000 to 2099 only).

    ``2021-04-03 00:00:00`` (a spreadsheet's date-time at midnight) is read as its date.
    Years outside 1900-2200 are typos, not dates.
    """
    t = text.strip()
    weekday = None
    named = _WEEKDAY.match(t)
    if named and named[1].lower() in _WEEKDAY_OF:
        weekday, t = _WEEKDAY_OF[named[1].lower()], t[named.end() :]
    day = _parse_day(t)
    if day is not None and weekday is not None and day.day_of_week != weekday:
        return None  # "Senin, 06 Juli 2021": a typo in the day or the date
    return day


def _parse_day(t: str) -> pd.Timestamp | None:
    m = _ISO.match(t)
    try:
        if m:
            year, month, day = int(m[1]), int(m[2]), int(m[3])
        elif m := _DMY.match(t):
            year, month, day = int(m[3]), int(m[2]), int(m[1])
        elif (m := _WORDS.match(t)) and m[2].lower() in _MONTHS:
            year, month, day = int(m[3]), _MONTHS[m[2].lower()], int(m[1])
        elif (m := _SERIAL.match(t)) and _SERIAL_RANGE[0] <= int(m[1]) <= _SERIAL_RANGE[1]:
            return _EXCEL_EPOCH + pd.Timedelta(days=int(m[1]))
        else:
            return None
        if not _FIRST_YEAR <= year <= _LAST_YEAR:
            return None
        return pd.Timestamp(year, month, day)
    except ValueError:
        return None


#: How a date may be written, for messages.
DATE_FORMS = "2021-04-03, 03/04/2021, 3 April 2021 or Senin, 05 Juli 2021"


def describe_date(text: str) -> str:
    """What is wrong with a cell :func:`parse_date` refused."""
    shown = quote(text)
    if not str(text).strip():
        return "the date is empty"
    named = _WEEKDAY.match(str(text).strip())
    if named and named[1].lower() in _WEEKDAY_OF:
        day = _parse_day(str(text).strip()[named.end() :])
        if day is not None:
            return (
                f"{shown}: {day:%d %B %Y} is a {day:%A}, not a "
                f"{_WEEKDAYS[_WEEKDAY_OF[named[1].lower()]][1].title()}; correct the day or "
                "the date"
            )
    return f"{shown} is not a date; write {DATE_FORMS}"


def to_dates(cells: pd.Series) -> np.ndarray:
    """Dates (``datetime64[ns]``) from text cells; ``NaT`` where a cell is empty or no date.

    Each distinct text is parsed once, so a million rows over a year cost 365 parses.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    parsed = np.array(
        [_as_datetime64(parse_date(str(u))) for u in uniques] + [np.datetime64("NaT", "ns")],
        dtype="datetime64[ns]",
    )
    return parsed[codes]  # code -1 (a missing cell) takes the trailing NaT


def _as_datetime64(day: pd.Timestamp | None) -> np.datetime64:
    return np.datetime64("NaT", "ns") if day is None else np.datetime64(day.date(), "ns")


def parse_dates(cells: pd.Series, column: str) -> pd.DatetimeIndex:
    """Dates from text cells; raise naming the first bad row."""
    values = to_dates(cells)
    bad = np.isnat(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        cell = cells.iloc[k]
        raise InputError(describe_date(str(cell)), row=cells.index[k], column=column)
    return pd.DatetimeIndex(values)


# --- typed columns: vectorised, returning values and a mask of bad cells -----------------

_WHOLE = (
    r"-?(?:[0-9]{1,15}(?:[.,]0{1,2})?"  # 1234, 1234.0, 1234,00
    r"|[0-9]{1,3}(?:\.[0-9]{3}){1,4}(?:,0{1,2})?"  # 1.234, 1.234.567 (Indonesian)
    r"|[0-9]{1,3}(?:,[0-9]{3}){1,4}(?:\.0{1,2})?)"  # 1,234, 1,234,567 (English)
)
_DECIMAL = r"-?(?:[0-9]{1,15}(?:[.,][0-9]{1,15})?|[.,][0-9]{1,15})"


def _text_cells(cells: pd.Series) -> pd.Series:
    if cells.dtype != "str":
        cells = cells.astype(object).where(cells.notna(), "").astype("str")
    return cells.str.strip()


def _missing(text: pd.Series) -> np.ndarray:
    return (text.eq("") | text.str.lower().isin(NA_TOKENS)).to_numpy(bool)


def whole_numbers(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts from text cells: ``(values, bad)``; NaN where empty, ``bad`` where not a count.

    Counts are whole numbers, so a separator followed by three digits groups thousands in
    either usage: ``1.234`` (Indonesian) and ``1,234`` (English) are both 1234, as are
    ``1.234.567`` and ``1,234,567``. ``12,0`` and ``12.00`` (a spreadsheet's whole number) are
    12. ``12.5``, ``12,5``, ``1e3`` and text are bad. Negative counts are returned as values
    for the caller to reject with its own message.
    """
    text = _text_cells(cells)
    values = np.full(len(text), np.nan)
    plain = text.str.fullmatch("[0-9]{1,15}").to_numpy(bool)
    if plain.all():
        return _as_float(text), np.zeros(len(text), dtype=bool)
    if plain.any():
        values[plain] = _as_float(text[plain])
    rest = ~plain & ~_missing(text)
    bad = np.zeros(len(text), dtype=bool)
    if rest.any():
        sub = text[rest].str.replace(_SPACES, "", regex=True)  # 1 234
        ok = sub.str.fullmatch(_WHOLE).to_numpy(bool)
        digits = sub[ok].str.replace("[.,]0{1,2}$", "", regex=True)
        idx = np.flatnonzero(rest)
        values[idx[ok]] = _as_float(digits.str.replace("[.,]", "", regex=True))
        bad[idx[~ok]] = True
    return values, bad


def decimal_numbers(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers that may have decimals (percentages): ``(values, bad)``, NaN where empty.

    The decimal mark may be ``,`` (Indonesian) or ``.``; a trailing ``%`` is allowed.
    Thousands separators are not: a percentage never needs one.
    """
    text = _text_cells(cells)
    values = np.full(len(text), np.nan)
    filled = ~_missing(text)
    bad = np.zeros(len(text), dtype=bool)
    if filled.any():
        sub = text[filled].str.replace(_SPACES, "", regex=True).str.removesuffix("%")
        ok = sub.str.fullmatch(_DECIMAL).to_numpy(bool)
        idx = np.flatnonzero(filled)
        values[idx[ok]] = _as_float(sub[ok].str.replace(",", ".", regex=False))
        bad[idx[~ok]] = True
    return values, bad


_SPACES = "[ \u00a0]"  # the characters themselves: pyarrow's RE2 runs it, \\s would not


def _as_float(text: pd.Series) -> np.ndarray:
    """Floats from cells already checked to be plain numbers (Arrow's cast when present)."""
    if not len(text):
        return np.zeros(0)
    try:
        out = text.astype("float64[pyarrow]").to_numpy(float, na_value=np.nan)
        return out if out.flags.writeable else out.copy()
    except (ImportError, TypeError, ValueError):  # no pyarrow: numpy parses each cell
        return np.array(text.to_numpy(object), dtype=float)


_WHOLE_CELL = re.compile(_WHOLE)


def count_cell(value: object) -> float | None:
    """One cell read as a count, the way :func:`whole_numbers` reads a column.

    For cells that may already be numbers (a GIS file's attributes), which are taken as they
    are. Returns NaN for an empty cell (or ``na``, ``-`` ...) and ``None`` for one that is not a
    number; text with decimals (``12.5``, ``12,5``) gives its value, for the caller to refuse
    as not whole. ``12.345`` and ``12,345`` are 12345, as in :func:`whole_numbers`.
    """
    if value is None:
        return np.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if np.isnan(number):
            return np.nan
        return number if np.isfinite(number) else None
    text = "".join(str(value).split())  # any white space, no-break space too
    if not text or text.lower() in NA_TOKENS:
        return np.nan
    if _WHOLE_CELL.fullmatch(text):
        return float(re.sub("[.,]", "", re.sub("[.,]0{1,2}$", "", text)))
    return _number(text)


_LOCAL_NUMBER = re.compile(r"^0*([0-9]{1,3})(?:\.0+)?$")


def local_number(value: object) -> int | None:
    """An RW's or RT's number within its parent: ``3``, ``"003"``, ``3.0``, ``"3.0"``.

    Returns 0 to 999, or ``None`` for anything else (text, a decimal, a larger number).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value) if 0 <= int(value) <= 999 else None
    if isinstance(value, float | np.floating):
        ok = float(value).is_integer() and 0 <= value <= 999
        return int(value) if ok else None
    match = _LOCAL_NUMBER.match(str(value).strip())
    return int(match.group(1)) if match else None


def describe_number(text: str, whole: bool) -> str:
    """What is wrong with a cell :func:`whole_numbers` or :func:`decimal_numbers` refused."""
    shown = quote(text)
    if str(text).startswith("="):
        return (
            f"{shown} is a formula the workbook was saved without calculating; open it in "
            "Excel or LibreOffice and save it again, or type the number"
        )
    value = _number(str(text))
    if value is None:
        return f"{shown} is not a number"
    if whole and not float(value).is_integer():
        return (
            f"{shown} is not a whole number; counts are whole numbers "
            "(1.234 and 1,234 are read as one thousand two hundred and thirty-four)"
        )
    if whole and abs(value) >= 1e15:
        return f"{shown} is too large to be a count"
    return f"{shown} is not a number this column accepts"
