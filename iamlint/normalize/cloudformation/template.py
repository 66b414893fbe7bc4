"""The sections of one template that intrinsic functions read: parameters, mappings,
conditions and the logical ids (with their types) of its resources."""

from __future__ import annotations

from dataclasses import dataclass, field

from iamlint.model.values import Known


@dataclass(slots=True)
class Template:
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
