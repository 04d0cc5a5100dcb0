"""Roll-up of a level into its parents: summed counts, coverage, and zone totals.

Coverage
--------
A parent's 7-day figure is the sum of the figures of the children whose window is complete;
its **coverage** is the share of the children's people those children hold (weighted by
population; by count where no child has one). With ``n`` villages a province needs about
``7n`` village-days for a window, so requiring every one of them would leave a province
blank for one silent village. Instead:

- coverage of at least :func:`min_coverage` (default 95 %, ``ZONING_MIN_COVERAGE``): the
  parent is classified as usual, its rates taken over the people covered;
- some coverage below that: the rates are taken over all of the parent's people, a lower
  bound (a missing count is never read as zero, but it cannot be negative), and the zone is
  shown as **at least** that zone (every built-in scheme is monotone in counts; a ratio such
  as test positivity has no bound and is left out);
- no coverage: no figure and no zone.

A region that reports its own counts stands for itself wherever its own window is complete;
its neighbours still roll up from their children (:func:`merge_own`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.model import metrics as M
from zoning.model.codes import ancestor_at_depth
from zoning.model.metrics import Panel
from zoning.model.regions import level_depth
from zoning.model.schemes import NO_ZONE, Scheme

ENV_COVERAGE = "ZONING_MIN_COVERAGE"
DEFAULT_MIN_COVERAGE = 0.95


def min_coverage(value: float | None = None) -> float:
    """The share of a parent's people its reporting children must hold for a plain zone:
    ``value``, else ``$ZONING_MIN_COVERAGE``, else 0.95 (a malformed setting gives 1.0: every
    child must report, the strictest reading)."""
    if value is None:
        raw = os.environ.get(ENV_COVERAGE, "").strip()
        if not raw:
            return DEFAULT_MIN_COVERAGE
        try:
            value = float(raw)
        except ValueError:
            return 1.0
        if not 0.0 < value <= 1.0:
            return 1.0
    if not 0.0 < value <= 1.0:
        raise ValueError(f"minimum coverage must be above 0 and at most 1, not {value}")
    return float(value)


@dataclass(frozen=True)
class Windows:
    """7-day figures of the regions of one level and the share of each region they cover.

    Attributes
    ----------
    regions : numpy.ndarray of str
    dates : pandas.DatetimeIndex
    population : numpy.ndarray
        People per region (NaN where unknown).
    sums : dict of str to numpy.ndarray
        Per field, the 7-day figure of the covered part, shaped (regions, days); NaN where
        nothing is covered.
    share : dict of str to numpy.ndarray
        Per field, the share (0 to 1) of the region's people that figure covers (bool
        where it can only be all or nothing).
    """

    regions: np.ndarray
    dates: pd.DatetimeIndex
    population: np.ndarray
    sums: dict[str, np.ndarray]
    share: dict[str, np.ndarray]


def _full(share: np.ndarray) -> bool:
    """Whether a share array covers everything everywhere."""
    return bool(share.all() if share.dtype == bool else (share >= 1.0).all())


def own_windows(panel: Panel) -> Windows:
    """The windows of regions that report their own counts: all or nothing per region-day."""
    sums = M.window_sums(panel)
    share = {f: ~np.isnan(a) for f, a in sums.items()}  # 0 or 1, kept as bool (a byte a day)
    return Windows(panel.regions, panel.dates, panel.population, sums, share)


def _groups(codes: np.ndarray, to_level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children's order by parent, where each parent's run starts, and the parents."""
    depth = level_depth(to_level)
    parents = np.array([ancestor_at_depth(c, depth) for c in codes], dtype=object)
    order = np.argsort(parents, kind="stable")
    sorted_parents = parents[order]
    starts = np.flatnonzero(np.r_[True, sorted_parents[1:] != sorted_parents[:-1]])
    return order, starts, sorted_parents[starts]


def _weights(population: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each child's weight in its parent's coverage: its people, or 1 each in a parent none
    of whose children has a known population."""
    pop = np.asarray(population, dtype=float)[order]
    w = np.where(np.isfinite(pop) & (pop > 0), pop, 0.0)
    if not len(w):
        return w
    totals = np.add.reduceat(w, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(w)]))
    return np.where(totals[group] > 0, w, 1.0)


def rollup_windows(children: Windows, regions: pd.DataFrame, to_level: str) -> Windows:
    """The windows of ``to_level`` summed from ``children`` (see "Coverage" above).

    A bed share (:data:`zoning.model.metrics.SHARE_OF`) is weighted by the children's beds, and is
    not computed where they gave none.
    """
    if not len(children.regions):
        return Windows(np.array([], dtype=object), children.dates, np.zeros(0), {}, {})
    order, starts, uniq = _groups(children.regions, to_level)
    w = _weights(children.population, order, starts)
    total = np.add.reduceat(w, starts)[:, None]
    sums, share = {}, {}
    for field, arr in children.sums.items():
        if field in M.SHARE_OF:
            beds = M.SHARE_OF[field]
            if beds in children.sums:  # without bed counts a share cannot be weighed
                sums[field], share[field] = _weighted_share(
                    arr, children.sums[beds], children.share[field], children.share[beds],
                    w, order, starts, total,
                )  # fmt: skip
            continue
        part = children.share[field]
        if _full(part):  # every child covered: plain sums
            sums[field] = np.add.reduceat(arr[order], starts, axis=0)
            share[field] = np.ones_like(sums[field])
            continue
        covered = np.add.reduceat(w[:, None] * part[order], starts, axis=0)
        summed = np.add.reduceat(np.nan_to_num(arr[order], nan=0.0), starts, axis=0)
        sums[field] = np.where(covered > 0, summed, np.nan)
        share[field] = np.where(covered >= total, 1.0, covered / total)
    pop = regions.set_index("code")["population"].astype(float).reindex(uniq).to_numpy()
    return Windows(uniq, children.dates, pop, sums, share)


def _weighted_share(
    pct: np.ndarray,
    beds: np.ndarray,
    pct_share: np.ndarray,
    beds_share: np.ndarray,
    w: np.ndarray,
    order: np.ndarray,
    starts: np.ndarray,
    total: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A parent's bed share: its children's shares weighted by their beds, over the
    children that gave both; and the share of people those children hold."""
    pct, beds = pct[order], beds[order]
    valid = ~np.isnan(pct) & ~np.isnan(beds)
    used = np.add.reduceat(np.where(valid, pct * beds, 0.0), starts, axis=0)
    capacity = np.add.reduceat(np.where(valid, beds, 0.0), starts, axis=0)
    part = np.where(valid, np.minimum(pct_share[order], beds_share[order]), 0.0)
    covered = np.add.reduceat(w[:, None] * part, starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where((covered > 0) & (capacity > 0), used / capacity, np.nan)
    return value, np.where(covered >= total, 1.0, covered / total)


def merge_own(
    own: Windows | None, rolled: Windows | None, codes: np.ndarray, population: np.ndarray
) -> Windows:
    """The windows of a level's regions ``codes`` (with their ``population``): each region's
    own figure where its own window is complete, else what its children give."""
    pop = np.asarray(population, dtype=float)
    only = own if rolled is None else rolled if own is None else None
    if only is not None and np.array_equal(only.regions, codes):
        return Windows(only.regions, only.dates, pop, only.sums, only.share)
    dates = _all_dates(own, rolled)
    own, rolled = (None if w is None else _windows_on(w, dates) for w in (own, rolled))
    shape = (len(codes), len(dates))
    sums: dict[str, np.ndarray] = {}
    share: dict[str, np.ndarray] = {}
    aligned = {id(w): np.array_equal(w.regions, codes) for w in (own, rolled) if w is not None}
    for w, other in ((rolled, own), (own, rolled)):  # own last: it wins where complete
        if w is None:
            continue
        rows = pd.Index(w.regions).get_indexer(codes)
        found = np.flatnonzero(rows >= 0)
        for f in w.sums:
            if aligned[id(w)] and (other is None or f not in other.sums):
                sums[f], share[f] = w.sums[f], w.share[f]  # the only source of this field
                continue
            value, part = w.sums[f][rows[found]], w.share[f][rows[found]]
            take = part >= 1.0 if w is own else part > 0
            into, into_share = (
                sums.setdefault(f, np.full(shape, np.nan)),
                share.setdefault(f, np.zeros(shape)),
            )
            into[found] = np.where(take, value, into[found])
            into_share[found] = np.where(take, part, into_share[found])
    return Windows(np.asarray(codes, dtype=object), dates, pop, sums, share)


def merge_daily(own: Panel | None, rolled: Panel | None, codes: np.ndarray) -> Panel:
    """Daily counts of a level's regions ``codes``: own reports where there are any that day,
    else the children's sum (:func:`rollup_panel`)."""
    only = own if rolled is None else rolled if own is None else None
    if only is not None and np.array_equal(only.regions, codes):
        return only
    dates = _all_dates(own, rolled)
    own, rolled = (None if p is None else _panel_on(p, dates) for p in (own, rolled))
    shape = (len(codes), len(dates))
    values: dict[str, np.ndarray] = {}
    population = np.full(len(codes), np.nan)
    for p, other in ((rolled, own), (own, rolled)):
        if p is None:
            continue
        rows = pd.Index(p.regions).get_indexer(codes)
        found = np.flatnonzero(rows >= 0)
        population[found] = p.population[rows[found]]
        aligned = np.array_equal(p.regions, codes)
        for f, arr in p.values.items():
            if aligned and (other is None or f not in other.values):
                values[f] = arr  # the only source of this field: taken as it is
                continue
            part = arr[rows[found]]
            into = values.setdefault(f, np.full(shape, np.nan))
            into[found] = np.where(np.isnan(part), into[found], part)
    return Panel(np.asarray(codes, dtype=object), dates, values, population)


def _all_dates(*items: Windows | Panel | None) -> pd.DatetimeIndex:
    """Every day of any of ``items`` (a level's own reports may run longer than its
    children's, or the other way round, after an upload of one of them)."""
    dates = [x.dates for x in items if x is not None]
    out = dates[0]
    for more in dates[1:]:
        out = out if out.equals(more) else out.union(more)
    return out


def _on_dates(arr: np.ndarray, old: pd.DatetimeIndex, new: pd.DatetimeIndex) -> np.ndarray:
    """``arr`` (regions x ``old`` days) laid on the days ``new``: NaN (False for a flag)
    on days it does not have."""
    if old.equals(new):
        return arr
    shape = (arr.shape[0], len(new))
    out = np.zeros(shape, dtype=bool) if arr.dtype == bool else np.full(shape, np.nan)
    out[:, new.get_indexer(old)] = arr
    return out


def _windows_on(w: Windows, dates: pd.DatetimeIndex) -> Windows:
    sums = {f: _on_dates(v, w.dates, dates) for f, v in w.sums.items()}
    share = {f: _on_dates(v, w.dates, dates) for f, v in w.share.items()}
    share = {f: np.nan_to_num(v, nan=0.0) if v.dtype != bool else v for f, v in share.items()}
    return Windows(w.regions, dates, w.population, sums, share)


def _panel_on(p: Panel, dates: pd.DatetimeIndex) -> Panel:
    values = {f: _on_dates(v, p.dates, dates) for f, v in p.values.items()}
    return Panel(p.regions, dates, values, p.population)


def window_metrics(windows: Windows, coverage: float) -> dict[str, np.ndarray]:
    """Metrics of a level from its windows, with coverage flags.

    Besides the canonical metrics: ``coverage`` (the share covered, of the primary field),
    ``window_complete`` (coverage at least ``coverage``) and, per field ``f``,
    ``lower_bound:f`` (True where that field's figures are a lower bound: some but too
    little coverage).
    """
    people, sums, out = {}, {}, {}
    pop = np.asarray(windows.population, dtype=float)[:, None]
    for field, value in windows.sums.items():
        part = windows.share[field]
        if _full(part):  # the usual case: everything covered
            people[field] = pop
            out[f"lower_bound:{field}"] = np.zeros(part.shape, dtype=bool)
            sums[field] = value
            continue
        enough = part >= coverage
        lower = (part > 0) & ~enough
        people[field] = np.where(enough, pop * part, pop)
        sums[field] = value
        out[f"lower_bound:{field}"] = lower
    out.update(M.rates(sums, people))
    # A ratio or a level has no bound from a part of its region: left out (and flagged, so
    # the zone that goes without it is an "at least" zone).
    for name, metric in M.METRICS.items():
        if name in out and metric.kind in ("ratio", "level"):
            partial = np.logical_or.reduce([out[f"lower_bound:{f}"] for f in metric.reads])
            out[name] = np.where(partial, np.nan, out[name])
    primary = M.primary_field(windows.sums)
    shape = (len(windows.regions), len(windows.dates))
    out["coverage"] = (
        windows.share[primary].astype(float, copy=False) if primary else np.zeros(shape)
    )
    out["window_complete"] = out["coverage"] >= coverage
    return out


def rollup_panel(
    panel: Panel, regions: pd.DataFrame, to_level: str, coverage: float = 1.0
) -> Panel:
    """Sum a panel of child regions' daily counts into their ancestors at ``to_level``.

    A parent's day is the sum over the children that reported it when they hold at least
    ``coverage`` of the parent's people (default: all of them), else missing. A bed share is
    the children's shares weighted by their beds (not computed without bed counts). Daily
    figures are for charts; zones come from :func:`rollup_windows`.

    Parameters
    ----------
    panel : Panel
        Daily counts of regions at one level below ``to_level``.
    regions : DataFrame
        Regions with ``code`` and ``population``; parents' populations come from here.
    to_level : str
        The level to roll up into.
    coverage : float
        The share of a parent's people whose children must have reported a day.
    """
    if not len(panel.regions):
        return Panel(np.array([], dtype=object), panel.dates, {}, np.array([], dtype=float))
    order, starts, uniq = _groups(panel.regions, to_level)
    w = _weights(panel.population, order, starts)
    total = np.add.reduceat(w, starts)[:, None]
    values = {}
    for name, arr in panel.values.items():
        if name in M.SHARE_OF:
            beds = M.SHARE_OF[name]
            if beds in panel.values:  # weighed by beds; without them not computed
                ones = np.ones(arr.shape, dtype=bool)
                value, part = _weighted_share(
                    arr, panel.values[beds], ones, ones, w, order, starts, total
                )
                values[name] = np.where(part >= min(coverage, 1.0), value, np.nan)
            continue
        part = arr[order]
        missing = np.isnan(part)
        if not missing.any():
            values[name] = np.add.reduceat(part, starts, axis=0)
            continue
        reported = np.add.reduceat(w[:, None] * ~missing, starts, axis=0)
        summed = np.add.reduceat(np.nan_to_num(part, nan=0.0), starts, axis=0)
        enough = reported >= total if coverage >= 1.0 else reported >= coverage * total
        values[name] = np.where(enough & (reported > 0), summed, np.nan)
    pop = regions.set_index("code")["population"].astype(float).reindex(uniq).to_numpy()
    return Panel(uniq, panel.dates, values, pop)


def zone_totals(zones: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Regions and people in each zone over the whole frame (for the map's summary)."""
    names = [*scheme.zone_ids]
    rows = []
    for i, zid in enumerate(names):
        sel = zones["zone_index"] == i
        rows.append((zid, int(sel.sum()), float(zones.loc[sel, "population"].sum())))
    sel = zones["zone_index"] == NO_ZONE
    rows.append(("no_zone", int(sel.sum()), float(zones.loc[sel, "population"].sum())))
    return pd.DataFrame(rows, columns=["zone", "regions", "population"])
