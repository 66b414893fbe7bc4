"""The data sources evaluated from the code alone, by type: each builder returns one
attribute of one instance; ``attributes`` lists what the whole object holds. Every other
data source is read from AWS at plan time (Unknown)."""

from __future__ import annotations

from typing import Any, Callable

from iamlint.model.span import Span
from iamlint.model.values import Known, Lookup, Ref, Unknown, Value
from iamlint.normalize.terraform import policy_document
from iamlint.parsers.terraform.syntax import Block

DataBuilder = Callable[[Any, Block, str, str, Span, dict], Value]

_PARTITIONS = {
    "aws": ("amazonaws.com", "aws"),
    "aws-cn": ("amazonaws.com.cn", "aws-cn"),
    "aws-us-gov": ("amazonaws.com", "aws-us-gov"),
}


def _partition_data(evaluator: Any, block: Block, address: str, attribute: str, span: Span, env: dict) -> Value:
    dns_suffix, partition = _PARTITIONS.get(evaluator.partition, _PARTITIONS["aws"])
    if attribute in ("partition", "id"):
        return Known(partition, span)
    if attribute == "dns_suffix":
        return Known(dns_suffix, span)
    if attribute == "reverse_dns_prefix":
        return Known(".".join(reversed(dns_suffix.split("."))), span)
    return Unknown(f"data.{address}.{attribute} is not evaluated", span)


_partition_data.attributes = ("partition", "id", "dns_suffix", "reverse_dns_prefix")  # type: ignore[attr-defined]


def _service_principal(evaluator: Any, block: Block, address: str, attribute: str, span: Span, env: dict) -> Value:
    """``data "aws_service_principal"``: ``name`` is ``<service_name>.<dns suffix>`` (the
    provider's rule for the partition assumed; ``region`` is not needed for it)."""
    attrs = block.body.attributes
    service = evaluator.eval(attrs["service_name"].expr, env or {}) if "service_name" in attrs else None
    if not isinstance(service, Known) or not isinstance(service.value, str):
        return Unknown(f"data.{address}.{attribute}: the service name cannot be evaluated", span)
    dns_suffix, _ = _PARTITIONS.get(evaluator.partition, _PARTITIONS["aws"])
    if attribute in ("name", "id"):
        return Known(f"{service.value}.{dns_suffix}", service.span)
    if attribute == "suffix":
        return Known(dns_suffix, service.span)
    return Unknown(f"data.{address}.{attribute} is not evaluated", span)


_service_principal.attributes = ("name", "id", "suffix")  # type: ignore[attr-defined]

def _ami(evaluator: Any, block: Block, address: str, attribute: str, span: Span, env: dict) -> Value:
    """``data "aws_ami"``: read from AWS at plan time, but which data source it is stays
    known (a :class:`Ref` to its node, whose filters say what every AMI it can find is:
    ``imds-support = v2.0`` means IMDSv2 is required on instances launched from it)."""
    return Ref(f"data.{address}.{attribute} is read from AWS at plan time", span,
               address=f"{evaluator.prefix}data.{address}", attribute=attribute)


def _read(evaluator: Any, block: Block, address: str, attribute: str, span: Span, env: dict) -> Value:
    """``data "aws_iam_role"``, ``data "aws_iam_instance_profile"``: read from AWS at plan
    time, but which data source it is stays known (a :class:`Ref`), so a Terraform state
    (``--state``) holding its values can stand in for it; its ``name`` is the name it
    looks up, when the code fixes it (an account snapshot, ``--account``, finds it by name)."""
    argument = block.body.attributes.get("name")
    name = evaluator.eval(argument.expr, env or {}) if argument is not None else None
    looked_up = name.value if isinstance(name, Known) and isinstance(name.value, str) else ""
    if attribute == "name" and looked_up:
        return Known(looked_up, span)  # located where it is used, like the reference it replaces
    return Lookup(f"data.{address}.{attribute} is read from AWS at plan time", span,
                  address=f"{evaluator.prefix}data.{address}", attribute=attribute, name=looked_up)


DATA_NODES = frozenset({"aws_ami"})  # data sources that are nodes of the graph (rules read their arguments)

BUILDERS: dict[str, DataBuilder] = {
    "aws_iam_policy_document": policy_document.build,
    "aws_partition": _partition_data,
    "aws_iam_policy": policy_document.managed_policy,
    "aws_service_principal": _service_principal,
    "aws_ami": _ami,
    "aws_iam_role": _read,
    "aws_iam_instance_profile": _read,
}
