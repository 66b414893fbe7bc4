"""Terraform resource blocks -> graph nodes (the ``from_hcl`` side of the model)."""

from __future__ import annotations

from typing import Callable

from iamlint.model.graph import (
    Compute,
    InlinePolicy,
    InstanceProfile,
    ManagedPolicy,
    Node,
    PolicyAttachment,
    Resource,
    Role,
    RolePolicy,
)
from iamlint.model.span import Span
from iamlint.model.values import Known, Unknown, Value, as_list
from iamlint.normalize.documents import to_document
from iamlint.normalize.terraform.evaluate import Evaluator
from iamlint.parsers.terraform.syntax import Block, Body

Attributes = dict[str, Value]


def evaluate_body(evaluator: Evaluator, body: Body, span: Span) -> Attributes:
    """Every attribute evaluated; nested blocks become lists of objects (as Terraform sees them)."""
    values: Attributes = {name: evaluator.eval(attr.expr) for name, attr in body.attributes.items()}
    for block in body.blocks:
        if block.type == "dynamic":
            continue
        entry = Known(evaluate_body(evaluator, block.body, block.span), block.span)
        existing = values.get(block.type)
        if isinstance(existing, Known) and isinstance(existing.value, list):
            existing.value.append(entry)
        else:
            values[block.type] = Known([entry], block.span)
    return values


def _nested(values: Attributes, name: str) -> Attributes | None:
    """The first nested block ``name`` (as a dict of values), if present and known."""
    block = values.get(name)
    if isinstance(block, Known) and isinstance(block.value, list) and block.value:
        first = block.value[0]
        if isinstance(first, Known) and isinstance(first.value, dict):
            return first.value
    return None


def _compute(address: str, type_: str, span: Span, values: Attributes) -> Node:
    profile = values.get("iam_instance_profile")
    if type_ == "aws_launch_template":
        block = _nested(values, "iam_instance_profile")
        if block is None:
            profile = None if profile is None or _nested(values, "iam_instance_profile") is None else profile
        else:
            profile = block.get("arn") or block.get("name") or Known(None, values["iam_instance_profile"].span)
    metadata = _nested(values, "metadata_options") or {}
    return Compute(
        address, type_, span, values,
        profile=profile,
        http_tokens=metadata.get("http_tokens"),
        http_endpoint=metadata.get("http_endpoint"),
        user_data=values.get("user_data") or values.get("user_data_base64"),
    )


def _profile(address: str, type_: str, span: Span, values: Attributes) -> Node:
    roles = values.get("role")
    role_values = (roles,) if roles is not None else tuple(as_list(values["roles"])) if "roles" in values else ()
    return InstanceProfile(address, type_, span, values, name=_name(values, span), roles=role_values)


def _role(address: str, type_: str, span: Span, values: Attributes) -> Node:
    inline = []
    blocks = values.get("inline_policy")
    for entry in as_list(blocks) if blocks is not None else []:
        if isinstance(entry, Known) and isinstance(entry.value, dict) and "policy" in entry.value:
            document = to_document(entry.value["policy"])
            if document is not None:
                inline.append(InlinePolicy(entry.value.get("name"), document, entry.span))
    arns = values.get("managed_policy_arns")
    return Role(
        address, type_, span, values,
        name=_name(values, span),
        trust_policy=to_document(values.get("assume_role_policy")),
        inline_policies=tuple(inline),
        managed_policy_arns=tuple(as_list(arns)) if arns is not None else (),
    )


def _policy(address: str, type_: str, span: Span, values: Attributes) -> Node:
    return ManagedPolicy(address, type_, span, values, name=_name(values, span), document=to_document(values.get("policy")))


def _role_policy(address: str, type_: str, span: Span, values: Attributes) -> Node:
    role = values.get("role")
    return RolePolicy(address, type_, span, values, document=to_document(values.get("policy")),
                      roles=(role,) if role is not None else ())


def _attachment(address: str, type_: str, span: Span, values: Attributes) -> Node:
    roles: tuple[Value, ...] = ()
    if "role" in values:
        roles = (values["role"],)
    elif "role_name" in values:
        roles = (values["role_name"],)
    elif "roles" in values:
        roles = tuple(as_list(values["roles"]))
    arns = values.get("policy_arns")
    policy_arns = tuple(as_list(arns)) if arns is not None else ((values["policy_arn"],) if "policy_arn" in values else ())
    return PolicyAttachment(address, type_, span, values, policy_arns=policy_arns, roles=roles)


def _name(values: Attributes, span: Span) -> Value:
    name = values.get("name")
    if name is not None:
        return name
    if "name_prefix" in values:
        return Unknown("the name is generated from name_prefix", values["name_prefix"].span)
    return Unknown("the name is generated by Terraform", span)


BUILDERS: dict[str, Callable[[str, str, Span, Attributes], Node]] = {
    "aws_instance": _compute,
    "aws_spot_instance_request": _compute,
    "aws_launch_template": _compute,
    "aws_launch_configuration": _compute,
    "aws_iam_instance_profile": _profile,
    "aws_iam_role": _role,
    "aws_iam_policy": _policy,
    "aws_iam_role_policy": _role_policy,
    "aws_iam_role_policy_attachment": _attachment,
    "aws_iam_policy_attachment": _attachment,
    "aws_iam_role_policy_attachments_exclusive": _attachment,
}


def build_node(evaluator: Evaluator, address: str, block: Block) -> Node:
    type_ = block.labels[0]
    values = evaluate_body(evaluator, block.body, block.span)
    builder = BUILDERS.get(type_)
    if builder is None:
        return Resource(address, type_, block.span, values)
    return builder(address, type_, block.span, values)
