"""An inline suppression whose expiry date has passed (or cannot be read).

## What it checks

A suppression may end with ``until YYYY-MM-DD`` (in template Metadata: ``until:``).
After that day it no longer hides anything: the findings it covered are reported again,
and this rule says which suppression expired. An expiry that is not a valid date makes
the suppression inactive as well, and is reported the same way.

## Why it matters

Temporary exceptions ("until the migration is done") are the ones most often forgotten.
An expiry date turns "we will fix it later" into a reminder that fails the check when
"later" has come, instead of a permanent blind spot.

## Bad

Terraform:

```hcl
# iamlint:ignore EC2001 -- migration to the new role, ticket OPS-17 until 2020-06-30
resource "aws_instance" "build" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}
```

CloudFormation:

```yaml
Resources:
  Build:
    Type: AWS::EC2::Instance
    Metadata:
      iamlint:
        ignore:
          - rule: EC2001
            reason: migration to the new role, ticket OPS-17
            until: "2020-06-30"
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
```

## Good

Terraform:

```hcl
# iamlint:ignore EC2001 -- migration to the new role, ticket OPS-17 until 2099-06-30
resource "aws_instance" "build" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}
```

CloudFormation:

```yaml
Resources:
  Build:
    Type: AWS::EC2::Instance
    Metadata:
      iamlint:
        ignore:
          - rule: EC2001
            reason: migration to the new role, ticket OPS-17
            until: "2099-06-30"
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
```

## How to fix

Fix the finding the suppression was hiding and delete the suppression, or, if the
exception is still justified, move the date forward and update the reason.

## References

- docs/configuration.md, "Inline suppressions"
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import Context, Finding, InlineSuppression, Rule, Severity


def check(suppressions: tuple[InlineSuppression, ...], ctx: Context) -> Iterator[Finding]:
    """Runs after the suppressions were applied (the ``suppressions`` stage)."""
    for item in suppressions:
        names = ", ".join(item.keys) or "nothing"
        if item.bad_date:
            yield Finding(item, (), f"suppression of {names}: {item.bad_date}; it is not applied")
        elif item.expired and item.until is not None:
            yield Finding(item, (), f"suppression of {names} expired on {item.until.isoformat()}; "
                                    "the findings it covered are reported again")


RULE = Rule(
    code="SUP003",
    name="expired-suppression",
    summary="An inline suppression is past its expiry date and no longer applies",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
    stage="suppressions",
)
