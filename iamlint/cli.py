"""Command line: ``iamlint check``, ``iamlint rules``. One error handler maps outcomes to
exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or configuration error,
unreadable input.

``check`` receives its options as ``**flags`` (keyed by parameter name): adding an
option is one decorator plus reading ``flags["name"]``."""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import replace
from typing import Any, ClassVar

import click

from iamlint import __version__
from iamlint.cachedir import cache_dir, clear, refusal
from iamlint.config import RULES_EXPECTED, ConfigError, Glob, Layer, Settings, rule_codes
from iamlint.engine import Options, run
from iamlint.knowledge import snapshot_info
from iamlint.model.findings import Severity
from iamlint.model.masking import mask_text
from iamlint.registry import Registry, load_plugins
from iamlint.report import Report
from iamlint.reporters import FORMATS, get_formatter, statistics
from iamlint.reporters.text import summary
from iamlint.progress import for_stream
from iamlint.sources import DEFAULT_MAX_BYTES, overlay

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def use_color(choice: str, stream) -> bool:
    """--color beats the environment; NO_COLOR beats FORCE_COLOR; TERM=dumb means no colour."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _version_message() -> str:
    """The version line, then the dates of the bundled IAM knowledge (read lazily)."""

    class Message(str):
        def __mod__(self, values: dict) -> str:  # type: ignore[override]
            return f"{values['prog']}, version {values['version']}\n{snapshot_info()}"

    return Message("%(prog)s, version %(version)s")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="iamlint", message=_version_message())
def main() -> None:
    """Prove that EC2 instances run with least-privilege IAM roles."""


class _CheckCommand(click.Command):
    """Remembers the command-line order of --var and --var-file (Terraform applies them
    interleaved, in that order)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["iamlint.var_order"] = _var_order(args)
        return super().parse_args(ctx, args)


def _var_order(args: list[str]) -> list[tuple[str, str]]:
    order: list[tuple[str, str]] = []
    items = iter(args)
    for arg in items:
        if arg == "--":
            break
        for flag, kind in (("--var-file", "file"), ("--var", "var")):
            if arg == flag:
                value = next(items, None)
                if value is not None:
                    order.append((kind, value))
                break
            if arg.startswith(flag + "="):
                order.append((kind, arg[len(flag) + 1:]))
                break
    return order


class _Size(click.ParamType):
    """A size in bytes: ``2000000``, ``512KiB``, ``10MiB``, ``1GiB`` (also KB/MB/GB, K/M/G: binary)."""

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {
        "": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
        "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
    }

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        number = text.rstrip("kmgib")
        unit = text[len(number):]
        try:
            size = int(float(number) * self._UNITS[unit])
        except (ValueError, KeyError):
            self.fail(f"expected a size such as 10MiB or 2000000, got {value!r}", param, ctx)
        if size <= 0:
            self.fail("expected a size above 0", param, ctx)
        return size


_SIZE = _Size()


@main.command(cls=_CheckCommand)
@click.argument("paths", nargs=-1, type=click.Path())
# -- output
@click.option("--format", "--output-format", "output_format", type=click.Choice(list(FORMATS)), default="text", show_default=True,
              help="Output format: text (path:line:col), json, sarif (code scanning), github (annotations), "
                   "junit, gitlab (Code Quality).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE instead of stdout (the exit code still gates).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported (2 still means an error).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--show-suppressed", is_flag=True,
              help="Also show findings hidden by inline suppressions or the baseline (text and sarif).")
@click.option("-q", "--quiet", is_flag=True, help="No summary line, no progress line.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
# -- fixes
@click.option("--fix", is_flag=True, help="Apply the safe fixes in place (files are written after every rule ran on every "
                                          "file), then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, also apply fixes that change behaviour (review them).")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them (exit 1 if there is "
                                           "anything to change).")
@click.option("--extend-fixable", multiple=True, metavar="RULES",
              help="With --unsafe-fixes, also apply these rules' editor-only fixes (EC2001's scaffold).")
@click.option("--narrow-from", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="A policy of the actions really used (iamlive or IAM Access Analyzer output, JSON): IAM002 then "
                   "offers to replace wildcards with those actions (with --unsafe-fixes).")
# -- rule selection and gating (each beats the configuration file)
@click.option("--select", multiple=True, help="Only these rules (codes, names, code prefixes or ALL; repeat or comma-separate).")
@click.option("--extend-select", multiple=True, help="Add these rules to the selection.")
@click.option("--ignore", multiple=True, help="Skip these rules (codes or names).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default=None,
              help="Lowest severity that makes the exit code 1.  [default: error, or fail-on of the configuration]")
@click.option("--partition", type=click.Choice(["aws", "aws-cn", "aws-us-gov"]), default=None,
              help="AWS partition assumed for service principals and ARNs.  [default: aws]")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Replace the configured exclude patterns.")
@click.option("--extend-exclude", multiple=True, metavar="GLOB", help="Exclude these paths too.")
# -- configuration
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Use this configuration file for every path (no discovery).")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
# -- input
@click.option("--stdin-filename", metavar="PATH",
              help="Read the text of PATH from stdin (an unsaved editor buffer); its siblings are read from disk.")
@click.option("--base", "base", metavar="REV",
              help="Report only findings that are new compared with git revision REV (read from git objects; "
                   "moved or reformatted code adds nothing).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings that are not recorded in this baseline.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the current findings in FILE (exit 0 unless an input error).")
# -- Terraform variables
@click.option("--var", "tf_vars", multiple=True, metavar="NAME=VALUE",
              help="Set a Terraform root module variable (repeatable; like terraform -var).")
@click.option("--var-file", "tf_var_files", multiple=True, type=click.Path(dir_okay=False),
              help="Read Terraform variables from a .tfvars / .tfvars.json file (repeatable).")
@click.option("--account", "account_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="An AWS account snapshot (AWS CLI JSON, docs/account.md) used as context: names the code references "
                   "but does not define are resolved against it (repeatable). With no PATHS, the snapshot is checked.")
@click.option("--state", "state_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="A Terraform state (terraform show -json, or the raw state file) used as context: data sources "
                   "and resources the code names but does not define are resolved against it (repeatable).")
@click.option("--max-instances", type=click.IntRange(min=1), default=None, metavar="N",
              help="count/for_each instances of one block judged one by one; the rest are judged together "
                   "and reported once.  [default: 1000, or max-instances of the configuration]")
# -- speed and debugging
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
              help="Processes for loading (default: the CPUs this process may use, affinity and cgroup quota; "
                   "one process below ~64 KB of source to load).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the content-hash cache of parsed files.")
@click.option("--max-file-size", type=_SIZE, default=None, metavar="SIZE",
              help="Read no file larger than SIZE (bytes, or with KiB/MiB/GiB; default 10MiB): a larger one is an "
                   "input error. Only the command line sets it, never a configuration file.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def check(paths: tuple[str, ...], **flags: Any) -> None:
    """Check Terraform and CloudFormation files and directories (default: .)."""
    _check_flags(flags)
    batch_gc()
    paths = _stdin_paths(paths, flags["stdin_filename"])
    refused = refusal()  # a cache folder others can write: a note, and no cache at all
    if refused is not None:
        click.echo(f"iamlint: note: {refused}", err=True)
    try:
        registry = load_plugins()
        options = _options(registry, flags, list(paths) or ["."])
        settings = options.settings
        if flags["fix"] or flags["diff"]:
            report = _fix(list(paths) or ["."], options, registry, flags)
            if report is None:  # --diff: the patch was the output
                return
        else:
            report = _run(list(paths), options, registry, flags["stdin_filename"], flags["quiet"])
        if flags["base"]:
            _compare(report, flags["base"], list(paths) or ["."], registry, flags)
        if flags["write_baseline"]:
            from iamlint import baseline  # start-up: only with --write-baseline / --baseline

            count = baseline.write(flags["write_baseline"], report)
            click.echo(f"iamlint: recorded {count} finding{'s' if count != 1 else ''} in {flags['write_baseline']}", err=True)
        if flags["baseline_file"]:
            from iamlint import baseline  # start-up: only with --write-baseline / --baseline

            notes: list[str] = []
            baseline.apply(report, flags["baseline_file"], notes)
            for note in notes:
                click.echo(f"iamlint: {note}", err=True)
        for skipped in report.notes:  # skipped without an error (a FIFO, a symlink leading out)
            click.echo(mask_text(f"iamlint: note: {skipped.path}: {skipped.message}"), err=True)
        _output(report, registry, flags, settings.fail_on if settings is not None else None)
    except (ConfigError, *_baseline_errors(), *_git_errors()) as exc:  # type: ignore[misc]  # a tuple of exception types
        click.echo(mask_text(f"iamlint: {exc}"), err=True)
        sys.exit(EXIT_ERROR)
    except click.UsageError:
        raise
    except Exception as exc:  # the one top-level handler
        if flags["debug"]:
            import traceback  # start-up: only with --debug

            click.echo(mask_text(traceback.format_exc()), err=True, nl=False)
        click.echo(mask_text(f"iamlint: internal error: {exc!r} (run with --debug for details)"), err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(exit_code(report, settings, exit_zero=flags["exit_zero"] or bool(flags["write_baseline"])))


def _fix(paths: list[str], options: Options, registry: Registry, flags: dict) -> Report | None:
    """--fix / --diff: fixes applied in memory, round after round, then written (--fix)
    or printed as a patch (--diff: None returned, the process exits here)."""
    from iamlint import autofix  # start-up: only with --fix / --diff
    from iamlint.fixes import Selection

    extend = [part.strip() for value in flags["extend_fixable"] for part in value.split(",") if part.strip()]
    try:
        codes = rule_codes(registry, extend) if extend else set()
    except KeyError as exc:
        raise click.BadParameter(f"unknown rule {exc.args[0]!r} (expected {RULES_EXPECTED})",
                                 param_hint="--extend-fixable") from None
    selection = Selection(flags["unsafe_fixes"], codes or ())
    outcome = autofix.fix(paths, options, registry, selection)
    for problem in outcome.problems:
        click.echo(mask_text(f"iamlint: {problem}"), err=True)
    for finding in outcome.report.findings:  # a fix of the kind asked for that could not be made: why
        if finding.fix is not None and not finding.fix.available and selection.covers(finding):
            click.echo(mask_text(f"iamlint: {finding.path}:{finding.line}: {finding.rule}: no automatic fix: "
                                 f"{finding.fix.reason}"), err=True)
    if flags["diff"]:
        _print_diff(outcome, flags)
    for problem in autofix.write(outcome.changed):
        click.echo(mask_text(f"iamlint: {problem}"), err=True)
    count, files = len(outcome.applied), len(outcome.changed)
    click.echo(f"iamlint: fixed {count} finding{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}"
               f"{_hidden(outcome.hidden)}", err=True)
    return outcome.report


def _print_diff(outcome: Any, flags: dict) -> None:
    """--diff: the patch on stdout (or --output-file), a count on stderr; exit 1 when
    there is anything to change, 2 on input errors."""
    from iamlint import autofix  # start-up: only with --diff

    patch = mask_text(autofix.patch(outcome.changed))  # a credential near a fix: masked like every output
    if flags["output_file"]:
        with open(flags["output_file"], "w", encoding="utf-8", newline="") as handle:
            handle.write(patch)
    else:
        click.echo(patch, nl=False)
    count, files = len(outcome.applied), len(outcome.changed)
    click.echo(f"iamlint: {count} fix{'es' if count != 1 else ''} would change {files} file{'s' if files != 1 else ''}"
               f"{_hidden(outcome.hidden)}", err=True)
    sys.exit(EXIT_ERROR if outcome.report.errors else (EXIT_FINDINGS if outcome.changed else EXIT_CLEAN))


def _hidden(count: int) -> str:
    return f" ({count} more fix{'es' if count != 1 else ''} available with --unsafe-fixes)" if count else ""


def batch_gc() -> None:
    """Garbage collection for a run that ends with the process. A run allocates millions
    of small acyclic objects (syntax trees, graphs, the parse cache of child modules)
    that reference counting frees; the cyclic collector's full passes over that growing
    heap were 10-25 % of a ../shared/corpus run (12 full collections, ~4 s of CPU).
    The objects of start-up (modules, classes, functions) are frozen out of its sight,
    and it runs far less often; cycles are still collected."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def _baseline_errors() -> tuple[type[Exception], ...]:
    """BaselineError once iamlint.baseline is imported (only --baseline / --write-baseline
    and the sarif / gitlab reporters need it; it cannot be raised before that)."""
    module = sys.modules.get("iamlint.baseline")
    return (module.BaselineError,) if module is not None else ()


def _git_errors() -> tuple[type[Exception], ...]:
    """GitError once iamlint.change is imported (only --base needs it)."""
    module = sys.modules.get("iamlint.change.git")
    return (module.GitError,) if module is not None else ()


def _options(registry: Registry, flags: dict, paths: list[str]) -> Options:
    """The run's options from the command line (the command-line layer is rooted at the
    working directory; configuration files found under ``paths`` name files inside their
    repository only)."""
    return Options(
        settings=Settings(registry, _cli_layer(registry, flags), flags["config_file"], flags["isolated"], roots=paths),
        jobs=flags["jobs"] or None,
        cache=not flags["no_cache"],
        variables=_tf_vars(flags["tf_vars"]),
        var_files=list(flags["tf_var_files"]),
        var_order=click.get_current_context().meta.get("iamlint.var_order", []),
        max_file_size=flags["max_file_size"],
        used_actions=_used_actions(flags["narrow_from"]),
        # fixes are located only for what shows them (the text output does not: 10 % of a corpus run saved)
        fixes=bool(flags["fix"] or flags["diff"]) or flags["output_format"] in FIX_FORMATS,
        account=tuple(flags["account_files"]),
        state=tuple(flags["state_files"]),
    )


FIX_FORMATS = ("json", "sarif")


def _used_actions(path: str | None) -> tuple[str, ...] | None:
    """--narrow-from FILE: the actions of a generated policy (None without the option)."""
    if path is None:
        return None
    from iamlint.fixes.evidence import EvidenceError, used_actions  # start-up: only with --narrow-from

    try:
        return used_actions(path)
    except EvidenceError as exc:
        raise click.BadParameter(str(exc), param_hint="--narrow-from") from None


def _compare(report: Report, revision: str, paths: list[str], registry: Registry, flags: dict) -> None:
    """--base REV: keep the findings REV's tree did not have (checked with the same
    command line; files named on it -- --config, --var-file -- are the working tree's)."""
    from iamlint.change import compare  # start-up: only with --base

    same = {**flags, "config_file": _absolute(flags["config_file"]),
            "tf_var_files": tuple(os.path.abspath(f) for f in flags["tf_var_files"]),
            "account_files": tuple(os.path.abspath(f) for f in flags["account_files"]),
            "state_files": tuple(os.path.abspath(f) for f in flags["state_files"])}
    found = compare.base_fingerprints(revision, paths, lambda checked: _options(registry, same, checked), registry)
    compare.keep_new(report, found)
    if found.errors:
        click.echo(f"iamlint: {found.errors} input error{'s' if found.errors != 1 else ''} in the tree of {revision}: "
                   "findings there could not all be compared", err=True)


def _absolute(path: str | None) -> str | None:
    return os.path.abspath(path) if path else path


def _stdin_paths(paths: tuple[str, ...], stdin_filename: str | None) -> tuple[str, ...]:
    """``-`` reads the text from stdin: --stdin-filename says which file it stands for
    (its format, its module's other files on disk)."""
    if "-" not in paths:
        return paths
    if not stdin_filename:
        raise click.UsageError("'-' reads the file from stdin: add --stdin-filename PATH to say which file it is "
                               "(its format and its module come from the name, e.g. --stdin-filename infra/main.tf)")
    return tuple(stdin_filename if path == "-" else path for path in paths)


def exit_code(report, settings, exit_zero: bool = False) -> int:
    """2 input errors; 1 a finding at or above fail-on (of its file's configuration); else 0."""
    if report.errors:
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    if any(f.severity >= settings.fail_on(f.path) for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _check_flags(flags: dict) -> None:
    if flags["statistics"] and flags["output_format"] not in ("text", "json"):
        raise click.BadParameter("--statistics prints text or json only", param_hint="--format")
    if flags["config_file"] and flags["isolated"]:
        raise click.UsageError("--config and --isolated exclude each other")
    if flags["base"] and flags["write_baseline"]:
        raise click.UsageError("--base and --write-baseline exclude each other (a baseline records every finding)")
    if flags["fix"] and flags["diff"]:
        raise click.UsageError("--fix writes the fixes, --diff prints them: choose one")
    if (flags["fix"] or flags["diff"]) and flags["stdin_filename"]:
        raise click.UsageError("--fix and --diff work on files on disk, not on standard input")


def _cli_layer(registry: Registry, flags: dict) -> Layer:
    """The command line as the last configuration layer."""

    def codes(option: str):
        values = [part.strip() for value in flags[option] for part in value.split(",") if part.strip()]
        try:
            return rule_codes(registry, values)
        except KeyError as exc:
            hint = "--" + option.replace("_", "-")
            raise click.BadParameter(f"unknown rule {exc.args[0]!r} (expected {RULES_EXPECTED})", param_hint=hint) from None

    cwd = os.getcwd()
    return Layer(
        "command line",
        cwd,
        select=codes("select") if flags["select"] else None,
        extend_select=codes("extend_select"),
        ignore=codes("ignore"),
        exclude=tuple(Glob.compile(p, cwd) for p in flags["exclude"]) or None,
        extend_exclude=tuple(Glob.compile(p, cwd) for p in flags["extend_exclude"]),
        fail_on=Severity.parse(flags["fail_on"]) if flags["fail_on"] else None,
        partition=flags["partition"],
        max_instances=flags["max_instances"],
    )


def _run(paths: list[str], options: Options, registry: Registry, stdin_filename: str | None, quiet: bool = False) -> Report:
    """Run the engine (with a progress line on a terminal when it takes a while); with
    --stdin-filename the buffer read from stdin replaces that file."""
    if stdin_filename is None:
        if not paths and options.account:  # --account alone: the snapshot itself is checked
            paths, options = list(options.account), replace(options, account=())
        progress = for_stream(sys.stderr, quiet)
        try:
            return run(paths or ["."], options, registry, progress)
        finally:
            if progress is not None:
                progress.close()
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    limit = options.max_file_size or DEFAULT_MAX_BYTES  # the buffer is capped like any file
    data = stdin.read(limit + 1) if stdin is not None else sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
    if len(data) > limit:
        raise click.UsageError(f"the text on standard input is over the {limit} bytes limit (--max-file-size)")
    text = data.decode("utf-8", "replace")
    with overlay({stdin_filename: text}):
        return run(paths or [stdin_filename], options, registry)


def _output(report: Report, registry: Registry, flags: dict, fail_on=None) -> None:
    output_format, target = flags["output_format"], flags["output_file"]
    color = False
    if flags["statistics"]:
        text = (statistics.render_json if output_format == "json" else statistics.render_text)(report)
    else:
        color = output_format == "text" and not target and use_color(flags["color"], sys.stdout)
        render = get_formatter(output_format)
        text = render(report, color=color, quiet=flags["quiet"], rules=registry.rules,
                      show_suppressed=flags["show_suppressed"], **({"fail_on": fail_on} if fail_on else {}))
    if output_format == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        _append_step_summary(report, os.environ["GITHUB_STEP_SUMMARY"])
    if target is None:
        click.echo(text, nl=False, color=color or None)  # click would strip forced colour off a pipe
        return
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    if not flags["quiet"]:
        click.echo(f"{summary(report)} Report written to {target}.", err=True)


def _append_step_summary(report, path: str) -> None:
    """GitHub caps annotations; the job summary lists every finding."""
    from iamlint.reporters.github import step_summary  # start-up: only inside GitHub Actions

    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(step_summary(report))
    except OSError as exc:
        click.echo(f"iamlint: cannot write the job summary {path}: {exc.strerror or exc}", err=True)


def _tf_vars(values) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        variables[name.strip()] = value
    return variables


@main.command()
@click.option("--explain", metavar="CODE|NAME", help="Print the documentation of one rule.")
def rules(explain: str | None) -> None:
    """List the available rules (code, name, severity, fix, summary), or explain one."""
    registry = load_plugins()
    for problem in registry.errors:
        click.echo(f"iamlint: {problem}", err=True)
    if explain:
        rule = registry.find(explain)
        if rule is None:
            raise click.BadParameter(f"unknown rule {explain!r}", param_hint="--explain")
        click.echo(f"{rule.code} {rule.name} ({rule.severity.label})\n")
        if rule.fixable:
            click.echo(f"Fix: {FIXABLE.get(rule.fixable, rule.fixable)}\n")
        click.echo(rule.doc.strip())
        return
    for rule in registry.rules:
        fix = f"fix:{rule.fixable}" if rule.fixable else "-"
        click.echo(f"{rule.code}  {rule.name:<28} {rule.severity.label:<8} {fix:<13} {rule.summary}")


FIXABLE = {
    "safe": "safe (applied by iamlint check --fix)",
    "unsafe": "unsafe: it changes behaviour, review it (applied by --fix --unsafe-fixes)",
    "editor": "offered in editors and reports; applied on the command line by --fix --unsafe-fixes --extend-fixable CODE",
    "evidence": "unsafe, with evidence only: --narrow-from FILE (a policy of the actions used), then --fix --unsafe-fixes",
}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--instance", metavar="ADDRESS", help="Only this compute resource (or an auto scaling group using one).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown", "dot"]), default="text",
              show_default=True, help="text, json (docs/access.md), markdown (with a Mermaid graph) or dot (Graphviz).")
@click.option("--partition", type=click.Choice(["aws", "aws-cn", "aws-us-gov"]), default="aws", show_default=True)
@click.option("--base", metavar="REV", help="Show the access each compute resource gained and lost since git revision REV.")
@click.option("--fail-on-gain", type=click.Choice(["any", "write", "permissions", "risk"]), default="risk", show_default=True,
              help="With --base: exit 1 when a gain reaches this grade (risk: a new escalation method, risk category "
                   "or trust principal; permissions: also permissions management; write: also write; any: anything).")
@click.option("--account", "account_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="An AWS account snapshot used as context (as for check; not with --base).")
@click.option("--state", "state_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="A Terraform state used as context (as for check; not with --base).")
def access(paths: tuple[str, ...], instance: str | None, output_format: str, partition: str, base: str | None,
           fail_on_gain: str, account_files: tuple[str, ...], state_files: tuple[str, ...]) -> None:
    """Show each EC2 instance's chain to its role, its effective permissions and risks."""
    from iamlint.access.command import run, run_changes

    if base is None:
        sys.exit(run(list(paths), instance, output_format, partition, account_files, state_files))
    if account_files or state_files:
        raise click.BadParameter("--account and --state are not read with --base", param_hint="--base")
    if output_format == "dot":
        raise click.BadParameter("--base prints text, json or markdown", param_hint="--format")
    try:
        sys.exit(run_changes(list(paths), base, instance, output_format, partition, fail_on_gain))
    except _git_errors() as exc:
        click.echo(f"iamlint: {exc}", err=True)
        sys.exit(EXIT_ERROR)


@main.group()
def cache() -> None:
    """The content-hash cache of parsed files (in the user cache directory)."""


@cache.command("clear")
def cache_clear() -> None:
    """Remove every cached entry and parser table."""
    removed = clear()
    click.echo(f"removed {removed} cached file{'s' if removed != 1 else ''} from {cache_dir()}")


@cache.command("dir")
def cache_dir_command() -> None:
    """Print the cache directory."""
    click.echo(str(cache_dir()))


@main.command()
def lsp() -> None:
    """Run the language server on stdio (needs the extra: pip install 'iamlint[lsp]')."""
    from iamlint.lsp import main as serve  # pygls: an optional dependency, and only for the server

    sys.exit(serve())
