"""The one column matcher, and every kind of file reading its columns through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoning.intake import columns
from zoning.intake.boundaries import import_regions, read_regions
from zoning.intake.columns import column_key, field_of, match_columns, pick_columns
from zoning.intake.counts import read_counts
from zoning.intake.linelist import read_linelist
from zoning.store import Store

A1 = "33.01.01.2001"


@pytest.mark.parametrize(
    "written",
    ["Kasus Baru", "kasus_baru", "KASUS-BARU", " kasus.baru ", "Kasus  Baru\t", "kasusbaru"],
)
def test_a_name_is_compared_by_its_letters_and_digits(written):
    assert column_key(written) == "kasusbaru"


def test_keys_keep_digits_and_drop_what_is_not_a_letter():
    assert column_key("Rumah 7 Hari") == "rumah7hari"
    assert column_key("No.") == "no"
    assert column_key("#") == ""
    assert column_key("Désa") == "dsa"  # letters outside a-z are not compared


NAMES = {
    "date": ("tanggal", "tgl", "date"),
    "region": ("kode_desa", "desa", "rt"),
    "rt": ("rt", "no_rt"),
}


def test_headers_come_by_the_preference_of_the_names_then_in_file_order():
    found = match_columns(["Date", "TGL", "Tanggal", "x"], NAMES)
    assert found == {"date": ["Tanggal", "TGL", "Date"]}


def test_a_header_may_name_several_fields_and_is_listed_once_per_field():
    found = match_columns(["RT", "Kode Desa", "kode-desa"], NAMES)
    assert found == {"region": ["Kode Desa", "kode-desa", "RT"], "rt": ["RT"]}


def test_a_header_without_letters_or_digits_names_nothing():
    assert match_columns(["", "#", " - "], {"x": ("", "#")}) == {}


def test_picking_gives_each_field_its_first_free_header():
    found = match_columns(["rt", "desa"], NAMES)
    assert pick_columns(found) == {"region": "desa", "rt": "rt"}
    # with only "rt", the region takes it first, in the order of the table
    assert pick_columns(match_columns(["rt"], NAMES)) == {"region": "rt"}
    assert pick_columns(match_columns(["rt", "desa"], NAMES), taken=["desa"]) == {"region": "rt"}


def test_a_shapefile_name_cut_to_ten_characters_still_matches():
    names = {"population": ("jumlah_penduduk",), "code": ("kode",)}
    assert match_columns(["JUMLAH_PEN"], names, cut=10) == {"population": ["JUMLAH_PEN"]}
    assert match_columns(["JUMLAH_PEN"], names) == {}  # only where names are cut
    assert match_columns(["JUMLAH_PE"], names, cut=10) == {}  # nine characters: no cut name
    assert match_columns(["KODE"], names, cut=10) == {"code": ["KODE"]}


def test_field_of_names_the_first_field_a_name_belongs_to():
    assert field_of("No RT", NAMES) == "rt"
    assert field_of("RT", NAMES) == "region"  # the table's order decides
    assert field_of("RT", {f: (f,) for f in NAMES}) == "rt"  # a field's own name first
    assert field_of("alamat", NAMES) is None


def test_the_alias_tables_are_data_next_to_each_other():
    for table in (columns.COUNTS, columns.LINELIST, columns.REGIONS):
        assert table and all(isinstance(n, str) for names in table.values() for n in names)
    # no name of the counts table is read as two fields
    fields_of: dict[str, set[str]] = {}
    for field, names in columns.COUNTS.items():
        for name in (field, *names):
            fields_of.setdefault(column_key(name), set()).add(field)
    assert {k: f for k, f in fields_of.items() if len(f) > 1} == {}


# --- every kind of file reads its header through the matcher -------------------------------------


def test_counts_line_lists_and_boundaries_read_names_written_any_way(tiny_store: Store):
    _, report = read_counts(
        f"Tanggal;KODE-WILAYAH;Kasus Baru\n2021-07-05;{A1};4\n".encode(), tiny_store.regions()
    )
    assert not report.has_errors and report.facts["columns"]["new_cases"] == "kasus baru"
    _, report = read_linelist(
        f"N.I.K.,Tanggal Konfirmasi,Kode Desa\n3301010101900001,2021-07-05,{A1}\n".encode(),
        tiny_store.regions(),
    )
    assert not report.has_errors and report.facts["columns"]["date"] == "tanggal konfirmasi"
    regions, report = read_regions(
        f"Kode Wilayah;Nama Wilayah;Jumlah Penduduk\n{A1};Desa Satu;1.200\n".encode(),
        "village",
        tiny_store.regions(),
    )
    assert not report.has_errors
    assert report.facts["fields"] == {
        "code": "kode wilayah", "name": "nama wilayah", "population": "jumlah penduduk",
    }  # fmt: skip
    assert regions["population"].tolist() == [1200.0]


def test_a_region_list_with_spaces_in_its_field_names_imports(tiny_store: Store, tmp_path: Path):
    """Bug: boundary files matched field names only as written with underscores (their
    names compared lower-cased but otherwise exact), so ``Kode Wilayah`` and ``Jumlah
    Penduduk`` were "cannot find the code field", although counts and line lists read such
    names."""
    path = tmp_path / "desa.csv"
    path.write_text(f"Kode Wilayah,Nama,Jumlah Penduduk\n{A1},Desa Satu,1200\n")
    result = import_regions(tiny_store, path, "village")
    assert result.changed == 1
    assert tiny_store.regions("village").set_index("code").loc[A1, "population"] == 1200


def test_a_mapping_names_its_column_as_the_matcher_compares(tiny_store: Store):
    data = f"tanggal,kode,Jumlah Kasus\n2021-07-05,{A1},4\n".encode()
    frame, report = read_counts(data, tiny_store.regions(), mapping={"jumlah_kasus": "new_cases"})
    assert not report.has_errors and frame["new_cases"].tolist() == [4.0]
    data = f"NIK,tgl,Desa Domisili\n3301010101900001,2021-07-05,{A1}\n".encode()
    frame, report = read_linelist(data, tiny_store.regions(), mapping={"desa domisili": "region"})
    assert not report.has_errors and frame["village"].tolist() == [A1]
