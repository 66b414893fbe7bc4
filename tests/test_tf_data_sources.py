"""aws_partition (and --partition), aws_caller_identity / aws_region, aws_service_principal."""

from __future__ import annotations

from tf_helpers import DEPTH, findings, write

TRUST = '''
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_service_principal" "ec2" {
  service_name = "ec2"
}
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = [PRINCIPAL] }
    }]
  })
  inline_policy {
    name = "p"
    policy = jsonencode({
      Statement = [{
        Effect   = "Allow"
        Action   = ["s3:*"]
        Resource = "arn:${data.aws_partition.current.partition}:s3:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:x"
      }]
    })
  }
}
resource "aws_iam_instance_profile" "p" { role = aws_iam_role.r.name }
resource "aws_instance" "i" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options { http_tokens = "required" }
}
'''


def _codes(tmp_path, principal: str, **options) -> set[tuple[str, int]]:
    write(tmp_path, {"main.tf": TRUST.replace("PRINCIPAL", principal)})
    return {(code, line) for code, _, line, _ in findings(tmp_path, **options)}


def test_partition_dns_suffix_gives_the_ec2_principal(tmp_path):
    # the wildcard action is judged although the ARN holds unknown account and region
    assert _codes(tmp_path, '"ec2.${data.aws_partition.current.dns_suffix}"') == {("IAM002", 22)}


def test_service_principal_data_source(tmp_path):
    assert _codes(tmp_path, "data.aws_service_principal.ec2.name") == {("IAM002", 22)}


def test_partition_option_changes_the_assumption(tmp_path):
    found = _codes(tmp_path, '"ec2.${data.aws_partition.current.dns_suffix}"', partition="aws-cn")
    assert ("IAM002", 22) in found and not any(code == "IAM001" for code, _ in found)


def test_fixture_module_uses_the_partition_idiom():
    # modules/instance_role trusts "ec2.${data.aws_partition.current.dns_suffix}": no IAM001, no EC2002
    assert not [f for f in findings(DEPTH / "modules_twice") if f[0] in ("IAM001", "EC2002")]
