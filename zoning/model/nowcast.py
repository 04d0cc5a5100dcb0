"""Nowcasts of late reports: how many cases of the last days are still to come.

A *reporting triangle* holds, for each day ``d`` and delay ``k``, the cases of day ``d``
known ``k`` days after it (cumulative: every report that had arrived by then). The delay
distribution is estimated by the chain ladder of reverse-time hazards (Lawless JF (1994)
"Adjustments for reporting delays and the prediction of occurred but not reported events",
Canadian Journal of Statistics 22(1):15-31; Kalbfleisch JD, Lawless JF (1991)): for each
delay the ratio of what days known that long had to what they had a day earlier, over every
day observed at both, multiplied back from the longest delay, where reports are complete.

A day ``k`` days old with ``n`` cases reported: with Poisson cases and a flat prior on their
rate, the cases still to come follow a negative binomial of size ``n + 1`` and probability
``F(k)`` (the share reported within ``k`` days), which gives the nowcast's mean and its 95 %
interval. A nowcast is an expectation with an interval, never a count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Reports of a day are taken as complete this many days after it.
MAX_DELAY = 21
#: The provisional period ends when this share of a day's cases has been reported.
COMPLETE_SHARE = 0.95


def delay_distribution(triangle: np.ndarray) -> np.ndarray | None:
    """``F[k]``: the share of a day's cases reported within ``k`` days (``k = 0 .. K``,
    ``F[K] = 1``), from a cumulative reporting ``triangle`` (days x ``K + 1`` delays, NaN
    where not observed yet). ``None`` where some delay has no day observed at it and the one
    before with cases."""
    c = np.asarray(triangle, dtype=float)
    delays = c.shape[1]
    ratio = np.ones(delays)
    for k in range(1, delays):
        both = np.isfinite(c[:, k]) & np.isfinite(c[:, k - 1])
        before = c[both, k - 1].sum()
        if not both.any() or before <= 0:
            return None
        ratio[k] = c[both, k].sum() / before
    # F[K] = 1 and F[k - 1] = F[k] / ratio[k]
    share = np.ones(delays)
    for k in range(delays - 1, 0, -1):
        share[k - 1] = share[k] / ratio[k] if ratio[k] > 0 else 0.0
    return np.clip(share, 0.0, 1.0)


def provisional_days(share: np.ndarray, complete: float = COMPLETE_SHARE) -> int:
    """Days until ``complete`` of a day's cases are reported (the provisional period)."""
    return int(np.argmax(np.asarray(share) >= complete))


@dataclass(frozen=True)
class Nowcast:
    """Expected cases of each day once all reports are in, and the 95 % interval (NaN
    where nothing is still to come or nothing is known)."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def nowcast(reported: np.ndarray, age: np.ndarray, share: np.ndarray, level: float = 0.95):
    """Nowcasts of days with ``reported`` cases known so far, ``age`` days old, under the
    delay distribution ``share`` (:func:`delay_distribution`). Days old enough to be
    complete, or not reported at all (NaN: missing is never zero), get NaN."""
    from scipy import stats  # here: 50 MB a server showing no nowcast need not hold

    n = np.asarray(reported, dtype=float)
    age = np.asarray(age, dtype=int)
    share = np.asarray(share, dtype=float)
    late = (age >= 0) & (age < len(share)) & np.isfinite(n)
    f = np.where(late, share[np.clip(age, 0, len(share) - 1)], 1.0)
    late &= (f < 1) & (f > 0)
    size = np.where(late, n, 0.0) + 1
    p = np.where(late, f, 0.5)
    tail = (1 - level) / 2
    mean = np.where(late, n + size * (1 - p) / p, np.nan)
    lower = np.where(late, n + stats.nbinom.ppf(tail, size, p), np.nan)
    upper = np.where(late, n + stats.nbinom.ppf(1 - tail, size, p), np.nan)
    return Nowcast(mean=mean, lower=lower, upper=upper)


def window_nowcast(
    reported: np.ndarray, age: np.ndarray, share: np.ndarray, level: float = 0.95
) -> Nowcast:
    """Nowcasts of sums over days (a 7-day window): ``reported`` holds the cases known so far
    of each region (rows) on each day of the window (columns), ``age`` how old each day is.

    The cases still to come of each late day follow the negative binomial of :func:`nowcast`,
    independent from day to day; their total has the sum of the days' means and variances,
    and its interval is that of the gamma distribution with that mean and variance (the
    sum of negative binomials of different probabilities has no closed form). A region with
    a day not reported (NaN: the window is incomplete) or with nothing still to come gets
    NaN."""
    from scipy import stats  # here: 50 MB a server showing no nowcast need not hold

    n = np.atleast_2d(np.asarray(reported, dtype=float))
    age = np.asarray(age, dtype=int)
    share = np.asarray(share, dtype=float)
    inside = (age >= 0) & (age < len(share))
    f = np.where(inside, share[np.clip(age, 0, len(share) - 1)], 1.0)
    late = (f < 1) & (f > 0)
    p = np.where(late, f, 1.0)[None, :]
    size = np.where(late[None, :], np.nan_to_num(n) + 1, 0.0)
    mean = (size * (1 - p) / p).sum(axis=1)
    var = (size * (1 - p) / p**2).sum(axis=1)
    known = n.sum(axis=1)  # NaN where a day is not reported
    ok = np.isfinite(known) & (mean > 0)
    tail = (1 - level) / 2
    shape = np.where(ok, mean**2 / np.where(ok, var, 1.0), 1.0)
    scale = np.where(ok, var / np.where(ok, mean, 1.0), 1.0)
    low = np.floor(stats.gamma.ppf(tail, shape, scale=scale))
    high = np.ceil(stats.gamma.ppf(1 - tail, shape, scale=scale))
    return Nowcast(
        mean=np.where(ok, known + mean, np.nan),
        lower=np.where(ok, known + low, np.nan),
        upper=np.where(ok, known + high, np.nan),
    )
