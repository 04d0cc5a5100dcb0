"""The rule language of scheme files: parsed, never evaluated as code.

A condition is a small boolean expression over metric names and numbers::

    cases_7d_per_100k >= 200 and (admissions_7d_per_100k < 10 or not houses_7d > 5)

Grammar (``or`` binds loosest)::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | cmp
    cmp    := operand OP operand        OP in < <= > >= == !=
    operand:= NAME | NUMBER

The parser builds a tree of tuples; :func:`evaluate` walks it with numpy, so a scheme file
uploaded by a user can compare numbers and nothing else. A comparison with a missing value
(NaN) is false, whatever the operator.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping

import numpy as np

MAX_LENGTH = 500
MAX_DEPTH = 20

_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|<|>)|(?P<paren>[()])|(?P<bad>\S))"
)
_KEYWORDS = {"and", "or", "not"}


class RuleError(ValueError):
    """A condition that is not valid in the rule language."""


Node = tuple


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # only trailing whitespace left
            break
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "bad":
            raise RuleError(f"unexpected character {value!r} at position {m.start(kind) + 1}")
        if kind == "name" and value in _KEYWORDS:
            kind = value
        tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, text: str, names: frozenset[str] | None):
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.names = names
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise RuleError("the condition ends too early")
        if kind is not None and tok[0] != kind:
            raise RuleError(f"expected {kind} but found {tok[1]!r}")
        self.pos += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            raise RuleError("the condition is empty")
        node = self.expr()
        if self.peek() is not None:
            raise RuleError(f"unexpected {self.peek()[1]!r} after a complete condition")
        return node

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError(f"the condition is nested more than {MAX_DEPTH} levels deep")

    def expr(self) -> Node:
        self._nest()
        node = self.term()
        while self.peek() and self.peek()[0] == "or":
            self.take()
            node = ("or", node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek() and self.peek()[0] == "and":
            self.take()
            node = ("and", node, self.factor())
        return node

    def factor(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise RuleError("the condition ends too early")
        if tok[0] == "not":
            self.take()
            self._nest()
            node = ("not", self.factor())
            self.depth -= 1
            return node
        if tok == ("paren", "("):
            self.take()
            node = self.expr()
            if self.peek() != ("paren", ")"):
                raise RuleError("a '(' is never closed")
            self.take()
            return node
        left = self.operand()
        op = self.peek()
        if op is None or op[0] != "op":
            raise RuleError(f"expected a comparison (<, <=, >, >=, ==, !=) after {left[1]!r}")
        self.take()
        right = self.operand()
        return ("cmp", op[1], left, right)

    def operand(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "name":
            if self.names is not None and value not in self.names:
                raise RuleError(
                    f"unknown metric {value!r}; known: " + ", ".join(sorted(self.names))
                )
            return ("name", value)
        raise RuleError(f"expected a metric name or a number but found {value!r}")


def parse(text: str, names: frozenset[str] | set[str] | None = None) -> Node:
    """Parse a condition into a tree.

    Parameters
    ----------
    text : str
        The condition, at most :data:`MAX_LENGTH` characters.
    names : set of str, optional
        The metric names the condition may use; others are an error.

    Raises
    ------
    RuleError
        With a message that says what is wrong.
    """
    if not isinstance(text, str):
        raise RuleError(f"a condition must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise RuleError(f"the condition is longer than {MAX_LENGTH} characters")
    return _Parser(text, frozenset(names) if names is not None else None).parse()


def names_in(node: Node) -> set[str]:
    """The metric names a parsed condition reads."""
    kind = node[0]
    if kind == "name":
        return {node[1]}
    if kind == "num":
        return set()
    if kind == "cmp":
        return names_in(node[2]) | names_in(node[3])
    return set().union(*(names_in(child) for child in node[1:]))


def _operand(node: Node, values: Mapping[str, np.ndarray]) -> np.ndarray | float:
    return node[1] if node[0] == "num" else values[node[1]]


def evaluate(node: Node, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Evaluate a parsed condition on arrays of metric values; NaN compares false."""
    kind = node[0]
    if kind == "cmp":
        left, right = _operand(node[2], values), _operand(node[3], values)
        with np.errstate(invalid="ignore"):
            out = _OPS[node[1]](left, right)
        if node[1] == "!=":  # NaN != x is True in IEEE arithmetic; a missing value is unknown
            out = out & ~(np.isnan(left) | np.isnan(right))
        return np.asarray(out, dtype=bool)
    if kind == "and":
        return evaluate(node[1], values) & evaluate(node[2], values)
    if kind == "or":
        return evaluate(node[1], values) | evaluate(node[2], values)
    if kind == "not":
        return ~evaluate(node[1], values)
    raise RuleError(f"not a condition: {node!r}")
