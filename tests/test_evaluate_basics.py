"""Normalisation layer (Terraform): expressions evaluate to Known / Unknown / Ref, never a guess."""

from __future__ import annotations

from pathlib import Path

from iamlint.engine import Options
from iamlint.model.graph import Compute, InstanceProfile, Role, RolePolicy
from iamlint.model.policy import PolicyDocument
from iamlint.model.values import Known, Ref, Unknown
from iamlint.normalize.terraform import load_module


def _graph(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    listing = [(str(tmp_path / n), n) for n in sorted(files)]
    result = load_module(str(tmp_path), listing, Options())
    return result


def test_references_across_files_become_refs(tmp_path):
    result = _graph(tmp_path, {
        "a.tf": 'resource "aws_instance" "web" {\n  iam_instance_profile = aws_iam_instance_profile.p.name\n}\n',
        "b.tf": 'resource "aws_iam_instance_profile" "p" {\n  role = aws_iam_role.r.name\n}\n'
                'resource "aws_iam_role" "r" {\n  name = "r"\n}\n',
    })
    compute = next(result.graph.of_type(Compute))
    assert isinstance(compute.profile, Ref) and compute.profile.address == "aws_iam_instance_profile.p"
    assert (compute.profile.span.file, compute.profile.span.line) == ("a.tf", 2)
    profile = next(result.graph.of_type(InstanceProfile))
    assert profile.roles[0].address == "aws_iam_role.r"


def test_variables_locals_and_templates(tmp_path):
    result = _graph(tmp_path, {
        "main.tf": '''variable "env" { default = "prod" }
variable "unset" {}
locals {
  b = "${local.a}-x"
  a = "web-${var.env}"
  loop = local.loop
}
resource "aws_iam_role" "r" {
  name = local.b
  description = var.unset
  path = local.loop
}
''',
    })
    role = next(result.graph.of_type(Role))
    assert isinstance(role.name, Known) and role.name.value == "web-prod-x"
    description = role.attributes["description"]
    assert isinstance(description, Unknown) and "var.unset" in description.reason
    assert isinstance(role.attributes["path"], Unknown) and "itself" in role.attributes["path"].reason


def test_jsonencode_keeps_spans_and_unknowns_stay_local(tmp_path):
    result = _graph(tmp_path, {
        "main.tf": '''variable "bucket" {}
resource "aws_iam_role_policy" "p" {
  role = "r"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject",
                  "s3:*"]
      Resource = "arn:aws:s3:::${var.bucket}/*"
    }]
  })
}
''',
    })
    node = next(result.graph.of_type(RolePolicy))
    document = node.document
    assert isinstance(document, PolicyDocument)
    statement = document.statements[0]
    assert [a.value for a in statement.actions] == ["s3:GetObject", "s3:*"]
    assert (statement.actions[1].span.line, statement.actions[1].span.column) == (9, 19)
    assert isinstance(statement.resources[0], Unknown)


def test_heredoc_json_statements_map_to_their_lines(tmp_path):
    result = _graph(tmp_path, {
        "main.tf": '''resource "aws_iam_role_policy" "p" {
  role   = "r"
  policy = <<EOF
{
  "Statement": [
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
  ]
}
EOF
}
''',
    })
    statement = next(result.graph.of_type(RolePolicy)).document.statements[0]
    assert statement.span.line == 6
    assert (statement.actions[0].span.line, statement.actions[0].span.column) == (6, 35)


def test_policy_document_data_source(tmp_path):
    result = _graph(tmp_path, {
        "main.tf": '''data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "Ec2"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["123456789012"]
    }
  }
}
resource "aws_iam_role" "r" {
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
''',
    })
    trust = next(result.graph.of_type(Role)).trust_policy
    statement = trust.statements[0]
    assert statement.span.line == 2
    assert statement.sid.value == "Ec2"
    assert [(p.kind, p.value.value) for p in statement.principals] == [("Service", "ec2.amazonaws.com")]
    assert "StringEquals" in statement.condition.value


def test_invalid_json_policy_is_unknown_not_a_crash(tmp_path):
    result = _graph(tmp_path, {
        "main.tf": 'resource "aws_iam_policy" "p" {\n  policy = "{not json"\n}\n',
    })
    document = result.graph.nodes[0].document
    assert isinstance(document, Unknown) and "not valid JSON" in document.reason


def test_syntax_error_in_one_file_keeps_the_others(tmp_path):
    result = _graph(tmp_path, {
        "bad.tf": 'resource "aws_instance" "x" {\n  ami = \n}\n',
        "good.tf": 'resource "aws_instance" "y" {\n  ami = "a"\n}\n',
    })
    assert [e.path for e in result.errors] == ["bad.tf"]
    assert result.errors[0].line == 2
    assert [n.address for n in result.graph.nodes] == ["aws_instance.y"]


def test_file_reads_an_unsaved_buffer_before_the_disk(tmp_path):
    from iamlint.engine import run
    from iamlint.sources import overlay

    (tmp_path / "policy.json").write_text('{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}')
    (tmp_path / "main.tf").write_text('resource "aws_iam_policy" "p" {\n  policy = file("${path.module}/policy.json")\n}\n')
    assert run([str(tmp_path)], Options(select={"IAM002"}, cache=False)).findings == []
    edited = '{"Statement": [\n{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    with overlay({str(tmp_path / "policy.json"): edited}):
        findings = run([str(tmp_path)], Options(select={"IAM002"}, cache=False)).findings
    assert [(f.rule, f.path.endswith("policy.json"), f.line) for f in findings] == [("IAM002", True, 2)]
