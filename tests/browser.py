"""Helpers for end-to-end tests: a real Streamlit server and headless Debian Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:", "about:")


def require_chromium() -> None:
    """Skip with a clear message when Debian's Chromium or Playwright is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser test skipped: {CHROMIUM} not found (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("browser test skipped: the 'playwright' package is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (the test is skipped when either is missing)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def streamlit_server(db: Path, env: dict[str, str] | None = None, script: str = "dashboard.py"):
    """Run ``streamlit run dashboard.py`` (or ``script``, such as ``app.py``) on a free port
    against the store ``db``, with the environment variables ``env`` set as well."""
    port = free_port()
    env = {**os.environ, **(env or {}), "ZONING_DB": str(db)}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / script),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("the Streamlit server did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Traffic:
    """Every request a page makes, and the ones that left localhost or failed."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.external: list[str] = []
        self.failed: list[str] = []
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", self._response)

    def _request(self, request) -> None:
        self.requests.append(request.url)
        if not request.url.startswith(LOCAL):
            self.external.append(request.url)

    def _response(self, response) -> None:
        # Streamlit's front end probes <page path>/_stcore/... to find the server's base
        # path before it falls back to the root; those 404s are part of its start-up.
        probe = "/_stcore/health" in response.url or "/_stcore/host-config" in response.url
        if response.status >= 400 and not (response.status == 404 and probe):
            self.failed.append(f"{response.url} {response.status}")


def upload_page(browser, app: str, page=None):
    """The upload page of ``app`` with an analyst signed in, and its traffic; in ``page``
    when given (a page of a context already routed to one replica, tests/deploy), else in
    a new page."""
    from conftest import ANALYST_PASSWORD

    page = page or browser.new_page(viewport={"width": 1400, "height": 1400})
    traffic = Traffic(page)
    page.goto(f"{app}/upload?lang=en")
    page.get_by_role("heading", name="Upload data").wait_for(timeout=60_000)
    page.get_by_label("Your name (recorded with every change)").fill("Analis Dinkes")
    page.get_by_label("Analyst password").fill(ANALYST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Recorded with the upload as: password:Analis Dinkes").wait_for(timeout=60_000)
    return page, traffic


def copy_store(src: Path, dst: Path) -> Path:
    shutil.copy(src, dst)
    return dst
