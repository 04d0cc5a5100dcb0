"""Two (or more) dashboard replicas behind nginx on one PostgreSQL store, on this machine.

    python -m deploy.local                  # or: deploy/up
    python -m deploy.local --db postgresql+psycopg://user@host/zoning --replicas 3
    python -m deploy.local --site-config --listen 80 --replica 10.0.0.5:8501 --replica ...

1. PostgreSQL: a throwaway cluster from Debian's binaries (:mod:`deploy.postgres`, gone
   when this stops), or the store at ``--db``.
2. The demo is installed into it when it is empty (``python -m zoning --db URL demo``);
   this also makes the tables, before any replica opens the store.
3. ``--replicas`` Streamlit processes (``streamlit run app.py``) on ports of their own,
   all on that store, with one cookie secret and nginx as their trusted proxy.
4. nginx in the foreground with ``deploy/nginx-site.conf.template`` filled in (sticky
   sessions by a cookie, WebSocket upgrade for ``/_stcore/stream``), every file of it in a
   temporary folder.
5. The address to open is printed; Ctrl-C (or SIGTERM) stops nginx, the replicas and
   PostgreSQL, in that order. If any of them exits on its own, everything stops.

``--site-config`` prints the site configuration for the ``--replica`` addresses instead (a
file for Debian's ``/etc/nginx/sites-available/``; README.md, "More than one machine").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SITE_TEMPLATE = HERE / "nginx-site.conf.template"
LOCAL_TEMPLATE = HERE / "nginx-local.conf.template"
NGINX = "/usr/sbin/nginx"


class SetError(RuntimeError):
    """A part of the set did not start; the message says which and shows its log's end."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def nginx_binary() -> str | None:
    """Debian's nginx, if installed (``apt-get install nginx``)."""
    return shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)


def site_config(listen: str, replicas: list[str]) -> str:
    """The site configuration: people open ``listen``; ``replicas`` are ``host:port``."""
    if not replicas:
        raise ValueError("at least one replica address (host:port) is needed")
    servers = "\n".join(f"    server {address};" for address in replicas)
    return SITE_TEMPLATE.read_text().replace("@LISTEN@", listen).replace("@REPLICAS@", servers)


def local_config(run: Path) -> str:
    """nginx's main configuration for a run in the folder ``run`` (holding ``site.conf``)."""
    return LOCAL_TEMPLATE.read_text().replace("@RUN@", str(run))


def healthy(url: str) -> bool:
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r,
    ):
        return r.status == 200
    return False


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    """Stop ``proc`` and the processes it started (its own process group), by its id."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@dataclass
class Part:
    name: str
    proc: subprocess.Popen
    log: Path


@dataclass
class ReplicaSet:
    """A running set: ``url`` is the proxy's address, ``replicas`` the replicas' own."""

    url: str
    replicas: list[str]
    run: Path
    parts: list[Part] = field(default_factory=list)

    @property
    def access_log(self) -> Path:
        return self.run / "access.log"

    def exited(self) -> Part | None:
        """A part that exited on its own, if any."""
        return next((p for p in self.parts if p.proc.poll() is not None), None)


def replica_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip


def _start(name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Part:
    out = log.open("w")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    out.close()  # the child holds it
    return Part(name, proc, log)


def _wait_healthy(part: Part, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if part.proc.poll() is not None:
            raise SetError(f"{part.name} exited ({part.proc.returncode}):\n{_tail(part.log)}")
        if time.monotonic() > deadline:
            raise SetError(f"{part.name} did not answer at {url} within {timeout:.0f} s:\n"
                           f"{_tail(part.log)}")  # fmt: skip
        time.sleep(0.3)


@contextlib.contextmanager
def running(
    db: str, replicas: int = 2, port: int = 0, env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Iterator[ReplicaSet]:  # fmt: skip
    """Run ``replicas`` dashboards on the store ``db`` behind nginx on ``port`` (0: a free
    one); ``env`` is added to the replicas' environment. Everything stops afterwards."""
    nginx = nginx_binary()
    if nginx is None:
        raise SetError("nginx is not installed (apt-get install nginx)")
    run = Path(tempfile.mkdtemp(prefix="zoning-deploy-"))
    run.chmod(0o755)  # nginx's workers (nobody) use the temporary folders inside
    ports = [free_port() for _ in range(replicas)]
    common = {
        **os.environ,
        **(env or {}),
        "ZONING_DB": db,
        "ZONING_TRUSTED_PROXIES": "127.0.0.1",  # nginx: the client is in X-Forwarded-For
        # one secret for every replica: a cookie one of them set is valid at all of them
        "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32),
    }
    the_set = ReplicaSet("", [f"http://127.0.0.1:{p}" for p in ports], run)
    try:
        for i, p in enumerate(ports, start=1):
            the_set.parts.append(_start(f"replica {i}", replica_command(p), run / f"replica{i}.log",
                                        common))  # fmt: skip
        for part, url in zip(the_set.parts, the_set.replicas, strict=True):
            _wait_healthy(part, url, timeout)
        listen = port or free_port()
        (run / "site.conf").write_text(site_config(f"127.0.0.1:{listen}",
                                                   [f"127.0.0.1:{p}" for p in ports]))  # fmt: skip
        (run / "nginx.conf").write_text(local_config(run))
        proxy = _start("nginx", [nginx, "-p", str(run), "-e", str(run / "error.log"),
                                 "-c", str(run / "nginx.conf")],
                       run / "nginx.log")  # fmt: skip
        the_set.parts.insert(0, proxy)
        the_set.url = f"http://127.0.0.1:{listen}"
        _wait_healthy(proxy, the_set.url, 30)
        yield the_set
    finally:
        for part in the_set.parts:  # nginx first: no new requests reach a stopping replica
            stop(part.proc, signal.SIGQUIT if part.name == "nginx" else signal.SIGTERM)
        shutil.rmtree(run, ignore_errors=True)


def install_demo(db: str) -> None:
    """The demo into an empty store (the command line's ``demo``; a store with data is kept)."""
    done = subprocess.run([sys.executable, "-m", "zoning", "--db", db, "demo"], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise SetError(f"installing the demo failed:\n{done.stderr[-3000:]}")
    print(done.stderr.strip(), flush=True)


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    if not port_free(args.port):
        raise SetError(f"port {args.port} is in use: choose another with --port")
    with contextlib.ExitStack() as stack:
        db = args.db
        if db is None:
            from deploy.postgres import throwaway_postgres

            print("starting a throwaway PostgreSQL ...", flush=True)
            db = stack.enter_context(throwaway_postgres())
        print("installing the demo if the store is empty (a minute or two) ...", flush=True)
        install_demo(db)
        print(f"starting {args.replicas} replicas and nginx ...", flush=True)
        the_set = stack.enter_context(running(db, args.replicas, args.port))
        for part, url in zip(the_set.parts[1:], the_set.replicas, strict=True):
            print(f"  {part.name}: {url} (pid {part.proc.pid}, log {part.log})")
        print(f"\nOpen {the_set.url}  (Ctrl-C stops everything)\n", flush=True)
        while (gone := the_set.exited()) is None:
            time.sleep(1)
        print(f"{gone.name} exited ({gone.proc.returncode}); stopping:\n{_tail(gone.log)}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", help="a store's URL (default: a throwaway PostgreSQL)")
    parser.add_argument("--replicas", type=int, default=2, help="how many (default 2)")
    parser.add_argument("--port", type=int, default=8600, help="the proxy's port (8600)")
    parser.add_argument(
        "--site-config", action="store_true",
        help="print nginx's site configuration for --listen and --replica, and exit",
    )  # fmt: skip
    parser.add_argument("--listen", default="80", help="with --site-config: what nginx listens on")
    parser.add_argument(
        "--replica", action="append", default=[], metavar="HOST:PORT",
        help="with --site-config: a replica's address (repeat for each)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.site_config:
        if not args.replica:
            parser.error("--site-config needs a --replica HOST:PORT for each replica")
        print(site_config(args.listen, args.replica), end="")
        return 0
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    try:
        return serve(args)
    except KeyboardInterrupt:
        also = "" if args.db else " and the throwaway PostgreSQL"
        print(f"\nstopped: nginx, the replicas{also}", file=sys.stderr)
        return 0
    except SetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
