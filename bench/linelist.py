"""Line-list import throughput: a million NIK rows into a fresh SQLite store, against DuckDB.

Run by hand (not a test):  .venv/bin/python bench/linelist.py [--rows N] [--profile] [--postgres]

Generates a realistic line list of the demo province (``zoning.demo.demo_regions``): NIKs of
valid structure (place of registration mostly the case's district, women's day of birth +40),
about 5% of rows repeating a person within the same episode, about 2% re-infections 90 or
more days later, about 1% of rows without a valid NIK (a spreadsheet's 3.37401E+15, 15 or 17
digits, letters, a 31st of February...), households by No. KK or by messily written address,
and RT codes in the four demo kelurahan that have RTs. Then it times
``zoning.intake.linelist.import_linelist`` into a fresh SQLite store holding only the demo regions,
and DuckDB's ``read_csv`` of the same file (``count(*)`` and ``count(distinct nik)``) as the
floor: the least any import must spend to read the file once. Finally it times a second,
daily-sized upload (1% of the rows, partly people already stored) into the full store, and
the first file again: right away (a duplicate, not read) and after the daily upload (read,
found to change nothing and rolled back: see :mod:`zoning.intake.envelope`). With
``--postgres`` the first import is timed again into a throwaway PostgreSQL server (the tests'
one, ``tests/postgres.py``; the register and counts go in by ``COPY``).

The key file, the CSV and the store live in a temporary folder that is removed at the end
(``--keep`` keeps it). Nothing is written to the home folder.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from procs import cpu_check  # bench/ is on the path when run as a script

from zoning import demo
from zoning.intake.linelist import import_linelist
from zoning.store import Store

STREETS = ("Melati", "Mawar", "Kenanga", "Pemuda", "Diponegoro", "Pandanaran", "Imam Bonjol",
           "Ngesrep Timur", "Tlogosari Raya", "Kauman", "Gajah Mada")  # fmt: skip
INVALID = ("number", "short", "long", "letters", "month", "feb31", "serial", "empty")


def _niks(rng: np.random.Generator, prefixes: np.ndarray) -> np.ndarray:
    """Valid NIKs (as int64) for the given 6-digit prefixes: day of birth (+40 for women),
    month, year and a serial number."""
    n = len(prefixes)
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 29_000, n), unit="D")
    day = born.day.to_numpy() + 40 * (rng.random(n) < 0.5)
    dob = day * 10_000 + born.month.to_numpy() * 100 + born.year.to_numpy() % 100
    serial = rng.integers(1, 10_000, n)
    return prefixes.astype(np.int64) * 10**10 + dob.astype(np.int64) * 10**4 + serial


def _addresses(rng: np.random.Generator, n: int, rt: np.ndarray, rw: np.ndarray) -> np.ndarray:
    """Addresses written the many ways people write them."""
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]
    number = rng.integers(1, 200, n).astype(str)
    style = rng.integers(0, 4, n)
    out = np.empty(n, dtype=object)
    for k in range(n):
        s, no, t, w = street[k], number[k], rt[k], rw[k]
        match style[k]:
            case 0:
                out[k] = f"Jl. {s} No. {no} RT {t:03d}/RW {w:03d}"
            case 1:
                out[k] = f"JL {s.upper()} NO.{no} RT.{t:02d} RW.{w:02d}"
            case 2:
                out[k] = f"jln {s.lower()} {no}, rt/rw {t:03d}/{w:03d}"
            case _:
                out[k] = f"Jalan {s} nomor {no} RT{t} RW{w}"
    return out


def generate(path: Path, rows: int, seed: int = 2021) -> dict[str, int]:
    """Write a line list of ``rows`` rows to ``path``; return what it holds."""
    rng = np.random.default_rng(seed)
    regions = demo.demo_regions()
    villages = regions[regions["level"] == "village"].reset_index(drop=True)
    rts = regions[regions["level"] == "rt"]
    rt_village = rts["code"].str.slice(0, 13)
    rts_of = {v: list(g) for v, g in rts["code"].groupby(rt_village)}

    n_invalid = int(rows * 0.01)
    n_repeat = int(rows * 0.05)
    n_again = int(rows * 0.02)
    n_people = rows - n_invalid - n_repeat - n_again

    # households: a village (by population; RT kelurahan boosted so that houses_7d has data),
    # a No. KK for most, an address for some, nothing for a few
    n_house = int(n_people / 2.6)
    weight = villages["population"].to_numpy(float)
    weight[villages["code"].isin(list(rts_of)).to_numpy()] *= 40
    house_village = rng.choice(len(villages), size=n_house, p=weight / weight.sum())
    v_code = villages["code"].to_numpy(dtype=object)[house_village]
    house_region = v_code.copy()
    for k in np.flatnonzero(pd.Series(v_code).isin(list(rts_of)).to_numpy()):
        choices = rts_of[v_code[k]]
        house_region[k] = choices[rng.integers(0, len(choices))]
    prefix = np.array([int(c.replace(".", "")[:6]) for c in v_code], dtype=np.int64)
    kk = _niks(rng, prefix)  # a No. KK looks like a NIK (place, date of issue, serial)
    rw_no = rng.integers(1, 12, n_house)
    rt_no = rng.integers(1, 15, n_house)
    address = _addresses(rng, n_house, rt_no, rw_no)
    kind = rng.random(n_house)  # < .75 No. KK; < .95 address only; else nothing

    # people: each in a household; registered in the household's district, or elsewhere
    person_house = rng.integers(0, n_house, n_people)
    p_prefix = prefix[person_house].copy()
    away = rng.random(n_people) < 0.1
    p_prefix[away] = rng.choice([317101, 327301, 357801, 340401], size=int(away.sum()))
    nik = _niks(rng, p_prefix)
    while True:  # distinct people have distinct NIKs
        first = np.unique(nik, return_index=True)[1]
        dup = np.setdiff1d(np.arange(n_people), first)
        if not len(dup):
            break
        nik[dup] = _niks(rng, p_prefix[dup])

    # confirmation dates: two waves and a background, over the demo period
    n_days = (demo.DEMO_AS_OF - demo.DEMO_START).days + 1
    wave = rng.random(n_people)
    day = np.where(
        wave < 0.3,
        rng.normal(140, 25, n_people),
        np.where(wave < 0.85, rng.normal(315, 20, n_people), rng.uniform(0, n_days, n_people)),
    )
    day = np.clip(np.round(day), 0, n_days - 1).astype(int)

    # the same episode again (a second test), and re-infections 90+ days later
    rep = rng.integers(0, n_people, n_repeat)
    rep_day = np.minimum(day[rep] + rng.integers(0, 14, n_repeat), n_days - 1)
    late = np.flatnonzero(day < n_days - 120)
    again = late[rng.integers(0, len(late), n_again)]
    again_day = np.minimum(day[again] + rng.integers(90, 240, n_again), n_days - 1)
    who = np.concatenate([np.arange(n_people), rep, again])
    when = np.concatenate([day, rep_day, again_day])

    nik_text = nik[who].astype(str).astype(object)
    house = person_house[who]
    frame = pd.DataFrame(
        {
            "nik": nik_text,
            "tanggal_konfirmasi": (
                pd.Timestamp(demo.DEMO_START) + pd.to_timedelta(when, unit="D")
            ).strftime("%Y-%m-%d"),
            "kode_desa": house_region[house],
            "no_kk": np.where(kind[house] < 0.75, kk[house].astype(str), ""),
            "alamat": np.where((kind[house] >= 0.75) & (kind[house] < 0.95), address[house], ""),
            "jenis_kelamin": np.where(
                (nik[who] // 10**8) % 100 > 40, "P", "L"
            ),  # day of birth > 40: a woman
        }
    )

    # rows without a valid NIK
    bad = pd.DataFrame(
        {
            "nik": [
                _invalid(rng, INVALID[k % len(INVALID)], int(v))
                for k, v in enumerate(rng.choice(nik, n_invalid))
            ],
            "tanggal_konfirmasi": frame["tanggal_konfirmasi"].sample(n_invalid, random_state=1),
            "kode_desa": frame["kode_desa"].sample(n_invalid, random_state=2).to_numpy(),
            "no_kk": "",
            "alamat": "",
            "jenis_kelamin": "L",
        }
    )
    bad["tanggal_konfirmasi"] = bad["tanggal_konfirmasi"].to_numpy()
    frame = pd.concat([frame, bad], ignore_index=True)
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    some = rng.random(len(frame)) < 0.3  # some dates day first, as Indonesian sheets do
    iso = pd.to_datetime(frame.loc[some, "tanggal_konfirmasi"])
    frame.loc[some, "tanggal_konfirmasi"] = iso.dt.strftime("%d/%m/%Y")
    frame.to_csv(path, index=False)
    return {
        "rows": len(frame),
        "people": n_people,
        "repeat_rows": n_repeat,
        "reinfection_rows": n_again,
        "invalid_rows": n_invalid,
        "households": n_house,
    }


def _invalid(rng: np.random.Generator, kind: str, nik: int) -> str:
    text = str(nik)
    match kind:
        case "number":
            return f"{nik:.5E}"  # a spreadsheet's number: 3.37401E+15
        case "short":
            return text[:15]
        case "long":
            return text + "7"
        case "letters":
            return text[:7] + "O" + text[8:]
        case "month":
            return text[:8] + "13" + text[10:]
        case "feb31":
            return text[:6] + "3102" + text[10:]
        case "serial":
            return text[:12] + "0000"
        case _:
            return ""


def daily_file(source: Path, path: Path, rows: int, seed: int = 7) -> None:
    """A later upload: half people already in ``source`` (days to months later), half new."""
    rng = np.random.default_rng(seed)
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame = frame[frame["tanggal_konfirmasi"].str.contains("-")]
    later = frame.sample(rows, random_state=seed).reset_index(drop=True)
    shift = pd.to_timedelta(rng.integers(1, 150, rows), unit="D")
    later["tanggal_konfirmasi"] = (pd.to_datetime(later["tanggal_konfirmasi"]) + shift).dt.strftime(
        "%Y-%m-%d"
    )
    fresh = later.index >= rows // 2
    serial = rng.integers(1, 10_000, int(fresh.sum()))
    niks = later.loc[fresh, "nik"]
    later.loc[fresh, "nik"] = [
        n[:12] + f"{s:04d}" if len(n) == 16 else n for n, s in zip(niks, serial, strict=True)
    ]
    later.to_csv(path, index=False)


def _duckdb(path: Path) -> tuple[float, float, int, int]:
    """Seconds for DuckDB's ``count(*)`` and ``count(distinct nik)`` of the file, and both."""
    import duckdb

    start = time.perf_counter()
    n = duckdb.sql(f"select count(*) from read_csv('{path}')").fetchall()[0][0]
    middle = time.perf_counter()
    distinct = duckdb.sql(f"select count(distinct nik) from read_csv('{path}')").fetchall()[0][0]
    return middle - start, time.perf_counter() - middle, n, distinct


def _store(url: str) -> Store:
    """A store holding the demo regions only."""
    store = Store(url)
    regions = demo.demo_regions()
    with store.transaction() as conn:
        upload = store.record_upload(conn, "demo", "regions", None, "bench", len(regions), 0)
        store.write_regions(conn, regions, upload)
    return store


def _postgres(path: Path, floor: float) -> None:
    """The same import into a throwaway PostgreSQL server (the tests' one: Debian's
    binaries, a Unix socket in a temporary folder, removed afterwards)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from postgres import postgres_server

    with postgres_server() as url:
        store = _store(url)
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = import_linelist(store, path, filename=path.name, author="bench")
        seconds = time.perf_counter() - start
        print(f"import_linelist into PostgreSQL (COPY): {seconds:.1f} s (CPU of this process "
              f"{time.process_time() - cpu:.1f} s; ratio to duckdb {seconds / floor:.1f}x) "
              f"-> {result.summary()}")  # fmt: skip
        store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="print the import's profile")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--first-only", action="store_true",
                        help="only the first import (no daily upload, no file again)")  # fmt: skip
    parser.add_argument("--postgres", action="store_true",
                        help="also import into a throwaway PostgreSQL server (COPY)")  # fmt: skip
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="zoning-bench-linelist-"))
    os.environ["ZONING_SECRET_FILE"] = str(folder / "nik-secret")
    try:
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"pandas {pd.__version__}; folder {folder}")  # fmt: skip
        print(f"CPU check (bench/procs.py cpu_check): {cpu_check():.0f} ms")
        started = time.perf_counter()
        path = folder / "linelist.csv"
        facts = generate(path, args.rows)
        size = path.stat().st_size / 2**20
        print(f"generated {path.name}: {facts['rows']:,} rows, {size:.0f} MB "
              f"({time.perf_counter() - started:.1f} s): {facts}")  # fmt: skip

        store = _store(str(folder / "bench.db"))
        gc.collect()  # the generator's garbage is not the import's to collect
        profiler = cProfile.Profile() if args.profile else None
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = import_linelist(store, path, filename=path.name, author="bench")
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        seconds = time.perf_counter() - start
        used = time.process_time() - cpu
        if hasattr(store, "wait_for_checkpoint"):  # the WAL's checkpoint, on its own thread
            store.wait_for_checkpoint()
        print(f"import_linelist: {seconds:.1f} s (CPU of this process {used:.1f} s; the "
              f"checkpoint after it done at {time.perf_counter() - start:.1f} s, CPU "
              f"{time.process_time() - cpu:.1f} s)  -> {result.summary()}")  # fmt: skip
        keep = ("rows_invalid_nik", "rows_unverified", "people_in_file", "episodes_new",
                "episodes_reinfection", "rows_repeat_in_file", "region_days_written")  # fmt: skip
        print("  " + ", ".join(f"{k}={result.report.facts[k]:,}" for k in keep))

        count, count_distinct, n, distinct = _duckdb(path)
        floor = count + count_distinct
        print(f"duckdb read_csv: count(*) {count:.2f} s ({n:,} rows), count(distinct nik) "
              f"{count_distinct:.2f} s ({distinct:,}); both {floor:.2f} s")  # fmt: skip
        print(f"ratio import / duckdb (both queries): {seconds / floor:.1f}x")
        if args.postgres:
            _postgres(path, floor)
        if args.first_only:
            return
        start = time.perf_counter()
        again = import_linelist(store, path, filename=path.name, author="bench")
        print(f"same file again, right away: {time.perf_counter() - start:.1f} s -> "
              f"{again.summary()}")  # fmt: skip

        daily = folder / "daily.csv"
        daily_file(path, daily, max(args.rows // 100, 100))
        start = time.perf_counter()
        result = import_linelist(store, daily, filename=daily.name, author="bench")
        print(f"daily upload ({result.rows:,} rows into a register of "
              f"{store.case_count() - result.changed:,} positive dates): "
              f"{time.perf_counter() - start:.1f} s -> {result.summary()}")  # fmt: skip
        start = time.perf_counter()
        again = import_linelist(store, path, filename=path.name, author="bench")
        print(f"same file again, after the daily upload: {time.perf_counter() - start:.1f} s "
              f"-> {again.summary()}")  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
