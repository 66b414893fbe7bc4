"""Terraform built-in functions over three-valued Values (Unknown in, Unknown out).

Functions that build collections keep the Values of their items (and so their spans):
``concat(["s3:*"], var.more)`` still knows where ``"s3:*"`` was written, and an Unknown
item stays an Unknown item instead of spoiling the whole list. Functions that need the
full text of their arguments (``format``, ``join``...) return an Unknown when any part is
unknown. ``file`` and ``templatefile`` read relative to ``path.module`` and keep the
lines of the file they read. An unknown function is an Unknown, never an error.

``FUNCTIONS`` take evaluated arguments; ``LAZY`` (``try``, ``can``) take the call
expression and evaluate its arguments themselves. Operators are in ``operators.py``.
"""

from __future__ import annotations

from typing import Any, Callable

from iamlint.model.values import Value
from iamlint.normalize.terraform.functions import attempt, collection, filesystem, text
from iamlint.normalize.terraform.functions.lift import Function

FUNCTIONS: dict[str, Function] = {
    **collection.FUNCTIONS,
    **text.FUNCTIONS,
    **filesystem.FUNCTIONS,
    "sensitive": lambda evaluator, args, span: args[0],
    "nonsensitive": lambda evaluator, args, span: args[0],
}

LAZY: dict[str, Callable[[Any, Any, dict], Value]] = attempt.LAZY
