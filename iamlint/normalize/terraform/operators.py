"""The operators of HCL expressions over three-valued Values: arithmetic, comparison and
logic (``binary``), ``!`` and ``-`` (``unary``), and the conditional ``c ? a : b`` whose
condition cannot be decided (``either``: both branches kept).

Arithmetic follows Terraform (go-cty): ``%`` is a truncated remainder with the sign of
the dividend (``-7 % 3`` is -1, ``7 % -3`` is 1, ``-7.5 % 2`` is -1.5) and ``x % 0`` is
``x``, as ``terraform console`` (1.11) gives; ``x / 0`` stays an Unknown.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, cast

from iamlint.model.span import Span
from iamlint.model.values import Alternatives, Encoded, Known, Ref, Unknown, Value, first_unknown, is_absent, to_python
from iamlint.parsers.terraform import syntax as s


def modulo(a: int | float, b: int | float) -> int | float:
    """go-cty's ``Modulo``: ``a - b * trunc(a / b)``; ``a`` when ``b`` is 0."""
    if b == 0:
        return a
    if isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    return math.fmod(a, b)


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "%": modulo, "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
_FAST = {**_ARITHMETIC, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
_NUMBERS = {int, float}
_NEVER_EMPTY = ("id", "arn", "name", "unique_id")


def binary(op: str, left: Value, right: Value, span: Span) -> Value:
    decided = _decided_equality(op, left, right, span)
    if decided is not None:
        return decided
    if left.__class__ is Known and right.__class__ is Known:
        a, b = left.value, right.value
        if a.__class__ in _NUMBERS and b.__class__ in _NUMBERS and op in _FAST:
            return _numeric(op, _FAST[op], a, b, span)  # fast path: two plain numbers
    for side in (left, right):
        unknown = first_unknown(side)
        if unknown is not None:
            return Unknown(unknown.reason, span)
    return _known_binary(op, cast(Known, left), cast(Known, right), span)  # both fully known now


def _numeric(op: str, function: Callable[[Any, Any], Any], a: Any, b: Any, span: Span) -> Value:
    try:
        return Known(function(a, b), span)
    except ZeroDivisionError:
        return Unknown("division by zero", span)
    except (ValueError, OverflowError):
        return Unknown(f"operator {op} cannot be evaluated on these values", span)


def _decided_equality(op: str, left: Value, right: Value, span: Span) -> Value | None:
    """``==`` / ``!=`` decided although a side is unknown: a resource's id, arn or name
    against "" or null (never empty once applied), or null against a value."""
    if op not in ("==", "!="):
        return None
    if _never_empty(left, right) or _never_empty(right, left):
        return Known(op == "!=", span)
    if isinstance(left, Known) and isinstance(right, Known) and (left.value is None) != (right.value is None):
        return Known(op == "!=", span)  # null against a value, whatever unknowns it holds
    return None


def _known_binary(op: str, left: Known, right: Known, span: Span) -> Value:
    """Both sides fully known (strings that hold numbers are numbers, as in Terraform)."""
    if op == "==":
        return Known(_plain(left) == _plain(right), span)
    if op == "!=":
        return Known(_plain(left) != _plain(right), span)
    if op == "&&":
        return Known(bool(left.value) and bool(right.value), span)
    if op == "||":
        return Known(bool(left.value) or bool(right.value), span)
    a, b = _number(left.value), _number(right.value)
    function = _ARITHMETIC.get(op)
    if function is not None and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
        try:
            return Known(function(a, b), span)
        except (TypeError, ZeroDivisionError, ValueError, OverflowError):
            pass
    return Unknown(f"operator {op} cannot be evaluated on these values", span)


def _never_empty(ref: Value, other: Value) -> bool:
    """A resource's id, arn or name compared with "" or null: once applied it is never
    empty, so ``aws_iam_role.r.name == ""`` is false whatever the name."""
    return (isinstance(ref, Ref) and ref.attribute in _NEVER_EMPTY
            and isinstance(other, Known) and other.value in ("", None))


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value) if value.lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    return value


def _plain(value: Value) -> Any:
    try:
        return to_python(value)
    except ValueError:
        return object()


def unary(op: str, value: Value, span: Span) -> Value:
    if not isinstance(value, Known):
        return Unknown(value.reason, span)
    if op == "!" and isinstance(value.value, bool):
        return Known(not value.value, span)
    if op == "-" and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return Known(-value.value, span)
    return Unknown(f"operator {op} does not apply here", span)


# -- the conditional operator with an undecidable condition -----------------------------
def describe(expr: s.Expr) -> str:
    """A short rendering of a condition for messages: ``var.debug``, ``local.env == "prod"``."""
    if isinstance(expr, s.Variable):
        return expr.name
    if isinstance(expr, s.GetAttr):
        return f"{describe(expr.source)}.{expr.name}"
    if isinstance(expr, s.Index) and isinstance(expr.key, s.Literal):
        return f"{describe(expr.source)}[{json.dumps(expr.key.value)}]"
    if isinstance(expr, s.Literal):
        return json.dumps(expr.value)
    if isinstance(expr, s.Template) and all(isinstance(p, str) for p in expr.parts):
        return json.dumps("".join(expr.parts))  # type: ignore[arg-type]
    if isinstance(expr, s.BinaryOp):
        return f"{describe(expr.left)} {expr.op} {describe(expr.right)}"
    if isinstance(expr, s.UnaryOp):
        return f"{expr.op}{describe(expr.operand)}"
    return f"the condition at line {expr.span.line}"


def either(then: Value, otherwise: Value, reason: str, span: Span, conditions: tuple[str, str] = ("", "")) -> Value:
    """A conditional whose condition is unknown. Both sides are evaluated: equal sides
    are that value; two lists become one list holding both sides' items (so a
    violation on either side is reported, at its own line); otherwise an Unknown
    naming the condition, which keeps both sides (:class:`Alternatives`, with
    ``conditions``: when each side is taken)."""
    if isinstance(then, Known) and isinstance(otherwise, Known):
        merged = _merge_branches(then, otherwise, span)
        if merged is not None:
            return merged
    message = f"the condition cannot be decided ({reason}) and its two results differ"
    if not all(conditions) or not all(_written(value, span) for value in (then, otherwise) if is_absent(value)):
        return Unknown(message, span)
    return Alternatives(message, span, ((conditions[0], then), (conditions[1], otherwise)))


def _written(value: Value, span: Span) -> bool:
    """Whether a branch's value is written in the conditional itself (``c ? x : null``),
    not brought by a reference (``c ? x : var.y`` whose default is null): only then is
    "no value" that branch's own, and not a value whose condition may be tied to the
    one deciding whether the resource exists at all."""
    inner = value.span
    return (inner.file == span.file and (inner.line, inner.column) >= (span.line, span.column)
            and (inner.end_line, inner.end_column) <= (span.end_line, span.end_column))


def _merge_branches(then: Known, otherwise: Known, span: Span) -> Value | None:
    try:
        if to_python(then) == to_python(otherwise):
            return then
    except ValueError:
        pass
    a, b = then.value, otherwise.value
    if isinstance(a, list) and isinstance(b, list):
        return Known(list(a) + list(b), span)
    if isinstance(a, Encoded) and isinstance(b, Encoded):
        both = _policy_union(a.data, b.data, span)
        if both is not None:
            return Known(Encoded(both), span)
    both = _policy_union(then, otherwise, span)
    if both is not None:
        return both
    return _one_sided(then, otherwise)


def _one_sided(then: Known, otherwise: Known) -> Value | None:
    """A policy document (or a list) against nothing: only that side can hold a violation."""
    for side, other in ((then, otherwise), (otherwise, then)):
        if isinstance(side.value, Encoded) and other.value in (None, ""):
            return side
    if then.value is None and isinstance(otherwise.value, list):
        return otherwise
    if otherwise.value is None and isinstance(then.value, list):
        return then
    return None


def _policy_union(a: Value, b: Value, span: Span) -> Value | None:
    """Two policy documents (objects with a Statement list) -> one holding the statements
    of both, so that a violation in either is reported; None for anything else."""
    if not (isinstance(a, Known) and isinstance(b, Known) and isinstance(a.value, dict) and isinstance(b.value, dict)):
        return None
    first, second = a.value.get("Statement"), b.value.get("Statement")
    if first is None or second is None:
        return None
    items = []
    for statements in (first, second):
        if isinstance(statements, Known) and isinstance(statements.value, list):
            items.extend(statements.value)
        else:
            items.append(statements)  # a single statement object, or an Unknown
    return Known({**a.value, "Statement": Known(items, span)}, span)
