"""Fixes: a rule's change on the model (:mod:`iamlint.model.fixes`) located as text edits
in the syntax of the file where each value is written, and chosen for applying.

* :func:`locate` turns the intents the findings carry into :class:`Fix` records (the
  engine calls it as each unit is checked, in the process that checks it, and at the
  end of the run for the findings left: the suppression rules', and those of units
  served by the results cache from a run that did not show fixes);
* :func:`chosen` picks the fixes to apply: by applicability, one per place, none
  overlapping another (the rest waits for the next round, as ruff does);
* :mod:`.plan` (intents -> edits), :mod:`.tree` (a structural view of YAML, JSON and
  HCL with offsets), :mod:`.edit` (edits in a mapping's or list's own style),
  :mod:`.defs` (a value defined in a variable, local, module input or parameter is
  edited there only when used once), :mod:`.text` (positions, bytes and byte order
  marks), :mod:`.diff` (unified diffs), :mod:`.evidence` (``--narrow-from``).

The loop that applies fixes and lints again before writing anything is
:mod:`iamlint.autofix` (it runs the engine, a layer above).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from iamlint.formats.registry import FormatRegistry
from iamlint.model.fixes import EDITOR, SAFE, UNSAFE, Fix
from iamlint.report import LocatedFinding

__all__ = ["Selection", "chosen", "locate"]


def locate(findings: list[LocatedFinding], formats: FormatRegistry | None = None) -> list[LocatedFinding]:
    """The findings with their fix located (``fix``), the rule's intent dropped."""
    if not any(f.intent is not None for f in findings):
        return findings
    from iamlint.fixes.plan import Planner

    planner = Planner(formats)
    return [replace(f, fix=planner.plan(f.intent), intent=None) if f.intent is not None else f for f in findings]


class Selection:
    """Which fixes to apply: ``safe`` ones always, ``unsafe`` ones with ``--unsafe-fixes``,
    ``editor`` ones (offered in editors) only for the rules in ``extend`` and with
    ``--unsafe-fixes`` too."""

    def __init__(self, unsafe: bool = False, extend: Iterable[str] = ()) -> None:
        self.unsafe = unsafe
        self.extend = frozenset(extend)

    def wants(self, finding: LocatedFinding) -> bool:
        fix = finding.fix
        return fix is not None and fix.available and self.covers(finding)

    def covers(self, finding: LocatedFinding) -> bool:
        """Whether the finding's fix is of a kind this selection applies (located or not)."""
        fix = finding.fix
        if fix is None:
            return False
        if fix.applicability == SAFE:
            return True
        if fix.applicability == UNSAFE:
            return self.unsafe
        return fix.applicability == EDITOR and self.unsafe and finding.rule in self.extend

    def hidden(self, finding: LocatedFinding) -> bool:
        """A fix this selection leaves out that ``--unsafe-fixes`` would apply."""
        fix = finding.fix
        return fix is not None and fix.available and fix.applicability == UNSAFE and not self.unsafe


def chosen(findings: Iterable[LocatedFinding], selection: Selection) -> list[tuple[LocatedFinding, Fix]]:
    """The fixes to apply in one round, in report order: each distinct fix once (several
    findings may share one: the codes of one suppression comment), none overlapping an
    earlier one."""
    taken: list[Fix] = []
    result: list[tuple[LocatedFinding, Fix]] = []
    for finding in findings:
        fix = finding.fix
        if fix is None or not selection.wants(finding):
            continue
        if any(fix.edits == other.edits for other in taken):
            continue
        if any(fix.overlaps(other) for other in taken):
            continue
        taken.append(fix)
        result.append((finding, fix))
    return result
