"""An account snapshot as context for code (issue 15 item 2, ``--account FILE``): names the
code references but does not define resolve against the snapshot, findings about the
snapshot's entries are located in the code with the entries as related locations, and what
the snapshot lacks stays EC2002, saying so."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iamlint.cli import main
from iamlint.engine import run
from iamlint.options import Options
from test_account_snapshot import ACCOUNT, authorization_details, position, role

TRUST_ANYONE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

TERRAFORM = '''resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = "legacy-web"

  metadata_options {
    http_tokens = "required"
  }
}
'''

CLOUDFORMATION = '''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      IamInstanceProfile: legacy-web
      MetadataOptions:
        HttpTokens: required
'''


def _code(tmp_path: Path) -> Path:
    code = tmp_path / "infra"
    code.mkdir()
    (code / "main.tf").write_text(TERRAFORM)
    return code


def _snapshot(folder: Path, name: str = "legacy-web", account: str = ACCOUNT) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    entry = role(name, TRUST_ANYONE, None, (ADMIN,))
    text = json.dumps(authorization_details([entry]), indent=4).replace(ACCOUNT, account)
    path = folder / "account.json"
    path.write_text(text + "\n")
    return path, text


def _report(paths, account=()):
    report = run([str(p) for p in paths], Options(cache=False, account=tuple(str(a) for a in account)))
    assert [(e.path, e.line, e.message) for e in report.errors] == []
    return report


def test_without_a_snapshot_the_profile_is_ec2002(tmp_path):
    report = _report([_code(tmp_path)])
    assert [(f.rule, f.line, f.column) for f in report.findings] == [("EC2002", 4, 26)]
    assert "is not defined in the scanned code" in report.findings[0].message
    assert "snapshot" not in report.findings[0].message


def test_with_a_snapshot_iam001_and_iam003_are_errors_located_in_the_code(tmp_path):
    code = _code(tmp_path)
    snapshot, text = _snapshot(tmp_path / "snapshots")
    report = _report([code], [snapshot])
    got = [(f.rule, f.severity.name, Path(f.path).name, f.line, f.column) for f in report.findings]
    assert got == [("IAM001", "ERROR", "main.tf", 4, 26), ("IAM003", "ERROR", "main.tf", 4, 26)]
    iam001, iam003 = report.findings
    assert iam001.resource == iam003.resource == f"arn:aws:iam::{ACCOUNT}:role/legacy-web"
    trust = position(text, '"Principal"')
    first = iam001.related[0]
    assert (first.label, Path(first.span.file).name) == ("account snapshot", "account.json")
    assert first.span.line == trust[0] + 1  # {"AWS": "*"}: the principal's value
    attached = iam003.related[0]
    assert (attached.label, Path(attached.span.file).name, attached.span.line) == (
        "account snapshot", "account.json", position(text, f'"{ADMIN}"')[0])
    assert "(used by aws_instance.web)" in iam003.message
    assert "from the account snapshot, account.json:" in iam001.message


def test_cloudformation_profile_by_name_resolves_too(tmp_path):
    (tmp_path / "stack.yaml").write_text(CLOUDFORMATION)
    snapshot, _ = _snapshot(tmp_path / "snapshots")
    report = _report([tmp_path / "stack.yaml"], [snapshot])
    assert [(f.rule, f.severity.name, f.line, f.column) for f in report.findings] == [
        ("IAM001", "ERROR", 7, 27), ("IAM003", "ERROR", 7, 27)]


def test_what_the_snapshot_lacks_stays_ec2002_and_says_so(tmp_path):
    code = _code(tmp_path)
    snapshot, _ = _snapshot(tmp_path / "snapshots", name="other-role")
    report = _report([code], [snapshot])
    assert [(f.rule, f.line, f.column) for f in report.findings] == [("EC2002", 4, 26)]
    assert "is not defined in the scanned code and is not in the account snapshot" in report.findings[0].message


def test_a_name_found_in_two_accounts_is_ambiguous_and_stays_unresolved(tmp_path):
    code = _code(tmp_path)
    first, _ = _snapshot(tmp_path / "a")
    second, _ = _snapshot(tmp_path / "b", account="444455556666")
    report = _report([code], [first, second])
    assert [f.rule for f in report.findings] == ["EC2002"]
    one = _report([code], [first])
    assert [f.rule for f in one.findings] == ["IAM001", "IAM003"]


def test_cli_account_option_and_the_snapshot_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    code = _code(tmp_path)
    snapshot, text = _snapshot(tmp_path / "snapshots")
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", str(code), "--account", str(snapshot)])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [(f["rule"], Path(f["path"]).name, f["line"]) for f in data["findings"]] == [
        ("IAM001", "main.tf", 4), ("IAM003", "main.tf", 4)]
    alone = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "--account", str(snapshot)])
    found = [(f["rule"], Path(f["path"]).name, f["line"], f["severity"]) for f in json.loads(alone.output)["findings"]]
    assert found == [("IAM001", "account.json", position(text, '"Principal"')[0] + 1, "error"),
                     ("IAM003", "account.json", position(text, f'"{ADMIN}"')[0], "error")]


def test_access_shows_the_chain_through_the_snapshot(tmp_path, monkeypatch, capsys):
    from iamlint.access.command import run as access

    code = _code(tmp_path)
    snapshot, text = _snapshot(tmp_path / "snapshots")
    assert access([str(code)], None, "json", account=(str(snapshot),)) == 0
    (compute,) = json.loads(capsys.readouterr().out)["computes"]
    profile, (role_entry,) = compute["profile"], compute["roles"]
    assert (profile["address"], Path(profile["path"]).name, profile["line"]) == (
        f"arn:aws:iam::{ACCOUNT}:instance-profile/legacy-web", "account.json", position(text, '"InstanceProfileList"')[0] + 1)
    assert (role_entry["address"], Path(role_entry["path"]).name) == (f"arn:aws:iam::{ACCOUNT}:role/legacy-web", "account.json")
    assert [p["note"] for p in role_entry["policies"]] == ["AdministratorAccess"]
    assert access([str(code)], None, "json") == 0
    assert f"arn:aws:iam::{ACCOUNT}:role/legacy-web" not in capsys.readouterr().out


def test_data_sources_named_by_the_code_resolve_from_the_snapshot(tmp_path):
    code = tmp_path / "infra"
    code.mkdir()
    (code / "main.tf").write_text('''data "aws_iam_instance_profile" "legacy" {
  name = "legacy-web"
}

resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  iam_instance_profile = data.aws_iam_instance_profile.legacy.name

  metadata_options {
    http_tokens = "required"
  }
}
''')
    assert [(f.rule, f.line) for f in _report([code]).findings] == [("EC2002", 7)]
    snapshot, _ = _snapshot(tmp_path / "snapshots")
    report = _report([code], [snapshot])
    assert [(f.rule, f.severity.name, f.line, f.column) for f in report.findings] == [
        ("IAM001", "ERROR", 7, 26), ("IAM003", "ERROR", 7, 26)]


def test_a_code_user_in_a_snapshot_group_gets_the_groups_policies(tmp_path):
    code = tmp_path / "infra"
    code.mkdir()
    (code / "main.tf").write_text('''resource "aws_iam_user" "ci" {
  name = "ci"
}

resource "aws_iam_user_group_membership" "ci" {
  user   = aws_iam_user.ci.name
  groups = ["admins"]
}
''')
    group = {"Path": "/", "GroupName": "admins", "GroupId": "AGPAEXAMPLEADMINS01", "Arn": f"arn:aws:iam::{ACCOUNT}:group/admins",
             "CreateDate": "2024-01-10T10:00:00+00:00", "GroupPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]}
    snapshot = tmp_path / "snap" / "account.json"
    snapshot.parent.mkdir()
    snapshot.write_text(json.dumps(authorization_details([], groups=[group]), indent=4) + "\n")
    assert _report([code]).findings == []
    report = _report([code], [snapshot])
    assert [(f.rule, f.severity.name, Path(f.path).name, f.line, f.column) for f in report.findings] == [
        ("IAM003", "WARNING", "main.tf", 7, 13)]
    assert f"IAM group arn:aws:iam::{ACCOUNT}:group/admins" in report.findings[0].message


IMPORTED = '''AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      IamInstanceProfile: !ImportValue shared-web-profile
      MetadataOptions:
        HttpTokens: required
'''


def _exports(folder: Path, *names: str, region: str = "eu-west-1") -> Path:
    """``aws cloudformation list-exports --output json``, one export per name, each
    exporting the profile name legacy-web."""
    stack = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/platform/0a1b2c3d-1111-2222-3333-444455556666"
    exports = [{"ExportingStackId": stack, "Name": name, "Value": "legacy-web"} for name in names]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "exports.json"
    path.write_text(json.dumps({"Exports": exports}, indent=4) + "\n")
    return path


def test_an_imported_value_resolves_through_the_snapshots_exports(tmp_path):
    code = tmp_path / "infra"
    code.mkdir()
    (code / "web.yaml").write_text(IMPORTED)
    snapshot, _ = _snapshot(tmp_path / "snapshots")
    # without the exports: cannot verify, the reason is the import
    [alone] = _report([code], [snapshot]).findings
    assert (alone.rule, alone.line, alone.column) == ("EC2002", 7, 27)
    assert "Fn::ImportValue" in alone.message
    # with them: the chain through the export to the snapshot's role is judged, in the code
    exports = _exports(tmp_path / "snapshots", "shared-web-profile", "other")
    report = _report([code], [snapshot, exports])
    got = [(f.rule, f.severity.name, Path(f.path).name, f.line, f.column) for f in report.findings]
    assert got == [("IAM001", "ERROR", "web.yaml", 7, 27), ("IAM003", "ERROR", "web.yaml", 7, 27)]


def test_an_export_name_found_twice_is_ambiguous_and_stays_unresolved(tmp_path):
    code = tmp_path / "infra"
    code.mkdir()
    (code / "web.yaml").write_text(IMPORTED)
    snapshot, _ = _snapshot(tmp_path / "snapshots")
    first = _exports(tmp_path / "snapshots", "shared-web-profile")
    second = _exports(tmp_path / "other-region", "shared-web-profile", region="us-east-1")
    [finding] = _report([code], [snapshot, first, second]).findings
    assert finding.rule == "EC2002" and "Fn::ImportValue" in finding.message


POLICY_BY_NAME = '''data "aws_iam_policy" "team" {
  name = "team-all"
}

resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "team" {
  role       = aws_iam_role.app.name
  policy_arn = data.aws_iam_policy.team.arn
}

resource "aws_iam_instance_profile" "app" {
  role = aws_iam_role.app.name
}

resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  iam_instance_profile = aws_iam_instance_profile.app.name
  metadata_options {
    http_tokens = "required"
  }
}
'''


def test_a_customer_managed_policy_looked_up_by_name_resolves_from_the_snapshot(tmp_path):
    """data "aws_iam_policy" by name, used for its ARN: the snapshot's one policy of that
    name stands for it (its default version judged, the finding located in the code)."""
    code = tmp_path / "infra"
    code.mkdir()
    (code / "main.tf").write_text(POLICY_BY_NAME)
    [alone] = _report([code]).findings
    assert (alone.rule, alone.line, alone.column) == ("EC2002", 15, 16)
    policy = {"PolicyName": "team-all", "PolicyId": "ANPAEXAMPLETEAM001", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/team-all",
              "Path": "/", "DefaultVersionId": "v1", "PolicyVersionList": [
                  {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                   "VersionId": "v1", "IsDefaultVersion": True}]}
    (tmp_path / "snapshots").mkdir()
    snapshot = tmp_path / "snapshots" / "account.json"
    snapshot.write_text(json.dumps(authorization_details([], [], [], [policy]), indent=4) + "\n")
    [finding] = _report([code], [snapshot]).findings
    assert (finding.rule, finding.severity.name, Path(finding.path).name, finding.line, finding.column) == (
        "IAM002", "ERROR", "main.tf", 15, 16)
    assert any(Path(r.span.file).name == "account.json" for r in finding.related)
