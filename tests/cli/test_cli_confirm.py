"""``python -m zoning confirm`` and ``decisions``: the command-line contract of confirmed
zones (issue 17 item 6)."""

from __future__ import annotations

import csv
import io

import pytest

from zoning.cli import main

SCHEME = "harvard-ghi-2020"


def run(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def zones(capsys, db: str) -> dict[str, str]:
    out = run(capsys, "--db", db, "zones", "--scheme", SCHEME, "--level", "regency",
              "--date", "2021-07-15")  # fmt: skip
    return {row["code"]: row["zone"] for row in csv.DictReader(io.StringIO(out))}


def test_confirm_override_and_the_decisions_csv(tiny_store, capsys):
    db = tiny_store.url
    computed = zones(capsys, db)["33.01"]
    other = "green" if computed != "green" else "red"
    said = run(capsys, "--db", db, "confirm", "--scheme", SCHEME, "--region", "33.01",
               "--date", "2021-07-10")  # fmt: skip
    assert f"confirm {computed}" in said
    run(capsys, "--db", db, "confirm", "--scheme", SCHEME, "--region", "33.01",
        "--date", "2021-07-12", "--zone", other, "--reason", "=cmd|tracing, done")  # fmt: skip
    assert zones(capsys, db)["33.01"] == other
    out = run(capsys, "--db", db, "decisions", "--region", "33.01")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == (
        "id,region,scheme,level,start,end,computed_zone,zone,action,reason,decided_by,"
        "decided_at,superseded,superseded_days"
    )
    assert [r["action"] for r in rows] == ["confirm", "override"]
    assert [r["computed_zone"] for r in rows] == [computed, computed]
    assert rows[1]["zone"] == other and rows[1]["start"] == "2021-07-12" and rows[1]["end"] == ""
    assert rows[1]["reason"] == "'=cmd|tracing, done"  # spreadsheet-safe, comma kept
    assert rows[0]["decided_by"].startswith("cli")
    # the override from the 12th supersedes the confirmation from the 10th on from that day
    assert [r["superseded"] for r in rows] == ["False", "False"]
    assert [r["superseded_days"] for r in rows] == ["2021-07-12/..", ""]
    assert run(capsys, "--db", db, "decisions", "--region", "33.02").splitlines()[1:] == []


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--zone", "purple", "--reason", "x"], "option --zone: 'purple' is not a zone of"),
        (["--zone", "ZONE"], "option --reason: overriding the computed zone"),
        (["--reason", "why"], "option --reason: a reason goes with --zone"),
        (["--until", "2021-07-01"], "option --until: the period ends before it starts"),
    ],
)
def test_bad_decisions_are_named(tiny_store, capsys, extra, said):
    computed = zones(capsys, tiny_store.url)["33.01"]
    extra = [("green" if computed != "green" else "red") if e == "ZONE" else e for e in extra]
    capsys.readouterr()
    code = main(["--db", tiny_store.url, "confirm", "--scheme", SCHEME, "--region", "33.01",
                 "--date", "2021-07-10", *extra])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and said in err and "Traceback" not in err
    assert tiny_store.decisions().empty


def test_an_unknown_region_or_day(tiny_store, capsys):
    for region, day, said in (
        ("33.99", "2021-07-10", "option --region: no region '33.99'"),
        ("33.01", "2031-01-01", "option --date: the store has no data"),
    ):
        assert main(["--db", tiny_store.url, "confirm", "--scheme", SCHEME, "--region", region,
                     "--date", day]) == 2  # fmt: skip
        assert said in capsys.readouterr().err


def test_zones_keeps_its_columns_and_decisions_appends_what_the_zone_rests_on(tiny_store, capsys):
    db = tiny_store.url
    base = ["--db", db, "zones", "--scheme", SCHEME, "--level", "regency", "--date", "2021-07-15"]
    plain = run(capsys, *base)
    head = plain.splitlines()[0].split(",")
    assert head[:4] == ["code", "name", "date", "zone"]
    assert head[-4:] == ["window_complete", "provisional", "coverage", "at_least"]
    computed = zones(capsys, db)["33.01"]
    other = "green" if computed != "green" else "red"
    run(capsys, "--db", db, "confirm", "--scheme", SCHEME, "--region", "33.01",
        "--date", "2021-07-10", "--zone", other, "--reason", "traced")  # fmt: skip
    assert run(capsys, *base).splitlines()[0].split(",") == head  # unchanged without the flag
    out = run(capsys, *base, "--decisions")
    assert out.splitlines()[0].split(",") == [
        *head, "decided_zone", "computed_zone", "decision", "decided_by", "decided_on",
    ]  # fmt: skip
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["33.01"]["zone"], rows["33.01"]["decided_zone"]) == (other, other)
    assert (rows["33.01"]["computed_zone"], rows["33.01"]["decision"]) == (computed, "overridden")
    assert rows["33.01"]["decided_by"].startswith("cli") and rows["33.01"]["decided_on"]
    assert rows["33.02"]["decision"] == "unconfirmed"
    assert rows["33.02"]["decided_zone"] == rows["33.02"]["decided_by"] == ""
    assert rows["33.02"]["computed_zone"] == rows["33.02"]["zone"] != ""
    run(capsys, "--db", db, "confirm", "--scheme", SCHEME, "--region", "33.02",
        "--date", "2021-07-10")  # fmt: skip
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(run(capsys, *base, "--decisions")))}
    assert rows["33.02"]["decision"] == "confirmed"
    assert rows["33.02"]["decided_zone"] == rows["33.02"]["computed_zone"] == rows["33.02"]["zone"]
    # with --smooth, the decisions' columns stay last
    smooth = run(capsys, *base, "--smooth", "eb", "--decisions").splitlines()[0].split(",")
    assert smooth[-7:] == ["rate_smoothed", "p_above", "decided_zone", "computed_zone",
                           "decision", "decided_by", "decided_on"]  # fmt: skip
