"""Issue 12 item 12: what AWS rejects in a policy document (text that is not JSON, an
element of the wrong type, a misspelt Effect, an empty trust policy) is a located input
error pointing inside the document, in every format; the rest of the unit is still
checked; an Unknown (unresolved) part never becomes such an error."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tf_helpers import write

from iamlint.cli import main
from iamlint.engine import Options, run
from iamlint.model.policy import PolicyDocument, Rejected, rejections
from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, from_python

TRUST = ('jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole", '
         'Principal = {Service = "ec2.amazonaws.com"}}]})')


def _run(folder, **options):
    report = run([str(folder)], Options(cache=False, jobs=1, **options))
    errors = sorted((e.path.rsplit("/", 1)[-1], e.line, e.column, e.message) for e in report.errors)
    findings = sorted((f.rule, f.path.rsplit("/", 1)[-1], f.line, f.column) for f in report.findings)
    return errors, findings


def test_terraform_reproductions_are_located_errors_and_the_rest_is_checked(tmp_path):
    write(tmp_path, {"main.tf": '''\
resource "aws_iam_role" "empty" {
  name               = "empty"
  assume_role_policy = ""
}
resource "aws_iam_role_policy" "trailing" {
  role   = aws_iam_role.empty.id
  policy = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject",], "Resource": "*"}
  ]
}
EOT
}
resource "aws_iam_policy" "types" {
  name = "types"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Alow", Action = "s3:GetObject", Resource = "*" },
      { Effect = "Allow", NotAction = { a = 1 }, Resource = "*" },
      { Effect = "Allow", Action = { s3 = "GetObject" }, Resource = "*" },
      { Effect = "Allow", Action = "*", Resource = "*" },
    ]
  })
}
resource "aws_iam_policy" "number" {
  name   = "number"
  policy = jsonencode({ Version = "2012-10-17", Statement = 5 })
}
resource "aws_iam_policy" "quoted" {
  name   = "quoted"
  policy = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [}"
}
resource "aws_iam_policy" "file" {
  name   = "file"
  policy = file("${path.module}/bad.json")
}
''', "bad.json": '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n  ]\n}\n'})
    errors, findings = _run(tmp_path, select={"IAM002"})
    assert errors == [
        ("bad.json", 5, 3, "the policy is not valid JSON: a trailing comma before ']' (aws_iam_policy.file)"),
        ("main.tf", 3, 24, "the policy document is empty (AWS requires a JSON policy document) (aws_iam_role.empty)"),
        ("main.tf", 11, 51, "the policy is not valid JSON: a trailing comma before ']' (aws_iam_role_policy.trailing)"),
        ("main.tf", 21, 18, 'Effect must be "Allow" or "Deny", not \'Alow\' (aws_iam_policy.types)'),
        ("main.tf", 22, 39, "NotAction must be a string or a list of strings, not an object (aws_iam_policy.types)"),
        ("main.tf", 23, 36, "Action must be a string or a list of strings, not an object (aws_iam_policy.types)"),
        ("main.tf", 30, 61, "Statement must be an object or a list of objects, not a number (aws_iam_policy.number)"),
        # a quoted string with escapes: the column of the offending character in the file
        ("main.tf", 34, 59, "the policy is not valid JSON: unexpected character '}' (aws_iam_policy.quoted)"),
    ]
    # the rest of the unit is checked: the valid statement of the same policy
    assert findings == [("IAM002", "main.tf", 24, 36)]


def test_cloudformation_yaml_and_json_reproductions(tmp_path):
    write(tmp_path, {"t.yaml": '''\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: ""
  Typed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Alow
            Action: s3:GetObject
            Resource: "*"
          - Effect: Allow
            NotAction:
              s3: GetObject
            Resource: "*"
          - Effect: Allow
            Action: "*"
            Resource: "*"
  Text:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: |
        {
          "Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",}]
        }
  Number:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: 5
''', "t.json": json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": {"x": 1}}]}}}}}, indent=1)})
    errors, findings = _run(tmp_path, select={"IAM002"})
    assert errors == [
        ("t.json", 13, 18, "Action must be a string or a list of strings, not an object (Role)"),
        ("t.yaml", 5, 33, "the policy document is empty (AWS requires a JSON policy document) (Role)"),
        ("t.yaml", 12, 21, 'Effect must be "Allow" or "Deny", not \'Alow\' (Typed)'),
        ("t.yaml", 17, 15, "NotAction must be a string or a list of strings, not an object (Typed)"),
        ("t.yaml", 28, 87, "the policy is not valid JSON: a trailing comma before '}' (Text)"),
        ("t.yaml", 34, 20, "Statement must be an object or a list of objects, not a number (Number)"),
    ]
    assert findings == [("IAM002", "t.yaml", 20, 21)]


def test_an_unknown_part_never_becomes_a_rejection(tmp_path):
    write(tmp_path, {"main.tf": '''\
variable "actions" {}
variable "effect" {}
variable "statements" {}
variable "cluster" {}
resource "aws_iam_policy" "unknown_parts" {
  name = "u"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = var.effect, Action = var.actions, Resource = "*" }]
  })
}
resource "aws_iam_policy" "unknown_statements" {
  name   = "s"
  policy = jsonencode({ Version = "2012-10-17", Statement = var.statements })
}
resource "aws_iam_policy" "template" {
  name   = "t"
  policy = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ${jsonencode(var.actions)}, "Resource": "arn:aws:ecs:*:*:cluster/${var.cluster}"}]
}
EOT
}
resource "aws_iam_role" "trust" {
  name               = "r"
  assume_role_policy = var.cluster
}
'''})
    errors, _ = _run(tmp_path)
    assert errors == []


def test_a_template_whose_known_text_is_not_json_is_rejected_away_from_its_unknown_parts(tmp_path):
    write(tmp_path, {"main.tf": '''\
variable "cluster" {}
resource "aws_iam_policy" "template" {
  name   = "t"
  policy = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "arn:aws:ecs:*:*:cluster/${var.cluster}",}]
}
EOT
}
'''})
    errors, _ = _run(tmp_path)
    assert errors == [("main.tf", 7, 109, "the policy is not valid JSON: a trailing comma before '}' (aws_iam_policy.template)")]


def test_a_rejected_trust_policy_of_an_instance_role_is_no_cannot_verify_note(tmp_path):
    write(tmp_path, {"main.tf": '''\
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = ""
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options {
    http_tokens = "required"
  }
}
'''})
    errors, findings = _run(tmp_path)
    assert errors == [("main.tf", 3, 24, "the policy document is empty (AWS requires a JSON policy document) (aws_iam_role.r)")]
    assert findings == []  # before: EC2002 "cannot verify the trust policy ... the policy is empty"


def test_the_policy_model_judges_every_format_the_same_way():
    span = Span("x", 1, 1, 1, 2)

    def problems(document):
        return [message for message, _ in rejections(PolicyDocument.from_value(from_python(document, span)))]

    assert problems({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}) == []
    assert problems({"Statement": {"Effect": "Deny", "NotAction": ["s3:*"], "NotResource": "*"}}) == []
    assert problems({"Version": "2012-10-17", "Statement": "x"}) == [
        "Statement must be an object or a list of objects, not a string"]
    assert problems({"Statement": [7]}) == ["a policy statement must be a JSON object, not a number"]
    assert problems({"Version": "2021-01-01", "Statement": []}) == [
        'Version must be "2012-10-17" (or "2008-10-17"), not \'2021-01-01\'']
    assert problems({"Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}) == [
        'the statement has no Effect ("Allow" or "Deny")']
    assert problems({"Statement": [{"Effect": "Allow", "Resource": "*"}]}) == [
        "the statement has no Action or NotAction"]
    assert problems({"Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "c:d"}]}) == [
        "a statement cannot have both Action and NotAction"]
    assert problems({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": ["*", 3]}]}) == [
        "Resource must be a string or a list of strings, not a number"]
    assert problems({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "ec2"}]}) == [
        "Principal must be \"*\" or an object such as {\"Service\": ...}, not the string 'ec2'"]
    assert problems({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Srvice": "x"}}]}) == [
        "unknown Principal type 'Srvice' (expected AWS, Service, Federated, CanonicalUser)"]
    assert problems({"Statement": [{"Effect": "Allow", "Action": "a:b", "Condition": ["x"]}]}) == [
        "Condition must be an object of operators, not a list"]
    assert problems([1]) == ["a policy document must be a JSON object, not a list"]
    # unknown parts are never judged
    unknown = Unknown("var.x has no value", span)
    statement = Known({"Effect": unknown, "Action": unknown, "Principal": unknown, "Condition": unknown}, span)
    assert list(rejections(PolicyDocument.from_value(Known({"Statement": Known([statement], span)}, span)))) == []
    assert list(rejections(PolicyDocument.from_value(Known({"Statement": unknown}, span)))) == []
    assert isinstance(PolicyDocument.from_value(Known({"Statement": Known(5, span)}, span)), Rejected)


def test_json_report_carries_the_errors_and_exit_code_2(tmp_path):
    write(tmp_path, {"main.tf": 'resource "aws_iam_role" "r" {\n  assume_role_policy = ""\n}\n'})
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", str(tmp_path)])
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert [(e["line"], e["message"]) for e in report["errors"]] == [
        (2, "the policy document is empty (AWS requires a JSON policy document) (aws_iam_role.r)")]


def test_an_empty_policy_from_a_variable_default_stays_cannot_verify(tmp_path):
    """A module checked on its own: ``assume_role_policy = var.trust`` with ``default =
    ""`` is a placeholder its callers replace, not a document written in the resource."""
    write(tmp_path, {"main.tf": '''\
variable "trust" {
  default = ""
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = var.trust
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
resource "aws_instance" "web" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options {
    http_tokens = "required"
  }
}
'''})
    errors, findings = _run(tmp_path)
    assert errors == []
    assert findings == [("EC2002", "main.tf", 2, 13)]
