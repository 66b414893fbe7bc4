"""Effective permissions of one principal: every policy that reaches it, explicit Deny
subtracting what it fully covers, the permissions boundary intersecting when it is known.

The principals are roles, users and groups (inline policies, separate policies,
customer-managed and AWS managed policies, attached by the principal or by attachment
resources); a user's permissions include those of its groups. Each node type has its
source of attached policies in ``_SOURCES``.
Built once per principal and graph (``graph.memo``); answers per action are memoised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, cast

from iamlint.model.graph import AwsManagedPolicy, Graph, Group, ManagedPolicy, Node, Role, User
from iamlint.model.links import groups_of, policies_of, resolve
from iamlint.model.policy import PolicyDocument
from iamlint.model.values import Known
from iamlint.permissions.arns import ALL, SOME, UNKNOWN, action_info, covers_pattern
from iamlint.permissions.grants import Grant, graph_grants

RANK = {ALL: 3, SOME: 2, UNKNOWN: 1}


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """One policy reaching the principal: where its document lives (``holder``,
    ``document_path``; None when it could not be resolved, then ``reason`` says why) and
    where it is attached (``site``, ``site_path``)."""

    site: Node
    site_path: tuple
    holder: Node | None
    document_path: tuple = ("document",)
    reason: str | None = None


@dataclass(slots=True)
class Boundary:
    """A permissions boundary: its grants when its document is known, else ``reason``."""

    site_path: tuple
    label: str
    allows: list[Grant] = field(default_factory=list)
    denies: list[Grant] = field(default_factory=list)
    reason: str | None = None

    def scope_for(self, action: str, service: str, types: str) -> str | None:
        """The widest scope the boundary allows ``action`` on (ALL, SOME, UNKNOWN), or
        None when it does not allow it at all."""
        best = None
        for grant in self.allows:
            if grant.matches(action):
                found = grant.scope(service, types)
                if found in RANK and (best is None or RANK[found] > RANK[best]):
                    best = found
        return best


@dataclass(slots=True)
class PermissionSet:
    """What one principal may do: its Allow grants and Deny grants (with provenance), its
    permissions boundary, and the policies that could not be read."""

    principal: Node
    policies: list[PolicyRef] = field(default_factory=list)
    allows: list[Grant] = field(default_factory=list)
    denies: list[Grant] = field(default_factory=list)
    boundary: Boundary | None = None
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def unreadable(self) -> list[PolicyRef]:
        return [ref for ref in self.policies if ref.holder is None]

    @property
    def boundary_note(self) -> str | None:
        """"the permissions boundary ... could not be read (why)" when it applies."""
        if self.boundary is not None and self.boundary.reason is not None:
            return f"the permissions boundary {self.boundary.label} could not be read ({self.boundary.reason})"
        return None

    def effective(self, grant: Grant, action: str) -> str | None:
        """The scope (ALL, SOME, UNKNOWN) on which ``grant`` (one of this principal's Allow
        grants) still allows ``action`` after explicit Deny and the boundary; None when a
        Deny covers it or the boundary excludes it."""
        key = (id(grant), action.lower())
        if key not in self._memo:
            self._memo[key] = self._effective(grant, action)
        return self._memo[key]

    def _effective(self, grant: Grant, action: str) -> str | None:
        info = action_info(action)
        service, types = (info.service, info.types) if info else (action.partition(":")[0].lower(), "")
        own = grant.scope(service, types)
        denies = self.denies + (self.boundary.denies if self.boundary else [])
        if any(deny_covers(deny, grant, action) for deny in denies):
            return None
        if self.boundary is None or self.boundary.reason is not None:
            return own
        allowed = self.boundary.scope_for(action, service, types)
        if allowed is None:
            return None
        return own if RANK.get(allowed, 0) >= RANK.get(own, 0) else allowed

    def own(self, key: tuple) -> Grant | None:
        """This principal's Allow grant with the identity ``key`` (see categories.grant_key)."""
        index = self._memo.get("own")
        if index is None:
            index = self._memo["own"] = {(g.origin.key, g.action_index): g for g in self.allows}
        return index.get(key)

    def allowing(self, action: str) -> list[Grant]:
        """Allow grants that still give ``action`` on every resource it can name."""
        key = ("allowing", action.lower())
        if key not in self._memo:
            candidates = self._by_service().get(action.partition(":")[0].lower(), []) + self._memo["any service"]
            self._memo[key] = [g for g in candidates if g.matches(action) and self.effective(g, action) == ALL]
        return self._memo[key]

    def services(self) -> set[str] | None:
        """The services some Allow grant names; None when a grant may name any service."""
        index = self._by_service()
        return None if self._memo["any service"] else set(index)

    def _by_service(self) -> dict[str, list[Grant]]:
        """Allow grants by the service their pattern names ("any service": "*", NotAction,
        a wildcard in the service part)."""
        index = self._memo.get("by service")
        if index is None:
            index, anywhere = {}, []
            for grant in self.allows:
                service = grant.pattern.partition(":")[0].lower()
                if grant.action_index is None or "*" in service or "?" in service or ":" not in grant.pattern:
                    anywhere.append(grant)
                else:
                    index.setdefault(service, []).append(grant)
            self._memo["by service"], self._memo["any service"] = index, anywhere
        return index


def deny_covers(deny: Grant, grant: Grant, action: str) -> bool:
    """An explicit Deny subtracts what it fully covers: the action, every resource of the
    grant, and no condition."""
    if deny.conditioned or deny.not_resource or (deny.unknown_resources and "*" not in deny.resources):
        return False
    if not deny.matches(action):
        return False
    if "*" in deny.resources:
        return True
    if grant.not_resource or grant.unknown_resources or not grant.resources:
        return False
    return all(any(covers_pattern(outer, inner) for outer in deny.resources) for inner in grant.resources)


def effective_permissions(graph: Graph, principal: Node) -> PermissionSet:
    """The permission set of a principal (memoised per graph)."""
    # graph.memo holds one entry per query, each of the type its query stores
    cache = cast("dict[str, PermissionSet]", graph.memo.setdefault("permissions.sets", {}))
    found = cache.get(principal.address)
    if found is None or found.principal is not principal:
        found = cache[principal.address] = _build(graph, principal)
    return found


def principals(graph: Graph) -> Iterator[Node]:
    """Every principal whose permissions the graph holds: roles, users, groups."""
    for kind in _SOURCES:
        yield from graph.of_type(kind)


def _build(graph: Graph, principal: Node) -> PermissionSet:
    result = PermissionSet(principal)
    source = next((fn for kind, fn in _SOURCES.items() if isinstance(principal, kind)), None)
    for ref in source(graph, principal) if source else ():
        result.policies.append(ref)
        if ref.holder is None:
            continue
        document = _document(ref.holder, ref.document_path)
        for grant in graph_grants(graph, document, ref.holder, ref.document_path, ref.site, ref.site_path):
            (result.allows if grant.allow else result.denies).append(grant)
    if isinstance(principal, (Role, User)) and principal.permissions_boundary is not None:
        result.boundary = _boundary(graph, principal)
    return result


def _document(holder: Node, path: tuple) -> object:
    current: object = holder
    for step in path:
        current = current[step] if isinstance(step, int) else getattr(current, step, None)  # type: ignore[index]
        if current is None:
            return None
    return current


def _role_policies(graph: Graph, role: Node) -> Iterator[PolicyRef]:
    """The policies attached to a role, a user or a group itself."""
    assert isinstance(role, (Role, User, Group))
    for attached in policies_of(graph, role):
        path = attached.path
        if path[:1] == ("inline_policies",):
            yield PolicyRef(role, path, role, path)
        elif path == ("document",):
            yield PolicyRef(attached.source, path, attached.source, path)
        else:
            found = resolve(graph, attached.arn, ManagedPolicy, "managed policy") if attached.arn is not None else None
            if found is not None and isinstance(found.node, ManagedPolicy) and found.node.document is not None:
                yield PolicyRef(attached.source, path, found.node)
            else:
                yield PolicyRef(attached.source, path, None, reason=attached.reason or (found.reason if found else None))


def _user_policies(graph: Graph, user: Node) -> Iterator[PolicyRef]:
    """A user's own policies, then those of each of its groups."""
    assert isinstance(user, User)
    yield from _role_policies(graph, user)
    for group in groups_of(graph, user):
        yield from _role_policies(graph, group)


_SOURCES: dict[type, Callable[[Graph, Node], Iterator[PolicyRef]]] = {
    Role: _role_policies,
    User: _user_policies,
    Group: _role_policies,
}


def _boundary(graph: Graph, role: Role | User) -> Boundary:
    value = role.permissions_boundary
    label = value.value if isinstance(value, Known) and isinstance(value.value, str) else getattr(value, "address", "")
    boundary = Boundary(("permissions_boundary",), str(label or "of " + role.address))
    found = resolve(graph, value, ManagedPolicy, "managed policy")  # type: ignore[arg-type]
    node = found.node
    if not isinstance(node, ManagedPolicy):
        boundary.reason = found.reason or "it is not a managed policy of the scanned code"
        return boundary
    if isinstance(node, AwsManagedPolicy):
        boundary.label = node.name.value if isinstance(node.name, Known) else node.arn
    else:
        boundary.label = node.address
    if not isinstance(node.document, PolicyDocument):
        boundary.reason = getattr(node.document, "reason", "its document is not known")
        return boundary
    for grant in graph_grants(graph, node.document, node, ("document",), role, ("permissions_boundary",)):
        (boundary.allows if grant.allow else boundary.denies).append(grant)
    return boundary
