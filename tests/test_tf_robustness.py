"""Crafted inputs end with a located error or a result, quickly: never a hang or a crash."""

from __future__ import annotations

import time

from tf_helpers import write

from iamlint.engine import Options, run
from iamlint.model.values import Known, to_python


def _run(folder):
    started = time.perf_counter()
    report = run([str(folder)], Options(cache=False, jobs=1))
    return report, time.perf_counter() - started


def _local(folder, name):
    from iamlint.normalize.terraform import load_module

    result = load_module(str(folder), [(str(folder / "main.tf"),) * 2], Options(cache=False))
    node = result.graph.by_address("terraform_data.out")
    return node.attributes["input"], result.errors


def test_self_referencing_locals(tmp_path):
    write(tmp_path, {"main.tf": 'locals {\n  a = local.b\n  b = [local.a]\n  c = local.c\n}\n'})
    report, _ = _run(tmp_path)
    assert sorted((e.line, e.message) for e in report.errors) == [
        (2, "local.a refers to itself (local.a -> local.b -> local.a)"),
        (4, "local.c refers to itself (local.c -> local.c)"),
    ]


def test_module_cycle(tmp_path):
    write(tmp_path, {"main.tf": 'module "a" {\n  source = "./a"\n}\n',
                     "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
                     "b/main.tf": '\n\nmodule "again" {\n  source = "../a"\n}\n'})
    report, _ = _run(tmp_path / "main.tf")
    assert [(e.path.rsplit("/", 2)[-2:], e.line) for e in report.errors] == [(["b", "main.tf"], 4)]


def test_500_deep_nested_expressions(tmp_path):
    depth = 500
    otherwise = ' : "y"' * depth
    write(tmp_path, {"main.tf": (
        "locals {\n"
        f"  parens = {'(' * depth}1{')' * depth}\n"
        f"  lists  = {'[' * depth}\"s3:*\"{']' * depth}\n"
        f"  sums   = {' + '.join(['1'] * depth)}\n"
        f"  conds  = {'true ? ' * depth}\"x\"{otherwise}\n"
        f"  calls  = {'lower(' * depth}\"A\"{')' * depth}\n"
        "}\n"
        'resource "terraform_data" "out" {\n'
        "  input = [local.parens, local.sums, local.conds, local.calls, flatten(local.lists)]\n"
        "}\n")})
    value, errors = _local(tmp_path, "out")
    assert errors == []
    assert to_python(value) == [1, depth, "x", "a", ["s3:*"]]


def test_far_too_deep_input_is_a_located_error(tmp_path):
    depth = 20_000
    write(tmp_path, {"main.tf": f"\nlocals {{\n  x = {'[' * depth}1{']' * depth}\n}}\n"})
    report, _ = _run(tmp_path)
    assert [(e.line, e.message) for e in report.errors] == [(3, "syntax error: expression nested too deeply")]


def test_100000_element_for_expression(tmp_path):
    write(tmp_path, {"main.tf": (
        "locals {\n"
        '  actions = [for i in range(100000) : "s3:Get${i}"]\n'
        "}\n"
        'resource "terraform_data" "out" {\n'
        "  input = [length(local.actions), local.actions[99999]]\n"
        "}\n")})
    started = time.perf_counter()
    value, errors = _local(tmp_path, "out")
    elapsed = time.perf_counter() - started
    assert errors == []
    assert to_python(value) == [100000, "s3:Get99999"]
    print(f"100,000-element for expression: {elapsed:.2f}s")


def test_more_than_the_item_limit_is_unknown_not_a_hang(tmp_path):
    write(tmp_path, {"main.tf": (
        'resource "terraform_data" "out" {\n'
        "  input = [for i in range(100001) : i]\n"
        "}\n")})
    value, _errors = _local(tmp_path, "out")
    assert not isinstance(value, Known) and "more than 100000 items" in value.reason
