"""The import commands of the command line: cases import and regions import."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from zoning.cli import main
from zoning.store import Store


@pytest.fixture
def tiny_store(tiny_store_sql: Store) -> Store:
    """Every command here runs against SQLite and against PostgreSQL (``--db URL``)."""
    return tiny_store_sql


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cases_import_counts_with_mapping(tiny_store: Store, tmp_path: Path, capsys):
    f = tmp_path / "kasus.csv"
    f.write_text("tanggal;kode;jumlah\n22/07/2021;Desa A1;4\n23/07/2021;Desa A1;6\n", "cp1252")
    code, out, err = _run(
        capsys, "--db", tiny_store.url, "cases", "import", str(f), "--map", "jumlah=new_cases"
    )
    assert code == 0, err
    assert "2 rows read, 2 changed" in out
    stored = tiny_store.counts().set_index(["region", "date"])
    assert stored.loc[("33.01.01.2001", pd.Timestamp("2021-07-23")), "new_cases"] == 6
    uploads = tiny_store.uploads()
    assert uploads.iloc[-1]["created_by"].startswith("cli")


def test_cases_import_rejects_with_one_line(tiny_store: Store, tmp_path: Path, capsys):
    f = tmp_path / "bad.csv"
    f.write_text("tanggal,kode,kasus_baru\n2021-07-22,33.01.01.2001,-4\n")
    before = tiny_store.data_version()
    code, _out, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f))
    assert code == 2
    assert err.count("\n") == 1 and "row 2" in err and "kasus_baru" in err
    assert "Traceback" not in err
    assert tiny_store.data_version() == before


def test_bad_map_option(tiny_store: Store, tmp_path: Path, capsys):
    f = tmp_path / "k.csv"
    f.write_text("tanggal,kode,kasus_baru\n2021-07-22,33.01.01.2001,4\n")
    code, _, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f), "--map", "x")
    assert code == 2 and "option --map" in err


def test_regions_import_csv_list_then_list(tiny_store: Store, tmp_path: Path, capsys):
    f = tmp_path / "rw.csv"
    f.write_text("kode,nama,penduduk\n33.01.01.2001.001,RW 1,400\n33.01.01.2001.002,RW 2,600\n")
    code, out, err = _run(
        capsys, "--db", tiny_store.url, "regions", "import", str(f), "--level", "rw"
    )
    assert code == 0, err
    code, out, _ = _run(capsys, "--db", tiny_store.url, "regions", "list", "--level", "rw")
    assert out.splitlines() == [
        "code,name,level,parent,population",
        "33.01.01.2001.001,RW 1,rw,33.01.01.2001,400",
        "33.01.01.2001.002,RW 2,rw,33.01.01.2001,600",
    ]


# --- line lists: what they cover, and their rows without a valid NIK -------------------------

A1, A2 = "33.01.01.2001", "33.01.01.2002"
LINES = (
    "nik,tanggal_konfirmasi,kode_desa\n"
    f"3301010101900001,2021-07-22,{A1}\n"
    f"3301010101900002,2021-07-24,{A2}\n"
    f"33010101019,2021-07-24,{A2}\n"  # 11 digits: an unverified case
)


def test_cases_import_linelist_says_what_it_covers_and_counts_unverified_rows(
    tiny_store: Store, tmp_path: Path, capsys, private_key_file
):
    f = tmp_path / "kasus.csv"
    f.write_text(LINES)
    code, out, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f),
                          "--kind", "linelist")  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("upload ") and "3 rows read" in lines[0]
    assert lines[1] == (
        "Coverage: the 2 villages the file names (and their RTs), 2021-07-22 to 2021-07-24 "
        "(3 days). Within it, a day without a case is a zero."
    )
    assert lines[2].startswith("1 of 3 rows counted (33.3 %) have no valid NIK")
    assert "row 4, column 'nik': not 16 digits (it has 11); counted as an unverified case" in err
    stored = tiny_store.coverage()
    assert stored["region"].tolist() == [A1, A2]
    counts = tiny_store.counts().set_index(["region", "date"])
    assert counts.loc[(A2, pd.Timestamp("2021-07-24")), "new_cases_unverified"] == 1


def test_cases_import_linelist_with_coverage_given_and_unverified_left_out(
    tiny_store: Store, tmp_path: Path, capsys, private_key_file
):
    f = tmp_path / "kasus.csv"
    f.write_text(LINES)
    code, out, err = _run(
        capsys, "--db", tiny_store.url, "cases", "import", str(f), "--kind", "linelist",
        "--covers", "33.01, 3302", "--from", "20/07/2021", "--to", "2021-07-25",
        "--exclude-unverified",
    )  # fmt: skip
    assert code == 0, err
    assert "Coverage: 33.01, 33.02, 2021-07-20 to 2021-07-25 (6 days)." in out
    assert "1 rows without a valid NIK were left out." in out
    assert tiny_store.coverage()[["region", "first", "last"]].values.tolist() == [
        ["33.01", pd.Timestamp("2021-07-20"), pd.Timestamp("2021-07-25")],
        ["33.02", pd.Timestamp("2021-07-20"), pd.Timestamp("2021-07-25")],
    ]
    options = json.loads(tiny_store.uploads()["report"].iloc[-1])["facts"]["options"]
    assert options["covers"] == ["33.01", "33.02"] and options["exclude_unverified"] is True
    assert (options["from"], options["to"]) == ("2021-07-20", "2021-07-25")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--covers", "33.09"], "option --covers: '33.09' is not the code of a region"),
        (["--covers", "Semarang"], "option --covers: 'Semarang' is not the code of a region"),
        (["--from", "kemarin"], "option --from: 'kemarin' is not a date"),
        (["--to", "2099-01-01"], "option --to: 2099-01-01 is after today"),
        (["--from", "2021-07-30", "--to", "2021-07-01"], "option --from: the coverage starts"),
    ],
)
def test_cases_import_linelist_refuses_a_coverage_that_is_not_one(
    tiny_store: Store, tmp_path: Path, capsys, private_key_file, args, message
):
    f = tmp_path / "kasus.csv"
    f.write_text(LINES)
    before = tiny_store.data_version()
    code, _, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f),
                        "--kind", "linelist", *args)  # fmt: skip
    assert code == 2 and message in err and "nothing was imported" in err, err
    assert tiny_store.data_version() == before


def test_coverage_options_only_go_with_line_lists(tiny_store: Store, tmp_path: Path, capsys):
    f = tmp_path / "k.csv"
    f.write_text("tanggal,kode,kasus_baru\n2021-07-22,33.01.01.2001,4\n")
    before = tiny_store.data_version()
    code, _, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f),
                        "--covers", "33", "--exclude-unverified")  # fmt: skip
    assert code == 2 and "--covers, --exclude-unverified only go with --kind linelist" in err
    assert tiny_store.data_version() == before
