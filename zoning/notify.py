"""Delivering alerts: e-mail through the operator's SMTP server, and webhooks.

``python -m zoning alerts send`` (for cron) sends every alert not yet sent
(:func:`zoning.views.alerts.pending`) and records each one delivered, so a run that fails
half-way sends the rest next time and nothing twice. Settings, from the environment:

- ``ZONING_SMTP_HOST`` (default ``localhost``), ``ZONING_SMTP_PORT`` (25),
  ``ZONING_SMTP_FROM`` (the sender), ``ZONING_SMTP_USER`` and ``ZONING_SMTP_PASSWORD`` (log
  in, after STARTTLS when the server offers it);
- ``ZONING_PUBLIC_URL``: the dashboard's address, for the links (default
  ``http://localhost:8501``).

Requests go only where the operator and the subscribers said: the SMTP server and each
webhook's own address.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage

from zoning.core.text import redact
from zoning.render import alerts as words
from zoning.store import Store
from zoning.views import alerts

_LOG = logging.getLogger("zoning.notify")
TIMEOUT = 10


@dataclass(frozen=True)
class Sent:
    """What a run of :func:`send` did."""

    sent: int
    failed: int
    messages: tuple[str, ...]


def _email(to: str, subject: str, body: str) -> None:
    host = os.environ.get("ZONING_SMTP_HOST", "localhost")
    port = int(os.environ.get("ZONING_SMTP_PORT", "25"))
    sender = os.environ.get("ZONING_SMTP_FROM", "zoning@localhost")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body)
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        user = os.environ.get("ZONING_SMTP_USER")
        if user:
            smtp.login(user, os.environ.get("ZONING_SMTP_PASSWORD", ""))
        smtp.send_message(msg)


def _webhook(url: str, body: dict) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        if not 200 <= answer.status < 300:
            raise OSError(f"the webhook answered {answer.status}")


def send(store: Store) -> Sent:
    """Send every pending alert once; a failure is reported and retried on the next run."""
    base = words.public_url()
    sent = failed = 0
    notes = []
    for change in alerts.pending(store).to_dict("records"):
        try:
            token = alerts.unsubscribe_token(store, int(change["subscription"]))
            stop = words.subscribe_link(base, "unsubscribe", token, str(change["lang"]))
            if change["channel"] == "email":
                subject, body = words.message(change, base, stop)
                _email(change["target"], subject, body)
            else:
                _webhook(change["target"], words.payload(change, base, stop))
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            failed += 1
            note = (
                f"subscription {change['subscription']}: {change['code']} on "
                f"{change['date']} not sent ({redact(str(exc))}); it is tried again next run"
            )
            notes.append(note)
            _LOG.warning(note)
            continue
        if store.record_alert(
            change["subscription"],
            change["code"],
            change["date"],
            change["from_zone"],
            change["to_zone"],
        ):
            sent += 1
    return Sent(sent=sent, failed=failed, messages=tuple(notes))


def send_confirmation(
    store: Store, *, email: str, regions: list[str], level: str, scheme_id: str, lang: str,
    client: str,
) -> None:  # fmt: skip
    """Subscribe ``email`` as the dashboard's page asks and send the confirmation e-mail
    (:func:`zoning.views.alerts.request_subscriptions`); nothing is sent to it before the
    link in that e-mail is followed. Raises ``OSError`` or ``smtplib.SMTPException`` when
    the SMTP server cannot take it (the subscriptions stay unconfirmed)."""
    token = alerts.request_subscriptions(
        store, email=email, regions=regions, level=level, scheme_id=scheme_id, lang=lang,
        client=client,
    )  # fmt: skip
    names = store.regions().set_index("code")["name"]
    wanted = [(code, str(names.get(code, code))) for code in regions]
    link = words.subscribe_link(words.public_url(), "confirm", token, lang)
    subject, body = words.confirmation(wanted, level, scheme_id, link, alerts.CONFIRM_DAYS, lang)
    _email(email.strip(), subject, body)
