"""Parser layer: HCL text -> syntax tree with exact 1-based spans."""

from __future__ import annotations

import pytest

from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.hcl import HclSyntaxError, parse_hcl

SOURCE = '''\
resource "aws_iam_role" "web" {
  name = "web-${var.env}"
  tags = { Team = "core", "quoted key" = 1 }
  policy = <<-EOT
    {"Statement": []}
    ${var.extra}
  EOT
}
'''


def _block(text: str) -> s.Block:
    return parse_hcl(text, "main.tf").body.blocks[0]


def test_block_labels_and_span():
    block = _block(SOURCE)
    assert (block.type, block.labels) == ("resource", ["aws_iam_role", "web"])
    assert (block.span.file, block.span.line, block.span.column) == ("main.tf", 1, 1)
    assert (block.span.end_line, block.span.end_column) == (8, 2)


def test_attribute_and_interpolation_spans():
    name = _block(SOURCE).body.attributes["name"]
    assert (name.span.line, name.span.column) == (2, 3)
    template = name.expr
    assert isinstance(template, s.Template)
    assert template.parts[0] == "web-"
    reference = template.parts[1]
    assert isinstance(reference, s.GetAttr) and reference.name == "env"
    assert (reference.span.line, reference.span.column) == (2, 17)


def test_object_keys_are_literals():
    tags = _block(SOURCE).body.attributes["tags"].expr
    assert isinstance(tags, s.ObjectExpr)
    keys = [k.value for k, _ in tags.items]
    assert keys == ["Team", "quoted key"]


def test_indented_heredoc_content_and_interpolation_position():
    policy = _block(SOURCE).body.attributes["policy"].expr
    assert isinstance(policy, s.Template) and policy.heredoc
    assert policy.parts[0] == '{"Statement": []}\n'
    interpolation = policy.parts[1]
    assert isinstance(interpolation, s.GetAttr) and interpolation.name == "extra"
    # `${var.extra}` sits on line 6; `var` starts at column 7 (after 4 spaces and "${")
    assert (interpolation.span.line, interpolation.span.column) == (6, 7)
    # the content starts on the line after the marker, after the stripped indentation
    assert (policy.span.line, policy.span.column) == (5, 5)


def test_crlf_and_bom_keep_lines():
    text = "\ufeff" + SOURCE.replace("\n", "\r\n")
    block = _block(text)
    assert block.body.attributes["tags"].span.line == 3


def test_string_escapes():
    block = _block('x "y" {\n  a = "q\\"\\n\\u0041"\n}\n')
    assert block.body.attributes["a"].expr.parts == ['q"\nA']


def test_syntax_error_is_located():
    with pytest.raises(HclSyntaxError) as caught:
        parse_hcl('resource "a" "b" {\n  x = \n}\n', "bad.tf")
    assert caught.value.line == 2


def test_unclosed_heredoc_message_names_the_marker():
    with pytest.raises(HclSyntaxError) as caught:
        parse_hcl('x "y" {\n  p = <<POLICY\n{}\nPOLICY }\n}\n', "bad.tf")
    assert "POLICY" in caught.value.message and caught.value.line == 2
