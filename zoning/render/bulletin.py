"""The daily bulletin of one area: the one-page PDF brief of its regions and a CSV of the
zones that changed in the last week, in one language. ``python -m zoning bulletin`` writes
one per regency and language (for cron).

Everything in it is public: the brief takes its figures from
:func:`zoning.views.published.public_zones` (through :func:`zoning.views.briefing.headline`
and :func:`zoning.render.presentation.map_layer`), and zone changes carry no counts.
"""

from __future__ import annotations

import pandas as pd

from zoning.model import metrics as M
from zoning.model.codes import is_within
from zoning.model.schemes import Scheme
from zoning.render import export, presentation
from zoning.store import Store
from zoning.views import analysis, briefing


def changes_csv(
    store: Store, scheme: Scheme, level: str, day: pd.Timestamp, within: str, lang: str
) -> bytes:
    """Zone changes in the 7 days to ``day`` of the regions of ``level`` inside ``within``:
    ``code, name, date, from_zone, to_zone`` and the zones' labels in ``lang``."""
    since = M.window_start(day)
    changes = analysis.zone_changes(store, scheme, level, since, decided=True)
    inside = [is_within(str(c), within) for c in changes["code"]]
    changes = changes[
        pd.Series(inside, index=changes.index) & (pd.to_datetime(changes["date"]) <= day)
    ]
    out = changes.assign(
        from_label=[scheme.zone_id_label(z, lang) for z in changes["from_zone"]],
        to_label=[scheme.zone_id_label(z, lang) for z in changes["to_zone"]],
    )
    return export.to_csv_bytes(out.reset_index(drop=True))


def brief(
    store: Store,
    scheme: Scheme,
    level: str,
    day: pd.Timestamp,
    lang: str,
    *,
    place: str,
    within: str | None = None,
    public: bool = True,
    day_from_url: bool = True,
) -> bytes:
    """The one-page brief (PDF) of the regions of ``level`` (inside ``within``) on ``day``:
    the briefing page's download and the bulletin's."""
    numbers = briefing.headline(store, scheme, level, day, public=public, lang=lang, within=within)
    words = briefing.texts(numbers, scheme, level, lang, place, day_from_url=day_from_url)
    layer = presentation.map_layer(store, scheme, level, day, lang, within, public=public)[0]
    return export.brief_pdf(
        layer, presentation.legend(scheme, lang), numbers, title=words["title"],
        subtitle=f"{words['view']} · {words['zones_on']}", data_line=words["data_line"],
        facts=briefing.pdf_facts(words), table_title=words["table_title"],
        table_header=words["table_header"], note=briefing.geometry_note(store, lang),
        source=briefing.source_text(store, scheme, lang), lang=lang,
        rows=briefing.TABLE_ROWS,
    )  # fmt: skip
