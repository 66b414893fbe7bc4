"""What a run produces, independent of output format: located findings, errors, counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iamlint.model.findings import Severity
from iamlint.model.masking import mask_text
from iamlint.model.span import Span, fast_pickle
from iamlint.model.units import SourceError

if TYPE_CHECKING:  # start-up: a served run reads fixes back only when its entries hold some
    from iamlint.model.fixes import Fix


@fast_pickle  # read back from the results cache (iamlint.results) on every warm run
@dataclass(frozen=True, slots=True)
class Related:
    """One link of the chain a finding followed (instance -> profile -> role -> policy)."""

    label: str
    resource: str
    span: Span

    def __post_init__(self) -> None:
        for name in ("label", "resource"):
            text = getattr(self, name)
            masked = mask_text(text)
            if masked is not text:
                object.__setattr__(self, name, masked)


@fast_pickle
@dataclass(frozen=True, slots=True)
class LocatedFinding:
    """A finding placed in a file (line and column), ready for the reporters."""

    rule: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    resource: str
    related: tuple[Related, ...] = ()
    tags: tuple[str, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    construct: str = ""
    """Where the resource comes from in the code that generated the template, when it was
    synthesised: an AWS CDK construct path (``Stack/Bucket/Resource``); empty otherwise."""
    identity: str = ""
    """A digest of the finding's logical position inside ``resource`` (the attribute path,
    statements by Sid or content, never a line): :mod:`iamlint.fingerprint`."""
    fix: Fix | None = field(default=None, compare=False)
    """The located fix (text edits, :mod:`iamlint.fixes`), or why there is none; None
    when the rule proposes no fix for this finding."""
    intent: Any = field(default=None, compare=False, repr=False)
    """The rule's fix on the model (:mod:`iamlint.model.fixes`), until it is located."""

    def __post_init__(self) -> None:
        # every reporter, the baseline and the language server see masked text only
        for name in ("message", "resource"):
            text = getattr(self, name)
            masked = mask_text(text)
            if masked is not text:
                object.__setattr__(self, name, masked)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.rule, self.resource, self.message)


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding hidden by an inline suppression (``kind`` "inSource": a comment or
    template Metadata written at ``path``:``line``) or by a baseline ("external")."""

    finding: LocatedFinding
    kind: str
    justification: str
    path: str
    line: int = 0


@dataclass(slots=True)
class Report:
    """What a run found: findings, input errors, counts and notes, for the reporters."""

    findings: list[LocatedFinding] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    loaded: int = 0
    """Files loaded only to judge the files given (the rest of their modules)."""
    base: str = ""
    """With ``check --base REV``: REV (then ``findings`` are the new ones)."""
    known: int = 0
    """With ``check --base REV``: findings left out because REV had them."""
    suppressed: list[Suppressed] = field(default_factory=list)
    # what was skipped without being an error (a FIFO named main.tf, a symlink leading out
    # of the folders checked): the CLI prints them on standard error; no exit code change
    notes: list[SourceError] = field(default_factory=list)
    # files recognised by their name but not used (a JSON file neither template nor plan,
    # a .tf file in a hidden folder, x.tf beside OpenTofu's x.tofu): counted in the
    # summary ("skipped: N") and listed with why; no exit code change
    skipped: list[SourceError] = field(default_factory=list)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: f.sort_key)
        self.suppressed.sort(key=lambda s: s.finding.sort_key)
        self.errors = sorted(set(self.errors), key=lambda e: (e.path, e.line, e.column, e.message))
        self.skipped = sorted(set(self.skipped), key=lambda e: (e.path, e.message))
