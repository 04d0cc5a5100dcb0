"""zoning.model.decisions: which decision stands on a day, and which are superseded."""

from __future__ import annotations

import pandas as pd

from zoning.model import decisions as D


def frame(rows):
    cols = ["id", "region", "scheme", "start", "end", "zone", "action"]
    out = pd.DataFrame(rows, columns=cols)
    out["start"], out["end"] = pd.to_datetime(out["start"]), pd.to_datetime(out["end"])
    return out


DECIDED = frame([
    (1, "A", "s", "2021-07-01", None, "red", "confirm"),
    (2, "A", "s", "2021-07-10", "2021-07-12", "green", "override"),
    (3, "B", "s", "2021-07-05", "2021-07-05", "red", "confirm"),
    (4, "A", "s", "2021-07-11", "2021-07-11", "yellow", "override"),
])  # fmt: skip


def test_the_latest_decision_covering_the_day_stands():
    assert D.covering(DECIDED, "2021-06-30").empty
    assert D.covering(DECIDED, "2021-07-05")["id"].to_dict() == {"A": 1, "B": 3}
    assert D.covering(DECIDED, "2021-07-06")["id"].to_dict() == {"A": 1}  # B's day is over
    assert D.covering(DECIDED, "2021-07-10")["id"].to_dict() == {"A": 2}  # first day
    assert D.covering(DECIDED, "2021-07-11")["id"].to_dict() == {"A": 4}
    assert D.covering(DECIDED, "2021-07-12")["id"].to_dict() == {"A": 2}  # last day
    assert D.covering(DECIDED, "2021-07-13")["id"].to_dict() == {"A": 1}  # open-ended


def test_superseded_only_when_a_later_decision_covers_all_of_it():
    assert list(D.superseded(DECIDED)) == [False, False, False, False]
    later = pd.concat([DECIDED, frame([(5, "A", "s", "2021-07-09", "2021-07-12", "red", "x")])])
    assert list(D.superseded(later.reset_index(drop=True))) == [False, True, False, True, False]
    other_scheme = frame([(5, "A", "t", "2021-07-01", None, "red", "confirm")])
    assert not D.superseded(pd.concat([DECIDED, other_scheme], ignore_index=True)).any()


def test_states():
    has, over = [True, True, False], [False, True, False]
    assert list(D.states(has, over, True)) == [D.CONFIRMED, D.OVERRIDDEN, D.UNCONFIRMED]
    assert list(D.states(has, over, False))[2] == D.AWAITING


def test_superseded_periods_name_the_days_a_later_decision_took_over():
    periods = D.superseded_periods(DECIDED)
    day = pd.Timestamp
    # the open confirmation from the 1st: the 10th to the 12th taken by the later override
    assert periods[0] == [(day("2021-07-10"), day("2021-07-12"))]
    assert periods[1] == [(day("2021-07-11"), day("2021-07-11"))]  # its middle day, by 4
    assert periods[2] == [] and periods[3] == []
    # two later periods that touch are one; an open-ended later one leaves no end
    more = pd.concat([DECIDED, frame([(5, "A", "s", "2021-07-13", None, "red", "confirm")])])
    periods = D.superseded_periods(more.reset_index(drop=True))
    assert periods[0] == [(day("2021-07-10"), None)]
    assert list(D.superseded(more.reset_index(drop=True), periods)) == [
        False, False, False, False, False,
    ]  # fmt: skip
    # an earlier start than the first one's: all of it
    whole = pd.concat([DECIDED, frame([(5, "A", "s", "2021-06-01", None, "red", "confirm")])])
    assert list(D.superseded(whole.reset_index(drop=True))) == [True, True, False, True, False]


def test_superseded_when_later_decisions_together_cover_it():
    two = frame([
        (1, "A", "s", "2021-07-01", "2021-07-10", "red", "confirm"),
        (2, "A", "s", "2021-07-01", "2021-07-05", "green", "override"),
        (3, "A", "s", "2021-07-06", "2021-07-12", "red", "confirm"),
    ])  # fmt: skip
    assert list(D.superseded(two)) == [True, False, False]
    assert D.superseded_periods(two)[1] == []


def test_daily_gives_the_standing_decision_of_each_day():
    dates = pd.date_range("2021-06-30", "2021-07-14")
    a = DECIDED[DECIDED["region"] == "A"].reset_index(drop=True)  # ids 1, 2, 4
    standing = D.daily(a, dates)
    by_day = dict(zip(dates.strftime("%m-%d"), standing, strict=True))
    assert by_day["06-30"] == -1  # before any
    assert by_day["07-01"] == 0 and by_day["07-09"] == 0
    assert by_day["07-10"] == 1 and by_day["07-11"] == 2 and by_day["07-12"] == 1
    assert by_day["07-13"] == 0 and by_day["07-14"] == 0  # the open one again
    assert (D.daily(a.iloc[:0], dates) == -1).all()
