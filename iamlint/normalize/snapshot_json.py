"""Reading an account snapshot's JSON: only what the graph uses, with its spans.

A dump of a big account is 50-200 MB, most of it never judged: AWS managed policies with
every version, old versions of customer managed policies, tags, last-used dates, network
interfaces. The reader walks the text with :class:`iamlint.parsers.jsonscan.Text`, whose
C scanner skips what is not kept; what is kept gets the spans findings are located at
(a policy document's statements and the items of their Action / Resource lists, a
principal, names and ARNs) without giving whole documents to the span-keeping parser.
Pages come out as the nested values :class:`iamlint.normalize.account.Snapshot` reads.
"""

from __future__ import annotations

from typing import Callable

from iamlint.model.values import Known, Value
from iamlint.parsers.jsonscan import Text

SNAPSHOT_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "Reservations",
                 "LaunchTemplateVersions", "Exports")
AWS_MANAGED = ":iam::aws:policy/"

_KEEP = {
    "RoleDetailList": frozenset({"RoleName", "Arn", "AssumeRolePolicyDocument", "InstanceProfileList", "RolePolicyList",
                                 "AttachedManagedPolicies", "PermissionsBoundary"}),
    "UserDetailList": frozenset({"UserName", "Arn", "UserPolicyList", "GroupList", "AttachedManagedPolicies",
                                 "PermissionsBoundary"}),
    "GroupDetailList": frozenset({"GroupName", "Arn", "GroupPolicyList", "AttachedManagedPolicies"}),
    "LaunchTemplateVersions": frozenset({"LaunchTemplateId", "LaunchTemplateName", "VersionNumber", "LaunchTemplateData"}),
    "Exports": frozenset({"ExportingStackId", "Name", "Value"}),  # aws cloudformation list-exports
}
_INSTANCE = frozenset({"InstanceId", "Placement", "IamInstanceProfile", "MetadataOptions", "UserData"})
_POLICY = frozenset({"PolicyName", "Arn"})
_VERSION = frozenset({"Document", "IsDefaultVersion"})
_INLINE_POLICY = frozenset({"PolicyName", "PolicyDocument"})
_DOCUMENTS = frozenset({"AssumeRolePolicyDocument", "PolicyDocument", "Document"})
_INLINE = frozenset({"RolePolicyList", "UserPolicyList", "GroupPolicyList"})
_LISTS = frozenset({"Action", "NotAction", "Resource", "NotResource"})
Read = tuple[Known, int]  # a value read from the text, and where it ends


def read_pages(text: Text) -> list[dict[str, Value]]:
    """The pages of a snapshot text, keeping (with spans) only what the graph uses: AWS
    managed policies, non-default policy versions, tags, dates and the like are skipped
    by the C scanner, never given to the span-keeping parser; every byte is scanned once."""
    start = text.skip(0)
    if text.char(start) != "[":
        return [_page(text, start)[0]]
    pages: list[dict[str, Value]] = []

    def page(pos: int) -> int | None:
        if text.char(pos) != "{":
            return None
        found, end = _page(text, pos)
        pages.append(found)
        return end

    text.each_element(start, page)
    return pages


def _page(text: Text, start: int) -> tuple[dict[str, Value], int]:
    page: dict[str, Value] = {}

    def member(key: str, pos: int) -> int | None:
        if key not in SNAPSHOT_KEYS or text.char(pos) != "[":
            return None
        page[key], end = _list(text, pos, lambda at: _entry(text, key, at))
        return end

    return page, text.each_member(start, member)


def _list(text: Text, start: int, read: Callable[[int], tuple[Known | None, int]]) -> Read:
    """The array at ``start``, each object element read by ``read`` (None: left out)."""
    items: list[Value] = []

    def element(pos: int) -> int | None:
        if text.char(pos) != "{":
            return None
        found, end = read(pos)
        if found is not None:
            items.append(found)
        return end

    end = text.each_element(start, element)
    return Known(items, text.span(start, end)), end


def _entry(text: Text, key: str, start: int) -> tuple[Known | None, int]:
    if key == "Policies":
        return _policy(text, start)
    keep = frozenset({"OwnerId", "Instances"}) if key == "Reservations" else _KEEP.get(key, frozenset())
    return _object(text, start, keep)


def _object(text: Text, start: int, keep: frozenset[str]) -> Read:
    """The object at ``start`` with the members named in ``keep``: policy documents through
    :func:`_document`, lists of inline policies and instances element by element, the
    rest with every span."""
    kept: dict[str, Value] = {}

    def member(key: str, pos: int) -> int | None:
        if key not in keep:
            return None
        if key in _DOCUMENTS:
            kept[key], end = _document(text, pos)
        elif key in _INLINE and text.char(pos) == "[":
            kept[key], end = _list(text, pos, lambda at: _object(text, at, _INLINE_POLICY))
        elif key == "Instances" and text.char(pos) == "[":
            kept[key], end = _list(text, pos, lambda at: _object(text, at, _INSTANCE))
        else:
            kept[key], end = text.read(pos)
        return end

    end = text.each_member(start, member)
    return Known(kept, text.span(start, end)), end


def _policy(text: Text, start: int) -> tuple[Known | None, int]:
    """A managed policy with its default version only; None for an AWS managed one (the
    enrichment adds iamlint's copy where it is attached)."""
    kept: dict[str, Value] = {}
    versions: list[Value] = []

    def version(pos: int) -> int:
        plain, end = text.value(pos)
        if isinstance(plain, dict) and plain.get("IsDefaultVersion") is True:
            versions.append(_object(text, pos, _VERSION)[0])
        return end

    def member(key: str, pos: int) -> int | None:
        if key in _POLICY:
            kept[key], end = text.read(pos)
            return end
        arn = kept.get("Arn")
        if key != "PolicyVersionList" or text.char(pos) != "[" or (isinstance(arn, Known) and AWS_MANAGED in str(arn.value)):
            return None
        end = text.each_element(pos, version)
        kept[key] = Known(versions, text.span(pos, end))
        return end

    end = text.each_member(start, member)
    arn = kept.get("Arn")
    if isinstance(arn, Known) and AWS_MANAGED in str(arn.value):
        return None, end
    return Known(kept, text.span(start, end)), end


def _document(text: Text, start: int) -> Read:
    """A policy document with the spans findings are located at: each statement, each
    item of Action / NotAction / Resource / NotResource, the principal's every part; the
    rest of a statement (a Condition) at its member's span. A URL-encoded (or any other)
    text is read as it is."""
    if text.char(start) != "{":
        return text.read(start)
    found: dict[str, Value] = {}

    def member(key: str, pos: int) -> int | None:
        if key == "Statement" and text.char(pos) == "[":
            found[key], end = _list(text, pos, lambda at: _statement(text, at))
        elif key == "Statement":
            found[key], end = _statement(text, pos)
        else:
            plain, end = text.value(pos)
            found[key] = text.coarse(pos, end, plain)
        return end

    end = text.each_member(start, member)
    return Known(found, text.span(start, end)), end


def _statement(text: Text, start: int) -> Read:
    if text.char(start) != "{":
        plain, end = text.value(start)
        return text.coarse(start, end, plain), end
    found: dict[str, Value] = {}

    def member(key: str, pos: int) -> int | None:
        if key in ("Principal", "NotPrincipal"):
            found[key], end = text.read(pos)
        elif key in _LISTS:
            found[key], end = text.items(pos)
        else:
            plain, end = text.value(pos)
            found[key] = text.coarse(pos, end, plain)
        return end

    end = text.each_member(start, member)
    return Known(found, text.span(start, end)), end
