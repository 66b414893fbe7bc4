"""Rule contract records: severities, rule metadata, findings (as rules produce them),
and the inline suppressions the post-suppression stage of rules reads."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Union

from iamlint.model.span import Span

if TYPE_CHECKING:  # start-up: a run imports datetime only for a suppression with an expiry date
    import datetime

    # start-up: a run the results cache serves never loads a graph (model.graph, values,
    # policy, fixes: ~17 ms of imports); these name types in annotations only
    from iamlint.model.fixes import Intent
    from iamlint.model.graph import AttrPath, Graph, Node

GRAPH_STAGE = "graph"
SUPPRESSIONS_STAGE = "suppressions"
STAGES = (GRAPH_STAGE, SUPPRESSIONS_STAGE)
"""When a rule runs: on each unit's graph, or once after the suppressions are applied."""


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
    options: dict[str, Any] = field(default_factory=dict)


class InlineSuppression(NamedTuple):
    """One inline suppression as the suppression step left it (read by rules of the
    ``suppressions`` stage): a comment ``# iamlint:ignore KEYS -- reason [until DATE]`` or
    a CloudFormation Metadata entry, located at ``path``:``line``:``column`` (to
    ``end_column`` on the same line).

    ``codes`` maps each key as written to the rule code it names (None: no such rule);
    ``used`` holds the codes of the findings it hid (or covered outside the files given);
    ``checked`` the codes of the rules that ran where it is (selected, not ignored for
    its file). ``expired`` is True past ``until``; ``bad_date`` describes an unreadable
    expiry date (then it was not applied either); ``problem`` says what is wrong with how
    the reason is written. ``resource`` is the resource a Metadata entry belongs to.
    (A named tuple, not a dataclass: it is defined on every run, see model/facts.py.)"""

    path: str
    line: int
    column: int
    end_column: int
    keys: tuple[str, ...]
    codes: tuple[tuple[str, str | None], ...]
    reason: str | None
    used: frozenset[str] = frozenset()
    checked: frozenset[str] = frozenset()
    until: datetime.date | None = None
    expired: bool = False
    bad_date: str | None = None
    problem: str | None = None
    resource: str | None = None

    @property
    def span(self) -> Span:
        return Span(self.path, self.line, self.column, self.line, self.end_column)

    @property
    def address(self) -> str:
        """What a finding about it names as its resource (empty for comments)."""
        return self.resource or ""

    @property
    def applied(self) -> bool:
        """Whether it was in force (not expired, a readable expiry date)."""
        return not self.expired and self.bad_date is None


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports: a node and an attribute path inside it (the locator turns
    that into file:line:col), a message, and optionally a severity for this finding
    (default: the rule's), related nodes/paths (the chain it followed, the statements
    that contributed), ``tags`` (risk categories such as ``privilege-escalation``) and
    ``references`` ((id, URL) of the published write-ups it relies on), and ``fix``,
    the change that would resolve it, described on the model (:mod:`iamlint.model.fixes`).
    Rules of the ``suppressions`` stage report an :class:`InlineSuppression` as the node
    (with the empty path): the finding is located at the suppression."""

    node: Union[Node, InlineSuppression]
    path: AttrPath
    message: str
    severity: Severity | None = None
    related: tuple[tuple[str, Node, AttrPath], ...] = ()
    span: Span | None = None
    tags: tuple[str, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    fix: Intent | None = None


if TYPE_CHECKING:
    Check = Callable[[Graph, Context], Iterable[Finding]]
else:  # (the graph model is not imported for a type alias)
    Check = Callable[..., Iterable[Finding]]
SuppressionCheck = Callable[[tuple[InlineSuppression, ...], Context], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its identity, default severity, documentation and check function.

    ``code`` is stable (``EC2001``), ``name`` is kebab-case (``instance-without-profile``),
    ``summary`` is one line, ``doc`` is the rule's documentation (its module docstring).
    ``stage`` says what ``check`` receives: ``"graph"`` (the default) -- the graph of each
    unit, as :data:`Check`; ``"suppressions"`` -- once per run, after suppressions are
    applied, every :class:`InlineSuppression` with its usage, as :data:`SuppressionCheck`.
    ``fixable`` says which fixes its findings may carry (shown by ``iamlint rules``):
    ``"safe"``, ``"unsafe"``, ``"editor"`` (offered in editors; applied on the command line
    only when asked by rule), ``"evidence"`` (unsafe, offered only with evidence such as
    ``--narrow-from``), or empty (none)."""

    code: str
    name: str
    summary: str
    severity: Severity
    check: Callable[..., Iterable[Finding]]
    doc: str = ""
    stage: str = GRAPH_STAGE
    fixable: str = ""
