"""What an attacker can work out from the public figures, and the suppression that stops it.

Two kinds of public facts narrow a hidden count beyond its range:

- **zone and population** (:func:`count_bands`): a zone of a threshold scheme bounds the
  metric, and the metric times the population bounds the count. WHO level 1 in a village of
  6,428 people means fewer than 20 per 100,000: at most 1 case.
- **totals across levels** (:func:`infer`): a parent's published figure is the sum of its
  children's, so the parent minus the children shown bounds the hidden ones, and the
  children bound a parent that is itself masked (RT -> RW -> village chains).

:func:`protect` decides how each count is shown so that neither narrows a small count (1 to
``t - 1``) further than the public range and the zone already do. Everything here works on
arrays of regions x days; :mod:`zoning.views.published` feeds it from the store.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from zoning.model import metrics as M
from zoning.model.privacy import EXACT, HIDDEN, SMALL, ZONE_ONLY
from zoning.model.schemes import NO_ZONE, Scheme

#: Rounding slack when a threshold times a population lands on a whole number.
_EPS = 1e-9
#: Rounds of suppression :func:`protect` tries before giving up on a group.
MAX_ROUNDS = 200


def _per_person(column: str, metric: str) -> float | None:
    """People per unit of ``metric`` for one count of ``column`` (``None``: not a rate of
    it); 0 for the count itself (no population needed)."""
    if metric == column or M.count_aliases().get(metric) == column:
        return 0.0
    source = M.per_population().get(metric)
    return source[1] if source and source[0] == column else None


def count_bands(
    schemes: Iterable[Scheme], zones: Iterable[np.ndarray], column: str, population: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The counts of ``column`` that each region's public zones allow: ``(lo, hi)``.

    Parameters
    ----------
    schemes, zones : iterables of the same length
        Every scheme whose zones are public, and its zone index per region x day
        (``NO_ZONE``: no zone), all arrays of one shape.
    column : str
        A count column (``new_cases_7d``, ``deaths_7d``, ``houses_7d`` ...).
    population : numpy.ndarray
        One value per region (row).

    Returns
    -------
    lo, hi, lo_if_set : numpy.ndarray
        ``lo``/``hi`` always hold; ``lo_if_set`` holds when this rule set the zone.

    Only unconditional threshold rules bound a count. The upper bound holds whatever the
    other rules of a scheme say (the zone is the most severe of them). The lower bound
    holds only if this rule set the zone: always for a scheme of one rule (``lo``), and in
    a scheme of several only when a viewer can tell (``lo_if_set``, which
    :func:`zone_only` takes as known). Schemes are combined by intersection.
    """
    lo = hi = lo_if_set = None
    people = np.asarray(population, dtype=float)
    for scheme, zone in zip(schemes, zones, strict=True):
        zone = np.asarray(zone)
        if lo is None:
            lo, hi = np.zeros(zone.shape), np.full(zone.shape, np.inf)
            lo_if_set = lo.copy()
        alone = len(scheme.rules) == 1
        pop = people[:, None] if zone.ndim == 2 and people.ndim == 1 else people
        for rule in scheme.rules:
            per = None if rule.metric is None or rule.when is not None else (
                _per_person(column, rule.metric)
            )  # fmt: skip
            if per is None:
                continue
            scale = np.ones_like(pop) if per == 0 else np.where(pop > 0, pop / per, np.nan)
            known = (zone != NO_ZONE) & np.isfinite(scale)
            for cut, cut_zone in zip(rule.cuts, rule.cut_zones, strict=True):
                edge = np.round(cut * scale, 6)
                if rule.strict:  # metric > cut: count > edge
                    first_above, last_below = np.floor(edge + _EPS) + 1, np.floor(edge + _EPS)
                else:  # metric >= cut: count >= edge
                    first_above, last_below = np.ceil(edge - _EPS), np.ceil(edge - _EPS) - 1
                # a zone below cut_zone: the metric is under the cut
                below = known & (zone < cut_zone)
                hi = np.where(below, np.minimum(hi, last_below), hi)
                # the zone is the one this cut starts: the metric reached it
                reached = known & (zone == cut_zone)
                lo_if_set = np.where(reached, np.maximum(lo_if_set, first_above), lo_if_set)
                if alone:
                    lo = np.where(reached, np.maximum(lo, first_above), lo)
    if lo is None:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    return np.maximum(lo, 0.0), hi, np.maximum(lo_if_set, 0.0)


def _rule_zone(rule, value: np.ndarray) -> np.ndarray:
    """The zone a threshold rule gives ``value`` (its floor below the first cut)."""
    zone = np.full(value.shape, rule.floor, dtype=np.int64)
    for cut, cut_zone in zip(rule.cuts, rule.cut_zones, strict=True):
        zone = np.where(value > cut if rule.strict else value >= cut, cut_zone, zone)
    return zone


def known_lower(
    schemes: Iterable[Scheme],
    zones: Iterable[np.ndarray],
    column: str,
    population: np.ndarray,
    shown: dict[str, np.ndarray],
) -> np.ndarray:
    """Lower bounds of ``column`` a viewer can tell in schemes of several rules: where every
    other rule's metric is shown exactly (``shown``: metric -> value, NaN where not) and
    gives a lower zone, this rule set the zone, so its metric reached the zone's cut."""
    people = np.asarray(population, dtype=float)
    lo = np.zeros(people.shape)
    for scheme, zone in zip(schemes, zones, strict=True):
        zone = np.asarray(zone)
        if zone.ndim == 2 and people.ndim == 1:  # regions x days: one population per region
            people = people[:, None]
            lo = np.zeros(zone.shape)
        if len(scheme.rules) < 2 or any(r.metric is None or r.when for r in scheme.rules):
            continue
        for rule in scheme.rules:
            per = _per_person(column, rule.metric)
            if per is None:
                continue
            others = [r for r in scheme.rules if r is not rule]
            told = np.ones(zone.shape, dtype=bool)
            for other in others:
                value = shown.get(other.metric, np.full(zone.shape, np.nan))
                told &= ~np.isnan(value) & (_rule_zone(other, np.nan_to_num(value)) < zone)
            scale = np.ones_like(people) if per == 0 else np.where(people > 0, people / per, np.nan)
            for cut, cut_zone in zip(rule.cuts, rule.cut_zones, strict=True):
                edge = np.round(cut * scale, 6)
                first = np.floor(edge + _EPS) + 1 if rule.strict else np.ceil(edge - _EPS)
                lo = np.where(told & (zone == cut_zone), np.maximum(lo, first), lo)
    return np.nan_to_num(lo)


def _partial(lo: np.ndarray, hi: np.ndarray, threshold: int) -> np.ndarray:
    """Whether ``[lo, hi]`` cuts into the small counts ``1 .. t-1`` without covering them."""
    top = threshold - 1
    meets = (lo <= top) & (hi >= 1)
    return meets & ~((lo <= 1) & (hi >= top))


def zone_only(lo: np.ndarray, hi: np.ndarray, threshold: int) -> np.ndarray:
    """Cells whose zone band already narrows the small counts: shown as the zone alone.

    Decided from the band (zone, population, scheme), never from the count, so the choice
    itself tells nothing. Both the band and its upper part alone (in case the lower bound
    is not known to a viewer) are checked.
    """
    return _partial(lo, hi, threshold) | _partial(np.zeros_like(lo), hi, threshold)


def shown_bounds(
    values: np.ndarray,
    state: np.ndarray,
    parent: np.ndarray,
    band_lo: np.ndarray,
    band_hi: np.ndarray,
    threshold: int,
) -> tuple[np.ndarray, np.ndarray]:
    """What a viewer knows of each count from its own display and zone, before any sum.

    A hidden count is at most the larger of ``t - 1`` and the smallest non-zero count shown
    among its siblings (complementary suppression takes the smallest first), so that bound
    is given to the viewer too.
    """
    v = np.asarray(values, dtype=float)
    top = float(threshold - 1)
    sibling = np.full(v.shape, np.inf)
    shown_pos = (state == EXACT) & (v > 0)
    has = parent >= 0
    if has.any():
        smallest = np.full((len(v), v.shape[1]), np.inf)
        np.minimum.at(smallest, parent[has], np.where(shown_pos[has], v[has], np.inf))
        sibling[has] = smallest[parent[has]]
    lo = np.select(
        [state == EXACT, state == SMALL], [v, np.maximum(band_lo, 1.0)], np.maximum(band_lo, 0.0)
    )
    cap = np.where(state == HIDDEN, np.maximum(top, sibling), np.inf)
    hi = np.select(
        [state == EXACT, state == SMALL], [v, np.minimum(band_hi, top)], np.minimum(band_hi, cap)
    )
    missing = np.isnan(v)
    return np.where(missing, 0.0, lo), np.where(missing, np.inf, hi)


def equations(values: np.ndarray, parent: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """Which parent x day carries a published total of its children: the parent's value
    and every child's are present (``sums``: the parent's level is summed from them)."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    kids = parent >= 0
    children = np.bincount(parent[kids], minlength=n)
    missing = _group_sum(parent[kids], np.isnan(v[kids]), n)
    return (children > 0)[:, None] & sums[:, None] & ~np.isnan(v) & (missing == 0)


def _group_sum(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sums of the rows of ``values`` (rows x days) by group ``index`` into ``n`` rows:
    ``np.add.at`` (same order of addition, so the same floats) without its slowness."""
    values = np.asarray(values, dtype=float)
    days = values.shape[1]
    flat = (index[:, None] * days + np.arange(days)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n * days).reshape(n, days)


def infer(
    lo: np.ndarray, hi: np.ndarray, parent: np.ndarray, valid: np.ndarray, rounds: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Tighten bounds with every ``parent = sum(children)`` (interval propagation).

    ``valid``: the parent x day equations that hold (:func:`equations`). Runs until nothing
    changes; every bound is a whole number.
    """
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    kids = np.flatnonzero(parent >= 0)
    if not len(kids):
        return lo, hi
    p = parent[kids]
    use = valid[p]
    for _ in range(rounds):
        sum_lo = _group_sum(p, np.where(use, lo[kids], 0.0), len(lo))
        fin = np.isfinite(hi[kids])
        sum_hi = _group_sum(p, np.where(use & fin, hi[kids], 0.0), len(lo))
        n_inf = _group_sum(p, use & ~fin, len(lo))
        total_hi = np.where(n_inf > 0, np.inf, sum_hi)
        new_lo = np.where(valid, np.maximum(lo, sum_lo), lo)
        new_hi = np.where(valid, np.minimum(hi, total_hi), hi)
        # each child: the parent minus the others
        others_lo = sum_lo[p] - lo[kids]
        inf_others = n_inf[p] - (~fin)
        others_hi = np.where(inf_others > 0, np.inf, sum_hi[p] - np.where(fin, hi[kids], 0.0))
        with np.errstate(invalid="ignore"):
            kid_lo = np.where(use, np.maximum(lo[kids], new_lo[p] - others_hi), lo[kids])
            kid_hi = np.where(use, np.minimum(hi[kids], new_hi[p] - others_lo), hi[kids])
        new_lo[kids] = np.where(np.isnan(kid_lo), lo[kids], kid_lo)
        new_hi[kids] = np.where(np.isnan(kid_hi), hi[kids], kid_hi)
        new_lo = np.ceil(new_lo - _EPS)
        new_hi = np.floor(new_hi + _EPS)
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            break
        lo, hi = new_lo, new_hi
    return lo, hi


def narrowed(
    values: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    band_lo: np.ndarray,
    band_hi: np.ndarray,
    threshold: int,
) -> np.ndarray:
    """Small counts (1 to ``t - 1``) that bounds ``lo``/``hi`` pin down more than allowed.

    Allowed: bounds that cover the whole public range ``1 .. t-1``, or that cover what the
    zone alone says of the counts up to ``t`` (``band``), or that still include zero and
    are as wide as the range (a viewer cannot tell whether anyone here is a case).
    """
    v = np.asarray(values, dtype=float)
    top = threshold - 1
    small = (v >= 1) & (v <= top)
    ok = ((lo <= 1) & (hi >= top)) | ((lo <= band_lo) & (hi >= np.minimum(band_hi, top + 1)))
    ok |= (lo <= 0) & (hi >= top - 1)
    return small & ~ok


def protect(
    values: np.ndarray,
    parent: np.ndarray,
    fixed: np.ndarray,
    sums: np.ndarray,
    band_lo: np.ndarray,
    band_hi: np.ndarray,
    threshold: int,
    lo_if_set: np.ndarray | None = None,
    force: np.ndarray | None = None,
    allow_lo: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """How each count (regions x days, several levels at once) is shown on public views.

    Parameters
    ----------
    values : numpy.ndarray, shape (n, days)
        The counts (NaN = missing) of every region of the levels involved.
    parent : numpy.ndarray of int, shape (n,)
        Row of each region's parent among them (``-1``: none).
    fixed : numpy.ndarray of bool, shape (n,)
        Regions always shown exactly (a level above villages).
    sums : numpy.ndarray of bool, shape (n,)
        Regions whose value is the sum of their children's (a summed level).
    band_lo, band_hi, lo_if_set : numpy.ndarray, shape (n, days)
        :func:`count_bands` (``lo_if_set`` decides :func:`zone_only`; default ``band_lo``).
    force : numpy.ndarray of bool, shape (n, days), optional
        Cells shown as the zone alone whatever they hold (they would tell which rule set
        a zone, see :func:`zoning.views.published.day_states`).
    allow_lo : numpy.ndarray, shape (n, days), optional
        The lower bound a viewer surely knows; default ``band_lo``. ``band_lo`` may assume
        more (a lower bound told by figures that only some audits show). Each is checked
        on its own: what a viewer infers knowing one, against what the zone says to a
        viewer who knows the same (assuming more is safe when inferring, not when deciding
        what a zone already says).
    threshold : int
        The small-number threshold ``t``.

    Returns
    -------
    state, left : numpy.ndarray
        :data:`~zoning.model.privacy.EXACT`, ``SMALL`` (``1–4``), ``HIDDEN`` or ``ZONE_ONLY`` per
        cell; and the cells still narrowed when nothing more could be hidden (a small total
        of a level shown exactly).

    Small counts start as ranges, and cells whose zone narrows the range as the zone alone.
    Then, while :func:`infer` narrows a small count (:func:`narrowed`), each group it sits
    in (its siblings; its children) is made uniform (every range of the group becomes
    'hidden', so a complementary cell cannot be told from a primary one) and, if it already
    was, its smallest non-zero count still shown is hidden too (else a zero). When a group
    has nothing left to hide, its parent is hidden if it is of a small level. Every bound,
    sum and group stays within a family (a top region and all below it): a round looks
    again only at the families the last one changed.
    """
    v = np.asarray(values, dtype=float)
    parent = np.asarray(parent, dtype=np.int64)
    fixed = np.asarray(fixed, dtype=bool)
    top = threshold - 1
    state = np.full(v.shape, EXACT, dtype=np.int8)
    if threshold <= 1 or not v.size:
        return state, np.zeros(v.shape, dtype=bool)
    movable = ~fixed[:, None] & ~np.isnan(v)
    state[movable & (v >= 1) & (v <= top)] = SMALL
    decide = band_lo if lo_if_set is None else lo_if_set
    state[movable & zone_only(decide, band_hi, threshold)] = ZONE_ONLY
    if force is not None:
        state[movable & force] = ZONE_ONLY
    valid = equations(v, parent, np.asarray(sums, dtype=bool))
    allowed = band_lo if allow_lo is None else np.minimum(allow_lo, band_lo)
    left = np.zeros(v.shape, dtype=bool)
    # what a viewer may know of the zones' bounds: all of band_lo, or surely only allow_lo
    knowledge = [band_lo] if allow_lo is None or np.array_equal(allowed, band_lo) else [
        band_lo, allowed]  # fmt: skip
    # Every bound, sum and group stays inside a family (a top region and all below it), so
    # a round only looks again at the families whose states the last round changed: the
    # others' narrowed cells are what they were (the first round looks at every family).
    family = np.unique(_families(parent), return_inverse=True)[1]  # numbered 0, 1, ...

    def families_of(rows: np.ndarray) -> np.ndarray:  # every row of the families of rows
        touched = np.zeros(family.max() + 1, dtype=bool)
        touched[family[rows]] = True
        return touched[family]

    bad = np.zeros(v.shape, dtype=bool)
    again = np.ones(v.shape[0], dtype=bool)
    for _ in range(MAX_ROUNDS):
        look = np.flatnonzero(again)
        sub = _within(parent, look)
        found = np.zeros((len(look), v.shape[1]), dtype=bool)
        for known in knowledge:
            lo, hi = shown_bounds(v[look], state[look], sub, known[look], band_hi[look], threshold)
            lo, hi = infer(lo, hi, sub, valid[look])
            found |= narrowed(v[look], lo, hi, known[look], band_hi[look], threshold)
        bad[look] = found & (state[look] != EXACT)
        before = state.copy()
        if not bad.any():
            left = bad
            break
        # the groups to act on: (parent, day) of a narrowed cell, and the cell's own children
        act = np.zeros(v.shape, dtype=bool)
        rows, days = np.nonzero(bad)
        up = parent[rows] >= 0
        act[parent[rows[up]], days[up]] = True
        act[rows, days] = True
        act &= valid
        # ... in the families acted on and those the last round changed (a parent hidden
        # there: its group's ranges become 'hidden' too); nothing else can change
        part = np.flatnonzero(again | families_of(np.flatnonzero(act.any(axis=1))))
        sub = _within(parent, part)
        states = state[part]
        done = _suppress_more(
            v[part], states, sub, np.flatnonzero(sub >= 0), act[part], movable[part]
        )
        state[part] = states
        if not done:
            # nothing left to hide among the children: hide a parent of a small level
            up_rows, up_days = parent[rows[up]], days[up]
            lift = (state[up_rows, up_days] == EXACT) & movable[up_rows, up_days]
            if not lift.any():
                left = bad
                break
            state[up_rows[lift], up_days[lift]] = HIDDEN
        again = families_of(np.flatnonzero((state != before).any(axis=1)))
    return state, left


def _families(parent: np.ndarray) -> np.ndarray:
    """The top region (a row with no parent) above each row, or the row itself."""
    top = np.arange(len(parent))
    up = parent.copy()
    for _ in range(len(parent)):  # a tree is at most that deep
        has = up >= 0
        if not has.any():
            break
        top[has] = up[has]
        up[has] = parent[up[has]]
    return top


def _within(parent: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``parent`` among ``rows`` only (whole families, sorted): each parent as its position
    in ``rows``, ``-1`` for none."""
    if len(rows) == len(parent):
        return parent
    sub = parent[rows]
    has = sub >= 0
    out = np.full(len(rows), -1, dtype=np.int64)
    out[has] = np.searchsorted(rows, sub[has])
    return out


def _suppress_more(
    v: np.ndarray,
    state: np.ndarray,
    parent: np.ndarray,
    kids: np.ndarray,
    act: np.ndarray,
    movable: np.ndarray,
) -> bool:
    """One round of suppression in the groups (parent x day) of ``act``; whether any cell
    changed. Changes ``state`` in place."""
    changed = False
    p = parent[kids]
    in_act = act[p]  # (len(kids), days)
    kid_state = state[kids]
    # uniform: a group with a hidden cell shows no range
    ranged = in_act & (kid_state == SMALL)
    has_range = _group_sum(p, ranged, len(act)) > 0
    if ranged.any():
        kid_state[ranged] = HIDDEN
        changed = True
    # groups that were uniform already: hide the smallest count still shown
    need = act & ~has_range
    cand = need[p] & (kid_state == EXACT) & movable[kids]
    rows, days = np.nonzero(cand)
    if len(rows):
        value = v[kids[rows], days]
        group = p[rows] * act.shape[1] + days
        order = np.lexsort((value, value == 0, group))
        rows, days, group = rows[order], days[order], group[order]
        first = np.r_[True, group[1:] != group[:-1]]
        kid_state[rows[first], days[first]] = HIDDEN
        changed = True
    state[kids] = kid_state
    # a group with any hidden cell shows no range
    hidden = _group_sum(p, state[kids] == HIDDEN, len(act)) > 0
    fix = hidden[p] & (state[kids] == SMALL)
    if fix.any():
        sub = state[kids]
        sub[fix] = HIDDEN
        state[kids] = sub
        changed = True
    return changed
