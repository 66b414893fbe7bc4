"""AWS account snapshots -> the same graph as code.

A snapshot is what the AWS CLI prints, read offline (iamlint never calls AWS):

* ``aws iam get-account-authorization-details --output json``: ``RoleDetailList`` (with
  ``InstanceProfileList``, ``RolePolicyList``, ``AttachedManagedPolicies``,
  ``AssumeRolePolicyDocument``, ``PermissionsBoundary``), ``UserDetailList``,
  ``GroupDetailList`` and ``Policies`` (``PolicyVersionList``, the default version's
  ``Document``);
* ``aws ec2 describe-instances --output json`` (``Reservations[].Instances[]``:
  ``IamInstanceProfile``, ``MetadataOptions``);
* ``aws ec2 describe-launch-template-versions --output json`` (``LaunchTemplateVersions[]``:
  ``LaunchTemplateData`` with ``IamInstanceProfile``, ``MetadataOptions``, ``UserData``);
* ``aws cloudformation list-exports --output json`` (``Exports[]``: ``Name``, ``Value``,
  ``ExportingStackId``): context only, what a template's ``Fn::ImportValue`` reads.

A file holds one page (an object) or several (a JSON array of pages); every page of every
file of the unit goes into one graph, so paginated dumps and an account's IAM and EC2
dumps merge. Policy documents are JSON objects (the CLI) or URL-encoded JSON strings
(the raw API): both give the same document, the object located statement by statement,
the string at the string itself. Nodes are named by their ARN (an instance by its id
when the dump cannot spell its ARN) and keep the span of their JSON element, so findings
are located in the snapshot file. AWS managed policies in ``Policies`` are not nodes: the
enrichment adds iamlint's own copy, as for code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import unquote

from iamlint.model.graph import (
    Compute,
    Graph,
    Group,
    InlinePolicy,
    InstanceProfile,
    ManagedPolicy,
    Node,
    Resource,
    Role,
    User,
)
from iamlint.model.links import EXPORT
from iamlint.model.policy import Document
from iamlint.model.units import SourceError, UnitResult
from iamlint.model.values import Known, Unknown, Value
from iamlint.normalize.documents import to_document
from iamlint.parsers.jsonpos import JsonError
from iamlint.normalize.snapshot_json import AWS_MANAGED, SNAPSHOT_KEYS, read_pages
from iamlint.parsers.heap import without_gc
from iamlint.parsers.jsonscan import Text
from iamlint.sources import read_source



@dataclass
class Snapshot:
    """The nodes of one account snapshot, by ARN (pages merge; a repeated entry is kept
    once, as first read)."""

    nodes: dict[str, Node] = field(default_factory=dict)

    def add_page(self, page: dict[str, Value]) -> None:
        for entry in entries(page.get("RoleDetailList")):
            self._role(entry)
        for entry in entries(page.get("UserDetailList")):
            self._principal(entry, User, "User", "UserPolicyList")
        for entry in entries(page.get("GroupDetailList")):
            self._principal(entry, Group, "Group", "GroupPolicyList")
        for entry in entries(page.get("Policies")):
            self._policy(entry)
        for reservation in entries(page.get("Reservations")):
            owner = text_of(reservation.value.get("OwnerId"))
            for instance in entries(reservation.value.get("Instances")):
                self._instance(instance, owner)
        for entry in entries(page.get("LaunchTemplateVersions")):
            self._template(entry)
        for entry in entries(page.get("Exports")):
            self._export(entry)

    def graph(self, partition: str) -> Graph:
        return Graph(list(self.nodes.values()), partition=partition)

    def _add(self, node: Node) -> None:
        self.nodes.setdefault(node.address, node)

    def _role(self, entry: Known) -> None:
        item = entry.value
        address = _address(item, "Arn", "RoleName")
        if address is None:
            return
        boundary = field_of(item.get("PermissionsBoundary"), "PermissionsBoundaryArn")
        self._add(Role(
            address, "AWS::IAM::Role", entry.span, item,
            name=item.get("RoleName"),
            trust_policy=document(item.get("AssumeRolePolicyDocument")),
            inline_policies=_inline(item.get("RolePolicyList")),
            managed_policy_arns=_attached(item.get("AttachedManagedPolicies")),
            permissions_boundary=boundary,
        ))
        for profile in entries(item.get("InstanceProfileList")):
            self._profile(profile, item.get("RoleName"))

    def _profile(self, entry: Known, role: Value | None) -> None:
        item = entry.value
        address = _address(item, "Arn", "InstanceProfileName")
        if address is None:
            return
        roles = tuple(r.value["RoleName"] for r in entries(item.get("Roles")) if "RoleName" in r.value)
        if not roles and role is not None:
            roles = (role,)
        self._add(InstanceProfile(address, "AWS::IAM::InstanceProfile", entry.span, item,
                                  name=item.get("InstanceProfileName"), roles=roles))

    def _principal(self, entry: Known, kind: type[User] | type[Group], label: str, policies: str) -> None:
        item = entry.value
        address = _address(item, "Arn", label + "Name")
        if address is None:
            return
        common = {
            "name": item.get(label + "Name"),
            "inline_policies": _inline(item.get(policies)),
            "managed_policy_arns": _attached(item.get("AttachedManagedPolicies")),
        }
        if kind is User:
            groups = item.get("GroupList")
            node: Node = User(address, "AWS::IAM::User", entry.span, item, **common,
                              permissions_boundary=field_of(item.get("PermissionsBoundary"), "PermissionsBoundaryArn"),
                              groups=tuple(groups.value) if isinstance(groups, Known) and isinstance(groups.value, list)
                              else ())
        else:
            node = Group(address, "AWS::IAM::Group", entry.span, item, **common)
        self._add(node)

    def _policy(self, entry: Known) -> None:
        item = entry.value
        address = _address(item, "Arn", "PolicyName")
        if address is None or AWS_MANAGED in address:
            return  # AWS managed: the enrichment adds iamlint's copy where it is attached
        default = next((v for v in entries(item.get("PolicyVersionList"))
                        if isinstance(v.value.get("IsDefaultVersion"), Known) and v.value["IsDefaultVersion"].value is True),
                       None)
        text = default.value.get("Document") if default is not None else None
        self._add(ManagedPolicy(address, "AWS::IAM::ManagedPolicy", entry.span, item, name=item.get("PolicyName"),
                                document=document(text)))

    def _instance(self, entry: Known, owner: str | None) -> None:
        item = entry.value
        instance_id = text_of(item.get("InstanceId"))
        if instance_id is None:
            return
        zone = text_of(field_of(item.get("Placement"), "AvailabilityZone"))
        address = f"arn:aws:ec2:{zone[:-1]}:{owner}:instance/{instance_id}" if zone and owner else instance_id
        profile = field_of(item.get("IamInstanceProfile"), "Arn")
        metadata = item.get("MetadataOptions")
        self._add(Compute(
            address, "AWS::EC2::Instance", entry.span, item,
            profile=profile,
            profile_attribute="IamInstanceProfile",
            http_tokens=field_of(metadata, "HttpTokens"),
            http_endpoint=field_of(metadata, "HttpEndpoint"),
            user_data=item.get("UserData"),
        ))

    def _export(self, entry: Known) -> None:
        """A CloudFormation export (``aws cloudformation list-exports``): what a
        template's ``Fn::ImportValue`` of its name reads."""
        item = entry.value
        name, stack = text_of(item.get("Name")), text_of(item.get("ExportingStackId"))
        if name is None or not isinstance(item.get("Value"), Known):
            return
        self._add(Resource(f"{stack or '?'}/export/{name}", EXPORT, entry.span,
                           {"name": item["Name"], "value": item["Value"]}))

    def _template(self, entry: Known) -> None:
        item = entry.value
        template = text_of(item.get("LaunchTemplateId")) or text_of(item.get("LaunchTemplateName"))
        if template is None:
            return
        address = f"{template}:{text_of(item.get('VersionNumber')) or '?'}"
        data = item.get("LaunchTemplateData")
        block = field_of(data, "IamInstanceProfile")
        profile = (field_of(block, "Arn") or field_of(block, "Name")) if block is not None else None
        metadata = field_of(data, "MetadataOptions")
        self._add(Compute(
            address, "AWS::EC2::LaunchTemplate", entry.span, item,
            profile=profile,
            profile_attribute="LaunchTemplateData.IamInstanceProfile",
            template=True,
            http_tokens=field_of(metadata, "HttpTokens"),
            http_endpoint=field_of(metadata, "HttpEndpoint"),
            user_data=field_of(data, "UserData"),
        ))


def document(value: Value | None) -> Document | None:
    """A policy document as the CLI prints it (an object) or as the API returns it (a
    URL-encoded JSON string, decoded first and located at the string)."""
    if isinstance(value, Known) and isinstance(value.value, str) and value.value.lstrip().startswith("%"):
        value = Known(unquote(value.value), value.span)
    return to_document(value)


def _inline(value: Value | None) -> tuple[InlinePolicy, ...]:
    found = []
    for entry in entries(value):
        text = entry.value.get("PolicyDocument")
        policy = document(text) if text is not None else None
        found.append(InlinePolicy(entry.value.get("PolicyName"),
                                  policy or Unknown("the inline policy has no PolicyDocument", entry.span), entry.span))
    return tuple(found)


def _attached(value: Value | None) -> tuple[Value, ...]:
    return tuple(e.value["PolicyArn"] for e in entries(value) if "PolicyArn" in e.value)


def entries(value: Value | None) -> Iterator[Known]:
    """The object entries of a list value (of a JSON dump: a snapshot, a state)."""
    if isinstance(value, Known) and isinstance(value.value, list):
        for item in value.value:
            if isinstance(item, Known) and isinstance(item.value, dict):
                yield item


def field_of(value: Value | None, name: str) -> Value | None:
    if isinstance(value, Known) and isinstance(value.value, dict):
        return value.value.get(name)
    return None


def text_of(value: Value | None) -> str | None:
    """A known string or number as text (never a boolean)."""
    if isinstance(value, Known) and isinstance(value.value, (str, int)) and not isinstance(value.value, bool):
        return str(value.value)
    return None


def _address(item: dict[str, Value], *keys: str) -> str | None:
    return next((text for text in (text_of(item.get(k)) for k in keys) if text), None)


def load_snapshot(files: list[tuple[str, str]], partition: str) -> UnitResult:
    """Every page of every snapshot file (path, display name) -> one graph; a file that
    cannot be read or is not JSON is a located error and the others still load."""
    snapshot = Snapshot()
    errors: list[SourceError] = []
    for path, display in files:
        text, error = read_source(path, display)
        if error is not None or text is None:
            errors.extend([error] if error is not None else [])
            continue
        try:
            scanned = Text(text, display)
            with without_gc():  # a tree of acyclic values: the collector's passes would double the time
                found = read_pages(scanned)
        except JsonError as exc:
            errors.append(SourceError(display, exc.line, f"invalid JSON: {exc.message}", exc.column))
            continue
        if not any(key in page for page in found for key in SNAPSHOT_KEYS):
            line, column = scanned.index.position(scanned.skip(0))
            errors.append(SourceError(display, line, "not an AWS account snapshot: no page holds "
                                      + ", ".join(SNAPSHOT_KEYS), column))
            continue
        with without_gc():
            for page in found:
                snapshot.add_page(page)
    return UnitResult(snapshot.graph(partition), [display for _, display in files], errors)
