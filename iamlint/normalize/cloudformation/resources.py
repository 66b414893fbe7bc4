"""Evaluated resources -> typed graph nodes (compute, instance profiles, roles, policies).

Each builder receives the logical id, type, span and evaluated ``Properties`` of one
resource; every node keeps the evaluated properties in ``attributes``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from iamlint.model.graph import (
    Compute,
    Group,
    GroupMembership,
    InlinePolicy,
    InstanceProfile,
    LaunchingService,
    ManagedPolicy,
    Node,
    Resource,
    Role,
    RolePolicy,
    User,
)
from iamlint.model.span import Span
from iamlint.model.policy import Document, PolicyDocument
from iamlint.model.values import Alternatives, Conditional, Known, Ref, SourceText, Unknown, Value, is_absent, to_python
from iamlint.normalize.documents import decode_json_text
from iamlint.normalize.documents import to_document as _to_document
from iamlint.parsers.cloudformation.yamlspans import FoldedText


class Properties:
    """The evaluated Properties of one resource (possibly Unknown as a whole)."""

    def __init__(self, value: Value | None, span: Span) -> None:
        self.value = value
        self.span = span
        inner = value.value if isinstance(value, Known) else None
        self.items: dict[str, Value] = inner if isinstance(inner, dict) else {}

    def get(self, name: str) -> Value | None:
        """A property's value; the whole Properties' Unknown when they are unknown."""
        if isinstance(self.value, Unknown):
            return self.value
        return self.items.get(name)


def build(logical_id: str, kind: str, span: Span, properties: Properties) -> list[Node]:
    builder = BUILDERS.get(kind)
    if builder is None:
        return [Resource(logical_id, kind, span, properties.items)]
    return builder(logical_id, kind, span, properties)


def _instance(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    metadata = _field(props.get("MetadataOptions"))
    return [
        Compute(
            logical_id,
            kind,
            span,
            props.items,
            profile=props.get("IamInstanceProfile"),
            profile_attribute="IamInstanceProfile",
            http_tokens=metadata("HttpTokens"),
            http_endpoint=metadata("HttpEndpoint"),
            user_data=props.get("UserData"),
        )
    ]


def _launch_template(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    data = props.get("LaunchTemplateData")
    field = _field(data)
    profile, attribute = _profile_block(field("IamInstanceProfile"), ("Arn", "Name"))
    metadata = _field(field("MetadataOptions"))
    return [
        Compute(
            logical_id,
            kind,
            span,
            props.items,
            profile=profile,
            profile_attribute="LaunchTemplateData.IamInstanceProfile" + attribute,
            template=True,
            http_tokens=metadata("HttpTokens"),
            http_endpoint=metadata("HttpEndpoint"),
            user_data=field("UserData"),
        )
    ]


def _spot_fleet(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    config = _field(props.get("SpotFleetRequestConfigData"))
    specifications = config("LaunchSpecifications")
    if not isinstance(specifications, Known) or not isinstance(specifications.value, list):
        return [Resource(logical_id, kind, span, props.items)]
    nodes: list[Node] = []
    for spec in specifications.value:
        field = _field(spec)
        profile, attribute = _profile_block(field("IamInstanceProfile"), ("Arn",))
        nodes.append(
            Compute(
                logical_id,
                kind,
                spec.span,
                spec.value if isinstance(spec, Known) and isinstance(spec.value, dict) else {},
                profile=profile,
                profile_attribute="LaunchSpecifications[].IamInstanceProfile" + attribute,
                metadata_options=False,
                user_data=field("UserData"),
            )
        )
    return nodes or [Resource(logical_id, kind, span, props.items)]


def _launching_service(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    """AWS::EKS::Nodegroup (LaunchTemplate {Id|Name}) and AWS::Batch::ComputeEnvironment
    (ComputeResources.LaunchTemplate {LaunchTemplateId|LaunchTemplateName})."""
    if kind == "AWS::EKS::Nodegroup":
        block, keys = props.get("LaunchTemplate"), ("Id", "Name")
    else:
        block, keys = _field(props.get("ComputeResources"))("LaunchTemplate"), ("LaunchTemplateId", "LaunchTemplateName")
    templates: tuple[Value, ...] = ()
    if isinstance(block, Known) and isinstance(block.value, dict):
        templates = tuple(block.value[k] for k in keys if k in block.value)[:1]
    elif block is not None:
        templates = (block,)
    return [LaunchingService(logical_id, kind, span, props.items, launch_templates=templates)]


def _instance_profile(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    name = props.get("InstanceProfileName") or _generated(logical_id, span, "name")
    return [InstanceProfile(logical_id, kind, span, props.items, name=name, roles=_items(props.get("Roles")))]


def _role(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    trust = props.get("AssumeRolePolicyDocument")
    return [
        Role(
            logical_id,
            kind,
            span,
            props.items,
            name=props.get("RoleName") or _generated(logical_id, span, "name"),
            trust_policy=to_document(trust),
            inline_policies=tuple(_inline(item) for item in _items(props.get("Policies"))),
            managed_policy_arns=_present(_items(props.get("ManagedPolicyArns"))),
            permissions_boundary=_boundary(props.get("PermissionsBoundary")),
        )
    ]


def _inline(item: Value) -> InlinePolicy:
    field = _field(item)
    document = field("PolicyDocument")
    if document is None:
        document = Unknown("the inline policy has no PolicyDocument", item.span)
    return InlinePolicy(field("PolicyName"), to_document(document), item.span)  # type: ignore[arg-type]


def _policy(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    """AWS::IAM::Policy (Roles, Users, Groups) and AWS::IAM::RolePolicy / UserPolicy /
    GroupPolicy (RoleName / UserName / GroupName)."""
    document = to_document(props.get("PolicyDocument"))
    if kind == "AWS::IAM::Policy":
        targets = [_items(props.get(key)) for key in ("Roles", "Users", "Groups")]
    else:
        targets = [_items(props.get(key)) if kind == f"AWS::IAM::{key[:-4]}Policy" else ()
                   for key in ("RoleName", "UserName", "GroupName")]
    return [RolePolicy(logical_id, kind, span, props.items, document=document, roles=targets[0], users=targets[1],
                       groups=targets[2])]


def _managed_policy(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    return [
        ManagedPolicy(
            logical_id,
            kind,
            span,
            props.items,
            name=props.get("ManagedPolicyName") or _generated(logical_id, span, "arn"),
            document=to_document(props.get("PolicyDocument")),
            roles=_items(props.get("Roles")),
            users=_items(props.get("Users")),
            groups=_items(props.get("Groups")),
        )
    ]


def _user(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    return [
        User(
            logical_id,
            kind,
            span,
            props.items,
            name=props.get("UserName") or _generated(logical_id, span, "name"),
            inline_policies=tuple(_inline(item) for item in _items(props.get("Policies"))),
            managed_policy_arns=_present(_items(props.get("ManagedPolicyArns"))),
            permissions_boundary=_boundary(props.get("PermissionsBoundary")),
            groups=_present(_items(props.get("Groups"))),
        )
    ]


def _group(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    return [
        Group(
            logical_id,
            kind,
            span,
            props.items,
            name=props.get("GroupName") or _generated(logical_id, span, "name"),
            inline_policies=tuple(_inline(item) for item in _items(props.get("Policies"))),
            managed_policy_arns=_present(_items(props.get("ManagedPolicyArns"))),
        )
    ]


def _membership(logical_id: str, kind: str, span: Span, props: Properties) -> list[Node]:
    """AWS::IAM::UserToGroupAddition (GroupName, Users)."""
    group = props.get("GroupName")
    return [GroupMembership(logical_id, kind, span, props.items, users=_items(props.get("Users")),
                            groups=(group,) if group is not None else ())]


def to_document(value: Value | None) -> Document | None:
    """A policy property -> a document. A folded quoted string is decoded from its text
    as written when that is the same JSON (exact lines); otherwise the shared decoder
    locates JSON whose lines cannot be mapped at the string itself."""
    if isinstance(value, FoldedText):
        document = _from_raw(value)
        if document is not None:
            return document
    return _to_document(value)


def _from_raw(value: FoldedText) -> Document | None:
    """Decode a folded quoted string from its text as written (exact lines), when that
    text is the same JSON as the folded value (folding only changed whitespace)."""
    written = decode_json_text(SourceText(value.raw, value.span, line=value.raw_line, column=value.raw_column, indent=0))
    folded = decode_json_text(Known(value.value, value.span))
    if not isinstance(written, Known) or not isinstance(folded, Known):
        return None
    if to_python(written) != to_python(folded):
        return None
    return PolicyDocument.from_value(written)


def inherit_launch_template_profiles(nodes: list[Node]) -> list[Node]:
    """An instance launched from a launch template (its ``LaunchTemplate`` property)
    takes the template's profile, metadata options and user data where it sets none."""
    templates = {n.address: n for n in nodes if isinstance(n, Compute) and n.type == "AWS::EC2::LaunchTemplate"}
    result: list[Node] = []
    for node in nodes:
        source = node.attributes.get("LaunchTemplate") if node.type == "AWS::EC2::Instance" else None
        if isinstance(node, Compute) and source is not None:
            node = _inherit(node, _source_template(source, templates))
        result.append(node)
    return result


def _source_template(source: Value, templates: dict[str, Compute]) -> Compute | Unknown:
    field = _field(source)
    reference = field("LaunchTemplateId") or field("LaunchTemplateName")
    if isinstance(reference, Ref) and reference.address in templates:
        return templates[reference.address]
    reason = "the instance takes it from a launch template that is not in this template"
    return Unknown(reason, reference.span if reference is not None else source.span)


def _inherit(node: Compute, template: Compute | Unknown) -> Compute:
    changes: dict[str, Any] = {}
    for name in ("profile", "http_tokens", "http_endpoint", "user_data"):
        if getattr(node, name) is None:
            changes[name] = template if isinstance(template, Unknown) else getattr(template, name)
    return dataclasses.replace(node, **changes)


def _generated(logical_id: str, span: Span, attribute: str) -> Ref:
    reason = f"the {attribute} of {logical_id} is generated by CloudFormation"
    return Ref(reason, span, address=logical_id, attribute=attribute)


def _field(value: Value | None) -> Callable[[str], Value | None]:
    """A getter for the keys of a mapping value; Unknown stays Unknown for every key."""

    def get(name: str) -> Value | None:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, Known) and isinstance(value.value, dict):
            return value.value.get(name)
        return None

    return get


def _profile_block(block: Value | None, keys: tuple[str, ...]) -> tuple[Value | None, str]:
    """The profile named by an IamInstanceProfile block ({Arn} / {Name}); of each branch
    of one chosen by a deploy-time condition."""
    if isinstance(block, Alternatives):
        branches = [(condition, _profile_block(value, keys)) for condition, value in block.branches]
        attribute = next((found[1] for _, found in branches if found[1]), "")
        chosen = tuple((condition, found[0] if found[0] is not None else Conditional(None, block.span, condition))
                       for condition, found in branches)
        return dataclasses.replace(block, branches=chosen), attribute
    if block is None or isinstance(block, Unknown):
        return block, ""
    if not isinstance(block.value, dict):
        return block, ""
    for key in keys:
        if key in block.value:
            return block.value[key], "." + key
    return Known(None, block.span), ""


def _boundary(value: Value | None) -> Value | None:
    """A role's PermissionsBoundary ARN; None when not set (or ``AWS::NoValue``, empty)."""
    return None if value is None or is_absent(value) else value


def _present(items: tuple[Value, ...]) -> tuple[Value, ...]:
    """Without empty entries (an empty parameter split into a list attaches nothing)."""
    return tuple(item for item in items if not is_absent(item))


def _items(value: Value | None) -> tuple[Value, ...]:
    if value is None:
        return ()
    if isinstance(value, Known):
        if isinstance(value.value, list):
            return tuple(value.value)
        if value.value is None:
            return ()
    return (value,)


BUILDERS: dict[str, Callable[[str, str, Span, Properties], list[Node]]] = {
    "AWS::EC2::Instance": _instance,
    "AWS::AutoScaling::LaunchConfiguration": _instance,
    "AWS::EC2::LaunchTemplate": _launch_template,
    "AWS::EC2::SpotFleet": _spot_fleet,
    "AWS::IAM::InstanceProfile": _instance_profile,
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::RolePolicy": _policy,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::IAM::UserPolicy": _policy,
    "AWS::IAM::GroupPolicy": _policy,
    "AWS::IAM::User": _user,
    "AWS::IAM::Group": _group,
    "AWS::IAM::UserToGroupAddition": _membership,
    "AWS::EKS::Nodegroup": _launching_service,
    "AWS::Batch::ComputeEnvironment": _launching_service,
}
