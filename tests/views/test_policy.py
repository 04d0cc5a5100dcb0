"""Tests for zoning.views.policy: rules in words, recent zone changes, notes and safe HTML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_store

from zoning.core.i18n import strings
from zoning.model import metrics as M
from zoning.model import rules
from zoning.model.metrics import METRICS
from zoning.model.schemes import NO_ZONE, builtin_schemes, loads_scheme
from zoning.render import presentation
from zoning.store import Store
from zoning.views import policy, service

HOSTILE = "<img src=x onerror=alert(1)>"
DAYS = pd.date_range("2021-10-01", "2021-10-20", freq="D")
REGIONS = pd.DataFrame(
    {
        "code": ["33", "33.01", "33.02"],
        "name": ["Jawa Tengah", "Kabupaten Satu", "Kabupaten Dua"],
        "level": ["province", "regency", "regency"],
        "parent": [None, "33", "33"],
        "population": [200_000.0, 100_000.0, 100_000.0],
    }
)


def tiny_counts() -> pd.DataFrame:
    """33.01: 1 case a day, then 10 a day from 10 October; 33.02: 1 a day, 5 October missing.

    Per 100,000 in 7 days, 33.01 is Level 1 (WHO) until 10 October, Level 2 from 11 October
    (25) and Level 3 from 14 October (52). 33.02 stays Level 1 but has no zone while its
    window holds the missing day (5-11 October).
    """
    rows = []
    for day in DAYS:
        rows.append(("33.01", day, 10.0 if day >= pd.Timestamp("2021-10-10") else 1.0))
        if day != pd.Timestamp("2021-10-05"):
            rows.append(("33.02", day, 1.0))
    frame = pd.DataFrame(rows, columns=["region", "date", "new_cases"])
    return frame.assign(deaths=0.0, admissions=0.0)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store with a province, two regencies and 20 days of counts (as of 20 October)."""
    return write_store(tmp_path / "tiny.db", REGIONS, tiny_counts())


def words(lines: list[str]) -> list[str]:
    """Rule texts with their non-breaking spaces (sign + number) as plain spaces."""
    return [line.replace("\u00a0", " ") for line in lines]


@pytest.fixture
def who():
    return builtin_schemes()["who-ct-2021"]


# --------------------------------------------------------------------------- rules in words


def test_who_rules_in_english(who) -> None:
    assert words(policy.describe_rules(who, "en")) == [
        "Level 4 (very high) when cases per 100,000 in 7 days ≥ 150; otherwise Level 3 (high) "
        "when ≥ 50; otherwise Level 2 (moderate) when ≥ 20; otherwise Level 1 (low).",
        "Level 4 (very high) when admissions per 100,000 in 7 days ≥ 30; otherwise Level 3 "
        "(high) when ≥ 10; otherwise Level 2 (moderate) when ≥ 5; otherwise Level 1 (low).",
        "Level 4 (very high) when deaths per 100,000 in 7 days ≥ 5; otherwise Level 3 (high) "
        "when ≥ 2; otherwise Level 2 (moderate) when ≥ 1; otherwise Level 1 (low).",
    ]


def test_a_sign_stays_with_its_number(who) -> None:
    assert "≥\u00a0150;" in policy.describe_rules(who, "en")[0]


def test_who_rules_in_bahasa_indonesia(who) -> None:
    lines = words(policy.describe_rules(who, "id"))
    assert len(lines) == 3
    assert lines[0] == (
        "Level 4 (sangat tinggi) bila kasus per 100.000 dalam 7 hari ≥ 150; selain itu Level 3 "
        "(tinggi) bila ≥ 50; selain itu Level 2 (sedang) bila ≥ 20; selain itu Level 1 (rendah)."
    )


def test_cdc_community_levels_conditioned_rules() -> None:
    cdc = builtin_schemes()["cdc-community-levels-2022"]
    en = words(policy.describe_rules(cdc, "en"))
    assert en[0] == (
        "When cases per 100,000 in 7 days < 200: High when admissions per 100,000 in 7 days "
        "≥ 20; otherwise Medium when ≥ 10; otherwise Low."
    )
    assert en[3] == (
        "When cases per 100,000 in 7 days ≥ 200: High when inpatient beds used by COVID-19 "
        "patients (%) ≥ 10; otherwise Medium."
    )
    ind = words(policy.describe_rules(cdc, "id"))
    assert ind[2] == (
        "Bila kasus per 100.000 dalam 7 hari ≥ 200: Tinggi bila rawat inap per 100.000 dalam "
        "7 hari ≥ 10; selain itu Sedang."
    )
    assert len(en) == len(ind) == 4


def test_strict_thresholds_read_as_greater_than() -> None:
    ppkm = builtin_schemes()["ppkm-mikro-2021-02"]
    assert words(policy.describe_rules(ppkm, "en")) == [
        "Red when houses with a case in 7 days > 10; otherwise Orange when > 5; "
        "otherwise Yellow when > 0; otherwise Green."
    ]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_builtin_scheme_is_described(lang: str) -> None:
    for scheme in builtin_schemes().values():
        lines = words(policy.describe_rules(scheme, lang))
        assert len(lines) == len(scheme.rules)
        assert all(line and "{" not in line for line in lines)
        assert policy.rules_footnote(scheme, lang)


def test_every_metric_has_a_sentence_form() -> None:
    for metric in METRICS:
        assert set(strings()[f"policy.metric_{metric}"]) == {"id", "en"}


def test_conditions_keep_their_grouping() -> None:
    node = rules.parse(
        "cases_7d_per_100k >= 200 and (houses_7d > 5 or not deaths_7d_per_100k < 1.5)"
    )
    assert words([policy.describe_condition(node, "en")])[0] == (
        "cases per 100,000 in 7 days ≥ 200 and (houses with a case in 7 days > 5 or "
        "not (deaths per 100,000 in 7 days < 1.5))"
    )
    assert words([policy.describe_condition(node, "id")])[0].endswith(
        "bukan (kematian per 100.000 dalam 7 hari < 1,5))"
    )


def test_zone_rules_read_as_at_least() -> None:
    text = """
id = "t"
name = "T"
levels = ["regency"]
metrics = ["cases_7d_per_100k", "houses_7d"]
[source]
title = "test"
[[zones]]
id = "a"
colour = "#000000"
label = "A"
[[zones]]
id = "b"
colour = "#ffffff"
label = { id = "Bé", en = "Bee" }
[[rules]]
zone = "b"
when = "houses_7d >= 3"
"""
    scheme = loads_scheme(text)
    assert words(policy.describe_rules(scheme, "en")) == [
        "At least Bee when houses with a case in 7 days ≥ 3."
    ]
    assert words(policy.describe_rules(scheme, "id")) == [
        "Sekurang-kurangnya Bé bila rumah dengan kasus dalam 7 hari ≥ 3."
    ]
    assert "no zone" not in policy.rules_footnote(scheme, "en")  # nothing required


def test_source_and_dates(who) -> None:
    labels = dict(policy.source_lines(who, "en"))
    assert labels["Publisher"] == "World Health Organization"
    assert "4805/2021" in labels["Adopted by"]
    assert policy.effective_text(who, "en") == "from 2021-06-14"
    ppkm = builtin_schemes()["ppkm-mikro-2021-02"]
    assert policy.effective_text(ppkm, "id") == "2021-02-09 sampai 2021-04-05"


# --------------------------------------------------------------------------- recent changes


def test_recent_changes_finds_the_region_that_changed(store: Store, who) -> None:
    frame = policy.recent_changes(store, who, "regency", "2021-10-17")
    assert list(frame.columns) == policy.RECENT_COLUMNS
    assert list(frame["code"]) == ["33.01"]  # 33.02's gap is no change
    row = frame.iloc[0]
    assert row["changed_on"] == pd.Timestamp("2021-10-14")
    assert (row["previous"], row["zone"]) == ("level-2", "level-3")
    assert row["name"] == "Kabupaten Satu"


def test_recent_changes_window(store: Store, who) -> None:
    assert policy.recent_changes(store, who, "regency", "2021-10-17", days=3).empty
    assert list(policy.recent_changes(store, who, "regency", "2021-10-17", days=4)["code"]) == [
        "33.01"
    ]
    early = policy.recent_changes(store, who, "regency", "2021-10-12")
    assert early.iloc[0]["changed_on"] == pd.Timestamp("2021-10-11")
    assert (early.iloc[0]["previous"], early.iloc[0]["zone"]) == ("level-1", "level-2")


def test_recent_changes_agrees_with_each_region_s_status(store: Store, who) -> None:
    for level in ("province", "regency"):
        for day in DAYS[6:]:
            frame = policy.recent_changes(store, who, level, day).set_index("code")
            for code in service.regions(store, level)["code"]:
                status = policy.zone_status(store, who, level, code, day)
                changed = status.changed_on
                recent = changed is not None and changed > day - pd.Timedelta(days=7)
                assert (code in frame.index) == recent, (level, day, code)
                if recent:
                    assert frame.loc[code, "changed_on"] == changed
                    assert frame.loc[code, "previous_index"] == status.previous_index


def test_recent_changes_table_labels(store: Store, who) -> None:
    frame = policy.recent_changes(store, who, "regency", "2021-10-17")
    table = policy.recent_changes_table(frame, who, "en")
    assert list(table.columns) == ["Region", "From", "To", "Changed on", "Code"]
    assert table.iloc[0].tolist() == [
        "Kabupaten Satu",
        "Level 2 (moderate)",
        "↑ Level 3 (high)",
        pd.Timestamp("2021-10-14").date(),
        "33.01",
    ]


def test_zone_status(store: Store, who) -> None:
    status = policy.zone_status(store, who, "regency", "33.01", "2021-10-17")
    assert status.zone_index == 2
    assert status.changed_on == pd.Timestamp("2021-10-14")
    assert status.previous_index == 1
    assert status.window_complete and not status.provisional
    assert status.values["cases_7d_per_100k"] == pytest.approx(70.0)
    gap = policy.zone_status(store, who, "regency", "33.02", "2021-10-08")
    assert gap.zone_index == -1 and not gap.window_complete
    assert np.isnan(gap.values["cases_7d_per_100k"])
    assert policy.metric_lines(gap, "en")[0].endswith("incomplete 7-day window")


def test_region_from_param(store: Store) -> None:
    choices = policy.region_choices(store, "regency")
    assert choices == {"33.01": "Kabupaten Satu", "33.02": "Kabupaten Dua"}
    assert policy.region_from_param("3302", choices) == "33.02"
    assert policy.region_from_param("33.02", choices) == "33.02"
    assert policy.region_from_param("33", choices) is None
    assert policy.region_from_param("nonsense", choices) is None
    assert policy.region_from_param(None, choices) is None


# --------------------------------------------------------------------------- notes


def test_notes_and_their_history(store: Store) -> None:
    first = policy.save_note(store, "33.01", " Bu Sari ", " Tutup pasar malam. ")
    other = policy.save_note(store, "33.01", "Pak Budi", "Tes massal Senin.")
    edit = policy.save_note(store, "33.01", "Bu Sari", "Tutup pasar malam sampai 1 Nov.", first)
    threads = policy.note_threads(store, "33.01")
    assert [th.current.id for th in threads] == [edit, other]
    assert threads[0].current.author == "Bu Sari"
    assert [n.id for n in threads[0].earlier] == [first]
    assert threads[0].earlier[0].text == "Tutup pasar malam."
    assert threads[1].earlier == ()
    assert policy.note_threads(store, "33.02") == []


def test_note_errors(store: Store) -> None:
    with pytest.raises(policy.NoteError) as err:
        policy.save_note(store, "33.01", "", "text")
    assert err.value.key == "error_no_author"
    with pytest.raises(policy.NoteError) as err:
        policy.save_note(store, "33.01", "Sari", "   ")
    assert err.value.key == "error_empty"
    with pytest.raises(policy.NoteError) as err:
        policy.save_note(store, "33.01", "Sari", "x" * (policy.MAX_NOTE_CHARS + 1))
    assert err.value.key == "error_too_long"
    first = policy.save_note(store, "33.01", "Sari", "one")
    policy.save_note(store, "33.01", "Sari", "two", first)
    with pytest.raises(policy.NoteError) as err:  # editing a version that was replaced
        policy.save_note(store, "33.01", "Budi", "three", first)
    assert err.value.key == "error_conflict"
    with pytest.raises(policy.NoteError):  # a note of another region
        policy.save_note(store, "33.02", "Budi", "three", first)
    for key in ("error_no_author", "error_empty", "error_too_long", "error_conflict"):
        assert set(strings()[f"policy.{key}"]) == {"id", "en"}


def test_hostile_text_is_escaped(store: Store) -> None:
    note_id = policy.save_note(store, "33.01", HOSTILE, HOSTILE)
    note = policy.note_threads(store, "33.01")[0].current
    assert note.id == note_id and note.text == HOSTILE  # stored as written
    html = presentation.note_heading_html(note)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in presentation.html_list([HOSTILE])
    assert "<img" not in presentation.paragraph_html(HOSTILE)
    assert "<img" not in presentation.swatch_html("#000000", HOSTILE)
    assert "\n" not in presentation.note_heading_html(
        policy.Note(1, "a\n\nb", note.created_at, "x")
    )


def without_measures(scheme):
    """``scheme`` with no measures in any zone (as a scheme written without them)."""
    from dataclasses import replace

    bare = tuple(replace(z, measures={"id": (), "en": ()}) for z in scheme.zones)
    return replace(scheme, zones=bare)


def test_zone_cards(who) -> None:
    cdc = builtin_schemes()["cdc-community-levels-2022"]
    bare = without_measures(who)
    assert policy.has_measures(cdc) and policy.has_measures(who) and not policy.has_measures(bare)
    card = presentation.zone_card_html(cdc.zones[2], "en")
    assert "#b2182b" in card and "<b>High</b>" in card and "Wear a mask indoors in public" in card
    card = presentation.zone_card_html(bare.zones[0], "id")
    assert "Level 1" in card and "Kasus &lt; 20" in card and "Tidak ada tindakan" in card
    assert "<i>" not in presentation.zone_card_html(bare.zones[0], "id", say_if_none=False)


@pytest.mark.parametrize(
    "sid", ["who-ct-2021", "cdc-transmission-2021", "cdc-community-levels-2022", "harvard-ghi-2020"]
)
def test_every_zone_of_who_cdc_and_harvard_says_what_it_requires(sid) -> None:
    """A red (level 4, high) region shows its measures in both languages, with their source."""
    scheme = builtin_schemes()[sid]
    assert scheme.source["measures"].strip()
    for index, zone in enumerate(scheme.zones):
        for lang in ("id", "en"):
            measures, why = policy.zone_measures(scheme, index, lang)
            assert measures and why is None, (zone.id, lang)
        assert len(zone.measures["id"]) == len(zone.measures["en"])


def test_zone_measures_say_why_there_are_none(who) -> None:
    assert policy.zone_measures(who, 3, "en")[0][1] == "Stay at home except for essential needs"
    assert policy.zone_measures(who, -1, "en") == (
        [], "With no zone on this date there are no measures to show."
    )  # fmt: skip
    bare = without_measures(who)
    assert policy.zone_measures(bare, 3, "en") == (
        [], "WHO community transmission levels (2021) sets no measures per zone; "
        "see the officials' notes on this region.",
    )  # fmt: skip
    ppkm = builtin_schemes()["ppkm-mikro-2021-04"]
    one = replace_zone_measures(ppkm, 0)
    assert policy.zone_measures(one, 0, "id") == ([], "Tidak ada tindakan untuk zona ini.")


def replace_zone_measures(scheme, index):
    from dataclasses import replace

    zones = list(scheme.zones)
    zones[index] = replace(zones[index], measures={"id": (), "en": ()})
    return replace(scheme, zones=tuple(zones))


ALL_LEVELS = ["province", "regency", "district", "village", "rw", "rt"]


def test_choosing_ppkm_mikro_moves_to_rt_and_back() -> None:
    ppkm = builtin_schemes()["ppkm-mikro-2021-04"]
    who = builtin_schemes()["who-ct-2021"]
    cdc = builtin_schemes()["cdc-community-levels-2022"]
    for level in ("province", "regency", "village", "rw", None):
        assert policy.nearest_scheme_level(ppkm, level, ALL_LEVELS) == "rt"
    assert policy.nearest_scheme_level(who, "rt", ALL_LEVELS) == "village"
    assert policy.nearest_scheme_level(who, "regency", ALL_LEVELS) == "regency"  # stays
    assert policy.nearest_scheme_level(cdc, "rt", ALL_LEVELS) == "district"
    assert policy.nearest_scheme_level(ppkm, "village", ALL_LEVELS[:4]) == "village"  # no RT


def test_level_fit_says_what_a_scheme_would_take() -> None:
    ppkm = builtin_schemes()["ppkm-mikro-2021-04"]
    kind, text = policy.level_fit(ppkm, "village", (0, 1783), ALL_LEVELS, "en")
    assert kind == "no_data"
    assert "Houses with a case, 7 days" in text and "Choose the level: RT" in text
    assert "line list" in text  # what it would take: RT line lists
    kind, text = policy.level_fit(ppkm, "village", (4, 1783), ALL_LEVELS, "id")
    assert kind == "no_data" and "hanya dapat menentukan zona 4 dari 1783" in text
    assert "Pilih tingkat: RT" in text and "daftar kasus" in text
    assert policy.level_fit(ppkm, "rt", (125, 125), ALL_LEVELS, "en") is None
    who = builtin_schemes()["who-ct-2021"]
    kind, text = policy.level_fit(who, "rt", (0, 125), ALL_LEVELS, "en")
    assert kind == "no_data" and "Cases per 100,000, 7 days" in text and "Village" in text
    cdc = builtin_schemes()["cdc-community-levels-2022"]
    kind, _ = policy.level_fit(cdc, "village", (1783, 1783), ALL_LEVELS, "en")
    assert kind == "indicative"


def test_level_coverage_counts_the_regions_a_scheme_can_zone(store: Store) -> None:
    ppkm = builtin_schemes()["ppkm-mikro-2021-04"]
    who = builtin_schemes()["who-ct-2021"]
    assert policy.level_coverage(store, ppkm, "regency") == (0, 2)  # no houses counted
    assert policy.level_coverage(store, who, "regency") == (2, 2)


def test_figures_not_reported_at_a_level(store: Store) -> None:
    cdc = builtin_schemes()["cdc-community-levels-2022"]
    status = policy.zone_status(store, cdc, "regency", "33.01", "2021-10-17")
    assert status.unreported == ("inpatient_covid_pct",)
    lines = policy.metric_lines(status, "en")
    assert lines[0] == "Cases per 100,000, 7 days: 70.0"
    assert lines[2] == "Inpatient beds used by COVID-19 (%): not reported at this level"


def test_scheme_facts(who) -> None:
    assert policy.scheme_facts(who, "en") == [
        ("In force", "from 2021-06-14"),
        ("Levels", "Province, Regency/City, District, Village"),
        (
            "Indicators read",
            "Cases per 100,000, 7 days; Admissions per 100,000, 7 days; Deaths per 100,000, 7 days",
        ),
    ]
    html = presentation.labelled_list_html(
        [("Link", "https://example.org/a?b=1&c=2"), ("x", "<b>")]
    )
    assert "<a href='https://example.org/a?b=1&amp;c=2'" in html and "&lt;b&gt;" in html


def test_data_sources_and_method(store: Store) -> None:
    assert not policy.is_demo(store)
    assert policy.data_sources(store, "en") == ["Data uploads recorded in the store: 1."]
    points = policy.method_points("en")
    assert any("7-day window" in p for p in points)
    assert any("last 3 days" in p for p in points)
    assert any("With a coverage of at least 95 % a parent gets its zone" in p for p in points)


def test_zone_status_for_the_public_shows_small_counts_as_ranges(
    tiny_store: Store, who, monkeypatch
) -> None:
    monkeypatch.setenv("ZONING_SMALL_COUNT", "10")  # Desa A1's 7 cases a week are small
    args = (tiny_store, who, "village", "33.01.01.2001", "2021-07-18")
    exact = policy.zone_status(*args)
    public = policy.zone_status(*args, public=True, lang="en")
    assert exact.values["cases_7d_per_100k"] == 700.0
    # 7 cases in 1,000 people is WHO level 4, which means at least 2 cases here: the zone
    # cuts into the range 1–9, so the zone alone is shown (issue 11 item 3)
    assert public.values["cases_7d_per_100k"] == "see zone"
    assert public.zone_index == exact.zone_index  # the zone stays visible
    assert "Cases per 100,000, 7 days: see zone" in policy.metric_lines(public, "en")
    other = policy.zone_status(tiny_store, who, "village", "33.01.01.2002", "2021-07-18", True)
    assert other.values["cases_7d_per_100k"] == "lihat zona"  # level 4: 2 or more here


def test_a_count_read_by_a_scheme_is_a_whole_number_as_on_the_map() -> None:
    """A scheme reading the count ``cases_7d`` showed it as 12.0 on the policy page and 12 on
    the map: both now take the decimals from zoning.model.metrics.shown_decimals."""
    status = policy.ZoneStatus(
        code="33.01", day=pd.Timestamp("2021-07-18"), zone_index=0, changed_on=None,
        previous_index=NO_ZONE, window_complete=True, provisional=False,
        values={"cases_7d": 12.0, "cases_7d_per_100k": 600.0},
    )  # fmt: skip
    label = policy.t("metrics.cases_7d", "en")
    assert policy.metric_lines(status, "en")[0] == f"{label}: 12"
    assert policy.metric_lines(status, "en")[1].endswith(": 600.0")
    assert presentation.format_number(12.0, "en", M.shown_decimals("cases_7d")) == "12"
