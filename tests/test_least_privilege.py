"""Least privilege (issue 18): the effective-permissions model and the rules IAM006
privilege-escalation, IAM007 unscoped-write, IAM008 sensitive-access, through the whole
pipeline (exact rule, line, column), and what they add to JSON, SARIF and IAM002/IAM003."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint.model.findings import Severity
from iamlint.testing import check_directory, lint

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "fixtures" / "rules"
CATEGORIES = {"privilege-escalation", "data-exfiltration", "credentials-exposure", "resource-exposure",
              "infrastructure-modification"}
NEW = {"IAM006", "IAM007", "IAM008"}


def _findings(path: Path, rules=NEW) -> list:
    report = lint([path.parent if path.is_file() else path])
    return sorted(
        (f for f in report.findings if f.rule in rules and (not path.is_file() or Path(f.path).resolve() == path.resolve())),
        key=lambda f: (f.path, f.line, f.column, f.rule),
    )


def _pinned(path: Path, rules=NEW) -> list[tuple[str, int, int, str]]:
    return [(f.rule, f.line, f.column, f.severity.label) for f in _findings(path, rules)]


@pytest.mark.parametrize("name", ["privilege-escalation", "unscoped-write", "sensitive-access"])
def test_rule_fixtures_report_exactly_their_markers(name: str):
    directory = RULES / name
    names = {p.name for p in directory.iterdir()}
    for stem in ("bad", "good"):
        assert {f"{stem}.tf", f"{stem}.yaml", f"{stem}.json", f"{stem}.json.expect"} <= names
    check_directory(directory)


# ---------------------------------------------------------------- the issue's example


def test_issue_example_terraform_gives_iam006_iam007_iam008_errors_on_the_instance_role():
    found = _pinned(RULES / "privilege-escalation" / "bad.tf")
    example = [item for item in found if item[1] < 50]
    assert example == [
        ("IAM006", 37, 9, "error"),   # iam:PassRole (+ ec2:RunInstances)
        ("IAM006", 39, 9, "error"),   # iam:AttachRolePolicy
        ("IAM006", 40, 9, "error"),   # iam:CreatePolicyVersion
        ("IAM008", 41, 9, "error"),   # s3:GetObject, secretsmanager:GetSecretValue, ssm:GetParameters
        ("IAM007", 44, 9, "error"),   # kms:Decrypt, s3:DeleteBucket, ec2:TerminateInstances
    ]
    messages = {f.line: f.message for f in _findings(RULES / "privilege-escalation" / "bad.tf")}
    assert "CreateEC2WithExistingIP (ec2-001): iam:PassRole and ec2:RunInstances" in messages[37]
    assert "AttachRolePolicy (iam-009)" in messages[39] and "CreateNewPolicyVersion (iam-001)" in messages[40]
    assert "s3:GetObject, secretsmanager:GetSecretValue, ssm:GetParameters" in messages[41]
    assert "3 Write actions" in messages[44] and "s3:DeleteBucket" in messages[44]
    assert "aws_instance.web" in messages[37]


def test_issue_example_cloudformation_gives_the_same_findings():
    found = [item for item in _pinned(RULES / "privilege-escalation" / "bad.yaml") if item[1] < 45]
    assert found == [
        ("IAM006", 32, 21, "error"),
        ("IAM006", 34, 21, "error"),
        ("IAM006", 35, 21, "error"),
        ("IAM008", 36, 21, "error"),
        ("IAM007", 39, 21, "error"),
    ]


def test_method_split_over_inline_and_attached_policy_relates_both_statements():
    findings = [f for f in _findings(RULES / "privilege-escalation" / "bad.tf") if f.line == 76]
    assert [(f.rule, f.column, f.severity) for f in findings] == [("IAM006", 50, Severity.ERROR)]
    related = {(r.label, r.resource, r.span.line) for r in findings[0].related}
    assert ("statement ec2:RunInstances in policy aws_iam_policy.launch", "aws_iam_policy.launch", 85) in related
    assert ("role", "aws_iam_role.split", 69) in related
    yaml_split = [f for f in _findings(RULES / "privilege-escalation" / "bad.yaml") if f.line == 70]
    assert [r.resource for r in yaml_split[0].related][:1] == ["Launch"]
    assert (yaml_split[0].related[0].span.line, yaml_split[0].related[0].span.column) == (80, 21)


def test_lambda_method_split_over_two_cloudformation_policies():
    found = _findings(RULES / "privilege-escalation" / "bad.json")
    assert [(f.rule, f.line, f.column) for f in found] == [("IAM006", 28, 58), ("IAM006", 42, 74)]
    assert "PassExistingRoleToNewLambdaThenInvoke (lambda-001)" in found[0].message
    assert {r.span.line for r in found[0].related if r.label.startswith("statement")} == {42}


def test_condition_lowers_one_step_and_names_its_keys():
    found = {f.line: f for f in _findings(RULES / "privilege-escalation" / "bad.tf")}
    assert found[105].severity is Severity.WARNING  # a role no instance uses
    assert found[108].severity is Severity.NOTE and "aws:RequestedRegion" in found[108].message
    writes = {f.line: f for f in _findings(RULES / "unscoped-write" / "bad.tf")}
    assert writes[45].severity is Severity.WARNING and "aws:ResourceTag/Team" in writes[45].message


# ---------------------------------------------------------------- never a violation


def test_no_iam007_for_unscopable_actions_narrow_patterns_unknowns_and_denied_statements():
    assert _findings(RULES / "unscoped-write" / "good.tf") == []
    assert _findings(RULES / "unscoped-write" / "good.yaml") == []
    assert _findings(RULES / "unscoped-write" / "good.json") == []


def _module(tmp_path: Path, text: str) -> list:
    """The IAM006-IAM008 findings of a one-file module (a new folder each time: lint()
    caches reports by path)."""
    folder = tmp_path / f"m{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "main.tf").write_text(text)
    return [f for f in lint([folder]).findings if f.rule in NEW]


ROLE = """
resource "aws_instance" "i" {
  ami                  = "ami-12345678"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_iam_instance_profile" "p" {
  name = "p"
  role = aws_iam_role.r.name
}
resource "aws_iam_role" "r" {
  name                 = "r"
  assume_role_policy   = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
  %s
}
resource "aws_iam_role_policy" "p" {
  role   = aws_iam_role.r.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [%s] })
}
resource "aws_iam_policy" "boundary" {
  name   = "boundary"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = [%s], Resource = "*" }] })
}
"""


def test_a_boundary_that_excludes_the_method_removes_iam006(tmp_path: Path):
    grant = '{ Effect = "Allow", Action = ["iam:AttachRolePolicy"], Resource = "*" }'
    without = _module(tmp_path, ROLE % ("", grant, '"s3:ListBucket"'))
    assert [(f.rule, f.severity) for f in without] == [("IAM006", Severity.ERROR)]
    bounded = _module(tmp_path, ROLE % ("permissions_boundary = aws_iam_policy.boundary.arn", grant, '"s3:ListBucket"'))
    assert bounded == []
    allowing = _module(tmp_path, ROLE % ("permissions_boundary = aws_iam_policy.boundary.arn", grant, '"iam:Attach*"'))
    assert [f.rule for f in allowing if f.resource == "aws_iam_role_policy.p"] == ["IAM006"]


def test_a_boundary_that_cannot_be_read_is_named_in_the_finding(tmp_path: Path):
    grant = '{ Effect = "Allow", Action = ["iam:AttachRolePolicy"], Resource = "*" }'
    found = _module(tmp_path, ROLE % ("permissions_boundary = var.boundary", grant, '"s3:ListBucket"')
                    + 'variable "boundary" {\n  type = string\n}\n')
    assert [f.rule for f in found] == ["IAM006"]
    assert "the permissions boundary" in found[0].message and "could not be read" in found[0].message


def test_an_explicit_deny_subtracts_only_what_it_fully_covers(tmp_path: Path):
    allow = '{ Effect = "Allow", Action = ["iam:CreatePolicyVersion"], Resource = "*" }'
    covered = _module(tmp_path, ROLE % ("", allow + ', { Effect = "Deny", Action = ["iam:*"], Resource = "*" }', '"s3:ListBucket"'))
    assert covered == []
    conditioned = ('{ Effect = "Deny", Action = ["iam:CreatePolicyVersion"], Resource = "*", '
                   'Condition = { Bool = { "aws:MultiFactorAuthPresent" = "false" } } }')
    assert [f.rule for f in _module(tmp_path, ROLE % ("", allow + ", " + conditioned, '"s3:ListBucket"'))] == ["IAM006"]
    narrower = '{ Effect = "Deny", Action = ["iam:CreatePolicyVersion"], Resource = "arn:aws:iam::*:policy/admin" }'
    assert [f.rule for f in _module(tmp_path, ROLE % ("", allow + ", " + narrower, '"s3:ListBucket"'))] == ["IAM006"]


def test_unknown_actions_and_resources_are_never_violations(tmp_path: Path):
    grants = ('{ Effect = "Allow", Action = [var.action], Resource = "*" }, '
              '{ Effect = "Allow", Action = ["iam:PassRole", "ec2:RunInstances", "s3:GetObject"], Resource = var.arn }')
    text = ROLE % ("", grants, '"s3:ListBucket"') + 'variable "action" {\n  type = string\n}\nvariable "arn" {\n  type = string\n}\n'
    assert _module(tmp_path, text) == []


def test_not_action_is_the_complement_and_left_to_iam002(tmp_path: Path):
    grant = '{ Effect = "Allow", NotAction = ["s3:*"], Resource = "*" }'
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "main.tf").write_text(ROLE % ("", grant, '"s3:ListBucket"'))
    findings = lint([folder]).findings
    assert [f.rule for f in findings if f.rule in NEW] == []
    iam002 = [f for f in findings if f.rule == "IAM002"]
    assert len(iam002) == 1 and "privilege escalation (" in iam002[0].message
    assert "data exfiltration (ssm:GetParameter" in iam002[0].message and "s3:GetObject" not in iam002[0].message
    assert set(iam002[0].tags) == CATEGORIES


# ---------------------------------------------------------------- one root cause, one finding


def test_a_reported_wildcard_absorbs_the_methods_it_gives_and_names_them(tmp_path: Path):
    grant = '{ Effect = "Allow", Action = ["iam:*", "s3:GetObject"], Resource = "*" }'
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "main.tf").write_text(ROLE % ("", grant, '"s3:ListBucket"'))
    findings = lint([folder]).findings
    assert sorted(f.rule for f in findings) == ["IAM002", "IAM008"]
    iam002 = next(f for f in findings if f.rule == "IAM002")
    assert "; includes privilege escalation (CreateAccessKey" in iam002.message
    assert iam002.tags == ("privilege-escalation", "credentials-exposure", "resource-exposure", "infrastructure-modification")
    assert ("iam-002", "https://pathfinding.cloud/paths/iam-002") in iam002.references


def test_iam003_names_what_an_attached_aws_managed_policy_includes():
    found = [f for f in lint([RULES / "admin-policy-attached"]).findings
             if f.rule == "IAM003" and f.path.endswith("bad.tf") and "AmazonEC2FullAccess" in f.message]
    assert found and "includes privilege escalation (ModifyInstanceAttribute+StopInstances+StartInstances" in found[0].message
    assert "privilege-escalation" in found[0].tags
    assert not [f for f in lint([RULES / "admin-policy-attached"]).findings
                if f.rule in NEW and f.path.endswith("bad.tf") and f.line == found[0].line]


def test_documented_instance_policies_give_one_note_per_attachment():
    notes = [f for f in _findings(RULES / "sensitive-access" / "bad.tf") if f.line == 58]
    assert [(f.rule, f.severity) for f in notes] == [("IAM008", Severity.NOTE)]
    assert "data exfiltration (ssm:GetParameter, ssm:GetParameters) on every resource" in notes[0].message
    assert "and 4 write actions on every resource (ssm:PutComplianceItems" in notes[0].message
    assert "documented by AWS for EC2 instance roles" in notes[0].message
    assert notes[0].tags == ("data-exfiltration", "infrastructure-modification")
    writes_only = [f for f in _findings(RULES / "unscoped-write" / "bad.tf") if f.line == 70]
    assert [(f.rule, f.severity) for f in writes_only] == [("IAM007", Severity.NOTE)]
    assert "CloudWatchAgentServerPolicy allows 4 Write actions" in writes_only[0].message


def test_accepted_managed_policies_are_notes(tmp_path: Path):
    text = ROLE % ("", '{ Effect = "Allow", Action = ["s3:ListBucket"], Resource = "arn:aws:s3:::b" }', '"s3:ListBucket"') + """
resource "aws_iam_role_policy_attachment" "s3" {
  role       = aws_iam_role.r.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}
"""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "main.tf").write_text(text)
    command = [sys.executable, "-m", "iamlint", "check", "--no-cache", "--format", "json", "--select", "IAM008", str(folder)]
    before = json.loads(subprocess.run(command, capture_output=True, text=True).stdout)["findings"]
    assert [(f["rule"], f["severity"]) for f in before] == [("IAM008", "error")]
    (folder / "iamlint.toml").write_text('accepted-managed-policies = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]\n')
    after = json.loads(subprocess.run(command, capture_output=True, text=True).stdout)["findings"]
    assert [(f["rule"], f["severity"]) for f in after] == [("IAM008", "note")]
    assert "accepted by the configuration" in after[0]["message"]
    (folder / "iamlint.toml").write_text('accepted-managed-policies = ["AmazonS3ReadOnlyAcces"]\n')
    wrong = subprocess.run(command, capture_output=True, text=True)
    assert wrong.returncode == 2  # a located input error in the report (issue 12 item 8)
    (error,) = json.loads(wrong.stdout)["errors"]
    assert error["path"].endswith("iamlint.toml") and error["line"] == 1
    assert error["message"].startswith("accepted-managed-policies: unknown AWS managed policy 'AmazonS3ReadOnlyAcces'")
    assert "did you mean 'AmazonS3ReadOnlyAccess'?" in error["message"]


# ---------------------------------------------------------------- output contract


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iamlint", *args], capture_output=True, text=True)


def test_json_findings_carry_tags_references_and_related():
    out = _cli("check", "--no-cache", "--format", "json", str(RULES / "privilege-escalation" / "bad.tf"))
    findings = {(f["rule"], f["line"]): f for f in json.loads(out.stdout)["findings"]}
    split = findings[("IAM006", 76)]
    assert split["tags"] == ["privilege-escalation"]
    assert split["references"] == [{"id": "ec2-001", "url": "https://pathfinding.cloud/paths/ec2-001"}]
    assert {"label": "statement ec2:RunInstances in policy aws_iam_policy.launch", "resource": "aws_iam_policy.launch",
            "path": str(RULES / "privilege-escalation" / "bad.tf"), "line": 85, "column": 48} in split["related"]
    assert findings[("IAM008", 41)]["tags"] == ["data-exfiltration"]
    assert findings[("IAM007", 44)]["tags"] == ["infrastructure-modification"]
    assert all(set(f.get("tags", ())) <= CATEGORIES for f in findings.values())


def test_sarif_results_carry_tags_and_related_locations():
    out = _cli("check", "--no-cache", "--format", "sarif", str(RULES / "privilege-escalation" / "bad.tf"))
    results = json.loads(out.stdout)["runs"][0]["results"]
    split = next(r for r in results if r["ruleId"] == "IAM006" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 76)
    assert split["properties"]["tags"] == ["privilege-escalation"]
    assert split["properties"]["references"][0]["id"] == "ec2-001"
    lines = [loc["physicalLocation"]["region"]["startLine"] for loc in split["relatedLocations"]]
    assert 85 in lines


def test_version_prints_the_risk_catalogue_and_the_data_records_its_source():
    out = _cli("--version")
    assert "risk catalogue" in out.stdout and "cloudsplaining" in out.stdout
    data = json.loads((ROOT / "iamlint" / "data" / "risks.json").read_text())
    meta = data["meta"]
    assert meta["source"] == "cloudsplaining" and meta["version"] and meta["date"]
    assert "not published" in meta["pathfinding_cloud"]
    assert any(m["url"].startswith("https://pathfinding.cloud/paths/") for m in data["privilege_escalation"])
    knowledge = json.loads((ROOT / "iamlint" / "data" / "knowledge.json").read_text())
    assert knowledge["risks"] == meta


# ---------------------------------------------------------------- the model


def test_arn_patterns_cover_resource_types():
    from iamlint.permissions.arns import ALL, NONE, SOME, UNKNOWN, covers_format, scope

    role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    assert covers_format("*", role) and covers_format("arn:aws:iam::*:role/*", role)
    assert covers_format("arn:aws:iam::123456789012:role/*", role)
    assert not covers_format("arn:aws:iam::123456789012:role/app-*", role)
    assert not covers_format("arn:aws:s3:::*", role)
    obj = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    assert covers_format("arn:aws:s3:::*", obj) and not covers_format("arn:aws:s3:::b/*/*.log", obj)
    assert scope(("arn:aws:s3:::*",), False, False, "s3", "accesspointobject,object") == ALL
    assert scope(("arn:aws:s3:::b/*",), False, False, "s3", "accesspointobject,object") == SOME
    assert scope((), True, False, "s3", "object") == UNKNOWN
    assert scope((), False, False, "s3", "object") == NONE
    assert scope(("arn:aws:ec2:*:*:instance/*",), False, False, "ec2", "!instance,!volume") == SOME
    assert scope(("arn:aws:ec2:*:*:*",), False, False, "ec2", "!instance,!volume") == ALL
    assert scope(("arn:aws:logs:*:*:log-group:name:*",), False, False, "logs", "!log-stream") == SOME


def test_effective_permissions_keep_provenance_per_grant(tmp_path: Path):
    from iamlint.discovery import discover
    from iamlint.engine import Options, load_unit
    from iamlint.locate import locate
    from iamlint.model.graph import Role
    from iamlint.permissions import effective_permissions

    units, _ = discover([str(RULES / "privilege-escalation" / "bad.tf")])
    graph = load_unit(units[0], Options(cache=False)).graph
    role = graph.by_address("aws_iam_role.split")
    assert isinstance(role, Role)
    permissions = effective_permissions(graph, role)
    assert effective_permissions(graph, role) is permissions  # memoised per graph
    grants = {g.pattern: g for g in permissions.allows}
    assert set(grants) == {"iam:PassRole", "ec2:RunInstances"}
    node, path = grants["ec2:RunInstances"].location()
    assert node.address == "aws_iam_policy.launch" and locate(node, path).line == 85
    assert [g.origin.describe() for g in permissions.allowing("IAM:passrole")] == ["inline policy #1 of aws_iam_role.split"]


def test_a_method_split_over_reported_wildcards_is_left_to_iam002(tmp_path: Path):
    grants = ('{ Effect = "Allow", Action = ["iam:*"], Resource = "*" }, '
              '{ Effect = "Allow", Action = ["ec2:*"], Resource = "*" }')
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "main.tf").write_text(ROLE % ("", grants, '"s3:ListBucket"'))
    findings = lint([folder]).findings
    assert sorted(f.rule for f in findings) == ["IAM002", "IAM002"]
    split = ('{ Effect = "Allow", Action = ["iam:*"], Resource = "*" }, '
             '{ Effect = "Allow", Action = ["ec2:RunInstances"], Resource = "*" }')
    assert [f.rule for f in _module(tmp_path, ROLE % ("", split, '"s3:ListBucket"'))] == ["IAM006"]


SERVICE_ROLE = """
resource "aws_iam_role" "batch" {
  name                = "batch"
  assume_role_policy  = "{}"
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AmazonElasticMapReduceRole"]
}
"""


def test_aws_service_role_policies_are_notes_unless_an_instance_uses_the_role(tmp_path: Path):
    found = _module(tmp_path, SERVICE_ROLE)
    assert {(f.rule, f.severity) for f in found if f.rule in ("IAM006", "IAM008")} == {
        ("IAM006", Severity.NOTE), ("IAM008", Severity.NOTE)}
    assert "path /service-role/" in next(f for f in found if f.rule == "IAM006").message
    used = SERVICE_ROLE + """
resource "aws_iam_instance_profile" "batch" {
  name = "batch"
  role = aws_iam_role.batch.name
}
"""
    assert {(f.rule, f.severity) for f in _module(tmp_path, used) if f.rule in ("IAM006", "IAM008")} == {
        ("IAM006", Severity.ERROR), ("IAM008", Severity.ERROR)}


def test_baseline_fingerprints_ignore_what_a_wildcard_includes():
    from iamlint.baseline import normalise_message

    plain = "policy p allows every action of iam ('iam:*', 190 actions); it reaches role r"
    enriched = plain + "; includes privilege escalation (CreateAccessKey and 12 more) and resource exposure"
    assert normalise_message(enriched) == normalise_message(plain)
    conditional = " (only when var.debug is true)"
    assert normalise_message(enriched + conditional) == normalise_message(plain + conditional)
    assert normalise_message(plain + "; includes nothing else") != normalise_message(plain)
