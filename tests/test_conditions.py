"""A violation in one branch of an undecidable condition is reported, naming the condition."""

from __future__ import annotations

from iamlint.engine import Options, run

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Debug:
    Type: String
    AllowedValues: ["true", "false"]
Conditions:
  IsDebug: !Equals [!Ref Debug, "true"]
Resources:
  Instance:
    Type: AWS::EC2::Instance
    Properties:
      IamInstanceProfile: !Ref Profile
      MetadataOptions: {HttpTokens: required}
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
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
              - Effect: Allow
                Action:
                  - !If [IsDebug, "s3:*", "s3:GetObject"]
                Resource: "*"
"""


def test_cloudformation_branch_finding_names_the_condition(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    report = run([str(path)], Options(select={"IAM002"}))
    assert [(f.rule, f.line) for f in report.findings] == [("IAM002", 32)]
    assert "only when condition IsDebug is true" in report.findings[0].message


TERRAFORM = """\
variable "debug" {
  type = bool
}

resource "aws_iam_policy" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = var.debug ? ["s3:*"] : ["s3:GetObject"]
      Resource = "*"
    }]
  })
}
"""


def test_terraform_branch_finding_names_the_condition(tmp_path):
    (tmp_path / "main.tf").write_text(TERRAFORM)
    report = run([str(tmp_path)], Options(select={"IAM002"}))
    assert [(f.rule, f.line) for f in report.findings] == [("IAM002", 10)]
    assert "only when var.debug is true" in report.findings[0].message
