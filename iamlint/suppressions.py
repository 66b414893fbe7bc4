"""Inline suppressions, applied to located findings (path + line ranges), whatever the format.

Comment form (Terraform ``#`` and ``//``, YAML ``#``)::

    # iamlint:ignore EC2001, wildcard-action -- reason [until 2027-03-31]

A full-line comment covers the next line that is not blank or a comment, and the whole
construct that starts there: a block, an attribute, a policy statement (bracket matching
for HCL, indentation for YAML). Above a ``resource``/``data`` block it also covers that
resource's findings located in other files (a policy read with ``file()``); above a
``module "x"`` call, every finding in what the call instantiates (addresses under
``module.x.``). A comment after code on the same line covers that line. CloudFormation templates (JSON has no comments) can use
resource Metadata::

    Metadata: {iamlint: {ignore: [{rule: EC2001, reason: "...", until: 2027-03-31}]}}

which covers every finding of that resource. A suppression without a reason still works
but is reported (SUP002); after its ``until`` date it stops working and says so (SUP003);
one that suppresses nothing is reported (SUP001).
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from iamlint.report import LocatedFinding, Report, Suppressed
from iamlint.sources import read_source

UNUSED, NO_REASON, EXPIRED = "SUP001", "SUP002", "SUP003"

_HCL, _YAML = ("#", "//"), ("#",)
COMMENT_STYLES = {".tf": _HCL, ".tfvars": _HCL, ".hcl": _HCL, ".tofu": _HCL, ".yaml": _YAML, ".yml": _YAML, ".template": _YAML}
"""Comment markers per file extension (JSON has none: use template Metadata there)."""

_MARKER = re.compile(r"(#|//)\s*iamlint:\s*ignore\b(.*)$")
_CODES = re.compile(r"\s*([\w-]+(?:\s*,\s*[\w-]+)*)?\s*(.*)$")
_UNTIL = re.compile(r"(?:^|\s)until\s+(\S+)\s*$")
_MODULE = re.compile(r'^\s*module\s+"([^"]+)"')
_BLOCK = re.compile(r'^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"')
_MODULE_PREFIX = re.compile(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)")


@dataclass(slots=True)
class Suppression:
    path: str
    line: int
    column: int
    end_column: int
    keys: tuple[str, ...]
    reason: str | None
    until: datetime.date | None = None
    first: int = 0
    last: int = 0
    module: str | None = None
    block: str | None = None  # address of a resource/data block starting on the target line
    resource: str | None = None
    problem: str | None = None  # about the reason
    bad_date: str | None = None  # an unreadable expiry: the suppression is not applied
    codes: dict[str, str | None] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def covers(self, finding: LocatedFinding, prefixes: set[str]) -> bool:
        """Whether this suppression (if in force) hides ``finding``; ``prefixes`` are the
        module paths the suppression's file is instantiated under."""
        if finding.rule not in self.codes.values():
            return False
        here = same_file(finding.path, self.path)
        if self.resource is not None:
            return here and finding.resource == self.resource
        if here and self.first <= finding.line <= self.last:
            return True
        if self.block:  # findings of the block located elsewhere (a policy read with file())
            addresses = {prefix + self.block for prefix in prefixes or {""}}
            if finding.resource in addresses or finding.resource.split("[", 1)[0] in addresses:
                return True
        if self.module:
            calls = {f"{prefix}module.{self.module}" for prefix in prefixes or {""}}
            return any(finding.resource.startswith((call + ".", call + "[")) for call in calls)
        return False


def same_file(a: str, b: str) -> bool:
    return a == b or os.path.abspath(a) == os.path.abspath(b)


def module_prefix(address: str) -> str:
    """``module.a.module.b.aws_iam_role.r`` -> ``module.a.module.b.``."""
    return _MODULE_PREFIX.match(address).group(1)


# ---------------------------------------------------------------- reading suppressions

def parse_comment(rest: str) -> tuple[tuple[str, ...], str | None, str | None, str | None]:
    """What follows ``iamlint:ignore`` -> (rule keys, reason, until text, problem)."""
    match = _CODES.match(rest)
    keys = tuple(k.strip() for k in (match.group(1) or "").split(",") if k.strip())
    tail = match.group(2).strip()
    reason, problem = None, None
    if tail.startswith("--"):
        reason = tail[2:].strip()
    elif tail and not _UNTIL.search(" " + tail):
        problem = f"write the reason after ' -- ' (found {tail!r})"
    until = _UNTIL.search(" " + (reason if reason is not None else tail))
    if until is not None:
        if reason is not None:
            reason = reason[: len(reason) - len(until.group(0)) + 1].strip()
        until_text = until.group(1)
    else:
        until_text = None
    return keys, reason or None, until_text, problem


def comment_suppressions(path: str, text: str) -> list[Suppression]:
    styles = COMMENT_STYLES.get(os.path.splitext(path)[1].lower())
    if styles is None or "iamlint" not in text:
        return []
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        marker = _MARKER.search(line)
        if marker is None or marker.group(1) not in styles:
            continue
        keys, reason, until, problem = parse_comment(marker.group(2))
        item = Suppression(path, index + 1, marker.start() + 1, len(line) + 1, keys, reason, problem=problem)
        item.until, item.bad_date = _date(until)
        if line[: marker.start()].strip():
            item.first = item.last = index + 1
        else:
            _target(item, lines, index, styles)
        found.append(item)
    return found


def _date(text: str | None) -> tuple[datetime.date | None, str | None]:
    if text is None:
        return None, None
    try:
        return datetime.date.fromisoformat(text), None
    except ValueError:
        return datetime.date.min, f"invalid expiry date {text!r} (expected YYYY-MM-DD)"


def _target(item: Suppression, lines: list[str], index: int, styles: tuple[str, ...]) -> None:
    target = index + 1
    while target < len(lines) and (not lines[target].strip() or lines[target].lstrip().startswith(styles)):
        target += 1
    if target >= len(lines):
        item.first = item.last = index + 1
        return
    item.first = target + 1
    if styles == _HCL:
        item.last = _hcl_end(lines, target) + 1
        module = _MODULE.match(lines[target])
        item.module = module.group(1) if module else None
        block = _BLOCK.match(lines[target])
        if block:
            item.block = ("data." if block.group(1) == "data" else "") + f"{block.group(2)}.{block.group(3)}"
    else:
        item.last = _yaml_end(lines, target) + 1


def _yaml_end(lines: list[str], start: int) -> int:
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start
    for number in range(start + 1, len(lines)):
        stripped = lines[number].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(lines[number]) - len(lines[number].lstrip()) <= indent:
            break
        end = number
    return end


_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_][\w-]*)")


def _hcl_end(lines: list[str], start: int) -> int:
    """The last line of the construct starting on line ``start``: brackets are matched,
    strings, comments and heredoc bodies skipped."""
    depth, number = 0, start
    while number < len(lines):
        depth, heredoc = _scan_line(lines[number], depth)
        if heredoc is not None:
            number += 1
            while number < len(lines) and lines[number].strip() != heredoc:
                number += 1
        if depth <= 0:
            return number
        number += 1
    return len(lines) - 1


def _scan_line(line: str, depth: int) -> tuple[int, str | None]:
    i, heredoc = 0, None
    while i < len(line):
        char = line[i]
        if char == '"':
            i = _skip_string(line, i + 1)
            continue
        if char == "#" or line.startswith("//", i):
            break
        if line.startswith("<<", i):
            match = _HEREDOC.match(line, i)
            if match:
                heredoc = match.group(1)
                i = match.end()
                continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        i += 1
    return depth, heredoc


def _skip_string(line: str, i: int) -> int:
    nested = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line.startswith("${", i):
            nested += 1
            i += 2
            continue
        if line[i] == "}" and nested:
            nested -= 1
        elif line[i] == '"' and not nested:
            return i + 1
        i += 1
    return i


def metadata_suppressions(path: str, text: str) -> list[Suppression]:
    """``Metadata: {iamlint: {ignore: [{rule, reason, until}]}}`` of each template resource."""
    if "iamlint" not in text:
        return []
    from iamlint.parsers.cloudformation import TemplateSyntaxError, parse

    try:
        tree = parse(text, path)
    except TemplateSyntaxError:
        return []  # the normaliser reports the syntax error
    found = []
    for logical_id, resource in _items(_get(tree, "Resources")):
        entries = _get(_get(_get(resource, "Metadata"), "iamlint"), "ignore")
        for entry in _list(entries):
            found.append(_metadata_entry(path, logical_id, entry))
    return found


def _metadata_entry(path: str, logical_id: str, entry) -> Suppression:
    span = entry.span
    fields = entry.value if isinstance(entry.value, dict) else {}
    rule, reason, until = (_plain(fields.get(key)) for key in ("rule", "reason", "until"))
    keys = tuple(k.strip() for k in str(rule or "").split(",") if k.strip())
    end = span.end_column if span.end_line == span.line else span.column + 1
    reason_text = str(reason).strip() if reason is not None else ""
    item = Suppression(path, span.line, span.column, end, keys, reason_text or None, resource=logical_id)
    item.until, item.bad_date = _date(str(until) if until is not None else None)
    if not isinstance(entry.value, dict):
        item.problem = "expected a mapping with rule and reason"
    item.first = item.last = span.line
    return item


def _get(node, key):
    value = getattr(node, "value", None)
    return value.get(key) if isinstance(value, dict) else None


def _items(node):
    value = getattr(node, "value", None)
    return value.items() if isinstance(value, dict) else ()


def _list(node):
    value = getattr(node, "value", None)
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [node] if isinstance(value, dict) else []


def _plain(node):
    return None if node is None else getattr(node, "value", node)


def read_suppressions(path: str, template: bool) -> list[Suppression]:
    text, error = read_source(path)
    if text is None or "iamlint" not in text:
        return []
    found = comment_suppressions(path, text)
    if template:
        found += metadata_suppressions(path, text)
    return found


# ---------------------------------------------------------------- applying them

@dataclass(slots=True)
class Scope:
    """What the engine tells the suppression step: the files whose suppressions count
    (display path -> is a template) and the module prefixes each file is instantiated under."""

    files: dict[str, bool] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)
    outside: list[LocatedFinding] = field(default_factory=list)  # not reported (outside the files given)

    def add(self, unit, result, settings) -> None:
        """A loaded unit: its reported files (not excluded, within ``unit.only``) and nodes."""
        for path in result.files:
            if unit.only is not None and os.path.normpath(path) not in unit.only:
                continue
            if not settings.for_path(path).excluded(path):
                self.files.setdefault(path, unit.kind == "cloudformation")
        self.add_nodes(result.graph.nodes)

    def add_nodes(self, nodes: Iterable) -> None:
        for node in nodes:
            self.prefixes.setdefault(os.path.abspath(node.span.file), set()).add(module_prefix(node.address))


Policy = Callable[[str], object]
"""path -> settings with ``enables(code, path)`` and a ``severity`` dict (config.Effective)."""


def apply(report: Report, scope: Scope, registry, policy: Policy, today: datetime.date | None = None) -> None:
    """Move suppressed findings of ``report`` to ``report.suppressed`` and add the
    findings about the suppressions themselves (unused, without reason, expired)."""
    today = today or datetime.date.today()
    suppressions: list[Suppression] = []
    files = dict(scope.files)
    for finding in report.findings:  # child-module files reached from a root module
        files.setdefault(finding.path, False)
    for path, template in files.items():
        suppressions += read_suppressions(path, template)
    for item in suppressions:
        for key in item.keys:
            rule = registry.find(key)
            item.codes[key] = rule.code if rule else None
    active = [s for s in suppressions if not (s.until and s.until < today)]
    kept = []
    for finding in report.findings:
        match = next((s for s in active if s.covers(finding, scope.prefixes.get(os.path.abspath(s.path), set()))), None)
        if match is None:
            kept.append(finding)
            continue
        match.used.add(finding.rule)
        report.suppressed.append(Suppressed(finding, "inSource", match.reason or "", match.path, match.line))
    report.findings = kept
    for finding in scope.outside:  # a suppression covering only unreported findings is still in use
        for item in active:
            if item.covers(finding, scope.prefixes.get(os.path.abspath(item.path), set())):
                item.used.add(finding.rule)
                break
    for item in suppressions:
        report.findings.extend(_problems(item, registry, policy(item.path), today))


def _problems(item: Suppression, registry, settings, today: datetime.date) -> list[LocatedFinding]:
    names = ", ".join(item.keys) or "nothing"
    messages: list[tuple[str, str]] = []
    if item.problem:
        messages.append((NO_REASON, f"suppression of {names}: {item.problem}"))
    if not item.keys:
        messages.append((UNUSED, "suppression names no rule (write the codes or names to ignore, comma-separated)"))
    for key, code in item.codes.items():
        if code is None:
            messages.append((UNUSED, f"suppression names unknown rule {key!r}; it suppresses nothing"))
    if item.bad_date:
        messages.append((EXPIRED, f"suppression of {names}: {item.bad_date}; it is not applied"))
    elif item.until and item.until < today:
        messages.append((EXPIRED, f"suppression of {names} expired on {item.until.isoformat()}; "
                                  "the findings it covered are reported again"))
    else:
        for key, code in item.codes.items():
            if code and code not in item.used and settings.enables(code, item.path):
                messages.append((UNUSED, f"unused suppression of {key}: no {code} finding here"))
    if item.reason is None and item.keys and not item.problem:
        messages.append((NO_REASON, f"suppression of {names} has no reason (write it after ' -- ')"))
    return [_finding(item, code, message, registry, settings) for code, message in messages
            if registry.find(code) is not None and settings.enables(code, item.path)]


def _finding(item: Suppression, code: str, message: str, registry, settings) -> LocatedFinding:
    rule = registry.find(code)
    severity = settings.severity.get(code) or rule.severity
    return LocatedFinding(code, rule.name, severity, message, item.path, item.line, item.column,
                          item.line, item.end_column, item.resource or "")
