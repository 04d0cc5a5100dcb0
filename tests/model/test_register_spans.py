"""Registers: what line lists cover, and their silent days as zeros when a panel is built."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import fuzz
from hypothesis import given
from hypothesis import strategies as st

from zoning.model.metrics import Panel
from zoning.model.registers import (
    added_days,
    ancestors_and_self,
    covered_days,
    covered_regions,
    fill_silent_days,
    merge_spans,
    no_spans,
    spans_from_bytes,
    spans_over,
    spans_to_bytes,
    windows_covered,
)

DAY0 = pd.Timestamp("2021-07-01")
#: Codes at every level, including one whose text starts like another's (33.010 is not
#: under 33.01) and RTs under a village.
CODES = ["33", "33.01", "33.01.01", "33.01.01.2001", "33.01.01.2001.001.001",
         "33.01.01.2001.001.002", "33.01.01.2002", "33.02.01.1001", "33.010"]  # fmt: skip


def _spans(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": pd.Series([r for r, _, _ in rows], dtype=object),
            "first": [DAY0 + pd.Timedelta(days=f) for _, f, _ in rows],
            "last": [DAY0 + pd.Timedelta(days=la) for _, _, la in rows],
        }
    )


def _covers(span_region: str, code: str) -> bool:
    return code == span_region or code.startswith(span_region + ".")


_SPANS = st.lists(
    st.tuples(st.sampled_from(CODES), st.integers(0, 30), st.integers(0, 30)), max_size=8
)


@fuzz(200)
@given(rows=_SPANS)
def test_fuzz_covered_days_are_the_days_of_a_span_of_the_region_or_above(rows):
    spans = _spans(rows)
    dates = pd.date_range(DAY0, periods=31)
    got = covered_days(CODES, dates, spans)
    for i, code in enumerate(CODES):
        for j in range(31):
            want = any(_covers(r, code) and f <= j <= la for r, f, la in rows)
            assert got[i, j] == want, (code, j)
    assert (covered_regions(CODES, spans) == got.any(axis=1)).all()
    # the union of the spans covers the same days, in disjoint runs per region
    merged = merge_spans(spans)
    assert (covered_days(CODES, dates, merged) == got).all()
    for _, runs in merged.groupby("region"):
        assert (runs["first"].iloc[1:].to_numpy() > runs["last"].iloc[:-1].to_numpy()
                + np.timedelta64(1, "D")).all()  # fmt: skip
    assert spans_from_bytes(spans_to_bytes(merged)).equals(merged)


@fuzz(200)
@given(rows=_SPANS, day=st.integers(0, 40), code=st.sampled_from(CODES))
def test_fuzz_a_window_is_covered_when_each_of_its_seven_days_is(rows, day, code):
    spans = _spans(rows)
    end = DAY0 + pd.Timedelta(days=day)
    want = all(
        any(_covers(r, code) and f <= d <= la for r, f, la in rows) for d in range(day - 6, day + 1)
    )
    assert windows_covered([code], [end], spans).tolist() == [want]


def test_a_silent_covered_day_is_zero_and_a_day_outside_stays_missing():
    panel = Panel(
        np.array(["33.01.01.2001", "33.01.01.2002"], dtype=object),
        pd.date_range("2021-07-03", periods=3),
        {"new_cases": np.array([[2.0, np.nan, np.nan], [np.nan, np.nan, 5.0]]),
         "deaths": np.array([[0.0, np.nan, np.nan], [np.nan] * 3])},
        np.array([1000.0, 1000.0]),
    )  # fmt: skip
    spans = _spans([("33.01.01.2001", 0, 9), ("33.01.01.2002", 3, 3)])  # 1-10 and 4 July
    out = fill_silent_days(panel, spans, ["new_cases"])
    assert out.dates.equals(pd.date_range("2021-07-01", "2021-07-10"))  # grown to the spans
    a1, a2 = out.values["new_cases"]
    assert a1.tolist() == [0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
    assert np.isnan(a2[[0, 1, 2, 5, 6, 7, 8, 9]]).all() and a2[3] == 0 and a2[4] == 5
    deaths = out.values["deaths"]  # not a register's field: as reported, never filled
    assert deaths[0, 2] == 0 and np.isnan(np.delete(deaths, [2], axis=1)).all()
    assert fill_silent_days(panel, no_spans(), ["new_cases"]) is panel


def test_houses_are_zero_only_where_the_whole_window_is_covered():
    rts = np.array(["33.01.01.2001.001.001", "33.01.01.2001.001.002"], dtype=object)
    panel = Panel(rts, pd.DatetimeIndex([]), {}, np.array([300.0, 300.0]))
    out = fill_silent_days(panel, _spans([("33.01.01.2001", 0, 9)]), ["houses_7d"])
    houses = out.values["houses_7d"]
    assert np.isnan(houses[:, :6]).all() and (houses[:, 6:] == 0).all()


def test_which_spans_reach_which_regions():
    spans = _spans([("33.01", 0, 1), ("33.02.01.1001.001.001", 0, 1), ("34", 0, 1)])
    assert spans_over(CODES, spans).tolist() == [True, False, False]
    assert ancestors_and_self(["33.01.01.2001.001.002", "33.02"]) == [
        "33", "33.01", "33.01.01", "33.01.01.2001", "33.01.01.2001.001",
        "33.01.01.2001.001.002", "33.02",
    ]  # fmt: skip


@fuzz(200)
@given(rows=_SPANS, asked=_SPANS)
def test_fuzz_the_days_an_upload_adds_are_those_nothing_covered_before(rows, asked):
    added = added_days(_spans(asked), _spans(rows))
    got = [
        (r, d)
        for r, f, la in added.itertuples(index=False)
        for d in range((f - DAY0).days, (la - DAY0).days + 1)
    ]
    assert len(got) == len(set(got))  # runs do not overlap
    want = {
        (c, d)
        for c, f, la in asked
        for d in range(f, la + 1)
        if not any(_covers(r, c) and rf <= d <= rl for r, rf, rl in rows)
    }
    assert set(got) == want
