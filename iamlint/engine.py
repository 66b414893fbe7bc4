"""The pipeline: discover -> load each unit (its format parses and normalises it) ->
rules -> located findings -> suppressions -> post-suppression rules.

Data flows one way. A format's parser and normaliser are imported only when a unit of
that format is loaded (a .tf run never imports YAML support, a template never imports
hcl2): the formats import them inside ``load`` (:mod:`iamlint.formats`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Iterable

from iamlint.cache import UnitCache
from iamlint.config import Settings
from iamlint.discovery import discover, unsaved_units
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.knowledge import enrich_graph
from iamlint.locate import condition_of, locate
from iamlint.model.units import SourceError, Unit, UnitResult
from iamlint.model.findings import GRAPH_STAGE, SUPPRESSIONS_STAGE, Context, Finding, InlineSuppression, Rule, Severity
from iamlint.model.graph import AwsManagedPolicy, Graph
from iamlint.options import Options
from iamlint.parallel import Progress, load_units
from iamlint.registry import Registry, load_plugins
from iamlint.report import LocatedFinding, Related, Report
from iamlint.sources import active
from iamlint.suppressions import Policy, Scope, apply as apply_suppressions

__all__ = ["Options", "check_graph", "load_unit", "run"]


def run(paths: list[str], options: Options | None = None, registry: Registry | None = None,
        progress: Progress | None = None) -> Report:
    options = options or Options()
    registry = registry or load_plugins()
    settings = options.settings or Settings.from_options(registry, options)
    options = replace(options, settings=settings)
    report = Report()
    for problem in registry.errors:
        report.errors.append(SourceError("<plugins>", 0, problem))
    formats = _formats(registry, report)
    units = _units(paths, formats, settings, report)
    scope = Scope(formats)
    seen_files: set[str] = set()  # a child module called from several roots counts once
    cache = UnitCache(enabled=options.cache)
    # content-hash cache, then a process pool above a size threshold (iamlint.parallel);
    # load_unit is looked up here, at run time (tests replace it)
    for unit, result, crash in load_units(units, options, cache, options.jobs, load_unit, progress):
        if crash is not None:  # a crash on one unit never stops the others
            report.errors.append(SourceError(unit.root, 0, f"internal error while reading this input: {crash}"))
        elif result is not None:
            _checked(unit, result, options, registry, scope, report, seen_files)
    cache.finish()
    report.findings = _dedupe(report.findings)
    suppressions = apply_suppressions(report, scope, registry, settings.for_path)
    stage = [rule for rule in registry.rules if rule.stage == SUPPRESSIONS_STAGE]
    report.findings.extend(check_suppressions(suppressions, stage, settings.for_path, options.partition, report.errors))
    report.sort()
    return report


def _formats(registry: Registry, report: Report) -> FormatRegistry:
    """The registry's formats (loaded on their own for a registry built by hand)."""
    formats = registry.formats if len(registry.formats) else load_formats()
    if not len(formats):
        report.errors.append(SourceError("<plugins>", 0, "no input formats are installed (the iamlint.formats "
                                                         "entry points are missing: reinstall iamlint)"))
    return formats


def _units(paths: list[str], formats: FormatRegistry, settings: Settings, report: Report) -> list[Unit]:
    units, missing = discover(paths, formats)
    if missing and active():  # --stdin-filename of a file not saved yet
        unsaved, missing = unsaved_units(missing, formats)
        units += unsaved
    for arg in missing:
        report.errors.append(SourceError(arg, 0, "no such file or directory"))
    return [unit for unit in units if not settings.excluded_unit(path for path, _ in unit.files)]


def _checked(
    unit: Unit, result: UnitResult, options: Options, registry: Registry, scope: Scope, report: Report, seen_files: set[str],
) -> None:
    """Count a loaded unit, run the graph rules on it, record what suppressions need."""
    seen_files.update(os.path.normpath(f) for f in result.files)
    report.files = len(seen_files)
    # AWS managed policies are added by enrichment: they are not resources of the code
    report.resources += sum(1 for node in result.graph.nodes if not isinstance(node, AwsManagedPolicy))
    report.errors.extend(result.errors)
    unit_options = options.for_unit(unit)
    rules = [rule for rule in registry.rules if rule.stage == GRAPH_STAGE and _enabled(rule, unit_options)]
    context = Context(partition=unit_options.partition,
                      options={"accepted_managed_policies": unit_options.accepted_managed_policies})
    scope.add(unit, result, options.settings)
    report.findings.extend(check_graph(result.graph, rules, context, unit_options, unit, report.errors, scope.outside))


def load_unit(unit: Unit, options: Options) -> UnitResult | None:
    """Read, parse and normalise one unit into its graph (through its format), then add
    the AWS managed policies it references (before the result is cached, so a warm run
    never reads the policy snapshot)."""
    if unit.format is None:
        raise ValueError(f"no input format loads {unit.root}")
    result = unit.format.load(unit, options.for_unit(unit))
    if result is not None:
        enrich_graph(result.graph)
    return result


def check_graph(
    graph: Graph, rules: Iterable[Rule], context: Context, options: Options, unit: Unit, errors: list[SourceError],
    outside: list[LocatedFinding] | None = None,
) -> list[LocatedFinding]:
    """Located findings of ``rules`` on ``graph``; those outside ``unit.only`` go to
    ``outside`` (suppressions they match are not "unused")."""
    located: list[LocatedFinding] = []
    for rule in rules:
        try:
            findings = list(rule.check(graph, context))
        except Exception as exc:  # one failing rule never stops the others
            errors.append(SourceError(unit.root, 0, f"rule {rule.code} ({rule.name}) failed: {exc!r}"))
            continue
        for finding in findings:
            item = _locate(rule, finding, options.severity)
            if unit.only is None or os.path.normpath(item.path) in unit.only:
                if options.settings is None or options.settings.reported(item.rule, item.path):
                    located.append(item)
            elif outside is not None:
                outside.append(item)
    return located


def check_suppressions(
    suppressions: tuple[InlineSuppression, ...], rules: Iterable[Rule], policy: Policy, partition: str,
    errors: list[SourceError],
) -> list[LocatedFinding]:
    """Located findings of the ``suppressions``-stage rules (SUP001-SUP003...), each
    kept when its rule is enabled for the suppression's file (severity from there too)."""
    context = Context(partition=partition)
    located: list[LocatedFinding] = []
    for rule in rules:
        try:
            findings = list(rule.check(suppressions, context))
        except Exception as exc:  # one failing rule never stops the others
            errors.append(SourceError("<suppressions>", 0, f"rule {rule.code} ({rule.name}) failed: {exc!r}"))
            continue
        for finding in findings:
            path = (finding.span or finding.node.span).file
            effective = policy(path)
            if effective.enables(rule.code, path):
                located.append(_locate(rule, finding, effective.severity))
    return located


def _locate(rule: Rule, finding: Finding, severities: dict[str, Severity]) -> LocatedFinding:
    span = finding.span or locate(finding.node, finding.path)
    severity = severities.get(rule.code) or finding.severity or rule.severity
    related = tuple(Related(label, node.address, locate(node, path)) for label, node, path in finding.related)
    message = finding.message
    condition = condition_of(finding.node, finding.path)
    if condition and condition not in message:
        message = f"{message} (only when {condition})"
    return LocatedFinding(
        rule=rule.code,
        name=rule.name,
        severity=severity,
        message=message,
        path=span.file,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        resource=finding.node.address,
        related=related,
        tags=finding.tags,
        references=finding.references,
    )


def _enabled(rule: Rule, options: Options) -> bool:
    keys = {rule.code, rule.name}
    if options.select is not None and not keys & options.select:
        return False
    return not keys & options.ignore


def _dedupe(findings: list[LocatedFinding]) -> list[LocatedFinding]:
    seen: set[tuple] = set()
    unique = []
    for finding in findings:
        key = finding.sort_key
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique

