"""Registers: sources whose silence is a zero.

A counts file reports figures: a region-day it lacks is *missing*, never zero. A line list is a
**register**: it lists every case within what it covers, so a covered day without a case *is*
a zero. What each upload of a register covers is kept as *spans*: a region and the days from
``first`` to ``last`` (both included). A span of a region covers the region and every region
under it (a village stands for its RWs and RTs, a regency for everything in it).

No zero is ever written as a count. The zeros are laid over a level's daily counts when its
panel is built (:func:`fill_silent_days`, called by :mod:`zoning.views.service`): a day that
a register covers and no source reports is 0, a day outside every span stays missing. So a
province-wide line list costs one span per village it names, not a row per village and day,
and the spans of later uploads add to the earlier ones (:func:`merge_spans` keeps their
union).

What a register gives, per level (:data:`REGISTER_FIELDS`): the daily ``new_cases`` of a
village (and their unverified part), and ``houses_7d`` of an RT. ``houses_7d`` is already a
7-day figure: it is 0 only on a day whose whole window the register covers, since a case in
the days before the coverage began would count in it.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from zoning.model.metrics import SEVEN_DAY_FIELDS, WINDOW, Panel

#: The fields a register (a NIK line list) reports, per level: a covered day without a case
#: is 0 for each of them.
REGISTER_FIELDS: dict[str, tuple[str, ...]] = {
    "village": ("new_cases", "new_cases_unverified"),
    "rt": ("houses_7d",),
}
#: Register fields that are 7-day figures themselves
#: (:data:`~zoning.model.metrics.SEVEN_DAY_FIELDS`): 0 only where the whole window is covered.
SEVEN_DAY = SEVEN_DAY_FIELDS


def no_spans() -> pd.DataFrame:
    """A frame of spans with none in it."""
    return pd.DataFrame(
        {
            "region": pd.Series(dtype=object),
            "first": pd.Series(dtype="datetime64[s]"),
            "last": pd.Series(dtype="datetime64[s]"),
        }
    )


def _day_numbers(values: object) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]").astype(np.int64)


def merge_spans(spans: pd.DataFrame) -> pd.DataFrame:
    """The union of ``spans`` (``region, first, last``): per region, disjoint runs of days in
    order, runs that overlap or touch joined into one."""
    if spans.empty:
        return no_spans()
    region = spans["region"].to_numpy(dtype=object)
    first, last = _day_numbers(spans["first"]), _day_numbers(spans["last"])
    keep = first <= last
    region, first, last = region[keep], first[keep], last[keep]
    codes, names = pd.factorize(region, sort=True)
    order = np.lexsort((first, codes))
    codes, first, last = codes[order], first[order], last[order]
    # per region, a run ends where the next span starts more than a day after all before it
    out_region, out_first, out_last = [], [], []
    for start, stop in _runs(codes):
        f, la = first[start:stop], last[start:stop]
        reach = np.maximum.accumulate(la)
        new = np.r_[True, f[1:] > reach[:-1] + 1]
        heads = np.flatnonzero(new)
        ends = np.r_[heads[1:], len(f)] - 1
        out_region.extend([names[codes[start]]] * len(heads))
        out_first.extend(f[heads])
        out_last.extend(reach[ends])
    return pd.DataFrame(
        {
            "region": pd.Series(out_region, dtype=object),
            "first": np.array(out_first, dtype="datetime64[D]").astype("datetime64[s]"),
            "last": np.array(out_last, dtype="datetime64[D]").astype("datetime64[s]"),
        }
    )


def _runs(codes: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of equal values in a sorted array."""
    if not len(codes):
        return []
    heads = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return list(zip(heads.tolist(), np.r_[heads[1:], len(codes)].tolist(), strict=True))


def _rows_under(sorted_codes: np.ndarray, regions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each span's region, the range ``[lo, hi)`` of ``sorted_codes`` that are the region
    or lie under it (codes are dotted, so they are the region's code and those that start
    with it and a dot, which sort just after it: ``.`` comes before ``/``)."""
    regions = np.asarray(regions, dtype=str)
    lo = np.searchsorted(sorted_codes, regions, side="left")
    hi = np.searchsorted(sorted_codes, np.char.add(regions, "/"), side="left")
    return lo, hi


def _days_in(spans: pd.DataFrame) -> pd.DataFrame:
    """The spans that cover at least one day (``first`` on or before ``last``)."""
    return spans[_day_numbers(spans["first"]) <= _day_numbers(spans["last"])]


def covered_regions(codes: Sequence[str], spans: pd.DataFrame) -> np.ndarray:
    """Which of ``codes`` some span covers on some day."""
    codes = np.asarray(codes, dtype=str)
    out = np.zeros(len(codes), dtype=bool)
    spans = _days_in(spans)
    if spans.empty or not len(codes):
        return out
    order = np.argsort(codes, kind="stable")
    lo, hi = _rows_under(codes[order], spans["region"].to_numpy(dtype=object))
    marks = np.zeros(len(codes) + 1, dtype=np.int64)
    np.add.at(marks, lo, 1)
    np.add.at(marks, hi, -1)
    out[order] = np.cumsum(marks[:-1]) > 0
    return out


def covered_days(codes: Sequence[str], dates: pd.DatetimeIndex, spans: pd.DataFrame) -> np.ndarray:
    """Regions x days: True where a span covers the region on the day."""
    codes = np.asarray(codes, dtype=str)
    out = np.zeros((len(codes), len(dates)), dtype=bool)
    if spans.empty or not len(codes) or not len(dates):
        return out
    order = np.argsort(codes, kind="stable")
    lo, hi = _rows_under(codes[order], spans["region"].to_numpy(dtype=object))
    day0 = int(_day_numbers([dates[0]])[0])
    first = np.maximum(_day_numbers(spans["first"]) - day0, 0)
    last = np.minimum(_day_numbers(spans["last"]) - day0, len(dates) - 1)
    on_sorted = np.zeros_like(out)
    for k in np.flatnonzero((hi > lo) & (first <= last)):
        on_sorted[lo[k] : hi[k], first[k] : last[k] + 1] = True
    out[order] = on_sorted
    return out


def _whole_windows(covered: np.ndarray) -> np.ndarray:
    """True where the day and the :data:`~zoning.model.metrics.WINDOW` - 1 days before it
    are all covered (days before the first column count as not covered)."""
    run = np.pad(np.cumsum(covered, axis=1), [(0, 0), (1, 0)])
    out = np.zeros_like(covered)
    if covered.shape[1] >= WINDOW:
        out[:, WINDOW - 1 :] = (run[:, WINDOW:] - run[:, :-WINDOW]) == WINDOW
    return out


def windows_covered(
    codes: Sequence[str], days: Sequence[object], spans: pd.DataFrame
) -> np.ndarray:
    """For each pair of ``codes`` and ``days``, whether spans cover the whole 7-day window
    ending on the day (a 7-day figure of that region-day rests on covered days only)."""
    codes = np.asarray(codes, dtype=str)
    out = np.zeros(len(codes), dtype=bool)
    if spans.empty or not len(codes):
        return out
    day = _day_numbers(days)
    names, rows = np.unique(codes, return_inverse=True)
    first = int(day.min()) - (WINDOW - 1)
    dates = pd.date_range(np.datetime64(first, "D"), np.datetime64(int(day.max()), "D"))
    whole = _whole_windows(covered_days(names, dates, spans))
    return whole[rows, day - first]


def added_days(spans: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """The days of ``spans`` that ``known`` does not cover yet (for the span's region, by a
    span of it or of a region above it), as spans: what an upload adds to the coverage."""
    if spans.empty:
        return no_spans()
    merged = merge_spans(spans)
    if merged.empty:  # no span had a day
        return no_spans()
    first, last = _day_numbers(merged["first"]), _day_numbers(merged["last"])
    start = int(first.min())
    dates = pd.date_range(np.datetime64(start, "D"), np.datetime64(int(last.max()), "D"))
    names = merged["region"].to_numpy(dtype=str)
    own = np.zeros((len(names), len(dates)), dtype=bool)  # each run: its own region's days
    for k, (f, la) in enumerate(zip(first - start, last - start, strict=True)):
        own[k, f : la + 1] = True
    new = own & ~covered_days(names, dates, known) if not known.empty else own
    edges = np.diff(np.pad(new.astype(np.int8), [(0, 0), (1, 1)]), axis=1)
    rows, begin = np.nonzero(edges == 1)
    _, end = np.nonzero(edges == -1)
    return pd.DataFrame(
        {
            "region": pd.Series(names[rows], dtype=object),
            "first": dates[begin].to_numpy().astype("datetime64[s]"),
            "last": dates[end - 1].to_numpy().astype("datetime64[s]"),
        }
    )


def ancestors_and_self(codes: Sequence[str]) -> list[str]:
    """Every code of ``codes`` and of the regions above them (the spans that may cover them)."""
    out = set()
    for code in pd.unique(np.asarray(codes, dtype=object)):
        parts = str(code).split(".")
        out.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
    return sorted(out)


def fill_silent_days(panel: Panel, spans: pd.DataFrame, fields: Sequence[str]) -> Panel:
    """``panel`` with ``fields`` set to 0 on the covered days nothing reported (see the
    module's notes); the days grow to take in every span that covers one of its regions.

    A field in :data:`SEVEN_DAY` is set to 0 only where its whole window is covered.
    """
    if spans.empty or not fields or not len(panel.regions):
        return panel
    codes = np.asarray(panel.regions, dtype=str)
    touching = spans[spans_over(codes, spans)]
    if touching.empty:
        return panel
    start, end = touching["first"].min(), touching["last"].max()
    if len(panel.dates):
        start, end = min(start, panel.dates[0]), max(end, panel.dates[-1])
    dates = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    offset = dates.get_indexer(panel.dates)
    covered = covered_days(codes, dates, touching)
    whole = _whole_windows(covered) if SEVEN_DAY.intersection(fields) else None
    values = {}
    for field in dict.fromkeys([*panel.values, *fields]):
        arr = np.full((len(codes), len(dates)), np.nan)
        if field in panel.values:
            arr[:, offset] = panel.values[field]
        if field in fields:
            where = whole if field in SEVEN_DAY else covered
            arr[where & np.isnan(arr)] = 0.0
        values[field] = arr
    return Panel(panel.regions, dates, values, panel.population)


def spans_over(codes: Sequence[str], spans: pd.DataFrame) -> np.ndarray:
    """Which of ``spans`` cover at least one of ``codes`` (on at least one day)."""
    if spans.empty:
        return np.zeros(0, dtype=bool)
    days = _day_numbers(spans["first"]) <= _day_numbers(spans["last"])
    lo, hi = _rows_under(np.sort(np.asarray(codes, dtype=str)), spans["region"].to_numpy(object))
    return (hi > lo) & days


def spans_to_bytes(spans: pd.DataFrame) -> bytes:
    """Spans as ``.npz`` bytes (no pickles) under fast zlib, for :func:`spans_from_bytes`."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        region=np.asarray(spans["region"], dtype=str),
        first=_day_numbers(spans["first"]),
        last=_day_numbers(spans["last"]),
    )
    return zlib.compress(buffer.getbuffer(), 1)


def spans_from_bytes(data: bytes) -> pd.DataFrame:
    """Read back :func:`spans_to_bytes`."""
    with np.load(io.BytesIO(zlib.decompress(data)), allow_pickle=False) as z:
        return pd.DataFrame(
            {
                "region": pd.Series(z["region"].astype(object), dtype=object),
                "first": z["first"].astype("datetime64[D]").astype("datetime64[s]"),
                "last": z["last"].astype("datetime64[D]").astype("datetime64[s]"),
            }
        )
