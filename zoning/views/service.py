"""What the dashboard and the command line ask of the data: zones, histories and summaries.

Everything here reads the :class:`~zoning.store.Store` and is cached by the store's
``data_version`` (:mod:`zoning.views.cache`), so a view that did not change is not
recomputed, and new data is seen as soon as it is committed.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.model import metrics as M
from zoning.model import registers as G
from zoning.model import rollup as R
from zoning.model.regions import LEVELS, level_depth
from zoning.model.schemes import NO_ZONE, Scheme
from zoning.store import Store
from zoning.views import cache, delays


@dataclass(frozen=True)
class LevelData:
    """Daily counts and metrics of every region of one level."""

    level: str
    panel: M.Panel
    metrics: dict[str, np.ndarray]
    source_level: str  # the finest level counts were reported at, at or below this one
    as_of: pd.Timestamp | None
    windows: R.Windows | None = None  # 7-day figures and the share of each region covered
    #: The last days that are provisional (:func:`zoning.views.delays.provisional_period`).
    period: delays.Period = delays.DEFAULT_PERIOD

    def day_index(self, day: object) -> int:
        """The column of ``day``: its calendar date, as views are keyed
        (:func:`zoning.views.cache.day_key`)."""
        return int(self.panel.dates.get_loc(pd.Timestamp(day).normalize()))

    @property
    def settled_day(self) -> pd.Timestamp:
        """The latest day whose 7-day window is not provisional (the default view)."""
        settled = ~self.metrics["provisional"].any(axis=0)
        days = self.panel.dates[settled]
        return days[-1] if len(days) else self.panel.dates[-1]


def regions(store: Store, level: str | None = None) -> pd.DataFrame:
    return cache.cached(cache.key(store, "regions", level), lambda: store.regions(level))


def region_names(store: Store) -> dict[str, str]:
    """Every region's name by its code (all levels), built once per data version: what
    lists look names up in, one at a time (a dict: no index to build per lookup)."""

    def build() -> dict[str, str]:  # read under the key's data version, not before it
        frame = regions(store)
        return dict(zip(frame["code"], frame["name"], strict=True))

    return cache.cached(cache.key(store, "regionnames"), build)


def geometries(store: Store, level: str) -> gpd.GeoDataFrame:
    return cache.cached(cache.key(store, "geom", level), lambda: store.geometries(level))


def level_data(store: Store, level: str) -> LevelData:
    """Counts and metrics of a level: as reported, or summed from the nearest level below.

    Kept in the store per data version (:func:`zoning.views.cache.kept`): the import that
    changed the data builds it, a server started later loads it.
    """
    key = cache.key(store, "level", level)

    def build() -> LevelData:
        made = lambda: _read_only(_build_level(store, level))  # noqa: E731
        return cache.kept(store, f"level:{level}", key[1], made, _level_to_bytes, _level_from_bytes)

    return cache.cached(key, build)


def _read_only(data: LevelData) -> LevelData:
    """``data`` with its arrays made read-only, as they are when loaded (shared by every
    session: a view that changed one would change every other's)."""
    parts = [data.panel.values, data.metrics, {"population": data.panel.population}]
    if data.windows is not None:
        parts += [data.windows.sums, data.windows.share]
    for arrays in parts:
        for array in arrays.values():
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
    return data


def _level_to_bytes(data: LevelData) -> bytes:
    """A level's data as :func:`zoning.views.cache.pack` bytes (:func:`_level_from_bytes`)."""
    panel, windows = data.panel, data.windows
    arrays = {"population": np.asarray(panel.population, dtype=float)}
    arrays.update({f"value:{k}": v for k, v in panel.values.items()})
    arrays.update({f"metric:{k}": v for k, v in data.metrics.items()})
    meta = {
        "level": data.level,
        "source_level": data.source_level,
        "as_of": None if data.as_of is None else data.as_of.isoformat(),
        "regions": [str(c) for c in panel.regions],
        "dates": [d.isoformat() for d in panel.dates],
        "windows": windows is not None,
        "period": [data.period.days, data.period.estimated],
    }
    if windows is not None:
        same = np.array_equal(windows.regions, panel.regions) and windows.dates.equals(panel.dates)
        if not same:
            meta["window_regions"] = [str(c) for c in windows.regions]
            meta["window_dates"] = [d.isoformat() for d in windows.dates]
        arrays["window_population"] = np.asarray(windows.population, dtype=float)
        arrays.update({f"sum:{k}": v for k, v in windows.sums.items()})
        arrays.update({f"share:{k}": np.asarray(v) for k, v in windows.share.items()})
    return cache.pack(meta, arrays)


def _level_from_bytes(raw: bytes) -> LevelData:
    meta, arrays = cache.unpack(raw)

    def part(prefix: str) -> dict[str, np.ndarray]:
        return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}

    regions = np.array(meta["regions"], dtype=object)
    dates = pd.DatetimeIndex(pd.to_datetime(meta["dates"]))
    panel = M.Panel(regions, dates, part("value:"), arrays["population"])
    windows = None
    if meta["windows"]:
        w_regions = np.array(meta.get("window_regions", meta["regions"]), dtype=object)
        w_dates = pd.DatetimeIndex(pd.to_datetime(meta.get("window_dates", meta["dates"])))
        windows = R.Windows(w_regions, w_dates, arrays["window_population"], part("sum:"),
                            part("share:"))  # fmt: skip
    as_of = None if meta["as_of"] is None else pd.Timestamp(meta["as_of"])
    period = delays.Period(int(meta["period"][0]), bool(meta["period"][1]))  # none: rebuilt
    return LevelData(meta["level"], panel, part("metric:"), meta["source_level"], as_of, windows,
                     period)  # fmt: skip


def _build_level(store: Store, level: str) -> LevelData:
    meta = store.meta()
    as_of = pd.Timestamp(meta["as_of"]) if meta.get("as_of") else None
    counted = counted_levels(store)
    if not any(level_depth(lv) >= level_depth(level) for lv in counted):
        raise LookupError(f"no daily counts at or below the level {level!r}")
    source = [lv for lv in counted if level_depth(lv) >= level_depth(level)][-1]
    coverage = R.min_coverage()
    windows = _level_windows(store, level, counted, coverage)
    panel = _daily_panel(store, level, counted, coverage)
    computed = R.window_metrics(windows, coverage)
    period = delays.provisional_period(store, counted_below(store, level))
    computed["provisional"] = M.provisional_flags(panel, period.days, as_of)
    return LevelData(level, panel, computed, source, as_of, windows, period)


def _level_regions(store: Store, level: str) -> pd.DataFrame:
    all_regions = regions(store)
    return all_regions[all_regions["level"] == level]


def _level_windows(
    store: Store, level: str, counted: tuple[str, ...], coverage: float
) -> R.Windows:
    """7-day figures of every region of ``level``: its own counts where its window is
    complete, else summed from the level below (:mod:`zoning.model.rollup`). Cached per level, so
    the levels above one another share their roll-ups."""

    def build() -> R.Windows:
        targets = _level_regions(store, level)
        codes = targets["code"].to_numpy(dtype=object)
        own = None
        if level in counted:
            own = R.own_windows(_own_panel(store, level))
        rolled = None
        if any(level_depth(lv) > level_depth(level) for lv in counted):
            below = LEVELS[LEVELS.index(level) + 1]
            children = _level_windows(store, below, counted, coverage)
            rolled = R.rollup_windows(children, regions(store), level)
        return R.merge_own(own, rolled, codes, targets["population"].to_numpy(dtype=float))

    return cache.cached(cache.key(store, "windows", level, counted, coverage), build)


def _daily_panel(store: Store, level: str, counted: tuple[str, ...], coverage: float) -> M.Panel:
    """Daily counts of every region of ``level`` (for charts): own reports, else the sum of
    the children that reported the day when they hold ``coverage`` of the people."""

    def build() -> M.Panel:
        targets = _level_regions(store, level)
        codes = targets["code"].to_numpy(dtype=object)
        own = _own_panel(store, level) if level in counted else None
        rolled = None
        if any(level_depth(lv) > level_depth(level) for lv in counted):
            below = LEVELS[LEVELS.index(level) + 1]
            children = _daily_panel(store, below, counted, coverage)
            rolled = R.rollup_panel(children, regions(store), level, coverage)
        panel = R.merge_daily(own, rolled, codes)
        population = targets["population"].to_numpy(dtype=float)
        return M.Panel(panel.regions, panel.dates, panel.values, population)

    return cache.cached(cache.key(store, "daily", level, counted, coverage), build)


def _own_panel(store: Store, level: str) -> M.Panel:
    """The counts reported at ``level`` itself, with the zeros of the days a register covers
    and nothing reported (:mod:`zoning.model.registers`), read once per data version."""

    def build() -> M.Panel:
        panel = _counted_panel(store, level, _level_regions(store, level))
        if level in G.REGISTER_FIELDS:
            panel = G.fill_silent_days(panel, register_spans(store), G.REGISTER_FIELDS[level])
        return panel

    return cache.cached(cache.key(store, "own", level), build)


def reported_panel(store: Store, level: str) -> M.Panel:
    """The daily counts of a level that counts are reported at (:func:`counted_levels`): as
    reported, with a register's silent days as zeros; nothing rolled up."""
    return _own_panel(store, level)


def reported_counts(store: Store, level: str, start: object, end: object) -> pd.DataFrame:
    """The region-days reported at ``level`` from ``start`` to ``end`` (both included), as
    :meth:`zoning.store.Store.counts` gives them, with a register's silent days as zeros."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if level not in G.REGISTER_FIELDS or register_spans(store).empty:
        return store.counts(level=level, start=start.date(), end=end.date())
    panel = reported_panel(store, level)
    days = (panel.dates >= start) & (panel.dates <= end)
    part = M.Panel(panel.regions, panel.dates[days],
                   {f: v[:, days] for f, v in panel.values.items()}, panel.population)  # fmt: skip
    frame = M.to_frame(part, part.values)
    fields = list(part.values)
    return frame[frame[fields].notna().any(axis=1)].reset_index(drop=True) if fields else frame


def counted_below(store: Store, level: str) -> tuple[str, ...]:
    """The levels the counts of ``level`` come from: those at or below it with counts of
    their own (:func:`counted_levels`), finest first."""
    deep = level_depth(level)
    return tuple(lv for lv in reversed(counted_levels(store)) if level_depth(lv) >= deep)


def case_delay(store: Store, level: str, field: str = "new_cases") -> delays.Delay | None:
    """The reporting delay the counts of ``level`` follow: that of the finest level they
    come from whose delay can be estimated (:func:`zoning.views.delays.finest_delay`)."""
    return delays.finest_delay(store, counted_below(store, level), field)


def counted_levels(store: Store) -> tuple[str, ...]:
    """Levels, from the top, that have daily counts of their own: counts reported there, or
    regions a register covers (whose silent days are zeros)."""

    def build() -> tuple[str, ...]:
        levels = set(store.count_levels())
        spans = register_spans(store)
        for level in G.REGISTER_FIELDS:
            codes = _level_regions(store, level)["code"]
            if level not in levels and G.covered_regions(codes, spans).any():
                levels.add(level)
        return tuple(lv for lv in LEVELS if lv in levels)

    return cache.cached(cache.key(store, "counted"), build)


def register_spans(store: Store) -> pd.DataFrame:
    """What the registers cover, all uploads together (:func:`zoning.model.registers.merge_spans`).

    Kept as a snapshot: after an upload only its coverage is read and merged in, as with
    the counts (:func:`_counted_panel`), so a year of daily province-wide line lists is not
    read again on every change.
    """
    return cache.cached(cache.key(store, "spans"), lambda: _merged_spans(store))


def _merged_spans(store: Store) -> pd.DataFrame:
    name = "register-spans"
    version = store.data_version()
    saved = store.snapshot(name)
    base = None
    if saved is not None:
        try:
            base = G.spans_from_bytes(saved.payload)
        except (zlib.error, ValueError, KeyError, OSError):  # only a cache: read it all again
            logging.getLogger("zoning").warning("snapshot %s unreadable, rebuilding", name)
    if base is not None and saved.data_version == version:
        return base
    if base is not None and store.uploads_in_commit_order:
        later = store.coverage(after_upload=saved.upload_mark)
        spans = base if later.empty else G.merge_spans(pd.concat([base, later], ignore_index=True))
    else:
        spans = G.merge_spans(store.coverage())
    if saved is not None or not spans.empty:
        store.save_snapshot(name, version, G.spans_to_bytes(spans))
    return spans


def _counted_panel(store: Store, level: str, level_regions: pd.DataFrame) -> M.Panel:
    """Daily counts of a level the counts are reported at, from its snapshot where possible.

    A snapshot of this data version is used as it is. An older one is brought up to date
    with only the region-days written since (:func:`zoning.model.metrics.patch_panel`), when the
    level's regions and populations are unchanged and upload ids follow commit order; after
    an upload of a few days this reads thousands of rows instead of every day of every
    region. Otherwise every count is read again. The result is kept as the new snapshot.
    """
    name = f"panel:{level}"
    version = store.data_version()
    codes = level_regions["code"].to_numpy(dtype=object)
    population = level_regions["population"].to_numpy(dtype=float)
    saved = store.snapshot(name)
    panel = base = None
    if saved is not None:
        try:
            base = M.panel_from_bytes(saved.payload)
        except (zlib.error, ValueError, KeyError, OSError):  # only a cache: read it all again
            logging.getLogger("zoning").warning("snapshot %s unreadable, rebuilding", name)
    if base is not None:
        if saved.data_version == version:
            return base
        same_regions = np.array_equal(base.regions, codes) and np.array_equal(
            base.population, population, equal_nan=True
        )
        if same_regions and store.uploads_in_commit_order:
            panel = M.patch_panel(base, store.counts(level=level, after_upload=saved.upload_mark))
    if panel is None:
        panel = M.to_panel(store.counts(level=level), pd.Series(population, index=codes),
                           regions=list(codes))  # fmt: skip
    store.save_snapshot(name, version, M.panel_to_bytes(panel))
    return panel


def _named(store: Store, level: str) -> pd.DataFrame:
    """``code, name, parent`` of the level's regions in its panel's order, built once per
    level: each day's zones table shares these columns instead of holding its own."""

    def build() -> pd.DataFrame:
        codes = level_data(store, level).panel.regions
        info = regions(store, level).set_index("code").reindex(codes)
        return pd.DataFrame(
            {"code": codes, "name": info["name"].to_numpy(), "parent": info["parent"].to_numpy()}
        )

    return cache.cached(cache.key(store, "named", level), build)


def zones_on(store: Store, scheme: Scheme, level: str, day: object) -> pd.DataFrame:
    """One row per region of ``level`` on ``day``: metrics, raw 7-day counts, flags, zone.

    Columns: ``code, name, parent, population, zone_index, zone, <metrics>,
    window_complete, provisional`` and ``new_cases_7d`` etc. for the raw counts.
    """

    def build() -> pd.DataFrame:
        data = level_data(store, level)
        j = data.day_index(day)
        codes = scheme.classify(
            {m: data.metrics[m][:, j] for m in scheme.metrics if m in data.metrics},
            shape=(len(data.panel.regions),),
        )
        info = _named(store, level)  # shared by every day's table (copy on write)
        frame = pd.DataFrame(
            {
                "code": info["code"],
                "name": info["name"],
                "parent": info["parent"],
                "population": data.panel.population,
                "zone_index": codes,
                "zone": scheme.zone_id_array(codes),
            }
        )
        for m in scheme.metrics:
            frame[m] = data.metrics[m][:, j] if m in data.metrics else np.nan
        sums = data.windows.sums if data.windows is not None else {}
        for field in M.counted_fields():  # a count that is a metric itself is there above
            column = M.seven_day_column(field)
            if field in sums and column not in M.METRICS:
                frame[column] = sums[field][:, j]
        frame["coverage"] = data.metrics["coverage"][:, j] if "coverage" in data.metrics else 1.0
        frame["at_least"] = (codes != NO_ZONE) & at_least(data, scheme, j)
        frame["window_complete"] = data.metrics["window_complete"][:, j]
        frame["provisional"] = data.metrics["provisional"][:, j]
        return frame

    return cache.cached(cache.key(store, "zones", scheme.id, level, day=day), build, shelf="view")


def at_least(data: LevelData, scheme: Scheme, j: object = slice(None)) -> np.ndarray:
    """True where a region's zone under ``scheme`` is only a lower bound ("at least"): a
    metric it reads rests on children covering too small a share of its people."""
    flags = [
        data.metrics[f"lower_bound:{field}"][:, j]
        for metric in scheme.metrics
        if metric in data.metrics
        for field in M.METRICS[metric].reads
        if f"lower_bound:{field}" in data.metrics
    ]
    if not flags:
        return np.zeros_like(data.metrics["window_complete"][:, j], dtype=bool)
    return np.logical_or.reduce(flags)


def zone_panel(store: Store, scheme: Scheme, level: str) -> np.ndarray:
    """Zone index of every region x day of ``level`` (:data:`~zoning.model.schemes.NO_ZONE`
    where none), classified at once; kept in the store per data version and scheme (the
    import keeps the default scheme's, :func:`zoning.render.firstview.prepare`)."""

    key = cache.key(store, "zone_panel", scheme.id, level)

    def build() -> np.ndarray:
        data = level_data(store, level)
        values = {m: data.metrics[m] for m in scheme.metrics if m in data.metrics}
        zones = scheme.classify(values, shape=data.panel.shape)
        zones.flags.writeable = False
        return zones

    def kept() -> np.ndarray:  # named by the scheme's whole definition, not only its id
        digest = hashlib.sha256(repr(scheme).encode()).hexdigest()[:16]
        dump = lambda zones: cache.pack({}, {"zones": zones})  # noqa: E731
        load = lambda raw: cache.unpack(raw)[1]["zones"]  # noqa: E731
        return cache.kept(store, f"zones:{digest}:{level}", key[1], build, dump, load)

    return cache.cached(key, kept)


def zone_history(store: Store, scheme: Scheme, level: str, code: str) -> pd.DataFrame:
    """Daily zone of one region over the whole series (``date, zone_index, zone``)."""
    data = level_data(store, level)
    i = int(np.flatnonzero(data.panel.regions == code)[0])
    codes = zone_panel(store, scheme, level)[i]
    return pd.DataFrame(
        {"date": data.panel.dates, "zone_index": codes, "zone": scheme.zone_id_array(codes)}
    )


def dates(store: Store, level: str) -> pd.DatetimeIndex:
    return level_data(store, level).panel.dates


def case_series(store: Store, level: str, code: str) -> pd.DataFrame:
    """Daily series of one region: ``date``, every count field, ``avg7``, ``provisional``,
    every metric (NaN where it is only a lower bound) and ``coverage``."""
    data = level_data(store, level)
    i = int(np.flatnonzero(data.panel.regions == code)[0])
    frame = pd.DataFrame({"date": data.panel.dates})
    for field, arr in data.panel.values.items():
        frame[field] = arr[i]
    if "new_cases" in data.panel.values:
        frame["avg7"] = M.rolling_7d(data.panel.values["new_cases"][i], mean=True)[0]
    frame["provisional"] = data.metrics["provisional"][i]
    for name in M.METRICS:
        if name in data.metrics:
            lower = [data.metrics.get(f"lower_bound:{f}") for f in M.METRICS[name].reads]
            partial = np.logical_or.reduce([x[i] for x in lower if x is not None] or [False])
            # a lower bound (too few children reporting) is not a value to draw as a trend
            frame[name] = np.where(partial, np.nan, data.metrics[name][i])
    if "coverage" in data.metrics:
        frame["coverage"] = data.metrics["coverage"][i]
    return frame
