"""``iamlint access --format json``: the documented, stable contract (docs/access.md,
docs/access.schema.json)."""

from __future__ import annotations

import json

from iamlint import __version__
from iamlint.access.model import ComputeAccess, Link, RoleAccess

SCHEMA_VERSION = 1


def document(report) -> dict:
    return {
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "computes": [_compute(item) for item in report.computes],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
    }


def render(report) -> str:
    return json.dumps(document(report), indent=2) + "\n"


def _link(link: Link) -> dict:
    item = {"kind": link.kind, "address": link.address, "path": link.path, "line": link.line, "column": link.column}
    if link.note:
        item["note"] = link.note
    return item


def _compute(item: ComputeAccess) -> dict:
    return {
        **_link(item.compute),
        "used_by": [_link(u) for u in item.used_by],
        "profile": _link(item.profile) if item.profile else None,
        "roles": [_role(role) for role in item.roles],
        "unresolved": item.unresolved or None,
        "fixes": [
            {"rule": f.rule, "path": f.path, "line": f.line, "column": f.column, "applicability": f.applicability,
             "message": f.message, "command": f.command}
            for f in item.fixes
        ],
    }


def _role(role: RoleAccess) -> dict:
    return {
        **_link(role.role),
        "policies": [_link(p) for p in role.policies],
        "boundary": _link(role.boundary) if role.boundary else None,
        "permissions": [
            {"service": p.service, "access_level": p.level, "count": p.count, "examples": list(p.examples),
             "resources": list(p.resources)}
            for p in role.permissions
        ],
        "risks": {
            "methods": [
                {"name": m.name, "id": m.id, "url": m.url, "actions": list(m.actions), "reported_by": m.reported_by}
                for m in role.methods
            ],
            "categories": {category: list(examples) for category, examples in role.categories.items()},
        },
    }
