"""A throwaway PostgreSQL server for the tests that run the store on PostgreSQL.

The server is :func:`deploy.postgres.throwaway_postgres` (Debian's binaries, a temporary
folder, a Unix socket, trust authentication); tests are skipped with its message when the
binaries or the ``psycopg`` driver are missing.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import pytest

from deploy.postgres import Unavailable, throwaway_postgres


@contextmanager
def postgres_server():
    """Yield the SQLAlchemy URL of an empty database on a new PostgreSQL server."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgres())
        except Unavailable as exc:
            pytest.skip(f"PostgreSQL test skipped: {exc}")
        yield url
