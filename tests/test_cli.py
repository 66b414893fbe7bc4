"""The command line: exit codes, `iamlint rules` / `--explain`, --stdin-filename (an unsaved
buffer linted in place of its file, siblings from disk), option conflicts, colour."""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

from iamlint.cli import main
from iamlint.registry import load_rules

REGISTRY = load_rules()
PROFILE = """\
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
"""
WITH_PROFILE = """\
resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options {
    http_tokens = "required"
  }
}
"""
WITHOUT_PROFILE = WITH_PROFILE.replace("  iam_instance_profile = aws_iam_instance_profile.p.name\n", "")


@pytest.fixture
def module(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(WITH_PROFILE, encoding="utf-8")
    (tmp_path / "infra" / "iam.tf").write_text(PROFILE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "infra"


def invoke(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_exit_codes(module):
    assert invoke("check", "infra", "--no-cache").exit_code == 0
    (module / "main.tf").write_text(WITHOUT_PROFILE, encoding="utf-8")
    assert invoke("check", "infra", "--no-cache").exit_code == 1
    (module / "broken.tf").write_text('resource "x" "y" {\n  a = \n', encoding="utf-8")
    result = invoke("check", "infra", "--no-cache")
    assert result.exit_code == 2 and "broken.tf:" in result.stdout


def test_rules_lists_code_name_severity_summary():
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(REGISTRY.rules)
    for line, rule in zip(lines, REGISTRY.rules, strict=True):
        fix = f"fix:{rule.fixable}" if rule.fixable else "-"
        assert re.match(rf"{rule.code}\s+{re.escape(rule.name)}\s+{rule.severity.label}\s+{re.escape(fix)}\s+"
                        rf"{re.escape(rule.summary)}$", line)
    fixes = {line.split()[0]: line.split()[3] for line in lines}
    assert fixes["EC2003"] == "fix:safe" and fixes["SUP001"] == "fix:safe" and fixes["IAM005"] == "fix:unsafe"
    assert fixes["EC2001"] == "fix:editor" and fixes["IAM001"] == "fix:unsafe" and fixes["IAM002"] == "fix:evidence"
    assert fixes["IAM007"] == "fix:evidence"
    assert fixes["IAM003"] == "-"


@pytest.mark.parametrize("key", ["EC2001", "ec2001", "instance-without-profile", "unused-suppression"])
def test_explain_prints_the_docstring(key):
    rule = REGISTRY.find(key)
    result = invoke("rules", "--explain", key)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{rule.code} {rule.name} ({rule.severity.label})")
    assert rule.doc.strip() in result.stdout


def test_explain_unknown_rule_is_a_usage_error():
    result = invoke("rules", "--explain", "NOPE1")
    assert result.exit_code == 2 and "unknown rule 'NOPE1'" in result.output


def test_stdin_filename_lints_the_buffer_in_place_of_the_file(module):
    # on disk main.tf has a profile; the unsaved buffer removed it
    result = invoke("check", "--stdin-filename", "infra/main.tf", "--no-cache", "--format", "json", stdin=WITHOUT_PROFILE)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert {(f["rule"], f["path"], f["line"]) for f in findings} == {("EC2001", "infra/main.tf", 1)}
    # and the other way round: the buffer references a profile defined in a sibling read from disk
    (module / "main.tf").write_text(WITHOUT_PROFILE, encoding="utf-8")
    result = invoke("check", "--stdin-filename", "infra/main.tf", "--no-cache", "--format", "json", stdin=WITH_PROFILE)
    assert result.exit_code == 0 and json.loads(result.stdout)["findings"] == []
    assert (module / "main.tf").read_text(encoding="utf-8") == WITHOUT_PROFILE  # the file is never written


def test_stdin_filename_reads_suppressions_from_the_buffer(module):
    buffer = "# iamlint:ignore EC2001 -- being rewritten\n" + WITHOUT_PROFILE
    result = invoke("check", "--stdin-filename", "infra/main.tf", "--no-cache", stdin=buffer)
    assert result.exit_code == 0 and "1 suppressed" in result.stdout


def test_stdin_filename_for_a_template(module):
    (module / "web.yaml").write_text("Resources: {}\n", encoding="utf-8")
    template = "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n"
    result = invoke("check", "--stdin-filename", "infra/web.yaml", "--no-cache", "--select", "EC2001", stdin=template)
    assert result.exit_code == 1 and result.stdout.startswith("infra/web.yaml:2:")


def test_config_and_isolated_exclude_each_other(module):
    (module / "x.toml").write_text("", encoding="utf-8")
    result = invoke("check", "infra", "--config", "infra/x.toml", "--isolated")
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_colour_only_on_text_to_a_terminal_or_when_forced(module):
    (module / "main.tf").write_text(WITHOUT_PROFILE, encoding="utf-8")
    forced = invoke("check", "infra", "--no-cache", "--color", "always")
    assert "\033[" in forced.stdout
    invoke("check", "infra", "--no-cache", "--color", "always", "-o", "out.txt")
    assert "\033[" not in (module.parent / "out.txt").read_text(encoding="utf-8")
    assert "\033[" not in invoke("check", "infra", "--no-cache", "--color", "always", "--format", "github").stdout


def test_text_output_is_path_line_col_for_editors(module):
    (module / "main.tf").write_text(WITHOUT_PROFILE, encoding="utf-8")
    line = invoke("check", "infra/main.tf", "--no-cache", "-q").stdout.splitlines()[0]
    assert re.match(r"^infra/main\.tf:1:1: error EC2001 \[instance-without-profile\] ", line), line


# ---------------------------------------------------------------- the documented recipes

DOCS = __import__("pathlib").Path(__file__).resolve().parent.parent / "docs"


def _check_options() -> set[str]:
    from iamlint.cli import check

    return {opt for param in check.params for opt in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize("name", ["ci.md", "editors.md", "configuration.md"])
def test_documented_command_lines_use_existing_options(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    known = _check_options()
    commands = re.findall(r"iamlint check([^\n`\"']*)", text)
    assert commands
    for command in commands:
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", command):
            assert option in known, f"docs/{name}: {option} in 'iamlint check{command}'"


def test_documented_problem_matcher_and_errorformats_parse_the_output(module):
    (module / "main.tf").write_text(WITHOUT_PROFILE, encoding="utf-8")
    line = invoke("check", "infra", "--no-cache", "-q", "--color", "never").stdout.splitlines()[0]
    text = (DOCS / "editors.md").read_text(encoding="utf-8")
    matcher = json.loads(re.search(r"```json\n// [^\n]*\n(.*?)```", text, re.DOTALL).group(1))
    pattern = matcher["tasks"][0]["problemMatcher"]["pattern"]
    match = re.match(pattern["regexp"], line)
    assert match, line
    assert (match.group(pattern["file"]), match.group(pattern["line"]), match.group(pattern["severity"]),
            match.group(pattern["code"])) == ("infra/main.tf", "1", "error", "EC2001")
    # the nvim-lint Lua pattern, translated to a Python regex
    lua = re.search(r'from_pattern\(\s*"([^"]+)"', text).group(1)
    python = lua.replace("%d", r"\d").replace("%a", "[A-Za-z]").replace("%w", r"[A-Za-z0-9]")
    assert re.match(python, line).groups()[:4] == ("1", "1", "error", "EC2001")


def test_documented_workflows_are_valid_yaml():
    import yaml  # PyYAML is a dependency of iamlint: never skipped
    text = (DOCS / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    documents = [yaml.safe_load(block) for block in blocks]
    workflows = [d for d in documents if isinstance(d, dict) and "jobs" in d]
    steps = [s for workflow in workflows for s in workflow["jobs"]["iamlint"]["steps"]]
    assert any(s.get("uses", "").startswith("iamlint/iamlint@") for s in steps)  # the action
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)  # by hand
    assert all(workflow["permissions"]["security-events"] == "write" for workflow in workflows)
    gitlab = next(d for d in documents if isinstance(d, dict) and "include" in d)
    assert gitlab["include"][0]["remote"].endswith("/templates/iamlint.gitlab-ci.yml")
    template = yaml.safe_load((DOCS.parent / "templates" / "iamlint.gitlab-ci.yml").read_text(encoding="utf-8"))
    assert template["iamlint"]["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    hooks = next(d for d in documents if isinstance(d, dict) and "repos" in d)
    assert hooks["repos"][0]["hooks"][0]["id"] == "iamlint"


def test_stdin_filename_of_a_file_not_saved_yet(module):
    buffer = WITHOUT_PROFILE.replace('"web"', '"other"')  # main.tf on disk declares aws_instance.web
    result = invoke("check", "--stdin-filename", "infra/new.tf", "--no-cache", "--format", "json", stdin=buffer)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert {(f["rule"], f["path"], f["line"]) for f in findings} == {("EC2001", "infra/new.tf", 1)}
    assert not (module / "new.tf").exists()
    # a reference into a sibling on disk resolves
    result = invoke("check", "--stdin-filename", "infra/new.tf", "--no-cache", "--format", "json", stdin=WITH_PROFILE.replace('"web"', '"other"'))
    assert result.exit_code == 0, result.output
    template = "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n"
    result = invoke("check", "--stdin-filename", "infra/new.yaml", "--no-cache", "--select", "EC2001", stdin=template)
    assert result.exit_code == 1 and result.stdout.startswith("infra/new.yaml:2:")


def test_a_dash_reads_stdin_as_the_file_named_by_stdin_filename(module):
    result = invoke("check", "-", "--stdin-filename", "infra/main.tf", "--no-cache", "--format", "json",
                    stdin=WITHOUT_PROFILE)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert {(f["rule"], os.path.normpath(f["path"])) for f in findings} >= {("EC2001", os.path.join("infra", "main.tf"))}


def test_a_dash_without_stdin_filename_says_what_is_missing(module):
    result = invoke("check", "-", stdin=WITHOUT_PROFILE)
    assert result.exit_code == 2
    assert "--stdin-filename" in result.stderr and "format" in result.stderr and "Traceback" not in result.output
