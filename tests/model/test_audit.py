"""The audit of small numbers across levels and zones (zoning.model.audit), issue 11 items 2-3."""

from __future__ import annotations

import numpy as np
from conftest import fuzz
from hypothesis import given
from hypothesis import strategies as st

from zoning.model import audit
from zoning.model.privacy import EXACT, HIDDEN, SMALL, ZONE_ONLY, count_states
from zoning.model.schemes import builtin_schemes

T = 5


def _group(children, parent_fixed=True, parent_value=None):
    """One parent (row 0) and its children; the parent's value is their sum."""
    values = np.array([[sum(children) if parent_value is None else parent_value], *[
        [c] for c in children]], dtype=float)  # fmt: skip
    parent = np.array([-1] + [0] * len(children))
    fixed = np.array([parent_fixed] + [False] * len(children))
    sums = np.array([True] + [False] * len(children))
    return values, parent, fixed, sums


def _found(values, parent, sums, state, lo_band=None, hi_band=None):
    """What a viewer infers, and which small counts that narrows too far."""
    lo_band = np.zeros(values.shape) if lo_band is None else lo_band
    hi_band = np.full(values.shape, np.inf) if hi_band is None else hi_band
    lo, hi = audit.shown_bounds(values, state, parent, lo_band, hi_band, T)
    lo, hi = audit.infer(lo, hi, parent, audit.equations(values, parent, sums))
    return lo, hi, audit.narrowed(values, lo, hi, lo_band, hi_band, T) & (state != EXACT)


def _protect(values, parent, fixed, sums):
    band = np.zeros(values.shape), np.full(values.shape, np.inf)
    return audit.protect(values, parent, fixed, sums, *band, T)


def test_one_plus_five_is_no_longer_recovered():
    """The issue's example: a district total minus the villages shown left 6 for a '1–4'
    and a 'suppressed' that could only be 1 + 5."""
    values, parent, fixed, sums = _group([1, 5, 9, 12, 0])
    state, left = _protect(values, parent, fixed, sums)
    kids = state[1:, 0].tolist()
    assert kids[0] == HIDDEN and kids[1] == HIDDEN  # the same display for both
    assert SMALL not in kids  # a range would tell the primary cell from the other
    lo, hi, bad = _found(values, parent, sums, state)
    assert not bad.any() and not left.any()
    assert lo[1, 0] <= 1 and hi[1, 0] >= T - 1
    # the old rule (one table) showed a range next to 'hidden' in the same group
    old = count_states(values[1:, 0], ["d"] * 5)
    assert SMALL in old.tolist() and HIDDEN in old.tolist()


def test_a_masked_parent_is_not_narrowed_by_its_children():
    """RT -> RW: the RW's 3 is shown as 1–4, its RT's 1 and 2 as 1–4 each; together they
    would say the RW has 2 to 4."""
    values, parent, fixed, sums = _group([1, 2, 0, 0], parent_fixed=False)
    before = np.array([[SMALL], [SMALL], [SMALL], [EXACT], [EXACT]], dtype=np.int8)
    assert _found(values, parent, sums, before)[2][0, 0]
    state, left = _protect(values, parent, fixed, sums)
    assert not _found(values, parent, sums, state)[2].any() and not left.any()


def test_chains_of_levels_hold_together():
    """district (exact) -> village (masked) -> RW (masked): a village's hidden count is
    bounded from above and from below."""
    values = np.array([[14], [4], [10], [1], [3], [0]], dtype=float)
    parent = np.array([-1, 0, 0, 1, 1, 1])
    fixed = np.array([True, False, False, False, False, False])
    sums = np.array([True, True, False, False, False, False])
    state, left = _protect(values, parent, fixed, sums)
    assert not _found(values, parent, sums, state)[2].any() and not left.any()


def test_what_a_zone_allows_is_what_a_viewer_surely_knows():
    """Found by the real demo (issue 15, Kebumen's Sruweng district on 6 June 2021): a
    village's WHO level 4 says at least 4 cases only where its admissions and deaths are
    shown exactly; an audit that took that bound as known let the district total (11) minus
    the others (1, and 6 shown exactly) pin the village's 4, while the public CSV showed its
    admissions and deaths as the zone alone, so a viewer knew only 2 to 4 (Harvard orange).
    What decides 'already said by the zone' is the bound a viewer surely knows."""
    values, parent, fixed, sums = _group([4, 1, 6])
    sure_lo = np.array([[0], [2], [1], [5]], dtype=float)
    hi = np.array([[np.inf], [4], [1], [np.inf]])
    assumed_lo = sure_lo.copy()
    assumed_lo[1] = 4  # told by figures only an earlier audit showed
    before, _ = audit.protect(values, parent, fixed, sums, assumed_lo, hi, T)
    assert before[3, 0] == EXACT  # the 6 stays: 11 - 1 - 6 pins the 4
    assert _found(values, parent, sums, before, sure_lo, hi)[2][1, 0]
    state, left = audit.protect(values, parent, fixed, sums, assumed_lo, hi, T, allow_lo=sure_lo)
    assert state[3, 0] == HIDDEN  # now the 6 is hidden too
    assert not _found(values, parent, sums, state, sure_lo, hi)[2].any() and not left.any()


@fuzz(150)
@given(
    st.lists(st.integers(0, 12), min_size=1, max_size=8),
    st.booleans(),
)
def test_fuzz_no_small_count_is_narrowed(children, parent_fixed):
    values, parent, fixed, sums = _group(children, parent_fixed)
    state, left = _protect(values, parent, fixed, sums)
    bad = _found(values, parent, sums, state)[2]
    # only a parent's own total below the threshold, shown exactly, can still tell
    assert not (bad & ~left).any()
    if left.any():
        assert parent_fixed and values[0, 0] < T


def _forest(rng: np.random.Generator, tops: int, days: int):
    """Several families side by side: each a fixed top region (a district) over villages,
    some villages over RWs, every summed parent the sum of its children; counts mostly
    small, some missing, zone bands from random cut-offs."""
    parent, level = [], []
    for _ in range(tops):
        top = len(parent)
        parent.append(-1)
        level.append(0)
        for _ in range(rng.integers(1, 6)):
            village = len(parent)
            parent.append(top)
            level.append(1)
            for _ in range(rng.integers(0, 4) if rng.random() < 0.4 else 0):
                parent.append(village)
                level.append(2)
    parent, level = np.array(parent), np.array(level)
    n = len(parent)
    values = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 14], size=(n, days)).astype(float)
    has_kids = np.bincount(parent[parent >= 0], minlength=n) > 0
    for depth in (1, 0):  # parents are the sums of their children, from the bottom up
        for row in np.flatnonzero((level == depth) & has_kids):
            values[row] = values[parent == row].sum(axis=0)
    values[rng.random((n, days)) < 0.05] = np.nan
    band_lo = np.where(rng.random((n, days)) < 0.3, rng.choice([0, 1, 2, 4], (n, days)), 0.0)
    band_hi = np.where(rng.random((n, days)) < 0.3, band_lo + rng.choice([2, 5, 9], (n, days)),
                       np.inf)  # fmt: skip
    return values, parent, level == 0, has_kids, band_lo.astype(float), band_hi


@fuzz(60)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 3))
def test_looking_again_only_at_families_that_changed_gives_the_same_states(seed, tops, days):
    """A round of :func:`~zoning.model.audit.protect` recomputes the bounds of the families
    (a top region and all below it) whose states the last round changed, and keeps the
    others' findings: the same states and leftovers as recomputing every family every round
    (all rows made one family)."""
    import unittest.mock

    values, parent, fixed, sums, band_lo, band_hi = _forest(np.random.default_rng(seed), tops,
                                                            days)  # fmt: skip
    allow_lo = np.minimum(band_lo, np.where(band_lo > 1, 1.0, band_lo))
    args = (values, parent, fixed, sums, band_lo, band_hi, T)
    by_family = audit.protect(*args, allow_lo=allow_lo)
    one = lambda parent: np.zeros(len(parent), dtype=np.int64)  # noqa: E731
    with unittest.mock.patch.object(audit, "_families", one):
        every_round = audit.protect(*args, allow_lo=allow_lo)
    assert np.array_equal(by_family[0], every_round[0])
    assert np.array_equal(by_family[1], every_round[1])


def _who_band(population, zone_id, column="new_cases_7d"):
    who = builtin_schemes()["who-ct-2021"]
    zone = np.array([who.zone_index(zone_id)])
    return audit.count_bands([who], [zone], column, np.array([population]))


def test_zone_and_population_bound_a_count():
    """WHO level 1 means under 20 per 100,000: in 6,428 people at most 1 case."""
    lo, hi, lo_if_set = _who_band(6428, "level-1")
    assert (lo[0], hi[0]) == (0, 1)
    assert audit.zone_only(lo_if_set, hi, T)[0]  # 1–4 would say 'exactly 1'
    lo, hi, lo_if_set = _who_band(30_000, "level-1")
    assert hi[0] == 5 and not audit.zone_only(lo_if_set, hi, T)[0]  # 0..5 covers 1–4
    # level 2 in 6,428 people: 2 or 3 if cases set it (a viewer may tell): zone alone
    lo, hi, lo_if_set = _who_band(6428, "level-2")
    assert lo[0] == 0 and (lo_if_set[0], hi[0]) == (2, 3)
    assert audit.zone_only(lo_if_set, hi, T)[0]


def test_ppkm_yellow_at_rt_is_itself_a_count_band():
    """PPKM Mikro from April 2021: yellow is 1-2 houses; the dashboard shows the zone alone."""
    ppkm = builtin_schemes()["ppkm-mikro-2021-04"]
    zone = np.array([ppkm.zone_index("yellow")])
    lo, hi, _ = audit.count_bands([ppkm], [zone], "houses_7d", np.array([150.0]))
    assert (lo[0], hi[0]) == (1, 2)
    assert audit.zone_only(lo, hi, T)[0]
    values, parent, fixed, sums = _group([2], parent_fixed=False)
    band_lo = np.array([[0.0], [1.0]])
    band_hi = np.array([[np.inf], [2.0]])
    state, _ = audit.protect(values, parent, fixed, sums, band_lo, band_hi, T)
    assert state[1, 0] == ZONE_ONLY


def test_the_zone_only_choice_does_not_depend_on_the_count():
    """Decided from zone, population and scheme: the same for 0, 1 and 40 cases."""
    lo, hi, lo_if_set = _who_band(6428, "level-1")
    for count in (0.0, 1.0, 40.0):
        values, parent, fixed, sums = _group([count], parent_fixed=False)
        band_lo = np.array([[0.0], [lo[0]]])
        band_hi = np.array([[np.inf], [hi[0]]])
        set_lo = np.array([[0.0], [lo_if_set[0]]])
        state, _ = audit.protect(values, parent, fixed, sums, band_lo, band_hi, T, set_lo)
        assert state[1, 0] == ZONE_ONLY, count
