"""The pipeline: discover -> parse and normalise each unit -> rules -> located findings.

Data flows one way. Format-specific code is imported only when a unit of that format
is present (a .tf run never imports YAML support, a template never imports hcl2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from iamlint.discovery import Unit, discover
from iamlint.locate import condition_of, locate
from iamlint.model.findings import Context, Finding, Rule, Severity
from iamlint.model.graph import AwsManagedPolicy, Graph
from iamlint.normalize.base import SourceError, UnitResult
from iamlint.registry import Registry, load_rules
from iamlint.report import LocatedFinding, Related, Report


@dataclass(slots=True)
class Options:
    partition: str = "aws"
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    var_files: list[str] = field(default_factory=list)
    # --var / --var-file in command-line order, as ("var", "NAME=VALUE") / ("file", PATH);
    # when set, Terraform variables apply in this order (Terraform interleaves them)
    var_order: list[tuple[str, str]] = field(default_factory=list)
    jobs: int | None = None  # processes for loading units; None: CPU count (iamlint.parallel)
    cache: bool = True  # content-hash cache of loaded units (iamlint.cache)
    settings: Any = None  # iamlint.config.Settings: configuration files + command-line layer
    accepted_managed_policies: tuple[str, ...] = ()  # rules only (IAM006-IAM008): not part of a unit's identity

    def for_unit(self, unit: Unit) -> Options:
        """The options of one unit: its closest configuration file, then the command line."""
        return self if self.settings is None else self.settings.unit_options(self, unit.root)


def run(paths: list[str], options: Options | None = None, registry: Registry | None = None) -> Report:
    from iamlint.config import Settings
    from iamlint.sources import active, unsaved_units
    from iamlint.suppressions import Scope, apply as apply_suppressions

    options = options or Options()
    registry = registry or load_rules()
    settings = options.settings or Settings.from_options(registry, options)
    options = replace(options, settings=settings)
    report = Report()
    for problem in registry.errors:
        report.errors.append(SourceError("<plugins>", 0, problem))
    units, missing = discover(paths)
    if missing and active():  # --stdin-filename of a file not saved yet
        unsaved, missing = unsaved_units(missing)
        units += unsaved
    units = [unit for unit in units if not settings.excluded_unit(path for path, _ in unit.files)]
    for arg in missing:
        report.errors.append(SourceError(arg, 0, "no such file or directory"))
    scope = Scope()
    seen_files: set[str] = set()  # a child module called from several roots counts once
    from iamlint.cache import UnitCache
    from iamlint.parallel import load_units

    cache = UnitCache(enabled=options.cache)
    # content-hash cache, then a process pool above a size threshold (iamlint.parallel)
    for unit, result, crash in load_units(units, options, cache, options.jobs):
        if crash is not None:  # a crash on one unit never stops the others
            report.errors.append(SourceError(unit.root, 0, f"internal error while reading this input: {crash}"))
            continue
        if result is None:
            continue
        seen_files.update(os.path.normpath(f) for f in result.files)
        report.files = len(seen_files)
        # AWS managed policies are added by enrichment: they are not resources of the code
        report.resources += sum(1 for node in result.graph.nodes if not isinstance(node, AwsManagedPolicy))
        report.errors.extend(result.errors)
        unit_options = options.for_unit(unit)
        rules = [rule for rule in registry.rules if _enabled(rule, unit_options)]
        context = Context(partition=unit_options.partition,
                          options={"accepted_managed_policies": unit_options.accepted_managed_policies})
        scope.add(unit, result, settings)
        report.findings.extend(check_graph(result.graph, rules, context, unit_options, unit, report.errors, scope.outside))
    cache.finish()
    report.findings = _dedupe(report.findings)
    apply_suppressions(report, scope, registry, settings.for_path)
    report.sort()
    return report


def load_unit(unit: Unit, options: Options) -> UnitResult | None:
    """Read, parse and normalise one unit into its graph, then add the AWS managed
    policies it references (before the result is cached, so a warm run never reads the
    policy snapshot)."""
    result = _normalise(unit, options.for_unit(unit))
    if result is not None:
        from iamlint.knowledge import enrich_graph

        enrich_graph(result.graph)
    return result


def _normalise(unit: Unit, options: Options) -> UnitResult | None:
    if unit.kind == "terraform":
        from iamlint.normalize.terraform import load_module

        return load_module(unit.root, unit.files, options)
    if unit.kind == "plan":
        from iamlint.normalize.terraform.plan import load_plan

        path, display = unit.files[0]
        return load_plan(path, display, options)
    from iamlint.normalize.cloudformation import load_template

    path, display = unit.files[0]
    return load_template(path, display, options.partition)


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
            item = _locate(rule, finding, options)
            if unit.only is None or os.path.normpath(item.path) in unit.only:
                if options.settings is None or options.settings.reported(item.rule, item.path):
                    located.append(item)
            elif outside is not None:
                outside.append(item)
    return located


def _locate(rule: Rule, finding: Finding, options: Options) -> LocatedFinding:
    span = finding.span or locate(finding.node, finding.path)
    severity = options.severity.get(rule.code) or finding.severity or rule.severity
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
