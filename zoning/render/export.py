"""Exports of what the dashboard shows: CSV, GeoJSON (and images, see below).

Text cells are made safe for spreadsheets (no formula runs when the CSV is opened).
"""

from __future__ import annotations

import io
import json
import textwrap
import warnings
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.core.i18n import DEFAULT_LANG, format_number, pick, strings, t
from zoning.core.text import spreadsheet_safe
from zoning.model import privacy
from zoning.model.regions import level_of_code
from zoning.model.schemes import Scheme
from zoning.render.mapview import safe_colour
from zoning.render.presentation import shown_columns
from zoning.views.decisions import EXPORTED

EXPORT_COLUMNS = ("code", "name", "parent", "population", "zone")


def zones_table(
    frame: pd.DataFrame,
    scheme: Scheme,
    day: object,
    *,
    public: bool = False,
    level: str | None = None,
    threshold: int | None = None,
    lang: str = DEFAULT_LANG,
) -> pd.DataFrame:
    """The zones shown, with the metrics that decided them, as a plain table.

    ``public``: for a viewer who is not an analyst; at a village, RW or RT ``level`` (taken
    from the codes when not given) small counts and everything computed from them are text
    ranges (``"1–4"``) or 'hidden', as :func:`zoning.model.privacy.mask_table` says (with
    ``threshold`` and ``lang``). Pass every region of the level, or all of a parent's. Zones
    are never masked. A table of :func:`zoning.views.published.public_zones` keeps what each
    zone rests on: :data:`zoning.views.decisions.EXPORTED`, last.
    """
    if public and len(frame):
        level = level or level_of_code(str(frame["code"].iloc[0]))
        frame = privacy.mask_table(frame, level, day, threshold=threshold, lang=lang)
    out = frame[[c for c in EXPORT_COLUMNS if c in frame] + shown_columns(scheme, frame)].copy()
    out.insert(4, "date", pd.Timestamp(day).strftime("%Y-%m-%d"))
    out.insert(5, "scheme", scheme.id)
    out["window_complete"] = frame["window_complete"].to_numpy()
    out["provisional"] = frame["provisional"].to_numpy()
    # the share of people a rolled-up figure covers, and whether the zone is only a lower
    # bound (zoning.model.rollup); not a count, so never masked
    for column in ("coverage", "at_least"):
        if column in frame:
            out[column] = frame[column].to_numpy()
    # what the zone rests on (a table of zoning.views.published.public_zones): public, as the
    # map's "confirmed by ... on ..." is
    for column in EXPORTED:
        if column in frame:
            out[column] = frame[column].to_numpy()
    return numeric_with_notes(out)


#: Suffix of the text column that says what a public view shows instead of a number.
NOTE_SUFFIX = "_note"


def numeric_with_notes(table: pd.DataFrame) -> pd.DataFrame:
    """Keep numeric columns numeric: text in a figure column (``1–4``, 'hidden', 'Sundays
    only', 'see zone', from :mod:`zoning.model.privacy`) leaves the number empty (NaN) and moves
    to a ``<column>_note`` column next to it. Tables without such text come back as they
    are."""
    out = table.copy()
    for column in privacy.masked_columns(table):
        values = out[column]
        text = values.map(lambda v: isinstance(v, str))
        if values.dtype != object or not text.any():
            continue
        at = out.columns.get_loc(column)
        out[column] = pd.to_numeric(values.where(~text), errors="coerce").astype(float)
        out.insert(at + 1, column + NOTE_SUFFIX, values.where(text, "").astype(str))
    return out


def for_people(table: pd.DataFrame, scheme: Scheme, lang: str) -> pd.DataFrame:
    """:func:`zones_table` as people read it, in ``lang``: the page's table and its CSV.

    Column names in words (``Kasus 7 hari per 100.000``, not ``cases_7d_per_100k``), zones
    by their label (``Level 3 (tinggi)``, not ``level-3``), the scheme by its name, and
    the flags as yes or no. The values themselves are unchanged.
    """
    out = table.copy()
    for column in ("zone", "computed_zone"):
        if column in out:
            out[column] = [scheme.zone_id_label(z if z in scheme.zone_ids else None, lang)
                           for z in out[column]]  # fmt: skip
    if "decided_zone" in out:  # empty without a decision (not "no data")
        out["decided_zone"] = [scheme.zone_id_label(z, lang) if z in scheme.zone_ids else ""
                               for z in out["decided_zone"]]  # fmt: skip
    if "decision" in out:
        out["decision"] = [t(f"decisions.{state}", lang) for state in out["decision"]]
    if "scheme" in out:
        out["scheme"] = pick(scheme.name, lang)
    words = {True: t("export.yes", lang), False: t("export.no", lang)}
    for flag in ("window_complete", "provisional", "at_least"):
        if flag in out:
            out[flag] = out[flag].map(lambda v: words.get(bool(v)) if v == v else "")
    return out.rename(columns=lambda c: _header(c, lang))


def _header(column: str, lang: str) -> str:
    """A column's name in words: its ``export`` or ``metrics`` string, else as it is; a
    ``<column>_note`` column (:func:`numeric_with_notes`) is that column's note."""
    if column.endswith(NOTE_SUFFIX):
        return t("export.note_of", lang, column=_header(column.removesuffix(NOTE_SUFFIX), lang))
    for key in (f"export.{column}", f"metrics.{column}"):
        if key in strings():
            return t(key, lang)
    return column


def file_name(scheme: Scheme, level: str, day: object, lang: str, ext: str) -> str:
    """The one naming rule of every download of a view: ``zona-<scheme>-<level>-<date>.<ext>``
    in Bahasa Indonesia, ``zones-...`` in English."""
    prefix = t("export.file_prefix", lang)
    return f"{prefix}-{scheme.id}-{level}-{pd.Timestamp(day).date().isoformat()}.{ext}"


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 CSV with formula-like text neutralised."""
    safe = table.map(spreadsheet_safe) if len(table) else table
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_geojson_bytes(table: pd.DataFrame, geometry: gpd.GeoSeries) -> bytes:
    """GeoJSON FeatureCollection of the table's rows with their geometry (EPSG:4326)."""
    gdf = gpd.GeoDataFrame(
        table.reset_index(drop=True), geometry=geometry.reset_index(drop=True), crs=geometry.crs
    )
    gdf = gdf.to_crs("EPSG:4326")
    data = json.loads(gdf.to_json(na="null", drop_id=True))
    for feature in data["features"]:
        props = feature["properties"]
        for key, value in props.items():
            if isinstance(value, float) and not np.isfinite(value):
                props[key] = None
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- images: the map as PNG, the one-page brief as PDF ----------------------------------------

#: Size of the PNG map in pixels at :data:`PNG_DPI`.
PNG_SIZE = (1600, 1000)
PNG_DPI = 150
#: A4 landscape, in inches.
A4_LANDSCAPE = (11.69, 8.27)
_EDGE = "#757575"
# A region name in a script the font lacks is drawn with empty boxes; that is expected, not
# worth a warning per character in the server log (a global filter: catch_warnings is not
# thread-safe, and Streamlit draws in many threads).
warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
_INK = "#212121"
_GREY = "#616161"


def _plain(value: object, limit: int = 120) -> str:
    """Text from data made safe to draw: one line, no control characters, at most ``limit``.

    Every drawn text also has mathtext turned off (``parse_math=False``), so ``$`` and
    backslashes in region names are drawn as they are.
    """
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrap(value: object, width: int) -> str:
    return "\n".join(textwrap.wrap(_plain(value, 1000), width)) or ""


def _text(target, x: float, y: float, value: str, width: float | None = None, **kwargs):
    """Draw literal text (no mathtext) on a figure; shrink it to ``width`` (figure fraction)."""
    item = target.text(x, y, value, parse_math=False, **kwargs)
    if width is not None:
        fig = item.get_figure()
        renderer = fig.canvas.get_renderer()
        limit = width * fig.bbox.width
        while item.get_fontsize() > 5 and item.get_window_extent(renderer).width > limit:
            item.set_fontsize(item.get_fontsize() * 0.92)
    return item


def _draw_map(ax, layer: gpd.GeoDataFrame, legend, legend_loc: str, fontsize: float) -> None:
    """Regions filled with their ``colour``, a legend with every zone label, no axes."""
    from matplotlib.patches import Patch

    drawable = layer[~(layer.geometry.isna() | layer.geometry.is_empty)]
    if len(drawable):
        if drawable.crs is not None and not drawable.crs.equals("EPSG:4326"):
            drawable = drawable.to_crs("EPSG:4326")
        colours = [safe_colour(c) for c in drawable["colour"]]
        drawable.plot(ax=ax, color=colours, edgecolor=_EDGE, linewidth=0.4)
    ax.set_axis_off()
    handles = [
        Patch(facecolor=safe_colour(colour), edgecolor=_GREY, label=_plain(label, 60))
        for label, colour in legend
    ]
    if handles:
        box = ax.legend(handles=handles, loc=legend_loc, fontsize=fontsize, frameon=True)
        box.get_frame().set_edgecolor("#bdbdbd")
        for item in box.get_texts():
            item.set_parse_math(False)


def map_png(
    layer: gpd.GeoDataFrame,
    legend: Sequence[tuple[str, str]],
    title: str,
    subtitle: str,
    note: str = "",
) -> bytes:
    """The zone map as a PNG image (1600 x 1000 pixels at 150 dpi).

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        The map's regions with a ``colour`` column (hex); rows without geometry are skipped.
    legend : sequence of (label, colour)
        Every zone and "no data", as :func:`zoning.render.presentation.legend` gives them.
    title, subtitle : str
        Drawn above the map (the view, and "data as of"); up to three subtitle lines.
    note : str
        Drawn small under the map (the note on schematic shapes), if any.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = PNG_SIZE
    fig = Figure(figsize=(w / PNG_DPI, h / PNG_DPI), dpi=PNG_DPI, facecolor="white")
    FigureCanvasAgg(fig)
    _text(fig, 0.02, 0.955, _plain(title), 0.96, fontsize=17, weight="bold", color=_INK, va="top")
    lines = subtitle.splitlines()[:3]
    for i, line in enumerate(lines):
        _text(fig, 0.02, 0.895 - 0.04 * i, _plain(line, 240), 0.96, fontsize=11, va="top")
    top = 0.86 - 0.04 * max(len(lines) - 1, 0)
    bottom = 0.08 if note else 0.03
    ax = fig.add_axes((0.02, bottom, 0.96, top - bottom))
    _draw_map(ax, layer, legend, "lower left", 10)
    if note:
        _text(fig, 0.02, 0.02, _wrap(note, 190), fontsize=8, color=_GREY, va="bottom")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI, facecolor="white")
    return buf.getvalue()


def brief_pdf(
    layer: gpd.GeoDataFrame,
    legend: Sequence[tuple[str, str]],
    headline: Mapping,
    *,
    title: str,
    subtitle: str,
    data_line: str,
    facts: Sequence[tuple[str, str]],
    table_title: str,
    table_header: Sequence[str],
    note: str = "",
    source: str = "",
    lang: str = DEFAULT_LANG,
    rows: int = 15,
) -> bytes:
    """A one-page brief (A4 landscape PDF): the map, the headline numbers, the worst regions.

    Parameters
    ----------
    layer, legend :
        As for :func:`map_png`.
    headline : mapping
        :func:`zoning.views.briefing.headline`; its ``severe_regions`` (``name, rate,
        population``, highest rate first) fill the table, its ``severe["colour"]`` marks it.
    title, subtitle, data_line : str
        The page's heading, the view, and "data as of · last updated".
    facts : sequence of (kind, text)
        The headline numbers, top to bottom; ``kind`` is ``"heading"``, ``"big"``, ``"text"``
        or ``"gap"``.
    table_title, table_header : str, (str, str, str)
        Above the table of regions in the most severe zone, and its three column names.
    note, source : str
        Small print at the bottom (schematic shapes; where the data and the scheme are from).
    lang : str
        Number format of the table (``id``: 1.234,5; ``en``: 1,234.5).
    rows : int
        At most this many regions in the table.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=A4_LANDSCAPE, facecolor="white")
    FigureCanvasAgg(fig)
    _text(fig, 0.03, 0.965, _plain(title), 0.94, fontsize=18, weight="bold", color=_INK, va="top")
    _text(fig, 0.03, 0.915, _plain(subtitle, 240), 0.94, fontsize=10.5, color=_INK, va="top")
    _text(fig, 0.03, 0.88, _plain(data_line, 240), 0.94, fontsize=10.5, weight="bold", va="top")
    ax = fig.add_axes((0.02, 0.12, 0.58, 0.74))
    _draw_map(ax, layer, legend, "lower left", 8.5)

    y = 0.86
    for kind, value in facts:
        size, weight, step = {
            "heading": (10, "bold", 0.032),
            "big": (15, "bold", 0.042),
            "text": (9, "normal", 0.028),
            "gap": (9, "normal", 0.012),
        }.get(kind, (9, "normal", 0.028))
        if kind != "gap":
            _text(fig, 0.62, y, _plain(value, 120), 0.36, fontsize=size, weight=weight, va="top")
        y -= step

    y -= 0.01
    colour = safe_colour((headline.get("severe") or {}).get("colour"))
    fig.patches.append(
        Rectangle((0.62, y - 0.021), 0.008, 0.021, transform=fig.transFigure, color=colour)
    )
    _text(fig, 0.633, y, _plain(table_title, 120), 0.35, fontsize=9, weight="bold", va="top")
    y -= 0.034
    columns = (0.62, 0.85, 0.97)
    aligns = ("left", "right", "right")
    for x, ha, label in zip(columns, aligns, table_header, strict=False):
        _text(fig, x, y, _plain(label, 40), 0.2, fontsize=7.5, color=_GREY, ha=ha, va="top")
    y -= 0.024
    regions = list(headline.get("severe_regions") or [])
    notes: list[str] = []  # a rate not shown as a number: the cell stays empty, a note says why
    for region in regions[:rows]:
        rate = region.get("rate")  # text on a public view of a small level (zoning.model.privacy)
        shown = format_number(rate, lang, 1) if not isinstance(rate, str) else _plain(rate, 20)
        if isinstance(rate, str) and not any(ch.isdigit() for ch in rate):
            notes += [] if rate in notes else [rate]
            shown = "–" + "*" * (notes.index(rate) + 1)
        cells = (
            _plain(region.get("name"), 38),
            shown,
            format_number(region.get("population"), lang),
        )
        for x, ha, cell, room in zip(columns, aligns, cells, (0.15, 0.08, 0.1), strict=True):
            _text(fig, x, y, cell, room, fontsize=8, ha=ha, va="top")
        y -= 0.022
    marks = ["–" + "*" * (i + 1) + ": " + _plain(text, 60) for i, text in enumerate(notes)]
    small = [_wrap(text, 200) for text in ("  ".join(marks), note, source) if text]
    if small:
        _text(fig, 0.03, 0.03, "\n".join(small), fontsize=7, color=_GREY, va="bottom")
    buf = io.BytesIO()
    metadata = {"Title": _plain(title), "Subject": _plain(data_line)}
    with PdfPages(buf, metadata=metadata) as pdf:
        pdf.savefig(fig)
    return buf.getvalue()
