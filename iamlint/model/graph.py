"""The common resource graph: typed nodes for compute, instance profiles, roles and policies.

Nodes are small frozen records built by the normalisers (Terraform, CloudFormation);
rules read them through :class:`Graph` and the queries in :mod:`iamlint.model.links`.
Every attribute is a :data:`~iamlint.model.values.Value` (Known / Unknown / Ref) or a
policy :data:`~iamlint.model.policy.Document`, so a rule can always tell "known to be
wrong" from "cannot verify".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, TypeVar, Union

from iamlint.model.policy import Document
from iamlint.model.span import Span, fast_pickle
from iamlint.model.values import Value

AttrPath = tuple[Union[str, int], ...]
"""A path inside a node: attribute names, keys and indices (the locator walks it)."""


@fast_pickle
@dataclass(frozen=True, slots=True)
class Node:
    """A resource of the scanned code. ``address`` is the Terraform address
    (``module.app.aws_iam_role.web``) or the CloudFormation logical id."""

    address: str
    type: str
    span: Span
    attributes: dict[str, Value] = field(default_factory=dict, compare=False, repr=False)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Compute(Node):
    """Something that runs EC2 instances: instance, launch template/configuration, spot.

    ``profile`` is the instance profile reference (name or ARN); a Known None means
    "no profile at all"; None means the attribute is not set. ``profile_attribute``
    names the attribute in the source format, for messages. ``http_tokens`` and
    ``http_endpoint`` are the instance metadata options (None when not set) and
    ``user_data`` the user data (None when not set). ``template`` is True for a launch
    template, which other resources launch instances from; ``metadata_options`` is False
    for compute that cannot set instance metadata options (a spot fleet specification)."""

    profile: Value | None = None
    profile_attribute: str = "iam_instance_profile"
    template: bool = False
    metadata_options: bool = True
    http_tokens: Value | None = None
    http_endpoint: Value | None = None
    user_data: Value | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class Resource(Node):
    """Any other resource or provider block (kept for rules that scan every property,
    such as hardcoded credentials). ``attributes`` holds its evaluated properties."""


@fast_pickle
@dataclass(frozen=True, slots=True)
class LaunchingService(Node):
    """A service resource that launches instances from a launch template and attaches
    their role itself (an EKS managed node group, a Batch compute environment): the
    templates it uses need no instance profile of their own. ``launch_templates`` holds
    its references to them (id, name or Ref)."""

    launch_templates: tuple[Value, ...] = ()


@fast_pickle
@dataclass(frozen=True, slots=True)
class InstanceProfile(Node):
    """An instance profile and the roles it holds."""

    name: Value | None = None
    roles: tuple[Value, ...] = ()


@fast_pickle
@dataclass(frozen=True, slots=True)
class InlinePolicy:
    """A policy embedded in a role (inline_policy block, CloudFormation Policies)."""

    name: Value | None
    document: Document
    span: Span


@fast_pickle
@dataclass(frozen=True, slots=True)
class Role(Node):
    """``permissions_boundary`` is the managed policy ARN (or reference) set as the
    role's permissions boundary; None when the role has none."""

    name: Value | None = None
    trust_policy: Document | None = None
    inline_policies: tuple[InlinePolicy, ...] = ()
    managed_policy_arns: tuple[Value, ...] = ()
    permissions_boundary: Value | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class ManagedPolicy(Node):
    """A customer-managed policy (aws_iam_policy, AWS::IAM::ManagedPolicy)."""

    name: Value | None = None
    document: Document | None = None
    roles: tuple[Value, ...] = ()
    users: tuple[Value, ...] = ()
    groups: tuple[Value, ...] = ()


_AWS_MANAGED_ARN = re.compile(r"arn:(?:\$\{AWS::Partition\}|[^:]*):iam::aws:policy(/.+)")


@fast_pickle
@dataclass(frozen=True, slots=True)
class AwsManagedPolicy(ManagedPolicy):
    """An AWS managed policy referenced by ARN (``arn:aws:iam::aws:policy/...``), its
    document taken from iamlint's offline snapshot. Added by
    :func:`iamlint.knowledge.enrich_graph`; its spans are those of the first reference.
    ``arn`` is the ARN as first written; ``roles`` stays empty (attachments live on the
    role's ``managed_policy_arns`` and on PolicyAttachment nodes)."""

    arn: str = ""

    @staticmethod
    def key_of(arn: object) -> str | None:
        """The path and name of an AWS managed policy ARN, whatever its partition
        (``/service-role/AmazonEC2RoleforSSM``); None for any other text."""
        if not isinstance(arn, str):
            return None
        match = _AWS_MANAGED_ARN.fullmatch(arn)
        return match.group(1) if match else None


@fast_pickle
@dataclass(frozen=True, slots=True)
class RolePolicy(Node):
    """A policy document attached to roles, users or groups by a separate resource
    (aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, AWS::IAM::Policy,
    AWS::IAM::RolePolicy, AWS::IAM::UserPolicy, AWS::IAM::GroupPolicy)."""

    document: Document | None = None
    roles: tuple[Value, ...] = ()
    users: tuple[Value, ...] = ()
    groups: tuple[Value, ...] = ()


@fast_pickle
@dataclass(frozen=True, slots=True)
class PolicyAttachment(Node):
    """Attaches managed policies (by ARN) to roles, users or groups
    (aws_iam_role_policy_attachment, aws_iam_user_policy_attachment, ...)."""

    policy_arns: tuple[Value, ...] = ()
    roles: tuple[Value, ...] = ()
    users: tuple[Value, ...] = ()
    groups: tuple[Value, ...] = ()


@fast_pickle
@dataclass(frozen=True, slots=True)
class User(Node):
    """An IAM user (aws_iam_user, AWS::IAM::User): a principal with identity policies
    of its own and those of its groups. ``groups`` holds the groups it names itself
    (CloudFormation ``Groups``); memberships declared elsewhere are GroupMembership
    nodes. ``permissions_boundary`` as for a role."""

    name: Value | None = None
    inline_policies: tuple[InlinePolicy, ...] = ()
    managed_policy_arns: tuple[Value, ...] = ()
    permissions_boundary: Value | None = None
    groups: tuple[Value, ...] = ()


@fast_pickle
@dataclass(frozen=True, slots=True)
class Group(Node):
    """An IAM group (aws_iam_group, AWS::IAM::Group): its policies reach its users."""

    name: Value | None = None
    inline_policies: tuple[InlinePolicy, ...] = ()
    managed_policy_arns: tuple[Value, ...] = ()


@fast_pickle
@dataclass(frozen=True, slots=True)
class GroupMembership(Node):
    """Makes every one of ``users`` a member of every one of ``groups``
    (aws_iam_group_membership, aws_iam_user_group_membership,
    AWS::IAM::UserToGroupAddition)."""

    users: tuple[Value, ...] = ()
    groups: tuple[Value, ...] = ()


Identity = Union[Role, User, Group]
"""A node identity policies reach (an IAM principal of the account)."""


N = TypeVar("N", bound=Node)


class Graph:
    """All nodes of one unit: a Terraform root module (with its child modules) or a template.

    Lookups by address and by node class are indexed; ``memo`` holds derived query
    results (see :mod:`iamlint.model.links`) and is emptied whenever a node is added.

    ``stand_ins`` maps the address of a stand-in for the instances of a resource or
    module call beyond the ones judged one by one (``aws_instance.web[*]``,
    ``module.app[*]``: Terraform ``--max-instances``) to (how many instances it stands
    for, how many were judged one by one); the nodes at or below it are judged once for
    all of them.

    ``constructs`` maps an address to the place in the user's code that generated it,
    when the code was synthesised (an AWS CDK construct path, ``Stack/Bucket/Resource``,
    from the resource's ``aws:cdk:path`` metadata): findings name it."""

    # __weakref__: memoised analyses refer to their graph weakly (no cycle through memo)
    __slots__ = ("nodes", "partition", "stand_ins", "constructs", "searched", "_by_address", "_by_type", "memo",
                 "__weakref__")

    def __init__(self, nodes: list[Node] | None = None, partition: str = "aws",
                 stand_ins: dict[str, tuple[int, int]] | None = None, constructs: dict[str, str] | None = None) -> None:
        self.nodes: list[Node] = []
        self.partition = partition
        self.stand_ins: dict[str, tuple[int, int]] = dict(stand_ins or {})
        self.constructs: dict[str, str] = dict(constructs or {})
        # what else names the code does not define were looked up in ("the account
        # snapshot", with --account): resolution failures say so; never cached
        self.searched = ""
        self._by_address: dict[str, Node] = {}
        self._by_type: dict[type, list[Node]] = {}
        self.memo: dict[str, object] = {}
        for node in nodes or ():
            self.add(node)

    def add(self, node: Node) -> None:
        self.nodes.append(node)
        self._by_address.setdefault(node.address, node)
        if self._by_type:
            self._by_type = {}
        if self.memo:
            self.memo = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the indexes and memo (the cache stores graphs)."""
        return {"nodes": self.nodes, "partition": self.partition, "stand_ins": self.stand_ins,
                "constructs": self.constructs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["nodes"], state["partition"], state.get("stand_ins"),  # type: ignore[misc]
                      state.get("constructs"))

    def stand_in_of(self, address: str) -> list[tuple[str, int, int]]:
        """The stand-ins ``address`` is, or lies below: (stand-in address, instances it
        stands for, instances judged one by one), outermost first."""
        if "[*]" not in address or not self.stand_ins:
            return []
        return [(key, *self.stand_ins[key]) for key in sorted(self.stand_ins, key=len)
                if address == key or address.startswith(key + ".")]

    def of_type(self, kind: type[N]) -> Iterator[N]:
        found = self._by_type.get(kind)
        if found is None:
            found = self._by_type[kind] = [node for node in self.nodes if isinstance(node, kind)]
        return iter(found)  # type: ignore[arg-type]

    def by_address(self, address: str) -> Node | None:
        return self._by_address.get(address)
