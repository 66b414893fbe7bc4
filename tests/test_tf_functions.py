"""Terraform functions over three-valued values: results, Unknown propagation, files."""

from __future__ import annotations

import pytest

from iamlint.model.values import Known, Unknown, to_python
from iamlint.normalize.terraform.config import ModuleConfig
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.parsers.terraform.hcl import parse_expression


def evaluate(text: str, directory: str = ".", variables: dict | None = None):
    from iamlint.model.span import Span

    unset = {"unset": Unknown("var.unset has no value", Span("t.tf", 1, 1, 1, 2))}
    evaluator = Evaluator(ModuleConfig(directory), {**unset, **(variables or {})})
    return evaluator.eval(parse_expression(text, "t.tf", 1, 1))


CASES = [
    ('jsondecode(jsonencode({a = [1, "x"]}))', {"a": [1, "x"]}),
    ('format("%s-%d-%q", "a", 3, "b")', 'a-3-"b"'),
    ('join(",", ["a", "b"], ["c"])', "a,b,c"),
    ('split(",", "a,b")', ["a", "b"]),
    ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
    ('merge({a = 1}, {b = 2}, {a = 3})', {"a": 3, "b": 2}),
    ('lookup({a = 1}, "b", 2)', 2),
    ('element(["a", "b"], 3)', "b"),
    ('tolist(toset(["b", "a", "b"]))', ["a", "b"]),
    ('tomap({a = "x"})', {"a": "x"}),
    ('flatten([["a"], [["b"]], "c"])', ["a", "b", "c"]),
    ('distinct(["a", "b", "a"])', ["a", "b"]),
    ('compact(["a", "", null, "b"])', ["a", "b"]),
    ('coalesce("", null, "x")', "x"),
    ('coalescelist([], ["a"])', ["a"]),
    ('try(local.nothing.deeper, "fallback")', "fallback"),
    ('try({a = 1}.b, "fallback")', "fallback"),
    ('can({}.missing)', False),
    ('can("x")', True),
    ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('replace("abc", "/b+/", "X")', "aXc"),
    ('lower("AB")', "ab"),
    ('upper("ab")', "AB"),
    ('trimspace("  a ")', "a"),
    ('length({a = 1, b = 2})', 2),
    ('keys({b = 1, a = 2})', ["a", "b"]),
    ('values({b = 1, a = 2})', [2, 1]),
    ('contains(["a"], "a")', True),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    ('formatlist("%s-%s", ["a", "b"], "x")', ["a-x", "b-x"]),
    ('formatlist("%s=%d", ["a", "b"], [1, 2])', ["a=1", "b=2"]),
    ('formatlist("%s", "one")', ["one"]),
    ('base64decode(base64encode("hello"))', "hello"),
    ('[for k, v in {a = 1, b = 2} : "${k}=${v}" if v > 1]', ["b=2"]),
    ('{for s in ["a", "b", "a"] : s => s...}', {"a": ["a", "a"], "b": ["b"]}),
    ('[{a = 1}, {a = 2}][*].a', [1, 2]),
    ('"%{ for x in ["a", "b"] }${x};%{ endfor }%{ if true }!%{ else }?%{ endif }"', "a;b;!"),
    ('terraform.workspace', "default"),
]


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_function_results(text, expected):
    value = evaluate(text)
    assert isinstance(value, Known), value
    assert to_python(value) == expected


@pytest.mark.parametrize("text", [
    'join(",", [var.unset])',
    'format("%s", var.unset)',
    'lower(var.unset)',
    'no_such_function("x")',
    'jsondecode(var.unset)',
    'file(var.unset)',
    'length(var.unset)',
    'try(var.unset, "x")',
    'var.unset ? "a" : "b"',
])
def test_unknown_in_unknown_out(text):
    assert isinstance(evaluate(text), Unknown)


def test_collections_keep_unknown_items_and_spans():
    value = evaluate('concat(["s3:*"], [var.unset])')
    first, second = value.value
    assert first.value == "s3:*" and first.span.column == 9
    assert isinstance(second, Unknown)


def test_unknown_condition_keeps_both_list_sides():
    value = evaluate('var.unset ? ["s3:*"] : ["s3:GetObject"]')
    assert to_python(value) == ["s3:*", "s3:GetObject"]
    differing = evaluate('var.unset ? "a" : "b"')
    assert "condition cannot be decided" in differing.reason


def test_path_module_and_file_relative_to_it(tmp_path):
    (tmp_path / "doc.json").write_text('{\n  "a": 1\n}\n')
    value = evaluate('file("${path.module}/doc.json")', str(tmp_path))
    assert value.value.startswith("{") and value.span.file == str(tmp_path / "doc.json")


def test_templatefile_keeps_the_template_lines(tmp_path):
    (tmp_path / "p.tpl").write_text('{\n  "Action": ${jsonencode(a)},\n  "Resource": "${r}"\n}\n')
    value = evaluate('jsondecode(templatefile("${path.module}/p.tpl", { a = ["s3:*"], r = "*" }))', str(tmp_path))
    action = value.value["Action"].value[0]
    assert action.value == "s3:*" and action.span.file == str(tmp_path / "p.tpl") and action.span.line == 2


def test_unknown_condition_between_two_policies_keeps_both_documents():
    value = evaluate('jsonencode(var.unset ? { Statement = [{ Action = "s3:*" }] } : { Statement = [{ Action = "sqs:*" }] })')
    assert to_python(value.value.data) == {"Statement": [{"Action": "s3:*"}, {"Action": "sqs:*"}]}
    encoded = evaluate('var.unset ? jsonencode({ Statement = [{ Action = "a:*" }] }) : jsonencode({ Statement = { Action = "b:*" } })')
    assert to_python(encoded.value.data) == {"Statement": [{"Action": "a:*"}, {"Action": "b:*"}]}


def test_fileset(tmp_path):
    (tmp_path / "p").mkdir()
    for name in ("b.json", "a.json", "c.txt"):
        (tmp_path / "p" / name).write_text("{}")
    assert to_python(evaluate('fileset("${path.module}/p", "*.json")', str(tmp_path))) == ["a.json", "b.json"]


def test_unknown_condition_between_a_policy_and_nothing_keeps_the_policy():
    value = evaluate('var.unset ? jsonencode({ Statement = [{ Action = "s3:*" }] }) : null')
    assert to_python(value.value.data) == {"Statement": [{"Action": "s3:*"}]}


@pytest.mark.parametrize("text, said", [
    ('zipmap(["a", "b"], [1])', "2 keys but 1 values"),
    ('formatlist("%s%s", ["a", "b"], ["c"])', "different lengths (1, 2)"),
    ('element(["a", "b"], -1)', "must not be negative"),
])
def test_calls_terraform_rejects_are_unknown_never_a_truncated_value(text, said):
    """Terraform fails these calls; iamlint never evaluates them to a shortened or
    wrapped-around value (which could hide or invent a finding)."""
    result = evaluate(text)
    assert isinstance(result, Unknown)
    assert said in result.reason
