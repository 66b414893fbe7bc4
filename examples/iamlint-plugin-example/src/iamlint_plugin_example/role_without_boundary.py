"""An EC2 instance role has no permissions boundary.

## What it checks

Every IAM role that an EC2 instance, launch template or launch configuration of the
scanned code receives through its instance profile (``aws_iam_role`` /
``AWS::IAM::Role``) must set a permissions boundary (``permissions_boundary`` /
``PermissionsBoundary``). A boundary that cannot be evaluated (a variable without a
value, a data source) is not reported: it may well be set.

## Why it matters

Many organisations let application teams write their own instance roles, and cap what
those roles can ever do with a boundary policy maintained centrally. A role without
the boundary escapes the cap: one over-broad statement added later gives the instance
everything it grants.

## Bad

Terraform:

```hcl
resource "aws_iam_role" "web" {
  name = "web"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "web" {
  role = aws_iam_role.web.name
}

resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.web.name
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
  WebProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref WebRole]
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      IamInstanceProfile: !Ref WebProfile
```

## Good

Terraform:

```hcl
resource "aws_iam_role" "web" {
  name                 = "web"
  permissions_boundary = "arn:aws:iam::123456789012:policy/app-boundary"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "web" {
  role = aws_iam_role.web.name
}

resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = aws_iam_instance_profile.web.name
}
```

CloudFormation:

```yaml
Resources:
  WebRole:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: arn:aws:iam::123456789012:policy/app-boundary
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
  WebProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref WebRole]
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      IamInstanceProfile: !Ref WebProfile
```

## How to fix

Set the boundary your organisation prescribes on the role.

## References

- https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import Context, Finding, Graph, Role, Rule, Severity, instance_roles, is_absent

_ATTRIBUTES = ("permissions_boundary", "PermissionsBoundary")  # Terraform, CloudFormation


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    for address, computes in instance_roles(graph).items():
        role = graph.by_address(address)
        if not isinstance(role, Role):
            continue
        boundary = next((role.attributes[a] for a in _ATTRIBUTES if a in role.attributes), None)
        if boundary is None or is_absent(boundary):  # an Unknown boundary may be set: no finding
            users = ", ".join(sorted(c.address for c in computes))
            yield Finding(
                role,
                (),
                f"EC2 instance role {role.address} (used by {users}) has no permissions boundary",
                related=tuple(("instance", compute, ()) for compute in computes),
            )


RULE = Rule(
    code="EXA001",
    name="instance-role-without-boundary",
    summary="An EC2 instance role has no permissions boundary",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
