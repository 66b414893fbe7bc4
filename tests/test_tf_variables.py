"""Root variables in Terraform's precedence order, TF_VAR_, --var-file, --var, conversions."""

from __future__ import annotations

from tf_helpers import DEPTH, findings, write

TFVARS = "fixtures/terraform-depth/tfvars/"
ROLE = "aws_iam_role.r"


def test_precedence_of_defaults_and_files():
    assert findings(DEPTH / "tfvars") == {
        ("IAM002", TFVARS + "main.tf", 6, ROLE),  # default
        ("IAM002", TFVARS + "terraform.tfvars", 1, ROLE),
        ("IAM002", TFVARS + "terraform.tfvars.json", 2, ROLE),
        ("IAM002", TFVARS + "a.auto.tfvars", 1, ROLE),
        ("IAM002", TFVARS + "b.auto.tfvars.json", 2, ROLE),  # last auto file wins
    }


def test_var_file_beats_auto_files_and_var_beats_var_file(tmp_path):
    extra = write(tmp_path, {"extra.tfvars": 'from_auto_b = "ecr:*"\nfrom_default = "s3:GetObject"\n'})
    found = findings(DEPTH / "tfvars", var_files=[str(extra / "extra.tfvars")],
                     variables={"from_tfvars": "s3:GetObject"})
    lines = {(path.rsplit("/", 1)[-1], line) for _, path, line, _ in found}
    assert lines == {
        ("terraform.tfvars.json", 2),
        ("a.auto.tfvars", 1),
        ("extra.tfvars", 1),  # --var-file beats b.auto.tfvars.json
    }  # --var removed terraform.tfvars' value; the var file removed the default


def test_environment_sits_between_defaults_and_tfvars(tmp_path, monkeypatch):
    write(tmp_path, {
        "main.tf": '''
variable "a" { default = "s3:GetObject" }
variable "b" { default = "s3:GetObject" }
variable "list" {
  type    = list(string)
  default = []
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = concat([var.a, var.b], var.list), Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
resource "aws_iam_instance_profile" "p" { role = aws_iam_role.r.name }
resource "aws_instance" "i" {
  ami = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options { http_tokens = "required" }
}
''',
        "terraform.tfvars": 'b = "s3:GetObject"\n',
    })
    monkeypatch.setenv("TF_VAR_a", "kms:*")
    monkeypatch.setenv("TF_VAR_b", "sqs:*")  # overridden by terraform.tfvars
    monkeypatch.setenv("TF_VAR_list", '["sns:*"]')  # complex type: parsed as HCL
    from iamlint.engine import Options, run

    report = run([str(tmp_path)], Options(cache=False, ignore={"IAM006", "IAM007", "IAM008"}))
    found = {(f.rule, f.path.rsplit("/", 1)[-1], f.line, f.message.split("(")[1].split(")")[0].split(",")[0]) for f in report.findings}
    assert found == {
        ("IAM002", "main.tf", 10, "'kms:*'"),  # a scalar from the environment: where it is used
        ("IAM002", "main.tf", 4, "'sns:*'"),  # parsed from the environment: at the declaration
    }


def test_types_validation_nullable_sensitive_never_break_evaluation(tmp_path):
    write(tmp_path, {
        "main.tf": '''
variable "on" {
  type        = bool
  sensitive   = true
  nullable    = false
  description = "x"
  validation {
    condition     = contains([true, false], var.on)
    error_message = "bool"
  }
}
variable "n" { type = number }
resource "aws_iam_role" "r" {
  count = var.on ? var.n : 0
  name  = "r${count.index}"
}
''',
        "terraform.tfvars.json": '{"on": "true", "n": "2"}',
    })
    from iamlint.engine import Options, run

    report = run([str(tmp_path)], Options(cache=False))
    assert report.errors == []
    assert report.resources == 2


def test_var_and_var_file_interleave_in_command_line_order(tmp_path):
    import json

    from click.testing import CliRunner

    from iamlint.cli import main

    write(tmp_path, {"late.tfvars": 'from_default = "kms:*"\n', "early.tfvars": 'from_default = "sqs:*"\n'})
    late, early = str(tmp_path / "late.tfvars"), str(tmp_path / "early.tfvars")

    def where_from_default_is_set(*args: str) -> set[str]:
        result = CliRunner().invoke(main, ["check", str(DEPTH / "tfvars"), "--format", "json", "--no-cache",
                                           "--ignore", "IAM006,IAM007,IAM008", *args])
        files = {f["path"].rsplit("/", 1)[-1] for f in json.loads(result.output)["findings"]}
        return files & {"late.tfvars", "early.tfvars"} | ({"default"} if "main.tf" in files else set())

    # the last --var / --var-file wins, whichever kind it is
    assert where_from_default_is_set("--var", "from_default=s3:GetObject", f"--var-file={late}") == {"late.tfvars"}
    assert where_from_default_is_set(f"--var-file={late}", "--var", "from_default=s3:GetObject") == set()
    assert where_from_default_is_set(f"--var-file={early}", "--var-file", late) == {"late.tfvars"}
    assert where_from_default_is_set() == {"default"}
