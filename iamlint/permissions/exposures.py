"""Per statement (or per AWS managed policy attachment), the sensitive actions (data
exfiltration, credentials exposure: IAM008) and the Write, Permissions management and
Tagging actions (IAM007) it allows on every resource although they can be scoped.

A wildcard grant is never examined action by action (IAM002/IAM003 report it and name
what it includes); an action that an IAM006 finding reports for a statement is not
reported again for it, and a sensitive action is IAM008's, not IAM007's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from iamlint.knowledge.risks import risk_catalogue  # reads no data on import (memoised loader)
from iamlint.model.graph import AwsManagedPolicy, Graph, ManagedPolicy, Node, PolicyAttachment, Role
from iamlint.model.links import resolve, written_policies
from iamlint.model.values import Known
from iamlint.permissions.arns import ALL
from iamlint.permissions.categories import CATEGORIES, SENSITIVE, UNSCOPED, actions_of, categories_of, grant_key, scopable
from iamlint.permissions.grants import Grant, Origin, graph_grants
from iamlint.permissions.principal import PermissionSet, deny_covers

if TYPE_CHECKING:  # the catalogue module is read when a rule first needs it, not at import
    from iamlint.knowledge.catalog import ActionInfo


@dataclass(frozen=True, slots=True)
class Exposure:
    """Actions a statement (or an AWS managed policy attachment) allows on every resource:
    ``kind`` is SENSITIVE (IAM008) or UNSCOPED (IAM007); ``actions`` (name, grant) pairs."""

    kind: str
    origin: Origin
    actions: tuple[tuple[ActionInfo, Grant], ...]
    principals: tuple[Node, ...]
    boundary_notes: tuple[str, ...] = ()

    @property
    def categories(self) -> tuple[str, ...]:
        found = {c for info, _ in self.actions for c in categories_of(info, self.kind)}
        return tuple(c for c in CATEGORIES if c in found)

    def by_category(self) -> dict[str, list[str]]:
        """Category -> the actions of this exposure in it (an action may be in two)."""
        groups: dict[str, list[str]] = {}
        for info, _ in self.actions:
            for category in categories_of(info, self.kind):
                groups.setdefault(category, []).append(info.full_name)
        return {c: groups[c] for c in CATEGORIES if c in groups}

    @property
    def condition_keys(self) -> tuple[str, ...]:
        grants = {id(g): g for _, g in self.actions}.values()
        if not all(g.conditioned for g in grants):
            return ()
        return tuple(dict.fromkeys(k for g in grants for k in g.condition_keys))


@dataclass(slots=True)
class _Site:
    """One place whose statements IAM007/IAM008 judge: a written document, or an AWS
    managed policy where it is attached (judged as a whole, located at the attachment)."""

    grants: list[Grant]
    principals: list[PermissionSet]


def _sites(graph: Graph, sets: list[PermissionSet]) -> Iterator[_Site]:
    reach: dict[tuple, list[PermissionSet]] = {}
    for permissions in sets:
        for ref in permissions.policies:
            if ref.holder is None:
                continue
            key = _site_key(ref.holder, ref.document_path, ref.site, ref.site_path)
            holders = reach.setdefault(key, [])
            if permissions not in holders:
                holders.append(permissions)
    for node, path, document in written_policies(graph):
        grants = list(graph_grants(graph, document, node, path, node, path))
        yield _Site(grants, reach.get(_site_key(node, path, node, path), []))
    for site, site_path, policy in _aws_attachments(graph):
        grants = list(graph_grants(graph, policy.document, policy, ("document",), site, site_path))
        yield _Site(grants, reach.get(_site_key(policy, ("document",), site, site_path), []))


def _site_key(holder: Node, document_path: tuple, site: Node, site_path: tuple) -> tuple:
    if isinstance(holder, AwsManagedPolicy):
        return (site.address, site_path)
    return (holder.address, document_path)


def _aws_attachments(graph: Graph) -> Iterator[tuple[Node, tuple, AwsManagedPolicy]]:
    for node in graph.nodes:
        if isinstance(node, Role):
            values = [(("managed_policy_arns", i), v) for i, v in enumerate(node.managed_policy_arns)]
        elif isinstance(node, PolicyAttachment):
            values = [(("policy_arns", i), v) for i, v in enumerate(node.policy_arns)]
        else:
            continue
        for path, value in values:
            if isinstance(value, Known) and AwsManagedPolicy.key_of(value.value):
                found = resolve(graph, value, ManagedPolicy, "managed policy").node
                if isinstance(found, AwsManagedPolicy):
                    yield node, path, found


def exposures(graph: Graph, sets: list[PermissionSet], claimed: set[tuple]) -> Iterator[Exposure]:
    """Per site, the sensitive (IAM008) and unscoped (IAM007) actions allowed on every
    resource; ``claimed``: (statement, action) pairs an IAM006 finding reports."""
    for site in _sites(graph, sets):
        aws = bool(site.grants) and site.grants[0].origin.aws_managed
        found = _site_actions(site, claimed, aws)
        if found is None:
            continue  # IAM003 reports the attachment and names what the policy includes
        notes = tuple(dict.fromkeys(p.boundary_note for p in site.principals if p.boundary_note))
        for (kind, _), items in found.items():
            yield Exposure(kind, items[0][1].origin, tuple(items), tuple(p.principal for p in site.principals), notes)


def _site_actions(site: _Site, claimed: set[tuple], aws: bool) -> dict[tuple, list[tuple[ActionInfo, Grant]]] | None:
    """(kind, statement) -> the exposed actions of one site (one entry per kind for an AWS
    managed policy, judged as a whole); None for an AWS managed policy that grants a wildcard."""
    denies = [g for g in site.grants if not g.allow]
    wildcards: dict[tuple, list[Grant]] = {}
    for grant in site.grants:
        if grant.allow and grant.wildcard:
            wildcards.setdefault(grant.origin.key, []).append(grant)
    if aws and any(g.allow and g.wildcard for g in site.grants):
        return None
    found: dict[tuple, list[tuple[ActionInfo, Grant]]] = {}
    for grant in site.grants:
        if not grant.allow or grant.wildcard:
            continue
        for info in actions_of(grant.pattern):
            kind = _kind(info)
            if kind is None or not _exposed(grant, info, claimed, wildcards, site.principals, denies):
                continue
            where = (kind, "site") if aws else (kind, grant.origin.key)
            items = found.setdefault(where, [])
            if all(existing.full_name != info.full_name for existing, _ in items):
                items.append((info, grant))
    return found


def _exposed(grant: Grant, info: ActionInfo, claimed: set[tuple], wildcards: dict[tuple, list[Grant]],
             holders: list[PermissionSet], denies: list[Grant]) -> bool:
    """Whether ``grant`` leaves ``info`` allowed on every resource, for this rule pair to
    report: not claimed by IAM006, not given by the statement's wildcard too (IAM002/IAM003
    report that), and not removed by a Deny or a boundary."""
    if (grant.origin.key, info.full_name.lower()) in claimed:
        return False
    if any(w.matches(info.full_name) for w in wildcards.get(grant.origin.key, ())):
        return False
    if grant.scope(info.service, info.types) != ALL:
        return False
    return _still_allowed(grant, info.full_name, holders, denies)


# id(info) -> (info, its kind): the same catalogue actions (those of an AWS managed policy
# attached in every module) are judged in every graph; the info is kept, so its id stays
_KINDS: dict[int, tuple[ActionInfo, str | None]] = {}


def _kind(info: ActionInfo) -> str | None:
    found = _KINDS.get(id(info))
    if found is not None and found[0] is info:
        return found[1]
    if len(_KINDS) > 50_000:
        _KINDS.clear()
    kind = _KINDS[id(info)] = (info, _judged(info))
    return kind[1]


def _judged(info: ActionInfo) -> str | None:
    if not scopable(info):
        return None
    if risk_catalogue().category_of(info.full_name):
        return SENSITIVE
    if any(level in info.levels for level in "WPT"):
        return UNSCOPED
    return None


def _still_allowed(grant: Grant, action: str, holders: list[PermissionSet], denies: list[Grant]) -> bool:
    """Not removed by an explicit Deny or a boundary for at least one principal it
    reaches (for a policy attached to nothing: not denied by its own document)."""
    if not holders:
        return not any(deny_covers(deny, grant, action) for deny in denies)
    for permissions in holders:
        own = permissions.own(grant_key(grant))
        if own is not None and permissions.effective(own, action) == ALL:
            return True
    return False
