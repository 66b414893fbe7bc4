"""Run ``iamlint access``: load the units, build the pictures, render one format."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iamlint.access.model import ComputeAccess, pictures
from iamlint.cache import UnitCache
from iamlint.discovery import discover
from iamlint.engine import load_unit
from iamlint.model.units import SourceError
from iamlint.options import Options
from iamlint.parallel import load_units

if TYPE_CHECKING:  # the context module is imported only with --account / --state
    from iamlint.model.graph import Graph
    from iamlint.normalize.context import AccountContext

FORMATS = ("text", "json", "markdown", "dot")
EXIT_OK, EXIT_GAIN, EXIT_ERROR = 0, 1, 2


@dataclass(slots=True)
class AccessReport:
    """What ``iamlint access`` shows: every compute's access, and the input errors."""

    computes: list[ComputeAccess] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def build(paths: list[str], partition: str = "aws", account: tuple[str, ...] = (), state: tuple[str, ...] = ()) -> AccessReport:
    """Every unit under ``paths`` loaded (through the unit cache) and pictured; with
    ``account`` snapshots or Terraform ``state`` files, what the code names but does not
    define is taken from them (each such link located in its snapshot or state file)."""
    report = AccessReport()
    units, missing = discover(paths, errors=report.errors)
    report.errors.extend(SourceError(arg, 0, "no such file or directory") for arg in missing)
    options = Options(partition=partition)
    context = _context(account, state, partition, report)
    # through the unit cache, as check loads them: the check that links the fixes reads them back
    cache = UnitCache(enabled=True)
    for unit, result, crash in load_units(units, options, cache, 1, load_unit):
        if crash is not None:  # one unit never stops the others
            report.errors.append(SourceError(unit.root, 0, f"internal error while reading this input: {crash}"))
            continue
        if result is None:
            continue
        report.errors.extend(result.errors)
        if context is not None and unit.kind != "account":
            _attach(result.graph, context)
        only = unit.only
        for item in pictures(result.graph):
            if only is None or os.path.normpath(item.compute.path) in only:
                report.computes.append(item)
    cache.finish()
    return report


def _context(account: tuple[str, ...], state: tuple[str, ...], partition: str, report: AccessReport) -> AccountContext | None:
    if not account and not state:
        return None
    # only with --account / --state: the snapshot and state readers
    from iamlint.normalize.context import load_context

    context = load_context(account, partition, state)
    report.errors.extend(context.errors)
    return context


def _attach(graph: Graph, context: AccountContext) -> None:
    from iamlint.knowledge import enrich_graph
    from iamlint.normalize.context import attach

    if attach(graph, context):
        enrich_graph(graph)  # the AWS managed policies the context's roles attach


def _link_fixes(report: AccessReport, paths: list[str], partition: str, account: tuple[str, ...],
                state: tuple[str, ...]) -> None:
    """The fixes ``iamlint check`` proposes on each chain (a check of the same paths; its
    own input errors are already the report's)."""
    from iamlint.access.fixes import link_fixes
    from iamlint.engine import run as check

    checked = check(paths, Options(partition=partition, account=account, state=state, fixes=True))
    link_fixes(report.computes, checked.findings)


def select(report: AccessReport, address: str | None) -> str | None:
    """Keep only ``address`` (a compute resource, or an auto scaling group using one);
    returns an error message when nothing matches."""
    if address is None:
        return None
    kept = [c for c in report.computes if c.compute.address == address or any(u.address == address for u in c.used_by)]
    if not kept:
        known = ", ".join(sorted({c.compute.address for c in report.computes})) or "none"
        return f"no EC2 compute resource {address!r} in the scanned code (found: {known})"
    report.computes = kept
    return None


def render(report: AccessReport, output_format: str) -> str:
    if output_format == "json":
        from iamlint.access.render_json import render as chosen
    elif output_format == "markdown":
        from iamlint.access.render_markdown import render as chosen
    elif output_format == "dot":
        from iamlint.access.render_dot import render as chosen
    else:
        from iamlint.access.render_text import render as chosen
    return chosen(report)


def run(paths: list[str], instance: str | None, output_format: str, partition: str = "aws",
        account: tuple[str, ...] = (), state: tuple[str, ...] = ()) -> int:
    """The command: print the report; 2 when an input could not be read or
    ``--instance`` matches nothing (said on stderr), else 0."""
    report = build(paths or ["."], partition, account, state)
    problem = select(report, instance)
    if problem:
        print(f"iamlint: {problem}", file=sys.stderr)
        return EXIT_ERROR
    if report.computes:
        _link_fixes(report, paths or ["."], partition, account, state)
    sys.stdout.write(render(report, output_format))
    for error in report.errors:
        print(f"iamlint: {error.path}:{error.line}: {error.message}", file=sys.stderr)
    return EXIT_ERROR if report.errors else EXIT_OK


# ------------------------------------------------------------------ --base REV


@dataclass(slots=True)
class ChangeReport:
    """``access --base REV``: the changes of every compute resource, and input errors of
    either tree (REV's named as such)."""

    revision: str
    changes: list = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def build_changes(paths: list[str], revision: str, partition: str = "aws") -> ChangeReport:
    """Picture the working tree and REV's tree (exported from git objects) and compare."""
    from iamlint.access.diff import compare, home_links, keyed  # only with --base
    from iamlint.change.git import toplevel
    from iamlint.change.tree import revision_tree

    after = build(paths, partition)
    after_keys = keyed(after.computes, toplevel(os.getcwd()))
    with revision_tree(revision, paths) as tree:
        before = build(list(tree.paths), partition) if tree.paths else AccessReport()
        before_keys = keyed(before.computes, tree.root)
        report = ChangeReport(revision, compare(before_keys, after_keys), list(after.errors))
        report.errors += [SourceError(tree.home(e.path), e.line, f"(in {revision}) {e.message}", e.column) for e in before.errors]
        home_links(report.changes, tree.home)
    return report


def run_changes(paths: list[str], revision: str, instance: str | None, output_format: str, partition: str,
                fail_on_gain: str) -> int:
    """``access --base REV``: print what each compute resource gained and lost; 1 when a
    gain reaches ``fail_on_gain``, 2 on input errors (said on stderr), else 0."""
    from iamlint.access.diff import reaches  # only with --base
    from iamlint.access.render_changes import render as render_changes

    report = build_changes(paths or ["."], revision, partition)
    if instance is not None:
        report.changes = [c for c in report.changes if c.compute.address == instance]
        if not report.changes:
            print(f"iamlint: no EC2 compute resource {instance!r} in the scanned code or in {revision}", file=sys.stderr)
            return EXIT_ERROR
    sys.stdout.write(render_changes(report, output_format, fail_on_gain))
    for error in report.errors:
        print(f"iamlint: {error.path}:{error.line}: {error.message}", file=sys.stderr)
    if report.errors:
        return EXIT_ERROR
    return EXIT_GAIN if any(reaches(c.gain(), fail_on_gain) for c in report.changes) else EXIT_OK
