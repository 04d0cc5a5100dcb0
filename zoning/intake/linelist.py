"""Line lists: one row per confirmed case, counted by NIK so that nobody is counted twice.

A line list has a NIK, a confirmation date and a place (a village or RT, by code or name) per
row, and optionally the family card number (No. KK), the address and RT/RW numbers. Importing
one:

* checks every NIK (:func:`zoning.intake.nik.check_nik`); a row without a valid NIK is counted and
  reported (row and column, never the value) and not imported;
* replaces each NIK by a keyed hash (:class:`zoning.intake.nik.NikHasher`) -- no NIK is stored,
  logged or repeated in a message -- and each household by the keyed hash of its No. KK, or
  else of its normalised address within the village;
* counts each person once per *episode*: a case is a new episode only if it is at least
  :data:`EPISODE_DAYS` days after the start of the person's previous episode, across the
  file and everything stored before; a case reported late, before a stored episode of the
  same person, moves that episode's start back;
* recomputes, from all stored episodes, the daily ``new_cases`` of every village-day it
  touched and the ``houses_7d`` of every RT-day whose window it touched (and of the day
  after, when a case leaves the window), up to the later of the latest case and the store's
  "as of" day, and writes them as a revision (:meth:`zoning.store.Store.write_counts`: the
  old values are kept in the history). Days without cases are not written as zeros.

All of it is one transaction (:func:`zoning.intake.envelope.import_file`); an upload with
errors writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    NikHasher,
    NikKeyError,
    address_message,
    check_nik,
    check_niks,
    clean_nik,
    default_secret_path,
    load_or_create_secret,
    normalise_addresses,
    prefix_unknown,
    sixteen_digit_cells,
)
from zoning.intake.report import ImportResult, Report
from zoning.model.codes import RT_CODE_LENGTH, VILLAGE_CODE_LENGTH, try_normalise
from zoning.model.metrics import WINDOW
from zoning.model.regions import LEVELS, RegionResolver, local_regions
from zoning.store import Store, Transaction

KIND = "linelist"
#: A case at least this many days after the start of a person's episode starts a new one.
EPISODE_DAYS = 90

#: Canonical fields and the column names read as each (:data:`zoning.intake.columns.LINELIST`).
FIELDS = LINELIST
REQUIRED = ("nik", "date", "region")
#: Columns of the frame :func:`read_linelist` returns.
COLUMNS = ("row", "nik", "date", "region", "village", "no_kk", "address")

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
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def read_linelist(
    source: str | Path | bytes,
    regions: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    filename: str | None = None,
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

    Returns
    -------
    frame : DataFrame
        One row per row with a valid NIK: ``row`` (spreadsheet row), ``nik`` (16 digits),
        ``date``, ``region`` (RT code where known, else village code), ``village``,
        ``no_kk`` (16 digits or None), ``address`` (text or None). Empty when the report
        has errors.
    report : Report
        Errors (the upload must be refused) and warnings, with row and column; the NIK is
        never repeated. ``report.facts`` counts the rows read, the rows without a valid NIK
        and more.
    """
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
    frame = _parse(table.frame, regions, mapping, report)
    return (frame if not report.has_errors else _empty_frame()), report


def _parse(
    table: pd.DataFrame,
    regions: pd.DataFrame,
    mapping: Mapping[str, str] | None,
    report: Report,
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

    # NIK: rows without a valid one are counted and reported, not imported
    niks, problems = check_niks(table[cols["nik"]])
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
        _warn(
            report,
            f"{len(problems)} of {len(table)} rows have no valid NIK; they are not imported",
            column=cols["nik"],
        )
        for k, reason in problems.items():
            _warn(report, f"{reason}; the row is not imported", int(rows[k]), cols["nik"])
    valid = niks.notna().to_numpy()
    if _truncated_by_a_spreadsheet(niks[valid], cols["nik"], report):
        return _empty_frame()
    sub = table[valid]
    dates = _dates(sub[cols["date"]], cols["date"], report)
    region, village = _regions(sub, cols, regions, report)
    cards = _family_cards(sub, cols.get("no_kk"), report)
    address = np.full(len(sub), None, dtype=object)
    if "address" in cols:
        cells = sub[cols["address"]].to_numpy(dtype=object)
        filled = cells != ""
        address[filled] = cells[filled]
    out = pd.DataFrame(
        {
            "row": rows[valid],
            "nik": niks[valid].reset_index(drop=True),
            "date": dates,
            "region": pd.Series(region, dtype=object),
            "village": pd.Series(village, dtype=object),
            "no_kk": pd.Series(cards, dtype=object),
            "address": pd.Series(address, dtype=object),
        }
    )
    if report.has_errors:
        return _empty_frame()

    unknown = prefix_unknown(out["nik"], regions["code"])
    report.facts["rows_nik_prefix_unknown"] = int(unknown.sum())
    for row in out.loc[unknown, "row"]:
        _warn(
            report,
            "digits 1-6 are not a regency and district of this province in the store "
            "(a typing error?); the case is imported",
            int(row),
            cols["nik"],
        )
    without = out["no_kk"].isna() & out["address"].isna()
    report.facts["rows_without_household"] = int(without.sum())
    if without.any() and (out["region"] != out["village"]).any():
        _warn(
            report,
            f"{int(without.sum())} rows have neither a No. KK nor an address; in houses_7d "
            "each of them counts as a house of its own",
        )
    return out.reset_index(drop=True)


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


def _dates(cells: pd.Series, column: str, report: Report) -> np.ndarray:
    codes, uniques = pd.factorize(cells.fillna(""))
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
            _error(report, problems[codes[k]], int(cells.index[k]), column)
    values = pd.DatetimeIndex(parsed, dtype="datetime64[s]") if parsed else pd.DatetimeIndex([])
    return values.to_numpy()[codes] if len(codes) else np.array([], dtype="datetime64[s]")


def _regions(
    sub: pd.DataFrame, cols: dict[str, str], regions: pd.DataFrame, report: Report
) -> tuple[np.ndarray, np.ndarray]:
    """The region (RT where known, else village) and the village of each row."""
    column = cols["region"]
    n = len(sub)
    none = np.full(n, None, dtype=object)
    if not (regions["level"] == "village").any():
        _error(report, "the store has no villages; import the regions first (regions import)")
        return none, none
    resolver = RegionResolver(regions, level="village")
    codes, uniques = pd.factorize(sub[column])
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
            _error(report, problems[codes[k]], int(sub.index[k]), column)
        return none, none
    resolved = np.array(found, dtype=object)
    if "rt" in cols:
        resolved = _place_rts(sub, cols, codes, resolved, set(regions["code"]), report)
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


def _family_cards(sub: pd.DataFrame, column: str | None, report: Report) -> np.ndarray:
    """The No. KK of each row (16 digits) or None; a bad one is a warning."""
    out = np.full(len(sub), None, dtype=object)
    if column is None:
        return out
    cells = sub[column].to_numpy(dtype=object)
    good = sixteen_digit_cells(sub[column])
    out[good] = cells[good]
    for k in np.flatnonzero(~good & (cells != "")):
        cell = str(cells[k]).strip()
        digits = clean_nik(cell)
        if len(digits) == 16 and digits.isascii() and digits.isdigit():
            out[k] = digits
            continue
        reason = STORED_AS_NUMBER if check_nik(cell) == STORED_AS_NUMBER else "not 16 digits"
        _warn(report, f"{reason}; the No. KK is not used", int(sub.index[k]), column)
    return out


# --- episodes -----------------------------------------------------------------------------


@dataclass
class EpisodePlan:
    """What a line list changes among the stored episodes."""

    insert: pd.DataFrame  # person_key, episode_start, region, household_key
    delete_ids: np.ndarray  # stored episodes replaced by one that starts earlier
    deleted: pd.DataFrame  # their region and episode_start
    facts: dict[str, int] = field(default_factory=dict)


def plan_episodes(new: pd.DataFrame, stored: pd.DataFrame, days: int = EPISODE_DAYS) -> EpisodePlan:
    """Group cases into episodes per person, with the episodes already stored.

    Parameters
    ----------
    new : DataFrame
        ``person_key, date, region, household_key`` (and ``row`` to break ties), one row
        per case of the upload. An integer column ``person`` numbering the distinct
        ``person_key`` values from 0 may be given to save finding them again.
    stored : DataFrame
        ``id, person_key, episode_start, region, household_key`` of the same people.
    days : int
        A case at least this many days after the start of the person's current episode
        starts a new episode; otherwise it belongs to that episode and is not counted again.

    Notes
    -----
    Dates are taken in order per person: the first starts an episode, and each later date
    either belongs to the current episode or starts the next one. A stored episode start is
    one such date; a late-reported case before it takes its place as the start.
    """
    n_new, n_old = len(new), len(stored)
    if "person" in new:
        new_code = new["person"].to_numpy(np.int64)
        first_row = np.unique(new_code, return_index=True)[1]
        distinct = pd.Index(new["person_key"].to_numpy(dtype=object)[first_row])
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
    day = np.concatenate([_days(stored["episode_start"]), _days(new["date"])])
    is_new = np.r_[np.zeros(n_old, dtype=np.int64), np.ones(n_new, dtype=np.int64)]
    row = np.r_[
        np.zeros(n_old, dtype=np.int64),
        new["row"].to_numpy(np.int64) if "row" in new else np.arange(n_new, dtype=np.int64),
    ]
    order = _order(code, day, is_new, row)
    code, day = code[order], day[order]

    start_of = np.empty(len(order), dtype=np.int64)
    remaining = np.arange(len(order))
    while remaining.size:
        c = code[remaining]
        first = np.r_[True, c[1:] != c[:-1]]
        start = remaining[first][np.cumsum(first) - 1]
        belongs = day[remaining] < day[start] + days
        start_of[remaining[belongs]] = start[belongs]
        remaining = remaining[~belongs]

    is_start = start_of == np.arange(len(order))
    sorted_new = is_new[order].astype(bool)
    # a person's episodes in order: any after the first is a re-infection
    start_pos = np.flatnonzero(is_start)
    again = np.zeros(len(order), dtype=bool)
    again[start_pos[1:]] = code[start_pos[1:]] == code[start_pos[:-1]]

    take = order[is_start & sorted_new] - n_old
    insert = pd.DataFrame(
        {
            "person_key": pd.Series(new["person_key"].to_numpy(dtype=object)[take], dtype=object),
            "episode_start": pd.to_datetime(new["date"]).to_numpy()[take],
            "region": pd.Series(new["region"].to_numpy(dtype=object)[take], dtype=object),
            "household_key": pd.Series(
                new["household_key"].to_numpy(dtype=object)[take], dtype=object
            ),
        }
    )
    gone = order[~is_start & ~sorted_new]
    deleted = stored.iloc[gone]
    joined_stored = ~is_start & sorted_new & ~sorted_new[start_of]
    repeats = int((~is_start & sorted_new).sum())
    facts = {
        "episodes_new": len(insert),
        "episodes_reinfection": int((again & is_start & sorted_new).sum()),
        "episodes_moved_earlier": len(gone),
        "rows_in_stored_episode": int(joined_stored.sum()),
        "rows_repeat_in_file": repeats - int(joined_stored.sum()),
    }
    return EpisodePlan(
        insert=insert,
        delete_ids=deleted["id"].to_numpy(np.int64),
        deleted=deleted[["region", "episode_start"]].reset_index(drop=True),
        facts=facts,
    )


def _order(code: np.ndarray, day: np.ndarray, is_new: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The order by person, day, stored before new, row: one int64 sort when it fits."""
    if not len(code):
        return np.zeros(0, dtype=np.int64)
    d = day - day.min()
    n_day, n_row = int(d.max()) + 1, int(row.max()) + 1
    if int(code.max() + 1) * n_day * 2 * n_row < 2**62:
        return np.argsort(((code * n_day + d) * 2 + is_new) * n_row + row, kind="stable")
    return np.lexsort((row, is_new, day, code))


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
    """NIK line lists, with the analyst's column mapping: the upload kind of
    :func:`import_linelist` and the upload page."""

    mapping: Mapping[str, str] | None = None
    secret_path: Path | None = None
    name = KIND

    def options(self) -> dict:
        return {"mapping": dict(sorted((self.mapping or {}).items()))}

    def start(self, store: Store) -> None:
        """Load the NIK key (made on first use) and refuse a store built with another."""
        self.key_path = (
            Path(self.secret_path) if self.secret_path is not None else default_secret_path()
        )
        self.hasher = NikHasher(load_or_create_secret(self.key_path))
        _check_key(store.meta(), self.hasher, store.case_count() > 0, self.key_path)

    def read(self, store: Store, loaded: envelope.Loaded) -> envelope.Checked:
        regions = store.regions()
        frame, report = read_linelist(
            loaded.data, regions, mapping=self.mapping, filename=loaded.name
        )
        # the RWs and RTs the line list names that the store lacks (made in write)
        self.places = local_regions(frame["region"].dropna(), regions["code"])
        return envelope.Checked(frame, report, int(report.facts.get("rows_read", 0)))

    def prepare(self, store: Store, checked: envelope.Checked) -> None:
        """Keyed hashes instead of NIKs, No. KKs and addresses (the NIKs are dropped)."""
        cases, people = _keyed(checked.frame, self.hasher)
        checked.report.facts["people_in_file"] = len(people)
        checked.frame = checked.frame.iloc[:0]
        checked.work = (cases, people)

    def write(
        self, store: Store, conn: Transaction, upload_id: int, checked: envelope.Checked
    ) -> int:
        """Episodes, then the daily counts they change (see the module's notes)."""
        cases, people = checked.work
        report = checked.report
        self._lock_key(store, conn)
        places = getattr(self, "places", None)
        if places is not None:  # RWs and RTs named by their numbers, made under their villages
            store.add_regions(conn, places, upload_id)
        stored = store.case_episodes(people, conn)
        plan = plan_episodes(cases, stored)
        report.facts.update(plan.facts)
        # new cases per village-day: the stored count before this upload (one query, cheap
        # while the table is small) plus the episodes inserted, minus those moved away
        added = _village_days(plan.insert)
        removed = _village_days(plan.deleted)
        touched = pd.concat([added, removed], ignore_index=True)[["region", "date"]]
        daily = store.case_new_cases(conn, touched)
        store.delete_cases(conn, plan.delete_ids)
        store.insert_cases(conn, plan.insert, upload_id)
        daily = daily.merge(added, on=["region", "date"], how="left").merge(
            removed, on=["region", "date"], how="left", suffixes=("", "_removed")
        )
        daily["new_cases"] += daily.pop("n").fillna(0) - daily.pop("n_removed").fillna(0)

        # households per RT: a distinct count, recounted from the stored episodes, for the
        # days up to the latest case or the store's "as of" day, whichever is later
        last = store.case_last_date(conn)
        as_of = store.as_of(conn)
        until = max(last, as_of) if as_of is not None and last is not None else last
        episodes = pd.concat(
            [plan.insert[["region", "episode_start"]], plan.deleted[["region", "episode_start"]]],
            ignore_index=True,
        )
        rts = episodes.loc[_is_rt(episodes["region"])]
        rt_days = _window_days(rts, until)
        houses = _houses_7d(store, conn, rt_days)
        recomputed = pd.concat([daily, houses], ignore_index=True)
        written = 0
        if len(recomputed):  # in key order: the counts table's index then grows at one end
            recomputed = recomputed.sort_values(["region", "date"], ignore_index=True)
            written = store.write_counts(conn, recomputed, upload_id)
        report.facts["villages_touched"] = int(daily["region"].nunique())
        report.facts["village_days_recomputed"] = len(daily)
        report.facts["rts_touched"] = int(rts["region"].nunique())
        report.facts["rt_days_recomputed"] = len(rt_days)
        report.facts["region_days_written"] = int(written)
        store.advance_as_of(conn, last)
        return len(plan.insert)

    def _lock_key(self, store: Store, conn: Transaction) -> None:
        """Check the key inside the transaction, holding its row so imports take turns."""
        fingerprint = store.locked_meta(conn, FINGERPRINT_META)
        has_cases = store.case_count(conn) > 0
        found = {} if fingerprint is None else {FINGERPRINT_META: fingerprint}
        _check_key(found, self.hasher, has_cases, self.key_path)
        if fingerprint is None:
            store.write_meta(conn, **{FINGERPRINT_META: self.hasher.fingerprint()})


def import_linelist(
    store: Store,
    source: str | Path | bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    filename: str | None = None,
    author: str = "cli",
    secret_path: Path | None = None,
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

    Returns
    -------
    ImportResult
        ``changed`` is the number of episodes written; ``report.facts`` says how many rows
        had no valid NIK, how many repeated a person, how many were re-infections, and how
        many village-days and RT-days were revised.

    Raises
    ------
    InputError
        The file cannot be loaded (missing, too large); :class:`UploadRejected` when it has
        errors (no NIK column, bad dates, unknown regions...). Nothing is written.
    NikKeyError
        The store was built with another NIK key, or the key file is unsafe or damaged.
    """
    kind = LineList(mapping, secret_path)
    return envelope.import_file(store, kind, source, filename=filename, author=author)


def _is_rt(regions: pd.Series) -> np.ndarray:
    """Which normalised region codes are RT codes (``33.74.01.1001.003.002``: 21 characters)."""
    codes = regions.to_numpy(dtype=object)
    return np.fromiter(map(len, codes), dtype=np.int64, count=len(codes)) == RT_CODE_LENGTH


def _village_days(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes per village and day: ``region`` (the village), ``date``, ``n``."""
    frame = pd.DataFrame(
        {
            "region": pd.Series(
                [r[:VILLAGE_CODE_LENGTH] for r in episodes["region"].to_numpy(dtype=object)],
                dtype=object,
            ),
            "date": pd.to_datetime(episodes["episode_start"]).astype("datetime64[s]"),
        }
    )
    return frame.groupby(["region", "date"], as_index=False).size().rename(columns={"size": "n"})


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


def _houses_7d(store: Store, conn: Transaction, rt_days: pd.DataFrame) -> pd.DataFrame:
    """``houses_7d`` of the asked RT-days (``region, date``), from all stored episodes.

    The houses with an episode in the window ending each day: distinct household keys among
    the RT's episodes that start in the :data:`~zoning.model.metrics.WINDOW` days up to it
    (an episode without a household counts as a house of its own). 0 where none.
    """
    out = rt_days[["region", "date"]].copy()
    out["region"] = out["region"].astype(object)
    out["date"] = pd.to_datetime(out["date"]).dt.normalize().astype("datetime64[s]")
    out = out.drop_duplicates().reset_index(drop=True)
    if out.empty:
        return out.assign(houses_7d=pd.Series(dtype=float))
    first = out["date"].min() - pd.Timedelta(days=WINDOW - 1)
    episodes = store.case_houses(conn, out["region"], first, out["date"].max())
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
        norm_of = norm[a_codes]
        message[has_address] = [
            address_message(a, p) if a else None
            for p, a in zip(place[has_address], norm_of, strict=True)
        ]
    by_address = pd.notna(message)
    if by_address.any():
        m_codes, m_uniques = pd.factorize(message[by_address])
        keys = hasher.household_keys(m_uniques.tolist())
        house[by_address] = np.array(keys, dtype=object)[m_codes]
    by_kk = ~by_address & has_kk
    if by_kk.any():  # the same No. KK is the same house wherever it is written
        kk_codes, kk_uniques = pd.factorize(kk[by_kk])
        kk_keys = hasher.household_keys(b"kk:" + k.encode("ascii") for k in kk_uniques.tolist())
        house[by_kk] = np.array(kk_keys, dtype=object)[kk_codes]
    return house


def _keyed(frame: pd.DataFrame, hasher: NikHasher) -> tuple[pd.DataFrame, list[str]]:
    """Cases with person and household keys instead of NIKs, No. KKs and addresses.

    Returns the cases (``person_key, person, date, region, household_key, row``) and the
    distinct person keys (``person`` numbers them).
    """
    codes, uniques = pd.factorize(frame["nik"])
    keys = hasher.keys(uniques.tolist())
    person = np.array(keys, dtype=object)[codes]

    house = _houses(frame, hasher)
    cases = pd.DataFrame(
        {
            "person_key": pd.Series(person, dtype=object),
            "person": codes.astype(np.int64),
            "date": frame["date"].to_numpy(),
            "region": pd.Series(frame["region"].to_numpy(dtype=object), dtype=object),
            "household_key": pd.Series(house, dtype=object),
            "row": frame["row"].to_numpy(np.int64),
        }
    )
    return cases, keys
