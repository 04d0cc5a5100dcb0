"""The analysts' daily case counts: read, check and import a CSV or ``.xlsx`` file.

:func:`read_counts` parses and checks a file entirely in memory and returns the daily counts
with a :class:`~zoning.intake.report.Report` (every problem with its row and column, and how
the file was read: ``place: column `kode```); the upload page shows it as a preview.
:func:`import_counts` writes an accepted file in one transaction, or nothing at all.

What a file may look like
-------------------------
Comma, semicolon or tab separated; UTF-8 (with or without BOM), Windows-1252, or ``.xlsx``.
Column names in Bahasa Indonesia or English, case, spaces, underscores and hyphens ignored
(``Kasus Baru`` = ``kasus_baru``); see :data:`zoning.intake.columns.ALIASES`. An explicit
``mapping={"source column": "field"}`` always wins over a guess; a guess that could go two
ways is an error that asks for one. The files offices keep are read as a person reads them
(:func:`zoning.intake.tables.read_office`): title rows above the header, two header rows and
merged cells, total rows (``JUMLAH``, ``TOTAL``, left out with a warning), dates as Excel
serial numbers or ``Senin, 05 Juli 2021``, and **wide tables** (one row per region, one column
per date; say what the numbers are with ``values=`` unless the title or the sheet's name
says it). A workbook's sheet is chosen with ``sheet=``; sheets named after regions (one per
regency) are all read, each for its region.

Places: codes in any written form, names as people write them (``Kab Semarang``,
``SEMARANG (KAB)``; a near miss gets a suggestion, never a match), looked for within the
district or regency another column names; BPS codes (``3301020006``) through the crosswalk
(:mod:`zoning.intake.crosswalk`); a file for one region may leave out the region column and
pass ``region=``.

Daily values come from daily columns, or are derived from cumulative ones: ``new_cases`` from
``cases_total`` (or from ``active (+ isolating) + recovered_total + deaths_total``),
``deaths`` from ``deaths_total``. A day's derived value is the difference from the day before;
where the day before is missing, the value is missing too (never zero), except that an
unchanged total means no new cases. The first day of a series has no daily value unless its
total is 0. A total that **falls** is a correction: the day's derived value is negative (so a
7-day sum is still exactly the difference of the totals at its ends), with a warning naming
the rows; ``strict=True`` refuses such a file instead.

A region-day given twice with different values (a later snapshot of the same day) is an
error unless ``duplicates="first"`` or ``"last"`` says which row wins; identical rows are
kept once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.core.text import quote, redact
from zoning.intake import crosswalk as xwalk
from zoning.intake import envelope, tables
from zoning.intake.columns import (
    ALIASES,
    COUNTS,
    COUNTS_AMBIGUOUS,
    COUNTS_CODE_LEVELS,
    COUNTS_RECOGNISED,
    COUNTS_REGION_CODES,
    COUNTS_REGION_NAMES,
    COUNTS_ROW_NUMBERS,
    column_key,
    describe,
    field_of,
    match_columns,
)
from zoning.intake.report import ImportResult, Report
from zoning.model.codes import depth, is_within, try_normalise
from zoning.model.metrics import COUNT_FIELDS
from zoning.model.regions import LEVELS, RegionResolver
from zoning.store import Store, Transaction

KIND = "counts"
IGNORE = "ignore"
#: What happens to a region-day given twice with different values: refused (``error``), or
#: the first or the last row in the file wins (a later snapshot of the same day).
DUPLICATES = ("error", "first", "last")
#: How a file's region codes are read: by their form (``auto``), or as one numbering.
CODES = ("auto", "kemendagri", "bps")

#: Every field a column can be mapped to, with what it holds.
FIELDS: dict[str, str] = {
    "date": "the day the numbers are for",
    "region": "region code (33.74.01.1001) or name (Kota Semarang)",
    "new_cases": "new confirmed cases that day",
    "cases_total": "cumulative confirmed cases",
    "active": "active cases that day (being treated or isolating)",
    "isolating": "active cases isolating at home (besides those in 'active')",
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
CUMULATIVE = ("cases_total", "active", "isolating", "recovered_total", "deaths_total")
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
_CODE_LEVELS: dict[str, tuple[str, ...]] = {}
for _name, _level in COUNTS_CODE_LEVELS.items():
    _CODE_LEVELS.setdefault(_level or "any", ())
    _CODE_LEVELS[_level or "any"] += (_name,)
_BPS_NAMES = {"bps": ALIASES["code.bps"]}
#: What a column is taken for from its name: a count field (by the field's name or an alias),
#: a column that could be either of two fields, a region column, a column counted but not
#: stored, or the rows' numbers.
_GUESSES: dict[str, tuple[str, ...]] = {
    **{f: (f, *COUNTS.get(f, ())) for f in FIELDS if f != "region"},
    "?ambiguous": COUNTS_AMBIGUOUS,
    "?codes": COUNTS_REGION_CODES,
    "?names": tuple(COUNTS_REGION_NAMES),
    "?recognised": tuple(n for f in COUNTS_RECOGNISED for n in (f, *ALIASES[f])),
    "?row": COUNTS_ROW_NUMBERS,
}
_PER_PROBLEM = 100  # rows listed per problem and column; the rest are counted
_FUTURE_DAYS = 1  # a date later than tomorrow is a typo
_DUPLICATES_HELP = (
    "keep one of the rows, or say which wins: --duplicates first keeps the first row, "
    "--duplicates last the last (a later snapshot of the same day); on the upload page, "
    "'repeated days'"
)


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"region": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]")}
    )


@dataclass(frozen=True)
class Choices:
    """The analyst's choices for reading a counts file (each has a command-line option and
    the same choice on the upload page)."""

    mapping: Mapping[str, str] | None = None  # --map COLUMN=FIELD
    region: str | None = None  # --region: the one region of a file without a region column
    duplicates: str = "error"  # --duplicates error|first|last
    strict: bool = False  # --strict: a falling cumulative total is an error
    sheet: str | None = None  # --sheet NAME|all
    values: str | None = None  # --values FIELD: what a wide table's numbers are
    codes: str = "auto"  # --codes auto|kemendagri|bps

    def options(self) -> dict:
        """What changes an import besides the content (kept with the upload; the same
        content with other choices is another upload). Choices left at their defaults are
        left out, so uploads recorded before they existed still compare."""
        out: dict = {
            "mapping": dict(self.mapping) if self.mapping else None,
            "region": self.region,
        }
        for name, default in (("duplicates", "error"), ("strict", False), ("sheet", None),
                              ("values", None), ("codes", "auto")):  # fmt: skip
            if getattr(self, name) != default:
                out[name] = getattr(self, name)
        return out

    def check(self) -> None:
        """Refuse a choice that is not one (:class:`InputError` naming the option)."""
        if self.duplicates not in DUPLICATES:
            raise InputError(
                f"{self.duplicates!r} is not a choice; use one of: {', '.join(DUPLICATES)}",
                column="--duplicates",
            )
        if self.codes not in CODES:
            raise InputError(
                f"{self.codes!r} is not a choice; use one of: {', '.join(CODES)}",
                column="--codes",
            )
        if self.values is not None and field_of(self.values, _TARGETS) is None:
            raise InputError(
                f"{self.values!r} is not a field; use one of: "
                + ", ".join(f for f in NUMBER_FIELDS),
                column="--values",
            )


def read_counts(
    source: bytes | Path,
    regions: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    region: str | None = None,
    filename: str | None = None,
    duplicates: str = "error",
    strict: bool = False,
    sheet: str | None = None,
    values: str | None = None,
    codes: str = "auto",
    crosswalk: Mapping[str, str] | None = None,
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
    duplicates : {"error", "first", "last"}
        A region-day given twice with different values: refused, or the first or last row
        wins (with a warning naming the rows).
    strict : bool
        Refuse a cumulative total that falls, instead of reading it as a correction.
    sheet : str, optional
        A workbook's sheet, or ``"all"``; by default the only sheet, or every sheet when
        each is named after a region, else the first (with a warning).
    values : str, optional
        The field a wide table's numbers are (``new_cases``, ``cases_total``...).
    codes : {"auto", "kemendagri", "bps"}
        How region codes are read; ``auto`` tells BPS codes from Kemendagri ones by their form.
    crosswalk : mapping, optional
        BPS code (``33.01.020.006``) -> Kemendagri code, e.g. ``store.crosswalk()``.

    Returns
    -------
    (DataFrame, Report)
        ``region`` (normalised code), ``date`` (datetime64) and the count fields of
        :data:`~zoning.model.metrics.COUNT_FIELDS` the file gives or implies (float, NaN = missing),
        one row per region-day, sorted. With errors in the report, the frame holds what could
        be read and must not be imported. Problems are reported, not raised: only a bug would
        raise, and then an :class:`~zoning.core.errors.InputError`.
    """
    choices = Choices(mapping, region, duplicates, strict, sheet, values, codes)
    result = _read_file(source, regions, choices, crosswalk or {}, filename)
    return result.frame, result.report


@dataclass
class _Result:
    """A file read: its daily counts, report, and the BPS codes matched by name now."""

    frame: pd.DataFrame
    report: Report
    crosswalk: pd.DataFrame = field(default_factory=xwalk.empty)


def _read_file(
    source: bytes | Path,
    regions: pd.DataFrame,
    choices: Choices,
    crosswalk: Mapping[str, str],
    filename: str | None,
) -> _Result:
    report = Report()
    if filename is None and isinstance(source, str | Path):
        filename = Path(source).name
    report.facts.update(file=filename, options=choices.options())
    built = xwalk.empty()
    try:
        choices.check()
        frame, built = _read(source, regions, choices, crosswalk, report)
    except InputError as exc:
        report.error(exc.bare, exc.row, exc.column)
        frame = None
    sheets = {s: k for k, s in enumerate(report.facts.get("sheet_order", []))}
    report.issues.sort(key=lambda i: (sheets.get(i.sheet, -1), i.row is not None, i.row or 0))
    return _Result(_empty_frame() if frame is None else frame, report, built)


@dataclass
class Counts(envelope.Kind):
    """Daily counts files, with the analyst's choices: the upload kind of
    :func:`import_counts` and the upload page."""

    mapping: Mapping[str, str] | None = None
    region: str | None = None
    duplicates: str = "error"
    strict: bool = False
    sheet: str | None = None
    values: str | None = None
    codes: str = "auto"
    name = KIND

    @property
    def choices(self) -> Choices:
        return Choices(
            self.mapping, self.region, self.duplicates, self.strict, self.sheet, self.values,
            self.codes,
        )  # fmt: skip

    def options(self) -> dict:
        return self.choices.options()

    def read(self, store: Store, loaded: envelope.Loaded) -> envelope.Checked:
        result = _read_file(
            loaded.data, store.regions(), self.choices, store.crosswalk(), loaded.name
        )
        report = result.report
        return envelope.Checked(
            result.frame, report, int(report.facts.get("rows", len(result.frame))),
            result.crosswalk,
        )  # fmt: skip

    def prepare(self, store: Store, checked: envelope.Checked) -> None:
        """The region-days to write: those with at least one value; and the BPS codes
        matched by name, which the crosswalk keeps."""
        frame = checked.frame
        fields = [f for f in COUNT_FIELDS if f in frame.columns]
        days = frame.dropna(subset=fields, how="all") if fields else frame.iloc[:0]
        checked.work = (days, checked.work)

    def write(
        self, store: Store, conn: Transaction, upload_id: int, checked: envelope.Checked
    ) -> int:
        """Insert or revise the daily counts; move the store's "as of" to the latest day."""
        write, built = checked.work
        changed = store.write_crosswalk(conn, built, upload_id) if len(built) else 0
        if not len(write):
            return changed
        changed += store.write_counts(conn, write, upload_id)
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
    duplicates: str = "error",
    strict: bool = False,
    sheet: str | None = None,
    values: str | None = None,
    codes: str = "auto",
) -> ImportResult:
    """Check a counts file and write it into ``store`` in one transaction, or write nothing.

    Goes through :func:`zoning.intake.envelope.import_file`: the same bytes imported before
    with the same choices write nothing and return ``duplicate_of`` when they would change
    nothing. A file with errors raises :class:`~zoning.intake.report.UploadRejected` carrying
    its report. Otherwise the upload is recorded with its report, the daily counts are
    inserted or revised (the store keeps the values they replace), BPS codes matched by name
    join the crosswalk, and the store's ``as_of`` moves to the latest day with data if that
    is later. The choices are those of :func:`read_counts`.

    Raises
    ------
    InputError
        The file cannot be read at all (missing, too large) or is rejected
        (:class:`~zoning.intake.report.UploadRejected`).
    """
    kind = Counts(mapping, region, duplicates, strict, sheet, values, codes)
    return envelope.import_file(store, kind, source, filename=filename, author=author)


# --- reading ---------------------------------------------------------------------------------


class _Where:
    """A report seen from one sheet of a workbook: every issue says the sheet."""

    def __init__(self, report: Report, sheet: str | None):
        self.report, self.sheet = report, sheet

    @property
    def counts(self) -> dict[str, int]:
        return self.report.counts

    @property
    def facts(self) -> dict:
        return self.report.facts

    def error(self, message, row=None, column=None, sheet=None) -> None:
        self.report.error(message, row, column, sheet or self.sheet)

    def warn(self, message, row=None, column=None, sheet=None) -> None:
        self.report.warn(message, row, column, sheet or self.sheet)

    def note(self, line: str) -> None:
        self.report.note(line if self.sheet is None else f"sheet {self.sheet!r}: {line}")


def _read(
    source: bytes | Path,
    regions: pd.DataFrame,
    choices: Choices,
    crosswalk: Mapping[str, str],
    report: Report,
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    found = tables.read_office(source, choices.sheet)
    given = None
    if choices.region is not None:
        given, problem = RegionResolver(regions).resolve(choices.region)
        if problem is not None:
            report.error(problem, column="--region")
            return None, xwalk.empty()
    sheets = _choose_sheets(found, choices, regions, given, report)
    several = len(sheets) > 1
    report.facts["sheet_order"] = [t.sheet for t, _ in sheets if several]
    works, labels, built = [], {}, []
    resolver = _Resolvers(regions)
    for k, (table, place) in enumerate(sheets):
        where = _Where(report, table.sheet if several else None)
        got = _read_sheet(
            table, regions, choices, crosswalk, given or place, where, first=k == 0,
            resolver=resolver,
        )  # fmt: skip
        if got is None:
            continue
        work, columns, pairs = got
        works.append(work.assign(sheet=table.sheet if several else None))
        built.append(pairs)
        for f, c in columns.items():
            labels.setdefault(f, c)
    pairs = pd.concat(built, ignore_index=True) if built else xwalk.empty()
    pairs = pairs.drop_duplicates("bps") if len(pairs) else xwalk.empty()
    if report.has_errors or not works:
        return None, pairs
    work = pd.concat(works, ignore_index=True)
    for f in labels:  # a field of a long sheet beside a wide one: its column is its label
        if f"@{f}" in work:
            work[f"@{f}"] = work[f"@{f}"].fillna(labels[f])
    work["pos"] = np.arange(len(work))
    values = [f for f in NUMBER_FIELDS if f in work.columns]
    work = _drop_duplicates(work, values, report, choices.duplicates)
    if report.has_errors:
        return None, pairs
    work = work.sort_values(["region", "date", "pos"], kind="stable").reset_index(drop=True)
    out = _daily(work, labels, report, choices.strict)
    if out is None:
        return None, pairs
    if len(out):
        report.facts.update(
            regions=int(out["region"].nunique()),
            first_date=out["date"].min().date().isoformat(),
            last_date=out["date"].max().date().isoformat(),
        )
    return out, pairs


def _choose_sheets(
    found: list[tables.Table],
    choices: Choices,
    regions: pd.DataFrame,
    given: str | None,
    report: Report,
) -> list[tuple[tables.Table, str | None]]:
    """The sheets to read, each with the region its name names (when that is how the
    workbook is laid out: one sheet per regency)."""
    if len(found) == 1:  # a sheet named after a region is that region's, if nothing else says
        table = found[0]
        code = RegionResolver(regions).resolve(table.sheet)[0] if table.sheet else None
        single = code is not None and given is None and not _has_place(table)
        return [(table, code if single else None)]
    names = [t.sheet for t in found]
    resolver = RegionResolver(regions)
    places = [resolver.resolve(n) for n in names]
    per_region = all(c is not None for c, _ in places) and len({c for c, _ in places}) == len(
        places
    )
    if choices.sheet is None and not per_region:
        listed = ", ".join(repr(n) for n in names)
        report.warn(
            f"the workbook has {len(found)} sheets ({listed}); only the first ({names[0]!r}) "
            f"was read; choose another with --sheet NAME, or read every sheet with --sheet "
            f"{tables.ALL_SHEETS}"
        )
        return [(found[0], None)]
    out = []
    for table, (code, _) in zip(found, places, strict=True):
        if given is not None and code is not None and code != given:
            code = None  # --region says the whole file is one region's
        out.append((table, code))
    report.note(
        "sheets: " + "; ".join(
            f"{t.sheet!r}" + (f" for {c}" if c else "") for t, c in out
        )
    )  # fmt: skip
    return out


def _has_place(table: tables.Table) -> bool:
    """Whether a sheet has a column that names places (codes or names)."""
    guesses = {k: _GUESSES[k] for k in ("?codes", "?names")}
    return bool(match_columns([c for c in table.frame.columns if c], guesses))


class _Resolvers:
    """Region resolvers by level, made once per file."""

    def __init__(self, regions: pd.DataFrame):
        self.regions = regions
        self._by_level: dict[str | None, RegionResolver] = {}

    def __call__(self, level: str | None) -> RegionResolver:
        if level not in self._by_level:
            self._by_level[level] = RegionResolver(self.regions, level=level)
        return self._by_level[level]


def _read_sheet(
    table: tables.Table,
    regions: pd.DataFrame,
    choices: Choices,
    crosswalk: Mapping[str, str],
    place: str | None,
    report: _Where,
    *,
    first: bool,
    resolver: _Resolvers,
) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame] | None:
    """One sheet's rows that could be read: ``row, region, date`` and the number fields
    (``@field``: each value's own column in a wide table); the columns taken for each field;
    the BPS codes matched by name."""
    for message, row in table.notes:
        report.warn(message, row=row)
    frame = table.frame
    rows = frame.index.to_numpy()
    if first:
        report.facts.update(
            format=table.format, encoding=table.encoding, delimiter=table.delimiter,
            headers=[redact(str(c)) for c in frame.columns],
        )  # fmt: skip
    report.facts["rows"] = int(report.facts.get("rows", 0) or 0) + len(frame)
    if table.skipped:
        report.facts["total_rows_left_out"] = len(table.skipped) + int(
            report.facts.get("total_rows_left_out", 0)
        )
    if table.titles:
        shown = "; ".join(quote(t, 60) for t in table.titles[:3])
        report.note(f"title rows above the header: {shown}")
    mapping = dict(choices.mapping or {})
    if table.wide is not None:
        wide = table.wide
        report.facts["wide"] = wide
        report.note(
            f"a wide table: one column per date, {wide['dates']} dates from {wide['first']} "
            f"to {wide['last']}, read as one row per place and date"
        )
        if tables.WIDE_VALUES in frame.columns and tables.WIDE_VALUES not in mapping:
            target = choices.values or _values_from_titles(table, report)
            if target is None:
                report.error(
                    f"the table has a column per date ({wide['dates']} dates from "
                    f"{wide['first']} to {wide['last']}) and does not say what its numbers "
                    "are; say it with --values FIELD, e.g. --values new_cases (new cases each "
                    "day) or --values cases_total (the cumulative total); on the upload page, "
                    "'numbers under the dates'",
                    column="--values",
                )
                return None
            mapping[tables.WIDE_VALUES] = target
    columns = _match_columns(
        list(frame.columns), mapping, choices.region is not None or place is not None, report,
        table.parts,
    )  # fmt: skip
    if columns is None:
        return None
    shown = {f: c for f, c in columns.items() if not f.startswith("_")}
    if first:
        report.facts["columns"] = shown
    within = "`, `".join(columns.get("_within", [])) or None
    ordered = {"region": shown.get("region"), "within": within, **shown}
    for line in describe(ordered):
        report.note(line.replace("column `", "columns `", 1) if within and "`, `" in line else line)
    for col in columns.get("_recognised", []):
        report.note(f"column `{col}`: counted by surveillance but read by no scheme; not stored")

    # dates
    datecol = columns["date"]
    dates = tables.to_dates(frame[datecol])
    bad_date = np.isnat(dates)
    cells = frame[datecol]
    _flag(report, bad_date, rows, datecol, lambda k: tables.describe_date(cells.iat[k]))
    tomorrow = np.datetime64(dt.date.today() + dt.timedelta(days=_FUTURE_DAYS), "ns")
    future = ~bad_date & (dates > tomorrow)
    _flag(report, future, rows, datecol, lambda k: f"{cells.iat[k]!r} is in the future")
    bad_date |= future

    # regions
    codes, bad_region, pairs = _regions(
        frame, columns, regions, place, report, choices, crosswalk, resolver
    )
    if codes is None:
        return None

    # numbers
    values: dict[str, np.ndarray] = {}
    where: dict[str, np.ndarray] = {}
    bad_number = np.zeros(len(frame), dtype=bool)
    for name in NUMBER_FIELDS:
        if name in columns:
            col = columns[name]
            source = table.sources.get(col)
            label = source if source is not None else col
            values[name], bad = _numbers(frame[col], name, rows, label, report)
            bad_number |= bad
            if source is not None:
                where[f"@{name}"] = source
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
    work = pd.DataFrame({"row": rows, "region": codes, "date": dates, **values, **where})[keep]
    return work, shown, pairs


def _values_from_titles(table: tables.Table, report: _Where) -> str | None:
    """The field a wide table's numbers are, when its sheet's name or a title row is exactly
    one of the field's names (``Kasus Baru``, ``total_kasus``)."""
    for text in [table.sheet or "", *table.titles]:
        name = field_of(text, {f: n for f, n in _GUESSES.items() if not f.startswith("?")})
        if name is not None and name not in ("date",):
            where = "the sheet's name" if text == table.sheet else "the title"
            report.note(f"the numbers under the dates: {name} (from {where} {quote(text)})")
            return name
    return None


def _flag(
    report: Report | _Where,
    mask: np.ndarray,
    rows: np.ndarray,
    column: str | np.ndarray | None,
    message: Callable[[int], str],
    severity: str = "error",
    sheets: np.ndarray | None = None,
) -> None:
    """Report each row of ``mask`` (up to ``_PER_PROBLEM``; the rest are counted).

    ``column`` may be one column's name or each row's (a wide table's values); ``sheets``
    each row's sheet, when the rows come from several.
    """
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    add = report.error if severity == "error" else report.warn

    def col(k: int) -> str | None:
        if column is None or isinstance(column, str):
            return column
        return str(column[k])

    def sheet(k: int) -> str | None:
        return None if sheets is None or pd.isna(sheets[k]) else str(sheets[k])

    for k in idx[:_PER_PROBLEM]:
        add(message(int(k)), row=int(rows[k]), column=col(int(k)), sheet=sheet(int(k)))
    rest = len(idx) - _PER_PROBLEM
    if rest > 0:
        k = int(idx[_PER_PROBLEM])
        add(
            f"this and {rest - 1} more rows have the same kind of problem "
            f"(the last is row {int(rows[idx[-1]])})",
            row=int(rows[k]), column=col(k), sheet=sheet(k),
        )  # fmt: skip
        report.counts[severity] += rest - 1


def _match_columns(
    headers: list[str],
    mapping: Mapping[str, str] | None,
    region_given: bool,
    report: Report | _Where,
    parts: Mapping[str, tuple[str, ...]] | None = None,
) -> dict | None:
    """``{field: column}`` from the mapping and from the column names, or None on an error.

    Keys starting with ``_`` say more about the place: ``_region_level`` (the level a
    region name column names), ``_codes`` (the place is written as codes), ``_bps`` (as
    BPS codes), ``_within`` (columns naming where to look for the place, top first, with
    ``_within_levels``), ``_beside`` (name columns beside the codes) and ``_recognised``
    (columns counted by surveillance but not stored).
    """
    found = ", ".join(repr(h) for h in headers if h)
    errors = report.counts["error"]
    chosen: dict = {}
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
    for col in rest:  # two header rows: "konfirmasi sembuh" is read by "sembuh", then by
        if col not in guess_of:  # "konfirmasi"
            for part in reversed((parts or {}).get(col, ())[-2:]):
                what = next(iter(match_columns([part], _GUESSES)), None)
                if what is not None:
                    guess_of[col] = what
                    break
    guesses: dict[str, list[str]] = {}
    codes_cols: list[str] = []
    name_cols: list[str] = []
    ambiguous: list[str] = []
    unused: list[str] = []
    recognised: list[str] = []
    for h in rest:
        what = guess_of.get(h)
        if what == "?ambiguous":
            ambiguous.append(h)
        elif what == "?codes":
            codes_cols.append(h)
        elif what == "?names":
            name_cols.append(h)
        elif what == "?recognised":
            recognised.append(h)
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
    if recognised:
        chosen["_recognised"] = recognised

    if "region" not in chosen:
        _choose_place(chosen, codes_cols, name_cols, unused, report)
    else:
        unused.extend(codes_cols + name_cols)
    if "region" in chosen:
        level = field_of(chosen["region"], _NAME_LEVELS)
        if level is not None and level != "any" and not chosen.get("_codes"):
            chosen["_region_level"] = level
        if chosen["region"] in codes_cols or field_of(chosen["region"], _CODE_LEVELS):
            chosen["_codes"] = True
        if field_of(chosen["region"], _BPS_NAMES):
            chosen["_bps"] = True

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


def _level_of(col: str, table: Mapping[str, tuple[str, ...]]) -> str | None:
    level = field_of(col, table)
    return None if level in (None, "any") else level


def _choose_place(
    chosen: dict, codes_cols: list[str], name_cols: list[str], unused: list[str], report
) -> None:
    """The place column among the region columns: codes before names; of columns that
    each name a level (``kabupaten``, ``kecamatan``, ``desa``), the lowest, the others saying
    where to look for it."""
    for cols, table, is_codes in ((codes_cols, _CODE_LEVELS, True),
                                  (name_cols, _NAME_LEVELS, False)):  # fmt: skip
        if not cols:
            continue
        levels = [_level_of(c, table) for c in cols]
        bps = [c for c in cols if field_of(c, _BPS_NAMES)]
        if len(cols) == 1 or (len(bps) == 1 and len(cols) == 2 and is_codes):
            place = bps[0] if bps else cols[0]
            above = [c for c in cols if c != place]
        elif all(lv is not None for lv in levels) and len(set(levels)) == len(levels):
            order = sorted(zip(cols, levels, strict=True), key=lambda cl: LEVELS.index(cl[1]))
            place, above = order[-1][0], [c for c, _ in order[:-1]]
        else:
            _ask(report, cols, "all look like the region", "region")
            return
        chosen["region"] = place
        if is_codes:
            chosen["_codes"] = True
            # names beside codes: not used, unless the codes are BPS codes, which the names
            # find in the store (decided from the cells, see _regions)
            chosen["_beside"] = list(name_cols)
            chosen["_within"] = [c for c in above if c not in bps]
        else:
            chosen["_within"] = above
        chosen["_within_levels"] = [_level_of(c, table) for c in chosen["_within"]]
        return


def _ask(report: Report | _Where, cols: list[str], what: str, field: str) -> None:
    listed = " and ".join(repr(c) for c in cols)
    report.error(
        f"columns {listed} {what}; say which to use with a mapping, e.g. "
        f"{cols[0]}={field} " + " ".join(f"{c}={IGNORE}" for c in cols[1:])
    )


def _resolve_ambiguous(col: str, chosen: dict, report: Report | _Where) -> str | None:
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
    columns: dict,
    regions: pd.DataFrame,
    place: str | None,
    report: Report | _Where,
    choices: Choices,
    crosswalk: Mapping[str, str],
    resolvers: _Resolvers,
) -> tuple[np.ndarray | None, np.ndarray, pd.DataFrame]:
    """Normalised codes per row, a mask of rows whose region is wrong, and the BPS codes
    matched by name. ``place`` is the region of the whole sheet (``--region``, or a sheet
    named after a region): the rows' region when there is no region column, else the region
    their places lie in."""
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    rows = frame.index.to_numpy()
    col = columns.get("region")
    if col is None:
        return np.full(n, place, dtype=object), bad, xwalk.empty()
    # where to look: the sheet's region, then each column naming a region above the place
    # (--region says the whole file is for one region: a row for another is wrong, below)
    within = np.full(n, None if choices.region is not None else place, dtype=object)
    for above, level in zip(columns.get("_within", []), columns.get("_within_levels", []),
                            strict=True):  # fmt: skip
        found = _resolve(frame[above], within, resolvers(level), bad, rows, above, report)
        ok = pd.notna(found)
        within = np.where(ok, found, within)
        bad |= ~ok & frame[above].ne("").to_numpy()
    cells = frame[col]
    bps = _reads_bps(cells, columns, choices, regions, report, col)
    if bps is None:
        return None, bad, xwalk.empty()
    beside = columns.get("_beside", [])
    if beside and not bps:
        report.warn(
            "columns not used: " + ", ".join(repr(c) for c in beside)
            + f"; the codes in column {col!r} say the place"
        )  # fmt: skip
    if bps:
        codes, pairs = _through_crosswalk(
            frame, columns, regions, crosswalk, within, bad, rows, report
        )
        return codes, bad | pd.isna(codes), pairs
    resolver = resolvers(columns.get("_region_level"))
    codes = _resolve(cells, within, resolver, bad, rows, col, report)
    if choices.region is not None:
        other = ~bad & pd.notna(codes) & (codes != place)
        _flag(
            report, other, rows, col,
            lambda k: f"this row is for {codes[k]} but the file was given as for {place} "
            "(--region); leave out --region or the other regions' rows",
        )  # fmt: skip
        bad |= other
    return codes, bad | pd.isna(codes), xwalk.empty()


def _resolve(
    cells: pd.Series,
    within: np.ndarray,
    resolver: RegionResolver,
    bad: np.ndarray,
    rows: np.ndarray,
    column: str,
    report: Report | _Where,
) -> np.ndarray:
    """Each cell's region (``None`` where it is wrong, which is reported), looking for names
    within each row's ``within``; each distinct cell and place is resolved once."""
    cell_code, cell_uniques = pd.factorize(cells)
    place_code, place_uniques = pd.factorize(pd.Series(within, dtype=object).fillna(""))
    n_places = max(len(place_uniques), 1)
    pair = np.where(cell_code < 0, -1, cell_code.astype(np.int64) * n_places + place_code)
    pairs, idx = np.unique(pair, return_inverse=True)  # each distinct cell and place once
    found = [
        resolver.resolve(cell_uniques[p // n_places], place_uniques[p % n_places] or None)
        if p >= 0 else (None, "the region is empty")
        for p in pairs
    ]  # fmt: skip
    codes = np.array([c for c, _ in found], dtype=object)[idx]
    problems = np.array([p for _, p in found], dtype=object)[idx]
    wrong = pd.isna(codes) & ~bad
    _flag(report, wrong, rows, column, lambda k: problems[k])
    return codes


def _reads_bps(
    cells: pd.Series,
    columns: dict,
    choices: Choices,
    regions: pd.DataFrame,
    report: Report | _Where,
    column: str,
) -> bool | None:
    """Whether the place column holds BPS codes (``None``: it mixes both, an error)."""
    if choices.codes == "bps" or columns.get("_bps"):
        return True
    if choices.codes == "kemendagri" or not columns.get("_codes"):
        return False
    uniques = pd.unique(cells[cells.ne("")])
    only = [u for u in uniques if xwalk.only_bps(u)]
    if not only:
        return False
    known = set(regions["code"])
    kemendagri = [
        u for u in uniques
        if (c := try_normalise(u)) is not None and depth(c) >= 3 and c in known
    ]  # fmt: skip
    if kemendagri:
        b, k = cells.eq(only[0]).to_numpy(), cells.eq(kemendagri[0]).to_numpy()
        report.error(
            f"the column mixes BPS codes ({quote(only[0])}, row {cells.index[b.argmax()]}) and "
            f"Kemendagri codes ({quote(kemendagri[0])}, row {cells.index[k.argmax()]}); split "
            "the file, or say how to read every code with --codes bps or --codes kemendagri",
            column=column,
        )
        return None
    return True


def _through_crosswalk(
    frame: pd.DataFrame,
    columns: dict,
    regions: pd.DataFrame,
    crosswalk: Mapping[str, str],
    within: np.ndarray,
    bad: np.ndarray,
    rows: np.ndarray,
    report: Report | _Where,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Kemendagri codes of a column of BPS codes: through the stored crosswalk, else matched
    now by the names beside them within their regency (and district)."""
    col = columns["region"]
    beside = {c: _level_of(c, _NAME_LEVELS) for c in columns.get("_beside", [])}
    names_col = next((c for want in ("village", None, "district") for c, lv in beside.items()
                      if lv == want), None)  # fmt: skip
    district_col = next((c for c, lv in beside.items() if lv == "district" and c != names_col),
                        None)  # fmt: skip
    cells = frame[col].to_numpy(dtype=object)
    names = frame[names_col].to_numpy(dtype=object) if names_col else np.full(len(frame), None)
    districts = (
        frame[district_col].to_numpy(dtype=object) if district_col else np.full(len(frame), None)
    )
    matched = xwalk.match(cells, names, districts, regions, crosswalk)
    codes = np.array([matched.codes.get(c) for c in cells], dtype=object)
    outside = np.array(
        [c is not None and w is not None and not is_within(c, w) for c, w in
         zip(codes, within, strict=True)], dtype=bool,
    )  # fmt: skip
    _flag(report, outside, rows, col, lambda k: f"the region {codes[k]} is not in {within[k]}")
    codes[outside] = None
    wrong = pd.isna(codes) & ~bad & ~outside
    _flag(
        report, wrong, rows, col,
        lambda k: matched.problems.get(cells[k], f"{quote(cells[k])} is not a region code"),
    )  # fmt: skip
    through = int(np.isin(cells, list(matched.codes)).sum())
    built = matched.built
    report.facts["crosswalk_rows"] = through + int(report.facts.get("crosswalk_rows", 0))
    report.note(
        f"place: BPS codes in column `{col}`, read through the crosswalk: {through} rows"
        + (f" ({len(built)} codes matched by name now, kept in the crosswalk)" if len(built)
           else "")
    )  # fmt: skip
    return codes, built


def _numbers(
    cells: pd.Series, field: str, rows: np.ndarray, column: str | np.ndarray, report
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
                column=column if isinstance(column, str) else None,
            )
    values[wrong] = np.nan
    return values, bad | wrong


def _where(work: pd.DataFrame, k: int, other_row: int, other_sheet: object) -> str:
    """``row 12`` of the same sheet, or ``row 12 of sheet 'X'``."""
    sheet = work["sheet"].iat[k]
    if other_sheet is None or pd.isna(other_sheet) or other_sheet == sheet:
        return f"row {other_row}"
    return f"row {other_row} of sheet {other_sheet!r}"


def _drop_duplicates(
    work: pd.DataFrame, fields: list[str], report: Report, policy: str = "error"
) -> pd.DataFrame:
    """Keep one of identical rows for a region-day (a warning). Rows with different values
    are errors, or (``policy`` ``first``/``last``) the first or last in the file wins."""
    key = ["region", "date"]
    dup = work.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return work
    sub = work[dup]
    sheets = sub["sheet"].to_numpy(dtype=object)
    same = sub.duplicated([*key, *fields], keep="first").to_numpy()
    first_pos = sub.groupby([*key, *fields], sort=False, dropna=False)["pos"].transform("min")
    first_at = work.set_index("pos").loc[first_pos.to_numpy()]
    srows = sub["row"].to_numpy()
    _flag(
        report, same, srows, None,
        lambda k: f"the same as {_where(sub, k, first_at['row'].iat[k], first_at['sheet'].iat[k])}"
        f" (region {sub['region'].iat[k]}, {sub['date'].iat[k]:%Y-%m-%d}); kept once",
        severity="warning", sheets=sheets,
    )  # fmt: skip
    work = work.drop(index=sub.index[same])
    rest = work[work.duplicated(key, keep=False).to_numpy()]
    if not len(rest):
        return work
    keep_pos = rest.groupby(key, sort=False)["pos"].transform("min" if policy != "last" else "max")
    kept = work.set_index("pos").loc[keep_pos.to_numpy()]
    other_pos = rest.groupby(key, sort=False)["pos"].transform("min").to_numpy()
    other = work.set_index("pos").loc[other_pos]
    rrows = rest["row"].to_numpy()
    rsheets = rest["sheet"].to_numpy(dtype=object)

    def diffs(this: pd.Series, that: pd.Series) -> str:
        return "; ".join(
            f"{f} {_show(this[f])} here, {_show(that[f])} there"
            for f in fields
            if not (this[f] == that[f] or (pd.isna(this[f]) and pd.isna(that[f])))
        )

    def message(k: int, that: pd.DataFrame, then: str) -> str:
        this, there = rest.iloc[k], that.iloc[k]
        return (
            f"region {this['region']} on {this['date']:%Y-%m-%d} is also in "
            f"{_where(rest, k, there['row'], there['sheet'])} with different values "
            f"({diffs(this, there)}); {then}"
        )

    if policy == "error":
        later = rest.duplicated(key, keep="first").to_numpy()
        _flag(report, later, rrows, None, lambda k: message(k, other, _DUPLICATES_HELP),
              sheets=rsheets)  # fmt: skip
        return work
    dropped = rest["pos"].to_numpy() != keep_pos.to_numpy()
    then = f"--duplicates {policy} keeps that row, this one is left out"
    resolved = lambda k: message(k, kept, then)  # noqa: E731
    _flag(report, dropped, rrows, None, resolved, severity="warning", sheets=rsheets)
    report.facts["duplicates_left_out"] = int(dropped.sum())
    n = int(dropped.sum())
    report.note(
        f"repeated days: {n} {'row' if n == 1 else 'rows'} left out, the {policy} of each "
        f"kept (--duplicates {policy})"
    )
    return work.drop(index=rest.index[dropped])


def _show(value: float) -> str:
    return "empty" if pd.isna(value) else f"{value:g}"


def _daily(
    work: pd.DataFrame, labels: dict[str, str], report: Report, strict: bool = False
) -> pd.DataFrame | None:
    """The output frame: given daily fields, and daily fields derived from cumulative ones."""
    out = work[["region", "date"]].copy()
    derived: dict[str, str] = {}
    has = labels.__contains__
    for f in COUNT_FIELDS:
        if f in work:
            out[f] = work[f].astype(float)

    def column(f: str) -> str | np.ndarray:
        return work[f"@{f}"].to_numpy(dtype=object) if f"@{f}" in work else labels[f]

    if not has("new_cases"):
        if has("cases_total"):
            label = repr(labels["cases_total"])
            out["new_cases"] = _from_total(
                work, work["cases_total"], label, column("cases_total"), report, strict
            )
            derived["new_cases"] = f"differences of {label}"
        elif has("active") and has("recovered_total") and has("deaths_total"):
            parts = ("active", *(("isolating",) if has("isolating") else ()),
                     "recovered_total", "deaths_total")  # fmt: skip
            label = " + ".join(repr(labels[f]) for f in parts)
            total = sum(work[f].to_numpy() for f in parts)
            out["new_cases"] = _from_total(work, total, label, None, report, strict)
            derived["new_cases"] = f"differences of {label}"
        elif any(has(f) for f in ("active", "recovered_total", "isolating")):
            given = [repr(labels[f]) for f in CUMULATIVE if has(f)]
            report.warn(
                f"new cases cannot be worked out from {', '.join(given)} alone; they need the "
                "cumulative total (total_positif), or active + recovered + deaths (dirawat, "
                "sembuh, meninggal)"
            )
    if not has("deaths") and has("deaths_total"):
        label = repr(labels["deaths_total"])
        out["deaths"] = _from_total(
            work, work["deaths_total"], label, column("deaths_total"), report, strict
        )
        derived["deaths"] = f"differences of {label}"
    if derived:
        report.facts["derived"] = derived
        for f, how in derived.items():
            report.note(f"{f.replace('_', ' ')}: {how}, day by day")
    fields = [f for f in COUNT_FIELDS if f in out]
    if not fields:
        report.error(
            "the file gives no daily counts to import: "
            + ", ".join(repr(labels[f]) for f in CUMULATIVE if has(f))
            + " are cumulative; add the missing cumulative columns or daily columns"
        )
        return None
    return out[["region", "date", *fields]].reset_index(drop=True)


def _from_total(
    work: pd.DataFrame,
    total: pd.Series | np.ndarray,
    label: str,
    column: str | np.ndarray | None,
    report: Report,
    strict: bool = False,
) -> np.ndarray:
    """Daily values from a cumulative series (``work`` sorted by region and date).

    A day whose total is below the last known one is a correction: its value (the
    difference from the day before, when that day is known) is negative, and a warning names
    the rows; ``strict`` makes it an error.
    """
    n = len(work)
    daily = np.full(n, np.nan)
    if n == 0:
        return daily
    total = np.asarray(total, dtype=float)
    region = work["region"].to_numpy(object)
    dates = work["date"].to_numpy("datetime64[ns]")
    rows = work["row"].to_numpy()
    sheets = work["sheet"].to_numpy(dtype=object)
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

    def fall(k: int) -> str:
        where = _where(work, k, rows[before[k]], sheets[before[k]])
        head = (
            f"the cumulative {label} falls from {last[k]:g} ({where}, "
            f"{pd.Timestamp(dates[before[k]]):%Y-%m-%d}) to {total[k]:g} on "
            f"{pd.Timestamp(dates[k]):%Y-%m-%d} (region {region[k]})"
        )
        if strict:
            return (
                f"{head}; --strict refuses a total that falls: correct it, or import without "
                "--strict to read it as a correction"
            )
        if np.isnan(daily[k]):
            return f"{head}: a correction; the day before is missing, so the day's value is too"
        return (
            f"{head}: read as a correction of {daily[k]:g} that day, so 7-day sums stay "
            "the differences of the totals (--strict refuses such a file)"
        )

    _flag(report, falls, rows, column, fall, "error" if strict else "warning", sheets=sheets)
    if falls.any() and not strict:
        report.facts["corrections"] = int(falls.sum()) + int(report.facts.get("corrections", 0))
    if strict:
        daily[falls] = np.nan
    return daily
