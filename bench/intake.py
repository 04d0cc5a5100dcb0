"""Intake speed: a village boundary file and a large counts CSV, as analysts upload them.

Run by hand (not a test):  .venv/bin/python bench/intake.py [--villages 8563] [--rows 200000]

1. Boundaries: the generated villages of ``bench/geometry.py`` (about 90 vertices each,
   shared borders, 3 % multipolygons) written as a GeoPackage in UTM zone 49S, as a
   provincial GIS office would hand them over, then imported with
   :func:`zoning.intake.boundaries.import_regions` into a store that already holds the levels above.
   The time covers reading, reprojecting, checking, simplifying for display and writing.
2. Counts: a ``;``-separated file of ``rows`` rows with thousands separators read with
   :func:`zoning.intake.tables.read_cells` and checked with
   :func:`zoning.intake.tables.whole_numbers`.
3. Counts files as offices keep them, read and checked whole by
   :func:`zoning.intake.counts.read_counts` (layout, columns, places, numbers, daily values):
   ``rows`` region-days of 1,000 villages, long under a title row, and the same as a wide table.

Each step runs ``--repeat`` times; the best and the median are reported with the load average,
since a busy machine inflates every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geometry import bench_regions

from zoning.intake import tables
from zoning.intake.boundaries import import_regions
from zoning.store import Store


def boundary_import(villages: int, folder: Path) -> float:
    regions = bench_regions(villages)
    above = regions[regions["level"] != "village"]
    store = Store(str(folder / f"intake-{time.monotonic_ns()}.db"))
    with store.transaction() as conn:
        upload = store.record_upload(conn, "bench", "levels above", None, "bench", len(above), 0)
        store.write_regions(conn, above, upload)
    path = folder / "desa.gpkg"
    if not path.exists():
        village = regions[regions["level"] == "village"].drop(columns="level")
        village.to_crs("EPSG:32749").to_file(path, layer="desa")
    start = time.perf_counter()
    result = import_regions(store, path, "village")
    seconds = time.perf_counter() - start
    if result.report.has_errors or result.changed != villages:
        raise SystemExit(f"the import went wrong: {result.report}")
    store.engine.dispose()
    return seconds


def counts_csv(rows: int) -> float:
    body = "\n".join(f"{i % 365};33.{i % 35:02d};{i % 3000:,}" for i in range(rows))
    data = ("hari;kode;kasus\n" + body + "\n").encode()
    start = time.perf_counter()
    table = tables.read_cells(data)
    _, bad = tables.whole_numbers(table.frame["kasus"])
    seconds = time.perf_counter() - start
    if len(table.frame) != rows or bad.any():
        raise SystemExit("the CSV was not read whole")
    return seconds


def counts_file(rows: int, wide: bool) -> float:
    """``read_counts`` of a counts file of ``rows`` region-days (1,000 villages), long (a row
    per village and day) or wide (a row per village, a column per day), title row above."""
    import pandas as pd

    from zoning.intake.counts import read_counts

    villages = [f"33.74.{d:02d}.{1000 + v}" for d in range(1, 21) for v in range(1, 51)]
    days = pd.date_range("2021-01-01", periods=max(rows // len(villages), 1))
    regions = pd.DataFrame({"code": villages, "name": villages, "level": "village"})
    if wide:
        head = ";".join(["kode", *(f"{d:%d/%m/%Y}" for d in days)])
        body = [";".join([v, *(f"{(i + k) % 3000:,}" for k in range(len(days)))])
                for i, v in enumerate(villages)]  # fmt: skip
        data = ("Kasus Baru\n" + head + "\n" + "\n".join(body) + "\n").encode()
    else:
        body = [f"{d:%d/%m/%Y};{v};{(i + k) % 3000:,}" for k, d in enumerate(days)
                for i, v in enumerate(villages)]  # fmt: skip
        data = ("REKAP HARIAN\ntanggal;kode;kasus_baru\n" + "\n".join(body) + "\n").encode()
    start = time.perf_counter()
    frame, report = read_counts(data, regions)
    seconds = time.perf_counter() - start
    if report.has_errors or len(frame) != len(villages) * len(days):
        raise SystemExit(f"the counts file was not read whole: {report.summary()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--villages", type=int, default=8563)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        steps = {
            f"import {args.villages:,} villages (GeoPackage, UTM 49S)": lambda: boundary_import(
                args.villages, folder
            ),
            f"read and check a {args.rows:,}-row counts CSV": lambda: counts_csv(args.rows),
            f"read_counts, {args.rows:,} region-days, long with a title row": lambda: counts_file(
                args.rows, wide=False
            ),
            f"read_counts, {args.rows:,} region-days, wide (a column per day)": lambda: counts_file(
                args.rows, wide=True
            ),
        }
        for name, step in steps.items():
            times = [step() for _ in range(args.repeat)]
            print(f"{name}: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
                  f"({args.repeat} runs)")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
