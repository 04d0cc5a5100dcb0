"""The demo's regions: the real boundaries of Jawa Tengah, estimated populations, generated RW/RT.

Real:

* the outlines, codes and names of the 35 regencies and cities, 576 districts and 8,563
  villages (``zoning/data/jawa-tengah/wilayah.parquet``, converted by
  ``tools/jateng_boundaries.py`` from cahyadsn/wilayah_boundaries, MIT; see the README beside
  the file). The province's outline is the union of its regencies';
* the 35 regency and city populations: BPS, *Hasil Sensus Penduduk 2020*
  (``zoning/data/jateng_regencies.csv``), 36,516,035 in all.

Estimated (:func:`village_populations`): each village's population is its regency's census
total shared out over the regency's villages in proportion to the square root of the
village's area, a kelurahan (urban, code ``x.x.x.1nnn``) weighing :data:`KELURAHAN_WEIGHT`
times a desa (code ``x.x.x.2nnn``) of the same area; the shares are rounded by largest
remainder, so a regency's villages add up exactly to its census total. A district's
population is the sum of its villages'.

Generated, from :data:`SEED`: RW and RT inside the smallest kelurahan of four districts of
Kota Semarang (Voronoi cells tiling the kelurahan's real outline), with populations split
at random from the kelurahan's.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from zoning.model.codes import normalise_code

#: Seed of every random draw of the demo.
SEED = 2021
PROVINCE_CODE = "33"
PROVINCE_NAME = "Jawa Tengah"
CRS = "EPSG:4326"
#: A kelurahan (urban village) holds this many times the people of a desa of the same area.
KELURAHAN_WEIGHT = 2.5
#: Where the boundaries come from (shown on the About page and on the map).
BOUNDARY_ATTRIBUTION = "Batas wilayah: cahyadsn/wilayah_boundaries (MIT, © 2024 Cahya DSN)"

# Kota Semarang: the smallest kelurahan of these districts get RW and RT (PPKM Mikro demo).
_RT_CITY = "33.74"
_RT_DISTRICTS = ("01", "02", "03", "04")
_BOUNDARIES = ("jawa-tengah", "wilayah.parquet")

# Streams of random numbers, one per concern, so that changing one leaves the others alone.
STREAM_GEOMETRY, STREAM_POPULATION, STREAM_INTENSITY, STREAM_COUNTS, STREAM_HOUSES = range(5)
STREAM_ARRIVALS = 5  # when the counts arrived (zoning.demo.arrivals)

#: One region: code, name, level, parent, population, geometry.
_Row = tuple[str, str, str, str | None, int, BaseGeometry]


def regency_table() -> pd.DataFrame:
    """The 35 regencies and cities of Jawa Tengah (real codes, names, SP2020 populations).

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name, kind, population, lat, lon``; ``lat, lon`` is the seat of
        government.
    """
    source = resources.files("zoning").joinpath("data").joinpath("jateng_regencies.csv")
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"code": str, "name": str, "kind": str})
    table["code"] = [normalise_code(c) for c in table["code"]]
    table["population"] = table["population"].astype("int64")
    return table


@lru_cache(maxsize=1)
def _boundaries_cached() -> gpd.GeoDataFrame:
    source = resources.files("zoning").joinpath("data")
    for part in _BOUNDARIES:
        source = source.joinpath(part)
    with resources.as_file(source) as path:
        table = gpd.read_parquet(path)
    shapes = table.geometry.to_numpy()
    invalid = ~shapely.is_valid(shapes)
    if invalid.any():  # repaired when converted; kept valid here whatever the file holds
        shapes[invalid] = shapely.make_valid(shapes[invalid], method="structure")
        table = table.set_geometry(shapes)
    return table


def boundaries() -> gpd.GeoDataFrame:
    """The real regions of Jawa Tengah, the province down to villages, without populations.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code, name, level, parent, area_km2, geometry`` (EPSG:4326): one province,
        35 regencies and cities, 576 districts, 8,563 villages.
    """
    return _boundaries_cached().copy()


def village_populations(villages: pd.DataFrame, regencies: pd.DataFrame) -> np.ndarray:
    """Estimated populations of ``villages`` (columns ``code, area_km2``), in their order.

    Each regency's total (``regencies``: ``code, population``) is shared out over its
    villages in proportion to ``sqrt(area_km2)``, times :data:`KELURAHAN_WEIGHT` for a
    kelurahan, and rounded by largest remainder: the villages of a regency add up exactly to
    its total, and every village has at least one person.
    """
    codes = villages["code"].to_numpy(dtype=object)
    regency = np.array([c[:5] for c in codes])
    kelurahan = np.array([c.rsplit(".", 1)[1].startswith("1") for c in codes])
    weight = np.sqrt(villages["area_km2"].to_numpy(dtype="float64"))
    weight = weight * np.where(kelurahan, KELURAHAN_WEIGHT, 1.0)
    out = np.zeros(len(codes), dtype="int64")
    totals = dict(zip(regencies["code"], regencies["population"], strict=True))
    for code in np.unique(regency):
        rows = np.flatnonzero(regency == code)
        out[rows] = _largest_remainder(int(totals[code]), weight[rows])
    return out


def _largest_remainder(total: int, weight: np.ndarray) -> np.ndarray:
    """``total`` shared in proportion to ``weight``: whole numbers of at least 1 that sum to
    ``total``, the leftover units going to the largest remainders (ties: the first)."""
    n = len(weight)
    share = (total - n) * weight / weight.sum()
    whole = np.floor(share).astype("int64")
    left = total - n - int(whole.sum())
    order = np.argsort(-(share - whole), kind="stable")
    whole[order[:left]] += 1
    return whole + 1


def demo_regions(seed: int = SEED) -> gpd.GeoDataFrame:
    """All regions of the demo province, from the province down to RT.

    Parameters
    ----------
    seed : int
        Seed of the generated RW and RT; the default gives the built-in demo.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code, name, level, parent, population, geometry`` (EPSG:4326), one row per
        region: the real province, 35 regencies and cities, 576 districts and 8,563 villages,
        and generated RW/RT inside four kelurahan of Kota Semarang. Every parent's population
        is the sum of its children's; RW and RT tile their kelurahan exactly.
    """
    return _regions_cached(seed).copy()


@lru_cache(maxsize=2)
def _regions_cached(seed: int) -> gpd.GeoDataFrame:
    return build_regions(seed)


def build_regions(seed: int) -> gpd.GeoDataFrame:
    """Build :func:`demo_regions` without the cache."""
    geo_rng = np.random.default_rng([seed, STREAM_GEOMETRY])
    pop_rng = np.random.default_rng([seed, STREAM_POPULATION])
    table = regency_table()
    real = boundaries()
    villages = real[real["level"] == "village"]
    population = pd.Series(village_populations(villages, table), index=villages["code"])
    districts = villages.groupby("parent")["code"].count().index
    by_district = population.groupby(population.index.str[:8]).sum()
    population = pd.concat(
        [
            pd.Series([int(table["population"].sum())], index=[PROVINCE_CODE]),
            table.set_index("code")["population"],
            by_district.reindex(districts),
            population,
        ]
    )
    frame = real.drop(columns="area_km2")
    frame["population"] = population.reindex(frame["code"]).to_numpy()
    if frame["population"].isna().any():  # pragma: no cover - every district has villages
        raise ValueError("a district of the boundaries has no villages")
    frame["population"] = frame["population"].astype("int64")
    frame["parent"] = frame["parent"].where(frame["level"] != "province", None)

    # RW and RT go into the smallest kelurahan of a few districts of Kota Semarang.
    extra: list[_Row] = []
    for district in (f"{_RT_CITY}.{d}" for d in _RT_DISTRICTS):
        inside = frame[(frame["parent"] == district) & frame["code"].str[9].eq("1")]
        smallest = inside.sort_values(["population", "code"]).iloc[0]
        extra += _neighbourhoods(
            geo_rng,
            pop_rng,
            smallest["code"],
            int(smallest["population"]),
            smallest.geometry,
        )
    rows = pd.DataFrame(extra, columns=["code", "name", "level", "parent", "population", "geom"])
    below = gpd.GeoDataFrame(rows.drop(columns="geom"), geometry=list(rows["geom"]), crs=CRS)
    out = pd.concat([frame, below], ignore_index=True)
    out["population"] = out["population"].astype("int64")
    out = out[["code", "name", "level", "parent", "population", "geometry"]]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS).reset_index(drop=True)


def _neighbourhoods(
    geo_rng: np.random.Generator,
    pop_rng: np.random.Generator,
    village: str,
    population: int,
    geom: BaseGeometry,
) -> list[_Row]:
    """RW (4-6) and RT (4-8 per RW) rows inside one village."""
    rows: list[_Row] = []
    n_rw = int(geo_rng.integers(4, 7))
    rw_pops = _split(pop_rng, population, n_rw)
    for i, (rw_geom, rw_pop) in enumerate(zip(_tile(geo_rng, geom, n_rw), rw_pops, strict=True), 1):
        rw_code = f"{village}.{i:03d}"
        rows.append((rw_code, f"RW {i:03d}", "rw", village, rw_pop, rw_geom))
        n_rt = int(geo_rng.integers(4, 9))
        rt_pops = _split(pop_rng, rw_pop, n_rt)
        rts = _tile(geo_rng, rw_geom, n_rt)
        for j, (rt_geom, rt_pop) in enumerate(zip(rts, rt_pops, strict=True), 1):
            rt_code, rt_name = f"{rw_code}.{j:03d}", f"RT {j:03d}/RW {i:03d}"
            rows.append((rt_code, rt_name, "rt", rw_code, rt_pop, rt_geom))
    return rows


def _tile(rng: np.random.Generator, parent: BaseGeometry, k: int) -> list[BaseGeometry]:
    """Split ``parent`` into ``k`` Voronoi cells around well-spread random points inside it."""
    points = _generators(rng, parent, k)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=parent, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):  # pragma: no cover - GEOS guarantees one cell per point
        raise RuntimeError("Voronoi diagram lost a generator")
    return [_polygonal(cell) for cell in shapely.intersection(cells, parent)]


def _generators(rng: np.random.Generator, geom: BaseGeometry, k: int) -> np.ndarray:
    """``k`` random points inside ``geom``, spread out by a few rounds of Lloyd's algorithm."""
    candidates = _sample_inside(rng, geom, max(40 * k, 200))
    centres = candidates[rng.choice(len(candidates), size=k, replace=False)]
    for _ in range(4):
        dist = ((candidates[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = dist.argmin(axis=1)
        for c in range(k):
            members = candidates[label == c]
            if len(members):
                # the member nearest the cluster mean: always inside, and never a duplicate
                mean = members.mean(axis=0)
                centres[c] = members[((members - mean) ** 2).sum(axis=1).argmin()]
    return centres


def _sample_inside(rng: np.random.Generator, geom: BaseGeometry, n: int) -> np.ndarray:
    """``n`` uniform random points strictly inside ``geom``."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        found.append(xy)
        total += len(xy)
    return np.vstack(found)[:n]


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of ``geom``, made valid (drops stray lines and points)."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon)]
    if not parts:
        raise ValueError("generated region has no area")
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _split(rng: np.random.Generator, total: int, k: int) -> list[int]:
    """Split ``total`` people into ``k`` positive integers that sum exactly to ``total``."""
    shares = rng.dirichlet(np.full(k, 8.0))
    counts = rng.multinomial(total - k, shares) + 1
    return [int(c) for c in counts]
