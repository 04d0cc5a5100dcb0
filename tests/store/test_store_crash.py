"""Crash consistency of the store: an import killed at any moment leaves it consistent.

Each import (counts, region boundaries, a NIK line list, and the upload page's commit) runs
as its own process, as an analyst runs it, on a store of 500 villages, and is killed with
SIGKILL at a seeded random moment. A calibration run first measures when the import holds
SQLite's write lock. Of every three kills, one lands anywhere in the run (interpreter start,
reading, the transaction, commit, exit), one while the transaction writes (a random time
after the write lock is first seen, within the first half of the calibrated length of the
transaction) and one around the commit. After each kill:

* ``PRAGMA integrity_check`` is ``ok``;
* the store is exactly the store before the import (the upload wholly absent) or exactly
  the store after an uninterrupted import (the upload wholly there): every table compared
  row by row, timestamps aside, so no earlier data is ever lost;
* running the import again succeeds and gives the uninterrupted import's store.

Each import is stopped (SIGSTOP) before it is killed, and a probe then tries to take the
write lock (``BEGIN IMMEDIATE``, no wait): when it cannot, the kill lands mid-transaction.

``ZONING_CRASH_KILLS`` sets the kills per import (default 3), ``ZONING_CRASH_SEED`` the
seed, ``ZONING_CRASH_RESULTS`` a JSON-lines file for the figures, which the test also
prints.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ROOT, write_store

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("ZONING_CRASH_KILLS", "3"))
SEED = int(os.environ.get("ZONING_CRASH_SEED", "20211"))
RESULTS = os.environ.get("ZONING_CRASH_RESULTS")  # a JSON-lines file for the figures
DISTRICTS, VILLAGES_PER_DISTRICT = 20, 25  # 500 villages
#: Columns that record when a row was written: they differ between two runs of one import.
_WHEN = {"created_at"}
_META_WHEN = {"last_updated"}


# --- the data: a regency of 500 villages -------------------------------------------------------


def _villages() -> list[str]:
    return [
        f"33.01.{d:02d}.{2001 + v}" for d in range(1, DISTRICTS + 1)
        for v in range(VILLAGES_PER_DISTRICT)
    ]  # fmt: skip


def _regions() -> pd.DataFrame:
    rows = [("33", "Provinsi Uji", "province", None, 3e6), ("33.01", "Kab Uji", "regency", "33",
                                                             3e6)]  # fmt: skip
    rows += [(f"33.01.{d:02d}", f"Kec {d}", "district", "33.01", 1.5e5)
             for d in range(1, DISTRICTS + 1)]  # fmt: skip
    rows += [(v, f"Desa {v[-7:]}", "village", v[:8], 6000.0) for v in _villages()]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population"])


def _base_counts() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    days = pd.date_range("2021-06-01", "2021-07-30")
    grid = pd.MultiIndex.from_product([_villages(), days], names=["region", "date"])
    frame = grid.to_frame(index=False)
    frame["new_cases"] = rng.poisson(3, len(frame)).astype(float)
    frame["deaths"] = rng.poisson(0.1, len(frame)).astype(float)
    return frame


def _counts_file() -> bytes:
    """90 days of every village: 30 days revise stored ones, 60 are new (45,000 rows)."""
    rng = np.random.default_rng(2)
    days = pd.date_range("2021-07-01", periods=90)
    out = io.StringIO()
    out.write("tanggal;kode_wilayah;kasus_baru;meninggal_harian;tes\n")
    for v in _villages():
        cases = rng.poisson(4, len(days))
        for day, n in zip(days, cases, strict=True):
            out.write(f"{day:%d/%m/%Y};{v};{n};{n // 7};{n * 9}\n")
    return out.getvalue().encode()


def _boundaries_file() -> bytes:
    """GeoJSON of the 500 villages with new names, populations and boundaries."""
    features = []
    for k, v in enumerate(_villages()):
        x, y = 110.0 + (k % 25) * 0.01, -7.0 + (k // 25) * 0.01
        ring = shapely.segmentize(shapely.box(x, y, x + 0.01, y + 0.01), 0.0005)
        features.append(
            {"type": "Feature",
             "properties": {"kode": v, "nama": f"Kelurahan {v[-7:]}", "penduduk": 5000 + k},
             "geometry": shapely.geometry.mapping(ring)}
        )  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _nik(k: int, district: int) -> str:
    day, month, year = 1 + k % 28, 1 + (k // 28) % 12, 60 + k % 40
    return f"3301{district:02d}{day:02d}{month:02d}{year:02d}{1 + k % 9999:04d}"


def _line_list() -> bytes:
    """30,000 cases in the villages, about 5% a person tested again within the episode."""
    rng = np.random.default_rng(3)
    villages = _villages()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["nik", "tanggal_konfirmasi", "kode_desa", "no_kk"])
    for k in range(30_000):
        person = k - 1 if k % 20 == 19 else k
        village = villages[person % len(villages)]
        day = pd.Timestamp("2021-07-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        kk = f"3301{int(village[6:8]):02d}{person % 97:02d}0120{person % 9999:04d}"
        writer.writerow([_nik(person, int(village[6:8])), f"{day:%Y-%m-%d}", village, kk])
    return out.getvalue().encode()


# --- running and killing an import -------------------------------------------------------------


_PAGE = (
    "import sys; from pathlib import Path; from zoning.store import Store; "
    "from zoning.intake.uploads import Options, commit; "
    "commit(Store(sys.argv[1]), Path(sys.argv[2]).read_bytes(), 'upload.csv', "
    "Options(sys.argv[3]), 'page:analyst')"
)


@dataclass
class Kind:
    name: str
    file: str
    args: list[str]  # after --db DB; FILE stands for the file
    page: bool = False  # the upload page's commit instead of the command line

    def command(self, db: Path, path: Path) -> list[str]:
        if self.page:
            return [sys.executable, "-c", _PAGE, str(db), str(path), self.args[0]]
        args = [str(path) if a == "FILE" else a for a in self.args]
        return [sys.executable, "-m", "zoning", "--db", str(db), *args]


KINDS = [
    Kind("counts", "counts.csv", ["cases", "import", "FILE"]),
    Kind("regions", "desa.geojson", ["regions", "import", "FILE", "--level", "village"]),
    Kind("linelist", "list.csv", ["cases", "import", "FILE", "--kind", "linelist"]),
    Kind("page (counts)", "counts.csv", ["counts"], page=True),
]


@dataclass
class Figures:
    kills: int = 0
    mid_transaction: int = 0  # the write lock was held at the kill
    before_commit: int = 0  # the store was the store before the import
    after_commit: int = 0  # the store was the store after the import
    mid_write_class: int = 0  # of those, kills aimed at the writing
    locked_after: int = 0  # of those, kills that found the upload committed
    wal_left: int = 0  # a -wal file with frames was left behind
    moments: list[float] = field(default_factory=list)  # seconds from the start to the kill


def _env(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "ZONING_SECRET_FILE": str(tmp / "keys" / "nik-secret")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("ZONING_DB", None)
    return env


def _locked(db: Path) -> bool:
    """Whether another process holds the write lock (a write transaction is under way)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> None:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr


def _calibrate(cmd: list[str], env: dict[str, str], db: Path) -> tuple[float, float, float]:
    """Seconds to the first and last moment the write lock was seen held, and to the end."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: list[float] = []
    while proc.poll() is None:
        if _locked(db):
            seen.append(time.monotonic() - start)
        time.sleep(0.01)
    end = time.monotonic() - start
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert seen, "the write transaction was never seen: the file is too small to be killed in it"
    return seen[0], seen[-1], end


def _kill(
    cmd: list[str], env: dict[str, str], db: Path, moment: str, delay: float, first: float
) -> tuple:
    """Start the import and SIGKILL it ``delay`` s after its start (``moment == "run"``) or
    after the write lock is first seen held (``"write"``).

    A machine busier (or idler) than at the calibration stretches the run: in the
    transaction, the wait is scaled by the time to the write lock over the calibration's
    (``first``).

    Returns (write lock held at the kill, exit code, seconds from the start to the kill).
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if moment == "write":
        while proc.poll() is None and not _locked(db):
            time.sleep(0.003)
        delay *= (time.monotonic() - start) / first
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(min(0.003, max(0.0, deadline - time.monotonic())))
    at = time.monotonic() - start
    locked = False
    if proc.poll() is None:
        proc.send_signal(signal.SIGSTOP)  # frozen: it cannot commit while the probe looks
        locked = _locked(db)
        proc.send_signal(signal.SIGKILL)
    return locked, proc.wait(), at


def _again(kind: Kind, db: Path, path: Path) -> None:
    """The import run again, in this process (the same code as the command, without start-up)."""
    if kind.page:
        from zoning.intake.uploads import Options, commit
        from zoning.store import Store

        store = Store(str(db))
        try:
            commit(store, path.read_bytes(), "upload.csv", Options(kind.args[0]), "page:analyst")
        finally:
            store.engine.dispose()
        return
    from zoning.cli import main

    assert main(kind.command(db, path)[3:]) == 0


# --- the store's content ----------------------------------------------------------------------


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


#: Derived data, not data: what the command line keeps for the first map after its commit
#: (``zoning.render.firstview.prepare``), per data version, built again wherever it is
#: missing or unreadable. A kill after the commit may leave part of it.
_DERIVED = {"snapshots"}


def _content(db: Path) -> dict[str, str]:
    """A digest of every table's rows, without the columns that record when they were written
    (nor the derived snapshots, :data:`_DERIVED`)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if r[0] not in _DERIVED]  # fmt: skip
        out = {}
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            keep = [c for c in cols if c not in _WHEN]
            query = f"SELECT {', '.join(keep)} FROM {table} ORDER BY {', '.join(keep)}"
            digest = hashlib.sha256()
            for row in conn.execute(query):
                if table == "meta" and row[0] in _META_WHEN:
                    continue
                digest.update(repr(row).encode())
            out[table] = digest.hexdigest()
        return out
    finally:
        conn.close()


def _wal_frames(db: Path) -> bool:
    wal = db.with_name(db.name + "-wal")
    return wal.exists() and wal.stat().st_size > 32  # more than the WAL header


# --- the test --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the base store (500 villages, 60 days of counts) and the import files."""
    tmp = tmp_path_factory.mktemp("crash")
    store = write_store(tmp / "base.db", _regions(), _base_counts())
    store.engine.dispose()
    (tmp / "counts.csv").write_bytes(_counts_file())
    (tmp / "desa.geojson").write_bytes(_boundaries_file())
    (tmp / "list.csv").write_bytes(_line_list())
    return tmp


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_an_import_killed_at_any_moment_leaves_the_store_whole(
    world, kind, tmp_path, capsys, monkeypatch
):
    env = _env(tmp_path)
    monkeypatch.setenv("ZONING_SECRET_FILE", env["ZONING_SECRET_FILE"])  # for the re-runs
    path = world / kind.file
    base = tmp_path / "base.db"
    shutil.copy(world / "base.db", base)
    before = _content(base)

    # the uninterrupted import: the store after, and when the write lock is held
    reference = tmp_path / "reference.db"
    shutil.copy(base, reference)
    first, last, end = _calibrate(kind.command(reference, path), env, reference)
    after = _content(reference)
    assert after != before and _integrity(reference) == "ok"

    rng = random.Random(f"{SEED}-{kind.name}")
    figures = Figures()
    write = last - first
    for k in range(KILLS):
        db = tmp_path / f"kill{k}.db"
        shutil.copy(base, db)
        moment, delay = [
            ("run", rng.uniform(0, end * 1.05)),  # anywhere: start-up, reading, writing, exit
            ("write", rng.uniform(0, 0.5 * write)),  # while the transaction writes
            ("write", rng.uniform(0.8 * write, 1.2 * write)),  # around the commit
        ][k % 3]
        locked, code, at = _kill(kind.command(db, path), env, db, moment, delay, first)
        for _ in range(3 if k % 3 == 1 else 0):  # aimed at the writing but missed it (a busy
            if locked:  # machine stretches the timing): again, as soon as the lock is seen
                break
            shutil.copy(base, db)
            locked, code, at = _kill(kind.command(db, path), env, db, moment, 0.0, first)
        figures.kills += code == -signal.SIGKILL
        figures.mid_transaction += locked
        figures.mid_write_class += locked and k % 3 == 1
        figures.wal_left += _wal_frames(db)
        figures.moments.append(round(at, 3))

        assert _integrity(db) == "ok", f"kill {k} at {at:.3f} s"
        state = _content(db)
        differ = sorted(t for t in state if state[t] != before.get(t))
        assert state in (before, after), (
            f"kill {k} at {at:.3f} s left a store that is neither the store before the import "
            f"nor the store after it (tables {differ} differ from before)"
        )
        if state == before:
            figures.before_commit += 1
        else:
            figures.after_commit += 1
            # (possible only in the instant between writing the commit and freeing the lock)
            figures.locked_after += locked
        # the import again: it succeeds and gives the uninterrupted import's store
        _again(kind, db, path)
        assert _integrity(db) == "ok" and _content(db) == after, f"re-run after kill {k}"
        for leftover in tmp_path.glob(f"kill{k}.db*"):
            leftover.unlink()

    report = (
        f"{kind.name}: {figures.kills} kills of {KILLS} runs ({figures.mid_transaction} "
        f"mid-transaction, {figures.locked_after} of them after the commit), "
        f"{figures.before_commit} left the store as before, "
        f"{figures.after_commit} as after, all intact; {figures.wal_left} left WAL frames; "
        f"run {end:.2f} s, write lock held {first:.2f}-{last:.2f} s"
    )
    with capsys.disabled():
        print("\n" + report)
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind.name, "kills": figures.kills, "runs": KILLS,
                                  "mid_transaction": figures.mid_transaction,
                                  "mid_transaction_committed": figures.locked_after,
                                  "before": figures.before_commit, "after": figures.after_commit,
                                  "wal_left": figures.wal_left, "run_s": round(end, 2),
                                  "write_s": [round(first, 2), round(last, 2)],
                                  "kill_moments_s": figures.moments}) + "\n")  # fmt: skip
    assert figures.kills >= KILLS // 2  # most kills landed while the import ran
    if KILLS >= 2:  # (the transaction lasts 0.5-2 s; a kill aimed at its first half hits it)
        assert figures.mid_write_class >= 1, "no kill landed while the transaction was writing"
