"""The HCL syntax tree iamlint evaluates: blocks, attributes and expressions with spans.

Built from python-hcl2's lark parse tree by :mod:`iamlint.parsers.terraform.hcl`. Small
slotted classes; no evaluation happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from iamlint.model.span import Span


class Expr:
    __slots__ = ("span",)
    span: Span


class Literal(Expr):
    __slots__ = ("value",)

    def __init__(self, value: Any, span: Span) -> None:
        self.value = value
        self.span = span


class Template(Expr):
    """A string template: literal text and interpolated expressions (and directives)."""

    __slots__ = ("parts", "heredoc", "static")

    def __init__(self, parts: list[Union[str, Expr]], span: Span, heredoc: bool = False) -> None:
        self.parts = parts
        self.span = span
        self.heredoc = heredoc
        self.static = all(isinstance(part, str) for part in parts)  # no interpolation


class TemplateIf(Expr):
    __slots__ = ("cond", "then", "otherwise")

    def __init__(self, cond: Expr, then: Template, otherwise: Template | None, span: Span) -> None:
        self.cond, self.then, self.otherwise, self.span = cond, then, otherwise, span


class TemplateFor(Expr):
    __slots__ = ("key_var", "value_var", "collection", "body")

    def __init__(self, key_var: str | None, value_var: str, collection: Expr, body: Template, span: Span) -> None:
        self.key_var, self.value_var, self.collection, self.body, self.span = key_var, value_var, collection, body, span


class Unsupported(Expr):
    """Syntax iamlint cannot evaluate (kept so evaluation says why)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str, span: Span) -> None:
        self.reason = reason
        self.span = span


class TupleExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[Expr], span: Span) -> None:
        self.items = items
        self.span = span


class ObjectExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Expr, Expr]], span: Span) -> None:
        self.items = items
        self.span = span


class Variable(Expr):
    """A bare name: ``var``, ``local``, ``aws_iam_role``, ``each``, a for-variable."""

    __slots__ = ("name",)

    def __init__(self, name: str, span: Span) -> None:
        self.name = name
        self.span = span


class GetAttr(Expr):
    __slots__ = ("source", "name")

    def __init__(self, source: Expr, name: str, span: Span) -> None:
        self.source, self.name, self.span = source, name, span


class Index(Expr):
    __slots__ = ("source", "key")

    def __init__(self, source: Expr, key: Expr, span: Span) -> None:
        self.source, self.key, self.span = source, key, span


class Splat(Expr):
    """``source[*].a.b`` / ``source.*.a``: ``steps`` apply to each element."""

    __slots__ = ("source", "steps")

    def __init__(self, source: Expr, steps: list[tuple[str, Any]], span: Span) -> None:
        self.source, self.steps, self.span = source, steps, span


class Call(Expr):
    __slots__ = ("name", "args", "expand")

    def __init__(self, name: str, args: list[Expr], expand: bool, span: Span) -> None:
        self.name, self.args, self.expand, self.span = name, args, expand, span


class Conditional(Expr):
    __slots__ = ("cond", "then", "otherwise")

    def __init__(self, cond: Expr, then: Expr, otherwise: Expr, span: Span) -> None:
        self.cond, self.then, self.otherwise, self.span = cond, then, otherwise, span


class BinaryOp(Expr):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expr, right: Expr, span: Span) -> None:
        self.op, self.left, self.right, self.span = op, left, right, span


class UnaryOp(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Expr, span: Span) -> None:
        self.op, self.operand, self.span = op, operand, span


class ForExpr(Expr):
    __slots__ = ("key_var", "value_var", "collection", "key", "value", "cond", "is_object", "grouping")

    def __init__(
        self,
        key_var: str | None,
        value_var: str,
        collection: Expr,
        key: Expr | None,
        value: Expr,
        cond: Expr | None,
        grouping: bool,
        span: Span,
    ) -> None:
        self.key_var, self.value_var, self.collection = key_var, value_var, collection
        self.key, self.value, self.cond = key, value, cond
        self.is_object = key is not None
        self.grouping = grouping
        self.span = span


@dataclass(slots=True)
class Attribute:
    """``name = expr`` in a block body."""

    name: str
    expr: Expr
    span: Span


@dataclass(slots=True)
class Body:
    """The attributes and nested blocks of a file or a block."""

    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list["Block"] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list["Block"]:
        return [block for block in self.blocks if block.type == type_]

    def first_block(self, type_: str) -> "Block | None":
        for block in self.blocks:
            if block.type == type_:
                return block
        return None


@dataclass(slots=True)
class Block:
    """``type "label" ... { body }``."""

    type: str
    labels: list[str]
    body: Body
    span: Span


@dataclass(slots=True)
class HclFile:
    """A parsed HCL file: its path and top-level body."""

    path: str
    body: Body
