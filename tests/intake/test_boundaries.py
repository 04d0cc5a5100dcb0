"""Importing region boundaries (GeoJSON, GeoPackage, zipped Shapefile) and region lists (CSV).

Every fixture file is built here, in ``tmp_path``, from small polygons in Kota Semarang.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import fuzz
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from zoning.core.errors import InputError
from zoning.intake.boundaries import import_regions, parse_code, read_regions
from zoning.intake.report import Report
from zoning.model.codes import CodeError
from zoning.store import Store

# A corner of Kota Semarang: two districts, the first split into three villages.
PROVINCE = box(110.0, -7.5, 111.0, -6.5)
SEMARANG = box(110.3, -7.1, 110.5, -6.9)
CILACAP = box(110.0, -7.5, 110.3, -7.1)  # not where Cilacap is, but inside the province
DISTRICT_1 = box(110.40, -7.00, 110.42, -6.98)
DISTRICT_2 = box(110.42, -7.00, 110.44, -6.98)


def _dense(geom):
    """A polygon with many vertices, so that reprojection bends its edges."""
    return shapely.segmentize(geom, 0.001)


VILLAGES = [
    ("33.74.01.1001", "Kelurahan Satu", 3000, _dense(box(110.40, -7.00, 110.41, -6.99))),
    ("33.74.01.1002", "Kelurahan Dua", 4000, _dense(box(110.41, -7.00, 110.42, -6.99))),
    ("33.74.01.2001", "Desa Tiga", 2500, _dense(box(110.40, -6.99, 110.42, -6.98))),
]


def _base() -> gpd.GeoDataFrame:
    rows = [
        ("33", "Jawa Tengah", "province", None, 1_000_000, PROVINCE),
        ("33.74", "Kota Semarang", "regency", "33", 100_000, SEMARANG),
        ("33.74.01", "Kecamatan Satu", "district", "33.74", 10_000, DISTRICT_1),
        ("33.74.02", "Kecamatan Dua", "district", "33.74", 10_000, DISTRICT_2),
    ]
    cols = ["code", "name", "level", "parent", "population", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=4326)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store with the province, Kota Semarang and two of its districts."""
    s = Store(str(tmp_path / "java.db"))
    with s.transaction() as conn:
        upload = s.record_upload(conn, "test", "base", None, "pytest", 4, 4)
        s.write_regions(conn, _base(), upload)
    return s


def villages(**columns: list) -> gpd.GeoDataFrame:
    """The three villages with the fields given (default ``kode, nama, penduduk``)."""
    data = columns or {
        "kode": [v[0] for v in VILLAGES],
        "nama": [v[1] for v in VILLAGES],
        "penduduk": [v[2] for v in VILLAGES],
    }
    return gpd.GeoDataFrame(data, geometry=[v[3] for v in VILLAGES], crs="EPSG:4326")


def snapshot(store: Store) -> tuple:
    return store.regions(), store.uploads(), store.data_version()


def assert_unchanged(store: Store, before: tuple) -> None:
    regions, uploads, version = snapshot(store)
    pd.testing.assert_frame_equal(regions, before[0])
    pd.testing.assert_frame_equal(uploads, before[1])
    assert version == before[2]


def rejected(store: Store, source, level: str = "village", **kw) -> str:
    """The message of a refused import, after checking that the store did not change."""
    before = snapshot(store)
    with pytest.raises(InputError) as info:
        import_regions(store, source, level, **kw)
    assert_unchanged(store, before)
    return str(info.value)


def assert_villages_stored(store: Store, tolerance: float = 1e-6) -> None:
    stored = store.regions("village").set_index("code")
    assert list(stored.index) == [v[0] for v in VILLAGES]
    assert list(stored["name"]) == [v[1] for v in VILLAGES]
    assert list(stored["parent"]) == ["33.74.01"] * 3
    assert list(stored["population"]) == [float(v[2]) for v in VILLAGES]
    geoms = store.geometries("village", display=False).set_index("code").geometry
    for code, _, _, expected in VILLAGES:
        got = geoms[code]
        assert got.is_valid
        assert got.geom_type in ("Polygon", "MultiPolygon")
        assert shapely.hausdorff_distance(got, expected) < tolerance
    display = store.geometries("village").geometry
    assert display.notna().all() and display.is_valid.all()


# --- formats -------------------------------------------------------------------------------


def test_geojson_villages(store: Store, tmp_path: Path) -> None:
    frame = villages(
        kode=["3374011001", "33.74.01.1002", 3374012001],  # written three ways
        nama=[" Kelurahan  Satu ", "Kelurahan Dua", "Desa Tiga"],
        penduduk=["3.000", 4000, 2500.0],
    )
    path = tmp_path / "desa.geojson"
    frame.to_file(path)
    version = store.data_version()
    result = import_regions(store, path, "village", author="analyst")
    assert (result.rows, result.changed, result.duplicate_of) == (3, 3, None)
    assert not result.report.has_errors
    assert result.report.facts["format"] == "GeoJSON"
    assert result.report.facts["crs"] == "EPSG:4326"
    assert result.report.facts["fields"] == {
        "code": "kode",
        "name": "nama",
        "population": "penduduk",
    }
    assert_villages_stored(store, tolerance=1e-9)
    assert store.data_version() == version + 1
    upload = store.uploads().iloc[-1]
    assert (upload["kind"], upload["filename"], upload["created_by"]) == (
        "regions",
        "desa.geojson",
        "analyst",
    )
    assert len(upload["sha256"]) == 64 and upload["id"] == result.upload_id
    assert json.loads(upload["report"])["facts"]["regions"] == 3


def test_geopackage_in_utm_with_two_layers(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "semarang.gpkg"
    villages().to_crs("EPSG:32749").to_file(path, layer="desa")
    districts = gpd.GeoDataFrame(
        {"kode_kec": ["33.74.01", "33.74.02"], "nama_kec": ["Kec. Satu", "Kec. Dua"]},
        geometry=[DISTRICT_1, DISTRICT_2],
        crs="EPSG:4326",
    ).to_crs("EPSG:32749")
    districts.to_file(path, layer="kecamatan")

    message = rejected(store, path)
    assert "several layers: desa, kecamatan" in message and "--layer" in message
    assert "no layer 'dusun'" in rejected(store, path, layer="dusun")

    result = import_regions(store, path, "village", layer="desa")
    assert result.report.facts["crs"] == "EPSG:32749"
    assert result.report.facts["layer"] == "desa"
    assert_villages_stored(store)
    # the same bytes with the other layer are another import, not a duplicate
    result = import_regions(store, path, "district", layer="kecamatan")
    assert result.duplicate_of is None and result.changed == 2
    assert list(store.regions("district")["name"]) == ["Kec. Satu", "Kec. Dua"]
    kec = store.geometries("district", display=False).set_index("code").geometry
    assert shapely.hausdorff_distance(kec["33.74.02"], DISTRICT_2) < 1e-6


def _shapefile_zip(frame: gpd.GeoDataFrame, tmp_path: Path, stem: str = "desa", skip=()) -> bytes:
    folder = tmp_path / f"shp-{stem}"
    folder.mkdir(exist_ok=True)
    with warnings.catch_warnings():  # long field names are cut to 10 characters: that is the point
        warnings.simplefilter("ignore")
        frame.to_file(folder / f"{stem}.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in sorted(folder.iterdir()):
            if part.suffix not in skip:
                archive.write(part, f"batas/{part.name}")  # inside a folder, as people zip them
    return buffer.getvalue()


@pytest.mark.parametrize(
    "names",
    [("KODE", "NAMA", "PENDUDUK"), ("KODE_WILAYAH", "NAMA_WILAYAH", "JUMLAH_PENDUDUK")],
    ids=["short", "cut-to-10"],
)
def test_zipped_shapefile_in_indonesian_tm3(store: Store, tmp_path: Path, names) -> None:
    code, name, pop = names
    frame = villages(**{
        code: [v[0] for v in VILLAGES], name: [v[1] for v in VILLAGES],
        pop: [v[2] for v in VILLAGES],
    }).to_crs("EPSG:23835")  # fmt: skip  # DGN95 / Indonesia TM-3 zone 49.1
    data = _shapefile_zip(frame, tmp_path)
    result = import_regions(store, data, "village", filename="batas_desa.zip")
    assert result.report.facts["format"] == "Shapefile"
    assert result.report.facts["crs"] == "EPSG:23835"
    assert result.report.facts["fields"] == {
        "code": code[:10],
        "name": name[:10],
        "population": pop[:10],
    }
    assert_villages_stored(store)
    assert store.uploads().iloc[-1]["filename"] == "batas_desa.zip"


def test_shapefile_path_reads_the_files_beside_it(store: Store, tmp_path: Path) -> None:
    villages().to_crs("EPSG:32749").to_file(tmp_path / "desa.shp")
    import_regions(store, tmp_path / "desa.shp", "village")
    assert_villages_stored(store)
    (tmp_path / "desa.dbf").unlink()
    assert "no .dbf file beside it" in rejected(store, tmp_path / "desa.shp")


def test_shapefile_without_prj(store: Store, tmp_path: Path) -> None:
    data = _shapefile_zip(villages(), tmp_path, "lonlat", skip=(".prj",))
    result = import_regions(store, data, "village", filename="x.zip")
    assert any("EPSG:4326 was assumed" in i.message for i in result.report.warnings)
    assert_villages_stored(store, tolerance=1e-9)

    projected = _shapefile_zip(villages().to_crs(32749), tmp_path, "utm", skip=(".prj",))
    message = rejected(store, projected, filename="utm.zip")
    assert "no coordinate reference system" in message and ".prj" in message


def test_csv_lists_of_rw_and_rt(store: Store, tmp_path: Path) -> None:
    villages().to_file(tmp_path / "desa.geojson")
    import_regions(store, tmp_path / "desa.geojson", "village")
    rw = "kode;nama;penduduk\n33.74.01.1001.001;RW 001;1.500\n3374011001002;RW 002;\n"
    result = import_regions(store, rw.encode(), "rw", filename="rw.csv")
    assert result.report.facts["format"] == "CSV"
    assert any("1 region has no population" in i.message for i in result.report.warnings)
    # RTs by number within their RW
    rt = "Kode_RW,RT,Nama RT,Penduduk\n33.74.01.1001.001,1,RT 1,700\n33.74.01.1001.001,2,RT 2,800\n"
    rt += "33.74.01.1001.002,1,RT 1 RW 2,650\n"
    import_regions(store, rt.encode(), "rt", name_field="nama rt", filename="rt.csv")
    stored = store.regions()
    rws = stored[stored["level"] == "rw"]
    assert list(rws["code"]) == ["33.74.01.1001.001", "33.74.01.1001.002"]
    assert list(rws["parent"]) == ["33.74.01.1001"] * 2
    assert rws["population"].tolist()[0] == 1500 and np.isnan(rws["population"].tolist()[1])
    rts = stored[stored["level"] == "rt"]
    assert list(rts["code"]) == [
        "33.74.01.1001.001.001",
        "33.74.01.1001.001.002",
        "33.74.01.1001.002.001",
    ]
    assert list(rts["parent"]) == ["33.74.01.1001.001"] * 2 + ["33.74.01.1001.002"]
    assert list(rts["name"]) == ["RT 1", "RT 2", "RT 1 RW 2"]
    assert store.geometries("rt").geometry.isna().all()


def test_rw_numbers_placed_in_their_village_by_boundary(store: Store, tmp_path: Path) -> None:
    villages().to_file(tmp_path / "desa.geojson")
    import_regions(store, tmp_path / "desa.geojson", "village")
    rw = gpd.GeoDataFrame(
        {"rw": [1, 2, 1], "nama": ["RW 1", "RW 2", "RW 1"]},
        geometry=[
            box(110.400, -7.000, 110.405, -6.995),  # in 33.74.01.1001
            box(110.405, -7.000, 110.410, -6.995),  # in 33.74.01.1001
            box(110.410, -7.000, 110.415, -6.995),  # in 33.74.01.1002
        ],
        crs=4326,
    )
    rw.to_file(tmp_path / "rw.geojson")
    import_regions(store, tmp_path / "rw.geojson", "rw")
    stored = store.regions("rw")
    assert list(stored["code"]) == ["33.74.01.1001.001", "33.74.01.1001.002", "33.74.01.1002.001"]
    assert list(stored["parent"]) == ["33.74.01.1001", "33.74.01.1001", "33.74.01.1002"]

    stray = rw.iloc[:1].set_geometry([box(120, -7, 120.01, -6.99)], crs=4326)
    stray.to_file(tmp_path / "stray.geojson")
    message = rejected(store, tmp_path / "stray.geojson", "rw")
    assert "row 1" in message and "lies in no stored village" in message


def test_bow_tie_is_repaired(store: Store, tmp_path: Path) -> None:
    bow_tie = Polygon([(110.40, -7.00), (110.41, -6.99), (110.41, -7.00), (110.40, -6.99)])
    frame = gpd.GeoDataFrame(
        {"kode": ["33.74.01.1001"], "nama": ["Kelurahan Satu"], "penduduk": [3000]},
        geometry=[bow_tie],
        crs=4326,
    )
    frame.to_file(tmp_path / "bow.geojson")
    result = import_regions(store, tmp_path / "bow.geojson", "village")
    (warning,) = [i for i in result.report.warnings if i.column == "geometry"]
    assert warning.row == 1 and "Self-intersection" in warning.message
    got = store.geometries("village", display=False).geometry.iloc[0]
    assert got.is_valid and got.geom_type == "MultiPolygon"
    assert got.area == pytest.approx(0.01 * 0.01 / 2)


def test_geometry_with_z_is_flattened(store: Store, tmp_path: Path) -> None:
    frame = villages()
    frame = frame.set_geometry(shapely.force_3d(frame.geometry.values, 25.0), crs=4326)
    frame.to_file(tmp_path / "z.geojson")
    import_regions(store, tmp_path / "z.geojson", "village")
    stored = store.geometries("village", display=False).geometry
    assert not stored.has_z.any()
    assert_villages_stored(store, tolerance=1e-9)


def test_ocha_p_codes(store: Store, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "ADM2_PCODE": ["ID3374", "ID3301"],
            "ADM2_EN": ["Kota Semarang", "Cilacap"],
            "ADM1_PCODE": ["ID33", "ID33"],
            "ADM1_EN": ["Jawa Tengah", "Jawa Tengah"],
        },
        geometry=[SEMARANG, CILACAP],
        crs=4326,
    )
    frame.to_file(tmp_path / "idn_adm2.geojson")
    result = import_regions(store, tmp_path / "idn_adm2.geojson", "regency")
    assert result.report.facts["fields"] == {
        "code": "ADM2_PCODE",
        "name": "ADM2_EN",
        "parent": "ADM1_PCODE",
    }
    stored = store.regions("regency")
    assert list(stored["code"]) == ["33.01", "33.74"]
    assert list(stored["name"]) == ["Cilacap", "Kota Semarang"]
    assert list(stored["parent"]) == ["33", "33"]
    # the stored population of Kota Semarang is kept: the file has none
    assert stored["population"].tolist()[1] == 100_000

    districts = gpd.GeoDataFrame(
        {"ADM3_PCODE": ["ID3374010"], "ADM3_EN": ["Semarang Tengah"], "ADM2_PCODE": ["ID3374"]},
        geometry=[DISTRICT_1],
        crs=4326,
    )
    districts.to_file(tmp_path / "idn_adm3.geojson")
    message = rejected(store, tmp_path / "idn_adm3.geojson", "district")
    assert "row 1, column 'ADM3_PCODE'" in message and "BPS numbering" in message


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("ID33", "33"),
        ("ID3374", "33.74"),
        ("id3374", "33.74"),
        ("ID3374011001", "33.74.01.1001"),
        ("3374", "33.74"),
        (3374.0, "33.74"),
    ],
)
def test_parse_code(cell, code) -> None:
    assert parse_code(cell) == code


@pytest.mark.parametrize("cell", ["ID3374010", "ID3374010001", "IDX", "ID", "kode"])
def test_parse_code_refuses(cell) -> None:
    with pytest.raises(CodeError):
        parse_code(cell)


# --- re-importing ------------------------------------------------------------------------------


def test_reimport_changes_regions_in_place(store: Store, tmp_path: Path) -> None:
    villages().to_file(tmp_path / "v1.geojson")
    import_regions(store, tmp_path / "v1.geojson", "village")
    v2 = villages()
    v2.loc[1, "nama"] = "Kelurahan Dua Baru"
    v2.loc[2, "penduduk"] = 2600
    v2.to_file(tmp_path / "v2.geojson")
    result = import_regions(store, tmp_path / "v2.geojson", "village")
    assert result.changed == 2
    stored = store.regions("village")
    assert len(stored) == 3
    assert stored["name"].tolist()[1] == "Kelurahan Dua Baru"
    assert stored["population"].tolist()[2] == 2600

    # the first file again puts things back: it is not a duplicate any more
    result = import_regions(store, tmp_path / "v1.geojson", "village")
    assert result.duplicate_of is None and result.changed == 2
    assert_villages_stored(store, tolerance=1e-9)


def test_same_file_twice_writes_nothing(store: Store, tmp_path: Path) -> None:
    villages().to_file(tmp_path / "desa.geojson")
    first = import_regions(store, tmp_path / "desa.geojson", "village")
    before = snapshot(store)
    again = import_regions(store, (tmp_path / "desa.geojson").read_bytes(), "village")
    assert again.duplicate_of == first.upload_id and again.upload_id is None
    assert "already imported" in again.summary()
    assert_unchanged(store, before)
    # after another upload the same file is read again, and still changes nothing
    with store.transaction() as conn:
        store.record_upload(conn, "counts", "x.csv", None, "pytest", 0, 0)
    before = snapshot(store)
    again = import_regions(store, tmp_path / "desa.geojson", "village")
    assert again.duplicate_of == first.upload_id
    assert_unchanged(store, before)


def test_csv_update_keeps_boundaries_and_populations(store: Store, tmp_path: Path) -> None:
    villages().to_file(tmp_path / "desa.geojson")
    import_regions(store, tmp_path / "desa.geojson", "village")
    csv = "kode,nama\n33.74.01.1001,Kelurahan Satu Baru\n"
    result = import_regions(store, csv.encode(), "village", filename="nama.csv")
    assert result.changed == 1
    assert any("no population field" in i.message for i in result.report.warnings)
    stored = store.regions("village").set_index("code")
    assert stored.loc["33.74.01.1001", "name"] == "Kelurahan Satu Baru"
    assert stored.loc["33.74.01.1001", "population"] == 3000
    geom = store.geometries("village", display=False).set_index("code").geometry
    assert shapely.equals_exact(geom["33.74.01.1001"], VILLAGES[0][3], tolerance=1e-12)


def test_population_larger_than_the_parent_warns(store: Store, tmp_path: Path) -> None:
    villages(kode=[v[0] for v in VILLAGES], nama=[v[1] for v in VILLAGES],
             penduduk=[3000, 40_000, 2500]).to_file(tmp_path / "desa.geojson")  # fmt: skip
    result = import_regions(store, tmp_path / "desa.geojson", "village")
    (warning,) = [i for i in result.report.warnings if "larger" in i.message]
    assert warning.row == 2 and warning.column == "penduduk"
    assert "33.74.01 (10,000)" in warning.message


def test_region_outside_its_parent_warns(store: Store, tmp_path: Path) -> None:
    frame = villages()
    frame.loc[2, "kode"] = "33.74.02.2001"  # drawn inside district 1
    frame.to_file(tmp_path / "desa.geojson")
    result = import_regions(store, tmp_path / "desa.geojson", "village")
    (warning,) = [i for i in result.report.warnings if "outside" in i.message]
    assert warning.row == 3 and "33.74.02" in warning.message


def test_read_regions_without_a_store() -> None:
    csv = b"kode,nama,penduduk\n33.74.01.1001,Satu,10\n"
    regions = _base().drop(columns="geometry")
    frame, report = read_regions(csv, "village", pd.DataFrame(regions))
    assert isinstance(report, Report) and not report.has_errors
    assert not isinstance(frame, gpd.GeoDataFrame)
    assert frame.to_dict("records") == [
        {
            "code": "33.74.01.1001",
            "name": "Satu",
            "level": "village",
            "parent": "33.74.01",
            "population": 10.0,
        }
    ]
    assert frame.index.tolist() == [2]  # spreadsheet row


# --- bad input: the message says what and where, and nothing is written ------------------------


def test_unknown_field(store: Store, tmp_path: Path) -> None:
    villages().to_file(tmp_path / "desa.geojson")
    message = rejected(store, tmp_path / "desa.geojson", code_field="KODE_X")
    assert message.startswith("option --code-field: the file has no field 'KODE_X'")
    assert "'kode', 'nama', 'penduduk'" in message


def test_fields_that_cannot_be_found(store: Store, tmp_path: Path) -> None:
    villages(id=[1, 2, 3], label=["a", "b", "c"]).to_file(tmp_path / "a.geojson")
    message = rejected(store, tmp_path / "a.geojson")
    assert "cannot find the code field" in message and "--code-field" in message
    assert "'id', 'label'" in message
    message = rejected(store, tmp_path / "a.geojson", code_field="id")
    assert "cannot find the name field" in message and "--name-field" in message


def test_a_missing_parent_is_made_from_the_code_and_filled_in_later(
    store: Store, tmp_path: Path
) -> None:
    frame = villages()
    frame.loc[1, "kode"] = "33.74.09.1002"
    frame.to_file(tmp_path / "desa.geojson")
    result = import_regions(store, tmp_path / "desa.geojson", "village")
    assert result.changed == 4  # three villages and the district they name
    assert result.report.facts["ancestors"] == {"provinces": [], "placeholders": {"district": 1}}
    assert any("1 district without a file yet (33.74.09)" in line for line in result.report.read)
    placeholder = store.regions("district").set_index("code").loc["33.74.09"]
    assert (placeholder["name"], placeholder["parent"]) == ("33.74.09", "33.74")
    assert np.isnan(placeholder["population"])
    # the district's own file fills it in
    import_regions(store, b"kode,nama,penduduk\n33.74.09,Kecamatan Sembilan,900\n", "district")
    filled = store.regions("district").set_index("code").loc["33.74.09"]
    assert (filled["name"], filled["population"]) == ("Kecamatan Sembilan", 900)


def test_an_empty_store_takes_a_regency_boundary_file_with_no_other_step(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "fresh.db"))
    regencies = gpd.GeoDataFrame(
        {"kode": ["3374", "3322"], "nama": ["Kota Semarang", "Kabupaten Semarang"],
         "penduduk": [1_653_524, 1_053_094]},
        geometry=[SEMARANG, CILACAP], crs="EPSG:4326",
    )  # fmt: skip
    regencies.to_file(tmp_path / "kabkota.geojson")
    result = import_regions(store, tmp_path / "kabkota.geojson", "regency")
    assert result.changed == 3
    assert any("province 33 Jawa Tengah (built in)" in line for line in result.report.read)
    province = store.regions("province")
    assert province[["code", "name", "parent"]].values.tolist() == [["33", "Jawa Tengah", None]]
    assert store.regions("regency")["parent"].tolist() == ["33", "33"]
    # a village file under them makes its district, which is no file's yet
    result = import_regions(store, b"kode,nama\n33.74.01.1001,Kelurahan Satu\n", "village")
    assert result.report.facts["ancestors"] == {"provinces": [], "placeholders": {"district": 1}}
    assert store.levels() == ["province", "regency", "district", "village"]


def test_a_province_that_is_not_one_of_the_38_is_refused(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "fresh.db"))
    message = rejected(store, b"kode,nama\n99.01,Kabupaten Entah\n", "regency")
    assert message.startswith("row 2, column 'kode': 99.01 lies in province 99, which is not")
    assert store.regions().empty


def test_an_rt_list_makes_its_rw(store: Store) -> None:
    import_regions(store, b"kode,nama\n33.74.01.1001,Satu\n", "village")
    result = import_regions(store, b"kode,nama\n33.74.01.1001.001.001,RT 1\n", "rt")
    assert result.report.facts["ancestors"]["placeholders"] == {"rw": 1}
    assert store.regions("rw")["code"].tolist() == ["33.74.01.1001.001"]


def test_parent_field_that_contradicts_the_code(store: Store) -> None:
    csv = b"kode,nama,kode_induk\n33.74.01.1001,Satu,33.74.02\n"
    message = rejected(store, csv)
    assert message.startswith("row 2, column 'kode_induk': the parent 33.74.02 does not contain")


def test_duplicated_code(store: Store, tmp_path: Path) -> None:
    frame = villages()
    frame.loc[2, "kode"] = "3374011001"
    frame.to_file(tmp_path / "desa.geojson")
    message = rejected(store, tmp_path / "desa.geojson")
    assert message.startswith("row 3, column 'kode': the code 33.74.01.1001 appears more than once")
    assert "(rows 1, 3)" in message


def test_codes_of_another_level(store: Store, tmp_path: Path) -> None:
    districts = gpd.GeoDataFrame(
        {"kode": ["33.74.01", "33.74.02"], "nama": ["Satu", "Dua"]},
        geometry=[DISTRICT_1, DISTRICT_2],
        crs=4326,
    )
    districts.to_file(tmp_path / "kec.geojson")
    message = rejected(store, tmp_path / "kec.geojson", "village")
    assert "the codes are district codes" in message and "--level district" in message
    mixed = villages()
    mixed.loc[1, "kode"] = "33.74.01"
    mixed.to_file(tmp_path / "mixed.geojson")
    message = rejected(store, tmp_path / "mixed.geojson")
    assert message.startswith("row 2, column 'kode': 33.74.01 is a district code, not a village")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ("kode,nama\nabc,Satu\n", "row 2, column 'kode': not a region code: 'abc'"),
        ("kode,nama\n,Satu\n", "row 2, column 'kode': the code is empty"),
        ("kode,nama\n33.74.01.1001,\n", "row 2, column 'nama': the name is empty"),
        ("kode,nama,penduduk\n33.74.01.1001,A,banyak\n", "'banyak' is not a number"),
        ("kode,nama,penduduk\n33.74.01.1001,A,-5\n", "the population -5 is negative"),
        ("kode,nama,penduduk\n33.74.01.1001,A,12.5\n", "12.5 is not a whole number"),
    ],
)
def test_bad_cells(store: Store, cells: str, expected: str) -> None:
    assert expected in rejected(store, cells.encode(), filename="desa.csv")


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (Point(110.405, -6.995), "row 1, column 'geometry': the geometry is a Point, not an area"),
        (None, "row 1, column 'geometry': the feature has no geometry"),
    ],
)
def test_bad_geometry(store: Store, tmp_path: Path, geometry, expected: str) -> None:
    frame = gpd.GeoDataFrame(
        {"kode": ["33.74.01.1001"], "nama": ["Satu"]}, geometry=[geometry], crs=4326
    )
    frame.to_file(tmp_path / "bad.geojson")
    assert rejected(store, tmp_path / "bad.geojson").startswith(expected)


def test_projected_coordinates_in_geojson(store: Store) -> None:
    feature = {
        "type": "Feature",
        "properties": {"kode": "33.74.01.1001", "nama": "Satu"},
        "geometry": shapely.geometry.mapping(villages().to_crs(32749).geometry.iloc[0]),
    }
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    assert "not longitude/latitude" in rejected(store, data, filename="utm.geojson")


def test_unreadable_files(store: Store, tmp_path: Path) -> None:
    assert "no such file" in rejected(store, tmp_path / "nowhere.geojson")
    assert "is a folder" in rejected(store, tmp_path)
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [')
    assert "cannot read the file as GeoJSON" in rejected(store, tmp_path / "broken.geojson")
    assert str(tmp_path) not in rejected(store, tmp_path / "broken.geojson")
    assert "not a readable zip" in rejected(store, b"PK\x03\x04" + b"\x00" * 100)
    fake = b"SQLite format 3\x00" + b"\x01" * 200
    assert "cannot read the file as GeoPackage" in rejected(store, fake)
    assert "unknown level 'desa'" in rejected(store, b"kode,nama\n1,2\n", "desa")


def test_zip_without_shapefile(store: Store, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batas/readme.txt", "peta desa")
    message = rejected(store, buffer.getvalue(), filename="batas.zip")
    assert "the zip has no .shp file (it holds: batas/readme.txt)" in message
    data = _shapefile_zip(villages(), tmp_path, skip=(".dbf",))
    assert "has desa.shp but no .dbf file" in rejected(store, data, filename="batas.zip")


def test_zip_with_several_shapefiles(store: Store, tmp_path: Path) -> None:
    one = zipfile.ZipFile(io.BytesIO(_shapefile_zip(villages(), tmp_path, "desa")))
    two = zipfile.ZipFile(io.BytesIO(_shapefile_zip(villages(), tmp_path, "kelurahan")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for source in (one, two):
            for name in source.namelist():
                archive.writestr(name, source.read(name))
    data = buffer.getvalue()
    message = rejected(store, data, filename="batas.zip")
    assert "several Shapefiles: desa, kelurahan" in message and "--layer" in message
    import_regions(store, data, "village", layer="kelurahan", filename="batas.zip")
    assert_villages_stored(store, tolerance=1e-9)


def test_empty_files(store: Store, tmp_path: Path) -> None:
    assert "the file is empty" in rejected(store, b"", filename="desa.geojson")
    assert "the file is empty" in rejected(store, b"  \n", filename="desa.csv")
    empty = b'{"type": "FeatureCollection", "features": []}'
    assert "the file has no features" in rejected(store, empty, filename="desa.geojson")
    villages().iloc[:0].to_file(tmp_path / "empty.gpkg", layer="desa")
    assert "the file has no features" in rejected(store, tmp_path / "empty.gpkg")
    rejected(store, b"kode,nama\n", filename="desa.csv")  # a header without rows


def test_region_list_saved_as_unicode_text(store: Store) -> None:
    data = "kode\tnama\tpenduduk\n33.74.01.1001\tKelurahan Satu\t3.000\n".encode("utf-16")
    result = import_regions(store, data, "village", filename="desa.txt")
    assert result.changed == 1
    stored = store.regions("village").set_index("code")
    assert stored.loc["33.74.01.1001", ["name", "population"]].tolist() == ["Kelurahan Satu", 3000]


def test_binary_garbage(store: Store, tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 4
    message = rejected(store, garbage, filename="desa.bin")
    assert "cannot read this file: expected GeoJSON, a GeoPackage, a zipped Shapefile or CSV" in (
        message
    )
    assert "Shapefile is several files" in rejected(store, garbage, filename="desa.shp")
    assert "not a GeoPackage" in rejected(store, b"kode,nama\n", filename="desa.gpkg")


_SQLITE = b"SQLite format 3\x00"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=400).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=400).map(lambda b: _SQLITE + b),
        st.binary(max_size=400).map(lambda b: b'{"type": "FeatureCollection"' + b),
        st.text(max_size=200).map(lambda t: ("kode,nama,penduduk\n" + t).encode()),
    ),
    filename=st.sampled_from([None, "desa.csv", "desa.geojson", "desa.zip", "desa.gpkg"]),
    level=st.sampled_from(["village", "rw"]),
)
def test_any_bytes_give_a_report_or_an_input_error(data: bytes, filename, level) -> None:
    regions = _base()
    try:
        frame, report = read_regions(data, level, regions, filename=filename)
    except InputError:
        return
    assert isinstance(report, Report)
    assert len(frame) >= 1


_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["33.74.01.1001", "3374011002", "ID3374011001", "33.74.09.1001", "7", ""]),
    st.lists(st.integers(), max_size=2),
)
_XY = st.tuples(st.floats(109, 112), st.floats(-8, -6)) | st.tuples(st.floats(), st.floats())


@st.composite
def _feature(draw) -> dict:
    ring = draw(st.lists(_XY, min_size=0, max_size=6))
    kind = draw(st.sampled_from(["Polygon", "Point", "null"]))
    if kind == "Polygon":
        geometry = {"type": "Polygon", "coordinates": [[*map(list, ring), *map(list, ring[:1])]]}
    elif kind == "Point" and ring:
        geometry = {"type": "Point", "coordinates": list(ring[0])}
    else:
        geometry = None
    props = {"kode": draw(_CELL), "nama": draw(_CELL), "penduduk": draw(_CELL)}
    return {"type": "Feature", "properties": props, "geometry": geometry}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    features=st.lists(_feature(), min_size=0, max_size=4), level=st.sampled_from(["village", "rw"])
)
def test_any_geojson_features_give_a_report_or_an_input_error(features, level) -> None:
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    try:
        frame, report = read_regions(data, level, _base(), filename="desa.geojson")
    except InputError:
        return
    assert isinstance(report, Report) and len(frame) == len(features)
    if not report.has_errors:
        assert frame["code"].notna().all() and frame.geometry.is_valid.all()


# --- size ----------------------------------------------------------------------------------------


def _province_of_villages(nx: int = 100, ny: int = 85, cell: float = 0.005):
    """``nx * ny`` square villages of 101 vertices, 25 to a district, 34 districts a regency."""
    i, j = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij"))
    x, y = 109.5 + i * cell, -7.6 + j * cell
    geoms = shapely.segmentize(shapely.box(x, y, x + cell, y + cell), cell / 25)
    di, dj = i // 5, j // 5
    district = [
        f"33.{a // 2 + 1:02d}.{(a % 2) * 17 + b + 1:02d}" for a, b in zip(di, dj, strict=True)
    ]
    number = (i % 5) * 5 + (j % 5) + 2001
    frame = gpd.GeoDataFrame(
        {
            "kode": [f"{d}.{n}" for d, n in zip(district, number, strict=True)],
            "nama": [f"Desa {k}" for k in range(len(geoms))],
            "penduduk": 1000 + number % 97,
        },
        geometry=geoms,
        crs=4326,
    )
    frame["district"] = district
    districts = frame.dissolve("district").reset_index()
    rows = [("33", "Jawa Tengah", "province", None, np.nan, box(109, -8, 111, -6))]
    for code, part in districts.groupby(districts["district"].str[:5]):
        rows.append(
            (code, f"Kab {code}", "regency", "33", np.nan, shapely.union_all(part.geometry))
        )
    rows += [(d, f"Kec {d}", "district", d[:5], np.nan, g)
             for d, g in zip(districts["district"], districts.geometry, strict=True)]  # fmt: skip
    cols = ["code", "name", "level", "parent", "population", "geometry"]
    above = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=4326)
    return frame.drop(columns="district"), above


@pytest.mark.slow
def test_import_8500_villages(tmp_path: Path) -> None:
    frame, above = _province_of_villages()
    assert len(frame) == 8500
    store = Store(str(tmp_path / "big.db"))
    with store.transaction() as conn:
        store.write_regions(conn, above, store.record_upload(conn, "t", "t", None, "t", 0, 0))
    path = tmp_path / "desa.gpkg"
    frame.to_crs("EPSG:32749").to_file(path, layer="desa")
    result = import_regions(store, path, "village")  # its speed: bench/intake.py
    assert result.changed == 8500 and not result.report.has_errors
    assert len(store.regions("village")) == 8500


# --- fuzzing: region lists written every way, then damaged -------------------------------------

_REGION_BAD = st.one_of(
    st.sampled_from(
        ["", "-", "33", "33.74", "33.74.01", "33.74.03.1001", "33.74.01.1001.001", "ID3374010",
         "ID3374014001", "3374O11001", "٣٣٧٤٠١١٠٠١", "1e400", "9" * 400, "-5", "12.5", "1.234,5",
         "NaN", "inf", "🙂", "=1+1", '"', "x" * 300]
    ),
    st.text(max_size=8),
)  # fmt: skip


@st.composite
def _damaged_region_list(draw):
    """``(bytes, expected {code: (name, population)}, mutation)``: a CSV list of villages."""
    numbers = draw(st.lists(st.integers(1001, 1030), min_size=1, max_size=6, unique=True))
    expected, rows = {}, []
    for n in numbers:
        district = draw(st.sampled_from(["33.74.01", "33.74.02"]))
        code = f"{district}.{n}"
        name = draw(st.sampled_from(["Kelurahan ", "Desa ", "KEL. "])) + draw(
            st.text(alphabet="abcdefghij éô'-", min_size=1, max_size=10).filter(str.strip)
        )
        population = draw(st.one_of(st.none(), st.integers(0, 9999)))
        cell = "" if population is None else draw(st.sampled_from(
            [str(population), f"{population:,}".replace(",", "."), f"{population}.0"]))  # fmt: skip
        written = draw(st.sampled_from([code, code.replace(".", ""), f"ID{code.replace('.', '')}"]))
        rows.append([written, name, cell])
        expected[code] = (" ".join(name.split()), population)
    header = [draw(st.sampled_from(["kode", "KODE_DESA", "code"])),
              draw(st.sampled_from(["nama", "Nama_Desa", "name"])),
              draw(st.sampled_from(["penduduk", "jumlah_penduduk", "population"]))]  # fmt: skip
    grid = [header, *rows]
    mutation = draw(st.sampled_from(["none", "none", "cell", "cell", "drop", "duplicate", "cut"]))
    if mutation == "cell":
        grid[draw(st.integers(1, len(grid) - 1))][draw(st.integers(0, 2))] = draw(_REGION_BAD)
    elif mutation == "drop":
        k = draw(st.integers(0, 2))
        grid = [r[:k] + r[k + 1 :] for r in grid]
    elif mutation == "duplicate":
        grid.append(list(grid[draw(st.integers(1, len(grid) - 1))]))
    out = io.StringIO()
    csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"]))).writerows(grid)
    data = out.getvalue().encode(draw(st.sampled_from(["utf-8", "cp1252", "utf-16"])), "replace")
    if mutation == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    return data, expected, mutation


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite file of the province, Kota Semarang and two of its districts."""
    path = tmp_path_factory.mktemp("template") / "java.db"
    s = Store(str(path))
    with s.transaction() as conn:
        s.write_regions(conn, _base(), s.record_upload(conn, "test", "base", None, "t", 4, 4))
    s.engine.dispose()
    return path


@fuzz(20)
@given(case=_damaged_region_list())
# found by this test: a list saved as UTF-16 ("Unicode text") was refused as a binary file
@example(
    case=(
        "kode,nama,penduduk\r\n33.74.01.1001,Kelurahan a,\r\n".encode("utf-16"),
        {"33.74.01.1001": ("Kelurahan a", None)},
        "none",
    )
)
def test_fuzz_region_lists_import_right_or_write_nothing(template_db, tmp_path_factory, case):
    data, expected, mutation = case
    path = tmp_path_factory.mktemp("fuzz") / "store.db"
    shutil.copy(template_db, path)
    store = Store(str(path))
    try:
        before = snapshot(store)
        try:
            result = import_regions(store, data, "village", filename="desa.csv")
        except InputError as exc:  # UploadRejected, or a file that cannot be used at all
            assert mutation != "none", str(exc)
            assert str(exc)
            assert_unchanged(store, before)
            return
        assert mutation != "duplicate", "a code twice was accepted"
        assert store.data_version() == before[2] + 1
        stored = store.regions("village").set_index("code")
        assert len(stored) == result.rows
        if mutation == "none":
            assert sorted(stored.index) == sorted(expected)
            for code, (name, population) in expected.items():
                assert stored.loc[code, "name"] == name
                assert stored.loc[code, "parent"] == code[:8]
                got = stored.loc[code, "population"]
                assert got == population or (population is None and pd.isna(got))
        assert (stored["population"].dropna() >= 0).all()
    finally:
        store.engine.dispose()
