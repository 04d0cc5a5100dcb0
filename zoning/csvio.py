"""Reading tables from analysts: encodings, delimiters, numbers and dates.

Every reader here returns text cells or raises :class:`~zoning.errors.InputError` naming the
row (spreadsheet numbering: the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.errors import InputError

ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (",", ";", "\t")
MAX_BYTES = 200 * 1024 * 1024

_MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
    "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6,
    "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8, "august": 8, "agu": 8,
    "aug": 8, "agt": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10,
    "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12,
    "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_WORDS = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")


def decode(data: bytes) -> str:
    """Decode file bytes as UTF-8 (with or without BOM), else Windows-1252."""
    if b"\x00" in data[:8192]:
        raise InputError("this is not a text (CSV) file; save the sheet as CSV and try again")
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("the file's text encoding is not UTF-8 or Windows-1252")  # pragma: no cover


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: comma, semicolon or tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_table(source: str | Path | bytes) -> pd.DataFrame:
    """Read a CSV file (path or bytes) into a frame of stripped text cells.

    Column names are stripped and lower-cased. Raises :class:`InputError` for an empty file,
    a header without rows, a binary file or a row with more cells than the header.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise InputError(f"the file is larger than {MAX_BYTES // 2**20} MB; split it")
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a folder, not a file") from None
        except PermissionError:
            raise InputError(f"cannot read {path}: permission denied") from None
    else:
        data = source
    if not data.strip():
        raise InputError("the file is empty")
    text = decode(data)
    delim = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"cannot read the CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InputError("the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if len(rows) == 1:
        raise InputError("the file has a header but no rows")
    dupes = {h for h in header if header.count(h) > 1 and h}
    if dupes:
        raise InputError(f"the column '{sorted(dupes)[0]}' appears more than once in the header")
    width = len(header)
    body = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise InputError(
                f"has {len(r)} cells but the header has {width}; check the delimiter "
                f"({'semicolon' if delim == ';' else 'comma' if delim == ',' else 'tab'} was used)",
                row=i,
            )
        body.append([c.strip() for c in r[:width]] + [""] * (width - len(r)))
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # spreadsheet row numbers
    return frame


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
            raise InputError(f"{text[:40]!r} is not a number", row=row, column=column)
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
    """A date from ``2021-04-03``, ``03/04/2021`` (day first) or ``3 April 2021``/``3 Mei 2021``."""
    t = text.strip()
    m = _ISO.match(t)
    try:
        if m:
            return pd.Timestamp(int(m[1]), int(m[2]), int(m[3]))
        m = _DMY.match(t)
        if m:
            return pd.Timestamp(int(m[3]), int(m[2]), int(m[1]))
        m = _WORDS.match(t)
        if m and m[2].lower() in _MONTHS:
            return pd.Timestamp(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    except ValueError:
        return None
    return None


def parse_dates(cells: pd.Series, column: str) -> pd.DatetimeIndex:
    """Dates from text cells; raise naming the first bad row."""
    parsed = {u: parse_date(str(u)) if u not in (None, "") else None for u in cells.unique()}
    values = cells.map(parsed)
    bad = values.isna().to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        cell = cells.iloc[k]
        raise InputError(
            f"{str(cell)[:40]!r} is not a date; write 2021-04-03, 03/04/2021 or 3 April 2021",
            row=cells.index[k],
            column=column,
        )
    return pd.DatetimeIndex(values)
