"""The ``check`` command's body, without click: options (a dict keyed by parameter name,
as click gives them) -> run -> output -> exit code. One error handler maps outcomes to
exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or configuration error,
unreadable input.

It runs the same under click (:mod:`iamlint.cli`, which translates :class:`UsageError`
and :class:`BadParameter` into click's, so click prints them) and on the fast path of
:mod:`iamlint.__main__` (:mod:`iamlint.commands.argv`), which falls back to click on a
usage error. So every usage error is raised before anything is written, stdin read or a
file written; :mod:`iamlint.commands.argv` says which cases it leaves to click up front."""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import replace
from typing import Any

from iamlint.cachedir import refusal
from iamlint.commands.echo import echo
from iamlint.config import RULES_EXPECTED, ConfigError, Glob, Layer, Settings, rule_codes
from iamlint.engine import Options, run
from iamlint.model.findings import Severity
from iamlint.model.masking import mask_text
from iamlint.progress import for_stream
from iamlint.registry import Registry, load_plugins
from iamlint.report import Report
from iamlint.reporters import get_formatter, statistics
from iamlint.reporters.text import summary
from iamlint.sources import DEFAULT_MAX_BYTES, overlay

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

class UsageError(Exception):
    """A usage error (click.UsageError on the command line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadParameter(UsageError):
    """A bad value of one option (click.BadParameter with ``param_hint``)."""

    def __init__(self, message: str, param_hint: str) -> None:
        super().__init__(message)
        self.param_hint = param_hint


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


def var_order(args: list[str]) -> list[tuple[str, str]]:
    """The command-line order of --var and --var-file (Terraform applies them interleaved,
    in that order), read from the command's arguments."""
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


SIZE_UNITS = {
    "": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
    "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}


def parse_size(value: Any) -> int:
    """A size in bytes: ``2000000``, ``512KiB``, ``10MiB``, ``1GiB`` (also KB/MB/GB, K/M/G:
    binary). ValueError with the message of a bad one."""
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    number = text.rstrip("kmgib")
    unit = text[len(number):]
    try:
        size = int(float(number) * SIZE_UNITS[unit])
    except (ValueError, KeyError):
        raise ValueError(f"expected a size such as 10MiB or 2000000, got {value!r}") from None
    if size <= 0:
        raise ValueError("expected a size above 0")
    return size


def check(paths: tuple[str, ...], flags: dict[str, Any], order: list[tuple[str, str]]) -> None:
    """Check Terraform and CloudFormation files and directories (default: .): ``flags`` as
    click gives them (keyed by parameter name), ``order`` the --var / --var-file order
    (:func:`var_order`). Ends with ``sys.exit``."""
    check_flags(flags)
    batch_gc()
    paths = _stdin_paths(paths, flags["stdin_filename"])
    refused = refusal()  # a cache folder others can write: a note, and no cache at all
    if refused is not None:
        echo(f"iamlint: note: {refused}", err=True)
    try:
        registry = load_plugins(deferred=not flags["no_cache"])  # built-in rules imported when a unit is checked
        options = _options(registry, flags, list(paths) or ["."], order)
        settings = options.settings
        if flags["fix"] or flags["diff"]:
            report = _fix(list(paths) or ["."], options, registry, flags)
            if report is None:  # --diff: the patch was the output
                return
        else:
            report = _run(list(paths), options, registry, flags["stdin_filename"], flags["quiet"])
        if flags["base"]:
            _compare(report, flags["base"], list(paths) or ["."], registry, flags, order)
        if flags["write_baseline"]:
            from iamlint import baseline  # start-up: only with --write-baseline / --baseline

            count = baseline.write(flags["write_baseline"], report)
            echo(f"iamlint: recorded {count} finding{'s' if count != 1 else ''} in {flags['write_baseline']}", err=True)
        if flags["baseline_file"]:
            from iamlint import baseline  # start-up: only with --write-baseline / --baseline

            notes: list[str] = []
            baseline.apply(report, flags["baseline_file"], notes)
            for note in notes:
                echo(f"iamlint: {note}", err=True)
        for skipped in report.notes:  # skipped without an error (a FIFO, a symlink leading out)
            echo(mask_text(f"iamlint: note: {skipped.path}: {skipped.message}"), err=True)
        _output(report, registry, flags, settings.fail_on if settings is not None else None)
    except (ConfigError, *_baseline_errors(), *git_errors()) as exc:  # type: ignore[misc]  # a tuple of exception types
        echo(mask_text(f"iamlint: {exc}"), err=True)
        sys.exit(EXIT_ERROR)
    except UsageError:
        raise
    except Exception as exc:  # the one top-level handler
        if flags["debug"]:
            import traceback  # start-up: only with --debug

            echo(mask_text(traceback.format_exc()), err=True, nl=False)
        echo(mask_text(f"iamlint: internal error: {exc!r} (run with --debug for details)"), err=True)
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
        raise BadParameter(f"unknown rule {exc.args[0]!r} (expected {RULES_EXPECTED})",
                                 param_hint="--extend-fixable") from None
    selection = Selection(flags["unsafe_fixes"], codes or ())
    outcome = autofix.fix(paths, options, registry, selection)
    for problem in outcome.problems:
        echo(mask_text(f"iamlint: {problem}"), err=True)
    for finding in outcome.report.findings:  # a fix of the kind asked for that could not be made: why
        if finding.fix is not None and not finding.fix.available and selection.covers(finding):
            echo(mask_text(f"iamlint: {finding.path}:{finding.line}: {finding.rule}: no automatic fix: "
                                 f"{finding.fix.reason}"), err=True)
    if flags["diff"]:
        _print_diff(outcome, flags)
    for problem in autofix.write(outcome.changed):
        echo(mask_text(f"iamlint: {problem}"), err=True)
    count, files = len(outcome.applied), len(outcome.changed)
    echo(f"iamlint: fixed {count} finding{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}"
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
        echo(patch, nl=False)
    count, files = len(outcome.applied), len(outcome.changed)
    echo(f"iamlint: {count} fix{'es' if count != 1 else ''} would change {files} file{'s' if files != 1 else ''}"
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


def git_errors() -> tuple[type[Exception], ...]:
    """GitError once iamlint.change is imported (only --base needs it)."""
    module = sys.modules.get("iamlint.change.git")
    return (module.GitError,) if module is not None else ()


def _options(registry: Registry, flags: dict, paths: list[str], order: list[tuple[str, str]]) -> Options:
    """The run's options from the command line (the command-line layer is rooted at the
    working directory; configuration files found under ``paths`` name files inside their
    repository only)."""
    return Options(
        settings=Settings(registry, _cli_layer(registry, flags), flags["config_file"], flags["isolated"], roots=paths),
        jobs=flags["jobs"] or None,
        cache=not flags["no_cache"],
        variables=_tf_vars(flags["tf_vars"]),
        var_files=list(flags["tf_var_files"]),
        var_order=order,
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
        raise BadParameter(str(exc), param_hint="--narrow-from") from None


def _compare(report: Report, revision: str, paths: list[str], registry: Registry, flags: dict,
             order: list[tuple[str, str]]) -> None:
    """--base REV: keep the findings REV's tree did not have (checked with the same
    command line; files named on it -- --config, --var-file -- are the working tree's)."""
    from iamlint.change import compare  # start-up: only with --base

    same = {**flags, "config_file": _absolute(flags["config_file"]),
            "tf_var_files": tuple(os.path.abspath(f) for f in flags["tf_var_files"]),
            "account_files": tuple(os.path.abspath(f) for f in flags["account_files"]),
            "state_files": tuple(os.path.abspath(f) for f in flags["state_files"])}
    found = compare.base_fingerprints(revision, paths, lambda checked: _options(registry, same, checked, order), registry)
    compare.keep_new(report, found)
    if found.errors:
        echo(f"iamlint: {found.errors} input error{'s' if found.errors != 1 else ''} in the tree of {revision}: "
                   "findings there could not all be compared", err=True)


def _absolute(path: str | None) -> str | None:
    return os.path.abspath(path) if path else path


def _stdin_paths(paths: tuple[str, ...], stdin_filename: str | None) -> tuple[str, ...]:
    """``-`` reads the text from stdin: --stdin-filename says which file it stands for
    (its format, its module's other files on disk)."""
    if "-" not in paths:
        return paths
    if not stdin_filename:
        raise UsageError("'-' reads the file from stdin: add --stdin-filename PATH to say which file it is "
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


def check_flags(flags: dict) -> None:
    if flags["statistics"] and flags["output_format"] not in ("text", "json"):
        raise BadParameter("--statistics prints text or json only", param_hint="--format")
    if flags["config_file"] and flags["isolated"]:
        raise UsageError("--config and --isolated exclude each other")
    if flags["base"] and flags["write_baseline"]:
        raise UsageError("--base and --write-baseline exclude each other (a baseline records every finding)")
    if flags["fix"] and flags["diff"]:
        raise UsageError("--fix writes the fixes, --diff prints them: choose one")
    if (flags["fix"] or flags["diff"]) and flags["stdin_filename"]:
        raise UsageError("--fix and --diff work on files on disk, not on standard input")


def _cli_layer(registry: Registry, flags: dict) -> Layer:
    """The command line as the last configuration layer."""

    def codes(option: str):
        values = [part.strip() for value in flags[option] for part in value.split(",") if part.strip()]
        try:
            return rule_codes(registry, values)
        except KeyError as exc:
            hint = "--" + option.replace("_", "-")
            raise BadParameter(f"unknown rule {exc.args[0]!r} (expected {RULES_EXPECTED})", param_hint=hint) from None

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
        raise UsageError(f"the text on standard input is over the {limit} bytes limit (--max-file-size)")
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
        echo(text, nl=False, color=color or None)  # click would strip forced colour off a pipe
        return
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    if not flags["quiet"]:
        echo(f"{summary(report)} Report written to {target}.", err=True)


def _append_step_summary(report, path: str) -> None:
    """GitHub caps annotations; the job summary lists every finding."""
    from iamlint.reporters.github import step_summary  # start-up: only inside GitHub Actions

    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(step_summary(report))
    except OSError as exc:
        echo(f"iamlint: cannot write the job summary {path}: {exc.strerror or exc}", err=True)


def _tf_vars(values) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        variables[name.strip()] = value
    return variables
