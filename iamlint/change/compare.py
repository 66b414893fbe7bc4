"""``iamlint check --base REV``: only the findings the working tree has and REV had not.

REV's tree is exported from git objects (:mod:`iamlint.change.git`) and checked with the
same command line and the working tree's configuration, from the matching folder (so
relative paths and globs mean the same). A Terraform file named on its own (pre-commit)
is checked there as its whole module: REV's findings are compared wherever they were,
since the change may be what ties them to the file given. A finding of the working tree is *new* when REV
has no finding with its fingerprint (rule, module or template, resource, logical
position: never a line) at the same or a higher severity -- moving, reindenting or
reformatting code adds nothing; a warning that became an error is new, and says what it
was. Identical fingerprints are counted, as in a baseline.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from typing import Callable

from iamlint.baseline import fingerprint
from iamlint.change.git import GitError, export, overlay_configuration, toplevel
from iamlint.engine import Options, run
from iamlint.formats.base import Shape
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


def base_fingerprints(revision: str, paths: list[str], options: Callable[[], Options], registry: Registry) -> Comparison:
    """Check ``paths`` (as given, relative to the working directory) in REV's tree.
    ``options`` builds the run's options in the current directory (the command line's
    layer is rooted there); it is called inside the exported tree."""
    cwd = os.getcwd()
    top = toplevel(cwd)
    with tempfile.TemporaryDirectory(prefix="iamlint-base-") as folder:
        root = os.path.join(folder, "tree")
        os.mkdir(root)
        exported = export(revision, root, top)
        overlay_configuration(root, top)
        here = os.path.join(root, os.path.relpath(os.path.realpath(cwd), top))
        targets = list(dict.fromkeys(_whole(_target(path, cwd, top, root), registry) for path in paths))
        os.makedirs(here, exist_ok=True)
        os.chdir(here)
        try:
            present = [path for path in targets if os.path.exists(path)]
            report = run(present, replace(options(), cache=False), registry) if present else Report()
            severities: dict[str, list[Severity]] = {}
            for finding in report.findings:
                severities.setdefault(fingerprint(finding, root), []).append(finding.severity)
        finally:
            os.chdir(cwd)
    for found in severities.values():
        found.sort(reverse=True)
    return Comparison(revision, severities, len(report.errors), exported.files)


def _target(path: str, cwd: str, top: str, root: str) -> str:
    """``path`` of the working tree -> the same place in the export (relative paths stay
    as they are: the export is entered at the working directory's place)."""
    absolute = os.path.realpath(os.path.join(cwd, path))
    inside = os.path.relpath(absolute, top)
    if inside == os.pardir or inside.startswith(os.pardir + os.sep):
        raise GitError(f"--base: {path} is outside the git working tree {top}")
    return path if not os.path.isabs(path) else os.path.join(root, inside)


def _whole(path: str, registry: Registry) -> str:
    """A file of a folder format (a Terraform module) -> its folder."""
    if os.path.isdir(path):
        return path
    found = registry.formats.member(path)
    if found is not None and found.shape is Shape.DIRECTORY:
        return os.path.dirname(path) or "."
    return path


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
