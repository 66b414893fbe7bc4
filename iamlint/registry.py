"""Plugin discovery: rules (``iamlint.rules``) and input formats (``iamlint.formats``),
built-ins included, through their entry-point groups.

Only installed distributions are consulted; nothing is ever imported from the code
being scanned. A plugin that fails to load, or declares an invalid or duplicate rule or
format, becomes one error entry naming it; the others still load.

Start-up (issue 7): the entry points come from an index in the user cache directory
(:mod:`iamlint.entrypoints`), read once for both groups; on any doubt, and whenever a
plugin fails to load or validate from the index, the normal scan runs (with its error
messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint import entrypoints
from iamlint.formats.registry import FormatRegistry, formats_from_entries
from iamlint.model.findings import STAGES, Rule, Severity

GROUP = entrypoints.RULES
_CODE = re.compile(r"^[A-Z]{2,6}[0-9]{3,4}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(slots=True)
class Registry:
    """The installed rules and input formats, and the problems met loading them."""

    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    formats: FormatRegistry = field(default_factory=FormatRegistry)

    def find(self, key: str) -> Rule | None:
        """A rule by code or name (case-insensitive)."""
        wanted = key.strip().lower()
        for rule in self.rules:
            if rule.code.lower() == wanted or rule.name == wanted:
                return rule
        return None


def load_plugins() -> Registry:
    """The rules and input formats of the installed distributions (index first)."""
    key = _installation_key()
    if key is not None:
        indexed = entrypoints.read_index(key)
        if indexed is not None:
            registry = _load_indexed(indexed[GROUP])
            formats = formats_from_entries(indexed[entrypoints.FORMATS], strict=True)
            if registry is not None and formats is not None:
                registry.formats = formats
                return registry
    return _load_scanned(key)


load_rules = load_plugins  # the historical name: rules come with the input formats


def _installation_key() -> str | None:
    return entrypoints.installation_key()


def index_path() -> Path:
    return entrypoints.index_path()


def _load_indexed(entries: list[tuple[str, str]]) -> Registry | None:
    """The registry from the indexed entry points; None when anything is not as the
    normal path would accept it without a message (then the normal path runs)."""
    registry = Registry()
    seen: set[str] = set()
    for name, value in entries:
        try:
            rule = entrypoints.resolve(value)
        except Exception:
            return None
        if _validate(rule, name) is not None or rule.code in seen or rule.name in seen:
            return None
        seen.update((rule.code, rule.name))
        registry.rules.append(rule)
    registry.rules.sort(key=lambda r: r.code)
    return registry


def _load_scanned(key: str | None) -> Registry:
    found = entrypoints.scan_and_index(key)
    registry = Registry()
    seen: dict[str, Any] = {}  # rule code / name -> the entry point that provided it
    # origins (distribution name and version) are read only for messages: reading a
    # distribution's metadata parses its METADATA file, a cost on every run otherwise
    for entry in found[GROUP]:
        try:
            rule = entry.load()
        except Exception as exc:  # a broken plugin must not stop the others
            registry.errors.append(f"rule plugin {entry.name} ({entrypoints.origin(entry)}) failed to load: {exc!r}")
            continue
        problem = _validate(rule, entry.name) or _duplicate(rule, seen)
        if problem is not None:
            registry.errors.append(f"rule plugin {entry.name} ({entrypoints.origin(entry)}): {problem}")
            continue
        seen[rule.code] = seen[rule.name] = entry
        registry.rules.append(rule)
    registry.rules.sort(key=lambda r: r.code)
    formats = formats_from_entries(found[entrypoints.FORMATS], strict=False)
    assert formats is not None  # not strict: problems become errors
    registry.formats = formats
    registry.errors.extend(formats.errors)
    return registry


def _duplicate(rule: Rule, seen: dict[str, Any]) -> str | None:
    for key in (rule.code, rule.name):
        if key in seen:
            return f"duplicate rule {key} (already provided by {entrypoints.origin(seen[key])})"
    return None


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
    if rule.stage not in STAGES:
        return f"unknown stage {rule.stage!r} (expected one of: {', '.join(STAGES)})"
    return None
