"""Rule contract records: severities, rule metadata, findings (as rules produce them)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Iterable

from iamlint.model.graph import Graph, Node
from iamlint.model.span import Span


class Severity(enum.IntEnum):
    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or note)") from None


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule may know about the run besides the graph."""

    partition: str = "aws"
    options: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports: a node and an attribute path inside it (the locator turns
    that into file:line:col), a message, and optionally a severity for this finding
    (default: the rule's), related nodes/paths (the chain it followed, the statements
    that contributed), ``tags`` (risk categories such as ``privilege-escalation``) and
    ``references`` ((id, URL) of the published write-ups it relies on)."""

    node: Node
    path: tuple
    message: str
    severity: Severity | None = None
    related: tuple[tuple[str, Node, tuple], ...] = ()
    span: Span | None = None
    tags: tuple[str, ...] = ()
    references: tuple[tuple[str, str], ...] = ()


Check = Callable[[Graph, Context], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its identity, default severity, documentation and check function.

    ``code`` is stable (``EC2001``), ``name`` is kebab-case (``instance-without-profile``),
    ``summary`` is one line, ``doc`` is the rule's documentation (its module docstring)."""

    code: str
    name: str
    summary: str
    severity: Severity
    check: Check
    doc: str = ""
