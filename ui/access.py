"""Who is using the dashboard: analysts (sign-in, locked pages) and the public (small numbers).

Anyone may view; only analysts upload and write notes, and only they see exact small counts
(:mod:`zoning.core.auth` checks passwords and allow-lists, :mod:`zoning.model.privacy` masks).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui import common, guard
from zoning.core import auth
from zoning.core.i18n import t
from zoning.model import privacy
from zoning.store import Store

_LOG = logging.getLogger("zoning.access")
_REPORTED: set[str] = set()  # problems with the operator's hash already logged

# --- analysts: who may change the data, and who sees exact small numbers ------------------

ANALYST_KEY = "analyst"  # session: {"who": identity, "hash": the hash it was checked against}
THROTTLE_KEY = "analyst_throttle"


class SharedThrottles:
    """Failed sign-ins per client address, across sessions and replicas: a new session does
    not start afresh, nor does a client that drops its cookie and lands on another replica
    behind the proxy. Kept in the store (:meth:`zoning.store.Store.sign_in_begin`) under a
    SHA-256 hash of the address; times are Unix seconds, as every replica shares them."""

    def __init__(self, store: Store):
        self.store = store

    @staticmethod
    def _client(address: str) -> str:
        return hashlib.sha256(str(address).encode("utf-8")).hexdigest()

    def wait(self, address: str) -> float:
        return self.store.sign_in_wait(self._client(address), time.time())

    def begin(self, address: str) -> float:
        return self.store.sign_in_begin(self._client(address), time.time())

    def succeeded(self, address: str) -> None:
        self.store.sign_in_cleared(self._client(address))


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
    """Who the analyst using this session is (``oidc:…`` / ``password:…``), else ``None``.

    The answer is also noted for the upload guard (:mod:`ui.guard`): only an analyst's
    session may send files to Streamlit's upload endpoint.
    """
    who = _analyst()
    ctx = get_script_run_ctx()
    guard.note_analyst(ctx.session_id if ctx else None, who)
    return who


def _analyst() -> str | None:
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
    """Whether this session sees ``level`` with small numbers protected (zoning.model.privacy)."""
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
        try:
            auth.parse_hash(_password_hash())  # a bad hash is said before any attempt
            _password_sign_in(lg, key)
        except auth.HashError as exc:
            _bad_hash(exc, lg)
    else:
        st.warning(t("auth.locked", lg))
        st.markdown(t("auth.locked_how", lg))
        st.markdown(f"- {t('auth.locked_password', lg)}\n- {t('auth.locked_oidc', lg)}")
    return None


def _bad_hash(exc: auth.HashError, lg: str) -> None:
    """The operator's hash cannot be used: why, on the page (no form) and once in the log."""
    if str(exc) not in _REPORTED:
        _REPORTED.add(str(exc))
        _LOG.error("the analyst password hash cannot be used: %s", exc)
    st.error(t("auth.bad_hash", lg, reason=t(f"auth.{exc.key}", lg, **exc.values)))


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


def client_address() -> str:
    """The address this session's requests count under (sign-in attempts, subscriptions):
    the one that connected, or behind a proxy named in ``ZONING_TRUSTED_PROXIES`` the client
    it names (:mod:`ui.guard`)."""
    return guard.client_address(st.context.headers, st.context.ip_address)


def _attempt(
    address: str, throttle: auth.Throttle, check, addresses: SharedThrottles
) -> tuple[bool | None, float]:
    """Check the password once (``check()``), if this session and address may try now.

    Returns whether it was right (``None``: too soon, not checked) and the seconds to wait
    before the next attempt. The attempt is counted before the check, in the same step as
    the decision that it may go ahead (:meth:`zoning.store.Store.sign_in_begin`), so
    attempts sent at once from one address, to one replica or several, are counted as one
    after another would be; a right password clears the counts.
    """
    now = time.monotonic()
    wait = throttle.wait(now) or addresses.begin(address)
    if wait > 0:
        return None, wait
    throttle.failed(now)  # the session's own count: one run at a time, no race
    if check():
        throttle.succeeded()
        addresses.succeeded(address)
        return True, 0.0
    return False, max(throttle.wait(time.monotonic()), addresses.wait(address))


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
    if not name.strip():
        st.error(t("auth.need_name", lg))
        return
    encoded = _password_hash()
    check = functools.partial(auth.verify_password, password, encoded)
    ok, wait = _attempt(client_address(), throttle, check, SharedThrottles(common.store()))
    if ok:
        who = auth.identity("password", name)
        st.session_state[ANALYST_KEY] = {"who": who, "hash": encoded}
        st.rerun()
    elif ok is None:
        st.error(t("auth.wait", lg, seconds=math.ceil(wait)))
    else:
        wait_text = " " + t("auth.wait", lg, seconds=math.ceil(wait)) if wait else ""
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
