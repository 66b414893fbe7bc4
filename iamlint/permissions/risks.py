"""Risks of the effective permissions, computed once per graph and shared by the rules:

* privilege-escalation methods every action of which a principal is allowed on every
  resource the action can name (IAM006), with the grants giving each action (here);
* per statement (or per AWS managed policy attachment), the sensitive actions
  (data exfiltration, credentials exposure: IAM008) and the Write, Permissions management
  and Tagging actions (IAM007) it allows on every resource although they can be scoped
  (:mod:`.exposures`);
* for a wildcard that IAM002 / IAM003 report, what it includes (their message and tags:
  :mod:`.includes`); the categories themselves are in :mod:`.categories`.

One root cause, one finding: a method a single ``"*"`` / ``"service:*"`` / ``NotAction``
grant gives entirely is *absorbed* by that wildcard's IAM002/IAM003 finding (so is a
method every action of which comes from some reported wildcard or AWS managed policy); wildcard
grants are never examined action by action; an action that an IAM006 finding reports
for a statement is not reported again for it by IAM007/IAM008, and a sensitive action is
IAM008's, not IAM007's.
"""

from __future__ import annotations

import _weakref  # weakref's own ref, without importing weakref (start-up)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from iamlint.knowledge.risks import risk_catalogue  # reads no data on import (memoised loader)
from iamlint.model.graph import AwsManagedPolicy, Graph, Node, Role
from iamlint.model.links import is_instance_role
from iamlint.permissions.categories import grant_key
from iamlint.permissions.exposures import Exposure, exposures
from iamlint.permissions.grants import Grant, graph_grants
from iamlint.permissions.principal import PermissionSet, effective_permissions, principals

if TYPE_CHECKING:  # the risk catalogue's records are read when a rule first needs them
    from iamlint.knowledge.risks import Method


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


def roots(grant: Grant, wildcard_policies: set[str]) -> tuple[tuple, ...]:
    """What IAM002 / IAM003 report that includes this grant: the wildcard itself, or the
    attachment of an AWS managed policy that grants a wildcard (``wildcard_policies``:
    the addresses of those policies)."""
    if grant.origin.aws_managed:
        if grant.origin.holder.address in wildcard_policies:
            return (("policy", grant.origin.site.address, grant.origin.site_path),)
        return ()
    return (("grant",) + grant_key(grant),) if grant.allow and grant.wildcard else ()


def _has_wildcard(graph: Graph, policy: Node) -> bool:
    document = getattr(policy, "document", None)
    return any(g.allow and g.wildcard for g in graph_grants(graph, document, policy, ("document",), policy, ("document",)))


# ------------------------------------------------------------------ the analysis


class Analysis:
    """Everything the least-privilege rules report for one graph (see :func:`analyse`)."""

    def __init__(self, graph: Graph) -> None:
        # a weak reference: the analysis is kept in graph.memo, and a graph referring to
        # itself waited, with all its nodes and values, for a pass of the cyclic collector
        self._graph = _weakref.ref(graph)
        self.sets = [effective_permissions(graph, p) for p in principals(graph)]
        wildcards = {p.address for p in graph.of_type(AwsManagedPolicy) if _has_wildcard(graph, p)}
        self.escalations = _escalations(self.sets, wildcards)
        claimed: set[tuple] = set()
        for escalation in self.escalations:
            if not escalation.absorbed:
                for action, grants in escalation.steps:
                    claimed.update((g.origin.key, action.lower()) for g in grants)
        self.exposures = list(exposures(graph, self.sets, claimed))

    @property
    def graph(self) -> Graph:
        """The graph analysed (alive as long as the analysis is used through it)."""
        graph = self._graph()
        if graph is None:
            raise ReferenceError("the graph of this analysis is no longer in use")
        return graph

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


def instance_principals(graph: Graph, nodes: Iterable[Node]) -> list[Node]:
    """The principals among ``nodes`` that EC2 instances use."""
    return [n for n in nodes if isinstance(n, Role) and is_instance_role(graph, n)]
