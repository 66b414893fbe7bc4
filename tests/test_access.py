"""`iamlint access`: the chain, the permission summary and the risks, in text, JSON
(validated against docs/access.schema.json), Markdown (Mermaid) and dot."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iamlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "fixtures" / "rules" / "privilege-escalation"
SCHEMA = json.loads((ROOT / "docs" / "access.schema.json").read_text())


def _access(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["access", *args])
    return result.exit_code, result.output


def _rel(text: str) -> str:
    return text.replace(str(ROOT) + "/", "")


def test_text_prints_the_chain_with_lines_the_summary_and_the_risks():
    code, out = _access("--instance", "aws_instance.web", str(BAD / "bad.tf"))
    assert code == 0
    tf = str(BAD / "bad.tf")
    lines = out.splitlines()
    assert lines[:4] == [
        f"aws_instance.web (instance)  {tf}:11",
        f"  -> instance profile aws_iam_instance_profile.web  {tf}:20",
        f"     -> role aws_iam_role.web  {tf}:25",
        f"        -> role policy aws_iam_role_policy.web  {tf}:30",
    ]
    assert "          iam              Permissions management      2  iam:AttachRolePolicy, iam:CreatePolicyVersion  on *" in lines
    assert "          s3               Read                        1  s3:GetObject  on *" in lines
    assert "          privilege escalation: CreateEC2WithExistingIP (ec2-001): iam:PassRole + ec2:RunInstances [IAM006]" in lines
    assert "          data exfiltration: s3:GetObject, secretsmanager:GetSecretValue, ssm:GetParameters" in lines


def test_json_follows_the_documented_schema_and_pins_the_chain():
    code, out = _access("--format", "json", str(BAD))
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    by_address = {c["address"]: c for c in document["computes"]}
    assert set(by_address) == {"aws_instance.web", "aws_launch_template.split", "aws_instance.app",
                               "Web", "Template", "App", "Worker", "Builder"}
    split = by_address["aws_launch_template.split"]
    assert (split["kind"], split["line"], split["profile"]["address"], split["profile"]["line"]) == (
        "launch template", 54, "aws_iam_instance_profile.split", 64)
    role = split["roles"][0]
    assert [(p["kind"], p["address"], p["line"], p.get("note")) for p in role["policies"]] == [
        ("inline policy", "aws_iam_role.split", 74, "pass"),
        ("managed policy", "aws_iam_policy.launch", 81, "attached by aws_iam_role_policy_attachment.launch"),
    ]
    assert role["risks"]["methods"] == [{
        "name": "CreateEC2WithExistingIP", "id": "ec2-001", "url": "https://pathfinding.cloud/paths/ec2-001",
        "actions": ["iam:PassRole", "ec2:RunInstances"], "reported_by": "IAM006"}]
    app = by_address["aws_instance.app"]["roles"][0]
    assert app["boundary"]["address"] == "aws_iam_role.app" and app["boundary"]["note"] == "aws_iam_policy.boundary"
    # the boundary allows EC2 and one bucket: iam:AttachRolePolicy is not effective, denied CreatePolicyVersion gone
    assert not [p for p in app["permissions"] if p["service"] == "iam" and p["access_level"] == "Permissions management"]
    assert app["risks"] == {"methods": [], "categories": {}}


def test_json_schema_rejects_what_the_contract_does_not_allow():
    _code, out = _access("--format", "json", str(BAD / "bad.yaml"))
    document = json.loads(out)
    document["computes"][0]["roles"][0]["risks"]["categories"]["made-up"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_markdown_has_a_mermaid_graph_of_the_chain():
    code, out = _access("--format", "markdown", "--instance", "Template", str(BAD / "bad.yaml"))
    assert code == 0
    assert out.startswith("# EC2 instance access\n\n## `Template` (launch template)\n")
    block = out.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == [
        "graph LR",
        '  n_Template["launch template<br/>Template"]',
        '  n_Template --> n_SplitProfile["instance profile<br/>SplitProfile"]',
        '  n_SplitProfile --> n_SplitRole["role<br/>SplitRole"]',
        '  n_SplitRole --> n_SplitRole_p0["inline policy<br/>SplitRole"]',
        '  n_SplitRole --> n_SplitRole_p1["managed policy<br/>Launch"]',
    ]
    assert "| ec2 | Write | 1 | `ec2:RunInstances` | `*` |" in out
    assert "- privilege escalation: [CreateEC2WithExistingIP](https://pathfinding.cloud/paths/ec2-001)" in out


def test_dot_is_one_graphviz_digraph():
    code, out = _access("--format", "dot", "--instance", "aws_launch_template.split", str(BAD))
    assert code == 0
    assert out.startswith("digraph access {\n") and out.endswith("}\n")
    assert '"aws_launch_template.split" -> "aws_iam_instance_profile.split";' in out
    assert '"aws_iam_instance_profile.split" -> "aws_iam_role.split";' in out


def test_auto_scaling_groups_and_missing_profiles_are_shown(tmp_path: Path):
    (tmp_path / "main.tf").write_text('''
resource "aws_launch_template" "lt" {
  name = "lt"
}
resource "aws_autoscaling_group" "asg" {
  max_size = 2
  min_size = 1
  launch_template {
    id = aws_launch_template.lt.id
  }
}
''')
    code, out = _access(str(tmp_path))
    assert code == 0
    assert out.splitlines()[:3] == [
        f"aws_launch_template.lt (launch template)  {tmp_path}/main.tf:2",
        f"  auto scaling group aws_autoscaling_group.asg  {tmp_path}/main.tf:5",
        "  -> no instance profile",
    ]
    assert out.splitlines()[3] == "  fixes (iamlint check proposes them):"  # EC2001's scaffold, EC2003's setting
    code, selected = _access("--instance", "aws_autoscaling_group.asg", str(tmp_path))
    assert code == 0 and selected == out


def test_unknown_instance_and_unreadable_input_exit_2(tmp_path: Path):
    code, out = _access("--instance", "aws_instance.nope", str(BAD / "bad.tf"))
    assert code == 2 and "no EC2 compute resource 'aws_instance.nope'" in out
    (tmp_path / "broken.tf").write_text('resource "aws_instance" "x" {\n')
    code, out = _access(str(tmp_path))
    assert code == 2 and "broken.tf" in out


FIXABLE = '''\
resource "aws_instance" "web" {
  ami                  = "ami-123"
  iam_instance_profile = aws_iam_instance_profile.web.name
}

resource "aws_iam_instance_profile" "web" {
  role = aws_iam_role.web.name
}

resource "aws_iam_role" "web" {
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "web" {
  role = aws_iam_role.web.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObjekt"], Resource = "arn:aws:s3:::b/*" }]
  })
}

resource "aws_instance" "other" {
  ami = "ami-123"
}
'''


def test_each_chain_links_to_the_fixes_check_proposes_on_it(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "main.tf").write_text(FIXABLE)
    code, out = _access("--format", "json", str(tmp_path / "repo"))
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    fixes = {c["address"]: [(f["rule"], f["line"], f["column"], f["applicability"]) for f in c["fixes"]]
             for c in document["computes"]}
    # the web instance's chain: its own EC2003, the role's trust (IAM001), the policy's typo
    # (IAM005); never the other instance's fixes, and the other never the chain's
    assert fixes == {
        "aws_instance.web": [("EC2003", 1, 1, "safe"), ("IAM001", 13, 58, "unsafe"), ("IAM005", 21, 48, "unsafe")],
        "aws_instance.other": [("EC2001", 25, 1, "editor"), ("EC2003", 25, 1, "safe")],
    }
    web = next(c for c in document["computes"] if c["address"] == "aws_instance.web")
    assert [f["command"] for f in web["fixes"]] == [
        "iamlint check --fix", "iamlint check --fix --unsafe-fixes", "iamlint check --fix --unsafe-fixes"]
    code, text = _access(str(tmp_path / "repo"))
    assert "  fixes (iamlint check proposes them):" in text
    assert "Replace 's3:GetObjekt' with 's3:GetObject' (unsafe: iamlint check --fix --unsafe-fixes)" in text
    code, markdown = _access("--format", "markdown", str(tmp_path / "repo"))
    assert "**Fixes** (`iamlint check` proposes them)" in markdown
