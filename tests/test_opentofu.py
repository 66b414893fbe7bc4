"""OpenTofu (issue 14 item 2): .tofu and .tofu.json files, OpenTofu's precedence (x.tofu
over x.tf, in the root module and in the modules it calls), `tofu show -json` plans and
the constructs only OpenTofu has."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from iamlint.cli import main
from iamlint.discovery import discover
from iamlint.engine import Options, run
from iamlint.formats import load_formats
from iamlint.parsers.terraform.names import module_names

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "opentofu"
NO_PROFILE = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n'
WITH_PROFILE = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n  iam_instance_profile = "p"\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n'


def _run(*paths: Path | str) -> object:
    return run([str(p) for p in paths], Options(cache=False))


def _found(report) -> list[tuple[str, str, int]]:
    return sorted((f.rule, os.path.basename(f.path), f.line) for f in report.findings)


def test_a_folder_holding_only_main_tofu_gives_ec2001(tmp_path):
    (tmp_path / "main.tofu").write_text(NO_PROFILE, encoding="utf-8")
    report = _run(tmp_path)
    assert _found(report) == [("EC2001", "main.tofu", 1)]
    assert report.files == 1 and not report.errors


def test_tofu_json_files_are_read_too(tmp_path):
    instance = {"resource": {"aws_instance": {"web": {"ami": "ami-1", "metadata_options": {"http_tokens": "required"}}}}}
    (tmp_path / "main.tofu.json").write_text(json.dumps(instance, indent=2), encoding="utf-8")
    report = _run(tmp_path)
    assert _found(report) == [("EC2001", "main.tofu.json", 4)]
    assert not report.skipped  # not offered to the CloudFormation or plan formats as a .json file


def test_a_tofu_and_tf_pair_is_judged_from_the_tofu_file_only(tmp_path):
    (tmp_path / "main.tofu").write_text(WITH_PROFILE, encoding="utf-8")
    (tmp_path / "main.tf").write_text(NO_PROFILE, encoding="utf-8")  # would be EC2001 and a duplicate address
    report = _run(tmp_path)
    assert _found(report) == [("EC2002", "main.tofu", 3)]  # the profile "p" is not defined: cannot verify
    assert [(os.path.basename(s.path), s.message) for s in report.skipped] == [
        ("main.tf", "skipped: OpenTofu reads main.tofu instead")]
    # swapped: the .tofu file decides again
    (tmp_path / "main.tofu").write_text(NO_PROFILE, encoding="utf-8")
    (tmp_path / "main.tf").write_text(WITH_PROFILE, encoding="utf-8")
    assert _found(_run(tmp_path)) == [("EC2001", "main.tofu", 1)]


def test_the_fixture_pair_reports_nothing_from_the_ignored_tf_file():
    report = _run(FIXTURES / "precedence")
    assert _found(report) == [("IAM002", "main.tofu", 18)]
    assert [os.path.basename(s.path) for s in report.skipped] == ["main.tf"]
    assert report.files == 2  # main.tofu and iam.tf


def test_precedence_pairs_by_syntax():
    names = ["a.tf", "a.tofu", "b.tf.json", "b.tofu.json", "c.tf", "c.tofu.json", "d.tf.json", "d.tofu", "e.tf"]
    # .tofu replaces .tf and .tofu.json replaces .tf.json (OpenTofu's rule); across syntaxes both are read
    assert module_names(names) == ["a.tofu", "b.tofu.json", "c.tf", "c.tofu.json", "d.tf.json", "d.tofu", "e.tf"]
    assert module_names(["a.tf", "b.tf.json", "x.tfvars"]) == ["a.tf", "b.tf.json"]  # Terraform's view


def test_precedence_applies_in_called_modules(tmp_path):
    child = tmp_path / "modules" / "web"
    child.mkdir(parents=True)
    (child / "main.tofu").write_text(WITH_PROFILE, encoding="utf-8")
    (child / "main.tf").write_text(NO_PROFILE, encoding="utf-8")
    (tmp_path / "main.tofu").write_text('module "web" {\n  source = "./modules/web"\n}\n', encoding="utf-8")
    report = run([str(tmp_path / "main.tofu")], Options(cache=False))
    assert [(f.rule, f.resource) for f in report.findings] == []  # only findings of the file given; the child is judged
    report = _run(tmp_path)  # the child folder is also a unit of its own
    assert sorted((f.rule, os.path.relpath(f.path, tmp_path), f.resource) for f in report.findings) == [
        ("EC2002", "modules/web/main.tofu", "aws_instance.web"),
        ("EC2002", "modules/web/main.tofu", "module.web.aws_instance.web")]


def test_a_folder_with_only_tf_files_stays_terraform(tmp_path):
    (tmp_path / "main.tf").write_text(NO_PROFILE, encoding="utf-8")
    units, _ = discover([str(tmp_path)], load_formats())
    assert [u.format.name for u in units] == ["terraform"]
    (tmp_path / "extra.tofu").write_text("", encoding="utf-8")
    units, _ = discover([str(tmp_path)], load_formats())
    assert [(u.format.name, u.kind, [os.path.basename(d) for _, d in u.files]) for u in units] == [
        ("opentofu", "terraform", ["extra.tofu", "main.tf"])]


def test_a_file_named_alone_brings_its_opentofu_module(tmp_path):
    (tmp_path / "main.tofu").write_text(WITH_PROFILE, encoding="utf-8")
    (tmp_path / "profile.tf").write_text('resource "aws_iam_instance_profile" "p" {\n  name = "p"\n}\n', encoding="utf-8")
    report = run([str(tmp_path / "main.tofu")], Options(cache=False))
    assert report.files == 1 and report.loaded == 1  # profile.tf read to judge main.tofu
    assert not any("not defined in the scanned code" in f.message for f in report.findings)  # the profile was found
    os.remove(tmp_path / "profile.tf")
    report = run([str(tmp_path / "main.tofu")], Options(cache=False))
    assert [f.rule for f in report.findings] == ["EC2002"] and "not defined" in report.findings[0].message


@pytest.mark.parametrize("route", ["lark", "treesitter"])
def test_opentofu_only_constructs_parse_with_both_routes(route):
    from iamlint.parsers.terraform import hcl, treesitter

    module = treesitter if route == "treesitter" else hcl
    if route == "treesitter" and not treesitter.available():
        pytest.skip("tree-sitter wheels are not installed on this platform")
    text = (FIXTURES / "syntax" / "main.tofu").read_text(encoding="utf-8")
    parsed = module.parse_hcl(text, "main.tofu")
    kinds = [block.type for block in parsed.body.blocks]
    assert kinds.count("removed") == 1 and kinds.count("import") == 1
    terraform = parsed.body.first_block("terraform")
    assert terraform is not None and terraform.body.first_block("encryption") is not None


def test_opentofu_only_constructs_evaluate():
    report = _run(FIXTURES / "syntax")
    # lifecycle { enabled = false } creates nothing; the imported instance's profile comes from the
    # module whose source is a variable (early evaluation); the provider function stays unknown
    assert _found(report) == [("EC2001", "main.tofu", 87)]
    assert not report.errors


def test_a_tofu_show_json_plan_is_read():
    path = FIXTURES / "plan" / "tfplan.json"
    plan = json.loads(path.read_text(encoding="utf-8"))
    assert plan["terraform_version"].startswith("1.8") and "registry.opentofu.org" in plan["resource_changes"][0]["provider_name"]
    units, _ = discover([str(path)], load_formats())
    assert [u.format.name for u in units] == ["terraform-plan"]
    report = _run(path)
    assert [(f.rule, f.line, f.resource) for f in report.findings] == [
        ("IAM002", 56, "aws_iam_role_policy.admin"), ("EC2001", 60, "aws_instance.batch")]


def test_a_tofu_plan_beside_tofu_sources_maps_back_to_them(tmp_path):
    (tmp_path / "main.tofu").write_text(NO_PROFILE, encoding="utf-8")
    plan = {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": [{
                "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
                "provider_name": "registry.opentofu.org/hashicorp/aws", "schema_version": 1,
                "values": {"ami": "ami-1", "metadata_options": [{"http_tokens": "required"}]}}]}},
            "resource_changes": [], "configuration": {"root_module": {"resources": []}}}
    (tmp_path / "tfplan.json").write_text(json.dumps(plan, indent=2), encoding="utf-8")
    report = _run(tmp_path)
    # one root cause, one finding: the sources' own (the plan's twin located in main.tofu is the same)
    assert _found(report) == [("EC2001", "main.tofu", 1)]


def test_the_pre_commit_hook_passes_opentofu_and_terragrunt_files():
    hook = next(h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "iamlint")
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    for name in ("main.tofu", "main.tofu.json", "live/prod/terragrunt.hcl", "terragrunt.hcl"):
        assert files.search(name), name
    for name in ("root.hcl.bak", "README.md", "x.hcl"):
        assert not files.search(name), name
    assert exclude.search("live/.terragrunt-cache/abc/main.tf") and exclude.search(".terraform/modules/x/main.tf")
    assert not exclude.search("live/prod/terragrunt.hcl")


def test_the_readme_names_opentofu():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "OpenTofu" in readme and ".tofu" in readme


def test_cli_on_a_tofu_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tofu").write_text(NO_PROFILE, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--no-cache", "infra"])
    assert result.exit_code == 1
    assert "infra/main.tofu:1:1: error EC2001" in result.output
