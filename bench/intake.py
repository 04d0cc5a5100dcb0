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
        }
        for name, step in steps.items():
            times = [step() for _ in range(args.repeat)]
            print(f"{name}: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
                  f"({args.repeat} runs)")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
