"""The access picture of each EC2 compute resource, as plain records the renderers print:
its chain (compute -> instance profile -> role -> policies, each link with file:line),
the role's effective permissions summarised by service and access level, and the risks
(privilege-escalation methods, categories with example actions).

Built from the same graph and effective-permissions model as the rules
(:mod:`iamlint.permissions`), so the picture and the findings never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from iamlint.knowledge import count_actions, expand_action
from iamlint.locate import locate
from iamlint.model.graph import (
    AwsManagedPolicy,
    Compute,
    Graph,
    InstanceProfile,
    LaunchingService,
    ManagedPolicy,
    Node,
    Resource,
    Role,
)
from iamlint.model.links import profile_of, roles_of
from iamlint.model.policy import PolicyDocument, Statement
from iamlint.model.values import Known, Ref, walk
from iamlint.permissions import (
    CATEGORIES,
    PermissionSet,
    PolicyRef,
    analyse,
    effective_permissions,
    wildcard_includes,
)

LEVELS = ("Permissions management", "Write", "Tagging", "Read", "List")
LETTERS = {"P": "Permissions management", "W": "Write", "T": "Tagging", "R": "Read", "L": "List"}
EXAMPLES = 3
ASG_TYPES = {"aws_autoscaling_group", "AWS::AutoScaling::AutoScalingGroup"}
COMPUTE_KINDS = {
    "aws_instance": "instance", "AWS::EC2::Instance": "instance",
    "aws_launch_template": "launch template", "AWS::EC2::LaunchTemplate": "launch template",
    "aws_launch_configuration": "launch configuration", "AWS::AutoScaling::LaunchConfiguration": "launch configuration",
    "aws_spot_instance_request": "spot request", "aws_spot_fleet_request": "spot fleet", "AWS::EC2::SpotFleet": "spot fleet",
}


@dataclass(frozen=True, slots=True)
class Link:
    """One link of a chain: what it is, its address and where it is written."""

    kind: str
    address: str
    path: str
    line: int
    column: int
    note: str = ""

    @classmethod
    def of(cls, kind: str, node: Node, path: tuple = (), note: str = "") -> Link:
        span = locate(node, path)
        return cls(kind, node.address, span.file, span.line, span.column, note)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class PermissionLine:
    """Actions of one service at one access level, on which resources."""

    service: str
    level: str
    count: int
    examples: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MethodRisk:
    """A privilege-escalation method a role's permissions allow, and the rule reporting it."""

    name: str
    id: str
    url: str
    actions: tuple[str, ...]
    reported_by: str  # IAM006, or IAM002/IAM003 when a reported wildcard gives it alone


@dataclass(slots=True)
class RoleAccess:
    """A role of a chain: its policies, boundary, effective permissions, risks and trust."""

    role: Link
    policies: list[Link] = field(default_factory=list)
    boundary: Link | None = None
    permissions: list[PermissionLine] = field(default_factory=list)
    methods: list[MethodRisk] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    granted: Granted | None = None  # action by action (compared by ``access --base``)
    trust: tuple[str, ...] = ()  # who may assume the role ("Service ec2.amazonaws.com", ...)


@dataclass(slots=True)
class ComputeAccess:
    """A compute resource, its instance profile and roles, or where the chain stops."""

    compute: Link
    used_by: list[Link] = field(default_factory=list)
    profile: Link | None = None
    roles: list[RoleAccess] = field(default_factory=list)
    unresolved: str = ""  # why the chain stops (no profile, a name not in the code, ...)
    fixes: list = field(default_factory=list)  # iamlint.access.fixes.FixLink: check's fixes on this chain


def pictures(graph: Graph) -> list[ComputeAccess]:
    """The access picture of every compute node of one graph, in graph order."""
    users = _users(graph)
    roles: dict[str, RoleAccess] = {}
    result = []
    for compute in graph.of_type(Compute):
        item = ComputeAccess(Link.of(_kind(compute), compute), used_by=users.get(compute.address, []))
        found = profile_of(graph, compute)
        if found is None:
            item.unresolved = "no instance profile"
        elif not isinstance(found.node, InstanceProfile):
            item.unresolved = f"the instance profile cannot be followed: {found.reason}"
        else:
            item.profile = Link.of("instance profile", found.node)
            for resolution in roles_of(graph, found.node):
                if isinstance(resolution.node, Role):
                    key = resolution.node.address
                    if key not in roles:
                        roles[key] = _role_access(graph, resolution.node)
                    item.roles.append(roles[key])
                else:
                    item.unresolved = f"a role of the profile cannot be followed: {resolution.reason}"
        result.append(item)
    return result


def _kind(compute: Compute) -> str:
    return COMPUTE_KINDS.get(compute.type, "launch template" if compute.template else "instance")


def _users(graph: Graph) -> dict[str, list[Link]]:
    """Compute address -> the auto scaling groups and services that launch from it."""
    users: dict[str, list[Link]] = {}
    addresses = {c.address for c in graph.of_type(Compute)}
    for node in graph.nodes:
        if isinstance(node, LaunchingService):
            values: Iterable = node.launch_templates
            kind = "launched by"
        elif isinstance(node, Resource) and node.type in ASG_TYPES:
            values = node.attributes.values()
            kind = "auto scaling group"
        else:
            continue
        targets = {item.address for value in values for item in walk(value) if isinstance(item, Ref)}
        for target in sorted(targets & addresses):
            users.setdefault(target, []).append(Link.of(kind, node))
    return users


def _role_access(graph: Graph, role: Role) -> RoleAccess:
    permissions = effective_permissions(graph, role)
    access = RoleAccess(Link.of("role", role))
    access.policies = [_policy_link(ref) for ref in permissions.policies]
    if permissions.boundary is not None:
        access.boundary = Link.of("permissions boundary", role, ("permissions_boundary",),
                                  permissions.boundary_note or permissions.boundary.label)
    access.granted = granted(permissions)
    access.permissions = summarise(permissions, access.granted)
    access.trust = trust_principals(role)
    _risks(graph, permissions, access)
    return access


def trust_principals(role: Role) -> tuple[str, ...]:
    """The principals the role's trust policy allows to assume it (``kind value``; an
    unknown one as ``kind (unknown: reason)``), sorted."""
    document = role.trust_policy
    if not isinstance(document, PolicyDocument):
        return (f"(unknown: {getattr(document, 'reason', 'no trust policy')})",) if document is not None else ()
    found = set()
    for statement in document.statements:
        if not isinstance(statement, Statement) or statement.is_allow is not True:
            continue
        for principal in statement.principals:
            value = principal.value
            text = value.value if isinstance(value, Known) else None
            found.add(f"{principal.kind} {text}" if isinstance(text, str) else
                      f"{principal.kind} (unknown: {getattr(value, 'reason', 'not a text')})")
    return tuple(sorted(found))


def _policy_link(ref: PolicyRef) -> Link:
    holder = ref.holder
    if holder is None:
        return Link.of("policy", ref.site, ref.site_path, f"cannot be read: {ref.reason}")
    if isinstance(holder, AwsManagedPolicy):
        name = holder.name.value if isinstance(holder.name, Known) else holder.arn
        return Link.of("AWS managed policy", ref.site, ref.site_path, str(name))
    if isinstance(holder, Role):
        inline = holder.inline_policies[ref.document_path[1]]
        name = inline.name.value if isinstance(inline.name, Known) and isinstance(inline.name.value, str) else ""
        return Link.of("inline policy", holder, ref.document_path, name)
    kind = "managed policy" if isinstance(holder, ManagedPolicy) else "role policy"
    attached = f"attached by {ref.site.address}" if ref.site is not holder else ""
    return Link.of(kind, holder, (), attached)


# ------------------------------------------------------------------ permissions


@dataclass(frozen=True, slots=True)
class Granted:
    """What a role may do, action by action (``iamlint access --base`` compares two):
    ``actions`` maps each allowed action (after explicit Deny and the boundary) to its
    access level and the resources it is allowed on; ``everything`` maps a grant of every
    action (``"*"``, ``NotAction``: "every action except ...") to its excluded patterns and
    resources."""

    actions: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    everything: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)


def granted(permissions: PermissionSet) -> Granted:
    """The effective Allow grants of ``permissions``, action by action."""
    actions: dict[str, tuple[str, set[str]]] = {}
    everything: dict[str, tuple[tuple[str, ...], set[str]]] = {}
    for grant in permissions.allows:
        resources = _resources(grant)
        if grant.action_index is None or grant.pattern.partition(":")[0] in ("*", "") or grant.pattern == "*":
            label = "every action" if grant.action_index is not None else f"every action except {', '.join(grant.excluded)}"
            everything.setdefault(label, (grant.excluded if grant.action_index is None else (), set()))[1].update(resources)
            continue
        for info in expand_action(grant.pattern) or ():
            if permissions.effective(grant, info.full_name) is None:
                continue  # an explicit Deny or the boundary removes it
            level = next(LETTERS[letter] for letter in "PWTRL" if letter in info.levels)
            actions.setdefault(info.full_name, (level, set()))[1].update(resources)
    return Granted({name: (level, frozenset(found)) for name, (level, found) in actions.items()},
                   {label: (excluded, frozenset(found)) for label, (excluded, found) in everything.items()})


def summarise(permissions: PermissionSet, found: Granted | None = None) -> list[PermissionLine]:
    """The effective Allow grants by service and access level: distinct actions, a few
    examples, and the resources they are granted on ("*" first)."""
    found = found if found is not None else granted(permissions)
    lines = [PermissionLine("*", label, count_actions("*") or 0, (), _ordered(set(resources)))
             for label, (_, resources) in found.everything.items()]
    grouped: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
    for name, (level, resources) in found.actions.items():
        grouped.setdefault((name.partition(":")[0], level), {})[name] = resources
    for (service, level), items in sorted(grouped.items(), key=lambda item: (item[0][0], LEVELS.index(item[0][1]))):
        names = sorted(items, key=lambda name: (len(name), name))
        lines.append(PermissionLine(service, level, len(items), tuple(names[:EXAMPLES]), _ordered(set().union(*items.values()))))
    return lines


def _resources(grant) -> set[str]:
    found = set(grant.resources)
    if grant.not_resource:
        found = {"* except " + ", ".join(grant.resources)}
    if grant.unknown_resources:
        found.add("(unknown)")
    return found


def _ordered(resources: set[str]) -> tuple[str, ...]:
    return tuple(sorted(resources, key=lambda text: (text != "*", text)))


# ------------------------------------------------------------------ risks


def _risks(graph: Graph, permissions: PermissionSet, access: RoleAccess) -> None:
    analysis = analyse(graph)
    role = permissions.principal
    for escalation in analysis.escalations_of(role):
        for method in escalation.methods:
            reported = "IAM002/IAM003" if escalation.absorbed else "IAM006"
            access.methods.append(MethodRisk(method.name, method.id, method.url, method.actions, reported))
        if escalation.methods:
            access.categories.setdefault("privilege-escalation", [])
    found: dict[str, set[str]] = {}
    for exposure in analysis.exposures:
        if any(p is role for p in exposure.principals):
            for category, names in exposure.by_category().items():
                found.setdefault(category, set()).update(names)
    includes = wildcard_includes(g for g in permissions.allows if g.wildcard)
    for category, examples in includes.examples.items():
        found.setdefault(category, set()).update(examples)
    if includes.methods:
        found.setdefault("privilege-escalation", set())
    for category in CATEGORIES:
        if category in found or category in access.categories:
            access.categories[category] = sorted(found.get(category, ()))

