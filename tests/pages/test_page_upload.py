"""The upload page in Streamlit's AppTest: for analysts only, and every upload says who made it."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import open_page, sign_in
from streamlit.testing.v1 import AppTest

from zoning.store import Store

GOOD = b"tanggal;kode;kasus_baru\n22/07/2021;33.01.01.2001;4\n23/07/2021;33.01.01.2001;6\n"
OIDC = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}}


@pytest.fixture
def store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


def markdown(at: AppTest) -> str:
    return "\n".join(el.value for el in at.markdown)


@pytest.mark.parametrize(
    ("lang", "locked", "how"),
    [
        ("id", "Halaman ini terkunci", "python -m zoning auth hash-password"),
        ("en", "This page is locked", "ZONING_ANALYST_PASSWORD_HASH"),
    ],
)
def test_locked_when_nothing_is_configured(store: Store, lang: str, locked: str, how: str):
    at = open_page("upload", lang=lang)
    assert locked in at.warning[0].value
    assert how in markdown(at) and "[zoning]" in markdown(at) and "[auth]" in markdown(at)
    assert not at.file_uploader and not at.text_input  # nothing to upload, no password form


def test_unlocks_with_the_right_password(store: Store, analyst_password: str):
    at = open_page("upload", lang="en")
    assert not at.file_uploader
    at = sign_in(at, "Bu Sari", analyst_password, "upload")
    assert not at.error
    assert len(at.file_uploader) == 1
    assert "Recorded with the upload as: password:Bu Sari" in [c.value for c in at.caption]


def test_stays_locked_with_a_wrong_password(store: Store, analyst_password: str):
    at = open_page("upload", lang="en")
    at = sign_in(at, "Bu Sari", analyst_password + "x", "upload")
    assert at.error[0].value == "Wrong password."
    assert not at.file_uploader
    assert "analyst" not in at.session_state or not at.session_state["analyst"]


def test_failed_attempts_make_the_session_wait(store: Store, analyst_password: str):
    at = open_page("upload", lang="en")
    for _ in range(3):
        at = sign_in(at, "Bu Sari", "wrong password", "upload")
    at = sign_in(at, "Bu Sari", "wrong password", "upload")
    assert "Try again in 1 seconds" in at.error[0].value
    at = sign_in(at, "Bu Sari", analyst_password, "upload")  # too soon: not even checked
    assert "Too many failed attempts" in at.error[0].value and not at.file_uploader


def test_a_new_session_does_not_start_the_count_again(
    store: Store, analyst_password: str, monkeypatch: pytest.MonkeyPatch
):
    from ui import access

    monkeypatch.setattr(access, "client_address", lambda: "203.0.113.7")  # one machine
    for _ in range(4):  # each failure from a new session, as a script guessing would
        at = sign_in(open_page("upload", lang="en"), "Bu Sari", "wrong password", "upload")
    assert "Try again in 1 seconds" in at.error[0].value
    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    assert "Too many failed attempts" in at.error[0].value and not at.file_uploader


def test_a_name_is_needed(store: Store, analyst_password: str):
    at = sign_in(open_page("upload", lang="id"), "  ", analyst_password, "upload")
    assert "Tulis nama Anda" in at.error[0].value and not at.file_uploader


def test_a_new_hash_signs_everyone_out(store: Store, analyst_password: str, monkeypatch):
    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    assert at.file_uploader
    from zoning.core import auth

    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password("another password!", n=2**10))
    at.run()
    assert not at.file_uploader and at.text_input(key="sign_in_password_upload")


def test_an_upload_records_the_analyst(store: Store, analyst_password: str):
    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    assert "Recorded with the upload as: password:Bu Sari" in [c.value for c in at.caption]
    at.file_uploader[0].set_value(("kasus.csv", GOOD, "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Save to the database").click()
    at.run()
    assert not at.exception, at.exception
    assert at.success and "Saved" in at.success[-1].value
    uploads = store.uploads()
    assert uploads.iloc[-1]["created_by"] == "password:Bu Sari"
    history = at.dataframe[-1].value
    assert history.iloc[0]["By"] == "password:Bu Sari" and history.iloc[0]["File"] == "kasus.csv"


def test_oidc_analyst_on_the_allow_list(store: Store):
    secrets = {**OIDC, "zoning": {"analysts": ["@dinkes.go.id"]}}
    user = {"is_logged_in": True, "email": "ana@dinkes.go.id"}
    at = open_page("upload", lang="en", secrets=secrets, user=user)
    assert len(at.file_uploader) == 1
    assert "Recorded with the upload as: oidc:ana@dinkes.go.id" in [c.value for c in at.caption]


def test_oidc_account_not_on_the_list(store: Store):
    secrets = {**OIDC, "zoning": {"analysts": ["@dinkes.go.id"]}}
    user = {"is_logged_in": True, "email": "someone@example.com"}
    at = open_page("upload", lang="en", secrets=secrets, user=user)
    assert not at.file_uploader
    assert "someone@example.com is not on the list of analysts" in at.warning[0].value


def test_oidc_signed_out_gets_a_sign_in_button(store: Store):
    # a password hash set as well does not matter: OIDC, when configured, is the way in
    secrets = {**OIDC, "zoning": {"analysts": ["@dinkes.go.id"], "analyst_password_hash": "x"}}
    at = open_page("upload", lang="en", secrets=secrets, user={"is_logged_in": False})
    assert not at.file_uploader and not at.text_input
    assert [b.label for b in at.button] == ["Sign in with your organisation account"]


def test_password_hash_from_the_secrets_file(store: Store):
    from conftest import ANALYST_PASSWORD

    from zoning.core import auth

    secrets = {"zoning": {"analyst_password_hash": auth.hash_password(ANALYST_PASSWORD, n=2**10)}}
    at = open_page("upload", lang="en", secrets=secrets)
    at = sign_in(at, "Pak Budi", ANALYST_PASSWORD, "upload")
    assert len(at.file_uploader) == 1


def test_a_malformed_hash_is_reported_to_the_operator(store: Store, monkeypatch):
    monkeypatch.setenv("ZONING_ANALYST_PASSWORD_HASH", "not a hash")
    at = open_page("upload", lang="en")  # said when the page opens, before any attempt
    assert "cannot be read" in at.error[0].value and not at.file_uploader
    assert not at.text_input  # no sign-in form that could not work


def problems(at: AppTest, column: str = "Problem") -> list[str]:
    """The problems listed on the page (errors, then warnings)."""
    return [p for d in at.dataframe if column in d.value.columns for p in d.value[column]]


SCRAPED = (
    b"tanggal,kode,total_kasus\n2021-07-22,33.01.01.2001,10\n2021-07-23,33.01.01.2001,12\n"
    b"2021-07-23,33.01.01.2001,15\n2021-07-24,33.01.01.2001,14\n"
)


def test_repeated_days_and_falling_totals_are_the_analyst_s_choice(
    store: Store, analyst_password: str
):
    """The page offers what the command line does (--duplicates, --strict): the default
    refuses a repeated day with a message naming the choice; 'keep the last row' takes it, a
    falling total is a correction with a warning, and 'refuse' makes it an error."""
    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    at.file_uploader[0].set_value(("scraped.csv", SCRAPED, "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert at.error and at.error[0].value.startswith("1 error: the upload is refused until")
    assert "'repeated days'" in problems(at)[0]
    save = next(b for b in at.button if b.label == "Save to the database")
    assert save.disabled
    at.selectbox(key="upload_duplicates").select("last").run()
    assert not at.error, [e.value for e in at.error]
    warnings = "\n".join(problems(at))
    assert "--duplicates last keeps that row" in warnings and "read as a correction" in warnings
    read = next(i.value for i in at.info if "How the file was read" in i.value)
    assert "- place\\: column \\`kode\\`" in read  # text from the file, escaped
    at.checkbox(key="upload_strict").check().run()
    assert at.error and "--strict refuses" in "\n".join(problems(at))
    at.checkbox(key="upload_strict").uncheck().run()
    next(b for b in at.button if b.label == "Save to the database").click()
    at.run()
    assert at.success and "Saved" in at.success[-1].value
    assert store.uploads().iloc[-1]["kind"] == "counts"
    stored = store.counts().set_index(["region", "date"])["new_cases"]
    assert stored[("33.01.01.2001", pd.Timestamp("2021-07-24"))] == -1


def test_a_wide_table_asks_what_its_numbers_are(store: Store, analyst_password: str):
    at = sign_in(open_page("upload", lang="id"), "Bu Sari", analyst_password, "upload")
    wide = b"kode;22/07/2021;23/07/2021\n33.01.01.2001;4;6\n"
    at.file_uploader[0].set_value(("rekap.csv", wide, "text/csv"))
    at.run()
    assert at.error and "--values" in problems(at, "Masalah")[0]
    at.selectbox(key="values-rekap.csv-" + str(len(wide))).select("new_cases").run()
    assert not at.error, [e.value for e in at.error]
    read = next(i.value for i in at.info if "Cara berkas dibaca" in i.value)
    assert "a wide table" in read and "new\\_cases" not in read


LINES = (
    b"nik,tanggal_konfirmasi,kode_desa\n"
    b"3301010101900001,2021-07-22,33.01.01.2001\n"
    b"3301010101900002,2021-07-24,33.01.01.2002\n"
    b"3301010101,2021-07-24,33.01.01.2002\n"
)


def test_a_line_list_says_what_it_covers_and_its_unverified_share(
    store: Store, analyst_password: str, private_key_file
):
    import datetime as dt

    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    at.radio(key="upload_kind").set_value("linelist")
    at.run()
    at.file_uploader[0].set_value(("kasus.csv", LINES, "text/csv"))
    at.run()
    assert not at.exception, at.exception
    shown = [i.value.replace("\\", "") for i in at.info]  # escaped Markdown, as text
    assert any(s.startswith("Coverage: the 2 villages the file names") for s in shown), shown
    assert any(s.startswith("1 of 3 rows counted (33.3 %) have no valid NIK") for s in shown)
    at.text_input(key="upload_covers").input("33.01")
    at.date_input(key="upload_from").set_value(dt.date(2021, 7, 20))
    at.checkbox(key="upload_exclude").check()
    at.run()
    shown = [i.value.replace("\\", "") for i in at.info]  # escaped Markdown, as text
    assert any("Coverage: 33.01, 2021-07-20 to 2021-07-24 (5 days)" in s for s in shown), shown
    assert any("1 rows without a valid NIK were left out" in s for s in shown), shown
    next(b for b in at.button if b.label == "Save to the database").click()
    at.run()
    assert not at.exception, at.exception
    assert at.success and "Saved" in at.success[-1].value
    covered = store.coverage()
    assert covered[["region", "first", "last"]].values.tolist() == [
        ["33.01", pd.Timestamp("2021-07-20"), pd.Timestamp("2021-07-24")]
    ]
    assert len(store.case_episodes()) == 2  # the unverified row left out
