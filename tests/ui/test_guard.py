"""ui/guard.py: client addresses decided by the trusted-proxy setting, and uploads to
Streamlit's endpoint for analysts' sessions only (in-process, and on a real server)."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from pathlib import Path

import pytest
from browser import copy_store, require_chromium, streamlit_server
from conftest import ANALYST_PASSWORD

from ui import guard
from zoning.core import auth

LOCAL = auth.trusted_proxies("127.0.0.1, ::1")


def scope(peer: str, *headers: tuple[bytes, bytes], kind: str = "websocket") -> dict:
    return {"type": kind, "client": (peer, 50000), "headers": list(headers), "scheme": "ws"}


def decided(s: dict) -> str:
    return dict(s["headers"])[guard.CLIENT_HEADER.encode()].decode()


def test_forwarded_for_from_loopback_is_not_believed_by_default():
    s = guard.decide_client(scope("127.0.0.1", (b"x-forwarded-for", b"198.51.100.7")), ())
    assert s["client"] == ("127.0.0.1", 50000) and decided(s) == "127.0.0.1"


def test_forwarded_for_from_a_trusted_proxy_names_the_client():
    headers = (b"x-forwarded-for", b"6.6.6.6, 198.51.100.7"), (b"x-forwarded-proto", b"https")
    s = guard.decide_client(scope("127.0.0.1", *headers), LOCAL)
    assert s["client"] == ("198.51.100.7", 0) and decided(s) == "198.51.100.7"
    assert s["scheme"] == "wss"
    http = guard.decide_client(scope("127.0.0.1", *headers, kind="http"), LOCAL)
    assert http["scheme"] == "https"


def test_a_connection_without_an_address_keeps_none():
    s = {"type": "http", "client": None, "headers": [(b"x-forwarded-for", b"6.6.6.6")]}
    s = guard.decide_client(s, LOCAL)
    assert s["client"] is None and decided(s) == "unknown"


def test_a_client_cannot_send_the_decided_address_itself():
    forged = (guard.CLIENT_HEADER.encode(), b"192.0.2.99")
    s = guard.decide_client(scope("203.0.113.5", forged), ())
    values = [v for k, v in s["headers"] if k == guard.CLIENT_HEADER.encode()]
    assert values == [b"203.0.113.5"]


def test_the_middleware_call_passes_the_decided_scope_on():
    seen = []

    class Middleware:
        async def app(self, s, receive, send):
            seen.append(s)

    call = guard.proxy_headers_call(())
    asyncio.run(call(Middleware(), scope("127.0.0.1", (b"x-forwarded-for", b"6.6.6.6")), 0, 0))
    asyncio.run(call(Middleware(), {"type": "lifespan"}, 0, 0))
    assert seen[0]["client"][0] == "127.0.0.1" and seen[1] == {"type": "lifespan"}


@pytest.mark.parametrize(
    ("headers", "ip", "expected"),
    [
        ({guard.CLIENT_HEADER: "198.51.100.7"}, "127.0.0.1", "198.51.100.7"),
        # connected before the guard: uvicorn may have taken the address from the header
        ({"x-forwarded-for": "198.51.100.7"}, "198.51.100.7", guard.UNVERIFIED),
        ({}, "203.0.113.5", "203.0.113.5"),
        ({}, None, "127.0.0.1"),  # Streamlit gives loopback as None
    ],
)
def test_the_address_a_session_counts_under(headers, ip, expected):
    assert guard.client_address(headers, ip) == expected


def test_a_mistake_in_the_setting_is_logged_and_trusts_nobody(monkeypatch, caplog):
    monkeypatch.setenv(auth.PROXIES_ENV, "127.0.0.1, my-proxy")
    assert guard.proxies_from_env() == ()
    assert "'my-proxy' is not an address or network" in caplog.text
    monkeypatch.setenv(auth.PROXIES_ENV, "10.0.0.0/8")
    assert [str(n) for n in guard.proxies_from_env()] == ["10.0.0.0/8"]


class FakeRuntime:
    def __init__(self, open_sessions):
        self.open = set(open_sessions)

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.open


def test_uploads_only_for_open_analyst_sessions():
    from starlette.exceptions import HTTPException

    check = guard.analysts_only(FakeRuntime.is_active_session)
    runtime = FakeRuntime({"visitor", "analyst"})
    guard.note_analyst("analyst", "password:Sari")
    guard.note_analyst("visitor", None)
    try:
        assert check(runtime, "analyst") is True
        assert check(runtime, "closed") is False
        with pytest.raises(HTTPException) as refused:
            check(runtime, "visitor")
        assert refused.value.status_code == 403
        guard.note_analyst("analyst", None)  # signed out
        with pytest.raises(HTTPException):
            check(runtime, "analyst")
    finally:
        guard.note_analyst("analyst", None)


def test_the_analyst_registry_keeps_the_most_recent(monkeypatch):
    monkeypatch.setattr(guard, "MAX_SESSIONS", 2)
    for sid in ("s1", "s2", "s3"):
        guard.note_analyst(sid, "password:Sari")
    assert [guard.is_analyst_session(s) for s in ("s1", "s2", "s3")] == [False, True, True]
    guard.note_analyst(None, "password:Sari")  # outside a script run: nothing to note
    for sid in ("s2", "s3"):
        guard.note_analyst(sid, None)


# --- what the guards rely on in Streamlit and uvicorn: checked in their installed source ----


def test_streamlit_asks_is_active_session_only_in_the_upload_route_before_the_body():
    import streamlit

    root = Path(streamlit.__file__).parent
    callers = [  # Runtime.is_active_session itself asks its session manager: not a caller
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        for line in path.read_text("utf-8").splitlines()
        if ".is_active_session(" in line and "_session_mgr.is_active_session(" not in line
    ]
    assert callers == ["web/server/starlette/starlette_routes.py"]
    source = (root / callers[0]).read_text("utf-8")
    route = source[source.index("async def _upload_put(") :]
    route = route[: route.index("\n    async def ", 1)]
    assert route.count(".is_active_session(") == 1
    assert route.index(".is_active_session(") < route.index("request.stream()")
    assert route.index(".is_active_session(") < route.index("form()")
    adders = {  # and that route is the only way into the server's uploaded files
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if "testing/" not in path.as_posix() and ".add_file(" in path.read_text("utf-8")
    }
    assert adders == {"web/server/starlette/starlette_routes.py"}
    assert source.count(".add_file(") == route.count(".add_file(") == 1


def test_uvicorn_wraps_every_app_in_proxy_headers_middleware_by_default():
    from uvicorn.config import Config

    config = Config(app=lambda *a: None)
    assert config.proxy_headers is True  # so the patched __call__ sees every request
    assert "127.0.0.1" in config.forwarded_allow_ips  # what it would otherwise believe


# --- on a real server -------------------------------------------------------------------


def demo_server(demo_db, folder, proxies: str):
    """The demo on a real server with the tests' analyst password and trusted proxies."""
    require_chromium()
    db = copy_store(demo_db, folder / "app.db")
    env = {auth.HASH_ENV: auth.hash_password(ANALYST_PASSWORD, n=2**10), auth.PROXIES_ENV: proxies}
    return streamlit_server(db, env)


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    with demo_server(demo_db, tmp_path_factory.mktemp("guard"), proxies="") as url:
        yield url


@pytest.fixture(scope="module")
def behind_proxy(demo_db, tmp_path_factory):
    """A server whose operator set ZONING_TRUSTED_PROXIES for a proxy on the same host."""
    with demo_server(demo_db, tmp_path_factory.mktemp("proxy"), "127.0.0.1, ::1") as url:
        yield url


PUT_JS = """async ([session, size]) => {
  const xsrf = document.cookie.match(/_streamlit_xsrf=([^;]+)/);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(size)]), 'kasus.csv');
  const r = await fetch(`/_stcore/upload_file/${session}/${crypto.randomUUID()}`, {
    method: 'PUT', body: form,
    headers: xsrf ? {'X-Xsrftoken': decodeURIComponent(xsrf[1])} : {}});
  return r.status;
}"""


def open_session(browser, url: str, path: str, heading: str, **context):
    """A page of the dashboard in a new browser context, and its Streamlit session id."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page = browser.new_context(**context).new_page()
    ids: list[str] = []

    def frames(ws) -> None:
        def frame(payload) -> None:
            if isinstance(payload, bytes):
                msg = ForwardMsg.FromString(payload)
                if msg.HasField("new_session"):
                    ids.append(msg.new_session.initialize.session_id)

        ws.on("framereceived", frame)

    page.on("websocket", frames)
    page.goto(f"{url}{path}")
    page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
    assert ids, "no session id seen"
    return page, ids[-1]


def held_upload_bytes(url: str) -> int:
    """Bytes of uploaded files the server holds now (Streamlit's own metrics, read after
    the few seconds for which the server keeps an earlier answer)."""
    from streamlit.web.server.starlette import starlette_routes

    time.sleep(starlette_routes._METRICS_EXPENSIVE_STATS_TTL_SECONDS + 0.5)
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as r:
        text = r.read().decode()
    lines = [line for line in text.splitlines() if "UploadedFileManager" in line]
    return sum(int(float(line.split()[-1])) for line in lines if not line.startswith("#"))


@pytest.mark.browser
def test_uploads_are_refused_to_visitors_and_taken_from_analysts(server, browser):
    visitor, visitor_id = open_session(browser, server, "/about?lang=en", "About")
    for _ in range(3):  # the issue: 6 x 150 MB from a session on /about filled the memory
        assert visitor.evaluate(PUT_JS, [visitor_id, 20 * 2**20]) == 403
    assert held_upload_bytes(server) == 0

    analyst, analyst_id = open_session(browser, server, "/upload?lang=en", "Upload data")
    analyst.get_by_label("Your name (recorded with every change)").fill("Bu Sari")
    analyst.get_by_label("Analyst password").fill(ANALYST_PASSWORD)
    analyst.get_by_role("button", name="Sign in").click()
    analyst.get_by_text("Recorded with the upload as: password:Bu Sari").wait_for(timeout=60_000)
    assert analyst.evaluate(PUT_JS, [analyst_id, 2**20]) == 204
    assert held_upload_bytes(server) == 2**20
    # the visitor is still refused while an analyst is signed in elsewhere
    assert visitor.evaluate(PUT_JS, [visitor_id, 2**20]) == 403
    visitor.context.close()
    analyst.context.close()


def failed_sign_ins(browser, url: str, addresses: list[str]) -> list[str]:
    """A wrong password from a new session for each X-Forwarded-For address; what it said."""
    said = re.compile("Wrong password|Too many failed attempts")
    messages = []
    for address in addresses:
        headers = {"X-Forwarded-For": address}
        page, _ = open_session(
            browser, url, "/upload?lang=en", "Upload data", extra_http_headers=headers
        )
        page.get_by_label("Your name (recorded with every change)").fill("Tamu")
        page.get_by_label("Analyst password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        messages.append(page.get_by_text(said).first.inner_text(timeout=60_000))
        page.context.close()
    return messages


@pytest.mark.browser
def test_a_forwarded_for_header_does_not_start_the_count_again(server, browser):
    first, _ = open_session(browser, server, "/about?lang=en", "About")  # guard installed
    addresses = [f"198.51.100.{i}" for i in range(1, auth.FREE_ATTEMPTS + 3)]  # all new
    messages = failed_sign_ins(browser, server, addresses)
    first.context.close()
    # one count for the lot, as if from one address: the new header bought nothing
    assert all("Try again in" not in m for m in messages[: auth.FREE_ATTEMPTS]), messages
    assert all("Try again in" in m for m in messages[auth.FREE_ATTEMPTS :]), messages


@pytest.mark.browser
def test_behind_a_trusted_proxy_each_client_has_its_own_count(behind_proxy, browser):
    first, _ = open_session(browser, behind_proxy, "/about?lang=en", "About")
    guesser = ["198.51.100.1"] * (auth.FREE_ATTEMPTS + 1)
    messages = failed_sign_ins(browser, behind_proxy, [*guesser, "198.51.100.2"])
    first.context.close()
    assert "Try again in" in messages[auth.FREE_ATTEMPTS]  # the guesser waits
    assert messages[-1] == "Wrong password."  # another client behind the proxy does not
