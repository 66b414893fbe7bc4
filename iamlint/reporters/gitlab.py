"""GitLab Code Quality (a Code Climate subset): a JSON array of issues with description,
check_name, fingerprint, severity and a repository-relative location.path and
location.lines. Fingerprints leave out line numbers, so an issue keeps its identity
when code above it moves; identical ones get an occurrence number (GitLab merges equal
fingerprints)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from iamlint.baseline import fingerprint
from iamlint.model.findings import Severity
from iamlint.report import Report
from iamlint.reporters.paths import display, source_root

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.NOTE: "info"}


def render(report: Report, root: str | None = None, **_: object) -> str:
    root = root or source_root()
    seen: Counter = Counter()
    issues = []
    for f in report.findings:
        identity = fingerprint(f, root)
        seen[identity] += 1
        issues.append({
            "type": "issue",
            "description": f"{f.rule} ({f.name}): {f.message}",
            "check_name": f.rule,
            "categories": ["Security"],
            "fingerprint": hashlib.md5(f"{identity}:{seen[identity]}".encode()).hexdigest(),
            "severity": SEVERITIES[f.severity],
            "location": {"path": display(f.path, root), "lines": {"begin": f.line, "end": max(f.end_line, f.line)}},
        })
    for e in report.errors:
        issues.append({
            "type": "issue",
            "description": f"iamlint could not read this input: {e.message}",
            "check_name": "input-error",
            "fingerprint": hashlib.md5(f"error:{display(e.path, root)}:{e.message}".encode()).hexdigest(),
            "severity": "blocker",
            "location": {"path": display(e.path, root), "lines": {"begin": max(e.line, 1)}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
