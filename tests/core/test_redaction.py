"""No NIK anywhere: one redaction (zoning.core.text.redact) for messages, file names, previews."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from zoning.core.errors import InputError
from zoning.core.text import HIDDEN, quote, redact
from zoning.intake import uploads
from zoning.intake.counts import import_counts, read_counts
from zoning.intake.linelist import read_linelist
from zoning.intake.report import Report
from zoning.store import Store

NIK = "3315061507850018"
WRITTEN = [
    NIK,
    "3315 0615 0785 0018",
    "3315.0615.0785.0018",
    "3315-0615-0785-0018",
    "3315,0615,0785,0018",
    "331506/150785/0018",
    "331506_150785_0018",
]
#: Any four digits of the NIK in a row: more than a message ever needs to show of it.
PIECES = re.compile("|".join(NIK[i : i + 6] for i in range(len(NIK) - 5)))


@pytest.fixture(autouse=True)
def _private_key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ZONING_SECRET_FILE", str(tmp_path / "keys" / "nik-secret"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("written", WRITTEN)
def test_every_way_of_writing_a_nik_is_hidden(written: str):
    assert redact(f"NIK {written} tidak valid") == f"NIK {HIDDEN} tidak valid"
    assert redact(f"kasus_{written}.csv") == f"kasus_{HIDDEN}.csv"


def test_codes_dates_and_lists_stay_readable():
    kept = [
        "33.74.01.1001",
        "33.02.01.1001.001.009 and 33.74.01.1001 33.74.01.1002",
        "2021-07-05 to 2021-07-19",
        "the code appears more than once (rows 1001, 1002, 1003, 1004, 1005)",
        "upload 12: 200000 rows read",
    ]
    for text in kept:
        assert redact(text) == text


def test_a_cell_is_redacted_before_it_is_cut():
    cell = f"konfirmasi tanggal 05/07/2021 NIK {NIK}"  # the NIK starts at character 35
    assert len(repr(cell[:40])) > 0 and NIK[:5] in cell[:40]  # cutting first would leak it
    assert not PIECES.search(quote(cell)) and NIK[:5] not in quote(cell)


def test_messages_and_issues_never_carry_a_nik():
    report = Report()
    report.error(f"'{WRITTEN[4]}' is not a region", 3, f"kolom {NIK}")
    assert HIDDEN in report.issues[0].message and HIDDEN in report.issues[0].column
    assert NIK not in str(InputError(f"'{WRITTEN[1]}' is bad", 2, "nik"))
    assert HIDDEN in str(InputError(f"'{WRITTEN[1]}' is bad", 2, "nik"))


def _all_text(report: Report) -> str:
    return json.dumps(report.to_dict(), default=str)


def test_a_date_message_of_a_counts_file_leaves_no_digits_of_a_nik(tiny_store: Store):
    data = f"tanggal;kode;kasus_baru\nkonfirmasi tanggal 05/07/2021 NIK {NIK};33.01.01.2001;4\n"
    _, report = read_counts(data.encode(), tiny_store.regions())
    assert report.has_errors and "not a date" in report.errors[0].message
    assert not PIECES.search(_all_text(report)), report.errors[0].message


def test_a_date_message_of_a_line_list_leaves_no_digits_of_a_nik(tiny_store: Store):
    other = "3301014101900001"
    data = (
        "nik,tanggal_konfirmasi,kode_desa\n"
        f"{other},konfirmasi tanggal 05/07/2021 NIK {NIK},33.01.01.2001\n"
    )
    _, report = read_linelist(data.encode(), tiny_store.regions())
    assert report.has_errors
    assert not PIECES.search(_all_text(report)), report.errors[0].message


def test_a_nik_written_with_commas_in_a_cell_is_hidden(tiny_store: Store):
    data = f'nik,tanggal_konfirmasi,kode_desa\n3301014101900001,2021-07-05,"{WRITTEN[4]}"\n'
    _, report = read_linelist(data.encode(), tiny_store.regions())
    assert report.has_errors
    assert "3315,0615" not in _all_text(report) and not PIECES.search(_all_text(report))


@pytest.mark.parametrize("written", [NIK, WRITTEN[3], WRITTEN[4]])
def test_a_nik_in_the_file_name_is_not_stored(tiny_store: Store, written: str):
    data = b"tanggal;kode;kasus_baru\n22/07/2021;33.01.01.2001;4\n"
    result = import_counts(tiny_store, data, filename=f"kasus_{written}.csv", author="Analis")
    assert result.upload_id is not None
    stored = tiny_store.uploads().iloc[-1]
    assert stored["filename"] == f"kasus_{HIDDEN}.csv"
    assert not PIECES.search(stored["report"]) and "0615,0785" not in stored["report"]


def test_the_preview_of_a_line_list_never_sends_nik_kk_or_address(tiny_store: Store):
    kk = "3301010101200001"
    data = (
        "nik,tanggal_konfirmasi,kode_desa,no_kk,alamat\n"
        f"{NIK},2021-07-05,33.01.01.2001,{kk},Jl. Pemuda No. 5 RT 3 RW 2\n"
        f"3301014101900001,2021-07-06,33.01.01.2001,,Gg. Melati 7\n"
    )
    found = uploads.preview(tiny_store, data.encode(), "daftar.csv", uploads.Options("linelist"))
    assert not found.report.has_errors
    assert set(found.masked) == {"nik", "no_kk", "address"}
    sent = found.rows.to_json(date_format="iso")
    for secret in (NIK, "3301014101900001", kk, "Pemuda", "Melati"):
        assert secret not in sent
    assert list(found.rows["nik"]) == [uploads.MASK, uploads.MASK]
    assert list(found.rows["no_kk"]) == [uploads.MASK, ""]  # an empty cell stays empty
    assert list(found.rows["region"]) == ["33.01.01.2001", "33.01.01.2001"]  # still checkable


def test_the_mapping_editor_gets_no_nik_from_a_file_without_a_header():
    assert uploads.header(f"{NIK};2021-07-05;33.01.01.2001\n".encode()) == [
        HIDDEN,
        "2021-07-05",
        "33.01.01.2001",
    ]


def test_a_reason_quoting_the_file_is_plain_text_in_markdown():
    from zoning.core.text import WORD_JOINER, escape_markdown

    shown = escape_markdown("kolom ![x](http://example.org/a.png) :red[merah] $x$ **tebal**")
    for raw in ("![", "](", ":red[", "**", "$x$"):
        assert raw not in shown
    assert (
        shown.replace("\\", "").replace(WORD_JOINER, "")
        == "kolom ![x](http://example.org/a.png) :red[merah] $x$ **tebal**"
    )


def test_the_command_line_never_prints_a_nik_from_a_file_name(tiny_store: Store, tmp_path, capsys):
    from zoning.cli import main

    missing = tmp_path / f"daftar_{WRITTEN[3]}.csv"  # no such file: the message names it
    code = main(["--db", tiny_store.url, "cases", "import", str(missing)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:") and HIDDEN in err
    assert not PIECES.search(err) and "0615-0785" not in err


@pytest.mark.parametrize(("error", "status"), [(OSError, 2), (RuntimeError, 1)])
def test_the_command_line_redacts_any_error(monkeypatch, capsys, error, status: int):
    from zoning import cli

    def fails(args):
        raise error(f"cannot open /data/kasus_{WRITTEN[4]}.csv")

    monkeypatch.setattr(cli, "cmd_schemes", fails)
    assert cli.main(["schemes"]) == status
    err = capsys.readouterr().err
    assert HIDDEN in err and "0615,0785" not in err


def test_upload_history_hides_a_nik_stored_before_redaction(tiny_store: Store):
    import sqlalchemy as sa

    from zoning.store import uploads as uploads_table

    with tiny_store.transaction() as conn:  # an old record, written raw
        conn.execute(
            sa.insert(uploads_table).values(
                kind="counts",
                filename=f"kasus_{NIK}.csv",
                created_at=dt.datetime(2021, 7, 1),
                created_by="cli:old",
                rows=1,
                changed=0,
            )
        )
    shown = uploads.history(tiny_store)
    assert f"kasus_{HIDDEN}.csv" in list(shown["filename"])
    assert not PIECES.search(shown.to_json(date_format="iso"))


def test_a_reader_message_about_a_long_file_name_leaves_no_digits_of_a_nik():
    import io
    import zipfile

    from zoning.intake.boundaries import read_regions

    stem = "batas_wilayah_kecamatan_semarang_tengah_kota_lama_" + NIK  # 50 letters first
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            archive.writestr(stem + ext, b"not a shapefile " * 20)
    with pytest.raises(InputError, match="not recognized") as refused:  # GDAL names the file
        read_regions(buffer.getvalue(), "district", None, filename="batas.zip")
    assert not PIECES.search(str(refused.value)), str(refused.value)


@pytest.mark.parametrize(
    "written",
    [
        "".join(chr(ord(c) + 0xFEE0) for c in NIK),
        "3315\u202f0615\u202f0785\u202f0018",
        "3315\u00a00615\u00a00785\u00a00018",  # repr() wrote \xa0: redacted after, it leaked
    ],
    ids=["full-width digits", "narrow no-break spaces", "no-break spaces"],
)
def test_a_nik_in_other_digits_or_spaces_leaves_no_trace_in_a_report(tiny_store: Store, written):
    """A region cell: the resolver's message quotes it redacted before repr() escapes it."""
    data = f"tanggal;kode;kasus_baru\n2021-07-05;{written};4\n".encode()
    _, report = read_counts(data, tiny_store.regions())
    assert report.has_errors and HIDDEN in report.errors[0].message
    assert written not in _all_text(report) and written not in report.summary()
