"""Modules: local sources evaluated once per call, addresses prefixed, spans in the module's files."""

from __future__ import annotations

from tf_helpers import DEPTH, errors, findings, write

MODULE = "fixtures/terraform-depth/modules/instance_role/main.tf"
TWICE = "fixtures/terraform-depth/modules_twice/main.tf"


def test_a_module_called_twice_is_evaluated_once_per_call():
    found = findings(DEPTH / "modules_twice")
    assert found == {
        # the caller wrote the wildcard: reported where it is written, address in the module
        ("IAM002", TWICE, 11, "module.writer.aws_iam_role_policy.this"),
        # the module's own dynamic statement, enabled by admin = true of this call only
        ("IAM002", MODULE, 40, "module.writer.aws_iam_role_policy.this"),
    }


def test_registry_module_without_init_is_cannot_verify():
    found = findings(DEPTH / "registry_module")
    assert found == {("EC2002", "fixtures/terraform-depth/registry_module/main.tf", 11, "aws_instance.web")}


def test_registry_module_through_modules_json():
    found = findings(DEPTH / "registry_module_init")
    assert found == {("IAM002", "fixtures/terraform-depth/registry_module_init/main.tf", 7,
                      "module.role.aws_iam_role_policy.this")}


def test_missing_folder_cycle_and_self_referencing_locals_are_located_errors():
    found = {(path, line, message.split(" (")[0]) for path, line, message in errors(DEPTH / "module_errors")}
    assert found == {
        ("fixtures/terraform-depth/module_errors/main.tf", 4, "module.missing: source folder './does-not-exist' not found"),
        ("fixtures/terraform-depth/module_errors/main.tf", 12, "local.a refers to itself"),
        ("fixtures/terraform-depth/module_errors/main.tf", 14, "local.c refers to itself"),
        ("fixtures/terraform-depth/modules/cycle_b/main.tf", 2,
         "module cycle: module.a calls a module that is already being evaluated"),
    }


def test_module_with_count_and_for_each_and_whole_outputs(tmp_path):
    write(tmp_path, {
        "mod/main.tf": '''
variable "action" {}
resource "aws_iam_policy" "p" {
  name   = "p-${var.action}"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = var.action, Resource = "*" }] })
}
output "arn" { value = aws_iam_policy.p.arn }
''',
        "main.tf": '''
module "counted" {
  count  = 2
  source = "./mod"
  action = count.index == 0 ? "s3:GetObject" : "s3:*"
}
module "keyed" {
  for_each = { read = "sqs:ReceiveMessage", all = "sqs:*" }
  source   = "./mod"
  action   = each.value
}
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
  managed_policy_arns = concat(module.counted[*].arn, [module.keyed["all"].arn, module.keyed["read"].arn])
}
resource "aws_iam_instance_profile" "p" {
  role = aws_iam_role.r.name
}
resource "aws_instance" "i" {
  ami = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options { http_tokens = "required" }
}
''',
    })
    found = {(code, line, address) for code, path, line, address in findings(tmp_path) if path.endswith("main.tf")}
    assert ("IAM002", 5, 'module.counted[1].aws_iam_policy.p') in found
    assert ("IAM002", 8, 'module.keyed["all"].aws_iam_policy.p') in found
    assert not any(address.startswith("module.counted[0]") or 'keyed["read"]' in address for _, _, address in found)


def test_a_module_folder_on_its_own_has_unknown_variables():
    found = findings(DEPTH / "modules" / "instance_role")
    # var.name has no default: nothing is guessed, and no instance uses the role here
    assert all(code != "IAM002" for code, *_ in found)


def test_module_input_referring_to_its_own_output_is_not_a_cycle(tmp_path):
    write(tmp_path, {
        "mod/main.tf": 'variable "x" {}\noutput "constant" { value = "s3:*" }\noutput "echo" { value = var.x }\n',
        "main.tf": 'module "m" {\n  source = "./mod"\n  x = module.m.constant\n}\noutput "o" { value = module.m.echo }\n',
    })
    assert errors(tmp_path) == set()


def test_override_files_replace_attributes_and_nested_blocks(tmp_path):
    write(tmp_path, {
        "main.tf": '''
resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
  inline_policy {
    name   = "original"
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
  }
}
resource "aws_iam_instance_profile" "p" { role = aws_iam_role.r.name }
resource "aws_instance" "i" {
  ami                  = "ami-1"
  iam_instance_profile = aws_iam_instance_profile.p.name
  metadata_options { http_tokens = "required" }
}
''',
        "main_override.tf": '''
resource "aws_iam_role" "r" {
  inline_policy {
    name   = "override"
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sqs:*", Resource = "*" }] })
  }
}
''',
    })
    found = {(code, path.rsplit("/", 1)[-1], line) for code, path, line, _ in findings(tmp_path)}
    assert found == {("IAM002", "main_override.tf", 5)}
