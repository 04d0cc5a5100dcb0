"""Nowcasts of late reports on a simulated epidemic whose reporting delay is known."""

from __future__ import annotations

import numpy as np
import pytest

from zoning.model import nowcast as N

DELAY = np.array([0.3, 0.3, 0.2, 0.1, 0.05, 0.05])  # the share reported 0, 1, ... 5 days late


def simulate(days: int = 150, rate: float = 200.0, seed: int = 7):
    """Poisson cases a day, each reported with a delay drawn from DELAY; the triangle as
    known on the last day (cumulative, NaN where the day is not that old yet)."""
    rng = np.random.default_rng(seed)
    cases = rng.poisson(rate, days)
    late = np.array([rng.multinomial(c, DELAY) for c in cases])  # days x delays
    triangle = np.cumsum(late, axis=1).astype(float)
    age = days - 1 - np.arange(days)
    for k in range(len(DELAY)):
        triangle[age < k, k] = np.nan
    return cases, triangle, age


def test_the_delay_distribution_is_recovered():
    _, triangle, _ = simulate()
    share = N.delay_distribution(triangle)
    assert share == pytest.approx(np.cumsum(DELAY), abs=0.02)
    assert N.provisional_days(share) == 4  # 95 % known 4 days late (0.3+0.3+0.2+0.1+0.05)


def test_the_truth_of_the_last_days_is_inside_the_nowcasts_interval():
    inside = total = 0
    for seed in range(20):
        cases, triangle, age = simulate(seed=seed)
        share = N.delay_distribution(triangle)
        known = np.array([row[np.isfinite(row)][-1] for row in triangle])
        found = N.nowcast(known, age, share)
        last = age < len(DELAY) - 1  # the days still incomplete
        assert np.isfinite(found.mean[last]).all() and np.isnan(found.mean[~last]).all()
        assert (found.lower[last] >= known[last]).all()  # never below what is known
        inside += int(((found.lower <= cases) & (cases <= found.upper))[last].sum())
        total += int(last.sum())
    assert inside / total >= 0.85  # a 95 % interval, the delay itself estimated


def test_no_delay_without_days_seen_twice():
    triangle = np.full((10, 4), np.nan)
    triangle[:, 3] = 5.0  # every day seen only once, complete: a bulk upload
    assert N.delay_distribution(triangle) is None


def test_a_day_not_reported_gets_no_nowcast():
    share = np.array([0.5, 0.9, 1.0])
    found = N.nowcast(np.array([np.nan, 10.0, 10.0]), np.array([0, 0, 2]), share)
    assert np.isnan(found.mean[0])  # missing is never zero: nothing to scale up
    assert found.mean[1] == pytest.approx(10 + 11 * 0.5 / 0.5)
    assert np.isnan(found.mean[2])  # complete


def test_a_windows_nowcast_holds_the_true_7_day_total():
    """Seven days of a region, the last ones still filling in: the interval of their total
    holds the true total in about 95 % of simulated epidemics."""
    inside = total = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        cases = rng.poisson(30, 7)
        age = np.arange(6, -1, -1)  # the window's days, the last one today
        late = np.array([rng.multinomial(c, DELAY) for c in cases])
        known = np.array([late[d, : min(age[d], len(DELAY) - 1) + 1].sum() for d in range(7)])
        found = N.window_nowcast(known[None, :], age, np.cumsum(DELAY))
        assert found.lower[0] >= known.sum() and found.mean[0] > known.sum()
        inside += int(found.lower[0] <= cases.sum() <= found.upper[0])
        total += 1
    assert 0.9 <= inside / total <= 0.99


def test_a_windows_nowcast_of_one_late_day_is_that_days():
    share = np.array([0.5, 1.0])
    one = N.nowcast(np.array([10.0]), np.array([0]), share)
    window = N.window_nowcast(np.array([[4.0, 10.0]]), np.array([1, 0]), share)
    assert window.mean[0] == pytest.approx(4 + one.mean[0])
    assert abs(window.lower[0] - (4 + one.lower[0])) <= 1
    assert abs(window.upper[0] - (4 + one.upper[0])) <= 1


def test_no_windows_nowcast_when_complete_or_a_day_is_missing():
    share = np.array([0.5, 1.0])
    found = N.window_nowcast(np.array([[3.0, 4.0], [np.nan, 4.0]]), np.array([2, 1]), share)
    assert np.isnan(found.mean).all()  # nothing late; a day missing is never zero
    found = N.window_nowcast(np.array([[np.nan, 4.0]]), np.array([1, 0]), share)
    assert np.isnan(found.mean).all()
