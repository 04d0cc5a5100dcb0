"""The zones of a level on a day as one plain table: what ``python -m zoning zones`` prints
and what the read API's ``GET /zones`` answers.

One function builds the rows and columns for both, so a script that reads the API gets the
same regions, zones and columns as one that runs the command line:

``code, name, date, zone, <the scheme's metrics>, window_complete, provisional, coverage,
at_least``, and with ``decisions`` (``zones --decisions``; always in the API) the columns of
:data:`zoning.views.decisions.EXPORTED` appended: ``decided_zone, computed_zone, decision,
decided_by, decided_on``. ``zone`` is the zone shown (an analyst's standing decision, else
the computed one; empty while awaiting confirmation).

The command line is run by whoever holds the database and prints the exact table. The API
answers the public from :func:`zoning.views.published.public_zones`, the one masked source of
every public output: a figure a public page hides is empty here (``NaN``), and
:func:`zone_rows` says why in ``notes`` (``1–4``, 'hidden', 'see zone', 'Sundays only').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoning.core.errors import InputError
from zoning.intake.tables import parse_date
from zoning.model.codes import is_within, try_normalise
from zoning.model.schemes import Scheme
from zoning.store import Store
from zoning.views import published, service
from zoning.views.decisions import EXPORTED

#: The columns after the scheme's metrics, in this order.
TAIL = ("window_complete", "provisional", "coverage", "at_least")


@dataclass(frozen=True)
class ZoneRows:
    """The zones table of a view and what stands in place of each hidden figure."""

    day: pd.Timestamp
    table: pd.DataFrame
    #: ``{column: {row position: text shown instead of the number}}``, empty for analysts.
    notes: dict[str, dict[int, str]]


def columns(
    scheme: Scheme, available: pd.Index | list[str], *, with_decisions: bool = False
) -> list[str]:
    """The columns of the zones table under ``scheme``, in order (``with_decisions``: the
    decision's columns appended)."""
    metrics = [m for m in scheme.metrics if m in available]
    return ["code", "name", "date", "zone", *metrics, *TAIL, *(EXPORTED if with_decisions else ())]


def view_day(store: Store, level: str, date: str | None, *, field: str = "--date") -> pd.Timestamp:
    """The day a zones table shows: ``date`` (``YYYY-MM-DD``) or, without it, the latest
    settled day of ``level``. A day outside the data is refused naming ``field``."""
    data = service.level_data(store, level)
    if not date:
        return data.settled_day
    day = parse_date(date)
    if day is None:
        raise InputError(f"{date!r} is not a date; write YYYY-MM-DD", column=field)
    if day not in data.panel.dates:
        raise InputError(
            f"no data for {day.date()}; the data run from {data.panel.dates[0].date()} "
            f"to {data.panel.dates[-1].date()}",
            column=field,
        )
    return day


def zone_rows(
    store: Store,
    scheme: Scheme,
    level: str,
    day: pd.Timestamp,
    *,
    public: bool,
    lang: str = "en",
    within: str | None = None,
    zones: list[str] | None = None,
    with_decisions: bool = False,
) -> ZoneRows:
    """The zones table of ``level`` on ``day`` under ``scheme``.

    ``public``: as anyone may see it (:func:`zoning.views.published.public_zones`): hidden
    figures are empty and their text is in :attr:`ZoneRows.notes`. ``within``: only regions
    inside this region code. ``zones``: only regions in these zone ids.
    ``with_decisions``: with the columns of :data:`zoning.views.decisions.EXPORTED` (who
    decided is public as on the map: "confirmed by ... on ...").
    """
    frame = published.public_zones(store, scheme, level, day, lang, public=public)
    if within is not None:
        parent = try_normalise(within)
        if parent is None:
            raise InputError(f"{within!r} is not a region code", column="within")
        frame = frame[[is_within(str(c), parent) for c in frame["code"]]]
    if zones is not None:
        unknown = sorted(set(zones) - set(scheme.zone_ids))
        if unknown:
            raise InputError(
                f"{', '.join(unknown)} is not a zone of {scheme.id}; "
                f"its zones are {', '.join(scheme.zone_ids)}",
                column="zone",
            )
        frame = frame[frame["zone"].isin(zones)]
    cols = columns(scheme, frame.columns, with_decisions=with_decisions)
    out = frame.assign(date=day.strftime("%Y-%m-%d"), zone=frame["zone"].fillna(""))
    out = out[cols].reset_index(drop=True)
    notes: dict[str, dict[int, str]] = {}
    for column in cols[4 : cols.index(TAIL[0])]:
        values = out[column]
        if values.dtype != object:  # exact figures: as they are
            continue
        shown_as_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        notes[column] = {int(i): str(values.iloc[i]) for i in np.flatnonzero(shown_as_text)}
        out[column] = pd.to_numeric(values.where(~shown_as_text), errors="coerce").astype(float)
    notes = {c: n for c, n in notes.items() if n}
    return ZoneRows(day=day, table=out, notes=notes)
