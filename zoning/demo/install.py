"""Loading the demo province into a store (``python -m zoning demo``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from zoning import demo
from zoning.demo.arrivals import demo_arrivals
from zoning.store import Store

DEMO_AUTHOR = "demo"


def install_demo(store: Store, force: bool = False) -> str:
    """Write the demo regions and counts into ``store`` in one transaction: the past as one
    upload, then the last month's daily uploads, each day's new cases arriving over the
    following days (:mod:`zoning.demo.arrivals`), so the reporting delay can be estimated.

    Does nothing if the store already has regions, unless ``force``. Returns a one-line
    summary for the person who asked.
    """
    if not store.is_empty() and not force:
        return f"the store {store.url} already has data; nothing written (use --force to rebuild)"
    regions = demo.demo_regions()
    counts = demo.demo_counts(regions)
    houses = demo.demo_houses(regions)
    arrived = demo_arrivals(counts, demo.SEED)  # the past in bulk, then a month day by day
    houses = houses.assign(upload=np.clip((houses["date"] - arrived.days[0].normalize()).dt.days,
                                          0, len(arrived.days) - 1))  # fmt: skip
    wrote = pd.concat([arrived.current["upload"], arrived.replaced["upload"], houses["upload"]])
    rows = np.bincount(wrote.to_numpy(), minlength=len(arrived.days))
    rows[0] += len(regions)
    with store.transaction() as conn:
        ids = np.array([
            store.record_upload(
                conn, "demo", "built-in demo" if k == 0 else f"built-in demo, day {k}", None,
                DEMO_AUTHOR, int(rows[k]), int(rows[k]), created_at=day.to_pydatetime(),
            )
            for k, day in enumerate(arrived.days)
        ])  # fmt: skip
        store.write_regions(conn, regions, int(ids[0]))
        current = pd.concat([arrived.current, houses], ignore_index=True)
        replaced = arrived.replaced.assign(replaced_by=ids[arrived.replaced["replaced_by"]])
        n = store.load_count_history(
            conn, current.assign(upload_id=ids[current["upload"]]),
            replaced.assign(upload_id=ids[replaced["upload"]]),
        )  # fmt: skip
        store.write_meta(
            conn,
            as_of=demo.DEMO_AS_OF.isoformat(),
            geometry_note=json.dumps(demo.DEMO_GEOMETRY_NOTE),
            source=json.dumps(demo.DEMO_SOURCE),
            attribution=demo.DEMO_ATTRIBUTION,
        )
    levels = regions["level"].value_counts()
    per_level = ", ".join(f"{levels.get(lv, 0)} {lv}" for lv in regions["level"].unique())
    return f"demo written to {store.url}: {per_level}; {n} region-days of counts"
