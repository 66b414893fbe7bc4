"""An identity policy allows every action, or every action of a service.

## What it checks

Every ``Allow`` statement of every identity policy in the scanned code: inline policies of
roles (``inline_policy`` blocks, ``Policies``) and of IAM users and groups, separate role,
user and group policies (``aws_iam_role_policy``, ``aws_iam_user_policy``,
``aws_iam_group_policy``, ``AWS::IAM::Policy``) and customer-managed policies
(``aws_iam_policy``, ``AWS::IAM::ManagedPolicy``), whether written with ``jsonencode``,
JSON text, a heredoc or a ``data "aws_iam_policy_document"``. A statement is reported when
one of its actions is ``"*"`` or ``"<service>:*"`` (IAM action names are
case-insensitive, so ``"S3:*"`` counts), or when it uses ``NotAction`` (everything except
a list). Each offending action is reported on its own line; for ``NotAction`` the first
listed action is the location (a ``NotAction`` that is ``null`` or unknown is not known
to be there: it is never reported as one).

The severity depends on what the policy reaches:

- **error** when the policy reaches an instance role: a role used by an EC2 instance,
  launch template or launch configuration of the scanned code, or a role wrapped in an
  instance profile (which exists only to hand the role to EC2). The message names the
  instances or profiles;
- **warning** everywhere else, including policies of IAM users and groups and
  customer-managed policies attached to nothing in the scanned code.

A managed policy attached to several roles is reported once, on the policy itself (an
error if any of the roles is an instance role). Trust policies are not identity
policies: IAM001 checks them. AWS managed policies (``arn:aws:iam::aws:policy/...``) are
not written in the scanned code: IAM003 judges them where they are attached. Partial wildcards such as ``s3:Get*`` are not reported.
Actions and effects that cannot be evaluated are never guessed: for instance roles,
EC2002 reports them as "cannot verify".

## Why it matters

``"*"`` and ``"service:*"`` grant actions nobody reviewed, including ones AWS adds later
(``iam:*`` includes ``iam:PassRole`` and ``iam:CreateAccessKey``; ``s3:*`` includes
``s3:PutBucketPolicy``). On an EC2 instance those permissions are one SSRF or one
compromised package away from an attacker: credentials from the instance metadata
service carry every action the role allows. ``NotAction`` with ``Allow`` is worse: it
grants everything except a list, so every new service is granted by default.

## Bad

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:*"]
      Resource = "*"
    }]
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
            Action: "*"
            Resource: "*"
```

## Good

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "arn:aws:s3:::app-data/*"
    }]
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
            Action:
              - s3:GetObject
            Resource: arn:aws:s3:::app-data/*
```

## How to fix

List the actions the workload calls. CloudTrail (or IAM Access Analyzer's policy
generation) shows which actions a role actually used; the service authorization
reference lists every action of a service. Replace ``NotAction`` in ``Allow`` statements
with an explicit list, or turn the statement into a ``Deny``.

## References

- AWS: Security best practices in IAM, "Apply least-privilege permissions",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html
- AWS: IAM JSON policy elements: NotAction,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
- AWS: Service authorization reference,
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference.html
- CIS Amazon Web Services Foundations Benchmark, control 1.16 "Ensure IAM policies that
  allow full *:* administrative privileges are not attached"

## Limitations

A role that reaches EC2 only through a service creating the instance profile itself (an
EKS managed node group's ``node_role_arn``, an Elastic Beanstalk or Batch environment)
is an instance role only if the scanned code also holds its instance profile or an
instance using it; otherwise its wildcards are warnings. Partial wildcards
(``s3:Get*``) are left to IAM004.
"""  # noqa: E501 -- the documentation, printed as written (--explain)

from __future__ import annotations

import re
from typing import Iterator, Sequence

from iamlint.plugin import (
    Compute,
    Context,
    Finding,
    Graph,
    Known,
    Node,
    PolicyDocument,
    Role,
    Rule,
    Severity,
    Statement,
    count_actions,
    enrich,
    instance_roles,
    instance_roles_reached,
    profiles_using,
    statement_includes,
    written_policies,
)

SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*+$", re.IGNORECASE)
Reach = list[tuple[Role, Sequence[Node]]]


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    reach = instance_roles_reached(graph)
    users = instance_roles(graph)
    for node, path, document in written_policies(graph):
        if not isinstance(document, PolicyDocument):
            continue
        reached: Reach = [(role, users.get(role.address) or profiles_using(graph, role)) for role in reach.get(id(document), [])]
        for index, statement in enumerate(document.statements):
            if not isinstance(statement, Statement) or statement.is_allow is not True:
                continue
            for found, what in _offences(statement):
                finding = _finding(node, path + ("statements", index) + found, what, reached)
                # name what the wildcard includes (privilege escalation, ...): IAM006-IAM008 leave it to this finding
                yield enrich(finding, statement_includes(node, path, document, index, found))


def _offences(statement: Statement) -> Iterator[tuple[tuple, str]]:
    known = [i for i, item in enumerate(statement.not_actions) if _known_text(item)]
    if known:
        path = ("not_actions", known[0])
        yield path, "uses NotAction in an Allow statement: it grants every action except the listed ones"
    for index, action in enumerate(statement.actions):
        text = action.value if isinstance(action, Known) else None
        if not isinstance(text, str):
            continue
        text = text.strip()
        if text == "*":
            yield ("actions", index), f'allows every action of every service ("*"{_granting(text)})'
        elif SERVICE_WILDCARD.match(text):
            yield ("actions", index), f"allows every action of {text.split(':')[0].lower()} ({text!r}{_granting(text)})"


def _known_text(value: object) -> bool:
    return isinstance(value, Known) and isinstance(value.value, str)


def _granting(pattern: str) -> str:
    """", N actions" from the action catalogue, or nothing for a service it does not know."""
    count = count_actions(pattern)
    return f", {count:,} actions" if count else ""


def _finding(node: Node, path: tuple, what: str, reached: Reach) -> Finding:
    where = _describe(node, path)
    if not reached:
        message = f"{where} {what}; it reaches no EC2 instance role in the scanned code"
        return Finding(node, path, message, severity=Severity.WARNING)
    parts = []
    related: list[tuple[str, Node, tuple]] = []
    for role, holders in reached:
        parts.append(f"{role.address} (used by {', '.join(_holder(h) for h in holders)})")
        related.append(("role", role, ()))
        related.extend((_label(h), h, ()) for h in holders)
    message = f"{where} {what}; it reaches EC2 instance role {'; '.join(parts)}"
    return Finding(node, path, message, severity=Severity.ERROR, related=tuple(related))


def _describe(node: Node, path: tuple) -> str:
    if path[:1] == ("inline_policies",):
        return f"inline policy #{path[1] + 1} of {node.address}"
    return f"policy {node.address}"


def _holder(node: Node) -> str:
    return node.address if isinstance(node, Compute) else f"instance profile {node.address}"


def _label(node: Node) -> str:
    return "instance" if isinstance(node, Compute) else "instance profile"


RULE = Rule(
    code="IAM002",
    name="wildcard-action",
    summary='An identity policy allows "*", "service:*" or NotAction',
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
)
