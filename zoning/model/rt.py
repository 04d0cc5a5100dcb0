"""The time-varying reproduction number Rt, by the method of Cori et al. (2013).

Cori A, Ferguson NM, Fraser C, Cauchemez S. "A new framework and software to estimate
time-varying reproduction numbers during epidemics." American Journal of Epidemiology
178(9):1505-1512, 2013 (the method of the R package EpiEstim).

Incidence ``I_t`` follows a renewal process: ``E[I_t] = R_t * Lambda_t`` with the total
infectiousness ``Lambda_t = sum_{s>=1} I_{t-s} w_s`` and ``w`` the discretised serial
interval. With a Gamma(``a``, scale ``b``) prior on ``R`` constant over a window of ``tau``
days ending on ``t``, the posterior is Gamma with shape ``a + sum I`` and scale
``1 / (1/b + sum Lambda)`` over the window. Defaults are EpiEstim's: prior mean 5 and
standard deviation 5 (``a = 1``, ``b = 5``), 7-day windows, a 95 % credible interval.

Missing days are never zeros: a window that holds a missing day gives no estimate. The
infectiousness of a later day leaves a missing day out and scales up the rest, as long as
the missing days weigh at most :data:`MAX_MISSING_WEIGHT` of the serial interval (else no
estimate). A window without infectiousness gives none either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from zoning.model.metrics import WINDOW

#: The serial interval of COVID-19 unless a setting says otherwise (days): Nishiura H,
#: Linton NM, Akhmetzhanov AR. "Serial interval of novel coronavirus (COVID-19)
#: infections." International Journal of Infectious Diseases 93:284-286, 2020.
DEFAULT_SI_MEAN = 4.7
DEFAULT_SI_SD = 2.9
PRIOR_MEAN = 5.0
PRIOR_SD = 5.0
#: Fewer cumulative cases than this before a window: too early to estimate (Cori et al.
#: recommend starting once 12 cases have been seen).
MIN_CASES_BEFORE = 12
#: The most of the serial interval's weight that may fall on missing days.
MAX_MISSING_WEIGHT = 0.1


def serial_interval(mean: float, sd: float, days: int | None = None) -> np.ndarray:
    """The discretised serial interval ``w_0 .. w_days`` of EpiEstim's ``discr_si``: a gamma
    distribution of ``mean - 1`` and ``sd`` shifted by one day, integrated over each day
    (Cori et al. 2013, web appendix 11). ``w_0 = 0``; the weights sum to one.

    Raises ``ValueError`` unless ``mean > 1`` and ``sd > 0``.
    """
    if not (np.isfinite(mean) and np.isfinite(sd)) or mean <= 1 or sd <= 0:
        raise ValueError("the serial interval needs a mean above 1 day and a positive sd")
    days = days or int(np.ceil(mean + 10 * sd)) + 1
    k = np.arange(days + 1, dtype=float)
    shape = (mean - 1) ** 2 / sd**2
    scale = sd**2 / (mean - 1)

    def cdf(a: float, x: np.ndarray) -> np.ndarray:
        return special.gammainc(a, np.clip(x, 0, None) / scale)

    w = (
        k * cdf(shape, k)
        + (k - 2) * cdf(shape, k - 2)
        - 2 * (k - 1) * cdf(shape, k - 1)
        + shape * scale * (2 * cdf(shape + 1, k - 1) - cdf(shape + 1, k - 2) - cdf(shape + 1, k))
    )
    w = np.clip(w, 0, None)
    w[0] = 0.0
    return w / w.sum()


@dataclass(frozen=True)
class RtEstimate:
    """Posterior mean and credible interval of Rt for the window ending on each day."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def estimate(
    incidence: np.ndarray,
    si_mean: float,
    si_sd: float,
    *,
    window: int = WINDOW,
    level: float = 0.95,
    prior_mean: float = PRIOR_MEAN,
    prior_sd: float = PRIOR_SD,
) -> RtEstimate:
    """Rt over sliding windows of ``window`` days, one value per day (NaN where there is
    no estimate: the first days, missing days, no infectiousness or too few cases yet).

    Parameters
    ----------
    incidence : numpy.ndarray
        New cases per day (NaN = not reported).
    si_mean, si_sd : float
        Mean and standard deviation of the serial interval, in days.
    """
    cases = np.asarray(incidence, dtype=float)
    n = len(cases)
    w = serial_interval(si_mean, si_sd)
    known = np.isfinite(cases)
    filled = np.where(known, cases, 0.0)
    # Lambda_t = sum_s I_{t-s} w_s over the days reported; a missing day's share of the
    # serial interval is spread over the days that were (as if it held their weighted
    # mean), and more than MAX_MISSING_WEIGHT of it missing gives no Lambda at all
    lam = np.convolve(filled, w)[:n]
    missing = np.convolve((~known).astype(float), w)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = np.where(missing <= MAX_MISSING_WEIGHT, lam / (1 - missing), np.nan)
    a = (prior_mean / prior_sd) ** 2
    b = prior_sd**2 / prior_mean
    sum_i = np.full(n, np.nan)
    sum_lam = np.full(n, np.nan)
    if n >= window:

        def window_sums(x: np.ndarray) -> np.ndarray:
            """Sums over each window; NaN where the window holds a NaN."""
            ok = np.isfinite(x)
            total = np.concatenate([[0.0], np.cumsum(np.where(ok, x, 0.0))])
            holes = np.concatenate([[0], np.cumsum(~ok)])
            end = np.arange(window, n + 1)
            sums = total[end] - total[end - window]
            return np.where(holes[end] - holes[end - window] > 0, np.nan, sums)

        sum_i[window - 1 :] = window_sums(np.where(known, cases, np.nan))
        sum_lam[window - 1 :] = window_sums(lam)
    # cases seen before each window starts
    start = np.arange(n) - window + 1
    seen = np.concatenate([[0.0], np.cumsum(filled)])
    before = np.where(start > 0, seen[np.clip(start, 0, n)], 0.0)
    ok = np.isfinite(sum_i) & np.isfinite(sum_lam) & (sum_lam > 0) & (before >= MIN_CASES_BEFORE)
    shape = np.where(ok, a + np.nan_to_num(sum_i), np.nan)
    scale = np.where(ok, 1.0 / (1.0 / b + np.nan_to_num(sum_lam)), np.nan)
    tail = (1 - level) / 2
    mean = shape * scale
    lower = np.where(ok, special.gammaincinv(np.where(ok, shape, 1), tail) * scale, np.nan)
    upper = np.where(ok, special.gammaincinv(np.where(ok, shape, 1), 1 - tail) * scale, np.nan)
    return RtEstimate(mean=mean, lower=lower, upper=upper)
