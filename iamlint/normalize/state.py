"""Terraform state as context for code (``--state FILE``).

Two shapes are read: ``terraform show -json`` of a state (``values.root_module`` with
``resources`` and ``child_modules``, each resource with ``address``, ``mode``, ``type``
and ``values``) and the raw state file, format version 4 (``resources`` with ``module``,
``mode``, ``type``, ``name`` and one ``instances[]`` record per count/for_each instance,
``index_key`` and ``attributes``). Managed resources become the same nodes as in a plan
(through the Terraform resource builders); the data sources the code reads from AWS that
link the chain become nodes too: ``data "aws_iam_role"`` a role (its trust policy),
``data "aws_iam_instance_profile"`` an instance profile (its role), ``data
"aws_iam_policy"`` a customer managed policy (its document). Every node keeps its
Terraform address, so a reference of the code to ``data.aws_iam_role.x`` resolves to it
(:mod:`iamlint.normalize.context`), and the spans of the state file.
"""

from __future__ import annotations

import json
from typing import Iterator

from iamlint.model.graph import InstanceProfile, ManagedPolicy, Node, Resource, Role
from iamlint.model.span import Span
from iamlint.model.units import SourceError
from iamlint.model.values import Encoded, Known, Value, from_python
from iamlint.normalize.account import entries, field_of, text_of
from iamlint.normalize.documents import to_document
from iamlint.normalize.terraform.resources import BUILDERS
from iamlint.sources import read_source

StateResource = tuple[str, str, str, Span, dict[str, Value]]  # address, mode, type, span, values


def load_state(path: str) -> tuple[list[Node], list[SourceError]]:
    """The nodes of one state file, and its errors (located)."""
    # start-up: the JSON reader only when a state is read
    from iamlint.parsers.jsonpos import JsonError, loads_with_spans

    text, error = read_source(path, path)
    if error is not None or text is None:
        return [], [error] if error is not None else []
    try:
        data = loads_with_spans(text, path)
    except JsonError as exc:
        return [], [SourceError(path, exc.line, f"invalid JSON: {exc.message}", exc.column)]
    top = data.value if isinstance(data.value, dict) else {}
    if text_of(top.get("version")) == "4" and isinstance(top.get("resources"), Known):
        found = list(_raw(top["resources"]))
    elif isinstance(top.get("values"), Known) or "format_version" in top:
        found = list(_shown(field_of(top.get("values"), "root_module")))
    else:
        return [], [SourceError(path, data.span.line, "not a Terraform state: neither `terraform show -json` output "
                                "(values.root_module) nor a state file of version 4", data.span.column)]
    return [node for node in (_node(*resource) for resource in found) if node is not None], []


def _shown(module: Value | None) -> Iterator[StateResource]:
    """Resources of ``terraform show -json`` (child modules included)."""
    stack = [module]
    while stack:
        current = stack.pop()
        if not isinstance(current, Known) or not isinstance(current.value, dict):
            continue
        for resource in entries(current.value.get("resources")):
            body = resource.value
            address, mode, type_ = (text_of(body.get(k)) for k in ("address", "mode", "type"))
            values = body.get("values")
            if address and mode and type_ and isinstance(values, Known) and isinstance(values.value, dict):
                yield address, mode, type_, resource.span, dict(values.value)
        stack.extend(entries(current.value.get("child_modules")))


def _raw(resources: Value) -> Iterator[StateResource]:
    """Resources of a raw state file (version 4): one per instance."""
    for resource in entries(resources):
        body = resource.value
        module, mode, type_, name = (text_of(body.get(k)) for k in ("module", "mode", "type", "name"))
        if not (mode and type_ and name):
            continue
        base = (f"{module}." if module else "") + ("data." if mode == "data" else "") + f"{type_}.{name}"
        for instance in entries(body.get("instances")):
            attributes = instance.value.get("attributes")
            if not isinstance(attributes, Known) or not isinstance(attributes.value, dict):
                continue
            key = instance.value.get("index_key")
            suffix = "" if key is None else f"[{json.dumps(key.value)}]" if isinstance(key, Known) else ""
            yield base + suffix, mode, type_, instance.span, dict(attributes.value)


def _node(address: str, mode: str, type_: str, span: Span, values: dict[str, Value]) -> Node | None:
    values = {name: _decoded(value) for name, value in values.items()}
    if mode == "data":
        builder = _DATA.get(type_)
        return builder(address, span, values) if builder is not None else None
    if mode != "managed":
        return None
    build = BUILDERS.get(type_)
    return build(address, type_, span, values) if build is not None else Resource(address, type_, span, values)


def _role(address: str, span: Span, values: dict[str, Value]) -> Node:
    return Role(address, "data.aws_iam_role", span, values, name=values.get("name"),
                trust_policy=to_document(values.get("assume_role_policy")),
                permissions_boundary=_present(values.get("permissions_boundary")))


def _profile(address: str, span: Span, values: dict[str, Value]) -> Node:
    role = values.get("role_name")
    return InstanceProfile(address, "data.aws_iam_instance_profile", span, values, name=values.get("name"),
                           roles=(role,) if _present(role) is not None and role is not None else ())


def _policy(address: str, span: Span, values: dict[str, Value]) -> Node:
    return ManagedPolicy(address, "data.aws_iam_policy", span, values, name=values.get("name"),
                         document=to_document(values.get("policy")))


_DATA = {"aws_iam_role": _role, "aws_iam_instance_profile": _profile, "aws_iam_policy": _policy}


def _decoded(value: Value) -> Value:
    """JSON policy text in the state (a string in a string) -> its structure, every part at
    the span of the string."""
    if isinstance(value, Known) and isinstance(value.value, str):
        text = value.value.lstrip()
        if text.startswith("{") and "Statement" in text:
            try:
                return Known(Encoded(from_python(json.loads(text), value.span)), value.span)
            except ValueError:
                return value
    return value


def _present(value: Value | None) -> Value | None:
    if isinstance(value, Known) and value.value in (None, ""):
        return None
    return value
