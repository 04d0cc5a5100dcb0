"""Which zone changes are news to whom: alerts for subscribers, and a region's feed.

A subscription names a region, a level and a scheme: every region of that level inside the
region is watched. A change is what :func:`zoning.views.analysis.zone_changes` gives of the
zone each region shows (the scheme's hysteresis, then analysts' decisions), so a zone that
flickers back and forth within its hysteresis sends nothing, an override is announced as
decided, and where unconfirmed zones are not public nothing is sent before a confirmation.
Changes up to the last data day at the time of subscribing are old news and never sent;
every other change is sent once (:meth:`zoning.store.Store.record_alert`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets

import pandas as pd

from zoning.core.errors import InputError
from zoning.model.codes import is_within, try_normalise
from zoning.model.regions import LEVELS
from zoning.model.schemes import SchemeError, get_scheme
from zoning.store import Store
from zoning.views import analysis, service

CHANNELS = ("email", "webhook")


def check_target(channel: str, target: str) -> str:
    """A subscriber's address, checked: an e-mail address or an http(s) URL."""
    target = target.strip()
    if channel == "email":
        local, at, domain = target.partition("@")
        if not (at and local and "." in domain) or any(c.isspace() for c in target):
            raise InputError(f"{target!r} is not an e-mail address", column="--email")
    elif channel == "webhook":
        if not target.startswith(("http://", "https://")) or any(c.isspace() for c in target):
            raise InputError(f"{target!r} is not an http(s) address", column="--webhook")
    else:
        raise InputError(f"the channel is one of {', '.join(CHANNELS)}", column="channel")
    return target


def subscribe(
    store: Store,
    *,
    region: str,
    level: str,
    scheme_id: str,
    channel: str,
    target: str,
    lang: str,
    created_by: str,
    active: bool = True,
) -> int:
    """Subscribe ``target`` to zone changes of the regions of ``level`` inside ``region``
    (not ``active``: once confirmed)."""
    code = try_normalise(region)
    if code is None:
        raise InputError(f"{region!r} is not a region code (e.g. 33.74)", column="--region")
    if code not in set(store.regions()["code"]):
        raise InputError(f"no region {code} in the store", column="--region")
    if level not in LEVELS or level not in store.levels():
        raise InputError(f"the store has no {level} data", column="--level")
    try:
        get_scheme(scheme_id)
    except (SchemeError, KeyError, LookupError):
        raise InputError(f"{scheme_id!r} is not a scheme", column="--scheme") from None
    target = check_target(channel, target)
    baseline = service.level_data(store, level).panel.dates[-1]
    return store.add_subscription(
        region=code,
        level=level,
        scheme=scheme_id,
        channel=channel,
        target=target,
        lang=lang,
        baseline=baseline,
        created_by=created_by,
        active=active,
    )


def changes_within(
    store: Store, scheme_id: str, level: str, region: str, after: object = None
) -> pd.DataFrame:
    """Zone changes of the regions of ``level`` inside ``region`` after day ``after`` (all
    if None), newest last: ``code, name, date, from_zone, to_zone``."""
    scheme = get_scheme(scheme_id)
    dates = service.level_data(store, level).panel.dates
    since = dates[0] if after is None else pd.Timestamp(after) + pd.Timedelta(days=1)
    changes = analysis.zone_changes(store, scheme, level, since, decided=True)
    inside = [is_within(str(c), region) for c in changes["code"]]
    return changes[inside].reset_index(drop=True)


def pending(store: Store) -> pd.DataFrame:
    """Alerts not yet sent: one row per subscription and change, with the subscription's
    ``id, channel, target, lang, scheme, level`` beside the change."""
    rows = []
    for sub in store.subscriptions().itertuples(index=False):
        if sub.level not in store.levels():
            continue
        baseline = None if pd.isna(sub.baseline) else sub.baseline
        news = changes_within(store, sub.scheme, sub.level, sub.region, baseline)
        sent = store.alerts_sent(sub.id)
        done = {
            (r, str(pd.Timestamp(d).date()), z)
            for r, d, z in zip(sent["region"], sent["date"], sent["to_zone"], strict=True)
        }
        for change in news.itertuples(index=False):
            if (change.code, change.date, change.to_zone) in done:
                continue
            rows.append(
                {
                    "subscription": sub.id,
                    "channel": sub.channel,
                    "target": sub.target,
                    "lang": sub.lang,
                    "scheme": sub.scheme,
                    "level": sub.level,
                    "code": change.code,
                    "name": change.name,
                    "date": change.date,
                    "from_zone": change.from_zone,
                    "to_zone": change.to_zone,
                }
            )
    columns = [
        "subscription",
        "channel",
        "target",
        "lang",
        "scheme",
        "level",
        "code",
        "name",
        "date",
        "from_zone",
        "to_zone",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- subscribing on the dashboard: a confirmed address, a link to stop -----------------------
#: At most this many confirmation e-mails to one address a day, and requests from one client
#: an hour: the page cannot be used to flood someone's mailbox or the SMTP server.
PER_ADDRESS_A_DAY = 3
PER_CLIENT_AN_HOUR = 10
#: A confirmation link works for this long; an unsubscribe link for as long as there is data.
CONFIRM_DAYS = 7
UNSUBSCRIBE_DAYS = 3650


class TooMany(InputError):
    """Too many subscription requests for an address or from a client: try later."""


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ago(**delta: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(**delta)


def request_subscriptions(
    store: Store,
    *,
    email: str,
    regions: list[str],
    level: str,
    scheme_id: str,
    lang: str,
    client: str,
) -> str:
    """Subscriptions of ``email`` to zone changes of the regions of ``level`` inside each of
    ``regions``, waiting for the address to be confirmed; returns the token of the
    confirmation link (only its hash is kept).

    Raises :class:`TooMany` past :data:`PER_ADDRESS_A_DAY` or :data:`PER_CLIENT_AN_HOUR`,
    and ``InputError`` naming the field for a wrong address, region, level or scheme.
    """
    if not regions:
        raise InputError("choose at least one region", column="region")
    email = check_target("email", email)
    who = _hash(str(client or "unknown"))
    if store.token_requests(_ago(hours=1), client=who) >= PER_CLIENT_AN_HOUR:
        raise TooMany("too many requests from here: try again in an hour", column="email")
    if store.token_requests(_ago(days=1), target=email) >= PER_ADDRESS_A_DAY:
        raise TooMany("too many requests for this address: try again tomorrow", column="email")
    ids = [
        subscribe(
            store, region=region, level=level, scheme_id=scheme_id, channel="email",
            target=email, lang=lang, created_by="self-service", active=False,
        )
        for region in regions
    ]  # fmt: skip
    token = secrets.token_urlsafe(24)
    store.add_tokens(ids, "confirm", _hash(token), client=who)
    return token


def confirm(store: Store, token: str) -> int:
    """Follow a confirmation link: its subscriptions start (changes up to today's data are
    old news); the number started, 0 for an unknown, used or expired link."""
    baseline = None
    with contextlib.suppress(LookupError):
        baseline = max(service.level_data(store, lv).panel.dates[-1] for lv in store.levels())
    used = store.use_token("confirm", _hash(token.strip()), _ago(days=CONFIRM_DAYS), baseline)
    return len(used)


def unsubscribe(store: Store, token: str) -> int:
    """Follow an unsubscribe link: its subscription ends; the number ended (0: none)."""
    return len(store.use_token("unsubscribe", _hash(token.strip()), _ago(days=UNSUBSCRIBE_DAYS)))


def unsubscribe_token(store: Store, subscription_id: int) -> str:
    """A new link token that ends subscription ``subscription_id`` (one in each alert)."""
    token = secrets.token_urlsafe(24)
    store.add_tokens([subscription_id], "unsubscribe", _hash(token))
    return token
