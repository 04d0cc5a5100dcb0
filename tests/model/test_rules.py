"""Tests for zoning.model.rules: the condition language of scheme files (parsed, never run)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import fuzz
from hypothesis import given, settings
from hypothesis import strategies as st

from zoning.model import rules
from zoning.model.rules import MAX_DEPTH, MAX_LENGTH, RuleError, evaluate, names_in, parse

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


# --- fuzzing: conditions written by a grammar mean what they say --------------------------------

_OPERATORS = ["<", "<=", ">", ">=", "==", "!="]
_NUMBER = st.one_of(
    st.integers(0, 10**6).map(str),
    st.decimals(0, 10**6, places=3, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["0", "0.5", ".5", "7.", "00012", "1" * 30]),
)
_OPERAND = st.one_of(st.sampled_from(["a", "b_1", "x"]).map(lambda n: ("name", n)),
                     _NUMBER.map(lambda t: ("num", t)))  # fmt: skip
_CONDITION = st.recursive(
    st.tuples(st.just("cmp"), st.sampled_from(_OPERATORS), _OPERAND, _OPERAND),
    lambda inner: (
        st.tuples(st.sampled_from(["and", "or"]), inner, inner) | st.tuples(st.just("not"), inner)
    ),
    max_leaves=6,
)
_SPACE = st.sampled_from([" ", "  ", "\t", " \n "])


def _render(draw, node: tuple, context: int = 0) -> str:
    """A condition as text; ``context`` is how tightly the place it goes binds (or 0, and 1,
    not 2): lower-binding parts get parentheses, and any part may get them anyway."""
    kind = node[0]
    space = draw(_SPACE)
    if kind == "cmp":
        text = f"{node[2][1]}{draw(st.sampled_from(['', ' ']))}{node[1]}{space}{node[3][1]}"
        binds = 3
    elif kind == "not":
        text, binds = f"not{space}{_render(draw, node[1], 2)}", 2
    else:
        binds = 0 if kind == "or" else 1
        left = _render(draw, node[1], binds)
        right = _render(draw, node[2], binds + 1)  # a right-hand part of the same kind: brackets
        text = f"{left}{space}{kind}{draw(_SPACE)}{right}"
    if binds < context or draw(st.integers(0, 5)) == 0:
        text = f"({draw(_SPACE)}{text}{draw(_SPACE)})"
    return text


def _truth(node: tuple, row: dict[str, float]) -> bool:
    """What the condition means on one row: a comparison with a missing value is false."""
    kind = node[0]
    if kind == "cmp":
        left, right = (row[v] if k == "name" else float(v) for k, v in node[2:])
        if math.isnan(left) or math.isnan(right):
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right,
                ">=": left >= right, "==": left == right, "!=": left != right}[node[1]]  # fmt: skip
    if kind == "not":
        return not _truth(node[1], row)
    if kind == "and":
        return _truth(node[1], row) and _truth(node[2], row)
    return _truth(node[1], row) or _truth(node[2], row)


_VALUE = st.one_of(
    st.sampled_from([NAN, 0.0, 0.5, 7.0, 12.0, 1e6, 1.0e30, math.inf, -math.inf, -1.0]),
    st.floats(allow_nan=True),
)


@fuzz(200)
@given(st.data(), _CONDITION, st.lists(st.fixed_dictionaries(dict.fromkeys(["a", "b_1", "x"],
                                                                          _VALUE)),
                                       min_size=1, max_size=6))  # fmt: skip
def test_fuzz_written_conditions_mean_what_they_say(data, node, rows):
    text = _render(data.draw, node)
    if len(text) > MAX_LENGTH:
        with pytest.raises(RuleError, match="longer than"):
            parse(text)
        return
    tree = parse(text, names={"a", "b_1", "x"})
    arrays = {n: np.array([r[n] for r in rows]) for n in ("a", "b_1", "x")}
    got = np.broadcast_to(evaluate(tree, arrays), (len(rows),)).tolist()
    assert got == [_truth(node, r) for r in rows], text


@fuzz(200)
@given(
    st.data(),
    _CONDITION,
    st.lists(
        st.tuples(
            st.integers(0, 200),
            st.integers(0, 3),
            st.sampled_from(
                [
                    "",
                    "(",
                    ")",
                    "=",
                    "<",
                    "!",
                    "and",
                    "not ",
                    "or",
                    "1",
                    "a",
                    "٣",
                    "'",
                    "__",
                    ".",
                    "e5",
                    "-",
                    "\x00",
                    "\u00a0",
                    "+",
                    "**",
                ]
            ),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_fuzz_damaged_conditions_parse_or_raise_rule_error(data, node, edits):
    text = _render(data.draw, node)
    for at, length, junk in edits:
        at %= len(text) + 1
        text = text[:at] + junk + text[at + length :]
    try:
        tree = parse(text, names={"a", "b_1", "x"})
    except RuleError as exc:
        assert str(exc)
        return
    values = {n: np.array([NAN, 0.0, 1.0]) for n in names_in(tree)}
    assert np.broadcast_to(evaluate(tree, values), (3,)).dtype == bool
