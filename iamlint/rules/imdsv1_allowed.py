"""An EC2 instance or launch template allows IMDSv1 (instance metadata without a session token).

## What it checks

``aws_instance``, ``aws_spot_instance_request``, ``aws_launch_template`` and
``aws_launch_configuration`` (their ``metadata_options`` block), CloudFormation
``AWS::EC2::Instance`` (``MetadataOptions``), ``AWS::EC2::LaunchTemplate``
(``LaunchTemplateData.MetadataOptions``) and ``AWS::AutoScaling::LaunchConfiguration``
(``MetadataOptions``). Reported when ``http_tokens`` / ``HttpTokens`` is not
``"required"``: set to ``"optional"``, or not set at all (AWS then defaults to
optional, unless the AMI or the account default says otherwise, which the code does not
show). Not reported when the metadata endpoint is disabled (``http_endpoint =
"disabled"``), when a value cannot be evaluated (a variable without a value), or when the
scanned code sets the account default to required
(``aws_ec2_instance_metadata_defaults`` with ``http_tokens = "required"``).

## Why it matters

The instance metadata service hands out the instance role's temporary credentials at
``http://169.254.169.254/latest/meta-data/iam/security-credentials/``. With IMDSv1 a
plain GET returns them, so any server-side request forgery (SSRF) in an application on
the instance -- a URL fetcher, an image proxy, a webhook tester, a misconfigured reverse
proxy -- lets an outside attacker read the keys and use every permission of the role
from anywhere. This is how the 2019 Capital One breach worked. IMDSv2 requires a token
obtained with a PUT carrying a custom header and a hop limit, which SSRF cannot
normally send: requiring it closes the most common way the very credentials this linter
keeps least-privileged are stolen.

## Bad

Terraform:

```hcl
resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "optional"
  }
}
```

CloudFormation:

```yaml
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      MetadataOptions:
        HttpTokens: optional
```

## Good

Terraform:

```hcl
resource "aws_instance" "web" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }
}
```

CloudFormation:

```yaml
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      MetadataOptions:
        HttpEndpoint: enabled
        HttpTokens: required
```

## How to fix

Set ``http_tokens = "required"`` (CloudFormation ``HttpTokens: required``) and keep
``http_put_response_hop_limit`` at 1 (2 for containers on the host). Current AWS SDKs
and the CLI use IMDSv2 already; check old agents with the ``MetadataNoToken`` CloudWatch
metric before switching. If the instance needs no metadata at all, set
``http_endpoint = "disabled"``.

## References

- AWS: Use IMDSv2,
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html
- AWS Security Blog: Add defense in depth against open firewalls, reverse proxies, and
  SSRF vulnerabilities with enhancements to the EC2 Instance Metadata Service
- CIS Amazon Web Services Foundations Benchmark, control 5.6 "Ensure that EC2 Metadata
  Service only allows IMDSv2"
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import Compute, Context, Finding, Graph, Known, Resource, Rule, Severity, Value, is_absent

def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    account_required = _account_default_required(graph)
    for compute in graph.of_type(Compute):
        endpoint = compute.http_endpoint
        if not compute.metadata_options or _text(endpoint) == "disabled":
            continue
        if endpoint is not None and not isinstance(endpoint, Known):
            continue  # the endpoint may be disabled: cannot verify
        tokens = compute.http_tokens
        if tokens is None or is_absent(tokens):
            if account_required:
                continue
            message = f"{compute.address} does not set http_tokens (HttpTokens), so IMDSv1 stays allowed"
            yield Finding(compute, () if tokens is None else ("http_tokens",), _advice(message))
        elif isinstance(tokens, Known) and _text(tokens) != "required":
            message = f"{compute.address} sets http_tokens to {tokens.value!r}: IMDSv1 stays allowed"
            yield Finding(compute, ("http_tokens",), _advice(message))


def _text(value: Value | None) -> str | None:
    if isinstance(value, Known) and isinstance(value.value, str):
        return value.value.strip().lower()
    return None


def _advice(message: str) -> str:
    return f"{message}; an SSRF on the instance can read the role's credentials. Set it to \"required\" (IMDSv2)"


def _account_default_required(graph: Graph) -> bool:
    for node in graph.of_type(Resource):
        if node.type == "aws_ec2_instance_metadata_defaults" and _text(node.attributes.get("http_tokens")) == "required":
            return True
    return False


RULE = Rule(
    code="EC2003",
    name="imdsv1-allowed",
    summary='Instance metadata options allow IMDSv1 (http_tokens not "required")',
    severity=Severity.WARNING,
    check=check,
    doc=__doc__ or "",
)
