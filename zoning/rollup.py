"""Roll-up of a level into its parents: summed counts, and zone summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoning.codes import ancestor_at_depth
from zoning.metrics import NON_ADDITIVE, Panel
from zoning.regions import level_depth
from zoning.schemes import NO_ZONE, Scheme


def rollup_panel(panel: Panel, regions: pd.DataFrame, to_level: str) -> Panel:
    """Sum a panel of child regions into their ancestors at ``to_level``.

    A parent's day is missing when any of its children's days is missing, so that a parent's
    7-day window is only complete when every child reported every day. Fields that are not
    counts (percentages) are not rolled up.

    Parameters
    ----------
    panel : Panel
        Daily counts of regions at one level below ``to_level``.
    regions : DataFrame
        Regions with ``code`` and ``population``; parents' populations come from here.
    to_level : str
        The level to roll up into.
    """
    depth = level_depth(to_level)
    if not len(panel.regions):
        return Panel(np.array([], dtype=object), panel.dates, {}, np.array([], dtype=float))
    parents = np.array([ancestor_at_depth(c, depth) for c in panel.regions], dtype=object)
    order = np.argsort(parents, kind="stable")
    sorted_parents = parents[order]
    starts = np.flatnonzero(np.r_[True, sorted_parents[1:] != sorted_parents[:-1]])
    uniq = sorted_parents[starts]
    values = {}
    for name, arr in panel.values.items():
        if name in NON_ADDITIVE or not len(order):
            continue
        values[name] = np.add.reduceat(arr[order], starts, axis=0)
    pop = regions.set_index("code")["population"].astype(float).reindex(uniq).to_numpy()
    return Panel(uniq, panel.dates, values, pop)


def zone_summary(
    zones: pd.DataFrame, scheme: Scheme, parent_level: str, lang: str = "id"
) -> pd.DataFrame:
    """How many children and people are in each zone, per parent, and the worst child zone.

    Parameters
    ----------
    zones : DataFrame
        One row per child region: ``code``, ``population`` and ``zone_index`` (``-1`` = none).
    scheme : Scheme
        The scheme whose zones are counted.
    parent_level : str
        The level to summarise into.

    Returns
    -------
    DataFrame
        Indexed by parent code, with ``regions_<zone>`` and ``population_<zone>`` for every
        zone (plus ``no_zone``), ``regions``, ``population`` and ``worst_zone`` (zone id).
    """
    depth = level_depth(parent_level)
    frame = zones[["code", "population", "zone_index"]].copy()
    frame["parent"] = [ancestor_at_depth(c, depth) for c in frame["code"]]
    names = [*scheme.zone_ids, "no_zone"]
    frame["zone_name"] = pd.Categorical(
        [names[i] if i != NO_ZONE else "no_zone" for i in frame["zone_index"]],
        categories=names,
    )
    grouped = frame.groupby(["parent", "zone_name"], observed=False)
    n = grouped.size().unstack(fill_value=0).add_prefix("regions_")
    p = grouped["population"].sum().unstack(fill_value=0).add_prefix("population_")
    out = n.join(p)
    out["regions"] = n.sum(axis=1)
    out["population"] = p.sum(axis=1)
    worst = frame.groupby("parent")["zone_index"].max()
    out["worst_zone"] = scheme.zone_id_array(worst.reindex(out.index).to_numpy())
    out.index.name = "parent"
    return out


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
