"""Map speed: the dashboard's zone map against the straightforward one, in headless Chromium.

Run by hand (not a test):

    .venv/bin/python bench/map.py [--sizes 35,576,8563,30000] [--sessions 10] [--timeout 180]
        [--apps app,baseline,floor]

For each size, a store of generated villages (``bench/geometry.py``, cached under
``bench/results/stores``) is served by the dashboard (``dashboard.py``) and then by the
straightforward map (``bench/baseline_app.py``), one server at a time, each on its own copy
of the store, and each is measured the same way at ``level=village``, scheme ``who-ct-2021``:

0. the server's start: from starting ``streamlit run`` until it answers its health check
   (the dashboard, ``app.py``, loads what the first map needs before it answers);
1. first map, new server: a fresh page on the fresh server, from ``page.goto`` until every
   region is drawn (the server's memory caches hold only what it loaded at its start; the
   store holds what the import prepared: the store is prepared once, as an import does,
   with ``zoning.render.firstview.prepare``, before it is copied for each server);
2. server memory with that one session open;
3. date changes (``--changes``): the app's "+1 hari" button (a day on) is pressed, the
   baseline's date slider's thumb gets ArrowRight, until the map shows the next day; the
   start day is the one whose next days change the most zones;
4. first map: a fresh browser context (empty cache) on the warm server, with its bytes, the
   time until Streamlit's WebSocket opens, and the server time, ``--repeat`` times; then
   once more in a new page of the first page's context, whose HTTP cache holds what it
   loaded (a returning visitor: Streamlit's front end and the map's files not sent again).
   Each visitor's page is closed once measured, and the first page's tab before them (its
   context stays), so one map draws at a time, as in one visitor's browser: with three or
   four national maps left open in the same browser on this 2-core machine the next one
   took 2.2-2.3 s instead of 1.6 s;
5. server memory with ``--sessions`` pages open at once, each having drawn its map.

Then Streamlit's floor (``floor`` in ``--apps``, on by default): ``bench/floor_app.py``, a
page of one line of text served as ``app.py`` serves the dashboard, is opened the same way
(a fresh context on its new server, ``--repeat`` fresh contexts on the warm server, a new
page of the first context; one page open at a time), until its line shows. No Streamlit
page shows anything sooner in this browser on this machine: the app's first map is reported
against it.

Bytes are what the browser received: ``Network.loadingFinished.encodedDataLength`` of every
HTTP request (Streamlit's own front end, under ``/static/``, also apart) plus every WebSocket
frame (CDP), counted until for a second nothing arrives and the server is idle. CDP gives a
frame's payload after permessage-deflate (which the dashboard's server agrees to); its size
on the wire is counted as at most that payload deflated on its own, plus the frame's header
(the inflated payloads are reported apart). Server time is the sum of the
``zoning.timing rerun ... ms=`` lines (``ZONING_TIMING=1``) logged in that window. Memory is
the resident set of the server and its children (``/proc``). The figures go to
``bench/results/map-<time>.json`` and ``.md``, the servers' output to
``bench/results/logs/<time>/``.

"Every region drawn" is read in the frame that holds the map:

* the dashboard's map component sets ``document.body.dataset.drawn`` (features drawn) and
  ``document.body.dataset.styled`` (a token of date, scheme and language) after each paint;
* a folium map drawn as SVG (the baseline): one ``path.leaflet-interactive`` per region;
* fallback, a folium map on a canvas (the dashboard before its component): the GeoJSON
  feature layers of ``window.map``, i.e. added to the map, not proven painted.

A date change is done when the token (or, for folium, the fill colours) differs from before
and all regions are drawn. Each wait stops after ``--timeout`` seconds and the figure is
reported as ``>N s``; servers are always stopped, their process groups killed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import geometry
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from procs import cpu_check, cpu_seconds, free_port, rss_bytes, stop

from zoning.core.i18n import t
from zoning.model.schemes import builtin_schemes
from zoning.store import Store
from zoning.views import service

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
APPS = ("app", "baseline")
#: Streamlit's floor (``bench/floor_app.py``): measured with the apps, reported under them.
FLOOR = "floor"
FLOOR_SHOWN = '[data-testid="stMarkdown"]'  # its one line of text, shown
SCHEME = "who-ct-2021"
LANG = "id"
VIEWPORT = {"width": 1400, "height": 1000}
POLL_MS = 50
QUIET_S = 1.0  # nothing arrives and the server idles this long: the step is over
IDLE_CPU = 0.1  # share of one core below which the server is idle
BUSY_LAG_S = 0.25  # a page that takes longer to answer is still busy
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
TIMING = re.compile(r"zoning\.timing rerun page=(\S+) ms=([0-9.]+)")

# Run in every frame: the map's state, or null where there is no map.
PROBE_JS = """(withToken) => {
    const body = document.body;
    if (!body) return null;
    if (body.dataset.drawn !== undefined) {
        return {kind: "component", drawn: Number(body.dataset.drawn),
                token: body.dataset.styled || ""};
    }
    let kind, fills;
    const paths = document.querySelectorAll("path.leaflet-interactive");
    if (paths.length) {
        kind = "svg";
        fills = Array.from(paths, (p) => p.getAttribute("fill"));
    } else if (window.map && window.map._layers) {
        kind = "canvas";
        fills = Object.values(window.map._layers)
            .filter((l) => l.feature && !l.getLayers).map((l) => l.options.fillColor);
        if (!fills.length) return null;
    } else {
        return null;
    }
    let hash = 0;
    if (withToken) {
        for (const f of fills) {
            const text = String(f) + ";";
            for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
        }
    }
    return {kind: kind, drawn: fills.length, token: String(hash)};
}"""
NEXT_FRAME_JS = "() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)))"
# Run in the page once its map is drawn (the dashboard's component only): where the time went,
# in ms from the navigation's start. ``dcl``: Streamlit's page parsed and its bundle run;
# ``js``: its last front-end module loaded (they load after the first messages); ``frame``:
# the map's frame made; ``frame_dcl``: its scripts run; then the frame's own fetch, decode
# and paint (``dataset.timing``) and ``now``: when this ran, just after the map was drawn.
TIMELINE_JS = """() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const js = performance.getEntriesByType("resource")
        .filter((e) => e.name.includes("/static/js/"));
    const out = {dcl: nav.domContentLoadedEventEnd, now: performance.now(),
                 js: js.length ? Math.max(...js.map((e) => e.responseEnd)) : null};
    const el = document.querySelector('iframe[title$="zonemap"]');
    if (el && el.contentWindow && el.contentDocument) {
        const inner = el.contentWindow.performance;
        const offset = inner.timeOrigin - performance.timeOrigin;
        const fnav = inner.getEntriesByType("navigation")[0];
        out.frame = offset;
        out.frame_dcl = fnav ? offset + fnav.domContentLoadedEventEnd : null;
        const timing = el.contentDocument.body.dataset.timing;
        if (timing) Object.assign(out, JSON.parse(timing));
    }
    for (const key in out) if (typeof out[key] === "number") out[key] = Math.round(out[key]);
    return out;
}"""

#: (key, label, unit, decimals) of every figure, in the table's order.
FIGURES = (
    ("start_s", "server start until it answers", "s", 2),
    ("first_cold_s", "first map, new server", "s", 2),
    ("first_s", "first map (median)", "s", 2),
    ("first_connect_s", "of which until Streamlit connects", "s", 2),
    ("first_return_s", "first map, browser cache kept (a returning visitor)", "s", 2),
    ("first_return_mb", "sent, first map, browser cache kept", "MB", 2),
    ("change_s", "date change (median)", "s", 2),
    ("first_mb", "sent, first map", "MB", 2),
    ("first_frontend_mb", "of which Streamlit's front end", "MB", 2),
    ("first_ws_mb", "of which WebSocket (on the wire)", "MB", 2),
    ("first_ws_raw_mb", "WebSocket payloads, inflated", "MB", 2),
    ("change_mb", "sent, date change (median)", "MB", 2),
    ("first_cold_server_ms", "server time, first map, new server", "ms", 0),
    ("first_server_ms", "server time, first map (median)", "ms", 0),
    ("change_server_ms", "server time, date change (median)", "ms", 0),
    ("rss_1_mb", "server memory, 1 session", "MB", 0),
    ("rss_n_mb", "server memory, N sessions", "MB", 0),
)


class StepTimeout(RuntimeError):
    """A measured step that did not finish in time."""

    def __init__(self, message: str, limit: float):
        super().__init__(message)
        self.limit = limit


# --- the servers ---------------------------------------------------------------------------


@dataclass
class Server:
    """A running ``streamlit run`` and the script runs it logged (``zoning.timing``)."""

    proc: subprocess.Popen
    url: str
    reruns: list[tuple[float, float]] = field(default_factory=list)  # (perf_counter, ms)
    tail: list[str] = field(default_factory=list)
    start_s: float | None = None  # from the process's start until it answered its health check

    def read(self, log: Path) -> None:
        """Copy the server's output to ``log`` and collect its timing lines (a thread)."""
        with log.open("w") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                self.tail = [*self.tail[-19:], line.rstrip()]
                if match := TIMING.search(line):
                    self.reruns.append((time.perf_counter(), float(match.group(2))))

    def runs_since(self, start: float) -> list[float]:
        return [ms for t, ms in self.reruns if t >= start]

    def rss_mb(self) -> float:
        return rss_bytes(self.proc.pid) / 2**20

    def cpu_s(self) -> float:
        return cpu_seconds(self.proc.pid)


@contextlib.contextmanager
def scratch(db: Path) -> Iterator[Path]:
    """A throw-away copy of ``db``.

    What a reader keeps in its store (snapshots of derived data) must neither help the next
    server nor change the cached store.
    """
    with tempfile.TemporaryDirectory(prefix="bench-map-db-") as folder:
        copy = Path(folder) / db.name
        shutil.copyfile(db, copy)
        yield copy


@contextlib.contextmanager
def serve(app: str, db: Path, log: Path) -> Iterator[Server]:
    """Start the dashboard or the baseline on a free port against ``db``; stop it after.

    The baseline runs from a temporary folder that links to it and to ``static/`` (Streamlit
    serves ``static/`` beside the main script only).
    """
    with tempfile.TemporaryDirectory(prefix="bench-map-") as folder:
        if app == "app":
            script = ROOT / "app.py"  # as served: warmed before it answers (ui/serve.py)
        elif app == FLOOR:
            script = ROOT / "bench" / "floor_app.py"
        else:
            script = Path(folder) / "baseline_app.py"
            script.symlink_to(ROOT / "bench" / "baseline_app.py")
            (Path(folder) / "static").symlink_to(ROOT / "static")
        port = free_port()
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--server.enableStaticServing", "true",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        env = {**os.environ, "ZONING_DB": str(db), "ZONING_TIMING": "1"}
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        server = Server(proc, f"http://127.0.0.1:{port}")
        threading.Thread(target=server.read, args=(log,), daemon=True).start()
        try:
            started = time.perf_counter()
            wait_healthy(server)
            server.start_s = time.perf_counter() - started
            yield server
        finally:
            stop(proc)


def wait_healthy(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError("the server exited:\n" + "\n".join(server.tail))
        health = f"{server.url}/_stcore/health"
        with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2) as r:
            if r.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


# --- the browser ---------------------------------------------------------------------------


class Traffic:
    """Bytes one page received (CDP), HTTP and WebSocket, and the URLs it asked for.

    ``frontend`` counts the part of ``http`` that is Streamlit's own front end (``/static/``:
    the same for every app, cached by browsers after the first visit).
    """

    def __init__(self, context, page):
        self.http = 0
        self.frontend = 0
        self.ws = 0  # WebSocket payloads as the page reads them (after permessage-deflate)
        self.ws_wire = 0  # the same on the wire: see _frame
        self.deflate = False  # the server agreed to permessage-deflate
        self.urls: set[str] = set()
        self.paths: dict[str, str] = {}  # request id -> path
        self.external: list[str] = []
        self.connected: float | None = None  # wall clock of the first WebSocket handshake
        cdp = context.new_cdp_session(page)
        cdp.on("Network.webSocketWillSendHandshakeRequest", self._handshake)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.webSocketHandshakeResponseReceived", self._agreed)
        cdp.send("Network.enable")

    def _request(self, event: dict) -> None:
        url = event["request"]["url"]
        self.urls.add(url.split("#")[0])
        self.paths[event["requestId"]] = urllib.parse.urlsplit(url).path
        if not url.startswith(LOCAL):
            self.external.append(url)

    def _handshake(self, event: dict) -> None:
        if self.connected is None:
            self.connected = float(event["wallTime"])

    def _finished(self, event: dict) -> None:
        size = int(event.get("encodedDataLength", 0))
        self.http += size
        if self.paths.get(event["requestId"], "").startswith("/static/"):
            self.frontend += size

    def _agreed(self, event: dict) -> None:
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        self.deflate = "permessage-deflate" in headers.get("sec-websocket-extensions", "")

    def _frame(self, event: dict) -> None:
        """A frame's payload, and its size on the wire.

        CDP gives the payload after permessage-deflate. On the wire each message is at most
        its payload deflated on its own (the server's deflate also reuses earlier messages'
        context, so it sends less): that is counted, with the frame's header.
        """
        response = event["response"]
        data = response.get("payloadData", "")
        raw = base64.b64decode(data) if response.get("opcode") == 2 else data.encode()
        self.ws += len(raw)
        size = len(raw)
        if self.deflate:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            size = len(packer.compress(raw) + packer.flush(zlib.Z_SYNC_FLUSH)) - 4
        self.ws_wire += size + (2 if size < 126 else 4 if size < 65536 else 10)

    @property
    def total(self) -> int:
        """Bytes received: HTTP as encoded, WebSocket as on the wire."""
        return self.http + self.ws_wire

    def missed_frames(self, page) -> list[str]:
        """Child frames whose document this session did not see load (out-of-process)."""
        return [
            f.url
            for f in page.frames[1:]
            if f.url.startswith("http") and f.url.split("#")[0] not in self.urls
        ]


@dataclass
class Page:
    """A browser page with its own context (empty cache), its traffic and its map state."""

    context: object
    page: object
    traffic: Traffic
    kind: str | None = None
    token: str | None = None

    @classmethod
    def open(cls, browser) -> Page:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        return cls(context, page, Traffic(context, page))

    def probe(self, with_token: bool) -> tuple[object, dict] | None:
        """The frame holding the map and its state (``kind, drawn, token``), if any."""
        found = None
        for frame in self.page.frames:
            try:
                state = frame.evaluate(PROBE_JS, with_token)
            except PlaywrightError:  # the frame went away while we asked
                continue
            if state and (found is None or state["drawn"] > found[1]["drawn"]):
                found = (frame, state)
        return found

    def wait_drawn(self, n: int, timeout: float, what: str, new_token: bool = False) -> None:
        """Wait until all ``n`` regions are drawn (with a new token if ``new_token``)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            found = self.probe(with_token=new_token)
            if found:
                frame, last = found
                if last["drawn"] == n and (not new_token or last["token"] != self.token):
                    with contextlib.suppress(PlaywrightError):
                        frame.evaluate(NEXT_FRAME_JS)
                    self.kind = last["kind"]
                    return
            self.page.wait_for_timeout(POLL_MS)
        seen = f"{last['drawn']} of {n} drawn ({last['kind']})" if last else "no map seen"
        raise StepTimeout(f"{what}: not done within {timeout:.0f} s; {seen}", timeout)

    def remember_token(self) -> None:
        found = self.probe(with_token=True)
        self.token = found[1]["token"] if found else None

    def settle(self, server: Server, timeout: float) -> bool:
        """Wait until for :data:`QUIET_S` nothing arrives and both sides are idle.

        The server is idle when no script run ended and it used less than a tenth of a core
        (a long rerun logs nothing until it ends); the page when it answers within
        :data:`BUSY_LAG_S` (a page still drawing may yet send a widget value that starts a
        rerun). Returns False if that did not happen within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        last, since, cpu = None, time.monotonic(), server.cpu_s()
        while time.monotonic() < deadline:
            asked = time.monotonic()
            with contextlib.suppress(PlaywrightError):
                self.page.evaluate("0")
            lag = time.monotonic() - asked
            now, used = (self.traffic.total, len(server.reruns)), server.cpu_s()
            busy = lag > BUSY_LAG_S or used - cpu > IDLE_CPU * (time.monotonic() - since)
            if now != last or busy:
                last, since, cpu = now, time.monotonic(), used
            elif time.monotonic() - since >= QUIET_S:
                return True
            self.page.wait_for_timeout(200)
        return False

    def close(self) -> None:
        with contextlib.suppress(PlaywrightError):
            self.context.close()


# --- one app at one size -------------------------------------------------------------------


def view_url(app: str, base: str, day: dt.date) -> str:
    query = f"level=village&scheme={SCHEME}&date={day}&lang={LANG}"
    return f"{base}/map?{query}" if app == "app" else f"{base}/?{query}"


def measure(
    browser, server: Server, app: str, n: int, day: dt.date, args: argparse.Namespace
) -> dict:
    """All figures of one app at one size (see the module's docstring for the steps)."""
    url = view_url(app, server.url, day)
    figures: dict[str, float | None] = {key: None for key, *_ in FIGURES}
    out: dict = {"figures": figures, "limits": {}, "errors": {}, "notes": []}
    pages: list[Page] = []

    def step(key: str, action) -> bool:
        """Run a step; on a timeout or a browser error, note it under the step's figure."""
        try:
            action()
            return True
        except (StepTimeout, PlaywrightError) as exc:
            out["errors"][key] = str(exc).splitlines()[0]
            print(f"  {app}: {out['errors'][key]}", flush=True)
            if isinstance(exc, StepTimeout):
                out["limits"][key] = exc.limit
            return False

    def settle(page: Page, what: str) -> None:
        if not page.settle(server, args.timeout):
            out["notes"].append(f"{what}: the server was still busy after {args.timeout:.0f} s")

    def first_map(page: Page, what: str) -> tuple[dict, list[float]]:
        """Open the view in ``page`` (a fresh context): its figures and the server's runs."""
        start, wall = time.perf_counter(), time.time()
        page.page.goto(url, wait_until="commit", timeout=args.timeout * 1000)
        page.wait_drawn(n, args.timeout, f"{app} {what}")
        drawn = time.perf_counter() - start
        timeline = None
        if page.kind == "component":
            with contextlib.suppress(PlaywrightError):
                timeline = page.page.evaluate(TIMELINE_JS)
        settle(page, what)
        runs = server.runs_since(start)
        connected = page.traffic.connected
        return {
            "first_s": drawn,
            "first_connect_s": connected - wall if connected else None,
            "first_mb": page.traffic.total / 1e6,
            "first_frontend_mb": page.traffic.frontend / 1e6,
            "first_ws_mb": page.traffic.ws_wire / 1e6,
            "first_ws_raw_mb": page.traffic.ws / 1e6,
            "first_server_ms": sum(runs),
            "timeline": timeline,
        }, runs

    def cold_map() -> None:
        values, runs = first_map(first, "first map, new server")
        out["first_cold_runs_ms"] = [runs]
        out["first_cold_timeline"] = values["timeline"]
        figures["first_cold_s"] = values["first_s"]
        figures["first_cold_server_ms"] = values["first_server_ms"]

    def warm_maps() -> None:
        """``--repeat`` new visitors, one after another, each in a fresh context closed once
        measured: one visitor's browser, not several maps drawing at once in one browser on
        the same cores. The first page's tab is closed too (its context, and the HTTP cache
        the returning visitor uses, stay)."""
        first.page.close()
        pages.remove(first)
        found, out["first_runs_ms"] = [], []
        for i in range(args.repeat):
            page = Page.open(browser)
            try:
                values, runs = first_map(page, f"first map {i + 1}")
            finally:
                page.close()
            found.append(values)
            out["first_runs_ms"].append(runs)
        out["first_timelines"] = [f.pop("timeline") for f in found]
        for key in found[0]:
            known = [f[key] for f in found if f[key] is not None]
            figures[key] = statistics.median(known) if known else None
        out["first_s_all"] = [f["first_s"] for f in found]

    def returning_map() -> None:
        """The view in a new page of the first page's context, whose HTTP cache holds what
        the first visit loaded (Streamlit's front end, the map's files): a returning
        visitor's browser, on the warm server."""
        tab = first.context.new_page()
        page = Page(first.context, tab, Traffic(first.context, tab))
        pages.append(page)
        values, _ = first_map(page, "first map, browser cache kept")
        out["first_return_timeline"] = values["timeline"]
        figures["first_return_s"] = values["first_s"]
        figures["first_return_mb"] = values["first_mb"]

    def date_changes(page: Page) -> None:
        times, sent, runs = [], [], []
        slider = page.page.get_by_role("slider").first
        step = page.page.get_by_role("button", name=t("common.date_day_on", LANG), exact=True)
        for i in range(args.changes):
            page.remember_token()
            before, start = page.traffic.total, time.perf_counter()
            if app == "app":  # a day on (the app has a date picker and steps, no slider)
                step.click()
            else:
                slider.focus()
                slider.press("ArrowRight")
            page.wait_drawn(n, args.timeout, f"{app} date change {i + 1}", new_token=True)
            times.append(time.perf_counter() - start)
            settle(page, f"date change {i + 1}")
            sent.append((page.traffic.total - before) / 1e6)
            runs.append(server.runs_since(start))
        figures["change_s"] = statistics.median(times)
        figures["change_mb"] = statistics.median(sent)
        figures["change_server_ms"] = statistics.median(sum(r) for r in runs)
        out.update(change_times_s=times, change_mb=sent, change_runs_ms=runs)

    def sessions() -> None:
        others = [Page.open(browser) for _ in range(args.sessions - len(pages))]
        pages.extend(others)
        start = time.monotonic()
        out["sessions_drawn"] = len(pages) - len(others)
        for page in others:
            page.page.goto(url, wait_until="commit", timeout=args.timeout * 1000)
        try:
            for page in others:
                left = max(args.timeout - (time.monotonic() - start), 0.1)
                try:
                    page.wait_drawn(n, left, "")
                except StepTimeout:
                    drawn = f"{out['sessions_drawn']} of {args.sessions} pages drawn"
                    raise StepTimeout(f"{app} sessions: {drawn} within {args.timeout:.0f} s",
                                      args.timeout) from None  # fmt: skip
                out["sessions_drawn"] += 1
            settle(pages[-1], f"{args.sessions} sessions")
        finally:
            figures["rss_n_mb"] = server.rss_mb()

    out["load_before"] = os.getloadavg()[0]
    out["cpu_check_ms"] = [cpu_check()]
    figures["start_s"] = server.start_s
    first: Page | None = None
    try:
        first = Page.open(browser)
        pages.append(first)
        if step("first_cold_s", cold_map):
            out["detected_by"] = first.kind
            missed = first.traffic.missed_frames(first.page)
            if missed:
                out["notes"].append(f"traffic of these frames not seen by CDP: {missed}")
            figures["rss_1_mb"] = server.rss_mb()
            step("change_s", lambda: date_changes(first))
            if step("first_s", warm_maps):
                step("first_return_s", returning_map)
                step("rss_n_mb", sessions)
        else:
            figures["rss_1_mb"] = server.rss_mb()
        out["external"] = sorted({u for p in pages for u in p.traffic.external})
        out["load_after"] = os.getloadavg()[0]
        out["cpu_check_ms"].append(cpu_check())
    finally:
        for page in pages:
            page.close()
        if first is not None:
            first.close()  # its context, kept for the returning visitor
    return out


def measure_floor(browser, server: Server, args: argparse.Namespace) -> dict:
    """Streamlit's floor: how long a page of one line of text takes to show, as the app's
    first map is measured (a fresh context on the server just started, then ``--repeat``
    fresh contexts on the warm server, then a new page of the first context)."""
    out: dict = {"first_s_all": [], "errors": {}}
    pages: list[Page] = []

    def show(page: Page) -> tuple[float, float]:
        """Seconds until the line shows, and megabytes received once nothing more arrives."""
        start = time.perf_counter()
        page.page.goto(f"{server.url}/", wait_until="commit", timeout=args.timeout * 1000)
        page.page.locator(FLOOR_SHOWN).first.wait_for(timeout=args.timeout * 1000)
        shown = time.perf_counter() - start
        page.settle(server, args.timeout)
        return shown, page.traffic.total / 1e6

    out["cpu_check_ms"] = [cpu_check()]
    try:
        first = Page.open(browser)
        pages.append(first)
        out["first_cold_s"], _ = show(first)
        first.page.close()  # as the app's: one page open at a time, the context kept
        found = []
        for _ in range(args.repeat):
            page = Page.open(browser)
            try:
                found.append(show(page))
            finally:
                page.close()
        out["first_s_all"] = [s for s, _ in found]
        out["first_s"] = statistics.median(out["first_s_all"])
        out["first_mb"] = statistics.median(mb for _, mb in found)
        tab = first.context.new_page()
        pages.append(Page(first.context, tab, Traffic(first.context, tab)))
        out["first_return_s"], out["first_return_mb"] = show(pages[-1])
    except PlaywrightError as exc:
        out["errors"]["floor"] = str(exc).splitlines()[0]
        print(f"  floor: {out['errors']['floor']}", flush=True)
    finally:
        for page in pages:
            page.close()
    out["cpu_check_ms"].append(cpu_check())
    return out


def prepared(db: Path) -> None:
    """What an import leaves in the store: the first map's data kept for its data version
    (``zoning.render.firstview.prepare``, as ``python -m zoning cases import`` runs it).

    In a child process, as an import is: this one's caches stay empty. Loads (does nothing)
    when the cached store has them already.
    """
    code = "import sys; from zoning.store import Store; from zoning.render import firstview; "
    code += "s = Store(sys.argv[1]); firstview.prepare(s); s.engine.dispose()"
    subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT, check=True)


def pick_day(db: Path, changes: int) -> dt.date:
    """The day from which ``changes`` steps of one day each change the most zones (min)."""
    store = Store(str(db))
    scheme = builtin_schemes()[SCHEME]
    zones = service.zone_panel(store, scheme, "village")
    days = service.dates(store, "village")
    moved = (zones[:, 1:] != zones[:, :-1]).sum(axis=0)  # moved[j]: day j to day j + 1
    first, last = 7, len(days) - 4 - changes  # full windows, not provisional
    worst = np.array([moved[j : j + changes].min() for j in range(first, last + 1)])
    best = np.flatnonzero(worst == worst.max()) + first
    return days[best[np.abs(best - (first + last) / 2).argmin()]].date()


# --- the report ----------------------------------------------------------------------------


def source_state() -> str:
    """The commit measured, and a digest of the uncommitted changes on top of it if any."""

    def git(*words: str) -> str:
        return subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown commit"
    changed = sorted({*git("diff", "--name-only", "HEAD").split(),
                      *git("ls-files", "--others", "--exclude-standard").split()})  # fmt: skip
    if not changed:
        return f"commit {head}"
    digest = hashlib.sha256()
    for name in changed:
        digest.update(name.encode())
        with contextlib.suppress(OSError):
            digest.update((ROOT / name).read_bytes())
    return f"commit {head} + {len(changed)} changed files ({digest.hexdigest()[:10]})"


def cell(result: dict, key: str, decimals: int, unit: str, sessions: int) -> str:
    value = result["figures"].get(key)
    drawn = result.get("sessions_drawn", sessions)
    if value is not None and key == "rss_n_mb" and drawn < sessions:
        return f"{value:,.{decimals}f} ({drawn}/{sessions} drawn)"
    runs = {"first_cold_server_ms": "first_cold_runs_ms", "first_server_ms": "first_runs_ms",
            "change_server_ms": "change_runs_ms"}  # fmt: skip
    if value is not None and key in runs:
        count = statistics.median(len(r) for r in result[runs[key]])
        return f"{value:,.{decimals}f} ({count:g} run{'s' if count != 1 else ''})"
    if value is not None:
        return f"{value:,.{decimals}f}"
    if key in result["limits"]:
        return f">{result['limits'][key]:.0f} s" if unit == "s" else "n/a (timeout)"
    return "n/a"


def ratio(results: dict, key: str) -> str:
    ours, base = (results[a]["figures"].get(key) for a in APPS)
    if ours and base:
        return f"{base / ours:.1f}x"
    limit = results["baseline"]["limits"].get(key)
    if ours and limit and key.endswith("_s"):
        return f">{limit / ours:.0f}x"
    return "–"


def table(size: dict, sessions: int) -> str:
    """One Markdown table of a size: figure, app, baseline, baseline/app."""
    results = size["apps"]
    detected = ", ".join(f"{a}: {results[a].get('detected_by') or 'not drawn'}" for a in APPS)
    load = ", ".join(
        f"{a} {results[a]['load_before']:.1f}-{results[a]['load_after']:.1f}"
        for a in APPS
        if "load_after" in results[a]
    )
    checks = [f"{a} {'/'.join(f'{ms:.0f}' for ms in results[a]['cpu_check_ms'])} ms"
              for a in APPS if results[a].get("cpu_check_ms")]  # fmt: skip
    info = size["store"]
    lines = [
        f"### {size['villages']:,} villages, {info['vertices']:,} vertices "
        f"({info['display_vertices']:,} displayed), {info['multipolygons']} multipolygons",
        "",
        f"Date {size['day']} + ArrowRight x{size['changes']}; drawn detected by {detected}; "
        f"load average {load}; CPU check (`procs.cpu_check`, before/after) {', '.join(checks)}.",
        "",
        "| figure | app | baseline | baseline/app |",
        "|---|---:|---:|---:|",
    ]
    for key, label, unit, decimals in FIGURES:
        label = label.replace("N sessions", f"{sessions} sessions")
        row = [cell(results[a], key, decimals, unit, sessions) for a in APPS]
        lines.append(f"| {label} ({unit}) | {row[0]} | {row[1]} | {ratio(results, key)} |")
    floor = size.get(FLOOR)
    if floor and floor.get("first_s") is not None:
        app = results["app"]["figures"].get("first_s")
        times = " / ".join(f"{x:.2f}" for x in floor["first_s_all"])
        lines += [
            "",
            f"Streamlit's floor (`bench/floor_app.py`, one line of text served as `app.py` "
            f"serves the dashboard, same browser): new server {floor['first_cold_s']:.2f} s; "
            f"warm {floor['first_s']:.2f} s (median of {times}), "
            f"{floor['first_mb']:.2f} MB; browser cache kept {floor['first_return_s']:.2f} s"
            + (f"; the app's warm first map is {app / floor['first_s']:.1f}x the floor" if app
               else "")
            + f". CPU check {'/'.join(f'{ms:.0f}' for ms in floor['cpu_check_ms'])} ms.",
        ]  # fmt: skip
    elif floor:
        lines.append(f"\n- floor: {floor['errors']}")
    for app in APPS:
        for key, message in results[app]["errors"].items():
            lines.append(f"\n- {app}, {key}: {message}")
        for note in results[app]["notes"]:
            lines.append(f"\n- {app}: {note}")
        if results[app].get("external"):
            lines.append(f"\n- {app} asked outside hosts: {results[app]['external'][:5]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = ",".join(str(n) for n in geometry.SIZES)
    parser.add_argument("--sizes", default=sizes, help="villages, comma-separated")
    parser.add_argument("--sessions", type=int, default=10, help="pages open at once")
    parser.add_argument("--changes", type=int, default=3, help="date changes measured")
    parser.add_argument("--repeat", type=int, default=3, help="first maps on the warm server")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per wait")
    parser.add_argument(
        "--apps",
        default=",".join((*APPS, FLOOR)),
        help="of app, baseline and floor (Streamlit's floor), comma-separated",
    )
    parser.add_argument("--seed", type=int, default=geometry.SEED)
    parser.add_argument("--days", type=int, default=geometry.DAYS, help="days of counts")
    args = parser.parse_args()
    apps = args.apps.split(",")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    logs = RESULTS / "logs" / stamp
    logs.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([".venv/bin/python", "bench/map.py", *sys.argv[1:]]),
        "source": source_state(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, {platform.platform()}",
        "started": stamp,
        "sizes": [],
    }
    markdown = [f"`{report['command']}` ({report['machine']}; {report['source']}; {stamp})\n"]
    with sync_playwright() as pw:
        for n in (int(s) for s in args.sizes.split(",")):
            print(f"{n:,} villages: store ...", flush=True)
            db, info = geometry.cached_store(n, RESULTS / "stores", args.seed, args.days)
            prepared(db)
            with scratch(db) as copy:
                day = pick_day(copy, args.changes)
            size = {"villages": n, "store": info, "day": str(day), "changes": args.changes,
                    "apps": {}}  # fmt: skip
            for app in APPS:
                if app not in apps:
                    size["apps"][app] = {"figures": {}, "limits": {}, "errors": {}, "notes": []}
                    continue
                print(f"{n:,} villages: {app} ...", flush=True)
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    log = logs / f"{app}-{n}.log"
                    with scratch(db) as copy, serve(app, copy, log) as server:
                        size["apps"][app] = measure(browser, server, app, n, day, args)
                finally:
                    browser.close()
            if FLOOR in apps:
                print(f"{n:,} villages: Streamlit's floor ...", flush=True)
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    log = logs / f"{FLOOR}-{n}.log"
                    with scratch(db) as copy, serve(FLOOR, copy, log) as server:
                        size[FLOOR] = measure_floor(browser, server, args)
                finally:
                    browser.close()
            report["sizes"].append(size)
            markdown.append(table(size, args.sessions))
            print("\n" + markdown[-1], flush=True)
            (RESULTS / f"map-{stamp}.json").write_text(json.dumps(report, indent=1))
            (RESULTS / f"map-{stamp}.md").write_text("\n".join(markdown))
    print(f"written: {RESULTS / f'map-{stamp}.md'} and .json; server logs in {logs}")


if __name__ == "__main__":
    main()
