"""The one locator: a finding's (node, attribute path) -> the exact source span."""

from __future__ import annotations

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
