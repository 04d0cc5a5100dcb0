"""Tests for zoning.cli: ``python -m zoning`` run in-process through ``main``.

The classify tests reproduce the published CDC COVID-19 Community Levels and WHO community
transmission tables cell by cell; expected zones are written out here, not read from the
scheme files.
"""

from __future__ import annotations

import csv
import io

import pytest

from zoning.cli import main

BUILTIN_IDS = {
    "ppkm-mikro-2021-02",
    "ppkm-mikro-2021-04",
    "who-ct-2021",
    "cdc-transmission-2021",
    "cdc-community-levels-2022",
    "harvard-ghi-2020",
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        rc = main(list(argv))
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def rows_of(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def write_csv(path, header: list[str], rows: list[list[str]], sep: str = ",") -> str:
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def assert_one_line_error(rc: int, out: str, err: str, *fragments: str) -> None:
    assert rc == 2, (rc, err)
    assert "Traceback" not in err
    assert out == ""
    assert err.endswith("\n")
    assert err.count("\n") == 1, err  # exactly one line
    assert err.startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


# --- schemes -------------------------------------------------------------------------------


def test_schemes_lists_all_builtins(capsys):
    rc, out, err = run(capsys, "schemes")
    assert rc == 0 and err == ""
    rows = rows_of(out)
    assert {r["id"] for r in rows} == BUILTIN_IDS
    assert len(rows) == 6
    zones = {r["id"]: r["zones"] for r in rows}
    assert zones["who-ct-2021"] == "level-1 level-2 level-3 level-4"
    assert zones["cdc-community-levels-2022"] == "low medium high"
    assert zones["cdc-transmission-2021"] == "low moderate substantial high"
    assert zones["ppkm-mikro-2021-02"] == "green yellow orange red"
    by_id = {r["id"]: r for r in rows}
    assert by_id["ppkm-mikro-2021-02"]["effective_from"] == "2021-02-09"
    assert by_id["ppkm-mikro-2021-04"]["effective_from"] == "2021-04-06"
    assert by_id["cdc-community-levels-2022"]["effective_from"] == "2022-02-25"
    assert by_id["ppkm-mikro-2021-04"]["levels"] == "rt"


# --- classify: the published tables -------------------------------------------------------

# cases per 100k (7 days), admissions per 100k (7 days), inpatient beds %, level; "" = blank
CDC_CL = [
    ("0", "0", "0", "low"),
    ("199.99", "9.99", "", "low"),
    ("199.99", "10", "", "medium"),
    ("199.99", "19.99", "", "medium"),
    ("199.99", "20", "", "high"),
    ("199.99", "", "9.99", "low"),
    ("199.99", "", "10", "medium"),
    ("199.99", "", "14.99", "medium"),
    ("199.99", "", "15", "high"),
    ("199.99", "9.99", "9.99", "low"),
    ("199.99", "9.99", "15", "high"),
    ("199.99", "20", "0", "high"),
    ("199.99", "19.99", "14.99", "medium"),
    ("200", "0", "", "medium"),
    ("200", "9.99", "", "medium"),
    ("200", "10", "", "high"),
    ("200", "19.99", "", "high"),
    ("200", "20", "", "high"),
    ("200", "", "9.99", "medium"),
    ("200", "", "10", "high"),
    ("200", "", "14.99", "high"),
    ("200", "", "15", "high"),
    ("200", "9.99", "9.99", "medium"),
    ("200", "9.99", "10", "high"),
    ("1500", "0", "0", "medium"),
    ("", "25", "20", ""),  # cases missing: no level
    ("150", "", "", ""),  # no hospital indicator: no level
]


def test_classify_reproduces_cdc_community_levels(capsys, tmp_path):
    header = [
        "region",
        "date",
        "cases_7d_per_100k",
        "admissions_7d_per_100k",
        "inpatient_covid_pct",
    ]
    body = [[f"33.{i + 1:02d}", "2022-03-01", c, a, p] for i, (c, a, p, _) in enumerate(CDC_CL)]
    path = write_csv(tmp_path / "cdc.csv", header, body)
    rc, out, err = run(capsys, "classify", path, "--scheme", "cdc-community-levels-2022")
    assert rc == 0, err
    assert err == ""
    assert out.splitlines()[0] == "region,date,zone"
    rows = rows_of(out)
    assert [r["region"] for r in rows] == [b[0] for b in body]
    assert all(r["date"] == "2022-03-01" for r in rows)
    got = [(r["region"], r["zone"]) for r in rows]
    expected = [(b[0], z) for b, (*_, z) in zip(body, CDC_CL, strict=True)]
    assert got == expected


# cases, admissions, deaths (per 100k per week), level
WHO = [
    ("0", "", "", "level-1"),
    ("19.99", "4.99", "0.99", "level-1"),
    ("20", "", "", "level-2"),
    ("49.99", "", "", "level-2"),
    ("50", "", "", "level-3"),
    ("149.99", "", "", "level-3"),
    ("150", "", "", "level-4"),
    ("0", "4.99", "", "level-1"),
    ("0", "5", "", "level-2"),
    ("0", "9.99", "", "level-2"),
    ("0", "10", "", "level-3"),
    ("0", "29.99", "", "level-3"),
    ("0", "30", "", "level-4"),
    ("0", "", "0.99", "level-1"),
    ("0", "", "1", "level-2"),
    ("0", "", "1.99", "level-2"),
    ("0", "", "2", "level-3"),
    ("0", "", "4.99", "level-3"),
    ("0", "", "5", "level-4"),
    ("10", "0", "5", "level-4"),  # highest of the three
    ("25", "12", "0.5", "level-3"),
    ("", "40", "6", ""),  # cases missing
]


def test_classify_reproduces_who_levels(capsys, tmp_path):
    header = ["region", "date", "cases_7d_per_100k", "admissions_7d_per_100k", "deaths_7d_per_100k"]
    body = [[f"33.{i + 1:02d}", "2021-07-05", c, a, d] for i, (c, a, d, _) in enumerate(WHO)]
    path = write_csv(tmp_path / "who.csv", header, body)
    rc, out, err = run(capsys, "classify", path, "--scheme", "who-ct-2021")
    assert rc == 0, err
    assert [r["zone"] for r in rows_of(out)] == [w[-1] for w in WHO]


@pytest.mark.parametrize(
    ("scheme", "houses", "expected"),
    [
        (
            "ppkm-mikro-2021-02",
            "0 1 2 3 5 6 10 11",
            "green yellow yellow yellow yellow orange orange red",
        ),
        (
            "ppkm-mikro-2021-04",
            "0 1 2 3 5 6 10 11",
            "green yellow yellow orange orange red red red",
        ),
    ],
)
def test_classify_ppkm(capsys, tmp_path, scheme, houses, expected):
    body = [
        [f"33.74.01.1001.001.{i + 1:03d}", "2021-04-10", h] for i, h in enumerate(houses.split())
    ]
    path = write_csv(tmp_path / "rt.csv", ["region", "date", "houses_7d"], body)
    rc, out, err = run(capsys, "classify", path, "--scheme", scheme)
    assert rc == 0, err
    assert [r["zone"] for r in rows_of(out)] == expected.split()


def test_classify_with_only_some_metric_columns(capsys, tmp_path):
    path = write_csv(
        tmp_path / "m.csv", ["region", "date", "cases_7d_per_100k"], [["33.01", "2021-07-05", "60"]]
    )
    rc, out, err = run(capsys, "classify", path, "--scheme", "who-ct-2021")
    assert rc == 0, err
    assert rows_of(out) == [{"region": "33.01", "date": "2021-07-05", "zone": "level-3"}]


# --- file formats ----------------------------------------------------------------------------


def test_semicolon_decimal_comma_and_bom(capsys, tmp_path):
    text = (
        "region;date;cases_7d_per_100k;positivity_7d_pct\n"
        "33.01;01/07/2021;12,5;\n"
        "33.02;2 Juli 2021;9,99;10\n"
        "33.03;2021-07-03;100;\n"
    )
    path = tmp_path / "semi.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    rc, out, err = run(capsys, "classify", str(path), "--scheme", "cdc-transmission-2021")
    assert rc == 0, err
    assert rows_of(out) == [
        {"region": "33.01", "date": "2021-07-01", "zone": "moderate"},
        {"region": "33.02", "date": "2021-07-02", "zone": "high"},
        {"region": "33.03", "date": "2021-07-03", "zone": "high"},
    ]


def test_utf8_bom_comma_file_crlf_and_header_case(capsys, tmp_path):
    text = (
        "Region , DATE,Cases_Daily_Per_100k_Avg7\r\n"
        "33.01,2021-07-01,0.99\r\n"
        "33.02,2021-07-01,25\r\n"
    )
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    rc, out, err = run(capsys, "classify", str(path), "--scheme", "harvard-ghi-2020")
    assert rc == 0, err
    assert [r["zone"] for r in rows_of(out)] == ["green", "red"]


def test_tab_separated_and_windows_1252(capsys, tmp_path):
    text = "region\tname\tdate\thouses_7d\n33.74.01.1001.001.001\tKécamatan\t2021-04-10\t3\n"
    path = tmp_path / "tab.csv"
    path.write_bytes(text.encode("cp1252"))
    rc, out, err = run(capsys, "classify", str(path), "--scheme", "ppkm-mikro-2021-04")
    assert rc == 0, err
    assert [r["zone"] for r in rows_of(out)] == ["orange"]


def test_formula_like_region_is_neutralised(capsys, tmp_path):
    path = write_csv(
        tmp_path / "f.csv", ["region", "date", "houses_7d"], [["=1+1", "2021-04-10", "0"]]
    )
    rc, out, err = run(capsys, "classify", path, "--scheme", "ppkm-mikro-2021-04")
    assert rc == 0, err
    assert rows_of(out)[0]["region"] == "'=1+1"


# --- a custom scheme file ------------------------------------------------------------------

CUSTOM = """
id = "kota-test"
name = { id = "Uji kota", en = "City test" }
levels = ["village"]
metrics = ["cases_7d_per_100k", "positivity_7d_pct"]
requires = ["cases_7d_per_100k"]

[source]
title = "A test scheme"

[[zones]]
id = "green"
colour = "#66c2a5"
label = { id = "Hijau", en = "Green" }

[[zones]]
id = "yellow"
colour = "#ffd92f"
label = { id = "Kuning", en = "Yellow" }

[[zones]]
id = "red"
colour = "#b2182b"
label = { id = "Merah", en = "Red" }

[[rules]]
metric = "cases_7d_per_100k"
thresholds = { yellow = 10, red = 50 }

[[rules]]
zone = "red"
when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"
"""


def test_classify_with_scheme_file(capsys, tmp_path):
    scheme = tmp_path / "mine.toml"
    scheme.write_text(CUSTOM, encoding="utf-8")
    body = [
        ["33.01", "2021-07-01", "9.99", ""],
        ["33.02", "2021-07-01", "10", ""],
        ["33.03", "2021-07-01", "50", ""],
        ["33.04", "2021-07-01", "5", "20"],
        ["33.05", "2021-07-01", "4.99", "90"],
        ["33.06", "2021-07-01", "", "90"],
    ]
    path = write_csv(
        tmp_path / "m.csv", ["region", "date", "cases_7d_per_100k", "positivity_7d_pct"], body
    )
    rc, out, err = run(capsys, "classify", path, "--scheme-file", str(scheme))
    assert rc == 0, err
    assert [r["zone"] for r in rows_of(out)] == ["green", "yellow", "red", "red", "green", ""]


# --- bad input: exit 2, one line, no traceback -------------------------------------------

HEADER = ["region", "date", "cases_7d_per_100k", "admissions_7d_per_100k", "deaths_7d_per_100k"]
GOOD = ["33.01", "2021-07-05", "10", "1", "0"]


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        (
            [GOOD, ["33.02", "2021-07-05", "abc", "1", "0"]],
            ["row 3", "column 'cases_7d_per_100k'", "'abc' is not a number"],
        ),
        ([["33.01", "2021-13-45", "10", "1", "0"]], ["row 2", "column 'date'", "not a date"]),
        ([["33.01", "yesterday", "10", "1", "0"]], ["row 2", "column 'date'", "'yesterday'"]),
        (
            [GOOD, GOOD, ["33.03", "2021-07-05", "10", "-1", "0"]],
            ["row 4", "column 'admissions_7d_per_100k'", "negative"],
        ),
        (
            [GOOD, ["33.02", "2021-07-05", "10", "1", '"1,5,6"']],
            ["row 3", "column 'deaths_7d_per_100k'", "not a number"],
        ),
        ([GOOD, ["", "2021-07-05", "10", "1", "0"]], ["row 3", "column 'region'", "empty"]),
        ([GOOD, [*GOOD, "extra"]], ["row 3", "cells"]),
    ],
    ids=[
        "non-numeric",
        "bad-date",
        "word-date",
        "negative",
        "garbled-number",
        "empty-region",
        "too-many-cells",
    ],
)
def test_bad_cells_name_row_and_column(capsys, tmp_path, rows, fragments):
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    rc, out, err = run(capsys, "classify", path, "--scheme", "who-ct-2021")
    assert_one_line_error(rc, out, err, *fragments)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"", ["the file is empty"]),
        (b"\n\n  \n", ["the file is empty"]),
        (b"region,date,cases_7d_per_100k\n", ["header but no rows"]),
        (b"code,date,cases_7d_per_100k\n33.01,2021-07-05,1\n", ["no 'region' column"]),
        (b"region,day,cases_7d_per_100k\n33.01,2021-07-05,1\n", ["no 'date' column"]),
        (b"region,date,houses_7d\n33.01,2021-07-05,1\n", ["none of the metrics", "who-ct-2021"]),
        (b"region,date,date\n33.01,2021-07-05,1\n", ["'date' appears more than once"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ["not a text (CSV) file"]),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", ["not a text (CSV) file"]),
    ],
    ids=[
        "empty",
        "blank-lines",
        "header-only",
        "no-region",
        "no-date",
        "no-metric",
        "dup-column",
        "png",
        "xlsx",
    ],
)
def test_bad_files(capsys, tmp_path, content, fragments):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    rc, out, err = run(capsys, "classify", str(path), "--scheme", "who-ct-2021")
    assert_one_line_error(rc, out, err, *fragments)


def test_unknown_scheme(capsys, tmp_path):
    path = write_csv(tmp_path / "m.csv", HEADER, [GOOD])
    rc, out, err = run(capsys, "classify", path, "--scheme", "nope")
    assert_one_line_error(rc, out, err, "unknown scheme 'nope'", "who-ct-2021")


def test_missing_file_and_folder(capsys, tmp_path):
    rc, out, err = run(capsys, "classify", str(tmp_path / "missing.csv"), "--scheme", "who-ct-2021")
    assert_one_line_error(rc, out, err, "no such file")
    rc, out, err = run(capsys, "classify", str(tmp_path), "--scheme", "who-ct-2021")
    assert_one_line_error(rc, out, err, "is a folder")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("id = = 1", ["bad.toml", "not valid TOML"]),
        (
            CUSTOM.replace("{ yellow = 10, red = 50 }", "{ yellow = 50, red = 10 }"),
            ["bad.toml", "rules[1].thresholds"],
        ),
        (
            CUSTOM.replace(
                'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
                "when = \"__import__('os').system('echo hacked')\"",
            ),
            ["bad.toml", "rules[2].when"],
        ),
        (CUSTOM.replace('colour = "#ffd92f"', 'colour = "gold"'), ["zones[2].colour"]),
        (  # more digits than Python reads: was "unexpected ValueError", exit status 1
            CUSTOM.replace("yellow = 10", "yellow = " + "9" * 5000),
            ["bad.toml", "rules[1].thresholds.yellow", "5000 digits"],
        ),
    ],
    ids=["malformed", "thresholds", "injection", "colour", "5000-digits"],
)
def test_bad_scheme_file(capsys, tmp_path, text, fragments):
    scheme = tmp_path / "bad.toml"
    scheme.write_text(text, encoding="utf-8")
    path = write_csv(tmp_path / "m.csv", HEADER, [GOOD])
    rc, out, err = run(capsys, "classify", path, "--scheme-file", str(scheme))
    assert_one_line_error(rc, out, err, *fragments)
    assert "hacked" not in out + err


def test_missing_scheme_file(capsys, tmp_path):
    path = write_csv(tmp_path / "m.csv", HEADER, [GOOD])
    rc, out, err = run(capsys, "classify", path, "--scheme-file", str(tmp_path / "none.toml"))
    assert_one_line_error(rc, out, err, "none.toml", "cannot read")


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "m.csv"],  # neither --scheme nor --scheme-file
        ["classify", "m.csv", "--scheme", "who-ct-2021", "--scheme-file", "x.toml"],
        ["no-such-command"],
        [],
    ],
)
def test_usage_errors_are_one_line(capsys, argv):
    rc, out, err = run(capsys, *argv)
    assert_one_line_error(rc, out, err)


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e999"])
def test_infinite_metric_is_rejected(capsys, tmp_path, value):
    path = write_csv(tmp_path / "m.csv", HEADER, [["33.01", "2021-07-05", value, "", ""]])
    rc, out, err = run(capsys, "classify", path, "--scheme", "who-ct-2021")
    assert_one_line_error(rc, out, err, "row 2", "column 'cases_7d_per_100k'")


def test_scheme_file_with_array_metric_exits_2(capsys, tmp_path):
    scheme = tmp_path / "bad.toml"
    scheme.write_text(
        CUSTOM.replace('metric = "cases_7d_per_100k"', 'metric = ["cases_7d_per_100k"]'),
        encoding="utf-8",
    )
    path = write_csv(tmp_path / "m.csv", HEADER, [GOOD])
    rc, out, err = run(capsys, "classify", path, "--scheme-file", str(scheme))
    assert_one_line_error(rc, out, err, "rules[1].metric")


def test_zones_command_says_coverage_and_at_least(tmp_path, capsys):
    """A regency one of whose two villages missed a day: its zone is a lower bound, and the
    CSV says so (``coverage`` 0.5, ``at_least`` true) instead of leaving it blank."""
    import pandas as pd
    from conftest import tiny_counts, tiny_regions, write_store

    counts = tiny_counts()
    gap = (counts["region"] == "33.01.01.2002") & (counts["date"] == "2021-07-15")
    store = write_store(tmp_path / "gap.db", tiny_regions(), counts[~gap])
    code = main(
        ["--db", store.url, "zones", "--scheme", "who-ct-2021", "--level", "regency",
         "--date", "2021-07-16"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert frame.columns[-2:].tolist() == ["coverage", "at_least"]
    assert frame["coverage"].tolist() == [0.5, 1.0]
    assert frame["at_least"].tolist() == [True, False]
    assert frame["zone"].tolist() == ["level-4", "level-4"]
