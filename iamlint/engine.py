"""The pipeline: discover -> load each unit (its format parses and normalises it) ->
rules -> located findings -> suppressions -> post-suppression rules.

Data flows one way. A format's parser and normaliser are imported only when a unit of
that format is loaded (a .tf run never imports YAML support, a template never imports
hcl2): the formats import them inside ``load`` (:mod:`iamlint.formats`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
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
from iamlint.model.links import written_policies
from iamlint.model.policy import rejections, reported
from iamlint.options import Options
from iamlint.parallel import load_units
from iamlint.registry import Registry, load_plugins
from iamlint.report import LocatedFinding, Related, Report
from iamlint.sources import active
from iamlint.suppressions import Policy, Scope, apply as apply_suppressions

__all__ = ["Options", "check_graph", "load_unit", "run"]

PROFILE_UNRESOLVED = "EC2002"  # the "cannot verify" notes


def run(paths: list[str], options: Options | None = None, registry: Registry | None = None) -> Report:
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
    views: list[View] = []
    undeclared: list[list[str]] = []  # per Terraform root module, the --var names it does not declare
    for unit, result, crash in load_units(units, options, cache, options.jobs, load_unit):
        if crash is not None:  # a crash on one unit never stops the others
            report.errors.append(SourceError(unit.root, 0, f"internal error while reading this input: {crash}"))
        elif result is not None:
            located = _checked(unit, result, options, registry, scope, report, seen_files)
            views.append(View(unit, located, frozenset(node.address for node in result.graph.nodes)))
            if unit.kind == "terraform":
                undeclared.append(result.undeclared_vars)
    cache.finish()
    report.notes.extend(undeclared_variables(undeclared, [v.unit.root for v in views if v.unit.kind == "terraform"]))
    report.findings = _dedupe([finding for view in one_view(views) for finding in view.findings])
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


def undeclared_variables(per_root: list[list[str]], roots: list[str]) -> list[SourceError]:
    """One note for each ``--var`` name that no checked root module declares (Terraform
    stops on it: "Value for undeclared variable"; here the value is ignored and the
    run goes on). A name some root module declares is meant for that one."""
    if not per_root:
        return []
    names = [name for name in per_root[0] if all(name in other for other in per_root[1:])]
    where = roots[0] if len(roots) == 1 else "--var"
    scope = "the root module declares no" if len(roots) == 1 else f"none of the {len(roots)} root modules checked declares a"
    return [SourceError(where, 0, f"--var {name}: {scope} variable {name!r}; the value is ignored "
                                  f"(terraform would stop: \"Value for undeclared variable\")") for name in names]


@dataclass(frozen=True, slots=True)
class View:
    """What one unit reported: its located findings and the addresses of its nodes."""

    unit: Unit
    findings: list[LocatedFinding]
    addresses: frozenset[str]


def one_view(views: list[View]) -> list[View]:
    """A plan JSON beside the sources it came from (its folder is a checked Terraform
    unit) describes the same resources: one finding per root cause. Where both report
    a rule on a resource, the sources' finding stays (exact locations: the action's own
    line); the plan's findings on what the sources could not evaluate stay (values from
    tfvars not given, data sources, values known at plan time), and the sources'
    "cannot verify" notes on resources the plan holds go."""
    sources = {os.path.normpath(v.unit.root): i for i, v in enumerate(views) if v.unit.kind == "terraform"}
    result = list(views)
    for index, view in enumerate(views):
        if view.unit.kind != "plan":
            continue
        pair = sources.get(os.path.normpath(os.path.dirname(view.unit.root) or "."))
        if pair is None:
            continue
        code = result[pair]
        kept = [f for f in code.findings if not (f.rule == PROFILE_UNRESOLVED and f.resource in view.addresses)]
        reported = {(f.rule, f.resource) for f in kept}
        result[pair] = replace(code, findings=kept)
        result[index] = replace(view, findings=[f for f in view.findings if (f.rule, f.resource) not in reported])
    return result


def _checked(
    unit: Unit, result: UnitResult, options: Options, registry: Registry, scope: Scope, report: Report, seen_files: set[str],
) -> list[LocatedFinding]:
    """Count a loaded unit, run the graph rules on it, record what suppressions need;
    its located findings."""
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
    return check_graph(result.graph, rules, context, unit_options, unit, report.errors, scope.outside)


def load_unit(unit: Unit, options: Options) -> UnitResult | None:
    """Read, parse and normalise one unit into its graph (through its format), then add
    the AWS managed policies it references (before the result is cached, so a warm run
    never reads the policy snapshot)."""
    if unit.format is None:
        raise ValueError(f"no input format loads {unit.root}")
    result = unit.format.load(unit, options.for_unit(unit))
    if result is not None:
        result.errors.extend(rejected_policies(result.graph))
        enrich_graph(result.graph)
    return result


def rejected_policies(graph: Graph) -> list[SourceError]:
    """What AWS would reject in the policy documents written in the code (not JSON, an
    element of the wrong type, ...: :class:`~iamlint.model.policy.Rejected`), each a
    located input error, once; rules skip these documents and statements."""
    errors: dict[tuple, SourceError] = {}
    for node, _, document in written_policies(graph, trust=True):
        for message, span in rejections(document):
            if not reported((message, span), node.span):
                continue  # "" from a variable's default (a module checked on its own): its callers give it
            error = SourceError(span.file, span.line, f"{message} ({node.address})", span.column)
            errors.setdefault((span.file, span.line, span.column, message), error)
    return list(errors.values())


def check_graph(
    graph: Graph, rules: Iterable[Rule], context: Context, options: Options, unit: Unit, errors: list[SourceError],
    outside: list[LocatedFinding] | None = None,
) -> list[LocatedFinding]:
    """Located findings of ``rules`` on ``graph``; those outside ``unit.only`` go to
    ``outside`` (suppressions they match are not "unused")."""
    located: list[LocatedFinding] = []
    aggregated: set[tuple] = set()
    for rule in rules:
        try:
            findings = list(rule.check(graph, context))
        except Exception as exc:  # one failing rule never stops the others
            errors.append(SourceError(unit.root, 0, f"rule {rule.code} ({rule.name}) failed: {exc!r}"))
            continue
        for finding in findings:
            item = _aggregate(graph, _locate(rule, finding, options.severity), aggregated)
            if item is None:
                continue
            if unit.only is None or os.path.normpath(item.path) in unit.only:
                if options.settings is None or options.settings.reported(item.rule, item.path):
                    located.append(item)
            elif outside is not None:
                outside.append(item)
    return located


def _aggregate(graph: Graph, item: LocatedFinding, seen: set[tuple]) -> LocatedFinding | None:
    """A finding on the stand-in for the instances beyond --max-instances (``X[*]``, or a
    resource of a ``module.m[*]`` stand-in) holds for each of them: one finding per
    (rule, resource, location) says how many share it; None for a repeat."""
    stand_ins = graph.stand_in_of(item.resource)
    if not stand_ins:
        return item
    key = (item.rule, item.resource, item.path, item.line, item.column)
    if key in seen:
        return None
    seen.add(key)
    more = "; ".join(f"and {count:,} more instances of {address}, beyond the first {judged:,} judged one by one"
                     for address, count, judged in stand_ins)
    return replace(item, message=f"{item.message} ({more}; --max-instances)")


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

