"""Every EC2 instance, launch template, launch configuration and spot request names an
instance profile.

## What it checks

A compute resource (``aws_instance``, ``aws_launch_template``, ``aws_launch_configuration``,
``aws_spot_instance_request``, ``AWS::EC2::Instance``, ``AWS::EC2::LaunchTemplate``,
``AWS::AutoScaling::LaunchConfiguration``) that has no instance profile at all: the
attribute is missing, ``null`` or the empty string ``""``. A profile chosen by a
condition the code cannot decide, one branch giving none (Terraform
``var.prod ? aws_iam_instance_profile.p.name : null``, CloudFormation
``!If [IsProd, !Ref Profile, !Ref AWS::NoValue]``), is reported at that branch, naming
the condition ("only when condition IsProd is false"); the other branch's chain is
checked as usual. Only a "no profile" written in the conditional itself counts: one
brought by a variable's default may be tied to whether the instance exists at all, and
stays "cannot verify" (EC2002).

A launch template that some other resource of the scanned code gives a role to is not
reported: an ``aws_eks_node_group`` (EKS attaches the node role and forbids a profile in
the template) or an ``aws_batch_compute_environment`` (``instance_role``) that references
it supplies the profile. When that reference cannot be followed (it goes through a
function or a variable), launch templates that nothing else references are not reported
either: iamlint does not guess.

A profile that is set but cannot be followed (a variable, a data source, a name defined
elsewhere) is not this rule's business: EC2002 reports it as "cannot verify".

## Why it matters

An instance without a role has no temporary, rotated credentials, so the software on it
gets AWS access some other way: long-lived access keys in user data, in files baked into
the image or in environment variables. Those keys leak with every snapshot, AMI and log,
and never expire. A role delivered through an instance profile is the only credential
source for EC2 that rotates itself and can be scoped to least privilege; CIS AWS
Foundations 1.18 asks that instances use IAM roles.

## Bad

Terraform:

```hcl
resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
}
```

CloudFormation:

```yaml
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
```

## Good

Terraform:

```hcl
resource "aws_iam_role" "web" {
  name = "web"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_instance_profile" "web" {
  name = "web"
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
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      InstanceType: t3.micro
      IamInstanceProfile: !Ref WebProfile
```

## How to fix

Create a role trusted by ``ec2.amazonaws.com`` with only the permissions the workload
needs, wrap it in an instance profile, and set ``iam_instance_profile`` (Terraform) or
``IamInstanceProfile`` (CloudFormation). For a launch template, use the
``iam_instance_profile { name = ... }`` (or ``arn``) block. Then remove any access keys the
instance used before. An instance that truly needs no AWS access still benefits from a
role with no policies: it makes "no access" explicit and reviewable.

Fix: unsafe, editor only. Editors offer to add a role trusted only by EC2 (no
permissions yet) and its instance profile in the same file, and to attach it; on the
command line, ``--fix --unsafe-fixes --extend-fixable EC2001`` applies it.

## References

- AWS: IAM roles for Amazon EC2,
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html
- AWS: Using instance profiles,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html
- CIS Amazon Web Services Foundations Benchmark, control 1.18 "Ensure IAM instance roles
  are used for AWS resource access from instances"
"""

from __future__ import annotations

import re
from typing import Iterator

from iamlint.plugin import (
    EDITOR,
    AddInstanceProfile,
    Compute,
    Context,
    Finding,
    Graph,
    Known,
    LaunchingService,
    Node,
    Ref,
    Rule,
    Severity,
    absent_branches,
    profile_of,
    resolve,
)


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    supplied = _templates_given_a_role(graph)
    for compute in graph.of_type(Compute):
        if compute.address in supplied:
            continue
        resolved = profile_of(graph, compute)
        if resolved is not None:
            # a branch of an undecidable condition without a profile: the engine adds
            # "(only when <condition>)", the branch's condition, to the message
            for index, _, value in absent_branches(compute.profile):
                state = "null" if isinstance(value, Known) and value.value is None else "empty"
                if compute.type.startswith("AWS::"):
                    state = "AWS::NoValue" if isinstance(value, Known) and value.value is None else "empty"
                yield Finding(compute, ("profile", "branches", index, 1),
                              f"{compute.address} has no instance profile ({compute.profile_attribute} is {state})")
            continue
        fix = _scaffold(compute, ctx)
        if compute.profile is None:
            yield Finding(compute, (), f"{compute.address} has no instance profile ({compute.profile_attribute} is not set)",
                          fix=fix)
        else:
            state = "null" if isinstance(compute.profile, Known) and compute.profile.value is None else "empty"
            yield Finding(compute, ("profile",),
                          f"{compute.address} has no instance profile ({compute.profile_attribute} is {state})", fix=fix)


def _scaffold(compute: Compute, ctx: Context) -> AddInstanceProfile:
    """A new role trusting only EC2 and its instance profile, attached (editor only: what
    the role may do is for the workload's owner to decide)."""
    service = "ec2.amazonaws.com.cn" if ctx.partition == "aws-cn" else "ec2.amazonaws.com"
    title = f"Add an instance profile and a role only {service} may assume (no permissions yet)"
    return AddInstanceProfile(compute, compute.address, service, title, EDITOR)


def _templates_given_a_role(graph: Graph) -> set[str]:
    """Launch templates used by a service that attaches the role itself (EKS node group,
    Batch compute environment).

    When such a reference cannot be followed (a ``try()``, a variable), every launch
    template of the same module that nothing else references is taken as given a role
    too: guessing "no profile" there would be a false positive."""
    supplied: set[str] = set()
    opaque_modules: set[str] = set()
    for service in graph.of_type(LaunchingService):
        for value in service.launch_templates:
            found = resolve(graph, value, Compute, "launch template")
            if found.node is not None:
                supplied.add(found.node.address)
            else:
                opaque_modules.add(_module_of(service))
    if opaque_modules:
        used = {a for n in graph.nodes if not isinstance(n, LaunchingService) for a in _references(n.attributes)}
        supplied.update(
            c.address
            for c in graph.of_type(Compute)
            if c.template and _module_of(c) in opaque_modules and _base(c.address) not in used and c.address not in used
        )
    return supplied


def _module_of(node: Node) -> str:
    """The module path of a node's address: module.a.module.b["k"]. (empty at the root)."""
    index = node.address.rfind(node.type + ".")
    return node.address[:index] if index > 0 else ""


def _references(attributes: dict) -> set[str]:
    """Addresses of the resources that the values in ``attributes`` refer to."""
    refs: set[str] = set()
    stack: list[object] = list(attributes.values())
    while stack:
        item = stack.pop()
        if isinstance(item, Ref):
            refs.add(item.address)
        elif isinstance(item, Known):
            inner = item.value
            if isinstance(inner, list):
                stack.extend(inner)
            elif isinstance(inner, dict):
                stack.extend(inner.values())
    return refs


def _base(address: str) -> str:
    """The address without a trailing instance key: aws_launch_template.this[0] -> ...this."""
    return re.sub(r"\[[^\[\]]*\]$", "", address)


RULE = Rule(
    code="EC2001",
    name="instance-without-profile",
    summary="An EC2 instance, launch template or launch configuration has no instance profile",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
    fixable="editor",
)
