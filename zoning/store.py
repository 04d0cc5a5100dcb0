"""The persistent store: one SQL database for everything the app keeps.

SQLite under ``data/`` by default (no server to start); any SQLAlchemy URL, such as
``postgresql+psycopg://...``, can replace it. Every write is one transaction: all of it or
nothing. Each committed change bumps ``data_version``, which callers use as a cache key.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zoning.metrics import COUNT_FIELDS
from zoning.regions import LEVELS

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "zoning.db"
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

metadata = sa.MetaData()

meta_table = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text),
)
uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("filename", sa.Text),
    sa.Column("sha256", sa.String(64), index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer),
    sa.Column("changed", sa.Integer),
    sa.Column("report", sa.Text),
)
regions = sa.Table(
    "regions",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(16), nullable=False, index=True),
    sa.Column("parent", sa.String(32), index=True),
    sa.Column("population", sa.Float),
    sa.Column("geometry", sa.LargeBinary),
    sa.Column("display_geometry", sa.LargeBinary),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)
counts = sa.Table(
    "counts",
    metadata,
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    *(sa.Column(f, sa.Float) for f in COUNT_FIELDS),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)
count_history = sa.Table(
    "count_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("region", sa.String(32), nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    *(sa.Column(f, sa.Float) for f in COUNT_FIELDS),
    sa.Column("upload_id", sa.Integer),
    sa.Column("replaced_by", sa.Integer, sa.ForeignKey("uploads.id")),
)
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("region", sa.String(32), nullable=False, index=True),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("supersedes", sa.Integer, sa.ForeignKey("notes.id")),
)


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
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(url)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open store {url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    # --- transactions and versions -------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction that bumps ``data_version`` when it commits."""
        with self.engine.begin() as conn:
            yield conn
            version = self._meta(conn).get("data_version", "0")
            self.write_meta(
                conn,
                data_version=str(int(version) + 1),
                last_updated=_now().isoformat(),
            )

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
    ) -> int:
        """Insert an upload record inside ``conn``'s transaction and return its id."""
        result = conn.execute(
            sa.insert(uploads).values(
                kind=kind, filename=filename, sha256=sha256, created_at=_now(),
                created_by=created_by, rows=rows, changed=changed,
                report=json.dumps(report, default=str) if report is not None else None,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])

    def uploads(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(sa.select(uploads).order_by(uploads.c.id), conn)

    def find_upload(self, kind: str, sha256: str) -> int | None:
        """The id of an earlier upload of the same kind and content, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(uploads.c.id).where(uploads.c.kind == kind, uploads.c.sha256 == sha256)
            ).first()
        return int(row[0]) if row else None

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
        with self.engine.connect() as conn:
            found = {r[0] for r in conn.execute(sa.select(regions.c.level).distinct())}
        return [lv for lv in LEVELS if lv in found]

    # --- daily counts --------------------------------------------------------------------

    def write_counts(self, conn: Connection, frame: pd.DataFrame, upload_id: int) -> int:
        """Insert or revise daily counts inside ``conn``'s transaction.

        A region-day already stored with other values is a revision: the new values win and
        the old row is kept in ``count_history``. Fields the new frame lacks keep their
        stored values. Returns the number of region-days inserted or changed.
        """
        fields = [f for f in COUNT_FIELDS if f in frame.columns]
        new = frame[["region", "date", *fields]].copy()
        new["date"] = pd.to_datetime(new["date"]).dt.date
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
            keys = list(zip(hist["region"], hist["date"], strict=True))
            for i in range(0, len(keys), 400):
                chunk = keys[i : i + 400]
                conn.execute(
                    sa.delete(counts).where(sa.tuple_(counts.c.region, counts.c.date).in_(chunk))
                )
        write = final[revised | ~exists]
        if len(write):
            _bulk_insert(conn, counts, write)
        return len(write)

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
        out = pd.read_sql(q, conn)
        out["date"] = pd.to_datetime(out["date"]).dt.date
        if region_codes is not None:
            out = out[out["region"].isin(region_codes)]
        return out.astype({f: float for f in COUNT_FIELDS})

    def counts(
        self, level: str | None = None, start: object = None, end: object = None
    ) -> pd.DataFrame:
        """Daily counts (``region, date`` and every count field), optionally of one level."""
        q = sa.select(*(c for c in counts.c if c.name != "upload_id"))
        if level is not None:
            q = q.join(regions, regions.c.code == counts.c.region).where(regions.c.level == level)
        if start is not None:
            q = q.where(counts.c.date >= start)
        if end is not None:
            q = q.where(counts.c.date <= end)
        with self.engine.connect() as conn:
            out = _read_frame(conn, q)
        out["date"] = pd.to_datetime(out["date"])
        for f in COUNT_FIELDS:
            out[f] = pd.to_numeric(out[f], errors="coerce").astype(float)
        return out.dropna(axis=1, how="all")

    def count_levels(self) -> list[str]:
        """Levels that have daily counts, from the top."""
        q = sa.select(regions.c.level).distinct().join(counts, counts.c.region == regions.c.code)
        with self.engine.connect() as conn:
            found = {r[0] for r in conn.execute(q)}
        return [lv for lv in LEVELS if lv in found]

    def count_history(self, region: str) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(
                sa.select(count_history).where(count_history.c.region == region), conn
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

    def set_meta(self, **values: str) -> None:
        """Set stored facts such as ``as_of`` and ``geometry_note`` in one transaction."""
        with self.transaction() as conn:
            self.write_meta(conn, **values)


def _read_frame(conn: Connection, query: sa.Select) -> pd.DataFrame:
    """Run a query through the driver and return a frame (much faster than row objects)."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def _bulk_insert(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert a frame's rows through the driver's executemany (fast for large uploads).

    NaN becomes NULL; dates are written as ISO text on SQLite, as dates elsewhere.
    """
    columns = list(frame.columns)
    sqlite = conn.dialect.name == "sqlite"
    data = {}
    for col in columns:
        values = frame[col]
        if col == "date":
            values = values.map(lambda d: d.isoformat()) if sqlite else values
        data[col] = values.astype(object).where(values.notna(), None)
    rows = list(zip(*(data[c] for c in columns), strict=True))
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(columns))
    names = ", ".join(columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
