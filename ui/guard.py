"""Two guards put into the running server by the dashboard's first run (:func:`install`).

Streamlit 1.67 serves the app with uvicorn and Starlette; neither of these can be set in
``.streamlit/config.toml``, so each is a small patch of one method, made once per process
when ``dashboard.py`` first runs. Streamlit runs no code of the app before a session asks
for a page, so from the server's start to that first run neither guard is in place (the
README's reverse-proxy rule bounds uploads then too).

**Client addresses.** uvicorn's ``ProxyHeadersMiddleware`` believes ``X-Forwarded-For``
from 127.0.0.1 and ::1 unless ``FORWARDED_ALLOW_IPS`` says otherwise, so a proxy on the same
host that passed the client's own header on let every invented address start the sign-in
count afresh. The guard replaces its ``__call__``: the client is
:func:`zoning.core.auth.client_address` of the connecting address and the proxies named in
``ZONING_TRUSTED_PROXIES`` (none by default), and ``X-Forwarded-Proto`` is only read from
those proxies. The address decided is also written into a request header whose name is
random for each process (:data:`CLIENT_HEADER`): :func:`client_address` reads it, and a
connection made before the guard was installed (the first session of a new server) has
none, so it is not believed when it carries ``X-Forwarded-For``.

**Uploads.** ``st.file_uploader`` sends files to ``/_stcore/upload_file/<session>/<file>``,
which takes them from any session that is open: a visitor of ``/about`` could hold
hundreds of megabytes in the server's memory. That route asks
``Runtime.is_active_session(session)`` before it reads a byte of the body, and is the only
caller of it (``tests/ui/test_guard.py`` checks both in Streamlit's source); the guard answers
403 there unless the session is an analyst's. ``ui/access.py`` notes a session's analyst
on every run (:func:`note_analyst`), and forgets it when they sign out.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections import OrderedDict

from zoning.core import auth

_LOG = logging.getLogger("zoning.guard")
#: The request header holding the client address the guard decided (random name: a client
#: cannot send it, even to a connection made before the guard was installed).
CLIENT_HEADER = f"x-zoning-client-{secrets.token_hex(8)}"
_CLIENT_HEADER_BYTES = CLIENT_HEADER.encode("ascii")
#: Address given to a connection that came before the guard and carried X-Forwarded-For:
#: all such connections share one sign-in count.
UNVERIFIED = "unverified"
_lock = threading.Lock()
_installed = False
#: Analysts' sessions by session id (the most recent last), and who they are.
_analysts: OrderedDict[str, str] = OrderedDict()
MAX_SESSIONS = 10_000


def proxies_from_env() -> tuple[auth.Network, ...]:
    """``ZONING_TRUSTED_PROXIES`` read; a mistake in it is logged and trusts nobody."""
    try:
        return auth.trusted_proxies(os.environ.get(auth.PROXIES_ENV))
    except ValueError as exc:
        _LOG.error("%s; no proxy is trusted until it is corrected", exc)
        return ()


def install() -> None:
    """Put both guards into this process's server (once; later calls do nothing)."""
    global _installed
    with _lock:
        if _installed:
            return
        _guard_client_addresses(proxies_from_env())
        _guard_uploads()
        _installed = True


def _guard_client_addresses(proxies: tuple[auth.Network, ...]) -> None:
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    ProxyHeadersMiddleware.__call__ = proxy_headers_call(proxies)


def proxy_headers_call(proxies: tuple[auth.Network, ...]):
    """``ProxyHeadersMiddleware.__call__`` that decides the client by :func:`decide_client`."""

    async def call(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = decide_client(scope, proxies)
        return await self.app(scope, receive, send)

    return call


def decide_client(scope: dict, proxies: tuple[auth.Network, ...]) -> dict:
    """An ASGI scope with the client the guard decided, as ``client`` and as a header."""
    client = scope.get("client")
    peer = client[0] if client else None
    headers = [(k, v) for k, v in scope.get("headers", ()) if k != _CLIENT_HEADER_BYTES]
    forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
    address = auth.client_address(peer, forwarded, proxies)
    scope = {**scope, "headers": [*headers, (_CLIENT_HEADER_BYTES, address.encode("latin-1"))]}
    if client and address != peer:  # a trusted proxy's client
        scope["client"] = (address, 0)
        proto = dict(headers).get(b"x-forwarded-proto", b"").decode("latin-1").strip()
        if proto in ("http", "https"):
            ws = scope["type"] == "websocket"
            scope["scheme"] = proto.replace("http", "ws") if ws else proto
    return scope


def client_address(headers, ip_address: str | None) -> str:
    """The address a session's sign-in attempts are counted under.

    ``headers`` and ``ip_address`` are ``st.context``'s, from the session's connection.
    """
    decided = headers.get(CLIENT_HEADER)
    if decided:
        return decided
    if headers.get("x-forwarded-for") is not None:  # uvicorn may have believed it
        return UNVERIFIED
    return ip_address or "127.0.0.1"  # Streamlit gives loopback as None


def note_analyst(session_id: str | None, who: str | None) -> None:
    """Record whether the session ``session_id`` is an analyst's (``who``) or not (None)."""
    if not session_id:
        return
    with _lock:
        _analysts.pop(session_id, None)
        if who is not None:
            _analysts[session_id] = who
            while len(_analysts) > MAX_SESSIONS:
                _analysts.popitem(last=False)


def is_analyst_session(session_id: str) -> bool:
    with _lock:
        return session_id in _analysts


def _guard_uploads() -> None:
    from streamlit.runtime.runtime import Runtime

    Runtime.is_active_session = analysts_only(Runtime.is_active_session)


def analysts_only(is_active_session):
    """``Runtime.is_active_session`` for the upload route: an open session that is not an
    analyst's gets 403 (Starlette's ``HTTPException``), before the body is read."""
    from starlette.exceptions import HTTPException

    def guarded(self, session_id: str) -> bool:
        if not is_active_session(self, session_id):
            return False
        if not is_analyst_session(session_id):
            _LOG.warning("upload refused: session %s is not an analyst's", session_id[:8])
            raise HTTPException(status_code=403, detail="Uploads are for signed-in analysts.")
        return True

    return guarded
