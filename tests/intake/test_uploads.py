"""The upload page's library entry: preview writes nothing, commit writes all or nothing."""

from __future__ import annotations

import pytest

from zoning.intake import uploads
from zoning.intake.report import UploadRejected
from zoning.store import Store

GOOD = b"tanggal;kode;kasus_baru\n22/07/2021;33.01.01.2001;4\n23/07/2021;33.01.01.2001;6\n"
BAD = b"tanggal,kode,kasus_baru\n2021-07-22,99.99,4\n"


def _state(store: Store):
    return store.data_version(), len(store.uploads()), len(store.counts())


def test_preview_reads_and_writes_nothing(tiny_store: Store):
    before = _state(tiny_store)
    found = uploads.preview(tiny_store, GOOD, "kasus.csv", uploads.Options("counts"))
    assert found.total == 2
    assert list(found.rows["new_cases"]) == [4.0, 6.0]
    assert found.columns["date"] == "tanggal" and found.columns["new_cases"] == "kasus_baru"
    assert not found.report.has_errors
    assert _state(tiny_store) == before


def test_commit_writes_once(tiny_store: Store):
    result = uploads.commit(tiny_store, GOOD, "kasus.csv", uploads.Options("counts"), "Analis")
    assert result.changed == 2
    history = uploads.history(tiny_store)
    assert history.iloc[0]["created_by"] == "Analis"
    again = uploads.commit(tiny_store, GOOD, "kasus.csv", uploads.Options("counts"), "Analis")
    assert again.duplicate_of == result.upload_id


def test_rejected_upload_writes_nothing(tiny_store: Store):
    found = uploads.preview(tiny_store, BAD, "x.csv", uploads.Options("counts"))
    table = uploads.issues_table(found.report, "error", "en")
    assert list(table.columns) == ["Row", "File column", "Problem"]
    assert table.iloc[0]["Row"] == 2 and "99.99" in table.iloc[0]["Problem"]
    before = _state(tiny_store)
    with pytest.raises(UploadRejected, match="nothing was imported"):
        uploads.commit(tiny_store, BAD, "x.csv", uploads.Options("counts"), "Analis")
    assert _state(tiny_store) == before


def test_mapping_from_the_page_wins(tiny_store: Store):
    data = b"tanggal,kode,jumlah\n2021-07-22,33.01.01.2001,4\n"
    found = uploads.preview(tiny_store, data, "x.csv", uploads.Options("counts"))
    assert "new_cases" not in found.rows  # 'jumlah' is not a known name
    options = uploads.Options("counts", mapping={"jumlah": "new_cases"})
    found = uploads.preview(tiny_store, data, "x.csv", options)
    assert list(found.rows["new_cases"]) == [4.0]


def test_header_of_text_and_binary():
    assert uploads.header(b"Tanggal;Kode;Kasus_Baru\n1;2;3\n") == ["tanggal", "kode", "kasus_baru"]
    assert uploads.header(b"PK\x03\x04rest") == []
    assert "new_cases" in uploads.fields("counts")


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("en", ["No.", "When (UTC)", "By", "Kind", "File", "Rows", "Changed"]),
        ("id", ["No.", "Waktu (UTC)", "Oleh", "Jenis", "Berkas", "Baris", "Diubah"]),
    ],
)
def test_history_says_who_made_each_upload(tiny_store: Store, lang: str, names: list[str]):
    uploads.commit(tiny_store, GOOD, "kasus.csv", uploads.Options("counts"), "password:Bu Sari")
    history = uploads.history(tiny_store, lang)
    assert list(history.columns) == names
    assert list(history[names[2]]) == ["password:Bu Sari", "pytest"]  # newest first


def test_a_rerun_of_the_page_checks_the_same_file_once(tiny_store: Store, monkeypatch):
    from zoning.intake import counts

    calls = []
    real = counts._read_file
    monkeypatch.setattr(counts, "_read_file", lambda *a, **k: calls.append(1) or real(*a, **k))
    options = uploads.Options("counts")
    first = uploads.preview(tiny_store, GOOD, "kasus.csv", options)
    assert uploads.preview(tiny_store, GOOD, "kasus.csv", options) is first
    assert len(calls) == 1
    other = uploads.Options("counts", mapping={"kasus_baru": "new_cases"})
    assert uploads.preview(tiny_store, GOOD, "kasus.csv", other) is not first  # new choices
    uploads.commit(tiny_store, GOOD, "kasus.csv", options, "Analis")  # the data changes
    assert uploads.preview(tiny_store, GOOD, "kasus.csv", options) is not first
    assert len(calls) == 4  # first, new choices, the commit, the new data
