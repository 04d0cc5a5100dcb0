"""Charts (Altair/Vega-Lite specifications, rendered by the dashboard without any network).

Each chart function takes library data and a language and returns an ``altair.Chart``. The
trends page also finds its data here: :func:`trend_series` (several regions' daily series,
with 7-day averages and running totals), :func:`top_regions` and the ``?region=`` helpers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from zoning.core.i18n import format_number, lang_or_default, pick, t
from zoning.model import metrics as M
from zoning.model import privacy
from zoning.model.codes import CodeError, normalise_code
from zoning.model.schemes import Scheme
from zoning.store import Store
from zoning.views import published, service


def zone_strip(
    history: pd.DataFrame, scheme: Scheme, lang: str, day: object = None
) -> alt.Chart | alt.LayerChart:
    """A one-row strip of the zone on each day (``history``: ``date, zone_index``); with
    ``day``, a rule marks that date. With ``computed_index`` (the zone shown follows
    analysts' decisions, :func:`zoning.views.decisions.zone_history`) and a day where the two
    differ, a second row gives the computed zone beside the one shown."""
    labels = scheme.zone_labels(lang)
    colours = scheme.zone_colours()
    rows = [(history["zone_index"], t("common.zone", lang))]
    if "computed_index" in history and (history["computed_index"] != history["zone_index"]).any():
        rows = [
            (history["zone_index"], t("decisions.strip_shown", lang)),
            (history["computed_index"], t("decisions.strip_computed", lang)),
        ]
    frame = pd.concat(
        [
            history[["date"]].assign(
                label=np.array(labels, dtype=object)[scheme.lookup_index(zones)],
                end=history["date"] + pd.Timedelta(days=1),
                row=name,
            )
            for zones, name in rows
        ],
        ignore_index=True,
    )
    order = [name for _, name in rows]
    strip = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("date:T", title=None),
            x2="end:T",
            y=alt.Y("row:N", title=None, sort=order, axis=alt.Axis() if len(rows) > 1 else None),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=labels, range=colours),
                # in rows of two: labels with words ("Level 4 (sangat tinggi)") would run
                # off a narrow panel in one row
                legend=alt.Legend(title=None, orient="bottom", direction="horizontal", columns=2),
            ),
            tooltip=[
                alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
                alt.Tooltip("label:N", title=t("common.zone", lang)),
            ],
        )
        .properties(height=alt.Step(34))
    )
    rule = _day_rule(day, history, lang, always=True)
    chart = alt.layer(strip, *rule) if rule else strip
    return localised(chart, lang)  # month names in Bahasa Indonesia


def daily_cases(series: pd.DataFrame, lang: str) -> alt.Chart:
    """Bars of daily new cases with the 7-day average; provisional days drawn lighter.

    ``series`` has ``date, new_cases, avg7, provisional``.
    """
    frame = series.assign(state=np.where(series["provisional"], t("common.provisional", lang), ""))
    base = alt.Chart(frame).encode(x=alt.X("date:T", title=None))
    bars = base.mark_bar(opacity=0.35, color="#7f7f7f").encode(
        y=alt.Y("new_cases:Q", title=t("metrics.new_cases", lang)),
        opacity=alt.condition("datum.provisional", alt.value(0.12), alt.value(0.35)),
        tooltip=[
            alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
            alt.Tooltip("new_cases:Q", title=t("metrics.new_cases", lang), format=",.0f"),
            alt.Tooltip("avg7:Q", title=t("trends.average", lang), format=",.1f"),
            alt.Tooltip("state:N", title=t("map.day_state", lang)),
        ],
    )
    line = base.mark_line(color="#b2182b").encode(y="avg7:Q")
    return localised((bars + line).properties(height=180), lang)


# --- trends: several regions side by side --------------------------------------------------

#: How a day's bar is drawn, and how a stretch of a line is drawn; a public view's week may
#: also be a range (a small count) or suppressed (see zoning.model.privacy).
REPORTED, PROVISIONAL, MISSING = "reported", "provisional", "missing"
#: A day whose value is below zero: a cumulative total revised down (zoning.intake.counts).
CORRECTION = "correction"
RANGED, SUPPRESSED = "ranged", "suppressed"
COMPLETE, GAP = "complete", "gap"
BAR_COLOURS = {
    REPORTED: "#4c78a8", PROVISIONAL: "#b3cde3", MISSING: "#e4e4e4", RANGED: "#fdae6b",
    SUPPRESSED: "#bdbdbd", CORRECTION: "#762a83",
}  # fmt: skip
LINE_DASHES = {COMPLETE: [1, 0], PROVISIONAL: [6, 3], GAP: [1, 3]}
LINE_COLOUR = "#222222"
#: Dark line colours for regions, apart from the zone colours of the bands behind them.
REGION_COLOURS = ("#2166ac", "#111111", "#8e44ad", "#01665e", "#a6611a", "#c51b7d")
#: Periods offered on the trends page, in days up to the chosen date (0: the whole series).
PERIODS = (56, 182, 0)
#: Count fields drawn as daily bars with their 7-day average.
DAILY_FIELDS = ("new_cases", "deaths")

_ID_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]},
    "time": {
        "dateTime": "%A, %e %B %Y %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
        "shortDays": ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
        "months": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                   "September", "Oktober", "November", "Desember"],
        "shortMonths": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt",
                        "Nov", "Des"],
    },
}  # fmt: skip


#: Legends below the plot: side by side, or one under the other on a narrow screen.
_LEGEND_LAYOUT = {
    "expr": "{bottom: {anchor: 'start', direction: width < 600 ? 'vertical' : 'horizontal', "
    "margin: 16}}"
}


def localised(chart: alt.TopLevelMixin, lang: str) -> alt.TopLevelMixin:
    """Dates (month and day names) and numbers in the language's own format.

    Vega formats them in English unless told otherwise, so every chart of a page in
    Bahasa Indonesia carries the Indonesian locale.
    """
    return chart.configure(locale=_ID_LOCALE) if lang_or_default(lang) == "id" else chart


def _finish(chart: alt.TopLevelMixin, lang: str) -> alt.TopLevelMixin:
    """Dates and numbers in the language's own format; the width fits the container, the
    plot keeps its height and the legends go below it."""
    chart = localised(chart, lang)
    chart = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart.configure_legend(
        orient="bottom", direction="vertical", labelLimit=320, layout=_LEGEND_LAYOUT
    )


# --- the data behind the charts -------------------------------------------------------------


def unique_names(codes: Iterable[str], names: Mapping[str, str]) -> dict[str, str]:
    """Names by code; a name that several of the regions share gets its code added."""
    found = {c: str(names.get(c, c)) for c in codes}
    counts = pd.Series(list(found.values())).value_counts()
    return {c: f"{n} ({c})" if counts[n] > 1 else n for c, n in found.items()}


def region_names(store: Store, level: str) -> dict[str, str]:
    """Names of the regions of ``level`` that have daily data, by code, in the level's order
    (RT 001/RW 002 is in many villages: a shared name gets its code)."""
    codes = service.level_data(store, level).panel.regions
    return unique_names(codes, service.regions(store, level).set_index("code")["name"])


def top_regions(
    store: Store,
    level: str,
    day: object,
    n: int = 3,
    metric: str = "cases_7d_per_100k",
    *,
    public: bool = False,
) -> list[str]:
    """The ``n`` regions with the highest ``metric`` on ``day`` (regions without it last).

    A level without ``metric`` (RT and RW count houses, not cases) is ranked by the first
    metric it has, or taken in its order. ``public`` (a public view of a small level):
    ranked by what the public sees in the week ending on or before ``day``, values not
    shown (ranges, hidden) last in the level's order, never by a hidden value.
    """
    data = service.level_data(store, level)
    known = [m for m in (metric, *M.METRICS) if m in data.metrics]
    if not known:
        return list(data.panel.regions[:n])
    if public and level in privacy.SMALL_LEVELS:  # the last public week up to the day
        dates = data.panel.dates
        weeks = dates[privacy.is_week_end(dates) & (dates <= pd.Timestamp(day))]
        day = weeks[-1] if len(weeks) else dates[0]
    values = data.metrics[known[0]][:, data.day_index(day)]
    if public and level in privacy.SMALL_LEVELS:
        source = M.per_population().get(known[0], (None,))[0]
        state = published.day_states(store, day).get(level, {}).get(source)
        if state is None or not privacy.is_week_end(day):
            state = np.full(len(values), privacy.HIDDEN)
        values = np.where(state == privacy.EXACT, values, np.nan)
    order = privacy.shown_order(values, data.panel.regions)
    return list(data.panel.regions[order[:n]])


def regions_from_param(raw: str | None, valid: Iterable[str]) -> list[str]:
    """Region codes from the URL (``?region=33.19,3372``): normalised, the valid ones, in
    order, once."""
    allowed = set(valid)
    codes = []
    for text in (raw or "").split(","):
        try:
            code = normalise_code(text)
        except CodeError:
            continue
        if code in allowed and code not in codes:
            codes.append(code)
    return codes


def region_param(codes: Sequence[str]) -> str | None:
    """The URL value for a selection of regions (comma-separated), or ``None`` for none."""
    return ",".join(codes) if codes else None


def trend_frame(
    series_by_code: Mapping[str, pd.DataFrame],
    regions: pd.DataFrame,
    day: object = None,
    days: int = 0,
) -> pd.DataFrame:
    """One long frame of several regions' daily series, ready for the trend charts.

    Parameters
    ----------
    series_by_code : mapping of str to DataFrame
        :func:`zoning.views.service.case_series` of each region, by code.
    regions : DataFrame
        ``code, name, population`` of (at least) those regions.
    day, days : optional
        Keep the ``days`` days up to ``day`` (0: from the start). When every day after
        ``day`` is provisional, those days are kept too, so the newest reports are shown.

    Returns
    -------
    DataFrame
        ``code, name, population`` and the series' columns, plus ``<field>_avg7`` (7-day
        mean, NaN for an incomplete window) and ``<field>_cum`` (running total from the
        first day, NaN on days without a report) for new cases and deaths.
    """
    info = regions.set_index("code")
    names = unique_names(series_by_code, info["name"])
    frames = []
    for code, series in series_by_code.items():
        s = series.copy()
        for field in DAILY_FIELDS:
            if field in s:
                daily = s[field].to_numpy(float)
                s[f"{field}_avg7"] = M.rolling_7d(daily, mean=True)[0]
                s[f"{field}_cum"] = np.where(np.isnan(daily), np.nan, np.nancumsum(daily))
        s.insert(0, "population", float(info.at[code, "population"]))
        s.insert(0, "name", names[code])
        s.insert(0, "code", code)
        frames.append(s)
    if not frames:
        return pd.DataFrame(columns=["code", "name", "population", "date", "provisional"])
    out = pd.concat(frames, ignore_index=True)
    if day is None:
        return out
    day = pd.Timestamp(day)
    later = out["date"] > day
    end = out["date"].max() if out.loc[later, "provisional"].all() else day
    start = day - pd.Timedelta(days=days - 1) if days else out["date"].min()
    return out[out["date"].between(start, end)].reset_index(drop=True)


def trend_series(
    store: Store,
    level: str,
    codes: Sequence[str],
    day: object = None,
    days: int = 0,
    public: bool = False,
) -> pd.DataFrame:
    """:func:`trend_frame` of regions of ``level`` read from the store, named as in
    :func:`region_names`; with ``public`` (a public view of a small level, see
    :func:`zoning.model.privacy.public_view`) the weekly :func:`public_trend_series` instead."""
    if public and level in privacy.SMALL_LEVELS:
        return public_trend_series(store, level, codes, day, days)
    regions = service.regions(store, level)
    names = region_names(store, level)
    regions = regions.assign(name=regions["code"].map(names).fillna(regions["name"]))
    series = {c: service.case_series(store, level, c) for c in codes}
    return trend_frame(series, regions, day, days)


def unverified_share(series: pd.DataFrame) -> pd.DataFrame:
    """Per region of a trend frame (:func:`trend_frame`), the cases of the days shown and
    those of them from line-list rows without a valid NIK (``new_cases_unverified``):
    ``code, name, cases, unverified, share`` (0 to 1), for the regions whose line lists say.

    Only days that report both are summed, so the share is of the same days' cases.
    """
    columns = ["code", "name", "cases", "unverified", "share"]
    if "new_cases_unverified" not in series or "new_cases" not in series:
        return pd.DataFrame(columns=columns)
    both = series.dropna(subset=["new_cases", "new_cases_unverified"])
    out = both.groupby(["code", "name"], sort=False, as_index=False).agg(
        cases=("new_cases", "sum"), unverified=("new_cases_unverified", "sum")
    )
    out["share"] = np.where(out["cases"] > 0, out["unverified"] / out["cases"].where(
        out["cases"] > 0, 1.0), 0.0)  # fmt: skip
    return out[columns]


def has_values(series: pd.DataFrame, column: str) -> bool:
    """Whether ``series`` has ``column`` with at least one value (or range, or suppressed
    value, on a public view)."""
    if column not in series:
        return False
    hidden = series.get(f"{column}__state", pd.Series(dtype=float)) != privacy.EXACT
    return bool(series[column].notna().any() or hidden.any())


def has_bands(scheme: Scheme) -> bool:
    """Whether any of the scheme's metrics has threshold bands (a rule without a condition)."""
    return any(scheme.bands(m) for m in scheme.metrics)


def banded_metrics(scheme: Scheme, series: pd.DataFrame) -> list[str]:
    """The scheme's metrics that have threshold bands and values to draw against them."""
    return [m for m in scheme.metrics if scheme.bands(m) and has_values(series, m)]


def day_states(values: np.ndarray, provisional: np.ndarray) -> np.ndarray:
    """Per day: ``missing`` (no report), ``correction`` (below zero: a cumulative total
    revised down), ``provisional`` (still arriving) or ``reported``."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        below = values < 0
    return np.where(
        np.isnan(values), MISSING, np.where(below, CORRECTION, np.where(
            np.asarray(provisional, bool), PROVISIONAL, REPORTED))
    )  # fmt: skip


def line_segments(
    frame: pd.DataFrame, value: str, by: str | None = None, breaks: str | None = None
) -> pd.DataFrame:
    """The points of a line, split into stretches drawn alike.

    A stretch is ``complete``, ``provisional`` (it ends on a provisional day) or a ``gap``
    that joins the values on either side of days without a value, so that a missing value
    is never drawn as a fall to zero. Rows where the boolean column ``breaks`` is true (a
    value a public view does not show) are never joined over. Returns ``date, value, kind,
    segment`` (and ``by``).
    """
    rows = []
    groups = frame.groupby(by, sort=False) if by else [(None, frame)]
    segment = 0
    for key, group in groups:
        g = group.sort_values("date")
        v = g[value].to_numpy(float)
        prov = g["provisional"].to_numpy(bool)
        dates = g["date"].to_numpy()
        known = np.flatnonzero(~np.isnan(v))
        broken = g[breaks].to_numpy(bool) if breaks else np.zeros(len(v), bool)
        run = None
        for a, b in itertools.pairwise(known):
            if broken[a + 1 : b].any():
                run = None
                continue
            kind = GAP if b - a > 1 else (PROVISIONAL if prov[b] else COMPLETE)
            if kind != run:
                segment, run = segment + 1, kind
                rows.append((key, dates[a], v[a], kind, segment))
            rows.append((key, dates[b], v[b], kind, segment))
    out = pd.DataFrame(rows, columns=[by or "_", "date", "value", "kind", "segment"])
    return out if by else out.drop(columns="_")


def _per_100k(series: pd.DataFrame, column: str, per_100k: bool) -> pd.Series:
    if not per_100k:
        return series[column]
    pop = series["population"].where(series["population"] > 0)
    return series[column] / pop * 100_000.0


def _top(values: Iterable[float], floor: float = 1.0) -> float:
    """A round number a little above the highest finite value (``floor`` if there is none)."""
    finite = [float(v) for v in values if v == v and np.isfinite(v)]
    high = max([*finite, 0.0]) * 1.05
    if high <= 0:
        return floor
    step = 10 ** np.floor(np.log10(high)) / 5
    return round(float(np.ceil(high / step) * step), 10)


# --- layers ---------------------------------------------------------------------------------


def _threshold(value: float, lang: str) -> str:
    return format_number(value, lang, 0 if float(value).is_integer() else 1)


def _band_text(lo: float, hi: float, strict: bool, lang: str) -> str:
    """``20–50``, ``below 20``, ``150 and above``; with ``>`` rules ``over 0 up to 5`` etc."""
    kind = "over_" if strict else ""
    if np.isfinite(lo) and np.isfinite(hi):
        if not strict:
            return f"{_threshold(lo, lang)}–{_threshold(hi, lang)}"
        return t("trends.band_over_to", lang, low=_threshold(lo, lang), high=_threshold(hi, lang))
    if np.isfinite(lo):
        return t(f"trends.band_{kind}from", lang, value=_threshold(lo, lang))
    if strict and hi == 0:  # counts: "0 or less" is just 0
        return _threshold(0, lang)
    return t(f"trends.band_{kind}below", lang, value=_threshold(hi, lang))


def band_frame(scheme: Scheme, metric: str, lang: str, top: float | None = None) -> pd.DataFrame:
    """The scheme's zone bands of ``metric``: ``zone, label, colour, lower, upper, range``.

    The open ends are closed at 0 and at ``top`` (default: half again the highest
    threshold); bands wholly above ``top`` are left out.
    """
    bands = scheme.bands(metric)
    strict = any(r.strict for r in scheme.rules if r.metric == metric and r.when is None)
    cuts = [lo for _, lo, _ in bands if np.isfinite(lo)]
    top = top if top is not None else (max(cuts) * 1.5 if cuts else 1.0)
    rows = []
    for zone_id, lo, hi in bands:
        zone = scheme.zones[scheme.zone_index(zone_id)]
        text = _band_text(lo, hi, strict, lang)
        lower = max(lo, 0.0) if np.isfinite(lo) else min(0.0, hi)
        if lower >= top:
            continue
        label = f"{pick(zone.label, lang)}: {text}"  # labels may end in words in brackets
        rows.append((zone_id, label, zone.colour, lower, min(hi, top), text))
    return pd.DataFrame(rows, columns=["zone", "label", "colour", "lower", "upper", "range"])


def bands_layer(
    scheme: Scheme,
    metric: str,
    lang: str,
    top: float | None = None,
    span: tuple[object, object] | None = None,
) -> alt.Chart:
    """Horizontal bands in the zones' colours behind a chart of ``metric``.

    ``span`` (first and last date) makes the bands as wide as a time axis; without it they
    fill the width of the view.
    """
    bands = band_frame(scheme, metric, lang, top)
    position = {}
    if span is not None:
        bands = bands.assign(start=pd.Timestamp(span[0]), end=pd.Timestamp(span[1]))
        position = {"x": alt.X("start:T", title=None), "x2": "end:T"}
    return (
        alt.Chart(bands)
        .mark_rect(opacity=0.22)
        .encode(
            **position,
            y=alt.Y("lower:Q"),
            y2="upper:Q",
            fill=alt.Fill(
                "label:N",
                scale=alt.Scale(domain=list(bands["label"]), range=list(bands["colour"])),
                legend=alt.Legend(title=t("common.zone", lang)),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=t("common.zone", lang)),
                alt.Tooltip("range:N", title=t("trends.range", lang)),
            ],
        )
    )


def _day_rule(
    day: object, series: pd.DataFrame, lang: str, always: bool = False
) -> list[alt.Chart]:
    """A thin rule on the chosen date, when later days are shown too (``always``: also on
    the last day shown)."""
    if day is None or series.empty:
        return []
    if pd.Timestamp(day) > series["date"].max() or (
        not always and pd.Timestamp(day) == series["date"].max()
    ):
        return []
    frame = pd.DataFrame({"date": [pd.Timestamp(day)], "what": [t("trends.chosen_date", lang)]})
    style = {"strokeWidth": 2, "strokeDash": [4, 2]} if always else {"strokeDash": [2, 2]}
    return [
        alt.Chart(frame)
        .mark_rule(color="#111111" if always else "#555555", **style)
        .encode(x="date:T", tooltip=[alt.Tooltip("what:N", title=t("common.date", lang))])
    ]


def _dash(lang: str, complete: str, gap: str) -> alt.StrokeDash:
    labels = [t(complete, lang), t("trends.provisional", lang), t(gap, lang)]
    return alt.StrokeDash(
        "kind_label:N",
        scale=alt.Scale(
            domain=labels, range=[LINE_DASHES[k] for k in (COMPLETE, PROVISIONAL, GAP)]
        ),
        legend=alt.Legend(title=t("trends.line", lang), symbolStrokeColor=LINE_COLOUR),
    )


def _gap_opacity() -> alt.Opacity:
    """Lines that only join the values on either side of a gap are drawn fainter."""
    return alt.Opacity("fade:Q", scale=None, legend=None)


def _styled(lines: pd.DataFrame, lang: str, complete: str, gap: str) -> pd.DataFrame:
    """:func:`line_segments` with the legend text of each stretch and its opacity."""
    labels = {COMPLETE: t(complete, lang), PROVISIONAL: t("trends.provisional", lang)}
    return lines.assign(
        kind_label=lines["kind"].map({**labels, GAP: t(gap, lang)}),
        fade=np.where(lines["kind"] == GAP, 0.5, 1.0),
    )


def _region_lines(
    series: pd.DataFrame, column: str, lang: str, title: str, complete: str, gap: str
) -> alt.Chart:
    """One line per region of ``column``, dashed where provisional or joining a gap; never
    across a value a public view does not show."""
    state = f"{column}__state"
    breaks = series[state] != privacy.EXACT if state in series else False
    lines = line_segments(series.assign(v=series[column], hidden=breaks), "v", "name", "hidden")
    lines = _styled(lines, lang, complete, gap)
    names = list(dict.fromkeys(series["name"]))
    colours = [REGION_COLOURS[i % len(REGION_COLOURS)] for i in range(len(names))]
    return (
        alt.Chart(lines)
        .mark_line(strokeWidth=2, clip=True)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("value:Q", title=title),
            detail="segment:N",
            opacity=_gap_opacity(),
            stroke=alt.Stroke(
                "name:N",
                scale=alt.Scale(domain=names, range=colours),
                legend=alt.Legend(title=t("common.region", lang)),
            ),
            strokeDash=_dash(lang, complete, gap),
            tooltip=[
                alt.Tooltip("name:N", title=t("common.region", lang)),
                alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
                alt.Tooltip("value:Q", title=title, format=",.1f"),
                alt.Tooltip("kind_label:N", title=t("trends.state", lang)),
            ],
        )
    )


# --- charts ---------------------------------------------------------------------------------


def metric_chart(
    series: pd.DataFrame,
    metric: str,
    lang: str,
    scheme: Scheme | None = None,
    day: object = None,
    mark_day: bool = False,
) -> alt.LayerChart:
    """A metric of several regions as lines, over the scheme's zone bands when it has them.

    ``series`` is a :func:`trend_frame`; ``metric`` one of its metric columns. ``mark_day``
    draws the rule on ``day`` even where it is the last day shown.
    """
    title = t(f"metrics.{metric}", lang)
    if f"{metric}__state" in series:  # a public view: one value a week, and the title says so
        title = f"{title} · {t('trends.sundays_only', lang)}"
    bands = scheme.bands(metric) if scheme is not None else []
    cuts = [lo for _, lo, _ in bands if np.isfinite(lo)]
    first = min((c for c in cuts if c > 0), default=0.0)  # the lowest threshold above zero
    state = series.get(f"{metric}__state")
    ranged = [] if state is None else series[f"{metric}__hi"].where(state == privacy.SMALL)
    top = max(_top([*series[metric], *ranged]), _top([first * 1.2]) if first else 0.0)
    span = (series["date"].min(), series["date"].max()) if len(series) else None
    layers = [bands_layer(scheme, metric, lang, top, span)] if bands else []
    lines = _region_lines(
        series, metric, lang, title, "trends.window_complete", "trends.window_gap"
    )
    scale = alt.Scale(domain=[0, top], nice=False)
    layers.append(lines.encode(y=alt.Y("value:Q", title=title, scale=scale)))
    if state is not None:  # a public view: weekly dots and ranges
        layers += _shown_layers(series, metric, lang, title, scale)
    chart = alt.layer(*layers, *_day_rule(day, series, lang, mark_day)).properties(height=280)
    return _finish(chart, lang)


def trend_chart(
    series: pd.DataFrame,
    metric: str,
    lang: str,
    scheme: Scheme | None = None,
    per_100k: bool = True,
    day: object = None,
) -> alt.LayerChart:
    """The chart of ``metric`` for several regions: a scheme metric over its bands, or the
    running total of cases (``metric="cumulative"``)."""
    if metric == "cumulative":
        return cumulative_chart(series, lang, per_100k, day)
    return metric_chart(series, metric, lang, scheme, day)


def cumulative_chart(
    series: pd.DataFrame, lang: str, per_100k: bool = True, day: object = None
) -> alt.LayerChart:
    """Running total of new cases of several regions; days without a report are joined."""
    key = "trends.cumulative_cases_per_100k" if per_100k else "trends.cumulative_cases"
    frame = series.assign(cum=_per_100k(series, "new_cases_cum", per_100k))
    lines = _region_lines(
        frame, "cum", lang, t(key, lang), "trends.cumulative_line", "trends.missing_joined"
    )
    return _finish(alt.layer(lines, *_day_rule(day, series, lang)).properties(height=240), lang)


def daily_title(field: str, lang: str, per_100k: bool) -> str:
    """The y-axis title of daily ``field`` (``new_cases`` or ``deaths``)."""
    return t(f"trends.{field}_per_100k", lang) if per_100k else t(f"metrics.{field}", lang)


def daily_charts(
    series: pd.DataFrame,
    field: str,
    lang: str,
    per_100k: bool = True,
    day: object = None,
    mark_day: bool = False,
) -> dict[str, alt.LayerChart]:
    """For each region (by name): daily bars of ``field`` and their 7-day average.

    All regions share one y scale. A day without a report is a pale full-height column, a
    provisional day a pale bar; the average is dashed where provisional and dotted where it
    joins days without a complete window.
    """
    frame = series.assign(
        value=_per_100k(series, field, per_100k), avg=_per_100k(series, f"{field}_avg7", per_100k)
    )
    top = _top([*frame["value"], *frame["avg"]])
    bottom = -_top([-v for v in (*frame["value"], *frame["avg"])], floor=0.0)
    title = daily_title(field, lang, per_100k)
    return {
        name: _daily_chart(g, lang, title, top, day, mark_day, bottom)
        for name, g in frame.groupby("name", sort=False)
    }


def _daily_chart(
    g: pd.DataFrame, lang: str, title: str, top: float, day: object, mark_day: bool = False,
    bottom: float = 0.0,
) -> alt.LayerChart:  # fmt: skip
    state = day_states(g["value"], g["provisional"])
    # a correction (a day below zero) has its own colour, in the legend only where there is one
    states = (REPORTED, PROVISIONAL, MISSING, *((CORRECTION,) if (state == CORRECTION).any()
                                                else ()))  # fmt: skip
    labels = [t(f"trends.{s}", lang) for s in states]
    bars = g.assign(
        state=pd.Series(state, index=g.index).map(dict(zip(states, labels, strict=True))),
        bar=g["value"].where(g["value"].notna(), top),
    )
    y = alt.Y("bar:Q", title=title, scale=alt.Scale(domain=[bottom, top], nice=False))
    bar_layer = (
        alt.Chart(bars[["date", "value", "bar", "state"]])
        .mark_bar(clip=True)
        .encode(
            x=alt.X("date:T", title=None),
            y=y,
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=labels, range=[BAR_COLOURS[s] for s in states]),
                legend=alt.Legend(title=t("trends.days", lang)),
            ),
            tooltip=[
                alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
                alt.Tooltip("value:Q", title=title, format=",.2f"),
                alt.Tooltip("state:N", title=t("trends.state", lang)),
            ],
        )
    )
    avg = line_segments(g.assign(v=g["avg"]), "v")
    avg = _styled(avg, lang, "trends.line_complete", "trends.window_gap")
    line = (
        alt.Chart(avg)
        .mark_line(color=LINE_COLOUR, strokeWidth=2, clip=True)
        .encode(
            x="date:T",
            y=alt.Y("value:Q", title=title, scale=alt.Scale(domain=[bottom, top], nice=False)),
            detail="segment:N",
            opacity=_gap_opacity(),
            # the bars' legend says which days are provisional; the note explains the dots
            strokeDash=_dash(lang, "trends.line_complete", "trends.window_gap").legend(None),
            tooltip=[
                alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
                alt.Tooltip("value:Q", title=t("trends.average", lang), format=",.2f"),
            ],
        )
    )
    name = str(g["name"].iloc[0])
    chart = alt.layer(bar_layer, line, *_day_rule(day, g, lang, mark_day))
    return _finish(chart.properties(height=220, title=name), lang)


# --- public views of villages, RW and RT: weekly figures, small counts as ranges ------------


def public_trend_series(
    store: Store,
    level: str,
    codes: Sequence[str],
    day: object = None,
    days: int = 0,
    threshold: int | None = None,
) -> pd.DataFrame:
    """The trend frame a public view of a village, RW or RT level may show.

    One row per region and week (the 7 days ending on each Sunday, see
    :mod:`zoning.model.privacy`) in the ``days`` up to ``day``: ``code, name, population, date``
    (the week's last day), ``provisional``, the week's totals of ``new_cases`` and
    ``deaths`` and the metrics, each with ``<column>__lo``, ``<column>__hi`` and
    ``<column>__state`` (:data:`zoning.model.privacy.EXACT`, ``SMALL`` ...). A value the public
    may not see is NaN and only its range is in the frame. Complementary suppression looks
    at all the level's regions, not only ``codes``.
    """
    data = service.level_data(store, level)
    info = service.regions(store, level).set_index("code").reindex(data.panel.regions)
    dates = data.panel.dates
    end = pd.Timestamp(day) if day is not None else dates[-1]
    start = end - pd.Timedelta(days=days - 1) if days else dates[0]
    in_period = (dates >= start) & (dates <= end)
    weeks = np.flatnonzero(privacy.is_week_end(dates) & in_period)
    columns = {
        M.seven_day_column(f): M.window_figure(f, v)[:, weeks]
        for f, v in data.panel.values.items()
        if f in M.counted_fields()
    }
    columns |= {m: v[:, weeks] for m, v in data.metrics.items() if m in M.METRICS}
    states = _week_states(store, level, dates[weeks], columns, threshold)
    shown = privacy.shown_values(
        columns, data.panel.population, info["parent"].to_numpy(object), threshold, states
    )
    rows = pd.Index(data.panel.regions).get_indexer(list(codes))
    rows = rows[rows >= 0]
    names = region_names(store, level)
    n = len(weeks)
    frame = pd.DataFrame(
        {
            "code": np.repeat(data.panel.regions[rows], n),
            "name": np.repeat([names[c] for c in data.panel.regions[rows]], n),
            "population": np.repeat(data.panel.population[rows], n),
            "date": np.tile(dates[weeks].to_numpy(), len(rows)),
            "provisional": data.metrics["provisional"][np.ix_(rows, weeks)].ravel(),
        }
    )
    picked = {f: shown[f"{f}_7d"] for f in DAILY_FIELDS if f"{f}_7d" in shown}
    for metric in M.METRICS:
        if metric in shown:
            picked[metric] = shown[metric]
        elif metric in columns:  # not computed from a count of people (beds in use)
            exact = columns[metric]
            state = np.zeros(exact.shape, dtype=np.int8)
            picked[metric] = privacy.Shown(exact, exact, exact, state)
    for name, values in picked.items():
        frame[name] = values.value[rows].ravel()
        frame[f"{name}__lo"] = values.lo[rows].ravel()
        frame[f"{name}__hi"] = values.hi[rows].ravel()
        frame[f"{name}__state"] = values.state[rows].ravel()
    return frame


def _week_states(
    store: Store, level: str, weeks: pd.DatetimeIndex, columns: Mapping, threshold: int | None
) -> dict[str, np.ndarray]:
    """How each count of ``level`` is shown in each week (regions x weeks), from the one
    masked source (:func:`zoning.views.published.day_states`), so the trends page shows what the
    map shows."""
    per_week = [published.day_states(store, week, threshold).get(level, {}) for week in weeks]
    # a column without a state in some week falls back to privacy's own rule (fail closed)
    return {
        c: np.stack([week[c] for week in per_week], axis=1)
        for c in columns
        if per_week and all(c in week for week in per_week)
    }


def _shown_text(series: pd.DataFrame, column: str, lang: str, decimals: int) -> np.ndarray:
    return privacy.texts(
        series[column].to_numpy(float), series[f"{column}__lo"].to_numpy(float),
        series[f"{column}__hi"].to_numpy(float), series[f"{column}__state"].to_numpy(),
        lang, decimals,
    )  # fmt: skip


def _shown_layers(
    series: pd.DataFrame, column: str, lang: str, title: str, scale: alt.Scale
) -> list[alt.Chart]:
    """A public view's marks for ``column``: a dot on each value shown, a bar over each range
    (small counts), the text of either in the tooltip."""
    state = series[f"{column}__state"].to_numpy()
    frame = pd.DataFrame(
        {
            "name": series["name"],
            "date": series["date"],
            "value": series[column],
            "lo": series[f"{column}__lo"],
            "hi": series[f"{column}__hi"].where(np.isfinite(series[f"{column}__hi"])),
            "text": _shown_text(series, column, lang, 1),
        }
    )
    names = list(dict.fromkeys(series["name"]))
    colours = [REGION_COLOURS[i % len(REGION_COLOURS)] for i in range(len(names))]
    colour = alt.Color("name:N", scale=alt.Scale(domain=names, range=colours), legend=None)
    tooltip = [
        alt.Tooltip("name:N", title=t("common.region", lang)),
        alt.Tooltip("date:T", title=t("trends.week_ending", lang), format="%d %b %Y"),
        alt.Tooltip("text:N", title=title),
    ]
    exact = (state == privacy.EXACT) & frame["value"].notna().to_numpy()
    points = (
        alt.Chart(frame[exact].drop(columns=["lo", "hi"]))
        .mark_point(filled=True, size=36, clip=True)
        .encode(x="date:T", y=alt.Y("value:Q", scale=scale), color=colour, tooltip=tooltip)
    )
    ranges = (
        alt.Chart(frame[state == privacy.SMALL].drop(columns="value"))
        .mark_rule(strokeWidth=7, opacity=0.45, clip=True)
        .encode(x="date:T", y=alt.Y("lo:Q", scale=scale), y2="hi:Q", color=colour, tooltip=tooltip)
    )
    return [points, ranges]


def weekly_title(field: str, lang: str, per_100k: bool) -> str:
    """The y-axis title of weekly ``field`` (``new_cases`` or ``deaths``) on a public view."""
    return t(f"trends.weekly_{field}{'_per_100k' if per_100k else ''}", lang)


def weekly_charts(
    series: pd.DataFrame,
    field: str,
    lang: str,
    per_100k: bool = True,
    day: object = None,
    mark_day: bool = False,
) -> dict[str, alt.LayerChart]:
    """For each region of a :func:`public_trend_series` (by name): a bar per week of
    ``field``. A small count is a bar over its range, a suppressed one a grey full-height
    column, a week without a complete report a pale one; every bar's tooltip gives the text
    shown (never a hidden number)."""
    people = series["population"].where(series["population"] > 0)
    factor = 100_000.0 / people if per_100k else pd.Series(1.0, index=series.index)
    scaled = series.assign(
        **{
            field: series[field] * factor,
            f"{field}__lo": series[f"{field}__lo"] * factor,
            f"{field}__hi": series[f"{field}__hi"] * factor,
        }
    )
    state = scaled[f"{field}__state"].to_numpy()
    small = state == privacy.SMALL
    top = _top([*scaled[field], *scaled.loc[small, f"{field}__hi"]])
    value = scaled[field].to_numpy(float)
    kind = np.where(
        small, RANGED,
        np.where(state != privacy.EXACT, SUPPRESSED, day_states(value, scaled["provisional"])),
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "name": scaled["name"],
            "start": scaled["date"].map(M.window_start),
            "end": scaled["date"] + pd.Timedelta(days=1),
            "date": scaled["date"],
            "bottom": np.where(small, scaled[f"{field}__lo"], 0.0),
            "bar": np.where(small, scaled[f"{field}__hi"], np.where(np.isnan(value), top, value)),
            "text": _shown_text(scaled, field, lang, 2 if per_100k else 0),
            "kind": kind,
        }
    )
    title = weekly_title(field, lang, per_100k)
    return {
        name: _weekly_chart(g, lang, title, top, day, mark_day)
        for name, g in frame.groupby("name", sort=False)
    }


def _weekly_chart(
    g: pd.DataFrame, lang: str, title: str, top: float, day: object, mark_day: bool = False
):
    kinds = (REPORTED, PROVISIONAL, RANGED, SUPPRESSED, MISSING)
    labels = [t(f"trends.{k}", lang) for k in kinds]
    bars = g.assign(state=g["kind"].map(dict(zip(kinds, labels, strict=True))))
    chart = (
        alt.Chart(bars.drop(columns="kind"))
        .mark_bar(clip=True)
        .encode(
            x=alt.X("start:T", title=None),
            x2="end:T",
            y=alt.Y("bottom:Q", title=title, scale=alt.Scale(domain=[0, top], nice=False)),
            y2="bar:Q",
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=labels, range=[BAR_COLOURS[k] for k in kinds]),
                legend=alt.Legend(title=t("trends.weeks", lang)),
            ),
            tooltip=[
                alt.Tooltip("date:T", title=t("trends.week_ending", lang), format="%d %b %Y"),
                alt.Tooltip("text:N", title=title),
                alt.Tooltip("state:N", title=t("trends.state", lang)),
            ],
        )
    )
    name = str(g["name"].iloc[0])
    layered = alt.layer(chart, *_day_rule(day, g, lang, mark_day))
    layered = layered.properties(height=220, title=name)
    return _finish(layered, lang)


# --- the selected region on the map --------------------------------------------------------

#: Days a region's charts on the map show before and after the chosen date.
PANEL_DAYS_BEFORE, PANEL_DAYS_AFTER = 182, 28


def around_day(frame: pd.DataFrame, day: object) -> pd.DataFrame:
    """The rows of ``frame`` (with a ``date`` column) from :data:`PANEL_DAYS_BEFORE` days
    before ``day`` to :data:`PANEL_DAYS_AFTER` days after it."""
    day = pd.Timestamp(day)
    start = day - pd.Timedelta(days=PANEL_DAYS_BEFORE)
    end = day + pd.Timedelta(days=PANEL_DAYS_AFTER)
    return frame[frame["date"].between(start, end)].reset_index(drop=True)


def region_charts(
    series: pd.DataFrame, lang: str, scheme: Scheme, day: object, public: bool
) -> list[tuple[str, alt.TopLevelMixin]]:
    """The charts of one region on the map, each with its caption; a rule marks ``day``.

    A level draws what it counts: new cases (daily bars with their 7-day average, or
    weekly bars on a public view, ``series`` then being a :func:`public_trend_series`), and
    houses with a case in the last 7 days (RW and RT), over the scheme's bands where it has
    them. Returns an empty list when the region has neither.
    """
    frame = around_day(series, day)
    out = []
    if has_values(frame, "new_cases"):
        bars, key = (weekly_charts, "map.trend_weekly") if public else (daily_charts, "map.trend")
        out += [
            (t(key, lang), chart)
            for chart in bars(frame, "new_cases", lang, False, day, mark_day=True).values()
        ]
    if has_values(frame, "houses_7d"):
        chart = metric_chart(frame, "houses_7d", lang, scheme, day, mark_day=True)
        out.append((t("map.trend_houses", lang), chart))
    return out


# --- Rt, and rates as reported against smoothed ------------------------------------------------
def _in_span(frame: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` on the days a trend frame ``series`` shows."""
    if series.empty or frame.empty:
        return frame.iloc[:0]
    dates = pd.to_datetime(frame["date"])
    keep = (dates >= series["date"].min()) & (dates <= series["date"].max())
    return frame[keep.to_numpy()].assign(date=dates[keep.to_numpy()])


def _region_stroke(names: list[str], lang: str, channel=alt.Stroke) -> object:
    colours = [REGION_COLOURS[i % len(REGION_COLOURS)] for i in range(len(names))]
    return channel(
        "name:N", scale=alt.Scale(domain=names, range=colours),
        legend=alt.Legend(title=t("common.region", lang)),
    )  # fmt: skip


def rt_chart(rt: pd.DataFrame, series: pd.DataFrame, lang: str) -> alt.LayerChart | None:
    """Rt of several regions (``rt``: :func:`zoning.views.published.public_rt`) over the days
    of the trend frame ``series``: a line per region on its 95 % credible interval (a band),
    and a rule at 1. ``None`` where no day has an estimate."""
    names = unique_names(series.drop_duplicates("code")["code"],
                         series.drop_duplicates("code").set_index("code")["name"])  # fmt: skip
    frame = _in_span(rt, series)
    # a run of days with an estimate is one piece of line: none is drawn across a gap
    gaps = frame["rt"].isna().groupby(frame["code"]).cumsum()
    frame = frame.assign(piece=frame["code"] + ":" + gaps.astype(str)).dropna(subset=["rt"])
    if frame.empty:
        return None
    frame = frame.assign(name=frame["code"].map(names))
    order = list(dict.fromkeys(names[c] for c in series["code"].drop_duplicates()))
    top = float(min(frame["rt_upper"].max(), 4.0)) * 1.05
    scale = alt.Scale(domain=[0, max(top, 1.5)], nice=False, clamp=True)
    base = alt.Chart(frame).encode(x=alt.X("date:T", title=None))
    interval = t("trends.rt_interval", lang)
    band = base.mark_area(opacity=0.18, clip=True).encode(
        y=alt.Y("rt_lower:Q", title="Rt", scale=scale), y2="rt_upper:Q",
        fill=_region_stroke(order, lang, alt.Fill), detail="piece:N",
    )  # fmt: skip
    line = base.mark_line(strokeWidth=2, clip=True).encode(
        y=alt.Y("rt:Q", scale=scale), stroke=_region_stroke(order, lang), detail="piece:N",
        tooltip=[
            alt.Tooltip("name:N", title=t("common.region", lang)),
            alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
            alt.Tooltip("rt:Q", title="Rt", format=".2f"),
            alt.Tooltip("rt_lower:Q", title=f"{interval} ↓", format=".2f"),
            alt.Tooltip("rt_upper:Q", title=f"{interval} ↑", format=".2f"),
        ],
    )  # fmt: skip
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="#111111", strokeDash=[4, 3])
    chart = alt.layer(band, line, one.encode(y="y:Q")).properties(height=260)
    return _finish(chart, lang)


def smoothed_chart(
    rates: pd.DataFrame, series: pd.DataFrame, metric: str, lang: str
) -> alt.LayerChart | None:
    """A metric as reported (dashed) and smoothed (solid) for several regions (``rates``:
    :func:`zoning.views.published.public_smoothed_series`) over the days of ``series``."""
    first = series.drop_duplicates("code")
    names = unique_names(first["code"], first.set_index("code")["name"])
    frame = _in_span(rates, series)
    if frame.empty or not frame[["raw", "smoothed"]].notna().any().any():
        return None
    kinds = {"raw": t("trends.kind_raw", lang), "smoothed": t("trends.kind_smoothed", lang)}
    long = frame.melt(id_vars=["code", "date"], value_vars=list(kinds), var_name="kind")
    long = long.assign(name=long["code"].map(names), kind_label=long["kind"].map(kinds))
    order = list(dict.fromkeys(names[c] for c in first["code"]))
    title = t(f"metrics.{metric}", lang)
    lines = (
        alt.Chart(long)
        .mark_line(strokeWidth=2, clip=True)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("value:Q", title=title),
            stroke=_region_stroke(order, lang),
            detail="kind:N",
            strokeDash=alt.StrokeDash(
                "kind_label:N",
                scale=alt.Scale(domain=list(kinds.values()), range=[[5, 4], [1, 0]]),
                legend=alt.Legend(title=t("trends.line", lang), symbolStrokeColor=LINE_COLOUR),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=t("common.region", lang)),
                alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
                alt.Tooltip("kind_label:N", title=t("trends.line", lang)),
                alt.Tooltip("value:Q", title=title, format=",.1f"),
            ],
        )
    )
    return _finish(alt.layer(lines).properties(height=260), lang)


def nowcast_chart(found: pd.DataFrame, series: pd.DataFrame, lang: str) -> alt.LayerChart | None:
    """The nowcast of the last days (``found``: :func:`zoning.views.published.public_nowcast`)
    as what it is, an expectation with its 95 % interval: a shaded band and a dashed line
    per region, beside the cases reported so far as dots; never a bar of counts."""
    first = series.drop_duplicates("code")
    names = unique_names(first["code"], first.set_index("code")["name"])
    frame = found.dropna(subset=["nowcast"])
    if frame.empty:
        return None
    frame = frame.assign(name=frame["code"].map(names), date=pd.to_datetime(frame["date"]))
    order = list(dict.fromkeys(names[c] for c in first["code"]))
    title = t("trends.nowcast_axis", lang)
    base = alt.Chart(frame).encode(x=alt.X("date:T", title=None))
    band = base.mark_area(opacity=0.2).encode(
        y=alt.Y("lower:Q", title=title), y2="upper:Q", fill=_region_stroke(order, lang, alt.Fill)
    )
    line = base.mark_line(strokeDash=[5, 4], strokeWidth=2, point=False).encode(
        y="nowcast:Q", stroke=_region_stroke(order, lang),
        tooltip=[
            alt.Tooltip("name:N", title=t("common.region", lang)),
            alt.Tooltip("date:T", title=t("common.date", lang), format="%d %b %Y"),
            alt.Tooltip("reported:Q", title=t("trends.nowcast_reported", lang), format=",.0f"),
            alt.Tooltip("nowcast:Q", title=t("trends.nowcast_expected", lang), format=",.1f"),
            alt.Tooltip("lower:Q", title=t("trends.nowcast_lower", lang), format=",.0f"),
            alt.Tooltip("upper:Q", title=t("trends.nowcast_upper", lang), format=",.0f"),
        ],
    )  # fmt: skip
    dots = base.mark_point(filled=True, size=40).encode(y="reported:Q", color=alt.value("#424242"))
    return _finish(alt.layer(band, line, dots).properties(height=220), lang)
