"""A throwaway PostgreSQL server for the tests that run the store on PostgreSQL.

Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``) start a cluster in a
temporary folder, listening only on a Unix socket there, with trust authentication; it is
stopped and deleted afterwards. As root the cluster runs as the ``postgres`` user, since
PostgreSQL refuses to run as root. Tests are skipped with a message when the binaries or
the ``psycopg`` driver are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@contextmanager
def postgres_server():
    """Yield the SQLAlchemy URL of an empty database on a new PostgreSQL server."""
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL test skipped: no /usr/lib/postgresql (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL test skipped: the 'psycopg' driver is not installed")
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("PostgreSQL test skipped: running as root without a 'postgres' user")
    root = Path(tempfile.mkdtemp(prefix="zoning-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if owner:
        for folder in (root, sockets):
            shutil.chown(folder, owner)
    run = lambda *cmd: subprocess.run(  # noqa: E731
        _as_owner([str(bin_dir / cmd[0]), *cmd[1:]], owner),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    try:
        run("initdb", "-D", str(data), "--auth=trust", "--username=postgres", "-E", "UTF8")
        options = f"-c listen_addresses='' -c unix_socket_directories={sockets} -c fsync=off"
        log = root / "postgres.log"  # not a pipe: the server keeps its output open
        run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start")
        try:
            run("createdb", "-h", str(sockets), "-U", "postgres", "zoning")
            yield f"postgresql+psycopg://postgres@/zoning?host={sockets}"
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"PostgreSQL would not start: {exc.stderr}") from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
