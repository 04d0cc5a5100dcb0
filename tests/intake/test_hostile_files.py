"""Boundary files that try to break the upload: zip bombs, damaged zips, deep GeoJSON.

Memory is bounded by construction, and the tests check the construction: a refused zip is
refused from its directory before a single member is opened, a member is never unzipped
past its declared size, and deep JSON never reaches the GIS reader.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path

import pyogrio
import pytest
from conftest import fuzz, open_page, sign_in, tiny_regions
from hypothesis import given
from hypothesis import strategies as st

from zoning.core.errors import InputError
from zoning.intake import boundaries, filecheck, uploads
from zoning.store import Store

LIMITS = filecheck.Limits(unzipped_bytes=512 * 2**20, ratio=100, json_depth=32)


@pytest.fixture(autouse=True)
def _fresh_reads():
    boundaries._READS.clear()
    yield
    boundaries._READS.clear()


def bomb(declared_mib: int = 1000) -> bytes:
    """A zip of about 1 MB whose desa.shp declares ``declared_mib`` MiB (zeros compress)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in (".shx", ".dbf", ".prj"):
            archive.writestr(f"desa{ext}", b"x" * 100)
        info = zipfile.ZipInfo("desa.shp")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            zeros = b"\0" * 2**20
            for _ in range(declared_mib):
                member.write(zeros)
    return buffer.getvalue()


def shapefile_zip(tmp_path: Path) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = tiny_regions().query("level == 'district'")[["code", "name", "geometry"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.rename(columns={"code": "kode", "name": "nama"}).to_file(folder / "kec.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return buffer.getvalue()


def _never(*args, **kwargs):
    raise AssertionError("this must not be reached")


def test_a_zip_bomb_is_refused_from_its_directory_before_unzipping(monkeypatch):
    data = bomb(1000)
    assert len(data) < 1.5 * 2**20  # about 1 MB declaring 1000 MiB
    monkeypatch.setattr(zipfile.ZipFile, "open", _never)  # nothing may be unzipped
    monkeypatch.setattr(pyogrio, "read_dataframe", _never)
    with pytest.raises(InputError) as refused:
        boundaries.read_regions(data, "district", tiny_regions(), filename="desa.zip")
    message = str(refused.value)
    assert "1,000.0 MB" in message and "desa.shp" in message
    assert filecheck.UNZIPPED_ENV in message


def test_a_small_bomb_under_the_size_limit_is_refused_by_its_ratio(monkeypatch):
    data = bomb(20)
    monkeypatch.setattr(zipfile.ZipFile, "open", _never)
    with pytest.raises(InputError, match="times its size") as refused:
        boundaries.read_regions(data, "district", tiny_regions(), filename="desa.zip")
    assert filecheck.RATIO_ENV in str(refused.value)


def test_the_limits_are_settings(monkeypatch):
    monkeypatch.setenv(filecheck.UNZIPPED_ENV, "10")
    monkeypatch.setenv(filecheck.RATIO_ENV, "not a number")  # malformed: the default
    assert filecheck.Limits.from_env() == filecheck.Limits(10 * 2**20, 100, 32)
    with pytest.raises(InputError, match=r"at most 10\.0 MB"):
        boundaries.read_regions(bomb(20), "district", tiny_regions(), filename="desa.zip")


def test_a_member_is_never_unzipped_past_its_declared_size(tmp_path: Path):
    """A directory that understates a member's size cannot make extract write more."""
    archive = zipfile.ZipFile(io.BytesIO(bomb(5)))
    member = archive.getinfo("desa.shp")
    member.file_size = 4096  # the directory lies: 5 MiB is really inside
    target = tmp_path / "desa.shp"
    with pytest.raises(InputError, match=r"damaged|larger than it declares"):
        filecheck.extract(archive, member, target)
    assert target.stat().st_size <= 4096


def test_a_damaged_zip_gives_a_clear_message(tmp_path: Path):
    data = bytearray(shapefile_zip(tmp_path))
    start = data.index(b"kec.shp") + 40  # inside the first bytes of the .shp's data
    data[start : start + 20] = bytes(20)
    with pytest.raises(InputError, match=r"the zip archive is damaged; cannot unzip kec\.shp"):
        boundaries.read_regions(bytes(data), "district", tiny_regions(), filename="kec.zip")
    with pytest.raises(InputError, match="not a readable zip archive"):
        boundaries.read_regions(b"PK\x03\x04" + os.urandom(200), "district", tiny_regions())


def test_a_bad_shapefile_gives_a_clear_message():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            archive.writestr(f"desa{ext}", b"not a shapefile " * 20)
    with pytest.raises(InputError, match="cannot read the file as Shapefile"):
        boundaries.read_regions(buffer.getvalue(), "district", tiny_regions(), filename="d.zip")


def _deep(depth: int) -> bytes:
    nested = "[" * depth + "]" * depth
    feature = {"type": "Feature", "properties": {"kode": "33.01.01", "nama": "A"},
               "geometry": {"type": "Point", "coordinates": [0, 0]}}  # fmt: skip
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    return text.replace('"nama": "A"', f'"nama": "A", "x": {nested}').encode()


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_geojson_is_refused_before_the_reader(monkeypatch, depth: int):
    monkeypatch.setattr(pyogrio, "read_dataframe", _never)
    with pytest.raises(InputError, match=r"levels deep.*ZONING_MAX_JSON_DEPTH"):
        boundaries.read_regions(_deep(depth), "district", tiny_regions(), filename="d.geojson")


def test_json_depth_ignores_brackets_inside_strings():
    text = b'{"a": "]]]]]]]]]]", "b": [[[{"c": "[[[[\\"[["}]]]}'
    assert filecheck.json_depth(text) == 5
    hidden = b'{"n": "]]]]]]", "x": ' + b"[" * 50 + b"]" * 50 + b"}"
    assert filecheck.json_depth(hidden) == 51  # closing brackets in a string hide nothing


def test_each_file_is_read_once_across_reruns_and_the_commit(tiny_store: Store, tmp_path: Path):
    data = shapefile_zip(tmp_path)
    options = uploads.Options("regions", level="district")
    reads = boundaries._READS.reads
    for _ in range(3):  # three reruns of the page
        found = uploads.preview(tiny_store, data, "kec.zip", options)
        assert not found.report.has_errors, found.report.issues
    result = uploads.commit(tiny_store, data, "kec.zip", options, "pytest")
    assert result.rows == 2
    assert boundaries._READS.reads - reads == 1


def test_a_refused_file_is_not_read_again_either(monkeypatch):
    data, reads = _deep(100), boundaries._READS.reads
    for _ in range(3):
        with pytest.raises(InputError, match="levels deep"):
            boundaries.read_regions(data, "district", tiny_regions(), filename="d.geojson")
    assert boundaries._READS.reads - reads == 1


def test_an_unexpected_reader_failure_is_a_message(monkeypatch, tmp_path: Path):
    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded 3315061507850018")

    monkeypatch.setattr(boundaries, "_geometry", broken)
    with pytest.raises(InputError, match=r"cannot read the file \(RecursionError\)") as refused:
        boundaries.read_regions(shapefile_zip(tmp_path), "district", tiny_regions())
    assert "3315061507850018" not in str(refused.value)


# --- the page --------------------------------------------------------------------------------


@pytest.fixture
def page_store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("desa.zip", bomb(1000), "1,000.0 MB"),
        ("rusak.zip", b"PK\x03\x04" + bytes(300), "not a readable zip archive"),
        ("dalam.geojson", _deep(100), "levels deep"),
    ],
    ids=["bomb", "corrupt", "deep"],
)
def test_the_upload_page_says_what_is_wrong_without_a_traceback(
    page_store: Store, analyst_password: str, name: str, data: bytes, said: str
):
    at = sign_in(open_page("upload", lang="en"), "Bu Sari", analyst_password, "upload")
    at.radio(key="upload_kind").set_value("regions").run()
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception
    assert at.error and "This file cannot be used" in at.error[0].value
    assert said in at.error[0].value.replace("\\", "")  # markdown escapes aside
    assert not any(b.label == "Save to the database" for b in at.button)


def _reference_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


_TRICKY = st.text(alphabet='ab[]{}"\\', max_size=8)
_JSON = st.recursive(
    st.none() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=20,
)


@fuzz(300)
@given(_JSON)
def test_fuzz_json_depth_agrees_with_a_character_by_character_reading(value):
    text = json.dumps(value)
    assert filecheck.json_depth(text.encode()) == _reference_depth(text)


def test_a_zip_listing_too_many_files_is_refused_before_its_directory_is_read(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for k in range(filecheck.MAX_MEMBERS + 1):
            archive.writestr(f"f{k}", b"")
    data = buffer.getvalue()
    monkeypatch.setattr(zipfile, "ZipFile", _never)
    with pytest.raises(InputError, match=r"lists about 1,001 files"):
        boundaries.read_regions(data, "district", tiny_regions(), filename="many.zip")
