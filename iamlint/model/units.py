"""Units: the files that are evaluated together (a Terraform module directory, a
template), what loading one gives back (a graph, located input errors), and the facts the
parser layer records about each file besides its values.

:class:`SourceFacts` (comments, the extent of the construct that starts on each line,
the names those constructs declare, suppressions written as data) are produced once per
file while its unit is loaded and travel in :attr:`UnitResult.facts`, so the unit cache
keeps them: the suppression step reads them and never re-reads or re-parses a file.
They are immutable named tuples rather than frozen dataclasses: they are defined on
every run, and creating a frozen slotted dataclass costs ~0.5-1 ms of start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from iamlint.model.masking import mask_text

if TYPE_CHECKING:  # the protocol lives in a higher layer; units only carry the object
    from iamlint.formats.base import Format
    from iamlint.model.graph import Graph  # (start-up: a served run loads no graph)


@dataclass(frozen=True, slots=True)
class SourceError:
    """Input that could not be read, decoded or parsed (or a rule that failed). The
    message is masked when the record is made (:func:`~iamlint.model.masking.mask_text`),
    so no reporter, cache entry or editor ever sees a credential it quotes."""

    path: str
    line: int
    message: str
    column: int = 1

    def __post_init__(self) -> None:
        masked = mask_text(self.message)
        if masked is not self.message:
            object.__setattr__(self, "message", masked)


class Comment(NamedTuple):
    """One comment: ``text`` runs from its marker (``#``, ``//``, ``/*``) to the end of
    the line (a block comment: to its end or the end of its first line). Lines and
    columns are 1-based; ``own_line`` is True when only blanks precede it on its line."""

    line: int
    column: int
    text: str
    own_line: bool

    @property
    def end_column(self) -> int:
        return self.column + len(self.text)


class DeclaredSuppression(NamedTuple):
    """A suppression written as data rather than as a comment: a CloudFormation
    resource's ``Metadata: {iamlint: {ignore: [...]}}`` entry. It covers the findings of
    ``resource``. ``rule``, ``reason`` and ``until`` are the entry's values as text (None
    when absent); ``problem`` says what is wrong with the entry's shape, if anything.
    ``line``/``column``/``end_column`` locate the entry."""

    resource: str
    line: int
    column: int
    end_column: int
    rule: str | None = None
    reason: str | None = None
    until: str | None = None
    problem: str | None = None


class SourceFacts(NamedTuple):
    """Facts of one file (``path`` is its display path).

    * ``comments``: every comment, in order.
    * ``ends``: ``ends[n - 1]`` is the last line of the construct that starts on line
      ``n`` (a block, an attribute, a list item, a mapping entry: matched brackets for
      HCL, indentation for YAML); 0 when no construct starts there (a blank line, a line
      holding only comments, a line inside a heredoc).
    * ``names``: (line, address) of each construct that declares a name
      (``aws_instance.web``, ``data.aws_iam_policy_document.p``, ``module.app``).
    * ``declared``: suppressions written as data."""

    path: str
    comments: tuple[Comment, ...] = ()
    ends: tuple[int, ...] = ()
    names: tuple[tuple[int, str], ...] = ()
    declared: tuple[DeclaredSuppression, ...] = ()

    def end_of(self, line: int) -> int:
        """The last line of the construct starting on ``line`` (0: none starts there)."""
        return self.ends[line - 1] if 0 < line <= len(self.ends) else 0

    def next_construct(self, line: int) -> int:
        """The first line after ``line`` where a construct starts (0: none)."""
        for number in range(line + 1, len(self.ends) + 1):
            if self.ends[number - 1]:
                return number
        return 0

    def name_at(self, line: int) -> str | None:
        """The address declared by the construct starting on ``line``, if any."""
        return next((name for number, name in self.names if number == line), None)


@dataclass(slots=True)
class Unit:
    """Files that are evaluated together. ``files`` are (filesystem path, display path);
    ``only`` restricts reported findings to these display paths (None: report all).
    ``kind`` says what the unit is (``terraform``, ``plan``, ``cloudformation``);
    ``format`` is the input format that found it and loads it (:mod:`iamlint.formats`;
    a stateless object, so units travel to worker processes with it).

    Not frozen: discovery completes a unit as it walks (a directory given after one of
    its files widens ``only``)."""

    kind: str
    root: str
    files: list[tuple[str, str]] = field(default_factory=list)
    only: set[str] | None = None
    format: Format | None = None


@dataclass(slots=True)
class UnitResult:
    """One unit turned into a graph.

    ``files`` lists the display paths of the files that belong to the unit.
    ``sources`` lists the filesystem paths of anything else the loader read (files of
    child modules, tfvars; a directory whose listing it used): the content-hash cache
    (:mod:`iamlint.cache`) re-checks them, besides the unit's own files. ``facts`` holds
    the :class:`~iamlint.model.facts.SourceFacts` of the files that have any (comments,
    construct ranges, declared suppressions), by display path."""

    graph: Graph
    files: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    facts: dict[str, SourceFacts] = field(default_factory=dict)
    # names given with --var that this root module does not declare (the engine notes
    # those no checked root module declares)
    undeclared_vars: list[str] = field(default_factory=list)
