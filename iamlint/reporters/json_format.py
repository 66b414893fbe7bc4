"""The stable JSON contract (other tools read it): version, findings, errors, summary."""

from __future__ import annotations

import json

from iamlint import __version__
from iamlint.report import Report


def render(report: Report, **_: object) -> str:
    document = {
        "version": __version__,
        "findings": [
            {
                "rule": f.rule,
                "name": f.name,
                "severity": f.severity.label,
                "message": f.message,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "resource": f.resource,
            }
            for f in report.findings
        ],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
        "summary": {"files": report.files, "resources": report.resources, "findings": len(report.findings)},
    }
    return json.dumps(document, indent=2) + "\n"
