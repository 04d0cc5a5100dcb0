"""The command-line contracts of issue 17: ``rt``, ``hotspots``, ``changes`` and
``zones --smooth``, from raw counts in a store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_regions, two_zone_scheme, write_store

from zoning.cli import main
from zoning.model import rt


def run(capsys, *args: str) -> list[dict[str, str]]:
    capsys.readouterr()
    assert main(list(args)) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def header(capsys, *args: str) -> list[str]:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out.splitlines()[0].split(",")


@pytest.fixture
def flicker(tmp_path: Path):
    """Village 1 (population 1000) has 6 cases a week, except weeks 3 and 5 with 4: its
    zone under a 500-per-100k cut-off goes high, low, high, low."""
    dates = pd.date_range("2021-06-07", periods=49, freq="D")
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    rows = []
    for j, day in enumerate(dates):
        week = j // 7
        first = 1 if (j % 7) < (4 if week in (3, 5) else 6) else 0
        rows += [(villages[0], day, first)] + [(v, day, 0) for v in villages[1:]]
    store = write_store(
        tmp_path / "f.db",
        tiny_regions(),
        pd.DataFrame(rows, columns=["region", "date", "new_cases"]),
    )
    return store


def test_changes_with_and_without_hysteresis(flicker, capsys, tmp_path):
    raw_file = tmp_path / "raw.toml"
    raw_file.write_text(two_zone_scheme(""))
    steady_file = tmp_path / "steady.toml"
    steady_file.write_text(two_zone_scheme("[hysteresis]\nstep_down_after = 2\nunit = 'weeks'"))
    base = ["--db", flicker.url, "changes", "--level", "village", "--since", "2021-06-13"]
    assert header(capsys, *base, "--scheme-file", str(raw_file)) == [
        "code", "name", "date", "from_zone", "to_zone"
    ]  # fmt: skip
    raw = run(capsys, *base, "--scheme-file", str(raw_file))
    steady = run(capsys, *base, "--scheme-file", str(steady_file))
    first = tiny_regions().query("level == 'village'")["code"].iloc[0]
    assert {r["code"] for r in raw} == {first}
    downs = [r for r in raw if r["to_zone"] == "low"]
    assert len(downs) >= 2  # it flickers
    assert not [r for r in steady if r["to_zone"] == "low"]  # never two weeks below
    assert all(r["to_zone"] == "high" for r in steady)  # only ever up


def test_changes_since_a_day_outside_the_data_is_refused(flicker, capsys):
    code = main(["--db", flicker.url, "changes", "--scheme", "who-ct-2021", "--level",
                 "village", "--since", "2019-01-01"])  # fmt: skip
    assert code != 0 and "--since" in capsys.readouterr().err


def test_rt_contract_and_a_recovered_growth(tmp_path, capsys):
    days = 90
    w = rt.serial_interval(4.7, 2.9)
    cases = np.zeros(days)
    cases[0] = 30
    for t in range(1, days):
        s = np.arange(1, min(t, len(w) - 1) + 1)
        cases[t] = round(1.3 * (cases[t - s] * w[s]).sum())
    dates = pd.date_range("2021-05-01", periods=days, freq="D")
    villages = tiny_regions().query("level == 'village'")["code"].tolist()
    rows = [
        (v, d, c if k == 0 else 0)
        for k, v in enumerate(villages)
        for d, c in zip(dates, cases, strict=True)
    ]
    store = write_store(
        tmp_path / "rt.db",
        tiny_regions(),
        pd.DataFrame(rows, columns=["region", "date", "new_cases"]),
    )
    regency = tiny_regions().query("level == 'regency'")["code"].iloc[0]
    args = ["--db", store.url, "rt", "--region", regency, "--si-mean", "4.7", "--si-sd", "2.9"]
    assert header(capsys, *args) == ["date", "rt", "rt_lower", "rt_upper"]
    rows = run(capsys, *args)
    assert len(rows) == days
    late = [r for r in rows[40:80] if r["rt"]]
    assert late and all(float(r["rt_lower"]) <= 1.3 <= float(r["rt_upper"]) for r in late)
    assert rows[0]["rt"] == ""  # no estimate is empty, never 0


@pytest.mark.parametrize(
    ("args", "flag"),
    [(["--region", "99.99", "--si-mean", "4.7", "--si-sd", "2.9"], "--region"),
     (["--region", "33.01", "--si-mean", "0.5", "--si-sd", "2.9"], "--si-mean")],
)  # fmt: skip
def test_rt_errors_name_the_flag(flicker, capsys, args, flag):
    assert main(["--db", flicker.url, "rt", *args]) != 0
    assert flag in capsys.readouterr().err


def test_hotspots_contract(flicker, capsys):
    args = ["--db", flicker.url, "hotspots", "--level", "village", "--date", "2021-07-04"]
    assert header(capsys, *args) == ["code", "name", "z", "p_fdr", "hotspot"]
    rows = run(capsys, *args)
    assert len(rows) == 4 and {r["hotspot"] for r in rows} <= {"True", "False"}
    assert main([*args, "--metric", "houses_7d"]) != 0
    assert "--metric" in capsys.readouterr().err


def test_zones_smooth_adds_two_columns_at_the_end(flicker, capsys):
    base = ["--db", flicker.url, "zones", "--scheme", "who-ct-2021", "--level", "village",
            "--date", "2021-07-04"]  # fmt: skip
    plain = header(capsys, *base)
    smooth = header(capsys, *base, "--smooth", "eb")
    assert smooth == [*plain, "rate_smoothed", "p_above"]
    rows = run(capsys, *base, "--smooth", "eb")
    # all villages of the level shrink towards its rate: the busy one comes down
    first = rows[0]
    assert float(first["rate_smoothed"]) <= float(first["cases_7d_per_100k"])
