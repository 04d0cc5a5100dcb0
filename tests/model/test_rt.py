"""Rt by the method of Cori et al. (2013): the serial interval, a hand-computed posterior,
and a simulated renewal-process epidemic with known R that the estimate must recover."""

from __future__ import annotations

import numpy as np
import pytest

from zoning.model import rt


def test_the_serial_interval_is_a_distribution_with_the_mean_asked_for():
    w = rt.serial_interval(4.7, 2.9)
    assert w[0] == 0 and (w >= 0).all() and w.sum() == pytest.approx(1.0)
    assert (np.arange(len(w)) * w).sum() == pytest.approx(4.7, abs=1e-3)


@pytest.mark.parametrize(("mean", "sd"), [(1.0, 2.0), (0.5, 1.0), (5.0, 0.0), (np.nan, 1.0)])
def test_a_serial_interval_that_cannot_be_is_refused(mean, sd):
    with pytest.raises(ValueError, match="serial interval"):
        rt.serial_interval(mean, sd)


def test_constant_incidence_gives_the_hand_computed_posterior():
    """10 cases a day for long: Lambda = 10, a 7-day window holds 70 cases and 70 of
    infectiousness; prior Gamma(1, scale 5): shape 71, scale 1/(1/5 + 70)."""
    found = rt.estimate(np.full(200, 10.0), 4.7, 2.9)
    shape, scale = 71.0, 1 / (0.2 + 70.0)
    assert found.mean[-1] == pytest.approx(shape * scale, rel=1e-6)
    from scipy import stats

    assert found.lower[-1] == pytest.approx(stats.gamma.ppf(0.025, shape, scale=scale), rel=1e-6)
    assert found.upper[-1] == pytest.approx(stats.gamma.ppf(0.975, shape, scale=scale), rel=1e-6)


def _renewal(r: np.ndarray, w: np.ndarray, seed: int, seed_cases: float = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cases = np.zeros(len(r))
    cases[0] = seed_cases
    for t in range(1, len(r)):
        s = np.arange(1, min(t, len(w) - 1) + 1)
        cases[t] = rng.poisson(r[t] * (cases[t - s] * w[s]).sum())
    return cases


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_simulated_epidemic_with_known_r_is_recovered_within_its_interval(seed):
    days = np.arange(150)
    true_r = np.where(days < 60, 1.5, np.where(days < 100, 0.8, 1.2))
    cases = _renewal(true_r, rt.serial_interval(4.7, 2.9), seed)
    found = rt.estimate(cases, 4.7, 2.9)
    # away from the two changes (a 7-day window straddles them for a week)
    steady = (np.abs(days - 60) > 8) & (np.abs(days - 100) > 8) & np.isfinite(found.mean)
    assert steady.sum() > 100
    inside = (found.lower <= true_r) & (true_r <= found.upper)
    assert inside[steady].mean() >= 0.85
    assert np.nanmean(np.abs(found.mean - true_r)[steady]) < 0.15
    # and it tells the phases apart
    assert found.upper[50] < found.lower[120] or found.mean[50] > 1.3


def test_a_missing_day_gives_no_estimate_for_the_windows_that_read_it():
    cases = np.full(120, 10.0)
    cases[80] = np.nan
    found = rt.estimate(cases, 4.7, 2.9)
    assert np.isnan(found.mean[80:87]).all()  # windows holding the day
    assert np.isfinite(found.mean[79]) and np.isfinite(found.mean[-1])
    # right after, the missing day weighs much of the serial interval: no estimate; later,
    # infectiousness rests on the other days and the estimate is back (about 1)
    assert np.isnan(found.mean[87])
    assert found.mean[100] == pytest.approx(found.mean[79], rel=0.01)
    many = cases.copy()
    many[60:90:2] = np.nan  # half the days of a month missing: no estimate after it
    assert np.isnan(rt.estimate(many, 4.7, 2.9).mean[90:100]).all()
    zero = cases.copy()
    zero[80] = 0.0  # a silent day is a zero: an estimate, and a lower one
    assert np.isfinite(rt.estimate(zero, 4.7, 2.9).mean[82])


def test_too_few_cases_yet_gives_no_estimate():
    cases = np.zeros(60)
    cases[30:] = 1.0
    found = rt.estimate(cases, 4.7, 2.9)
    assert np.isnan(found.mean[:40]).all()  # fewer than 12 cases before the window
    assert np.isfinite(found.mean[-1])
