"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` annotation
per finding, on stdout.

GitHub shows at most 10 annotations of each level per step (50 per job) and drops the
rest silently, so the most severe findings are annotated and one closing notice says
how many were not; the CLI also writes every finding to ``$GITHUB_STEP_SUMMARY``. Values are escaped as the Actions
toolkit escapes them; columns are sent only for single-line ranges.
"""

from __future__ import annotations

from collections import Counter

from iamlint.model.findings import Severity
from iamlint.report import Report
from iamlint.reporters.paths import display, source_root

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
PER_LEVEL = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: object) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def render(report: Report, root: str | None = None, **_: object) -> str:
    root = root or source_root()
    entries = []  # (level, line)
    for e in report.errors:
        path = None if e.path.startswith("<") else display(e.path, root)
        entries.append(("error", command("error", e.message, file=path, line=e.line or None, title="iamlint input error")))
    for f in sorted(report.findings, key=lambda f: (-f.severity, f.sort_key)):
        single = f.end_line == f.line
        entries.append((COMMANDS[f.severity], command(
            COMMANDS[f.severity],
            f"{f.message} [{f.rule} {f.name}]",
            file=display(f.path, root),
            line=f.line,
            endLine=f.end_line,
            col=f.column if single else None,
            endColumn=f.end_column if single else None,
            title=f"iamlint {f.rule} ({f.name})",
        )))
    return "".join(line + "\n" for line in _capped(entries))


def _capped(entries: list[tuple[str, str]]) -> list[str]:
    levels = Counter(level for level, _ in entries)
    overflow = any(n > PER_LEVEL for n in levels.values())
    limits = {"error": PER_LEVEL, "warning": PER_LEVEL, "notice": PER_LEVEL - 1 if overflow else PER_LEVEL}
    shown, left = [], 0
    used: Counter[str] = Counter()
    for level, line in entries:
        if used[level] < limits[level]:
            used[level] += 1
            shown.append(line)
        else:
            left += 1
    if left:  # the last notice of the step: room was kept for it
        shown.append(command("notice", f"{left} more iamlint finding{'s' if left != 1 else ''} not shown as annotations "
                             f"(GitHub shows at most {PER_LEVEL} per level and step); see the job summary or the SARIF report",
                             title="iamlint: more findings"))
    return shown


STEP_SUMMARY_ROWS = 1000


def step_summary(report: Report, root: str | None = None) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: every finding (annotations are capped)."""
    root = root or source_root()
    title = f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}"
    if report.base:  # check --base REV: the findings REV did not have
        title = f"{len(report.findings)} new finding{'s' if len(report.findings) != 1 else ''} since `{report.base}` " \
                f"({report.known} already there)"
    lines = [f"### iamlint: {title}", ""]
    if report.findings:
        lines += ["| Location | Severity | Rule | Message |", "| --- | --- | --- | --- |"]
        for f in sorted(report.findings, key=lambda f: (-f.severity, f.sort_key))[:STEP_SUMMARY_ROWS]:
            message = f.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{display(f.path, root)}:{f.line}` | {f.severity.label} | {f.rule} {f.name} | {message} |")
        if len(report.findings) > STEP_SUMMARY_ROWS:
            lines.append(f"\n{len(report.findings) - STEP_SUMMARY_ROWS} more not listed.")
    for e in report.errors:
        lines.append(f"- input error: `{display(e.path, root)}:{e.line}` {e.message}")
    if report.skipped:  # never a silent green: files recognised but not used are counted and listed
        lines.append(f"\nskipped: {len(report.skipped)}")
        lines += [f"- `{display(s.path, root)}` {s.message}" for s in report.skipped[:STEP_SUMMARY_ROWS]]
    return "\n".join(lines) + "\n"
