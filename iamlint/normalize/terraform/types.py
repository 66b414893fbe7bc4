"""Type constraints of input variables applied to their values, as Terraform does.

What matters for policies is ``optional()`` in object types: a missing attribute is
filled with its default (``optional(string, "Allow")``) or null, so that
``statement.value.not_actions`` is a known null rather than "no such attribute".
Primitive types convert strings (``"true"`` -> true, ``"3"`` -> 3) and numbers/bools to
strings. Collections apply their element type to every element. Anything else is left
as it is (a value Terraform would reject is not iamlint's business).
"""

from __future__ import annotations

from typing import Any, Callable

from iamlint.model.values import Known, Value
from iamlint.parsers.terraform import syntax as s

_PRIMITIVES = ("string", "number", "bool")


def type_of(block: s.Block) -> s.Expr | None:
    """The ``type`` expression of a variable block (parsed from text in .tf.json)."""
    attribute = block.body.attributes.get("type")
    if attribute is None:
        return None
    expr = attribute.expr
    if isinstance(expr, s.Template) and expr.static and len(expr.parts) == 1:
        # start-up: the HCL parser, needed only for a type written as text (.tf.json)
        from iamlint.parsers.terraform.choice import parse_expression
        from iamlint.parsers.terraform.errors import HclSyntaxError

        try:
            return parse_expression(str(expr.parts[0]), expr.span.file, expr.span.line, expr.span.column + 1)
        except HclSyntaxError:
            return None
    return expr


def convert(type_expr: s.Expr | None, value: Value, evaluator: Any, depth: int = 0) -> Value:
    if type_expr is None or not isinstance(value, Known) or value.value is None or depth > 32:
        return value
    if isinstance(type_expr, s.Variable):
        return _primitive(type_expr.name, value)
    if not isinstance(type_expr, s.Call) or not type_expr.args:
        return value
    constructor = _CONSTRUCTORS.get(type_expr.name)
    if constructor is None:
        return value
    return constructor(type_expr.args, value, evaluator, depth + 1)


def _collection(args: list[s.Expr], value: Known, evaluator: Any, depth: int) -> Value:
    """``list(T)`` / ``set(T)``: every element converted to T."""
    if not isinstance(value.value, list):
        return value
    return Known([convert(args[0], item, evaluator, depth) for item in value.value], value.span)


def _map(args: list[s.Expr], value: Known, evaluator: Any, depth: int) -> Value:
    if not isinstance(value.value, dict):
        return value
    return Known({k: convert(args[0], v, evaluator, depth) for k, v in value.value.items()}, value.span)


def _tuple(args: list[s.Expr], value: Known, evaluator: Any, depth: int) -> Value:
    if not isinstance(value.value, list) or not isinstance(args[0], s.TupleExpr):
        return value
    types = args[0].items
    return Known([convert(types[i], item, evaluator, depth) if i < len(types) else item
                  for i, item in enumerate(value.value)], value.span)


def _object(args: list[s.Expr], value: Known, evaluator: Any, depth: int) -> Value:
    """``object({...})``: known attributes converted, missing ``optional()`` ones filled
    with their default (or null)."""
    if not isinstance(value.value, dict) or not isinstance(args[0], s.ObjectExpr):
        return value
    result = dict(value.value)
    for key_expr, attribute_type in args[0].items:
        key = _key(key_expr)
        if key is None:
            continue
        optional = isinstance(attribute_type, s.Call) and attribute_type.name == "optional" and attribute_type.args
        element_type = attribute_type.args[0] if optional else attribute_type  # type: ignore[attr-defined]
        if key in result:
            result[key] = convert(element_type, result[key], evaluator, depth)
        elif optional:
            result[key] = _optional_default(attribute_type, element_type, value, evaluator, depth)  # type: ignore[arg-type]
    return Known(result, value.span)


def _optional_default(optional: s.Call, element_type: s.Expr, value: Known, evaluator: Any, depth: int) -> Value:
    if len(optional.args) > 1:
        return convert(element_type, evaluator.eval(optional.args[1]), evaluator, depth)
    return Known(None, value.span)


def _optional(args: list[s.Expr], value: Known, evaluator: Any, depth: int) -> Value:
    return convert(args[0], value, evaluator, depth)


_CONSTRUCTORS: dict[str, Callable[[list[s.Expr], Known, Any, int], Value]] = {
    "list": _collection,
    "set": _collection,
    "map": _map,
    "tuple": _tuple,
    "object": _object,
    "optional": _optional,
}


def _key(expr: s.Expr) -> str | None:
    if isinstance(expr, s.Literal) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, s.Variable):
        return expr.name
    if isinstance(expr, s.Template) and expr.static:
        return "".join(expr.parts)  # type: ignore[arg-type]
    return None


def _primitive(name: str, value: Known) -> Value:
    inner = value.value
    if name == "bool" and isinstance(inner, str) and inner in ("true", "false"):
        return Known(inner == "true", value.span)
    if name == "number" and isinstance(inner, str):
        try:
            return Known(int(inner) if inner.lstrip("-").isdigit() else float(inner), value.span)
        except ValueError:
            return value
    if name == "string" and isinstance(inner, bool):
        return Known("true" if inner else "false", value.span)
    if name == "string" and isinstance(inner, (int, float)):
        return Known(str(inner), value.span)
    return value
