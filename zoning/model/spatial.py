"""Neighbours, hot spots and smoothed rates of small areas.

- :func:`contiguity`: queen contiguity (regions sharing a boundary point are neighbours).
- :func:`getis_ord`: the local Gi* statistic of Getis and Ord (1992, 1995), as a z-score.
- :func:`local_moran`: the local Moran's I of Anselin (1995), with its z-score under
  randomisation.
- :func:`fdr`: Benjamini-Hochberg adjusted p-values, so that many regions tested at once do
  not give hot spots by chance.
- :func:`eb_rates`: empirical-Bayes rates (Marshall 1991), global or over each region's
  neighbours, and the probability that a region's true rate is above a cut-off.

References: Getis A, Ord JK (1992) Geographical Analysis 24(3):189-206; Ord JK, Getis A
(1995) Geographical Analysis 27(4):286-306; Anselin L (1995) Geographical Analysis
27(2):93-115; Benjamini Y, Hochberg Y (1995) JRSS B 57(1):289-300; Marshall RJ (1991)
Applied Statistics 40(2):283-294. The same statistics are in PySAL's ``esda``
(``G_Local(star=True)``, ``Moran_Local``, ``Smoothing.Empirical_Bayes``,
``Spatial_Empirical_Bayes``).

Missing values are never zeros: a region without a value is left out of every sum and gets
no statistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse, special

#: Hot spots are called at this false-discovery rate.
FDR_LEVEL = 0.05


def contiguity(geometry: gpd.GeoSeries, snap: float = 0.0) -> sparse.csr_matrix:
    """Binary queen contiguity of ``geometry`` (no region is its own neighbour).

    Regions touch when their boundaries share at least a point. ``snap`` (in the units of
    the geometry): also when they come this close, for boundaries simplified apart.
    """
    geoms = np.asarray(shapely.make_valid(np.asarray(geometry.values, dtype=object)))
    if snap > 0:
        geoms = shapely.buffer(geoms, snap / 2)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    n = len(geoms)
    data = np.ones(int(keep.sum()))
    w = sparse.csr_matrix((data, (left[keep], right[keep])), shape=(n, n))
    w = ((w + w.T) > 0).astype(float)
    return sparse.csr_matrix(w)


def _normal_two_sided(z: np.ndarray) -> np.ndarray:
    return special.erfc(np.abs(z) / math.sqrt(2))


def getis_ord(values: np.ndarray, w: sparse.spmatrix) -> np.ndarray:
    """The Gi* z-score of each region (NaN where its value is missing).

    ``w`` is binary contiguity; Gi* includes the region itself (``w_ii = 1``). The z-score is
    the standardised statistic of Ord and Getis (1995, eq. 6).
    """
    x = np.asarray(values, dtype=float)
    known = np.isfinite(x)
    out = np.full(len(x), np.nan)
    idx = np.flatnonzero(known)
    n = len(idx)
    if n < 3:
        return out
    wk = sparse.csr_matrix(w)[idx][:, idx] + sparse.identity(n, format="csr")
    xk = x[idx]
    mean = xk.mean()
    s = math.sqrt(max((xk**2).mean() - mean**2, 0.0))
    if s == 0:
        return out
    wsum = np.asarray(wk.sum(axis=1)).ravel()
    w2 = np.asarray(wk.multiply(wk).sum(axis=1)).ravel()
    lag = wk @ xk
    denom = s * np.sqrt((n * w2 - wsum**2) / (n - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out[idx] = np.where(denom > 0, (lag - mean * wsum) / denom, np.nan)
    return out


def local_moran(values: np.ndarray, w: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Local Moran's I and its z-score under randomisation (Anselin 1995, eqs. 12-13),
    with row-standardised ``w``. NaN where the value is missing or a region has no
    neighbour with a value."""
    x = np.asarray(values, dtype=float)
    known = np.isfinite(x)
    ii = np.full(len(x), np.nan)
    zz = np.full(len(x), np.nan)
    idx = np.flatnonzero(known)
    n = len(idx)
    if n < 3:
        return ii, zz
    wk = sparse.csr_matrix(w)[idx][:, idx]
    rows = np.asarray(wk.sum(axis=1)).ravel()
    has = rows > 0
    wr = sparse.diags(np.where(has, 1 / np.where(has, rows, 1), 0)) @ wk
    z = x[idx] - x[idx].mean()
    m2 = (z**2).sum() / n
    if m2 == 0:
        return ii, zz
    m4 = (z**4).sum() / n
    b2 = m4 / m2**2
    local = z / m2 * (wr @ z)
    wi = np.asarray(wr.sum(axis=1)).ravel()
    wi2 = np.asarray(wr.multiply(wr).sum(axis=1)).ravel()
    # sum over k != h of w_ik w_ih = (sum w)^2 - sum w^2
    cross = wi**2 - wi2
    expected = -wi / (n - 1)
    variance = wi2 * (n - b2) / (n - 1) + cross * (2 * b2 - n) / ((n - 1) * (n - 2)) - expected**2
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(has & (variance > 0), (local - expected) / np.sqrt(variance), np.nan)
    ii[idx] = np.where(has, local, np.nan)
    zz[idx] = score
    return ii, zz


def fdr(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN and is not counted)."""
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = len(idx)
    if not m:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


@dataclass(frozen=True)
class HotSpots:
    """Gi* z-scores, their FDR-adjusted two-sided p-values and the hot spots (z > 0 and
    adjusted p below :data:`FDR_LEVEL`)."""

    z: np.ndarray
    p_fdr: np.ndarray
    hotspot: np.ndarray


def hot_spots(values: np.ndarray, w: sparse.spmatrix, level: float = FDR_LEVEL) -> HotSpots:
    """Hot spots of ``values`` over contiguity ``w``, corrected for testing every region."""
    z = getis_ord(values, w)
    p = fdr(_normal_two_sided(z))
    hot = np.isfinite(p) & (p < level) & (z > 0)
    return HotSpots(z=z, p_fdr=p, hotspot=hot)


@dataclass(frozen=True)
class SmoothedRates:
    """Empirical-Bayes rates and the gamma prior each region was shrunk towards."""

    rate: np.ndarray  # per unit of ``per``
    prior_mean: np.ndarray
    prior_var: np.ndarray


def eb_rates(
    events: np.ndarray,
    population: np.ndarray,
    *,
    per: float = 100_000.0,
    w: sparse.spmatrix | None = None,
) -> SmoothedRates:
    """Empirical-Bayes rates of ``events`` in ``population`` (Marshall 1991), per ``per``.

    Global (``w`` None): every region is shrunk towards the overall rate. Spatial: towards
    the rate of itself and its neighbours in ``w``. The weight a region keeps on its own
    rate grows with its population: ``a / (a + m / n_i)`` with ``m`` the prior mean and
    ``a`` its variance (method of moments, 0 when negative). Regions without events or
    population get no rate.
    """
    y = np.asarray(events, dtype=float)
    n = np.asarray(population, dtype=float) / per
    known = np.isfinite(y) & np.isfinite(n) & (n > 0)
    yk = np.where(known, y, 0.0)
    nk = np.where(known, n, 0.0)
    if w is None:  # every region in one group: sums, not an n x n matrix of ones

        def groups(x: np.ndarray) -> np.ndarray:
            return np.full(len(x), x.sum())

    else:
        matrix = sparse.csr_matrix(w) + sparse.identity(len(y), format="csr")

        def groups(x: np.ndarray) -> np.ndarray:
            return matrix @ x

    total_y = groups(yk)
    total_n = groups(nk)
    count = groups(known.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        m = total_y / total_n
        raw = np.where(known, yk / np.where(known, nk, 1), np.nan)
        dev = np.where(known, raw, 0.0)
        # population-weighted variance of the rates around m, within each group
        s2 = (groups(nk * dev**2) - 2 * m * groups(nk * dev) + m**2 * total_n) / total_n
        a = np.clip(s2 - m / (total_n / count), 0, None)
        shrink = np.where(a > 0, a / (a + m / np.where(known, nk, 1)), 0.0)
        rate = np.where(known, shrink * raw + (1 - shrink) * m, np.nan)
    return SmoothedRates(rate=rate, prior_mean=m, prior_var=a)


def p_above(
    events: np.ndarray,
    population: np.ndarray,
    prior: SmoothedRates,
    cut: np.ndarray | float,
    *,
    per: float = 100_000.0,
) -> np.ndarray:
    """The probability that a region's true rate (per ``per``) is at or above ``cut``:
    Poisson counts with the gamma prior of ``prior`` give a gamma posterior with shape
    ``m^2/a + y`` and rate ``m/a + n``. NaN where there is no prior spread (``a = 0``: the
    rate is the prior mean, no uncertainty to tell) or no data."""
    y = np.asarray(events, dtype=float)
    n = np.asarray(population, dtype=float) / per
    m, a = prior.prior_mean, prior.prior_var
    cut = np.broadcast_to(np.asarray(cut, dtype=float), y.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(y) & np.isfinite(n) & (n > 0) & (a > 0) & (m > 0) & np.isfinite(cut)
        shape = np.where(ok, m**2 / np.where(ok, a, 1) + y, 1.0)
        rate = np.where(ok, m / np.where(ok, a, 1) + n, 1.0)
        below = special.gammainc(shape, rate * np.clip(cut, 0, None))
    return np.where(ok, 1 - below, np.nan)
