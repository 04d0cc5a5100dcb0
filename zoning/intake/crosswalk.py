"""BPS codes to Kemendagri codes: the crosswalk the store keeps, and how it is built.

Statistics files number districts and villages the BPS way (``3301020006``), administration
the Kemendagri way (``33.01.02.2006``); they agree on provinces and regencies only
(:mod:`zoning.model.codes`, "BPS codes"). The store keeps a crosswalk, one row per BPS code
(``Store.crosswalk``), filled two ways:

* **by names** (:func:`match`): a BPS code's name (from the file that uses it, or from a list
  of BPS codes and names) is looked for among the stored regions *within its parent*: a
  district within its regency, a village within its district (the district's Kemendagri
  code from the crosswalk, from a district name beside it, or from the other villages of
  the same BPS district). Only a name that fits exactly one region is taken; a name that
  fits several, or none, is an error naming the candidates (suggestions), for the analyst
  to review: they settle it with a crosswalk file;
* **by a file** (:class:`Crosswalk`, ``python -m zoning regions crosswalk FILE`` or the
  upload page): columns ``kode_bps`` and ``kode_kemendagri`` (or BPS codes with names, matched
  as above).

A counts file with BPS codes goes through it (:mod:`zoning.intake.counts`); the report says
how many rows did, and the codes matched by name in the same upload join the crosswalk.
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
from zoning.intake.columns import CROSSWALK, describe, match_columns, pick_columns
from zoning.intake.report import ImportResult, Report
from zoning.model.codes import bps_code, depth, only_bps, try_normalise
from zoning.model.regions import RegionResolver
from zoning.store import Store, Transaction

__all__ = ["Crosswalk", "Matched", "empty", "import_crosswalk", "match", "only_bps"]

KIND = "crosswalk"
COLUMNS = ("bps", "code", "how")
#: How a row of the crosswalk was made.
BY_NAMES, BY_FILE = "names", "file"
_ADVICE = (
    "upload a crosswalk with columns kode_bps and kode_kemendagri (regions crosswalk FILE, or "
    "the upload page)"
)


def empty() -> pd.DataFrame:
    """A crosswalk with no rows: ``bps, code, how``."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


@dataclass
class Matched:
    """What :func:`match` found: each cell's Kemendagri code, each wrong cell's problem, and
    the crosswalk rows matched by name now (not stored before)."""

    codes: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    built: pd.DataFrame = field(default_factory=empty)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def match(
    cells: Sequence[object],
    names: Sequence[object],
    districts: Sequence[object],
    regions: pd.DataFrame,
    stored: Mapping[str, str],
) -> Matched:
    """The Kemendagri code of each BPS code cell (see the module's notes).

    Parameters
    ----------
    cells : sequence
        BPS codes as written (``3301020006``, ``33.01.020.006``); province and regency codes
        (the same in both numberings) are taken as they are.
    names, districts : sequence
        Each cell's region name and district name, or ``None``.
    regions : DataFrame
        The stored regions (``code, name, level``).
    stored : mapping
        The stored crosswalk: dotted BPS code -> Kemendagri code.
    """
    out = Matched()
    known = set(regions["code"])
    villages = RegionResolver(regions, level="village")
    district_names = RegionResolver(regions, level="district")
    first: dict[str, tuple[str | None, str, str]] = {}
    for cell, name, district in zip(cells, names, districts, strict=True):
        text = _text(cell).strip()
        if text and text not in first:
            first[text] = (bps_code(text), _text(name).strip(), _text(district).strip())
    built: dict[str, str] = {}
    pending: list[str] = []
    seen_in: dict[str, set[str]] = {}  # BPS district -> Kemendagri districts of its villages
    for cell, (bps, name, district) in first.items():
        if bps is None:
            code = try_normalise(cell)
            if code is not None and depth(code) <= 2 and code in known:
                out.codes[cell] = code  # provinces and regencies: one numbering
            elif code is not None and depth(code) <= 2:
                out.problems[cell] = (
                    f"unknown region code {quote(cell)}; import the region first (regions import)"
                )
            else:
                out.problems[cell] = f"{quote(cell)} is not a BPS code (such as 3301020006)"
            continue
        if bps in stored:
            out.codes[cell] = stored[bps]
            continue
        regency = bps[:5]
        if regency not in known:
            out.problems[cell] = (
                f"the regency {regency} of BPS code {quote(cell)} is not in the store; import "
                "it first (regions import)"
            )
            continue
        if not name:
            out.problems[cell] = (
                f"BPS code {quote(cell)} is not in the crosswalk; {_ADVICE}, or give the "
                "names beside the codes (a column nama_desa) so that they are matched by name"
            )
            continue
        if depth(bps) == 3:  # a district, within its regency
            code, problem = district_names.resolve(name, within=regency)
        else:  # a village, within its district when that is known
            inside = stored.get(bps[:9]) or built.get(bps[:9])
            if inside is None and district:
                inside, problem = district_names.resolve(district, within=regency)
                if inside is None:
                    out.problems[cell] = f"BPS code {quote(cell)}: the district {problem}"
                    continue
            code, problem = villages.resolve(name, within=inside or regency)
            if code is None and inside is None and problem and "several" in problem:
                pending.append(cell)
                continue
            if code is not None and inside is None:
                seen_in.setdefault(bps[:9], set()).add(code[:8])
        if code is None:
            out.problems[cell] = f"BPS code {quote(cell)} ({quote(name)}): {problem}"
            continue
        out.codes[cell] = code
        built[bps] = code
    # a BPS district whose villages were all found in one Kemendagri district is that district
    for district_bps, found in seen_in.items():
        if len(found) == 1 and district_bps not in stored:
            built.setdefault(district_bps, next(iter(found)))
        elif len(found) > 1:
            for cell, (bps, _, _) in first.items():
                if bps is not None and bps[:9] == district_bps and cell in out.codes:
                    del out.codes[cell]
                    built.pop(bps, None)
                    out.problems[cell] = (
                        f"the villages of BPS district {district_bps} are found by name in "
                        f"several districts ({', '.join(sorted(found))}); check their names, "
                        f"or {_ADVICE}"
                    )
    for cell in pending:  # a name shared within the regency: look in its district
        bps, name, _ = first[cell]
        inside = built.get(bps[:9]) if len(seen_in.get(bps[:9], ())) == 1 else None
        code, problem = villages.resolve(name, within=inside or bps[:5])
        if code is None:
            out.problems[cell] = f"BPS code {quote(cell)} ({quote(name)}): {problem}; {_ADVICE}"
        else:
            out.codes[cell] = code
            built[bps] = code
    out.built = pd.DataFrame(
        {"bps": list(built), "code": list(built.values()), "how": BY_NAMES}, columns=COLUMNS
    )
    return out


# --- crosswalk files ---------------------------------------------------------------------------


def read_crosswalk(
    source: str | Path | bytes,
    regions: pd.DataFrame,
    stored: Mapping[str, str] | None = None,
    filename: str | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Read and check a crosswalk file: ``bps, code, how`` per row, and a report.

    A row gives a BPS code and its Kemendagri code, or a BPS code and its name (then matched
    as :func:`match` does). Every Kemendagri code must be a stored region of the same level
    and regency as the BPS code.
    """
    report = Report()
    report.facts["file"] = filename
    try:
        table = tables.read_office(source)[0]
    except InputError as exc:
        report.error(exc.bare, exc.row, exc.column)
        return empty(), report
    for message, row in table.notes:
        report.warn(message, row=row)
    frame = table.frame
    headers = list(frame.columns)
    cols = pick_columns(match_columns(headers, CROSSWALK))
    report.facts["columns"] = cols
    for line in describe(cols):
        report.note(line)
    if "bps" not in cols or ("code" not in cols and "name" not in cols):
        report.error(
            "a crosswalk needs a column of BPS codes (kode_bps) and one of Kemendagri codes "
            "(kode_kemendagri) or of names (nama); columns found: "
            + ", ".join(repr(redact(h)) for h in headers)
        )
        return empty(), report
    rows = frame.index.to_numpy()
    known = set(regions["code"])
    bps_cells = frame[cols["bps"]].to_numpy(dtype=object)
    given = frame[cols["code"]].to_numpy(dtype=object) if "code" in cols else None
    out: dict[str, tuple[str, str, int]] = {}
    by_name: list[int] = []
    for k, cell in enumerate(bps_cells):
        bps = bps_code(cell)
        if bps is None:
            report.error(f"{quote(cell)} is not a BPS code (such as 3301020006)", int(rows[k]),
                         cols["bps"])  # fmt: skip
            continue
        text = "" if given is None else str(given[k]).strip()
        if not text:
            by_name.append(k)
            continue
        code = try_normalise(text)
        problem = None
        if code is None:
            problem = f"{quote(text)} is not a Kemendagri code (such as 33.01.02.2006)"
        elif code not in known:
            problem = f"unknown region code {quote(text)}; import the region first"
        elif depth(code) != depth(bps) or code[:5] != bps[:5]:
            problem = f"{code} is not the same kind of region in the same regency as BPS {bps}"
        if problem:
            report.error(problem, int(rows[k]), cols["code"])
            continue
        _keep(out, bps, code, BY_FILE, int(rows[k]), report, cols["bps"])
    if by_name:
        if "name" not in cols:
            for k in by_name:
                report.error("the Kemendagri code is empty", int(rows[k]), cols["code"])
        else:
            sub = frame.iloc[by_name]
            districts = sub[cols["district"]] if "district" in cols else [None] * len(sub)
            found = match(sub[cols["bps"]], sub[cols["name"]], districts, regions, stored or {})
            for k, cell in zip(by_name, sub[cols["bps"]], strict=True):
                cell = str(cell).strip()
                if cell in found.problems:
                    report.error(found.problems[cell], int(rows[k]), cols["name"])
                elif cell in found.codes:
                    _keep(out, bps_code(cell), found.codes[cell], BY_NAMES, int(rows[k]), report,
                          cols["bps"])  # fmt: skip
            for bps, code in zip(found.built["bps"], found.built["code"], strict=True):
                if bps not in out:  # a district found from its villages
                    out[bps] = (code, BY_NAMES, 0)
    result = pd.DataFrame([(b, c, how) for b, (c, how, _) in out.items()], columns=list(COLUMNS))
    report.facts["codes"] = len(result)
    report.note(
        f"{int((result['how'] == BY_FILE).sum())} codes given, "
        f"{int((result['how'] == BY_NAMES).sum())} matched by name"
    )
    return (result if not report.has_errors else empty()), report


def _keep(out: dict, bps: str, code: str, how: str, row: int, report: Report, column: str):
    if bps in out and out[bps][0] != code:
        report.error(
            f"BPS {bps} is {code} here but {out[bps][0]} in row {out[bps][2]}; keep one", row,
            column,
        )  # fmt: skip
        return
    out[bps] = (code, how, row)


@dataclass
class Crosswalk(envelope.Kind):
    """Crosswalk files (BPS code -> Kemendagri code): the upload kind of
    :func:`import_crosswalk` and the upload page."""

    name = KIND

    def options(self) -> dict:
        return {}

    def read(self, store: Store, loaded: envelope.Loaded) -> envelope.Checked:
        frame, report = read_crosswalk(loaded.data, store.regions(), store.crosswalk(), loaded.name)
        return envelope.Checked(frame, report, len(frame))

    def write(
        self, store: Store, conn: Transaction, upload_id: int, checked: envelope.Checked
    ) -> int:
        return store.write_crosswalk(conn, checked.frame, upload_id)


def import_crosswalk(
    store: Store,
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    author: str = "cli",
) -> ImportResult:
    """Check a crosswalk file and write it into the store's crosswalk, all or nothing."""
    return envelope.import_file(store, Crosswalk(), source, filename=filename, author=author)
