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
    assert list(D.states(has, over, True)) == [D.CONFIRMED, D.OVERRIDDEN, D.COMPUTED]
    assert list(D.states(has, over, False))[2] == D.AWAITING
