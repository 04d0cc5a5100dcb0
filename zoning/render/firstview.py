"""What the first map needs, made when the data change, not when the first person looks.

:func:`prepare` builds every level's counts, metrics and map geometry and keeps them in the
store for this data version (:func:`zoning.views.cache.kept`): the command line runs it
after each import and after the demo is written, the dashboard after any change it sees. A
server started later (:func:`warm`, run by ``app.py`` before it answers) then loads them
instead of building them, and builds the views of the first map: the default scheme and
level on the latest settled day. :func:`prefetch` builds the views of the days next to the
one just shown (a day and a week back and on), so the date steps find them ready.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time

import pandas as pd

from zoning.core.i18n import DEFAULT_LANG
from zoning.model.regions import LEVEL_LABELS
from zoning.model.schemes import DEFAULT_SCHEME, Scheme, builtin_schemes
from zoning.render import mapdata, presentation
from zoning.store import Store
from zoning.views import briefing, cache, policy, published, service

#: Days from the one shown whose views :func:`prefetch` builds: the date steps' targets.
NEIGHBOURS = (1, -1, 7, -7)
#: Seconds without a new map view before the prefetch worker starts a job. Right after a
#: view, the page's script is still running and the browser is drawing: on a 2-core server
#: that also serves the browser (a briefing laptop), the guesses took the CPU from both
#: (a date step's days cost about 0.2 s of CPU at 8,563 villages).
QUIET_S = 0.5
#: ... and this much longer per region of a level the browser draws anew (a first view):
#: its reading and painting grow with the regions (83,402 villages: up to ~1.3 s after the
#: page's run on a new server, while a day's guesses cost ~0.55 s of CPU each; started at
#: 0.5 s they took the cores from the first visitor's map, which then took three times as
#: long). A date step only recolours the shapes: its guesses wait :data:`QUIET_S`.
QUIET_PER_REGION_S = 8e-6


def prepare(store: Store) -> None:
    """Build (or load) and keep every level's data, map geometry, regions without a boundary
    and zones under the default scheme (every day) for this data version, and how the
    small levels' counts of the last weeks are shown to the public
    (:func:`zoning.views.published.week_states`)."""
    scheme = builtin_schemes()[DEFAULT_SCHEME]
    for level in store.levels():
        mapdata.level_geometry(store, level)
        mapdata.without_boundary(store, level)
        with contextlib.suppress(LookupError):  # a level with no counts at or below it
            service.level_data(store, level)
            service.zone_panel(store, scheme, level)
    published.week_states(store)


def day_views(
    store: Store, scheme: Scheme, level: str, day: object, lang: str, *, public: bool
) -> None:
    """Build the cached views the map page shows for one day (a whole level, no ``within``)."""
    label = LEVEL_LABELS[lang][level]
    service.zones_on(store, scheme, level, day)
    presentation.shown_zones(store, scheme, level, day, lang, public=public)
    presentation.shown_layer(store, scheme, level, day, lang, public=public)
    briefing.worst_zone(store, scheme, level, day, public=public, lang=lang)
    briefing.week_changes(store, scheme, level, day)
    mapdata.view_of(store, scheme, level, day, lang, public=public, level_label=label)


def first_view(store: Store) -> tuple[Scheme, str, pd.Timestamp] | None:
    """The view a bare address opens on: the default scheme, its default level and that
    level's latest settled day; ``None`` for a store without regions or counts."""
    scheme = builtin_schemes()[DEFAULT_SCHEME]
    try:
        level = policy.default_level(store, scheme)
        return scheme, level, service.level_data(store, level).settled_day
    except LookupError:
        return None


def warm(store: Store) -> None:
    """Everything the first map needs, in this process: what :func:`prepare` keeps (loaded;
    built and kept if this data version has none yet) and the views of the first view, for
    the public in the default language, as a first visitor sees it."""
    prepare(store)
    for level in (None, *store.levels()):  # names and parents, which every view reads
        service.regions(store, level)
    service.region_names(store)  # the lists beside the map look names up in it
    found = first_view(store)
    if found is not None:
        scheme, level, day = found
        policy.level_coverage(store, scheme, level)
        day_views(store, scheme, level, day, DEFAULT_LANG, public=True)


_QUEUE: queue.Queue = queue.Queue(maxsize=64)
#: Until when (``time.monotonic``) the worker waits: the last map view (the last call of
#: :func:`prefetch`) and :func:`quiet_s` of its level.
_QUIET_UNTIL = [0.0]
_WORKER: list[threading.Thread] = []
_WORKER_LOCK = threading.Lock()


def prefetch(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    lang: str,
    *,
    public: bool,
    new_shapes: bool = True,
) -> None:
    """Build the views of the days a date step reaches from ``day`` in the background
    (one worker thread per process, new requests dropped when it falls behind), once no
    map has been asked for during :func:`quiet_s` of the level's regions if the browser is
    drawing them anew (``new_shapes``: a first view, another level), else :data:`QUIET_S`
    (a date step only recolours them)."""
    regions = len(service.regions(store, level)) if new_shapes else 0
    _QUIET_UNTIL[0] = time.monotonic() + quiet_s(regions)
    dates = service.dates(store, level)
    day = pd.Timestamp(day).normalize()
    for step in NEIGHBOURS:
        target = day + pd.Timedelta(days=step)
        if dates[0] <= target <= dates[-1]:
            job = (store, scheme, level, target, lang, public, store.data_version(), step)
            with contextlib.suppress(queue.Full):
                _QUEUE.put_nowait(job)
    with _WORKER_LOCK:
        if not _WORKER or not _WORKER[0].is_alive():
            _WORKER[:] = [threading.Thread(target=_work, name="zoning-prefetch", daemon=True)]
            _WORKER[0].start()


def quiet_s(regions: int) -> float:
    """Seconds without a new view before the guesses start, after a view of ``regions``
    regions: :data:`QUIET_S`, and :data:`QUIET_PER_REGION_S` more per region."""
    return QUIET_S + QUIET_PER_REGION_S * max(regions, 0)


def _quiet() -> None:
    """Wait until no map view has been asked for during the last view's :func:`quiet_s`."""
    while (left := _QUIET_UNTIL[0] - time.monotonic()) > 0:
        time.sleep(left)


def _work() -> None:
    while True:
        store, scheme, level, day, lang, public, version, step = _QUEUE.get()
        _quiet()
        try:
            if store.data_version() != version:  # new data came: these views are old
                continue
            # the next and the day before are kept like the day shown (stepping through
            # days is the common case: an old day shown goes before them); a week's steps
            # are guesses, dropped before the views people asked for
            with cache.speculative(rank=0 if abs(step) == 1 else -abs(step)):
                day_views(store, scheme, level, day, lang, public=public)
        except Exception:  # only a head start: the page builds what it needs itself
            logging.getLogger("zoning").warning("prefetching %s failed", day, exc_info=True)
