"""The built-in demo province: Jawa Tengah (Central Java), so a fresh clone shows a map at once.

What is real and what is generated
----------------------------------
Real, in ``zoning/data/jateng_regencies.csv``:

* the 35 regencies (kabupaten) and cities (kota), their codes and official names:
  Kemendagri *kode wilayah administrasi pemerintahan* (``33.01`` Kabupaten Cilacap ...
  ``33.29`` Kabupaten Brebes, ``33.71`` Kota Magelang ... ``33.76`` Kota Tegal);
* their populations: BPS, *Hasil Sensus Penduduk 2020* (SP2020, September 2020), which sum
  to the province total of 36,516,035;
* the approximate position of each seat of government (Ungaran, Mungkid, Kajen, Slawi,
  Purwodadi, Purwokerto ... ).

Generated, deterministically from :data:`SEED`:

* every shape. Regencies are Voronoi cells around the real seats, clipped to a rough
  hand-drawn outline of the province; cities are small enclaves carved around their seat.
  Each lower level is a Voronoi tiling of its parent, so children tile the parent exactly;
* districts (kecamatan), villages (desa/kelurahan), and RW/RT inside four kelurahan of Kota
  Semarang (the smallest of districts 01-04), with names such as ``Kecamatan Cilacap 3`` and
  ``Desa Cilacap 3.5``, and their populations, split from the real regency totals;
* all daily counts (cases, deaths, admissions, tests, positives, households with a case).
  The epidemic curve follows the shape of what Jawa Tengah went through: a modest wave in
  January-February 2021, a lull in April-May, and the Delta wave peaking in mid-July 2021.
  Everything below the province is invented.

The UI shows :data:`DEMO_GEOMETRY_NOTE` wherever the demo map is drawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from zoning.model.codes import ancestor_at_depth, normalise_code

__all__ = [
    "DEMO_AS_OF",
    "DEMO_GEOMETRY_NOTE",
    "DEMO_SOURCE",
    "DEMO_START",
    "PROVINCE_CODE",
    "PROVINCE_NAME",
    "SEED",
    "demo_counts",
    "demo_dates",
    "demo_houses",
    "demo_regions",
    "regency_table",
]

#: Seed of every random draw in this module.
SEED = 2021
#: First and last day of the demo series.
DEMO_START = dt.date(2020, 9, 1)
DEMO_AS_OF = dt.date(2021, 10, 31)
PROVINCE_CODE = "33"
PROVINCE_NAME = "Jawa Tengah"
CRS = "EPSG:4326"

#: Shown wherever the demo map is drawn (Bahasa Indonesia first, English).
DEMO_GEOMETRY_NOTE = {
    "id": (
        "Data demo: bentuk wilayah pada peta ini skematis, bukan batas resmi; kecamatan, "
        "desa/kelurahan, RW/RT dan semua angka kasus dibuat secara acak."
    ),
    "en": (
        "Demo data: the shapes on this map are schematic, not official boundaries; districts, "
        "villages, RW/RT and all case counts are randomly generated."
    ),
}

#: Where the real parts of the demo come from (Bahasa Indonesia first, English).
DEMO_SOURCE = {
    "id": (
        "Kode dan nama kabupaten/kota: Kemendagri. Jumlah penduduk: BPS, Sensus Penduduk 2020 "
        "(Jawa Tengah 36.516.035 jiwa). Di bawah kabupaten/kota semuanya data buatan."
    ),
    "en": (
        "Regency and city codes and names: Kemendagri. Populations: BPS, 2020 Population "
        "Census (Jawa Tengah 36,516,035). Everything below regency level is generated."
    ),
}

# Rough outline of Jawa Tengah (lon, lat), clockwise from the north-west corner near Losari.
# The bite in the south is the Special Region of Yogyakarta, which is not part of the province.
_OUTLINE = (
    (108.80, -6.78),
    (109.05, -6.82),
    (109.14, -6.84),
    (109.38, -6.84),
    (109.68, -6.86),
    (109.85, -6.89),
    (110.20, -6.89),
    (110.42, -6.94),
    (110.57, -6.83),
    (110.64, -6.58),
    (110.80, -6.42),
    (110.98, -6.43),
    (111.10, -6.65),
    (111.35, -6.67),
    (111.69, -6.76),
    (111.62, -7.10),
    (111.45, -7.22),
    (111.12, -7.32),
    (111.20, -7.62),
    (111.18, -7.95),
    (110.95, -8.20),
    (110.83, -8.15),
    (110.80, -7.85),
    (110.58, -7.78),
    (110.45, -7.60),
    (110.25, -7.63),
    (110.12, -7.75),
    (110.03, -7.90),
    (109.65, -7.80),
    (109.25, -7.72),
    (109.00, -7.78),
    (108.80, -7.72),
    (108.62, -7.55),
    (108.55, -7.25),
    (108.60, -7.00),
)

# Cities that are enclaves inside one regency get a phantom Voronoi generator of that regency,
# so the regency wraps around them (Salatiga lies inside Kabupaten Semarang, Magelang inside
# Kabupaten Magelang). The other cities sit on the border of two or three regencies.
_ENCLAVE_HOST = {"33.71": "33.08", "33.73": "33.22"}
# Radius (degrees) of the disc carved around a city seat: small cities 0.04, Semarang 0.08.
_KOTA_RADIUS_MIN, _KOTA_RADIUS_MAX = 0.04, 0.08
# Kota Semarang: the smallest kelurahan of these districts get RW and RT (PPKM Mikro demo).
_RT_CITY = "33.74"
_RT_DISTRICTS = ("01", "02", "03", "04")

# Streams of random numbers, one per concern, so that changing one leaves the others alone.
(
    _STREAM_GEOMETRY,
    _STREAM_POPULATION,
    _STREAM_INTENSITY,
    _STREAM_COUNTS,
    _STREAM_HOUSES,
) = range(5)

# Province-wide expected confirmed cases per day (before weekday effects): knots on a log scale.
_CASE_KNOTS = (
    ("2020-09-01", 450),
    ("2020-10-15", 520),
    ("2020-11-15", 750),
    ("2020-12-15", 1250),
    ("2021-01-22", 1650),
    ("2021-02-15", 1100),
    ("2021-03-15", 650),
    ("2021-04-15", 450),
    ("2021-05-15", 420),
    ("2021-06-01", 700),
    ("2021-06-20", 1900),
    ("2021-07-15", 4300),
    ("2021-08-01", 2900),
    ("2021-08-20", 1200),
    ("2021-09-10", 330),
    ("2021-10-01", 150),
    ("2021-10-31", 90),
)
# Province-wide test positivity (fraction).
_POSITIVITY_KNOTS = (
    ("2020-09-01", 0.09),
    ("2020-11-15", 0.11),
    ("2021-01-22", 0.19),
    ("2021-04-15", 0.07),
    ("2021-05-15", 0.06),
    ("2021-07-15", 0.30),
    ("2021-09-01", 0.08),
    ("2021-10-31", 0.04),
)
# Case fatality (fraction of cases dying about ten days later).
_CFR_KNOTS = (
    ("2020-09-01", 0.025),
    ("2021-01-22", 0.030),
    ("2021-05-15", 0.025),
    ("2021-07-25", 0.040),
    ("2021-10-31", 0.025),
)
# Regencies whose Delta wave stood out: code -> (peak, width in days, height on a log scale).
# Kudus had an early outbreak from late May 2021; the provincial capital was hit hard.
_REGIONAL_WAVES = {
    "33.19": ("2021-06-05", 12.0, 1.6),
    "33.74": ("2021-07-10", 20.0, 1.0),
}
_DEATH_LAG, _ADMISSION_LAG = 10, 5
_ADMISSION_RATE = 0.12
# Reporting effect by weekday, Monday first (Sunday lowest).
_WEEKDAY_CASES = np.array([1.00, 1.08, 1.10, 1.08, 1.05, 0.95, 0.74])
_WEEKDAY_TESTS = np.array([1.05, 1.10, 1.10, 1.10, 1.05, 0.90, 0.70])
# Share of the final count already reported for the last three days (oldest first).
_REPORTING_LAG = np.array([0.85, 0.60, 0.35])
# Missing reports: single village-days and a few multi-day outages.
_MISSING_DAY_SHARE, _OUTAGE_SHARE = 0.003, 0.002
_REGENCY_OUTAGES = 4
# Households with a case (RT level): cases per household, share of cases in clusters, and
# the mean number of households in a cluster.
_CASES_PER_HOUSE, _CLUSTER_SHARE, _CLUSTER_HOUSES = 1.3, 0.5, 6.0


#: One region: code, name, level, parent, population, geometry.
_Row = tuple[str, str, str, str | None, int, BaseGeometry]


@dataclass(frozen=True)
class _Intensity:
    """Expected daily cases by village and day, with the local multiplier behind it."""

    codes: np.ndarray  # (V,) village codes, sorted
    population: np.ndarray  # (V,)
    dates: pd.DatetimeIndex  # (T,)
    cases: np.ndarray  # (V, T) expected cases before weekday and reporting effects
    log_local: np.ndarray  # (V, T) log of the local multiplier (centred per day)


# --------------------------------------------------------------------------- regions


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


def demo_regions(seed: int = SEED) -> gpd.GeoDataFrame:
    """All regions of the demo province, from the province down to RT.

    Parameters
    ----------
    seed : int
        Seed of the generated levels and shapes; the default gives the built-in demo.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code, name, level, parent, population, geometry`` (EPSG:4326), one row per
        region: the province, 35 regencies/cities, generated districts and villages, and
        RW/RT inside four kelurahan of Kota Semarang. Children's populations sum exactly to
        their parent's and children's shapes tile their parent's.
    """
    return _regions_cached(seed).copy()


@lru_cache(maxsize=2)
def _regions_cached(seed: int) -> gpd.GeoDataFrame:
    return _build_regions(seed)


def _build_regions(seed: int) -> gpd.GeoDataFrame:
    """Build :func:`demo_regions` without the cache."""
    geo_rng = np.random.default_rng([seed, _STREAM_GEOMETRY])
    pop_rng = np.random.default_rng([seed, _STREAM_POPULATION])
    table = regency_table()
    outline = Polygon(_OUTLINE)
    total = int(table["population"].sum())
    rows: list[_Row] = [(PROVINCE_CODE, PROVINCE_NAME, "province", None, total, outline)]
    shapes = _regency_shapes(table, outline)
    rows += [
        (rec.code, rec.name, "regency", PROVINCE_CODE, int(rec.population), shapes[rec.code])
        for rec in table.itertuples(index=False)
    ]

    for rec in table.itertuples(index=False):
        short = rec.name.removeprefix("Kabupaten ")
        kota = rec.kind == "kota"
        n_districts = round(2 + rec.population / 250_000) + int(geo_rng.integers(-1, 2))
        n_districts = min(max(n_districts, 4), 8)
        seat = np.array([rec.lon, rec.lat])
        districts = _tile(geo_rng, shapes[rec.code], n_districts, seat)
        d_pops = _split(pop_rng, int(rec.population), n_districts, boost_first=True)
        for d, (d_geom, d_pop) in enumerate(zip(districts, d_pops, strict=True), start=1):
            d_code = f"{rec.code}.{d:02d}"
            rows.append((d_code, f"Kecamatan {short} {d}", "district", rec.code, d_pop, d_geom))
            n_villages = int(geo_rng.integers(6, 11))
            n_kelurahan = n_villages if kota else (int(geo_rng.integers(2, 5)) if d == 1 else 0)
            villages = _tile(geo_rng, d_geom, n_villages)
            v_pops = _split(pop_rng, d_pop, n_villages)
            # RW and RT go into the smallest kelurahan of a few districts of Kota Semarang.
            with_rt = -1
            if rec.code == _RT_CITY and f"{d:02d}" in _RT_DISTRICTS:
                with_rt = int(np.argmin(v_pops))
            for v, (v_geom, v_pop) in enumerate(zip(villages, v_pops, strict=True)):
                kelurahan = v < n_kelurahan
                number = 1001 + v if kelurahan else 2001 + v - n_kelurahan
                v_code = f"{d_code}.{number}"
                kind = "Kelurahan" if kelurahan else "Desa"
                v_name = f"{kind} {short} {d}.{v + 1}"
                rows.append((v_code, v_name, "village", d_code, v_pop, v_geom))
                if v == with_rt:
                    rows.extend(_neighbourhoods(geo_rng, pop_rng, v_code, v_pop, v_geom))

    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population", "geom"])
    frame["population"] = frame["population"].astype("int64")
    return gpd.GeoDataFrame(
        frame.drop(columns="geom"), geometry=list(frame["geom"]), crs=CRS
    ).reset_index(drop=True)


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


def _regency_shapes(table: pd.DataFrame, outline: Polygon) -> dict[str, BaseGeometry]:
    """Voronoi cells around the kabupaten seats, with the cities carved out as small discs."""
    kab = table[table["kind"] == "kabupaten"]
    kota = table[table["kind"] == "kota"]
    owners = list(kab["code"])
    points = list(zip(kab["lon"], kab["lat"], strict=True))
    for rec in kota.itertuples(index=False):
        if rec.code in _ENCLAVE_HOST:
            owners.append(_ENCLAVE_HOST[rec.code])
            points.append((rec.lon, rec.lat))
    cells = _voronoi(np.array(points), outline)
    by_owner: dict[str, list[BaseGeometry]] = {}
    for owner, cell in zip(owners, cells, strict=True):
        by_owner.setdefault(owner, []).append(cell)

    pop_min, pop_max = kota["population"].min(), kota["population"].max()
    discs: dict[str, BaseGeometry] = {}
    for rec in kota.itertuples(index=False):
        share = (rec.population - pop_min) / (pop_max - pop_min)
        radius = _KOTA_RADIUS_MIN + (_KOTA_RADIUS_MAX - _KOTA_RADIUS_MIN) * np.sqrt(share)
        discs[rec.code] = _polygonal(Point(rec.lon, rec.lat).buffer(radius, quad_segs=4) & outline)
    cities = shapely.union_all(list(discs.values()))

    shapes: dict[str, BaseGeometry] = {}
    for code, parts in by_owner.items():
        shapes[code] = _polygonal(shapely.difference(shapely.union_all(parts), cities))
    shapes.update(discs)
    return shapes


def _tile(
    rng: np.random.Generator,
    parent: BaseGeometry,
    k: int,
    first: np.ndarray | None = None,
) -> list[BaseGeometry]:
    """Split ``parent`` into ``k`` Voronoi cells around well-spread random points inside it.

    ``first`` (the seat of government, if it lies inside) is kept as the first generator, so
    child 1 contains the seat.
    """
    if first is not None and not shapely.contains_xy(parent, first[0], first[1]):
        first = None
    return _voronoi(_generators(rng, parent, k, first), parent)


def _voronoi(points: np.ndarray, parent: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of ``points`` (in their order) clipped to ``parent``."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=parent, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):  # pragma: no cover - GEOS guarantees one cell per point
        raise RuntimeError("Voronoi diagram lost a generator")
    return [_polygonal(cell) for cell in shapely.intersection(cells, parent)]


def _generators(
    rng: np.random.Generator, geom: BaseGeometry, k: int, first: np.ndarray | None
) -> np.ndarray:
    """``k`` random points inside ``geom``, spread out by a few rounds of Lloyd's algorithm."""
    candidates = _sample_inside(rng, geom, max(40 * k, 200))
    n_fixed = 0 if first is None else 1
    picks = rng.choice(len(candidates), size=k - n_fixed, replace=False)
    centres = candidates[picks]
    if first is not None:
        centres = np.vstack([first[None, :], centres])
    for _ in range(4):
        dist = ((candidates[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = dist.argmin(axis=1)
        for c in range(n_fixed, k):
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


def _split(rng: np.random.Generator, total: int, k: int, boost_first: bool = False) -> list[int]:
    """Split ``total`` people into ``k`` positive integers that sum exactly to ``total``."""
    alpha = np.full(k, 8.0)
    if boost_first:
        alpha[0] *= 2.0  # the district around the seat is more populous
    shares = rng.dirichlet(alpha)
    counts = rng.multinomial(total - k, shares) + 1
    return [int(c) for c in counts]


# --------------------------------------------------------------------------- counts


def demo_dates() -> pd.DatetimeIndex:
    """Every day of the demo series, :data:`DEMO_START` to :data:`DEMO_AS_OF`."""
    return pd.date_range(DEMO_START, DEMO_AS_OF, freq="D", name="date").as_unit("us")


def demo_counts(regions: pd.DataFrame | None = None, seed: int = SEED) -> pd.DataFrame:
    """Daily counts for every village of the demo province, 2020-09-01 to 2021-10-31.

    Parameters
    ----------
    regions : DataFrame, optional
        The output of :func:`demo_regions` (only its villages are used); built if omitted.
    seed : int
        Seed of the counts.

    Returns
    -------
    pandas.DataFrame
        Long frame, one row per village and day, sorted by ``region, date``; columns
        ``region, date, new_cases, deaths, admissions, tests, positives`` (counts as float,
        NaN where the regency did not report that day: a few short outages). The last three days are
        incomplete (reporting lag).
    """
    intensity = _intensity(demo_regions(seed) if regions is None else regions, seed)
    rng = np.random.default_rng([seed, _STREAM_COUNTS])
    lam = intensity.cases
    n_villages, n_days = lam.shape
    dates = intensity.dates
    weekday = dates.day_of_week.to_numpy()
    lag = np.ones(n_days)
    lag[-len(_REPORTING_LAG) :] = _REPORTING_LAG
    report = (_WEEKDAY_CASES[weekday] * lag)[None, :]

    new_cases = _negbin(rng, lam * report, 1.5)
    cfr = _curve(_CFR_KNOTS, dates)
    deaths = rng.poisson(_shift(lam * cfr[None, :], _DEATH_LAG) * report)
    admissions = _negbin(rng, _shift(lam, _ADMISSION_LAG) * _ADMISSION_RATE * report, 3.0)

    # Tests: 5x (at 30% positivity) to 20x (at 4-5%) the cases; hotter villages test positive more.
    positivity = _curve(_POSITIVITY_KNOTS, dates)
    per_case = np.interp(positivity, [0.04, 0.30], [22.0, 5.0])
    capacity = np.exp(rng.normal(0.0, 0.3, size=(n_villages, 1)))
    test_mean = lam * per_case[None, :] * capacity * (_WEEKDAY_TESTS[weekday] * lag)[None, :]
    tests = _negbin(rng, test_mean, 6.0)
    # Local positivity: higher where the outbreak is hotter and where fewer tests are done,
    # scaled so that the province's positivity follows the curve.
    local = np.exp(0.3 * intensity.log_local) / capacity**0.5
    local /= (local * test_mean).sum(axis=0) / test_mean.sum(axis=0)
    positives = rng.binomial(tests, np.clip(positivity[None, :] * local, 0.002, 0.6))

    missing = _regency_outages(rng, intensity.codes, n_days)
    columns = {
        "new_cases": new_cases,
        "deaths": deaths,
        "admissions": admissions,
        "tests": tests,
        "positives": positives,
    }
    out = pd.DataFrame(
        {
            "region": np.repeat(intensity.codes, n_days),
            "date": np.tile(dates.to_numpy(), n_villages),
        }
    )
    for name, values in columns.items():
        data = values.astype("float64")
        data[missing] = np.nan
        out[name] = data.ravel()
    return out


def demo_houses(regions: pd.DataFrame | None = None, seed: int = SEED) -> pd.DataFrame:
    """Households with a confirmed case in the last 7 days, for every demo RT (PPKM Mikro).

    Parameters
    ----------
    regions : DataFrame, optional
        The output of :func:`demo_regions`; built if omitted.
    seed : int
        Seed of the counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, date, houses_7d`` (float; NaN where the RT did not report), one row
        per RT and day, following the epidemic of the RT's village and city. The last three
        days are incomplete (reporting lag).
    """
    regions = demo_regions(seed) if regions is None else regions
    intensity = _intensity(regions, seed)
    rng = np.random.default_rng([seed, _STREAM_HOUSES])
    rts = regions.loc[regions["level"] == "rt", ["code", "population"]].sort_values("code")
    if rts.empty:
        return pd.DataFrame(
            {
                "region": pd.Series(dtype="str"),
                "date": pd.Series(dtype="datetime64[us]"),
                "houses_7d": pd.Series(dtype="float64"),
            }
        )
    village_of = [ancestor_at_depth(c, 4) for c in rts["code"]]
    row = pd.Series(np.arange(len(intensity.codes)), index=intensity.codes)[village_of].to_numpy()

    # Per-capita rate: geometric mean of the village's and its city's, so that the RTs follow
    # their village but without the village's sharpest swings.
    n_rt, n_days = len(rts), len(intensity.dates)
    city = np.array([ancestor_at_depth(c, 2) for c in intensity.codes])
    _, city_index = np.unique(city, return_inverse=True)
    city_cases = np.zeros((city_index.max() + 1, n_days))
    np.add.at(city_cases, city_index, intensity.cases)
    city_rate = city_cases / np.bincount(city_index, weights=intensity.population)[:, None]
    village_rate = intensity.cases[row] / intensity.population[row, None]
    rate = np.sqrt(village_rate * city_rate[city_index[row]])
    lam = rate * rts["population"].to_numpy()[:, None]

    warm = 6  # days before the series, so that the first 7-day window is full
    lam = np.hstack([np.repeat(lam[:, :1], warm, axis=1), lam])
    shape = lam.shape
    # Scattered households (with an RT factor that changes slowly), plus clusters found by
    # contact tracing (a gathering, a workplace) that report several households at once.
    sigma = 0.6
    spread = np.exp(_ar1(rng, shape, 0.9, sigma) - sigma**2 / 2)
    single = _negbin(rng, lam * spread * (1 - _CLUSTER_SHARE) / _CASES_PER_HOUSE, 1.0)
    cluster_rate = lam * _CLUSTER_SHARE / (_CLUSTER_HOUSES * _CASES_PER_HOUSE)
    sizes = 1 + _negbin(rng, np.full(shape, _CLUSTER_HOUSES - 1.0), 1.5)
    daily = single + rng.poisson(cluster_rate) * sizes
    lag = np.ones(n_days + warm)
    lag[-len(_REPORTING_LAG) :] = _REPORTING_LAG
    daily = rng.binomial(daily, lag[None, :])
    cumulative = np.cumsum(np.hstack([np.zeros((n_rt, 1), dtype=np.int64), daily]), axis=1)
    houses = (cumulative[:, 7:] - cumulative[:, :-7]).astype("float64")
    houses[_missing_mask(rng, n_rt, n_days)] = np.nan
    return pd.DataFrame(
        {
            "region": np.repeat(rts["code"].to_numpy(), n_days),
            "date": np.tile(intensity.dates.to_numpy(), n_rt),
            "houses_7d": houses.ravel(),
        }
    )


def _intensity(regions: pd.DataFrame, seed: int) -> _Intensity:
    """Expected daily cases of every village: the province curve shared out with local noise.

    Village weight = population x regency effect x regency wave timing x village effect x
    village outbreaks (the last two as slowly varying random processes); each day the
    province curve is shared out in proportion to the weights.
    """
    rng = np.random.default_rng([seed, _STREAM_INTENSITY])
    villages = regions.loc[regions["level"] == "village", ["code", "population"]]
    villages = villages.sort_values("code")
    codes = villages["code"].to_numpy(dtype=object)
    population = villages["population"].to_numpy(dtype="float64")
    dates = demo_dates()
    n_villages, n_days = len(codes), len(dates)

    regency = np.array([ancestor_at_depth(c, 2) for c in codes])
    reg_codes, reg_index = np.unique(regency, return_inverse=True)
    n_reg = len(reg_codes)
    reg_static = rng.normal(0.0, 0.35, size=n_reg)
    reg_static += np.where([c.split(".")[1] >= "71" for c in reg_codes], 0.3, 0.0)  # cities
    reg_wave = _ar1(rng, (n_reg, n_days), 0.97, 0.35)
    days = (dates - pd.Timestamp(DEMO_START)).days.to_numpy()
    for code, (peak, width, height) in _REGIONAL_WAVES.items():
        centre = (pd.Timestamp(peak) - pd.Timestamp(DEMO_START)).days
        reg_wave[reg_codes == code] += height * np.exp(-0.5 * ((days - centre) / width) ** 2)

    village_static = rng.normal(0.0, 0.5, size=n_villages)
    # Village outbreaks; when the province is quiet, its few cases sit in fewer, sharper clusters.
    curve = _curve(_CASE_KNOTS, dates, log=True)
    quiet = (np.log(curve.max()) - np.log(curve)) / (np.log(curve.max()) - np.log(curve.min()))
    outbreaks = _ar1(rng, (n_villages, n_days), 0.92, 1.0) * (0.8 + 1.7 * quiet)[None, :]
    log_m = (reg_static[reg_index] + village_static)[:, None] + reg_wave[reg_index] + outbreaks
    log_m -= log_m.mean(axis=0, keepdims=True)
    weight = population[:, None] * np.exp(log_m)
    curve = curve * float(population.sum()) / _province_population(regions)
    cases = curve[None, :] * weight / weight.sum(axis=0, keepdims=True)
    return _Intensity(codes, population, dates, cases, log_m)


def _province_population(regions: pd.DataFrame) -> float:
    """Population of the whole province (the curve is for the whole province)."""
    top = regions.loc[regions["level"] == "province", "population"]
    if len(top):
        return float(top.iloc[0])
    return float(regions.loc[regions["level"] == "village", "population"].sum())


def _curve(
    knots: tuple[tuple[str, float], ...], dates: pd.DatetimeIndex, log: bool = False
) -> np.ndarray:
    """Interpolate knots (date, value) at ``dates``; on a log scale and smoothed if ``log``."""
    start = pd.Timestamp(DEMO_START)
    x = np.array([(pd.Timestamp(d) - start).days for d, _ in knots], dtype="float64")
    y = np.array([v for _, v in knots], dtype="float64")
    t = (dates - start).days.to_numpy().astype("float64")
    if not log:
        return np.interp(t, x, y)
    values = np.interp(t, x, np.log(y))
    kernel = np.exp(-0.5 * (np.arange(-12, 13) / 4.0) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, 12, mode="edge")
    return np.exp(np.convolve(padded, kernel, mode="valid"))


def _ar1(rng: np.random.Generator, shape: tuple[int, int], phi: float, sd: float) -> np.ndarray:
    """Rows of a stationary AR(1) process with autocorrelation ``phi`` and s.d. ``sd``."""
    noise = rng.normal(0.0, sd * np.sqrt(1.0 - phi**2), size=shape)
    out = np.empty(shape)
    out[:, 0] = rng.normal(0.0, sd, size=shape[0])
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + noise[:, t]
    return out


def _negbin(rng: np.random.Generator, mean: np.ndarray, k: float) -> np.ndarray:
    """Negative binomial draws with the given means and dispersion ``k`` (variance m + m²/k)."""
    return rng.poisson(rng.gamma(k, 1.0 / k, size=mean.shape) * mean)


def _shift(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` delayed by ``lag`` days along axis 1 (the first day repeats before the start)."""
    return np.hstack([np.repeat(values[:, :1], lag, axis=1), values[:, :-lag]])


def _regency_outages(rng: np.random.Generator, codes: np.ndarray, n_days: int) -> np.ndarray:
    """Village-days without a report: a few regencies miss whole days (a regency's report
    carries all its villages, so a gap is the regency's), as real reporting units did."""
    regencies = np.array([ancestor_at_depth(c, 2) for c in codes])
    uniq = np.unique(regencies)
    mask = np.zeros((len(codes), n_days), dtype=bool)
    for _ in range(_REGENCY_OUTAGES):
        rows = regencies == uniq[rng.integers(len(uniq))]
        start = int(rng.integers(30, n_days - 30))
        mask[rows, start : start + int(rng.integers(1, 4))] = True
    return mask


def _missing_mask(rng: np.random.Generator, n_rows: int, n_days: int) -> np.ndarray:
    """Village-days without a report: scattered days plus a few outages of 3-7 days."""
    mask = rng.random((n_rows, n_days)) < _MISSING_DAY_SHARE
    n_outages = max(1, round(n_rows * n_days * _OUTAGE_SHARE / 5))
    rows = rng.integers(0, n_rows, size=n_outages)
    starts = rng.integers(0, n_days - 7, size=n_outages)
    lengths = rng.integers(3, 8, size=n_outages)
    for r, s, n in zip(rows, starts, lengths, strict=True):
        mask[r, s : s + n] = True
    return mask
