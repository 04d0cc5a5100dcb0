"""ui/access.py: sign-in attempts counted before the check, an unusable hash said at once,
and analysts' sessions noted for the upload guard."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import open_page, sign_in

from ui import access, guard
from zoning.core import auth
from zoning.store import Store

#: The hash of the issue: accepted by the old checks, refused by hashlib (1 GiB).
TOO_MUCH_MEMORY = (
    "scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


@pytest.fixture
def store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


@pytest.mark.parametrize("replicas", [1, 2])
def test_ten_sign_ins_at_once_from_one_address_reach_the_check_as_one_after_another(
    tiny_store: Store, replicas: int
):
    """Ten new sessions at once, on one replica or spread over two on the same store (a
    client that drops its cookie lands on either behind the proxy)."""
    start, checked = threading.Barrier(10), []
    servers = [access.SharedThrottles(Store(tiny_store.url)) for _ in range(replicas)]

    def check() -> bool:
        checked.append(1)
        time.sleep(0.05)  # scrypt takes a while: the others arrive meanwhile
        return False

    def attempt(k: int) -> None:
        start.wait()  # ten new sessions, each with its own count, one address
        access._attempt("203.0.113.7", auth.Throttle(), check, servers[k % replicas])

    threads = [threading.Thread(target=attempt, args=(k,)) for k in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one_after_another = auth.FREE_ATTEMPTS + 1  # the fourth failure is the first to wait
    assert len(checked) == one_after_another
    assert all(server.wait("203.0.113.7") > 0 for server in servers)
    assert servers[0].wait("203.0.113.8") == 0.0  # another address


def test_an_attempt_too_soon_is_not_checked_and_a_right_one_clears_the_count(tiny_store):
    throttle, calls = auth.Throttle(), []
    addresses = access.SharedThrottles(tiny_store)
    for _ in range(auth.FREE_ATTEMPTS + 1):
        ok, wait = access._attempt(
            "192.0.2.8", throttle, lambda: calls.append(1) or False, addresses
        )
    assert ok is False and wait > 0
    ok, wait = access._attempt("192.0.2.8", throttle, lambda: calls.append(1) or True, addresses)
    assert ok is None and wait > 0 and len(calls) == auth.FREE_ATTEMPTS + 1
    # a new session on another replica: the address must still wait
    other = access.SharedThrottles(Store(tiny_store.url))
    ok, wait = access._attempt("192.0.2.8", auth.Throttle(), lambda: True, other)
    assert ok is None and wait > 0
    addresses.succeeded("192.0.2.8")
    ok, wait = access._attempt("192.0.2.8", auth.Throttle(), lambda: True, other)
    assert (ok, wait) == (True, 0.0)
    assert addresses.wait("192.0.2.8") == 0.0
    # only a hash of the address is kept
    with tiny_store.engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT client FROM sign_in_failures").fetchall()
    assert all("192.0.2" not in row[0] for row in kept)


@pytest.mark.parametrize(
    ("lang", "said", "why"),
    [
        ("id", "Hash kata sandi analis yang disiapkan pengelola", "memakai 1024 MiB memori"),
        ("en", "The analyst password hash the operator set", "take 1024 MiB of memory"),
    ],
)
def test_a_hash_beyond_the_bounds_is_said_when_the_page_opens(store, monkeypatch, lang, said, why):
    monkeypatch.setenv(auth.HASH_ENV, TOO_MUCH_MEMORY)
    at = open_page("upload", lang=lang)
    assert not at.exception  # was a traceback with the server's paths, on signing in
    assert said in at.error[0].value and why in at.error[0].value
    assert not at.text_input and not at.file_uploader


def test_a_signed_in_session_is_noted_for_the_upload_guard_until_it_signs_out(
    store, analyst_password
):
    before = dict(guard._analysts)
    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    noted = {sid for sid, who in guard._analysts.items() if who == "password:Bu Sari"}
    assert len(noted - set(before)) == 1
    next(b for b in at.sidebar.button if b.label == "Sign out").click()
    at.run()
    assert not (noted - set(before)) & set(guard._analysts)
