"""Charts (Altair/Vega-Lite specifications, rendered by the dashboard without any network).

Each function takes library data and a language and returns an ``altair.Chart``.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from zoning.i18n import t
from zoning.mapview import NO_DATA_COLOUR
from zoning.presentation import zone_labels
from zoning.schemes import Scheme


def zone_strip(history: pd.DataFrame, scheme: Scheme, lang: str) -> alt.Chart:
    """A one-row strip of the zone on each day (``history``: ``date, zone_index``)."""
    labels = zone_labels(scheme, lang)
    colours = [z.colour for z in scheme.zones] + [NO_DATA_COLOUR]
    frame = history.assign(
        label=[labels[i] if i >= 0 else labels[-1] for i in history["zone_index"]]
    )
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("date:T", title=None),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=labels, range=colours),
                legend=alt.Legend(title=t("common.zone", lang), orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("date:T", title=t("common.date", lang)),
                alt.Tooltip("label:N", title=t("common.zone", lang)),
            ],
        )
        .properties(height=40)
    )


def daily_cases(series: pd.DataFrame, lang: str) -> alt.Chart:
    """Bars of daily new cases with the 7-day average; provisional days drawn lighter.

    ``series`` has ``date, new_cases, avg7, provisional``.
    """
    frame = series.assign(state=np.where(series["provisional"], t("common.provisional", lang), ""))
    base = alt.Chart(frame).encode(x=alt.X("date:T", title=None))
    bars = base.mark_bar(opacity=0.35, color="#7f7f7f").encode(
        y=alt.Y("new_cases:Q", title=t("metrics.new_cases", lang)),
        opacity=alt.condition("datum.provisional", alt.value(0.12), alt.value(0.35)),
        tooltip=["date:T", "new_cases:Q", "avg7:Q", "state:N"],
    )
    line = base.mark_line(color="#b2182b").encode(y="avg7:Q")
    return (bars + line).properties(height=180)
