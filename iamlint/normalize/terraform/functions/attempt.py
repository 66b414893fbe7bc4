"""``try`` and ``can``: their arguments are evaluated lazily, one after the other."""

from __future__ import annotations

from typing import Any, Callable

from iamlint.model.values import Known, Ref, Unknown, Value


def _try(evaluator: Any, expr: Any, env: dict) -> Value:
    last: Unknown | None = None
    for arg in expr.args:
        value = evaluator.eval(arg, env)
        if isinstance(value, Known):
            return value
        last = value
        if not _is_error(value):
            return Unknown(f"try(): {value.reason}", expr.span)
    if last is None:
        return Unknown("try() without arguments", expr.span)
    return Unknown(f"try(): no argument can be evaluated ({last.reason})", expr.span)


_ERRORS = ("no attribute or key", "is out of range", "cannot take", "cannot be evaluated:", "is not defined",
           "has no instance", "is not declared", "cannot be evaluated on its own")


def _is_error(value: Unknown) -> bool:
    """An Unknown that Terraform would report as an error (try() moves on) rather than
    a value not known before apply (try() returns it unknown)."""
    if isinstance(value, Ref):
        return False
    return any(marker in value.reason for marker in _ERRORS)


def _can(evaluator: Any, expr: Any, env: dict) -> Value:
    if len(expr.args) != 1:
        return Unknown("can() takes one argument", expr.span)
    value = evaluator.eval(expr.args[0], env)
    if isinstance(value, Known):
        return Known(True, expr.span)
    if _is_error(value):
        return Known(False, expr.span)
    return Unknown(f"can(): {value.reason}", expr.span)


LAZY: dict[str, Callable[[Any, Any, dict], Value]] = {"try": _try, "can": _can}
