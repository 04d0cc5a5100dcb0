"""The read API (zoning/api.py) on a real server: the same rows as the command line, the
public pages' small-number rules, ETags, and clear errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import uvicorn
from conftest import tiny_regions, write_store

from zoning import api
from zoning.cli import main
from zoning.core import auth
from zoning.model import privacy
from zoning.model.schemes import get_scheme
from zoning.store import Store
from zoning.views import published

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "token of the provincial data desk"
SUNDAY = "2021-07-18"


def small_counts() -> pd.DataFrame:
    """21 days of the tiny villages: two with a handful of cases, two with many."""
    dates = pd.date_range("2021-07-01", periods=21, freq="D")
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    rows = []
    for j, day in enumerate(dates):
        per_day = [1 if j in (15, 17) else 0, 1 if j in (3, 12, 16) else 0, 4, 9]
        rows += [(v, day, n) for v, n in zip(villages, per_day, strict=True)]
    return pd.DataFrame(rows, columns=["region", "date", "new_cases"])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return write_store(tmp_path / "api.db", tiny_regions(), small_counts())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(store: Store, hashes: str | None = None):
    """The API on a free local port, in a thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        api.app(store, api.Tokens(hashes)), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def base(store: Store):
    with running(store, auth.hash_password(TOKEN)) as url:
        yield url


def get(url: str, token: str | None = None, etag: str | None = None):
    """(status, headers, body) of a GET."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if etag:
        request.add_header("If-None-Match", etag)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def cli_zones(store: Store, capsys, *args: str) -> str:
    """``python -m zoning zones --decisions``: what the API answers (the decisions' columns
    appended to the command line's)."""
    capsys.readouterr()
    assert main(["--db", store.url, "zones", *args, "--decisions"]) == 0
    return capsys.readouterr().out


# --- the contract: the same rows and columns as `python -m zoning zones` -------------------


@pytest.mark.parametrize("level", ["province", "regency", "village"])
def test_csv_with_a_token_is_byte_for_byte_the_command_line(store, base, capsys, level):
    want = cli_zones(store, capsys, "--scheme", "who-ct-2021", "--level", level)
    status, headers, body = get(f"{base}/zones?level={level}&scheme=who-ct-2021&format=csv", TOKEN)
    assert status == 200 and headers["X-Zoning-Figures"] == "exact"
    assert headers["content-type"].startswith("text/csv")
    assert body.decode() == want


def test_public_csv_above_villages_is_the_command_line_too(store, base, capsys):
    want = cli_zones(store, capsys, "--scheme", "who-ct-2021", "--level", "regency")
    status, headers, body = get(f"{base}/zones?level=regency&scheme=who-ct-2021&format=csv")
    assert status == 200 and headers["X-Zoning-Figures"] == "public"
    assert body.decode() == want


def test_public_village_csv_has_the_same_rows_and_columns_and_hides_small_counts(
    store, base, capsys
):
    args = ("--scheme", "who-ct-2021", "--level", "village", "--date", SUNDAY)
    exact = list(csv.DictReader(io.StringIO(cli_zones(store, capsys, *args))))
    url = f"{base}/zones?level=village&scheme=who-ct-2021&date={SUNDAY}&format=csv"
    status, _, body = get(url)
    public = list(csv.DictReader(io.StringIO(body.decode())))
    assert status == 200
    assert list(public[0]) == list(exact[0])  # the same columns, in the same order
    assert [r["code"] for r in public] == [r["code"] for r in exact]
    assert [r["zone"] for r in public] == [r["zone"] for r in exact]  # zones are never hidden
    # the village with 2 cases in the week: its rate is not given (it tells the count)
    small = exact[0]["cases_7d_per_100k"]
    assert small and public[0]["cases_7d_per_100k"] == ""
    # every other cell is empty exactly where the public page shows words, else the same
    shown = published.public_zones(
        store, get_scheme("who-ct-2021"), "village", pd.Timestamp(SUNDAY), "en", public=True
    )
    for i, row in enumerate(public):
        for column in list(row)[4 : list(row).index("window_complete")]:
            hidden = isinstance(shown[column].iloc[i], str)
            assert row[column] == ("" if hidden else exact[i][column])


def test_public_json_is_the_masked_source_of_the_pages(store, base):
    status, _, body = get(f"{base}/zones?level=village&scheme=who-ct-2021&date={SUNDAY}&lang=id")
    data = json.loads(body)
    assert status == 200 and data["figures"] == "public" and data["date"] == SUNDAY
    shown = published.public_zones(
        store, get_scheme("who-ct-2021"), "village", pd.Timestamp(SUNDAY), "id", public=True
    )
    for i, row in enumerate(data["rows"]):
        for column in data["columns"][4 : data["columns"].index("window_complete")]:
            page = shown[column].iloc[i]
            notes = [n["shown"] for n in data["notes"] if n["row"] == i and n["column"] == column]
            if isinstance(page, str):  # what the page shows in words, the API says in notes
                assert row[column] is None and notes == [page]
            elif pd.isna(page):  # missing stays missing
                assert row[column] is None and not notes
            else:
                assert row[column] == pytest.approx(page) and not notes
    assert any(n["shown"] for n in data["notes"])


def test_a_public_answer_never_holds_a_figure_of_a_small_count(store, base):
    """Every figure of a village whose week holds 1 to 4 cases is missing from every public
    answer, in every format and scheme; with a token they are there."""
    from zoning.views import service

    exact = service.zones_on(store, get_scheme("who-ct-2021"), "village", pd.Timestamp(SUNDAY))
    small = {c for c, n in zip(exact["code"], exact["new_cases_7d"], strict=True) if 1 <= n <= 4}
    assert len(small) == 2
    for scheme in (
        "who-ct-2021",
        "ppkm-mikro-2021-04",
        "harvard-ghi-2020",
        "cdc-transmission-2021",
    ):
        query = f"level=village&scheme={scheme}&date={SUNDAY}"
        data = json.loads(get(f"{base}/zones?{query}")[2])
        figures = data["columns"][4 : data["columns"].index("window_complete")]
        assert figures
        for row in data["rows"]:
            if row["code"] in small:
                assert all(row[c] is None for c in figures), (scheme, row)
        rows = list(
            csv.DictReader(io.StringIO(get(f"{base}/zones?{query}&format=csv")[2].decode()))
        )
        assert all(r[c] == "" for r in rows if r["code"] in small for c in figures)
        geo = json.loads(get(f"{base}/zones?{query}&format=geojson")[2])
        for feature in geo["features"]:
            if feature["properties"]["code"] in small:
                assert all(feature["properties"][c] is None for c in figures)
        if scheme in ("who-ct-2021", "harvard-ghi-2020"):  # rates from cases: exact there
            with_token = json.loads(get(f"{base}/zones?{query}", TOKEN)[2])
            for r in with_token["rows"]:
                if r["code"] in small:
                    assert any(r[c] is not None for c in figures)


def test_red_villages_of_a_regency_in_one_get(store, base, capsys):
    exact = cli_zones(store, capsys, "--scheme", "who-ct-2021", "--level", "village")
    rows = list(csv.DictReader(io.StringIO(exact)))
    worst = max(r["zone"] for r in rows)
    regency = rows[-1]["code"][:5]
    url = f"{base}/zones?level=village&scheme=who-ct-2021&within={regency}&zone={worst}"
    data = json.loads(get(url)[2])
    want = [r["code"] for r in rows if r["zone"] == worst and r["code"].startswith(regency)]
    assert [r["code"] for r in data["rows"]] == want and want


# --- caching ----------------------------------------------------------------------------------


def test_an_unchanged_poll_costs_nothing_and_a_new_upload_changes_the_tag(store, base):
    url = f"{base}/zones?level=regency&scheme=who-ct-2021"
    status, headers, _ = get(url)
    assert status == 200 and headers["Cache-Control"].startswith("public")
    again = get(url, etag=headers["ETag"])
    assert again[0] == 304 and again[2] == b""
    assert get(url, TOKEN)[1]["ETag"] != headers["ETag"]  # exact answers are tagged apart
    counts = small_counts()
    counts["new_cases"] += 1
    with store.transaction() as conn:  # an analyst's revision
        upload = store.record_upload(conn, "test", "revision.csv", None, "pytest", len(counts), 0)
        store.write_counts(conn, counts, upload)
    after = get(url, etag=headers["ETag"])
    assert after[0] == 200 and after[1]["ETag"] != headers["ETag"]


# --- errors: clear, naming the parameter -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "field", "words"),
    [
        ("scheme=who-ct-2021", 400, "level", "level is required"),
        ("level=town&scheme=who-ct-2021", 400, "level", "not a level"),
        ("level=rt&scheme=who-ct-2021", 404, "level", "no rt data"),
        ("level=regency", 400, "scheme", "scheme is required"),
        ("level=regency&scheme=nope", 400, "scheme", "not a scheme"),
        ("level=regency&scheme=who-ct-2021&date=18/07/2021x", 400, "date", "not a date"),
        ("level=regency&scheme=who-ct-2021&date=2020-01-01", 400, "date", "no data for"),
        ("level=regency&scheme=who-ct-2021&format=xlsx", 400, "format", "format is one of"),
        ("level=regency&scheme=who-ct-2021&within=abc", 400, "within", "not a region code"),
        ("level=regency&scheme=who-ct-2021&zone=red", 400, "zone", "not a zone"),
        ("level=regency&scheme=who-ct-2021&lang=fr", 400, "lang", "lang is one of"),
        ("level=regency&level=village&scheme=who-ct-2021", 400, "level", "once"),
    ],
)
def test_a_wrong_request_says_which_parameter_and_what_to_do(base, query, status, field, words):
    code, headers, body = get(f"{base}/zones?{query}")
    data = json.loads(body)
    assert (code, data["field"]) == (status, field) and words in data["error"]
    assert headers["Cache-Control"] == "no-store"


def test_a_wrong_token_is_refused_not_treated_as_public(base):
    status, _, body = get(f"{base}/zones?level=regency&scheme=who-ct-2021", "guess")
    assert status == 401 and json.loads(body)["field"] == "token"


def test_without_configured_tokens_every_token_is_refused(store):
    with running(store, None) as url:
        assert get(f"{url}/zones?level=regency&scheme=who-ct-2021", TOKEN)[0] == 401
        assert get(f"{url}/zones?level=regency&scheme=who-ct-2021")[0] == 200


def test_a_nik_typed_into_a_request_never_comes_back(base):
    nik = "3374010101900001"
    for url in (f"{base}/zones?level={nik}&scheme=who-ct-2021", f"{base}/regions/{nik}/history"):
        assert nik not in get(url)[2].decode()


# --- the other answers -------------------------------------------------------------------------


def test_history_exact_with_a_token_and_weekly_for_the_public(store, base, capsys):
    code = tiny_regions().query("level == 'village'")["code"].iloc[0]
    status, _, body = get(f"{base}/regions/{code}/history?scheme=who-ct-2021", TOKEN)
    exact = json.loads(body)
    assert status == 200 and len(exact["days"]) == 21
    row = next(d for d in exact["days"] if d["date"] == SUNDAY)
    assert row["cases_7d_per_100k"] == pytest.approx(200.0)
    public = json.loads(get(f"{base}/regions/{code}/history?scheme=who-ct-2021")[2])
    assert [d["zone"] for d in public["days"]] == [d["zone"] for d in exact["days"]]
    for day in public["days"]:
        if pd.Timestamp(day["date"]).day_of_week != 6:
            assert "cases_7d_per_100k" not in day
    sunday = next(d for d in public["days"] if d["date"] == SUNDAY)
    assert sunday["cases_7d_per_100k"] is None and sunday["cases_7d_per_100k_note"]
    assert get(f"{base}/regions/99.99/history?scheme=who-ct-2021")[0] == 404


def test_schemes_regions_and_the_description(store, base):
    schemes = json.loads(get(f"{base}/schemes?lang=id")[2])
    assert {"ppkm-mikro-2021-04", "who-ct-2021"} <= {s["id"] for s in schemes}
    regions = json.loads(get(f"{base}/regions?level=village&within=33.01")[2])
    assert regions and all(r["code"].startswith("33.01.") for r in regions)
    spec = json.loads(get(f"{base}/openapi.json")[2])
    assert spec["openapi"].startswith("3.") and "/zones" in spec["paths"]
    page = get(f"{base}/docs")[2].decode()
    assert "GET /zones" in page and "http" not in page.split("<body", 1)[1].replace(
        "openapi.json", ""
    )


def test_python_m_zoning_serve_port_answers_zones(store, capsys, tmp_path):
    """The command-line contract scripts rely on: ``python -m zoning serve --port PORT``."""
    want = cli_zones(store, capsys, "--scheme", "who-ct-2021", "--level", "regency")
    port = _free_port()
    env = {**os.environ, "ZONING_DB": store.url}
    server = subprocess.Popen(
        [sys.executable, "-m", "zoning", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/zones?level=regency&scheme=who-ct-2021&format=csv"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = get(url)
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert status == 200 and body.decode() == want
    finally:
        server.terminate()
        server.wait(10)
    assert privacy.get_threshold() > 1


# --- confirmed zones: what each zone rests on ---------------------------------------------------


def test_zones_and_histories_carry_the_decision_and_a_decision_changes_the_tag(
    store, base, monkeypatch
):
    from zoning.views import decisions

    scheme = get_scheme("who-ct-2021")
    url = f"{base}/zones?level=regency&scheme=who-ct-2021&date={SUNDAY}"
    status, headers, body = get(url)
    before = json.loads(body)
    assert before["columns"][-5:] == list(decisions.EXPORTED)
    computed = {r["code"]: r["zone"] for r in before["rows"]}
    assert {r["decision"] for r in before["rows"]} == {"unconfirmed"}
    assert all(r["decided_zone"] is None and r["decided_by"] is None for r in before["rows"])
    other = next(z for z in scheme.zone_ids if z != computed["33.01"])
    decisions.record(store, scheme, "33.01", "2021-07-15", "dr. Ana", zone=other, reason="r")
    status, after_headers, body = get(url, etag=headers["ETag"])
    assert status == 200 and after_headers["ETag"] != headers["ETag"]  # not a stale 304
    rows = {r["code"]: r for r in json.loads(body)["rows"]}
    assert rows["33.01"]["zone"] == rows["33.01"]["decided_zone"] == other
    assert rows["33.01"]["computed_zone"] == computed["33.01"]
    assert rows["33.01"]["decision"] == "overridden"
    # who decided is public, as on the map ("decided by ... on ..."); the reason is not here
    assert rows["33.01"]["decided_by"] == "dr. Ana" and "decision_reason" not in rows["33.01"]
    days = json.loads(get(f"{base}/regions/33.01/history?scheme=who-ct-2021")[2])["days"]
    by_day = {d["date"]: d for d in days}
    assert by_day[SUNDAY]["zone"] == other and by_day[SUNDAY]["decision"] == "overridden"
    assert by_day[SUNDAY]["computed_zone"] == computed["33.01"]
    assert by_day["2021-07-14"]["decision"] == "unconfirmed"
    # unconfirmed zones not public: no computed zone given away on the days without a decision
    monkeypatch.setenv(decisions.ENV_PUBLISH, "0")
    days = json.loads(get(f"{base}/regions/33.01/history?scheme=who-ct-2021")[2])["days"]
    by_day = {d["date"]: d for d in days}
    assert {k: by_day["2021-07-14"][k] for k in ("zone", "computed_zone", "decision")} == {
        "zone": None, "computed_zone": None, "decision": "awaiting",
    }  # fmt: skip
    assert by_day[SUNDAY]["zone"] == other
    exact = json.loads(get(f"{base}/regions/33.01/history?scheme=who-ct-2021", TOKEN)[2])
    assert {d["date"]: d for d in exact["days"]}["2021-07-14"]["computed_zone"] is not None
