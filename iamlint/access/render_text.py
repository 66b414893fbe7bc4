"""``iamlint access`` as text: one block per compute resource, readable in a terminal."""

from __future__ import annotations

from iamlint.access.model import ComputeAccess, PermissionLine, RoleAccess

WIDTH = 3  # resources shown per permission line


def render(report) -> str:
    if not report.computes:
        return "No EC2 instance, launch template, launch configuration or spot request in the scanned code.\n"
    return "\n".join(_compute(item) for item in report.computes)


def _compute(item: ComputeAccess) -> str:
    lines = [f"{item.compute.address} ({item.compute.kind})  {item.compute.where}"]
    lines += [f"  {u.kind} {u.address}  {u.where}" for u in item.used_by]
    if item.profile is not None:
        lines.append(f"  -> instance profile {item.profile.address}  {item.profile.where}")
    for role in item.roles:
        lines += _role(role)
    if item.unresolved:
        lines.append(f"  -> {item.unresolved}")
    if item.fixes:
        lines.append("  fixes (iamlint check proposes them):")
        lines += [f"    {f.rule} {f.path}:{f.line}:{f.column}: {f.message} ({f.applicability}: {f.command})" for f in item.fixes]
    return "\n".join(lines) + "\n"


def _role(role: RoleAccess) -> list[str]:
    lines = [f"     -> role {role.role.address}  {role.role.where}"]
    for policy in role.policies:
        note = f" ({policy.note})" if policy.note else ""
        lines.append(f"        -> {policy.kind} {policy.address}{note}  {policy.where}")
    if role.boundary is not None:
        lines.append(f"        permissions boundary: {role.boundary.note}  {role.boundary.where}")
    lines.append("        effective permissions (service, access level, actions, resources):")
    lines += [f"          {_permission(line)}" for line in role.permissions] or ["          none"]
    lines.append("        risks:")
    risks = [f"          privilege escalation: {m.name} ({m.id}): {' + '.join(m.actions)} [{m.reported_by}]"
             for m in role.methods]
    for category, examples in role.categories.items():
        if category != "privilege-escalation":
            shown = ", ".join(examples[:4]) + (f" and {len(examples) - 4} more" if len(examples) > 4 else "")
            risks.append(f"          {category.replace('-', ' ')}" + (f": {shown}" if shown else ""))
    lines += risks or ["          none found"]
    return lines


def _permission(line: PermissionLine) -> str:
    more = len(line.resources) - WIDTH
    resources = ", ".join(line.resources[:WIDTH]) + (f" and {more} more" if len(line.resources) > WIDTH else "")
    if line.service == "*":
        return f"{line.level} (all {line.count:,} actions of every service) on {resources}"
    examples = ", ".join(line.examples) + (", ..." if line.count > len(line.examples) else "")
    return f"{line.service:<16} {line.level:<24} {line.count:>4}  {examples}  on {resources}"
