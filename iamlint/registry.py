"""Rule discovery through the ``iamlint.rules`` entry-point group (built-ins included).

Only installed distributions are consulted; nothing is ever imported from the code
being scanned. A plugin that fails to load, or declares an invalid or duplicate rule,
becomes one error entry naming it; the other rules still load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from iamlint.model.findings import Rule, Severity

GROUP = "iamlint.rules"
_CODE = re.compile(r"^[A-Z]{2,6}[0-9]{3,4}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(slots=True)
class Registry:
    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def find(self, key: str) -> Rule | None:
        """A rule by code or name (case-insensitive)."""
        wanted = key.strip().lower()
        for rule in self.rules:
            if rule.code.lower() == wanted or rule.name == wanted:
                return rule
        return None


def load_rules() -> Registry:
    registry = Registry()
    seen: dict[str, object] = {}  # rule code / name -> the entry point that provided it
    # origins (distribution name and version) are read only for messages: reading a
    # distribution's metadata parses its METADATA file, a cost on every run otherwise
    for entry in sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        try:
            rule = entry.load()
        except Exception as exc:  # a broken plugin must not stop the others
            registry.errors.append(f"rule plugin {entry.name} ({_origin(entry)}) failed to load: {exc!r}")
            continue
        problem = _validate(rule, entry.name)
        if problem is None:
            for key in (rule.code, rule.name):
                if key in seen:
                    problem = f"duplicate rule {key} (already provided by {_origin(seen[key])})"
        if problem is not None:
            registry.errors.append(f"rule plugin {entry.name} ({_origin(entry)}): {problem}")
            continue
        seen[rule.code] = seen[rule.name] = entry
        registry.rules.append(rule)
    registry.rules.sort(key=lambda r: r.code)
    return registry


def _origin(entry) -> str:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return entry.value
    return f"{dist.metadata['Name']} {dist.version}"


def _validate(rule: object, entry_name: str) -> str | None:
    if not isinstance(rule, Rule):
        return "is not an iamlint.plugin.Rule"
    if not _CODE.match(rule.code):
        return f"invalid code {rule.code!r} (expected letters then digits, e.g. EC2001)"
    if rule.code != entry_name:
        return f"entry point name {entry_name!r} differs from the rule code {rule.code!r}"
    if not _NAME.match(rule.name):
        return f"invalid name {rule.name!r} (expected kebab-case)"
    if not isinstance(rule.severity, Severity) or not callable(rule.check):
        return "invalid severity or check"
    return None
