"""(code, file, line, address) of the fixtures not pinned elsewhere: conditionals, templatefile."""

from __future__ import annotations

from tf_helpers import DEPTH, findings

COND = "fixtures/terraform-depth/conditionals/main.tf"
TPL = "fixtures/terraform-depth/templatefile/"


def test_conditionals():
    assert findings(DEPTH / "conditionals") == {
        ("IAM002", COND, 30, "aws_iam_role_policy.app"),  # then-side of an unknown condition
        ("IAM002", COND, 68, "aws_iam_role_policy.either"),  # two documents behind an unknown condition
        ("IAM003", COND, 49, "aws_iam_role_policy_attachment.debug"),  # unknown count: one node, no index
    }


def test_templatefile_and_file_report_at_the_lines_of_the_files_read():
    assert findings(DEPTH / "templatefile") == {
        ("IAM001", TPL + "trust.json", 7, "aws_iam_role.r"),
        ("IAM002", TPL + "app.json.tpl", 6, "aws_iam_role_policy.templated"),
    }
