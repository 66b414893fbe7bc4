"""What the parser layer records about each source file besides its values: comments,
the extent of the construct that starts on each line, the names those constructs declare,
and suppressions written as data (CloudFormation ``Metadata``).

Parsers produce one :class:`SourceFacts` per file while a unit is loaded; it travels in
:attr:`iamlint.model.units.UnitResult.facts` (so the unit cache keeps it) and is what the
suppression step reads: it never re-reads or re-parses a file itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Comment:
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


@dataclass(frozen=True, slots=True)
class DeclaredSuppression:
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


@dataclass(frozen=True, slots=True)
class SourceFacts:
    """Facts of one file (``path`` is its display path).

    * ``comments``: every comment, in order.
    * ``ends``: ``ends[n - 1]`` is the last line of the construct that starts on line
      ``n`` (a block, an attribute, a list item, a mapping entry: matched brackets for
      HCL, indentation for YAML); 0 when no construct starts there (a blank line, a line
      holding only comments, a line inside a heredoc).
    * ``names``: line -> the address a construct starting on that line declares
      (``aws_instance.web``, ``data.aws_iam_policy_document.p``, ``module.app``).
    * ``declared``: suppressions written as data.

    The mappings are built once by the parser layer and must be treated as read-only."""

    path: str
    comments: tuple[Comment, ...] = ()
    ends: tuple[int, ...] = ()
    names: dict[int, str] = field(default_factory=dict)
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
