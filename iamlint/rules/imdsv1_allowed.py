"""An EC2 instance or launch template allows IMDSv1 (instance metadata without a session token).

## What it checks

``aws_instance``, ``aws_spot_instance_request``, ``aws_launch_template`` and
``aws_launch_configuration`` (their ``metadata_options`` block), CloudFormation
``AWS::EC2::Instance`` (``MetadataOptions``), ``AWS::EC2::LaunchTemplate``
(``LaunchTemplateData.MetadataOptions``) and ``AWS::AutoScaling::LaunchConfiguration``
(``MetadataOptions``). Reported when ``http_tokens`` / ``HttpTokens`` is not
``"required"``: set to ``"optional"``, or not set at all (AWS then defaults to
optional, unless the AMI or the account default says otherwise). Not reported when the
metadata endpoint is disabled (``http_endpoint = "disabled"``), when a value cannot be
evaluated (a variable without a value), when the scanned code sets the account default
to required (``aws_ec2_instance_metadata_defaults`` with ``http_tokens = "required"``),
or, for compute that does not set ``http_tokens``, when its AMI is declared in the code
as requiring IMDSv2: an ``aws_ami`` with ``imds_support = "v2.0"``, or a ``data
"aws_ami"`` whose ``filter`` on ``imds-support`` admits only ``v2.0`` (instances launched
from such an AMI default to tokens required). CloudFormation declares no AMI (an AMI is
registered outside the template), so there the instance or template must say it.

The message names the setting as the format writes it: ``metadata_options { http_tokens
= "required" }`` in Terraform, ``MetadataOptions: HttpTokens: required`` on an
``AWS::EC2::Instance`` or launch configuration, ``LaunchTemplateData: MetadataOptions:
HttpTokens: required`` on an ``AWS::EC2::LaunchTemplate``.

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

Fix: safe. ``iamlint check --fix`` sets ``http_tokens = "required"`` where it is
written (or in a variable, local or parameter default used only there), or adds it to the
``metadata_options`` block / ``MetadataOptions`` mapping, adding those when missing.

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

from iamlint.plugin import (
    SAFE,
    Compute,
    Context,
    Finding,
    Graph,
    Known,
    Ref,
    Replace,
    Resource,
    Rule,
    SetKeys,
    Severity,
    Value,
    as_list,
    is_absent,
    resolve,
)

def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    account_required = _account_default_required(graph)
    for compute in graph.of_type(Compute):
        endpoint = compute.http_endpoint
        if not compute.metadata_options or _text(endpoint) == "disabled":
            continue
        if endpoint is not None and not isinstance(endpoint, Known):
            continue  # the endpoint may be disabled: cannot verify
        tokens = compute.http_tokens
        setting, fix = _setting(compute)
        if tokens is None or is_absent(tokens):
            if account_required or _ami_requires_tokens(graph, compute):
                continue
            message = f"{compute.address} does not set {setting}, so IMDSv1 stays allowed"
            yield Finding(compute, () if tokens is None else ("http_tokens",), _advice(message, fix),
                          fix=_require_tokens(compute, tokens, setting))
        elif isinstance(tokens, Known) and _text(tokens) != "required":
            message = f"{compute.address} sets {setting} to {tokens.value!r}: IMDSv1 stays allowed"
            yield Finding(compute, ("http_tokens",), _advice(message, fix), fix=_require_tokens(compute, tokens, setting))


def _require_tokens(compute: Compute, tokens: Value | None, setting: str) -> Replace | SetKeys:
    """Tokens required: the value replaced where it is written, or the setting added
    (with the metadata options block or mapping when missing)."""
    title = f'Set {setting} to "required" (IMDSv2)'
    if tokens is not None:
        return Replace(compute, tokens, "required", title, SAFE)
    if not compute.type.startswith("AWS::"):
        return SetKeys(compute, None, ("metadata_options",), (("http_tokens", "required"),), (), title, SAFE)
    path = ("LaunchTemplateData", "MetadataOptions") if compute.template else ("MetadataOptions",)
    return SetKeys(compute, None, path, (("HttpTokens", "required"),), (), title, SAFE)


def _setting(compute: Compute) -> tuple[str, str]:
    """The setting as the compute's format writes it, and the fix."""
    if not compute.type.startswith("AWS::"):
        return "metadata_options.http_tokens", 'Set metadata_options { http_tokens = "required" } (IMDSv2)'
    where = "LaunchTemplateData.MetadataOptions" if compute.template else "MetadataOptions"
    return f"{where}.HttpTokens", f"Set {where} HttpTokens: required (IMDSv2)"


def _ami_requires_tokens(graph: Graph, compute: Compute) -> bool:
    """Whether the AMI the compute launches is declared to require IMDSv2 (an aws_ami
    with imds_support = "v2.0", a data aws_ami filtered on imds-support = v2.0)."""
    ami = compute.attributes.get("ami") or compute.attributes.get("image_id")
    if not isinstance(ami, Ref):
        return False
    node = resolve(graph, ami, Resource, "AMI").node
    if node is None:
        return False
    if node.type == "aws_ami":
        return _text(node.attributes.get("imds_support")) == "v2.0"
    if node.type == "data.aws_ami":
        return any(_imds_filter(item) for item in as_list(node.attributes.get("filter") or Known([], node.span)))
    return False


def _imds_filter(item: Value) -> bool:
    if not isinstance(item, Known) or not isinstance(item.value, dict):
        return False
    name, values = item.value.get("name"), item.value.get("values")
    texts = [_text(v) for v in as_list(values)] if values is not None else []
    return _text(name) == "imds-support" and bool(texts) and all(t == "v2.0" for t in texts)


def _text(value: Value | None) -> str | None:
    if isinstance(value, Known) and isinstance(value.value, str):
        return value.value.strip().lower()
    return None


def _advice(message: str, fix: str) -> str:
    return f"{message}; an SSRF on the instance can read the role's credentials. {fix}"


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
    fixable="safe",
)
