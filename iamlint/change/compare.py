"""``iamlint check --base REV``: only the findings the working tree has and REV had not.

REV's tree is exported (:mod:`iamlint.change.tree`) and checked with the same command
line and the working tree's configuration, from the matching folder (so relative paths
and globs mean the same). A Terraform file named on its own (pre-commit) is checked
there as its whole module: REV's findings are compared wherever they were, since the
change may be what ties them to the file given. A finding of the working tree is *new* when REV
has no finding with its fingerprint (rule, module or template, resource, logical
position: never a line) at the same or a higher severity -- moving, reindenting or
reformatting code adds nothing; a warning that became an error is new, and says what it
was. Identical fingerprints are counted, as in a baseline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Callable

from iamlint.baseline import fingerprint
from iamlint.change.git import GitError, toplevel
from iamlint.change.tree import revision_tree
from iamlint.engine import Options, run
from iamlint.model.findings import Severity
from iamlint.registry import Registry
from iamlint.report import Report

__all__ = ["Comparison", "GitError", "base_fingerprints", "keep_new"]


@dataclass(slots=True)
class Comparison:
    """What REV's tree gave: its fingerprints (with the severities found) and input errors."""

    revision: str
    severities: dict[str, list[Severity]]
    errors: int = 0
    files: int = 0


def base_fingerprints(revision: str, paths: list[str], options: Callable[[list[str]], Options],
                      registry: Registry) -> Comparison:
    """Check ``paths`` (as given, relative to the working directory) in REV's tree.
    ``options(paths)`` builds the run's options in the current directory (the command
    line's layer is rooted there) for the given paths; it is called with the exported
    tree's paths."""
    with revision_tree(revision, paths, registry.formats) as tree:
        checked = list(tree.paths)
        report = run(checked, replace(options(checked), cache=False), registry) if checked else Report()
        severities: dict[str, list[Severity]] = {}
        for finding in report.findings:
            severities.setdefault(fingerprint(finding, tree.root), []).append(finding.severity)
    for found in severities.values():
        found.sort(reverse=True)
    return Comparison(revision, severities, len(report.errors), tree.exported.files)


def keep_new(report: Report, comparison: Comparison) -> int:
    """Keep only the findings of ``report`` that are new compared with REV; returns how
    many were there already. Fingerprints are taken relative to the working tree's top."""
    top = toplevel(os.getcwd())
    left = {key: list(found) for key, found in comparison.severities.items()}
    kept, known = [], 0
    for finding in sorted(report.findings, key=lambda f: -f.severity):
        found = left.get(fingerprint(finding, top))
        if found and found[0] >= finding.severity:
            found.pop(0)
            known += 1
            continue
        if found:  # the same finding, now more severe
            was = found.pop(0)
            finding = replace(finding, message=f"{finding.message} (a {was.label} at {comparison.revision})")
        kept.append(finding)
    report.findings = kept
    report.base, report.known = comparison.revision, known
    report.sort()
    return known
