"""The policy page in Streamlit's AppTest, on a tiny store (a province and two regencies)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import open_page, sign_in, tiny_regions, write_store
from streamlit.testing.v1 import AppTest
from views.test_policy import REGIONS

from zoning.core.text import escape_markdown
from zoning.store import Store

HOSTILE = "<img src=x onerror=alert(1)>"


def make_store(path: Path) -> Store:
    """A province, two regencies and 20 days of counts; 33.01 rises from 10 October."""
    days = pd.date_range("2021-10-01", "2021-10-20", freq="D")
    rising = [10.0 if d >= pd.Timestamp("2021-10-10") else 1.0 for d in days]
    counts = pd.concat(
        [
            pd.DataFrame({"region": "33.01", "date": days, "new_cases": rising}),
            pd.DataFrame({"region": "33.02", "date": days, "new_cases": 1.0}),
        ]
    ).assign(deaths=0.0, admissions=0.0)
    return write_store(path, REGIONS, counts)


@pytest.fixture
def store(tmp_path: Path, serve_store) -> Store:
    return serve_store(make_store(tmp_path / "tiny.db"))


def open_policy(lang: str, **params: str) -> AppTest:
    return open_page("policy", lang=lang, level="regency", **params)


def texts(at: AppTest) -> list[str]:
    return [el.value for el in at.text]


def markdown(at: AppTest) -> str:
    return "\n".join(el.value for el in at.markdown)


def as_analyst(at: AppTest, name: str) -> AppTest:
    """Sign in on the page's note form with the operator's analyst password."""
    from conftest import ANALYST_PASSWORD

    return sign_in(at, name, ANALYST_PASSWORD, "note")


def add_note(at: AppTest, text: str) -> AppTest:
    at.text_area[0].input(text)
    next(b for b in at.button if b.proto.form_id.startswith("note_form")).click()
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    ("lang", "title", "measures"),
    [
        ("id", "Kebijakan per wilayah", "Tindakan yang diwajibkan"),
        ("en", "Policy notes", "Measures"),
    ],
)
def test_renders_in_both_languages(store: Store, lang: str, title: str, measures: str) -> None:
    at = open_policy(lang)
    assert at.title[0].value == title
    assert measures in markdown(at)
    assert at.query_params["region"] == "33.01"  # the first region of the level


def test_region_from_the_url_and_its_zone(store: Store) -> None:
    at = open_policy("en", region="3301", date="2021-10-17")
    assert at.selectbox(key="policy_region_regency").value == "33.01"
    page = markdown(at)
    assert "Level 3" in page  # swatch label: never colour alone
    # the label is text: its brackets are escaped for Markdown
    assert "In this zone since 2021-10-14; before that: Level 2 \\(moderate\\)." in page
    assert "Restrict gatherings and non-essential activities that draw crowds" in page
    assert "WHO interim guidance of 14 June 2021" in "\n".join(el.value for el in at.caption)
    assert not at.info  # WHO's level 3 has measures: no "sets no measures"
    assert "Cases &lt; 20" not in page and "Cases 50-&lt;150" in page  # the zone description
    table = at.dataframe[0].value
    assert list(table["Code"]) == ["33.01"]


def test_measures_of_a_scheme_that_has_them(store: Store) -> None:
    at = open_policy("en", region="33.01", date="2021-10-17", scheme="cdc-transmission-2021")
    assert "Substantial" in markdown(at)
    at = open_policy("id", region="33.01", scheme="cdc-community-levels-2022")
    assert "Tes bila bergejala" in markdown(at)


def test_adding_a_note_stores_it_and_shows_it(store: Store, analyst_password: str) -> None:
    at = as_analyst(open_policy("en", region="33.02"), "Bu Sari")
    # the name is text: its colon is escaped, so it cannot become an icon or a link
    signed = "Notes are signed as: " + escape_markdown("password:Bu Sari")
    assert signed in [el.value for el in at.caption]
    assert not at.text_input  # the author is who signed in, not a field to fill in
    at = add_note(at, "Close the night market until Monday.")
    notes = store.notes("33.02")
    assert list(notes["author"]) == ["password:Bu Sari"]
    assert "Close the night market until Monday." in texts(at)
    assert "password:Bu Sari" in markdown(at)
    assert "The note was saved." in [el.value for el in at.success]
    assert store.notes("33.01").empty


def test_a_note_is_shown_as_text_never_as_html(store: Store, analyst_password: str) -> None:
    at = as_analyst(open_policy("en", region="33.01"), HOSTILE)
    at = add_note(at, HOSTILE)
    assert HOSTILE in texts(at)
    unsafe = [el.value for el in at.markdown if el.proto.allow_html]
    assert all("<img" not in html for html in unsafe)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in html for html in unsafe)  # the author


def test_editing_a_note_supersedes_it(store: Store, analyst_password: str) -> None:
    first = store.add_note("33.01", "password:Pak Budi", "Mass testing on Monday.")
    at = as_analyst(open_policy("en", region="33.01"), "Bu Sari")
    at.selectbox(key="note_target_33.01").select(first)
    at.run()
    assert at.text_area[0].value == "Mass testing on Monday."
    at = add_note(at, "Mass testing on Tuesday.")
    notes = store.notes("33.01")
    assert len(notes) == 2
    assert notes.set_index("id").loc[first, "current"] == False  # noqa: E712
    assert notes.iloc[0]["author"] == "password:Bu Sari"  # the edit is signed by its author
    assert "Mass testing on Tuesday." in texts(at)
    assert [e.label for e in at.expander] == ["Earlier versions (1)"]
    assert at.selectbox(key="note_target_33.01").value == 0  # back to "a new note"
    assert at.text_area[0].value == ""


def test_an_empty_note_is_refused(store: Store, analyst_password: str) -> None:
    at = as_analyst(open_policy("id", region="33.01"), "Bu Sari")
    at = add_note(at, "   ")
    assert store.notes("33.01").empty
    assert "Catatan kosong; tidak ada yang disimpan." in [el.value for el in at.error]


@pytest.mark.parametrize(
    ("lang", "read_only"),
    [
        ("id", "hanya analis yang dapat menulis catatan"),
        ("en", "only analysts can write notes"),
    ],
)
def test_the_note_form_is_locked_with_nothing_configured(
    store: Store, lang: str, read_only: str
) -> None:
    store.add_note("33.01", "password:Bu Sari", "Posko dibuka.")
    at = open_policy(lang, region="33.01")
    assert "Posko dibuka." in texts(at)  # everyone reads the notes
    assert not at.text_area and not at.text_input
    assert any(read_only in el.value for el in at.caption)
    assert "hash-password" in markdown(at)  # how the operator unlocks it


def test_the_note_form_stays_locked_with_a_wrong_password(
    store: Store, analyst_password: str
) -> None:
    at = sign_in(open_policy("en", region="33.01"), "Bu Sari", "not the password", "note")
    assert at.error[0].value == "Wrong password."
    assert not at.text_area and store.notes("33.01").empty


def small_village_store(path: Path) -> Store:
    """The tiny province's villages; Desa A1 has 3 cases in the week to Sunday 18 July."""
    days = pd.date_range("2021-07-01", "2021-07-18", freq="D")
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    frames = []
    for i, code in enumerate(villages):
        cases = np.full(len(days), 10.0 * (i + 1))
        if i == 0:
            cases[:] = 0.0
            cases[[-7, -5, -3]] = 1.0  # 3 cases in the last 7 days: 300 per 100,000
        frames.append(pd.DataFrame({"region": code, "date": days, "new_cases": cases}))
    counts = pd.concat(frames).assign(deaths=0.0, admissions=0.0)
    return write_store(path, tiny_regions(), counts)


def test_public_figures_of_a_village_hide_small_counts(
    tmp_path: Path, serve_store, analyst_password: str
) -> None:
    serve_store(small_village_store(tmp_path / "villages.db"))
    params = {"level": "village", "region": "33.01.01.2001", "date": "2021-07-18"}
    at = open_page("policy", lang="en", **params)
    page = markdown(at)
    assert "Cases per 100,000, 7 days: see zone" in page  # level 4 here: 2 cases or more
    assert "300" not in page
    assert any("shown as a range" in el.value for el in at.caption)
    at = as_analyst(at, "Bu Sari")
    assert "Cases per 100,000, 7 days: 300.0" in markdown(at)


# --- confirmed zones (issue 17 item 6) -----------------------------------------------------


def decide(at: AppTest, zone: str | None = None, reason: str = "") -> AppTest:
    if zone is not None:
        at.selectbox(key="decision_zone").set_value(zone)
    at.text_area(key="decision_reason").input(reason)
    next(b for b in at.button if b.proto.form_id.startswith("decision_form")).click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_confirmation_is_recorded_and_shown(store: Store, analyst_password: str) -> None:
    at = open_policy("en", region="33.01", date="2021-10-17")
    assert "*Computed, not yet confirmed*" in markdown(at)
    at = decide(as_analyst(at, "Bu Sari"))
    kept = store.decisions(region="33.01")
    assert list(kept["action"]) == ["confirm"] and list(kept["zone"]) == ["level-3"]
    assert kept["decided_by"].iloc[0] == "password:Bu Sari"
    assert kept["start"].iloc[0] == pd.Timestamp("2021-10-17")
    day = f"{kept['decided_at'].iloc[0]:%Y-%m-%d}"
    page = markdown(at)
    assert f"*{escape_markdown(f'Confirmed by password:Bu Sari on {day}')}*" in page
    assert "Decision saved." in [el.value for el in at.success]
    # in Bahasa Indonesia too, for anyone
    at = open_policy("id", region="33.01", date="2021-10-17")
    said = escape_markdown(f"Dikonfirmasi oleh password:Bu Sari pada {day}")
    assert f"*{said}*" in markdown(at)


def test_an_override_needs_a_reason_and_shows_the_computed_zone_beside(
    store: Store, analyst_password: str
) -> None:
    at = as_analyst(open_policy("en", region="33.01", date="2021-10-17"), "Bu Sari")
    at = decide(at, zone="level-1")
    assert "Overriding the computed zone needs a reason." in [el.value for el in at.error]
    assert store.decisions().empty
    at = decide(at, zone="level-1", reason=HOSTILE)
    kept = store.decisions(region="33.01")
    assert list(kept["action"]) == ["override"] and kept["reason"].iloc[0] == HOSTILE
    at = open_policy("en", region="33.01", date="2021-10-17")
    page = markdown(at)
    assert "Level 1" in page  # the decided zone's swatch
    assert f"*{escape_markdown('Computed zone: Level 3 (high)')}*" in page
    assert "overriding the computed zone" in page
    assert HOSTILE in texts(at)  # the reason is text, never HTML
    unsafe = [el.value for el in at.markdown if el.proto.allow_html]
    assert all("<img" not in html for html in unsafe)


def test_unconfirmed_zones_hidden_by_the_setting(store: Store, monkeypatch) -> None:
    monkeypatch.setenv("ZONING_PUBLISH_UNCONFIRMED", "0")
    at = open_policy("en", region="33.01", date="2021-10-17")
    page = markdown(at)
    assert "*Awaiting confirmation*" in page
    assert "Level 3" not in page.split("Awaiting confirmation")[0]  # no zone before it


def test_only_an_analyst_gets_the_decision_form(store: Store, analyst_password: str) -> None:
    at = open_policy("en", region="33.01")
    said = "Only analysts confirm or override a zone: sign in above, in the notes section."
    assert said in [el.value for el in at.caption]
    assert not [b for b in at.button if b.proto.form_id.startswith("decision_form")]


def test_since_follows_the_decision_and_a_partly_superseded_one_says_which_days(
    store: Store, analyst_password: str
) -> None:
    """The zone's "since" is the decided zone's, with the computed one beside it; the list of
    decisions says which days a later decision took over, in both languages."""
    at = as_analyst(open_policy("en", region="33.01", date="2021-10-17"), "Bu Sari")
    at.date_input(key="decision_start").set_value(pd.Timestamp("2021-10-10").date())
    at = decide(at, reason="as computed")  # from the 10th, open-ended
    assert len(store.decisions()) == 1
    at.date_input(key="decision_start").set_value(pd.Timestamp("2021-10-15").date())
    at.date_input(key="decision_end").set_value(pd.Timestamp("2021-10-17").date())
    at = decide(at, zone="level-1", reason="every contact traced")
    page = markdown(at)
    assert (
        f"In this zone since 2021-10-15; before that: {escape_markdown('Level 3 (high)')}." in page
    )
    assert "*" + escape_markdown("Computed zone: Level 3 (high)") + "*" in page
    assert any(el.value.startswith("The computed zone since 2021-") for el in at.caption)
    table = at.dataframe[0].value
    assert list(table["Still standing?"]) == [
        "stands", "partly superseded: 2021-10-15 to 2021-10-17",
    ]  # fmt: skip
    at = as_analyst(open_policy("id", region="33.01", date="2021-10-17"), "Bu Sari")
    table = at.dataframe[0].value
    assert list(table["Masih berlaku?"]) == [
        "berlaku", "sebagian digantikan: 2021-10-15 s.d. 2021-10-17",
    ]  # fmt: skip
    assert "Zona ini berlaku sejak 2021-10-15" in markdown(at)
