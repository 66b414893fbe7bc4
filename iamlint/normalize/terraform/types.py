"""Type constraints of input variables applied to their values, as Terraform does.

What matters for policies is ``optional()`` in object types: a missing attribute is
filled with its default (``optional(string, "Allow")``) or null, so that
``statement.value.not_actions`` is a known null rather than "no such attribute".
Primitive types convert strings (``"true"`` -> true, ``"3"`` -> 3) and numbers/bools to
strings. Collections apply their element type to every element. Anything else is left
as it is (a value Terraform would reject is not iamlint's business).
"""

from __future__ import annotations

from typing import Any

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
        from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_expression

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
    name, args = type_expr.name, type_expr.args
    inner = value.value
    if name in ("list", "set") and isinstance(inner, list):
        return Known([convert(args[0], item, evaluator, depth + 1) for item in inner], value.span)
    if name == "map" and isinstance(inner, dict):
        return Known({k: convert(args[0], v, evaluator, depth + 1) for k, v in inner.items()}, value.span)
    if name == "tuple" and isinstance(inner, list) and isinstance(args[0], s.TupleExpr):
        types = args[0].items
        return Known([convert(types[i], item, evaluator, depth + 1) if i < len(types) else item
                      for i, item in enumerate(inner)], value.span)
    if name == "object" and isinstance(inner, dict) and isinstance(args[0], s.ObjectExpr):
        result = dict(inner)
        for key_expr, attribute_type in args[0].items:
            key = _key(key_expr)
            if key is None:
                continue
            optional = isinstance(attribute_type, s.Call) and attribute_type.name == "optional" and attribute_type.args
            element_type = attribute_type.args[0] if optional else attribute_type
            if key in result:
                result[key] = convert(element_type, result[key], evaluator, depth + 1)
            elif optional:
                if len(attribute_type.args) > 1:
                    default = evaluator.eval(attribute_type.args[1])
                    result[key] = convert(element_type, default, evaluator, depth + 1)
                else:
                    result[key] = Known(None, value.span)
        return Known(result, value.span)
    if name == "optional":
        return convert(args[0], value, evaluator, depth + 1)
    return value


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
