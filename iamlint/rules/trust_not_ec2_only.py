"""The trust policy of an instance role lets only EC2 assume it.

## What it checks

For every role reached from an instance profile, each ``Allow`` statement of its trust
policy (``assume_role_policy``, ``AssumeRolePolicyDocument``) is checked against an
allowlist: the only acceptable principal is the service ``ec2.amazonaws.com``
(``ec2.amazonaws.com.cn`` is also accepted in the ``aws-cn`` partition) and the only
acceptable actions are ``sts:AssumeRole`` and, alongside it, the harmless
``sts:TagSession``. Action names are compared case-insensitively.

Each offending item is reported on its own line with its specific reason:

- ``"Principal": "*"`` or ``{"AWS": "*"}``: anyone, in any account;
- an AWS account, ``:root``, role or user ARN: another identity can take the role;
- any other service principal (``lambda.amazonaws.com``, ``ssm.amazonaws.com`` ...);
- a ``Federated`` principal (web identity or SAML provider);
- ``NotPrincipal`` in an ``Allow`` statement: everyone except the listed principals;
- ``NotAction`` in an ``Allow`` statement, and any action other than ``sts:AssumeRole``
  / ``sts:TagSession`` (``sts:*``, ``*``, ``sts:AssumeRoleWithWebIdentity`` ...).

A ``Condition`` does not excuse a wildcard or foreign principal: conditions are easy to
get wrong (a misspelt key is silently ignored) and are reported as narrowing, not
removing, the exposure. ``Deny`` statements are never reported.

Parts that cannot be evaluated (a variable, a data source, a template with unknown
parts) are never guessed: EC2002 reports them as "cannot verify". An ``AWS``,
``Federated`` or ``CanonicalUser`` principal whose value is unknown is still reported:
whatever it turns out to be, it is not the EC2 service. A ``NotPrincipal`` or
``NotAction`` counts only when it holds a known value: ``null`` means "not set".

## Why it matters

The instance profile hands the role's permissions to code running on the instance. If
the trust policy also lets another principal assume the role, those permissions are
reachable without the instance: from another account, from a Lambda function, from a
federated web identity, or from anyone at all with ``"*"``. The role then becomes a
privilege-escalation path that no review of the instance will reveal.

## Bad

Terraform:

```hcl
resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = "sts:*"
    }]
  })
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}
```

CloudFormation:

```yaml
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal:
              AWS: arn:aws:iam::111122223333:root
            Action: sts:AssumeRole
  AppProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref AppRole]
```

## Good

Terraform:

```hcl
data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_instance_profile" "app" {
  name = "app"
  role = aws_iam_role.app.name
}
```

CloudFormation:

```yaml
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal:
              Service: ec2.amazonaws.com
            Action: sts:AssumeRole
  AppProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref AppRole]
```

## How to fix

Give the instance role a trust policy with a single statement: ``Effect: Allow``,
``Principal: {Service: ec2.amazonaws.com}``, ``Action: sts:AssumeRole``. If another
service or account needs the same permissions, give it its own role with its own trust
policy instead of sharing the instance role.

Fix: unsafe. When the trust policy has one statement, ``iamlint check --fix
--unsafe-fixes`` rewrites it to ``{"Service": "ec2.amazonaws.com"}`` with
``sts:AssumeRole`` (whoever else assumed the role no longer can: review it).

## References

- AWS: Using an IAM role to grant permissions to applications running on Amazon EC2
  instances,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html
- AWS: IAM JSON policy elements: Principal,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
- AWS: The confused deputy problem,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
"""

from __future__ import annotations

import re
from typing import Iterator

from iamlint.plugin import (
    UNSAFE,
    Context,
    Finding,
    Graph,
    Known,
    Principal,
    PolicyDocument,
    Role,
    Rule,
    SetKeys,
    Severity,
    Statement,
    Unknown,
    profiles_using,
)

NEVER_EC2 = frozenset({"AWS", "Federated", "CanonicalUser"})  # principal kinds that are never a service
ALLOWED_ACTIONS = frozenset({"sts:assumerole", "sts:tagsession"})
ACCOUNT = re.compile(r"^\d{12}$")
NARROWED = " (a Condition narrows it, but does not make it safe)"


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    services = _allowed_services(graph, ctx)
    for role in graph.of_type(Role):
        profiles = profiles_using(graph, role)
        if not profiles or not isinstance(role.trust_policy, PolicyDocument):
            continue
        related = tuple(("instance profile", profile, ()) for profile in profiles)
        statements = role.trust_policy.statements
        for index, statement in enumerate(statements):
            if isinstance(statement, Statement) and statement.is_allow:
                path = ("trust_policy", "statements", index)
                fix = _ec2_only(role, statement, services) if len(statements) == 1 else None
                for found_path, reason in _offences(statement, services):
                    message = f"trust policy of instance role {role.address} {reason}"
                    yield Finding(role, path + found_path, message, related=related, fix=fix)


def _ec2_only(role: Role, statement: Statement, services: frozenset[str]) -> SetKeys:
    """The one statement rewritten to let only EC2 assume the role (unsafe: whoever else
    assumed it no longer can)."""
    service = "ec2.amazonaws.com" if "ec2.amazonaws.com" in services else sorted(services)[0]
    title = f'Trust only {{"Service": "{service}"}} with sts:AssumeRole'
    values = (("Principal", {"Service": service}), ("Action", "sts:AssumeRole"))
    return SetKeys(role, statement.span, (), values, ("NotPrincipal", "NotAction"), title, UNSAFE)


def _allowed_services(graph: Graph, ctx: Context) -> frozenset[str]:
    if "aws-cn" in (ctx.partition, graph.partition):
        return frozenset({"ec2.amazonaws.com", "ec2.amazonaws.com.cn"})
    return frozenset({"ec2.amazonaws.com"})


def _offences(statement: Statement, services: frozenset[str]) -> Iterator[tuple[tuple, str]]:
    narrowed = NARROWED if _has_condition(statement) else ""
    if any(_known_principal(p) for p in statement.not_principals):
        yield _first("not_principals", statement.not_principals), (
            "uses NotPrincipal in an Allow statement: every principal except the listed ones may assume it" + narrowed
        )
    for index, principal in enumerate(statement.principals):
        reason = _principal_reason(principal, services)
        if reason:
            yield ("principals", index, "value"), reason + narrowed
    if any(_known_text(a) for a in statement.not_actions):
        yield _first("not_actions", statement.not_actions), (
            "uses NotAction in an Allow statement: it grants every STS action except the listed ones"
        )
    for index, action in enumerate(statement.actions):
        text = action.value if isinstance(action, Known) else None
        if isinstance(text, str) and text.lower() not in ALLOWED_ACTIONS:
            yield ("actions", index), f"allows {text!r}: only sts:AssumeRole (and sts:TagSession) are expected"


def _known_text(value: object) -> bool:
    return isinstance(value, Known) and isinstance(value.value, str)


def _known_principal(principal: Principal) -> bool:
    """A NotPrincipal entry that is certainly there (a null or unknown one proves nothing)."""
    return principal.kind != "?" and _known_text(principal.value)


def _first(field: str, items: tuple) -> tuple:
    if not items:
        return ()
    return (field, 0, "value") if isinstance(items[0], Principal) else (field, 0)


def _has_condition(statement: Statement) -> bool:
    condition = statement.condition
    if isinstance(condition, Known):
        return bool(condition.value)
    return condition is not None


def _principal_reason(principal: Principal, services: frozenset[str]) -> str | None:
    value = principal.value
    kind = principal.kind
    if isinstance(value, Unknown) and kind in NEVER_EC2:
        # whichever account or provider it turns out to be, it is not the EC2 service
        what = "an AWS principal" if kind == "AWS" else f"a {kind} principal"
        return f"lets {what} assume it, whose value cannot be evaluated ({value.reason})"
    if not isinstance(value, Known) or not isinstance(value.value, str):
        return None  # cannot verify: EC2002
    text = value.value
    if kind == "?":
        return None  # not a valid principal shape: EC2002 says it cannot be verified
    if text == "*" and kind in ("*", "AWS"):
        form = '"Principal": "*"' if kind != "AWS" else '{"AWS": "*"}'
        return f"lets anyone assume it ({form})"
    if kind == "AWS":
        return f"lets {_aws_principal(text)} assume it"
    if kind == "Service":
        if text.lower() in services:
            return None
        if text == "*":
            return 'lets every AWS service assume it ({"Service": "*"})'
        return f"lets the service {text!r} assume it, not only EC2"
    if kind == "Federated":
        return f"lets users of the federated identity provider {text!r} assume it"
    return f"lets the {kind} principal {text!r} assume it"


ROOT_ARN = re.compile(r"^arn:[^:]+:iam::(?P<account>.*):root$")


def _account(account: str) -> str:
    """'account 123456789012', or what a CloudFormation pseudo parameter / Terraform
    reference stands for ("this account")."""
    if account in ("${AWS::AccountId}", "${data.aws_caller_identity.current.account_id}"):
        return "this account"
    return f"account {account or '?'}"


def _aws_principal(text: str) -> str:
    if ACCOUNT.match(text):
        return f"every principal of account {text}"
    root = ROOT_ARN.match(text)
    if root:
        return f"every principal of {_account(root.group('account'))} ({text})"
    if ":role/" in text or ":assumed-role/" in text:
        return f"the role {text!r}"
    if ":user/" in text:
        return f"the IAM user {text!r}"
    return f"the AWS principal {text!r}"


RULE = Rule(
    code="IAM001",
    name="trust-not-ec2-only",
    summary="The trust policy of an instance role lets something other than EC2 assume it",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
    fixable="unsafe",
)
