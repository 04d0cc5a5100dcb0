"""Small numbers: what the public sees of counts at village, RW and RT level.

The rules and the display of small-number protection. Pages ask :func:`public_view` whether
a view needs it (a viewer who is not an analyst, a level in :data:`SMALL_LEVELS`); every
public output then takes its figures from one masked table,
:func:`zoning.views.published.public_zones`, built with :func:`mask_table` from the states that
:func:`zoning.views.published.day_states` decides for the whole day (:mod:`zoning.model.audit`).
Analysts see exact numbers; zones are never masked.

The rules
---------
- **Threshold** ``t``: :func:`get_threshold`, from ``ZONING_SMALL_COUNT`` (default 5). ``0`` or
  ``1`` turns the protection off; ``2`` is refused (a range ``1–1`` would show the number).
- **Small counts**: a count of 1 to ``t - 1`` is shown as the range ``1–4`` (for ``t = 5``).
  **Zero stays 0**: a true zero names nobody, and hiding zeros too would hide nearly every RT
  and village on most days (the zone, which stays visible, tells much the same).
- **Across levels** (:func:`zoning.model.audit.protect`): a parent's published figure is the sum
  of its children's (a district's of its villages', an RW's of its RTs'; a masked parent
  counts with its own bounds). The audit infers what a viewer can of every hidden count
  from those sums, the displays and the zones, and while a small count is narrowed beyond
  its range or its zone it makes the group uniform and hides its smallest shown count (else
  a zero). Uniform: in a group with a complementary cell every hidden count is *hidden*
  (:data:`HIDDEN`), never a range, so the complementary cell cannot be told from the first.
- **Zone and population** (:func:`zoning.model.audit.count_bands`,
  :func:`zoning.model.audit.zone_only`):
  the zones of every built-in scheme bound each count through the population. Where that
  band cuts into ``1 .. t-1`` the count and everything computed from it are shown as *see
  zone* (:data:`ZONE_ONLY`) whatever they hold: the choice uses zone, population and scheme
  only. A lower bound that holds only when one rule of a scheme set the zone is assumed
  known for that choice; where the other figures shown tell which rule did, the audit
  uses it and shows those figures as the zone alone.
- **Derived values**: a rate per population from a hidden count becomes the range of rates
  (``1–4`` cases in 2,000 people: ``50,0–200,0`` per 100,000); a ratio (test positivity) with
  a hidden part becomes a range, hidden or zone only; a change (week on week) with a hidden
  side is hidden.
- **Weekly figures only**: two 7-day totals a day apart differ by one day's count coming in
  and one going out, so publishing them for every day would give the daily counts away. A
  public view of a small level shows 7-day figures for week ends only (Sunday, the last day of
  an ISO week; :func:`is_week_end`); on other days they are replaced by a note. Tables keep
  such notes out of numeric columns (:func:`zoning.render.export.numeric_with_notes`).
- **Order**: public rankings order by what is shown (:func:`shown_order`), never by a
  hidden value.
- :func:`count_states` is the older rule for one table alone (a lone hidden count of a
  group gets one complementary count); it is kept for tables that are not part of a day
  (tests, a custom frame) and is not an audit.

Display values are lists of ``float`` (exact, format as usual) or ``str`` (a range or a note).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.core.i18n import DEFAULT_LANG, format_number, t
from zoning.model import metrics as M

ENV_VAR = "ZONING_SMALL_COUNT"
DEFAULT_THRESHOLD = 5
#: Levels whose counts are protected on public views.
SMALL_LEVELS = ("village", "rw", "rt")
#: The day a public week ends on (pandas ``dayofweek``: Monday 0 ... Sunday 6).
WEEK_END = 6

#: How a cell is shown: exactly, as a range, hidden (no range), not on this day, or not at
#: all because its zone and population already bound it (the zone alone is shown).
EXACT, SMALL, HIDDEN, OFF_DAY, ZONE_ONLY = 0, 1, 2, 3, 4

# What is a count and what derives from one (rates per population, ratios, a count under
# another name) is read from the one list of metric formulas, :data:`zoning.model.metrics.METRICS`
# (:func:`~zoning.model.metrics.count_columns`, :func:`~zoning.model.metrics.per_population`,
# :func:`~zoning.model.metrics.ratios`, :func:`~zoning.model.metrics.count_aliases`), at every
# call: a metric added there is masked here with no change to this module.


def get_threshold(value: int | None = None) -> int:
    """The small-number threshold: ``value`` if given, else ``$ZONING_SMALL_COUNT``, else 5.

    A malformed environment value gives the default (fail closed); a malformed ``value``
    raises ``ValueError``. ``0`` and ``1`` mean off; ``2`` is not allowed.
    """
    if value is None:
        raw = os.environ.get(ENV_VAR, "").strip()
        try:
            return _valid(int(raw)) if raw else DEFAULT_THRESHOLD
        except ValueError:
            return DEFAULT_THRESHOLD
    return _valid(value)


def _valid(value: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < 0 or value == 2:
        raise ValueError(f"the small-number threshold must be 0 (off) or at least 3: {value!r}")
    return int(value)


def public_view(level: str, analyst: bool = False, threshold: int | None = None) -> bool:
    """Whether a view of ``level`` needs small-number protection.

    True for a viewer who is not an analyst, at a level of :data:`SMALL_LEVELS`, while the
    threshold is on. Pages call it as ``public_view(level, analyst=common.is_analyst())``.
    """
    return not analyst and level in SMALL_LEVELS and get_threshold(threshold) > 1


def is_week_end(day: object) -> bool | np.ndarray:
    """Whether 7-day figures of ``day`` may be shown on a public view of a small level (one
    flag per date for several dates): the one rule of which days are public weeks."""
    if np.ndim(day) == 0:
        return pd.Timestamp(day).day_of_week == WEEK_END
    return np.asarray(pd.DatetimeIndex(pd.to_datetime(day)).day_of_week == WEEK_END)


# --- the core: states and bounds of arrays ------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What a public view may show of some values (arrays of one shape).

    ``value`` is the exact value where it may be shown, NaN elsewhere (and where missing);
    ``lo``/``hi`` bound what is shown (equal to ``value`` when exact; ``0``/``inf`` when
    hidden); ``state`` is :data:`EXACT`, :data:`SMALL`, :data:`HIDDEN` or :data:`OFF_DAY`.
    No array holds a value that is not shown.
    """

    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    state: np.ndarray

    def text(self, lang: str, decimals: int = 0) -> np.ndarray:
        """Every cell as text: the number, the range, 'hidden' or the weekly note."""
        return texts(self.value, self.lo, self.hi, self.state, lang, decimals)

    def display(self, lang: str, decimals: int = 0) -> list[float | str]:
        """Exact cells as floats (NaN when missing), the others as text."""
        value, state = self.value.ravel(), self.state.ravel()
        out = value.astype(float).astype(object)
        other = state != EXACT
        if other.any():
            lo, hi = self.lo.ravel()[other], self.hi.ravel()[other]
            out[other] = texts(value[other], lo, hi, state[other], lang, decimals)
        return out.tolist()


def texts(
    value: np.ndarray, lo: np.ndarray, hi: np.ndarray, state: np.ndarray, lang: str,
    decimals: int = 0,
) -> np.ndarray:  # fmt: skip
    """Text of shown values: ``12``, ``1–4`` (or ``50,0–200,0``), 'hidden', the weekly note."""
    value, lo, hi, state = (np.asarray(a) for a in (value, lo, hi, state))
    out = np.empty(state.shape, dtype=object)
    out[state == HIDDEN] = t("privacy.hidden", lang)
    out[state == OFF_DAY] = t("privacy.weekly_only", lang)
    out[state == ZONE_ONLY] = t("privacy.zone_only", lang)
    for i in zip(*np.nonzero(state == SMALL), strict=True):
        out[i] = range_text(lo[i], hi[i], lang, decimals)
    for i in zip(*np.nonzero(state == EXACT), strict=True):
        out[i] = format_number(float(value[i]), lang, decimals)
    return out


def range_text(lo: float, hi: float, lang: str, decimals: int = 0) -> str:
    """``1–4``; rates in the language's format (``50,0–200,0`` in Bahasa Indonesia)."""
    low, high = format_number(float(lo), lang, decimals), format_number(float(hi), lang, decimals)
    return f"{low}–{high}"


def count_states(
    counts: object, groups: Sequence | np.ndarray | None = None, threshold: int | None = None
) -> np.ndarray:
    """:data:`EXACT`, :data:`SMALL` or :data:`HIDDEN` (complementary) for each count.

    Parameters
    ----------
    counts : array-like, shape (n,) or (n, days)
        Counts (NaN = missing). A 2-D array is a panel: each column (day) is on its own.
    groups : sequence of length n, optional
        The group of each row (its parent's code): where a group's total is published, a
        lone hidden count gets a complementary one (see the module's rules). ``None``: no
        complementary suppression.
    threshold : int, optional
        Default :func:`get_threshold`.
    """
    limit = get_threshold(threshold)
    v = np.asarray(counts, dtype=float)
    state = np.zeros(v.shape, dtype=np.int8)
    if limit <= 1:
        return state
    small = (v > 0) & (v < limit)
    state[small] = SMALL
    if groups is None or not v.size:
        return state
    rows = v.shape[0]
    group_code = pd.factorize(pd.Series(list(groups), dtype=object), use_na_sentinel=False)[0]
    if len(group_code) != rows:
        raise ValueError("groups must have one entry per row of counts")
    flat_v = v.reshape(rows, -1)
    cols = flat_v.shape[1]
    key = (group_code[:, None] * cols + np.arange(cols)[None, :]).ravel()
    flat_v = flat_v.ravel()
    flat_small = small.ravel()
    n_keys = int(key.max()) + 1
    k = np.bincount(key, weights=flat_small, minlength=n_keys)
    total = np.bincount(key, weights=np.where(flat_small, flat_v, 0.0), minlength=n_keys)
    missing = np.bincount(key, weights=np.isnan(flat_v), minlength=n_keys) > 0
    pinned = (k == 1) | (total == k) | (total == k * (limit - 1))
    need = (k >= 1) & ~missing & pinned
    candidate = need[key] & ~flat_small & ~np.isnan(flat_v)
    idx = np.flatnonzero(candidate)
    if len(idx):
        # per group: non-zero counts first, smallest first; then zeros
        order = np.lexsort((flat_v[idx], flat_v[idx] == 0, key[idx]))
        idx = idx[order]
        first = np.r_[True, key[idx][1:] != key[idx][:-1]]
        flat_state = state.reshape(-1)
        flat_state[idx[first]] = HIDDEN
    return state


def shown_counts(
    counts: object,
    groups: Sequence | np.ndarray | None = None,
    threshold: int | None = None,
    state: np.ndarray | None = None,
) -> Shown:
    """Counts as a public view shows them.

    ``state`` (one per count, from :func:`protect`) says how each is shown; without it
    :func:`count_states` decides from the counts and ``groups`` alone (one table, no audit).
    """
    limit = get_threshold(threshold)
    v = np.asarray(counts, dtype=float)
    state = count_states(v, groups, limit) if state is None else np.asarray(state, np.int8)
    exact = state == EXACT
    lo = np.where(exact, v, np.where(state == SMALL, 1.0, 0.0))
    hi = np.where(exact, v, np.where(state == SMALL, float(limit - 1), np.inf))
    return Shown(np.where(exact, v, np.nan), lo, hi, state.astype(np.int8))


def shown_rates(
    counts: Shown, population: object, per: float = 100_000.0, rates: object = None
) -> Shown:
    """Rates per ``per`` people from counts as shown: a hidden count gives a range of rates.

    ``population`` has one value per row (or per cell); a population that is missing or
    not above zero gives no rate. ``rates``, when given, are the exact rates to show where
    the count is exact (so that they match the unmasked figures to the last digit).
    """
    pop = np.asarray(population, dtype=float)
    if pop.ndim == 1 and counts.state.ndim == 2:
        pop = pop[:, None]
    factor = np.where(pop > 0, per / np.where(pop > 0, pop, 1.0), np.nan)
    exact = counts.state == EXACT
    value = counts.value * factor
    if rates is not None:
        value = np.where(exact, np.asarray(rates, dtype=float), np.nan)
    with np.errstate(invalid="ignore"):
        lo = np.where(exact, value, counts.lo * factor)
        hi = np.where(exact, value, np.where(np.isinf(counts.hi), np.inf, counts.hi * factor))
    # without a population there is no rate, shown or hidden
    state = np.where(np.isnan(factor) & (counts.state != OFF_DAY), EXACT, counts.state)
    value = np.where(state == EXACT, value, np.nan)
    return Shown(value, lo, hi, state.astype(np.int8))


def shown_ratio(numerator: Shown, denominator: Shown, scale: float = 100.0) -> Shown:
    """A ratio of two counts as shown (test positivity): exact when both are exact; a range
    when only the numerator is a small range; hidden otherwise. No ratio without a
    denominator above zero."""
    num, den = numerator, denominator
    with np.errstate(invalid="ignore", divide="ignore"):
        exact_value = np.where(den.value > 0, num.value / den.value * scale, np.nan)
        per = np.where(den.value > 0, scale / den.value, np.nan)
    both = (num.state == EXACT) & (den.state == EXACT)
    ranged = (num.state == SMALL) & (den.state == EXACT) & (den.value > 0)
    off = (num.state == OFF_DAY) | (den.state == OFF_DAY)
    zone = (num.state == ZONE_ONLY) | (den.state == ZONE_ONLY)
    state = np.where(both | ((den.state == EXACT) & ~(den.value > 0)), EXACT, HIDDEN)
    state = np.where(zone, ZONE_ONLY, state)
    state = np.where(ranged, SMALL, np.where(off, OFF_DAY, state)).astype(np.int8)
    value = np.where(state == EXACT, exact_value, np.nan)
    lo = np.where(state == EXACT, value, np.where(ranged, num.lo * per, 0.0))
    hi = np.where(state == EXACT, value, np.where(ranged, np.minimum(num.hi * per, scale), scale))
    return Shown(value, lo, hi, state)


def off_day(shown: Shown, where: object = True) -> Shown:
    """Cells (all, or those ``where`` is true) replaced by the weekly note: 7-day figures on
    a day that is not a week end."""
    where = np.broadcast_to(np.asarray(where, dtype=bool), shown.state.shape)
    return Shown(
        np.where(where, np.nan, shown.value),
        np.where(where, 0.0, shown.lo),
        np.where(where, np.inf, shown.hi),
        np.where(where, OFF_DAY, shown.state).astype(np.int8),
    )


# --- what the map page and the exports call ------------------------------------------------


def mask_counts(
    values: object,
    level: str,
    threshold: int | None = None,
    *,
    groups: Sequence | None = None,
    lang: str = DEFAULT_LANG,
) -> list[float | str]:
    """Counts of ``level`` for a public view: exact floats, or ``"1–4"`` / 'hidden' text.

    ``groups`` (the parent of each region, all regions of the level) turns on complementary
    suppression. At a level outside :data:`SMALL_LEVELS` the values come back unchanged.
    """
    v = np.asarray(values, dtype=float)
    if level not in SMALL_LEVELS:
        return [float(x) for x in v.ravel()]
    return shown_counts(v, groups, threshold).display(lang)


def mask_rates(
    rates: object,
    counts: object,
    population: object,
    level: str,
    threshold: int | None = None,
    *,
    per: float = 100_000.0,
    groups: Sequence | None = None,
    lang: str = DEFAULT_LANG,
    decimals: int = 1,
) -> list[float | str]:
    """Rates computed from ``counts`` (per ``per`` of ``population``) for a public view.

    Where the count is exact the rate comes back as it was; where it is a small range the
    rate is the range of rates (text, in the language's number format); where it is hidden,
    'hidden'.
    """
    r = np.asarray(rates, dtype=float)
    if level not in SMALL_LEVELS:
        return [float(x) for x in r.ravel()]
    shown = shown_rates(shown_counts(counts, groups, threshold), population, per, rates=r)
    return shown.display(lang, decimals)


def mask_changes(
    changes: object,
    current: object,
    previous: object,
    level: str,
    threshold: int | None = None,
    *,
    groups: Sequence | None = None,
    lang: str = DEFAULT_LANG,
) -> list[float | str]:
    """Changes (week on week: difference or percent) from two counts, for a public view:
    as given where both sides are exact, 'hidden' where either side is not."""
    c = np.asarray(changes, dtype=float)
    if level not in SMALL_LEVELS:
        return [float(x) for x in c.ravel()]
    now = shown_counts(current, groups, threshold).state
    before = shown_counts(previous, groups, threshold).state
    state = np.where((now == EXACT) & (before == EXACT), EXACT, HIDDEN).astype(np.int8)
    value = np.where(state == EXACT, c, np.nan)
    return Shown(value, value, value, state).display(lang)


def shown_values(
    columns: Mapping[str, object],
    population: object = None,
    groups: Sequence | np.ndarray | None = None,
    threshold: int | None = None,
    states: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Shown]:
    """What a public view may show of every count and every value computed from one.

    Parameters
    ----------
    columns : mapping of name to array (all of one shape, 1-D or regions x days)
        Zones-table columns (:func:`zoning.views.service.zones_on` names): the 7-day counts
        (:func:`zoning.model.metrics.count_columns`, and ``cases_7d``, one of them under
        another name) and the rates and ratios computed from them
        (:func:`zoning.model.metrics.per_population`, :func:`zoning.model.metrics.ratios`).
        Other columns are not returned.
    population : array, optional
        One value per region (row); needed for rates.
    groups, threshold :
        As for :func:`count_states`.
    states : mapping of count column to array, optional
        How each count is shown (:func:`zoning.model.audit.protect`, as
        :func:`zoning.views.published.day_states` gives it); ``groups`` is then not used.

    A rate without its count column is read back from the rate and the population; a ratio
    without both its counts is hidden wherever it has a value.
    """
    limit = get_threshold(threshold)
    pop = None if population is None else np.asarray(population, dtype=float)
    aliases, per_population = M.count_aliases(), M.per_population()

    def count(column: str) -> Shown | None:
        state = None if states is None else states.get(column)
        for name in (column, *(a for a, source in aliases.items() if source == column)):
            if name in columns:
                return shown_counts(columns[name], groups, limit, state)
        for metric, (source, per) in per_population.items():  # read it back from a rate
            if source == column and metric in columns and pop is not None:
                rate = np.asarray(columns[metric], dtype=float)
                people = pop[:, None] if rate.ndim == 2 and pop.ndim == 1 else pop
                return shown_counts(np.round(rate * people / per), groups, limit, state)
        return None

    counts = {c: count(c) for c in M.count_columns()}
    out = {c: s for c, s in counts.items() if c in columns and s is not None}
    out |= {a: counts[c] for a, c in aliases.items() if a in columns and counts[c] is not None}
    for column, (source, per) in per_population.items():
        if column in columns and counts[source] is not None and pop is not None:
            out[column] = shown_rates(counts[source], pop, per, rates=columns[column])
    for column, (num, den, scale) in M.ratios().items():
        if column not in columns:
            continue
        if counts[num] is not None and counts[den] is not None:
            out[column] = shown_ratio(counts[num], counts[den], scale)
        else:
            values = np.asarray(columns[column], dtype=float)
            nan = np.full(values.shape, np.nan)
            state = np.where(np.isnan(values), EXACT, HIDDEN).astype(np.int8)
            out[column] = Shown(nan, np.zeros_like(nan), np.full_like(nan, np.inf), state)
    return out


def mask_table(
    frame: pd.DataFrame,
    level: str,
    day: object = None,
    *,
    threshold: int | None = None,
    lang: str = DEFAULT_LANG,
    decimals: Mapping[str, int] | None = None,
    states: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """A zones table (:func:`zoning.views.service.zones_on`) as a public view may show it.

    Count columns and the values computed from them (see :func:`shown_values`) become
    object columns of exact floats and text
    (``"1–4"``, ``"50,0–200,0"``, 'hidden'); zones, names, codes, population and flags stay
    as they are. Pass every region of the level (filter afterwards): complementary
    suppression looks at all regions with the same ``parent`` (and ``date``, if the frame
    has one). On a ``day`` (or ``date``) that is not a week end, every such figure becomes
    the weekly note. Levels outside :data:`SMALL_LEVELS` come back unchanged (a copy).

    ``decimals``: decimals per column (default :func:`zoning.model.metrics.shown_decimals`:
    rates 1, counts none). ``states``:
    how each count of each row is shown (:func:`zoning.views.published.day_states`); without it,
    this table alone decides (:func:`count_states`), which is not audited across levels.
    """
    out = frame.copy(deep=False)  # copy on write: the columns left as they are stay shared
    limit = get_threshold(threshold)
    if level not in SMALL_LEVELS or limit <= 1 or out.empty:
        return out
    groups = None
    for column in ("parent", "date"):
        if column in out:
            part = out[column].astype(str)
            groups = part if groups is None else groups + "|" + part
    if day is not None:
        off = np.full(len(out), not is_week_end(day))
    elif "date" in out:
        off = ~is_week_end(out["date"])
    else:
        off = np.zeros(len(out), dtype=bool)
    population = out["population"].to_numpy(float) if "population" in out else None
    columns = {c: out[c].to_numpy(float) for c in masked_columns(out)}
    groups = None if groups is None else groups.to_numpy()
    shown = shown_values(columns, population, groups, limit, states)
    for column, values in shown.items():
        if off.any():
            values = off_day(values, off)
        places = (decimals or {}).get(column, M.shown_decimals(column))
        display = values.display(lang, places)
        out[column] = pd.Series(display, index=out.index, dtype=object)
    return out


def shown_order(values: Sequence[object], names: Sequence[object]) -> np.ndarray:
    """The order of rows ranked by what a public view shows: the numbers shown, highest
    first; then every row whose value is text (a range, 'hidden', a note) or missing, by
    name. A hidden value never moves a row."""
    number = np.array(
        [np.nan if isinstance(v, str) or v is None else float(v) for v in values], dtype=float
    )
    name = pd.Series([str(x) for x in names]).rank(method="first").to_numpy()
    missing = np.isnan(number)
    return np.lexsort((name, np.where(missing, 0.0, -number), missing))


def masked_columns(frame: pd.DataFrame | Mapping) -> list[str]:
    """The columns of ``frame`` that :func:`mask_table` changes."""
    known = {*M.count_columns(), *M.count_aliases(), *M.per_population(), *M.ratios()}
    return [c for c in frame if c in known]
