"""Classification throughput: region-days per second for every built-in scheme.

Run by hand (not a test):  .venv/bin/python bench/classify.py [--regions N] [--days D]

The default is the issue's size: 100,000 regions x 2 years (73 million region-days). Metric
values are drawn from skewed distributions so that every zone occurs; the time covers
``Scheme.classify`` on regions x days arrays, as the dashboard and ``classify`` use it.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from zoning.model.schemes import builtin_schemes

SCALES = {
    "cases_7d": 30.0,
    "cases_7d_per_100k": 80.0,
    "cases_daily_per_100k_avg7": 10.0,
    "admissions_7d_per_100k": 12.0,
    "deaths_7d_per_100k": 2.0,
    "positivity_7d_pct": 8.0,
    "inpatient_covid_pct": 9.0,
    "houses_7d": 3.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.regions * args.days
    rng = np.random.default_rng(0)
    print(f"{args.regions:,} regions x {args.days} days = {n:,} region-days; "
          f"{platform.processor() or platform.machine()}, numpy {np.__version__}")  # fmt: skip
    print(f"{'scheme':28} {'best s':>8} {'M region-days/s':>16}  zones (share)")
    for scheme in builtin_schemes().values():
        values = {}
        for m in scheme.metrics:
            arr = rng.gamma(0.8, SCALES[m], size=(args.regions, args.days))
            arr[rng.random(arr.shape) < 0.01] = np.nan  # incomplete windows
            values[m] = arr
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            zones = scheme.classify(values)
            best = min(best, time.perf_counter() - start)
        shares = np.bincount(zones.ravel() + 1, minlength=len(scheme.zones) + 1) / n
        names = ["none", *scheme.zone_ids]
        spread = " ".join(f"{z}:{s:.2f}" for z, s in zip(names, shares, strict=True))
        print(f"{scheme.id:28} {best:8.2f} {n / best / 1e6:16.1f}  {spread}")
        del values, zones


if __name__ == "__main__":
    main()
