"""Convert the Jawa Tengah boundaries (cahyadsn/wilayah_boundaries, MIT) into the demo's file.

Run once by a maintainer when the source changes; the project never reads the source at run
or test time::

    python tools/jateng_boundaries.py SOURCE_DIR [--out zoning/data/jawa-tengah/wilayah.parquet]

``SOURCE_DIR`` holds ``kabupaten.gpkg.xz``, ``kecamatan.gpkg.xz`` and ``desa.gpkg.xz`` (or the
unpacked ``.gpkg``), one layer each with properties ``kode`` and ``nama`` (EPSG:4326). The
output is one GeoParquet file of every region, the province first, with columns ``code, name,
level, parent, area_km2, geometry``:

* rings that are invalid as published are repaired (``shapely.make_valid``, ``structure``
  method: a self-intersecting ring or a nested shell becomes valid polygons covering the same
  area); nothing else in a shape is changed;
* the province (code ``33``), which the source lacks, is the union of the regencies;
* ``parent`` is the code one level up; ``area_km2`` is measured in UTM zone 49S (EPSG:32749).

``--compare`` also times loading the same table from GeoPackage and GeoParquet (the numbers
behind the choice of GeoParquet, ``zoning/data/jawa-tengah/README.md``).
"""

from __future__ import annotations

import argparse
import lzma
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

LAYERS = (("kabupaten", "regency"), ("kecamatan", "district"), ("desa", "village"))
PROVINCE = ("33", "Jawa Tengah")
AREA_CRS = "EPSG:32749"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "zoning/data/jawa-tengah/wilayah.parquet"


def _read_layer(folder: Path, stem: str) -> gpd.GeoDataFrame:
    plain, packed = folder / f"{stem}.gpkg", folder / f"{stem}.gpkg.xz"
    if plain.exists():
        return gpd.read_file(plain)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{stem}.gpkg"
        out.write_bytes(lzma.decompress(packed.read_bytes()))
        return gpd.read_file(out)


def convert(folder: Path) -> tuple[gpd.GeoDataFrame, int]:
    """Every region of the source, repaired, with the province added; and how many shapes
    were repaired."""
    frames = []
    for stem, level in LAYERS:
        layer = _read_layer(folder, stem).to_crs("EPSG:4326")
        frame = pd.DataFrame(
            {"code": layer["kode"].astype(str), "name": layer["nama"].astype(str).str.strip()}
        )
        frame["level"] = level
        up = frame["code"].str.rsplit(".", n=1).str[0]
        frame["parent"] = PROVINCE[0] if level == "regency" else up
        frames.append(gpd.GeoDataFrame(frame, geometry=layer.geometry.values, crs="EPSG:4326"))
    table = pd.concat(frames, ignore_index=True)
    shapes = table.geometry.values
    invalid = ~shapely.is_valid(shapes)
    shapes[invalid] = shapely.make_valid(shapes[invalid], method="structure")
    table = table.set_geometry(shapes)
    province = shapely.union_all(table.loc[table["level"] == "regency"].geometry.values)
    top = gpd.GeoDataFrame(
        {"code": [PROVINCE[0]], "name": [PROVINCE[1]], "level": ["province"], "parent": [None]},
        geometry=[province],
        crs="EPSG:4326",
    )
    table = pd.concat([top, table], ignore_index=True)
    table["area_km2"] = table.geometry.to_crs(AREA_CRS).area.to_numpy() / 1e6
    table = table[["code", "name", "level", "parent", "area_km2", "geometry"]]
    return gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326"), int(invalid.sum())


def _time(read, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        read()
        best = min(best, time.perf_counter() - start)
    return best


def compare(table: gpd.GeoDataFrame) -> None:
    """Load times (best of 5) and sizes of the same table in a few forms."""
    with tempfile.TemporaryDirectory() as tmp:
        forms = {
            "GeoPackage (pyogrio)": (Path(tmp) / "w.gpkg", lambda p: table.to_file(p), None),
            "GeoPackage (pyogrio, Arrow)": (Path(tmp) / "w.gpkg", None, {"use_arrow": True}),
            "GeoParquet (zstd)": (
                Path(tmp) / "zstd.parquet",
                lambda p: table.to_parquet(p, compression="zstd"),
                None,
            ),
            "GeoParquet (snappy)": (
                Path(tmp) / "snappy.parquet",
                lambda p: table.to_parquet(p, compression="snappy"),
                None,
            ),
        }
        for name, (path, write, options) in forms.items():
            if write is not None:
                write(path)
            if path.suffix == ".gpkg":
                seconds = _time(lambda p=path, o=options: gpd.read_file(p, **(o or {})))
            else:
                seconds = _time(lambda p=path: gpd.read_parquet(p))
            print(f"{name:30s} {path.stat().st_size / 1e6:6.1f} MB  load {seconds:.3f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args(argv)
    table, repaired = convert(args.source)
    if args.compare:
        compare(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(args.out, compression="zstd", write_covering_bbox=False)
    sizes = table["level"].value_counts()
    per_level = ", ".join(f"{sizes[lv]} {lv}" for lv in sizes.index)
    print(
        f"{args.out}: {len(table)} regions ({per_level}), {repaired} invalid shapes repaired, "
        f"{args.out.stat().st_size / 1e6:.1f} MB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
