"""What the zone map component is sent: geometry once per level, then only the zones.

The geometry of a level is encoded once per data version into a small binary file (the
*ZMG* format below) that the browser fetches and keeps; a change of date, scheme or
language then sends only one zone number per region and the tooltip values. This is what
makes thousands of villages usable on a 2-core laptop (``bench/map.py`` measures it).

ZMG, version 1 (the whole file is gzip-compressed)::

    b"ZMG1" | uint32 LE header length | header (UTF-8 JSON) | body (unsigned LEB128 varints)

The header holds ``grid`` (degrees per integer step), ``origin`` ([lon, lat] of step 0),
``bbox``, ``codes``, ``names``, ``population``, ``labels`` (where each name goes: [x, y] in
grid steps from ``origin``, or null), ``fit`` (the box the map opens on, or null for
``bbox``), ``context`` (the index of the first context region:
the regions from there on are neighbours drawn as named outlines, with no zone; the number
of regions when there are none) and ``counts`` = [features, polygons, rings, points].
The body holds, in order: polygons per feature, rings per polygon (the first is the
exterior), points per ring (not repeating the first), then every point as a zigzag delta
from the previous point (x then y, in grid steps). Names are plain text: the map
shows them with ``textContent``, never as HTML.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import math
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely

from zoning.core.errors import InputError
from zoning.core.i18n import t
from zoning.core.memory import give_back
from zoning.model import decisions as D
from zoning.model import privacy
from zoning.model.codes import ancestor_at_depth as ancestor
from zoning.model.codes import depth, is_within, try_normalise
from zoning.model.regions import LEVELS, level_depth
from zoning.model.schemes import NO_ZONE, Scheme
from zoning.render.mapview import safe_colour
from zoning.render.presentation import (
    legend,
    provisional_note,
    provisional_nowcasts,
    shown_columns,
    shown_layer,
    shown_zones,
    text_flags,
    tooltip_rows,
    zones_within,
)
from zoning.store import Store
from zoning.views import cache, decisions, published, service

MAGIC = b"ZMG1"
#: Quantisation step per level, in degrees: a third of the display simplification tolerance
#: of :data:`zoning.store.DISPLAY_TOLERANCE`, so quantising moves no point more than the
#: simplification already did (about 11 m for villages, 1.7 m for RT).
GRID = {
    "province": 0.003,
    "regency": 0.001,
    "district": 0.0003,
    "village": 0.0001,
    "rw": 0.00003,
    "rt": 0.000015,
}


@dataclass(frozen=True)
class MapFile:
    """A file the map fetches: gzip-compressed bytes named by their content."""

    payload: bytes
    first: int = 0  # a tooltip file's regions: ids first..end-1
    end: int = 0

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()[:20]

    @property
    def name(self) -> str:
        return f"{self.digest}.zmg"


@dataclass(frozen=True)
class MapGeometry:
    """A level's regions encoded for the map: ``codes`` in drawing order and the ZMG bytes."""

    codes: tuple[str, ...]
    payload: bytes  # gzip-compressed ZMG
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy (lon/lat)
    drawn: int  # regions with at least one polygon
    store: str = ""  # the store and data version it was built from (see zoning.render.geofiles)
    version: int = 0
    tiles: tuple[MapFile, ...] = ()  # detail by viewport (:func:`encode_tiled`), large levels

    @property
    def digest(self) -> str:
        """Content hash: the file name under which the payload can be cached for ever."""
        return hashlib.sha256(self.payload).hexdigest()[:20]


# --- encoding -----------------------------------------------------------------------------------
def _varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128 encoding of non-negative integers, vectorised."""
    v = np.asarray(values, dtype=np.uint64)
    if not len(v):
        return b""
    size = np.ones(len(v), dtype=np.int64)
    for k in range(1, 10):
        size += v >= np.uint64(1 << (7 * k))
    start = np.zeros(len(v), dtype=np.int64)
    np.cumsum(size[:-1], out=start[1:])
    out = np.empty(int(size.sum()), dtype=np.uint8)
    for k in range(int(size.max())):
        has = size > k
        byte = (v[has] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (size[has] > k + 1).astype(np.uint64) << np.uint64(7)
        out[start[has] + k] = (byte | more).astype(np.uint8)
    return out.tobytes()


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _encode_body(geoms: np.ndarray, origin: tuple[float, float], grid: float) -> tuple:
    """The ZMG body of ``geoms`` quantised to ``grid`` from ``origin``: (body bytes,
    polygons per feature, rings per polygon, points per ring, points)."""
    n = len(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms) if n else np.zeros(0, bool)
    polys, poly_feature = shapely.get_parts(np.where(missing, None, geoms), return_index=True)
    keep_poly = shapely.get_type_id(polys) == shapely.GeometryType.POLYGON
    polys, poly_feature = polys[keep_poly], poly_feature[keep_poly]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    ring_first = np.r_[True, ring_poly[1:] != ring_poly[:-1]] if len(rings) else np.zeros(0, bool)
    coords, point_ring = shapely.get_coordinates(rings, return_index=True)
    q = np.rint((coords - np.asarray(origin)) / grid).astype(np.int64)

    # drop each ring's closing point and consecutive repeats after quantising
    last_of_ring = np.r_[point_ring[1:] != point_ring[:-1], True] if len(q) else np.zeros(0, bool)
    same_as_prev = np.r_[False, (q[1:] == q[:-1]).all(axis=1) & (point_ring[1:] == point_ring[:-1])]
    keep_point = ~last_of_ring & ~same_as_prev
    q, point_ring = q[keep_point], point_ring[keep_point]
    points_per_ring = np.bincount(point_ring, minlength=len(rings))
    keep_ring = points_per_ring >= 3
    # a polygon goes with its exterior
    poly_of_ring = ring_poly
    exterior_ok = np.zeros(len(polys), dtype=bool)
    exterior_ok[poly_of_ring[ring_first]] = keep_ring[ring_first]
    keep_ring &= exterior_ok[poly_of_ring]
    q = q[keep_ring[point_ring]]
    points_per_ring = points_per_ring[keep_ring]
    rings_per_poly = np.bincount(poly_of_ring[keep_ring], minlength=len(polys))[exterior_ok]
    polys_per_feature = np.bincount(poly_feature[exterior_ok], minlength=n)

    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    body = b"".join(
        (
            _varints(polys_per_feature),
            _varints(rings_per_poly),
            _varints(points_per_ring),
            _varints(_zigzag(deltas)),
        )
    )
    return body, polys_per_feature, rings_per_poly, points_per_ring, len(q)


def _zmg(header: dict, body: bytes) -> bytes:
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return gzip.compress(MAGIC + struct.pack("<I", len(head)) + head + body, 6, mtime=0)


def _number(value: object) -> float | int | None:
    """A population as JSON: ``None`` when missing, an integer when whole."""
    if pd.isna(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() else number


def _origin(bounds: np.ndarray, grid: float) -> tuple[float, float]:
    if np.isfinite(bounds).all():
        return (math.floor(bounds[0] / grid) * grid, math.floor(bounds[1] / grid) * grid)
    return (0.0, 0.0)


def encode_geometry(
    codes: Sequence[str],
    names: Sequence[str],
    population: Sequence[float],
    geometries: Sequence[object],
    grid: float,
    context: int = 0,
    fit: bool = False,
    extra: dict | None = None,
    origin: tuple[float, float] | None = None,
    labels: bool = True,
) -> MapGeometry:
    """Encode polygons (lon/lat) as a gzip-compressed ZMG payload.

    Parameters
    ----------
    codes, names, population : sequence
        One per region, in the order the map will draw them.
    geometries : sequence of shapely geometries
        Polygons or multipolygons; missing or empty ones are encoded with no polygon.
    grid : float
        Quantisation step in degrees. Consecutive points that fall on the same step are
        merged; a ring left with fewer than three points is dropped (a polygon whose
        exterior is dropped goes with it).
    context : int
        How many of the last regions are context (the neighbours around the regions
        shown, drawn as named outlines with no zone); ``codes`` of the map are the others.
    fit : bool
        Give the map a box to open on (``fit``) that leaves out far, small islands
        (:func:`_fit_box`); else it opens on every region shown (``bbox``).
    extra : dict, optional
        More header entries (the detail tiles of :func:`encode_tiled`).
    origin : (lon, lat), optional
        Step 0 of the grid (default: the south-west corner of the regions shown, on the grid).
    labels : bool
        Where each name goes (``labels``); else an empty list (the tiles of a tiled level
        carry them).
    """
    geoms = np.asarray(geometries, dtype=object)
    n = len(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms) if n else np.zeros(0, bool)
    shown = ~missing & (np.arange(n) < n - context)  # the view is fitted to these
    bounds = shapely.total_bounds(geoms[shown]) if shown.any() else np.full(4, np.nan)
    if origin is None:
        origin = _origin(bounds, grid)
    body, polys_per_feature, rings_per_poly, points_per_ring, points = _encode_body(
        geoms, origin, grid
    )
    header = {
        "version": 1,
        "grid": grid,
        "origin": list(origin),
        "bbox": [None if not math.isfinite(b) else round(float(b), 6) for b in bounds],
        "codes": [str(c) for c in codes],
        "names": [str(x) for x in names],
        "population": [_number(p) for p in population],
        "labels": [] if labels is False else _label_points(geoms, missing, origin, grid),
        "fit": _fit_box(geoms[shown]) if fit else None,
        "context": n - context,
        "counts": [n, len(rings_per_poly), len(points_per_ring), points],
        **(extra or {}),
    }
    payload = _zmg(header, body)
    box = tuple(float(b) for b in bounds)
    drawn = int((polys_per_feature[: n - context] > 0).sum())
    shown_codes = tuple(header["codes"][: n - context])
    return MapGeometry(shown_codes, payload, box, drawn)  # type: ignore[arg-type]


# --- level of detail: coarse shapes of every region, detail tiles by viewport ------------------
#: A level with more regions than this is sent as coarse shapes of all its regions (the first
#: view) and detail tiles the map fetches for what is in view once zoomed in; the environment
#: variable :data:`TILED_ABOVE_ENV` sets another number. A province's 8,563 villages are
#: tiled: 0.34 MB coarse against 1.07 MB at display detail for the first map.
TILED_ABOVE = 5_000
TILED_ABOVE_ENV = "ZONING_MAP_TILED_ABOVE"
#: Regions per detail tile at most (tiles are compact groups: :func:`_tile_groups`).
TILE_REGIONS = 2_000
#: Regions per tooltip file of a tiled view: consecutive ids, so a region's file is found
#: from its id alone.
TIP_REGIONS = 2_000
#: The coarse shapes' tolerance as a multiple of the level's :data:`GRID` (villages: 0.002°,
#: about 220 m, a pixel or less on a map of a whole province).
COARSE = 20
#: Coarse shapes err by at most this many pixels before the map fetches detail.
COARSE_PIXELS = 1.5


def tiled_above() -> int:
    """:data:`TILED_ABOVE`, or the whole number in :data:`TILED_ABOVE_ENV`."""
    raw = os.environ.get(TILED_ABOVE_ENV, "").strip()
    return int(raw) if raw.isdigit() else TILED_ABOVE


def encode_tiled(
    codes: Sequence[str],
    names: Sequence[str],
    population: Sequence[float],
    geometries: Sequence[object],
    grid: float,
    *,
    fit: bool = True,
    tile_regions: int | None = None,
    coarse: float | None = None,
) -> MapGeometry:
    """A level in two parts: every region coarse (the ZMG ``payload``), and ``tiles``.

    The coarse shapes are :func:`shapely.coverage_simplify` of the whole level at
    ``grid * coarse`` (default :data:`COARSE`), so neighbours still share their simplified
    borders, quantised to a grid of a third of that. The regions with a shape are split
    into compact groups of at most ``tile_regions`` (default :data:`TILE_REGIONS`) by
    halving at the median east-west or north-south, whichever is longer
    (:func:`_tile_groups`); each group is a tile: a ZMG of its regions at full display
    detail whose header has ``ids`` (each region's index in the coarse file: a region's id,
    the same in every part), ``labels`` (where their names go; the coarse header's are
    empty) and no names. The coarse header lists the tiles as ``tiles`` = [[minx, miny,
    maxx, maxy, file name], ...] (their boxes in lon/lat) and ``detail_zoom``, the zoom
    from which the coarse shapes err by more than :data:`COARSE_PIXELS` pixels.
    """
    tile_regions = tile_regions or TILE_REGIONS
    coarse = coarse or COARSE
    geoms = np.asarray(geometries, dtype=object)
    n = len(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms) if n else np.zeros(0, bool)
    tolerance = grid * coarse
    rough = geoms.copy()
    if (~missing).any():
        rough[~missing] = shapely.coverage_simplify(geoms[~missing], tolerance)
    bounds = shapely.total_bounds(geoms[~missing]) if (~missing).any() else np.full(4, np.nan)
    origin = _origin(bounds, grid)
    tiles, listed = [], []
    shaped = np.flatnonzero(~missing)
    spots = shapely.get_coordinates(shapely.point_on_surface(geoms[shaped]))
    for group in _tile_groups(shaped, spots, tile_regions):
        part = geoms[group]
        body, _, per_poly, per_ring, points = _encode_body(part, origin, grid)
        counts = [len(part), len(per_poly), len(per_ring), points]
        places = _label_points(part, missing[group], origin, grid)
        header = {"version": 1, "grid": grid, "origin": list(origin), "ids": group.tolist(),
                  "counts": counts, "labels": places}  # fmt: skip
        tile = MapFile(_zmg(header, body))
        tiles.append(tile)
        corners = [round(float(b), 6) for b in shapely.total_bounds(part)]
        listed.append([*corners, tile.name])
    pixel_zoom = math.log2(360 / 256 / tolerance * COARSE_PIXELS)
    extra = {"tiles": listed, "detail_zoom": round(pixel_zoom, 2)}
    step = grid * coarse / 3
    encoded = encode_geometry(
        codes, names, population, rough, step, fit=fit, extra=extra,
        origin=_origin(bounds, step), labels=False,
    )  # fmt: skip
    return replace(encoded, tiles=tuple(tiles))


def _tile_groups(ids: np.ndarray, points: np.ndarray, most: int) -> list[np.ndarray]:
    """``ids`` split into groups of at most ``most`` whose ``points`` lie close together:
    halved at the median of the longer side of their box, again and again (a k-d tree's
    leaves). Each group's ids are in ascending order."""
    if len(ids) <= most:
        return [np.sort(ids)] if len(ids) else []
    span = points.max(axis=0) - points.min(axis=0)
    order = np.argsort(points[:, int(span[1] > span[0])], kind="stable")
    half = len(ids) // 2
    low, high = order[:half], order[half:]
    return _tile_groups(ids[low], points[low], most) + _tile_groups(ids[high], points[high], most)


#: Share of the area (by weight) of a level's far edges that the first view may leave out.
FIT_TRIM = 0.005


def _fit_box(geoms: np.ndarray) -> list[float] | None:
    """The box a whole level's map opens on: the polygons that reach into the box of those
    whose centres lie within the area-weighted 0.5 % to 99.5 % of all of them, east-west and
    north-south, so a few small islands far off (Karimunjawa, 80 km north of Jepara) do not
    shrink the province to half the map. They are still drawn; panning reaches them."""
    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    if len(parts) < 2:
        return None
    area = shapely.area(parts)
    centre = shapely.get_coordinates(shapely.centroid(parts))
    keep = np.ones(len(parts), dtype=bool)
    for axis in (0, 1):
        order = np.argsort(centre[:, axis])
        share = np.cumsum(area[order]) / area.sum()
        low = centre[order[np.searchsorted(share, FIT_TRIM)], axis]
        high = centre[order[min(np.searchsorted(share, 1 - FIT_TRIM), len(order) - 1)], axis]
        keep &= (centre[:, axis] >= low) & (centre[:, axis] <= high)
    if not keep.any():
        return None
    # and every polygon that reaches into that box: the mainland's edges come back
    minx, miny, maxx, maxy = shapely.total_bounds(parts[keep])
    near = shapely.intersects(parts, shapely.box(minx, miny, maxx, maxy))
    return [round(float(b), 6) for b in shapely.total_bounds(parts[near])]


def _label_points(
    geoms: np.ndarray, missing: np.ndarray, origin: tuple[float, float], grid: float
) -> list[list[int] | None]:
    """Where each region's name goes, in grid steps from ``origin``: a point inside its
    largest polygon (``None`` for a region with no shape)."""
    out: list[list[int] | None] = [None] * len(geoms)
    if not len(geoms) or missing.all():
        return out
    parts, owner = shapely.get_parts(np.where(missing, None, geoms), return_index=True)
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, owner = parts[polygons], owner[polygons]
    order = np.lexsort((-shapely.area(parts), owner))  # each region's largest part first
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    points = shapely.get_coordinates(shapely.point_on_surface(parts[first]))
    steps = np.rint((points - np.asarray(origin)) / grid).astype(np.int64)
    for region, (x, y) in zip(owner[first], steps, strict=True):
        out[int(region)] = [int(x), int(y)]
    return out


def level_geometry(store: Store, level: str, within: str | None = None) -> MapGeometry:
    """The display geometry of a level (or of the part inside region ``within``), encoded.

    Built once per data version and kept in :func:`zoning.views.cache.cached`. A ``within``
    that :func:`checked_within` refuses gives the whole level, so made-up values never
    make new geometry (nor new files on the server).
    """
    within = checked_within(store, level, within)[0]
    key = cache.key(store, "mapgeom", level, within)
    version = key[1]  # the data version it is keyed under

    def build() -> MapGeometry:
        frame = service.geometries(store, level)
        if within:
            frame = frame[[is_within(c, within) for c in frame["code"]]]
        around = _context(store, level, within, frame["code"])
        if not len(around) and len(frame) > tiled_above():
            encoded = encode_tiled(
                frame["code"], frame["name"], frame["population"], frame.geometry.to_numpy(),
                GRID[level],
            )  # fmt: skip
            give_back()  # the simplification's arrays: hundreds of MB at national scale
            return replace(encoded, store=store.url, version=version)
        both = pd.concat([frame, around], ignore_index=True) if len(around) else frame
        encoded = encode_geometry(
            both["code"], both["name"], both["population"], both.geometry.to_numpy(),
            GRID[level], context=len(around), fit=not within,
        )  # fmt: skip
        return replace(encoded, store=store.url, version=version)

    if within:
        return cache.cached(key, build, shelf="view")

    def kept() -> MapGeometry:  # a whole level's: kept in the store for the next server
        # named by how it is encoded as well, so a geometry kept under another limit of
        # tiling (a newer release, or ZONING_MAP_TILED_ABOVE set) is made again, not served
        name = f"mapgeom:tiled-above-{tiled_above()}:{level}"
        found = cache.kept(store, name, version, build, _geometry_to_bytes, _geometry_from_bytes)
        return replace(found, store=store.url, version=version)

    return cache.cached(key, kept)


def _geometry_to_bytes(geometry: MapGeometry) -> bytes:
    """A whole level's geometry as kept in the store, with the detail tiles of a tiled one."""
    meta = {"codes": list(geometry.codes), "bounds": list(geometry.bounds), "drawn": geometry.drawn,
            "tiles": len(geometry.tiles)}  # fmt: skip
    arrays = {"payload": np.frombuffer(geometry.payload, dtype=np.uint8)}
    for k, tile in enumerate(geometry.tiles):
        arrays[f"tile:{k}"] = np.frombuffer(tile.payload, dtype=np.uint8)
    return cache.pack(meta, arrays)


def _geometry_from_bytes(raw: bytes) -> MapGeometry:
    meta, arrays = cache.unpack(raw)
    tiles = tuple(MapFile(arrays[f"tile:{k}"].tobytes()) for k in range(meta.get("tiles", 0)))
    return MapGeometry(tuple(meta["codes"]), arrays["payload"].tobytes(),
                       tuple(meta["bounds"]), int(meta["drawn"]), tiles=tiles)  # fmt: skip


def without_boundary(store: Store, level: str, within: str | None = None) -> list[str]:
    """The codes of a level's regions (inside ``within``) that have no boundary to draw, such
    as RTs a line list named: the map page lists them instead."""
    within = checked_within(store, level, within)[0]
    key = cache.key(store, "bare", level)

    def build() -> list[str]:
        frame = service.geometries(store, level)
        geoms = frame.geometry.to_numpy()
        bare = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        return [str(c) for c in frame["code"].to_numpy()[bare]]

    def kept() -> list[str]:  # kept with the level's map: a new server need not read shapes
        dump = lambda codes: json.dumps(codes).encode()  # noqa: E731
        return cache.kept(store, f"bare:{level}", key[1], build, dump, json.loads)

    codes = cache.cached(key, kept)
    return [c for c in codes if not within or is_within(c, within)]


#: Levels whose map shows the villages around its regions even without ``within``.
CONTEXT_LEVELS = ("rw", "rt")


def _context(store: Store, level: str, within: str | None, codes: pd.Series) -> pd.DataFrame:
    """The regions drawn around a view as named outlines: the region ``within`` and its
    siblings (a kelurahan and the other villages of its district around its RWs); for RW and
    RT without ``within``, the villages of the districts their villages are in."""
    if within:
        base = within
    elif level in CONTEXT_LEVELS and len(codes):
        base = None
    else:
        return pd.DataFrame()
    depth_of = 4 if base is None else depth(base)
    up_level = LEVELS[depth_of - 1]
    if up_level not in store.levels():
        return pd.DataFrame()
    frame = service.geometries(store, up_level)
    parent = frame["code"].str.rsplit(".", n=1).str[0]
    if base is None:  # the districts of the villages the RW/RT are in
        wanted = {c.rsplit(".", 1)[0] for c in {ancestor(c, 4) for c in codes}}
    else:
        wanted = {base.rsplit(".", 1)[0]} if "." in base else set()
    keep = parent.isin(wanted) if wanted else frame["code"] == base
    return frame[keep.to_numpy()]


def checked_within(store: Store, level: str, within: object) -> tuple[str | None, bool]:
    """The region a view of ``level`` is limited to, from the URL's ``within``.

    Returns
    -------
    (code or None, refused)
        The region's normalised code when ``within`` names a stored region of a level
        above ``level`` (``3374`` and ``33.74`` alike); else ``None``, with ``refused``
        true when a value was given (the page says so and shows the whole level).
    """
    if within is None or not str(within).strip():
        return None, False
    code = try_normalise(str(within).strip()[:40])
    if code is None or depth(code) >= level_depth(level):
        return None, True
    known = cache.cached(
        cache.key(store, "region-codes"), lambda: frozenset(service.regions(store)["code"])
    )
    return (code, False) if code in known else (None, True)


def prepare(store: Store) -> None:
    """Build every level's counts, metrics and map geometry now, so no viewer waits for them.

    The dashboard runs this in the background when it opens a store and after each change.
    """
    for level in store.levels():
        level_geometry(store, level)
        without_boundary(store, level)
        with contextlib.suppress(LookupError):  # a level with no counts at or below it
            service.level_data(store, level)
    give_back()


# --- decoding (the JavaScript reader does the same; used by tests and tools) ---------------------
def _read_varints(data: bytes, pos: int, count: int) -> tuple[np.ndarray, int]:
    out = np.empty(count, dtype=np.uint64)
    for i in range(count):
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        out[i] = value
    return out, pos


def decode_geometry(payload: bytes) -> tuple[dict, list[shapely.Geometry | None]]:
    """Read a ZMG payload back: the header and one (multi)polygon or ``None`` per region."""
    raw = gzip.decompress(payload)
    if raw[:4] != MAGIC:
        raise ValueError("not a ZMG payload")
    (size,) = struct.unpack("<I", raw[4:8])
    header = json.loads(raw[8 : 8 + size].decode("utf-8"))
    n, npoly, nring, npoint = header["counts"]
    pos = 8 + size
    per_feature, pos = _read_varints(raw, pos, n)
    per_poly, pos = _read_varints(raw, pos, npoly)
    per_ring, pos = _read_varints(raw, pos, nring)
    zz, pos = _read_varints(raw, pos, 2 * npoint)
    deltas = (zz >> np.uint64(1)).astype(np.int64) ^ -(zz & np.uint64(1)).astype(np.int64)
    xy = np.cumsum(deltas.reshape(-1, 2), axis=0) * header["grid"] + np.asarray(header["origin"])
    out: list[shapely.Geometry | None] = []
    p = r = k = 0
    for count in per_feature:
        parts = []
        for _ in range(int(count)):
            rings = []
            for _ in range(int(per_poly[p])):
                m = int(per_ring[r])
                rings.append(xy[k : k + m])
                k += m
                r += 1
            p += 1
            parts.append(shapely.Polygon(rings[0], rings[1:]))
        multi = shapely.MultiPolygon(parts) if len(parts) > 1 else None
        out.append(multi or (parts[0] if parts else None))
    return header, out


def _packed(values: np.ndarray) -> dict:
    """Tooltip values as sent: numbers (or ``None``) in ``values``; text, which repeats
    ("Sundays only", "1–4"), once in ``texts`` with ``text_of`` naming it per region (-1:
    the number)."""
    is_text = text_flags(values)
    if not is_text.any():
        return {"values": values.tolist()}
    codes, texts = pd.factorize(values[is_text])  # each text once, in order of first use
    text_of = np.full(len(values), -1, dtype=np.int64)
    text_of[is_text] = codes
    packed = {"texts": texts.tolist(), "text_of": text_of.tolist()}
    if not is_text.all():
        numbers = values.copy()
        numbers[is_text] = None
        packed["values"] = numbers.tolist()
    return packed


# --- the zones of one view ---------------------------------------------------------------------
def view_of(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    lang: str,
    *,
    public: bool,
    level_label: str,
    within: str | None = None,
    smooth: str | None = None,
    hotspots: bool = False,
) -> dict:
    """:func:`zone_view` of one view, built once and shared by every session showing it.

    The zones are those of :func:`zoning.views.service.zones_on`, with small counts masked for the
    public (:func:`zoning.render.presentation.shown_zones`), inside ``within`` when it is given.
    ``smooth`` (``eb``, ``seb``): the zones of the smoothed rates where the viewer may see them
    (:func:`zoning.views.published.public_smoothed_zones`), uncertain ones marked; ``hotspots``:
    the hot spots of :func:`zoning.views.published.public_hot_spots` marked (outlined).
    The returned dict is shared: read it, never change it.
    """
    within = checked_within(store, level, within)[0]
    key = cache.key(
        store, "mapview", scheme.id, level, within, lang, public, privacy.get_threshold(),
        level_label, smooth, hotspots, day=day, decided=True,
    )  # fmt: skip

    def build() -> dict:
        # the zone each region shows: an analyst's decision, else the computed zone (or none
        # while awaiting confirmation), or the smoothed one where asked for and allowed; what
        # it rests on is a tooltip row (tooltip_rows)
        seen = shown_layer(
            store, scheme, level, day, lang, public=public, within=within, smooth=smooth or "raw"
        )
        zones = seen.layer
        shown = zones_within(shown_zones(store, scheme, level, day, lang, public=public), within)
        geometry = level_geometry(store, level, within)
        marks, extra = {}, []
        smoothed = None  # the smoothed rates behind the zones shown, where they are
        if seen.smoothing == "shown":
            smoothed = published.public_smoothed_zones(
                store, scheme, level, day, smooth, public=public
            )
            smoothed = zones_within(smoothed, within).set_index("code").reindex(zones["code"])
        if smoothed is not None:
            marks["uncertain"] = smoothed["uncertain"].to_numpy(dtype=bool)
            extra.append((t("map.rate_smoothed", lang), 1, smoothed["rate_smoothed"].to_numpy()))
            yes_no = np.where(marks["uncertain"], t("map.yes", lang), t("map.no", lang))
            extra.append((t("map.zone_uncertain", lang), 0, yes_no))
        else:  # the zones shown rest on decisions
            marks.update(decision_marks(zones["decision"].to_numpy(object)))
        if hotspots:
            found = hot_spot_flags(store, level, day, public=public)
            if found is not None:
                flag = found.reindex(zones["code"]).fillna(False).to_numpy(dtype=bool)
                marks["hotspot"] = flag
                said = np.where(flag, t("map.yes", lang), t("map.no", lang))
                extra.append((t("map.hotspot", lang), 0, said))
        # a zone resting on figures still filling in says so, with its nowcast where shown
        words, figures = provisional_nowcasts(store, level, day, zones, lang, public=public)
        if any(w is not None for w in words):
            extra.append((t("map.provisional_label", lang), 0, words))
        if any(f is not None for f in figures):
            extra.append((t("map.nowcast_label", lang), 0, figures))
        note = provisional_note(store, level, zones, lang)
        if not geometry.tiles:
            view = zone_view(
                zones, geometry, scheme, lang, level_label=level_label, masks=shown,
                marks=marks, extra=extra,
            )  # fmt: skip
            return {**view, "note": note} if note else view
        idx, columns, flags = _view_columns(zones, geometry, scheme, lang, shown, marks, extra)
        view = _tiled(_view(idx, [], flags, scheme, lang, level_label), geometry, columns)
        return {**view, "note": note} if note else view

    return cache.cached(key, build, shelf="view")


#: Where a zone shown rests on an analyst's decision, or waits for one: marked on the map
#: with a symbol (never colour alone) and named in the legend (``map.mark_<state>``).
DECISION_MARKS = (D.CONFIRMED, D.OVERRIDDEN, D.AWAITING)


def decision_marks(states: np.ndarray) -> dict[str, np.ndarray]:
    """A flag per region for each of :data:`DECISION_MARKS` some region is in (``states``:
    the ``decision`` column of :func:`zoning.views.published.public_zones`); none for the
    unconfirmed computed zones, which the legend's note names."""
    states = np.asarray(states, dtype=object)
    return {name: states == name for name in DECISION_MARKS if (states == name).any()}


def hot_spot_flags(store: Store, level: str, day: object, *, public: bool) -> pd.Series | None:
    """Whether each region of ``level`` (by code) is a hot spot on ``day``; ``None`` where
    hot spots cannot be found at that level (no rate, or regions without a boundary)."""
    try:
        found = published.public_hot_spots(store, level, day, public=public)
    except InputError:
        return None
    return found.set_index("code")["hotspot"].astype(bool)


def tiled_view(view: dict, geometry: MapGeometry) -> dict:
    """A :func:`zone_view` for a tiled level: the tooltip values leave the view for files,
    one per :data:`TIP_REGIONS` consecutive regions of ``geometry``, that the map fetches
    for the region under the mouse.

    ``fields`` keep their ``label`` and ``decimals``; ``_tips`` holds the files (a
    :class:`MapFile` each, gzip-compressed JSON ``{"first": id, "fields": [values as in
    :func:`_packed`, one entry per field]}``), which :func:`wire_view` names for the map.
    """
    columns = [
        (f["label"], f["decimals"], np.asarray(_unpacked(f), dtype=object)) for f in view["fields"]
    ]
    return _tiled(view, geometry, columns)


def _tiled(view: dict, geometry: MapGeometry, columns: list[tuple[str, int, np.ndarray]]) -> dict:
    tips = []
    n = len(geometry.codes)
    for first in range(0, n, TIP_REGIONS):
        end = min(first + TIP_REGIONS, n)
        part = [_packed(values[first:end]) for _, _, values in columns]
        data = json.dumps({"first": first, "fields": part}, separators=(",", ":"))
        tips.append(MapFile(gzip.compress(data.encode("utf-8"), 6, mtime=0), first, end))
    fields = [{"label": label, "decimals": decimals} for label, decimals, _ in columns]
    return {**view, "fields": fields, "_tips": tuple(tips)}


def _unpacked(field: dict) -> list:
    """A field's value per region (text or number), the reverse of :func:`_packed`."""
    if "text_of" not in field:
        return field["values"]
    values = field.get("values") or [None] * len(field["text_of"])
    return [
        field["texts"][k] if k >= 0 else v for k, v in zip(field["text_of"], values, strict=True)
    ]


def _packed_zones(zones: Sequence[int]) -> str:
    """Zone indexes as the map is sent them for a tiled level: a byte each (-1: no zone),
    gzip-compressed, in base64."""
    raw = np.asarray(zones, dtype=np.int8).tobytes()
    return base64.b64encode(gzip.compress(raw, 6, mtime=0)).decode("ascii")


def wire_view(view: dict) -> tuple[dict, tuple[MapFile, ...]]:
    """What the map component is sent for ``view``, and the files it may fetch.

    A view of a small level goes as it is. A tiled one (:func:`tiled_view`) goes with its
    zones (those of the weeks played, and its marks) as bytes (:func:`_packed_zones`) and ``tips``,
    [first id, end, file name] of each tooltip file; the files are returned to be published.
    """
    tips = view.get("_tips")
    if tips is None:
        return view, ()
    out = {k: v for k, v in view.items() if not k.startswith("_")}
    out["zones"] = _packed_zones(view["zones"])
    out["marks"] = {name: _packed_zones(flags) for name, flags in view.get("marks", {}).items()}
    if view.get("frames"):
        frames = view["frames"]
        out["frames"] = {**frames, "zones": [_packed_zones(z) for z in frames["zones"]]}
    out["tips"] = [[tip.first, tip.end, tip.name] for tip in tips]
    return out, tips


#: Weeks a played map goes back (the chosen day and the same weekday of weeks before).
PLAY_WEEKS = 8


def zone_frames(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    geometry: MapGeometry,
    weeks: int = PLAY_WEEKS,
) -> dict:
    """The zones of the regions of ``geometry`` on the same weekday of the ``weeks`` weeks up
    to ``day`` (those the data reach), for the map to play: ``days`` (ISO dates, oldest
    first) and ``zones`` (per day, one zone index per region, -1 for none; analysts' decisions
    applied, :func:`zoning.views.decisions.zone_panel`). Zones only: they
    are public at every level."""
    data = service.level_data(store, level)
    j = data.day_index(day)
    steps = [j - 7 * k for k in range(weeks - 1, -1, -1) if j - 7 * k >= 0]
    panel = decisions.zone_panel(store, scheme, level)  # the zones shown: decisions applied
    rows = pd.Index(data.panel.regions).get_indexer(pd.Index(geometry.codes))
    zones = [
        np.where(rows >= 0, panel[np.maximum(rows, 0), k], NO_ZONE).astype(int).tolist()
        for k in steps
    ]
    return {"days": [str(data.panel.dates[k].date()) for k in steps], "zones": zones}


def zone_view(
    zones: pd.DataFrame,
    geometry: MapGeometry,
    scheme: Scheme,
    lang: str,
    *,
    level_label: str,
    masks: pd.DataFrame | dict[str, Sequence[object]] | None = None,
    marks: dict[str, np.ndarray] | None = None,
    extra: Sequence[tuple[str, int, np.ndarray]] = (),
) -> dict:
    """The per-view part of the map: a zone per drawn region, the legend and tooltip values.

    Parameters
    ----------
    zones : DataFrame
        :func:`zoning.views.service.zones_on` for the view (``code``, ``zone_index``, metrics,
        raw 7-day counts, ``window_complete``).
    geometry : MapGeometry
        Gives the drawing order; regions it has that ``zones`` lacks get no zone.
    masks : DataFrame or dict, optional
        Column -> display values (numbers or text such as ``"1–4"``) replacing a column's
        values, aligned with ``zones``; how small counts are shown to the public.
    marks : dict, optional
        Name (``uncertain``, ``hotspot``) -> one flag per row of ``zones``: the map draws
        each over the zones (a pattern, an outline) and names it in the legend.
    extra : sequence of (label, decimals, values)
        More tooltip rows after the figures, one value per row of ``zones``.

    Returns
    -------
    dict
        ``zones`` (zone index per drawn region, ``NO_ZONE`` = no data), ``colours`` and ``labels``
        (per zone index, no data last), ``legend``, ``title`` (the level), and ``fields``
        (tooltip rows: ``label``, ``decimals``, ``values``, one number or ``None`` per
        region, and where some are text, ``texts`` and ``text_of``: see :func:`_packed`).
    """
    idx, columns, flags = _view_columns(zones, geometry, scheme, lang, masks, marks, extra)
    fields = [{"label": label, "decimals": d, **_packed(shown)} for label, d, shown in columns]
    return _view(idx, fields, flags, scheme, lang, level_label)


def _view_columns(
    zones: pd.DataFrame,
    geometry: MapGeometry,
    scheme: Scheme,
    lang: str,
    masks: pd.DataFrame | dict[str, Sequence[object]] | None,
    marks: dict[str, np.ndarray] | None = None,
    extra: Sequence[tuple[str, int, np.ndarray]] = (),
) -> tuple[np.ndarray, list[tuple[str, int, np.ndarray]], dict[str, list[int]]]:
    """The zone index per drawn region, the tooltip rows (label, decimals, a value per
    drawn region) and the marks (a 0/1 flag per drawn region) of :func:`zone_view`."""
    order = pd.Index(zones["code"]).get_indexer(pd.Index(geometry.codes))
    found = order >= 0
    rows = order[found]
    idx = np.full(len(order), NO_ZONE, dtype=np.int64)
    idx[found] = zones["zone_index"].to_numpy()[rows]
    drawn = zones.iloc[rows].reset_index(drop=True)  # in drawing order
    if masks is not None:
        masks = {
            c: pd.Series(masks[c], dtype=object).to_numpy()[rows]
            for c in [*shown_columns(scheme, zones), *decisions.COLUMNS]
            if c in masks
        }
    columns = []
    for row in tooltip_rows(drawn, scheme, lang, masks):
        shown = np.full(len(order), None, dtype=object)
        shown[found] = row.values
        columns.append((row.label, row.decimals, shown))
    for label, decimals, values in extra:
        shown = np.full(len(order), None, dtype=object)
        picked = np.asarray(values, dtype=object)[rows]
        shown[found] = [None if _missing(v) else v for v in picked]
        columns.append((label, decimals, shown))
    flags = {}
    for name, values in (marks or {}).items():
        flag = np.zeros(len(order), dtype=bool)
        flag[found] = np.asarray(values, dtype=bool)[rows]
        flags[name] = flag.astype(int).tolist()
    return idx, columns, flags


def _view(
    idx: np.ndarray, fields: list, flags: dict, scheme: Scheme, lang: str, level_label: str
) -> dict:
    """:func:`zone_view`'s dict from the zones, the tooltip fields and the marks."""
    labels_colours = legend(scheme, lang)
    return {
        "zones": idx.tolist(),
        "labels": [label for label, _ in labels_colours],
        "colours": [safe_colour(c) for _, c in labels_colours],
        "legend": [[label, safe_colour(c)] for label, c in labels_colours],
        "title": level_label,
        "zone_label": t("common.zone", lang),
        "population_label": t("common.population", lang),
        "fields": fields,
        "marks": flags,
        "mark_labels": {name: t(f"map.mark_{name}", lang) for name in flags},
        # beside the decisions' symbols: what a region without one shows
        "legend_note": t("map.mark_unconfirmed_note", lang)
        if decisions.unconfirmed_public() and any(n in flags for n in DECISION_MARKS)
        else None,
    }


def _missing(value: object) -> bool:
    """A tooltip value that is not there (NaN), shown as a dash."""
    return isinstance(value, float) and not math.isfinite(value)
