"""One entry for the upload page: preview and commit of each kind of upload.

The page shows what :func:`preview` read and found, lets the analyst correct the column
mapping, and calls :func:`commit`, which writes everything in one transaction or nothing.
Both go through the upload envelope (:mod:`zoning.intake.envelope`) with the kind of file
the analyst chose, as the command line does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from zoning.core.i18n import format_number, t, tn
from zoning.core.text import redact
from zoning.intake import columns, envelope, tables
from zoning.intake.filecheck import ReadOnce
from zoning.intake.report import ImportResult, Report
from zoning.store import Store

KINDS = ("counts", "linelist", "regions")
FILE_TYPES = {
    "counts": ["csv", "txt", "tsv", "xlsx"],
    "linelist": ["csv", "txt", "tsv", "xlsx"],
    "regions": ["geojson", "json", "gpkg", "zip", "csv"],
}
PREVIEW_ROWS = 50
#: Columns the preview never shows, because they identify a person or a household: the
#: page receives :data:`MASK` in their place (and says so).
PRIVATE_COLUMNS = ("nik", "no_kk", "address")
MASK = "••••"


@dataclass
class Preview:
    """What a file would import: the first rows as read, the report and the column mapping."""

    rows: pd.DataFrame
    total: int
    report: Report
    columns: dict[str, str]  # canonical field -> the file's column
    masked: tuple[str, ...] = ()  # the preview's columns shown as MASK


@dataclass(frozen=True)
class Options:
    """The analyst's choices for one upload."""

    kind: str
    mapping: Mapping[str, str] | None = None  # the file's column -> canonical field
    region: str | None = None  # counts: the one region of a file without a region column
    level: str | None = None  # regions: the level the file holds
    layer: str | None = None  # regions: the layer of a GeoPackage
    covers: str | None = None  # line lists: the regions covered (codes, commas between)
    first: object = None  # line lists: the first day covered
    last: object = None  # line lists: the last day covered
    exclude_unverified: bool = False  # line lists: leave out rows without a valid NIK


#: The latest previews: the page runs again on every click, and the same file with the same
#: choices against the same data is checked once (see :class:`zoning.intake.filecheck.ReadOnce`).
_PREVIEWS = ReadOnce(entries=2)


def preview(store: Store, data: bytes, filename: str, options: Options) -> Preview:
    """Read and check an upload without writing anything (once per file, choices and data).

    The result is shared between reruns: read it, never change it.
    """
    mapping = tuple(sorted((options.mapping or {}).items()))
    key = (
        hashlib.sha256(data).hexdigest(), filename, options.kind, mapping, options.region,
        options.level, options.layer, options.covers, str(options.first), str(options.last),
        options.exclude_unverified, store.url, store.data_version(),
    )  # fmt: skip
    return _PREVIEWS.get(key, lambda: _preview(store, data, filename, options))


def kind_of(options: Options) -> envelope.Kind:
    """The kind of file the analyst chose, with their choices."""
    if options.kind == "counts":
        from zoning.intake.counts import Counts

        return Counts(options.mapping, options.region)
    if options.kind == "linelist":
        from zoning.intake.linelist import LineList

        return LineList(
            options.mapping, covers=options.covers, first=options.first, last=options.last,
            exclude_unverified=options.exclude_unverified,
        )  # fmt: skip
    if options.kind == "regions":
        from zoning.intake.boundaries import Boundaries

        return Boundaries(options.level or "village", layer=options.layer)
    raise ValueError(f"unknown upload kind {options.kind!r}")


def _preview(store: Store, data: bytes, filename: str, options: Options) -> Preview:
    checked = envelope.check(store, kind_of(options), data, filename)
    frame, report = checked.frame, checked.report
    frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    columns = {k: redact(v) for k, v in (report.facts.get("columns", {}) or {}).items()}
    rows, masked = safe_rows(frame.head(PREVIEW_ROWS))
    return Preview(rows, len(frame), report, columns, masked)


def safe_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Rows fit to send to a browser: private columns masked, every other text redacted.

    Returns the rows and the names of the masked columns. A NIK, a No. KK or an address
    never leaves the server, even to the analyst who uploaded it: the preview is for
    checking that the file was read right, and the mask shows where those columns are.
    """
    out = frame.copy()
    masked = tuple(c for c in out.columns if str(c) in PRIVATE_COLUMNS)
    for column in masked:
        out[column] = [MASK if _present(v) else "" for v in out[column]]
    for column in out.columns:
        if column not in masked and out[column].dtype == object:
            out[column] = [v if not isinstance(v, str) else redact(v) for v in out[column]]
    out.columns = [redact(c) for c in out.columns]
    return out, masked


def _present(value: object) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and value != value)
        and (str(value).strip() != "")
    )


def commit(store: Store, data: bytes, filename: str, options: Options, author: str) -> ImportResult:
    """Import an upload in one transaction; on errors raise ``UploadRejected``, write nothing."""
    return envelope.import_file(store, kind_of(options), data, filename=filename, author=author)


def register_lines(report: Report, lang: str) -> list[str]:
    """What a line list's report says of it as a register, in words: what it covers, and
    the share of its cases without a valid NIK (none for other kinds of upload)."""
    facts = report.facts
    out = []
    cover = facts.get("coverage")
    if cover:
        days = {"first": cover["first"], "last": cover["last"], "days": cover["days"]}
        if not cover["given"]:
            out.append(tn("upload.coverage_named", lang, cover["regions"], n=cover["regions"],
                          **days))  # fmt: skip
        else:
            codes = ", ".join(cover["codes"])
            more = cover["regions"] - len(cover["codes"])
            regions = t("upload.coverage_more", lang, codes=codes, n=more) if more else codes
            out.append(t("upload.coverage_given", lang, regions=regions, **days))
    unverified = int(facts.get("rows_unverified") or 0)
    if unverified:
        total = int(facts.get("rows_read", 0)) - int(facts.get("rows_invalid_nik", 0)) + unverified
        share = format_number(100.0 * unverified / total, lang, 1) if total else "–"
        out.append(t("upload.unverified", lang, n=unverified, total=total, share=share))
    excluded = int(facts.get("rows_unverified_excluded") or 0)
    if excluded:
        out.append(t("upload.unverified_excluded", lang, n=excluded))
    return out


def issues_table(report: Report, severity: str, lang: str) -> pd.DataFrame:
    """The report's errors or warnings as a table: row, column, problem."""
    names = [t("upload.row", lang), t("upload.column", lang), t("upload.message", lang)]
    rows = [(i.row, i.column or "", i.message) for i in report.issues if i.severity == severity]
    return pd.DataFrame(rows, columns=names)


def fields(kind: str) -> list[str]:
    """The canonical fields a column of this kind of upload can be mapped to."""
    if kind == "counts":
        from zoning.intake.counts import FIELDS

        return list(FIELDS)
    if kind == "linelist":
        return list(columns.LINELIST)
    return []


def header(data: bytes) -> list[str]:
    """The column names of a text table (first line), for the mapping editor; [] if not text."""
    return [redact(c) for c in tables.header_names(data)]


HISTORY_COLUMNS = {
    "id": "history_id", "created_at": "history_when", "created_by": "history_by",
    "kind": "history_kind", "filename": "history_file", "rows": "history_rows",
    "changed": "history_changed",
}  # fmt: skip


def history(store: Store, lang: str | None = None, limit: int = 50) -> pd.DataFrame:
    """The latest uploads: when, who (``created_by``), what, how many rows and changes.

    With ``lang``, the columns carry the interface's names in that language.
    """
    frame = store.uploads()
    out = frame[list(HISTORY_COLUMNS)].sort_values("id", ascending=False).head(limit)
    # names stored before redaction existed are hidden on the way out too
    out["filename"] = [None if v is None else redact(v) for v in out["filename"]]
    if lang is None:
        return out
    return out.rename(columns={c: t(f"upload.{k}", lang) for c, k in HISTORY_COLUMNS.items()})
