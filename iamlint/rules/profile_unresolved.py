"""The instance profile, its role, or a policy deciding its permissions cannot be verified.

## What it checks

iamlint never guesses: a value it cannot evaluate is reported as a note saying what
could not be verified and why, instead of a violation or silence. This rule notes, along
the chain instance -> instance profile -> role -> policies:

- an instance whose profile is named but not defined in the scanned code: a literal name
  or ARN of a profile created elsewhere, a variable without a value, a data source, a
  remote state output, a module output;
- an instance profile whose role cannot be followed for the same reasons;
- the trust policy of an instance role (a role reached from an instance profile) that
  cannot be evaluated: the whole document, a statement, its effect, a principal or an
  action (IAM001 cannot judge those parts);
- an identity policy reaching an instance role that cannot be evaluated where it decides
  IAM002: the document, a statement, an action of an ``Allow`` statement, or the effect of
  a statement granting a wildcard; and a policy ARN attached to an instance role that is
  not defined in the scanned code;
- a Terragrunt unit whose module cannot be read (a remote ``terraform { source }`` not
  downloaded into ``.terragrunt-cache``, a source that cannot be evaluated): nothing of
  the unit can be judged.

What Terraform variables without a value (no default, no tfvars, no ``--var``: a
child module checked on its own, whose callers give them) leave unknown is one note per
chain -- an instance's profile, an instance profile's role, an instance role's trust
policy and policies -- at its first unknown part, naming the variables; the other parts
are its related locations (SARIF ``relatedLocations``, JSON ``related``). A child module
folder is still checked on its own as well as through the modules that call it (a
caller may create only some of its resources: ``count = 0``, ``create = false``); to see
it only with its callers' values, check the callers' folders (their local modules are
loaded with them).

AWS managed policy ARNs (``arn:aws:iam::aws:policy/...``) are not reported: they are
published by AWS, not unresolved code (the IAM knowledge rules judge them, and note
the ones iamlint's snapshot does not know). The note is never an error: it tells the reader
where a manual review (or scanning the code that defines the missing part) is needed.

## Why it matters

A linter that silently skips what it cannot evaluate gives false confidence: a module
whose roles all come from variables would look clean. Making "cannot verify" visible
lets you decide whether to scan the other repository, give the variable a default, or
review the profile by hand.

## Bad

Terraform:

```hcl
resource "aws_instance" "web" {
  ami                  = "ami-0c55b159cbfafe1f0"
  instance_type        = "t3.micro"
  iam_instance_profile = "profile-created-by-hand"
}
```

CloudFormation:

```yaml
Parameters:
  ProfileName:
    Type: String
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c55b159cbfafe1f0
      IamInstanceProfile: !Ref ProfileName
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
  WebRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal:
              Service: ec2.amazonaws.com
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

Scan the code that defines the profile and role together with the instances (the whole
Terraform root module, or the parent CloudFormation stack), give variables a default or a
``.tfvars`` value, or reference the resource instead of typing its name. Where the profile
really lives elsewhere, review that profile's role by hand.

## References

- AWS: Using instance profiles,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html
- Terraform: References to named values,
  https://developer.hashicorp.com/terraform/language/expressions/references
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple, TypeGuard

from iamlint.plugin import (
    AwsManagedPolicy,
    Compute,
    Context,
    Document,
    Finding,
    Graph,
    InstanceProfile,
    Known,
    ManagedPolicy,
    Node,
    Rejected,
    Resource,
    Role,
    RolePolicy,
    Rule,
    Severity,
    Statement,
    Unknown,
    Value,
    is_instance_role,
    policies_of,
    profile_of,
    profiles_using,
    resolve,
)

NEVER_EC2 = frozenset({"AWS", "Federated", "CanonicalUser"})  # principal kinds IAM001 judges unknown
SERVICE_WILDCARD = re.compile(r"^(\*|[a-z0-9-]+:\*+)$", re.IGNORECASE)


class Note(NamedTuple):
    node: Node
    path: tuple
    what: str
    reason: str


# the reason the Terraform normaliser gives for a root variable without a value
NO_VALUE = re.compile(r"var\.([A-Za-z_][\w-]*) has no value \(no default, no tfvars, no --var\)")


def check(graph: Graph, ctx: Context) -> Iterator[Finding]:
    seen: set[tuple[str, tuple]] = set()
    unset: dict[str, list[tuple[Note, list[str]]]] = {}  # chain -> notes caused by variables without a value
    chains = ((_units, "unit"), (_profiles, "compute"), (_profile_roles, "profile"), (_trust, "role"),
              (_policies, "role"))
    for source, _ in chains:
        for chain, note in source(graph):
            key = (note.node.address, note.path)
            if key in seen:
                continue
            seen.add(key)
            names = list(dict.fromkeys(NO_VALUE.findall(note.reason)))
            if names:
                unset.setdefault(chain, []).append((note, names))
            else:
                yield _finding(note)
    for notes in unset.values():
        yield _grouped(notes)


def _finding(note: Note) -> Finding:
    return Finding(note.node, note.path, f"cannot verify {note.what}: {note.reason}")


def _grouped(notes: list[tuple[Note, list[str]]]) -> Finding:
    """One note per chain for what variables without a value leave unknown (a module
    checked on its own: its callers give them), naming the variables, at the first of
    them; the others are its related locations."""
    first = notes[0][0]
    if len(notes) == 1:
        return _finding(first)
    names = list(dict.fromkeys(name for _, found in notes for name in found))
    variables = ", ".join(f"var.{name}" for name in names)
    verb = "has" if len(names) == 1 else "have"
    message = (f"cannot verify {first.what} and {len(notes) - 1} more part{'s' if len(notes) > 2 else ''} of "
               f"this chain: {variables} {verb} no value (no default, no tfvars, no --var)")
    related = tuple((f"also cannot verify {note.what}", note.node, note.path) for note, _ in notes[1:])
    return Finding(first.node, first.path, message, related=related)


def _note(node: Node, path: tuple, what: str, reason: str | None) -> Note:
    return Note(node, path, what, reason or "it is not known")


UNIT_SOURCE = "terragrunt.source"  # the node a unit whose module cannot be read leaves (iamlint.normalize.terragrunt)


def _units(graph: Graph) -> Iterator[tuple[str, Note]]:
    for node in graph.of_type(Resource):
        source = node.attributes.get("source") if node.type == UNIT_SOURCE else None
        if isinstance(source, Unknown):
            unit = node.attributes.get("unit")
            name = unit.value if isinstance(unit, Known) else node.address
            yield node.address, _note(node, ("source",), f"Terragrunt unit {name}", source.reason)


def _profiles(graph: Graph) -> Iterator[tuple[str, Note]]:
    for compute in graph.of_type(Compute):
        found = profile_of(graph, compute)
        if found is not None and not found.resolved:
            yield compute.address, _note(compute, ("profile",), f"the instance profile of {compute.address}", found.reason)


def _profile_roles(graph: Graph) -> Iterator[tuple[str, Note]]:
    for profile in graph.of_type(InstanceProfile):
        for index, value in enumerate(profile.roles):
            if _absent(value):
                continue
            found = resolve(graph, value, Role, "role")
            if not found.resolved:
                what = f"the role of instance profile {profile.address}"
                yield profile.address, _note(profile, ("roles", index), what, found.reason)


def _absent(value: Value) -> bool:
    return isinstance(value, Known) and (value.value is None or value.value == "")


def _trust(graph: Graph) -> Iterator[tuple[str, Note]]:
    for role in graph.of_type(Role):
        if role.trust_policy is None or not profiles_using(graph, role):
            continue
        what = f"the trust policy of instance role {role.address}"
        for note in _document(role, ("trust_policy",), role.trust_policy, what, trust=True):
            yield role.address, note


def _document(node: Node, path: tuple, document: Document, what: str, trust: bool) -> Iterator[Note]:
    if isinstance(document, Rejected) and document.reported_in(node.span):
        return  # AWS rejects it: an input error, reported as such
    if isinstance(document, Unknown):
        yield _note(node, path, what, document.reason)
        return
    for index, statement in enumerate(document.statements):
        here = path + ("statements", index)
        if isinstance(statement, Rejected):
            continue
        if isinstance(statement, Unknown):
            yield _note(node, here, f"statement #{index + 1} of {what}", statement.reason)
        elif trust:
            yield from _trust_statement(node, here, statement, what)
        else:
            yield from _identity_statement(node, here, statement, what)


def _effect(node: Node, path: tuple, statement: Statement, what: str) -> Iterator[Note]:
    if isinstance(statement.effect, Unknown):
        yield _note(node, path + ("effect",), f"the effect in {what}", statement.effect.reason)
    elif statement.is_allow is None:
        yield _note(node, path, f"a statement of {what}", "its Effect is missing or not Allow/Deny")


def _actions(node: Node, path: tuple, statement: Statement, what: str) -> Iterator[Note]:
    for field, label in (("actions", "an action"), ("not_actions", "a NotAction entry")):
        for index, action in enumerate(getattr(statement, field)):
            if _unknown(action):
                yield _note(node, path + (field, index), f"{label} in {what}", _reason(action))


def _unknown(value: Value) -> bool:
    """Not known as text; a null entry is "not set", not unknown."""
    return not _known_text(value) and not (isinstance(value, Known) and value.value is None)


def _trust_statement(node: Node, path: tuple, statement: Statement, what: str) -> Iterator[Note]:
    if statement.is_allow is False:
        return
    yield from _effect(node, path, statement, what)
    for index, principal in enumerate(statement.principals):
        if principal.kind in NEVER_EC2 and isinstance(principal.value, Unknown):
            continue  # not EC2 whatever its value: IAM001 reports it
        if _unknown(principal.value):
            yield _note(node, path + ("principals", index, "value"), f"a principal in {what}", _reason(principal.value))
        elif principal.kind == "?":
            reason = "the principal is neither \"*\" nor an object"
            yield _note(node, path + ("principals", index, "value"), f"a principal in {what}", reason)
    for index, principal in enumerate(statement.not_principals):
        if _unknown(principal.value):
            yield _note(node, path + ("not_principals", index, "value"), f"a NotPrincipal in {what}", _reason(principal.value))
    yield from _actions(node, path, statement, what)


def _identity_statement(node: Node, path: tuple, statement: Statement, what: str) -> Iterator[Note]:
    if statement.is_allow is None and _grants_wildcard(statement):
        yield from _effect(node, path, statement, what)
    elif statement.is_allow:
        yield from _actions(node, path, statement, what)


def _grants_wildcard(statement: Statement) -> bool:
    texts = [a.value for a in statement.actions if _known_text(a)]
    return any(_known_text(a) for a in statement.not_actions) or any(SERVICE_WILDCARD.match(t.strip()) for t in texts)


def _known_text(value: Value) -> TypeGuard[Known]:
    return isinstance(value, Known) and isinstance(value.value, str)


def _reason(value: Value) -> str:
    if isinstance(value, Unknown):
        return value.reason
    return "it is not a string"


def _policies(graph: Graph) -> Iterator[tuple[str, Note]]:
    for role in graph.of_type(Role):
        if not is_instance_role(graph, role):
            continue
        for attached in policies_of(graph, role):
            what = f"a policy of instance role {role.address}"
            if attached.document is None:
                if not _aws_managed(attached.arn):
                    yield role.address, _note(attached.source, attached.path, what, attached.reason)
            else:
                node, path = _owner(graph, attached.source, attached.path, attached.document)
                for note in _document(node, path, attached.document, what, trust=False):
                    yield role.address, note


def _aws_managed(arn: Value | None) -> bool:
    return isinstance(arn, Known) and AwsManagedPolicy.key_of(arn.value) is not None


def _owner(graph: Graph, source: Node, path: tuple, document: Document) -> tuple[Node, tuple]:
    """Where a document is written: the managed policy itself when attached by ARN."""
    if isinstance(source, (Role, RolePolicy, ManagedPolicy)) and path[-1] == "document":
        return source, path
    for node in graph.of_type(ManagedPolicy):
        if node.document is document:
            return node, ("document",)
    return source, path


RULE = Rule(
    code="EC2002",
    name="profile-unresolved",
    summary="The instance profile, its role or a policy reaching it cannot be verified",
    severity=Severity.NOTE,
    check=check,
    doc=__doc__ or "",
)
