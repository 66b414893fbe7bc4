"""aws_iam_policy_document as the provider builds it: merges by Sid, dynamic blocks, Id, Version."""

from __future__ import annotations

from tf_helpers import DEPTH, findings, write

from iamlint.engine import Options
from iamlint.model.values import to_python

FILE = "fixtures/terraform-depth/policy_documents/main.tf"


def test_fixture_findings():
    assert findings(DEPTH / "policy_documents") == {
        ("IAM002", FILE, 7, "aws_iam_role_policy.app"),  # dynamic "statement" from a local map
        ("IAM002", FILE, 55, "aws_iam_role_policy.app"),  # own "Kept" replaced the source's
    }


def _document(tmp_path, text: str) -> dict:
    write(tmp_path, {"main.tf": text + '\nresource "aws_iam_policy" "out" {\n  policy = data.aws_iam_policy_document.doc.json\n}\n'})
    from iamlint.normalize.terraform import load_module

    result = load_module(str(tmp_path), [(str(tmp_path / "main.tf"),) * 2], Options(cache=False))
    node = result.graph.by_address("aws_iam_policy.out")
    return to_python(node.attributes["policy"].value.data)


def test_merge_order_and_sid_replacement(tmp_path):
    doc = _document(tmp_path, '''
data "aws_iam_policy_document" "source" {
  policy_id = "source-id"
  statement {
    sid     = "A"
    actions = ["a:FromSource"]
  }
  statement {
    actions = ["nosid:FromSource"]
  }
}
data "aws_iam_policy_document" "override" {
  statement {
    sid     = "B"
    actions = ["b:FromOverride"]
  }
}
data "aws_iam_policy_document" "doc" {
  policy_id                 = "own-id"
  source_policy_documents   = [data.aws_iam_policy_document.source.json]
  override_policy_documents = [data.aws_iam_policy_document.override.json]
  statement {
    sid     = "B"
    actions = ["b:Own"]
  }
  statement {
    sid     = "A"
    actions = ["a:Own"]
    not_principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = ["eu-west-1"]
    }
  }
}
''')
    assert doc["Id"] == "own-id"
    assert doc["Version"] == "2012-10-17"
    assert [(s.get("Sid"), s.get("Action")) for s in doc["Statement"]] == [
        ("A", ["a:Own"]),  # replaced in place
        (None, ["nosid:FromSource"]),
        ("B", ["b:FromOverride"]),  # own B appended, then overridden
    ]
    assert doc["Statement"][0]["NotPrincipal"] == {"AWS": ["arn:aws:iam::123456789012:root"]}
    assert doc["Statement"][0]["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}


def test_dynamic_statement_and_principals(tmp_path):
    doc = _document(tmp_path, '''
locals {
  grants = [{ sid = "One", actions = ["s3:GetObject"] }, { sid = "Two", actions = ["s3:PutObject"] }]
}
data "aws_iam_policy_document" "doc" {
  version = "2008-10-17"
  dynamic "statement" {
    for_each = local.grants
    content {
      sid     = statement.value.sid
      actions = statement.value.actions
      dynamic "principals" {
        for_each = statement.key == 0 ? ["ec2.amazonaws.com"] : []
        iterator = p
        content {
          type        = "Service"
          identifiers = [p.value]
        }
      }
    }
  }
}
''')
    assert doc["Version"] == "2008-10-17"
    assert [s["Sid"] for s in doc["Statement"]] == ["One", "Two"]
    assert doc["Statement"][0]["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    assert "Principal" not in doc["Statement"][1]


def test_unknown_dynamic_for_each_is_an_unknown_statement(tmp_path):
    write(tmp_path, {"main.tf": '''
variable "grants" {}
data "aws_iam_policy_document" "doc" {
  dynamic "statement" {
    for_each = var.grants
    content {
      actions = statement.value
    }
  }
}
resource "aws_iam_policy" "out" {
  policy = data.aws_iam_policy_document.doc.json
}
'''})
    from iamlint.model.values import Unknown
    from iamlint.normalize.terraform import load_module

    result = load_module(str(tmp_path), [(str(tmp_path / "main.tf"),) * 2], Options(cache=False))
    statements = result.graph.by_address("aws_iam_policy.out").document.statements
    assert len(statements) == 1 and isinstance(statements[0], Unknown)
    assert "var.grants" in statements[0].reason


def test_aws_iam_policy_data_source_resolves_managed_policies():
    assert ("IAM003", "fixtures/terraform-depth/conditionals/main.tf", 49,
            "aws_iam_role_policy_attachment.debug") in findings(DEPTH / "conditionals")
