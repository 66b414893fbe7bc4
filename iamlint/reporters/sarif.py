"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; every registered rule in ``tool.driver.rules`` with its documentation as help;
results with a repository-relative location (uriBaseId ``%SRCROOT%``), the chain
(instance -> profile -> role -> policy) as relatedLocations linked from the message,
and a line-independent fingerprint under ``partialFingerprints["iamlint/v1"]``.
Suppressed findings are left out unless ``show_suppressed`` (then they carry
``suppressions``); GitHub ignores ``suppressions`` and would open alerts for them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from iamlint import __version__
from iamlint.baseline import fingerprint
from iamlint.model.findings import Rule, Severity
from iamlint.report import LocatedFinding, Report, Suppressed
from iamlint.reporters.paths import source_root, uri

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.NOTE: "2.0"}
TAGS = {"EC2": ["ec2"], "IAM": ["iam"], "SEC": ["secrets"]}
MAX_RESULTS = 25_000
TEXT_LIMIT = 1024


def render(report: Report, rules: Iterable[Rule] = (), show_suppressed: bool = False, root: str | None = None,
           **_: object) -> str:
    root = os.path.realpath(root or source_root())
    descriptors, index = _rules(report, list(rules))
    results = [_result(f, index, root, None if not show_suppressed else []) for f in report.findings]
    if show_suppressed:
        results += [_result(s.finding, index, root, [_suppression(s, root)]) for s in report.suppressed]
    notifications = [_notification(e.path, e.line, e.column, e.message, root) for e in report.errors]
    if len(results) > MAX_RESULTS:
        results.sort(key=lambda r: ["error", "warning", "note"].index(r["level"]))
        notifications.append({"level": "warning", "message": {"text": f"{len(results) - MAX_RESULTS} results left out: "
                              f"GitHub accepts at most {MAX_RESULTS} per run (the most severe are kept)"}})
        results = results[:MAX_RESULTS]
    run = {
        "tool": {"driver": {"name": "iamlint", "semanticVersion": __version__, "version": __version__, "rules": descriptors}},
        "invocations": [{"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"


def _rules(report: Report, rules: list[Rule]) -> tuple[list[dict], dict[str, int]]:
    known = {rule.code for rule in rules}
    for finding in [*report.findings, *(s.finding for s in report.suppressed)]:
        if finding.rule not in known:  # a finding of a rule we were not told about
            known.add(finding.rule)
            rules.append(Rule(finding.rule, finding.name, finding.name, finding.severity, lambda g, c: ()))
    return [_descriptor(rule) for rule in rules], {rule.code: i for i, rule in enumerate(rules)}


def _descriptor(rule: Rule) -> dict:
    doc = rule.doc.strip() or rule.summary
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    help_text = f"{doc}\n\nRun `iamlint rules --explain {rule.code}` for this text in a terminal."
    properties: dict = {"precision": "high"}
    if rule.code.startswith("SUP"):  # about iamlint's own suppressions, not a security finding
        properties.update(tags=["maintainability"], **{"problem.severity": "warning"})
    else:
        properties.update(tags=["security", *TAGS.get(rule.code[:3], [])],
                          **{"security-severity": SECURITY_SEVERITY[rule.severity]})
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _cut(rule.summary or rule.name)},
        "fullDescription": {"text": _cut(first or rule.summary)},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def _cut(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _location(path: str, line: int, column: int, end_line: int, end_column: int, root: str) -> dict:
    reference, inside = uri(path, root)
    artifact = {"uri": reference, "uriBaseId": "%SRCROOT%"} if inside else {"uri": reference}
    location: dict = {"artifactLocation": artifact}
    if line >= 1:
        region = {"startLine": line, "startColumn": max(column, 1)}
        end_line = max(end_line, line)
        region["endLine"] = end_line
        end_column = max(end_column, 1)
        if end_line == line:
            end_column = max(end_column, region["startColumn"] + 1)
        region["endColumn"] = end_column
        location["region"] = region
    else:
        location["region"] = {"startLine": 1}
    return location


def _escape(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


def _result(f: LocatedFinding, index: dict[str, int], root: str, suppressions: list | None) -> dict:
    result: dict = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [{
            "physicalLocation": _location(f.path, f.line, f.column, f.end_line, f.end_column, root),
            **({"logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]} if f.resource else {}),
        }],
        "partialFingerprints": {"iamlint/v1": fingerprint(f, root)},
    }
    if f.tags or f.references:  # risk categories and write-ups (IAM006-IAM008, enriched IAM002/IAM003)
        result["properties"] = {
            **({"tags": list(f.tags)} if f.tags else {}),
            **({"references": [{"id": ref, "url": url} for ref, url in f.references]} if f.references else {}),
        }
    if f.related:
        links = []
        result["relatedLocations"] = []
        for number, link in enumerate(f.related, start=1):
            span = link.span
            label = f"{link.label} {link.resource}".strip()
            result["relatedLocations"].append({
                "id": number,
                "physicalLocation": _location(span.file, span.line, span.column, span.end_line, span.end_column, root),
                "message": {"text": label},
            })
            links.append(f"[{_escape(label)}]({number})")
        result["message"]["text"] = f"{_escape(f.message)} Chain: {' -> '.join(links)}."
    if suppressions is not None:
        result["suppressions"] = suppressions
    return result


def _suppression(s: Suppressed, root: str) -> dict:
    item: dict = {"kind": s.kind, "status": "accepted"}
    if s.justification:
        item["justification"] = s.justification
    if s.kind == "inSource" and s.line:
        item["location"] = {"physicalLocation": _location(s.path, s.line, 1, s.line, 2, root)}
    return item


def _notification(path: str, line: int, column: int, message: str, root: str) -> dict:
    notification: dict = {"level": "error", "message": {"text": message}}
    if path and not path.startswith("<"):
        notification["locations"] = [{"physicalLocation": _location(path, line, column, line, column + 1, root)}]
    return notification
