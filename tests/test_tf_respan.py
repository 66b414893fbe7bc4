"""One respan (iamlint.model.values.respan) for every caller: plan values moved to the
.tf attribute that sets them, --var values moved to the variable's declaration, and
Unknowns reported where they are used. A Conditional keeps its condition through all."""

from __future__ import annotations

from iamlint.engine import Options, run
from iamlint.model.span import Span
from iamlint.model.values import Conditional, Encoded, Known, Ref, SourceText, Unknown, respan
from iamlint.normalize.documents import PartialText
from iamlint.normalize.terraform.plan import _respan_attribute
from iamlint.parsers.terraform.hcl import parse_hcl

HERE = Span("a.tf", 3, 5, 3, 9)
THERE = Span("plan.json", 40, 7, 40, 20)


def _conditional(text: str) -> Conditional:
    return Conditional(text, THERE, "var.debug is true")


def test_plan_respan_keeps_the_condition_of_a_conditional_item():
    body = parse_hcl('resource "aws_iam_policy" "p" {\n  actions = var.debug ? ["s3:*"] : []\n}\n', "main.tf").body
    block = body.blocks[0]
    value = Known([_conditional("s3:*"), Known("s3:GetObject", THERE)], THERE)
    moved = _respan_attribute(value, "actions", block.body)
    first, second = moved.value
    assert isinstance(first, Conditional) and first.condition == "var.debug is true"
    assert first.value == "s3:*" and first.span == block.body.attributes["actions"].span
    assert type(second) is Known and second.span == block.body.attributes["actions"].span


def test_respan_keeps_conditionals_inside_lists_objects_and_encoded_json():
    value = Known({"Statement": Known([Known(Encoded(Known({"Action": _conditional("s3:*")}, THERE)), THERE)],
                                      THERE)}, THERE)
    moved = respan(value, HERE)
    inner = moved.value["Statement"].value[0].value.data.value["Action"]
    assert isinstance(inner, Conditional) and inner.condition == "var.debug is true" and inner.span == HERE
    assert moved.span == HERE and moved.value["Statement"].span == HERE


def test_unknowns_stay_unless_asked_and_refs_keep_what_they_name():
    ref = Ref("aws_iam_role.r.arn is computed", THERE, "aws_iam_role.r", "arn")
    unknown = Unknown("var.x has no value", THERE)
    assert respan(Known([ref, unknown], THERE), HERE).value == [ref, unknown]
    moved_ref, moved_unknown = respan(Known([ref, unknown], THERE), HERE, unknowns=True).value
    assert moved_ref == Ref(ref.reason, HERE, "aws_iam_role.r", "arn")
    assert moved_unknown == Unknown(unknown.reason, HERE)
    partial = PartialText("x is unknown", THERE, text="ab")
    # reported at the new place; its text stays where it is written (a template read
    # through a local or a variable), and is no longer exact when that is another file
    moved = respan(partial, HERE, unknowns=True)
    assert isinstance(moved, PartialText) and moved.span == HERE and moved.text == "ab" and not moved.exact
    same_file = respan(partial, Span("plan.json", 3, 5, 3, 9), unknowns=True)
    assert isinstance(same_file, PartialText) and same_file.exact


def test_source_text_becomes_plain_known_at_the_new_place():
    moved = respan(SourceText("s3:*", THERE, 40, 8, 7), HERE)
    assert type(moved) is Known and moved.span == HERE


TERRAFORM = """\
variable "debug" {
  type = bool
}

variable "actions" {
  type = list(string)
}

resource "aws_iam_policy" "app" {
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = var.actions
      Resource = "*"
    }]
  })
}
"""


def test_a_var_given_on_the_command_line_keeps_its_condition(tmp_path):
    """--var values are moved to the variable's declaration with the same respan: the
    finding on the debug-only wildcard still says when it applies."""
    (tmp_path / "main.tf").write_text(TERRAFORM)
    options = Options(select={"IAM002"}, cache=False,
                      variables={"actions": 'var.debug ? ["s3:*"] : ["s3:GetObject"]'})
    report = run([str(tmp_path)], options)
    assert [(f.rule, f.line) for f in report.findings] == [("IAM002", 5)]
    assert "only when var.debug is true" in report.findings[0].message
