"""Tests for deploy/: the dashboard as two replicas behind nginx on one PostgreSQL store."""

from __future__ import annotations

import re
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest
from browser import chromium, upload_page
from conftest import ANALYST_PASSWORD, tiny_counts, tiny_regions, write_store
from playwright.sync_api import Error as PlaywrightError

from deploy import local
from zoning.core.auth import HASH_ENV, hash_password

#: A line of nginx's access log (deploy/nginx-local.conf.template's log_format).
LOG_LINE = re.compile(r'^(\S+) "([^"]*)" (\d+) "(.*)"$')
NEW_DAY = "2021-07-22"  # the day after the tiny store's last (tests/conftest.py)


def require_nginx() -> str:
    nginx = local.nginx_binary()
    if nginx is None:
        pytest.skip("deploy test skipped: nginx is not installed (apt-get install nginx)")
    return nginx


def test_the_filled_configuration_is_one_nginx_accepts(tmp_path: Path):
    nginx = require_nginx()
    tmp_path.chmod(0o755)
    site = local.site_config("127.0.0.1:8600", ["127.0.0.1:8501", "127.0.0.1:8502"])
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(local.local_config(tmp_path))
    test = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert test.returncode == 0, test.stderr
    assert re.findall(r"^\s*server (\S+);$", site, re.M) == ["127.0.0.1:8501", "127.0.0.1:8502"]


def test_the_site_configuration_is_printed_for_the_given_replicas(capsys):
    assert local.main(["--site-config", "--listen", "80", "--replica", "10.0.0.5:8501",
                       "--replica", "10.0.0.6:8501"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "listen 80;" in out
    assert re.findall(r"^\s*server (\S+);$", out, re.M) == ["10.0.0.5:8501", "10.0.0.6:8501"]
    assert "@" not in out  # every placeholder filled


def test_the_site_configuration_needs_a_replica(capsys):
    with pytest.raises(SystemExit):
        local.main(["--site-config"])
    assert "--replica HOST:PORT" in capsys.readouterr().err


def routes(log: str) -> dict[str, set[str]]:
    """Route (the sticky cookie) -> the replicas nginx sent its requests to."""
    out: dict[str, set[str]] = defaultdict(set)
    for line in log.splitlines():
        route, upstreams = LOG_LINE.match(line).groups()[:2]  # "a:1, b:2": nginx tried two
        out[route].update(u for u in re.split(r"[,:]\s+", upstreams) if u not in ("", "-"))
    return out


def page_on(browser, the_set, path: str, replica: str, tries: int = 16):
    """A page of a new browser context (its own cookies) that nginx routed to ``replica``,
    showing ``path``: a first visit gets a random route, so new contexts are opened until one
    lands there."""
    for _ in range(tries):
        context = browser.new_context(viewport={"width": 1400, "height": 1400})
        page = context.new_page()
        answer = page.goto(f"{the_set.url}/{path}")
        if answer.headers.get("x-zoning-replica") == replica:
            return page
        context.close()
    pytest.fail(f"no new visitor was routed to {replica} in {tries} tries")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.postgres
def test_an_upload_through_one_replica_shows_on_the_other_replicas_screen(postgres_url, tmp_path):
    """Two replicas, nginx and PostgreSQL: a briefing screen open on replica 2 shows the
    day an analyst uploads through replica 1 within 10 s, without a reload; every visitor's
    requests, its WebSocket and its upload included, stay on one replica."""
    require_nginx()
    write_store(postgres_url, tiny_regions(), tiny_counts())
    rows = ["tanggal;kode_desa;kasus_baru;meninggal"]
    rows += [f"22/07/2021;{code};9;0" for code in tiny_regions().query("level == 'village'").code]
    csv_file = tmp_path / "kasus.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {HASH_ENV: hash_password(ANALYST_PASSWORD, n=2**10)}

    with local.running(postgres_url, replicas=2, env=env) as the_set:
        with chromium() as browser:
            one, two = (url.removeprefix("http://") for url in the_set.replicas)
            screen = page_on(browser, the_set, "briefing?lang=en&level=village", two)
            data_line = screen.locator(".brief-data").first
            data_line.wait_for(timeout=90_000)
            assert "Data as of 2021-07-21" in data_line.inner_text()

            analyst = page_on(browser, the_set, "upload?lang=en", one)
            analyst, traffic = upload_page(browser, the_set.url, page=analyst)
            analyst.locator("input[type=file]").set_input_files(str(csv_file))
            try:
                analyst.get_by_text("Preview (4 of 4 rows as read)").wait_for(timeout=90_000)
            except PlaywrightError:  # what the page showed, and where its requests went
                uploads = [x for x in the_set.access_log.read_text().splitlines() if "upload" in x]
                pytest.fail(
                    f"no preview; the page said:\n{analyst.inner_text('body')[-1500:]}\n"
                    f"requests for uploads:\n{chr(10).join(uploads)}\n{traffic.failed}"
                )
            analyst.get_by_role("button", name="Save to the database").click()
            analyst.get_by_text(re.compile(r"Saved: upload \d+: 4 rows read")).first.wait_for(
                timeout=60_000
            )
            # the commit is done: the screen on the other replica must follow within 10 s
            screen.get_by_text(f"Data as of {NEW_DAY}").first.wait_for(timeout=10_000)
            assert not traffic.external
            # (requests the page's second opening cut short are not failures)
            failed = [f for f in traffic.failed if "net::ERR_ABORTED" not in f]
            assert not failed, failed

        # nginx logs a WebSocket when it is closed: the browser is closed now
        for _ in range(50):
            log = the_set.access_log.read_text()
            if log.count(" 101 ") >= 2:
                break
            time.sleep(0.2)
        errors = (the_set.run / "error.log").read_text()
    sent = routes(log)
    moved = [line for line in log.splitlines() if len(sent[line.split()[0]]) > 1]
    assert not moved, "\n".join([*moved, errors])
    assert set().union(*sent.values()) == {one, two}
    for replica in (one, two):  # each visitor's WebSocket went through nginx to its replica
        assert re.search(rf'^\S+ "{re.escape(replica)}" 101 "GET /_stcore/stream', log, re.M)


@pytest.mark.slow
def test_a_visitor_whose_replica_stops_is_answered_by_the_other(tmp_path: Path):
    """nginx sends a route whose replica is gone to another one (its session starts again
    there, as after a restart); the routes of the replica still running do not move."""
    import urllib.request

    require_nginx()
    db = tmp_path / "store.db"
    write_store(db, tiny_regions(), tiny_counts())
    with local.running(str(db), replicas=2) as the_set:

        def answered_by(route: str) -> str:
            request = urllib.request.Request(
                f"{the_set.url}/_stcore/health", headers={"Cookie": f"zoning_route={route}"}
            )
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200
                return answer.headers["X-Zoning-Replica"].split(", ")[-1]

        one, two = (url.removeprefix("http://") for url in the_set.replicas)
        routes: dict[str, list[str]] = {one: [], two: []}
        for i in range(40):
            route = f"visitor-{i}"
            routes[answered_by(route)].append(route)
        assert routes[one] and routes[two]  # both replicas had visitors
        assert all(answered_by(r) == one for r in routes[one])  # and kept them

        local.stop(the_set.parts[1].proc)  # replica one (parts[0] is nginx)
        assert {answered_by(r) for r in routes[one]} == {two}
        assert {answered_by(r) for r in routes[two]} == {two}
