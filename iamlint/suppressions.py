"""Inline suppressions, applied to located findings (path + line ranges), whatever the format.

Comment form (in any syntax with comments: Terraform ``#`` and ``//``, YAML ``#``)::

    # iamlint:ignore EC2001, wildcard-action -- reason [until 2027-03-31]

A full-line comment covers the next line that is not blank or a comment, and the whole
construct that starts there: a block, an attribute, a policy statement, a mapping entry.
Above a ``resource``/``data`` block it also covers that resource's findings located in
other files (a policy read with ``file()``); above a ``module "x"`` call, every finding in
what the call instantiates (addresses under ``module.x.``). A comment after code on the
same line covers that line. CloudFormation templates (JSON has no comments) can use
resource Metadata::

    Metadata: {iamlint: {ignore: [{rule: EC2001, reason: "...", until: 2027-03-31}]}}

which covers every finding of that resource.

This module reads no file and parses nothing: the comments, construct ranges, declared
names and Metadata entries are the :class:`~iamlint.model.facts.SourceFacts` the parser
layer recorded while each unit was loaded (cached with it). Only a file outside every
loaded unit that a finding points to (a YAML file read by ``yamldecode``) is scanned on
demand, by its format's syntax (:meth:`iamlint.formats.FormatRegistry.read_facts`).

A suppression without a reason still works, after its ``until`` date it stops working,
and one that suppresses nothing is useless: rules of the ``suppressions`` stage (SUP001-
SUP003) report those, from the :class:`~iamlint.model.findings.InlineSuppression` records
:func:`apply` returns.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from iamlint.formats.registry import FormatRegistry, load_formats
from iamlint.model.units import Comment, DeclaredSuppression, SourceFacts, Unit, UnitResult

if TYPE_CHECKING:  # start-up: datetime is imported only when a suppression has an expiry date
    import datetime
from iamlint.model.findings import InlineSuppression
from iamlint.report import LocatedFinding, Report, Suppressed

_MARKER = re.compile(r"(#|//)\s*iamlint:\s*ignore\b(.*)$")
_CODES = re.compile(r"\s*(\w[\w-]*(?:\s*,\s*\w[\w-]*)*)?\s*(.*)$")  # a key never starts with '-': '--' opens the reason
_EQUALS = re.compile(r"\s*=\s*")
_UNTIL = re.compile(r"(?:^|\s)until\s+(\S+)\s*$")
_MODULE_PREFIX = re.compile(r"^((?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)")


@dataclass(slots=True)
class Suppression:
    """An inline suppression comment: the rule keys it names, its reason, expiry and target."""

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
        return self._covers_elsewhere(finding.resource, prefixes)

    def _covers_elsewhere(self, resource: str, prefixes: set[str]) -> bool:
        if self.block:  # findings of the block located elsewhere (a policy read with file())
            addresses = {prefix + self.block for prefix in prefixes or {""}}
            if resource in addresses or resource.split("[", 1)[0] in addresses:
                return True
        if self.module:
            calls = {f"{prefix}module.{self.module}" for prefix in prefixes or {""}}
            return any(resource.startswith((call + ".", call + "[")) for call in calls)
        return False

    def expired(self, today: datetime.date | None) -> bool:
        """Past its expiry date (``today`` is None only when no suppression has one)."""
        return self.until is not None and today is not None and self.until < today


def same_file(a: str, b: str) -> bool:
    return a == b or os.path.abspath(a) == os.path.abspath(b)


def module_prefix(address: str) -> str:
    """``module.a.module.b.aws_iam_role.r`` -> ``module.a.module.b.``."""
    match = _MODULE_PREFIX.match(address)
    return match.group(1) if match else ""


# ---------------------------------------------------------------- reading suppressions

def parse_comment(rest: str) -> tuple[tuple[str, ...], str | None, str | None, str | None]:
    """What follows ``iamlint:ignore`` -> (rule keys, reason, until text, problem)."""
    equals = _EQUALS.match(rest)
    if equals is not None:  # iamlint:ignore=EC2001 (another linter's habit): read the keys, say how to write it
        keys, reason, until_text, problem = parse_comment(" " + rest[equals.end():])
        return keys, reason, until_text, problem or ("write the rule codes after a space, not after '=' "
                                                     "(iamlint:ignore EC2001 -- reason)")
    match = _CODES.match(rest)
    assert match is not None  # every group is optional
    keys = tuple(k.strip() for k in (match.group(1) or "").split(",") if k.strip())
    tail = match.group(2).strip()
    reason, problem = None, None
    if tail.startswith("--"):
        reason = tail[2:].strip()
    elif tail and not _UNTIL.search(" " + tail):
        problem = f"write the reason after ' -- ' (found {tail!r})"
    until = _UNTIL.search(" " + (reason if reason is not None else tail))
    until_text = None
    if until is not None:
        if reason is not None:
            reason = reason[: len(reason) - len(until.group(0)) + 1].strip()
        until_text = until.group(1)
    return keys, reason or None, until_text, problem


def from_facts(facts: SourceFacts) -> list[Suppression]:
    """The suppressions of one file: its ``iamlint:ignore`` comments, then its declared
    (Metadata) suppressions."""
    found = [_from_comment(facts, comment) for comment in facts.comments if _MARKER.match(comment.text)]
    return found + [_from_declared(facts.path, entry) for entry in facts.declared]


def comment_suppressions(path: str, text: str, formats: FormatRegistry | None = None) -> list[Suppression]:
    """The comment suppressions of ``text``, read as the file ``path`` (its syntax by its
    name; a file without comment syntax has none)."""
    syntax = (formats if formats is not None else load_formats()).syntax_for(path)
    facts = syntax.facts(text, path) if syntax is not None and syntax.has_comments else None
    return from_facts(facts) if facts is not None else []


def _from_comment(facts: SourceFacts, comment: Comment) -> Suppression:
    marker = _MARKER.match(comment.text)
    assert marker is not None
    keys, reason, until, problem = parse_comment(marker.group(2))
    item = Suppression(facts.path, comment.line, comment.column, comment.end_column, keys, reason, problem=problem)
    item.until, item.bad_date = _date(until)
    target = facts.next_construct(comment.line) if comment.own_line else 0
    if not target:  # after code on its line, or nothing follows: covers its own line
        item.first = item.last = comment.line
        return item
    item.first, item.last = target, facts.end_of(target)
    name = facts.name_at(target)
    if name is not None and name.startswith("module."):
        item.module = name[len("module."):]
    elif name is not None:
        item.block = name
    return item


def _from_declared(path: str, entry: DeclaredSuppression) -> Suppression:
    keys = tuple(k.strip() for k in (entry.rule or "").split(",") if k.strip())
    reason = entry.reason.strip() if entry.reason is not None else ""
    item = Suppression(path, entry.line, entry.column, entry.end_column, keys, reason or None, resource=entry.resource)
    item.until, item.bad_date = _date(entry.until)
    item.problem = entry.problem
    item.first = item.last = entry.line
    return item


def _date(text: str | None) -> tuple[datetime.date | None, str | None]:
    if text is None:
        return None, None
    import datetime  # start-up: only for a suppression with an expiry date

    try:
        return datetime.date.fromisoformat(text), None
    except ValueError:
        return datetime.date.min, f"invalid expiry date {text!r} (expected YYYY-MM-DD)"


# ---------------------------------------------------------------- applying them

@dataclass(slots=True)
class Scope:
    """What the engine tells the suppression step: the files whose suppressions count
    (display path -> their facts, None when they have none), the module prefixes each
    file is instantiated under, and the findings outside the files given."""

    formats: FormatRegistry | None = None
    files: dict[str, SourceFacts | None] = field(default_factory=dict)
    prefixes: dict[str, set[str]] = field(default_factory=dict)
    outside: list[LocatedFinding] = field(default_factory=list)  # not reported (outside the files given)

    def add(self, unit: Unit, result: UnitResult, settings: Any) -> None:
        """A loaded unit: its reported files (not excluded, within ``unit.only``) and nodes."""
        self.add_files(unit, result.files, result.facts, settings)
        self.add_nodes(result.graph.nodes)

    def add_files(self, unit: Unit, files: Iterable[str], facts: dict[str, SourceFacts], settings: Any) -> None:
        """A unit's reported files (not excluded, within ``unit.only``) with their facts."""
        for_file = getattr(settings, "for_file", None) or settings.for_path  # (files: no folder test)
        for path in files:
            if unit.only is not None and os.path.normpath(path) not in unit.only:
                continue
            if not for_file(path).excluded(path):
                self.files.setdefault(path, facts.get(path))

    def add_nodes(self, nodes: Iterable) -> None:
        self.add_prefixes(node_prefixes(nodes))

    def add_prefixes(self, prefixes: dict[str, tuple[str, ...]]) -> None:
        """Module prefixes by file (:func:`node_prefixes`)."""
        for path, found in prefixes.items():
            self.prefixes.setdefault(path, set()).update(found)

    def read(self, report: Report) -> list[Suppression]:
        """The suppressions of the files in scope and of every file a finding points to."""
        files = dict(self.files)
        for finding in report.findings:  # child-module files reached from a root module
            files.setdefault(finding.path, None)
        found: list[Suppression] = []
        for path, facts in files.items():
            if facts is None:
                facts = (self.formats if self.formats is not None else load_formats()).read_facts(path)
            if facts is not None:
                found += from_facts(facts)
        return found

    def prefixes_of(self, item: Suppression) -> set[str]:
        return self.prefixes.get(os.path.abspath(item.path), set())


def node_prefixes(nodes: Iterable) -> dict[str, tuple[str, ...]]:
    """The module prefixes the ``nodes`` live under, by absolute path of their file."""
    found: dict[str, dict[str, None]] = {}
    for node in nodes:
        found.setdefault(os.path.abspath(node.span.file), {})[module_prefix(node.address)] = None
    return {path: tuple(prefixes) for path, prefixes in found.items()}


Policy = Callable[[str], Any]
"""path -> settings with ``enables(code, path)`` and a ``severity`` dict (config.Effective)."""


def apply(report: Report, scope: Scope, registry: Any, policy: Policy,
          today: datetime.date | None = None) -> tuple[InlineSuppression, ...]:
    """Move suppressed findings of ``report`` to ``report.suppressed``; return every
    suppression with its usage, for the rules of the ``suppressions`` stage."""
    suppressions = scope.read(report)
    if today is None and any(item.until is not None for item in suppressions):
        import datetime  # start-up: only when a suppression has an expiry date

        today = datetime.date.today()
    for item in suppressions:
        for key in item.keys:
            rule = registry.find(key)
            item.codes[key] = rule.code if rule else None
    active = [s for s in suppressions if not s.expired(today)]
    kept = []
    for finding in report.findings:
        match = next((s for s in active if s.covers(finding, scope.prefixes_of(s))), None)
        if match is None:
            kept.append(finding)
            continue
        match.used.add(finding.rule)
        report.suppressed.append(Suppressed(finding, "inSource", match.reason or "", match.path, match.line))
    report.findings = kept
    for finding in scope.outside:  # a suppression covering only unreported findings is still in use
        for item in active:
            if item.covers(finding, scope.prefixes_of(item)):
                item.used.add(finding.rule)
                break
    return tuple(_record(item, policy(item.path), today) for item in suppressions)


def _record(item: Suppression, effective: Any, today: datetime.date | None) -> InlineSuppression:
    return InlineSuppression(
        path=item.path,
        line=item.line,
        column=item.column,
        end_column=item.end_column,
        keys=item.keys,
        codes=tuple(item.codes.items()),
        reason=item.reason,
        used=frozenset(item.used),
        checked=frozenset(code for code in item.codes.values() if code and effective.enables(code, item.path)),
        until=None if item.bad_date else item.until,
        expired=item.bad_date is None and item.expired(today),
        bad_date=item.bad_date,
        problem=item.problem,
        resource=item.resource,
    )
