"""What a page shows of the data: labels, formatted values, legends and map layers.

Pure functions of library objects and a language code; the pages only place the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.core.i18n import format_number, pick, t
from zoning.core.text import escape_html
from zoning.model import metrics as M
from zoning.model import privacy
from zoning.model.codes import is_within
from zoning.model.regions import LEVEL_LABELS
from zoning.model.rollup import zone_totals
from zoning.model.schemes import Scheme, Zone
from zoning.render.mapview import build_zone_map, map_to_html
from zoning.store import Store
from zoning.views import analysis, cache, decisions, published, service
from zoning.views.policy import Note, note_heading


def metric_label(metric: str, lang: str) -> str:
    """The interface name of a metric or raw count column."""
    return t(f"metrics.{metric}", lang)


def legend(scheme: Scheme, lang: str) -> list[tuple[str, str]]:
    """``(label, colour)`` for every zone and for 'no data'."""
    return list(zip(scheme.zone_labels(lang), scheme.zone_colours(), strict=True))


def with_labels(frame: pd.DataFrame, scheme: Scheme, lang: str) -> pd.DataFrame:
    """Add ``zone_label`` and ``colour`` columns from ``zone_index``."""
    labels = np.array(scheme.zone_labels(lang), dtype=object)
    colours = np.array(scheme.zone_colours(), dtype=object)
    idx = scheme.lookup_index(frame["zone_index"].to_numpy())
    return frame.assign(zone_label=labels[idx], colour=colours[idx])


def shown_columns(scheme: Scheme, frame: pd.DataFrame) -> list[str]:
    """The metrics that decided the zone, then the raw counts behind them."""
    raw = [c for c in ("new_cases_7d", "deaths_7d", "admissions_7d") if c in frame]
    return [m for m in scheme.metrics if m in frame] + raw


def shown_zones(
    store: Store, scheme: Scheme, level: str, day: object, lang: str, *, public: bool
) -> pd.DataFrame:
    """:func:`zoning.views.service.zones_on` as a viewer may see it: for the public, small counts
    of villages, RW and RT and all values computed from them as :mod:`zoning.model.privacy` says
    (:func:`zoning.views.published.public_zones`, the one masked source).
    """
    return published.public_zones(store, scheme, level, day, lang, public=public)


@dataclass(frozen=True)
class ShownLayer:
    """The regions of a map view as the page shows them (:func:`shown_layer`).

    ``layer``: :func:`zoning.views.service.zones_on` inside ``within``, each region's zone the
    one it shows (an analyst's decision, else the computed one, or the smoothed zone where
    asked for and allowed), with :data:`zoning.views.decisions.COLUMNS`, ``zone_label`` and
    ``colour``; ``totals``: :func:`zoning.model.rollup.zone_totals` of it; ``smoothing``:
    ``"raw"`` (not asked for), ``"no_rate"`` (the scheme has no rate to smooth),
    ``"withheld"`` (not for this viewer at this level) or ``"shown"``. Shared: never changed.
    """

    layer: pd.DataFrame
    totals: pd.DataFrame
    smoothing: str


def _decided(zones: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """``zones`` (exact figures) with the zone each region shows and what it rests on
    (``zone_index``, ``zone``, :data:`zoning.views.decisions.COLUMNS`) from ``shown``, the
    same regions' public zones. Every column is one of the two tables' own (copy on write):
    at 83,402 villages a copy was 8 MB more per view held."""
    if not shown["code"].equals(zones["code"]):  # the same rows in the same order, else
        shown = shown.set_index("code").reindex(zones["code"]).reset_index()
    decided = ("zone_index", "zone", *decisions.COLUMNS)
    order = [*zones.columns, *(c for c in decisions.COLUMNS if c not in zones)]
    return pd.DataFrame({c: shown[c] if c in decided else zones[c] for c in order}, copy=False)


def shown_layer(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    lang: str,
    *,
    public: bool,
    within: str | None = None,
    smooth: str = "raw",
) -> ShownLayer:
    """The zones a map page shows for one view, built once per view and data version and
    shared by every session (what a date change would otherwise rebuild over every region)."""
    key = cache.key(
        store, "shownlayer", scheme.id, level, within, lang, public, privacy.get_threshold(),
        smooth, day=day, decided=True,
    )  # fmt: skip

    def build() -> ShownLayer:
        zones = zones_within(service.zones_on(store, scheme, level, day), within)
        shown = zones_within(shown_zones(store, scheme, level, day, lang, public=public), within)
        zones = _decided(zones, shown)
        smoothing = "raw"
        if smooth != "raw" and analysis.smoothed_metric(scheme) is None:
            smoothing = "no_rate"
        elif smooth != "raw":
            smoothed = published.public_smoothed_zones(
                store, scheme, level, day, smooth, public=public
            )
            smoothing = "withheld" if smoothed is None else "shown"
            if smoothed is not None:  # the cards and the map follow the smoothed zones
                by_code = smoothed.set_index("code").reindex(zones["code"])
                zones = zones.assign(
                    zone_index=by_code["zone_index"].to_numpy(), zone=by_code["zone"].to_numpy()
                )
        layer = with_labels(zones, scheme, lang)
        return ShownLayer(layer, zone_totals(layer, scheme), smoothing)

    return cache.cached(key, build, shelf="view")


def zones_within(frame: pd.DataFrame, within: str | None) -> pd.DataFrame:
    """The rows of regions inside region ``within`` (all rows when it is ``None``)."""
    if not within:
        return frame
    return frame[[is_within(c, within) for c in frame["code"]]].reset_index(drop=True)


def geometry_of(store: Store, level: str, codes: pd.Series) -> gpd.GeoSeries:
    """The display geometry of regions of ``level``, in the order of ``codes``."""
    geo = service.geometries(store, level).set_index("code").geometry
    return geo.reindex(codes.to_numpy()).reset_index(drop=True)


@dataclass(frozen=True)
class TooltipRow:
    """One figure of the map's tooltip, for every region of a zones table.

    ``values`` (object array, one per row of the table): a number rounded to ``decimals``
    (a whole number when there are none), text (a range, 'hidden', the weekly note,
    'incomplete', a coverage) or ``None`` (no value).
    """

    column: str
    label: str
    decimals: int
    values: np.ndarray


def tooltip_rows(
    zones: pd.DataFrame,
    scheme: Scheme,
    lang: str,
    masks: pd.DataFrame | Mapping[str, Sequence[object]] | None = None,
) -> list[TooltipRow]:
    """The figures of each region's tooltip: the one source of the live map's payload
    (:func:`zoning.render.mapdata.zone_view`) and of the standalone HTML map
    (:func:`map_layer`).

    The metrics that decided the zone and the raw counts behind them
    (:func:`shown_columns`), then, where some region's figures rest on part of its children
    (:mod:`zoning.model.rollup`), the share of people they cover and "the zone is at least
    this" where it is a lower bound.

    Parameters
    ----------
    zones : DataFrame
        :func:`zoning.views.service.zones_on` (or rows of it): ``zone_index``, metrics, raw
        7-day counts, ``window_complete``, and ``coverage`` with ``at_least`` where known.
    masks : DataFrame or mapping, optional
        Column -> display values (numbers or text such as ``"1–4"``) replacing a column's
        values, aligned with ``zones``: how small counts are shown to the public.
    """
    incomplete = t("common.incomplete", lang)
    complete = zones["window_complete"].to_numpy(dtype=bool)
    rows = []
    for col in shown_columns(scheme, zones):
        decimals = M.shown_decimals(col)
        if masks is not None and col in masks:
            raw, text, number = _text_or_number(masks[col])
        else:
            number = zones[col].to_numpy(dtype=float)
            raw, text = None, np.zeros(len(zones), dtype=bool)
        number = number.round(decimals)
        finite = np.isfinite(number)
        whole = np.where(finite, number, 0).astype(np.int64)
        value = (whole if decimals == 0 else number).astype(object)
        value[~finite] = None
        value[~finite & ~complete] = incomplete
        if raw is not None:
            value[text] = raw[text]
        rows.append(TooltipRow(col, metric_label(col, lang), decimals, value))
    return rows + _coverage_row(zones, lang) + _decision_row(scheme, lang, masks)


def text_flags(values: np.ndarray) -> np.ndarray:
    """Which of ``values`` (an object array of figures as shown) are text ("1–4", a note)
    rather than numbers or missing."""
    return np.fromiter((isinstance(v, str) for v in values), bool, len(values))


def _text_or_number(values: Sequence[object]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A masked column as values (object), whether each is text, and each as a number (NaN
    for text and missing values)."""
    raw = np.asarray(values, dtype=object)
    text = text_flags(raw)
    number = np.full(len(raw), np.nan)
    plain = ~text & pd.notna(raw)
    try:
        number[plain] = raw[plain].astype(float)
    except (TypeError, ValueError):  # something neither text nor a number: not a number
        number[plain] = pd.to_numeric(pd.Series(raw[plain]), errors="coerce").to_numpy(float)
    return raw, text, number


def _decision_row(scheme: Scheme, lang: str, masks: object) -> list[TooltipRow]:
    """The row of :func:`tooltip_rows` that says what each zone rests on (a public zones
    table's ``decision``: :func:`zoning.views.decisions.state_lines`, plain text)."""
    if masks is None or "decision" not in masks:
        return []
    frame = pd.DataFrame({c: masks[c] for c in ("decision", "decided_by", "decided_on")})
    frame["computed"] = pd.Series(masks["computed_zone_index"], index=frame.index).astype(int)
    # one text per distinct state, who, day and computed zone (a few at most), each region
    # given its own: the groups are numbered, never looped over region by region
    group = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(group, return_index=True)
    said = [
        " · ".join(
            decisions.state_lines(
                scheme, lang, decision=key[0], decided_by=key[1], decided_on=key[2],
                computed_index=key[3],
            )
        )
        for key in frame.iloc[first].itertuples(index=False, name=None)
    ]  # fmt: skip
    out = np.array(said, dtype=object)[group] if len(frame) else np.array([], dtype=object)
    return [TooltipRow("decision", t("decisions.tooltip", lang), 0, out)]


def _coverage_row(zones: pd.DataFrame, lang: str) -> list[TooltipRow]:
    """The coverage row of :func:`tooltip_rows`: none where everything is covered."""
    if "coverage" not in zones or "at_least" not in zones:
        return []
    share = zones["coverage"].to_numpy(dtype=float)
    at_least = zones["at_least"].to_numpy(dtype=bool)
    if not ((share < 1.0) & (share > 0.0)).any():
        return []
    pct = [format_number(100.0 * s, lang, decimals=0) + " %" for s in share]
    text = np.array(
        [
            t("common.coverage_at_least", lang, pct=p) if low else p
            for p, low in zip(pct, at_least, strict=True)
        ],
        dtype=object,
    )
    text[~np.isfinite(share)] = None
    return [TooltipRow("coverage", t("common.coverage", lang), 0, text)]


def map_layer(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    lang: str,
    within: str | None = None,
    *,
    public: bool,
) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """The map's regions with zone, colour and formatted tooltip columns.

    ``public`` (required: a viewer who is not an analyst) takes every value from
    :func:`shown_zones`. Returns the GeoDataFrame and the ``(column, label)`` pairs for the
    tooltip: the name, the zone, :func:`tooltip_rows` as text (``<column>__text``) and the
    population, as on the live map.
    """
    zones = with_labels(shown_zones(store, scheme, level, day, lang, public=public), scheme, lang)
    geo = service.geometries(store, level)[["code", "geometry"]]
    frame = geo.merge(zones, on="code", how="inner")
    frame = zones_within(frame, within)
    fields = [("name", LEVEL_LABELS[lang][level]), ("zone_label", t("common.zone", lang))]
    for row in tooltip_rows(frame, scheme, lang, masks=frame):
        text = [
            v if isinstance(v, str) else format_number(v, lang, row.decimals) for v in row.values
        ]
        frame[f"{row.column}__text"] = text
        fields.append((f"{row.column}__text", row.label))
    frame["population__text"] = frame["population"].map(lambda v: format_number(v, lang))
    fields.append(("population__text", t("common.population", lang)))
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326"), fields


def standalone_map_html(
    store: Store,
    scheme: Scheme,
    level: str,
    day: object,
    lang: str,
    within: str | None = None,
    *,
    public: bool,
) -> bytes:
    """The view as one self-contained interactive HTML file (Leaflet inlined, no internet),
    its tooltips from :func:`shown_zones` (``public`` as there)."""
    layer, tooltip = map_layer(store, scheme, level, day, lang, within=within, public=public)
    drawable = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]
    title = f"{LEVEL_LABELS[lang][level]} · {pd.Timestamp(day).date()}"
    fmap = build_zone_map(
        drawable, tooltip_fields=tooltip, legend=legend(scheme, lang), title=title
    )
    return map_to_html(fmap, inline=True).encode("utf-8")


def swatch_html(colour: str, label: str) -> str:
    """A colour square followed by the zone's label (never colour alone)."""
    return (
        f"<span style='display:inline-block;width:1.1em;height:1.1em;vertical-align:-0.15em;"
        f"margin-right:0.4em;border-radius:3px;border:1px solid rgba(0,0,0,.35);"
        f"background:{escape_html(colour)}'></span><b>{escape_html(label)}</b>"
    )


def html_list(items: list[str]) -> str:
    """A bulleted list of plain-text items, escaped."""
    return "<ul>" + "".join(f"<li>{escape_html(i)}</li>" for i in items) + "</ul>"


def zone_cards_html(cards: list[tuple[str, str, str]]) -> str:
    """Every zone's count card in one compact row that wraps on a narrow screen, escaped.

    ``cards`` are ``(label, colour, text)``: a colour bar, the zone's label, a line of text.
    Two cards share a row on a phone, so the cards leave the map its place on the screen.
    """
    items = "".join(
        f"<div style='flex:1 1 10rem;min-width:0;border-left:6px solid {escape_html(colour)};"
        f"padding:0 .4rem;line-height:1.25'><b>{escape_html(label)}</b><br>"
        f"<span style='font-size:.82rem'>{escape_html(text)}</span></div>"
        for label, colour, text in cards
    )
    return (
        "<div class='zone-cards' style='display:flex;flex-wrap:wrap;gap:.35rem .6rem;"
        f"margin-bottom:.4rem'>{items}</div>"
    )


# --- policy notes, zone cards and scheme facts as HTML (escaped) --------------------------
def note_heading_html(note: Note) -> str:
    """The note's author and time as a grey line of HTML, escaped (one line, no Markdown)."""
    text = escape_html(note_heading(note)).replace("\n", " ").replace("\r", " ")
    return f"<div style='opacity:.82;font-size:.875em'>{text}</div>"  # WCAG AA in both themes


def zone_card_html(zone: Zone, lang: str, say_if_none: bool = True) -> str:
    """A scheme's zone: swatch and label, description, and its measures (or that it has none)."""
    parts = [
        f"<div style='margin:0.2em 0 0.8em 0'>{swatch_html(zone.colour, pick(zone.label, lang))}"
    ]
    if zone.description:
        parts.append(f"<div>{escape_html(pick(zone.description, lang))}</div>")
    measures = zone.measures.get(lang, ())
    if measures:
        parts.append(html_list(list(measures)))
    elif say_if_none:
        parts.append(f"<i>{escape_html(t('policy.no_zone_measures_scheme', lang))}</i>")
    return "".join(parts) + "</div>"


def labelled_list_html(pairs: list[tuple[str, str]]) -> str:
    """An escaped list of '<b>label:</b> value' items; a web address becomes a link."""
    items = []
    for label, value in pairs:
        shown = escape_html(value)
        if value.startswith(("https://", "http://")):
            shown = f"<a href='{shown}' target='_blank' rel='noopener noreferrer'>{shown}</a>"
        items.append(f"<li><b>{escape_html(label)}:</b> {shown}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def paragraph_html(text: str) -> str:
    """Plain text as one escaped paragraph."""
    return f"<p>{escape_html(text)}</p>"


def embed_snippet(
    base: str, *, level: str, scheme: str, lang: str, within: str | None = None, title: str
) -> str:
    """The ``<iframe>`` another site pastes to show this view's live map (``/embed``).

    No date: the embed follows the latest settled day. Attribute values are escaped.
    """
    from urllib.parse import urlencode

    query = {"level": level, "scheme": scheme, "lang": lang, "embed": "true"}
    if within:
        query["within"] = within
    src = f"{base.rstrip('/')}/embed?{urlencode(query)}"
    return (
        f'<iframe src="{escape_html(src)}" title="{escape_html(title)}" width="100%" '
        'height="560" style="border:0" loading="lazy"></iframe>'
    )


# --- zones resting on provisional figures ------------------------------------------------------
def provisional_nowcasts(
    store: Store, level: str, day: object, zones: pd.DataFrame, lang: str, *, public: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each region's zone on ``day`` rests on figures still filling in, and its
    nowcast: per row of ``zones`` (``code``, ``provisional``) the words "reports still
    arriving" (``None`` where the window is settled), and "12 (8–18)", the new cases expected
    in the 7 days once all reports are in with the 95 % interval, where the viewer may see a
    nowcast (:func:`zoning.views.published.public_window_nowcasts`; ``None`` elsewhere)."""
    words = np.full(len(zones), None, dtype=object)
    figures = words.copy()
    flags = zones["provisional"].to_numpy(dtype=bool)
    words[flags] = t("map.provisional_words", lang)
    for i, numbers in _window_nowcasts(store, level, day, zones, lang, public=public):
        figures[i] = t("map.nowcast_value", lang, **numbers)
    return words, figures


def provisional_texts(
    store: Store, level: str, day: object, zones: pd.DataFrame, lang: str, *, public: bool
) -> np.ndarray:
    """:func:`provisional_nowcasts` in one sentence per region (the region's panel):
    "reports still arriving; nowcast 12 (8–18) cases in 7 days", the words alone where no
    nowcast is shown, ``None`` where the window is settled."""
    out = np.full(len(zones), None, dtype=object)
    out[zones["provisional"].to_numpy(dtype=bool)] = t("map.provisional_words", lang)
    for i, numbers in _window_nowcasts(store, level, day, zones, lang, public=public):
        out[i] = t("map.provisional_nowcast", lang, **numbers)
    return out


def _window_nowcasts(
    store: Store, level: str, day: object, zones: pd.DataFrame, lang: str, *, public: bool
) -> list[tuple[int, dict[str, str]]]:
    """``(row, {n, lower, upper})`` formatted, for the provisional rows of ``zones`` with a
    nowcast the viewer may see."""
    flags = zones["provisional"].to_numpy(dtype=bool)
    if not flags.any():
        return []
    found = published.public_window_nowcasts(store, level, day, public=public)
    if found is None or found.empty:
        return []
    found = found.set_index("code").reindex(zones["code"])
    rows = np.flatnonzero(flags & np.isfinite(found["nowcast"].to_numpy(dtype=float)))
    columns = {"n": "nowcast", "lower": "lower", "upper": "upper"}
    return [
        (int(i), {k: format_number(found[c].iat[i], lang) for k, c in columns.items()})
        for i in rows
    ]


def provisional_note(store: Store, level: str, zones: pd.DataFrame, lang: str) -> str | None:
    """The map's note (a box at its top right, and on its PNG) when some zone of the view
    rests on provisional figures: how many days are provisional and whether that was
    estimated from the reports (:func:`zoning.views.delays.provisional_period`); ``None``
    when every window is settled."""
    if not zones["provisional"].to_numpy(dtype=bool).any():
        return None
    period = service.level_data(store, level).period
    how = t("map.provisional_how_estimated" if period.estimated else "map.provisional_how_default",
            lang, days=period.days)  # fmt: skip
    return t("map.provisional_note", lang, days=period.days, how=how)
