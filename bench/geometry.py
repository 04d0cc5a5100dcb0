"""Generated regions of realistic shape for the map benchmark (``bench/map.py``).

Run by hand to see what a size gives:  .venv/bin/python bench/geometry.py [--n 8563]

``n`` villages tile an area the size of Jawa Tengah (a rough outline with a wiggly coast).
They are Voronoi cells of a jittered hexagonal grid whose every edge is replaced by a seeded
wiggly line (midpoint displacement), drawn once and used by both neighbours, so neighbours
share exactly the same border vertices, as real boundaries do. An edge gets more vertices the
longer it is: about 90 per village on average at every size (8,563 villages: 777,618
vertices; the real ones of Jawa Tengah: 774,000). About 3% of the villages are multipolygons:
an island off the coast, an exclave (a pocket inside a village two cells away, which gets a
hole), or a cell cut in two by the coast. Above the villages: the province ``33``, the real
regencies nearest to them (codes and names from :func:`zoning.demo.regency_table`), districts
of ~15 villages each.

Counts: ``new_cases``, ``admissions`` and ``deaths`` for :data:`DAYS` days from
:data:`START`, a province-wide wave with moving local outbreaks, so zones differ from day to
day and from place to place. Everything is a function of ``(n, seed)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from zoning.demo import regency_table
from zoning.store import Store

SEED = 5
SIZES = (35, 576, 8563, 30000)
START = dt.date(2021, 6, 1)
DAYS = 90
#: Villages per district in Jawa Tengah (8,563 / 576); a district code has two digits.
VILLAGES_PER_DISTRICT = 14.87
#: Segments of an edge of average length (a cell has ~6 edges: ~90 vertices a village).
SEGMENTS_PER_EDGE = 14
#: Largest sideways step of a midpoint, as a share of the segment it splits.
ROUGHNESS = 0.2
#: Share of the villages that are multipolygons (islands and exclaves, beside coast cuts).
MULTI_SHARE = 0.03
#: Weekly new cases per 100,000 in the whole province (day, value): a wave peaking mid-July.
WAVE = ((0, 25.0), (20, 60.0), (45, 200.0), (65, 110.0), (DAYS - 1, 35.0))

# A rough outline of Jawa Tengah (lon, lat), clockwise from the north-west.
OUTLINE = (
    (108.80, -6.78), (109.14, -6.84), (109.68, -6.86), (110.20, -6.89), (110.42, -6.94),
    (110.57, -6.83), (110.64, -6.58), (110.80, -6.42), (110.98, -6.43), (111.10, -6.65),
    (111.69, -6.76), (111.62, -7.10), (111.12, -7.32), (111.20, -7.62), (110.95, -8.20),
    (110.80, -7.85), (110.45, -7.60), (110.12, -7.75), (110.03, -7.90), (109.25, -7.72),
    (108.80, -7.72), (108.55, -7.25), (108.60, -7.00),
)  # fmt: skip
BENCH_NOTE = {
    "id": "Data benchmark: wilayah dan angka kasus dibuat secara acak.",
    "en": "Benchmark data: regions and case counts are randomly generated.",
}


def village_shapes(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """``n`` village polygons tiling the outline, with shared wiggly borders.

    Returns
    -------
    sites : numpy.ndarray
        ``(n, 2)`` lon/lat of a point inside each village (its Voronoi generator).
    geoms : numpy.ndarray of shapely geometries
        Polygons and a few multipolygons, valid, in the order of ``sites``.
    """
    rng = np.random.default_rng([seed, n])
    area = Polygon(OUTLINE)
    spacing = np.sqrt(area.area / n) * 0.62 / SEGMENTS_PER_EDGE  # hexagon edge / segments
    coast = _wiggly_ring(rng, np.asarray(OUTLINE), spacing)
    land = Polygon(coast)
    shapely.prepare(land)
    sites = _sites(rng, land, n)
    frame = shapely.box(*shapely.buffer(land, 1.0).bounds)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=frame, ordered=True)
    )
    lines = [*_wiggly_edges(rng, cells, spacing), shapely.linestrings(coast)]
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    inside = shapely.get_coordinates(shapely.point_on_surface(faces))
    faces = faces[shapely.contains_xy(land, inside[:, 0], inside[:, 1])]  # not the sea
    owner = np.full(len(faces), -1)
    pairs = shapely.STRtree(faces).query(shapely.points(sites), predicate="within")
    owner[pairs[1]] = pairs[0]
    if len(pairs[0]) != n or np.bincount(pairs[1]).max() > 1:
        raise RuntimeError(f"wiggly borders crossed (n={n}, seed={seed}); change the seed")
    stray = np.flatnonzero(owner < 0)  # pieces cut off by the coast: the nearest site's
    points = shapely.STRtree(shapely.points(sites))
    nearest = points.query_nearest(shapely.point_on_surface(faces[stray]), all_matches=False)
    owner[stray] = nearest[1]
    geoms = np.empty(n, dtype=object)
    geoms[owner] = faces
    for i in np.flatnonzero(np.bincount(owner, minlength=n) > 1):
        geoms[i] = shapely.coverage_union_all(faces[owner == i])
    _add_islands_and_exclaves(rng, geoms, sites, land, cells)
    if not shapely.is_valid(geoms).all():
        raise RuntimeError("a generated village is invalid; change the seed")
    return sites, geoms


def _wiggly_ring(rng: np.random.Generator, corners: np.ndarray, spacing: float) -> np.ndarray:
    """A closed ring through ``corners`` whose sides wiggle, with vertices ~``spacing`` apart."""
    ends = np.roll(corners, -1, axis=0)
    parts = []
    for a, b in zip(corners, ends, strict=True):
        depth = max(0, int(np.ceil(np.log2(np.hypot(*(b - a)) / spacing))))
        parts.append(_midpoint_displacement(rng, a[None], b[None], depth)[0, :-1])
    ring = np.vstack(parts)
    return np.vstack([ring, ring[:1]])


def _midpoint_displacement(
    rng: np.random.Generator,
    starts: np.ndarray,
    ends: np.ndarray,
    depth: int,
    most: float = np.inf,
) -> np.ndarray:
    """Wiggly lines from ``starts`` to ``ends`` (``(e, 2)``): ``(e, 2**depth + 1, 2)`` points.

    Each midpoint moves sideways by up to :data:`ROUGHNESS` times the segment it splits and
    never more than ``most``, so a line stays inside a narrow lens around its chord, lines
    meeting at a corner do not cross, and a long edge between two small cells stays between
    them.
    """
    m = 2**depth
    pts = np.empty((len(starts), m + 1, 2))
    pts[:, 0], pts[:, m] = starts, ends
    step = m
    while step > 1:
        half = step // 2
        mid = np.arange(half, m, step)
        a, b = pts[:, mid - half], pts[:, mid + half]
        d = b - a
        side = np.stack([-d[..., 1], d[..., 0]], axis=-1)
        most_share = np.minimum(ROUGHNESS, most / np.maximum(np.hypot(*d.T).T, 1e-12))
        shift = rng.uniform(-1, 1, size=(len(starts), len(mid))) * most_share
        pts[:, mid] = (a + b) / 2 + side * shift[..., None]
        step = half
    return pts


def _sites(rng: np.random.Generator, land: Polygon, n: int) -> np.ndarray:
    """Exactly ``n`` well-spread points inside ``land``: a jittered hexagonal grid."""
    step = np.sqrt(2 * land.area / (np.sqrt(3) * n))
    minx, miny, maxx, maxy = land.bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step * 0.866))
    gx += (np.arange(len(gx)) % 2)[:, None] * step / 2  # every other row half a step along
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    grid += rng.uniform(-0.3, 0.3, size=grid.shape) * step
    grid = grid[shapely.contains_xy(land, grid[:, 0], grid[:, 1])]
    if len(grid) > n:
        grid = grid[np.sort(rng.choice(len(grid), n, replace=False))]
    while len(grid) < n:  # fill the gaps with random points not too close to another
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(1, 2))
        near = np.hypot(*(grid - xy).T).min()
        if shapely.contains_xy(land, xy[0, 0], xy[0, 1]) and near > step / 2:
            grid = np.vstack([grid, xy])
    return grid


def _wiggly_edges(rng: np.random.Generator, cells: np.ndarray, spacing: float) -> list:
    """Every edge of the Voronoi ``cells`` once, as a wiggly line (frame edges stay straight).

    No point of a line strays more than about a sixth of an average edge from its chord.
    """
    most = spacing * SEGMENTS_PER_EDGE / 12
    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(cells), return_index=True)
    same = ring[:-1] == ring[1:]
    seg = np.hstack([xy[:-1][same], xy[1:][same]])
    swap = (seg[:, 0] > seg[:, 2]) | ((seg[:, 0] == seg[:, 2]) & (seg[:, 1] > seg[:, 3]))
    seg[swap] = seg[swap][:, [2, 3, 0, 1]]
    edges, count = np.unique(seg, axis=0, return_counts=True)
    inner = edges[count == 2]  # shared by two cells; the frame's edges appear once
    length = np.hypot(inner[:, 2] - inner[:, 0], inner[:, 3] - inner[:, 1])
    depth = np.clip(np.round(np.log2(np.maximum(length / spacing, 1))), 0, 8).astype(int)
    lines = list(shapely.linestrings(edges[count != 2].reshape(-1, 2, 2)))
    for d in np.unique(depth):
        part = inner[depth == d]
        wiggly = _midpoint_displacement(rng, part[:, :2], part[:, 2:], d, most)
        lines.extend(shapely.linestrings(wiggly))
    return lines


def _add_islands_and_exclaves(
    rng: np.random.Generator, geoms: np.ndarray, sites: np.ndarray, land: Polygon, cells
) -> None:
    """Make :data:`MULTI_SHARE` of the villages multipolygons, in place.

    A third get an island off their coast; the others an exclave: a pocket cut out of a
    village two cells away (that village gets the pocket as a hole).
    """
    n = len(geoms)
    wanted = max(1, round(MULTI_SHARE * n)) - int((shapely.get_type_id(geoms) == 6).sum())
    if wanted <= 0:
        return
    radius = np.sqrt(land.area / n / np.pi)
    coast = shapely.get_exterior_ring(land)
    coastal = shapely.STRtree(geoms).query(shapely.buffer(coast, radius / 20), "intersects")
    islands: list[Polygon] = []
    for i in rng.permutation(coastal)[: max(1, wanted // 3)]:
        shore = shapely.get_coordinates(coast.interpolate(coast.project(shapely.Point(sites[i]))))
        out = shore[0] - sites[i]
        centre = shore[0] + out / np.hypot(*out) * radius * 0.6
        island = Polygon(_wiggly_ring(rng, _disc(centre, radius * 0.25), radius / 20))
        if (
            island.is_valid
            and not island.intersects(land)
            and not any(island.intersects(other) for other in islands)
        ):
            islands.append(island)
            geoms[i] = MultiPolygon([*shapely.get_parts(geoms[i]), island])
    neighbours = shapely.STRtree(cells).query(cells, predicate="touches")
    adjacent = pd.Series(neighbours[1]).groupby(neighbours[0]).agg(set)
    taken: set[int] = set()
    for host in rng.permutation(n):
        if len(taken) >= 2 * (wanted - len(islands)):
            break
        if host in taken or shapely.get_type_id(geoms[host]) != 3:
            continue
        near = adjacent.get(host, set())
        far = sorted(set().union(*(adjacent.get(j, set()) for j in near)) - near - {host})
        if not far:
            continue
        owner = int(rng.choice(far))
        if owner in taken or shapely.get_type_id(geoms[owner]) != 3:
            continue
        pocket = Polygon(_wiggly_ring(rng, _disc(sites[host], radius * 0.2), radius / 25))
        if not (pocket.is_valid and geoms[host].contains(pocket.buffer(radius * 0.02))):
            continue
        holes = [r.coords for r in geoms[host].interiors]
        geoms[host] = Polygon(geoms[host].exterior.coords, [*holes, pocket.exterior.coords])
        geoms[owner] = MultiPolygon([geoms[owner], pocket])
        taken.update((host, owner))


def _disc(centre: np.ndarray, radius: float, k: int = 7) -> np.ndarray:
    """``k`` corners of a regular polygon around ``centre`` (clockwise)."""
    angle = -np.linspace(0, 2 * np.pi, k, endpoint=False)
    return centre + radius * np.column_stack([np.cos(angle), np.sin(angle)])


def bench_regions(n: int, seed: int = SEED) -> gpd.GeoDataFrame:
    """The province, its regencies and districts, and ``n`` generated villages.

    Each village belongs to the regency whose real seat is nearest; each regency's villages
    are grouped into districts of about :data:`VILLAGES_PER_DISTRICT` neighbours (k-means).
    Shapes of the upper levels are unions of their villages; populations are sums.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code, name, level, parent, population, geometry`` (EPSG:4326), as
        :meth:`zoning.store.Store.write_regions` takes it.
    """
    sites, geoms = village_shapes(n, seed)
    rng = np.random.default_rng([seed, n, 1])
    table = regency_table()
    seats = table[["lon", "lat"]].to_numpy()
    regency = ((sites[:, None, :] - seats[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    weight = rng.lognormal(0.0, 0.7, size=n)
    population = np.maximum(np.round(table["population"].sum() * weight / weight.sum()), 50)
    rows = []
    for r in np.unique(regency):
        rec = table.iloc[r]
        short = rec["name"].removeprefix("Kabupaten ")
        kota = rec["kind"] == "kota"
        members = np.flatnonzero(regency == r)
        k = int(np.clip(round(len(members) / VILLAGES_PER_DISTRICT), 1, 99))
        district = _kmeans(rng, sites[members], k)
        for d in range(1, district.max() + 2):
            d_code = f"{rec['code']}.{d:02d}"
            in_d = members[district == d - 1]
            in_d = in_d[np.lexsort((sites[in_d, 0], -sites[in_d, 1]))]  # north to south
            for v, i in enumerate(in_d, start=1):
                kind, first = ("Kelurahan", 1000) if kota else ("Desa", 2000)
                name = f"{kind} {short} {d}.{v}"
                rows.append((f"{d_code}.{first + v}", name, "village", d_code, population[i], i))
    villages = pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population", "i"])
    villages = gpd.GeoDataFrame(
        villages.drop(columns="i"), geometry=list(geoms[villages["i"]]), crs="EPSG:4326"
    )
    districts = _upper(villages, "district", lambda c: f"Kecamatan {_short(table, c)} {c[-2:]}")
    regencies = _upper(districts, "regency", lambda c: table.set_index("code").at[c, "name"])
    province = _upper(regencies, "province", lambda c: "Jawa Tengah")
    frames = [province, regencies, districts, villages]
    out = pd.concat(frames, ignore_index=True)
    out["population"] = out["population"].astype("int64")
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def _short(table: pd.DataFrame, district: str) -> str:
    """The regency name without ``Kabupaten``, for a district code."""
    return table.set_index("code").at[district[:5], "name"].removeprefix("Kabupaten ")


def _kmeans(rng: np.random.Generator, xy: np.ndarray, k: int, rounds: int = 6) -> np.ndarray:
    """Labels ``0..k'-1`` of ``k' <= k`` compact groups of points (Lloyd's algorithm)."""
    centres = xy[rng.choice(len(xy), k, replace=False)]
    for _ in range(rounds):
        label = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        for c in range(k):
            if (label == c).any():
                centres[c] = xy[label == c].mean(axis=0)
    label = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    order = np.lexsort((centres[:, 0], -centres[:, 1]))  # groups numbered north to south
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    return np.unique(rank[label], return_inverse=True)[1]


def _upper(children: gpd.GeoDataFrame, level: str, name) -> gpd.GeoDataFrame:
    """The parents of ``children``: the union of their shapes and the sum of their people."""
    rows = []
    for code, group in children.groupby("parent", sort=True):
        parent = code.rpartition(".")[0] or None
        shape = shapely.coverage_union_all(group.geometry.to_numpy())
        rows.append((code, name(code), level, parent, group["population"].sum(), shape))
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population", "g"])
    return gpd.GeoDataFrame(frame.drop(columns="g"), geometry=list(frame["g"]), crs="EPSG:4326")


def bench_counts(regions: pd.DataFrame, seed: int = SEED, days: int = DAYS) -> pd.DataFrame:
    """Daily ``new_cases, admissions, deaths`` of every village, ``days`` days (the first
    ``days`` of the :data:`WAVE` when fewer than :data:`DAYS`).

    The province's weekly rate follows :data:`WAVE`; each village has a lasting factor (a
    smooth map plus its own) and passes through a few of 3 x (number of regencies) local
    outbreaks that come and go over a few weeks.

    Returns
    -------
    pandas.DataFrame
        ``region, date, new_cases, admissions, deaths`` (float), one row per village-day.
    """
    rng = np.random.default_rng([seed, len(regions), 2])
    villages = regions[regions["level"] == "village"]
    n = len(villages)
    xy = shapely.get_coordinates(villages.geometry.representative_point().to_numpy())
    n_days = days
    days = np.arange(n_days)
    x, y = np.array(WAVE).T
    weekly = np.exp(np.interp(days, x, np.log(y)))

    def bumps(k: int, width: tuple[float, float]) -> np.ndarray:
        centres = rng.uniform(np.min(OUTLINE, axis=0), np.max(OUTLINE, axis=0), size=(k, 2))
        w = rng.uniform(*width, size=k)
        d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-d2 / (2 * w**2))

    lasting = bumps(40, (0.1, 0.4)) @ rng.normal(0.0, 0.7, size=40)
    lasting += rng.normal(0.0, 0.5, size=n)
    k = 105
    peak, spread = rng.uniform(-10, DAYS + 10, size=k), rng.uniform(6, 15, size=k)
    course = np.exp(-0.5 * ((days[None, :] - peak[:, None]) / spread[:, None]) ** 2)
    outbreaks = bumps(k, (0.05, 0.25)) @ (rng.uniform(1.0, 2.5, size=(k, 1)) * course)
    log_factor = lasting[:, None] + outbreaks
    factor = np.exp(log_factor - log_factor.mean())
    expected = weekly[None, :] / 7 / 1e5 * villages["population"].to_numpy()[:, None] * factor
    new_cases = rng.poisson(rng.gamma(2.0, 0.5, size=expected.shape) * expected)
    admissions = rng.poisson(0.12 * _lagged(expected, 3))
    deaths = rng.poisson(0.02 * _lagged(expected, 7))
    dates = pd.date_range(START, periods=n_days, freq="D")
    return pd.DataFrame(
        {
            "region": np.repeat(villages["code"].to_numpy(), n_days),
            "date": np.tile(dates.to_numpy(), n),
            "new_cases": new_cases.ravel().astype(float),
            "admissions": admissions.ravel().astype(float),
            "deaths": deaths.ravel().astype(float),
        }
    )


def _lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` delayed by ``lag`` days along axis 1 (the first day repeats before it)."""
    return np.hstack([np.repeat(values[:, :1], lag, axis=1), values[:, :-lag]])


def write_store(path: Path, n: int, seed: int = SEED, days: int = DAYS) -> dict:
    """Write ``n`` villages (and the levels above) with their counts into a new store.

    Returns a summary: regions per level, vertices (stored and display), multipolygons,
    region-days and seconds taken.
    """
    start = time.perf_counter()
    regions = bench_regions(n, seed)
    counts = bench_counts(regions, seed, days)
    generated = time.perf_counter() - start
    store = Store(str(path))
    with store.transaction() as conn:
        upload = store.record_upload(conn, "bench", f"bench n={n} seed={seed}", None, "bench",
                                     len(regions) + len(counts), 0)  # fmt: skip
        store.write_regions(conn, regions, upload)
        store.write_counts(conn, counts, upload)
        store.write_meta(conn, as_of=str(counts["date"].max().date()),
                         geometry_note=json.dumps(BENCH_NOTE))  # fmt: skip
    written = time.perf_counter()
    villages = regions[regions["level"] == "village"].geometry.to_numpy()
    display = store.geometries("village").geometry.to_numpy()
    # a large transaction is checkpointed on a thread of its own after its commit; once that
    # is done, closing the file folds what is left of the write-ahead log back in, so the
    # file can be renamed alone (renamed before, it lost the log and what was in it)
    store.wait_for_checkpoint()
    store.engine.dispose()
    return {
        "villages": n,
        "seed": seed,
        "regions": regions["level"].value_counts().reindex(regions["level"].unique()).to_dict(),
        "vertices": int(shapely.get_num_coordinates(villages).sum()),
        "display_vertices": int(shapely.get_num_coordinates(display).sum()),
        "multipolygons": int((shapely.get_type_id(villages) == 6).sum()),
        "region_days": len(counts),
        "first_day": str(START),
        "days": days,
        "generate_s": round(generated, 1),
        "write_s": round(written - start - generated, 1),
    }


def cached_store(n: int, folder: Path, seed: int = SEED, days: int = DAYS) -> tuple[Path, dict]:
    """A store of :func:`write_store`, built once per ``(n, seed, days)`` and this file's text.

    Kept as ``<folder>/map-<n>-seed<seed>[-d<days>]-<digest>.db`` with its summary beside it in
    ``.json``; a changed generator gives a new digest, so a stale store is never reused (it
    is deleted when the new one is built).
    """
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]
    tag = f"seed{seed}" if days == DAYS else f"seed{seed}-d{days}"
    path = folder / f"map-{n}-{tag}-{digest}.db"
    info = path.with_suffix(".json")
    if path.exists() and info.exists():
        return path, json.loads(info.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"map-{n}-{tag}-*"):  # other generators' and half-built ones
        old.unlink()
    partial = path.with_suffix(".partial.db")
    summary = write_store(partial, n, seed, days)
    partial.rename(path)
    info.write_text(json.dumps(summary, indent=1))
    return path, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8563, help="villages")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--days", type=int, default=DAYS, help="days of counts in the store")
    parser.add_argument("--db", type=Path, help="write a store here (default: only shapes)")
    args = parser.parse_args()
    if args.db:
        print(json.dumps(write_store(args.db, args.n, args.seed, args.days), indent=1))
        return
    start = time.perf_counter()
    _, geoms = village_shapes(args.n, args.seed)
    vertices = shapely.get_num_coordinates(geoms)
    print(
        f"{args.n:,} villages in {time.perf_counter() - start:.1f} s: {vertices.sum():,} vertices "
        f"(mean {vertices.mean():.1f}, min {vertices.min()}, max {vertices.max()}), "
        f"{(shapely.get_type_id(geoms) == 6).sum()} multipolygons, "
        f"{shapely.get_num_interior_rings(geoms).sum()} holes; "
        f"valid coverage: {shapely.coverage_is_valid(geoms)}"
    )


if __name__ == "__main__":
    main()
