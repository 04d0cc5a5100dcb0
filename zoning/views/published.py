"""The one masked source: what every public view and export shows of a level on a day.

:func:`public_zones` is the public zones table of a view. The map page, its tooltips, the
table, CSV, GeoJSON, the standalone HTML map, the briefing and its PNG/PDF, the policy page
and the trends page all take their values from it (or, for weeks, from :func:`day_states`),
so no public output can show a figure another one hides.

How each count is shown is decided once per day for all small levels together
(:func:`day_states`): counts of the districts (shown exactly), villages, RW and RT, their
sums, and the zones of every built-in scheme go to :func:`zoning.model.audit.protect`.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from zoning.model import audit, privacy
from zoning.model import metrics as M
from zoning.model.regions import LEVELS
from zoning.model.schemes import Scheme, builtin_schemes
from zoning.store import Store
from zoning.views import analysis, cache, decisions, service

#: Audits of a day at most (each hides more figures that tell which rule set a zone).
PASSES = 6
#: The week ends whose states the import makes and keeps (:func:`week_states`): a month.
WEEKS_KEPT = 4


def _levels(store: Store) -> list[str]:
    """The store's small levels and the level just above the first of them."""
    levels = [lv for lv in LEVELS if lv in store.levels()]
    small = [lv for lv in levels if lv in privacy.SMALL_LEVELS]
    if not small:
        return []
    above = LEVELS.index(small[0]) - 1
    return ([LEVELS[above]] if above >= 0 and LEVELS[above] in levels else []) + small


def _seven_day(store: Store, level: str, field: str) -> np.ndarray:
    """7-day totals of ``field`` of every region x day of ``level`` (cached)."""

    def build() -> np.ndarray:
        return M.window_figure(field, service.level_data(store, level).panel.values[field])

    return cache.cached(cache.key(store, "seven-day", level, field), build)


def day_states(
    store: Store, day: object, threshold: int | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """How each count of each small level is shown on public views on ``day``.

    Returns ``{level: {count column: state per region}}``, regions in the order of
    :func:`zoning.views.service.level_data`; states as :func:`zoning.model.audit.protect`
    gives them. A week end's (the only days whose 7-day figures are public at a small
    level) come from :func:`week_states`, made with the data; any other day's are built
    once per data version and day.
    """
    limit = privacy.get_threshold(threshold)
    day = pd.Timestamp(day).normalize()
    weeks = week_states(store, limit)
    if day in weeks:
        return weeks[day]
    key = cache.key(store, "published", limit, day=day)
    return cache.cached(key, lambda: _build_states(store, [day], limit)[day], shelf="view")


def week_states(store: Store, threshold: int | None = None) -> dict[pd.Timestamp, dict]:
    """:func:`day_states` of the last :data:`WEEKS_KEPT` week ends that every small level
    (and the level above them) has data for, audited together and kept in the store with
    the data version (:func:`zoning.views.cache.kept`). The import makes them
    (:func:`zoning.render.firstview.prepare`), so neither a new server's first public map
    of a small level nor a date step of the last weeks waits for an audit (about a second
    per week end and 9,000 villages)."""
    limit = privacy.get_threshold(threshold)
    key = cache.key(store, "published-weeks", limit)
    version = key[1]

    def build() -> dict[pd.Timestamp, dict]:
        days = _common_week_ends(store)
        return _build_states(store, days, limit) if len(days) else {}

    def kept() -> dict[pd.Timestamp, dict]:
        return cache.kept(store, f"published-weeks:{limit}", version, build, _weeks_to_bytes,
                          _weeks_from_bytes)  # fmt: skip

    return cache.cached(key, kept)


def _common_week_ends(store: Store) -> list[pd.Timestamp]:
    """The last :data:`WEEKS_KEPT` week ends in the dates of every level :func:`_build_states`
    audits."""
    common = None
    for level in _levels(store):
        with contextlib.suppress(LookupError):
            dates = service.level_data(store, level).panel.dates
            common = dates if common is None else common.intersection(dates)
    if common is None:
        return []
    return [d for d in common if privacy.is_week_end(d)][-WEEKS_KEPT:]


def _weeks_to_bytes(weeks: dict[pd.Timestamp, dict]) -> bytes:
    days = sorted(weeks)
    layout = {lv: sorted(by) for lv, by in weeks[days[0]].items()} if days else {}
    arrays = {
        f"{lv}|{column}": np.stack([weeks[d][lv][column] for d in days], axis=1)
        for lv, columns in layout.items()
        for column in columns
    }
    return cache.pack({"days": [cache.day_key(d) for d in days], "layout": layout}, arrays)


def _weeks_from_bytes(raw: bytes) -> dict[pd.Timestamp, dict]:
    meta, arrays = cache.unpack(raw)
    return {
        pd.Timestamp(day): {
            lv: {column: arrays[f"{lv}|{column}"][:, i] for column in columns}
            for lv, columns in meta["layout"].items()
        }
        for i, day in enumerate(meta["days"])
    }


def _build_states(store: Store, days: list[pd.Timestamp], limit: int) -> dict:
    """:func:`day_states` of ``days`` (each in the dates of every level that has data, or
    one day alone), audited together: every array has a column per day, and each day's
    states are those it would get alone (the audit never mixes days: every sum is per
    day, and a day that has settled is a fixed point of the rounds the others still need).

    Two passes: each count audited with the bounds its zones always give; then again
    with the lower bounds a viewer can also tell from the other figures shown exactly in
    the first pass (:func:`zoning.model.audit.known_lower`)."""
    data, levels = {}, []
    for level in _levels(store):
        with contextlib.suppress(LookupError, KeyError):
            data[level] = service.level_data(store, level)
            for day in days:
                data[level].day_index(day)
            levels.append(level)
    js = {lv: np.array([data[lv].day_index(d) for d in days], dtype=np.int64) for lv in levels}
    schemes = list(builtin_schemes().values())
    zones = {lv: [service.zone_panel(store, s, lv)[:, js[lv]] for s in schemes] for lv in levels}
    states, _ = _pass(store, js, limit, data, levels, schemes, zones, None)
    force: dict[str, dict[str, np.ndarray]] = {}
    # figures shown exactly in any pass so far: what a viewer may know (conservative)
    seen = {lv: {c: a == privacy.EXACT for c, a in by.items()} for lv, by in states.items()}
    for _ in range(PASSES):
        known = {
            lv: {c: np.where(a, privacy.EXACT, privacy.HIDDEN) for c, a in by.items()}
            for lv, by in seen.items()
        }
        states, told = _pass(store, js, limit, data, levels, schemes, zones, known, force)
        # a count still narrowed because the other figures tell which rule set the zone:
        # those other figures of the region are shown as the zone alone; audit again
        more = False
        for level, by in states.items():
            for column, state in by.items():
                more |= bool(((state == privacy.EXACT) & ~seen[level][column]).any())
                seen[level][column] |= state == privacy.EXACT
        for level, by in told.items():
            for column in by:
                others = [a for other, a in by.items() if other != column]
                new = np.any([by[column] & False, *others], axis=0)
                old = force.setdefault(level, {}).get(column, new & False)
                more |= bool((new & ~old).any())
                force[level][column] = old | new
        if not more:
            break
    return {
        day: {lv: {c: np.ascontiguousarray(a[:, i]) for c, a in by.items()}
              for lv, by in states.items()}
        for i, day in enumerate(days)
    }  # fmt: skip


def _exact_metrics(data: service.LevelData, j: np.ndarray, states: dict | None) -> dict:
    """Each metric of a level on days ``j`` where a viewer sees it exactly (NaN elsewhere)."""
    out = {}
    for metric, values in data.metrics.items():
        if metric not in M.METRICS:
            continue
        value = values[:, j].astype(float)
        sources = [M.per_population().get(metric, (None,))[0]]
        sources += list(M.ratios().get(metric, (None, None))[:2])
        for source in filter(None, sources):
            state = (states or {}).get(source)
            if state is not None:
                value = np.where(state == privacy.EXACT, value, np.nan)
        out[metric] = value
    return out


def _pass(store, js, limit, data, levels, schemes, zones, before, force=None) -> tuple:
    """One audit of every count column on the days ``js`` (per level, their columns); returns
    the states and, per level and column, the regions still narrowed where a lower bound
    told by other figures was used (regions x days)."""
    out: dict[str, dict[str, np.ndarray]] = {lv: {} for lv in levels if lv in privacy.SMALL_LEVELS}
    told = {lv: {} for lv in out}
    width = len(next(iter(js.values()))) if js else 0
    for field in M.counted_fields():
        column = M.seven_day_column(field)
        chain = [lv for lv in levels if field in data[lv].panel.values]
        if not any(lv in privacy.SMALL_LEVELS for lv in chain):
            continue
        values, parents, fixed, sums, lo, hi, lo_set, raised, forced, sure = ([] for _ in range(10))
        offset: dict[str, int] = {}
        rows_before = 0
        for level in chain:
            d = data[level]
            j = js[level]
            codes = d.panel.regions
            offset[level] = rows_before
            values.append(_seven_day(store, level, field)[:, j])
            above = LEVELS[LEVELS.index(level) - 1] if LEVELS.index(level) else None
            if above in offset:
                info = service.regions(store, level).set_index("code")["parent"]
                index = pd.Index(data[above].panel.regions).get_indexer(info.reindex(codes))
                parents.append(np.where(index >= 0, index + offset[above], -1))
            else:
                parents.append(np.full(len(codes), -1))
            fixed.append(np.full(len(codes), level not in privacy.SMALL_LEVELS))
            sums.append(np.full(len(codes), d.source_level != level))
            band = audit.count_bands(schemes, zones[level], column, d.panel.population)
            low = band[0]
            if before is not None and level in before:
                shown = _exact_metrics(d, j, before[level])
                known = audit.known_lower(schemes, zones[level], column, d.panel.population, shown)
                low = np.maximum(low, known)
            raised.append(low > band[0])
            none = np.zeros((len(codes), width), bool)
            forced.append((force or {}).get(level, {}).get(column, none))
            lo.append(low)
            sure.append(band[0])  # what the zones always say: what is allowed (not `low`)
            hi.append(band[1])
            lo_set.append(band[2])
            rows_before += len(codes)
        state, left = audit.protect(
            np.concatenate(values), np.concatenate(parents), np.concatenate(fixed),
            np.concatenate(sums), np.concatenate(lo), np.concatenate(hi), limit,
            np.concatenate(lo_set), np.concatenate(forced), np.concatenate(sure),
        )  # fmt: skip
        # raised bounds in a group (or of a region) still narrowed, day by day
        parent = np.concatenate(parents)
        groups = np.zeros((len(parent) + 1, width), dtype=bool)
        rows, cols = np.nonzero(left)
        groups[parent[rows], cols] = True  # parent -1 marks the spare last row
        still = np.concatenate(raised) & (left | groups[parent])
        for level in chain:
            if level in out:
                n = len(data[level].panel.regions)
                out[level][column] = state[offset[level] : offset[level] + n]
                told[level][column] = still[offset[level] : offset[level] + n]
    return out, told


def public_zones(
    store: Store, scheme: Scheme, level: str, day: object, lang: str, *, public: bool
) -> pd.DataFrame:
    """:func:`zoning.views.service.zones_on` as a viewer may see it: the one source of every
    public output.

    ``public`` (a viewer who is not an analyst): at a small level, every count and every
    value computed from one is shown as :func:`day_states` says (exact, ``1–4``, 'hidden',
    'see zone'), and on a day that is not a week end as the weekly note. Analysts get the
    exact table.

    The zone is the one each region shows (:func:`zoning.views.decisions.apply`): an
    analyst's standing decision, else the computed zone, or none for the public when
    unconfirmed zones are not public; ``computed_zone`` and ``decision`` say which.
    """
    key = cache.key(
        store, "decided", scheme.id, level, lang, privacy.get_threshold(), public, day=day,
        decided=True,
    )  # fmt: skip

    def build() -> pd.DataFrame:
        masked = _masked_zones(store, scheme, level, day, lang, public=public)
        return decisions.apply(store, scheme, level, day, masked, public=public)

    return cache.cached(key, build, "view")


def _masked_zones(
    store: Store, scheme: Scheme, level: str, day: object, lang: str, *, public: bool
) -> pd.DataFrame:
    """The computed zones table with every figure as the viewer may see it."""
    zones = service.zones_on(store, scheme, level, day)
    if not public or level not in privacy.SMALL_LEVELS or privacy.get_threshold() <= 1:
        return zones
    key = cache.key(store, "shown", scheme.id, level, lang, privacy.get_threshold(), day=day)

    def build() -> pd.DataFrame:
        states = None
        if privacy.is_week_end(day):
            states = day_states(store, day).get(level)
        return privacy.mask_table(zones, level, day, lang=lang, states=states)

    return cache.cached(key, build, "view")


# --- analyses: smoothed zones, hot spots, Rt ---------------------------------------------------
def analyses_public(level: str, *, public: bool) -> bool:
    """Whether smoothed rates, their zones and uncertainty, and Rt of ``level`` may be shown
    to this viewer: always to analysts; to the public above the small levels only.

    At village, RW and RT level a smoothed rate (and the zone it gives, or the probability
    of a cut-off) is a known function of the region's own count: with the raw zone beside
    it, it would narrow a count the public sees as ``1–4`` or not at all.
    """
    return not public or level not in privacy.SMALL_LEVELS or privacy.get_threshold() <= 1


def public_smoothed_zones(
    store: Store, scheme: Scheme, level: str, day: object, how: str, *, public: bool
) -> pd.DataFrame | None:
    """:func:`zoning.views.analysis.smoothed_zones` where :func:`analyses_public` allows it,
    else ``None``."""
    if not analyses_public(level, public=public):
        return None
    return analysis.smoothed_zones(store, scheme, level, day, how)


def public_smoothed_series(
    store: Store, scheme: Scheme, level: str, codes: list[str], *, public: bool
) -> pd.DataFrame | None:
    """:func:`zoning.views.analysis.smoothed_series` where :func:`analyses_public` allows it,
    else ``None``."""
    if not analyses_public(level, public=public):
        return None
    return analysis.smoothed_series(store, scheme, level, codes)


#: Levels Rt is estimated at (the issue's regency and province: enough cases a day).
RT_LEVELS = ("province", "regency")


def public_rt(store: Store, level: str, codes: list[str], *, public: bool) -> pd.DataFrame | None:
    """Rt of regions ``codes`` of ``level`` with the serial interval of the settings:
    ``code, date, rt, rt_lower, rt_upper`` (95 % interval, 7-day windows). ``None`` at a
    level Rt is not given at (:data:`RT_LEVELS`) or one the viewer may not see."""
    if level not in RT_LEVELS or not analyses_public(level, public=public):
        return None
    si_mean, si_sd = analysis.serial_interval_setting()
    frames = []
    for code in codes:
        found = cache.cached(
            cache.key(store, "rt", code, si_mean, si_sd),
            lambda code=code: analysis.rt_series(store, code, si_mean, si_sd),
        )
        frames.append(found.assign(code=code))
    if not frames:
        return pd.DataFrame(columns=["code", "date", "rt", "rt_lower", "rt_upper"])
    return pd.concat(frames, ignore_index=True)


def public_hot_spots(
    store: Store, level: str, day: object, *, public: bool,
    metric: str = analysis.DEFAULT_HOTSPOT_METRIC,
) -> pd.DataFrame:  # fmt: skip
    """:func:`zoning.views.analysis.hot_spots` as a viewer may see it: ``code, name,
    hotspot`` for the public at a small level (the flag, never the z-score or p-value a
    region's own count could be worked back from); analysts and larger levels also get
    ``z`` and ``p_fdr``. The public's flags at a small level are those of the last week end
    on or before ``day`` (:func:`zoning.model.privacy.is_week_end`), like every other
    7-day figure there: a flag per day would tell how a village's week changed day by day."""
    day = pd.Timestamp(day).normalize()
    small = not analyses_public(level, public=public)
    if small:
        day -= pd.Timedelta(days=(day.day_of_week - privacy.WEEK_END) % 7)
    found = cache.cached(
        cache.key(store, "hot-spots", level, metric, day=day),
        lambda: analysis.hot_spots(store, level, day, metric),
        shelf="view",
    )
    return found[["code", "name", "hotspot"]] if small else found


def public_nowcast(
    store: Store, level: str, codes: list[str], *, public: bool
) -> tuple[pd.DataFrame, int] | None:
    """Nowcasts of the last days of regions ``codes`` (:func:`zoning.views.analysis.
    nowcast_series` with ``code``) and the provisional period the delay gives (days until
    95 % is reported); ``None`` without a delay estimate or where the viewer may not see
    them (:func:`analyses_public`: a nowcast scales up the region's own count)."""
    if not analyses_public(level, public=public):
        return None
    data = service.level_data(store, level)
    if not data.period.estimated:  # no delay estimate: nothing to nowcast with
        return None
    frames = [analysis.nowcast_series(store, level, code).assign(code=code) for code in codes]
    return pd.concat(frames, ignore_index=True), data.period.days


def public_window_nowcasts(
    store: Store, level: str, day: object, *, public: bool
) -> pd.DataFrame | None:
    """:func:`zoning.views.analysis.window_nowcasts` (``code, nowcast, lower, upper``: the
    cases in the 7 days to ``day`` once all reports are in) where the viewer may see them;
    ``None`` for the public at a small level (:func:`analyses_public`): a nowcast scales up
    the region's own count, so there only the words "reports still arriving" are shown."""
    if not analyses_public(level, public=public):
        return None
    return analysis.window_nowcasts(store, level, day)
