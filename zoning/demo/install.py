"""Loading the demo province into a store (``python -m zoning demo``)."""

from __future__ import annotations

import json

from zoning import demo
from zoning.store import Store

DEMO_AUTHOR = "demo"


def install_demo(store: Store, force: bool = False) -> str:
    """Write the demo regions and counts into ``store`` in one transaction.

    Does nothing if the store already has regions, unless ``force``. Returns a one-line
    summary for the person who asked.
    """
    if not store.is_empty() and not force:
        return f"the store {store.url} already has data; nothing written (use --force to rebuild)"
    regions = demo.demo_regions()
    counts = demo.demo_counts(regions)
    houses = demo.demo_houses(regions)
    with store.transaction() as conn:
        upload = store.record_upload(
            conn,
            "demo",
            "built-in demo",
            None,
            DEMO_AUTHOR,
            len(regions) + len(counts) + len(houses),
            0,
        )
        store.write_regions(conn, regions, upload)
        n = store.write_counts(conn, counts, upload)
        n += store.write_counts(conn, houses, upload)
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
