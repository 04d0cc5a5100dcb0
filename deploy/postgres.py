"""A throwaway PostgreSQL server from Debian's binaries (the tests and ``deploy.local``).

Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``) start a cluster in a
temporary folder, listening only on a Unix socket there, with trust authentication; it is
stopped and deleted afterwards. As root the cluster runs as the ``postgres`` user, since
PostgreSQL refuses to run as root. :class:`Unavailable` says, in words, what is missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Unavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says what to install."""


def binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin``, if PostgreSQL is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


def _check() -> tuple[Path, str | None]:
    bin_dir = binaries()
    if bin_dir is None:
        raise Unavailable("no /usr/lib/postgresql (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("the 'psycopg' driver is not installed") from None
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres").pw_name
        except KeyError:
            raise Unavailable("running as root without a 'postgres' user") from None
    return bin_dir, owner


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database ``zoning`` on a new PostgreSQL server;
    the server and its files are gone afterwards. Raises :class:`Unavailable`."""
    bin_dir, owner = _check()
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
            # (not checked: a Ctrl-C at the terminal may have stopped the server already)
            subprocess.run(
                _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                           "stop"], owner), capture_output=True,
            )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"PostgreSQL would not start: {exc.stderr}") from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
