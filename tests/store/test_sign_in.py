"""Failed sign-ins counted in the store, shared by every replica (``Store.sign_in_begin``)."""

from __future__ import annotations

import threading

import pytest

from zoning.core import auth
from zoning.store import Store


@pytest.fixture
def tiny_store(tiny_store_sql: Store) -> Store:  # once in SQLite, once in PostgreSQL
    return tiny_store_sql


def test_attempts_at_the_same_moment_on_two_replicas_are_counted_one_after_another(tiny_store):
    replicas = [Store(tiny_store.url), Store(tiny_store.url)]
    start, waits = threading.Barrier(12), []

    def attempt(k: int) -> None:
        start.wait()
        waits.append(replicas[k % 2].sign_in_begin("client-hash", 1_000.0))

    threads = [threading.Thread(target=attempt, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits)[: auth.FREE_ATTEMPTS + 1] == [0.0] * (auth.FREE_ATTEMPTS + 1)
    assert all(w == 1.0 for w in sorted(waits)[auth.FREE_ATTEMPTS + 1 :])  # the 5th waits 1 s
    assert replicas[1].sign_in_wait("client-hash", 1_000.5) == 0.5
    assert replicas[0].sign_in_wait("another", 1_000.0) == 0.0
    # after the wait, one more attempt, then a longer wait; a sign-in clears it everywhere
    assert replicas[0].sign_in_begin("client-hash", 1_001.0) == 0.0
    assert replicas[1].sign_in_begin("client-hash", 1_001.5) == 1.5
    replicas[1].sign_in_cleared("client-hash")
    assert replicas[0].sign_in_wait("client-hash", 1_001.5) == 0.0


def test_rows_of_clients_quiet_for_a_day_are_forgotten(tiny_store):
    tiny_store.sign_in_begin("old", 0.0)
    tiny_store.sign_in_begin("new", 90_000.0)
    with tiny_store.engine.connect() as conn:
        kept = {row[0] for row in conn.exec_driver_sql("SELECT client FROM sign_in_failures")}
    assert kept == {"new"}
