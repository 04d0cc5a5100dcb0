"""Exports of what the dashboard shows: CSV, GeoJSON (and images, see below).

Text cells are made safe for spreadsheets (no formula runs when the CSV is opened).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.schemes import Scheme
from zoning.text import spreadsheet_safe

EXPORT_COLUMNS = ("code", "name", "parent", "population", "zone")


def zones_table(frame: pd.DataFrame, scheme: Scheme, day: object) -> pd.DataFrame:
    """The zones shown, with the metrics that decided them, as a plain table."""
    metric_cols = [m for m in scheme.metrics if m in frame]
    raw = [c for c in ("new_cases_7d", "deaths_7d", "admissions_7d") if c in frame]
    out = frame[[c for c in EXPORT_COLUMNS if c in frame] + metric_cols + raw].copy()
    out.insert(4, "date", pd.Timestamp(day).strftime("%Y-%m-%d"))
    out.insert(5, "scheme", scheme.id)
    out["window_complete"] = frame["window_complete"].to_numpy()
    out["provisional"] = frame["provisional"].to_numpy()
    return out


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
