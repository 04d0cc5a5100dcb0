"""Line lists: one row per confirmed case, counted by NIK so that nobody is counted twice.

A line list has a NIK, a confirmation date and a place (a village or RT, by code or name) per
row, and optionally the family card number (No. KK), the address and RT/RW numbers. Importing
one:

* checks every NIK (:func:`zoning.intake.nik.check_nik`) and replaces it by a keyed hash
  (:class:`zoning.intake.nik.NikHasher`) -- no NIK is stored, logged or repeated in a message
  -- and each house by the keyed hash of its normalised address within its RT, or else of its
  No. KK (:func:`_houses`);
* a row **without a valid NIK** is not dropped: it is a case of its place and date, flagged
  *unverified*, with a key of its own (never merged with anyone; the same row of the same
  file again is the same row), counted in ``new_cases`` and in ``new_cases_unverified``, and
  reported (row and column, never the value). ``exclude_unverified`` (``--exclude-unverified``)
  leaves such rows out, still reported;
* keeps **every positive date** of each person (the case register, one row per person, date,
  place and house) and works the person's episodes out again from all of them
  (:func:`plan_episodes`): a date starts a new episode only if it is at least
  :data:`EPISODE_DAYS` days after the start of the person's previous episode. The episodes
  depend only on the set of rows, so the same rows in any split into uploads, in any order,
  give the same episodes and counts;
* records what the upload **covers** (:func:`coverage`): by default the villages (and their
  RTs) the file names, from its first to its last date; or the regions and days given
  (``--covers``, ``--from``, ``--to``). Within it a day without a case is a zero, laid over
  the counts when they are read (:mod:`zoning.model.registers`), never written;
* recounts, from the stored episodes, the daily ``new_cases`` (and ``new_cases_unverified``)
  of every village-day whose episodes changed and the ``houses_7d`` of every RT-day whose
  window they touch (and of the day after, when a case leaves the window), up to the later
  of the latest case and the store's "as of" day, and writes them as a revision
  (:meth:`zoning.store.Store.write_counts`: the old values are kept in the history).

All of it is one transaction (:func:`zoning.intake.envelope.import_file`); an upload with
errors writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.core.text import quote, redact
from zoning.intake import envelope, tables
from zoning.intake.columns import LINELIST, describe, field_of, match_columns, pick_columns
from zoning.intake.nik import (
    FINGERPRINT_META,
    SECRET_ENV,
    STORED_AS_NUMBER,
    KeysLater,
    NikHasher,
    NikKeyError,
    address_message,
    check_nik,
    check_nik_numbers,
    clean_nik,
    default_secret_path,
    factorize_digits,
    load_or_create_secret,
    normalise_addresses,
    prefix_unknown_numbers,
    sixteen_digit_cells,
)
from zoning.intake.report import ImportResult, Report
from zoning.model.codes import RT_CODE_LENGTH, VILLAGE_CODE_LENGTH, normalise_code, try_normalise
from zoning.model.metrics import WINDOW
from zoning.model.regions import LEVELS, RegionResolver, local_regions
from zoning.model.registers import (
    added_days,
    ancestors_and_self,
    covered_regions,
    no_spans,
    windows_covered,
)
from zoning.store import Store, Transaction

KIND = "linelist"
#: A case at least this many days after the start of a person's episode starts a new one.
EPISODE_DAYS = 90

#: Canonical fields and the column names read as each (:data:`zoning.intake.columns.LINELIST`).
FIELDS = LINELIST
REQUIRED = ("nik", "date", "region")
#: Columns of the frame :func:`read_linelist` returns.
COLUMNS = ("row", "nik", "date", "region", "village", "no_kk", "address", "unverified")
#: Each valid NIK as a number (0 for an unverified row), read once while checking: the import
#: tells people apart by it (:func:`_read_linelist`; never in the frame shown or returned).
_NUMBER = "nik_number"

_VILLAGE_DEPTH = LEVELS.index("village") + 1
_RT_DEPTH = LEVELS.index("rt") + 1
#: A mapping's target is read as a field's own name first ("rt" is the RT field, although
#: the region also goes by "rt"), then as one of its aliases.
_TARGETS = {f: (f,) for f in FIELDS}


# --- messages that never carry a NIK ------------------------------------------------------


def _error(report: Report, message: str, row: int | None = None, column: str | None = None):
    report.error(redact(message), row, None if column is None else redact(column))


def _warn(report: Report, message: str, row: int | None = None, column: str | None = None):
    report.warn(redact(message), row, None if column is None else redact(column))


# --- reading ------------------------------------------------------------------------------


def _choose_columns(
    columns: list[str], mapping: Mapping[str, str] | None, report: Report
) -> dict[str, str]:
    """The column of the file read as each field (mapped ones first, then by name)."""
    chosen: dict[str, str] = {}
    for source, target in (mapping or {}).items():
        name = field_of(target, _TARGETS) or field_of(target, FIELDS)
        if name is None:
            _error(
                report,
                f"cannot map a column to {target!r}; the fields of a line list are: "
                + ", ".join(FIELDS),
                column="--map",
            )
            continue
        named = match_columns(columns, {source: (source,)}).get(source, [])
        column = source if source in columns else next(iter(named), None)
        if column is None:
            _error(
                report,
                f"the file has no column {source!r} to map to {name} "
                f"(columns found: {', '.join(columns)})",
                column="--map",
            )
            continue
        chosen[name] = column
    rest = {f: names for f, names in FIELDS.items() if f not in chosen}
    chosen.update(pick_columns(match_columns(columns, rest), taken=chosen.values()))
    for name in REQUIRED:
        if name not in chosen:
            label = {"nik": "NIK", "date": "confirmation date", "region": "village or RT"}[name]
            _error(
                report,
                f"the file has no {label} column (looked for: {', '.join(FIELDS[name][:6])}...; "
                f"found: {', '.join(columns)}); rename the column or map it, "
                f"e.g. --map COLUMN={name}",
            )
    return chosen


def _empty_frame() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    return out.astype({"unverified": bool})


def read_linelist(
    source: str | Path | bytes,
    regions: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    filename: str | None = None,
    exclude_unverified: bool = False,
) -> tuple[pd.DataFrame, Report]:
    """Read and check a line list; nothing is written.

    Parameters
    ----------
    source : path or bytes
        A CSV file (comma, semicolon or tab; UTF-8 or Windows-1252).
    regions : DataFrame
        Known regions (``code, name, level``), e.g. ``store.regions()``.
    mapping : dict, optional
        ``{file column: field}`` for columns whose names are not recognised; fields are
        ``nik, date, region, no_kk, address, rt, rw`` (or any of their usual names).
    filename : str, optional
        The file's name, kept in the report.
    exclude_unverified : bool
        Leave out the rows without a valid NIK (they are still reported).

    Returns
    -------
    frame : DataFrame
        One row per case counted: ``row`` (spreadsheet row), ``nik`` (16 digits; None for
        an unverified row), ``date``, ``region`` (RT code where known, else village code),
        ``village``, ``no_kk`` (16 digits or None), ``address`` (text or None),
        ``unverified`` (the row has no valid NIK). Empty when the report has errors.
    report : Report
        Errors (the upload must be refused) and warnings, with row and column; the NIK is
        never repeated. ``report.facts`` counts the rows read, the rows without a valid NIK
        (``rows_invalid_nik``), those counted as unverified cases (``rows_unverified``) and
        more.
    """
    frame, report = _read_linelist(source, regions, mapping, filename, exclude_unverified)
    frame = frame.drop(columns=_NUMBER, errors="ignore")
    nik = frame["nik"].astype(object)
    frame["nik"] = nik.where(nik.notna(), None)  # texts, None where unverified
    return frame, report


def _read_linelist(
    source: str | Path | bytes,
    regions: pd.DataFrame,
    mapping: Mapping[str, str] | None = None,
    filename: str | None = None,
    exclude_unverified: bool = False,
) -> tuple[pd.DataFrame, Report]:
    """:func:`read_linelist`, the frame with the column :data:`_NUMBER` besides (not when
    the report has errors) and its NIKs kept as the text column they were read into (empty
    where unverified), not a Python text each."""
    report = Report()
    if filename:
        report.facts["file"] = filename
    try:
        table = tables.read_cells_fast(tables.load_bytes(source))
    except InputError as exc:
        _error(report, exc.bare, exc.row, exc.column)
        return _empty_frame(), report
    for message, row in table.notes:
        _warn(report, message, row)
    report.facts.update(format=table.format, encoding=table.encoding, delimiter=table.delimiter)
    frame = _parse(table.frame, regions, mapping, report, exclude_unverified)
    return (frame if not report.has_errors else _empty_frame()), report


def _parse(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    mapping: Mapping[str, str] | None,
    report: Report,
    exclude_unverified: bool = False,
) -> pd.DataFrame:
    cols = _choose_columns(list(table.columns), mapping, report)
    report.facts["rows_read"] = len(table)
    report.facts["headers"] = [redact(c) for c in table.columns]
    if report.has_errors:
        return _empty_frame()
    report.facts["columns"] = {name: redact(column) for name, column in cols.items()}
    for line in describe(cols):  # which column was taken for what (NIKs are never shown)
        report.note(line)
    rows = table.index.to_numpy()

    # NIK: rows without a valid one are unverified cases (or left out), always reported
    niks, problems, numbers = check_nik_numbers(table[cols["nik"]])
    report.facts["rows_invalid_nik"] = len(problems)
    if len(problems) == len(table):
        reasons = pd.Series(list(problems.values())).value_counts()
        _error(
            report,
            f"none of the {len(table)} rows has a valid NIK (most often: {reasons.index[0]})",
            column=cols["nik"],
        )
        return _empty_frame()
    if problems:
        fate = (
            "they are not counted (unverified rows left out)"
            if exclude_unverified
            else "each is counted as an unverified case of its place and date"
        )
        _warn(
            report,
            f"{len(problems)} of {len(table)} rows have no valid NIK; {fate}",
            column=cols["nik"],
        )
        row_fate = "not counted" if exclude_unverified else "counted as an unverified case"
        said = {r: redact(f"{r}; {row_fate}") for r in set(problems.values())}  # as _warn
        column = redact(cols["nik"])
        for k, reason in problems.items():
            report.warn(said[reason], int(rows[k]), column)
    valid = niks.notna().to_numpy()
    if _truncated_by_a_spreadsheet(niks[valid], cols["nik"], report):
        return _empty_frame()
    table = table[list(dict.fromkeys(c for f, c in cols.items() if f != "nik"))]  # all but NIKs
    out = _cases(table, cols, regions, report, np.flatnonzero(valid))
    out.insert(1, "nik", niks[valid].reset_index(drop=True))
    out["unverified"] = False
    out[_NUMBER] = numbers[valid]
    if report.has_errors:
        return _empty_frame()

    unknown = prefix_unknown_numbers(numbers[valid], regions["code"])
    report.facts["rows_nik_prefix_unknown"] = int(unknown.sum())
    for row in out.loc[unknown, "row"]:
        _warn(
            report,
            "digits 1-6 are not a regency and district of this province in the store "
            "(a typing error?); the case is imported",
            int(row),
            cols["nik"],
        )
    if problems and not exclude_unverified:
        loose = _unverified(table[~valid], cols, regions, report)
        loose.insert(1, "nik", pd.Series([None] * len(loose), dtype=niks.dtype))
        loose["unverified"] = True
        loose[_NUMBER] = np.zeros(len(loose), dtype=np.int64)
        out = pd.concat([out, loose], ignore_index=True).sort_values("row", kind="stable")
    report.facts["rows_unverified"] = int(out["unverified"].sum())
    report.facts["rows_unverified_excluded"] = len(problems) if exclude_unverified else 0
    without = out["no_kk"].isna() & out["address"].isna()
    report.facts["rows_without_household"] = int(without.sum())
    if without.any() and (out["region"] != out["village"]).any():
        _warn(
            report,
            f"{int(without.sum())} rows have neither a No. KK nor an address; in houses_7d "
            "each of them counts as a house of its own",
        )
    return out.reset_index(drop=True)


def _cases(
    sub: pd.DataFrame,
    cols: dict[str, str],
    regions: pd.DataFrame,
    report: Report,
    keep: np.ndarray | None = None,
) -> pd.DataFrame:
    """The date, place and household columns of some rows (``row, date, region, village,
    no_kk, address``); problems go to ``report``.

    ``keep``: the positions of the rows to read (all when ``None``). The columns are read
    whole and the kept rows' codes taken, rather than a copy made of every kept text (for
    a million rows, that copy alone took ~0.6 s, most of it the kernel handing out new
    memory)."""
    dates = _dates(sub[cols["date"]], cols["date"], report, keep)
    region, village = _regions(sub, cols, regions, report, keep)
    cards = _family_cards(sub, cols.get("no_kk"), report, keep)
    at = np.arange(len(sub)) if keep is None else keep
    address = np.full(len(at), None, dtype=object)
    if "address" in cols:
        cells = sub[cols["address"]].reset_index(drop=True)
        filled = (cells != "").to_numpy(dtype=bool)[at]  # compared column-wise
        address[filled] = cells.iloc[at[filled]].to_numpy(dtype=object)  # texts for these only
    return pd.DataFrame(
        {
            "row": sub.index.to_numpy()[at],
            "date": dates,
            "region": pd.Series(region, dtype=object),
            "village": pd.Series(village, dtype=object),
            "no_kk": pd.Series(cards, dtype=object),
            "address": pd.Series(address, dtype=object),
        }
    )


def _unverified(
    loose: pd.DataFrame, cols: dict[str, str], regions: pd.DataFrame, report: Report
) -> pd.DataFrame:
    """The rows without a valid NIK whose date and place can be read, as :func:`_cases`.

    Such a row is counted only for its place and date: where one of them is wrong too, there
    is nothing to count, and the row is reported (a warning: the rest of the file is good).
    """
    for _ in range(3):  # each pass drops the rows the last one named
        found = Report()
        out = _cases(loose, cols, regions, found)
        for issue in found.errors:
            _warn(report, f"{issue.message}; the row has no valid NIK either and is not counted",
                  issue.row, issue.column)  # fmt: skip
        if not found.has_errors:
            for issue in found.warnings:
                _warn(report, issue.message, issue.row, issue.column)
            return out
        named = {i.row for i in found.errors}
        if None in named or len(found.errors) < found.counts["error"]:
            break  # a problem of the whole column, or more than were listed
        loose = loose[~loose.index.isin(named)]
    _warn(report, "the rows without a valid NIK cannot be read; none of them is counted")
    return _cases(loose.iloc[:0], cols, regions, Report())


def _truncated_by_a_spreadsheet(niks: pd.Series, column: str, report: Report) -> bool:
    """Whether the NIKs lost their 16th digit to a spreadsheet that stored them as numbers.

    A spreadsheet keeps 15 significant digits, so every NIK typed into a number column ends
    in 0 and different people may get the same NIK. One NIK in ten ends in 0 by chance; nine
    in ten among ten or more cannot be chance (an error); three in ten among a hundred is
    worth a warning.
    """
    n = len(niks)
    share = float(niks.str.endswith("0").mean()) if n else 0.0
    report.facts["nik_share_ending_in_0"] = round(share, 3)
    if n >= 10 and share >= 0.9:
        _error(
            report,
            f"{share:.0%} of the NIKs end in 0: the column was {STORED_AS_NUMBER}, then "
            "enter the NIKs again (a number keeps only 15 of their 16 digits)",
            column=column,
        )
        return True
    if n >= 100 and share >= 0.3:
        _warn(
            report,
            f"{share:.0%} of the NIKs end in 0 (one in ten would by chance): some were probably "
            "typed into a number column, which keeps only 15 digits; check the column's format",
            column=column,
        )
    return False


def _kept_factorized(
    cells: pd.Series, keep: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """``pd.factorize`` of the cells at positions ``keep`` (all when ``None``), and their
    index: the codes and distinct values those cells alone give (in order of first
    appearance; -1 for a missing cell), from the whole column's codes, with no copy of the
    kept texts."""
    codes, uniques = pd.factorize(cells)
    if keep is None:
        return codes, uniques, cells.index
    codes, used = pd.factorize(codes[keep])  # the kept codes renumbered
    missing = np.flatnonzero(used < 0)
    if len(missing):  # a missing cell among them: -1 again, as pd.factorize gives it
        hole = missing[0]
        codes = np.where(codes == hole, -1, codes - (codes > hole))
        used = np.delete(used, hole)
    return codes, uniques.take(used), cells.index[keep]


def _dates(
    cells: pd.Series, column: str, report: Report, keep: np.ndarray | None = None
) -> np.ndarray:
    codes, uniques, index = _kept_factorized(cells.fillna(""), keep)
    today = pd.Timestamp.now().normalize()
    parsed, problems = [], []
    for value in uniques:
        text = str(value).strip()
        day = tables.parse_date(text) if text else None
        if not text:
            problem = "the date is empty"
        elif day is None:
            problem = tables.describe_date(text)
        elif day > today:
            problem = f"{quote(text)} is after today"
        else:
            problem = None
        parsed.append(day if problem is None else pd.NaT)
        problems.append(problem)
    bad = np.array([p is not None for p in problems], dtype=bool)
    if len(uniques) and bad[codes].any():
        for k in np.flatnonzero(bad[codes]):
            _error(report, problems[codes[k]], int(index[k]), column)
    values = pd.DatetimeIndex(parsed, dtype="datetime64[s]") if parsed else pd.DatetimeIndex([])
    return values.to_numpy()[codes] if len(codes) else np.array([], dtype="datetime64[s]")


#: The last region list a resolver was made for, and the resolver: a line list's rows with
#: and without a valid NIK are placed in two passes over the same list.
_LAST_RESOLVER: list[tuple[pd.DataFrame, RegionResolver]] = []


def _resolver(regions: pd.DataFrame) -> RegionResolver:
    """A village resolver of ``regions`` (the same one for the same frame)."""
    last = next(iter(_LAST_RESOLVER), None)  # read once: another session may replace it
    if last is not None and last[0] is regions:
        return last[1]
    resolver = RegionResolver(regions, level="village")
    _LAST_RESOLVER[:] = [(regions, resolver)]
    return resolver


def _regions(
    sub: pd.DataFrame,
    cols: dict[str, str],
    regions: pd.DataFrame,
    report: Report,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The region (RT where known, else village) and the village of each row (of the rows
    at ``keep``, as in :func:`_cases`)."""
    column = cols["region"]
    n = len(sub) if keep is None else len(keep)
    none = np.full(n, None, dtype=object)
    if not (regions["level"] == "village").any():
        _error(report, "the store has no villages; import the regions first (regions import)")
        return none, none
    resolver = _resolver(regions)
    codes, uniques, index = _kept_factorized(sub[column], keep)
    found, problems = [], []
    for value in uniques:
        code, problem = resolver.resolve(value)
        if code is not None and code.count(".") + 1 < _VILLAGE_DEPTH:
            level = LEVELS[code.count(".")]
            problem = f"{value!r} is a {level}; each case needs its village (kode desa) or RT"
            code = None
        found.append(code)
        problems.append(problem)
    bad = np.array([p is not None for p in problems], dtype=bool)
    if len(uniques) and bad[codes].any():
        for k in np.flatnonzero(bad[codes]):
            _error(report, problems[codes[k]], int(index[k]), column)
        return none, none
    resolved = np.array(found, dtype=object)
    if "rt" in cols:
        numbers = sub[list(dict.fromkeys(c for c in (cols["rt"], cols.get("rw")) if c))]
        rows = numbers if keep is None else numbers.iloc[keep]  # the RT and RW columns only
        resolved = _place_rts(rows, cols, codes, resolved, set(regions["code"]), report)
    depth = np.array([c.count(".") + 1 for c in resolved], dtype=int)
    village = np.array([c[:VILLAGE_CODE_LENGTH] for c in resolved], dtype=object)
    place = np.where(depth == _RT_DEPTH, resolved, village)  # an RW counts for its village
    return place[codes], village[codes]


def _place_rts(
    sub: pd.DataFrame,
    cols: dict[str, str],
    codes: np.ndarray,
    resolved: np.ndarray,
    known: set[str],
    report: Report,
) -> np.ndarray:
    """Per row, the RT that the ``rt`` (and ``rw``) number columns name within its village.

    An RT not in the store is named by its village and numbers all the same: the import
    makes it (and its RW; see :func:`zoning.model.regions.local_regions`). Returns the
    resolved code of each row (``codes`` is rewritten in place to index it).
    """
    rt = sub[cols["rt"]].to_numpy(dtype=object)
    rw = sub[cols["rw"]].to_numpy(dtype=object) if "rw" in cols else np.full(len(sub), "")
    combo_codes, combos = pd.factorize(pd.MultiIndex.from_arrays([codes, rt, rw]))
    members = pd.Series(sub.index.to_numpy()).groupby(combo_codes).indices
    out = []
    missing: dict[str, list[int]] = {}
    for i, (k, rt_text, rw_text) in enumerate(combos):
        base = resolved[k]
        depth = base.count(".") + 1
        code = base
        full = try_normalise(rt_text) if len(str(rt_text).strip()) > 3 else None
        if full is not None and full.count(".") + 1 == _RT_DEPTH and full.startswith(base):
            code = full  # the RT's full code in the RT column
        elif str(rt_text).strip() and depth < _RT_DEPTH:
            rt_no, rw_no = _small_number(rt_text), _small_number(rw_text)
            rows = sub.index.to_numpy()[members[i]]
            if rt_no is None:
                for row in rows:
                    _warn(report, "the RT is not a number; the case is counted for its village",
                          int(row), cols["rt"])  # fmt: skip
            elif depth == _VILLAGE_DEPTH + 1:  # the region is an RW
                code = f"{base}.{rt_no:03d}"
            elif rw_no is None:
                for row in rows:
                    _warn(report, "an RT needs its RW; the case is counted for its village",
                          int(row), cols.get("rw", cols["rt"]))  # fmt: skip
            else:
                code = f"{base}.{rw_no:03d}.{rt_no:03d}"
            if code != base and code not in known:
                missing.setdefault(code, []).extend(int(r) for r in rows)
        out.append(code)
    if missing:
        made = local_regions(missing, known)
        report.facts["rts_made"] = int((made["level"] == "rt").sum())
        report.facts["rws_made"] = int((made["level"] == "rw").sum())
        report.note(
            f"RT and RW numbers (columns `{cols.get('rw', '')}`, `{cols['rt']}`) place the "
            f"cases; {report.facts['rts_made']} RTs and {report.facts['rws_made']} RWs not in "
            "the store are made under their villages (no boundaries: the map lists them)"
        )
    codes[:] = combo_codes
    return np.array(out, dtype=object)


def _small_number(text: object) -> int | None:
    """An RT's or RW's number (1 to 999), else ``None``."""
    return tables.local_number(text) or None


def _family_cards(
    sub: pd.DataFrame, column: str | None, report: Report, keep: np.ndarray | None = None
) -> np.ndarray:
    """The No. KK of each row (16 digits) or None; a bad one is a warning (the rows at
    ``keep``, as in :func:`_cases`)."""
    at = np.arange(len(sub)) if keep is None else keep
    out = np.full(len(at), None, dtype=object)
    if column is None:
        return out
    values = sub[column].reset_index(drop=True)
    good = sixteen_digit_cells(values)[at]
    out[good] = values.iloc[at[good]].to_numpy(dtype=object)  # a Python text only for these
    for k in np.flatnonzero(~good & (values != "").to_numpy(dtype=bool)[at]):
        cell = str(values.iloc[at[k]]).strip()
        digits = clean_nik(cell)
        if len(digits) == 16 and digits.isascii() and digits.isdigit():
            out[k] = digits
            continue
        reason = STORED_AS_NUMBER if check_nik(cell) == STORED_AS_NUMBER else "not 16 digits"
        _warn(report, f"{reason}; the No. KK is not used", int(sub.index[at[k]]), column)
    return out


# --- episodes -----------------------------------------------------------------------------


@dataclass
class EpisodePlan:
    """What a line list changes in the case register."""

    insert: pd.DataFrame  # person_key, date, region, household_key, episode, unverified
    starts: pd.DataFrame  # region, date, unverified of each episode start new to the register
    stopped: pd.DataFrame  # region, date, unverified of each stored start that is one no more
    start_ids: np.ndarray  # stored rows that now start an episode
    stop_ids: np.ndarray  # stored rows that no longer start one
    facts: dict[str, int] = field(default_factory=dict)


def plan_episodes(new: pd.DataFrame, stored: pd.DataFrame, days: int = EPISODE_DAYS) -> EpisodePlan:
    """Add an upload's rows to the stored ones and work out every episode of their people.

    Parameters
    ----------
    new : DataFrame
        ``person_key, date, region, household_key[, unverified]`` (and ``row``), one row per
        case of the upload. An integer column ``person`` numbering the distinct
        ``person_key`` values from 0 may be given to save finding them again.
    stored : DataFrame
        ``id, person_key, date, region, household_key, episode[, unverified]``: every stored
        row of the same people (:meth:`zoning.store.Store.case_dates`).
    days : int
        A date at least this many days after the start of the person's current episode
        starts a new episode; otherwise it belongs to that episode and is not counted again.

    Notes
    -----
    The register keeps each distinct (person, date, place, house) once. A person's rows are
    taken in order of date, then place and house (codes and keys, so the order does not
    depend on the order of the rows): the first starts an episode, and each later one
    either belongs to the current episode or starts the next. The episodes are a function
    of the set of rows alone, so any split of the same rows into uploads, in any order, ends
    with the same episodes, each at the same place.
    """
    n_new, n_old = len(new), len(stored)
    if "person" in new and not n_old:  # a first import: nothing stored to match
        new_code = new["person"].to_numpy(np.int64)
        old_code = np.zeros(0, dtype=np.int64)
    elif "person" in new:
        new_code = new["person"].to_numpy(np.int64)
        first_row = np.unique(new_code, return_index=True)[1]
        distinct = pd.Index(new["person_key"].to_numpy(dtype=object)[first_row], dtype=object)
        old_code = distinct.get_indexer(stored["person_key"].to_numpy(dtype=object))
        if (old_code < 0).any():  # stored people absent from the upload
            extra, _ = pd.factorize(stored["person_key"].to_numpy(dtype=object)[old_code < 0])
            old_code[old_code < 0] = len(distinct) + extra
    else:
        both = np.concatenate(
            [
                stored["person_key"].to_numpy(dtype=object),
                new["person_key"].to_numpy(dtype=object),
            ]
        )
        codes, _ = pd.factorize(both)
        old_code, new_code = codes[:n_old], codes[n_old:]
    code = np.concatenate([old_code, new_code]).astype(np.int64)
    day = np.concatenate([_days(stored["date"]), _days(new["date"])])
    region = np.concatenate(
        [stored["region"].to_numpy(dtype=object), new["region"].to_numpy(dtype=object)]
    )
    house = np.concatenate(
        [
            stored["household_key"].to_numpy(dtype=object),
            new["household_key"].to_numpy(dtype=object),
        ]
    )
    unverified = np.concatenate([_flags(stored, "unverified"), _flags(new, "unverified")])
    is_new = np.r_[np.zeros(n_old, dtype=np.int64), np.ones(n_new, dtype=np.int64)]
    row = np.r_[
        np.zeros(n_old, dtype=np.int64),
        new["row"].to_numpy(np.int64) if "row" in new else np.arange(n_new, dtype=np.int64),
    ]
    # most people have one row: it starts their episode, whatever the others. The rest are
    # ordered by person, day, place and house (code and key texts: the order of the content,
    # not of the rows), a stored row before an upload's.
    lone = np.bincount(code, minlength=1)[code] == 1 if len(code) else np.zeros(0, dtype=bool)
    some = np.flatnonzero(~lone)
    by, same_in = _content_order(code[some], day[some], region[some], house[some],
                                 is_new[some], row[some])  # fmt: skip
    order = np.concatenate([np.flatnonzero(lone), some[by]])
    # each distinct (person, day, place, house) once: a stored row before the upload's
    same = np.concatenate([np.zeros(len(order) - len(by), dtype=bool), same_in])
    kept = order[~same]  # combined positions, in order
    keeper = kept[np.cumsum(~same) - 1]  # of every row in order, the one kept in its place
    again_new = same & (order >= n_old)  # the upload's rows already there
    already_stored = int((again_new & (keeper < n_old)).sum())
    repeated = int((again_new & (keeper >= n_old)).sum())

    c, d = code[kept], day[kept]
    start_of = np.empty(len(kept), dtype=np.int64)
    remaining = np.arange(len(kept))
    while remaining.size:
        rc = c[remaining]
        first = np.r_[True, rc[1:] != rc[:-1]]
        start = remaining[first][np.cumsum(first) - 1]
        belongs = d[remaining] < d[start] + days
        start_of[remaining[belongs]] = start[belongs]
        remaining = remaining[~belongs]
    is_start = start_of == np.arange(len(kept))

    from_file = kept >= n_old
    old_flag = np.zeros(len(kept), dtype=bool)
    old_flag[~from_file] = _flags(stored, "episode")[kept[~from_file]]
    switched_on = is_start & ~from_file & ~old_flag
    switched_off = ~is_start & ~from_file & old_flag
    new_start = is_start & (from_file | switched_on)
    start_pos = np.flatnonzero(is_start)  # a person's episodes in order: later ones are again
    reinfection = np.zeros(len(kept), dtype=bool)
    reinfection[start_pos[1:]] = c[start_pos[1:]] == c[start_pos[:-1]]
    joins = from_file & ~is_start

    take = kept[from_file] - n_old
    insert = pd.DataFrame(
        {
            "person_key": pd.Series(new["person_key"].to_numpy(dtype=object)[take], dtype=object),
            "date": pd.to_datetime(new["date"]).to_numpy()[take],
            "region": pd.Series(region[kept[from_file]], dtype=object),
            "household_key": pd.Series(
                new["household_key"].to_numpy(dtype=object)[take], dtype=object
            ),
            "episode": is_start[from_file],
            "unverified": unverified[kept[from_file]],
        }
    )
    ids = stored["id"].to_numpy(np.int64) if n_old else np.zeros(0, dtype=np.int64)
    facts = {
        "case_dates_new": len(insert),
        "episodes_new": int(new_start.sum()),
        "episodes_reinfection": int((reinfection & new_start).sum()),
        "episodes_moved_earlier": int(switched_off.sum()),
        "rows_already_stored": already_stored,
        "rows_in_stored_episode": int((joins & ~from_file[start_of]).sum()),
        "rows_repeat_in_file": int((joins & from_file[start_of]).sum()) + repeated,
    }
    return EpisodePlan(
        insert=insert,
        starts=_places(kept[new_start], region, day, unverified),
        stopped=_places(kept[switched_off], region, day, unverified),
        start_ids=ids[kept[switched_on]],
        stop_ids=ids[kept[switched_off]],
        facts=facts,
    )


def _content_order(
    code: np.ndarray,
    day: np.ndarray,
    region: np.ndarray,
    house: np.ndarray,
    is_new: np.ndarray,
    row: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The order by person, day, place (code text) and house (key text), then stored before
    new, then row; and, in that order, whether each row repeats the one before it (the same
    person, day, place and house).

    Rows are laid out stored first and then by row (:func:`plan_episodes`), so one stable
    sort of an int64 key of person, day and place orders them; houses are compared only
    among rows that tie on that key (few: a person tested twice on one day, at one place).
    """
    n = len(code)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    place = _text_ranks(region)
    d = day - day.min()
    sizes = (int(code.max()) + 1, int(d.max()) + 1, int(place.max()) + 1)
    laid_out = bool((np.diff(is_new) >= 0).all()) and bool((np.diff(row[is_new == 1]) >= 0).all())
    if not laid_out or float(np.prod(sizes, dtype=float)) >= 2.0**62:
        houses = _text_ranks(np.where(pd.isna(house), "", house))
        by = np.lexsort((row, is_new, houses, place, day, code))
        key = np.stack([code[by], day[by], place[by], houses[by]])
        return by, np.r_[False, (np.diff(key, axis=1) == 0).all(axis=0)]
    key = (code * sizes[1] + d) * sizes[2] + place
    by = np.argsort(key, kind="stable")
    step = np.diff(key[by]) == 0  # the next row has the same person, day and place
    texts = np.where(pd.isna(house), "", house)[by]
    same = np.r_[False, step & (texts[1:] == texts[:-1])]
    # runs of such rows whose houses differ are ordered by house too (most runs are a row
    # again, house and all: their stable order is the one wanted)
    run = np.cumsum(np.r_[True, ~step])
    mixed = np.zeros(run[-1] + 1, dtype=bool)
    mixed[run[1:][step & ~same[1:]]] = True
    at = np.flatnonzero(mixed[run])
    if len(at):
        houses = _text_ranks(texts[at])
        sub = np.lexsort((row[by[at]], is_new[by[at]], houses, key[by[at]]))
        by[at] = by[at][sub]
        ranks = np.full(n, -1, dtype=np.int64)
        ranks[at] = houses[sub]
        same[at] = np.r_[False, step][at] & (np.r_[-2, ranks[:-1]][at] == ranks[at])
    return by, same


def _text_ranks(values: np.ndarray) -> np.ndarray:
    """Each text's rank among the distinct texts, in the texts' order (``pd.factorize`` with
    ``sort=True`` gives the same, twice as slowly on a few hundred thousand keys)."""
    codes, uniques = pd.factorize(values)
    ranks = np.empty(len(uniques), dtype=np.int64)
    ranks[np.argsort(np.asarray(uniques, dtype=str), kind="stable")] = np.arange(len(uniques))
    return ranks[codes]


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column of ``frame`` (all False where it has none)."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].to_numpy(dtype=bool)


def _places(at: np.ndarray, region: np.ndarray, day: np.ndarray, unverified: np.ndarray):
    """``region, date, unverified`` of the combined rows ``at``."""
    return pd.DataFrame(
        {
            "region": pd.Series(region[at], dtype=object),
            "date": day[at].astype("datetime64[D]").astype("datetime64[s]"),
            "unverified": unverified[at],
        }
    )


def _days(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]").astype(np.int64)


# --- importing ----------------------------------------------------------------------------


def _check_key(meta: dict[str, str], hasher: NikHasher, has_cases: bool, key_path: Path):
    stored = meta.get(FINGERPRINT_META)
    if stored is None and has_cases:
        stored = "unknown"
    if stored is not None and stored != hasher.fingerprint():
        raise NikKeyError(
            "this store was built with another NIK key; nothing was imported. Use the key "
            f"file it was built with (set {SECRET_ENV}; the key in use is {key_path}): "
            "under another key every person would get another code and be counted again"
        )


@dataclass
class LineList(envelope.Kind):
    """NIK line lists, with the analyst's choices: the upload kind of :func:`import_linelist`
    and the upload page.

    ``covers`` (region codes), ``first`` and ``last`` (days) say what the register covers
    when the file alone does not (see :func:`coverage`); ``exclude_unverified`` leaves out
    the rows without a valid NIK.
    """

    mapping: Mapping[str, str] | None = None
    secret_path: Path | None = None
    covers: Sequence[str] | str | None = None
    first: object = None
    last: object = None
    exclude_unverified: bool = False
    name = KIND

    def options(self) -> dict:
        """The mapping, and the register's choices where they are not the defaults (so an
        upload made before they existed is the same upload as one without them)."""
        covers = [_code_or_text(c) for c in _codes_given(self.covers)]
        chosen = {
            "covers": sorted(set(covers)) if covers else None,
            "from": _day_given(self.first),
            "to": _day_given(self.last),
            "exclude_unverified": bool(self.exclude_unverified) or None,
        }
        out = {"mapping": dict(sorted((self.mapping or {}).items()))}
        return out | {k: v for k, v in chosen.items() if v is not None}

    def start(self, store: Store) -> None:
        """Load the NIK key (made on first use) and refuse a store built with another."""
        self.key_path = (
            Path(self.secret_path) if self.secret_path is not None else default_secret_path()
        )
        self.hasher = NikHasher(load_or_create_secret(self.key_path))
        _check_key(store.meta(), self.hasher, store.case_count() > 0, self.key_path)

    def read(self, store: Store, loaded: envelope.Loaded) -> envelope.Checked:
        regions = store.regions()
        frame, report = _read_linelist(
            loaded.data, regions, self.mapping, loaded.name, self.exclude_unverified
        )
        numbers = frame.pop(_NUMBER).to_numpy(np.int64) if _NUMBER in frame else None
        # the RWs and RTs the line list names that the store lacks (made in write)
        self.places = local_regions(frame["region"].dropna(), regions["code"])
        if len(self.places):  # covered like the RTs the store has
            regions = pd.concat([regions, self.places], ignore_index=True)
        spans = coverage(frame, regions, report, self.covers, self.first, self.last)
        checked = envelope.Checked(frame, report, int(report.facts.get("rows_read", 0)))
        checked.work = (loaded.sha256, spans, numbers)
        return checked

    def prepare(self, store: Store, checked: envelope.Checked) -> None:
        """Keyed hashes instead of NIKs, No. KKs and addresses (the NIKs are dropped)."""
        sha256, spans, numbers = checked.work
        cases, people = _keyed(checked.frame, self.hasher, sha256, numbers)
        verified = cases["person"].to_numpy(np.int64)[~cases["unverified"].to_numpy(bool)]
        checked.report.facts["people_in_file"] = int(np.count_nonzero(np.bincount(verified)))
        checked.frame = checked.frame.iloc[:0]
        checked.work = (cases, people, spans)

    def write(
        self, store: Store, conn: Transaction, upload_id: int, checked: envelope.Checked
    ) -> int:
        """The register's new rows and episodes, then the daily counts they change and the
        coverage (see the module's notes)."""
        cases, people, spans = checked.work
        report = checked.report
        had_cases = self._lock_key(store, conn)
        places = getattr(self, "places", None)
        if places is not None:  # RWs and RTs named by their numbers, made under their villages
            store.add_regions(conn, places, upload_id)
        stored = store.case_dates(people, conn)
        plan = plan_episodes(cases, stored)
        report.facts.update(plan.facts)
        # new cases per village-day: the stored count before this upload (one query, cheap
        # while the table is small) plus the episodes started, minus those no longer started
        added = _village_days(plan.starts)
        removed = _village_days(plan.stopped)
        touched = pd.concat([added, removed], ignore_index=True)[["region", "date"]]
        daily = store.case_new_cases(conn, touched)
        store.mark_episodes(conn, plan.start_ids, plan.stop_ids)
        store.insert_case_dates(conn, plan.insert, upload_id)
        daily = daily.merge(added, on=["region", "date"], how="left").merge(
            removed, on=["region", "date"], how="left", suffixes=("", "_removed")
        )
        for name in _DAILY:
            started, stopped = daily.pop(f"{name}_n"), daily.pop(f"{name}_n_removed")
            daily[name] += started.fillna(0) - stopped.fillna(0)

        # households per RT: a distinct count, recounted from the stored episodes, for the
        # days up to the latest case, the store's "as of" day or the coverage's last day,
        # whichever is latest (a covered day left out would be read as a zero)
        last = (  # a first import: the latest of the rows just written, not a scan for it
            store.case_last_date(conn)
            if had_cases or plan.insert.empty
            else pd.Timestamp(plan.insert["date"].max())
        )
        covered_to = spans["last"].max() if len(spans) else None
        until = max(d for d in (last, store.as_of(conn), covered_to) if d is not None)
        episodes = pd.concat(
            [plan.starts[["region", "date"]], plan.stopped[["region", "date"]]], ignore_index=True
        ).rename(columns={"date": "episode_start"})
        rts = episodes.loc[_is_rt(episodes["region"])]
        # and the windows the coverage makes whole, of episodes stored before it came
        covered = _rt_episodes_under(store, conn, _new_coverage(store, conn, spans, had_cases))
        rt_days = pd.concat(
            [_window_days(rts, until), _window_days(covered, until)], ignore_index=True
        ).drop_duplicates(ignore_index=True)
        rt_days = _covered_windows(store, conn, rt_days, spans)
        houses = _houses_7d(store, conn, rt_days, None if had_cases else plan.insert)
        recomputed = pd.concat([daily, houses], ignore_index=True)
        written = 0
        if len(recomputed):  # in key order: the counts table's index then grows at one end
            recomputed = recomputed.sort_values(["region", "date"], ignore_index=True)
            written = store.write_counts(conn, recomputed, upload_id)
        store.write_coverage(conn, upload_id, spans)
        report.facts["villages_touched"] = int(daily["region"].nunique())
        report.facts["village_days_recomputed"] = len(daily)
        report.facts["rts_touched"] = int(rts["region"].nunique())
        report.facts["rt_days_recomputed"] = len(rt_days)
        report.facts["region_days_written"] = int(written)
        store.advance_as_of(conn, max(d for d in (last, covered_to) if d is not None))
        return len(plan.insert) + len(plan.start_ids) + len(plan.stop_ids)

    def _lock_key(self, store: Store, conn: Transaction) -> bool:
        """Check the key inside the transaction, holding its row so imports take turns.

        Returns whether the store held cases before this upload."""
        fingerprint = store.locked_meta(conn, FINGERPRINT_META)
        has_cases = store.case_count(conn) > 0
        found = {} if fingerprint is None else {FINGERPRINT_META: fingerprint}
        _check_key(found, self.hasher, has_cases, self.key_path)
        if fingerprint is None:
            store.write_meta(conn, **{FINGERPRINT_META: self.hasher.fingerprint()})
        return has_cases


def import_linelist(
    store: Store,
    source: str | Path | bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    filename: str | None = None,
    author: str = "cli",
    secret_path: Path | None = None,
    covers: Sequence[str] | str | None = None,
    first: object = None,
    last: object = None,
    exclude_unverified: bool = False,
) -> ImportResult:
    """Import a line list into ``store`` in one transaction (see the module's notes).

    Parameters
    ----------
    store : Store
    source : path or bytes
        The line list (CSV).
    mapping : dict, optional
        ``{file column: field}``, see :func:`read_linelist`.
    filename : str, optional
        Recorded with the upload.
    author : str
        Who uploaded it.
    secret_path : Path, optional
        The NIK key file (default :func:`zoning.intake.nik.default_secret_path`).
    covers : codes, optional
        The regions the list covers (codes, or one text of codes separated by commas);
        default the villages it names (see :func:`coverage`).
    first, last : date, optional
        The first and last day it covers; default its first and last date.
    exclude_unverified : bool
        Leave out the rows without a valid NIK (reported, not counted).

    Returns
    -------
    ImportResult
        ``changed`` is the number of rows of the case register written or re-marked;
        ``report.facts`` says how many rows had no valid NIK and how many of them were
        counted as unverified, how many repeated a person, how many were re-infections, what
        the list covers, and how many village-days and RT-days were revised.

    Raises
    ------
    InputError
        The file cannot be loaded (missing, too large); :class:`UploadRejected` when it has
        errors (no NIK column, bad dates, unknown regions, a coverage that is not one...).
        Nothing is written.
    NikKeyError
        The store was built with another NIK key, or the key file is unsafe or damaged.
    """
    kind = LineList(mapping, secret_path, covers, first, last, exclude_unverified)
    return envelope.import_file(store, kind, source, filename=filename, author=author)


# --- what a line list covers --------------------------------------------------------------


def _codes_given(covers: Sequence[str] | str | None) -> list[str]:
    """The codes of ``covers`` as given (a text of codes separated by commas, or a list)."""
    if covers is None:
        return []
    parts = covers.split(",") if isinstance(covers, str) else list(covers)
    return [str(p).strip() for p in parts if str(p).strip()]


def _code_or_text(text: str) -> str:
    """A region code given as an option, normalised where it reads as one (``3374`` and
    ``33.74`` are the same option); else the text as given (refused when read)."""
    try:
        return normalise_code(text)
    except (ValueError, TypeError):
        return text


def _day_given(value: object) -> str | None:
    """A day given as an option, as text (ISO when it reads as a date; kept for the record)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        day = tables.parse_date(value)
        return value.strip() if day is None else day.date().isoformat()
    return pd.Timestamp(value).date().isoformat()


def coverage(
    frame: pd.DataFrame,
    regions: pd.DataFrame,
    report: Report,
    covers: Sequence[str] | str | None = None,
    first: object = None,
    last: object = None,
) -> pd.DataFrame:
    """What a line list covers: ``region, first, last`` spans (see
    :mod:`zoning.model.registers`), and ``report.facts["coverage"]`` saying so.

    By default the villages the rows name (each with its RTs), from the first to the last
    date of the rows. ``covers`` names the regions instead (codes of any level, e.g. a whole
    regency), ``first`` and ``last`` the days. A code that is not a stored region, a day that
    is not a date or lies after today, or ``first`` after ``last`` is an error (the option is
    named as the column); rows outside a coverage given are counted, and a warning says how
    many.
    """
    empty = no_spans()
    if report.has_errors:
        return empty
    given = _codes_given(covers)
    days = {}
    for option, value in (("--from", first), ("--to", last)):
        days[option] = _option_day(option, value, report)
    codes = _option_codes(given, regions, report)
    if report.has_errors:
        return empty
    dates = pd.to_datetime(frame["date"])
    start = days["--from"] if days["--from"] is not None else dates.min()
    end = days["--to"] if days["--to"] is not None else dates.max()
    if start > end:
        _error(report, f"the coverage starts ({start.date()}) after it ends ({end.date()}); "
               "give --from on or before --to", column="--from")  # fmt: skip
        return empty
    if not codes:
        codes = sorted(pd.unique(frame["village"].to_numpy(dtype=object)))
    spans = pd.DataFrame(
        {
            "region": pd.Series(codes, dtype=object),
            "first": pd.Timestamp(start).normalize(),
            "last": pd.Timestamp(end).normalize(),
        }
    )
    outside_days = int(((dates < start) | (dates > end)).sum())
    if outside_days:
        _warn(report, f"{outside_days} rows are dated outside the coverage ({start.date()} to "
              f"{end.date()}); they are counted, but the days around them are not read as "
              "zeros", column="--from")  # fmt: skip
    if given:
        inside = covered_regions(frame["region"].to_numpy(dtype=object), spans)
        if (~inside).any():
            _warn(report, f"{int((~inside).sum())} rows are placed outside the regions covered "
                  f"({', '.join(codes[:5])}{'...' if len(codes) > 5 else ''}); they are "
                  "counted, but their places' days without a case are not read as zeros",
                  column="--covers")  # fmt: skip
    levels = regions.set_index("code")["level"].reindex(codes)
    report.facts["coverage"] = {
        "given": bool(given),
        "regions": len(codes),
        "levels": {str(k): int(v) for k, v in levels.value_counts().items()},
        "codes": codes[:COVERAGE_LISTED],
        "first": str(pd.Timestamp(start).date()),
        "last": str(pd.Timestamp(end).date()),
        "days": int((pd.Timestamp(end) - pd.Timestamp(start)).days) + 1,
    }
    return spans


#: Region codes of a coverage listed in its report (all are kept with the upload).
COVERAGE_LISTED = 20


def _option_day(option: str, value: object, report: Report) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day = tables.parse_date(value) if isinstance(value, str) else pd.Timestamp(value)
    if day is None:
        _error(report, f"{quote(str(value))} is not a date; write 2021-04-03, 03/04/2021 or "
               "3 April 2021", column=option)  # fmt: skip
        return None
    day = pd.Timestamp(day).normalize()
    if day > pd.Timestamp.now().normalize():
        _error(report, f"{day.date()} is after today: a line list cannot cover days to come",
               column=option)  # fmt: skip
        return None
    return day


def _option_codes(given: list[str], regions: pd.DataFrame, report: Report) -> list[str]:
    known = set(regions["code"])
    out = []
    for text in given:
        code = _code_or_text(text)
        if code not in known:
            _error(report, f"{quote(text)} is not the code of a region in the store; give "
                   "codes such as 33.74 (a regency) or 33.74.01.1001 (a village), separated by "
                   "commas", column="--covers")  # fmt: skip
            continue
        out.append(code)
    return sorted(dict.fromkeys(out))


def _is_rt(regions: pd.Series) -> np.ndarray:
    """Which normalised region codes are RT codes (``33.74.01.1001.003.002``: 21 characters)."""
    codes = regions.to_numpy(dtype=object)
    return np.fromiter(map(len, codes), dtype=np.int64, count=len(codes)) == RT_CODE_LENGTH


#: The daily counts a line list writes for a village, and the cases each counts.
_DAILY = ("new_cases", "new_cases_unverified")


def _village_days(starts: pd.DataFrame) -> pd.DataFrame:
    """Episode starts per village and day: ``region`` (the village), ``date``,
    ``new_cases_n`` (all) and ``new_cases_unverified_n`` (those of rows without a valid NIK)."""
    frame = pd.DataFrame(
        {
            "region": pd.Series(
                _villages_of(starts["region"].to_numpy(dtype=object)), dtype=object
            ),
            "date": pd.to_datetime(starts["date"]).astype("datetime64[s]"),
            "new_cases_n": 1.0,
            "new_cases_unverified_n": starts["unverified"].to_numpy(dtype=float),
        }
    )
    return frame.groupby(["region", "date"], as_index=False)[
        ["new_cases_n", "new_cases_unverified_n"]
    ].sum()


def _villages_of(regions: np.ndarray) -> np.ndarray:
    """The village code of each region code (its first characters), each distinct code cut
    once."""
    codes, uniques = pd.factorize(regions)
    cut = np.array([r[:VILLAGE_CODE_LENGTH] for r in uniques], dtype=object)
    return cut[codes] if len(codes) else np.array([], dtype=object)


def _window_days(episodes: pd.DataFrame, last: pd.Timestamp | None) -> pd.DataFrame:
    """The RT-days whose window (:data:`zoning.model.metrics.WINDOW` days) holds one of
    ``episodes``, and the day after the window (when the episode leaves it, often back to 0
    houses); none after ``last``."""
    if episodes.empty:
        return pd.DataFrame({"region": [], "date": []})
    base = episodes[["region", "episode_start"]].drop_duplicates()
    frames = [
        pd.DataFrame(
            {
                "region": base["region"].to_numpy(),
                "date": (base["episode_start"] + pd.Timedelta(days=k)).to_numpy(),
            }
        )
        for k in range(WINDOW + 1)
    ]
    out = pd.concat(frames, ignore_index=True).drop_duplicates()
    if last is not None:
        out = out[out["date"] <= last]
    return out.reset_index(drop=True)


def _new_coverage(
    store: Store, conn: Transaction, spans: pd.DataFrame, had_cases: bool
) -> pd.DataFrame:
    """The days this upload adds to what registers covered before it, as spans (none when
    the store had no cases: then no stored episode can gain a whole window)."""
    if spans.empty or not had_cases:
        return no_spans()
    known = store.coverage(regions=ancestors_and_self(spans["region"]), conn=conn)
    return added_days(spans, known)


def _rt_episodes_under(store: Store, conn: Transaction, spans: pd.DataFrame) -> pd.DataFrame:
    """The stored episodes of RTs under ``spans`` whose windows reach into their days
    (``region, episode_start``): their ``houses_7d`` may only now rest on covered days."""
    none = pd.DataFrame({"region": pd.Series(dtype=object),
                         "episode_start": pd.Series(dtype="datetime64[s]")})  # fmt: skip
    if spans.empty:
        return none
    codes = store.regions("rt")["code"].to_numpy(dtype=object)
    codes = codes[covered_regions(codes, spans)]
    if not len(codes):
        return none
    # a window [d - 6, d] holding a day of the spans ends within 6 days after it, and its
    # episodes start within 6 days before it
    reach = pd.Timedelta(days=WINDOW - 1)
    first, last = spans["first"].min() - reach, spans["last"].max() + reach
    found = store.case_houses(conn, codes, first, last)
    return found[["region", "episode_start"]].drop_duplicates(ignore_index=True)


def _covered_windows(
    store: Store, conn: Transaction, rt_days: pd.DataFrame, spans: pd.DataFrame
) -> pd.DataFrame:
    """The RT-days whose whole window a register covers (this upload's coverage or an
    earlier one): ``houses_7d`` counts a window's houses, so a window reaching into days no
    register covers has no count (:mod:`zoning.model.registers`)."""
    if rt_days.empty:
        return rt_days
    regions = rt_days["region"].to_numpy(dtype=object)
    stored = store.coverage(regions=ancestors_and_self(regions), conn=conn)
    known = pd.concat([stored[["region", "first", "last"]], spans], ignore_index=True)
    keep = windows_covered(regions, rt_days["date"], known)
    return rt_days[keep].reset_index(drop=True)


def _houses_7d(
    store: Store, conn: Transaction, rt_days: pd.DataFrame, inserted: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``houses_7d`` of the asked RT-days (``region, date``), from all stored episodes.

    The houses with an episode in the window ending each day: distinct household keys among
    the RT's episodes that start in the :data:`~zoning.model.metrics.WINDOW` days up to it
    (an episode without a household counts as a house of its own). 0 where none.
    ``inserted``: the register's rows just written when it held none before (then they are
    all its episodes, and are not read back).
    """
    out = rt_days[["region", "date"]].copy()
    out["region"] = out["region"].astype(object)
    out["date"] = pd.to_datetime(out["date"]).dt.normalize().astype("datetime64[s]")
    out = out.drop_duplicates().reset_index(drop=True)
    if out.empty:
        return out.assign(houses_7d=pd.Series(dtype=float))
    first = out["date"].min() - pd.Timedelta(days=WINDOW - 1)
    if inserted is None:
        episodes = store.case_houses(conn, out["region"], first, out["date"].max())
    else:
        episodes = _episodes_in(inserted, out["region"], first, out["date"].max())
    keys = episodes["household_key"]
    house = keys.where(keys.notna(), episodes["person_key"])
    found = houses_in_windows(
        episodes["region"].to_numpy(dtype=object),
        episodes["episode_start"].to_numpy(),
        house.to_numpy(dtype=object),
    )
    out = out.merge(found, on=["region", "date"], how="left")
    out["houses_7d"] = out["houses_7d"].fillna(0).astype(float)
    return out


def _episodes_in(
    rows: pd.DataFrame, regions: pd.Series, first: pd.Timestamp, last: pd.Timestamp
) -> pd.DataFrame:
    """What :meth:`zoning.store.Store.case_houses` reads, from register rows in memory."""
    date = pd.to_datetime(rows["date"]).to_numpy().astype("datetime64[s]")
    keep = (
        rows["episode"].to_numpy(dtype=bool)
        & (date >= np.datetime64(first, "s"))
        & (date <= np.datetime64(last, "s"))
        & rows["region"].isin(set(regions)).to_numpy()
    )
    return pd.DataFrame(
        {
            "region": pd.Series(rows["region"].to_numpy(dtype=object)[keep], dtype=object),
            "episode_start": date[keep],
            "household_key": pd.Series(rows["household_key"].to_numpy(dtype=object)[keep],
                                       dtype=object),
            "person_key": pd.Series(rows["person_key"].to_numpy(dtype=object)[keep]),
        }
    )  # fmt: skip


def houses_in_windows(region: np.ndarray, start: np.ndarray, house: np.ndarray) -> pd.DataFrame:
    """Distinct houses per region and day among the episodes started in the window
    (:data:`zoning.model.metrics.WINDOW` days) up to it.

    Returns ``region, date, houses_7d`` for every region-day with at least one house.
    """
    if not len(region):
        return pd.DataFrame(
            {"region": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[s]"),
             "houses_7d": pd.Series(dtype=float)}
        )  # fmt: skip
    region_code, names = pd.factorize(region)
    house_code, houses = pd.factorize(house)
    day = start.astype("datetime64[D]").astype(np.int64)
    first = int(day.min())
    n_day = int(day.max()) - first + WINDOW
    n_house = len(houses)
    # each (region, day, house) the episodes' windows cover, as one integer, kept once
    region_day = region_code.astype(np.int64) * n_day + (day - first)
    covered = np.unique(
        np.concatenate([(region_day + k) * n_house + house_code for k in range(WINDOW)])
    )
    key, size = np.unique(covered // n_house, return_counts=True)
    return pd.DataFrame(
        {
            "region": pd.Series(np.asarray(names, dtype=object)[key // n_day], dtype=object),
            "date": (np.datetime64(first, "D") + key % n_day).astype("datetime64[s]"),
            "houses_7d": size.astype(float),
        }
    )


def _houses(frame: pd.DataFrame, hasher: NikHasher) -> np.ndarray:
    """The household key of each case (``None``: the person is a house of their own).

    A house is where people live, so the **address** decides: rows with the same normalised
    address in the same RT (or village, for cases placed at a village) are one house, even
    with different family cards (several families often share a house), and rows with the
    same No. KK at different addresses are different houses (a family card names a family,
    not a dwelling). A row without an address is counted by its No. KK, and a row with
    neither is a house of its own. Each row's house depends on that row alone, so the same
    cases give the same houses however they are split into uploads. PPKM Mikro (Inmendagri
    3/2021 and its successors) zones an RT by the number of *houses* with a confirmed case in
    7 days, hence this rule.
    """
    n = len(frame)
    kk = frame["no_kk"].to_numpy(dtype=object)
    address = frame["address"].to_numpy(dtype=object)
    place = frame["region"].to_numpy(dtype=object)
    has_kk, has_address = pd.notna(kk), pd.notna(address)
    house = np.full(n, None, dtype=object)
    message = np.full(n, None, dtype=object)
    if has_address.any():
        a_codes, a_uniques = pd.factorize(address[has_address])
        norm = normalise_addresses(pd.Series(a_uniques, dtype=object)).to_numpy(dtype=object)
        p_codes, p_uniques = pd.factorize(place[has_address])
        pair_codes, pairs = pd.factorize(p_codes * len(a_uniques) + a_codes)  # each once
        texts = [
            address_message(norm[a], p_uniques[p]) if norm[a] else None
            for p, a in zip(pairs // len(a_uniques), pairs % len(a_uniques), strict=True)
        ]
        message[has_address] = np.array(texts, dtype=object)[pair_codes]
    by_address = pd.notna(message)
    if by_address.any():
        m_codes, m_uniques = pd.factorize(message[by_address])
        keys = hasher.household_keys(m_uniques.tolist())
        house[by_address] = np.array(keys, dtype=object)[m_codes]
    by_kk = ~by_address & has_kk
    if by_kk.any():  # the same No. KK is the same house wherever it is written
        kk_codes, kk_uniques = factorize_digits(kk[by_kk])
        kk_keys = hasher.household_keys(b"kk:" + k.encode("ascii") for k in kk_uniques.tolist())
        house[by_kk] = np.array(kk_keys, dtype=object)[kk_codes]
    return house


def _people(
    niks: pd.Series, valid: np.ndarray, numbers: np.ndarray | None, hasher: NikHasher
) -> tuple[np.ndarray, KeysLater]:
    """The person of each ``valid`` row (numbered in order of first appearance) and the
    distinct people's keys, begun (:meth:`NikHasher.number_keys_begun`: on another core
    when there are many); told apart by ``numbers`` (the NIKs as numbers) when given, else
    by the texts."""
    if numbers is None:
        codes, uniques = factorize_digits(niks.to_numpy(dtype=object)[valid])
        return codes, KeysLater.ready(hasher.keys(uniques.tolist()))
    # what factorize_digits does after reading the digits (no text made of each NIK)
    codes, uniques = pd.factorize(numbers[valid])
    return codes, hasher.number_keys_begun(uniques)


def _keyed(
    frame: pd.DataFrame,
    hasher: NikHasher,
    file_sha256: str = "",
    numbers: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Cases with person and household keys instead of NIKs, No. KKs and addresses.

    A row without a valid NIK gets a key of its own (:meth:`NikHasher.row_keys`: its file's
    sha256 and its row), so it is never merged with anyone. ``numbers``: each row's NIK as
    a number, when read already (:data:`_NUMBER`). Returns the cases (``person_key, person,
    date, region, household_key, unverified, row``) and the distinct person keys
    (``person`` numbers them).
    """
    unverified = frame["unverified"].to_numpy(dtype=bool)
    codes, later = _people(frame["nik"], ~unverified, numbers, hasher)
    try:  # the households while the people's keys are made on the other core
        house = _houses(frame, hasher)
    except BaseException:
        later.cancel()
        raise
    keys = later.result()
    rows = frame["row"].to_numpy(np.int64)
    loose = hasher.row_keys(file_sha256, rows[unverified].tolist())
    person = np.empty(len(frame), dtype=object)
    number = np.empty(len(frame), dtype=np.int64)
    person[~unverified] = np.array(keys, dtype=object)[codes]
    number[~unverified] = codes
    person[unverified] = loose
    number[unverified] = len(keys) + np.arange(len(loose))
    cases = pd.DataFrame(
        {
            "person_key": pd.Series(person, dtype=object),
            "person": number,
            "date": frame["date"].to_numpy(),
            "region": pd.Series(frame["region"].to_numpy(dtype=object), dtype=object),
            "household_key": pd.Series(house, dtype=object),
            "unverified": unverified,
            "row": rows,
        }
    )
    return cases, [*keys, *loose]
