"""Terraform built-in functions over three-valued Values (Unknown in, Unknown out)."""

from __future__ import annotations

import base64
from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, Unknown, Value, first_unknown, from_python, to_python

Function = Callable[[Any, list[Value], Span], Value]


def _known(args: list[Value], span: Span, name: str) -> list[Any] | Unknown:
    """Plain Python arguments, or the first Unknown among them."""
    values = []
    for arg in args:
        unknown = first_unknown(arg)
        if unknown is not None:
            return Unknown(f"{name}(): {unknown.reason}", span)
        values.append(to_python(arg))
    return values


def pure(name: str, function: Callable[..., Any]) -> Function:
    """Lift a plain Python function over fully known arguments."""

    def call(evaluator: Any, args: list[Value], span: Span) -> Value:
        values = _known(args, span, name)
        if isinstance(values, Unknown):
            return values
        return from_python(function(*values), span)

    return call


def _jsonencode(evaluator: Any, args: list[Value], span: Span) -> Value:
    if len(args) != 1:
        raise ValueError("jsonencode takes one argument")
    return Known(Encoded(args[0]), span)


def _jsondecode(evaluator: Any, args: list[Value], span: Span) -> Value:
    from iamlint.normalize.documents import decode_json_text

    (text,) = args
    if not isinstance(text, Known):
        return Unknown(f"jsondecode(): {text.reason}", span)
    if isinstance(text.value, Encoded):
        return text.value.data
    if not isinstance(text.value, str):
        raise ValueError("argument is not a string")
    return decode_json_text(text)


def _b64decode(text: str) -> str:
    return base64.b64decode(text).decode("utf-8")


FUNCTIONS: dict[str, Function] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "lower": pure("lower", lambda s: s.lower()),
    "upper": pure("upper", lambda s: s.upper()),
    "trimspace": pure("trimspace", lambda s: s.strip()),
    "join": pure("join", lambda sep, *lists: sep.join(str(x) for l in lists for x in l)),
    "split": pure("split", lambda sep, s: s.split(sep)),
    "replace": pure("replace", lambda s, old, new: s.replace(old, new)),
    "concat": pure("concat", lambda *lists: [x for l in lists for x in l]),
    "base64encode": pure("base64encode", lambda s: base64.b64encode(s.encode()).decode()),
    "base64decode": pure("base64decode", _b64decode),
    "tostring": pure("tostring", lambda s: s),
    "format": pure("format", lambda f, *a: f.replace("%%", "\0").replace("%s", "{}").replace("%d", "{}").replace("\0", "%").format(*a)),
}


def binary(op: str, left: Value, right: Value, span: Span) -> Value:
    for side in (left, right):
        unknown = first_unknown(side)
        if unknown is not None:
            return Unknown(unknown.reason, span)
    a, b = left.value, right.value
    try:
        if op == "==":
            return Known(_plain(left) == _plain(right), span)
        if op == "!=":
            return Known(_plain(left) != _plain(right), span)
        if op == "&&":
            return Known(bool(a) and bool(b), span)
        if op == "||":
            return Known(bool(a) or bool(b), span)
        numeric = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                   "%": lambda: a % b, "<": lambda: a < b, ">": lambda: a > b, "<=": lambda: a <= b,
                   ">=": lambda: a >= b}
        if op in numeric and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            return Known(numeric[op](), span)
    except (TypeError, ZeroDivisionError, ValueError):
        pass
    return Unknown(f"operator {op} cannot be evaluated on these values", span)


def _plain(value: Value) -> Any:
    try:
        return to_python(value)
    except ValueError:
        return object()
