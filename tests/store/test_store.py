"""The store: transactions, revisions with history, idempotence, notes, versions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from conftest import tiny_counts, tiny_regions

from zoning.store import Store, default_url


def _write(store: Store, counts: pd.DataFrame) -> int:
    with store.transaction() as conn:
        upload = store.record_upload(conn, "counts", "t.csv", None, "pytest", len(counts), 0)
        return store.write_counts(conn, counts, upload)


@pytest.fixture
def tiny_store(tiny_store_sql: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return tiny_store_sql


def test_default_url_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ZONING_DB", str(tmp_path / "x.db"))
    assert default_url() == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("ZONING_DB", "postgresql+psycopg://u@h/db")
    assert default_url() == "postgresql+psycopg://u@h/db"


def test_regions_round_trip_with_display_geometry(tiny_store: Store):
    regions = tiny_store.regions()
    assert len(regions) == 9
    assert set(tiny_store.levels()) == {"province", "regency", "district", "village"}
    villages = tiny_store.geometries("village")
    assert list(villages["code"]) == sorted(tiny_regions().query("level == 'village'")["code"])
    assert villages.crs.to_epsg() == 4326
    assert np.allclose(shapely.area(villages.geometry.to_numpy()), 1.0)
    assert shapely.is_valid(villages.geometry.to_numpy()).all()


def test_counts_round_trip_keeps_missing_days_missing(tiny_store: Store):
    counts = tiny_counts()
    gap = counts.iloc[[3]].assign(new_cases=np.nan)
    _write(tiny_store, gap)  # an empty cell keeps the stored value
    stored = tiny_store.counts(level="village")
    assert len(stored) == len(counts)
    assert stored["new_cases"].notna().all()
    assert set(stored.columns) >= {"region", "date", "new_cases", "tests", "positives"}


def test_revision_latest_wins_and_history_keeps_old(tiny_store: Store):
    counts = tiny_counts()
    row = counts.iloc[[5]].copy()
    old_value = float(row["new_cases"].iloc[0])
    row["new_cases"] = old_value + 7
    version = tiny_store.data_version()
    assert _write(tiny_store, row) == 1
    stored = tiny_store.counts().set_index(["region", "date"])
    key = (row["region"].iloc[0], row["date"].iloc[0])
    assert stored.loc[key, "new_cases"] == old_value + 7
    assert stored.loc[key, "tests"] == row["tests"].iloc[0]  # other fields kept
    history = tiny_store.count_history(row["region"].iloc[0])
    assert list(history["new_cases"]) == [old_value]
    assert tiny_store.data_version() == version + 1


def test_same_counts_twice_change_nothing(tiny_store: Store):
    assert _write(tiny_store, tiny_counts()) == 0
    assert tiny_store.count_history("33.01.01.2001").empty


def test_failed_transaction_writes_nothing(tiny_store: Store):
    before = tiny_store.counts()
    version = tiny_store.data_version()
    new = tiny_counts(start="2021-08-01")
    with pytest.raises(RuntimeError), tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "counts", "x", None, "pytest", 1, 0)
        tiny_store.write_counts(conn, new, upload)
        raise RuntimeError("crash in the middle of an upload")
    after = tiny_store.counts()
    pd.testing.assert_frame_equal(before, after)
    assert tiny_store.data_version() == version
    assert len(tiny_store.uploads()) == 1


def test_notes_keep_history(tiny_store: Store):
    first = tiny_store.add_note("33.01", "Dinkes", "Posko dibuka")
    second = tiny_store.add_note("33.01", "Dinkes", "Posko dibuka 24 jam", supersedes=first)
    notes = tiny_store.notes("33.01")
    assert list(notes["id"]) == [second, first]
    assert list(notes["current"]) == [True, False]
    with pytest.raises(ValueError, match="empty"):
        tiny_store.add_note("33.01", "Dinkes", "   ")


def test_count_levels(tiny_store: Store):
    assert tiny_store.count_levels() == ["village"]


def test_snapshots_are_kept_per_data_version_and_never_move_it(tiny_store):
    version = tiny_store.data_version()
    assert tiny_store.snapshot("panel:x") is None
    assert tiny_store.save_snapshot("panel:x", version, b"abc")
    assert tiny_store.data_version() == version  # a cache, not a change of the data
    assert tiny_store.snapshot("panel:x") == (version, 1, b"abc")  # made after upload 1
    assert tiny_store.save_snapshot("panel:x", version, b"def")  # replaced, not added
    assert tiny_store.snapshot("panel:x").payload == b"def"
    assert not tiny_store.save_snapshot("panel:x", version - 1, b"old")  # data moved on
    assert tiny_store.snapshot("panel:x").payload == b"def"


def test_a_snapshot_remembers_the_newest_upload(tiny_store):
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "counts", "more.csv", None, "test", 0, 0)
    assert tiny_store.save_snapshot("panel:x", tiny_store.data_version(), b"abc")
    assert tiny_store.snapshot("panel:x").upload_mark == upload == 2


def test_counts_after_an_upload_are_the_rows_it_wrote_or_revised(tiny_store):
    changes = pd.DataFrame(
        {"region": ["33.01.01.2001", "33.02.01.1002"], "date": ["2021-07-21", "2021-07-22"],
         "new_cases": [7.0, 3.0]}
    )  # fmt: skip
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "counts", "more.csv", None, "test", 2, 2)
        tiny_store.write_counts(conn, changes, upload)
    later = tiny_store.counts(level="village", after_upload=upload - 1)
    assert list(later["region"]) == ["33.01.01.2001", "33.02.01.1002"]
    assert later["new_cases"].tolist() == [7.0, 3.0]
    assert later["tests"].tolist()[0] == 10.0  # a revised day keeps the fields not sent
    assert np.isnan(later["tests"].tolist()[1])  # a new day has only what was sent
    assert tiny_store.counts(level="village", after_upload=upload).empty


def test_snapshots_of_an_older_layout_are_dropped_when_the_store_opens(tmp_path):
    import sqlalchemy as sa

    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE snapshots (name VARCHAR(64) PRIMARY KEY, "
                             "data_version INTEGER NOT NULL, payload BLOB NOT NULL)"))  # fmt: skip
        conn.execute(sa.text("INSERT INTO snapshots VALUES ('panel:village', 3, x'00')"))
    engine.dispose()
    store = Store(str(path))
    assert store.snapshot("panel:village") is None
    assert store.save_snapshot("panel:village", store.data_version(), b"abc")


def test_two_uploads_at_once_are_both_kept_and_both_counted(tiny_store: Store):
    """Two analysts committing at the same moment: neither fails, neither is lost, and the
    data version moves twice (a cache keyed by it must see both)."""
    import contextlib
    import threading

    version = tiny_store.data_version()
    ready = threading.Barrier(2)
    errors: list[BaseException] = []

    def upload(day: str) -> None:
        store = Store(tiny_store.url)
        try:
            with store.transaction() as conn:
                # Both transactions open before either writes, where the store lets them
                # (a store that makes writers take turns keeps the second one out: then the
                # first goes on alone after a moment).
                with contextlib.suppress(threading.BrokenBarrierError):
                    ready.wait(timeout=2)
                upload_id = store.record_upload(conn, "counts", f"{day}.csv", None, "t", 4, 4)
                store.write_counts(conn, tiny_counts(days=1, start=day), upload_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.engine.dispose()

    threads = [threading.Thread(target=upload, args=(d,)) for d in ("2021-08-01", "2021-08-02")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert tiny_store.data_version() == version + 2
    days = set(tiny_store.counts()["date"].dt.strftime("%Y-%m-%d"))
    assert {"2021-08-01", "2021-08-02"} <= days
    assert len(tiny_store.uploads()) == 3


def test_a_store_made_before_a_count_field_existed_gains_it_and_keeps_its_counts(tmp_path):
    """Stores written before the bed fields existed open as they are: the new columns are
    added, empty (not reported), and every stored count is still there."""
    import sqlite3

    import sqlalchemy as sa
    from conftest import tiny_counts, tiny_regions, write_store

    path = tmp_path / "old.db"
    write_store(path, tiny_regions(), tiny_counts()).engine.dispose()
    with sqlite3.connect(path) as conn:
        for table in ("counts", "count_history"):
            for field in ("bor_covid_pct", "beds_covid", "beds_staffed"):
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {field}")
    reopened = Store(str(path))
    stored = reopened.counts()
    assert len(stored) == len(tiny_counts())
    assert {"bor_covid_pct", "beds_covid", "beds_staffed"} <= set(
        c["name"] for c in sa.inspect(reopened.engine).get_columns("counts")
    )
    assert stored["new_cases"].sum() == tiny_counts()["new_cases"].sum()


def test_a_new_store_has_large_pages_and_an_old_one_keeps_its_own_and_its_counts(tmp_path):
    """New SQLite stores use 16 KiB pages (fewer pages to write on a large import); a store
    made with SQLite's 4 KiB pages opens with them, everything in it still there."""
    import sqlite3

    from conftest import write_store

    from zoning.store.access import SQLITE_PAGE_SIZE

    new = tmp_path / "new.db"
    write_store(new, tiny_regions(), tiny_counts()).engine.dispose()
    with sqlite3.connect(new) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE == 16_384

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:  # as the stores made before: SQLite's default pages
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE kept (x INTEGER)")
        conn.execute("INSERT INTO kept VALUES (1)")
    write_store(old, tiny_regions(), tiny_counts()).engine.dispose()
    reopened = Store(str(old))
    assert len(reopened.counts()) == len(tiny_counts())
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert conn.execute("SELECT x FROM kept").fetchall() == [(1,)]
    reopened.engine.dispose()


# --- "as of", locks and uploads as methods, so that no importer needs SQL ------------------


def test_as_of_moves_forward_only(tiny_store: Store):
    assert tiny_store.as_of() == pd.Timestamp("2021-07-21")  # the tiny counts' last day
    with tiny_store.transaction() as conn:
        assert tiny_store.as_of(conn) == pd.Timestamp("2021-07-21")
        assert not tiny_store.advance_as_of(conn, pd.Timestamp("2021-07-20"))
        assert not tiny_store.advance_as_of(conn, None)
        assert tiny_store.advance_as_of(conn, pd.Timestamp("2021-07-25 13:00"))
        assert tiny_store.as_of(conn) == pd.Timestamp("2021-07-25")  # seen inside at once
    assert tiny_store.meta()["as_of"] == "2021-07-25"
    tiny_store.set_meta(as_of="not a day")
    assert tiny_store.as_of() is None
    with tiny_store.transaction() as conn:
        assert tiny_store.advance_as_of(conn, "2021-07-01")  # none set: any day is later
    assert tiny_store.as_of() == pd.Timestamp("2021-07-01")


def test_a_locked_fact_is_read_inside_the_transaction(tiny_store: Store):
    with tiny_store.transaction() as conn:
        assert tiny_store.locked_meta(conn, "nik_key") is None
        tiny_store.write_meta(conn, nik_key="abc")
        assert tiny_store.locked_meta(conn, "nik_key") == "abc"
    assert tiny_store.meta()["nik_key"] == "abc"


def test_earlier_and_latest_uploads(tiny_store: Store):
    first = tiny_store.latest_upload()
    with tiny_store.transaction() as conn:
        old = tiny_store.record_upload(conn, "counts", "a.csv", "f" * 64, "pytest", 1, 1)
        new = tiny_store.record_upload(
            conn, "counts", "a.csv", "f" * 64, "pytest", 1, 1, {"facts": {"options": {"x": 1}}}
        )
        assert tiny_store.latest_upload(conn) == new > old > first
        # inside the transaction: an upload without options matches any options
        assert tiny_store.earlier_upload("counts", "f" * 64, {"x": 2}, conn) == old
    assert tiny_store.earlier_upload("counts", "f" * 64, {"x": 1}) == old
    assert tiny_store.earlier_upload("regions", "f" * 64, {"x": 1}) is None
    assert tiny_store.earlier_upload("counts", "e" * 64, {"x": 1}) is None


def test_case_houses_are_the_stored_episodes_of_the_asked_regions_and_days(tiny_store: Store):
    rt, other = "33.01.01.2001.001.001", "33.01.01.2001.001.002"
    frame = pd.DataFrame(
        {
            "person_key": ["a" * 64, "b" * 64, "c" * 64, "d" * 64, "a" * 64],
            "date": pd.to_datetime(
                ["2021-07-01", "2021-07-07", "2021-07-08", "2021-07-03", "2021-07-05"]
            ),
            "region": [rt, rt, rt, other, rt],
            "household_key": ["h" * 64, None, "h" * 64, "k" * 64, "h" * 64],
            "episode": [True, True, True, True, False],  # the 5th: a's episode again
            "unverified": [False, False, False, False, False],
        }
    )
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "test", None, None, "pytest", 4, 4)
        tiny_store.insert_case_dates(conn, frame, upload)
        found = tiny_store.case_houses(conn, [rt], "2021-07-01", "2021-07-07")
    assert list(found.columns) == ["region", "episode_start", "household_key", "person_key"]
    assert sorted(found["person_key"]) == ["a" * 64, "b" * 64]  # the 8th and other RT left out
    assert found["household_key"].isna().sum() == 1
    with tiny_store.engine.connect() as conn:
        assert tiny_store.case_houses(conn, [], "2021-07-01", "2021-07-07").empty


def test_case_dates_read_back_what_was_written_by_scan_and_by_key(tiny_store: Store):
    """Every column as written, whichever way the rows are found: a scan filtered by key (a
    large share of the people) or ``IN`` lists (a few); a missing house stays missing."""
    n = 30
    frame = pd.DataFrame(
        {
            "person_key": [f"{k:064x}" for k in range(n)],
            "date": pd.Timestamp("2021-07-01") + pd.to_timedelta(np.arange(n) % 7, unit="D"),
            "region": ["33.01.01.2001"] * n,
            "household_key": [None if k % 3 == 0 else f"{k:064d}" for k in range(n)],
            "episode": [k % 2 == 0 for k in range(n)],
            "unverified": [k == 5 for k in range(n)],
        }
    )
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "test", None, None, "pytest", n, n)
        tiny_store.insert_case_dates(conn, frame, upload)
    everyone = tiny_store.case_dates()
    one = tiny_store.case_dates([frame["person_key"][3]])  # 1 * 20 < 30: by key
    half = tiny_store.case_dates(frame["person_key"][:15])  # 15 * 20 > 30: a scan
    for found, wanted in ((everyone, frame), (one, frame.iloc[[3]]), (half, frame.iloc[:15])):
        found = found.sort_values("person_key", ignore_index=True)
        assert found["date"].dtype == "datetime64[s]"
        assert found["episode"].dtype == bool and found["unverified"].dtype == bool
        assert found["household_key"].isna().tolist() == wanted["household_key"].isna().tolist()
        columns = ["person_key", "date", "region", "episode", "unverified"]
        assert found[columns].values.tolist() == wanted[columns].values.tolist()
        assert found["household_key"].dropna().tolist() == wanted["household_key"].dropna().tolist()
    assert tiny_store.case_dates([]).empty


def test_a_store_of_episodes_only_is_moved_into_the_case_register(tiny_store: Store):
    """Stores made when only episode starts were kept: each start becomes a positive date
    that starts an episode, once, and the old table goes."""
    with tiny_store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE cases (id INTEGER PRIMARY KEY, person_key CHAR(64) NOT NULL, "
            "episode_start DATE NOT NULL, region VARCHAR(32) NOT NULL, household_key CHAR(64), "
            "upload_id INTEGER, created_at TIMESTAMP NOT NULL)"
        )
        for k, (day, region, house) in enumerate(
            [("2021-07-01", "33.01.01.2001", None), ("2021-10-01", "33.01.01.2002", "h" * 64)]
        ):
            conn.execute(
                sa.text("INSERT INTO cases VALUES (:id, :p, :d, :r, :h, NULL, :c)"),
                {"id": k + 1, "p": "a" * 64, "d": dt.date.fromisoformat(day), "r": region,
                 "h": house, "c": dt.datetime(2021, 8, 1)},
            )  # fmt: skip
    store = Store(tiny_store.url)
    rows = store.case_dates()
    assert rows[["person_key", "date", "region", "episode", "unverified"]].values.tolist() == [
        ["a" * 64, pd.Timestamp("2021-07-01"), "33.01.01.2001", True, False],
        ["a" * 64, pd.Timestamp("2021-10-01"), "33.01.01.2002", True, False],
    ]
    assert "cases" not in sa.inspect(store.engine).get_table_names()
    assert len(Store(tiny_store.url).case_dates()) == 2  # opened again: nothing moved twice


# --- confirmed zones: decisions are kept, never changed ------------------------------------


def _decide(store: Store, **values) -> int:
    base = dict(
        region="33.01", scheme="who-ct-2021", level="regency", start="2021-07-05",
        computed_zone="red", zone="red", action="confirm", reason=None, decided_by="ana",
    )  # fmt: skip
    return store.add_decision(**{**base, **values})


def test_decisions_are_all_kept_in_order_with_who_when_and_why(tiny_store: Store):
    first = _decide(tiny_store)
    second = _decide(
        tiny_store, start="2021-07-10", end="2021-07-20", zone="green", action="override",
        reason="  tracing found every contact  ", decided_by=" Bupati ",
    )  # fmt: skip
    kept = tiny_store.decisions(region="33.01")
    assert list(kept["id"]) == [first, second]
    assert list(kept["action"]) == ["confirm", "override"]
    assert list(kept["zone"]) == ["red", "green"]
    assert kept["reason"].iloc[1] == "tracing found every contact"
    assert kept["decided_by"].iloc[1] == "Bupati"
    assert kept["start"].iloc[1] == pd.Timestamp("2021-07-10")
    assert kept["end"].iloc[1] == pd.Timestamp("2021-07-20") and pd.isna(kept["end"].iloc[0])
    assert kept["decided_at"].notna().all()
    assert tiny_store.decisions(region="33.02").empty
    assert len(tiny_store.decisions(scheme="who-ct-2021", level="regency")) == 2


def test_an_override_without_a_reason_or_a_bad_decision_writes_nothing(tiny_store: Store):
    with pytest.raises(ValueError, match="reason"):
        _decide(tiny_store, zone="green", action="override", reason="   ")
    with pytest.raises(ValueError, match="confirm or override"):
        _decide(tiny_store, action="delete")
    with pytest.raises(ValueError, match="who made it"):
        _decide(tiny_store, decided_by=" ")
    with pytest.raises(ValueError, match="before it starts"):
        _decide(tiny_store, start="2021-07-10", end="2021-07-09")
    assert tiny_store.decisions().empty


def test_a_store_made_before_decisions_existed_gains_the_table(tmp_path):
    import sqlite3

    from conftest import tiny_counts, tiny_regions, write_store

    path = tmp_path / "old.db"
    write_store(path, tiny_regions(), tiny_counts()).engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE decisions")
    reopened = Store(str(path))
    assert reopened.decisions().empty
    _decide(reopened)
    assert len(reopened.decisions()) == 1
    assert len(reopened.counts()) == len(tiny_counts())


def _register_rows(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_key": [f"{k:064x}" for k in range(n)],
            "date": pd.Timestamp("2021-07-01") + pd.to_timedelta(np.arange(n) % 7, unit="D"),
            "region": ["33.01.01.2001"] * n,
            "household_key": [f"{k // 3:064d}" for k in range(n)],
            "episode": np.ones(n, dtype=bool),
            "unverified": np.zeros(n, dtype=bool),
        }
    )


def test_a_large_transaction_is_checkpointed_after_its_commit_and_a_small_one_as_before(tmp_path):
    """SQLite: a transaction of many rows commits without copying its pages from the WAL
    into the database, a thread does it afterwards; every connection then checkpoints
    automatically again, and a small transaction starts no thread."""
    store = Store(str(tmp_path / "big.db"))
    path = tmp_path / "big.db"
    with store.transaction() as conn:
        store.record_upload(conn, "test", None, None, "pytest", 1, 1)
    assert store._checkpointer is None
    empty = path.stat().st_size
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", None, None, "pytest", 30_000, 30_000)
        store.insert_case_dates(conn, _register_rows(30_000), upload)
    assert len(store.case_dates()) == 30_000  # committed, whether checkpointed yet or not
    store.wait_for_checkpoint()
    assert store._checkpointer is not None
    assert path.stat().st_size > empty + 30_000 * 64  # the pages are in the database file
    with store.engine.connect() as conn:  # the pool's connections checkpoint as SQLite does
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_a_failed_large_transaction_writes_nothing_and_checkpoints_as_before(tmp_path):
    store = Store(str(tmp_path / "big.db"))
    with pytest.raises(RuntimeError), store.transaction() as conn:
        upload = store.record_upload(conn, "test", None, None, "pytest", 30_000, 30_000)
        store.insert_case_dates(conn, _register_rows(30_000), upload)
        raise RuntimeError("interrupted")
    assert store.case_dates().empty and store.uploads().empty
    assert store._checkpointer is None
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
