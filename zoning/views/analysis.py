"""Analyses officials act on, as tables: zone changes with hysteresis, hot spots, Rt and
smoothed small-area rates. The command line prints them; pages show them.

Each reads the store through :mod:`zoning.views.service` and computes with the model
(:mod:`zoning.model.hysteresis`, :mod:`zoning.model.spatial`, :mod:`zoning.model.rt`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.model import hysteresis, rt, spatial
from zoning.model import metrics as M
from zoning.model.codes import try_normalise
from zoning.model.schemes import NO_ZONE, Scheme, every_zone_change
from zoning.store import DISPLAY_TOLERANCE, Store
from zoning.views import cache, service

#: The metric hot spots are found on unless another is asked for.
DEFAULT_HOTSPOT_METRIC = "cases_7d_per_100k"
SMOOTHING = ("eb", "seb")


def steady_zones(store: Store, scheme: Scheme, level: str) -> hysteresis.Steady:
    """Zones of every region x day of ``level`` with the scheme's hysteresis (cached)."""
    return cache.cached(
        cache.key(store, "steady", scheme.id, scheme.step_down_days, level),
        lambda: hysteresis.steady(service.zone_panel(store, scheme, level), scheme.step_down_days),
    )


def zone_changes(store: Store, scheme: Scheme, level: str, since: pd.Timestamp) -> pd.DataFrame:
    """Every change of zone on or after ``since``: ``code, name, date, from_zone, to_zone``,
    by date then code, with the scheme's hysteresis applied."""
    data = service.level_data(store, level)
    zones = steady_zones(store, scheme, level).zone
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
    geometry = geo.geometry.reindex(data.panel.regions)
    if geometry.isna().any():
        raise InputError(
            f"hot spots need the boundaries of every {level}; "
            f"{int(geometry.isna().sum())} have none: import them with 'regions import'",
            column="--level",
        )
    w = cache.cached(
        cache.key(store, "contiguity", level),
        lambda: spatial.contiguity(geometry, snap=DISPLAY_TOLERANCE.get(level, 0.0) / 2),
    )
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
    rates = M.per_population()
    metric = next((m for m in scheme.metrics if m in rates), None)
    empty = pd.DataFrame({"rate_smoothed": np.nan, "p_above": np.nan}, index=zones.index)
    if metric is None or metric not in zones:
        return empty
    count, factor = rates[metric]
    events = zones[count].to_numpy(dtype=float)
    people = zones["population"].to_numpy(dtype=float)
    w = None
    if how == "seb":
        geo = service.geometries(store, level).set_index("code").geometry
        w = spatial.contiguity(
            geo.reindex(zones["code"].to_numpy()),
            snap=DISPLAY_TOLERANCE.get(level, 0.0) / 2,
        )
    prior = spatial.eb_rates(events, people, per=factor, w=w)
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
