"""The daily bulletin: per regency and language, the public PDF brief of its regions and a
CSV of the zones that changed in the week (zoning/render/bulletin.py, `zoning bulletin`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from conftest import tiny_regions, write_store

from zoning.cli import main
from zoning.model.schemes import get_scheme
from zoning.views import analysis, briefing


def flicker_counts() -> pd.DataFrame:
    """Village 0 of regency 33.01 turns from one case a week to one a day on day 25."""
    dates = pd.date_range("2021-06-01", periods=35, freq="D")
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    rows = []
    for j, day in enumerate(dates):
        rows += [(villages[0], day, 1 if (j >= 25 or j % 7 == 0) else 0)]
        rows += [(v, day, k + 1) for k, v in enumerate(villages[1:])]
    return pd.DataFrame(rows, columns=["region", "date", "new_cases"])


def test_one_brief_and_one_change_list_per_regency_and_language(tmp_path: Path, capsys):
    store = write_store(tmp_path / "b.db", tiny_regions(), flicker_counts())
    out = tmp_path / "out"
    assert main(["--db", store.url, "bulletin", "--scheme", "who-ct-2021", "--out", str(out),
                 "--level", "village", "--date", "2021-06-30"]) == 0  # fmt: skip
    assert "8 files for 2 regencies" in capsys.readouterr().out
    day = out / "2021-06-30"
    regencies = sorted(p.name for p in day.iterdir())
    assert regencies == sorted(tiny_regions().query("level == 'regency'")["code"])
    for regency in regencies:
        names = sorted(p.name for p in (day / regency).iterdir())
        assert names == [
            "zona-who-ct-2021-village-2021-06-30-changes.csv",
            "zona-who-ct-2021-village-2021-06-30.pdf",
            "zones-who-ct-2021-village-2021-06-30-changes.csv",
            "zones-who-ct-2021-village-2021-06-30.pdf",
        ]
        assert (day / regency / names[1]).read_bytes().startswith(b"%PDF")
    scheme = get_scheme("who-ct-2021")
    want = analysis.zone_changes(store, scheme, "village", pd.Timestamp("2021-06-24"))
    want = want[want["date"] <= "2021-06-30"]
    for regency in regencies:
        text = (day / regency / "zones-who-ct-2021-village-2021-06-30-changes.csv").read_text()
        rows = list(csv.DictReader(io.StringIO(text)))
        mine = want[want["code"].str.startswith(regency + ".")]
        assert [r["code"] for r in rows] == mine["code"].tolist()
        assert all(r["to_label"].startswith("Level") for r in rows)
    first = tiny_regions().query("level == 'village'")["code"].iloc[0]
    assert first in want["code"].tolist()  # the change the bulletin must carry


def test_a_regencys_headline_counts_only_its_regions(tmp_path: Path):
    store = write_store(tmp_path / "h.db", tiny_regions(), flicker_counts())
    scheme, day = get_scheme("who-ct-2021"), pd.Timestamp("2021-06-30")
    whole = briefing.headline(store, scheme, "village", day)
    regency = tiny_regions().query("level == 'regency'")["code"].iloc[1]
    part = briefing.headline(store, scheme, "village", day, within=regency)
    assert (whole["regions"], part["regions"]) == (4, 2)
    # its villages have k + 1 cases a day (k their place among the villages after the first)
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    inside = [k + 1 for k, v in enumerate(villages[1:]) if v.startswith(regency + ".")]
    assert part["cases_7d"] == 7 * sum(inside)
    assert whole["cases_7d"] > part["cases_7d"]
