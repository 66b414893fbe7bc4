"""Never a silent green (issue 14 item 1): a folder given in which nothing is checked is
an input error naming what iamlint reads; a file named that iamlint does not read is a
note (pre-commit stays quiet: exit 0); files recognised by their name but not used are
counted ("skipped: N") and listed (JSON), never dropped silently."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from iamlint.cli import main
from iamlint.engine import Options, run

MESSAGE = "no Terraform, OpenTofu or CloudFormation files found under"
INSTANCE = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n'


def invoke(*args: str):
    return CliRunner().invoke(main, ["check", "--no-cache", *args])


def test_an_empty_folder_exits_2_with_the_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    result = invoke("empty")
    assert result.exit_code == 2, result.output
    assert f"empty: error {MESSAGE} empty; supported: *.tf" in result.output
    assert "*.tofu" in result.output and "*.yaml" in result.output


def test_a_folder_of_unrelated_files_exits_2_and_counts_what_it_recognised(tmp_path):
    (tmp_path / "README.md").write_text("# docs\n", encoding="utf-8")
    (tmp_path / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n", encoding="utf-8")
    (tmp_path / "package.json").write_text('{"name": "app"}\n', encoding="utf-8")
    result = invoke("--format", "json", str(tmp_path))
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert [e["message"].split(";")[0] for e in report["errors"]] == [f"{MESSAGE} {tmp_path}"]
    assert report["summary"]["skipped"] == 2
    assert [(os.path.basename(s["path"]), s["reason"]) for s in report["skipped"]] == [
        ("deployment.yaml", "its content is not a CloudFormation or SAM template"),
        ("package.json", "its content is not a Terraform or OpenTofu plan (show -json) or a CloudFormation or SAM template"),
    ]


def test_only_the_folder_without_supported_files_is_an_error(tmp_path):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(INSTANCE, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    report = run([str(tmp_path / "infra"), str(tmp_path / "docs")], Options(cache=False))
    assert [f.rule for f in report.findings] == ["EC2001"]
    assert [(os.path.basename(e.path), e.message.split(";")[0]) for e in report.errors] == [
        ("docs", f"{MESSAGE} {tmp_path / 'docs'}")]
    # a folder holding a checked unit deeper down is not empty
    assert not run([str(tmp_path)], Options(cache=False)).errors


def test_a_folder_whose_units_the_configuration_excludes_is_not_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "main.tf").write_text(INSTANCE, encoding="utf-8")
    result = invoke("--exclude", "legacy", "legacy")
    assert result.exit_code == 0 and "0 findings" in result.output  # the user chose to leave it out


def test_a_file_named_that_iamlint_does_not_read_is_a_note_and_exit_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# docs\n", encoding="utf-8")
    (tmp_path / "main.tf").write_text(INSTANCE, encoding="utf-8")
    result = invoke("README.md")
    assert result.exit_code == 0
    assert "iamlint: note: README.md: not read: not a Terraform, OpenTofu or CloudFormation file" in result.output
    # with a file iamlint reads, that one is checked and the other still noted
    result = invoke("README.md", "main.tf")
    assert result.exit_code == 1 and "main.tf:1:1: error EC2001" in result.output
    assert "README.md: not read" in result.output


def test_a_json_file_named_that_is_neither_template_nor_plan_is_skipped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tsconfig.json").write_text('{"compilerOptions": {}}\n', encoding="utf-8")
    result = invoke("tsconfig.json")
    assert result.exit_code == 0
    assert result.output.rstrip().endswith("in 0 files; skipped: 1.")


def test_terraform_files_in_hidden_folders_are_counted(tmp_path):
    (tmp_path / "main.tf").write_text(INSTANCE, encoding="utf-8")
    for folder in (".infra", ".infra/prod", ".terraform/modules/x", ".git/objects", ".terragrunt-cache/ab"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "main.tf").write_text(INSTANCE, encoding="utf-8")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("on: push\n", encoding="utf-8")  # needs its content read: not counted
    report = run([str(tmp_path)], Options(cache=False))
    assert [f.rule for f in report.findings] == ["EC2001"]
    assert [(os.path.relpath(s.path, tmp_path), s.message) for s in report.skipped] == [
        (".infra/main.tf", "skipped: in a hidden folder (.infra), which iamlint does not check"),
        (".infra/prod/main.tf", "skipped: in a hidden folder (.infra), which iamlint does not check"),
    ]


def test_a_tfvars_file_without_a_module_is_counted(tmp_path):
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "prod.tfvars").write_text('region = "eu-west-1"\n', encoding="utf-8")
    (tmp_path / "main.tf").write_text(INSTANCE, encoding="utf-8")
    (tmp_path / "terraform.tfvars").write_text('region = "eu-west-1"\n', encoding="utf-8")  # read by the module
    report = run([str(tmp_path)], Options(cache=False))
    assert [(os.path.relpath(s.path, tmp_path), s.message) for s in report.skipped] == [
        ("env/prod.tfvars", "skipped: no Terraform module in its folder uses it")]


def test_text_and_json_summaries_count_the_skipped_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(INSTANCE, encoding="utf-8")
    (tmp_path / "package.json").write_text("{}\n", encoding="utf-8")
    text = invoke(".")
    assert text.output.rstrip().endswith("in 1 file; skipped: 1.")
    report = json.loads(invoke("--format", "json", ".").output)
    assert report["summary"] == {"files": 1, "resources": 1, "findings": 1, "skipped": 1}
    assert report["skipped"] == [{"path": "package.json", "reason": report["skipped"][0]["reason"]}]
    (tmp_path / "package.json").unlink()
    report = json.loads(invoke("--format", "json", ".").output)
    assert "skipped" not in report and "skipped" not in report["summary"]  # keys only when there is content


def test_sarif_and_the_github_job_summary_list_the_skipped_files(tmp_path, monkeypatch):
    from iamlint.reporters import github, sarif

    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(INSTANCE, encoding="utf-8")
    (tmp_path / "package.json").write_text("{}\n", encoding="utf-8")
    report = run(["."], Options(cache=False))
    [invocation] = json.loads(sarif.render(report, root=str(tmp_path)))["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True  # skipped files are not errors
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "note" and note["message"]["text"].startswith("skipped: its content is not a")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "package.json"
    text = github.step_summary(report, root=str(tmp_path))
    assert "skipped: 1" in text and "- `package.json` skipped: its content is not a" in text


def test_the_statistics_summary_counts_the_skipped_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(INSTANCE, encoding="utf-8")
    (tmp_path / "package.json").write_text("{}\n", encoding="utf-8")
    result = invoke("--statistics", ".")
    assert result.output.rstrip().endswith("1 finding in total; skipped: 1")


def test_a_json_file_a_module_reads_is_not_skipped(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "trust.json").write_text('{"Version": "2012-10-17", "Statement": []}\n', encoding="utf-8")
    (tmp_path / "unused.json").write_text('{"a": 1}\n', encoding="utf-8")
    (tmp_path / "main.tf").write_text(INSTANCE + 'locals {\n  trust = templatefile("${path.module}/trust.json", {})\n}\n',
                                      encoding="utf-8")
    for cache in (False, True):  # the same whether the unit comes from the cache or not
        report = run([str(tmp_path)], Options(cache=cache))
        assert [os.path.basename(s.path) for s in report.skipped] == ["unused.json"]
