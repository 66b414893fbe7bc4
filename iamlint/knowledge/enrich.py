"""Graph enrichment: AWS managed policy ARNs become nodes carrying their documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from iamlint.model.graph import AwsManagedPolicy, Graph, Group, PolicyAttachment, Role, User
from iamlint.model.policy import PolicyDocument
from iamlint.model.values import Known, from_python

if TYPE_CHECKING:
    from iamlint.knowledge.managed import ManagedEntry

NODE_TYPE = "aws_managed_policy"


def managed_arns(graph: Graph) -> Iterator[Known]:
    """Every Known AWS managed policy ARN attached by a role, user or group (or set as
    the permissions boundary of a role or user) or by an attachment node."""
    for node in graph.nodes:
        if isinstance(node, (Role, User, Group)):
            values = node.managed_policy_arns
            if not isinstance(node, Group) and node.permissions_boundary is not None:
                values = (*values, node.permissions_boundary)
        elif isinstance(node, PolicyAttachment):
            values = node.policy_arns
        else:
            continue
        for value in values:
            if isinstance(value, Known) and AwsManagedPolicy.key_of(value.value):
                yield value


def enrich_graph(graph: Graph) -> None:
    """Add one AwsManagedPolicy per distinct AWS managed policy referenced and known to
    the snapshot (an unknown one gets no node: resolving it fails with a reason)."""
    seen: set[str | None] = set()
    for value in managed_arns(graph):
        key = AwsManagedPolicy.key_of(value.value)
        if key in seen or any(
            isinstance(n, AwsManagedPolicy) and AwsManagedPolicy.key_of(n.arn) == key for n in graph.nodes
        ):
            continue
        seen.add(key)
        from iamlint.knowledge.managed import lookup  # the snapshot module, only when needed

        entry = lookup(value.value)
        if entry is not None:
            graph.add(node_for(entry, value))


def node_for(entry: "ManagedEntry", reference: Known) -> AwsManagedPolicy:
    """The node of one policy; every span is the span of its first reference."""
    span = reference.span
    document = PolicyDocument.from_value(from_python(entry.document, span))
    return AwsManagedPolicy(
        address=f"aws-managed-policy{entry.key}",
        type=NODE_TYPE,
        span=span,
        attributes={"arn": reference},
        name=Known(entry.name, span),
        document=document,
        arn=reference.value,
    )
