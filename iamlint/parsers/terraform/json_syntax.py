"""Terraform JSON syntax (``*.tf.json``) -> the same :mod:`syntax` tree as HCL, with lines.

Follows Terraform's "JSON Configuration Syntax": the top-level object's keys are block
types; labels are nested object keys (``resource`` and ``data`` two, ``module``,
``variable``, ``output`` and ``provider`` one); a block with several bodies is an array.
Strings are templates (``"${aws_iam_role.r.arn}"``, ``%{ if }`` directives), parsed
with the HCL expression parser at their own line and column; numbers, booleans, null,
arrays and objects are literal. The ``type`` of a variable and ``depends_on`` hold
expressions; a variable's ``default`` is a plain value.

Without provider schemas, an object (or array of objects) under a key that names a
nested block type iamlint reads (``statement``, ``principals``, ``inline_policy``...) is
taken as nested blocks; any other key is an attribute, as Terraform would decide for the
resources iamlint checks.
"""

from __future__ import annotations

from iamlint.model.span import Span
from iamlint.model.values import Known
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform.choice import parse_expression, parse_template
from iamlint.parsers.terraform.errors import HclSyntaxError

_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1,
           "locals": 0, "terraform": 0, "moved": 0, "import": 0, "check": 1, "removed": 0}
NESTED_BLOCKS = {
    "statement", "principals", "not_principals", "condition", "inline_policy", "metadata_options",
    "iam_instance_profile", "lifecycle", "dynamic", "content", "root_block_device", "ebs_block_device",
    "network_interface", "launch_template", "tag_specifications", "block_device_mappings", "ebs",
    "credit_specification", "validation", "backend", "required_providers", "assume_role",
    "default_tags", "provisioner", "connection", "precondition", "postcondition",
}


def parse_tf_json(text: str, path: str) -> s.HclFile:
    # start-up: the JSON reader only for .tf.json files (this module comes with every .tf run)
    from iamlint.parsers.jsonpos import JsonError, loads_with_spans

    try:
        data = loads_with_spans(text, path)
    except JsonError as exc:
        raise HclSyntaxError(exc.message, exc.line, exc.column) from None
    if not isinstance(data.value, dict):
        raise HclSyntaxError("a .tf.json file must hold a JSON object", data.span.line, data.span.column)
    body = s.Body()
    for block_type, value in data.value.items():
        if block_type.startswith("//"):
            continue
        depth = _LABELS.get(block_type, 0)
        for labels, inner in _labelled(value, depth, []):
            body.blocks.extend(_bodies(block_type, labels, inner, path, top=True))
    return s.HclFile(path, body)


def _labelled(value: Known, depth: int, labels: list[str]):
    if depth == 0:
        yield labels, value
        return
    if isinstance(value.value, list):  # several objects at one level (allowed by Terraform)
        for item in value.value:
            yield from _labelled(item, depth, labels)
        return
    if not isinstance(value.value, dict):
        raise HclSyntaxError("expected an object of block labels", value.span.line, value.span.column)
    for key, inner in value.value.items():
        if key.startswith("//"):
            continue
        yield from _labelled(inner, depth - 1, labels + [key])


def _bodies(block_type: str, labels: list[str], value: Known, path: str, top: bool = False) -> list[s.Block]:
    items = value.value if isinstance(value.value, list) else [value]
    blocks = []
    for item in items:
        if not isinstance(item.value, dict):
            raise HclSyntaxError(f"the body of a {block_type!r} block must be an object", item.span.line, item.span.column)
        blocks.append(s.Block(block_type, list(labels), _body(block_type, item, path, top), item.span))
    return blocks


def _body(block_type: str, value: Known, path: str, top: bool) -> s.Body:
    body = s.Body()
    for key, item in value.value.items():
        if key.startswith("//"):
            continue
        if block_type == "locals" or (top and block_type == "output" and key == "value"):
            body.attributes[key] = s.Attribute(key, expression(item, path), item.span)
            continue
        if block_type == "variable" and key in ("default",):
            body.attributes[key] = s.Attribute(key, literal(item), item.span)
            continue
        if block_type == "variable" and key == "type" and isinstance(item.value, str):
            body.attributes[key] = s.Attribute(key, _parse(item.value, path, item.span), item.span)
            continue
        if key == "dynamic" and isinstance(item.value, dict):
            for name, inner in item.value.items():
                body.blocks.extend(_bodies("dynamic", [name], inner, path))
            continue
        if key in NESTED_BLOCKS and _is_block_value(item):
            body.blocks.extend(_bodies(key, [], item, path))
            continue
        body.attributes[key] = s.Attribute(key, expression(item, path), item.span)
    return body


def _is_block_value(item: Known) -> bool:
    if isinstance(item.value, dict):
        return True
    return isinstance(item.value, list) and bool(item.value) and all(isinstance(i.value, dict) for i in item.value)


def expression(value: Known, path: str) -> s.Expr:
    inner = value.value
    if isinstance(inner, str):
        if "${" not in inner and "%{" not in inner:
            return s.Template([inner.replace("$${", "${").replace("%%{", "%{")], value.span)
        try:
            template = parse_template(inner, path, value.span.line, value.span.column + 1, 0, value.span)
        except HclSyntaxError as exc:
            return s.Unsupported(f"cannot parse template: {exc.message}", value.span)
        template.heredoc = False
        return template
    if isinstance(inner, list):
        return s.TupleExpr([expression(item, path) for item in inner], value.span)
    if isinstance(inner, dict):
        return s.ObjectExpr([(s.Literal(key, value.span), expression(item, path)) for key, item in inner.items()],
                            value.span)
    return s.Literal(inner, value.span)


def literal(value: Known) -> s.Expr:
    inner = value.value
    if isinstance(inner, list):
        return s.TupleExpr([literal(item) for item in inner], value.span)
    if isinstance(inner, dict):
        return s.ObjectExpr([(s.Literal(key, value.span), literal(item)) for key, item in inner.items()], value.span)
    if isinstance(inner, str):
        return s.Template([inner], value.span)
    return s.Literal(inner, value.span)


def _parse(text: str, path: str, span: Span) -> s.Expr:
    try:
        return parse_expression(text, path, span.line, span.column + 1)
    except HclSyntaxError as exc:
        return s.Unsupported(f"cannot parse expression: {exc.message}", span)
