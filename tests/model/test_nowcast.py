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
