"""Command line: ``iamlint check``, ``iamlint rules``. One error handler maps outcomes to
exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error or unreadable input."""

from __future__ import annotations

import os
import sys
import traceback

import click

from iamlint import __version__

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="iamlint")
def main() -> None:
    """Prove that EC2 instances run with least-privilege IAM roles."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default="error", show_default=True,
              help="Lowest severity that makes the exit code 1.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line.")
@click.option("--partition", type=click.Choice(["aws", "aws-cn", "aws-us-gov"]), default="aws", show_default=True,
              help="AWS partition assumed for service principals and ARNs.")
@click.option("--select", multiple=True, help="Only these rules (codes or names; repeat or comma-separate).")
@click.option("--ignore", multiple=True, help="Skip these rules (codes or names).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
              help="Processes for parsing (default: CPU count; used only for many units).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the content-hash cache of parsed files.")
@click.option("--var", "tf_vars", multiple=True, metavar="NAME=VALUE",
              help="Set a Terraform root module variable (repeatable; like terraform -var).")
@click.option("--var-file", "tf_var_files", multiple=True, type=click.Path(dir_okay=False),
              help="Read Terraform variables from a .tfvars / .tfvars.json file (repeatable).")
def check(paths, output_format, fail_on, quiet, partition, select, ignore, color, debug, jobs, no_cache,
          tf_vars, tf_var_files) -> None:
    """Check Terraform and CloudFormation files and directories (default: .)."""
    from iamlint.engine import Options, run
    from iamlint.model.findings import Severity
    from iamlint.registry import load_rules
    from iamlint.reporters import get_formatter

    try:
        registry = load_rules()
        options = Options(
            partition=partition,
            select=_rule_keys(registry, select, "--select") if select else None,
            ignore=_rule_keys(registry, ignore, "--ignore") or set(),
            jobs=jobs or None,
            cache=not no_cache,
            variables=_tf_vars(tf_vars),
            var_files=list(tf_var_files),
        )
        report = run(list(paths) or ["."], options, registry)
        render = get_formatter(output_format)
        text = render(report, color=output_format == "text" and use_color(color, sys.stdout), quiet=quiet)
        click.echo(text, nl=False)
    except click.UsageError:
        raise
    except Exception as exc:  # the one top-level handler
        if debug:
            traceback.print_exc()
        click.echo(f"iamlint: internal error: {exc!r} (run with --debug for details)", err=True)
        sys.exit(EXIT_ERROR)
    threshold = Severity.parse(fail_on)
    if report.errors:
        sys.exit(EXIT_ERROR)
    if any(f.severity >= threshold for f in report.findings):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


def _tf_vars(values) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        variables[name.strip()] = value
    return variables


def _rule_keys(registry, values, option: str) -> set[str]:
    keys: set[str] = set()
    for value in values:
        for key in filter(None, (part.strip() for part in value.split(","))):
            rule = registry.find(key)
            if rule is None:
                raise click.BadParameter(f"unknown rule {key!r}", param_hint=option)
            keys.add(rule.code)
    return keys


@main.command()
@click.option("--explain", metavar="CODE|NAME", help="Print the documentation of one rule.")
def rules(explain: str | None) -> None:
    """List the available rules, or explain one."""
    from iamlint.registry import load_rules

    registry = load_rules()
    for problem in registry.errors:
        click.echo(f"iamlint: {problem}", err=True)
    if explain:
        rule = registry.find(explain)
        if rule is None:
            raise click.BadParameter(f"unknown rule {explain!r}", param_hint="--explain")
        click.echo(f"{rule.code} {rule.name} ({rule.severity.label})\n")
        click.echo(rule.doc.strip())
        return
    for rule in registry.rules:
        click.echo(f"{rule.code}  {rule.name:<28} {rule.severity.label:<8} {rule.summary}")


@main.group()
def cache() -> None:
    """The content-hash cache of parsed files (in the user cache directory)."""


@cache.command("clear")
def cache_clear() -> None:
    """Remove every cached entry and parser table."""
    from iamlint.cache import cache_dir, clear

    removed = clear()
    click.echo(f"removed {removed} cached file{'s' if removed != 1 else ''} from {cache_dir()}")


@cache.command("dir")
def cache_dir_command() -> None:
    """Print the cache directory."""
    from iamlint.cache import cache_dir

    click.echo(str(cache_dir()))


@main.command()
def lsp() -> None:
    """Run the language server on stdio (needs the extra: pip install 'iamlint[lsp]')."""
    try:
        from iamlint.lsp import serve
    except ImportError as exc:
        click.echo(f"iamlint: the language server needs pygls 2.x: pip install 'iamlint[lsp]' ({exc})", err=True)
        sys.exit(EXIT_ERROR)
    serve()
