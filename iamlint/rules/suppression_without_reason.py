"""An inline suppression that does not say why.

## What it checks

A ``# iamlint:ignore CODE`` comment without `` -- reason`` after the rule codes, or a
CloudFormation ``Metadata: {iamlint: {ignore: [...]}}`` entry without a ``reason``.
The suppression still works; this rule asks for the missing justification. Text after
the codes that does not start with ``--`` is reported too, since it was probably meant
as the reason.

## Why it matters

A reviewer, an auditor or the next maintainer has to decide whether the exception is
still acceptable. Without the reason they can only guess, so exceptions pile up and are
never revisited. The reason is also what SARIF carries as the justification of a
suppressed result.

## Bad

Terraform:

```hcl
# iamlint:ignore EC2001
resource "aws_instance" "build" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}
```

CloudFormation:

```yaml
Resources:
  # iamlint:ignore EC2001
  Build:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
```

## Good

Terraform:

```hcl
# iamlint:ignore EC2001 -- build box without AWS access, see ADR-12
resource "aws_instance" "build" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}
```

CloudFormation:

```yaml
Resources:
  # iamlint:ignore EC2001 -- build box without AWS access, see ADR-12
  Build:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
```

## How to fix

Write the reason after two dashes: ``# iamlint:ignore EC2001 -- why this is acceptable``,
optionally followed by an expiry date: ``until 2027-03-31``. In template Metadata, add
``reason:`` next to ``rule:``.

## References

- docs/configuration.md, "Inline suppressions"
- Checkov's ``checkov:skip=CKV_ID:reason`` comments, the same convention
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import Context, Finding, InlineSuppression, Rule, Severity


def check(suppressions: tuple[InlineSuppression, ...], ctx: Context) -> Iterator[Finding]:
    """Runs after the suppressions were applied (the ``suppressions`` stage)."""
    for item in suppressions:
        names = ", ".join(item.keys) or "nothing"
        if item.problem:
            yield Finding(item, (), f"suppression of {names}: {item.problem}")
        elif item.reason is None and item.keys:
            yield Finding(item, (), f"suppression of {names} has no reason (write it after ' -- ')")


RULE = Rule(
    code="SUP002",
    name="suppression-without-reason",
    summary="An inline suppression gives no reason",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
    stage="suppressions",
)
