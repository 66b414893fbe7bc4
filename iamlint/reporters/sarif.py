"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run per invocation (``automationDetails.id`` = ``<category>/<invocation>``, category
``iamlint`` or ``$IAMLINT_SARIF_CATEGORY``); every registered rule in ``tool.driver.rules``
with its documentation as help and its generated page as ``helpUri``
(:mod:`iamlint.reporters.links`); results with a repository-relative location (uriBaseId
``%SRCROOT%``), the chain (instance -> profile -> role -> policy) as relatedLocations
linked from the message, and the line-independent fingerprint of
:mod:`iamlint.fingerprint` under ``partialFingerprints["iamlint/v2"]``.

Findings of one rule on one line with the same fix target (the resource to edit) are
one result (GitHub folds them anyway). A run holds at most :data:`MAX_RESULTS` (GitHub's
limit per run): beyond it the most severe are kept and a last result says how many were
left out. Suppressed findings are left out unless ``show_suppressed`` (then they carry
``suppressions``); GitHub ignores ``suppressions`` and would open alerts for them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterable

from iamlint import __version__
from iamlint.baseline import fingerprint
from iamlint.fingerprint import VERSION as FINGERPRINT_KEY
from iamlint.model.findings import Rule, Severity
from iamlint.report import LocatedFinding, Related, Report, Suppressed
from iamlint.reporters.links import information_uri, rule_url
from iamlint.reporters.paths import source_root, uri

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.NOTE: "2.0"}
TAGS = {"EC2": ["ec2"], "IAM": ["iam"], "SEC": ["secrets"]}
MAX_RESULTS = 25_000
TEXT_LIMIT = 1024
CATEGORY = "IAMLINT_SARIF_CATEGORY"
TRUNCATED = "IAMLINT-TRUNCATED"


def render(report: Report, rules: Iterable[Rule] = (), show_suppressed: bool = False, root: str | None = None,
           max_results: int = MAX_RESULTS, **_: object) -> str:
    root = os.path.realpath(root or source_root())
    descriptors, index = _rules(report, list(rules))
    results = [_result(group, index, root, None if not show_suppressed else []) for group in merged(report.findings)]
    if show_suppressed:
        results += [_result([s.finding], index, root, [_suppression(s, root)]) for s in report.suppressed]
    notifications = [_notification(e.path, e.line, e.column, e.message, root) for e in report.errors]
    # files recognised by their name but not used: notes, so a run is never silently green
    notifications += [{**_notification(s.path, 0, 0, s.message, root), "level": "note"} for s in report.skipped]
    if len(results) > max_results:
        results, summary = _capped(results, max_results)
        descriptors.append(_truncated_rule())
        summary["ruleIndex"] = len(descriptors) - 1
        results.append(summary)
        notifications.append({"level": "warning", "message": summary["message"]})
    run = {
        "tool": {"driver": {"name": "iamlint", "semanticVersion": __version__, "version": __version__,
                            "informationUri": information_uri(), "rules": descriptors}},
        "automationDetails": {"id": automation_id()},
        "invocations": [{"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, ensure_ascii=False) + "\n"


def automation_id() -> str:
    """``<category>/<invocation>``: GitHub tells analyses apart by the category, and each
    invocation gets its own id (UTC time and a random suffix)."""
    category = os.environ.get(CATEGORY, "").strip().strip("/") or "iamlint"
    return f"{category}/{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.urandom(3).hex()}"


def merged(findings: list[LocatedFinding]) -> list[list[LocatedFinding]]:
    """Findings grouped by rule, file, line and fix target (the resource to edit), in order."""
    groups: dict[tuple, list[LocatedFinding]] = {}
    for finding in findings:
        groups.setdefault((finding.rule, finding.path, finding.line, finding.resource), []).append(finding)
    return list(groups.values())


def _capped(results: list[dict], limit: int) -> tuple[list[dict], dict]:
    """The ``limit - 1`` most severe results and one result saying how many were left out."""
    order = ["error", "warning", "note"]
    ranked = sorted(results, key=lambda r: order.index(r["level"]))
    kept, left = ranked[: limit - 1], ranked[limit - 1:]
    counts = {level: sum(1 for r in left if r["level"] == level) for level in order}
    text = (f"{len(left)} more results left out ({counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['note']} notes): GitHub accepts at most {limit} per run, the most severe are kept; "
            "run iamlint with --format json for all of them")
    first = left[0]["locations"][0]
    summary = {"ruleId": TRUNCATED, "level": left[0]["level"], "message": {"text": text}, "locations": [first],
               "partialFingerprints": {FINGERPRINT_KEY: TRUNCATED}}
    return kept, summary


def _truncated_rule() -> dict:
    text = "iamlint reported more results than one SARIF run may hold; the rest were left out"
    return {"id": TRUNCATED, "name": "results-left-out", "shortDescription": {"text": text},
            "fullDescription": {"text": text}, "help": {"text": text}, "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": ["maintainability"]}}


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
    page = rule_url(rule.code, rule.name)
    help_text = f"{doc}\n\nRun `iamlint rules --explain {rule.code}` for this text in a terminal. Rule page: {page}"
    help_markdown = f"{doc}\n\n[{rule.code} {rule.name}]({page}) · `iamlint rules --explain {rule.code}`"
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
        "helpUri": page,
        "help": {"text": help_text, "markdown": help_markdown},
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


def _result(group: list[LocatedFinding], index: dict[str, int], root: str, suppressions: list | None) -> dict:
    f = group[0]
    severity = max(item.severity for item in group)
    end_column = max(item.end_column for item in group) if all(item.end_line == f.line for item in group) else f.end_column
    message = f.message
    others = list(dict.fromkeys(item.message for item in group[1:] if item.message != f.message))
    if others:
        message += " Also on this line: " + " ".join(others)
    result: dict = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVELS[severity],
        "message": {"text": message},
        "locations": [{
            "physicalLocation": _location(f.path, f.line, min(item.column for item in group), f.end_line, end_column, root),
            **({"logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]} if f.resource else {}),
        }],
        "partialFingerprints": {FINGERPRINT_KEY: min(fingerprint(item, root) for item in group)},
    }
    tags = list(dict.fromkeys(tag for item in group for tag in item.tags))
    references = list(dict.fromkeys(ref for item in group for ref in item.references))
    if tags or references:  # risk categories and write-ups (IAM006-IAM008, enriched IAM002/IAM003)
        result["properties"] = {
            **({"tags": tags} if tags else {}),
            **({"references": [{"id": ref, "url": url} for ref, url in references]} if references else {}),
        }
    related: list[Related] = list(dict.fromkeys(link for item in group for link in item.related))
    if related:
        links = []
        result["relatedLocations"] = []
        for number, link in enumerate(related, start=1):
            span = link.span
            label = f"{link.label} {link.resource}".strip()
            result["relatedLocations"].append({
                "id": number,
                "physicalLocation": _location(span.file, span.line, span.column, span.end_line, span.end_column, root),
                "message": {"text": label},
            })
            links.append(f"[{_escape(label)}]({number})")
        result["message"]["text"] = f"{_escape(message)} Chain: {' -> '.join(links)}."
    fixes = _fixes(group, root)
    if fixes:
        result["fixes"] = fixes
    if suppressions is not None:
        result["suppressions"] = suppressions
    return result


def _fixes(group: list[LocatedFinding], root: str) -> list[dict]:
    """SARIF ``fixes`` (what reviewdog posts as suggestions): each distinct fix with edits,
    its artifact changes and replacements (an empty deleted region: an insertion), its
    applicability (safe, unsafe, editor) in the properties."""
    found: list[dict] = []
    seen: set = set()
    for item in group:
        fix = item.fix
        if fix is None or not fix.available or fix.edits in seen:
            continue
        seen.add(fix.edits)
        changes: dict[str, list[dict]] = {}
        for e in fix.edits:
            region = {"startLine": e.line, "startColumn": e.column, "endLine": e.end_line, "endColumn": e.end_column}
            changes.setdefault(e.path, []).append({"deletedRegion": region, "insertedContent": {"text": e.text}})
        found.append({
            "description": {"text": fix.title},
            "artifactChanges": [{"artifactLocation": _location(path, 0, 0, 0, 0, root)["artifactLocation"],
                                 "replacements": replacements} for path, replacements in changes.items()],
            "properties": {"applicability": fix.applicability},
        })
    return found


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
