"""Issue 12 item 14 (a, b): a child module checked on its own gives one "cannot verify"
note per chain naming its variables without a value (not one per value); its folder is
still checked on its own (decision: see EC2002's documentation); ``--var`` naming a
variable no checked root module declares is a located note, not an abort."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tf_helpers import write

from iamlint.cli import main
from iamlint.engine import Options, run

CHILD = '''\
variable "name" {}
variable "trusted_service" {}
variable "actions" {}
variable "extra_action" {}
variable "policy" {}
variable "profile" {}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = var.trusted_service } }]
  })
}
resource "aws_iam_role_policy" "inline" {
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = [var.extra_action, "s3:GetObject"], Resource = "arn:aws:s3:::b/*" },
                 { Effect = "Allow", Action = var.actions, Resource = "*" }]
  })
}
resource "aws_iam_role_policy" "raw" {
  role   = aws_iam_role.this.id
  policy = var.policy
}
resource "aws_iam_instance_profile" "this" {
  role = aws_iam_role.this.name
}
resource "aws_instance" "this" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.this.name
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_instance" "other" {
  ami                  = "ami-1"
  iam_instance_profile = var.profile
  metadata_options {
    http_tokens = "required"
  }
}
'''


def test_one_note_per_chain_naming_the_variables(tmp_path):
    write(tmp_path, {"main.tf": CHILD})
    report = run([str(tmp_path)], Options(cache=False, jobs=1))
    assert report.errors == []
    notes = [(f.rule, f.line, f.column, f.resource) for f in report.findings]
    assert notes == [("EC2002", 12, 89, "aws_iam_role.this"), ("EC2002", 39, 26, "aws_instance.other")]
    role_note = report.findings[0]
    assert role_note.message == (
        "cannot verify a principal in the trust policy of instance role aws_iam_role.this and 3 more parts of this "
        "chain: var.trusted_service, var.extra_action, var.actions, var.policy have no value "
        "(no default, no tfvars, no --var)")
    assert [(r.label, r.span.line, r.span.column) for r in role_note.related] == [
        ("also cannot verify an action in a policy of instance role aws_iam_role.this", 19, 48),
        ("also cannot verify an action in a policy of instance role aws_iam_role.this", 20, 47),
        ("also cannot verify a policy of instance role aws_iam_role.this", 25, 12),
    ]
    assert report.findings[1].message == (
        "cannot verify the instance profile of aws_instance.other: var.profile has no value (no default, no tfvars, no --var)")


def test_a_caller_gives_the_values_and_the_child_folder_is_still_checked_alone(tmp_path):
    write(tmp_path, {"modules/child/main.tf": CHILD, "main.tf": '''\
module "child" {
  source          = "./modules/child"
  name            = "app"
  trusted_service = "ec2.amazonaws.com"
  actions         = ["sqs:SendMessage"]
  extra_action    = "s3:ListBucket"
  policy          = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": []}"
  profile         = module.child.profile
}
'''})
    report = run([str(tmp_path)], Options(cache=False, jobs=1, select={"EC2002"}))
    # the caller's instance of the module: everything known but the module's own output
    # cycle (profile = module.child.profile); the folder alone: its two chains, once each
    alone = sorted((f.line, f.resource) for f in report.findings if not f.resource.startswith("module."))
    assert alone == [(12, "aws_iam_role.this"), (39, "aws_instance.other")]
    assert not any("var.trusted_service" in f.message for f in report.findings if f.resource.startswith("module."))


def test_an_undeclared_var_is_a_note_naming_it(tmp_path):
    write(tmp_path, {"main.tf": 'variable "name" {}\n'})
    report = run([str(tmp_path)], Options(cache=False, jobs=1, variables={"nmae": "x", "name": "y"}))
    assert report.errors == []
    assert [(n.path, n.line, n.message) for n in report.notes] == [
        (str(tmp_path), 0, "--var nmae: the root module declares no variable 'nmae'; the value is ignored "
                           "(terraform would stop: \"Value for undeclared variable\")")]


def test_an_undeclared_var_is_noted_only_when_no_root_module_declares_it(tmp_path):
    write(tmp_path, {"a/main.tf": 'variable "env" {}\n', "b/main.tf": 'variable "region" {}\n'})
    report = run([str(tmp_path)], Options(cache=False, jobs=1, variables={"env": "prod", "zone": "z"}))
    assert [(n.path, n.message.split(":")[0]) for n in report.notes] == [("--var", "--var zone")]
    assert "none of the 2 root modules checked declares a variable 'zone'" in report.notes[0].message


def test_an_undeclared_var_does_not_abort_or_change_the_exit_code(tmp_path):
    write(tmp_path, {"main.tf": 'variable "name" {}\n'})
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "--var", "nmae=x", str(tmp_path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["errors"] == []
