"""One IAM policy model for every format: documents, statements, principals, actions.

Documents are built from a :class:`~iamlint.model.values.Value` holding the IAM JSON
structure (``{"Version": ..., "Statement": [...]}``), whichever syntax produced it: a
Terraform ``jsonencode``, JSON text in a heredoc, a ``data "aws_iam_policy_document"``,
or a CloudFormation mapping. Every statement and every action keeps its span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from iamlint.model.span import Span, fast_pickle
from iamlint.model.values import Encoded, Known, Unknown, Value, as_list


@fast_pickle
@dataclass(frozen=True, slots=True)
class Principal:
    """One principal entry: ``kind`` is "*", "AWS", "Service", "Federated", "CanonicalUser"
    or "?" when the principal block itself is unknown."""

    kind: str
    value: Value

    @property
    def span(self) -> Span:
        return self.value.span


@fast_pickle
@dataclass(frozen=True, slots=True)
class Statement:
    span: Span
    sid: Value | None = None
    effect: Value | None = None
    actions: tuple[Value, ...] = ()
    not_actions: tuple[Value, ...] = ()
    resources: tuple[Value, ...] = ()
    not_resources: tuple[Value, ...] = ()
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    condition: Value | None = None
    has_not_action: bool = False
    has_principal: bool = False
    has_not_principal: bool = False

    @property
    def is_allow(self) -> bool | None:
        """True for Allow, False for Deny, None when the effect cannot be known."""
        if self.effect is None:
            return None
        if isinstance(self.effect, Known) and isinstance(self.effect.value, str):
            return self.effect.value == "Allow"
        return None

    @classmethod
    def from_value(cls, value: Value) -> "Statement | Unknown":
        if isinstance(value, Unknown):
            return value
        body = value.value
        if not isinstance(body, dict):
            return Unknown("statement is not an object", value.span)
        return cls(
            span=value.span,
            sid=body.get("Sid"),
            effect=body.get("Effect"),
            actions=_items(body.get("Action")),
            not_actions=_items(body.get("NotAction")),
            resources=_items(body.get("Resource")),
            not_resources=_items(body.get("NotResource")),
            principals=_principals(body.get("Principal")),
            not_principals=_principals(body.get("NotPrincipal")),
            condition=body.get("Condition"),
            has_not_action="NotAction" in body,
            has_principal="Principal" in body,
            has_not_principal="NotPrincipal" in body,
        )


@fast_pickle
@dataclass(frozen=True, slots=True)
class PolicyDocument:
    span: Span
    statements: tuple["Statement | Unknown", ...]
    version: Value | None = None

    @classmethod
    def from_value(cls, value: Value) -> "PolicyDocument | Unknown":
        """Build a document from its IAM JSON structure (or a JSON string of it)."""
        if isinstance(value, Unknown):
            return value
        inner = value.value
        if isinstance(inner, Encoded):
            return cls.from_value(inner.data)
        if isinstance(inner, str):
            return Unknown("policy given as text that was not decoded", value.span)
        if not isinstance(inner, dict):
            return Unknown("policy document is not a JSON object", value.span)
        statements = inner.get("Statement")
        if statements is None:
            return cls(value.span, (), inner.get("Version"))
        items = as_list(statements)
        return cls(value.span, tuple(Statement.from_value(item) for item in items), inner.get("Version"))


Document = Union[PolicyDocument, Unknown]


def _items(value: Value | None) -> tuple[Value, ...]:
    if value is None:
        return ()
    return tuple(as_list(value))


def _principals(value: Value | None) -> tuple[Principal, ...]:
    if value is None:
        return ()
    if isinstance(value, Unknown):
        return (Principal("?", value),)
    inner = value.value
    if isinstance(inner, str):
        return (Principal("*" if inner == "*" else "?", value),)
    if not isinstance(inner, dict):
        return (Principal("?", Unknown("principal is neither '*' nor an object", value.span)),)
    entries: list[Principal] = []
    for kind, items in inner.items():
        for item in as_list(items):
            entries.append(Principal(kind, item))
    return tuple(entries)

