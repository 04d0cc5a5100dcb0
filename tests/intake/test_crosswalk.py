"""BPS codes to Kemendagri codes: matched by name within the parent, or from a crosswalk file,
and counts files with BPS codes imported through the crosswalk (issue 14, item 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from zoning.intake.counts import import_counts, read_counts
from zoning.intake.crosswalk import import_crosswalk, match, read_crosswalk
from zoning.intake.report import UploadRejected
from zoning.store import Store

A1, A2, A3, B1 = "33.01.01.2001", "33.01.01.2002", "33.01.02.2001", "33.02.01.1001"
# BPS numbers the same villages its own way: district 010 of regency 3301 and so on
BPS_A1, BPS_A2, BPS_B1 = "3301010001", "3301010002", "3302010001"


@pytest.fixture
def store(tiny_store: Store) -> Store:
    """The tiny store plus a second district of Kabupaten Satu whose village shares its name
    with Desa A1 (village names repeat within a regency)."""
    extra = pd.DataFrame(
        [
            ("33.01.02", "Kecamatan C", "district", "33.01", 1000.0),
            (A3, "Desa A1", "village", "33.01.02", 1000.0),
        ],
        columns=["code", "name", "level", "parent", "population"],
    )
    with tiny_store.transaction() as conn:
        tiny_store.write_regions(conn, extra, None)
    return tiny_store


def test_villages_are_found_by_name_within_their_regency(store):
    found = match(
        [BPS_A2, "33.02.010.001", BPS_A2], ["Desa A2", "Kelurahan B1", "Desa A2"],
        [None, None, None], store.regions(), {},
    )  # fmt: skip
    assert found.codes == {BPS_A2: A2, "33.02.010.001": B1}
    assert not found.problems
    built = dict(zip(found.built["bps"], found.built["code"], strict=True))
    # the villages, and the districts they show: BPS 33.01.010 is Kemendagri 33.01.01
    assert built == {
        "33.01.010.002": A2, "33.02.010.001": B1, "33.01.010": "33.01.01",
        "33.02.010": "33.02.01",
    }  # fmt: skip
    assert set(found.built["how"]) == {"names"}


def test_a_name_shared_within_the_regency_is_found_in_the_district_of_its_neighbours(store):
    """'Desa A1' is a village of 33.01.01 and of 33.01.02: the other villages of its BPS
    district (010) are all in 33.01.01, so it is that one."""
    found = match([BPS_A1, BPS_A2], ["Desa A1", "Desa A2"], [None, None], store.regions(), {})
    assert found.codes == {BPS_A1: A1, BPS_A2: A2}
    alone = match([BPS_A1], ["Desa A1"], [None], store.regions(), {})
    assert not alone.codes
    assert "fits several regions (33.01.01.2001, 33.01.02.2001)" in alone.problems[BPS_A1]
    assert "upload a crosswalk with columns kode_bps and kode_kemendagri" in alone.problems[BPS_A1]
    # a district name beside it settles it too
    named = match([BPS_A1], ["Desa A1"], ["Kecamatan C"], store.regions(), {})
    assert named.codes == {BPS_A1: A3}


def test_villages_of_one_bps_district_found_in_two_districts_are_refused(store):
    found = match(["3301010003", BPS_A2], ["Kelurahan B1", "Desa A2"], [None, None],
                  store.regions(), {})  # fmt: skip
    # Kelurahan B1 is not in regency 33.01 at all: no match, and A2 alone is fine
    assert "unknown region 'Kelurahan B1' in Kabupaten Satu (33.01)" in found.problems["3301010003"]
    found = match(
        ["3301010005", BPS_A2], ["Desa A1", "Desa A2"], ["Kecamatan C", None], store.regions(), {}
    )
    assert found.codes == {"3301010005": A3, BPS_A2: A2}  # named districts are not inferred


def test_a_near_miss_is_never_taken(store):
    found = match([BPS_A2], ["Desa A22"], [None], store.regions(), {})
    assert not found.codes and "did you mean Desa A2 (33.01.01.2002)" in found.problems[BPS_A2]


def test_without_names_a_bps_code_needs_the_crosswalk(store):
    found = match([BPS_A2], [None], [None], store.regions(), {})
    assert "is not in the crosswalk" in found.problems[BPS_A2]
    stored = match([BPS_A2], [None], [None], store.regions(), {"33.01.010.002": A2})
    assert stored.codes == {BPS_A2: A2} and stored.built.empty


def test_counts_with_bps_codes_build_the_crosswalk_then_use_it(store):
    data = (
        "tanggal,kode_desa,nama_desa,kasus_baru\n"
        f"2021-08-01,{BPS_A1},Desa A1,3\n2021-08-01,{BPS_A2},Desa A2,4\n"
        f"2021-08-02,{BPS_A2},Desa A2,5\n"
    ).encode()
    result = import_counts(store, data)
    assert result.report.facts["crosswalk_rows"] == 3
    assert any("BPS codes in column `kode_desa`, read through the crosswalk: 3 rows (3 codes "
               "matched by name now" in r for r in result.report.read)  # fmt: skip
    counts = store.counts().set_index(["region", "date"])
    assert counts.loc[(A1, pd.Timestamp("2021-08-01")), "new_cases"] == 3
    assert counts.loc[(A2, pd.Timestamp("2021-08-02")), "new_cases"] == 5
    assert store.crosswalk() == {
        "33.01.010.001": A1, "33.01.010.002": A2, "33.01.010": "33.01.01",
    }  # fmt: skip
    # the next file has codes only: through the stored crosswalk
    again = import_counts(store, f"tanggal,kode,kasus_baru\n2021-08-03,{BPS_A1},7\n".encode())
    assert again.report.facts["crosswalk_rows"] == 1
    assert (
        store.counts()
        .set_index(["region", "date"])
        .loc[(A1, pd.Timestamp("2021-08-03")), "new_cases"]
        == 7
    )


def test_a_column_mixing_bps_and_kemendagri_codes_names_the_option(store):
    data = f"tanggal,kode,kasus_baru\n2021-08-01,{BPS_A1},3\n2021-08-01,{B1},4\n".encode()
    _, report = read_counts(data, store.regions())
    message = str(report.errors[0])
    assert message.startswith("column 'kode': the column mixes BPS codes ('3301010001', row 2)")
    assert "Kemendagri codes ('33.02.01.1001', row 3)" in message
    assert "--codes bps or --codes kemendagri" in message


def test_codes_that_could_be_either_are_read_as_bps_when_told(store):
    """3301011001 reads as Kemendagri village 33.01.01.1001 (not stored) or as BPS 33.01.011.001;
    --codes bps says which."""
    data = b"tanggal,kode,nama,kasus_baru\n2021-08-01,3301011001,Desa A2,3\n"
    _, report = read_counts(data, store.regions())
    assert "unknown region code '3301011001'" in str(report.errors[0])
    frame, report = read_counts(data, store.regions(), codes="bps")
    assert not report.has_errors, report.errors
    assert frame["region"].tolist() == [A2]


def test_a_crosswalk_file_gives_codes_and_is_checked(store):
    data = (f"kode_bps,kode_kemendagri\n{BPS_A1},{A1}\n3301020,33.01.02\n").encode()
    result = import_crosswalk(store, data, filename="padanan.csv")
    assert result.changed == 2
    assert store.crosswalk() == {"33.01.010.001": A1, "33.01.020": "33.01.02"}
    assert result.report.read[-1] == "2 codes given, 0 matched by name"
    assert import_crosswalk(store, data).duplicate_of == result.upload_id
    for bad, fragment in [
        (f"kode_bps,kode_kemendagri\n{BPS_A1},33.01.01\n", "is not the same kind of region"),
        (f"kode_bps,kode_kemendagri\n{BPS_A1},{B1}\n", "is not the same kind of region"),
        (f"kode_bps,kode_kemendagri\n{BPS_A1},33.01.01.2999\n", "unknown region code"),
        ("kode_bps,kode_kemendagri\nx,33.01.01.2001\n", "'x' is not a BPS code"),
        (f"kode_bps,kode_kemendagri\n{BPS_A2},{A2}\n{BPS_A2},{A1}\n", "keep one"),
        ("kode,nama\n1,2\n", "a crosswalk needs a column of BPS codes"),
    ]:
        with pytest.raises(UploadRejected) as exc:
            import_crosswalk(store, bad.encode())
        assert fragment in str(exc.value), (bad, str(exc.value))
    assert store.crosswalk() == {"33.01.010.001": A1, "33.01.020": "33.01.02"}


def test_a_crosswalk_file_of_names_is_matched_within_the_regency(store):
    frame, report = read_crosswalk(
        f"kode_bps,nama_desa\n{BPS_A2},Desa A2\n{BPS_B1},Kelurahan B1\n".encode(), store.regions()
    )
    assert not report.has_errors
    pairs = dict(zip(frame["bps"], frame["code"], strict=True))
    assert pairs["33.01.010.002"] == A2 and pairs["33.02.010.001"] == B1
    assert set(frame["how"]) == {"names"}
