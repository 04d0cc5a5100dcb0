"""Published zone tables rebuilt from their published inputs (tests/data/external/).

CDC published, county by county, the figures each level is computed from and the level
itself. Classifying the published figures under the built-in schemes must give CDC's level
for every county: an external check of the schemes' thresholds, conditions and "highest of"
rule that nobody here wrote the expected answers for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoning.model.schemes import get_scheme

DATA = Path(__file__).parents[1] / "data" / "external" / "cdc-levels-california.csv"


def _percent(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column.str.rstrip("%"), errors="coerce").to_numpy(float)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    frame = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    assert len(frame) == 58  # every county of California
    return frame


def test_cdc_community_levels_of_every_california_county(table: pd.DataFrame):
    scheme = get_scheme("cdc-community-levels-2022")
    zones = scheme.classify(
        {
            "cases_7d_per_100k": pd.to_numeric(table["COVID cases per 100k"]).to_numpy(float),
            "admissions_7d_per_100k": pd.to_numeric(
                table["COVID hospital admissions per 100k"]
            ).to_numpy(float),
            "inpatient_covid_pct": _percent(table["COVID inpatient bed utilization"]),
        }
    )
    got = scheme.zone_id_array(zones)
    want = table["COVID-19 Community Level"].str.lower().to_numpy()
    mismatched = table.loc[got != want, "County"].tolist()
    assert not mismatched, mismatched
    # the table holds every level, so each row of the scheme's table is exercised
    assert set(want) == {"low", "medium", "high"}


def test_cdc_community_transmission_of_every_california_county(table: pd.DataFrame):
    scheme = get_scheme("cdc-transmission-2021")
    zones = scheme.classify(
        {
            "cases_7d_per_100k": pd.to_numeric(
                table["Community Transmission Level - Cases"]
            ).to_numpy(float),
            "positivity_7d_pct": _percent(table["Community Transmission Level - Test Positivity"]),
        }
    )
    got = scheme.zone_id_array(zones)
    want = table["Community Transmission Level"].str.lower().to_numpy()
    mismatched = table.loc[got != want, "County"].tolist()
    assert not mismatched, mismatched
    assert set(want) == {"low", "moderate", "substantial", "high"}
