"""The upload envelope: one sequence, one duplicate rule and one transaction for every kind.

Each test runs the same sequence on a counts file, a line list and a region list, through
:func:`zoning.intake.envelope.import_file` with the kind's :class:`~zoning.intake.envelope.Kind`.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from zoning.intake import envelope, uploads
from zoning.intake.boundaries import Boundaries
from zoning.intake.counts import Counts
from zoning.intake.linelist import LineList
from zoning.intake.report import UploadRejected
from zoning.store import Store

ROOT = Path(__file__).resolve().parents[2]
A1, A2, B1 = "33.01.01.2001", "33.01.01.2002", "33.02.01.1001"
RT = f"{B1}.001.002"
REGION_COLUMNS = ["code", "name", "level", "parent", "population"]


pytestmark = pytest.mark.usefixtures("private_key_file")


def nik(serial: int) -> str:
    return f"33010101019{serial:05d}"


#: A line list: one person on 1 June and 31 July (one episode: 60 days apart), and the same
#: person reported late on 22 April, which starts the episode then. 31 July is then 100 days
#: after the start, a new episode: every date is kept, so the late report alone knows it, and
#: the first file again has nothing to add (a register only adds rows).
LINES = "nik,tanggal_konfirmasi,kode_desa\n"
LINES_A = f"{LINES}{nik(7)},2021-06-01,{A1}\n{nik(7)},2021-07-31,{A1}\n".encode()
LINES_B = f"{LINES}{nik(7)},2021-04-22,{A1}\n".encode()

#: For each kind: the kind, a first file, and a second file that changes what the first wrote.
FILES = {
    "counts": (
        lambda: Counts(),
        f"tanggal,kode,kasus_baru\n2021-07-05,{A1},4\n2021-07-06,{A1},6\n".encode(),
        f"tanggal,kode,kasus_baru\n2021-07-05,{A1},9\n".encode(),
    ),
    "linelist": (lambda: LineList(), LINES_A, LINES_B),
    "regions": (
        lambda: Boundaries("village"),
        f"kode,nama,penduduk\n{A1},Desa Satu,1000\n".encode(),
        f"kode,nama,penduduk\n{A1},Desa Satu Baru,1000\n".encode(),
    ),
}
KINDS = list(FILES)


def state(store: Store) -> str:
    """Everything an upload may change, the upload records included, as comparable text."""
    frames = (
        store.uploads().drop(columns=["created_at"]),
        store.regions(),
        store.counts(),
        store.case_episodes()[["person_key", "episode_start", "region"]],
    )
    meta = {k: v for k, v in store.meta().items() if k != "last_updated"}
    return "\n".join(f.to_csv(index=False) for f in frames) + json.dumps(meta, sort_keys=True)


def run(store: Store, name: str, data: bytes, **kw):
    kind = FILES[name][0]()
    return envelope.import_file(store, kind, data, filename=f"{name}.csv", **kw)


@pytest.mark.parametrize("name", KINDS)
def test_the_same_file_again_is_a_duplicate_without_reading_it(tiny_store, name, monkeypatch):
    _, first_file, _ = FILES[name]
    first = run(tiny_store, name, first_file)
    assert first.upload_id is not None and first.duplicate_of is None
    before = state(tiny_store)
    kind = type(FILES[name][0]())
    monkeypatch.setattr(kind, "read", lambda *a: pytest.fail("the duplicate was read"))
    again = run(tiny_store, name, first_file)
    assert (again.upload_id, again.duplicate_of, again.changed) == (None, first.upload_id, 0)
    assert "already imported" in again.summary()
    assert state(tiny_store) == before


@pytest.mark.parametrize("name", KINDS)
def test_after_another_upload_the_same_file_is_read_and_still_a_duplicate(tiny_store, name):
    _, first_file, _ = FILES[name]
    first = run(tiny_store, name, first_file)
    with tiny_store.transaction() as conn:  # an upload that changes nothing of the file's
        tiny_store.record_upload(conn, "test", "other.csv", None, "pytest", 0, 0)
    before = state(tiny_store)
    again = run(tiny_store, name, first_file)
    assert (again.upload_id, again.duplicate_of) == (None, first.upload_id)
    assert again.report.facts["duplicate_of"] == first.upload_id
    assert state(tiny_store) == before  # rolled back: no record, no new data version


@pytest.mark.parametrize("name", KINDS)
def test_a_file_that_would_change_something_is_never_a_duplicate(tiny_store, name):
    _, first_file, second_file = FILES[name]
    if name == "linelist":  # a register only adds: the first file changes nothing again...
        first = run(tiny_store, name, first_file)
        second = run(tiny_store, name, second_file)
        facts = second.report.facts  # 22 April, and 31 July 100 days later; 1 June no more
        assert (facts["episodes_new"], facts["episodes_moved_earlier"]) == (2, 1)
        starts = sorted(tiny_store.case_episodes()["episode_start"])
        assert starts == [pd.Timestamp("2021-04-22"), pd.Timestamp("2021-07-31")]
        assert run(tiny_store, name, first_file).duplicate_of == first.upload_id
        # a line list naming an RT the store lacks makes it from its numbers (issue 14), and
        # places the case there: the same file again changes nothing
        first_file = f"{LINES[:-1]},rw,rt\n{nik(8)},2021-06-01,{B1},1,2\n".encode()
        first = run(tiny_store, name, first_file)
        made = tiny_store.regions().set_index("code")
        assert made.loc[RT, "level"] == "rt" and made.loc[f"{B1}.001", "level"] == "rw"
        assert RT in set(tiny_store.case_dates()["region"])
        assert run(tiny_store, name, first_file).duplicate_of == first.upload_id
        return
    else:
        first = run(tiny_store, name, first_file)
        run(tiny_store, name, second_file)
    version = tiny_store.data_version()
    again = run(tiny_store, name, first_file)  # the older file again puts its values back
    assert again.duplicate_of is None and again.upload_id > first.upload_id
    assert tiny_store.data_version() == version + 1
    if name == "counts":
        stored = tiny_store.counts().set_index(["region", "date"])
        assert stored.loc[(A1, pd.Timestamp("2021-07-05")), "new_cases"] == 4
    if name == "regions":
        assert tiny_store.regions().set_index("code").loc[A1, "name"] == "Desa Satu"


@pytest.mark.parametrize("name", KINDS)
def test_the_same_bytes_with_other_options_are_another_upload(tiny_store, name):
    _, first_file, _ = FILES[name]
    first = run(tiny_store, name, first_file)
    other = {
        "counts": Counts(region=A1),  # the file names its region: read the same, other options
        "linelist": LineList(mapping={"kode_desa": "region"}),
        "regions": Boundaries("village", population_field="penduduk"),
    }[name]
    result = envelope.import_file(tiny_store, other, first_file)
    assert result.duplicate_of is None and result.upload_id > first.upload_id


@pytest.mark.parametrize("name", KINDS)
def test_an_identical_upload_committed_meanwhile_is_found_inside_the_transaction(
    tiny_store, name, monkeypatch
):
    """Two identical uploads at once: the second is checked before the first commits, and
    finds it only inside its own transaction; it is rolled back as a duplicate."""
    _, first_file, _ = FILES[name]
    first = run(tiny_store, name, first_file)
    before = state(tiny_store)
    earlier = Store.earlier_upload

    def not_yet(self, kind, sha256, options, conn=None):
        return None if conn is None else earlier(self, kind, sha256, options, conn)

    monkeypatch.setattr(Store, "earlier_upload", not_yet)
    again = run(tiny_store, name, first_file)
    assert (again.upload_id, again.duplicate_of) == (None, first.upload_id)
    assert state(tiny_store) == before


@pytest.mark.parametrize("name", KINDS)
def test_a_failing_write_leaves_nothing_half_written(tiny_store, name, monkeypatch):
    kind = FILES[name][0]()
    wrote = []
    write = type(kind).write

    def write_then_fail(self, store, conn, upload_id, checked):
        wrote.append(write(self, store, conn, upload_id, checked))  # everything written...
        raise RuntimeError("the disk is full")  # ...then the transaction fails

    monkeypatch.setattr(type(kind), "write", write_then_fail)
    before = state(tiny_store)
    with pytest.raises(RuntimeError, match="disk is full"):
        envelope.import_file(tiny_store, kind, FILES[name][1], filename="x.csv")
    assert wrote and wrote[0] > 0  # the kind did write, inside the transaction
    assert state(tiny_store) == before  # no data, no upload record, no new version


@pytest.mark.parametrize("name", KINDS)
def test_who_uploaded_what_is_recorded(tiny_store, name):
    data = FILES[name][1]
    result = run(tiny_store, name, data, author="password:Bu Sari")
    record = tiny_store.uploads().set_index("id").loc[result.upload_id]
    assert record["created_by"] == "password:Bu Sari"
    assert record["kind"] == name and record["filename"] == f"{name}.csv"
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert (record["rows"], record["changed"]) == (result.rows, result.changed)
    assert result.rows > 0 and result.changed > 0
    report = json.loads(record["report"])
    assert report["facts"]["options"] == FILES[name][0]().options()


@pytest.mark.parametrize("name", KINDS)
def test_a_file_that_cannot_be_loaded_is_refused_the_same_way(
    tiny_store, name, tmp_path, monkeypatch
):
    before = state(tiny_store)
    kind = FILES[name][0]()
    with pytest.raises(UploadRejected, match=r"no such file.*nothing was imported"):
        envelope.import_file(tiny_store, kind, tmp_path / "absent.csv")
    monkeypatch.setattr(type(kind), "max_bytes", len(FILES[name][1]) - 1)
    with pytest.raises(UploadRejected, match="larger than"):
        envelope.import_file(tiny_store, kind, FILES[name][1])
    assert state(tiny_store) == before


@pytest.mark.parametrize("name", KINDS)
def test_an_upload_with_errors_writes_nothing(tiny_store, name):
    bad = {
        "counts": b"tanggal,kode,kasus_baru\n2021-07-05,99.99,4\n",
        "linelist": b"nik,tanggal_konfirmasi,kode_desa\n123,2021-07-05,99.99\n",
        "regions": b"kode,nama,penduduk\n33.01.01.2001,,1000\n",
    }[name]
    before = state(tiny_store)
    with pytest.raises(UploadRejected) as info:
        run(tiny_store, name, bad)
    assert info.value.report.has_errors
    assert state(tiny_store) == before


@pytest.mark.parametrize("name", KINDS)
def test_check_reads_as_the_import_does_and_writes_nothing(tiny_store, name):
    before = state(tiny_store)
    checked = envelope.check(tiny_store, FILES[name][0](), FILES[name][1], "x.csv")
    assert not checked.report.has_errors and len(checked.frame) == checked.rows
    assert checked.report.facts["options"] == FILES[name][0]().options()
    assert state(tiny_store) == before


def test_the_page_previews_rw_numbers_placed_by_their_village_boundary(tiny_store, tmp_path):
    """Bug: the page's preview read region files without the stored boundaries, so RWs given
    by number (placed in their village by boundary) were errors in the preview, and the
    page kept its save button disabled, although the import itself accepted them."""
    import geopandas as gpd
    from shapely.geometry import box

    rw = gpd.GeoDataFrame(
        {"rw": [1, 2], "nama": ["RW 1", "RW 2"]},
        geometry=[box(0.1, 0.1, 0.4, 0.9), box(0.6, 0.1, 0.9, 0.9)],  # inside Desa A1
        crs=4326,
    )
    rw.to_file(tmp_path / "rw.geojson")
    data = (tmp_path / "rw.geojson").read_bytes()
    options = uploads.Options("regions", level="rw")
    found = uploads.preview(tiny_store, data, "rw.geojson", options)
    assert not found.report.has_errors, found.report.errors
    assert list(found.rows["code"]) == [f"{A1}.001", f"{A1}.002"]
    result = uploads.commit(tiny_store, data, "rw.geojson", options, "password:Bu Sari")
    assert result.changed == 2


# --- the store boundary -------------------------------------------------------------------------

_STORE_API = {"Store", "StoreError", "Transaction"}


def _imports(path: Path) -> list[tuple[str, str | None]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [(node.module or "", a.name) for a in node.names]
    return out


def _leaks(path: Path) -> list[str]:
    """The imports of a module that reach past the store's methods."""
    found = []
    for module, name in _imports(path):
        if (
            module.split(".")[0] == "sqlalchemy"
            or module.startswith("zoning.store.")
            or (module == "zoning.store" and name not in _STORE_API)
            or (module == "zoning" and name == "store")
        ):
            found.append(f"{module} {name or ''}".strip())
    return found


def test_importers_use_the_store_only_through_its_methods():
    """No module of zoning/intake imports SQLAlchemy or the store's tables: they read and
    write through :class:`~zoning.store.Store`, whose locks and "as of" are methods."""
    paths = sorted((ROOT / "zoning" / "intake").glob("*.py"))
    assert len(paths) > 5
    assert {p.name: _leaks(p) for p in paths if _leaks(p)} == {}


def test_the_boundary_check_sees_each_kind_of_leak(tmp_path):
    leaky = tmp_path / "leaky.py"
    leaky.write_text(
        "import sqlalchemy as sa\nfrom sqlalchemy.engine import Connection\n"
        "from zoning.store import Store, meta_table\nfrom zoning.store.schema import cases\n"
        "from zoning import store\n"
    )
    assert _leaks(leaky) == [
        "sqlalchemy", "sqlalchemy.engine Connection", "zoning.store meta_table",
        "zoning.store.schema cases", "zoning store",
    ]  # fmt: skip


def test_the_store_computes_no_houses_and_keeps_no_window():
    """houses_7d is counted by the line list with the model's window, not by the store."""
    text = "\n".join(p.read_text() for p in (ROOT / "zoning" / "store").glob("*.py"))
    assert "houses_7d" not in text and "WINDOW" not in text


@pytest.mark.parametrize("name", KINDS)
def test_a_nik_in_the_file_name_is_stored_nowhere(tiny_store, name):
    """Bug: the line list's final report (written when the upload finished) kept the file
    name as given, so a NIK in it (``kasus_3315061507850018.csv``) was stored in the upload's
    report although the file name column hid it."""
    kind = FILES[name][0]()
    result = envelope.import_file(
        tiny_store, kind, FILES[name][1], filename="kasus_3315061507850018.csv"
    )
    record = tiny_store.uploads().set_index("id").loc[result.upload_id]
    assert "3315061507850018" not in record["filename"]
    assert "3315061507850018" not in record["report"] and "[number hidden]" in record["report"]


@pytest.mark.parametrize("name", KINDS)
def test_an_import_reads_its_file_with_the_c_librarys_allocator(tiny_store, name, monkeypatch):
    """pyarrow's default allocator costs an import much time in the kernel (see
    zoning.core.memory): every kind reads with the C library's, and the default is back
    after."""
    import pyarrow as pa

    from zoning.core.memory import ARROW_POOL_ENV

    monkeypatch.delenv(ARROW_POOL_ENV, raising=False)
    kind = type(FILES[name][0]())
    seen = []
    read = kind.read

    def spy(self, *args):
        seen.append(pa.default_memory_pool().backend_name)
        return read(self, *args)

    monkeypatch.setattr(kind, "read", spy)
    before = pa.default_memory_pool().backend_name
    assert run(tiny_store, name, FILES[name][1]).upload_id is not None
    assert seen == ["system"] and pa.default_memory_pool().backend_name == before
