"""Terraform HCL text -> :class:`~iamlint.parsers.terraform.syntax.HclFile`.

The entry points of the HCL parser: :func:`parse_hcl` (a whole file),
:func:`parse_expression` (one expression found somewhere in a file) and
:func:`parse_template` (template text). They wire the pieces: the lark tree
(:mod:`.tree`), its conversion to iamlint's syntax tree (:mod:`.convert`) and template
parsing (:mod:`.templates`), which need each other for heredocs and interpolations.
"""

from __future__ import annotations

from lark import Tree

from iamlint.model.span import Span
from iamlint.parsers.terraform import syntax as s
from iamlint.parsers.terraform import templates
from iamlint.parsers.terraform.convert import Converter
from iamlint.parsers.terraform.tree import RECURSION_LIMIT, HclSyntaxError, deep_recursion, deepest, heredoc_closers, parse_tree

__all__ = ["RECURSION_LIMIT", "HclSyntaxError", "deep_recursion", "parse_expression", "parse_hcl", "parse_template"]


def warm_up() -> None:
    """Build (or load) python-hcl2's parser tables."""
    from iamlint.parsers.terraform.grammar import parser

    parser()


def parse_hcl(text: str, path: str) -> s.HclFile:
    """Parse a whole .tf file. Raises :class:`HclSyntaxError` with a line on bad input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    tree = parse_tree(heredoc_closers(text))
    try:
        with deep_recursion():
            return s.HclFile(path, Converter(path, _heredoc_template).body(tree.children[0]))
    except RecursionError:
        line, column = deepest(tree)
        raise HclSyntaxError("expression nested too deeply", line, column) from None


def parse_expression(text: str, path: str, line: int, column: int) -> s.Expr:
    """Parse one expression found at (line, column) of ``path`` (heredoc interpolations)."""
    tree = parse_tree("_=" + text)
    converter = Converter(path, _heredoc_template, line - 1, column - 3)
    attribute = next(c for c in tree.children[0].children if isinstance(c, Tree) and c.data == "attribute")
    try:
        with deep_recursion():
            return converter.expr(attribute.children[-1])
    except RecursionError:
        deep_line, deep_column = deepest(tree)
        raise HclSyntaxError("expression nested too deeply", deep_line + line - 1, deep_column) from None


def parse_template(content: str, path: str, line: int = 1, column: int = 1, indent: int = 0,
                   span: Span | None = None) -> s.Template:
    """Parse template text (a heredoc body, a ``templatefile`` file) found at (line,
    column) of ``path``; every line after the first is shifted right by ``column - 1``
    (heredocs trimmed by ``<<-``). Raises :class:`HclSyntaxError` with a line."""
    return templates.parse_template(content, path, line, column, indent, span, parse_expression)


def _heredoc_template(content: str, path: str, span: Span, line: int, column: int, indent: int) -> s.Expr:
    """Split heredoc text into literal parts, parsed ``${...}`` interpolations and
    ``%{ if }`` / ``%{ for }`` directives."""
    try:
        return parse_template(content, path, line, column, indent, span)
    except HclSyntaxError as exc:
        return s.Template([s.Unsupported(f"cannot parse template: {exc.message}", span)], span, heredoc=True)
