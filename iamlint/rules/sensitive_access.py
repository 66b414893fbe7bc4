"""A statement allows data-exfiltration or credentials-exposure actions on every resource.

## What it checks

Every ``Allow`` statement of every identity policy in the scanned code, and the
statements of every attached AWS managed policy, action by action (partial wildcards
such as ``s3:Get*`` expanded through the action catalogue), against the lists of a
public catalogue (cloudsplaining; ``iamlint --version`` shows its version):

- **data exfiltration**: ``s3:GetObject``, ``ssm:GetParameter``, ``ssm:GetParameters``,
  ``ssm:GetParametersByPath``, ``secretsmanager:GetSecretValue``;
- **credentials exposure**: actions whose response holds credentials
  (``iam:CreateAccessKey``, ``ec2:GetPasswordData``, ``sts:AssumeRole``,
  ``redshift:GetClusterCredentials``, ...).

An action counts when the action catalogue says it can be scoped to a resource type
and the statement grants it on every resource of that type (``Resource: "*"``,
``NotResource``, or a pattern matching every ARN of the type, such as
``arn:aws:s3:::*``). Actions that support no resource type never count
(``ecr:GetAuthorizationToken``, ``sts:GetSessionToken``), nor narrow ARN patterns,
resources that cannot be evaluated, actions an explicit ``Deny`` covers or the
permissions boundary excludes, ``"*"`` / ``"service:*"`` / ``NotAction`` (IAM002 and
IAM003 report them and name what they include), actions a partial wildcard of a written
statement grants (``s3:Get*`` on ``"*"``: IAM004 reports the pattern and names them) and
actions IAM006 reports as part of an escalation method from the same statement. One finding per statement (per attachment
for an AWS managed policy), at its first such action.

Severity as IAM002: **error** when the statement reaches a role used by an EC2 instance
(or wrapped in an instance profile), **warning** elsewhere; one step lower when the
statement has a constraining ``Condition`` (its keys are named); a **note** per
attachment for AWS managed policies documented by AWS for workload roles
(AmazonSSMManagedInstanceCore allows ``ssm:GetParameters`` on ``"*"``), accepted by
``accepted-managed-policies``, or written by AWS for a service role (path
``/service-role/``) on a role no EC2 instance uses; that note also names the writes the
policy grants on every resource (IAM007 adds no second note for the attachment). Other AWS managed policies are
judged like written ones, one finding per attachment (AmazonS3ReadOnlyAccess on an
instance role is an error). Tags: ``data-exfiltration``, ``credentials-exposure``.

## Why it matters

These are the calls an attacker makes first with stolen instance credentials: read
every object of every bucket, every parameter and secret, or mint new credentials that
outlive the instance's. Scoped to the bucket prefix, parameter path or secret the
workload uses, a leak is limited to that; on ``"*"`` it is the whole account's data.

## Bad

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = "*" }]
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
            Action: [s3:GetObject, ssm:GetParametersByPath]
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
    Statement = [
      { Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/*" },
      { Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },
    ]
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
            Action: [s3:GetObject]
            Resource: !Sub arn:${AWS::Partition}:s3:::app-data/*
```

## How to fix

Name what the workload reads: the bucket and prefix (``arn:aws:s3:::app-data/*``), the
parameter path (``arn:aws:ssm:REGION:ACCOUNT:parameter/app/*``), the secret
(``...:secret:app/db-*``); for ``sts:AssumeRole``, the roles it assumes. Keep
``iam:CreateAccessKey`` and ``ec2:GetPasswordData`` off instance roles.

## References

- Salesforce, cloudsplaining: data exfiltration and credentials exposure,
  https://cloudsplaining.readthedocs.io/en/latest/glossary/data-exfiltration/
- Kinnaird McQuade, AWS API calls that return credentials,
  https://gist.github.com/kmcquade/33860a617e651104d243c324ddf7992a
- AWS: Security best practices in IAM, "Apply least-privilege permissions",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html

## Options

``accepted-managed-policies`` (``[tool.iamlint]``): AWS managed policies reported as
notes, besides those AWS documents for instance roles.
"""  # noqa: E501 -- the documentation, printed as written (--explain)

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from iamlint.plugin import (
    CATEGORIES,
    SENSITIVE,
    UNSCOPED,
    Context,
    Exposure,
    Finding,
    Graph,
    Rule,
    Severity,
    accepted,
    analyse,
    lowered,
    partial_wildcard,
    reach,
)

SHOWN = 4


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    names = ctx.options.get("accepted_managed_policies", ())
    analysis = analyse(graph)
    for exposure in analysis.exposures_of(SENSITIVE):
        if not exposure.origin.aws_managed:
            # a partial wildcard's sensitive actions: IAM004 reports the pattern and names them
            kept = tuple((info, grant) for info, grant in exposure.actions if not partial_wildcard(grant.pattern))
            if not kept:
                continue
            exposure = replace(exposure, actions=kept)
        yield _finding(graph, exposure, names, analysis.beside(exposure, UNSCOPED))


def _finding(graph: Graph, exposure: Exposure, names, writes: Exposure | None) -> Finding:
    parts = []
    for category, actions in exposure.by_category().items():
        shown = ", ".join(actions[:SHOWN]) + (f" and {len(actions) - SHOWN} more" if len(actions) > SHOWN else "")
        parts.append(f"{category.replace('-', ' ')} ({shown})")
    who = reach(graph, exposure.principals)
    message = f"{exposure.origin.describe()} allows {' and '.join(parts)} on every resource"
    reason = accepted(exposure.origin, names, who.severity is Severity.ERROR)
    tags = exposure.categories
    if reason:
        severity, why = Severity.NOTE, reason
        if writes is not None:  # one note per accepted attachment: it names the writes (IAM007's) too
            names_ = [info.full_name for info, _ in writes.actions]
            shown = ", ".join(names_[:SHOWN]) + (f" and {len(names_) - SHOWN} more" if len(names_) > SHOWN else "")
            message += f", and {len(names_)} write action{'s' if len(names_) != 1 else ''} on every resource ({shown})"
            tags = tuple(c for c in CATEGORIES if c in set(tags) | set(writes.categories))
    else:
        severity, why = lowered(who.severity, exposure.condition_keys)
    message += "".join(f"; {text}" for text in (who.text, why, *exposure.boundary_notes) if text)
    node, path = exposure.actions[0][1].location()
    return Finding(node, path, message, severity=severity, related=who.related, tags=tags)


RULE = Rule(
    code="IAM008",
    name="sensitive-access",
    summary="Data-exfiltration or credentials-exposure actions on every resource",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
)
