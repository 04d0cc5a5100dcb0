"""Tests for zoning.rules: the condition language of scheme files (parsed, never run)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoning import rules
from zoning.rules import MAX_DEPTH, MAX_LENGTH, RuleError, evaluate, names_in, parse

NAN = math.nan


def ev(text: str, **values: float | list[float]) -> list[bool]:
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in values.items()}
    return np.atleast_1d(evaluate(parse(text), arrays)).tolist()


# --- parsing -------------------------------------------------------------------------------


def test_parse_comparison_tree():
    assert parse("cases_7d >= 200") == ("cmp", ">=", ("name", "cases_7d"), ("num", 200.0))
    assert parse("1.5 < x") == ("cmp", "<", ("num", 1.5), ("name", "x"))
    assert parse(".5 == x") == ("cmp", "==", ("num", 0.5), ("name", "x"))
    assert parse("x != 2.") == ("cmp", "!=", ("name", "x"), ("num", 2.0))


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_every_operator_parses(op):
    assert parse(f"a {op} 1") == ("cmp", op, ("name", "a"), ("num", 1.0))
    assert parse(f"a{op}1") == ("cmp", op, ("name", "a"), ("num", 1.0))


def test_and_binds_tighter_than_or():
    a, b, c = (("cmp", ">", ("name", n), ("num", 1.0)) for n in "abc")
    assert parse("a > 1 or b > 1 and c > 1") == ("or", a, ("and", b, c))
    assert parse("a > 1 and b > 1 or c > 1") == ("or", ("and", a, b), c)
    assert parse("(a > 1 or b > 1) and c > 1") == ("and", ("or", a, b), c)


def test_chains_are_left_associative():
    a, b, c = (("cmp", ">", ("name", n), ("num", 1.0)) for n in "abc")
    assert parse("a > 1 or b > 1 or c > 1") == ("or", ("or", a, b), c)
    assert parse("a > 1 and b > 1 and c > 1") == ("and", ("and", a, b), c)


def test_not_binds_to_one_factor():
    a, b = (("cmp", ">", ("name", n), ("num", 1.0)) for n in "ab")
    assert parse("not a > 1 and b > 1") == ("and", ("not", a), b)
    assert parse("not (a > 1 and b > 1)") == ("not", ("and", a, b))
    assert parse("not not a > 1") == ("not", ("not", a))


def test_keywords_are_case_sensitive_names():
    # "AND" is not a keyword: it is read as a name, and then a comparison is missing
    with pytest.raises(RuleError):
        parse("a > 1 AND b > 1")


def test_whitespace_is_free():
    assert parse("  a>1\n\tand\tb<2  ") == parse("a > 1 and b < 2")


def test_names_in():
    assert names_in(parse("a > 1 and (b < c or not d == 2)")) == {"a", "b", "c", "d"}
    assert names_in(parse("1 < 2")) == set()


def test_allowed_names():
    assert parse("a > 1", names={"a", "b"}) == ("cmp", ">", ("name", "a"), ("num", 1.0))
    with pytest.raises(RuleError, match=r"unknown metric 'z'; known: a, b"):
        parse("a > 1 or z > 1", names={"b", "a"})


# --- error messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the condition is empty"),
        ("   \n\t ", "the condition is empty"),
        ("x > ", "ends too early"),
        ("x > 1 and", "ends too early"),
        ("x > 1 or", "ends too early"),
        ("not", "ends too early"),
        ("(", "ends too early"),
        ("x", "expected a comparison (<, <=, >, >=, ==, !=) after 'x'"),
        ("5", "expected a comparison (<, <=, >, >=, ==, !=) after 5"),
        ("x > 1 and y", "expected a comparison"),
        ("x = 1", "unexpected character '=' at position 3"),
        ("x > > 1", "expected a metric name or a number but found '>'"),
        ("x => 1", "unexpected character '=' at position 3"),
        ("> 1", "expected a metric name or a number but found '>'"),
        ("x > and", "expected a metric name or a number but found 'and'"),
        ("x > (1)", "expected a metric name or a number but found '('"),
        ("and x > 1", "expected a metric name or a number but found 'and'"),
        ("(x > 1", "a '(' is never closed"),
        ("((x > 1)", "a '(' is never closed"),
        ("x > 1)", "unexpected ')' after a complete condition"),
        ("x > 1 y", "unexpected 'y' after a complete condition"),
        ("x > 1 > 2", "unexpected '>' after a complete condition"),
        ("x > 1 (y > 2)", "unexpected '('"),
        ("x @ 1", "unexpected character '@' at position 3"),
        ("x > 1; y", "unexpected character ';' at position 6"),
        ("x > -1", "unexpected character '-' at position 5"),
        ("x + 1 > 2", "unexpected character '+'"),
        ("x > 'a'", 'unexpected character "\'"'),
        ('x > "a"', "unexpected character '\"'"),
        ("x.y > 1", "unexpected character '.'"),
        ("x[0] > 1", "unexpected character '['"),
        ("f(x) > 1", "expected a comparison"),
        ("__import__('os').system('x')", 'unexpected character "\'"'),
        ("().__class__", "unexpected character '.'"),
        ("x > 1 && y > 2", "unexpected character '&'"),
        ("x > 1 || y > 2", "unexpected character '|'"),
        ("!x", "unexpected character '!'"),
        ("x > 1e5", "unexpected 'e5'"),
        ("lambda: 1", "unexpected character ':'"),
    ],
)
def test_error_messages(text, fragment):
    with pytest.raises(RuleError) as info:
        parse(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("value", [None, 5, 1.5, b"x > 1", ["x > 1"], {"x": 1}])
def test_non_text_is_rejected(value):
    with pytest.raises(RuleError, match="a condition must be text, not"):
        parse(value)


def test_length_limit():
    text = " and ".join(["a > 1"] * 100)
    assert len(text) > MAX_LENGTH
    with pytest.raises(RuleError, match=f"longer than {MAX_LENGTH} characters"):
        parse(text)
    exactly = "a > 1" + " " * (MAX_LENGTH - 5)
    assert len(exactly) == MAX_LENGTH
    assert parse(exactly) == parse("a > 1")


def test_parenthesis_nesting_limit():
    ok = "(" * (MAX_DEPTH - 1) + "a > 1" + ")" * (MAX_DEPTH - 1)
    assert parse(ok) == parse("a > 1")
    too_deep = "(" * MAX_DEPTH + "a > 1" + ")" * MAX_DEPTH
    with pytest.raises(RuleError, match=f"nested more than {MAX_DEPTH} levels"):
        parse(too_deep)


def test_not_nesting_limit():
    assert names_in(parse("not " * (MAX_DEPTH - 1) + "a > 1")) == {"a"}
    with pytest.raises(RuleError, match="nested more than"):
        parse("not " * MAX_DEPTH + "a > 1")


def test_long_flat_chains_are_not_nesting():
    text = " or ".join(f"a > {i}" for i in range(40))
    assert len(text) <= MAX_LENGTH
    assert ev(text, a=[0, 1]) == [False, True]


def test_deep_parens_within_length_do_not_recurse_without_limit():
    text = "(" * 240 + "a > 1" + ")" * 240
    with pytest.raises(RuleError, match="nested"):
        parse(text)


# --- evaluation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("<", [True, False, False]),
        ("<=", [True, True, False]),
        (">", [False, False, True]),
        (">=", [False, True, True]),
        ("==", [False, True, False]),
        ("!=", [True, False, True]),
    ],
)
def test_operators_on_arrays(op, expected):
    assert ev(f"x {op} 10", x=[9.99, 10, 10.01]) == expected


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_nan_comparisons_are_false(op):
    assert ev(f"x {op} 10", x=[NAN]) == [False]
    assert ev(f"10 {op} x", x=[NAN]) == [False]
    assert ev(f"x {op} y", x=[NAN, 1], y=[1, NAN]) == [False, False]


def test_and_or_not_truth_tables():
    a = [0, 0, 2, 2]
    b = [0, 2, 0, 2]
    assert ev("a > 1 and b > 1", a=a, b=b) == [False, False, False, True]
    assert ev("a > 1 or b > 1", a=a, b=b) == [False, True, True, True]
    assert ev("not a > 1", a=a) == [True, True, False, False]


def test_precedence_in_evaluation():
    # a or (b and c): with a true and b, c false -> true; (a or b) and c -> false
    vals = {"a": [2], "b": [0], "c": [0]}
    assert ev("a > 1 or b > 1 and c > 1", **vals) == [True]
    assert ev("(a > 1 or b > 1) and c > 1", **vals) == [False]


def test_nan_and_or():
    assert ev("x > 1 or y > 1", x=[NAN], y=[2]) == [True]
    assert ev("x > 1 and y > 1", x=[NAN], y=[2]) == [False]


def test_not_of_a_missing_comparison_is_true():
    # Documented two-valued logic: NaN > 1 is false, so "not NaN > 1" is true.
    assert ev("not x > 1", x=[NAN]) == [True]


def test_number_only_conditions_broadcast():
    assert bool(evaluate(parse("1 < 2"), {})) is True
    assert bool(evaluate(parse("1 != 1"), {})) is False


def test_evaluate_two_dimensional():
    x = np.array([[1.0, 20.0], [NAN, 5.0]])
    got = evaluate(parse("x >= 5"), {"x": x})
    assert got.dtype == bool
    assert got.tolist() == [[False, True], [False, True]]


def test_evaluate_rejects_unknown_node():
    with pytest.raises(RuleError, match="not a condition"):
        evaluate(("call", "os.system"), {})


def test_module_constants():
    assert rules.MAX_LENGTH == 500
    assert rules.MAX_DEPTH == 20


# --- property: parse never raises anything but RuleError ---------------------------------

_PIECES = st.sampled_from(
    [
        "a", "b_1", "x", " ", "(", ")", "<", "<=", ">", ">=", "==", "!=", "=", "!", "and",
        "or", "not", " and ", " or ", "not ", "0", "1.5", ".5", "7.", "1e5", "-", "'", '"',
        "__import__", ".", ",", ";", "\n", "\t", "٣", "\x00", "é", "_",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=120), st.lists(_PIECES, max_size=60).map("".join)))
def test_parse_returns_or_raises_rule_error(text):
    try:
        tree = parse(text)
    except RuleError as exc:
        assert str(exc)
    else:
        assert isinstance(tree, tuple)
        # whatever parses can be evaluated on arrays of the names it reads
        values = {n: np.array([NAN, 0.0, 1.0]) for n in names_in(tree)}
        out = np.broadcast_to(evaluate(tree, values), (3,))
        assert out.dtype == bool


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80), st.frozensets(st.sampled_from(["a", "b", "x"])))
def test_parse_with_names_returns_or_raises_rule_error(text, names):
    try:
        tree = parse(text, names=names)
    except RuleError:
        return
    assert names_in(tree) <= names
