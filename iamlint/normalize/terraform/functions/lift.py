"""Lifting Python functions over three-valued Values: ``pure`` for fully known plain
arguments, ``structural`` for functions over Known containers whose items may stay
Unknown (their spans kept)."""

from __future__ import annotations

from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value, first_unknown, from_python, to_python

Function = Callable[[Any, list[Value], Span], Value]


def known_args(args: list[Value], span: Span, name: str) -> list[Any] | Unknown:
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
        if all(arg.__class__ is Known and arg.value.__class__ in _SCALARS for arg in args):
            values: Any = [arg.value for arg in args]  # type: ignore[union-attr]  # fast path: plain scalars
        else:
            values = known_args(args, span, name)
            if isinstance(values, Unknown):
                return values
        result = function(*values)
        if result.__class__ in _SCALARS:
            return Known(result, span)
        if result.__class__ is list and all(item.__class__ in _SCALARS for item in result):
            return Known([Known(item, span) for item in result], span)
        return from_python(result, span)

    return call


_SCALARS = {str, int, float, bool, type(None)}


def _unknown_arg(args: list[Value], name: str, span: Span) -> Unknown | None:
    for arg in args:
        if isinstance(arg, Unknown):
            return Unknown(f"{name}(): {arg.reason}", span)
    return None


def items_of(value: Value, name: str) -> list[Value]:
    """The items of a Known list/set (a tuple); ValueError otherwise."""
    if isinstance(value, Known):
        if isinstance(value.value, list):
            return list(value.value)
        if isinstance(value.value, dict):
            return list(value.value.values())
    raise ValueError(f"{name}() expects a list")


def structural(name: str, function: Callable[..., Value]) -> Function:
    """Functions over Known containers whose items may stay Unknown."""

    def call(evaluator: Any, args: list[Value], span: Span) -> Value:
        unknown = _unknown_arg(args, name, span)
        if unknown is not None:
            return unknown
        return function(span, *args)

    return call

