"""Terragrunt (issue 14 item 3): terragrunt.hcl units, their terraform { source } (local
paths, copies in .terragrunt-cache, a remote source not downloaded: EC2002), inputs as
the module's variables, include of a parent with locals, Terragrunt's functions, and
dependency outputs as Unknown. Findings locate in the module's files and name the unit."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from click.testing import CliRunner

from iamlint.cli import main
from iamlint.discovery import discover
from iamlint.engine import Options, run
from iamlint.formats import load_formats
from iamlint.model.graph import Compute, Role
from iamlint.model.values import Known, Unknown
from iamlint.normalize.terragrunt import load_unit

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "terragrunt"
MODULE = (FIXTURES / "good" / "modules" / "app" / "main.tf").read_text(encoding="utf-8")


def _write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)  # the repository checked: find_in_parent_folders stops at its top
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _found(report, base: Path) -> list[tuple[str, str, int]]:
    return sorted((f.rule, os.path.relpath(f.path, base), f.line) for f in report.findings)


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_inputs_setting_a_variable_to_a_role_trusting_star_give_iam001_in_the_module_file():
    unit = FIXTURES / "bad" / "live" / "prod" / "app"
    report = run([str(unit)], Options(cache=False))
    module = FIXTURES / "bad" / "modules" / "app" / "main.tf"
    assert _found(report, FIXTURES) == [("IAM001", "bad/modules/app/main.tf", _line(module, "Principal = var.principal"))]
    [finding] = report.findings
    assert finding.resource == f"terragrunt[{unit}].aws_iam_role.this"  # names the unit
    assert f"terragrunt[{unit}]" in finding.message
    assert not report.errors


def test_the_module_on_its_own_is_clean_so_the_finding_comes_from_the_inputs():
    assert _found(run([str(FIXTURES / "bad" / "modules" / "app")], Options(cache=False)), FIXTURES) == []


def test_a_remote_source_not_downloaded_is_ec2002_with_the_reason():
    unit = FIXTURES / "bad" / "live" / "prod" / "remote"
    report = run([str(unit)], Options(cache=False))
    config = unit / "terragrunt.hcl"
    assert _found(report, FIXTURES) == [("EC2002", "bad/live/prod/remote/terragrunt.hcl", _line(config, "source ="))]
    message = report.findings[0].message
    assert message.startswith(f"cannot verify Terragrunt unit terragrunt[{unit}]: its terraform source ")
    assert "is not downloaded (run terragrunt init so that .terragrunt-cache holds a copy)" in message


def test_the_whole_bad_tree_and_the_good_tree():
    report = run([str(FIXTURES / "bad")], Options(cache=False))
    assert [(f.rule, os.path.basename(f.path)) for f in report.findings] == [
        ("EC2002", "terragrunt.hcl"), ("IAM001", "main.tf")]
    good = run([str(FIXTURES / "good")], Options(cache=False))
    assert good.findings == [] and good.errors == []
    assert good.resources >= 9  # the unit app, the cached copy, the module checked on its own


def test_a_downloaded_copy_in_terragrunt_cache_is_read():
    unit = FIXTURES / "good" / "live" / "prod" / "cached"
    result = load_unit(str(unit), Options())
    assert result is not None
    [role] = [n for n in result.graph.nodes if isinstance(n, Role)]
    assert ".terragrunt-cache/x1Yz/Ab2c/modules/app/main.tf" in role.span.file
    assert role.address == f"terragrunt[{unit}].aws_iam_role.this"
    assert role.attributes["name"].value == "cached"  # the unit's inputs win over the parent's


def test_include_locals_path_relative_to_include_and_dependency_outputs():
    unit = FIXTURES / "good" / "live" / "prod" / "app"
    result = load_unit(str(unit), Options())
    assert result is not None
    [role] = [n for n in result.graph.nodes if isinstance(n, Role)]
    # the parent's inputs: "${local.project}-${replace(path_relative_to_include(), "/", "-")}"
    assert role.attributes["name"].value == "shop-prod-app"
    [instance] = [n for n in result.graph.nodes if isinstance(n, Compute)]
    subnet = instance.attributes["subnet_id"]
    assert isinstance(subnet, Unknown) and subnet.reason.startswith("dependency output (dependency.network")
    assert str(unit / "terragrunt.hcl") in result.files and str(FIXTURES / "good" / "live" / "root.hcl") in result.files


def test_a_unit_without_source_uses_its_own_files_and_its_inputs(tmp_path):
    _write(tmp_path, {
        "app/terragrunt.hcl": 'inputs = {\n  principal = "*"\n}\n',
        "app/main.tf": MODULE,
    })
    units, _ = discover([str(tmp_path)], load_formats())
    assert [(u.format.name, os.path.relpath(u.root, tmp_path)) for u in units] == [("terragrunt", "app")]
    report = run([str(tmp_path)], Options(cache=False))
    assert _found(report, tmp_path) == [("IAM001", "app/main.tf", _line(tmp_path / "app" / "main.tf", "Principal ="))]


def test_a_parent_configuration_is_no_unit_and_is_skipped_unless_a_unit_includes_it(tmp_path):
    _write(tmp_path, {
        "live/terragrunt.hcl": 'locals {\n  env = "prod"\n}\ninputs = {\n  name = "web-${local.env}"\n}\n',
        "live/app/terragrunt.hcl": ('include {\n  path = find_in_parent_folders()\n}\n'
                                    'terraform {\n  source = "../../modules/app"\n}\n'),
        "modules/app/main.tf": MODULE,
    })
    report = run([str(tmp_path / "live")], Options(cache=False))
    assert report.findings == [] and report.errors == [] and report.skipped == []  # live/app reads it
    os.remove(tmp_path / "live" / "app" / "terragrunt.hcl")
    report = run([str(tmp_path / "live")], Options(cache=False))
    assert [(os.path.relpath(s.path, tmp_path), s.message) for s in report.skipped] == [
        ("live/terragrunt.hcl", "skipped: its content is not a Terragrunt unit (a terragrunt.hcl naming a module)")]
    assert [e.message.split(";")[0] for e in report.errors] == [  # nothing checked: never a silent green
        f"no Terraform, OpenTofu or CloudFormation files found under {tmp_path / 'live'}"]
    (tmp_path / "live" / "app" / "terragrunt.hcl").write_text(
        'include {\n  path = find_in_parent_folders()\n}\nterraform {\n  source = "../../modules/app"\n}\n',
        encoding="utf-8")
    result = load_unit(str(tmp_path / "live" / "app"), Options())
    assert result is not None
    [role] = [n for n in result.graph.nodes if isinstance(n, Role)]
    assert role.attributes["name"].value == "web-prod"  # the unlabelled include's inputs, evaluated with its locals


def test_terragrunt_functions(tmp_path):
    _write(tmp_path, {
        "root.hcl": 'locals {\n  region = "eu-west-1"\n}\n',
        "live/prod/app/terragrunt.hcl": '''\
            include "root" {
              path   = find_in_parent_folders("root.hcl")
              expose = true
            }
            locals {
              here     = get_terragrunt_dir()
              up       = path_relative_from_include("root")
              down     = path_relative_to_include("root")
              parent   = get_parent_terragrunt_dir("root")
              region   = include.root.locals.region
              missing  = find_in_parent_folders("nowhere.hcl", "fallback")
              secret   = get_env("ROLE_NAME", "web")
              command  = run_cmd("sh", "-c", "echo pwned > /tmp/iamlint-terragrunt-run-cmd")
            }
            inputs = {
              name = "${local.region}-${local.down}-${local.up}-${local.missing}"
              principal = local.secret
            }
            ''',
        "live/prod/app/main.tf": MODULE,
    })
    result = load_unit(str(tmp_path / "live" / "prod" / "app"), Options())
    assert result is not None
    [role] = [n for n in result.graph.nodes if isinstance(n, Role)]
    assert role.attributes["name"].value == "eu-west-1-live/prod/app-../../..-fallback"
    assert not os.path.exists("/tmp/iamlint-terragrunt-run-cmd")  # run_cmd is never run


def test_get_env_and_run_cmd_are_never_run(tmp_path):
    from iamlint.normalize.terragrunt.config import read_unit

    config_text = 'inputs = {\n  a = get_env("HOME")\n  b = run_cmd("id")\n  c = get_terragrunt_dir()\n}\n'
    _write(tmp_path, {"u/terragrunt.hcl": config_text})
    config = read_unit(str(tmp_path / "u" / "terragrunt.hcl"), (str(tmp_path),))
    assert isinstance(config.inputs, Known)
    a, b, c = (config.inputs.value[k] for k in "abc")
    assert isinstance(a, Unknown) and a.reason == "get_env() is known only when Terragrunt runs (iamlint does not run it)"
    assert isinstance(b, Unknown) and b.reason.startswith("run_cmd() is known only when Terragrunt runs")
    assert c.value == str(tmp_path / "u")


def test_merge_strategies(tmp_path):
    parent = 'inputs = {\n  name = "parent"\n  tags = { a = "1", b = "1" }\n}\n'
    for strategy, name in (("shallow", "child"), ("no_merge", None), ("deep", "child")):
        _write(tmp_path, {
            "root.hcl": parent,
            f"{strategy}/terragrunt.hcl": (f'include "root" {{\n  path = find_in_parent_folders("root.hcl")\n'
                                           f'  merge_strategy = "{strategy}"\n}}\n'
                                           'inputs = {\n  name = "child"\n  tags = { b = "2" }\n}\n'),
        })
        from iamlint.normalize.terragrunt.config import read_unit

        config = read_unit(str(tmp_path / strategy / "terragrunt.hcl"), (str(tmp_path),))
        assert isinstance(config.inputs, Known)
        assert config.inputs.value["name"].value == (name or "child")
        tags = config.inputs.value["tags"].value
        assert sorted(tags) == (["a", "b"] if strategy == "deep" else ["b"])


def test_an_include_outside_the_repository_is_not_read(tmp_path):
    _write(tmp_path / "repo", {"u/terragrunt.hcl": 'include {\n  path = "/etc/hostname"\n}\n', "u/main.tf": MODULE})
    report = run([str(tmp_path / "repo")], Options(cache=False))
    assert [(os.path.basename(e.path), e.line, e.message) for e in report.errors] == [
        ("terragrunt.hcl", 2, "the included configuration /etc/hostname is outside the repository checked: not read")]


def test_a_local_source_that_is_missing_is_a_located_input_error(tmp_path):
    _write(tmp_path, {"u/terragrunt.hcl": 'terraform {\n  source = "../modules/gone"\n}\n'})
    report = run([str(tmp_path / "u")], Options(cache=False))
    assert report.findings == []  # one root cause: the error, no "cannot verify" note besides
    assert [(os.path.basename(e.path), e.line, e.column) for e in report.errors] == [("terragrunt.hcl", 2, 3)]
    assert report.errors[0].message.startswith("the terraform source '../modules/gone' is not a folder")


def test_a_syntax_error_in_terragrunt_hcl_is_located(tmp_path):
    _write(tmp_path, {"u/terragrunt.hcl": 'inputs = {\n  a = \n}\n', "u/main.tf": MODULE})
    report = run([str(tmp_path / "u")], Options(cache=False))
    [error] = report.errors
    assert (os.path.basename(error.path), error.line) == ("terragrunt.hcl", 2) and error.message.startswith("syntax error")
    assert report.findings == []  # one root cause: no "cannot verify" notes beside the error


def test_a_missing_include_is_an_error_at_the_include(tmp_path):
    _write(tmp_path, {"u/terragrunt.hcl": 'include "x" {\n  path = "../nope.hcl"\n}\n', "u/main.tf": MODULE})
    report = run([str(tmp_path / "u")], Options(cache=False))
    assert [(os.path.basename(e.path), e.line, e.column) for e in report.errors] == [("terragrunt.hcl", 2, 3)]
    assert report.errors[0].message.startswith("the included configuration ../nope.hcl: cannot read")


def test_cli_terragrunt_hcl_named_alone_reports_the_whole_unit(tmp_path, monkeypatch):
    _write(tmp_path, {"app/terragrunt.hcl": 'inputs = {\n  principal = "*"\n}\n', "app/main.tf": MODULE})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "app/terragrunt.hcl"])
    assert result.exit_code == 1, result.output
    assert "app/main.tf:" in result.output and "IAM001" in result.output and "terragrunt[app]" in result.output


def test_the_units_own_files_join_the_module_its_source_names(tmp_path):
    extra = (
        'resource "aws_iam_role_policy" "extra" {\n'
        '  role   = aws_iam_role.this.id\n'
        '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })\n'
        '}\n'
    )
    _write(tmp_path, {
        "live/app/terragrunt.hcl": 'terraform {\n  source = "../../modules//app"\n}\n',
        "live/app/extra.tf": extra,  # copied over the module by Terragrunt
        "modules/app/main.tf": MODULE,
    })
    report = run([str(tmp_path / "live")], Options(cache=False))
    assert sorted({(f.rule, os.path.relpath(f.path, tmp_path)) for f in report.findings}) == [
        ("IAM002", "live/app/extra.tf")]
    report = run([str(tmp_path / "live" / "app" / "extra.tf")], Options(cache=False))  # pre-commit: the file alone
    assert {(f.rule, os.path.relpath(f.path, tmp_path)) for f in report.findings} == {("IAM002", "live/app/extra.tf")}


def test_units_running_one_local_module_share_a_pool_task():
    from iamlint.parallel import groups

    units, _ = discover([str(FIXTURES / "good")], load_formats())
    by_root = {os.path.relpath(u.root, FIXTURES): u for u in units}
    app = by_root["good/live/prod/app"]
    assert app.format.shared_inputs(app) == {str(FIXTURES / "good" / "modules" / "app")}
    module = by_root["good/modules/app"]
    chosen = [app, module, by_root["good/live/prod/cached"]]
    shared = [frozenset(getattr(u.format, "shared_inputs", lambda unit: set())(u)) for u in chosen]
    assert sorted(groups(chosen, shared)) == [[0, 1], [2]]  # the unit and its module: one worker parses it once
