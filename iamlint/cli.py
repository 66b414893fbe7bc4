"""Command line: ``iamlint check``, ``iamlint rules``, ``iamlint access``, ``iamlint cache``,
``iamlint lsp`` (click). Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage
or configuration error, unreadable input.

``check`` receives its options as ``**flags`` (keyed by parameter name) and hands them to
its body, :func:`iamlint.commands.check.check` (no click there): adding an option is one
decorator plus reading ``flags["name"]`` there, then ``python tools/gen_check_options.py``
(the table of the fast path in :mod:`iamlint.__main__`; a test fails until it is current)."""

from __future__ import annotations

import sys
from typing import Any

import click

from iamlint import __version__
from iamlint.cachedir import cache_dir, clear
from iamlint.commands import check as command
from iamlint.commands.check import EXIT_ERROR, git_errors, parse_size, var_order
from iamlint.knowledge import snapshot_info
from iamlint.registry import load_plugins
from iamlint.reporters import FORMATS


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
        ctx.meta["iamlint.var_order"] = var_order(args)
        return super().parse_args(ctx, args)


class _Size(click.ParamType):
    """A size in bytes: ``2000000``, ``512KiB``, ``10MiB``, ``1GiB`` (also KB/MB/GB, K/M/G: binary)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


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
    try:  # the body is shared with the fast path of iamlint.__main__
        command.check(paths, flags, click.get_current_context().meta.get("iamlint.var_order", []))
    except command.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=exc.param_hint) from None
    except command.UsageError as exc:
        raise click.UsageError(exc.message) from None


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
    except git_errors() as exc:
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
