"""The fast line-list import stores exactly what a straightforward one stores (issue 16, item 4).

The fast ways: the register and the counts written many rows per statement on SQLite (and by
``COPY`` on PostgreSQL), NIKs and No. KKs told apart as integers (the NIKs as read while
checking them), and the houses of a first import counted from the rows just written instead
of read back. The reference: one row per statement with every column, ``pd.factorize`` on
the texts (the keys hashed from them), and every episode read back from the store. On fuzzed
files, imported one after another into two stores, every stored row (ids, keys, counts,
history, coverage) is the same.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from conftest import fuzz
from hypothesis import given
from hypothesis import strategies as st
from test_linelist_splits import COVERS, _csv, _fresh, _rows, template_db  # noqa: F401 (a fixture)

import zoning.intake.linelist as linelist
import zoning.intake.nik as nik
from zoning.intake.linelist import import_linelist
from zoning.intake.nik import factorize_digits
from zoning.store import Store, access

pytestmark = pytest.mark.usefixtures("private_key_file")

#: Every stored table whose rows an import writes, and the order to compare them in (the
#: uploads and meta tables hold times of day, which differ).
TABLES = {
    "case_dates": "id",
    "counts": "region, date",
    "count_history": "id",
    "coverage": "id",
    "regions": "code",
}


def _plain_insert(conn, table, columns, upload_id=None):
    """The reference insert: the driver's executemany, one row per statement."""
    if upload_id is not None:
        n = len(next(iter(columns.values())))
        columns = {**columns, "upload_id": np.full(n, int(upload_id), dtype=object)}
    names = list(columns)
    rows = list(zip(*(np.asarray(c, dtype=object).tolist() for c in columns.values()),
                    strict=True))  # fmt: skip
    marks = ", ".join([access._mark(conn)] * len(names))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", rows)


def _plain_bulk_insert(conn, table, frame):
    """The reference of a frame's insert: every column, one row per statement."""
    marks = ", ".join([access._mark(conn)] * len(frame.columns))
    sql = f"INSERT INTO {table.name} ({', '.join(frame.columns)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, access._driver_rows(conn, frame))


@contextmanager
def _reference():
    """Import the straightforward way."""
    houses_7d = linelist._houses_7d
    people = linelist._people

    def read_back(store, conn, rt_days, inserted=None):
        return houses_7d(store, conn, rt_days)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(access, "_insert_columns", _plain_insert)
        mp.setattr(access, "_bulk_insert", _plain_bulk_insert)
        mp.setattr(linelist, "factorize_digits", lambda v: pd.factorize(np.asarray(v, object)))
        mp.setattr(linelist, "_houses_7d", read_back)
        mp.setattr(
            linelist,
            "_people",
            lambda niks, valid, numbers, hasher: people(niks, valid, None, hasher),
        )
        yield


@contextmanager
def _fast(rows_per_statement: int, helper: bool = False):
    """Import the fast way, with few rows per statement (so that a file of a few rows has
    whole statements and a remainder); ``helper``: the people's keys made by a helper
    process however few they are."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(access, "_ROWS_PER_STATEMENT", rows_per_statement)
        if helper:
            mp.setattr(nik, "KEYS_APART", 1)
        yield


def _stored(store: Store) -> dict[str, list[tuple]]:
    out = {}
    with store.engine.connect() as conn:
        for table, order in TABLES.items():
            out[table] = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    return out


@fuzz(60)
@given(
    first=_rows(),
    later=_rows(),
    rows_per_statement=st.integers(1, 5),
    covers=st.booleans(),
    helper=st.booleans(),
)
def test_fuzz_the_fast_import_stores_what_the_reference_stores(
    template_db,  # noqa: F811 (the fixture imported above)
    tmp_path_factory,
    first,
    later,
    rows_per_statement,
    covers,
    helper,
):
    folder = tmp_path_factory.mktemp("fast")
    fast = _fresh(template_db, folder, "fast")
    plain = _fresh(template_db, folder, "plain")
    options = COVERS if covers else {}
    try:
        for k, rows in enumerate((first, later)):  # a first import, then one into cases
            outcomes = []
            for store, mode in ((fast, _fast(rows_per_statement, helper)), (plain, _reference())):
                with mode:
                    try:
                        result = import_linelist(store, _csv(rows), filename=f"{k}.csv", **options)
                        outcomes.append((result.changed, result.report.facts))
                    except Exception as exc:  # refused alike (e.g. no valid NIK at all)
                        outcomes.append((type(exc).__name__, str(exc)))
            assert outcomes[0] == outcomes[1]
            assert _stored(fast) == _stored(plain)
        assert len(_stored(fast)["case_dates"]) > 0 or not any(len(r[0]) == 16 for r in first)
    finally:
        fast.engine.dispose()
        plain.engine.dispose()


@st.composite
def _cells(draw) -> list[object]:
    digits = st.text("0123456789", min_size=16, max_size=16)
    pool = draw(st.lists(digits, min_size=1, max_size=6))
    other = st.one_of(
        st.sampled_from(pool),
        st.text("0123456789", min_size=15, max_size=17),
        st.sampled_from(["", " 3374010101900001", "3374010101900001 ", "337401010190000O"]),
        st.text(max_size=17),
        st.none(),
    )
    return draw(st.lists(draw(st.sampled_from([st.sampled_from(pool), other])), max_size=40))


@fuzz(300)
@given(cells=_cells())
def test_fuzz_factorize_digits_is_pandas_factorize(cells):
    codes, uniques = factorize_digits(np.array(cells, dtype=object))
    want_codes, want_uniques = pd.factorize(np.array(cells, dtype=object))
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)


@pytest.mark.postgres
def test_copy_into_postgresql_stores_what_sqlite_stores(
    template_db,  # noqa: F811 (the fixture imported above)
    tmp_path,
    postgres_url,
):
    """The same file into PostgreSQL (``COPY``) and into SQLite gives the same register and
    counts, read back through the store."""
    rng = np.random.default_rng(16)
    people = [f"330101010190{k:04d}" for k in range(1, 400)]
    places = [("33.01.01.2001", ""), ("33.02.01.1001", "1"), ("33.02.01.1001", "2")]
    lines = ["nik,tanggal_konfirmasi,kode_desa,rw,rt,no_kk,alamat"]
    for k in range(1500):
        village, rt = places[rng.integers(len(places))]
        day = pd.Timestamp("2021-01-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        nik = people[rng.integers(len(people))] if k % 50 else "3.30101E+15"
        kk = f"330101010190{rng.integers(1, 60):04d}" if k % 3 else ""
        address = "Jl. Melati 3, RT 1/RW 1" if k % 7 == 0 else ""
        lines.append(f'{nik},{day.date()},{village},{"1" if rt else ""},{rt},{kk},"{address}"')
    data = ("\n".join(lines) + "\n").encode()
    lite = _fresh(template_db, tmp_path, "lite")
    regions = lite.regions()
    pg = Store(postgres_url)
    with pg.transaction() as conn:
        upload = pg.record_upload(conn, "test", "regions", None, "pytest", 0, 0)
        pg.write_regions(conn, regions, upload)
    try:
        for store in (lite, pg):
            import_linelist(store, data, filename="list.csv")
        cases = [s.case_dates().drop(columns="id") for s in (lite, pg)]
        order = ["person_key", "date", "region"]
        a, b = (c.sort_values(order, ignore_index=True) for c in cases)
        assert len(a) > 1000
        pd.testing.assert_frame_equal(a, b)
        counts = [s.counts().drop(columns="upload_id", errors="ignore") for s in (lite, pg)]
        a, b = (c.sort_values(["region", "date"], ignore_index=True) for c in counts)
        assert len(a) > 100
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    finally:
        lite.engine.dispose()
        pg.engine.dispose()


@fuzz(300)
@given(
    cells=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "", "c d", "é"])), max_size=30),
    data=st.data(),
)
def test_fuzz_kept_rows_factorize_as_a_copy_of_them_would(cells, data):
    """The line list's valid rows are read by their codes in the whole column
    (``_kept_factorized``), not from a copy of their texts: the same codes and values."""
    series = pd.Series(cells, dtype="str", index=range(2, 2 + len(cells)))
    keep = np.array(
        data.draw(st.lists(st.integers(0, len(cells) - 1), unique=True)) if cells else [],
        dtype=np.int64,
    )
    keep.sort()
    codes, uniques, index = linelist._kept_factorized(series, keep)
    want_codes, want_uniques = pd.factorize(series.iloc[keep])
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)
    assert index.tolist() == series.index[keep].tolist()
