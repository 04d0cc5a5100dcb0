"""Alerts when a zone changes: one e-mail and one webhook call per real change, never twice,
and the change in the region's Atom feed (zoning/views/alerts.py, render/alerts.py,
notify.py)."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from conftest import tiny_regions, write_store
from local_servers import smtp_server, webhook_receiver

from zoning import notify
from zoning.cli import main
from zoning.core.errors import InputError
from zoning.views import alerts

VILLAGES = tiny_regions().query("level == 'village'")["code"].tolist()
ATOM = "{http://www.w3.org/2005/Atom}"


def counts(days: range) -> pd.DataFrame:
    """Village 0 (1,000 people): one case a week, then from day 28 one a day (WHO level 3,
    then level 4). The others have none."""
    dates = pd.date_range("2021-06-01", periods=60, freq="D")
    rows = []
    for j in days:
        first = 1 if (j >= 28 or j % 7 == 0) else 0
        rows += [(VILLAGES[0], dates[j], first)] + [(v, dates[j], 0) for v in VILLAGES[1:]]
    return pd.DataFrame(rows, columns=["region", "date", "new_cases"])


@pytest.fixture
def store(tmp_path: Path):
    return write_store(tmp_path / "alerts.db", tiny_regions(), counts(range(21)))


def later_upload(store) -> None:
    """Days 21-49 arrive."""
    frame = counts(range(21, 50))
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", "later.csv", None, "pytest", len(frame), 0)
        store.write_counts(conn, frame, upload)
        store.advance_as_of(conn, frame["date"].max())


def subscribe(store, **channel: str) -> int:
    ((kind, target),) = channel.items()
    return alerts.subscribe(
        store,
        region="33",
        level="village",
        scheme_id="who-ct-2021",
        channel=kind,
        target=target,
        lang="en",
        created_by="pytest",
    )


@pytest.fixture
def outbox(monkeypatch):
    with smtp_server() as (port, mails), webhook_receiver() as (url, calls):
        monkeypatch.setenv("ZONING_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ZONING_SMTP_PORT", str(port))
        monkeypatch.setenv("ZONING_SMTP_FROM", "zona@dinkes.example")
        monkeypatch.setenv("ZONING_PUBLIC_URL", "https://zona.example/")
        yield mails, calls, url


def test_one_change_sends_one_email_and_one_webhook_call_once(store, outbox):
    mails, calls, url = outbox
    subscribe(store, email="petugas@dinkes.example")
    subscribe(store, webhook=url)
    assert notify.send(store).sent == 0  # what happened before subscribing is old news
    later_upload(store)
    done = notify.send(store)
    assert (done.sent, done.failed) == (2, 0)
    assert len(mails) == 1 and len(calls) == 1
    mail, call = mails[0], calls[0]
    assert mail["To"] == "petugas@dinkes.example"
    assert "Level 3" in mail["Subject"] and "Level 4" in mail["Subject"]
    body = mail.get_content()
    assert call["date"] in body and VILLAGES[0] in body
    assert (call["region"], call["from_zone"], call["to_zone"]) == (
        VILLAGES[0],
        "level-3",
        "level-4",
    )
    assert call["measures"] and call["measures"][0] in body  # the measures that now apply
    assert call["link"].startswith("https://zona.example/map?") and call["link"] in body
    assert pd.Timestamp(call["date"]) >= pd.Timestamp("2021-06-22")
    again = notify.send(store)
    assert (again.sent, len(mails), len(calls)) == (0, 1, 1)


def test_a_failed_delivery_is_sent_on_the_next_run_and_nothing_twice(store, outbox, monkeypatch):
    mails, _, _ = outbox
    subscribe(store, email="petugas@dinkes.example")
    later_upload(store)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    real = notify.os.environ["ZONING_SMTP_PORT"]
    monkeypatch.setenv("ZONING_SMTP_PORT", str(dead))
    first = notify.send(store)
    assert (first.sent, first.failed) == (0, 1) and "tried again" in first.messages[0]
    monkeypatch.setenv("ZONING_SMTP_PORT", real)
    assert notify.send(store).sent == 1 and len(mails) == 1
    assert len(store.alerts_sent()) == 1


def test_the_change_is_in_the_regions_feed(store, outbox):
    from api.test_api import get, running

    later_upload(store)
    with running(store) as base:
        status, headers, body = get(f"{base}/feeds/33.atom?level=village&scheme=who-ct-2021")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(body)
    entries = feed.findall(f"{ATOM}entry")
    assert entries, body
    newest = entries[0]
    assert "Level 4" in newest.find(f"{ATOM}title").text
    assert VILLAGES[0] in newest.find(f"{ATOM}content").text
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(ids) == len(set(ids))
    with running(store) as base:
        assert get(f"{base}/feeds/99.atom?level=village&scheme=who-ct-2021")[0] == 404


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"region": "99"}, "--region"),
        ({"region": "abc"}, "--region"),
        ({"target": "not an address"}, "--email"),
        ({"level": "rt"}, "--level"),
        ({"scheme_id": "nope"}, "--scheme"),
        ({"channel": "webhook", "target": "ftp://x"}, "--webhook"),
    ],
)
def test_a_wrong_subscription_is_refused_naming_the_field(store, kwargs, field):
    args = (
        dict(
            region="33",
            level="village",
            scheme_id="who-ct-2021",
            channel="email",
            target="a@b.example",
            lang="en",
            created_by="pytest",
        )
        | kwargs
    )
    with pytest.raises(InputError) as error:
        alerts.subscribe(store, **args)
    assert error.value.column == field


def test_the_command_line_subscribes_lists_sends_and_removes(store, outbox, capsys):
    mails, _, _ = outbox
    db = ["--db", store.url]
    assert (
        main(
            [
                *db,
                "alerts",
                "subscribe",
                "--region",
                "33.01",
                "--level",
                "village",
                "--scheme",
                "who-ct-2021",
                "--email",
                "camat@example.org",
                "--lang",
                "id",
            ]
        )
        == 0
    )
    assert "subscription 1" in capsys.readouterr().out
    assert main([*db, "alerts", "list"]) == 0
    assert "camat@example.org" in capsys.readouterr().out
    later_upload(store)
    assert main([*db, "alerts", "send"]) == 0
    assert capsys.readouterr().out.strip() == "1 sent, 0 not sent"
    assert "Zona" in mails[0]["Subject"]  # in Bahasa Indonesia
    assert main([*db, "alerts", "remove", "1"]) == 0
    assert main([*db, "alerts", "remove", "1"]) != 0
    assert "no active subscription 1" in capsys.readouterr().err


def test_subscriptions_do_not_change_the_data_version(store):
    before = store.data_version()
    subscribe(store, email="a@b.example")
    assert store.data_version() == before
    assert json.dumps(alerts.pending(store).to_dict("records")) == "[]"


def test_alerts_announce_the_zone_shown_after_the_officials_decisions(store, monkeypatch):
    """Alerts are public: they follow the zone each region shows. An override is announced
    as decided; where unconfirmed zones are not public, nothing is announced until an
    official confirms, and then the confirmed change is."""
    from zoning.model.schemes import get_scheme
    from zoning.views import decisions

    who = get_scheme("who-ct-2021")
    subscribe(store, email="petugas@dinkes.example")
    later_upload(store)
    computed = alerts.pending(store)
    assert list(zip(computed["from_zone"], computed["to_zone"], strict=True)) == [
        ("level-3", "level-4")
    ]
    day = pd.Timestamp(computed["date"][0])
    week_before = day - pd.Timedelta(days=7)

    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")  # unconfirmed zones are not public
    assert alerts.pending(store).empty
    decisions.record(store, who, VILLAGES[0], week_before, "Dinkes")  # confirms level 3
    assert alerts.pending(store).empty  # one zone shown: no change yet
    decisions.record(store, who, VILLAGES[0], day, "Bupati")  # confirms level 4
    confirmed = alerts.pending(store)
    assert list(zip(confirmed["date"], confirmed["to_zone"], strict=True)) == [
        (f"{day.date()}", "level-4")
    ]

    monkeypatch.delenv(decisions.ENV_PUBLISH)
    decisions.record(store, who, VILLAGES[0], day, "Bupati", zone="level-2",
                     reason="cluster closed, contacts traced")  # fmt: skip
    overridden = alerts.pending(store)
    assert list(zip(overridden["date"], overridden["from_zone"], overridden["to_zone"],
                    strict=True)) == [(f"{day.date()}", "level-3", "level-2")]  # fmt: skip
