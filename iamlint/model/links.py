"""Graph queries: follow compute -> instance profile -> role -> policies.

Resolution is three-valued: a reference resolves to a node, or it is unresolved with
the reason (an Unknown value, or a name that no node of the scanned code carries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, TypeVar, Union, cast

from iamlint.model.graph import (
    AttrPath,
    AwsManagedPolicy,
    Compute,
    Graph,
    Group,
    GroupMembership,
    Identity,
    InstanceProfile,
    ManagedPolicy,
    Node,
    PolicyAttachment,
    Role,
    RolePolicy,
    User,
)
from iamlint.model.policy import Document
from iamlint.model.values import Alternatives, Imported, Known, Ref, Unknown, Value, is_absent

N = TypeVar("N", bound=Node)
Holder = Union[RolePolicy, ManagedPolicy, PolicyAttachment]  # a node attaching policies to roles


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of following one reference: ``node`` or ``reason`` is set."""

    value: Value
    node: Node | None = None
    reason: str | None = None

    @property
    def resolved(self) -> bool:
        return self.node is not None


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    """A policy document that reaches a role, and where it was attached.

    ``source`` is the node holding the attachment and ``path`` the attribute path to it
    inside that node (for the locator); ``document`` is None for a managed policy that
    could not be resolved (``reason`` says why)."""

    source: Node
    path: AttrPath
    document: Document | None
    arn: Value | None = None
    reason: str | None = None


def resolve(graph: Graph, value: Value, kind: type[N], what: str) -> Resolution:
    """Follow ``value`` (a Ref, a name or an ARN) to a node of ``kind``."""
    if isinstance(value, Ref):
        node = graph.by_address(value.address)
        if isinstance(node, kind):
            return Resolution(value, node=node)
        if node is None:
            return _resolve_instance(graph, value, kind)
        return Resolution(value, reason=value.reason)
    if isinstance(value, Imported):
        exported = exported_value(graph, value.export)
        if exported is None:
            return Resolution(value, reason=value.reason)
        found = resolve(graph, exported, kind, what)
        return Resolution(value, node=found.node, reason=found.reason)
    if isinstance(value, Unknown):
        return Resolution(value, reason=value.reason)
    text = value.value if isinstance(value, Known) else None
    if not isinstance(text, str) or not text:
        return Resolution(value, reason=f"the {what} is not a name")
    name = _name_from_arn(text)
    aws_key = AwsManagedPolicy.key_of(text)
    for node in graph.of_type(kind):
        if aws_key is not None or isinstance(node, AwsManagedPolicy):
            # AWS managed ARNs match AWS managed nodes only, on path and name.
            if isinstance(node, AwsManagedPolicy) and AwsManagedPolicy.key_of(node.arn) == aws_key:
                return Resolution(value, node=node)
            continue
        node_name = getattr(node, "name", None)
        if isinstance(node_name, Known) and node_name.value == name:
            return Resolution(value, node=node)
    searched = f" and is not in {graph.searched}" if graph.searched else ""
    return Resolution(value, reason=f"{what} {text!r} is not defined in the scanned code{searched}")


EXPORT = "AWS::CloudFormation::Export"  # an account snapshot's export (aws cloudformation list-exports)


def exports_named(graph: Graph, name: str) -> list[Node]:
    """The export nodes of the graph named ``name``."""
    return [node for node in graph.nodes if node.type == EXPORT and _plain(node.attributes.get("name")) == name]


def exported_value(graph: Graph, name: str) -> Value | None:
    """The value of the one export named ``name`` in the graph (None: none, or several:
    an ambiguous name is never guessed)."""
    found = exports_named(graph, name)
    return found[0].attributes.get("value") if len(found) == 1 else None


def _plain(value: Value | None) -> object:
    return value.value if isinstance(value, Known) else None


def _resolve_instance(graph: Graph, value: Ref, kind: type[N]) -> Resolution:
    """A Ref whose address names no node: a resource with count/for_each referenced
    without its index (``aws_iam_role.r`` for ``aws_iam_role.r[0]``), or an indexed
    reference to a resource whose instances could not be expanded (one node, no index)."""
    address = value.address
    if address.endswith("]") and "[" in address:
        node = graph.by_address(address[: address.rindex("[")])
        if isinstance(node, kind):
            return Resolution(value, node=node)
    instances = [n for n in graph.of_type(kind) if n.address.startswith(address + "[")]
    if len(instances) == 1:
        return Resolution(value, node=instances[0])
    if instances:
        return Resolution(value, reason=f"{address} has {len(instances)} instances and which one is meant "
                                        "cannot be evaluated")
    return Resolution(value, reason=value.reason)


def _name_from_arn(text: str) -> str:
    if text.startswith("arn:"):
        return text.rsplit("/", 1)[-1]
    return text


def profile_of(graph: Graph, compute: Compute) -> Resolution | None:
    """The instance profile of a compute node; None when it has none at all. A profile
    chosen by an undecidable condition (:class:`Alternatives`) whose branches all name
    the same profile or none is that profile (the branches without one are EC2001's);
    with no branch naming one, there is none."""
    profile = compute.profile
    if isinstance(profile, Alternatives):
        present = [value for _, value in profile.branches if not is_absent(value)]
        if not present:
            return None
        if len(present) == 1 or all(_same(value, present[0]) for value in present):
            profile = present[0]
    if profile is None or is_absent(profile):
        return None
    return resolve(graph, profile, InstanceProfile, "instance profile")


def absent_branches(value: Value | None) -> list[tuple[int, str, Value]]:
    """The branches of a value chosen by an undecidable condition that remove it
    (``AWS::NoValue``, null, ""): (index, condition, value)."""
    if not isinstance(value, Alternatives):
        return []
    return [(index, condition, branch) for index, (condition, branch) in enumerate(value.branches)
            if is_absent(branch)]


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, Ref) and isinstance(b, Ref):
        return (a.address, a.attribute) == (b.address, b.attribute)
    return isinstance(a, Known) and isinstance(b, Known) and a.value == b.value


def roles_of(graph: Graph, profile: InstanceProfile) -> list[Resolution]:
    return [resolve(graph, value, Role, "role") for value in profile.roles if not is_absent(value)]


def policies_of(graph: Graph, role: Identity) -> Iterator[AttachedPolicy]:
    """Every identity policy attached to ``role`` (a role, a user or a group) itself:
    inline, separate role/user/group policies, customer-managed policies and managed
    ARNs (resolved or with the reason why not). A user's groups' policies are not
    included: :func:`groups_of` names them."""
    for index, inline in enumerate(role.inline_policies):
        yield AttachedPolicy(role, ("inline_policies", index, "document"), inline.document)
    for index, arn in enumerate(role.managed_policy_arns):
        yield _managed(graph, role, ("managed_policy_arns", index), arn)
    for node in _attached_to(graph).get(role.address, ()):
        if isinstance(node, PolicyAttachment):
            for index, arn in enumerate(node.policy_arns):
                yield _managed(graph, node, ("policy_arns", index), arn)
        else:
            yield AttachedPolicy(node, ("document",), node.document)


def _attached_to(graph: Graph) -> dict[str, list[Holder]]:
    """Role, user or group address -> the policies, managed policies and attachments
    naming it (in graph order, each once); computed once per graph."""
    # graph.memo holds one entry per query, each of the type its query stores
    index = cast("dict[str, list[Holder]] | None", graph.memo.get("attached_to"))
    if index is None:
        index = {}
        for node in graph.nodes:
            if isinstance(node, (RolePolicy, ManagedPolicy, PolicyAttachment)):
                for found in targets_of(graph, node):
                    holders = index.setdefault(found.address, [])
                    if not holders or holders[-1] is not node:
                        holders.append(node)
        graph.memo["attached_to"] = index
    return index


_TARGETS: tuple[tuple[str, type[Node], str], ...] = (("roles", Role, "role"), ("users", User, "user"),
                                                     ("groups", Group, "group"))


def targets_of(graph: Graph, holder: Node) -> list[Identity]:
    """The roles, users and groups of the scanned code that a policy, managed policy or
    attachment (``holder``) names, in that order."""
    found: list[Identity] = []
    for field, kind, what in _TARGETS:
        for value in getattr(holder, field, ()):
            node = resolve(graph, value, kind, what).node
            if isinstance(node, (Role, User, Group)):
                found.append(node)
    return found


def managed_attachments(graph: Graph) -> Iterator[tuple[Node, AttrPath, Value, list[Identity]]]:
    """Every attachment of a managed policy by ARN: (node, path to the ARN, ARN value,
    the roles, users and groups of the scanned code it attaches it to) -- a role's, user's
    or group's own ``managed_policy_arns`` and attachment resources."""
    for node in graph.nodes:
        if isinstance(node, (Role, User, Group)):
            for index, value in enumerate(node.managed_policy_arns):
                yield node, ("managed_policy_arns", index), value, [node]
        elif isinstance(node, PolicyAttachment):
            targets = targets_of(graph, node)
            for index, value in enumerate(node.policy_arns):
                yield node, ("policy_arns", index), value, targets


def groups_of(graph: Graph, user: User) -> list[Group]:
    """The groups of the scanned code ``user`` is a member of: those it names
    (CloudFormation ``Groups``) and those of the memberships naming it, each once."""
    index = cast("dict[str, list[Group]] | None", graph.memo.get("groups_of"))
    if index is None:
        index = {}
        for node in graph.nodes:
            if isinstance(node, User):
                _add_members(graph, index, [node], node.groups)
            elif isinstance(node, GroupMembership):
                members = [m for m in (resolve(graph, v, User, "user").node for v in node.users) if isinstance(m, User)]
                _add_members(graph, index, members, node.groups)
        graph.memo["groups_of"] = index
    return list(index.get(user.address, ()))


def _add_members(graph: Graph, index: dict[str, list[Group]], users: list[User], groups: tuple[Value, ...]) -> None:
    for value in groups:
        group = resolve(graph, value, Group, "group").node
        if not isinstance(group, Group):
            continue
        for user in users:
            entries = index.setdefault(user.address, [])
            if group not in entries:
                entries.append(group)


def _managed(graph: Graph, source: Node, path: AttrPath, arn: Value) -> AttachedPolicy:
    found = resolve(graph, arn, ManagedPolicy, "managed policy")
    if isinstance(found.node, ManagedPolicy):
        return AttachedPolicy(source, path, found.node.document, arn=arn)
    return AttachedPolicy(source, path, None, arn=arn, reason=found.reason)


def instance_roles(graph: Graph) -> dict[str, list[Compute]]:
    """Role address -> the compute nodes whose instance profile resolves to that role."""
    return {address: list(computes) for address, computes in _instance_roles(graph).items()}


def _instance_roles(graph: Graph) -> dict[str, list[Compute]]:
    """:func:`instance_roles`, memoised and shared (callers here do not change it; the
    public function copies it, once per call)."""
    users = cast("dict[str, list[Compute]] | None", graph.memo.get("instance_roles"))
    if users is None:
        users = {}
        for compute in graph.of_type(Compute):
            profile = profile_of(graph, compute)
            if profile is None or not isinstance(profile.node, InstanceProfile):
                continue
            for found in roles_of(graph, profile.node):
                if found.node is not None:
                    users.setdefault(found.node.address, []).append(compute)
        graph.memo["instance_roles"] = users
    return users


def profiles_using(graph: Graph, role: Role) -> list[InstanceProfile]:
    """The instance profiles whose roles include ``role``."""
    index = cast("dict[str, list[InstanceProfile]] | None", graph.memo.get("profiles_using"))
    if index is None:
        index = {}
        for profile in graph.of_type(InstanceProfile):
            for found in roles_of(graph, profile):
                if found.node is not None:
                    holders = index.setdefault(found.node.address, [])
                    if profile not in holders:
                        holders.append(profile)
        graph.memo["profiles_using"] = index
    return list(index.get(role.address, ()))


def written_policies(graph: Graph, trust: bool = False) -> Iterator[tuple[Node, AttrPath, Document]]:
    """Every policy document written in the scanned code, once, where it is written:
    inline policies of roles, users and groups, role/user/group policies and customer-managed policies (and, with
    ``trust``, roles' trust policies), as (node, path to the document, document).
    AWS managed policies are not written here and are left out."""
    for node in graph.nodes:
        if isinstance(node, (Role, User, Group)):
            if trust and isinstance(node, Role) and node.trust_policy is not None:
                yield node, ("trust_policy",), node.trust_policy
            for index, inline in enumerate(node.inline_policies):
                yield node, ("inline_policies", index, "document"), inline.document
        elif isinstance(node, (RolePolicy, ManagedPolicy)) and not isinstance(node, AwsManagedPolicy):
            if node.document is not None:
                yield node, ("document",), node.document


def is_instance_role(graph: Graph, role: Role) -> bool:
    """Whether an EC2 instance uses ``role``, or an instance profile wraps it."""
    return role.address in _instance_roles(graph) or bool(profiles_using(graph, role))


def instance_roles_reached(graph: Graph) -> dict[int, list[Role]]:
    """id() of every policy document that reaches an instance role -> those roles."""
    reach = cast("dict[int, list[Role]] | None", graph.memo.get("instance_roles_reached"))
    if reach is None:
        reach = {}
        for role in graph.of_type(Role):
            if not is_instance_role(graph, role):
                continue
            for attached in policies_of(graph, role):
                if attached.document is not None:
                    roles = reach.setdefault(id(attached.document), [])
                    if role not in roles:
                        roles.append(role)
        graph.memo["instance_roles_reached"] = reach
    return reach
