"""EC2001's fix: a new instance profile wrapping a new role that only EC2 may assume,
declared in the compute resource's own file, in the style of its module or template,
and attached to the compute resource.

Terraform: an ``aws_iam_role`` whose trust policy is a ``data "aws_iam_policy_document"``
when the module writes its trust policies that way, else ``jsonencode``; an
``aws_iam_instance_profile``; ``iam_instance_profile`` set on the instance (a block with
``name`` on a launch template). CloudFormation: ``AWS::IAM::Role`` and
``AWS::IAM::InstanceProfile`` resources at the end of ``Resources``, ``IamInstanceProfile``
set with ``!Ref`` / ``{"Ref": ...}`` (``Arn`` with ``!GetAtt`` on a launch template), in
short-form tags when the template uses them. The role has no permissions: granting
what the workload needs is a decision for its owner.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from iamlint.fixes import edit
from iamlint.fixes.edit import Refused, Span
from iamlint.fixes.render import Raw
from iamlint.fixes.tree import MAP, TNode
from iamlint.model.fixes import AddInstanceProfile

if TYPE_CHECKING:
    from iamlint.fixes.plan import Planner

_LABEL = re.compile(r"([A-Za-z0-9_-]+)(?:\[[^\]]*\])?$")


def scaffold(planner: Planner, intent: AddInstanceProfile, path: str) -> list[Span]:
    node = intent.node
    attribute = str(getattr(node, "profile_attribute", ""))
    if "[]" in attribute:  # a spot fleet's launch specifications: one profile each
        raise Refused(f"the profile is set in each of {attribute.split('[]')[0]}: add it there")
    if node.type.startswith("AWS::"):
        return _cloudformation(planner, intent, path)
    if planner.syntax(path) != "hcl":
        raise Refused("new resources are written in HCL files only (not in .tf.json)")
    return _terraform(planner, intent, path)


# ------------------------------------------------------------------ Terraform

def _terraform(planner: Planner, intent: AddInstanceProfile, path: str) -> list[Span]:
    text, tree = planner.text(path), planner.tree(path)
    node = intent.node
    found = _block(tree, planner.offset(node.span))
    label = _LABEL.search(node.address)
    base = _free(label.group(1) if label else intent.name, _names(planner, path))
    unit, nl = text.unit, text.nl
    policy = _trust_hcl(planner, path, base, intent.service, unit, nl)
    role = f'resource "aws_iam_role" "{base}" {{{nl}{unit}assume_role_policy = {policy.reference}{nl}}}{nl}'
    profile = f'resource "aws_iam_instance_profile" "{base}" {{{nl}{unit}role = aws_iam_role.{base}.name{nl}}}{nl}'

    reference = Raw(f"aws_iam_instance_profile.{base}.name")
    if node.type == "aws_launch_template":
        attach = _set(text, found, ("iam_instance_profile",), "name", reference)
    else:
        attach = _set(text, found, (), "iam_instance_profile", reference)
    end = len(text.text)
    gap = nl if text.text.endswith("\n") else nl + nl
    return [attach, Span(end, end, gap + (nl.join([*policy.blocks, role, profile])))]


class _Trust:
    def __init__(self, reference: str, blocks: list[str]) -> None:
        self.reference, self.blocks = reference, blocks


def _trust_hcl(planner: Planner, path: str, base: str, service: str, unit: str, nl: str) -> _Trust:
    """The trust policy in the module's style: a policy document data source when the
    module writes trust policies so, else ``jsonencode``."""
    if _uses_policy_documents(planner, path):
        name = f"{base}_assume_role"
        block = (f'data "aws_iam_policy_document" "{name}" {{{nl}{unit}statement {{{nl}'
                 f'{unit * 2}actions = ["sts:AssumeRole"]{nl}{unit * 2}principals {{{nl}'
                 f'{unit * 3}type        = "Service"{nl}{unit * 3}identifiers = ["{service}"]{nl}'
                 f"{unit * 2}}}{nl}{unit}}}{nl}}}{nl}")
        return _Trust(f"data.aws_iam_policy_document.{name}.json", [block])
    inner = unit * 2
    document = (f"jsonencode({{{nl}{inner}Version = \"2012-10-17\"{nl}{inner}Statement = [{{{nl}"
                f"{inner}{unit}Effect    = \"Allow\"{nl}{inner}{unit}Principal = {{ Service = \"{service}\" }}{nl}"
                f"{inner}{unit}Action    = \"sts:AssumeRole\"{nl}{inner}}}]{nl}{unit}}})")
    return _Trust(document, [])


def _uses_policy_documents(planner: Planner, path: str) -> bool:
    folder = os.path.dirname(path) or "."
    for name in sorted(os.listdir(folder)):
        if name.endswith(".tf"):
            text = planner.text(os.path.join(folder, name)).text
            if re.search(r'data\s+"aws_iam_policy_document"', text) and "sts:AssumeRole" in text:
                return True
    return False


def _names(planner: Planner, path: str) -> set[str]:
    """The labels of the module's role, profile and policy document blocks."""
    folder = os.path.dirname(path) or "."
    taken: set[str] = set()
    for name in sorted(os.listdir(folder)):
        if name.endswith(".tf"):
            text = planner.text(os.path.join(folder, name)).text
            taken.update(re.findall(r'(?:resource|data)\s+"aws_iam_(?:role|instance_profile|policy_document)"\s+"([^"]+)"', text))
    return taken


def _free(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken or f"{candidate}_assume_role" in taken:
        candidate, number = f"{base}_{number}", number + 1
    return candidate


def _block(tree: TNode, offset: int) -> TNode:
    for entry in tree.entries:
        if entry.start == offset and entry.value.kind == MAP:
            return entry.value
    raise Refused("the resource is not written as a block here")


def _set(text: edit.Text, mapping: TNode, path: tuple[str, ...], key: str, value: object) -> Span:
    for step in path:
        found = mapping.get(step)
        if found is None:
            return edit.add_entry(text, mapping, step, {key: value})
        if found.value.kind != MAP:
            raise Refused(f"{step} is not written as a block")
        mapping = found.value
    return edit.set_key(text, mapping, key, value)


# ------------------------------------------------------------------ CloudFormation

def _cloudformation(planner: Planner, intent: AddInstanceProfile, path: str) -> list[Span]:
    text, tree = planner.text(path), planner.tree(path)
    resources = tree.get("Resources") if tree.kind == MAP else None
    if resources is None or resources.value.kind != MAP:
        raise Refused("the template has no Resources mapping")
    resource = resources.value.get(intent.node.address)
    properties = resource.value.get("Properties") if resource is not None and resource.value.kind == MAP else None
    if properties is None or properties.value.kind != MAP:
        raise Refused(f"{intent.node.address} has no Properties mapping")
    taken = {e.key for e in resources.value.entries}
    role = _free_id(f"{intent.node.address}InstanceRole", taken)
    profile = _free_id(f"{intent.node.address}InstanceProfile", taken)
    yaml = planner.syntax(path) == "yaml"
    short = yaml and bool(re.search(r"!(Ref|GetAtt|Sub)\b", text.text))
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": intent.service}, "Action": "sts:AssumeRole"}]}
    new_role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust}}
    new_profile = {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [_ref(role, short)]}}
    if intent.node.type == "AWS::EC2::LaunchTemplate":
        attach = _set(text, properties.value, ("LaunchTemplateData",), "IamInstanceProfile",
                      {"Arn": _getatt(profile, "Arn", short, yaml)})
    else:
        attach = _set(text, properties.value, (), "IamInstanceProfile", _ref(profile, short))
    spans = [attach, edit.add_entry(text, resources.value, role, new_role)]
    second = edit.add_entry(text, resources.value, profile, new_profile)
    return spans + [second]


def _free_id(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}{number}", number + 1
    return candidate


def _ref(name: str, short: bool) -> object:
    return Raw(f"!Ref {name}") if short else {"Ref": name}


def _getatt(name: str, attribute: str, short: bool, yaml: bool) -> object:
    if short:
        return Raw(f"!GetAtt {name}.{attribute}")
    return {"Fn::GetAtt": [name, attribute]}
