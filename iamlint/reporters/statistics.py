"""``--statistics``: how many findings each rule produced (rules with at least one)."""

from __future__ import annotations

import json
from collections import Counter

from iamlint.report import LocatedFinding, Report


def counts(report: Report) -> list[tuple[str, str, str, int]]:
    """(code, name, severity of the first finding, count), most frequent first."""
    number = Counter(f.rule for f in report.findings)
    first: dict[str, LocatedFinding] = {}
    for f in report.findings:
        first.setdefault(f.rule, f)
    return sorted(((code, first[code].name, first[code].severity.label, n) for code, n in number.items()),
                  key=lambda row: (-row[3], row[0]))


def render_text(report: Report, **_: object) -> str:
    rows = counts(report)
    width = max((len(str(n)) for *_, n in rows), default=1)
    lines = [f"{n:>{width}}  {code:<7} {name:<28} {severity}" for code, name, severity, n in rows]
    total = f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} in total"
    lines.append(total + (f"; skipped: {len(report.skipped)}" if report.skipped else ""))  # never a silent green
    return "\n".join(lines) + "\n"


def render_json(report: Report, **_: object) -> str:
    rows = [{"rule": code, "name": name, "severity": severity, "count": n} for code, name, severity, n in counts(report)]
    return json.dumps(rows, indent=2) + "\n"
