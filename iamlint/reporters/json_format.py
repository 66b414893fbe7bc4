"""The stable JSON contract (other tools read it): version, findings, errors, summary."""

from __future__ import annotations

import json

from iamlint import __version__
from iamlint.report import LocatedFinding, Report


def _extras(f: LocatedFinding) -> dict:
    """Keys present only when they have content: ``tags`` (risk categories),
    ``references`` (id and URL of the write-ups), ``fix`` (the fix the rule proposes,
    or why there is none) and ``related`` (the chain and the contributing statements,
    each with its location)."""
    extras: dict = {}
    if f.tags:
        extras["tags"] = list(f.tags)
    if f.references:
        extras["references"] = [{"id": ref, "url": url} for ref, url in f.references]
    if f.fix is not None:
        extras["fix"] = fix_object(f)
    if f.related:
        extras["related"] = [
            {"label": r.label, "resource": r.resource, "path": r.span.file, "line": r.span.line, "column": r.span.column}
            for r in f.related
        ]
    return extras


def fix_object(f: LocatedFinding) -> dict:
    """``applicability`` (safe, unsafe, editor), ``message`` (what it does), ``edits``
    (path, 1-based line and column, end exclusive, the replacement text); without
    edits, ``reason`` says why no automatic fix is offered."""
    assert f.fix is not None
    fix = f.fix
    document: dict = {"applicability": fix.applicability, "message": fix.title,
                      "edits": [{"path": e.path, "line": e.line, "column": e.column, "end_line": e.end_line,
                                 "end_column": e.end_column, "text": e.text} for e in fix.edits]}
    if not fix.available:
        document["reason"] = fix.reason
    return document


def _summary(report: Report) -> dict:
    """``files`` reported on; ``loaded`` (only when files were given on their own): the
    other files of their modules, read to judge them; ``skipped`` (only when some were):
    files recognised by their name but not used (the top-level ``skipped`` list says why)."""
    summary = {"files": report.files, "resources": report.resources, "findings": len(report.findings)}
    if report.loaded:
        summary["loaded"] = report.loaded
    if report.skipped:
        summary["skipped"] = len(report.skipped)
    return summary


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
                **_extras(f),
            }
            for f in report.findings
        ],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
        **({"skipped": [{"path": e.path, "reason": e.message.removeprefix("skipped: ")} for e in report.skipped]}
           if report.skipped else {}),
        "summary": _summary(report),
    }
    return json.dumps(document, indent=2) + "\n"
