"""What an alert says, and a region's Atom feed of zone changes.

An alert is plain text (never HTML: names come from analysts' files): from which zone to
which, since when, the measures that now apply, and a link to the view. The webhook gets the
same as JSON. The feed is Atom 1.0 (RFC 4287), its text escaped as XML.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import pandas as pd

from zoning.core.i18n import pick, t
from zoning.model.regions import LEVEL_LABELS
from zoning.model.schemes import get_scheme

PUBLIC_URL_ENV = "ZONING_PUBLIC_URL"


def public_url(default: str = "http://localhost:8501") -> str:
    """The dashboard's address for links: ``ZONING_PUBLIC_URL``, else ``default``."""
    return os.environ.get(PUBLIC_URL_ENV, "").strip() or default


def view_link(base: str, change: Mapping, lang: str) -> str:
    """The map at the region, level, scheme and day of a change."""
    query = urlencode(
        {
            "level": change["level"],
            "scheme": change["scheme"],
            "region": change["code"],
            "date": change["date"],
            "lang": lang,
        }
    )
    return f"{base.rstrip('/')}/map?{query}"


def _labels(change: Mapping, lang: str) -> tuple[str, str, list[str]]:
    scheme = get_scheme(str(change["scheme"]))
    old, new = (scheme.zone_id_label(change[k], lang) for k in ("from_zone", "to_zone"))
    measures = scheme.zones[scheme.zone_index(change["to_zone"])].measures.get(lang, ())
    return old, new, list(measures)


def subscribe_link(base: str, kind: str, token: str, lang: str) -> str:
    """The dashboard's subscription page following a link (``kind``: ``confirm`` or
    ``unsubscribe``) with its token."""
    return f"{base.rstrip('/')}/alerts?{urlencode({kind: token, 'lang': lang})}"


def confirmation(
    wanted: list[tuple[str, str]], level: str, scheme_id: str, link: str, days: int, lang: str
) -> tuple[str, str]:
    """Subject and body of the e-mail that asks to confirm a subscription: ``wanted`` the
    regions (code, name) whose ``level`` regions are watched, ``link`` the confirmation
    link. Names are plain text (an e-mail of text only)."""
    scheme = get_scheme(scheme_id)
    label = LEVEL_LABELS[lang].get(level, level)
    lines = [t("alerts.confirm_body", lang), ""]
    lines += [
        "- " + t("alerts.confirm_what", lang, level=label, name=f"{name} ({code})",
                 scheme=pick(scheme.name, lang))
        for code, name in wanted
    ]  # fmt: skip
    lines += ["", t("alerts.confirm_link", lang, days=days), link, "",
              t("alerts.confirm_ignore", lang)]  # fmt: skip
    return t("alerts.confirm_subject", lang), "\n".join(lines)


def message(change: Mapping, base: str, unsubscribe: str | None = None) -> tuple[str, str]:
    """Subject and body of the alert for one change, in the subscriber's language, with the
    link that stops them (``unsubscribe``) when given."""
    lang = str(change["lang"])
    old, new, measures = _labels(change, lang)
    scheme = get_scheme(str(change["scheme"]))
    level = LEVEL_LABELS[lang].get(str(change["level"]), str(change["level"]))
    subject = t("alerts.subject", lang, name=change["name"], old=old, new=new)
    lines = [
        t(
            "alerts.changed",
            lang,
            level=level,
            name=change["name"],
            code=change["code"],
            old=old,
            new=new,
            date=change["date"],
        ),
        t("alerts.scheme", lang, scheme=pick(scheme.name, lang)),
        "",
    ]
    if measures:
        lines += [t("alerts.measures", lang), *[f"- {m}" for m in measures], ""]
    else:
        lines += [t("alerts.no_measures", lang), ""]
    lines += [t("alerts.link", lang), view_link(base, change, lang), "", t("alerts.why", lang)]
    if unsubscribe:
        lines += [t("alerts.unsubscribe", lang), unsubscribe]
    return subject, "\n".join(lines)


def payload(change: Mapping, base: str, unsubscribe: str | None = None) -> dict:
    """The webhook's JSON body for one change (``unsubscribe``: the link that stops them)."""
    lang = str(change["lang"])
    old, new, measures = _labels(change, lang)
    return {
        "region": change["code"],
        "name": change["name"],
        "level": change["level"],
        "scheme": change["scheme"],
        "date": change["date"],
        "from_zone": change["from_zone"],
        "to_zone": change["to_zone"],
        "from_label": old,
        "to_label": new,
        "measures": measures,
        "link": view_link(base, change, lang),
        **({"unsubscribe": unsubscribe} if unsubscribe else {}),
    }


def atom(
    changes: pd.DataFrame,
    *,
    region: str,
    region_name: str,
    level: str,
    scheme_id: str,
    lang: str,
    base: str,
    self_url: str,
    updated: dt.datetime,
) -> bytes:
    """An Atom feed of ``changes`` (``code, name, date, from_zone, to_zone``), newest first."""
    scheme = get_scheme(scheme_id)
    level_label = LEVEL_LABELS[lang].get(level, level)
    title = t(
        "alerts.feed_title",
        lang,
        name=region_name,
        level=level_label,
        scheme=pick(scheme.name, lang),
    )
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title>",
        f"<id>{escape(_tag(region, level, scheme_id))}</id>",
        f'<link rel="self" href="{escape(self_url, {chr(34): "&quot;"})}"/>',
        f"<updated>{updated.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>",
        "<author><name>zoning</name></author>",
    ]
    for row in changes.iloc[::-1].to_dict("records"):
        change = {**row, "level": level, "scheme": scheme_id, "lang": lang}
        subject, body = message(change, base)
        link = view_link(base, change, lang)
        entry_id = _tag(region, level, scheme_id, row["code"], row["date"], row["to_zone"])
        out += [
            "<entry>",
            f"<title>{escape(subject)}</title>",
            f"<id>{escape(entry_id)}</id>",
            f'<link href="{escape(link, {chr(34): "&quot;"})}"/>',
            f"<updated>{row['date']}T00:00:00Z</updated>",
            f'<content type="text">{escape(body)}</content>',
            "</entry>",
        ]
    out.append("</feed>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _tag(*parts: object) -> str:
    return "tag:zoning,2021:" + "/".join(str(p) for p in parts)
