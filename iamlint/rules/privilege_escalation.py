"""A role's combined permissions contain every action of a known privilege-escalation method.

## What it checks

The effective permissions of every role in the scanned code: every policy that reaches
it (inline policies, ``aws_iam_role_policy`` / ``AWS::IAM::Policy``, customer-managed
and AWS managed policies, however attached, count/for_each and source/override
documents included), with partial wildcards expanded through the action catalogue,
explicit ``Deny`` statements subtracting what they fully cover (same action, every
resource, no condition) and the permissions boundary intersecting. A finding is
reported when the role is allowed every action of a published privilege-escalation
method on every resource that action can name (``Resource: "*"``, or a pattern such as
``arn:aws:iam::*:role/*`` that covers every role), even when the actions come from
different statements or policies.

The methods are Rhino Security Labs' methods and the pathfinding.cloud paths, as kept
by the cloudsplaining package (``iamlint --version`` shows the version and date): for
example ``iam:CreatePolicyVersion``, ``iam:AttachRolePolicy``, ``iam:PassRole`` with
``ec2:RunInstances``, ``iam:PassRole`` with ``lambda:CreateFunction`` and
``lambda:InvokeFunction``, ``lambda:UpdateFunctionCode``. The message names the method
and the statement giving each action; the finding carries the method's reference
(``iam-009``) and URL; every contributing statement is a related location. Only the
smallest methods are reported (CreatePolicyVersion, not also CreatePolicyVersion with
sts:AssumeRole).

- **error** when the role is used by an EC2 instance, launch template or launch
  configuration of the scanned code, or wrapped in an instance profile;
- **warning** for other roles;
- one step lower (error to warning, warning to note) when every grant of some action of
  the method has a ``Condition`` (the message names its keys);
- **note** when every grant comes from an AWS managed policy that AWS documents for
  workload roles (AmazonSSMManagedInstanceCore, ...), that ``accepted-managed-policies``
  lists, or that AWS writes for a service role (path ``/service-role/``, such as
  AWSBatchServiceRole) on a role no EC2 instance uses.

One finding per place: the methods a role can carry out starting from the same grant
are one finding, which names them all. A method that a single ``"*"``,
``"service:*"`` or ``NotAction`` grant gives entirely is not reported here: IAM002 (or
IAM003 for an AWS managed policy) reports that wildcard and its message and tags name
the method; neither is a method every action of which comes from such a reported
wildcard or AWS managed policy (removing what they report removes it). A permissions boundary that does not allow an
action of the method removes the finding; a boundary that cannot be read is said in the
message. Actions and resources that cannot be evaluated never count.

## Why it matters

An instance role that can change its own permissions is an administrator in waiting:
whoever gets the instance's credentials (an SSRF against the metadata service, a
compromised dependency, a shell on the host) attaches AdministratorAccess to the role,
writes a new default version of a policy, or passes a more powerful role to an instance
or function they start. No wildcard is needed, so wildcard checks pass, and tools that
judge one policy at a time miss a method split across two policies.

## Bad

Terraform:

```hcl
resource "aws_iam_role" "web" {
  name               = "web"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "web" {
  role = aws_iam_role.web.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["iam:PassRole", "ec2:RunInstances"], Resource = "*" }]
  })
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
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: iam:CreatePolicyVersion
                Resource: "*"
```

## Good

Terraform:

```hcl
resource "aws_iam_role" "web" {
  name               = "web"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "web" {
  role = aws_iam_role.web.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = "arn:aws:iam::123456789012:role/batch-worker"
      Condition = { StringEquals = { "iam:PassedToService" = "ec2.amazonaws.com" } }
    }]
  })
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
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: iam:GetPolicyVersion
                Resource: "*"
```

## How to fix

Remove the IAM write actions from roles that run workloads: creating policy versions,
attaching policies, changing trust policies and creating keys belong to a deployment
pipeline or to people with MFA. Scope ``iam:PassRole`` to the ARNs of the roles the
workload really passes, with ``iam:PassedToService``. Where a role must keep such an
action, give it a permissions boundary that does not allow escalation.

## References

- Rhino Security Labs, "AWS IAM Privilege Escalation -- Methods and Mitigation",
  https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
- DataDog, pathfinding.cloud (privilege-escalation paths), https://pathfinding.cloud/
- Salesforce, cloudsplaining (the catalogue iamlint ships),
  https://github.com/salesforce/cloudsplaining
- AWS: Permissions boundaries for IAM entities,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html

## Options

``accepted-managed-policies`` (``[tool.iamlint]``): AWS managed policies whose grants are
reported as notes, besides those AWS documents for instance roles.

## Limitations

Only identity policies of roles are read: resource policies, SCPs and session policies
are not. A method needs each action on every resource it can name; a role allowed
``iam:PassRole`` only on named roles is not reported, whatever those roles can do.
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import (
    PRIVILEGE_ESCALATION,
    Context,
    Escalation,
    Finding,
    Graph,
    Rule,
    Severity,
    accepted,
    analyse,
    grant_label,
    lowered,
    reach,
    tags_of,
)

SHOWN = 4
PASSROLE_ADVICE = "scope iam:PassRole to the ARNs of the roles it passes, with the condition iam:PassedToService"


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    names = ctx.options.get("accepted_managed_policies", ())
    for escalation in analyse(graph).reported_escalations():
        yield _finding(graph, escalation, names)


def _finding(graph: Graph, escalation: Escalation, names) -> Finding:
    methods = escalation.methods
    who = reach(graph, escalation.principals)
    roles = ", ".join(p.address for p in escalation.principals)
    listed = ", ".join(m.name if m.id == m.name else f"{m.name} ({m.id})" for m in methods[:SHOWN])
    if len(methods) > SHOWN:
        listed += f" and {len(methods) - SHOWN} more"
    message = f"{roles} can escalate privileges: {listed}: {_steps(escalation)}; {who.text}"
    severity, why = lowered(who.severity, escalation.condition_keys)
    grants = escalation.grants
    reasons = {accepted(g.origin, names, who.severity is Severity.ERROR) for g in grants}
    if None not in reasons:
        severity, why = Severity.NOTE, f"every grant comes from an AWS managed policy {reasons.pop()}"
    extras = [why, *escalation.boundary_notes]
    passrole = [g for a, grants in escalation.steps if a.lower() == "iam:passrole" for g in grants]
    if passrole and not all(g.origin.aws_managed or "iam:PassedToService" in g.condition_keys for g in passrole):
        extras.append(PASSROLE_ADVICE)
    message += "".join(f"; {text}" for text in extras if text)
    node, path = escalation.primary.location()
    related = [("statement " + grant_label(g), *g.location()) for g in grants if g is not escalation.primary]
    return Finding(
        node, path, message, severity=severity, related=(*related, *who.related),
        tags=tags_of((PRIVILEGE_ESCALATION,), [a for a, _ in escalation.steps]),
        references=tuple((m.id, m.url) for m in methods),
    )


def _steps(escalation: Escalation) -> str:
    """"iam:PassRole and ec2:RunInstances from policy X" (grouped by where they come from)."""
    where: dict[str, list[str]] = {}
    for action, grants in escalation.steps:
        where.setdefault(grants[0].origin.describe(), []).append(action)
    parts = []
    for origin, actions in where.items():
        shown = actions[:SHOWN] + ([f"{len(actions) - SHOWN} more"] if len(actions) > SHOWN else [])
        parts.append(f"{', '.join(shown[:-1])} and {shown[-1]}" if len(shown) > 1 else shown[0])
        parts[-1] += f" from {origin}"
    return "; ".join(parts)


RULE = Rule(
    code="IAM006",
    name="privilege-escalation",
    summary="A role's combined permissions allow a known privilege-escalation method",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
)
