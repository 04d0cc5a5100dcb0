"""Exports: the map as PNG and the one-page PDF brief (and the table exports they sit with)."""

from __future__ import annotations

import io
import re

import geopandas as gpd
import pandas as pd
import pytest
from model.test_privacy import SUNDAY, zones
from PIL import Image
from shapely.geometry import Polygon, box

from zoning.model.schemes import get_scheme
from zoning.render import export

pytestmark = pytest.mark.filterwarnings("ignore:Glyph:UserWarning")  # names in other scripts
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEGEND = [
    ("Level 1", "#66c2a5"),
    ("Level 2", "#ffd92f"),
    ("Level 3", "#fc8d62"),
    ("Level 4", "#b2182b"),
    ("Tanpa data", "#bdbdbd"),
]
HOSTILE = [
    "<script>alert(1)</script>",
    "Desa $x^$ tak tertutup",  # broken mathtext
    r"Kota $\frac{1}{0}$ \ backslash",
    '=HYPERLINK("http://x")',
    "baris\nbaru\r\ttab\x00nul\x1b[31m",
    "Ω" * 400,
    "\u202eeman desrever 🦠 中文",
    "",
]


def layer(names: list[str], colours: list[str] | None = None) -> gpd.GeoDataFrame:
    n = len(names)
    colours = colours or [LEGEND[i % 5][1] for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "code": [f"33.{i + 1:02d}" for i in range(n)],
            "name": names,
            "population": [100_000.0 + i for i in range(n)],
            "colour": colours,
        },
        geometry=[box(110 + 0.3 * i, -7.5, 110.29 + 0.3 * i, -6.9) for i in range(n)],
        crs="EPSG:4326",
    )


def headline(names: list[str]) -> dict:
    return {
        "severe": {"index": 3, "id": "level-4", "colour": "#b2182b", "regions": len(names)},
        "severe_regions": [
            {"code": f"33.{i:02d}", "name": name, "population": 1e5 + i, "rate": 300.0 - i}
            for i, name in enumerate(names)
        ],
    }


def pdf(layer_gdf: gpd.GeoDataFrame, names: list[str], **texts: object) -> bytes:
    words = {
        "title": "Zona COVID-19 Jawa Tengah",
        "subtitle": "Kabupaten/Kota · WHO · Zona per 2021-10-28",
        "data_line": "Data per 2021-10-31 · diperbarui 2021-11-01 08:00 UTC",
        "facts": [("heading", "Zona terberat saat ini: Level 4"), ("big", "3 wilayah"),
                  ("gap", ""), ("text", "▲ naik 12,5%")],
        "table_title": "Wilayah di Level 4",
        "table_header": ("Wilayah", "Kasus 7 hari per 100.000", "Penduduk"),
        "note": "Data demo: bentuk wilayah skematis.",
        "source": "Sumber: uji.",
    }  # fmt: skip
    words.update(texts)
    return export.brief_pdf(layer_gdf, LEGEND, headline(names), lang="id", **words)


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))


def test_map_png_is_a_png_of_the_expected_size():
    data = export.map_png(
        layer(["Kabupaten Satu", "Kota Dua", "Kabupaten Tiga"]),
        LEGEND,
        "Zona COVID-19 Jawa Tengah",
        "Kabupaten/Kota · WHO\nData per 2021-10-31 · diperbarui 2021-11-01 08:00 UTC",
        "Data demo: bentuk wilayah pada peta ini skematis, bukan batas resmi.",
    )
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == export.PNG_SIZE == (1600, 1000)
    assert len(image.convert("RGB").getcolors(1 << 24)) > 10  # something was drawn


def test_map_png_draws_the_zone_colours():
    data = export.map_png(layer(["A"], ["#b2182b"]), LEGEND[3:4], "t", "s")
    colours = {c for _, c in Image.open(io.BytesIO(data)).convert("RGB").getcolors(1 << 20)}
    assert (0xB2, 0x18, 0x2B) in colours


def test_brief_pdf_is_one_a4_landscape_page():
    names = [f"Kabupaten {i}" for i in range(40)]
    data = pdf(layer(names[:10]), names)
    assert data.startswith(b"%PDF")
    assert pages(data) == 1
    box_ = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", data)
    assert box_ and float(box_.group(1)) > float(box_.group(2))  # landscape
    assert float(box_.group(1)) == pytest.approx(841.68, abs=1)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_region_names_do_not_break_the_images(name):
    gdf = layer([name, "Kota Dua"])
    png = export.map_png(gdf, [(name, "#b2182b"), *LEGEND], name, name + "\n" + name, name)
    assert png.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(png)).size == (1600, 1000)
    data = pdf(gdf, [name] * 20, title=name, subtitle=name, table_title=name, source=name)
    assert data.startswith(b"%PDF") and pages(data) == 1


def test_bad_colours_and_missing_shapes_are_drawn_as_no_data():
    gdf = layer(["A", "B", "C"], ["javascript:alert(1)", "#12", None])
    gdf.loc[1, "geometry"] = Polygon()
    gdf.loc[2, "geometry"] = None
    assert export.map_png(gdf, [("x", "url(evil)")], "t", "s").startswith(PNG_SIGNATURE)
    assert pages(pdf(gdf, [])) == 1


def test_nothing_to_draw_still_gives_a_page():
    empty = layer(["A"]).iloc[0:0]
    assert export.map_png(empty, [], "t", "").startswith(PNG_SIGNATURE)
    assert pages(pdf(empty, [], facts=[])) == 1


def test_csv_export_neutralises_formulas():
    table = pd.DataFrame({"name": ["=1+1", "Desa"], "cases": [1, 2]})
    text = export.to_csv_bytes(table).decode("utf-8")
    assert "'=1+1" in text and "\n=1+1" not in text


# --- tables for the public: small numbers (zoning.model.privacy) ---------------------------------


def test_export_zones_table_for_the_public():
    scheme = get_scheme("who-ct-2021")
    exact = export.zones_table(zones(), scheme, SUNDAY)
    assert exact["new_cases_7d"].tolist() == [3.0, 12.0, 0.0, 40.0]  # analysts: as before
    public = export.zones_table(zones(), scheme, SUNDAY, public=True, lang="en")
    # numbers stay numbers; what is shown instead of one is in a note column next to it
    assert public["new_cases_7d"].dtype == float
    assert public["new_cases_7d"].fillna(-1).tolist() == [-1, -1, 0.0, 40.0]
    assert public["new_cases_7d_note"].tolist() == ["1–4", "suppressed", "", ""]
    cols = list(public.columns)
    assert cols.index("new_cases_7d_note") == cols.index("new_cases_7d") + 1
    assert public["zone"].tolist() == exact["zone"].tolist()
    csv = export.to_csv_bytes(public).decode("utf-8")
    assert "1–4" in csv and ",3.0," not in csv and ",150.0," not in csv
    regency = zones().assign(code=["33.01", "33.02", "33.03", "33.04"])
    assert export.zones_table(regency, scheme, SUNDAY, public=True)["new_cases_7d"].tolist() == [
        3.0, 12.0, 0.0, 40.0,
    ]  # fmt: skip


def test_export_geojson_for_the_public():
    scheme = get_scheme("who-ct-2021")
    public = export.zones_table(zones(), scheme, SUNDAY, public=True, lang="en")
    geometry = gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(4)], crs="EPSG:4326")
    text = export.to_geojson_bytes(public, geometry).decode("utf-8")
    assert '"new_cases_7d":null,"new_cases_7d_note":"1–4"' in text
    assert '"new_cases_7d":3.0' not in text


def test_public_table_on_a_weekday_keeps_numeric_columns_numeric():
    """Issue 11 item 19: 'Sundays only' never stands in a numeric column."""
    scheme = get_scheme("who-ct-2021")
    monday = SUNDAY + pd.Timedelta(days=1)
    public = export.zones_table(zones(), scheme, monday, public=True, lang="en")
    for column in ("new_cases_7d", "cases_7d_per_100k"):
        assert public[column].dtype == float and public[column].isna().all()
        assert set(public[f"{column}_note"]) == {"Sundays only"}
    text = export.to_csv_bytes(public).decode("utf-8")
    header, first = text.splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=True))
    assert row["new_cases_7d"] == "" and row["new_cases_7d_note"] == "Sundays only"


def test_brief_pdf_leaves_a_note_out_of_the_rate_column(monkeypatch):
    names = ["Desa A", "Desa B"]
    brief = headline(names)
    brief["severe_regions"][0]["rate"] = "Sundays only"
    drawn = []
    real = export._text
    monkeypatch.setattr(export, "_text", lambda *a, **k: drawn.append(a[3]) or real(*a, **k))
    export.brief_pdf(
        gpd.GeoDataFrame({"colour": ["#ff0000"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326"),
        [("Merah", "#ff0000")], brief, title="t", subtitle="s", data_line="d",
        facts=[], table_title="tt", table_header=("a", "b", "c"), lang="en",
    )  # fmt: skip
    assert "Sundays only" not in drawn  # not in a cell of the table
    assert "–*" in drawn and any("–*: Sundays only" in text for text in drawn)


def test_brief_pdf_shows_a_rate_given_as_a_range():
    names = ["Desa A", "Desa B"]
    brief = headline(names)
    brief["severe_regions"][0]["rate"] = "50,0–200,0"  # a public view of villages
    data = export.brief_pdf(
        layer(names), LEGEND, brief, title="Zona", subtitle="Desa", data_line="Data",
        facts=[], table_title="Wilayah", table_header=("Wilayah", "Kasus", "Penduduk"),
    )  # fmt: skip
    assert data.startswith(b"%PDF") and pages(data) == 1


def test_the_zones_table_says_coverage_and_at_least_in_words(tmp_path):
    """A regency one of whose two villages missed a day rests on half its people: the
    table and its CSV say so (coverage 0.5, zone at least), in the reader's language."""
    from conftest import tiny_counts, tiny_regions, write_store

    from zoning.model.schemes import get_scheme
    from zoning.render.export import for_people, zones_table
    from zoning.views import service

    counts = tiny_counts()
    gap = (counts["region"] == "33.01.01.2002") & (counts["date"] == "2021-07-15")
    store = write_store(tmp_path / "gap.db", tiny_regions(), counts[~gap])
    scheme = get_scheme("who-ct-2021")
    frame = service.zones_on(store, scheme, "regency", "2021-07-16")
    table = zones_table(frame, scheme, "2021-07-16")
    assert table["coverage"].tolist() == [0.5, 1.0]
    assert table["at_least"].tolist() == [True, False]
    people = for_people(table, scheme, "id")
    assert people["Zona paling sedikit (batas bawah)"].tolist() == ["ya", "tidak"]
    assert people["Cakupan pelaporan (bagian penduduk)"].tolist() == [0.5, 1.0]


def test_the_zones_table_and_its_csv_say_what_each_zone_rests_on(tiny_store):
    """The map's table and CSV (a table of public_zones): the decided zone, the computed one
    beside it, the state and who decided, in both languages; the columns last."""
    from zoning.views import decisions, published, service

    scheme = get_scheme("who-ct-2021")
    day = "2021-07-15"
    computed = service.zones_on(tiny_store, scheme, "regency", day).set_index("code")["zone"]
    other = next(z for z in scheme.zone_ids if z != computed["33.01"])
    decisions.record(tiny_store, scheme, "33.01", "2021-07-10", "dr. Ana", zone=other, reason="r")
    shown = published.public_zones(tiny_store, scheme, "regency", day, "en", public=True)
    table = export.zones_table(shown, scheme, day)
    assert list(table.columns[-5:]) == list(decisions.EXPORTED)
    rows = table.set_index("code")
    assert rows.loc["33.01", "zone"] == rows.loc["33.01", "decided_zone"] == other
    assert rows.loc["33.01", "computed_zone"] == computed["33.01"]
    assert rows.loc["33.01", "decided_by"] == "dr. Ana"
    assert list(rows["decision"]) == ["overridden", "unconfirmed"]
    english = export.for_people(table, scheme, "en").set_index("Code")
    assert list(english["Zone status"]) == [
        "Overridden by a decision",
        "Computed, not yet confirmed",
    ]
    assert english.loc["33.01", "Decided zone"] == scheme.zone_id_label(other, "en")
    assert english.loc["33.02", "Decided zone"] == ""  # no decision: empty, not "no data"
    assert english.loc["33.01", "Computed zone"] == scheme.zone_id_label(computed["33.01"], "en")
    indonesian = export.for_people(table, scheme, "id").set_index("Kode")
    assert list(indonesian["Status zona"]) == [
        "Diganti oleh keputusan", "Hasil hitung, belum dikonfirmasi",
    ]  # fmt: skip
    assert indonesian.loc["33.01", "Diputuskan oleh"] == "dr. Ana"
    csv = export.to_csv_bytes(export.for_people(table, scheme, "en")).decode()
    assert "Decided zone,Computed zone,Zone status,Decided by,Decided on" in csv.splitlines()[0]
