"""The press briefing: which view to show, its headline numbers and their wording.

Pure functions of the :class:`~zoning.store.Store` (through :mod:`zoning.views.service`) and a
language code; ``pages/briefing.py`` only places the results on the screen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.core.i18n import DEFAULT_LANG, format_number, pick, t, tn
from zoning.model import metrics as M
from zoning.model import privacy
from zoning.model.codes import is_within
from zoning.model.regions import LEVEL_LABELS, level_depth
from zoning.model.schemes import DEFAULT_SCHEME, NO_ZONE, Scheme, builtin_schemes
from zoning.store import Store
from zoning.views import cache, decisions, published, service
from zoning.views.policy import default_level

#: Rows of the table of regions in the most severe zone (PDF brief).
TABLE_ROWS = 15
#: The rate regions in the most severe zone are ranked by, when the scheme reads it.
RATE_METRIC = "cases_7d_per_100k"
#: Share of region-days that must be reported in both weeks to compare them.
MIN_COVERAGE = 0.95


@dataclass(frozen=True)
class View:
    """What the briefing shows: a scheme, a level and a day."""

    scheme: Scheme
    level: str
    day: pd.Timestamp
    day_from_url: bool  # False: the latest settled day, which moves with new data


# --- the view --------------------------------------------------------------------------------


def view_from_params(store: Store, params: Mapping[str, str | None]) -> View:
    """The view asked for by the URL (``scheme``, ``level``, ``date``), with defaults.

    Unknown or malformed values fall back to the defaults; a date outside the data is moved
    to its nearest end. Raises ``LookupError`` when the store has no counts to show.
    """
    schemes = builtin_schemes()
    scheme = schemes.get(params.get("scheme") or "") or schemes[DEFAULT_SCHEME]
    level = params.get("level")
    if level not in store.levels():
        level = default_level(store, scheme)
    dates = service.dates(store, level)
    if not len(dates):
        raise LookupError(f"no daily counts for the level {level!r}")
    try:
        day = pd.Timestamp(dt.date.fromisoformat(params.get("date") or ""))
    except ValueError:
        return View(scheme, level, service.level_data(store, level).settled_day, False)
    return View(scheme, level, min(max(day, dates[0]), dates[-1]), True)


# --- the numbers -----------------------------------------------------------------------------


def _number(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def province_cases(store: Store, day: object, within: str | None = None) -> dict[str, object]:
    """New cases of the whole area in the 7 days to ``day`` and in the 7 days before.

    Summed over the region-days reported at the level the counts come from (villages for the
    demo), so one late village does not blank the province's number; a missing day is never
    read as zero: ``coverage`` says which share of the region-days was reported. The change
    is only computed when both weeks have at least :data:`MIN_COVERAGE` of their reports.
    Reads only the two weeks it needs, cached by data version.

    Returns a dict with ``cases_7d``, ``cases_prev_7d`` (``None`` without any report),
    ``coverage``, ``prev_coverage`` (0 to 1), ``change_pct`` and ``source_level``.
    """
    top = level_depth(store.levels()[0])
    level = next((lv for lv in service.counted_levels(store) if level_depth(lv) >= top), None)
    if level is None:
        raise LookupError("the store has no daily counts")
    day = pd.Timestamp(day).normalize()

    def build() -> dict[str, object]:
        start = M.window_start(day, windows=2)
        counts = service.reported_counts(store, level, start, day)
        regions = service.regions(store, level)["code"]
        if within is not None:  # the regions inside one area (a regency's bulletin)
            counts = counts[[is_within(str(c), within) for c in counts["region"]]]
            regions = regions[[is_within(str(c), within) for c in regions]]
        slots = len(regions) * M.WINDOW
        out: dict[str, object] = {"source_level": level}
        cases = counts.get("new_cases", pd.Series(np.nan, index=counts.index))
        window = M.windows_back(counts["date"], day)
        for name, cov, week in (("cases_7d", "coverage", 0), ("cases_prev_7d", "prev_coverage", 1)):
            values = cases[window == week].dropna()
            out[cov] = len(values) / slots if slots else 0.0
            out[name] = float(values.sum()) if len(values) else None
        both = min(out["coverage"], out["prev_coverage"]) >= MIN_COVERAGE
        out["change_pct"] = change_pct(out["cases_7d"], out["cases_prev_7d"]) if both else None
        return out

    key = cache.key(store, "briefing-cases", level, within, day=day)
    return dict(cache.cached(key, build, "view"))


def change_pct(last: float | None, before: float | None) -> float | None:
    """Percent change of ``last`` on ``before`` (``None`` when it cannot be computed)."""
    if last is None or before is None or before <= 0:
        return None
    return (last - before) / before * 100.0


def headline(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    *,
    public: bool = False,
    lang: str = DEFAULT_LANG,
    within: str | None = None,
) -> dict:
    """The briefing's numbers for one view.

    Returns a dict with ``day``, ``as_of``, ``last_updated``, ``provisional`` (the day's
    figures are still filling in), ``regions`` and ``people`` (all regions of the level),
    ``zones`` (one dict per zone, least severe first, then "no data" with index ``NO_ZONE``:
    ``index, id, colour, regions, people``), ``severe`` (the most severe zone that has
    regions, else the scheme's most severe zone), ``severe_regions`` (its regions, highest
    ``rate`` first: ``code, name, population, rate``), ``rate_metric``, and the new cases
    of the whole area from :func:`province_cases` (``cases_7d``, ``cases_prev_7d``,
    ``coverage``, ``prev_coverage``, ``change_pct``).

    ``public``: the rates of villages, RW and RT are shown as :mod:`zoning.model.privacy` allows
    (ranges or text in ``lang``), taken from :func:`zoning.views.published.public_zones`, and the
    regions are ordered by what is shown (numbers first, highest first; then by name).
    ``within``: only the regions inside that region code, and the new cases of that area.
    """
    zones = service.zones_on(store, scheme, level, day)
    shown = published.public_zones(store, scheme, level, day, lang, public=public)
    if within is not None:  # only the regions inside one area, e.g. a regency's villages
        zones = zones[[is_within(str(c), within) for c in zones["code"]]]
        shown = shown[[is_within(str(c), within) for c in shown["code"]]]
    people = zones["population"].fillna(0.0)
    per_zone = []
    for i in [*range(len(scheme.zones)), NO_ZONE]:
        sel = (zones["zone_index"] == i).to_numpy()
        per_zone.append(
            {
                "index": i,
                "id": scheme.zones[i].id if i != NO_ZONE else None,
                "colour": scheme.zone_colour(i),
                "regions": int(sel.sum()),
                "people": round(float(people[sel].sum())),
            }
        )
    occupied = [z for z in per_zone[:-1] if z["regions"]]
    severe = occupied[-1] if occupied else per_zone[-2]
    rate_metric = rate_metric_of(scheme, zones)
    rows = severe_rows(shown, severe["index"], rate_metric)
    meta = store.meta()
    return {
        "scheme": scheme.id,
        "level": level,
        "day": pd.Timestamp(day),
        "as_of": meta.get("as_of"),
        "last_updated": meta.get("last_updated"),
        "provisional": bool(zones["provisional"].any()),
        "regions": len(zones),
        "people": round(float(people.sum())),
        "zones": per_zone,
        "severe": severe,
        "severe_regions": [
            {
                "code": r.code,
                "name": r.name,
                "population": r.population,
                "rate": r.rate if isinstance(r.rate, str) else _number(r.rate),
            }
            for r in rows.itertuples(index=False)
        ],
        "rate_metric": rate_metric,
        **province_cases(store, day, within),
    }


def rate_metric_of(scheme: Scheme, zones: pd.DataFrame) -> str:
    """The rate regions in a zone are ranked by: :data:`RATE_METRIC` where the view has it."""
    return RATE_METRIC if RATE_METRIC in zones else scheme.metrics[0]


def severe_rows(shown: pd.DataFrame, zone: int, rate_metric: str) -> pd.DataFrame:
    """The regions of ``shown`` (a zones table as a viewer sees it) in ``zone``, with their
    ``rate``, ordered by what is shown: numbers, highest first, then the rest (ranges,
    hidden) by name. The order never depends on a value the viewer does not see."""
    rows = shown[shown["zone_index"] == zone]
    rows = rows.assign(rate=rows.get(rate_metric, np.nan))
    return rows.iloc[privacy.shown_order(rows["rate"].tolist(), rows["name"].tolist())]


def worst_zone(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    *,
    public: bool,
    lang: str,
    within: str | None = None,
) -> tuple[int | None, pd.DataFrame]:
    """The most severe zone any region of the view (inside ``within``, if given) is in
    (``None``: no region has a zone), and its regions as :func:`severe_rows` orders them,
    figures as the viewer sees them (:func:`zoning.views.published.public_zones`).

    Built once per view and shared by every session showing it (read it, never change it):
    at 83,000 villages ten sessions each building their own at the same moment kept
    hundreds of MB.
    """
    key = cache.key(
        store, "worst-zone", scheme.id, level, lang, public, within, day=day, decided=True
    )
    build = lambda: _worst_zone(store, scheme, level, day, public, lang, within)  # noqa: E731
    return cache.cached(key, build, shelf="view")


def _worst_zone(
    store: Store, scheme: Scheme, level: str, day: object, public: bool, lang: str,
    within: str | None,
) -> tuple[int | None, pd.DataFrame]:  # fmt: skip
    shown = published.public_zones(store, scheme, level, day, lang, public=public)
    if within:
        shown = shown[[is_within(code, within) for code in shown["code"]]]
    zoned = shown["zone_index"][shown["zone_index"] != NO_ZONE]
    if zoned.empty:
        return None, shown.iloc[:0]
    zone = int(zoned.max())
    return zone, severe_rows(shown, zone, rate_metric_of(scheme, shown))


#: Days back "what changed" compares with: the same weekday a week before.
CHANGE_DAYS = 7


def week_changes(
    store: Store, scheme: Scheme, level: str, day: object, *, within: str | None = None
) -> tuple[pd.Timestamp | None, pd.DataFrame]:
    """The regions whose zone on ``day`` differs from their zone :data:`CHANGE_DAYS` days
    before (inside ``within``, if given), zones as shown (analysts' decisions applied).

    Returns the day compared with (``None`` when the data do not reach back that far) and
    ``code, name, before, after`` (zone indices; a region without a zone on either day is
    left out: no data is not a change), the worse first (by how many zones, then the zone
    reached, then name), then the better. Built once per view and shared, as
    :func:`worst_zone`.
    """
    key = cache.key(store, "week-changes", scheme.id, level, within, day=day, decided=True)
    build = lambda: _week_changes(store, scheme, level, day, within)  # noqa: E731
    return cache.cached(key, build, shelf="view")


def _week_changes(
    store: Store, scheme: Scheme, level: str, day: object, within: str | None
) -> tuple[pd.Timestamp | None, pd.DataFrame]:
    data = service.level_data(store, level)
    j = data.day_index(day)
    columns = ["code", "name", "before", "after"]
    if j < CHANGE_DAYS:
        return None, pd.DataFrame(columns=columns)
    zones = decisions.zone_panel(store, scheme, level)  # the zones shown: decisions applied
    before, after = zones[:, j - CHANGE_DAYS], zones[:, j]
    moved = (before != NO_ZONE) & (after != NO_ZONE) & (before != after)
    codes = data.panel.regions
    if within:
        moved &= np.array([is_within(c, within) for c in codes], dtype=bool)
    names = service.regions(store, level).set_index("code")["name"]
    out = pd.DataFrame(
        {
            "code": codes[moved],
            "name": names.reindex(codes[moved]).to_numpy(),
            "before": before[moved].astype(int),
            "after": after[moved].astype(int),
        }
    )
    step = out["after"] - out["before"]
    out = out.assign(_worse=step < 0, _step=-step.abs(), _to=-out["after"])
    out = out.sort_values(["_worse", "_step", "_to", "name", "code"], kind="stable")
    return data.panel.dates[j - CHANGE_DAYS], out[columns].reset_index(drop=True)


# --- the words -------------------------------------------------------------------------------


def place_name(store: Store, lang: str) -> str:
    """The name of the area as a whole: the one top region (the province), else its level."""
    top = service.regions(store, store.levels()[0])
    return str(top["name"].iat[0]) if len(top) == 1 else LEVEL_LABELS[lang][store.levels()[0]]


def data_line(headline: Mapping, lang: str) -> str:
    """'Data per <as of> · diperbarui <last updated> UTC'."""
    updated = (headline.get("last_updated") or "–").replace("T", " ")[:16]
    return (
        t("common.data_as_of", lang, as_of=headline.get("as_of") or "–")
        + " · "
        + t("common.last_updated", lang, updated=f"{updated} UTC")
    )


def change_text(headline: Mapping, lang: str) -> str:
    """The week-on-week change of the province's new cases, in words."""
    pct, before = headline["change_pct"], headline["cases_prev_7d"]
    if pct is None:
        return t("briefing.change_none", lang)
    before_text = format_number(before, lang)
    if round(pct, 1) == 0:
        return t("briefing.change_same", lang, before=before_text)
    key = "briefing.change_up" if pct > 0 else "briefing.change_down"
    return t(key, lang, pct=format_number(abs(pct), lang, 1), before=before_text)


def coverage_text(headline: Mapping, lang: str) -> str:
    """Which share of the daily reports the 7-day total is made of ("" when all of them)."""
    cov = headline.get("coverage")
    if cov is None or cov >= 1.0 or headline.get("cases_7d") is None:
        return ""
    pct = format_number(min(cov * 100, 99.9), lang, 1)
    source = LEVEL_LABELS[lang][headline["source_level"]].lower()
    return t("briefing.coverage", lang, pct=pct, level=source)


def texts(
    headline: Mapping, scheme: Scheme, level: str, lang: str, place: str, day_from_url: bool = False
) -> dict:
    """Every sentence of the briefing for ``headline`` in ``lang`` (screen and PDF).

    Keys: ``title``, ``view``, ``zones_on``, ``data_line``, ``severe_title``,
    ``severe_regions`` (``severe_count`` and ``severe_of``: the screen sets them apart),
    ``severe_people``, ``cases_title``, ``cases_value``,
    ``cases_coverage``, ``cases_change``, ``zones_title``, ``zone_lines`` (``(label,
    colour, text)`` per zone), ``table_title``, ``table_header``.
    """
    day = headline["day"].date().isoformat()
    severe = headline["severe"]
    severe_label = scheme.zone_label(severe["index"], lang)
    cases = headline["cases_7d"]
    words = {
        "title": t("briefing.title", lang, place=place),
        "view": t(
            "briefing.view", lang, level=LEVEL_LABELS[lang][level], scheme=pick(scheme.name, lang)
        ),
        "zones_on": t(
            "briefing.zones_on_chosen" if day_from_url else "briefing.zones_on", lang, day=day
        ),
        "data_line": data_line(headline, lang),
        "severe_title": t("briefing.severe_title", lang, zone=severe_label),
        "severe_count": tn(
            "briefing.regions_n", lang, severe["regions"], n=format_number(severe["regions"], lang)
        ),
        "severe_of": t("briefing.of_regions", lang, n=format_number(headline["regions"], lang)),
        "severe_people": t("briefing.people_n", lang, people=format_number(severe["people"], lang)),
        "cases_title": t("briefing.cases_title", lang, place=place),
        "cases_value": format_number(cases, lang)
        if cases is not None
        else t("briefing.cases_unknown", lang),
        "cases_coverage": coverage_text(headline, lang),
        "cases_change": change_text(headline, lang),
        "zones_title": t("briefing.zones_title", lang),
        "zone_lines": [
            (
                scheme.zone_label(z["index"], lang),
                z["colour"],
                tn(
                    "briefing.zone_line",
                    lang,
                    z["regions"],
                    n=format_number(z["regions"], lang),
                    people=format_number(z["people"], lang),
                ),
            )
            for z in headline["zones"]
        ],
        "table_title": t("briefing.table_title", lang, zone=severe_label, n=TABLE_ROWS),
        "table_header": (
            t("briefing.table_region", lang),
            t("briefing.table_rate", lang),
            t("briefing.table_population", lang),
        ),
    }
    words["severe_regions"] = f"{words['severe_count']} {words['severe_of']}"
    return words


def pdf_facts(texts: Mapping) -> list[tuple[str, str]]:
    """The headline numbers of :func:`texts` as ``(kind, text)`` lines for the PDF brief."""
    zones = [("text", f"{label}: {line}") for label, _, line in texts["zone_lines"]]
    cases = [("big", texts["cases_value"])]
    if texts["cases_coverage"]:
        cases.append(("text", texts["cases_coverage"]))
    return [
        ("heading", texts["severe_title"]),
        ("big", texts["severe_regions"]),
        ("text", texts["severe_people"]),
        ("gap", ""),
        ("heading", texts["cases_title"]),
        *cases,
        ("text", texts["cases_change"]),
        ("gap", ""),
        ("heading", texts["zones_title"]),
        *zones,
    ]


def source_text(store: Store, scheme: Scheme, lang: str) -> str:
    """'Source: <the store's source, else this dashboard>. Scheme: <scheme and publisher>.'"""
    raw = store.meta().get("source") or ""
    try:
        source = pick(json.loads(raw), lang) if raw.startswith("{") else raw
    except (ValueError, AttributeError):
        source = raw
    source = source.strip().rstrip(".")  # the sentence adds its own full stop
    publisher = scheme.source.get("publisher", "")
    name = pick(scheme.name, lang) + (f" ({publisher})" if publisher else "")
    return t(
        "briefing.source", lang, source=source or t("briefing.source_store", lang), scheme=name
    )


def geometry_note(store: Store, lang: str) -> str:
    """The store's note on schematic shapes (demo data), or an empty string."""
    raw = store.meta().get("geometry_note")
    if not raw:
        return ""
    try:
        return pick(json.loads(raw), lang)
    except (ValueError, AttributeError):
        return str(raw)
