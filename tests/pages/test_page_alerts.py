"""The alerts page in Streamlit's AppTest: subscribe by e-mail, confirm by the e-mailed
link, stop by the link in an alert; both languages; nobody else's address shown."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import open_page
from local_servers import smtp_server

from zoning.store import Store
from zoning.views import alerts

OTHER = "kepala@rahasia.example"  # subscribed on the command line: never shown


@pytest.fixture
def store(tiny_store: Store, serve_store) -> Store:
    alerts.subscribe(
        tiny_store, region="33", level="village", scheme_id="who-ct-2021", channel="email",
        target=OTHER, lang="id", created_by="cli",
    )  # fmt: skip
    return serve_store(tiny_store)


@pytest.fixture
def mails(monkeypatch):
    with smtp_server() as (port, received):
        monkeypatch.setenv("ZONING_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ZONING_SMTP_PORT", str(port))
        monkeypatch.setenv("ZONING_PUBLIC_URL", "https://zona.example")
        yield received


def page_text(at) -> str:
    parts = [*at.markdown, *at.success, *at.error, *at.warning, *at.caption, *at.text_input]
    return "\n".join(str(getattr(p, "value", "")) for p in parts)


def fill(at, email: str, regions: list[str]):
    at.text_input[0].input(email)
    at.multiselect[0].set_value(regions)
    at.button[0].click()
    return at.run()


@pytest.mark.parametrize(
    ("lang", "title", "sent"),
    [("id", "Pemberitahuan perubahan zona", "Kami mengirim tautan konfirmasi"),
     ("en", "Alerts when a zone changes", "We sent a confirmation link")],
)  # fmt: skip
def test_subscribe_then_confirm_then_stop(store, mails, lang, title, sent):
    at = open_page("alerts", lang=lang)
    assert at.title[0].value == title
    at = fill(at, "warga@contoh.example", ["33.01"])
    assert not at.exception, at.exception
    assert sent in page_text(at)
    assert len(mails) == 1 and mails[0]["To"] == "warga@contoh.example"
    assert OTHER not in page_text(at)
    (url,) = re.findall(r"https://zona\.example/alerts\?\S+", mails[0].get_content())
    token = parse_qs(urlparse(url).query)["confirm"][0]
    assert parse_qs(urlparse(url).query)["lang"] == [lang]

    before = len(store.subscriptions())
    link = open_page("alerts", lang=lang, confirm=token)
    assert len(store.subscriptions()) == before  # opening the link alone confirms nothing
    link.button(key="confirm_go").click().run()
    assert "confirm" not in link.query_params
    assert len(store.subscriptions()) == before + 1
    assert ("Terkonfirmasi" if lang == "id" else "Confirmed") in page_text(link)

    mine = int(store.subscriptions().query("target == 'warga@contoh.example'")["id"].iloc[0])
    stop = open_page("alerts", lang=lang, unsubscribe=alerts.unsubscribe_token(store, mine))
    stop.button(key="unsubscribe_go").click().run()
    assert ("Selesai" if lang == "id" else "Done") in page_text(stop)
    assert "warga@contoh.example" not in set(store.subscriptions()["target"])


def test_a_used_or_made_up_link_says_so(store, mails):
    at = open_page("alerts", lang="en", confirm="made-up")
    at.button(key="confirm_go").click().run()
    assert "unknown, already used, or expired" in page_text(at)


@pytest.mark.parametrize(
    ("email", "regions", "said"),
    [("no address", ["33.01"], "not an e-mail address"),
     ("warga@contoh.example", [], "at least one region")],
)  # fmt: skip
def test_a_wrong_request_is_explained_and_sends_nothing(store, mails, email, regions, said):
    at = fill(open_page("alerts", lang="en"), email, regions)
    assert said in page_text(at)
    assert not mails


def test_too_many_requests_are_refused_in_words(store, mails):
    at = open_page("alerts", lang="en")
    for _ in range(alerts.PER_ADDRESS_A_DAY + 1):
        at = fill(at, "warga@contoh.example", ["33.01"])
    assert "Too many requests" in page_text(at)
    assert len(mails) == alerts.PER_ADDRESS_A_DAY


def test_the_mail_server_down_is_said(store, monkeypatch):
    monkeypatch.setenv("ZONING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ZONING_SMTP_PORT", "9")  # nothing listens
    at = fill(open_page("alerts", lang="en"), "warga@contoh.example", ["33.01"])
    assert "could not be sent now" in page_text(at)
