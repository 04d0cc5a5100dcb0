"""The analysts' daily case counts: read, check and import a CSV or ``.xlsx`` file.

:func:`read_counts` parses and checks a file entirely in memory and returns the daily counts
with a :class:`~zoning.intake.report.Report` (every problem with its row and column); the
upload page shows it as a preview. :func:`import_counts` writes an accepted file in one
transaction, or
nothing at all.

What a file may look like
-------------------------
Comma, semicolon or tab separated; UTF-8 (with or without BOM), Windows-1252, or the first
sheet of an ``.xlsx`` workbook. Column names in Bahasa Indonesia or English, case, spaces,
underscores and hyphens ignored (``Kasus Baru`` = ``kasus_baru``); see
:data:`zoning.intake.columns.COUNTS`. An
explicit ``mapping={"source column": "field"}`` always wins over a guess; a guess that could
go two ways is an error that asks for one. Regions by code in any written form or by name;
a file for one region may leave out the region column and pass ``region=``.

Daily values come from daily columns, or are derived from cumulative ones: ``new_cases`` from
``cases_total`` (or from ``active + recovered_total + deaths_total``), ``deaths`` from
``deaths_total``. A day's derived value is the difference from the day before; where the day
before is missing, the value is missing too (never zero), except that an unchanged total means
no new cases. The first day of a series has no daily value unless its total is 0. A total that
falls is an error: the difference would be negative, and the jump back up after a typo would
show as a false spike of cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.core.text import quote, redact
from zoning.intake import envelope, tables
from zoning.intake.columns import (
    COUNTS,
    COUNTS_AMBIGUOUS,
    COUNTS_REGION_CODES,
    COUNTS_REGION_NAMES,
    COUNTS_ROW_NUMBERS,
    column_key,
    field_of,
    match_columns,
)
from zoning.intake.report import ImportResult, Report
from zoning.model.metrics import COUNT_FIELDS
from zoning.model.regions import RegionResolver
from zoning.store import Store, Transaction

KIND = "counts"
IGNORE = "ignore"

#: Every field a column can be mapped to, with what it holds.
FIELDS: dict[str, str] = {
    "date": "the day the numbers are for",
    "region": "region code (33.74.01.1001) or name (Kota Semarang)",
    "new_cases": "new confirmed cases that day",
    "cases_total": "cumulative confirmed cases",
    "active": "active cases that day (being treated or isolating)",
    "recovered_total": "cumulative recoveries",
    "deaths": "deaths that day",
    "deaths_total": "cumulative deaths",
    "tests": "people or specimens tested that day",
    "positives": "positive tests that day",
    "admissions": "hospital admissions that day",
    "inpatient_covid_pct": "% of all staffed inpatient beds with COVID-19 patients (US CDC)",
    "bor_covid_pct": "BOR: % of the beds set aside for COVID-19 that are occupied",
    "beds_staffed": "staffed inpatient beds, all patients",
    "beds_covid": "beds set aside for COVID-19 patients",
    "houses_7d": "houses with a case in the last 7 days",
}
#: Fields only read to derive daily counts; they are not stored.
CUMULATIVE = ("cases_total", "active", "recovered_total", "deaths_total")
NUMBER_FIELDS = tuple(f for f in FIELDS if f not in ("date", "region"))
_PERCENT = frozenset({"inpatient_covid_pct", "bor_covid_pct"})

#: Field names as mapping targets (``--map COLUMN=FIELD``).
_TARGETS = {f: (f,) for f in FIELDS}
_IGNORE_TARGETS = {IGNORE: (IGNORE, "skip", "none")}
#: Region name columns by the level their names are looked for in ("any": every level).
_NAME_LEVELS: dict[str, tuple[str, ...]] = {}
for _name, _level in COUNTS_REGION_NAMES.items():
    _NAME_LEVELS.setdefault(_level or "any", ())
    _NAME_LEVELS[_level or "any"] += (_name,)
#: What a column is taken for from its name: a count field (by the field's name or an alias),
#: a column that could be either of two fields, a region column, or the rows' numbers.
_GUESSES: dict[str, tuple[str, ...]] = {
    **{f: (f, *COUNTS.get(f, ())) for f in FIELDS if f != "region"},
    "?ambiguous": COUNTS_AMBIGUOUS,
    "?codes": COUNTS_REGION_CODES,
    "?names": tuple(COUNTS_REGION_NAMES),
    "?row": COUNTS_ROW_NUMBERS,
}
_PER_PROBLEM = 100  # rows listed per problem and column; the rest are counted
_FUTURE_DAYS = 1  # a date later than tomorrow is a typo


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"region": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]")}
    )


def read_counts(
    source: bytes | Path,
    regions: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    region: str | None = None,
    filename: str | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Parse and check an analysts' counts file entirely in memory.

    Parameters
    ----------
    source : bytes or Path
        The file's content or its path (CSV or ``.xlsx``).
    regions : DataFrame
        Known regions (``code, name, level``), e.g. ``store.regions()``.
    mapping : dict, optional
        ``{"source column": "field"}`` (a field of :data:`FIELDS`, or ``"ignore"``); wins over
        every guess.
    region : str, optional
        Code or name of the one region a file without a region column is for.
    filename : str, optional
        The file's name, for the report.

    Returns
    -------
    (DataFrame, Report)
        ``region`` (normalised code), ``date`` (datetime64) and the count fields of
        :data:`~zoning.model.metrics.COUNT_FIELDS` the file gives or implies (float, NaN = missing),
        one row per region-day, sorted. With errors in the report, the frame holds what could
        be read and must not be imported. Problems are reported, not raised: only a bug would
        raise, and then an :class:`~zoning.core.errors.InputError`.
    """
    report = Report()
    if filename is None and isinstance(source, str | Path):
        filename = Path(source).name
    report.facts.update(file=filename, options=_options(mapping, region))
    try:
        frame = _read(source, regions, mapping, region, report)
    except InputError as exc:
        report.error(exc.bare, exc.row, exc.column)
        frame = None
    report.issues.sort(key=lambda i: (i.row is not None, i.row or 0))  # file order
    return (_empty_frame() if frame is None else frame), report


@dataclass
class Counts(envelope.Kind):
    """Daily counts files, with the analyst's choices: the upload kind of
    :func:`import_counts` and the upload page."""

    mapping: Mapping[str, str] | None = None
    region: str | None = None
    name = KIND

    def options(self) -> dict:
        return _options(self.mapping, self.region)

    def read(self, store: Store, loaded: envelope.Loaded) -> envelope.Checked:
        frame, report = read_counts(
            loaded.data, store.regions(), mapping=self.mapping, region=self.region,
            filename=loaded.name,
        )  # fmt: skip
        return envelope.Checked(frame, report, int(report.facts.get("rows", len(frame))))

    def prepare(self, store: Store, checked: envelope.Checked) -> None:
        """The region-days to write: those with at least one value."""
        frame = checked.frame
        fields = [f for f in COUNT_FIELDS if f in frame.columns]
        checked.work = frame.dropna(subset=fields, how="all") if fields else frame.iloc[:0]

    def write(
        self, store: Store, conn: Transaction, upload_id: int, checked: envelope.Checked
    ) -> int:
        """Insert or revise the daily counts; move the store's "as of" to the latest day."""
        write = checked.work
        if not len(write):
            return 0
        changed = store.write_counts(conn, write, upload_id)
        store.advance_as_of(conn, write["date"].max())
        return changed


def import_counts(
    store: Store,
    source: bytes | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    region: str | None = None,
    filename: str | None = None,
    author: str = "cli",
) -> ImportResult:
    """Check a counts file and write it into ``store`` in one transaction, or write nothing.

    Goes through :func:`zoning.intake.envelope.import_file`: the same bytes imported before
    with the same mapping and region write nothing and return ``duplicate_of`` when they
    would change nothing. A file with errors raises
    :class:`~zoning.intake.report.UploadRejected` carrying its report. Otherwise the upload is
    recorded with its report, the daily counts are inserted or revised (the store keeps the
    values they replace), and the store's ``as_of`` moves to the latest day with data if that
    is later.

    Raises
    ------
    InputError
        The file cannot be read at all (missing, too large) or is rejected
        (:class:`~zoning.intake.report.UploadRejected`).
    """
    return envelope.import_file(
        store, Counts(mapping, region), source, filename=filename, author=author
    )


# --- reading ---------------------------------------------------------------------------------


def _read(
    source: bytes | Path,
    regions: pd.DataFrame,
    mapping: Mapping[str, str] | None,
    region: str | None,
    report: Report,
) -> pd.DataFrame | None:
    table = tables.read_cells(source)
    for message, row in table.notes:
        report.warn(message, row=row)
    frame = table.frame
    rows = frame.index.to_numpy()
    report.facts.update(
        format=table.format, encoding=table.encoding, delimiter=table.delimiter, rows=len(frame)
    )
    report.facts["headers"] = [redact(str(c)) for c in frame.columns]
    columns = _match_columns(list(frame.columns), mapping, region is not None, report)
    if columns is None:
        return None
    report.facts["columns"] = {f: c for f, c in columns.items() if f != "_region_level"}

    # dates
    datecol = columns["date"]
    dates = tables.to_dates(frame[datecol])
    bad_date = np.isnat(dates)
    cells = frame[datecol]
    _flag(
        report, bad_date, rows, datecol,
        lambda k: "the date is empty" if not cells.iat[k] else (
            f"{quote(cells.iat[k])} is not a date; write 2021-04-03, 03/04/2021 or 3 April 2021"
        ),
    )  # fmt: skip
    tomorrow = np.datetime64(dt.date.today() + dt.timedelta(days=_FUTURE_DAYS), "ns")
    future = ~bad_date & (dates > tomorrow)
    _flag(report, future, rows, datecol, lambda k: f"{cells.iat[k]!r} is in the future")
    bad_date |= future

    # regions
    codes, bad_region = _regions(frame, columns, regions, region, report)
    if codes is None:
        return None

    # numbers
    values: dict[str, np.ndarray] = {}
    bad_number = np.zeros(len(frame), dtype=bool)
    for field in NUMBER_FIELDS:
        if field in columns:
            col = columns[field]
            values[field], bad = _numbers(frame[col], field, rows, col, report)
            bad_number |= bad
    if "tests" in values and "positives" in values:
        t, p = values["tests"], values["positives"]
        more = p > t
        _flag(
            report, more, rows, columns["positives"],
            lambda k: f"{p[k]:g} positive tests is more than the {t[k]:g} tests "
            f"in column {columns['tests']!r}",
        )  # fmt: skip
        bad_number |= more

    # rows with a wrong cell are left out of the checks across rows (no follow-on errors)
    keep = ~bad_date & ~bad_region & ~bad_number
    work = pd.DataFrame({"row": rows, "region": codes, "date": dates, **values})[keep]
    work = _drop_duplicates(work, list(values), report)
    work = work.sort_values(["region", "date"], kind="stable").reset_index(drop=True)
    out = _daily(work, columns, report)
    if out is None:
        return None
    if len(out):
        report.facts.update(
            regions=int(out["region"].nunique()),
            first_date=out["date"].min().date().isoformat(),
            last_date=out["date"].max().date().isoformat(),
        )
    return out


def _options(mapping: Mapping[str, str] | None, region: str | None) -> dict:
    return {"mapping": dict(mapping) if mapping else None, "region": region}


def _flag(
    report: Report,
    mask: np.ndarray,
    rows: np.ndarray,
    column: str | None,
    message: Callable[[int], str],
    severity: str = "error",
) -> None:
    """Report each row of ``mask`` (up to ``_PER_PROBLEM``; the rest are counted)."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    add = report.error if severity == "error" else report.warn
    for k in idx[:_PER_PROBLEM]:
        add(message(int(k)), row=int(rows[k]), column=column)
    rest = len(idx) - _PER_PROBLEM
    if rest > 0:
        add(
            f"this and {rest - 1} more rows have the same kind of problem "
            f"(the last is row {int(rows[idx[-1]])})",
            row=int(rows[idx[_PER_PROBLEM]]),
            column=column,
        )
        report.counts[severity] += rest - 1


def _match_columns(
    headers: list[str],
    mapping: Mapping[str, str] | None,
    region_given: bool,
    report: Report,
) -> dict[str, str] | None:
    """``{field: column}`` from the mapping and from the column names, or None on an error.

    The key ``"_region_level"`` carries the level a region name column names (if any).
    """
    found = ", ".join(repr(h) for h in headers if h)
    errors = report.counts["error"]
    chosen: dict[str, str] = {}
    explicit: set[str] = set()
    for src, target in (mapping or {}).items():
        ignore = not column_key(target or "") or field_of(target, _IGNORE_TARGETS) is not None
        field = IGNORE if ignore else field_of(target, _TARGETS)
        where = f"{src}={target}"
        if field is None:
            report.error(
                f"{where}: {target!r} is not a field; map to one of {', '.join(FIELDS)} "
                f"or {IGNORE}",
                column="--map",
            )
            continue
        cols = match_columns(headers, {src: (src,)}).get(src, [])
        if not cols:
            report.error(
                f"{where}: the file has no column {src!r} (columns: {found})", column="--map"
            )
            continue
        if len(cols) > 1:
            report.error(f"{where}: several columns are named like {src!r}", column="--map")
            continue
        explicit.add(cols[0])
        if field == IGNORE:
            continue
        if field in chosen:
            report.error(
                f"the mapping gives two columns for {field}: {chosen[field]!r} and {cols[0]!r}",
                column="--map",
            )
            continue
        chosen[field] = cols[0]
    if report.counts["error"] > errors:
        return None

    rest = [h for h in headers if h not in explicit and h]
    guess_of: dict[str, str] = {}
    for what, cols in match_columns(rest, _GUESSES).items():
        for col in cols:
            guess_of.setdefault(col, what)
    guesses: dict[str, list[str]] = {}
    codes_cols: list[str] = []
    name_cols: list[str] = []
    ambiguous: list[str] = []
    unused: list[str] = []
    for h in rest:
        what = guess_of.get(h)
        if what == "?ambiguous":
            ambiguous.append(h)
        elif what == "?codes":
            codes_cols.append(h)
        elif what == "?names":
            name_cols.append(h)
        elif what is None and column_key(h):  # a column named "#" numbers the rows too
            unused.append(h)
        elif what is not None and what != "?row":
            guesses.setdefault(what, []).append(h)
    for field, cols in guesses.items():
        if field in chosen:
            unused.extend(cols)  # the mapping chose another column for this field
        elif len(cols) > 1:
            _ask(report, cols, f"all look like {field} ({FIELDS[field]})", field)
        else:
            chosen[field] = cols[0]

    if "region" not in chosen:
        candidates = codes_cols or name_cols
        if len(candidates) > 1:
            _ask(report, candidates, "all look like the region", "region")
        elif candidates:
            chosen["region"] = candidates[0]
        if codes_cols:
            unused.extend(name_cols)  # names beside codes: the codes are used
    else:
        unused.extend(codes_cols + name_cols)
    if "region" in chosen:
        level = field_of(chosen["region"], _NAME_LEVELS)
        if level is not None and level != "any":
            chosen["_region_level"] = level

    for col in ambiguous:
        field = _resolve_ambiguous(col, chosen, report)
        if field is not None:
            chosen[field] = col

    if "date" not in chosen:
        report.error(
            f"the file has no date column (columns found: {found}); name it 'tanggal' or "
            "'date', or map it: COLUMN=date"
        )
    if "region" not in chosen and not region_given:
        report.error(
            f"the file has no region column (columns found: {found}); add one named "
            "'kode_wilayah' (codes) or 'nama_wilayah' (names), map it (COLUMN=region), or "
            "give the one region the file is for (--region CODE)"
        )
    if not any(f in chosen for f in NUMBER_FIELDS) and report.counts["error"] == errors:
        report.error(
            f"the file has no count columns (columns found: {found}); name them e.g. "
            "'kasus_baru', 'meninggal_harian', 'total_positif', or map them: COLUMN=FIELD"
        )
    if report.counts["error"] > errors:
        return None
    if unused:
        report.warn(
            "columns not used: " + ", ".join(repr(c) for c in unused)
            + "; if one holds counts, map it: COLUMN=FIELD"
        )  # fmt: skip
    return chosen


def _ask(report: Report, cols: list[str], what: str, field: str) -> None:
    listed = " and ".join(repr(c) for c in cols)
    report.error(
        f"columns {listed} {what}; say which to use with a mapping, e.g. "
        f"{cols[0]}={field} " + " ".join(f"{c}={IGNORE}" for c in cols[1:])
    )


def _resolve_ambiguous(col: str, chosen: dict[str, str], report: Report) -> str | None:
    """The field of a column like ``positif``: cumulative or daily, from the other columns."""
    has = chosen.__contains__
    if has("new_cases") and not has("cases_total"):
        return "cases_total"
    if has("cases_total") and not has("new_cases"):
        return "new_cases"
    companions = [chosen[f] for f in ("recovered_total", "deaths_total") if has(f)]
    if companions and not has("new_cases"):
        report.warn(
            f"column {col!r} is read as the cumulative total of cases (cases_total) because the "
            f"file also has cumulative {' and '.join(repr(c) for c in companions)}; if it holds "
            f"the new cases of each day, map it: {col}=new_cases",
            column=col,
        )
        return "cases_total"
    options = "the cumulative total of cases (cases_total) or the new cases of each day (new_cases)"
    if has("tests") and not has("positives"):
        options += " or the positive tests (positives)"
    report.error(
        f"column {col!r} could be {options}; say which with a mapping: {col}=cases_total or "
        f"{col}=new_cases",
        column=col,
    )
    return None


def _regions(
    frame: pd.DataFrame,
    columns: dict[str, str],
    regions: pd.DataFrame,
    region: str | None,
    report: Report,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Normalised codes per row and a mask of rows whose region is wrong."""
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    rows = frame.index.to_numpy()
    given = None
    if region is not None:
        given, problem = RegionResolver(regions).resolve(region)
        if problem is not None:
            report.error(problem, column="--region")
            return None, bad
    col = columns.get("region")
    if col is None:
        return np.full(n, given, dtype=object), bad
    resolver = RegionResolver(regions, level=columns.get("_region_level"))
    cells = frame[col]
    idx, uniques = pd.factorize(cells)
    found = [resolver.resolve(u) for u in uniques]
    codes = np.array([c for c, _ in found] + [None], dtype=object)[idx]
    problems = np.array([p for _, p in found] + ["the region is empty"], dtype=object)[idx]
    bad = pd.isna(codes)
    _flag(report, bad, rows, col, lambda k: problems[k])
    if given is not None:
        other = ~bad & (codes != given)
        _flag(
            report, other, rows, col,
            lambda k: f"this row is for {codes[k]} but the file was given as for {given} "
            "(--region); leave out --region or the other regions' rows",
        )  # fmt: skip
        bad |= other
    return codes, bad


def _numbers(
    cells: pd.Series, field: str, rows: np.ndarray, column: str, report: Report
) -> tuple[np.ndarray, np.ndarray]:
    """A number column's values (NaN where empty) and wrong cells, which are reported."""
    whole = field not in _PERCENT
    values, bad = (tables.whole_numbers if whole else tables.decimal_numbers)(cells)
    _flag(report, bad, rows, column, lambda k: tables.describe_number(cells.iat[k], whole))
    if whole:
        wrong = values < 0
        _flag(
            report, wrong, rows, column,
            lambda k: f"{cells.iat[k]!r} is negative; counts cannot be negative",
        )  # fmt: skip
    else:
        wrong = (values < 0) | (values > 100)
        _flag(
            report, wrong, rows, column,
            lambda k: f"{cells.iat[k]!r} is not a percentage between 0 and 100",
        )  # fmt: skip
        ok = values[~wrong & ~np.isnan(values)]
        if len(ok) and ok.max() <= 1 and ok.max() > 0:
            report.warn(
                "every value is at most 1: if these are fractions (0.85 for 85%, as a "
                "spreadsheet stores a cell formatted as a percentage), write them as percentages",
                column=column,
            )
    values[wrong] = np.nan
    return values, bad | wrong


def _drop_duplicates(work: pd.DataFrame, fields: list[str], report: Report) -> pd.DataFrame:
    """Keep one of identical rows for a region-day (a warning); different rows are errors."""
    key = ["region", "date"]
    dup = work.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return work
    sub = work[dup]
    first = sub.groupby([*key, *fields], sort=False, dropna=False)["row"].transform("min")
    first = first.to_numpy()
    same = sub.duplicated([*key, *fields], keep="first").to_numpy()
    srows = sub["row"].to_numpy()
    _flag(
        report, same, srows, None,
        lambda k: f"the same as row {first[k]} (region {sub['region'].iat[k]}, "
        f"{sub['date'].iat[k]:%Y-%m-%d}); kept once",
        severity="warning",
    )  # fmt: skip
    work = work.drop(index=sub.index[same])
    rest = work[work.duplicated(key, keep=False).to_numpy()]
    if len(rest):
        first_row = rest.groupby(key, sort=False)["row"].transform("min").to_numpy()
        later = rest.duplicated(key, keep="first").to_numpy()
        by_row = rest.set_index("row")
        rrows = rest["row"].to_numpy()

        def conflict(k: int) -> str:
            this, other = by_row.loc[rrows[k]], by_row.loc[first_row[k]]
            diffs = [
                f"{f} {_show(this[f])} here, {_show(other[f])} there"
                for f in fields
                if not (this[f] == other[f] or (pd.isna(this[f]) and pd.isna(other[f])))
            ]
            return (
                f"region {this['region']} on {this['date']:%Y-%m-%d} is also in row "
                f"{first_row[k]} with different values ({'; '.join(diffs)}); keep one of the rows"
            )

        _flag(report, later, rrows, None, conflict)
    return work


def _show(value: float) -> str:
    return "empty" if pd.isna(value) else f"{value:g}"


def _daily(work: pd.DataFrame, columns: dict[str, str], report: Report) -> pd.DataFrame | None:
    """The output frame: given daily fields, and daily fields derived from cumulative ones."""
    out = work[["region", "date"]].copy()
    derived: dict[str, str] = {}
    has = columns.__contains__
    for field in COUNT_FIELDS:
        if field in work:
            out[field] = work[field].astype(float)
    if not has("new_cases"):
        if has("cases_total"):
            col = columns["cases_total"]
            out["new_cases"] = _from_total(work, work["cases_total"], repr(col), col, report)
            label = repr(col)
            derived["new_cases"] = f"differences of {label}"
        elif has("active") and has("recovered_total") and has("deaths_total"):
            parts = ("active", "recovered_total", "deaths_total")
            label = " + ".join(repr(columns[f]) for f in parts)
            total = sum(work[f].to_numpy() for f in parts)
            out["new_cases"] = _from_total(work, total, label, None, report)
            derived["new_cases"] = f"differences of {label}"
        elif any(has(f) for f in ("active", "recovered_total")):
            given = [repr(columns[f]) for f in CUMULATIVE if has(f)]
            report.warn(
                f"new cases cannot be worked out from {', '.join(given)} alone; they need the "
                "cumulative total (total_positif), or active + recovered + deaths (dirawat, "
                "sembuh, meninggal)"
            )
    if not has("deaths") and has("deaths_total"):
        col = columns["deaths_total"]
        out["deaths"] = _from_total(work, work["deaths_total"], repr(col), col, report)
        label = repr(col)
        derived["deaths"] = f"differences of {label}"
    if derived:
        report.facts["derived"] = derived
    fields = [f for f in COUNT_FIELDS if f in out]
    if not fields:
        report.error(
            "the file gives no daily counts to import: "
            + ", ".join(repr(columns[f]) for f in CUMULATIVE if has(f))
            + " are cumulative; add the missing cumulative columns or daily columns"
        )
        return None
    return out[["region", "date", *fields]].reset_index(drop=True)


def _from_total(
    work: pd.DataFrame,
    total: pd.Series | np.ndarray,
    label: str,
    column: str | None,
    report: Report,
) -> np.ndarray:
    """Daily values from a cumulative series (``work`` sorted by region and date)."""
    n = len(work)
    daily = np.full(n, np.nan)
    if n == 0:
        return daily
    total = np.asarray(total, dtype=float)
    region = work["region"].to_numpy(object)
    dates = work["date"].to_numpy("datetime64[ns]")
    rows = work["row"].to_numpy()
    same = np.zeros(n, dtype=bool)
    same[1:] = region[1:] == region[:-1]
    next_day = np.zeros(n, dtype=bool)
    next_day[1:] = same[1:] & (dates[1:] - dates[:-1] == np.timedelta64(1, "D"))
    prev = np.full(n, np.nan)
    prev[1:] = total[:-1]
    # the last known total before each row (across missing days and empty cells), and where
    group = np.cumsum(~same)
    pos = pd.Series(np.where(np.isnan(total), np.nan, np.arange(n))).groupby(group).ffill()
    before = np.full(n, -1)
    before[1:] = pos.fillna(-1).to_numpy(int)[:-1]
    before[~same] = -1
    last = np.where(before >= 0, total[before], np.nan)
    daily = np.where(next_day, total - prev, np.nan)
    daily[total == last] = 0.0  # an unchanged total: no new cases, whatever came between
    daily[~same & (total == 0)] = 0.0  # a series starting at 0 starts before the first case
    falls = total < last
    daily[falls] = np.nan
    _flag(
        report, falls, rows, column,
        lambda k: f"the cumulative {label} falls from {last[k]:g} (row {rows[before[k]]}, "
        f"{pd.Timestamp(dates[before[k]]):%Y-%m-%d}) to {total[k]:g} on "
        f"{pd.Timestamp(dates[k]):%Y-%m-%d} (region {region[k]}); a cumulative total cannot "
        "fall: correct it, or give the daily numbers in their own column",
    )  # fmt: skip
    return daily
