"""Terraform JSON syntax: the same model as HCL, with line numbers."""

from __future__ import annotations

import pytest
from tf_helpers import DEPTH, findings

from iamlint.parsers.terraform.hcl import HclSyntaxError
from iamlint.parsers.terraform.json_syntax import parse_tf_json
from iamlint.parsers.terraform import syntax as s

FILE = "fixtures/terraform-depth/tf_json/main.tf.json"


def test_fixture_findings_with_lines_and_addresses():
    assert findings(DEPTH / "tf_json") == {
        ("IAM002", FILE, 6, "aws_iam_role_policy.p"),
        ("IAM001", FILE, 15, "aws_iam_role.r"),
        ("EC2001", FILE, 44, "aws_instance.bare"),
    }


def test_structure():
    parsed = parse_tf_json('{"resource": {"aws_iam_role": {"r": {"name": "${var.x}",\n "inline_policy": [{"name": "a"}]}}},'
                           '\n "locals": {"l": "plain"}, "//": "comment"}', "f.tf.json")
    role, local = parsed.body.blocks
    assert (role.type, role.labels) == ("resource", ["aws_iam_role", "r"])
    assert isinstance(role.body.attributes["name"].expr, s.Template)
    assert role.body.blocks[0].type == "inline_policy" and role.body.blocks[0].span.line == 2
    assert local.type == "locals" and "l" in local.body.attributes


def test_invalid_json_is_a_located_syntax_error():
    with pytest.raises(HclSyntaxError) as error:
        parse_tf_json('{\n  "resource": [\n}', "f.tf.json")
    assert error.value.line == 3


def test_arrays_of_objects_at_label_levels():
    parsed = parse_tf_json('{"resource": [{"aws_iam_role": {"a": {"name": "a"}}}, {"aws_iam_role": [{"b": {}}]}],'
                           ' "variable": {"v": [{"default": 1}]}}', "f.tf.json")
    assert [(b.type, b.labels) for b in parsed.body.blocks] == [
        ("resource", ["aws_iam_role", "a"]), ("resource", ["aws_iam_role", "b"]), ("variable", ["v"])]
