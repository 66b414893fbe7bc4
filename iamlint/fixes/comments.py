"""Suppression comments edited as text: one removed (its whole line when it is alone on
it, else with the blanks before it), or its list of rule codes rewritten; and a new one
written above a line, in the file's comment syntax (the editors' "suppress" action)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from iamlint.fixes.edit import Refused, Span
from iamlint.model.fixes import EditSuppression

if TYPE_CHECKING:
    from iamlint.fixes.plan import Planner

_MARKER = re.compile(r"(?:#|//)\s*iamlint:\s*ignore\b")
_KEYS = re.compile(r"(\s*=?\s*)(\w[\w-]*(?:\s*,\s*\w[\w-]*)*)")
PLACEHOLDER = "TODO: say why this finding is accepted"


def suppression_edit(planner: Planner, intent: EditSuppression) -> Span:
    item = intent.suppression
    if item.resource:
        raise Refused("the suppression is an entry of the resource's Metadata: remove it there")
    text = planner.text(item.path)
    start = text.positions.offset(item.line, item.column)
    end = text.positions.offset(item.line, item.end_column)
    while end > start and text.text[end - 1] in "\r\n":
        end -= 1
    comment = text.text[start:end]
    marker = _MARKER.match(comment)
    if marker is None:
        raise Refused("the suppression comment is no longer where it was")
    if not intent.keep:
        lines = text.alone_on_lines(start, end)
        if lines is not None:
            return Span(lines[0], lines[1], "")
        before = start
        while before > text.positions.line_start(start) and text.text[before - 1] in " \t":
            before -= 1
        return Span(before, end, "")
    keys = _KEYS.match(comment, marker.end())
    if keys is None:
        raise Refused("the suppression names no rule codes to rewrite")
    return Span(start + keys.start(2), start + keys.end(2), ", ".join(intent.keep))


def suppression_line(line_text: str, marker: str, codes: str, nl: str) -> str:
    """The full line putting ``marker iamlint:ignore CODES -- <placeholder>`` above a line
    (in its indentation)."""
    indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
    return f"{indent}{marker} iamlint:ignore {codes} -- {PLACEHOLDER}{nl}"
