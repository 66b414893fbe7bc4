"""HCL operators as Terraform evaluates them (go-cty), especially ``%``.

The expected values of ``%`` were taken from ``terraform console`` (Terraform 1.11.4):
``-7 % 3`` = -1, ``7 % -3`` = 1, ``-7.5 % 2`` = -1.5, ``7.5 % -2`` = 1.5,
``-7 % -3`` = -1, ``7 % 2.5`` = 2, ``"7" % "3"`` = 1, ``5 % 0`` = 5, ``-5 % 0`` = -5,
``0 % 0`` = 0. (cty's Modulo is ``a - b * trunc(a / b)``: the sign of the dividend, as
Go's math.Mod, not Python's floor rule.) ``1 / 0`` is +Inf and ``0 / 0`` an error in
Terraform; iamlint leaves both Unknown with a reason."""

from __future__ import annotations

import pytest

from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.normalize.terraform.operators import binary, modulo
from iamlint.parsers.terraform.hcl import parse_expression

SPAN = Span("t.tf", 1, 1, 1, 2)


def evaluate(text: str):
    unset = {"unset": Unknown("var.unset has no value", SPAN)}
    return Evaluator(ModuleConfig("."), unset).eval(parse_expression(text, "t.tf", 1, 1))


@pytest.mark.parametrize("text, expected", [
    ("-7 % 3", -1),
    ("7 % -3", 1),
    ("-7 % -3", -1),
    ("7 % 3", 1),
    ("-6 % 3", 0),
    ("-7.5 % 2", -1.5),
    ("7.5 % -2", 1.5),
    ("7 % 2.5", 2),
    ('"7" % "3"', 1),
    ('"-7" % 3', -1),
    ("5 % 0", 5),
    ("-5 % 0", -5),
    ("0 % 0", 0),
    ("5.5 % 0", 5.5),
    ("9007199254740993 % 2", 1),  # integers stay exact
])
def test_modulo_follows_terraform(text, expected):
    value = evaluate(text)
    assert isinstance(value, Known), value
    assert value.value == expected


def test_modulo_of_two_integers_is_an_integer():
    assert type(evaluate("-7 % 3").value) is int
    assert type(evaluate('"7" % "3"').value) is int


def test_modulo_with_an_unknown_operand_is_unknown_with_its_reason():
    value = evaluate("var.unset % 3")
    assert isinstance(value, Unknown) and "var.unset has no value" in value.reason


@pytest.mark.parametrize("a, b", [(float("inf"), 3), (float("nan"), 3), (3, float("nan"))])
def test_modulo_of_infinity_or_nan_never_crashes(a, b):
    result = binary("%", Known(a, SPAN), Known(b, SPAN), SPAN)
    assert isinstance(result, (Known, Unknown))


def test_modulo_helper_matches_truncated_division():
    for a in range(-12, 13):
        for b in [-5, -3, -1, 1, 3, 5]:
            assert modulo(a, b) == a - b * int(a / b)


@pytest.mark.parametrize("text", ["1 / 0", "0 / 0", '"4" / "0"'])
def test_division_by_zero_is_unknown_with_a_reason(text):
    value = evaluate(text)
    assert isinstance(value, Unknown) and value.reason


def test_huge_integer_division_is_unknown_not_a_crash():
    value = binary("/", Known(10 ** 400, SPAN), Known(3, SPAN), SPAN)
    assert isinstance(value, Unknown) and "cannot be evaluated" in value.reason


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7),
    ("10 / 4", 2.5),
    ("-(3)", -3),
    ("!true", False),
    ('"a" == "a"', True),
    ("1 < 2 && 2 < 3", True),
    ("var.unset || true", True),  # decided whatever the unknown side
    ("false && var.unset", False),
])
def test_other_operators(text, expected):
    value = evaluate(text)
    assert isinstance(value, Known) and value.value == expected
