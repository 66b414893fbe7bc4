"""A statement allows Write, Permissions management or Tagging actions on every resource although they can be scoped.

## What it checks

Every ``Allow`` statement of every identity policy in the scanned code, and the
statements of every attached AWS managed policy, action by action (partial wildcards
expanded through the action catalogue). An action counts when its access level is
*Write*, *Permissions management* or *Tagging*, the action catalogue says it can be
scoped to a resource type, and the statement grants it on every resource of that type:
``Resource: "*"``, ``NotResource``, or a pattern matching every ARN of the type
(``arn:aws:s3:::*`` for ``s3:DeleteBucket``). One finding per statement (per attachment
for an AWS managed policy), at its first such action, saying how many actions and which.

Never reported:

- actions that support no resource type (``s3:ListAllMyBuckets``, ``ec2:Describe*``,
  ``xray:PutTraceSegments``): ``"*"`` is the only way to grant them; so are actions whose
  only catalogued type ordinary requests never name (``cloudwatch:PutMetricData``, whose
  ``dataset`` type applies only to requests naming a dataset; the list is curated, with
  its reasons, in ``tools/update_risks.py``);
- narrow or required ARN patterns: ``${aws_s3_bucket.b.arn}/*``,
  ``arn:aws:logs:*:*:log-group:name:*``, ``arn:aws:s3:::b/*/*.log``, and resources whose
  value cannot be evaluated;
- actions an explicit ``Deny`` covers (same action, every resource, no condition) for
  every role the statement reaches, or that the role's permissions boundary excludes;
- ``"*"``, ``"service:*"`` and ``NotAction`` (IAM002 and IAM003 report them, and name
  what they include), data-exfiltration and credentials-exposure actions (IAM008), and
  actions IAM006 reports as part of an escalation method from this statement;
- the writes of a partial wildcard (``s3:Put*``) written in the scanned code: IAM004
  reports the pattern, names those of its writes that are on every resource, and takes
  this rule's severity when it is higher (one root cause, one finding).

``iam:PassRole`` on every role belongs here; the message says how to scope it.

Severity as IAM002: **error** when the statement reaches a role used by an EC2 instance
(or wrapped in an instance profile), **warning** elsewhere; one step lower when the
statement has a constraining ``Condition`` (its keys are named). A **note**:

- per attachment of an AWS managed policy (as for IAM004, only replacing it narrows it):
  those AWS documents for instance roles (AmazonSSMManagedInstanceCore,
  CloudWatchAgentServerPolicy, ...) say so, as do those ``accepted-managed-policies``
  lists (when such a policy also allows sensitive actions, IAM008's note for the
  attachment names its writes, and IAM007 adds none: one note per attachment);
- for a written statement whose actions are all writes that AWS's own policy for an
  agent running on the workload grants on every resource (``logs:PutLogEvents`` as
  CloudWatchAgentServerPolicy and AWSLambdaBasicExecutionRole do,
  ``ssm:UpdateInstanceInformation`` as AmazonSSMManagedInstanceCore does); mixed with
  other writes, only the others are counted.

Tags: ``infrastructure-modification`` (Write, Tagging) and ``resource-exposure``
(Permissions management).

## Why it matters

A write on ``"*"`` reaches every bucket, instance, key and log group of the account,
today's and tomorrow's. Whoever gets an instance's credentials can then delete data,
terminate the fleet, change security groups or rewrite resource policies
(``s3:PutBucketPolicy`` makes a bucket public). When the action can be scoped to the
resources the workload uses, ``"*"`` is an unreviewed grant; when it cannot (AWS allows
only ``"*"``), iamlint stays silent, unlike checks that flag every ``"*"``.

## Bad

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:DeleteObject", "ec2:TerminateInstances"], Resource = "*" }]
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
            Action: sqs:DeleteQueue
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
      { Effect = "Allow", Action = ["s3:DeleteObject"], Resource = "arn:aws:s3:::app-data/*" },
      { Effect = "Allow", Action = ["cloudwatch:PutMetricData"], Resource = "*" },
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
            Action: sqs:DeleteQueue
            Resource: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs
```

## How to fix

Name the resources the workload writes to in ``Resource`` (the ARN of its bucket,
queue, log group, or a prefix of them), or add a ``Condition`` on resource tags. For
``iam:PassRole``, list the ARNs of the roles it passes and add
``"Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}``.

Fix: unsafe, with evidence only. Given the actions really used (``--narrow-from FILE``: a
policy generated by iamlive or IAM Access Analyzer), ``iamlint check --fix
--unsafe-fixes`` removes the reported actions from the statement when none of them was
used (each written by its exact name, some other action left in the statement); without
evidence, or when one of them was used (scope its resources instead), no fix is offered.

## References

- AWS: Service authorization reference (resource types per action),
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference.html
- AWS: Security best practices in IAM, "Apply least-privilege permissions",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html
- AWS: Granting a user permissions to pass a role to an AWS service,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
- Salesforce, cloudsplaining (resource exposure, infrastructure modification),
  https://cloudsplaining.readthedocs.io/

## Options

``accepted-managed-policies`` (``[tool.iamlint]``): AWS managed policies reported as
notes, besides those AWS documents for instance roles.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from iamlint.plugin import (
    SENSITIVE,
    UNSAFE,
    UNSCOPED,
    Context,
    Exposure,
    Finding,
    Graph,
    Known,
    Node,
    RemoveItems,
    Rule,
    Severity,
    accepted,
    analyse,
    categories_of,
    judge_unscoped,
    partial_wildcard,
    reach,
)

SHOWN = 4
PASSROLE_ADVICE = ("scope iam:PassRole to the ARNs of the roles it passes, "
                   "with the condition iam:PassedToService naming the service")


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    names = ctx.options.get("accepted_managed_policies", ())
    analysis = analyse(graph)
    for exposure in analysis.exposures_of(UNSCOPED):
        beside = analysis.beside(exposure, SENSITIVE)
        if beside is not None and accepted(exposure.origin, names, _on_instance(graph, exposure)) is not None:
            continue  # one note per accepted attachment: IAM008's names these writes too
        items = list(exposure.actions)
        if not exposure.origin.aws_managed:
            # a partial wildcard's writes: IAM004 reports the pattern and names them
            items = [(info, grant) for info, grant in items if not partial_wildcard(grant.pattern)]
        if items:
            yield _finding(graph, exposure, items, names, ctx.options.get("used_actions"))


def _on_instance(graph: Graph, exposure: Exposure) -> bool:
    return reach(graph, exposure.principals).severity is Severity.ERROR


def _finding(graph: Graph, exposure: Exposure, items: list, names, used: Sequence[str] | None = None) -> Finding:
    verdict = judge_unscoped(graph, exposure, items, names)
    items, severity, why, who = list(verdict.items), verdict.severity, verdict.why, verdict.who
    actions = [info.full_name for info, _ in items]
    levels = sorted({_level(info.levels) for info, _ in items}, key=["Write", "Permissions management", "Tagging"].index)
    count = f"{len(actions)} {'/'.join(levels)} action{'s' if len(actions) != 1 else ''}"
    shown = ", ".join(actions[:SHOWN]) + (f" and {len(actions) - SHOWN} more" if len(actions) > SHOWN else "")
    message = f"{exposure.origin.describe()} allows {count} on every resource although they can be scoped: {shown}"
    extras = [who.text, why, *exposure.boundary_notes]
    if any(a.lower() == "iam:passrole" for a in actions) and not exposure.origin.aws_managed:
        extras.append(PASSROLE_ADVICE)
    message += "".join(f"; {text}" for text in extras if text)
    node, path = items[0][1].location()
    tags = tuple(c for c in exposure.categories if any(c in categories_of(info) for info, _ in items))
    return Finding(node, path, message, severity=severity, related=who.related, tags=tags,
                   fix=_unused_removed(node, exposure, items, used))


def _unused_removed(node: Node, exposure: Exposure, items: list, used: Sequence[str] | None) -> RemoveItems | None:
    """With evidence (``--narrow-from``), the reported actions removed from the statement
    when the evidence shows none of them used, each written by its exact name there.
    Unsafe: whatever the evidence did not exercise stops working. Otherwise no fix."""
    origin = exposure.origin
    if used is None or origin.aws_managed:
        return None
    seen = {action.lower() for action in used}
    values: list[Known] = []
    for info, grant in items:
        action = origin.statement.actions[grant.action_index] if grant.action_index is not None else None
        if (grant.origin.statement is not origin.statement or not isinstance(action, Known)
                or not isinstance(action.value, str) or action.value.strip().lower() != info.full_name.lower()
                or info.full_name.lower() in seen):
            return None
        if all(action is not other for other in values):
            values.append(action)
    names = ", ".join(str(v.value).strip() for v in values)
    title = f"Remove {names}: the evidence shows no use of {'it' if len(values) == 1 else 'them'}"
    return RemoveItems(node, tuple(values), title, UNSAFE)


def _level(letters: str) -> str:
    if "P" in letters:
        return "Permissions management"
    return "Write" if "W" in letters else "Tagging"


RULE = Rule(
    code="IAM007",
    name="unscoped-write",
    summary="Write, Permissions management or Tagging actions on every resource although they can be scoped",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
    fixable="evidence",
)
