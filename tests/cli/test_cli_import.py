"""The import commands of the command line: cases import and regions import."""

from __future__ import annotations

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


# --- issue 14: --duplicates, --strict and the report of how the file was read ------------------


SNAPSHOTS = (
    "tanggal,kode,total_kasus\n2021-07-22,33.01.01.2001,10\n2021-07-23,33.01.01.2001,12\n"
    "2021-07-23,33.01.01.2001,15\n2021-07-24,33.01.01.2001,14\n"
)


def test_cases_import_duplicates_and_strict(tiny_store: Store, tmp_path: Path, capsys):
    f = tmp_path / "scraped.csv"
    f.write_text(SNAPSHOTS)
    before = tiny_store.data_version()
    code, _, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f))
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: row 4: region 33.01.01.2001 on 2021-07-23 is also in row 3")
    assert "--duplicates first" in err and "--duplicates last" in err
    code, _, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f),
                        "--duplicates", "last", "--strict")  # fmt: skip
    assert code == 2 and "--strict refuses a total that falls" in err
    assert tiny_store.data_version() == before
    code, out, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(f),
                          "--duplicates", "last")  # fmt: skip
    assert code == 0, err
    assert "  place: column `kode`" in out.splitlines()
    assert "  repeated days: 1 row left out, the last of each kept (--duplicates last)" in out
    assert "read as a correction of -1 that day" in err
    stored = tiny_store.counts().set_index(["region", "date"])["new_cases"]
    assert stored[("33.01.01.2001", pd.Timestamp("2021-07-23"))] == 5
    assert stored[("33.01.01.2001", pd.Timestamp("2021-07-24"))] == -1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--duplicates", "latest"], "invalid choice: 'latest'"),
     (["--codes", "x"], "invalid choice: 'x'")],
)  # fmt: skip
def test_cases_import_refuses_other_choices(tiny_store: Store, tmp_path: Path, capsys, args,
                                            fragment):  # fmt: skip
    f = tmp_path / "k.csv"
    f.write_text(SNAPSHOTS)
    with pytest.raises(SystemExit) as exc:
        main(["--db", tiny_store.url, "cases", "import", str(f), *args])
    assert exc.value.code == 2 and fragment in capsys.readouterr().err


def test_regions_crosswalk_then_counts_with_bps_codes(tiny_store: Store, tmp_path: Path, capsys):
    walk = tmp_path / "padanan.csv"
    walk.write_text("kode_bps,kode_kemendagri\n3301010001,33.01.01.2001\n")
    code, out, err = _run(capsys, "--db", tiny_store.url, "regions", "crosswalk", str(walk))
    assert code == 0, err
    assert "1 codes given, 0 matched by name" in out
    counts = tmp_path / "bps.csv"
    counts.write_text("tanggal,kode,kasus_baru\n2021-07-22,3301010001,4\n")
    code, out, err = _run(capsys, "--db", tiny_store.url, "cases", "import", str(counts))
    assert code == 0, err
    assert "read through the crosswalk: 1 rows" in out
