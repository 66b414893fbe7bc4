"""What the least-privilege findings share: whom a grant reaches (and so the severity),
the severity step a Condition takes off, AWS managed policies accepted as notes, the
enrichment of a reported wildcard's finding, and IAM007's verdict on unscoped writes
(which IAM004 also gives, for the writes of a partial wildcard it reports)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from iamlint.knowledge import risk_catalogue
from iamlint.model.findings import Finding, Severity
from iamlint.model.graph import AwsManagedPolicy, Compute, Graph, Group, Node, Role, User
from iamlint.model.links import instance_roles, is_instance_role, profiles_using
from iamlint.model.values import Known
from iamlint.permissions.grants import Grant, Origin, document_grants
from iamlint.permissions.categories import CATEGORIES, SENSITIVE, UNSCOPED
from iamlint.permissions.exposures import Exposure
from iamlint.permissions.includes import Includes, wildcard_includes
from iamlint.permissions.risks import analyse


@dataclass(frozen=True, slots=True)
class Reach:
    """The principals a finding concerns: ``severity`` is ERROR when one of them is an
    EC2 instance role, else WARNING; ``text`` says so; ``related`` is the chain."""

    severity: Severity
    text: str
    related: tuple[tuple[str, Node, tuple], ...]


def reach(graph: Graph, principals: Iterable[Node]) -> Reach:
    roles = [p for p in principals if isinstance(p, Role)]
    users = instance_roles(graph)
    parts: list[str] = []
    related: list[tuple[str, Node, tuple]] = []
    for role in roles:
        if not is_instance_role(graph, role):
            continue
        holders: list[Node] = list(users.get(role.address, [])) or list(profiles_using(graph, role))
        used = ", ".join(h.address if isinstance(h, Compute) else f"instance profile {h.address}" for h in holders)
        parts.append(f"{role.address} (used by {used})")
        related.append(("role", role, ()))
        related.extend(("instance" if isinstance(h, Compute) else "instance profile", h, ()) for h in holders)
    if parts:
        return Reach(Severity.ERROR, f"it reaches EC2 instance role {'; '.join(parts)}", tuple(related))
    others = [p for p in principals if isinstance(p, (User, Group))]
    if roles or others:
        names = ", ".join([r.address for r in roles] + [f"{principal_kind(p)} {p.address}" for p in others])
        tail = "which no EC2 instance of the scanned code uses" if roles else "not an EC2 instance role"
        return Reach(Severity.WARNING, f"it reaches {names}, {tail}",
                     tuple((principal_kind(p), p, ()) for p in [*roles, *others]))
    return Reach(Severity.WARNING, "it reaches no role in the scanned code", ())


def principal_kind(node: Node) -> str:
    """"role", "IAM user" or "IAM group" (for messages and related locations)."""
    return "IAM user" if isinstance(node, User) else "IAM group" if isinstance(node, Group) else "role"


def lowered(severity: Severity, condition_keys: tuple[str, ...]) -> tuple[Severity, str]:
    """One step lower when a Condition constrains the grant, and the words saying why."""
    if not condition_keys:
        return severity, ""
    keys = ", ".join("a condition that cannot be read" if k == "?" else k for k in condition_keys)
    return Severity(max(severity - 1, Severity.NOTE)), f"constrained by Condition ({keys}), so one step lower"


def accepted(origin: Origin, names: Iterable[str] = (), on_instance: bool = True) -> str | None:
    """For a statement of an AWS managed policy that AWS documents for a workload's role
    (instance roles above all), that the configuration accepts
    (``accepted-managed-policies``), or that AWS writes for a service role (path
    ``/service-role/``) attached where no EC2 instance uses it: why it is a note."""
    holder = origin.holder
    if not isinstance(holder, AwsManagedPolicy):  # origin.aws_managed, narrowed for the type checker
        return None
    name = holder.name.value if isinstance(holder.name, Known) else ""
    documented = risk_catalogue().documented.get(str(name))
    if documented is not None:
        return f"documented by AWS for {documented[0]}"
    wanted = {n.rsplit("/", 1)[-1].lower() for n in names}
    if str(name).lower() in wanted:
        return "accepted by the configuration (accepted-managed-policies)"
    key = AwsManagedPolicy.key_of(getattr(holder, "arn", "")) or ""
    if not on_instance and key.startswith("/service-role/"):
        return "AWS's policy for a service role (path /service-role/), on a role no EC2 instance uses"
    return None


def statement_includes(holder: Node, document_path: tuple, document: object, statement: int, step: tuple) -> Includes:
    """What the wildcard at ``step`` (``("actions", i)`` or ``("not_actions", i)``) of a
    written statement includes."""
    index = step[1] if step[:1] == ("actions",) else None
    grants = [
        g for g in document_grants(document, holder, document_path, holder, document_path)
        if g.origin.index == statement and g.action_index == index
    ]
    return wildcard_includes(grants)


def policy_includes(policy: AwsManagedPolicy, site: Node, site_path: tuple) -> Includes:
    """What an attached AWS managed policy whose wildcards IAM003 reports includes (all its
    statements: IAM006-IAM008 leave the whole attachment to IAM003)."""
    return wildcard_includes(document_grants(policy.document, policy, ("document",), site, site_path), combined=True)


def enrich(finding: Finding, includes: Includes) -> Finding:
    """The finding of a reported wildcard, naming what it includes, with those tags."""
    phrase = includes.phrase()
    if not phrase:
        return finding
    references = tuple((m.id, m.url) for m in includes.methods)
    return replace(finding, message=f"{finding.message}; {phrase}", tags=includes.categories, references=references)


def agent_policy(action: str) -> str | None:
    """The AWS managed policy of an agent running on the workload (SSM Agent, CloudWatch
    agent, ...) that grants this write on every resource, as AWS documents; else None."""
    return risk_catalogue().documented_writes.get(action)


def tags_of(base: Iterable[str], actions: Iterable[str]) -> tuple[str, ...]:
    """``base`` and the list categories of ``actions`` (credentials-exposure for
    iam:CreateAccessKey), in the order of CATEGORIES."""
    found = set(base)
    for action in actions:
        found.update(risk_catalogue().category_of(action))
    return tuple(c for c in CATEGORIES if c in found)


def grant_label(grant: Grant) -> str:
    """"iam:PassRole in policy aws_iam_role_policy.web" (for messages)."""
    return f"{grant.pattern} in {grant.origin.describe()}"


def partial_wildcard(pattern: str) -> bool:
    """A wildcard inside a service's action names (``s3:Put*``, ``iam:*Policy*``): what
    IAM004 reports. Not ``"*"`` / ``"s3:*"`` (IAM002, IAM003), not an interpolation."""
    text = pattern.strip()
    _service, sep, name = text.partition(":")
    if not sep or not ("*" in text or "?" in text) or "${" in text:
        return False
    return name.strip("*") != ""


@dataclass(frozen=True, slots=True)
class UnscopedVerdict:
    """IAM007's verdict on writes a statement allows on every resource: ``severity``,
    the (ActionInfo, Grant) ``items`` it counts, ``why`` (the severity's reason, if any),
    ``who`` the principals reached."""

    severity: Severity
    items: tuple
    why: str | None
    who: Reach


def judge_unscoped(graph: Graph, exposure: Exposure, items: Iterable, names: Iterable[str] = ()) -> UnscopedVerdict:
    """The severity of writes on every resource (``items`` of an UNSCOPED exposure): a note
    for an AWS managed policy (accepted or not: only replacing it narrows it) and for writes
    that AWS's own policy for an agent grants on every resource; else error on an
    instance role, warning elsewhere, one step lower under a constraining Condition."""
    items = list(items)
    who = reach(graph, exposure.principals)
    severity, why = Severity.NOTE, accepted(exposure.origin, names, who.severity is Severity.ERROR)
    if why is None and exposure.origin.aws_managed:
        why = "an AWS managed policy, whose statements only replacing it can narrow"
    if why is None:
        own = [(info, grant) for info, grant in items if agent_policy(info.full_name) is None]
        if own:
            items = own
            severity, lowered_why = lowered(who.severity, exposure.condition_keys)
            why = lowered_why or None
        else:
            agents = sorted({str(agent_policy(info.full_name)) for info, _ in items})
            why = f"as {', '.join(agents)} (AWS's policy for the agent that needs them) grants on every resource"
    return UnscopedVerdict(severity, tuple(items), why, who)


def unscoped_patterns(graph: Graph) -> dict[tuple, list[tuple[Exposure, list]]]:
    """(holder address, document path, statement index, action index) of each partial
    wildcard of a written statement -> the exposures and (ActionInfo, Grant) items of the
    writes (UNSCOPED) and of the sensitive actions (SENSITIVE) it allows on every resource:
    IAM004 reports them with the pattern, IAM007 and IAM008 leave them out (one root
    cause, one finding)."""
    found: dict[tuple, list[tuple[Exposure, list]]] = {}
    analysis = analyse(graph)
    for exposure in analysis.exposures_of(UNSCOPED) + analysis.exposures_of(SENSITIVE):
        if exposure.origin.aws_managed:
            continue
        groups: dict[int, list] = {}
        for info, grant in exposure.actions:
            if grant.action_index is not None and partial_wildcard(grant.pattern):
                groups.setdefault(grant.action_index, []).append((info, grant))
        for index, items in groups.items():
            found.setdefault(exposure.origin.key + (index,), []).append((exposure, items))
    return found
