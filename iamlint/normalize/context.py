"""Account snapshots (``--account FILE``) and Terraform states (``--state FILE``) as
context for code.

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
    Group,
    InstanceProfile,
    ManagedPolicy,
    Node,
    Role,
    User,
)
from iamlint.model.links import exported_value, exports_named, profile_of, resolve
from iamlint.model.span import Span
from iamlint.model.units import SourceError
from iamlint.model.values import Imported, Known, Lookup, Ref, Value
from iamlint.report import LocatedFinding, Related


@dataclass
class AccountContext:
    """The snapshot graph of ``--account`` files, the files (display paths) and their
    errors."""

    graph: Graph
    files: frozenset[str]
    errors: list[SourceError] = field(default_factory=list)
    states: frozenset[str] = frozenset()  # the files of ``files`` that are Terraform states

    def source(self, path: str | None = None) -> str:
        """What a file (or, without one, the context as a whole) is, for messages."""
        if path is not None:
            return "the Terraform state" if os.path.normpath(path) in self.states else "the account snapshot"
        kinds = {"the Terraform state" if f in self.states else "the account snapshot" for f in self.files}
        return " or ".join(sorted(kinds))


def load_context(paths: tuple[str, ...], partition: str, states: tuple[str, ...] = ()) -> AccountContext:
    """The snapshots (``--account``) and Terraform states (``--state``) as one graph."""
    # start-up: the snapshot and state readers only with --account / --state
    from iamlint.normalize.account import load_snapshot
    from iamlint.normalize.state import load_state

    result = load_snapshot([(p, p) for p in paths], partition) if paths else None
    graph = result.graph if result is not None else Graph(partition=partition)
    errors = list(result.errors) if result is not None else []
    for path in states:
        nodes, problems = load_state(path)
        errors.extend(problems)
        for node in nodes:
            if graph.by_address(node.address) is None:
                graph.add(node)
    return AccountContext(graph, frozenset(os.path.normpath(p) for p in (*paths, *states)), errors,
                          frozenset(os.path.normpath(p) for p in states))


def attach(graph: Graph, context: AccountContext) -> dict[str, Span]:
    """Add the snapshot nodes the code's unresolved references name (to a fixpoint);
    returns each added node's address -> the span of the code reference behind it."""
    origins: dict[str, Span] = {}
    graph.searched = context.source()  # what the code does not define is not there either: EC2002 says so
    while True:
        found = list(_wanted(graph, origins))
        added = False
        for value, kind, origin in found:
            if isinstance(value, Imported):  # the export it reads comes along (resolve follows it)
                exports = exports_named(context.graph, value.export)
                if len(exports) == 1 and graph.by_address(exports[0].address) is None:
                    graph.add(exports[0])
                    origins[exports[0].address] = origin
                    added = True
            node = _unique(context.graph, value, kind)
            if node is not None and graph.by_address(node.address) is None:
                graph.add(node)
                origins[node.address] = origin
                added = True
        if not added:
            return origins


def _wanted(graph: Graph, origins: dict[str, Span]) -> list[tuple[Value, type[Node], Span]]:
    """(reference, node kind, origin span) of each unresolved name, ARN or reference: a
    compute's profile, a profile's roles, the roles, users, groups, managed policies and
    permissions boundaries that roles, users, groups, policies, attachments and
    memberships name."""
    wanted: list[tuple[Value, type[Node], Span]] = []

    def want(value: Value, kind: type[Node], holder: Node) -> None:
        named = (isinstance(value, Known) and isinstance(value.value, str)) or isinstance(value, (Ref, Imported))
        if named and resolve(graph, value, kind, "x").node is None:
            wanted.append((value, kind, origins.get(holder.address, value.span)))

    for node in list(graph.nodes):
        if isinstance(node, Compute):
            found = profile_of(graph, node)
            if found is not None and found.node is None:
                want(found.value, InstanceProfile, node)
            continue
        for name, kind in _REFERENCES:
            values = getattr(node, name, None)
            if isinstance(values, tuple):
                for value in values:
                    want(value, kind, node)
            elif name == "permissions_boundary" and values is not None:
                want(values, ManagedPolicy, node)
    return wanted


# the fields of a node that name other nodes, and the kind they name
_REFERENCES: tuple[tuple[str, type[Node]], ...] = (
    ("roles", Role), ("users", User), ("groups", Group), ("managed_policy_arns", ManagedPolicy),
    ("policy_arns", ManagedPolicy), ("permissions_boundary", ManagedPolicy),
)


def _unique(snapshot: Graph, value: Value, kind: type[Node]) -> Node | None:
    """The one snapshot node of ``kind`` the name or ARN names, or the state node a
    reference names by address (None: none, or several)."""
    if isinstance(value, Lookup) and value.name and not isinstance(snapshot.by_address(value.address), kind):
        # a data source looking the resource up by name: the one snapshot node of that
        # name, under the data source's address (the code's references find it there)
        found = _unique(snapshot, Known(value.name, value.span), kind)
        return replace(found, address=value.address) if found is not None else None
    if isinstance(value, Ref):
        node = snapshot.by_address(value.address)
        return node if isinstance(node, kind) else None
    if isinstance(value, Imported):  # Fn::ImportValue: the value of the one export of that name
        exported = exported_value(snapshot, value.export)
        return _unique(snapshot, exported, kind) if isinstance(exported, Known) else None
    text = value.value if isinstance(value, Known) else None
    if not isinstance(text, str):
        return None
    if text.startswith("arn:"):
        node = snapshot.by_address(text)
        if isinstance(node, kind):
            return node
        matches = [n for n in snapshot.of_type(kind) if _arn(n) == text]  # a state's nodes, by their arn
        return matches[0] if len(matches) == 1 else None
    matches = [n for n in snapshot.of_type(kind) if _name(n) == text]
    return matches[0] if len(matches) == 1 else None


def _arn(node: Node) -> object:
    arn = node.attributes.get("arn")
    return arn.value if isinstance(arn, Known) else None


def _name(node: Node) -> object:
    name = getattr(node, "name", None)
    return name.value if isinstance(name, Known) else None


def relocate(finding: LocatedFinding, origins: dict[str, Span], context: AccountContext) -> LocatedFinding:
    """A finding located in a context file moved to the code reference that brought the
    node in (the context entry becomes a related location)."""
    if os.path.normpath(finding.path) in context.files:
        return _moved(finding, origins, context.source(finding.path))
    return finding


def _moved(finding: LocatedFinding, origins: dict[str, Span], source: str) -> LocatedFinding:
    origin = origins.get(finding.resource)
    if origin is None:
        origin = next((origins[r.resource] for r in finding.related if r.resource in origins), None)
    if origin is None:
        return finding
    where = Span(finding.path, finding.line, finding.column, finding.end_line, finding.end_column)
    return replace(
        finding,
        message=f"{finding.message} (from {source}, {os.path.basename(finding.path)}:{finding.line})",
        path=origin.file, line=origin.line, column=origin.column, end_line=origin.end_line, end_column=origin.end_column,
        related=(Related(source.removeprefix("the "), finding.resource, where), *finding.related),
    )
