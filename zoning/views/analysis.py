"""Analyses officials act on, as tables: zone changes with hysteresis, hot spots, Rt and
smoothed small-area rates. The command line prints them; pages show them.

Each reads the store through :mod:`zoning.views.service` and computes with the model
(:mod:`zoning.model.hysteresis`, :mod:`zoning.model.spatial`, :mod:`zoning.model.rt`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.model import hysteresis, nowcast, rt, spatial
from zoning.model import metrics as M
from zoning.model.codes import try_normalise
from zoning.model.schemes import NO_ZONE, Scheme, every_zone_change
from zoning.store import DISPLAY_TOLERANCE, Store
from zoning.views import cache, decisions, service

#: The metric hot spots are found on unless another is asked for.
DEFAULT_HOTSPOT_METRIC = "cases_7d_per_100k"
SMOOTHING = ("eb", "seb")


def steady_zones(store: Store, scheme: Scheme, level: str) -> hysteresis.Steady:
    """Zones of every region x day of ``level`` with the scheme's hysteresis (cached)."""
    return cache.cached(
        cache.key(store, "steady", scheme.id, scheme.step_down_days, level),
        lambda: hysteresis.steady(service.zone_panel(store, scheme, level), scheme.step_down_days),
    )


def zone_changes(
    store: Store, scheme: Scheme, level: str, since: pd.Timestamp, *, decided: bool = False
) -> pd.DataFrame:
    """Every change of zone on or after ``since``: ``code, name, date, from_zone, to_zone``,
    by date then code, with the scheme's hysteresis applied.

    ``decided``: changes of the zone each region shows (what alerts and bulletins announce):
    analysts' decisions laid over the zones with hysteresis
    (:func:`zoning.views.decisions.zone_panel`), so an override is announced as decided, and
    where unconfirmed zones are not public a change waits for its confirmation."""
    data = service.level_data(store, level)
    zones = steady_zones(store, scheme, level).zone
    if decided:
        zones = decisions.zone_panel(store, scheme, level, ("steady", zones))
    region, day, before, after = every_zone_change(zones)
    keep = data.panel.dates[day] >= since if len(day) else np.array([], dtype=bool)
    region, day, before, after = region[keep], day[keep], before[keep], after[keep]
    names = service.regions(store, level).set_index("code")["name"]
    codes = data.panel.regions[region]
    ids = np.array(scheme.zone_ids, dtype=object)
    out = pd.DataFrame({
        "code": codes,
        "name": names.reindex(codes).to_numpy(),
        "date": data.panel.dates[day].strftime("%Y-%m-%d"),
        "from_zone": ids[before] if len(before) else [],
        "to_zone": ids[after] if len(after) else [],
    })  # fmt: skip
    return out.sort_values(["date", "code"], kind="stable").reset_index(drop=True)


def _contiguity(store: Store, level: str):
    """Queen contiguity of the regions of ``level`` in the order of
    :func:`zoning.views.service.level_data` (cached); a clear error where some have no
    boundary."""
    data = service.level_data(store, level)
    geometry = service.geometries(store, level).set_index("code").geometry
    geometry = geometry.reindex(data.panel.regions)
    if geometry.isna().any():
        raise InputError(
            f"hot spots and spatial smoothing need the boundaries of every {level}; "
            f"{int(geometry.isna().sum())} have none: import them with 'regions import'",
            column="--level",
        )
    return cache.cached(
        cache.key(store, "contiguity", level),
        lambda: spatial.contiguity(geometry, snap=DISPLAY_TOLERANCE.get(level, 0.0) / 2),
    )


def _eb(store: Store, level: str, zones: pd.DataFrame, metric: str, how: str) -> tuple:
    """The 7-day counts, people, rate factor and empirical-Bayes prior of ``metric`` over
    the rows of ``zones`` (a :func:`zoning.views.service.zones_on` table, in its order)."""
    count, factor = M.per_population()[metric]
    events = zones[count].to_numpy(dtype=float)
    people = zones["population"].to_numpy(dtype=float)
    w = _contiguity(store, level) if how == "seb" else None
    return events, people, factor, spatial.eb_rates(events, people, per=factor, w=w)


def hot_spots(store: Store, level: str, day: pd.Timestamp, metric: str) -> pd.DataFrame:
    """Getis-Ord Gi* hot spots of ``metric`` on ``day`` over neighbouring regions, corrected
    for the false-discovery rate: ``code, name, z, p_fdr, hotspot``."""
    data = service.level_data(store, level)
    rates = M.per_population()
    if metric not in data.metrics or metric not in {*rates, "cases_7d"}:
        known = sorted(m for m in data.metrics if m in rates)
        raise InputError(
            f"{metric!r} cannot be mapped for hot spots at {level} level; "
            f"choose one of {', '.join(known) or 'none (no rates at this level)'}",
            column="--metric",
        )
    geo = service.geometries(store, level).set_index("code")
    w = _contiguity(store, level)
    values = data.metrics[metric][:, data.day_index(day)]
    found = spatial.hot_spots(values, w)
    return pd.DataFrame({
        "code": data.panel.regions,
        "name": geo["name"].reindex(data.panel.regions).to_numpy(),
        "z": found.z,
        "p_fdr": found.p_fdr,
        "hotspot": found.hotspot,
    })  # fmt: skip


def region_level(store: Store, code: str, field: str = "--region") -> tuple[str, str]:
    """The normalised code of a stored region and its level; a clear error otherwise."""
    normal = try_normalise(code)
    if normal is None:
        raise InputError(f"{code!r} is not a region code (e.g. 33.74)", column=field)
    known = store.regions()
    match = known[known["code"] == normal]
    if match.empty:
        raise InputError(f"no region {normal} in the store", column=field)
    level = str(match["level"].iloc[0])
    if level not in store.levels():
        raise InputError(f"the store has no {level} figures for {normal}", column=field)
    return normal, level


def rt_series(store: Store, code: str, si_mean: float, si_sd: float) -> pd.DataFrame:
    """Rt of one region by day (Cori et al. 2013, 7-day windows, 95 % interval):
    ``date, rt, rt_lower, rt_upper`` (empty where there is no estimate)."""
    normal, level = region_level(store, code)
    series = service.case_series(store, level, normal)
    if "new_cases" not in series:
        raise InputError(f"{normal} has no new cases to estimate Rt from", column="--region")
    try:
        found = rt.estimate(series["new_cases"].to_numpy(dtype=float), si_mean, si_sd)
    except ValueError as exc:
        raise InputError(str(exc), column="--si-mean") from None
    return pd.DataFrame({
        "date": pd.DatetimeIndex(series["date"]).strftime("%Y-%m-%d"),
        "rt": found.mean, "rt_lower": found.lower, "rt_upper": found.upper,
    })  # fmt: skip


#: A zone is uncertain where the probability that the true rate is above one of the cut-offs
#: of the smoothed metric lies in this range (neither side is likely enough to be told).
UNCERTAIN = (0.2, 0.8)


def smoothed_metric(scheme: Scheme) -> str | None:
    """The rate per population a scheme's zones are smoothed on: the first it reads."""
    rates = M.per_population()
    return next((m for m in scheme.metrics if m in rates), None)


def smoothed(
    store: Store, scheme: Scheme, level: str, zones: pd.DataFrame, how: str = "eb"
) -> pd.DataFrame:
    """Empirical-Bayes rates of the scheme's first rate per population in ``zones`` (a
    :func:`zoning.views.service.zones_on` table), and the probability that each region's
    true rate is at or above the lower cut-off of its zone: ``rate_smoothed, p_above``.

    ``how``: ``eb`` towards the whole level's rate, ``seb`` towards each region's
    neighbours. Empty where the scheme reads no such rate or the zone has no lower cut-off.
    """
    if how not in SMOOTHING:
        raise InputError(f"--smooth is one of {', '.join(SMOOTHING)}", column="--smooth")
    metric = smoothed_metric(scheme)
    empty = pd.DataFrame({"rate_smoothed": np.nan, "p_above": np.nan}, index=zones.index)
    if metric is None or metric not in zones:
        return empty
    events, people, factor, prior = _eb(store, level, zones, metric, how)
    lower = {zone: lo for zone, lo, _ in scheme.bands(metric)}
    zone_index = zones["zone_index"].to_numpy()
    cut = np.array([
        lower.get(scheme.zones[z].id, np.nan) if z != NO_ZONE else np.nan for z in zone_index
    ])  # fmt: skip
    cut = np.where(np.isfinite(cut), cut, np.nan)
    return pd.DataFrame(
        {"rate_smoothed": prior.rate,
         "p_above": spatial.p_above(events, people, prior, cut, per=factor)},
        index=zones.index,
    )  # fmt: skip


def smoothed_zones(store: Store, scheme: Scheme, level: str, day: object, how: str) -> pd.DataFrame:
    """The zones of ``level`` on ``day`` from empirical-Bayes rates (``how``: ``eb`` or
    ``seb``, as in :func:`smoothed`), one row per row of
    :func:`zoning.views.service.zones_on`: ``code, rate_smoothed, zone_index, zone,
    uncertain``.

    The scheme classifies each region again with its smoothed rate in place of the raw one
    (its other metrics unchanged). ``uncertain``: the probability that the true rate is at
    or above some cut-off of that metric lies within :data:`UNCERTAIN`. A scheme that reads
    no rate per population keeps its zones and marks none uncertain.
    """
    if how not in SMOOTHING:
        raise InputError(f"smoothing is one of {', '.join(SMOOTHING)}", column="smooth")

    def build() -> pd.DataFrame:
        zones = service.zones_on(store, scheme, level, day)
        metric = smoothed_metric(scheme)
        out = pd.DataFrame({"code": zones["code"], "rate_smoothed": np.nan,
                            "zone_index": zones["zone_index"], "uncertain": False})  # fmt: skip
        if metric is None or metric not in zones:
            out["zone"] = scheme.zone_id_array(out["zone_index"].to_numpy())
            return out
        events, people, factor, prior = _eb(store, level, zones, metric, how)
        values = {m: zones[m].to_numpy(dtype=float) for m in scheme.metrics if m in zones}
        # where the raw rate is missing (no data, or only a lower bound) so is the smoothed
        values[metric] = np.where(np.isfinite(values[metric]), prior.rate, np.nan)
        index = scheme.classify(values, shape=(len(zones),))
        cuts = [lo for _, lo, _ in scheme.bands(metric) if np.isfinite(lo)]
        unsure = np.zeros(len(zones), dtype=bool)
        for cut in cuts:
            p = spatial.p_above(events, people, prior, cut, per=factor)
            unsure |= np.isfinite(p) & (p >= UNCERTAIN[0]) & (p <= UNCERTAIN[1])
        out["rate_smoothed"] = values[metric]
        out["zone_index"] = index
        out["uncertain"] = unsure & (index != NO_ZONE)
        out["zone"] = scheme.zone_id_array(index)
        return out

    key = cache.key(store, "smoothed-zones", scheme.id, level, how, day=day)
    return cache.cached(key, build, shelf="view")


def smoothed_series(
    store: Store, scheme: Scheme, level: str, codes: list[str], how: str = "eb"
) -> pd.DataFrame:
    """Raw and empirical-Bayes rates of the scheme's smoothed metric for regions ``codes``
    over every day of ``level``: ``code, date, raw, smoothed`` (empty when the scheme reads
    no rate per population). Each day is smoothed over the whole level, as on the map."""
    metric = smoothed_metric(scheme)
    data = service.level_data(store, level)
    if metric is None or metric not in data.metrics:
        return pd.DataFrame(columns=["code", "date", "raw", "smoothed"])
    factor = M.per_population()[metric][1]
    people = data.panel.population
    raw = data.metrics[metric]
    # the 7-day counts behind the rates (whole numbers: the rate is one division of them)
    events = np.rint(raw * people[:, None] / factor)
    rows = pd.Index(data.panel.regions).get_indexer(pd.Index(codes))
    rows = rows[rows >= 0]
    w = _contiguity(store, level) if how == "seb" else None

    def build() -> np.ndarray:
        out = np.full(raw.shape, np.nan)
        for j in range(raw.shape[1]):
            rate = spatial.eb_rates(events[:, j], people, per=factor, w=w).rate
            out[:, j] = np.where(np.isfinite(raw[:, j]), rate, np.nan)
        return out

    smooth = cache.cached(cache.key(store, "smoothed-panel", metric, level, how), build)
    n = raw.shape[1]
    return pd.DataFrame({
        "code": np.repeat(data.panel.regions[rows], n),
        "date": np.tile(data.panel.dates, len(rows)),
        "raw": raw[rows].ravel(),
        "smoothed": smooth[rows].ravel(),
    })  # fmt: skip


#: Settings of the serial interval the pages estimate Rt with (days).
SI_MEAN_ENV, SI_SD_ENV = "ZONING_SI_MEAN", "ZONING_SI_SD"


def serial_interval_setting() -> tuple[float, float]:
    """The serial interval's mean and sd the pages use: ``ZONING_SI_MEAN`` and
    ``ZONING_SI_SD`` when set, else :data:`zoning.model.rt.DEFAULT_SI_MEAN` and ``_SD``."""
    values = []
    for name, default in ((SI_MEAN_ENV, rt.DEFAULT_SI_MEAN), (SI_SD_ENV, rt.DEFAULT_SI_SD)):
        raw = os.environ.get(name, "").strip()
        try:
            values.append(float(raw) if raw else default)
        except ValueError:
            raise InputError(f"{name} must be a number of days, not {raw!r}", column=name) from None
    return values[0], values[1]


# --- nowcasts ----------------------------------------------------------------------------------
def nowcast_series(store: Store, level: str, code: str, field: str = "new_cases") -> pd.DataFrame:
    """The nowcast of the last days of region ``code`` of ``level``: ``date, reported,
    nowcast, lower, upper`` for the days still incomplete under the reporting delay
    (empty without an estimate): :func:`zoning.views.service.case_delay`, that of the level
    the counts are reported at; ages count from its last upload's day."""
    columns = ["date", "reported", "nowcast", "lower", "upper"]
    delay = service.case_delay(store, level, field)
    if delay is None:
        return pd.DataFrame(columns=columns)
    series = service.case_series(store, level, code)
    if field not in series:
        return pd.DataFrame(columns=columns)
    age = (delay.as_of - pd.DatetimeIndex(series["date"])).days.to_numpy()
    found = nowcast.nowcast(series[field].to_numpy(dtype=float), age, delay.share)
    out = pd.DataFrame({
        "date": series["date"], "reported": series[field],
        "nowcast": found.mean, "lower": found.lower, "upper": found.upper,
    })  # fmt: skip
    return out[np.isfinite(found.mean)].reset_index(drop=True)


def window_nowcasts(store: Store, level: str, day: object) -> pd.DataFrame:
    """The nowcast of the new cases in the 7 days to ``day`` of every region of ``level``
    whose window is still filling in: ``code, nowcast, lower, upper`` (cached; empty
    without a delay estimate, NaN where the window misses a day)."""

    def build() -> pd.DataFrame:
        data = service.level_data(store, level)
        delay = service.case_delay(store, level)
        values = data.panel.values.get("new_cases")
        if delay is None or values is None:
            return pd.DataFrame(columns=["code", "nowcast", "lower", "upper"])
        j = data.day_index(day)
        if j < M.WINDOW - 1:  # no whole window yet
            return pd.DataFrame({"code": data.panel.regions, "nowcast": np.nan,
                                 "lower": np.nan, "upper": np.nan})  # fmt: skip
        days = slice(j - M.WINDOW + 1, j + 1)
        age = (delay.as_of - data.panel.dates[days]).days.to_numpy()
        found = nowcast.window_nowcast(values[:, days], age, delay.share)
        return pd.DataFrame({
            "code": data.panel.regions, "nowcast": found.mean,
            "lower": found.lower, "upper": found.upper,
        })  # fmt: skip

    return cache.cached(cache.key(store, "window-nowcasts", level, day=day), build, shelf="view")
