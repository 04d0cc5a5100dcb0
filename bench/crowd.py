"""Crowd: many viewers on the briefing page while an analyst uploads new counts.

Run by hand (not a test):

    .venv/bin/python bench/crowd.py [--viewers 30] [--browsers 6] [--seconds 120]
    .venv/bin/python bench/crowd.py --replicas 2 --viewers 60   # behind nginx, PostgreSQL

1. A temporary store holds the demo (``python -m zoning demo``; built once and cached as
   ``bench/results/stores/demo.db``, copied for each run; ``--fresh`` rebuilds it).
2. The dashboard runs on it (``streamlit run dashboard.py``, headless, a free port,
   ``ZONING_TIMING=1``, no file watcher, as deployed: with one, a source file edited during
   the run makes Streamlit drop its module while sessions import it).
   With ``--replicas N``: N dashboards behind nginx on PostgreSQL holding the demo, as
   ``python -m deploy.local`` runs them (a throwaway PostgreSQL unless ``--db``); the viewers
   open the proxy's address and nginx spreads them (each browser by its route cookie, each
   protocol client by its connection); the servers' CPU and memory are all replicas' and
   nginx's together, and the report says how many sessions each replica held.
3. One session loads the page first, on each replica (a server that has been up a while;
   ``--cold`` skips it: see "cold start" in ``bench/README.md``).
4. ``--viewers`` sessions open ``/briefing`` at once and stay on it for ``--seconds``:
   ``--browsers`` of them are headless Chromium pages, each in its own browser context (its
   own session, no shared cache); the others are protocol clients (:class:`Listener`): a
   Streamlit session over its WebSocket, asking for the page and running its timed
   fragment reruns as the front end does, without drawing anything. Thirty Chromium pages
   need ~10 GB and both cores of this 2-core machine, which starves the server they measure
   (a run with 30 pages: 5 of them showed the page within 120 s, the server got a quarter
   of one core); the protocol clients load the server the same way at a fraction of the cost.
5. At ``--upload-at`` seconds, the analyst imports ``--days`` more days of counts for every
   village with ``python -m zoning --db DB cases import FILE``: the store's "as of" day moves
   on. A thread polls the store's ``data_version`` every 20 ms: the first new value is the
   commit.
6. Each viewer records, by the machine's clock, when the "Data per ..." line first shows,
   (pages) when the map is drawn, and every change of that line; the briefing polls the data
   version every 5 s and redraws itself when it changed.

Reported: errors any viewer saw (uncaught page errors, console errors, Streamlit exception
boxes, failed or refused requests, WebSocket closes before the end); first load per viewer
(from asking for the page to the data line, and for pages to the map drawn; p50/p95/max);
the time from the commit until each viewer shows the new "as of" day; the server's CPU
(percent of one core, sampled every second, its process tree) and resident memory; the
browsers' memory and the machine's load; the full page runs the server logged. The figures
are printed as a Markdown table and written to ``bench/results/crowd-<time>.json``.

The viewers run on the same machine as the server and compete with it for the CPU: the
latencies are an upper bound for viewers on their own machines. Background-tab throttling
is off in Chromium (each page stands for a screen showing the briefing).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html as html_module
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from procs import free_port, process_tree, stop, usage

from zoning.store import Store

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEMO_CACHE = RESULTS / "stores" / "demo.db"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]  # fmt: skip
VIEWPORT = {"width": 1600, "height": 1000}
TIMING = re.compile(r"zoning\.timing rerun page=(\S+) ms=([0-9.]+)")
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
#: The front end's start-up probes (``<page path>/_stcore/...`` answer 404 before the root).
_PROBE = re.compile(r"/_stcore/(health|host-config)")

# Runs in every frame of every viewer: the page records what a person would see, by its clock.
WATCH_JS = """(() => {
  if (window.top === window) {
    const state = {lines: [], firstLine: null, mapDrawn: null, exceptions: [],
                   hidden: 0};
    window.__crowd = state;
    setInterval(() => {
      const el = document.querySelector('.brief-data');
      const text = el ? el.textContent.trim() : '';
      if (text) {
        const last = state.lines.length ? state.lines[state.lines.length - 1][1] : null;
        if (text !== last) state.lines.push([Date.now(), text]);
        if (state.firstLine === null) state.firstLine = Date.now();
      }
      for (const e of document.querySelectorAll('[data-testid="stException"]')) {
        const t = e.textContent.slice(0, 300);
        if (!state.exceptions.includes(t)) state.exceptions.push(t);
      }
      if (document.visibilityState !== 'visible') state.hidden += 1;
    }, 50);
  } else {
    setInterval(() => {
      try {
        const s = window.top.__crowd;
        if (s && s.mapDrawn === null && document.body &&
            Number(document.body.dataset.drawn || 0) > 0) s.mapDrawn = Date.now();
      } catch (e) {}
    }, 50);
  }
})();"""


# --- the server and its store -------------------------------------------------------------------


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from ``/proc/stat``."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


@dataclass
class Server:
    """The dashboard as the viewers reach it: one Streamlit process, or (``--replicas``)
    nginx in front of several, whose logs are read as they are written."""

    pids: list[int]  # the processes whose CPU and memory count as the server's
    url: str
    reruns: list[tuple[float, str, float]] = field(default_factory=list)  # (time, page, ms)
    problems: list[tuple[float, str]] = field(default_factory=list)  # (when, traceback)
    tail: list[str] = field(default_factory=list)
    replicas: list[str] = field(default_factory=list)  # their own addresses (--replicas)
    access_log: Path | None = None  # nginx's (--replicas)

    def read(self, lines, log: Path | None = None) -> None:
        """Read the server's output ``lines`` (copied to ``log`` when given) as they come."""
        block: list[str] = []  # a traceback being read: kept whole, up to its last line
        since = 0.0
        with log.open("w") if log else contextlib.nullcontext() as out:
            for line in lines:
                if out:
                    out.write(line)
                self.tail = [*self.tail[-29:], line.rstrip()]
                if match := TIMING.search(line):
                    self.reruns.append((time.time(), match.group(1), float(match.group(2))))
                    continue
                if block and (line.startswith((" ", "Traceback", "During", "The above"))
                              or not line.strip()):  # fmt: skip
                    block.append(line.rstrip())
                    continue
                if block:
                    self.problems.append((since, "\n".join([*block, line.rstrip()])[-3000:]))
                    block = []
                elif re.search(r"Traceback|Error|Exception", line):
                    block, since = [line.rstrip()], time.time()
            if block:
                self.problems.append((since, "\n".join(block)[-3000:]))


def demo_store(folder: Path, fresh: bool) -> Path:
    """A copy of the demo store (built once with ``python -m zoning demo`` and cached)."""
    if fresh or not DEMO_CACHE.exists():
        DEMO_CACHE.parent.mkdir(parents=True, exist_ok=True)
        for old in DEMO_CACHE.parent.glob(DEMO_CACHE.name + "*"):
            old.unlink()
        print("building the demo store (about half a minute) ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "zoning", "--db", str(DEMO_CACHE), "demo"],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
    db = folder / "crowd.db"
    shutil.copyfile(DEMO_CACHE, db)
    return db


def counts_file(db: Path, days: int, path: Path) -> tuple[str, int]:
    """``days`` more days for every village with counts: (the new "as of" day, rows)."""
    store = Store(str(db))
    as_of = pd.Timestamp(store.meta()["as_of"])
    recent = store.counts("village", start=(as_of - pd.Timedelta(days=13)).date())
    store.engine.dispose()
    mean = recent.groupby("region")["new_cases"].mean().fillna(0.5).clip(lower=0.2)
    rng = np.random.default_rng(7)
    lines = ["tanggal;kode_wilayah;kasus_baru;meninggal_harian;tes;tes_positif"]
    for k in range(1, days + 1):
        day = as_of + pd.Timedelta(days=k)
        cases = rng.poisson(mean.to_numpy() * 1.3)
        for code, n in zip(mean.index, cases, strict=True):
            tests = n * 8 + 5
            lines.append(f"{day:%d/%m/%Y};{code};{n};{int(n > 6)};{tests};{n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return (as_of + pd.Timedelta(days=days)).date().isoformat(), len(lines) - 1


def healthy(url: str) -> bool:
    health = f"{url}/_stcore/health"
    with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2) as r:
        return r.status == 200
    return False


@contextlib.contextmanager
def serve(db: Path, log: Path):
    port = free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.enableStaticServing", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {**os.environ, "ZONING_DB": str(db), "ZONING_TIMING": "1"}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    server = Server([proc.pid], f"http://127.0.0.1:{port}")
    threading.Thread(target=server.read, args=(proc.stdout, log), daemon=True).start()
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + "\n".join(server.tail))
            if healthy(server.url):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 90 s")
            time.sleep(0.3)
        yield server
    finally:
        stop(proc)


def follow(path: Path, done: threading.Event):
    """The lines of a log file another process is writing, until ``done``."""
    with path.open(errors="replace") as f:
        part = ""
        while True:
            part += f.readline()
            if part.endswith("\n"):
                yield part
                part = ""
            elif done.is_set():
                return
            else:
                time.sleep(0.2)


@contextlib.contextmanager
def serve_replicas(db: str, replicas: int):
    """``replicas`` dashboards behind nginx on the store ``db`` (deploy/local.py)."""
    from deploy.local import running

    with running(db, replicas, env={"ZONING_TIMING": "1"}) as the_set:
        server = Server([part.proc.pid for part in the_set.parts], the_set.url)
        server.replicas = the_set.replicas
        server.access_log = the_set.access_log
        done = threading.Event()
        for part in the_set.parts[1:]:  # (the first is nginx)
            threading.Thread(target=server.read, args=(follow(part.log, done),),
                             daemon=True).start()  # fmt: skip
        try:
            yield server
        finally:
            done.set()


def spread(access_log: Path) -> dict[str, int]:
    """How many WebSocket sessions nginx sent to each replica (logged when they closed)."""
    found: dict[str, int] = {}
    for line in access_log.read_text().splitlines():
        if match := re.match(r'^\S+ "([^"]*)" 101 "GET /_stcore/stream', line):
            found[match.group(1)] = found.get(match.group(1), 0) + 1
    return found


# --- the viewers ---------------------------------------------------------------------------------


@dataclass
class Viewer:
    """A viewer in headless Chromium: the page as a person sees it."""

    page: object
    opened: float  # time.time() just before the page was asked for
    kind: str = "browser"
    probe_retries: int = 0
    errors: list[str] = field(default_factory=list)
    closed_sockets: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)

    @classmethod
    def open(cls, browser, url: str) -> Viewer:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(WATCH_JS)
        page = context.new_page()
        viewer = cls(page, 0.0)
        page.on("pageerror", lambda exc: viewer.errors.append(f"page error: {exc}"[:300]))
        page.on("console", viewer._console)
        page.on("requestfailed", viewer._failed)
        page.on("response", viewer._response)
        page.on("websocket", viewer._websocket)
        viewer.opened = time.time()
        # not page.goto, which waits for the server's answer: the viewers arrive at once
        page.evaluate("(url) => { window.location.href = url; }", url)
        return viewer

    def _failed(self, request) -> None:
        # the front end gives up on a slow start-up probe and asks again: not an error the
        # viewer sees, but a sign of a slow server; counted apart
        if _PROBE.search(request.url) and "ERR_ABORTED" in str(request.failure):
            self.probe_retries += 1
        else:
            self.errors.append(f"failed: {request.url} {request.failure}")

    def _console(self, message) -> None:
        where = (message.location or {}).get("url", "")
        if message.type == "error" and not (
            "404" in message.text and _PROBE.search(where)
        ):  # (the 404s of the front end's start-up probes, see _response)
            self.errors.append(f"console: {message.text} ({where})"[:300])

    def _response(self, response) -> None:
        # the front end probes <page path>/_stcore/... for the server's base path first
        probe = _PROBE.search(response.url)
        if response.status >= 400 and not (response.status == 404 and probe):
            self.errors.append(f"HTTP {response.status}: {response.url}")
        if not response.url.startswith(LOCAL):
            self.errors.append(f"left the machine: {response.url}")

    def _websocket(self, ws) -> None:
        ws.on("close", lambda w: self.closed_sockets.append(f"{time.time():.3f} {w.url}"))

    def collect(self) -> None:
        with contextlib.suppress(PlaywrightError):
            self.state = self.page.evaluate("() => window.__crowd || {}") or {}


_DATA_LINE = re.compile(r"class='brief-data'>([^<]*)<")


@dataclass
class Listener:
    """A viewer without a browser: a Streamlit session driven over its WebSocket protocol.

    It asks for the page as the front end does (a ``rerun_script`` with the page's name and
    query), runs the page's timed fragment reruns (``auto_rerun``) as the front end does, and
    reads the "Data per ..." line and any exception from the elements it receives. It does
    not draw: no map component, no layout.
    """

    url: str
    query: str
    page: str
    opened: float = 0.0
    kind: str = "protocol"
    errors: list[str] = field(default_factory=list)
    closed_sockets: list[str] = field(default_factory=list)
    state: dict = field(default_factory=lambda: {"lines": [], "firstLine": None,
                                                 "mapDrawn": None, "exceptions": []})  # fmt: skip
    script_hash: str = ""
    timers: dict = field(default_factory=dict)
    leave_when_drawn: bool = False  # (the warm-up session)

    def _rerun(self, fragment_id: str = "") -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = "" if self.script_hash else self.page
        state.page_script_hash = self.script_hash
        state.context_info.url = f"{self.url}/{self.page}?{self.query}"
        state.context_info.timezone = "Asia/Jakarta"
        state.context_info.locale = "id-ID"
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        return msg.SerializeToString()

    async def run(self, until: float) -> None:
        import asyncio

        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from websockets.asyncio.client import connect

        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.opened = time.time()
        try:
            async with connect(ws_url, subprotocols=["streamlit"], max_size=None,
                               open_timeout=300, ping_timeout=None) as ws:  # fmt: skip
                await ws.send(self._rerun())
                while time.time() < until:
                    if self.leave_when_drawn and self.state["firstLine"] is not None:
                        break
                    try:
                        data = await asyncio.wait_for(ws.recv(), timeout=1.0)
                    except TimeoutError:
                        continue
                    msg = ForwardMsg()
                    msg.ParseFromString(data)
                    self._handle(msg, ws)
                for task in self.timers.values():
                    task.cancel()
        except Exception as exc:  # the connection failed or closed under the viewer
            self.closed_sockets.append(f"{time.time():.3f} {type(exc).__name__}: {exc}"[:300])

    def _handle(self, msg, ws) -> None:
        import asyncio

        kind = msg.WhichOneof("type")
        if kind == "navigation":  # the page st.navigation chose: what the front end asks for
            self.script_hash = msg.navigation.page_script_hash
        elif kind == "new_session":
            if not msg.metadata.run.fragment_ids:  # a full run: the front end drops its timers
                for task in self.timers.values():
                    task.cancel()
                self.timers.clear()
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                if fragment in self.timers:
                    self.timers.pop(fragment).cancel()
        elif kind == "auto_rerun":
            every, fragment = msg.auto_rerun.interval, msg.auto_rerun.fragment_id
            if fragment not in self.timers:
                self.timers[fragment] = asyncio.ensure_future(self._every(ws, every, fragment))
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "markdown" and (found := _DATA_LINE.search(element.markdown.body)):
                text = html_module.unescape(found.group(1)).strip()
                now = int(time.time() * 1000)
                lines = self.state["lines"]
                if not lines or lines[-1][1] != text:
                    lines.append([now, text])
                if self.state["firstLine"] is None:
                    self.state["firstLine"] = now
            elif which == "exception":
                text = f"{element.exception.type}: {element.exception.message}"[:300]
                if text not in self.state["exceptions"]:
                    self.state["exceptions"].append(text)
        elif kind == "ref_hash":
            self.errors.append("a cached message referred to (not asked for)")

    async def _every(self, ws, seconds: float, fragment: str) -> None:
        import asyncio

        while True:
            await asyncio.sleep(seconds)
            await ws.send(self._rerun(fragment))


def listen(listeners: list[Listener], until: float) -> None:
    """Run the protocol viewers in one event loop (a thread of their own)."""
    import asyncio

    async def everyone() -> None:
        await asyncio.gather(*(v.run(until) for v in listeners))

    asyncio.run(everyone())


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    arr = np.array(values)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "max": round(float(arr.max()), 2),
    }


def version_reader(db: Path | str):
    """A function reading the store's data version: a SQLite file read-only (no lock held
    against the import), or a PostgreSQL store through :class:`Store`."""
    if "://" in str(db):
        store = Store(str(db))
        return store.data_version

    def read() -> int | None:
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
            finally:
                conn.close()
            return int(row[0]) if row else None
        return None

    return read


def watch_commit(db: Path | str, before: int, found: dict, stop: threading.Event) -> None:
    """Note the moment the store's data version first moves past ``before``."""
    read = version_reader(db)
    while not stop.is_set():
        version = read()
        if version is not None and version > before:
            found["commit"] = time.time()
            return
        time.sleep(0.02)


# --- the run -------------------------------------------------------------------------------------


def server_usage(pids: list[int]) -> tuple[float, int]:
    """CPU seconds and resident bytes of the server's processes and their children."""
    return usage([q for p in pids for q in process_tree(p)])


def sample(server_pids: list[int], start: float, samples: list[dict],
           stop: threading.Event) -> None:  # fmt: skip
    """Every second: the server's CPU and memory, the browsers' memory, the machine's load."""
    last = (time.time(), server_usage(server_pids)[0], machine_busy())
    while not stop.wait(1.0):
        now = time.time()
        cpu, rss = server_usage(server_pids)
        _, everything = usage(process_tree(os.getpid()))  # this script, its driver and browsers
        busy = machine_busy()
        samples.append({
            "t": round(now - start, 2),
            "server_cpu_pct": round((cpu - last[1]) / (now - last[0]) * 100, 1),
            "server_rss_mb": round(rss / 2**20, 1),
            "browsers_rss_mb": round((everything - rss) / 2**20, 1),
            "machine_busy_pct": round(
                (busy[0] - last[2][0]) / max(1.0, busy[1] - last[2][1]) * 100, 1),
            "loadavg": os.getloadavg()[0],
        })  # fmt: skip
        last = (now, cpu, busy)


def analyst(args, db: Path | str, csv: Path, start: float, upload: dict, found: dict) -> None:
    """At ``--upload-at`` s, import the new days of counts as an analyst does."""
    version = Store(str(db)).data_version()
    time.sleep(max(0.0, start + args.upload_at - time.time()))
    stop = threading.Event()
    watcher = threading.Thread(target=watch_commit, args=(db, version, found, stop), daemon=True)
    watcher.start()
    cmd = [sys.executable, "-m", "zoning", "--db", str(db), "cases", "import", str(csv)]
    upload["started"] = time.time()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    upload.update(ended=time.time(), code=done.returncode, stdout=done.stdout.strip(),
                  stderr=done.stderr.strip()[-2000:])  # fmt: skip
    watcher.join(timeout=5)
    stop.set()


@contextlib.contextmanager
def the_server(args: argparse.Namespace, folder: Path):
    """The store and the dashboard the viewers open: ``(db, server, new as-of day, rows)``.

    One Streamlit process on a copy of the cached demo store (SQLite), or with
    ``--replicas N`` N of them behind nginx (deploy/local.py) on PostgreSQL (a throwaway
    server unless ``--db``) holding the demo.
    """
    with contextlib.ExitStack() as stack:
        if args.replicas:
            from deploy.local import install_demo
            from deploy.postgres import throwaway_postgres

            db = args.db or stack.enter_context(throwaway_postgres())
            print("installing the demo into PostgreSQL (about a minute) ...", file=sys.stderr)
            install_demo(db)
        else:
            db = demo_store(folder, args.fresh)
        new_as_of, rows = counts_file(db, args.days, folder / "kasus.csv")
        if args.replicas:
            server = stack.enter_context(serve_replicas(db, args.replicas))
        else:
            server = stack.enter_context(serve(db, folder / "server.log"))
        yield db, server, new_as_of, rows


def run(args: argparse.Namespace) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-crowd-"))
    try:
        with the_server(args, folder) as (db, server, new_as_of, rows), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            url = f"{server.url}/briefing?{args.query}"
            warm_up = None
            if not args.cold:  # one session first, as on a server that has been up a while
                # (on each replica, straight to its own address)
                firsts = [Listener(url, args.query, "briefing", leave_when_drawn=True)
                          for url in server.replicas or [server.url]]  # fmt: skip
                warm = threading.Thread(target=listen, args=(firsts, time.time() + 180))
                warm.start()  # (a thread: Playwright's loop runs in this one)
                warm.join()
                loads = [f.state["firstLine"] / 1000 - f.opened for f in firsts
                         if f.state["firstLine"]]  # fmt: skip
                warm_up = {
                    "s": round(max(loads), 2) if len(loads) == len(firsts) else None,
                    "exceptions": [e for f in firsts for e in f.state["exceptions"]],
                }  # fmt: skip
            start = time.time()
            load_start = os.getloadavg()[0]
            server_cpu0 = server_usage(server.pids)[0]
            samples, upload, found = [], {}, {}
            stop, loaded = threading.Event(), threading.Event()  # (loaded: every viewer drawn)
            threading.Thread(
                target=sample, args=(server.pids, start, samples, stop), daemon=True
            ).start()
            uploader = threading.Thread(
                target=analyst, args=(args, db, folder / "kasus.csv", start, upload, found),
                daemon=True,
            )  # fmt: skip
            uploader.start()
            n_browsers = min(args.browsers, args.viewers)
            listeners = [
                Listener(server.url, args.query, "briefing")
                for _ in range(args.viewers - n_browsers)
            ]
            clients = threading.Thread(
                target=listen, args=(listeners, start + args.seconds), daemon=True
            )
            clients.start()
            pages = [Viewer.open(browser, url) for _ in range(n_browsers)]
            viewers = [*pages, *listeners]
            opened_all = time.time() - start
            next_collect = time.time()
            while time.time() - start < args.seconds:
                if pages:
                    pages[0].page.wait_for_timeout(250)  # lets Playwright deliver events
                else:
                    time.sleep(0.25)
                if not loaded.is_set() and time.time() >= next_collect:
                    for v in pages:
                        v.collect()
                    if all(v.state.get("mapDrawn") for v in pages) and all(
                        v.state.get("firstLine") for v in listeners
                    ):
                        loaded.set()
                    next_collect = time.time() + 3
            for v in pages:
                v.collect()
            clients.join(timeout=30)  # (they leave within a second of the end)
            ended = time.time()
            server_cpu = server_usage(server.pids)[0] - server_cpu0
            loadavg = (round(load_start, 2), round(os.getloadavg()[0], 2))
            stop.set()
            uploader.join(timeout=60)
            browser.close()
            per_replica = spread(server.access_log) if server.access_log else None
        figures = report(args, viewers, server, samples, upload, found, start, ended, opened_all,
                         new_as_of, rows, server_cpu)  # fmt: skip
        figures["loadavg"] = loadavg
        figures["warm_up"] = warm_up
        figures["replicas"] = args.replicas
        figures["sessions_per_replica"] = per_replica
        return figures
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def report(args, viewers, server, samples, upload, found, start, ended, opened_all, new_as_of,
           rows, server_cpu) -> dict:  # fmt: skip
    def first_line(group):
        return [v.state["firstLine"] / 1000 - v.opened for v in group if v.state.get("firstLine")]

    map_drawn = [(v.state["mapDrawn"] / 1000 - v.opened) for v in viewers
                 if v.state.get("mapDrawn")]  # fmt: skip
    commit = found.get("commit")

    def seen(group):
        out = []
        for v in group:
            times = [t / 1000 for t, text in v.state.get("lines", []) if new_as_of in text]
            if commit and times:
                out.append(min(times) - commit)
        return out

    browsers = [v for v in viewers if v.kind == "browser"]
    clients = [v for v in viewers if v.kind != "browser"]
    seen_new = seen(viewers)
    not_seen = len(viewers) - len(seen_new)
    exceptions = sorted({e for v in viewers for e in v.state.get("exceptions", [])})
    errors = [e for v in viewers for e in v.errors]
    closes = [c for v in viewers for c in v.closed_sockets]
    reruns = [(t, p, ms) for t, p, ms in server.reruns if start <= t <= ended]
    rerun_ms = [ms for _, _, ms in reruns]
    after_commit = [ms for t, _, ms in reruns if commit and t >= commit]
    cpu = [s["server_cpu_pct"] for s in samples]
    figures = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}",
        "viewers": args.viewers,
        "browsers": len(browsers),
        "protocol_clients": len(clients),
        "seconds": args.seconds,
        "url": f"/briefing?{args.query}",
        "opened_all_s": round(opened_all, 2),
        "errors": {
            "page_and_console": errors[:50],
            "n_page_and_console": len(errors),
            "streamlit_exceptions": exceptions,
            "websocket_closes": closes[:50],
            "n_websocket_closes": len(closes),
            "server_log": [text for when, text in server.problems if when <= ended][:50],
            # the browsers closing their pages at the end: Streamlit logs their sockets' end
            "server_log_at_shutdown": [text for when, text in server.problems if when > ended][:5],
            "hidden_samples": sum(v.state.get("hidden", 0) for v in viewers),
            "startup_probe_retries": sum(getattr(v, "probe_retries", 0) for v in viewers),
        },
        "first_load_data_line_s": percentiles(first_line(viewers)),
        "first_load_data_line_s_browsers": percentiles(first_line(browsers)),
        "first_load_data_line_s_clients": percentiles(first_line(clients)),
        "first_load_map_s": percentiles(map_drawn),
        "upload": {
            "rows": rows,
            "new_as_of": new_as_of,
            "at_s": round(upload["started"] - start, 2) if "started" in upload else None,
            "import_s": round(upload["ended"] - upload["started"], 2) if "ended" in upload
            else None,
            "commit_at_s": round(commit - start, 2) if commit else None,
            "exit_code": upload.get("code"),
            "stdout": upload.get("stdout"),
            "stderr": upload.get("stderr"),
        },
        "new_data_shown_after_commit_s": percentiles(seen_new),
        "new_data_shown_after_commit_s_browsers": percentiles(seen(browsers)),
        "new_data_shown_after_commit_s_clients": percentiles(seen(clients)),
        "viewers_not_seeing_new_data": not_seen,
        "server": {
            "cpu_pct_mean": round(statistics.fmean(cpu), 1) if cpu else None,
            "cpu_pct_max": max(cpu) if cpu else None,
            "cpu_s_total": round(server_cpu, 1),
            "rss_mb_first": samples[0]["server_rss_mb"] if samples else None,
            "rss_mb_max": max(s["server_rss_mb"] for s in samples) if samples else None,
            "browsers_rss_mb_max": max(s["browsers_rss_mb"] for s in samples) if samples else None,
            "machine_busy_pct_mean": round(statistics.fmean(s["machine_busy_pct"]
                                                            for s in samples), 1) if samples
            else None,
            "script_runs": len(reruns),
            "script_run_ms": percentiles(rerun_ms),
            "script_run_ms_after_commit": percentiles(after_commit),
        },
        "per_viewer": [
            {"kind": v.kind, "opened_s": round(v.opened - start, 2),
             "first_line_s": round(v.state["firstLine"] / 1000 - start, 2)
             if v.state.get("firstLine") else None,
             "map_drawn_s": round(v.state["mapDrawn"] / 1000 - start, 2)
             if v.state.get("mapDrawn") else None,
             "lines": [[round(t / 1000 - start, 2), text] for t, text in v.state.get("lines", [])],
             "errors": len(v.errors), "exceptions": len(v.state.get("exceptions", []))}
            for v in viewers
        ],
        "samples": samples,
    }  # fmt: skip
    return figures


def table(f: dict) -> str:
    def p(x: dict, unit: str = "s") -> str:
        if not x["n"]:
            return "none"
        return f"{x['p50']} / {x['p95']} / {x['max']} {unit} (n={x['n']})"

    e, u, s = f["errors"], f["upload"], f["server"]
    n_errors = e["n_page_and_console"] + len(e["streamlit_exceptions"]) + e["n_websocket_closes"]
    spread_text = ", ".join(f"{n} on {where}" for where, n in
                            sorted((f.get("sessions_per_replica") or {}).items()))  # fmt: skip
    rows = [
        ("dashboards", f"{f['replicas']} replicas behind nginx on PostgreSQL; WebSocket "
                       f"sessions: {spread_text}" if f.get("replicas")
         else "one Streamlit process on SQLite, no proxy"),
        ("viewers on " + f["url"], f"{f['viewers']} for {f['seconds']} s: {f['browsers']} "
         f"headless Chromium pages (one context each), {f['protocol_clients']} protocol clients"),
        ("errors seen by viewers", f"{n_errors} (page/console/requests {e['n_page_and_console']}, "
                                   f"Streamlit exceptions {len(e['streamlit_exceptions'])}, "
                                   f"WebSocket closes {e['n_websocket_closes']})"),
        ("server log: tracebacks/errors (at the end, pages closing)",
         f"{len(e['server_log'])} ({len(e['server_log_at_shutdown'])})"),
        ("start-up probes the pages gave up on and sent again", str(e["startup_probe_retries"])),
        ("first load to the data line, p50 / p95 / max", p(f["first_load_data_line_s"])),
        ("… Chromium pages", p(f["first_load_data_line_s_browsers"])),
        ("… protocol clients", p(f["first_load_data_line_s_clients"])),
        ("first load to the map drawn (pages), p50 / p95 / max", p(f["first_load_map_s"])),
        ("upload", f"{u['rows']} rows (as of {u['new_as_of']}) at {u['at_s']} s; import "
                   f"{u['import_s']} s; commit at {u['commit_at_s']} s; exit {u['exit_code']}"),
        ("commit to new data on screen, p50 / p95 / max", p(f["new_data_shown_after_commit_s"])),
        ("… Chromium pages", p(f["new_data_shown_after_commit_s_browsers"])),
        ("… protocol clients", p(f["new_data_shown_after_commit_s_clients"])),
        ("viewers that never showed the new data", str(f["viewers_not_seeing_new_data"])),
        ("server CPU, mean / max (% of one core)", f"{s['cpu_pct_mean']} / {s['cpu_pct_max']}"),
        ("server memory, first / max", f"{s['rss_mb_first']} / {s['rss_mb_max']} MB"),
        ("browsers' memory, max", f"{s['browsers_rss_mb_max']} MB"),
        ("machine busy, mean", f"{s['machine_busy_pct_mean']} % of both cores"),
        ("full page runs (all sessions), ms p50 / p95 / max",
         f"{s['script_runs']} runs; {p(s['script_run_ms'], 'ms')}"),
        ("full page runs after the commit, ms p50 / p95 / max",
         p(s["script_run_ms_after_commit"], "ms")),
        ("load average (1 min) at start / end", f"{f['loadavg'][0]} / {f['loadavg'][1]}"),
        ("warm-up session before the viewers", "none (--cold)" if f["warm_up"] is None
         else f"{f['warm_up']['s']} s to the data line"),
    ]  # fmt: skip
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=30)
    parser.add_argument(
        "--browsers", type=int, default=6,
        help="how many of the viewers are Chromium pages (the others: protocol clients)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--upload-at", type=float, default=45, help="seconds after the start")
    parser.add_argument("--days", type=int, default=3, help="days of counts in the upload")
    parser.add_argument("--query", default="level=regency&lang=id", help="the briefing's view")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached demo store")
    parser.add_argument(
        "--cold", action="store_true",
        help="no warm-up session: every viewer arrives at a server that has served no one",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--replicas", type=int, default=0,
        help="run N dashboards behind nginx on PostgreSQL (deploy/local.py); 0: one, no proxy",
    )  # fmt: skip
    parser.add_argument("--db", help="with --replicas: a PostgreSQL store's URL (default: a "
                        "throwaway server); the demo is installed if it is empty")  # fmt: skip
    args = parser.parse_args()
    figures = run(args)
    text = table(figures)
    print(f"\n{figures['machine']}; {figures['when']}\n\n{text}")
    e = figures["errors"]
    for line in (e["page_and_console"] + e["streamlit_exceptions"] + e["server_log"])[:20]:
        print(f"  {line}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"crowd-{dt.datetime.now():%Y%m%d-%H%M%S}"
    stem.with_suffix(".json").write_text(json.dumps(figures, indent=2, default=str))
    stem.with_suffix(".md").write_text(text + "\n")
    print(f"\nwritten {stem}.json and .md")
    failed = (
        e["n_page_and_console"] or e["streamlit_exceptions"] or e["n_websocket_closes"]
        or figures["viewers_not_seeing_new_data"] or figures["upload"]["exit_code"] != 0
    )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
