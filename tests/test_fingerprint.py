"""One fingerprint per finding (SARIF, baseline, GitLab, --base, LSP): rule, module or
template, resource and the logical position inside it -- never a line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamlint.baseline import fingerprint
from iamlint.engine import Options, run

ROLE = """\
resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}

resource "aws_instance" "app" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.app.name
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
%s
    ]
  })
}
"""
S3 = '      { Effect = "Allow", Action = "s3:*", Resource = "*" },'
S3_REFORMATTED = '''      {
        Resource = ["*"]
        Action   = ["s3:*"]
        Effect   = "Allow"
      },'''
EC2 = '      { Effect = "Allow", Action = "ec2:*", Resource = "*" },'
S3_SID = '      { Sid = "Buckets", Effect = "Allow", Action = "s3:*", Resource = "*" },'


def _fingerprints(folder: Path, text: str, rule: str = "IAM002") -> list[tuple[int, str]]:
    (folder / "main.tf").write_text(text, encoding="utf-8")
    report = run([str(folder)], Options(cache=False, select={rule}))
    return sorted((f.line, fingerprint(f, str(folder))) for f in report.findings)


def test_unchanged_when_lines_are_inserted_above(tmp_path):
    [(line, before)] = _fingerprints(tmp_path, ROLE % S3)
    [(moved, after)] = _fingerprints(tmp_path, "# a comment\n\nlocals {\n  x = 1\n}\n\n" + ROLE % S3)
    assert moved == line + 6 and after == before


def test_unchanged_when_the_statement_is_reformatted(tmp_path):
    [(line, before)] = _fingerprints(tmp_path, ROLE % S3)
    [(other, after)] = _fingerprints(tmp_path, ROLE % S3_REFORMATTED)
    assert other != line and after == before


def test_different_for_two_statements_of_one_policy(tmp_path):
    found = _fingerprints(tmp_path, ROLE % (S3 + "\n" + EC2))
    assert len(found) == 2 and found[0][1] != found[1][1]


def test_same_content_twice_is_told_apart_by_its_rank(tmp_path):
    found = _fingerprints(tmp_path, ROLE % (S3 + "\n" + S3))
    assert len(found) == 2 and found[0][1] != found[1][1]
    # ...and the statement that moves above an identical one keeps its rank, not its line
    again = _fingerprints(tmp_path, ROLE % (EC2 + "\n" + S3 + "\n" + S3))
    assert sorted(f for _, f in again if f in {f for _, f in found}) == sorted(f for _, f in found)


def test_a_sid_identifies_a_statement_whatever_its_content(tmp_path):
    [(_, before)] = _fingerprints(tmp_path, ROLE % S3_SID)
    [(_, after)] = _fingerprints(tmp_path, ROLE % (EC2 + "\n" + S3_SID.replace('Resource = "*"', 'Resource = ["*"]')))[1:]
    assert after == before


def test_unchanged_when_the_resource_moves_to_another_file_of_the_module(tmp_path):
    [(_, before)] = _fingerprints(tmp_path, ROLE % S3)
    policy_start = (ROLE % S3).index('resource "aws_iam_role_policy"')
    (tmp_path / "policy.tf").write_text((ROLE % S3)[policy_start:], encoding="utf-8")
    report_text = (ROLE % S3)[:policy_start]
    [(_, after)] = _fingerprints(tmp_path, report_text)
    assert after == before


def test_changes_with_the_resource_and_the_rule(tmp_path):
    [(_, before)] = _fingerprints(tmp_path, ROLE % S3)
    [(_, renamed)] = _fingerprints(tmp_path, (ROLE % S3).replace('"aws_iam_role_policy" "app"', '"aws_iam_role_policy" "other"'))
    assert renamed != before


TEMPLATE = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
%s
"""
CFN_S3 = "              - {Effect: Allow, Action: 's3:*', Resource: '*'}"
CFN_S3_BLOCK = """              - Effect: Allow
                Resource:
                  - '*'
                Action:
                  - 's3:*'"""


@pytest.mark.parametrize("variant", [CFN_S3_BLOCK, CFN_S3])
def test_cloudformation_statements_too(tmp_path, variant):
    template = tmp_path / "t.yaml"
    template.write_text(TEMPLATE % CFN_S3, encoding="utf-8")
    [before] = run([str(template)], Options(cache=False, select={"IAM002"})).findings
    template.write_text("# header\n" + TEMPLATE % variant, encoding="utf-8")
    [after] = run([str(template)], Options(cache=False, select={"IAM002"})).findings
    assert after.line > before.line
    assert fingerprint(after, str(tmp_path)) == fingerprint(before, str(tmp_path))


def test_a_sid_holding_a_key_gives_one_fingerprint_cold_and_warm(tmp_path, monkeypatch):
    """A cached unit holds credentials masked: a Sid (or policy name) holding an access key
    id is fingerprinted masked, so a warm run's findings match the cold run's."""
    key = "AKIA" + "IOSFODNN7TESTKEY"[:16]
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "main.tf").write_text(ROLE % S3_SID.replace("Buckets", f"Allow{key}"), encoding="utf-8")
    monkeypatch.setenv("IAMLINT_CACHE_DIR", str(tmp_path / "cache"))
    runs = [run([str(tmp_path / "repo")], Options(cache=True, jobs=1, select={"IAM002"})) for _ in range(2)]
    cold, warm = ([fingerprint(f, str(tmp_path / "repo")) for f in report.findings] for report in runs)
    assert len(cold) == 1 and cold == warm
