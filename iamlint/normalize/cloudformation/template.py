"""The sections of one template that intrinsic functions read: parameters, mappings,
conditions and the logical ids (with their types) of its resources; and the
suppressions it declares as data (``Metadata: {iamlint: {ignore: [...]}}`` of each
resource, for :mod:`iamlint.suppressions`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamlint.model.units import DeclaredSuppression
from iamlint.model.values import Known


@dataclass(slots=True)
class Template:
    """A CloudFormation template's sections, each value with its span."""

    file: str
    parameters: dict[str, Known] = field(default_factory=dict)
    mappings: dict[str, Known] = field(default_factory=dict)
    conditions: dict[str, Known] = field(default_factory=dict)
    resources: dict[str, Known] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_tree(cls, tree: Known, file: str) -> Template:
        top = tree.value if isinstance(tree.value, dict) else {}
        template = cls(
            file,
            parameters=_section(top, "Parameters"),
            mappings=_section(top, "Mappings"),
            conditions=_section(top, "Conditions"),
            resources=_section(top, "Resources"),
        )
        for logical_id, body in template.resources.items():
            kind = body.value.get("Type") if isinstance(body.value, dict) else None
            if isinstance(kind, Known) and isinstance(kind.value, str):
                template.types[logical_id] = kind.value
        return template


def _section(top: dict, name: str) -> dict[str, Known]:
    section = top.get(name)
    if isinstance(section, Known) and isinstance(section.value, dict):
        return {key: value for key, value in section.value.items() if isinstance(value, Known)}
    return {}


def declared_suppressions(tree: Known) -> tuple[DeclaredSuppression, ...]:
    """Every ``{rule, reason, until}`` entry of every resource's iamlint Metadata, in
    template order (whatever the resource's Condition: it is the text that declares it)."""
    found: list[DeclaredSuppression] = []
    for logical_id, resource in _items(_get(tree, "Resources")):
        entries = _get(_get(_get(resource, "Metadata"), "iamlint"), "ignore")
        found.extend(_entry(logical_id, entry) for entry in _list(entries))
    return tuple(found)


def _entry(logical_id: str, entry: Known) -> DeclaredSuppression:
    span = entry.span
    fields = entry.value if isinstance(entry.value, dict) else {}
    rule, reason, until = (_plain(fields.get(key)) for key in ("rule", "reason", "until"))
    return DeclaredSuppression(
        resource=logical_id,
        line=span.line,
        column=span.column,
        end_column=span.end_column if span.end_line == span.line else span.column + 1,
        rule=str(rule) if rule else None,
        reason=str(reason) if reason is not None else None,
        until=str(until) if until is not None else None,
        problem=None if isinstance(entry.value, dict) else "expected a mapping with rule and reason",
    )


def _get(node: Any, key: str) -> Any:
    value = getattr(node, "value", None)
    return value.get(key) if isinstance(value, dict) else None


def _items(node: Any) -> Any:
    value = getattr(node, "value", None)
    return value.items() if isinstance(value, dict) else ()


def _list(node: Any) -> list:
    value = getattr(node, "value", None)
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [node] if isinstance(value, dict) else []


def _plain(node: Any) -> Any:
    return None if node is None else getattr(node, "value", node)
