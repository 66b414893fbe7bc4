"""``iamlint access --base REV`` output: text, JSON (docs/access.md) and Markdown (a table
and a Mermaid graph of what changed, for a pull-request comment or the job summary)."""

from __future__ import annotations

import json
import re

from iamlint import __version__
from iamlint.access.diff import ActionChange, ComputeChange, RoleChange, reaches
from iamlint.access.model import LEVELS, Link, MethodRisk
from iamlint.access.render_markdown import escape, label, quote

SHOWN = 6  # actions listed per level in text and Markdown (JSON lists them all)


def render(report, output_format: str, fail_on_gain: str) -> str:
    if output_format == "json":
        return render_json(report, fail_on_gain)
    if output_format == "markdown":
        return render_markdown(report, fail_on_gain)
    return render_text(report, fail_on_gain)


def _changed(report) -> list[ComputeChange]:
    return [c for c in report.changes if c.status != "unchanged"]


def verdict(report, fail_on_gain: str) -> str:
    changed = _changed(report)
    gaining = [c for c in changed if c.gain()]
    failing = [c for c in gaining if reaches(c.gain(), fail_on_gain)]
    unchanged = len(report.changes) - len(changed)
    text = (f"{len(gaining)} compute resource{'s' if len(gaining) != 1 else ''} gained access since {report.revision}, "
            f"{len(changed) - len(gaining)} changed without a gain, {unchanged} unchanged")
    if failing:
        return text + f"; --fail-on-gain {fail_on_gain}: {len(failing)} reach it."
    return text + f"; nothing reaches --fail-on-gain {fail_on_gain}."


# ---------------------------------------------------------------- text


def render_text(report, fail_on_gain: str) -> str:
    blocks = [_text_compute(change) for change in _changed(report)]
    return "\n".join(blocks) + ("\n" if blocks else "") + verdict(report, fail_on_gain) + "\n"


def _text_compute(change: ComputeChange) -> str:
    grade = change.gain()
    lines = [f"{change.compute.address} ({change.compute.kind}, {change.status})  {change.compute.where}"
             + (f"  [gain: {grade}]" if grade else "")]
    if change.switched:
        lines.append(f"  instance profile: {_name(change.before)} -> {_name(change.after)}")
    for role in change.roles:
        lines += _text_role(role)
    lines += _text_actions("gained", change.gained) + _text_actions("lost", change.lost)
    lines += [f"  gained {label}" for label in change.everything_gained]
    lines += [f"  lost {label}" for label in change.everything_lost]
    lines += _capped([f"  new privilege escalation: {m.name} ({m.id}): {' + '.join(m.actions)}" for m in change.methods_gained],
                     "  and {} more new privilege-escalation methods")
    lines += _capped([f"  no longer privilege escalation: {m.name} ({m.id})" for m in change.methods_lost],
                     "  and {} more methods no longer possible")
    lines += [f"  risk gained: {_category(c)}{_names(names)}" for c, names in change.categories_gained.items()]
    lines += [f"  risk lost: {_category(c)}{_names(names)}" for c, names in change.categories_lost.items()]
    return "\n".join(lines) + "\n"


def _capped(lines: list[str], more: str) -> list[str]:
    return lines if len(lines) <= SHOWN else [*lines[:SHOWN], more.format(len(lines) - SHOWN)]


def _names(names: list[str]) -> str:
    return (": " + ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")) if names else ""


def _text_role(role: RoleChange) -> list[str]:
    if not role.changed:
        return [f"  role {role.role.address}  {role.role.where}"]
    lines = [f"  role {role.role.address} ({role.status})  {role.role.where}"]
    lines += [f"    trusts now: {p}" for p in role.trust_gained] + [f"    trusts no longer: {p}" for p in role.trust_lost]
    lines += [f"    attached: {_policy(p)}  {p.where}" for p in role.attached]
    lines += [f"    detached: {_policy(p)}  {p.where}" for p in role.detached]
    return lines


def _text_actions(verb: str, changes: list[ActionChange]) -> list[str]:
    lines = []
    for level, items in _by_level(changes):
        shown = ", ".join(_action(c) for c in items[:SHOWN]) + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
        lines.append(f"  {verb} {level} ({len(items)}): {shown}")
    return lines


def _by_level(changes: list[ActionChange]) -> list[tuple[str, list[ActionChange]]]:
    grouped: dict[str, list[ActionChange]] = {}
    for change in changes:
        grouped.setdefault(change.level, []).append(change)
    return [(level, grouped[level]) for level in LEVELS if level in grouped]


def _action(change: ActionChange) -> str:
    where = ", ".join(change.resources[:3]) + (" ..." if len(change.resources) > 3 else "")
    return f"{change.action} {'now also ' if change.widened else ''}on {where}"


def _name(link: Link | None) -> str:
    return link.address if link is not None else "none"


def _policy(link: Link) -> str:
    name = link.note if link.kind == "AWS managed policy" else link.address
    return f"{link.kind} {name}"


def _category(name: str) -> str:
    return name.replace("-", " ")


# ---------------------------------------------------------------- JSON


def render_json(report, fail_on_gain: str) -> str:
    document = {
        "version": __version__,
        "base": report.revision,
        "fail_on_gain": fail_on_gain,
        "changes": [_json_compute(change) for change in report.changes],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
    }
    return json.dumps(document, indent=2) + "\n"


def _link(link: Link | None) -> dict | None:
    if link is None:
        return None
    item = {"kind": link.kind, "address": link.address, "path": link.path, "line": link.line, "column": link.column}
    if link.note:
        item["note"] = link.note
    return item


def _json_compute(change: ComputeChange) -> dict:
    return {
        **(_link(change.compute) or {}),
        "status": change.status,
        "gain": change.gain(),
        "profile": {"before": _link(change.before), "after": _link(change.after), "switched": change.switched},
        "roles": [_json_role(role) for role in change.roles],
        "gained": [_json_action(c) for c in change.gained],
        "lost": [_json_action(c) for c in change.lost],
        "every_action_gained": change.everything_gained,
        "every_action_lost": change.everything_lost,
        "methods_gained": [_json_method(m) for m in change.methods_gained],
        "methods_lost": [_json_method(m) for m in change.methods_lost],
        "categories_gained": change.categories_gained,
        "categories_lost": change.categories_lost,
    }


def _json_role(role: RoleChange) -> dict:
    return {**(_link(role.role) or {}), "status": role.status, "trust_gained": role.trust_gained,
            "trust_lost": role.trust_lost, "attached": [_link(p) for p in role.attached],
            "detached": [_link(p) for p in role.detached]}


def _json_action(change: ActionChange) -> dict:
    return {"action": change.action, "access_level": change.level, "resources": list(change.resources),
            "widened": change.widened}


def _json_method(method: MethodRisk) -> dict:
    return {"name": method.name, "id": method.id, "url": method.url, "actions": list(method.actions)}


# ---------------------------------------------------------------- Markdown


def render_markdown(report, fail_on_gain: str) -> str:
    changed = _changed(report)
    out = [f"## iamlint: EC2 instance access since `{report.revision}`", "", verdict(report, fail_on_gain), ""]
    if changed:
        out += ["| compute | role | gained | lost | new risks |", "| --- | --- | --- | --- | --- |"]
        out += [_row(change) for change in changed]
        out += ["", "```mermaid", "graph LR", *mermaid(changed), "```", ""]
        for change in changed:
            out += _details(change)
    for error in report.errors:
        out.append(f"- input error: `{error.path}:{error.line}` {escape(error.message)}")
    return "\n".join(out).rstrip("\n") + "\n"


def _row(change: ComputeChange) -> str:
    compute = f"`{change.compute.address}` ({change.compute.kind}, {change.status})<br/>`{change.compute.where}`"
    roles = "<br/>".join(f"`{r.role.address}`" + (f" ({r.status})" if r.status != "kept" else "") for r in change.roles) or "none"
    if change.switched:
        roles += f"<br/>profile `{_name(change.before)}` → `{_name(change.after)}`"
    return (f"| {compute} | {roles} | {_cell(change.gained, change.everything_gained)} | "
            f"{_cell(change.lost, change.everything_lost)} | {_risk_cell(change)} |")


def _cell(changes: list[ActionChange], everything: list[str]) -> str:
    parts = [f"**{label}**" for label in everything]
    for level, items in _by_level(changes):
        names = ", ".join(f"`{c.action}`" for c in items[:3]) + (" ..." if len(items) > 3 else "")
        parts.append(f"{len(items)} {level}: {names}")
    return "<br/>".join(parts) or "—"


def _risk_cell(change: ComputeChange) -> str:
    parts = _capped([f"[{m.name}]({m.url})" for m in change.methods_gained], "and {} more escalation methods")
    parts += [_category(c) + (": " + ", ".join(f"`{n}`" for n in names[:3]) if names else "")
              for c, names in change.categories_gained.items()]
    parts += [f"trusts {escape(p)}" for r in change.roles for p in r.trust_gained]
    return "<br/>".join(parts) or "—"


def _details(change: ComputeChange) -> list[str]:
    out = [f"### `{change.compute.address}`" + (f" — gain: **{change.gain()}**" if change.gain() else ""), ""]
    for verb, items in (("Gained", change.gained), ("Lost", change.lost)):
        for level, group in _by_level(items):
            out.append(f"- {verb} {level} ({len(group)}): " + ", ".join(f"`{_action(c)}`" for c in group[:SHOWN])
                       + (f" and {len(group) - SHOWN} more" if len(group) > SHOWN else ""))
    out += [f"- Gained **{label}**" for label in change.everything_gained]
    out += [f"- Lost {label}" for label in change.everything_lost]
    out += _capped([f"- New privilege escalation: [{m.name}]({m.url}) ({' + '.join(f'`{a}`' for a in m.actions)})"
                    for m in change.methods_gained], "- and {} more new privilege-escalation methods")
    out += _capped([f"- No longer privilege escalation: {m.name} ({m.id})" for m in change.methods_lost],
                   "- and {} more methods no longer possible")
    out += [f"- New risk: {_category(c)}{_names(names)}" for c, names in change.categories_gained.items()]
    out += [f"- Risk gone: {_category(c)}" for c in change.categories_lost]
    for role in change.roles:
        out += [f"- Role `{role.role.address}` now trusts {escape(p)}" for p in role.trust_gained]
        out += [f"- Role `{role.role.address}` no longer trusts {escape(p)}" for p in role.trust_lost]
        out += [f"- Attached to `{role.role.address}`: {_policy(p)} (`{p.where}`)" for p in role.attached]
        out += [f"- Detached from `{role.role.address}`: {_policy(p)}" for p in role.detached]
    return out + [""]


def mermaid(changes: list[ComputeChange]) -> list[str]:
    """The chains of the changed compute resources: what was added in green (thick
    arrows), what went away in red (dotted), gains and losses as summary nodes."""
    lines: list[str] = []
    gained: list[str] = []
    lost: list[str] = []
    for number, change in enumerate(changes):
        compute = _id(f"c{number}", change.compute.address)
        lines.append(f'  {compute}["{label(change.compute.kind, change.compute.address)}"]')
        (gained if change.status == "added" else lost if change.status == "removed" else []).append(compute)
        head = compute
        if change.after is not None:
            profile = _id(f"c{number}", change.after.address)
            arrow = "==>" if change.switched or change.status == "added" else "-->"
            lines.append(f'  {compute} {arrow} {profile}["{label("instance profile", change.after.address)}"]')
            head = profile
        previous = head
        if change.before is not None and (change.switched or change.status == "removed"):
            previous = _id(f"c{number}_old", change.before.address)
            lines.append(f'  {compute} -.-x {previous}["{label("instance profile", change.before.address)}"]')
            lost.append(previous)
        current = [role for role in change.roles if role.status != "removed"]
        tail = _id(f"c{number}", current[0].role.address) if len(current) == 1 else head
        for role in change.roles:
            node = _id(f"c{number}", role.role.address)
            arrow = {"added": "==>", "removed": "-.-x"}.get(role.status, "-->")
            parent = previous if role.status == "removed" else head
            lines.append(f'  {parent} {arrow} {node}["{label("role", role.role.address)}"]')
            (gained if role.status == "added" else lost if role.status == "removed" else []).append(node)
            for index, policy in enumerate(role.attached):
                item = f"{node}_a{index}"
                lines.append(f'  {node} ==> {item}["{label(policy.kind, policy.note or policy.address)}"]')
                gained.append(item)
            for index, policy in enumerate(role.detached):
                item = f"{node}_d{index}"
                lines.append(f'  {node} -.-x {item}["{label(policy.kind, policy.note or policy.address)}"]')
                lost.append(item)
        summary = _summary(change)
        if summary[0]:
            lines.append(f'  {tail} ==>|gained| {compute}_gain["{quote(summary[0])}"]')
            gained.append(f"{compute}_gain")
        if summary[1]:
            lines.append(f'  {tail} -.->|lost| {compute}_loss["{quote(summary[1])}"]')
            lost.append(f"{compute}_loss")
    lines += ["  classDef gained fill:#dafbe1,stroke:#1a7f37,color:#0b3d1b",
              "  classDef lost fill:#ffebe9,stroke:#cf222e,color:#5c0b0b,stroke-dasharray: 4 3"]
    if gained:
        lines.append(f"  class {','.join(dict.fromkeys(gained))} gained")
    if lost:
        lines.append(f"  class {','.join(dict.fromkeys(lost))} lost")
    return lines


def _summary(change: ComputeChange) -> tuple[str, str]:
    def text(changes: list[ActionChange], everything: list[str], extra: list[str]) -> str:
        parts = list(everything) + [f"{len(items)} {level}" for level, items in _by_level(changes)] + extra
        return "<br/>".join(parts)

    methods = change.methods_gained
    risks = [f"{len(methods)} escalation method{'s' if len(methods) != 1 else ''}"] if methods else []
    risks += [_category(c) for c in change.categories_gained]
    risks += [f"trusts {p}" for r in change.roles for p in r.trust_gained]
    return text(change.gained, change.everything_gained, risks), text(change.lost, change.everything_lost, [])


def _id(prefix: str, address: str) -> str:
    return f"{prefix}_" + re.sub(r"[^A-Za-z0-9_]", "_", address)
