"""Line lists: NIK rows counted once per episode, without a NIK ever being kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fuzz, tiny_regions
from hypothesis import given, settings
from hypothesis import strategies as st

from zoning.intake.linelist import (
    EPISODE_DAYS,
    houses_in_windows,
    import_linelist,
    plan_episodes,
    read_linelist,
    redact,
)
from zoning.intake.nik import FINGERPRINT_META, STORED_AS_NUMBER, NikHasher, NikKeyError
from zoning.intake.report import UploadRejected
from zoning.store import Store

HEADER = ("nik", "tanggal_konfirmasi", "kode_desa", "no_kk", "alamat")
A1, A2, B1 = "33.01.01.2001", "33.01.01.2002", "33.02.01.1001"
RT1, RT2 = "33.02.01.1001.001.001", "33.02.01.1001.001.002"


pytestmark = pytest.mark.usefixtures("private_key_file")


@pytest.fixture
def rt_store(tiny_store: Store) -> Store:
    """The tiny store with one RW of two RTs in Kelurahan B1."""
    rows = [
        ("33.02.01.1001.001", "RW 001", "rw", B1, 600.0),
        (RT1, "RT 001/RW 001", "rt", "33.02.01.1001.001", 300.0),
        (RT2, "RT 002/RW 001", "rt", "33.02.01.1001.001", 300.0),
    ]
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population"])
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "test", "rts", None, "pytest", 3, 0)
        tiny_store.write_regions(conn, frame, upload)
    return tiny_store


def nik(serial=1, district="330101", day=1, month=1, year=90, woman=False) -> str:
    return f"{district}{day + 40 * woman:02d}{month:02d}{year:02d}{serial:04d}"


def kk(serial=1) -> str:
    return f"330101{serial:02d}0120{serial:04d}"


def _csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _import(store, rows, header=HEADER, **kwargs):
    return import_linelist(store, _csv(rows, header), filename="list.csv", **kwargs)


def _dump(store: Store) -> dict[str, list]:
    with store.engine.connect() as conn:
        names = [
            r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {n: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {n}")] for n in names}


def _day(store: Store, region: str, date: str, field: str = "new_cases") -> float:
    counts = store.counts().set_index(["region", "date"])
    key = (region, pd.Timestamp(date))
    return float(counts.loc[key, field]) if key in counts.index else float("nan")


def _episodes(store: Store) -> pd.DataFrame:
    return store.case_episodes().sort_values(["person_key", "episode_start"])


# --- reading ------------------------------------------------------------------------------


def test_read_linelist_finds_columns_names_and_dates(tiny_store):
    data = _csv(
        [
            (nik(1), "2021-07-05", A1, kk(1), ""),
            (nik(2), "05/07/2021", "Desa A2", "", "Jl. Melati 3"),
            (nik(3), "5 Juli 2021", "33 01 01 2001", "", ""),
            (nik(4), "2021-07-05 00:00:00", "3301012001", "", ""),
        ],
        header=("NIK", "Tgl Positif", "Kelurahan", "No KK", "Alamat"),
    )
    frame, report = read_linelist(data, tiny_store.regions())
    assert not report.has_errors, report.summary()
    assert report.facts["columns"] == {
        "nik": "nik", "date": "tgl positif", "region": "kelurahan", "no_kk": "no kk",
        "address": "alamat",
    }  # fmt: skip
    assert frame["row"].tolist() == [2, 3, 4, 5]
    assert frame["region"].tolist() == [A1, A2, A1, A1]
    assert (frame["date"] == pd.Timestamp("2021-07-05")).all()
    assert frame["no_kk"].tolist()[:2] == [kk(1), None]
    assert frame["address"].tolist()[:2] == [None, "Jl. Melati 3"]


def test_mapping_names_columns_of_any_name(tiny_store):
    data = _csv([(nik(1), "2021-07-05", A1)], header=("ktp_pasien", "hari", "lokasi"))
    _, report = read_linelist(data, tiny_store.regions())
    assert report.has_errors and "no NIK column" in report.errors[0].message
    mapping = {"ktp_pasien": "nik", "hari": "tanggal", "lokasi": "desa"}
    frame, report = read_linelist(data, tiny_store.regions(), mapping=mapping)
    assert not report.has_errors and frame["nik"].tolist() == [nik(1)]
    _, report = read_linelist(data, tiny_store.regions(), mapping={"ktp_pasien": "umur"})
    assert "cannot map a column to 'umur'" in report.errors[0].message


def test_rows_without_a_valid_nik_are_counted_and_reported(tiny_store):
    rows = [
        (nik(1), "2021-07-05", A1, "", ""),
        ("3.3010101900002e15", "2021-07-05", A1, "", ""),
        (nik(3)[:15], "2021-07-05", A1, "", ""),
        (nik(4, month=13), "2021-07-05", A1, "", ""),
        ("", "not a date either", "nowhere", "", ""),  # nothing to count it for: reported
        (nik(5), "2021-07-06", A2, "", ""),
    ]
    result = _import(tiny_store, rows)
    report = result.report
    assert report.facts["rows_read"] == 6
    assert report.facts["rows_invalid_nik"] == 4
    assert report.facts["rows_unverified"] == 3
    per_row = {(i.row, i.column): i.message for i in report.warnings if i.row is not None}
    assert per_row[(3, "nik")].startswith("stored as a number; format the column as text")
    assert per_row[(3, "nik")].endswith("counted as an unverified case")
    assert per_row[(4, "nik")].startswith("not 16 digits")
    assert "month" in per_row[(5, "nik")]
    assert "empty" in per_row[(6, "nik")]
    assert "is not a date" in per_row[(6, "tanggal_konfirmasi")]
    assert "no valid NIK either and is not counted" in per_row[(6, "tanggal_konfirmasi")]
    assert "unknown region" in per_row[(6, "kode_desa")]
    assert "4 of 6 rows have no valid NIK; each is counted as an unverified case" in (
        report.warnings[0].message
    )
    assert str(report.warnings[1]).startswith("row 3, column 'nik': stored as a number")
    episodes = tiny_store.case_episodes()
    assert sorted(episodes["unverified"]) == [False, False, True, True, True]
    assert episodes["person_key"].is_unique  # an unverified row is never merged with anyone
    assert result.changed == len(tiny_store.case_dates()) == 5
    assert result.rows == 6
    assert _day(tiny_store, A1, "2021-07-05") == 4
    assert _day(tiny_store, A1, "2021-07-05", "new_cases_unverified") == 3
    assert _day(tiny_store, A2, "2021-07-06", "new_cases_unverified") == 0


def test_unverified_rows_can_be_left_out(tiny_store):
    rows = [
        (nik(1), "2021-07-05", A1, "", ""),
        (nik(2)[:15], "2021-07-05", A1, "", ""),
        ("", "2021-07-05", A2, "", ""),
    ]
    result = _import(tiny_store, rows, exclude_unverified=True)
    facts = result.report.facts
    assert (facts["rows_invalid_nik"], facts["rows_unverified"]) == (2, 0)
    assert facts["rows_unverified_excluded"] == 2
    assert facts["options"]["exclude_unverified"] is True
    first = result.report.warnings[0].message
    assert "2 of 3 rows have no valid NIK; they are not counted" in first
    assert len(tiny_store.case_episodes()) == 1
    assert _day(tiny_store, A1, "2021-07-05") == 1
    assert _day(tiny_store, A1, "2021-07-05", "new_cases_unverified") == 0
    # the same file counted in full is another upload (other options), which adds them
    again = _import(tiny_store, rows)
    assert again.duplicate_of is None and again.report.facts["rows_unverified"] == 2
    assert _day(tiny_store, A1, "2021-07-05") == 2
    assert _day(tiny_store, A2, "2021-07-05", "new_cases_unverified") == 1


def test_unverified_rows_of_the_same_file_are_counted_once(tiny_store):
    rows = [(nik(1), "2021-07-05", A1, "", ""), ("", "2021-07-05", A1, "", "")]
    first = _import(tiny_store, rows)
    # another upload, then the same file again: read, changes nothing, rolled back
    _import(tiny_store, [(nik(2), "2021-07-06", A2, "", "")])
    again = _import(tiny_store, rows)
    assert again.duplicate_of == first.upload_id
    assert _day(tiny_store, A1, "2021-07-05", "new_cases_unverified") == 1
    # two rows alike in one file are two cases (two people whose NIK is missing)
    same = ("", "2021-07-07", A2, "", "")
    _import(tiny_store, [same, same, (nik(3), "2021-07-07", A1, "", "")])
    assert _day(tiny_store, A2, "2021-07-07", "new_cases_unverified") == 2


def test_all_rows_without_valid_nik_is_an_error(tiny_store):
    before = _dump(tiny_store)
    rows = [(f"3.30101{k}e15", "2021-07-05", A1, "", "") for k in range(3)]
    with pytest.raises(UploadRejected, match=r"none of the 3 rows has a valid NIK.*as text"):
        _import(tiny_store, rows)
    assert _dump(tiny_store) == before


# --- privacy ------------------------------------------------------------------------------


def test_no_nik_kk_or_address_is_stored_logged_or_reported(tiny_store, caplog):
    people = [nik(k, day=k, woman=k % 2 == 0) for k in range(1, 6)]
    cards = [kk(k) for k in range(1, 6)]
    rows = [(p, "2021-07-05", A1, c, "Jl. Rahasia 17") for p, c in zip(people, cards, strict=True)]
    rows.append(("3374 0101 0190 0042", "2021-07-06", A2, "", ""))  # spaced, valid
    rows.append((nik(99)[:15], "2021-07-06", A2, kk(99), ""))  # invalid: in a warning
    caplog.set_level(logging.DEBUG)
    result = _import(tiny_store, rows)
    secrets = [*people, *cards, "3374010101900042", nik(99)[:15], kk(99), "Rahasia"]
    text = repr(_dump(tiny_store)) + repr(result.report.to_dict()) + result.summary()
    text += caplog.text
    for secret in secrets:
        assert secret not in text
    store_path = Path(tiny_store.url.removeprefix("sqlite:///"))
    tiny_store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in store_path.parent.glob(store_path.name + "*"))
    for secret in secrets:
        assert secret.encode() not in raw
    assert len(tiny_store.case_episodes()) == 7  # the invalid NIK is an unverified case


def test_rejections_never_repeat_a_nik(tiny_store):
    secret = nik(7)
    cases = [
        # a NIK where the date should be
        [(nik(1), secret, A1, "", "")],
        # a NIK where the village should be, spaced out
        [(nik(1), "2021-07-05", "3301 0101 0190 0007", "", "")],
    ]
    for rows in cases:
        with pytest.raises(UploadRejected) as info:
            _import(tiny_store, rows)
        text = str(info.value) + repr(info.value.report.to_dict())
        assert "0190" not in text and secret not in text
        assert "[number hidden]" in text
    # a file without its header: the first case becomes the column names
    data = _csv([(nik(2), "2021-07-05", A1)], header=(secret, "2021-07-05", A1))
    with pytest.raises(UploadRejected) as info:
        import_linelist(tiny_store, data)
    assert secret not in str(info.value) + repr(info.value.report.to_dict())
    assert "no NIK column" in str(info.value)


def test_redact_hides_long_numbers_but_keeps_codes_and_dates():
    assert redact(f"'{nik(1)}' is not a date") == "'[number hidden]' is not a date"
    assert redact("x 3301.0101.9000.01 y") == "x [number hidden] y"
    assert redact("unknown region code '33.02.01.1001.001.009'") == (
        "unknown region code '33.02.01.1001.001.009'"
    )
    assert redact("'2021-07-05' on row 12 of 1000000") == "'2021-07-05' on row 12 of 1000000"


# --- episodes -----------------------------------------------------------------------------


def test_a_person_is_counted_once_within_a_file(tiny_store):
    rows = [
        (nik(1), "2021-07-05", A1, "", ""),
        (nik(1), "2021-07-06", A1, "", ""),  # a second test of the same episode
        ("3301 0101 0190 0001", "2021-07-09", A2, "", ""),  # the same NIK, written spaced
        (nik(2), "2021-07-05", A1, "", ""),
    ]
    result = _import(tiny_store, rows)
    assert result.changed == 4  # every date is kept
    assert len(tiny_store.case_episodes()) == 2
    assert result.report.facts["episodes_new"] == 2
    assert result.report.facts["rows_repeat_in_file"] == 2
    assert result.report.facts["people_in_file"] == 2
    assert _day(tiny_store, A1, "2021-07-05") == 2  # was 1 in the tiny counts
    assert _day(tiny_store, A1, "2021-07-06") == 1  # untouched
    assert _day(tiny_store, A2, "2021-07-09") == 2  # untouched (tiny counts)


def test_a_person_is_counted_once_across_uploads(tiny_store):
    _import(tiny_store, [(nik(1), "2021-07-05", A1, "", "")])
    version = tiny_store.data_version()
    result = _import(tiny_store, [(nik(1), "2021-07-20", A2, "", "")])
    assert result.changed == 1  # the date is kept, in the stored episode
    assert result.report.facts["episodes_new"] == 0
    assert result.report.facts["rows_in_stored_episode"] == 1
    assert len(tiny_store.case_episodes()) == 1
    assert _day(tiny_store, A2, "2021-07-20") == 2  # untouched
    assert tiny_store.data_version() == version + 1  # the upload itself is recorded


@pytest.mark.parametrize("across_uploads", [False, True])
def test_ninety_days_make_a_new_episode(tiny_store, across_uploads):
    start = pd.Timestamp("2021-03-01")
    day89 = (start + pd.Timedelta(days=EPISODE_DAYS - 1)).date().isoformat()
    day90 = (start + pd.Timedelta(days=EPISODE_DAYS)).date().isoformat()
    first = [(nik(1), "2021-03-01", A1, "", ""), (nik(2), "2021-03-01", A1, "", "")]
    later = [(nik(1), day89, A1, "", ""), (nik(2), day90, A1, "", "")]
    if across_uploads:
        _import(tiny_store, first)
        result = _import(tiny_store, later)
    else:
        result = _import(tiny_store, first + later)
    assert result.report.facts["episodes_reinfection"] == 1
    starts = _episodes(tiny_store).groupby("person_key")["episode_start"].apply(list)
    h = NikHasher(_secret())
    assert starts[h.key(nik(1))] == [start]
    assert starts[h.key(nik(2))] == [start, pd.Timestamp(day90)]
    assert _day(tiny_store, A1, "2021-03-01") == 2
    assert np.isnan(_day(tiny_store, A1, day89))
    assert _day(tiny_store, A1, day90) == 1


def _secret() -> bytes:
    from zoning.intake.nik import load_or_create_secret

    return load_or_create_secret()


def test_a_late_report_moves_the_episode_start_back(tiny_store):
    _import(tiny_store, [(nik(1), "2021-07-10", A1, "", "")])
    assert _day(tiny_store, A1, "2021-07-10") == 1  # tiny counts: 1, recounted: 1
    result = _import(tiny_store, [(nik(1), "2021-07-03", A2, "", "")])
    assert result.report.facts["episodes_moved_earlier"] == 1
    episodes = tiny_store.case_episodes()
    assert episodes["episode_start"].tolist() == [pd.Timestamp("2021-07-03")]
    assert episodes["region"].tolist() == [A2]
    assert _day(tiny_store, A1, "2021-07-10") == 0  # recounted: nobody starts there now
    assert _day(tiny_store, A2, "2021-07-03") == 1  # was 2 in the tiny counts
    assert list(tiny_store.count_history(A1)["new_cases"])[-1] == 1.0  # the old value kept


def test_same_file_twice_changes_nothing(tiny_store):
    rows = [(nik(1), "2021-07-05", A1, "", ""), (nik(2), "2021-07-06", A2, "", "")]
    first = _import(tiny_store, rows)
    before = _dump(tiny_store)
    again = _import(tiny_store, rows)
    assert again.duplicate_of == first.upload_id and again.upload_id is None
    assert "already imported" in again.summary()
    assert _dump(tiny_store) == before


def test_counts_are_revisions_with_history_and_as_of_moves(tiny_store):
    _import(tiny_store, [(nik(k), "2021-07-05", B1, "", "") for k in range(1, 6)])
    assert _day(tiny_store, B1, "2021-07-05") == 5
    assert list(tiny_store.count_history(B1)["new_cases"]) == [3.0]
    _import(tiny_store, [(nik(9), "2021-07-25", B1, "", "")])
    assert tiny_store.meta()["as_of"] == "2021-07-25"
    assert tiny_store.meta()[FINGERPRINT_META] == NikHasher(_secret()).fingerprint()
    kinds = tiny_store.uploads()["kind"].tolist()
    assert kinds.count("linelist") == 2


# --- households ---------------------------------------------------------------------------


def test_households_make_houses_7d_per_rt(rt_store):
    rows = [
        (nik(1), "2021-07-05", RT1, kk(1), ""),
        (nik(2), "2021-07-07", RT1, "3301 0101 0120 0001", ""),  # the same No. KK, spaced
        (nik(3), "2021-07-06", RT1, "", "Jl. Melati 3 RT 1/RW 1"),
        (nik(4), "2021-07-08", RT1, "", "JALAN  MELATI, 3, rt 001 / rw 001"),  # same house
        (nik(5), "2021-07-08", RT2, "", ""),  # no household: a house of its own
        (nik(6), "2021-07-08", RT2, "", ""),
    ]
    result = _import(rt_store, rows, first="2021-06-29", last="2021-07-21")  # every window
    facts = result.report.facts
    assert facts["rts_touched"] == 2 and facts["rows_without_household"] == 2
    houses = rt_store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    # RT1: No. KK 1 on the 5th and 7th, one address (written two ways) on the 6th and 8th
    expected_rt1 = {4: None, 5: 1, 6: 2, 7: 2, 11: 2, 12: 2, 13: 2, 14: 1, 15: 0, 16: None}
    for day, n in expected_rt1.items():
        key = (RT1, pd.Timestamp(f"2021-07-{day:02d}"))
        assert houses.get(key) == n, day
    expected_rt2 = {7: None, 8: 2, 14: 2, 15: 0, 16: None}  # two people, no household
    for day, n in expected_rt2.items():
        assert houses.get((RT2, pd.Timestamp(f"2021-07-{day:02d}"))) == n, day
    # the RT cases count for their village
    assert _day(rt_store, B1, "2021-07-08") == 3


def _houses_on(store, rt, day):
    houses = store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    return houses.get((rt, pd.Timestamp(day)))


def test_a_house_is_its_address_whatever_the_family_cards(rt_store):
    """Two families (two No. KK) at one address in one RT are one house; one family card
    at two addresses is two houses; the same address text in another RT is another house."""
    rows = [
        (nik(1), "2021-07-05", RT1, kk(1), "Jl. Mawar 1"),
        (nik(2), "2021-07-05", RT1, kk(2), "JALAN MAWAR, 1"),  # another family, same house
        (nik(3), "2021-07-05", RT2, kk(3), "Jl. Mawar 1"),  # same text, another RT
        (nik(4), "2021-07-05", RT2, kk(3), "Jl. Kenanga 2"),  # same card, another house
    ]
    _import(rt_store, rows, first="2021-06-29")
    assert _houses_on(rt_store, RT1, "2021-07-05") == 1  # Jl. Mawar 1 in RT 1
    assert _houses_on(rt_store, RT2, "2021-07-05") == 2  # Mawar 1 and Kenanga 2 in RT 2


def test_houses_do_not_depend_on_how_the_rows_are_split(rt_store):
    rows = [
        (nik(1), "2021-07-05", RT1, kk(1), "Jl. Mawar 1"),
        (nik(2), "2021-07-06", RT1, kk(2), "Jl. Mawar 1"),
        (nik(3), "2021-07-07", RT1, kk(3), "JALAN MAWAR, 1"),
        (nik(4), "2021-07-07", RT1, kk(4), ""),
    ]
    for row in rows:  # one upload per row
        _import(rt_store, [row], first="2021-07-01", last="2021-07-07")
    assert _houses_on(rt_store, RT1, "2021-07-07") == 2  # Jl. Mawar 1, and family card 4


def test_houses_7d_stop_at_the_data_s_last_day(rt_store):
    rt_store.set_meta(as_of="2021-07-10")
    rows = [(nik(1), "2021-07-05", RT1, kk(1), ""), (nik(2), "2021-07-08", RT2, "", "")]
    _import(rt_store, rows, first="2021-06-29", last="2021-07-10")
    houses = rt_store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    assert houses.index.get_level_values("date").max() == pd.Timestamp("2021-07-10")
    assert len(houses.loc[RT1]) == 6 and len(houses.loc[RT2]) == 3  # 5th-10th, 8th-10th
    rt_store.set_meta(as_of="2021-07-01")  # before the cases: the latest case is the limit
    _import(rt_store, [(nik(3), "2021-07-12", RT1, kk(3), "")], first="2021-06-29")
    houses = rt_store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    assert houses.index.get_level_values("date").max() == pd.Timestamp("2021-07-12")
    assert rt_store.meta()["as_of"] == "2021-07-12"


def test_houses_7d_run_to_the_end_of_the_coverage(rt_store):
    """A case's houses stay in its window after the latest case: up to the day the coverage
    ends (else those covered days would be read as no house at all). Found by the split
    property test: a list covering to September, whose latest case was in April."""
    rows = [(nik(1), "2021-07-05", RT1, kk(1), "")]
    _import(rt_store, rows, first="2021-06-29", last="2021-07-31")
    houses = rt_store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    assert [houses.get((RT1, pd.Timestamp(f"2021-07-{d:02d}"))) for d in range(5, 14)] == [
        1, 1, 1, 1, 1, 1, 1, 0, None,  # the 12th: the case has left; the 13th on: not written
    ]  # fmt: skip
    assert rt_store.meta()["as_of"] == "2021-07-31"  # the data are as of the coverage's end


def test_houses_7d_only_where_a_register_covers_the_whole_window(rt_store):
    """By default a line list covers its first to its last date: a window reaching before
    the first is not all seen, and the days after the last are not covered at all."""
    rows = [(nik(1), "2021-07-05", RT1, kk(1), ""), (nik(2), "2021-07-15", RT1, kk(2), "")]
    result = _import(rt_store, rows)
    assert result.report.facts["coverage"]["first"] == "2021-07-05"
    houses = rt_store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    written = sorted(d.day for d in houses.loc[RT1].index)
    # 11th: the first whole window; 12th: the case has left it; 13th-14th: no case, so not
    # written (the register's zeros are laid over when read); 16th on: not covered
    assert written == [11, 12, 15]
    assert houses.loc[(RT1, pd.Timestamp("2021-07-11"))] == 1
    assert houses.loc[(RT1, pd.Timestamp("2021-07-12"))] == 0
    assert houses.loc[(RT1, pd.Timestamp("2021-07-15"))] == 1
    # a later list covering the days before makes the early windows whole: now counted
    _import(rt_store, [(nik(3), "2021-07-01", RT2, "", "")], first="2021-06-28")
    _import(rt_store, [(nik(1), "2021-07-05", RT1, kk(1), "")], first="2021-06-28")
    houses = rt_store.counts(level="rt").set_index(["region", "date"])["houses_7d"]
    assert houses.loc[(RT1, pd.Timestamp("2021-07-05"))] == 1


def test_rt_and_rw_numbers_place_cases_in_their_rt(rt_store):
    header = ("nik", "tanggal_konfirmasi", "desa", "rt", "rw", "alamat")
    rows = [
        (nik(1), "2021-07-05", "Kelurahan B1", "2", "1", "Jl. Mawar 1"),
        (nik(2), "2021-07-05", "Kelurahan B1", "009", "001", "Jl. Mawar 2"),  # no such RT
        (nik(3), "2021-07-05", "Kelurahan B1", "", "", "Jl. Mawar 3"),
    ]
    result = _import(rt_store, rows, header=header)
    regions = sorted(rt_store.case_episodes()["region"])
    assert regions == [B1, B1, RT2]
    warning = next(i for i in result.report.warnings if "RT 33.02.01.1001.001.009" in i.message)
    assert warning.row == 3 and warning.column == "rt"


def test_windows_count_distinct_houses():
    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(
            st.tuples(st.sampled_from("AB"), st.integers(0, 20), st.sampled_from("hijk")),
            max_size=25,
        )
    )
    def check(episodes):
        region = np.array([e[0] for e in episodes], dtype=object)
        start = np.datetime64("2021-07-01") + np.array([e[1] for e in episodes], dtype=int)
        house = np.array([e[2] for e in episodes], dtype=object)
        got = houses_in_windows(region, start.astype("datetime64[s]"), house)
        got = {(r, pd.Timestamp(d)): n for r, d, n in got.itertuples(index=False)}
        want = {}
        for r in "AB":
            for day in range(0, 27):
                inside = {e[2] for e in episodes if e[0] == r and day - 6 <= e[1] <= day}
                if inside:
                    want[(r, pd.Timestamp("2021-07-01") + pd.Timedelta(days=day))] = len(inside)
        assert got == want

    check()


# --- refusals -----------------------------------------------------------------------------


def test_another_key_is_refused(tiny_store, tmp_path, monkeypatch):
    _import(tiny_store, [(nik(1), "2021-07-05", A1, "", "")])
    before = _dump(tiny_store)
    monkeypatch.setenv("ZONING_SECRET_FILE", str(tmp_path / "other" / "key"))
    with pytest.raises(NikKeyError, match="this store was built with another NIK key"):
        _import(tiny_store, [(nik(2), "2021-07-06", A1, "", "")])
    with pytest.raises(NikKeyError, match="another NIK key"):
        _import(tiny_store, [(nik(1), "2021-07-05", A1, "", "")])  # even the same file
    assert _dump(tiny_store) == before
    monkeypatch.setenv("ZONING_SECRET_FILE", str(tmp_path / "keys" / "nik-secret"))
    assert _import(tiny_store, [(nik(2), "2021-07-06", A1, "", "")]).changed == 1


def test_explicit_key_path(tiny_store, tmp_path):
    key = tmp_path / "elsewhere" / "key"
    _import(tiny_store, [(nik(1), "2021-07-05", A1, "", "")], secret_path=key)
    assert key.exists()
    with pytest.raises(NikKeyError):
        _import(tiny_store, [(nik(2), "2021-07-05", A1, "", "")])  # the default key differs


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_csv([("2021-07-05", A1)], header=("tanggal", "desa")), "no NIK column"),
        (_csv([(nik(1), A1)], header=("nik", "desa")), "no confirmation date column"),
        (_csv([(nik(1), "2021-07-05")], header=("nik", "tanggal")), "no village or RT column"),
        (_csv([(nik(1), "2021-13-05", A1, "", "")]), "is not a date"),
        (_csv([(nik(1), "", A1, "", "")]), "the date is empty"),
        (_csv([(nik(1), "2099-07-05", A1, "", "")]), "is after today"),
        (_csv([(nik(1), "2021-07-05", "33.01.01.2099", "", "")]), "unknown region code"),
        (_csv([(nik(1), "2021-07-05", "Desa Z", "", "")]), "unknown region"),
        (_csv([(nik(1), "2021-07-05", "33.01", "", "")]), "is a regency"),
        (_csv([(nik(1), "2021-07-05", "", "", "")]), "the region is empty"),
        (b"", "the file is empty"),
        (b"nik,tanggal,desa\n", "header but no rows"),
        (b"\x00\x01binary", r"not a text \(CSV\) file"),
        (b"PK\x03\x04\x00\x00broken", "cannot be read"),
        (b"nik,tanggal,desa\n3301010101900001,2021-07-05,33.01.01.2001,x\n", "has 4 cells"),
    ],
)
def test_bad_files_are_rejected_with_nothing_written(tiny_store, data, message):
    before = _dump(tiny_store)
    with pytest.raises(UploadRejected, match=message) as info:
        import_linelist(tiny_store, data, filename="bad.csv")
    assert "nothing was imported" in str(info.value)
    assert _dump(tiny_store) == before


def test_errors_name_every_bad_row(tiny_store):
    rows = [
        (nik(1), "2021-07-05", A1, "", ""),
        (nik(2), "kemarin", A1, "", ""),
        (nik(3), "2021-07-05", "Desa Z", "", ""),
        (nik(4), "kemarin", A1, "", ""),
    ]
    _, report = read_linelist(_csv(rows), tiny_store.regions())
    assert [(i.row, i.column) for i in report.errors] == [
        (3, "tanggal_konfirmasi"), (5, "tanggal_konfirmasi"), (4, "kode_desa"),
    ]  # fmt: skip


def test_missing_file_is_rejected(tiny_store, tmp_path):
    with pytest.raises(UploadRejected, match="no such file"):
        import_linelist(tiny_store, tmp_path / "absent.csv")


def test_file_path_and_semicolons(tiny_store, tmp_path):
    path = tmp_path / "list.csv"
    text = "NIK;Tanggal;Desa\n" + f"{nik(1)};05/07/2021;Desa A1\n" + f"{nik(2)};6/7/2021;Desa A2\n"
    path.write_bytes(text.encode("cp1252"))
    result = import_linelist(tiny_store, path, filename=path.name)
    assert result.changed == 2 and result.rows == 2
    assert tiny_store.uploads()["filename"].iloc[-1] == "list.csv"


# --- the store's case tables ------------------------------------------------------------


def test_a_different_mapping_of_the_same_bytes_is_another_upload(tiny_store):
    data = _csv([(nik(1), "2021-07-05", A1, nik(2))], header=("nik", "tanggal", "desa", "ktp"))
    first = import_linelist(tiny_store, data)
    assert import_linelist(tiny_store, data).duplicate_of == first.upload_id
    other = import_linelist(tiny_store, data, mapping={"ktp": "nik", "nik": "no_kk"})
    assert other.duplicate_of is None and other.changed == 1


def test_case_dates_by_key_reads_in_chunks_or_scans(tiny_store):
    keys = [f"{k:064x}" for k in range(2100)]
    frame = pd.DataFrame(
        {"person_key": keys, "date": pd.Timestamp("2021-07-01"), "region": A1,
         "household_key": None, "episode": True, "unverified": [k % 7 == 0 for k in range(2100)]}
    )  # fmt: skip
    with tiny_store.transaction() as conn:
        upload = tiny_store.record_upload(conn, "test", None, None, "pytest", 0, 0)
        assert tiny_store.insert_case_dates(conn, frame, upload) == 2100
    few = tiny_store.case_dates([*keys[:50], "f" * 64])  # chunks
    many = tiny_store.case_dates(keys[:1500])  # one scan
    assert sorted(few["person_key"]) == keys[:50]
    assert sorted(many["person_key"]) == keys[:1500]
    assert tiny_store.case_count() == 2100
    with tiny_store.engine.connect() as conn:
        counted = tiny_store.case_new_cases(
            conn, pd.DataFrame({"region": [A1, A2], "date": ["2021-07-01", "2021-07-01"]})
        )
    assert counted["new_cases"].tolist() == [2100.0, 0.0]
    assert counted["new_cases_unverified"].tolist() == [300.0, 0.0]


# --- the episode plan against a plain reading of the rule -----------------------------------


def _reference(dates: dict[str, list[pd.Timestamp]], days: int) -> set:
    """The episode starts of each person's dates, by the rule read plainly."""
    out = set()
    for p, ds in dates.items():
        current = None
        for d in sorted(ds):
            if current is None or d >= current + pd.Timedelta(days=days):
                current = d
                out.add((p, d))
    return out


def _rows(cases, region=A1) -> pd.DataFrame:
    base = pd.Timestamp("2021-01-01")
    return pd.DataFrame(
        {
            "person_key": [p for p, _ in cases],
            "date": [base + pd.Timedelta(days=d) for _, d in cases],
            "region": region,
            "household_key": None,
            "row": range(2, 2 + len(cases)),
        }
    )


def _apply(stored: pd.DataFrame, plan) -> pd.DataFrame:
    """The stored rows after a plan: re-marked, and the new ones added with ids."""
    out = stored.copy()
    out.loc[out["id"].isin(plan.start_ids), "episode"] = True
    out.loc[out["id"].isin(plan.stop_ids), "episode"] = False
    added = plan.insert.assign(id=range(len(out), len(out) + len(plan.insert)))
    return pd.concat([out, added], ignore_index=True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("pqrs"), st.integers(0, 400)), max_size=30),
    st.lists(st.tuples(st.sampled_from("pqrs"), st.integers(0, 400)), max_size=12),
    st.booleans(),
)
def test_plan_follows_the_episode_rule(new_cases, stored_cases, with_codes):
    stored = _apply(_no_rows(), plan_episodes(_rows(stored_cases), _no_rows()))
    new = _rows(new_cases, A2)
    if with_codes:
        new["person"] = pd.factorize(new["person_key"])[0]
    plan = plan_episodes(new, stored)
    after = _apply(stored, plan)
    dates: dict[str, list[pd.Timestamp]] = {}
    for p, d in zip(after["person_key"], after["date"], strict=True):
        dates.setdefault(p, []).append(pd.Timestamp(d))
    starts = {(p, pd.Timestamp(d)) for p, d in after.loc[after["episode"], ["person_key", "date"]]
              .itertuples(index=False)}  # fmt: skip
    assert starts == _reference(dates, EPISODE_DAYS)
    assert int(after["episode"].sum()) == len(starts)  # one row starts each episode
    # each distinct (person, date, place) once: stored ones are in A1, the new ones in A2
    assert len(after) == len(set(stored_cases)) + len(set(new_cases))
    was = {(p, pd.Timestamp(d)) for p, d in stored.loc[stored["episode"], ["person_key", "date"]]
           .itertuples(index=False)}  # fmt: skip
    assert plan.facts["episodes_new"] == len(starts - was)
    assert plan.facts["episodes_moved_earlier"] == len(was - starts)


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(dtype="int64"),
            "person_key": pd.Series(dtype=object),
            "date": pd.Series(dtype="datetime64[s]"),
            "region": pd.Series(dtype=object),
            "household_key": pd.Series(dtype=object),
            "episode": pd.Series(dtype=bool),
            "unverified": pd.Series(dtype=bool),
        }
    )


def test_tiny_regions_are_what_the_tests_assume():
    codes = set(tiny_regions()["code"])
    assert {A1, A2, B1} <= codes


def _workbook(rows) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIK", "Tanggal Konfirmasi", "Kode Desa"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_workbook_line_list(tiny_store):
    data = _workbook([(nik(1), "2021-07-05", A1), (nik(2), "2021-07-06", A2)])
    result = import_linelist(tiny_store, data, filename="list.xlsx")
    assert result.changed == 2 and result.report.facts["format"] == "xlsx"


def test_niks_stored_as_numbers_are_refused(tiny_store):
    # a spreadsheet keeps 15 digits: the 16th of every NIK typed as a number becomes 0
    truncated = [int(nik(10 * k + 3)[:15] + "0") for k in range(1, 13)]
    data = _workbook([(n, "2021-07-05", A1) for n in truncated])
    before = _dump(tiny_store)
    with pytest.raises(UploadRejected, match="100% of the NIKs end in 0") as info:
        import_linelist(tiny_store, data, filename="list.xlsx")
    assert "format the column as text" in str(info.value)
    assert _dump(tiny_store) == before
    # in a CSV file, a float is said to be one cell by cell
    result = _import(tiny_store, [(nik(1), "2021-07-05", A1, "", ""),
                                  (f"{float(nik(2)):.5E}", "2021-07-05", A1, "", "")])  # fmt: skip
    issue = next(i for i in result.report.warnings if i.row == 3)
    assert issue.column == "nik" and issue.message.startswith(STORED_AS_NUMBER)


# --- fuzzing: line lists written every way, then damaged ----------------------------------------

_PLACES = {A1: ("Desa A1", ""), A2: ("Desa A2", ""), B1: ("Kelurahan B1", ""),
           RT1: ("Kelurahan B1", "1"), RT2: ("Kelurahan B1", "2")}  # fmt: skip
_MONTHS = {8: "Agustus", 9: "September"}
_LINE_BAD = st.one_of(
    st.sampled_from(
        ["", "-", "3.37401E+15", "3374010101900001.0", "337401010190000", "33740101019000011",
         "337401O101900001", "3374011301900001", "3374013102900001", "3374010101900000",
         "٣٣٧٤٠١٠١٠١٩٠٠٠٠١", "2099-01-01", "31/02/2021", "Desa Z", "33.01", "33.01.01",
         "🙂", "=1+1", '"', "0", "1000"]
    ),
    st.text(max_size=8),
)  # fmt: skip


@st.composite
def _line_list(draw):
    """``(grid, order, cases)``: a valid line list and the (nik, date, place) of each row."""
    n_people = draw(st.integers(1, 6))
    serials = draw(st.lists(st.integers(1, 9999), min_size=n_people, max_size=n_people,
                            unique=True))  # fmt: skip
    people = [
        nik(s, district=draw(st.sampled_from(["330101", "330201", "337401"])),
            day=draw(st.integers(1, 28)), month=draw(st.integers(1, 12)),
            year=draw(st.integers(0, 99)), woman=draw(st.booleans()))
        for s in serials
    ]  # fmt: skip
    with_rt = draw(st.booleans())
    rows, cases = [], []
    for person in people:
        place = draw(st.sampled_from(list(_PLACES) if with_rt else [A1, A2, B1]))
        for _ in range(draw(st.integers(1, 2))):  # a second test within 90 days: one episode
            day = dt.date(2021, 8, 1) + dt.timedelta(days=draw(st.integers(0, 40)))
            spaced = draw(
                st.sampled_from(
                    [
                        person,
                        f"{person[:6]} {person[6:12]} {person[12:]}",
                        f"{person[:6]}.{person[6:12]}.{person[12:]}",
                    ]
                )
            )
            village = place[:13]
            region = draw(st.sampled_from([village, village.replace(".", ""), _PLACES[place][0]]))
            date = draw(
                st.sampled_from(
                    [
                        f"{day:%Y-%m-%d}",
                        f"{day:%d/%m/%Y}",
                        f"{day.day} {_MONTHS[day.month]} {day.year}",
                    ]
                )
            )
            rows.append(
                {
                    "nik": spaced,
                    "date": date,
                    "region": region,
                    "rw": "1" if _PLACES[place][1] else "",
                    "rt": _PLACES[place][1],
                    "no_kk": draw(st.sampled_from(["", kk(serials[0] % 50 + 1)])),
                    "address": draw(st.sampled_from(["", "Jl. Melati 3", "JL MELATI NO 3"])),
                }
            )
            cases.append((person, pd.Timestamp(day), place))
    names = {"nik": draw(st.sampled_from(["nik", "NIK", "no_ktp", "NIK Pasien"])),
             "date": draw(st.sampled_from(["tanggal_konfirmasi", "Tgl Positif", "date"])),
             "region": draw(st.sampled_from(["kode_desa", "Kelurahan", "desa"])),
             "rw": "rw", "rt": "rt", "no_kk": "No KK", "address": "alamat"}  # fmt: skip
    fields = ["nik", "date", "region", *(["rw", "rt"] if with_rt else []), "no_kk", "address"]
    order = draw(st.permutations(fields))
    grid = [[names[f] for f in order], *[[r[f] for f in order] for r in rows]]
    return grid, order, cases


@st.composite
def _damaged_line_list(draw):
    grid, order, cases = draw(_line_list())
    mutation = draw(st.sampled_from(["none", "none", "cell", "cell", "drop", "duplicate", "cut",
                                     "bytes"]))  # fmt: skip
    where: tuple = ()
    if mutation == "cell":
        i, k = draw(st.integers(1, len(grid) - 1)), draw(st.integers(0, len(order) - 1))
        grid[i][k] = draw(_LINE_BAD)
        where = (order[k], i - 1)
    elif mutation == "drop":
        k = draw(st.integers(0, len(order) - 1))
        grid = [r[:k] + r[k + 1 :] for r in grid]
        where = (order[k],)
    elif mutation == "duplicate":
        k = draw(st.integers(0, len(order) - 1))
        grid = [[*r, r[k]] for r in grid]
        where = (order[k],)
    out = io.StringIO()
    csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"])),
               lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(grid)  # fmt: skip
    data = out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])))
    if mutation == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif mutation == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at + 1 :]
    return data, cases, mutation, where


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite file of the tiny store with one RW of two RTs in Kelurahan B1."""
    from conftest import tiny_counts, tiny_regions, write_store

    path = tmp_path_factory.mktemp("template") / "rt.db"
    store = write_store(path, tiny_regions(), tiny_counts())
    rows = [
        ("33.02.01.1001.001", "RW 001", "rw", B1, 600.0),
        (RT1, "RT 001/RW 001", "rt", "33.02.01.1001.001", 300.0),
        (RT2, "RT 002/RW 001", "rt", "33.02.01.1001.001", 300.0),
    ]
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent", "population"])
    with store.transaction() as conn:
        store.write_regions(conn, frame, None)
    store.engine.dispose()
    return path


def _store_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


@fuzz(20)
@given(case=_damaged_line_list())
def test_fuzz_line_list_imports_right_or_writes_nothing(template_db, tmp_path_factory, case):
    data, cases, mutation, _ = case
    path = tmp_path_factory.mktemp("fuzz") / "store.db"
    shutil.copy(template_db, path)
    store = Store(str(path))
    niks = {p for p, _, _ in cases}
    try:
        before = _dump(store)
        try:
            result = import_linelist(store, data, filename="list.csv")
        except UploadRejected as exc:
            assert mutation != "none", str(exc)
            text = str(exc) + json.dumps(exc.report.to_dict())
            assert not any(p in text for p in niks), "a NIK in the rejection"
            assert _dump(store) == before  # nothing written, not even the upload
            return
        text = json.dumps(result.report.to_dict(), default=str)
        assert not any(p in text for p in niks), "a NIK in the report"
        store.engine.dispose()
        raw = _store_bytes(path)
        assert not any(p.encode() in raw for p in niks), "a NIK in the store"
        episodes = store.case_episodes()
        assert len(store.case_dates()) == result.changed
        # the day's new cases of each village are its episodes (RTs included) that day
        per_day = episodes.assign(region=episodes["region"].str[:13]).groupby(
            ["region", "episode_start"]).size()  # fmt: skip
        counts = store.counts().set_index(["region", "date"])["new_cases"]
        for (village, day), n in per_day.items():
            assert counts.loc[(village, pd.Timestamp(day))] == n
        if mutation == "none":
            first = {}
            for person, day, place in cases:
                first[person] = min(first.get(person, (day, place)), (day, place))
            assert len(episodes) == len(first)
            assert sorted(episodes["episode_start"]) == sorted(d for d, _ in first.values())
            assert sorted(episodes["region"]) == sorted(p for _, p in first.values())
    finally:
        store.engine.dispose()


@fuzz(60)
@given(case=_damaged_line_list())
def test_fuzz_line_list_reads_or_reports_without_a_nik(case):
    data, cases, mutation, _ = case
    frame, report = read_linelist(data, _REGIONS_WITH_RTS)
    niks = {p for p, _, _ in cases}
    text = json.dumps(report.to_dict(), default=str)
    assert not any(p in text for p in niks), "a NIK in the report"
    if mutation == "none":
        assert not report.has_errors, report.summary()
    if mutation == "duplicate":
        assert report.has_errors
    if report.has_errors:
        assert frame.empty and all(i.message for i in report.errors)
    else:
        assert set(frame.loc[~frame["unverified"], "nik"]) <= niks
        assert frame.loc[frame["unverified"], "nik"].isna().all()
        assert frame["row"].is_unique and (frame["row"] >= 2).all()


def _regions_with_rts() -> pd.DataFrame:
    frame = pd.DataFrame(tiny_regions().drop(columns="geometry"))
    rows = [
        ("33.02.01.1001.001", "RW 001", "rw", B1, 600.0),
        (RT1, "RT 001/RW 001", "rt", "33.02.01.1001.001", 300.0),
        (RT2, "RT 002/RW 001", "rt", "33.02.01.1001.001", 300.0),
    ]
    return pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)


_REGIONS_WITH_RTS = _regions_with_rts()
