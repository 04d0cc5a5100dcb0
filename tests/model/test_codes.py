"""Tests for zoning.model.codes: the one place that normalises Kemendagri region codes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from zoning.model.codes import (
    DIGIT_LENGTHS,
    SEGMENT_WIDTHS,
    CodeError,
    ancestor_at_depth,
    depth,
    is_within,
    normalise_code,
    parent_code,
    try_normalise,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("33.74", "33.74"),
        ("3374", "33.74"),
        (3374, "33.74"),
        (3374.0, "33.74"),
        ("3374.0", "33.74"),
        ("3374.00", "33.74"),
        (" 33.74 ", "33.74"),
        ("\t3374\n", "33.74"),
        ("33 74", "33.74"),
        ("33-74", "33.74"),
        ("33", "33"),
        (33, "33"),
        ("33.0", "33"),
        ("337401", "33.74.01"),
        ("33.74.01", "33.74.01"),
        ("33.74.1", "33.74.01"),
        ("3374011001", "33.74.01.1001"),
        (3374011001, "33.74.01.1001"),
        (3374011001.0, "33.74.01.1001"),
        ("33.74.01.1001", "33.74.01.1001"),
        ("33.74.1.1001", "33.74.01.1001"),
        ("33.74.01.1", "33.74.01.0001"),
        # RW and RT extend the village code with three-digit segments
        ("33.74.01.1001.3", "33.74.01.1001.003"),
        ("33.74.01.1001.003", "33.74.01.1001.003"),
        ("3374011001003", "33.74.01.1001.003"),
        ("33.74.01.1001.3.2", "33.74.01.1001.003.002"),
        ("33.74.01.1001.003.002", "33.74.01.1001.003.002"),
        ("3374011001003002", "33.74.01.1001.003.002"),
        (3374011001003002, "33.74.01.1001.003.002"),
        (np.int64(3374), "33.74"),
        (np.float64(3374.0), "33.74"),
    ],
)
def test_normalise_code(value, expected):
    assert normalise_code(value) == expected
    assert try_normalise(value) == expected


def test_normalise_is_idempotent():
    for code in ["33", "33.74", "33.74.01", "33.74.01.1001", "33.74.01.1001.003.002"]:
        assert normalise_code(normalise_code(code)) == code


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty region code"),
        ("   ", "empty region code"),
        (None, "empty region code"),
        (math.nan, "empty region code"),
        (np.nan, "empty region code"),
        ("abc", "not a region code: 'abc'"),
        ("33.7a", "not a region code: '33.7a'"),
        ("33,74", "not a region code"),
        ("33..74", "not a region code"),
        ("33.", "not a region code"),
        (".33", "not a region code"),
        (33.5, "not a region code: 33.5"),
        (3374.25, "not a region code"),
        (True, "not a region code"),
        (-3374, "not a region code"),
        ("33.74.01.1001.003.002.001", "too many parts"),
        ("33.745", "part '745' is longer than 2 digits"),
        ("333.74", "part '333' is longer than 2 digits"),
        ("33.74.01.10011", "part '10011' is longer than 4 digits"),
        ("33.74.01.1001.0003", "part '0003' is longer than 3 digits"),
        ("337", "has 3 digits; expected one of 2, 4, 6, 10, 13, 16"),
        ("3", "has 1 digits"),
        ("33740110", "has 8 digits"),
        ("33740110010030021", "has 17 digits"),
    ],
)
def test_normalise_code_errors(value, fragment):
    with pytest.raises(CodeError) as info:
        normalise_code(value)
    assert fragment in str(info.value)
    assert try_normalise(value) is None


def test_code_error_is_a_value_error():
    assert issubclass(CodeError, ValueError)


@pytest.mark.parametrize("value", ["٣٣٧٤", "３３７４"])
def test_non_ascii_digits_are_not_a_canonical_code(value):
    try:
        out = normalise_code(value)
    except CodeError:
        return
    assert out == "33.74"


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("33", None),
        ("33.74", "33"),
        ("33.74.01", "33.74"),
        ("33.74.01.1001", "33.74.01"),
        ("33.74.01.1001.003", "33.74.01.1001"),
        ("33.74.01.1001.003.002", "33.74.01.1001.003"),
    ],
)
def test_parent_code(code, parent):
    assert parent_code(code) == parent


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("33", 1),
        ("33.74", 2),
        ("33.74.01", 3),
        ("33.74.01.1001", 4),
        ("33.74.01.1001.003", 5),
        ("33.74.01.1001.003.002", 6),
    ],
)
def test_depth(code, expected):
    assert depth(code) == expected


@pytest.mark.parametrize(
    ("code", "ancestor", "expected"),
    [
        ("33.74", "33.74", True),
        ("33.74.01", "33.74", True),
        ("33.74.01.1001.003.002", "33.74", True),
        ("33.74.01.1001.003.002", "33", True),
        ("33.74.01.1001.003.002", "33.74.01.1001.003", True),
        ("33.74", "33", True),
        ("33.7", "33.74", False),  # a prefix of the text is not an ancestor
        ("33.74", "33.7", False),
        ("33.740", "33.74", False),
        ("33.75.01", "33.74", False),
        ("34.74", "33", False),
        ("33", "33.74", False),  # a parent is not within its child
        ("33.74", "33.74.01", False),
        ("331", "33", False),
    ],
)
def test_is_within(code, ancestor, expected):
    assert is_within(code, ancestor) is expected


@pytest.mark.parametrize(
    ("level_depth", "expected"),
    [
        (1, "33"),
        (2, "33.74"),
        (3, "33.74.01"),
        (4, "33.74.01.1001"),
        (5, "33.74.01.1001.003"),
        (6, "33.74.01.1001.003.002"),
    ],
)
def test_ancestor_at_depth(level_depth, expected):
    assert ancestor_at_depth("33.74.01.1001.003.002", level_depth) == expected


def test_ancestor_at_depth_of_a_shallower_code_is_the_code():
    assert ancestor_at_depth("33.74", 4) == "33.74"
    assert ancestor_at_depth("33.74", 2) == "33.74"


def test_normalised_codes_of_one_region_agree():
    forms = ["3374011001", "33.74.01.1001", 3374011001, 3374011001.0, " 33.74.1.1001 "]
    assert {normalise_code(f) for f in forms} == {"33.74.01.1001"}
    village = normalise_code("3374011001")
    assert is_within(village, normalise_code(3374.0))
    assert parent_code(parent_code(village)) == normalise_code("3374")


def test_redaction_knows_region_codes_by_these_segment_widths():
    """zoning.core.text keeps dotted region codes readable in messages; it sits below the
    model and cannot import SEGMENT_WIDTHS, so its pattern must be theirs: the province's
    digits, then each run of equal widths, each segment optional from the left."""
    from zoning.core.text import _REGION_CODE

    first, *rest = SEGMENT_WIDTHS
    runs = [(w, len(list(g))) for w, g in itertools.groupby(rest)]
    expected = f"[0-9]{{{first}}}" + "".join(
        rf"(?:\.[0-9]{{{w}}})" + ("?" if n == 1 else f"{{0,{n}}}") for w, n in runs
    )
    assert _REGION_CODE.pattern == expected
    for n in DIGIT_LENGTHS:  # every code of every depth stays readable
        assert _REGION_CODE.fullmatch(normalise_code("3" * n))
