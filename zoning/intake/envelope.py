"""The upload envelope: the one sequence every upload goes through, whatever its kind.

:func:`import_file` owns it, once:

1. **load** the file (a path or bytes), refusing one that is missing or over the kind's
   size limit (:class:`~zoning.intake.report.UploadRejected`, as any refused upload), and
   **hash** its content (sha256);
2. find an **earlier identical upload** (:func:`zoning.store.Store.earlier_upload`): the same
   kind of file, the same content, read with the same options (column mapping, region,
   level, layer...). The rule is one for every kind: *the same file again is a duplicate
   when importing it again would change nothing*. When nothing was uploaded since the
   earlier one, that is certain and the file is not even read; otherwise it is read and
   written as any other upload and, if it changes nothing, rolled back as a duplicate
   (so re-importing an older file after a newer one puts its values back, and the message
   "already imported; nothing changed" is always true);
3. **read and check** the file into a :class:`~zoning.intake.report.Report`; an upload with
   errors raises :class:`~zoning.intake.report.UploadRejected` and writes nothing;
4. **one transaction**: record the upload (who uploaded it, when, the file's name and
   sha256, the report), write the data, and **finish** the record with the number of
   changes and the final report; everything or nothing is stored.

Each kind of file (:mod:`zoning.intake.counts`, :mod:`zoning.intake.linelist`,
:mod:`zoning.intake.boundaries`) is a :class:`Kind`: it supplies only how to read and check
its files and what to write. :func:`check` is the same sequence up to the report, without
writing: the upload page's preview.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import pandas as pd

from zoning.core.errors import InputError
from zoning.core.memory import arrow_system_allocator
from zoning.intake import tables
from zoning.intake.report import ImportResult, Report, UploadRejected
from zoning.store import Store, Transaction


@dataclass
class Loaded:
    """A file's content: its bytes, or the parts of a Shapefile read from beside a ``.shp``."""

    name: str | None
    data: bytes = b""
    parts: dict[str, bytes] = field(default_factory=dict)  # ".shp" -> bytes

    @cached_property
    def sha256(self) -> str:
        """The sha256 of the content (of every part, each after its suffix, for a Shapefile)."""
        h = hashlib.sha256()
        if self.parts:
            for ext in sorted(self.parts):
                h.update(ext.encode() + b"\x00" + self.parts[ext])
        else:
            h.update(self.data)
        return h.hexdigest()


@dataclass
class Checked:
    """A file read and checked: what it holds, its report, and what the kind made of it."""

    frame: pd.DataFrame  # what was read (a preview shows its first rows)
    report: Report
    rows: int  # data rows (or features) read
    work: object = None  # what the kind prepared for writing (see Kind.prepare)


class Kind:
    """One kind of file: how to read and check it, and what to write.

    A subclass sets :attr:`name` (the kind recorded with each upload) and implements
    :meth:`options`, :meth:`read` and :meth:`write`; :meth:`start`, :meth:`load` and
    :meth:`prepare` are optional.
    """

    name: ClassVar[str]
    #: Largest file accepted, in bytes.
    max_bytes: ClassVar[int] = tables.MAX_BYTES

    def options(self) -> dict:
        """What, besides the file's content, changes what an import does (kept in the report
        under ``facts.options``; the same content with other options is another upload)."""
        raise NotImplementedError

    def start(self, store: Store) -> None:
        """Checks made before the file is loaded (the line list's NIK key)."""

    def load(self, source: str | Path | bytes, filename: str | None) -> Loaded:
        """The file's content (see :func:`load`)."""
        return load(source, filename, self.max_bytes)

    def read(self, store: Store, loaded: Loaded) -> Checked:
        """Read and check the file against the store; nothing is written."""
        raise NotImplementedError

    def prepare(self, store: Store, checked: Checked) -> None:
        """Work done once the file is accepted, before the transaction (keyed hashes,
        comparisons with the stored data), kept in ``checked.work``."""

    def write(self, store: Store, conn: Transaction, upload_id: int, checked: Checked) -> int:
        """Write inside the upload's transaction; return how many records changed."""
        raise NotImplementedError


def load(
    source: str | Path | bytes, filename: str | None = None, limit: int | None = None
) -> Loaded:
    """The bytes of a file (a path) or the bytes given, refusing more than ``limit`` bytes
    (:data:`zoning.intake.tables.MAX_BYTES` by default). The name is ``filename``, else the
    path's name."""
    data = tables.load_bytes(source, limit)
    if filename is None and isinstance(source, str | Path):
        filename = Path(source).name
    return Loaded(filename, data)


def _load(kind: Kind, source: str | Path | bytes, filename: str | None) -> Loaded:
    """The kind's :meth:`Kind.load`; a file that cannot be loaded is a refused upload."""
    try:
        return kind.load(source, filename)
    except UploadRejected:
        raise
    except InputError as exc:
        report = Report()
        report.error(exc.bare, exc.row, exc.column)
        raise UploadRejected(report) from None


def check(
    store: Store, kind: Kind, source: str | Path | bytes, filename: str | None = None
) -> Checked:
    """Load, read and check a file as :func:`import_file` would, writing nothing."""
    checked = kind.read(store, _load(kind, source, filename))
    checked.report.facts["options"] = kind.options()
    return checked


class _Unchanged(Exception):
    """Rolls back an upload that changed nothing, when an identical one came before."""

    def __init__(self, earlier: int):
        self.earlier = earlier


def import_file(
    store: Store,
    kind: Kind,
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    author: str = "cli",
) -> ImportResult:
    """Import one file into ``store`` in one transaction, or nothing (see the module's notes).

    Parameters
    ----------
    store : Store
    kind : Kind
        What the file is, with the analyst's choices (mapping, region, level...).
    source : path or bytes
        The file.
    filename : str, optional
        The file's name, recorded with the upload (default: the path's name).
    author : str
        Who uploaded it (``cli:<user>``, ``password:<name>``, ``oidc:<email>``).

    Returns
    -------
    ImportResult
        ``duplicate_of`` names the earlier identical upload when nothing was written.

    Raises
    ------
    UploadRejected
        The file cannot be loaded (missing, too large) or has errors; it carries the
        report. Nothing is written.
    InputError
        The kind cannot use the file at all (an unreadable boundary file...).
    """
    with arrow_system_allocator():  # see zoning.core.memory: much less time in the kernel
        return _import_file(store, kind, source, filename, author)


def _import_file(
    store: Store, kind: Kind, source: str | Path | bytes, filename: str | None, author: str
) -> ImportResult:
    kind.start(store)
    loaded = _load(kind, source, filename)
    options = kind.options()
    earlier = store.earlier_upload(kind.name, loaded.sha256, options)
    if earlier is not None and earlier == store.latest_upload():
        # nothing was uploaded since: the same file again cannot change anything
        report = Report()
        report.facts.update(file=loaded.name, duplicate_of=earlier)
        return ImportResult(None, 0, 0, report, duplicate_of=earlier)

    checked = kind.read(store, loaded)
    report = checked.report
    report.facts["options"] = options
    report.raise_if_errors()
    kind.prepare(store, checked)
    try:
        with store.transaction() as conn:
            upload_id = store.record_upload(
                conn, kind.name, loaded.name, loaded.sha256, author, checked.rows, 0,
                report.to_dict(),
            )  # fmt: skip
            changed = kind.write(store, conn, upload_id, checked)
            if changed == 0:
                first = store.earlier_upload(kind.name, loaded.sha256, options, conn)
                if first is not None and first != upload_id:
                    raise _Unchanged(first)
            store.finish_upload(conn, upload_id, changed, report.to_dict())
    except _Unchanged as same:  # rolled back: the earlier upload already says all of it
        report.facts["duplicate_of"] = same.earlier
        return ImportResult(None, checked.rows, 0, report, duplicate_of=same.earlier)
    return ImportResult(upload_id, checked.rows, changed, report)
