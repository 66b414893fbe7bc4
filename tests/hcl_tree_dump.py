"""A syntax tree as nested tuples (every class, value and span), to compare two parsers."""

from __future__ import annotations

from typing import Any

from iamlint.parsers.terraform import syntax as s


def span(sp) -> tuple:
    return (sp.file, sp.line, sp.column, sp.end_line, sp.end_column)


def dump(node: Any) -> Any:
    if isinstance(node, s.HclFile):
        return ("file", node.path, dump(node.body))
    if isinstance(node, s.Body):
        return ("body", tuple((name, dump(a)) for name, a in node.attributes.items()), tuple(dump(b) for b in node.blocks))
    if isinstance(node, s.Block):
        return ("block", node.type, tuple(node.labels), span(node.span), dump(node.body))
    if isinstance(node, s.Attribute):
        return ("attr", node.name, span(node.span), dump(node.expr))
    if isinstance(node, s.Expr):
        fields = []
        for name in type(node).__slots__:
            fields.append((name, dump(getattr(node, name))))
        return (type(node).__name__, span(node.span), tuple(fields))
    if isinstance(node, (list, tuple)):
        return tuple(dump(item) for item in node)
    if isinstance(node, float):
        return ("float", repr(node))
    return node


def first_difference(left: Any, right: Any, where: str = "") -> str | None:
    """A readable path to the first place two dumps differ (None when equal)."""
    if left == right:
        return None
    if isinstance(left, tuple) and isinstance(right, tuple):
        for index, (a, b) in enumerate(zip(left, right, strict=False)):  # the lengths: below
            found = first_difference(a, b, f"{where}/{_label(left, index)}")
            if found:
                return found
        if len(left) != len(right):
            return f"{where}: {len(left)} items vs {len(right)}"
    return f"{where}: {_short(left)} != {_short(right)}"


def _label(node: tuple, index: int) -> str:
    head = node[0] if node and isinstance(node[0], str) else ""
    return f"{head}[{index}]" if head else str(index)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."
