"""Tests for zoning.intake.report: the validation report of an upload (Issue, Report,
UploadRejected, ImportResult)."""

from __future__ import annotations

import json

import pytest

from zoning.core.errors import InputError
from zoning.core.text import HIDDEN
from zoning.intake.report import MAX_LISTED, ImportResult, Issue, Report, UploadRejected

NIK = "3315061507850018"


def test_an_issue_says_where_in_spreadsheet_terms():
    assert str(Issue("error", "not a date", 3, "tanggal")) == "row 3, column 'tanggal': not a date"
    assert str(Issue("warning", "x", None, "--region")) == "option --region: x"
    assert str(Issue("error", "empty file")) == "empty file"


def test_issues_keep_their_order_and_severities_are_counted_apart():
    report = Report()
    report.warn("w1", 5, "a")
    report.error("e1", 2, "b")
    report.warn("w2", 3)
    report.error("e2")
    assert [i.message for i in report.issues] == ["w1", "e1", "w2", "e2"]
    assert [i.message for i in report.errors] == ["e1", "e2"]
    assert [i.message for i in report.warnings] == ["w1", "w2"]
    assert report.counts == {"error": 2, "warning": 2}
    assert report.has_errors


def test_a_report_with_only_warnings_has_no_errors():
    report = Report()
    assert not report.has_errors and report.summary() == "no problems found"
    report.warn("kolom tidak dipakai")
    assert not report.has_errors and report.summary() == "1 warning"
    report.warn("lagi")
    assert report.summary() == "2 warnings"
    report.raise_if_errors()  # nothing to raise


def test_beyond_the_listed_issues_problems_are_still_counted():
    report = Report()
    for k in range(MAX_LISTED + 5):
        report.error(f"bad {k}", k + 2)
    assert report.counts["error"] == MAX_LISTED + 5
    assert len(report.errors) == MAX_LISTED
    assert report.errors[-1].message == f"bad {MAX_LISTED - 1}"  # the first ones are kept


def test_many_warnings_never_crowd_out_the_first_error():
    """A boundary file with a thousand repaired shapes, then one error: the error is listed,
    and the summary and the refusal name it (it was an IndexError)."""
    report = Report()
    for k in range(MAX_LISTED + 10):
        report.warn("the geometry was invalid and was repaired", k + 2, "geometry")
    report.error("the code appears more than once", 5000, "kode")
    assert report.counts == {"error": 1, "warning": MAX_LISTED + 10}
    assert [str(i) for i in report.errors] == [
        "row 5000, column 'kode': the code appears more than once"
    ]
    assert report.summary().startswith("row 5000, column 'kode': the code appears")
    with pytest.raises(UploadRejected) as refused:
        report.raise_if_errors()
    assert (refused.value.row, refused.value.column) == (5000, "kode")


def test_the_summary_names_the_first_error_and_counts_the_rest():
    report = Report()
    report.warn("w")
    report.error("'X' is not a number", 4, "kasus")
    assert report.summary() == "row 4, column 'kasus': 'X' is not a number; nothing was imported"
    report.error("second")
    assert report.summary() == (
        "row 4, column 'kasus': 'X' is not a number (and 1 more error); nothing was imported"
    )
    report.error("third")
    assert "(and 2 more errors)" in report.summary()


def test_a_refused_upload_carries_its_report_and_its_first_error():
    report = Report()
    report.error("unknown region 'Atlantis'", 7, "kode")
    report.error("'x' is not a date", 9, "tanggal")
    with pytest.raises(UploadRejected) as refused:
        report.raise_if_errors()
    exc = refused.value
    assert isinstance(exc, InputError) and exc.report is report
    assert (exc.row, exc.column, exc.bare) == (7, "kode", "unknown region 'Atlantis'")
    assert str(exc) == report.summary()
    assert str(exc) == (
        "row 7, column 'kode': unknown region 'Atlantis' (and 1 more error); nothing was imported"
    )


@pytest.mark.parametrize("written", [NIK, "3315 0615 0785 0018", "3315-0615-0785-0018"])
def test_no_message_column_or_refusal_carries_a_nik(written):
    report = Report()
    report.error(f"'{written}' is not a region", 3, f"kolom {written}")
    report.warn(f"NIK {written} twice", 4)
    text = json.dumps(report.to_dict()) + report.summary()
    with pytest.raises(UploadRejected) as refused:
        report.raise_if_errors()
    text += str(refused.value) + str(refused.value.column) + refused.value.bare
    assert "0615" not in text and HIDDEN in report.errors[0].message
    assert report.errors[0].column == f"kolom {HIDDEN}"


def test_the_stored_form_is_plain_json_and_a_copy_of_the_counts():
    report = Report()
    report.error("e", 2, "a")
    report.warn("w")
    report.facts.update(rows=2, file="kasus.csv")
    stored = report.to_dict()
    assert json.loads(json.dumps(stored)) == {
        "counts": {"error": 1, "warning": 1},
        "issues": [
            {"severity": "error", "message": "e", "row": 2, "column": "a"},
            {"severity": "warning", "message": "w", "row": None, "column": None},
        ],
        "facts": {"rows": 2, "file": "kasus.csv"},
    }
    report.error("later")
    assert stored["counts"]["error"] == 1  # what was stored does not change afterwards


def test_what_an_accepted_upload_says():
    clean = Report()
    assert ImportResult(4, 120, 118, clean).summary() == "upload 4: 120 rows read, 118 changed"
    warned = Report()
    warned.warn("w")
    assert ImportResult(5, 1, 1, warned).summary() == "upload 5: 1 row read, 1 changed, 1 warning"
    warned.warn("w2")
    assert ImportResult(5, 2, 0, warned).summary().endswith(", 2 warnings")
    again = ImportResult(None, 120, 0, clean, duplicate_of=4)
    assert again.summary() == "this file was already imported (upload 4); nothing changed"


def test_a_boundary_file_of_many_repaired_shapes_and_one_error_is_refused_with_its_report():
    """The same through the reader: each repaired shape is a warning of its own."""
    from conftest import tiny_regions

    from zoning.intake.boundaries import read_regions

    def village(k: int, ring: list) -> dict:
        properties = {"kode": f"33.01.01.{3000 + k % (MAX_LISTED + 5)}", "nama": f"Desa {k}"}
        polygon = {"type": "Polygon", "coordinates": [ring]}
        return {"type": "Feature", "properties": properties, "geometry": polygon}

    features = []
    for k in range(MAX_LISTED + 5):
        x, y = (k % 50) * 0.01, (k // 50) * 0.01
        bowtie = [[x, y], [x + 0.01, y + 0.01], [x + 0.01, y], [x, y + 0.01], [x, y]]
        features.append(village(k, bowtie))
    features.append(village(MAX_LISTED + 5, [[0, 0], [0.001, 0], [0.001, 0.001], [0, 0]]))
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    _, report = read_regions(data, "village", tiny_regions(), filename="desa.geojson")
    assert report.counts["warning"] >= MAX_LISTED and report.counts["error"] == 1
    assert "appears more than once" in report.summary()
