"""Tests for Scheme.classify (zoning.model.schemes), the one classifier: regions x dates arrays
and chunked classification."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zoning.model import schemes
from zoning.model.schemes import NO_ZONE, get_scheme, loads_scheme

NAN = math.nan

CUSTOM = """
id = "chunk-test"
name = "Chunk test"
levels = ["village"]
metrics = ["cases_7d_per_100k", "positivity_7d_pct"]
requires = ["cases_7d_per_100k"]
[source]
title = "test"
[[zones]]
id = "green"
colour = "#00aa00"
label = "Green"
[[zones]]
id = "yellow"
colour = "#ffd92f"
label = "Yellow"
[[zones]]
id = "red"
colour = "#b2182b"
label = "Red"
[[rules]]
metric = "cases_7d_per_100k"
thresholds = { yellow = 10, red = 50 }
[[rules]]
zone = "red"
when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"
"""


def test_classify_two_dimensional_equals_row_by_row():
    scheme = get_scheme("cdc-transmission-2021")
    cases = np.array(
        [
            [0, 9.99, 10, 49.99, 50],
            [99.99, 100, NAN, 5, 5],
            [NAN, NAN, 0, 0, 0],
        ]
    )
    positivity = np.array(
        [
            [NAN, NAN, NAN, 4.99, 0],
            [0, 0, 50, 5, 10],
            [20, NAN, 7.99, 8, NAN],
        ]
    )
    codes = scheme.classify({"cases_7d_per_100k": cases, "positivity_7d_pct": positivity})
    assert codes.shape == (3, 5)
    assert codes.dtype == np.int8
    expected = [
        [0, 0, 1, 1, 2],
        [2, 3, NO_ZONE, 1, 3],
        [NO_ZONE, NO_ZONE, 1, 2, 0],
    ]
    assert codes.tolist() == expected
    for i in range(3):
        row = scheme.classify({"cases_7d_per_100k": cases[i], "positivity_7d_pct": positivity[i]})
        assert row.tolist() == codes[i].tolist()
    # and column by column (a non-contiguous view)
    for j in range(5):
        col = scheme.classify(
            {"cases_7d_per_100k": cases[:, j], "positivity_7d_pct": positivity[:, j]}
        )
        assert col.tolist() == codes[:, j].tolist()


def test_classify_transposed_input():
    scheme = get_scheme("harvard-ghi-2020")
    values = np.array([[0.5, 1.0, 30.0], [10.0, NAN, 24.99]])
    codes = scheme.classify({"cases_daily_per_100k_avg7": values.T})
    assert codes.tolist() == [[0, 2], [1, NO_ZONE], [3, 2]]


def test_classify_ignores_metrics_the_scheme_does_not_read():
    scheme = get_scheme("harvard-ghi-2020")
    codes = scheme.classify(
        {"cases_daily_per_100k_avg7": np.array([2.0]), "houses_7d": np.array([100.0])},
    )
    assert codes.tolist() == [1]


def _random_metrics(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    cuts = np.array([0, 4.99, 5, 9.99, 10, 19.99, 20, 49.99, 50, 99.99, 100, 149.99, 150, 200])
    out = {}
    for m in ("cases_7d_per_100k", "positivity_7d_pct", "admissions_7d_per_100k"):
        a = rng.choice(cuts, size=shape)
        a[rng.random(shape) < 0.15] = NAN
        out[m] = a
    return out


@pytest.mark.parametrize(
    "scheme_id", ["who-ct-2021", "cdc-transmission-2021", "cdc-community-levels-2022"]
)
def test_chunk_boundaries_give_the_same_zones(monkeypatch, scheme_id):
    scheme = get_scheme(scheme_id)
    rng = np.random.default_rng(7)
    metrics = _random_metrics(rng, (9, 13))  # 117 values
    whole = scheme.classify(metrics)
    assert (whole != NO_ZONE).any() and (whole == NO_ZONE).any()
    for chunk in (1, 7, 16, 116, 117, 118):
        monkeypatch.setattr(schemes, "CHUNK", chunk)
        got = scheme.classify(metrics)
        assert got.shape == (9, 13)
        np.testing.assert_array_equal(got, whole, err_msg=f"CHUNK={chunk}")
    # the same as classifying the pieces one by one
    monkeypatch.setattr(schemes, "CHUNK", 10)
    flat = {m: a.reshape(-1) for m, a in metrics.items()}
    pieces = [
        scheme.classify({m: a[lo : lo + 10] for m, a in flat.items()}) for lo in range(0, 117, 10)
    ]
    np.testing.assert_array_equal(np.concatenate(pieces).reshape(9, 13), whole)


def test_chunked_with_a_metric_absent_from_the_mapping(monkeypatch):
    scheme = loads_scheme(CUSTOM)
    cases = np.array([0, 10, 50, 5, NAN, 20, 49.99, 9.99, 100, 4.99, 5])
    expected = scheme.classify({"cases_7d_per_100k": cases})
    assert expected.tolist() == [0, 1, 2, 0, NO_ZONE, 1, 1, 0, 2, 0, 0]
    monkeypatch.setattr(schemes, "CHUNK", 4)  # 11 values: chunks of 4, 4, 3
    got = scheme.classify({"cases_7d_per_100k": cases})
    assert got.tolist() == expected.tolist()


def test_chunked_condition_rule(monkeypatch):
    scheme = loads_scheme(CUSTOM)
    cases = np.tile([4.99, 5, 10, 60, NAN], 5)
    positivity = np.repeat([NAN, 19.99, 20, 50, 0], 5)
    expected = scheme.classify({"cases_7d_per_100k": cases, "positivity_7d_pct": positivity})
    # positivity >= 20 and cases >= 5 lifts a row to red
    assert expected.reshape(5, 5).tolist() == [
        [0, 0, 1, 2, NO_ZONE],
        [0, 0, 1, 2, NO_ZONE],
        [0, 2, 2, 2, NO_ZONE],
        [0, 2, 2, 2, NO_ZONE],
        [0, 0, 1, 2, NO_ZONE],
    ]
    monkeypatch.setattr(schemes, "CHUNK", 3)
    got = scheme.classify({"cases_7d_per_100k": cases, "positivity_7d_pct": positivity})
    assert got.tolist() == expected.tolist()


def test_empty_arrays():
    scheme = get_scheme("who-ct-2021")
    codes = scheme.classify({"cases_7d_per_100k": np.zeros((0, 5))})
    assert codes.shape == (0, 5)
