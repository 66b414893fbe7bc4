"""An account snapshot as context for code (``--account FILE``).

Code often names what exists only in the account: an instance profile by name
(``iam_instance_profile = "legacy-web"``), a role, a customer managed policy ARN. Without
context those stay unresolved (EC2002, cannot verify). With a snapshot, :func:`attach`
adds to the code's graph the snapshot nodes that its unresolved references name -- an
instance profile, then its roles, then their customer managed policies, and roles and
policies that the code attaches to or names -- each remembered with the span of the code
reference that brought it in. The rules then judge the whole chain; :func:`relocate`
moves each finding located in a snapshot file to that code reference, with the snapshot
entry as a related location, so findings are located in the code. What the snapshot does
not hold stays unresolved, and EC2002 says it is not in the account snapshot either.
Only names that resolve to exactly one snapshot node are used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from iamlint.model.graph import (
    Compute,
    Graph,
    InstanceProfile,
    ManagedPolicy,
    Node,
    PolicyAttachment,
    Role,
    RolePolicy,
)
from iamlint.model.links import profile_of, resolve
from iamlint.model.span import Span
from iamlint.model.units import SourceError
from iamlint.model.values import Known, Value
from iamlint.report import LocatedFinding, Related

NOT_IN_CODE = "is not defined in the scanned code"
ACCOUNT_RELATED = "account snapshot"


@dataclass
class AccountContext:
    """The snapshot graph of ``--account`` files, the files (display paths) and their
    errors."""

    graph: Graph
    files: frozenset[str]
    errors: list[SourceError] = field(default_factory=list)


def load_context(paths: tuple[str, ...], partition: str) -> AccountContext:
    # start-up: the snapshot normaliser only with --account
    from iamlint.normalize.account import load_snapshot

    result = load_snapshot([(p, p) for p in paths], partition)
    return AccountContext(result.graph, frozenset(os.path.normpath(p) for p in paths), result.errors)


def attach(graph: Graph, context: AccountContext) -> dict[str, Span]:
    """Add the snapshot nodes the code's unresolved references name (to a fixpoint);
    returns each added node's address -> the span of the code reference behind it."""
    origins: dict[str, Span] = {}
    while True:
        found = list(_wanted(graph, origins))
        added = False
        for value, kind, origin in found:
            node = _unique(context.graph, value, kind)
            if node is not None and graph.by_address(node.address) is None:
                graph.add(node)
                origins[node.address] = origin
                added = True
        if not added:
            return origins


def _wanted(graph: Graph, origins: dict[str, Span]) -> list[tuple[Value, type[Node], Span]]:
    """(reference, node kind, origin span) of each unresolved Known reference."""
    wanted: list[tuple[Value, type[Node], Span]] = []

    def want(value: Value, kind: type[Node], holder: Node) -> None:
        if isinstance(value, Known) and isinstance(value.value, str) and resolve(graph, value, kind, "x").node is None:
            wanted.append((value, kind, origins.get(holder.address, value.span)))

    for node in list(graph.nodes):
        if isinstance(node, Compute):
            found = profile_of(graph, node)
            if found is not None and found.node is None:
                want(found.value, InstanceProfile, node)
        elif isinstance(node, InstanceProfile):
            for value in node.roles:
                want(value, Role, node)
        elif isinstance(node, Role):
            for value in node.managed_policy_arns:
                want(value, ManagedPolicy, node)
        elif isinstance(node, (RolePolicy, PolicyAttachment, ManagedPolicy)):
            for value in node.roles:
                want(value, Role, node)
            for value in getattr(node, "policy_arns", ()):
                want(value, ManagedPolicy, node)
    return wanted


def _unique(snapshot: Graph, value: Value, kind: type[Node]) -> Node | None:
    """The one snapshot node of ``kind`` the name or ARN names (None: none, or several)."""
    text = value.value if isinstance(value, Known) else None
    if not isinstance(text, str):
        return None
    if text.startswith("arn:"):
        node = snapshot.by_address(text)
        return node if isinstance(node, kind) else None
    matches = [n for n in snapshot.of_type(kind) if _name(n) == text]
    return matches[0] if len(matches) == 1 else None


def _name(node: Node) -> object:
    name = getattr(node, "name", None)
    return name.value if isinstance(name, Known) else None


def relocate(findings: list[LocatedFinding], origins: dict[str, Span], context: AccountContext) -> list[LocatedFinding]:
    """Findings located in a snapshot file moved to the code reference that brought the
    snapshot node in (the snapshot entry becomes a related location); EC2002's "not
    defined in the scanned code" says the snapshot lacks it too."""
    result = []
    for finding in findings:
        if os.path.normpath(finding.path) in context.files:
            finding = _moved(finding, origins)
        elif finding.rule == "EC2002" and NOT_IN_CODE in finding.message:
            finding = replace(finding, message=finding.message.replace(
                NOT_IN_CODE, NOT_IN_CODE + " and is not in the account snapshot"))
        result.append(finding)
    return result


def _moved(finding: LocatedFinding, origins: dict[str, Span]) -> LocatedFinding:
    origin = origins.get(finding.resource)
    if origin is None:
        origin = next((origins[r.resource] for r in finding.related if r.resource in origins), None)
    if origin is None:
        return finding
    where = Span(finding.path, finding.line, finding.column, finding.end_line, finding.end_column)
    return replace(
        finding,
        message=f"{finding.message} (from the account snapshot, {os.path.basename(finding.path)}:{finding.line})",
        path=origin.file, line=origin.line, column=origin.column, end_line=origin.end_line, end_column=origin.end_column,
        related=(Related(ACCOUNT_RELATED, finding.resource, where), *finding.related),
    )
