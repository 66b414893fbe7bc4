"""Syntax errors of the tree-sitter route: the shared exception and located messages.

``HclSyntaxError`` is the lark route's class (callers catch that one); it is imported
only when an error is raised, so a clean parse never imports lark (~50 ms).
Inside this package errors travel as :class:`ParseFailure` (no import needed).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """One syntax error: 1-based line and character column, and what is wrong."""

    message: str
    line: int
    column: int
    # False for tree-sitter's generic "unexpected ..." after its error recovery: the lark
    # route's message, when it has one, is used instead (never worse than before)
    precise: bool = True

    def to_exception(self) -> Exception:
        return syntax_error(self.message, self.line, self.column)


class ParseFailure(Exception):
    """Internal: a syntax error found while converting (becomes ``HclSyntaxError``)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.issue = ParseIssue(message, line, column)


def syntax_error(message: str, line: int, column: int) -> Exception:
    from iamlint.parsers.terraform.hcl import HclSyntaxError  # lazy: imports lark

    return HclSyntaxError(message, line, column)
