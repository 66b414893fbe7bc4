"""AWS access keys are written into the code (provider block, user data, any property).

## What it checks

Every evaluated string of every resource, data source and provider block of the scanned
code, user data included (plain, heredoc, ``base64encode(...)``, ``templatefile(...)``
inputs, CloudFormation ``UserData`` with ``Fn::Base64`` / ``Fn::Sub``, and literal base64
text, which is decoded and searched). A template that also holds values iamlint cannot
evaluate (``${var.cluster}`` in a heredoc or a ``templatefile``, ``${Param}`` in
``Fn::Sub``, a parameter in ``Fn::Join``) is searched in its known text:

- **access key ids**: ``AKIA`` (long-term user keys), ``ASIA`` (temporary), ``ABIA``,
  ``ACCA`` followed by 16 characters of the base32 alphabet (``A-Z``, ``2-7``);
- **secret access keys**: 40-character base64 strings next to a secret-key name, as the
  value of an attribute or environment variable named like ``secret_key``,
  ``SecretAccessKey`` or ``AWS_SECRET_ACCESS_KEY``, or after such a name in a script
  (``export AWS_SECRET_ACCESS_KEY=...``, ``aws configure set aws_secret_access_key ...``).

Reported as an **error**, except AWS's documented example keys (``AKIAIOSFODNN7EXAMPLE``,
``wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`` and other ids ending in ``EXAMPLE``), which
are a **note**. The secret is never printed: messages show a masked form
(``AKIA************MPLE``) in every output format. Values that cannot be evaluated
(variables without a default, references) are not guessed.

## Why it matters

A key in Terraform or CloudFormation source is in every clone, fork, CI log, state file
and template bucket, forever: git history keeps it after the line is deleted. Keys in
user data are readable by anything on the instance through the metadata service and by
anyone with ``ec2:DescribeInstanceAttribute``. Long-term keys (``AKIA``) never expire on
their own; automated scanners find keys pushed to public repositories within minutes.
An instance needs no keys at all: its instance profile provides rotating credentials.

## Bad

Terraform:

```hcl
provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIAZ7V4QGLKX3WMP2RT"
  secret_key = "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"
}
```

CloudFormation:

```yaml
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      UserData:
        Fn::Base64: |
          #!/bin/bash
          export AWS_ACCESS_KEY_ID=AKIAZ7V4QGLKX3WMP2RT
```

## Good

Terraform:

```hcl
provider "aws" {
  region = "eu-west-1"
}
```

CloudFormation:

```yaml
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      IamInstanceProfile: web
```

## How to fix

Deactivate and delete the key in IAM first (assume it is compromised), then remove it
from the code and from git history. Give instances an instance profile; give Terraform
credentials through the environment, a shared profile, SSO or an assumed role; keep
other secrets in Secrets Manager or SSM Parameter Store and read them at run time.

## References

- AWS: Best practices for managing AWS access keys,
  https://docs.aws.amazon.com/accounts/latest/reference/credentials-access-keys-best-practices.html
- AWS: Understanding unique ID prefixes (AKIA, ASIA, ...),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
- Terraform AWS provider: authentication and configuration,
  https://registry.terraform.io/providers/hashicorp/aws/latest/docs#authentication-and-configuration
- CIS Amazon Web Services Foundations Benchmark, control 1.4 "Ensure no 'root' user
  account access key exists" and 1.14 "Ensure access keys are rotated every 90 days or less"

## Limitations

The finding points at the key itself when the string is verbatim source text (a quoted
string, a heredoc, a YAML block, a ``templatefile`` template); for text built by
substitution (``Fn::Sub`` with variables, ``Fn::Join``, ``base64`` text) it points at
the start of the value. A key passed to ``templatefile`` as an input is reported on the
template line where it is substituted. A key in a variable default is found (and
reported on the default) when something uses the variable; unused variables are not
scanned.
"""

from __future__ import annotations

from typing import Iterator

from iamlint.plugin import (
    Compute, Context, Encoded, Finding, Graph, Known, Node, PartialText, Rule, Severity, Span, credentials, is_example,
    mask_credential,
)

def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    seen: set[tuple] = set()
    # values shared by many nodes (a for_each collection held by each of its n instances)
    # are scanned once per graph, not once per node: a finding is reported once anyway
    visited: set[tuple[int, str]] = set()
    for node in graph.nodes:
        for path, value, name in _node_strings(node, visited):
            for kind, text, start, end in _hits(_text(value), name):
                span = _span(value, start, end)
                key = (span.file, span.line, span.column, text)
                if key not in seen:
                    seen.add(key)
                    yield _finding(node, path, span, kind, text)


# (text, name) -> what ``credentials`` finds in it: the same short strings (names, types,
# ARNs, actions) come back in every node and module; longer texts are scanned each time
_HITS: dict[tuple[str, str], tuple[tuple[str, str, int, int], ...]] = {}
_MEMO_LENGTH = 512


def _hits(text: str, name: str) -> tuple[tuple[str, str, int, int], ...]:
    if type(text) is not str or len(text) > _MEMO_LENGTH:  # a MaskedText carries its own hits
        return tuple(credentials(text, name))
    key = (text, name)
    found = _HITS.get(key)
    if found is None:
        if len(_HITS) > 50_000:
            _HITS.clear()
        found = _HITS[key] = tuple(credentials(text, name))
    return found


def _node_strings(node: Node, visited: set[tuple[int, str]]) -> Iterator[tuple[tuple, Known | PartialText, str]]:
    for key, value in node.attributes.items():
        yield from _strings(value, ("attributes", key), key, visited)
    if isinstance(node, Compute) and node.user_data is not None:
        yield from _strings(node.user_data, ("user_data",), "user_data", visited)


def _strings(value: object, path: tuple, name: str,
             visited: set[tuple[int, str]]) -> Iterator[tuple[tuple, Known | PartialText, str]]:
    if not isinstance(value, (Known, PartialText)) or (id(value), name) in visited:
        return
    visited.add((id(value), name))
    if isinstance(value, PartialText):  # a template with unknown parts: its known text is scanned
        yield path, value, name
        return
    inner = value.value
    if isinstance(inner, str):
        yield path, value, name
    elif isinstance(inner, Encoded):
        yield from _strings(inner.data, path, name, visited)
    elif isinstance(inner, list):
        for index, item in enumerate(inner):
            yield from _strings(item, path + (index,), name, visited)
    elif isinstance(inner, dict):
        label = _pair_name(inner)
        for key, item in inner.items():
            child = label if label and key.lower() == "value" else key
            yield from _strings(item, path + (key,), child, visited)


def _pair_name(mapping: dict) -> str | None:
    """The name of a {Name: ..., Value: ...} pair (environment variables, tags)."""
    for key in ("Name", "name", "Key", "key"):
        item = mapping.get(key)
        if isinstance(item, Known) and isinstance(item.value, str):
            return item.value
    return None


def _text(value: Known | PartialText) -> str:
    """The text to scan: a string, or the known text of a template with unknown parts
    (whose unknown parts are private-use characters no key pattern matches)."""
    return value.text if isinstance(value, PartialText) else value.value


def _span(value: Known | PartialText, start: int, end: int) -> Span:
    """The span of text[start:end] when the string is verbatim source text, else the value's."""
    line, column, indent = (getattr(value, a, None) for a in ("line", "column", "indent"))
    text = _text(value)
    if line is None or (start == 0 and end == len(text)) or not getattr(value, "exact", True):
        return value.span

    def position(offset: int) -> tuple[int, int]:
        before = text[:offset]
        newlines = before.count("\n")
        if not newlines:
            return line, column + offset  # type: ignore[operator]  # verbatim text: line, column, indent all set
        return line + newlines, indent + offset - before.rfind("\n")  # type: ignore[operator]

    (l1, c1), (l2, c2) = position(start), position(end)
    return Span(value.span.file, l1, c1, l2, c2)


def _finding(node: Node, path: tuple, span: Span, kind: str, text: str) -> Finding:
    where = ".".join(str(step) for step in path[1:]) if path[0] == "attributes" else path[0]
    masked = mask_credential(text, kind)
    if is_example(text):
        message = f"AWS's documented example {kind} {masked} in {node.address} {where}; never put real keys here"
        return Finding(node, path, message, severity=Severity.NOTE, span=span)
    message = (
        f"hardcoded AWS {kind} {masked} in {node.address} {where}: deactivate it in IAM, remove it "
        "from the code and its history, and use an instance profile or the environment instead"
    )
    return Finding(node, path, message, severity=Severity.ERROR, span=span)


RULE = Rule(
    code="SEC001",
    name="hardcoded-aws-credentials",
    summary="An AWS access key id or secret access key is written in the code",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__ or "",
)
