"""Neighbours, hot spots (Gi*, local Moran's I, FDR) and empirical-Bayes rates, against
hand-computed values of the published formulas."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from scipy import stats
from shapely.geometry import box

from zoning.model import spatial as S


def grid(n: int) -> gpd.GeoSeries:
    return gpd.GeoSeries([box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)])


def test_queen_contiguity_of_a_grid():
    w = S.contiguity(grid(3)).toarray()
    assert (w == w.T).all() and (np.diag(w) == 0).all()
    assert w.sum(axis=1).tolist() == [3, 5, 3, 5, 8, 5, 3, 5, 3]


def test_snapping_joins_boundaries_simplified_apart():
    apart = gpd.GeoSeries([box(0, 0, 1, 1), box(1.0004, 0, 2, 1)])
    assert S.contiguity(apart).sum() == 0
    assert S.contiguity(apart, snap=0.001).sum() == 2


def test_gi_star_by_hand_on_a_path():
    """Five regions in a row; Gi* of the middle one from Ord and Getis (1995)."""
    w = S.contiguity(gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(5)]))
    x = np.array([1.0, 2.0, 9.0, 3.0, 5.0])
    n, mean = 5, x.mean()
    s = math.sqrt((x**2).mean() - mean**2)
    # region 2 with itself and neighbours 1 and 3: three weights of 1
    expected = (x[1:4].sum() - mean * 3) / (s * math.sqrt((n * 3 - 3**2) / (n - 1)))
    assert S.getis_ord(x, w)[2] == pytest.approx(expected)
    edge = (x[0:2].sum() - mean * 2) / (s * math.sqrt((n * 2 - 2**2) / (n - 1)))
    assert S.getis_ord(x, w)[0] == pytest.approx(edge)


def test_a_missing_value_is_left_out_not_taken_as_zero():
    w = S.contiguity(gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(6)]))
    x = np.array([1.0, 2.0, 9.0, 3.0, 5.0, np.nan])
    with_gap = S.getis_ord(x, w)
    assert np.isnan(with_gap[5])
    without = S.getis_ord(
        x[:5], S.contiguity(gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(5)]))
    )
    assert with_gap[:5] == pytest.approx(without)


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan])
    # sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.06, 0.0533, 0.5 -> monotone from the top
    assert S.fdr(p)[:4] == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5], rel=1e-5)
    assert np.isnan(S.fdr(p)[4])


def test_a_planted_cluster_across_a_border_is_one_hot_spot():
    rng = np.random.default_rng(7)
    x = rng.normal(10, 2, 400)
    cluster = [j * 20 + i for j in range(8, 11) for i in range(9, 12)]  # 3 x 3 over x = 10
    x[cluster] += 9
    found = S.hot_spots(x, S.contiguity(grid(20)))
    assert set(cluster) - {8 * 20 + 9, 8 * 20 + 11, 10 * 20 + 9, 10 * 20 + 11} <= set(
        np.flatnonzero(found.hotspot)
    )
    assert set(np.flatnonzero(found.hotspot)) <= set(cluster) | {
        k for c in cluster for k in (c - 21, c - 20, c - 19, c - 1, c + 1, c + 19, c + 20, c + 21)
    }


@pytest.mark.parametrize("seed", range(5))
def test_a_random_map_gives_no_hot_spot_after_correction(seed):
    x = np.random.default_rng(seed).normal(10, 2, 400)
    w = S.contiguity(grid(20))
    found = S.hot_spots(x, w)
    assert not found.hotspot.any()
    raw = S._normal_two_sided(S.getis_ord(x, w))
    assert (raw < 0.05).any()  # uncorrected, some regions pass by chance; corrected, none


def test_local_moran_of_a_cluster_is_positive_and_of_an_outlier_negative():
    x = np.full(25, 1.0) + np.random.default_rng(1).normal(0, 0.1, 25)
    x[[6, 7, 11, 12]] += 5  # a cluster
    x[23] += 5  # an outlier among low neighbours
    i, z = S.local_moran(x, S.contiguity(grid(5)))
    assert i[6] > 0 and z[6] > 2
    assert i[23] < 0


def test_empirical_bayes_by_hand():
    """Marshall (1991): global prior mean and variance by the method of moments."""
    y = np.array([0.0, 10.0, 50.0, 5.0, 30.0])
    n = np.array([500.0, 1000.0, 20000.0, 400.0, 3000.0])
    per = 1000.0
    ni = n / per
    m = y.sum() / ni.sum()
    r = y / ni
    s2 = (ni * (r - m) ** 2).sum() / ni.sum()
    a = s2 - m / ni.mean()
    assert a > 0
    want = a / (a + m / ni) * r + (1 - a / (a + m / ni)) * m
    found = S.eb_rates(y, n, per=per)
    assert found.rate == pytest.approx(want)
    assert found.prior_mean == pytest.approx(np.full(5, m))
    # the largest region keeps most of its own rate, the smallest is pulled the most
    shrink = np.abs(found.rate - r) / np.abs(m - r)
    assert shrink[2] < shrink[3]
    # p_above: the gamma posterior Gamma(m^2/a + y, rate m/a + n)
    cut = 20.0
    posterior = stats.gamma(m**2 / a + y, scale=1 / (m / a + ni))
    assert S.p_above(y, n, found, cut, per=per) == pytest.approx(posterior.sf(cut))


def test_spatial_eb_shrinks_towards_the_neighbours():
    y = np.array([0.0, 0.0, 0.0, 40.0, 40.0, 40.0])
    n = np.full(6, 1000.0)
    w = S.contiguity(gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(6)]))
    local = S.eb_rates(y, n, per=1000.0, w=w)
    assert local.prior_mean[0] == pytest.approx(0.0) and local.prior_mean[5] == pytest.approx(40)
    assert S.eb_rates(y, n, per=1000.0).prior_mean[0] == pytest.approx(20.0)


def test_no_population_no_rate():
    found = S.eb_rates(np.array([1.0, 2.0, np.nan]), np.array([0.0, 100.0, 100.0]))
    assert np.isnan(found.rate[0]) and np.isnan(found.rate[2]) and np.isfinite(found.rate[1])
