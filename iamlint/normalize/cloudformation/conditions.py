"""Decide template conditions where no deploy-time input is involved.

A condition is True/False when its operands are known without parameters (literals,
AWS::Partition, parameters with a single allowed value), else None ("both branches").
"""

from __future__ import annotations

from typing import Callable

from iamlint.model.values import Known, Value
from iamlint.normalize.cloudformation.template import Template

Operand = Callable[[Value], object]


class Conditions:
    def __init__(self, template: Template, operand: Operand) -> None:
        self.template = template
        self.operand = operand
        self.decided: dict[str, bool | None] = {}

    def decide(self, name: str) -> bool | None:
        """True/False when condition ``name`` is decidable, else None."""
        if name not in self.decided:
            self.decided[name] = None  # a cycle stays undecided
            raw = self.template.conditions.get(name)
            self.decided[name] = self.expression(raw) if raw is not None else None
        return self.decided[name]

    def expression(self, raw: Value) -> bool | None:
        if not isinstance(raw, Known) or not isinstance(raw.value, dict) or len(raw.value) != 1:
            return None
        function, arg = next(iter(raw.value.items()))
        operands = arg.value if isinstance(arg, Known) and isinstance(arg.value, list) else None
        if function == "Condition":
            name = arg.value if isinstance(arg, Known) else None
            return self.decide(name) if isinstance(name, str) else None
        if operands is None:
            return None
        if function == "Fn::Equals" and len(operands) == 2:
            return self._equals(operands[0], operands[1])
        if function == "Fn::Not" and len(operands) == 1:
            inner = self.expression(operands[0])
            return None if inner is None else not inner
        if function in ("Fn::And", "Fn::Or"):
            return _combine(function == "Fn::And", [self.expression(item) for item in operands])
        return None

    def _equals(self, left: Value, right: Value) -> bool | None:
        a, b = _plain(self.operand(left)), _plain(self.operand(right))
        if a is None or b is None:
            return None
        return a == b


def _combine(conjunction: bool, results: list[bool | None]) -> bool | None:
    if conjunction:
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


def _plain(value: object) -> str | None:
    if not isinstance(value, Known) or isinstance(value.value, (dict, list)):
        return None
    inner = value.value
    if isinstance(inner, bool):
        return "true" if inner else "false"
    return "" if inner is None else str(inner)
