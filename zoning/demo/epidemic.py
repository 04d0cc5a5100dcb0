"""The demo epidemic: generated daily counts for every village of the demo province.

Everything here is made up, deterministically from :data:`zoning.demo.province.SEED`; only
its shape is modelled on what Jawa Tengah went through in 2021. The series runs from
:data:`DEMO_START` (1 March 2021, the lull after the winter wave) to :data:`DEMO_AS_OF`
(6 July 2021), in the middle of the Delta wave: the last day is a rising day, so the first
view shows every zone and the trends point up.

How the expected cases of a village on a day are made (:func:`_intensity`), per person:

* **background**: a low rate shared by the province, decaying from the tail of the winter
  wave, times a village factor that varies smoothly in space (neighbouring villages alike);
* **clusters**: a few hundred local outbreaks (:data:`_CLUSTERS`) that start at a random
  village on a random day, grow over two weeks into the villages around it (their reach
  widens day by day) and fade after three or four;
* **the wave**: it starts at a few places on given days (:data:`_WAVE_SEEDS`: Kudus in late
  May, then Kota Semarang, Surakarta, Magelang, Purwokerto, Pekalongan and, late, Tegal) and from
  random sparks near them, and travels outwards at about a kilometre a day. A village's
  wave begins when the front reaches it (with some spatially smooth jitter), rises for
  three to four weeks and falls again. Places the front has not reached by the last day
  are still quiet: the south coast (Cilacap, Kebumen, Purworejo, Wonogiri) stays level 1.

Counts are then drawn around these expectations: cases (negative binomial, fewer reported
on Sundays, the last three days incomplete as reports come in late), admissions five days
and deaths ten days after the cases, tests and positives (positivity higher where the
epidemic is hotter), and a few days on which a whole regency did not report (missing, never
zero).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from zoning.demo.province import (
    SEED,
    STREAM_COUNTS,
    STREAM_HOUSES,
    STREAM_INTENSITY,
    demo_regions,
)
from zoning.model.codes import ancestor_at_depth

#: First and last day of the demo series.
DEMO_START = dt.date(2021, 3, 1)
DEMO_AS_OF = dt.date(2021, 7, 6)

# Background rate per 100,000 people a day: the winter wave's tail decays to a floor.
_BACKGROUND_FLOOR, _BACKGROUND_TAIL, _BACKGROUND_DECAY_DAYS = 0.8, 1.2, 18.0
# Local outbreaks: how many, their peak rate per 100,000 a day where they start, the reach
# (km, standard deviation of a Gaussian) they start with, grow by each day and end at, and
# the day of their peak after they start.
_CLUSTERS = 260
_CLUSTER_PEAK = 25.0
_CLUSTER_REACH_START, _CLUSTER_REACH_GROWTH, _CLUSTER_REACH_MAX = 0.6, 0.15, 2.5
_CLUSTER_PEAK_DAY = 11.0
# The Delta wave: (longitude, latitude, first day, speed in km/day, height), one per place
# it starts from; the height multiplies the local peak rate (_WAVE_PEAK).
_WAVE_SEEDS = (
    (110.84, -6.81, "2021-05-18", 1.25, 1.7),  # Kudus
    (110.42, -6.99, "2021-06-01", 1.3, 1.2),  # Kota Semarang
    (110.82, -7.57, "2021-06-06", 1.2, 1.1),  # Surakarta
    (110.22, -7.48, "2021-06-10", 1.0, 1.0),  # Magelang
    (109.24, -7.42, "2021-06-14", 1.0, 1.0),  # Purwokerto
    (109.67, -6.89, "2021-06-20", 1.0, 0.9),  # Pekalongan
    (109.14, -6.87, "2021-06-25", 1.0, 0.9),  # Tegal, late
)
# Sparks: new starting points of the wave a few days after a seed and up to 45 km from it.
_SPARKS_PER_SEED, _SPARK_RADIUS_KM, _SPARK_DELAY_DAYS = 5, 45.0, (4, 16)
# Peak rate of the wave per 100,000 a day, and the days from its arrival to its peak.
_WAVE_PEAK, _WAVE_PEAK_DAY, _WAVE_SHAPE = 26.0, 26.0, 3.0
# Spatially smooth jitter of the wave's arrival (days) and of the local factors of the
# background and of the wave (log scale).
_ARRIVAL_JITTER, _LOCAL_SD, _WAVE_SD = 4.0, 0.8, 0.4
# Deaths and admissions: delay (days) and share of the cases.
_DEATH_LAG, _ADMISSION_LAG = 10, 5
_CFR, _ADMISSION_RATE = 0.03, 0.12
# Reporting effect by weekday, Monday first (Sunday lowest).
_WEEKDAY_CASES = np.array([1.00, 1.08, 1.10, 1.08, 1.05, 0.95, 0.74])
_WEEKDAY_TESTS = np.array([1.05, 1.10, 1.10, 1.10, 1.05, 0.90, 0.70])
# Share of the final count already reported for the last three days (oldest first).
_REPORTING_LAG = np.array([0.85, 0.60, 0.35])
# Missing reports: single RT-days and a few multi-day outages (RT), whole regency-days.
_MISSING_DAY_SHARE, _OUTAGE_SHARE = 0.003, 0.002
_REGENCY_OUTAGES = 4
# Households with a case (RT level): cases per household, share of cases in clusters, and
# the mean number of households in a cluster.
_CASES_PER_HOUSE, _CLUSTER_SHARE, _CLUSTER_HOUSES = 1.3, 0.5, 6.0
# The demo's RTs are dense, hard-hit neighbourhoods (they are there to show PPKM Mikro): their
# rate per person is this many times their village's and city's.
_RT_HOTSPOT = 8.0
# Kilometres per degree (the province lies around 7.3 degrees south).
_KM_PER_DEGREE = 110.6
_COS_LAT = float(np.cos(np.radians(7.3)))


@dataclass(frozen=True)
class _Intensity:
    """Expected daily cases by village and day."""

    codes: np.ndarray  # (V,) village codes, sorted
    population: np.ndarray  # (V,)
    dates: pd.DatetimeIndex  # (T,)
    cases: np.ndarray  # (V, T) expected cases before weekday and reporting effects


# --------------------------------------------------------------------------- counts


def demo_dates() -> pd.DatetimeIndex:
    """Every day of the demo series, :data:`DEMO_START` to :data:`DEMO_AS_OF`."""
    return pd.date_range(DEMO_START, DEMO_AS_OF, freq="D", name="date").as_unit("us")


def demo_counts(regions: pd.DataFrame | None = None, seed: int = SEED) -> pd.DataFrame:
    """Daily counts for every village of the demo province, :data:`DEMO_START` to
    :data:`DEMO_AS_OF`.

    Parameters
    ----------
    regions : GeoDataFrame, optional
        The output of :func:`demo_regions` (its villages, with their shapes); built if omitted.
    seed : int
        Seed of the counts.

    Returns
    -------
    pandas.DataFrame
        Long frame, one row per village and day, sorted by ``region, date``; columns
        ``region, date, new_cases, deaths, admissions, tests, positives`` (counts as float,
        NaN where the regency did not report that day: a few short outages). The last three
        days are incomplete (reporting lag).
    """
    intensity = _intensity(demo_regions(seed) if regions is None else regions, seed)
    rng = np.random.default_rng([seed, STREAM_COUNTS])
    lam = intensity.cases
    n_villages, n_days = lam.shape
    dates = intensity.dates
    weekday = dates.day_of_week.to_numpy()
    lag = np.ones(n_days)
    lag[-len(_REPORTING_LAG) :] = _REPORTING_LAG
    report = (_WEEKDAY_CASES[weekday] * lag)[None, :]

    new_cases = _negbin(rng, lam * report, 1.5)
    deaths = rng.poisson(_shift(lam, _DEATH_LAG) * _CFR * report)
    admissions = _negbin(rng, _shift(lam, _ADMISSION_LAG) * _ADMISSION_RATE * report, 3.0)

    # Positivity rises with the local rate (4 % when quiet, about 30 % at a wave's peak) and
    # where fewer tests are done; tests are the cases over the positivity.
    rate = 1e5 * lam / intensity.population[:, None]
    capacity = np.exp(rng.normal(0.0, 0.3, size=(n_villages, 1)))
    positivity = np.clip((0.03 + 0.30 * rate / (rate + 40.0)) / capacity**0.5, 0.01, 0.6)
    test_mean = lam / positivity * (_WEEKDAY_TESTS[weekday] * lag)[None, :]
    tests = _negbin(rng, test_mean, 6.0)
    positives = rng.binomial(tests, positivity)

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
    rng = np.random.default_rng([seed, STREAM_HOUSES])
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
    rate = np.sqrt(village_rate * city_rate[city_index[row]]) * _RT_HOTSPOT
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
    """Expected daily cases of every village: background, clusters and the wave (see the
    module's docstring), each per person, times the village's population."""
    rng = np.random.default_rng([seed, STREAM_INTENSITY])
    villages = regions.loc[regions["level"] == "village"].sort_values("code")
    codes = villages["code"].to_numpy(dtype=object)
    population = villages["population"].to_numpy(dtype="float64")
    dates = demo_dates()
    days = np.arange(len(dates), dtype="float64")
    xy = _kilometres(villages)
    tree = cKDTree(xy)

    # background: decaying from the winter wave's tail, smooth in space
    local = np.exp(_smooth(rng, tree, _LOCAL_SD) - _LOCAL_SD**2 / 2)
    background = _BACKGROUND_FLOOR + _BACKGROUND_TAIL * np.exp(-days / _BACKGROUND_DECAY_DAYS)
    rate = local[:, None] * background[None, :]

    # clusters: a reach that widens day by day around a starting village
    starts = rng.integers(0, len(dates) - 5, size=_CLUSTERS)
    centres = rng.integers(0, len(codes), size=_CLUSTERS)
    peaks = _CLUSTER_PEAK * np.exp(rng.normal(0.0, 0.5, size=_CLUSTERS))
    for start, centre, peak in zip(starts, centres, peaks, strict=True):
        near = np.asarray(tree.query_ball_point(xy[centre], 3 * _CLUSTER_REACH_MAX))
        dist2 = ((xy[near] - xy[centre]) ** 2).sum(axis=1)
        age = days[start:] - start
        reach = np.minimum(_CLUSTER_REACH_START + _CLUSTER_REACH_GROWTH * age, _CLUSTER_REACH_MAX)
        shape = _bump(age, _CLUSTER_PEAK_DAY, 2.0)
        rate[near, start:] += peak * shape[None, :] * np.exp(-dist2[:, None] / (2 * reach**2))

    # the wave: a front from a few seeds and sparks near them, a local rise and fall behind it
    arrival = np.full(len(codes), np.inf)
    height = np.zeros(len(codes))
    first = pd.Timestamp(DEMO_START)
    for lon, lat, day, speed, strength in _WAVE_SEEDS:
        origin = _kilometres_of(np.array([[lon, lat]]))[0]
        t0 = (pd.Timestamp(day) - first).days
        sources = [(origin, t0)]
        for _ in range(_SPARKS_PER_SEED):
            angle, radius = rng.uniform(0, 2 * np.pi), _SPARK_RADIUS_KM * np.sqrt(rng.uniform())
            spark = origin + radius * np.array([np.cos(angle), np.sin(angle)])
            sources.append((spark, t0 + rng.integers(*_SPARK_DELAY_DAYS) + radius / speed / 2))
        for point, t in sources:
            reach = t + np.sqrt(((xy - point) ** 2).sum(axis=1)) / speed
            closer = reach < arrival
            arrival[closer] = reach[closer]
            height[closer] = strength
    arrival += _ARRIVAL_JITTER * _smooth(rng, tree, 1.0)
    wave_local = np.exp(_smooth(rng, tree, _WAVE_SD) - _WAVE_SD**2 / 2)
    since = days[None, :] - arrival[:, None]
    rate += _WAVE_PEAK * (height * wave_local)[:, None] * _bump(since, _WAVE_PEAK_DAY, _WAVE_SHAPE)

    cases = rate * population[:, None] / 1e5
    return _Intensity(codes, population, dates, cases)


def _kilometres(villages: pd.DataFrame) -> np.ndarray:
    """A point inside each village (its shape's representative point), in km."""
    points = villages.geometry.representative_point()
    return _kilometres_of(np.column_stack([points.x.to_numpy(), points.y.to_numpy()]))


def _kilometres_of(lonlat: np.ndarray) -> np.ndarray:
    """Longitude and latitude (degrees) to kilometres on a plane around the province."""
    return np.column_stack(
        [lonlat[:, 0] * _KM_PER_DEGREE * _COS_LAT, lonlat[:, 1] * _KM_PER_DEGREE]
    )


def _smooth(rng: np.random.Generator, tree: cKDTree, sd: float, k: int = 12) -> np.ndarray:
    """Spatially smooth noise of standard deviation ``sd``: each village's draw averaged with
    its ``k`` nearest neighbours', twice, then rescaled."""
    values = rng.normal(0.0, 1.0, size=tree.n)
    _, neighbours = tree.query(tree.data, k=k)
    for _ in range(2):
        values = values[neighbours].mean(axis=1)
    return sd * (values - values.mean()) / values.std()


def _bump(age: np.ndarray, peak_day: float, shape: float) -> np.ndarray:
    """A rise and fall: 0 before ``age`` 0, 1 at ``peak_day``, ``(a/p)^k e^{k(1-a/p)}``."""
    ratio = np.clip(age, 0.0, None) / peak_day
    return ratio**shape * np.exp(shape * (1.0 - ratio))


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
