"""What every page shares: the store, the language, the view in the URL, the data note.

Pages call these helpers and the :mod:`zoning` library; nothing here computes epidemiology.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time

import pandas as pd
import streamlit as st

from zoning import auth, mapdata, privacy, service
from zoning.demo_store import install_demo
from zoning.i18n import LANGS, lang_or_default, pick, t
from zoning.regions import LEVEL_LABELS, LEVELS
from zoning.schemes import Scheme, builtin_schemes
from zoning.store import Store

LANG_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def _leave_legacy_multipage_mode() -> None:
    """Make the first run after the server starts use ``st.navigation`` like every other.

    Streamlit treats an app whose script has a ``pages/`` folder beside it as a legacy
    multipage app until ``st.navigation`` has run once in the process, so the very first
    session would get its own sidebar of files and a deep link such as ``/map`` would run
    ``pages/map.py`` alone. The flag is process-wide; clearing it and rerunning hands the
    run to ``dashboard.py``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_multipage_mode()


@st.cache_resource(show_spinner=False)
def _open_store() -> Store:
    return Store()


def _prepare_quietly(s: Store) -> None:
    try:
        mapdata.prepare(s)
    except Exception:  # the page that needs the level reports the problem itself
        logging.getLogger("zoning").warning("preparing the levels failed", exc_info=True)


@st.cache_resource(show_spinner=False, max_entries=4)
def _prepare(url: str, version: int) -> threading.Thread:
    """Once per data version: prepare every level's data and map in the background."""
    thread = threading.Thread(target=_prepare_quietly, args=(_open_store(),), daemon=True)
    thread.start()
    return thread


def store() -> Store:
    """The app's store; the demo is written into an empty store on first use."""
    s = _open_store()
    if s.is_empty():
        with st.spinner(t("common.demo_building", lang())):
            install_demo(s)
    _prepare(s.url, s.data_version())
    return s


def view_param(name: str) -> str | None:
    """A view setting from the URL, else the one this session last used on any page.

    Streamlit's page links drop the query, so the session keeps the view (language, scheme,
    level, date) when a person moves from page to page, and the URL gets it back.
    """
    kept = st.session_state.setdefault("view", {})
    value = st.query_params.get(name)
    if value is None and name in kept:
        value = kept[name]
        st.query_params[name] = value
    return value


def keep_param(name: str, value: str | None) -> None:
    """Put a view setting in the URL and in the session."""
    kept = st.session_state.setdefault("view", {})
    if value is None:
        kept.pop(name, None)
        st.query_params.pop(name, None)
    else:
        kept[name] = value
        st.query_params[name] = value


def lang() -> str:
    """The interface language, from the URL (``?lang=en``); Bahasa Indonesia by default."""
    return lang_or_default(view_param("lang"))


def language_switch() -> str:
    """The language switch in the sidebar; keeps ``lang`` in the URL."""
    current = lang()
    st.sidebar.radio(
        t("common.language", current), LANGS, format_func=LANG_NAMES.get, horizontal=True,
        **_bound("lang_switch", "lang", current),
    )  # fmt: skip
    return current


def _param(name: str, choices: list[str], default: str) -> str:
    value = view_param(name)
    return value if value in choices else default


def _bound(key: str, name: str, current: object, to_param=str) -> dict:
    """Keyword arguments that bind a widget to a view setting in the URL.

    The URL (or the session) decides what the widget shows; a person's change is written
    back to the URL by the widget's callback before the page runs again.
    """
    st.session_state[key] = current
    return {"key": key, "on_change": lambda: keep_param(name, to_param(st.session_state[key]))}


def pick_scheme(lg: str, container=st.sidebar) -> Scheme:
    """Scheme selector, kept in ``?scheme=``."""
    schemes = builtin_schemes()
    ids = list(schemes)
    current = _param("scheme", ids, "who-ct-2021")
    keep_param("scheme", current)
    container.selectbox(
        t("common.scheme", lg), ids, format_func=lambda i: pick(schemes[i].name, lg),
        **_bound("scheme_select", "scheme", current),
    )  # fmt: skip
    return schemes[current]


def pick_level(s: Store, scheme: Scheme, lg: str, container=st.sidebar) -> str:
    """Level selector (levels that have regions), kept in ``?level=``."""
    levels = s.levels()
    default = next((lv for lv in scheme.levels if lv in levels), levels[0])
    current = _param("level", levels, default)
    keep_param("level", current)
    container.selectbox(
        t("common.level", lg), levels, format_func=lambda lv: LEVEL_LABELS[lg][lv],
        **_bound("level_select", "level", current),
    )  # fmt: skip
    if current not in scheme.levels:
        container.caption(
            t("common.scheme_level_warning", lg,
              levels=", ".join(LEVEL_LABELS[lg][lv] for lv in scheme.levels))
        )  # fmt: skip
    return current


def pick_date(s: Store, level: str, lg: str, container=st.sidebar) -> pd.Timestamp:
    """Date slider over the data's days, kept in ``?date=``; defaults to the latest settled day."""
    data = service.level_data(s, level)
    days = [d.date() for d in data.panel.dates]
    raw = view_param("date")
    try:
        current = dt.date.fromisoformat(raw) if raw else data.settled_day.date()
    except ValueError:
        current = data.settled_day.date()
    current = min(max(current, days[0]), days[-1])
    keep_param("date", current.isoformat())
    container.slider(
        t("common.date", lg), min_value=days[0], max_value=days[-1], format="YYYY-MM-DD",
        **_bound("date_slider", "date", current, to_param=dt.date.isoformat),
    )  # fmt: skip
    return pd.Timestamp(current)


def data_note(s: Store, lg: str, container=st) -> None:
    """'Data as of' next to 'last updated', and the note on schematic shapes if any."""
    meta = s.meta()
    as_of = meta.get("as_of", "–")
    updated = meta.get("last_updated", "–").replace("T", " ")
    container.caption(
        t("common.data_as_of", lg, as_of=as_of)
        + " · "
        + t("common.last_updated", lg, updated=updated + " UTC")
    )
    note = meta.get("geometry_note")
    if note:
        container.caption("⚠️ " + pick(json.loads(note), lg))


def level_label(level: str, lg: str) -> str:
    return LEVEL_LABELS[lg][level]


def zone_label(scheme: Scheme, zone_id: str | None, lg: str) -> str:
    if zone_id is None or zone_id not in scheme.zone_ids:
        return t("common.no_zone", lg)
    return pick(scheme.zones[scheme.zone_index(zone_id)].label, lg)


# --- analysts: who may change the data, and who sees exact small numbers ------------------

ANALYST_KEY = "analyst"  # session: {"who": identity, "hash": the hash it was checked against}
THROTTLE_KEY = "analyst_throttle"


def _secrets() -> dict:
    """``.streamlit/secrets.toml`` as a dict ({} when there is none)."""
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:  # no secrets file (StreamlitSecretNotFoundError)
        return {}


def _zoning_secrets() -> dict:
    section = _secrets().get("zoning")
    return section if isinstance(section, dict) else {}


def _password_hash() -> str | None:
    return auth.configured_hash(_zoning_secrets().get("analyst_password_hash"))


def sign_in_method() -> str | None:
    """``"oidc"`` (an ``[auth]`` section for ``st.login``), ``"password"`` (an analyst
    password hash in the environment or the secrets) or ``None`` (analyst pages locked)."""
    if "auth" in _secrets():
        return "oidc"
    return "password" if _password_hash() else None


def analyst() -> str | None:
    """Who the analyst using this session is (``oidc:…`` / ``password:…``), else ``None``."""
    method = sign_in_method()
    if method == "oidc":
        email = st.user.get("email")
        allowed = _zoning_secrets().get("analysts")
        if st.user.get("is_logged_in") and auth.is_allowed(email, allowed):
            return auth.identity("oidc", str(email))
        return None
    if method == "password":
        kept = st.session_state.get(ANALYST_KEY) or {}
        return kept.get("who") if kept.get("hash") == _password_hash() else None
    return None


def is_analyst() -> bool:
    """Whether this session is a signed-in analyst's: exact numbers, uploads and notes."""
    return analyst() is not None


def public_view(level: str) -> bool:
    """Whether this session sees ``level`` with small numbers protected (zoning.privacy)."""
    return privacy.public_view(level, analyst=is_analyst())


def require_analyst(lg: str, key: str = "page") -> str | None:
    """The analyst's identity; for anyone else, the way to sign in (or why it is locked).

    A page shows its analyst-only part when this returns an identity, and stops or stays
    read-only otherwise.
    """
    who = analyst()
    if who is not None:
        return who
    method = sign_in_method()
    if method == "oidc":
        _oidc_sign_in(lg, key)
    elif method == "password":
        _password_sign_in(lg, key)
    else:
        st.warning(t("auth.locked", lg))
        st.markdown(t("auth.locked_how", lg))
        st.markdown(f"- {t('auth.locked_password', lg)}\n- {t('auth.locked_oidc', lg)}")
    return None


def _oidc_sign_in(lg: str, key: str) -> None:
    if st.user.get("is_logged_in"):
        st.warning(t("auth.oidc_not_allowed", lg, email=st.user.get("email") or "?"))
        if st.button(t("auth.sign_out", lg), key=f"oidc_sign_out_{key}"):
            st.logout()
        return
    if st.button(t("auth.oidc_sign_in", lg), type="primary", key=f"oidc_sign_in_{key}"):
        try:
            st.login()
        except Exception as exc:  # no Authlib, or an incomplete [auth] section
            st.error(t("auth.oidc_unavailable", lg, reason=str(exc)))


def _password_sign_in(lg: str, key: str) -> None:
    """Name (recorded with every change) and the analyst password; failures slow down."""
    st.markdown(f"**{t('auth.sign_in', lg)}**")
    with st.form(f"sign_in_{key}", clear_on_submit=True):
        name = st.text_input(t("auth.name", lg), max_chars=80, key=f"sign_in_name_{key}")
        password = st.text_input(
            t("auth.password", lg), type="password", key=f"sign_in_password_{key}"
        )
        submitted = st.form_submit_button(t("auth.sign_in_button", lg))
    if not submitted:
        return
    throttle = st.session_state.setdefault(THROTTLE_KEY, auth.Throttle())
    wait = throttle.wait(time.monotonic())
    if wait > 0:
        st.error(t("auth.wait", lg, seconds=math.ceil(wait)))
    elif not name.strip():
        st.error(t("auth.need_name", lg))
    else:
        encoded = _password_hash()
        try:
            ok = auth.verify_password(password, encoded)
        except auth.HashError as exc:
            st.error(t("auth.bad_hash", lg, reason=str(exc)))
            return
        if ok:
            throttle.succeeded()
            who = auth.identity("password", name)
            st.session_state[ANALYST_KEY] = {"who": who, "hash": encoded}
            st.rerun()
        delay = throttle.failed(time.monotonic())
        wait_text = " " + t("auth.wait", lg, seconds=math.ceil(delay)) if delay else ""
        st.error(t("auth.wrong_password", lg) + wait_text)


def analyst_badge(lg: str) -> None:
    """In the sidebar of every page, for a signed-in analyst: who, and a way to sign out."""
    who = analyst()
    if who is None:
        return
    st.sidebar.caption(t("auth.signed_in_as", lg, who=who))
    if st.sidebar.button(t("auth.sign_out", lg), key="analyst_sign_out"):
        st.session_state.pop(ANALYST_KEY, None)
        if sign_in_method() == "oidc":
            st.logout()
        st.rerun()


def privacy_note(lg: str, container=st) -> None:
    """What a public view of a village, RW or RT level hides, and why."""
    limit = privacy.get_threshold()
    container.caption("🔒 " + t("privacy.note", lg, threshold=limit, top=limit - 1))


__all__ = ["LEVELS", "analyst", "analyst_badge", "data_note", "is_analyst", "lang",
           "language_switch", "level_label", "pick_date", "pick_level", "pick_scheme",
           "privacy_note", "public_view", "require_analyst", "store", "zone_label"]  # fmt: skip
