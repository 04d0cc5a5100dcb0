"""Downloads and tables in the reader's language: one naming rule, headers in words."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from zoning.model.schemes import builtin_schemes
from zoning.render import export, presentation
from zoning.views import service

ROOT = Path(__file__).resolve().parents[2]
WHO = builtin_schemes()["who-ct-2021"]


@pytest.mark.parametrize(("lang", "prefix"), [("id", "zona"), ("en", "zones")])
def test_one_naming_rule_per_language(lang, prefix):
    name = export.file_name(WHO, "regency", pd.Timestamp("2021-07-15"), lang, "csv")
    assert name == f"{prefix}-who-ct-2021-regency-2021-07-15.csv"
    assert export.file_name(WHO, "village", "2021-07-01", lang, "pdf").startswith(f"{prefix}-")


def test_every_download_of_a_page_is_named_by_the_rule():
    """No page names a download itself (the map said zones-..., the briefing zona-...)."""
    for path in (ROOT / "pages").glob("*.py"):
        text = path.read_text("utf-8")
        # download buttons, and the map's PNG (named by the page, downloaded by the map)
        downloads = text.count(".download_button(") + text.count("file_name=export.file_name(")
        assert text.count("export.file_name(") == downloads, f"{path.name}: a name of its own"


@pytest.fixture
def table(tiny_store):
    zones = service.zones_on(tiny_store, WHO, "village", "2021-07-10")
    return export.zones_table(presentation.with_labels(zones, WHO, "id"), WHO, "2021-07-10")


def test_the_table_for_people_has_headers_and_zones_in_words(table):
    id_ = export.for_people(table, WHO, "id")
    en = export.for_people(table, WHO, "en")
    assert list(id_.columns[:7]) == [
        "Kode", "Nama wilayah", "Kode induk", "Penduduk", "Tanggal", "Skema", "Zona",
    ]  # fmt: skip
    assert "Kasus 7 hari per 100.000" in id_.columns and "cases_7d_per_100k" not in id_.columns
    assert "Cases per 100,000, 7 days" in en.columns
    assert not any("_" in c for c in [*id_.columns, *en.columns])
    assert set(id_["Zona"]) == {"Level 4 (sangat tinggi)"} and "level-4" not in set(id_["Zona"])
    assert set(en["Zone"]) == {"Level 4 (very high)"}
    assert set(id_["Jendela 7 hari lengkap"]) == {"ya"} and set(en["Provisional figures"]) == {"no"}
    assert set(en["Scheme"]) == {"WHO community transmission levels (2021)"}
    assert en["Cases per 100,000, 7 days"].tolist() == table["cases_7d_per_100k"].tolist()


def test_the_csv_carries_the_headers_in_words(table):
    rows = list(
        csv.reader(io.StringIO(export.to_csv_bytes(export.for_people(table, WHO, "id")).decode()))
    )
    assert rows[0][:3] == ["Kode", "Nama wilayah", "Kode induk"]
    assert "Level 4 (sangat tinggi)" in rows[1]


def test_a_note_column_is_named_after_its_figure(table):
    noted = export.for_people(table.assign(new_cases_7d_note="see zone"), WHO, "id")
    assert "Kasus baru 7 hari: keterangan" in noted.columns
    assert not any("_" in c for c in noted.columns)
