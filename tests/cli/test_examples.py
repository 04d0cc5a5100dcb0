"""The examples in examples/ (used by the README) stay valid and give what the README says."""

from __future__ import annotations

from pathlib import Path

from zoning.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _zones(capsys, *args: str) -> list[str]:
    assert main(["classify", str(EXAMPLES / "metrics.csv"), *args]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "region,date,zone"
    return [line.rsplit(",", 1)[1] for line in lines[1:]]


def test_example_metrics_under_builtin_schemes(capsys):
    assert _zones(capsys, "--scheme", "who-ct-2021") == ["level-4", "level-3", "level-2", "level-1"]
    assert _zones(capsys, "--scheme", "cdc-community-levels-2022") == [
        "high",
        "medium",
        "low",
        "low",
    ]


def test_example_custom_scheme(capsys):
    # 33.22 has 120 cases per 100,000 (yellow by threshold) but 16% positivity: the condition
    # rule makes it red
    zones = _zones(capsys, "--scheme-file", str(EXAMPLES / "custom-scheme.toml"))
    assert zones == ["red", "red", "yellow", "green"]
