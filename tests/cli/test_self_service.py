"""Subscribing on the dashboard (issue 18): a confirmation e-mail with a link, nothing sent
before it is followed, a link to stop in every alert, rate limits, both languages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from test_alerts import VILLAGES, later_upload, outbox, store  # noqa: F401 (fixtures)

from zoning import notify
from zoning.core.errors import InputError
from zoning.views import alerts

ADDRESS = "warga@contoh.example"


def ask(db, lang: str = "en", client: str = "198.51.100.7", email: str = ADDRESS) -> None:
    notify.send_confirmation(
        db, email=email, regions=["33.01"], level="village", scheme_id="who-ct-2021",
        lang=lang, client=client,
    )  # fmt: skip


def link_in(mail, kind: str) -> str:
    """The token of the ``kind`` link (confirm, unsubscribe) in an e-mail."""
    body = mail.get_content()
    (url,) = re.findall(rf"https://zona\.example/alerts\?\S*{kind}=\S+", body)
    return parse_qs(urlparse(url).query)[kind][0]


def test_nothing_is_sent_before_the_address_confirms(store, outbox):  # noqa: F811
    mails, _, _ = outbox
    ask(store)
    assert len(mails) == 1
    assert mails[0]["To"] == ADDRESS and "Confirm" in mails[0]["Subject"]
    assert "Kabupaten Satu (33.01)" in mails[0].get_content()
    later_upload(store)  # a zone changes in Kabupaten Satu's villages
    assert notify.send(store).sent == 0 and len(mails) == 1  # not confirmed: nothing
    assert store.subscriptions().empty


def test_a_confirmed_address_gets_alerts_each_with_a_link_that_stops_them(store, outbox):  # noqa: F811
    mails, _, _ = outbox
    ask(store)
    token = link_in(mails[0], "confirm")
    assert alerts.confirm(store, token) == 1
    assert alerts.confirm(store, token) == 0  # a link works once
    later_upload(store)
    assert notify.send(store).sent == 1
    alert = mails[1]
    assert alert["To"] == ADDRESS and VILLAGES[0] in alert.get_content()
    stop = link_in(alert, "unsubscribe")
    assert alerts.unsubscribe(store, stop) == 1
    assert store.subscriptions().empty
    assert alerts.unsubscribe(store, stop) == 0


def test_changes_before_the_confirmation_are_old_news(store, outbox):  # noqa: F811
    mails, _, _ = outbox
    ask(store)
    later_upload(store)  # the change happens before the link is followed
    assert alerts.confirm(store, link_in(mails[0], "confirm")) == 1
    assert notify.send(store).sent == 0 and len(mails) == 1


def test_only_a_hash_of_the_token_is_kept(store, outbox):  # noqa: F811
    mails, _, _ = outbox
    ask(store)
    token = link_in(mails[0], "confirm")
    with store.engine.connect() as conn:
        dump = "\n".join(line for line in conn.connection.iterdump())
    assert token not in dump
    assert "198.51.100.7" not in dump  # the client's address neither


def test_the_confirmation_is_in_the_language_asked(store, outbox):  # noqa: F811
    mails, _, _ = outbox
    ask(store, lang="id")
    assert mails[0]["Subject"] == "Konfirmasi langganan perubahan zona"
    assert "lang=id" in mails[0].get_content()


def test_rate_limits_per_address_and_per_client(store, outbox):  # noqa: F811
    mails, _, _ = outbox
    for _ in range(alerts.PER_ADDRESS_A_DAY):
        ask(store, client="198.51.100.1")
    with pytest.raises(alerts.TooMany):
        ask(store, client="198.51.100.2")  # the same address from elsewhere
    for k in range(alerts.PER_CLIENT_AN_HOUR - alerts.PER_ADDRESS_A_DAY):
        ask(store, client="198.51.100.1", email=f"orang{k}@contoh.example")
    with pytest.raises(alerts.TooMany):
        ask(store, client="198.51.100.1", email="lain@contoh.example")
    assert len(mails) == alerts.PER_CLIENT_AN_HOUR  # refused requests send nothing


@pytest.mark.parametrize(
    ("email", "regions", "column"),
    [("not an address", ["33.01"], "--email"), (ADDRESS, [], "region"),
     ("a@b.example\nBcc: x@y.example", ["33.01"], "--email")],
)  # fmt: skip
def test_a_wrong_request_is_refused_and_sends_nothing(store, outbox, email, regions, column):  # noqa: F811
    mails, _, _ = outbox
    with pytest.raises(InputError) as error:
        notify.send_confirmation(
            store, email=email, regions=regions, level="village", scheme_id="who-ct-2021",
            lang="en", client="198.51.100.9",
        )  # fmt: skip
    assert error.value.column == column
    assert not mails
