"""``iamlint access --format markdown``: for pull-request comments and job summaries, with
a Mermaid graph of each chain (GitHub renders ```mermaid blocks)."""

from __future__ import annotations

import re

from iamlint.access.model import ComputeAccess, RoleAccess


def render(report) -> str:
    parts = ["# EC2 instance access\n"]
    if not report.computes:
        parts.append("No EC2 instance, launch template, launch configuration or spot request in the scanned code.\n")
    for item in report.computes:
        parts.append(_compute(item))
    return "\n".join(parts)


def _compute(item: ComputeAccess) -> str:
    out = [f"## `{item.compute.address}` ({item.compute.kind})\n", f"Defined at `{item.compute.where}`.\n"]
    out += ["```mermaid", "graph LR", *mermaid(item), "```", ""]
    if item.unresolved:
        out.append(f"The chain stops: {escape(item.unresolved)}.\n")
    for role in item.roles:
        out += _role(role)
    if item.fixes:
        out += ["**Fixes** (`iamlint check` proposes them)", ""]
        out += [f"- {f.rule} at `{f.path}:{f.line}:{f.column}`: {escape(f.message)} ({f.applicability}; `{f.command}`)"
                for f in item.fixes]
        out.append("")
    return "\n".join(out)


def mermaid(item: ComputeAccess) -> list[str]:
    """Nodes and edges of the chain (ids are safe Mermaid identifiers)."""
    lines: list[str] = []
    compute = _id(item.compute.address)
    lines.append(f'  {compute}["{label(item.compute.kind, item.compute.address)}"]')
    for user in item.used_by:
        lines.append(f'  {_id(user.address)}["{label(user.kind, user.address)}"] --> {compute}')
    if item.profile is None:
        if item.unresolved:
            lines.append(f'  {compute} -.-> unresolved_{compute}["{quote(item.unresolved)}"]')
        return lines
    profile = _id(item.profile.address)
    lines.append(f'  {compute} --> {profile}["{label("instance profile", item.profile.address)}"]')
    for role in item.roles:
        role_id = _id(role.role.address)
        lines.append(f'  {profile} --> {role_id}["{label("role", role.role.address)}"]')
        for number, policy in enumerate(role.policies):
            name = policy.note if policy.kind == "AWS managed policy" else policy.address
            lines.append(f'  {role_id} --> {role_id}_p{number}["{label(policy.kind, name)}"]')
        if role.boundary is not None:
            lines.append(f'  {role_id} -.-|boundary| {role_id}_b["{quote(role.boundary.note)}"]')
    return lines


def _role(role: RoleAccess) -> list[str]:
    out = [f"### Role `{role.role.address}` (`{role.role.where}`)\n", "| policy | where |", "| --- | --- |"]
    out += [f"| {policy.kind} `{policy.address}`{_note(policy.note)} | `{policy.where}` |" for policy in role.policies]
    out += ["", "| service | access level | actions | examples | resources |", "| --- | --- | ---: | --- | --- |"]
    for line in role.permissions:
        shown = ", ".join(f"`{e}`" for e in line.examples)
        resources = ", ".join(f"`{escape(r)}`" for r in line.resources[:3]) + (" ..." if len(line.resources) > 3 else "")
        out.append(f"| {line.service} | {line.level} | {line.count} | {shown} | {resources} |")
    out += ["", "**Risks**", ""]
    risks = [f"- privilege escalation: [{m.name}]({m.url}) ({' + '.join(f'`{a}`' for a in m.actions)}, {m.reported_by})"
             for m in role.methods]
    for category, examples in role.categories.items():
        if category != "privilege-escalation":
            risks.append(f"- {category.replace('-', ' ')}"
                         + (": " + ", ".join(f"`{e}`" for e in examples[:6]) if examples else ""))
    out += risks or ["- none found"]
    out.append("")
    return out


def _note(note: str) -> str:
    return f" ({escape(note)})" if note else ""


def _id(address: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", address)


def label(kind: str, name: str) -> str:
    return quote(f"{kind}<br/>{name}")


def quote(text: str) -> str:
    return text.replace('"', "#quot;")


def escape(text: str) -> str:
    return text.replace("|", "\\|")
