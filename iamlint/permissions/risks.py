"""Risks of the effective permissions, computed once per graph and shared by the rules:

* privilege-escalation methods every action of which a principal is allowed on every
  resource the action can name (IAM006), with the grants giving each action;
* per statement (or per AWS managed policy attachment), the sensitive actions
  (data exfiltration, credentials exposure: IAM008) and the Write, Permissions management
  and Tagging actions (IAM007) it allows on every resource although they can be scoped;
* for a wildcard that IAM002 / IAM003 report, what it includes (their message and tags).

One root cause, one finding: a method a single ``"*"`` / ``"service:*"`` / ``NotAction``
grant gives entirely is *absorbed* by that wildcard's IAM002/IAM003 finding (so is a
method every action of which comes from some reported wildcard or AWS managed policy); wildcard
grants are never examined action by action; an action that an IAM006 finding reports
for a statement is not reported again for it by IAM007/IAM008, and a sensitive action is
IAM008's, not IAM007's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator

from iamlint.knowledge import expand_action
from iamlint.knowledge.risks import risk_catalogue  # reads no data on import (memoised loader)
from iamlint.model.graph import AwsManagedPolicy, Graph, ManagedPolicy, Node, PolicyAttachment, Role
from iamlint.model.links import is_instance_role, resolve, written_policies
from iamlint.model.values import Known
from iamlint.permissions.arns import ALL, action_info
from iamlint.permissions.grants import Grant, Origin, document_grants
from iamlint.permissions.principal import PermissionSet, deny_covers, effective_permissions, principals

if TYPE_CHECKING:  # the catalogue modules are read when a rule first needs them, not at import
    from iamlint.knowledge.catalog import ActionInfo
    from iamlint.knowledge.risks import Method

PRIVILEGE_ESCALATION = "privilege-escalation"
DATA_EXFILTRATION = "data-exfiltration"
CREDENTIALS_EXPOSURE = "credentials-exposure"
RESOURCE_EXPOSURE = "resource-exposure"
INFRASTRUCTURE_MODIFICATION = "infrastructure-modification"
CATEGORIES = (PRIVILEGE_ESCALATION, DATA_EXFILTRATION, CREDENTIALS_EXPOSURE, RESOURCE_EXPOSURE, INFRASTRUCTURE_MODIFICATION)
WORDS = {category: category.replace("-", " ") for category in CATEGORIES}
SENSITIVE = "sensitive-access"
UNSCOPED = "unscoped-write"


@dataclass(frozen=True, slots=True)
class Escalation:
    """Privilege-escalation methods that principals can carry out with the same grants
    (one root cause: one finding). ``steps`` holds, for each action the methods need, the
    grants that give it; ``absorbed`` when IAM002/IAM003 report a wildcard (or an AWS
    managed policy) that gives every step on its own."""

    methods: tuple[Method, ...]
    principals: tuple[Node, ...]
    steps: tuple[tuple[str, tuple[Grant, ...]], ...]
    absorbed: bool = False
    boundary_notes: tuple[str, ...] = ()

    @property
    def grants(self) -> list[Grant]:
        """Every contributing grant, once, in the order of the methods' actions."""
        seen: dict[tuple, Grant] = {}
        for _, grants in self.steps:
            for grant in grants:
                seen.setdefault(grant_key(grant), grant)
        return list(seen.values())

    @property
    def primary(self) -> Grant:
        return self.steps[0][1][0]

    @property
    def condition_keys(self) -> tuple[str, ...]:
        """Keys of the conditions on the grants (only when every grant of some step is
        conditioned: an unconditioned alternative makes the step unconditional)."""
        keys: list[str] = []
        for _, grants in self.steps:
            if all(g.conditioned for g in grants):
                keys.extend(k for g in grants for k in g.condition_keys)
        return tuple(dict.fromkeys(keys))


def _location_key(grant: Grant) -> tuple:
    """Where a finding on this grant is located: one finding per place (the action in a
    written statement, or the attachment of an AWS managed policy)."""
    if grant.origin.aws_managed:
        return ("attachment", grant.origin.site.address, grant.origin.site_path)
    return ("grant",) + grant_key(grant)


def grant_key(grant: Grant) -> tuple:
    """A grant's identity whichever principal it was computed for."""
    return (grant.origin.key, grant.action_index)


def roots(grant: Grant, wildcard_policies: set[str]) -> tuple[tuple, ...]:
    """What IAM002 / IAM003 report that includes this grant: the wildcard itself, or the
    attachment of an AWS managed policy that grants a wildcard (``wildcard_policies``:
    the addresses of those policies)."""
    if grant.origin.aws_managed:
        if grant.origin.holder.address in wildcard_policies:
            return (("policy", grant.origin.site.address, grant.origin.site_path),)
        return ()
    return (("grant",) + grant_key(grant),) if grant.allow and grant.wildcard else ()


def _has_wildcard(policy: Node) -> bool:
    document = getattr(policy, "document", None)
    return any(g.allow and g.wildcard for g in document_grants(document, policy, ("document",), policy, ("document",)))


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


@dataclass(frozen=True, slots=True)
class Includes:
    """What one reported wildcard includes: escalation methods and categories, with
    example actions per category."""

    methods: tuple[Method, ...] = ()
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def categories(self) -> tuple[str, ...]:
        found = set(self.examples) | ({PRIVILEGE_ESCALATION} if self.methods else set())
        return tuple(c for c in CATEGORIES if c in found)

    def phrase(self, limit: int = 3) -> str:
        """"includes privilege escalation (CreateAccessKey, ... and 20 more), data
        exfiltration (s3:GetObject) and resource exposure"; "" when it includes nothing."""
        parts = []
        for category in self.categories:
            items = [m.short for m in self.methods] if category == PRIVILEGE_ESCALATION else list(self.examples[category])
            text = WORDS[category]
            if items:
                shown = ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
                text += f" ({shown})"
            parts.append(text)
        if not parts:
            return ""
        return "includes " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])


def categories_of(info: ActionInfo, kind: str = "unscoped-write") -> tuple[str, ...]:
    """The categories of an action as IAM007 (``UNSCOPED``: by access level) or IAM008
    (``SENSITIVE``: by the catalogue's lists) sees it."""
    if kind == SENSITIVE:
        return risk_catalogue().category_of(info.full_name)
    found = []
    if "P" in info.levels:
        found.append(RESOURCE_EXPOSURE)
    if "W" in info.levels or "T" in info.levels:
        found.append(INFRASTRUCTURE_MODIFICATION)
    return tuple(found)


# ------------------------------------------------------------------ the analysis


class Analysis:
    """Everything the least-privilege rules report for one graph (see :func:`analyse`)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.sets = [effective_permissions(graph, p) for p in principals(graph)]
        wildcards = {p.address for p in graph.of_type(AwsManagedPolicy) if _has_wildcard(p)}
        self.escalations = _escalations(self.sets, wildcards)
        claimed: set[tuple] = set()
        for escalation in self.escalations:
            if not escalation.absorbed:
                for action, grants in escalation.steps:
                    claimed.update((g.origin.key, action.lower()) for g in grants)
        self.exposures = list(_exposures(graph, self.sets, claimed))

    def reported_escalations(self) -> list[Escalation]:
        return [e for e in self.escalations if not e.absorbed]

    def exposures_of(self, kind: str) -> list[Exposure]:
        return [e for e in self.exposures if e.kind == kind]

    def beside(self, exposure: Exposure, kind: str) -> Exposure | None:
        """The exposure of the other ``kind`` of the same AWS managed policy attachment."""
        if not exposure.origin.aws_managed:
            return None
        place = (exposure.origin.site.address, exposure.origin.site_path)
        return next((e for e in self.exposures if e.kind == kind and e.origin.aws_managed
                     and (e.origin.site.address, e.origin.site_path) == place), None)

    def escalations_of(self, principal: Node) -> list[Escalation]:
        return [e for e in self.escalations if any(p is principal for p in e.principals)]


def analyse(graph: Graph) -> Analysis:
    """The analysis of ``graph``, computed once (``graph.memo``)."""
    found = graph.memo.get("permissions.analysis")
    if not isinstance(found, Analysis):
        found = graph.memo["permissions.analysis"] = Analysis(graph)
    return found


def _escalations(sets: list[PermissionSet], wildcard_policies: set[str]) -> list[Escalation]:
    merged: dict[tuple, Escalation] = {}
    for permissions in sets:
        matched = _matched(permissions)
        names = {m.name for m, _ in matched}
        subsets = risk_catalogue().supersets()
        groups: dict[tuple, list] = {}
        for method, steps in matched:
            if any(other in names for other in subsets[method.name]):
                continue  # a smaller method already needs only part of these actions
            absorbed = _absorbed(steps, wildcard_policies)
            groups.setdefault((absorbed, _location_key(steps[0][1][0])), []).append((method, steps))
        notes = (permissions.boundary_note,) if permissions.boundary_note else ()
        for key, found in groups.items():
            methods = tuple(m for m, _ in found)
            merged_steps: dict[str, tuple[Grant, ...]] = {}
            for _, st in found:
                for action, grants in st:
                    merged_steps.setdefault(action, grants)
            steps = tuple(merged_steps.items())
            absorbed = key[0]
            previous = merged.get(key)
            if previous is None:
                merged[key] = Escalation(methods, (permissions.principal,), steps, absorbed, notes)
            else:
                merged[key] = Escalation(previous.methods, previous.principals + (permissions.principal,), previous.steps,
                                         previous.absorbed and absorbed, tuple(dict.fromkeys(previous.boundary_notes + notes)))
    return list(merged.values())


def _matched(permissions: PermissionSet) -> list[tuple[Method, tuple]]:
    matched = []
    services = permissions.services()
    for method in risk_catalogue().methods:
        if services is not None and not all(a.partition(":")[0].lower() in services for a in method.actions):
            continue  # a service the method needs is granted nowhere
        steps = []
        for action in method.actions:
            grants = permissions.allowing(action)
            if not grants:
                break
            steps.append((action, tuple(grants)))
        else:
            matched.append((method, tuple(steps)))
    return matched


def _absorbed(steps: tuple, wildcard_policies: set[str]) -> bool:
    """Whether IAM002/IAM003 already report, for every step, a wildcard (or an AWS managed
    policy) that gives it: removing what they report removes the method, so it is their
    root cause (their messages name what each wildcard includes)."""
    return all(any(roots(g, wildcard_policies) for g in grants) for _, grants in steps)


# ------------------------------------------------------------------ per statement


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
        grants = list(document_grants(document, node, path, node, path))
        yield _Site(grants, reach.get(_site_key(node, path, node, path), []))
    for site, site_path, policy in _aws_attachments(graph):
        grants = list(document_grants(policy.document, policy, ("document",), site, site_path))
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


def _exposures(graph: Graph, sets: list[PermissionSet], claimed: set[tuple]) -> Iterator[Exposure]:
    for site in _sites(graph, sets):
        denies = [g for g in site.grants if not g.allow]
        wildcards: dict[tuple, list[Grant]] = {}
        for grant in site.grants:
            if grant.allow and grant.wildcard:
                wildcards.setdefault(grant.origin.key, []).append(grant)
        aws = bool(site.grants) and site.grants[0].origin.aws_managed
        if aws and any(g.allow and g.wildcard for g in site.grants):
            continue  # IAM003 reports the attachment and names what the policy includes
        found: dict[tuple, list[tuple[ActionInfo, Grant]]] = {}
        for grant in site.grants:
            if not grant.allow or grant.wildcard:
                continue
            for info in _actions(grant.pattern):
                kind = _kind(info)
                if kind is None or (grant.origin.key, info.full_name.lower()) in claimed:
                    continue
                if any(w.matches(info.full_name) for w in wildcards.get(grant.origin.key, ())):
                    continue  # the statement's wildcard gives it too: IAM002/IAM003 report that
                if grant.scope(info.service, info.types) != ALL:
                    continue
                if not _still_allowed(grant, info.full_name, site.principals, denies):
                    continue
                where = (kind, "site") if aws else (kind, grant.origin.key)
                items = found.setdefault(where, [])
                if all(existing.full_name != info.full_name for existing, _ in items):
                    items.append((info, grant))
        notes = tuple(dict.fromkeys(p.boundary_note for p in site.principals if p.boundary_note))
        for (kind, _), items in found.items():
            yield Exposure(kind, items[0][1].origin, tuple(items), tuple(p.principal for p in site.principals), notes)


def scopable(info: ActionInfo) -> bool:
    """Whether the action can be granted on named resources: the catalogue lists a resource
    type for it, and the risk catalogue does not say that type never applies in practice."""
    return info.scopable and info.full_name not in risk_catalogue().unscopable


def _kind(info: ActionInfo) -> str | None:
    if not scopable(info):
        return None
    if risk_catalogue().category_of(info.full_name):
        return SENSITIVE
    if any(level in info.levels for level in "WPT"):
        return UNSCOPED
    return None


def _actions(pattern: str) -> tuple[ActionInfo, ...]:
    if "*" in pattern or "?" in pattern:
        return expand_action(pattern) or ()
    info = action_info(pattern)
    return (info,) if info is not None else ()


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


# ------------------------------------------------------------------ wildcards (IAM002/IAM003)


def wildcard_includes(grants: Iterable[Grant], combined: bool = False) -> Includes:
    """What reported grants include, judged on their own resources: the wildcard grants
    of one statement action (IAM002), or, ``combined``, every Allow grant of an AWS
    managed policy that IAM003 reports (a method counts when its actions are spread over
    the policy's statements)."""
    grants = [g for g in grants if g.allow and (combined or g.wildcard)]
    if not grants:
        return Includes()
    signature = tuple((g.pattern, g.excluded, g.resources, g.unknown_resources, g.not_resource) for g in grants)
    return _includes(signature, combined, tuple(grants))


_INCLUDES: dict[tuple, Includes] = {}


def _includes(signature: tuple, combined: bool, grants: tuple[Grant, ...]) -> Includes:
    """Memoised on what decides the answer (patterns and resources), not on provenance:
    the same wildcard statements come back in every module."""
    key = (signature, combined)
    if key not in _INCLUDES:
        if len(_INCLUDES) > 4096:
            _INCLUDES.clear()
        _INCLUDES[key] = _compute_includes(list(grants), combined)
    return _INCLUDES[key]


def _compute_includes(grants: list[Grant], combined: bool) -> Includes:
    methods = []
    for method in risk_catalogue().methods:
        if combined:
            if all(any(_gives(g, action) for g in grants) for action in method.actions):
                methods.append(method)
        elif any(all(_gives(g, action) for action in method.actions) for g in grants):
            methods.append(method)
    names = {m.name for m in methods}
    subsets = risk_catalogue().supersets()
    methods = [m for m in methods if not any(other in names for other in subsets[m.name])]
    examples: dict[str, list[str]] = {}
    catalogue = risk_catalogue()
    for action in (*catalogue.data_exfiltration, *catalogue.credentials_exposure):
        info = action_info(action)
        if info is not None and scopable(info) and any(_gives(g, action) for g in grants):
            for category in catalogue.category_of(action):
                examples.setdefault(category, []).append(info.full_name)
    for category in _level_categories(grants):
        examples.setdefault(category, [])
    return Includes(tuple(methods), {k: tuple(v) for k, v in examples.items()})


def _gives(grant: Grant, action: str) -> bool:
    if not grant.matches(action):
        return False
    info = action_info(action)
    return info is not None and grant.scope(info.service, info.types) == ALL


def _level_categories(grants: list[Grant]) -> set[str]:
    """Resource exposure / infrastructure modification: a scopable Permissions management /
    Write or Tagging action given on every resource."""
    found: set[str] = set()
    for grant in grants:
        if grant.action_index is None or grant.pattern == "*":
            if grant.not_resource or "*" in grant.resources:
                return {RESOURCE_EXPOSURE, INFRASTRUCTURE_MODIFICATION}
            continue
        for info in _actions(grant.pattern):
            if scopable(info) and grant.scope(info.service, info.types) == ALL:
                found.update(categories_of(info, UNSCOPED))
    return found


def instance_principals(graph: Graph, nodes: Iterable[Node]) -> list[Node]:
    """The principals among ``nodes`` that EC2 instances use."""
    return [n for n in nodes if isinstance(n, Role) and is_instance_role(graph, n)]
