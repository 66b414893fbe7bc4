"""The pipeline: discover -> load each unit (its format parses and normalises it) ->
rules -> located findings -> suppressions -> post-suppression rules.

Data flows one way. A format's parser and normaliser are imported only when a unit of
that format is loaded (a .tf run never imports YAML support, a template never imports
hcl2): the formats import them inside ``load`` (:mod:`iamlint.formats`).
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from iamlint.cache import UnitCache
from iamlint.config import Settings
from iamlint.discovery import discover, unsaved_units
from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.units import SourceError, Unit, UnitResult
from iamlint.model.findings import GRAPH_STAGE, SUPPRESSIONS_STAGE, Context, Finding, InlineSuppression, Rule, Severity
from iamlint.options import Options
from iamlint.parallel import Progress, load_units
from iamlint.registry import Registry, deferred, load_deferred, load_plugins
from iamlint.report import LocatedFinding, Related, Report
from iamlint.results import Checked, ResultCache
from iamlint.sources import active, limited, overlaid, read_source, real_path, real_paths, repository_root
from iamlint.suppressions import Policy, Scope, apply as apply_suppressions, node_prefixes

if TYPE_CHECKING:  # start-up: the graph model, the locator and the knowledge are imported
    # where a unit is loaded or checked; a run the results cache serves needs none of them
    from iamlint.model.graph import Graph

__all__ = ["Options", "check_graph", "load_unit", "run"]

PROFILE_UNRESOLVED = "EC2002"  # the "cannot verify" notes


def run(paths: list[str], options: Options | None = None, registry: Registry | None = None,
        progress: Progress | None = None) -> Report:
    options = options or Options()
    # the size cap of every file this run reads; folders' real paths resolved once in the run
    with limited(options.max_file_size), real_paths():
        return _run(paths, options, registry, progress)


def _run(paths: list[str], options: Options, registry: Registry | None, progress: Progress | None = None) -> Report:
    registry = registry or load_plugins()
    settings = options.settings or Settings.from_options(registry, options)
    # Terraform's file() reads only inside the repositories of the paths checked
    roots = options.read_roots or tuple(sorted({repository_root(path, paths) for path in paths}))
    options = replace(options, settings=settings, read_roots=roots)
    report = Report()
    for problem in registry.errors:
        report.errors.append(SourceError("<plugins>", 0, problem))
    formats = _formats(registry, report)
    units, excluded = _units(paths, formats, settings, report)
    loading = _Loading(options, registry, formats, report, excluded)
    # results of unchanged units (iamlint.results), then the content-hash cache of loaded
    # units and a process pool above a size threshold (iamlint.parallel)
    cache = UnitCache(enabled=options.cache)
    results = ResultCache(settings, registry.rules, enabled=options.cache and loading.account is None, keys=cache.keys)
    # pool workers run the rules too and store the results, except with --account / --state
    # (context of this process)
    check = _WorkerCheck(loading, results) if loading.account is None else None
    for unit, checked, result, crash in _loaded(units, options, cache, results, progress, check, registry.rules):
        if checked is not None:
            loading.take(unit, checked)
        else:
            loading.add(unit, result, crash, cache, results)
    cache.finish()
    results.finish()
    loading.finish(paths)
    _suppress(report, loading, registry, settings, options)
    report.errors.extend(getattr(settings, "errors", ()))  # configuration files found in the tree that are bad
    _locate_fixes(report, options, loading)
    report.sort()
    return report


class _Loading:
    """What loading the units gives the report: each unit's located findings (a view),
    input errors, skipped files; and what the end of the run needs (units used, files
    read, the --var names each Terraform root module does not declare)."""

    def __init__(self, options: Options, registry: Registry, formats: FormatRegistry, report: Report,
                 excluded: Iterable[Unit]) -> None:
        self.options, self.registry, self.formats, self.report = options, registry, formats, report
        self.scope, self.files, self.lines = Scope(formats), _Files(), Lines()
        self.account = _account(options, report)
        self.views: list[View] = []
        self.undeclared: list[list[str]] = []
        self.used: list[Unit] = list(excluded)  # units checked (or excluded by the configuration)
        # files units read (a JSON file templatefile() reads is used, not skipped); resolved
        # (realpath) only when something was skipped
        self.read: list[str] = []

    def add(self, unit: Unit, result: UnitResult | Checked | None, crash: str | None, cache: UnitCache | None = None,
            results: ResultCache | None = None) -> None:
        """A loaded unit (or its crash): checked (unless a pool worker did), then taken; its
        results stored."""
        report = self.report
        if crash is not None:  # a crash on one unit never stops the others
            self.used.append(unit)
            report.errors.append(SourceError(unit.root, 0, f"internal error while reading this input: {crash}"))
        elif isinstance(result, Checked):  # checked by a pool worker, which stored it too (_WorkerCheck)
            if results is not None and results.enabled:
                results.writes += 1  # (prune at the end of the run)
            self.take(unit, result)
        elif result is not None:
            checked = self.check(unit, result)
            if results is not None and cache is not None and results.enabled and not _overlaid(unit):
                unit_options = self.options.for_unit(unit)
                results.store(unit, unit_options, checked, cache.sources(unit, unit_options))
            self.take(unit, checked)
        else:  # not of its format after all (a JSON file that is neither a plan nor a template)
            report.skipped.extend(SourceError(display, 0, f"skipped: {self.formats.not_of(os.path.basename(display))}")
                                  for _, display in unit.files)

    def check(self, unit: Unit, result: UnitResult) -> Checked:
        """Run the graph rules on a loaded unit: what the rest of the run needs from it."""
        moved = self.account.moves(result.graph) if self.account is not None and unit.kind != "account" else None
        checked = _checked(unit, result, self.options, self.registry, self.lines, moved)
        if self.options.fixes:  # located here, in the pool worker that checks the unit, not at the end of the run
            located = self.locate([*checked.located, *checked.outside])
            count = len(checked.located)
            checked.located, checked.outside = located[:count], located[count:]
        return checked

    def locate(self, findings: list[LocatedFinding]) -> list[LocatedFinding]:
        """``findings`` with the fixes they propose located (:func:`iamlint.fixes.locate`),
        by a planner of their own: it keeps the texts and trees of the files it reads only
        for these findings (one for the whole run kept every tree it built, ~20 MB more
        peak memory on ../shared/corpus)."""
        if not any(f.intent is not None for f in findings):
            return findings
        # start-up: the fix planner (and the parsers it re-reads files with) only when a finding proposes a fix
        from iamlint.fixes import locate as locate_fixes

        return locate_fixes(findings, self.formats)

    def take(self, unit: Unit, checked: Checked) -> None:
        """A checked unit (just checked, or from the results cache) into the report."""
        report = self.report
        self.used.append(unit)
        self.read += checked.files
        self.read += checked.sources
        self.files.add(unit, checked.files, report)
        # AWS managed policies are added by enrichment: they are not resources of the code
        report.resources += checked.resources
        report.errors.extend(checked.errors)
        self.scope.add_files(unit, checked.files, checked.facts, self.options.settings)
        self.scope.add_prefixes(checked.prefixes)
        self.scope.outside.extend(checked.outside)
        self.views.append(View(unit, checked.located, frozenset(checked.addresses)))
        if unit.kind == "terraform":
            self.undeclared.append(checked.undeclared)

    def finish(self, paths: list[str]) -> None:
        report = self.report
        if report.skipped:
            read = {real_path(path) for path in self.read}
            report.skipped = [item for item in report.skipped if real_path(item.path) not in read]
        report.errors.extend(nothing_found(paths, self.used, self.formats))
        roots = [v.unit.root for v in self.views if v.unit.kind == "terraform"]
        report.notes.extend(undeclared_variables(self.undeclared, roots))
        report.findings = _dedupe([finding for view in one_view(self.views) for finding in view.findings])


class _WorkerCheck:
    """What a pool worker runs on a unit it loaded (it reaches the workers by fork, never
    pickled): the graph rules, then the unit's results entry, written by the worker
    itself -- the parent neither pickles, masks nor writes it. Returns the pickled
    ``Checked`` record the worker sends back (its bytes are the entry's payload too when
    nothing needs masking)."""

    def __init__(self, loading: _Loading, results: ResultCache) -> None:
        self.loading, self.results = loading, results

    def __call__(self, unit: Unit, result: UnitResult, sources: list[list[str]] | None) -> bytes:
        checked = self.loading.check(unit, result)
        consulted, checked.consulted = checked.consulted, []  # what the entry's header needs, not the parent
        payload = pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL)
        if self.results.enabled and not _overlaid(unit):
            checked.consulted = consulted
            self.results.store(unit, self.loading.options.for_unit(unit), checked, sources, payload=payload)
        return payload


def _loaded(units: list[Unit], options: Options, cache: UnitCache, results: ResultCache, progress: Progress | None,
            check: _WorkerCheck | None = None, rules: Iterable[Rule] = (),
            ) -> Iterator[tuple[Unit, Checked | None, UnitResult | Checked | None, str | None]]:
    """``(unit, checked, result, crash)`` for every unit in order: ``checked`` from the
    results cache, else the loaded ``result`` (or ``crash``; a ``Checked`` when a pool
    worker also ran ``check`` on it). load_unit is looked up
    here, at run time (tests replace it). The deferred built-in ``rules`` are imported
    when a unit is to be checked (before a pool forks: its workers inherit them)."""
    found: dict[int, Checked] = {}
    if results.enabled:
        for index, unit in enumerate(units):
            if not _overlaid(unit):
                checked = results.lookup(unit, options.for_unit(unit))
                if checked is not None:
                    found[index] = checked
    rest = [unit for index, unit in enumerate(units) if index not in found]
    if rest:
        load_deferred(rules)
    if progress is not None:
        progress.begin(len(units))
    loaded = load_units(rest, options, cache, options.jobs, load_unit, _Continued(progress) if progress else None, check)
    for index, unit in enumerate(units):
        if index in found:
            if progress is not None:
                progress.done(unit)
            yield unit, found.pop(index), None, None
        else:
            unit, result, crash = next(loaded)
            yield unit, None, result, crash


class _Continued:
    """A progress display the results cache already told the total (load_units counts
    only the units it loads)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def begin(self, total: int) -> None:
        pass

    def reading(self, unit: Any) -> None:
        self.progress.reading(unit)

    def done(self, unit: Any) -> None:
        self.progress.done(unit)


def _overlaid(unit: Unit) -> bool:
    """An unsaved editor buffer stands in for one of its files (its results would be
    written on every edit and never read)."""
    return any(overlaid(path) for path, _ in unit.files)


def _suppress(report: Report, loading: _Loading, registry: Registry, settings: Settings, options: Options) -> None:
    """Hide the suppressed findings, then judge the suppressions (SUP001-SUP003)."""
    suppressions = apply_suppressions(report, loading.scope, registry, settings.for_path)
    stage = [rule for rule in registry.rules if rule.stage == SUPPRESSIONS_STAGE]
    about = check_suppressions(suppressions, stage, settings.for_path, options.partition, report.errors)
    # a file loaded only to judge the files given: its suppressions are not reported on
    report.findings.extend(f for f in about if os.path.normpath(f.path) not in loading.files.loaded)


def _locate_fixes(report: Report, options: Options, loading: _Loading) -> None:
    """Fixes are located as each unit is checked (``_Loading.check``); what is left: the
    suppression rules' findings, and the units the results cache served from a run that
    did not locate them. Without ``options.fixes`` (nothing shows them) no finding keeps
    an intent or a fix (a results entry of a run that located them may hold some)."""
    if not options.fixes:
        report.findings = [replace(f, intent=None, fix=None) if f.intent is not None or f.fix is not None else f
                           for f in report.findings]
    else:
        report.findings = loading.locate(report.findings)


class _Account:
    """--account / --state: snapshots and states as context of each code unit
    (iamlint.normalize.context)."""

    def __init__(self, options: Options) -> None:
        # start-up: the snapshot reader and context only with --account
        from iamlint.normalize import context

        self.module = context
        self.context = context.load_context(options.account, options.partition, options.state)

    def moves(self, graph: Graph) -> Callable[[LocatedFinding], LocatedFinding]:
        """Add the context the graph's unresolved references name; how to move a finding
        located in the context to the code that named it."""
        origins = self.module.attach(graph, self.context)
        if origins:
            from iamlint.knowledge import enrich_graph

            enrich_graph(graph)  # the AWS managed policies the snapshot's roles attach
        return lambda finding: self.module.relocate(finding, origins, self.context)


def _account(options: Options, report: Report) -> _Account | None:
    if not options.account and not options.state:
        return None
    account = _Account(options)
    report.errors.extend(account.context.errors)
    return account


class _Files:
    """The files of the run: those reported on (given, or in a folder given) and those
    loaded only to judge them (the rest of the module of a file given on its own). A
    child module called from several roots counts once."""

    __slots__ = ("reported", "loaded")

    def __init__(self) -> None:
        self.reported: set[str] = set()
        self.loaded: set[str] = set()

    def add(self, unit: Unit, files: list[str], report: Report) -> None:
        for path in map(os.path.normpath, files):
            (self.reported if unit.only is None or path in unit.only else self.loaded).add(path)
        self.loaded -= self.reported
        report.files, report.loaded = len(self.reported), len(self.loaded)


def _formats(registry: Registry, report: Report) -> FormatRegistry:
    """The registry's formats (loaded on their own for a registry built by hand)."""
    formats = registry.formats if len(registry.formats) else load_formats()
    if not len(formats):
        report.errors.append(SourceError("<plugins>", 0, "no input formats are installed (the iamlint.formats "
                                                         "entry points are missing: reinstall iamlint)"))
    return formats


def _units(paths: list[str], formats: FormatRegistry, settings: Settings, report: Report) -> tuple[list[Unit], list[Unit]]:
    """The units to check, and those the configuration excludes."""
    units, missing = discover(paths, formats, notes=report.notes, errors=report.errors, skipped=report.skipped)
    if missing and active():  # --stdin-filename of a file not saved yet
        unsaved, missing = unsaved_units(missing, formats)
        units += unsaved
    for arg in missing:
        report.errors.append(SourceError(arg, 0, "no such file or directory"))
    kept: list[Unit] = []
    excluded: list[Unit] = []
    for unit in units:
        (excluded if settings.excluded_unit(path for path, _ in unit.files) else kept).append(unit)
    return kept, excluded


def nothing_found(paths: list[str], units: list[Unit], formats: FormatRegistry) -> list[SourceError]:
    """Never a silent green: an error for each folder given in which no unit was checked
    (nor excluded by the configuration), naming what iamlint reads."""
    roots = [real_path(unit.root) for unit in units]
    errors = []
    for arg in dict.fromkeys(paths):
        if not os.path.isdir(arg):
            continue
        top = real_path(arg)
        if not any(root == top or root.startswith(top.rstrip(os.sep) + os.sep) for root in roots):
            errors.append(SourceError(os.path.normpath(arg), 0, f"no {formats.families()} files found under "
                                                                f"{os.path.normpath(arg)}; supported: {formats.supported()}"))
    return errors


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
    unit: Unit, result: UnitResult, options: Options, registry: Registry, lines: Lines,
    moved: Callable[[LocatedFinding], LocatedFinding] | None = None,
) -> Checked:
    """Run the graph rules on a loaded unit; what the rest of the run takes from it."""
    from iamlint.model.graph import AwsManagedPolicy  # (start-up: a served run imports no graph model)

    unit_options = options.for_unit(unit)
    rules = [rule for rule in registry.rules if rule.stage == GRAPH_STAGE and _enabled(rule, unit_options)]
    context = Context(partition=unit_options.partition,
                      options={"accepted_managed_policies": unit_options.accepted_managed_policies,
                               "used_actions": unit_options.used_actions})
    errors: list[SourceError] = []
    outside: list[LocatedFinding] = []
    consulted = [*result.files]  # paths whose settings the check reads (exclusion from suppression scope too)
    located = check_graph(result.graph, rules, context, unit_options, unit, errors, outside, lines, moved, consulted)
    nodes = result.graph.nodes
    return Checked(
        files=list(result.files),
        sources=list(result.sources or ()),
        errors=[*result.errors, *errors],
        located=_fixes_in_sources(located, unit, options),
        outside=outside,
        facts={path: result.facts[path] for path in result.files if path in result.facts},
        prefixes=node_prefixes(nodes),
        addresses=tuple(node.address for node in nodes),
        resources=sum(1 for node in nodes if not isinstance(node, AwsManagedPolicy)),
        undeclared=list(result.undeclared_vars),
        consulted=consulted,
        failed=bool(errors),
    )


_GENERATED = ("plan", "account", "cdk")  # unit kinds that are not code to edit


def _fixes_in_sources(located: list[LocatedFinding], unit: Unit, options: Options) -> list[LocatedFinding]:
    """Drop the fixes that would edit what iamlint must not: a plan or a CDK cloud assembly's
    template (generated: the fix belongs in the sources), an account snapshot or a state given as context (--account,
    --state: a finding on them is reported at the code naming them, but they are not code)."""
    context = tuple(os.path.abspath(path) for path in (*options.account, *options.state))
    if unit.kind not in _GENERATED and not context:
        return located
    return [replace(f, intent=None) if f.intent is not None and (unit.kind in _GENERATED or _in_context(
        f.intent, context)) else f for f in located]


def _in_context(intent: object, context: tuple[str, ...]) -> bool:
    node = getattr(intent, "node", None)
    span = getattr(node, "span", None)
    where = os.path.abspath(getattr(span, "file", "") or "")
    return any(where == path or where.startswith(path.rstrip(os.sep) + os.sep) for path in context)


def load_unit(unit: Unit, options: Options) -> UnitResult | None:
    """Read, parse and normalise one unit into its graph (through its format), then add
    the AWS managed policies it references (before the result is cached, so a warm run
    never reads the policy snapshot)."""
    if unit.format is None:
        raise ValueError(f"no input format loads {unit.root}")
    with limited(options.max_file_size):  # the size cap of every file read (also in worker processes)
        result = unit.format.load(unit, options.for_unit(unit))
    if result is not None:
        from iamlint.knowledge import enrich_graph

        result.errors.extend(rejected_policies(result.graph))
        enrich_graph(result.graph)
    return result


def rejected_policies(graph: Graph) -> list[SourceError]:
    """What AWS would reject in the policy documents written in the code (not JSON, an
    element of the wrong type, ...: :class:`~iamlint.model.policy.Rejected`), each a
    located input error, once; rules skip these documents and statements."""
    from iamlint.model.links import written_policies
    from iamlint.model.policy import rejections, reported

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
    outside: list[LocatedFinding] | None = None, lines: Lines | None = None,
    moved: Callable[[LocatedFinding], LocatedFinding] | None = None, consulted: list[str] | None = None,
) -> list[LocatedFinding]:
    """Located findings of ``rules`` on ``graph``. With ``unit.only`` (files given on
    their own, as pre-commit passes them) a finding is kept when its chain touches one
    of those files -- its location or any related location (the instance, profile,
    role, policy, statement, attachment it followed): a change in main.tf can make a
    statement in iam.tf an error. The others go to ``outside`` (suppressions they
    match are not "unused"). ``consulted`` collects the paths whose settings decided
    whether a finding is reported (the results cache records them)."""
    lines = lines or Lines()
    located: list[LocatedFinding] = []
    aggregated: set[tuple] = set()
    for rule in rules:
        try:
            findings = list(rule.check(graph, context))
        except Exception as exc:  # one failing rule never stops the others
            errors.append(SourceError(unit.root, 0, f"rule {rule.code} ({rule.name}) failed: {exc!r}"))
            continue
        for finding in findings:
            located_item = _locate(rule, finding, options.severity, lines)
            if moved is not None:  # context (--account, --state): located at the code naming it
                located_item = moved(located_item)
            item = _aggregate(graph, located_item, aggregated)
            if item is None:
                continue
            if item.resource in graph.constructs:  # synthesised by the AWS CDK: where in the user's code
                item = replace(item, construct=graph.constructs[item.resource])
            if unit.only is None or touches(item, unit.only):
                if consulted is not None:
                    consulted.append(item.path)
                if options.settings is None or options.settings.reported(item.rule, item.path):
                    located.append(item)
            elif outside is not None:
                outside.append(item)
    return located


def touches(finding: LocatedFinding, files: set[str]) -> bool:
    """Whether ``finding`` is located in one of ``files`` (normalised paths) or relates
    to something written there."""
    if os.path.normpath(finding.path) in files:
        return True
    return any(os.path.normpath(link.span.file) in files for link in finding.related)


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
        if not suppressions and deferred(rule.check):
            continue  # a built-in suppression rule judges suppressions only: not imported to find none
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


def _locate(rule: Rule, finding: Finding, severities: dict[str, Severity], lines: Lines | None = None) -> LocatedFinding:
    from iamlint.fingerprint import described, identity
    from iamlint.locate import condition_of, header_span, locate

    span = finding.span or locate(finding.node, finding.path)
    severity = severities.get(rule.code) or finding.severity or rule.severity
    related = tuple(Related(label, node.address, locate(node, path)) for label, node, path in finding.related)
    if finding.span is None and span == finding.node.span and span.end_line > span.line:
        # about the whole block (an attribute it lacks): its header line, the block related
        related = (Related("resource", finding.node.address, span), *related)
        span = header_span(span, (lines or Lines())(span.file, span.line))
    message = finding.message
    condition = condition_of(finding.node, finding.path)
    if condition and condition not in message:
        message = f"{message} (only when {condition})"
    if isinstance(finding.node, InlineSuppression):
        logical = described(("suppression", *finding.node.keys), message)
    else:
        logical = identity(finding.node, finding.path)
        if finding.span is not None:  # located inside a value by the rule: its message tells findings apart
            logical = described((logical,), message)
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
        identity=logical,
        intent=finding.fix,
    )


class Lines:
    """Lines of source files for block headers, read once per file and run (through the
    editor overlay)."""

    def __init__(self) -> None:
        self._files: dict[str, list[str]] = {}

    def __call__(self, path: str, line: int) -> str | None:
        lines = self._files.get(path)
        if lines is None:
            text, _ = read_source(path)
            lines = self._files[path] = (text or "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None


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

