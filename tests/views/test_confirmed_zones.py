"""Confirmed zones (issue 17 item 6): decisions recorded, the zone each region shows, the
setting that hides unconfirmed zones, and bad decisions refused with the field named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zoning.model import decisions as D
from zoning.model.schemes import NO_ZONE, get_scheme
from zoning.store import Store
from zoning.views import decisions, published, service

SCHEME = get_scheme("harvard-ghi-2020")
DAY = pd.Timestamp("2021-07-15")


def shown(store: Store, day=DAY, *, public: bool = True, level: str = "regency") -> pd.DataFrame:
    return published.public_zones(store, SCHEME, level, day, "en", public=public).set_index("code")


def computed(store: Store, code: str, day=DAY, level: str = "regency") -> str:
    return service.zones_on(store, SCHEME, level, day).set_index("code").loc[code, "zone"]


def other_zone(zone: str) -> str:
    return next(z for z in SCHEME.zone_ids if z != zone)


def test_without_decisions_the_computed_zone_shows_marked_not_yet_confirmed(tiny_store):
    table = shown(tiny_store)
    assert set(table["decision"]) == {D.UNCONFIRMED}
    assert (table["zone"] == table["computed_zone"]).all()
    assert table["decided_by"].isna().all()


def test_the_zones_shown_share_the_computed_table_s_columns_and_leave_it_as_it_was(tiny_store):
    """The zones shown hold the columns decisions change and share the others with the
    cached zones table (at 83,402 villages a full copy was 10 MB more per day viewed)."""
    zones = service.zones_on(tiny_store, SCHEME, "regency", DAY)
    before = zones.copy()
    table = published.public_zones(tiny_store, SCHEME, "regency", DAY, "en", public=False)
    for column in ("population", "coverage"):
        assert np.shares_memory(table[column].to_numpy(), zones[column].to_numpy()), column
    table.loc[0, "population"] = -1.0  # copy on write: the cached table is never changed
    pd.testing.assert_frame_equal(zones, before)


def test_a_confirmation_is_recorded_and_shown_with_who_and_when(tiny_store):
    number = decisions.record(tiny_store, SCHEME, "33.01", "2021-07-10", "Dinkes Satu")
    table = shown(tiny_store)
    assert table.loc["33.01", "decision"] == D.CONFIRMED
    assert table.loc["33.01", "zone"] == computed(tiny_store, "33.01")
    assert table.loc["33.01", "decided_by"] == "Dinkes Satu"
    kept = tiny_store.decisions().set_index("id").loc[number]
    assert table.loc["33.01", "decided_on"] == f"{kept['decided_at']:%Y-%m-%d}"
    assert kept["action"] == "confirm" and kept["computed_zone"] == computed(tiny_store, "33.01")
    assert table.loc["33.02", "decision"] == D.UNCONFIRMED  # only the region decided on
    # before the period starts the decision does not stand
    assert shown(tiny_store, "2021-07-09").loc["33.01", "decision"] == D.UNCONFIRMED


def test_an_override_shows_the_decided_zone_with_the_computed_one_beside_it(tiny_store):
    was = computed(tiny_store, "33.01")
    zone = other_zone(was)
    decisions.record(
        tiny_store, SCHEME, "33.01", "2021-07-10", "ana", zone=zone, reason="contacts all traced",
        end="2021-07-16",
    )  # fmt: skip
    table = shown(tiny_store)
    row = table.loc["33.01"]
    assert row["decision"] == D.OVERRIDDEN
    assert row["zone"] == zone and row["zone_index"] == SCHEME.zone_index(zone)
    assert row["computed_zone"] == was and row["computed_zone_index"] == SCHEME.zone_index(was)
    assert row["decision_reason"] == "contacts all traced"
    assert (row["decision_start"], row["decision_end"]) == ("2021-07-10", "2021-07-16")
    # after its last day the computed zone shows again
    assert shown(tiny_store, "2021-07-17").loc["33.01", "decision"] == D.UNCONFIRMED
    # analysts see the same decided zone
    assert shown(tiny_store, public=False).loc["33.01", "zone"] == zone


def test_a_later_decision_supersedes_an_earlier_one_which_is_kept(tiny_store):
    was = computed(tiny_store, "33.01")
    first = decisions.record(tiny_store, SCHEME, "33.01", "2021-07-08", "ana")
    second = decisions.record(
        tiny_store, SCHEME, "33.01", "2021-07-10", "ana", zone=other_zone(was), reason="r"
    )
    third = decisions.record(tiny_store, SCHEME, "33.01", "2021-07-10", "Bupati")
    assert shown(tiny_store).loc["33.01", "decision"] == D.CONFIRMED
    assert shown(tiny_store).loc["33.01", "decided_by"] == "Bupati"
    assert shown(tiny_store, "2021-07-09").loc["33.01", "decided_by"] == "ana"
    kept = decisions.history(tiny_store, "33.01").set_index("id")
    assert list(kept.index) == [first, second, third]
    assert list(kept["superseded"]) == [False, True, False]


def test_the_setting_hides_unconfirmed_zones(tiny_store, monkeypatch):
    decisions.record(tiny_store, SCHEME, "33.01", "2021-07-10", "ana")
    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")
    table = shown(tiny_store)
    assert table.loc["33.02", "decision"] == D.AWAITING
    assert pd.isna(table.loc["33.02", "zone"]) and table.loc["33.02", "zone_index"] == NO_ZONE
    assert pd.isna(table.loc["33.02", "computed_zone"])  # no made-up or leaked zone
    assert table.loc["33.01", "zone"] == computed(tiny_store, "33.01")  # confirmed: public
    analyst = shown(tiny_store, public=False)
    assert pd.isna(analyst.loc["33.02", "zone"])  # no zone for anyone ...
    assert analyst.loc["33.02", "computed_zone"] == computed(tiny_store, "33.02")  # ... to act on
    assert analyst.loc["33.02", "decision"] == D.AWAITING
    # at a small level too, through the masked table
    village = shown(tiny_store, level="village")
    assert village["zone"].isna().all() and set(village["decision"]) == {D.AWAITING}
    monkeypatch.setenv(decisions.ENV_PUBLISH, "yes")
    assert shown(tiny_store).loc["33.02", "decision"] == D.UNCONFIRMED


@pytest.mark.parametrize(
    ("values", "key", "column"),
    [
        ({"zone": "purple", "reason": "x"}, "error_zone", "zone"),
        ({"zone": "OTHER"}, "error_reason", "reason"),
        ({"zone": "OTHER", "reason": "   "}, "error_reason", "reason"),
        ({"region": "33.99"}, "error_region", "region"),
        ({"start": "2030-01-01"}, "error_day", "date"),
        ({"start": "not a day"}, "error_date", "date"),
        ({"who": " "}, "error_who", "who"),
        ({"end": "2021-07-01"}, "error_period", "until"),
    ],
)
def test_bad_decisions_are_refused_naming_the_field(tiny_store, values, key, column):
    args = {"region": "33.01", "start": "2021-07-10", "who": "ana", **values}
    if args.get("zone") == "OTHER":
        args["zone"] = other_zone(computed(tiny_store, "33.01", "2021-07-10"))
    region, start, who = args.pop("region"), args.pop("start"), args.pop("who")
    with pytest.raises(decisions.DecisionError) as caught:
        decisions.record(tiny_store, SCHEME, region, start, who, **args)
    assert (caught.value.key, caught.value.column) == (key, column)
    assert tiny_store.decisions().empty


# --- history follows decisions -------------------------------------------------------------
def test_the_zone_history_follows_decisions_with_the_computed_zone_beside(tiny_store):
    was = computed(tiny_store, "33.01")
    zone = other_zone(was)
    decisions.record(
        tiny_store, SCHEME, "33.01", "2021-07-10", "ana", zone=zone, reason="traced",
        end="2021-07-16",
    )  # fmt: skip
    days = decisions.zone_history(tiny_store, SCHEME, "regency", "33.01", public=True)
    days = days.set_index(days["date"].dt.strftime("%Y-%m-%d"))
    plain = service.zone_history(tiny_store, SCHEME, "regency", "33.01")
    assert (days["computed_index"].to_numpy() == plain["zone_index"].to_numpy()).all()
    inside = days.loc["2021-07-10":"2021-07-16"]
    assert (inside["zone"] == zone).all() and set(inside["decision"]) == {D.OVERRIDDEN}
    outside = days.drop(inside.index)
    assert (outside["zone_index"] == outside["computed_index"]).all()
    assert set(outside["decision"]) == {D.UNCONFIRMED}


def test_the_history_hides_what_the_setting_hides(tiny_store, monkeypatch):
    decisions.record(tiny_store, SCHEME, "33.01", "2021-07-10", "ana", end="2021-07-12")
    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")
    public = decisions.zone_history(tiny_store, SCHEME, "regency", "33.01", public=True)
    confirmed = public["decision"] == D.CONFIRMED
    assert confirmed.sum() == 3
    assert (public.loc[~confirmed, "zone_index"] == NO_ZONE).all()
    assert (public.loc[~confirmed, "computed_index"] == NO_ZONE).all()  # nothing leaked
    analyst = decisions.zone_history(tiny_store, SCHEME, "regency", "33.01", public=False)
    assert (analyst.loc[~confirmed, "computed_index"] != NO_ZONE).any()  # to act on


def test_in_zone_since_follows_the_decision_and_says_the_computed_one(tiny_store):
    from zoning.views import policy

    day = pd.Timestamp("2021-07-20")
    before = policy.zone_status(tiny_store, SCHEME, "regency", "33.01", day)
    assert before.computed_since is None  # no decision: one zone, one day
    zone = other_zone(computed(tiny_store, "33.01", day))
    decisions.record(tiny_store, SCHEME, "33.01", "2021-07-18", "ana", zone=zone, reason="r")
    status = policy.zone_status(tiny_store, SCHEME, "regency", "33.01", day)
    assert status.zone_index == SCHEME.zone_index(zone)
    assert status.changed_on == pd.Timestamp("2021-07-18")  # the day the decision began
    plain = service.zone_history(tiny_store, SCHEME, "regency", "33.01")
    first_known = plain.loc[plain["zone_index"] != NO_ZONE, "date"].iloc[0]
    assert before.changed_on is None  # the computed zone never changed: since the first day
    assert status.computed_since == first_known
    assert status.computed_index == before.zone_index


def test_a_decision_shows_at_once_in_every_cached_view(tiny_store):
    from zoning.views import briefing

    args = (tiny_store, SCHEME, "regency", DAY)
    worst, rows = briefing.worst_zone(*args, public=True, lang="en")
    history = decisions.zone_history(tiny_store, SCHEME, "regency", "33.01", public=True)
    version = tiny_store.data_version()
    worst_code = rows["code"].iloc[0]
    lower = SCHEME.zone_ids[0] if worst != 0 else SCHEME.zone_ids[-1]
    for code in rows["code"]:
        decisions.record(tiny_store, SCHEME, code, "2021-07-10", "ana", zone=lower, reason="r")
    assert tiny_store.data_version() == version  # decisions are not data
    again, rows_again = briefing.worst_zone(*args, public=True, lang="en")
    assert again != worst or worst_code not in set(rows_again["code"])
    later = decisions.zone_history(tiny_store, SCHEME, "regency", "33.01", public=True)
    assert later is not history


# --- partly superseded -----------------------------------------------------------------------
def test_a_decision_partly_superseded_says_which_days(tiny_store):
    was = computed(tiny_store, "33.01")
    decisions.record(tiny_store, SCHEME, "33.01", "2021-07-08", "ana", end="2021-07-20")
    decisions.record(
        tiny_store, SCHEME, "33.01", "2021-07-12", "Bupati", zone=other_zone(was), reason="r",
        end="2021-07-14",
    )  # fmt: skip
    kept = decisions.history(tiny_store, "33.01")
    assert list(kept["superseded"]) == [False, False]
    assert list(kept["superseded_days"]) == ["2021-07-12/2021-07-14", ""]
    words = {
        lang: decisions.history_table(kept, SCHEME, lang).iloc[:, 2].tolist()
        for lang in ("en", "id")
    }
    # newest first
    assert words["en"] == ["stands", "partly superseded: 2021-07-12 to 2021-07-14"]
    assert words["id"] == ["berlaku", "sebagian digantikan: 2021-07-12 s.d. 2021-07-14"]
    decisions.record(tiny_store, SCHEME, "33.01", "2021-07-07", "Bupati")
    kept = decisions.history(tiny_store, "33.01")
    assert list(kept["superseded"]) == [True, True, False]
    assert decisions.history_table(kept, SCHEME, "en").iloc[:, 2].tolist()[1:] == [
        "superseded", "superseded",
    ]  # fmt: skip


def test_the_level_s_changes_follow_decisions(tiny_store, monkeypatch):
    """The zones shown of a whole level: what the policy page's recent changes, the map's
    week changes and its played weeks read."""
    from zoning.views import briefing, policy

    plain = service.zone_panel(tiny_store, SCHEME, "regency")
    assert decisions.zone_panel(tiny_store, SCHEME, "regency") is plain  # nothing to apply
    day = pd.Timestamp("2021-07-20")
    was = computed(tiny_store, "33.01", day)
    zone = other_zone(was)
    decisions.record(tiny_store, SCHEME, "33.01", "2021-07-19", "ana", zone=zone, reason="r")
    panel = decisions.zone_panel(tiny_store, SCHEME, "regency")
    rows = list(service.level_data(tiny_store, "regency").panel.regions)
    i, j = rows.index("33.01"), service.level_data(tiny_store, "regency").day_index(day)
    assert panel[i, j] == SCHEME.zone_index(zone) and panel[i, j - 2] == plain[i, j - 2]
    assert (np.delete(panel, i, axis=0) == np.delete(plain, i, axis=0)).all()
    recent = policy.recent_changes(tiny_store, SCHEME, "regency", day).set_index("code")
    assert recent.loc["33.01", "changed_on"] == pd.Timestamp("2021-07-19")
    assert recent.loc["33.01", "zone"] == zone
    _, moved = briefing.week_changes(tiny_store, SCHEME, "regency", day)
    assert moved.set_index("code").loc["33.01", "after"] == SCHEME.zone_index(zone)
    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")  # awaiting: no zone shown, no change
    hidden = decisions.zone_panel(tiny_store, SCHEME, "regency")
    assert (np.delete(hidden, i, axis=0) == NO_ZONE).all()
