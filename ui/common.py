"""What every page shares: the store, the language, the view in the URL, the data note.

Pages call these helpers and the :mod:`zoning` library; nothing here computes epidemiology.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.parse

import pandas as pd
import streamlit as st

from ui import legacy
from zoning.core.i18n import LANG_NAMES, LANGS, lang_or_default, pick, t
from zoning.core.text import escape_markdown
from zoning.demo.install import install_demo
from zoning.model.regions import LEVEL_LABELS
from zoning.model.schemes import DEFAULT_SCHEME, Scheme, builtin_schemes
from zoning.render import firstview
from zoning.render.alerts import public_url
from zoning.store import Store
from zoning.views import service
from zoning.views.analysis import SMOOTHING as SMOOTHED
from zoning.views.policy import default_level, level_coverage, level_fit, nearest_scheme_level

#: The view settings each page reads from the URL (by its path); a link to it carries them.
PAGE_VIEW = {
    "map": ("lang", "scheme", "level", "date", "smooth", "hotspots"),
    "trends": ("lang", "scheme", "level", "date"),
    "policy": ("lang", "scheme", "level", "date"),
    "briefing": ("lang", "scheme", "level", "date"),
    "upload": ("lang",),
    "alerts": ("lang", "scheme", "level"),
    "about": ("lang", "scheme"),
}


@st.cache_resource(show_spinner=False)
def _open_store() -> Store:
    return Store()


def _prepare_quietly(s: Store) -> None:
    try:
        firstview.prepare(s)
    except Exception:  # the page that needs the level reports the problem itself
        logging.getLogger("zoning").warning("preparing the levels failed", exc_info=True)


@st.cache_resource(show_spinner=False, max_entries=4)
def _prepare(url: str, version: int) -> threading.Thread:
    """Once per data version: prepare every level's data and map in the background, and
    keep them in the store for the next server (an upload's new data, or a store written by
    other means; after an import on the command line they are there already)."""
    thread = threading.Thread(target=_prepare_quietly, args=(_open_store(),), daemon=True)
    thread.start()
    return thread


def store() -> Store:
    """The app's store; the demo is written into an empty store on first use."""
    s = _open_store()
    if s.is_empty():
        with st.spinner(t("common.demo_building", lang())):
            install_demo(s)
    _prepare(s.url, s.data_version())
    return s


def view_param(name: str) -> str | None:
    """A view setting from the URL, else the one this session last used on any page.

    Streamlit's page links drop the query, so the session keeps the view (language, scheme,
    level, date) when a person moves from page to page, and the URL gets it back.
    """
    kept = st.session_state.setdefault("view", {})
    value = st.query_params.get(name)
    if value is None and name in kept:
        value = kept[name]
        st.query_params[name] = value
    return value


def keep_param(name: str, value: str | None) -> None:
    """Put a view setting in the URL and in the session."""
    kept = st.session_state.setdefault("view", {})
    if value is None:
        kept.pop(name, None)
        st.query_params.pop(name, None)
    else:
        kept[name] = value
        st.query_params[name] = value


def lang() -> str:
    """The interface language, from the URL (``?lang=en``); Bahasa Indonesia by default.

    A language the URL names is kept for the session, so it stays when a person moves on.
    Every page and ``dashboard.py`` call this first, so it also leaves Streamlit's legacy
    multipage mode (see :mod:`ui.legacy`).
    """
    legacy.leave_legacy_multipage_mode()
    value = view_param("lang")
    if value in LANGS:
        st.session_state["view"]["lang"] = value
    return lang_or_default(value)


def view_query(url_path: str) -> dict[str, str]:
    """The query of a link to the page at ``url_path`` that keeps the current view.

    Only the settings that page reads (:data:`PAGE_VIEW`), from the URL or, when the URL
    lacks one, from this session.
    """
    kept = st.session_state.get("view", {})
    found = {name: st.query_params.get(name) or kept.get(name) for name in PAGE_VIEW[url_path]}
    return {name: value for name, value in found.items() if value}


def page_links(pages: list, container) -> None:
    """The navigation: one link per page, each carrying the view (:func:`view_query`).

    Streamlit's own navigation drops the query, and with it the language and the view.
    """
    for page in pages:
        container.page_link(page, query_params=view_query(page.url_path))


def language_switch() -> str:
    """The language switch in the sidebar; keeps ``lang`` in the URL."""
    current = lang()
    st.sidebar.radio(
        t("common.language", current), LANGS, format_func=LANG_NAMES.get, horizontal=True,
        **_bound("lang_switch", "lang", current),
    )  # fmt: skip
    return current


def _param(name: str, choices: list[str], default: str) -> str:
    value = view_param(name)
    return value if value in choices else default


def _bound(key: str, name: str, current: object, to_param=str) -> dict:
    """Keyword arguments that bind a widget to a view setting in the URL.

    The URL (or the session) decides what the widget shows; a person's change is written
    back to the URL by the widget's callback before the page runs again.
    """
    st.session_state[key] = current
    return {"key": key, "on_change": lambda: keep_param(name, to_param(st.session_state[key]))}


def pick_scheme(lg: str, container=st.sidebar) -> Scheme:
    """Scheme selector, kept in ``?scheme=``.

    A list of choices rather than a drop-down: a drop-down's box cuts long scheme names off
    in the sidebar, a choice's label wraps onto a second line.
    """
    schemes = builtin_schemes()
    ids = list(schemes)
    current = _param("scheme", ids, DEFAULT_SCHEME)
    keep_param("scheme", current)
    bound = _bound("scheme_select", "scheme", current)
    bound["on_change"] = lambda: _scheme_chosen(schemes[st.session_state["scheme_select"]])
    container.radio(
        t("common.scheme", lg), ids, format_func=lambda i: pick(schemes[i].name, lg), **bound
    )  # fmt: skip
    return schemes[current]


def _scheme_chosen(scheme: Scheme) -> None:
    """Keep the chosen scheme, and move to the nearest level it applies at (PPKM Mikro: RT)."""
    keep_param("scheme", scheme.id)
    level = view_param("level")
    nearest = nearest_scheme_level(scheme, level, _open_store().levels())
    if nearest != level:
        keep_param("level", nearest)


def pick_level(s: Store, scheme: Scheme, lg: str, container=st.sidebar) -> str:
    """Level selector (levels that have regions), kept in ``?level=``."""
    levels = s.levels()
    current = _param("level", levels, default_level(s, scheme))
    keep_param("level", current)

    def label(lv: str) -> str:  # levels the scheme is not meant for are marked
        name = LEVEL_LABELS[lg][lv]
        return name if lv in scheme.levels else t("levels.outside", lg, level=name)

    container.selectbox(
        t("common.level", lg), levels, format_func=label,
        **_bound("level_select", "level", current),
    )  # fmt: skip
    fit = level_fit(scheme, current, level_coverage(s, scheme, current), levels, lg)
    if fit and fit[0] == "indicative":  # "no data" is said on the page (ui.measures)
        container.caption(fit[1])
    return current


#: How the map's zones are computed: from the rates as reported, or smoothed (``?smooth=``).
SMOOTHING = ("raw", *SMOOTHED)


def pick_smoothing(lg: str, container=st.sidebar) -> str:
    """Whether the map's zones come from the rates as reported or smoothed ones (``raw``,
    ``eb``, ``seb``), kept in ``?smooth=``."""
    current = _param("smooth", list(SMOOTHING), "raw")
    container.radio(
        t("map.smooth", lg), SMOOTHING, format_func=lambda k: t(f"map.smooth_{k}", lg),
        help=t("map.smooth_help", lg), **_bound("map_smooth", "smooth", current),
    )  # fmt: skip
    return current


def pick_hotspots(lg: str, container=st.sidebar) -> bool:
    """Whether the map outlines hot spots, kept in ``?hotspots=1``."""
    current = view_param("hotspots") == "1"
    container.toggle(
        t("map.show_hotspots", lg), help=t("map.hotspots_help", lg),
        **_bound("map_hotspots", "hotspots", current, lambda on: "1" if on else None),
    )  # fmt: skip
    return current


#: The date control's steps (days) and their labels' keys.
DATE_STEPS = ((-1, "day_back"), (1, "day_on"), (-7, "week_back"), (7, "week_on"))


def pick_date(s: Store, level: str, lg: str, container=st.sidebar) -> pd.Timestamp:
    """A date picker over the data's days and buttons a day and a week back and on, kept in
    ``?date=``; defaults to the latest settled day."""
    data = service.level_data(s, level)
    days = [d.date() for d in data.panel.dates]
    raw = view_param("date")
    try:
        current = dt.date.fromisoformat(raw) if raw else data.settled_day.date()
    except ValueError:
        current = data.settled_day.date()
    current = min(max(current, days[0]), days[-1])
    keep_param("date", current.isoformat())
    st.session_state["date_input"] = current

    def picked() -> None:
        value = st.session_state.get("date_input")
        if isinstance(value, dt.date):  # a cleared box keeps the day shown
            keep_param("date", value.isoformat())

    container.date_input(
        t("common.date", lg), min_value=days[0], max_value=days[-1], format="YYYY-MM-DD",
        key="date_input", on_change=picked,
    )  # fmt: skip
    columns = [*container.columns(2), *container.columns(2)]  # a day back and on, then a week
    for column, (step, name) in zip(columns, DATE_STEPS, strict=True):
        target = min(max(current + dt.timedelta(days=step), days[0]), days[-1])
        column.button(
            t(f"common.date_{name}", lg), key=f"date_{name}", width="stretch",
            help=t(f"common.date_{name}_help", lg), disabled=target == current,
            on_click=keep_param, args=("date", target.isoformat()),
        )  # fmt: skip
    return pd.Timestamp(current)


#: How the map page shows the chosen date (``?mode=``): alone, beside another, or played.
MAP_MODES = ("one", "compare", "play")


def pick_map_mode(lg: str, container=st) -> str:
    """The map's mode, kept in ``?mode=``; one date unless the URL or the person says."""
    current = _param("mode", list(MAP_MODES), "one")
    st.session_state["map_mode"] = current

    def chosen() -> None:  # choosing the mode shown again deselects it: back to one date
        keep_param("mode", st.session_state.get("map_mode") or "one")

    container.segmented_control(
        t("map.mode", lg), MAP_MODES, format_func=lambda m: t(f"map.mode_{m}", lg),
        key="map_mode", on_change=chosen, label_visibility="collapsed",
    )  # fmt: skip
    return current


def pick_compare_date(
    s: Store, level: str, day: pd.Timestamp, lg: str, container=st
) -> pd.Timestamp:
    """The date shown beside the chosen one (``?compare=``): a week before it by default."""
    days = [d.date() for d in service.level_data(s, level).panel.dates]
    raw = view_param("compare")
    fallback = max(day.date() - dt.timedelta(days=7), days[0])
    try:
        other = dt.date.fromisoformat(raw) if raw else fallback
    except ValueError:
        other = fallback
    other = min(max(other, days[0]), days[-1])
    keep_param("compare", other.isoformat())
    st.session_state["compare_input"] = other

    def picked() -> None:
        value = st.session_state.get("compare_input")
        if isinstance(value, dt.date):
            keep_param("compare", value.isoformat())

    container.date_input(
        t("map.compare_with", lg), min_value=days[0], max_value=days[-1], format="YYYY-MM-DD",
        key="compare_input", on_change=picked,
    )  # fmt: skip
    return pd.Timestamp(other)


def data_note(s: Store, lg: str, container=st) -> None:
    """'Data as of' next to 'last updated', and the note on schematic shapes if any."""
    meta = s.meta()
    as_of = meta.get("as_of", "–")
    updated = meta.get("last_updated", "–").replace("T", " ")
    container.caption(
        t("common.data_as_of", lg, as_of=as_of)
        + " · "
        + t("common.last_updated", lg, updated=updated + " UTC")
    )
    note = meta.get("geometry_note")
    if note:
        container.caption("⚠️ " + escape_markdown(pick(json.loads(note), lg)))


def level_label(level: str, lg: str) -> str:
    return LEVEL_LABELS[lg][level]


def site_address() -> str:
    """Where people reach this dashboard: ``ZONING_PUBLIC_URL``, else this request's origin."""
    url = urllib.parse.urlsplit(st.context.url or "")
    return public_url(f"{url.scheme}://{url.netloc}") if url.scheme and url.netloc else public_url()
