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


def test_ten_sign_ins_at_once_from_one_address_reach_the_check_as_one_after_another():
    start, checked = threading.Barrier(10), []

    def check() -> bool:
        checked.append(1)
        time.sleep(0.05)  # scrypt takes a while: the others arrive meanwhile
        return False

    def attempt() -> None:
        start.wait()  # ten new sessions, each with its own count, one address
        access._attempt("203.0.113.7", auth.Throttle(), check)

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one_after_another = auth.FREE_ATTEMPTS + 1  # the fourth failure is the first to wait
    assert len(checked) == one_after_another
    assert access.ADDRESS_THROTTLES.wait("203.0.113.7", time.monotonic()) > 0


def test_an_attempt_too_soon_is_not_checked_and_a_right_one_clears_the_count():
    throttle, calls = auth.Throttle(), []
    for _ in range(auth.FREE_ATTEMPTS + 1):
        ok, wait = access._attempt("192.0.2.8", throttle, lambda: calls.append(1) or False)
    assert ok is False and wait > 0
    ok, wait = access._attempt("192.0.2.8", throttle, lambda: calls.append(1) or True)
    assert ok is None and wait > 0 and len(calls) == auth.FREE_ATTEMPTS + 1
    access.ADDRESS_THROTTLES.succeeded("192.0.2.8")
    ok, wait = access._attempt("192.0.2.8", auth.Throttle(), lambda: True)
    assert (ok, wait) == (True, 0.0)
    assert access.ADDRESS_THROTTLES.wait("192.0.2.8", time.monotonic()) == 0.0


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
