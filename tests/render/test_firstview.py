"""What the first map needs is made by the import and kept in the store, not by the first
visitor: a new process (a server started after the import) loads it and builds nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoning.cli import main
from zoning.model import privacy
from zoning.model.schemes import builtin_schemes
from zoning.render import firstview, mapdata
from zoning.store import Store
from zoning.views import cache, published, service

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("province", "regency", "district", "village")
#: The snapshots a level's first map reads: its data, its map geometry, its bare regions, and
#: the default scheme's zones of every day (``zones:<digest of the scheme>:<level>``); and how
#: the small levels' counts of the last week ends are shown to the public
#: (``published-weeks:<small-number threshold>``).
KEPT = [f"{kind}:{level}" for level in LEVELS for kind in ("level", "mapgeom", "bare", "zones")]
KEPT.append(f"published-weeks:{privacy.get_threshold()}")


def kept(names) -> list[str]:
    """Snapshot names with the scheme's digest left out: ``zones:<digest>:village`` ->
    ``zones:village``."""
    return sorted(":".join([n.split(":")[0], n.split(":")[-1]]) for n in names)


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Every ``(event, name)`` the cache announces while the test runs."""
    seen: Counter = Counter()
    monkeypatch.setattr(cache, "HOOKS", [lambda event, name: seen.update([(event, name)])])
    return seen


def new_process(monkeypatch: pytest.MonkeyPatch, url: str) -> Store:
    """The state of a server just started: empty memory caches, a new store object."""
    monkeypatch.setattr(cache, "_SHELVES", {"level": OrderedDict(), "view": OrderedDict()})
    return Store(url)


def first_maps(store: Store) -> None:
    """What the map page asks for at each level, then the first view as a visitor sees it."""
    for level in LEVELS:
        mapdata.level_geometry(store, level)
        mapdata.without_boundary(store, level)
        service.level_data(store, level)
    firstview.warm(store)


def import_counts(store: Store, tmp_path: Path, day: str = "2021-07-22") -> None:
    """``python -m zoning cases import`` of two villages' new cases on ``day`` (9 and 2)."""
    f = tmp_path / f"kasus-{day}.csv"
    f.write_text(f"tanggal,kode,kasus_baru\n{day},33.01.01.2001,9\n{day},33.02.01.1001,2\n")
    assert main(["--db", store.url, "cases", "import", str(f)]) == 0


def test_after_an_import_a_new_server_loads_the_first_map_and_builds_none_of_it(
    tiny_store_sql: Store, tmp_path: Path, monkeypatch, events, capsys
):
    import_counts(tiny_store_sql, tmp_path)
    capsys.readouterr()
    events.clear()
    store = new_process(monkeypatch, tiny_store_sql.url)
    first_maps(store)
    built = kept(name for (event, name), _ in events.items() if event == "keep")
    loaded = kept(name for (event, name), _ in events.items() if event == "load")
    assert built == []
    assert loaded == sorted(KEPT)
    # and what was loaded is what the new data give
    zones = service.zones_on(store, firstview.first_view(store)[0], "village", "2021-07-22")
    assert zones.set_index("code").loc["33.01.01.2001", "new_cases_7d"] == 9 + 6 * 1


def test_data_written_without_the_import_are_built_by_the_first_server(
    tiny_store: Store, monkeypatch, events
):
    """The other side: a store nobody prepared (written directly) makes the first server
    build every level, and keep it, so the one after loads it."""
    store = new_process(monkeypatch, tiny_store.url)
    first_maps(store)
    # (the audit of the last weeks reads every built-in scheme's zones: kept as well)
    assert sorted(set(kept(n for (event, n) in events if event == "keep"))) == sorted(KEPT)
    events.clear()
    store = new_process(monkeypatch, tiny_store.url)
    first_maps(store)
    assert not [name for (event, name) in events if event == "keep"]


def test_new_data_are_never_served_from_what_was_kept_before(
    tiny_store: Store, tmp_path: Path, monkeypatch, events, capsys
):
    firstview.prepare(tiny_store)
    scheme = firstview.first_view(tiny_store)[0]
    before = service.zones_on(tiny_store, scheme, "village", "2021-07-21")
    import_counts(tiny_store, tmp_path, day="2021-07-20")  # 9 instead of 1 on that day
    events.clear()
    store = new_process(monkeypatch, tiny_store.url)
    after = service.zones_on(store, scheme, "village", "2021-07-21")
    code = "33.01.01.2001"
    assert before.set_index("code").loc[code, "new_cases_7d"] == 7
    assert after.set_index("code").loc[code, "new_cases_7d"] == 6 + 9
    assert ("load", "level:village") in events  # kept by the import, for the new version
    assert ("keep", "level:village") not in events


def test_a_kept_level_and_map_read_back_exactly_as_built(tiny_store: Store):
    for level in LEVELS:
        built = service._build_level(tiny_store, level)
        read = service._level_from_bytes(service._level_to_bytes(built))
        assert (read.level, read.source_level, read.as_of) == (level, built.source_level,
                                                                built.as_of)  # fmt: skip
        assert list(read.panel.regions) == list(built.panel.regions)
        assert read.panel.dates.equals(built.panel.dates)
        pairs = [
            (built.metrics, read.metrics),
            (built.panel.values, read.panel.values),
            (built.windows.sums, read.windows.sums),
            (built.windows.share, read.windows.share),
        ]
        for want, got in pairs:
            assert want.keys() == got.keys()
            for key in want:
                a, b = np.asarray(want[key]), got[key]
                assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
                assert not b.flags.writeable  # shared by every session: never changed
        geometry = mapdata.level_geometry(tiny_store, level)
        again = mapdata._geometry_from_bytes(mapdata._geometry_to_bytes(geometry))
        assert (again.codes, again.payload, again.bounds, again.drawn) == (
            geometry.codes, geometry.payload, geometry.bounds, geometry.drawn)  # fmt: skip


def test_an_unreadable_snapshot_is_built_again(tiny_store: Store, monkeypatch, events):
    firstview.prepare(tiny_store)
    tiny_store.save_snapshot("level:village", tiny_store.data_version(), b"ZPK1 broken")
    store = new_process(monkeypatch, tiny_store.url)
    data = service.level_data(store, "village")
    assert ("keep", "level:village") in events
    assert data.panel.shape[0] == 4


def test_a_new_process_after_the_cli_import_builds_nothing(tiny_store: Store, tmp_path: Path,
                                                           capsys):  # fmt: skip
    """The same in a real new process, as a dashboard started after the import."""
    import_counts(tiny_store, tmp_path)
    code = (
        "import json, sys\n"
        "from zoning.store import Store\n"
        "from zoning.render import firstview\n"
        "from zoning.views import cache\n"
        "seen = []\n"
        "cache.HOOKS.append(lambda event, name: seen.append([event, name]))\n"
        "firstview.warm(Store(sys.argv[1]))\n"
        "print(json.dumps(seen))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, tiny_store.url], cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    seen = json.loads(done.stdout.splitlines()[-1])
    assert [name for event, name in seen if event == "keep"] == []
    geometry = f"mapgeom:tiled-above-{mapdata.tiled_above()}:regency"
    assert ["load", "level:regency"] in seen and ["load", geometry] in seen


def test_the_demo_command_prepares_the_first_map(tmp_path: Path, monkeypatch, events, capsys):
    db = tmp_path / "demo.db"
    assert main(["--db", str(db), "demo"]) == 0
    events.clear()
    store = new_process(monkeypatch, str(db))
    firstview.warm(store)
    assert not [name for (event, name) in events if event == "keep"]
    assert ("load", f"mapgeom:tiled-above-{mapdata.tiled_above()}:village") in events


def test_prefetch_builds_the_next_days_views(tiny_store: Store, events):
    scheme = firstview.first_view(tiny_store)[0]
    day = pd.Timestamp("2021-07-10")
    firstview.prefetch(tiny_store, scheme, "village", day, "id", public=True)
    key = cache.key(tiny_store, "zones", scheme.id, "village", day="2021-07-11")
    for _ in range(200):  # the worker runs in the background
        if key in cache._SHELVES["view"]:
            break
        time.sleep(0.05)
    assert key in cache._SHELVES["view"]


def test_prefetch_waits_until_no_map_has_been_asked_for_a_while(tiny_store: Store, monkeypatch):
    """The guesses start once the views people asked for are done: not while a page's script
    is still running or its browser drawing, and not while views keep coming."""
    monkeypatch.setattr(firstview, "QUIET_S", 1.0)  # far above the test's own pauses
    started: list[tuple[float, pd.Timestamp]] = []

    def record(store, scheme, level, day, lang, *, public) -> None:
        if store is tiny_store:  # not a guess left over from an earlier test's store
            started.append((time.monotonic(), day))

    monkeypatch.setattr(firstview, "day_views", record)
    scheme = firstview.first_view(tiny_store)[0]
    firstview.prefetch(tiny_store, scheme, "village", pd.Timestamp("2021-07-10"), "id", public=True)
    time.sleep(0.3)
    assert started == []  # a view asked for 0.3 s ago: still quiet
    asked = time.monotonic()  # a second view, before the first one's guesses ran
    firstview.prefetch(tiny_store, scheme, "village", pd.Timestamp("2021-07-11"), "id", public=True)
    for _ in range(120):
        if len(started) >= 4:
            break
        time.sleep(0.05)
    assert started, "the guesses never ran"
    assert started[0][0] >= asked + 1.0  # from the last view asked for
    assert pd.Timestamp("2021-07-12") in [day for _, day in started]


def test_a_store_that_fails_meanwhile_leaves_the_prefetch_worker_alive(
    tiny_store: Store, monkeypatch, caplog
):
    """The store gone between a view and its guesses (a database restarted): the guess is
    dropped with a warning, and the worker goes on with the next ones."""
    monkeypatch.setattr(firstview, "QUIET_S", 0.0)
    built: list[pd.Timestamp] = []

    def record(store, scheme, level, day, lang, *, public) -> None:
        if store is tiny_store:
            built.append(day)

    monkeypatch.setattr(firstview, "day_views", record)

    def wait_built() -> None:
        for _ in range(100):
            if built:
                return
            time.sleep(0.05)

    scheme = firstview.first_view(tiny_store)[0]
    firstview.prefetch(tiny_store, scheme, "village", pd.Timestamp("2021-07-10"), "id", public=True)
    wait_built()  # the worker is running
    assert built
    time.sleep(0.2)  # and done with those

    class Gone:
        url = "sqlite:///gone"

        def data_version(self) -> int:
            raise RuntimeError("server closed the connection unexpectedly")

    built.clear()
    version = tiny_store.data_version()
    firstview._QUEUE.put((Gone(), scheme, "village", pd.Timestamp("2021-07-05"), "id", True, 1, 1))
    day = pd.Timestamp("2021-07-06")
    firstview._QUEUE.put((tiny_store, scheme, "village", day, "id", True, version, 1))
    wait_built()
    assert built == [day], "the worker died on the failing store"
    assert "prefetching 2021-07-05" in caplog.text


def test_prefetch_waits_longer_after_a_view_of_more_regions(tiny_store: Store, monkeypatch):
    """The browser draws a larger level for longer: the quiet the guesses wait for grows with
    the regions of the level just shown."""
    villages = len(service.regions(tiny_store, "village"))
    assert villages > 1
    monkeypatch.setattr(firstview, "QUIET_S", 0.2)
    monkeypatch.setattr(firstview, "QUIET_PER_REGION_S", 0.8 / villages)
    assert firstview.quiet_s(villages) == pytest.approx(1.0)
    assert firstview.quiet_s(0) == pytest.approx(0.2)
    started: list[float] = []

    def record(store, scheme, level, day, lang, *, public) -> None:
        if store is tiny_store:
            started.append(time.monotonic())

    monkeypatch.setattr(firstview, "day_views", record)
    scheme = firstview.first_view(tiny_store)[0]
    asked = time.monotonic()
    firstview.prefetch(tiny_store, scheme, "village", pd.Timestamp("2021-07-10"), "id", public=True)
    for _ in range(100):
        if started:
            break
        time.sleep(0.05)
    assert started, "the guesses never ran"
    assert started[0] >= asked + 1.0  # not after QUIET_S alone
    # a date step only recolours the shapes: its guesses wait QUIET_S alone (the deadline
    # the worker waits for, read rather than timed: a loaded machine wakes it late)
    asked = time.monotonic()
    firstview.prefetch(
        tiny_store, scheme, "village", pd.Timestamp("2021-07-12"), "id", public=True,
        new_shapes=False,
    )  # fmt: skip
    assert firstview._QUIET_UNTIL[0] - asked == pytest.approx(0.2, abs=0.1)


def test_a_new_server_shows_the_last_weeks_public_villages_without_an_audit(
    tiny_store: Store, tmp_path: Path, monkeypatch, events, capsys
):
    """The audit of what the public sees of small counts (about a second per week end at
    9,000 villages) is made by the import for the last weeks: a new server's public village
    map of the last week end, and a step back a week, audit nothing."""
    import_counts(tiny_store, tmp_path)
    events.clear()
    store = new_process(monkeypatch, tiny_store.url)
    scheme = firstview.first_view(store)[0]
    sundays = [d for d in service.dates(store, "village") if privacy.is_week_end(d)]
    assert len(sundays) >= 2
    for day in sundays[-2:]:
        shown = published.public_zones(store, scheme, "village", day, "id", public=True)
        assert len(shown) == 4
    assert ("load", f"published-weeks:{privacy.get_threshold()}") in events
    assert ("build", "published") not in events
    # and what was loaded is what an audit of that day alone gives
    for day in sundays[-2:]:
        alone = published._build_states(store, [day], privacy.get_threshold())[day]
        loaded = published.day_states(store, day)
        assert loaded.keys() == alone.keys()
        for level, by in alone.items():
            for column, state in by.items():
                assert np.array_equal(loaded[level][column], state), (day, level, column)


def test_a_geometry_kept_under_another_tiling_limit_is_made_again(
    tiny_store: Store, monkeypatch, events
):
    """A kept map geometry is named by how it was encoded: after the limit of tiling changes
    (a new release, or the operator's setting), the new server encodes the level again
    instead of serving the old file."""
    firstview.prepare(tiny_store)
    store = new_process(monkeypatch, tiny_store.url)
    whole = mapdata.level_geometry(store, "village")
    assert not whole.tiles
    monkeypatch.setenv(mapdata.TILED_ABOVE_ENV, "2")
    events.clear()
    store = new_process(monkeypatch, tiny_store.url)
    tiled = mapdata.level_geometry(store, "village")
    assert tiled.tiles  # encoded anew, tiled
    assert ("keep", "mapgeom:tiled-above-2:village") in events


def test_a_warm_server_has_read_every_level_s_regions_before_the_first_visitor(
    tiny_store: Store, monkeypatch
):
    """The names and parents every view and list reads come from the store once, at the
    server's start: the first visitor's view (any level, any day) reads no region."""
    store = new_process(monkeypatch, tiny_store.url)
    firstview.warm(store)
    reads: list[str | None] = []
    monkeypatch.setattr(store, "regions", lambda level=None: reads.append(level))
    scheme = builtin_schemes()["who-ct-2021"]
    for level in store.levels():
        firstview.day_views(store, scheme, level, "2021-07-14", "en", public=False)
    assert service.regions(store) is not None and reads == []
    built: list[str] = []  # the lists' name look-up is there already too
    monkeypatch.setattr(service, "regions", lambda *a, **k: built.append("regions"))
    assert len(service.region_names(store)) == len(tiny_store.regions()) and built == []
