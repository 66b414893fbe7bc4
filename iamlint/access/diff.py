"""``iamlint access --base REV``: the access each EC2 compute resource gained and lost
between git revision REV and the working tree -- offline, from the same effective
permissions model as the rules (:mod:`iamlint.access.model`).

Compute resources are matched by module folder (or template) and address. For each, the
access of all the roles its instance profile leads to is compared as a whole (a compute
resource that switched to a role with the same permissions gains nothing):

* actions by access level, gained and lost, and the resources an action gained;
* grants of every action (``"*"``, ``NotAction``);
* privilege-escalation methods and risk categories (with their actions);
and, role by role, the principals its trust policy allows and the policies attached to
it, plus a switch of instance profile or role.

A gain is graded (:data:`GAINS`, the values of ``--fail-on-gain``): ``risk`` (a new
escalation method, risk category or action in a risk category, or a new trust principal)
is the narrowest, then ``permissions`` (a Permissions-management action or every
action), ``write`` (Write or Tagging), ``any`` (anything at all).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from iamlint.access.model import ComputeAccess, Granted, Link, MethodRisk, RoleAccess
from iamlint.fingerprint import location_key
from iamlint.permissions.grants import pattern_matches

GAINS = ("any", "write", "permissions", "risk")
"""--fail-on-gain values, from the widest to the narrowest."""
WRITE_LEVELS = ("Permissions management", "Write", "Tagging")


@dataclass(frozen=True, slots=True)
class ActionChange:
    """An action gained or lost, or gained on more resources (``widened``: ``resources``
    are the new ones)."""

    action: str
    level: str
    resources: tuple[str, ...]
    widened: bool = False


@dataclass(slots=True)
class RoleChange:
    """A role of the chain: ``status`` "added" (the compute now reaches it), "removed",
    or "kept"; its trust principals and attached policies gained and lost."""

    role: Link
    status: str
    trust_gained: list[str] = field(default_factory=list)
    trust_lost: list[str] = field(default_factory=list)
    attached: list[Link] = field(default_factory=list)
    detached: list[Link] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status != "kept" or bool(self.trust_gained or self.trust_lost or self.attached or self.detached)


@dataclass(slots=True)
class ComputeChange:
    """What one compute resource gained and lost (``status``: "added", "removed",
    "changed" or "unchanged"; ``before``/``after`` the instance profiles)."""

    compute: Link
    status: str
    before: Link | None = None
    after: Link | None = None
    roles: list[RoleChange] = field(default_factory=list)
    gained: list[ActionChange] = field(default_factory=list)
    lost: list[ActionChange] = field(default_factory=list)
    everything_gained: list[str] = field(default_factory=list)
    everything_lost: list[str] = field(default_factory=list)
    methods_gained: list[MethodRisk] = field(default_factory=list)
    methods_lost: list[MethodRisk] = field(default_factory=list)
    categories_gained: dict[str, list[str]] = field(default_factory=dict)
    categories_lost: dict[str, list[str]] = field(default_factory=dict)

    @property
    def switched(self) -> bool:
        """The compute resource now uses another instance profile."""
        return self.status == "changed" and _address(self.before) != _address(self.after)

    def gain(self) -> str | None:
        """The narrowest grade of :data:`GAINS` its gains reach (None: it gained nothing)."""
        if self.methods_gained or self.categories_gained or any(r.trust_gained for r in self.roles):
            return "risk"
        if self.everything_gained or any(c.level == "Permissions management" for c in self.gained):
            return "permissions"
        if any(c.level in WRITE_LEVELS for c in self.gained):
            return "write"
        if self.gained or self.switched or any(r.status == "added" or r.attached for r in self.roles):
            return "any"
        return None

    @property
    def changed(self) -> bool:
        return bool(self.gain() or self.lost or self.everything_lost or self.methods_lost or self.categories_lost
                    or self.status in ("added", "removed") or any(r.changed for r in self.roles))


def _address(link: Link | None) -> str | None:
    return link.address if link is not None else None


def reaches(grade: str | None, threshold: str) -> bool:
    """Whether a gain of ``grade`` reaches ``--fail-on-gain threshold``."""
    return grade is not None and GAINS.index(grade) >= GAINS.index(threshold)


# ---------------------------------------------------------------- comparing


Key = tuple[str, str]


def keyed(items: list[ComputeAccess], root: str) -> list[tuple[Key, ComputeAccess]]:
    """Each compute resource with its key: module folder (or template) relative to
    ``root``, and address. Call it in the tree the items come from (relative paths)."""
    return [((location_key(item.compute.path, root), item.compute.address), item) for item in items]


def compare(before: list[tuple[Key, ComputeAccess]], after: list[tuple[Key, ComputeAccess]]) -> list[ComputeChange]:
    """The changes of every compute resource, in the working tree's order (then those
    only REV had)."""
    old = dict(before)
    changes = []
    for key, item in after:
        changes.append(_compare(old.pop(key, None), item))
    changes += [_compare(item, None) for item in old.values()]
    return changes


def _compare(before: ComputeAccess | None, after: ComputeAccess | None) -> ComputeChange:
    current = after or before
    assert current is not None
    status = "added" if before is None else "removed" if after is None else "changed"
    change = ComputeChange(current.compute, status, before.profile if before else None, after.profile if after else None)
    old_roles = {r.role.address: r for r in (before.roles if before else [])}
    new_roles = {r.role.address: r for r in (after.roles if after else [])}
    for address in [*new_roles, *(a for a in old_roles if a not in new_roles)]:
        change.roles.append(_role_change(old_roles.get(address), new_roles.get(address)))
    _access(change, list(old_roles.values()), list(new_roles.values()))
    if change.status == "changed" and not change.changed:
        change.status = "unchanged"
    return change


def _role_change(before: RoleAccess | None, after: RoleAccess | None) -> RoleChange:
    current = after or before
    assert current is not None
    status = "added" if before is None else "removed" if after is None else "kept"
    change = RoleChange(current.role, status)
    old_trust, new_trust = set(before.trust if before else ()), set(after.trust if after else ())
    change.trust_gained, change.trust_lost = sorted(new_trust - old_trust), sorted(old_trust - new_trust)
    old_policies = {_policy_key(p): p for p in (before.policies if before else [])}
    new_policies = {_policy_key(p): p for p in (after.policies if after else [])}
    change.attached = [p for key, p in new_policies.items() if key not in old_policies]
    change.detached = [p for key, p in old_policies.items() if key not in new_policies]
    return change


def _policy_key(link: Link) -> tuple[str, str]:
    """A policy by kind and name (an AWS managed policy by its name, an inline one by
    its role and name), never by line."""
    return link.kind, (link.note if link.kind in ("AWS managed policy", "inline policy") else link.address) + \
        (f" {link.address}" if link.kind == "inline policy" else "")


def _access(change: ComputeChange, before: list[RoleAccess], after: list[RoleAccess]) -> None:
    old, new = _merged(before), _merged(after)
    for name, (level, resources) in sorted(new.actions.items()):
        previous = old.actions.get(name)
        if previous is None:
            if not _covered(name, old):
                change.gained.append(ActionChange(name, level, _sorted(resources)))
        elif resources - previous[1] and "*" not in previous[1]:
            change.gained.append(ActionChange(name, level, _sorted(resources - previous[1]), widened=True))
    for name, (level, resources) in sorted(old.actions.items()):
        if name not in new.actions and not _covered(name, new):
            change.lost.append(ActionChange(name, level, _sorted(resources)))
    change.everything_gained = sorted(set(new.everything) - set(old.everything))
    change.everything_lost = sorted(set(old.everything) - set(new.everything))
    old_methods = {m.id: m for r in before for m in r.methods}
    new_methods = {m.id: m for r in after for m in r.methods}
    change.methods_gained = [m for key, m in new_methods.items() if key not in old_methods]
    change.methods_lost = [m for key, m in old_methods.items() if key not in new_methods]
    old_categories, new_categories = _categories(before), _categories(after)
    change.categories_gained = _difference(new_categories, old_categories)
    # a category lost as a whole (the actions a category lists for a wildcard are examples)
    change.categories_lost = {c: sorted(names) for c, names in old_categories.items() if c not in new_categories}


def _merged(roles: list[RoleAccess]) -> Granted:
    merged = Granted()
    for role in roles:
        if role.granted is None:
            continue
        for name, (level, resources) in role.granted.actions.items():
            previous = merged.actions.get(name)
            merged.actions[name] = (level, resources | previous[1] if previous else resources)
        for label, (excluded, resources) in role.granted.everything.items():
            previous_everything = merged.everything.get(label)
            merged.everything[label] = (excluded, resources | previous_everything[1] if previous_everything else resources)
    return merged


def _covered(action: str, granted: Granted) -> bool:
    """Whether a grant of every action in ``granted`` gives ``action`` already."""
    return any(not any(pattern_matches(p, action) for p in excluded) for excluded, _ in granted.everything.values())


def _categories(roles: list[RoleAccess]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for role in roles:
        for category, names in role.categories.items():
            found.setdefault(category, set()).update(names)
    return found


def _difference(new: dict[str, set[str]], old: dict[str, set[str]]) -> dict[str, list[str]]:
    """Categories that are new, or that name new actions (with those actions)."""
    result = {}
    for category, names in new.items():
        if category not in old:
            result[category] = sorted(names)
        elif names - old[category]:
            result[category] = sorted(names - old[category])
    return result


def _sorted(resources: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(resources, key=lambda text: (text != "*", text)))


def home_links(changes: list[ComputeChange], home) -> None:
    """Links of compute resources only REV has, at their working-tree paths."""
    for change in changes:
        if change.status == "removed":
            change.compute = _moved(change.compute, home)
            change.before = _moved(change.before, home) if change.before else None
            for role in change.roles:
                role.role = _moved(role.role, home)
                role.detached = [_moved(p, home) for p in role.detached]
        else:
            change.before = _moved(change.before, home) if change.before else None
            for role in change.roles:
                if role.status == "removed":
                    role.role = _moved(role.role, home)
                role.detached = [_moved(p, home) for p in role.detached]


def _moved(link: Link, home) -> Link:
    path = home(link.path)
    return link if path == link.path else Link(link.kind, link.address, os.path.normpath(path), link.line, link.column, link.note)
