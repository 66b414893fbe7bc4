"""Baselines: record today's findings, report only new ones from then on.

A finding is identified by its fingerprint (:mod:`iamlint.fingerprint`): rule, module
directory (Terraform) or template file relative to the baseline file, resource address
and the finding's logical position inside the resource (statements by Sid or content),
never a line number or the message. Moving a block within a module or to another file of
it, reformatting a statement or rewording a message keeps its fingerprint.

Identical fingerprints are counted: with two baselined findings and three now, one is new.

Format 2 (this version) records those fingerprints. Format 1 baselines (earlier
versions: rule, place, resource and the message with positions removed) are still read
and matched the way they were written; :func:`apply` then says how to rewrite them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from typing import NamedTuple

from iamlint import __version__
from iamlint.fingerprint import fingerprint as _fingerprint
from iamlint.fingerprint import location_key
from iamlint.report import LocatedFinding, Report, Suppressed

FORMAT = 2
LEGACY_FORMAT = 1
_POSITION = re.compile(r"\b(?:line|lines|column)\s+\d+(?:\s*-\s*\d+)?|:\d+(?::\d+)?\b")
_SPACE = re.compile(r"\s+")

__all__ = ["BaselineError", "FORMAT", "apply", "fingerprint", "load", "location_key", "write"]


class BaselineError(Exception):
    """A baseline file that cannot be read or is not an iamlint baseline."""


def fingerprint(finding: LocatedFinding, base: str = ".") -> str:
    """The fingerprint of ``finding`` with its place relative to ``base`` (hex SHA-256)."""
    return _fingerprint(finding.rule, finding.path, finding.resource, finding.identity, base)


# what a reported wildcard includes (IAM002/IAM003, from the risk catalogue): left out of
# format-1 fingerprints, which held the message
_INCLUDES = re.compile(r"; includes (?:privilege escalation|data exfiltration|credentials exposure|"
                       r"resource exposure|infrastructure modification)\b(?:(?! \(only when ).)*", re.DOTALL)


def normalise_message(message: str) -> str:
    return _SPACE.sub(" ", _POSITION.sub("", _INCLUDES.sub("", message))).strip()


def legacy_fingerprint(finding: LocatedFinding, base: str = ".") -> str:
    """The format-1 fingerprint: rule, place, resource and the normalised message."""
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


class Baseline(NamedTuple):
    """The fingerprints recorded in a baseline file (with their counts) and its format."""

    counts: Counter
    format: int


def load(path: str) -> Baseline:
    """Read a baseline file (format 2, or the earlier format 1)."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a JSON baseline file: {exc}") from None
    version = document.get("iamlint_baseline") if isinstance(document, dict) else None
    if version not in (FORMAT, LEGACY_FORMAT) or isinstance(version, bool):
        raise BaselineError(f"{path}: not an iamlint baseline (expected \"iamlint_baseline\": {FORMAT}; "
                            "write one with --write-baseline)")
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in findings):
        raise BaselineError(f"{path}: findings: expected a list of objects with a fingerprint")
    return Baseline(Counter(entry["fingerprint"] for entry in findings), version)


def apply(report: Report, path: str, notes: list[str] | None = None) -> int:
    """Hide the findings recorded in the baseline at ``path`` (moved to
    ``report.suppressed`` as "external"); returns how many were hidden. A format-1
    baseline is matched as it was written, and a note (added to ``notes``) says how to
    rewrite it."""
    known, version = load(path)
    base = os.path.dirname(os.path.abspath(path))
    key = fingerprint if version == FORMAT else legacy_fingerprint
    if version != FORMAT and notes is not None:
        notes.append(f"{path} is a format-{version} baseline (its fingerprints hold the messages, so a reworded "
                     f"message reports a finding again); rewrite it in format {FORMAT} with "
                     f"--write-baseline {path} once the findings it records are the ones you accept")
    kept, hidden = [], 0
    for finding in report.findings:
        found = key(finding, base)
        if known[found] > 0:
            known[found] -= 1
            hidden += 1
            report.suppressed.append(Suppressed(finding, "external", f"recorded in the baseline {path}", path))
        else:
            kept.append(finding)
    report.findings = kept
    report.sort()
    return hidden
