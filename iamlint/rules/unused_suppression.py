"""An inline suppression that suppresses nothing.

## What it checks

Every ``# iamlint:ignore CODE -- reason`` comment (Terraform ``#`` or ``//``, YAML ``#``)
and every CloudFormation ``Metadata: {iamlint: {ignore: [...]}}`` entry names rules to
ignore. This rule reports each named rule that had no finding to hide there, and each
name that is not a rule at all (a typo, a rule of a plugin that is not installed).

Rules that are not enabled for the file (``--select``, ``ignore``, ``per-file-ignores``)
are not reported as unused. The rule runs after the suppressions are applied (the
``suppressions`` stage of the plugin API): it reads each suppression and what it hid,
never the graph.

## Why it matters

A suppression outlives the code it was written for. Once the instance gets a role or
the policy is fixed, the comment keeps silencing the rule for whatever is written there
next, so the next real problem passes review unseen. A misspelt rule code never
suppressed anything and hides the fact that the finding is still reported elsewhere.

## Bad

Terraform:

```hcl
# iamlint:ignore EC2001 -- build box without AWS access, see ADR-12
resource "aws_s3_bucket" "logs" {
  bucket = "example-logs"
}
```

CloudFormation:

```yaml
Resources:
  # iamlint:ignore EC2001 -- build box without AWS access, see ADR-12
  Logs:
    Type: AWS::S3::Bucket
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
  Build:
    Type: AWS::EC2::Instance
    Metadata:
      iamlint:
        ignore:
          - rule: EC2001
            reason: build box without AWS access, see ADR-12
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
```

## How to fix

Delete the suppression, or the rule codes in it that no longer apply. If the rule name
is unknown, check the spelling with ``iamlint rules``.

Fix: safe. ``iamlint check --fix`` removes the comment, or only the codes that suppress
nothing when others in it are in use. Suppressions in a CloudFormation resource's
``Metadata`` are left to you.

## References

- docs/configuration.md, "Inline suppressions"
- ruff's unused-noqa (RUF100), the model for this rule: https://docs.astral.sh/ruff/rules/unused-noqa/
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import SAFE, Context, EditSuppression, Finding, InlineSuppression, Rule, Severity


def check(suppressions: tuple[InlineSuppression, ...], ctx: Context) -> Iterator[Finding]:
    """Runs after the suppressions were applied: each one knows what it hid."""
    for item in suppressions:
        fix = _fix(item)
        if not item.keys:
            yield Finding(item, (), "suppression names no rule (write the codes or names to ignore, comma-separated)", fix=fix)
        for key, code in item.codes:
            if code is None:
                yield Finding(item, (), f"suppression names unknown rule {key!r}; it suppresses nothing", fix=fix)
        if not item.applied:
            continue  # an expired suppression is reported as such (SUP003), not as unused
        for key, code in item.codes:
            if _unused(item, code):
                yield Finding(item, (), f"unused suppression of {key}: no {code} finding here", fix=fix)


def _unused(item: InlineSuppression, code: str | None) -> bool:
    return bool(code) and item.applied and code not in item.used and code in item.checked


def _fix(item: InlineSuppression) -> EditSuppression:
    """One fix for every finding about the suppression (they share it): the keys that
    suppress nothing removed, the whole suppression when none is left."""
    keep = tuple(key for key, code in item.codes if code is not None and not _unused(item, code))
    gone = [key for key, _ in item.codes if key not in keep]
    title = "Remove the suppression" if not keep else f"Remove {', '.join(gone)} from the suppression"
    return EditSuppression(item, keep, title, SAFE)


RULE = Rule(
    code="SUP001",
    name="unused-suppression",
    summary="An inline suppression names a rule that has no finding there, or an unknown rule",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
    stage="suppressions",
    fixable="safe",
)
