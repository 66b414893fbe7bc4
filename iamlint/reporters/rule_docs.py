"""The rule pages, ``docs/rules/<CODE>.md`` and the index ``docs/rules/README.md``,
rendered from the rules' docstrings (their documentation). ``tools/gen_rule_docs.py``
writes them; ``tests/test_rule_pages.py`` fails when they are stale."""

from __future__ import annotations

import re
from typing import Iterable

from iamlint.model.findings import Rule

HEADER = "<!-- generated from the rule's docstring by tools/gen_rule_docs.py: do not edit -->"


def rule_page(rule: Rule) -> str:
    """One rule's page: code, name, default severity, then its documentation."""
    doc = rule.doc.strip() or rule.summary
    lines = [
        HEADER,
        "",
        f"# {rule.code} {rule.name}",
        "",
        f"Default severity: **{rule.severity.label}**. In a terminal: `iamlint rules --explain {rule.code}`. "
        "[All rules](README.md).",
        "",
        doc,
    ]
    return "\n".join(lines).rstrip() + "\n"


EXPLAINED = ("What it checks", "Why it matters", "How to fix")


def explanation(rule: Rule, url: str = "") -> str:
    """A short Markdown explanation of a rule (an editor's hover): its one-line
    description, what it checks, why it matters, how to fix it, and its page."""
    doc = rule.doc.strip()
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip() if doc else rule.summary
    parts = [f"**{rule.code} {rule.name}** ({rule.severity.label}): {first}"]
    for name in EXPLAINED:
        body = section(doc, name)
        if body:
            parts.append(f"**{name}.** {body}")
    if url:
        parts.append(f"[{rule.code} documentation]({url})")
    return "\n\n".join(parts)


def section(doc: str, name: str) -> str:
    """The text of the ``## name`` section of a rule's documentation ('' when absent)."""
    match = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", doc, re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def index_page(rules: Iterable[Rule]) -> str:
    """The table of every rule, linking to its page."""
    lines = [HEADER, "", "# iamlint rules", "", "| code | name | default | what it reports |", "| --- | --- | --- | --- |"]
    for rule in sorted(rules, key=lambda r: r.code):
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.label} | {summary} |")
    return "\n".join(lines) + "\n"


def pages(rules: Iterable[Rule]) -> dict[str, str]:
    """File name -> content of every page."""
    rules = list(rules)
    found = {f"{rule.code}.md": rule_page(rule) for rule in rules}
    found["README.md"] = index_page(rules)
    return found


def built_in(rules: Iterable[Rule]) -> list[Rule]:
    """The rules iamlint ships (not those of installed plugins)."""
    return [rule for rule in rules if getattr(rule.check, "__module__", "").startswith("iamlint.rules.")]
