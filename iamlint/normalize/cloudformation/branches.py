"""Both branches of an ``Fn::If`` whose condition is decided at deploy time."""

from __future__ import annotations

from iamlint.model.span import Span
from iamlint.model.values import Conditional, Known, Unknown, Value
from iamlint.normalize.cloudformation.values import NO_VALUE, NoValue

# Keys whose value may be one item or a list: an undecided Fn::If there lists both branches.
MULTI_VALUED = frozenset(
    {"Action", "NotAction", "Resource", "NotResource", "Statement", "AWS", "Service", "Federated",
     "CanonicalUser", "ManagedPolicyArns", "Roles", "Policies", "Users", "Groups"}
)
DOCUMENT_KEYS = frozenset({"PolicyDocument", "AssumeRolePolicyDocument"})


def merge_branches(condition: str, values: list[Value], span: Span, key: str) -> Value | NoValue:
    """The value of an undecidable Fn::If under ``key`` (see the module docstring)."""
    if not values:
        return NO_VALUE
    note = f"condition {condition}"
    if key in MULTI_VALUED:
        items: list[Value] = []
        for value in values:
            items.extend(value.value if isinstance(value, Known) and isinstance(value.value, list) else [value])
        return Conditional(items, span, note)
    if key in DOCUMENT_KEYS and all(statements_of(value) is not None for value in values):
        statements = [item for value in values for item in statements_of(value) or []]
        return Known({"Statement": Known(statements, span)}, span)
    return Unknown(f"{key or 'the value'} depends on {note}, which is decided at deploy time", span)


def statements_of(value: Value) -> list[Value] | None:
    if not isinstance(value, Known) or not isinstance(value.value, dict):
        return None
    statements = value.value.get("Statement")
    if isinstance(statements, Known):
        return list(statements.value) if isinstance(statements.value, list) else [statements]
    return None
