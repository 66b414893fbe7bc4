"""What a wildcard that IAM002 / IAM003 report includes: the privilege-escalation
methods it gives entirely and example actions per risk category (their message and tags),
memoised on the patterns and resources that decide it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from iamlint.knowledge.risks import risk_catalogue  # reads no data on import (memoised loader)
from iamlint.permissions.arns import ALL, action_info
from iamlint.permissions.categories import (
    CATEGORIES,
    INFRASTRUCTURE_MODIFICATION,
    PRIVILEGE_ESCALATION,
    RESOURCE_EXPOSURE,
    UNSCOPED,
    WORDS,
    actions_of,
    categories_of,
    scopable,
)
from iamlint.permissions.grants import Grant

if TYPE_CHECKING:  # the risk catalogue's records are read when a rule first needs them
    from iamlint.knowledge.risks import Method


@dataclass(frozen=True, slots=True)
class Includes:
    """What one reported wildcard includes: escalation methods and categories, with
    example actions per category."""

    methods: tuple[Method, ...] = ()
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def categories(self) -> tuple[str, ...]:
        found = set(self.examples) | ({PRIVILEGE_ESCALATION} if self.methods else set())
        return tuple(c for c in CATEGORIES if c in found)

    def phrase(self, limit: int = 3) -> str:
        """"includes privilege escalation (CreateAccessKey, ... and 20 more), data
        exfiltration (s3:GetObject) and resource exposure"; "" when it includes nothing."""
        parts = []
        for category in self.categories:
            items = [m.short for m in self.methods] if category == PRIVILEGE_ESCALATION else list(self.examples[category])
            text = WORDS[category]
            if items:
                shown = ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
                text += f" ({shown})"
            parts.append(text)
        if not parts:
            return ""
        return "includes " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])


def wildcard_includes(grants: Iterable[Grant], combined: bool = False) -> Includes:
    """What reported grants include, judged on their own resources: the wildcard grants
    of one statement action (IAM002), or, ``combined``, every Allow grant of an AWS
    managed policy that IAM003 reports (a method counts when its actions are spread over
    the policy's statements)."""
    grants = [g for g in grants if g.allow and (combined or g.wildcard)]
    if not grants:
        return Includes()
    signature = tuple((g.pattern, g.excluded, g.resources, g.unknown_resources, g.not_resource) for g in grants)
    return _includes(signature, combined, tuple(grants))


_INCLUDES: dict[tuple, Includes] = {}


def _includes(signature: tuple, combined: bool, grants: tuple[Grant, ...]) -> Includes:
    """Memoised on what decides the answer (patterns and resources), not on provenance:
    the same wildcard statements come back in every module."""
    key = (signature, combined)
    if key not in _INCLUDES:
        if len(_INCLUDES) > 4096:
            _INCLUDES.clear()
        _INCLUDES[key] = _compute_includes(list(grants), combined)
    return _INCLUDES[key]


def _compute_includes(grants: list[Grant], combined: bool) -> Includes:
    methods = _methods(grants, combined)
    examples: dict[str, list[str]] = {}
    catalogue = risk_catalogue()
    for action in (*catalogue.data_exfiltration, *catalogue.credentials_exposure):
        # the grants first: they match few of these actions, and a catalogue lookup reads
        # (decompresses, parses) the action's whole service (start-up: an `ec2:*` statement
        # read ~20 services here, one of which it could give)
        if not any(_gives(g, action) for g in grants):
            continue
        info = action_info(action)
        if info is not None and scopable(info):
            for category in catalogue.category_of(action):
                examples.setdefault(category, []).append(info.full_name)
    for category in _level_categories(grants):
        examples.setdefault(category, [])
    return Includes(tuple(methods), {k: tuple(v) for k, v in examples.items()})


def _methods(grants: list[Grant], combined: bool) -> list[Method]:
    """The escalation methods the grants give (one grant every action, or, ``combined``,
    each action some grant), without those a smaller method given too makes redundant."""
    methods = []
    for method in risk_catalogue().methods:
        if combined:
            if all(any(_gives(g, action) for g in grants) for action in method.actions):
                methods.append(method)
        elif any(all(_gives(g, action) for action in method.actions) for g in grants):
            methods.append(method)
    names = {m.name for m in methods}
    subsets = risk_catalogue().supersets()
    return [m for m in methods if not any(other in names for other in subsets[m.name])]


def _gives(grant: Grant, action: str) -> bool:
    if not grant.matches(action):
        return False
    info = action_info(action)
    return info is not None and grant.scope(info.service, info.types) == ALL


def _level_categories(grants: list[Grant]) -> set[str]:
    """Resource exposure / infrastructure modification: a scopable Permissions management /
    Write or Tagging action given on every resource."""
    found: set[str] = set()
    for grant in grants:
        if grant.action_index is None or grant.pattern == "*":
            if grant.not_resource or "*" in grant.resources:
                return {RESOURCE_EXPOSURE, INFRASTRUCTURE_MODIFICATION}
            continue
        for info in actions_of(grant.pattern):
            if scopable(info) and grant.scope(info.service, info.types) == ALL:
                found.update(categories_of(info, UNSCOPED))
    return found
