"""The one locator: a finding's (node, attribute path) -> the exact source span."""

from __future__ import annotations

import re
from typing import Any

from iamlint.model.span import Span
from iamlint.model.values import Conditional, Known


def locate(node: Any, path: tuple) -> Span:
    """Walk ``path`` (attribute names and indices) from ``node``; return the deepest span.

    Dictionaries are indexed by key, sequences by position and anything else by
    attribute; a Known value is looked through to its contents. A step that does not
    exist stops the walk, so a rule can never produce an unlocatable finding."""
    span: Span = node.span
    current = node
    for step in path:
        current = _step(current, step)
        if current is None:
            break
        found = getattr(current, "span", None)
        if isinstance(found, Span):
            span = found
    return span


def _step(current: Any, step: Any) -> Any:
    if isinstance(current, Known) and isinstance(current.value, (list, dict)):
        current = current.value
    if isinstance(current, dict):
        return current.get(step)
    if isinstance(current, (list, tuple)):
        if isinstance(step, int) and -len(current) <= step < len(current):
            return current[step]
        return None
    if isinstance(step, str):
        return getattr(current, step, None)
    return None


def condition_of(node: Any, path: tuple) -> str | None:
    """The condition under which the located value exists (deepest on the path), if it
    lies in one branch of an undecidable conditional; None otherwise."""
    found: str | None = None
    current = node
    for step in path:
        current = _step(current, step)
        if current is None:
            break
        if isinstance(current, Conditional) and current.condition:
            found = current.condition
    return found


_TRAILING_COMMENT = re.compile(r"\s(?:#|//)")


def header_span(span: Span, line_text: str | None) -> Span:
    """The header of the block ``span`` covers: its first line from the block's start,
    without a trailing comment, the opening bracket or the mapping colon
    (``resource "aws_instance" "web"``, ``WebServer``, ``"WebServer"``). A finding about
    the whole block (an attribute it lacks) is located there, so editors underline one
    line. ``line_text`` is the text of ``span.line`` (None: unknown, one character)."""
    head = (line_text or "")[span.column - 1:].rstrip("\r\n")
    cut = _TRAILING_COMMENT.search(head)
    if cut is not None:
        head = head[: cut.start()]
    head = head.rstrip().rstrip("{[(").rstrip().rstrip(":").rstrip()
    return Span(span.file, span.line, span.column, span.line, span.column + max(len(head), 1))
