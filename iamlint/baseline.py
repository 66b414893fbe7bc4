"""Baselines: record today's findings, report only new ones from then on.

A finding is identified by a fingerprint that does not contain line numbers: the rule,
where it lives (the module directory for Terraform, the template file for
CloudFormation, relative to the baseline file) and the resource address, and the
message with whitespace and position references normalised. Moving a block within a
module, or to another file of the same module, keeps its fingerprint.

Identical fingerprints are counted: with two baselined findings and three now, one is new.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter

from iamlint import __version__
from iamlint.report import LocatedFinding, Report, Suppressed

FORMAT = 1
_POSITION = re.compile(r"\b(?:line|lines|column)\s+\d+(?:\s*-\s*\d+)?|:\d+(?::\d+)?\b")
_SPACE = re.compile(r"\s+")


class BaselineError(Exception):
    """A baseline file that cannot be read or is not an iamlint baseline."""


def location_key(path: str, base: str) -> str:
    """The module directory (Terraform) or the file (templates), relative to ``base``."""
    absolute = os.path.abspath(path)
    if absolute.endswith((".tf", ".tf.json", ".tofu", ".tfvars")):
        absolute = os.path.dirname(absolute)
    relative = os.path.relpath(absolute, os.path.abspath(base))
    return relative.replace(os.sep, "/")


# what a reported wildcard includes (IAM002/IAM003, from the risk catalogue): left out, so
# a finding keeps its fingerprint when the catalogue is updated or the enrichment is new
_INCLUDES = re.compile(r"; includes (?:privilege escalation|data exfiltration|credentials exposure|"
                       r"resource exposure|infrastructure modification)\b(?:(?! \(only when ).)*", re.DOTALL)


def normalise_message(message: str) -> str:
    return _SPACE.sub(" ", _POSITION.sub("", _INCLUDES.sub("", message))).strip()


def fingerprint(finding: LocatedFinding, base: str = ".") -> str:
    """A stable identity of ``finding`` that survives line shifts (hex SHA-256)."""
    parts = (finding.rule, location_key(finding.path, base), finding.resource, normalise_message(finding.message))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def write(path: str, report: Report) -> int:
    """Write the findings of ``report`` as a baseline at ``path``; returns how many."""
    base = os.path.dirname(os.path.abspath(path))
    entries = [
        {
            "fingerprint": fingerprint(f, base),
            "rule": f.rule,
            "location": location_key(f.path, base),
            "resource": f.resource,
            "message": f.message,
        }
        for f in report.findings
    ]
    entries.sort(key=lambda e: (e["location"], e["rule"], e["resource"], e["fingerprint"]))
    document = {"iamlint_baseline": FORMAT, "version": __version__, "findings": entries}
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    return len(entries)


def load(path: str) -> Counter:
    """The fingerprints recorded in a baseline file (with their counts)."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a JSON baseline file: {exc}") from None
    if not isinstance(document, dict) or document.get("iamlint_baseline") != FORMAT:
        raise BaselineError(f"{path}: not an iamlint baseline (expected \"iamlint_baseline\": {FORMAT}; "
                            "write one with --write-baseline)")
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in findings):
        raise BaselineError(f"{path}: findings: expected a list of objects with a fingerprint")
    return Counter(entry["fingerprint"] for entry in findings)


def apply(report: Report, path: str) -> int:
    """Hide the findings recorded in the baseline at ``path`` (moved to
    ``report.suppressed`` as "external"); returns how many were hidden."""
    known = load(path)
    base = os.path.dirname(os.path.abspath(path))
    kept, hidden = [], 0
    for finding in report.findings:
        key = fingerprint(finding, base)
        if known[key] > 0:
            known[key] -= 1
            hidden += 1
            report.suppressed.append(Suppressed(finding, "external", f"recorded in the baseline {path}", path))
        else:
            kept.append(finding)
    report.findings = kept
    report.sort()
    return hidden
