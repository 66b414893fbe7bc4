"""Grants: one action pattern of one statement, with where it is written and how it
reaches a principal (its provenance), its resources and its condition keys.

A statement ``{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Put*"], "Resource": "*"}``
gives two grants; ``NotAction`` gives one grant matching every action except the listed
ones. Action patterns are matched case-insensitively with IAM's wildcards; an action or
effect that cannot be evaluated gives no grant (it is reported by EC2002, never guessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator, cast

from iamlint.model.graph import AwsManagedPolicy, Graph, Node
from iamlint.model.policy import PolicyDocument, Statement
from iamlint.model.values import Known, Value, as_list
from iamlint.permissions.arns import ALL, scope, wildcard

SERVICE_WILDCARD = re.compile(r"[a-z0-9-]+:\*+", re.IGNORECASE)
# condition keys that do not narrow what is granted, only how the request travels
NOT_CONSTRAINING = frozenset({"aws:securetransport"})


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a statement is written and how it reaches the principal.

    ``holder`` is the node whose field holds the document (a role for an inline policy, a
    role policy, a managed policy, an AWS managed policy node) and ``document_path`` the
    path to the document in it; ``index`` is the statement's position. ``site`` and
    ``site_path`` are where the policy is attached (the role itself, an attachment node,
    a role's ``managed_policy_arns`` entry): for an AWS managed policy, whose text is not
    in the scanned code, that is where a finding is located."""

    holder: Node
    document_path: tuple
    index: int
    site: Node
    site_path: tuple
    statement: Statement

    @property
    def aws_managed(self) -> bool:
        return isinstance(self.holder, AwsManagedPolicy)

    @property
    def path(self) -> tuple:
        return self.document_path + ("statements", self.index)

    @property
    def key(self) -> tuple:
        """The statement's identity, whichever attachment it came through."""
        if isinstance(self.holder, AwsManagedPolicy):
            return (self.site.address, self.site_path, self.index)
        return (self.holder.address, self.document_path, self.index)

    def location(self, step: tuple = ()) -> tuple[Node, tuple]:
        """(node, path) of the statement or of a part of it (``("actions", 2)``), for the
        locator; an AWS managed policy's statements are located at its attachment."""
        if self.aws_managed:
            return self.site, self.site_path
        return self.holder, self.path + step

    def describe(self) -> str:
        if isinstance(self.holder, AwsManagedPolicy):  # self.aws_managed, narrowed for the type checker
            name = self.holder.name.value if isinstance(self.holder.name, Known) else self.holder.address
            return f"AWS managed policy {name}"
        if self.document_path[:1] == ("inline_policies",):
            return f"inline policy #{self.document_path[1] + 1} of {self.holder.address}"
        return f"policy {self.holder.address}"


@dataclass(frozen=True, slots=True)
class Grant:
    """One action pattern of one statement. ``action_index`` is its position in
    ``Action`` (None for a ``NotAction`` grant, whose ``excluded`` patterns it does not
    match); ``resources`` the known texts of ``Resource`` (``unknown_resources`` when an
    entry could not be evaluated); ``condition_keys`` the keys of a constraining
    ``Condition`` (``("?",)`` when the condition cannot be read)."""

    origin: Origin
    allow: bool
    pattern: str
    action_index: int | None = None
    excluded: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    unknown_resources: bool = False
    not_resource: bool = False
    condition_keys: tuple[str, ...] = ()
    wildcard: bool = False  # what IAM002 / IAM003 report: "*", "service:*" or NotAction

    @property
    def conditioned(self) -> bool:
        return bool(self.condition_keys)

    def matches(self, action: str) -> bool:
        """Whether this grant names ``action`` (``service:Name``, any case)."""
        if self.action_index is None:
            return not any(pattern_matches(p, action) for p in self.excluded)
        return pattern_matches(self.pattern, action)

    def scope(self, service: str, types: str) -> str:
        """ALL, SOME, UNKNOWN or NONE of the resources of an action (see arns.scope)."""
        return scope(self.resources, self.unknown_resources, self.not_resource, service, types)

    def unscoped(self, service: str, types: str) -> bool:
        return self.scope(service, types) == ALL

    def location(self) -> tuple[Node, tuple]:
        if self.action_index is None:
            return self.origin.location(("not_actions", 0))
        return self.origin.location(("actions", self.action_index))


@lru_cache(maxsize=65536)
def pattern_matches(pattern: str, action: str) -> bool:
    """Whether an action pattern names ``action`` (memoised: the same patterns and the same
    actions of the risk catalogue come back in every module)."""
    return matcher(pattern)(action)


@lru_cache(maxsize=8192)
def matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate on ``service:Name`` for one action pattern (case-insensitive)."""
    text = pattern.strip().lower()
    if text == "*":
        return lambda action: True
    if "*" not in text and "?" not in text:
        return lambda action: action.lower() == text
    regex = wildcard(text, fold=True)
    return lambda action: regex.fullmatch(action) is not None


def document_grants(document: object, holder: Node, document_path: tuple, site: Node, site_path: tuple) -> Iterator[Grant]:
    """The grants of every statement of a document whose effect is known."""
    if not isinstance(document, PolicyDocument):
        return
    for index, statement in enumerate(document.statements):
        if not isinstance(statement, Statement) or statement.is_allow is None:
            continue
        origin = Origin(holder, document_path, index, site, site_path, statement)
        yield from statement_grants(origin)


def graph_grants(graph: Graph, document: object, holder: Node, document_path: tuple, site: Node,
                 site_path: tuple) -> tuple[Grant, ...]:
    """``document_grants``, memoised per graph (``graph.memo``): the effective permissions,
    the exposures and the wildcard tests read the same documents through the same
    attachments, and each read built every Origin and Grant again. The key holds the ids
    of the document and nodes, which the graph keeps alive (adding a node clears the memo)."""
    # graph.memo holds one entry per query, each of the type its query stores
    memo = cast("dict[tuple, tuple[Grant, ...]]", graph.memo.setdefault("permissions.grants", {}))
    key = (id(document), id(holder), document_path, id(site), site_path)
    found = memo.get(key)
    if found is None:
        found = memo[key] = tuple(document_grants(document, holder, document_path, site, site_path))
    return found


def statement_grants(origin: Origin) -> Iterator[Grant]:
    for fields in _parsed(origin.statement):
        yield Grant(origin, **fields)


# id(statement) -> (statement, its grants' fields): a statement is read once however many
# principals and rules ask (the statement is kept, so its id cannot be reused meanwhile)
_PARSED: dict[int, tuple[Statement, list[dict]]] = {}


def _parsed(statement: Statement) -> list[dict]:
    found = _PARSED.get(id(statement))
    if found is not None and found[0] is statement:
        return found[1]
    if len(_PARSED) > 50_000:
        _PARSED.clear()
    resources, unknown = _texts(statement.not_resources if statement.not_resources else statement.resources)
    common = dict(
        allow=bool(statement.is_allow),
        resources=resources,
        unknown_resources=unknown,
        not_resource=bool(statement.not_resources),
        condition_keys=condition_keys(statement.condition),
    )
    fields = []
    if statement.has_not_action:
        excluded, unknown_action = _texts(statement.not_actions)
        if excluded and not unknown_action:
            fields.append(dict(pattern="NotAction", excluded=excluded, wildcard=True, **common))
    else:
        for index, action in enumerate(statement.actions):
            if isinstance(action, Known) and isinstance(action.value, str) and action.value.strip():
                text = action.value.strip()
                wildcard = text == "*" or bool(SERVICE_WILDCARD.fullmatch(text))
                fields.append(dict(pattern=text, action_index=index, wildcard=wildcard, **common))
    _PARSED[id(statement)] = (statement, fields)
    return fields


def _texts(values: tuple[Value, ...]) -> tuple[tuple[str, ...], bool]:
    texts, unknown = [], False
    for value in values:
        for item in as_list(value):
            if isinstance(item, Known) and isinstance(item.value, str):
                texts.append(item.value.strip())
            elif not (isinstance(item, Known) and item.value is None):
                unknown = True
    return tuple(texts), unknown


def condition_keys(condition: Value | None) -> tuple[str, ...]:
    """The keys of a Condition that narrow the grant, in order; ``("?",)`` for one that
    cannot be read; () for none (or only keys such as aws:SecureTransport)."""
    if condition is None or (isinstance(condition, Known) and condition.value in (None, {})):
        return ()
    if not isinstance(condition, Known) or not isinstance(condition.value, dict):
        return ("?",)
    keys: list[str] = []
    for block in condition.value.values():
        if not isinstance(block, Known) or not isinstance(block.value, dict):
            return ("?",)
        keys.extend(key for key in block.value if key.lower() not in NOT_CONSTRAINING)
    return tuple(dict.fromkeys(keys))
