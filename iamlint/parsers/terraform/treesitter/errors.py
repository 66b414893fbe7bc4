"""Syntax errors of the tree-sitter route: located messages, and the exception that
carries one inside the package (:class:`ParseFailure`, a ``HclSyntaxError``: what
callers of every route catch)."""

from __future__ import annotations

from dataclasses import dataclass

from iamlint.parsers.terraform.errors import HclSyntaxError


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """One syntax error: 1-based line and character column, and what is wrong."""

    message: str
    line: int
    column: int
    # False for tree-sitter's generic "unexpected ..." after its error recovery: the lark
    # route's message, when it has one, is used instead (never worse than before)
    precise: bool = True

    def to_exception(self) -> HclSyntaxError:
        return HclSyntaxError(self.message, self.line, self.column)


class ParseFailure(HclSyntaxError):
    """Internal: a syntax error found while converting (raised to callers as a plain
    ``HclSyntaxError``)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message, line, column)
        self.issue = ParseIssue(message, line, column)
