"""The fixes ``iamlint check`` proposes for the chain of each compute resource.

``iamlint access`` pictures what an instance can do; when a finding on that chain has a
fix (:mod:`iamlint.fixes`), the picture links to it: the rule, where the fix applies, what
it does, and the command that applies it. A finding belongs to a compute resource's
chain when it is about one of the chain's links (its resource is the link's address, in
the same folder) or is located at one of them (its place, or one of its related places,
is a link's line). Findings come from a normal check of the same paths (the same
configuration files, cache and context), so the access report and ``check --fix`` agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from iamlint.access.model import ComputeAccess, Link

if TYPE_CHECKING:
    from iamlint.report import LocatedFinding

COMMANDS = {
    "safe": "iamlint check --fix",
    "unsafe": "iamlint check --fix --unsafe-fixes",
    "editor": "iamlint check --fix --unsafe-fixes --extend-fixable {rule}",
}


@dataclass(frozen=True, slots=True)
class FixLink:
    """A fix ``iamlint check`` offers on a chain, and how to apply it."""

    rule: str
    path: str
    line: int
    column: int
    applicability: str
    message: str  # what the fix does
    command: str  # how to apply it


def _place(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _links(item: ComputeAccess) -> list[Link]:
    links = [item.compute, *item.used_by]
    if item.profile is not None:
        links.append(item.profile)
    for role in item.roles:
        links.append(role.role)
        links += role.policies
        if role.boundary is not None:
            links.append(role.boundary)
    return links


def _belongs(finding: LocatedFinding, addresses: set[tuple[str, str]], places: set[tuple[str, int]]) -> bool:
    if (finding.resource, os.path.dirname(_place(finding.path))) in addresses:
        return True
    spots = [(finding.path, finding.line)] + [(r.span.file, r.span.line) for r in finding.related]
    return any((_place(path), line) in places for path, line in spots)


def link_fixes(computes: Iterable[ComputeAccess], findings: Iterable[LocatedFinding]) -> None:
    """Give each compute resource the available fixes of the findings on its chain."""
    fixable = [f for f in findings if f.fix is not None and f.fix.available]
    for item in computes:
        links = _links(item)
        addresses = {(link.address, os.path.dirname(_place(link.path))) for link in links if link.path}
        places = {(_place(link.path), link.line) for link in links if link.path}
        item.fixes = [
            FixLink(f.rule, f.path, f.line, f.column, f.fix.applicability, f.fix.title,
                    COMMANDS.get(f.fix.applicability, COMMANDS["unsafe"]).format(rule=f.rule))
            for f in fixable if f.fix is not None and _belongs(f, addresses, places)
        ]
