"""Alerts: a person subscribes an e-mail address to zone changes of the regions they pick.

Nothing is sent before the address is confirmed by the link e-mailed to it
(:func:`zoning.notify.send_confirmation`); every alert carries a link that stops it. The page
shows no address but the one the person typed, and takes a link's token only on a button
press (mail scanners that open links confirm or stop nothing).
"""

from __future__ import annotations

import smtplib

import streamlit as st

from ui import access, common
from zoning import notify
from zoning.core.errors import InputError
from zoning.core.i18n import pick, t, tn
from zoning.core.text import escape_markdown
from zoning.model.regions import LEVEL_LABELS, LEVELS
from zoning.model.schemes import DEFAULT_SCHEME, builtin_schemes
from zoning.views import alerts, service

#: Regions a person may watch the inside of: the province, regencies and districts.
WATCHED = ("province", "regency", "district")

lg = common.lang()
store = common.store()
st.title(t("subscribe.title", lg))


def follow(kind: str) -> None:
    """A link from an e-mail (``?confirm=`` or ``?unsubscribe=``): acted on when pressed."""
    token = st.query_params.get(kind, "")
    title = "confirm" if kind == "confirm" else "unsubscribe"
    st.subheader(t(f"subscribe.{title}_title", lg))
    st.write(t(f"subscribe.{title}_text", lg))
    if not st.button(t(f"subscribe.{title}_button", lg), type="primary", key=f"{kind}_go"):
        return
    done = alerts.confirm(store, token) if kind == "confirm" else alerts.unsubscribe(store, token)
    del st.query_params[kind]  # the token leaves the address bar
    if not done:
        st.warning(t("subscribe.link_unknown", lg))
    elif kind == "confirm":
        st.success(tn("subscribe.confirmed", lg, done, n=done))
    else:
        st.success(t("subscribe.unsubscribed", lg))
    st.divider()


for kind in ("confirm", "unsubscribe"):
    if st.query_params.get(kind):
        follow(kind)

st.write(t("subscribe.intro", lg))
known = service.regions(store)
names = known.set_index("code")["name"]
choices = known[known["level"].isin(WATCHED)]
levels = [lv for lv in LEVELS if lv in store.levels() and lv != "province"]
schemes = builtin_schemes()


def region_label(code: str) -> str:
    """A region, its level and (for a district) its regency: district names repeat."""
    row = choices.set_index("code").loc[code]
    parent = names.get(row["parent"]) if row["level"] == "district" else None
    return " · ".join(filter(None, [row["name"], LEVEL_LABELS[lg][row["level"]], parent]))


with st.form("subscribe", border=True):
    email = st.text_input(t("subscribe.email", lg), placeholder="nama@contoh.go.id")
    picked = st.multiselect(
        t("subscribe.regions", lg), choices["code"].tolist(), format_func=region_label,
        help=t("subscribe.regions_help", lg), max_selections=20,
        placeholder=t("subscribe.regions_placeholder", lg),
    )  # fmt: skip
    wanted_level = common.view_param("level")
    level = st.selectbox(
        t("subscribe.level", lg), levels, format_func=lambda lv: LEVEL_LABELS[lg][lv],
        index=levels.index(wanted_level) if wanted_level in levels else 0,
    )  # fmt: skip
    wanted_scheme = common.view_param("scheme")
    ids = list(schemes)
    scheme_id = st.selectbox(
        t("subscribe.scheme", lg), ids, format_func=lambda s: pick(schemes[s].name, lg),
        index=ids.index(wanted_scheme if wanted_scheme in schemes else DEFAULT_SCHEME),
    )  # fmt: skip
    sent = st.form_submit_button(t("subscribe.submit", lg), type="primary")

if sent:
    try:
        notify.send_confirmation(
            store, email=email, regions=picked, level=level, scheme_id=scheme_id, lang=lg,
            client=access.client_address(),
        )  # fmt: skip
    except alerts.TooMany:
        st.error(t("subscribe.too_many", lg))
    except InputError as exc:
        if exc.column in ("email", "--email"):
            st.error(t("subscribe.bad_email", lg))
        elif exc.column == "region":
            st.error(t("subscribe.no_regions", lg))
        else:
            st.error(t("subscribe.failed", lg, reason=escape_markdown(str(exc))))
    except (OSError, smtplib.SMTPException):
        st.error(t("subscribe.not_sent", lg))
    else:
        st.success(t("subscribe.sent", lg, days=alerts.CONFIRM_DAYS))
