"""Trends: several regions side by side, against the chosen scheme's thresholds."""

from __future__ import annotations

import streamlit as st

from ui import access, common
from ui.measures import level_note
from zoning.core.i18n import format_number, pick, t
from zoning.core.text import escape_markdown
from zoning.render import charts
from zoning.views import analysis, delays, published, service

MAX_REGIONS = 6
PER_ROW = 3


def side_by_side(figures: dict) -> None:
    """Charts in columns, up to three to a row (stacked on a narrow screen)."""
    items = list(figures.values())
    for start in range(0, len(items), PER_ROW):
        row = items[start : start + PER_ROW]
        for col, figure in zip(st.columns(PER_ROW), row, strict=False):
            col.altair_chart(figure, width="stretch")


lg = common.lang()
store = common.store()
scheme = common.pick_scheme(lg)
level = common.pick_level(store, scheme, lg)
day = common.pick_date(store, level, lg)

st.title(t("trends.title", lg))
common.data_note(store, lg)
level_note(store, scheme, level, lg)  # e.g. PPKM Mikro at village level

# --- which regions, and how ---------------------------------------------------------------
names = charts.region_names(store, level)
from_url = charts.regions_from_param(st.query_params.get("region"), names)
codes = st.multiselect(
    t("trends.regions", lg),
    list(names),
    default=from_url[:MAX_REGIONS]
    or charts.top_regions(store, level, day, public=access.public_view(level)),
    format_func=names.get,
    max_selections=MAX_REGIONS,
    key=f"trend_regions_{level}",
    help=t("trends.regions_help", lg, n=MAX_REGIONS),
)
st.caption(t("trends.intro", lg, date=day.date().isoformat()))
if charts.region_param(codes):
    st.query_params["region"] = charts.region_param(codes)
else:
    st.query_params.pop("region", None)
    st.info(t("trends.no_regions", lg))
    st.stop()

left, right = st.columns(2)
per_100k = left.toggle(t("trends.per_100k", lg), value=True, key="trend_per_100k")
days = right.segmented_control(
    t("trends.period", lg),
    charts.PERIODS,
    default=182,
    format_func=lambda d: t(f"trends.period_{d}", lg),
    required=True,
    key="trend_period",
)
public = access.public_view(level)  # villages, RW, RT for the public: weekly, small as ranges
series = charts.trend_series(store, level, codes, day=day, days=days or 0, public=public)
banded = charts.banded_metrics(scheme, series)
has_cases = charts.has_values(series, "new_cases")
if not (has_cases or banded):
    st.warning(t("trends.no_values", lg))
    st.stop()

if public:
    access.privacy_note(lg)

# --- against the scheme's thresholds ------------------------------------------------------
st.subheader(t("trends.against_scheme", lg, scheme=escape_markdown(pick(scheme.name, lg))))
for metric in banded:
    st.altair_chart(charts.metric_chart(series, metric, lg, scheme, day), width="stretch")
if not charts.has_bands(scheme):
    st.info(t("trends.no_bands", lg))
elif not banded:
    st.info(t("trends.no_band_values", lg))

# --- Rt, and the scheme's rate as reported against smoothed ---------------------------------
rt = published.public_rt(store, level, codes, public=public)
st.subheader(t("trends.rt_title", lg))
if rt is None:
    st.caption(t("trends.rt_levels", lg))
else:
    si_mean, si_sd = analysis.serial_interval_setting()
    drawn = charts.rt_chart(rt, series, lg)
    if drawn is None:
        st.info(t("trends.rt_none", lg))
    else:
        st.altair_chart(drawn, width="stretch")
    st.caption(t("trends.rt_help", lg, mean=format_number(si_mean, lg, 1),
                 sd=format_number(si_sd, lg, 1)))  # fmt: skip

metric = analysis.smoothed_metric(scheme)
if metric:
    st.subheader(t("trends.smoothed_title", lg))
    rates = published.public_smoothed_series(store, scheme, level, codes, public=public)
    drawn = None if rates is None else charts.smoothed_chart(rates, series, metric, lg)
    if rates is None:
        st.caption(t("trends.smoothed_analysts_only", lg, level=common.level_label(level, lg)))
    elif drawn is not None:
        st.altair_chart(drawn, width="stretch")
        st.caption(t("trends.smoothed_help", lg, metric=t(f"metrics.{metric}", lg)))

# --- daily (public view: weekly) cases, running total, deaths, tests ----------------------
bars = charts.weekly_charts if public else charts.daily_charts
if has_cases:
    st.subheader(t("trends.weekly_cases" if public else "trends.daily_cases", lg))
    side_by_side(bars(series, "new_cases", lg, per_100k, day))

# --- the last days: a nowcast of the reports still to come -------------------------------
if has_cases:
    found = published.public_nowcast(store, level, codes, public=public)
    drawn = None if found is None else charts.nowcast_chart(found[0], series, lg)
    if drawn is not None:
        st.subheader(t("trends.nowcast_title", lg))
        st.altair_chart(drawn, width="stretch")
        st.caption(t("trends.nowcast_help", lg, days=found[1]))
    elif published.analyses_public(level, public=public):
        st.caption(t("trends.nowcast_none", lg))

shares = charts.unverified_share(series)  # line lists' rows without a valid NIK
if shares["unverified"].sum() > 0:
    st.subheader(t("trends.unverified_title", lg))
    lines = [
        t("trends.unverified_line", lg, name=escape_markdown(row.name),
          n=format_number(row.unverified, lg), total=format_number(row.cases, lg),
          share=format_number(100 * row.share, lg, 1))
        for row in shares.itertuples(index=False)
    ]  # fmt: skip
    st.caption(t("trends.unverified_help", lg) + "  \n" + "  \n".join(lines))

if charts.has_values(series, "new_cases_cum"):
    st.subheader(t("trends.cumulative", lg))
    st.altair_chart(charts.cumulative_chart(series, lg, per_100k, day), width="stretch")

if charts.has_values(series, "deaths"):
    st.subheader(t("trends.weekly_deaths" if public else "trends.daily_deaths", lg))
    side_by_side(bars(series, "deaths", lg, per_100k, day))

if charts.has_values(series, "positivity_7d_pct") and "positivity_7d_pct" not in banded:
    st.subheader(t("trends.positivity", lg))
    st.altair_chart(
        charts.metric_chart(series, "positivity_7d_pct", lg, scheme, day), width="stretch"
    )

period = service.level_data(store, level).period  # estimated from the reports, or the default
st.caption(t("trends.note", lg, period=delays.period_text(period, lg)))
