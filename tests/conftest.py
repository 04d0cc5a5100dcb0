"""Shared fixtures: a demo store built once per test session, and a tiny store."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from shapely.geometry import box

from zoning.demo.install import install_demo
from zoning.store import Store, access

ROOT = Path(__file__).resolve().parent.parent

#: Property-based tests run without deadlines (a 2-core machine under load is not a bug) and
#: print a blob that reproduces a failure. ``ZONING_FUZZ_SCALE=20 pytest -k fuzz`` hunts
#: longer: it multiplies every :func:`fuzz` test's number of examples.
settings.register_profile(
    "zoning", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "zoning"))
FUZZ_SCALE = float(os.environ.get("ZONING_FUZZ_SCALE", "1"))


def fuzz(max_examples: int) -> settings:
    """Settings of a fuzzing test: ``max_examples`` times ``$ZONING_FUZZ_SCALE``."""
    return settings(
        max_examples=max(1, round(max_examples * FUZZ_SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


#: The analyst password of the tests (its hash is set by the ``analyst_password`` fixture).
ANALYST_PASSWORD = "kata sandi analis 2021"


@pytest.fixture(autouse=True)
def _no_operator_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the machine's analyst password hash or small-number threshold (failed
    sign-ins are counted in the store a test opens)."""
    monkeypatch.delenv("ZONING_ANALYST_PASSWORD_HASH", raising=False)
    monkeypatch.delenv("ZONING_SMALL_COUNT", raising=False)


@pytest.fixture
def private_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The NIK key file in tmp_path, and HOME there too: a test never touches the real home
    folder (``pytestmark = pytest.mark.usefixtures("private_key_file")``)."""
    path = tmp_path / "keys" / "nik-secret"
    monkeypatch.setenv("ZONING_SECRET_FILE", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return path


@pytest.fixture
def analyst_password(monkeypatch: pytest.MonkeyPatch) -> str:
    """An operator has set an analyst password (its hash in the environment); returns it."""
    from zoning.core import auth

    monkeypatch.setenv(auth.HASH_ENV, auth.hash_password(ANALYST_PASSWORD, n=2**10))
    return ANALYST_PASSWORD


def sign_in(at, name: str, password: str, form: str):
    """Fill in and send the analyst sign-in form ``form`` (``upload``, ``note``) of a page."""
    at.text_input(key=f"sign_in_name_{form}").input(name)
    at.text_input(key=f"sign_in_password_{form}").input(password)
    next(b for b in at.button if b.proto.is_form_submitter and form in b.proto.form_id).click()
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a SQLite store holding the demo province (built once per session)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    install_demo(Store(str(path)))
    return path


def tiny_regions() -> gpd.GeoDataFrame:
    """A province with two regencies of two villages each (villages are unit squares)."""
    rows = [
        ("33", "Provinsi Uji", "province", None, 4000, box(0, 0, 4, 1)),
        ("33.01", "Kabupaten Satu", "regency", "33", 2000, box(0, 0, 2, 1)),
        ("33.02", "Kota Dua", "regency", "33", 2000, box(2, 0, 4, 1)),
        ("33.01.01", "Kecamatan A", "district", "33.01", 2000, box(0, 0, 2, 1)),
        ("33.02.01", "Kecamatan B", "district", "33.02", 2000, box(2, 0, 4, 1)),
        ("33.01.01.2001", "Desa A1", "village", "33.01.01", 1000, box(0, 0, 1, 1)),
        ("33.01.01.2002", "Desa A2", "village", "33.01.01", 1000, box(1, 0, 2, 1)),
        ("33.02.01.1001", "Kelurahan B1", "village", "33.02.01", 1000, box(2, 0, 3, 1)),
        ("33.02.01.1002", "Kelurahan B2", "village", "33.02.01", 1000, box(3, 0, 4, 1)),
    ]
    cols = ["code", "name", "level", "parent", "population", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:4326")


def tiny_counts(days: int = 21, start: str = "2021-07-01") -> pd.DataFrame:
    """Daily counts for the four tiny villages: village i has i+1 new cases every day."""
    dates = pd.date_range(start, periods=days, freq="D")
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    rows = [
        (code, d, float(i + 1), 0.0, 0.0, 10.0 * (i + 1), float(i + 1))
        for i, code in enumerate(villages)
        for d in dates
    ]
    cols = ["region", "date", "new_cases", "deaths", "admissions", "tests", "positives"]
    return pd.DataFrame(rows, columns=cols)


def write_store(
    path: Path | str, regions: pd.DataFrame, counts: pd.DataFrame, **meta: str
) -> Store:
    """A store at ``path`` (a file, or a database URL) holding ``regions`` and ``counts``,
    written in one transaction.

    ``as_of`` defaults to the last day of ``counts``; other ``meta`` values are stored too.
    """
    store = Store(str(path))
    path = path if isinstance(path, Path) else Path("store.db")
    meta.setdefault("as_of", str(pd.Timestamp(counts["date"].max()).date()))
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", path.name, None, "pytest", len(counts), 0)
        store.write_regions(conn, regions, upload)
        store.write_counts(conn, counts, upload)
        store.write_meta(conn, **meta)
    return store


@pytest.fixture(scope="session")
def postgres_server_url():
    """A PostgreSQL server for the whole run (tests/postgres.py); skipped where absent."""
    from postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """The URL of a new, empty database on the tests' PostgreSQL server."""
    import uuid

    import sqlalchemy as sa

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        postgres_server_url.replace("/zoning?", "/postgres?"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_server_url.replace("/zoning?", f"/{name}?")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tiny_store_sql(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The tiny store, once in SQLite and once in PostgreSQL (a test module that wants both
    makes its ``tiny_store`` return this)."""
    if request.param == "sqlite":
        return write_store(tmp_path / "tiny.db", tiny_regions(), tiny_counts())
    return write_store(request.getfixturevalue("postgres_url"), tiny_regions(), tiny_counts())


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    """A store with the tiny province and 21 days of counts, as of the last day."""
    return write_store(tmp_path / "tiny.db", tiny_regions(), tiny_counts())


@pytest.fixture
def serve_store(monkeypatch: pytest.MonkeyPatch):
    """Point the dashboard at a store: ``serve_store(store)`` before ``open_page``.

    AppTest starts every run as a brand-new server would, in Streamlit's legacy ``pages/``
    mode, which the dashboard leaves with a rerun (``ui.common.lang``); that rerun would
    drop a button click. A server leaves that mode for good on its first run, so these tests
    run as on a server that has been up a while. ``test_browser`` covers the first runs.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class _ServerUpAWhile(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(app_test, "PagesManager", _ServerUpAWhile)

    def serve(store: Store) -> Store:
        monkeypatch.setenv("ZONING_DB", store.url.removeprefix("sqlite:///"))
        st.cache_resource.clear()  # ui.common keeps the store open across runs
        return store

    yield serve
    st.cache_resource.clear()


def open_page(page: str, *, secrets: dict | None = None, user: dict | None = None, **params: str):
    """Run the dashboard in Streamlit's AppTest on ``pages/<page>.py`` with a URL query.

    ``secrets`` stand in for ``.streamlit/secrets.toml``, ``user`` for ``st.user`` (OIDC).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update(params)
    at.secrets.update(secrets or {})
    if user is not None:
        at.user = user
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def two_zone_scheme(extra: str = "", cut: float = 500) -> str:
    """A scheme file of two zones, "low" and "high" from ``cut`` cases per 100,000 a week,
    at village and regency level; ``extra`` is added at the top level (e.g. hysteresis)."""
    return f"""
id = "steady-test"
name = {{ id = "Uji", en = "Test" }}
levels = ["village", "regency"]
metrics = ["cases_7d_per_100k"]
{extra}
[source]
title = "a test"
[[zones]]
id = "low"
colour = "#00ff00"
label = {{ id = "Rendah", en = "Low" }}
[[zones]]
id = "high"
colour = "#ff0000"
label = {{ id = "Tinggi", en = "High" }}
[[rules]]
metric = "cases_7d_per_100k"
thresholds = {{ high = {cut} }}
"""


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), one per test module (tests/browser.py)."""
    from browser import chromium

    with chromium() as b:
        yield b


# --- uploads made day by day, reports arriving late (reporting delays, nowcasts) ---------------
#: The day of the first daily upload of :func:`count_uploads`.
DAILY_START = pd.Timestamp("2021-06-01")


def tiny_villages() -> list[str]:
    """The codes of the four tiny villages."""
    return tiny_regions().query("level == 'village'")["code"].tolist()


def on_day(monkeypatch: pytest.MonkeyPatch, day: pd.Timestamp) -> None:
    """Uploads from now on arrive on ``day``."""
    monkeypatch.setattr(access, "_now", lambda: day.to_pydatetime())


def late_cases(delay: np.ndarray, days: int, rate: float, seed: int) -> np.ndarray:
    """Cases of each village and day by the delay they arrive with (villages x days x
    delays)."""
    rng = np.random.default_rng(seed)
    truth = rng.poisson(rate, (len(tiny_villages()), days))
    return np.stack([[rng.multinomial(c, delay) for c in row] for row in truth])


def count_uploads(store: Store, monkeypatch, delay: np.ndarray, days: int = 60,
                  first: int = 0, seed: int = 3) -> None:  # fmt: skip
    """From day ``first`` on, each day an upload of every village's cases known by then
    (the days before it revised as late reports come in)."""
    known = np.cumsum(late_cases(delay, days, 60, seed), axis=2)
    width = len(delay)
    for u in range(first, days):
        on_day(monkeypatch, DAILY_START + pd.Timedelta(days=u))
        rows = [
            (code, DAILY_START + pd.Timedelta(days=d), float(known[i, d, min(u - d, width - 1)]))
            for i, code in enumerate(tiny_villages())
            for d in range(0 if u == first else max(0, u - width + 1), u + 1)
        ]
        frame = pd.DataFrame(rows, columns=["region", "date", "new_cases"])
        with store.transaction() as conn:
            upload = store.record_upload(conn, "counts", f"day{u}.csv", None, "pytest",
                                         len(frame), 0)  # fmt: skip
            store.write_counts(conn, frame, upload)
            store.advance_as_of(conn, DAILY_START + pd.Timedelta(days=u))
    monkeypatch.setattr(access, "_now", lambda: dt.datetime(2026, 1, 1))
