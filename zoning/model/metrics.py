"""Metrics from daily counts per region: the one place that computes 7-day windows.

Daily counts come as a long frame (``region, date`` and count fields). They are laid out as
a dense panel, regions x days, with NaN for every day that has no report. A 7-day window
with a missing day is *incomplete*: its metrics are NaN and the window says so; a missing day
is never read as zero. The last ``lag_days`` days before the data's "as of" date are still
filling in (reporting lag) and are flagged *provisional*.

Exact cut-offs
--------------
A value exactly at a published cut-off must land where the scheme's table puts it: one case a
day for seven days in 100,000 people is 1.0 daily case per 100,000, not 0.9999999999999999.
So every metric is computed as **one division of two exact numbers**: the window's sum (a
whole number of cases, or of millionths of a percent) times the scale, over the denominator
(population times days, or tests). Both are whole numbers held exactly in a float (below
2**53), and IEEE division rounds the exact quotient correctly, so a quotient equal to a cut-off
written with a few decimals gives exactly the float of that cut-off, and one that differs
from it (by at least 1 / (700 x population) for rates) stays on its own side. Chains such as
``cases / population * 100_000 / 7`` round three times and are not used.

Percentages reported as levels (``inpatient_covid_pct``, ``bor_covid_pct``) are read to
:data:`PERCENT_DECIMALS` decimal places before they are averaged, for the same reason: the
average of 9.8 and 10.2 is exactly 10.0.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Count fields a daily report may carry (canonical names).
COUNT_FIELDS: tuple[str, ...] = (
    "new_cases",
    "deaths",
    "admissions",
    "tests",
    "positives",
    "inpatient_covid_pct",
    "houses_7d",
    "bor_covid_pct",
    "beds_staffed",
    "beds_covid",
    "new_cases_unverified",
)
#: ``new_cases_unverified``: the part of ``new_cases`` from rows of a line list whose NIK is
#: not valid (counted for their place and date, never merged with anyone: see
#: :mod:`zoning.intake.linelist`), so their share can be shown and judged.
#: Percentages of a bed capacity, and the capacity each is a share of. A parent's share is
#: the bed-weighted share of its children, so it needs their bed counts.
#: ``inpatient_covid_pct`` is US CDC's measure (COVID-19 patients among all staffed inpatient
#: beds, judged against 10 % and 15 %); ``bor_covid_pct`` is Indonesia's BOR (occupancy of
#: the beds set aside for COVID-19, judged against 60 % and 80 %). They are never mixed.
SHARE_OF: dict[str, str] = {"inpatient_covid_pct": "beds_staffed", "bor_covid_pct": "beds_covid"}
#: Bed capacities: levels over days (averaged in a window), summed over regions.
CAPACITIES = frozenset(SHARE_OF.values())
#: Fields that are levels or percentages, not counts: they are averaged over a window, never
#: summed over days.
NON_ADDITIVE = frozenset(SHARE_OF) | CAPACITIES

#: Days in a window: every 7-day figure covers the day it ends on and the six before.
WINDOW = 7
#: Rates are per this many people.
PER_PEOPLE = 100_000


@dataclass(frozen=True)
class Metric:
    """How a canonical metric is computed from the 7-day figures of count fields.

    ``kind`` is one of:

    - ``"count"``: the 7-day total of ``reads[0]`` itself;
    - ``"rate"``: that total per ``scale`` people (and per day over ``days`` days);
    - ``"ratio"``: ``reads[0]`` over ``reads[1]`` (numerator over denominator: positives
      over tests) times ``scale``;
    - ``"level"``: the 7-day mean of a percentage reported daily (not a count of people).

    Everything that derives from a count (small-number masking in
    :mod:`zoning.model.privacy` and :mod:`zoning.model.audit`, the "at least" flags of
    roll-ups, the trend charts) reads it from here: a metric added to :data:`METRICS` is
    computed by :func:`rates` and masked wherever its count is.
    """

    reads: tuple[str, ...]
    kind: str
    scale: float = 1.0
    days: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("count", "rate", "ratio", "level"):
            raise ValueError(f"unknown kind of metric: {self.kind!r}")
        if len(self.reads) != (2 if self.kind == "ratio" else 1):
            raise ValueError(f"a metric of kind {self.kind!r} reads the wrong number of fields")

    @property
    def per_person(self) -> float:
        """A rate's value per person of one count (``scale / days``)."""
        return self.scale / self.days


#: The canonical metrics: name -> what it reads and how (the one place of their formulas).
METRICS: dict[str, Metric] = {
    "cases_7d": Metric(("new_cases",), "count"),
    "cases_7d_per_100k": Metric(("new_cases",), "rate", PER_PEOPLE),
    "cases_daily_per_100k_avg7": Metric(("new_cases",), "rate", PER_PEOPLE, WINDOW),
    "admissions_7d_per_100k": Metric(("admissions",), "rate", PER_PEOPLE),
    "deaths_7d_per_100k": Metric(("deaths",), "rate", PER_PEOPLE),
    "positivity_7d_pct": Metric(("positives", "tests"), "ratio", 100.0),
    "inpatient_covid_pct": Metric(("inpatient_covid_pct",), "level"),
    "bor_covid_pct": Metric(("bor_covid_pct",), "level"),
    "houses_7d": Metric(("houses_7d",), "count"),
}

#: Count fields that are already 7-day figures (reported as such, not summed over a window).
SEVEN_DAY_FIELDS = frozenset({"houses_7d"})


def seven_day_column(field: str) -> str:
    """The zones-table column of a count field's 7-day total (``new_cases`` ->
    ``new_cases_7d``; ``houses_7d`` is one already)."""
    return field if field in SEVEN_DAY_FIELDS else f"{field}_7d"


def counted_fields() -> tuple[str, ...]:
    """Count fields of people or events (not levels or capacities): their 7-day totals are
    the counts that small-number protection covers."""
    return tuple(f for f in COUNT_FIELDS if f not in NON_ADDITIVE)


def count_columns() -> tuple[str, ...]:
    """The 7-day count columns of a zones table (:func:`seven_day_column` of
    :func:`counted_fields`)."""
    return tuple(seven_day_column(f) for f in counted_fields())


def count_aliases() -> dict[str, str]:
    """Metrics that are a 7-day count under another name: metric -> count column."""
    out = {}
    for name, metric in METRICS.items():
        column = seven_day_column(metric.reads[0])
        if metric.kind == "count" and column != name:
            out[name] = column
    return out


def per_population() -> dict[str, tuple[str, float]]:
    """Rates: metric -> (the count column it is computed from, its value per person)."""
    return {
        name: (seven_day_column(m.reads[0]), m.per_person)
        for name, m in METRICS.items()
        if m.kind == "rate"
    }


def ratios() -> dict[str, tuple[str, str, float]]:
    """Ratios of two counts: metric -> (numerator column, denominator column, scale)."""
    return {
        name: (seven_day_column(m.reads[0]), seven_day_column(m.reads[1]), m.scale)
        for name, m in METRICS.items()
        if m.kind == "ratio"
    }


def shown_decimals(column: str) -> int:
    """The decimals a figure is shown with: none for a count (a 7-day count column or a
    metric that is one), one for everything else (rates, ratios, levels)."""
    return 0 if column in count_columns() or column in count_aliases() else 1


#: Decimal places to which level percentages are read before averaging (see "Exact cut-offs").
PERCENT_DECIMALS = 6
#: Days before "as of" whose reports are still arriving.
DEFAULT_LAG_DAYS = 3


@dataclass(frozen=True)
class Panel:
    """Daily counts laid out as regions x days.

    Attributes
    ----------
    regions : numpy.ndarray of str
        Region codes, one per row.
    dates : pandas.DatetimeIndex
        Consecutive days, one per column.
    values : dict of str to numpy.ndarray
        Each count field as a float array of shape (regions, days); NaN = not reported.
    population : numpy.ndarray
        Population per region (NaN where unknown).
    """

    regions: np.ndarray
    dates: pd.DatetimeIndex
    values: dict[str, np.ndarray]
    population: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.regions), len(self.dates)


def panel_to_bytes(panel: Panel) -> bytes:
    """A panel as ``.npz`` bytes (no pickles) under fast zlib, for :func:`panel_from_bytes`.

    zlib level 1 keeps a 30 MB village panel at 1.8 MB in 0.12 s; numpy's own compressed
    ``.npz`` is a third smaller but takes four times as long, on every change of the data.
    """
    buffer = io.BytesIO()
    arrays = {f"value_{k}": v for k, v in panel.values.items()}
    np.savez(
        buffer,
        regions=np.asarray(panel.regions, dtype=str),
        dates=panel.dates.to_numpy(),
        population=np.asarray(panel.population, dtype=float),
        **arrays,
    )
    return zlib.compress(buffer.getbuffer(), 1)


def panel_from_bytes(data: bytes) -> Panel:
    """Read back :func:`panel_to_bytes`."""
    with np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False) as z:
        values = {k.removeprefix("value_"): z[k] for k in z.files if k.startswith("value_")}
        return Panel(
            z["regions"].astype(object),
            pd.DatetimeIndex(z["dates"]),
            values,
            z["population"],
        )


def to_panel(
    counts: pd.DataFrame,
    population: Mapping[str, float] | pd.Series,
    regions: list[str] | None = None,
    start: object = None,
    end: object = None,
) -> Panel:
    """Lay a long frame of daily counts out as a dense panel.

    Parameters
    ----------
    counts : DataFrame
        Columns ``region``, ``date`` and any of :data:`COUNT_FIELDS`; one row per region-day.
    population : mapping or Series
        Population by region code.
    regions : list of str, optional
        Rows of the panel, in order; default the regions in ``counts``, sorted.
    start, end : date-like, optional
        First and last day; default the span of ``counts``.
    """
    dates = (
        pd.to_datetime(counts["date"]).dt.normalize()
        if len(counts)
        else pd.Series([], dtype="datetime64[ns]")
    )
    if regions is None:
        regions = sorted(counts["region"].unique())
    start = pd.Timestamp(start) if start is not None else (dates.min() if len(dates) else None)
    end = pd.Timestamp(end) if end is not None else (dates.max() if len(dates) else None)
    day_index = pd.date_range(start, end, freq="D") if start is not None else pd.DatetimeIndex([])
    reg_index = pd.Index(regions)
    rows = reg_index.get_indexer(counts["region"])
    cols = (dates - start).dt.days.to_numpy() if start is not None else np.array([], dtype=int)
    keep = (rows >= 0) & (cols >= 0) & (cols < len(day_index))
    rows, cols = rows[keep], cols[keep]
    values = {}
    for field in COUNT_FIELDS:
        if field not in counts.columns:
            continue
        arr = np.full((len(reg_index), len(day_index)), np.nan)
        arr[rows, cols] = pd.to_numeric(counts[field], errors="coerce").to_numpy(float)[keep]
        values[field] = arr
    pop = pd.Series(population, dtype=float).reindex(reg_index).to_numpy(float)
    return Panel(np.asarray(reg_index, dtype=object), day_index, values, pop)


def patch_panel(panel: Panel, changes: pd.DataFrame) -> Panel:
    """A copy of ``panel`` with the region-days of ``changes`` written over it.

    ``changes`` has :func:`to_panel`'s columns; each row is a region-day as now stored, so a
    field it lacks is not reported for that day. The days grow to cover the changes. Laying
    the changes over a panel of the earlier counts gives what :func:`to_panel` gives for all
    the counts, as long as no region-day was deleted since.
    """
    if not len(changes):
        return panel
    days = pd.to_datetime(changes["date"]).dt.normalize()
    start, end = days.min(), days.max()
    if len(panel.dates):
        start, end = min(start, panel.dates[0]), max(end, panel.dates[-1])
    dates = pd.date_range(start, end, freq="D")
    offset = dates.get_loc(panel.dates[0]) if len(panel.dates) else 0
    rows = pd.Index(panel.regions).get_indexer(changes["region"])
    cols = (days - start).dt.days.to_numpy()
    keep = rows >= 0
    rows, cols = rows[keep], cols[keep]
    values = {}
    for field in COUNT_FIELDS:
        if field not in panel.values and field not in changes.columns:
            continue
        arr = np.full((len(panel.regions), len(dates)), np.nan)
        if field in panel.values:
            arr[:, offset : offset + len(panel.dates)] = panel.values[field]
        if field in changes.columns:
            arr[rows, cols] = pd.to_numeric(changes[field], errors="coerce").to_numpy(float)[keep]
        else:
            arr[rows, cols] = np.nan
        values[field] = arr
    return Panel(panel.regions, dates, values, panel.population)


def rolling_7d(daily: np.ndarray, mean: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Sum (or mean) over each 7-day window ending on a day, along the last axis.

    Parameters
    ----------
    daily : numpy.ndarray
        Shape (..., days); NaN = not reported.
    mean : bool
        Return the window's mean instead of its sum.

    Returns
    -------
    values : numpy.ndarray
        NaN where the window is incomplete.
    complete : numpy.ndarray of bool
        True where all seven days of the window were reported (False for the first six days).
    """
    missing = np.isnan(daily)
    pad = [(0, 0)] * (daily.ndim - 1) + [(1, 0)]
    csum = np.pad(np.cumsum(np.where(missing, 0.0, daily), axis=-1), pad)
    cmiss = np.pad(np.cumsum(missing, axis=-1), pad)
    n = daily.shape[-1]
    total = np.full(daily.shape, np.nan)
    complete = np.zeros(daily.shape, dtype=bool)
    if n >= WINDOW:
        window_sum = csum[..., WINDOW:] - csum[..., :-WINDOW]
        window_miss = cmiss[..., WINDOW:] - cmiss[..., :-WINDOW]
        ok = window_miss == 0
        complete[..., WINDOW - 1 :] = ok
        total[..., WINDOW - 1 :] = np.where(ok, window_sum / WINDOW if mean else window_sum, np.nan)
    return total, complete


def provisional_days(
    dates: pd.DatetimeIndex, as_of: object, lag_days: int = DEFAULT_LAG_DAYS
) -> np.ndarray:
    """True for the days whose 7-day window reaches into the last ``lag_days`` before ``as_of``."""
    as_of = pd.Timestamp(as_of)
    first_lagging = as_of - pd.Timedelta(days=lag_days - 1)
    return (
        np.asarray(dates >= first_lagging, dtype=bool)
        if lag_days > 0
        else np.zeros(len(dates), bool)
    )


def exact_ratio(numerator: np.ndarray, denominator: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``numerator * scale / denominator`` in one correctly rounded division (NaN where the
    denominator is not positive); see "Exact cut-offs" above.

    ``numerator * scale`` and ``denominator`` must be whole numbers below 2**53 (counts,
    populations, days): then the result is the float nearest the exact quotient.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (numerator * scale) / denominator, np.nan)


def per_people(
    values: np.ndarray, people: np.ndarray, days: int = 1, per: float = PER_PEOPLE
) -> np.ndarray:
    """Rate per ``per`` people (:data:`PER_PEOPLE`), and per day over ``days``.

    ``values`` are window sums shaped (regions, days); ``people`` has one value per region,
    or one per region and day (the people a rolled-up window covers).
    """
    people = np.asarray(people, dtype=float)
    if people.ndim == 1:
        people = people[:, None]
    return exact_ratio(values, people * days, per)


def window_mean_percent(daily: np.ndarray) -> np.ndarray:
    """The 7-day mean of a percentage reported daily, read to :data:`PERCENT_DECIMALS`
    places so that a mean exactly at a cut-off is exact (NaN where the window is incomplete)."""
    unit = 10.0**PERCENT_DECIMALS
    total, _ = rolling_7d(np.round(daily * unit))
    return exact_ratio(total, np.full(total.shape, WINDOW * unit))


def window_figure(field: str, daily: np.ndarray) -> np.ndarray:
    """A field's figure for the 7-day window ending on each day (NaN where a day of the
    window is missing): the sum of a count, the mean of a level percentage, and a field that
    is a 7-day figure already (:data:`SEVEN_DAY_FIELDS`) as it is."""
    if field in SEVEN_DAY_FIELDS:
        return daily.copy()
    if field in NON_ADDITIVE:  # a level: the window's mean
        return window_mean_percent(daily)
    return rolling_7d(daily)[0]


def window_sums(panel: Panel) -> dict[str, np.ndarray]:
    """:func:`window_figure` of every field of the panel."""
    return {field: window_figure(field, daily) for field, daily in panel.values.items()}


def window_start(end: object, windows: int = 1) -> pd.Timestamp:
    """The first day of ``windows`` consecutive 7-day windows, the last ending on ``end``."""
    return pd.Timestamp(end).normalize() - pd.Timedelta(days=windows * WINDOW - 1)


def windows_back(dates: pd.Series, end: object) -> pd.Series:
    """Which 7-day window ending on or before ``end`` each date falls in: 0 for the window
    ending on ``end``, 1 for the one before, and so on; negative after ``end``."""
    age = (pd.Timestamp(end).normalize() - pd.to_datetime(dates).dt.normalize()).dt.days
    return age // WINDOW


def rates(
    sums: Mapping[str, np.ndarray], people: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` that 7-day window figures (:func:`window_sums`) allow.

    ``people`` gives, per field, the people the field's windows count (one value per region,
    or per region and day); a ratio of two counts needs none.
    """
    out: dict[str, np.ndarray] = {}
    for name, metric in METRICS.items():
        if not all(f in sums for f in metric.reads):
            continue
        first = metric.reads[0]
        if metric.kind == "rate":
            out[name] = per_people(sums[first], people[first], metric.days, metric.scale)
        elif metric.kind == "ratio":
            out[name] = exact_ratio(sums[first], sums[metric.reads[1]], metric.scale)
        else:  # a count or a level: the window's figure itself
            out[name] = sums[first]
    return out


#: The field whose windows say whether a region-day is complete (the first one present).
PRIMARY_FIELDS = ("new_cases", "houses_7d")


def primary_field(fields: object) -> str | None:
    """The field whose windows decide completeness: new cases, else houses."""
    return next((f for f in PRIMARY_FIELDS if f in fields), None)


def provisional_flags(panel: Panel, lag_days: int, as_of: object) -> np.ndarray:
    """``provisional`` for every region-day: the window reaches into days still filling in.

    Without ``as_of``, the last day anything was reported is taken.
    """
    if as_of is None:
        reported = np.zeros(panel.shape[1], dtype=bool)
        for arr in panel.values.values():
            reported |= ~np.isnan(arr).all(axis=0)
        as_of = panel.dates[reported][-1] if reported.any() else None
    prov = (
        provisional_days(panel.dates, as_of, lag_days)
        if as_of is not None
        else np.zeros(panel.shape[1], bool)
    )
    return np.broadcast_to(prov, panel.shape).copy()


def compute(
    panel: Panel, lag_days: int = DEFAULT_LAG_DAYS, as_of: object = None
) -> dict[str, np.ndarray]:
    """Compute every metric the panel's fields allow.

    Returns a dict of arrays shaped like the panel, with the canonical metric names plus
    ``window_complete`` (the 7-day case window has all its days) and ``provisional`` (the
    window reaches into days still filling in).
    """
    sums = window_sums(panel)
    out = rates(sums, dict.fromkeys(sums, panel.population))
    primary = primary_field(sums)
    out["window_complete"] = (
        ~np.isnan(sums[primary]) if primary else np.zeros(panel.shape, dtype=bool)
    )
    out["provisional"] = provisional_flags(panel, lag_days, as_of)
    return out


def to_frame(panel: Panel, metrics: Mapping[str, np.ndarray], day: object = None) -> pd.DataFrame:
    """A long frame ``region, date, <metrics>`` of all days, or of one ``day``."""
    if day is not None:
        j = panel.dates.get_loc(pd.Timestamp(day))
        data = {
            "region": panel.regions,
            "date": np.repeat(panel.dates[j], len(panel.regions)),
        }
        data.update({k: a[:, j] for k, a in metrics.items()})
        return pd.DataFrame(data)
    r, d = panel.shape
    data = {
        "region": np.repeat(panel.regions, d),
        "date": np.tile(panel.dates.to_numpy(), r),
    }
    data.update({k: a.reshape(-1) for k, a in metrics.items()})
    return pd.DataFrame(data)


def from_counts(
    counts: pd.DataFrame,
    population: Mapping[str, float] | pd.Series,
    lag_days: int = DEFAULT_LAG_DAYS,
    as_of: object = None,
) -> pd.DataFrame:
    """Long frame of metrics for every region-day of ``counts`` (convenience)."""
    panel = to_panel(counts, population)
    return to_frame(panel, compute(panel, lag_days, as_of))
