"""Access to the store: :class:`Store`, the one way in and out of the database.

SQLite under ``data/`` by default (no server to start); any SQLAlchemy URL, such as
``postgresql+psycopg://...``, can replace it. Every write is one transaction: all of it or
nothing. Each committed change bumps ``data_version``, which callers use as a cache key.

The store keeps and returns data; it computes no epidemiology (episodes, windows and
houses are the intake's and the model's). Locks and the "as of" day are its methods, so no
other layer needs SQL or the tables of :mod:`zoning.store.schema`.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zoning.core import auth
from zoning.core.text import redact, redact_all
from zoning.model.codes import VILLAGE_CODE_LENGTH
from zoning.model.metrics import COUNT_FIELDS
from zoning.model.regions import LEVELS
from zoning.store.schema import (
    COUNTS_BY_UPLOAD,
    OLD_CASES,
    alerts_sent,
    case_dates,
    count_history,
    counts,
    coverage,
    crosswalk,
    decisions,
    meta_table,
    metadata,
    notes,
    regions,
    sign_in_failures,
    snapshots,
    subscription_tokens,
    subscriptions,
    uploads,
)

#: The handle of one transaction (:meth:`Store.transaction`): callers hand it back to the
#: store's methods that read or write inside it, and never use it themselves.
Transaction = Connection

#: SQLite's automatic checkpoint, in pages of the WAL (its default): restored after a
#: transaction, which checkpoints on a thread of its own instead (:meth:`Store.transaction`).
_WAL_AUTOCHECKPOINT = 1000
#: Rows written by one transaction from which its checkpoint is left to a thread of its own.
_CHECKPOINT_LATER_ROWS = 20_000

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "zoning.db"
ENV_VAR = "ZONING_DB"

#: Display-geometry simplification tolerance per level, in degrees (~1 m = 1e-5).
DISPLAY_TOLERANCE = {
    "province": 0.01,
    "regency": 0.003,
    "district": 0.001,
    "village": 0.0003,
    "rw": 0.0001,
    "rt": 0.00005,
}


class Snapshot(NamedTuple):
    """Derived data made at ``data_version``, when the newest upload was ``upload_mark``."""

    data_version: int
    upload_mark: int
    payload: bytes


class StoreError(RuntimeError):
    """A store that cannot be opened or written."""


def default_url() -> str:
    """The store named by ``ZONING_DB`` (a URL or a file path), else ``data/zoning.db``."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return f"sqlite:///{DEFAULT_PATH}"
    return value if "://" in value else f"sqlite:///{Path(value).resolve()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Store:
    """The database behind the library, the command line and the dashboard.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL or path of a SQLite file; default :func:`default_url`.
    """

    def __init__(self, url: str | None = None):
        url = url or default_url()
        if "://" not in url:
            url = f"sqlite:///{Path(url).resolve()}"
        self.url = url
        self._checkpointer: threading.Thread | None = None
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(url)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open store {url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._drop_outdated_snapshots()
        metadata.create_all(self.engine)
        self._move_old_cases()
        with self.engine.begin() as conn:  # stores made before the index existed
            conn.execute(sa.text(
                f"CREATE INDEX IF NOT EXISTS {COUNTS_BY_UPLOAD.name} ON counts (upload_id)"
            ))  # fmt: skip
        self._add_new_count_fields()

    def _add_new_count_fields(self) -> None:
        """A store made before a count field existed gets its column (empty: not reported),
        so nothing stored is lost and no store has to be made again."""
        inspector = sa.inspect(self.engine)
        for table in (counts, count_history):
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for field in COUNT_FIELDS:
                if field in have:
                    continue
                try:
                    with self.engine.begin() as conn:
                        conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {field} FLOAT"))
                except sa.exc.DBAPIError as exc:  # another process added it at the same moment
                    if "duplicate" not in str(exc).lower() and "exists" not in str(exc).lower():
                        raise

    def _drop_outdated_snapshots(self) -> None:
        """Snapshots are derived data: a table of an older layout is dropped, not migrated.

        ``IF EXISTS``: another process may be opening the same store at the same moment.
        """
        inspector = sa.inspect(self.engine)
        if "snapshots" in inspector.get_table_names():
            columns = {c["name"] for c in inspector.get_columns("snapshots")}
            if columns != {c.name for c in snapshots.columns}:
                with self.engine.begin() as conn:
                    conn.execute(sa.text("DROP TABLE IF EXISTS snapshots"))

    @property
    def uploads_in_commit_order(self) -> bool:
        """Whether upload ids grow in the order uploads commit.

        True for SQLite and PostgreSQL, where :meth:`transaction` lets one writer at a time
        hold the store from its upload's id to its commit; not promised elsewhere.
        """
        return self.engine.dialect.name in ("sqlite", "postgresql")

    # --- transactions and versions -------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction that bumps ``data_version`` when it commits.

        Writers take turns: SQLite allows one at a time by itself; on PostgreSQL the
        transaction first locks the ``meta`` table against other writers (readers are not
        held up), so two uploads at once cannot both read the same version and so that
        upload ids follow commit order.
        """
        if self.engine.dialect.name != "sqlite":
            with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    conn.execute(sa.text("LOCK TABLE meta IN EXCLUSIVE MODE"))
                yield conn
                self._bump_version(conn)
            return
        # SQLite: the commit of a large transaction does not copy the pages it wrote from
        # the WAL into the database (the checkpoint: ~0.7 s after a million-row line list);
        # that is done afterwards on another thread while the caller goes on (the data are
        # in the WAL once committed, and a store interrupted before or during a checkpoint
        # is read from the WAL). A small one commits and checkpoints as SQLite always does.
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            changes = raw.total_changes
            raw.execute("PRAGMA wal_autocheckpoint = 0")
            try:
                with conn.begin():
                    yield conn
                    self._bump_version(conn)
                    later = raw.total_changes - changes >= _CHECKPOINT_LATER_ROWS
                    if not later:
                        raw.execute(f"PRAGMA wal_autocheckpoint = {_WAL_AUTOCHECKPOINT}")
            finally:
                raw.execute(f"PRAGMA wal_autocheckpoint = {_WAL_AUTOCHECKPOINT}")
        if later:
            self._checkpoint_later()

    def _bump_version(self, conn: Connection) -> None:
        version = self._meta(conn).get("data_version", "0")
        self.write_meta(conn, data_version=str(int(version) + 1), last_updated=_now().isoformat())

    def _checkpoint_later(self) -> None:
        """Copy the WAL into the SQLite database on a thread of its own (a passive
        checkpoint: it never waits for, nor holds up, readers and writers), as SQLite's
        automatic checkpoint would have done in the commit.

        The thread is not a daemon: a process that ends (the command line) first finishes
        the checkpoint, so the next one to open the store need not read the WAL through.
        One at a time: a commit while one runs is checkpointed by the next commit."""
        if self._checkpointer is not None and self._checkpointer.is_alive():
            return
        self._checkpointer = threading.Thread(
            target=self._checkpoint, name="zoning-wal-checkpoint", daemon=False
        )
        self._checkpointer.start()

    def _checkpoint(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # a later commit checkpoints what this one could not
            pass

    def wait_for_checkpoint(self) -> None:
        """Wait until a checkpoint started by :meth:`transaction` has ended (benchmarks)."""
        if self._checkpointer is not None:
            self._checkpointer.join()

    def _scalar(self, query: sa.Select, conn: Connection | None = None) -> object:
        """The one value a query returns, inside ``conn``'s transaction when given."""
        if conn is not None:
            return conn.execute(query).scalar()
        with self.engine.connect() as own:
            return own.execute(query).scalar()

    def _meta(self, conn: Connection) -> dict[str, str]:
        return dict(conn.execute(sa.select(meta_table.c.key, meta_table.c.value)).all())

    def write_meta(self, conn: Connection, **values: str) -> None:
        """Set stored facts inside ``conn``'s transaction."""
        for key, value in values.items():
            conn.execute(sa.delete(meta_table).where(meta_table.c.key == key))
            conn.execute(sa.insert(meta_table).values(key=key, value=value))

    def meta(self) -> dict[str, str]:
        """Stored facts: ``data_version``, ``last_updated``, ``as_of``, ``geometry_note``..."""
        with self.engine.connect() as conn:
            return self._meta(conn)

    def data_version(self) -> int:
        """A number that grows with every committed change (cache key)."""
        return int(self.meta().get("data_version", "0"))

    def locked_meta(self, conn: Connection, key: str) -> str | None:
        """A stored fact read inside ``conn``'s transaction, its row held until the end.

        Another writer asking for the same row waits (PostgreSQL ``FOR UPDATE``; SQLite
        lets one writer at a time anyway), so a check and the write that follows it are
        one step: the line list's NIK key fingerprint is checked and written this way.
        """
        return conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == key).with_for_update()
        ).scalar()

    def as_of(self, conn: Connection | None = None) -> pd.Timestamp | None:
        """The day the data are "as of" (``None`` when not set or not a day).

        Inside ``conn``'s transaction when given, so it is read together with the writes.
        """
        value = self._scalar(sa.select(meta_table.c.value).where(meta_table.c.key == "as_of"), conn)
        day = pd.to_datetime(value, errors="coerce") if value else pd.NaT
        return None if pd.isna(day) else pd.Timestamp(day).normalize()

    def advance_as_of(self, conn: Connection, day: object) -> bool:
        """Move the "as of" day to ``day`` inside ``conn``'s transaction if that is later
        (or none is set); never back. Returns whether it moved."""
        if day is None or pd.isna(day):
            return False
        day = pd.Timestamp(day).normalize()
        current = self.as_of(conn)
        if current is not None and day <= current:
            return False
        self.write_meta(conn, as_of=day.date().isoformat())
        return True

    def is_empty(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(regions)).scalar_one() == 0

    def record_upload(
        self,
        conn: Connection,
        kind: str,
        filename: str | None,
        sha256: str | None,
        created_by: str,
        rows: int,
        changed: int,
        report: object = None,
        created_at: dt.datetime | None = None,
    ) -> int:
        """Insert an upload record inside ``conn``'s transaction and return its id.

        The file name and every text of the report pass through :func:`zoning.core.text.redact`:
        a NIK in a file's name (``kasus_3315061507850018.csv``) is never stored. ``created_at``
        (UTC, naive): when it arrived, for a history loaded afterwards (the demo's daily
        uploads); default now.
        """
        filename = None if filename is None else redact(filename)
        report = redact_all(report)
        result = conn.execute(
            sa.insert(uploads).values(
                kind=kind, filename=filename, sha256=sha256,
                created_at=_now() if created_at is None else created_at,
                created_by=created_by, rows=rows, changed=changed,
                report=json.dumps(report, default=str) if report is not None else None,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])

    def uploads(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(uploads).order_by(uploads.c.id), conn)

    def earlier_upload(
        self, kind: str, sha256: str, options: dict, conn: Connection | None = None
    ) -> int | None:
        """The first upload of this kind with the same content (``sha256``) read with the
        same options, if any (inside ``conn``'s transaction when given).

        The options (column mapping, region, level ...) are those kept in the upload's report
        under ``facts.options``; an upload recorded without them matches any options.
        """
        if conn is None:
            with self.engine.connect() as own:
                return self.earlier_upload(kind, sha256, options, own)
        rows = conn.execute(
            sa.select(uploads.c.id, uploads.c.report)
            .where(uploads.c.kind == kind, uploads.c.sha256 == sha256)
            .order_by(uploads.c.id)
        ).all()
        wanted = json.loads(json.dumps(options, default=str))
        for upload_id, text in rows:
            try:
                earlier = json.loads(text).get("facts", {}).get("options")
            except (TypeError, ValueError, AttributeError):
                earlier = None
            if earlier is None or earlier == wanted:
                return int(upload_id)
        return None

    def latest_upload(self, conn: Connection | None = None) -> int | None:
        """The id of the newest upload of any kind (``None`` before the first)."""
        value = self._scalar(sa.select(sa.func.max(uploads.c.id)), conn)
        return None if value is None else int(value)

    # --- regions -------------------------------------------------------------------------

    def write_regions(self, conn: Connection, frame: pd.DataFrame, upload_id: int | None) -> int:
        """Insert or replace regions (code, name, level, parent, population[, geometry])."""
        has_geom = isinstance(frame, gpd.GeoDataFrame) and frame.geometry is not None
        records = []
        display = {}
        if has_geom:
            for level, part in frame.groupby("level"):
                geoms = part.geometry.to_numpy()
                ok = ~shapely.is_missing(geoms)
                simple = np.full(len(geoms), None, dtype=object)
                if ok.any():
                    simple[ok] = shapely.coverage_simplify(geoms[ok], DISPLAY_TOLERANCE[level])
                display.update(zip(part["code"], simple, strict=True))
        for row in frame.itertuples(index=False):
            geom = getattr(row, "geometry", None) if has_geom else None
            disp = display.get(row.code)
            records.append(
                {
                    "code": row.code,
                    "name": row.name,
                    "level": row.level,
                    "parent": row.parent if isinstance(row.parent, str) else None,
                    "population": None if pd.isna(row.population) else float(row.population),
                    "geometry": shapely.to_wkb(geom)
                    if geom is not None and not geom.is_empty
                    else None,
                    "display_geometry": shapely.to_wkb(disp) if disp is not None else None,
                    "upload_id": upload_id,
                }
            )
        codes = [r["code"] for r in records]
        for i in range(0, len(codes), 500):
            conn.execute(sa.delete(regions).where(regions.c.code.in_(codes[i : i + 500])))
        if records:
            conn.execute(sa.insert(regions), records)
        return len(records)

    def add_regions(self, conn: Connection, frame: pd.DataFrame, upload_id: int | None) -> int:
        """Insert the regions of ``frame`` (``code, name, level, parent, population``) whose
        code is not stored yet; stored ones are left as they are. Returns how many were new.

        For regions known only from something below them (placeholders, built-in provinces)
        and RWs and RTs named by a line list: a region imported from a file is never
        replaced by one of these.
        """
        if frame.empty:
            return 0
        codes = list(dict.fromkeys(frame["code"]))
        have: set[str] = set()
        for i in range(0, len(codes), 500):
            q = sa.select(regions.c.code).where(regions.c.code.in_(codes[i : i + 500]))
            have.update(r[0] for r in conn.execute(q))
        new = frame[~frame["code"].isin(have)].drop_duplicates("code")
        if new.empty:
            return 0
        conn.execute(
            sa.insert(regions),
            [
                {
                    "code": r.code, "name": r.name, "level": r.level,
                    "parent": r.parent if isinstance(r.parent, str) else None,
                    "population": None if pd.isna(r.population) else float(r.population),
                    "geometry": None, "display_geometry": None, "upload_id": upload_id,
                }
                for r in new.itertuples(index=False)
            ],
        )  # fmt: skip
        return len(new)

    def regions(self, level: str | None = None) -> pd.DataFrame:
        """Regions (``code, name, level, parent, population``), optionally of one level."""
        q = sa.select(
            regions.c.code,
            regions.c.name,
            regions.c.level,
            regions.c.parent,
            regions.c.population,
        )
        if level is not None:
            q = q.where(regions.c.level == level)
        with self.engine.connect() as conn:
            out = pd.read_sql(q.order_by(regions.c.code), conn)
        return out

    def geometries(self, level: str, display: bool = True) -> gpd.GeoDataFrame:
        """Regions of a level with geometry (the simplified display geometry by default)."""
        col = regions.c.display_geometry if display else regions.c.geometry
        q = sa.select(
            regions.c.code,
            regions.c.name,
            regions.c.parent,
            regions.c.population,
            col.label("wkb"),
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q.where(regions.c.level == level).order_by(regions.c.code)).all()
        frame = pd.DataFrame(rows, columns=["code", "name", "parent", "population", "wkb"])
        geoms = shapely.from_wkb(frame.pop("wkb").to_numpy())
        return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")

    def levels(self) -> list[str]:
        """Levels that have regions, from the top."""
        with self.engine.connect() as conn:  # a look into the level's index each, no scan
            return [
                lv for lv in LEVELS
                if conn.execute(sa.select(regions.c.code).where(regions.c.level == lv).limit(1))
                .first() is not None
            ]  # fmt: skip

    # --- the BPS crosswalk -----------------------------------------------------------------

    def crosswalk(self) -> dict[str, str]:
        """The stored crosswalk: dotted BPS code -> Kemendagri code."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(crosswalk.c.bps, crosswalk.c.code)).all()
        return {bps: code for bps, code in rows}

    def write_crosswalk(self, conn: Connection, frame: pd.DataFrame, upload_id: int) -> int:
        """Insert or replace crosswalk rows (``bps, code, how``); return how many changed."""
        if frame.empty:
            return 0
        keys = list(dict.fromkeys(frame["bps"]))
        old: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            q = sa.select(crosswalk.c.bps, crosswalk.c.code).where(
                crosswalk.c.bps.in_(keys[i : i + 500])
            )
            old.update({b: c for b, c in conn.execute(q)})
        new = frame.drop_duplicates("bps", keep="last")
        new = new[[old.get(b) != c for b, c in zip(new["bps"], new["code"], strict=True)]]
        if new.empty:
            return 0
        gone = [b for b in new["bps"] if b in old]
        for i in range(0, len(gone), 500):
            conn.execute(sa.delete(crosswalk).where(crosswalk.c.bps.in_(gone[i : i + 500])))
        conn.execute(
            sa.insert(crosswalk),
            [{"bps": b, "code": c, "how": h, "upload_id": upload_id}
             for b, c, h in zip(new["bps"], new["code"], new["how"], strict=True)],
        )  # fmt: skip
        return len(new)

    # --- daily counts --------------------------------------------------------------------

    def write_counts(self, conn: Connection, frame: pd.DataFrame, upload_id: int) -> int:
        """Insert or revise daily counts inside ``conn``'s transaction.

        A region-day already stored with other values is a revision: the new values win and
        the old row is kept in ``count_history``. Fields the new frame lacks keep their
        stored values. Returns the number of region-days inserted or changed.
        """
        fields = [f for f in COUNT_FIELDS if f in frame.columns]
        new = frame[["region", "date", *fields]].copy()
        new["date"] = _each_day_once(new["date"], lambda days: days.date)
        old = self._read_counts(conn, set(new["region"]), new["date"].min(), new["date"].max())
        old = old.rename(columns={c: f"{c}_old" for c in [*COUNT_FIELDS, "upload_id"]})
        merged = new.merge(old, on=["region", "date"], how="left", indicator=True)
        exists = (merged["_merge"] == "both").to_numpy()
        final = merged[["region", "date"]].copy()
        changed = np.zeros(len(merged), dtype=bool)
        for f in COUNT_FIELDS:
            before = merged[f"{f}_old"].astype(float)
            after = merged[f].astype(float) if f in fields else before
            after = after.where(after.notna(), before)  # an empty cell keeps the stored value
            final[f] = after
            a, b = after.to_numpy(), before.to_numpy()
            changed |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
        final["upload_id"] = upload_id
        revised = exists & changed
        if revised.any():
            hist = merged.loc[revised, ["region", "date"]].copy()
            for f in [*COUNT_FIELDS, "upload_id"]:
                hist[f] = merged.loc[revised, f"{f}_old"]
            hist["replaced_by"] = upload_id
            _bulk_insert(conn, count_history, hist)
            _bulk_delete(conn, counts, hist[["region", "date"]])
        write = final[revised | ~exists]
        if len(write):
            _bulk_insert(conn, counts, write)
        return len(write)

    def load_count_history(
        self, conn: Connection, current: pd.DataFrame, replaced: pd.DataFrame
    ) -> int:
        """Write region-days not stored yet together with how they were revised, inside
        ``conn``'s transaction, in bulk: ``current`` (``region, date``, count fields,
        ``upload_id``: the upload that wrote each value) into the counts, ``replaced`` (the
        same, and ``replaced_by``: the upload that revised the value) into their history, as
        :meth:`write_counts` would have left them after each upload in turn (the demo's daily
        uploads). Returns the number of region-days written."""
        for frame, table in ((current, counts), (replaced, count_history)):
            if len(frame):
                keep = [c.name for c in table.columns if c.name in frame.columns]
                out = frame[keep].copy()
                out["date"] = pd.to_datetime(out["date"]).dt.date
                _bulk_insert(conn, table, out)
        return len(current)

    def _read_counts(
        self,
        conn: Connection,
        region_codes: set[str] | None,
        start: object,
        end: object,
    ) -> pd.DataFrame:
        q = sa.select(counts)
        if start is not None:
            q = q.where(counts.c.date >= start)
        if end is not None:
            q = q.where(counts.c.date <= end)
        if region_codes is not None and len(region_codes) <= _IN_LIMIT:
            q = q.where(counts.c.region.in_(sorted(region_codes)))
        out = _read_frame(conn, q)
        if region_codes is not None and len(region_codes) > _IN_LIMIT:
            out = out[out["region"].isin(region_codes)]
        out["date"] = pd.to_datetime(out["date"]).dt.date
        for f in [*COUNT_FIELDS, "upload_id"]:
            out[f] = pd.to_numeric(out[f], errors="coerce").astype(float)
        return out

    def counts(
        self,
        level: str | None = None,
        start: object = None,
        end: object = None,
        after_upload: int | None = None,
    ) -> pd.DataFrame:
        """Daily counts (``region, date`` and every count field), optionally of one level.

        ``after_upload`` keeps only the region-days written or revised by later uploads.
        """

        def where(q: sa.Select) -> sa.Select:
            if after_upload is not None:
                q = q.where(counts.c.upload_id > after_upload)
            if level is not None:
                q = q.join(regions, regions.c.code == counts.c.region)
                q = q.where(regions.c.level == level)
            if start is not None:
                q = q.where(counts.c.date >= start)
            if end is not None:
                q = q.where(counts.c.date <= end)
            return q

        with self.engine.connect() as conn:
            # Fields nobody reported are not fetched: the database answers which in one
            # scan, much faster than turning millions of empty cells into Python objects.
            has = [
                sa.func.max(sa.case((counts.c[f].is_not(None), 1), else_=0)) for f in COUNT_FIELDS
            ]
            present = conn.execute(where(sa.select(*has).select_from(counts))).one()
            fields = [f for f, p in zip(COUNT_FIELDS, present, strict=True) if p]
            out = _read_frame(
                conn,
                where(sa.select(counts.c.region, counts.c.date, *(counts.c[f] for f in fields))),
            )
        out["date"] = pd.to_datetime(out["date"], format="ISO8601")
        for f in fields:
            out[f] = pd.to_numeric(out[f], errors="coerce").astype(float)
        return out

    def count_levels(self) -> list[str]:
        """Levels that have daily counts, from the top."""
        has_counts = sa.exists().where(counts.c.region == regions.c.code)
        q = sa.select(regions.c.level).distinct().where(has_counts)
        with self.engine.connect() as conn:
            found = {r[0] for r in conn.execute(q)}
        return [lv for lv in LEVELS if lv in found]

    def arrivals(self, level: str, field: str, since: object) -> pd.DataFrame:
        """Every value of ``field`` the regions of ``level`` have had for days from
        ``since`` on, the current and those revised since, each with the day its upload
        arrived: ``region, date, value, arrived`` (for reporting delays)."""
        day = pd.Timestamp(since).date()
        frames = []
        with self.engine.connect() as conn:
            for table in (counts, count_history):
                q = (
                    sa.select(
                        table.c.region, table.c.date, table.c[field].label("value"),
                        uploads.c.created_at.label("arrived"),
                    )
                    .join(uploads, uploads.c.id == table.c.upload_id)
                    .join(regions, regions.c.code == table.c.region)
                    .where(regions.c.level == level, table.c.date >= day,
                           table.c[field].is_not(None))
                )  # fmt: skip
                frames.append(pd.read_sql(q, conn))
        out = pd.concat(frames, ignore_index=True)
        out["date"] = pd.to_datetime(out["date"])
        out["arrived"] = pd.to_datetime(out["arrived"]).dt.normalize()
        return out

    def upload_days(self) -> pd.DatetimeIndex:
        """The days uploads arrived on, oldest first."""
        with self.engine.connect() as conn:
            found = pd.read_sql(sa.select(uploads.c.created_at), conn)["created_at"]
        return pd.DatetimeIndex(pd.to_datetime(found).dt.normalize().unique()).sort_values()

    def count_history(self, region: str) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(
                sa.select(count_history).where(count_history.c.region == region), conn
            )

    def finish_upload(
        self, conn: Connection, upload_id: int, changed: int, report: object = None
    ) -> None:
        """Set an upload's ``changed`` count and report once its writing is done.

        Every text of the report passes through :func:`zoning.core.text.redact`, as in
        :meth:`record_upload`: the report replaces the one recorded there.
        """
        values: dict[str, object] = {"changed": changed}
        if report is not None:
            values["report"] = json.dumps(redact_all(report), default=str)
        conn.execute(sa.update(uploads).where(uploads.c.id == upload_id).values(**values))

    # --- the case register (line lists) --------------------------------------------------

    def _move_old_cases(self) -> None:
        """A store made when only episode starts were kept: its episodes become rows of the
        case register (each a positive date that starts an episode), once.

        Another process opening the same store at the same moment may have moved them
        already: then the table is gone and there is nothing to do.
        """
        if OLD_CASES not in sa.inspect(self.engine).get_table_names():
            return
        move = (
            "INSERT INTO case_dates (person_key, date, region, household_key, episode, "
            "unverified, upload_id) SELECT person_key, episode_start, region, household_key, "
            f"{_TRUE[self.engine.dialect.name == 'postgresql']}, "
            f"{_FALSE[self.engine.dialect.name == 'postgresql']}, upload_id "
            f"FROM {OLD_CASES} ORDER BY id"
        )
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(move)
                conn.exec_driver_sql(f"DROP TABLE {OLD_CASES}")
        except sa.exc.DBAPIError as exc:  # moved by another process meanwhile
            if OLD_CASES not in str(exc) and "no such table" not in str(exc).lower():
                raise

    def case_count(self, conn: Connection | None = None) -> int:
        """Number of rows in the case register (positive dates, not episodes)."""
        return int(self._scalar(sa.select(sa.func.count()).select_from(case_dates), conn))

    def case_dates(
        self, person_keys: object = None, conn: Connection | None = None
    ) -> pd.DataFrame:
        """Every stored positive date of the given people (keys; all people if ``None``).

        Columns ``id, person_key, date (datetime64), region, household_key, episode,
        unverified``; ``episode`` marks the dates that start an episode.
        """
        if conn is None:
            with self.engine.connect() as own:
                return self.case_dates(person_keys, own)
        c = case_dates.c
        cols = [c.id, c.person_key, c.date, c.region, c.household_key, c.episode, c.unverified]
        names = [c.name for c in cols]
        total = self.case_count(conn)
        keys = None if person_keys is None or total == 0 else list(dict.fromkeys(person_keys))
        if total == 0 or (keys is not None and not keys):
            out = {n: np.empty(0, dtype=object) for n in names}
        elif keys is None or len(keys) * 20 > total:  # a large share: one scan is cheaper
            out = _read_columns(conn, sa.select(*cols))
            if keys is not None:
                keep = pd.Series(out["person_key"], dtype=object).isin(set(keys)).to_numpy()
                out = {n: v[keep] for n, v in out.items()}
        else:
            parts = [
                _read_columns(conn, sa.select(*cols).where(case_dates.c.person_key.in_(chunk)))
                for chunk in _chunks(keys, 1000)
            ]
            out = {n: np.concatenate([p[n] for p in parts]) for n in names}
        house = out["household_key"]
        return pd.DataFrame(
            {
                "id": out["id"].astype("int64"),
                "person_key": pd.Series(out["person_key"], dtype=object),
                "date": _days_read(out["date"]),
                "region": pd.Series(out["region"], dtype=object),
                "household_key": pd.Series(np.where(pd.isna(house), np.nan, house), dtype=object),
                "episode": out["episode"].astype(bool),
                "unverified": out["unverified"].astype(bool),
            }
        )

    def case_episodes(self, conn: Connection | None = None) -> pd.DataFrame:
        """The stored episodes: the register's rows that start one.

        Columns ``person_key, episode_start (datetime64), region, household_key, unverified``.
        """
        rows = self.case_dates(None, conn)
        rows = rows[rows["episode"]].reset_index(drop=True)
        return rows.rename(columns={"date": "episode_start"})[
            ["person_key", "episode_start", "region", "household_key", "unverified"]
        ]

    def insert_case_dates(self, conn: Connection, frame: pd.DataFrame, upload_id: int) -> int:
        """Insert rows of the case register (``person_key, date, region, household_key,
        episode, unverified``).

        Rows go in in key order (the index on person keys then grows at one end, several
        times faster than random order on SQLite).
        """
        if frame.empty:
            return 0
        keys = frame["person_key"].to_numpy(dtype=object)
        try:  # hexadecimal keys: their first 8 characters order them well enough
            order = np.argsort(np.array(keys, dtype="S8").view(">u8"), kind="stable")
        except UnicodeEncodeError:
            order = np.argsort(keys, kind="stable")
        sqlite = conn.dialect.name == "sqlite"
        dates = _each_day_once(
            frame["date"], lambda days: days.strftime("%Y-%m-%d") if sqlite else days.date
        )
        house = frame["household_key"].to_numpy(dtype=object, copy=True)
        house[pd.isna(house)] = None
        # SQLite keeps booleans as 0 and 1; the driver binds an int at once, a bool only
        # after asking for an adapter (a third more time for the whole insert)
        flag = np.int64 if sqlite else bool
        columns = {
            "person_key": keys[order],
            "date": dates[order],
            "region": frame["region"].to_numpy(dtype=object)[order],
            "household_key": house[order],
            "episode": frame["episode"].to_numpy(dtype=bool)[order].astype(flag),
            "unverified": frame["unverified"].to_numpy(dtype=bool)[order].astype(flag),
        }
        if not sqlite:
            _insert_columns(conn, case_dates, columns, upload_id=int(upload_id))
            return len(frame)
        # a larger page cache while the index grows; back to the default afterwards
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
        try:
            _insert_columns(conn, case_dates, columns, upload_id=int(upload_id))
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
        return len(frame)

    def mark_episodes(self, conn: Connection, starts: object, no_longer: object) -> int:
        """Mark stored rows (by id) as starting an episode, or as no longer starting one."""
        changed = 0
        for ids, value in ((starts, True), (no_longer, False)):
            ids = [int(i) for i in ids]
            for chunk in _chunks(ids, 500):
                conn.execute(
                    sa.update(case_dates).where(case_dates.c.id.in_(chunk)).values(episode=value)
                )
            changed += len(ids)
        return changed

    def case_last_date(self, conn: Connection | None = None) -> pd.Timestamp | None:
        """The latest positive date stored (``None`` without any)."""
        value = self._scalar(sa.select(sa.func.max(case_dates.c.date)), conn)
        return None if value is None else pd.Timestamp(value)

    def case_new_cases(self, conn: Connection, pairs: pd.DataFrame) -> pd.DataFrame:
        """Daily new cases per village from the stored episodes, for the asked village-days.

        ``pairs`` has columns ``region`` (village codes) and ``date``; the result adds
        ``new_cases`` (the episodes that start that day in the village or its RTs) and
        ``new_cases_unverified`` (those of rows without a valid NIK), 0 where none.
        """
        out = _pairs(pairs)
        fields = ("new_cases", "new_cases_unverified")
        if out.empty:
            return out.assign(**{f: pd.Series(dtype=float) for f in fields})
        c = case_dates.c
        village = _village_of(c.region)
        first, last = out["date"].min(), out["date"].max()
        # the episodes of the days, then the few of them without a valid NIK apart: one
        # more column in every village-day read costs more than a second pass
        for name, keep in (("new_cases", c.episode), ("new_cases_unverified", c.unverified)):
            q = (
                sa.select(village.label("region"), c.date.label("date"),
                          sa.func.count().label(name))
                .where(keep == sa.true(), c.episode == sa.true())
                .group_by(village, c.date)
            )  # fmt: skip
            found = self._by_village(conn, q, out["region"], first, last)
            found["date"] = pd.to_datetime(found["date"]).astype("datetime64[s]")
            out = out.merge(found, on=["region", "date"], how="left")
        for f in fields:
            out[f] = pd.to_numeric(out[f]).fillna(0).astype(float)
        return out

    def case_houses(
        self, conn: Connection, regions: object, first: object, last: object
    ) -> pd.DataFrame:
        """The episodes of some regions (RT codes) that start between two days (both
        included): ``region, episode_start (datetime64), household_key, person_key``.

        What they make (houses with a case in a window) is the intake's to count.
        """
        c = case_dates.c
        cols = [c.region, c.date.label("episode_start"), c.household_key, c.person_key]
        q = sa.select(*cols).where(
            c.episode == sa.true(),
            c.date >= pd.Timestamp(first).date(),
            c.date <= pd.Timestamp(last).date(),
        )
        wanted = sorted(pd.unique(pd.Series(regions, dtype=object).to_numpy(dtype=object)))
        names = ["region", "episode_start", "household_key", "person_key"]
        if not wanted:
            out = pd.DataFrame({n: pd.Series(dtype=object) for n in names})
        elif len(wanted) > 2000:  # one pass over the days beats many passes over the table
            out = _read_frame(conn, q)
        else:
            out = pd.concat(
                [_read_frame(conn, q.where(c.region.in_(chunk))) for chunk in _chunks(wanted, 500)],
                ignore_index=True,
            )
        out = out[out["region"].isin(set(wanted))].reset_index(drop=True)
        return pd.DataFrame(
            {
                "region": pd.Series(out["region"].to_numpy(dtype=object), dtype=object),
                "episode_start": pd.to_datetime(out["episode_start"]).astype("datetime64[s]"),
                "household_key": pd.Series(
                    out["household_key"].to_numpy(dtype=object), dtype=object
                ),
                "person_key": pd.Series(out["person_key"].to_numpy(dtype=object)),
            }
        )

    def _by_village(
        self, conn: Connection, query: sa.Select, villages: pd.Series, start: object, end: object
    ) -> pd.DataFrame:
        """Run a query on the register's rows of some villages between two days (both
        included).

        Few villages: ``IN (...)`` on the village; many: all villages (the caller picks).
        """
        query = query.where(
            case_dates.c.date >= pd.Timestamp(start).date(),
            case_dates.c.date <= pd.Timestamp(end).date(),
        )
        wanted = sorted(pd.unique(villages.to_numpy(dtype=object)))
        if len(wanted) > 200:
            return _read_frame(conn, query)
        frames = [
            _read_frame(conn, query.where(_village_of(case_dates.c.region).in_(chunk)))
            for chunk in _chunks(wanted, 200)
        ]
        return pd.concat(frames, ignore_index=True)

    # --- what registers cover ------------------------------------------------------------

    def write_coverage(self, conn: Connection, upload_id: int, spans: pd.DataFrame) -> int:
        """Keep what an upload covers: ``region, first, last`` (days, both included)."""
        if spans.empty:
            return 0
        frame = pd.DataFrame(
            {
                "upload_id": int(upload_id),
                "region": spans["region"].astype(object).to_numpy(),
                "first": pd.to_datetime(spans["first"]).dt.date.to_numpy(),
                "last": pd.to_datetime(spans["last"]).dt.date.to_numpy(),
            }
        )
        marks = ", ".join([_mark(conn)] * 4)
        rows = [
            (u, r, _day_value(conn, f), _day_value(conn, la))
            for u, r, f, la in frame.itertuples(index=False)
        ]
        conn.exec_driver_sql(
            f"INSERT INTO coverage (upload_id, region, first_day, last_day) VALUES ({marks})", rows
        )
        return len(rows)

    def coverage(
        self,
        after_upload: int | None = None,
        regions: object = None,
        conn: Connection | None = None,
    ) -> pd.DataFrame:
        """What registers cover: ``upload_id, region, first, last`` (datetime64 days), in
        upload order; ``after_upload`` keeps only the coverage of later uploads, ``regions``
        only that of some region codes (inside ``conn``'s transaction when given)."""
        if conn is None:
            with self.engine.connect() as own:
                return self.coverage(after_upload, regions, own)
        c = coverage.c
        q = sa.select(c.upload_id, c.region, c.first_day.label("first"), c.last_day.label("last"))
        if after_upload is not None:
            q = q.where(c.upload_id > after_upload)
        q = q.order_by(c.upload_id, c.id)
        if regions is None:
            out = _read_frame(conn, q)
        else:
            wanted = sorted(set(regions))
            out = pd.concat(
                [pd.DataFrame(columns=["upload_id", "region", "first", "last"])]
                + [
                    _read_frame(conn, q.where(c.region.in_(chunk)))
                    for chunk in _chunks(wanted, 500)
                ],
                ignore_index=True,
            )
        names = ["upload_id", "region", "first", "last"]
        out = out.reindex(columns=names)
        return pd.DataFrame(
            {
                "upload_id": pd.to_numeric(out["upload_id"]).astype("int64"),
                "region": pd.Series(out["region"].to_numpy(dtype=object), dtype=object),
                "first": pd.to_datetime(out["first"]).astype("datetime64[s]"),
                "last": pd.to_datetime(out["last"]).astype("datetime64[s]"),
            }
        )

    # --- policy notes --------------------------------------------------------------------

    def add_note(self, region: str, author: str, text: str, supersedes: int | None = None) -> int:
        """Store an official's note on a region; an edit is a new note that supersedes one."""
        if not text.strip():
            raise ValueError("the note is empty")
        if not author.strip():
            raise ValueError("the note needs an author")
        with self.transaction() as conn:
            result = conn.execute(
                sa.insert(notes).values(
                    region=region, author=author.strip(), created_at=_now(), text=text.strip(),
                    supersedes=supersedes,
                )
            )  # fmt: skip
            return int(result.inserted_primary_key[0])

    def notes(self, region: str) -> pd.DataFrame:
        """All notes on a region, newest first, with ``current`` False for superseded ones."""
        with self.engine.connect() as conn:
            out = pd.read_sql(
                sa.select(notes).where(notes.c.region == region).order_by(notes.c.id.desc()),
                conn,
            )
        out["current"] = ~out["id"].isin(out["supersedes"].dropna().astype(int))
        return out

    # --- confirmed zones (not data: writing them leaves data_version alone) ----------------

    #: What a decision does to the computed zone.
    DECISION_ACTIONS = ("confirm", "override")

    def add_decision(
        self, *, region: str, scheme: str, level: str, start: object, end: object = None,
        computed_zone: str | None, zone: str, action: str, reason: str | None, decided_by: str,
    ) -> int:  # fmt: skip
        """Keep an analyst's decision on a region's zone; never changes an earlier one (a
        newer decision covering the same day supersedes it). Returns its id."""
        if action not in self.DECISION_ACTIONS:
            raise ValueError(f"the action must be confirm or override, not {action!r}")
        reason = (reason or "").strip() or None
        if action == "override" and not reason:
            raise ValueError("an override needs a reason")
        if not (decided_by or "").strip():
            raise ValueError("the decision needs the name of who made it")
        start = pd.Timestamp(start).date()
        end = None if end is None or pd.isna(end) else pd.Timestamp(end).date()
        if end is not None and end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
        with self.engine.begin() as conn:  # not data: views key on decisions_mark instead
            result = conn.execute(
                sa.insert(decisions).values(
                    region=region, scheme=scheme, level=level, start=start, end=end,
                    computed_zone=computed_zone, zone=zone, action=action, reason=reason,
                    decided_by=decided_by.strip(), decided_at=_now(),
                )
            )  # fmt: skip
            return int(result.inserted_primary_key[0])

    # --- failed sign-ins, counted for every replica ------------------------------------------
    def sign_in_wait(self, client: str, now: float) -> float:
        """Seconds before ``client`` (a hash of its address) may try to sign in again."""
        row = self._sign_in_row(client)
        return 0.0 if row is None else auth.Throttle(row.failures, row.until).wait(now)

    def sign_in_begin(self, client: str, now: float) -> float:
        """Before a password check: may ``client`` try now (``now``: Unix seconds)? If so the
        attempt is counted as a failure at once (cleared by :meth:`sign_in_cleared`) and 0
        returned; else the seconds to wait, counting nothing.

        Deciding and counting are one compare-and-set on the client's count, so attempts
        sent at the same moment to several replicas reach the password check exactly as
        many times as one after another would (:meth:`zoning.core.auth.Throttles.begin`).
        """
        t = sign_in_failures
        for _ in range(100):
            row = self._sign_in_row(client)
            throttle = auth.Throttle() if row is None else auth.Throttle(row.failures, row.until)
            wait = throttle.wait(now)
            if wait > 0:
                return wait
            throttle.failed(now)
            values = {"failures": throttle.failures, "until": throttle.until, "updated": now}
            try:
                with self.engine.begin() as conn:
                    if row is None:
                        conn.execute(sa.delete(t).where(t.c.updated < now - 86_400))
                        conn.execute(sa.insert(t).values(client=client, **values))
                        return 0.0
                    same = (t.c.client == client) & (t.c.failures == row.failures)
                    if conn.execute(sa.update(t).where(same).values(**values)).rowcount == 1:
                        return 0.0
            except (sa.exc.IntegrityError, sa.exc.OperationalError):
                pass  # another replica counted (or held the lock) first: read again
        return auth.MAX_WAIT_SECONDS

    def sign_in_cleared(self, client: str) -> None:
        """``client`` signed in: its failures are forgotten."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(sign_in_failures).where(sign_in_failures.c.client == client))

    def _sign_in_row(self, client: str):
        t = sign_in_failures
        query = sa.select(t.c.failures, t.c.until).where(t.c.client == client)
        with self.engine.connect() as conn:
            return conn.execute(query).one_or_none()

    def decisions_mark(self) -> int:
        """The newest decision's id (0 without one): changes whenever a decision is kept, so
        views built from decisions can be cached by it."""
        return int(self._scalar(sa.select(sa.func.max(decisions.c.id))) or 0)

    def decisions(
        self, *, region: str | None = None, scheme: str | None = None, level: str | None = None
    ) -> pd.DataFrame:
        """Every decision kept (of ``region``, ``scheme``, ``level`` when given), oldest
        first: ``id, region, scheme, level, start, end, computed_zone, zone, action, reason,
        decided_by, decided_at``; ``start`` and ``end`` as timestamps (``end`` NaT: open)."""
        query = sa.select(decisions).order_by(decisions.c.id)
        for column, value in (("region", region), ("scheme", scheme), ("level", level)):
            if value is not None:
                query = query.where(decisions.c[column] == value)
        with self.engine.connect() as conn:
            out = pd.read_sql(query, conn)
        for column in ("start", "end", "decided_at"):
            out[column] = pd.to_datetime(out[column])
        return out

    # --- alert subscriptions (not data: writing them leaves data_version alone) -----------

    def add_subscription(
        self,
        *,
        region: str,
        level: str,
        scheme: str,
        channel: str,
        target: str,
        lang: str,
        baseline: object,
        created_by: str,
        active: bool = True,
    ) -> int:
        """Record a subscription; returns its id. One not ``active`` sends nothing until it
        is confirmed (:meth:`use_token`)."""
        day = None if baseline is None else pd.Timestamp(baseline).date()
        with self.engine.begin() as conn:  # not data: no new data_version
            result = conn.execute(
                sa.insert(subscriptions).values(
                    region=region,
                    level=level,
                    scheme=scheme,
                    channel=channel,
                    target=target,
                    lang=lang,
                    baseline=day,
                    created_at=_now(),
                    created_by=created_by,
                    active=active,
                )
            )
            return int(result.inserted_primary_key[0])

    def subscriptions(self, active_only: bool = True) -> pd.DataFrame:
        """Subscriptions, oldest first."""
        q = sa.select(subscriptions).order_by(subscriptions.c.id)
        if active_only:
            q = q.where(subscriptions.c.active.is_(True))
        with self.engine.connect() as conn:
            return pd.read_sql(q, conn)

    def end_subscription(self, subscription_id: int) -> bool:
        """Stop a subscription (kept, with what was sent); False if there is none active."""
        with self.engine.begin() as conn:  # not data: no new data_version
            done = conn.execute(
                sa.update(subscriptions)
                .where(subscriptions.c.id == subscription_id, subscriptions.c.active.is_(True))
                .values(active=False)
            )
            return bool(done.rowcount)

    def add_tokens(
        self, subscription_ids: list[int], kind: str, token_hash: str, client: str | None = None
    ) -> None:
        """Record a link's token (its hash) for subscriptions (``kind``: confirm or
        unsubscribe)."""
        now = _now()
        rows = [
            dict(subscription=int(i), kind=kind, token_hash=token_hash, client=client,
                 created_at=now)
            for i in subscription_ids
        ]  # fmt: skip
        with self.engine.begin() as conn:  # not data: no new data_version
            conn.execute(sa.insert(subscription_tokens), rows)

    def use_token(
        self, kind: str, token_hash: str, since: dt.datetime, baseline: object = None
    ) -> list[int]:
        """Follow a link: its subscriptions, once. ``confirm`` makes them active (from
        ``baseline``, the last data day now); ``unsubscribe`` ends them. Tokens made before
        ``since`` or used already do nothing (an empty list)."""
        t = subscription_tokens
        day = None if baseline is None else pd.Timestamp(baseline).date()
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(t.c.id, t.c.subscription).where(
                    t.c.kind == kind, t.c.token_hash == token_hash, t.c.used_at.is_(None),
                    t.c.created_at >= since,
                )
            ).all()  # fmt: skip
            if not found:
                return []
            ids = sorted({int(r.subscription) for r in found})
            conn.execute(
                sa.update(t).where(t.c.id.in_([r.id for r in found])).values(used_at=_now())
            )
            if kind == "confirm":
                conn.execute(
                    sa.update(subscriptions)
                    .where(subscriptions.c.id.in_(ids))
                    .values(active=True, baseline=day)
                )
            else:
                conn.execute(
                    sa.update(subscriptions).where(subscriptions.c.id.in_(ids)).values(active=False)
                )
            return ids

    def token_requests(
        self, since: dt.datetime, *, target: str | None = None, client: str | None = None
    ) -> int:
        """Confirmation links made since ``since`` for one address (``target``) or one
        client (its hash): the requests rate limits count."""
        t = subscription_tokens
        q = sa.select(sa.func.count(sa.distinct(t.c.token_hash))).where(
            t.c.kind == "confirm", t.c.created_at >= since
        )
        if target is not None:
            q = q.join_from(t, subscriptions, subscriptions.c.id == t.c.subscription).where(
                subscriptions.c.target == target
            )
        if client is not None:
            q = q.where(t.c.client == client)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def alerts_sent(self, subscription_id: int | None = None) -> pd.DataFrame:
        """Alerts delivered, oldest first (of one subscription, or all)."""
        q = sa.select(alerts_sent).order_by(alerts_sent.c.id)
        if subscription_id is not None:
            q = q.where(alerts_sent.c.subscription == subscription_id)
        with self.engine.connect() as conn:
            return pd.read_sql(q, conn)

    def record_alert(
        self, subscription_id: int, region: str, day: object, from_zone: str, to_zone: str
    ) -> bool:
        """Record one delivered alert; False if it was already recorded (sent before)."""
        values = dict(
            subscription=subscription_id, region=region, date=pd.Timestamp(day).date(),
            from_zone=from_zone, to_zone=to_zone, sent_at=_now(),
        )  # fmt: skip
        try:
            with self.engine.begin() as conn:  # not data: no new data_version
                conn.execute(sa.insert(alerts_sent).values(**values))
        except sa.exc.IntegrityError:
            return False
        return True

    def snapshot(self, name: str) -> Snapshot | None:
        """The snapshot ``name``, whatever data version it was made at, or ``None``."""
        q = sa.select(snapshots.c.data_version, snapshots.c.upload_mark, snapshots.c.payload)
        with self.engine.connect() as conn:
            row = conn.execute(q.where(snapshots.c.name == name)).one_or_none()
        return None if row is None else Snapshot(*row)

    def save_snapshot(self, name: str, version: int, payload: bytes) -> bool:
        """Keep a snapshot made at ``version``; does not change the data version.

        The newest upload id at that version is kept with it as ``upload_mark``. Returns
        False, keeping nothing, if the data changed meanwhile or the store is busy: a
        snapshot is only a cache.
        """
        try:
            with self.engine.begin() as conn:
                # one statement, so the version and the newest upload are read together
                now, mark = conn.execute(
                    sa.select(
                        sa.select(meta_table.c.value)
                        .where(meta_table.c.key == "data_version")
                        .scalar_subquery(),
                        sa.select(sa.func.max(uploads.c.id)).scalar_subquery(),
                    )
                ).one()
                if int(now or 0) != version:
                    return False
                conn.execute(sa.delete(snapshots).where(snapshots.c.name == name))
                conn.execute(
                    sa.insert(snapshots).values(
                        name=name, data_version=version, upload_mark=mark or 0, payload=payload
                    )
                )
        except sa.exc.OperationalError:  # locked by a writer: try again next time
            return False
        return True

    def set_meta(self, **values: str) -> None:
        """Set stored facts such as ``as_of`` and ``geometry_note`` in one transaction."""
        with self.transaction() as conn:
            self.write_meta(conn, **values)


_IN_LIMIT = 500  # region codes filtered in SQL; more are filtered after reading


def _fetch(conn: Connection, query: sa.Select) -> tuple[list[str], list[tuple]]:
    """Run a query through the driver: its column names and rows as the driver gives them
    (much faster than SQLAlchemy's row objects)."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        cursor.close()


def _read_frame(conn: Connection, query: sa.Select) -> pd.DataFrame:
    """Run a query through the driver and return a frame."""
    names, rows = _fetch(conn, query)
    return pd.DataFrame(rows, columns=names)


def _read_columns(conn: Connection, query: sa.Select) -> dict[str, np.ndarray]:
    """Run a query through the driver; each column an array of the driver's values (Python
    objects, no types inferred: several times faster than a frame for a million rows)."""
    names, rows = _fetch(conn, query)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    out = {}
    for name, values in zip(names, columns, strict=True):
        array = np.empty(len(values), dtype=object)
        array[:] = values
        out[name] = array
    return out


def _days_read(values: np.ndarray) -> np.ndarray:
    """Days as read from the store (ISO text on SQLite, dates elsewhere) as datetime64[s],
    each distinct day parsed once."""
    codes, uniques = pd.factorize(values)
    days = pd.to_datetime(pd.Series(uniques, dtype=object)).to_numpy().astype("datetime64[s]")
    return days[codes] if len(codes) else np.empty(0, dtype="datetime64[s]")


def _village_of(region: sa.ColumnElement) -> sa.ColumnElement:
    """The village code of a region column: its first characters (standard ``substr``)."""
    length = sa.literal_column(str(VILLAGE_CODE_LENGTH))
    return sa.func.substr(region, sa.literal_column("1"), length)


def _chunks(values: list, size: int) -> Iterator[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Distinct ``region, date`` pairs with dates as day timestamps."""
    out = pairs[["region", "date"]].copy()
    out["region"] = out["region"].astype(object)
    out["date"] = pd.to_datetime(out["date"]).dt.normalize().astype("datetime64[s]")
    return out.drop_duplicates().reset_index(drop=True)


def _driver_rows(conn: Connection, frame: pd.DataFrame) -> list[tuple]:
    """Rows for the driver's executemany: NaN as NULL, dates as ISO text on SQLite."""
    return list(zip(*_driver_columns(conn, frame).values(), strict=True))


def _driver_columns(conn: Connection, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each column as the driver takes it (Python objects): NaN as NULL, dates as ISO text
    on SQLite."""
    sqlite = conn.dialect.name == "sqlite"
    data = {}
    for col in frame.columns:
        values = frame[col]
        if col == "date" and sqlite:
            data[col] = _each_day_once(values, lambda days: days.strftime("%Y-%m-%d"))
            continue
        column = values.to_numpy(dtype=object, copy=True)  # Python objects, at once
        column[values.isna().to_numpy()] = None
        data[col] = column
    return data


def _each_day_once(values: pd.Series, convert) -> np.ndarray:
    """``convert`` (of a ``DatetimeIndex``) applied to each distinct day of ``values`` once
    and spread back over the rows (Python objects; None where a day is missing): a few
    hundred days instead of a value per row."""
    codes, days = pd.factorize(values)
    out = np.full(len(values), None, dtype=object)
    known = codes >= 0
    if known.any():
        out[known] = np.asarray(convert(pd.DatetimeIndex(pd.to_datetime(days))), dtype=object)[
            codes[known]
        ]
    return out


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


#: Boolean literals in SQL text (SQLite keeps booleans as 0 and 1), by "is PostgreSQL".
_TRUE, _FALSE = ("1", "TRUE"), ("0", "FALSE")


def _day_value(conn: Connection, day: object) -> object:
    """A day as the driver takes it: ISO text on SQLite, a date elsewhere."""
    day = pd.Timestamp(day).date()
    return day.isoformat() if conn.dialect.name == "sqlite" else day


def _bulk_delete(conn: Connection, table: sa.Table, keys: pd.DataFrame) -> None:
    """Delete rows by their key columns, one indexed lookup per key (executemany)."""
    where = " AND ".join(f"{c} = {_mark(conn)}" for c in keys.columns)
    conn.exec_driver_sql(f"DELETE FROM {table.name} WHERE {where}", _driver_rows(conn, keys))


#: Rows handed to the driver at once by :func:`_bulk_insert` (bounds the memory of a large write).
_INSERT_CHUNK = 100_000
#: Rows per ``INSERT ... VALUES`` statement on SQLite (:func:`_insert_columns`).
_ROWS_PER_STATEMENT = 200


def _bulk_insert(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert a frame's rows (see :func:`_insert_columns`; fast for large uploads).

    NaN becomes NULL; dates are written as ISO text on SQLite, as dates elsewhere. A column
    empty in every row is left out (NULL all the same).
    """
    for start in range(0, len(frame), _INSERT_CHUNK):  # a chunk's rows as Python objects at a time
        part = frame.iloc[start : start + _INSERT_CHUNK]
        names = [c for c in part.columns if part[c].notna().any()] or list(part.columns[:1])
        columns = _driver_columns(conn, part[names])
        for name, values in columns.items():  # whole numbers kept as floats (an upload id)
            if isinstance(table.c[name].type, sa.Integer) and part[name].dtype.kind == "f":
                filled = pd.notna(values)
                values[filled] = [int(v) for v in values[filled]]
        _insert_columns(conn, table, columns)


def _insert_columns(
    conn: Connection, table: sa.Table, columns: dict[str, np.ndarray], upload_id: int | None = None
) -> None:
    """Insert rows given column by column (arrays of driver values: None for NULL), in order.

    SQLite: ``INSERT ... VALUES`` of :data:`_ROWS_PER_STATEMENT` rows a statement through
    the driver's executemany (a third less time than a statement per row: the per-row cost
    of the driver is paid once per statement). PostgreSQL: ``COPY ... FROM STDIN``. Other
    databases: executemany of one row per statement. ``upload_id``, when given, is written
    into every row as a literal (not a parameter per row).
    """
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    if not n:
        return
    dialect = conn.dialect.name
    copy = dialect == "postgresql" and hasattr(conn.connection.driver_connection, "pgconn")
    if upload_id is not None and copy:
        columns = {**columns, "upload_id": np.full(n, int(upload_id), dtype=object)}
        names, upload_id = list(columns), None
    width = len(names)
    block = np.empty((n, width), dtype=object)  # Python values (numpy's become Python's)
    for j, name in enumerate(names):
        block[:, j] = columns[name]
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a million new lists would set off the collector again and again
    try:
        if copy:
            sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as out:
                for row in block.tolist():
                    out.write_row(row)
            return
        mark = _mark(conn)
        extra = "" if upload_id is None else f", {int(upload_id)}"
        head = f"INSERT INTO {table.name} ({', '.join(names)}"
        head += ") VALUES " if upload_id is None else ", upload_id) VALUES "
        one = "(" + ", ".join([mark] * width) + extra + ")"
        per = max(1, min(_ROWS_PER_STATEMENT, 32_000 // width)) if dialect == "sqlite" else 1
        full = n // per * per
        cursor = conn.connection.driver_connection.cursor()  # lists as they are
        try:
            if full:
                flat = block[:full].reshape(-1, per * width).tolist()  # a statement's values
                cursor.executemany(head + ", ".join([one] * per), flat)
            if full < n:
                cursor.executemany(head + one, block[full:].tolist())
        finally:
            cursor.close()
    finally:
        if gc_was_enabled:
            gc.enable()


#: Page size of a new SQLite store, in bytes.
SQLITE_PAGE_SIZE = 16_384


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # 16 KiB pages for a new store (an existing one keeps its own): a quarter as many pages
    # for the same rows; a million-row line list's import took 7.6-7.8 s against 8.2-9.1 s
    # with SQLite's default 4 KiB, its commit a third less time (8 and 64 KiB were no
    # better; bench/README.md, "Fourth pass")
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
