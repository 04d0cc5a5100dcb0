"""Validation reports of uploads: every problem with its row and column.

Errors reject an upload (nothing is written); warnings are accepted and kept with the
upload's record. Rows are spreadsheet rows (the header is row 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from zoning.core.errors import InputError
from zoning.core.text import redact

MAX_LISTED = 1000  # issues kept per severity; beyond that they are only counted


@dataclass(frozen=True)
class Issue:
    """One problem found in an upload."""

    severity: str  # "error" or "warning"
    message: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None  # a workbook's sheet, when several were read

    def __str__(self) -> str:
        text = str(InputError(self.message, row=self.row, column=self.column))
        return text if self.sheet is None else f"sheet {self.sheet!r}, {text}"


@dataclass
class Report:
    """Problems found in one upload, errors apart from warnings."""

    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0})
    facts: dict[str, object] = field(default_factory=dict)
    #: Issues listed per severity: a thousand warnings never crowd out the first error.
    _listed: dict[str, int] = field(
        default_factory=lambda: {"error": 0, "warning": 0}, init=False, repr=False
    )

    def _add(
        self, severity: str, message: str, row: int | None, column: str | None, sheet: str | None
    ) -> None:
        self.counts[severity] += 1
        if self._listed[severity] < MAX_LISTED:  # no message or column name carries a NIK
            self._listed[severity] += 1
            column = None if column is None else redact(column)
            sheet = None if sheet is None else redact(sheet)
            self.issues.append(Issue(severity, redact(message), row, column, sheet))

    def error(
        self, message: str, row: int | None = None, column: str | None = None,
        sheet: str | None = None,
    ) -> None:  # fmt: skip
        """Record a problem that rejects the upload."""
        self._add("error", message, row, column, sheet)

    def warn(
        self, message: str, row: int | None = None, column: str | None = None,
        sheet: str | None = None,
    ) -> None:  # fmt: skip
        """Record a problem the upload is accepted with."""
        self._add("warning", message, row, column, sheet)

    def note(self, line: str) -> None:
        """Say how the file was read (``place: column `kode```), for the person who uploads:
        not a problem, kept under ``facts["read"]``."""
        read = self.facts.setdefault("read", [])
        if line not in read:
            read.append(redact(line))

    @property
    def read(self) -> list[str]:
        """How the file was read, one line each (:meth:`note`)."""
        return list(self.facts.get("read", []) or [])

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return self.counts["error"] > 0

    def summary(self) -> str:
        """One line: the first error (if any) and how many errors and warnings there are."""
        n_err, n_warn = self.counts["error"], self.counts["warning"]
        if n_err:
            first = str(self.errors[0])
            more = f" (and {_count(n_err - 1, 'more error')})" if n_err > 1 else ""
            return f"{first}{more}; nothing was imported"
        return _count(n_warn, "warning") if n_warn else "no problems found"

    def raise_if_errors(self) -> None:
        """Raise :class:`UploadRejected` carrying this report when it has errors."""
        if self.has_errors:
            raise UploadRejected(self)

    def to_dict(self) -> dict:
        return {
            "counts": dict(self.counts),
            "issues": [
                {k: v for k, v in asdict(i).items() if k != "sheet" or v is not None}
                for i in self.issues
            ],
            "facts": self.facts,
        }


class UploadRejected(InputError):
    """An upload refused because its report has errors; nothing was written."""

    def __init__(self, report: Report):
        self.report = report
        first = report.errors[0] if report.errors else None
        super().__init__(
            report.summary() if first is None else first.message,
            row=first.row if first else None,
            column=first.column if first else None,
        )
        self.args = (report.summary(),)  # the first error, how many more, nothing imported

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class ImportResult:
    """What an accepted upload did."""

    upload_id: int | None  # None when nothing was written (e.g. the same file again)
    rows: int  # data rows read
    changed: int  # region-days (or regions, or cases) inserted or revised
    report: Report
    duplicate_of: int | None = None  # the earlier upload of the same content, if any

    def summary(self) -> str:
        """One line for the person who uploaded."""
        if self.duplicate_of is not None:
            return f"this file was already imported (upload {self.duplicate_of}); nothing changed"
        warn = self.report.counts["warning"]
        read = _count(self.rows, "row")
        return f"upload {self.upload_id}: {read} read, {self.changed} changed" + (
            f", {_count(warn, 'warning')}" if warn else ""
        )


def _count(n: int, thing: str) -> str:
    """``1 warning``, ``2 warnings``."""
    return f"{n} {thing}" + ("" if n == 1 else "s")
