"""``iamlint access --format dot``: the chains as one Graphviz digraph."""

from __future__ import annotations

from iamlint.access.model import ComputeAccess


def render(report) -> str:
    nodes: dict[str, str] = {}
    edges: list[str] = []
    for item in report.computes:
        _chain(item, nodes, edges)
    lines = ["digraph access {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    lines += [f"  {_q(key)} [label={_q(label)}];" for key, label in nodes.items()]
    lines += [f"  {edge};" for edge in dict.fromkeys(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _chain(item: ComputeAccess, nodes: dict[str, str], edges: list[str]) -> None:
    compute = item.compute.address
    nodes[compute] = f"{item.compute.kind}\n{compute}\n{item.compute.where}"
    for user in item.used_by:
        nodes[user.address] = f"{user.kind}\n{user.address}"
        edges.append(f"{_q(user.address)} -> {_q(compute)}")
    if item.profile is None:
        if item.unresolved:
            key = f"{compute}:unresolved"
            nodes[key] = item.unresolved
            edges.append(f"{_q(compute)} -> {_q(key)} [style=dashed]")
        return
    profile = item.profile.address
    nodes[profile] = f"instance profile\n{profile}\n{item.profile.where}"
    edges.append(f"{_q(compute)} -> {_q(profile)}")
    for role in item.roles:
        key = role.role.address
        methods = len(role.methods)
        nodes[key] = f"role\n{key}\n{role.role.where}" + (f"\n{methods} escalation method(s)" if methods else "")
        edges.append(f"{_q(profile)} -> {_q(key)}")
        for policy in role.policies:
            name = policy.note if policy.kind == "AWS managed policy" else policy.address
            policy_key = f"{policy.kind}:{name}:{policy.where}"
            nodes[policy_key] = f"{policy.kind}\n{name}\n{policy.where}"
            edges.append(f"{_q(key)} -> {_q(policy_key)}")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
