"""``data "aws_iam_policy_document"`` -> the IAM JSON structure as a Value, spans kept.

Each ``statement`` block becomes a statement whose span is the block's; each action,
resource and principal keeps the span of its own string.
"""

from __future__ import annotations

from iamlint.model.span import Span
from iamlint.model.values import Encoded, Known, Unknown, Value, as_list
from iamlint.parsers.terraform.syntax import Block, Body

_LISTS = {
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}


def build(evaluator, block: Block, address: str, attribute: str, span: Span) -> Value:
    if attribute not in ("json", "minified_json"):
        return Unknown(f"data.{address}.{attribute} is not evaluated", span)
    return Known(Encoded(document(evaluator, block.body, block.span)), span)


def document(evaluator, body: Body, span: Span) -> Value:
    result: dict[str, Value] = {}
    version = body.attributes.get("version")
    result["Version"] = evaluator.eval(version.expr) if version else Known("2012-10-17", span)
    policy_id = body.attributes.get("policy_id")
    if policy_id:
        result["Id"] = evaluator.eval(policy_id.expr)
    statements = [statement(evaluator, b.body, b.span) for b in body.blocks_of("statement")]
    result["Statement"] = Known(statements, span)
    return Known(result, span)


def statement(evaluator, body: Body, span: Span) -> Value:
    result: dict[str, Value] = {}
    sid = body.attributes.get("sid")
    if sid:
        result["Sid"] = evaluator.eval(sid.expr)
    effect = body.attributes.get("effect")
    result["Effect"] = evaluator.eval(effect.expr) if effect else Known("Allow", span)
    for name, key in _LISTS.items():
        attribute = body.attributes.get(name)
        if attribute is not None:
            result[key] = evaluator.eval(attribute.expr)
    for block_type, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = body.blocks_of(block_type)
        if blocks:
            result[key] = principals(evaluator, blocks)
    conditions = body.blocks_of("condition")
    if conditions:
        result["Condition"] = condition(evaluator, conditions, span)
    return Known(result, span)


def principals(evaluator, blocks: list[Block]) -> Value:
    merged: dict[str, Value] = {}
    for block in blocks:
        type_attr = block.body.attributes.get("type")
        ids_attr = block.body.attributes.get("identifiers")
        if type_attr is None or ids_attr is None:
            return Unknown("a principals block lacks type or identifiers", block.span)
        kind = evaluator.eval(type_attr.expr)
        identifiers = evaluator.eval(ids_attr.expr)
        if not isinstance(kind, Known) or not isinstance(kind.value, str):
            return Unknown("the principal type cannot be evaluated", block.span)
        if kind.value == "*":
            return _star(identifiers, block.span)
        existing = merged.get(kind.value)
        items = as_list(identifiers)
        if existing is not None:
            items = as_list(existing) + items
        merged[kind.value] = Known(items, ids_attr.expr.span)
    return Known(merged, blocks[0].span)


def _star(identifiers: Value, span: Span) -> Value:
    items = as_list(identifiers)
    if items and all(isinstance(i, Known) and i.value == "*" for i in items):
        return Known("*", items[0].span)
    return Known({"AWS": identifiers}, span)


def condition(evaluator, blocks: list[Block], span: Span) -> Value:
    result: dict[str, Value] = {}
    for block in blocks:
        attrs = block.body.attributes
        if not all(name in attrs for name in ("test", "variable", "values")):
            return Unknown("a condition block lacks test, variable or values", block.span)
        test = evaluator.eval(attrs["test"].expr)
        variable = evaluator.eval(attrs["variable"].expr)
        if not isinstance(test, Known) or not isinstance(variable, Known):
            return Unknown("a condition cannot be evaluated", block.span)
        operator = result.setdefault(str(test.value), Known({}, block.span))
        operator.value[str(variable.value)] = evaluator.eval(attrs["values"].expr)
    return Known(result, span)
