"""count / for_each: one node per instance, indexed references, splats, unknown keys."""

from __future__ import annotations

from tf_helpers import DEPTH, findings, write

from iamlint.engine import Options, run

FILE = "fixtures/terraform-depth/count_for_each/main.tf"


def test_instances_and_indexed_references():
    assert findings(DEPTH / "count_for_each") == {
        ("IAM002", FILE, 5, 'aws_iam_role_policy.app["worker"]'),
        ("EC2001", FILE, 57, "aws_instance.bare[0]"),
    }


def _addresses(tmp_path, text: str) -> list[str]:
    write(tmp_path, {"main.tf": text})
    from iamlint.normalize.terraform import load_module

    result = load_module(str(tmp_path), [(str(tmp_path / "main.tf"),) * 2], Options(cache=False))
    assert result.errors == []
    return [node.address for node in result.graph.nodes]


def test_node_addresses(tmp_path):
    assert _addresses(tmp_path, '''
variable "unknown" {}
resource "aws_iam_role" "counted" {
  count = 2
  name  = "r${count.index}"
}
resource "aws_iam_role" "keyed" {
  for_each = toset(["b", "a"])
  name     = each.key
}
resource "aws_iam_role" "unknown_keys" {
  for_each = var.unknown
  name     = each.key
}
resource "aws_iam_role" "none" {
  count = 0
}
''') == ["aws_iam_role.counted[0]", "aws_iam_role.counted[1]", 'aws_iam_role.keyed["a"]', 'aws_iam_role.keyed["b"]',
         "aws_iam_role.unknown_keys"]


def test_splat_and_unindexed_reference_link_to_instances(tmp_path):
    write(tmp_path, {"main.tf": '''
resource "aws_iam_role" "r" {
  count = 1
  name  = "r"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }] })
}
resource "aws_iam_instance_profile" "p" {
  count = 1
  role  = one(aws_iam_role.r[*].name)
}
resource "aws_instance" "i" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p[0].name
  metadata_options { http_tokens = "required" }
}
'''})
    report = run([str(tmp_path)], Options(cache=False))
    assert {(f.rule, f.line, f.resource) for f in report.findings} == {("IAM001", 5, "aws_iam_role.r[0]")}
