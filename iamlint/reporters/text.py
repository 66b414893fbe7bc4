"""Human output: ``path:line:col: severity CODE [name] message`` and a summary line."""

from __future__ import annotations

from iamlint.model.findings import Severity
from iamlint.report import Report

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}
_BOLD, _RESET = "\033[1m", "\033[0m"


def render(report: Report, color: bool = False, quiet: bool = False, show_suppressed: bool = False, **_: object) -> str:
    lines = []
    for f in report.findings:
        where = f"{f.path}:{f.line}:{f.column}:"
        severity = f.severity.label
        if color:
            where = f"{_BOLD}{where}{_RESET}"
            severity = f"{_COLOURS[f.severity]}{severity}{_RESET}"
        construct = f" (construct {f.construct})" if f.construct else ""  # AWS CDK: where in the user's code
        lines.append(f"{where} {severity} {f.rule} [{f.name}] {f.message}{construct}")
    if show_suppressed:
        for s in report.suppressed:
            f = s.finding
            why = f"suppressed in {s.path}:{s.line}" if s.kind == "inSource" else "in the baseline"
            reason = f": {s.justification}" if s.justification and s.kind == "inSource" else ""
            lines.append(f"{f.path}:{f.line}:{f.column}: suppressed {f.rule} [{f.name}] {f.message} ({why}{reason})")
    for e in report.errors:
        lines.append(f"{e.path}:{e.line}:{e.column}: error {e.message}" if e.line else f"{e.path}: error {e.message}")
    if not quiet:
        lines.append(summary(report))
    return "\n".join(lines) + ("\n" if lines else "")


def summary(report: Report) -> str:
    counts = dict.fromkeys(Severity, 0)
    for f in report.findings:
        counts[f.severity] += 1
    parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 else ''}" for s in sorted(Severity, reverse=True)]
    count = len(report.findings)
    noun = f"finding{'s' if count != 1 else ''}"
    if report.base:  # check --base REV: the findings are those REV did not have
        noun = f"new {noun} since {report.base}"
    text = f"{count} {noun} ({', '.join(parts)})"
    text += f" in {report.files} file{'s' if report.files != 1 else ''}"
    if report.loaded:  # files given on their own (pre-commit): the rest of their modules was read
        them = "it" if report.files == 1 else "them"
        text += f" ({report.loaded} more module file{'s' if report.loaded != 1 else ''} loaded to judge {them})"
    if report.base:
        text += f"; {report.known} already at {report.base}"
    if report.suppressed:
        text += f"; {len(report.suppressed)} suppressed"
    if report.skipped:  # recognised by name but not used: never a silent green (--format json lists them)
        text += f"; skipped: {len(report.skipped)}"
    if report.errors:
        text += f"; {len(report.errors)} input error{'s' if len(report.errors) != 1 else ''}"
    return text + "."
